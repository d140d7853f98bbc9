/*
 * PROXY protocol v1 (text) and v2 (binary) headers, as HAProxy's spec and
 * gunicorn 26.1 (which refuses v1 UNKNOWN and v2 non-STREAM/UNIX).
 * Divergences: a malformed v2 header is a 400 (gunicorn: 500), a v1 line
 * longer than the spec's 107 bytes is refused (gunicorn reads any length),
 * and v1 ports are plain decimal digits (gunicorn's int() takes "+5").
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "http.h"

#define V1_MAX  107              /* "PROXY TCP6 <39> <39> 65535 65535\r\n" */

static const char  v2sig[12] = {
    '\r', '\n', '\r', '\n', '\0', '\r', '\n', 'Q', 'U', 'I', 'T', '\n'
};


static int
bad(pfh_proxy *out, int status, const char *error)
{
    out->status = status;
    out->error = error;
    return -1;
}


/* Is buf[0..len) a prefix of (or starts with) the literal? */
static int
prefix(const char *buf, size_t len, const char *lit, size_t litn)
{
    return memcmp(buf, lit, len < litn ? len : litn) == 0;
}


static int
port(const char *s, size_t n, unsigned *out)
{
    unsigned  v = 0;
    size_t    i;

    if (n == 0 || n > 5) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        v = v * 10 + (unsigned) (s[i] - '0');
    }
    if (v > 65535) {
        return -1;
    }
    *out = v;
    return 0;
}


static int
addr(int family, const char *s, size_t n, char *out)
{
    unsigned char  tmp[16];

    if (n == 0 || n >= 46) {
        return -1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return inet_pton(family, out, tmp) == 1 ? 0 : -1;
}


static int
parse_v1(const char *buf, size_t len, pfh_proxy *out)
{
    const char  *f[6], *lf, *p, *e;
    size_t       fl[6], k, scan;
    int          family;

    scan = len < V1_MAX ? len : V1_MAX;
    lf = memchr(buf, '\n', scan);
    if (lf == NULL) {
        return len >= V1_MAX ? bad(out, 400, "Invalid PROXY line") : -2;
    }
    if (lf[-1] != '\r') {
        return bad(out, 400, "Invalid PROXY line");
    }
    /* exactly six fields separated by single spaces */
    p = buf;
    e = lf - 1;
    for (k = 0; k < 6; k++) {
        f[k] = p;
        while (p < e && *p != ' ') {
            p++;
        }
        fl[k] = (size_t) (p - f[k]);
        if (k < 5) {
            if (p == e) {
                return bad(out, 400, "Invalid PROXY line");
            }
            p++;
        }
    }
    if (p != e) {
        return bad(out, 400, "Invalid PROXY line");
    }
    if (fl[1] == 4 && memcmp(f[1], "TCP4", 4) == 0) {
        family = AF_INET;
        out->proto = "TCP4";
    } else if (fl[1] == 4 && memcmp(f[1], "TCP6", 4) == 0) {
        family = AF_INET6;
        out->proto = "TCP6";
    } else {
        return bad(out, 400, "Unsupported PROXY protocol");
    }
    if (addr(family, f[2], fl[2], out->src_addr) != 0
        || addr(family, f[3], fl[3], out->dst_addr) != 0)
    {
        return bad(out, 400, "Invalid PROXY address");
    }
    if (port(f[4], fl[4], &out->src_port) != 0
        || port(f[5], fl[5], &out->dst_port) != 0)
    {
        return bad(out, 400, "Invalid PROXY port");
    }
    out->family = family;
    return (int) (lf + 1 - buf);
}


static int
parse_v2(const char *buf, size_t len, pfh_proxy *out)
{
    const unsigned char  *b = (const unsigned char *) buf;
    size_t                total, alen;

    if (len < 16) {
        return -2;
    }
    if ((b[12] >> 4) != 2) {
        return bad(out, 400, "Unsupported PROXY v2 version");
    }
    if ((b[12] & 0x0f) > 1) {
        return bad(out, 400, "Unsupported PROXY v2 command");
    }
    alen = ((size_t) b[14] << 8) | b[15];
    total = 16 + alen;
    if (len < total) {
        return -2;
    }
    if ((b[12] & 0x0f) == 0) {
        out->local = 1;
        out->family = AF_UNSPEC;
        out->proto = "LOCAL";
        return (int) total;
    }
    if ((b[13] & 0x0f) != 1) {
        return bad(out, 400, "Unsupported PROXY v2 transport");
    }
    switch (b[13] >> 4) {
    case 0:
        out->local = 1;
        out->family = AF_UNSPEC;
        out->proto = "UNSPEC";
        return (int) total;
    case 1:
        if (alen < 12) {
            return bad(out, 400, "Short PROXY v2 IPv4 address");
        }
        inet_ntop(AF_INET, b + 16, out->src_addr, sizeof(out->src_addr));
        inet_ntop(AF_INET, b + 20, out->dst_addr, sizeof(out->dst_addr));
        out->src_port = ((unsigned) b[24] << 8) | b[25];
        out->dst_port = ((unsigned) b[26] << 8) | b[27];
        out->family = AF_INET;
        out->proto = "TCP4";
        return (int) total;
    case 2:
        if (alen < 36) {
            return bad(out, 400, "Short PROXY v2 IPv6 address");
        }
        inet_ntop(AF_INET6, b + 16, out->src_addr, sizeof(out->src_addr));
        inet_ntop(AF_INET6, b + 32, out->dst_addr, sizeof(out->dst_addr));
        out->src_port = ((unsigned) b[48] << 8) | b[49];
        out->dst_port = ((unsigned) b[50] << 8) | b[51];
        out->family = AF_INET6;
        out->proto = "TCP6";
        return (int) total;
    default:
        return bad(out, 400, "Unsupported PROXY v2 address family");
    }
}


int
pfh_parse_proxy(const char *buf, size_t len, int mode, int allowed,
                pfh_proxy *out)
{
    int  v1, v2;

    memset(out, 0, sizeof(*out));
    out->family = AF_UNSPEC;
    if (mode == PFH_PROXY_NONE || len == 0) {
        return mode == PFH_PROXY_NONE ? 0 : -2;
    }
    v2 = (mode & PFH_PROXY_V2) && prefix(buf, len, v2sig, sizeof(v2sig));
    v1 = (mode & PFH_PROXY_V1) && prefix(buf, len, "PROXY ", 6);
    if (!v1 && !v2) {
        return 0;
    }
    if ((v2 && len < sizeof(v2sig)) || (v1 && len < 6)) {
        return -2;
    }
    if (!allowed) {
        return bad(out, 403, "PROXY header from a peer not allowed");
    }
    return v2 ? parse_v2(buf, len, out) : parse_v1(buf, len, out);
}

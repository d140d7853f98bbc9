/*
 * Addresses as gunicorn reads them: util.parse_address() for bind and
 * statsd_host, and ipaddress.ip_network(strict=True) for the allow lists
 * (so "10.0.0.1/24" is refused with Python's own message).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"


static void
not_network(const char *s, char *err, size_t errlen)
{
    pfc__err_repr(err, errlen,
                  "%s does not appear to be an IPv4 or IPv6 network", s);
}


/* A netmask or hostmask in dotted-quad form, as IPv4Network accepts. */
static int
ipv4_mask_prefix(const char *s)
{
    struct in_addr  a;
    unsigned long   m;
    int             bits, pass;

    if (inet_pton(AF_INET, s, &a) != 1) {
        return -1;
    }
    m = ntohl(a.s_addr);
    for (pass = 0; pass < 2; pass++) {
        /* ones then zeros: a netmask; the second pass tries a hostmask */
        for (bits = 0; bits < 32 && (m & (0x80000000UL >> bits)); bits++) {
            /* count leading ones */
        }
        if (((m << bits) & 0xffffffffUL) == 0) {
            return bits;
        }
        m = ~m & 0xffffffffUL;
    }
    return -1;
}


static int
parse_prefix(const char *s, int family, int *prefix)
{
    int  max = family == AF_INET ? 32 : 128;
    long v;

    if (pfc__isdigits(s)) {
        if (strlen(s) > 4 || pfc__pyint(s, 10, &v) != 0 || v > max) {
            return -1;
        }
        *prefix = (int) v;
        return 0;
    }
    if (family == AF_INET) {
        *prefix = ipv4_mask_prefix(s);
        return *prefix < 0 ? -1 : 0;
    }
    return -1;
}


/* Python's compressed IPv6 text: the longest run of two or more zero
 * hextets (the first on a tie) becomes "::". */
static void
format_v6(const unsigned char *a, char *out, size_t len)
{
    unsigned  h[8];
    int       i, best = -1, bestlen = 0, run;
    size_t    o = 0;

    for (i = 0; i < 8; i++) {
        h[i] = (unsigned) a[2 * i] << 8 | a[2 * i + 1];
    }
    for (i = 0; i < 8; i += run > 0 ? run : 1) {
        for (run = 0; i + run < 8 && h[i + run] == 0; run++) {
            /* measure the run of zeros at i */
        }
        if (run > bestlen) {
            best = i;
            bestlen = run;
        }
    }
    if (bestlen < 2) {
        best = -1;
    }
    out[0] = '\0';
    for (i = 0; i < 8 && o < len; i++) {
        if (i == best) {
            o += (size_t) snprintf(out + o, len - o, i == 0 ? "::" : ":");
            i += bestlen - 1;
            continue;
        }
        o += (size_t) snprintf(out + o, len - o, "%x%s", h[i],
                               i < 7 ? ":" : "");
    }
}


int
pfc_ipnet_parse(const char *s, pfc_ipnet *net, char *err, size_t errlen)
{
    const char  *slash;
    char         addr[64], text[64];
    size_t       n;
    int          i, bits;

    memset(net, 0, sizeof(*net));
    if (strcmp(s, "*") == 0) {
        return 0;
    }
    slash = strchr(s, '/');
    n = slash ? (size_t) (slash - s) : strlen(s);
    if (n >= sizeof(addr) || (slash && strchr(slash + 1, '/'))) {
        goto invalid;
    }
    memcpy(addr, s, n);
    addr[n] = '\0';
    if (inet_pton(AF_INET, addr, net->addr) == 1) {
        net->family = AF_INET;
    } else if (inet_pton(AF_INET6, addr, net->addr) == 1) {
        net->family = AF_INET6;
    } else {
        goto invalid;
    }
    net->prefix = net->family == AF_INET ? 32 : 128;
    if (slash && parse_prefix(slash + 1, net->family, &net->prefix) != 0) {
        goto invalid;
    }
    for (i = 0; i < (net->family == AF_INET ? 4 : 16); i++) {
        bits = net->prefix - 8 * i;
        if (bits >= 8) {
            continue;
        }
        if (net->addr[i] & (bits <= 0 ? 0xff : 0xff >> bits)) {
            if (net->family == AF_INET) {
                inet_ntop(AF_INET, net->addr, text, sizeof(text));
            } else {
                format_v6(net->addr, text, sizeof(text));
            }
            pfc__err(err, errlen, "%s/%d has host bits set", text,
                     net->prefix);
            return -1;
        }
    }
    return 0;

invalid:
    not_network(s, err, errlen);
    return -1;
}


int
pfc_ipnet_contains(const pfc_ipnet *net, int family, const void *addr)
{
    const unsigned char  *a = addr;
    unsigned char         mask;
    int                   i, bits;

    if (net->family == 0) {
        return 1;
    }
    if (family != net->family) {
        return 0;
    }
    for (i = 0, bits = net->prefix; bits > 0; i++, bits -= 8) {
        mask = bits >= 8 ? 0xff : (unsigned char) (0xff << (8 - bits));
        if ((a[i] & mask) != (net->addr[i] & mask)) {
            return 0;
        }
    }
    return 1;
}


void
pfc_address_free(pfc_address *a)
{
    free(a->host);
    free(a->path);
    a->host = a->path = NULL;
}


static int
parse_port(const char *port, pfc_address *a, char *err, size_t errlen)
{
    if (pfc__pyint(port, 10, &a->port) != 0) {
        pfc__err_repr(err, errlen, "%s is not a valid port number.", port);
        return -1;
    }
    return 0;
}


/* The text after the last "unix:" or "unix://". */
static const char *
unix_path(const char *s)
{
    const char  *p, *last = s;

    for (p = s; (p = strstr(p, "unix:")) != NULL; p += 5) {
        last = p + 5;
        if (last[0] == '/' && last[1] == '/') {
            last += 2;
        }
    }
    return last;
}


int
pfc_parse_address(const char *s, const char *default_port, pfc_address *a,
    char *err, size_t errlen)
{
    const char  *end, *close;
    char        *net = NULL, *port = NULL, *host = NULL, *p;
    long         fd;
    int          r = -1;

    memset(a, 0, sizeof(*a));
    a->fd = -1;
    if (strncmp(s, "unix:", 5) == 0) {
        a->path = pfc__strdup(unix_path(s));
        return a->path ? 0 : -1;
    }
    if (strncmp(s, "fd://", 5) == 0) {
        if (pfc__pyint(s + 5, 10, &fd) != 0 || fd < 0 || fd > 0x7fffffff) {
            pfc__err_repr(err, errlen, "%s is not a valid file descriptor.",
                          s + 5);
            return -1;
        }
        a->fd = (int) fd;
        return 0;
    }
    if (strncmp(s, "tcp://", 6) == 0) {
        s += 6;
        end = strstr(s, "tcp://");
        net = end ? strndup(s, (size_t) (end - s)) : pfc__strdup(s);
    } else {
        net = pfc__strdup(s);
    }
    if (net == NULL) {
        return -1;
    }
    close = strchr(net, ']');
    if (strchr(net, '[') != NULL && close != NULL) {
        /* "[V6]:PORT": the host is what precedes the first ']' minus
         * its first character; the port runs from the first "]:" to the
         * next one. */
        host = close > net ? strndup(net + 1, (size_t) (close - net - 1))
                           : pfc__strdup("");
        end = strstr(net, "]:");
        if (end == NULL) {
            port = pfc__strdup(default_port);
        } else {
            p = strstr(end + 2, "]:");
            port = p ? strndup(end + 2, (size_t) (p - end - 2))
                     : pfc__strdup(end + 2);
        }
    } else if ((p = strchr(net, ':')) != NULL) {
        host = strndup(net, (size_t) (p - net));
        end = strchr(p + 1, ':');
        port = end ? strndup(p + 1, (size_t) (end - p - 1))
                   : pfc__strdup(p + 1);
    } else if (net[0] == '\0') {
        host = pfc__strdup("0.0.0.0");
        port = pfc__strdup(default_port);
    } else {
        host = pfc__strdup(net);
        port = pfc__strdup(default_port);
    }
    if (host == NULL || port == NULL) {
        goto done;
    }
    if (parse_port(port, a, err, errlen) != 0) {
        goto done;
    }
    for (p = host; *p != '\0'; p++) {
        if (*p >= 'A' && *p <= 'Z') {
            *p = (char) (*p - 'A' + 'a');
        }
    }
    a->host = host;
    host = NULL;
    r = 0;

done:
    free(net);
    free(host);
    free(port);
    return r;
}

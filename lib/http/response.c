/*
 * The response side: head writer, body framing, cached Date, error pages.
 *
 * Wire format as gunicorn 26.1 (http/wsgi.py Response): status line with
 * the request's version, Server, Date, Connection, Transfer-Encoding, then
 * the app's fields in order, hop-by-hop ones dropped.  Unlike gunicorn, a
 * CTL anywhere in the status or a field makes the whole head fail (the
 * caller answers 500), and a Content-Length that is not plain digits too.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "chars.h"

typedef struct {
    char    *p;
    size_t   len;
    size_t   cap;
    int      full;
} out;


static void
put(out *o, const char *s, size_t n)
{
    if (o->full || o->cap - o->len < n) {
        o->full = 1;
        return;
    }
    if (o->p != NULL) {
        memcpy(o->p + o->len, s, n);
    }
    o->len += n;
}


#define PUTS(o, lit)  put(o, lit, sizeof(lit) - 1)


static int
token(const char *s, size_t n)
{
    size_t  i;

    if (n == 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!pfh__tok[(unsigned char) s[i]]) {
            return 0;
        }
    }
    return 1;
}


static int
value_ok(const char *s, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (!pfh__val[(unsigned char) s[i]]) {
            return 0;
        }
    }
    return 1;
}


static void
trim(const char **v, size_t *n)
{
    while (*n && (**v == ' ' || **v == '\t')) {
        (*v)++;
        (*n)--;
    }
    while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t')) {
        (*n)--;
    }
}


/* Fields the server owns or that are hop-by-hop (gunicorn's hop_headers):
 * 1 = drop, 2 = Connection, 3 = Upgrade, 4 = Content-Length, 0 = keep. */
static int
kind_of(const char *name, size_t n)
{
    switch (n) {
    case 2:
        return PFH__IEQ(name, n, "te");
    case 4:
        return PFH__IEQ(name, n, "date");
    case 6:
        return PFH__IEQ(name, n, "server");
    case 7:
        if (PFH__IEQ(name, n, "upgrade")) {
            return 3;
        }
        return 0;
    case 8:
        return PFH__IEQ(name, n, "trailers");
    case 10:
        if (PFH__IEQ(name, n, "connection")) {
            return 2;
        }
        return PFH__IEQ(name, n, "keep-alive");
    case 14:
        if (PFH__IEQ(name, n, "content-length")) {
            return 4;
        }
        return 0;
    case 17:
        return PFH__IEQ(name, n, "transfer-encoding");
    case 18:
        return PFH__IEQ(name, n, "proxy-authenticate");
    case 19:
        return PFH__IEQ(name, n, "proxy-authorization");
    }
    return 0;
}


static int
digits(const char *v, size_t n, uint64_t *x)
{
    size_t  i;

    *x = 0;
    if (n == 0 || n > 19) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return -1;
        }
        *x = *x * 10 + (uint64_t) (v[i] - '0');
    }
    return 0;
}


ssize_t
pfh_response_head(pfh_response *r, const char *status, size_t status_len,
                  const pfh_header *headers, size_t n, char *buf, size_t cap,
                  const char **bad)
{
    out            o = { buf, 0, cap, 0 };
    size_t         i, vn, dlen;
    const char    *v, *date, *conn;
    uint64_t       cl;
    int            k, code, close;
    char           line[16];
    unsigned char  kinds[32];
    const char    *tv[32];
    size_t         tn[32];

    r->chunked = r->has_length = r->upgrade = 0;
    r->content_length = 0;
    r->sent = 0;

    /* "NNN reason": a three-digit code first, no CTL anywhere */
    if (status_len < 3 || !value_ok(status, status_len)
        || status[0] < '1' || status[0] > '9'
        || status[1] < '0' || status[1] > '9'
        || status[2] < '0' || status[2] > '9'
        || (status_len > 3 && status[3] != ' '))
    {
        *bad = status;
        return -1;
    }
    code = (status[0] - '0') * 100 + (status[1] - '0') * 10 + status[2] - '0';
    r->status = code;
    r->no_body = r->head_request || (code >= 100 && code < 200)
                 || code == 204 || code == 304;

    /* pass 1: validate, find Content-Length and Connection: upgrade */
    for (i = 0; i < n; i++) {
        if (!token(headers[i].name, headers[i].name_len)) {
            *bad = headers[i].name;
            return -1;
        }
        v = headers[i].value;
        vn = headers[i].value_len;
        if (!value_ok(v, vn)) {
            *bad = headers[i].name;
            return -1;
        }
        trim(&v, &vn);
        k = kind_of(headers[i].name, headers[i].name_len);
        if (i < sizeof(kinds)) {
            kinds[i] = (unsigned char) k;      /* pass 2 needs them again */
            tv[i] = v;
            tn[i] = vn;
        }
        if (k == 4) {
            if (digits(v, vn, &cl) != 0
                || (r->has_length && cl != r->content_length))
            {
                *bad = headers[i].name;
                return -1;
            }
            r->has_length = 1;
            r->content_length = cl;
        } else if (k == 2 && PFH__IEQ(v, vn, "upgrade")) {
            r->upgrade = 1;
        }
    }
    /* RFC 9110 §8.6: no Content-Length on 1xx and 204 */
    if ((code >= 100 && code < 200) || code == 204) {
        r->has_length = 0;
        r->content_length = 0;
    }
    r->chunked = !r->has_length && r->version_minor >= 1 && !r->no_body;

    if (!r->keep_alive) {
        close = 1;
    } else if (r->has_length || r->chunked || r->head_request
               || code < 200 || code == 204 || code == 304)
    {
        close = 0;
    } else {
        close = 1;
    }
    r->keep_alive = !close;
    conn = r->upgrade ? "upgrade" : close ? "close" : "keep-alive";

    if (r->version_minor >= 0 && r->version_minor <= 9) {
        /* the usual case without snprintf: a third of the head's cost */
        memcpy(line, "HTTP/1.x ", 9);
        line[7] = (char) ('0' + r->version_minor);
        put(&o, line, 9);
    } else {
        snprintf(line, sizeof(line), "HTTP/1.%d ", r->version_minor);
        put(&o, line, strlen(line));
    }
    put(&o, status, status_len);
    PUTS(&o, "\r\nServer: ");
    v = r->server ? r->server : "gunicorn";
    put(&o, v, strlen(v));
    PUTS(&o, "\r\nDate: ");
    date = pfh_date(&dlen);
    put(&o, date, dlen);
    PUTS(&o, "\r\nConnection: ");
    put(&o, conn, strlen(conn));
    PUTS(&o, "\r\n");
    if (r->chunked) {
        PUTS(&o, "Transfer-Encoding: chunked\r\n");
    }

    /* pass 2: the app's fields, in order */
    for (i = 0; i < n; i++) {
        if (i < sizeof(kinds)) {
            k = kinds[i];
            v = tv[i];
            vn = tn[i];
        } else {
            v = headers[i].value;
            vn = headers[i].value_len;
            trim(&v, &vn);
            k = kind_of(headers[i].name, headers[i].name_len);
        }
        if (k == 1 || k == 2 || (k == 3 && !PFH__IEQ(v, vn, "websocket"))
            || (k == 4 && !r->has_length))
        {
            continue;
        }
        put(&o, headers[i].name, headers[i].name_len);
        PUTS(&o, ": ");
        put(&o, v, vn);
        PUTS(&o, "\r\n");
    }
    PUTS(&o, "\r\n");
    return o.full ? -2 : (ssize_t) o.len;
}


size_t
pfh_chunk_header(char *hdr, size_t len)
{
    static const char  hex[] = "0123456789ABCDEF";
    char               tmp[16];
    size_t             n = 0, i;

    do {
        tmp[n++] = hex[len & 15];
        len >>= 4;
    } while (len);
    for (i = 0; i < n; i++) {
        hdr[i] = tmp[n - 1 - i];
    }
    hdr[n] = '\r';
    hdr[n + 1] = '\n';
    return n + 2;
}


int
pfh_body_iov(pfh_response *r, const void *data, size_t len, char *hdr,
             struct iovec *iov)
{
    static char  crlf[] = "\r\n";

    if (r->no_body) {
        return 0;
    }
    if (r->has_length) {
        if (r->sent >= r->content_length) {
            return 0;
        }
        if (len > r->content_length - r->sent) {
            len = (size_t) (r->content_length - r->sent);
        }
    }
    if (len == 0) {
        return 0;
    }
    r->sent += len;
    if (!r->chunked) {
        iov[0].iov_base = (void *) data;
        iov[0].iov_len = len;
        return 1;
    }
    iov[0].iov_base = hdr;
    iov[0].iov_len = pfh_chunk_header(hdr, len);
    iov[1].iov_base = (void *) data;
    iov[1].iov_len = len;
    iov[2].iov_base = crlf;
    iov[2].iov_len = 2;
    return 3;
}


int
pfh_body_end_iov(const pfh_response *r, struct iovec *iov)
{
    static char  last[] = "0\r\n\r\n";

    if (!r->chunked) {
        return 0;
    }
    iov[0].iov_base = last;
    iov[0].iov_len = 5;
    return 1;
}


int
pfh_writev_all(int sock, struct iovec *iov, int n)
{
    ssize_t  w;
    size_t   left;

    while (n > 0) {
        w = writev(sock, iov, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        left = (size_t) w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *) iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}


int
pfh_sendfile_all(int sock, int fd, off_t offset, size_t count)
{
    ssize_t  w;

    while (count > 0) {
        w = sendfile(sock, fd, &offset, count);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        if (w == 0) {
            errno = EIO;      /* the file is shorter than promised */
            return -1;
        }
        count -= (size_t) w;
    }
    return 0;
}


static char *
two(char *p, int v)
{
    p[0] = (char) ('0' + v / 10 % 10);
    p[1] = (char) ('0' + v % 10);
    return p + 2;
}


const char *
pfh_date(size_t *len)
{
    static _Thread_local time_t  last = -1;
    static _Thread_local char    val[32];
    static const char            days[] = "SunMonTueWedThuFriSat";
    static const char            mons[] = "JanFebMarAprMayJun"
                                          "JulAugSepOctNovDec";
    time_t                       now;
    struct tm                    tm;
    char                        *p;

    now = time(NULL);
    if (now != last) {
        gmtime_r(&now, &tm);
        p = val;
        memcpy(p, days + 3 * tm.tm_wday, 3);
        p[3] = ',';
        p[4] = ' ';
        p = two(p + 5, tm.tm_mday);
        *p++ = ' ';
        memcpy(p, mons + 3 * tm.tm_mon, 3);
        p[3] = ' ';
        p = two(p + 4, (tm.tm_year + 1900) / 100);
        p = two(p, (tm.tm_year + 1900) % 100);
        *p++ = ' ';
        p = two(p, tm.tm_hour);
        *p++ = ':';
        p = two(p, tm.tm_min);
        *p++ = ':';
        p = two(p, tm.tm_sec);
        memcpy(p, " GMT", 5);
        last = now;
    }
    if (len != NULL) {
        *len = 29;
    }
    return val;
}


const char *
pfh_reason(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    }
    return status >= 500 ? "Internal Server Error" : "Bad Request";
}


/* html.escape(mesg, quote=True) */
static void
put_escaped(out *o, const char *s)
{
    const char  *run = s;

    for ( ; *s; s++) {
        const char  *rep;

        switch (*s) {
        case '&':  rep = "&amp;"; break;
        case '<':  rep = "&lt;"; break;
        case '>':  rep = "&gt;"; break;
        case '"':  rep = "&quot;"; break;
        case '\'': rep = "&#x27;"; break;
        default:   continue;
        }
        put(o, run, (size_t) (s - run));
        put(o, rep, strlen(rep));
        run = s + 1;
    }
    put(o, run, (size_t) (s - run));
}


ssize_t
pfh_error_page(int status, const char *mesg, char *buf, size_t cap)
{
    const char  *reason;
    out          o;
    size_t       pass, bl = 0;
    char         head[160];
    int          hl;

    reason = pfh_reason(status);
    if (mesg == NULL) {
        mesg = "";
    }
    /* pass 0 only measures the body (o.p == NULL), pass 1 writes it */
    for (pass = 0; pass < 2; pass++) {
        if (pass == 0) {
            o.p = NULL;
            o.len = 0;
            o.cap = (size_t) -1;
        } else {
            hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
                          "Connection: close\r\nContent-Type: text/html\r\n"
                          "Content-Length: %zu\r\n\r\n", status, reason, bl);
            o.p = buf;
            o.len = 0;
            o.cap = cap;
            put(&o, head, (size_t) hl);
        }
        o.full = 0;
        PUTS(&o, "<html>\n  <head>\n    <title>");
        put(&o, reason, strlen(reason));
        PUTS(&o, "</title>\n  </head>\n  <body>\n    <h1><p>");
        put(&o, reason, strlen(reason));
        PUTS(&o, "</p></h1>\n    ");
        put_escaped(&o, mesg);
        PUTS(&o, "\n  </body>\n</html>\n");
        bl = o.len;
    }
    return o.full ? -2 : (ssize_t) o.len;
}

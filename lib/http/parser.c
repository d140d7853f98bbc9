/*
 * The request head parser: request line, header fields, and the framing
 * decisions gunicorn makes in set_body_reader() and should_close().
 *
 * Stateless (picohttpparser's contract): every call parses from the start
 * of buf, but the scan for the end of the head only looks at bytes after
 * last_len, and the field lines are only walked once the head is complete,
 * so a client trickling bytes costs one short memchr per read.  No malloc.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "http.h"
#include "chars.h"

#define MAX_REQUEST_LINE   8190
#define MAX_HEADERS        32768
#define DEF_FIELD_SIZE     8190

/* Fields the parser interprets. */
enum {
    F_OTHER = 0, F_HOST, F_CTYPE, F_CLEN, F_TE, F_CONN, F_EXPECT, F_SCHEME
};

typedef struct {
    const pfh_config  *cfg;
    pfh_request       *req;
    size_t             line_limit;
    size_t             nfields;
    size_t             field_size;
    int                trusted;
} ctx;


static const pfh_scheme_header  def_scheme[] = {
    { "X-FORWARDED-PROTOCOL", "ssl" },
    { "X-FORWARDED-PROTO", "https" },
    { "X-FORWARDED-SSL", "on" },
};


void
pfh_config_init(pfh_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->limit_request_line = 4094;
    cfg->limit_request_fields = 100;
    cfg->limit_request_field_size = 8190;
    cfg->header_map = PFH_HEADER_MAP_DROP;
    cfg->forwarder_headers = "SCRIPT_NAME,PATH_INFO";
    cfg->secure_scheme_headers = def_scheme;
    cfg->n_secure_scheme_headers = sizeof(def_scheme) / sizeof(def_scheme[0]);
}


/* Record an error: status, static text, and gunicorn's page message built
 * from a prefix, a repr()-quoted token and a suffix. */
static int
fail(pfh_request *req, int status, const char *error, const char *pre,
    const char *tok, size_t tokn, const char *post)
{
    size_t  o, cap;

    req->status = status;
    req->error = error;
    cap = sizeof(req->detail);
    o = (size_t) snprintf(req->detail, cap, "%s", pre);
    if (o >= cap) {
        o = cap - 1;
    }
    if (tok != NULL) {
        o += pfh__repr(req->detail + o, cap - o - 2, tok, tokn);
    }
    if (post != NULL) {
        snprintf(req->detail + o, cap - o, "%s", post);
    }
    return -1;
}


static int
fail_line(ctx *c, const char *line, size_t n)
{
    return fail(c->req, 400, "Invalid HTTP request line",
                "Invalid Request Line 'Invalid HTTP request line: ",
                line, n, "'");
}


static int
fail_header(ctx *c, const char *name, size_t n)
{
    return fail(c->req, 400, "Invalid HTTP header", "Invalid HTTP Header: ",
                name, n, NULL);
}


static int
fail_name(ctx *c, const char *name, size_t n)
{
    return fail(c->req, 400, "Invalid HTTP header name",
                "Invalid HTTP header name: ", name, n, NULL);
}


static int
fail_limit(ctx *c, const char *what)
{
    char  buf[64];

    snprintf(buf, sizeof(buf), "Error parsing headers: '%s'", what);
    return fail(c->req, 431, "Request header fields too large", buf,
                NULL, 0, NULL);
}


/*
 * The request line is too long.  RFC 9112 §3 says 414 when the target is
 * what is long; anything else (a huge method, garbage after the target) is
 * a plain 400 as in gunicorn.  data: the scanned bytes (> limit of them).
 */
static int
fail_too_long(ctx *c, const char *data, size_t n, size_t shown)
{
    const char  *sp1, *sp2;
    char         buf[96];
    size_t       scan;

    snprintf(buf, sizeof(buf), "Request Line is too large (%zu > %zu)",
             shown, c->line_limit);
    scan = n < 64 ? n : 64;
    sp1 = memchr(data, ' ', scan);
    if (sp1 != NULL) {
        sp2 = memchr(sp1 + 1, ' ', n - (size_t) (sp1 + 1 - data));
        if (sp2 == NULL || (size_t) (sp2 - data) + 9 > c->line_limit) {
            return fail(c->req, 414, "URI too long", buf, NULL, 0, NULL);
        }
    }
    return fail(c->req, 400, "Request line too large", buf, NULL, 0, NULL);
}


static int
parse_method(ctx *c, const char *m, size_t n)
{
    pfh_request  *req = c->req;
    size_t        i;
    int           lower = 0, bad = 0;
    unsigned char ch;

    for (i = 0; i < n; i++) {
        ch = (unsigned char) m[i];
        if (!pfh__tok[ch]) {
            bad = 1;
            break;
        }
        if ((ch >= 'a' && ch <= 'z') || ch == '#') {
            lower = 1;
        }
    }
    if (!(c->cfg->flags & PFH_PERMIT_UNCONVENTIONAL_METHOD)
        && (lower || n < 3 || n > 20))
    {
        bad = 1;
    }
    if (bad || n == 0) {
        return fail(req, 400, "Invalid HTTP method",
                    "Invalid Method 'Invalid HTTP method: ", m, n, "'");
    }
    req->method = m;
    req->method_len = n;
    if ((c->cfg->flags & PFH_CASEFOLD_METHOD) && lower) {
        if (n > sizeof(req->method_buf)) {
            return fail(req, 400, "Invalid HTTP method",
                        "Invalid Method 'Invalid HTTP method: ", m, n, "'");
        }
        for (i = 0; i < n; i++) {
            ch = (unsigned char) m[i];
            req->method_buf[i] = (char) (ch >= 'a' && ch <= 'z'
                                         ? ch - 'a' + 'A' : ch);
        }
        req->method = req->method_buf;
    }
    return 0;
}


static int
scheme_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
           || (ch >= '0' && ch <= '9') || ch == '+' || ch == '-' || ch == '.';
}


/* A bracketed host as Python's _check_bracketed_host(): "v<hex>.<any>"
 * (IPvFuture) or an IPv6 address, optionally with a %scope. */
static int
host_ok(const char *h, size_t n)
{
    char             ip[64];
    const char      *pct;
    struct in6_addr  a6;
    size_t           i;

    if (n > 0 && h[0] == 'v') {
        for (i = 1; i < n && isxdigit((unsigned char) h[i]); i++) {
            /* void */
        }
        return i > 1 && i + 1 < n && h[i] == '.';
    }
    pct = memchr(h, '%', n);
    if (pct != NULL) {
        if (pct + 1 == h + n) {
            return 0;
        }
        n = (size_t) (pct - h);
    }
    if (n == 0 || n >= sizeof(ip)) {
        return 0;
    }
    memcpy(ip, h, n);
    ip[n] = '\0';
    return inet_pton(AF_INET6, ip, &a6) == 1;
}


/* Python's urlsplit() (with the CVE-2024-11168 fix Debian's 3.11 carries)
 * refuses unpaired brackets, and once both appear anywhere in the netloc,
 * a host (after the last '@', before ':' or inside the brackets) that is
 * not an IPv6 address or IPvFuture. */
static int
netloc_ok(const char *h, size_t n)
{
    const char  *ob, *cb, *at, *e = h + n, *c;

    ob = memchr(h, '[', n);
    cb = memchr(h, ']', n);
    if ((ob == NULL) != (cb == NULL)) {
        return 0;
    }
    if (ob == NULL) {
        return 1;
    }
    for (at = e; at > h && at[-1] != '@'; at--) {
        /* void */
    }
    ob = memchr(at, '[', (size_t) (e - at));
    if (ob == NULL) {
        c = memchr(at, ':', (size_t) (e - at));
        return host_ok(at, (size_t) ((c ? c : e) - at));
    }
    if (ob != at) {
        return 0;
    }
    cb = memchr(ob, ']', (size_t) (e - ob));
    if (cb == NULL) {
        return host_ok(ob + 1, (size_t) (e - ob - 1));
    }
    if (cb + 1 < e && cb[1] != ':') {
        return 0;
    }
    return host_ok(ob + 1, (size_t) (cb - ob - 1));
}


/* Split the target as gunicorn's split_request_uri() (urlsplit) does. */
static int
split_target(ctx *c, const char *t, size_t n)
{
    pfh_request  *req = c->req;
    const char   *p = t, *e = t + n, *q, *h;
    size_t        i;

    if (t[0] == '/') {
        goto path;            /* origin-form, "//x" included: no scheme */
    }
    q = memchr(t, ':', n);
    if (q != NULL && q > t && ((t[0] | 0x20) >= 'a' && (t[0] | 0x20) <= 'z')
        && (unsigned char) t[0] < 0x80)
    {
        for (i = 0; t + i < q && scheme_char((unsigned char) t[i]); i++) {
            /* void */
        }
        if (t + i == q) {
            p = q + 1;
        }
    }
    if (e - p >= 2 && p[0] == '/' && p[1] == '/') {
        h = p + 2;
        for (p = h; p < e && *p != '/' && *p != '?' && *p != '#'; p++) {
            /* void */
        }
        if (!netloc_ok(h, (size_t) (p - h))) {
            return -1;
        }
    }
path:
    req->fragment = e;
    q = memchr(p, '#', (size_t) (e - p));
    if (q != NULL) {
        req->fragment = q + 1;
        req->fragment_len = (size_t) (e - q - 1);
        e = q;
    }
    req->query = e;
    q = memchr(p, '?', (size_t) (e - p));
    if (q != NULL) {
        req->query = q + 1;
        req->query_len = (size_t) (e - q - 1);
        e = q;
    }
    req->path = p;
    req->path_len = (size_t) (e - p);
    return 0;
}


static int
parse_target(ctx *c, const char *line, size_t linen, const char *t, size_t n)
{
    pfh_request  *req = c->req;
    size_t        i;

    if (n == 0) {
        return fail_line(c, line, linen);
    }
    /* Stricter than gunicorn (whose urlsplit silently deletes TAB, CR and
     * LF): no control byte belongs in a request-target. */
    for (i = 0; i < n; i++) {
        if ((unsigned char) t[i] < 0x20 || t[i] == 0x7f) {
            return fail_line(c, line, linen);
        }
    }
    if (n == 1 && t[0] == '*') {
        if (req->method_len != 7 || memcmp(req->method, "OPTIONS", 7) != 0) {
            return fail_line(c, line, linen);
        }
    } else if (t[0] != '/'
               && !(req->method_len == 7
                    && memcmp(req->method, "CONNECT", 7) == 0)
               && memmem(t, n, "://", 3) == NULL)
    {
        return fail_line(c, line, linen);
    }
    req->target = t;
    req->target_len = n;
    if (split_target(c, t, n) != 0) {
        return fail_line(c, line, linen);
    }
    return 0;
}


static int
parse_version(ctx *c, const char *v, size_t n)
{
    pfh_request  *req = c->req;
    char          buf[32];

    if (n == 8 && memcmp(v, "HTTP/", 5) == 0
        && v[5] >= '0' && v[5] <= '9' && v[6] == '.'
        && v[7] >= '0' && v[7] <= '9')
    {
        req->version_major = v[5] - '0';
        req->version_minor = v[7] - '0';
        if (req->version_major == 1
            || (c->cfg->flags & PFH_PERMIT_UNCONVENTIONAL_VERSION))
        {
            return 0;
        }
        snprintf(buf, sizeof(buf), "(%d, %d)'", req->version_major,
                 req->version_minor);
        return fail(req, 505, "HTTP version not supported",
                    "Invalid HTTP Version 'Invalid HTTP Version: ",
                    NULL, 0, buf);
    }
    return fail(req, 505, "HTTP version not supported",
                "Invalid HTTP Version 'Invalid HTTP Version: ", v, n, "'");
}


/* METHOD SP TARGET SP VERSION, split like gunicorn's line.split(" ", 2). */
static int
parse_request_line(ctx *c, const char *line, size_t n)
{
    const char  *sp1, *sp2;

    sp1 = memchr(line, ' ', n);
    if (sp1 == NULL) {
        return fail_line(c, line, n);
    }
    sp2 = memchr(sp1 + 1, ' ', (size_t) (line + n - sp1 - 1));
    if (sp2 == NULL) {
        return fail_line(c, line, n);
    }
    if (parse_method(c, line, (size_t) (sp1 - line)) != 0) {
        return -1;
    }
    if (parse_target(c, line, n, sp1 + 1, (size_t) (sp2 - sp1 - 1)) != 0) {
        return -1;
    }
    return parse_version(c, sp2 + 1, (size_t) (line + n - sp2 - 1));
}


static int
classify(ctx *c, const char *name, size_t n)
{
    const pfh_config  *cfg = c->cfg;
    size_t             i;

    switch (n) {
    case 4:
        if (PFH__IEQ(name, n, "host")) {
            return F_HOST;
        }
        break;
    case 6:
        if (PFH__IEQ(name, n, "expect")) {
            return F_EXPECT;
        }
        break;
    case 10:
        if (PFH__IEQ(name, n, "connection")) {
            return F_CONN;
        }
        break;
    case 12:
        if (PFH__IEQ(name, n, "content-type")) {
            return F_CTYPE;
        }
        break;
    case 14:
        if (PFH__IEQ(name, n, "content-length")) {
            return F_CLEN;
        }
        break;
    case 17:
        if (PFH__IEQ(name, n, "transfer-encoding")) {
            return F_TE;
        }
        break;
    }
    if (c->trusted) {
        for (i = 0; i < cfg->n_secure_scheme_headers; i++) {
            if (pfh__lower[(unsigned char) name[0]]
                == pfh__lower[(unsigned char)
                              cfg->secure_scheme_headers[i].name[0]]
                && pfh__ieq2(name, n, cfg->secure_scheme_headers[i].name,
                          strlen(cfg->secure_scheme_headers[i].name)))
            {
                return F_SCHEME + (int) i;
            }
        }
    }
    return F_OTHER;
}


/* One comma-separated item, trimmed of SP/HTAB only (gunicorn #3364: never
 * \x85 or \xa0).  Returns the start of the next item or NULL at the end. */
static const char *
next_item(const char *p, const char *e, const char **is, size_t *in)
{
    const char  *q, *s, *t;

    q = memchr(p, ',', (size_t) (e - p));
    t = q ? q : e;
    s = p;
    while (s < t && (*s == ' ' || *s == '\t')) {
        s++;
    }
    while (t > s && (t[-1] == ' ' || t[-1] == '\t')) {
        t--;
    }
    *is = s;
    *in = (size_t) (t - s);
    return q ? q + 1 : NULL;
}


static int
apply_te(ctx *c, const char *v, size_t n, int *chunked)
{
    const char  *p, *e, *s;
    size_t       sn;

    p = v;
    e = v + n;
    do {
        p = next_item(p, e, &s, &sn);
        if (PFH__IEQ(s, sn, "chunked")) {
            if (*chunked) {
                return fail_header(c, "TRANSFER-ENCODING", 17);
            }
            *chunked = 1;
        } else if (PFH__IEQ(s, sn, "identity")) {
            if (*chunked) {
                return fail_header(c, "TRANSFER-ENCODING", 17);
            }
        } else if (PFH__IEQ(s, sn, "gzip") || PFH__IEQ(s, sn, "deflate")
                   || PFH__IEQ(s, sn, "compress"))
        {
            if (*chunked) {
                return fail_header(c, "TRANSFER-ENCODING", 17);
            }
            c->req->must_close = 1;
        } else {
            return fail(c->req, 501, "Unsupported transfer coding",
                        "Unsupported transfer coding: ", v, n, NULL);
        }
    } while (p != NULL);
    return 0;
}


static int
parse_clen(const char *v, size_t n, uint64_t *out)
{
    uint64_t  x = 0;
    size_t    i;

    if (n == 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9') {
            return -1;
        }
        if (x > (UINT64_MAX >> 1) / 10) {
            return -1;
        }
        x = x * 10 + (uint64_t) (v[i] - '0');
    }
    *out = x;
    return 0;
}


static void
apply_connection(pfh_request *req, const char *v, size_t n, int *ka)
{
    const char  *p, *e, *s;
    size_t       sn;

    p = v;
    e = v + n;
    do {
        p = next_item(p, e, &s, &sn);
        if (PFH__IEQ(s, sn, "close")) {
            *ka = -1;
        } else if (PFH__IEQ(s, sn, "keep-alive")) {
            if (*ka == 0) {
                *ka = 1;
            }
        } else if (PFH__IEQ(s, sn, "upgrade")) {
            req->upgrade = 1;
        }
    } while (p != NULL);
}


/* gunicorn's _apply_header_policy() for one complete field.  Returns 1 to
 * keep it, 0 to drop it, -1 on error. */
static int
policy(ctx *c, int kind, int under, const char *name, size_t nn,
       const char *v, size_t vn, unsigned *seen)
{
    pfh_request       *req = c->req;
    const pfh_config  *cfg = c->cfg;
    int                scheme;
    const char        *want;

    if (kind == F_HOST || kind == F_CTYPE) {
        if (*seen & (1u << kind)) {
            return kind == F_HOST ? fail_header(c, "HOST", 4)
                                  : fail_header(c, "CONTENT-TYPE", 12);
        }
        *seen |= 1u << kind;
    } else if (kind == F_EXPECT) {
        if (PFH__IEQ(v, vn, "100-continue")) {
            if (req->version_major > 1
                || (req->version_major == 1 && req->version_minor >= 1))
            {
                req->expect_continue = 1;
            }
        } else {
            return fail(req, 417, "Expectation failed",
                        "Unable to comply with expectation: ", v, vn, NULL);
        }
    } else if (kind >= F_SCHEME) {
        want = cfg->secure_scheme_headers[kind - F_SCHEME].value;
        scheme = strlen(want) == vn && memcmp(want, v, vn) == 0
                 ? PFH_SCHEME_HTTPS : PFH_SCHEME_HTTP;
        if (req->url_scheme != PFH_SCHEME_NONE && req->url_scheme != scheme) {
            return fail(req, 400, "Contradictory scheme headers",
                        "Contradictory scheme headers", NULL, 0, NULL);
        }
        req->url_scheme = scheme;
    }
    if (under) {
        if (c->trusted && pfh__in_list(cfg->forwarder_headers, name, nn)) {
            return 1;
        }
        if (cfg->header_map == PFH_HEADER_MAP_DANGEROUS) {
            return 1;
        }
        if (cfg->header_map == PFH_HEADER_MAP_DROP) {
            return 0;
        }
        return fail_name(c, name, nn);
    }
    return 1;
}


/* The field name failed the token scan at q: gunicorn says InvalidHeader
 * when the line has no colon (or starts with one), else InvalidHeaderName. */
static int
fail_bad_name(ctx *c, const char *p, const char *fend)
{
    const char  *e, *colon;

    for (e = p; e + 1 < fend && !(e[0] == '\r' && e[1] == '\n'); e++) {
        /* void */
    }
    colon = memchr(p, ':', (size_t) (e - p));
    if (colon == NULL || colon == p) {
        return fail_header(c, p, (size_t) (e - p));
    }
    return fail_name(c, p, (size_t) (colon - p));
}


/* Scan a value from p: returns the CR that ends the line, or NULL at a
 * forbidden byte (a CTL, a bare CR or LF).  The head ends in CRLF CRLF
 * before end, so the scan always stops inside it; with SSE2, 16 bytes are
 * checked at a time while 16 remain before end. */
static const char *
scan_value(const char *p, const char *end)
{
#ifdef __SSE2__
    const __m128i  lim = _mm_set1_epi8(0x1f);
    const __m128i  del = _mm_set1_epi8(0x7f);
    const __m128i  tab = _mm_set1_epi8('\t');
    __m128i        v, bad;
    int            m;

    while (end - p >= 16) {
        v = _mm_loadu_si128((const __m128i *) (const void *) p);
        bad = _mm_cmpeq_epi8(_mm_min_epu8(v, lim), v);
        bad = _mm_andnot_si128(_mm_cmpeq_epi8(v, tab), bad);
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(v, del));
        m = _mm_movemask_epi8(bad);
        if (m != 0) {
            p += __builtin_ctz((unsigned) m);
            break;
        }
        p += 16;
    }
#else
    (void) end;
#endif
    while (pfh__val[(unsigned char) *p]) {
        p++;
    }
    if (p[0] == '\r' && p[1] == '\n') {
        return p;
    }
    return NULL;
}


typedef struct {
    int         chunked;
    int         has_clen;
    int         ka;               /* -1 close, 0 unset, 1 keep-alive */
    const char *clen;
    size_t      clen_n;
    int         has_te;
} framing;


static int
parse_fields(ctx *c, const char *p, const char *fend, pfh_header *headers,
             size_t max_headers, framing *fr)
{
    pfh_request  *req = c->req;
    const char   *name, *q, *v, *ve, *e;
    size_t        nn, count = 0, size, kept = 0, first;
    unsigned      seen = 0;
    int           under, kind, r;

    while (p < fend) {
        if (count >= c->nfields) {
            return fail_limit(c, "limit request headers fields");
        }
        count++;

        name = p;
        under = 0;
        for (q = p; pfh__tok[(unsigned char) *q]; q++) {
            under |= pfh__tok[(unsigned char) *q];
        }
        nn = (size_t) (q - name);
        if ((c->cfg->flags & PFH_STRIP_HEADER_SPACES) && nn > 0) {
            while (*q == ' ' || *q == '\t') {
                q++;
            }
        }
        if (*q != ':' || nn == 0) {
            return fail_bad_name(c, p, fend);
        }
        under = under & 2;

        v = q + 1;
        while (*v == ' ' || *v == '\t') {
            v++;
        }
        e = scan_value(v, fend + 2);
        if (e == NULL) {
            return fail_header(c, name, nn);
        }
        for (ve = e; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--) {
            /* void */
        }
        size = (size_t) (e - p) + 2;
        kind = classify(c, name, nn);

        first = kept;
        if (kept >= max_headers) {
            return fail_limit(c, "limit request headers fields");
        }
        headers[kept].name = name;
        headers[kept].name_len = nn;
        headers[kept].value = v;
        headers[kept].value_len = (size_t) (ve - v);
        kept++;

        /* obs-fold continuation lines */
        p = e + 2;
        while (p < fend && (*p == ' ' || *p == '\t')) {
            if (!(c->cfg->flags & PFH_PERMIT_OBSOLETE_FOLDING)) {
                return fail(req, 400, "Obsolete line folding",
                            "Obsolete line folding is unacceptable: ",
                            name, nn, NULL);
            }
            /* A folded field the parser itself interprets could be read
             * differently downstream: refuse rather than guess. */
            if (kind != F_OTHER && kind != F_HOST && kind != F_CTYPE) {
                return fail_header(c, name, nn);
            }
            for (v = p; *v == ' ' || *v == '\t'; v++) {
                /* void */
            }
            e = scan_value(v, fend + 2);
            if (e == NULL) {
                return fail_header(c, name, nn);
            }
            for (ve = e; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--) {
                /* void */
            }
            size += (size_t) (e - p) + 2;
            if (size > c->field_size) {
                return fail_limit(c, "limit request headers fields size");
            }
            if (kept >= max_headers) {
                return fail_limit(c, "limit request headers fields");
            }
            headers[kept].name = NULL;
            headers[kept].name_len = 0;
            headers[kept].value = v;
            headers[kept].value_len = (size_t) (ve - v);
            kept++;
            p = e + 2;
        }
        if (size > c->field_size) {
            return fail_limit(c, "limit request headers fields size");
        }

        v = headers[first].value;
        r = policy(c, kind, under, name, nn, v, headers[first].value_len,
                   &seen);
        if (r < 0) {
            return -1;
        }
        if (r == 0) {
            kept = first;
            continue;
        }
        switch (kind) {
        case F_CLEN:
            if (fr->has_clen == 0) {
                fr->clen = v;
                fr->clen_n = headers[first].value_len;
            }
            fr->has_clen++;
            break;
        case F_TE:
            fr->has_te = 1;
            break;
        case F_CONN:
            apply_connection(req, v, headers[first].value_len, &fr->ka);
            break;
        }
    }
    req->num_headers = kept;
    return 0;
}


/* gunicorn's set_body_reader() on the kept fields, in their order. */
static int
decide_body(ctx *c, const pfh_header *headers, framing *fr)
{
    pfh_request  *req = c->req;
    size_t        i, clen_seen = 0;

    if (fr->has_te || fr->has_clen > 1) {
        for (i = 0; i < req->num_headers; i++) {
            if (headers[i].name == NULL) {
                continue;
            }
            if (PFH__IEQ(headers[i].name, headers[i].name_len,
                         "content-length"))
            {
                if (++clen_seen > 1) {
                    return fail_header(c, "CONTENT-LENGTH", 14);
                }
            } else if (PFH__IEQ(headers[i].name, headers[i].name_len,
                                "transfer-encoding"))
            {
                if (apply_te(c, headers[i].value, headers[i].value_len,
                             &fr->chunked) != 0)
                {
                    return -1;
                }
            }
        }
    }
    if (fr->chunked) {
        if (req->version_major < 1
            || (req->version_major == 1 && req->version_minor < 1))
        {
            return fail_header(c, "TRANSFER-ENCODING", 17);
        }
        if (fr->has_clen) {
            return fail_header(c, "CONTENT-LENGTH", 14);
        }
        req->body = PFH_BODY_CHUNKED;
    } else if (fr->has_clen) {
        if (parse_clen(fr->clen, fr->clen_n, &req->content_length) != 0) {
            return fail_header(c, "CONTENT-LENGTH", 14);
        }
        req->body = PFH_BODY_LENGTH;
    }
    return 0;
}


/* Index just past the first CRLF CRLF at or after from, or 0. */
static size_t
find_head_end(const char *buf, size_t from, size_t len)
{
    const char  *p, *e;

    p = buf + from;
    e = buf + len;
    while (e - p >= 4) {
        p = memchr(p + 3, '\n', (size_t) (e - p - 3));
        if (p == NULL) {
            return 0;
        }
        if (p[-1] == '\r' && p[-2] == '\n' && p[-3] == '\r') {
            return (size_t) (p + 1 - buf);
        }
        p -= 2;
    }
    return 0;
}


static void
reset(pfh_request *req)
{
    req->method = req->target = req->path = req->query = req->fragment = NULL;
    req->method_len = req->target_len = req->path_len = 0;
    req->query_len = req->fragment_len = 0;
    req->version_major = req->version_minor = 0;
    req->num_headers = 0;
    req->body = PFH_BODY_NONE;
    req->content_length = 0;
    req->keep_alive = req->expect_continue = req->upgrade = 0;
    req->must_close = 0;
    req->url_scheme = PFH_SCHEME_NONE;
    req->status = 0;
    req->error = NULL;
    req->detail[0] = '\0';
}


int
pfh_parse_request(const char *buf, size_t len, pfh_request *req,
                  pfh_header *headers, size_t max_headers,
                  size_t last_len, const pfh_config *cfg, int trusted)
{
    ctx          c;
    framing      fr;
    const char  *lf;
    size_t       scan, line_len, fs, end, from, maxbuf;

    reset(req);
    c.cfg = cfg;
    c.req = req;
    c.trusted = trusted;
    c.line_limit = cfg->limit_request_line;
    if (c.line_limit == 0 || c.line_limit > MAX_REQUEST_LINE) {
        c.line_limit = MAX_REQUEST_LINE;
    }
    c.nfields = cfg->limit_request_fields;
    if (c.nfields == 0 || c.nfields > MAX_HEADERS) {
        c.nfields = MAX_HEADERS;
    }
    c.field_size = cfg->limit_request_field_size;
    if (c.field_size == 0) {
        c.field_size = DEF_FIELD_SIZE;
    }

    /* The request line: a CRLF must come within limit + 2 bytes. */
    scan = len < c.line_limit + 2 ? len : c.line_limit + 2;
    lf = memchr(buf, '\n', scan);
    if (lf == NULL) {
        if (len >= c.line_limit + 2) {
            /* error path only: find the line's real length for the text */
            lf = memchr(buf + scan, '\n', len - scan);
            line_len = lf != NULL && lf[-1] == '\r' ? (size_t) (lf - 1 - buf)
                                                    : len;
            return fail_too_long(&c, buf, scan, line_len);
        }
        return -2;
    }
    if (lf == buf || lf[-1] != '\r') {
        /* A bare LF: gunicorn would wait for a CRLF that never comes (or
         * take the LF into the line); it is malformed either way. */
        return fail_line(&c, buf, (size_t) (lf - buf));
    }
    line_len = (size_t) (lf - 1 - buf);     /* <= limit: LF within scan */
    if (parse_request_line(&c, buf, line_len) != 0) {
        return -1;
    }
    fs = line_len + 2;

    /* The end of the head, scanning only bytes not seen before. */
    from = fs - 2;
    if (last_len > from + 3) {
        from = last_len - 3;
    }
    end = find_head_end(buf, from, len);
    if (end == 0) {
        maxbuf = c.nfields * (c.field_size + 2) + 4;
        if (len - fs > maxbuf) {
            return fail_limit(&c, "max buffer headers");
        }
        return -2;
    }

    memset(&fr, 0, sizeof(fr));
    if (parse_fields(&c, buf + fs, buf + end - 2, headers, max_headers,
                     &fr) != 0)
    {
        return -1;
    }
    if (decide_body(&c, headers, &fr) != 0) {
        return -1;
    }
    if (req->must_close || fr.ka < 0) {
        req->keep_alive = 0;
    } else if (fr.ka > 0) {
        req->keep_alive = 1;
    } else {
        req->keep_alive = req->version_major > 1
                          || (req->version_major == 1
                              && req->version_minor >= 1);
    }
    return (int) end;
}

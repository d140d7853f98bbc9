/*
 * Request-head rules, one table per rule (picohttpparser's PARSE style):
 * each input is parsed at a guard page, whole and as every prefix (which
 * must be partial, or already the same error), and must give the expected
 * outcome.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "guard.h"
#include "suites.h"

#define OK     1              /* complete: the head is the whole input */
#define PART  -2              /* partial */

typedef struct {
    const char  *in;
    int          expect;      /* OK, PART or the status of a -1 */
    unsigned     flags;
    const char  *comment;
} pcase;

static pfh_header  hdrs[40000];


static int
parse(const char *in, size_t len, pfh_request *req, const pfh_config *cfg,
      int trusted, size_t last_len)
{
    char  *p;

    p = guard_put(in, len);
    return pfh_parse_request(p, len, req, hdrs, 40000, last_len, cfg,
                             trusted);
}


static void
run_table(const pcase *t, size_t n, const pfh_config *base, int trusted)
{
    pfh_config   cfg;
    pfh_request  req;
    size_t       i, k, len;
    int          r;

    for (i = 0; i < n; i++) {
        cfg = *base;
        cfg.flags |= t[i].flags;
        len = strlen(t[i].in);
        r = parse(t[i].in, len, &req, &cfg, trusted, 0);
        if (t[i].expect == OK) {
            ck_assert_msg(r == (int) len, "%s: returned %d (status %d: %s)",
                          t[i].comment, r, req.status, req.detail);
        } else if (t[i].expect == PART) {
            ck_assert_msg(r == -2, "%s: returned %d, expected -2",
                          t[i].comment, r);
        } else {
            ck_assert_msg(r == -1 && req.status == t[i].expect,
                          "%s: returned %d status %d, expected %d",
                          t[i].comment, r, req.status, t[i].expect);
            ck_assert(req.error != NULL && req.detail[0] != '\0');
        }
        /* every proper prefix is partial, or fails the same way early */
        for (k = 0; k < len; k++) {
            r = parse(t[i].in, k, &req, &cfg, trusted, k ? k - 1 : 0);
            ck_assert_msg(r == -2 || (r == -1 && req.status == t[i].expect),
                          "%s: prefix %zu returned %d (status %d)",
                          t[i].comment, k, r, req.status);
        }
    }
}


#define RUN(t)  run_table(t, sizeof(t) / sizeof(t[0]), &cfg, 1)


START_TEST(method_rules)
{
    static const pcase  t[] = {
        { "GET / HTTP/1.1\r\n\r\n", OK, 0, "GET" },
        { "GE / HTTP/1.1\r\n\r\n", 400, 0, "2 chars" },
        { "ABCDEFGHIJKLMNOPQRST / HTTP/1.1\r\n\r\n", OK, 0, "20 chars" },
        { "ABCDEFGHIJKLMNOPQRSTU / HTTP/1.1\r\n\r\n", 400, 0, "21 chars" },
        { "get / HTTP/1.1\r\n\r\n", 400, 0, "lower-case" },
        { "get / HTTP/1.1\r\n\r\n", 400, PFH_CASEFOLD_METHOD,
          "casefold alone does not permit lower-case" },
        { "GE# / HTTP/1.1\r\n\r\n", 400, 0, "# refused" },
        { "-BLARGH / HTTP/1.1\r\n\r\n", OK, 0, "token specials" },
        { "GET: / HTTP/1.1\r\n\r\n", 400, 0, "colon" },
        { "GE\x01T / HTTP/1.1\r\n\r\n", 400, 0, "CTL" },
        { "G\xc3\x9f / HTTP/1.1\r\n\r\n", 400, 0, "non-ASCII" },
        { " / HTTP/1.1\r\n\r\n", 400, 0, "empty" },
        { "GE / HTTP/1.1\r\n\r\n", OK, PFH_PERMIT_UNCONVENTIONAL_METHOD,
          "permit: 2 chars" },
        { "g / HTTP/1.1\r\n\r\n", OK, PFH_PERMIT_UNCONVENTIONAL_METHOD,
          "permit: 1 lower-case char" },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n\r\n", OK,
          PFH_PERMIT_UNCONVENTIONAL_METHOD, "permit: 26 chars" },
        { "GE# / HTTP/1.1\r\n\r\n", OK, PFH_PERMIT_UNCONVENTIONAL_METHOD,
          "permit: #" },
        { "GE:T / HTTP/1.1\r\n\r\n", 400, PFH_PERMIT_UNCONVENTIONAL_METHOD,
          "permit: still a token" },
    };
    pfh_config  cfg;

    pfh_config_init(&cfg);
    RUN(t);
}
END_TEST


START_TEST(method_casefold)
{
    pfh_config   cfg;
    pfh_request  req;
    const char  *in = "-blargh /foo HTTP/1.1\r\n\r\n";

    pfh_config_init(&cfg);
    cfg.flags = PFH_PERMIT_UNCONVENTIONAL_METHOD | PFH_CASEFOLD_METHOD;
    ck_assert_int_eq(parse(in, strlen(in), &req, &cfg, 1, 0),
                     (int) strlen(in));
    ck_assert_uint_eq(req.method_len, 7);
    ck_assert_int_eq(memcmp(req.method, "-BLARGH", 7), 0);
    cfg.flags = PFH_PERMIT_UNCONVENTIONAL_METHOD;
    ck_assert_int_eq(parse(in, strlen(in), &req, &cfg, 1, 0),
                     (int) strlen(in));
    ck_assert_int_eq(memcmp(req.method, "-blargh", 7), 0);
}
END_TEST


START_TEST(version_rules)
{
    static const pcase  t[] = {
        { "GET / HTTP/1.0\r\n\r\n", OK, 0, "1.0" },
        { "GET / HTTP/1.1\r\n\r\n", OK, 0, "1.1" },
        { "GET / HTTP/1.9\r\n\r\n", OK, 0, "1.9" },
        { "GET / HTTP/2.0\r\n\r\n", 505, 0, "2.0" },
        { "GET / HTTP/0.9\r\n\r\n", 505, 0, "0.9" },
        { "GET / HTTP/1.10\r\n\r\n", 505, 0, "two digits" },
        { "GET / HTTP/11\r\n\r\n", 505, 0, "no dot" },
        { "GET / http/1.1\r\n\r\n", 505, 0, "lower-case" },
        { "GET / FTP/1.1\r\n\r\n", 505, 0, "FTP" },
        { "GET / HTTP/1.1 \r\n\r\n", 505, 0, "trailing space" },
        { "GET / HTTP/2.0\r\n\r\n", OK, PFH_PERMIT_UNCONVENTIONAL_VERSION,
          "permit: 2.0" },
        { "GET / HTTP/0.9\r\n\r\n", OK, PFH_PERMIT_UNCONVENTIONAL_VERSION,
          "permit: 0.9" },
        { "GET / HTTP/1.10\r\n\r\n", 505, PFH_PERMIT_UNCONVENTIONAL_VERSION,
          "permit: still one digit each" },
    };
    pfh_config  cfg;

    pfh_config_init(&cfg);
    RUN(t);
}
END_TEST


START_TEST(request_line_rules)
{
    static const pcase  t[] = {
        { "\r\nGET / HTTP/1.1\r\n\r\n", 400, 0, "leading CRLF" },
        { "GET / HTTP/1.1\n\n", 400, 0, "LF only" },
        { "GET\n/\nHTTP/1.1\r\n\r\n", 400, 0, "LF separators" },
        { "GET  / HTTP/1.1\r\n\r\n", 400, 0, "two spaces" },
        { "GET /\r\n\r\n", 400, 0, "two parts" },
        { "GET\t/ HTTP/1.1\r\n\r\n", 400, 0, "HTAB separator" },
        { "GET /a\x01 HTTP/1.1\r\n\r\n", 400, 0, "CTL in target" },
        { "GET /a\x7f HTTP/1.1\r\n\r\n", 400, 0, "DEL in target" },
        { "GET /\xc3\xa0 HTTP/1.1\r\n\r\n", OK, 0, "raw UTF-8 in target" },
        { "OPTIONS * HTTP/1.1\r\n\r\n", OK, 0, "asterisk-form" },
        { "GET * HTTP/1.1\r\n\r\n", 400, 0, "asterisk not OPTIONS" },
        { "CONNECT example.com:443 HTTP/1.1\r\n\r\n", OK, 0,
          "authority-form" },
        { "GET example.com:443 HTTP/1.1\r\n\r\n", 400, 0,
          "authority-form not CONNECT" },
        { "GET foo/bar HTTP/1.1\r\n\r\n", 400, 0, "relative" },
        { "GET http://a.example/b?c#d HTTP/1.1\r\n\r\n", OK, 0, "absolute" },
        { "GET http://[::1/ HTTP/1.1\r\n\r\n", 400, 0, "unclosed bracket" },
        { "GET http://[zz]/ HTTP/1.1\r\n\r\n", 400, 0, "not IPv6" },
        { "GET s://]x/ HTTP/1.1\r\n\r\n", 400, 0, "lone ]" },
        { "GET //a/b HTTP/1.1\r\n\r\n", OK, 0, "double slash path" },
        { "GET http://a@[::1]:80/ HTTP/1.1\r\n\r\n", OK, 0, "userinfo, IPv6" },
        { "GET http://[v1.x]/ HTTP/1.1\r\n\r\n", OK, 0, "IPvFuture" },
        { "GET http://[fe80::1%25eth0]/ HTTP/1.1\r\n\r\n", OK, 0, "scope" },
        { "GET http://[V1.x]/ HTTP/1.1\r\n\r\n", 400, 0, "IPvFuture is 'v'" },
        { "GET http://[v.x]/ HTTP/1.1\r\n\r\n", 400, 0, "IPvFuture hex" },
        { "GET http://[1.2.3.4]/ HTTP/1.1\r\n\r\n", 400, 0, "IPv4 in []" },
        { "GET http://[::1]x/ HTTP/1.1\r\n\r\n", 400, 0, "after ]" },
        { "GET http://x[::1]/ HTTP/1.1\r\n\r\n", 400, 0, "before [" },
        { "GET http://[::1]:@080/ HTTP/1.1\r\n\r\n", 400, 0,
          "brackets, then a host after @ that is no IP" },
        { "GET /[::1] HTTP/1.1\r\n\r\n", OK, 0, "brackets in a path" },
    };
    pfh_config  cfg;

    pfh_config_init(&cfg);
    RUN(t);
}
END_TEST


static void
check_split(const char *target, const char *path, const char *query,
            const char *frag)
{
    pfh_config   cfg;
    pfh_request  req;
    char         in[256];
    int          n;

    pfh_config_init(&cfg);
    n = snprintf(in, sizeof(in), "GET %s HTTP/1.1\r\n\r\n", target);
    ck_assert_int_eq(parse(in, (size_t) n, &req, &cfg, 1, 0), n);
    ck_assert_msg(req.path_len == strlen(path)
                  && memcmp(req.path, path, req.path_len) == 0,
                  "%s: path '%.*s'", target, (int) req.path_len, req.path);
    ck_assert_msg(req.query_len == strlen(query)
                  && memcmp(req.query, query, req.query_len) == 0,
                  "%s: query '%.*s'", target, (int) req.query_len,
                  req.query);
    ck_assert_msg(req.fragment_len == strlen(frag)
                  && memcmp(req.fragment, frag, req.fragment_len) == 0,
                  "%s: fragment", target);
}


START_TEST(target_split)
{
    check_split("/a/b?c=d#e", "/a/b", "c=d", "e");
    check_split("/a#b?c", "/a", "", "b?c");
    check_split("/?", "/", "", "");
    check_split("///x?y", "///x", "y", "");
    check_split("http://h.example:80/p?q", "/p", "q", "");
    check_split("https://u:p@h.example", "", "", "");
    check_split("http://[::1]:8080/foo", "/foo", "", "");
}
END_TEST


START_TEST(line_limits)
{
    pfh_config   cfg;
    pfh_request  req;
    char        *in;
    size_t       n;
    int          r;

    pfh_config_init(&cfg);
    in = malloc(20000);

    /* 4094 bytes of request line: accepted; 4095: a long target -> 414 */
    n = 4094 - strlen("GET  HTTP/1.1");
    memcpy(in, "GET /", 5);
    memset(in + 5, 'a', n - 1);
    memcpy(in + 4 + n, " HTTP/1.1\r\n\r\n", 13);
    ck_assert_int_eq(parse(in, 4094 + 4, &req, &cfg, 1, 0), 4094 + 4);
    memset(in + 5, 'a', n);
    memcpy(in + 5 + n, " HTTP/1.1\r\n\r\n", 13);
    r = parse(in, 4095 + 4, &req, &cfg, 1, 0);
    ck_assert_int_eq(r, -1);
    ck_assert_int_eq(req.status, 414);
    ck_assert_str_eq(req.detail, "Request Line is too large (4095 > 4094)");

    /* still incomplete but already too long: 414 at once */
    r = parse(in, 4096, &req, &cfg, 1, 0);
    ck_assert_int_eq(r, -1);
    ck_assert_int_eq(req.status, 414);

    /* a short target with garbage after it: 400, not 414 */
    memcpy(in, "GET / HTTP/1.1", 14);
    memset(in + 14, 'x', 5000);
    memcpy(in + 5014, "\r\n\r\n", 4);
    r = parse(in, 5018, &req, &cfg, 1, 0);
    ck_assert_int_eq(r, -1);
    ck_assert_int_eq(req.status, 400);
    ck_assert_str_eq(req.detail, "Request Line is too large (5014 > 4094)");

    /* a huge method: 400 */
    memset(in, 'G', 5000);
    memcpy(in + 5000, " / HTTP/1.1\r\n\r\n", 15);
    r = parse(in, 5015, &req, &cfg, 1, 0);
    ck_assert_int_eq(r, -1);
    ck_assert_int_eq(req.status, 400);

    /* 0 = unlimited, capped at 8190 */
    cfg.limit_request_line = 0;
    memcpy(in, "GET /", 5);
    memset(in + 5, 'a', 8190 - 14);
    memcpy(in + 8190 - 9, " HTTP/1.1\r\n\r\n", 13);
    ck_assert_int_eq(parse(in, 8194, &req, &cfg, 1, 0), 8194);
    memset(in + 5, 'a', 8191 - 14);
    memcpy(in + 8191 - 9, " HTTP/1.1\r\n\r\n", 13);
    r = parse(in, 8195, &req, &cfg, 1, 0);
    ck_assert_int_eq(r, -1);
    ck_assert_int_eq(req.status, 414);
    cfg.limit_request_line = 100000;
    r = parse(in, 8195, &req, &cfg, 1, 0);
    ck_assert_int_eq(req.status, 414);

    /* a custom limit */
    cfg.limit_request_line = 20;
    ck_assert_int_eq(parse("GET /abcdef HTTP/1.1\r\n\r\n", 24, &req, &cfg,
                           1, 0), 24);
    r = parse("GET /abcdefg HTTP/1.1\r\n\r\n", 25, &req, &cfg, 1, 0);
    ck_assert_int_eq(r, -1);
    ck_assert_int_eq(req.status, 414);
    free(in);
}
END_TEST


/* A request with n fields "Xi: v" and optional extra text. */
static size_t
build(char *buf, size_t nfields, const char *extra)
{
    size_t  o, i;

    o = (size_t) sprintf(buf, "GET / HTTP/1.1\r\n");
    for (i = 0; i < nfields; i++) {
        o += (size_t) sprintf(buf + o, "X%zu: v\r\n", i);
    }
    o += (size_t) sprintf(buf + o, "%s\r\n", extra);
    return o;
}


START_TEST(field_limits)
{
    pfh_config   cfg;
    pfh_request  req;
    char        *in;
    size_t       n;
    int          r;

    pfh_config_init(&cfg);
    in = malloc(600000);

    n = build(in, 100, "");
    ck_assert_int_eq(parse(in, n, &req, &cfg, 1, 0), (int) n);
    ck_assert_uint_eq(req.num_headers, 100);
    n = build(in, 101, "");
    ck_assert_int_eq(parse(in, n, &req, &cfg, 1, 0), -1);
    ck_assert_int_eq(req.status, 431);

    /* dropped underscore fields count too (gunicorn does not count them) */
    n = build(in, 100, "X_Y: z\r\n");
    ck_assert_int_eq(parse(in, n, &req, &cfg, 1, 0), -1);
    ck_assert_int_eq(req.status, 431);

    cfg.limit_request_fields = 2;
    n = build(in, 2, "");
    ck_assert_int_eq(parse(in, n, &req, &cfg, 1, 0), (int) n);
    n = build(in, 3, "");
    ck_assert_int_eq(parse(in, n, &req, &cfg, 1, 0), -1);
    ck_assert_int_eq(req.status, 431);

    /* 0 and > 32768 mean 32768 */
    cfg.limit_request_fields = 0;
    n = build(in, 32768, "");
    ck_assert_int_eq(parse(in, n, &req, &cfg, 1, 0), (int) n);
    n = build(in, 32769, "");
    ck_assert_int_eq(parse(in, n, &req, &cfg, 1, 0), -1);
    ck_assert_int_eq(req.status, 431);
    cfg.limit_request_fields = 100000;
    ck_assert_int_eq(parse(in, n, &req, &cfg, 1, 0), -1);
    ck_assert_int_eq(req.status, 431);

    /* the caller's array is smaller than the limit: 431, never overflow */
    pfh_config_init(&cfg);
    n = build(in, 10, "");
    r = pfh_parse_request(guard_put(in, n), n, &req, hdrs, 9, 0, &cfg, 1);
    ck_assert_int_eq(r, -1);
    ck_assert_int_eq(req.status, 431);

    /* field size: line + CRLF <= limit */
    cfg.limit_request_field_size = 10;
    strcpy(in, "GET / HTTP/1.1\r\nAb: 1234\r\n\r\n");
    ck_assert_int_eq(parse(in, strlen(in), &req, &cfg, 1, 0),
                     (int) strlen(in));
    strcpy(in, "GET / HTTP/1.1\r\nAb: 12345\r\n\r\n");
    ck_assert_int_eq(parse(in, strlen(in), &req, &cfg, 1, 0), -1);
    ck_assert_int_eq(req.status, 431);

    /* 0 means 8190, not unlimited */
    cfg.limit_request_field_size = 0;
    n = (size_t) sprintf(in, "GET / HTTP/1.1\r\nX: ");
    memset(in + n, 'y', 8188 - 3);
    n += 8188 - 3;
    memcpy(in + n, "\r\n\r\n", 4);
    ck_assert_int_eq(parse(in, n + 4, &req, &cfg, 1, 0), (int) n + 4);
    n = (size_t) sprintf(in, "GET / HTTP/1.1\r\nX: ");
    memset(in + n, 'y', 8188 - 2);
    n += 8188 - 2;
    memcpy(in + n, "\r\n\r\n", 4);
    ck_assert_int_eq(parse(in, n + 4, &req, &cfg, 1, 0), -1);
    ck_assert_int_eq(req.status, 431);

    /* an unfinished head bigger than fields * (size + 2) + 4: 431 early */
    pfh_config_init(&cfg);
    cfg.limit_request_fields = 2;
    cfg.limit_request_field_size = 10;
    n = (size_t) sprintf(in, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC:");
    memset(in + n, 'z', 40);
    ck_assert_int_eq(parse(in, 16 + 28, &req, &cfg, 1, 0), -2);
    ck_assert_int_eq(parse(in, 16 + 29, &req, &cfg, 1, 0), -1);
    ck_assert_int_eq(req.status, 431);
    free(in);
}
END_TEST


START_TEST(field_syntax)
{
    static const pcase  t[] = {
        { "GET / HTTP/1.1\r\nA: b\r\n\r\n", OK, 0, "plain" },
        { "GET / HTTP/1.1\r\nA:b\r\n\r\n", OK, 0, "no OWS" },
        { "GET / HTTP/1.1\r\nA:\r\n\r\n", OK, 0, "empty value" },
        { "GET / HTTP/1.1\r\nX.Custom|Pipe: 1\r\n\r\n", OK, 0, "specials" },
        { "GET / HTTP/1.1\r\nA : b\r\n\r\n", 400, 0, "space before colon" },
        { "GET / HTTP/1.1\r\nA\t: b\r\n\r\n", 400, 0, "tab before colon" },
        { "GET / HTTP/1.1\r\nA : b\r\n\r\n", OK, PFH_STRIP_HEADER_SPACES,
          "strip_header_spaces" },
        { "GET / HTTP/1.1\r\n: b\r\n\r\n", 400, 0, "empty name" },
        { "GET / HTTP/1.1\r\nA b\r\n\r\n", 400, 0, "no colon" },
        { "GET / HTTP/1.1\r\n A: b\r\n\r\n", 400, 0, "leading space" },
        { "GET / HTTP/1.1\r\nA\x01: b\r\n\r\n", 400, 0, "CTL in name" },
        { "GET / HTTP/1.1\r\nA\xdf: b\r\n\r\n", 400, 0, "non-ASCII name" },
        { "GET / HTTP/1.1\r\nA: b\tc\r\n\r\n", OK, 0, "HTAB in value" },
        { "GET / HTTP/1.1\r\nA: caf\xc3\xa9\x80\xff\r\n\r\n", OK, 0,
          "obs-text" },
        { "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400, 0, "bare CR" },
        { "GET / HTTP/1.1\r\nA: b\nc\r\n\r\n", 400, 0, "bare LF" },
        { "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 400, 0, "obs-fold" },
        { "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", 400, 0, "obs-fold HTAB" },
        { "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", OK,
          PFH_PERMIT_OBSOLETE_FOLDING, "permitted obs-fold" },
        { "GET / HTTP/1.1\r\nContent-Length: 1\r\n 2\r\n\r\n", 400,
          PFH_PERMIT_OBSOLETE_FOLDING, "folded Content-Length" },
        { "GET / HTTP/1.1\r\nConnection: a\r\n close\r\n\r\n", 400,
          PFH_PERMIT_OBSOLETE_FOLDING, "folded Connection" },
        { "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, 0,
          "duplicate Host" },
        { "GET / HTTP/1.1\r\nContent-Type: a\r\ncontent-type: b\r\n\r\n", 400,
          0, "duplicate Content-Type" },
        { "GET / HTTP/1.1\r\nIf-Match: a\r\nIf-Match: b\r\n\r\n", OK, 0,
          "duplicate If-Match kept" },
    };
    pfh_config  cfg;
    char        in[64];
    int         ch;
    pcase       one[1];

    pfh_config_init(&cfg);
    RUN(t);

    /* every CTL but HTAB is refused in a value; every other byte kept */
    for (ch = 0; ch < 256; ch++) {
        snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nA: x%cy\r\n\r\n", ch);
        one[0].in = in;
        one[0].flags = 0;
        one[0].comment = "value byte";
        one[0].expect = (ch < 0x20 && ch != '\t') || ch == 0x7f ? 400 : OK;
        if (ch == 0) {
            pfh_request  req;
            ck_assert_int_eq(parse(in, 26, &req, &cfg, 1, 0), -1);
            ck_assert_int_eq(req.status, 400);
            continue;
        }
        run_table(one, 1, &cfg, 1);
    }
}
END_TEST


/* Long values go through the 16-byte scan: a forbidden byte at any offset
 * is found, and allowed bytes at any offset are not mistaken for one. */
START_TEST(long_values)
{
    static const unsigned char  badb[] = { 0x00, 0x01, 0x0a, 0x0d, 0x1f,
                                           0x7f };
    static const unsigned char  okb[] = { '\t', ' ', 0x20, 0x7e, 0x80, 0x9f,
                                          0xff };
    pfh_config   cfg;
    pfh_request  req;
    char         in[256];
    size_t       pos, k, n, want;
    int          r;

    pfh_config_init(&cfg);
    for (pos = 0; pos < 70; pos++) {
        for (k = 0; k < sizeof(badb) + sizeof(okb); k++) {
            n = (size_t) sprintf(in, "GET / HTTP/1.1\r\nA: ");
            memset(in + n, 'v', 70);
            in[n + pos] = (char) (k < sizeof(badb) ? badb[k]
                                                   : okb[k - sizeof(badb)]);
            n += 70;
            memcpy(in + n, "v\r\nB: w\r\n\r\n", 11);
            n += 11;
            r = parse(in, n, &req, &cfg, 1, 0);
            if (k < sizeof(badb)) {
                ck_assert_msg(r == -1 && req.status == 400,
                              "byte %#x at %zu: %d", badb[k], pos, r);
            } else {
                want = pos == 0 && (okb[k - sizeof(badb)] == ' '
                                    || okb[k - sizeof(badb)] == '\t')
                       ? 70 : 71;
                ck_assert_msg(r == (int) n && req.num_headers == 2
                              && hdrs[0].value_len == want,
                              "byte %#x at %zu: %d", okb[k - sizeof(badb)],
                              pos, r);
            }
        }
    }
}
END_TEST


START_TEST(field_views)
{
    pfh_config   cfg;
    pfh_request  req;
    const char  *in = "GET / HTTP/1.1\r\nHost:  a.example \t\r\n"
                      "X-Long: one \r\n  two\r\n\tthree\r\nB:\r\n\r\n";
    int          n = (int) strlen(in);

    pfh_config_init(&cfg);
    cfg.flags = PFH_PERMIT_OBSOLETE_FOLDING;
    ck_assert_int_eq(parse(in, (size_t) n, &req, &cfg, 1, 0), n);
    ck_assert_uint_eq(req.num_headers, 5);
    ck_assert_int_eq(hdrs[0].name_len, 4);
    ck_assert_int_eq(memcmp(hdrs[0].name, "Host", 4), 0);
    ck_assert_int_eq(hdrs[0].value_len, 9);
    ck_assert_int_eq(memcmp(hdrs[0].value, "a.example", 9), 0);
    ck_assert_int_eq(memcmp(hdrs[1].value, "one", hdrs[1].value_len), 0);
    ck_assert_ptr_null(hdrs[2].name);
    ck_assert_int_eq(memcmp(hdrs[2].value, "two", hdrs[2].value_len), 0);
    ck_assert_ptr_null(hdrs[3].name);
    ck_assert_int_eq(memcmp(hdrs[3].value, "three", 5), 0);
    ck_assert_int_eq(hdrs[4].value_len, 0);
}
END_TEST


typedef struct {
    const char  *fields;
    int          expect;          /* OK or a status */
    int          body;
    uint64_t     clen;
    int          must_close;
    const char  *comment;
} fcase;


static void
run_framing(const fcase *t, size_t n, const char *version)
{
    pfh_config   cfg;
    pfh_request  req;
    char         in[512];
    size_t       i;
    int          len, r;

    pfh_config_init(&cfg);
    for (i = 0; i < n; i++) {
        len = snprintf(in, sizeof(in), "POST / HTTP/%s\r\n%s\r\n", version,
                       t[i].fields);
        r = parse(in, (size_t) len, &req, &cfg, 1, 0);
        if (t[i].expect == OK) {
            ck_assert_msg(r == len, "%s: %d (%d %s)", t[i].comment, r,
                          req.status, req.detail);
            ck_assert_msg(req.body == t[i].body, "%s: body %d",
                          t[i].comment, req.body);
            ck_assert_msg(req.content_length == t[i].clen, "%s: length",
                          t[i].comment);
            ck_assert_msg(req.must_close == (unsigned) t[i].must_close,
                          "%s: must_close", t[i].comment);
        } else {
            ck_assert_msg(r == -1 && req.status == t[i].expect,
                          "%s: %d status %d, expected %d", t[i].comment, r,
                          req.status, t[i].expect);
        }
    }
}


#define FRAMING(t, v)  run_framing(t, sizeof(t) / sizeof(t[0]), v)


START_TEST(content_length_forms)
{
    static const fcase  t[] = {
        { "Content-Length: 0\r\n", OK, PFH_BODY_LENGTH, 0, 0, "0" },
        { "Content-Length: 12\r\n", OK, PFH_BODY_LENGTH, 12, 0, "12" },
        { "Content-Length: 0012\r\n", OK, PFH_BODY_LENGTH, 12, 0, "0012" },
        { "content-length:  7 \r\n", OK, PFH_BODY_LENGTH, 7, 0, "OWS" },
        { "Content-Length: 9223372036854775807\r\n", OK, PFH_BODY_LENGTH,
          9223372036854775807ull, 0, "2^63-1" },
        { "Content-Length: 99999999999999999999999\r\n", 400, 0, 0, 0,
          "overflow" },
        { "Content-Length: +1\r\n", 400, 0, 0, 0, "+1" },
        { "Content-Length: -1\r\n", 400, 0, 0, 0, "-1" },
        { "Content-Length: -0\r\n", 400, 0, 0, 0, "-0" },
        { "Content-Length: 0_1\r\n", 400, 0, 0, 0, "0_1" },
        { "Content-Length: 0x10\r\n", 400, 0, 0, 0, "hex" },
        { "Content-Length: 1 1\r\n", 400, 0, 0, 0, "1 1" },
        { "Content-Length: 5, 5\r\n", 400, 0, 0, 0, "list" },
        { "Content-Length: \r\n", 400, 0, 0, 0, "empty" },
        { "Content-Length: \xb2\r\n", 400, 0, 0, 0, "superscript two" },
        { "Content-Length: 5\r\nContent-Length: 5\r\n", 400, 0, 0, 0,
          "identical duplicates" },
        { "Content-Length: 3\r\nContent-Length: 2\r\n", 400, 0, 0, 0,
          "different duplicates" },
        { "", OK, PFH_BODY_NONE, 0, 0, "no framing" },
        { "Content_Length: 5\r\n", OK, PFH_BODY_NONE, 0, 0,
          "underscore twin dropped" },
    };

    FRAMING(t, "1.1");
}
END_TEST


START_TEST(transfer_encoding_lists)
{
    static const fcase  t[] = {
        { "Transfer-Encoding: chunked\r\n", OK, PFH_BODY_CHUNKED, 0, 0,
          "chunked" },
        { "Transfer-Encoding: CHUNKED\r\n", OK, PFH_BODY_CHUNKED, 0, 0,
          "case" },
        { "Transfer-Encoding: gzip, chunked\r\n", OK, PFH_BODY_CHUNKED, 0, 1,
          "gzip, chunked" },
        { "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", OK,
          PFH_BODY_CHUNKED, 0, 1, "two lines" },
        { "Transfer-Encoding: identity, chunked\r\n", OK, PFH_BODY_CHUNKED, 0,
          0, "identity, chunked" },
        { "Transfer-Encoding: deflate,compress ,\tchunked\r\n", OK,
          PFH_BODY_CHUNKED, 0, 1, "OWS in list" },
        { "Transfer-Encoding: gzip\r\n", OK, PFH_BODY_NONE, 0, 1,
          "gzip alone: no body, close" },
        { "Transfer-Encoding: chunked, gzip\r\n", 400, 0, 0, 0,
          "chunked not last" },
        { "Transfer-Encoding: chunked, chunked\r\n", 400, 0, 0, 0,
          "chunked twice" },
        { "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 400,
          0, 0, 0, "chunked twice, two lines" },
        { "Transfer-Encoding: chunked, identity\r\n", 400, 0, 0, 0,
          "identity after chunked" },
        { "Transfer-Encoding: foo\r\n", 501, 0, 0, 0, "unknown" },
        { "Transfer-Encoding: \r\n", 501, 0, 0, 0, "empty" },
        { "Transfer-Encoding: chunked,\r\n", 501, 0, 0, 0, "empty item" },
        { "Transfer-Encoding: \x85" "chunked\r\n", 501, 0, 0, 0,
          "\\x85 is not whitespace (gunicorn #3364)" },
        { "Transfer-Encoding: chunked\xa0\r\n", 501, 0, 0, 0,
          "\\xa0 is not whitespace (gunicorn #3364)" },
        { "Transfer-Encoding: \xa0" "chunked\x85\r\n", 501, 0, 0, 0,
          "both" },
        { "Transfer-Encoding: \x0b" "chunked\r\n", 400, 0, 0, 0,
          "VT is a CTL" },
        { "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", 400, 0, 0, 0,
          "CL + TE" },
        { "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", 400, 0, 0, 0,
          "TE + CL" },
        { "Transfer-Encoding: identity\r\nContent-Length: 3\r\n", OK,
          PFH_BODY_LENGTH, 3, 0, "identity + CL" },
        { "Transfer-Encoding: foo\r\nBad Field\r\n", 400, 0, 0, 0,
          "field errors come first" },
    };
    static const fcase  t10[] = {
        { "Transfer-Encoding: chunked\r\n", 400, 0, 0, 0, "chunked on 1.0" },
        { "Content-Length: 2\r\n", OK, PFH_BODY_LENGTH, 2, 0, "CL on 1.0" },
    };

    FRAMING(t, "1.1");
    FRAMING(t10, "1.0");
}
END_TEST


static pfh_request
one(const char *in, int trusted, const pfh_config *cfg)
{
    pfh_request  req;
    int          r;

    r = parse(in, strlen(in), &req, cfg, trusted, 0);
    ck_assert_msg(r == (int) strlen(in) || r == -1, "%s: %d", in, r);
    if (r > 0) {
        req.status = 0;
    }
    return req;
}


START_TEST(expect_rules)
{
    pfh_config   cfg;
    pfh_request  req;

    pfh_config_init(&cfg);
    req = one("POST / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.status, 0);
    ck_assert_uint_eq(req.expect_continue, 1);
    req = one("POST / HTTP/1.1\r\nExpect: 100-Continue \r\n\r\n", 1, &cfg);
    ck_assert_uint_eq(req.expect_continue, 1);
    req = one("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.status, 0);
    ck_assert_uint_eq(req.expect_continue, 0);
    req = one("POST / HTTP/1.1\r\n\r\n", 1, &cfg);
    ck_assert_uint_eq(req.expect_continue, 0);
    req = one("POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.status, 417);
    ck_assert_str_eq(req.detail,
                     "Unable to comply with expectation: '200-ok'");
    req = one("POST / HTTP/1.0\r\nExpect: foo\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.status, 417);
}
END_TEST


START_TEST(connection_tokens)
{
    static const struct {
        const char  *in;
        int          ka, upgrade;
    } t[] = {
        { "GET / HTTP/1.1\r\n\r\n", 1, 0 },
        { "GET / HTTP/1.0\r\n\r\n", 0, 0 },
        { "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1, 0 },
        { "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1, 0 },
        { "GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 0, 0 },
        { "GET / HTTP/1.1\r\nConnection: Close\r\n\r\n", 0, 0 },
        { "GET / HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\n\r\n", 1, 1 },
        { "GET / HTTP/1.0\r\nConnection: Upgrade,keep-alive\r\n\r\n", 1, 1 },
        { "GET / HTTP/1.1\r\nConnection: upgrade\r\n\r\n", 1, 1 },
        { "GET / HTTP/1.1\r\nConnection: keep-alive, close\r\n\r\n", 0, 0 },
        { "GET / HTTP/1.1\r\nConnection: x\r\nConnection: close\r\n\r\n",
          0, 0 },
        { "GET / HTTP/1.0\r\nConnection: x, keep-alive\r\n\r\n", 1, 0 },
        { "GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", 1, 0 },
        { "GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
          "Connection: keep-alive\r\n\r\n", 0, 0 },
    };
    pfh_config   cfg;
    pfh_request  req;
    size_t       i;

    pfh_config_init(&cfg);
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        req = one(t[i].in, 1, &cfg);
        ck_assert_msg(req.status == 0 && req.keep_alive == (unsigned) t[i].ka
                      && req.upgrade == (unsigned) t[i].upgrade,
                      "case %zu: ka %d upgrade %d", i, req.keep_alive,
                      req.upgrade);
    }
}
END_TEST


static int
has_field(const pfh_request *req, const char *name)
{
    size_t  i;

    for (i = 0; i < req->num_headers; i++) {
        if (hdrs[i].name && hdrs[i].name_len == strlen(name)
            && memcmp(hdrs[i].name, name, hdrs[i].name_len) == 0)
        {
            return 1;
        }
    }
    return 0;
}


START_TEST(underscore_policy)
{
    static const char  *in = "GET / HTTP/1.1\r\nX_Foo: 1\r\n"
                             "SCRIPT_NAME: /app\r\nA: 2\r\n\r\n";
    pfh_config   cfg;
    pfh_request  req;

    pfh_config_init(&cfg);

    /* drop (default): untrusted loses both, trusted keeps SCRIPT_NAME */
    req = one(in, 0, &cfg);
    ck_assert_int_eq(req.status, 0);
    ck_assert_uint_eq(req.num_headers, 1);
    ck_assert(has_field(&req, "A"));
    req = one(in, 1, &cfg);
    ck_assert_uint_eq(req.num_headers, 2);
    ck_assert(has_field(&req, "SCRIPT_NAME"));
    ck_assert(!has_field(&req, "X_Foo"));

    /* refuse: 400, unless the trusted forwarder list covers the name */
    cfg.header_map = PFH_HEADER_MAP_REFUSE;
    req = one(in, 0, &cfg);
    ck_assert_int_eq(req.status, 400);
    req = one(in, 1, &cfg);
    ck_assert_int_eq(req.status, 400);     /* X_Foo is not a forwarder */
    req = one("GET / HTTP/1.1\r\nscript_name: /x\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.status, 0);
    req = one("GET / HTTP/1.1\r\nscript_name: /x\r\n\r\n", 0, &cfg);
    ck_assert_int_eq(req.status, 400);

    /* dangerous: everything kept */
    cfg.header_map = PFH_HEADER_MAP_DANGEROUS;
    req = one(in, 0, &cfg);
    ck_assert_uint_eq(req.num_headers, 3);

    /* "*": any underscore name from a trusted peer */
    cfg.header_map = PFH_HEADER_MAP_DROP;
    cfg.forwarder_headers = "*";
    req = one(in, 1, &cfg);
    ck_assert_uint_eq(req.num_headers, 3);
    req = one(in, 0, &cfg);
    ck_assert_uint_eq(req.num_headers, 1);
    cfg.forwarder_headers = " x_foo ,REMOTE_USER";
    req = one(in, 1, &cfg);
    ck_assert_uint_eq(req.num_headers, 2);
    ck_assert(has_field(&req, "X_Foo"));
}
END_TEST


START_TEST(scheme_headers)
{
    pfh_config   cfg;
    pfh_request  req;

    pfh_config_init(&cfg);
    req = one("GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.url_scheme, PFH_SCHEME_HTTPS);
    req = one("GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n\r\n", 0, &cfg);
    ck_assert_int_eq(req.status, 0);
    ck_assert_int_eq(req.url_scheme, PFH_SCHEME_NONE);
    req = one("GET / HTTP/1.1\r\nx-forwarded-ssl: off\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.url_scheme, PFH_SCHEME_HTTP);
    req = one("GET / HTTP/1.1\r\nX-Forwarded-Proto: HTTPS\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.url_scheme, PFH_SCHEME_HTTP);
    req = one("GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n"
              "X-Forwarded-Ssl: on\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.url_scheme, PFH_SCHEME_HTTPS);
    req = one("GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n"
              "X-Forwarded-Ssl: off\r\n\r\n", 1, &cfg);
    ck_assert_int_eq(req.status, 400);
    ck_assert_str_eq(req.detail, "Contradictory scheme headers");
    req = one("GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n"
              "X-Forwarded-Ssl: off\r\n\r\n", 0, &cfg);
    ck_assert_int_eq(req.status, 0);
}
END_TEST


/* The error messages are gunicorn's error-page texts. */
START_TEST(error_messages)
{
    pfh_config   cfg;
    pfh_request  req;

    pfh_config_init(&cfg);
    req = one("GET HTTP/1.1\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid Request Line 'Invalid HTTP request "
                     "line: 'GET HTTP/1.1''");
    req = one("get / HTTP/1.1\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid Method 'Invalid HTTP method: "
                     "'get''");
    req = one("GET / HTTP/2.0\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid HTTP Version 'Invalid HTTP "
                     "Version: (2, 0)'");
    req = one("GET / FTP/1.1\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid HTTP Version 'Invalid HTTP "
                     "Version: 'FTP/1.1''");
    req = one("GET / HTTP/1.1\r\nA B\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid HTTP Header: 'A B'");
    req = one("GET / HTTP/1.1\r\nA B: c\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid HTTP header name: 'A B'");
    req = one("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid HTTP Header: 'HOST'");
    req = one("GET / HTTP/1.1\r\nTransfer-Encoding: x\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Unsupported transfer coding: 'x'");
    req = one("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail,
                     "Obsolete line folding is unacceptable: 'A'");
    /* quoting as Python's repr() */
    req = one("ge'T / HTTP/1.1\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid Method 'Invalid HTTP method: "
                     "\"ge'T\"'");
    req = one("GET / HTTP/1.1\r\nA\\: b\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid HTTP header name: 'A\\\\'");
    req = one("GET / HTTP/1.1\r\nA: b\001\n\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail, "Invalid HTTP Header: 'A'");
    req = one("GET / HTTP/1.1\r\nA\tB\nC\rD\001\x85\xc3\r\n\r\n", 1,
              &cfg);
    ck_assert_str_eq(req.detail, "Invalid HTTP Header: "
                     "'A\\tB\\nC\\rD\\x01\\x85\xc3'");
    {
        char  in[400];

        memset(in, 'g', 300);
        memcpy(in + 300, " / HTTP/1.1\r\n\r\n", 16);
        in[316] = '\0';
        req = one(in, 1, &cfg);
        ck_assert_int_eq(req.status, 400);
        ck_assert_uint_lt(strlen(req.detail), sizeof(req.detail));
        ck_assert_ptr_nonnull(strstr(req.detail, "gggg...'"));
    }
    cfg.limit_request_fields = 1;
    req = one("GET / HTTP/1.1\r\nA: b\r\nC: d\r\n\r\n", 1, &cfg);
    ck_assert_str_eq(req.detail,
                     "Error parsing headers: 'limit request headers fields'");
}
END_TEST


/* last_len: the end-of-head scan resumes where the previous call stopped,
 * however the CRLF CRLF is split. */
START_TEST(last_len_resume)
{
    static const char  *in = "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n";
    pfh_config   cfg;
    pfh_request  req;
    size_t       len = strlen(in), k, j;

    pfh_config_init(&cfg);
    for (k = 1; k < len; k++) {
        for (j = 0; j <= k; j++) {
            ck_assert_int_eq(parse(in, k, &req, &cfg, 1, j), -2);
        }
        ck_assert_int_eq(parse(in, len, &req, &cfg, 1, k), (int) len);
        ck_assert_uint_eq(req.num_headers, 2);
    }
    /* a pipelined request after the head is not part of it */
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\n\r\nGET /", 23, &req, &cfg, 1,
                           0), 18);
}
END_TEST


Suite *
parser_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("parser");
    tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, method_rules);
    tcase_add_test(tc, method_casefold);
    tcase_add_test(tc, version_rules);
    tcase_add_test(tc, request_line_rules);
    tcase_add_test(tc, target_split);
    tcase_add_test(tc, line_limits);
    tcase_add_test(tc, field_limits);
    tcase_add_test(tc, field_syntax);
    tcase_add_test(tc, long_values);
    tcase_add_test(tc, field_views);
    tcase_add_test(tc, content_length_forms);
    tcase_add_test(tc, transfer_encoding_lists);
    tcase_add_test(tc, expect_rules);
    tcase_add_test(tc, connection_tokens);
    tcase_add_test(tc, underscore_policy);
    tcase_add_test(tc, scheme_headers);
    tcase_add_test(tc, error_messages);
    tcase_add_test(tc, last_len_resume);
    suite_add_tcase(s, tc);
    return s;
}

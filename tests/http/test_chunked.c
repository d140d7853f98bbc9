/*
 * The chunked decoder: every body whole and byte by byte (each call's input
 * at a guard page), the decoded bytes, the leftover, the trailers, and each
 * framing error.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "guard.h"
#include "suites.h"

typedef struct {
    const char  *in;
    ssize_t      in_len;      /* -1: strlen */
    int          expect;      /* 0 complete, -2 partial at EOF, or status */
    const char  *body;
    const char  *left;        /* bytes after the body (complete only) */
    unsigned     flags;
    const char  *comment;
} ccase;

typedef struct {
    int      r;               /* 0 complete, -2 needs more, -1 error */
    int      status;
    char     body[4096];
    size_t   blen;
    char     left[256];
    size_t   llen;
    char     trailers[1024];
    size_t   tlen;
} outcome;


/* Feed `in` in pieces of `step` bytes (0: whole). */
static outcome
decode(const char *in, size_t len, size_t step, const pfh_config *cfg)
{
    pfh_chunked  d;
    outcome      o;
    size_t       pos = 0, n, piece;
    char        *p;
    ssize_t      r;

    memset(&o, 0, sizeof(o));
    memset(&d, 0, sizeof(d));
    d.trailer_buf = o.trailers;
    d.trailer_cap = sizeof(o.trailers);
    o.r = -2;
    while (pos < len) {
        piece = step == 0 || len - pos < step ? len - pos : step;
        p = guard_put(in + pos, piece);
        n = piece;
        r = pfh_decode_chunked(&d, p, &n, cfg);
        ck_assert_uint_le(n, piece);
        memcpy(o.body + o.blen, p, n);
        o.blen += n;
        pos += piece;
        if (r == -1) {
            ck_assert_ptr_nonnull(d.error);
            o.r = -1;
            o.status = d.status;
            return o;
        }
        if (r >= 0) {
            /* the leftover of this piece plus whatever was not fed */
            memcpy(o.left, p + n, (size_t) r);
            o.llen = (size_t) r;
            memcpy(o.left + o.llen, in + pos, len - pos);
            o.llen += len - pos;
            o.r = 0;
            o.tlen = d.trailer_len;
            return o;
        }
        ck_assert_int_eq(r, -2);
    }
    return o;
}


static void
run_cases(const ccase *t, size_t n)
{
    pfh_config  cfg;
    outcome     o;
    size_t      i, len, steps[] = { 0, 1, 2, 3, 7 }, s;

    for (i = 0; i < n; i++) {
        pfh_config_init(&cfg);
        cfg.flags = t[i].flags;
        len = t[i].in_len < 0 ? strlen(t[i].in) : (size_t) t[i].in_len;
        for (s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
            o = decode(t[i].in, len, steps[s], &cfg);
            if (t[i].expect == 0) {
                ck_assert_msg(o.r == 0, "%s (step %zu): r %d status %d",
                              t[i].comment, steps[s], o.r, o.status);
                ck_assert_msg(o.blen == strlen(t[i].body)
                              && memcmp(o.body, t[i].body, o.blen) == 0,
                              "%s: body '%.*s'", t[i].comment, (int) o.blen,
                              o.body);
                ck_assert_msg(o.llen == strlen(t[i].left)
                              && memcmp(o.left, t[i].left, o.llen) == 0,
                              "%s: leftover '%.*s'", t[i].comment,
                              (int) o.llen, o.left);
            } else if (t[i].expect == -2) {
                ck_assert_msg(o.r == -2, "%s (step %zu): r %d",
                              t[i].comment, steps[s], o.r);
            } else {
                ck_assert_msg(o.r == -1 && o.status == t[i].expect,
                              "%s (step %zu): r %d status %d", t[i].comment,
                              steps[s], o.r, o.status);
            }
        }
    }
}


START_TEST(chunked_valid)
{
    static const ccase  t[] = {
        { "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", -1, 0, "hello world",
          "", 0, "two chunks" },
        { "0\r\n\r\n", -1, 0, "", "", 0, "empty body" },
        { "000\r\n\r\n", -1, 0, "", "", 0, "000 terminator" },
        { "0005\r\nhello\r\n0\r\n\r\n", -1, 0, "hello", "", 0,
          "leading zeros" },
        { "A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n", -1, 0,
          "01234567890123456789", "", 0, "hex case" },
        { "5;ext=val\r\nhello\r\n0;last\r\n\r\n", -1, 0, "hello", "", 0,
          "extensions" },
        { "5 ;a=\"b c\"\r\nhello\r\n0\r\n\r\n", -1, 0, "hello", "", 0,
          "BWS before ; and a quoted ext" },
        { "5\t;x\r\nhello\r\n0\r\n\r\n", -1, 0, "hello", "", 0, "HTAB BWS" },
        { "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n", -1, 0, "hello",
          "GET / HTTP/1.1\r\n\r\n", 0, "pipelined leftover" },
        { "5\r\nhello\r\n0\r\nVary: *\r\nX: y\r\n\r\nrest", -1, 0, "hello",
          "rest", 0, "trailers" },
        { "5\r\nhello\r\n0\r\nA: b\r\n c\r\n\r\n", -1, 0, "hello", "",
          PFH_PERMIT_OBSOLETE_FOLDING, "folded trailer (permitted)" },
        { "0\r\nX_Y: 1\r\n\r\n", -1, 0, "", "", 0, "underscore dropped" },
        { "0\r\nA : b\r\n\r\n", -1, 0, "", "", PFH_STRIP_HEADER_SPACES,
          "strip_header_spaces" },
        { "5\r\nhel", -1, -2, NULL, NULL, 0, "partial data" },
        { "5\r\nhello\r\n0\r\n", -1, -2, NULL, NULL, 0,
          "no final CRLF yet (EOF here is the caller's error)" },
        { "5\r\nhello\r\n0\r\nA: b\r\n", -1, -2, NULL, NULL, 0,
          "trailer section open" },
    };

    run_cases(t, sizeof(t) / sizeof(t[0]));
}
END_TEST


START_TEST(chunked_invalid)
{
    static const ccase  t[] = {
        { "6_0\r\n", -1, 400, NULL, NULL, 0, "underscore in size" },
        { "+5\r\nhello\r\n", -1, 400, NULL, NULL, 0, "plus sign" },
        { "-5\r\nhello\r\n", -1, 400, NULL, NULL, 0, "minus sign" },
        { "0x5\r\nhello\r\n", -1, 400, NULL, NULL, 0, "0x prefix" },
        { " 5\r\nhello\r\n", -1, 400, NULL, NULL, 0, "OWS before size" },
        { "5 \r\nhello\r\n", -1, 400, NULL, NULL, 0, "OWS after size" },
        { "\r\nhello\r\n", -1, 400, NULL, NULL, 0, "no size" },
        { ";a\r\nhello\r\n", -1, 400, NULL, NULL, 0, "ext without size" },
        { "5\n;\r\nhello\r\n", -1, 400, NULL, NULL, 0, "LF in size line" },
        { "5\nhello\r\n", -1, 400, NULL, NULL, 0, "LF-only size line" },
        { "5\rhello\r\n", -1, 400, NULL, NULL, 0, "bare CR after size" },
        { "5;ext=val\rue\r\nhello\r\n", -1, 400, NULL, NULL, 0,
          "bare CR in ext" },
        { "5;a\001b\r\nhello\r\n", -1, 400, NULL, NULL, 0, "CTL in ext" },
        { "5\r\nhelloXX0\r\n\r\n", -1, 400, NULL, NULL, 0,
          "no CRLF after data" },
        { "5\r\nhello\n0\r\n\r\n", -1, 400, NULL, NULL, 0,
          "LF only after data" },
        { "5\r\nhello\r\n0\r\nX\r\n", -1, 400, NULL, NULL, 0,
          "trailer name without a colon" },
        { "0\r\nContent-Length: 9\r\n\r\n", -1, 400, NULL, NULL, 0,
          "forbidden trailer Content-Length" },
        { "0\r\nHOST: a\r\n\r\n", -1, 400, NULL, NULL, 0,
          "forbidden trailer Host" },
        { "0\r\nTransfer-Encoding: chunked\r\n\r\n", -1, 400, NULL, NULL, 0,
          "forbidden trailer TE" },
        { "0\r\nTrailer: a\r\n\r\n", -1, 400, NULL, NULL, 0,
          "forbidden trailer Trailer" },
        { "0\r\nAuthorization: a\r\n\r\n", -1, 400, NULL, NULL, 0,
          "forbidden trailer Authorization" },
        { "0\r\nte: a\r\n\r\n", -1, 400, NULL, NULL, 0,
          "forbidden trailer TE (lower-case)" },
        { "0\r\nA: b\r\n c\r\n\r\n", -1, 400, NULL, NULL, 0,
          "folded trailer" },
        { "0\r\n c\r\n\r\n", -1, 400, NULL, NULL, PFH_PERMIT_OBSOLETE_FOLDING,
          "fold with no field" },
        { "0\r\nA: b\001\r\n\r\n", -1, 400, NULL, NULL, 0, "CTL in trailer" },
        { "0\r\nA : b\r\n\r\n", -1, 400, NULL, NULL, 0,
          "space before colon" },
        { "0\r\n: b\r\n\r\n", -1, 400, NULL, NULL, 0, "empty trailer name" },
        { "0\r\nContent-Type: a\r\nContent-Type: b\r\n\r\n", -1, 400, NULL,
          NULL, 0, "duplicate Content-Type trailer" },
        { "0\r\n\rX", -1, 400, NULL, NULL, 0, "bad final CRLF" },
        { "10000000000000000\r\n", -1, 400, NULL, NULL, 0,
          "size overflows 64 bits" },
        { "8000000000000000\r\n", -1, 400, NULL, NULL, 0,
          "size is 2^63" },
    };

    run_cases(t, sizeof(t) / sizeof(t[0]));
}
END_TEST


START_TEST(chunked_limits)
{
    pfh_config  cfg;
    outcome     o;
    char        in[20000];
    size_t      n, i;

    /* a trailer line longer than limit_request_field_size: 431 */
    pfh_config_init(&cfg);
    cfg.limit_request_field_size = 10;
    o = decode("0\r\nAb: 1234\r\n\r\n", 15, 0, &cfg);
    ck_assert_int_eq(o.r, 0);
    o = decode("0\r\nAb: 12345\r\n\r\n", 16, 0, &cfg);
    ck_assert_int_eq(o.r, -1);
    ck_assert_int_eq(o.status, 431);

    /* more trailer fields than limit_request_fields: 431 */
    cfg.limit_request_field_size = 0;
    cfg.limit_request_fields = 3;
    strcpy(in, "0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n");
    o = decode(in, strlen(in), 1, &cfg);
    ck_assert_int_eq(o.r, 0);
    strcpy(in, "0\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n");
    o = decode(in, strlen(in), 1, &cfg);
    ck_assert_int_eq(o.r, -1);
    ck_assert_int_eq(o.status, 431);

    /* a chunk-size line (extensions) longer than the field size: 400 */
    pfh_config_init(&cfg);
    n = 0;
    in[n++] = '1';
    in[n++] = ';';
    for (i = 0; i < 9000; i++) {
        in[n++] = 'e';
    }
    memcpy(in + n, "\r\nx\r\n0\r\n\r\n", 10);
    o = decode(in, n + 10, 0, &cfg);
    ck_assert_int_eq(o.r, -1);
    ck_assert_int_eq(o.status, 400);

    /* the largest size that fits is accepted (and waits for its data) */
    o = decode("7fffffffffffffff\r\nab", 20, 0, &cfg);
    ck_assert_int_eq(o.r, -2);
    ck_assert_uint_eq(o.blen, 2);
}
END_TEST


START_TEST(chunked_trailer_copy)
{
    pfh_config  cfg;
    outcome     o;
    const char *in = "0\r\nVary: *\r\nX_Dropped: 1\r\nContent-Type: text/plain"
                     "\r\n\r\n";

    pfh_config_init(&cfg);
    o = decode(in, strlen(in), 1, &cfg);
    ck_assert_int_eq(o.r, 0);
    ck_assert_uint_eq(o.tlen, strlen("Vary: *\r\nContent-Type: text/plain\r\n"));
    ck_assert_int_eq(memcmp(o.trailers, "Vary: *\r\nContent-Type: text/plain"
                            "\r\n", o.tlen), 0);
}
END_TEST


/* Once complete, or once failed, the decoder stays so. */
START_TEST(chunked_sticky)
{
    pfh_config   cfg;
    pfh_chunked  d;
    char        *p;
    size_t       n;

    pfh_config_init(&cfg);
    memset(&d, 0, sizeof(d));
    p = guard_put("0\r\n\r\n", 5);
    n = 5;
    ck_assert_int_eq(pfh_decode_chunked(&d, p, &n, &cfg), 0);
    p = guard_put("abc", 3);
    n = 3;
    ck_assert_int_eq(pfh_decode_chunked(&d, p, &n, &cfg), 3);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(memcmp(p, "abc", 3), 0);

    memset(&d, 0, sizeof(d));
    p = guard_put("x", 1);
    n = 1;
    ck_assert_int_eq(pfh_decode_chunked(&d, p, &n, &cfg), -1);
    p = guard_put("0\r\n\r\n", 5);
    n = 5;
    ck_assert_int_eq(pfh_decode_chunked(&d, p, &n, &cfg), -1);
    ck_assert_int_eq(d.status, 400);
}
END_TEST


Suite *
chunked_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("chunked");
    tc = tcase_create("decoder");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, chunked_valid);
    tcase_add_test(tc, chunked_invalid);
    tcase_add_test(tc, chunked_limits);
    tcase_add_test(tc, chunked_trailer_copy);
    tcase_add_test(tc, chunked_sticky);
    suite_add_tcase(s, tc);
    return s;
}

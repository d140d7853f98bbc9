/*
 * Access log atoms, one by one, against what gunicorn 26.1's Logger.atoms()
 * and SafeAtoms produce (expected strings checked with CPython's %).
 */
#include <check.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "tl.h"

#define HDR(n, v)  { n, sizeof(n) - 1, v, sizeof(v) - 1 }


static void
check(const char *fmt, const pfw_access_rec *r, const char *want)
{
    char  out[4096];

    tl_render(fmt, r, out, sizeof(out));
    ck_assert_msg(strcmp(out, want) == 0, "%s: got [%s] want [%s]", fmt, out,
                  want);
}


#define OBSERVED  "127.0.0.1 - - [22/Nov/2026:14:09:59 +0000] " \
                  "\"GET / HTTP/1.1\" 200 3 \"-\" \"-\""

START_TEST(default_format_observed_line)
{
    pfw_access_fmt  *f;
    pfw_access_rec   r;
    char             out[256];
    size_t           n;

    tl_tz("UTC");
    tl_rec(&r);
    check(PFW_ACCESS_DEFAULT_FORMAT, &r, OBSERVED);
    /* A NULL format is the default. */
    f = pfw_access_fmt_compile(NULL, NULL, 0);
    ck_assert_ptr_nonnull(f);
    n = pfw_access_render(f, &r, out, sizeof(out));
    ck_assert_uint_eq(n, strlen(OBSERVED));
    ck_assert_int_eq(memcmp(out, OBSERVED, n), 0);
    pfw_access_fmt_free(f);
}
END_TEST


static const pfw_hdr  req_hdrs[] = {
    HDR("Host", "example.com"),
    HDR("User-Agent", "curl/8.0 \"quoted\""),
    HDR("Referer", "http://a/"),
    HDR("X-Forwarded-For", "10.0.0.1"),
    HDR("Authorization", "Basic dXNlcjpwYXNz"),
    HDR("x-forwarded-for", "10.0.0.2"),
};

static const pfw_hdr  resp_hdrs[] = {
    HDR("Content-Type", "text/plain"),
    HDR("Content-Length", "3"),
    HDR("X-Request-Id", "abc\"def"),
};


static void
rich(pfw_access_rec *r)
{
    tl_rec(r);
    r->method = "POST";
    r->method_len = 4;
    r->raw_uri = "/a%20b?x=1&y=\"2\"";
    r->raw_uri_len = strlen(r->raw_uri);
    r->path = "/a b";
    r->path_len = 4;
    r->query = "x=1&y=\"2\"";
    r->query_len = strlen(r->query);
    r->protocol = "HTTP/1.0";
    r->protocol_len = 8;
    r->status = 404;
    r->sent = 1234;
    r->duration_us = 3 * 1000000 + 45678;      /* 3.045678 s */
    r->req_headers = req_hdrs;
    r->n_req_headers = sizeof(req_hdrs) / sizeof(req_hdrs[0]);
    r->resp_headers = resp_hdrs;
    r->n_resp_headers = sizeof(resp_hdrs) / sizeof(resp_hdrs[0]);
}


START_TEST(every_atom)
{
    static const struct {
        const char  *fmt, *want;
    } t[] = {
        { "%(h)s", "127.0.0.1" },
        { "%(l)s", "-" },
        { "%(u)s", "user" },
        { "%(t)s", "[22/Nov/2026:14:09:59 +0000]" },
        { "%(r)s", "POST /a%20b?x=1&y=\\\"2\\\" HTTP/1.0" },
        { "%(s)s", "404" },
        { "%(m)s", "POST" },
        { "%(U)s", "/a b" },
        { "%(q)s", "x=1&y=\\\"2\\\"" },
        { "%(H)s", "HTTP/1.0" },
        { "%(b)s", "1234" },
        { "%(B)s", "1234" },
        { "%(f)s", "http://a/" },
        { "%(a)s", "curl/8.0 \\\"quoted\\\"" },
        { "%(T)s", "3" },
        { "%(D)s", "3045678" },
        { "%(M)s", "3045" },
        { "%(L)s", "3.045678" },
        { "%(p)s", "<4242>" },
    };
    pfw_access_rec  r;
    size_t          i;

    tl_tz("UTC");
    rich(&r);
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        check(t[i].fmt, &r, t[i].want);
    }
}
END_TEST


START_TEST(pid_defaults_to_getpid)
{
    pfw_access_rec  r;
    char            want[32];

    tl_rec(&r);
    r.pid = 0;
    snprintf(want, sizeof(want), "<%d>", (int) getpid());
    check("%(p)s", &r, want);
}
END_TEST


START_TEST(time_defaults_to_now)
{
    pfw_access_rec  r;
    char            out[128];
    regex_t         re;

    tl_rec(&r);
    r.now = 0;
    tl_render("%(t)s", &r, out, sizeof(out));
    ck_assert_int_eq(regcomp(&re, "^\\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:"
                             "[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\\]$",
                             REG_EXTENDED), 0);
    ck_assert_msg(regexec(&re, out, 0, NULL, 0) == 0, "%s", out);
    regfree(&re);
    tl_tz("EST5");
    r.now = TL_NOW;
    check("%(t)s", &r, "[22/Nov/2026:09:09:59 -0500]");
}
END_TEST


START_TEST(status_text_token_wins)
{
    pfw_access_rec  r;

    tl_rec(&r);
    check("%(s)s", &r, "200");
    r.status_text = "0200";     /* int("0200") == 200, the token is kept */
    r.status_text_len = 4;
    check("%(s)s", &r, "0200");
    check("%(s)r", &r, "'0200'");
}
END_TEST


START_TEST(escaping_strings_not_ints)
{
    pfw_access_rec  r;

    tl_rec(&r);
    r.remote_addr = "a\"b";
    r.remote_addr_len = 3;
    r.raw_uri = "/\"\"";
    r.raw_uri_len = 3;
    check("%(h)s", &r, "a\\\"b");
    check("\"%(r)s\"", &r, "\"GET /\\\"\\\" HTTP/1.1\"");
    /* Only '"' is escaped: backslashes and control bytes pass. */
    r.remote_addr = "\\\t\x01";
    r.remote_addr_len = 3;
    check("%(h)s", &r, "\\\t\x01");
    check("%(B)s %(b)s %(D)s", &r, "3 3 0");
}
END_TEST


START_TEST(request_headers_case_insensitive)
{
    pfw_access_rec  r;

    rich(&r);
    check("%({Host}i)s", &r, "example.com");
    check("%({HOST}i)s", &r, "example.com");
    check("%({host}I)s", &r, "example.com");        /* whole key lowered */
    /* The atoms dict keeps the last of a repeated field. */
    check("%({X-Forwarded-For}i)s", &r, "10.0.0.2");
    check("%({user-agent}i)s", &r, "curl/8.0 \\\"quoted\\\"");
    check("%({missing}i)s", &r, "-");
    check("%({}i)s", &r, "-");
}
END_TEST


START_TEST(environ_atoms_join_repeats)
{
    static const pfw_hdr  h[] = {
        HDR("User-Agent", "one"),
        HDR("Referer", "r1"),
        HDR("user-agent", "two"),
        HDR("User_Agent", "three"),         /* HTTP_USER_AGENT too */
        HDR("X", "x"),
    };
    pfw_access_rec  r;

    tl_rec(&r);
    r.req_headers = h;
    r.n_req_headers = 5;
    /* f and a come from the environ: repeated fields joined with ','. */
    check("%(a)s|%(f)s", &r, "one,two,three|r1");
    check("%({user-agent}i)s", &r, "two");
}
END_TEST


START_TEST(folded_continuation_joins_with_space)
{
    static const pfw_hdr  h[] = {
        HDR("X-Long", "part1"),
        { NULL, 0, "part2", 5 },
        HDR("User-Agent", "ua"),
        { NULL, 0, "more", 4 },
    };
    pfw_access_rec  r;

    tl_rec(&r);
    r.req_headers = h;
    r.n_req_headers = 4;
    check("%({x-long}i)s|%(a)s", &r, "part1 part2|ua more");
}
END_TEST


START_TEST(response_headers)
{
    pfw_access_rec  r;

    rich(&r);
    check("%({Content-Type}o)s", &r, "text/plain");
    check("%({content-length}o)s", &r, "3");
    check("%({x-request-id}o)s", &r, "abc\\\"def");
    check("%({Server}o)s", &r, "-");
    check("%({Host}o)s", &r, "-");          /* request fields are not o */
    r.resp_headers = NULL;
    r.n_resp_headers = 0;
    check("%({Content-Type}o)s", &r, "-");
}
END_TEST


static int
env_cb(void *ud, const char *name, size_t len, const char **val,
    size_t *vlen, char *scratch, size_t scratch_len)
{
    (void) ud;
    if (len == 11 && memcmp(name, "remote_addr", 11) == 0) {
        *val = "192.0.2.1";
        *vlen = 9;
        return PFW_ENV_STR;
    }
    if (len == 4 && memcmp(name, "quot", 4) == 0) {
        *val = "say \"hi\"";
        *vlen = 8;
        return PFW_ENV_STR;
    }
    if (len == 16 && memcmp(name, "wsgi.multithread", 16) == 0) {
        *vlen = (size_t) snprintf(scratch, scratch_len, "False");
        *val = scratch;
        return PFW_ENV_OTHER;
    }
    if (len == 6 && memcmp(name, "object", 6) == 0) {
        *val = "<Obj \"x\">";              /* str() of an object: as is */
        *vlen = 9;
        return PFW_ENV_OTHER;
    }
    return PFW_ENV_MISSING;
}


START_TEST(environ_variables)
{
    pfw_access_rec  r;

    tl_rec(&r);
    check("%({REMOTE_ADDR}e)s", &r, "-");       /* no callback */
    r.env = env_cb;
    check("%({REMOTE_ADDR}e)s", &r, "192.0.2.1");
    check("%({remote_addr}E)s", &r, "192.0.2.1");
    check("%({quot}e)s", &r, "say \\\"hi\\\"");
    check("%({wsgi.multithread}e)s", &r, "False");
    check("%({object}e)s", &r, "<Obj \"x\">");
    check("%({nope}e)s", &r, "-");
}
END_TEST


START_TEST(unknown_atoms_are_dash)
{
    pfw_access_rec  r;

    tl_rec(&r);
    check("%(x)s %(hh)s %(HOST)s %()s %({foo}x)s %({foo)s %(a(b)c)s", &r,
          "- - - - - - -");
    check("%(x)r", &r, "'-'");
}
END_TEST


START_TEST(percent_percent)
{
    pfw_access_rec  r;

    tl_rec(&r);
    check("100%% %(s)s%%", &r, "100% 200%");
    check("%%(h)s", &r, "%(h)s");
    check("no atoms at all", &r, "no atoms at all");
    check("", &r, "");
}
END_TEST


static void
auth_is(const char *value, const char *want)
{
    pfw_hdr         h = { "Authorization", 13, value, strlen(value) };
    pfw_access_rec  r;

    tl_rec(&r);
    r.req_headers = &h;
    r.n_req_headers = 1;
    check("%(u)s", &r, want);
}


START_TEST(basic_auth_user)
{
    auth_is("Basic dXNlcjpwYXNz", "user");
    auth_is("basic dXNlcjpwYXNz", "user");
    auth_is("BASIC dXNlcjpwYXNz", "user");
    auth_is("Basicfoo dXNlcjpwYXNz", "user");   /* startswith('basic') */
    auth_is("Basic   dXNlcjpwYXNz  ", "user");
    auth_is("Basic dXNl*cjpwYXNz", "user");      /* junk skipped */
    auth_is("Basic dXNlcjpwYXNz=", "user");
    auth_is("Basic Ym9i", "bob");               /* no ':' */
    auth_is("Basic OnB3", "-");                 /* empty user */
    auth_is("Basic w6k6eA==", "\xc3\xa9");       /* UTF-8 user */
    auth_is("Basic YSJiOmM=", "a\\\"b");         /* escaped */
    auth_is("Basic YWJj=ZGVm", "abcdef");       /* '=' mid-quad: skipped */
}
END_TEST


START_TEST(basic_auth_malformed)
{
    auth_is("Bearer dXNlcjpwYXNz", "-");
    auth_is("Basic", "-");                      /* no space */
    auth_is("Basi", "-");
    auth_is("", "-");
    auth_is("Basic dXNlcjpwYXN", "-");           /* Incorrect padding */
    auth_is("Basic dXNlcjpwYX", "-");
    auth_is("Basic a", "-");                    /* 1 more than 4n */
    auth_is("Basic ab=c", "-");
    auth_is("Basic /zp4", "-");                 /* 0xff: not UTF-8 */
    auth_is("Basic 7aCAOng=", "-");             /* a surrogate */
    auth_is("Basic !!!", "-");                  /* decodes to "" */
}
END_TEST


START_TEST(basic_auth_repeated_header_joined)
{
    static const pfw_hdr  two[] = {
        HDR("Authorization", "Basic dXNlcjpwYXNz"),
        HDR("Authorization", "Basic eHl6"),
    };
    static const pfw_hdr  padded[] = {
        HDR("Authorization", "Basic dXNlcjpwYXNz=="),
        HDR("Authorization", "Basic eHl6"),
    };
    static const pfw_hdr  pad[] = {
        HDR("Authorization", "Basic dXNlcg=="),
        HDR("Authorization", "Basic eHl6"),
    };
    pfw_access_rec  r;
    char            buf[8];

    tl_rec(&r);
    /* HTTP_AUTHORIZATION = "Basic dXNlcjpwYXNz,Basic eHl6": 21 data
     * characters, one more than a multiple of 4 -> no user. */
    r.req_headers = two;
    r.n_req_headers = 2;
    check("%(u)s", &r, "-");
    /* "==" after a whole quad is skipped, not an end. */
    r.req_headers = padded;
    check("%(u)s", &r, "-");
    /* After a partial quad, a complete pad sequence ends the decoding. */
    r.req_headers = pad;
    check("%(u)s", &r, "user");
    ck_assert_uint_eq(pfw_access_basic_user(pad, 2, buf, sizeof(buf)), 4);
    ck_assert_int_eq(memcmp(buf, "user", 4), 0);
    ck_assert_uint_eq(pfw_access_basic_user(two, 2, buf, sizeof(buf)), 0);
}
END_TEST


START_TEST(long_user_in_pieces)
{
    char            value[4096], want[3000], b64in[2400];
    static const char  tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    pfw_hdr         h;
    pfw_access_rec  r;
    size_t          i, n = 0, o = 0;
    unsigned        v;

    /* 600 x "é" (1200 bytes) + ":pq": longer than any internal chunk, so
     * characters cross chunk boundaries. */
    for (i = 0; i < 600; i++) {
        b64in[n++] = (char) 0xc3;
        b64in[n++] = (char) 0xa9;
    }
    memcpy(want, b64in, n);
    want[n] = '\0';
    b64in[n++] = ':';
    b64in[n++] = 'p';
    b64in[n++] = 'q';
    o = (size_t) sprintf(value, "Basic ");
    for (i = 0; i + 2 < n; i += 3) {
        v = (unsigned char) b64in[i] << 16 | (unsigned char) b64in[i + 1] << 8
            | (unsigned char) b64in[i + 2];
        value[o++] = tab[v >> 18];
        value[o++] = tab[v >> 12 & 63];
        value[o++] = tab[v >> 6 & 63];
        value[o++] = tab[v & 63];
    }
    ck_assert_uint_eq(i, n);
    value[o] = '\0';
    h.name = "Authorization";
    h.name_len = 13;
    h.value = value;
    h.value_len = o;
    tl_rec(&r);
    r.req_headers = &h;
    r.n_req_headers = 1;
    check("%(u)s", &r, want);
}
END_TEST


START_TEST(bytes_zero_unknown_large)
{
    pfw_access_rec  r;

    tl_rec(&r);
    r.sent = 0;
    check("%(b)s %(B)s %(B)d", &r, "0 0 0");
    r.sent_known = 0;
    check("%(b)s %(B)s %(B)r", &r, "- None None");
    check("[%(B)5d]", &r, "[    -]");
    r.sent_known = 1;
    r.sent = UINT64_MAX;
    check("%(b)s %(B)d", &r, "18446744073709551615 18446744073709551615");
}
END_TEST


START_TEST(durations)
{
    pfw_access_rec  r;

    tl_rec(&r);
    check("%(T)s %(D)s %(M)s %(L)s", &r, "0 0 0 0.000000");
    r.duration_us = 999;
    check("%(T)s %(D)s %(M)s %(L)s", &r, "0 999 0 0.000999");
    r.duration_us = 86399999999ULL;             /* 23:59:59.999999 */
    check("%(T)s %(D)s %(M)s %(L)s", &r,
          "86399 86399999999 86399999 86399.999999");
    /* timedelta.seconds: whole days are dropped, as gunicorn does. */
    r.duration_us = 86400000000ULL + 2500000;
    check("%(T)s %(D)s %(M)s %(L)s", &r, "2 2500000 2500 2.500000");
}
END_TEST


START_TEST(none_fields)
{
    pfw_access_rec  r;

    tl_rec(&r);
    r.remote_addr = NULL;
    r.method = NULL;
    r.path = NULL;
    r.query = NULL;
    r.protocol = NULL;
    r.raw_uri = NULL;
    check("%(h)s|%(m)s|%(U)s|%(q)s|%(H)s|%(r)s", &r,
          "-|None|None|None|None|None None None");
    check("%(m)r|%(h)r", &r, "None|'-'");
}
END_TEST


START_TEST(latin1_written_as_utf8)
{
    static const pfw_hdr  h[] = { HDR("User-Agent", "caf\xe9 \xa0") };
    pfw_access_rec        r;

    tl_rec(&r);
    r.req_headers = h;
    r.n_req_headers = 1;
    r.path = "/\xff";
    r.path_len = 2;
    check("%(a)s %(U)s", &r, "caf\xc3\xa9 \xc2\xa0 /\xc3\xbf");
    /* Widths count characters: "é" is one. */
    check("[%(a)6s]", &r, "[caf\xc3\xa9 \xc2\xa0]");
    check("[%(a)7s]", &r, "[ caf\xc3\xa9 \xc2\xa0]");
    check("[%(a)8s]", &r, "[  caf\xc3\xa9 \xc2\xa0]");
    check("[%(a).4s]", &r, "[caf\xc3\xa9]");
    check("%(a)r", &r, "'caf\xc3\xa9 \\xa0'");
    check("%(a)a", &r, "'caf\\xe9 \\xa0'");
}
END_TEST


START_TEST(render_measures_overflow)
{
    pfw_access_fmt  *f;
    pfw_access_rec   r;
    char             buf[16];
    const char      *full = "127.0.0.1 - - [22/Nov/2026:14:09:59 +0000] "
                            "\"GET / HTTP/1.1\" 200 3 \"-\" \"-\"";
    size_t           n;

    tl_tz("UTC");
    tl_rec(&r);
    f = pfw_access_fmt_compile(NULL, NULL, 0);
    memset(buf, 'Z', sizeof(buf));
    n = pfw_access_render(f, &r, buf, 10);
    ck_assert_uint_eq(n, strlen(full));
    ck_assert_int_eq(memcmp(buf, full, 10), 0);
    ck_assert_int_eq(buf[10], 'Z');             /* nothing past cap */
    ck_assert_uint_eq(pfw_access_render(f, &r, NULL, 0), strlen(full));
    pfw_access_fmt_free(f);
}
END_TEST


Suite *
access_suite(void)
{
    Suite  *s = suite_create("access");
    TCase  *tc = tcase_create("atoms");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, default_format_observed_line);
    tcase_add_test(tc, every_atom);
    tcase_add_test(tc, pid_defaults_to_getpid);
    tcase_add_test(tc, time_defaults_to_now);
    tcase_add_test(tc, status_text_token_wins);
    tcase_add_test(tc, escaping_strings_not_ints);
    tcase_add_test(tc, request_headers_case_insensitive);
    tcase_add_test(tc, environ_atoms_join_repeats);
    tcase_add_test(tc, folded_continuation_joins_with_space);
    tcase_add_test(tc, response_headers);
    tcase_add_test(tc, environ_variables);
    tcase_add_test(tc, unknown_atoms_are_dash);
    tcase_add_test(tc, percent_percent);
    tcase_add_test(tc, basic_auth_user);
    tcase_add_test(tc, basic_auth_malformed);
    tcase_add_test(tc, basic_auth_repeated_header_joined);
    tcase_add_test(tc, long_user_in_pieces);
    tcase_add_test(tc, bytes_zero_unknown_large);
    tcase_add_test(tc, durations);
    tcase_add_test(tc, none_fields);
    tcase_add_test(tc, latin1_written_as_utf8);
    tcase_add_test(tc, render_measures_overflow);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * PEP 3333 over a real socket: the probe app (tests/apps/probe.py) served
 * by pfw_conn_serve() in a forked child, checked byte by byte from a raw
 * client.  environ keys, wsgi.input methods over Content-Length and
 * chunked bodies, write(), exc_info, errors before and after the head,
 * file_wrapper/sendfile, close(), keep-alive and pipelining.
 */
#include "tw.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

static tw_server  S;
static tw_conn    C;


static void
up(const tw_opts *o)
{
    tw_server_start(&S, o);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
}


static void
up_default(void)
{
    tw_opts  o;

    tw_opts_init(&o);
    up(&o);
}


static void
down(void)
{
    if (C.fd > 0) {
        close(C.fd);
        C.fd = -1;
    }
    tw_server_stop(&S);
}


/* Send raw, read one response into r. */
static void
ask(tw_resp *r, const char *raw)
{
    ck_assert_int_eq(tw_sends(&C, raw), 0);
    ck_assert_msg(tw_read(&C, r, 15000, strncmp(raw, "HEAD ", 5) == 0) == 0,
                  "no response to %.60s", raw);
}


static void
has(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL) {
        ck_abort_msg("expected \"%s\" in:\n%s", needle, hay);
    }
}


static void
lacks(const char *hay, const char *needle)
{
    if (strstr(hay, needle) != NULL) {
        ck_abort_msg("unexpected \"%s\" in:\n%s", needle, hay);
    }
}


static void
log_has(const char *needle)
{
    char  *log;

    /* the server logs before it answers: the file is complete by now */
    log = tw_server_log(&S);
    if (strstr(log, needle) == NULL) {
        ck_abort_msg("expected \"%s\" in the log:\n%s", needle, log);
    }
    free(log);
}


/* ---- environ ---- */

START_TEST(environ_keys_tcp)
{
    tw_resp  r;
    char     want[128], *port;

    up_default();
    ask(&r, "GET /env?a=1&b=%20 HTTP/1.1\r\nHost: example.com:8080\r\n"
            "Cookie: a=1\r\nCookie: b=2\r\nUser-Agent: tw/1\r\n"
            "Content-Type: text/x-probe\r\nX-Dup: one\r\nX-Dup: two\r\n"
            "\r\n");
    ck_assert_int_eq(r.status, 200);
    has(r.body, "\"REQUEST_METHOD\": \"GET\"");
    has(r.body, "\"SCRIPT_NAME\": \"\"");
    has(r.body, "\"PATH_INFO\": \"/env\"");
    has(r.body, "\"QUERY_STRING\": \"a=1&b=%20\"");
    has(r.body, "\"RAW_URI\": \"/env?a=1&b=%20\"");
    has(r.body, "\"SERVER_PROTOCOL\": \"HTTP/1.1\"");
    has(r.body, "\"SERVER_NAME\": \"127.0.0.1\"");
    port = strrchr(S.addr, ':') + 1;
    snprintf(want, sizeof(want), "\"SERVER_PORT\": \"%s\"", port);
    has(r.body, want);
    has(r.body, "\"REMOTE_ADDR\": \"127.0.0.1\"");
    has(r.body, "\"REMOTE_PORT\": \"");
    has(r.body, "\"HTTP_HOST\": \"example.com:8080\"");
    has(r.body, "\"HTTP_COOKIE\": \"a=1,b=2\"");
    has(r.body, "\"HTTP_X_DUP\": \"one,two\"");
    has(r.body, "\"HTTP_USER_AGENT\": \"tw/1\"");
    has(r.body, "\"CONTENT_TYPE\": \"text/x-probe\"");
    lacks(r.body, "HTTP_CONTENT_TYPE");
    lacks(r.body, "\"CONTENT_LENGTH\"");
    has(r.body, "\"wsgi.url_scheme\": \"http\"");
    has(r.body, "\"SERVER_SOFTWARE\": \"prefork-wsgi/");
    has(r.body, "\"wsgi.version\": \"(1, 0)\"");
    has(r.body, "\"wsgi.input\": \"Input\"");
    has(r.body, "\"wsgi.errors\": true");
    has(r.body, "\"wsgi.multithread\": false");
    has(r.body, "\"wsgi.multiprocess\": false");
    has(r.body, "\"wsgi.run_once\": false");
    has(r.body, "\"wsgi.input_terminated\": true");
    has(r.body, "\"wsgi.file_wrapper\": true");
    has(r.body, "\"gunicorn.socket\": \"socket\"");
    has(r.body, "\"socket_fileno_ok\": true");
    has(r.body, "\"str_keys\": true");
    has(r.body, "\"str_values\": true");
    tw_resp_free(&r);
    log_has("probe: env served");
}
END_TEST


START_TEST(environ_content_length_and_http10)
{
    tw_resp  r;

    up_default();
    ask(&r, "POST /env HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc");
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(strncmp(r.head, "HTTP/1.0 200", 12), 0);
    has(r.body, "\"CONTENT_LENGTH\": \"3\"");
    has(r.body, "\"SERVER_PROTOCOL\": \"HTTP/1.0\"");
    has(r.body, "\"REQUEST_METHOD\": \"POST\"");
    lacks(r.body, "HTTP_CONTENT_LENGTH");
    tw_resp_free(&r);
}
END_TEST


START_TEST(path_info_percent_decoded_latin1)
{
    tw_resp  r;

    up_default();
    ask(&r, "GET /a%20b%2Fc%zz%41/caf\xc3\xa9?q=%20 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 404);
    /* %2F decodes to '/', %zz stays, raw bytes are latin-1 characters */
    has(r.body, "{\"path\": \"/a b/c%zzA/caf\\u00c3\\u00a9\"}");
    tw_resp_free(&r);
}
END_TEST


START_TEST(environ_unix_socket)
{
    tw_opts  o;
    tw_resp  r;
    char     want[1200];

    tw_opts_init(&o);
    o.unix_socket = 1;
    up(&o);
    ask(&r, "GET /env HTTP/1.1\r\nHost: svc.local:9000\r\n\r\n");
    has(r.body, "\"REMOTE_ADDR\": \"\"");
    lacks(r.body, "REMOTE_PORT");
    has(r.body, "\"SERVER_NAME\": \"svc.local\"");
    has(r.body, "\"SERVER_PORT\": \"9000\"");
    tw_resp_free(&r);
    ask(&r, "GET /env HTTP/1.1\r\nHost: plain\r\n\r\n");
    has(r.body, "\"SERVER_NAME\": \"plain\"");
    has(r.body, "\"SERVER_PORT\": \"80\"");
    tw_resp_free(&r);
    /* no Host at all (HTTP/1.0): the socket path and an empty port */
    ask(&r, "GET /env HTTP/1.0\r\n\r\n");
    snprintf(want, sizeof(want), "\"SERVER_NAME\": \"%s\"", S.addr + 5);
    has(r.body, want);
    has(r.body, "\"SERVER_PORT\": \"\"");
    tw_resp_free(&r);
}
END_TEST


START_TEST(script_name_from_environment)
{
    tw_opts  o;
    tw_resp  r;

    tw_opts_init(&o);
    o.script_name = "/app";
    up(&o);
    ask(&r, "GET /app/env HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    has(r.body, "\"SCRIPT_NAME\": \"/app\"");
    has(r.body, "\"PATH_INFO\": \"/env\"");
    tw_resp_free(&r);
    ask(&r, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 500);
    has(r.body, "Configuration problem: Request path &#x27;/other&#x27; "
                "does not start with SCRIPT_NAME &#x27;/app&#x27;");
    tw_resp_free(&r);
}
END_TEST


START_TEST(forwarded_proto_from_trusted_peer)
{
    tw_resp  r;

    up_default();
    ask(&r, "GET /env HTTP/1.1\r\nHost: x\r\nX-Forwarded-Proto: https\r\n"
            "\r\n");
    has(r.body, "\"wsgi.url_scheme\": \"https\"");
    has(r.body, "\"HTTP_X_FORWARDED_PROTO\": \"https\"");
    tw_resp_free(&r);
}
END_TEST


/* An /env body with object addresses ("at 0x7f..") blanked: the same
 * request on the same connection must then read the same. */
static char *
env_body(const char *raw)
{
    tw_resp   r;
    char     *b, *p, *q;

    ask(&r, raw);
    ck_assert_int_eq(r.status, 200);
    b = r.body;
    r.body = NULL;
    tw_resp_free(&r);
    for (p = q = b; *p != '\0'; ) {
        *q++ = *p;
        if (p[0] == '0' && p[1] == 'x') {
            *q++ = 'x';
            for (p += 2; (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f');
                 p++)
            {
                continue;
            }
            continue;
        }
        p++;
    }
    *q = '\0';
    return b;
}


static void
same_env(const char *want, const char *raw, const char *after)
{
    char  *got = env_body(raw);

    ck_assert_msg(strcmp(got, want) == 0, "after %s the environ is\n%s\n"
                  "instead of\n%s", after, got, want);
    free(got);
}


/* A keep-alive connection reuses its environ dict when the app kept and
 * changed nothing: every request still sees exactly the keys and values
 * of a fresh one (the previous request's headers gone, the base's keys
 * back), on the plain loop (_i 0) and the ev worker (_i 1). */
START_TEST(environ_fresh_on_every_keep_alive_request)
{
    static const char  a[] = "GET /env?a HTTP/1.1\r\nHost: x\r\n\r\n";
    tw_opts            o;
    tw_resp            r;
    char              *first, *b;

    tw_opts_init(&o);
    o.worker = _i ? "ev" : NULL;
    up(&o);
    first = env_body(a);
    lacks(first, "HTTP_COOKIE");
    has(first, "\"SERVER_SOFTWARE\": \"prefork-wsgi/");
    same_env(first, a, "a first request");
    b = env_body("POST /env?b HTTP/1.1\r\nHost: y\r\nCookie: c=1\r\n"
                 "X-One: 1\r\nX-One: 2\r\nContent-Type: text/plain\r\n"
                 "X-Forwarded-Proto: https\r\n"
                 "Content-Length: 2\r\n\r\nhi");
    has(b, "\"HTTP_COOKIE\": \"c=1\"");
    has(b, "\"HTTP_X_ONE\": \"1,2\"");
    has(b, "\"CONTENT_TYPE\": \"text/plain\"");
    has(b, "\"CONTENT_LENGTH\": \"2\"");
    has(b, "\"HTTP_HOST\": \"y\"");
    has(b, "\"QUERY_STRING\": \"b\"");
    has(b, "\"REQUEST_METHOD\": \"POST\"");
    has(b, "\"wsgi.url_scheme\": \"https\"");
    free(b);
    same_env(first, a, "a request with more headers");
    b = env_body("GET /env?c HTTP/1.1\r\nHost: z\r\nX-Two: 2\r\n"
                 "Cookie: d=1\r\n\r\n");
    has(b, "\"HTTP_X_TWO\": \"2\"");
    has(b, "\"HTTP_COOKIE\": \"d=1\"");
    lacks(b, "HTTP_X_ONE");
    lacks(b, "CONTENT_TYPE");
    has(b, "\"wsgi.url_scheme\": \"http\"");
    free(b);
    same_env(first, a, "a request with other headers");
    b = env_body("GET /env?d HTTP/1.1\r\nHost: x\r\nContent-Type: t/d\r\n"
                 "X-D: 1\r\n\r\n");
    free(b);
    b = env_body("GET /env?e HTTP/1.1\r\nHost: x\r\nContent-Type: t/e\r\n"
                 "X-E: 1\r\n\r\n");
    has(b, "\"CONTENT_TYPE\": \"t/e\"");
    has(b, "\"HTTP_X_E\": \"1\"");
    lacks(b, "HTTP_X_D");
    free(b);
    same_env(first, a, "requests with a Content-Type");
    /* the same lengths, other text: every value replaced */
    ask(&r, "GET /enw?a HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 404);
    has(r.body, "\"path\": \"/enw\"");
    tw_resp_free(&r);
    b = env_body("PUT /env?z HTTP/1.0\r\nHost: q\r\n"
                 "Connection: keep-alive\r\n\r\n");
    has(b, "\"RAW_URI\": \"/env?z\"");
    has(b, "\"QUERY_STRING\": \"z\"");
    has(b, "\"REQUEST_METHOD\": \"PUT\"");
    has(b, "\"SERVER_PROTOCOL\": \"HTTP/1.0\"");
    has(b, "\"HTTP_HOST\": \"q\"");
    free(b);
    ask(&r, "GET /mutate HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    same_env(first, a, "an app changed the environ");
    same_env(first, a, "an app changed the environ, twice");
    ask(&r, "GET /mutate?keep=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    same_env(first, a, "an app kept the environ");
    same_env(first, a, "an app kept the environ, twice");
    free(first);
}
END_TEST


/* ---- wsgi.input ---- */

static const char lines[] = "line one\nline two\nthree\n\nlast-no-newline";

static void
echo_len(const char *method, const char *want)
{
    char     req[2048];
    tw_resp  r;

    snprintf(req, sizeof(req), "POST /echo?m=%s HTTP/1.1\r\nHost: x\r\n"
             "Content-Length: %zu\r\n\r\n%s", method, strlen(lines), lines);
    ask(&r, req);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strcmp(r.body, want) == 0, "%s: got \"%s\"", method,
                  r.body);
    tw_resp_free(&r);
}


/* The same body chunked, cut so that lines straddle chunks. */
static void
echo_chunked(const char *method, const char *want)
{
    char     req[1024];
    tw_resp  r;

    snprintf(req, sizeof(req), "POST /echo?m=%s HTTP/1.1\r\nHost: x\r\n"
             "Transfer-Encoding: chunked\r\n\r\n"
             "6\r\nline o\r\n"
             "d\r\nne\nline two\nt\r\n"
             "1;ext=1\r\nh\r\n"
             "14\r\nree\n\nlast-no-newline\r\n"
             "0\r\nX-Trailer: dropped\r\n\r\n", method);
    ask(&r, req);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(strcmp(r.body, want) == 0, "chunked %s: got \"%s\"", method,
                  r.body);
    tw_resp_free(&r);
}


static const struct {
    const char  *m;
    const char  *want;
} input_cases[] = {
    { "read", "line one\nline two\nthree\n\nlast-no-newline" },
    { "none", "line one\nline two\nthree\n\nlast-no-newline" },
    { "readn", "line one\nline two\nthree\n\nlast-no-newline" },
    { "readline", "line one\n|line two\n|three\n|\n|last-no-newline" },
    { "readline5", "line |one\n|line |two\n|three|\n|\n|last-|no-ne|wline" },
    { "readlines", "line one\n|line two\n|three\n|\n|last-no-newline" },
    { "readlines_hint", "line one\n#line two\nthree\n\nlast-no-newline" },
    { "iter", "line one\n|line two\n|three\n|\n|last-no-newline" },
    { "read0", "b'':line one\nline two\nthree\n\nlast-no-newline" },
    { "twice", "line one\nline two\nthree\n\nlast-no-newline##" },
};


START_TEST(input_methods_content_length)
{
    up_default();
    echo_len(input_cases[_i].m, input_cases[_i].want);
    /* keep-alive: the next request on the same connection still works */
    echo_len(input_cases[_i].m, input_cases[_i].want);
}
END_TEST


START_TEST(input_methods_chunked)
{
    up_default();
    echo_chunked(input_cases[_i].m, input_cases[_i].want);
    echo_chunked(input_cases[_i].m, input_cases[_i].want);
}
END_TEST


/* A body then a second request in the same packet: the app reads exactly
 * its body and the second request is answered after it. */
START_TEST(input_never_past_the_body)
{
    tw_resp  r;

    up_default();
    ck_assert_int_eq(tw_sends(&C,
        "POST /echo?m=read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
        "helloGET /echo?m=read HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /echo?m=readline HTTP/1.1\r\nHost: x\r\n"
        "Transfer-Encoding: chunked\r\n\r\n3\r\nab\n\r\n0\r\n\r\n"
        "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    ck_assert_int_eq(tw_read(&C, &r, 10000, 0), 0);
    ck_assert_str_eq(r.body, "hello");
    tw_resp_free(&r);
    ck_assert_int_eq(tw_read(&C, &r, 10000, 0), 0);
    ck_assert_str_eq(r.body, "");
    tw_resp_free(&r);
    ck_assert_int_eq(tw_read(&C, &r, 10000, 0), 0);
    ck_assert_str_eq(r.body, "ab\n");
    tw_resp_free(&r);
    ck_assert_int_eq(tw_read(&C, &r, 10000, 0), 0);
    has(r.body, "\"pid\": ");
    tw_resp_free(&r);
}
END_TEST


/* Bodies far larger than the connection buffer, both framings, read
 * whole by read() and line by line. */
START_TEST(input_large_bodies)
{
    size_t   n = 3 * 1024 * 1024 + 17, i, chunk = 100000, off;
    char    *body, hdr[256];
    tw_resp  r;

    up_default();
    body = malloc(n);
    for (i = 0; i < n; i++) {
        body[i] = (i % 61 == 60) ? '\n' : (char) ('a' + i % 26);
    }
    snprintf(hdr, sizeof(hdr), "POST /echo?m=read HTTP/1.1\r\nHost: x\r\n"
             "Content-Length: %zu\r\n\r\n", n);
    ck_assert_int_eq(tw_sends(&C, hdr), 0);
    ck_assert_int_eq(tw_send(&C, body, n), 0);
    ck_assert_int_eq(tw_read(&C, &r, 30000, 0), 0);
    ck_assert_uint_eq(r.body_len, n);
    ck_assert_int_eq(memcmp(r.body, body, n), 0);
    tw_resp_free(&r);

    ck_assert_int_eq(tw_sends(&C, "POST /echo?m=iter HTTP/1.1\r\nHost: x\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"), 0);
    for (off = 0; off < n; off += chunk) {
        size_t k = n - off < chunk ? n - off : chunk;

        snprintf(hdr, sizeof(hdr), "%zx\r\n", k);
        ck_assert_int_eq(tw_sends(&C, hdr), 0);
        ck_assert_int_eq(tw_send(&C, body + off, k), 0);
        ck_assert_int_eq(tw_sends(&C, "\r\n"), 0);
    }
    ck_assert_int_eq(tw_sends(&C, "0\r\n\r\n"), 0);
    ck_assert_int_eq(tw_read(&C, &r, 30000, 0), 0);
    /* lines joined with '|' after each '\n' */
    ck_assert_uint_eq(r.body_len, n + (n / 61) - (n % 61 == 0));
    ck_assert_int_eq(memcmp(r.body, body, 60), 0);
    ck_assert_int_eq(r.body[61], '|');
    tw_resp_free(&r);
    free(body);
}
END_TEST


/* Expect: 100-continue: the interim response comes before the body is
 * sent, then the final one. */
START_TEST(input_expect_continue)
{
    tw_resp  r;

    up_default();
    ck_assert_int_eq(tw_sends(&C, "POST /echo?m=read HTTP/1.1\r\nHost: x\r\n"
                              "Content-Length: 4\r\n"
                              "Expect: 100-continue\r\n\r\n"), 0);
    ck_assert_int_eq(tw_read(&C, &r, 10000, 0), 0);
    ck_assert_int_eq(r.status, 100);
    tw_resp_free(&r);
    ck_assert_int_eq(tw_sends(&C, "data"), 0);
    ck_assert_int_eq(tw_read(&C, &r, 10000, 0), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "data");
    tw_resp_free(&r);
}
END_TEST


/* A body the app does not read is skipped before the next request. */
START_TEST(input_unread_body_skipped)
{
    tw_resp  r;

    up_default();
    ask(&r, "POST /pid HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n"
            "0123456789");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    ask(&r, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
            "\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    ck_assert_str_eq(r.body, "ok");
    tw_resp_free(&r);
}
END_TEST


/* wsgi.input kept past its request reads as empty, not the next body. */
START_TEST(input_kept_is_inert)
{
    tw_resp  r;

    up_default();
    ask(&r, "POST /keep HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nold");
    has(r.body, "\"kept\": true");
    tw_resp_free(&r);
    ask(&r, "POST /keep HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nnew");
    has(r.body, "\"kept_read\": \"\"");
    tw_resp_free(&r);
}
END_TEST


/* A broken chunked body: 400, never a silent hang. */
START_TEST(input_bad_chunk_is_400)
{
    tw_resp  r;

    up_default();
    ask(&r, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
            "\r\n\r\nzz\r\nab\r\n0\r\n\r\n");
    ck_assert_int_eq(r.status, 400);
    tw_resp_free(&r);
    ck_assert(tw_closed(&C, 5000));
}
END_TEST


/* ---- response ---- */

START_TEST(write_callable_then_iterable)
{
    char     v[64];
    tw_resp  r;

    up_default();
    ask(&r, "GET /write HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert(r.chunked);
    ck_assert(r.complete);
    ck_assert_str_eq(r.body, "written-1;written-2;iter-1;iter-2");
    tw_resp_free(&r);
    ask(&r, "GET /write_only HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert(!r.chunked);
    ck_assert_str_eq(tw_header(&r, "Content-Length", v, sizeof(v)), "11");
    ck_assert_str_eq(r.body, "hello world");
    tw_resp_free(&r);
}
END_TEST


START_TEST(generator_is_chunked_on_11_raw_on_10)
{
    char     v[64];
    tw_resp  r;

    up_default();
    ask(&r, "GET /gen HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert(r.chunked);
    ck_assert(r.complete);
    ck_assert_str_eq(r.body, "alpha;beta;gamma");
    ck_assert_str_eq(tw_header(&r, "Connection", v, sizeof(v)),
                     "keep-alive");
    tw_resp_free(&r);
    ask(&r, "GET /gen HTTP/1.0\r\n\r\n");
    ck_assert(!r.chunked);
    ck_assert_str_eq(tw_header(&r, "Connection", v, sizeof(v)), "close");
    ck_assert_str_eq(r.body, "alpha;beta;gamma");
    ck_assert(r.eof);
    tw_resp_free(&r);
}
END_TEST


START_TEST(known_lengths_get_content_length)
{
    char     v[64];
    tw_resp  r;

    up_default();
    ask(&r, "GET /empty HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(tw_header(&r, "Content-Length", v, sizeof(v)), "0");
    ck_assert(!r.chunked);
    tw_resp_free(&r);
    ask(&r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(tw_header(&r, "Content-Length", v, sizeof(v)), "13");
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
    /* HEAD: the same head, no body on the wire, no invented length */
    ask(&r, "HEAD /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(tw_header(&r, "Content-Length", v, sizeof(v)));
    tw_resp_free(&r);
    ask(&r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    has(r.body, "\"pid\"");
    tw_resp_free(&r);
}
END_TEST


START_TEST(head_order_and_server_fields)
{
    tw_resp  r;

    up_default();
    ask(&r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(strncmp(r.head, "HTTP/1.1 200 OK\r\nServer: ", 25), 0);
    has(r.head, "\r\nDate: ");
    has(r.head, "\r\nConnection: keep-alive\r\n");
    has(r.head, "\r\nContent-Type: text/plain\r\n");
    ck_assert(strstr(r.head, "Date:") < strstr(r.head, "Connection:"));
    ck_assert(strstr(r.head, "Connection:")
              < strstr(r.head, "Content-Type:"));
    tw_resp_free(&r);
}
END_TEST


START_TEST(no_body_statuses)
{
    char     v[64];
    tw_resp  r;

    up_default();
    ask(&r, "GET /status?s=204 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 204);
    ck_assert_ptr_null(tw_header(&r, "Content-Length", v, sizeof(v)));
    ck_assert_ptr_null(tw_header(&r, "Transfer-Encoding", v, sizeof(v)));
    tw_resp_free(&r);
    ask(&r, "GET /status?s=304 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 304);
    ck_assert_ptr_null(tw_header(&r, "Transfer-Encoding", v, sizeof(v)));
    tw_resp_free(&r);
    /* the connection is still in sync */
    ask(&r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
}
END_TEST


static int
count_of(const char *hay, const char *needle)
{
    int  n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay++;
    }
    return n;
}


/* Body bytes on HEAD, 204 and 304 responses are dropped with one WARNING
 * per response (gunicorn 26.1's wording), whichever way they came:
 * iterable, write(), file_wrapper. */
START_TEST(no_body_bytes_warned_once)
{
    static const char  head200[] = "[WARNING] WSGI app sent body bytes on a "
        "no-body response (method=HEAD status=200); dropping per RFC 9110.";
    static const char  get204[] = "[WARNING] WSGI app sent body bytes on a "
        "no-body response (method=GET status=204); dropping per RFC 9110.";
    static const char  get304[] = "[WARNING] WSGI app sent body bytes on a "
        "no-body response (method=GET status=304); dropping per RFC 9110.";
    tw_resp            r;
    char              *log;

    up_default();
    ask(&r, "HEAD /nobody HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    ask(&r, "HEAD /nobody?via=write HTTP/1.1\r\nHost: x\r\n\r\n");
    tw_resp_free(&r);
    ask(&r, "HEAD /nobody?via=file HTTP/1.1\r\nHost: x\r\n\r\n");
    tw_resp_free(&r);
    ask(&r, "GET /nobody?s=204 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 204);
    tw_resp_free(&r);
    ask(&r, "GET /nobody?s=304&via=write HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 304);
    tw_resp_free(&r);
    /* bodies where they belong, and HEAD without body bytes: no word */
    ask(&r, "GET /nobody HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "firstsecond");
    tw_resp_free(&r);
    ask(&r, "HEAD /empty HTTP/1.1\r\nHost: x\r\n\r\n");
    tw_resp_free(&r);
    ask(&r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
    log = tw_server_log(&S);
    ck_assert_int_eq(count_of(log, head200), 3);
    ck_assert_int_eq(count_of(log, get204), 1);
    ck_assert_int_eq(count_of(log, get304), 1);
    ck_assert_int_eq(count_of(log, "WSGI app sent body bytes"), 5);
    free(log);
}
END_TEST


/* exc_info before anything was sent: the new status and headers replace
 * the old ones entirely (PEP 3333; gunicorn would keep X-Old). */
START_TEST(exc_info_replaces_before_headers_sent)
{
    char     v[64];
    tw_resp  r;

    up_default();
    ask(&r, "GET /excinfo_replace HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(tw_header(&r, "X-New", v, sizeof(v)), "yes");
    ck_assert_ptr_null(tw_header(&r, "X-Old", v, sizeof(v)));
    ck_assert_str_eq(r.body, "replaced");
    tw_resp_free(&r);
}
END_TEST


/* exc_info after write(): re-raised; the connection is cut mid-body. */
START_TEST(exc_info_reraises_after_headers_sent)
{
    tw_resp  r;

    up_default();
    ask(&r, "GET /excinfo_late HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert(r.chunked);
    ck_assert(!r.complete);
    ck_assert_str_eq(r.body, "partial");
    tw_resp_free(&r);
    log_has("Error handling request GET /excinfo_late\nTraceback");
    log_has("KeyError: 'late failure'");
}
END_TEST


START_TEST(second_start_response_without_exc_info_is_500)
{
    tw_resp  r;

    up_default();
    ask(&r, "GET /twice HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 500);
    tw_resp_free(&r);
    log_has("AssertionError: Response headers already set!");
}
END_TEST


START_TEST(exception_before_headers_is_500_with_traceback)
{
    char     v[64];
    tw_resp  r;

    up_default();
    ask(&r, "GET /raise?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 500);
    ck_assert_str_eq(tw_header(&r, "Connection", v, sizeof(v)), "close");
    has(r.body, "Internal Server Error");
    tw_resp_free(&r);
    ck_assert(tw_closed(&C, 5000));
    log_has("[ERROR] Error handling request GET /raise?x=1\n"
            "Traceback (most recent call last):\n");
    log_has("RuntimeError: probe raised on purpose");
}
END_TEST


START_TEST(exception_after_headers_cuts_the_connection)
{
    tw_resp  r;

    up_default();
    ask(&r, "GET /raise_late HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert(!r.complete);
    ck_assert(r.eof);
    ck_assert_str_eq(r.body, "first chunk");
    tw_resp_free(&r);
    log_has("RuntimeError: probe raised mid-body");
}
END_TEST


START_TEST(invalid_responses_are_500)
{
    static const char *const  paths[] = { "/nostart", "/badheader",
                                          "/nonlatin" };
    char                      req[128];
    tw_resp                   r;

    up_default();
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
             paths[_i]);
    ask(&r, req);
    ck_assert_int_eq(r.status, 500);
    lacks(r.head, "Injected");
    tw_resp_free(&r);
}
END_TEST


/* ---- file_wrapper ---- */

static char *
make_file(size_t n)
{
    char    *path;
    size_t   i;
    FILE    *f;

    ck_assert_int_gt(asprintf(&path, "%s/data.bin", S.dir), 0);
    f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    for (i = 0; i < n; i++) {
        fputc('A' + (int) (i % 23), f);
    }
    ck_assert_int_eq(fclose(f), 0);
    return path;
}


static void
check_file_body(const tw_resp *r, size_t from, size_t n)
{
    size_t  i;

    ck_assert_uint_eq(r->body_len, n);
    for (i = 0; i < n; i++) {
        if (r->body[i] != 'A' + (int) ((from + i) % 23)) {
            ck_abort_msg("byte %zu differs", i);
        }
    }
}


START_TEST(file_wrapper_sendfile)
{
    char     req[1024], *path;
    tw_resp  r;

    up_default();
    path = make_file(50000);
    snprintf(req, sizeof(req), "GET /file?path=%s HTTP/1.1\r\nHost: x\r\n"
             "\r\n", path);
    ask(&r, req);
    ck_assert(r.chunked);
    ck_assert(r.complete);
    check_file_body(&r, 0, 50000);
    tw_resp_free(&r);
    /* from the file's position after a Python-level read */
    snprintf(req, sizeof(req), "GET /file?path=%s&skip=100 HTTP/1.0\r\n\r\n",
             path);
    ask(&r, req);
    check_file_body(&r, 100, 49900);
    tw_resp_free(&r);
    free(path);
}
END_TEST


START_TEST(file_wrapper_content_length_caps)
{
    char     req[1024], *path;
    tw_resp  r;

    up_default();
    path = make_file(5000);
    snprintf(req, sizeof(req), "GET /file?path=%s&cl=1000 HTTP/1.1\r\n"
             "Host: x\r\n\r\n", path);
    ask(&r, req);
    ck_assert(!r.chunked);
    check_file_body(&r, 0, 1000);
    tw_resp_free(&r);
    /* the connection is still in sync after the capped file */
    ask(&r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
    free(path);
}
END_TEST


START_TEST(file_wrapper_without_sendfile_or_fileno)
{
    tw_opts  o;
    char     req[1024], *path;
    tw_resp  r;

    tw_opts_init(&o);
    o.sendfile = 0;
    up(&o);
    path = make_file(20000);
    snprintf(req, sizeof(req), "GET /file?path=%s HTTP/1.1\r\nHost: x\r\n"
             "\r\n", path);
    ask(&r, req);
    check_file_body(&r, 0, 20000);
    tw_resp_free(&r);
    ask(&r, "GET /filelike HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "from a BytesIO from a BytesIO from a BytesIO ");
    tw_resp_free(&r);
    free(path);
}
END_TEST


/* ---- close() and connection handling ---- */

START_TEST(iterable_close_always_called)
{
    tw_resp  r;

    up_default();
    ask(&r, "GET /closing HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "ab");
    tw_resp_free(&r);
    ask(&r, "GET /closed HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "{\"n\": 1}");
    tw_resp_free(&r);
    ask(&r, "GET /closing_raise HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert(!r.complete);
    tw_resp_free(&r);
    close(C.fd);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
    ask(&r, "GET /closed HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "{\"n\": 2}");
    tw_resp_free(&r);
}
END_TEST


START_TEST(bad_request_is_400_and_logged)
{
    tw_resp  r;

    up_default();
    ask(&r, "GET HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 400);
    has(r.head, "Connection: close");
    has(r.body, "Bad Request");
    tw_resp_free(&r);
    ck_assert(tw_closed(&C, 5000));
    log_has("[WARNING] Invalid request from ip=127.0.0.1:");
}
END_TEST


START_TEST(keepalive_zero_closes)
{
    tw_opts  o;
    char     v[64];
    tw_resp  r;

    tw_opts_init(&o);
    o.keepalive = 0;
    up(&o);
    ask(&r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(tw_header(&r, "Connection", v, sizeof(v)), "close");
    tw_resp_free(&r);
    ck_assert(tw_closed(&C, 5000));
}
END_TEST


START_TEST(pipelined_requests_in_order)
{
    static const int  want[] = { 201, 202, 200, 203 };
    tw_resp           r;
    int               i;

    up_default();
    ck_assert_int_eq(tw_sends(&C,
        "GET /status?s=201 HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /status?s=202 HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /gen HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /status?s=203 HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(tw_read(&C, &r, 10000, 0), 0);
        ck_assert_int_eq(r.status, want[i]);
        tw_resp_free(&r);
    }
}
END_TEST


START_TEST(big_response_whole)
{
    tw_resp  r;
    size_t   i;

    up_default();
    ask(&r, "GET /big?n=3000000 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_uint_eq(r.body_len, 3000000);
    for (i = 0; i < r.body_len; i += 4999) {
        ck_assert_int_eq(r.body[i], 'x');
    }
    tw_resp_free(&r);
}
END_TEST


Suite *
request_suite(void)
{
    Suite  *s = suite_create("request");
    TCase  *te = tcase_create("environ");
    TCase  *ti = tcase_create("input");
    TCase  *tr = tcase_create("response");
    TCase  *tf = tcase_create("file_wrapper");
    TCase  *tc = tcase_create("connection");
    int     n = (int) (sizeof(input_cases) / sizeof(input_cases[0]));

    tcase_set_timeout(te, 60);
    tcase_add_checked_fixture(te, NULL, down);
    tcase_add_test(te, environ_keys_tcp);
    tcase_add_test(te, environ_content_length_and_http10);
    tcase_add_test(te, path_info_percent_decoded_latin1);
    tcase_add_test(te, environ_unix_socket);
    tcase_add_test(te, script_name_from_environment);
    tcase_add_test(te, forwarded_proto_from_trusted_peer);
    tcase_add_loop_test(te, environ_fresh_on_every_keep_alive_request, 0, 2);
    suite_add_tcase(s, te);

    tcase_set_timeout(ti, 60);
    tcase_add_checked_fixture(ti, NULL, down);
    tcase_add_loop_test(ti, input_methods_content_length, 0, n);
    tcase_add_loop_test(ti, input_methods_chunked, 0, n);
    tcase_add_test(ti, input_never_past_the_body);
    tcase_add_test(ti, input_large_bodies);
    tcase_add_test(ti, input_expect_continue);
    tcase_add_test(ti, input_unread_body_skipped);
    tcase_add_test(ti, input_kept_is_inert);
    tcase_add_test(ti, input_bad_chunk_is_400);
    suite_add_tcase(s, ti);

    tcase_set_timeout(tr, 60);
    tcase_add_checked_fixture(tr, NULL, down);
    tcase_add_test(tr, write_callable_then_iterable);
    tcase_add_test(tr, generator_is_chunked_on_11_raw_on_10);
    tcase_add_test(tr, known_lengths_get_content_length);
    tcase_add_test(tr, head_order_and_server_fields);
    tcase_add_test(tr, no_body_statuses);
    tcase_add_test(tr, no_body_bytes_warned_once);
    tcase_add_test(tr, exc_info_replaces_before_headers_sent);
    tcase_add_test(tr, exc_info_reraises_after_headers_sent);
    tcase_add_test(tr, second_start_response_without_exc_info_is_500);
    tcase_add_test(tr, exception_before_headers_is_500_with_traceback);
    tcase_add_test(tr, exception_after_headers_cuts_the_connection);
    tcase_add_loop_test(tr, invalid_responses_are_500, 0, 3);
    suite_add_tcase(s, tr);

    tcase_set_timeout(tf, 60);
    tcase_add_checked_fixture(tf, NULL, down);
    tcase_add_test(tf, file_wrapper_sendfile);
    tcase_add_test(tf, file_wrapper_content_length_caps);
    tcase_add_test(tf, file_wrapper_without_sendfile_or_fileno);
    suite_add_tcase(s, tf);

    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, NULL, down);
    tcase_add_test(tc, iterable_close_always_called);
    tcase_add_test(tc, bad_request_is_400_and_logged);
    tcase_add_test(tc, keepalive_zero_closes);
    tcase_add_test(tc, pipelined_requests_in_order);
    tcase_add_test(tc, big_response_whole);
    suite_add_tcase(s, tc);
    return s;
}

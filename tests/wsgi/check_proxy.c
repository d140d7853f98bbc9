/*
 * PROXY protocol at the WSGI level, over real sockets, on every worker
 * kind: the header's client in REMOTE_ADDR/REMOTE_PORT and PROXY_* for
 * every request of the connection (gunicorn's gthread loses them from the
 * second on), LOCAL keeping the real addresses (not gunicorn's None), 403
 * for a peer outside proxy_allow_ips, 400 for a malformed header.
 */
#include "tw.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

static const char *const kinds[] = { "sync", "ev", "gthread" };

static tw_server  S;
static tw_conn    C;


static void
up(const char *kind, int mode, const char *allow)
{
    tw_opts  o;

    tw_opts_init(&o);
    o.worker = kind;
    o.threads = strcmp(kind, "gthread") == 0 ? 4 : 1;
    o.proxy_protocol = mode;
    o.proxy_allow_ips = allow;
    tw_server_start(&S, &o);
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


static void
has(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL) {
        ck_abort_msg("expected \"%s\" in:\n%s", needle, hay);
    }
}


/* The environ of a GET /env sent after `pre` (n bytes) on a fresh
 * connection (kept open in C), as the probe's JSON. */
static char *
env_after(const void *pre, size_t n)
{
    tw_resp  r;
    char    *body, *log;

    if (C.fd > 0) {
        close(C.fd);
    }
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
    ck_assert_int_eq(tw_send(&C, pre, n), 0);
    ck_assert_int_eq(tw_sends(&C, "GET /env HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    if (tw_read(&C, &r, 20000, 0) != 0) {
        log = tw_server_log(&S);
        ck_abort_msg("no response; log:\n%s", log);
    }
    ck_assert_int_eq(r.status, 200);
    body = r.body;
    return body;
}


/* The next request on the same connection (keep-alive kinds). */
static char *
env_again(void)
{
    tw_resp  r;

    ck_assert_int_eq(tw_sends(&C, "GET /env HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 200);
    return r.body;
}


static const char  v1[] = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n";


static void
has_v1_client(const char *env)
{
    has(env, "\"REMOTE_ADDR\": \"192.0.2.1\"");
    has(env, "\"REMOTE_PORT\": \"56324\"");
    has(env, "\"PROXY_PROTOCOL\": \"TCP4\"");
    has(env, "\"PROXY_ADDR\": \"198.51.100.2\"");
    has(env, "\"PROXY_PORT\": \"443\"");
}


/* v1: the client's address for the first request and the ones after it,
 * pipelined or not. */
START_TEST(proxy_v1_addresses_for_every_request)
{
    const char  *kind = kinds[_i];
    char        *env, two[512];
    tw_resp      r;
    int          i;

    up(kind, PFH_PROXY_V1, NULL);
    env = env_after(v1, strlen(v1));
    has_v1_client(env);
    free(env);
    if (strcmp(kind, "sync") == 0) {
        return;                          /* one request per connection */
    }
    for (i = 0; i < 2; i++) {
        env = env_again();
        has_v1_client(env);
        free(env);
    }
    /* pipelined with the header: both requests see the client */
    close(C.fd);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
    snprintf(two, sizeof(two), "%sGET /env HTTP/1.1\r\nHost: x\r\n\r\n"
             "GET /env HTTP/1.1\r\nHost: x\r\n\r\n", v1);
    ck_assert_int_eq(tw_sends(&C, two), 0);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
        has_v1_client(r.body);
        tw_resp_free(&r);
    }
}
END_TEST


/* v2 (auto mode): TCP6 client; LOCAL keeps the real peer and names the
 * local end; v1 still works; no header at all is a plain request. */
START_TEST(proxy_v2_local_and_none)
{
    static const unsigned char  sig[12] = {
        '\r', '\n', '\r', '\n', 0, '\r', '\n', 'Q', 'U', 'I', 'T', '\n'
    };
    const char                 *kind = kinds[_i];
    unsigned char               h[64];
    char                       *env, want[128];
    const char                 *port;

    up(kind, PFH_PROXY_AUTO, NULL);
    memcpy(h, sig, 12);
    h[12] = 0x21;                                /* v2, PROXY */
    h[13] = 0x21;                                /* INET6, STREAM */
    h[14] = 0;
    h[15] = 36;
    memset(h + 16, 0, 32);
    h[16] = 0x20;                                /* 2001:db8::7 */
    h[17] = 0x01;
    h[18] = 0x0d;
    h[19] = 0xb8;
    h[31] = 7;
    h[32] = 0x20;                                /* 2001:db8::1 */
    h[33] = 0x01;
    h[34] = 0x0d;
    h[35] = 0xb8;
    h[47] = 1;
    h[48] = 0xc3;                                /* 50000 */
    h[49] = 0x50;
    h[50] = 0x01;                                /* 443 */
    h[51] = 0xbb;
    env = env_after(h, 52);
    has(env, "\"REMOTE_ADDR\": \"2001:db8::7\"");
    has(env, "\"REMOTE_PORT\": \"50000\"");
    has(env, "\"PROXY_PROTOCOL\": \"TCP6\"");
    has(env, "\"PROXY_ADDR\": \"2001:db8::1\"");
    has(env, "\"PROXY_PORT\": \"443\"");
    free(env);
    if (strcmp(kind, "sync") != 0) {
        env = env_again();
        has(env, "\"REMOTE_ADDR\": \"2001:db8::7\"");
        free(env);
    }

    h[12] = 0x20;                                /* v2, LOCAL */
    h[13] = 0x00;
    h[15] = 0;
    env = env_after(h, 16);
    has(env, "\"PROXY_PROTOCOL\": \"LOCAL\"");
    has(env, "\"REMOTE_ADDR\": \"127.0.0.1\"");
    has(env, "\"PROXY_ADDR\": \"127.0.0.1\"");
    port = strrchr(S.addr, ':') + 1;
    snprintf(want, sizeof(want), "\"PROXY_PORT\": \"%s\"", port);
    has(env, want);
    ck_assert_ptr_null(strstr(env, "None"));
    free(env);

    env = env_after(v1, strlen(v1));
    has_v1_client(env);
    free(env);

    env = env_after("", 0);
    has(env, "\"REMOTE_ADDR\": \"127.0.0.1\"");
    ck_assert_ptr_null(strstr(env, "PROXY_"));
    free(env);
}
END_TEST


/* A PROXY header from a peer outside proxy_allow_ips: 403 and close; the
 * same peer without a header is served.  A malformed header: 400. */
START_TEST(proxy_forbidden_and_malformed)
{
    const char  *kind = kinds[_i % 3];
    tw_resp      r;
    char        *env;

    if (_i < 3) {
        up(kind, PFH_PROXY_V1, "10.0.0.1");
        ck_assert_int_ge(tw_connect(&C, S.addr), 0);
        ck_assert_int_eq(tw_sends(&C, v1), 0);
        ck_assert_int_eq(tw_sends(&C, "GET /env HTTP/1.1\r\nHost: x\r\n\r\n"),
                         0);
        ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
        ck_assert_int_eq(r.status, 403);
        has(r.body, "Request forbidden");
        tw_resp_free(&r);
        ck_assert(tw_closed(&C, 20000));
        env = env_after("", 0);
        has(env, "\"REMOTE_ADDR\": \"127.0.0.1\"");
        free(env);
        return;
    }
    up(kind, PFH_PROXY_V1, NULL);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
    ck_assert_int_eq(tw_sends(&C, "PROXY TCP4 192.0.2.1 nope 1 2\r\n"
                              "GET /env HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 400);
    tw_resp_free(&r);
    ck_assert(tw_closed(&C, 20000));
}
END_TEST


Suite *
proxy_suite(void)
{
    Suite  *s = suite_create("proxy");
    TCase  *t = tcase_create("kinds");

    tcase_set_timeout(t, 90);
    tcase_add_checked_fixture(t, NULL, down);
    tcase_add_loop_test(t, proxy_v1_addresses_for_every_request, 0, 3);
    tcase_add_loop_test(t, proxy_v2_local_and_none, 0, 3);
    tcase_add_loop_test(t, proxy_forbidden_and_malformed, 0, 6);
    suite_add_tcase(s, t);
    return s;
}

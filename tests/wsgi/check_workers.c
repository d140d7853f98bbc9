/*
 * The worker kinds under the real arbiter: the test's child is a master
 * (pf_arbiter_run with pfw_sync_ops / pfw_ev_ops / pfw_gthread_ops) and
 * the test talks HTTP to it.  Keep-alive, pipelining, slow clients, the
 * connection cap, thread concurrency, max-requests recycling, graceful
 * stop with a request in flight, boot errors 3/4 and --preload.
 */
#include "tw.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

static const char *const kinds[] = { "sync", "ev", "gthread" };

static tw_server  S;
static tw_conn    C;


static void
up(const tw_opts *o)
{
    tw_server_start(&S, o);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
}


static void
up_kind(const char *kind)
{
    tw_opts  o;

    tw_opts_init(&o);
    o.worker = kind;
    /* sync with --threads > 1 is gthread, as in gunicorn */
    o.threads = strcmp(kind, "gthread") == 0 ? 4 : 1;
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


static void
ask_on(tw_conn *c, tw_resp *r, const char *raw)
{
    tw_server_get(&S, c, r, raw);
}


static void
reconnect(void)
{
    close(C.fd);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
}


static void
has(const char *hay, const char *needle)
{
    if (strstr(hay, needle) == NULL) {
        ck_abort_msg("expected \"%s\" in:\n%s", needle, hay);
    }
}


static void
log_has(const char *needle)
{
    char  *log = tw_server_log(&S);

    if (strstr(log, needle) == NULL) {
        ck_abort_msg("expected \"%s\" in the log:\n%s", needle, log);
    }
    free(log);
}


static long
pid_of(const tw_resp *r)
{
    const char  *p = strstr(r->body, "\"pid\": ");

    ck_assert_ptr_nonnull(p);
    return strtol(p + 7, NULL, 10);
}


/* Every kind: the probe's main paths, and its connection policy. */
START_TEST(kind_serves_the_probe)
{
    const char  *kind = kinds[_i];
    char         v[64];
    tw_resp      r;

    up_kind(kind);
    ask_on(&C, &r, "GET /env HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    has(r.body, strcmp(kind, "gthread") == 0 ? "\"wsgi.multithread\": true"
                                             : "\"wsgi.multithread\": false");
    if (strcmp(kind, "sync") == 0) {
        ck_assert_str_eq(tw_header(&r, "Connection", v, sizeof(v)), "close");
        tw_resp_free(&r);
        ck_assert(tw_closed(&C, 5000));
        reconnect();
    } else {
        ck_assert_str_eq(tw_header(&r, "Connection", v, sizeof(v)),
                         "keep-alive");
        tw_resp_free(&r);
    }
    ask_on(&C, &r, "POST /echo?m=readline HTTP/1.1\r\nHost: x\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n"
                   "4\r\nab\nc\r\n3\r\nd\nz\r\n0\r\n\r\n");
    ck_assert_str_eq(r.body, "ab\n|cd\n|z");
    tw_resp_free(&r);
    if (strcmp(kind, "sync") == 0) {
        reconnect();
    }
    ask_on(&C, &r, "GET /write HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "written-1;written-2;iter-1;iter-2");
    tw_resp_free(&r);
    if (strcmp(kind, "sync") == 0) {
        reconnect();
    }
    ask_on(&C, &r, "GET /raise HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 500);
    tw_resp_free(&r);
    log_has("RuntimeError: probe raised on purpose");
}
END_TEST


/* ev and gthread: keep-alive and pipelined requests served in order. */
START_TEST(kind_pipelining)
{
    static const char *const  k[] = { "ev", "gthread" };
    static const int          want[] = { 201, 200, 202, 200, 203 };
    tw_resp                   r;
    int                       i;

    up_kind(k[_i]);
    ck_assert_int_eq(tw_sends(&C,
        "GET /status?s=201 HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
        "GET /status?s=202 HTTP/1.1\r\nHost: x\r\n\r\n"
        "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "2\r\nhi\r\n0\r\n\r\n"
        "GET /status?s=203 HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    for (i = 0; i < 5; i++) {
        ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
        ck_assert_int_eq(r.status, want[i]);
        if (i == 1) {
            ck_assert_str_eq(r.body, "body");
        }
        if (i == 3) {
            ck_assert_str_eq(r.body, "hi");
        }
        tw_resp_free(&r);
    }
    /* and the connection stays usable afterwards */
    ask_on(&C, &r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
}
END_TEST


/* An idle keep-alive connection is closed after --keep-alive seconds. */
START_TEST(kind_keepalive_expires)
{
    static const char *const  k[] = { "ev", "gthread" };
    tw_opts                   o;
    tw_resp                   r;

    tw_opts_init(&o);
    o.worker = k[_i];
    o.keepalive = 1;
    up(&o);
    ask_on(&C, &r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    tw_resp_free(&r);
    ck_assert(tw_closed(&C, 10000));
}
END_TEST


/* ev: a client that sends half a head, or half a body, holds nothing. */
START_TEST(ev_slow_clients_do_not_block)
{
    tw_conn  slow, slow2;
    tw_resp  r;

    up_kind("ev");
    ck_assert_int_ge(tw_connect(&slow, S.addr), 0);
    ck_assert_int_ge(tw_connect(&slow2, S.addr), 0);
    ck_assert_int_eq(tw_sends(&slow, "GET /one HTTP/1.1\r\nHo"), 0);
    ck_assert_int_eq(tw_sends(&slow2, "POST /echo HTTP/1.1\r\nHost: x\r\n"
                              "Content-Length: 10\r\n\r\n01234"), 0);
    ask_on(&C, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    ck_assert_int_eq(tw_sends(&slow, "st: x\r\n\r\n"), 0);
    ck_assert_int_eq(tw_read(&slow, &r, 20000, 0), 0);
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
    ck_assert_int_eq(tw_sends(&slow2, "56789"), 0);
    ck_assert_int_eq(tw_read(&slow2, &r, 20000, 0), 0);
    ck_assert_str_eq(r.body, "0123456789");
    tw_resp_free(&r);
    close(slow.fd);
    close(slow2.fd);
}
END_TEST


/* ev: a reader that stops reading parks its response (partial writes
 * resume when it drains) while others are served. */
START_TEST(ev_slow_reader_partial_writes)
{
    tw_conn  big;
    tw_resp  r;
    size_t   i;

    up_kind("ev");
    ck_assert_int_ge(tw_connect(&big, S.addr), 0);
    ck_assert_int_eq(tw_sends(&big, "GET /stream?n=400&size=50000 HTTP/1.1"
                              "\r\nHost: x\r\n\r\n"), 0);
    /* 20 MB that big does not read: the worker parks the response... */
    ask_on(&C, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    ask_on(&C, &r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
    /* ...and resumes it as big drains its socket */
    ck_assert_int_eq(tw_read(&big, &r, 60000, 0), 0);
    ck_assert(r.complete);
    ck_assert_uint_eq(r.body_len, 400u * 50000u);
    for (i = 0; i < 400; i++) {
        ck_assert_int_eq(r.body[i * 50000], 'a' + (int) (i % 26));
        ck_assert_int_eq(r.body[i * 50000 + 49999], 'a' + (int) (i % 26));
    }
    tw_resp_free(&r);
    close(big.fd);
}
END_TEST


/* --worker-connections: at the cap, accept pauses until one closes.  The
 * two held connections have a request under way (a partial head), since
 * gthread keeps at most worker_connections - threads idle ones. */
START_TEST(ev_connection_cap)
{
    static const char *const  k[] = { "ev", "gthread" };
    static const char         part[] = "GET /one HTTP/1.1\r\nHo";
    tw_opts                   o;
    tw_conn                   b, c3;
    tw_resp                   r;

    tw_opts_init(&o);
    o.worker = k[_i];
    o.worker_connections = 2;
    o.keepalive = 30;
    up(&o);
    ck_assert_int_ge(tw_connect(&b, S.addr), 0);
    ask_on(&C, &r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    tw_resp_free(&r);
    ck_assert_int_eq(tw_sends(&C, part), 0);
    ask_on(&b, &r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    tw_resp_free(&r);
    ck_assert_int_eq(tw_sends(&b, part), 0);
    ck_assert_int_ge(tw_connect(&c3, S.addr), 0);
    ck_assert_int_eq(tw_sends(&c3, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    /* two connections open: the third waits in the backlog */
    ck_assert_int_eq(th_readable(c3.fd, 700), 0);
    close(b.fd);
    ck_assert_int_eq(tw_read(&c3, &r, 20000, 0), 0);
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
    close(c3.fd);
    /* and the first one finishes its request */
    ask_on(&C, &r, "st: x\r\n\r\n");
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
}
END_TEST


/* gthread runs requests at the same time: two requests meet inside the
 * app (a barrier), which a serial server could never do. */
START_TEST(gthread_requests_run_concurrently)
{
    tw_conn  b;
    tw_resp  r;

    up_kind("gthread");
    ck_assert_int_ge(tw_connect(&b, S.addr), 0);
    ck_assert_int_eq(tw_sends(&C, "GET /barrier?n=2 HTTP/1.1\r\nHost: x\r\n"
                              "\r\n"), 0);
    ck_assert_int_eq(tw_sends(&b, "GET /barrier?n=2 HTTP/1.1\r\nHost: x\r\n"
                              "\r\n"), 0);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_str_eq(r.body, "met");
    tw_resp_free(&r);
    ck_assert_int_eq(tw_read(&b, &r, 20000, 0), 0);
    ck_assert_str_eq(r.body, "met");
    tw_resp_free(&r);
    close(b.fd);
}
END_TEST


/* --max-requests 3: the fourth request meets a new worker. */
START_TEST(kind_max_requests_recycles)
{
    tw_opts  o;
    tw_resp  r;
    long     pids[4];
    int      i;

    tw_opts_init(&o);
    o.worker = kinds[_i];
    o.max_requests = 3;
    up(&o);
    for (i = 0; i < 4; i++) {
        ask_on(&C, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
        pids[i] = pid_of(&r);
        tw_resp_free(&r);
        reconnect();
    }
    ck_assert_int_eq(pids[0], pids[1]);
    ck_assert_int_eq(pids[1], pids[2]);
    ck_assert_int_ne(pids[2], pids[3]);
    log_has("Autorestarting worker after current request.");
}
END_TEST


/* SIGTERM to the master while a response is half sent: it completes, and
 * the master exits 0. */
START_TEST(kind_graceful_stop_finishes_inflight)
{
    tw_resp  r;
    char     buf[256];
    ssize_t  n;
    int      status;

    up_kind(kinds[_i]);
    ck_assert_int_eq(tw_sends(&C, "GET /slowstream?s=1 HTTP/1.1\r\nHost: x"
                              "\r\n\r\n"), 0);
    /* the first chunk proves the worker is inside the request */
    n = th_read_n(C.fd, buf, 1, 20000);
    ck_assert_int_eq(n, 1);
    C.buf[0] = buf[0];
    C.len = 1;
    status = -1;
    ck_assert_int_eq(kill(S.pid, SIGTERM), 0);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert(r.complete);
    ck_assert_str_eq(r.body, "first;second");
    tw_resp_free(&r);
    ck_assert_int_eq(th_wait(S.pid, &status, 20000), S.pid);
    S.pid = 0;
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST


static int
boot_status(const char *kind, const char *spec, int preload)
{
    tw_opts  o;
    int      status;

    tw_opts_init(&o);
    o.worker = kind;
    o.spec = spec;
    o.preload = preload;
    tw_server_start(&S, &o);
    status = tw_server_signal_wait(&S, 0, 30000);
    ck_assert_int_ne(status, -1);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}


START_TEST(boot_import_error_halts_with_3)
{
    ck_assert_int_eq(boot_status(kinds[_i % 3], "prefork_wsgi_absent_mod",
                                 _i >= 3), 3);
    log_has("Exception in worker process\nTraceback");
    log_has("ModuleNotFoundError: No module named 'prefork_wsgi_absent_mod'");
}
END_TEST


START_TEST(boot_app_error_halts_with_4)
{
    ck_assert_int_eq(boot_status(kinds[_i % 3], "loadme:nope", _i >= 3), 4);
    log_has("Failed to find attribute 'nope' in 'loadme'.");
}
END_TEST


START_TEST(preload_imports_in_the_master)
{
    tw_opts  o;
    tw_resp  r;
    char     want[64];

    tw_opts_init(&o);
    o.worker = kinds[_i % 3];
    o.spec = "preload_probe";
    o.preload = _i >= 3;
    o.workers = 2;
    up(&o);
    ask_on(&C, &r, "GET / HTTP/1.0\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    snprintf(want, sizeof(want), "\"import_pid\": %d", (int) S.pid);
    if (o.preload) {
        has(r.body, want);
    } else {
        ck_assert_ptr_null(strstr(r.body, want));
        /* imported by the very worker that serves */
        snprintf(want, sizeof(want), "\"import_pid\": %ld", pid_of(&r));
        has(r.body, want);
    }
    ck_assert_int_ne(pid_of(&r), S.pid);
    tw_resp_free(&r);
}
END_TEST


/* The GIL is free while the loop waits: a thread the app started keeps
 * running while the worker is idle.  (Waiting for time to pass is the
 * point here: ticks counted across 600 ms of idleness.) */
START_TEST(gil_released_while_idle)
{
    static const char *const  k[] = { "ev", "gthread", "sync" };
    tw_opts                   o;
    tw_resp                   r;
    long                      t0, t1;
    const char               *p;

    tw_opts_init(&o);
    o.worker = k[_i];
    o.spec = "ticker";
    up(&o);
    ask_on(&C, &r, "GET / HTTP/1.0\r\n\r\n");
    p = strstr(r.body, "\"ticks\": ");
    ck_assert_ptr_nonnull(p);
    t0 = strtol(p + 9, NULL, 10);
    tw_resp_free(&r);
    ck_assert_int_eq(th_readable(-1, 600), 0);
    reconnect();
    ask_on(&C, &r, "GET / HTTP/1.0\r\n\r\n");
    p = strstr(r.body, "\"ticks\": ");
    ck_assert_ptr_nonnull(p);
    t1 = strtol(p + 9, NULL, 10);
    tw_resp_free(&r);
    /* about 120 at 5 ms; a held GIL would give 0 or 1 */
    ck_assert_int_ge(t1 - t0, 20);
}
END_TEST


/* SIGUSR1 to a worker reaches its reopen hook (the DEBUG line), twice,
 * and the same worker serves on. */
START_TEST(usr1_reaches_the_worker)
{
    tw_resp  r;
    long     pid;
    int      i;

    up_kind(kinds[_i]);
    ask_on(&C, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    pid = pid_of(&r);
    tw_resp_free(&r);
    for (i = 1; i <= 2; i++) {
        ck_assert_int_eq(kill((pid_t) pid, SIGUSR1), 0);
        ck_assert_msg(tw_server_wait_log(&S, "[DEBUG] reopening log files",
                                         i, 20000),
                      "no reopen line after USR1 #%d", i);
        reconnect();
        ask_on(&C, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
        ck_assert_int_eq(pid_of(&r), pid);
        tw_resp_free(&r);
    }
}
END_TEST


START_TEST(unsupported_kinds_are_refused)
{
    static const char *const  bad[] = {
        "gevent", "eventlet", "tornado", "gevent_pywsgi",
        "uvicorn.workers.UvicornWorker", "nope",
    };
    char                      err[256];
    size_t                    i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        ck_assert_ptr_null(pfw_worker_ops(bad[i], 1, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, bad[i]));
        ck_assert_ptr_nonnull(strstr(err, "sync, ev, gthread"));
    }
    ck_assert_ptr_eq(pfw_worker_ops("sync", 1, err, sizeof(err)),
                     &pfw_sync_ops);
    ck_assert_ptr_eq(pfw_worker_ops("sync", 4, err, sizeof(err)),
                     &pfw_gthread_ops);
    ck_assert_ptr_eq(pfw_worker_ops("ev", 1, err, sizeof(err)), &pfw_ev_ops);
    ck_assert_ptr_eq(pfw_worker_ops("gthread", 1, err, sizeof(err)),
                     &pfw_gthread_ops);
    ck_assert_ptr_eq(pfw_worker_ops("gunicorn.workers.sync.SyncWorker", 1,
                                    err, sizeof(err)), &pfw_sync_ops);
}
END_TEST


Suite *
workers_suite(void)
{
    Suite  *s = suite_create("workers");
    TCase  *tk = tcase_create("kinds");
    TCase  *tl = tcase_create("lifecycle");

    tcase_set_timeout(tk, 90);
    tcase_add_checked_fixture(tk, NULL, down);
    tcase_add_loop_test(tk, kind_serves_the_probe, 0, 3);
    tcase_add_loop_test(tk, kind_pipelining, 0, 2);
    tcase_add_loop_test(tk, kind_keepalive_expires, 0, 2);
    tcase_add_test(tk, ev_slow_clients_do_not_block);
    tcase_add_test(tk, ev_slow_reader_partial_writes);
    tcase_add_loop_test(tk, ev_connection_cap, 0, 2);
    tcase_add_test(tk, gthread_requests_run_concurrently);
    tcase_add_test(tk, unsupported_kinds_are_refused);
    tcase_add_loop_test(tk, gil_released_while_idle, 0, 3);
    tcase_add_loop_test(tk, usr1_reaches_the_worker, 0, 3);
    suite_add_tcase(s, tk);

    tcase_set_timeout(tl, 90);
    tcase_add_checked_fixture(tl, NULL, down);
    tcase_add_loop_test(tl, kind_max_requests_recycles, 0, 3);
    tcase_add_loop_test(tl, kind_graceful_stop_finishes_inflight, 0, 3);
    tcase_add_loop_test(tl, boot_import_error_halts_with_3, 0, 6);
    tcase_add_loop_test(tl, boot_app_error_halts_with_4, 0, 6);
    tcase_add_loop_test(tl, preload_imports_in_the_master, 0, 6);
    suite_add_tcase(s, tl);
    return s;
}

/*
 * Faults, under the real arbiter (the test's child is a master running a
 * worker kind): the request head deadline (408 for a trickled head, a
 * plain close for a silent connection, keep-alive heads timed from their
 * first byte), SIGTERM answering what waits in the listen queue and the
 * drain grace of fresh connections, the WARNING for bodies longer than
 * their Content-Length, gthread's heartbeat withheld while a request
 * overruns --timeout, and accept4() failures logged at most once a second
 * (the worker out of fds by RLIMIT_NOFILE, or because the app holds them).
 * App: tests/apps/faults.py.
 */
#include "tw.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

static const char *const kinds[] = { "sync", "ev", "gthread" };

static tw_server  S;


static void
opts(tw_opts *o, const char *kind)
{
    tw_opts_init(o);
    o->spec = "faults:app";
    o->worker = kind;
    o->threads = strcmp(kind, "gthread") == 0 ? 2 : 1;
}


static void
down(void)
{
    tw_server_stop(&S);
}


static void
log_has(const char *needle, int n)
{
    tw_server_expect_log(&S, needle, n, 20000);
}


static void
log_lacks(const char *needle)
{
    char  *log = tw_server_log(&S);

    if (strstr(log, needle) != NULL) {
        ck_abort_msg("unexpected \"%s\" in the log:\n%s", needle, log);
    }
    free(log);
}


static void
conn(tw_conn *c)
{
    ck_assert_int_ge(tw_connect(c, S.addr), 0);
}


static void
get(tw_conn *c, tw_resp *r, const char *raw)
{
    tw_server_get(&S, c, r, raw);
}


/* The peer ended the connection with a FIN (not a reset) and sent nothing
 * more, within ms. */
static int
fin_within(tw_conn *c, int ms)
{
    char     b[512];
    ssize_t  n;

    if (c->len > 0 || th_readable(c->fd, ms) != 1) {
        return 0;
    }
    n = recv(c->fd, b, sizeof(b), 0);
    return n == 0;
}


/* The master exits 0 within ms (it was sent a signal already). */
static void
master_exits_0(int ms)
{
    int  status = -1;

    ck_assert_int_eq(th_wait(S.pid, &status, ms), S.pid);
    S.pid = 0;
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}


/* ---- the head deadline --------------------------------------------------- */

/* A head trickled a byte every 200 ms (each byte would re-arm a per-read
 * timer) meets its deadline, --timeout 2 after the connection opened:
 * 408, then the close.  The trickle goes on for 12 s at most. */
START_TEST(head_deadline_408)
{
    tw_opts    o;
    tw_conn    c;
    tw_resp    r;
    long long  t0, took;
    int        ready = 0;

    opts(&o, kinds[_i]);
    o.timeout = 2;
    tw_server_start(&S, &o);
    conn(&c);
    t0 = th_now_ms();
    ck_assert_int_eq(tw_sends(&c, "GET /pid HTTP/1.1\r\nHost: x\r\nX-Slow: "),
                     0);
    while (th_now_ms() - t0 < 12000) {
        ready = th_readable(c.fd, 200);
        if (ready != 0 || tw_sends(&c, "a") != 0) {
            break;
        }
    }
    took = th_now_ms() - t0;
    ck_assert_int_eq(ready, 1);
    ck_assert_int_eq(tw_read(&c, &r, 5000, 0), 0);
    ck_assert_int_eq(r.status, 408);
    ck_assert_ptr_nonnull(strstr(r.head, "Connection: close"));
    ck_assert_ptr_nonnull(strstr(r.body, "Request Timeout"));
    tw_resp_free(&r);
    ck_assert_msg(took >= 1500 && took < 8000, "408 after %lld ms", took);
    ck_assert(tw_closed(&c, 5000));
    close(c.fd);
}
END_TEST


/* A connection that sends nothing is closed at the deadline, without a
 * page. */
START_TEST(head_deadline_silent_close)
{
    tw_opts    o;
    tw_conn    c;
    long long  t0, took;

    opts(&o, kinds[_i]);
    o.timeout = 2;
    tw_server_start(&S, &o);
    conn(&c);
    t0 = th_now_ms();
    ck_assert(fin_within(&c, 10000));
    took = th_now_ms() - t0;
    ck_assert_msg(took >= 1500, "closed after %lld ms", took);
    close(c.fd);
}
END_TEST


/* Keep-alive: the next head is timed from its first byte, not from the
 * end of the previous response (--keep-alive 4 outlasts --timeout 2). */
START_TEST(head_deadline_after_keepalive_wait)
{
    static const char *const  k[] = { "ev", "gthread" };
    tw_opts                   o;
    tw_conn                   c;
    tw_resp                   r;

    opts(&o, k[_i]);
    o.timeout = 2;
    o.keepalive = 4;
    tw_server_start(&S, &o);
    conn(&c);
    get(&c, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    /* 2.5 s idle: the server must neither close nor answer meanwhile */
    ck_assert_int_eq(th_readable(c.fd, 2500), 0);
    get(&c, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    close(c.fd);
}
END_TEST


/* ---- drain --------------------------------------------------------------- */

/* SIGTERM while the only worker sleeps in a request and two more wait in
 * the listen queue (sync, ev) or the pool's queue (gthread, one thread):
 * all three are answered, then the master exits 0. */
START_TEST(drain_serves_the_backlog)
{
    tw_opts  o;
    tw_conn  a, b, c;
    tw_resp  r;

    opts(&o, kinds[_i]);
    o.threads = 1;
    tw_server_start(&S, &o);
    conn(&a);
    ck_assert_int_eq(tw_sends(&a, "GET /sleep?s=1 HTTP/1.1\r\nHost: x\r\n"
                              "\r\n"), 0);
    log_has("SLEEP-START", 1);
    conn(&b);
    conn(&c);
    ck_assert_int_eq(tw_sends(&b, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    ck_assert_int_eq(tw_sends(&c, "GET /pid HTTP/1.1\r\nHost: x\r\n"
                              "Connection: close\r\n\r\n"), 0);
    ck_assert_int_eq(kill(S.pid, SIGTERM), 0);
    ck_assert_int_eq(tw_read(&a, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    ck_assert_int_eq(tw_read(&b, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.head, "Connection: close"));
    tw_resp_free(&r);
    ck_assert_int_eq(tw_read(&c, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    master_exits_0(20000);
    close(a.fd);
    close(b.fd);
    close(c.fd);
}
END_TEST


/* SIGTERM with two connections that have not sent their request yet: the
 * one whose request comes 300 ms later is answered (Connection: close),
 * the silent one is closed with a FIN after the grace, and the worker
 * leaves well before --graceful-timeout (10 s). */
START_TEST(drain_grace_for_fresh_connections)
{
    tw_opts    o;
    tw_conn    late, silent;
    tw_resp    r;
    long long  t0;

    opts(&o, kinds[_i]);
    tw_server_start(&S, &o);
    conn(&late);
    conn(&silent);
    t0 = th_now_ms();
    ck_assert_int_eq(kill(S.pid, SIGTERM), 0);
    log_has("Handling signal: term", 1);
    ck_assert_int_eq(th_readable(late.fd, 300), 0);
    get(&late, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.head, "Connection: close"));
    tw_resp_free(&r);
    ck_assert(fin_within(&silent, 8000));
    master_exits_0(20000);
    ck_assert_msg(th_now_ms() - t0 < 8000, "drain took %lld ms",
                  th_now_ms() - t0);
    close(late.fd);
    close(silent.fd);
}
END_TEST


/* An idle keep-alive connection is closed at once on SIGTERM, with a FIN
 * (half-closed and drained first), not a reset. */
START_TEST(drain_closes_idle_keepalive_with_fin)
{
    static const char *const  k[] = { "ev", "gthread" };
    tw_opts                   o;
    tw_conn                   c;
    tw_resp                   r;

    opts(&o, k[_i]);
    o.keepalive = 30;
    tw_server_start(&S, &o);
    conn(&c);
    get(&c, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.head, "Connection: close"));
    tw_resp_free(&r);
    ck_assert_int_eq(kill(S.pid, SIGTERM), 0);
    ck_assert(fin_within(&c, 5000));
    master_exits_0(20000);
    close(c.fd);
}
END_TEST


/* ---- responses longer than their Content-Length ---------------------------- */

START_TEST(overlong_body_warned)
{
    static const char *const  via[] = { "iter", "write", "file" };
    tw_opts                   o;
    tw_conn                   c;
    tw_resp                   r;
    char                      req[128], line[160];
    size_t                    i;

    opts(&o, kinds[_i]);
    tw_server_start(&S, &o);
    for (i = 0; i < 3; i++) {
        conn(&c);
        snprintf(req, sizeof(req), "GET /overlong?via=%s HTTP/1.1\r\n"
                 "Host: x\r\n\r\n", via[i]);
        get(&c, &r, req);
        ck_assert_int_eq(r.status, 200);
        ck_assert_uint_eq(r.body_len, 5);
        if (i < 2) {
            ck_assert_str_eq(r.body, "01234");
        }
        tw_resp_free(&r);
        if (strcmp(kinds[_i], "sync") != 0) {
            /* the connection stays usable: no stray bytes after the body */
            get(&c, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
            ck_assert_int_eq(r.status, 200);
            tw_resp_free(&r);
        }
        close(c.fd);
        snprintf(line, sizeof(line), "Response body for GET /overlong?via=%s "
                 "exceeded its Content-Length (5 bytes); extra bytes "
                 "dropped", via[i]);
        log_has(line, 1);
    }
    /* one line per response, however many items went over */
    log_has("exceeded its Content-Length", 3);
    log_lacks("Traceback");
}
END_TEST


/* ---- gthread: --timeout limits each request ------------------------------- */

/* A pool thread stuck in a request for good: the loop withholds the
 * heartbeat, although the other thread keeps finishing requests, and the
 * master times the worker out; a new one serves. */
START_TEST(gthread_stuck_request_times_out)
{
    tw_opts    o;
    tw_conn    a, b;
    tw_resp    r;
    long long  t0;
    int        timed_out = 0;
    long       pid0;

    opts(&o, "gthread");
    o.timeout = 2;
    o.threads = 2;
    tw_server_start(&S, &o);
    conn(&b);
    get(&b, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    pid0 = strtol(r.body, NULL, 10);
    tw_resp_free(&r);
    conn(&a);
    ck_assert_int_eq(tw_sends(&a, "GET /block HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    t0 = th_now_ms();
    while (th_now_ms() - t0 < 15000 && !timed_out) {
        if (tw_sends(&b, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n") != 0
            || tw_read(&b, &r, 5000, 0) != 0)
        {
            /* the worker went down under this request */
            tw_resp_free(&r);
            timed_out = tw_server_wait_log(&S, "WORKER TIMEOUT", 1, 5000);
            break;
        }
        ck_assert_int_eq(r.status, 200);
        tw_resp_free(&r);
        timed_out = tw_server_wait_log(&S, "WORKER TIMEOUT", 1, 200);
    }
    ck_assert_msg(timed_out, "no WORKER TIMEOUT within 15 s");
    log_has("heartbeat withheld", 1);
    ck_assert(tw_closed(&a, 10000));
    close(a.fd);
    close(b.fd);
    conn(&b);
    get(&b, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_ne(strtol(r.body, NULL, 10), pid0);
    tw_resp_free(&r);
    close(b.fd);
}
END_TEST


/* A long request shorter than --timeout is left alone. */
START_TEST(gthread_long_request_unaffected)
{
    tw_opts  o;
    tw_conn  c;
    tw_resp  r;

    opts(&o, "gthread");
    o.timeout = 2;
    tw_server_start(&S, &o);
    conn(&c);
    get(&c, &r, "GET /sleep?s=1.8 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    get(&c, &r, "GET /sleep?s=1.8 HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    close(c.fd);
    log_lacks("WORKER TIMEOUT");
    log_lacks("heartbeat withheld");
}
END_TEST


/* ---- accept4() failures ----------------------------------------------------- */

#define HOLD  60

/* RLIMIT_NOFILE 48 in the server (the test keeps its own): 60 held
 * connections make accept4() fail with EMFILE.  The worker pauses
 * accepting and logs at most a line a second: three lines take two
 * seconds or more (one line per 0.5 s pause would take one).  Once the
 * connections go, it serves again. */
START_TEST(emfile_logged_once_a_second)
{
    static const char *const  k[] = { "ev", "gthread" };
    struct rlimit             rl, low;
    tw_opts                   o;
    tw_conn                   c;
    tw_resp                   r;
    long long                 t1, t3;
    int                       fds[HOLD], i;

    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    low = rl;
    low.rlim_cur = 48;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    opts(&o, k[_i]);
    tw_server_start(&S, &o);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    for (i = 0; i < HOLD; i++) {
        fds[i] = th_connect(S.addr);
        ck_assert_int_ge(fds[i], 0);
    }
    log_has("accept4() failed: Too many open files", 1);
    t1 = th_now_ms();
    log_has("accept4() failed", 3);
    t3 = th_now_ms();
    ck_assert_msg(t3 - t1 >= 1800, "3 lines in %lld ms", t3 - t1);
    log_has("since the last report): Too many open files", 1);
    for (i = 0; i < HOLD; i++) {
        close(fds[i]);
    }
    conn(&c);
    get(&c, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    close(c.fd);
}
END_TEST


/* Every kind, the app holding every free fd (its own connection's too)
 * for 4 s while three clients wait: the same pacing of the log, no spin
 * (sync used to poll the listener again at once), and all three are
 * answered once the fds are back. */
START_TEST(emfile_app_holds_fds)
{
    tw_opts    o;
    tw_conn    c, w[3];
    tw_resp    r;
    long long  t1, t3;
    int        i;

    opts(&o, kinds[_i]);
    tw_server_start(&S, &o);
    conn(&c);
    get(&c, &r, "GET /fill?s=4 HTTP/1.1\r\nHost: x\r\nConnection: close"
        "\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    tw_resp_free(&r);
    close(c.fd);
    log_has("FILLED", 1);
    for (i = 0; i < 3; i++) {
        conn(&w[i]);
        ck_assert_int_eq(tw_sends(&w[i], "GET /pid HTTP/1.1\r\nHost: x\r\n"
                                  "Connection: close\r\n\r\n"), 0);
    }
    log_has("accept4() failed: Too many open files", 1);
    t1 = th_now_ms();
    log_has("accept4() failed", 3);
    t3 = th_now_ms();
    ck_assert_msg(t3 - t1 >= 1800, "3 lines in %lld ms", t3 - t1);
    log_has("RELEASED", 1);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(tw_read(&w[i], &r, 20000, 0), 0);
        ck_assert_int_eq(r.status, 200);
        tw_resp_free(&r);
        close(w[i].fd);
    }
}
END_TEST


Suite *
faults_suite(void)
{
    Suite  *s = suite_create("faults");
    TCase  *th = tcase_create("head deadline");
    TCase  *td = tcase_create("drain");
    TCase  *tm = tcase_create("misbehaving apps");
    TCase  *ta = tcase_create("accept");

    tcase_set_timeout(th, 60);
    tcase_add_checked_fixture(th, NULL, down);
    tcase_add_loop_test(th, head_deadline_408, 0, 3);
    tcase_add_loop_test(th, head_deadline_silent_close, 0, 3);
    tcase_add_loop_test(th, head_deadline_after_keepalive_wait, 0, 2);
    suite_add_tcase(s, th);

    tcase_set_timeout(td, 60);
    tcase_add_checked_fixture(td, NULL, down);
    tcase_add_loop_test(td, drain_serves_the_backlog, 0, 3);
    tcase_add_loop_test(td, drain_grace_for_fresh_connections, 0, 3);
    tcase_add_loop_test(td, drain_closes_idle_keepalive_with_fin, 0, 2);
    suite_add_tcase(s, td);

    tcase_set_timeout(tm, 60);
    tcase_add_checked_fixture(tm, NULL, down);
    tcase_add_loop_test(tm, overlong_body_warned, 0, 3);
    tcase_add_test(tm, gthread_stuck_request_times_out);
    tcase_add_test(tm, gthread_long_request_unaffected);
    suite_add_tcase(s, tm);

    tcase_set_timeout(ta, 60);
    tcase_add_checked_fixture(ta, NULL, down);
    tcase_add_loop_test(ta, emfile_logged_once_a_second, 0, 2);
    tcase_add_loop_test(ta, emfile_app_holds_fds, 0, 3);
    suite_add_tcase(s, ta);
    return s;
}

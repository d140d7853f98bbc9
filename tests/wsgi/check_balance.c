/*
 * Connections spread over the workers (libprefork's load slots), under
 * the real arbiter: 50 keep-alive connections opened at once over two ev
 * or gthread workers leave each worker at least 35 % of them, run after
 * run; a sibling stuck in a long app call does not strand the backlog;
 * gthread closes the oldest idle keep-alive connections beyond
 * worker_connections - threads.
 */
#include "tw.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#define NCONN  50

static tw_server  S;


static void
down(void)
{
    tw_server_stop(&S);
}


static long
pid_in(const tw_resp *r)
{
    const char  *p = strstr(r->body, "\"pid\": ");

    ck_assert_msg(p != NULL, "no pid in %s", r->body);
    return strtol(p + 7, NULL, 10);
}


static void
start(const char *kind, int workers, unsigned threads, unsigned wconns)
{
    tw_opts  o;
    char    *log;

    tw_opts_init(&o);
    o.worker = kind;
    o.workers = workers;
    o.threads = threads;
    o.keepalive = 60;
    o.worker_connections = wconns;
    tw_server_start(&S, &o);
    /* every worker accepts, its load published, before the clients come */
    if (!tw_server_wait_log(&S, "[DEBUG] Accepting connections, load "
                            "published", workers, 30000))
    {
        log = tw_server_log(&S);
        ck_abort_msg("workers did not start; log:\n%s", log);
    }
}


#define FORCED  "Balance: a connection waited"


/* 50 keep-alive connections opened at once, a GET /pid on each: how many
 * each worker holds. */
static void
spread(int count[2])
{
    tw_conn  *c;
    tw_resp   r;
    long      pid[2] = { 0, 0 };
    int       i, k;

    count[0] = count[1] = 0;
    c = calloc(NCONN, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    for (i = 0; i < NCONN; i++) {
        ck_assert_int_ge(tw_connect(&c[i], S.addr), 0);
    }
    for (i = 0; i < NCONN; i++) {
        ck_assert_int_eq(tw_sends(&c[i], "GET /pid HTTP/1.1\r\nHost: x"
                                  "\r\n\r\n"), 0);
    }
    for (i = 0; i < NCONN; i++) {
        ck_assert_int_eq(tw_read(&c[i], &r, 20000, 0), 0);
        ck_assert_int_eq(r.status, 200);
        for (k = 0; k < 2 && pid[k] != 0 && pid[k] != pid_in(&r); k++) {
            /* find its worker */
        }
        ck_assert_msg(k < 2, "a third worker pid %ld", pid_in(&r));
        pid[k] = pid_in(&r);
        count[k]++;
        tw_resp_free(&r);
    }
    for (i = 0; i < NCONN; i++) {
        close(c[i].fd);
    }
    free(c);
}


/* One run of the figure: each of 2 workers holds >= 35 % (18 of
 * 50) of 50 keep-alive connections opened at once.  Loop 0-4: ev, 5-9:
 * gthread, a fresh server each.
 *
 * A worker that does not run for 20 ms (here: the machine is loaded and it
 * is not scheduled) looks like one stuck in a long app call, and its
 * sibling rightly takes the waiting connections, saying so in the log.  A
 * run where that happened is tried once more on a fresh server; a second
 * one fails.  With balancing off the bound never fires: runs just fail. */
START_TEST(keepalive_connections_are_balanced)
{
    const char  *kind = _i < 5 ? "ev" : "gthread";
    char        *log;
    int          count[2], attempt, forced;

    for (attempt = 0; ; attempt++) {
        start(kind, 2, 4, 1000);
        spread(count);
        if (count[0] >= 18 && count[1] >= 18) {
            return;
        }
        log = tw_server_log(&S);
        forced = strstr(log, FORCED) != NULL;
        if (!forced || attempt == 1) {
            ck_abort_msg("%s: %d / %d connections per worker; log:\n%s",
                         kind, count[0], count[1], log);
        }
        free(log);
        tw_server_stop(&S);
    }
}
END_TEST


/* One worker is inside a long app call with one connection; the other
 * holds more and more: it still takes the new clients (after the balance
 * bound), long before the sleeper is back. */
START_TEST(busy_sibling_does_not_strand_the_backlog)
{
    tw_conn      slow, held[4];
    tw_resp      r;
    long         busy, other = 0;
    const char  *p;
    ssize_t      n;
    int          i;

    start("ev", 2, 1, 1000);
    ck_assert_int_ge(tw_connect(&slow, S.addr), 0);
    ck_assert_int_eq(tw_sends(&slow, "GET /slowstream?s=5&pid=1 HTTP/1.1"
                              "\r\nHost: x\r\n\r\n"), 0);
    /* the first chunk: that worker is inside the app now */
    while ((p = memmem(slow.buf, slow.len, "first:", 6)) == NULL
           || memchr(p, ';', slow.len - (size_t) (p - slow.buf)) == NULL)
    {
        ck_assert_int_eq(th_readable(slow.fd, 20000), 1);
        n = recv(slow.fd, slow.buf + slow.len, sizeof(slow.buf) - slow.len,
                 0);
        ck_assert_int_gt(n, 0);
        slow.len += (size_t) n;
    }
    busy = strtol(p + 6, NULL, 10);
    for (i = 0; i < 4; i++) {
        ck_assert_int_ge(tw_connect(&held[i], S.addr), 0);
        ck_assert_int_eq(tw_sends(&held[i], "GET /pid HTTP/1.1\r\nHost: x"
                                  "\r\n\r\n"), 0);
        ck_assert_int_eq(tw_read(&held[i], &r, 20000, 0), 0);
        if (other == 0) {
            other = pid_in(&r);
        }
        ck_assert_int_eq(pid_in(&r), other);
        tw_resp_free(&r);
    }
    ck_assert_int_ne(busy, other);
    /* all four were served while the sleeper still sleeps: nothing
     * waited for it */
    ck_assert_int_eq(th_readable(slow.fd, 0), 0);
    close(slow.fd);
    for (i = 0; i < 4; i++) {
        close(held[i].fd);
    }
}
END_TEST


/* gthread: at most worker_connections - threads idle keep-alive
 * connections (gunicorn's cap); past it the oldest idle one is closed. */
START_TEST(gthread_caps_idle_keepalive)
{
    tw_conn  c[3];
    tw_resp  r;
    char    *log;
    int      i;

    /* idle cap 3 - 1 = 2; one pool thread hands the connections back in
     * the order they were served */
    start("gthread", 1, 1, 3);
    for (i = 0; i < 3; i++) {
        ck_assert_int_ge(tw_connect(&c[i], S.addr), 0);
        ck_assert_int_eq(tw_sends(&c[i], "GET /one HTTP/1.1\r\nHost: x"
                                  "\r\n\r\n"), 0);
        ck_assert_int_eq(tw_read(&c[i], &r, 20000, 0), 0);
        ck_assert_str_eq(r.body, "just one item");
        tw_resp_free(&r);
    }
    /* the third idle connection pushed the first one out */
    if (!tw_closed(&c[0], 20000)) {
        log = tw_server_log(&S);
        ck_abort_msg("the oldest idle connection is open; log:\n%s", log);
    }
    for (i = 1; i < 3; i++) {
        ck_assert_int_eq(tw_sends(&c[i], "GET /one HTTP/1.1\r\nHost: x"
                                  "\r\n\r\n"), 0);
        ck_assert_int_eq(tw_read(&c[i], &r, 20000, 0), 0);
        ck_assert_str_eq(r.body, "just one item");
        tw_resp_free(&r);
    }
    for (i = 0; i < 3; i++) {
        close(c[i].fd);
    }
}
END_TEST


Suite *
balance_suite(void)
{
    Suite  *s = suite_create("balance");
    TCase  *t = tcase_create("workers");

    tcase_set_timeout(t, 90);
    tcase_add_checked_fixture(t, NULL, down);
    tcase_add_loop_test(t, keepalive_connections_are_balanced, 0, 10);
    tcase_add_test(t, busy_sibling_does_not_strand_the_backlog);
    tcase_add_test(t, gthread_caps_idle_keepalive);
    suite_add_tcase(s, t);
    return s;
}

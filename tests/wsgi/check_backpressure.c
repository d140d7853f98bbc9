/*
 * Back-pressure on the loop kinds: a client that reads a big response
 * slowly (or never) must not hold the worker's other connections, must
 * get every byte in order when it reads, and must not make the worker
 * hold the response in memory; the iterable is closed exactly once
 * however the response ends (complete, client gone, timeout, SIGTERM,
 * max-requests).  The sync kind serves one request at a time and may
 * block on a slow reader, as gunicorn's does: it is not tested here.
 * App: tests/apps/bigresp.py (a pattern whose every 64 KiB block differs
 * from its neighbours; BIGSTART/BIGCLOSE lines in the log).
 *
 * A mutant of request.c that drains the iterable into the queue and waits
 * for the socket past 1 MiB (the behaviour issue 5 described) fails 7 of
 * these checks; one that only drains eagerly fails the RSS bound (+252 MiB)
 * and the fair share.
 */
#include "tw.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#define BLOCK      65536
#define MiB        (1024 * 1024)

/* ASan holds freed memory in its quarantine (256 MiB by default) instead
 * of reusing it: RSS then says nothing about what the server keeps. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_MEANINGFUL  0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_MEANINGFUL  0
#endif
#endif
#ifndef RSS_MEANINGFUL
#define RSS_MEANINGFUL  1
#endif

static tw_server  S;


static void
opts(tw_opts *o, const char *kind)
{
    tw_opts_init(o);
    o->spec = "bigresp:app";
    o->worker = kind;
    o->threads = strcmp(kind, "gthread") == 0 ? 2 : 1;
    o->keepalive = 30;
}


static void
down(void)
{
    tw_server_stop(&S);
}


static void
log_has(const char *needle, int n)
{
    tw_server_expect_log(&S, needle, n, 30000);
}


static int
log_count(const char *needle)
{
    return tw_server_log_count(&S, needle);
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


static long
worker_pid(void)
{
    tw_conn  c;
    tw_resp  r;
    long     pid;

    conn(&c);
    get(&c, &r, "GET /pid HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    pid = strtol(r.body, NULL, 10);
    tw_resp_free(&r);
    close(c.fd);
    ck_assert_int_gt(pid, 0);
    return pid;
}


/* VmRSS of pid in KiB, or -1. */
static long
rss_kib(long pid)
{
    char   path[64], buf[4096], *p;
    int    fd;
    ssize_t n;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0) {
        return -1;
    }
    buf[n] = '\0';
    p = strstr(buf, "VmRSS:");
    return p != NULL ? strtol(p + 6, NULL, 10) : -1;
}


/* ---- a streaming reader that checks the pattern ------------------------ */

typedef struct big {
    tw_conn    *c;
    uint64_t    got;                 /* body bytes checked */
    int         chunked;
    uint64_t    cl;
    int         bad;                 /* a byte differed from the pattern */
    int         complete;            /* framing ended properly */
    long        pid;                 /* sample the RSS of this worker */
    long        rss_max;
    uint64_t    next_sample;
    size_t      read_max;            /* bytes per recv(): a slow reader */
} big;


static int
pattern(uint64_t k)
{
    return (int) (((k / BLOCK) % 251 + k % BLOCK) % 256);
}


/* More bytes in c->buf (at most b->read_max): >0, 0 EOF, -1. */
static ssize_t
fill(big *b, long long deadline)
{
    tw_conn    *c = b->c;
    long long   left = deadline - th_now_ms();
    size_t      room = sizeof(c->buf) - c->len;
    ssize_t     r;

    if (room > b->read_max) {
        room = b->read_max;
    }
    if (room == 0 || left <= 0 || th_readable(c->fd, (int) left) != 1) {
        return -1;
    }
    r = recv(c->fd, c->buf + c->len, room, 0);
    if (r > 0) {
        c->len += (size_t) r;
    }
    return r;
}


static void
take(tw_conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}


static void
check_bytes(big *b, const char *p, size_t n)
{
    size_t  i;
    long    rss;

    for (i = 0; i < n && !b->bad; i++) {
        if ((unsigned char) p[i] != pattern(b->got + i)) {
            b->bad = 1;
        }
    }
    b->got += n;
    if (b->pid > 0 && b->got >= b->next_sample) {
        rss = rss_kib(b->pid);
        if (rss > b->rss_max) {
            b->rss_max = rss;
        }
        b->next_sample += 4 * MiB;
    }
}


/* Body bytes up to n (chunk data or Content-Length). */
static int
body_bytes(big *b, uint64_t n, long long deadline)
{
    tw_conn  *c = b->c;
    size_t    k;

    while (n > 0) {
        if (c->len == 0 && fill(b, deadline) <= 0) {
            return -1;
        }
        k = c->len < n ? c->len : (size_t) n;
        check_bytes(b, c->buf, k);
        take(c, k);
        n -= k;
    }
    return 0;
}


/* A CRLF-ended line at the front of the buffer; its length without CRLF. */
static ssize_t
line(big *b, long long deadline)
{
    tw_conn  *c = b->c;
    char     *e;

    while ((e = memmem(c->buf, c->len, "\r\n", 2)) == NULL) {
        if (fill(b, deadline) <= 0) {
            return -1;
        }
    }
    return e - c->buf;
}


/* Read one response to the pattern route; the head must be 200. */
static void
read_big(big *b, int ms)
{
    long long  deadline = th_now_ms() + ms;
    tw_conn   *c = b->c;
    char      *e, *h, *v;
    ssize_t    n;
    uint64_t   size;

    b->complete = 0;
    while ((e = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL) {
        if (fill(b, deadline) <= 0) {
            return;
        }
    }
    *e = '\0';
    ck_assert_msg(strncmp(c->buf, "HTTP/1.1 200 ", 13) == 0, "head: %s",
                  c->buf);
    h = strcasestr(c->buf, "\r\nContent-Length:");
    b->chunked = strcasestr(c->buf, "\r\nTransfer-Encoding: chunked")
                 != NULL;
    b->cl = h != NULL ? strtoull(h + 17, NULL, 10) : 0;
    ck_assert(b->chunked || h != NULL);
    take(c, (size_t) (e + 4 - c->buf));
    if (!b->chunked) {
        b->complete = body_bytes(b, b->cl, deadline) == 0;
        return;
    }
    for ( ;; ) {
        if ((n = line(b, deadline)) < 0) {
            return;
        }
        size = strtoull(c->buf, &v, 16);
        ck_assert_ptr_ne(v, c->buf);
        take(c, (size_t) n + 2);
        if (size > 0 && body_bytes(b, size, deadline) != 0) {
            return;
        }
        if ((n = line(b, deadline)) != 0) {
            return;
        }
        take(c, 2);
        if (size == 0) {
            b->complete = 1;
            return;
        }
    }
}


static void
big_init(big *b, tw_conn *c)
{
    memset(b, 0, sizeof(*b));
    b->c = c;
    b->read_max = sizeof(c->buf);
}


/* The whole pattern response, n blocks, every byte right. */
static void
expect_big(tw_conn *c, uint64_t blocks)
{
    big  b;

    big_init(&b, c);
    read_big(&b, 60000);
    ck_assert_msg(b.complete, "cut after %llu bytes",
                  (unsigned long long) b.got);
    ck_assert_msg(!b.bad, "a byte differs from the pattern");
    ck_assert_uint_eq(b.got, blocks * BLOCK);
}


/* ---- the tests --------------------------------------------------------- */

static const char *const routes[] = {
    "/gen?id=a&n=512",                   /* generator, chunked */
    "/gen?id=a&n=512&cl=1",              /* generator, Content-Length */
    "/file?id=a&n=512",                  /* file_wrapper: sendfile */
};


/* Client 1 asks for 32 MiB and reads nothing; client 2's request on a
 * second connection is answered meanwhile (ev: one worker, one loop);
 * then client 1 gets every byte, and the iterable is closed once. */
static void
slow_reader(const char *kind, const char *route, int closes)
{
    tw_opts  o;
    tw_conn  c1, c2;
    tw_resp  r;
    char     req[256];

    opts(&o, kind);
    tw_server_start(&S, &o);
    conn(&c1);
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", route);
    ck_assert_int_eq(tw_sends(&c1, req), 0);
    log_has("BIGSTART a", 1);
    conn(&c2);
    ck_assert_int_eq(tw_sends(&c2, "GET /small?id=b HTTP/1.1\r\nHost: x\r\n"
                              "\r\n"), 0);
    ck_assert_msg(tw_read(&c2, &r, 10000, 0) == 0,
                  "client 2 not answered while client 1 does not read");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "hello b");
    tw_resp_free(&r);
    /* client 1 has not read a byte yet */
    ck_assert_int_eq(log_count("BIGCLOSE a"), 0);
    expect_big(&c1, 512);
    if (closes) {
        log_has("BIGCLOSE a after 512", 1);
    }
    /* the same connection serves on (keep-alive) */
    get(&c1, &r, "GET /small?id=c HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "hello c");
    tw_resp_free(&r);
    ck_assert_int_eq(log_count("BIGCLOSE a"), closes);
    close(c1.fd);
    close(c2.fd);
}


START_TEST(ev_slow_reader_does_not_stall)
{
    slow_reader("ev", routes[_i], _i < 2);
}
END_TEST


START_TEST(gthread_slow_reader_does_not_stall)
{
    slow_reader("gthread", routes[_i], _i < 2);
}
END_TEST


/* A client that never reads is closed once --timeout passes without
 * progress; its iterable is closed; the worker lives on (same pid) and
 * serves others meanwhile. */
START_TEST(ev_stalled_reader_times_out)
{
    tw_opts   o;
    tw_conn   c1, c2;
    tw_resp   r;
    long      pid;
    big       b;

    opts(&o, "ev");
    o.timeout = 2;
    tw_server_start(&S, &o);
    pid = worker_pid();
    conn(&c1);
    ck_assert_int_eq(tw_sends(&c1, "GET /gen?id=a&n=512 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n"), 0);
    log_has("BIGSTART a", 1);
    conn(&c2);
    get(&c2, &r, "GET /small?id=b HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "hello b");
    tw_resp_free(&r);
    log_has("BIGCLOSE a", 1);
    log_has("Closing a connection that timed out", 1);
    /* what was in flight, then the end: never the whole body */
    big_init(&b, &c1);
    read_big(&b, 20000);
    ck_assert(!b.complete);
    ck_assert(!b.bad);
    ck_assert_uint_lt(b.got, 512 * BLOCK);
    ck_assert_int_eq(worker_pid(), pid);
    get(&c2, &r, "GET /small?id=d HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "hello d");
    tw_resp_free(&r);
    ck_assert_int_eq(log_count("BIGCLOSE a"), 1);
    close(c1.fd);
    close(c2.fd);
}
END_TEST


/* The client goes away mid-response: the iterable is closed once. */
START_TEST(ev_reader_gone_closes_iterable)
{
    tw_opts   o;
    tw_conn   c1, c2;
    tw_resp   r;

    opts(&o, "ev");
    tw_server_start(&S, &o);
    conn(&c1);
    ck_assert_int_eq(tw_sends(&c1, "GET /gen?id=a&n=4096 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n"), 0);
    log_has("BIGSTART a", 1);
    ck_assert_int_eq(th_readable(c1.fd, 20000), 1);
    close(c1.fd);                        /* unread bytes: a reset */
    log_has("BIGCLOSE a", 1);
    conn(&c2);
    get(&c2, &r, "GET /small?id=b HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "hello b");
    tw_resp_free(&r);
    ck_assert_int_eq(log_count("BIGCLOSE a"), 1);
    close(c2.fd);
}
END_TEST


/* A request pipelined behind a suspended big response is answered after
 * it, in order, on the same connection. */
START_TEST(ev_pipelined_after_suspended_response)
{
    tw_opts  o;
    tw_conn  c1, c2;
    tw_resp  r;
    char    *log, *close_at, *small_at;

    opts(&o, "ev");
    tw_server_start(&S, &o);
    conn(&c1);
    ck_assert_int_eq(tw_sends(&c1, "GET /gen?id=a&n=512 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n"
                              "GET /small?id=p HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    log_has("BIGSTART a", 1);
    conn(&c2);
    get(&c2, &r, "GET /small?id=b HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "hello b");
    tw_resp_free(&r);
    ck_assert_int_eq(log_count("SMALL p"), 0);
    expect_big(&c1, 512);
    ck_assert_int_eq(tw_read(&c1, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "hello p");
    tw_resp_free(&r);
    log = tw_server_log(&S);
    close_at = strstr(log, "BIGCLOSE a after 512");
    small_at = strstr(log, "SMALL p");
    ck_assert_ptr_nonnull(close_at);
    ck_assert_ptr_nonnull(small_at);
    ck_assert(close_at < small_at);
    free(log);
    close(c1.fd);
    close(c2.fd);
}
END_TEST


/* SIGTERM (0) or --max-requests 2 (1) while a big response waits for its
 * reader: it completes, the iterable is closed once, the master exits 0
 * (SIGTERM) or a new worker serves (max-requests). */
START_TEST(ev_suspended_response_survives_stop)
{
    tw_opts  o;
    tw_conn  c1;
    long     pid = 0;
    int      status = -1;

    opts(&o, "ev");
    if (_i == 1) {
        o.max_requests = 2;
    }
    tw_server_start(&S, &o);
    if (_i == 1) {
        pid = worker_pid();
    }
    conn(&c1);
    ck_assert_int_eq(tw_sends(&c1, "GET /gen?id=a&n=512 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n"), 0);
    log_has("BIGSTART a", 1);
    if (_i == 0) {
        ck_assert_int_eq(kill(S.pid, SIGTERM), 0);
        log_has("Handling signal: term", 1);
    }
    expect_big(&c1, 512);
    log_has("BIGCLOSE a after 512", 1);
    ck_assert(tw_closed(&c1, 20000));
    if (_i == 0) {
        ck_assert_int_eq(th_wait(S.pid, &status, 20000), S.pid);
        S.pid = 0;
        ck_assert(WIFEXITED(status));
        ck_assert_int_eq(WEXITSTATUS(status), 0);
    } else {
        ck_assert_int_ne(worker_pid(), pid);
    }
    ck_assert_int_eq(log_count("BIGCLOSE a"), 1);
    close(c1.fd);
}
END_TEST


/* write() (PEP 3333's legacy imperative write) to a slow reader: every
 * byte arrives in order (ev, gthread). */
START_TEST(write_slow_reader_complete)
{
    static const char *const  k[] = { "ev", "gthread" };
    tw_opts                   o;
    tw_conn                   c1;
    big                       b;

    opts(&o, k[_i]);
    tw_server_start(&S, &o);
    conn(&c1);
    ck_assert_int_eq(tw_sends(&c1, "GET /write?id=a&n=512 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n"), 0);
    log_has("BIGSTART a", 1);
    big_init(&b, &c1);
    b.read_max = 16384;
    read_big(&b, 60000);
    ck_assert(b.complete);
    ck_assert(!b.bad);
    ck_assert_uint_eq(b.got, 512 * BLOCK);
    log_has("BIGWRITTEN a", 1);
    close(c1.fd);
}
END_TEST


/* The documented limit: write() cannot be set aside, so on ev a client
 * that stops reading holds the worker inside write() until --timeout;
 * then write() raises, that client is closed, and the same worker (its
 * heartbeat kept by the wait) serves the one that waited. */
START_TEST(ev_write_stalled_reader_times_out)
{
    tw_opts   o;
    tw_conn   c1, c2;
    tw_resp   r;
    long      pid;
    big       b;

    opts(&o, "ev");
    o.timeout = 2;
    tw_server_start(&S, &o);
    pid = worker_pid();
    conn(&c1);
    ck_assert_int_eq(tw_sends(&c1, "GET /write?id=a&n=512 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n"), 0);
    log_has("BIGSTART a", 1);
    conn(&c2);
    get(&c2, &r, "GET /small?id=b HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "hello b");
    tw_resp_free(&r);
    ck_assert_int_eq(log_count("BIGWRITTEN a"), 0);
    big_init(&b, &c1);
    read_big(&b, 20000);
    ck_assert(!b.complete);
    ck_assert(!b.bad);
    ck_assert_int_eq(worker_pid(), pid);
    close(c1.fd);
    close(c2.fd);
}
END_TEST


/* A reader as fast as the server: the response gets 1 MiB per turn of
 * the loop, then the loop serves the rest.  The app asks for /small?id=b
 * itself after 1 MiB (the request waits in the listen queue) and streams
 * until it was served, 256 MiB at most.  Before the slice, nothing but a
 * full socket gave the loop back: b waited for that, or for the end. */
START_TEST(ev_fast_reader_shares_the_loop)
{
    tw_opts   o;
    tw_conn   c1;
    big       b;
    char     *log, *p;
    long      at;

    opts(&o, "ev");
    tw_server_start(&S, &o);
    conn(&c1);
    ck_assert_int_eq(tw_sends(&c1, "GET /fair?id=a&n=4096 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n"), 0);
    big_init(&b, &c1);
    read_big(&b, 120000);
    ck_assert(b.complete);
    ck_assert(!b.bad);
    log_has("FAIR a served b", 1);
    log = tw_server_log(&S);
    p = strstr(log, "FAIR a served b ");
    at = strtol(p + 16, NULL, 10);
    free(log);
    fprintf(stderr, "fair: b served %ld blocks after it was sent, response"
            " %llu bytes\n", at, (unsigned long long) b.got);
    ck_assert_msg(at >= 0 && at <= 64, "b served %ld blocks (64 KiB) after"
                  " it was sent", at);
    log_has("SMALL b", 1);
    close(c1.fd);
}
END_TEST


/* SIGQUIT (quick stop) while a big response is parked: the worker exits
 * at once, the connection is closed unfinished, and the iterable is still
 * closed, once. */
START_TEST(ev_suspended_response_quick_stop)
{
    tw_opts  o;
    tw_conn  c1;
    big      b;
    int      status = -1;

    opts(&o, "ev");
    tw_server_start(&S, &o);
    conn(&c1);
    ck_assert_int_eq(tw_sends(&c1, "GET /gen?id=a&n=512 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n"), 0);
    log_has("BIGSTART a", 1);
    ck_assert_int_eq(kill(S.pid, SIGQUIT), 0);
    log_has("BIGCLOSE a", 1);
    ck_assert_int_eq(th_wait(S.pid, &status, 20000), S.pid);
    S.pid = 0;
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    big_init(&b, &c1);
    read_big(&b, 20000);
    ck_assert(!b.complete);
    ck_assert(!b.bad);
    ck_assert_int_eq(log_count("BIGCLOSE a"), 1);
    close(c1.fd);
}
END_TEST


/* 256 MiB to a reader taking 16 KiB at a time: the worker's RSS stays
 * within a few MiB of what it was before the response. */
START_TEST(ev_slow_reader_rss_flat)
{
    static const char *const  r256[] = {
        "/gen?id=a&n=4096", "/gen?id=a&n=4096&cl=1", "/file?id=a&n=4096"
    };
    tw_opts  o;
    tw_conn  c1, c2;
    tw_resp  r;
    char     req[256];
    long     pid, base;
    big      b;

    opts(&o, "ev");
    tw_server_start(&S, &o);
    pid = worker_pid();
    /* warm up: the same route once, small */
    conn(&c1);
    ck_assert_int_eq(tw_sends(&c1, "GET /gen?id=w&n=64 HTTP/1.1\r\n"
                              "Host: x\r\n\r\n"), 0);
    expect_big(&c1, 64);
    base = rss_kib(pid);
    ck_assert_int_gt(base, 0);
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
             r256[_i]);
    ck_assert_int_eq(tw_sends(&c1, req), 0);
    log_has("BIGSTART a", 1);
    /* the loop answers while nothing is read (the response is parked) */
    conn(&c2);
    get(&c2, &r, "GET /small?id=b HTTP/1.1\r\nHost: x\r\n\r\n");
    tw_resp_free(&r);
    big_init(&b, &c1);
    b.pid = pid;
    b.read_max = 16384;
    read_big(&b, 120000);
    if (!b.complete) {
        ck_abort_msg("cut after %llu bytes (%s); log:\n%s",
                     (unsigned long long) b.got, strerror(errno),
                     tw_server_log(&S));
    }
    ck_assert(!b.bad);
    ck_assert_uint_eq(b.got, 4096ULL * BLOCK);
    fprintf(stderr, "rss %s: base %ld KiB, max %ld KiB (+%ld)\n", r256[_i],
            base, b.rss_max, b.rss_max - base);
    ck_assert_int_gt(b.rss_max, 0);
    ck_assert_msg(!RSS_MEANINGFUL || b.rss_max - base < 4096,
                  "RSS grew by %ld KiB", b.rss_max - base);
    close(c1.fd);
    close(c2.fd);
}
END_TEST


Suite *
backpressure_suite(void)
{
    Suite  *s = suite_create("backpressure");
    TCase  *tc = tcase_create("slow readers");

    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, down);
    tcase_add_loop_test(tc, ev_slow_reader_does_not_stall, 0, 3);
    tcase_add_loop_test(tc, gthread_slow_reader_does_not_stall, 0, 3);
    tcase_add_test(tc, ev_stalled_reader_times_out);
    tcase_add_test(tc, ev_reader_gone_closes_iterable);
    tcase_add_test(tc, ev_pipelined_after_suspended_response);
    tcase_add_loop_test(tc, ev_suspended_response_survives_stop, 0, 2);
    tcase_add_test(tc, ev_suspended_response_quick_stop);
    tcase_add_loop_test(tc, ev_slow_reader_rss_flat, 0, 3);
    tcase_add_test(tc, ev_fast_reader_shares_the_loop);
    tcase_add_loop_test(tc, write_slow_reader_complete, 0, 2);
    tcase_add_test(tc, ev_write_stalled_reader_times_out);
    suite_add_tcase(s, tc);
    return s;
}

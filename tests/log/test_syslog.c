/*
 * Syslog: exact datagram/stream bytes on real sockets (unix datagram, UDP
 * on 127.0.0.1, unix stream, TCP), address and facility parsing, and a
 * dead target that must not block.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"
#include "tl.h"

static char  *dir;


static void
setup(void)
{
    dir = th_tmpdir();
    ck_assert_ptr_nonnull(dir);
}


static void
teardown(void)
{
    th_rmrf(dir);
    free(dir);
}


static void
ignore_warn(void *ud, const char *msg)
{
    (void) ud;
    (void) msg;
}


static pfw_syslog *
open_ok(const char *addr, const char *facility)
{
    pfw_syslog  *s;
    char         err[256] = "";

    s = pfw_syslog_open(addr, facility, err, sizeof(err));
    ck_assert_msg(s != NULL, "%s: %s", addr, err);
    return s;
}


static void
open_fails(const char *addr, const char *facility, const char *want)
{
    char  err[256] = "";

    ck_assert_ptr_null(pfw_syslog_open(addr, facility, err, sizeof(err)));
    ck_assert_msg(strcmp(err, want) == 0, "%s: [%s]", addr, err);
}


/* The datagram is "<PRI>ident: [PID] msg\0": compare all its bytes. */
static void
expect_dgram(int fd, int pri, const char *ident, const char *msg)
{
    char     want[2048], got[2048];
    int      n;
    ssize_t  k;

    n = snprintf(want, sizeof(want), "<%d>%s: [%d] %s", pri, ident,
                 (int) getpid(), msg);
    k = tl_recv(fd, got, sizeof(got), 2000);
    ck_assert_int_eq(k, n + 1);
    ck_assert_int_eq(got[n], '\0');
    ck_assert_str_eq(got, want);
}


START_TEST(pri_for_facilities_and_levels)
{
    static const struct {
        const char  *facility;
        int          pri[5];        /* debug info warning error critical */
    } t[] = {
        { "user",   { 15, 14, 12, 11, 10 } },
        { "local7", { 191, 190, 188, 187, 186 } },
        { "LOCAL0", { 135, 134, 132, 131, 130 } },
        { "daemon", { 31, 30, 28, 27, 26 } },
    };
    const char  *path = tl_path(dir, "log.sock", 0);
    char         addr[600];
    pfw_syslog  *s;
    size_t       i;
    int          fd, lv;

    fd = tl_unix_receiver(path, SOCK_DGRAM);
    snprintf(addr, sizeof(addr), "unix://%s#dgram", path);
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        s = open_ok(addr, t[i].facility);
        for (lv = PF_LOG_DEBUG; lv <= PF_LOG_CRITICAL; lv++) {
            ck_assert_int_eq(pfw_syslog_send(s, lv, "gunicorn.app.error",
                                             getpid(), "msg", 3), 0);
            expect_dgram(fd, t[i].pri[lv], "gunicorn.app.error", "msg");
        }
        pfw_syslog_close(s);
    }
    close(fd);
}
END_TEST


START_TEST(facility_table)
{
    static const struct {
        const char  *name;
        int          code;
    } t[] = {
        { "auth", 4 }, { "authpriv", 10 }, { "cron", 9 }, { "daemon", 3 },
        { "ftp", 11 }, { "kern", 0 }, { "lpr", 6 }, { "mail", 2 },
        { "news", 7 }, { "security", 4 }, { "syslog", 5 }, { "user", 1 },
        { "uucp", 8 }, { "local0", 16 }, { "local3", 19 }, { "local7", 23 },
        { "User", 1 }, { "bogus", -1 }, { "", -1 }, { "local8", -1 },
    };
    size_t  i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        ck_assert_int_eq(pfw_syslog_facility(t[i].name), t[i].code);
    }
    ck_assert_int_eq(pfw_syslog_facility(NULL), 1);
}
END_TEST


START_TEST(udp_exact_bytes)
{
    pfw_syslog  *s;
    char         addr[64], msg[1000];
    int          fd, port;

    fd = tl_udp_receiver(&port);
    snprintf(addr, sizeof(addr), "udp://127.0.0.1:%d", port);
    s = open_ok(addr, "local7");
    ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_INFO, "gunicorn.app.error",
                                     getpid(), "Booting worker", 14), 0);
    expect_dgram(fd, 190, "gunicorn.app.error", "Booting worker");
    /* The message is sent as given: newlines (tracebacks) and all. */
    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    msg[10] = '\n';
    ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_ERROR, "gunicorn.a.b.error",
                                     getpid(), msg, strlen(msg)), 0);
    expect_dgram(fd, 187, "gunicorn.a.b.error", msg);
    ck_assert_uint_eq(pfw_syslog_dropped(s), 0);
    pfw_syslog_close(s);
    close(fd);
}
END_TEST


START_TEST(ident_from_prefix_or_proc_name)
{
    char  buf[128];

    pfw_syslog_ident(buf, sizeof(buf), NULL, "myapp:app", "error");
    ck_assert_str_eq(buf, "gunicorn.myapp.app.error");
    pfw_syslog_ident(buf, sizeof(buf), "", "a:b:c", "access");
    ck_assert_str_eq(buf, "gunicorn.a.b.c.access");
    pfw_syslog_ident(buf, sizeof(buf), "my:prefix", "x:y", "error");
    ck_assert_str_eq(buf, "gunicorn.my:prefix.error");
    pfw_syslog_ident(buf, sizeof(buf), NULL, NULL, "error");
    ck_assert_str_eq(buf, "gunicorn.gunicorn.error");
    ck_assert_uint_eq(pfw_syslog_ident(buf, 8, NULL, "app", "error"), 7);
    ck_assert_str_eq(buf, "gunicor");
}
END_TEST


START_TEST(bad_addresses_and_facilities)
{
    open_fails("foo://x", NULL, "invalid syslog address");
    open_fails("localhost:514", NULL, "invalid syslog address");
    open_fails("udp://localhost:abc", NULL,
               "'abc' is not a valid port number.");
    open_fails("udp://localhost:", NULL, "'' is not a valid port number.");
    open_fails("tcp://[::1]:5x", NULL, "'5x' is not a valid port number.");
    open_fails("udp://127.0.0.1:514", "bogus", "unknown facility name");
}
END_TEST


START_TEST(udp_host_port_forms)
{
    pfw_syslog  *s;

    /* host only (port 514), host:port, [v4-in-brackets]:port */
    s = open_ok("udp://127.0.0.1", NULL);
    pfw_syslog_close(s);
    s = open_ok("udp://LOCALHOST:1514", NULL);
    pfw_syslog_close(s);
    s = open_ok("udp://[127.0.0.1]:1514", NULL);
    pfw_syslog_close(s);
    s = open_ok(NULL, NULL);                /* udp://localhost:514 */
    pfw_syslog_close(s);
}
END_TEST


START_TEST(unix_stream_fallback)
{
    const char  *path = tl_path(dir, "stream.sock", 0);
    char         addr[600], got[256], want[256];
    pfw_syslog  *s;
    int          lfd, cfd, n;
    ssize_t      k;

    lfd = tl_unix_receiver(path, SOCK_STREAM);
    /* "#stream" (or no suffix): datagram first, then stream, as Python. */
    snprintf(addr, sizeof(addr), "unix://%s#stream", path);
    s = open_ok(addr, "user");
    ck_assert_int_eq(th_readable(lfd, 2000), 1);
    cfd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(cfd, 0);
    ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_WARNING, "gunicorn.x.error",
                                     getpid(), "one", 3), 0);
    ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_INFO, "gunicorn.x.access",
                                     getpid(), "two", 3), 0);
    n = snprintf(want, sizeof(want), "<12>gunicorn.x.error: [%d] one%c"
                 "<14>gunicorn.x.access: [%d] two%c", (int) getpid(), 0,
                 (int) getpid(), 0);
    k = th_read_n(cfd, got, (size_t) n, 2000);
    ck_assert_int_eq(k, n);
    ck_assert_int_eq(memcmp(got, want, (size_t) n), 0);
    pfw_syslog_close(s);
    close(cfd);
    close(lfd);
}
END_TEST


START_TEST(unix_dgram_only_when_asked)
{
    const char  *path = tl_path(dir, "stream.sock", 0);
    char         addr[600];
    pfw_syslog  *s;
    int          lfd;

    lfd = tl_unix_receiver(path, SOCK_STREAM);
    snprintf(addr, sizeof(addr), "unix://%s#dgram", path);
    s = open_ok(addr, "user");
    pfw_syslog_set_warn(s, ignore_warn, NULL);
    ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_INFO, "g", 1, "m", 1), -1);
    ck_assert_uint_eq(pfw_syslog_dropped(s), 1);
    ck_assert(tl_quiet(lfd, 50));          /* no stream connection made */
    pfw_syslog_close(s);
    close(lfd);
}
END_TEST


START_TEST(tcp_stream_bytes)
{
    pfw_syslog  *s;
    char         addr[64], got[256], want[256];
    int          lfd, cfd, port, n;

    lfd = tl_tcp_listener(&port);
    snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%d", port);
    s = open_ok(addr, "local0");
    cfd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(cfd, 0);
    ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_CRITICAL, "gunicorn.app.error",
                                     getpid(), "WORKER TIMEOUT (pid:9)", 22),
                     0);
    n = snprintf(want, sizeof(want), "<130>gunicorn.app.error: [%d] "
                 "WORKER TIMEOUT (pid:9)", (int) getpid()) + 1;
    ck_assert_int_eq(th_read_n(cfd, got, (size_t) n, 2000), n);
    ck_assert_int_eq(memcmp(got, want, (size_t) n), 0);
    pfw_syslog_close(s);
    close(cfd);
    close(lfd);
}
END_TEST


static void
count_warn(void *ud, const char *msg)
{
    (*(int *) ud)++;
    ck_assert_msg(strncmp(msg, "Error sending message to syslog: ", 33) == 0,
                  "%s", msg);
}


/* Nothing bound at the path: every send fails fast and is counted; the
 * bound is a correctness guard against blocking, not a speed target. */
START_TEST(dead_unix_target_never_blocks)
{
    const char  *path = tl_path(dir, "nobody.sock", 0);
    char         addr[600];
    pfw_syslog  *s;
    long long    t0;
    int          i, warned = 0;

    snprintf(addr, sizeof(addr), "unix://%s", path);
    s = open_ok(addr, "user");
    pfw_syslog_set_retry_ms(s, 0);      /* worst case: retry every time */
    pfw_syslog_set_warn(s, count_warn, &warned);
    t0 = th_now_ms();
    for (i = 0; i < 1000; i++) {
        ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_INFO, "g", getpid(),
                                         "message", 7), -1);
    }
    ck_assert_int_lt(th_now_ms() - t0, 5000);
    ck_assert_uint_eq(pfw_syslog_dropped(s), 1000);
    ck_assert_int_eq(warned, 1);
    pfw_syslog_close(s);
}
END_TEST


/* A receiver that never reads: its queue fills, sends must not wait. */
START_TEST(full_receiver_never_blocks)
{
    const char  *path = tl_path(dir, "full.sock", 0);
    char         addr[600], msg[2000];
    pfw_syslog  *s;
    long long    t0;
    int          fd, i, warned = 0;

    fd = tl_unix_receiver(path, SOCK_DGRAM);
    snprintf(addr, sizeof(addr), "unix://%s#dgram", path);
    s = open_ok(addr, "user");
    pfw_syslog_set_warn(s, count_warn, &warned);
    memset(msg, 'm', sizeof(msg));
    t0 = th_now_ms();
    for (i = 0; i < 1000; i++) {
        pfw_syslog_send(s, PF_LOG_INFO, "g", getpid(), msg, sizeof(msg));
    }
    ck_assert_int_lt(th_now_ms() - t0, 5000);
    ck_assert_uint_gt(pfw_syslog_dropped(s), 0);
    ck_assert_int_eq(warned, 1);            /* once a minute at most */
    pfw_syslog_close(s);
    close(fd);
}
END_TEST


START_TEST(dead_udp_and_tcp_never_block)
{
    pfw_syslog  *u, *t;
    char         addr[64];
    long long    t0;
    int          fd, port, i;

    /* A port nobody reads any more. */
    fd = tl_udp_receiver(&port);
    close(fd);
    snprintf(addr, sizeof(addr), "udp://127.0.0.1:%d", port);
    u = open_ok(addr, "user");
    fd = tl_tcp_listener(&port);
    close(fd);
    snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%d", port);
    t = open_ok(addr, "user");          /* refused: not a start-up error */
    pfw_syslog_set_warn(u, ignore_warn, NULL);
    pfw_syslog_set_warn(t, ignore_warn, NULL);
    t0 = th_now_ms();
    for (i = 0; i < 1000; i++) {
        pfw_syslog_send(u, PF_LOG_INFO, "g", getpid(), "m", 1);
        ck_assert_int_eq(pfw_syslog_send(t, PF_LOG_INFO, "g", getpid(), "m",
                                         1), -1);
    }
    ck_assert_int_lt(th_now_ms() - t0, 5000);
    ck_assert_uint_eq(pfw_syslog_dropped(t), 1000);
    pfw_syslog_close(u);
    pfw_syslog_close(t);
}
END_TEST


/* The receiver appears (syslogd started or restarted): the next send after
 * the retry interval reaches it. */
START_TEST(reconnects_when_target_appears)
{
    const char  *path = tl_path(dir, "late.sock", 0);
    char         addr[600];
    pfw_syslog  *s;
    int          fd, fd2;

    snprintf(addr, sizeof(addr), "unix://%s#dgram", path);
    s = open_ok(addr, "user");
    pfw_syslog_set_retry_ms(s, 0);
    pfw_syslog_set_warn(s, ignore_warn, NULL);
    ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_INFO, "g", getpid(), "lost",
                                     4), -1);
    fd = tl_unix_receiver(path, SOCK_DGRAM);
    ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_INFO, "g", getpid(), "found",
                                     5), 0);
    expect_dgram(fd, 14, "g", "found");
    /* syslogd restarts: a new socket at the same path. */
    close(fd);
    unlink(path);
    fd2 = tl_unix_receiver(path, SOCK_DGRAM);
    ck_assert_int_eq(pfw_syslog_send(s, PF_LOG_INFO, "g", getpid(), "again",
                                     5), 0);
    expect_dgram(fd2, 14, "g", "again");
    ck_assert_uint_eq(pfw_syslog_dropped(s), 1);
    pfw_syslog_close(s);
    close(fd2);
}
END_TEST


/* The error log sends what passes its level to syslog too. */
START_TEST(errlog_to_syslog)
{
    pfw_errlog_conf  c = { NULL, "info", 0, -1, -1 };
    pfw_errlog      *el;
    pfw_syslog      *s;
    char             addr[64], err[256], file[1024];
    int              fd, port;

    fd = tl_udp_receiver(&port);
    snprintf(addr, sizeof(addr), "udp://127.0.0.1:%d", port);
    s = open_ok(addr, "user");
    c.path = tl_path(dir, "e.log", 0);
    el = pfw_errlog_open(&c, err, sizeof(err));
    ck_assert_ptr_nonnull(el);
    pfw_errlog_set_syslog(el, s, "gunicorn.app.error");
    pfw_errlog_install(el);
    pf_log(PF_LOG_DEBUG, "not at info");
    pf_log(PF_LOG_INFO, "Listening at: %s (%d)", "http://127.0.0.1:8000",
           4242);
    expect_dgram(fd, 14, "gunicorn.app.error",
                 "Listening at: http://127.0.0.1:8000 (4242)");
    pfw_errlog_mark(PFW_LOGF_NOSYSLOG);
    pf_log(PF_LOG_ERROR, "file only");
    pf_log(PF_LOG_ERROR, "both");
    expect_dgram(fd, 11, "gunicorn.app.error", "both");
    ck_assert(tl_quiet(fd, 50));
    tl_slurp(c.path, file, sizeof(file));
    ck_assert_ptr_nonnull(strstr(file, "] [ERROR] file only\n"));
    ck_assert_ptr_null(strstr(file, "not at info"));
    pfw_errlog_close(el);
    pfw_syslog_close(s);
    close(fd);
}
END_TEST


Suite *
syslog_suite(void)
{
    Suite  *s = suite_create("syslog");
    TCase  *tc = tcase_create("syslog");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, pri_for_facilities_and_levels);
    tcase_add_test(tc, facility_table);
    tcase_add_test(tc, udp_exact_bytes);
    tcase_add_test(tc, ident_from_prefix_or_proc_name);
    tcase_add_test(tc, bad_addresses_and_facilities);
    tcase_add_test(tc, udp_host_port_forms);
    tcase_add_test(tc, unix_stream_fallback);
    tcase_add_test(tc, unix_dgram_only_when_asked);
    tcase_add_test(tc, tcp_stream_bytes);
    tcase_add_test(tc, dead_unix_target_never_blocks);
    tcase_add_test(tc, full_receiver_never_blocks);
    tcase_add_test(tc, dead_udp_and_tcp_never_block);
    tcase_add_test(tc, reconnects_when_target_appears);
    tcase_add_test(tc, errlog_to_syslog);
    suite_add_tcase(s, tc);
    return s;
}

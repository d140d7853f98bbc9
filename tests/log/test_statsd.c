/*
 * StatsD: the exact datagrams of gunicorn 26.1's instrument/statsd.py on a
 * real UDP receiver and a unix datagram receiver; prefix and tags; zero
 * values; Python's float repr for the timer; a dead collector.
 */
#include <check.h>
#include <math.h>
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


static pfw_statsd *
open_ok(const char *host, const char *prefix, const char *tags)
{
    pfw_statsd  *st;
    char         err[256] = "";

    st = pfw_statsd_open(host, prefix, tags, err, sizeof(err));
    ck_assert_msg(st != NULL, "%s: %s", host, err);
    return st;
}


static pfw_statsd *
udp_client(int *fd, const char *prefix, const char *tags)
{
    char  host[64];
    int   port;

    *fd = tl_udp_receiver(&port);
    snprintf(host, sizeof(host), "127.0.0.1:%d", port);
    return open_ok(host, prefix, tags);
}


static void
expect(int fd, const char *want)
{
    char     got[512];
    ssize_t  n;

    n = tl_recv(fd, got, sizeof(got), 2000);
    ck_assert_msg(n >= 0, "no datagram, wanted %s", want);
    ck_assert_uint_eq((size_t) n, strlen(want));   /* no trailing bytes */
    ck_assert_str_eq(got, want);
}


START_TEST(request_metrics_in_order)
{
    pfw_statsd  *st;
    int          fd;

    st = udp_client(&fd, "", "");
    ck_assert(pfw_statsd_enabled(st));
    pfw_statsd_request(st, 12345, 200);
    expect(fd, "gunicorn.request.duration:12.345|ms");
    expect(fd, "gunicorn.requests:1|c|@1.0");
    expect(fd, "gunicorn.request.status.200:1|c|@1.0");
    pfw_statsd_request(st, 3 * 1000000 + 7, 404);
    expect(fd, "gunicorn.request.duration:3000.007|ms");
    expect(fd, "gunicorn.requests:1|c|@1.0");
    expect(fd, "gunicorn.request.status.404:1|c|@1.0");
    /* timedelta.seconds: a day is dropped, as in gunicorn */
    pfw_statsd_request(st, 86400000000ULL + 1, 500);
    expect(fd, "gunicorn.request.duration:0.001|ms");
    expect(fd, "gunicorn.requests:1|c|@1.0");
    expect(fd, "gunicorn.request.status.500:1|c|@1.0");
    ck_assert(tl_quiet(fd, 50));
    ck_assert_uint_eq(pfw_statsd_dropped(st), 0);
    pfw_statsd_close(st);
    close(fd);
}
END_TEST


/* 26.1 "send zero-valued StatsD metrics". */
START_TEST(zero_values_are_sent)
{
    pfw_statsd  *st;
    int          fd;

    st = udp_client(&fd, "", "");
    pfw_statsd_gauge_workers(st, 0);
    expect(fd, "gunicorn.workers:0|g");
    pfw_statsd_backlog(st, 0);
    expect(fd, "gunicorn.backlog:0|h");
    pfw_statsd_request(st, 0, 200);
    expect(fd, "gunicorn.request.duration:0.0|ms");
    pfw_statsd_close(st);
    close(fd);
}
END_TEST


START_TEST(gauges_histograms_counters)
{
    pfw_statsd  *st;
    int          fd;

    st = udp_client(&fd, "", "");
    pfw_statsd_gauge_workers(st, 4);
    expect(fd, "gunicorn.workers:4|g");
    pfw_statsd_backlog(st, 17);
    expect(fd, "gunicorn.backlog:17|h");
    pfw_statsd_increment(st, "custom.count", 5);
    expect(fd, "custom.count:5|c|@1.0");
    pfw_statsd_gauge(st, "custom.gauge", -3);
    expect(fd, "custom.gauge:-3|g");
    pfw_statsd_timer(st, "custom.t", 1.5);
    expect(fd, "custom.t:1.5|ms");
    pfw_statsd_close(st);
    close(fd);
}
END_TEST


START_TEST(prefix_rule)
{
    static const struct {
        const char  *prefix, *want;
    } t[] = {
        { "app", "app.gunicorn.workers:1|g" },
        { "app.", "app.gunicorn.workers:1|g" },
        { "app...", "app.gunicorn.workers:1|g" },
        { "my.app", "my.app.gunicorn.workers:1|g" },
        { ".a", ".a.gunicorn.workers:1|g" },
        /* gunicorn's regex needs two characters before the dots */
        { "a", "agunicorn.workers:1|g" },
        { "a..", "a..gunicorn.workers:1|g" },
        { ".", ".gunicorn.workers:1|g" },
        { "", "gunicorn.workers:1|g" },
    };
    pfw_statsd  *st;
    size_t       i;
    int          fd;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        st = udp_client(&fd, t[i].prefix, "");
        pfw_statsd_gauge_workers(st, 1);
        expect(fd, t[i].want);
        pfw_statsd_close(st);
        close(fd);
    }
}
END_TEST


START_TEST(dogstatsd_tags)
{
    pfw_statsd  *st;
    int          fd;

    st = udp_client(&fd, "app", "env:prod,team:web");
    pfw_statsd_request(st, 1500, 201);
    expect(fd, "app.gunicorn.request.duration:1.5|ms|#env:prod,team:web");
    expect(fd, "app.gunicorn.requests:1|c|@1.0|#env:prod,team:web");
    expect(fd, "app.gunicorn.request.status.201:1|c|@1.0|#env:prod,team:web");
    pfw_statsd_gauge_workers(st, 2);
    expect(fd, "app.gunicorn.workers:2|g|#env:prod,team:web");
    pfw_statsd_close(st);
    close(fd);
}
END_TEST


START_TEST(unix_datagram_collector)
{
    const char  *path = tl_path(dir, "statsd.sock", 0);
    char         host[600];
    pfw_statsd  *st;
    int          fd;

    fd = tl_unix_receiver(path, SOCK_DGRAM);
    snprintf(host, sizeof(host), "unix://%s", path);
    st = open_ok(host, "", "");
    pfw_statsd_log_count(st, PF_LOG_CRITICAL, 0);
    expect(fd, "gunicorn.log.critical:1|c|@1.0");
    pfw_statsd_close(st);
    snprintf(host, sizeof(host), "unix:%s", path);
    st = open_ok(host, "", "");
    pfw_statsd_log_count(st, PF_LOG_ERROR, 1);
    expect(fd, "gunicorn.log.exception:1|c|@1.0");
    pfw_statsd_log_count(st, PF_LOG_ERROR, 0);
    expect(fd, "gunicorn.log.error:1|c|@1.0");
    pfw_statsd_log_count(st, PF_LOG_WARNING, 0);
    expect(fd, "gunicorn.log.warning:1|c|@1.0");
    pfw_statsd_log_count(st, PF_LOG_INFO, 0);
    pfw_statsd_log_count(st, PF_LOG_DEBUG, 0);
    ck_assert(tl_quiet(fd, 50));
    pfw_statsd_close(st);
    close(fd);
}
END_TEST


START_TEST(host_forms)
{
    pfw_statsd  *st;
    char         err[256];
    int          fd, port;
    char         host[64];

    fd = tl_udp_receiver(&port);
    snprintf(host, sizeof(host), "tcp://LOCALHOST:%d", port);   /* still UDP */
    st = open_ok(host, "", "");
    pfw_statsd_gauge_workers(st, 9);
    expect(fd, "gunicorn.workers:9|g");
    pfw_statsd_close(st);
    snprintf(host, sizeof(host), "[127.0.0.1]:%d", port);
    st = open_ok(host, "", "");
    pfw_statsd_gauge_workers(st, 8);
    expect(fd, "gunicorn.workers:8|g");
    pfw_statsd_close(st);
    close(fd);

    /* Legacy "unix:PORT" is UDP to a host named "unix": a warning, no
     * metrics, no error (gunicorn sends nothing either). */
    st = open_ok("unix:8125", "", "");
    ck_assert(!pfw_statsd_enabled(st));
    ck_assert_ptr_nonnull(pfw_statsd_disabled_reason(st));
    pfw_statsd_request(st, 1, 200);
    pfw_statsd_close(st);
    st = open_ok("fd://3", "", "");
    ck_assert(!pfw_statsd_enabled(st));
    pfw_statsd_close(st);
    st = open_ok("127.0.0.1:8125", "pr\xc3\xa9", "");
    ck_assert(!pfw_statsd_enabled(st));     /* gunicorn: encode('ascii') */
    pfw_statsd_close(st);
    ck_assert_ptr_null(pfw_statsd_open("localhost:abc", "", "", err,
                                       sizeof(err)));
    ck_assert_str_eq(err, "statsd_host: Value must be one of ('host:port', "
                          "'unix://PATH')");
    ck_assert_ptr_null(pfw_statsd_open("localhost:", "", "", err,
                                       sizeof(err)));
}
END_TEST


static void
count_warn(void *ud, const char *msg)
{
    (*(int *) ud)++;
    ck_assert_msg(strncmp(msg, "Error sending message to statsd: ", 33) == 0,
                  "%s", msg);
}


/* The collector is gone: connected UDP reports ECONNREFUSED; nothing
 * blocks, failures are counted and reported once. */
START_TEST(dead_collector_never_blocks)
{
    pfw_statsd  *st;
    long long    t0;
    int          fd, i, warned = 0;

    st = udp_client(&fd, "", "");
    close(fd);
    pfw_statsd_set_warn(st, count_warn, &warned);
    t0 = th_now_ms();
    for (i = 0; i < 1000; i++) {
        pfw_statsd_request(st, 1000, 200);
        pfw_statsd_gauge_workers(st, i);
    }
    ck_assert_int_lt(th_now_ms() - t0, 5000);
    ck_assert_uint_gt(pfw_statsd_dropped(st), 0);
    ck_assert_int_eq(warned, 1);
    pfw_statsd_close(st);
}
END_TEST


START_TEST(full_collector_never_blocks)
{
    const char  *path = tl_path(dir, "slow.sock", 0);
    char         host[600];
    pfw_statsd  *st;
    long long    t0;
    int          fd, i, warned = 0;

    fd = tl_unix_receiver(path, SOCK_DGRAM);
    snprintf(host, sizeof(host), "unix://%s", path);
    st = open_ok(host, "", "");
    pfw_statsd_set_warn(st, count_warn, &warned);
    t0 = th_now_ms();
    for (i = 0; i < 2000; i++) {
        pfw_statsd_request(st, 1000, 200);
    }
    ck_assert_int_lt(th_now_ms() - t0, 5000);
    ck_assert_uint_gt(pfw_statsd_dropped(st), 0);
    ck_assert_int_eq(warned, 1);
    pfw_statsd_close(st);
    close(fd);
}
END_TEST


/* Expected strings are CPython's repr(). */
START_TEST(python_float_repr)
{
    static const struct {
        double       v;
        const char  *want;
    } t[] = {
        { 0.0, "0.0" }, { 0.001, "0.001" }, { 0.999, "0.999" },
        { 1.0, "1.0" }, { 1.5, "1.5" }, { 123.456, "123.456" },
        { 1000.0, "1000.0" }, { 5000.003, "5000.003" },
        { 86399999.999, "86399999.999" }, { 0.1 + 0.2, "0.30000000000000004" },
        { 1.0 / 3, "0.3333333333333333" }, { 1e16, "1e+16" },
        { 1e15, "1000000000000000.0" }, { 1e-5, "1e-05" },
        { 0.0001, "0.0001" }, { 1.5e-7, "1.5e-07" }, { 1e22, "1e+22" },
        { 123456789012345678.0, "1.2345678901234568e+17" },
        { -2.5, "-2.5" }, { 1e100, "1e+100" }, { 2.5e-300, "2.5e-300" },
    };
    char    buf[64];
    size_t  i, n;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        n = pfw_pyfloat_repr(t[i].v, buf);
        ck_assert_uint_eq(n, strlen(t[i].want));
        ck_assert_str_eq(buf, t[i].want);
    }
    pfw_pyfloat_repr(INFINITY, buf);
    ck_assert_str_eq(buf, "inf");
    pfw_pyfloat_repr(NAN, buf);
    ck_assert_str_eq(buf, "nan");
}
END_TEST


/* Error-log lines at warning and above are counted even when the level
 * filter drops them (gunicorn's Statsd logger counts, then logs). */
START_TEST(errlog_counts_log_levels)
{
    pfw_errlog_conf  c = { NULL, "critical", 0, -1, -1 };
    pfw_errlog      *el;
    pfw_statsd      *st;
    char             err[256], file[1024];
    int              fd;

    st = udp_client(&fd, "", "");
    c.path = tl_path(dir, "e.log", 0);
    el = pfw_errlog_open(&c, err, sizeof(err));
    ck_assert_ptr_nonnull(el);
    pfw_errlog_set_statsd(el, st);
    pfw_errlog_install(el);
    ck_assert_int_eq(pf_log_level(), PF_LOG_WARNING);
    pf_log(PF_LOG_INFO, "not counted");
    pf_log(PF_LOG_WARNING, "Invalid request from ip=%s: %s", "1.2.3.4", "x");
    expect(fd, "gunicorn.log.warning:1|c|@1.0");
    pf_log(PF_LOG_ERROR, "Worker (pid:%d) exited with code %d.", 5, 1);
    expect(fd, "gunicorn.log.error:1|c|@1.0");
    pfw_errlog_mark(PFW_LOGF_EXCEPTION);
    pf_log(PF_LOG_ERROR, "Error handling request /");
    expect(fd, "gunicorn.log.exception:1|c|@1.0");
    pfw_errlog_mark(PFW_LOGF_NOCOUNT);
    pf_log(PF_LOG_ERROR, "not counted either");
    pf_log(PF_LOG_CRITICAL, "WORKER TIMEOUT (pid:%d)", 5);
    expect(fd, "gunicorn.log.critical:1|c|@1.0");
    ck_assert(tl_quiet(fd, 50));
    tl_slurp(c.path, file, sizeof(file));
    ck_assert_ptr_null(strstr(file, "Invalid request"));    /* filtered */
    ck_assert_ptr_nonnull(strstr(file, "[CRITICAL] WORKER TIMEOUT (pid:5)"));
    pfw_errlog_close(el);
    pfw_statsd_close(st);
    close(fd);
}
END_TEST


Suite *
statsd_suite(void)
{
    Suite  *s = suite_create("statsd");
    TCase  *tc = tcase_create("statsd");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, request_metrics_in_order);
    tcase_add_test(tc, zero_values_are_sent);
    tcase_add_test(tc, gauges_histograms_counters);
    tcase_add_test(tc, prefix_rule);
    tcase_add_test(tc, dogstatsd_tags);
    tcase_add_test(tc, unix_datagram_collector);
    tcase_add_test(tc, host_forms);
    tcase_add_test(tc, dead_collector_never_blocks);
    tcase_add_test(tc, full_collector_never_blocks);
    tcase_add_test(tc, python_float_repr);
    tcase_add_test(tc, errlog_counts_log_levels);
    suite_add_tcase(s, tc);
    return s;
}

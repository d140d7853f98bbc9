/*
 * pfw_logging: the handlers gunicorn's Logger/Statsd build from the
 * settings, end to end on files and sockets.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"
#include "tl.h"

#define OBSERVED  "127.0.0.1 - - [22/Nov/2026:14:09:59 +0000] " \
                  "\"GET / HTTP/1.1\" 200 3 \"-\" \"-\""

static char  *dir;


static void
setup(void)
{
    dir = th_tmpdir();
    ck_assert_ptr_nonnull(dir);
    tl_tz("UTC");
}


static void
teardown(void)
{
    th_rmrf(dir);
    free(dir);
}


static pfw_logging *
open_ok(const pfw_logging_conf *c)
{
    pfw_logging  *lg;
    char          err[512] = "";

    lg = pfw_logging_open(c, err, sizeof(err));
    ck_assert_msg(lg != NULL, "open: %s", err);
    return lg;
}


static void
expect(int fd, const char *want)
{
    char     got[1024];
    ssize_t  n;

    n = tl_recv(fd, got, sizeof(got), 2000);
    ck_assert_msg(n >= 0, "no datagram, wanted %s", want);
    ck_assert_uint_eq((size_t) n, strlen(want) + (want[0] == '<'));
    ck_assert_str_eq(got, want);
}


START_TEST(defaults_are_gunicorns)
{
    pfw_logging_conf  c;

    pfw_logging_conf_init(&c);
    ck_assert_str_eq(c.errorlog, "-");
    ck_assert_str_eq(c.loglevel, "info");
    ck_assert_ptr_null(c.accesslog);
    ck_assert_ptr_null(c.access_log_format);
    ck_assert_ptr_null(c.statsd_host);
    ck_assert_str_eq(c.syslog_addr, "udp://localhost:514");
    ck_assert_str_eq(c.syslog_facility, "user");
    ck_assert_int_eq(c.syslog, 0);
    ck_assert_int_eq(c.capture_output, 0);
    ck_assert_int_eq(c.uid, -1);
}
END_TEST


START_TEST(access_file_and_statsd)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    pfw_access_rec    r;
    char              host[64], buf[1024];
    int               fd, port;

    fd = tl_udp_receiver(&port);
    snprintf(host, sizeof(host), "127.0.0.1:%d", port);
    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "error.log", 0);
    c.accesslog = tl_path(dir, "access.log", 1);
    c.statsd_host = host;
    lg = open_ok(&c);
    pfw_logging_install(lg);
    ck_assert(pfw_logging_access_enabled(lg));
    ck_assert_ptr_nonnull(pfw_logging_statsd(lg));
    tl_rec(&r);
    r.duration_us = 2500;
    pfw_logging_access(lg, &r);
    tl_slurp(c.accesslog, buf, sizeof(buf));
    ck_assert_str_eq(buf, OBSERVED "\n");
    expect(fd, "gunicorn.request.duration:2.5|ms");
    expect(fd, "gunicorn.requests:1|c|@1.0");
    expect(fd, "gunicorn.request.status.200:1|c|@1.0");
    pf_log(PF_LOG_ERROR, "boom");
    expect(fd, "gunicorn.log.error:1|c|@1.0");
    pfw_logging_close(lg);
    tl_slurp(c.errorlog, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "] [ERROR] boom\n"));
    close(fd);
}
END_TEST


START_TEST(access_dash_is_stdout)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    pfw_access_rec    r;
    char              buf[512];
    int               p[2], saved;

    ck_assert_int_eq(pipe(p), 0);
    saved = dup(1);
    dup2(p[1], 1);
    pfw_logging_conf_init(&c);
    c.accesslog = "-";
    c.access_log_format = "%(h)s \"%(r)s\" %(s)s";
    lg = open_ok(&c);
    tl_rec(&r);
    pfw_logging_access(lg, &r);
    pfw_logging_close(lg);
    dup2(saved, 1);
    close(p[1]);
    ck_assert_int_gt(th_read_all(p[0], buf, sizeof(buf), 2000), 0);
    ck_assert_str_eq(buf, "127.0.0.1 \"GET / HTTP/1.1\" 200\n");
}
END_TEST


START_TEST(access_off)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    pfw_access_rec    r;

    pfw_logging_conf_init(&c);
    c.access_log_format = "%(s)d";          /* never compiled: access off */
    lg = open_ok(&c);
    ck_assert(!pfw_logging_access_enabled(lg));
    tl_rec(&r);
    pfw_logging_access(lg, &r);             /* a no-op */
    pfw_logging_close(lg);
}
END_TEST


START_TEST(syslog_gets_error_and_access)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    pfw_access_rec    r;
    char              addr[64], want[512];
    int               fd, port;

    fd = tl_udp_receiver(&port);
    snprintf(addr, sizeof(addr), "udp://127.0.0.1:%d", port);
    pfw_logging_conf_init(&c);
    c.syslog = 1;
    c.syslog_addr = addr;
    c.syslog_facility = "local7";
    c.proc_name = "myapp:app";
    c.errorlog = tl_path(dir, "e.log", 0);
    lg = open_ok(&c);
    pfw_logging_install(lg);
    ck_assert(pfw_logging_access_enabled(lg));  /* syslog redirect */
    pf_log(PF_LOG_INFO, "Booting worker with pid: %d", 12);
    snprintf(want, sizeof(want), "<190>gunicorn.myapp.app.error: [%d] "
             "Booting worker with pid: 12", (int) getpid());
    expect(fd, want);
    tl_rec(&r);
    pfw_logging_access(lg, &r);
    snprintf(want, sizeof(want), "<190>gunicorn.myapp.app.access: [%d] "
             OBSERVED, (int) getpid());
    expect(fd, want);
    pfw_logging_close(lg);

    c.disable_redirect_access_to_syslog = 1;
    c.syslog_prefix = "web";
    lg = open_ok(&c);
    pfw_logging_install(lg);
    ck_assert(!pfw_logging_access_enabled(lg));
    pfw_logging_access(lg, &r);
    pf_log(PF_LOG_WARNING, "w");
    snprintf(want, sizeof(want), "<188>gunicorn.web.error: [%d] w",
             (int) getpid());
    expect(fd, want);
    ck_assert(tl_quiet(fd, 50));
    pfw_logging_close(lg);
    close(fd);
}
END_TEST


START_TEST(reopen_both_files)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    pfw_access_rec    r;
    char              buf[1024];
    const char       *e1 = tl_path(dir, "e.log.1", 2), *a1;

    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "e.log", 0);
    c.accesslog = tl_path(dir, "a.log", 1);
    lg = open_ok(&c);
    pfw_logging_install(lg);
    tl_rec(&r);
    pf_log(PF_LOG_INFO, "before");
    pfw_logging_access(lg, &r);
    a1 = tl_path(dir, "a.log.1", 3);
    ck_assert_int_eq(rename(c.errorlog, e1), 0);
    ck_assert_int_eq(rename(c.accesslog, a1), 0);
    ck_assert_int_eq(pfw_logging_reopen(lg), 0);
    pf_log(PF_LOG_INFO, "after");
    r.status = 204;
    pfw_logging_access(lg, &r);
    pfw_logging_close(lg);
    tl_slurp(e1, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "[INFO] before\n"));
    ck_assert_ptr_null(strstr(buf, "after"));
    tl_slurp(c.errorlog, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "[INFO] after\n"));
    tl_slurp(a1, buf, sizeof(buf));
    ck_assert_str_eq(buf, OBSERVED "\n");
    tl_slurp(c.accesslog, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "\" 204 3 "));
}
END_TEST


static void
open_fails(const pfw_logging_conf *c, const char *want)
{
    char  err[512] = "";

    ck_assert_ptr_null(pfw_logging_open(c, err, sizeof(err)));
    ck_assert_msg(strcmp(err, want) == 0, "[%s]", err);
}


START_TEST(startup_errors)
{
    pfw_logging_conf  c;

    pfw_logging_conf_init(&c);
    c.accesslog = "-";
    c.access_log_format = "%(h)s %";
    open_fails(&c, "access_log_format: incomplete format");
    pfw_logging_conf_init(&c);
    c.accesslog = "/nonexistent-pfw/a.log";
    open_fails(&c, "Error: '/nonexistent-pfw/a.log' isn't writable "
               "[FileNotFoundError(2, 'No such file or directory')]");
    pfw_logging_conf_init(&c);
    c.syslog = 1;
    c.syslog_facility = "nope";
    open_fails(&c, "unknown facility name");
    pfw_logging_conf_init(&c);
    c.syslog = 1;
    c.syslog_addr = "stdout";
    open_fails(&c, "invalid syslog address");
    pfw_logging_conf_init(&c);
    c.statsd_host = "host:port";
    open_fails(&c, "statsd_host: Value must be one of ('host:port', "
               "'unix://PATH')");
}
END_TEST


START_TEST(disabled_statsd_is_reported_once)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    char              buf[1024];

    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "e.log", 0);
    c.statsd_host = "fd://3";
    lg = open_ok(&c);
    pfw_logging_install(lg);
    ck_assert(!pfw_logging_access_enabled(lg));
    pfw_logging_close(lg);
    tl_slurp(c.errorlog, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "] [WARNING] statsd_host fd://3 is "
                                      "not a socket address: metrics are "
                                      "disabled\n"));
}
END_TEST


START_TEST(long_line_is_whole)
{
    static char       ua[20000], buf[40000];
    pfw_logging_conf  c;
    pfw_logging      *lg;
    pfw_access_rec    r;
    pfw_hdr           h;

    memset(ua, 'u', sizeof(ua));
    h.name = "User-Agent";
    h.name_len = 10;
    h.value = ua;
    h.value_len = sizeof(ua);
    pfw_logging_conf_init(&c);
    c.accesslog = tl_path(dir, "a.log", 0);
    lg = open_ok(&c);
    tl_rec(&r);
    r.req_headers = &h;
    r.n_req_headers = 1;
    pfw_logging_access(lg, &r);
    pfw_logging_close(lg);
    ck_assert_int_eq(tl_slurp(c.accesslog, buf, sizeof(buf)),
                     (ssize_t) (strlen(OBSERVED) - 1 + sizeof(ua) + 1));
    ck_assert_int_eq(memcmp(buf, OBSERVED, strlen(OBSERVED) - 2), 0);
    ck_assert_str_eq(buf + strlen(buf) - 4, "uu\"\n");
}
END_TEST


/* A worker must not share the master's stream to syslog. */
START_TEST(worker_gets_own_tcp_connection)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    char              addr[64], got[256], want[256];
    pid_t             pid;
    int               lfd, master_conn, worker_conn, port, st, n;

    lfd = tl_tcp_listener(&port);
    snprintf(addr, sizeof(addr), "tcp://127.0.0.1:%d", port);
    pfw_logging_conf_init(&c);
    c.syslog = 1;
    c.syslog_addr = addr;
    c.proc_name = "app";
    c.errorlog = tl_path(dir, "e.log", 0);
    lg = open_ok(&c);
    master_conn = accept(lfd, NULL, NULL);
    ck_assert_int_ge(master_conn, 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        pfw_logging_after_fork(lg);
        pfw_errlog_write(pfw_logging_errlog(lg), PF_LOG_INFO, "from worker",
                         11, 0);
        _exit(0);
    }
    ck_assert_int_eq(th_wait(pid, &st, 5000), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ck_assert_int_eq(th_readable(lfd, 2000), 1);
    worker_conn = accept(lfd, NULL, NULL);
    ck_assert_int_ge(worker_conn, 0);
    n = snprintf(want, sizeof(want), "<14>gunicorn.app.error: [%d] from "
                 "worker", (int) pid) + 1;
    ck_assert_int_eq(th_read_n(worker_conn, got, (size_t) n, 2000), n);
    ck_assert_int_eq(memcmp(got, want, (size_t) n), 0);
    ck_assert(tl_quiet(master_conn, 50));
    pfw_logging_close(lg);
    close(worker_conn);
    close(master_conn);
    close(lfd);
}
END_TEST


/* The datagrams gunicorn 26.1 sent for "curl -A 'ua \"x\"' -u bob:pw
 * /p?q=1" with --statsd-prefix app --dogstatsd-tags env:prod --log-syslog
 * --log-syslog-facility local7 and APP_MODULE app:app (captured from the
 * real server; pid and time substituted). */
START_TEST(same_bytes_as_gunicorn_observed)
{
    static const pfw_hdr  h[] = {
        { "Host", 4, "127.0.0.1:18080", 15 },
        { "Authorization", 13, "Basic Ym9iOnB3", 14 },
        { "User-Agent", 10, "ua \"x\"", 6 },
        { "Accept", 6, "*/*", 3 },
    };
    pfw_logging_conf  c;
    pfw_logging      *lg;
    pfw_access_rec    r;
    char              saddr[64], shost[64], want[1024], line[512];
    int               sfd, dfd, sport, dport;

    sfd = tl_udp_receiver(&sport);
    dfd = tl_udp_receiver(&dport);
    snprintf(saddr, sizeof(saddr), "udp://127.0.0.1:%d", sport);
    snprintf(shost, sizeof(shost), "127.0.0.1:%d", dport);
    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "e.log", 0);
    c.accesslog = tl_path(dir, "a.log", 1);
    c.syslog = 1;
    c.syslog_addr = saddr;
    c.syslog_facility = "local7";
    c.proc_name = "app:app";
    c.statsd_host = shost;
    c.statsd_prefix = "app";
    c.dogstatsd_tags = "env:prod";
    lg = open_ok(&c);
    pfw_logging_install(lg);
    pf_log(PF_LOG_INFO, "Starting gunicorn %s", "26.1.0");
    snprintf(want, sizeof(want), "<190>gunicorn.app.app.error: [%d] "
             "Starting gunicorn 26.1.0", (int) getpid());
    expect(sfd, want);
    pfw_statsd_gauge_workers(pfw_logging_statsd(lg), 1);
    expect(dfd, "app.gunicorn.workers:1|g|#env:prod");
    tl_rec(&r);
    r.raw_uri = "/p?q=1";
    r.raw_uri_len = 6;
    r.req_headers = h;
    r.n_req_headers = 4;
    r.duration_us = 501;
    pfw_logging_access(lg, &r);
    snprintf(line, sizeof(line), "127.0.0.1 - bob [22/Nov/2026:14:09:59 "
             "+0000] \"GET /p?q=1 HTTP/1.1\" 200 3 \"-\" \"ua \\\"x\\\"\"");
    snprintf(want, sizeof(want), "<190>gunicorn.app.app.access: [%d] %s",
             (int) getpid(), line);
    expect(sfd, want);
    expect(dfd, "app.gunicorn.request.duration:0.501|ms|#env:prod");
    expect(dfd, "app.gunicorn.requests:1|c|@1.0|#env:prod");
    expect(dfd, "app.gunicorn.request.status.200:1|c|@1.0|#env:prod");
    pfw_logging_close(lg);
    tl_slurp(c.accesslog, want, sizeof(want));
    ck_assert_str_eq(want, strcat(line, "\n"));
    close(sfd);
    close(dfd);
}
END_TEST


Suite *
logging_suite(void)
{
    Suite  *s = suite_create("logging");
    TCase  *tc = tcase_create("logging");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, defaults_are_gunicorns);
    tcase_add_test(tc, access_file_and_statsd);
    tcase_add_test(tc, access_dash_is_stdout);
    tcase_add_test(tc, access_off);
    tcase_add_test(tc, syslog_gets_error_and_access);
    tcase_add_test(tc, reopen_both_files);
    tcase_add_test(tc, startup_errors);
    tcase_add_test(tc, disabled_statsd_is_reported_once);
    tcase_add_test(tc, long_line_is_whole);
    tcase_add_test(tc, worker_gets_own_tcp_connection);
    tcase_add_test(tc, same_bytes_as_gunicorn_observed);
    suite_add_tcase(s, tc);
    return s;
}

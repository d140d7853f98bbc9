/*
 * pfw_logging_set_forward: the lines Python's logging takes over
 * (--log-config...), and the handlers it calls back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"
#include "tl.h"

#define OBSERVED  "127.0.0.1 - - [22/Nov/2026:14:09:59 +0000] " \
                  "\"GET / HTTP/1.1\" 200 3 \"-\" \"-\""

static char  *dir;

/* What the callbacks were given, in order: "E<level>:msg\n",
 * "A<level>:line\n", "R\n". */
static char    seen[4096];
static size_t  nseen;
static int     reenter;       /* fwd_error logs a line of its own */


static void
setup(void)
{
    dir = th_tmpdir();
    ck_assert_ptr_nonnull(dir);
    tl_tz("UTC");
    nseen = 0;
    seen[0] = '\0';
    reenter = 0;
}


static void
teardown(void)
{
    th_rmrf(dir);
    free(dir);
}


static void
note(char kind, int level, const char *msg, size_t len)
{
    int  n;

    n = snprintf(seen + nseen, sizeof(seen) - nseen, "%c%d:%.*s\n", kind,
                 level, (int) len, msg);
    if (n > 0 && (size_t) n < sizeof(seen) - nseen) {
        nseen += (size_t) n;
    }
}


static void
fwd_error(void *ud, int level, const char *msg, size_t len)
{
    (void) ud;
    note('E', level, msg, len);
    if (reenter) {
        pf_log(PF_LOG_WARNING, "from inside");
    }
}


static void
fwd_access(void *ud, const pfw_access_rec *r, const char *line, size_t len)
{
    (void) ud;
    note('A', r->status, line, len);
}


static void
fwd_reopen(void *ud)
{
    (void) ud;
    note('R', 0, "", 0);
}


static pfw_logging *
open_fw(pfw_logging_conf *c, int min_level)
{
    pfw_log_forward   fw;
    pfw_logging      *lg;
    char              err[512] = "";

    lg = pfw_logging_open(c, err, sizeof(err));
    ck_assert_msg(lg != NULL, "open: %s", err);
    memset(&fw, 0, sizeof(fw));
    fw.error = fwd_error;
    fw.access = fwd_access;
    fw.reopen = fwd_reopen;
    fw.ud = lg;
    fw.min_level = min_level;
    pfw_logging_set_forward(lg, &fw);
    pfw_logging_install(lg);
    return lg;
}


START_TEST(lines_go_to_python_not_files)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    pfw_access_rec    r;
    char              buf[1024];
    char              want[512];

    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "error.log", 0);
    c.python = 1;
    lg = open_fw(&c, PF_LOG_INFO);
    /* no access file: gunicorn gives gunicorn.access no handler, but the
     * lines are rendered for Python */
    ck_assert(pfw_logging_access_enabled(lg));
    ck_assert(!pfw_logging_access_handled(lg));
    pf_log(PF_LOG_INFO, "Booting worker with pid: %d", 42);
    pf_log(PF_LOG_DEBUG, "dropped by the hook");
    tl_rec(&r);
    pfw_logging_access(lg, &r);
    snprintf(want, sizeof(want), "E%d:Booting worker with pid: 42\n"
             "A200:" OBSERVED "\n", PF_LOG_INFO);
    ck_assert_str_eq(seen, want);
    pfw_logging_close(lg);
    ck_assert_int_eq(tl_slurp(c.errorlog, buf, sizeof(buf)), 0);
}
END_TEST


START_TEST(min_level_is_pythons)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    char              want[128];

    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "error.log", 0);
    c.loglevel = "error";
    c.python = 1;
    lg = open_fw(&c, PF_LOG_DEBUG);
    ck_assert_int_eq(pf_log_level(), PF_LOG_DEBUG);
    ck_assert_int_eq(pfw_errlog_level(pfw_logging_errlog(lg)), PF_LOG_DEBUG);
    pf_log(PF_LOG_DEBUG, "d");
    snprintf(want, sizeof(want), "E%d:d\n", PF_LOG_DEBUG);
    ck_assert_str_eq(seen, want);
    /* turned off: --log-level applies to the file again */
    pfw_logging_set_forward(lg, NULL);
    ck_assert_int_eq(pf_log_level(), PF_LOG_ERROR);
    pfw_logging_close(lg);
}
END_TEST


START_TEST(handlers_write_what_python_passes_back)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    char              buf[1024];

    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "error.log", 0);
    c.accesslog = tl_path(dir, "access.log", 1);
    c.loglevel = "critical";
    c.python = 1;
    lg = open_fw(&c, PF_LOG_INFO);
    ck_assert(pfw_logging_access_handled(lg));
    /* no level filter: Python's logger already decided */
    pfw_logging_emit_error(lg, PF_LOG_WARNING, "Error handling request\n"
                           "Traceback", 32);
    pfw_logging_emit_access(lg, OBSERVED, strlen(OBSERVED));
    pfw_logging_close(lg);
    tl_slurp(c.errorlog, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "] [WARNING] Error handling request\n"
                                 "Traceback\n"));
    tl_slurp(c.accesslog, buf, sizeof(buf));
    ck_assert_str_eq(buf, OBSERVED "\n");
    ck_assert_uint_eq(nseen, 0);
}
END_TEST


/* A line the application's own formatter made whole: no prefix added,
 * no level filter (Python's logger decided), not forwarded. */
START_TEST(whole_line_written_as_is)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    char              buf[1024];

    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "error.log", 0);
    c.loglevel = "critical";
    c.python = 1;
    lg = open_fw(&c, PF_LOG_INFO);
    pfw_logging_emit_error_line(lg, PF_LOG_INFO, "{\"msg\": \"hi\"}", 13);
    pfw_logging_close(lg);
    tl_slurp(c.errorlog, buf, sizeof(buf));
    ck_assert_str_eq(buf, "{\"msg\": \"hi\"}\n");
    ck_assert_uint_eq(nseen, 0);
}
END_TEST


START_TEST(statsd_still_counts)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    char              host[64], got[256];
    int               fd, port;

    fd = tl_udp_receiver(&port);
    snprintf(host, sizeof(host), "127.0.0.1:%d", port);
    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "error.log", 0);
    c.statsd_host = host;
    c.python = 1;
    lg = open_fw(&c, PF_LOG_CRITICAL);
    /* Python keeps only CRITICAL, but the warning is counted */
    ck_assert_int_eq(pf_log_level(), PF_LOG_WARNING);
    pfw_errlog_mark(PFW_LOGF_EXCEPTION);
    pf_log(PF_LOG_ERROR, "Error handling request");
    ck_assert(tl_recv(fd, got, sizeof(got), 2000) > 0);
    ck_assert_str_eq(got, "gunicorn.log.exception:1|c|@1.0");
    ck_assert_ptr_nonnull(strstr(seen, ":Error handling request\n"));
    pfw_logging_close(lg);
    close(fd);
}
END_TEST


START_TEST(a_line_from_inside_is_written)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    char              buf[1024], want[128];

    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "error.log", 0);
    c.python = 1;
    lg = open_fw(&c, PF_LOG_INFO);
    reenter = 1;
    pf_log(PF_LOG_INFO, "outer");
    reenter = 0;
    pf_log(PF_LOG_INFO, "next");
    snprintf(want, sizeof(want), "E%d:outer\nE%d:next\n", PF_LOG_INFO,
             PF_LOG_INFO);
    ck_assert_str_eq(seen, want);
    pfw_logging_close(lg);
    tl_slurp(c.errorlog, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "] [WARNING] from inside\n"));
    ck_assert_ptr_null(strstr(buf, "outer"));
}
END_TEST


START_TEST(reopen_calls_python_after_the_files)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    char              buf[1024];
    const char       *moved = tl_path(dir, "a.log.1", 2);

    pfw_logging_conf_init(&c);
    c.errorlog = tl_path(dir, "e.log", 0);
    c.accesslog = tl_path(dir, "a.log", 1);
    c.python = 1;
    lg = open_fw(&c, PF_LOG_INFO);
    ck_assert_int_eq(rename(c.accesslog, moved), 0);
    ck_assert_int_eq(pfw_logging_reopen(lg), 0);
    ck_assert_str_eq(seen, "R0:\n");
    pfw_logging_emit_access(lg, "x", 1);
    pfw_logging_close(lg);
    tl_slurp(c.accesslog, buf, sizeof(buf));
    ck_assert_str_eq(buf, "x\n");
}
END_TEST


Suite *
forward_suite(void)
{
    Suite  *s = suite_create("forward");
    TCase  *tc = tcase_create("python");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, lines_go_to_python_not_files);
    tcase_add_test(tc, min_level_is_pythons);
    tcase_add_test(tc, handlers_write_what_python_passes_back);
    tcase_add_test(tc, whole_line_written_as_is);
    tcase_add_test(tc, statsd_still_counts);
    tcase_add_test(tc, a_line_from_inside_is_written);
    tcase_add_test(tc, reopen_calls_python_after_the_files);
    suite_add_tcase(s, tc);
    return s;
}

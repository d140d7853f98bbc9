/* The log hook: default gunicorn-format lines, user hooks, level filter. */
#include <check.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <prefork/log.h>

#include "helpers.h"
#include "suites.h"

static char  got[512];
static int   got_level = -1;


static void
capture(int level, const char *msg, void *ud)
{
    *(int *) ud += 1;
    got_level = level;
    snprintf(got, sizeof(got), "%s", msg);
}


START_TEST(default_line_format)
{
    int      p[2], saved;
    char     buf[512];
    regex_t  re;

    ck_assert_int_eq(pipe(p), 0);
    saved = dup(2);
    dup2(p[1], 2);
    pf_log_set(NULL, NULL, PF_LOG_INFO);
    pf_log(PF_LOG_INFO, "Starting %s %d", "thing", 42);
    pf_log(PF_LOG_DEBUG, "filtered out");
    dup2(saved, 2);
    close(p[1]);
    ck_assert_int_gt(th_read_all(p[0], buf, sizeof(buf), 2000), 0);
    /* [2026-11-23 10:00:00 +0000] [PID] [INFO] msg */
    ck_assert_int_eq(regcomp(&re, "^\\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}"
                             ":[0-9]{2} [+-][0-9]{4}\\] \\[[0-9]+\\] \\[INFO\\] "
                             "Starting thing 42\n$", REG_EXTENDED), 0);
    ck_assert_msg(regexec(&re, buf, 0, NULL, 0) == 0, "bad line: %s", buf);
    regfree(&re);
}
END_TEST


START_TEST(hook_replaces_default_and_filters)
{
    int  calls = 0;

    pf_log_set(capture, &calls, PF_LOG_WARNING);
    ck_assert_int_eq(pf_log_level(), PF_LOG_WARNING);
    pf_log(PF_LOG_INFO, "below the level");
    ck_assert_int_eq(calls, 0);
    pf_log(PF_LOG_ERROR, "worker %d", 7);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(got_level, PF_LOG_ERROR);
    ck_assert_str_eq(got, "worker 7");
}
END_TEST


START_TEST(errno_text_appended_and_preserved)
{
    int  calls = 0;

    pf_log_set(capture, &calls, PF_LOG_DEBUG);
    errno = EINTR;
    pf_log_errno(PF_LOG_ERROR, EADDRINUSE, "bind(%s) failed", "127.0.0.1:8000");
    ck_assert_int_eq(errno, EINTR);
    ck_assert_str_eq(got, "bind(127.0.0.1:8000) failed: Address already in use");
}
END_TEST


START_TEST(level_names)
{
    ck_assert_str_eq(pf_log_level_name(PF_LOG_CRITICAL), "CRITICAL");
    ck_assert_str_eq(pf_log_level_name(PF_LOG_WARNING), "WARNING");
    ck_assert_str_eq(pf_log_level_name(99), "UNKNOWN");
}
END_TEST


Suite *
log_suite(void)
{
    Suite  *s = suite_create("log");
    TCase  *tc = tcase_create("log");

    tcase_add_test(tc, default_line_format);
    tcase_add_test(tc, hook_replaces_default_and_filters);
    tcase_add_test(tc, errno_text_appended_and_preserved);
    tcase_add_test(tc, level_names);
    suite_add_tcase(s, tc);
    return s;
}

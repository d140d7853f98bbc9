/*
 * The error log: gunicorn's line format, the level filter, "-" vs a file,
 * USR1 reopen (rename, no line lost), capture_output.
 */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
    umask(022);
}


static void
teardown(void)
{
    th_rmrf(dir);
    free(dir);
}


static pfw_errlog *
open_log(const char *path, const char *level, int capture)
{
    pfw_errlog_conf   c;
    pfw_errlog       *el;
    char              err[256] = "";

    c.path = path;
    c.level = level;
    c.capture_output = capture;
    c.uid = -1;
    c.gid = -1;
    el = pfw_errlog_open(&c, err, sizeof(err));
    ck_assert_msg(el != NULL, "open: %s", err);
    return el;
}


static void
say(pfw_errlog *el, int level, const char *msg)
{
    pfw_errlog_write(el, level, msg, strlen(msg), 0);
}


/* "[date zone] [PID] [LEVEL] msg\n", the date checked by pattern. */
static void
assert_line(const char *line, int level, const char *msg)
{
    char     pat[512];
    regex_t  re;

    snprintf(pat, sizeof(pat), "^\\[[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:"
             "[0-9]{2}:[0-9]{2} [+-][0-9]{4}\\] \\[%d\\] \\[%s\\] %s\n$",
             (int) getpid(), pf_log_level_name(level), msg);
    ck_assert_int_eq(regcomp(&re, pat, REG_EXTENDED), 0);
    ck_assert_msg(regexec(&re, line, 0, NULL, 0) == 0, "line %s", line);
    regfree(&re);
}


START_TEST(prefix_is_gunicorn_datefmt)
{
    char  buf[128];

    tl_tz("UTC");
    pfw_errlog_prefix(buf, sizeof(buf), TL_NOW - 4, 10271, PF_LOG_INFO);
    ck_assert_str_eq(buf, "[2026-11-22 14:09:55 +0000] [10271] [INFO] ");
    /* (the stamp is cached per second, so each zone gets its own second) */
    tl_tz("EST5");
    pfw_errlog_prefix(buf, sizeof(buf), TL_NOW - 3, 1, PF_LOG_CRITICAL);
    ck_assert_str_eq(buf, "[2026-11-22 09:09:56 -0500] [1] [CRITICAL] ");
    tl_tz("IST-5:30");
    pfw_errlog_prefix(buf, sizeof(buf), TL_NOW - 2, 7, PF_LOG_WARNING);
    ck_assert_str_eq(buf, "[2026-11-22 19:39:57 +0530] [7] [WARNING] ");
    tl_tz("UTC");
    pfw_errlog_prefix(buf, sizeof(buf), 0, 1, PF_LOG_DEBUG);
    ck_assert_str_eq(buf, "[1970-01-01 00:00:00 +0000] [1] [DEBUG] ");
}
END_TEST


START_TEST(file_line_format)
{
    pfw_errlog  *el;
    char         buf[512];
    const char  *path = tl_path(dir, "error.log", 0);

    el = open_log(path, "info", 0);
    say(el, PF_LOG_INFO, "Starting gunicorn 26.1.0");
    ck_assert_int_gt(tl_slurp(path, buf, sizeof(buf)), 0);
    assert_line(buf, PF_LOG_INFO, "Starting gunicorn 26\\.1\\.0");
    pfw_errlog_close(el);
}
END_TEST


START_TEST(level_filter)
{
    static const char *const  names[] = {
        "debug", "info", "warning", "error", "critical"
    };
    pfw_errlog  *el;
    char         buf[2048];
    int          i, lv;
    size_t       lines;
    const char  *p;

    /* Each level keeps itself and what is above it. */
    for (i = 0; i < 5; i++) {
        el = open_log(tl_path(dir, names[i], 0), names[i], 0);
        for (lv = PF_LOG_DEBUG; lv <= PF_LOG_CRITICAL; lv++) {
            say(el, lv, pf_log_level_name(lv));
        }
        pfw_errlog_close(el);
        tl_slurp(tl_path(dir, names[i], 0), buf, sizeof(buf));
        for (lines = 0, p = buf; (p = strchr(p, '\n')) != NULL; p++) {
            lines++;
        }
        ck_assert_uint_eq(lines, (size_t) (5 - i));
        ck_assert_ptr_nonnull(strstr(buf, "[CRITICAL] CRITICAL\n"));
        ck_assert_int_eq(strstr(buf, "[DEBUG]") != NULL, i == 0);
    }
    ck_assert_int_eq(pfw_log_level_parse("ERROR"), PF_LOG_ERROR);
    ck_assert_int_eq(pfw_log_level_parse("Warning"), PF_LOG_WARNING);
    ck_assert_int_eq(pfw_log_level_parse("verbose"), PF_LOG_INFO);
    ck_assert_int_eq(pfw_log_level_parse("warn"), PF_LOG_INFO);
    ck_assert_int_eq(pfw_log_level_parse(NULL), PF_LOG_INFO);
}
END_TEST


START_TEST(dash_is_stderr)
{
    pfw_errlog  *el;
    char         buf[512];
    int          p[2], saved;

    ck_assert_int_eq(pipe(p), 0);
    saved = dup(2);
    dup2(p[1], 2);
    el = open_log("-", "info", 1);      /* capture ignored for "-" */
    say(el, PF_LOG_ERROR, "to stderr");
    pfw_errlog_close(el);
    el = open_log(NULL, "info", 0);
    say(el, PF_LOG_WARNING, "also");
    pfw_errlog_close(el);
    dup2(saved, 2);
    close(p[1]);
    ck_assert_int_gt(th_read_all(p[0], buf, sizeof(buf), 2000), 0);
    ck_assert_ptr_nonnull(strstr(buf, "[ERROR] to stderr\n["));
    ck_assert_ptr_nonnull(strstr(buf, "[WARNING] also\n"));
}
END_TEST


START_TEST(core_hook_routes_pf_log)
{
    pfw_errlog  *el;
    char         buf[1024];
    const char  *path = tl_path(dir, "hook.log", 0);
    int          devnull, saved;

    el = open_log(path, "warning", 0);
    pfw_errlog_install(el);
    ck_assert_int_eq(pf_log_level(), PF_LOG_WARNING);
    pf_log(PF_LOG_INFO, "dropped");
    pf_log(PF_LOG_CRITICAL, "WORKER TIMEOUT (pid:%d)", 77);
    pf_log_errno(PF_LOG_ERROR, 2, "bind(%s) failed", "x");
    pfw_errlog_close(el);
    devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
    saved = dup(2);
    dup2(devnull, 2);
    pf_log(PF_LOG_CRITICAL, "after close: default sink, not the file");
    dup2(saved, 2);
    tl_slurp(path, buf, sizeof(buf));
    ck_assert_ptr_null(strstr(buf, "dropped"));
    ck_assert_ptr_nonnull(strstr(buf,
                                 "] [CRITICAL] WORKER TIMEOUT (pid:77)\n"));
    ck_assert_ptr_nonnull(strstr(buf, "] [ERROR] bind(x) failed: "
                                      "No such file or directory\n"));
    ck_assert_ptr_null(strstr(buf, "after close"));
}
END_TEST


START_TEST(file_is_append_cloexec_0644)
{
    pfw_logfile  lf;
    struct stat  st;
    char         err[256], buf[64];
    const char  *path = tl_path(dir, "mode.log", 0);
    int          fd;

    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_eq(write(fd, "old\n", 4), 4);
    close(fd);
    unlink(tl_path(dir, "new.log", 1));
    ck_assert_int_eq(pfw_logfile_open(&lf, tl_path(dir, "new.log", 1), 2, -1,
                                      -1, err, sizeof(err)), 0);
    ck_assert_int_eq(fstat(lf.fd, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0644);
    ck_assert_int_eq(fcntl(lf.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    ck_assert_int_eq(fcntl(lf.fd, F_GETFL) & O_APPEND, O_APPEND);
    pfw_logfile_close(&lf);
    /* An existing file is appended to, never truncated. */
    ck_assert_int_eq(pfw_logfile_open(&lf, path, 2, -1, -1, err,
                                      sizeof(err)), 0);
    ck_assert_int_eq(write(lf.fd, "new\n", 4), 4);
    ck_assert_int_eq(pfw_logfile_reopen(&lf), 0);
    ck_assert_int_eq(fcntl(lf.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    pfw_logfile_close(&lf);
    tl_slurp(path, buf, sizeof(buf));
    ck_assert_str_eq(buf, "old\nnew\n");
}
END_TEST


START_TEST(unwritable_is_gunicorns_error)
{
    pfw_errlog_conf  c = { NULL, "info", 0, -1, -1 };
    char             err[256], want[512];

    c.path = "/nonexistent-pfw-dir/error.log";
    ck_assert_ptr_null(pfw_errlog_open(&c, err, sizeof(err)));
    ck_assert_str_eq(err, "Error: '/nonexistent-pfw-dir/error.log' isn't "
                          "writable [FileNotFoundError(2, 'No such file or "
                          "directory')]");
    c.path = dir;
    ck_assert_ptr_null(pfw_errlog_open(&c, err, sizeof(err)));
    snprintf(want, sizeof(want), "Error: '%s' isn't writable "
             "[IsADirectoryError(21, 'Is a directory')]", dir);
    ck_assert_str_eq(err, want);
}
END_TEST


START_TEST(reopen_after_rename)
{
    pfw_errlog  *el;
    char         old[1024], cur[1024];
    const char  *path = tl_path(dir, "error.log", 0);
    const char  *rot = tl_path(dir, "error.log.1", 1);

    el = open_log(path, "info", 0);
    say(el, PF_LOG_INFO, "one");
    ck_assert_int_eq(rename(path, rot), 0);
    say(el, PF_LOG_INFO, "two");            /* still the renamed file */
    ck_assert_int_eq(pfw_errlog_reopen(el), 0);
    say(el, PF_LOG_INFO, "three");
    pfw_errlog_close(el);
    tl_slurp(rot, old, sizeof(old));
    tl_slurp(path, cur, sizeof(cur));
    ck_assert_ptr_nonnull(strstr(old, "] [INFO] one\n"));
    ck_assert_ptr_nonnull(strstr(old, "] [INFO] two\n"));
    ck_assert_ptr_null(strstr(old, "three"));
    ck_assert_ptr_nonnull(strstr(cur, "] [INFO] three\n"));
    ck_assert_ptr_null(strstr(cur, "one"));
}
END_TEST


/* A relative path is made absolute at open (as Python's FileHandler):
 * the reopen after a chdir recreates the file where it was. */
START_TEST(reopen_after_chdir_same_place)
{
    pfw_errlog  *el;
    char         buf[512];

    ck_assert_int_eq(chdir(dir), 0);
    el = open_log("rel.log", "info", 0);
    ck_assert_int_eq(chdir("/"), 0);
    ck_assert_int_eq(rename(tl_path(dir, "rel.log", 0),
                            tl_path(dir, "rel.log.1", 1)), 0);
    ck_assert_int_eq(pfw_errlog_reopen(el), 0);
    say(el, PF_LOG_INFO, "here");
    pfw_errlog_close(el);
    ck_assert_int_gt(tl_slurp(tl_path(dir, "rel.log", 0), buf, sizeof(buf)),
                     0);
    ck_assert_ptr_nonnull(strstr(buf, "] [INFO] here\n"));
}
END_TEST


typedef struct {
    pfw_errlog  *el;
    int          n;
} writer_arg;


static void *
writer(void *p)
{
    writer_arg  *a = p;
    char         msg[64];
    int          i;

    for (i = 0; i < a->n; i++) {
        snprintf(msg, sizeof(msg), "line %06d", i);
        say(a->el, PF_LOG_INFO, msg);
    }
    return NULL;
}


static int
count_lines(const char *path, int *seen, int n)
{
    static char  buf[4 << 20];
    char        *p, *q;
    int          lines = 0, k;

    if (tl_slurp(path, buf, sizeof(buf)) < 0) {
        return 0;
    }
    for (p = buf; (q = strchr(p, '\n')) != NULL; p = q + 1) {
        *q = '\0';
        ck_assert_msg(sscanf(strstr(p, "] line ") + 7, "%d", &k) == 1,
                      "torn line: %s", p);
        ck_assert_int_lt(k, n);
        seen[k]++;
        lines++;
    }
    ck_assert_str_eq(p, "");
    return lines;
}


/* A thread keeps writing while the file is rotated five times: every line
 * lands whole in exactly one of the files. */
START_TEST(reopen_loses_no_line)
{
    enum { N = 20000, ROT = 5 };
    static int   seen[N];
    writer_arg   a;
    pthread_t    t;
    char         name[32];
    int          i, total = 0;
    const char  *path = tl_path(dir, "busy.log", 0);

    a.el = open_log(path, "info", 0);
    a.n = N;
    ck_assert_int_eq(pthread_create(&t, NULL, writer, &a), 0);
    for (i = 1; i <= ROT; i++) {
        snprintf(name, sizeof(name), "busy.log.%d", i);
        ck_assert_int_eq(rename(path, tl_path(dir, name, 1)), 0);
        ck_assert_int_eq(pfw_errlog_reopen(a.el), 0);
    }
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    pfw_errlog_close(a.el);
    for (i = 1; i <= ROT; i++) {
        snprintf(name, sizeof(name), "busy.log.%d", i);
        total += count_lines(tl_path(dir, name, 1), seen, N);
    }
    total += count_lines(path, seen, N);
    ck_assert_int_eq(total, N);
    for (i = 0; i < N; i++) {
        ck_assert_int_eq(seen[i], 1);
    }
}
END_TEST


static void
child_writes(const char *text)
{
    pid_t  pid;
    int    st;

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* Both through stdio and raw descriptors, as a worker would. */
        printf("%s stdout\n", text);
        fflush(stdout);
        if (write(2, text, strlen(text)) < 0 || write(2, " stderr\n", 8) < 0) {
            _exit(1);
        }
        _exit(0);
    }
    ck_assert_int_eq(th_wait(pid, &st, 5000), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}


START_TEST(capture_output_dup2s_file)
{
    pfw_errlog  *el;
    char         old[1024], cur[1024];
    const char  *path = tl_path(dir, "captured.log", 0);
    const char  *rot = tl_path(dir, "captured.log.1", 1);

    el = open_log(path, "info", 1);
    child_writes("first");
    say(el, PF_LOG_INFO, "logged");
    ck_assert_int_eq(rename(path, rot), 0);
    ck_assert_int_eq(pfw_errlog_reopen(el), 0);
    child_writes("second");                 /* redone on reopen */
    tl_slurp(rot, old, sizeof(old));
    tl_slurp(path, cur, sizeof(cur));
    ck_assert_ptr_nonnull(strstr(old, "first stdout\n"));
    ck_assert_ptr_nonnull(strstr(old, "first stderr\n"));
    ck_assert_ptr_nonnull(strstr(old, "] [INFO] logged\n"));
    ck_assert_str_eq(cur, "second stdout\nsecond stderr\n");
    pfw_errlog_close(el);
}
END_TEST


START_TEST(no_capture_leaves_stdout)
{
    pfw_errlog   *el;
    struct stat   before, after;

    ck_assert_int_eq(fstat(1, &before), 0);
    el = open_log(tl_path(dir, "plain.log", 0), "info", 0);
    ck_assert_int_eq(fstat(1, &after), 0);
    ck_assert(before.st_ino == after.st_ino && before.st_dev == after.st_dev);
    pfw_errlog_close(el);
}
END_TEST


Suite *
errorlog_suite(void)
{
    Suite  *s = suite_create("errorlog");
    TCase  *tc = tcase_create("errorlog");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, prefix_is_gunicorn_datefmt);
    tcase_add_test(tc, file_line_format);
    tcase_add_test(tc, level_filter);
    tcase_add_test(tc, dash_is_stderr);
    tcase_add_test(tc, core_hook_routes_pf_log);
    tcase_add_test(tc, file_is_append_cloexec_0644);
    tcase_add_test(tc, unwritable_is_gunicorns_error);
    tcase_add_test(tc, reopen_after_rename);
    tcase_add_test(tc, reopen_after_chdir_same_place);
    tcase_add_test(tc, reopen_loses_no_line);
    tcase_add_test(tc, capture_output_dup2s_file);
    tcase_add_test(tc, no_capture_leaves_stdout);
    suite_add_tcase(s, tc);
    return s;
}

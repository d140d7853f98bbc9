/*
 * Pidfiles: live-owner refusal, stale and garbage contents, atomic writes,
 * read/rename/remove only for the owner.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <prefork/daemon.h>

#include "harness.h"
#include "helpers.h"
#include "suites.h"

#define WAIT_MS  5000

static char  *dir;
static char   path[512];


static void
setup(void)
{
    th_log_capture();
    dir = th_tmpdir();
    ck_assert_ptr_nonnull(dir);
    snprintf(path, sizeof(path), "%s/app.pid", dir);
}


static void
teardown(void)
{
    th_log_release();
    th_rmrf(dir);
    free(dir);
}


static void
put(const char *file, const char *content)
{
    int     fd;
    size_t  n = strlen(content);

    fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, n), (ssize_t) n);
    close(fd);
}


static char *
get(const char *file)
{
    static char  buf[256];
    int          fd;
    ssize_t      n;

    fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return NULL;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}


static char *
pid_line(pid_t pid)
{
    static char  buf[32];

    snprintf(buf, sizeof(buf), "%d\n", (int) pid);
    return buf;
}


/* Entries in the test directory: a leftover temporary file shows up. */
static int
entries(void)
{
    DIR            *d = opendir(dir);
    struct dirent  *e;
    int             n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
        }
    }
    closedir(d);
    return n;
}


/* A pid that surely names no process: a child that has been reaped. */
static pid_t
dead_pid(void)
{
    pid_t  pid = fork();
    int    st;

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        _exit(0);
    }
    ck_assert_int_eq(th_wait(pid, &st, WAIT_MS), pid);
    return pid;
}


START_TEST(create_writes_pid)
{
    struct stat  st;
    int          before = th_count_fds(0);

    umask(077);
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), 0);
    ck_assert_str_eq(get(path), pid_line(getpid()));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0644);
    ck_assert_int_eq(entries(), 1);
    ck_assert_int_eq(th_count_fds(0), before);
    ck_assert_int_eq(pf_pidfile_read(path), getpid());
}
END_TEST


START_TEST(create_refuses_live_owner)
{
    pid_t  other = 0, parent = getppid();

    /* The Check runner that forked this test is alive and not us. */
    put(path, pid_line(parent));
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), &other), -1);
    ck_assert_int_eq(errno, EEXIST);
    ck_assert_int_eq(other, parent);
    ck_assert_str_eq(get(path), pid_line(parent));
    ck_assert_int_eq(entries(), 1);
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), -1);
    ck_assert_int_eq(errno, EEXIST);
}
END_TEST


START_TEST(create_refuses_live_child)
{
    pid_t  child, other = 0;
    int    p[2], st;
    char   c;

    /* A child blocked on a pipe until we close it: alive for sure. */
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        close(p[1]);
        _exit(read(p[0], &c, 1) == 0 ? 0 : 1);
    }
    close(p[0]);
    put(path, pid_line(child));
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), &other), -1);
    ck_assert_int_eq(errno, EEXIST);
    ck_assert_int_eq(other, child);
    ck_assert_int_eq(pf_pidfile_read(path), child);

    /* Our own pid in the file is no conflict. */
    ck_assert_int_eq(pf_pidfile_create(path, child, NULL), 0);

    close(p[1]);
    ck_assert_int_eq(th_wait(child, &st, WAIT_MS), child);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* Now dead: the same file is stale. */
    ck_assert_int_eq(pf_pidfile_read(path), 0);
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), 0);
    ck_assert_str_eq(get(path), pid_line(getpid()));
}
END_TEST


START_TEST(create_overwrites_stale)
{
    pid_t  dead = dead_pid(), other = 0;

    put(path, pid_line(dead));
    ck_assert_int_eq(pf_pidfile_read(path), 0);
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), &other), 0);
    ck_assert_int_eq(other, 0);
    ck_assert_str_eq(get(path), pid_line(getpid()));
    ck_assert_int_eq(entries(), 1);
}
END_TEST


static const char *const garbage[] = {
    "", "\n", "hello\n", "12abc\n", "-5\n", "0\n", "99999999999\n",
    "1 2\n", "0x10\n",
    "123456789012345678901234567890123456789012345678901234567890\n",
};


START_TEST(create_overwrites_garbage)
{
    put(path, garbage[_i]);
    ck_assert_int_eq(pf_pidfile_read(path), 0);
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), 0);
    ck_assert_str_eq(get(path), pid_line(getpid()));
    ck_assert_int_eq(entries(), 1);
}
END_TEST


START_TEST(blanks_around_pid)
{
    char  buf[64];

    /* gunicorn reads with int(): surrounding blanks still name the pid. */
    snprintf(buf, sizeof(buf), "  %d \n\n", (int) getppid());
    put(path, buf);
    ck_assert_int_eq(pf_pidfile_read(path), getppid());
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), -1);
    ck_assert_int_eq(errno, EEXIST);
}
END_TEST


START_TEST(create_missing_dir)
{
    int  before = th_count_fds(0);

    snprintf(path, sizeof(path), "%s/missing/app.pid", dir);
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_msg(strstr(th_logged(), "mkstemp(") != NULL, "%s", th_logged());
    ck_assert_int_eq(entries(), 0);
    ck_assert_int_eq(th_count_fds(0), before);
}
END_TEST


START_TEST(create_failure_leaves_nothing)
{
    struct rlimit  rl = { 0, 0 }, saved;
    int            before = th_count_fds(0), rc, e;

    /* The write fails (EFBIG) after the temporary file exists: it must
     * be gone, and the old pidfile untouched. */
    put(path, "garbage\n");
    signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved), 0);
    rl = saved;
    rl.rlim_cur = 0;
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    rc = pf_pidfile_create(path, getpid(), NULL);
    e = errno;
    /* Check itself may write files: lift the limit before asserting. */
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved), 0);
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(e, EFBIG);
    ck_assert_msg(strstr(th_logged(), "write(") != NULL, "%s", th_logged());
    ck_assert_int_eq(entries(), 1);
    ck_assert_str_eq(get(path), "garbage\n");
    ck_assert_int_eq(th_count_fds(0), before);
}
END_TEST


START_TEST(create_relative_path)
{
    ck_assert_int_eq(chdir(dir), 0);
    ck_assert_int_eq(pf_pidfile_create("rel.pid", getpid(), NULL), 0);
    ck_assert_str_eq(get("rel.pid"), pid_line(getpid()));
    ck_assert_int_eq(entries(), 1);
}
END_TEST


START_TEST(create_not_regular)
{
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), -1);
    ck_assert_int_eq(errno, EISDIR);
    ck_assert_int_eq(entries(), 1);
    ck_assert_int_eq(pf_pidfile_create(path, 0, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST


START_TEST(read_missing)
{
    ck_assert_int_eq(pf_pidfile_read(path), -1);
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST


START_TEST(rename_only_ours)
{
    char  to[600];

    snprintf(to, sizeof(to), "%s.2", path);
    put(path, pid_line(getppid()));
    ck_assert_int_eq(pf_pidfile_rename(path, to, getpid()), -1);
    ck_assert_int_eq(errno, ESRCH);
    ck_assert_ptr_nonnull(get(path));
    ck_assert_ptr_null(get(to));

    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), -1);
    put(path, pid_line(getpid()));
    ck_assert_int_eq(pf_pidfile_rename(path, to, getpid()), 0);
    ck_assert_ptr_null(get(path));
    ck_assert_str_eq(get(to), pid_line(getpid()));

    ck_assert_int_eq(pf_pidfile_rename(path, to, getpid()), -1);
    ck_assert_int_eq(errno, ENOENT);
}
END_TEST


START_TEST(remove_only_ours)
{
    put(path, pid_line(getppid()));
    errno = 1234;
    pf_pidfile_remove(path, getpid());
    ck_assert_int_eq(errno, 1234);
    ck_assert_str_eq(get(path), pid_line(getppid()));

    put(path, "garbage\n");
    pf_pidfile_remove(path, getpid());
    ck_assert_ptr_nonnull(get(path));

    put(path, pid_line(getpid()));
    pf_pidfile_remove(path, getpid());
    ck_assert_ptr_null(get(path));
    ck_assert_int_eq(entries(), 0);

    errno = 1234;
    pf_pidfile_remove(path, getpid());     /* missing: ignored */
    ck_assert_int_eq(errno, 1234);
}
END_TEST


Suite *
pidfile_suite(void)
{
    Suite  *s = suite_create("pidfile");
    TCase  *tc;

    tc = tcase_create("create");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, create_writes_pid);
    tcase_add_test(tc, create_refuses_live_owner);
    tcase_add_test(tc, create_refuses_live_child);
    tcase_add_test(tc, create_overwrites_stale);
    tcase_add_loop_test(tc, create_overwrites_garbage, 0,
                        (int) (sizeof(garbage) / sizeof(garbage[0])));
    tcase_add_test(tc, blanks_around_pid);
    tcase_add_test(tc, create_missing_dir);
    tcase_add_test(tc, create_failure_leaves_nothing);
    tcase_add_test(tc, create_relative_path);
    tcase_add_test(tc, create_not_regular);
    suite_add_tcase(s, tc);

    tc = tcase_create("owner");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, read_missing);
    tcase_add_test(tc, rename_only_ours);
    tcase_add_test(tc, remove_only_ours);
    suite_add_tcase(s, tc);
    return s;
}

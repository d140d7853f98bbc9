/*
 * pf_listen_inherited(): systemd's LISTEN_PID/LISTEN_FDS and <PREFIX>_FD.
 *
 * systemd's fds start at 3, where the test process may hold Check's own
 * files, so those cases run in a forked child that owns its fd table and
 * reports through a pipe (never ck_assert there).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <prefork/sockets.h>

#include "harness.h"
#include "helpers.h"
#include "suites.h"

#define WAIT_MS  5000

/* What a child saw; fixed layout, written in one piece. */
typedef struct {
    int   rc;
    int   err;
    int   fds[4];
    int   from_sd;
    int   nonblock[2];      /* O_NONBLOCK on fd 3, 4 afterwards */
    int   cloexec[2];
    char  listen_pid[32];   /* "" when unset */
    char  listen_fds[32];
    char  listen_fdnames[32];
    char  prefork_fd[32];
} report;


static void
setup(void)
{
    th_log_capture();
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    unsetenv("PREFORK_FD");
    unsetenv("GUNICORN_FD");
}


static void
teardown(void)
{
    th_log_release();
}


/* A blocking, inheritable TCP listener, as a parent would hand over. */
static int
raw_listener(void)
{
    struct sockaddr_in  sin;
    int                 s;

    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s == -1) {
        return -1;
    }
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *) &sin, sizeof(sin)) == -1
        || listen(s, 4) == -1)
    {
        close(s);
        return -1;
    }
    return s;
}


static void
env_copy(char *dst, size_t n, const char *name)
{
    const char  *v = getenv(name);

    snprintf(dst, n, "%s", v != NULL ? v : "");
}


typedef enum {
    SD_OURS,          /* LISTEN_PID = our pid, LISTEN_FDS = 2 */
    SD_OTHER_PID,     /* LISTEN_PID = the parent's pid */
    SD_ZERO_FDS,      /* LISTEN_FDS = 0 */
    SD_NOT_SOCKET     /* fd 4 is a pipe */
} sd_case;


/* In the child: fds 3 and 4 become listeners, the environment is set,
 * pf_listen_inherited() runs and everything observable is reported. */
static int
sd_child(sd_case which, int out)
{
    report  r;
    char    pid[32];
    int     a, b, p[2];

    memset(&r, 0, sizeof(r));
    if ((a = raw_listener()) == -1 || (b = raw_listener()) == -1) {
        return 10;
    }
    /* Keep the report pipe out of the way of 3 and 4. */
    if ((out = fcntl(out, F_DUPFD_CLOEXEC, 10)) == -1
        || dup2(a, 3) == -1 || dup2(b, 4) == -1)
    {
        return 11;
    }
    if (which == SD_NOT_SOCKET) {
        if (pipe(p) == -1 || dup2(p[0], 4) == -1) {
            return 12;
        }
    }
    snprintf(pid, sizeof(pid), "%d",
             (int) (which == SD_OTHER_PID ? getppid() : getpid()));
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", which == SD_ZERO_FDS ? "0" : "2", 1);
    setenv("LISTEN_FDNAMES", "a:b", 1);
    setenv("PREFORK_FD", "3", 1);

    r.from_sd = -1;
    r.rc = pf_listen_inherited(r.fds, 4, NULL, &r.from_sd);
    r.err = errno;
    r.nonblock[0] = (fcntl(3, F_GETFL) & O_NONBLOCK) != 0;
    r.nonblock[1] = (fcntl(4, F_GETFL) & O_NONBLOCK) != 0;
    r.cloexec[0] = (fcntl(3, F_GETFD) & FD_CLOEXEC) != 0;
    r.cloexec[1] = (fcntl(4, F_GETFD) & FD_CLOEXEC) != 0;
    env_copy(r.listen_pid, sizeof(r.listen_pid), "LISTEN_PID");
    env_copy(r.listen_fds, sizeof(r.listen_fds), "LISTEN_FDS");
    env_copy(r.listen_fdnames, sizeof(r.listen_fdnames), "LISTEN_FDNAMES");
    env_copy(r.prefork_fd, sizeof(r.prefork_fd), "PREFORK_FD");
    if (write(out, &r, sizeof(r)) != (ssize_t) sizeof(r)) {
        return 13;
    }
    return 0;
}


static void
run_sd(sd_case which, report *r)
{
    int    p[2], st;
    pid_t  pid;

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        _exit(sd_child(which, p[1]));
    }
    close(p[1]);
    ck_assert_int_eq(th_read_n(p[0], r, sizeof(*r), WAIT_MS),
                     (ssize_t) sizeof(*r));
    ck_assert_int_eq(th_wait(pid, &st, WAIT_MS), pid);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(p[0]);
}


START_TEST(systemd_fds)
{
    report  r;

    run_sd(SD_OURS, &r);
    ck_assert_int_eq(r.rc, 2);
    ck_assert_int_eq(r.fds[0], 3);
    ck_assert_int_eq(r.fds[1], 4);
    ck_assert_int_eq(r.from_sd, 1);
    ck_assert(r.nonblock[0] && r.nonblock[1]);
    ck_assert(r.cloexec[0] && r.cloexec[1]);
    ck_assert_str_eq(r.listen_pid, "");
    ck_assert_str_eq(r.listen_fds, "");
    ck_assert_str_eq(r.listen_fdnames, "");
    /* systemd wins; the other variable is not ours to consume. */
    ck_assert_str_eq(r.prefork_fd, "3");
}
END_TEST


START_TEST(systemd_other_pid)
{
    report  r;

    run_sd(SD_OTHER_PID, &r);
    /* Not for us: ignored and left alone, PREFORK_FD is used instead. */
    ck_assert_int_eq(r.from_sd, 0);
    ck_assert_int_eq(r.rc, 1);
    ck_assert_int_eq(r.fds[0], 3);
    ck_assert_str_ne(r.listen_pid, "");
    ck_assert_str_eq(r.listen_fds, "2");
    ck_assert_str_eq(r.listen_fdnames, "a:b");
    ck_assert_str_eq(r.prefork_fd, "");
    ck_assert(r.nonblock[0] && !r.nonblock[1]);
}
END_TEST


START_TEST(systemd_zero)
{
    report  r;

    run_sd(SD_ZERO_FDS, &r);
    ck_assert_int_eq(r.rc, 0);
    ck_assert_int_eq(r.from_sd, 1);
    ck_assert_str_eq(r.listen_pid, "");
    ck_assert_str_eq(r.listen_fds, "");
    ck_assert(!r.nonblock[0] && !r.nonblock[1]);
}
END_TEST


START_TEST(systemd_not_socket)
{
    report  r;

    run_sd(SD_NOT_SOCKET, &r);
    ck_assert_int_eq(r.rc, -1);
    ck_assert_int_eq(r.err, EINVAL);
    ck_assert_int_eq(r.from_sd, 0);
    /* Checked before anything changed. */
    ck_assert_str_ne(r.listen_pid, "");
    ck_assert_str_eq(r.listen_fds, "2");
    ck_assert(!r.nonblock[0]);
}
END_TEST


START_TEST(systemd_not_ours_returns_zero)
{
    char  pid[32];
    int   fds[4], sd = -1;

    snprintf(pid, sizeof(pid), "%d", (int) getppid());
    setenv("LISTEN_PID", pid, 1);
    setenv("LISTEN_FDS", "1", 1);
    ck_assert_int_eq(pf_listen_inherited(fds, 4, NULL, &sd), 0);
    ck_assert_int_eq(sd, 0);
    ck_assert_str_eq(getenv("LISTEN_PID"), pid);
    ck_assert_str_eq(getenv("LISTEN_FDS"), "1");
}
END_TEST


START_TEST(prefix_default)
{
    char  v[64];
    int   a, b, fds[4], sd = -1;

    a = raw_listener();
    b = raw_listener();
    ck_assert(a >= 0 && b >= 0);
    snprintf(v, sizeof(v), "%d,%d", a, b);
    setenv("PREFORK_FD", v, 1);
    setenv("GUNICORN_FD", "999", 1);
    ck_assert_int_eq(pf_listen_inherited(fds, 4, NULL, &sd), 2);
    ck_assert_int_eq(sd, 0);
    ck_assert_int_eq(fds[0], a);
    ck_assert_int_eq(fds[1], b);
    ck_assert(fcntl(a, F_GETFL) & O_NONBLOCK);
    ck_assert(fcntl(b, F_GETFD) & FD_CLOEXEC);
    ck_assert_ptr_null(getenv("PREFORK_FD"));
    ck_assert_str_eq(getenv("GUNICORN_FD"), "999");
    /* Consumed: a second call finds nothing. */
    ck_assert_int_eq(pf_listen_inherited(fds, 4, NULL, NULL), 0);
    close(a);
    close(b);
}
END_TEST


START_TEST(prefix_gunicorn)
{
    char  v[64];
    int   a, fds[1], sd = -1;

    a = raw_listener();
    ck_assert_int_ge(a, 0);
    snprintf(v, sizeof(v), "%d", a);
    setenv("GUNICORN_FD", v, 1);
    setenv("PREFORK_FD", "999", 1);
    ck_assert_int_eq(pf_listen_inherited(fds, 1, "GUNICORN", &sd), 1);
    ck_assert_int_eq(sd, 0);
    ck_assert_int_eq(fds[0], a);
    ck_assert_ptr_null(getenv("GUNICORN_FD"));
    ck_assert_str_eq(getenv("PREFORK_FD"), "999");
    close(a);
}
END_TEST


START_TEST(nothing_inherited)
{
    int  fds[2], sd = -1;

    ck_assert_int_eq(pf_listen_inherited(fds, 2, NULL, &sd), 0);
    ck_assert_int_eq(sd, 0);
    ck_assert_int_eq(pf_listen_inherited(NULL, 0, NULL, NULL), 0);
    setenv("PREFORK_FD", "", 1);
    ck_assert_int_eq(pf_listen_inherited(fds, 2, NULL, NULL), 0);
    ck_assert_ptr_null(getenv("PREFORK_FD"));
    ck_assert_int_eq(pf_listen_inherited(fds, -1, NULL, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(pf_listen_inherited(NULL, 1, NULL, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST


static const struct {
    const char  *var;
    const char  *value;
    const char  *logged;
} malformed[] = {
    { "LISTEN_PID", "12x",   "LISTEN_PID='12x' is not a valid pid" },
    { "LISTEN_PID", "",      "LISTEN_PID='' is not a valid pid" },
    { "LISTEN_PID", "-1",    "LISTEN_PID='-1' is not a valid pid" },
    { "LISTEN_PID", "0",     "LISTEN_PID='0' is not a valid pid" },
    { "LISTEN_PID", "99999999999", "LISTEN_PID='99999999999'" },
    { "LISTEN_FDS", "x",     "LISTEN_FDS='x' is not a valid fd count" },
    { "LISTEN_FDS", "",      "LISTEN_FDS='' is not a valid fd count" },
    { "LISTEN_FDS", "-2",    "LISTEN_FDS='-2' is not a valid fd count" },
    { "LISTEN_FDS", "1 ",    "LISTEN_FDS='1 ' is not a valid fd count" },
    { "PREFORK_FD", "3,",    "PREFORK_FD='3,' is not a valid fd list" },
    { "PREFORK_FD", ",3",    "PREFORK_FD=',3' is not a valid fd list" },
    { "PREFORK_FD", "3,,4",  "PREFORK_FD='3,,4' is not a valid fd list" },
    { "PREFORK_FD", " 3",    "PREFORK_FD=' 3' is not a valid fd list" },
    { "PREFORK_FD", "3;4",   "PREFORK_FD='3;4' is not a valid fd list" },
    { "PREFORK_FD", "-3",    "PREFORK_FD='-3' is not a valid fd list" },
    { "PREFORK_FD", "x",     "PREFORK_FD='x' is not a valid fd list" },
    { "PREFORK_FD", "9999999999", "PREFORK_FD='9999999999'" },
    { "PREFORK_FD", "5,5",   "PREFORK_FD='5,5' names fd 5 twice" },
};


START_TEST(malformed_values)
{
    char  pid[32];
    int   fds[4];

    /* LISTEN_FDS is only read when LISTEN_PID names us. */
    if (strcmp(malformed[_i].var, "LISTEN_FDS") == 0) {
        snprintf(pid, sizeof(pid), "%d", (int) getpid());
        setenv("LISTEN_PID", pid, 1);
    }
    setenv(malformed[_i].var, malformed[_i].value, 1);
    ck_assert_int_eq(pf_listen_inherited(fds, 4, NULL, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_msg(strstr(th_logged(), malformed[_i].logged) != NULL,
                  "%s='%s' logged: %s", malformed[_i].var,
                  malformed[_i].value, th_logged());
    /* A failure leaves the variable for whoever looks next. */
    ck_assert_str_eq(getenv(malformed[_i].var), malformed[_i].value);
}
END_TEST


START_TEST(prefix_not_socket)
{
    char  v[64];
    int   a, p[2], fds[4];

    a = raw_listener();
    ck_assert_int_ge(a, 0);
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    snprintf(v, sizeof(v), "%d,%d", a, p[0]);
    setenv("PREFORK_FD", v, 1);
    ck_assert_int_eq(pf_listen_inherited(fds, 4, NULL, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    snprintf(v, sizeof(v), "PREFORK_FD: fd %d is not a socket", p[0]);
    ck_assert_msg(strstr(th_logged(), v) != NULL, "%s", th_logged());
    ck_assert_int_eq(fcntl(a, F_GETFL) & O_NONBLOCK, 0);   /* untouched */
    ck_assert_ptr_nonnull(getenv("PREFORK_FD"));

    /* A closed fd is as bad. */
    close(p[1]);
    snprintf(v, sizeof(v), "%d", p[1]);
    setenv("PREFORK_FD", v, 1);
    th_log_clear();
    ck_assert_int_eq(pf_listen_inherited(fds, 4, NULL, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_msg(strstr(th_logged(), "PREFORK_FD: fstat(") != NULL, "%s",
                  th_logged());
    close(a);
    close(p[0]);
}
END_TEST


START_TEST(too_many)
{
    char  v[64];
    int   a, b, fds[1];

    a = raw_listener();
    b = raw_listener();
    ck_assert(a >= 0 && b >= 0);
    snprintf(v, sizeof(v), "%d,%d", a, b);
    setenv("PREFORK_FD", v, 1);
    ck_assert_int_eq(pf_listen_inherited(fds, 1, NULL, NULL), -1);
    ck_assert_int_eq(errno, E2BIG);
    ck_assert_str_eq(getenv("PREFORK_FD"), v);
    ck_assert_int_eq(fcntl(a, F_GETFL) & O_NONBLOCK, 0);
    close(a);
    close(b);
}
END_TEST


Suite *
inherit_suite(void)
{
    Suite  *s = suite_create("inherit");
    TCase  *tc;

    tc = tcase_create("systemd");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, systemd_fds);
    tcase_add_test(tc, systemd_other_pid);
    tcase_add_test(tc, systemd_zero);
    tcase_add_test(tc, systemd_not_socket);
    tcase_add_test(tc, systemd_not_ours_returns_zero);
    suite_add_tcase(s, tc);

    tc = tcase_create("prefix");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, prefix_default);
    tcase_add_test(tc, prefix_gunicorn);
    tcase_add_test(tc, nothing_inherited);
    tcase_add_loop_test(tc, malformed_values, 0,
                        (int) (sizeof(malformed) / sizeof(malformed[0])));
    tcase_add_test(tc, prefix_not_socket);
    tcase_add_test(tc, too_many);
    suite_add_tcase(s, tc);
    return s;
}

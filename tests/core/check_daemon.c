/*
 * pf_daemonize() and pf_daemon_ready().
 *
 * Exit tests (architecture.md section 5, rule 4): the test process T becomes
 * a child subreaper, forks O ("the original"), which daemonizes.  The
 * daemon D reports what it sees through a pipe, signals (or not) its
 * readiness, then waits for T to close a "go" pipe and exits on its own;
 * T reaps O, then D, which the subreaper flag made T's child.  T exits
 * with O's status, which the exit test compares.  Nothing is asserted in
 * O or D.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <prefork/daemon.h>

#include "harness.h"
#include "helpers.h"
#include "suites.h"

#define WAIT_MS  5000

typedef enum {
    READY_0,        /* ready with 0, stdout a pipe, keep_stdio = 0 */
    READY_7,        /* ready with 7 */
    NO_READY,       /* the daemon exits without a word */
    KEEP_STDIO,     /* keep_stdio = 1: stdout a pipe, stderr a tty */
    KEEP_CLOSED     /* keep_stdio = 1, stdout closed beforehand */
} mode;

typedef struct {
    int  pid, sid, pgid;
    int  mask;
    int  null[3];        /* fd 0, 1, 2 is /dev/null */
    int  cloexec[3];     /* ... and would be closed by execve() */
    int  out_fifo;       /* fd 1 is a pipe */
    int  ready_cloexec;
} dreport;


static int
is_null(int fd)
{
    struct stat  a, b;

    return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0
           && S_ISCHR(a.st_mode) && a.st_rdev == b.st_rdev;
}


/* Runs in the daemon: report, signal readiness, wait for T, exit. */
static void
daemon_body(mode m, int ready, int info, int go)
{
    dreport  r;
    int      fd, rc = -2;
    char     c;

    memset(&r, 0, sizeof(r));
    r.pid = (int) getpid();
    r.sid = (int) getsid(0);
    r.pgid = (int) getpgid(0);
    r.mask = (int) umask(0);
    umask((mode_t) r.mask);
    for (fd = 0; fd < 3; fd++) {
        r.null[fd] = is_null(fd);
        r.cloexec[fd] = (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
    }
    {
        struct stat st;

        r.out_fifo = fstat(1, &st) == 0 && S_ISFIFO(st.st_mode);
    }
    r.ready_cloexec = (fcntl(ready, F_GETFD) & FD_CLOEXEC) != 0;
    if (write(info, &r, sizeof(r)) != (ssize_t) sizeof(r)) {
        _exit(2);
    }
    if (m == KEEP_STDIO && write(1, "hello\n", 6) != 6) {
        _exit(3);
    }
    if (m == NO_READY) {
        _exit(0);
    }
    rc = pf_daemon_ready(ready, m == READY_7 ? 7 : 0);
    if (write(info, &rc, sizeof(rc)) != (ssize_t) sizeof(rc)) {
        _exit(4);
    }
    while (read(go, &c, 1) == -1 && errno == EINTR) {
        /* until T closes it */
    }
    _exit(0);
}


/* Runs in O: arrange stdio, daemonize.  Returns only on failure. */
static int
original(mode m, int info, int go, int out)
{
    int   ready = -1, keep = m == KEEP_STDIO || m == KEEP_CLOSED, tty;
    char  *name;

    umask(077);
    if (dup2(out, 1) == -1) {
        return 90;
    }
    if (m == KEEP_STDIO) {
        tty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (tty == -1 || grantpt(tty) == -1 || unlockpt(tty) == -1
            || (name = ptsname(tty)) == NULL)
        {
            return 91;
        }
        if ((tty = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1
            || dup2(tty, 2) == -1 || !isatty(2))
        {
            return 92;
        }
    }
    if (m == KEEP_CLOSED) {
        /* stderr: a known pipe, whatever the runner's stderr is.  Two
         * free stdio slots: the ready channel must not take one. */
        if (dup2(out, 2) == -1) {
            return 95;
        }
        close(0);
        close(1);
    }
    if (pf_daemonize(keep, &ready) == -1) {
        return 93;
    }
    daemon_body(m, ready, info, go);
    return 94;
}


/* T's side.  Returns O's exit status after checking everything else. */
static int
run(mode m)
{
    dreport  r;
    int      info[2], go[2], out[2], st, rc = -1;
    pid_t    o, got;
    char     buf[16];

    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
    ck_assert_int_eq(pipe2(info, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    o = fork();
    ck_assert_int_ge(o, 0);
    if (o == 0) {
        close(info[0]);
        close(go[1]);
        close(out[0]);
        _exit(original(m, info[1], go[0], out[1]));
    }
    close(info[1]);
    close(go[0]);
    close(out[1]);

    ck_assert_int_eq(th_read_n(info[0], &r, sizeof(r), WAIT_MS),
                     (ssize_t) sizeof(r));
    ck_assert_int_ne(r.pid, o);
    ck_assert_int_ne(r.pid, getpid());
    /* A new session whose leader (the intermediate child) is gone: the
     * daemon is not a session leader, so it cannot get a terminal back. */
    ck_assert_int_ne(r.sid, getsid(0));
    ck_assert_int_ne(r.sid, r.pid);
    ck_assert_int_ne(r.sid, o);
    ck_assert_int_eq(r.pgid, r.sid);
    ck_assert_int_eq(r.mask, 022);
    ck_assert_int_eq(r.null[0], 1);
    ck_assert(r.ready_cloexec);
    /* stdio survives an exec (the USR2 re-exec) */
    ck_assert(!r.cloexec[0] && !r.cloexec[1] && !r.cloexec[2]);

    switch (m) {
    case KEEP_STDIO:
        ck_assert_int_eq(r.null[1], 0);
        ck_assert(r.out_fifo);
        ck_assert_int_eq(r.null[2], 1);                  /* was a tty */
        ck_assert_int_eq(th_read_n(out[0], buf, 6, WAIT_MS), 6);
        ck_assert_int_eq(memcmp(buf, "hello\n", 6), 0);
        break;
    case KEEP_CLOSED:
        ck_assert_int_eq(r.null[1], 1);                  /* was closed */
        ck_assert_int_eq(r.null[2], 0);                  /* a pipe: kept */
        break;
    default:
        ck_assert_int_eq(r.null[1], 1);                  /* was a pipe */
        ck_assert_int_eq(r.null[2], 1);
    }

    if (m == NO_READY) {
        ck_assert_int_eq(th_wait(o, &st, WAIT_MS), o);
    } else {
        ck_assert_int_eq(th_read_n(info[0], &rc, sizeof(rc), WAIT_MS),
                         (ssize_t) sizeof(rc));
        ck_assert_int_eq(rc, 0);
        ck_assert_int_eq(th_wait(o, &st, WAIT_MS), o);
        /* O is gone, D still runs, in its own session. */
        ck_assert_int_eq(getsid(r.pid), r.sid);
    }
    close(go[1]);
    ck_assert_int_eq(th_wait(r.pid, NULL, WAIT_MS), r.pid);

    /* Nobody left behind: the intermediate child was reaped by O. */
    got = waitpid(-1, NULL, WNOHANG);
    ck_assert_int_eq(got, -1);
    ck_assert_int_eq(errno, ECHILD);
    close(info[0]);
    close(out[0]);

    ck_assert_msg(WIFEXITED(st), "original: status %#x", st);
    return WEXITSTATUS(st);
}


START_TEST(ready_zero)
{
    exit(run(READY_0));
}
END_TEST


START_TEST(ready_seven)
{
    exit(run(READY_7));
}
END_TEST


START_TEST(dies_before_ready)
{
    exit(run(NO_READY));
}
END_TEST


START_TEST(keep_stdio)
{
    exit(run(KEEP_STDIO));
}
END_TEST


START_TEST(keep_stdio_closed)
{
    exit(run(KEEP_CLOSED));
}
END_TEST


START_TEST(daemonize_needs_ready_fd)
{
    ck_assert_int_eq(pf_daemonize(0, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST


START_TEST(ready_peer_gone)
{
    int  sv[2];

    /* The starter was killed: EPIPE, and no SIGPIPE kills the daemon. */
    th_log_capture();
    signal(SIGPIPE, SIG_DFL);
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    close(sv[1]);
    ck_assert_int_eq(pf_daemon_ready(sv[0], 0), -1);
    ck_assert_int_eq(errno, EPIPE);
    ck_assert_int_eq(fcntl(sv[0], F_GETFD), -1);        /* closed anyway */
    ck_assert_msg(strstr(th_logged(), "send(ready fd") != NULL, "%s",
                  th_logged());
}
END_TEST


START_TEST(ready_pipe_and_status_byte)
{
    unsigned char  c = 0;
    int            p[2];

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(pf_daemon_ready(p[1], 256 + 7), 0);
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    ck_assert_int_eq(c, 7);
    ck_assert_int_eq(fcntl(p[1], F_GETFD), -1);
    ck_assert_int_eq(read(p[0], &c, 1), 0);              /* EOF */
    ck_assert_int_eq(pf_daemon_ready(-1, 0), 0);
    close(p[0]);
}
END_TEST


Suite *
daemon_suite(void)
{
    Suite  *s = suite_create("daemon");
    TCase  *tc;

    tc = tcase_create("daemonize");
    tcase_set_timeout(tc, 15);
    tcase_add_exit_test(tc, ready_zero, 0);
    tcase_add_exit_test(tc, ready_seven, 7);
    tcase_add_exit_test(tc, dies_before_ready, 1);
    tcase_add_exit_test(tc, keep_stdio, 0);
    tcase_add_exit_test(tc, keep_stdio_closed, 0);
    tcase_add_test(tc, daemonize_needs_ready_fd);
    suite_add_tcase(s, tc);

    tc = tcase_create("ready");
    tcase_add_test(tc, ready_peer_gone);
    tcase_add_test(tc, ready_pipe_and_status_byte);
    suite_add_tcase(s, tc);
    return s;
}

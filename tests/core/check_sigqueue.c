/* The self-pipe signal queue. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <prefork/sigqueue.h>

#include "helpers.h"
#include "suites.h"


START_TEST(raise_then_next)
{
    ck_assert_int_ge(pf_sigqueue_init(), 0);
    ck_assert_int_eq(pf_sigqueue_trap(SIGUSR1), 0);
    ck_assert_int_eq(pf_sigqueue_trap(SIGHUP), 0);
    ck_assert_int_eq(pf_sigqueue_next(), 0);            /* empty */
    raise(SIGUSR1);
    raise(SIGHUP);
    ck_assert_int_eq(th_readable(pf_sigqueue_fd(), 1000), 1);
    ck_assert_int_eq(pf_sigqueue_next(), SIGUSR1);
    ck_assert_int_eq(pf_sigqueue_next(), SIGHUP);
    ck_assert_int_eq(pf_sigqueue_next(), 0);
}
END_TEST


START_TEST(pipe_flags)
{
    int  fd = pf_sigqueue_init();

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pf_sigqueue_init(), fd);           /* idempotent */
    ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}
END_TEST


START_TEST(handler_flags)
{
    struct sigaction  sa;

    ck_assert_int_ge(pf_sigqueue_init(), 0);
    ck_assert_int_eq(pf_sigqueue_trap(SIGCHLD), 0);
    ck_assert_int_eq(pf_sigqueue_trap(SIGTERM), 0);
    sigaction(SIGCHLD, NULL, &sa);
    ck_assert(sa.sa_flags & SA_RESTART);
    ck_assert(sa.sa_flags & SA_NOCLDSTOP);
    sigaction(SIGTERM, NULL, &sa);
    ck_assert(sa.sa_flags & SA_RESTART);
    ck_assert(!(sa.sa_flags & SA_NOCLDSTOP));
}
END_TEST


START_TEST(trap_errors)
{
    ck_assert_int_eq(pf_sigqueue_trap(SIGUSR1), -1);    /* not initialised */
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_ge(pf_sigqueue_init(), 0);
    ck_assert_int_eq(pf_sigqueue_trap(0), -1);
    ck_assert_int_eq(pf_sigqueue_trap(NSIG + 5), -1);
    ck_assert_int_eq(pf_sigqueue_trap(SIGKILL), -1);   /* sigaction refuses */
}
END_TEST


START_TEST(errno_preserved_across_handler)
{
    ck_assert_int_ge(pf_sigqueue_init(), 0);
    ck_assert_int_eq(pf_sigqueue_trap(SIGUSR2), 0);
    errno = ERANGE;
    raise(SIGUSR2);
    ck_assert_int_eq(errno, ERANGE);
    ck_assert_int_eq(pf_sigqueue_next(), SIGUSR2);
}
END_TEST


START_TEST(full_pipe_coalesces_without_blocking)
{
    long long  start;
    int        i, n = 0, sig;

    ck_assert_int_ge(pf_sigqueue_init(), 0);
    ck_assert_int_eq(pf_sigqueue_trap(SIGUSR1), 0);
    /* Far more than a pipe holds (64 KiB on Linux): a blocking handler
     * would hang here and the test would time out. */
    start = th_now_ms();
    for (i = 0; i < 70000; i++) {
        raise(SIGUSR1);
    }
    ck_assert_int_lt(th_now_ms() - start, 20000);
    while ((sig = pf_sigqueue_next()) > 0) {
        ck_assert_int_eq(sig, SIGUSR1);
        n++;
    }
    ck_assert_int_eq(sig, 0);
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 70000);            /* some coalesced */
    raise(SIGUSR1);                        /* and the queue still works */
    ck_assert_int_eq(pf_sigqueue_next(), SIGUSR1);
}
END_TEST


START_TEST(wakeup_without_signal)
{
    int  fd = pf_sigqueue_init();

    ck_assert_int_eq(th_readable(fd, 0), 0);
    pf_sigqueue_wakeup();
    ck_assert_int_eq(th_readable(fd, 1000), 1);
    ck_assert_int_eq(pf_sigqueue_next(), 0);            /* consumed silently */
    ck_assert_int_eq(th_readable(fd, 0), 0);
}
END_TEST


/* After fork, the child finishes its copy: its handlers are SIG_DFL again,
 * and the parent's queue keeps working. */
START_TEST(finish_in_child_is_independent)
{
    pid_t             pid;
    int               status;
    struct sigaction  sa;

    ck_assert_int_ge(pf_sigqueue_init(), 0);
    ck_assert_int_eq(pf_sigqueue_trap(SIGUSR1), 0);
    pid = fork();
    ck_assert_int_ne(pid, -1);
    if (pid == 0) {
        pf_sigqueue_finish();
        sigaction(SIGUSR1, NULL, &sa);
        _exit(sa.sa_handler == SIG_DFL && pf_sigqueue_fd() == -1 ? 0 : 1);
    }
    ck_assert_int_eq(th_wait(pid, &status, 5000), pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    raise(SIGUSR1);
    ck_assert_int_eq(pf_sigqueue_next(), SIGUSR1);
}
END_TEST


/* Check's raise_signal test: after finish, SIGUSR1 kills the process. */
START_TEST(finish_restores_default)
{
    ck_assert_int_ge(pf_sigqueue_init(), 0);
    ck_assert_int_eq(pf_sigqueue_trap(SIGUSR1), 0);
    pf_sigqueue_finish();
    raise(SIGUSR1);
}
END_TEST


Suite *
sigqueue_suite(void)
{
    Suite  *s = suite_create("sigqueue");
    TCase  *tc = tcase_create("sigqueue");

    tcase_add_test(tc, raise_then_next);
    tcase_add_test(tc, pipe_flags);
    tcase_add_test(tc, handler_flags);
    tcase_add_test(tc, trap_errors);
    tcase_add_test(tc, errno_preserved_across_handler);
    tcase_add_test(tc, full_pipe_coalesces_without_blocking);
    tcase_add_test(tc, wakeup_without_signal);
    tcase_add_test(tc, finish_in_child_is_independent);
    tcase_add_test_raise_signal(tc, finish_restores_default, SIGUSR1);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

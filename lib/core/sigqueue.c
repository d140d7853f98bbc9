/*
 * The self-pipe signal queue (skalibs' shape).  Handlers only write one byte
 * and restore errno; everything else happens in the reader's loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <prefork/sigqueue.h>

/* A byte that is no signal number: wakes the reader, is then discarded. */
#define WAKEUP_BYTE  0

static int       sq_pipe[2] = { -1, -1 };
static sigset_t  sq_trapped;


static void
sq_handler(int signo)
{
    int            e = errno;
    unsigned char  c = (unsigned char) signo;

    /* EAGAIN means the pipe is full (64 KiB of unread signals): the reader
     * is certain to wake, and this signal is dropped. */
    while (write(sq_pipe[1], &c, 1) == -1 && errno == EINTR) {
        /* retry */
    }
    errno = e;
}


int
pf_sigqueue_init(void)
{
    if (sq_pipe[0] != -1) {
        return sq_pipe[0];
    }
    if (pipe2(sq_pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
        sq_pipe[0] = sq_pipe[1] = -1;
        return -1;
    }
    sigemptyset(&sq_trapped);
    return sq_pipe[0];
}


int
pf_sigqueue_trap(int signo)
{
    struct sigaction  sa;

    if (sq_pipe[0] == -1 || signo <= 0 || signo >= NSIG || signo > 255) {
        errno = EINVAL;
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = sq_handler;
    sa.sa_flags = SA_RESTART;
    if (signo == SIGCHLD) {
        sa.sa_flags |= SA_NOCLDSTOP;
    }
    sigfillset(&sa.sa_mask);
    if (sigaction(signo, &sa, NULL) == -1) {
        return -1;
    }
    sigaddset(&sq_trapped, signo);
    return 0;
}


int
pf_sigqueue_fd(void)
{
    return sq_pipe[0];
}


int
pf_sigqueue_next(void)
{
    unsigned char  c;
    ssize_t        r;

    if (sq_pipe[0] == -1) {
        errno = EINVAL;
        return -1;
    }
    for ( ;; ) {
        r = read(sq_pipe[0], &c, 1);
        if (r == 1) {
            if (c == WAKEUP_BYTE) {
                continue;
            }
            return c;
        }
        if (r == -1 && errno == EINTR) {
            continue;
        }
        if (r == -1 && errno == EAGAIN) {
            return 0;
        }
        if (r == 0) {
            errno = EPIPE;
        }
        return -1;
    }
}


void
pf_sigqueue_wakeup(void)
{
    int            e = errno;
    unsigned char  c = WAKEUP_BYTE;

    if (sq_pipe[1] != -1) {
        while (write(sq_pipe[1], &c, 1) == -1 && errno == EINTR) {
            /* retry */
        }
    }
    errno = e;
}


void
pf_sigqueue_finish(void)
{
    int  signo;

    if (sq_pipe[0] == -1) {
        return;
    }
    for (signo = 1; signo < NSIG; signo++) {
        if (sigismember(&sq_trapped, signo) == 1) {
            signal(signo, SIG_DFL);
        }
    }
    sigemptyset(&sq_trapped);
    close(sq_pipe[0]);
    close(sq_pipe[1]);
    sq_pipe[0] = sq_pipe[1] = -1;
}

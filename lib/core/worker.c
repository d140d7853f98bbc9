/*
 * The worker's view of the world.  Signals become state: handlers only queue
 * the signal number, and pf_worker_poll() turns the queue (and EOF on the
 * pipe whose write end only the master holds) into PF_WORKER_* bits.
 * pf_worker_fd() is an epoll fd over both, so any loop can watch one fd.
 */
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"


int
pf__worker_setup(pf_worker *w)
{
    struct epoll_event  ev = { .events = EPOLLIN };

    if (pf_sigqueue_init() == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "pipe2(worker signal queue) failed");
        return -1;
    }
    if (pf_sigqueue_trap(SIGTERM) == -1 || pf_sigqueue_trap(SIGQUIT) == -1
        || pf_sigqueue_trap(SIGINT) == -1 || pf_sigqueue_trap(SIGUSR1) == -1)
    {
        pf_log_errno(PF_LOG_ERROR, errno, "sigaction(worker) failed");
        return -1;
    }
    /* gunicorn workers ignore WINCH (a terminal resize must not kill them);
     * HUP, USR2 and ABRT keep their default actions. */
    signal(SIGWINCH, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    w->sqfd = pf_sigqueue_fd();

    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "epoll_create1() failed");
        return -1;
    }
    ev.data.fd = w->sqfd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->sqfd, &ev) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "epoll_ctl(signal queue) failed");
        return -1;
    }
    ev.data.fd = w->life;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->life, &ev) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "epoll_ctl(master pipe) failed");
        return -1;
    }
    return 0;
}


static void
check_master(pf_worker *w)
{
    char     c;
    ssize_t  r;

    if (w->life == -1) {
        return;
    }
    r = read(w->life, &c, 1);
    if (r == 0 || (r == -1 && errno != EAGAIN && errno != EINTR)) {
        pf_log(PF_LOG_INFO, "Parent changed, shutting down: <Worker %d>",
               (int) getpid());
        epoll_ctl(w->epfd, EPOLL_CTL_DEL, w->life, NULL);
        close(w->life);
        w->life = -1;
        w->state |= PF_WORKER_DRAIN;
    }
}


unsigned
pf_worker_poll(pf_worker *w)
{
    unsigned  out;
    int       sig;

    while ((sig = pf_sigqueue_next()) > 0) {
        switch (sig) {
        case SIGTERM:
            w->state |= PF_WORKER_DRAIN;
            break;
        case SIGQUIT:
        case SIGINT:
            w->state |= PF_WORKER_EXIT;
            break;
        case SIGUSR1:
            w->state |= PF_WORKER_REOPEN;
            break;
        }
    }
    check_master(w);
    if (w->state & (PF_WORKER_DRAIN | PF_WORKER_EXIT)) {
        /* No new connections for a worker on its way out. */
        atomic_store_explicit(&w->beat->accepting, 0, memory_order_relaxed);
    }
    out = w->state;
    w->state &= ~(unsigned) PF_WORKER_REOPEN;
    return out;
}


void
pf_worker_heartbeat(pf_worker *w)
{
    struct timespec  ts;

    /* clock_gettime(CLOCK_MONOTONIC) is served by the vDSO: no syscall. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    atomic_store_explicit(&w->beat->beat_ms,
                          (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
                          memory_order_relaxed);
}


void
pf_worker_set_load(pf_worker *w, unsigned load)
{
    atomic_store_explicit(&w->beat->load, load, memory_order_relaxed);
    if (!(w->state & (PF_WORKER_DRAIN | PF_WORKER_EXIT))) {
        atomic_store_explicit(&w->beat->accepting, 1, memory_order_relaxed);
    }
}


unsigned
pf_worker_min_load(const pf_worker *w)
{
    /* The generation is read from the slot: after a failed reload the
     * master relabels the workers it keeps. */
    return pf__heart_min_load(w->board,
                              atomic_load_explicit(&w->beat->gen,
                                                   memory_order_relaxed),
                              atomic_load_explicit(&w->beat->load,
                                                   memory_order_relaxed));
}


int
pf_worker_slot(const pf_worker *w)
{
    return w->slot;
}


unsigned
pf_worker_age(const pf_worker *w)
{
    return w->age;
}


const int *
pf_worker_listeners(const pf_worker *w, size_t *n)
{
    if (n != NULL) {
        *n = w->nls;
    }
    return w->ls;
}


int
pf_worker_fd(const pf_worker *w)
{
    return w->epfd;
}


int
pf_worker_timeout_ms(const pf_worker *w)
{
    unsigned long long  ms = (unsigned long long) w->timeout * 500;

    if (w->timeout == 0) {
        return 500;
    }
    return ms > 86400000ULL ? 86400000 : (int) ms;    /* a day at most */
}


pid_t
pf_worker_ppid(const pf_worker *w)
{
    return w->ppid;
}

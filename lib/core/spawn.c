/*
 * Forking one worker.  Signals are blocked across fork() so the child can
 * reset every disposition before any handler of the master's could run in
 * it; the child then follows nginx's ordered init (signals, privileges)
 * before ops->init, and never returns: it _exit()s with init's or run's
 * status.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"


static int
drop_privileges(pf_arbiter *a)
{
    if (a->set_gid && a->gid != getegid()) {
        if (a->cfg.initgroups && a->cfg.user != NULL) {
            if (initgroups(a->cfg.user, a->gid) == -1) {
                pf_log_errno(PF_LOG_ERROR, errno, "initgroups(%s, %d) failed",
                             a->cfg.user, (int) a->gid);
                return -1;
            }
        } else if (geteuid() == 0 && setgroups(1, &a->gid) == -1) {
            pf_log_errno(PF_LOG_ERROR, errno, "setgroups(%d) failed",
                         (int) a->gid);
            return -1;
        }
        if (setgid(a->gid) == -1) {
            pf_log_errno(PF_LOG_ERROR, errno, "setgid(%d) failed",
                         (int) a->gid);
            return -1;
        }
    }
    if (a->set_uid && a->uid != geteuid()) {
        if (setuid(a->uid) == -1) {
            pf_log_errno(PF_LOG_ERROR, errno, "setuid(%d) failed",
                         (int) a->uid);
            return -1;
        }
    }
    return 0;
}


static void
booted(pf_arbiter *a, pf_worker *w)
{
    char  c = 'B';

    atomic_store_explicit(&w->beat->booted, 1, memory_order_relaxed);
    pf_worker_heartbeat(w);
    /* Wake the master now: a rolling reload waits for this. */
    while (write(a->notify[1], &c, 1) == -1 && errno == EINTR) {
        /* retry */
    }
}


static void __attribute__((noreturn))
child_main(pf_arbiter *a, int slot, int hb)
{
    pf_worker  w;
    sigset_t   none;
    int        status;

    /* The master's queue, pipes and handlers are not the worker's. */
    pf_sigqueue_finish();
    close(a->life[1]);
    close(a->notify[0]);
    if (a->ready_fd >= 0) {
        close(a->ready_fd);
    }

    memset(&w, 0, sizeof(w));
    w.slot = slot;
    w.age = a->age;
    w.ppid = a->pid;
    w.ls = a->lsfd;
    w.nls = a->nls;
    w.life = a->life[0];
    w.timeout = a->cfg.timeout;
    w.beat = pf__heart_slot(&a->heart, hb);
    w.board = a->heart.board;
    w.gen = a->gen;
    w.epfd = -1;

    pf__proctitle_set("%s: worker [%s]", a->prog,
                      a->proc_name);
    pf_log(PF_LOG_INFO, "Booting worker with pid: %d", (int) getpid());

    status = PF_EXIT_BOOT;
    if (pf__worker_setup(&w) == 0) {
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (drop_privileges(a) == 0) {
            status = a->ops->init ? a->ops->init(&w, a->ud) : 0;
            if (status == 0) {
                booted(a, &w);
                status = a->ops->run(&w, a->ud);
            }
        }
    }
    if (a->ops->fini) {
        a->ops->fini(&w, a->ud);
    }
    pf_log(PF_LOG_INFO, "Worker exiting (pid: %d)", (int) getpid());
    _exit(status & 0xff);
}


static pf__kid *
kid_add(pf_arbiter *a)
{
    pf__kid  *k;

    if (a->nkids == a->capkids) {
        size_t cap = a->capkids ? a->capkids * 2 : 8;

        k = realloc(a->kids, cap * sizeof(*k));
        if (k == NULL) {
            return NULL;
        }
        a->kids = k;
        a->capkids = cap;
    }
    k = &a->kids[a->nkids];
    memset(k, 0, sizeof(*k));
    return k;
}


int
pf__spawn(pf_arbiter *a, int slot)
{
    sigset_t   all, old;
    pf__kid   *k;
    pid_t      pid;
    int        hb, e;

    k = kid_add(a);
    if (k == NULL) {
        pf_log_errno(PF_LOG_ERROR, errno, "realloc(workers) failed");
        return -1;
    }
    hb = pf__heart_alloc(&a->heart, a->gen);
    if (hb == -1) {
        return -1;
    }
    a->age++;
    if (a->ops->pre_fork) {
        a->ops->pre_fork(a, slot, a->age, a->ud);
    }

    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0) {
        child_main(a, slot, hb);
    }
    e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (a->ops->post_fork) {
        a->ops->post_fork(a, slot, pid, a->ud);   /* pairs with pre_fork */
    }
    if (pid == -1) {
        pf_log_errno(PF_LOG_ERROR, e, "fork() failed");
        pf__heart_release(&a->heart, hb);
        errno = e;
        return -1;
    }
    k->pid = pid;
    k->slot = slot;
    k->hb = hb;
    k->age = a->age;
    k->gen = a->gen;
    k->timeout = a->cfg.timeout;
    k->spawned_ms = pf__now_ms();
    a->nkids++;
    return 0;
}

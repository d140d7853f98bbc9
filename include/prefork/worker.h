/*
 * libprefork: the worker vtable and what a worker sees.
 *
 * One pf_worker_ops table describes both sides of the fork: optional master
 * callbacks run in the arbiter's loop (never in a signal handler), worker
 * callbacks run in the child.  Only run is required.
 */
#ifndef PREFORK_WORKER_H
#define PREFORK_WORKER_H

#include <stddef.h>
#include <sys/types.h>
#include <prefork/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pf_arbiter pf_arbiter;        /* opaque; lives in the master */
typedef struct pf_worker  pf_worker;         /* opaque; lives in the child  */

#define PF_WORKER_OPS_VERSION  1

/* What the master learns when it reaps a worker.  Borrowed: valid only
 * during the worker_exit callback. */
typedef struct pf_worker_exit {
    pid_t     pid;
    int       slot;
    unsigned  age;                           /* spawn counter of the worker */
    int       status;                        /* raw waitpid() status */
    unsigned  booted:1;                      /* had entered ops->run */
    unsigned  timed_out:1;                   /* killed by the heartbeat check */
} pf_worker_exit;

typedef struct pf_worker_ops {
    unsigned     version;                    /* PF_WORKER_OPS_VERSION */
    const char  *name;                       /* "sync", "ev": logs */

    /* master side, all optional */

    /* Listeners are bound, before the first fork.  Non-zero: the arbiter
     * stops and pf_arbiter_run() returns that status. */
    int   (*master_init)(pf_arbiter *a, void *ud);
    /* A trapped signal, before the default action.  Return 1 to suppress
     * the default action, 0 to let it run. */
    int   (*on_signal)(pf_arbiter *a, int signo, void *ud);
    /* Just before / after fork() of the worker in slot (age = its spawn
     * counter).  post_fork runs in the master with the child's pid, or -1
     * when fork() failed: it always pairs with pre_fork. */
    void  (*pre_fork)(pf_arbiter *a, int slot, unsigned age, void *ud);
    void  (*post_fork)(pf_arbiter *a, int slot, pid_t pid, void *ud);
    /* A worker was reaped (gunicorn child_exit). */
    void  (*worker_exit)(pf_arbiter *a, const pf_worker_exit *st, void *ud);
    /* The arbiter stopped; workers are gone, pidfile removed (on_exit). */
    void  (*master_exit)(pf_arbiter *a, void *ud);
    /* In the USR2 child, just before execve() (gunicorn pre_exec). */
    void  (*pre_exec)(pf_arbiter *a, void *ud);

    /* worker side */

    /* After the child was set up (signals, privileges).  Return 0, or the
     * exit status to leave with.  PF_EXIT_BOOT and PF_EXIT_APPLOAD halt the
     * arbiter when no other worker serves (start-up), roll a reload back,
     * or are retried with back-off (pf_arbiter.3, "Boot failures"). */
    int   (*init)(pf_worker *w, void *ud);
    /* REQUIRED.  Serve until pf_worker_poll() says DRAIN or EXIT; the
     * return value is the worker's exit status. */
    int   (*run)(pf_worker *w, void *ud);
    /* Just before _exit(), whatever init or run returned. */
    void  (*fini)(pf_worker *w, void *ud);
} pf_worker_ops;

/* Bits returned by pf_worker_poll(). */
enum {
    PF_WORKER_DRAIN  = 1 << 0,   /* SIGTERM or master gone: stop accepting,
                                    finish in-flight work, return from run */
    PF_WORKER_EXIT   = 1 << 1,   /* SIGQUIT/SIGINT: return from run now */
    PF_WORKER_REOPEN = 1 << 2    /* SIGUSR1: reopen log files (reported once) */
};

/* Slot number: 0..n-1 within a generation, reused after a worker exits. */
PF_API int        pf_worker_slot(const pf_worker *w);
/* Spawn counter (gunicorn worker.age): strictly increasing per arbiter. */
PF_API unsigned   pf_worker_age(const pf_worker *w);
/* The listening fds, owned by the arbiter: never close them.  *n gets the
 * count when n is not NULL. */
PF_API const int *pf_worker_listeners(const pf_worker *w, size_t *n);
/* An fd that becomes readable when pf_worker_poll() has something to say
 * (a signal arrived, or the master died).  Watch it with poll() or ev_io. */
PF_API int        pf_worker_fd(const pf_worker *w);
/* Drain pending events and return the PF_WORKER_* state.  DRAIN and EXIT
 * are sticky; REOPEN is reported once per SIGUSR1. */
PF_API unsigned   pf_worker_poll(pf_worker *w);
/* Tell the master this worker is alive: one relaxed store into shared
 * memory, no system call.  Async-signal-safe. */
PF_API void       pf_worker_heartbeat(pf_worker *w);
/* The longest a worker may sleep between heartbeats: timeout/2 in ms, or
 * 500 when the timeout is disabled. */
PF_API int        pf_worker_timeout_ms(const pf_worker *w);
/* The parent (master) pid at spawn time. */
PF_API pid_t      pf_worker_ppid(const pf_worker *w);

/* Publish how busy this worker is (open connections, say): one relaxed
 * store in shared memory.  From the first call until the worker drains it
 * counts in its siblings' pf_worker_min_load().  Async-signal-safe. */
PF_API void       pf_worker_set_load(pf_worker *w, unsigned load);
/* The lowest load published by the workers of this worker's generation
 * that still accept, this one included.  Workers sharing a listener keep
 * connections even by leaving new ones to a less loaded sibling whenever
 * their own load is above it (the kernel would hand them to whoever wakes
 * first). */
PF_API unsigned   pf_worker_min_load(const pf_worker *w);

#ifdef __cplusplus
}
#endif

#endif /* PREFORK_WORKER_H */

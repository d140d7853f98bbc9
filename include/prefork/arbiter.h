/*
 * libprefork: the arbiter (master process).
 *
 * One arbiter per process, driven from a single-threaded master.  Default
 * signal actions are gunicorn's:
 *   TERM       graceful stop (workers get graceful_timeout, then SIGKILL)
 *   INT, QUIT  quick stop (SIGQUIT to workers)
 *   HUP        rolling reload: new workers boot before the old ones stop
 *   TTIN/TTOU  one worker more / fewer (never below 1)
 *   USR1       forwarded to workers (reopen logs)
 *   USR2       re-exec argv with the listeners passed on
 *   WINCH      stop the workers, only when daemonized
 *   CHLD       reap (in the loop, never in the handler)
 */
#ifndef PREFORK_ARBITER_H
#define PREFORK_ARBITER_H

#include <sys/types.h>
#include <prefork/common.h>
#include <prefork/worker.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pf_config {
    int           workers;           /* 1 */
    unsigned      timeout;           /* s; 0 disables the heartbeat kill; 30 */
    unsigned      graceful_timeout;  /* s; drain budget before SIGKILL; 30 */
    int           backlog;           /* listen() backlog; 2048 */
    unsigned      listen_flags;      /* PF_LISTEN_REUSEPORT; 0 */
    int           bind_attempts;     /* bind tries, 1 s apart; 5 */
    const char   *pidfile;           /* NULL: none */
    const char   *proc_name;         /* NULL: basename(argv[0]) */
    const char   *scheme;            /* "http": log "Listening at: http://.."*/
    int           daemonize;         /* 0 */
    int           keep_stdio;        /* with daemonize: gunicorn -R; 0 */
    const char   *user, *group;      /* NULL: keep; applied in workers */
    int           initgroups;        /* initgroups(user) in workers; 0 */
    int           umask;             /* -1: keep; applied while binding unix
                                        sockets */
    char *const  *argv;              /* main()'s argv: process titles and
                                        USR2 re-exec; NULL disables both */
    const char   *env_prefix;        /* re-exec variables <prefix>_FD and
                                        <prefix>_PID; NULL: "PREFORK" */
} pf_config;

/* Fill cfg with the defaults above. */
PF_API void        pf_config_init(pf_config *cfg);

/* Create the arbiter (deep-copies cfg; ops and ud must outlive it) and
 * collect inherited listeners (LISTEN_FDS, <prefix>_FD).  NULL with errno:
 * EINVAL for a bad config or ops, EBUSY when an arbiter already exists. */
PF_API pf_arbiter *pf_arbiter_new(const pf_config *cfg,
                                  const pf_worker_ops *ops, void *ud);

/* Listen on addr (see sockets.h), reusing an inherited socket with the same
 * address.  Bind failures are retried bind_attempts times 1 s apart, then
 * "Can't connect to <addr>" is logged and -1 returned with errno. */
PF_API int         pf_arbiter_listen(pf_arbiter *a, const char *addr);

/* Take ownership of an already listening fd.  0, or -1 with errno. */
PF_API int         pf_arbiter_adopt(pf_arbiter *a, int fd);

/* Daemonize if configured, write the pidfile, trap signals, spawn the
 * workers and supervise them until stopped.  Returns the exit status for
 * main(): 0 after a stop, PF_EXIT_BOOT/PF_EXIT_APPLOAD when a worker could
 * not boot, 1 when start-up failed (pidfile held, no listener, ...).
 * Never returns in a worker: workers _exit(). */
PF_API int         pf_arbiter_run(pf_arbiter *a);

/* Close listeners (unlinking unix socket files we created and still own)
 * and free.  NULL is ignored. */
PF_API void        pf_arbiter_free(pf_arbiter *a);

/* Control verbs: the default signal actions, callable from callbacks. */
PF_API void        pf_arbiter_stop(pf_arbiter *a, int graceful);
PF_API void        pf_arbiter_reload(pf_arbiter *a);
PF_API int         pf_arbiter_reexec(pf_arbiter *a);
PF_API void        pf_arbiter_set_workers(pf_arbiter *a, int n);
PF_API int         pf_arbiter_workers(const pf_arbiter *a);
/* Stop with status and a reason logged as gunicorn's "Reason: ..." line. */
PF_API void        pf_arbiter_halt(pf_arbiter *a, int status,
                                   const char *reason);

/* The listening fds (owned by the arbiter). */
PF_API const int  *pf_arbiter_listeners(const pf_arbiter *a, size_t *n);

/* Make the listeners exactly addrs[0..n-1] (gunicorn's HUP with changed
 * binds): sockets already bound to one of them are kept, missing ones are
 * bound (with the bind retries), the rest are closed (their unix socket
 * files removed as at exit).  Workers forked from now on get the new set;
 * running ones keep theirs until they exit.  0, or -1 with errno and
 * nothing changed. */
PF_API int         pf_arbiter_rebind(pf_arbiter *a, const char *const *addrs,
                                     size_t n);

/* New heartbeat and graceful timeouts (s).  Each worker is judged by the
 * timeout it was forked with, so a running worker is never killed for
 * beating at its old pace; a graceful stop already under way keeps its
 * deadline. */
PF_API void        pf_arbiter_set_timeouts(pf_arbiter *a, unsigned timeout,
                                           unsigned graceful_timeout);
/* The master's pid, and the old master's pid when this one is a USR2 child
 * that has not been promoted yet (0 otherwise). */
PF_API pid_t       pf_arbiter_pid(const pf_arbiter *a);
PF_API pid_t       pf_arbiter_parent_pid(const pf_arbiter *a);
/* The pid of the USR2 child (the new master) while it lives, else 0. */
PF_API pid_t       pf_arbiter_reexec_pid(const pf_arbiter *a);

/* New settings for a running master (a program's HUP re-read), applied as
 * far as a running master can: timeout and graceful_timeout (as
 * pf_arbiter_set_timeouts), proc_name (the master is retitled at once,
 * workers forked from now on take it), pidfile (the new file is written
 * before the old one is removed; the same path is written again), user,
 * group and initgroups (workers forked from now on), umask, backlog,
 * listen_flags and bind_attempts (sockets bound from now on), scheme.
 * workers, daemonize, keep_stdio, argv and env_prefix are ignored.  0, or
 * -1 with errno and nothing changed: EINVAL (unknown user or group),
 * EEXIST (the new pidfile names another live process), ENOMEM. */
PF_API int         pf_arbiter_reconfigure(pf_arbiter *a, const pf_config *cfg);

/* What the master reports to event subscribers; each is a bit, so that a
 * subscriber names the events it wants as a mask. */
enum {
    PF_EVENT_READY    = 1,   /* every worker of the current generation has
                                booted: start-up is over, or a reload (done
                                or rolled back); once per generation */
    PF_EVENT_PROMOTED = 2,   /* this re-executed master has become the
                                master (its old master exited) */
    PF_EVENT_TICK     = 4    /* a master loop pass, at most one a second
                                while running (not during a stop): for
                                periodic work such as metrics */
};

typedef void (*pf_event_fn)(pf_arbiter *a, int event, void *ud);

/* Call fn with each READY and PROMOTED event, from the master loop (never
 * from a signal handler); NULL stops the calls, a later call replaces the
 * earlier fn.  One slot of its own, independent of the subscribers below,
 * and never given PF_EVENT_TICK. */
PF_API void        pf_arbiter_on_event(pf_arbiter *a, pf_event_fn fn,
                                       void *ud);

/* Add fn(ud) to the subscribers of the events in mask (PF_EVENT_* bits);
 * every subscriber of an event is called, the on_event slot first.  Up
 * to PF_EVENT_MAX_SUBSCRIBERS at a time.  Nobody subscribed to
 * PF_EVENT_TICK: the loop sleeps as long as it would without ticks.
 * 0, or -1 with errno: EINVAL (fn NULL, mask 0 or unknown bits), EEXIST
 * (fn and ud already subscribed), ENOSPC (full). */
#define PF_EVENT_MAX_SUBSCRIBERS  8
PF_API int         pf_arbiter_subscribe(pf_arbiter *a, unsigned mask,
                                        pf_event_fn fn, void *ud);
/* Remove the subscription of fn with ud; may be called from fn itself.
 * 0, or -1 with errno ENOENT. */
PF_API int         pf_arbiter_unsubscribe(pf_arbiter *a, pf_event_fn fn,
                                          void *ud);

/* Wake the master loop.  Async-signal-safe. */
PF_API void        pf_arbiter_wakeup(void);

#ifdef __cplusplus
}
#endif

#endif /* PREFORK_ARBITER_H */

/*
 * lib/core private structures and pf__ helpers shared between its files.
 * Nothing here is installed or exported.
 */
#ifndef PF_CORE_INTERNAL_H
#define PF_CORE_INTERNAL_H

#include <signal.h>
#include <stdatomic.h>
#include <sys/types.h>

#include <prefork/prefork.h>

#define PF__MAX_LISTENERS   64

/* One worker's slot: a cache line in shared memory, written by that
 * worker (relaxed stores, no syscall) and read by the master and, for the
 * load, by its sibling workers. */
typedef struct pf__beat {
    _Atomic long long  beat_ms;      /* CLOCK_MONOTONIC ms of the last beat */
    _Atomic unsigned   gen;          /* the worker's generation */
    _Atomic unsigned   load;         /* pf_worker_set_load() */
    _Atomic int        booted;       /* set just before ops->run */
    _Atomic int        accepting;    /* publishes a load and still accepts */
    char               pad[64 - sizeof(long long) - 4 * sizeof(int)];
} pf__beat;

/* Every slot lives in one MAP_SHARED region mapped before the first fork,
 * so every worker sees every sibling's slot (the kernel backs only the
 * pages that are touched). */
#define PF__MAX_SLOTS  1024

typedef struct pf__board {
    _Atomic int        hwm;          /* highest slot in use + 1 */
    char               pad[64 - sizeof(int)];
    pf__beat           slots[PF__MAX_SLOTS];
} pf__board;

typedef struct pf__heart {
    pf__board       *board;
    unsigned char    used[PF__MAX_SLOTS];   /* master-side */
} pf__heart;

/* The master's record of one child. */
typedef struct pf__kid {
    pid_t        pid;
    int          slot;               /* logical slot within its generation */
    int          hb;                 /* heartbeat index */
    unsigned     age;
    unsigned     gen;
    unsigned     timeout;            /* s, the arbiter's when it forked */
    long long    spawned_ms;
    long long    abort_ms;           /* when SIGABRT was sent */
    unsigned     booted:1;
    unsigned     stopping:1;         /* SIGTERM/SIGQUIT sent by us */
    unsigned     aborted:1;          /* SIGABRT sent (heartbeat timeout) */
    unsigned     killed:1;           /* SIGKILL sent by us */
} pf__kid;

typedef struct pf__listener {
    int          fd;
    char        *unlink_path;        /* unix socket file we created */
    unsigned     from_systemd:1;
} pf__listener;

enum { PF__RUNNING = 0, PF__STOPPING };

/* An event subscriber (fn NULL: a free slot). */
typedef struct pf__sub {
    pf_event_fn  fn;
    void        *ud;
    unsigned     mask;
} pf__sub;

struct pf_arbiter {
    pf_config             cfg;       /* deep copy */
    char                **argv;      /* deep copy for re-exec, or NULL */
    char                 *start_cwd;
    const pf_worker_ops  *ops;
    void                 *ud;

    uid_t                 uid;
    gid_t                 gid;
    unsigned              set_uid:1, set_gid:1;

    pf__listener          ls[PF__MAX_LISTENERS];
    int                   lsfd[PF__MAX_LISTENERS];   /* what workers see */
    size_t                nls;
    int                   inherited[PF__MAX_LISTENERS];
    int                   ninherited;
    unsigned              inherited_systemd:1;
    unsigned              systemd:1;          /* listeners came from systemd */
    unsigned              daemonized:1;

    pf__kid              *kids;
    size_t                nkids, capkids;
    pf__heart             heart;
    unsigned              age;                /* spawn counter */
    unsigned              gen;                /* generation (HUP) */
    int                   target;             /* wanted workers */

    int                   life[2];            /* EOF in workers = master died */
    int                   notify[2];          /* workers: "booted" bytes */
    int                   ready_fd;           /* daemon ready pipe, or -1 */

    pid_t                 pid;
    pid_t                 master_pid;         /* old master (USR2 child) */
    pid_t                 reexec_pid;         /* our USR2 child */
    char                 *pidfile;            /* the path we wrote, or NULL */
    const char           *master_name;        /* "Master" or "Master.2" */
    char                 *proc_name;
    char                 *prog;               /* basename(argv[0]), copied
                                                 before titles overwrite it */

    int                   state;              /* PF__RUNNING / STOPPING */
    int                   graceful;
    int                   status;             /* exit status to return */
    char                 *reason;             /* halt reason */
    long long             stop_deadline;
    long long             last_pass_ms;
    long long             grace_since_ms;     /* suspend: ignore older beats */
    long long             spawn_after_ms;     /* crash back-off */
    unsigned              crash_streak;
    unsigned              ready:1;
    unsigned              boot_retrying:1;
    unsigned              ready_gen;          /* gen + 1 of the last
                                                 PF_EVENT_READY, 0: none */
    pf_event_fn           event_fn;
    void                 *event_ud;
    pf__sub               subs[PF_EVENT_MAX_SUBSCRIBERS];
    unsigned              sub_mask;           /* union of the masks */
    long long             tick_ms;            /* last PF_EVENT_TICK */
};

struct pf_worker {
    int          slot;
    unsigned     age;
    pid_t        ppid;
    const int   *ls;
    size_t       nls;
    int          epfd;               /* sigqueue + life pipe */
    int          life;               /* read end; -1 after EOF */
    int          sqfd;
    unsigned     timeout;
    unsigned     state;              /* sticky PF_WORKER_* bits */
    unsigned     gen;
    pf__beat    *beat;
    pf__board   *board;
};

/* arbiter.c */
void        pf__close_listeners(pf_arbiter *a);
void        pf__event(pf_arbiter *a, int event);

/* loop.c */
void        pf__log_listening(pf_arbiter *a);

/* clock.c */
long long   pf__now_ms(void);

/* heartbeat.c */
int         pf__heart_alloc(pf__heart *h, unsigned gen);  /* -> index, -1 */
void        pf__heart_release(pf__heart *h, int i);
pf__beat   *pf__heart_slot(pf__heart *h, int i);
void        pf__heart_free(pf__heart *h);
/* Lowest load among the accepting slots of generation gen (or mine). */
unsigned    pf__heart_min_load(const pf__board *b, unsigned gen, unsigned mine);
/* Is a worker whose last beat was at beat_ms late at now_ms? */
int         pf__heart_late(long long beat_ms, long long grace_ms,
                           long long now_ms, unsigned timeout_s);

/* spawn.c */
int         pf__spawn(pf_arbiter *a, int slot);         /* 0 or -1 */

/* worker.c */
int         pf__worker_setup(pf_worker *w);             /* in the child */

/* reexec.c */
int         pf__reexec(pf_arbiter *a);
void        pf__maybe_promote(pf_arbiter *a);

/* proctitle.c */
void        pf__proctitle_init(char *const *argv);
/* basename(argv[0]) saved before any title overwrote it */
const char *pf__proctitle_prog(void);
void        pf__proctitle_set(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* signals.c: names as gunicorn logs them ("term", "hup", ...) */
const char *pf__signame(int signo);

#endif /* PF_CORE_INTERNAL_H */

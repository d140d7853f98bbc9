/*
 * Arbiter test harness: a master runs in a child of the test with a test
 * pf_worker_ops table; workers and master callbacks report fixed-size
 * records through a pipe (Unicorn's FIFO trick), and the master's stderr is
 * captured so tests can wait for log lines.  Every wait has a deadline.
 */
#ifndef PF_TESTS_HARNESS_H
#define PF_TESTS_HARNESS_H

#include <sys/types.h>

#include <prefork/prefork.h>

enum {                          /* what test workers do */
    TW_SERVE = 0,               /* accept, answer "<pid>\n", close */
    TW_BOOT_FAIL,               /* init returns arg */
    TW_HANG,                    /* boot, then never beat again */
    TW_CRASH,                   /* boot, then _exit(arg) at once */
    TW_IGNORE_TERM,             /* beat, but never stop on DRAIN */
    TW_HOLD,                    /* serve one client: read 'x', wait 'y' */
    TW_LOAD                     /* publish load 10 + slot; on USR1 report
                                   pf_worker_min_load() as an 'L' record */
};

typedef struct th_rec {
    char      kind;   /* I init, B booted/run, X reaped, D drain, Q exit,
                         R reopen, A accepted, M master_init, E master_exit,
                         H rebind result, P reexec pid (on TTIN),
                         V master event (opts.events), S subscriber event
                         (opts.subscribers; slot: which one), K tick
                         (opts.ticks), C reconfigure result (HUP) */
    int       slot;
    int       pid;
    int       status;
    unsigned  age;
    unsigned  flags;  /* X: 1 booted, 2 timed_out */
} th_rec;

typedef struct th_opts {
    int          workers;
    unsigned     timeout;
    unsigned     graceful_timeout;
    int          behave;       /* TW_* */
    int          arg;
    int          behave_gen1;  /* behaviour for workers spawned after the
                                  first generation (-1: same) */
    const char  *pidfile;
    char *const *argv;         /* for USR2: th_master_main's layout */
    char *const *title_argv;   /* main()'s argv, for process titles only */
    int          daemonize;    /* with stderr kept (gunicorn -R) */
    int          master_init_status;   /* what master_init returns */
    int          systemd;      /* the listener arrives as LISTEN_FDS=1 */
    int          fail_slot;    /* TW_BOOT_FAIL only in this slot (-1: all) */
    int          gated;        /* the failing init first waits for a byte
                                  on th_master.gate (th_open_gate) */
    const char  *rebind_to;    /* on HUP: pf_arbiter_rebind() to this
                                  address first ('H' record: its result) */
    int          usr2_timeout; /* > 0: USR2 sets timeouts to this instead
                                  of re-executing */
    const char  *env_prefix;
    int          events;       /* pf_arbiter_on_event(): a 'V' record per
                                  event, status = PF_EVENT_* */
    int          subscribers;  /* pf_arbiter_subscribe(READY) this many
                                  times: an 'S' record each per event */
    int          ticks;        /* > 0: a PF_EVENT_TICK subscriber ('K'
                                  records, status = the tick's number) that
                                  unsubscribes itself after this many */
    const char  *reconf_pidfile;   /* on HUP: pf_arbiter_reconfigure() with */
    const char  *reconf_proc_name; /* these ('C' record: result or -errno) */
} th_opts;

typedef struct th_master {
    pid_t   pid;
    int     rec;               /* record pipe, read end */
    int     log;               /* master's stderr, read end */
    char    dir[256];
    char    addr[300];         /* "unix:<dir>/s.sock" */
    char    logbuf[65536];     /* everything read from log so far */
    size_t  loglen;
    int     gate;              /* write end of the gate pipe, or -1 */
    th_rec  backlog[256];      /* read while looking for another kind */
    size_t  nbacklog;
} th_master;

void   th_opts_init(th_opts *o);
/* Fork a master serving on a unix socket in a fresh tmpdir. */
int    th_master_start(th_master *m, const th_opts *o);
/* Next record of the given kind; records of other kinds read meanwhile are
 * kept, in order, for later th_expect/th_next calls.  0, or -1 on timeout. */
int    th_expect(th_master *m, char kind, th_rec *out, int ms);
/* Let a gated failing init go on. */
void   th_open_gate(th_master *m);
/* Drop the records kept so far: later waits see only what comes next. */
void   th_forget(th_master *m);
/* The next record whatever its kind; 0 or -1 on timeout. */
int    th_next(th_master *m, th_rec *out, int ms);
/* Wait until the master's stderr contains s. */
int    th_expect_log(th_master *m, const char *s, int ms);
/* Wait for the master to exit; its status, or -1 on timeout. */
int    th_master_wait(th_master *m, int ms);
void   th_master_cleanup(th_master *m);
/* Ask a TW_SERVE worker who it is: its pid, or -1. */
int    th_ask_pid(th_master *m);

/* The record pipe's fd number in a master started with argv (USR2 tests). */
#define TH_REEXEC_RECFD  200

/* main()'s argv, for the process-title test. */
extern char **th_main_argv;

/* In the re-exec'd test binary: run a master from argv ("--master" ...). */
int    th_master_main(int argc, char **argv);

/* Log capture for library calls the test makes itself (no master): from
 * th_log_capture() until th_log_release(), pf_log() lines, each ending in
 * "\n", collect in a buffer (8 KiB; what does not fit is dropped). */
void         th_log_capture(void);   /* empty it, hook pf_log at DEBUG */
void         th_log_release(void);   /* back to the default hook, INFO */
void         th_log_clear(void);
const char  *th_logged(void);        /* what was logged since the clear */

#endif

/*
 * The master loop, as a list of steps (Unicorn, s6): promote, reap, handle
 * signals, check heartbeats, keep the worker count, sleep on the self-pipe.
 * Nothing here runs in a signal handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define PASS_MS         1000     /* the loop runs at least once a second */
#define ABORT_GRACE_MS  1000     /* SIGABRT -> SIGKILL */
#define QUICK_DEATH_MS  1000     /* a worker dying younger crashed at once */
#define BACKOFF_MAX_MS  5000

static const int master_signals[] = {
    SIGHUP, SIGQUIT, SIGINT, SIGTERM, SIGTTIN, SIGTTOU, SIGUSR1, SIGUSR2,
    SIGWINCH, SIGCHLD
};


/* ---- start-up ---------------------------------------------------------- */

static int
make_pipes(pf_arbiter *a)
{
    if (pipe2(a->life, O_CLOEXEC) == -1
        || pipe2(a->notify, O_CLOEXEC | O_NONBLOCK) == -1)
    {
        pf_log_errno(PF_LOG_ERROR, errno, "pipe2() failed");
        return -1;
    }
    /* Workers read the life pipe without blocking to detect EOF. */
    if (fcntl(a->life[0], F_SETFL, O_NONBLOCK) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "fcntl(O_NONBLOCK) failed");
        return -1;
    }
    return 0;
}


static int
trap_signals(void)
{
    size_t  i;

    if (pf_sigqueue_init() == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "pipe2(signal queue) failed");
        return -1;
    }
    for (i = 0; i < sizeof(master_signals) / sizeof(master_signals[0]); i++) {
        if (pf_sigqueue_trap(master_signals[i]) == -1) {
            pf_log_errno(PF_LOG_ERROR, errno, "sigaction(%s) failed",
                         pf__signame(master_signals[i]));
            return -1;
        }
    }
    /* A client that goes away must not kill the master either. */
    signal(SIGPIPE, SIG_IGN);
    return 0;
}


static int
write_pidfile(pf_arbiter *a)
{
    size_t  len;
    pid_t   other = 0;

    if (a->cfg.pidfile == NULL) {
        return 0;
    }
    len = strlen(a->cfg.pidfile) + 3;
    a->pidfile = malloc(len);
    if (a->pidfile == NULL) {
        return -1;
    }
    /* A USR2 child writes <pidfile>.2 until it is promoted. */
    snprintf(a->pidfile, len, "%s%s", a->cfg.pidfile,
             a->master_pid ? ".2" : "");
    if (pf_pidfile_create(a->pidfile, a->pid, &other) == -1) {
        if (errno == EEXIST) {
            pf_log(PF_LOG_ERROR, "Already running on PID %d (or pid file '%s'"
                   " is stale)", (int) other, a->pidfile);
        } else {
            pf_log_errno(PF_LOG_ERROR, errno, "pidfile(%s) failed", a->pidfile);
        }
        free(a->pidfile);
        a->pidfile = NULL;
        return -1;
    }
    return 0;
}


/* Unclaimed inherited sockets: systemd's are served (it handed them to us
 * for that), a re-exec's that the new configuration no longer binds are
 * closed. */
static void
settle_inherited(pf_arbiter *a)
{
    char  name[256];
    int   i, none_requested = a->nls == 0;

    for (i = 0; i < a->ninherited; i++) {
        if (a->inherited[i] < 0) {
            continue;
        }
        if (a->inherited_systemd || none_requested) {
            if (pf_arbiter_adopt(a, a->inherited[i]) == 0) {
                a->ls[a->nls - 1].from_systemd = a->inherited_systemd;
                a->inherited[i] = -1;
                continue;
            }
        }
        pf_sockname(a->inherited[i], name, sizeof(name));
        pf_log(PF_LOG_INFO, "Closing inherited socket %s (not bound any more)",
               name);
        close(a->inherited[i]);
        a->inherited[i] = -1;
    }
    a->systemd = a->inherited_systemd;
}


void
pf__log_listening(pf_arbiter *a)
{
    char    line[2048], name[512];
    size_t  i, off = 0;

    line[0] = '\0';
    for (i = 0; i < a->nls && off < sizeof(line); i++) {
        pf_sockname(a->ls[i].fd, name, sizeof(name));
        off += (size_t) snprintf(line + off, sizeof(line) - off, "%s%s%s%s",
                                 i ? "," : "",
                                 a->cfg.scheme && strncmp(name, "unix:", 5)
                                     ? a->cfg.scheme : "",
                                 a->cfg.scheme && strncmp(name, "unix:", 5)
                                     ? "://" : "",
                                 name);
    }
    pf_log(PF_LOG_INFO, "Listening at: %s (%d)", line, (int) getpid());
}


static int
start(pf_arbiter *a)
{
    a->status = 1;
    if (a->cfg.daemonize && a->master_pid == 0) {
        if (pf_daemonize(a->cfg.keep_stdio, &a->ready_fd) == -1) {
            pf_log_errno(PF_LOG_ERROR, errno, "daemonize failed");
            return -1;
        }
        a->daemonized = 1;
    } else if (a->cfg.daemonize) {
        a->daemonized = 1;               /* the old master already was */
    }
    a->pid = getpid();
    if (a->master_pid != 0) {
        a->master_name = "Master.2";
    }
    pf__proctitle_set("%s: master [%s%s]", a->prog,
                      a->proc_name, a->master_pid ? ".2" : "");
    if (write_pidfile(a) == -1 || make_pipes(a) == -1 || trap_signals() == -1) {
        return -1;
    }
    settle_inherited(a);
    if (a->nls == 0) {
        pf_log(PF_LOG_ERROR, "No listening socket: nothing to serve");
        return -1;
    }
    pf__log_listening(a);
    pf_log(PF_LOG_INFO, "Using worker: %s",
           a->ops->name ? a->ops->name : "custom");
    if (a->ops->master_init) {
        int st = a->ops->master_init(a, a->ud);

        if (st != 0) {
            a->status = st;
            return -1;
        }
    }
    a->status = 0;
    a->last_pass_ms = pf__now_ms();
    return 0;
}


/* ---- reaping ----------------------------------------------------------- */

static pf__kid *
find_kid(pf_arbiter *a, pid_t pid)
{
    size_t  i;

    for (i = 0; i < a->nkids; i++) {
        if (a->kids[i].pid == pid) {
            return &a->kids[i];
        }
    }
    return NULL;
}


static void
log_exit(const pf__kid *k, int status)
{
    int  sig;

    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) != 0) {
            pf_log(PF_LOG_ERROR, "Worker (pid:%d) exited with code %d.",
                   (int) k->pid, WEXITSTATUS(status));
        }
        return;
    }
    if (!WIFSIGNALED(status)) {
        return;
    }
    sig = WTERMSIG(status);
    if (sig == SIGKILL && !k->killed) {
        pf_log(PF_LOG_ERROR, "Worker (pid:%d) was sent SIGKILL! Perhaps out"
               " of memory?", (int) k->pid);
    } else if (sig == SIGKILL) {
        pf_log(PF_LOG_ERROR, "Worker (pid:%d) was sent SIGKILL!", (int) k->pid);
    } else if (sig == SIGTERM) {
        pf_log(PF_LOG_INFO, "Worker (pid:%d) was sent SIGTERM!", (int) k->pid);
    } else {
        char         up[16];
        const char  *n = pf__signame(sig);
        size_t       i;

        /* gunicorn spells the name upper-case: SIGSEGV, SIGHUP ... */
        for (i = 0; n[i] != '\0' && i < sizeof(up) - 1; i++) {
            up[i] = (char) (n[i] - 'a' + 'A');
        }
        up[i] = '\0';
        pf_log(PF_LOG_WARNING, "Worker (pid:%d) was sent SIG%s!", (int) k->pid,
               up);
    }
}


/* A worker has booted once it flagged so in its shared slot; the flag is
 * read afresh until then (a sibling may boot between two loop passes). */
static int
kid_booted(pf_arbiter *a, pf__kid *k)
{
    if (!k->booted) {
        k->booted = atomic_load_explicit(
            &pf__heart_slot(&a->heart, k->hb)->booted,
            memory_order_relaxed) != 0;
    }
    return k->booted;
}


/* Booted workers still serving, other than k, in generations older than
 * k's (older != 0) or in any generation. */
static int
others_serving(pf_arbiter *a, const pf__kid *k, int older)
{
    size_t  i;
    int     n = 0;

    for (i = 0; i < a->nkids; i++) {
        pf__kid *o = &a->kids[i];

        /* Read afresh: this runs while reaping, before the loop's refresh. */
        if (o != k && kid_booted(a, o) && !o->stopping
            && (!older || o->gen < k->gen))
        {
            n++;
        }
    }
    return n;
}


/* The oldest generation with a booted worker still serving, k aside. */
static unsigned
oldest_serving_gen(pf_arbiter *a, const pf__kid *k)
{
    unsigned  gen = k->gen;
    size_t    i;

    for (i = 0; i < a->nkids; i++) {
        pf__kid *o = &a->kids[i];

        if (o != k && o->booted && !o->stopping && o->gen < gen) {
            gen = o->gen;
        }
    }
    return gen;
}


/* gunicorn halts when a worker cannot boot.  We do too when nothing else is
 * serving (start-up), but a server that is serving keeps doing so: a new
 * generation that cannot boot after HUP is a failed reload and is rolled
 * back whole (old code only, slots intact), and a replacement that cannot
 * boot is retried with the crash back-off.  Returns 1 for a retry. */
static int
boot_failure(pf_arbiter *a, pf__kid *k, int code)
{
    const char  *why = code == PF_EXIT_APPLOAD ? "App failed to load."
                                               : "Worker failed to boot.";
    size_t       i;
    int          serving;

    if (a->state == PF__STOPPING || k->stopping) {
        return 0;                   /* on the way out anyway */
    }
    if (k->gen != a->gen) {
        /* A worker of a generation already replaced: nothing respawns it. */
        pf_log(PF_LOG_ERROR, "%s (pid:%d, an earlier generation)", why,
               (int) k->pid);
        return 0;
    }
    if (others_serving(a, k, 1) > 0) {
        unsigned keep = oldest_serving_gen(a, k);

        pf_log(PF_LOG_ERROR, "Reload failed: %s Keeping the previous workers.",
               why);
        /* One generation survives: the oldest one still serving, which was
         * complete before the reloads began (an old generation retires only
         * once a newer one fully booted).  Every newer worker goes, booted or
         * not, so two versions of the code never serve side by side, even
         * after overlapping HUPs; the survivors become the current
         * generation (numbers are never reused, so a late exit of a failed
         * one cannot be mistaken for a newer one). */
        for (i = 0; i < a->nkids; i++) {
            pf__kid *o = &a->kids[i];

            if (o == k || o->stopping) {
                continue;
            }
            if (o->gen != keep) {
                kill(o->pid, SIGTERM);
                o->stopping = 1;
            } else {
                o->gen = a->gen;
                atomic_store_explicit(&pf__heart_slot(&a->heart, o->hb)->gen,
                                      a->gen, memory_order_relaxed);
            }
        }
        return 0;
    }
    serving = others_serving(a, k, 0);
    if (serving > 0) {
        pf_log(PF_LOG_ERROR, "%s %d worker(s) still serving; retrying.", why,
               serving);
        a->boot_retrying = 1;
        return 1;
    }
    pf_arbiter_halt(a, code, why);
    return 0;
}


static void
note_death(pf_arbiter *a, const pf__kid *k, long long now, int crashed)
{
    long long  delay;

    if (k->stopping || a->state == PF__STOPPING) {
        return;
    }
    if (!crashed && now - k->spawned_ms >= QUICK_DEATH_MS) {
        a->crash_streak = 0;
        return;
    }
    /* Crashing at once, again and again: do not fork in a tight loop. */
    a->crash_streak++;
    delay = 100LL << (a->crash_streak < 7 ? a->crash_streak - 1 : 6);
    if (delay > BACKOFF_MAX_MS) {
        delay = BACKOFF_MAX_MS;
    }
    a->spawn_after_ms = now + delay;
    pf_log(PF_LOG_WARNING, "Worker (pid:%d) died %lld ms after it started;"
           " respawning in %lld ms", (int) k->pid, now - k->spawned_ms, delay);
}


static void
reap_kid(pf_arbiter *a, pf__kid *k, int status)
{
    pf_worker_exit  st;
    long long       now = pf__now_ms();

    kid_booted(a, k);
    log_exit(k, status);
    memset(&st, 0, sizeof(st));
    st.pid = k->pid;
    st.slot = k->slot;
    st.age = k->age;
    st.status = status;
    st.booted = k->booted;
    st.timed_out = k->aborted;
    if (a->ops->worker_exit) {
        a->ops->worker_exit(a, &st, a->ud);
    }
    if (!k->booted && WIFEXITED(status)
        && (WEXITSTATUS(status) == PF_EXIT_BOOT
            || WEXITSTATUS(status) == PF_EXIT_APPLOAD))
    {
        if (boot_failure(a, k, WEXITSTATUS(status))) {
            note_death(a, k, now, 1);      /* a retried boot backs off */
        }
    } else {
        note_death(a, k, now, 0);
    }
    pf__heart_release(&a->heart, k->hb);
    *k = a->kids[--a->nkids];
}


static void
reap(pf_arbiter *a)
{
    pf__kid  *k;
    pid_t     pid;
    int       status;

    for ( ;; ) {
        pid = waitpid(-1, &status, WNOHANG);
        if (pid == 0 || (pid == -1 && errno == ECHILD)) {
            return;
        }
        if (pid == -1) {
            if (errno == EINTR) {
                continue;
            }
            pf_log_errno(PF_LOG_ERROR, errno, "waitpid() failed");
            return;
        }
        if (pid == a->reexec_pid) {
            pf_log(PF_LOG_INFO, "Re-executed master (pid:%d) exited with %s %d",
                   (int) pid, WIFEXITED(status) ? "code" : "signal",
                   WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
            a->reexec_pid = 0;
            continue;
        }
        k = find_kid(a, pid);
        if (k == NULL) {
            /* An orphan reparented to us (we may be PID 1 in a container):
             * not a worker, so its status means nothing (gunicorn #3220). */
            pf_log(PF_LOG_DEBUG, "Reaped unknown child (pid:%d)", (int) pid);
            continue;
        }
        reap_kid(a, k, status);
    }
}


/* ---- signals ----------------------------------------------------------- */

static void
signal_workers(pf_arbiter *a, int signo)
{
    size_t  i;

    for (i = 0; i < a->nkids; i++) {
        if (kill(a->kids[i].pid, signo) == -1 && errno != ESRCH) {
            pf_log_errno(PF_LOG_WARNING, errno, "kill(%d, %s) failed",
                         (int) a->kids[i].pid, pf__signame(signo));
        }
    }
}


static void
default_action(pf_arbiter *a, int signo)
{
    switch (signo) {
    case SIGHUP:
        pf_log(PF_LOG_INFO, "Hang up: %s", a->master_name);
        pf_arbiter_reload(a);
        break;
    case SIGTERM:
        pf_arbiter_stop(a, 1);
        break;
    case SIGINT:
    case SIGQUIT:
        pf_arbiter_stop(a, 0);
        break;
    case SIGTTIN:
        pf_arbiter_set_workers(a, a->target + 1);
        break;
    case SIGTTOU:
        if (a->target > 1) {
            pf_arbiter_set_workers(a, a->target - 1);
        }
        break;
    case SIGUSR1:
        signal_workers(a, SIGUSR1);
        break;
    case SIGUSR2:
        pf__reexec(a);
        break;
    case SIGWINCH:
        if (a->daemonized) {
            pf_log(PF_LOG_INFO, "graceful stop of workers");
            pf_arbiter_set_workers(a, 0);
        } else {
            pf_log(PF_LOG_DEBUG, "SIGWINCH ignored. Not daemonized");
        }
        break;
    }
}


static void
handle_signals(pf_arbiter *a)
{
    int  signo;

    while ((signo = pf_sigqueue_next()) > 0) {
        if (signo == SIGCHLD) {
            reap(a);
            continue;
        }
        pf_log(PF_LOG_INFO, "Handling signal: %s", pf__signame(signo));
        if (a->ops->on_signal && a->ops->on_signal(a, signo, a->ud) == 1) {
            continue;
        }
        default_action(a, signo);
    }
}


/* ---- heartbeats -------------------------------------------------------- */

static void
murder_lazy_workers(pf_arbiter *a, long long now)
{
    pf__beat  *b;
    size_t     i;

    /* The loop runs every second; a longer gap means the master (or the
     * whole machine) was stopped, and beats are stale through no fault of
     * the workers.  Judge them again from now. */
    if (a->cfg.timeout != 0
        && now - a->last_pass_ms > (long long) a->cfg.timeout * 1000 + PASS_MS)
    {
        pf_log(PF_LOG_WARNING, "master was suspended for %lld ms; not timing"
               " out workers for that time", now - a->last_pass_ms);
        a->grace_since_ms = now;
    }
    a->last_pass_ms = now;

    for (i = 0; i < a->nkids; i++) {
        pf__kid *k = &a->kids[i];

        if (k->killed) {
            continue;
        }
        if (k->aborted) {
            if (now - k->abort_ms >= ABORT_GRACE_MS) {
                kill(k->pid, SIGKILL);
                k->killed = 1;
            }
            continue;
        }
        b = pf__heart_slot(&a->heart, k->hb);
        if (pf__heart_late(atomic_load_explicit(&b->beat_ms,
                                                memory_order_relaxed),
                           a->grace_since_ms, now, k->timeout))
        {
            pf_log(PF_LOG_CRITICAL, "WORKER TIMEOUT (pid:%d)", (int) k->pid);
            kill(k->pid, SIGABRT);
            k->aborted = 1;
            k->abort_ms = now;
        }
    }
}


/* ---- keeping the count ------------------------------------------------- */

static void
refresh_booted(pf_arbiter *a)
{
    char    buf[64];
    size_t  i;

    while (read(a->notify[0], buf, sizeof(buf)) > 0) {
        /* drained: the flags themselves are in shared memory */
    }
    for (i = 0; i < a->nkids; i++) {
        kid_booted(a, &a->kids[i]);
    }
}


static int
free_slot(pf_arbiter *a)
{
    size_t  i;
    int     slot;

    for (slot = 0; ; slot++) {
        for (i = 0; i < a->nkids; i++) {
            if (a->kids[i].gen == a->gen && !a->kids[i].stopping
                && a->kids[i].slot == slot)
            {
                break;
            }
        }
        if (i == a->nkids) {
            return slot;
        }
    }
}


/* The oldest running worker (lowest age) matching the filter. */
static pf__kid *
oldest(pf_arbiter *a, int current_gen)
{
    pf__kid  *best = NULL;
    size_t    i;

    for (i = 0; i < a->nkids; i++) {
        pf__kid *k = &a->kids[i];

        if (k->stopping || (k->gen == a->gen) != current_gen) {
            continue;
        }
        if (best == NULL || k->age < best->age) {
            best = k;
        }
    }
    return best;
}


static void
retire(pf__kid *k)
{
    kill(k->pid, SIGTERM);
    k->stopping = 1;
}


static void
manage_workers(pf_arbiter *a, long long now)
{
    pf__kid  *k;
    size_t    i;
    int       current = 0, booted = 0, old = 0, allowed_old;

    for (i = 0; i < a->nkids; i++) {
        k = &a->kids[i];
        if (k->stopping) {
            continue;
        }
        if (k->gen == a->gen) {
            current++;
            booted += k->booted;
        } else {
            old++;
        }
    }
    while (current < a->target && now >= a->spawn_after_ms) {
        if (pf__spawn(a, free_slot(a)) == -1) {
            a->spawn_after_ms = now + 1000;   /* fork failed: retry later */
            break;
        }
        current++;
    }
    while (current > a->target && (k = oldest(a, 1)) != NULL) {
        retire(k);
        current--;
    }
    /* Reload: the old generation stops only once the whole new one has
     * booted, so the server never has fewer booted workers than wanted and
     * a new generation that fails halfway can be rolled back without loss. */
    allowed_old = booted >= a->target ? 0 : old;
    while (old > allowed_old && (k = oldest(a, 0)) != NULL) {
        retire(k);
        old--;
    }
}


static int
all_booted(pf_arbiter *a)
{
    size_t  i;
    int     n = 0;

    for (i = 0; i < a->nkids; i++) {
        n += a->kids[i].gen == a->gen && a->kids[i].booted;
    }
    return n >= a->target;
}


static int
any_booted(pf_arbiter *a)
{
    size_t  i;

    for (i = 0; i < a->nkids; i++) {
        if (a->kids[i].booted && !a->kids[i].stopping) {
            return 1;
        }
    }
    return 0;
}


/* -D's launcher returns once everything booted, or once the server serves
 * while a failing boot is being retried; PF_EVENT_READY says the same once
 * per generation (the retry escape only counts at start-up: the flag stays
 * set, and old workers serve during a reload). */
static void
note_ready(pf_arbiter *a)
{
    int  all = all_booted(a);

    if (!all && !(a->boot_retrying && any_booted(a))) {
        return;
    }
    if (a->ready_fd >= 0) {
        pf_daemon_ready(a->ready_fd, 0);
        a->ready_fd = -1;
    }
    if (a->ready_gen != a->gen + 1 && (all || a->ready_gen == 0)) {
        a->ready_gen = a->gen + 1;
        pf__event(a, PF_EVENT_READY);
    }
}


/* PF_EVENT_TICK for periodic work (gunicorn's loop sends its backlog
 * metric on each pass): at most once a second, and only when somebody
 * listens. */
static void
note_tick(pf_arbiter *a, long long now)
{
    if ((a->sub_mask & PF_EVENT_TICK) == 0 || now - a->tick_ms < PASS_MS) {
        return;
    }
    a->tick_ms = now;
    pf__event(a, PF_EVENT_TICK);
}


/* ---- stopping ---------------------------------------------------------- */

static void
kill_survivors(pf_arbiter *a, long long now)
{
    size_t  i;

    if (now < a->stop_deadline) {
        return;
    }
    for (i = 0; i < a->nkids; i++) {
        if (!a->kids[i].killed) {
            pf_log(PF_LOG_WARNING, "Worker (pid:%d) did not stop within the"
                   " graceful timeout; killing it", (int) a->kids[i].pid);
            kill(a->kids[i].pid, SIGKILL);
            a->kids[i].killed = 1;
        }
    }
}


static void
finish(pf_arbiter *a)
{
    pf__close_listeners(a);
    if (a->pidfile != NULL) {
        pf_pidfile_remove(a->pidfile, a->pid);
    }
    pf_log(a->status ? PF_LOG_ERROR : PF_LOG_INFO, "Shutting down: %s",
           a->master_name);
    if (a->reason != NULL) {
        pf_log(a->status ? PF_LOG_ERROR : PF_LOG_INFO, "Reason: %s", a->reason);
    }
    if (a->ops->master_exit) {
        a->ops->master_exit(a, a->ud);
    }
    if (a->ready_fd >= 0) {
        pf_daemon_ready(a->ready_fd, a->status);
        a->ready_fd = -1;
    }
}


/* ---- the loop ---------------------------------------------------------- */

static int
next_timeout(pf_arbiter *a, long long now)
{
    long long  t = now + PASS_MS;
    size_t     i;

    if (a->state == PF__STOPPING && a->stop_deadline < t) {
        t = a->stop_deadline;
    }
    if (a->spawn_after_ms > now && a->spawn_after_ms < t) {
        t = a->spawn_after_ms;
    }
    /* A pass woken early by a signal must not push the next tick back. */
    if ((a->sub_mask & PF_EVENT_TICK) && a->state == PF__RUNNING
        && a->tick_ms + PASS_MS < t)
    {
        t = a->tick_ms + PASS_MS;
    }
    for (i = 0; i < a->nkids; i++) {
        if (a->kids[i].aborted && !a->kids[i].killed
            && a->kids[i].abort_ms + ABORT_GRACE_MS < t)
        {
            t = a->kids[i].abort_ms + ABORT_GRACE_MS;
        }
    }
    return t <= now ? 0 : (int) (t - now);
}


static void
wait_for_event(pf_arbiter *a, long long now)
{
    struct pollfd  p[2];

    p[0].fd = pf_sigqueue_fd();
    p[0].events = POLLIN;
    p[1].fd = a->notify[0];
    p[1].events = POLLIN;
    if (poll(p, 2, next_timeout(a, now)) == -1 && errno != EINTR) {
        pf_log_errno(PF_LOG_ERROR, errno, "poll() failed");
    }
}


int
pf_arbiter_run(pf_arbiter *a)
{
    long long  now;

    if (start(a) == -1) {
        if (a->status == 0) {
            a->status = 1;
        }
        finish(a);
        return a->status;
    }
    for ( ;; ) {
        pf__maybe_promote(a);
        reap(a);
        handle_signals(a);
        refresh_booted(a);
        now = pf__now_ms();
        if (a->state == PF__STOPPING) {
            if (a->nkids == 0) {
                break;
            }
            kill_survivors(a, now);
        } else {
            murder_lazy_workers(a, now);
            manage_workers(a, now);
            note_ready(a);
            note_tick(a, now);
        }
        wait_for_event(a, now);
    }
    finish(a);
    return a->status;
}

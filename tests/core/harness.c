#include "harness.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

typedef struct tw_ctx {
    int      rec;       /* write end */
    int      gate;      /* read end of the gate, or -1 */
    th_opts  o;
    int      gen1;      /* spawned after the first generation booted */
    int      spawned;
} tw_ctx;

static tw_ctx  ctx;
static char    logbuf[8192];        /* th_log_capture() */


static void
report(char kind, int slot, int status, unsigned age, unsigned flags)
{
    th_rec  r;

    memset(&r, 0, sizeof(r));
    r.kind = kind;
    r.slot = slot;
    r.pid = (int) getpid();
    r.status = status;
    r.age = age;
    r.flags = flags;
    while (write(ctx.rec, &r, sizeof(r)) == -1 && errno == EINTR) {
        /* retry */
    }
}


static int
behaviour(void)
{
    if (ctx.gen1 && ctx.o.behave_gen1 >= 0) {
        return ctx.o.behave_gen1;
    }
    return ctx.o.behave;
}


static int
tw_init(pf_worker *w, void *ud)
{
    (void) ud;
    char  c;

    report('I', pf_worker_slot(w), 0, pf_worker_age(w), 0);
    if (behaviour() == TW_BOOT_FAIL
        && (ctx.o.fail_slot < 0 || ctx.o.fail_slot == pf_worker_slot(w)))
    {
        if (ctx.o.gated && read(ctx.gate, &c, 1) == -1) {
            return 99;                  /* EOF (the test opened it) is 0 */
        }
        return ctx.o.arg;
    }
    return 0;
}


static void
serve_one(int c, int hold)
{
    char  buf[32];
    int   n;

    if (hold) {
        /* An in-flight request: it completes only when the client says. */
        report('A', 0, 0, 0, 0);
        if (read(c, buf, 1) == 1 && read(c, buf, 1) == 1) {
            n = snprintf(buf, sizeof(buf), "done\n");
            if (write(c, buf, (size_t) n) != n) {
                /* client gone */
            }
        }
    } else {
        n = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
        if (write(c, buf, (size_t) n) != n) {
            /* client gone */
        }
    }
    close(c);
}


static int
tw_run(pf_worker *w, void *ud)
{
    const int     *ls = pf_worker_listeners(w, NULL);
    struct pollfd  p[2];
    unsigned       st;
    int            b = behaviour(), c;

    (void) ud;
    if (b == TW_LOAD) {
        pf_worker_set_load(w, 10 + (unsigned) pf_worker_slot(w));
    }
    report('B', pf_worker_slot(w), 0, pf_worker_age(w), 0);
    if (b == TW_HANG && ctx.o.arg == 1) {
        sigset_t  abrt;

        /* A hang that even SIGABRT cannot end: needs the SIGKILL pass. */
        sigemptyset(&abrt);
        sigaddset(&abrt, SIGABRT);
        sigprocmask(SIG_BLOCK, &abrt, NULL);
    }
    if (b == TW_CRASH) {
        _exit(ctx.o.arg);
    }
    p[0].fd = pf_worker_fd(w);
    p[0].events = POLLIN;
    p[1].fd = ls[0];
    p[1].events = POLLIN;
    for ( ;; ) {
        if (b != TW_HANG) {
            pf_worker_heartbeat(w);
        }
        st = pf_worker_poll(w);
        if (st & PF_WORKER_REOPEN) {
            report(b == TW_LOAD ? 'L' : 'R', pf_worker_slot(w),
                   (int) pf_worker_min_load(w), 0, 0);
        }
        if (st & PF_WORKER_EXIT) {
            report('Q', 0, 0, 0, 0);
            return 0;
        }
        if ((st & PF_WORKER_DRAIN) && b != TW_IGNORE_TERM) {
            report('D', 0, 0, 0, 0);
            return 0;
        }
        if (poll(p, 2, b == TW_HANG ? -1 : pf_worker_timeout_ms(w)) > 0
            && (p[1].revents & POLLIN))
        {
            c = accept4(ls[0], NULL, NULL, SOCK_CLOEXEC);
            if (c != -1) {
                serve_one(c, b == TW_HOLD);
            }
        }
    }
}


static void
tw_event(pf_arbiter *a, int event, void *ud)
{
    (void) a; (void) ud;
    report('V', 0, event, 0, 0);
}


/* ud: the subscriber's number, for 'S' records. */
static void
tw_sub_event(pf_arbiter *a, int event, void *ud)
{
    (void) a;
    report('S', (int) (long) ud, event, 0, 0);
}


/* age: ms since the first tick, by the master's clock. */
static void
tw_tick(pf_arbiter *a, int event, void *ud)
{
    static int        n;
    static long long  first;
    long long         now = th_now_ms();

    (void) ud;
    if (n == 0) {
        first = now;
    }
    report('K', 0, ++n, (unsigned) (now - first), (unsigned) event);
    if (n == ctx.o.ticks) {
        report('U', 0, pf_arbiter_unsubscribe(a, tw_tick, NULL), 0, 0);
    }
}


static int
tw_master_init(pf_arbiter *a, void *ud)
{
    long  i;

    (void) ud;
    if (ctx.o.events) {
        pf_arbiter_on_event(a, tw_event, NULL);
    }
    for (i = 0; i < ctx.o.subscribers; i++) {
        if (pf_arbiter_subscribe(a, PF_EVENT_READY, tw_sub_event,
                                 (void *) i) != 0)
        {
            return 97;
        }
    }
    if (ctx.o.ticks > 0
        && pf_arbiter_subscribe(a, PF_EVENT_TICK, tw_tick, NULL) != 0)
    {
        return 96;
    }
    report('M', 0, 0, 0, 0);
    return ctx.o.master_init_status;
}


static void
tw_pre_fork(pf_arbiter *a, int slot, unsigned age, void *ud)
{
    (void) a; (void) slot; (void) age; (void) ud;
    ctx.gen1 = ctx.spawned >= ctx.o.workers;
    ctx.spawned++;
}


static void
tw_worker_exit(pf_arbiter *a, const pf_worker_exit *st, void *ud)
{
    th_rec  r;

    (void) a; (void) ud;
    memset(&r, 0, sizeof(r));
    r.kind = 'X';
    r.slot = st->slot;
    r.pid = (int) st->pid;
    r.status = st->status;
    r.age = st->age;
    r.flags = (st->booted ? 1u : 0u) | (st->timed_out ? 2u : 0u);
    while (write(ctx.rec, &r, sizeof(r)) == -1 && errno == EINTR) {
        /* retry */
    }
}


static int
tw_on_signal(pf_arbiter *a, int signo, void *ud)
{
    const char  *addrs[1];

    (void) ud;
    if (signo == SIGHUP
        && (ctx.o.reconf_pidfile != NULL || ctx.o.reconf_proc_name != NULL))
    {
        pf_config  cfg;

        pf_config_init(&cfg);
        cfg.workers = ctx.o.workers;
        cfg.timeout = ctx.o.timeout;
        cfg.graceful_timeout = ctx.o.graceful_timeout;
        cfg.pidfile = ctx.o.reconf_pidfile;
        cfg.proc_name = ctx.o.reconf_proc_name;
        cfg.bind_attempts = 1;
        report('C', 0, pf_arbiter_reconfigure(a, &cfg) == 0 ? 0 : -errno,
               0, 0);
    }
    if (signo == SIGHUP && ctx.o.rebind_to != NULL) {
        addrs[0] = ctx.o.rebind_to;
        report('H', 0, pf_arbiter_rebind(a, addrs, 1), 0, 0);
    }
    if (signo == SIGUSR2 && ctx.o.usr2_timeout > 0) {
        pf_arbiter_set_timeouts(a, (unsigned) ctx.o.usr2_timeout, 5);
        report('T', 0, 0, 0, 0);
        return 1;
    }
    if (signo == SIGTTIN && ctx.o.argv != NULL) {       /* USR2 tests */
        report('P', 0, (int) pf_arbiter_reexec_pid(a), 0, 0);
    }
    return 0;
}


static void
tw_master_exit(pf_arbiter *a, void *ud)
{
    (void) a; (void) ud;
    report('E', 0, 0, 0, 0);
}


static const pf_worker_ops tw_ops = {
    .version = PF_WORKER_OPS_VERSION,
    .name = "test",
    .master_init = tw_master_init,
    .on_signal = tw_on_signal,
    .pre_fork = tw_pre_fork,
    .worker_exit = tw_worker_exit,
    .master_exit = tw_master_exit,
    .init = tw_init,
    .run = tw_run,
};


void
th_opts_init(th_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->workers = 2;
    o->timeout = 30;
    o->graceful_timeout = 10;
    o->behave_gen1 = -1;
    o->fail_slot = -1;
}


static int
run_master(const th_opts *o, const char *addr)
{
    pf_config    cfg;
    pf_arbiter  *a;
    int          status;

    pf_config_init(&cfg);
    cfg.workers = o->workers;
    cfg.timeout = o->timeout;
    cfg.graceful_timeout = o->graceful_timeout;
    cfg.pidfile = o->pidfile;
    cfg.argv = o->argv ? o->argv : o->title_argv;
    cfg.daemonize = o->daemonize;
    cfg.keep_stdio = o->daemonize;
    cfg.env_prefix = o->env_prefix;
    cfg.bind_attempts = 1;
    ctx.o = *o;
    if (o->systemd && getenv("LISTEN_FDS") == NULL) {
        char  pid[16];
        int   fd = pf_listen(addr, 16, 0);

        /* What systemd would hand over: the socket at fd 3. */
        if (fd == -1 || dup2(fd, 3) == -1) {
            return 98;
        }
        close(fd);
        snprintf(pid, sizeof(pid), "%d", (int) getpid());
        setenv("LISTEN_FDS", "1", 1);
        setenv("LISTEN_PID", pid, 1);
    }
    a = pf_arbiter_new(&cfg, &tw_ops, NULL);
    if (a == NULL) {
        return 99;
    }
    if (pf_arbiter_listen(a, addr) == -1) {
        pf_arbiter_free(a);
        return 1;                       /* as a real main() would */
    }
    status = pf_arbiter_run(a);
    pf_arbiter_free(a);
    return status;
}


int
th_master_start(th_master *m, const th_opts *o)
{
    char   *dir = th_tmpdir();
    int     rp[2], lp[2], gp[2] = { -1, -1 };

    memset(m, 0, sizeof(*m));
    if (dir == NULL || pipe2(rp, O_CLOEXEC) == -1 || pipe2(lp, O_CLOEXEC) == -1
        || (o->gated && pipe2(gp, O_CLOEXEC) == -1))
    {
        free(dir);
        return -1;
    }
    snprintf(m->dir, sizeof(m->dir), "%s", dir);
    free(dir);
    snprintf(m->addr, sizeof(m->addr), "unix:%s/s.sock", m->dir);
    m->pid = fork();
    if (m->pid == -1) {
        return -1;
    }
    if (m->pid == 0) {
        close(rp[0]);
        close(lp[0]);
        if (gp[1] != -1) {
            close(gp[1]);
        }
        dup2(lp[1], 2);
        ctx.rec = rp[1];
        ctx.gate = gp[0];
        if (o->argv != NULL) {
            /* The re-executed master finds the record pipe here. */
            ctx.rec = dup2(rp[1], TH_REEXEC_RECFD);
            ((char **) o->argv)[3] = m->addr;  /* th_master_main's layout */
        }
        _exit(run_master(o, m->addr));
    }
    close(rp[1]);
    close(lp[1]);
    if (gp[0] != -1) {
        close(gp[0]);
    }
    m->gate = gp[1];
    m->rec = rp[0];
    m->log = lp[0];
    fcntl(m->log, F_SETFL, O_NONBLOCK);
    return 0;
}


static int
take_backlog(th_master *m, char kind, th_rec *out)
{
    size_t  i;

    for (i = 0; i < m->nbacklog; i++) {
        if (kind == 0 || m->backlog[i].kind == kind) {
            if (out != NULL) {
                *out = m->backlog[i];
            }
            memmove(&m->backlog[i], &m->backlog[i + 1],
                    (m->nbacklog - i - 1) * sizeof(th_rec));
            m->nbacklog--;
            return 0;
        }
    }
    return -1;
}


int
th_expect(th_master *m, char kind, th_rec *out, int ms)
{
    long long  end = th_now_ms() + ms;
    th_rec     r;

    if (take_backlog(m, kind, out) == 0) {
        return 0;
    }
    for ( ;; ) {
        long long left = end - th_now_ms();

        if (left < 0 || th_read_n(m->rec, &r, sizeof(r), (int) left)
                        != (ssize_t) sizeof(r))
        {
            return -1;
        }
        if (r.kind == kind) {
            if (out != NULL) {
                *out = r;
            }
            return 0;
        }
        if (m->nbacklog < sizeof(m->backlog) / sizeof(m->backlog[0])) {
            m->backlog[m->nbacklog++] = r;
        }
    }
}


/* Read what the master logged so far; 0 once its stderr reached EOF. */
static int
drain_log(th_master *m)
{
    ssize_t  r;

    for ( ;; ) {
        if (m->loglen >= sizeof(m->logbuf) - 1) {
            return 1;
        }
        r = read(m->log, m->logbuf + m->loglen,
                 sizeof(m->logbuf) - 1 - m->loglen);
        if (r > 0) {
            m->loglen += (size_t) r;
            m->logbuf[m->loglen] = '\0';
            continue;
        }
        m->logbuf[m->loglen] = '\0';
        return r == 0 ? 0 : 1;
    }
}


int
th_expect_log(th_master *m, const char *s, int ms)
{
    long long  end = th_now_ms() + ms;
    long long  left;
    int        open_;

    for ( ;; ) {
        open_ = drain_log(m);
        if (strstr(m->logbuf, s) != NULL) {
            return 0;
        }
        left = end - th_now_ms();
        if (!open_ || left <= 0) {
            return -1;
        }
        th_readable(m->log, (int) left);
    }
}


void
th_open_gate(th_master *m)
{
    if (m->gate != -1) {
        close(m->gate);                 /* EOF releases every waiter */
        m->gate = -1;
    }
}


void
th_forget(th_master *m)
{
    m->nbacklog = 0;
}


int
th_next(th_master *m, th_rec *out, int ms)
{
    if (take_backlog(m, 0, out) == 0) {
        return 0;
    }
    return th_read_n(m->rec, out, sizeof(*out), ms) == (ssize_t) sizeof(*out)
           ? 0 : -1;
}


int
th_master_wait(th_master *m, int ms)
{
    int  status;

    if (th_wait(m->pid, &status, ms) != m->pid) {
        return -1;
    }
    m->pid = 0;
    drain_log(m);
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return 128 + WTERMSIG(status);
}


void
th_master_cleanup(th_master *m)
{
    if (m->pid > 0) {
        kill(m->pid, SIGKILL);
        th_wait(m->pid, NULL, 5000);
    }
    close(m->rec);
    close(m->log);
    th_open_gate(m);
    th_rmrf(m->dir);
}


int
th_ask_pid(th_master *m)
{
    char  buf[32];
    int   fd = th_connect(m->addr);

    if (fd == -1) {
        return -1;
    }
    if (th_read_all(fd, buf, sizeof(buf), 5000) <= 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return atoi(buf);
}


/* argv: --master RECFD ADDR WORKERS PREFIX PIDFILE|- */
int
th_master_main(int argc, char **argv)
{
    th_opts  o;

    if (argc < 7) {
        return 98;
    }
    th_opts_init(&o);
    ctx.rec = atoi(argv[2]);
    o.workers = atoi(argv[4]);
    o.env_prefix = argv[5];
    o.pidfile = strcmp(argv[6], "-") ? argv[6] : NULL;
    o.argv = argv;
    return run_master(&o, argv[3]);
}


static void
capture(int level, const char *msg, void *ud)
{
    size_t  n = strlen(logbuf);

    (void) level; (void) ud;
    snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}


void
th_log_capture(void)
{
    logbuf[0] = '\0';
    pf_log_set(capture, NULL, PF_LOG_DEBUG);
}


void
th_log_release(void)
{
    pf_log_set(NULL, NULL, PF_LOG_INFO);
}


void
th_log_clear(void)
{
    logbuf[0] = '\0';
}


const char *
th_logged(void)
{
    return logbuf;
}

/*
 * systemd: sd_notify(3) messages from the master and socket activation.
 *
 * gunicorn sends one "READY=1" when its listeners exist.  Here the master
 * tells what it does through the whole life of the service:
 *
 *   READY=1        once every worker of the first generation booted
 *                  (PF_EVENT_READY), and again after each reload
 *   RELOADING=1    at SIGHUP (with MONOTONIC_USEC, as Type=notify-reload
 *                  wants), READY=1 following once the new generation is up
 *                  or at once when the new configuration was refused
 *   STOPPING=1     at SIGTERM, SIGINT, SIGQUIT
 *   MAINPID=N      when a master stops while its USR2 child runs (the
 *                  upgrade is committed: the child is the service now), and
 *                  from the child itself once promoted (gunicorn #2856)
 *
 * A USR2 child says nothing until it is promoted: its parent is still the
 * service's main process, and under NotifyAccess=all a READY or STOPPING of
 * its own (a rollback sends it SIGTERM) would be taken for the service's.
 * The old master's MAINPID= comes from the main pid, so NotifyAccess=main
 * suffices when the upgrade is committed with SIGTERM/SIGQUIT/SIGINT; the
 * promoted master's own MAINPID= only counts under NotifyAccess=all (its
 * old master died some other way).
 *
 * Messages are single datagrams; a failure is logged at DEBUG, as gunicorn
 * does, and never stops the server.
 */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <prefork/arbiter.h>
#include <prefork/sockets.h>

static int          (*inner_master_init)(pf_arbiter *a, void *ud);
static int          (*inner_on_signal)(pf_arbiter *a, int signo, void *ud);
static const pf_worker_ops  *table;      /* its name: the worker kind, for
                                            STATUS (a HUP may change it) */
static int            ready_seen;        /* a generation booted */
static int            reloaded;          /* READY after a HUP */
static int            stopping;          /* STOPPING=1 or MAINPID= sent */


/* NOTIFY_SOCKET as a sockaddr: "/path" or "@abstract".  -1 when unset or
 * unusable (the reason logged at DEBUG). */
static int
notify_addr(struct sockaddr_un *sun, socklen_t *len)
{
    const char  *e = getenv("NOTIFY_SOCKET");
    size_t       n;

    if (e == NULL || e[0] == '\0') {
        return -1;
    }
    n = strlen(e);
    if ((e[0] != '/' && e[0] != '@') || n >= sizeof(sun->sun_path)) {
        pf_log(PF_LOG_DEBUG, "sd_notify: unsupported NOTIFY_SOCKET '%s'", e);
        return -1;
    }
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, e, n);
    if (e[0] == '@') {
        sun->sun_path[0] = '\0';             /* abstract namespace */
    }
    *len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n
                        + (e[0] == '/'));
    return 0;
}


int
pfw_sd_notify(const char *state)
{
    struct sockaddr_un  sun;
    socklen_t           len;
    ssize_t             r;
    int                 fd, e;

    if (notify_addr(&sun, &len) != 0) {
        return 0;
    }
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        pf_log_errno(PF_LOG_DEBUG, errno, "sd_notify: socket() failed");
        return -1;
    }
    do {
        r = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
                   (struct sockaddr *) &sun, len);
    } while (r == -1 && errno == EINTR);
    e = errno;
    close(fd);
    if (r == -1) {
        pf_log_errno(PF_LOG_DEBUG, e, "sd_notify: sendto(%s) failed",
                     getenv("NOTIFY_SOCKET"));
        errno = e;
        return -1;
    }
    return 1;
}


static void
notifyf(const char *fmt, ...)
{
    char     msg[512];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pfw_sd_notify(msg);
}


static unsigned long long
monotonic_usec(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long) ts.tv_sec * 1000000ULL
           + (unsigned long long) ts.tv_nsec / 1000ULL;
}


static void
on_event(pf_arbiter *a, int event, void *ud)
{
    int          n = pf_arbiter_workers(a);
    const char  *kind = table->name != NULL ? table->name : "custom";

    (void) ud;
    switch (event) {
    case PF_EVENT_READY:
        ready_seen = 1;
        if (pf_arbiter_parent_pid(a) != 0 || stopping) {
            return;                        /* not the service's main pid */
        }
        notifyf("READY=1\nSTATUS=%s: %d %s worker%s serving",
                reloaded ? "Reloaded" : "Ready", n, kind, n == 1 ? "" : "s");
        return;
    case PF_EVENT_PROMOTED:
        /* Without a READY of its own yet, the generation's READY event
         * (now no longer silenced) will say it. */
        notifyf("MAINPID=%d\n%sSTATUS=Master has been promoted: %d %s "
                "worker%s", (int) pf_arbiter_pid(a),
                ready_seen ? "READY=1\n" : "", n, kind, n == 1 ? "" : "s");
        return;
    }
}


static int
wrap_master_init(pf_arbiter *a, void *ud)
{
    int  r = inner_master_init != NULL ? inner_master_init(a, ud) : 0;

    if (r == 0) {
        pf_arbiter_on_event(a, on_event, ud);
    }
    return r;
}


static int
wrap_on_signal(pf_arbiter *a, int signo, void *ud)
{
    pid_t  child;
    int    r, quiet = pf_arbiter_parent_pid(a) != 0 || stopping;

    switch (signo) {
    case SIGHUP:
        if (!quiet) {
            notifyf("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=Reloading",
                    monotonic_usec());
        }
        r = inner_on_signal != NULL ? inner_on_signal(a, signo, ud) : 0;
        if (r == 1 && !quiet) {
            /* the new configuration was refused: nothing restarts */
            notifyf("READY=1\nSTATUS=Reload failed: the previous "
                    "configuration is kept");
        }
        reloaded = 1;
        return r;
    case SIGTERM:
    case SIGINT:
    case SIGQUIT:
        if (!quiet) {
            child = pf_arbiter_reexec_pid(a);
            if (child > 0) {
                /* the upgrade is committed: the new master is the service */
                notifyf("MAINPID=%d\nSTATUS=Handing over to the new master "
                        "(pid %d)", (int) child, (int) child);
            } else {
                notifyf("STOPPING=1\nSTATUS=Stopping");
            }
            stopping = 1;
        }
        break;
    }
    return inner_on_signal != NULL ? inner_on_signal(a, signo, ud) : 0;
}


void
pfw_lifecycle_ops(pf_worker_ops *ops, const pfw_app *app)
{
    if (app->daemon && getenv("NOTIFY_SOCKET") != NULL) {
        pf_log(PF_LOG_WARNING, "Warning: you shouldn't specify `daemon = "
               "True` when launching by systemd with `Type = notify`");
    }
    table = ops;
    inner_master_init = ops->master_init;
    inner_on_signal = ops->on_signal;
    ops->master_init = wrap_master_init;
    ops->on_signal = wrap_on_signal;
}


/* ---- socket activation ------------------------------------------------- */

int
pfw_systemd_listen_fds(void)
{
    const char  *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
    char        *end;
    long         p, n;

    if (pid == NULL || fds == NULL) {
        return 0;
    }
    p = strtol(pid, &end, 10);
    if (*end != '\0' || p != (long) getpid()) {
        return 0;
    }
    n = strtol(fds, &end, 10);
    if (*end != '\0' || n < 0 || n > 64) {
        return 0;                          /* pf_arbiter_new() says why */
    }
    return (int) n;
}


int
pfw_systemd_claims(const char *addr, int nfds)
{
    int  fd;

    for (fd = 3; fd < 3 + nfds; fd++) {
        if (pf_listen_matches(fd, addr) == 1) {
            return 1;
        }
    }
    return 0;
}


/* gunicorn serves the sockets systemd passed and binds nothing else; so
 * does this, except that an address one of those sockets is bound to is
 * taken (pf_arbiter_listen() reuses it).  Without systemd every address is
 * bound, a USR2 parent's socket being reused the same way. */
int
pfw_listen_all(pf_arbiter *a, char *const *addrs, size_t n, int sd_fds,
               int explicit_)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (sd_fds > 0 && !pfw_systemd_claims(addrs[i], sd_fds)) {
            pf_log(explicit_ ? PF_LOG_INFO : PF_LOG_DEBUG, "Not binding %s: "
                   "serving the sockets systemd passed (LISTEN_FDS=%d)",
                   addrs[i], sd_fds);
            continue;
        }
        if (pf_arbiter_listen(a, addrs[i]) != 0) {
            return -1;
        }
    }
    return 0;
}

/*
 * What every worker kind shares (both sides of the fork), and the sync
 * kind: one connection at a time, Connection: close, poll() on the
 * listeners and the control fd with the GIL released.
 *
 * Without --preload the master never starts Python; with it the app is
 * imported in the master and every fork is bracketed by PyOS_BeforeFork /
 * PyOS_AfterFork_Parent / PyOS_AfterFork_Child.
 */
#include "internal.h"
#include "lifecycle.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <prefork/arbiter.h>


/* gunicorn's order: nworkers_changed(n, None), preload, on_starting,
 * when_ready (here the listeners are already bound). */
int
pfw_master_init(pf_arbiter *a, void *ud)
{
    pfw_app  *app = ud;
    int       rc;

    if (pfw_interp_live()) {
        pf_log(PF_LOG_DEBUG, "Python interpreter live in the master "
               "(pid %d)", (int) getpid());
        pfw_interp_enter();
        pfw_hooks_master_start(a);
        pfw_hooks_nworkers(app->workers, -1);
    }
    if (app->preload) {
        if (pfw_interp_start(app) != 0) {
            return PF_EXIT_BOOT;
        }
        rc = pfw_app_load(app);
        if (rc != 0) {
            return rc;
        }
    }
    if (pfw_interp_live()) {
        pfw_hooks_server(PFW_H_ON_STARTING);
        pfw_hooks_server(PFW_H_WHEN_READY);
    }
    pfw_interp_release();
    return 0;
}


void
pfw_pre_fork(pf_arbiter *a, int slot, unsigned age, void *ud)
{
    (void) a;
    (void) slot;
    (void) ud;
    if (pfw_interp_live()) {
        pfw_interp_enter();
        pfw_hooks_pre_fork(age);
    }
    pfw_interp_before_fork();
}


void
pfw_post_fork(pf_arbiter *a, int slot, pid_t pid, void *ud)
{
    (void) a;
    (void) slot;
    (void) ud;
    if (!pfw_interp_live()) {
        return;
    }
    pfw_interp_after_fork_parent();
    pfw_interp_enter();
    pfw_hooks_forked(pid);
    pfw_interp_release();
}


/* --reload's watcher is set up before the app is imported (a SyntaxError
 * then becomes a 500 page) and starts once the app is there. */
static int
load(const pfw_app *app)
{
    pfw_reloader_prepare(app);
    return pfw_app_load(app);
}


/* The worker's interpreter and app: inherited (a config file, preload) or
 * made here.  post_fork runs first: after the privilege drop, unlike
 * gunicorn's, which runs before it. */
int
pfw_worker_boot(pf_worker *w, const pfw_app *app)
{
    int  rc;

    if (pfw_interp_live()) {
        pfw_interp_after_fork_child();
        pf_log(PF_LOG_DEBUG, "Python interpreter inherited from the master");
        pfw_hooks_worker_start(w);
        rc = 0;
        if (pfw_app_callable() == NULL) {   /* not preloaded */
            rc = pfw_interp_start(app) != 0 ? PF_EXIT_BOOT : load(app);
        } else {
            pfw_reloader_prepare(app);
        }
    } else {
        pf_log(PF_LOG_DEBUG, "Python interpreter started in the worker");
        rc = pfw_interp_start(app) != 0 ? PF_EXIT_BOOT : load(app);
    }
    if (rc == 0) {
        pfw_reloader_start(app);
        pfw_hooks_worker_ready();
    }
    return rc;
}


int
pfw_worker_server(pfw_server *srv, pf_worker *w, const pfw_app *app,
                  int multithread)
{
    const int  *fds;
    size_t      n = 0;

    fds = pf_worker_listeners(w, &n);
    if (pfw_server_init(srv, app, w, fds, n, multithread) != 0) {
        return PF_EXIT_BOOT;
    }
    return 0;
}


void
pfw_worker_fini(pf_worker *w, void *ud)
{
    (void) ud;
    if (pfw_interp_live()) {
        pfw_hooks_worker_exit(w);
    }
    pfw_interp_flush();
}


/* ---- sync ---------------------------------------------------------------- */

static pfw_server  sync_srv;
static pfw_conn    sync_conn;


static int
sync_init(pf_worker *w, void *ud)
{
    int  rc;

    rc = pfw_worker_boot(w, ud);
    if (rc == 0) {
        rc = pfw_worker_server(&sync_srv, w, ud, 0);
    }
    sync_srv.keepalive = 0;          /* gunicorn's sync: always close */
    return rc;
}


/* Accept one connection from a readable listener and serve it whole:
 * 1 when there may be more, 0 when the queue is empty, -1 when accept4()
 * failed for want of resources (EMFILE...: pause accepting). */
static int
sync_accept(pfw_server *srv, size_t i)
{
    struct sockaddr_storage  ss;
    socklen_t                len = sizeof(ss);
    int                      fd;

    fd = accept4(srv->ls[i].fd, (struct sockaddr *) &ss, &len,
                 SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd == -1) {
        if (errno == EAGAIN) {
            return 0;
        }
        if (errno == EINTR || errno == ECONNABORTED) {
            return 1;
        }
        pfw_server_accept_failed(srv, errno);
        return -1;
    }
    if (pfw_conn_open(&sync_conn, srv, fd, (int) i, (struct sockaddr *) &ss,
                      len, PFW_IO_BLOCK) != 0)
    {
        pf_log_errno(PF_LOG_ERROR, errno, "connection setup failed");
        close(fd);
        return 1;
    }
    pfw_conn_serve(&sync_conn);
    return 1;
}


/* SIGTERM: the connections already in the listen queues were sent to this
 * server and would be reset when the master exits; serve them first (one
 * pass per listener, up to EAGAIN, within the graceful timeout the
 * master's SIGKILL enforces anyway). */
static void
sync_drain(pf_worker *w, pfw_server *srv)
{
    long long  end;
    size_t     i;
    int        r;

    pfw_server_drain(srv);
    end = pfw_now_ms() + (long long) srv->app->graceful_timeout * 1000;
    for (i = 0; i < srv->nls; i++) {
        do {
            if ((pf_worker_poll(w) & PF_WORKER_EXIT) || pfw_now_ms() > end) {
                return;
            }
            r = sync_accept(srv, i);
        } while (r == 1);
    }
}


static int
sync_run(pf_worker *w, void *ud)
{
    pfw_server     *srv = &sync_srv;
    struct pollfd   p[64];
    size_t          i, n, nfds;
    unsigned        st;
    long long       paused = 0;      /* accepting resumes then (ms) */
    long long       left;
    int             r, ms;

    (void) ud;
    n = srv->nls < 63 ? srv->nls : 63;
    p[0].fd = pf_worker_fd(w);
    p[0].events = POLLIN;
    for (i = 0; i < n; i++) {
        p[i + 1].fd = srv->ls[i].fd;
        p[i + 1].events = POLLIN;
    }
    for ( ;; ) {
        pf_worker_heartbeat(w);
        nfds = n + 1;
        ms = pf_worker_timeout_ms(w);
        if (paused != 0) {
            /* accepting paused: only the control fd is watched */
            left = paused - pfw_now_ms();
            if (left <= 0) {
                paused = 0;
            } else {
                nfds = 1;
                ms = left < ms ? (int) left : ms;
            }
        }
        Py_BEGIN_ALLOW_THREADS
        r = poll(p, nfds, ms);
        Py_END_ALLOW_THREADS
        if (r == -1 && errno != EINTR) {
            pf_log_errno(PF_LOG_ERROR, errno, "poll() failed");
            return 1;
        }
        if (r <= 0) {
            continue;
        }
        st = p[0].revents ? pf_worker_poll(w) : 0;
        if (st & PF_WORKER_EXIT) {
            return 0;
        }
        if (st & PF_WORKER_DRAIN) {
            sync_drain(w, srv);
            return 0;
        }
        if (st & PF_WORKER_REOPEN) {
            Py_BEGIN_ALLOW_THREADS
            pfw_log_reopen();
            Py_END_ALLOW_THREADS
        }
        for (i = 0; i + 1 < nfds && paused == 0; i++) {
            if (p[i + 1].revents & POLLIN) {
                if (sync_accept(srv, i) == -1) {
                    /* EMFILE and friends: back off, do not spin */
                    paused = pfw_now_ms() + PFW_ACCEPT_PAUSE_MS;
                }
                if (pfw_server_draining(srv)) {
                    return 0;        /* max_requests reached */
                }
            }
        }
    }
}


static void
sync_fini(pf_worker *w, void *ud)
{
    pfw_conn_free(&sync_conn);
    pfw_worker_fini(w, ud);
}


const pf_worker_ops pfw_sync_ops = {
    .version     = PF_WORKER_OPS_VERSION,
    .name        = "sync",
    .master_init = pfw_master_init,
    .pre_fork    = pfw_pre_fork,
    .post_fork   = pfw_post_fork,
    .init        = sync_init,
    .run         = sync_run,
    .fini        = sync_fini,
};

/*
 * The per-worker server state: listeners with their base environ, the
 * trusted-peer lists, the request counter behind --max-requests.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>


static int
types_init(void)
{
    static int  done;

    if (done) {
        return 0;
    }
    if (pfw_input_type_init() < 0 || pfw_sr_type_init() < 0
        || pfw_fw_type_init() < 0 || pfw_environ_init() < 0)
    {
        return -1;
    }
    done = 1;
    return 0;
}


static int
addrlist(pfh_addrlist *l, const char *spec, const char *what)
{
    const char  *bad = NULL;

    if (pfh_addrlist_parse(l, spec != NULL ? spec : "", &bad) == 0) {
        return 0;
    }
    pf_log(PF_LOG_ERROR, "invalid %s entry '%s'", what,
           bad != NULL ? bad : spec);
    return -1;
}


/* gunicorn draws max_requests + randint(0, jitter) per worker. */
static unsigned long
max_requests(const pfw_app *app)
{
    unsigned  seed;

    if (app->max_requests == 0) {
        return 0;
    }
    if (app->max_requests_jitter == 0) {
        return app->max_requests;
    }
    seed = (unsigned) getpid() ^ (unsigned) time(NULL);
    return app->max_requests
           + (unsigned long) rand_r(&seed) % (app->max_requests_jitter + 1ul);
}


int
pfw_server_init(pfw_server *srv, const pfw_app *app, pf_worker *w,
                const int *fds, size_t nfds, int multithread)
{
    struct sockaddr_storage  ss;
    socklen_t                len;
    size_t                   i;

    memset(srv, 0, sizeof(*srv));
    srv->app = app;
    srv->w = w;
    srv->multithread = multithread;
    srv->keepalive = app->keepalive > 0;
    srv->io_ms = (int) (app->timeout > 0 ? app->timeout : 30) * 1000;
    srv->max_requests = max_requests(app);
    if (types_init() < 0) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to set up the WSGI types");
        return -1;
    }
    if (addrlist(&srv->forwarded, app->forwarded_allow_ips,
                 "forwarded_allow_ips") < 0
        || addrlist(&srv->proxy_allow, app->proxy_allow_ips,
                    "proxy_allow_ips") < 0)
    {
        pfw_server_free(srv);
        return -1;
    }
    srv->ls = PyMem_RawCalloc(nfds ? nfds : 1, sizeof(pfw_listener));
    if (srv->ls == NULL) {
        pf_log(PF_LOG_ERROR, "out of memory for %zu listeners", nfds);
        pfw_server_free(srv);
        return -1;
    }
    for (i = 0; i < nfds; i++) {
        len = sizeof(ss);
        srv->ls[i].fd = fds[i];
        if (getsockname(fds[i], (struct sockaddr *) &ss, &len) == -1) {
            pf_log_errno(PF_LOG_ERROR, errno, "getsockname(%d) failed",
                         fds[i]);
            pfw_server_free(srv);
            return -1;
        }
        srv->ls[i].family = ss.ss_family;
        srv->ls[i].base = pfw_environ_base(app, fds[i], ss.ss_family,
                                           multithread, &srv->ls[i].path);
        srv->nls++;
        if (srv->ls[i].base == NULL) {
            pfw_log_exception(PF_LOG_ERROR, "Failed to build the environ");
            pfw_server_free(srv);
            return -1;
        }
    }
    return 0;
}


void
pfw_server_free(pfw_server *srv)
{
    size_t  i;

    for (i = 0; i < srv->nls; i++) {
        Py_CLEAR(srv->ls[i].base);
        Py_CLEAR(srv->ls[i].path);
    }
    PyMem_RawFree(srv->ls);
    srv->ls = NULL;
    srv->nls = 0;
    pfh_addrlist_free(&srv->forwarded);
    pfh_addrlist_free(&srv->proxy_allow);
}


int
pfw_server_draining(const pfw_server *srv)
{
    return __atomic_load_n(&srv->draining, __ATOMIC_RELAXED);
}


void
pfw_server_drain(pfw_server *srv)
{
    __atomic_store_n(&srv->draining, 1, __ATOMIC_RELAXED);
}


/* Called with the GIL held, which serialises the pool threads. */
int
pfw_server_count(pfw_server *srv)
{
    srv->nreq++;
    if (srv->max_requests == 0 || srv->nreq < srv->max_requests
        || pfw_server_draining(srv))
    {
        return 0;
    }
    pf_log(PF_LOG_INFO, "Autorestarting worker after current request.");
    pfw_server_drain(srv);
    return 1;
}


void
pfw_server_beat(pfw_server *srv)
{
    if (srv->w != NULL && !srv->loop_beats) {
        pf_worker_heartbeat(srv->w);
    }
}


/* EMFILE and friends last while the fds are taken: every failed attempt
 * logged would flood the log (and the disk) at the accept rate. */
void
pfw_server_accept_failed(pfw_server *srv, int err)
{
    long long  now = pfw_now_ms();

    if (srv->acc_logged != 0 && now - srv->acc_logged < 1000) {
        srv->acc_quiet++;
        return;
    }
    if (srv->acc_quiet > 0) {
        pf_log_errno(PF_LOG_ERROR, err, "accept4() failed (%u more "
                     "failure%s since the last report)", srv->acc_quiet,
                     srv->acc_quiet == 1 ? "" : "s");
    } else {
        pf_log_errno(PF_LOG_ERROR, err, "accept4() failed");
    }
    srv->acc_logged = now;
    srv->acc_quiet = 0;
}

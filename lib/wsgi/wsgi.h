/*
 * lib/wsgi: embedded CPython serving a WSGI application (internal, not
 * installed).  The CLI fills a pfw_app and hands one of the worker tables
 * below to the arbiter with the pfw_app as user data.
 */
#ifndef PFW_WSGI_H
#define PFW_WSGI_H

#include <stddef.h>

#include <prefork/worker.h>

#include "http.h"

typedef struct pfw_app {
    const char   *spec;              /* APP_MODULE: "pkg.mod:app" */
    const char   *pythonpath;        /* comma list put on sys.path; NULL */
    int           preload;           /* import in the master: CoW sharing */
    char *const  *argv;              /* sys.argv (NULL: {"prefork-wsgi"}) */
    int           workers;           /* wsgi.multiprocess = workers > 1 */
    unsigned      threads;           /* gthread pool size; 1 */
    unsigned      worker_connections;/* open connections per worker; 1000 */
    unsigned      keepalive;         /* idle keep-alive seconds; 0 = off; 2 */
    unsigned      max_requests;      /* recycle after N requests; 0 = never */
    unsigned      max_requests_jitter;  /* + random 0..jitter */
    unsigned      timeout;           /* s; client I/O deadline; 30 */
    unsigned      graceful_timeout;  /* s; drain budget; 30 */
    int           sendfile;          /* wsgi.file_wrapper may sendfile; 1 */
    const char   *url_scheme;        /* "http" */
    const char   *server_software;   /* environ SERVER_SOFTWARE */
    const char   *forwarded_allow_ips; /* "127.0.0.1,::1"; "*" = anyone */
    int           proxy_protocol;    /* PFH_PROXY_*; 0 = off */
    const char   *proxy_allow_ips;   /* "127.0.0.1,::1" */
    const char   *server_header;     /* Server: value; NULL = "gunicorn" */
    pfh_config    http;              /* parser limits, switches and
                                        secure_scheme_headers */
} pfw_app;

/* Fill app with gunicorn's defaults (spec stays NULL). */
void pfw_app_init(pfw_app *app);

/* The worker kinds.  ud is the pfw_app, which must outlive the arbiter. */
extern const pf_worker_ops pfw_sync_ops;     /* -k sync */
extern const pf_worker_ops pfw_ev_ops;       /* -k ev (libev, keep-alive) */
extern const pf_worker_ops pfw_gthread_ops;  /* -k gthread: loop + threads */

/* --check-config: start Python here and import the app.  0 when it
 * loads, else PF_EXIT_BOOT / PF_EXIT_APPLOAD (the reason is logged). */
int pfw_check_app(const pfw_app *app);

/* The table for a -k value ("sync", "ev", "gthread"; "sync" with threads >
 * 1 becomes gthread as in gunicorn), or NULL with a message in err for the
 * kinds we do not run (gevent, eventlet, tornado, dotted classes...). */
const pf_worker_ops *pfw_worker_ops(const char *kind, unsigned threads,
                                    char *err, size_t errlen);

#endif /* PFW_WSGI_H */

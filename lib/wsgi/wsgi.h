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
    /* Server hooks (hooks.c). */
    const char   *proc_name;         /* server.proc_name */
    int           daemon;            /* WINCH stops the workers */
    /* SIGHUP in the master: re-read the configuration into this pfw_app
     * (workers, hooks ...).  0 on success; -1 keeps the old one (the
     * reason is logged).  NULL: no re-read. */
    int         (*reload)(struct pfw_app *app, void *ud);
    void         *reload_ud;
    /* --reload (reloader.c): workers exit when a file they imported, or
     * one of reload_extra_files (globs), changes. */
    int           autoreload;
    int           reload_engine;     /* PFW_RELOAD_* */
    const char *const *reload_extra_files;   /* NULL-terminated, or NULL */
    /* --paste INI[#NAME] (paste.c): the app comes from PasteDeploy; spec
     * is then the ini path.  paste_global: "K=V" items, NULL-terminated. */
    int           paste;
    const char *const *paste_global;
} pfw_app;

enum { PFW_RELOAD_AUTO, PFW_RELOAD_POLL, PFW_RELOAD_INOTIFY };

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

/*
 * Python configuration files (pyconfig.c), gunicorn's -c: "PATH",
 * "file:PATH" or "python:MODULE", executed in this process by the embedded
 * interpreter (started here if need be) as module __config__.  Each
 * module-level name the sink knows is converted and handed to it.
 */
enum {
    PFW_CV_NONE, PFW_CV_BOOL, PFW_CV_INT, PFW_CV_STR, PFW_CV_LIST,
    PFW_CV_DICT,
    PFW_CV_OBJECT,                   /* anything else: see str and tname */
    PFW_CV_HOOK,                     /* a valid hook; s is its __qualname__ */
    PFW_CV_INVALID                   /* s is the error (a hook of the wrong
                                        arity, not callable ...) */
};

typedef struct pfw_cfgval {
    int                 type;        /* PFW_CV_* */
    long long           i;           /* BOOL, INT (LLONG_MIN: too large);
                                        OBJECT: its truth value */
    const char         *s;           /* STR, HOOK, INVALID */
    const char *const  *items;       /* LIST items, DICT key/value pairs;
                                        OBJECT: items[0] is tname */
    size_t              n;           /* items (LIST) or pairs (DICT) */
    const char         *str;         /* Python's str() of the value */
    const char         *tname;       /* type(value).__name__ */
} pfw_cfgval;

typedef struct pfw_cfg_sink {
    /* 0: not a setting (ignored), 1: a setting, 2: a hook taking *arity
     * positional arguments (-1: 2, 3 or 4, as post_request). */
    int   (*known)(const char *name, int *arity, void *ud);
    /* 0, or the exit status to stop with (the message is printed). */
    int   (*set)(const char *name, const pfw_cfgval *v, void *ud);
    void   *ud;
} pfw_cfg_sink;

/* Execute the configuration file at location and hand its settings to the
 * sink.  argv becomes sys.argv if Python starts here.  0, or the exit
 * status (1) after printing gunicorn's messages on stderr.  The hooks it
 * defines are staged: pfw_hooks_commit() makes them live. */
int  pfw_config_exec(const char *location, char *const *argv,
                     const pfw_cfg_sink *sink);
/* pfw_config_exec's status when the file raised SystemExit(0). */
#define PFW_CONFIG_EXIT_OK  256
/* Is the interpreter running in this process? */
int  pfw_python_live(void);

/*
 * Server hooks (hooks.c).  The values of cfg are staged with
 * pfw_hooks_cfg_add (how: PFW_CFG_*), then commit makes the staged hooks
 * and cfg those the hooks see; discard drops them (a reload that failed).
 */
enum { PFW_CFG_STR, PFW_CFG_NONE, PFW_CFG_LITERAL };

int  pfw_hooks_cfg_add(const char *name, int how, const char *text);
int  pfw_hooks_commit(void);
void pfw_hooks_discard(void);
/* Is any hook this server calls set? */
int  pfw_hooks_any(void);
/* Fill the master-side callbacks of ops the worker kinds leave empty
 * (on_signal, worker_exit, master_exit, pre_exec) with the hook callers. */
void pfw_hooks_ops(pf_worker_ops *ops);

/* raw_env: setenv(3), and os.environ when Python runs in this process
 * (rawenv.c); value NULL unsets both.  0, or -1 with errno. */
int  pfw_setenv(const char *key, const char *value);

/*
 * systemd (systemd.c).  pfw_lifecycle_ops wraps master_init and on_signal
 * (call it after pfw_hooks_ops) so that the master sends sd_notify(3)
 * messages: READY=1 once a generation booted, RELOADING=1 at SIGHUP,
 * STOPPING=1, MAINPID= around a USR2 upgrade.
 */
void pfw_lifecycle_ops(pf_worker_ops *ops, const pfw_app *app);
/* One datagram to $NOTIFY_SOCKET: 1 sent, 0 no socket, -1 failed (logged
 * at DEBUG). */
int  pfw_sd_notify(const char *state);
/* Socket activation: how many listening fds systemd passed this process
 * (LISTEN_PID is ours; fds 3..), 0 if none; and whether one of them is
 * bound to addr. */
int  pfw_systemd_listen_fds(void);
int  pfw_systemd_claims(const char *addr, int nfds);
/* pf_arbiter_listen() each of addrs[0..n-1]; with sd_fds > 0 (counted
 * before pf_arbiter_new() consumed LISTEN_FDS) only those a systemd socket
 * is bound to, as gunicorn binds nothing when systemd passed sockets (the
 * others are logged: INFO when explicit_, else DEBUG).  0, or -1 as
 * pf_arbiter_listen() (logged). */
int  pfw_listen_all(pf_arbiter *a, char *const *addrs, size_t n, int sd_fds,
                    int explicit_);

#endif /* PFW_WSGI_H */

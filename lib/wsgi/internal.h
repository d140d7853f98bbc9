/*
 * lib/wsgi private declarations shared between its files.  Python.h comes
 * first, as CPython requires.
 */
#ifndef PFW_INTERNAL_H
#define PFW_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <prefork/common.h>
#include <prefork/log.h>
#include <prefork/worker.h>

#include "wsgi.h"

/* interp.c */
int        pfw_interp_start(const pfw_app *app);
int        pfw_interp_live(void);
void       pfw_interp_release(void);
void       pfw_interp_enter(void);
void       pfw_interp_before_fork(void);
void       pfw_interp_after_fork_parent(void);
void       pfw_interp_after_fork_child(void);
void       pfw_interp_flush(void);
PyObject  *pfw_py_namespace(const char *src, const char *filename,
                            PyMethodDef *funcs);
void       pfw_log_text(int level, const char *head, const char *text,
                        size_t len);
/* Log and clear the pending Python exception, with its traceback. */
void       pfw_log_exception(int level, const char *head);

/* pylog.c: with Python's logging configured, log head with exc_info as
 * gunicorn's log.exception() (0), else -1 (the caller logs it). */
int        pfw_pylog_exception(int level, const char *head, PyObject *type,
                               PyObject *value, PyObject *tb);

/* app.c: 0, PF_EXIT_BOOT (import failed) or PF_EXIT_APPLOAD. */
int        pfw_app_load(const pfw_app *app);
PyObject  *pfw_app_callable(void);               /* borrowed */

/*
 * The per-worker server: what every connection of this process shares.
 */
typedef struct pfw_listener {
    int             fd;
    int             family;          /* AF_INET, AF_INET6, AF_UNIX */
    PyObject       *base;            /* base environ copied per request */
    PyObject       *path;            /* AF_UNIX: the socket path (str) */
} pfw_listener;

typedef struct pfw_server {
    const pfw_app  *app;
    pf_worker      *w;               /* NULL in unit tests */
    pfw_listener   *ls;
    size_t          nls;
    pfh_addrlist    forwarded;       /* forwarded_allow_ips */
    pfh_addrlist    proxy_allow;     /* proxy_allow_ips */
    int             multithread;     /* wsgi.multithread */
    int             keepalive;       /* this kind keeps connections open */
    unsigned long   nreq;            /* requests finished */
    unsigned long   max_requests;    /* with jitter; 0 = unlimited */
    int             draining;        /* stop: no keep-alive from now on */
    int             io_ms;           /* client I/O deadline */
    int             spool;           /* async bodies past the memory
                                        threshold go to a temp file */
    int             loop_beats;      /* the heartbeat is the loop thread's
                                        alone (gthread): requests never
                                        beat */
    long long       acc_logged;      /* last accept4() failure logged, ms */
    unsigned        acc_quiet;       /* failures not logged since */
} pfw_server;

/* How long a connection taken on the way out (drain) may take to send
 * its first bytes. */
#define PFW_DRAIN_GRACE_MS  1000
/* How long accepting pauses after accept4() failed for want of fds. */
#define PFW_ACCEPT_PAUSE_MS 500

/* Header keys a reusable environ can add: a request with more gets a
 * fresh copy of the base (environ.c). */
#define PFW_ENV_ADDED       16
/* Values of the keys every request sets that environ.c remembers. */
#define PFW_ENV_OLD         6

/* Build the shared state for the listeners (Python must be live). */
int   pfw_server_init(pfw_server *srv, const pfw_app *app, pf_worker *w,
                      const int *fds, size_t nfds, int multithread);
void  pfw_server_free(pfw_server *srv);
/* One more request finished; 1 when max_requests says recycle. */
int   pfw_server_count(pfw_server *srv);
/* A request made progress: the heartbeat, unless srv->loop_beats. */
void  pfw_server_beat(pfw_server *srv);
/* accept4() failed with err (not EAGAIN/EINTR/ECONNABORTED): one log line
 * a second at most, counting the ones left out. */
void  pfw_server_accept_failed(pfw_server *srv, int err);

/*
 * A connection and its current request.  Blocking connections (sync,
 * gthread's pool threads) wait in poll() with the GIL released; async ones
 * (ev) never wait: reads happen before the app runs (the body is buffered
 * in memory or spooled to a temp file) and writes stop with PFW_AGAIN until
 * the socket drains.
 */
enum { PFW_IO_BLOCK = 0, PFW_IO_ASYNC = 1 };

/* What driving a connection says next. */
enum { PFW_DONE = 0, PFW_AGAIN = 1, PFW_CLOSE = -1 };

typedef struct pfw_seg {             /* one piece of pending output */
    const char     *p;               /* NULL: the bytes are in inl */
    size_t          len;
    PyObject       *owner;           /* keeps p alive, or NULL */
    int             fd;              /* >= 0: sendfile(fd, off, len) */
    off_t           off;
    char            inl[24];
} pfw_seg;

enum {                               /* response phases */
    PFW_R_IDLE = 0, PFW_R_BODY, PFW_R_END, PFW_R_FLUSH, PFW_R_DONE
};

typedef struct pfw_conn {
    pfw_server     *srv;
    int             fd;
    int             io;              /* PFW_IO_* */
    int             lidx;            /* index in srv->ls */
    struct sockaddr_storage peer;
    socklen_t       peerlen;
    int             trusted;         /* in forwarded_allow_ips */
    int             proxy_allowed;   /* in proxy_allow_ips */
    int             proxy_state;     /* 0 to check, 1 done */
    pfh_proxy       proxy;           /* valid when proxy.proto != NULL */

    /* input: [pos, len) not yet consumed */
    char           *buf;
    size_t          cap, len, pos;
    size_t          last_len;        /* parser resume hint */
    pfh_request     req;
    pfh_header     *hdrs;
    size_t          hdrs_cap;
    size_t          head_len;        /* bytes of the parsed head */
    int             head_live;       /* header views still in use */
    unsigned        nreq;            /* requests on this connection */

    /* request body */
    int             bkind;           /* PFH_BODY_* */
    uint64_t        bleft;           /* LENGTH: bytes not handed out */
    pfh_chunked     chk;
    size_t          bpos;            /* next body byte */
    size_t          bend;            /* CHUNKED: end of decoded bytes */
    int             bdone;           /* CHUNKED: terminator decoded */
    int             berr;            /* 0, or an errno (EPROTO framing) */
    int             bblock;          /* async conn reading the body
                                        blocking (too big to buffer) */
    int             sfd;             /* spooled body: temp file, or -1 */
    uint64_t        sleft;           /* LENGTH: bytes still to spool */
    uint64_t        sfill;           /* bytes in the file */
    uint64_t        soff;            /* next file byte to read */
    char           *win;             /* read window over the file */
    size_t          wpos, wlen;
    PyObject       *bbytes;          /* async Content-Length body read
                                        straight into the bytes object
                                        wsgi.input.read() returns */
    size_t          bbfill, bboff;   /* bytes in it, next unread */

    /* response */
    int             phase;           /* PFW_R_* */
    PyObject       *status;          /* str from start_response */
    PyObject       *headers;         /* list from start_response */
    int             started;         /* start_response was called */
    int             committed;       /* head queued: no 500 page now */
    int             keep_alive;      /* final decision */
    int             error_close;     /* close once the queue drains */
    int             write_failed;    /* write() hit a dead socket: errno */
    int             nobody_warned;   /* dropped body bytes were logged
                                        (no-body status, or past
                                        Content-Length) */
    char            cl[24];          /* Content-Length we add, as text */
    int64_t         known_len;       /* total body when known, else -1 */
    pfh_response    r;
    char           *head;
    size_t          head_cap;
    pfh_header     *rh;
    size_t          rh_cap;
    PyObject       *environ;
    PyObject       *result;          /* the app's iterable */
    PyObject       *iter;            /* its iterator (NULL: list fast path) */
    Py_ssize_t      idx;             /* list/tuple fast path position */
    PyObject       *input;           /* wsgi.input object */
    PyObject       *sr;              /* start_response object */
    PyObject       *write;           /* write callable */

    /* output queue */
    pfw_seg        *q;
    size_t          qhead, qn, qcap;
    size_t          qbytes;

    /* per-connection Python objects */
    PyObject       *py_addr, *py_port, *py_sock;
    PyObject       *env_base;        /* the listener's base environ with
                                        this connection's keys (environ.c),
                                        from its second request on */
    PyObject       *env_spare;       /* the last environ, back in
                                        env_base's state (environ.c) */
    PyObject       *env_added[PFW_ENV_ADDED];  /* keys the request added
                                        to env_base's (borrowed) */
    PyObject       *env_added_val[PFW_ENV_ADDED];  /* their values (NULL:
                                        not known) */
    PyObject       *env_old[PFW_ENV_OLD];  /* values env_spare holds for
                                        keys every request sets */
    unsigned        env_nadded;
    int             env_reuse;       /* environ can become env_spare */
    uint64_t        env_version;     /* its ma_version_tag when built */
    PyObject       *hook_req;        /* req of pre/post_request hooks */

    struct pfw_acc *acc;             /* access log state (access.c), NULL
                                        until a request is logged */
} pfw_conn;

/* conn.c */
int      pfw_conn_open(pfw_conn *c, pfw_server *srv, int fd, int lidx,
                       const struct sockaddr *sa, socklen_t salen, int io);
/* Close the socket (gracefully when unread bytes could cause a reset) and
 * drop every Python reference; the buffers stay for the next open. */
void     pfw_conn_close(pfw_conn *c);
/* Half-close and read what the client sent, so that the close that
 * follows sends a FIN, not a reset (an idle keep-alive connection a
 * request may be arriving on). */
void     pfw_conn_linger(pfw_conn *c);
/* The request head did not arrive in time: queue the 408 page. */
void     pfw_conn_head_timeout(pfw_conn *c);
/* Free the buffers of a closed connection. */
void     pfw_conn_free(pfw_conn *c);
/* recv() into the input buffer: bytes read, 0 on EOF, -1 with errno
 * (EAGAIN on async connections with nothing to read). */
ssize_t  pfw_conn_recv(pfw_conn *c);
/* Wait for fd readable/writable within the connection deadline, the GIL
 * released: 1 ready, 0 timeout, -1 error. */
int      pfw_conn_wait(pfw_conn *c, short events, long long deadline);
long long pfw_now_ms(void);
/* Parse the next request head from the buffer: PFW_DONE (c->req set up,
 * body reader ready), PFW_AGAIN (need bytes), PFW_CLOSE (a 4xx page is
 * queued and the connection must close once it drains; or nothing to say). */
int      pfw_conn_parse(pfw_conn *c, int eof);
/* Blocking connections: read and parse one head (PFW_DONE / PFW_CLOSE);
 * idle_ms > 0: a keep-alive wait, that long for the first byte. */
int      pfw_conn_read_head(pfw_conn *c, int idle_ms);
/* Blocking connections: serve requests until the connection ends, then
 * close it. */
void     pfw_conn_serve(pfw_conn *c);
/* Make room for more input; -1 with ENOMEM / E2BIG. */
int      pfw_conn_reserve(pfw_conn *c, size_t more);
/* Between requests: a buffer grown for a big head or body goes back to
 * its usual size (unread pipelined bytes move to its front). */
void     pfw_conn_shrink(pfw_conn *c);
/* Queue a gunicorn error page; the connection closes after it. */
void     pfw_conn_error(pfw_conn *c, int status, const char *mesg);

/* out.c: the output queue (GIL held). */
int      pfw_out_mem(pfw_conn *c, const char *p, size_t len, PyObject *owner);
int      pfw_out_copy(pfw_conn *c, const char *p, size_t len);
int      pfw_out_file(pfw_conn *c, int fd, off_t off, size_t len);
/* 0 all sent, 1 would block (async), -1 error with errno. */
int      pfw_out_flush(pfw_conn *c);
void     pfw_out_clear(pfw_conn *c);

/* body.c: the request body seen through wsgi.input. */
void     pfw_body_begin(pfw_conn *c);
/* At least one body byte at *p (returns the count), 0 at the end of the
 * body, -1 with errno (EPROTO framing, ECONNRESET early EOF, ETIMEDOUT). */
ssize_t  pfw_body_peek(pfw_conn *c, const char **p);
void     pfw_body_consume(pfw_conn *c, size_t n);
/* Read up to n body bytes into dst (same returns as peek). */
ssize_t  pfw_body_read(pfw_conn *c, char *dst, size_t n);
/* Async connections: take in what arrived (decoded, and spooled past the
 * memory threshold when srv->spool); PFW_DONE when the whole body is in,
 * PFW_AGAIN, PFW_CLOSE on a framing error or a spool failure (page queued)
 * or at EOF. */
int      pfw_body_prefetch(pfw_conn *c, int eof);
/* After the response: skip what the app left unread.  PFW_DONE (c->pos is
 * the next request) or PFW_CLOSE. */
int      pfw_body_finish(pfw_conn *c);
/* Close the spool file, if any; drop the body's bytes object. */
void     pfw_body_release(pfw_conn *c);
/* The whole body as one bytes object (new reference) when it was read
 * into one and want covers it; else NULL (no error set). */
PyObject *pfw_body_take(pfw_conn *c, size_t want);

/* environ.c */
int       pfw_environ_init(void);
PyObject *pfw_environ_base(const pfw_app *app, int fd, int family,
                           int multithread, PyObject **path);
/* The request's environ, or NULL with *status/mesg set for an error page
 * (a Python error, if any, is already logged and cleared). */
PyObject *pfw_environ_build(pfw_conn *c, int *status, char *mesg,
                            size_t mlen);
/* Drop the request's environ: kept as the connection's next one when
 * nobody else holds it and nobody changed it (environ.c). */
void      pfw_environ_release(pfw_conn *c);
/* The references the kept environ holds to o as wsgi.input (0 or 1). */
Py_ssize_t pfw_environ_spare_refs(const pfw_conn *c, const PyObject *o);

/* input.c, start_response.c, file_wrapper.c: the Python types.  The
 * *_new functions reuse the connection's object when nobody else holds it
 * and attach it to c; detach makes a kept object inert. */
int        pfw_input_type_init(void);
int        pfw_sr_type_init(void);
int        pfw_fw_type_init(void);
PyObject  *pfw_input_new(pfw_conn *c);
void       pfw_input_detach(PyObject *input);
PyObject  *pfw_sr_new(pfw_conn *c);              /* also sets c->write */
void       pfw_sr_detach(PyObject *o);
PyObject  *pfw_file_wrapper_type(void);
int        pfw_file_wrapper_range(PyObject *result, int *fd, off_t *off,
                                  size_t *count);
const char *pfw_latin1_view(PyObject *s, size_t *len, const char *what);
/* The response head is queued now (first body bytes or the end). */
int        pfw_response_commit(pfw_conn *c);
/* Queue body bytes with the response framing. */
/* Body bytes the response may not carry (HEAD, 1xx, 204, 304) are
 * dropped: a WARNING once per response, as gunicorn 26.1. */
void       pfw_response_dropped(pfw_conn *c);
/* len more body bytes are on their way: past Content-Length the rest is
 * dropped, with one WARNING per response. */
void       pfw_response_overlong(pfw_conn *c, uint64_t len);
int        pfw_response_body(pfw_conn *c, const char *p, size_t len,
                             PyObject *owner);

/* worker.c: the pieces every worker kind's table shares. */
int      pfw_master_init(pf_arbiter *a, void *ud);
void     pfw_pre_fork(pf_arbiter *a, int slot, unsigned age, void *ud);
void     pfw_post_fork(pf_arbiter *a, int slot, pid_t pid, void *ud);
/* Worker side: interpreter and app (0, PF_EXIT_BOOT, PF_EXIT_APPLOAD). */
int      pfw_worker_boot(pf_worker *w, const pfw_app *app);
int      pfw_worker_server(pfw_server *srv, pf_worker *w, const pfw_app *app,
                           int multithread);
void     pfw_worker_fini(pf_worker *w, void *ud);
/* Drop every Python object a connection holds (GIL held). */
void     pfw_conn_release_py(pfw_conn *c);
/* srv->draining, read and set across threads (gthread). */
int      pfw_server_draining(const pfw_server *srv);
void     pfw_server_drain(pfw_server *srv);

/* hooks.c: gunicorn's server hooks (GIL held unless said). */
enum {
    PFW_H_ON_STARTING, PFW_H_ON_RELOAD, PFW_H_WHEN_READY, PFW_H_PRE_FORK,
    PFW_H_POST_FORK, PFW_H_POST_WORKER_INIT, PFW_H_WORKER_INT,
    PFW_H_WORKER_ABORT, PFW_H_PRE_EXEC, PFW_H_PRE_REQUEST,
    PFW_H_POST_REQUEST, PFW_H_CHILD_EXIT, PFW_H_WORKER_EXIT,
    PFW_H_NWORKERS_CHANGED, PFW_H_ON_EXIT,
    PFW_NHOOKS
};
int      pfw_hook_index(const char *name);       /* -1: not one we call */
int      pfw_hook_set(int h);
/* pyconfig.c stages the callables of a config run. */
void     pfw_hooks_stage_begin(void);
int      pfw_hooks_stage(const char *name, PyObject *fn);
/* master */
void     pfw_hooks_master_start(pf_arbiter *a);
void     pfw_hooks_server(int h);                 /* hook(server) */
void     pfw_hooks_nworkers(int n, int old);      /* old < 0: None */
void     pfw_hooks_pre_fork(unsigned age);
void     pfw_hooks_forked(pid_t pid);
/* worker */
void     pfw_hooks_worker_start(pf_worker *w);    /* post_fork */
void     pfw_hooks_worker_ready(void);            /* post_worker_init */
void     pfw_hooks_worker_exit(pf_worker *w);     /* worker_int, _exit */
int      pfw_hooks_pre_request(pfw_conn *c);      /* -1: it raised */
void     pfw_hooks_post_request(pfw_conn *c);

/* logreopen.c: the logger named by pfw_log_use() (access.h), or NULL;
 * reopen: SIGUSR1 reached this worker (main thread, GIL not held). */
struct pfw_logging *pfw_log_current(void);
void     pfw_log_reopen(void);

/* access.c: the access line and StatsD request metrics (GIL held).
 * begin: the head was parsed and the request starts; clock: the environ
 * is about to be built (gunicorn's request_start); end: the response is
 * over (sent, cut, or replaced by an error page); free: with the
 * connection's buffers. */
typedef struct pfw_acc pfw_acc;
void     pfw_access_begin(pfw_conn *c);
void     pfw_access_clock(pfw_conn *c);
void     pfw_access_end(pfw_conn *c);
void     pfw_access_free(pfw_conn *c);

/* request.c */
/* Run the app for the parsed request and start sending: PFW_DONE (the
 * response is out; c->keep_alive says what next), PFW_AGAIN (async: wait
 * for writable, then pfw_request_resume), PFW_CLOSE. */
int      pfw_request_run(pfw_conn *c);
int      pfw_request_resume(pfw_conn *c);
/* Drop a request whose connection died (closes the iterable). */
void     pfw_request_abort(pfw_conn *c);

#endif /* PFW_INTERNAL_H */

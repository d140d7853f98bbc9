/*
 * Helpers for the lib/wsgi suites: log capture and small Python probes.
 */
#ifndef PFW_TESTS_TW_H
#define PFW_TESTS_TW_H

#include "internal.h"

/* Route pf_log into a buffer (DEBUG and up); tw_log() returns it. */
void        tw_log_capture(void);
const char *tw_log(void);

/* A pfw_app with defaults, the spec given and sys.argv set. */
void        tw_app(pfw_app *app, const char *spec);

/* Evaluate a Python expression in __main__ and return str() of it as a
 * malloc'd C string ("<error>" when it raised). */
char       *tw_py_str(const char *expr);

/* Run Python statements in __main__; 0 when they ran without raising. */
int         tw_py_run(const char *src);

#endif

/* ---- a raw HTTP client for the tests ---- */

typedef struct tw_conn {
    int     fd;
    char    buf[1 << 16];
    size_t  len;                     /* bytes received not yet consumed */
} tw_conn;

typedef struct tw_resp {
    int     status;
    char    head[16384];             /* the raw head, NUL-terminated */
    char   *body;                    /* decoded body (malloc'd, NUL-ended) */
    size_t  body_len;
    int     chunked;
    int     complete;                /* framing ended properly */
    int     eof;                     /* the server closed the connection */
} tw_resp;

int         tw_connect(tw_conn *tc, const char *addr);
int         tw_send(tw_conn *tc, const void *p, size_t n);
int         tw_sends(tw_conn *tc, const char *s);
/* Read one response (framing from its head; no framing: until EOF).
 * 0 when a head arrived, -1 on timeout or EOF before any head. */
int         tw_read(tw_conn *tc, tw_resp *r, int ms, int head_request);
/* The value of the first header name (case-insensitive), or NULL. */
const char *tw_header(const tw_resp *r, const char *name, char *buf,
                      size_t len);
void        tw_resp_free(tw_resp *r);
/* 1 when the peer closed (EOF) within ms with no more bytes. */
int         tw_closed(tw_conn *tc, int ms);

/* ---- a server in a forked child (Python lives only there) ---- */

typedef struct tw_server {
    pid_t   pid;
    char    addr[640];               /* "127.0.0.1:PORT" or "unix:PATH" */
    char   *dir;                     /* tmpdir: log file, unix socket */
    char    logpath[512];
} tw_server;

/* Options for the child's pfw_app. */
typedef struct tw_opts {
    const char  *spec;               /* "probe:app" (tests/apps on path) */
    int          unix_socket;
    unsigned     keepalive;          /* 0 = close after each response */
    const char  *script_name;        /* SCRIPT_NAME in the child's env */
    const char  *tmpdir;             /* TMPDIR in the child's env */
    int          sendfile;           /* default 1 */
    unsigned     max_requests;
    const char  *worker;             /* NULL: pfw_conn_serve loop; else a
                                        worker kind under the real arbiter
                                        (the child is the master) */
    int          workers;            /* pfw_app.workers, pf_config.workers */
    int          preload;
    unsigned     threads;
    unsigned     worker_connections;
    unsigned     max_requests_jitter;
    unsigned     graceful_timeout;   /* default 10 */
    unsigned     timeout;            /* default 30 */
    int          proxy_protocol;     /* PFH_PROXY_*; default off */
    const char  *proxy_allow_ips;    /* NULL: gunicorn's default */
} tw_opts;

void        tw_opts_init(tw_opts *o);
/* Start the child; its log (pf_log and fd 2) goes to logpath.  Returns
 * once it serves: in worker mode once every worker booted (the master's
 * PF_EVENT_READY: its signals are trapped), or once the master exited
 * before that (a failed boot; tw_server_signal_wait(s, 0, ...) tells how). */
void        tw_server_start(tw_server *s, const tw_opts *o);
void        tw_server_stop(tw_server *s);
/* Signal the child (the master in worker mode) and wait for its exit
 * status; -1 on timeout. */
int         tw_server_signal_wait(tw_server *s, int signo, int ms);
/* The child's log so far (malloc'd). */
char       *tw_server_log(const tw_server *s);
/* Wait until needle appears at least n times in the log (inotify on the
 * log file, within ms): 1, or 0 on timeout. */
int         tw_server_wait_log(const tw_server *s, const char *needle,
                               int n, int ms);
/* How many times needle is in the log now. */
int         tw_server_log_count(const tw_server *s, const char *needle);
/* tw_server_wait_log, failing the test with the log on a timeout. */
void        tw_server_expect_log(const tw_server *s, const char *needle,
                                 int n, int ms);
/* Send raw on c and read one response into r (20 s), failing the test
 * with the log when none comes. */
void        tw_server_get(const tw_server *s, tw_conn *c, tw_resp *r,
                          const char *raw);

/*
 * prefork-wsgi logging and metrics: gunicorn's error log, access log,
 * syslog handler and StatsD client, byte for byte, without Python or libev.
 *
 * Internal to the server layer (not installed).  The CLI builds one
 * pfw_logging from the settings and installs it as the core's log hook; the
 * WSGI layer fills a pfw_access_rec per request and calls
 * pfw_logging_access().  Every component can also be used on its own.
 *
 * Thread safety: writers may be called from several threads at once (the
 * gthread worker); open, reopen, install and close are called from one
 * thread (the main loop), reopen concurrently with writers is safe.
 *
 * Wiring (gunicorn's order):
 *   master:  pfw_logging_conf_init(); fill from the settings;
 *            pfw_logging_open() (NULL: print err, exit 1);
 *            pfw_logging_install(); ... USR1: pfw_logging_reopen();
 *            worker count changed: pfw_statsd_gauge_workers().
 *   worker:  after fork: pfw_logging_after_fork(); PF_WORKER_REOPEN:
 *            pfw_logging_reopen(); after each response:
 *            if (pfw_logging_access_enabled()) fill a pfw_access_rec and
 *            pfw_logging_access(); log.exception(): pfw_errlog_mark(
 *            PFW_LOGF_EXCEPTION) then pf_log(PF_LOG_ERROR, ...).
 *   SIGPIPE: a log on "-" whose reader died raises SIGPIPE like any write
 *            to a pipe; Python ignores SIGPIPE, so the server should too.
 */
#ifndef PFW_LOG_H
#define PFW_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include <prefork/log.h>


/* An error-log line handed to Python's logging (--log-config...): its
 * bare message at its level. */
typedef void pfw_fwd_fn(void *ud, int level, const char *msg, size_t len);


/* ---- log files (errorlog, accesslog) ------------------------------------ */

typedef struct pfw_logfile {
    int           fd;          /* what is written to; fixed for a lifetime */
    int           std;         /* 1: fd is 1 or 2 ("-"), never closed */
    char         *path;        /* NULL for "-" */
    long          uid, gid;    /* chown after every open; -1 = leave */
} pfw_logfile;

/* spec "-" (or NULL) writes to std_fd, anything else is a file opened
 * O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, mode 0644 and chowned to uid/gid
 * when they are >= 0 (errors ignored, as gunicorn).  On failure, -1 and
 * err holds gunicorn's message: "Error: 'PATH' isn't writable
 * [PermissionError(13, 'Permission denied')]". */
int   pfw_logfile_open(pfw_logfile *lf, const char *spec, int std_fd,
    long uid, long gid, char *err, size_t errlen);

/* USR1: open the path again, then dup2() the new file over lf->fd, so the
 * descriptor number never changes and no concurrent write is lost.  -1 with
 * errno (the old file stays in use) on failure; 0 for "-". */
int   pfw_logfile_reopen(pfw_logfile *lf);

/* One writev(2) of iov (plus retries after a short write or EINTR; iov
 * is consumed).  -1 with errno. */
int   pfw_logfile_writev(const pfw_logfile *lf, struct iovec *iov, int n);

void  pfw_logfile_close(pfw_logfile *lf);


/* ---- syslog (Python's logging.handlers.SysLogHandler wire format) ------- */

typedef struct pfw_syslog pfw_syslog;

/* Warnings of the syslog and StatsD clients about themselves: at most one a
 * minute.  Unset, they go to pf_log(PF_LOG_WARNING). */
typedef void pfw_warn_fn(void *ud, const char *msg);

/* addr: gunicorn's --log-syslog-to (NULL: "udp://localhost:514"):
 * "unix://PATH[#dgram|#stream]", "udp://HOST[:PORT]", "tcp://HOST[:PORT]".
 * facility: --log-syslog-facility name (NULL: "user"), case-insensitive.
 * Returns NULL with err set ("invalid syslog address", "unknown facility
 * name", "'x' is not a valid port number.", a resolver error).  A target
 * that is down is not an error: it is retried, at most once a second. */
pfw_syslog *pfw_syslog_open(const char *addr, const char *facility,
    char *err, size_t errlen);

/* Send "<PRI>IDENT: [PID] MSG\0" (ident e.g. "gunicorn.app.error"; PRI =
 * facility * 8 + severity of level).  Never blocks: a datagram that does
 * not fit, a dead target, a stream that cannot take the message now are
 * counted as dropped.  0 sent, -1 dropped. */
int   pfw_syslog_send(pfw_syslog *s, int level, const char *ident, pid_t pid,
    const char *msg, size_t len);

/* "gunicorn.<prefix>.<kind>" into buf: prefix is syslog_prefix when set and
 * non-empty, else proc_name with ':' replaced by '.'. */
size_t pfw_syslog_ident(char *buf, size_t cap, const char *syslog_prefix,
    const char *proc_name, const char *kind);

/* Facility number for a name (gunicorn's table), -1 if unknown. */
int   pfw_syslog_facility(const char *name);

void  pfw_syslog_set_warn(pfw_syslog *s, pfw_warn_fn *fn, void *ud);
void  pfw_syslog_set_retry_ms(pfw_syslog *s, int ms);
uint64_t pfw_syslog_dropped(const pfw_syslog *s);

/* In a new worker: a stream connection inherited from the master is
 * replaced by the worker's own (two processes must not share a stream). */
void  pfw_syslog_after_fork(pfw_syslog *s);
void  pfw_syslog_close(pfw_syslog *s);


/* ---- StatsD (gunicorn/instrument/statsd.py) ----------------------------- */

typedef struct pfw_statsd pfw_statsd;

/* host: --statsd-host ("HOST[:PORT]" port 8125, "[V6]:PORT", "unix:PATH",
 * "unix://PATH", legacy "unix:PORT" = UDP to the host named "unix").
 * prefix: --statsd-prefix (gunicorn's rule: "app" -> "app.", "app." kept).
 * tags: --dogstatsd-tags, appended as "|#tags" when non-empty.
 * NULL with err on a malformed address.  A collector that cannot be
 * resolved or connected disables the client with a warning (gunicorn
 * silently sends nothing), it is not an error. */
pfw_statsd *pfw_statsd_open(const char *host, const char *prefix,
    const char *tags, char *err, size_t errlen);

/* The three per-request metrics, in gunicorn's order, one datagram each
 * (one sendmmsg(2)): PREFIXgunicorn.request.duration:<ms>|ms,
 * PREFIXgunicorn.requests:1|c|@1.0, PREFIXgunicorn.request.status.N:1|c|@1.0.
 * <ms> is Python's repr of seconds*1000 + microseconds/1000.0 of the
 * timedelta (days dropped, as timedelta.seconds does). */
void  pfw_statsd_request(pfw_statsd *st, uint64_t duration_us, int status);

/* PREFIXgunicorn.workers:N|g (the master, when the count changes). */
void  pfw_statsd_gauge_workers(pfw_statsd *st, long n);

/* PREFIXgunicorn.backlog:N|h (--enable-backlog-metric). */
void  pfw_statsd_backlog(pfw_statsd *st, long n);

/* PREFIXgunicorn.log.<critical|error|warning|exception>:1|c|@1.0 for a
 * level >= PF_LOG_WARNING (exception != 0 turns "error" into "exception"). */
void  pfw_statsd_log_count(pfw_statsd *st, int level, int exception);

/* gunicorn's generic methods: name:value|c|@1.0, |g, |h, |ms. */
void  pfw_statsd_increment(pfw_statsd *st, const char *name, long value);
void  pfw_statsd_gauge(pfw_statsd *st, const char *name, long value);
void  pfw_statsd_histogram(pfw_statsd *st, const char *name, long value);
void  pfw_statsd_timer(pfw_statsd *st, const char *name, double ms);

/* Python's repr() of a float ("12.0", "0.001", "1e+16") into buf (>= 32
 * bytes); returns the length. */
size_t pfw_pyfloat_repr(double v, char *buf);

void  pfw_statsd_set_warn(pfw_statsd *st, pfw_warn_fn *fn, void *ud);
int   pfw_statsd_enabled(const pfw_statsd *st);

/* Why an opened client sends nothing (NULL if it works): logged as a
 * WARNING by pfw_logging_install(). */
const char *pfw_statsd_disabled_reason(const pfw_statsd *st);
uint64_t pfw_statsd_dropped(const pfw_statsd *st);
void  pfw_statsd_close(pfw_statsd *st);


/* ---- error log (gunicorn.error) ----------------------------------------- */

typedef struct pfw_errlog pfw_errlog;

typedef struct pfw_errlog_conf {
    const char   *path;            /* --error-logfile; NULL or "-" = stderr */
    const char   *level;           /* --log-level; NULL/unknown = "info" */
    int           capture_output;  /* dup2 the file onto 1 and 2 */
    long          uid, gid;        /* chown the file; -1 = leave */
} pfw_errlog_conf;

/* Flags for one line (pfw_errlog_write, or pfw_errlog_mark for the next
 * line this thread sends through the core's pf_log). */
enum {
    PFW_LOGF_EXCEPTION = 1 << 0,   /* log.exception(): counted as
                                      gunicorn.log.exception, not .error */
    PFW_LOGF_NOCOUNT   = 1 << 1,   /* not counted in StatsD */
    PFW_LOGF_NOSYSLOG  = 1 << 2    /* file only */
};

pfw_errlog *pfw_errlog_open(const pfw_errlog_conf *conf, char *err,
    size_t errlen);

/* Write "[%Y-%m-%d %H:%M:%S %z] [PID] [LEVEL] msg\n" (local time) in one
 * writev(2) if level passes --log-level, then send it to syslog, then count
 * it in StatsD when level >= WARNING -- counted even when filtered out, as
 * gunicorn's Statsd logger does. */
void  pfw_errlog_write(pfw_errlog *el, int level, const char *msg,
    size_t len, unsigned flags);

/* A pf_log_fn: ud is the pfw_errlog. */
void  pfw_errlog_sink(int level, const char *msg, void *ud);

/* pf_log_set(pfw_errlog_sink, el, level): with StatsD attached the hook
 * lets warnings through even under --log-level error so they are counted. */
void  pfw_errlog_install(pfw_errlog *el);

/* Flags for the next line the calling thread writes through the sink. */
void  pfw_errlog_mark(unsigned flags);

/* Python's logging takes every line (fn NULL: no more): pfw_errlog_write
 * counts it in StatsD as before, then hands it to fn instead of writing it
 * (a line logged from inside fn is written as before).  min_level is the
 * hook's level from then on (the Python logger's effective level). */
void  pfw_errlog_set_forward(pfw_errlog *el, pfw_fwd_fn *fn, void *ud,
    int min_level);

/* gunicorn's own handlers (file or stderr, then syslog) for a line Python's
 * logging passed back: no level filter, not counted. */
void  pfw_errlog_emit(pfw_errlog *el, int level, const char *msg,
    size_t len);
/* The same for a line Python's formatter made whole (a handler whose
 * formatter the application replaced): written as it is, no prefix. */
void  pfw_errlog_emit_line(pfw_errlog *el, int level, const char *line,
    size_t len);

void  pfw_errlog_set_syslog(pfw_errlog *el, pfw_syslog *s, const char *ident);
void  pfw_errlog_set_statsd(pfw_errlog *el, pfw_statsd *st);

/* USR1: reopen the file and, with capture_output, dup2 it onto 1 and 2
 * again.  -1 with errno when the file cannot be reopened (logged). */
int   pfw_errlog_reopen(pfw_errlog *el);
void  pfw_errlog_close(pfw_errlog *el);

int   pfw_errlog_level(const pfw_errlog *el);

/* gunicorn's level name ("debug" ... "critical", any case) -> PF_LOG_*;
 * unknown -> PF_LOG_INFO. */
int   pfw_log_level_parse(const char *name);

/* "[2026-11-22 14:09:55 +0000] [PID] [LEVEL] " for time t (local time). */
size_t pfw_errlog_prefix(char *buf, size_t cap, time_t t, pid_t pid,
    int level);


/* ---- access log: the record -------------------------------------------- */

/* A header field; the layout of lib/http's pfh_header, so the parser's
 * array can be passed as is.  name == NULL: an obsolete-folding
 * continuation line, joined to the previous field with one space. */
typedef struct pfw_hdr {
    const char   *name;
    size_t        name_len;
    const char   *value;
    size_t        value_len;
} pfw_hdr;

/* What {var}e finds: */
enum {
    PFW_ENV_MISSING = 0,   /* no such key: "-" */
    PFW_ENV_STR     = 1,   /* a str, as UTF-8: '"' is escaped */
    PFW_ENV_OTHER   = 2    /* str() of another type (bool, int, object) */
};

/* Look up the environ key whose lower-case form is name[0..len) (gunicorn
 * lower-cases every environ key).  Set *val and *vlen (valid until the render
 * returns; scratch may be used for it) and return PFW_ENV_*. */
typedef int pfw_env_fn(void *ud, const char *name, size_t len,
    const char **val, size_t *vlen, char *scratch, size_t scratch_len);

/* One request, as the WSGI layer knows it after the response was written.
 * Byte strings are what gunicorn decodes as latin-1 (request line, header
 * bytes off the wire, the response headers as sent): bytes >= 0x80 are
 * written UTF-8 encoded, as Python writes a latin-1-decoded str.  A NULL
 * pointer means "absent" (h, f, a: "-"; m, U, q, H: "None"). */
typedef struct pfw_access_rec {
    const char   *remote_addr;  size_t remote_addr_len;  /* h: REMOTE_ADDR */
    const char   *method;       size_t method_len;       /* m */
    const char   *raw_uri;      size_t raw_uri_len;      /* in r: RAW_URI */
    const char   *path;         size_t path_len;         /* U: PATH_INFO */
    const char   *query;        size_t query_len;        /* q */
    const char   *protocol;     size_t protocol_len;     /* H: "HTTP/1.1" */
    int           status;                                /* s, statsd */
    const char   *status_text;  size_t status_text_len;  /* s: the first
                                     token of the app's status if non-NULL */
    uint64_t      sent;                                  /* b, B */
    int           sent_known;                            /* 0: b "-" */
    uint64_t      duration_us;                           /* T D M L */
    const pfw_hdr *req_headers;  size_t n_req_headers;   /* {x}i f a u */
    const pfw_hdr *resp_headers; size_t n_resp_headers;  /* {x}o */
    pfw_env_fn   *env;                                   /* {x}e; NULL: "-" */
    void         *env_ud;
    pid_t         pid;                                   /* p; 0 = getpid() */
    time_t        now;                                   /* t; 0 = time() */
} pfw_access_rec;


/* ---- access log: the format -------------------------------------------- */

typedef struct pfw_access_fmt pfw_access_fmt;

#define PFW_ACCESS_DEFAULT_FORMAT \
    "%(h)s %(l)s %(u)s %(t)s \"%(r)s\" %(s)s %(b)s \"%(f)s\" \"%(a)s\""

/* Compile gunicorn's --access-logformat (Python %-formatting against a
 * dict of atoms) once, at start-up.  Conversions s, r, a (any atom) and
 * d, i, u (the integer atoms T, D, M, B) with flags, width and precision
 * as Python.  NULL with err ("access_log_format: ...") where Python would
 * raise (incomplete format, unsupported character, a conversion without a
 * "(key)") or where gunicorn would fail on every request (%d of a string
 * atom), and for the forms not supported here (x X o e E f F g G c, '*',
 * widths over 4096). */
pfw_access_fmt *pfw_access_fmt_compile(const char *fmt, char *err,
    size_t errlen);
void  pfw_access_fmt_free(pfw_access_fmt *f);

/* Render one line (no newline) into buf: no allocation, at most cap bytes
 * stored.  Returns the full length (as snprintf): render again into a
 * larger buffer when it is > cap. */
size_t pfw_access_render(const pfw_access_fmt *f, const pfw_access_rec *r,
    char *buf, size_t cap);

/* The u atom: the user of "Authorization: Basic" exactly as gunicorn's
 * _get_user() (non-strict base64, strict UTF-8); 0 and "-" semantics are
 * the caller's.  Returns the user's length (0 = none), at most cap bytes
 * stored. */
size_t pfw_access_basic_user(const pfw_hdr *h, size_t n, char *buf,
    size_t cap);


/* ---- access log: the logger -------------------------------------------- */

typedef struct pfw_accesslog pfw_accesslog;

typedef struct pfw_accesslog_conf {
    const char   *path;        /* --access-logfile; NULL = no file output,
                                  "-" = stdout */
    const char   *format;      /* --access-logformat; NULL = default */
    long          uid, gid;
} pfw_accesslog_conf;

pfw_accesslog *pfw_accesslog_open(const pfw_accesslog_conf *conf, char *err,
    size_t errlen);

/* Render and write the line (+ "\n", one writev), then send it to syslog
 * when attached.  Lines longer than 8 KiB take one malloc. */
void  pfw_accesslog_write(pfw_accesslog *al, const pfw_access_rec *r);
void  pfw_accesslog_set_syslog(pfw_accesslog *al, pfw_syslog *s,
    const char *ident);

/* 1 when a line goes anywhere (a file, stdout, syslog or Python). */
int   pfw_accesslog_enabled(const pfw_accesslog *al);

/* 1 when gunicorn would give gunicorn.access a handler of its own (a file,
 * stdout or syslog). */
int   pfw_accesslog_handled(const pfw_accesslog *al);

/* An access line for Python's logging: the record and the line rendered
 * from it. */
typedef void pfw_fwd_access_fn(void *ud, const pfw_access_rec *r,
    const char *line, size_t len);

/* Rendered lines go to fn (NULL: to the file and syslog again). */
void  pfw_accesslog_set_forward(pfw_accesslog *al, pfw_fwd_access_fn *fn,
    void *ud);

/* Write a rendered line to the file and syslog (what Python's logging
 * passes back to gunicorn's own access handler). */
void  pfw_accesslog_emit(pfw_accesslog *al, const char *line, size_t n);
int   pfw_accesslog_reopen(pfw_accesslog *al);
void  pfw_accesslog_close(pfw_accesslog *al);


/* ---- everything, from gunicorn's settings ------------------------------ */

typedef struct pfw_logging pfw_logging;

typedef struct pfw_logging_conf {
    const char   *errorlog;            /* "-" */
    const char   *loglevel;            /* "info" */
    int           capture_output;
    const char   *accesslog;           /* NULL = off */
    const char   *access_log_format;   /* NULL = default */
    int           disable_redirect_access_to_syslog;
    int           syslog;
    const char   *syslog_addr;         /* NULL = "udp://localhost:514" */
    const char   *syslog_prefix;       /* NULL/"" = proc_name */
    const char   *syslog_facility;     /* NULL = "user" */
    const char   *proc_name;           /* NULL = "gunicorn" */
    const char   *statsd_host;         /* NULL = off */
    const char   *statsd_prefix;
    const char   *dogstatsd_tags;
    long          uid, gid;            /* owner of the log files, -1 */
    int           python;              /* a logconfig is given: access
                                          lines are rendered for Python's
                                          logging even with no file */
} pfw_logging_conf;

/* gunicorn's defaults. */
void  pfw_logging_conf_init(pfw_logging_conf *c);

/* Open everything (in the master, before the workers fork).  NULL with err
 * set on a start-up error: unwritable file, bad format, bad syslog address
 * or facility, bad statsd address. */
pfw_logging *pfw_logging_open(const pfw_logging_conf *c, char *err,
    size_t errlen);

/* Make the error log the core's log hook (pfw_errlog_install). */
void  pfw_logging_install(pfw_logging *lg);

/* After the response: the access line (if enabled) then the StatsD request
 * metrics (if enabled), as gunicorn's Statsd.access(). */
void  pfw_logging_access(pfw_logging *lg, const pfw_access_rec *r);

/* 1 when pfw_logging_access has anything to do (a line or metrics): the
 * WSGI layer may skip filling the record otherwise. */
int   pfw_logging_access_enabled(const pfw_logging *lg);

/* USR1 in the master and in each worker. */
int   pfw_logging_reopen(pfw_logging *lg);

/* In each new worker, after fork. */
void  pfw_logging_after_fork(pfw_logging *lg);

/* Python's logging (--log-config, --log-config-json, logconfig_dict), as
 * gunicorn's Logger hands it gunicorn.error and gunicorn.access:
 * error-log lines (after the StatsD count) and rendered access lines go to
 * fw's callbacks instead of the files, whose writers become Python
 * handlers (pfw_logging_emit_*); USR1 then calls fw->reopen after the
 * files.  fw NULL turns it off.  The conf must have had python set. */
typedef struct pfw_log_forward {
    pfw_fwd_fn         *error;
    pfw_fwd_access_fn  *access;
    void              (*reopen)(void *ud);
    void               *ud;
    int                 min_level;     /* the core hook's level */
} pfw_log_forward;

void  pfw_logging_set_forward(pfw_logging *lg, const pfw_log_forward *fw);
void  pfw_logging_emit_error(pfw_logging *lg, int level, const char *msg,
    size_t len);
void  pfw_logging_emit_error_line(pfw_logging *lg, int level,
    const char *line, size_t len);
void  pfw_logging_emit_access(pfw_logging *lg, const char *line, size_t len);
/* gunicorn would give gunicorn.access a handler (--access-logfile, or
 * syslog without --disable-redirect-access-to-syslog). */
int   pfw_logging_access_handled(const pfw_logging *lg);

/* NULL when --statsd-host is not set. */
pfw_statsd *pfw_logging_statsd(pfw_logging *lg);
pfw_errlog *pfw_logging_errlog(pfw_logging *lg);

/* Restores the core's default sink if this one is installed. */
void  pfw_logging_close(pfw_logging *lg);


/* ---- shared helpers ----------------------------------------------------- */

/* Monotonic milliseconds. */
int64_t pfw_log_now_ms(void);

/* Rate limit for self-reports: 1 (and the window restarts) when a minute
 * has passed since the last report. */
int   pfw_log_report_due(int64_t *next_ms);

#endif /* PFW_LOG_H */

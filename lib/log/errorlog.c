/*
 * gunicorn.error: "%(asctime)s [%(process)d] [%(levelname)s] %(message)s"
 * with datefmt "[%Y-%m-%d %H:%M:%S %z]", to a file or stderr, then the
 * syslog handler, then the StatsD log counters (glogging.py Logger,
 * instrument/statsd.py Statsd).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

struct pfw_errlog {
    pfw_logfile   file;
    int           level;
    int           capture;
    pfw_syslog   *syslog;
    char         *ident;          /* "gunicorn.<prefix>.error" */
    pfw_statsd   *statsd;
    pfw_fwd_fn   *fwd;            /* Python's logging takes the lines */
    void         *fwd_ud;
    int           fwd_min;        /* lowest level it keeps */
};

static _Thread_local unsigned  next_flags;
static _Thread_local int       forwarding;   /* inside fwd: no loop back */
static pfw_errlog             *installed;

static const struct {
    const char  *name;
    int          level;
} level_names[] = {
    { "critical", PF_LOG_CRITICAL },
    { "error",    PF_LOG_ERROR },
    { "warning",  PF_LOG_WARNING },
    { "info",     PF_LOG_INFO },
    { "debug",    PF_LOG_DEBUG },
};


int
pfw_log_level_parse(const char *name)
{
    size_t  i;

    if (name == NULL) {
        return PF_LOG_INFO;
    }
    for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (pfw__ascii_casecmp(name, strlen(name), level_names[i].name,
                               strlen(level_names[i].name)) == 0)
        {
            return level_names[i].level;
        }
    }
    return PF_LOG_INFO;
}


size_t
pfw_errlog_prefix(char *buf, size_t cap, time_t t, pid_t pid, int level)
{
    char    stamp[PFW__STAMP_MAX];
    size_t  n;
    int     k;

    n = pfw__stamp_error(t, stamp);
    k = snprintf(buf, cap, "%.*s [%d] [%s] ", (int) n, stamp, (int) pid,
                 pf_log_level_name(level));
    if (k < 0) {
        return 0;
    }
    return (size_t) k < cap ? (size_t) k : (cap > 0 ? cap - 1 : 0);
}


/* Python flushes sys.stdout/sys.stderr first; we flush C's. */
static int
capture(const pfw_errlog *el)
{
    fflush(stdout);
    fflush(stderr);
    if (dup2(el->file.fd, STDOUT_FILENO) == -1
        || dup2(el->file.fd, STDERR_FILENO) == -1)
    {
        return -1;
    }
    return 0;
}


pfw_errlog *
pfw_errlog_open(const pfw_errlog_conf *conf, char *err, size_t errlen)
{
    pfw_errlog  *el;
    int          e;

    el = calloc(1, sizeof(*el));
    if (el == NULL) {
        pfw__errf(err, errlen, "Error: out of memory");
        return NULL;
    }
    el->level = pfw_log_level_parse(conf->level);
    if (pfw_logfile_open(&el->file, conf->path, STDERR_FILENO, conf->uid,
                         conf->gid, err, errlen) == -1)
    {
        e = errno;
        free(el);
        errno = e;
        return NULL;
    }
    /* Only a file is captured: with "-" stdout and stderr stay. */
    el->capture = conf->capture_output && !el->file.std;
    if (el->capture && capture(el) == -1) {
        e = errno;
        pfw__errf(err, errlen, "Error: capture_output: dup2() failed: %s",
                  strerror(e));
        pfw_logfile_close(&el->file);
        free(el);
        errno = e;
        return NULL;
    }
    return el;
}


static void
emit(pfw_errlog *el, int level, const char *msg, size_t len, unsigned flags)
{
    char          prefix[128];
    struct iovec  iov[3];
    pid_t         pid;

    pid = getpid();
    iov[0].iov_base = prefix;
    iov[0].iov_len = pfw_errlog_prefix(prefix, sizeof(prefix), time(NULL),
                                       pid, level);
    iov[1].iov_base = (void *) msg;
    iov[1].iov_len = len;
    iov[2].iov_base = (void *) "\n";
    iov[2].iov_len = 1;
    (void) pfw_logfile_writev(&el->file, iov, 3);
    if (el->syslog != NULL && !(flags & PFW_LOGF_NOSYSLOG)) {
        (void) pfw_syslog_send(el->syslog, level, el->ident, pid, msg, len);
    }
}


void
pfw_errlog_emit(pfw_errlog *el, int level, const char *msg, size_t len)
{
    int  e = errno;

    emit(el, level, msg, len, 0);
    errno = e;
}


void
pfw_errlog_emit_line(pfw_errlog *el, int level, const char *line,
    size_t len)
{
    struct iovec  iov[2];
    int           e = errno;

    iov[0].iov_base = (void *) line;
    iov[0].iov_len = len;
    iov[1].iov_base = (void *) "\n";
    iov[1].iov_len = 1;
    (void) pfw_logfile_writev(&el->file, iov, 2);
    if (el->syslog != NULL) {
        (void) pfw_syslog_send(el->syslog, level, el->ident, getpid(), line,
                               len);
    }
    errno = e;
}


void
pfw_errlog_write(pfw_errlog *el, int level, const char *msg, size_t len,
    unsigned flags)
{
    int  e = errno;

    if (el->fwd != NULL && !forwarding) {
        /* Python's logger filters by its own level; a line logged while
         * Python is handling one is written here (no loop back) */
        forwarding = 1;
        el->fwd(el->fwd_ud, level, msg, len);
        forwarding = 0;
    } else if (level >= el->level) {
        emit(el, level, msg, len, flags);
    }
    if (el->statsd != NULL && level >= PF_LOG_WARNING
        && !(flags & PFW_LOGF_NOCOUNT))
    {
        pfw_statsd_log_count(el->statsd, level,
                             (flags & PFW_LOGF_EXCEPTION) != 0);
    }
    errno = e;
}


void
pfw_errlog_sink(int level, const char *msg, void *ud)
{
    unsigned  flags = next_flags;

    next_flags = 0;
    pfw_errlog_write(ud, level, msg, strlen(msg), flags);
}


void
pfw_errlog_mark(unsigned flags)
{
    next_flags = flags;
}


void
pfw_errlog_install(pfw_errlog *el)
{
    int  min = el->fwd != NULL ? el->fwd_min : el->level;

    /* gunicorn's Statsd counts warnings its level filter drops. */
    if (el->statsd != NULL && min > PF_LOG_WARNING) {
        min = PF_LOG_WARNING;
    }
    pf_log_set(pfw_errlog_sink, el, min);
    installed = el;
}


void
pfw_errlog_set_syslog(pfw_errlog *el, pfw_syslog *s, const char *ident)
{
    char  *copy = NULL;

    if (s != NULL && ident != NULL) {
        copy = strdup(ident);
        if (copy == NULL) {
            s = NULL;
        }
    }
    free(el->ident);
    el->ident = copy;
    el->syslog = s;
}


void
pfw_errlog_set_statsd(pfw_errlog *el, pfw_statsd *st)
{
    el->statsd = st;
    if (installed == el) {
        pfw_errlog_install(el);
    }
}


int
pfw_errlog_reopen(pfw_errlog *el)
{
    int  e;

    if (pfw_logfile_reopen(&el->file) == -1) {
        e = errno;
        pf_log_errno(PF_LOG_ERROR, e, "reopen(%s) failed", el->file.path);
        errno = e;
        return -1;
    }
    if (el->capture && capture(el) == -1) {
        e = errno;
        pf_log_errno(PF_LOG_ERROR, e, "capture_output: dup2() failed");
        errno = e;
        return -1;
    }
    return 0;
}


int
pfw_errlog_level(const pfw_errlog *el)
{
    return el->fwd != NULL ? el->fwd_min : el->level;
}


void
pfw_errlog_set_forward(pfw_errlog *el, pfw_fwd_fn *fn, void *ud,
    int min_level)
{
    el->fwd = fn;
    el->fwd_ud = ud;
    el->fwd_min = min_level;
    if (installed == el) {
        pfw_errlog_install(el);
    }
}


void
pfw_errlog_close(pfw_errlog *el)
{
    if (el == NULL) {
        return;
    }
    if (installed == el) {
        pf_log_set(NULL, NULL, PF_LOG_INFO);
        installed = NULL;
    }
    pfw_logfile_close(&el->file);
    free(el->ident);
    free(el);
}

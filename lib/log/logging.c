/*
 * gunicorn's Logger (and its Statsd subclass) put together from the
 * logging settings: which handlers exist, in which order they run, and
 * what USR1 and a new worker do to them (glogging.Logger.setup,
 * reopen_files; instrument/statsd.py).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct pfw_logging {
    pfw_errlog     *errlog;
    pfw_accesslog  *access;       /* NULL: no access line goes anywhere */
    pfw_syslog     *syslog;
    pfw_statsd     *statsd;
    pfw_log_forward fw;           /* Python's logging; fw.ud NULL: none */
};


void
pfw_logging_conf_init(pfw_logging_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->errorlog = "-";
    c->loglevel = "info";
    c->syslog_addr = "udp://localhost:514";
    c->syslog_facility = "user";
    c->proc_name = "gunicorn";
    c->statsd_prefix = "";
    c->dogstatsd_tags = "";
    c->uid = -1;
    c->gid = -1;
}


/* The clients' reports about themselves: file only, and not counted, as
 * gunicorn's Logger.warning() calls from inside the Statsd class. */
static void
self_warn(void *ud, const char *msg)
{
    pfw_logging  *lg = ud;

    pfw_errlog_write(lg->errlog, PF_LOG_WARNING, msg, strlen(msg),
                     PFW_LOGF_NOCOUNT | PFW_LOGF_NOSYSLOG);
}


static int
open_syslog(pfw_logging *lg, const pfw_logging_conf *c, char *err,
    size_t errlen)
{
    char  ident[512];

    lg->syslog = pfw_syslog_open(c->syslog_addr, c->syslog_facility, err,
                                 errlen);
    if (lg->syslog == NULL) {
        return -1;
    }
    pfw_syslog_set_warn(lg->syslog, self_warn, lg);
    pfw_syslog_ident(ident, sizeof(ident), c->syslog_prefix, c->proc_name,
                     "error");
    pfw_errlog_set_syslog(lg->errlog, lg->syslog, ident);
    return 0;
}


static int
open_access(pfw_logging *lg, const pfw_logging_conf *c, char *err,
    size_t errlen)
{
    pfw_accesslog_conf  ac;
    char                ident[512];
    int                 to_syslog;

    to_syslog = lg->syslog != NULL && !c->disable_redirect_access_to_syslog;
    /* with Python's logging, lines are rendered for it even with no
     * file (gunicorn's access() runs whenever a logconfig is given) */
    if (c->accesslog == NULL && !to_syslog && !c->python) {
        return 0;
    }
    ac.path = c->accesslog;
    ac.format = c->access_log_format;
    ac.uid = c->uid;
    ac.gid = c->gid;
    lg->access = pfw_accesslog_open(&ac, err, errlen);
    if (lg->access == NULL) {
        return -1;
    }
    if (to_syslog) {
        pfw_syslog_ident(ident, sizeof(ident), c->syslog_prefix,
                         c->proc_name, "access");
        pfw_accesslog_set_syslog(lg->access, lg->syslog, ident);
    }
    return 0;
}


pfw_logging *
pfw_logging_open(const pfw_logging_conf *c, char *err, size_t errlen)
{
    pfw_errlog_conf   ec;
    pfw_logging      *lg;

    lg = calloc(1, sizeof(*lg));
    if (lg == NULL) {
        pfw__errf(err, errlen, "Error: out of memory");
        return NULL;
    }
    ec.path = c->errorlog;
    ec.level = c->loglevel;
    ec.capture_output = c->capture_output;
    ec.uid = c->uid;
    ec.gid = c->gid;
    lg->errlog = pfw_errlog_open(&ec, err, errlen);
    if (lg->errlog == NULL) {
        free(lg);
        return NULL;
    }
    if ((c->syslog && open_syslog(lg, c, err, errlen) == -1)
        || open_access(lg, c, err, errlen) == -1)
    {
        pfw_logging_close(lg);
        return NULL;
    }
    if (c->statsd_host != NULL) {
        lg->statsd = pfw_statsd_open(c->statsd_host, c->statsd_prefix,
                                     c->dogstatsd_tags, err, errlen);
        if (lg->statsd == NULL) {
            pfw_logging_close(lg);
            return NULL;
        }
        pfw_statsd_set_warn(lg->statsd, self_warn, lg);
        pfw_errlog_set_statsd(lg->errlog, lg->statsd);
    }
    return lg;
}


void
pfw_logging_install(pfw_logging *lg)
{
    const char  *why;

    pfw_errlog_install(lg->errlog);
    why = pfw_statsd_disabled_reason(lg->statsd);
    if (why != NULL) {
        self_warn(lg, why);
    }
}


void
pfw_logging_access(pfw_logging *lg, const pfw_access_rec *r)
{
    if (lg->access != NULL) {
        pfw_accesslog_write(lg->access, r);
    }
    if (lg->statsd != NULL) {
        pfw_statsd_request(lg->statsd, r->duration_us, r->status);
    }
}


int
pfw_logging_access_enabled(const pfw_logging *lg)
{
    return pfw_accesslog_enabled(lg->access) || pfw_statsd_enabled(lg->statsd);
}


void
pfw_logging_set_forward(pfw_logging *lg, const pfw_log_forward *fw)
{
    if (fw == NULL) {
        memset(&lg->fw, 0, sizeof(lg->fw));
        pfw_errlog_set_forward(lg->errlog, NULL, NULL, 0);
        if (lg->access != NULL) {
            pfw_accesslog_set_forward(lg->access, NULL, NULL);
        }
        return;
    }
    lg->fw = *fw;
    pfw_errlog_set_forward(lg->errlog, fw->error, fw->ud, fw->min_level);
    if (lg->access != NULL) {
        pfw_accesslog_set_forward(lg->access, fw->access, fw->ud);
    }
}


void
pfw_logging_emit_error(pfw_logging *lg, int level, const char *msg,
    size_t len)
{
    pfw_errlog_emit(lg->errlog, level, msg, len);
}


void
pfw_logging_emit_error_line(pfw_logging *lg, int level, const char *line,
    size_t len)
{
    pfw_errlog_emit_line(lg->errlog, level, line, len);
}


void
pfw_logging_emit_access(pfw_logging *lg, const char *line, size_t len)
{
    if (lg->access != NULL) {
        pfw_accesslog_emit(lg->access, line, len);
    }
}


int
pfw_logging_access_handled(const pfw_logging *lg)
{
    return pfw_accesslog_handled(lg->access);
}


int
pfw_logging_reopen(pfw_logging *lg)
{
    int  rc = 0, e = 0;

    if (pfw_errlog_reopen(lg->errlog) == -1) {
        rc = -1;
        e = errno;
    }
    if (lg->access != NULL && pfw_accesslog_reopen(lg->access) == -1) {
        rc = -1;
        e = errno;
    }
    /* then every FileHandler of Python's loggers, as gunicorn's
     * reopen_files() */
    if (lg->fw.reopen != NULL) {
        lg->fw.reopen(lg->fw.ud);
    }
    if (rc == -1) {
        errno = e;
    }
    return rc;
}


void
pfw_logging_after_fork(pfw_logging *lg)
{
    if (lg->syslog != NULL) {
        pfw_syslog_after_fork(lg->syslog);
    }
}


pfw_statsd *
pfw_logging_statsd(pfw_logging *lg)
{
    return lg->statsd;
}


pfw_errlog *
pfw_logging_errlog(pfw_logging *lg)
{
    return lg->errlog;
}


void
pfw_logging_close(pfw_logging *lg)
{
    if (lg == NULL) {
        return;
    }
    pfw_accesslog_close(lg->access);
    pfw_errlog_close(lg->errlog);
    pfw_statsd_close(lg->statsd);
    pfw_syslog_close(lg->syslog);
    free(lg);
}

/*
 * The master's side of gunicorn's logging (glogging.Logger and its Statsd
 * subclass, as Arbiter.setup/start/reload/manage_workers use them), over
 * lib/log.  One logger lives at a time; a HUP builds the next one and
 * drops the old only once the new one is open.  Workers inherit the
 * logger through fork (lib/wsgi reopens it on their USR1).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <prefork/arbiter.h>
#include <prefork/log.h>

#include "access.h"
#include "log.h"
#include "logsetup.h"
#include "options.h"

/* What the wrapped callbacks need, set at open and at each reload. */
static struct {
    pfw_logging    *lg;
    int             backlog;        /* --enable-backlog-metric */
    int             recapture;      /* daemon + capture_output */
    long            last_workers;   /* last count reported; -1: none */
    pf_worker_ops   inner;          /* the callbacks we wrap */
} ls = { NULL, 0, 0, -1, { 0 } };

/* Python's logging took the lines once (--log-config...): its handlers
 * must follow each new logger. */
static int  pylog_on;

static int  pylog_wanted(const pfc_settings *s);


static long
owner(long id, long current)
{
    return id == current ? -1 : id;
}


static void
fill_conf(pfw_logging_conf *c, const pfc_settings *s)
{
    pfw_logging_conf_init(c);
    if (s->errorlog != NULL) {
        c->errorlog = s->errorlog;
    }
    if (s->loglevel != NULL) {
        c->loglevel = s->loglevel;
    }
    c->capture_output = s->capture_output;
    c->accesslog = s->accesslog;
    c->access_log_format = s->access_log_format;
    c->disable_redirect_access_to_syslog = s->disable_redirect_access_to_syslog;
    c->syslog = s->syslog;
    if (s->syslog_addr != NULL) {
        c->syslog_addr = s->syslog_addr;
    }
    c->syslog_prefix = s->syslog_prefix;
    if (s->syslog_facility != NULL) {
        c->syslog_facility = s->syslog_facility;
    }
    c->proc_name = s->proc_name != NULL ? s->proc_name : s->default_proc_name;
    if (c->proc_name == NULL) {
        c->proc_name = "gunicorn";
    }
    c->statsd_host = s->statsd_host;
    if (s->statsd_prefix != NULL) {
        c->statsd_prefix = s->statsd_prefix;
    }
    if (s->dogstatsd_tags != NULL) {
        c->dogstatsd_tags = s->dogstatsd_tags;
    }
    /* gunicorn chowns to cfg.user/cfg.group, whose defaults are ours */
    c->uid = owner(s->user, (long) geteuid());
    c->gid = owner(s->group, (long) getegid());
    c->python = pylog_wanted(s);
}


/* ---- Python's logging (--log-config, --log-config-json, logconfig_dict) */

static int
given(const char *v)
{
    return v != NULL && v[0] != '\0';
}


/* gunicorn's test: any of the three is truthy (an empty dict is not). */
static int
pylog_wanted(const pfc_settings *s)
{
    return given(s->logconfig) || given(s->logconfig_json)
           || (given(s->logconfig_dict)
               && strcmp(s->logconfig_dict, "{}") != 0);
}


/* Hand lg's lines to Python's logging as the settings say (the
 * interpreter starts in the master for it); else, after a reload, point
 * the handlers a previous configuration left on Python's loggers at lg;
 * else give gunicorn.error and gunicorn.access gunicorn's handlers and
 * lg's level if Python already runs here (a configuration file). */
static int
pylog_attach(const pfc_settings *s, pfw_logging *lg, char *err,
    size_t errlen)
{
    pfw_pylog_conf  pc;
    int             rc;

    if (!pylog_wanted(s)) {
        if (pylog_on) {
            pfw_pylog_retarget(lg);
            return 0;
        }
        /* gunicorn's loggers, when Python runs in this master */
        memset(&pc, 0, sizeof(pc));
        return pfw_pylog_setup(&pc, lg, err, errlen);
    }
    memset(&pc, 0, sizeof(pc));
    pc.logconfig = given(s->logconfig) ? s->logconfig : NULL;
    pc.logconfig_json = given(s->logconfig_json) ? s->logconfig_json : NULL;
    pc.logconfig_dict = s->logconfig_dict;
    pc.loglevel = s->loglevel;
    pc.access_log_format = s->access_log_format;
    pc.pythonpath = s->pythonpath;
    rc = pfw_pylog_setup(&pc, lg, err, errlen);
    if (rc == 0) {
        pylog_on = 1;
    }
    return rc;
}


static void  dump_config(const pfc_settings *s);


static void
take_flags(const pfc_settings *s)
{
    ls.backlog = s->enable_backlog_metric;
    ls.recapture = s->daemon && s->capture_output;
}


int
pfc_logs_open(const pfc_settings *s, char *err, size_t errlen)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    int               rc;

    /* a log on "-" whose reader died must fail with EPIPE, not kill us
     * (Python ignores SIGPIPE; the arbiter does too, later) */
    signal(SIGPIPE, SIG_IGN);
    fill_conf(&c, s);
    lg = pfw_logging_open(&c, err, errlen);
    if (lg == NULL) {
        return -1;
    }
    /* gunicorn's Logger.setup(): its own handlers, then the logconfig */
    rc = pylog_attach(s, lg, err, errlen);
    if (rc != 0) {
        pfw_logging_close(lg);
        if (rc == PFW_PYLOG_PRINTED) {
            exit(PFC_EXIT_CONFIG);      /* Python printed the traceback */
        }
        return -1;
    }
    pfw_logging_install(lg);
    pfw_log_use(lg);
    ls.lg = lg;
    take_flags(s);
    return 0;
}


struct pfw_logging *
pfc_logs_current(void)
{
    return ls.lg;
}


int
pfc_logs_reload(const pfc_settings *s)
{
    pfw_logging_conf  c;
    pfw_logging      *lg;
    char              err[1024];

    if (ls.lg == NULL) {
        return 0;
    }
    fill_conf(&c, s);
    lg = pfw_logging_open(&c, err, sizeof(err));
    if (lg != NULL && pylog_attach(s, lg, err, sizeof(err)) != 0) {
        pfw_logging_close(lg);
        lg = NULL;
    }
    if (lg == NULL) {
        pf_log(PF_LOG_ERROR, "Reload: the new logging settings failed, the "
               "previous ones stay: %s", err);
        return -1;
    }
    pfw_logging_install(lg);
    pfw_log_use(lg);
    pfw_logging_close(ls.lg);
    ls.lg = lg;
    take_flags(s);
    /* gunicorn's setup() dumps the configuration on every reload too */
    if (pfw_errlog_level(pfw_logging_errlog(ls.lg)) <= PF_LOG_DEBUG) {
        dump_config(s);
    }
    return 0;
}


/* ---- start-up lines ----------------------------------------------------- */

/* gunicorn's Arbiter.setup(): one DEBUG message, "Current configuration:"
 * then "  name: value" per setting in gunicorn's order, values as str(). */
static void
dump_config(const pfc_settings *s)
{
    static const char  head[] = "Current configuration:";
    char              *text, *buf, *p;
    size_t             len, cap = 8192, n;
    int                i;

    buf = malloc(cap);
    if (buf == NULL) {
        return;
    }
    n = sizeof(head) - 1;
    memcpy(buf, head, n);
    for (i = 0; i < PFC_NSETTINGS; i++) {
        text = pfc_value_str(s, i);
        if (text == NULL) {
            continue;
        }
        /* "\n  " name ": " text and the NUL */
        len = strlen(pfc_table[i].name) + strlen(text) + 6;
        if (n + len > cap) {
            cap = (n + len) * 2;
            p = realloc(buf, cap);
            if (p == NULL) {
                free(text);
                free(buf);
                return;
            }
            buf = p;
        }
        n += (size_t) snprintf(buf + n, cap - n, "\n  %s: %s",
                               pfc_table[i].name, text);
        free(text);
    }
    /* past pf_log's 4 KiB line: straight to the error log */
    pfw_errlog_write(pfw_logging_errlog(ls.lg), PF_LOG_DEBUG, buf, n, 0);
    free(buf);
}


void
pfc_logs_starting(const pfc_settings *s)
{
    if (ls.lg == NULL) {
        return;
    }
    if (pfw_errlog_level(pfw_logging_errlog(ls.lg)) <= PF_LOG_DEBUG) {
        dump_config(s);
    }
    /* not "Starting gunicorn": the version is prefork-wsgi's (see the
     * man page, DIFFERENCES FROM GUNICORN) */
    pf_log(PF_LOG_INFO, "Starting prefork-wsgi %d.%d.%d", PF_VERSION_MAJOR,
           PF_VERSION_MINOR, PF_VERSION_PATCH);
    pf_log(PF_LOG_DEBUG, "Arbiter booted");
}


/* ---- the master's metrics ------------------------------------------------ */

/* gunicorn's manage_workers(): "N workers" at DEBUG with the gauge, each
 * time the number it keeps changes.  That number is the target the core
 * keeps; it is read whenever the master tells us something happened. */
static void
note_workers(pf_arbiter *a)
{
    long  n = pf_arbiter_workers(a);

    if (n == ls.last_workers || ls.lg == NULL) {
        return;
    }
    ls.last_workers = n;
    pf_log(PF_LOG_DEBUG, "%ld workers", n);
    if (pfw_logging_statsd(ls.lg) != NULL) {
        pfw_statsd_gauge_workers(pfw_logging_statsd(ls.lg), n);
    }
}


/* gunicorn's get_backlog(): TCP_INFO's tcpi_unacked of each TCP listener
 * (for a listening socket, the connections waiting in its accept queue),
 * summed.  Unix sockets have no TCP_INFO and count for nothing.  gunicorn
 * sends it from manage_workers(), on every pass of its loop: here on each
 * PF_EVENT_TICK, once a second. */
static void
note_backlog(pf_arbiter *a)
{
    const int       *fds;
    struct tcp_info  ti;
    socklen_t        len;
    size_t           i, n = 0;
    long             total = 0;
    int              any = 0;

    if (!ls.backlog || ls.lg == NULL || pfw_logging_statsd(ls.lg) == NULL) {
        return;
    }
    fds = pf_arbiter_listeners(a, &n);
    for (i = 0; fds != NULL && i < n; i++) {
        len = sizeof(ti);
        memset(&ti, 0, sizeof(ti));
        if (getsockopt(fds[i], IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) {
            total += (long) ti.tcpi_unacked;
            any = 1;
        }
    }
    if (any) {
        pf_log(PF_LOG_DEBUG, "socket backlog: %ld", total);
        pfw_statsd_backlog(pfw_logging_statsd(ls.lg), total);
    }
}


static void
on_tick(pf_arbiter *a, int event, void *ud)
{
    (void) ud;
    if (event == PF_EVENT_TICK) {
        note_backlog(a);
    }
}


/* ---- the wrapped callbacks ----------------------------------------------- */

static int
wrap_master_init(pf_arbiter *a, void *ud)
{
    int  rc = 0;

    /* -D without -R pointed stdout and stderr at /dev/null after we had
     * captured them: gunicorn daemonizes before its logger exists */
    if (ls.recapture && ls.lg != NULL) {
        (void) pfw_logging_reopen(ls.lg);
    }
    if (ls.inner.master_init != NULL) {
        rc = ls.inner.master_init(a, ud);
    }
    /* always: a HUP may turn the metric on; the loop passes once a second
     * whether we listen or not */
    if (rc == 0 && pf_arbiter_subscribe(a, PF_EVENT_TICK, on_tick, NULL) != 0) {
        pf_log_errno(PF_LOG_WARNING, errno, "pf_arbiter_subscribe() failed");
    }
    return rc;
}


static int
wrap_on_signal(pf_arbiter *a, int signo, void *ud)
{
    int  r = 0;

    if (signo == SIGUSR1 && ls.lg != NULL) {
        /* gunicorn: the master reopens, then forwards USR1 to workers;
         * a failure is logged by lib/log and the old file stays */
        (void) pfw_logging_reopen(ls.lg);
    }
    if (ls.inner.on_signal != NULL) {
        r = ls.inner.on_signal(a, signo, ud);
    }
    note_workers(a);
    return r;
}


static void
wrap_post_fork(pf_arbiter *a, int slot, pid_t pid, void *ud)
{
    if (ls.inner.post_fork != NULL) {
        ls.inner.post_fork(a, slot, pid, ud);
    }
    note_workers(a);
}


static void
wrap_worker_exit(pf_arbiter *a, const pf_worker_exit *st, void *ud)
{
    if (ls.inner.worker_exit != NULL) {
        ls.inner.worker_exit(a, st, ud);
    }
    note_workers(a);
}


/* In the new worker, before its kind starts Python: the logger becomes
 * its own (a syslog stream inherited from the master is replaced). */
static int
wrap_init(pf_worker *w, void *ud)
{
    if (ls.lg != NULL) {
        pfw_logging_after_fork(ls.lg);
    }
    return ls.inner.init != NULL ? ls.inner.init(w, ud) : 0;
}


void
pfc_logs_ops(pf_worker_ops *ops, const pfc_settings *s)
{
    take_flags(s);
    ls.inner = *ops;
    ops->init = wrap_init;
    ops->master_init = wrap_master_init;
    ops->on_signal = wrap_on_signal;
    ops->post_fork = wrap_post_fork;
    ops->worker_exit = wrap_worker_exit;
}

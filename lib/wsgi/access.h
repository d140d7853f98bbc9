/*
 * lib/wsgi's access log and per-request metrics (access.c, logreopen.c):
 * the master names the logger (lib/log's pfw_logging) its workers use; a
 * worker forked afterwards writes an access line and sends the StatsD
 * request metrics after each response, and reopens the files on SIGUSR1.
 */
#ifndef PFW_ACCESS_H
#define PFW_ACCESS_H

#include <stddef.h>

struct pfw_logging;

/* In the master, before the workers fork (and again after a reload built
 * a new logger).  NULL: no access log, no metrics, nothing to reopen. */
void pfw_log_use(struct pfw_logging *lg);

/*
 * --log-config, --log-config-json, logconfig_dict (pylog.c): Python's
 * logging takes the server's log lines (gunicorn.error, gunicorn.access),
 * configured as gunicorn's Logger.setup() does.  In the master, after
 * pfw_logging_open() (with conf.python set) and before the workers fork:
 * starts the interpreter here if need be.  0; -1 with gunicorn's message
 * in err (print "\nError: %s\n\n", exit 1); PFW_PYLOG_PRINTED when
 * Python already printed a traceback (exit 1).  On failure lg is unchanged.
 * None of the three given: only gunicorn's own loggers (pylog.h), set up
 * now if Python runs in this process (never started for them), 0.
 */
typedef struct pfw_pylog_conf {
    const char   *logconfig;         /* --log-config INI file */
    const char   *logconfig_json;    /* --log-config-json FILE */
    const char   *logconfig_dict;    /* its repr (the config file's own
                                        object is used when it exists) */
    const char   *loglevel;          /* --log-level */
    const char   *access_log_format; /* NULL: gunicorn's default */
    const char   *pythonpath;        /* on sys.path for handler classes */
} pfw_pylog_conf;

#define PFW_PYLOG_PRINTED  (-2)

int  pfw_pylog_setup(const pfw_pylog_conf *c, struct pfw_logging *lg,
                     char *err, size_t errlen);
/* A reload replaced the logger: gunicorn's handlers, still on Python's
 * loggers, write to lg from now on. */
void pfw_pylog_retarget(struct pfw_logging *lg);

#endif /* PFW_ACCESS_H */

/*
 * gunicorn's loggers without a logconfig (pylog.c): gunicorn.error and
 * gunicorn.access exist with gunicorn's handlers in every process that
 * runs Python, as glogging.Logger.setup() leaves them, so app code that
 * logs to them or borrows their handlers writes to the server's log.
 */
#ifndef PFW_PYLOG_H
#define PFW_PYLOG_H

/* Called by pfw_interp_start() once the interpreter runs (the GIL held):
 * gunicorn.error at --log-level and gunicorn.access at INFO, neither
 * propagating, each with the handler that writes through lib/log (the
 * access logger only when an access log or syslog takes its lines).
 * Nothing before the master has opened its logs, nor once a logconfig
 * configured Python's logging.  A failure is logged, never fatal. */
void pfw_pylog_defaults(void);

#endif /* PFW_PYLOG_H */

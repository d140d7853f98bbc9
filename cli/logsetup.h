/*
 * prefork-wsgi's logging in the master: lib/log's gunicorn logger built
 * from the settings, installed as libprefork's log hook, reopened on USR1,
 * rebuilt on HUP, and the master's StatsD metrics (gunicorn.workers,
 * gunicorn.backlog).  Glue between cli/ and lib/log, linked into the
 * binary only.
 */
#ifndef PFC_LOGSETUP_H
#define PFC_LOGSETUP_H

#include <stddef.h>

#include <prefork/worker.h>

#include "settings.h"

struct pfw_logging;

/* Open the error log, access log, syslog and StatsD client from s and make
 * the error log the core's log hook.  0, or -1 with gunicorn's message in
 * err (printed as "\nError: <err>\n", exit 1). */
int   pfc_logs_open(const pfc_settings *s, char *err, size_t errlen);

/* What the workers inherit; NULL before pfc_logs_open(). */
struct pfw_logging *pfc_logs_current(void);

/* gunicorn's start-up lines before the arbiter binds: the configuration
 * dump (DEBUG), "Starting prefork-wsgi VERSION", "Arbiter booted" (DEBUG). */
void  pfc_logs_starting(const pfc_settings *s);

/* SIGHUP (gunicorn 26.1 rebuilds its logger): the logging of the new
 * settings replaces the old; when it cannot be opened the old one stays
 * (an ERROR says why) and -1 is returned. */
int   pfc_logs_reload(const pfc_settings *s);

/* Wrap callbacks of ops: USR1 reopens the master's files, the worker
 * count goes to the log and StatsD when it changes, with
 * --enable-backlog-metric the listen backlog is sent once a second
 * (PF_EVENT_TICK, subscribed in master_init), and a new worker
 * makes the logger its own before its kind's init.  Call after
 * pfw_hooks_ops (each wrapper calls what it replaced). */
void  pfc_logs_ops(pf_worker_ops *ops, const pfc_settings *s);

#endif /* PFC_LOGSETUP_H */

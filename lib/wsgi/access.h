/*
 * lib/wsgi's access log and per-request metrics (access.c, logreopen.c):
 * the master names the logger (lib/log's pfw_logging) its workers use; a
 * worker forked afterwards writes an access line and sends the StatsD
 * request metrics after each response, and reopens the files on SIGUSR1.
 */
#ifndef PFW_ACCESS_H
#define PFW_ACCESS_H

struct pfw_logging;

/* In the master, before the workers fork (and again after a reload built
 * a new logger).  NULL: no access log, no metrics, nothing to reopen. */
void pfw_log_use(struct pfw_logging *lg);

#endif /* PFW_ACCESS_H */

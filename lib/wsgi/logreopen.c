/*
 * The worker's logger: named by the master (pfw_log_use), inherited
 * through fork (the CLI makes it the worker's own at init, see
 * cli/logsetup.c), reopened on SIGUSR1.  Every
 * worker kind calls pfw_log_reopen() from its main thread when
 * pf_worker_poll() reports PF_WORKER_REOPEN, with the GIL released: lib/log
 * swaps files under concurrent writers without losing a line, so the pool
 * threads of a gthread worker keep logging meanwhile.
 */
#include "internal.h"

#include "access.h"
#include "log.h"

static pfw_logging  *current;


void
pfw_log_use(pfw_logging *lg)
{
    current = lg;
}


pfw_logging *
pfw_log_current(void)
{
    return current;
}


void
pfw_log_reopen(void)
{
    pf_log(PF_LOG_DEBUG, "reopening log files");
    if (current != NULL) {
        /* a file that cannot be reopened is logged by lib/log; the old
         * one stays in use */
        (void) pfw_logging_reopen(current);
    }
}

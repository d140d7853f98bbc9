/*
 * SIGUSR1 in a worker: reopen the log files.  Every worker kind calls
 * pfw_log_reopen() from its main thread when pf_worker_poll() reports
 * PF_WORKER_REOPEN, with the GIL released (take it with PyGILState_Ensure
 * if Python is needed).  The logging layer fills this in; until then the
 * signal is only acknowledged.
 */
#include "internal.h"


void
pfw_log_reopen(void)
{
    pf_log(PF_LOG_DEBUG, "reopening log files");
}

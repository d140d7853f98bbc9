/*
 * check_wsgi: the runner for the lib/wsgi suites (linked with libpython and
 * libev, so lib/core's runner never needs them).  Every test forks (CK_FORK)
 * and starts its own interpreter when it needs one: tests of the start-up
 * itself (prefix, venv, signal handlers) need a process where Python never
 * ran.  CK_RUN_SUITE / CK_RUN_CASE select.
 */
#include <stddef.h>

#include "helpers.h"
#include "suites.h"

int
main(void)
{
    th_suite_fn  *suites[] = { PFW_SUITES, NULL };

    return th_run_suites(suites);
}

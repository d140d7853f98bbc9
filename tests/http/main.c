/*
 * check_http: the runner for every lib/http suite.  CK_FORK (the default)
 * runs each test in its own process; CK_RUN_SUITE / CK_RUN_CASE select,
 * CK_FORK=no debugs under gdb or valgrind.
 */
#include <stddef.h>

#include "helpers.h"
#include "suites.h"

int
main(void)
{
    th_suite_fn  *suites[] = { PF_HTTP_SUITES, NULL };

    return th_run_suites(suites);
}

/*
 * check_wsgi: the runner for the lib/wsgi suites (linked with libpython and
 * libev, so lib/core's runner never needs them).  Every test forks (CK_FORK)
 * and starts its own interpreter when it needs one: tests of the start-up
 * itself (prefix, venv, signal handlers) need a process where Python never
 * ran.  CK_RUN_SUITE / CK_RUN_CASE select.
 */
#include <check.h>
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
    Suite   *(*suites[])(void) = { PFW_SUITES };
    SRunner  *sr;
    size_t    i;
    int       failed;

    sr = srunner_create(NULL);
    for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        srunner_add_suite(sr, suites[i]());
    }
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

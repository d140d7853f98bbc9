/*
 * check_core: the runner for every lib/core suite.  CK_FORK (the default)
 * runs each test in its own process group, which Check kills afterwards, so
 * a leaked worker cannot outlive its test.  CK_RUN_SUITE / CK_RUN_CASE
 * select, CK_FORK=no debugs under gdb, CK_TAP_LOG_FILE_NAME emits TAP.
 */
#include <check.h>
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
    Suite   *(*suites[])(void) = { PF_CORE_SUITES };
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

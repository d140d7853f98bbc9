/*
 * check_log_layer: the runner for every lib/log suite.  CK_FORK (the
 * default) runs each test in its own process; CK_RUN_SUITE / CK_RUN_CASE
 * select, CK_FORK=no debugs under gdb or valgrind.
 */
#include <check.h>
#include <stdlib.h>

#include "suites.h"

int
main(void)
{
    Suite   *(*suites[])(void) = { PF_LOG_SUITES };
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

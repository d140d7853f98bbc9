/*
 * check_core: the runner for every lib/core suite.  CK_FORK (the default)
 * runs each test in its own process group, which Check kills afterwards, so
 * a leaked worker cannot outlive its test.  CK_RUN_SUITE / CK_RUN_CASE
 * select, CK_FORK=no debugs under gdb, CK_TAP_LOG_FILE_NAME emits TAP.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "suites.h"

char  **th_main_argv;


int
main(int argc, char **argv)
{
    Suite   *(*suites[])(void) = { PF_CORE_SUITES };
    SRunner  *sr;
    size_t    i;
    int       failed;

    /* The USR2 test re-executes this binary as a master. */
    if (argc > 1 && strcmp(argv[1], "--master") == 0) {
        return th_master_main(argc, argv);
    }
    th_main_argv = argv;
    sr = srunner_create(NULL);
    for (i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        srunner_add_suite(sr, suites[i]());
    }
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * check_core: the runner for every lib/core suite.  CK_FORK (the default)
 * runs each test in its own process group, which Check kills afterwards, so
 * a leaked worker cannot outlive its test.  CK_RUN_SUITE / CK_RUN_CASE
 * select, CK_FORK=no debugs under gdb, CK_TAP_LOG_FILE_NAME emits TAP.
 */
#include <stddef.h>
#include <string.h>

#include "harness.h"
#include "helpers.h"
#include "suites.h"

char  **th_main_argv;


int
main(int argc, char **argv)
{
    th_suite_fn  *suites[] = { PF_CORE_SUITES, NULL };

    /* The USR2 test re-executes this binary as a master. */
    if (argc > 1 && strcmp(argv[1], "--master") == 0) {
        return th_master_main(argc, argv);
    }
    th_main_argv = argv;
    return th_run_suites(suites);
}

/*
 * check_cli: the runner for the cli/ suites (settings table, validators,
 * argparse-compatible parser, precedence layers, --help/--print-config).
 * CK_FORK (the default) runs each test in its own process, so tests may
 * set environment variables and change directory freely.
 */
#include <check.h>
#include <stdlib.h>

#include "tc.h"

int
main(void)
{
    Suite   *(*suites[])(void) = { PF_CLI_SUITES };
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

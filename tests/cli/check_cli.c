/*
 * check_cli: the runner for the cli/ suites (settings table, validators,
 * argparse-compatible parser, precedence layers, --help/--print-config).
 * CK_FORK (the default) runs each test in its own process, so tests may
 * set environment variables and change directory freely.
 */
#include <stddef.h>

#include "helpers.h"
#include "tc.h"

int
main(void)
{
    th_suite_fn  *suites[] = { PF_CLI_SUITES, NULL };

    return th_run_suites(suites);
}

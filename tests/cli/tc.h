/*
 * Shared helpers of the cli/ tests: run the whole front end in a child
 * (as main() will) and capture its output and exit status, a stand-in
 * for the Python config-file loader, and the suites of check_cli.
 */
#ifndef PF_TESTS_CLI_TC_H
#define PF_TESTS_CLI_TC_H

#include <check.h>

#include "options.h"
#include "settings.h"

typedef struct {
    int     status;         /* exit status, -1 if killed or timed out */
    char    out[65536];
    char    err[16384];
} tc_result;

/*
 * Run the front end in a child on argv (NULL-terminated, argv[0] is the
 * program) with a clean environment for the variables gunicorn reads
 * (PORT, WEB_CONCURRENCY, FORWARDED_ALLOW_IPS, SENDFILE, COLUMNS,
 * GUNICORN_CMD_ARGS, XDG_RUNTIME_DIR unset, HOME=/nonexistent-home), then
 * env ("K=V" sets, "K" unsets; NULL-terminated or NULL) and in directory
 * cwd (or the current one).  Like main(): warnings go to stderr as
 * "WARNING: <text>" lines and --print-config prints the settings.
 */
void tc_run(const char *const *argv, const char *const *env,
    const char *cwd, tc_result *r);

/* The stand-in config-file loader.  Each line of the file is
 * "NAME TYPE [VALUE...]" with TYPE str, int, bool, none, list, dict
 * (key value ...) or hook (qualname); invalid values are reported as
 * gunicorn reports them and the loader returns 1. */
int  tc_load_file(pfc_settings *s, const char *path, void *ud);

/* Write text to dir/name; returns the path (static buffer). */
const char *tc_write(const char *dir, const char *name, const char *text);

/* The namespace a parse produced, as "name=repr | ..." sorted by name with
 * "args=[...]" first -- the format the argparse reference cases use. */
char *tc_describe(const pfc_args *a);

Suite *options_suite(void);
Suite *validate_suite(void);
Suite *settings_suite(void);
Suite *layers_suite(void);
Suite *output_suite(void);
Suite *pyutil_suite(void);

#define PF_CLI_SUITES \
    pyutil_suite, \
    options_suite, \
    validate_suite, \
    settings_suite, \
    layers_suite, \
    output_suite

#endif

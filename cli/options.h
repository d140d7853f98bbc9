/*
 * prefork-wsgi: gunicorn's command line, parsed as Python's argparse
 * (3.11, as Debian ships it) parses it for gunicorn: the same option
 * strings in the same order, unique-prefix abbreviation of long options,
 * "-w4", "-Rw4", "--opt=value", append options, "--proxy-protocol [MODE]",
 * the APP_MODULE positional (nargs='*'), "--", and argparse's messages
 * ("argument -w/--workers: invalid int value: 'x'") with exit status 2.
 *
 * Use (what main() does, see pfc_cli_load()):
 *
 *     pfc_settings_init(&s)               defaults, incl. environment
 *     pfc_args_parse(&cli, argc-1, argv+1)   -h/-v/usage errors
 *     pfc_args_apply_app(&cli, &s)         APP_MODULE / --paste
 *     pfc_args_parse_env(&env, $GUNICORN_CMD_ARGS)
 *     loader(pfc_config_location(&cli, &env))   pfc_set_*() at FILE level
 *     pfc_args_apply(&env, &s, PFC_SRC_ENV)
 *     pfc_args_apply(&cli, &s, PFC_SRC_CLI)
 *     pfc_settings_finish(&s)
 */
#ifndef PFC_OPTIONS_H
#define PFC_OPTIONS_H

#include <stdio.h>

#include "settings.h"

/* One setting as a command line gave it (argparse's namespace entry). */
typedef struct {
    unsigned char   given;
    unsigned char   type;       /* PFC_PY_STR, PFC_PY_INT or PFC_PY_BOOL */
    unsigned char   empty;      /* "--opt=--": argparse stored [] */
    long long       i;
    char           *s;
    pfc_strlist     list;       /* append options: every value, in order */
    size_t          nempty;     /* append options: "=--" items seen */
} pfc_argval;

typedef struct {
    pfc_argval      val[PFC_NSETTINGS];
    pfc_strlist     positional; /* APP_MODULE and what follows it */
    char            error[4096];/* argparse's message after "PROG: error: " */
} pfc_args;

enum pfc_args_result {
    PFC_ARGS_OK,
    PFC_ARGS_HELP,      /* -h: print pfc_help(), exit 0 */
    PFC_ARGS_VERSION,   /* -v: print pfc_version(), exit 0 */
    PFC_ARGS_USAGE      /* print pfc_usage_error(a->error), exit 2 */
};

/* Exit statuses, as gunicorn's. */
enum {
    PFC_EXIT_OK = 0,
    PFC_EXIT_CONFIG = 1,    /* "Error: ..." */
    PFC_EXIT_USAGE = 2      /* argparse */
};

/* Parse args[0..n-1] (the arguments, without the program name). */
int  pfc_args_parse(pfc_args *a, int n, char *const args[]);

/* GUNICORN_CMD_ARGS: shlex.split() then the same parser.  -1 if the
 * string cannot be split (err: "No closing quotation" / "No escaped
 * character"; gunicorn then exits 1), else as pfc_args_parse(). */
int  pfc_args_parse_env(pfc_args *a, const char *cmd, char *err,
    size_t errlen);

void pfc_args_free(pfc_args *a);

/* Was the setting given on this command line?  (The precedence mask.) */
int  pfc_args_given(const pfc_args *a, int idx);

/* Set every given setting, in table order as gunicorn does, at level src.
 * -1 with err: the validator's message ("Error: ..." and exit 1). */
int  pfc_args_apply(const pfc_args *a, pfc_settings *s, int src, char *err,
    size_t errlen);

/* gunicorn's WSGIApplication.init() for the real command line only: the
 * positional args, APP_MODULE (also default_proc_name) or --paste (which
 * must exist, and sets logconfig when the ini has a [loggers] section). */
int  pfc_args_apply_app(const pfc_args *cli, pfc_settings *s, char *err,
    size_t errlen);

/* The config file gunicorn would read: -c on the command line, else -c in
 * GUNICORN_CMD_ARGS, else ./gunicorn.conf.py (absolute) if it exists, else
 * NULL.  The result points into the args or into buf. */
const char *pfc_config_location(const pfc_args *cli, const pfc_args *env,
    char *buf, size_t len);

/* Python's shlex.split(s) (POSIX mode, no comments). */
int  pfc_shlex_split(const char *s, pfc_strlist *out, char *err,
    size_t errlen);

/* argparse's prog: basename(argv[0]), "prefork-wsgi" if empty. */
const char *pfc_prog_name(const char *argv0);

/* "usage: PROG [OPTIONS] [APP_MODULE]\n" */
void pfc_usage(FILE *out, const char *prog);
/* usage, then "PROG: error: MSG\n" */
void pfc_usage_error(FILE *out, const char *prog, const char *msg);
/* "PROG (version 0.1.0)\n" */
void pfc_version(FILE *out, const char *prog);
/* argparse's help layout for every option, "<desc> [<default>]" */
void pfc_help(FILE *out, const char *prog, int columns);
/* $COLUMNS, else the terminal's width, else 80 (shutil's rule). */
int  pfc_help_columns(void);

/* The config-file loader main() plugs in: read the file at location and
 * call the pfc_set_*() setters.  Returns 0, or an exit status after
 * printing gunicorn's message itself. */
typedef int pfc_load_file_fn(pfc_settings *s, const char *location,
    void *ud);

/* The whole front end, in gunicorn's order.  Returns 0 when s is ready;
 * otherwise 1 with *status the exit status, everything already printed
 * (help and version on out, errors on err). */
int  pfc_cli_load(pfc_settings *s, int argc, char *const argv[],
    const char *cmd_args, pfc_load_file_fn *load, void *ud, FILE *out,
    FILE *err, int *status);

#endif /* PFC_OPTIONS_H */

/*
 * The front end in gunicorn's order (app/base.py Application.load_config):
 * defaults, the command line, the application it names, GUNICORN_CMD_ARGS,
 * the config file, then GUNICORN_CMD_ARGS' values and the command line's
 * values on top.  Usage errors exit 2 with argparse's text; every other
 * error prints "\nError: <message>" and exits 1.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "options.h"


/* Does the ini file have a [loggers] section?  (configparser's rule: a
 * stripped line "[NAME]", NAME running to the last ']'.) */
static int
has_loggers_section(const char *path)
{
    FILE    *f;
    char     line[4096];
    char    *s, *close;
    size_t   n;
    int      found = 0;

    f = fopen(path, "re");
    if (f == NULL) {
        return 0;
    }
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        for (s = line; pfc__is_pyspace((unsigned char) *s); s++) {
            /* strip */
        }
        n = strlen(s);
        while (n > 0 && pfc__is_pyspace((unsigned char) s[n - 1])) {
            s[--n] = '\0';
        }
        close = strrchr(s, ']');
        found = s[0] == '[' && close != NULL && close - s == 8
                && strncmp(s + 1, "loggers", 7) == 0;
    }
    fclose(f);
    return found;
}


/* os.path.abspath() */
static char *
abspath(const char *p)
{
    pfc__buf  b = { 0 };
    char     *cwd, *r;

    if (p[0] != '/') {
        cwd = getcwd(NULL, 0);
        if (cwd == NULL) {
            return NULL;
        }
        pfc__buf_puts(&b, cwd);
        pfc__buf_putc(&b, '/');
        free(cwd);
    }
    pfc__buf_puts(&b, p);
    r = b.oom ? NULL : pfc__normpath(b.p);
    pfc__buf_free(&b);
    return r;
}


static int
set_default_str(pfc_settings *s, int idx, const char *v, char *err,
    size_t errlen)
{
    pfc_value  pv = { PFC_PY_STR, 0, v, NULL, 0 };

    return pfc_set(s, idx, &pv, PFC_SRC_DEFAULT, err, errlen);
}


static int
set_app_uri(pfc_settings *s, const char *uri, char *err, size_t errlen)
{
    free(s->app_uri);
    s->app_uri = pfc__strdup(uri);
    if (s->app_uri == NULL) {
        pfc__err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}


int
pfc_args_apply_app(const pfc_args *cli, pfc_settings *s, char *err,
    size_t errlen)
{
    const pfc_argval  *paste = &cli->val[PFC_S_PASTE];
    struct stat        st;
    char              *uri, *file;
    size_t             i;
    int                r;

    pfc_strlist_free(&s->args);
    for (i = 0; i < cli->positional.n; i++) {
        if (pfc_strlist_push(&s->args, cli->positional.v[i]) != 0) {
            pfc__err(err, errlen, "out of memory");
            return -1;
        }
    }
    if (paste->given && paste->s != NULL && paste->s[0] != '\0') {
        uri = abspath(paste->s);
        file = uri ? strndup(uri, strcspn(uri, "#")) : NULL;
        if (file == NULL) {
            free(uri);
            pfc__err(err, errlen, "out of memory");
            return -1;
        }
        r = -1;
        if (stat(file, &st) != 0) {
            pfc__err_repr(err, errlen, "%s not found", file);
        } else if (set_default_str(s, PFC_S_DEFAULT_PROC_NAME, file, err,
                                   errlen) == 0
                   && set_app_uri(s, uri, err, errlen) == 0
                   && (!has_loggers_section(file)
                       || set_default_str(s, PFC_S_LOGCONFIG, file, err,
                                          errlen) == 0))
        {
            r = 0;
        }
        free(uri);
        free(file);
        return r;
    }
    if (cli->positional.n > 0) {
        if (set_default_str(s, PFC_S_DEFAULT_PROC_NAME,
                            cli->positional.v[0], err, errlen) != 0)
        {
            return -1;
        }
        return set_app_uri(s, cli->positional.v[0], err, errlen);
    }
    return 0;
}


const char *
pfc_config_location(const pfc_args *cli, const pfc_args *env, char *buf,
    size_t len)
{
    const pfc_argval  *c = &cli->val[PFC_S_CONFIG];
    const pfc_argval  *e = &env->val[PFC_S_CONFIG];
    struct stat        st;
    char              *cwd;
    int                n;

    if (c->given && c->s != NULL && c->s[0] != '\0') {
        return c->s;
    }
    if (e->given && e->s != NULL && e->s[0] != '\0') {
        return e->s;
    }
    cwd = getcwd(NULL, 0);
    if (cwd == NULL) {
        return NULL;
    }
    n = snprintf(buf, len, "%s/gunicorn.conf.py",
                 strcmp(cwd, "/") == 0 ? "" : cwd);
    free(cwd);
    if (n < 0 || (size_t) n >= len || stat(buf, &st) != 0) {
        return NULL;
    }
    return buf;
}


/* Print what a parse result asks for; 1 if the program must stop. */
static int
parse_outcome(int r, const pfc_args *a, const char *prog, FILE *out,
    FILE *err, int *status)
{
    switch (r) {
    case PFC_ARGS_HELP:
        pfc_help(out, prog, pfc_help_columns());
        *status = PFC_EXIT_OK;
        return 1;
    case PFC_ARGS_VERSION:
        pfc_version(out, prog);
        *status = PFC_EXIT_OK;
        return 1;
    case PFC_ARGS_USAGE:
        pfc_usage_error(err, prog, a->error);
        *status = PFC_EXIT_USAGE;
        return 1;
    default:
        return 0;
    }
}


int
pfc_cli_load(pfc_settings *s, int argc, char *const argv[],
    const char *cmd_args, pfc_load_file_fn *load, void *ud, FILE *out,
    FILE *err, int *status)
{
    pfc_args     *cli, *env;
    const char   *prog, *loc;
    char          msg[1024], path[PATH_MAX + 32];
    int           r, stop = 1;

    prog = pfc_prog_name(argc > 0 ? argv[0] : NULL);
    *status = PFC_EXIT_CONFIG;
    cli = calloc(1, sizeof(*cli));
    env = calloc(1, sizeof(*env));
    if (pfc_settings_init(s, msg, sizeof(msg)) != 0 || cli == NULL
        || env == NULL)
    {
        goto config_error;
    }
    r = pfc_args_parse(cli, argc > 0 ? argc - 1 : 0, argv + (argc > 0));
    if (parse_outcome(r, cli, prog, out, err, status)) {
        goto done;
    }
    if (pfc_args_apply_app(cli, s, msg, sizeof(msg)) != 0) {
        goto config_error;
    }
    r = pfc_args_parse_env(env, cmd_args, msg, sizeof(msg));
    if (r < 0) {
        goto config_error;
    }
    if (parse_outcome(r, env, prog, out, err, status)) {
        goto done;
    }
    loc = pfc_config_location(cli, env, path, sizeof(path));
    if (loc != NULL && load != NULL) {
        r = load(s, loc, ud);
        if (r != 0) {
            *status = r;
            goto done;
        }
    }
    if (pfc_args_apply(env, s, PFC_SRC_ENV, msg, sizeof(msg)) != 0
        || pfc_args_apply(cli, s, PFC_SRC_CLI, msg, sizeof(msg)) != 0
        || pfc_settings_finish(s, msg, sizeof(msg)) != 0)
    {
        goto config_error;
    }
    *status = PFC_EXIT_OK;
    stop = 0;
    goto done;

config_error:
    if (cli == NULL || env == NULL) {
        snprintf(msg, sizeof(msg), "out of memory");
    }
    fprintf(err, "\nError: %s\n", msg);
    fflush(err);
    *status = PFC_EXIT_CONFIG;

done:
    if (cli != NULL) {
        pfc_args_free(cli);
    }
    if (env != NULL) {
        pfc_args_free(env);
    }
    free(cli);
    free(env);
    return stop;
}

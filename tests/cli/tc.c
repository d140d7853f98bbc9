/*
 * Helpers of the cli/ tests (see tc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "internal.h"
#include "tc.h"

#define TC_WAIT_MS  5000


static void
child_env(const char *const *env)
{
    static const char *const cleared[] = {
        "PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", "SENDFILE",
        "COLUMNS", "GUNICORN_CMD_ARGS", "XDG_RUNTIME_DIR", NULL
    };
    const char  *eq;
    char         name[256];
    size_t       i;

    for (i = 0; cleared[i] != NULL; i++) {
        unsetenv(cleared[i]);
    }
    setenv("HOME", "/nonexistent-home", 1);
    for (i = 0; env != NULL && env[i] != NULL; i++) {
        eq = strchr(env[i], '=');
        if (eq == NULL) {
            unsetenv(env[i]);
            continue;
        }
        snprintf(name, sizeof(name), "%.*s", (int) (eq - env[i]), env[i]);
        setenv(name, eq + 1, 1);
    }
}


/* What main() will do with the front end. */
static int
child_main(int argc, char *const argv[])
{
    pfc_settings  s;
    size_t        i;
    int           status;

    if (pfc_cli_load(&s, argc, argv, getenv("GUNICORN_CMD_ARGS"),
                     tc_load_file, NULL, stdout, stderr, &status) == 0)
    {
        for (i = 0; i < s.warnings.n; i++) {
            fprintf(stderr, "WARNING: %s\n", s.warnings.v[i]);
        }
        if (s.print_config && pfc_print_config(stdout, &s) != 0) {
            status = 1;
        }
    }
    pfc_settings_free(&s);
    fflush(stdout);
    fflush(stderr);
    return status;
}


void
tc_run(const char *const *argv, const char *const *env, const char *cwd,
    tc_result *r)
{
    int    out[2], err[2], argc, status;
    pid_t  pid;

    memset(r, 0, sizeof(*r));
    r->status = -1;
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
    for (argc = 0; argv[argc] != NULL; argc++) {
        /* count */
    }
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        dup2(err[1], STDERR_FILENO);
        child_env(env);
        if (cwd != NULL && chdir(cwd) != 0) {
            _exit(99);
        }
        _exit(child_main(argc, (char *const *) argv));
    }
    close(out[1]);
    close(err[1]);
    ck_assert_int_ge(th_read_all(out[0], r->out, sizeof(r->out), TC_WAIT_MS),
                     0);
    ck_assert_int_ge(th_read_all(err[0], r->err, sizeof(r->err), TC_WAIT_MS),
                     0);
    close(out[0]);
    close(err[0]);
    if (th_wait(pid, &status, TC_WAIT_MS) != pid) {
        kill(pid, SIGKILL);
        th_wait(pid, &status, TC_WAIT_MS);
        ck_abort_msg("front end did not exit");
    }
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}


static int
load_line(pfc_settings *s, char *line, char *err, size_t errlen,
    char *shown, size_t shownlen)
{
    const char  *items[32];
    char        *name, *type, *rest, *tok;
    size_t       n = 0;

    name = strtok_r(line, " \n", &rest);
    type = strtok_r(NULL, " \n", &rest);
    if (name == NULL || type == NULL) {
        return 0;
    }
    while (n < 32 && (tok = strtok_r(NULL, " \n", &rest)) != NULL) {
        items[n++] = tok;
    }
    snprintf(shown, shownlen, "%s", n > 0 ? items[0] : type);
    if (strcmp(type, "str") == 0) {
        return pfc_set_from_string(s, name, n > 0 ? items[0] : "", err,
                                   errlen);
    }
    if (strcmp(type, "int") == 0) {
        return pfc_set_int(s, name, strtoll(items[0], NULL, 10), err, errlen);
    }
    if (strcmp(type, "bool") == 0) {
        snprintf(shown, shownlen, "%s", atoi(items[0]) ? "True" : "False");
        return pfc_set_bool(s, name, atoi(items[0]), err, errlen);
    }
    if (strcmp(type, "none") == 0) {
        snprintf(shown, shownlen, "None");
        return pfc_set_none(s, name, err, errlen);
    }
    if (strcmp(type, "list") == 0) {
        return pfc_set_list(s, name, items, n, err, errlen);
    }
    if (strcmp(type, "dict") == 0) {
        return pfc_set_dict(s, name, items, n / 2, err, errlen);
    }
    if (strcmp(type, "hook") == 0) {
        return pfc_set_hook(s, name, items[0], err, errlen);
    }
    snprintf(err, errlen, "bad test line type %s", type);
    return -1;
}


int
tc_load_file(pfc_settings *s, const char *path, void *ud)
{
    FILE  *f;
    char   line[1024], copy[1024], err[1024], shown[1024], *name;

    (void) ud;
    f = fopen(path, "re");
    if (f == NULL) {
        fprintf(stderr, "\nError: %s doesn't exist\n", path);
        return 1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        snprintf(copy, sizeof(copy), "%s", line);
        if (load_line(s, line, err, sizeof(err), shown, sizeof(shown))
            != 0)
        {
            name = strtok(copy, " ");
            pfc_print_invalid(stderr, name, shown, err);
            fclose(f);
            return 1;
        }
    }
    fclose(f);
    return 0;
}


const char *
tc_write(const char *dir, const char *name, const char *text)
{
    static char  path[PATH_MAX];
    FILE        *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "we");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}


static int
by_name(const void *a, const void *b)
{
    return strcmp(pfc_table[*(const int *) a].name,
                  pfc_table[*(const int *) b].name);
}


char *
tc_describe(const pfc_args *a)
{
    const pfc_argval  *v;
    pfc__buf           b = { 0 };
    size_t             j;
    int                order[PFC_NSETTINGS], i, k;

    if (a->positional.n > 0) {
        pfc__buf_puts(&b, "args=");
        pfc__buf_repr_list(&b, a->positional.v, a->positional.n);
    }
    for (i = 0; i < PFC_NSETTINGS; i++) {
        order[i] = i;
    }
    qsort(order, PFC_NSETTINGS, sizeof(int), by_name);
    for (k = 0; k < PFC_NSETTINGS; k++) {
        i = order[k];
        v = &a->val[i];
        if (!v->given) {
            continue;
        }
        pfc__buf_printf(&b, "%s%s=", b.len ? " | " : "", pfc_table[i].name);
        if (pfc_table[i].action == PFC_ACT_APPEND) {
            pfc__buf_putc(&b, '[');
            for (j = 0; j < v->list.n; j++) {
                pfc__buf_puts(&b, j ? ", " : "");
                pfc__buf_repr(&b, v->list.v[j]);
            }
            for (j = 0; j < v->nempty; j++) {
                pfc__buf_puts(&b, j || v->list.n ? ", []" : "[]");
            }
            pfc__buf_putc(&b, ']');
        } else if (v->empty) {
            pfc__buf_puts(&b, "[]");
        } else if (v->type == PFC_PY_STR) {
            pfc__buf_repr(&b, v->s);
        } else if (v->type == PFC_PY_BOOL) {
            pfc__buf_puts(&b, v->i ? "True" : "False");
        } else {
            pfc__buf_printf(&b, "%lld", v->i);
        }
    }
    return pfc__buf_take(&b);
}

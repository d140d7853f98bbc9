/*
 * gen-man: print the generated part of prefork-wsgi(1) -- every option
 * and every file-only setting -- from the settings table, so the man page
 * cannot drift from the code ("make check-cli" compares, "make man-cli"
 * rewrites).  The output must not depend on the environment.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"


/* Text safe in a roff line: backslashes and hyphens escaped, and a line
 * never starts with a control character. */
static void
roff(const char *s, int bol)
{
    for ( ; *s != '\0'; s++, bol = 0) {
        if (bol && (*s == '.' || *s == '\'')) {
            fputs("\\&", stdout);
        }
        if (*s == '\\') {
            fputs("\\e", stdout);
        } else if (*s == '-') {
            fputs("\\-", stdout);
        } else {
            putchar(*s);
        }
    }
}


/* Defaults that depend on the environment, described instead of shown. */
static const char *
env_default(int idx)
{
    switch (idx) {
    case PFC_S_BIND:
        return "['127.0.0.1:8000'], or ['0.0.0.0:$PORT'] when PORT is set";
    case PFC_S_WORKERS:
        return "1, or $WEB_CONCURRENCY";
    case PFC_S_FORWARDED_ALLOW_IPS:
        return "127.0.0.1,::1, or $FORWARDED_ALLOW_IPS";
    case PFC_S_SENDFILE:
        return "None: sendfile is used unless $SENDFILE is set to "
               "something other than y, 1, yes or true";
    case PFC_S_CHDIR:
        return "the working directory";
    case PFC_S_USER:
        return "the effective user id";
    case PFC_S_GROUP:
        return "the effective group id";
    case PFC_S_CONTROL_SOCKET:
        return "$XDG_RUNTIME_DIR/gunicorn.ctl, or "
               "$HOME/.gunicorn/gunicorn.ctl";
    default:
        return NULL;
    }
}


static void
support_note(const pfc_setting *t)
{
    if (t->support == PFC_SUP_INERT) {
        fputs("Accepted for compatibility, without effect (a warning is "
              "logged when set): ", stdout);
        roff(t->note, 0);
        putchar('\n');
    } else if (t->support == PFC_SUP_REFUSED) {
        fputs("Refused when set (start-up fails with status 1): ", stdout);
        roff(t->note, 0);
        putchar('\n');
    } else if (t->note != NULL) {
        roff(t->note, 0);
        putchar('\n');
    }
}


static void
default_line(int idx)
{
    const pfc_setting  *t = &pfc_table[idx];
    pfc__buf            b = { 0 };
    const char         *env = env_default(idx);

    if (t->kind == PFC_K_HOOK) {
        fputs("Default: a function that does nothing.\n", stdout);
        return;
    }
    fputs("Default: ", stdout);
    if (env != NULL) {
        roff(env, 0);
    } else {
        pfc__buf_pystr(&b, &t->dflt);
        fputs("\\fB", stdout);
        roff(b.oom || b.len == 0 ? "''" : b.p, 0);
        fputs("\\fR", stdout);
        pfc__buf_free(&b);
    }
    fputs(".\n", stdout);
}


static void
option(int idx)
{
    const pfc_setting  *t = &pfc_table[idx];
    int                 j;

    fputs(".TP\n", stdout);
    for (j = 0; j < 3 && t->cli[j] != NULL; j++) {
        fputs(j ? ", \\fB" : "\\fB", stdout);
        roff(t->cli[j], 0);
        fputs("\\fR", stdout);
        if (t->action == PFC_ACT_OPTIONAL) {
            fputs(" [\\fI", stdout);
            roff(t->metavar, 0);
            fputs("\\fR]", stdout);
        } else if (t->action == PFC_ACT_STORE
                   || t->action == PFC_ACT_APPEND)
        {
            fputs(" \\fI", stdout);
            roff(t->metavar, 0);
            fputs("\\fR", stdout);
        }
    }
    putchar('\n');
    roff(t->desc, 1);
    fputs("\nSetting \\fB", stdout);
    roff(t->name, 0);
    fputs("\\fR.\n", stdout);
    default_line(idx);
    support_note(t);
}


static void
file_only(int idx)
{
    const pfc_setting  *t = &pfc_table[idx];

    fputs(".TP\n\\fB", stdout);
    roff(t->name, 0);
    fputs("\\fR\n", stdout);
    roff(t->desc, 1);
    putchar('\n');
    default_line(idx);
    support_note(t);
}


/* --tsv: the rows --help is made of, for tests/cli/data/gen-help.py:
 * option strings (space-separated), metavar, nargs, description and
 * default, tab-separated.  Defaults read the environment, as --help. */
static void
tsv(void)
{
    const pfc_setting  *t;
    pfc__default        d;
    pfc__buf            b = { 0 };
    int                 i, j;

    for (i = 0; i < PFC_NSETTINGS; i++) {
        t = &pfc_table[i];
        if (t->cli[0] == NULL) {
            continue;
        }
        for (j = 0; j < 3 && t->cli[j] != NULL; j++) {
            printf("%s%s", j ? " " : "", t->cli[j]);
        }
        pfc__default_get(i, &d);
        b.len = 0;
        pfc__buf_add(&b, "", 0);
        pfc__buf_pystr(&b, &d.v);
        printf("\t%s\t%s\t%s\t%s\n", t->metavar ? t->metavar : "-",
               t->action == PFC_ACT_OPTIONAL ? "?"
               : t->action == PFC_ACT_STORE || t->action == PFC_ACT_APPEND
               ? "1" : "0", t->desc, b.oom ? "" : b.p);
        pfc__default_free(&d);
    }
    pfc__buf_free(&b);
}


int
main(int argc, char **argv)
{
    int  i;

    if (argc > 1 && strcmp(argv[1], "--tsv") == 0) {
        tsv();
        return ferror(stdout) ? 1 : 0;
    }

    fputs(".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\n"
          "Print the options with their defaults, then exit 0.\n"
          ".TP\n\\fB\\-v\\fR, \\fB\\-\\-version\\fR\n"
          "Print the version, then exit 0.\n", stdout);
    for (i = 0; i < PFC_NSETTINGS; i++) {
        if (pfc_table[i].cli[0] != NULL) {
            option(i);
        }
    }
    fputs(".SS \"Settings of the configuration file only\"\n", stdout);
    for (i = 0; i < PFC_NSETTINGS; i++) {
        if (pfc_table[i].cli[0] == NULL
            && !(pfc_table[i].flags & PFC_F_INTERNAL))
        {
            file_only(i);
        }
    }
    return ferror(stdout) ? 1 : 0;
}

/*
 * argparse, as gunicorn's Config.parser() configures it, for C.
 *
 * Two passes, like argparse's _parse_known_args: first every argument is
 * classified as an option ('O'), an argument ('A') or the "--" marker
 * ('-'), resolving abbreviations (an ambiguous prefix is an error at once);
 * then options and the APP_MODULE positional are consumed left to right,
 * converting values as argparse's type= does.  Unknown options and
 * leftover arguments are reported together at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "options.h"

#define ID_HELP      (-1)
#define ID_VERSION   (-2)
#define ID_UNKNOWN   (-3)

typedef struct {
    const char  *str;
    int          id;
} optstr;

/* One classified argument. */
typedef struct {
    char         kind;          /* 'O', 'A' or '-' */
    int          id;
    const char  *opt;           /* the option string matched */
    const char  *explicit;      /* value attached to it, or NULL */
} slot;

typedef struct {
    pfc_args      *a;
    int            n;
    char *const   *args;
    optstr         opts[4 + 3 * PFC_NSETTINGS];
    size_t         nopts;
    slot          *slots;
    char          *pattern;
    pfc_strlist    extras;
    int            positional_done;
} parser;

/* One option occurrence waiting for take_action(). */
typedef struct {
    int          id;
    const char  *opt;
    const char  *value;         /* NULL: no argument */
} pending;


static void
build_opts(parser *p)
{
    static const optstr  fixed[] = {
        { "-h", ID_HELP }, { "--help", ID_HELP },
        { "-v", ID_VERSION }, { "--version", ID_VERSION },
    };
    int     i, j;

    memcpy(p->opts, fixed, sizeof(fixed));
    p->nopts = 4;
    for (i = 0; i < PFC_NSETTINGS; i++) {
        for (j = 0; j < 3 && pfc_table[i].cli[j] != NULL; j++) {
            p->opts[p->nopts].str = pfc_table[i].cli[j];
            p->opts[p->nopts++].id = i;
        }
    }
}


static const optstr *
exact(const parser *p, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < p->nopts; i++) {
        if (strlen(p->opts[i].str) == len
            && strncmp(p->opts[i].str, s, len) == 0)
        {
            return &p->opts[i];
        }
    }
    return NULL;
}


static int
nargs(int id)
{
    if (id < 0) {
        return 0;
    }
    switch (pfc_table[id].action) {
    case PFC_ACT_STORE:
    case PFC_ACT_APPEND:
        return 1;
    case PFC_ACT_OPTIONAL:
        return '?';
    default:
        return 0;
    }
}


/* argparse's _get_action_name: the option strings joined by '/'. */
static void
action_name(int id, char *buf, size_t len)
{
    const char  *const *cli;
    size_t       o = 0;
    int          j;

    if (id == ID_HELP || id == ID_VERSION) {
        snprintf(buf, len, "%s", id == ID_HELP ? "-h/--help" : "-v/--version");
        return;
    }
    cli = pfc_table[id].cli;
    buf[0] = '\0';
    for (j = 0; j < 3 && cli[j] != NULL && o < len; j++) {
        o += (size_t) snprintf(buf + o, len - o, "%s%s", j ? "/" : "",
                               cli[j]);
    }
}


/* Set argparse's error message; fmt has one %s for repr(value), if any. */
static int
fail(parser *p, int id, const char *fmt, const char *value)
{
    char      name[128];
    pfc__buf  b = { 0 }, r = { 0 };

    if (id != ID_UNKNOWN) {
        action_name(id, name, sizeof(name));
        pfc__buf_printf(&b, "argument %s: ", name);
    }
    if (value != NULL) {
        pfc__buf_repr(&r, value);
        pfc__buf_printf(&b, fmt, r.oom ? "" : r.p);
        pfc__buf_free(&r);
    } else {
        pfc__buf_puts(&b, fmt);
    }
    snprintf(p->a->error, sizeof(p->a->error), "%s", b.oom ? "" : b.p);
    pfc__buf_free(&b);
    return PFC_ARGS_USAGE;
}


/* ^-\d+$|^-\d*\.\d+$ */
static int
negative_number(const char *s)
{
    const char  *d;

    if (s[0] != '-') {
        return 0;
    }
    for (d = s + 1; *d >= '0' && *d <= '9'; d++) {
        /* integer part */
    }
    if (*d == '\0') {
        return d > s + 1;
    }
    if (*d != '.') {
        return 0;
    }
    for (s = ++d; *d >= '0' && *d <= '9'; d++) {
        /* fraction */
    }
    return *d == '\0' && d > s;
}


/* _parse_optional: 0 argument, 1 option (sl filled), -1 ambiguous. */
static int
classify(parser *p, const char *arg, slot *sl)
{
    const optstr  *o, *match[4 + 3 * PFC_NSETTINGS];
    const char    *eq, *explicit = NULL, *mexp[4 + 3 * PFC_NSETTINGS];
    size_t         i, nmatch = 0, plen;
    pfc__buf       b = { 0 };

    sl->kind = 'A';
    if (arg[0] != '-') {
        return 0;
    }
    if ((o = exact(p, arg, strlen(arg))) != NULL) {
        goto found;
    }
    if (arg[1] == '\0') {
        return 0;
    }
    eq = strchr(arg, '=');
    if (eq != NULL && (o = exact(p, arg, (size_t) (eq - arg))) != NULL) {
        explicit = eq + 1;
        goto found;
    }
    /* _get_option_tuples: abbreviations.  A long option is split at
     * '='; a short one may carry its value glued on ("-w4"). */
    if (arg[1] == '-') {
        plen = eq ? (size_t) (eq - arg) : strlen(arg);
        for (i = 0; i < p->nopts; i++) {
            if (strncmp(p->opts[i].str, arg, plen) == 0) {
                mexp[nmatch] = eq ? eq + 1 : NULL;
                match[nmatch++] = &p->opts[i];
            }
        }
    } else {
        plen = strlen(arg);
        for (i = 0; i < p->nopts; i++) {
            if (strlen(p->opts[i].str) == 2
                && strncmp(p->opts[i].str, arg, 2) == 0)
            {
                mexp[nmatch] = arg + 2;
                match[nmatch++] = &p->opts[i];
            } else if (strncmp(p->opts[i].str, arg, plen) == 0) {
                mexp[nmatch] = NULL;
                match[nmatch++] = &p->opts[i];
            }
        }
    }
    if (nmatch > 1) {
        pfc__buf_printf(&b, "ambiguous option: %s could match ", arg);
        for (i = 0; i < nmatch; i++) {
            pfc__buf_printf(&b, "%s%s", i ? ", " : "", match[i]->str);
        }
        snprintf(p->a->error, sizeof(p->a->error), "%s", b.oom ? "" : b.p);
        pfc__buf_free(&b);
        return -1;
    }
    if (nmatch == 1) {
        o = match[0];
        explicit = mexp[0];
        goto found;
    }
    if (negative_number(arg) || strchr(arg, ' ') != NULL) {
        return 0;
    }
    sl->kind = 'O';
    sl->id = ID_UNKNOWN;
    sl->opt = arg;
    sl->explicit = NULL;
    return 1;

found:
    sl->kind = 'O';
    sl->id = o->id;
    sl->opt = o->str;
    sl->explicit = explicit;
    return 1;
}


static void
argval_reset(pfc_argval *v)
{
    free(v->s);
    v->s = NULL;
    v->empty = 0;
}


/* take_action: convert as argparse's type= and store in the namespace. */
static int
take_action(parser *p, const pending *pa)
{
    const pfc_setting  *t;
    pfc_argval         *v;
    long                n;
    int                 r;

    if (pa->id == ID_HELP) {
        return PFC_ARGS_HELP;
    }
    if (pa->id == ID_VERSION) {
        return PFC_ARGS_VERSION;
    }
    t = &pfc_table[pa->id];
    v = &p->a->val[pa->id];
    v->given = 1;
    switch (t->action) {
    case PFC_ACT_TRUE:
    case PFC_ACT_CONST:
        v->type = PFC_PY_BOOL;
        v->i = t->action == PFC_ACT_TRUE;
        return PFC_ARGS_OK;
    case PFC_ACT_OPTIONAL:
        argval_reset(v);
        v->type = PFC_PY_STR;
        /* argparse drops a "--" value; none left means the const */
        v->s = pfc__strdup(pa->value && strcmp(pa->value, "--") != 0
                           ? pa->value : "auto");
        return v->s ? PFC_ARGS_OK : fail(p, ID_UNKNOWN, "out of memory", NULL);
    default:
        break;
    }
    if (strcmp(pa->value, "--") == 0) {
        /* argparse removes the "--" and stores [] without converting */
        if (t->action == PFC_ACT_APPEND) {
            v->nempty++;
        } else {
            argval_reset(v);
            v->empty = 1;
        }
        return PFC_ARGS_OK;
    }
    if (t->argtype != PFC_ARG_STR) {
        r = t->argtype == PFC_ARG_INT ? pfc__pyint(pa->value, 10, &n)
                                      : pfc__auto_int(pa->value, &n);
        if (r != 0) {
            return fail(p, pa->id, t->argtype == PFC_ARG_INT
                        ? "invalid int value: %s"
                        : "invalid auto_int value: %s", pa->value);
        }
        argval_reset(v);
        v->type = PFC_PY_INT;
        v->i = n;
        return PFC_ARGS_OK;
    }
    if (t->action == PFC_ACT_APPEND) {
        v->type = PFC_PY_STR;
        return pfc_strlist_push(&v->list, pa->value) == 0
               ? PFC_ARGS_OK : fail(p, ID_UNKNOWN, "out of memory", NULL);
    }
    argval_reset(v);
    v->type = PFC_PY_STR;
    v->s = pfc__strdup(pa->value);
    return v->s ? PFC_ARGS_OK : fail(p, ID_UNKNOWN, "out of memory", NULL);
}


/* consume_optional: returns the index after the option's arguments, or
 * -(result) on help/version/error. */
static int
consume_optional(parser *p, int start)
{
    pending      *acts;
    size_t        nacts = 0, i;
    const slot   *sl = &p->slots[start];
    const optstr *o;
    const char   *opt = sl->opt, *explicit = sl->explicit;
    char          shortopt[3];
    int           id = sl->id, stop, count, r;

    if (id == ID_UNKNOWN) {
        if (pfc_strlist_push(&p->extras, p->args[start]) != 0) {
            return -fail(p, ID_UNKNOWN, "out of memory", NULL);
        }
        return start + 1;
    }
    /* at most one action per character of a "-DRw4" cluster */
    acts = calloc(strlen(p->args[start]) + 1, sizeof(pending));
    if (acts == NULL) {
        return -fail(p, ID_UNKNOWN, "out of memory", NULL);
    }
    for ( ;; ) {
        if (explicit != NULL) {
            if (nargs(id) == 0 && opt[1] != '-' && explicit[0] != '\0') {
                /* "-Dw4": a flag, then more short options in the tail */
                acts[nacts].id = id;
                acts[nacts].opt = opt;
                acts[nacts++].value = NULL;
                shortopt[0] = '-';
                shortopt[1] = explicit[0];
                shortopt[2] = '\0';
                if ((o = exact(p, shortopt, 2)) == NULL) {
                    free(acts);
                    return -fail(p, id, "ignored explicit argument %s",
                                 explicit);
                }
                id = o->id;
                opt = o->str;
                explicit = explicit[1] ? explicit + 1 : NULL;
                continue;
            }
            if (nargs(id) != 0) {
                acts[nacts].id = id;
                acts[nacts].opt = opt;
                acts[nacts++].value = explicit;
                stop = start + 1;
                break;
            }
            free(acts);
            return -fail(p, id, "ignored explicit argument %s", explicit);
        }
        count = 0;
        if (nargs(id) != 0 && p->pattern[start + 1] == 'A') {
            count = 1;
        } else if (nargs(id) == 1) {
            free(acts);
            return -fail(p, id, "expected one argument", NULL);
        }
        acts[nacts].id = id;
        acts[nacts].opt = opt;
        acts[nacts++].value = count ? p->args[start + 1] : NULL;
        stop = start + 1 + count;
        break;
    }
    for (i = 0, r = PFC_ARGS_OK; i < nacts && r == PFC_ARGS_OK; i++) {
        r = take_action(p, &acts[i]);
    }
    free(acts);
    return r == PFC_ARGS_OK ? stop : -r;
}


/* consume_positionals: APP_MODULE is nargs='*', matched once. */
static int
consume_positionals(parser *p, int start)
{
    int  end, i, dashdash = 0;

    if (p->positional_done) {
        return start;
    }
    p->positional_done = 1;
    for (end = start; p->pattern[end] == 'A' || p->pattern[end] == '-'; end++) {
        /* the greedy -*[A-]* match */
    }
    for (i = start; i < end; i++) {
        if (!dashdash && strcmp(p->args[i], "--") == 0) {
            dashdash = 1;     /* argparse removes the first "--" */
            continue;
        }
        if (pfc_strlist_push(&p->a->positional, p->args[i]) != 0) {
            return -fail(p, ID_UNKNOWN, "out of memory", NULL);
        }
    }
    return end;
}


static int
next_option(const parser *p, int from)
{
    int  i;

    for (i = from; i < p->n; i++) {
        if (p->pattern[i] == 'O') {
            return i;
        }
    }
    return -1;
}


static int
consume(parser *p)
{
    pfc__buf  b = { 0 };
    size_t    k;
    int       start = 0, next, end, i;

    while ((next = next_option(p, start)) >= 0) {
        if (start != next) {
            end = consume_positionals(p, start);
            if (end < 0) {
                return -end;
            }
            if (end > start) {
                start = end;
                continue;
            }
        }
        for (i = start; i < next; i++) {
            if (pfc_strlist_push(&p->extras, p->args[i]) != 0) {
                return fail(p, ID_UNKNOWN, "out of memory", NULL);
            }
        }
        start = consume_optional(p, next);
        if (start < 0) {
            return -start;
        }
    }
    end = consume_positionals(p, start);
    if (end < 0) {
        return -end;
    }
    for (i = end; i < p->n; i++) {
        if (pfc_strlist_push(&p->extras, p->args[i]) != 0) {
            return fail(p, ID_UNKNOWN, "out of memory", NULL);
        }
    }
    if (p->extras.n == 0) {
        return PFC_ARGS_OK;
    }
    pfc__buf_puts(&b, "unrecognized arguments:");
    for (k = 0; k < p->extras.n; k++) {
        pfc__buf_printf(&b, " %s", p->extras.v[k]);
    }
    snprintf(p->a->error, sizeof(p->a->error), "%s", b.oom ? "" : b.p);
    pfc__buf_free(&b);
    return PFC_ARGS_USAGE;
}


int
pfc_args_parse(pfc_args *a, int n, char *const args[])
{
    parser  *p;
    int      i, r = PFC_ARGS_OK;

    memset(a, 0, sizeof(*a));
    p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(a->error, sizeof(a->error), "out of memory");
        return PFC_ARGS_USAGE;
    }
    p->a = a;
    p->n = n;
    p->args = args;
    p->slots = calloc((size_t) n + 1, sizeof(slot));
    p->pattern = calloc((size_t) n + 2, 1);
    if (p->slots == NULL || p->pattern == NULL) {
        snprintf(a->error, sizeof(a->error), "out of memory");
        r = PFC_ARGS_USAGE;
        goto done;
    }
    build_opts(p);
    for (i = 0; i < n; i++) {
        if (strcmp(args[i], "--") == 0) {
            for (p->pattern[i++] = '-'; i < n; i++) {
                p->pattern[i] = 'A';
                p->slots[i].kind = 'A';
            }
            break;
        }
        if (classify(p, args[i], &p->slots[i]) < 0) {
            r = PFC_ARGS_USAGE;
            goto done;
        }
        p->pattern[i] = p->slots[i].kind;
    }
    r = consume(p);

done:
    pfc_strlist_free(&p->extras);
    free(p->slots);
    free(p->pattern);
    free(p);
    return r;
}


int
pfc_args_parse_env(pfc_args *a, const char *cmd, char *err, size_t errlen)
{
    pfc_strlist  l = { 0 };
    int          r;

    memset(a, 0, sizeof(*a));
    if (cmd == NULL) {
        return PFC_ARGS_OK;
    }
    if (pfc_shlex_split(cmd, &l, err, errlen) != 0) {
        pfc_strlist_free(&l);
        return -1;
    }
    r = pfc_args_parse(a, (int) l.n, l.v);
    pfc_strlist_free(&l);
    return r;
}


void
pfc_args_free(pfc_args *a)
{
    int  i;

    for (i = 0; i < PFC_NSETTINGS; i++) {
        free(a->val[i].s);
        pfc_strlist_free(&a->val[i].list);
    }
    pfc_strlist_free(&a->positional);
    memset(a, 0, sizeof(*a));
}


int
pfc_args_given(const pfc_args *a, int idx)
{
    return idx >= 0 && idx < PFC_NSETTINGS && a->val[idx].given;
}


int
pfc_args_apply(const pfc_args *a, pfc_settings *s, int src, char *err,
    size_t errlen)
{
    const pfc_argval  *v;
    pfc_value          pv;
    int                i;

    for (i = 0; i < PFC_NSETTINGS; i++) {
        v = &a->val[i];
        if (!v->given) {
            continue;
        }
        memset(&pv, 0, sizeof(pv));
        pv.type = v->type;
        if (pfc_table[i].action == PFC_ACT_APPEND) {
            if (v->nempty > 0) {
                /* validate_list_string([..., [], ...]) */
                pfc__err(err, errlen, "Not a string: []");
                return -1;
            }
            pv.type = PFC_PY_LIST;
            pv.items = (const char *const *) v->list.v;
            pv.n = v->list.n;
        } else if (v->empty) {
            pv.type = PFC_PY_LIST;
        } else if (v->type == PFC_PY_STR) {
            pv.s = v->s;
        } else {
            pv.i = v->i;
        }
        if (pfc_set(s, i, &pv, src, err, errlen) != 0) {
            return -1;
        }
    }
    return 0;
}

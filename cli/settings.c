/*
 * The settings struct: defaults (some from the environment, as gunicorn
 * computes them when config.py is imported), the layered setters, and
 * the final checks that turn gunicorn's vocabulary into what prefork-wsgi
 * runs (worker kind) or refuses.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define FIELD_AT(s, t)  ((void *) ((char *) (s) + (t)->offset))

#define WORKER_HINT  "is not supported: prefork-wsgi runs its own C " \
                     "workers and cannot load Python worker classes; use " \
                     "sync, gthread or ev (ev serves many concurrent " \
                     "connections)"


int
pfc_strlist_push(pfc_strlist *l, const char *s)
{
    char  **v;
    char   *copy;

    copy = pfc__strdup(s);
    if (copy == NULL) {
        return -1;
    }
    v = realloc(l->v, (l->n + 2) * sizeof(char *));
    if (v == NULL) {
        free(copy);
        return -1;
    }
    v[l->n++] = copy;
    v[l->n] = NULL;
    l->v = v;
    return 0;
}


void
pfc_strlist_free(pfc_strlist *l)
{
    size_t  i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i]);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}


int
pfc_index(const char *name)
{
    int  i;

    for (i = 0; i < PFC_NSETTINGS; i++) {
        if (strcmp(pfc_table[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}


const pfc_setting *
pfc_lookup(const char *name)
{
    int  i = pfc_index(name);

    return i < 0 ? NULL : &pfc_table[i];
}


/* os.path.expanduser("~") */
static const char *
home_dir(void)
{
    const char     *home = getenv("HOME");
    struct passwd  *pw;

    if (home != NULL) {
        return home;
    }
    pw = getpwuid(getuid());
    return pw ? pw->pw_dir : "~";
}


void
pfc__default_get(int idx, pfc__default *d)
{
    const char   *env;
    struct stat   st;
    pfc__buf      b = { 0 };
    long          n;

    memset(d, 0, sizeof(*d));
    d->v = pfc_table[idx].dflt;
    switch (idx) {
    case PFC_S_BIND:
        if ((env = getenv("PORT")) != NULL) {
            pfc__buf_printf(&b, "0.0.0.0:%s", env);
            d->str = pfc__buf_take(&b);
            d->item[0] = d->str ? d->str : "";
            d->v.items = d->item;
            d->v.n = 1;
        }
        break;
    case PFC_S_WORKERS:
        if ((env = getenv("WEB_CONCURRENCY")) != NULL) {
            if (pfc__pyint(env, 10, &n) == 0) {
                d->v.i = n;
            } else {
                /* init() reports it; --help shows the text */
                d->v.type = PFC_PY_STR;
                d->v.s = env;
            }
        }
        break;
    case PFC_S_FORWARDED_ALLOW_IPS:
        if ((env = getenv("FORWARDED_ALLOW_IPS")) != NULL) {
            d->v.s = env;
        }
        break;
    case PFC_S_CHDIR:
        d->str = pfc__getcwd();
        d->v.type = PFC_PY_STR;
        d->v.s = d->str ? d->str : ".";
        break;
    case PFC_S_USER:
        d->v.type = PFC_PY_INT;
        d->v.i = (long long) geteuid();
        break;
    case PFC_S_GROUP:
        d->v.type = PFC_PY_INT;
        d->v.i = (long long) getegid();
        break;
    case PFC_S_CONTROL_SOCKET:
        env = getenv("XDG_RUNTIME_DIR");
        if (env != NULL && env[0] != '\0' && stat(env, &st) == 0
            && S_ISDIR(st.st_mode))
        {
            /* os.path.join(): no second '/' after a trailing one */
            pfc__buf_printf(&b, "%s%sgunicorn.ctl", env,
                            env[strlen(env) - 1] == '/' ? "" : "/");
        } else {
            /* expanduser() strips trailing slashes from $HOME */
            env = home_dir();
            n = (long) strlen(env);
            while (n > 0 && env[n - 1] == '/') {
                n--;
            }
            pfc__buf_printf(&b, "%.*s/.gunicorn/gunicorn.ctl", (int) n, env);
        }
        d->str = pfc__buf_take(&b);
        d->v.type = PFC_PY_STR;
        d->v.s = d->str ? d->str : "";
        break;
    }
}


void
pfc__default_free(pfc__default *d)
{
    free(d->str);
    d->str = NULL;
}


static void
free_field(pfc_settings *s, int idx)
{
    const pfc_setting  *t = &pfc_table[idx];
    void               *f = FIELD_AT(s, t);

    switch (t->kind) {
    case PFC_K_STR:
    case PFC_K_HOOK:
    case PFC_K_PYOBJ:
        free(*(char **) f);
        *(char **) f = NULL;
        break;
    case PFC_K_LIST:
        pfc_strlist_free(f);
        break;
    case PFC_K_DICT:
        pfc__dict_free(f);
        break;
    default:
        break;
    }
}


/* Move a validated value into its field (n is left empty). */
static void
store(pfc_settings *s, int idx, pfc__nval *n)
{
    const pfc_setting  *t = &pfc_table[idx];
    void               *f = FIELD_AT(s, t);

    free_field(s, idx);
    switch (t->kind) {
    case PFC_K_STR:
    case PFC_K_HOOK:
    case PFC_K_PYOBJ:
        *(char **) f = n->none ? NULL : n->s;
        if (n->none) {
            free(n->s);
        }
        n->s = NULL;
        break;
    case PFC_K_INT:
        *(long *) f = n->i;
        break;
    case PFC_K_BOOL:
        *(int *) f = n->none ? 0 : (int) n->i;
        break;
    case PFC_K_TRIBOOL:
        *(int *) f = n->none ? -1 : (int) n->i;
        break;
    case PFC_K_CHOICE:
        *(int *) f = (int) n->i;
        break;
    case PFC_K_LIST:
        *(pfc_strlist *) f = n->l;
        memset(&n->l, 0, sizeof(n->l));
        break;
    case PFC_K_DICT:
        *(pfc_dict *) f = n->d;
        memset(&n->d, 0, sizeof(n->d));
        break;
    }
    pfc__nval_free(n);
}


int
pfc_set(pfc_settings *s, int idx, const pfc_value *v, int src, char *err,
    size_t errlen)
{
    pfc__nval  n;

    if (idx < 0 || idx >= PFC_NSETTINGS) {
        pfc__err(err, errlen, "No configuration setting for: %d", idx);
        return -1;
    }
    if (pfc__validate(idx, v, &n, &s->warnings, err, errlen) != 0) {
        return -1;
    }
    if (src < s->source[idx]) {
        /* a higher layer already decided; gunicorn still validated it */
        pfc__nval_free(&n);
        return 0;
    }
    store(s, idx, &n);
    s->source[idx] = (unsigned char) src;
    return 0;
}


int
pfc_settings_init(pfc_settings *s, char *err, size_t errlen)
{
    pfc__default  d;
    const char   *env;
    long          n;
    int           i, r;

    memset(s, 0, sizeof(*s));
    s->sendfile = -1;
    for (i = 0; i < PFC_NSETTINGS; i++) {
        if (pfc_table[i].kind == PFC_K_HOOK
            || pfc_table[i].kind == PFC_K_PYOBJ)
        {
            continue;   /* NULL means gunicorn's default */
        }
        if (i == PFC_S_WORKERS
            && (env = getenv("WEB_CONCURRENCY")) != NULL
            && pfc__pyint(env, 10, &n) != 0)
        {
            pfc__err_repr(err, errlen,
                          "invalid literal for int() with base 10: %s", env);
            return -1;
        }
        pfc__default_get(i, &d);
        r = pfc_set(s, i, &d.v, PFC_SRC_DEFAULT, err, errlen);
        pfc__default_free(&d);
        if (r != 0) {
            return -1;
        }
    }
    return 0;
}


void
pfc_settings_free(pfc_settings *s)
{
    int  i;

    for (i = 0; i < PFC_NSETTINGS; i++) {
        free_field(s, i);
    }
    free(s->app_uri);
    s->app_uri = NULL;
    pfc_strlist_free(&s->args);
    pfc_strlist_free(&s->warnings);
}


static int
set_by_name(pfc_settings *s, const char *name, const pfc_value *v,
    char *err, size_t errlen)
{
    int  idx = pfc_index(name);

    if (idx < 0) {
        pfc__err(err, errlen, "No configuration setting for: %s", name);
        return -1;
    }
    return pfc_set(s, idx, v, PFC_SRC_FILE, err, errlen);
}


int
pfc_set_from_string(pfc_settings *s, const char *name, const char *value,
    char *err, size_t errlen)
{
    pfc_value  v = { PFC_PY_STR, 0, value, NULL, 0 };

    return set_by_name(s, name, &v, err, errlen);
}


int
pfc_set_int(pfc_settings *s, const char *name, long long value, char *err,
    size_t errlen)
{
    pfc_value  v = { PFC_PY_INT, value, NULL, NULL, 0 };

    return set_by_name(s, name, &v, err, errlen);
}


int
pfc_set_bool(pfc_settings *s, const char *name, int value, char *err,
    size_t errlen)
{
    pfc_value  v = { PFC_PY_BOOL, value != 0, NULL, NULL, 0 };

    return set_by_name(s, name, &v, err, errlen);
}


int
pfc_set_none(pfc_settings *s, const char *name, char *err, size_t errlen)
{
    pfc_value  v = { PFC_PY_NONE, 0, NULL, NULL, 0 };

    return set_by_name(s, name, &v, err, errlen);
}


int
pfc_set_list(pfc_settings *s, const char *name, const char *const *items,
    size_t n, char *err, size_t errlen)
{
    pfc_value  v = { PFC_PY_LIST, 0, NULL, items, n };

    return set_by_name(s, name, &v, err, errlen);
}


int
pfc_set_dict(pfc_settings *s, const char *name, const char *const *kv,
    size_t npairs, char *err, size_t errlen)
{
    pfc_value  v = { PFC_PY_DICT, 0, NULL, kv, npairs };

    return set_by_name(s, name, &v, err, errlen);
}


/* Store a string in a HOOK or PYOBJ field from the config file. */
static int
set_text(pfc_settings *s, const char *name, int kind, const char *text,
    char *err, size_t errlen)
{
    int    idx = pfc_index(name);
    char  *copy;

    if (idx < 0 || pfc_table[idx].kind != kind) {
        pfc__err(err, errlen, "No configuration setting for: %s", name);
        return -1;
    }
    if (s->source[idx] > PFC_SRC_FILE) {
        return 0;
    }
    copy = pfc__strdup(text);
    if (copy == NULL) {
        pfc__err(err, errlen, "out of memory");
        return -1;
    }
    free_field(s, idx);
    *(char **) FIELD_AT(s, &pfc_table[idx]) = copy;
    s->source[idx] = PFC_SRC_FILE;
    return 0;
}


int
pfc_set_hook(pfc_settings *s, const char *name, const char *qualname,
    char *err, size_t errlen)
{
    return set_text(s, name, PFC_K_HOOK, qualname, err, errlen);
}


int
pfc_set_pyobj(pfc_settings *s, const char *name, int is_dict,
    const char *str, char *err, size_t errlen)
{
    if (pfc_index(name) >= 0 && !is_dict) {
        pfc__err(err, errlen, "Value is not a dictionary: %s ", str);
        return -1;
    }
    return set_text(s, name, PFC_K_PYOBJ, str, err, errlen);
}


int
pfc_hook_is_set(const pfc_settings *s, int h)
{
    return h >= 0 && h < PFC_NHOOKS && s->hooks[h] != NULL;
}


int
pfc_sendfile(const pfc_settings *s)
{
    const char  *env;
    char        *v, *c;
    int          on;

    if (s->sendfile >= 0) {
        return s->sendfile;
    }
    env = getenv("SENDFILE");
    if (env == NULL) {
        return 1;
    }
    v = pfc__strdup(env);
    if (v == NULL) {
        return 1;
    }
    for (c = v; *c != '\0'; c++) {
        if (*c >= 'A' && *c <= 'Z') {
            *c = (char) (*c - 'A' + 'a');
        }
    }
    on = strcmp(v, "y") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0
         || strcmp(v, "true") == 0;
    free(v);
    return on;
}


/*
 * Worker classes.  gunicorn accepts any name and fails when it imports
 * the class; prefork-wsgi knows its three kinds and refuses the rest at
 * the same point (after every layer, "Error: ..." and exit 1).
 */
static int
worker_kind(const char *uri, long threads, int *kind)
{
    static const struct {
        const char  *name;
        int          kind;
    } names[] = {
        { "sync", PFC_WORKER_SYNC },
        { "#sync", PFC_WORKER_SYNC },
        { "egg:gunicorn#sync", PFC_WORKER_SYNC },
        { "gunicorn.workers.sync.SyncWorker", PFC_WORKER_SYNC },
        { "gthread", PFC_WORKER_GTHREAD },
        { "#gthread", PFC_WORKER_GTHREAD },
        { "egg:gunicorn#gthread", PFC_WORKER_GTHREAD },
        { "gunicorn.workers.gthread.ThreadWorker", PFC_WORKER_GTHREAD },
        { "ev", PFC_WORKER_EV },
        { "#ev", PFC_WORKER_EV },
    };
    size_t  i, n;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(uri, names[i].name) == 0) {
            *kind = names[i].kind;
            /* gunicorn's test is on the text: 'sync' or '...SyncWorker' */
            n = strlen(uri);
            if (*kind == PFC_WORKER_SYNC && threads > 1
                && (strcmp(uri, "sync") == 0
                    || (n >= 10 && strcmp(uri + n - 10, "SyncWorker") == 0)))
            {
                *kind = PFC_WORKER_GTHREAD;
            }
            return 0;
        }
    }
    return -1;
}


static int
logger_known(const char *uri)
{
    return uri == NULL || strcmp(uri, "gunicorn.glogging.Logger") == 0
           || strcmp(uri, "simple") == 0
           || strcmp(uri, "gunicorn.instrument.statsd.Statsd") == 0;
}


static int
warn(pfc_settings *s, const char *fmt, const char *a, const char *b)
{
    pfc__buf  buf = { 0 };
    char     *msg;
    int       r;

    pfc__buf_printf(&buf, fmt, a, b);
    msg = pfc__buf_take(&buf);
    if (msg == NULL) {
        return -1;
    }
    r = pfc_strlist_push(&s->warnings, msg);
    free(msg);
    return r;
}


/* Does the setting differ from its default (in Python's str() terms)? */
static int
differs(const pfc_settings *s, const pfc_settings *d, int idx)
{
    char  *a = pfc_value_str(s, idx), *b = pfc_value_str(d, idx);
    int    r = a == NULL || b == NULL || strcmp(a, b) != 0;

    free(a);
    free(b);
    return r;
}


static int
check_support(pfc_settings *s, char *err, size_t errlen)
{
    const pfc_setting  *t;
    pfc_settings        d;
    int                 i, r = 0;

    if (pfc_settings_init(&d, err, errlen) != 0) {
        pfc_settings_free(&d);
        return -1;
    }
    for (i = 0; i < PFC_NSETTINGS && r == 0; i++) {
        t = &pfc_table[i];
        if (s->source[i] == PFC_SRC_DEFAULT) {
            continue;
        }
        if ((t->support == PFC_SUP_REFUSED
             || (i == PFC_S_PROTOCOL && strcmp(s->protocol ? s->protocol : "",
                                               "http") != 0))
            && differs(s, &d, i))
        {
            pfc__err(err, errlen, "setting %s is not supported by "
                     "prefork-wsgi: %s", t->name, t->note);
            r = -1;
        } else if (t->support == PFC_SUP_INERT) {
            r = warn(s, "setting %s has no effect in prefork-wsgi: %s",
                     t->name, t->note);
        } else if (i == PFC_S_LOGGER_CLASS && !logger_known(s->logger_class)) {
            r = warn(s, "logger_class %s has no effect: %s",
                     s->logger_class, t->note);
        }
    }
    pfc_settings_free(&d);
    return r;
}


int
pfc_settings_finish(pfc_settings *s, char *err, size_t errlen)
{
    int  kind;

    if (s->app_uri == NULL) {
        if (s->wsgi_app == NULL) {
            pfc__err(err, errlen, "No application module specified.");
            return -1;
        }
        s->app_uri = pfc__strdup(s->wsgi_app);
        if (s->app_uri == NULL) {
            pfc__err(err, errlen, "out of memory");
            return -1;
        }
    }
    if (s->worker_class == NULL) {
        pfc__err(err, errlen, "worker class %s " WORKER_HINT, "None");
        return -1;
    }
    if (worker_kind(s->worker_class, s->threads, &kind) != 0) {
        pfc__err_repr(err, errlen, "worker class %s " WORKER_HINT,
                      s->worker_class);
        return -1;
    }
    s->worker_kind = kind;
    return check_support(s, err, errlen);
}

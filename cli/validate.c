/*
 * gunicorn's validators (config.py validate_*), one function each: the
 * same values accepted, the same normalisation, the same exception text.
 * Inputs are Python values (pfc_value) because gunicorn validates Python
 * objects: a str from the command line, an int after argparse's type=int,
 * anything a config file assigns.
 */
#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

typedef int validator(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen);

static const char *const reload_engines[] = { "auto", "poll", "inotify", NULL };
static const char *const header_maps[] = {
    "drop", "refuse", "dangerous", NULL
};
static const char *const proxy_modes[] = { "off", "v1", "v2", "auto", NULL };
static const char *const asgi_loops[] = { "auto", "asyncio", "uvloop", NULL };
static const char *const asgi_lifespans[] = { "auto", "on", "off", NULL };
static const char *const http_parsers[] = { "auto", "fast", "python", NULL };
static const char *const h2c_modes[] = {
    "off", "prior-knowledge", "upgrade", "both", NULL
};


const char *const *
pfc_choices(int idx)
{
    switch (idx) {
    case PFC_S_RELOAD_ENGINE:
        return reload_engines;
    case PFC_S_HEADER_MAP:
        return header_maps;
    case PFC_S_PROXY_PROTOCOL:
        return proxy_modes;
    case PFC_S_ASGI_LOOP:
        return asgi_loops;
    case PFC_S_ASGI_LIFESPAN:
        return asgi_lifespans;
    case PFC_S_HTTP_PARSER:
        return http_parsers;
    case PFC_S_HTTP2_CLEARTEXT:
        return h2c_modes;
    default:
        return NULL;
    }
}


static int
choice_index(const char *const *choices, const char *s)
{
    int  i;

    for (i = 0; choices[i] != NULL; i++) {
        if (strcmp(choices[i], s) == 0) {
            return i;
        }
    }
    return -1;
}


static int
nomem(char *err, size_t errlen)
{
    pfc__err(err, errlen, "out of memory");
    return -1;
}


/* err = fmt with its %s replaced by Python's str() of v. */
static int
fail_str(char *err, size_t errlen, const char *fmt, const pfc_value *v)
{
    pfc__buf  b = { 0 };

    pfc__buf_pystr(&b, v);
    pfc__err(err, errlen, fmt, b.oom ? "..." : b.p);
    pfc__buf_free(&b);
    return -1;
}


static const char *
type_name(const pfc_value *v)
{
    static const char *const names[] = {
        "NoneType", "bool", "int", "str", "list", "dict"
    };

    if (v->type == PFC_PY_OBJECT) {
        return v->items != NULL && v->items[0] != NULL ? v->items[0]
                                                       : "object";
    }
    return names[v->type];
}


/* Python's str.lower().strip() as a malloc'd copy. */
static char *
lower_strip(const char *s)
{
    char  *p = pfc__strip_dup(s), *c;

    if (p != NULL) {
        for (c = p; *c != '\0'; c++) {
            if (*c >= 'A' && *c <= 'Z') {
                *c = (char) (*c - 'A' + 'a');
            }
        }
    }
    return p;
}


static int
is_falsy(const pfc_value *v)
{
    switch (v->type) {
    case PFC_PY_NONE:
        return 1;
    case PFC_PY_BOOL:
    case PFC_PY_INT:
        return v->i == 0;
    case PFC_PY_STR:
        return v->s[0] == '\0';
    case PFC_PY_OBJECT:
        return v->i == 0;
    default:
        return v->n == 0;
    }
}


static int
v_string(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    (void) warn;
    if (v->type == PFC_PY_NONE) {
        o->none = 1;
        return 0;
    }
    if (v->type != PFC_PY_STR) {
        return fail_str(err, errlen, "Not a string: %s", v);
    }
    o->s = pfc__strip_dup(v->s);
    return o->s ? 0 : nomem(err, errlen);
}


static int
push_stripped(pfc_strlist *l, const char *s, char *err, size_t errlen)
{
    char  *p = pfc__strip_dup(s);
    int    r;

    if (p == NULL) {
        return nomem(err, errlen);
    }
    r = pfc_strlist_push(l, p);
    free(p);
    return r == 0 ? 0 : nomem(err, errlen);
}


static int
v_list_string(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    size_t  i, step;

    (void) warn;
    if (is_falsy(v)) {
        return 0;
    }
    switch (v->type) {
    case PFC_PY_STR:
        return push_stripped(&o->l, v->s, err, errlen);
    case PFC_PY_LIST:
    case PFC_PY_DICT:
        /* iterating a dict yields its keys */
        step = v->type == PFC_PY_DICT ? 2 : 1;
        for (i = 0; i < v->n; i++) {
            if (push_stripped(&o->l, v->items[i * step], err, errlen) != 0) {
                return -1;
            }
        }
        return 0;
    default:
        pfc__err(err, errlen, "'%s' object is not iterable", type_name(v));
        return -1;
    }
}


static int
v_files(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    struct stat  st;
    glob_t       g;
    size_t       i;
    char         msg[512];
    int          r;

    if (v_list_string(v, o, warn, err, errlen) != 0) {
        return -1;
    }
    for (i = 0; i < o->l.n; i++) {
        if (strpbrk(o->l.v[i], "*?[") == NULL) {
            if (stat(o->l.v[i], &st) != 0) {
                pfc__err(err, errlen, "File %s does not exists.", o->l.v[i]);
                return -1;
            }
            continue;
        }
        r = glob(o->l.v[i], 0, NULL, &g);
        if (r == 0) {
            globfree(&g);
        } else {
            snprintf(msg, sizeof(msg),
                     "Pattern %s currently matches no files.", o->l.v[i]);
            if (pfc_strlist_push(warn, msg) != 0) {
                return nomem(err, errlen);
            }
        }
    }
    return 0;
}


/* int(val, 0) for a str, int(val) for an int or a bool. */
static int
to_int(const pfc_value *v, long *out, char *err, size_t errlen)
{
    int  r;

    switch (v->type) {
    case PFC_PY_BOOL:
    case PFC_PY_INT:
        if (v->i < -0x7fffffffffffffffLL) {
            goto too_large;
        }
        *out = (long) v->i;
        return 0;
    case PFC_PY_STR:
        r = pfc__pyint(v->s, 0, out);
        if (r == -2) {
            goto too_large;
        }
        if (r != 0) {
            pfc__err_repr(err, errlen,
                          "invalid literal for int() with base 0: %s", v->s);
            return -1;
        }
        return 0;
    default:
        pfc__err(err, errlen,
                 "int() can't convert non-string with explicit base");
        return -1;
    }

too_large:
    pfc__err(err, errlen, "Python int too large to convert to C long");
    return -1;
}


static int
v_pos_int(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    (void) warn;
    if (to_int(v, &o->i, err, errlen) != 0) {
        return -1;
    }
    if (o->i < 0) {
        pfc__err(err, errlen, "Value must be positive: %ld", o->i);
        return -1;
    }
    return 0;
}


static int
v_frame_size(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    (void) warn;
    if (to_int(v, &o->i, err, errlen) != 0) {
        return -1;
    }
    if (o->i < 16384 || o->i > 16777215) {
        pfc__err(err, errlen, "http2_max_frame_size must be between 16384 "
                 "and 16777215, got %ld", o->i);
        return -1;
    }
    return 0;
}


static int
v_bool(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    char  *s;

    (void) warn;
    switch (v->type) {
    case PFC_PY_NONE:
        o->none = 1;
        return 0;
    case PFC_PY_BOOL:
        o->i = v->i != 0;
        return 0;
    case PFC_PY_STR:
        s = lower_strip(v->s);
        if (s == NULL) {
            return nomem(err, errlen);
        }
        o->i = strcmp(s, "true") == 0 ? 1 : strcmp(s, "false") == 0 ? 0 : -1;
        free(s);
        if (o->i < 0) {
            pfc__err(err, errlen, "Invalid boolean: %s", v->s);
            return -1;
        }
        return 0;
    default:
        return fail_str(err, errlen, "Invalid type for casting: %s", v);
    }
}


static int
v_chdir(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    struct stat  st;
    pfc__buf     b = { 0 };
    char        *cwd, *path;

    if (v->type == PFC_PY_NONE) {
        pfc__err(err, errlen, "join() argument must be str, bytes, or "
                 "os.PathLike object, not 'NoneType'");
        return -1;
    }
    if (v_string(v, o, warn, err, errlen) != 0) {
        return -1;
    }
    if (o->s[0] != '/') {
        cwd = pfc__getcwd();
        if (cwd == NULL) {
            pfc__err(err, errlen, "getcwd() failed: %s", strerror(errno));
            return -1;
        }
        pfc__buf_puts(&b, cwd);
        if (b.len == 0 || b.p[b.len - 1] != '/') {
            pfc__buf_putc(&b, '/');
        }
        free(cwd);
    }
    pfc__buf_puts(&b, o->s);
    if (b.oom || (path = pfc__normpath(b.p)) == NULL) {
        pfc__buf_free(&b);
        return nomem(err, errlen);
    }
    pfc__buf_free(&b);
    if (stat(path, &st) != 0) {
        pfc__err_repr(err, errlen, "can't chdir to %s", o->s);
        free(path);
        return -1;
    }
    free(o->s);
    o->s = path;
    return 0;
}


static int
v_id(const pfc_value *v, pfc__nval *o, char *err, size_t errlen, int user)
{
    struct passwd  *pw;
    struct group   *gr;

    switch (v->type) {
    case PFC_PY_NONE:
        o->i = user ? (long) geteuid() : (long) getegid();
        return 0;
    case PFC_PY_BOOL:
    case PFC_PY_INT:
        o->i = (long) v->i;
        return 0;
    case PFC_PY_STR:
        if (pfc__isdigits(v->s)) {
            if (pfc__pyint(v->s, 10, &o->i) != 0) {
                pfc__err(err, errlen,
                         "Python int too large to convert to C long");
                return -1;
            }
            return 0;
        }
        if (user) {
            pw = getpwnam(v->s);
            if (pw != NULL) {
                o->i = (long) pw->pw_uid;
                return 0;
            }
        } else {
            gr = getgrnam(v->s);
            if (gr != NULL) {
                o->i = (long) gr->gr_gid;
                return 0;
            }
        }
        pfc__err(err, errlen, "No such %s: '%s'", user ? "user" : "group",
                 v->s);
        return -1;
    default:
        pfc__err(err, errlen, "'%s' object has no attribute 'isdigit'",
                 type_name(v));
        return -1;
    }
}


static int
v_user(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    (void) warn;
    return v_id(v, o, err, errlen, 1);
}


static int
v_group(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    (void) warn;
    return v_id(v, o, err, errlen, 0);
}


static int
v_dict(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    size_t  i;

    (void) warn;
    if (v->type != PFC_PY_DICT) {
        return fail_str(err, errlen, "Value is not a dictionary: %s ", v);
    }
    if (v->n > 0) {
        o->d.v = calloc(v->n, sizeof(pfc_pair));
        if (o->d.v == NULL) {
            return nomem(err, errlen);
        }
    }
    for (i = 0; i < v->n; i++) {
        o->d.v[i].key = pfc__strdup(v->items[2 * i]);
        o->d.v[i].value = pfc__strdup(v->items[2 * i + 1]);
        o->d.n++;
        if (o->d.v[i].key == NULL || o->d.v[i].value == NULL) {
            return nomem(err, errlen);
        }
    }
    return 0;
}


static int
v_pydict(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    pfc__buf  b = { 0 };

    (void) warn;
    if (v->type != PFC_PY_DICT) {
        return fail_str(err, errlen, "Value is not a dictionary: %s ", v);
    }
    pfc__buf_pystr(&b, v);
    o->s = pfc__buf_take(&b);
    return o->s ? 0 : nomem(err, errlen);
}


static int
v_str_list(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    const char  *p, *comma;
    char        *piece;
    int          r;

    if (v_string(v, o, warn, err, errlen) != 0) {
        return -1;
    }
    if (o->none) {
        o->none = 0;
        return 0;
    }
    /* [v.strip() for v in val.split(",") if v] */
    for (p = o->s; ; p = comma + 1) {
        comma = strchr(p, ',');
        if (comma == NULL) {
            comma = p + strlen(p);
        }
        if (comma > p) {
            piece = strndup(p, (size_t) (comma - p));
            if (piece == NULL) {
                return nomem(err, errlen);
            }
            r = push_stripped(&o->l, piece, err, errlen);
            free(piece);
            if (r != 0) {
                return -1;
            }
        }
        if (*comma == '\0') {
            break;
        }
    }
    free(o->s);
    o->s = NULL;
    return 0;
}


static int
v_addr_list(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    pfc_ipnet  net;
    size_t     i;

    if (v_str_list(v, o, warn, err, errlen) != 0) {
        return -1;
    }
    for (i = 0; i < o->l.n; i++) {
        if (pfc_ipnet_parse(o->l.v[i], &net, err, errlen) != 0) {
            return -1;
        }
    }
    return 0;
}


static int
v_statsd(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    pfc_address  a;

    if (v_string(v, o, warn, err, errlen) != 0 || o->none) {
        return o->none ? 0 : -1;
    }
    if (strncmp(o->s, "unix:", 5) == 0 && pfc__isdigits(o->s + 5)) {
        return 0;       /* legacy "unix:PORT" means host "unix" */
    }
    if (pfc_parse_address(o->s, "8125", &a, NULL, 0) != 0) {
        pfc__err(err, errlen,
                 "Value must be one of ('host:port', 'unix://PATH')");
        return -1;
    }
    pfc_address_free(&a);
    return 0;
}


static int
v_reload_engine(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    pfc__buf  b = { 0 };

    (void) warn;
    if (v->type == PFC_PY_LIST || v->type == PFC_PY_DICT) {
        pfc__err(err, errlen, "unhashable type: '%s'", type_name(v));
        return -1;
    }
    if (v->type == PFC_PY_STR) {
        o->i = choice_index(reload_engines, v->s);
        if (o->i >= 0) {
            return 0;
        }
        pfc__err_repr(err, errlen, "Invalid reload_engine: %s", v->s);
        return -1;
    }
    pfc__buf_pystr(&b, v);
    pfc__err(err, errlen, "Invalid reload_engine: %s", b.oom ? "" : b.p);
    pfc__buf_free(&b);
    return -1;
}


/* Shared shape of the lower().strip() choice validators; the message
 * shows the normalised value (SHOW_NORM), the original (SHOW_ORIG) or
 * nothing. */
enum { SHOW_NORM, SHOW_ORIG, SHOW_NONE };

static int
choice(const pfc_value *v, pfc__nval *o, const char *const *choices,
    const char *fmt, int show, char *err, size_t errlen)
{
    char  *s = lower_strip(v->s);

    if (s == NULL) {
        return nomem(err, errlen);
    }
    o->i = choice_index(choices, s);
    if (o->i < 0) {
        pfc__err(err, errlen, fmt,
                 show == SHOW_NORM ? s : show == SHOW_ORIG ? v->s : "");
    }
    free(s);
    return o->i < 0 ? -1 : 0;
}


static int
v_header_map(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    (void) warn;
    if (v->type == PFC_PY_NONE) {
        o->i = -1;
        return 0;
    }
    if (v->type != PFC_PY_STR) {
        return fail_str(err, errlen, "Invalid type for casting: %s", v);
    }
    return choice(v, o, header_maps, "Invalid header map behaviour: %s",
                  SHOW_ORIG, err, errlen);
}


static int
v_proxy_protocol(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    static const char *const map[][2] = {
        { "false", "off" }, { "off", "off" }, { "0", "off" },
        { "none", "off" }, { "true", "auto" }, { "auto", "auto" },
        { "1", "auto" }, { "v1", "v1" }, { "v2", "v2" }
    };
    size_t  i;
    char   *s;

    (void) warn;
    switch (v->type) {
    case PFC_PY_NONE:
        o->i = PFC_PROXY_OFF;
        return 0;
    case PFC_PY_BOOL:
        o->i = v->i ? PFC_PROXY_AUTO : PFC_PROXY_OFF;
        return 0;
    case PFC_PY_STR:
        break;
    default:
        pfc__err(err, errlen, "proxy_protocol must be string or bool");
        return -1;
    }
    s = lower_strip(v->s);
    if (s == NULL) {
        return nomem(err, errlen);
    }
    o->i = -1;
    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(s, map[i][0]) == 0) {
            o->i = choice_index(proxy_modes, map[i][1]);
        }
    }
    free(s);
    if (o->i < 0) {
        pfc__err(err, errlen, "proxy_protocol must be: off, v1, v2, or auto");
        return -1;
    }
    return 0;
}


static int
v_asgi_loop(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    (void) warn;
    if (v->type == PFC_PY_NONE) {
        o->i = PFC_ASGI_LOOP_AUTO;
        return 0;
    }
    if (v->type != PFC_PY_STR) {
        return fail_str(err, errlen, "Invalid type for casting: %s", v);
    }
    return choice(v, o, asgi_loops, "Invalid ASGI loop: %s", SHOW_NORM, err,
                  errlen);
}


static int
v_asgi_lifespan(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    (void) warn;
    if (v->type == PFC_PY_NONE) {
        o->i = PFC_ASGI_LIFESPAN_AUTO;
        return 0;
    }
    if (v->type != PFC_PY_STR) {
        return fail_str(err, errlen, "Invalid type for casting: %s", v);
    }
    return choice(v, o, asgi_lifespans, "Invalid ASGI lifespan: %s", SHOW_NORM,
                  err, errlen);
}


static int
v_http_parser(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    (void) warn;
    if (v->type == PFC_PY_NONE) {
        o->i = PFC_HTTP_PARSER_AUTO;
        return 0;
    }
    if (v->type != PFC_PY_STR) {
        pfc__err(err, errlen, "http_parser must be a string");
        return -1;
    }
    return choice(v, o, http_parsers,
                  "http_parser must be one of: auto, fast, python%s",
                  SHOW_NONE, err, errlen);
}


static int
v_h2c(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    (void) warn;
    if (v->type == PFC_PY_NONE) {
        o->i = PFC_H2C_OFF;
        return 0;
    }
    if (v->type == PFC_PY_BOOL) {
        o->i = v->i ? PFC_H2C_PRIOR_KNOWLEDGE : PFC_H2C_OFF;
        return 0;
    }
    if (v->type != PFC_PY_STR) {
        return fail_str(err, errlen, "Invalid type for casting: %s", v);
    }
    return choice(v, o, h2c_modes, "Invalid http2_cleartext: %s", SHOW_NORM,
                  err, errlen);
}


static int
v_http_protocols(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    static const char *const known[] = { "h1", "h2", "h3", NULL };
    pfc__nval  parts = { 0 };
    pfc_value  sv;
    size_t     i, j;
    char      *s;

    if (v->type != PFC_PY_NONE && v->type != PFC_PY_STR) {
        pfc__err(err, errlen, "http_protocols must be a string");
        return -1;
    }
    if (v->type == PFC_PY_STR) {
        sv = *v;
        if (v_str_list(&sv, &parts, warn, err, errlen) != 0) {
            pfc__nval_free(&parts);
            return -1;
        }
    }
    for (i = 0; i < parts.l.n; i++) {
        if (parts.l.v[i][0] == '\0') {
            continue;
        }
        s = lower_strip(parts.l.v[i]);
        if (s == NULL || pfc_strlist_push(&o->l, s) != 0) {
            free(s);
            pfc__nval_free(&parts);
            return nomem(err, errlen);
        }
        if (choice_index(known, s) < 0) {
            pfc__err(err, errlen, "Invalid protocol '%s'. Valid protocols: "
                     "h1, h2, h3", s);
            free(s);
            pfc__nval_free(&parts);
            return -1;
        }
        free(s);
    }
    pfc__nval_free(&parts);
    for (i = 0; i < o->l.n; i++) {
        for (j = 0; j < i; j++) {
            if (strcmp(o->l.v[i], o->l.v[j]) == 0) {
                pfc__err(err, errlen, "Duplicate protocols specified");
                return -1;
            }
        }
    }
    if (o->l.n == 0 && pfc_strlist_push(&o->l, "h1") != 0) {
        return nomem(err, errlen);
    }
    return 0;
}


static int
v_ssl_version(const pfc_value *v, pfc__nval *o, pfc_strlist *warn,
    char *err, size_t errlen)
{
    pfc__buf  b = { 0 };

    (void) warn;
    if (v->type == PFC_PY_NONE) {
        o->none = 1;
        return 0;
    }
    if (v->type == PFC_PY_STR) {
        o->s = pfc__strdup(v->s);
    } else {
        pfc__buf_pystr(&b, v);
        o->s = pfc__buf_take(&b);
    }
    return o->s ? 0 : nomem(err, errlen);
}


static int
v_callable(const pfc_value *v, pfc__nval *o, pfc_strlist *warn, char *err,
    size_t errlen)
{
    (void) v;
    (void) o;
    (void) warn;
    pfc__err(err, errlen, "server hooks are set by the configuration file "
             "loader (pfc_set_hook)");
    return -1;
}


static validator *const validators[] = {
    [PFC_V_STRING] = v_string,
    [PFC_V_LIST_STRING] = v_list_string,
    [PFC_V_FILES] = v_files,
    [PFC_V_POS_INT] = v_pos_int,
    [PFC_V_FRAME_SIZE] = v_frame_size,
    [PFC_V_BOOL] = v_bool,
    [PFC_V_CLASS] = v_string,
    [PFC_V_CHDIR] = v_chdir,
    [PFC_V_USER] = v_user,
    [PFC_V_GROUP] = v_group,
    [PFC_V_DICT] = v_dict,
    [PFC_V_PYDICT] = v_pydict,
    [PFC_V_ADDR_LIST] = v_addr_list,
    [PFC_V_STR_LIST] = v_str_list,
    [PFC_V_STATSD] = v_statsd,
    [PFC_V_RELOAD_ENGINE] = v_reload_engine,
    [PFC_V_HEADER_MAP] = v_header_map,
    [PFC_V_PROXY_PROTOCOL] = v_proxy_protocol,
    [PFC_V_ASGI_LOOP] = v_asgi_loop,
    [PFC_V_ASGI_LIFESPAN] = v_asgi_lifespan,
    [PFC_V_HTTP_PARSER] = v_http_parser,
    [PFC_V_H2C] = v_h2c,
    [PFC_V_HTTP_PROTOCOLS] = v_http_protocols,
    [PFC_V_SSL_VERSION] = v_ssl_version,
    [PFC_V_CALLABLE] = v_callable,
};


void
pfc__dict_free(pfc_dict *d)
{
    size_t  i;

    for (i = 0; i < d->n; i++) {
        free(d->v[i].key);
        free(d->v[i].value);
    }
    free(d->v);
    d->v = NULL;
    d->n = 0;
}


void
pfc__nval_free(pfc__nval *n)
{
    free(n->s);
    pfc_strlist_free(&n->l);
    pfc__dict_free(&n->d);
    memset(n, 0, sizeof(*n));
}


int
pfc__validate(int idx, const pfc_value *v, pfc__nval *out, pfc_strlist *warn,
    char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (validators[pfc_table[idx].validator](v, out, warn, err, errlen)
        != 0)
    {
        pfc__nval_free(out);
        return -1;
    }
    return 0;
}

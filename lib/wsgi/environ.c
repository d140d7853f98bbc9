/*
 * The WSGI environ (gunicorn-reference §5.1).  Keys are interned once; the
 * keys that never change within a worker live in a base dict per listener,
 * copied for each request (bjoern's approach); header values go straight
 * from the parser's views into latin-1 str objects.  "HTTP_*" keys for the
 * header names a worker sees are built once and cached.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>

enum {
    K_REQUEST_METHOD, K_SCRIPT_NAME, K_PATH_INFO, K_QUERY_STRING, K_RAW_URI,
    K_SERVER_NAME, K_SERVER_PORT, K_SERVER_PROTOCOL, K_REMOTE_ADDR,
    K_REMOTE_PORT, K_CONTENT_TYPE, K_CONTENT_LENGTH, K_SERVER_SOFTWARE,
    K_WSGI_VERSION, K_WSGI_URL_SCHEME, K_WSGI_INPUT, K_WSGI_ERRORS,
    K_WSGI_MULTITHREAD, K_WSGI_MULTIPROCESS, K_WSGI_RUN_ONCE,
    K_WSGI_FILE_WRAPPER, K_WSGI_INPUT_TERMINATED, K_GUNICORN_SOCKET,
    K_PROXY_PROTOCOL, K_PROXY_ADDR, K_PROXY_PORT,
    K__N
};

static const char *const key_names[K__N] = {
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "RAW_URI",
    "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR",
    "REMOTE_PORT", "CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_SOFTWARE",
    "wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors",
    "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once",
    "wsgi.file_wrapper", "wsgi.input_terminated", "gunicorn.socket",
    "PROXY_PROTOCOL", "PROXY_ADDR", "PROXY_PORT",
};

/* Values worth sharing between requests. */
enum {
    V_EMPTY, V_HTTP10, V_HTTP11, V_HTTP, V_HTTPS,
    V_GET, V_HEAD, V_POST, V_PUT, V_DELETE, V_OPTIONS, V_PATCH,
    V__N
};

static const char *const val_names[V__N] = {
    "", "HTTP/1.0", "HTTP/1.1", "http", "https",
    "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
};

static PyObject  *key[K__N];
static PyObject  *val[V__N];
static PyObject  *socket_type;   /* socket.socket */

/* HTTP_* key cache: open addressing over the normalised name. */
#define HC_SIZE    256
#define HC_NAME    64
#define HC_PROBES  8

typedef struct {
    uint32_t   hash;
    uint32_t   len;
    char       name[HC_NAME];            /* "HTTP_X_FOO" */
    PyObject  *key;
} hc_entry;

static hc_entry  *hcache;

/* The process environment's SCRIPT_NAME when the worker started: the base
 * environ's value, and the prefix PATH_INFO loses (NULL: none). */
static char      *env_script;
static size_t     env_script_len;

/* Keys the base dict's table has room for (see base_dict). */
#define BASE_ROOM  42

/* A keep-alive connection reuses its environ when the app kept no
 * reference to it and changed nothing in it: the dict's version tag
 * (PEP 509) says so.  The tag is deprecated from 3.12 on: a fresh copy
 * every time there. */
#if PY_VERSION_HEX < 0x030C0000
#define ENV_REUSE       1
#define ENV_VERSION(d)  (((PyDictObject *) (d))->ma_version_tag)
#else
#define ENV_REUSE       0
#define ENV_VERSION(d)  ((uint64_t) 0)
#endif


int
pfw_environ_init(void)
{
    PyObject    *mod;
    const char  *script;
    size_t       i;

    if (key[0] != NULL) {
        return 0;
    }
    for (i = 0; i < K__N; i++) {
        key[i] = PyUnicode_InternFromString(key_names[i]);
        if (key[i] == NULL) {
            return -1;
        }
    }
    for (i = 0; i < V__N; i++) {
        val[i] = PyUnicode_InternFromString(val_names[i]);
        if (val[i] == NULL) {
            return -1;
        }
    }
    mod = PyImport_ImportModule("socket");
    if (mod == NULL) {
        return -1;
    }
    socket_type = PyObject_GetAttrString(mod, "socket");
    Py_DECREF(mod);
    if (socket_type == NULL) {
        return -1;
    }
    hcache = PyMem_RawCalloc(HC_SIZE, sizeof(hc_entry));
    if (hcache == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    script = getenv("SCRIPT_NAME");
    if (script != NULL && script[0] != '\0') {
        env_script_len = strlen(script);
        env_script = PyMem_RawMalloc(env_script_len + 1);
        if (env_script == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        memcpy(env_script, script, env_script_len + 1);
    }
    return 0;
}


static int
set_take(PyObject *d, PyObject *k, PyObject *v)
{
    int  r;

    if (v == NULL) {
        return -1;
    }
    r = PyDict_SetItem(d, k, v);
    Py_DECREF(v);
    return r;
}


static PyObject *
latin1(const char *s, size_t n)
{
    if (n == 0) {
        Py_INCREF(val[V_EMPTY]);
        return val[V_EMPTY];
    }
    return PyUnicode_DecodeLatin1(s, (Py_ssize_t) n, NULL);
}


/* SERVER_NAME / SERVER_PORT of a TCP listener: its bound address. */
static int
base_server(PyObject *d, int fd, int family, PyObject **path)
{
    struct sockaddr_storage  ss;
    struct sockaddr_un      *un = (void *) &ss;
    socklen_t                len = sizeof(ss);
    char                     host[INET6_ADDRSTRLEN], port[8];
    unsigned                 p = 0;

    *path = NULL;
    if (fd < 0 || getsockname(fd, (struct sockaddr *) &ss, &len) == -1) {
        return 0;
    }
    if (family == AF_UNIX) {
        if (len > offsetof(struct sockaddr_un, sun_path)
            && un->sun_path[0] != '\0')
        {
            *path = PyUnicode_DecodeFSDefault(un->sun_path);
            return *path != NULL ? 0 : -1;
        }
        *path = PyUnicode_FromString("");
        return *path != NULL ? 0 : -1;
    }
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, host,
                  sizeof(host));
        p = ntohs(((struct sockaddr_in *) &ss)->sin_port);
    } else if (ss.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, host,
                  sizeof(host));
        p = ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
    } else {
        return 0;
    }
    snprintf(port, sizeof(port), "%u", p);
    if (set_take(d, key[K_SERVER_NAME], PyUnicode_FromString(host)) < 0
        || set_take(d, key[K_SERVER_PORT], PyUnicode_FromString(port)) < 0)
    {
        return -1;
    }
    return 0;
}


/* Keys every request sets: the base holds them already (None until the
 * request's value replaces it), so a copy of the base takes them without
 * an insertion, and without the resizes that would follow. */
static const int  always[] = {
    K_REQUEST_METHOD, K_SERVER_PROTOCOL, K_QUERY_STRING, K_RAW_URI,
    K_REMOTE_ADDR, K_PATH_INFO, K_WSGI_INPUT, K_GUNICORN_SOCKET
};


static int
placeholders(PyObject *d, int family)
{
    size_t  i;

    for (i = 0; i < sizeof(always) / sizeof(always[0]); i++) {
        if (PyDict_SetItem(d, key[always[i]], Py_None) < 0) {
            return -1;
        }
    }
    /* unix listeners: only a PROXY header gives a REMOTE_PORT */
    if (family != AF_UNIX
        && PyDict_SetItem(d, key[K_REMOTE_PORT], Py_None) < 0)
    {
        return -1;
    }
    return 0;
}


/* Room for the base, a request's keys and a browser's dozen headers in
 * the table every copy starts with: copies never resize. */
static PyObject *
base_dict(void)
{
#if PY_VERSION_HEX < 0x030D0000
    return _PyDict_NewPresized(BASE_ROOM);
#else
    return PyDict_New();
#endif
}


PyObject *
pfw_environ_base(const pfw_app *app, int fd, int family, int multithread,
                 PyObject **path)
{
    PyObject    *d, *errors;
    const char  *script = getenv("SCRIPT_NAME");

    d = base_dict();
    if (d == NULL) {
        return NULL;
    }
    errors = PySys_GetObject("stderr");              /* borrowed */
    if (set_take(d, key[K_WSGI_VERSION], Py_BuildValue("(ii)", 1, 0)) < 0
        || set_take(d, key[K_WSGI_URL_SCHEME],
                    PyUnicode_FromString(app->url_scheme ? app->url_scheme
                                                         : "http")) < 0
        || PyDict_SetItem(d, key[K_WSGI_ERRORS],
                          errors != NULL ? errors : Py_None) < 0
        || PyDict_SetItem(d, key[K_WSGI_MULTITHREAD],
                          multithread ? Py_True : Py_False) < 0
        || PyDict_SetItem(d, key[K_WSGI_MULTIPROCESS],
                          app->workers > 1 ? Py_True : Py_False) < 0
        || PyDict_SetItem(d, key[K_WSGI_RUN_ONCE], Py_False) < 0
        || PyDict_SetItem(d, key[K_WSGI_FILE_WRAPPER],
                          pfw_file_wrapper_type()) < 0
        || PyDict_SetItem(d, key[K_WSGI_INPUT_TERMINATED], Py_True) < 0
        || set_take(d, key[K_SERVER_SOFTWARE],
                    PyUnicode_FromString(app->server_software
                                         ? app->server_software
                                         : "prefork-wsgi")) < 0
        || set_take(d, key[K_SCRIPT_NAME],
                    script != NULL ? latin1(script, strlen(script))
                                   : latin1("", 0)) < 0
        || base_server(d, fd, family, path) < 0
        || placeholders(d, family) < 0)
    {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}


static PyObject *
method_value(const pfh_request *req)
{
    static const int   ids[] = { V_GET, V_HEAD, V_POST, V_PUT, V_DELETE,
                                 V_OPTIONS, V_PATCH };
    size_t             i;
    const char        *m;

    for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        m = val_names[ids[i]];
        if (req->method_len == strlen(m)
            && memcmp(req->method, m, req->method_len) == 0)
        {
            Py_INCREF(val[ids[i]]);
            return val[ids[i]];
        }
    }
    return latin1(req->method, req->method_len);
}


static PyObject *
protocol_value(const pfh_request *req)
{
    char  v[32];
    int   n;

    if (req->version_major == 1 && (req->version_minor == 0
                                    || req->version_minor == 1))
    {
        Py_INCREF(val[req->version_minor ? V_HTTP11 : V_HTTP10]);
        return val[req->version_minor ? V_HTTP11 : V_HTTP10];
    }
    n = snprintf(v, sizeof(v), "HTTP/%d.%d", req->version_major,
                 req->version_minor);
    return PyUnicode_FromStringAndSize(v, n);
}


static uint32_t
fnv(const char *s, size_t n)
{
    uint32_t  h = 2166136261u;
    size_t    i;

    for (i = 0; i < n; i++) {
        h = (h ^ (unsigned char) s[i]) * 16777619u;
    }
    return h;
}


/* The environ key for a header name: "HTTP_" + upper-case, '-' -> '_'.
 * New reference. */
static PyObject *
header_key(const char *name, size_t n)
{
    char       k[HC_NAME];
    char      *big = NULL, *p;
    size_t     i, len = n + 5, slot;
    uint32_t   h;
    hc_entry  *e;
    PyObject  *o;

    p = len <= sizeof(k) ? k : (big = PyMem_RawMalloc(len));
    if (p == NULL) {
        return PyErr_NoMemory();
    }
    memcpy(p, "HTTP_", 5);
    for (i = 0; i < n; i++) {
        char ch = name[i];

        p[5 + i] = ch == '-' ? '_' : (ch >= 'a' && ch <= 'z') ? ch - 32 : ch;
    }
    if (big != NULL) {
        o = PyUnicode_DecodeLatin1(p, (Py_ssize_t) len, NULL);
        PyMem_RawFree(big);
        return o;
    }
    h = fnv(p, len);
    for (i = 0; i < HC_PROBES; i++) {
        slot = (h + i) & (HC_SIZE - 1);
        e = &hcache[slot];
        if (e->key == NULL) {
            o = PyUnicode_DecodeLatin1(p, (Py_ssize_t) len, NULL);
            if (o == NULL) {
                return NULL;
            }
            PyUnicode_InternInPlace(&o);
            e->hash = h;
            e->len = (uint32_t) len;
            memcpy(e->name, p, len);
            e->key = o;
            Py_INCREF(o);
            return o;
        }
        if (e->hash == h && e->len == len && memcmp(e->name, p, len) == 0) {
            Py_INCREF(e->key);
            return e->key;
        }
    }
    return PyUnicode_DecodeLatin1(p, (Py_ssize_t) len, NULL);
}


#define IS(name, n, lit) \
    ((n) == sizeof(lit) - 1 && strncasecmp(name, lit, n) == 0)

typedef struct {
    const char  *host;               /* Host value (unix listeners) */
    size_t       host_len;
    const char  *script;             /* trusted SCRIPT_NAME header */
    size_t       script_len;
} seen;


/* The reused environ's values of the keys every request sets
 * (c->env_old): a request with the same text leaves them in place. */
enum { O_METHOD, O_PROTOCOL, O_QUERY, O_RAW_URI, O_PATH_INFO, O_INPUT };


/* Whether old (a value the reused environ holds, or NULL) is the latin-1
 * text s[0..n). */
static int
same_text(PyObject *old, const char *s, size_t n)
{
    return old != NULL && PyUnicode_CheckExact(old)
           && PyUnicode_KIND(old) == PyUnicode_1BYTE_KIND
           && (size_t) PyUnicode_GET_LENGTH(old) == n
           && memcmp(PyUnicode_1BYTE_DATA(old), s, n) == 0;
}


/* k = the latin-1 text s[0..n), unless the reused environ has it. */
static int
put_text(PyObject *env, PyObject *k, PyObject **old, const char *s,
         size_t n)
{
    PyObject  *v;

    if (same_text(*old, s, n)) {
        return 0;
    }
    v = latin1(s, n);
    *old = v;
    return set_take(env, k, v);
}


/* k = v (a new reference), unless the reused environ has that object. */
static int
put_obj(PyObject *env, PyObject *k, PyObject **old, PyObject *v)
{
    if (v != NULL && v == *old) {
        Py_DECREF(v);
        return 0;
    }
    *old = v;
    return set_take(env, k, v);
}


/* The values of the header keys are no longer known (a join). */
static void
forget_values(pfw_conn *c)
{
    unsigned  i;

    for (i = 0; i < c->env_nadded; i++) {
        c->env_added_val[i] = NULL;
    }
}


/* A key the request added to the base's, in the order of insertion:
 * the next request on a reused environ replaces the values of those it
 * has too, at the same place, and removes the others (pfw_environ_release,
 * add_headers). */
static void
added(pfw_conn *c, PyObject *k, PyObject *v)
{
    if (c->env_nadded < PFW_ENV_ADDED) {
        c->env_added_val[c->env_nadded] = v;
        c->env_added[c->env_nadded++] = k;
    } else {
        c->env_reuse = 0;
    }
}


/* Remove the previous request's keys from the from'th on. */
static int
drop_added(PyObject *env, pfw_conn *c, unsigned from)
{
    unsigned  i;

    for (i = from; i < c->env_nadded; i++) {
        if (PyDict_DelItem(env, c->env_added[i]) < 0) {
            c->env_nadded = i;
            return -1;
        }
    }
    c->env_nadded = from;
    return 0;
}


/* Store v under k, joining with "," when the key is already there:
 * 1 when k is new, 0 when joined, -1 on error. */
static int
add_value(PyObject *env, PyObject *k, PyObject *v, const char *sep)
{
    PyObject    *old, *joined;
    Py_ssize_t   n;

    if (v == NULL) {
        return -1;
    }
    /* one lookup: a new key takes v, a repeated one returns the first
     * value (identity says nothing: equal short str are shared) */
    n = PyDict_GET_SIZE(env);
    old = PyDict_SetDefault(env, k, v);                /* borrowed */
    if (old == NULL || PyDict_GET_SIZE(env) != n) {
        Py_DECREF(v);
        return old != NULL ? 1 : -1;
    }
    joined = PyUnicode_FromFormat("%U%s%U", old, sep, v);
    Py_DECREF(v);
    return set_take(env, k, joined);
}


/* The header keys.  On a reused environ the previous request's keys are
 * still there (c->env_added): while this request names them in the same
 * order, each value is replaced where it stands; at the first difference
 * the rest of them go, and the keys that follow are inserted as in a fresh
 * copy.  Either way the keys, their values and their order are those of a
 * fresh copy of the base. */
static int
add_headers(PyObject *env, pfw_conn *c, seen *s)
{
    const pfh_header  *h;
    PyObject          *k, *v, *last = NULL;
    size_t             i;
    Py_ssize_t         n;
    unsigned           pos = 0, carried = c->env_nadded;
    int                r, replace;

    for (i = 0; i < c->req.num_headers; i++) {
        h = &c->hdrs[i];
        if (h->name == NULL) {
            /* obs-fold continuation: joined with one space */
            if (last == NULL) {
                continue;
            }
            forget_values(c);
            if (add_value(env, last, latin1(h->value, h->value_len), " ")
                < 0)
            {
                return -1;
            }
            continue;
        }
        replace = 1;                        /* the last one counts */
        if (IS(h->name, h->name_len, "content-type")) {
            k = key[K_CONTENT_TYPE];
            Py_INCREF(k);
        } else if (IS(h->name, h->name_len, "content-length")) {
            k = key[K_CONTENT_LENGTH];
            Py_INCREF(k);
        } else {
            if (IS(h->name, h->name_len, "host")) {
                s->host = h->value;
                s->host_len = h->value_len;
            } else if (IS(h->name, h->name_len, "script_name")) {
                s->script = h->value;
                s->script_len = h->value_len;
            }
            k = header_key(h->name, h->name_len);
            if (k == NULL) {
                return -1;
            }
            replace = 0;                    /* repeated ones are joined */
        }
        if (pos < carried && k == c->env_added[pos]) {
            /* the previous request's key, in its place */
            r = put_text(env, k, &c->env_added_val[pos], h->value,
                         h->value_len);
            pos++;
            goto next;
        }
        v = latin1(h->value, h->value_len);
        if (v != NULL && pos < carried) {
            carried = pos;
            if (drop_added(env, c, pos) < 0) {
                Py_DECREF(v);
                r = -1;
                goto next;
            }
        }
        n = PyDict_GET_SIZE(env);
        r = replace ? set_take(env, k, v) : add_value(env, k, v, ",");
        if (r >= 0 && PyDict_GET_SIZE(env) != n) {
            added(c, k, v);                    /* the dict holds v */
        } else {
            forget_values(c);
        }
    next:
        Py_XDECREF(last);
        last = k;
        if (r < 0) {
            Py_XDECREF(last);
            return -1;
        }
    }
    Py_XDECREF(last);
    return pos < carried ? drop_added(env, c, pos) : 0;
}


static int
hexval(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    ch |= 0x20;
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}


/* PATH_INFO: percent-decoded to bytes, then latin-1 (PEP 3333); invalid
 * escapes stay as they are, as in urllib.parse.unquote_to_bytes. */
static PyObject *
path_info(const char *p, size_t n)
{
    char       stack[2048], *out;
    size_t     i, o = 0;
    PyObject  *r;
    int        hi, lo;

    if (memchr(p, '%', n) == NULL) {
        return latin1(p, n);
    }
    out = n <= sizeof(stack) ? stack : PyMem_RawMalloc(n);
    if (out == NULL) {
        return PyErr_NoMemory();
    }
    for (i = 0; i < n; i++) {
        if (p[i] == '%' && i + 2 < n
            && (hi = hexval(p[i + 1])) >= 0 && (lo = hexval(p[i + 2])) >= 0)
        {
            out[o++] = (char) (hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = p[i];
        }
    }
    r = latin1(out, o);
    if (out != stack) {
        PyMem_RawFree(out);
    }
    return r;
}


static PyObject *
port_string(unsigned port)
{
    return PyUnicode_FromFormat("%u", port);
}


/* Textual address and port of an AF_INET/AF_INET6 sockaddr ("" and 0 for
 * anything else: unix sockets). */
static void
addr_text(const struct sockaddr_storage *ss, char *ip, size_t len,
          unsigned *port)
{
    const struct sockaddr_in   *s4 = (const void *) ss;
    const struct sockaddr_in6  *s6 = (const void *) ss;

    ip[0] = '\0';
    *port = 0;
    if (ss->ss_family == AF_INET) {
        inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t) len);
        *port = ntohs(s4->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t) len);
        *port = ntohs(s6->sin6_port);
    }
}


/* A PROXY LOCAL/UNSPEC header (the proxy's own health check) relays no
 * client: the connection's real addresses stay, PROXY_ADDR/PROXY_PORT are
 * the local end (gunicorn sets None and "None" here). */
static int
add_proxy_local(PyObject *env, pfw_conn *c)
{
    struct sockaddr_storage  ss;
    socklen_t                len = sizeof(ss);
    char                     ip[INET6_ADDRSTRLEN];
    unsigned                 port;

    memset(&ss, 0, sizeof(ss));
    if (getsockname(c->fd, (struct sockaddr *) &ss, &len) == -1) {
        ss.ss_family = AF_UNSPEC;
    }
    addr_text(&ss, ip, sizeof(ip), &port);
    if (set_take(env, key[K_PROXY_ADDR], PyUnicode_FromString(ip)) < 0) {
        return -1;
    }
    return set_take(env, key[K_PROXY_PORT],
                    ss.ss_family == AF_INET || ss.ss_family == AF_INET6
                    ? port_string(port) : latin1("", 0));
}


/* REMOTE_ADDR/REMOTE_PORT, or the client a PROXY header names (kept for
 * every request of the connection), and PROXY_*. */
static int
add_remote(PyObject *env, pfw_conn *c)
{
    char      ip[INET6_ADDRSTRLEN];
    unsigned  port;

    if (c->proxy.proto != NULL) {
        if (set_take(env, key[K_PROXY_PROTOCOL],
                     PyUnicode_FromString(c->proxy.proto)) < 0)
        {
            return -1;
        }
        if (!c->proxy.local) {
            return set_take(env, key[K_REMOTE_ADDR],
                            PyUnicode_FromString(c->proxy.src_addr)) < 0
                   || set_take(env, key[K_REMOTE_PORT],
                               port_string(c->proxy.src_port)) < 0
                   || set_take(env, key[K_PROXY_ADDR],
                               PyUnicode_FromString(c->proxy.dst_addr)) < 0
                   || set_take(env, key[K_PROXY_PORT],
                               port_string(c->proxy.dst_port)) < 0 ? -1 : 0;
        }
        if (add_proxy_local(env, c) < 0) {
            return -1;
        }
    }
    if (c->py_addr == NULL) {
        addr_text(&c->peer, ip, sizeof(ip), &port);
        c->py_addr = PyUnicode_FromString(ip);
        if (c->py_addr == NULL) {
            return -1;
        }
        if (c->peer.ss_family != AF_UNIX) {
            c->py_port = port_string(port);
            if (c->py_port == NULL) {
                return -1;
            }
        }
    }
    if (PyDict_SetItem(env, key[K_REMOTE_ADDR], c->py_addr) < 0) {
        return -1;
    }
    if (c->py_port != NULL
        && PyDict_SetItem(env, key[K_REMOTE_PORT], c->py_port) < 0)
    {
        return -1;
    }
    return 0;
}


/* Unix listeners have no address to report: the Host header says it
 * (port by scheme), or the socket path with an empty port (gunicorn). */
static int
add_unix_server(PyObject *env, const pfw_listener *l, const seen *s,
                int https)
{
    const char  *h = s->host, *colon, *end;
    size_t       n = s->host_len, hn;

    if (h == NULL) {
        if (PyDict_SetItem(env, key[K_SERVER_NAME],
                           l->path != NULL ? l->path : val[V_EMPTY]) < 0)
        {
            return -1;
        }
        return PyDict_SetItem(env, key[K_SERVER_PORT], val[V_EMPTY]);
    }
    end = h + n;
    if (n > 0 && h[0] == '[' && (colon = memchr(h, ']', n)) != NULL) {
        colon = colon + 1 < end && colon[1] == ':' ? colon + 1 : NULL;
    } else {
        colon = memchr(h, ':', n);
    }
    hn = colon != NULL ? (size_t) (colon - h) : n;
    if (set_take(env, key[K_SERVER_NAME], latin1(h, hn)) < 0) {
        return -1;
    }
    if (colon != NULL) {
        return set_take(env, key[K_SERVER_PORT],
                        latin1(colon + 1, (size_t) (end - colon - 1)));
    }
    return set_take(env, key[K_SERVER_PORT],
                    PyUnicode_FromString(https ? "443" : "80"));
}


static PyObject *
client_socket(pfw_conn *c)
{
    if (c->py_sock == NULL) {
        c->py_sock = PyObject_CallFunction(socket_type, "iiii",
                                           (int) c->peer.ss_family,
                                           SOCK_STREAM, 0, c->fd);
    }
    return c->py_sock;
}


/* What stays the same for every request of a connection: the listener's
 * base with REMOTE_ADDR/REMOTE_PORT (or the PROXY header's), PROXY_* and
 * gunicorn.socket, built at its second request (a connection closed after
 * one never pays for it) and dropped with the connection's other Python
 * objects (conn.c).  NULL: not (yet) there, no error. */
static PyObject *
conn_base(pfw_conn *c, const pfw_listener *l)
{
    PyObject  *d, *sock;

    if (c->env_base != NULL || c->nreq < 2) {
        return c->env_base;
    }
    d = PyDict_Copy(l->base);
    if (d == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (add_remote(d, c) < 0 || (sock = client_socket(c)) == NULL
        || PyDict_SetItem(d, key[K_GUNICORN_SOCKET], sock) < 0)
    {
        /* the request builds them itself, and reports the error */
        PyErr_Clear();
        Py_DECREF(d);
        return NULL;
    }
    c->env_base = d;
    return d;
}


PyObject *
pfw_environ_build(pfw_conn *c, int *status, char *mesg, size_t mlen)
{
    const pfw_listener  *l = &c->srv->ls[c->lidx];
    const pfh_request   *req = &c->req;
    const char          *path = req->path, *script;
    size_t               plen = req->path_len, slen;
    PyObject            *env, *sn = NULL, *sock, *base;
    seen                 s = { NULL, 0, NULL, 0 };
    int                  https;

    *status = 500;
    mesg[0] = '\0';
    base = conn_base(c, l);
    c->env_reuse = ENV_REUSE && base != NULL;
    if (base != NULL && c->env_spare != NULL) {
        env = c->env_spare;                  /* c->env_added: its keys */
        c->env_spare = NULL;
    } else {
        c->env_nadded = 0;
        memset(c->env_old, 0, sizeof(c->env_old));
        env = PyDict_Copy(base != NULL ? base : l->base);
        if (env == NULL) {
            goto failed;
        }
    }
    if (put_obj(env, key[K_REQUEST_METHOD], &c->env_old[O_METHOD],
                method_value(req)) < 0
        || put_obj(env, key[K_SERVER_PROTOCOL], &c->env_old[O_PROTOCOL],
                   protocol_value(req)) < 0
        || put_text(env, key[K_QUERY_STRING], &c->env_old[O_QUERY],
                    req->query, req->query_len) < 0
        || put_text(env, key[K_RAW_URI], &c->env_old[O_RAW_URI],
                    req->target, req->target_len) < 0
        || (base == NULL && add_remote(env, c) < 0)
        || add_headers(env, c, &s) < 0)
    {
        goto failed;
    }

    https = req->url_scheme == PFH_SCHEME_HTTPS;
    if (req->url_scheme != PFH_SCHEME_NONE) {
        /* a value of the base's changed: not put back on reuse */
        c->env_reuse = 0;
        if (PyDict_SetItem(env, key[K_WSGI_URL_SCHEME],
                           val[https ? V_HTTPS : V_HTTP]) < 0)
        {
            goto failed;
        }
    } else {
        https = c->srv->app->url_scheme != NULL
                && strcmp(c->srv->app->url_scheme, "https") == 0;
    }
    if (l->family == AF_UNIX && add_unix_server(env, l, &s, https) < 0) {
        goto failed;
    }

    /* SCRIPT_NAME: a trusted header, else the process environment */
    if (s.script != NULL) {
        c->env_reuse = 0;
        script = s.script;
        slen = s.script_len;
        sn = latin1(script, slen);
        if (sn == NULL || PyDict_SetItem(env, key[K_SCRIPT_NAME], sn) < 0) {
            goto failed;
        }
    } else {
        script = env_script;
        slen = env_script_len;
    }
    if (slen > 0) {
        if (plen < slen || memcmp(path, script, slen) != 0) {
            snprintf(mesg, mlen, "Configuration problem: Request path "
                     "'%.*s' does not start with SCRIPT_NAME '%.*s'",
                     (int) (plen < 200 ? plen : 200), path,
                     (int) (slen < 200 ? slen : 200), script);
            Py_XDECREF(sn);
            Py_DECREF(env);
            return NULL;
        }
        path += slen;
        plen -= slen;
    }
    Py_XDECREF(sn);
    sn = NULL;
    if ((memchr(path, '%', plen) == NULL
         ? put_text(env, key[K_PATH_INFO], &c->env_old[O_PATH_INFO], path,
                    plen)
         : put_obj(env, key[K_PATH_INFO], &c->env_old[O_PATH_INFO],
                   path_info(path, plen))) < 0
        || put_obj(env, key[K_WSGI_INPUT], &c->env_old[O_INPUT],
                   Py_NewRef(c->input)) < 0)
    {
        goto failed;
    }
    if (base == NULL) {
        sock = client_socket(c);
        if (sock == NULL
            || PyDict_SetItem(env, key[K_GUNICORN_SOCKET], sock) < 0)
        {
            goto failed;
        }
    }
    if (c->env_reuse) {
        c->env_version = ENV_VERSION(env);
    }
    return env;

failed:
    Py_XDECREF(sn);
    Py_XDECREF(env);
    pfw_log_exception(PF_LOG_ERROR, "Error building the WSGI environ");
    *status = 500;
    mesg[0] = '\0';
    return NULL;
}


/* Keep the environ for the connection's next request: only when this
 * module is its only holder and the version tag says that neither the app
 * nor a hook added, removed or replaced anything since pfw_environ_build.
 * Anything else gets a fresh copy next time.  The keys every request sets
 * keep this request's values until the next one's replace them; so do the
 * header keys (add_headers), but for those not interned: a key is matched
 * by identity, and only an interned str is the one str of its text. */
void
pfw_environ_release(pfw_conn *c)
{
    PyObject  *env = c->environ, *k;
    unsigned   i, n;

    c->environ = NULL;
    if (env == NULL) {
        return;
    }
    if (!c->env_reuse || c->env_spare != NULL || c->env_base == NULL
        || Py_REFCNT(env) != 1 || ENV_VERSION(env) != c->env_version)
    {
        Py_DECREF(env);
        return;
    }
    for (i = n = 0; i < c->env_nadded; i++) {
        k = c->env_added[i];
        if (PyUnicode_CHECK_INTERNED(k)) {
            c->env_added_val[n] = c->env_added_val[i];
            c->env_added[n++] = k;
        } else if (PyDict_DelItem(env, k) < 0) {
            PyErr_Clear();
            Py_DECREF(env);
            return;
        }
    }
    c->env_nadded = n;
    c->env_spare = env;
}


Py_ssize_t
pfw_environ_spare_refs(const pfw_conn *c, const PyObject *o)
{
    return c->env_spare != NULL && c->env_old[O_INPUT] == o;
}

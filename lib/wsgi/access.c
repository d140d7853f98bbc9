/*
 * The access log and the per-request StatsD metrics: what gunicorn's
 * Logger.access() is given after each response (also for an error page
 * answered to a parsed request, and after the app raised), taken from the
 * connection and the environ into lib/log's pfw_access_rec.
 *
 * The request's header bytes are overwritten once the app reads its body,
 * so they are copied when the request starts, into a buffer the
 * connection keeps: with the access log off nothing at all happens, with
 * it on a request costs a copy of its head and no allocation once the
 * buffers have grown.  Everything that touches Python runs with the GIL
 * held (end_request's caller holds it, on every worker kind).
 */
#include "internal.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "access.h"
#include "log.h"

struct pfw_acc {
    int          on;              /* this request will be logged */
    uint64_t     t0_us;           /* monotonic, before the environ; 0:
                                     the request failed before it */
    pfw_hdr     *req;             /* request headers, views into text */
    size_t       nreq, req_cap;
    pfw_hdr     *resp;            /* the app's headers, views into its str */
    size_t       nresp, resp_cap;
    char        *text;            /* copied head bytes */
    size_t       text_cap;
    const char  *method, *target, *query;
    size_t       method_len, target_len, query_len;
    char         proto[24];
    int          proto_len;
};

enum { K_REMOTE_ADDR, K_METHOD, K_RAW_URI, K_PATH, K_QUERY, K_PROTOCOL,
       NKEYS };

static PyObject  *keys[NKEYS];


static uint64_t
mono_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}


static int
grow(void **p, size_t *cap, size_t elem, size_t n)
{
    void    *q;
    size_t   c = *cap ? *cap : 16;

    if (*cap >= n) {
        return 0;
    }
    while (c < n) {
        c *= 2;
    }
    q = PyMem_RawRealloc(*p, c * elem);
    if (q == NULL) {
        return -1;
    }
    *p = q;
    *cap = c;
    return 0;
}


static int
init_keys(void)
{
    static const char *const  names[NKEYS] = {
        "REMOTE_ADDR", "REQUEST_METHOD", "RAW_URI", "PATH_INFO",
        "QUERY_STRING", "SERVER_PROTOCOL"
    };
    int                       i;

    if (keys[0] != NULL) {
        return 0;
    }
    for (i = 0; i < NKEYS; i++) {
        keys[i] = PyUnicode_InternFromString(names[i]);
        if (keys[i] == NULL) {
            PyErr_Clear();
            return -1;
        }
    }
    return 0;
}


static char *
put(char *dst, const char **p, size_t n)
{
    if (*p == NULL) {
        return dst;
    }
    memcpy(dst, *p, n);
    *p = dst;
    return dst + n;
}


/* The head as parsed, copied: header views and the request line. */
static int
snapshot(pfw_conn *c, pfw_acc *a)
{
    const pfh_request  *rq = &c->req;
    size_t              i, n = rq->num_headers, total;
    char               *d;
    uintptr_t           base;

    total = rq->method_len + rq->target_len + rq->query_len;
    for (i = 0; i < n; i++) {
        total += c->hdrs[i].name_len + c->hdrs[i].value_len;
    }
    if (grow((void **) &a->text, &a->text_cap, 1, total + 1) < 0
        || grow((void **) &a->req, &a->req_cap, sizeof(pfw_hdr), n + 1) < 0)
    {
        return -1;
    }
    base = (uintptr_t) a->text;
    d = (char *) base;
    for (i = 0; i < n; i++) {
        a->req[i].name = c->hdrs[i].name;
        a->req[i].name_len = c->hdrs[i].name_len;
        a->req[i].value = c->hdrs[i].value;
        a->req[i].value_len = c->hdrs[i].value_len;
        d = put(d, &a->req[i].name, a->req[i].name_len);
        d = put(d, &a->req[i].value, a->req[i].value_len);
    }
    a->nreq = n;
    a->method = rq->method;
    a->method_len = rq->method_len;
    a->target = rq->target;
    a->target_len = rq->target_len;
    a->query = rq->query != NULL ? rq->query : "";
    a->query_len = rq->query_len;
    d = put(d, &a->method, a->method_len);
    d = put(d, &a->target, a->target_len);
    (void) put(d, &a->query, a->query_len);
    a->proto_len = snprintf(a->proto, sizeof(a->proto), "HTTP/%d.%d",
                            rq->version_major, rq->version_minor);
    return 0;
}


void
pfw_access_begin(pfw_conn *c)
{
    pfw_logging  *lg = pfw_log_current();
    pfw_acc      *a = c->acc;

    if (a != NULL) {
        a->on = 0;
    }
    if (lg == NULL || !pfw_logging_access_enabled(lg)) {
        return;
    }
    if (a == NULL) {
        a = PyMem_RawCalloc(1, sizeof(*a));
        if (a == NULL) {
            return;
        }
        c->acc = a;
    }
    if (snapshot(c, a) < 0) {
        pf_log(PF_LOG_ERROR, "access log: out of memory; request not "
               "logged");
        return;
    }
    a->t0_us = 0;
    a->nresp = 0;
    a->on = 1;
}


void
pfw_access_clock(pfw_conn *c)
{
    if (c->acc != NULL && c->acc->on) {
        c->acc->t0_us = mono_us();
    }
}


/* The latin-1 bytes of a str the environ holds (what gunicorn decoded);
 * NULL when missing or not a 1-byte str. */
static const char *
env_bytes(PyObject *env, int k, size_t *len)
{
    PyObject  *v;

    v = PyDict_GetItemWithError(env, keys[k]);
    if (v == NULL) {
        PyErr_Clear();
        return NULL;
    }
    if (!PyUnicode_Check(v) || PyUnicode_KIND(v) != PyUnicode_1BYTE_KIND) {
        return NULL;
    }
    *len = (size_t) PyUnicode_GET_LENGTH(v);
    return (const char *) PyUnicode_DATA(v);
}


/* {name}e: the environ key whose lower-case form is name (the last one,
 * as gunicorn's dict of lowered keys keeps). */
static int
env_lookup(void *ud, const char *name, size_t len, const char **val,
    size_t *vlen, char *scratch, size_t scratch_len)
{
    PyObject    *env = ud, *k, *v, *found = NULL, *s;
    Py_ssize_t   pos = 0, kl, n;
    const char  *ks, *p;
    size_t       i;
    char         ch;

    while (PyDict_Next(env, &pos, &k, &v)) {
        if (!PyUnicode_Check(k)
            || (ks = PyUnicode_AsUTF8AndSize(k, &kl)) == NULL)
        {
            PyErr_Clear();
            continue;
        }
        if ((size_t) kl != len) {
            continue;
        }
        for (i = 0; i < len; i++) {
            ch = ks[i];
            if (ch >= 'A' && ch <= 'Z') {
                ch = (char) (ch - 'A' + 'a');
            }
            if (ch != name[i]) {
                break;
            }
        }
        if (i == len) {
            found = v;
        }
    }
    if (found == NULL) {
        return PFW_ENV_MISSING;
    }
    if (PyUnicode_Check(found)) {
        p = PyUnicode_AsUTF8AndSize(found, &n);
        if (p == NULL) {
            PyErr_Clear();
            return PFW_ENV_MISSING;
        }
        *val = p;
        *vlen = (size_t) n;
        return PFW_ENV_STR;
    }
    s = PyObject_Str(found);
    p = s != NULL ? PyUnicode_AsUTF8AndSize(s, &n) : NULL;
    if (p == NULL) {
        PyErr_Clear();
        Py_XDECREF(s);
        return PFW_ENV_MISSING;
    }
    *vlen = (size_t) n < scratch_len ? (size_t) n : scratch_len;
    memcpy(scratch, p, *vlen);
    *val = scratch;
    Py_DECREF(s);
    return PFW_ENV_OTHER;
}


static int
hop_by_hop(const char *n, size_t len)
{
    static const char *const  hop[] = {
        "connection", "keep-alive", "proxy-authenticate",
        "proxy-authorization", "te", "trailers", "transfer-encoding",
        "upgrade"
    };
    size_t                    i;

    for (i = 0; i < sizeof(hop) / sizeof(hop[0]); i++) {
        if (strlen(hop[i]) == len && strncasecmp(n, hop[i], len) == 0) {
            return 1;
        }
    }
    return 0;
}


static const char *
latin1_str(PyObject *o, size_t *len)
{
    if (!PyUnicode_Check(o) || PyUnicode_KIND(o) != PyUnicode_1BYTE_KIND) {
        return NULL;
    }
    *len = (size_t) PyUnicode_GET_LENGTH(o);
    return (const char *) PyUnicode_DATA(o);
}


/* gunicorn's resp.headers: the app's list without hop-by-hop fields (an
 * "Upgrade: websocket" stays), names stripped, values stripped of SP and
 * HTAB.  Views into the app's str objects, which c->headers keeps. */
static void
resp_headers(pfw_conn *c, pfw_acc *a)
{
    PyObject    *h;
    Py_ssize_t   i, n;
    const char  *nm, *v;
    size_t       nl, vl;
    pfw_hdr     *o;

    a->nresp = 0;
    if (c->headers == NULL || !PyList_Check(c->headers)) {
        return;
    }
    n = PyList_GET_SIZE(c->headers);
    if (grow((void **) &a->resp, &a->resp_cap, sizeof(pfw_hdr),
             (size_t) n + 1) < 0)
    {
        return;
    }
    for (i = 0; i < n; i++) {
        h = PyList_GET_ITEM(c->headers, i);
        if (!PyTuple_Check(h) || PyTuple_GET_SIZE(h) != 2
            || (nm = latin1_str(PyTuple_GET_ITEM(h, 0), &nl)) == NULL
            || (v = latin1_str(PyTuple_GET_ITEM(h, 1), &vl)) == NULL)
        {
            continue;
        }
        while (nl > 0 && (*nm == ' ' || *nm == '\t')) {
            nm++;
            nl--;
        }
        while (nl > 0 && (nm[nl - 1] == ' ' || nm[nl - 1] == '\t')) {
            nl--;
        }
        while (vl > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            vl--;
        }
        while (vl > 0 && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) {
            vl--;
        }
        if (hop_by_hop(nm, nl)
            && !(nl == 7 && strncasecmp(nm, "upgrade", 7) == 0
                 && vl == 9 && strncasecmp(v, "websocket", 9) == 0))
        {
            continue;
        }
        o = &a->resp[a->nresp++];
        o->name = nm;
        o->name_len = nl;
        o->value = v;
        o->value_len = vl;
    }
}


/* "200" of the app's "200 OK": gunicorn's status.split(None, 1)[0]. */
static void
status_token(PyObject *status, pfw_access_rec *r)
{
    const char  *s;
    size_t       n, i = 0, j;

    if (status == NULL || (s = latin1_str(status, &n)) == NULL) {
        return;
    }
    while (i < n && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r'))) {
        i++;
    }
    for (j = i; j < n && s[j] != ' ' && !(s[j] >= '\t' && s[j] <= '\r');
         j++)
    {
        /* scan */
    }
    r->status_text = s + i;
    r->status_text_len = j - i;
}


/* The code of a status the app never sent (the client went away): what
 * StatsD counts it as. */
static int
status_code(const pfw_access_rec *r)
{
    size_t  i;
    int     code = 0;

    for (i = 0; i < r->status_text_len && i < 9; i++) {
        if (r->status_text[i] < '0' || r->status_text[i] > '9') {
            return 0;
        }
        code = code * 10 + (r->status_text[i] - '0');
    }
    return code;
}


/* The peer as REMOTE_ADDR shows it, when there is no environ. */
static void
peer_text(pfw_conn *c, char *buf, size_t cap, pfw_access_rec *r)
{
    const struct sockaddr_in   *s4 = (const void *) &c->peer;
    const struct sockaddr_in6  *s6 = (const void *) &c->peer;

    buf[0] = '\0';
    if (c->proxy.proto != NULL && !c->proxy.local) {
        snprintf(buf, cap, "%s", c->proxy.src_addr);
    } else if (c->peer.ss_family == AF_INET) {
        inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t) cap);
    } else if (c->peer.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t) cap);
    }
    r->remote_addr = buf;
    r->remote_addr_len = strlen(buf);
}


void
pfw_access_end(pfw_conn *c)
{
    pfw_acc         *a = c->acc;
    pfw_access_rec   r;
    PyObject        *env = c->environ;
    uint64_t         now;
    char             peer[INET6_ADDRSTRLEN + 64];
    int              page;

    if (a == NULL || !a->on) {
        return;
    }
    a->on = 0;
    now = mono_us();
    memset(&r, 0, sizeof(r));
    r.duration_us = a->t0_us != 0 && now > a->t0_us ? now - a->t0_us : 0;
    r.req_headers = a->req;
    r.n_req_headers = a->nreq;
    if (env != NULL && PyDict_Check(env) && init_keys() == 0) {
        /* after the app ran, as gunicorn reads it: middleware that
         * rewrites REMOTE_ADDR or PATH_INFO shows */
        r.remote_addr = env_bytes(env, K_REMOTE_ADDR, &r.remote_addr_len);
        r.method = env_bytes(env, K_METHOD, &r.method_len);
        r.raw_uri = env_bytes(env, K_RAW_URI, &r.raw_uri_len);
        r.path = env_bytes(env, K_PATH, &r.path_len);
        r.query = env_bytes(env, K_QUERY, &r.query_len);
        r.protocol = env_bytes(env, K_PROTOCOL, &r.protocol_len);
        r.env = env_lookup;
        r.env_ud = env;
    } else {
        /* gunicorn's handle_error(): default_environ, no PATH_INFO */
        peer_text(c, peer, sizeof(peer), &r);
        r.method = a->method;
        r.method_len = a->method_len;
        r.raw_uri = a->target;
        r.raw_uri_len = a->target_len;
        r.query = a->query;
        r.query_len = a->query_len;
        r.protocol = a->proto;
        r.protocol_len = (size_t) a->proto_len;
    }
    /* an error page replaced whatever the app had started */
    page = !c->committed && c->r.status != 0;
    r.status = c->r.status;
    if (!page) {
        status_token(c->status, &r);
        resp_headers(c, a);
        r.resp_headers = a->resp;
        r.n_resp_headers = a->nresp;
        if (!c->committed) {
            r.status = status_code(&r);
        }
    }
    r.sent = c->r.sent;                  /* file_wrapper ranges included */
    r.sent_known = 1;
    pfw_logging_access(pfw_log_current(), &r);
}


void
pfw_access_free(pfw_conn *c)
{
    pfw_acc  *a = c->acc;

    if (a == NULL) {
        return;
    }
    PyMem_RawFree(a->req);
    PyMem_RawFree(a->resp);
    PyMem_RawFree(a->text);
    PyMem_RawFree(a);
    c->acc = NULL;
}

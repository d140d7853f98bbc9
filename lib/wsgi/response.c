/*
 * The response head and body framing on top of lib/http.  The head is
 * built once, in the connection's head buffer, from views into the app's
 * str objects (latin-1 data of 1-byte strings: no copy); when the whole
 * body length is known (a list of bytes, or an empty body) and the app gave
 * no Content-Length, we add one instead of chunking.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HEAD_MIN  1024
#define HEAD_MAX  (4 * 1024 * 1024)


static int
grow(char **p, size_t *cap, size_t elem, size_t n)
{
    void  *q;

    if (*cap >= n) {
        return 0;
    }
    q = PyMem_RawRealloc(*p, n * elem);
    if (q == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *p = q;
    *cap = n;
    return 0;
}


/* Header views from the list start_response stored: -1 with a Python
 * error when the app changed it into something invalid since. */
static ssize_t
header_views(pfw_conn *c, int *has_cl)
{
    PyObject    *h;
    Py_ssize_t   i, n;
    pfh_header  *v;

    *has_cl = 0;
    n = PyList_GET_SIZE(c->headers);
    if (grow((char **) &c->rh, &c->rh_cap, sizeof(pfh_header),
             (size_t) n + 1) < 0)
    {
        return -1;
    }
    for (i = 0; i < n; i++) {
        h = PyList_GET_ITEM(c->headers, i);
        v = &c->rh[i];
        if (!PyTuple_Check(h) || PyTuple_GET_SIZE(h) != 2) {
            PyErr_Format(PyExc_TypeError,
                         "header %R is not a (name, value) tuple", h);
            return -1;
        }
        v->name = pfw_latin1_view(PyTuple_GET_ITEM(h, 0), &v->name_len,
                                  "header name");
        v->value = v->name == NULL ? NULL
                   : pfw_latin1_view(PyTuple_GET_ITEM(h, 1), &v->value_len,
                                     "header value");
        if (v->value == NULL) {
            return -1;
        }
        if (v->name_len == 14
            && strncasecmp(v->name, "content-length", 14) == 0)
        {
            *has_cl = 1;
        }
    }
    return n;
}


static int
status_code(const char *s, size_t n)
{
    if (n < 3 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9'
        || s[2] < '0' || s[2] > '9')
    {
        return 0;
    }
    return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}


int
pfw_response_commit(pfw_conn *c)
{
    const char  *status, *bad = NULL;
    size_t       slen, nh, cap;
    ssize_t      n;
    int          has_cl, code;

    if (!c->started || c->status == NULL || c->headers == NULL) {
        PyErr_SetString(PyExc_AssertionError,
                        "Response headers not set: start_response() "
                        "was not called");
        return -1;
    }
    status = pfw_latin1_view(c->status, &slen, "status");
    if (status == NULL || !PyList_Check(c->headers)) {
        if (status != NULL) {
            PyErr_SetString(PyExc_TypeError, "headers must be a list");
        }
        return -1;
    }
    if ((n = header_views(c, &has_cl)) < 0) {
        return -1;
    }
    nh = (size_t) n;
    code = status_code(status, slen);
    if (!has_cl && c->known_len >= 0 && !c->r.head_request && code >= 200
        && code != 204 && code != 304)
    {
        c->rh[nh].name = "Content-Length";
        c->rh[nh].name_len = 14;
        c->rh[nh].value = c->cl;
        c->rh[nh].value_len = (size_t) snprintf(c->cl, sizeof(c->cl), "%lld",
                                                (long long) c->known_len);
        nh++;
    }
    cap = c->head_cap > HEAD_MIN ? c->head_cap : HEAD_MIN;
    for ( ;; ) {
        if (grow(&c->head, &c->head_cap, 1, cap) < 0) {
            return -1;
        }
        n = pfh_response_head(&c->r, status, slen, c->rh, nh, c->head,
                              c->head_cap, &bad);
        if (n != -2 || cap >= HEAD_MAX) {
            break;
        }
        cap *= 2;
    }
    if (n < 0) {
        PyErr_Format(PyExc_ValueError, "invalid response %s: %.200s",
                     bad == status ? "status" : "header",
                     bad != NULL ? bad : "(head too large)");
        return -1;
    }
    if (pfw_out_mem(c, c->head, (size_t) n, NULL) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    c->committed = 1;
    c->nobody_warned = 0;
    c->keep_alive = c->r.keep_alive;
    return 0;
}


/* A str item of the environ for a log line (borrowed from the environ;
 * the head's views may be gone by now), or "-". */
static const char *
environ_str(pfw_conn *c, const char *key)
{
    PyObject    *v = NULL;
    const char  *s = NULL;

    if (c->environ != NULL) {
        v = PyDict_GetItemString(c->environ, key);
    }
    if (v != NULL && PyUnicode_Check(v)) {
        s = PyUnicode_AsUTF8(v);
        if (s == NULL) {
            PyErr_Clear();
        }
    }
    return s != NULL ? s : "-";
}


void
pfw_response_dropped(pfw_conn *c)
{
    if (c->nobody_warned) {
        return;
    }
    c->nobody_warned = 1;
    pf_log(PF_LOG_WARNING, "WSGI app sent body bytes on a no-body response "
           "(method=%s status=%d); dropping per RFC 9110.",
           environ_str(c, "REQUEST_METHOD"), c->r.status);
}


/* gunicorn truncates silently; the app has a bug worth a line. */
void
pfw_response_overlong(pfw_conn *c, uint64_t len)
{
    if (c->nobody_warned || len <= c->r.content_length - c->r.sent) {
        return;
    }
    c->nobody_warned = 1;
    pf_log(PF_LOG_WARNING, "Response body for %s %s exceeded its "
           "Content-Length (%llu bytes); extra bytes dropped",
           environ_str(c, "REQUEST_METHOD"), environ_str(c, "RAW_URI"),
           (unsigned long long) c->r.content_length);
}


int
pfw_response_body(pfw_conn *c, const char *p, size_t len, PyObject *owner)
{
    static const char  crlf[] = "\r\n";
    struct iovec       iov[3];
    char               hdr[24];
    int                n;

    if (c->r.no_body && len > 0) {
        pfw_response_dropped(c);
    } else if (c->r.has_length) {
        pfw_response_overlong(c, len);
    }
    n = pfh_body_iov(&c->r, p, len, hdr, iov);
    if (n == 1) {
        return pfw_out_mem(c, iov[0].iov_base, iov[0].iov_len, owner);
    }
    if (n == 3) {
        if (pfw_out_copy(c, hdr, iov[0].iov_len) < 0
            || pfw_out_mem(c, iov[1].iov_base, iov[1].iov_len, owner) < 0
            || pfw_out_mem(c, crlf, 2, NULL) < 0)
        {
            return -1;
        }
    }
    return 0;
}

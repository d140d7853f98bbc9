/*
 * start_response(status, headers, exc_info=None) and the write() callable
 * it returns, with PEP 3333's rules: a second call needs exc_info; with
 * exc_info, headers already on their way re-raise it, otherwise the new
 * status and headers replace the old ones (gunicorn appends them: a bug we
 * do not copy).  Both objects point at their connection only while the
 * request runs, and are reused when nobody else kept them.
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    pfw_conn        *c;
    vectorcallfunc   vcall;          /* calls skip the args tuple */
} conn_obj;

static PyTypeObject  sr_type, write_type;

static PyObject *sr_vcall(PyObject *self, PyObject *const *args,
                          size_t nargsf, PyObject *kwnames);
static PyObject *write_vcall(PyObject *self, PyObject *const *args,
                             size_t nargsf, PyObject *kwnames);

/* Past this much queued output, write() waits for the socket even on an
 * async connection: the app cannot be paused, memory must stay bounded. */
#define WRITE_BUFFER  (1024 * 1024)


static PyObject *
obj_new(PyTypeObject *t, PyObject *cached, pfw_conn *c)
{
    conn_obj  *o;

    if (cached != NULL && Py_REFCNT(cached) == 1) {
        ((conn_obj *) cached)->c = c;
        Py_INCREF(cached);
        return cached;
    }
    o = PyObject_New(conn_obj, t);
    if (o != NULL) {
        o->c = c;
        o->vcall = t == &sr_type ? sr_vcall : write_vcall;
    }
    return (PyObject *) o;
}


PyObject *
pfw_sr_new(pfw_conn *c)
{
    PyObject  *w;

    w = obj_new(&write_type, c->write, c);
    if (w == NULL) {
        return NULL;
    }
    Py_XSETREF(c->write, w);
    return obj_new(&sr_type, c->sr, c);
}


void
pfw_sr_detach(PyObject *o)
{
    if (o != NULL) {
        ((conn_obj *) o)->c = NULL;
    }
}


static void
obj_dealloc(PyObject *self)
{
    PyObject_Free(self);
}


/* The latin-1 bytes of a str (PEP 3333 "native strings"), or NULL with
 * ValueError/TypeError. */
const char *
pfw_latin1_view(PyObject *s, size_t *len, const char *what)
{
    if (!PyUnicode_Check(s)) {
        PyErr_Format(PyExc_TypeError, "%s must be str, not %.100s", what,
                     Py_TYPE(s)->tp_name);
        return NULL;
    }
    if (PyUnicode_KIND(s) != PyUnicode_1BYTE_KIND) {
        PyErr_Format(PyExc_ValueError, "%s is not latin-1: %R", what, s);
        return NULL;
    }
    *len = (size_t) PyUnicode_GET_LENGTH(s);
    return (const char *) PyUnicode_1BYTE_DATA(s);
}


static int
check_headers(PyObject *headers)
{
    PyObject    *h;
    Py_ssize_t   i;
    size_t       n;

    if (!PyList_Check(headers)) {
        PyErr_Format(PyExc_TypeError, "%R is not of type list", headers);
        return -1;
    }
    for (i = 0; i < PyList_GET_SIZE(headers); i++) {
        h = PyList_GET_ITEM(headers, i);
        if (!PyTuple_Check(h) || PyTuple_GET_SIZE(h) != 2) {
            PyErr_Format(PyExc_TypeError,
                         "header %R is not a (name, value) tuple", h);
            return -1;
        }
        if (pfw_latin1_view(PyTuple_GET_ITEM(h, 0), &n, "header name")
                == NULL
            || pfw_latin1_view(PyTuple_GET_ITEM(h, 1), &n, "header value")
                == NULL)
        {
            return -1;
        }
    }
    return 0;
}


static PyObject *
reraise(PyObject *exc_info)
{
    PyObject  *t, *v, *tb;

    if (!PyTuple_Check(exc_info) || PyTuple_GET_SIZE(exc_info) != 3) {
        PyErr_SetString(PyExc_TypeError, "exc_info must be a 3-tuple");
        return NULL;
    }
    t = PyTuple_GET_ITEM(exc_info, 0);
    v = PyTuple_GET_ITEM(exc_info, 1);
    tb = PyTuple_GET_ITEM(exc_info, 2);
    if (v != Py_None && PyExceptionInstance_Check(v)) {
        Py_INCREF(v);
        if (tb != Py_None && PyTraceBack_Check(tb)) {
            PyException_SetTraceback(v, tb);
        }
        PyErr_SetObject((PyObject *) Py_TYPE(v), v);
        Py_DECREF(v);
        return NULL;
    }
    if (PyExceptionClass_Check(t)) {
        PyErr_SetNone(t);
        return NULL;
    }
    PyErr_SetString(PyExc_TypeError, "exc_info holds no exception");
    return NULL;
}


/* start_response's arguments, positional or by keyword, in a[3]. */
static int
sr_args(PyObject *const *args, size_t nargsf, PyObject *kwnames,
        PyObject **a)
{
    static const char  *names[] = { "status", "headers", "exc_info" };
    Py_ssize_t          n = PyVectorcall_NARGS(nargsf), nk, i;
    PyObject           *k;
    int                 j;

    nk = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
    if (n > 3) {
        PyErr_Format(PyExc_TypeError, "start_response() takes at most 3 "
                     "arguments (%zd given)", n + nk);
        return -1;
    }
    a[0] = a[1] = a[2] = NULL;
    for (i = 0; i < n; i++) {
        a[i] = args[i];
    }
    for (i = 0; i < nk; i++) {
        k = PyTuple_GET_ITEM(kwnames, i);
        for (j = 0; j < 3; j++) {
            if (PyUnicode_CompareWithASCIIString(k, names[j]) == 0) {
                break;
            }
        }
        if (j == 3) {
            PyErr_Format(PyExc_TypeError, "'%U' is an invalid keyword "
                         "argument for start_response()", k);
            return -1;
        }
        if (a[j] != NULL) {
            PyErr_Format(PyExc_TypeError, "argument for start_response() "
                         "given by name ('%s') and position (%d)",
                         names[j], j + 1);
            return -1;
        }
        a[j] = args[n + i];
    }
    for (j = 0; j < 2; j++) {
        if (a[j] == NULL) {
            PyErr_Format(PyExc_TypeError, "start_response() missing "
                         "required argument '%s' (pos %d)", names[j], j + 1);
            return -1;
        }
    }
    if (a[2] == NULL) {
        a[2] = Py_None;
    }
    return 0;
}


static PyObject *
sr_vcall(PyObject *self, PyObject *const *args, size_t nargsf,
         PyObject *kwnames)
{
    pfw_conn     *c = ((conn_obj *) self)->c;
    PyObject     *a[3], *status, *headers, *exc_info;
    size_t        n;

    if (sr_args(args, nargsf, kwnames, a) < 0) {
        return NULL;
    }
    status = a[0];
    headers = a[1];
    exc_info = a[2];
    if (c == NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "start_response() called after the response ended");
        return NULL;
    }
    if (exc_info != Py_None) {
        if (c->committed) {
            return reraise(exc_info);
        }
    } else if (c->started) {
        PyErr_SetString(PyExc_AssertionError,
                        "Response headers already set!");
        return NULL;
    }
    if (pfw_latin1_view(status, &n, "status") == NULL
        || check_headers(headers) < 0)
    {
        return NULL;
    }
    Py_INCREF(status);
    Py_XSETREF(c->status, status);
    Py_INCREF(headers);
    Py_XSETREF(c->headers, headers);
    c->started = 1;
    Py_INCREF(c->write);
    return c->write;
}


/* Async connections: block for the socket once too much is queued. */
static int
write_flush(pfw_conn *c)
{
    long long  deadline;
    int        r, w;

    r = pfw_out_flush(c);
    if (r != 1) {
        return r;
    }
    deadline = pfw_now_ms() + c->srv->io_ms;
    while (c->qbytes > WRITE_BUFFER) {
        w = pfw_conn_wait(c, POLLOUT, deadline);
        if (w != 1) {
            errno = w == 0 ? ETIMEDOUT : errno;
            return -1;
        }
        r = pfw_out_flush(c);
        if (r != 1) {
            return r;
        }
    }
    return 0;
}


static PyObject *
write_vcall(PyObject *self, PyObject *const *args, size_t nargsf,
            PyObject *kwnames)
{
    pfw_conn    *c = ((conn_obj *) self)->c;
    PyObject    *data, *b;
    int          r;

    if (PyVectorcall_NARGS(nargsf) != 1
        || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) > 0))
    {
        PyErr_Format(PyExc_TypeError, "write() takes exactly one argument "
                     "(%zd given)", PyVectorcall_NARGS(nargsf)
                     + (kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0));
        return NULL;
    }
    data = args[0];
    if (c == NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "write() called after the response ended");
        return NULL;
    }
    if (!c->started) {
        PyErr_SetString(PyExc_AssertionError,
                        "write() before start_response()");
        return NULL;
    }
    if (PyBytes_Check(data)) {
        b = data;
        Py_INCREF(b);
    } else if (PyObject_CheckBuffer(data)) {
        b = PyBytes_FromObject(data);
        if (b == NULL) {
            return NULL;
        }
    } else {
        PyErr_Format(PyExc_TypeError, "%R is not a byte", data);
        return NULL;
    }
    r = 0;
    if (PyBytes_GET_SIZE(b) > 0) {
        if (!c->committed && pfw_response_commit(c) < 0) {
            Py_DECREF(b);
            return NULL;
        }
        r = pfw_response_body(c, PyBytes_AS_STRING(b),
                              (size_t) PyBytes_GET_SIZE(b), b);
        if (r == 0) {
            r = write_flush(c);
        }
    }
    Py_DECREF(b);
    if (r == -1) {
        c->write_failed = errno ? errno : EPIPE;
        PyErr_SetFromErrno(PyExc_OSError);
        return NULL;
    }
    Py_RETURN_NONE;
}


static PyTypeObject sr_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "prefork_wsgi.StartResponse",
    .tp_basicsize = sizeof(conn_obj),
    .tp_dealloc = obj_dealloc,
    .tp_vectorcall_offset = offsetof(conn_obj, vcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "start_response(status, headers, exc_info=None) -> write",
};


static PyTypeObject write_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "prefork_wsgi.Write",
    .tp_basicsize = sizeof(conn_obj),
    .tp_dealloc = obj_dealloc,
    .tp_vectorcall_offset = offsetof(conn_obj, vcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "write(data): send response body bytes now",
};


int
pfw_sr_type_init(void)
{
    if (PyType_Ready(&sr_type) < 0 || PyType_Ready(&write_type) < 0) {
        return -1;
    }
    return 0;
}

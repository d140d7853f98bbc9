/*
 * wsgi.input: read(n), readline(n), readlines(hint) and iteration over the
 * request body (Content-Length or chunked), returning b"" at its end and
 * never a byte past it.  The object points at its connection only while
 * the request runs: kept past it, it reads as an empty body.  An object
 * nobody else holds is reused by the next request on the connection.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

typedef struct {
    PyObject_HEAD
    pfw_conn  *c;
} input_obj;

static PyTypeObject  input_type;


PyObject *
pfw_input_new(pfw_conn *c)
{
    input_obj  *o;

    /* held by c alone, or by c and the environ kept for reuse */
    if (c->input != NULL
        && Py_REFCNT(c->input) == 1 + pfw_environ_spare_refs(c, c->input))
    {
        ((input_obj *) c->input)->c = c;
        Py_INCREF(c->input);
        return c->input;
    }
    o = PyObject_New(input_obj, &input_type);
    if (o != NULL) {
        o->c = c;
    }
    return (PyObject *) o;
}


void
pfw_input_detach(PyObject *input)
{
    if (input != NULL) {
        ((input_obj *) input)->c = NULL;
    }
}


static void
input_dealloc(PyObject *self)
{
    PyObject_Free(self);
}


/* The body reader failed: the matching OSError subclass. */
static PyObject *
body_error(pfw_conn *c, int err)
{
    const char  *what;

    switch (err) {
    case EPROTO:
        what = c->chk.error != NULL ? c->chk.error : "invalid chunked body";
        break;
    case ECONNRESET:
        what = "client disconnected before the end of the request body";
        break;
    case ETIMEDOUT:
        what = "timed out reading the request body";
        break;
    default:
        what = strerror(err);
    }
    PyErr_SetObject(PyExc_OSError, Py_BuildValue("(is)", err, what));
    return NULL;
}


/* size argument: None or a negative int mean "no limit". */
static int
size_arg(PyObject *const *args, Py_ssize_t nargs, size_t *out)
{
    Py_ssize_t  n;

    *out = SIZE_MAX;
    if (nargs > 1) {
        PyErr_SetString(PyExc_TypeError, "expected at most 1 argument");
        return -1;
    }
    if (nargs == 0 || args[0] == Py_None) {
        return 0;
    }
    n = PyNumber_AsSsize_t(args[0], PyExc_OverflowError);
    if (n == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (n >= 0) {
        *out = (size_t) n;
    }
    return 0;
}


static PyObject *
read_upto(pfw_conn *c, size_t want)
{
    PyObject  *b;
    size_t     cap, got = 0;
    ssize_t    r;

    if (c->bkind == PFH_BODY_LENGTH) {
        cap = want < c->bleft ? want : (size_t) c->bleft;
    } else if (c->bkind == PFH_BODY_CHUNKED) {
        cap = want < 65536 ? want : 65536;
    } else {
        cap = 0;
    }
    b = PyBytes_FromStringAndSize(NULL, (Py_ssize_t) cap);
    if (b == NULL) {
        return NULL;
    }
    while (got < want && cap > 0) {
        if (got == cap) {
            cap = want - got < cap ? want : cap * 2;
            if (_PyBytes_Resize(&b, (Py_ssize_t) cap) < 0) {
                return NULL;
            }
        }
        r = pfw_body_read(c, PyBytes_AS_STRING(b) + got, cap - got);
        if (r < 0) {
            Py_DECREF(b);
            return body_error(c, errno);
        }
        if (r == 0) {
            break;
        }
        got += (size_t) r;
        if (c->bkind == PFH_BODY_LENGTH && c->bleft == 0) {
            break;
        }
    }
    if (got != cap && _PyBytes_Resize(&b, (Py_ssize_t) got) < 0) {
        return NULL;
    }
    return b;
}


static PyObject *
input_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    pfw_conn  *c = ((input_obj *) self)->c;
    PyObject  *b;
    size_t     want;

    if (size_arg(args, nargs, &want) < 0) {
        return NULL;
    }
    if (c == NULL || want == 0) {
        return PyBytes_FromStringAndSize("", 0);
    }
    /* the whole body, read into one bytes object already: that one */
    if (c->bbytes != NULL && (b = pfw_body_take(c, want)) != NULL) {
        return b;
    }
    return read_upto(c, want);
}


static PyObject *
readline(pfw_conn *c, size_t limit)
{
    PyObject     *acc = NULL;
    const char   *p, *nl;
    size_t        got = 0, take, room;
    ssize_t       r;
    int           done = 0;

    while (!done && got < limit) {
        r = pfw_body_peek(c, &p);
        if (r < 0) {
            Py_XDECREF(acc);
            return body_error(c, errno);
        }
        if (r == 0) {
            break;
        }
        room = limit - got;
        take = (size_t) r < room ? (size_t) r : room;
        nl = memchr(p, '\n', take);
        if (nl != NULL) {
            take = (size_t) (nl - p) + 1;
            done = 1;
        }
        if (acc == NULL && (done || take == room)) {
            /* the whole line is in the buffer: one object, one copy */
            acc = PyBytes_FromStringAndSize(p, (Py_ssize_t) take);
            if (acc != NULL) {
                pfw_body_consume(c, take);
            }
            return acc;
        }
        if (acc == NULL) {
            acc = PyBytes_FromStringAndSize(NULL, (Py_ssize_t) take);
        } else if (_PyBytes_Resize(&acc, (Py_ssize_t) (got + take)) < 0) {
            acc = NULL;
        }
        if (acc == NULL) {
            return NULL;
        }
        memcpy(PyBytes_AS_STRING(acc) + got, p, take);
        pfw_body_consume(c, take);
        got += take;
    }
    return acc != NULL ? acc : PyBytes_FromStringAndSize("", 0);
}


static PyObject *
input_readline(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    pfw_conn  *c = ((input_obj *) self)->c;
    size_t     limit;

    if (size_arg(args, nargs, &limit) < 0) {
        return NULL;
    }
    if (c == NULL || limit == 0) {
        return PyBytes_FromStringAndSize("", 0);
    }
    return readline(c, limit);
}


/* hint > 0: stop once that many bytes were returned (io's semantics). */
static PyObject *
input_readlines(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    pfw_conn  *c = ((input_obj *) self)->c;
    PyObject  *list, *line;
    size_t     hint, total = 0;

    if (size_arg(args, nargs, &hint) < 0) {
        return NULL;
    }
    list = PyList_New(0);
    if (list == NULL || c == NULL) {
        return list;
    }
    for ( ;; ) {
        line = readline(c, SIZE_MAX);
        if (line == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        if (PyBytes_GET_SIZE(line) == 0) {
            Py_DECREF(line);
            break;
        }
        total += (size_t) PyBytes_GET_SIZE(line);
        if (PyList_Append(list, line) < 0) {
            Py_DECREF(line);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(line);
        if (hint != SIZE_MAX && hint > 0 && total >= hint) {
            break;
        }
    }
    return list;
}


static PyObject *
input_iternext(PyObject *self)
{
    pfw_conn  *c = ((input_obj *) self)->c;
    PyObject  *line;

    if (c == NULL) {
        return NULL;
    }
    line = readline(c, SIZE_MAX);
    if (line != NULL && PyBytes_GET_SIZE(line) == 0) {
        Py_DECREF(line);
        return NULL;
    }
    return line;
}


static PyMethodDef input_methods[] = {
    { "read", (PyCFunction) (void (*)(void)) input_read, METH_FASTCALL,
      "read([size]) -> bytes of the request body" },
    { "readline", (PyCFunction) (void (*)(void)) input_readline,
      METH_FASTCALL, "readline([size]) -> one line of the body" },
    { "readlines", (PyCFunction) (void (*)(void)) input_readlines,
      METH_FASTCALL, "readlines([hint]) -> list of lines" },
    { NULL, NULL, 0, NULL }
};


static PyTypeObject input_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "prefork_wsgi.Input",
    .tp_basicsize = sizeof(input_obj),
    .tp_dealloc = input_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "wsgi.input: the request body",
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = input_iternext,
    .tp_methods = input_methods,
};


int
pfw_input_type_init(void)
{
    return PyType_Ready(&input_type);
}

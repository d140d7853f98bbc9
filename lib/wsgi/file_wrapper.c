/*
 * wsgi.file_wrapper(filelike, blksize=8192).  Iterating reads blksize
 * blocks; close() closes the file.  When an app returns one whose file has
 * a real descriptor of a regular file, the response goes out with
 * sendfile() from the file's current position instead (request.c).
 */
#include "internal.h"
#include <structmember.h>

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    PyObject_HEAD
    PyObject    *filelike;
    Py_ssize_t   blksize;
} fw_obj;

static PyTypeObject  fw_type;


PyObject *
pfw_file_wrapper_type(void)
{
    return (PyObject *) &fw_type;
}


static int
fw_init(PyObject *self, PyObject *args, PyObject *kw)
{
    static char  *kwlist[] = { "filelike", "blksize", NULL };
    fw_obj       *o = (fw_obj *) self;
    PyObject     *f;
    Py_ssize_t    blk = 8192;

    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|n:FileWrapper", kwlist,
                                     &f, &blk))
    {
        return -1;
    }
    if (blk <= 0) {
        PyErr_SetString(PyExc_ValueError, "blksize must be positive");
        return -1;
    }
    Py_INCREF(f);
    Py_XSETREF(o->filelike, f);
    o->blksize = blk;
    return 0;
}


static void
fw_dealloc(PyObject *self)
{
    PyObject_GC_UnTrack(self);
    Py_CLEAR(((fw_obj *) self)->filelike);
    Py_TYPE(self)->tp_free(self);
}


static int
fw_traverse(PyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(((fw_obj *) self)->filelike);
    return 0;
}


static int
fw_clear(PyObject *self)
{
    Py_CLEAR(((fw_obj *) self)->filelike);
    return 0;
}


static PyObject *
fw_iternext(PyObject *self)
{
    fw_obj    *o = (fw_obj *) self;
    PyObject  *data;

    if (o->filelike == NULL) {
        return NULL;
    }
    data = PyObject_CallMethod(o->filelike, "read", "n", o->blksize);
    if (data == NULL) {
        return NULL;
    }
    if (PyObject_Length(data) <= 0) {
        if (PyErr_Occurred()) {
            Py_DECREF(data);
            return NULL;
        }
        Py_DECREF(data);
        return NULL;
    }
    return data;
}


static PyObject *
fw_close(PyObject *self, PyObject *unused)
{
    fw_obj    *o = (fw_obj *) self;
    PyObject  *r;

    (void) unused;
    if (o->filelike != NULL && PyObject_HasAttrString(o->filelike, "close")) {
        r = PyObject_CallMethod(o->filelike, "close", NULL);
        if (r == NULL) {
            return NULL;
        }
        Py_DECREF(r);
    }
    Py_RETURN_NONE;
}


static PyMethodDef fw_methods[] = {
    { "close", fw_close, METH_NOARGS, "close the wrapped file" },
    { NULL, NULL, 0, NULL }
};


static PyMemberDef fw_members[] = {
    { "filelike", T_OBJECT, offsetof(fw_obj, filelike), READONLY, NULL },
    { "blksize", T_PYSSIZET, offsetof(fw_obj, blksize), READONLY, NULL },
    { NULL, 0, 0, 0, NULL }
};


static PyTypeObject fw_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "prefork_wsgi.FileWrapper",
    .tp_basicsize = sizeof(fw_obj),
    .tp_dealloc = fw_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "wsgi.file_wrapper(filelike, blksize=8192)",
    .tp_traverse = fw_traverse,
    .tp_clear = fw_clear,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = fw_iternext,
    .tp_methods = fw_methods,
    .tp_members = fw_members,
    .tp_init = fw_init,
    .tp_new = PyType_GenericNew,
};


int
pfw_fw_type_init(void)
{
    return PyType_Ready(&fw_type);
}


/* The sendfile range for a file_wrapper result, if it qualifies: a real
 * descriptor of a regular file.  Returns 1 with *fd, *off, *count (the
 * rest of the file from its current position), 0 when the response must
 * be iterated instead (any Python error cleared). */
int
pfw_file_wrapper_range(PyObject *result, int *fd, off_t *off, size_t *count)
{
    fw_obj      *o = (fw_obj *) result;
    PyObject    *r;
    struct stat  st;
    long         n;
    off_t        pos;

    if (!PyObject_TypeCheck(result, &fw_type) || o->filelike == NULL) {
        return 0;
    }
    r = PyObject_CallMethod(o->filelike, "fileno", NULL);
    if (r == NULL) {
        PyErr_Clear();
        return 0;
    }
    n = PyLong_AsLong(r);
    Py_DECREF(r);
    if (n < 0 || fstat((int) n, &st) == -1 || !S_ISREG(st.st_mode)) {
        PyErr_Clear();
        return 0;
    }
    /* tell() knows about Python's read buffer; the raw offset does not */
    r = PyObject_CallMethod(o->filelike, "tell", NULL);
    if (r != NULL) {
        pos = (off_t) PyLong_AsLongLong(r);
        Py_DECREF(r);
        if (pos == -1 && PyErr_Occurred()) {
            PyErr_Clear();
            return 0;
        }
    } else {
        PyErr_Clear();
        pos = lseek((int) n, 0, SEEK_CUR);
        if (pos == -1) {
            return 0;
        }
    }
    *fd = (int) n;
    *off = pos;
    *count = pos < st.st_size ? (size_t) (st.st_size - pos) : 0;
    return 1;
}

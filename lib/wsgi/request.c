/*
 * One request: environ, the app call, and the response driven until it is
 * out.  On async connections the iteration pauses whenever the socket is
 * full (PFW_AGAIN) and resumes from the loop's write watcher when it
 * drains, so a slow reader never holds the worker, and pauses after each
 * MiB sent, so a fast one does not either; on blocking ones it runs to the
 * end.  The iterator stays on the connection meanwhile.
 *
 * Errors: before the head is queued the client gets a 500 page and the
 * traceback goes to the error log; after it, the connection is closed (a
 * truncated body is all HTTP/1.1 allows).  The iterable's close() is
 * always called.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

#define RESUME_SLICE  (1024 * 1024)


/* What the log line names: "GET /path?q" from the environ. */
static void
log_app_error(pfw_conn *c, int level, const char *what)
{
    PyObject    *m = NULL, *u = NULL;
    const char  *ms = "-", *us = "-";
    char         head[512];

    if (c->environ != NULL) {
        m = PyDict_GetItemString(c->environ, "REQUEST_METHOD");
        u = PyDict_GetItemString(c->environ, "RAW_URI");
        ms = m != NULL ? PyUnicode_AsUTF8(m) : NULL;
        us = u != NULL ? PyUnicode_AsUTF8(u) : NULL;
        if (ms == NULL || us == NULL) {
            PyErr_Clear();
        }
    }
    snprintf(head, sizeof(head), "%s %s %s", what, ms ? ms : "-",
             us ? us : "-");
    pfw_log_exception(level, head);
}


/* The iterable's close method (new reference), or NULL: none, or the
 * lookup failed (hasattr's rule: any error means no close()).  Lists and
 * tuples have none: no lookup at all, and no AttributeError built and
 * dropped for every response (a third of a hello request's instructions
 * before). */
static PyObject *
close_method(PyObject *res)
{
    static PyObject  *name;
    PyObject         *m = NULL;

    if (PyList_CheckExact(res) || PyTuple_CheckExact(res)) {
        return NULL;
    }
    if (name == NULL && (name = PyUnicode_InternFromString("close")) == NULL)
    {
        PyErr_Clear();
        return NULL;
    }
#if PY_VERSION_HEX >= 0x030D0000
    if (PyObject_GetOptionalAttr(res, name, &m) < 0) {
#else
    if (_PyObject_LookupAttr(res, name, &m) < 0) {
#endif
        PyErr_Clear();
        return NULL;
    }
    return m;
}


static void
close_result(pfw_conn *c)
{
    PyObject  *m, *r;

    Py_CLEAR(c->iter);
    if (c->result == NULL) {
        return;
    }
    m = close_method(c->result);
    if (m != NULL) {
        r = PyObject_CallNoArgs(m);
        Py_DECREF(m);
        if (r == NULL) {
            log_app_error(c, PF_LOG_ERROR, "Error closing the response of");
        }
        Py_XDECREF(r);
    }
    Py_CLEAR(c->result);
}


static void
end_request(pfw_conn *c)
{
    pfw_access_end(c);                   /* gunicorn: before close() */
    close_result(c);
    pfw_hooks_post_request(c);
    pfw_input_detach(c->input);
    pfw_sr_detach(c->sr);
    pfw_sr_detach(c->write);
    pfw_environ_release(c);
    Py_CLEAR(c->status);
    Py_CLEAR(c->headers);
    c->phase = PFW_R_IDLE;
    c->head_live = 0;
    pfw_server_beat(c->srv);
}


void
pfw_request_abort(pfw_conn *c)
{
    if (c->phase == PFW_R_IDLE) {
        return;
    }
    end_request(c);
    pfw_out_clear(c);
    c->keep_alive = 0;
}


static int
finish(pfw_conn *c, int ok)
{
    int  keep;

    end_request(c);
    keep = ok && c->keep_alive && !c->error_close;
    if (keep && pfw_body_finish(c) != PFW_DONE) {
        keep = 0;
    }
    c->keep_alive = keep;
    return keep ? PFW_DONE : PFW_CLOSE;
}


/* The app (or its iterable) raised: a page if nothing was committed. */
static int
app_failed(pfw_conn *c)
{
    int  err = c->berr;

    if (err == ECONNRESET || c->write_failed) {
        /* the client went away: nobody to answer */
        PyErr_Clear();
        pf_log(PF_LOG_DEBUG, "Ignored premature client disconnection.");
        return finish(c, 0);
    }
    log_app_error(c, PF_LOG_ERROR, "Error handling request");
    if (c->committed) {
        return finish(c, 0);
    }
    if (err == EPROTO) {
        pfw_conn_error(c, c->chk.status ? c->chk.status : 400,
                       c->chk.error ? c->chk.error : "Invalid chunked body");
    } else {
        pfw_conn_error(c, 500, "");
    }
    c->phase = PFW_R_FLUSH;
    return pfw_request_resume(c);
}


/* A file_wrapper over a regular file: head, then one sendfile range. */
static int
queue_file(pfw_conn *c, int fd, off_t off, size_t count)
{
    char  hdr[24];

    if (!c->started) {
        PyErr_SetString(PyExc_AssertionError, "Response headers not set: "
                        "start_response() was not called");
        return -1;
    }
    if (pfw_response_commit(c) < 0) {
        return -1;
    }
    if (c->r.no_body) {
        if (count > 0) {
            pfw_response_dropped(c);
        }
        return 0;
    }
    if (c->r.has_length && count > c->r.content_length) {
        pfw_response_overlong(c, count);
        count = (size_t) c->r.content_length;
    }
    if (c->r.has_length && count < c->r.content_length) {
        c->keep_alive = 0;                 /* the file is short: no reuse */
    }
    if (count == 0) {
        return 0;
    }
    c->r.sent += count;
    if (c->r.chunked
        && pfw_out_copy(c, hdr, pfh_chunk_header(hdr, count)) < 0)
    {
        PyErr_NoMemory();
        return -1;
    }
    if (pfw_out_file(c, fd, off, count) < 0
        || (c->r.chunked && pfw_out_mem(c, "\r\n", 2, NULL) < 0))
    {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}


/* The iterable's shape decides the path: a file for sendfile, a list or
 * tuple walked by index (and its length known when all items are bytes),
 * anything else through the iterator protocol. */
static int
setup_result(pfw_conn *c)
{
    PyObject    *res = c->result, *it;
    Py_ssize_t   i, n;
    int64_t      total = 0;
    off_t        off;
    size_t       count;
    int          fd;

    c->idx = 0;
    if (c->srv->app->sendfile
        && pfw_file_wrapper_range(res, &fd, &off, &count))
    {
        if (queue_file(c, fd, off, count) < 0) {
            return -1;
        }
        c->phase = PFW_R_END;
        return 0;
    }
    if (PyList_CheckExact(res) || PyTuple_CheckExact(res)) {
        n = PySequence_Fast_GET_SIZE(res);
        for (i = 0; i < n; i++) {
            it = PySequence_Fast_GET_ITEM(res, i);
            if (!PyBytes_Check(it)) {
                total = -1;
                break;
            }
            total += PyBytes_GET_SIZE(it);
        }
        c->known_len = total;
        return 0;
    }
    c->iter = PyObject_GetIter(res);
    return c->iter != NULL ? 0 : -1;
}


/* The next body item (new reference), or NULL at the end / on error. */
static PyObject *
next_item(pfw_conn *c)
{
    PyObject  *it;

    if (c->iter != NULL) {
        return PyIter_Next(c->iter);
    }
    if (c->idx >= PySequence_Fast_GET_SIZE(c->result)) {
        return NULL;
    }
    it = PySequence_Fast_GET_ITEM(c->result, c->idx);
    c->idx++;
    Py_INCREF(it);
    return it;
}


static int
body_step(pfw_conn *c)
{
    PyObject  *item;
    int        r;

    item = next_item(c);
    if (item == NULL) {
        if (PyErr_Occurred()) {
            return -1;
        }
        c->phase = PFW_R_END;
        return 0;
    }
    if (!PyBytes_Check(item)) {
        PyErr_Format(PyExc_TypeError, "%R is not a byte", item);
        Py_DECREF(item);
        return -1;
    }
    r = 0;
    if (PyBytes_GET_SIZE(item) > 0) {
        if (!c->committed) {
            r = pfw_response_commit(c);
        }
        if (r == 0 && pfw_response_body(c, PyBytes_AS_STRING(item),
                                        (size_t) PyBytes_GET_SIZE(item),
                                        item) < 0)
        {
            PyErr_NoMemory();
            r = -1;
        }
    }
    Py_DECREF(item);
    return r;
}


static int
end_step(pfw_conn *c)
{
    struct iovec  iov[1];

    if (!c->committed) {
        if (c->known_len < 0) {
            c->known_len = 0;              /* nothing came: empty body */
        }
        if (pfw_response_commit(c) < 0) {
            return -1;
        }
    }
    if (pfh_body_end_iov(&c->r, iov) == 1
        && pfw_out_mem(c, iov[0].iov_base, iov[0].iov_len, NULL) < 0)
    {
        PyErr_NoMemory();
        return -1;
    }
    c->phase = PFW_R_FLUSH;
    return 0;
}


/* Each item is flushed before the next is asked for: the iterable never
 * runs ahead of the socket (a streaming app's chunk leaves before it
 * computes the next), and on async connections the response parks at
 * EAGAIN with at most one item queued.  A fast reader gets RESUME_SLICE
 * bytes per turn of the loop, then the loop's other work comes first. */
int
pfw_request_resume(pfw_conn *c)
{
    size_t  sent = 0, before;
    int     r;

    for ( ;; ) {
        before = c->qbytes;
        r = pfw_out_flush(c);
        if (r == 1) {
            return PFW_AGAIN;
        }
        if (r == -1) {
            pf_log(PF_LOG_DEBUG, "Ignored premature client disconnection.");
            return finish(c, 0);
        }
        sent += before;
        switch (c->phase) {
        case PFW_R_BODY:
            if (sent >= RESUME_SLICE && c->io == PFW_IO_ASYNC) {
                return PFW_AGAIN;        /* writable: back at once */
            }
            r = body_step(c);
            break;
        case PFW_R_END:
            r = end_step(c);
            break;
        default:
            return finish(c, 1);
        }
        if (r < 0) {
            return app_failed(c);
        }
    }
}


/* Counted when it starts, as gunicorn does: the worker stops accepting
 * before the last response goes out, so no new client lands on it. */
static int
request_keep_alive(pfw_conn *c)
{
    pfw_server  *srv = c->srv;
    int          last;

    last = pfw_server_count(srv);
    return c->req.keep_alive && srv->keepalive && !last
           && !pfw_server_draining(srv);
}


/* Expect: 100-continue on a blocking connection, when the body has not
 * started arriving: say go ahead before the app reads it. */
static int
continue_if_expected(pfw_conn *c)
{
    static const char  cont[] = PFH_100_CONTINUE;

    if (!c->req.expect_continue || c->io != PFW_IO_BLOCK
        || c->bkind == PFH_BODY_NONE || c->len > c->bpos)
    {
        return 0;
    }
    if (pfw_out_mem(c, cont, sizeof(cont) - 1, NULL) < 0) {
        return -1;
    }
    return pfw_out_flush(c) == 0 ? 0 : -1;
}


int
pfw_request_run(pfw_conn *c)
{
    PyObject  *args[2];
    char       mesg[512];
    int        status;

    c->phase = PFW_R_BODY;
    c->started = c->committed = 0;
    c->error_close = c->write_failed = 0;
    c->known_len = -1;
    memset(&c->r, 0, sizeof(c->r));
    c->r.version_minor = c->req.version_major == 1 ? c->req.version_minor : 1;
    c->r.head_request = c->req.method_len == 4
                        && memcmp(c->req.method, "HEAD", 4) == 0;
    c->r.server = c->srv->app->server_header;
    c->keep_alive = c->r.keep_alive = request_keep_alive(c);
    pfw_access_begin(c);                 /* while the head is intact */

    Py_XSETREF(c->input, pfw_input_new(c));
    if (c->input == NULL) {
        goto failed;
    }
    Py_XSETREF(c->sr, pfw_sr_new(c));
    if (c->sr == NULL) {
        goto failed;
    }
    if (pfw_hooks_pre_request(c) < 0) {
        return app_failed(c);            /* gunicorn answers 500 too */
    }
    pfw_access_clock(c);
    c->environ = pfw_environ_build(c, &status, mesg, sizeof(mesg));
    c->head_live = 0;                      /* views are in the environ */
    if (c->environ == NULL) {
        pfw_conn_error(c, status, mesg);
        c->phase = PFW_R_FLUSH;
        return pfw_request_resume(c);
    }
    if (continue_if_expected(c) < 0) {
        return finish(c, 0);
    }

    args[0] = c->environ;
    args[1] = c->sr;
    c->result = PyObject_Vectorcall(pfw_app_callable(), args, 2, NULL);
    if (c->result == NULL || setup_result(c) < 0) {
        return app_failed(c);
    }
    return pfw_request_resume(c);

failed:
    pfw_log_exception(PF_LOG_ERROR, "Error preparing the request");
    pfw_conn_error(c, 500, "");
    c->phase = PFW_R_FLUSH;
    return pfw_request_resume(c);
}

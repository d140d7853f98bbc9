/*
 * The embedded interpreter: start-up, sys.path, the fork discipline and
 * turning Python exceptions into log lines.
 *
 * Python must never decide its own prefix from the python3 first on PATH
 * (here a pyenv build): with VIRTUAL_ENV set, sys.executable is the venv's
 * python3, so getpath and site find pyvenv.cfg and its site-packages exactly
 * as for `venv/bin/gunicorn`; otherwise it is the interpreter libpython was
 * built for (PFW_PYTHON_EXE, from pkg-config at build time).
 */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "pylog.h"

#ifndef PFW_PYTHON_EXE
#define PFW_PYTHON_EXE  "/usr/bin/python3"
#endif

#define LOG_PIECE  3800          /* under lib/core's 4 KiB line limit */

static int             live;     /* Py_InitializeFromConfig succeeded */
static PyThreadState  *saved;    /* master: the GIL is dropped between forks */


int
pfw_interp_live(void)
{
    return live;
}


/* The executable path getpath should start from; NULL when none exists. */
static const char *
pick_executable(char *buf, size_t len)
{
    static const char *const  names[] = { "python3", "python" };
    const char               *venv = getenv("VIRTUAL_ENV");
    size_t                    i;

    if (venv != NULL && venv[0] != '\0') {
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if ((size_t) snprintf(buf, len, "%s/bin/%s", venv, names[i])
                    < len
                && access(buf, X_OK) == 0)
            {
                return buf;
            }
        }
        pf_log(PF_LOG_WARNING, "VIRTUAL_ENV=%s has no bin/python3: "
               "using %s", venv, PFW_PYTHON_EXE);
    }
    if (access(PFW_PYTHON_EXE, X_OK) == 0) {
        return PFW_PYTHON_EXE;
    }
    return NULL;
}


static int
status_failed(PyStatus st, const char *what)
{
    if (!PyStatus_Exception(st)) {
        return 0;
    }
    pf_log(PF_LOG_ERROR, "%s failed: %s%s%s", what,
           st.func != NULL ? st.func : "",
           st.func != NULL ? ": " : "",
           st.err_msg != NULL ? st.err_msg : "unknown error");
    return 1;
}


static int
configure(PyConfig *c, const pfw_app *app)
{
    static char *const  dflt[] = { "prefork-wsgi", NULL };
    char *const        *argv = app->argv != NULL ? app->argv : dflt;
    char                exe[PATH_MAX];
    const char         *path;
    Py_ssize_t          argc;

    PyConfig_InitPythonConfig(c);
    /* The core owns every signal disposition, SIGINT and SIGPIPE too. */
    c->install_signal_handlers = 0;
    c->parse_argv = 0;

    for (argc = 0; argv[argc] != NULL; argc++) { }
    if (status_failed(PyConfig_SetBytesArgv(c, argc, argv), "PyConfig argv")) {
        return -1;
    }
    path = pick_executable(exe, sizeof(exe));
    if (path != NULL) {
        if (status_failed(PyConfig_SetBytesString(c, &c->executable, path),
                          "PyConfig executable"))
        {
            return -1;
        }
    } else if (status_failed(PyConfig_SetBytesString(c, &c->program_name,
                                                     PFW_PYTHON_EXE),
                             "PyConfig program_name"))
    {
        return -1;
    }
    return 0;
}


/* Insert dir at sys.path[0] unless it is already there (gunicorn). */
static int
path_prepend(PyObject *syspath, const char *dir)
{
    PyObject  *s;
    int        r;

    s = PyUnicode_DecodeFSDefault(dir);
    if (s == NULL) {
        return -1;
    }
    r = PySequence_Contains(syspath, s);
    if (r == 0) {
        r = PyList_Insert(syspath, 0, s);
    }
    Py_DECREF(s);
    return r < 0 ? -1 : 0;
}


/* cwd first (gunicorn's chdir default, done before the pythonpath), then
 * each --pythonpath entry made absolute, each inserted at the front. */
static int
setup_sys_path(const pfw_app *app)
{
    PyObject    *syspath = PySys_GetObject("path");   /* borrowed */
    char         cwd[PATH_MAX], abs[PATH_MAX * 2];
    const char  *p, *end;
    size_t       n;

    if (syspath == NULL || !PyList_Check(syspath)) {
        pf_log(PF_LOG_ERROR, "sys.path is not a list");
        return -1;
    }
    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        pf_log_errno(PF_LOG_ERROR, errno, "getcwd() failed");
        return -1;
    }
    if (path_prepend(syspath, cwd) == -1) {
        return -1;
    }
    for (p = app->pythonpath; p != NULL && *p != '\0'; p = end) {
        end = strchr(p, ',');
        n = end != NULL ? (size_t) (end - p) : strlen(p);
        if (end != NULL) {
            end++;
        } else {
            end = p + n;
        }
        if (n == 0) {
            continue;
        }
        if (p[0] == '/') {
            snprintf(abs, sizeof(abs), "%.*s", (int) n, p);
        } else {
            snprintf(abs, sizeof(abs), "%s/%.*s", cwd, (int) n, p);
        }
        if (path_prepend(syspath, abs) == -1) {
            return -1;
        }
    }
    return 0;
}


int
pfw_interp_start(const pfw_app *app)
{
    PyConfig  c;
    PyStatus  st;

    if (live) {
        /* Started earlier in this process (a config file, --preload):
         * take the GIL back and add what this app's sys.path needs. */
        pfw_interp_enter();
        if (setup_sys_path(app) == -1) {
            pfw_log_exception(PF_LOG_ERROR, "Failed to set up sys.path");
            return -1;
        }
        pfw_pylog_defaults();
        return 0;
    }
    if (configure(&c, app) == -1) {
        PyConfig_Clear(&c);
        return -1;
    }
    st = Py_InitializeFromConfig(&c);
    PyConfig_Clear(&c);
    if (status_failed(st, "Py_InitializeFromConfig()")) {
        return -1;
    }
    live = 1;
    if (setup_sys_path(app) == -1) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to set up sys.path");
        return -1;
    }
    /* gunicorn's loggers exist before any app code is imported */
    pfw_pylog_defaults();
    return 0;
}


/* Master after preload: let the app's own threads (if any) run while the
 * master supervises; the GIL comes back around every fork. */
void
pfw_interp_release(void)
{
    if (live && saved == NULL) {
        saved = PyEval_SaveThread();
    }
}


/* The master between two Python calls holds no GIL (saved != NULL): these
 * bracket each call (hooks, the config file, forks).  Workers never save. */
void
pfw_interp_enter(void)
{
    if (live && saved != NULL) {
        PyEval_RestoreThread(saved);
        saved = NULL;
    }
}


void
pfw_interp_before_fork(void)
{
    if (!live) {
        return;
    }
    pfw_interp_enter();
    PyOS_BeforeFork();
}


void
pfw_interp_after_fork_parent(void)
{
    if (!live) {
        return;
    }
    PyOS_AfterFork_Parent();
    saved = PyEval_SaveThread();
}


/* The child holds the GIL: the forking thread held it. */
void
pfw_interp_after_fork_child(void)
{
    if (!live) {
        return;
    }
    saved = NULL;
    PyOS_AfterFork_Child();
}


/* A module-like dict for Python source embedded in this layer: builtins,
 * the C functions of funcs (NULL, or up to an entry without a name), then
 * src run in it.  A new reference, or NULL with the exception pending. */
PyObject *
pfw_py_namespace(const char *src, const char *filename, PyMethodDef *funcs)
{
    PyMethodDef  *d;
    PyObject     *g, *f, *code, *r;

    g = PyDict_New();
    if (g == NULL
        || PyDict_SetItemString(g, "__builtins__", PyEval_GetBuiltins()) < 0)
    {
        Py_XDECREF(g);
        return NULL;
    }
    for (d = funcs; d != NULL && d->ml_name != NULL; d++) {
        f = PyCFunction_New(d, NULL);
        if (f == NULL || PyDict_SetItemString(g, d->ml_name, f) < 0) {
            Py_XDECREF(f);
            Py_DECREF(g);
            return NULL;
        }
        Py_DECREF(f);
    }
    code = Py_CompileString(src, filename, Py_file_input);
    r = code != NULL ? PyEval_EvalCode(code, g, g) : NULL;
    Py_XDECREF(code);
    if (r == NULL) {
        Py_DECREF(g);
        return NULL;
    }
    Py_DECREF(r);
    return g;
}


/* Workers _exit(): Python's own buffers would be lost without this. */
void
pfw_interp_flush(void)
{
    static const char *const  names[] = { "stdout", "stderr" };
    PyObject                 *f, *r;
    size_t                    i;

    if (!live) {
        return;
    }
    for (i = 0; i < 2; i++) {
        f = PySys_GetObject(names[i]);
        if (f == NULL || f == Py_None) {
            continue;
        }
        r = PyObject_CallMethod(f, "flush", NULL);
        if (r == NULL) {
            PyErr_Clear();
        }
        Py_XDECREF(r);
    }
}


/* One pf_log call per piece of at most LOG_PIECE bytes, cut at newlines:
 * "head\ntext" when it fits, which is what gunicorn's log.exception prints;
 * the pieces after the head are not counted again in StatsD. */
void
pfw_log_text(int level, const char *head, const char *text, size_t len)
{
    size_t       n, cut;
    const char  *nl;

    while (len > 0 && text[len - 1] == '\n') {
        len--;
    }
    if (len + strlen(head) + 1 <= LOG_PIECE) {
        pf_log(level, "%s\n%.*s", head, (int) len, text);
        return;
    }
    pf_log(level, "%s", head);
    while (len > 0) {
        n = len < LOG_PIECE ? len : LOG_PIECE;
        cut = n;
        if (n < len) {
            nl = memrchr(text, '\n', n);
            if (nl != NULL && nl > text) {
                cut = (size_t) (nl - text);
            }
        }
        /* one message for StatsD (gunicorn logs it as one record): only
         * the head, with its mark, counts */
        if (level >= pf_log_level()) {
            pfw_errlog_mark(PFW_LOGF_NOCOUNT);
        }
        pf_log(level, "%.*s", (int) cut, text);
        text += cut;
        len -= cut;
        if (len > 0 && text[0] == '\n') {
            text++;
            len--;
        }
    }
}


/* The formatted traceback of (type, value, tb) as a str, or NULL. */
static PyObject *
format_exception(PyObject *type, PyObject *value, PyObject *tb)
{
    PyObject  *mod, *lines, *sep, *text;

    mod = PyImport_ImportModule("traceback");
    if (mod == NULL) {
        return NULL;
    }
    lines = PyObject_CallMethod(mod, "format_exception", "OOO", type,
                                value != NULL ? value : Py_None,
                                tb != NULL ? tb : Py_None);
    Py_DECREF(mod);
    if (lines == NULL) {
        return NULL;
    }
    sep = PyUnicode_FromStringAndSize("", 0);
    text = sep != NULL ? PyUnicode_Join(sep, lines) : NULL;
    Py_XDECREF(sep);
    Py_DECREF(lines);
    return text;
}


void
pfw_log_exception(int level, const char *head)
{
    PyObject    *type, *value, *tb, *text;
    const char  *s;
    Py_ssize_t   n;

    /* gunicorn's log.exception(): counted as gunicorn.log.exception;
     * marked only when the line will reach the sink (else the mark would
     * stay for the next line of this thread) */
    if (level >= pf_log_level()) {
        pfw_errlog_mark(PFW_LOGF_EXCEPTION);
    }
    PyErr_Fetch(&type, &value, &tb);
    if (type == NULL) {
        pf_log(level, "%s", head);
        return;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL) {
        PyException_SetTraceback(value, tb);
    }
    if (pfw_pylog_exception(level, head, type, value, tb) == 0) {
        /* Python's logging took it, with exc_info (--log-config) */
        text = NULL;
        goto done;
    }
    text = format_exception(type, value, tb);
    s = text != NULL ? PyUnicode_AsUTF8AndSize(text, &n) : NULL;
    if (s != NULL) {
        pfw_log_text(level, head, s, (size_t) n);
    } else {
        PyErr_Clear();
        pf_log(level, "%s (traceback unavailable)", head);
    }
done:
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}

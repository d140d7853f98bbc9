/*
 * --reload: a development reloader in each worker, as gunicorn's.
 *
 * A daemon thread watches the source of every module the worker imported
 * (sys.modules, re-read at each pass so lazily imported modules count),
 * the --reload-extra-file names and globs (expanded again at each pass),
 * and the file of a SyntaxError met while loading the app.  When one
 * changes the worker logs "Worker reloading: FILE modified", runs the
 * worker_int hook and stops gracefully (SIGTERM to itself): the master
 * forks a replacement, which imports the new code.
 *
 * Engines (--reload-engine): poll stats every file once a second (gunicorn's
 * Reloader); inotify watches their directories through inotify(7) done
 * here in C, so no Python package is needed, and "auto" picks it.
 * gunicorn's inotify engine fires on any event in a watched directory;
 * this one only on the watched names (an editor's swap file, a .pyc
 * written next to the source, do not restart the worker).
 *
 * A SyntaxError while loading the app does not kill a reloading worker:
 * it serves "500 Internal Server Error" with the traceback as text/plain
 * until the file is fixed.  Only in workers: --check-config and --preload
 * fail on it as without --reload.
 */
#include "internal.h"
#include "lifecycle.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#define WATCH_MASK  (IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MODIFY \
                     | IN_MOVE_SELF | IN_MOVED_FROM | IN_MOVED_TO       \
                     | IN_CLOSE_WRITE | IN_ATTRIB)

static PyObject  *ns;            /* the reloader's namespace, in a worker */

static const char reloader_src[] =
    "import fnmatch, glob, os, re, sys, threading, time\n"
    "\n"
    "_compiled = re.compile(r'py[co]$')\n"
    "extra = set()\n"
    "patterns = set()\n"
    "\n"
    "def configure(files):\n"
    "    for f in files:\n"
    "        if any(c in f for c in '*?['):\n"
    "            patterns.add(f)\n"
    "        else:\n"
    "            extra.add(f)\n"
    "\n"
    "def files():\n"
    "    names = [_compiled.sub('py', m.__file__)\n"
    "             for m in tuple(sys.modules.values())\n"
    "             if isinstance(getattr(m, '__file__', None), str)]\n"
    "    names.extend(extra)\n"
    "    for p in tuple(patterns):\n"
    "        names.extend(sorted(glob.glob(p, recursive=True)))\n"
    "    return names\n"
    "\n"
    "def poll_engine(interval=1.0):\n"
    "    mtimes = {}\n"
    "    while True:\n"
    "        for f in files():\n"
    "            try:\n"
    "                m = os.stat(f).st_mtime_ns\n"
    "            except OSError:\n"
    "                continue\n"
    "            old = mtimes.setdefault(f, m)\n"
    "            if m != old:\n"
    "                _changed(f)\n"
    "                return\n"
    "        _watching('poll', len(mtimes))\n"
    "        time.sleep(interval)\n"
    "\n"
    "def _glob_root(p):\n"
    "    parts = p.split(os.sep)\n"
    "    for i, part in enumerate(parts):\n"
    "        if any(c in part for c in '*?['):\n"
    "            return os.sep.join(parts[:i]) or '.'\n"
    "    return os.path.dirname(p) or '.'\n"
    "\n"
    "def inotify_engine(fd):\n"
    "    wds = {}\n"
    "    seen = set()\n"
    "    while True:\n"
    "        wanted = {}\n"
    "        for f in files():\n"
    "            f = os.path.abspath(f)\n"
    "            wanted.setdefault(os.path.dirname(f), set()).add(\n"
    "                os.path.basename(f))\n"
    "        dirs = set(wanted)\n"
    "        dirs.update(os.path.abspath(_glob_root(p)) for p in patterns)\n"
    "        new = dirs - seen\n"
    "        for d in new:\n"
    "            wd = _ino_add(fd, d)\n"
    "            if wd >= 0:\n"
    "                wds[wd] = d\n"
    "                seen.add(d)\n"
    "        if new:\n"
    "            _watching('inotify', len(seen))\n"
    "        for wd, name in _ino_read(fd, 1000):\n"
    "            d = wds.get(wd)\n"
    "            if d is None:\n"
    "                continue\n"
    "            path = os.path.join(d, name) if name else d\n"
    "            if (name in wanted.get(d, ())\n"
    "                    or any(fnmatch.fnmatch(path, os.path.abspath(p))\n"
    "                           for p in patterns)):\n"
    "                _changed(path)\n"
    "                return\n"
    "\n"
    "def start(engine):\n"
    "    fd = -1\n"
    "    if engine != 1:\n"
    "        fd = _ino_open()\n"
    "    if fd >= 0:\n"
    "        target, args = inotify_engine, (fd,)\n"
    "    else:\n"
    "        target, args = poll_engine, ()\n"
    "    t = threading.Thread(target=target, args=args, daemon=True,\n"
    "                         name='prefork-wsgi-reloader')\n"
    "    t.start()\n"
    "\n"
    "def fail_app(exc):\n"
    "    import traceback\n"
    "    text = ''.join(traceback.format_exception(\n"
    "        type(exc), exc, exc.__traceback__)).encode('utf-8', 'replace')\n"
    "    def app(environ, start_response):\n"
    "        start_response('500 Internal Server Error', [\n"
    "            ('Content-Type', 'text/plain'),\n"
    "            ('Content-Length', str(len(text)))])\n"
    "        return [text]\n"
    "    return app\n";


/* ---- C functions the thread calls ------------------------------------- */

static PyObject *
c_ino_open(PyObject *self, PyObject *args)
{
    int  fd;

    (void) self;
    (void) args;
    fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd == -1) {
        pf_log_errno(PF_LOG_WARNING, errno, "inotify_init1() failed: the "
                     "reloader polls instead");
    }
    return PyLong_FromLong(fd);
}


static PyObject *
c_ino_add(PyObject *self, PyObject *args)
{
    const char  *path;
    int          fd, wd;

    (void) self;
    if (!PyArg_ParseTuple(args, "is", &fd, &path)) {
        return NULL;
    }
    wd = inotify_add_watch(fd, path, WATCH_MASK);
    if (wd == -1 && errno != ENOENT && errno != ENOTDIR) {
        pf_log_errno(PF_LOG_DEBUG, errno, "inotify_add_watch(%s) failed",
                     path);
    }
    return PyLong_FromLong(wd);
}


/* [(wd, name)] of the events that arrive within ms (GIL released). */
static PyObject *
c_ino_read(PyObject *self, PyObject *args)
{
    struct inotify_event  *ev;
    struct pollfd          p;
    PyObject              *l, *t;
    ssize_t                n;
    union {
        struct inotify_event  ev;           /* aligns the buffer */
        char                  b[8192];
    }                      buf;
    char                  *q;
    int                    fd, ms, r;

    (void) self;
    if (!PyArg_ParseTuple(args, "ii", &fd, &ms)) {
        return NULL;
    }
    p.fd = fd;
    p.events = POLLIN;
    Py_BEGIN_ALLOW_THREADS
    r = poll(&p, 1, ms);
    Py_END_ALLOW_THREADS
    l = PyList_New(0);
    if (l == NULL || r <= 0) {
        return l;
    }
    for ( ;; ) {
        n = read(fd, buf.b, sizeof(buf.b));
        if (n <= 0) {
            break;                         /* EAGAIN: all read */
        }
        for (q = buf.b; q < buf.b + n; q += sizeof(*ev) + ev->len) {
            ev = (struct inotify_event *) q;
            t = Py_BuildValue("(is)", ev->wd, ev->len > 0 ? ev->name : "");
            if (t == NULL || PyList_Append(l, t) < 0) {
                Py_XDECREF(t);
                Py_DECREF(l);
                return NULL;
            }
            Py_DECREF(t);
        }
    }
    return l;
}


static PyObject *
c_changed(PyObject *self, PyObject *args)
{
    const char  *path;

    (void) self;
    if (!PyArg_ParseTuple(args, "s", &path)) {
        return NULL;
    }
    pf_log(PF_LOG_INFO, "Worker reloading: %s modified", path);
    pfw_hooks_worker_int();
    /* The worker's own graceful stop: the request in flight finishes. */
    kill(getpid(), SIGTERM);
    Py_RETURN_NONE;
}


/* The first pass is done: from now on a change is seen.  Logged after the
 * poll engine's first pass, and whenever inotify watches more directories
 * (tests wait for it before touching a file). */
static PyObject *
c_watching(PyObject *self, PyObject *args)
{
    const char  *engine;
    int          n;
    static int   said;

    (void) self;
    if (!PyArg_ParseTuple(args, "si", &engine, &n)) {
        return NULL;
    }
    if (engine[0] == 'i' || !said) {
        pf_log(PF_LOG_DEBUG, "Reloader (%s) watching %d %s", engine, n,
               engine[0] == 'i' ? "directories" : "files");
    }
    said = 1;
    Py_RETURN_NONE;
}


static PyMethodDef c_funcs[] = {
    { "_watching", c_watching, METH_VARARGS, NULL },
    { "_ino_open", c_ino_open, METH_NOARGS, NULL },
    { "_ino_add", c_ino_add, METH_VARARGS, NULL },
    { "_ino_read", c_ino_read, METH_VARARGS, NULL },
    { "_changed", c_changed, METH_VARARGS, NULL },
    { NULL, NULL, 0, NULL }
};


static PyObject *
namespace(void)
{
    return pfw_py_namespace(reloader_src, "<prefork-wsgi reloader>", c_funcs);
}


static PyObject *
ns_call(const char *name, PyObject *args)
{
    PyObject  *f = PyDict_GetItemString(ns, name);       /* borrowed */

    if (f == NULL || args == NULL) {
        Py_XDECREF(args);
        return NULL;
    }
    f = PyObject_Call(f, args, NULL);
    Py_DECREF(args);
    return f;
}


/* ---- worker side -------------------------------------------------------- */

int
pfw_reloader_prepare(const pfw_app *app)
{
    const char *const  *f;
    PyObject           *l, *s, *r;

    if (!app->autoreload || ns != NULL) {
        return 0;
    }
    pf_log(PF_LOG_WARNING, "Reloader is on. Use in development only!");
    ns = namespace();
    l = ns != NULL ? PyList_New(0) : NULL;
    for (f = app->reload_extra_files; l != NULL && f != NULL && *f != NULL;
         f++)
    {
        s = PyUnicode_DecodeFSDefault(*f);
        if (s == NULL || PyList_Append(l, s) < 0) {
            Py_XDECREF(s);
            Py_CLEAR(l);
            break;
        }
        Py_DECREF(s);
    }
    r = l != NULL ? ns_call("configure", PyTuple_Pack(1, l)) : NULL;
    Py_XDECREF(l);
    if (r == NULL) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to set up the reloader");
        Py_CLEAR(ns);
        return -1;
    }
    Py_DECREF(r);
    return 0;
}


int
pfw_reloader_start(const pfw_app *app)
{
    PyObject  *r;

    if (ns == NULL) {
        return 0;
    }
    r = ns_call("start", Py_BuildValue("(i)",
                                       app->reload_engine == PFW_RELOAD_POLL));
    if (r == NULL) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to start the reloader");
        return -1;
    }
    Py_DECREF(r);
    return 0;
}


PyObject *
pfw_reloader_syntax_error(void)
{
    PyObject  *type, *value, *tb, *msg, *fn, *extra, *app;
    char       head[512];

    if (ns == NULL || !PyErr_ExceptionMatches(PyExc_SyntaxError)) {
        return NULL;
    }
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL) {
        PyException_SetTraceback(value, tb);
    }
    /* gunicorn's log.exception(e): the message, then the traceback */
    msg = PyObject_Str(value);
    snprintf(head, sizeof(head), "%s",
             msg != NULL && PyUnicode_AsUTF8(msg) != NULL
             ? PyUnicode_AsUTF8(msg) : "SyntaxError");
    PyErr_Clear();
    Py_XDECREF(msg);
    Py_XINCREF(type);
    Py_XINCREF(value);
    Py_XINCREF(tb);
    PyErr_Restore(type, value, tb);
    pfw_log_exception(PF_LOG_ERROR, head);

    fn = PyObject_GetAttrString(value, "filename");
    extra = PyDict_GetItemString(ns, "extra");           /* borrowed */
    if (fn != NULL && fn != Py_None && extra != NULL) {
        PySet_Add(extra, fn);
    }
    PyErr_Clear();
    Py_XDECREF(fn);
    app = ns_call("fail_app", PyTuple_Pack(1, value));
    if (app == NULL) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to build the error app");
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return app;
}

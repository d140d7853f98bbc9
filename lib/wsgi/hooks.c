/*
 * gunicorn's server hooks: the callables a configuration file defines,
 * called at gunicorn's points with proxy objects that carry the attributes
 * hooks use (server: the Arbiter, worker, req, resp, cfg, log).
 *
 * The proxies are a few Python classes (hook_src below) built once in the
 * master, whose interpreter every worker inherits: a config file always
 * runs in the master, so whenever a hook exists the master's interpreter
 * is live.  Nothing here runs Python when no hook is set, and a hook that
 * raises is logged (gunicorn's words) without stopping the server.
 *
 * Master side (GIL taken and given back around every call): nworkers
 * changes, on_starting, when_ready, pre_fork, child_exit, on_reload,
 * on_exit, pre_exec.  Worker side (the worker holds the GIL): post_fork,
 * post_worker_init, pre_request, post_request, worker_int, worker_abort,
 * worker_exit.
 */
#include "internal.h"
#include "lifecycle.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <prefork/arbiter.h>

static const char *const hook_names[PFW_NHOOKS] = {
    [PFW_H_ON_STARTING] = "on_starting",
    [PFW_H_ON_RELOAD] = "on_reload",
    [PFW_H_WHEN_READY] = "when_ready",
    [PFW_H_PRE_FORK] = "pre_fork",
    [PFW_H_POST_FORK] = "post_fork",
    [PFW_H_POST_WORKER_INIT] = "post_worker_init",
    [PFW_H_WORKER_INT] = "worker_int",
    [PFW_H_WORKER_ABORT] = "worker_abort",
    [PFW_H_PRE_EXEC] = "pre_exec",
    [PFW_H_PRE_REQUEST] = "pre_request",
    [PFW_H_POST_REQUEST] = "post_request",
    [PFW_H_CHILD_EXIT] = "child_exit",
    [PFW_H_WORKER_EXIT] = "worker_exit",
    [PFW_H_NWORKERS_CHANGED] = "nworkers_changed",
    [PFW_H_ON_EXIT] = "on_exit",
};

static PyObject    *live_fn[PFW_NHOOKS];     /* committed callables */
static PyObject    *staged_fn[PFW_NHOOKS];   /* from the last config run */
static PyObject    *staged_cfg;              /* dict: setting -> value */
static PyObject    *ns;                      /* hook_src's namespace */
static PyObject    *cfg;                     /* the Config proxy */
static PyObject    *server;                  /* the Arbiter proxy */
static PyObject    *pending;                 /* worker between pre_fork and
                                                the fork */
static PyObject    *worker;                  /* this worker's proxy */
static pf_arbiter  *arb;                     /* master */
static pf_worker   *self_w;                  /* worker */
static int          exec_bracketed;          /* USR2 fork under
                                                PyOS_BeforeFork */

static const char hook_src[] =
    "import os, socket, sys, time, traceback\n"
    "\n"
    "def _noop(*args):\n"
    "    pass\n"
    "\n"
    "class Logger:\n"
    "    \"\"\"gunicorn's Logger calls, sent to prefork-wsgi's error log.\"\"\"\n"
    "    def __init__(self, cfg):\n"
    "        self.cfg = cfg\n"
    "    def _emit(self, level, msg, args, kw, exc=False):\n"
    "        text = str(msg)\n"
    "        if args:\n"
    "            if len(args) == 1 and isinstance(args[0], dict) and args[0]:\n"
    "                args = args[0]\n"
    "            try:\n"
    "                text = text % args\n"
    "            except Exception:\n"
    "                text = '%s %r' % (text, args)\n"
    "        ei = kw.get('exc_info')\n"
    "        if ei:\n"
    "            if not isinstance(ei, tuple):\n"
    "                ei = sys.exc_info()\n"
    "            if ei[0] is not None:\n"
    "                text += '\\n' + ''.join(\n"
    "                    traceback.format_exception(*ei)).rstrip('\\n')\n"
    "        _log(level, text, exc)\n"
    "    def critical(self, msg, *args, **kw):\n"
    "        self._emit(4, msg, args, kw)\n"
    "    def error(self, msg, *args, **kw):\n"
    "        self._emit(3, msg, args, kw)\n"
    "    def warning(self, msg, *args, **kw):\n"
    "        self._emit(2, msg, args, kw)\n"
    "    warn = warning\n"
    "    def info(self, msg, *args, **kw):\n"
    "        self._emit(1, msg, args, kw)\n"
    "    def debug(self, msg, *args, **kw):\n"
    "        self._emit(0, msg, args, kw)\n"
    "    def exception(self, msg, *args, **kw):\n"
    "        kw.setdefault('exc_info', True)\n"
    "        self._emit(3, msg, args, kw, True)\n"
    "    def log(self, lvl, msg, *args, **kw):\n"
    "        if isinstance(lvl, str):\n"
    "            lvl = {'critical': 50, 'error': 40, 'warning': 30,\n"
    "                   'info': 20, 'debug': 10}.get(lvl.lower(), 20)\n"
    "        self._emit(sum(lvl >= n for n in (20, 30, 40, 50)), msg, args,\n"
    "                   kw)\n"
    "    def access(self, resp, req, environ, request_time):\n"
    "        pass\n"
    "    def reopen_files(self):\n"
    "        pass\n"
    "    def close_on_exec(self):\n"
    "        pass\n"
    "\n"
    "class Setting:\n"
    "    def __init__(self, name, value):\n"
    "        self.name = name\n"
    "        self.value = value\n"
    "    def get(self):\n"
    "        return self.value\n"
    "    def set(self, value):\n"
    "        self.value = value\n"
    "\n"
    "def _address(b):\n"
    "    if b.startswith('unix:'):\n"
    "        return b[5:]\n"
    "    if b.startswith('fd://'):\n"
    "        return int(b[5:])\n"
    "    if b.startswith('tcp://'):\n"
    "        b = b[6:]\n"
    "    host, _, port = b.rpartition(':')\n"
    "    if not host or ']' in port:\n"
    "        host, port = b, '8000'\n"
    "    return (host.strip('[]').lower() or '0.0.0.0', int(port))\n"
    "\n"
    "class Config:\n"
    "    \"\"\"gunicorn's cfg: every setting as an attribute.\"\"\"\n"
    "    def __init__(self, values):\n"
    "        object.__setattr__(self, 'settings', {\n"
    "            k: Setting(k, v) for k, v in values.items()})\n"
    "    def __getattr__(self, name):\n"
    "        settings = object.__getattribute__(self, 'settings')\n"
    "        if name not in settings:\n"
    "            raise AttributeError('No configuration setting for: %s'\n"
    "                                 % name)\n"
    "        return settings[name].get()\n"
    "    def __setattr__(self, name, value):\n"
    "        if name != 'settings' and name in self.settings:\n"
    "            raise AttributeError('Invalid access!')\n"
    "        object.__setattr__(self, name, value)\n"
    "    def set(self, name, value):\n"
    "        if name not in self.settings:\n"
    "            raise AttributeError('No configuration setting for: %s'\n"
    "                                 % name)\n"
    "        self.settings[name].set(value)\n"
    "    def __str__(self):\n"
    "        kmax = max(len(k) for k in self.settings)\n"
    "        lines = []\n"
    "        for k in sorted(self.settings):\n"
    "            v = self.settings[k].value\n"
    "            if callable(v):\n"
    "                v = '<{}()>'.format(getattr(v, '__qualname__', v))\n"
    "            lines.append('{k:{kmax}} = {v}'.format(k=k, v=v, kmax=kmax))\n"
    "        return '\\n'.join(lines)\n"
    "    @property\n"
    "    def worker_class_str(self):\n"
    "        uri = self.settings['worker_class'].get()\n"
    "        if uri == 'sync' and self.settings['threads'].get() > 1:\n"
    "            return 'gthread'\n"
    "        return uri\n"
    "    @property\n"
    "    def address(self):\n"
    "        return [_address(b) for b in self.settings['bind'].get()]\n"
    "    @property\n"
    "    def uid(self):\n"
    "        return self.settings['user'].get()\n"
    "    @property\n"
    "    def gid(self):\n"
    "        return self.settings['group'].get()\n"
    "    @property\n"
    "    def proc_name(self):\n"
    "        return (self.settings['proc_name'].get()\n"
    "                or self.settings['default_proc_name'].get())\n"
    "    @property\n"
    "    def is_ssl(self):\n"
    "        return False\n"
    "    @property\n"
    "    def env(self):\n"
    "        return dict(e.split('=', 1) for e in self.settings['raw_env'].get()\n"
    "                    if '=' in e)\n"
    "\n"
    "def _sockets():\n"
    "    return [socket.socket(fileno=os.dup(fd)) for fd in _listeners()]\n"
    "\n"
    "class Application:\n"
    "    def __init__(self, cfg):\n"
    "        self.cfg = cfg\n"
    "    @property\n"
    "    def callable(self):\n"
    "        return _app()\n"
    "    def wsgi(self):\n"
    "        return _app()\n"
    "\n"
    "class Arbiter:\n"
    "    \"\"\"What hooks see as `server`.\"\"\"\n"
    "    def __init__(self, cfg, master_pid):\n"
    "        self.cfg = cfg\n"
    "        self.log = Logger(cfg)\n"
    "        self.app = Application(cfg)\n"
    "        self.pid = os.getpid()\n"
    "        self.WORKERS = {}\n"
    "        self._listeners = None\n"
    "    def _set_cfg(self, cfg):\n"
    "        self.cfg = self.log.cfg = self.app.cfg = cfg\n"
    "    @property\n"
    "    def LISTENERS(self):\n"
    "        if self._listeners is None:\n"
    "            self._listeners = _sockets()\n"
    "        return self._listeners\n"
    "    @property\n"
    "    def num_workers(self):\n"
    "        return _nworkers()\n"
    "    @property\n"
    "    def master_pid(self):\n"
    "        return _pids()[0]\n"
    "    @property\n"
    "    def reexec_pid(self):\n"
    "        return _pids()[1]\n"
    "    @property\n"
    "    def proc_name(self):\n"
    "        return self.cfg.proc_name\n"
    "    @property\n"
    "    def timeout(self):\n"
    "        return self.cfg.timeout\n"
    "\n"
    "class WorkerTmp:\n"
    "    \"\"\"The heartbeat: shared memory here, not a file.\"\"\"\n"
    "    def notify(self):\n"
    "        _heartbeat()\n"
    "    def last_update(self):\n"
    "        return time.monotonic()\n"
    "    def fileno(self):\n"
    "        return -1\n"
    "    def close(self):\n"
    "        pass\n"
    "\n"
    "class Worker:\n"
    "    \"\"\"What hooks see as `worker`.\"\"\"\n"
    "    def __init__(self, server, age):\n"
    "        cfg = server.cfg\n"
    "        self.pid = '[booting]'\n"
    "        self.ppid = server.pid\n"
    "        self.age = age\n"
    "        self.cfg = cfg\n"
    "        self.log = server.log\n"
    "        self.app = server.app\n"
    "        self.alive = True\n"
    "        self.booted = False\n"
    "        self.aborted = False\n"
    "        self.nr = 0\n"
    "        self.max_requests = cfg.max_requests or sys.maxsize\n"
    "        self.timeout = cfg.timeout / 2.0\n"
    "        self.tmp = WorkerTmp()\n"
    "        self._sockets = None\n"
    "    @property\n"
    "    def sockets(self):\n"
    "        if self._sockets is None:\n"
    "            self._sockets = _sockets()\n"
    "        return self._sockets\n"
    "    @property\n"
    "    def wsgi(self):\n"
    "        return _app()\n"
    "    def notify(self):\n"
    "        _heartbeat()\n"
    "    def __str__(self):\n"
    "        return '<Worker %s>' % self.pid\n"
    "\n"
    "class Request:\n"
    "    \"\"\"What pre_request and post_request see as `req`.\"\"\"\n"
    "    def __init__(self, method, uri, path, query, fragment, version,\n"
    "                 headers, body, scheme, peer_addr, proxy, close):\n"
    "        self.method = method\n"
    "        self.uri = uri\n"
    "        self.path = path\n"
    "        self.query = query\n"
    "        self.fragment = fragment\n"
    "        self.version = version\n"
    "        self.headers = headers\n"
    "        self.trailers = []\n"
    "        self.body = body\n"
    "        self.scheme = scheme\n"
    "        self.peer_addr = peer_addr\n"
    "        self.remote_addr = peer_addr\n"
    "        self.proxy_protocol_info = proxy\n"
    "        self._close = close\n"
    "    def should_close(self):\n"
    "        return self._close\n"
    "\n"
    "class Response:\n"
    "    \"\"\"What post_request sees as `resp`.\"\"\"\n"
    "    def __init__(self, status, headers, sent, length, chunked,\n"
    "                 headers_sent):\n"
    "        self.status = status\n"
    "        try:\n"
    "            self.status_code = int(status.split()[0])\n"
    "        except (AttributeError, IndexError, ValueError):\n"
    "            self.status_code = None\n"
    "        self.headers = headers\n"
    "        self.sent = sent\n"
    "        self.response_length = length\n"
    "        self.chunked = chunked\n"
    "        self.headers_sent = headers_sent\n"
    "\n"
    "def _install_abort(worker, hook):\n"
    /* gunicorn's handle_abort: the hook, then SystemExit(1) raised where the
     * main thread runs Python.  SIGTERM to ourselves makes the loop stop
     * once the failed request is answered (alive = False). */
    "    import signal\n"
    "    def handle_abort(sig, frame):\n"
    "        worker.alive = False\n"
    "        try:\n"
    "            hook(worker)\n"
    "        except Exception:\n"
    "            worker.log.exception('Exception in worker_abort hook')\n"
    "        os.kill(os.getpid(), signal.SIGTERM)\n"
    "        sys.exit(1)\n"
    "    signal.signal(signal.SIGABRT, handle_abort)\n"
    "\n"
    "def _literal(text):\n"
    "    import ast\n"
    "    try:\n"
    "        return ast.literal_eval(text)\n"
    "    except Exception:\n"
    "        return text\n";


/* ---- C functions the classes call ------------------------------------- */

static PyObject *
c_log(PyObject *self, PyObject *args)
{
    const char  *msg;
    Py_ssize_t   len;
    int          level, exc = 0;

    (void) self;
    if (!PyArg_ParseTuple(args, "is#|p", &level, &msg, &len, &exc)) {
        return NULL;
    }
    if (level < PF_LOG_DEBUG || level > PF_LOG_CRITICAL) {
        level = PF_LOG_INFO;
    }
    /* log.exception() counts as gunicorn.log.exception, not .error, as
     * with gunicorn's Statsd logger; marked only when the line reaches
     * the sink (a mark left over would tag this thread's next line) */
    if (exc && level >= pf_log_level()) {
        pfw_errlog_mark(PFW_LOGF_EXCEPTION);
    }
    if (memchr(msg, '\n', (size_t) len) != NULL) {
        const char  *nl = memchr(msg, '\n', (size_t) len);
        char         head[512];

        snprintf(head, sizeof(head), "%.*s", (int) (nl - msg), msg);
        pfw_log_text(level, head, nl + 1, (size_t) (len - (nl + 1 - msg)));
    } else {
        pf_log(level, "%.*s", (int) len, msg);
    }
    Py_RETURN_NONE;
}


static PyObject *
c_nworkers(PyObject *self, PyObject *args)
{
    (void) self;
    (void) args;
    return PyLong_FromLong(arb != NULL ? pf_arbiter_workers(arb) : 0);
}


static PyObject *
c_listeners(PyObject *self, PyObject *args)
{
    const int  *fds = NULL;
    PyObject   *l, *n;
    size_t      i, nfds = 0;

    (void) self;
    (void) args;
    if (self_w != NULL) {
        fds = pf_worker_listeners(self_w, &nfds);
    } else if (arb != NULL) {
        fds = pf_arbiter_listeners(arb, &nfds);
    }
    l = PyList_New(0);
    for (i = 0; l != NULL && i < nfds; i++) {
        n = PyLong_FromLong(fds[i]);
        if (n == NULL || PyList_Append(l, n) < 0) {
            Py_XDECREF(n);
            Py_CLEAR(l);
            break;
        }
        Py_DECREF(n);
    }
    return l;
}


/* (master_pid, reexec_pid): the old master of a USR2 child not promoted
 * yet, and this master's USR2 child while it lives (0 when none); in a
 * worker, as they were when it was forked. */
static PyObject *
c_pids(PyObject *self, PyObject *args)
{
    (void) self;
    (void) args;
    if (arb == NULL) {
        return Py_BuildValue("(ii)", 0, 0);
    }
    return Py_BuildValue("(ii)", (int) pf_arbiter_parent_pid(arb),
                         (int) pf_arbiter_reexec_pid(arb));
}


static PyObject *
c_heartbeat(PyObject *self, PyObject *args)
{
    (void) self;
    (void) args;
    if (self_w != NULL) {
        pf_worker_heartbeat(self_w);
    }
    Py_RETURN_NONE;
}


static PyObject *
c_app(PyObject *self, PyObject *args)
{
    PyObject  *app = pfw_app_callable();

    (void) self;
    (void) args;
    if (app == NULL) {
        Py_RETURN_NONE;
    }
    Py_INCREF(app);
    return app;
}


static PyMethodDef c_funcs[] = {
    { "_log", c_log, METH_VARARGS, NULL },
    { "_nworkers", c_nworkers, METH_NOARGS, NULL },
    { "_listeners", c_listeners, METH_NOARGS, NULL },
    { "_heartbeat", c_heartbeat, METH_NOARGS, NULL },
    { "_pids", c_pids, METH_NOARGS, NULL },
    { "_app", c_app, METH_NOARGS, NULL },
    { NULL, NULL, 0, NULL }
};


/* The classes, once per interpreter (workers inherit them). */
static PyObject *
namespace(void)
{
    if (ns == NULL) {
        ns = pfw_py_namespace(hook_src, "<prefork-wsgi hooks>", c_funcs);
    }
    return ns;
}


static PyObject *
ns_call(const char *name, const char *fmt, ...)
{
    PyObject  *f, *args, *r;
    va_list    ap;

    if (namespace() == NULL) {
        return NULL;
    }
    f = PyDict_GetItemString(ns, name);                 /* borrowed */
    if (f == NULL) {
        PyErr_Format(PyExc_NameError, "%s", name);
        return NULL;
    }
    va_start(ap, fmt);
    args = Py_VaBuildValue(fmt, ap);
    va_end(ap);
    if (args == NULL) {
        return NULL;
    }
    if (!PyTuple_Check(args)) {
        Py_SETREF(args, PyTuple_Pack(1, args));
        if (args == NULL) {
            return NULL;
        }
    }
    r = PyObject_Call(f, args, NULL);
    Py_DECREF(args);
    return r;
}


/* ---- staging (config file runs) and commit ---------------------------- */

int
pfw_hook_index(const char *name)
{
    int  h;

    for (h = 0; h < PFW_NHOOKS; h++) {
        if (strcmp(hook_names[h], name) == 0) {
            return h;
        }
    }
    return -1;
}


void
pfw_hooks_stage_begin(void)
{
    int  h;

    for (h = 0; h < PFW_NHOOKS; h++) {
        Py_CLEAR(staged_fn[h]);
    }
}


int
pfw_hooks_stage(const char *name, PyObject *fn)
{
    int  h = pfw_hook_index(name);

    if (h < 0) {
        return 0;            /* ssl_context, dirty_*: inert settings */
    }
    Py_INCREF(fn);
    Py_XSETREF(staged_fn[h], fn);
    return 0;
}


int
pfw_hooks_cfg_add(const char *name, int how, const char *text)
{
    PyObject  *v;
    int        r;

    pfw_interp_enter();
    if (staged_cfg == NULL && (staged_cfg = PyDict_New()) == NULL) {
        goto failed;
    }
    if (how == PFW_CFG_NONE) {
        v = Py_NewRef(Py_None);
    } else if (how == PFW_CFG_STR) {
        v = PyUnicode_DecodeFSDefault(text);
    } else {
        v = ns_call("_literal", "(s)", text);
    }
    if (v == NULL) {
        goto failed;
    }
    r = PyDict_SetItemString(staged_cfg, name, v);
    Py_DECREF(v);
    if (r < 0) {
        goto failed;
    }
    pfw_interp_release();
    return 0;

failed:
    pfw_log_exception(PF_LOG_ERROR, "Failed to build the hooks' cfg");
    pfw_interp_release();
    return -1;
}


/* The staged cfg with every hook in it (callable or a no-op). */
static PyObject *
build_cfg(void)
{
    PyObject  *values, *noop, *c;
    int        h;

    values = staged_cfg != NULL ? PyDict_Copy(staged_cfg) : PyDict_New();
    noop = namespace() != NULL ? PyDict_GetItemString(ns, "_noop") : NULL;
    if (values == NULL || noop == NULL) {
        Py_XDECREF(values);
        return NULL;
    }
    for (h = 0; h < PFW_NHOOKS; h++) {
        if (PyDict_SetItemString(values, hook_names[h],
                                 staged_fn[h] != NULL ? staged_fn[h] : noop)
            < 0)
        {
            Py_DECREF(values);
            return NULL;
        }
    }
    c = ns_call("Config", "(O)", values);
    Py_DECREF(values);
    return c;
}


int
pfw_hooks_commit(void)
{
    PyObject  *c, *r;
    int        h;

    if (!pfw_interp_live()) {
        return 0;
    }
    pfw_interp_enter();
    c = build_cfg();
    if (c == NULL) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to build the hooks' cfg");
        pfw_interp_release();
        return -1;
    }
    Py_XSETREF(cfg, c);
    if (server != NULL) {
        r = PyObject_CallMethod(server, "_set_cfg", "(O)", cfg);
        if (r == NULL) {
            pfw_log_exception(PF_LOG_ERROR, "Failed to update server.cfg");
        }
        Py_XDECREF(r);
    }
    for (h = 0; h < PFW_NHOOKS; h++) {
        Py_XSETREF(live_fn[h], staged_fn[h]);
        staged_fn[h] = NULL;
    }
    Py_CLEAR(staged_cfg);
    pfw_interp_release();
    return 0;
}


void
pfw_hooks_discard(void)
{
    if (!pfw_interp_live()) {
        return;
    }
    pfw_interp_enter();
    pfw_hooks_stage_begin();
    Py_CLEAR(staged_cfg);
    pfw_interp_release();
}


int
pfw_hook_set(int h)
{
    return h >= 0 && h < PFW_NHOOKS && live_fn[h] != NULL;
}


int
pfw_hooks_any(void)
{
    int  h;

    for (h = 0; h < PFW_NHOOKS; h++) {
        if (live_fn[h] != NULL) {
            return 1;
        }
    }
    return 0;
}


/* ---- calling ---------------------------------------------------------- */

/* Call hook h with the arguments of fmt; an exception is logged with
 * gunicorn's words.  -1 when it raised.  GIL held. */
static int
call(int h, const char *fmt, ...)
{
    PyObject  *args, *r;
    va_list    ap;
    char       head[64];

    if (live_fn[h] == NULL) {
        return 0;
    }
    va_start(ap, fmt);
    args = Py_VaBuildValue(fmt, ap);
    va_end(ap);
    r = args != NULL ? PyObject_Call(live_fn[h], args, NULL) : NULL;
    Py_XDECREF(args);
    if (r != NULL) {
        Py_DECREF(r);
        return 0;
    }
    if (h == PFW_H_WORKER_EXIT) {
        pfw_log_exception(PF_LOG_WARNING, "Exception during worker exit:");
    } else {
        snprintf(head, sizeof(head), "Exception in %s hook", hook_names[h]);
        pfw_log_exception(PF_LOG_ERROR, head);
    }
    return -1;
}


static void
set_attr(PyObject *o, const char *name, PyObject *v)
{
    if (v == NULL || PyObject_SetAttrString(o, name, v) < 0) {
        PyErr_Clear();
    }
    Py_XDECREF(v);
}


/* ---- master ----------------------------------------------------------- */

/* The Arbiter proxy, once hooks exist.  GIL held. */
void
pfw_hooks_master_start(pf_arbiter *a)
{
    arb = a;
    if (!pfw_hooks_any() || server != NULL) {
        return;
    }
    if (cfg == NULL) {
        cfg = build_cfg();
    }
    server = cfg != NULL ? ns_call("Arbiter", "(Oi)", cfg,
                                   a != NULL ? (int) pf_arbiter_parent_pid(a)
                                             : 0)
                         : NULL;
    if (server == NULL) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to set up the server hooks");
    }
}


/* A hook taking (server).  GIL held. */
void
pfw_hooks_server(int h)
{
    if (server != NULL) {
        call(h, "(O)", server);
    }
}


/* nworkers_changed(server, new, old); old < 0 is None (start-up). */
void
pfw_hooks_nworkers(int n, int old)
{
    if (server == NULL) {
        return;
    }
    if (old < 0) {
        call(PFW_H_NWORKERS_CHANGED, "(OiO)", server, n, Py_None);
    } else {
        call(PFW_H_NWORKERS_CHANGED, "(Oii)", server, n, old);
    }
}


/* The worker proxy gunicorn makes before fork(); pre_fork(server, worker).
 * GIL held. */
void
pfw_hooks_pre_fork(unsigned age)
{
    Py_CLEAR(pending);
    if (server == NULL) {
        return;
    }
    pending = ns_call("Worker", "(OI)", server, age);
    if (pending == NULL) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to set up the worker hooks");
        return;
    }
    call(PFW_H_PRE_FORK, "(OO)", server, pending);
}


/* In the master after fork(): server.WORKERS[pid] = worker.  GIL held. */
void
pfw_hooks_forked(pid_t pid)
{
    PyObject  *workers, *key;

    if (pending == NULL || server == NULL) {
        return;
    }
    if (pid > 0) {
        set_attr(pending, "pid", PyLong_FromLong((long) pid));
        workers = PyObject_GetAttrString(server, "WORKERS");
        key = PyLong_FromLong((long) pid);
        if (workers == NULL || key == NULL
            || PyObject_SetItem(workers, key, pending) < 0)
        {
            PyErr_Clear();
        }
        Py_XDECREF(workers);
        Py_XDECREF(key);
    }
    Py_CLEAR(pending);
}


static void
on_child_exit(pf_arbiter *a, const pf_worker_exit *st, void *ud)
{
    PyObject  *workers, *key, *w = NULL;

    (void) a;
    (void) ud;
    if (!pfw_interp_live() || server == NULL) {
        return;
    }
    pfw_interp_enter();
    workers = PyObject_GetAttrString(server, "WORKERS");
    key = PyLong_FromLong((long) st->pid);
    if (workers != NULL && key != NULL) {
        w = PyObject_CallMethod(workers, "pop", "(OO)", key, Py_None);
    }
    PyErr_Clear();
    if (w == NULL || w == Py_None) {
        Py_XDECREF(w);
        w = ns_call("Worker", "(OI)", server, st->age);
        if (w != NULL) {
            set_attr(w, "pid", PyLong_FromLong((long) st->pid));
        }
    }
    if (w != NULL) {
        set_attr(w, "booted", PyBool_FromLong(st->booted));
        set_attr(w, "aborted", PyBool_FromLong(st->timed_out));
        set_attr(w, "alive", PyBool_FromLong(0));
        call(PFW_H_CHILD_EXIT, "(OO)", server, w);
    } else {
        PyErr_Clear();
    }
    Py_XDECREF(w);
    Py_XDECREF(workers);
    Py_XDECREF(key);
    pfw_interp_release();
}


static void
on_master_exit(pf_arbiter *a, void *ud)
{
    (void) a;
    (void) ud;
    if (!pfw_interp_live() || server == NULL) {
        return;
    }
    pfw_interp_enter();
    pfw_hooks_server(PFW_H_ON_EXIT);
    pfw_interp_release();
}


/* In the USR2 child, before execve(). */
static void
on_pre_exec(pf_arbiter *a, void *ud)
{
    (void) a;
    (void) ud;
    if (!exec_bracketed) {
        return;
    }
    PyOS_AfterFork_Child();
    pfw_hooks_server(PFW_H_PRE_EXEC);
    pfw_interp_flush();
}


static void
set_workers(pf_arbiter *a, int n)
{
    int  old = pf_arbiter_workers(a);

    pf_arbiter_set_workers(a, n);
    pfw_interp_enter();
    pfw_hooks_nworkers(n, old);
    pfw_interp_release();
}


static int
on_signal(pf_arbiter *a, int signo, void *ud)
{
    pfw_app  *app = ud;
    int       n, r;

    switch (signo) {
    case SIGHUP:
        /* gunicorn's reload: new configuration, num_workers, on_reload,
         * then the default action rolls the workers over. */
        if (app->reload == NULL) {
            return 0;
        }
        if (app->reload(app, app->reload_ud) != 0) {
            return 1;                     /* nothing changes, no restart */
        }
        if (!pfw_interp_live()) {
            pf_arbiter_set_workers(a, app->workers);
            return 0;
        }
        pfw_interp_enter();
        pfw_hooks_master_start(a);        /* hooks may be new */
        pfw_interp_release();
        set_workers(a, app->workers);
        pfw_interp_enter();
        pfw_hooks_server(PFW_H_ON_RELOAD);
        pfw_interp_release();
        return 0;
    case SIGTTIN:
    case SIGTTOU:
    case SIGWINCH:
        if (!pfw_hook_set(PFW_H_NWORKERS_CHANGED) || server == NULL) {
            return 0;
        }
        n = pf_arbiter_workers(a);
        if (signo == SIGTTIN) {
            n++;
        } else if (signo == SIGTTOU && n > 1) {
            n--;
        } else if (signo == SIGWINCH && app->daemon) {
            pf_log(PF_LOG_INFO, "graceful stop of workers");
            n = 0;
        } else {
            return 0;                     /* the default action says why */
        }
        set_workers(a, n);
        return 1;
    case SIGUSR2:
        if (!pfw_hook_set(PFW_H_PRE_EXEC) || server == NULL) {
            return 0;
        }
        pfw_interp_enter();
        PyOS_BeforeFork();
        exec_bracketed = 1;
        r = pf_arbiter_reexec(a);
        exec_bracketed = 0;
        PyOS_AfterFork_Parent();
        pfw_interp_release();
        (void) r;                         /* refusals are logged */
        return 1;
    default:
        return 0;
    }
}


void
pfw_hooks_ops(pf_worker_ops *ops)
{
    if (ops->on_signal == NULL) {
        ops->on_signal = on_signal;
    }
    if (ops->worker_exit == NULL) {
        ops->worker_exit = on_child_exit;
    }
    if (ops->master_exit == NULL) {
        ops->master_exit = on_master_exit;
    }
    if (ops->pre_exec == NULL) {
        ops->pre_exec = on_pre_exec;
    }
}


/* ---- worker ----------------------------------------------------------- */

/* Right after the fork (GIL held): the worker proxy, post_fork(server,
 * worker), and the SIGABRT handler when worker_abort is set. */
void
pfw_hooks_worker_start(pf_worker *w)
{
    PyObject  *r;

    self_w = w;
    if (server == NULL) {
        return;
    }
    worker = pending;
    pending = NULL;
    if (worker == NULL) {
        worker = ns_call("Worker", "(OI)", server,
                         w != NULL ? pf_worker_age(w) : 0);
        if (worker == NULL) {
            pfw_log_exception(PF_LOG_ERROR, "Failed to set up the worker "
                              "hooks");
            return;
        }
    }
    set_attr(worker, "pid", PyLong_FromLong((long) getpid()));
    call(PFW_H_POST_FORK, "(OO)", server, worker);
    if (live_fn[PFW_H_WORKER_ABORT] != NULL) {
        r = ns_call("_install_abort", "(OO)", worker,
                    live_fn[PFW_H_WORKER_ABORT]);
        if (r == NULL) {
            pfw_log_exception(PF_LOG_ERROR, "Failed to install the "
                              "worker_abort handler");
        }
        Py_XDECREF(r);
    }
}


/* The app is loaded: post_worker_init(worker), then booted. */
void
pfw_hooks_worker_ready(void)
{
    if (worker == NULL) {
        return;
    }
    call(PFW_H_POST_WORKER_INIT, "(O)", worker);
    set_attr(worker, "booted", PyBool_FromLong(1));
}


/* worker_int(worker) alone: the reloader stops the worker (gunicorn calls
 * it from its reloader thread too). */
void
pfw_hooks_worker_int(void)
{
    if (worker != NULL) {
        call(PFW_H_WORKER_INT, "(O)", worker);
    }
}


/* Before _exit(): worker_int on SIGINT/SIGQUIT, then worker_exit. */
void
pfw_hooks_worker_exit(pf_worker *w)
{
    if (worker == NULL) {
        return;
    }
    set_attr(worker, "alive", PyBool_FromLong(0));
    if (w != NULL && (pf_worker_poll(w) & PF_WORKER_EXIT)) {
        call(PFW_H_WORKER_INT, "(O)", worker);
    }
    call(PFW_H_WORKER_EXIT, "(OO)", server, worker);
}


/* ---- requests --------------------------------------------------------- */

static PyObject *
latin1(const char *p, size_t n)
{
    return PyUnicode_DecodeLatin1(p != NULL ? p : "", (Py_ssize_t) n, NULL);
}


/* [(NAME, value)], names upper-cased, continuation lines joined. */
static PyObject *
headers_list(const pfw_conn *c)
{
    const pfh_header  *h;
    PyObject          *l, *t, *name, *value, *last;
    size_t             i, j;
    char               up[256];

    l = PyList_New(0);
    for (i = 0; l != NULL && i < c->req.num_headers; i++) {
        h = &c->hdrs[i];
        if (h->name == NULL) {
            if (PyList_GET_SIZE(l) == 0) {
                continue;
            }
            t = PyList_GET_ITEM(l, PyList_GET_SIZE(l) - 1);
            value = latin1(h->value, h->value_len);
            last = value != NULL
                   ? PyUnicode_FromFormat("%U %U", PyTuple_GET_ITEM(t, 1),
                                          value)
                   : NULL;
            Py_XDECREF(value);
            name = PyTuple_GET_ITEM(t, 0);
            Py_INCREF(name);
            t = last != NULL ? PyTuple_Pack(2, name, last) : NULL;
            Py_DECREF(name);
            Py_XDECREF(last);
            if (t == NULL
                || PyList_SetItem(l, PyList_GET_SIZE(l) - 1, t) < 0)
            {
                Py_CLEAR(l);
            }
            continue;
        }
        for (j = 0; j < h->name_len && j < sizeof(up); j++) {
            up[j] = (h->name[j] >= 'a' && h->name[j] <= 'z')
                    ? (char) (h->name[j] - 'a' + 'A') : h->name[j];
        }
        name = latin1(up, j);
        value = latin1(h->value, h->value_len);
        t = name != NULL && value != NULL ? PyTuple_Pack(2, name, value)
                                          : NULL;
        Py_XDECREF(name);
        Py_XDECREF(value);
        if (t == NULL || PyList_Append(l, t) < 0) {
            Py_CLEAR(l);
        }
        Py_XDECREF(t);
    }
    return l;
}


/* accept()'s address as Python's socket module shows it. */
static PyObject *
peer_addr(const pfw_conn *c)
{
    const struct sockaddr_in   *s4 = (const void *) &c->peer;
    const struct sockaddr_in6  *s6 = (const void *) &c->peer;
    char                        ip[INET6_ADDRSTRLEN];

    switch (c->peer.ss_family) {
    case AF_INET:
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
        return Py_BuildValue("(si)", ip, ntohs(s4->sin_port));
    case AF_INET6:
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
        return Py_BuildValue("(siII)", ip, ntohs(s6->sin6_port),
                             (unsigned) ntohl(s6->sin6_flowinfo),
                             (unsigned) s6->sin6_scope_id);
    default:
        return PyUnicode_FromString("");
    }
}


static PyObject *
proxy_info(const pfw_conn *c)
{
    const pfh_proxy  *p = &c->proxy;

    if (p->proto == NULL) {
        Py_RETURN_NONE;
    }
    return Py_BuildValue("{s:s,s:s,s:s,s:I,s:I}",
                         "proxy_protocol", p->proto,
                         "client_addr", p->src_addr,
                         "proxy_addr", p->dst_addr,
                         "client_port", p->src_port,
                         "proxy_port", p->dst_port);
}


static PyObject *
make_request(pfw_conn *c)
{
    const pfh_request  *q = &c->req;
    PyObject           *hdrs, *peer, *proxy, *r;

    hdrs = headers_list(c);
    peer = peer_addr(c);
    proxy = proxy_info(c);
    if (hdrs == NULL || peer == NULL || proxy == NULL) {
        r = NULL;
    } else {
        r = ns_call("Request", "(NNNNN(ii)OOsOON)",
                    latin1(q->method, q->method_len),
                    latin1(q->target, q->target_len),
                    latin1(q->path, q->path_len),
                    latin1(q->query, q->query_len),
                    latin1(q->fragment, q->fragment_len),
                    q->version_major, q->version_minor, hdrs,
                    c->input != NULL ? c->input : Py_None,
                    c->srv->app->url_scheme != NULL ? c->srv->app->url_scheme
                                                    : "http",
                    peer, proxy, PyBool_FromLong(!q->keep_alive));
    }
    Py_XDECREF(hdrs);
    Py_XDECREF(peer);
    Py_XDECREF(proxy);
    return r;
}


/* Before the environ: pre_request(worker, req).  -1 when the hook raised
 * (gunicorn answers 500 then); the exception is left pending. */
int
pfw_hooks_pre_request(pfw_conn *c)
{
    PyObject  *r;

    Py_CLEAR(c->hook_req);
    /* gunicorn's default pre_request hook; a user's hook replaces it */
    if (live_fn[PFW_H_PRE_REQUEST] == NULL && pf_log_level() <= PF_LOG_DEBUG)
    {
        pf_log(PF_LOG_DEBUG, "%.*s %.*s", (int) c->req.method_len,
               c->req.method, (int) c->req.path_len, c->req.path);
    }
    if (worker == NULL || (live_fn[PFW_H_PRE_REQUEST] == NULL
                           && live_fn[PFW_H_POST_REQUEST] == NULL))
    {
        return 0;
    }
    c->hook_req = make_request(c);
    if (c->hook_req == NULL) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to build the hook request");
        return 0;
    }
    /* gunicorn counts the request after pre_request; srv already did */
    set_attr(worker, "nr", PyLong_FromUnsignedLong(c->srv->nreq > 0
                                                   ? c->srv->nreq - 1 : 0));
    if (c->srv->max_requests > 0) {
        set_attr(worker, "max_requests",
                 PyLong_FromUnsignedLong(c->srv->max_requests));
    }
    if (live_fn[PFW_H_PRE_REQUEST] == NULL) {
        return 0;
    }
    r = PyObject_CallFunctionObjArgs(live_fn[PFW_H_PRE_REQUEST], worker,
                                     c->hook_req, NULL);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}


static PyObject *
make_response(pfw_conn *c)
{
    PyObject  *length;

    if (!c->started) {
        Py_RETURN_NONE;
    }
    length = c->r.has_length
             ? PyLong_FromUnsignedLongLong(c->r.content_length)
             : Py_NewRef(Py_None);
    if (length == NULL) {
        return NULL;
    }
    return ns_call("Response", "(OOKNOO)",
                   c->status != NULL ? c->status : Py_None,
                   c->headers != NULL ? c->headers : Py_None,
                   (unsigned long long) c->r.sent, length,
                   c->r.chunked ? Py_True : Py_False,
                   c->committed ? Py_True : Py_False);
}


/* After the response, whatever happened: post_request(worker, req,
 * environ, resp), before the request's objects are dropped. */
void
pfw_hooks_post_request(pfw_conn *c)
{
    PyObject  *resp, *r, *env;

    if (c->hook_req == NULL) {
        return;
    }
    if (live_fn[PFW_H_POST_REQUEST] != NULL && worker != NULL) {
        PyObject *exc_type, *exc_value, *exc_tb;

        PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
        set_attr(worker, "nr", PyLong_FromUnsignedLong(c->srv->nreq));
        env = c->environ != NULL ? c->environ : Py_None;
        if (c->environ != NULL) {
            r = PyDict_GetItemString(c->environ, "wsgi.url_scheme");
            if (r != NULL) {
                Py_INCREF(r);
                set_attr(c->hook_req, "scheme", r);
            }
        }
        resp = c->environ != NULL ? make_response(c) : Py_NewRef(Py_None);
        r = resp != NULL
            ? PyObject_CallFunctionObjArgs(live_fn[PFW_H_POST_REQUEST],
                                           worker, c->hook_req, env, resp,
                                           NULL)
            : NULL;
        if (r == NULL) {
            pfw_log_exception(PF_LOG_ERROR, "Exception in post_request hook");
        }
        Py_XDECREF(r);
        Py_XDECREF(resp);
        PyErr_Restore(exc_type, exc_value, exc_tb);
    }
    Py_CLEAR(c->hook_req);
}

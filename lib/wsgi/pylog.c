/*
 * --log-config, --log-config-json and logconfig_dict: Python's logging
 * takes the server's log lines, as gunicorn's Logger.setup() hands its
 * loggers to logging.config.
 *
 * gunicorn first gives gunicorn.error (and gunicorn.access when it has a
 * file or syslog) handlers of its own, then lets the configuration replace
 * them.  Here those handlers are ServerHandler objects whose emit() calls
 * back into lib/log's writers (file or stderr, syslog): a configuration
 * that leaves a logger alone keeps gunicorn's output byte for byte, one
 * that configures it gets exactly its own handlers, formatters and
 * filters.  Every error-log line (its bare message, at its level) goes to
 * logging.getLogger("gunicorn.error").log() (exceptions with exc_info);
 * each access record to logging.getLogger("gunicorn.access").info() as
 * gunicorn logs it: msg the --access-logformat, args the atoms (built
 * from the environ, the headers and lib/log's record), so Python renders
 * the line and formatters and filters can read record.args.
 *
 * Without a logconfig, gunicorn's loggers still exist wherever Python runs
 * (pfw_pylog_defaults, pylog.h): the same ServerHandler on each, no
 * forward, so the server's own lines never enter Python and only records
 * that app code logs (or hands to borrowed handlers) reach lib/log.
 *
 * The configuration is applied in the master, which starts the interpreter
 * for it; workers inherit the configured loggers through fork.  The
 * callbacks take the GIL with PyGILState_Ensure(), so they work from any
 * thread in any state: the master between two Python calls (GIL
 * released), a worker's main thread (held), the ev loop (held except while
 * it waits), gthread pool threads (their own thread state), a new worker
 * before its interpreter is told about the fork (the forking thread still
 * holds the GIL).
 */
#include "internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "log.h"
#include "pylog.h"

/* Python's side, part one: gunicorn's loggers without a logconfig
 * (defaults()).  This runs in every worker, so it imports nothing: until
 * something imports logging (the app, most often), a one-shot import hook
 * waits for it, and handler_src is compiled only then.  An app that never
 * logs pays neither for logging (its regular expressions: ~53M
 * instructions and ~600 kB per worker) nor for compiling the handler. */
static const char  boot_src[] =
    "import sys\n"
    "\n"
    "_args = None       # defaults()'s, for the hook\n"
    "_ready = False\n"
    "\n"
    "def _load():\n"
    "    # handler_src (_REST), once logging is wanted\n"
    "    global _ready\n"
    "    if not _ready:\n"
    "        exec(compile(_REST, '<prefork-wsgi pylog>', 'exec'), globals())\n"
    "        _ready = True\n"
    "\n"
    "class _Hook:\n"
    "    # on sys.meta_path until logging is imported, then gone\n"
    "    @staticmethod\n"
    "    def find_spec(name, path=None, target=None):\n"
    "        if name != 'logging':\n"
    "            return None\n"
    "        sys.meta_path.remove(_Hook)\n"
    "        _load()\n"
    "        for finder in sys.meta_path:\n"
    "            find = getattr(finder, 'find_spec', None)\n"
    "            spec = find(name, path, target) if find else None\n"
    "            if spec is not None:\n"
    "                spec.loader = _Then(spec.loader)\n"
    "                return spec\n"
    "        return None\n"
    "\n"
    "def defaults(write_error, write_access, level):\n"
    "    # now if logging is loaded, else when something imports it\n"
    "    global _args\n"
    "    _args = (write_error, write_access, level)\n"
    "    logging = sys.modules.get('logging')\n"
    "    if logging is not None:\n"
    "        _load()\n"
    "        _apply(logging, *_args)\n"
    "    elif _Hook not in sys.meta_path:\n"
    "        sys.meta_path.insert(0, _Hook)\n";

/* Part one and a half: the handler that writes through the C logger and
 * what gives it to gunicorn's loggers (run by _load()). */
static const char  handler_src[] =
    "ServerHandler = None\n"
    "_FMT = '%(asctime)s [%(process)d] [%(levelname)s] %(message)s'\n"
    "_DATEFMT = '[%Y-%m-%d %H:%M:%S %z]'\n"
    "_NAMES = {10: 'DEBUG', 20: 'INFO', 30: 'WARNING', 40: 'ERROR',\n"
    "          50: 'CRITICAL'}\n"
    "\n"
    "def _classes(logging):\n"
    "    # ServerHandler needs logging.Handler: made once logging is in\n"
    "    global ServerHandler\n"
    "    if ServerHandler is not None:\n"
    "        return\n"
    "\n"
    "    class ServerHandler(logging.Handler):\n"
    "        \"\"\"gunicorn's own handler of gunicorn.error or\n"
    "        gunicorn.access: the server's C logger writes the message\n"
    "        (and a traceback).\"\"\"\n"
    "\n"
    "        def __init__(self, write, line=None):\n"
    "            # line: the error log's writer of whole lines; its\n"
    "            # formatter is then gunicorn's, else the bare message\n"
    "            logging.Handler.__init__(self)\n"
    "            self._plain = logging.Formatter('%(message)s')\n"
    "            self.setFormatter(self._plain if line is None\n"
    "                              else logging.Formatter(_FMT, _DATEFMT))\n"
    "            self._mine = self.formatter\n"
    "            self.write = write\n"
    "            self.line = line\n"
    "            self._gunicorn = True\n"
    "\n"
    "        def emit(self, record):\n"
    "            try:\n"
    "                if self.line is None:\n"
    "                    self.write(record.levelno, self.format(record))\n"
    "                elif (self.formatter is self._mine and\n"
    "                      _NAMES.get(record.levelno) == record.levelname):\n"
    "                    # C adds time, pid and level, as to its own lines\n"
    "                    self.write(record.levelno,\n"
    "                               self._plain.format(record))\n"
    "                else:\n"
    "                    # the app's formatter, or a level of its own\n"
    "                    self.line(record.levelno, self.format(record))\n"
    "            except Exception:\n"
    "                self.handleError(record)\n"
    "\n"
    "def _own(log, write, line=None):\n"
    "    # one ServerHandler on log (none when write is None); one already\n"
    "    # there stays, so code that copied log.handlers keeps writing\n"
    "    mine = [h for h in log.handlers if isinstance(h, ServerHandler)]\n"
    "    if write is None:\n"
    "        for h in mine:\n"
    "            log.removeHandler(h)\n"
    "    elif mine:\n"
    "        mine[0].write = write\n"
    "    else:\n"
    "        log.addHandler(ServerHandler(write, line))\n"
    "\n"
    "def _apply(logging, write_error, write_access, level):\n"
    "    # gunicorn's Logger without a logconfig: gunicorn.error at\n"
    "    # --log-level, gunicorn.access at INFO with a handler only when an\n"
    "    # access log or syslog takes its lines, neither propagating\n"
    "    _classes(logging)\n"
    "    err = logging.getLogger('gunicorn.error')\n"
    "    acc = logging.getLogger('gunicorn.access')\n"
    "    err.propagate = False\n"
    "    acc.propagate = False\n"
    "    err.setLevel(level)\n"
    "    acc.setLevel(logging.INFO)\n"
    "    _own(err, write_error, _line)\n"
    "    _own(acc, write_access)\n"
    "\n"
    "class _Then:\n"
    "    # logging's loader: gunicorn's loggers right after its code ran\n"
    "    def __init__(self, loader):\n"
    "        self.loader = loader\n"
    "\n"
    "    def __getattr__(self, name):\n"
    "        return getattr(self.loader, name)\n"
    "\n"
    "    def create_module(self, spec):\n"
    "        return self.loader.create_module(spec)\n"
    "\n"
    "    def exec_module(self, module):\n"
    "        self.loader.exec_module(module)\n"
    "        _apply(module, *_args)\n";

/* Part two, run once a logconfig is given: gunicorn's base dictionary
 * for dictConfig, the access record, setup() and reopen(). */
static const char  config_src[] =
    "import base64, binascii, json, logging.config, os, time\n"
    "import traceback\n"
    "_load()\n"
    "_classes(logging)\n"
    "\n"
    "# gunicorn's CONFIG_DEFAULTS (glogging.py), which logconfig_dict and\n"
    "# the JSON file are merged over, key by key (a shallow update)\n"
    "BASE = {\n"
    "    'version': 1,\n"
    "    'disable_existing_loggers': False,\n"
    "    'root': {'level': 'INFO', 'handlers': ['console']},\n"
    "    'loggers': {\n"
    "        'gunicorn.error': {'level': 'INFO',\n"
    "                           'handlers': ['error_console'],\n"
    "                           'propagate': True,\n"
    "                           'qualname': 'gunicorn.error'},\n"
    "        'gunicorn.access': {'level': 'INFO',\n"
    "                            'handlers': ['console'],\n"
    "                            'propagate': True,\n"
    "                            'qualname': 'gunicorn.access'},\n"
    "    },\n"
    "    'handlers': {\n"
    "        'console': {'class': 'logging.StreamHandler',\n"
    "                    'formatter': 'generic',\n"
    "                    'stream': 'ext://sys.stdout'},\n"
    "        'error_console': {'class': 'logging.StreamHandler',\n"
    "                          'formatter': 'generic',\n"
    "                          'stream': 'ext://sys.stderr'},\n"
    "    },\n"
    "    'formatters': {\n"
    "        'generic': {\n"
    "            'format': '%(asctime)s [%(process)d] [%(levelname)s] '\n"
    "                      '%(message)s',\n"
    "            'datefmt': '[%Y-%m-%d %H:%M:%S %z]',\n"
    "            'class': 'logging.Formatter'},\n"
    "    },\n"
    "}\n"
    "\n"
    "class SafeAtoms(dict):\n"
    "    \"\"\"The access record's args, as gunicorn's: every str with its\n"
    "    double quotes escaped, '-' for an atom that is not there, {...}\n"
    "    keys found whatever their case.\"\"\"\n"
    "\n"
    "    def __init__(self, atoms):\n"
    "        dict.__init__(self, ((k, v.replace('\"', '\\\\\"')\n"
    "                              if isinstance(v, str) else v)\n"
    "                             for k, v in atoms.items()))\n"
    "\n"
    "    def __getitem__(self, key):\n"
    "        if key.startswith('{'):\n"
    "            key = key.lower()\n"
    "        return dict.__getitem__(self, key) if key in self else '-'\n"
    "\n"
    "def _user(environ):\n"
    "    # the user name of 'Authorization: Basic', or None\n"
    "    auth = environ.get('HTTP_AUTHORIZATION')\n"
    "    if not auth or not auth.lower().startswith('basic'):\n"
    "        return None\n"
    "    scheme_and_rest = auth.split(' ', 1)\n"
    "    if len(scheme_and_rest) != 2:\n"
    "        return None\n"
    "    try:\n"
    "        text = base64.b64decode(\n"
    "            scheme_and_rest[1].strip().encode('utf-8')).decode('utf-8')\n"
    "    except (TypeError, binascii.Error, UnicodeDecodeError) as e:\n"
    "        logging.getLogger('gunicorn.error').debug(\n"
    "            \"Couldn't get username: %s\", e)\n"
    "        return None\n"
    "    name, colon, _ = text.partition(':')\n"
    "    return name if colon else None\n"
    "\n"
    "def _atoms(environ, status, sent, usec, req, resp):\n"
    "    secs, micros = divmod(usec, 1000000)\n"
    "    secs %= 86400                  # timedelta.seconds\n"
    "    atoms = {\n"
    "        'h': environ.get('REMOTE_ADDR', '-'),\n"
    "        'l': '-',\n"
    "        'u': _user(environ) or '-',\n"
    "        't': time.strftime('[%d/%b/%Y:%H:%M:%S %z]'),\n"
    "        'r': '%s %s %s' % (environ['REQUEST_METHOD'],\n"
    "                           environ['RAW_URI'],\n"
    "                           environ['SERVER_PROTOCOL']),\n"
    "        's': status,\n"
    "        'm': environ.get('REQUEST_METHOD'),\n"
    "        'U': environ.get('PATH_INFO'),\n"
    "        'q': environ.get('QUERY_STRING'),\n"
    "        'H': environ.get('SERVER_PROTOCOL'),\n"
    "        'b': '-' if sent is None else str(sent),\n"
    "        'B': sent,\n"
    "        'f': environ.get('HTTP_REFERER', '-'),\n"
    "        'a': environ.get('HTTP_USER_AGENT', '-'),\n"
    "        'T': secs,\n"
    "        'D': secs * 1000000 + micros,\n"
    "        'M': secs * 1000 + micros // 1000,\n"
    "        'L': '%d.%06d' % (secs, micros),\n"
    "        'p': '<%s>' % os.getpid(),\n"
    "    }\n"
    "    for name, value in req:\n"
    "        atoms['{%s}i' % name.lower()] = value\n"
    "    for name, value in resp:\n"
    "        atoms['{%s}o' % name.lower()] = value\n"
    "    for name, value in environ.items():\n"
    "        atoms['{%s}e' % name.lower()] = value\n"
    "    return SafeAtoms(atoms)\n"
    "\n"
    "def _access_logger(fmt):\n"
    "    err = logging.getLogger('gunicorn.error')\n"
    "    acc = logging.getLogger('gunicorn.access')\n"
    "\n"
    "    def access(*request):\n"
    "        # the record: msg the format, args the atoms (gunicorn's)\n"
    "        try:\n"
    "            acc.info(fmt, _atoms(*request))\n"
    "        except Exception:\n"
    "            err.error(traceback.format_exc())\n"
    "    return access\n"
    "\n"
    "def _object(repr_):\n"
    "    # the config file's own object (classes and callables survive),\n"
    "    # else its repr read back\n"
    "    import sys\n"
    "    mod = sys.modules.get('__config__')\n"
    "    obj = getattr(mod, 'logconfig_dict', None)\n"
    "    if isinstance(obj, dict):\n"
    "        return obj\n"
    "    return eval(repr_, {'__builtins__': {}}) if repr_ else {}\n"
    "\n"
    "def setup(write_error, write_access, first, level, access_format,\n"
    "          dict_repr, json_path, ini_path):\n"
    "    err = logging.getLogger('gunicorn.error')\n"
    "    acc = logging.getLogger('gunicorn.access')\n"
    "    for log in (err, acc):\n"
    "        if first:\n"
    "            log.propagate = False\n"
    "        for h in list(log.handlers):\n"
    "            if getattr(h, '_gunicorn', False):\n"
    "                log.removeHandler(h)\n"
    "    err.setLevel(level)\n"
    "    acc.setLevel(logging.INFO)\n"
    "    err.addHandler(ServerHandler(write_error, _line))\n"
    "    if write_access is not None:\n"
    "        acc.addHandler(ServerHandler(write_access))\n"
    "    given = _object(dict_repr) if dict_repr else {}\n"
    "    if given:\n"
    "        config = dict(BASE)\n"
    "        config.update(given)\n"
    "        try:\n"
    "            logging.config.dictConfig(config)\n"
    "        except (AttributeError, ImportError, ValueError,\n"
    "                TypeError) as e:\n"
    "            raise RuntimeError(str(e)) from e\n"
    "    elif json_path:\n"
    "        if os.path.exists(json_path):\n"
    "            config = dict(BASE)\n"
    "            try:\n"
    "                with open(json_path) as f:\n"
    "                    config.update(json.load(f))\n"
    "                logging.config.dictConfig(config)\n"
    "            except (json.JSONDecodeError, AttributeError, ImportError,\n"
    "                    ValueError, TypeError) as e:\n"
    "                raise RuntimeError(str(e)) from e\n"
    "    elif ini_path:\n"
    "        if not os.path.exists(ini_path):\n"
    "            raise RuntimeError(\"Error: log config '%s' not found\"\n"
    "                               % ini_path)\n"
    "        defaults = dict(BASE)\n"
    "        defaults['__file__'] = ini_path\n"
    "        defaults['here'] = os.path.dirname(ini_path)\n"
    "        logging.config.fileConfig(ini_path, defaults=defaults,\n"
    "                                  disable_existing_loggers=False)\n"
    "    return (err.getEffectiveLevel(), err.log,\n"
    "            _access_logger(access_format))\n"
    "\n"
    "def reopen():\n"
    "    # gunicorn's reopen_files(): every FileHandler of every named\n"
    "    # logger (not the root's), closed and opened again\n"
    "    for name in list(logging.root.manager.loggerDict):\n"
    "        for h in logging.getLogger(name).handlers:\n"
    "            if isinstance(h, logging.FileHandler):\n"
    "                h.acquire()\n"
    "                try:\n"
    "                    if h.stream:\n"
    "                        h.close()\n"
    "                        h.stream = h._open()\n"
    "                finally:\n"
    "                    h.release()\n";

static PyObject     *ns;           /* boot_src's (and the others') */
static PyObject     *log_error;    /* gunicorn.error's bound log() */
static PyObject     *log_access;   /* access(environ, status, sent, usec,
                                      req, resp) */
static pfw_logging  *target;       /* what ServerHandler writes to */
static int           set_up;       /* setup() ran once (propagate set) */

/* pfw_pylog_exception's traceback for the line it is logging. */
static _Thread_local PyObject  *pending_exc;


static int
to_python_level(int level)
{
    return (level + 1) * 10;       /* PF_LOG_DEBUG .. CRITICAL: 10 .. 50 */
}


/* The lowest PF_LOG_* level a logger of effective level lv keeps. */
static int
from_python_level(long lv)
{
    int  l;

    for (l = PF_LOG_DEBUG; l < PF_LOG_CRITICAL; l++) {
        if (to_python_level(l) >= lv) {
            break;
        }
    }
    return l;
}


/* A record's level as ours: one between two of ours is the lower. */
static int
record_level(int lv)
{
    return lv >= 50 ? PF_LOG_CRITICAL : lv >= 40 ? PF_LOG_ERROR
           : lv >= 30 ? PF_LOG_WARNING : lv >= 20 ? PF_LOG_INFO
           : PF_LOG_DEBUG;
}


enum { TO_ERROR, TO_ERROR_LINE, TO_ACCESS };


/* ServerHandler's writes: (levelno, text) to the C logger, the GIL
 * released while it writes (a syslog client may wait, or warn about
 * itself).  TO_ERROR: a bare message the C error log formats; TO_ERROR_LINE:
 * a whole line Python formatted; TO_ACCESS: an access line. */
static PyObject *
forward(PyObject *args, int to)
{
    const char  *s;
    Py_ssize_t   n;
    int          lv;

    if (!PyArg_ParseTuple(args, "is#", &lv, &s, &n)) {
        return NULL;
    }
    if (target != NULL) {
        Py_BEGIN_ALLOW_THREADS
        if (to == TO_ACCESS) {
            pfw_logging_emit_access(target, s, (size_t) n);
        } else if (to == TO_ERROR_LINE) {
            pfw_logging_emit_error_line(target, record_level(lv), s,
                                        (size_t) n);
        } else {
            pfw_logging_emit_error(target, record_level(lv), s, (size_t) n);
        }
        Py_END_ALLOW_THREADS
    }
    Py_RETURN_NONE;
}


static PyObject *
write_error(PyObject *self, PyObject *args)
{
    (void) self;
    return forward(args, TO_ERROR);
}


static PyObject *
write_line(PyObject *self, PyObject *args)
{
    (void) self;
    return forward(args, TO_ERROR_LINE);
}


static PyObject *
write_access(PyObject *self, PyObject *args)
{
    (void) self;
    return forward(args, TO_ACCESS);
}


static PyMethodDef  write_error_def = {
    "write_error", write_error, METH_VARARGS, NULL
};
static PyMethodDef  write_access_def = {
    "write_access", write_access, METH_VARARGS, NULL
};
static PyMethodDef  write_line_def = {
    "write_line", write_line, METH_VARARGS, NULL
};


/* Call fn(*args, **kw) (the GIL held, no exception pending); one it
 * raises is reported on stderr.  args NULL: building them failed. */
static void
call(PyObject *fn, PyObject *args, PyObject *kw)
{
    PyObject  *r;

    r = args != NULL ? PyObject_Call(fn, args, kw) : NULL;
    if (r == NULL && PyErr_Occurred()) {
        PyErr_WriteUnraisable(fn);
    }
    Py_XDECREF(r);
}


/* Take the GIL; the caller's pending exception (a C caller logging while
 * one is set) is kept aside until leave(). */
typedef struct {
    PyGILState_STATE   g;
    PyObject          *type, *value, *tb;
} held;


static void
enter(held *h)
{
    h->g = PyGILState_Ensure();
    PyErr_Fetch(&h->type, &h->value, &h->tb);
}


static void
leave(held *h)
{
    PyErr_Restore(h->type, h->value, h->tb);
    PyGILState_Release(h->g);
}


static PyObject *
message(const char *msg, size_t len)
{
    PyObject  *m;

    m = PyUnicode_DecodeUTF8(msg, (Py_ssize_t) len, "replace");
    if (m == NULL) {
        PyErr_Clear();
    }
    return m;
}


static void
fwd_error(void *ud, int level, const char *msg, size_t len)
{
    held       h;
    PyObject  *m, *args, *kw = NULL;

    (void) ud;
    if (!Py_IsInitialized() || log_error == NULL) {
        pfw_logging_emit_error(target, level, msg, len);
        return;
    }
    enter(&h);
    m = message(msg, len);
    args = m != NULL ? Py_BuildValue("(iN)", to_python_level(level), m)
                     : NULL;
    if (pending_exc != NULL) {
        kw = Py_BuildValue("{sO}", "exc_info", pending_exc);
    }
    call(log_error, args, kw);
    Py_XDECREF(args);
    Py_XDECREF(kw);
    leave(&h);
}


/* A str of the latin-1 bytes gunicorn decoded; None for NULL. */
static PyObject *
latin1(const char *p, size_t n)
{
    if (p == NULL) {
        Py_RETURN_NONE;
    }
    return PyUnicode_DecodeLatin1(p, (Py_ssize_t) n, NULL);
}


/* [(name, value), ...]; a continuation line joins its field with ' '. */
static PyObject *
header_list(const pfw_hdr *h, size_t n)
{
    PyObject    *list, *t, *v, *joined;
    Py_ssize_t   last;
    size_t       i;

    list = PyList_New(0);
    for (i = 0; list != NULL && i < n; i++) {
        v = latin1(h[i].value, h[i].value_len);
        if (v != NULL && h[i].name == NULL) {
            last = PyList_GET_SIZE(list) - 1;
            t = last >= 0 ? PyList_GET_ITEM(list, last) : NULL;
            joined = t != NULL
                ? PyUnicode_FromFormat("%U %U", PyTuple_GET_ITEM(t, 1), v)
                : NULL;
            t = joined != NULL
                ? Py_BuildValue("(ON)", PyTuple_GET_ITEM(t, 0), joined)
                : NULL;
            if (t != NULL) {
                PyList_SetItem(list, last, t);
            }
            Py_DECREF(v);
            PyErr_Clear();
            continue;
        }
        t = v != NULL ? Py_BuildValue("(NN)", latin1(h[i].name,
                                                     h[i].name_len), v)
                      : NULL;
        if (t == NULL || PyList_Append(list, t) < 0) {
            Py_XDECREF(t);
            Py_CLEAR(list);
            break;
        }
        Py_DECREF(t);
    }
    return list;
}


static int
put(PyObject *d, const char *key, const char *p, size_t n)
{
    PyObject  *v;
    int        rc;

    if (p == NULL) {
        return 0;
    }
    v = latin1(p, n);
    rc = v != NULL ? PyDict_SetItemString(d, key, v) : -1;
    Py_XDECREF(v);
    return rc;
}


/* The request's environ: lib/wsgi's access.c gives it as the {x}e
 * lookup's data; without one (an error page answered before it was
 * built), the few keys gunicorn's default environ has. */
static PyObject *
environ_of(const pfw_access_rec *r)
{
    PyObject  *d;

    if (r->env != NULL && r->env_ud != NULL && PyDict_Check(r->env_ud)) {
        return Py_NewRef((PyObject *) r->env_ud);
    }
    d = PyDict_New();
    if (d == NULL
        || put(d, "REMOTE_ADDR", r->remote_addr, r->remote_addr_len) < 0
        || put(d, "REQUEST_METHOD", r->method, r->method_len) < 0
        || put(d, "RAW_URI", r->raw_uri, r->raw_uri_len) < 0
        || put(d, "PATH_INFO", r->path, r->path_len) < 0
        || put(d, "QUERY_STRING", r->query, r->query_len) < 0
        || put(d, "SERVER_PROTOCOL", r->protocol, r->protocol_len) < 0)
    {
        Py_XDECREF(d);
        return NULL;
    }
    return d;
}


static void
fwd_access(void *ud, const pfw_access_rec *r, const char *line, size_t len)
{
    held       h;
    PyObject  *args = NULL, *o[5];
    int        i;

    (void) ud;
    if (!Py_IsInitialized() || log_access == NULL) {
        pfw_logging_emit_access(target, line, len);
        return;
    }
    enter(&h);
    o[0] = environ_of(r);
    o[1] = r->status_text != NULL
           ? latin1(r->status_text, r->status_text_len)
           : PyUnicode_FromFormat("%d", r->status);
    o[2] = r->sent_known ? PyLong_FromUnsignedLongLong(r->sent)
                         : Py_NewRef(Py_None);
    o[3] = header_list(r->req_headers, r->n_req_headers);
    o[4] = header_list(r->resp_headers, r->n_resp_headers);
    if (o[0] != NULL && o[1] != NULL && o[2] != NULL && o[3] != NULL
        && o[4] != NULL)
    {
        args = Py_BuildValue("(OOOKOO)", o[0], o[1], o[2],
                             (unsigned long long) r->duration_us, o[3],
                             o[4]);
    }
    for (i = 0; i < 5; i++) {
        Py_XDECREF(o[i]);
    }
    call(log_access, args, NULL);
    Py_XDECREF(args);
    leave(&h);
}


static void
fwd_reopen(void *ud)
{
    held       h;
    PyObject  *fn, *args;

    (void) ud;
    if (!Py_IsInitialized() || ns == NULL) {
        return;
    }
    enter(&h);
    fn = PyDict_GetItemString(ns, "reopen");
    args = PyTuple_New(0);
    if (fn != NULL) {
        call(fn, args, NULL);
    }
    Py_XDECREF(args);
    leave(&h);
}


int
pfw_pylog_exception(int level, const char *head, PyObject *type,
    PyObject *value, PyObject *tb)
{
    if (log_error == NULL || target == NULL) {
        return -1;
    }
    pfw_errlog_mark(0);            /* not through the sink: no mark */
    if (level < pf_log_level()) {
        return 0;                  /* as pf_log() would drop it */
    }
    pending_exc = Py_BuildValue("(OOO)", type, value != NULL ? value : Py_None,
                                tb != NULL ? tb : Py_None);
    if (pending_exc == NULL) {
        PyErr_Clear();
        return -1;
    }
    /* counted as gunicorn.log.exception, then to fwd_error */
    pfw_errlog_write(pfw_logging_errlog(target), level, head, strlen(head),
                     PFW_LOGF_EXCEPTION);
    Py_CLEAR(pending_exc);
    return 0;
}


/* sys.argv for an interpreter started here: the command line as it still
 * is before the process title overwrites it. */
static char **
read_argv(void)
{
    char     buf[16384], **v, *p;
    ssize_t  n, got = 0;
    size_t   argc = 0, i;
    int      fd;

    fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return NULL;
    }
    while (got < (ssize_t) sizeof(buf) - 1
           && (n = read(fd, buf + got, sizeof(buf) - 1 - (size_t) got)) > 0)
    {
        got += n;
    }
    close(fd);
    if (got <= 0) {
        return NULL;
    }
    buf[got] = '\0';
    for (p = buf; p < buf + got; p += strlen(p) + 1) {
        argc++;
    }
    v = calloc(argc + 1, sizeof(char *));
    if (v == NULL) {
        return NULL;
    }
    for (i = 0, p = buf; i < argc; i++, p += strlen(p) + 1) {
        v[i] = strdup(p);
        if (v[i] == NULL) {
            return v;              /* shorter, still NULL-terminated */
        }
    }
    return v;
}


static int
start(const pfw_pylog_conf *c)
{
    static char  **argv;
    pfw_app        boot;

    pfw_app_init(&boot);
    boot.pythonpath = c->pythonpath;
    if (!pfw_interp_live()) {
        if (argv == NULL) {
            argv = read_argv();
        }
        boot.argv = argv;
    }
    return pfw_interp_start(&boot);
}


static int
run(const char *src, PyObject *d)
{
    PyObject  *code, *r;

    code = Py_CompileString(src, "<prefork-wsgi pylog>", Py_file_input);
    r = code != NULL ? PyEval_EvalCode(code, d, d) : NULL;
    Py_XDECREF(code);
    Py_XDECREF(r);
    return r != NULL ? 0 : -1;
}


/* boot_src's namespace, made once; _line is the error log's writer of
 * whole lines, _REST handler_src's text. */
static PyObject *
namespace(void)
{
    PyObject  *line, *rest;
    int        rc;

    if (ns != NULL) {
        return ns;
    }
    ns = PyDict_New();
    if (ns == NULL) {
        return NULL;
    }
    line = PyCFunction_New(&write_line_def, NULL);
    rc = line != NULL ? PyDict_SetItemString(ns, "_line", line) : -1;
    Py_XDECREF(line);
    rest = rc == 0 ? PyUnicode_FromString(handler_src) : NULL;
    rc = rest != NULL ? PyDict_SetItemString(ns, "_REST", rest) : -1;
    Py_XDECREF(rest);
    if (rc < 0
        || PyDict_SetItemString(ns, "__builtins__", PyEval_GetBuiltins()) < 0
        || run(boot_src, ns) != 0)
    {
        Py_CLEAR(ns);
        return NULL;
    }
    return ns;
}


/* The same namespace with config_src's functions, for a logconfig. */
static PyObject *
config_namespace(void)
{
    static int  done;

    if (namespace() == NULL) {
        return NULL;
    }
    if (!done) {
        if (run(config_src, ns) != 0) {
            return NULL;
        }
        done = 1;
    }
    return ns;
}


/* The exception setup() raised: gunicorn's RuntimeError becomes err (its
 * caller prints "\nError: %s\n\n" and exits 1, as gunicorn's run() does);
 * anything else escapes gunicorn and Python prints its traceback. */
static int
failed(char *err, size_t errlen)
{
    PyObject    *type, *value, *tb, *s;
    const char  *text;

    if (!PyErr_ExceptionMatches(PyExc_RuntimeError)) {
        PyErr_Print();
        fflush(stderr);
        snprintf(err, errlen, "the logging configuration failed");
        return PFW_PYLOG_PRINTED;
    }
    PyErr_Fetch(&type, &value, &tb);
    s = value != NULL ? PyObject_Str(value) : NULL;
    text = s != NULL ? PyUnicode_AsUTF8(s) : NULL;
    snprintf(err, errlen, "%s", text != NULL ? text : "RuntimeError");
    PyErr_Clear();
    Py_XDECREF(s);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    return -1;
}


/* ServerHandler's writers; *wa stays NULL when lg's access lines go
 * nowhere (gunicorn then gives gunicorn.access no handler).  -1 with a
 * Python exception set. */
static int
writers(pfw_logging *lg, PyObject **we, PyObject **wa)
{
    *wa = NULL;
    *we = PyCFunction_New(&write_error_def, NULL);
    if (*we == NULL) {
        return -1;
    }
    if (pfw_logging_access_handled(lg)) {
        *wa = PyCFunction_New(&write_access_def, NULL);
        if (*wa == NULL) {
            Py_CLEAR(*we);
            return -1;
        }
    }
    return 0;
}


static int
configure(const pfw_pylog_conf *c, pfw_logging *lg, char *err,
    size_t errlen, long *level)
{
    PyObject  *we, *wa, *r;
    int        lv;

    if (config_namespace() == NULL || writers(lg, &we, &wa) != 0) {
        return failed(err, errlen);
    }
    lv = to_python_level(pfw_log_level_parse(c->loglevel));
    r = PyObject_CallFunction(PyDict_GetItemString(ns, "setup"), "OOiiszzz",
                              we, wa != NULL ? wa : Py_None, !set_up, lv,
                              c->access_log_format != NULL
                                  ? c->access_log_format
                                  : PFW_ACCESS_DEFAULT_FORMAT,
                              c->logconfig_dict, c->logconfig_json,
                              c->logconfig);
    Py_XDECREF(we);
    Py_XDECREF(wa);
    if (r == NULL) {
        return failed(err, errlen);
    }
    set_up = 1;
    Py_XSETREF(log_error, Py_NewRef(PyTuple_GET_ITEM(r, 1)));
    Py_XSETREF(log_access, Py_NewRef(PyTuple_GET_ITEM(r, 2)));
    *level = PyLong_AsLong(PyTuple_GET_ITEM(r, 0));
    Py_DECREF(r);
    if (*level == -1 && PyErr_Occurred()) {
        PyErr_Clear();
        *level = 0;
    }
    return 0;
}


/* gunicorn's two loggers without a logconfig, writing to lg (the GIL
 * held): the error log's level, no forward (lib/log keeps writing the
 * server's own lines itself; only Python code's records go through
 * ServerHandler).  -1 with a Python exception set. */
static int
give_defaults(pfw_logging *lg)
{
    PyObject  *we, *wa, *fn, *r;
    int        lv;

    if (namespace() == NULL || writers(lg, &we, &wa) != 0) {
        return -1;
    }
    target = lg;
    lv = to_python_level(pfw_errlog_level(pfw_logging_errlog(lg)));
    fn = PyDict_GetItemString(ns, "defaults");
    r = fn != NULL ? PyObject_CallFunction(fn, "OOi", we,
                                           wa != NULL ? wa : Py_None, lv)
                   : NULL;
    Py_DECREF(we);
    Py_XDECREF(wa);
    if (r == NULL) {
        return -1;
    }
    Py_DECREF(r);
    return 0;
}


void
pfw_pylog_defaults(void)
{
    pfw_logging  *lg = pfw_log_current();

    /* no logger yet (a configuration file read before the logs open),
     * or a logconfig already configured these loggers */
    if (lg == NULL || log_error != NULL) {
        return;
    }
    if (give_defaults(lg) != 0) {
        pfw_log_exception(PF_LOG_WARNING, "gunicorn.error and "
                          "gunicorn.access were not set up");
    }
}


/* No logconfig: with Python running here (a configuration file,
 * --preload), its gunicorn loggers follow lg and its level now; else
 * each worker sets them up when its interpreter starts. */
static int
setup_defaults(pfw_logging *lg)
{
    if (!pfw_interp_live()) {
        return 0;
    }
    pfw_interp_enter();
    if (log_error != NULL) {
        target = lg;               /* a previous logconfig's handlers */
    } else if (give_defaults(lg) != 0) {
        pfw_log_exception(PF_LOG_WARNING, "gunicorn.error and "
                          "gunicorn.access were not set up");
    }
    pfw_interp_release();
    return 0;
}


int
pfw_pylog_setup(const pfw_pylog_conf *c, pfw_logging *lg, char *err,
    size_t errlen)
{
    pfw_log_forward  fw;
    pfw_logging     *old = target;
    long             level = 0;
    int              rc;

    if (c->logconfig == NULL && c->logconfig_json == NULL
        && c->logconfig_dict == NULL)
    {
        return setup_defaults(lg);
    }
    if (start(c) != 0) {
        snprintf(err, errlen, "the Python interpreter did not start (see "
                 "above)");
        return -1;
    }
    /* the handlers write to the new logger from now on */
    target = lg;
    rc = configure(c, lg, err, errlen, &level);
    pfw_interp_release();
    if (rc != 0) {
        target = old;              /* a reload keeps the previous one */
        return rc;
    }
    memset(&fw, 0, sizeof(fw));
    fw.error = fwd_error;
    fw.access = fwd_access;
    fw.reopen = fwd_reopen;
    fw.ud = lg;
    fw.min_level = from_python_level(level);
    pfw_logging_set_forward(lg, &fw);
    return 0;
}


void
pfw_pylog_retarget(pfw_logging *lg)
{
    target = lg;
}

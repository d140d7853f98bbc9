/*
 * gunicorn's Python configuration file (-c PATH, file:PATH, python:MODULE,
 * ./gunicorn.conf.py), executed by the embedded interpreter in the master
 * exactly as gunicorn's Application.get_config_from_filename does: module
 * __config__, registered in sys.modules, a warning for a name without a
 * Python extension, "Failed to read config file" and the traceback when it
 * raises.  Each module-level name the sink knows is converted to a typed
 * value (or, for hooks, checked as gunicorn's validate_callable checks
 * it) and handed to the sink, in the module's order.
 *
 * The interpreter starts here when nothing started it before: a config
 * file is the one reason, with --preload, for Python in the master.  It
 * stays, holding the hooks the file defined, and workers inherit it.
 */
#include "internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char loader_src[] =
    "import importlib, importlib.machinery, importlib.util, inspect, os\n"
    "import sys, traceback\n"
    "\n"
    "class Failed(Exception):\n"
    "    pass\n"
    "\n"
    "def _warn(msg):\n"
    "    print('!!!', file=sys.stderr)\n"
    "    for i, line in enumerate(msg.splitlines()):\n"
    "        if i == 0:\n"
    "            line = 'WARNING: %s' % line\n"
    "        print('!!! %s' % line, file=sys.stderr)\n"
    "    print('!!!\\n', file=sys.stderr)\n"
    "    sys.stderr.flush()\n"
    "\n"
    "def _from_filename(filename):\n"
    "    if not os.path.exists(filename):\n"
    "        raise RuntimeError(\"%r doesn't exist\" % filename)\n"
    "    ext = os.path.splitext(filename)[1]\n"
    "    try:\n"
    "        name = '__config__'\n"
    "        if ext in ['.py', '.pyc']:\n"
    "            spec = importlib.util.spec_from_file_location(name, filename)\n"
    "        else:\n"
    "            _warn('configuration file should have a valid Python'\n"
    "                  ' extension.\\n')\n"
    "            loader_ = importlib.machinery.SourceFileLoader(name, filename)\n"
    "            spec = importlib.util.spec_from_file_location(\n"
    "                name, filename, loader=loader_)\n"
    "        mod = importlib.util.module_from_spec(spec)\n"
    "        sys.modules[name] = mod\n"
    "        spec.loader.exec_module(mod)\n"
    "    except Exception:\n"
    "        print('Failed to read config file: %s' % filename,\n"
    "              file=sys.stderr)\n"
    "        traceback.print_exc()\n"
    "        sys.stderr.flush()\n"
    "        raise Failed()\n"
    "    return vars(mod)\n"
    "\n"
    "def load(location):\n"
    "    \"\"\"The module's namespace, or an exit status (printed).\"\"\"\n"
    "    try:\n"
    "        if location.startswith('python:'):\n"
    "            return vars(importlib.import_module(location[7:]))\n"
    "        if location.startswith('file:'):\n"
    "            location = location[5:]\n"
    "        return _from_filename(location)\n"
    "    except Failed:\n"
    "        return 1\n"
    "    except SystemExit as e:\n"
    "        if e.code is None or e.code == 0:\n"
    "            return 256\n"
    "        if isinstance(e.code, int):\n"
    "            return e.code & 255 or 1\n"
    "        print(e.code, file=sys.stderr)\n"
    "        return 1\n"
    "    except Exception as e:\n"
    "        print('\\nError: %s' % str(e), file=sys.stderr)\n"
    "        sys.stderr.flush()\n"
    "        return 1\n"
    "\n"
    "def _arity(f):\n"
    "    positionals = (inspect.Parameter.POSITIONAL_ONLY,\n"
    "                   inspect.Parameter.POSITIONAL_OR_KEYWORD)\n"
    "    return sum(p.kind in positionals\n"
    "               for p in inspect.signature(f).parameters.values())\n"
    "\n"
    "def _qualname(f):\n"
    "    return getattr(f, '__qualname__', type(f).__qualname__)\n"
    "\n"
    "def hook(val, arity):\n"
    "    \"\"\"gunicorn's validate_callable(arity) (validate_post_request for\n"
    "    -1): (callable, qualname), or TypeError.\"\"\"\n"
    "    if isinstance(val, str):\n"
    "        try:\n"
    "            mod_name, obj_name = val.rsplit('.', 1)\n"
    "        except ValueError:\n"
    "            raise TypeError(\"Value '%s' is not import string. \"\n"
    "                            'Format: module[.submodules...].object'\n"
    "                            % val)\n"
    "        try:\n"
    "            mod = __import__(mod_name, fromlist=[obj_name])\n"
    "            val = getattr(mod, obj_name)\n"
    "        except ImportError as e:\n"
    "            raise TypeError(str(e))\n"
    "        except AttributeError:\n"
    "            raise TypeError(\"Can not load '%s' from '%s'\"\n"
    "                            % (obj_name, mod_name))\n"
    "    if not callable(val):\n"
    "        raise TypeError('Value is not callable: %s' % val)\n"
    "    if arity != -1:\n"
    "        if arity != _arity(val):\n"
    "            raise TypeError('Value must have an arity of: %s' % arity)\n"
    "        return val, _qualname(val)\n"
    "    n = _arity(val)\n"
    "    if n == 4:\n"
    "        return val, _qualname(val)\n"
    "    if n == 3:\n"
    "        w = lambda worker, req, env, _r: val(worker, req, env)\n"
    "    elif n == 2:\n"
    "        w = lambda worker, req, _e, _r: val(worker, req)\n"
    "    else:\n"
    "        raise TypeError('Value must have an arity of: 4')\n"
    "    return w, 'validate_post_request.<locals>.<lambda>'\n";

static PyObject  *loader;            /* loader_src's namespace */

/* One converted value and what keeps its strings alive. */
typedef struct {
    pfw_cfgval    v;
    PyObject     *keep;              /* list of bytes/str objects */
    const char  **items;             /* malloc'd */
    const char   *tname_item[1];
} conv;


int
pfw_python_live(void)
{
    return pfw_interp_live();
}


static PyObject *
loader_namespace(void)
{
    if (loader == NULL) {
        loader = pfw_py_namespace(loader_src, "<prefork-wsgi config>", NULL);
    }
    return loader;
}


/* UTF-8 of a str (lone surrogates as their bytes, as os.fsencode), kept
 * alive by k->keep. */
static const char *
keep_utf8(conv *k, PyObject *s)
{
    PyObject  *b;

    b = PyUnicode_Check(s) ? PyUnicode_AsEncodedString(s, "utf-8",
                                                       "surrogateescape")
                           : NULL;
    if (b == NULL) {
        PyErr_Clear();
        b = PyBytes_FromString("?");
        if (b == NULL) {
            return NULL;
        }
    }
    if (PyList_Append(k->keep, b) < 0) {
        Py_DECREF(b);
        return NULL;
    }
    Py_DECREF(b);
    return PyBytes_AS_STRING(b);
}


/* str(o) kept alive; a str() that raises shows as repr-less "<object>". */
static const char *
keep_str(conv *k, PyObject *o)
{
    PyObject    *s;
    const char  *r;

    s = PyObject_Str(o);
    if (s == NULL) {
        PyErr_Clear();
        s = PyUnicode_FromString("<object>");
        if (s == NULL) {
            return NULL;
        }
    }
    r = keep_utf8(k, s);
    Py_DECREF(s);
    return r;
}


static int
all_str(PyObject *seq)
{
    Py_ssize_t  i;

    for (i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
        if (!PyUnicode_Check(PySequence_Fast_GET_ITEM(seq, i))) {
            return 0;
        }
    }
    return 1;
}


static int
convert_list(conv *k, PyObject *o)
{
    PyObject    *seq;
    Py_ssize_t   i, n;
    int          r = -1;

    seq = PySequence_Fast(o, "not a sequence");
    if (seq == NULL) {
        return -1;
    }
    if (!all_str(seq)) {
        Py_DECREF(seq);
        return 1;                         /* an OBJECT then */
    }
    n = PySequence_Fast_GET_SIZE(seq);
    k->items = calloc((size_t) n + 1, sizeof(char *));
    if (k->items != NULL) {
        for (i = 0; i < n; i++) {
            k->items[i] = keep_utf8(k, PySequence_Fast_GET_ITEM(seq, i));
            if (k->items[i] == NULL) {
                break;
            }
        }
        if (i == n) {
            k->v.type = PFW_CV_LIST;
            k->v.items = k->items;
            k->v.n = (size_t) n;
            r = 0;
        }
    }
    Py_DECREF(seq);
    return r;
}


static int
convert_dict(conv *k, PyObject *o)
{
    PyObject    *key, *val;
    Py_ssize_t   pos = 0;
    size_t       i = 0, n = (size_t) PyDict_GET_SIZE(o);

    k->items = calloc(2 * n + 1, sizeof(char *));
    if (k->items == NULL) {
        return -1;
    }
    while (PyDict_Next(o, &pos, &key, &val) && i < n) {
        k->items[2 * i] = keep_str(k, key);
        k->items[2 * i + 1] = keep_str(k, val);
        if (k->items[2 * i] == NULL || k->items[2 * i + 1] == NULL) {
            return -1;
        }
        i++;
    }
    k->v.type = PFW_CV_DICT;
    k->v.items = k->items;
    k->v.n = i;
    return 0;
}


/* A plain setting's value.  0, or -1 on a Python error. */
static int
convert(conv *k, PyObject *o)
{
    PyObject  *tn;
    int        overflow, r;

    k->v.str = keep_str(k, o);
    tn = PyObject_GetAttrString((PyObject *) Py_TYPE(o), "__name__");
    k->v.tname = tn != NULL ? keep_str(k, tn) : "object";
    Py_XDECREF(tn);
    PyErr_Clear();
    if (k->v.str == NULL || k->v.tname == NULL) {
        return -1;
    }
    if (o == Py_None) {
        k->v.type = PFW_CV_NONE;
        return 0;
    }
    if (PyBool_Check(o)) {
        k->v.type = PFW_CV_BOOL;
        k->v.i = o == Py_True;
        return 0;
    }
    if (PyLong_Check(o)) {
        k->v.type = PFW_CV_INT;
        k->v.i = PyLong_AsLongLongAndOverflow(o, &overflow);
        if (overflow != 0) {
            k->v.i = LLONG_MIN;           /* the engine says "too large" */
        }
        return PyErr_Occurred() ? -1 : 0;
    }
    if (PyUnicode_Check(o)) {
        k->v.type = PFW_CV_STR;
        k->v.s = keep_utf8(k, o);
        return k->v.s != NULL ? 0 : -1;
    }
    if (PyDict_Check(o)) {
        return convert_dict(k, o);
    }
    if (PyList_Check(o) || PyTuple_Check(o) || PyAnySet_Check(o)) {
        r = convert_list(k, o);
        if (r <= 0) {
            return r;
        }
    }
    /* a float, a list of ints ...: every validator refuses it */
    k->v.type = PFW_CV_OBJECT;
    r = PyObject_IsTrue(o);
    PyErr_Clear();
    k->v.i = r > 0;
    k->v.s = k->v.str;
    k->tname_item[0] = k->v.tname;
    k->v.items = k->tname_item;
    k->v.n = 0;
    return 0;
}


/* A hook: gunicorn's validate_callable through the loader; staged. */
static int
convert_hook(conv *k, const char *name, PyObject *o, int arity)
{
    PyObject  *f, *r;

    k->v.str = keep_str(k, o);
    k->v.tname = "function";
    if (k->v.str == NULL) {
        return -1;
    }
    f = PyDict_GetItemString(loader, "hook");            /* borrowed */
    r = f != NULL ? PyObject_CallFunction(f, "Oi", o, arity) : NULL;
    if (r == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_Exception)) {
            return -1;
        }
        PyObject *type, *value, *tb;

        PyErr_Fetch(&type, &value, &tb);
        PyErr_NormalizeException(&type, &value, &tb);
        k->v.type = PFW_CV_INVALID;
        k->v.s = value != NULL ? keep_str(k, value) : "invalid";
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(tb);
        return k->v.s != NULL ? 0 : -1;
    }
    k->v.type = PFW_CV_HOOK;
    k->v.s = keep_str(k, PyTuple_GET_ITEM(r, 1));
    if (k->v.s == NULL || pfw_hooks_stage(name, PyTuple_GET_ITEM(r, 0)) < 0) {
        Py_DECREF(r);
        return -1;
    }
    Py_DECREF(r);
    return 0;
}


/* Hand every known name of the namespace to the sink, in order. */
static int
apply(PyObject *vars, const pfw_cfg_sink *sink)
{
    PyObject    *items, *key, *val;
    Py_ssize_t   i;
    const char  *name;
    conv         k;
    int          known, arity, st = 0, r;

    items = PyDict_Items(vars);          /* a snapshot: hooks may import */
    if (items == NULL) {
        return -1;
    }
    for (i = 0; st == 0 && i < PyList_GET_SIZE(items); i++) {
        key = PyTuple_GET_ITEM(PyList_GET_ITEM(items, i), 0);
        val = PyTuple_GET_ITEM(PyList_GET_ITEM(items, i), 1);
        name = PyUnicode_Check(key) ? PyUnicode_AsUTF8(key) : NULL;
        if (name == NULL) {
            PyErr_Clear();
            continue;
        }
        arity = 0;
        known = sink->known(name, &arity, sink->ud);
        if (known == 0) {
            continue;
        }
        memset(&k, 0, sizeof(k));
        k.keep = PyList_New(0);
        r = k.keep == NULL ? -1
            : known == 2 ? convert_hook(&k, name, val, arity)
                         : convert(&k, val);
        if (r == 0) {
            st = sink->set(name, &k.v, sink->ud);
        } else {
            pfw_log_exception(PF_LOG_ERROR, "Failed to read config value");
            st = 1;
        }
        free(k.items);
        Py_XDECREF(k.keep);
    }
    Py_DECREF(items);
    return st;
}


int
pfw_config_exec(const char *location, char *const *argv,
                const pfw_cfg_sink *sink)
{
    PyObject  *r;
    pfw_app    boot;
    int        st;

    if (!pfw_interp_live()) {
        pfw_app_init(&boot);
        boot.argv = argv;
        if (pfw_interp_start(&boot) != 0) {
            fprintf(stderr, "\nError: the Python interpreter did not start "
                    "(see above)\n");
            return 1;
        }
    } else {
        pfw_interp_enter();
    }
    pfw_hooks_stage_begin();
    r = loader_namespace() != NULL
        ? PyObject_CallFunction(PyDict_GetItemString(loader, "load"), "s",
                                location)
        : NULL;
    if (r == NULL) {
        pfw_log_exception(PF_LOG_ERROR, "Failed to read config file");
        st = 1;
    } else if (PyLong_Check(r)) {
        st = (int) PyLong_AsLong(r);
    } else {
        st = apply(r, sink);
        if (st < 0) {
            pfw_log_exception(PF_LOG_ERROR, "Failed to read config file");
            st = 1;
        }
    }
    Py_XDECREF(r);
    fflush(stderr);
    pfw_interp_release();
    return st;
}

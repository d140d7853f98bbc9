/*
 * Loading APP_MODULE the way gunicorn does: "module", "module:name",
 * "module:factory()" and "module:factory(literal args)".
 *
 * The parsing of the expression needs Python's ast module, so the loader is
 * a few lines of Python run in a private namespace.  Exit classes follow
 * gunicorn: an exception while importing the module is a boot error (3,
 * traceback logged); a module that imports but names no usable callable is
 * an AppImportError (4, gunicorn's one-line message).
 */
#include "internal.h"
#include "lifecycle.h"

static PyObject  *callable;      /* the WSGI application (owned) */

static const char loader_src[] =
    "import ast, importlib, os, traceback\n"
    "\n"
    "class AppImportError(Exception):\n"
    "    pass\n"
    "\n"
    "def _bad(expr):\n"
    "    return AppImportError('Failed to parse %r as an attribute name'\n"
    "                          ' or function call.' % expr)\n"
    "\n"
    "def _target(expr):\n"
    "    try:\n"
    "        node = ast.parse(expr, mode='eval').body\n"
    "    except SyntaxError:\n"
    "        raise _bad(expr) from None\n"
    "    if isinstance(node, ast.Name):\n"
    "        return node.id, None, None\n"
    "    if not isinstance(node, ast.Call):\n"
    "        raise _bad(expr)\n"
    "    if not isinstance(node.func, ast.Name):\n"
    "        raise AppImportError('Function reference must be a simple'\n"
    "                             ' name: %r' % expr)\n"
    "    try:\n"
    "        args = [ast.literal_eval(a) for a in node.args]\n"
    "        kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords}\n"
    "    except ValueError:\n"
    "        raise AppImportError('Failed to parse arguments as literal'\n"
    "                             ' values: %r' % expr) from None\n"
    "    return node.func.id, args, kw\n"
    "\n"
    "def load(spec):\n"
    "    modname, colon, expr = spec.partition(':')\n"
    "    if not colon:\n"
    "        expr = 'application'\n"
    "    try:\n"
    "        mod = importlib.import_module(modname)\n"
    "    except ImportError:\n"
    "        if modname.endswith('.py') and os.path.exists(modname):\n"
    "            raise ImportError(\"Failed to find application, did you\"\n"
    "                              \" mean '%s:%s'?\"\n"
    "                              % (modname.rsplit('.', 1)[0], expr))\n"
    "        raise\n"
    "    name, args, kw = _target(expr)\n"
    "    try:\n"
    "        app = getattr(mod, name)\n"
    "    except AttributeError:\n"
    "        raise AppImportError('Failed to find attribute %r in %r.'\n"
    "                             % (name, modname)) from None\n"
    "    if args is not None:\n"
    "        try:\n"
    "            app = app(*args, **kw)\n"
    "        except TypeError as e:\n"
    /* Raised by the call itself (wrong arguments), not from inside the
     * factory: the traceback stops at this frame. */
    "            if e.__traceback__.tb_next is None:\n"
    "                raise AppImportError(''.join(\n"
    "                    traceback.format_exception_only(TypeError, e))\n"
    "                    .strip()) from None\n"
    "            raise\n"
    "    if app is None:\n"
    "        raise AppImportError('Failed to find application object: %r'\n"
    "                             % expr)\n"
    "    if not callable(app):\n"
    "        raise AppImportError('Application object must be callable.')\n"
    "    return app\n";


PyObject *
pfw_app_callable(void)
{
    return callable;
}


/* The loader's namespace: a dict holding load() and AppImportError. */
static PyObject *
loader_namespace(void)
{
    return pfw_py_namespace(loader_src, "<prefork-wsgi loader>", NULL);
}


/* AppImportError: gunicorn prints only its message; the traceback goes to
 * the debug level. */
static void
log_app_import_error(void)
{
    PyObject    *type, *value, *tb, *msg;
    const char  *s;

    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    msg = value != NULL ? PyObject_Str(value) : NULL;
    s = msg != NULL ? PyUnicode_AsUTF8(msg) : NULL;
    if (s == NULL) {
        PyErr_Clear();
        s = "App failed to load.";
    }
    pf_log(PF_LOG_ERROR, "%s", s);
    Py_XDECREF(msg);
    if (pf_log_level() <= PF_LOG_DEBUG) {
        PyErr_Restore(type, value, tb);
        pfw_log_exception(PF_LOG_DEBUG,
                          "Exception while loading the application");
        return;
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
}


int
pfw_app_load(const pfw_app *app)
{
    PyObject  *g, *load, *apperr, *obj;
    int        rc;

    if (app->spec == NULL || app->spec[0] == '\0') {
        pf_log(PF_LOG_ERROR, "No application module specified.");
        return PF_EXIT_BOOT;
    }
    g = loader_namespace();
    if (g == NULL) {
        pfw_log_exception(PF_LOG_ERROR, "Exception in worker process");
        return PF_EXIT_BOOT;
    }
    load = PyDict_GetItemString(g, "load");             /* borrowed */
    apperr = PyDict_GetItemString(g, "AppImportError"); /* borrowed */

    obj = app->paste ? pfw_paste_load(app)
                     : PyObject_CallFunction(load, "s", app->spec);
    if (obj != NULL) {
        Py_XSETREF(callable, obj);
        rc = 0;
    } else if (apperr != NULL && PyErr_ExceptionMatches(apperr)) {
        log_app_import_error();
        rc = PF_EXIT_APPLOAD;
    } else if ((obj = pfw_reloader_syntax_error()) != NULL) {
        Py_XSETREF(callable, obj);          /* --reload: a 500 page */
        rc = 0;
    } else {
        pfw_log_exception(PF_LOG_ERROR, "Exception in worker process");
        rc = PF_EXIT_BOOT;
    }
    Py_DECREF(g);
    return rc;
}


int
pfw_check_app(const pfw_app *app)
{
    if (pfw_interp_start(app) != 0) {
        return PF_EXIT_BOOT;
    }
    return pfw_app_load(app);
}

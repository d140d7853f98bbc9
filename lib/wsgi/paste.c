/*
 * --paste / --paster INI[#NAME]: the application comes from PasteDeploy
 * (Debian's python3-pastedeploy), as gunicorn loads it:
 * loadapp("config:/abs/path.ini#NAME", relative_to=cwd, global_conf=...),
 * where global_conf holds the --paste-global K=V items ("\=" is a literal
 * "=").  The ini's [loggers] section is not applied: prefork-wsgi's log is
 * its own (gunicorn hands it to logging.config.fileConfig).
 *
 * A failure is an exception in the worker, as in gunicorn: the traceback is
 * logged and the worker exits 3 (PasteDeploy missing included).
 */
#include "internal.h"
#include "lifecycle.h"

static const char paste_src[] =
    "import os, re\n"
    "\n"
    "def global_conf(items):\n"
    "    conf = {}\n"
    "    for e in items:\n"
    "        try:\n"
    "            k, v = re.split(r'(?<!\\\\)=', e, maxsplit=1)\n"
    "        except ValueError:\n"
    "            raise RuntimeError('environment setting %r invalid' % e)\n"
    "        conf[k.replace('\\\\=', '=')] = v.replace('\\\\=', '=')\n"
    "    return conf\n"
    "\n"
    "def load(uri, items):\n"
    "    from paste.deploy import loadapp\n"
    "    if ':' not in uri:\n"
    "        uri = 'config:' + uri\n"
    "    return loadapp(uri, relative_to=os.getcwd(),\n"
    "                   global_conf=global_conf(items))\n";


PyObject *
pfw_paste_load(const pfw_app *app)
{
    const char *const  *p;
    PyObject           *g, *items, *s, *obj;

    g = pfw_py_namespace(paste_src, "<prefork-wsgi paste>", NULL);
    if (g == NULL) {
        return NULL;
    }
    items = PyList_New(0);
    for (p = app->paste_global; items != NULL && p != NULL && *p != NULL;
         p++)
    {
        s = PyUnicode_DecodeFSDefault(*p);
        if (s == NULL || PyList_Append(items, s) < 0) {
            Py_XDECREF(s);
            Py_CLEAR(items);
            break;
        }
        Py_DECREF(s);
    }
    obj = items != NULL
          ? PyObject_CallFunction(PyDict_GetItemString(g, "load"), "sO",
                                  app->spec, items)
          : NULL;
    Py_XDECREF(items);
    Py_DECREF(g);
    if (obj != NULL && !PyCallable_Check(obj)) {
        Py_DECREF(obj);
        PyErr_SetString(PyExc_TypeError, "the paste app is not callable");
        return NULL;
    }
    return obj;
}

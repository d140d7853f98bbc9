/*
 * raw_env (-e KEY=VALUE): exported in the master before any import, and
 * seen by Python too.  setenv(3) alone is not enough once the interpreter
 * runs in the master (a config file started it): os.environ is a copy
 * taken at start-up, and workers inherit that copy.  gunicorn assigns
 * os.environ[KEY], which does both.
 *
 * A NULL value removes the variable from both: a HUP puts back what
 * raw_env changed (gunicorn's reload(): the value a variable had before,
 * or none), cli/main.c keeping the record.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

/* os.environ[key] = value, or del os.environ[key] when value is NULL (a
 * missing key is no error). */
static int
py_environ(const char *key, const char *value)
{
    PyObject  *env, *k, *v = NULL;
    int        r = 0;

    if (!pfw_interp_live()) {
        return 0;
    }
    pfw_interp_enter();
    env = PySys_GetObject("modules");                   /* borrowed */
    env = env != NULL ? PyDict_GetItemString(env, "os") : NULL;
    env = env != NULL ? PyObject_GetAttrString(env, "environ") : NULL;
    k = PyUnicode_DecodeFSDefault(key);
    if (value != NULL) {
        v = PyUnicode_DecodeFSDefault(value);
    }
    if (env == NULL || k == NULL || (value != NULL && v == NULL)) {
        r = -1;
    } else if (value != NULL) {
        r = PyObject_SetItem(env, k, v);
    } else if (PyObject_DelItem(env, k) < 0) {
        if (PyErr_ExceptionMatches(PyExc_KeyError)) {
            PyErr_Clear();
        } else {
            r = -1;
        }
    }
    if (r < 0) {
        pfw_log_exception(PF_LOG_WARNING, "os.environ update failed");
    }
    Py_XDECREF(env);
    Py_XDECREF(k);
    Py_XDECREF(v);
    pfw_interp_release();
    if (r != 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}


int
pfw_setenv(const char *key, const char *value)
{
    if ((value != NULL ? setenv(key, value, 1) : unsetenv(key)) != 0) {
        return -1;
    }
    return py_environ(key, value);
}

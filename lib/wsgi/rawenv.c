/*
 * raw_env (-e KEY=VALUE): exported in the master before any import, and
 * seen by Python too.  setenv(3) alone is not enough once the interpreter
 * runs in the master (a config file started it): os.environ is a copy
 * taken at start-up, and workers inherit that copy.  gunicorn assigns
 * os.environ[KEY], which does both.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>


int
pfw_setenv(const char *key, const char *value)
{
    PyObject  *env, *k, *v;
    int        r = 0;

    if (setenv(key, value, 1) != 0) {
        return -1;
    }
    if (!pfw_interp_live()) {
        return 0;
    }
    pfw_interp_enter();
    env = PySys_GetObject("modules");                   /* borrowed */
    env = env != NULL ? PyDict_GetItemString(env, "os") : NULL;
    env = env != NULL ? PyObject_GetAttrString(env, "environ") : NULL;
    k = PyUnicode_DecodeFSDefault(key);
    v = PyUnicode_DecodeFSDefault(value);
    if (env == NULL || k == NULL || v == NULL
        || PyObject_SetItem(env, k, v) < 0)
    {
        pfw_log_exception(PF_LOG_WARNING, "os.environ update failed");
        r = -1;
    }
    Py_XDECREF(env);
    Py_XDECREF(k);
    Py_XDECREF(v);
    pfw_interp_release();
    if (r != 0) {
        errno = EINVAL;
    }
    return r;
}

#include "tw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char    logbuf[1 << 16];
static size_t  loglen;


static void
capture(int level, const char *msg, void *ud)
{
    int n;

    (void) ud;
    n = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "[%s] %s\n",
                 pf_log_level_name(level), msg);
    if (n > 0) {
        loglen += (size_t) n;
        if (loglen >= sizeof(logbuf)) {
            loglen = sizeof(logbuf) - 1;
        }
    }
}


void
tw_log_capture(void)
{
    loglen = 0;
    logbuf[0] = '\0';
    pf_log_set(capture, NULL, PF_LOG_DEBUG);
}


const char *
tw_log(void)
{
    return logbuf;
}


void
tw_app(pfw_app *app, const char *spec)
{
    static char *const argv[] = { "check_wsgi", NULL };

    pfw_app_init(app);
    app->spec = spec;
    app->argv = argv;
}


char *
tw_py_str(const char *expr)
{
    PyObject    *main, *g, *r, *s;
    const char  *u;
    char        *out;

    main = PyImport_AddModule("__main__");
    g = PyModule_GetDict(main);
    r = PyRun_String(expr, Py_eval_input, g, g);
    s = r != NULL ? PyObject_Str(r) : NULL;
    u = s != NULL ? PyUnicode_AsUTF8(s) : NULL;
    if (u == NULL) {
        PyErr_Print();
        u = "<error>";
    }
    out = strdup(u);
    Py_XDECREF(s);
    Py_XDECREF(r);
    return out;
}


int
tw_py_run(const char *src)
{
    PyObject  *main, *g, *r;

    main = PyImport_AddModule("__main__");
    g = PyModule_GetDict(main);
    r = PyRun_String(src, Py_file_input, g, g);
    if (r == NULL) {
        PyErr_Print();
        return -1;
    }
    Py_DECREF(r);
    return 0;
}

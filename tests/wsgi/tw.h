/*
 * Helpers for the lib/wsgi suites: log capture and small Python probes.
 */
#ifndef PFW_TESTS_TW_H
#define PFW_TESTS_TW_H

#include "internal.h"

/* Route pf_log into a buffer (DEBUG and up); tw_log() returns it. */
void        tw_log_capture(void);
const char *tw_log(void);

/* A pfw_app with defaults, the spec given and sys.argv set. */
void        tw_app(pfw_app *app, const char *spec);

/* Evaluate a Python expression in __main__ and return str() of it as a
 * malloc'd C string ("<error>" when it raised). */
char       *tw_py_str(const char *expr);

/* Run Python statements in __main__; 0 when they ran without raising. */
int         tw_py_run(const char *src);

#endif

/*
 * lib/wsgi private declarations shared between its files.  Python.h comes
 * first, as CPython requires.
 */
#ifndef PFW_INTERNAL_H
#define PFW_INTERNAL_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <prefork/common.h>
#include <prefork/log.h>
#include <prefork/worker.h>

#include "wsgi.h"

/* interp.c */
int        pfw_interp_start(const pfw_app *app);
int        pfw_interp_live(void);
void       pfw_interp_release(void);
void       pfw_interp_before_fork(void);
void       pfw_interp_after_fork_parent(void);
void       pfw_interp_after_fork_child(void);
void       pfw_interp_flush(void);
void       pfw_log_text(int level, const char *head, const char *text,
                        size_t len);
/* Log and clear the pending Python exception, with its traceback. */
void       pfw_log_exception(int level, const char *head);

/* app.c: 0, PF_EXIT_BOOT (import failed) or PF_EXIT_APPLOAD. */
int        pfw_app_load(const pfw_app *app);
PyObject  *pfw_app_callable(void);               /* borrowed */

#endif /* PFW_INTERNAL_H */

/*
 * lib/wsgi private declarations of the development and deployment pieces:
 * the --reload reloader (reloader.c), --paste apps (paste.c) and the
 * worker_int call the reloader makes (hooks.c).  Include after internal.h.
 */
#ifndef PFW_LIFECYCLE_H
#define PFW_LIFECYCLE_H

/* --reload in workers (GIL held): prepare before the app is loaded, start
 * once it is.  syntax_error turns a pending SyntaxError into the app that
 * serves its traceback as a 500 page (new reference); NULL when that does
 * not apply (the exception is left pending) or failed (logged). */
int       pfw_reloader_prepare(const pfw_app *app);
int       pfw_reloader_start(const pfw_app *app);
PyObject *pfw_reloader_syntax_error(void);

/* The --paste app (new reference), or NULL with an exception set. */
PyObject *pfw_paste_load(const pfw_app *app);

/* worker_int(worker) alone (GIL held): the reloader stops the worker. */
void      pfw_hooks_worker_int(void);

#endif /* PFW_LIFECYCLE_H */

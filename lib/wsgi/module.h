/*
 * lib/wsgi as a module: build/prefork-wsgi-python.so holds lib/wsgi, links
 * libpython and libev, and exports one symbol, a table of the entry points
 * the prefork-wsgi executable calls (cli/pyshim.c).  The executable loads
 * it with dlopen(3) only when Python is needed: in the master for a
 * configuration file, --preload or --check-config, otherwise in each
 * worker right after the fork.  The master then maps neither libpython
 * nor libev.
 *
 * The module takes libprefork and lib/log from the executable, which
 * exports what the module leaves undefined (mk/cli.mk): one log hook, one
 * signal queue, one logger for both.  No Python.h here: the executable
 * includes this header.
 */
#ifndef PFW_MODULE_H
#define PFW_MODULE_H

#include <stddef.h>

#include "access.h"
#include "wsgi.h"

struct pfw_logging;

/* Bump PFW_MODULE_VERSION, and the symbol's name with it, whenever the
 * table or the meaning of an entry changes.  Within a version, id tells
 * builds apart: PFW_MODULE_ID (module-id.h, made by mk/wsgi.mk) is a
 * digest of the headers both sides are compiled with. */
#define PFW_MODULE_VERSION  2
#define PFW_MODULE_SYMBOL   "pfw_module_v2"
/* The file's name, next to the executable in the build tree and in
 * $(PKGLIBDIR) once installed. */
#define PFW_MODULE_FILE     "prefork-wsgi-python.so"

typedef struct pfw_module {
    unsigned               version;        /* PFW_MODULE_VERSION */
    size_t                 size;           /* sizeof(pfw_module) */
    size_t                 app_size;       /* sizeof(pfw_app) */
    const char            *id;             /* PFW_MODULE_ID */
    /* the worker kinds, as wsgi.h declares them */
    const pf_worker_ops   *sync_ops;
    const pf_worker_ops   *ev_ops;
    const pf_worker_ops   *gthread_ops;
    /* the functions of wsgi.h and access.h that need Python */
    int                  (*check_app)(const pfw_app *app);
    int                  (*config_exec)(const char *location,
                                        char *const *argv,
                                        const pfw_cfg_sink *sink);
    int                  (*python_live)(void);
    int                  (*hooks_cfg_add)(const char *name, int how,
                                          const char *text);
    int                  (*hooks_commit)(void);
    void                 (*hooks_discard)(void);
    void                 (*hooks_ops)(pf_worker_ops *ops);
    int                  (*setenv)(const char *key, const char *value);
    void                 (*log_use)(struct pfw_logging *lg);
    /* --log-config, --log-config-json, logconfig_dict (access.h) */
    int                  (*pylog_setup)(const pfw_pylog_conf *c,
                                        struct pfw_logging *lg, char *err,
                                        size_t errlen);
    void                 (*pylog_retarget)(struct pfw_logging *lg);
} pfw_module;

#endif /* PFW_MODULE_H */

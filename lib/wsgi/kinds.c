/*
 * The -k worker-class table: the kinds we run, and a clear refusal (never
 * a silent fallback) for the ones gunicorn runs through Python libraries.
 */
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>


/* gunicorn's names for the kinds it ships and we do not run. */
static const char *const unsupported[] = {
    "gevent", "gevent_wsgi", "gevent_pywsgi", "eventlet", "tornado", "asgi",
};


const pf_worker_ops *
pfw_worker_ops(const char *kind, unsigned threads, char *err, size_t errlen)
{
    const char  *k = kind;
    size_t       i;

    /* gunicorn accepts its own dotted paths for the bundled kinds. */
    if (strncmp(k, "gunicorn.workers.", 17) == 0) {
        if (strcmp(k + 17, "sync.SyncWorker") == 0) {
            k = "sync";
        } else if (strcmp(k + 17, "gthread.ThreadWorker") == 0) {
            k = "gthread";
        }
    } else if (strncmp(k, "egg:gunicorn#", 13) == 0) {
        k += 13;
    }
    if (strcasecmp(k, "sync") == 0) {
        return threads > 1 ? &pfw_gthread_ops : &pfw_sync_ops;
    }
    if (strcasecmp(k, "ev") == 0) {
        return &pfw_ev_ops;
    }
    if (strcasecmp(k, "gthread") == 0) {
        return &pfw_gthread_ops;
    }
    for (i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        if (strcasecmp(k, unsupported[i]) == 0) {
            snprintf(err, errlen, "worker class '%s' is not supported by "
                     "prefork-wsgi (supported: sync, ev, gthread)", kind);
            return NULL;
        }
    }
    if (strchr(kind, '.') != NULL || strchr(kind, ':') != NULL) {
        snprintf(err, errlen, "Python worker class '%s' is not supported: "
                 "prefork-wsgi runs its own workers (supported: sync, ev, "
                 "gthread)", kind);
    } else {
        snprintf(err, errlen, "unknown worker class '%s' (supported: sync, "
                 "ev, gthread)", kind);
    }
    return NULL;
}

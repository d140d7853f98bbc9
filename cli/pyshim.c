/*
 * The executable's side of lib/wsgi: the entry points of wsgi.h and
 * access.h that need Python, forwarded to prefork-wsgi-python.so (see
 * lib/wsgi/module.h), which is loaded only when Python is needed.  That is
 * in the master when lib/wsgi starts Python there (a configuration file,
 * --check-config, --preload, --log-config and the other logconfig
 * settings: exactly those), and else in each worker, in its init
 * callback, right after the fork.  Until the
 * module is loaded each entry point does what lib/wsgi does while Python
 * is not running, so main.c cannot tell the difference.
 *
 * Before the first fork the master opens the module's file and keeps it
 * open: its workers load that very file even if a package upgrade
 * replaced it since, and a missing module stops the start-up with one
 * clear message rather than failing every worker.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <prefork/arbiter.h>
#include <prefork/log.h>

#include "access.h"
#include "module.h"
#include "module-id.h"          /* PFW_MODULE_ID */
#include "module-path.h"        /* PFW_MODULE_REL */

enum { K_SYNC, K_EV, K_GTHREAD };

static const pfw_module    *mod;           /* NULL until loaded */
static pf_worker_ops        mod_hooks;     /* the module's hook callers */
static int                  kind = K_SYNC; /* set by master_init and init */
static struct pfw_logging  *logger;        /* pfw_log_use(), kept for load */
static int                  pinned = -1;   /* the module's file, see top */
static char                 pinned_path[PATH_MAX];


/* $PREFORK_WSGI_MODULE (tests, or a binary copied elsewhere), else next
 * to the executable (the build tree), else where `make install` put it
 * relative to the executable, PFW_MODULE_REL: the same for any PREFIX, so
 * a relocated or DESTDIR-staged tree works too.  Without /proc the bare
 * name is tried, and named in the error. */
static void
find(char *path, size_t cap)
{
    static const char *const  rel[] = { "", "/" PFW_MODULE_REL };
    const char               *env = getenv("PREFORK_WSGI_MODULE");
    char                      dir[PATH_MAX];
    char                     *slash;
    ssize_t                   n;
    size_t                    i;

    if (env != NULL && env[0] != '\0') {
        snprintf(path, cap, "%s", env);
        return;
    }
    n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
    slash = n > 0 ? memrchr(dir, '/', (size_t) n) : NULL;
    if (slash == NULL) {
        snprintf(path, cap, "%s", PFW_MODULE_FILE);
        return;
    }
    *slash = '\0';
    for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        if ((size_t) snprintf(path, cap, "%s%s/%s", dir, rel[i],
                              PFW_MODULE_FILE) < cap
            && access(path, F_OK) == 0)
        {
            return;
        }
    }
}


/* The master, before its first fork: see the comment at the top. */
static int
pin(void)
{
    int  e;

    if (pinned >= 0) {
        return 0;
    }
    find(pinned_path, sizeof(pinned_path));
    pinned = open(pinned_path, O_RDONLY | O_CLOEXEC);
    if (pinned == -1) {
        e = errno;
        pf_log_errno(PF_LOG_ERROR, e, "open(%s) failed (the module "
                     "prefork-wsgi runs Python with)", pinned_path);
        errno = e;
        return -1;
    }
    return 0;
}


/* The pinned file by its name when the name still means that file (the
 * loader and debuggers then show the real path), else through the fd. */
static void
pinned_name(char *path, size_t cap)
{
    struct stat  a, b;

    if (stat(pinned_path, &a) == 0 && fstat(pinned, &b) == 0
        && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
    {
        snprintf(path, cap, "%s", pinned_path);
        return;
    }
    snprintf(path, cap, "/proc/self/fd/%d", pinned);
}


/* version and size lead every version of the table: read those first. */
static int
check(const pfw_module *m, const char *path)
{
    const char  *id = m->size == sizeof(*m) && m->id != NULL ? m->id : "?";

    if (m->version != PFW_MODULE_VERSION || m->size != sizeof(*m)
        || m->app_size != sizeof(pfw_app) || strcmp(id, PFW_MODULE_ID) != 0)
    {
        pf_log(PF_LOG_ERROR, "%s is not the module of this prefork-wsgi "
               "(version %u, %s; expected %u, %s): install both from the "
               "same build", path, m->version, id, PFW_MODULE_VERSION,
               PFW_MODULE_ID);
        return -1;
    }
    return 0;
}


/* RTLD_GLOBAL: C extension modules (lib-dynload/_json...) take the Py*
 * symbols from the global scope, where libpython must therefore be, as
 * it was when the executable linked it. */
static int
load(void)
{
    char               path[PATH_MAX + 32];
    void              *h;
    const pfw_module  *m;

    if (mod != NULL) {
        return 0;
    }
    if (pinned >= 0) {
        pinned_name(path, sizeof(path));
    } else {
        find(path, sizeof(path));
    }
    h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
    if (h == NULL) {
        pf_log(PF_LOG_ERROR, "dlopen(%s) failed: %s", path, dlerror());
        return -1;
    }
    m = dlsym(h, PFW_MODULE_SYMBOL);
    if (m == NULL) {
        /* another version of the table names its symbol differently */
        pf_log(PF_LOG_ERROR, "%s is not the module of this prefork-wsgi "
               "(dlsym(%s) failed: %s): install both from the same build",
               path, PFW_MODULE_SYMBOL, dlerror());
        dlclose(h);
        return -1;
    }
    if (check(m, path) != 0) {
        dlclose(h);
        return -1;
    }
    m->hooks_ops(&mod_hooks);
    m->log_use(logger);
    mod = m;
    if (pinned >= 0) {
        close(pinned);                  /* loaded: forks inherit it */
        pinned = -1;
    }
    return 0;
}


static const pf_worker_ops *
kind_ops(void)
{
    switch (kind) {
    case K_EV:
        return mod->ev_ops;
    case K_GTHREAD:
        return mod->gthread_ops;
    default:
        return mod->sync_ops;
    }
}


/* ---- wsgi.h and access.h ------------------------------------------------ */

int
pfw_check_app(const pfw_app *app)
{
    if (load() != 0) {
        return PF_EXIT_BOOT;
    }
    return mod->check_app(app);
}


int
pfw_config_exec(const char *location, char *const *argv,
                const pfw_cfg_sink *sink)
{
    if (load() != 0) {
        return PF_EXIT_BOOT;
    }
    return mod->config_exec(location, argv, sink);
}


int
pfw_python_live(void)
{
    return mod != NULL && mod->python_live();
}


/* Without the module no configuration file ran: nothing is staged and
 * nothing reads cfg. */
int
pfw_hooks_cfg_add(const char *name, int how, const char *text)
{
    return mod != NULL ? mod->hooks_cfg_add(name, how, text) : 0;
}


int
pfw_hooks_commit(void)
{
    return mod != NULL ? mod->hooks_commit() : 0;
}


void
pfw_hooks_discard(void)
{
    if (mod != NULL) {
        mod->hooks_discard();
    }
}


int
pfw_setenv(const char *key, const char *value)
{
    if (mod != NULL) {
        return mod->setenv(key, value);
    }
    return value != NULL ? setenv(key, value, 1) : unsetenv(key);
}


void
pfw_log_use(struct pfw_logging *lg)
{
    logger = lg;
    if (mod != NULL) {
        mod->log_use(lg);
    }
}


/* Python's logging (--log-config...) needs Python in the master: the
 * module comes in here.  Without a logconfig it is not needed: gunicorn's
 * loggers are set up where Python runs. */
int
pfw_pylog_setup(const pfw_pylog_conf *c, struct pfw_logging *lg, char *err,
                size_t errlen)
{
    if (mod == NULL && c->logconfig == NULL && c->logconfig_json == NULL
        && c->logconfig_dict == NULL)
    {
        return 0;
    }
    if (load() != 0) {
        snprintf(err, errlen, "Python's logging needs prefork-wsgi's Python "
                 "module (see above)");
        return -1;
    }
    return mod->pylog_setup(c, lg, err, errlen);
}


void
pfw_pylog_retarget(struct pfw_logging *lg)
{
    if (mod != NULL) {
        mod->pylog_retarget(lg);
    }
}


/* ---- the hook callers (pfw_hooks_ops) ----------------------------------- */

static int
noop_reload(pfw_app *app, void *ud)
{
    (void) app;
    (void) ud;
    return 0;
}


/* Without the module, hooks.c's on_signal comes down to the HUP re-read:
 * a reload whose configuration file loaded the module then goes on as
 * hooks.c goes on after a reload, with the re-read already done. */
static int
hook_on_signal(pf_arbiter *a, int signo, void *ud)
{
    pfw_app  *app = ud;
    int     (*reload)(pfw_app *app, void *ud);
    int       r;

    if (mod != NULL) {
        return mod_hooks.on_signal(a, signo, ud);
    }
    if (signo != SIGHUP || app->reload == NULL) {
        return 0;
    }
    if (app->reload(app, app->reload_ud) != 0) {
        return 1;
    }
    if (mod == NULL) {
        pf_arbiter_set_workers(a, app->workers);
        return 0;
    }
    reload = app->reload;
    app->reload = noop_reload;
    r = mod_hooks.on_signal(a, signo, ud);
    app->reload = reload;
    return r;
}


static void
hook_worker_exit(pf_arbiter *a, const pf_worker_exit *st, void *ud)
{
    if (mod != NULL) {
        mod_hooks.worker_exit(a, st, ud);
    }
}


static void
hook_master_exit(pf_arbiter *a, void *ud)
{
    if (mod != NULL) {
        mod_hooks.master_exit(a, ud);
    }
}


static void
hook_pre_exec(pf_arbiter *a, void *ud)
{
    if (mod != NULL) {
        mod_hooks.pre_exec(a, ud);
    }
}


void
pfw_hooks_ops(pf_worker_ops *ops)
{
    if (ops->on_signal == NULL) {
        ops->on_signal = hook_on_signal;
    }
    if (ops->worker_exit == NULL) {
        ops->worker_exit = hook_worker_exit;
    }
    if (ops->master_exit == NULL) {
        ops->master_exit = hook_master_exit;
    }
    if (ops->pre_exec == NULL) {
        ops->pre_exec = hook_pre_exec;
    }
}


/* ---- the worker kinds --------------------------------------------------- */

/* Master side.  --preload loads the module here, as it starts Python here;
 * otherwise the module's file is only pinned for the workers. */
static int
master_init(int k, pf_arbiter *a, void *ud)
{
    const pfw_app  *app = ud;

    kind = k;
    if (mod == NULL) {
        if (app->preload ? load() != 0 : pin() != 0) {
            return PF_EXIT_BOOT;
        }
    }
    if (mod == NULL || kind_ops()->master_init == NULL) {
        return 0;
    }
    return kind_ops()->master_init(a, ud);
}


static void
pre_fork(pf_arbiter *a, int slot, unsigned age, void *ud)
{
    if (mod != NULL && kind_ops()->pre_fork != NULL) {
        kind_ops()->pre_fork(a, slot, age, ud);
    }
}


static void
post_fork(pf_arbiter *a, int slot, pid_t pid, void *ud)
{
    if (mod != NULL && kind_ops()->post_fork != NULL) {
        kind_ops()->post_fork(a, slot, pid, ud);
    }
}


/* Worker side: the module comes in here unless the master has it. */
static int
worker_init(int k, pf_worker *w, void *ud)
{
    kind = k;
    if (load() != 0) {
        return PF_EXIT_BOOT;
    }
    return kind_ops()->init != NULL ? kind_ops()->init(w, ud) : 0;
}


static int
worker_run(pf_worker *w, void *ud)
{
    return kind_ops()->run(w, ud);
}


static void
worker_fini(pf_worker *w, void *ud)
{
    if (mod != NULL && kind_ops()->fini != NULL) {
        kind_ops()->fini(w, ud);
    }
}


static int
sync_master_init(pf_arbiter *a, void *ud)
{
    return master_init(K_SYNC, a, ud);
}


static int
ev_master_init(pf_arbiter *a, void *ud)
{
    return master_init(K_EV, a, ud);
}


static int
gthread_master_init(pf_arbiter *a, void *ud)
{
    return master_init(K_GTHREAD, a, ud);
}


static int
sync_init(pf_worker *w, void *ud)
{
    return worker_init(K_SYNC, w, ud);
}


static int
ev_init(pf_worker *w, void *ud)
{
    return worker_init(K_EV, w, ud);
}


static int
gthread_init(pf_worker *w, void *ud)
{
    return worker_init(K_GTHREAD, w, ud);
}


const pf_worker_ops  pfw_sync_ops = {
    .version     = PF_WORKER_OPS_VERSION,
    .name        = "sync",
    .master_init = sync_master_init,
    .pre_fork    = pre_fork,
    .post_fork   = post_fork,
    .init        = sync_init,
    .run         = worker_run,
    .fini        = worker_fini,
};

const pf_worker_ops  pfw_ev_ops = {
    .version     = PF_WORKER_OPS_VERSION,
    .name        = "ev",
    .master_init = ev_master_init,
    .pre_fork    = pre_fork,
    .post_fork   = post_fork,
    .init        = ev_init,
    .run         = worker_run,
    .fini        = worker_fini,
};

const pf_worker_ops  pfw_gthread_ops = {
    .version     = PF_WORKER_OPS_VERSION,
    .name        = "gthread",
    .master_init = gthread_master_init,
    .pre_fork    = pre_fork,
    .post_fork   = post_fork,
    .init        = gthread_init,
    .run         = worker_run,
    .fini        = worker_fini,
};

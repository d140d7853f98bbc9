/*
 * prefork-wsgi [OPTIONS] MODULE:CALLABLE -- gunicorn's command line over
 * libprefork.  Glue only: the settings engine (cli/) resolves every layer
 * of configuration; this file turns the result into a pf_config and a
 * pfw_app, picks the worker kind's table and runs the arbiter.  The master
 * stays a small C process: Python starts in the workers, or here only for
 * a configuration file (gunicorn.conf.py, -c), --preload and
 * --check-config.  SIGHUP re-reads the configuration (reload_config).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <prefork/arbiter.h>
#include <prefork/log.h>
#include <prefork/sockets.h>

#include "logsetup.h"
#include "options.h"
#include "settings.h"
#include "wsgi.h"

/* Every string main() builds lives as long as the process (a reload
 * replaces them). */
typedef struct {
    pfw_app             app;
    pf_config           cfg;
    pfc_settings        s;               /* what app and cfg point into */
    char                user[32], group[32];
    char               *forwarded, *proxy_allow, *forwarder;
    pfh_scheme_header  *scheme;
    int                 argc;
    char              **argv;
    char               *cmd_args;        /* GUNICORN_CMD_ARGS at start */
    int                 start_dir;       /* the start-up cwd, for reloads */
    pf_arbiter         *arb;             /* HUP: rebind, new timeouts */
    pf_worker_ops      *ops;             /* the arbiter's table (HUP: the
                                            kind's name) */
} run_state;


/* The comma-joined items of a list setting (NULL for an empty list). */
static char *
join(const pfc_strlist *l)
{
    size_t  i, n = 1;
    char   *s;

    if (l->n == 0) {
        return NULL;
    }
    for (i = 0; i < l->n; i++) {
        n += strlen(l->v[i]) + 1;
    }
    s = malloc(n);
    if (s == NULL) {
        return NULL;
    }
    s[0] = '\0';
    for (i = 0; i < l->n; i++) {
        if (i > 0) {
            strcat(s, ",");
        }
        strcat(s, l->v[i]);
    }
    return s;
}


static void
log_warnings(const pfc_settings *s)
{
    size_t  i;

    for (i = 0; i < s->warnings.n; i++) {
        pf_log(PF_LOG_WARNING, "%s", s->warnings.v[i]);
    }
}


/* The variables raw_env set since the last HUP, with the values they had
 * before (orig NULL: none): gunicorn's cfg.env_orig. */
typedef struct {
    char  *key, *orig;
} saved_env;

static saved_env  *env_saved;
static size_t      env_nsaved, env_cap;


static int
rawenv_set(const char *key, const char *value)
{
    const char  *now = getenv(key);
    saved_env   *p;
    size_t       i;

    for (i = 0; i < env_nsaved && strcmp(env_saved[i].key, key) != 0; i++) {
        /* the first value it had counts */
    }
    if (i == env_nsaved) {
        if (env_nsaved == env_cap) {
            p = realloc(env_saved, (env_cap + 16) * sizeof(*p));
            if (p == NULL) {
                return -1;
            }
            env_saved = p;
            env_cap += 16;
        }
        env_saved[i].key = strdup(key);
        env_saved[i].orig = now != NULL ? strdup(now) : NULL;
        if (env_saved[i].key == NULL || (now != NULL && !env_saved[i].orig)) {
            free(env_saved[i].key);
            errno = ENOMEM;
            return -1;
        }
        env_nsaved++;
    }
    return pfw_setenv(key, value);
}


/* gunicorn's reload() step 1: each variable back to its value from before
 * raw_env set it, or removed (from os.environ too) if it had none. */
static void
rawenv_restore(void)
{
    size_t  i;

    for (i = 0; i < env_nsaved; i++) {
        if (env_saved[i].orig != NULL) {
            (void) pfw_setenv(env_saved[i].key, env_saved[i].orig);
        } else {
            unsetenv(env_saved[i].key);
            if (pfw_python_live()) {
                (void) pfw_setenv(env_saved[i].key, NULL);
            }
        }
        free(env_saved[i].key);
        free(env_saved[i].orig);
    }
    env_nsaved = 0;
}


/* USR2's child, before its exec: the environment from before raw_env,
 * as gunicorn re-executes with cfg.env_orig, so that the new master's
 * raw_env records each variable's own value (else its HUP would put back
 * the old master's raw_env value instead of removing the variable).  The
 * C environment only: exec follows. */
static void  (*inner_pre_exec)(pf_arbiter *a, void *ud);


static void
rawenv_pre_exec(pf_arbiter *a, void *ud)
{
    size_t  i;

    if (inner_pre_exec != NULL) {
        inner_pre_exec(a, ud);          /* the pre_exec hook sees raw_env */
    }
    for (i = 0; i < env_nsaved; i++) {
        if (env_saved[i].orig != NULL) {
            (void) setenv(env_saved[i].key, env_saved[i].orig, 1);
        } else {
            (void) unsetenv(env_saved[i].key);
        }
    }
}


/* raw_env "KEY=VALUE": exported in the master, before any import (the
 * values they replace are remembered for a HUP to put back). */
static int
export_env(const pfc_settings *s)
{
    size_t  i;
    char   *eq, *kv;

    for (i = 0; i < s->raw_env.n; i++) {
        kv = strdup(s->raw_env.v[i]);
        if (kv == NULL || (eq = strchr(kv, '=')) == NULL) {
            free(kv);
            continue;
        }
        *eq = '\0';
        if (rawenv_set(kv, eq + 1) != 0) {
            fprintf(stderr, "\nError: setenv(%s) failed: %s\n", kv,
                    strerror(errno));
            free(kv);
            return -1;
        }
        free(kv);
    }
    return 0;
}


static int
fill_http(run_state *st, const pfc_settings *s)
{
    pfh_config  *h = &st->app.http;
    size_t       i;

    h->limit_request_line = (size_t) s->limit_request_line;
    h->limit_request_fields = (size_t) s->limit_request_fields;
    h->limit_request_field_size = (size_t) s->limit_request_field_size;
    h->flags = (s->permit_unconventional_http_method
                ? PFH_PERMIT_UNCONVENTIONAL_METHOD : 0)
               | (s->permit_unconventional_http_version
                  ? PFH_PERMIT_UNCONVENTIONAL_VERSION : 0)
               | (s->casefold_http_method ? PFH_CASEFOLD_METHOD : 0)
               | (s->permit_obsolete_folding ? PFH_PERMIT_OBSOLETE_FOLDING : 0)
               | (s->strip_header_spaces ? PFH_STRIP_HEADER_SPACES : 0);
    /* header_map None refuses, as gunicorn does */
    h->header_map = s->header_map == PFC_HEADER_MAP_DANGEROUS
                    ? PFH_HEADER_MAP_DANGEROUS
                    : s->header_map == PFC_HEADER_MAP_DROP
                      ? PFH_HEADER_MAP_DROP : PFH_HEADER_MAP_REFUSE;
    free(st->forwarder);
    free(st->scheme);
    st->forwarder = join(&s->forwarder_headers);
    h->forwarder_headers = st->forwarder != NULL ? st->forwarder : "";
    st->scheme = calloc(s->secure_scheme_headers.n + 1, sizeof(*st->scheme));
    if (st->scheme == NULL) {
        /* never leave the app pointing at the freed table: no header then
         * makes a request https, the safe side */
        h->secure_scheme_headers = NULL;
        h->n_secure_scheme_headers = 0;
        return -1;
    }
    for (i = 0; i < s->secure_scheme_headers.n; i++) {
        st->scheme[i].name = s->secure_scheme_headers.v[i].key;
        st->scheme[i].value = s->secure_scheme_headers.v[i].value;
    }
    h->secure_scheme_headers = st->scheme;
    h->n_secure_scheme_headers = s->secure_scheme_headers.n;
    return 0;
}


static int reload_config(pfw_app *app, void *ud);


static int
fill_app(run_state *st, const pfc_settings *s, char **argv)
{
    static const int  proxy[] = {
        [PFC_PROXY_OFF] = PFH_PROXY_NONE, [PFC_PROXY_V1] = PFH_PROXY_V1,
        [PFC_PROXY_V2] = PFH_PROXY_V2, [PFC_PROXY_AUTO] = PFH_PROXY_AUTO,
    };
    pfw_app          *app = &st->app;

    pfw_app_init(app);
    app->spec = s->app_uri;
    app->pythonpath = s->pythonpath;
    app->preload = s->preload_app;
    app->argv = argv;
    app->workers = (int) s->workers;
    app->threads = (unsigned) (s->threads > 0 ? s->threads : 1);
    app->worker_connections = (unsigned) s->worker_connections;
    app->keepalive = (unsigned) s->keepalive;
    app->max_requests = (unsigned) s->max_requests;
    app->max_requests_jitter = (unsigned) s->max_requests_jitter;
    app->timeout = (unsigned) s->timeout;
    app->graceful_timeout = (unsigned) s->graceful_timeout;
    app->sendfile = pfc_sendfile(s);
    app->proc_name = s->proc_name != NULL ? s->proc_name
                                          : s->default_proc_name;
    app->daemon = s->daemon;
    app->autoreload = s->reload;
    app->reload_engine = s->reload_engine;    /* PFC_RELOAD_ = PFW_RELOAD_ */
    app->reload_extra_files = (const char *const *) s->reload_extra_files.v;
    app->paste = s->paste != NULL;
    app->paste_global = (const char *const *) s->raw_paste_global_conf.v;
    app->reload = reload_config;
    app->reload_ud = st;
    free(st->forwarded);
    free(st->proxy_allow);
    st->forwarded = join(&s->forwarded_allow_ips);
    app->forwarded_allow_ips = st->forwarded != NULL ? st->forwarded : "";
    app->proxy_protocol = proxy[s->proxy_protocol];
    st->proxy_allow = join(&s->proxy_allow_ips);
    app->proxy_allow_ips = st->proxy_allow != NULL ? st->proxy_allow : "";
    return fill_http(st, s);
}


static void
fill_config(run_state *st, const pfc_settings *s, char **argv)
{
    pf_config      *cfg = &st->cfg;
    struct passwd  *pw;

    pf_config_init(cfg);
    cfg->workers = (int) s->workers;
    cfg->timeout = (unsigned) s->timeout;
    cfg->graceful_timeout = (unsigned) s->graceful_timeout;
    cfg->backlog = (int) s->backlog;
    cfg->listen_flags = s->reuse_port ? PF_LISTEN_REUSEPORT : 0;
    cfg->pidfile = s->pidfile;
    cfg->proc_name = s->proc_name != NULL ? s->proc_name
                                          : s->default_proc_name;
    cfg->scheme = "http";
    cfg->daemonize = s->daemon;
    cfg->keep_stdio = s->enable_stdio_inheritance;
    /* the defaults are the current ids: only a change is applied */
    if (s->user != (long) geteuid()) {
        /* initgroups(3) looks the user's groups up by name */
        pw = s->initgroups ? getpwuid((uid_t) s->user) : NULL;
        if (pw == NULL || (size_t) snprintf(st->user, sizeof(st->user), "%s",
                                            pw->pw_name) >= sizeof(st->user))
        {
            snprintf(st->user, sizeof(st->user), "%ld", s->user);
        }
        cfg->user = st->user;
    }
    if (s->group != (long) getegid()) {
        snprintf(st->group, sizeof(st->group), "%ld", s->group);
        cfg->group = st->group;
    }
    cfg->initgroups = s->initgroups;
    cfg->umask = (int) s->umask;
    cfg->argv = argv;
    cfg->env_prefix = "GUNICORN";
}


/* The worker kind whose callbacks the workers forked next run: a HUP that
 * changes worker_class switches it (gunicorn's setup() takes the new
 * class for the workers it spawns next).  The arbiter's table calls the
 * worker side through it (the shim's init takes its kind from the table
 * it belongs to); the master side stays the first kind's, which does the
 * same for every kind (pfw_master_init, pfw_pre_fork, pfw_post_fork). */
static const pf_worker_ops  *kind_ops;
static int                   master_dir = -1;  /* the master's alone */


static int
kind_init(pf_worker *w, void *ud)
{
    if (master_dir >= 0) {
        close(master_dir);
        master_dir = -1;
    }
    return kind_ops->init != NULL ? kind_ops->init(w, ud) : 0;
}


static int
kind_run(pf_worker *w, void *ud)
{
    return kind_ops->run(w, ud);
}


static void
kind_fini(pf_worker *w, void *ud)
{
    if (kind_ops->fini != NULL) {
        kind_ops->fini(w, ud);
    }
}


static const pf_worker_ops *
pick_ops(const pfc_settings *s)
{
    switch (s->worker_kind) {
    case PFC_WORKER_EV:
        return &pfw_ev_ops;
    case PFC_WORKER_GTHREAD:
        return &pfw_gthread_ops;
    default:
        return &pfw_sync_ops;
    }
}


/* ---- the configuration file ------------------------------------------ */

static int
cfg_known(const char *name, int *arity, void *ud)
{
    const pfc_setting  *t = pfc_lookup(name);

    (void) ud;
    if (t == NULL) {
        return 0;
    }
    if (t->kind == PFC_K_HOOK) {
        *arity = t->arity;
        return 2;
    }
    return 1;
}


/* One module-level value through the settings engine, as gunicorn's
 * cfg.set(); "Invalid value for NAME: VALUE" and "Error: ..." if refused. */
static int
cfg_set(const char *name, const pfw_cfgval *v, void *ud)
{
    static const int    types[] = {
        [PFW_CV_NONE] = PFC_PY_NONE, [PFW_CV_BOOL] = PFC_PY_BOOL,
        [PFW_CV_INT] = PFC_PY_INT, [PFW_CV_STR] = PFC_PY_STR,
        [PFW_CV_LIST] = PFC_PY_LIST, [PFW_CV_DICT] = PFC_PY_DICT,
        [PFW_CV_OBJECT] = PFC_PY_OBJECT,
    };
    pfc_settings       *s = ud;
    const pfc_setting  *t = pfc_lookup(name);
    pfc_value           pv;
    char                err[1024];
    int                 r;

    switch (v->type) {
    case PFW_CV_INVALID:
        pfc_print_invalid(stderr, name, v->str, v->s);
        return PFC_EXIT_CONFIG;
    case PFW_CV_HOOK:
        r = pfc_set_hook(s, name, v->s, err, sizeof(err));
        break;
    default:
        if (t->kind == PFC_K_PYOBJ) {
            r = pfc_set_pyobj(s, name, v->type == PFW_CV_DICT, v->str, err,
                              sizeof(err));
            break;
        }
        pv.type = types[v->type];
        pv.i = v->i;
        pv.s = v->s;
        pv.items = v->items;
        pv.n = v->n;
        r = pfc_set(s, pfc_index(name), &pv, PFC_SRC_FILE, err, sizeof(err));
        break;
    }
    if (r != 0) {
        pfc_print_invalid(stderr, name, v->str, err);
        return PFC_EXIT_CONFIG;
    }
    return 0;
}


/* gunicorn.conf.py / -c: Python code, run by the embedded interpreter in
 * this process (which is the only reason, with --preload, for Python in
 * the master). */
static int
load_config_file(pfc_settings *s, const char *location, void *ud)
{
    pfw_cfg_sink  sink = { cfg_known, cfg_set, s };
    char        **argv = ud;
    int           st;

    st = pfw_config_exec(location, argv, &sink);
    if (st == PFW_CONFIG_EXIT_OK) {
        exit(0);                           /* the file said sys.exit() */
    }
    return st;
}


/* What hooks see as cfg: every setting as Python shows it. */
static void
publish_cfg(const pfc_settings *s)
{
    const pfc_setting  *t;
    const void         *f;
    char               *text;
    int                 i, how;

    if (!pfw_python_live()) {
        return;
    }
    for (i = 0; i < PFC_NSETTINGS; i++) {
        t = &pfc_table[i];
        f = (const char *) s + t->offset;
        if (t->kind == PFC_K_HOOK) {
            continue;                      /* the callables, from hooks.c */
        }
        text = pfc_value_str(s, i);
        if (text == NULL) {
            continue;
        }
        how = PFW_CFG_LITERAL;
        if (t->kind == PFC_K_STR || t->kind == PFC_K_CHOICE) {
            how = PFW_CFG_STR;
            if ((t->kind == PFC_K_STR && *(char *const *) f == NULL)
                || (t->kind == PFC_K_CHOICE && *(const int *) f < 0))
            {
                how = PFW_CFG_NONE;
            }
        }
        pfw_hooks_cfg_add(t->name, how, text);
        free(text);
    }
    pfw_hooks_commit();
}


/* ---- SIGHUP: re-read everything ---------------------------------------- */

static int
same_list(const pfc_strlist *a, const pfc_strlist *b)
{
    size_t  i;

    if (a->n != b->n) {
        return 0;
    }
    for (i = 0; i < a->n; i++) {
        if (strcmp(a->v[i], b->v[i]) != 0) {
            return 0;
        }
    }
    return 1;
}


/* Settings a running master does not change: said once, kept as they
 * are.  gunicorn ignores daemon after start-up too, and keeps an app it
 * preloaded (its cached callable); only preload turned on differs: gunicorn
 * would import the app in the master at this reload. */
static void
warn_fixed(const pfc_settings *o, const pfc_settings *n)
{
    if (!o->preload_app && n->preload_app) {
        pf_log(PF_LOG_WARNING, "preload_app turned on by a reload: the new "
               "workers still import the application themselves; it needs "
               "a restart (or USR2) to take effect");
    }
    if (o->daemon != n->daemon) {
        pf_log(PF_LOG_WARNING, "daemon changed on reload: it only applies "
               "at start-up");
    }
}


/* proc_name, pidfile, user/group, timeouts... through the arbiter
 * (gunicorn's setup() and reload()); the worker kind for the next
 * generation.  A refusal (the new pidfile names a live process) keeps
 * the previous identity and proc_name, and says so. */
static void
apply_master(run_state *st, pfc_settings *ns)
{
    const pf_worker_ops  *k = pick_ops(ns);

    fill_config(st, ns, st->argv);
    if (pf_arbiter_reconfigure(st->arb, &st->cfg) != 0) {
        pf_log_errno(PF_LOG_ERROR, errno, "Reload: pidfile, proc_name and "
                     "user/group could not be applied; the previous ones "
                     "stay");
        pf_arbiter_set_timeouts(st->arb, (unsigned) ns->timeout,
                                (unsigned) ns->graceful_timeout);
        free(ns->proc_name);
        ns->proc_name = st->s.proc_name;    /* the workers keep the name */
        st->s.proc_name = NULL;
        st->cfg.proc_name = ns->proc_name != NULL ? ns->proc_name
                                                  : ns->default_proc_name;
    }
    if (k != kind_ops) {
        kind_ops = k;
        st->ops->name = k->name;
        pf_log(PF_LOG_INFO, "Using worker: %s", k->name);
    }
}


/* gunicorn's Arbiter.reload(): the command line, GUNICORN_CMD_ARGS as it
 * was at start and the config file (re-executed) are read again, from the
 * start-up directory; what a running master can change takes effect for
 * the workers it forks next.  A configuration that fails to load changes
 * nothing. */
static int
reload_config(pfw_app *app, void *ud)
{
    run_state     *st = ud;
    pfc_settings   ns;
    size_t         i;
    int            status, stop;

    (void) app;
    if (st->start_dir >= 0 && fchdir(st->start_dir) != 0) {
        pf_log_errno(PF_LOG_WARNING, errno, "fchdir(start-up directory) "
                     "failed");
    }
    /* gunicorn's step 1: raw_env's variables back to what they were before
     * it set them, so the file re-reads in that environment and a dropped
     * variable is gone */
    rawenv_restore();
    stop = pfc_cli_load(&ns, st->argc, st->argv, st->cmd_args,
                        load_config_file, st->argv, stdout, stderr, &status);
    if (stop) {
        pfc_settings_free(&ns);
        pfw_hooks_discard();
        if (st->s.chdir != NULL && chdir(st->s.chdir) != 0) {
            pf_log_errno(PF_LOG_WARNING, errno, "chdir(%s) failed",
                         st->s.chdir);
        }
        export_env(&st->s);
        pf_log(PF_LOG_ERROR, "Reload failed (status %d): the configuration "
               "and the workers stay as they were", status);
        return -1;
    }
    if (ns.chdir != NULL && chdir(ns.chdir) != 0) {
        pf_log_errno(PF_LOG_WARNING, errno, "chdir(%s) failed", ns.chdir);
    }
    /* gunicorn re-binds when the addresses changed (after the chdir, so
     * relative unix paths mean what they mean at start-up) */
    if (!same_list(&st->s.bind, &ns.bind)
        && pf_arbiter_rebind(st->arb, (const char *const *) ns.bind.v,
                             ns.bind.n) != 0)
    {
        pfc_settings_free(&ns);
        pfw_hooks_discard();
        if (st->s.chdir != NULL && chdir(st->s.chdir) != 0) {
            pf_log_errno(PF_LOG_WARNING, errno, "chdir(%s) failed",
                         st->s.chdir);
        }
        export_env(&st->s);
        pf_log(PF_LOG_ERROR, "Reload failed: the new addresses could not be "
               "bound; the configuration and the workers stay as they were");
        return -1;
    }
    apply_master(st, &ns);
    warn_fixed(&st->s, &ns);
    for (i = 0; i < ns.warnings.n; i++) {
        pf_log(PF_LOG_WARNING, "%s", ns.warnings.v[i]);
    }
    pfc_logs_reload(&ns);                /* gunicorn 26.1 rebuilds its logger */
    export_env(&ns);
    /* the app preloaded at start stays (gunicorn's cached callable) */
    ns.preload_app = st->s.preload_app;
    /* The master has taken the new settings already, and st->app now
     * points into ns: on a failure ns is kept all the same (freeing it
     * would leave st->app and st->cfg dangling). */
    if (fill_app(st, &ns, st->argv) != 0) {
        pf_log_errno(PF_LOG_ERROR, ENOMEM, "Reload: calloc(secure scheme "
                     "headers) failed; the new workers trust none");
    }
    publish_cfg(&ns);
    pfc_settings_free(&st->s);
    st->s = ns;
    return 0;
}


/* The arbiter re-executes (USR2) from the directory it was created in:
 * create it in the start-up directory, as gunicorn re-executes from
 * START_CTX["cwd"], so that a relative program name, --chdir or config
 * path means in the new master what it meant at start. */
static pf_arbiter *
new_arbiter(run_state *st, pf_worker_ops *ops)
{
    pf_arbiter  *a;
    int          here, err;

    here = st->start_dir >= 0 && st->s.chdir != NULL
           ? open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (here >= 0 && fchdir(st->start_dir) != 0) {
        close(here);
        here = -1;
    }
    a = pf_arbiter_new(&st->cfg, ops, &st->app);
    err = errno;
    if (here >= 0) {
        if (fchdir(here) != 0) {
            pf_log_errno(PF_LOG_WARNING, errno, "fchdir(%s) failed",
                         st->s.chdir);
        }
        close(here);
    }
    errno = err;
    return a;
}


int
main(int argc, char **argv)
{
    static run_state      st;
    static pf_worker_ops  ops;
    pfc_settings         *s = &st.s;
    const char           *cmd_args = getenv("GUNICORN_CMD_ARGS");
    pf_arbiter           *a;
    struct stat           tmpst;
    int                   sd_fds;
    char                  err[1024];
    size_t                i;
    int                   status, rc;

    /* the process title overwrites argv's strings: reloads need a copy */
    st.argc = argc;
    st.argv = calloc((size_t) argc + 1, sizeof(char *));
    for (i = 0; st.argv != NULL && i < (size_t) argc; i++) {
        st.argv[i] = strdup(argv[i]);
        if (st.argv[i] == NULL) {
            st.argv = NULL;
        }
    }
    if (st.argv == NULL) {
        fprintf(stderr, "\nError: out of memory\n");
        return PFC_EXIT_CONFIG;
    }
    st.cmd_args = cmd_args != NULL ? strdup(cmd_args) : NULL;
    st.start_dir = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    master_dir = st.start_dir;
    if (pfc_cli_load(s, argc, argv, cmd_args, load_config_file, argv,
                     stdout, stderr, &status))
    {
        return status;
    }
    if (export_env(s) != 0) {
        return PFC_EXIT_CONFIG;
    }
    if (s->chdir != NULL && chdir(s->chdir) != 0) {
        fprintf(stderr, "\nError: can't chdir to '%s': %s\n", s->chdir,
                strerror(errno));
        return PFC_EXIT_CONFIG;
    }
    if (s->print_config) {
        pfc_print_config(stdout, s);
        fflush(stdout);
    }
    if (fill_app(&st, s, argv) != 0) {
        fprintf(stderr, "\nError: out of memory\n");
        return PFC_EXIT_CONFIG;
    }
    if (s->check_config || s->print_config) {
        log_warnings(s);
        /* gunicorn imports the app here: 0 if it loads, else 1 */
        rc = pfw_check_app(&st.app);
        return rc == 0 ? 0 : PFC_EXIT_CONFIG;
    }
    /* after the chdir, as gunicorn's Arbiter creates its logger */
    if (pfc_logs_open(s, err, sizeof(err)) != 0) {
        fprintf(stderr, "\nError: %s\n\n", err);
        return PFC_EXIT_CONFIG;
    }
    log_warnings(s);
    publish_cfg(s);
    /* heartbeats live in shared memory, but gunicorn's check stays */
    if (s->worker_tmp_dir != NULL
        && (stat(s->worker_tmp_dir, &tmpst) != 0 || !S_ISDIR(tmpst.st_mode)))
    {
        fprintf(stderr, "\nError: %s doesn't exist. Can't create workertmp.\n",
                s->worker_tmp_dir);
        return PFC_EXIT_CONFIG;
    }
    fill_config(&st, s, argv);
    kind_ops = pick_ops(s);
    ops = *kind_ops;
    ops.init = kind_init;
    ops.run = kind_run;
    ops.fini = kind_fini;
    st.ops = &ops;
    pfw_hooks_ops(&ops);
    pfw_lifecycle_ops(&ops, &st.app);
    pfc_logs_ops(&ops, s);
    inner_pre_exec = ops.pre_exec;
    ops.pre_exec = rawenv_pre_exec;
    pfc_logs_starting(s);

    sd_fds = pfw_systemd_listen_fds();    /* pf_arbiter_new() unsets it */
    a = new_arbiter(&st, &ops);
    if (a == NULL) {
        pf_log_errno(PF_LOG_ERROR, errno, "pf_arbiter_new() failed");
        return PFC_EXIT_CONFIG;
    }
    st.arb = a;
    if (pfw_listen_all(a, s->bind.v, s->bind.n, sd_fds,
                       s->source[PFC_S_BIND] != PFC_SRC_DEFAULT) != 0)
    {
        pf_arbiter_free(a);
        return PFC_EXIT_CONFIG;
    }
    status = pf_arbiter_run(a);
    pf_arbiter_free(a);
    return status;
}

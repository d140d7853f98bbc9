/*
 * prefork-wsgi [OPTIONS] MODULE:CALLABLE -- gunicorn's command line over
 * libprefork.  Glue only: the settings engine (cli/) resolves every layer
 * of configuration; this file turns the result into a pf_config and a
 * pfw_app, picks the worker kind's table and runs the arbiter.  The master
 * stays a small C process: Python starts in the workers, or here only for
 * --preload and --check-config.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <prefork/arbiter.h>
#include <prefork/log.h>
#include <prefork/sockets.h>

#include "options.h"
#include "settings.h"
#include "wsgi.h"

/* Every string main() builds lives as long as the process. */
typedef struct {
    pfw_app             app;
    pf_config           cfg;
    char                user[32], group[32];
    char               *forwarded, *proxy_allow, *forwarder;
    pfh_scheme_header  *scheme;
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


static int
log_level(const char *name)
{
    static const char *const  names[] = {
        "debug", "info", "warning", "error", "critical"
    };
    int                       i;

    for (i = 0; name != NULL && i < 5; i++) {
        if (strcasecmp(name, names[i]) == 0) {
            return PF_LOG_DEBUG + i;
        }
    }
    return PF_LOG_INFO;                  /* gunicorn: unknown -> info */
}


/* --error-logfile FILE: every log line and Python's stderr go there;
 * --capture-output sends stdout there too. */
static int
setup_logs(const pfc_settings *s)
{
    int  fd;

    pf_log_set(NULL, NULL, log_level(s->loglevel));
    if (s->errorlog == NULL || strcmp(s->errorlog, "-") == 0) {
        return 0;
    }
    fd = open(s->errorlog, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd == -1) {
        fprintf(stderr, "\nError: Could not open error log file '%s': %s\n",
                s->errorlog, strerror(errno));
        return -1;
    }
    if (dup2(fd, STDERR_FILENO) == -1
        || (s->capture_output && dup2(fd, STDOUT_FILENO) == -1))
    {
        fprintf(stderr, "\nError: dup2(%s) failed: %s\n", s->errorlog,
                strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}


/* raw_env "KEY=VALUE": exported in the master, before any import. */
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
        if (setenv(kv, eq + 1, 1) != 0) {
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
    st->forwarder = join(&s->forwarder_headers);
    h->forwarder_headers = st->forwarder != NULL ? st->forwarder : "";
    st->scheme = calloc(s->secure_scheme_headers.n + 1, sizeof(*st->scheme));
    if (st->scheme == NULL) {
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
    pf_config  *cfg = &st->cfg;

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
        snprintf(st->user, sizeof(st->user), "%ld", s->user);
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


/* No Python in this process: a config file cannot be read yet (it is
 * Python code, and the master stays free of the interpreter). */
static int
load_config_file(pfc_settings *s, const char *location, void *ud)
{
    (void) s;
    (void) ud;
    fprintf(stderr, "\nError: %s: prefork-wsgi does not read Python "
            "configuration files yet; pass the settings on the command "
            "line or in GUNICORN_CMD_ARGS\n", location);
    return PFC_EXIT_CONFIG;
}


int
main(int argc, char **argv)
{
    static run_state  st;
    pfc_settings      s;
    pf_arbiter       *a;
    size_t            i;
    int               status, rc;

    if (pfc_cli_load(&s, argc, argv, getenv("GUNICORN_CMD_ARGS"),
                     load_config_file, NULL, stdout, stderr, &status))
    {
        return status;
    }
    if (setup_logs(&s) != 0 || export_env(&s) != 0) {
        return PFC_EXIT_CONFIG;
    }
    for (i = 0; i < s.warnings.n; i++) {
        pf_log(PF_LOG_WARNING, "%s", s.warnings.v[i]);
    }
    if (s.chdir != NULL && chdir(s.chdir) != 0) {
        fprintf(stderr, "\nError: can't chdir to '%s': %s\n", s.chdir,
                strerror(errno));
        return PFC_EXIT_CONFIG;
    }
    if (s.print_config) {
        pfc_print_config(stdout, &s);
        fflush(stdout);
    }
    if (fill_app(&st, &s, argv) != 0) {
        fprintf(stderr, "\nError: out of memory\n");
        return PFC_EXIT_CONFIG;
    }
    if (s.check_config || s.print_config) {
        /* gunicorn imports the app here: 0 if it loads, else 1 */
        rc = pfw_check_app(&st.app);
        return rc == 0 ? 0 : PFC_EXIT_CONFIG;
    }
    fill_config(&st, &s, argv);

    a = pf_arbiter_new(&st.cfg, pick_ops(&s), &st.app);
    if (a == NULL) {
        pf_log_errno(PF_LOG_ERROR, errno, "pf_arbiter_new() failed");
        return PFC_EXIT_CONFIG;
    }
    for (i = 0; i < s.bind.n; i++) {
        if (pf_arbiter_listen(a, s.bind.v[i]) != 0) {
            pf_arbiter_free(a);
            return PFC_EXIT_CONFIG;
        }
    }
    status = pf_arbiter_run(a);
    pf_arbiter_free(a);
    return status;
}

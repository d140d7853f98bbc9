/*
 * The table and the struct: the table's rows agree with the struct and
 * with gunicorn's spellings; defaults, environment-derived defaults, the
 * worker kinds (and the refused Python worker classes), the refused and
 * the inert settings.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc.h"

#define NAME_(n, N)  #n,
static const char *const  names[] = { PFC_SETTING_NAMES(NAME_) };
#undef NAME_


START_TEST(test_table_rows)
{
    const pfc_setting  *t;
    size_t              want;
    int                 i, j, nhooks = 0;

    ck_assert_int_eq(PFC_NSETTINGS, 119);
    for (i = 0; i < PFC_NSETTINGS; i++) {
        t = &pfc_table[i];
        ck_assert_msg(t->name != NULL && strcmp(t->name, names[i]) == 0,
                      "row %d is %s, enum says %s", i, t->name, names[i]);
        ck_assert_ptr_eq(pfc_lookup(t->name), t);
        ck_assert_msg(t->desc != NULL && t->section != NULL, "%s", t->name);
        ck_assert_msg((t->cli[0] == NULL) == ((t->flags & PFC_F_FILE_ONLY)
                                              != 0), "%s", t->name);
        ck_assert_msg((t->cli[0] == NULL) == (t->action == PFC_ACT_NONE),
                      "%s", t->name);
        ck_assert_msg((t->support == PFC_SUP_INERT
                       || t->support == PFC_SUP_REFUSED) <= (t->note != NULL),
                      "%s: inert/refused needs a note", t->name);
        ck_assert_msg((t->kind == PFC_K_HOOK) == (t->hook >= 0), "%s",
                      t->name);
        switch (t->kind) {
        case PFC_K_STR: case PFC_K_HOOK: case PFC_K_PYOBJ:
            want = sizeof(char *);
            break;
        case PFC_K_INT:
            want = sizeof(long);
            break;
        case PFC_K_LIST:
            want = sizeof(pfc_strlist);
            break;
        case PFC_K_DICT:
            want = sizeof(pfc_dict);
            break;
        default:
            want = sizeof(int);
        }
        ck_assert_msg(t->size == want, "%s: field size %zu", t->name,
                      t->size);
        if (t->metavar == NULL) {
            ck_assert_msg(t->action != PFC_ACT_STORE
                          && t->action != PFC_ACT_APPEND
                          && t->action != PFC_ACT_OPTIONAL, "%s", t->name);
        }
        ck_assert_msg((t->kind == PFC_K_CHOICE) == (pfc_choices(i) != NULL),
                      "%s", t->name);
        nhooks += t->kind == PFC_K_HOOK;
        for (j = 0; j < 3 && t->cli[j] != NULL; j++) {
            ck_assert_msg(t->cli[j][0] == '-', "%s", t->name);
        }
    }
    ck_assert_int_eq(nhooks, PFC_NHOOKS);
    ck_assert_ptr_null(pfc_lookup("not_a_setting"));
    ck_assert_ptr_null(pfc_lookup("APP_MODULE"));
}
END_TEST


START_TEST(test_spellings)
{
    static const char *const  want[][3] = {
        { "limit_request_field_size", "--limit-request-field_size", NULL },
        { "errorlog", "--error-logfile", "--log-file" },
        { "paste", "--paste", "--paster" },
        { "sendfile", "--no-sendfile", NULL },
        { "keepalive", "--keep-alive", NULL },
        { "preload_app", "--preload", NULL },
        { "pidfile", "-p", "--pid" },
        { "enable_stdio_inheritance", "-R", "--enable-stdio-inheritance" },
        { "proxy_allow_ips", "--proxy-allow-from", NULL },
        { "raw_env", "-e", "--env" },
        { "control_socket_disable", "--no-control-socket", NULL },
    };
    const pfc_setting  *t;
    size_t              i;

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        t = pfc_lookup(want[i][0]);
        ck_assert_ptr_nonnull(t);
        ck_assert_str_eq(t->cli[0], want[i][1]);
        if (want[i][2] != NULL) {
            ck_assert_str_eq(t->cli[1], want[i][2]);
        } else {
            ck_assert_ptr_null(t->cli[1]);
        }
    }
    t = pfc_lookup("proxy_protocol");
    ck_assert_int_eq(t->action, PFC_ACT_OPTIONAL);
    ck_assert_int_eq(pfc_lookup("umask")->argtype, PFC_ARG_AUTO_INT);
    ck_assert_int_eq(pfc_lookup("bind")->action, PFC_ACT_APPEND);
    ck_assert(pfc_lookup("secure_scheme_headers")->flags & PFC_F_FILE_ONLY);
    ck_assert(pfc_lookup("logconfig_dict")->flags & PFC_F_FILE_ONLY);
    ck_assert(pfc_lookup("wsgi_app")->flags & PFC_F_FILE_ONLY);
    ck_assert(pfc_lookup("on_starting")->flags & PFC_F_FILE_ONLY);
    ck_assert_int_eq(pfc_lookup("tmp_upload_dir")->support, PFC_SUP_INERT);
    ck_assert_int_eq(pfc_lookup("ssl_version")->support, PFC_SUP_INERT);
    ck_assert_int_eq(pfc_lookup("certfile")->support, PFC_SUP_REFUSED);
}
END_TEST


START_TEST(test_defaults)
{
    pfc_settings  s;
    char          err[256];

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    ck_assert_int_eq(s.bind.n, 1);
    ck_assert_str_eq(s.bind.v[0], "127.0.0.1:8000");
    ck_assert_int_eq(s.workers, 1);
    ck_assert_str_eq(s.worker_class, "sync");
    ck_assert_int_eq(s.threads, 1);
    ck_assert_int_eq(s.timeout, 30);
    ck_assert_int_eq(s.graceful_timeout, 30);
    ck_assert_int_eq(s.keepalive, 2);
    ck_assert_int_eq(s.backlog, 2048);
    ck_assert_int_eq(s.limit_request_line, 4094);
    ck_assert_int_eq(s.limit_request_fields, 100);
    ck_assert_int_eq(s.limit_request_field_size, 8190);
    ck_assert_int_eq(s.sendfile, -1);
    ck_assert_int_eq(s.suppress_ragged_eofs, 1);
    ck_assert_int_eq(s.header_map, PFC_HEADER_MAP_DROP);
    ck_assert_int_eq(s.proxy_protocol, PFC_PROXY_OFF);
    ck_assert_int_eq(s.forwarded_allow_ips.n, 2);
    ck_assert_str_eq(s.forwarded_allow_ips.v[1], "::1");
    ck_assert_int_eq(s.forwarder_headers.n, 2);
    ck_assert_int_eq(s.secure_scheme_headers.n, 3);
    ck_assert_str_eq(s.secure_scheme_headers.v[1].key, "X-FORWARDED-PROTO");
    ck_assert_str_eq(s.errorlog, "-");
    ck_assert_ptr_null(s.accesslog);
    ck_assert_str_eq(s.loglevel, "info");
    ck_assert_str_eq(s.config, "./gunicorn.conf.py");
    ck_assert_int_eq(s.user, (long) geteuid());
    ck_assert_int_eq(s.group, (long) getegid());
    ck_assert_int_eq(s.umask, 0);
    ck_assert_int_eq(s.control_socket_mode, 0600);
    ck_assert_int_eq(s.http2_max_frame_size, 16384);
    ck_assert_ptr_nonnull(s.chdir);
    ck_assert_int_eq(s.chdir[0], '/');
    ck_assert_int_eq(s.warnings.n, 0);
    ck_assert_int_eq(pfc_sendfile(&s), 1);
    pfc_settings_free(&s);
}
END_TEST


START_TEST(test_env_defaults)
{
    pfc_settings  s;
    char          err[256];

    setenv("PORT", "5000", 1);
    setenv("WEB_CONCURRENCY", " 4 ", 1);
    setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8, *", 1);
    setenv("SENDFILE", "No", 1);
    setenv("XDG_RUNTIME_DIR", "/", 1);
    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    ck_assert_int_eq(s.bind.n, 1);
    ck_assert_str_eq(s.bind.v[0], "0.0.0.0:5000");
    ck_assert_int_eq(s.workers, 4);
    ck_assert_int_eq(s.forwarded_allow_ips.n, 2);
    ck_assert_str_eq(s.forwarded_allow_ips.v[1], "*");
    ck_assert_int_eq(pfc_sendfile(&s), 0);
    ck_assert_str_eq(s.control_socket, "/gunicorn.ctl");
    ck_assert_int_eq(s.source[PFC_S_BIND], PFC_SRC_DEFAULT);
    setenv("SENDFILE", "Yes", 1);
    ck_assert_int_eq(pfc_sendfile(&s), 1);
    s.sendfile = 0;     /* --no-sendfile wins over the environment */
    ck_assert_int_eq(pfc_sendfile(&s), 0);
    pfc_settings_free(&s);

    setenv("WEB_CONCURRENCY", "x", 1);
    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "invalid literal for int() with base 10: 'x'");
    pfc_settings_free(&s);
    setenv("WEB_CONCURRENCY", "-2", 1);
    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "Value must be positive: -2");
    pfc_settings_free(&s);
    unsetenv("WEB_CONCURRENCY");
    setenv("FORWARDED_ALLOW_IPS", "10.0.0.1/8", 1);
    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "10.0.0.1/8 has host bits set");
    pfc_settings_free(&s);
}
END_TEST


START_TEST(test_home_control_socket)
{
    pfc_settings  s;
    char          err[256];

    unsetenv("XDG_RUNTIME_DIR");
    setenv("HOME", "/home/someone", 1);
    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    ck_assert_str_eq(s.control_socket, "/home/someone/.gunicorn/gunicorn.ctl");
    pfc_settings_free(&s);
}
END_TEST


typedef struct {
    const char  *worker_class;
    long         threads;
    int          kind;      /* -1: refused */
} worker_case;

static const worker_case  worker_cases[] = {
    { "sync", 1, PFC_WORKER_SYNC },
    { "sync", 4, PFC_WORKER_GTHREAD },
    { "gthread", 1, PFC_WORKER_GTHREAD },
    { "ev", 1, PFC_WORKER_EV },
    { "ev", 8, PFC_WORKER_EV },
    { "#sync", 4, PFC_WORKER_SYNC },
    { "egg:gunicorn#sync", 4, PFC_WORKER_SYNC },
    { "gunicorn.workers.sync.SyncWorker", 1, PFC_WORKER_SYNC },
    { "gunicorn.workers.sync.SyncWorker", 2, PFC_WORKER_GTHREAD },
    { "egg:gunicorn#gthread", 1, PFC_WORKER_GTHREAD },
    { "gunicorn.workers.gthread.ThreadWorker", 1, PFC_WORKER_GTHREAD },
    { "gevent", 1, -1 },
    { "eventlet", 1, -1 },
    { "tornado", 1, -1 },
    { "gevent_wsgi", 1, -1 },
    { "gevent_pywsgi", 1, -1 },
    { "asgi", 1, -1 },
    { "uvicorn.workers.UvicornWorker", 1, -1 },
    { "egg:gunicorn#gevent", 1, -1 },
    { "gunicorn.workers.ggevent.GeventWorker", 1, -1 },
    { "Sync", 1, -1 },
    { "mypkg.MyWorker", 1, -1 },
};


START_TEST(test_worker_kind)
{
    const worker_case  *c = &worker_cases[_i];
    pfc_settings        s;
    char                err[512], want[512];

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    ck_assert_int_eq(pfc_set_from_string(&s, "worker_class", c->worker_class,
                                         err, sizeof(err)), 0);
    ck_assert_int_eq(pfc_set_int(&s, "threads", c->threads, err,
                                 sizeof(err)), 0);
    ck_assert_int_eq(pfc_set_from_string(&s, "wsgi_app", "app:app", err,
                                         sizeof(err)), 0);
    if (c->kind < 0) {
        ck_assert_int_eq(pfc_settings_finish(&s, err, sizeof(err)), -1);
        snprintf(want, sizeof(want), "worker class '%s' is not supported: "
                 "prefork-wsgi runs its own C workers and cannot load Python "
                 "worker classes; use sync, gthread or ev (ev serves many "
                 "concurrent connections)", c->worker_class);
        ck_assert_str_eq(err, want);
    } else {
        ck_assert_msg(pfc_settings_finish(&s, err, sizeof(err)) == 0, "%s",
                      err);
        ck_assert_int_eq(s.worker_kind, c->kind);
        ck_assert_str_eq(s.app_uri, "app:app");
    }
    pfc_settings_free(&s);
}
END_TEST


START_TEST(test_no_app)
{
    pfc_settings  s;
    char          err[256];

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    ck_assert_int_eq(pfc_settings_finish(&s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "No application module specified.");
    pfc_settings_free(&s);
}
END_TEST


/* Refused when set to a non-default value; inert ones warn when set. */
START_TEST(test_refused_and_inert)
{
    pfc_settings  s;
    char          err[512];

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    pfc_set_from_string(&s, "wsgi_app", "app:app", err, sizeof(err));
    ck_assert_int_eq(pfc_set_from_string(&s, "protocol", "http", err,
                                         sizeof(err)), 0);
    ck_assert_int_eq(pfc_set_int(&s, "dirty_workers", 0, err, sizeof(err)),
                     0);
    ck_assert_int_eq(pfc_set_bool(&s, "spew", 1, err, sizeof(err)), 0);
    ck_assert_int_eq(pfc_set_hook(&s, "on_dirty_starting", "f", err,
                                  sizeof(err)), 0);
    ck_assert_int_eq(pfc_settings_finish(&s, err, sizeof(err)), 0);
    ck_assert_int_eq(s.warnings.n, 2);
    ck_assert_str_eq(s.warnings.v[0], "setting spew has no effect in "
                     "prefork-wsgi: there is no Python line tracer in the C "
                     "server.");
    ck_assert_str_eq(s.warnings.v[1], "setting on_dirty_starting has no "
                     "effect in prefork-wsgi: gunicorn's dirty arbiters (25.0) "
                     "are not implemented.");
    pfc_settings_free(&s);

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    pfc_set_from_string(&s, "wsgi_app", "app:app", err, sizeof(err));
    pfc_set_from_string(&s, "protocol", "uwsgi", err, sizeof(err));
    ck_assert_int_eq(pfc_settings_finish(&s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "setting protocol is not supported by prefork-wsgi:"
                     " prefork-wsgi speaks HTTP only; the uwsgi protocol is "
                     "not implemented.");
    pfc_settings_free(&s);

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    pfc_set_from_string(&s, "wsgi_app", "app:app", err, sizeof(err));
    pfc_set_from_string(&s, "certfile", "/etc/cert.pem", err, sizeof(err));
    ck_assert_int_eq(pfc_settings_finish(&s, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "setting certfile is not supported by prefork-wsgi:"
                     " TLS is not supported: terminate TLS in a reverse proxy "
                     "(nginx, haproxy) in front of prefork-wsgi.");
    pfc_settings_free(&s);

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    pfc_set_from_string(&s, "wsgi_app", "app:app", err, sizeof(err));
    pfc_set_from_string(&s, "logger_class", "myapp.Logger", err, sizeof(err));
    ck_assert_int_eq(pfc_settings_finish(&s, err, sizeof(err)), 0);
    ck_assert_int_eq(s.warnings.n, 1);
    ck_assert_str_eq(s.warnings.v[0], "logger_class myapp.Logger has no "
                     "effect: custom Python logger classes cannot be loaded; "
                     "the built-in logger is used.");
    pfc_settings_free(&s);
}
END_TEST


Suite *
settings_suite(void)
{
    Suite  *s = suite_create("settings");
    TCase  *tc = tcase_create("table");

    tcase_add_test(tc, test_table_rows);
    tcase_add_test(tc, test_spellings);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_env_defaults);
    tcase_add_test(tc, test_home_control_socket);
    suite_add_tcase(s, tc);

    tc = tcase_create("finish");
    tcase_add_loop_test(tc, test_worker_kind, 0,
                        sizeof(worker_cases) / sizeof(worker_cases[0]));
    tcase_add_test(tc, test_no_app);
    tcase_add_test(tc, test_refused_and_inert);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * Precedence (gunicorn's app/base.py): defaults < config file <
 * GUNICORN_CMD_ARGS < command line; which config file is read; what each
 * kind of error prints and its exit status.  The Python loader is played
 * by tc_load_file().
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "tc.h"


/* The value of one --print-config line; NULL if absent. */
static char *
pc(const char *out, const char *name)
{
    static char  val[1024];
    const char  *p = out, *eol;
    size_t       n = strlen(name);

    for ( ; *p != '\0'; p = eol + 1) {
        eol = strchr(p, '\n');
        if (eol == NULL) {
            break;
        }
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            p = strstr(p, " = ") + 3;
            snprintf(val, sizeof(val), "%.*s", (int) (eol - p), p);
            return val;
        }
    }
    return NULL;
}


START_TEST(test_four_layers)
{
    char              *dir = th_tmpdir();
    const char        *file;
    char               c_arg[600];
    const char        *argv[] = { "prefork-wsgi", "-w", "2", "app:app",
                                  "--print-config", "-c", NULL, NULL };
    const char *const  env[] = {
        "GUNICORN_CMD_ARGS=-w 3 -t 50 --bind 'e 1' other:app", NULL
    };
    tc_result          r;

    file = tc_write(dir, "conf.py", "workers int 5\ntimeout int 40\n"
                    "keepalive int 7\nbind list f1 f2\n"
                    "loglevel str debug\n");
    snprintf(c_arg, sizeof(c_arg), "%s", file);
    argv[6] = c_arg;
    tc_run(argv, env, NULL, &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(pc(r.out, "workers"), "2");           /* CLI */
    ck_assert_str_eq(pc(r.out, "timeout"), "50");          /* env args */
    ck_assert_str_eq(pc(r.out, "bind"), "['e 1']");        /* env args */
    ck_assert_str_eq(pc(r.out, "keepalive"), "7");         /* file */
    ck_assert_str_eq(pc(r.out, "loglevel"), "debug");      /* file */
    ck_assert_str_eq(pc(r.out, "graceful_timeout"), "30"); /* default */
    ck_assert_str_eq(pc(r.out, "config"), c_arg);
    /* positional arguments in GUNICORN_CMD_ARGS are ignored */
    ck_assert_str_eq(pc(r.out, "default_proc_name"), "app:app");
    th_rmrf(dir);
    free(dir);
}
END_TEST


/* File values never override higher layers, whatever the order. */
START_TEST(test_order_independent)
{
    pfc_settings  s;
    pfc_args      cli;
    char          err[256];
    char *const   args[] = { "-w", "4", "--bind", "x:1" };

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    ck_assert_int_eq(pfc_args_parse(&cli, 4, args), PFC_ARGS_OK);
    ck_assert(pfc_args_given(&cli, PFC_S_WORKERS));
    ck_assert(!pfc_args_given(&cli, PFC_S_TIMEOUT));
    ck_assert_int_eq(pfc_args_apply(&cli, &s, PFC_SRC_CLI, err, sizeof(err)),
                     0);
    ck_assert_int_eq(pfc_set_int(&s, "workers", 9, err, sizeof(err)), 0);
    ck_assert_int_eq(pfc_set_int(&s, "timeout", 9, err, sizeof(err)), 0);
    ck_assert_int_eq(s.workers, 4);
    ck_assert_int_eq(s.timeout, 9);
    ck_assert_int_eq(s.source[PFC_S_WORKERS], PFC_SRC_CLI);
    ck_assert_int_eq(s.source[PFC_S_TIMEOUT], PFC_SRC_FILE);
    /* ... but are still validated, as gunicorn validates every layer */
    ck_assert_int_eq(pfc_set_from_string(&s, "workers", "many", err,
                                         sizeof(err)), -1);
    ck_assert_str_eq(err, "invalid literal for int() with base 0: 'many'");
    ck_assert_int_eq(s.workers, 4);
    /* a lower layer applied later changes nothing either */
    ck_assert_int_eq(pfc_args_apply(&cli, &s, PFC_SRC_ENV, err, sizeof(err)),
                     0);
    ck_assert_int_eq(s.source[PFC_S_WORKERS], PFC_SRC_CLI);
    pfc_args_free(&cli);
    pfc_settings_free(&s);
}
END_TEST


START_TEST(test_config_location)
{
    char              *dir = th_tmpdir();
    char               a[600], b[600];
    const char        *argv_c[] = { "prefork-wsgi", "-c", a, "--print-config",
                                    "app:app", NULL };
    const char *const  argv_none[] = { "prefork-wsgi", "--print-config",
                                       "app:app", NULL };
    const char *const  argv_empty[] = { "prefork-wsgi", "-c", "",
                                        "--print-config", "app:app", NULL };
    char               envc[700];
    const char        *env[] = { envc, NULL };
    tc_result          r;

    snprintf(a, sizeof(a), "%s", tc_write(dir, "a.conf", "workers int 11\n"));
    snprintf(b, sizeof(b), "%s", tc_write(dir, "b.conf", "workers int 12\n"));
    tc_write(dir, "gunicorn.conf.py", "workers int 13\n");
    snprintf(envc, sizeof(envc), "GUNICORN_CMD_ARGS=-c %s", b);

    tc_run(argv_c, env, dir, &r);               /* -c on the command line */
    ck_assert_str_eq(pc(r.out, "workers"), "11");
    tc_run(argv_none, env, dir, &r);            /* -c in GUNICORN_CMD_ARGS */
    ck_assert_str_eq(pc(r.out, "workers"), "12");
    ck_assert_str_eq(pc(r.out, "config"), b);
    tc_run(argv_none, NULL, dir, &r);           /* ./gunicorn.conf.py */
    ck_assert_str_eq(pc(r.out, "workers"), "13");
    ck_assert_str_eq(pc(r.out, "config"), "./gunicorn.conf.py");
    tc_run(argv_empty, NULL, dir, &r);          /* "" falls through */
    ck_assert_str_eq(pc(r.out, "workers"), "13");
    tc_run(argv_none, NULL, "/", &r);           /* none at all */
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(pc(r.out, "workers"), "1");
    th_rmrf(dir);
    free(dir);
}
END_TEST


START_TEST(test_location_api)
{
    pfc_args     cli, env;
    char         buf[64];
    char *const  c1[] = { "--config", "x.py" };
    char *const  c2[] = { "-c", "y.py" };

    ck_assert_int_eq(pfc_args_parse(&cli, 2, c1), PFC_ARGS_OK);
    ck_assert_int_eq(pfc_args_parse(&env, 2, c2), PFC_ARGS_OK);
    ck_assert_str_eq(pfc_config_location(&cli, &env, buf, sizeof(buf)),
                     "x.py");
    ck_assert_str_eq(pfc_config_location(&env, &cli, buf, sizeof(buf)),
                     "y.py");
    pfc_args_free(&cli);
    pfc_args_free(&env);
}
END_TEST


START_TEST(test_error_statuses)
{
    char              *dir = th_tmpdir();
    const char        *file;
    char               c_arg[600];
    const char *const  neg[] = { "prefork-wsgi", "-w", "-1", "app", NULL };
    const char *const  cidr[] = { "prefork-wsgi", "--forwarded-allow-ips",
                                  "10.0.0.1/24", "app", NULL };
    const char *const  noapp[] = { "prefork-wsgi", "-w", "2", NULL };
    const char *const  gevent[] = { "prefork-wsgi", "-k", "gevent", "app",
                                    NULL };
    const char        *filebad[] = { "prefork-wsgi", "-c", c_arg, "-w", "2",
                                     "app", NULL };
    const char *const  tls[] = { "prefork-wsgi", "--certfile", "c.pem", "app",
                                 NULL };
    const char *const  envapp[] = { "GUNICORN_CMD_ARGS=app:app", NULL };
    tc_result          r;

    tc_run(neg, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "\nError: Value must be positive: -1\n");
    tc_run(cidr, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "\nError: 10.0.0.1/24 has host bits set\n");
    tc_run(noapp, envapp, "/", &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "\nError: No application module specified.\n");
    tc_run(gevent, NULL, "/", &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "\nError: worker class 'gevent' is not "
                     "supported: prefork-wsgi runs its own C workers and "
                     "cannot load Python worker classes; use sync, gthread or "
                     "ev (ev serves many concurrent connections)\n");
    tc_run(tls, NULL, "/", &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert(strncmp(r.err, "\nError: setting certfile is not supported",
                      41) == 0);
    /* an invalid file value is fatal even if the command line overrides */
    file = tc_write(dir, "bad.conf", "workers str x\n");
    snprintf(c_arg, sizeof(c_arg), "%s", file);
    tc_run(filebad, NULL, "/", &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "Invalid value for workers: x\n\n\nError: invalid "
                     "literal for int() with base 0: 'x'\n");
    th_rmrf(dir);
    free(dir);
}
END_TEST


START_TEST(test_warnings_when_set)
{
    const char *const  set[] = { "prefork-wsgi", "--spew", "--ssl-version",
                                 "TLSv1_2", "app", NULL };
    const char *const  unset[] = { "prefork-wsgi", "app", NULL };
    tc_result          r;

    tc_run(set, NULL, "/", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "WARNING: setting spew has no effect in "
                     "prefork-wsgi: there is no Python line tracer in the C "
                     "server.\nWARNING: setting ssl_version has no effect in "
                     "prefork-wsgi: gunicorn ignores it too (use "
                     "ssl_context).\n");
    tc_run(unset, NULL, "/", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
}
END_TEST


START_TEST(test_port_and_bind)
{
    const char *const  plain[] = { "prefork-wsgi", "--print-config", "app",
                                   NULL };
    const char *const  bound[] = { "prefork-wsgi", "--print-config", "-b",
                                   "unix:/run/x", "app", NULL };
    const char *const  env[] = { "PORT=8080", "WEB_CONCURRENCY=3", NULL };
    tc_result          r;

    tc_run(plain, env, "/", &r);
    ck_assert_str_eq(pc(r.out, "bind"), "['0.0.0.0:8080']");
    ck_assert_str_eq(pc(r.out, "workers"), "3");
    tc_run(bound, env, "/", &r);
    ck_assert_str_eq(pc(r.out, "bind"), "['unix:/run/x']");
}
END_TEST


START_TEST(test_paste)
{
    char              *dir = th_tmpdir();
    char               ini[600], uri[700];
    const char        *argv[] = { "prefork-wsgi", "--print-config", "--paste",
                                  uri, NULL };
    const char        *missing[] = { "prefork-wsgi", "--paste",
                                     "/nonexistent-x.ini", NULL };
    tc_result          r;

    snprintf(ini, sizeof(ini), "%s", tc_write(dir, "app.ini",
             "[app:main]\nuse = egg:x\n\n [loggers] \nkeys = root\n"));
    snprintf(uri, sizeof(uri), "%s#main", ini);
    tc_run(argv, NULL, "/", &r);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(pc(r.out, "default_proc_name"), ini);
    ck_assert_str_eq(pc(r.out, "logconfig"), ini);
    ck_assert_str_eq(pc(r.out, "paste"), uri);
    tc_run(missing, NULL, "/", &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "\nError: '/nonexistent-x.ini' not found\n");
    th_rmrf(dir);
    free(dir);
}
END_TEST


Suite *
layers_suite(void)
{
    Suite  *s = suite_create("layers");
    TCase  *tc = tcase_create("precedence");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_four_layers);
    tcase_add_test(tc, test_order_independent);
    tcase_add_test(tc, test_config_location);
    tcase_add_test(tc, test_location_api);
    tcase_add_test(tc, test_error_statuses);
    tcase_add_test(tc, test_warnings_when_set);
    tcase_add_test(tc, test_port_and_bind);
    tcase_add_test(tc, test_paste);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * The command line: argparse reference cases (the expected namespaces and
 * messages were produced by gunicorn 26.1's own parser under Python 3.11,
 * Debian's), then the printed shape and exit status of usage errors,
 * -h, -v, and GUNICORN_CMD_ARGS splitting.
 */
#include <stdlib.h>
#include <string.h>

#include "tc.h"

typedef struct {
    const char  *args[10];
    const char  *expect;    /* namespace, or "ERR <message>", HELP, VERSION */
} parse_case;

static const parse_case  parse_cases[] = {
    { { "-w", "3", "app" },
      "args=['app'] | workers=3" },
    { { "--workers=4" },
      "workers=4" },
    { { "-w4" },
      "workers=4" },
    { { "-w=4" },
      "workers=4" },
    { { "--work", "4" },
      "ERR ambiguous option: --work could match --workers,"
      " --worker-class, --worker-connections, --worker-tmp-dir" },
    { { "--worker-cl", "gthread" },
      "worker_class='gthread'" },
    { { "--log", "x" },
      "ERR ambiguous option: --log could match --log-file, --log-level,"
      " --logger-class, --log-config, --log-config-json,"
      " --log-syslog-to, --log-syslog, --log-syslog-prefix,"
      " --log-syslog-facility" },
    { { "--past", "x" },
      "ERR ambiguous option: --past could match --paste, --paster,"
      " --paste-global" },
    { { "--proxy=v2" },
      "ERR ambiguous option: --proxy=v2 could match --proxy-protocol,"
      " --proxy-allow-from" },
    { { "-wx" },
      "ERR argument -w/--workers: invalid int value: 'x'" },
    { { "--bind" },
      "ERR argument -b/--bind: expected one argument" },
    { { "-b", "-x" },
      "ERR argument -b/--bind: expected one argument" },
    { { "-b", "--", "a" },
      "ERR argument -b/--bind: expected one argument" },
    { { "--proxy-protocol" },
      "proxy_protocol='auto'" },
    { { "--proxy-protocol", "v1", "app" },
      "args=['app'] | proxy_protocol='v1'" },
    { { "--proxy-protocol", "app" },
      "proxy_protocol='app'" },
    { { "app", "--proxy-protocol" },
      "args=['app'] | proxy_protocol='auto'" },
    { { "--proxy-protocol=v2", "app" },
      "args=['app'] | proxy_protocol='v2'" },
    { { "--proxy-protocol", "--preload" },
      "preload_app=True | proxy_protocol='auto'" },
    { { "-Rw4" },
      "enable_stdio_inheritance=True | workers=4" },
    { { "-DR" },
      "daemon=True | enable_stdio_inheritance=True" },
    { { "-DRw" },
      "ERR argument -w/--workers: expected one argument" },
    { { "-Dx" },
      "ERR argument -D/--daemon: ignored explicit argument 'x'" },
    { { "--daemon=1" },
      "ERR argument -D/--daemon: ignored explicit argument '1'" },
    { { "-D=1" },
      "ERR argument -D/--daemon: ignored explicit argument '1'" },
    { { "-Rh" },
      "HELP" },
    { { "-hx" },
      "ERR argument -h/--help: ignored explicit argument 'x'" },
    { { "--help=x" },
      "ERR argument -h/--help: ignored explicit argument 'x'" },
    { { "-D", "-R", "-w", "3", "a", "b", "c" },
      "args=['a', 'b', 'c'] | daemon=True |"
      " enable_stdio_inheritance=True | workers=3" },
    { { "a", "-w", "3", "b" },
      "ERR unrecognized arguments: b" },
    { { "-w", "2", "app1", "--preload", "app2" },
      "ERR unrecognized arguments: app2" },
    { { "app1", "app2", "-w", "2" },
      "args=['app1', 'app2'] | workers=2" },
    { { "-w", "-1" },
      "workers=-1" },
    { { "-n", "-5" },
      "proc_name='-5'" },
    { { "-n", "-foo" },
      "ERR argument -n/--name: expected one argument" },
    { { "-nfoo" },
      "proc_name='foo'" },
    { { "--limit-request-field-size", "3" },
      "ERR unrecognized arguments: --limit-request-field-size" },
    { { "--limit-request-field_size", "3" },
      "limit_request_field_size=3" },
    { { "--limit-request-field", "1" },
      "ERR ambiguous option: --limit-request-field could match"
      " --limit-request-fields, --limit-request-field_size" },
    { { "--no-s" },
      "sendfile=False" },
    { { "--pre" },
      "preload_app=True" },
    { { "--paster", "x.ini" },
      "paste='x.ini'" },
    { { "--log-file", "x", "--error-logfile", "y" },
      "errorlog='y'" },
    { { "-w", "3", "--bogus", "--x=1", "a", "b", "--", "c" },
      "ERR unrecognized arguments: --bogus --x=1" },
    { { "--bogus", "-w", "x" },
      "ERR argument -w/--workers: invalid int value: 'x'" },
    { { "-h", "--log" },
      "ERR ambiguous option: --log could match --log-file, --log-level,"
      " --logger-class, --log-config, --log-config-json,"
      " --log-syslog-to, --log-syslog, --log-syslog-prefix,"
      " --log-syslog-facility" },
    { { "-w", "x", "-v" },
      "ERR argument -w/--workers: invalid int value: 'x'" },
    { { "--", "-w", "3" },
      "args=['-w', '3']" },
    { { "-w", "3", "--" },
      "workers=3" },
    { { "app", "--", "--", "x" },
      "args=['app', '--', 'x']" },
    { { "-", "" },
      "args=['-', '']" },
    { { "-5" },
      "args=['-5']" },
    { { "--bogus x" },
      "args=['--bogus x']" },
    { { "--bind=" },
      "bind=['']" },
    { { "-b", "" },
      "bind=['']" },
    { { "--bind=--" },
      "bind=[[]]" },
    { { "-w=--" },
      "workers=[]" },
    { { "--proxy-protocol=--" },
      "proxy_protocol='auto'" },
    { { "-b", "a", "-b", "b" },
      "bind=['a', 'b']" },
    { { "-b=a", "--bind", "b", "--bi=c" },
      "bind=['a', 'b', 'c']" },
    { { "-e", "A=1", "-e", "B=2", "app" },
      "args=['app'] | raw_env=['A=1', 'B=2']" },
    { { "-m", "0022" },
      "umask=18" },
    { { "-m", "022" },
      "umask=18" },
    { { "-m", "0x1f" },
      "umask=31" },
    { { "-m", "08" },
      "ERR argument -m/--umask: invalid auto_int value: '08'" },
    { { "--umask=18" },
      "umask=18" },
    { { "--cert-reqs", "010" },
      "cert_reqs='010'" },
    { { "--threads", " 4 " },
      "threads=4" },
    { { "--threads", "4_0" },
      "threads=40" },
    { { "--threads", "+4" },
      "threads=4" },
    { { "--threads", "0x10" },
      "ERR argument --threads: invalid int value: '0x10'" },
    { { "-t", "1e3" },
      "ERR argument -t/--timeout: invalid int value: '1e3'" },
    { { "--keep", "5" },
      "keepalive=5" },
    { { "--max-r", "3" },
      "ERR ambiguous option: --max-r could match --max-requests,"
      " --max-requests-jitter" },
    { { "--max-requests-j", "3" },
      "max_requests_jitter=3" },
    { { "--no" },
      "ERR ambiguous option: --no could match --no-sendfile,"
      " --no-control-socket" },
    { { "--http" },
      "ERR ambiguous option: --http could match --http-protocols,"
      " --http2-cleartext, --http2-max-concurrent-streams,"
      " --http2-initial-window-size, --http2-max-frame-size,"
      " --http2-max-header-list-size, --http-parser" },
    { { "--d" },
      "ERR ambiguous option: --d could match --daemon,"
      " --disable-redirect-access-to-syslog, --dogstatsd-tags,"
      " --do-handshake-on-connect, --dirty-app, --dirty-workers,"
      " --dirty-timeout, --dirty-threads, --dirty-graceful-timeout" },
    { { "--ena" },
      "ERR ambiguous option: --ena could match"
      " --enable-stdio-inheritance, --enable-backlog-metric" },
    { { "--statsd-host", "localhost:9125" },
      "statsd_host='localhost:9125'" },
    { { "-c", "gunicorn.conf.py", "app:app" },
      "args=['app:app'] | config='gunicorn.conf.py'" },
    { { "-k", "egg:gunicorn#gevent" },
      "worker_class='egg:gunicorn#gevent'" },
    { { "--access-logf", "-" },
      "ERR ambiguous option: --access-logf could match --access-logfile,"
      " --access-logformat" },
    { { "-x=1" },
      "ERR unrecognized arguments: -x=1" },
    { { "--v" },
      "VERSION" },
    { { "--he" },
      "ERR ambiguous option: --he could match --help, --header-map" },
};


static char *
outcome(const char *const *args)
{
    pfc_args   a;
    char      *d, *r;
    int        n, res;

    for (n = 0; n < 10 && args[n] != NULL; n++) {
        /* count */
    }
    res = pfc_args_parse(&a, n, (char *const *) args);
    if (res == PFC_ARGS_HELP || res == PFC_ARGS_VERSION) {
        pfc_args_free(&a);
        return strdup(res == PFC_ARGS_HELP ? "HELP" : "VERSION");
    }
    if (res == PFC_ARGS_USAGE) {
        r = malloc(strlen(a.error) + 5);
        ck_assert_ptr_nonnull(r);
        strcpy(r, "ERR ");
        strcat(r, a.error);
        pfc_args_free(&a);
        return r;
    }
    d = tc_describe(&a);
    pfc_args_free(&a);
    return d;
}


START_TEST(test_argparse_reference)
{
    const parse_case  *c = &parse_cases[_i];
    char              *got = outcome(c->args);

    ck_assert_msg(strcmp(got, c->expect) == 0,
                  "case %d (%s ...): got \"%s\", want \"%s\"", _i,
                  c->args[0] ? c->args[0] : "", got, c->expect);
    free(got);
}
END_TEST


/* The usage errors as printed, with exit status 2. */
typedef struct {
    const char  *args[6];
    const char  *message;
} usage_case;

static const usage_case  usage_cases[] = {
    { { "-w", "x" }, "argument -w/--workers: invalid int value: 'x'" },
    { { "--bogus", "app" }, "unrecognized arguments: --bogus" },
    { { "-b" }, "argument -b/--bind: expected one argument" },
    { { "--bind", "--preload" }, "argument -b/--bind: expected one argument" },
    { { "-m", "9" , "-m", "09" },
      "argument -m/--umask: invalid auto_int value: '09'" },
    { { "--log", "x" },
      "ambiguous option: --log could match --log-file, --log-level, "
      "--logger-class, --log-config, --log-config-json, --log-syslog-to, "
      "--log-syslog, --log-syslog-prefix, --log-syslog-facility" },
    { { "--limit-request-field-size", "10", "app" },
      "unrecognized arguments: --limit-request-field-size" },
    { { "--daemon=yes" }, "argument -D/--daemon: ignored explicit argument "
      "'yes'" },
};


START_TEST(test_usage_error_printed)
{
    const usage_case  *c = &usage_cases[_i];
    const char        *argv[8] = { "prefork-wsgi" };
    char               want[1024];
    tc_result          r;
    int                k;

    for (k = 0; k < 6 && c->args[k] != NULL; k++) {
        argv[k + 1] = c->args[k];
    }
    tc_run(argv, NULL, NULL, &r);
    snprintf(want, sizeof(want), "usage: prefork-wsgi [OPTIONS] [APP_MODULE]"
             "\nprefork-wsgi: error: %s\n", c->message);
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.err, want);
    ck_assert_str_eq(r.out, "");
}
END_TEST


START_TEST(test_version)
{
    const char *const  v1[] = { "/usr/local/bin/prefork-wsgi", "-v", NULL };
    const char *const  v2[] = { "prefork-wsgi", "--vers", "-w", "x", NULL };
    const char *const  v3[] = { "prefork-wsgi", "-w", "x", "-v", NULL };
    tc_result          r;

    tc_run(v1, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "prefork-wsgi (version 0.1.0)\n");
    ck_assert_str_eq(r.err, "");
    /* -v acts when reached: before a later error, after an earlier one */
    tc_run(v2, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "prefork-wsgi (version 0.1.0)\n");
    tc_run(v3, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.out, "");
}
END_TEST


START_TEST(test_help_exit)
{
    static const char  head[] =
        "usage: prefork-wsgi [OPTIONS] [APP_MODULE]\n\noptions:\n"
        "  -h, --help            show this help message and exit\n"
        "  -v, --version         show program's version number and exit\n";
    const char *const  argv[] = { "prefork-wsgi", "-D", "--help", "-w", "x",
                                  NULL };
    tc_result          r;

    tc_run(argv, NULL, NULL, &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    ck_assert_msg(strncmp(r.out, head, sizeof(head) - 1) == 0, "%.200s",
                  r.out);
}
END_TEST


START_TEST(test_limit_request_field_size_spelling)
{
    pfc_args  a;
    char     *const ok[] = { "--limit-request-field_size", "100" };
    char     *const no[] = { "--limit-request-field-size", "100" };

    ck_assert_int_eq(pfc_args_parse(&a, 2, ok), PFC_ARGS_OK);
    ck_assert(pfc_args_given(&a, PFC_S_LIMIT_REQUEST_FIELD_SIZE));
    ck_assert_int_eq(a.val[PFC_S_LIMIT_REQUEST_FIELD_SIZE].i, 100);
    pfc_args_free(&a);
    ck_assert_int_eq(pfc_args_parse(&a, 2, no), PFC_ARGS_USAGE);
    ck_assert_str_eq(a.error,
                     "unrecognized arguments: --limit-request-field-size");
    pfc_args_free(&a);
}
END_TEST


START_TEST(test_append_and_store)
{
    pfc_args  a;
    char     *const args[] = { "-b", "a", "--bind=b", "-w", "2", "-w3",
                               "-e", "K=V", "app" };

    ck_assert_int_eq(pfc_args_parse(&a, 9, args), PFC_ARGS_OK);
    ck_assert_int_eq(a.val[PFC_S_BIND].list.n, 2);
    ck_assert_str_eq(a.val[PFC_S_BIND].list.v[0], "a");
    ck_assert_str_eq(a.val[PFC_S_BIND].list.v[1], "b");
    ck_assert_int_eq(a.val[PFC_S_WORKERS].type, PFC_PY_INT);
    ck_assert_int_eq(a.val[PFC_S_WORKERS].i, 3);
    ck_assert_str_eq(a.val[PFC_S_RAW_ENV].list.v[0], "K=V");
    ck_assert_int_eq(a.positional.n, 1);
    ck_assert(!pfc_args_given(&a, PFC_S_TIMEOUT));
    pfc_args_free(&a);
}
END_TEST


/* shlex.split reference cases (results from Python's shlex). */
typedef struct {
    const char  *in;
    const char  *out[6];
    const char  *error;
} shlex_case;

static const shlex_case  shlex_cases[] = {
    { "  -w 3\t--bind  a\n", { "-w", "3", "--bind", "a" }, NULL },
    { "--bind \"a b\" -e 'X=1 2'", { "--bind", "a b", "-e", "X=1 2" }, NULL },
    { "a\\ b c\\\\d", { "a b", "c\\d" }, NULL },
    { "\"a\\\"b\\\\c\\$d\"", { "a\"b\\c\\$d" }, NULL },
    { "'a\\b' \"\" ''", { "a\\b", "", "" }, NULL },
    { "x\"y z\"w'1 2'", { "xy zw1 2" }, NULL },
    { "# not a comment", { "#", "not", "a", "comment" }, NULL },
    { "", { NULL }, NULL },
    { "a 'b", { NULL }, "No closing quotation" },
    { "a \"b\\\"", { NULL }, "No closing quotation" },
    { "a \\", { NULL }, "No escaped character" },
    { "\"a\\", { NULL }, "No escaped character" },
};


START_TEST(test_shlex)
{
    const shlex_case  *c = &shlex_cases[_i];
    pfc_strlist        l = { 0 };
    char               err[128] = "";
    size_t             n;
    int                r;

    r = pfc_shlex_split(c->in, &l, err, sizeof(err));
    if (c->error != NULL) {
        ck_assert_int_eq(r, -1);
        ck_assert_str_eq(err, c->error);
    } else {
        ck_assert_int_eq(r, 0);
        for (n = 0; c->out[n] != NULL; n++) {
            ck_assert_uint_gt(l.n, n);
            ck_assert_str_eq(l.v[n], c->out[n]);
        }
        ck_assert_uint_eq(l.n, n);
    }
    pfc_strlist_free(&l);
}
END_TEST


START_TEST(test_cmd_args_errors)
{
    const char *const  argv[] = { "prefork-wsgi", "app:app", NULL };
    const char *const  bad_quote[] = { "GUNICORN_CMD_ARGS=-w '3", NULL };
    const char *const  bad_opt[] = { "GUNICORN_CMD_ARGS=--workers=x", NULL };
    tc_result          r;

    tc_run(argv, bad_quote, NULL, &r);
    ck_assert_int_eq(r.status, 1);
    ck_assert_str_eq(r.err, "\nError: No closing quotation\n");
    tc_run(argv, bad_opt, NULL, &r);
    ck_assert_int_eq(r.status, 2);
    ck_assert_str_eq(r.err, "usage: prefork-wsgi [OPTIONS] [APP_MODULE]\n"
                     "prefork-wsgi: error: argument -w/--workers: invalid "
                     "int value: 'x'\n");
}
END_TEST


Suite *
options_suite(void)
{
    Suite  *s = suite_create("options");
    TCase  *tc;

    tc = tcase_create("argparse");
    tcase_add_loop_test(tc, test_argparse_reference, 0,
                        sizeof(parse_cases) / sizeof(parse_cases[0]));
    tcase_add_test(tc, test_limit_request_field_size_spelling);
    tcase_add_test(tc, test_append_and_store);
    suite_add_tcase(s, tc);

    tc = tcase_create("printed");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, test_usage_error_printed, 0,
                        sizeof(usage_cases) / sizeof(usage_cases[0]));
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_help_exit);
    tcase_add_test(tc, test_cmd_args_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("shlex");
    tcase_add_loop_test(tc, test_shlex, 0,
                        sizeof(shlex_cases) / sizeof(shlex_cases[0]));
    suite_add_tcase(s, tc);
    return s;
}

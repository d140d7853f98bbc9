/*
 * gunicorn's validators through the config-file setters: the Python value
 * a config file assigns, and the value --print-config then shows or the
 * exception text gunicorn prints.  The expectations were produced by
 * gunicorn 26.1's Config.set() under CPython 3.11.
 */
#include <stdlib.h>
#include <string.h>

#include "tc.h"

typedef struct {
    const char  *name;
    int          type;
    const char  *items[8];
    const char  *expect;    /* "=<str(value)>" or "!<error>" */
} validate_case;

static const validate_case  validate_cases[] = {
    { "workers", PFC_PY_STR, { "0x10" },
      "=16" },
    { "workers", PFC_PY_STR, { "010" },
      "!invalid literal for int() with base 0: '010'" },
    { "workers", PFC_PY_STR, { "-1" },
      "!Value must be positive: -1" },
    { "workers", PFC_PY_INT, { "5" },
      "=5" },
    { "workers", PFC_PY_BOOL, { "1" },
      "=1" },
    { "workers", PFC_PY_NONE, {  },
      "!int() can't convert non-string with explicit base" },
    { "workers", PFC_PY_LIST, { "a" },
      "!int() can't convert non-string with explicit base" },
    { "umask", PFC_PY_STR, { "0o22" },
      "=18" },
    { "daemon", PFC_PY_STR, { "TRUE " },
      "=True" },
    { "daemon", PFC_PY_STR, { "yes" },
      "!Invalid boolean: yes" },
    { "daemon", PFC_PY_INT, { "1" },
      "!Invalid type for casting: 1" },
    { "daemon", PFC_PY_LIST, { "x" },
      "!Invalid type for casting: ['x']" },
    { "bind", PFC_PY_STR, { "a" },
      "=['a']" },
    { "bind", PFC_PY_LIST, { "a ", " b" },
      "=['a', 'b']" },
    { "bind", PFC_PY_INT, { "5" },
      "!'int' object is not iterable" },
    { "bind", PFC_PY_BOOL, { "1" },
      "!'bool' object is not iterable" },
    { "bind", PFC_PY_INT, { "0" },
      "=[]" },
    { "bind", PFC_PY_STR, { "" },
      "=[]" },
    { "bind", PFC_PY_DICT, { "k", "v" },
      "=['k']" },
    { "accesslog", PFC_PY_LIST, { "a" },
      "!Not a string: ['a']" },
    { "accesslog", PFC_PY_INT, { "5" },
      "!Not a string: 5" },
    { "accesslog", PFC_PY_STR, { " x " },
      "=x" },
    { "accesslog", PFC_PY_NONE, {  },
      "=None" },
    { "forwarded_allow_ips", PFC_PY_STR, { "10.0.0.1/24" },
      "!10.0.0.1/24 has host bits set" },
    { "forwarded_allow_ips", PFC_PY_STR, { " 10.0.0.0/8 , ::1,,*" },
      "=['10.0.0.0/8', '::1', '*']" },
    { "forwarded_allow_ips", PFC_PY_STR, { "a, " },
      "!'a' does not appear to be an IPv4 or IPv6 network" },
    { "forwarded_allow_ips", PFC_PY_LIST, { "1.2.3.4" },
      "!Not a string: ['1.2.3.4']" },
    { "forwarder_headers", PFC_PY_STR, { "SCRIPT_NAME, PATH_INFO," },
      "=['SCRIPT_NAME', 'PATH_INFO']" },
    { "header_map", PFC_PY_STR, { "Refuse" },
      "=refuse" },
    { "header_map", PFC_PY_STR, { "x" },
      "!Invalid header map behaviour: x" },
    { "header_map", PFC_PY_NONE, {  },
      "=None" },
    { "header_map", PFC_PY_INT, { "1" },
      "!Invalid type for casting: 1" },
    { "proxy_protocol", PFC_PY_STR, { "true" },
      "=auto" },
    { "proxy_protocol", PFC_PY_STR, { "0" },
      "=off" },
    { "proxy_protocol", PFC_PY_STR, { " V2 " },
      "=v2" },
    { "proxy_protocol", PFC_PY_STR, { "x" },
      "!proxy_protocol must be: off, v1, v2, or auto" },
    { "proxy_protocol", PFC_PY_BOOL, { "1" },
      "=auto" },
    { "proxy_protocol", PFC_PY_INT, { "3" },
      "!proxy_protocol must be string or bool" },
    { "reload_engine", PFC_PY_STR, { "Poll" },
      "!Invalid reload_engine: 'Poll'" },
    { "reload_engine", PFC_PY_STR, { "poll" },
      "=poll" },
    { "reload_engine", PFC_PY_NONE, {  },
      "!Invalid reload_engine: None" },
    { "reload_engine", PFC_PY_LIST, { "a" },
      "!unhashable type: 'list'" },
    { "asgi_loop", PFC_PY_STR, { " UVloop" },
      "=uvloop" },
    { "asgi_loop", PFC_PY_STR, { "x" },
      "!Invalid ASGI loop: x" },
    { "asgi_lifespan", PFC_PY_STR, { "x" },
      "!Invalid ASGI lifespan: x" },
    { "http_parser", PFC_PY_STR, { "x" },
      "!http_parser must be one of: auto, fast, python" },
    { "http_parser", PFC_PY_INT, { "1" },
      "!http_parser must be a string" },
    { "http2_cleartext", PFC_PY_BOOL, { "1" },
      "=prior-knowledge" },
    { "http2_cleartext", PFC_PY_STR, { "Both" },
      "=both" },
    { "http2_cleartext", PFC_PY_STR, { "x" },
      "!Invalid http2_cleartext: x" },
    { "http_protocols", PFC_PY_STR, { "h2, H1" },
      "=['h2', 'h1']" },
    { "http_protocols", PFC_PY_STR, { "h1,h1" },
      "!Duplicate protocols specified" },
    { "http_protocols", PFC_PY_STR, { "h4" },
      "!Invalid protocol 'h4'. Valid protocols: h1, h2, h3" },
    { "http_protocols", PFC_PY_STR, { " " },
      "=['h1']" },
    { "http_protocols", PFC_PY_INT, { "5" },
      "!http_protocols must be a string" },
    { "http2_max_frame_size", PFC_PY_INT, { "100" },
      "!http2_max_frame_size must be between 16384 and 16777215, got 100" },
    { "http2_max_frame_size", PFC_PY_STR, { "0x4000" },
      "=16384" },
    { "statsd_host", PFC_PY_STR, { "localhost:9125" },
      "=('localhost', 9125)" },
    { "statsd_host", PFC_PY_STR, { "unix:8125" },
      "=('unix', 8125)" },
    { "statsd_host", PFC_PY_STR, { "unix:///tmp/s" },
      "=/tmp/s" },
    { "statsd_host", PFC_PY_STR, { "a:b" },
      "!Value must be one of ('host:port', 'unix://PATH')" },
    { "statsd_host", PFC_PY_STR, { "Host" },
      "=('host', 8125)" },
    { "secure_scheme_headers", PFC_PY_STR, { "x" },
      "!Value is not a dictionary: x " },
    { "secure_scheme_headers", PFC_PY_DICT, { "X-A", "b" },
      "={'X-A': 'b'}" },
    { "user", PFC_PY_STR, { "123" },
      "=123" },
    { "user", PFC_PY_STR, { "nosuchuserxyz" },
      "!No such user: 'nosuchuserxyz'" },
    { "user", PFC_PY_STR, { "root" },
      "=0" },
    { "group", PFC_PY_STR, { "nosuchgroupxyz" },
      "!No such group: 'nosuchgroupxyz'" },
    { "user", PFC_PY_LIST, { "x" },
      "!'list' object has no attribute 'isdigit'" },
    { "ssl_version", PFC_PY_INT, { "3" },
      "=3" },
    { "ssl_version", PFC_PY_STR, { "TLSv1_2" },
      "=TLSv1_2" },
    { "logconfig_dict", PFC_PY_STR, { "x" },
      "!Value is not a dictionary: x " },
    { "chdir", PFC_PY_STR, { "/nonexistent-dir-x" },
      "!can't chdir to '/nonexistent-dir-x'" },
    { "chdir", PFC_PY_NONE, {  },
      "!join() argument must be str, bytes, or os.PathLike object, not "
      "'NoneType'" },
    { "reload_extra_files", PFC_PY_STR, { "/nonexistent-file-x" },
      "!File /nonexistent-file-x does not exists." },
    { "cert_reqs", PFC_PY_STR, { "2" },
      "=2" },
    { "worker_class", PFC_PY_INT, { "5" },
      "!Not a string: 5" },
    { "worker_class", PFC_PY_STR, { " gthread " },
      "=gthread" },
};


START_TEST(test_validator)
{
    const validate_case  *c = &validate_cases[_i];
    pfc_settings          s;
    pfc_value             v = { 0 };
    char                  err[512] = "", *str;
    int                   idx, r;

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    idx = pfc_index(c->name);
    ck_assert_int_ge(idx, 0);
    v.type = c->type;
    switch (c->type) {
    case PFC_PY_BOOL:
    case PFC_PY_INT:
        v.i = strtoll(c->items[0], NULL, 10);
        break;
    case PFC_PY_STR:
        v.s = c->items[0];
        break;
    case PFC_PY_LIST:
    case PFC_PY_DICT:
        v.items = c->items;
        for (v.n = 0; c->items[v.n] != NULL; v.n++) {
            /* count */
        }
        v.n /= c->type == PFC_PY_DICT ? 2 : 1;
        break;
    }
    r = pfc_set(&s, idx, &v, PFC_SRC_FILE, err, sizeof(err));
    if (c->expect[0] == '!') {
        ck_assert_msg(r == -1, "%s accepted", c->name);
        ck_assert_str_eq(err, c->expect + 1);
        ck_assert_int_eq(s.source[idx], PFC_SRC_DEFAULT);
    } else {
        ck_assert_msg(r == 0, "%s: %s", c->name, err);
        str = pfc_value_str(&s, idx);
        ck_assert_str_eq(str, c->expect + 1);
        free(str);
        ck_assert_int_eq(s.source[idx], PFC_SRC_FILE);
    }
    pfc_settings_free(&s);
}
END_TEST


START_TEST(test_typed_setters)
{
    pfc_settings        s;
    char                err[256];
    const char *const   binds[] = { "unix:/run/a.sock", " 0.0.0.0:80 " };
    const char *const   hdrs[] = { "X-FORWARDED-PROTO", "https" };

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    ck_assert_int_eq(pfc_set_from_string(&s, "workers", "0x10", err,
                                         sizeof(err)), 0);
    ck_assert_int_eq(s.workers, 16);
    ck_assert_int_eq(pfc_set_int(&s, "timeout", 0, err, sizeof(err)), 0);
    ck_assert_int_eq(s.timeout, 0);
    ck_assert_int_eq(pfc_set_bool(&s, "preload_app", 1, err, sizeof(err)), 0);
    ck_assert_int_eq(s.preload_app, 1);
    ck_assert_int_eq(pfc_set_list(&s, "bind", binds, 2, err, sizeof(err)), 0);
    ck_assert_int_eq(s.bind.n, 2);
    ck_assert_str_eq(s.bind.v[1], "0.0.0.0:80");
    ck_assert_ptr_null(s.bind.v[2]);
    ck_assert_int_eq(pfc_set_dict(&s, "secure_scheme_headers", hdrs, 1, err,
                                  sizeof(err)), 0);
    ck_assert_int_eq(s.secure_scheme_headers.n, 1);
    ck_assert_str_eq(s.secure_scheme_headers.v[0].value, "https");
    ck_assert_int_eq(pfc_set_none(&s, "pidfile", err, sizeof(err)), 0);
    ck_assert_ptr_null(s.pidfile);
    ck_assert_int_eq(pfc_set_from_string(&s, "umask", "0o22", err,
                                         sizeof(err)), 0);
    ck_assert_int_eq(s.umask, 022);
    ck_assert_int_eq(pfc_set_from_string(&s, "header_map", "dangerous", err,
                                         sizeof(err)), 0);
    ck_assert_int_eq(s.header_map, PFC_HEADER_MAP_DANGEROUS);
    ck_assert_int_eq(pfc_set_from_string(&s, "proxy_protocol", "v1", err,
                                         sizeof(err)), 0);
    ck_assert_int_eq(s.proxy_protocol, PFC_PROXY_V1);
    ck_assert_int_eq(pfc_set_from_string(&s, "no_such_setting", "1", err,
                                         sizeof(err)), -1);
    ck_assert_str_eq(err, "No configuration setting for: no_such_setting");
    pfc_settings_free(&s);
}
END_TEST


START_TEST(test_hooks)
{
    pfc_settings  s;
    char          err[256], *str;

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    ck_assert(!pfc_hook_is_set(&s, PFC_HOOK_POST_FORK));
    str = pfc_value_str(&s, PFC_S_POST_FORK);
    ck_assert_str_eq(str, "<Postfork.post_fork()>");
    free(str);
    ck_assert_int_eq(pfc_set_hook(&s, "post_fork", "my_post_fork", err,
                                  sizeof(err)), 0);
    ck_assert(pfc_hook_is_set(&s, PFC_HOOK_POST_FORK));
    str = pfc_value_str(&s, PFC_S_POST_FORK);
    ck_assert_str_eq(str, "<my_post_fork()>");
    free(str);
    /* a hook is not a value the generic setter can resolve */
    ck_assert_int_eq(pfc_set_from_string(&s, "on_exit", "mod.func", err,
                                         sizeof(err)), -1);
    ck_assert_int_eq(pfc_set_hook(&s, "workers", "f", err, sizeof(err)), -1);
    ck_assert_int_eq(pfc_set_pyobj(&s, "logconfig_dict", 1,
                                   "{'version': 1}", err, sizeof(err)), 0);
    str = pfc_value_str(&s, PFC_S_LOGCONFIG_DICT);
    ck_assert_str_eq(str, "{'version': 1}");
    free(str);
    ck_assert_int_eq(pfc_set_pyobj(&s, "logconfig_dict", 0, "[1]", err,
                                   sizeof(err)), -1);
    ck_assert_str_eq(err, "Value is not a dictionary: [1] ");
    pfc_settings_free(&s);
}
END_TEST


START_TEST(test_glob_warning)
{
    pfc_settings  s;
    char          err[256];

    ck_assert_int_eq(pfc_settings_init(&s, err, sizeof(err)), 0);
    ck_assert_int_eq(pfc_set_from_string(&s, "reload_extra_files",
                                         "/nonexistent-dir-x/*.py", err,
                                         sizeof(err)), 0);
    ck_assert_int_eq(s.warnings.n, 1);
    ck_assert_str_eq(s.warnings.v[0], "Pattern /nonexistent-dir-x/*.py "
                     "currently matches no files.");
    pfc_settings_free(&s);
}
END_TEST


Suite *
validate_suite(void)
{
    Suite  *s = suite_create("validate");
    TCase  *tc = tcase_create("validators");

    tcase_add_loop_test(tc, test_validator, 0,
                        sizeof(validate_cases) / sizeof(validate_cases[0]));
    tcase_add_test(tc, test_typed_setters);
    tcase_add_test(tc, test_hooks);
    tcase_add_test(tc, test_glob_warning);
    suite_add_tcase(s, tc);
    return s;
}

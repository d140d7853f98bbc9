/*
 * What the front end prints: --print-config byte for byte against
 * gunicorn 26.1's own output (tests/cli/data/print-config-default.txt,
 * produced by gunicorn --print-config app:app in / with
 * HOME=/nonexistent-home), and --help byte for byte against Python's
 * argparse fed with the same table (tests/cli/data/help-*.txt, made by
 * data/gen-help.py).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tc.h"

#ifndef TC_DATA_DIR
#define TC_DATA_DIR "tests/cli/data"
#endif


/* A data file with {euid} and {egid} replaced; malloc'd. */
static char *
reference(const char *name)
{
    char    path[512], num[32], *buf, *out, *p;
    FILE   *f;
    size_t  n, o = 0;

    snprintf(path, sizeof(path), "%s/%s", TC_DATA_DIR, name);
    f = fopen(path, "re");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    buf = calloc(1, 65536);
    out = calloc(1, 65536 + 64);
    ck_assert(buf != NULL && out != NULL);
    n = fread(buf, 1, 65535, f);
    fclose(f);
    buf[n] = '\0';
    for (p = buf; *p != '\0'; ) {
        if (strncmp(p, "{euid}", 6) == 0 || strncmp(p, "{egid}", 6) == 0) {
            snprintf(num, sizeof(num), "%ld", p[2] == 'u' ? (long) geteuid()
                     : (long) getegid());
            memcpy(out + o, num, strlen(num));
            o += strlen(num);
            p += 6;
            continue;
        }
        out[o++] = *p++;
    }
    free(buf);
    return out;
}


/* First differing line, for readable failures. */
static void
assert_same(const char *got, const char *want, const char *what)
{
    size_t  line = 1;
    const char  *g = got, *w = want;

    while (*g != '\0' && *g == *w) {
        line += *g == '\n';
        g++;
        w++;
    }
    ck_assert_msg(*g == '\0' && *w == '\0',
                  "%s differs at line %zu:\n got: %.80s\nwant: %.80s", what,
                  line, g, w);
}


START_TEST(test_print_config_matches_gunicorn)
{
    const char *const  argv[] = { "prefork-wsgi", "--print-config", "app:app",
                                  NULL };
    char              *want;
    tc_result          r;

    tc_run(argv, NULL, "/", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.err, "");
    want = reference("print-config-default.txt");
    assert_same(r.out, want, "--print-config");
    free(want);
}
END_TEST


/* The value of one line of --print-config output, or NULL. */
static char *
pc_value(const char *out, const char *name)
{
    static char  val[1024];
    const char  *p, *eol;
    size_t       n = strlen(name);

    for (p = out; p != NULL && *p != '\0'; p = eol ? eol + 1 : NULL) {
        eol = strchr(p, '\n');
        if (strncmp(p, name, n) == 0 && p[n] == ' ') {
            p = strstr(p, " = ");
            snprintf(val, sizeof(val), "%.*s",
                     (int) ((eol ? eol : p + strlen(p)) - p - 3), p + 3);
            return val;
        }
    }
    return NULL;
}


START_TEST(test_print_config_values)
{
    const char *const  argv[] = {
        "prefork-wsgi", "--print-config", "-b", "unix:/tmp/it's",
        "-b", "[::1]:9000", "--statsd-host", "Stats:9125", "--no-sendfile",
        "-m", "0022", "--proxy-protocol", "-e", "A=1", "-k", "ev",
        "--header-map", "REFUSE", "--forwarded-allow-ips", "10.0.0.0/8, *",
        "mod:app", NULL
    };
    tc_result          r;

    tc_run(argv, NULL, "/", &r);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(pc_value(r.out, "bind"),
                     "[\"unix:/tmp/it's\", '[::1]:9000']");
    ck_assert_str_eq(pc_value(r.out, "statsd_host"), "('stats', 9125)");
    ck_assert_str_eq(pc_value(r.out, "sendfile"), "False");
    ck_assert_str_eq(pc_value(r.out, "umask"), "18");
    ck_assert_str_eq(pc_value(r.out, "proxy_protocol"), "auto");
    ck_assert_str_eq(pc_value(r.out, "raw_env"), "['A=1']");
    ck_assert_str_eq(pc_value(r.out, "worker_class"), "ev");
    ck_assert_str_eq(pc_value(r.out, "header_map"), "refuse");
    ck_assert_str_eq(pc_value(r.out, "forwarded_allow_ips"),
                     "['10.0.0.0/8', '*']");
    ck_assert_str_eq(pc_value(r.out, "default_proc_name"), "mod:app");
    ck_assert_str_eq(pc_value(r.out, "print_config"), "True");
    ck_assert(strstr(r.out, "\nbind                               = [")
              != NULL);
    ck_assert(strstr(r.out, "\npermit_unconventional_http_version = False\n")
              != NULL);
}
END_TEST


static void
check_help(int columns, const char *file)
{
    const char *const  argv[] = { "prefork-wsgi", "-h", NULL };
    const char        *env[] = { NULL, NULL };
    char               cols[32], *want;
    tc_result          r;

    snprintf(cols, sizeof(cols), "COLUMNS=%d", columns);
    env[0] = cols;
    tc_run(argv, env, "/", &r);
    ck_assert_int_eq(r.status, 0);
    want = reference(file);
    assert_same(r.out, want, file);
    free(want);
}


START_TEST(test_help_80)
{
    check_help(80, "help-80.txt");
}
END_TEST


START_TEST(test_help_132)
{
    check_help(132, "help-132.txt");
}
END_TEST


START_TEST(test_help_lists_every_option)
{
    const char *const  argv[] = { "prefork-wsgi", "--help", NULL };
    const char *const  env[] = { "COLUMNS=100", "WEB_CONCURRENCY=4",
                                 "PORT=9000", NULL };
    char               want[128];
    tc_result          r;
    int                i, j;

    tc_run(argv, env, "/", &r);
    ck_assert_int_eq(r.status, 0);
    for (i = 0; i < PFC_NSETTINGS; i++) {
        for (j = 0; j < 3 && pfc_table[i].cli[j] != NULL; j++) {
            snprintf(want, sizeof(want), "%s%s", pfc_table[i].cli[j],
                     pfc_table[i].metavar && pfc_table[i].action
                     == PFC_ACT_OPTIONAL ? " [" : pfc_table[i].metavar
                     && pfc_table[i].action != PFC_ACT_TRUE
                     && pfc_table[i].action != PFC_ACT_CONST ? " " : "");
            ck_assert_msg(strstr(r.out, want) != NULL, "%s missing", want);
        }
    }
    ck_assert(strstr(r.out, "  -w INT, --workers INT\n                        "
                     "Number of worker processes. [4]\n") != NULL);
    ck_assert(strstr(r.out, "[['0.0.0.0:9000']]") != NULL);
    ck_assert(strstr(r.out, "  --limit-request-field_size INT\n") != NULL);
    ck_assert(strstr(r.out, "--proxy-protocol [MODE]") != NULL);
}
END_TEST


Suite *
output_suite(void)
{
    Suite  *s = suite_create("output");
    TCase  *tc = tcase_create("printed");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, test_print_config_matches_gunicorn);
    tcase_add_test(tc, test_print_config_values);
    tcase_add_test(tc, test_help_80);
    tcase_add_test(tc, test_help_132);
    tcase_add_test(tc, test_help_lists_every_option);
    suite_add_tcase(s, tc);
    return s;
}

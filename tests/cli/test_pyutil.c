/*
 * The Python-compatible helpers, against results taken from CPython 3.11:
 * int(s, 0) / int(s), gunicorn's auto_int, os.path.normpath, repr() of a
 * str, gunicorn's util.parse_address and ipaddress.ip_network(strict).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "tc.h"

typedef struct {
    const char  *in;
    int          base;
    int          ok;
    long         value;
} int_case;

static const int_case  int_cases[] = {
    { "0x10", 0, 1, 16 }, { "0x10", 10, 0, 0 }, { "010", 0, 0, 0 },
    { "010", 10, 1, 10 }, { "00", 0, 1, 0 }, { "0_0", 0, 1, 0 },
    { "1_000", 0, 1, 1000 }, { " +7 ", 0, 1, 7 }, { " +7 ", 10, 1, 7 },
    { "-12", 0, 1, -12 }, { "0o17", 0, 1, 15 }, { "0o17", 10, 0, 0 },
    { "0b101", 0, 1, 5 }, { "1__0", 0, 0, 0 }, { "_1", 0, 0, 0 },
    { "1_", 10, 0, 0 }, { "0x", 0, 0, 0 }, { "", 0, 0, 0 },
    { "12a", 10, 0, 0 }, { "0X1F", 0, 1, 31 }, { "0x_1f", 0, 1, 31 },
    { "\x1c" "5", 10, 0, 0 }, { "\t5\n", 10, 1, 5 },
    { "9223372036854775807", 10, 1, 9223372036854775807L },
    { "-9223372036854775808", 0, 1, (-9223372036854775807L - 1) },
};


START_TEST(test_pyint)
{
    const int_case  *c = &int_cases[_i];
    long             v = 0;
    int              r = pfc__pyint(c->in, c->base, &v);

    ck_assert_msg((r == 0) == c->ok, "int(%s, %d) -> %d", c->in, c->base, r);
    if (c->ok) {
        ck_assert_int_eq(v, c->value);
    }
}
END_TEST


START_TEST(test_auto_int)
{
    long  v;

    ck_assert_int_eq(pfc__auto_int("0022", &v), 0);
    ck_assert_int_eq(v, 18);
    ck_assert_int_eq(pfc__auto_int("022", &v), 0);
    ck_assert_int_eq(v, 18);
    ck_assert_int_eq(pfc__auto_int("0x1f", &v), 0);
    ck_assert_int_eq(v, 31);
    ck_assert_int_eq(pfc__auto_int("18", &v), 0);
    ck_assert_int_eq(v, 18);
    ck_assert_int_eq(pfc__auto_int("0", &v), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_ne(pfc__auto_int("08", &v), 0);
    ck_assert_int_ne(pfc__auto_int("-0022", &v), 0);
}
END_TEST


START_TEST(test_normpath)
{
    static const char *const  cases[][2] = {
        { "", "." }, { "/", "/" }, { "//", "//" }, { "///", "/" },
        { "//a/b", "//a/b" }, { "a/../..", ".." }, { "/a/../..", "/" },
        { "a/./b/", "a/b" }, { "../x", "../x" }, { "a/b/../../..", ".." },
        { "/a//b/./c/..", "/a/b" }, { "./", "." }, { "a/..", "." },
        { "x/../../y/..", ".." },
    };
    size_t  i;
    char   *p;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        p = pfc__normpath(cases[i][0]);
        ck_assert_msg(p != NULL && strcmp(p, cases[i][1]) == 0,
                      "normpath(%s) = %s, want %s", cases[i][0], p,
                      cases[i][1]);
        free(p);
    }
}
END_TEST


START_TEST(test_repr)
{
    static const char *const  cases[][2] = {
        { "a", "'a'" }, { "it's", "\"it's\"" },
        { "say \"hi\"", "'say \"hi\"'" },
        { "both ' and \"", "'both \\' and \"'" },
        { "tab\there\n", "'tab\\there\\n'" }, { "\x01\x7f", "'\\x01\\x7f'" },
        { "\xc3\xa9", "'\xc3\xa9'" }, { "\xc2\xa0", "'\\xa0'" },
        { "back\\slash", "'back\\\\slash'" },
        { "\xff\xfe", "'\\udcff\\udcfe'" },
    };
    size_t    i;
    pfc__buf  b;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&b, 0, sizeof(b));
        pfc__buf_repr(&b, cases[i][0]);
        ck_assert_str_eq(b.p, cases[i][1]);
        pfc__buf_free(&b);
    }
}
END_TEST


typedef struct {
    const char  *in;
    const char  *host;      /* NULL: a unix path or an fd */
    long         port;
    const char  *path;
    int          fd;
    const char  *error;
} addr_case;

static const addr_case  addr_cases[] = {
    { "unix:/tmp/a", NULL, 0, "/tmp/a", -1, NULL },
    { "unix:///tmp/a", NULL, 0, "/tmp/a", -1, NULL },
    { "unix://var/run/x", NULL, 0, "var/run/x", -1, NULL },
    { "fd://3", NULL, 0, NULL, 3, NULL },
    { "tcp://Host:90", "host", 90, NULL, -1, NULL },
    { "HOST", "host", 8125, NULL, -1, NULL },
    { "", "0.0.0.0", 8125, NULL, -1, NULL },
    { "[::1]:81", "::1", 81, NULL, -1, NULL },
    { "[::1]", "::1", 8125, NULL, -1, NULL },
    { "h:1:2", "h", 1, NULL, -1, NULL },
    { ":9", "", 9, NULL, -1, NULL },
    { "[v6]x]:5", "v6", 5, NULL, -1, NULL },
    { "a:x", NULL, 0, NULL, -1, "'x' is not a valid port number." },
    { "fd://x", NULL, 0, NULL, -1, "'x' is not a valid file descriptor." },
};


START_TEST(test_parse_address)
{
    const addr_case  *c = &addr_cases[_i];
    pfc_address       a;
    char              err[128] = "";
    int               r;

    r = pfc_parse_address(c->in, "8125", &a, err, sizeof(err));
    if (c->error != NULL) {
        ck_assert_int_eq(r, -1);
        ck_assert_str_eq(err, c->error);
        return;
    }
    ck_assert_int_eq(r, 0);
    if (c->host != NULL) {
        ck_assert_str_eq(a.host, c->host);
        ck_assert_int_eq(a.port, c->port);
    } else if (c->path != NULL) {
        ck_assert_str_eq(a.path, c->path);
    } else {
        ck_assert_int_eq(a.fd, c->fd);
    }
    pfc_address_free(&a);
}
END_TEST


typedef struct {
    const char  *in;
    int          prefix;    /* -1: refused with error */
    const char  *error;
} net_case;

static const net_case  net_cases[] = {
    { "10.0.0.1/24", -1, "10.0.0.1/24 has host bits set" },
    { "10.0.0.0/24", 24, NULL },
    { "2001:db8::1/64", -1, "2001:db8::1/64 has host bits set" },
    { "2001:DB8:0:0::/64", 64, NULL },
    { "10.0.0.0/255.255.255.0", 24, NULL },
    { "10.0.0.0/0.0.0.255", 24, NULL },
    { "10.0.0.1/33", -1,
      "'10.0.0.1/33' does not appear to be an IPv4 or IPv6 network" },
    { "01.2.3.4", -1,
      "'01.2.3.4' does not appear to be an IPv4 or IPv6 network" },
    { "1.2.3.4/", -1,
      "'1.2.3.4/' does not appear to be an IPv4 or IPv6 network" },
    { "::1/129", -1,
      "'::1/129' does not appear to be an IPv4 or IPv6 network" },
    { "10.1.0.0/255.0.255.0", -1,
      "'10.1.0.0/255.0.255.0' does not appear to be an IPv4 or IPv6 "
      "network" },
    { "2001:0:0:1:0:0:0:1/127", -1, "2001:0:0:1::1/127 has host bits set" },
    { "::ffff:1.2.3.4", 128, NULL },
    { "0.0.0.0/0", 0, NULL },
    { "127.0.0.1", 32, NULL },
};


START_TEST(test_ipnet_parse)
{
    const net_case  *c = &net_cases[_i];
    pfc_ipnet        n;
    char             err[128] = "";
    int              r;

    r = pfc_ipnet_parse(c->in, &n, err, sizeof(err));
    if (c->prefix < 0) {
        ck_assert_int_eq(r, -1);
        ck_assert_str_eq(err, c->error);
    } else {
        ck_assert_msg(r == 0, "%s: %s", c->in, err);
        ck_assert_int_eq(n.prefix, c->prefix);
    }
}
END_TEST


START_TEST(test_ipnet_contains)
{
    pfc_ipnet       n;
    struct in_addr  a4;
    unsigned char   a6[16];

    ck_assert_int_eq(pfc_ipnet_parse("10.1.0.0/16", &n, NULL, 0), 0);
    inet_pton(AF_INET, "10.1.200.3", &a4);
    ck_assert(pfc_ipnet_contains(&n, AF_INET, &a4));
    inet_pton(AF_INET, "10.2.0.1", &a4);
    ck_assert(!pfc_ipnet_contains(&n, AF_INET, &a4));
    inet_pton(AF_INET6, "::1", a6);
    ck_assert(!pfc_ipnet_contains(&n, AF_INET6, a6));
    ck_assert_int_eq(pfc_ipnet_parse("2001:db8::/63", &n, NULL, 0), 0);
    inet_pton(AF_INET6, "2001:db8:0:1::5", a6);
    ck_assert(pfc_ipnet_contains(&n, AF_INET6, a6));
    inet_pton(AF_INET6, "2001:db8:0:2::5", a6);
    ck_assert(!pfc_ipnet_contains(&n, AF_INET6, a6));
    ck_assert_int_eq(pfc_ipnet_parse("*", &n, NULL, 0), 0);
    ck_assert(pfc_ipnet_contains(&n, AF_INET6, a6));
}
END_TEST


Suite *
pyutil_suite(void)
{
    Suite  *s = suite_create("pyutil");
    TCase  *tc = tcase_create("python");

    tcase_add_loop_test(tc, test_pyint, 0,
                        sizeof(int_cases) / sizeof(int_cases[0]));
    tcase_add_test(tc, test_auto_int);
    tcase_add_test(tc, test_normpath);
    tcase_add_test(tc, test_repr);
    tcase_add_loop_test(tc, test_parse_address, 0,
                        sizeof(addr_cases) / sizeof(addr_cases[0]));
    tcase_add_loop_test(tc, test_ipnet_parse, 0,
                        sizeof(net_cases) / sizeof(net_cases[0]));
    tcase_add_test(tc, test_ipnet_contains);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * PROXY protocol v1/v2 (good, bad, partial, LOCAL, not allowed) and the
 * address allow lists behind proxy_allow_ips and forwarded_allow_ips.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <string.h>
#include <sys/un.h>

#include "http.h"
#include "guard.h"
#include "suites.h"

#define V2SIG  "\r\n\r\n\0\r\nQUIT\n"


static int
proxy(const char *in, size_t len, int mode, int allowed, pfh_proxy *out)
{
    return pfh_parse_proxy(guard_put(in, len), len, mode, allowed, out);
}


/* Every proper prefix of a recognisable header is partial. */
static void
prefixes_partial(const char *in, size_t len, int mode)
{
    pfh_proxy  px;
    size_t     k;

    for (k = 1; k < len; k++) {
        ck_assert_msg(proxy(in, k, mode, 1, &px) == -2, "prefix %zu", k);
    }
}


START_TEST(v1_good)
{
    static const char  tcp4[] = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 "
                                "443\r\nGET / HTTP/1.1\r\n\r\n";
    static const char  tcp6[] = "PROXY TCP6 2001:db8::1 ::1 1 65535\r\n";
    pfh_proxy  px;
    size_t     n;

    n = strlen("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
    ck_assert_int_eq(proxy(tcp4, sizeof(tcp4) - 1, PFH_PROXY_V1, 1, &px),
                     (int) n);
    ck_assert_str_eq(px.proto, "TCP4");
    ck_assert_int_eq(px.family, AF_INET);
    ck_assert_str_eq(px.src_addr, "192.168.0.1");
    ck_assert_str_eq(px.dst_addr, "192.168.0.11");
    ck_assert_uint_eq(px.src_port, 56324);
    ck_assert_uint_eq(px.dst_port, 443);
    ck_assert_int_eq(px.local, 0);
    ck_assert_int_eq(proxy(tcp4, sizeof(tcp4) - 1, PFH_PROXY_AUTO, 1, &px),
                     (int) n);
    prefixes_partial(tcp4, n, PFH_PROXY_V1);

    ck_assert_int_eq(proxy(tcp6, sizeof(tcp6) - 1, PFH_PROXY_AUTO, 1, &px),
                     (int) sizeof(tcp6) - 1);
    ck_assert_str_eq(px.proto, "TCP6");
    ck_assert_int_eq(px.family, AF_INET6);
    ck_assert_str_eq(px.src_addr, "2001:db8::1");
    ck_assert_uint_eq(px.dst_port, 65535);
}
END_TEST


START_TEST(v1_bad)
{
    static const char  *t[] = {
        "PROXY TCP4 192.168.0.1 192.16...\r\n",
        "PROXY TCP4 192.168.0.1 192.168.0.11 65iii 100000\r\n",
        "PROXY TCP4 192.168.0.1 192.168.0.11 1 65536\r\n",
        "PROXY TCP4 not-an-ip 192.168.0.11 56324 443\r\n",
        "PROXY TCP4 ::1 ::1 1 2\r\n",
        "PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n",
        "PROXY UNKNOWN\r\n",
        "PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n",
        "PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 +1 2\r\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n",
        "PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n",
    };
    pfh_proxy  px;
    size_t     i;
    char       longl[200];

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        ck_assert_msg(proxy(t[i], strlen(t[i]), PFH_PROXY_V1, 1, &px) == -1
                      && px.status == 400, "case %zu", i);
    }
    /* no CRLF within the 107 bytes the spec allows */
    memcpy(longl, "PROXY TCP4 ", 11);
    memset(longl + 11, '1', sizeof(longl) - 11);
    ck_assert_int_eq(proxy(longl, sizeof(longl), PFH_PROXY_V1, 1, &px), -1);
    ck_assert_int_eq(proxy(longl, 106, PFH_PROXY_V1, 1, &px), -2);
}
END_TEST


START_TEST(not_proxy)
{
    pfh_proxy  px;

    ck_assert_int_eq(proxy("GET / HTTP/1.1\r\n\r\n", 18, PFH_PROXY_AUTO, 1,
                           &px), 0);
    ck_assert_int_eq(proxy("PROX", 4, PFH_PROXY_AUTO, 1, &px), -2);
    ck_assert_int_eq(proxy("PROXYZ", 6, PFH_PROXY_AUTO, 1, &px), 0);
    ck_assert_int_eq(proxy("\r\n\r\n\0\r\nQ", 8, PFH_PROXY_AUTO, 1, &px), -2);
    ck_assert_int_eq(proxy("\r\n\r\nX", 5, PFH_PROXY_AUTO, 1, &px), 0);
    ck_assert_int_eq(proxy("", 0, PFH_PROXY_AUTO, 1, &px), -2);
    /* a mode that does not include the version seen */
    ck_assert_int_eq(proxy("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\n", 32,
                           PFH_PROXY_V2, 1, &px), 0);
    ck_assert_int_eq(proxy(V2SIG "\x21\x11\x00\x0c", 16, PFH_PROXY_V1, 1,
                           &px), 0);
    ck_assert_int_eq(proxy("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\n", 32,
                           PFH_PROXY_NONE, 1, &px), 0);
}
END_TEST


START_TEST(not_allowed)
{
    pfh_proxy  px;

    ck_assert_int_eq(proxy("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\r\n", 32,
                           PFH_PROXY_AUTO, 0, &px), -1);
    ck_assert_int_eq(px.status, 403);
    /* decided as soon as the header is recognised, even if malformed */
    ck_assert_int_eq(proxy("PROXY garbage", 13, PFH_PROXY_AUTO, 0, &px), -1);
    ck_assert_int_eq(px.status, 403);
    ck_assert_int_eq(proxy(V2SIG, 12, PFH_PROXY_AUTO, 0, &px), -1);
    ck_assert_int_eq(px.status, 403);
    /* a plain request from such a peer is fine */
    ck_assert_int_eq(proxy("GET / HTTP/1.1\r\n\r\n", 18, PFH_PROXY_AUTO, 0,
                           &px), 0);
}
END_TEST


START_TEST(v2_good)
{
    static const char  v4[] = V2SIG "\x21\x11\x00\x0c"
                              "\xc0\xa8\x01\x0a\xc0\xa8\x01\x01\x30\x39\x01\xbb"
                              "GET";
    static const char  v6[] = V2SIG "\x21\x21\x00\x24"
                              "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
                              "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02"
                              "\xd4\x31\x00\x50";
    static const char  tlv[] = V2SIG "\x21\x11\x00\x10"
                               "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x00\x02"
                               "\x04\x00\x01\x00";
    static const char  local[] = V2SIG "\x20\x00\x00\x00";
    static const char  unspec[] = V2SIG "\x21\x01\x00\x00";
    pfh_proxy  px;

    ck_assert_int_eq(proxy(v4, sizeof(v4) - 1, PFH_PROXY_V2, 1, &px), 28);
    ck_assert_str_eq(px.proto, "TCP4");
    ck_assert_str_eq(px.src_addr, "192.168.1.10");
    ck_assert_str_eq(px.dst_addr, "192.168.1.1");
    ck_assert_uint_eq(px.src_port, 12345);
    ck_assert_uint_eq(px.dst_port, 443);
    prefixes_partial(v4, 28, PFH_PROXY_AUTO);

    ck_assert_int_eq(proxy(v6, sizeof(v6) - 1, PFH_PROXY_AUTO, 1, &px), 52);
    ck_assert_str_eq(px.proto, "TCP6");
    ck_assert_str_eq(px.src_addr, "2001:db8::1");
    ck_assert_str_eq(px.dst_addr, "2001:db8::2");
    ck_assert_uint_eq(px.src_port, 54321);
    ck_assert_uint_eq(px.dst_port, 80);

    /* TLVs after the addresses are skipped */
    ck_assert_int_eq(proxy(tlv, sizeof(tlv) - 1, PFH_PROXY_V2, 1, &px), 32);
    ck_assert_str_eq(px.src_addr, "1.2.3.4");

    /* LOCAL keeps the real peer */
    ck_assert_int_eq(proxy(local, 16, PFH_PROXY_V2, 1, &px), 16);
    ck_assert_int_eq(px.local, 1);
    ck_assert_str_eq(px.proto, "LOCAL");
    ck_assert_int_eq(px.family, AF_UNSPEC);
    ck_assert_int_eq(proxy(unspec, 16, PFH_PROXY_V2, 1, &px), 16);
    ck_assert_int_eq(px.local, 1);
    ck_assert_str_eq(px.proto, "UNSPEC");
}
END_TEST


START_TEST(v2_bad)
{
    static const struct {
        const char  *in;
        size_t       len;
    } t[] = {
        { V2SIG "\x11\x11\x00\x0c", 16 },               /* version 1 */
        { V2SIG "\x31\x11\x00\x0c", 16 },               /* version 3 */
        { V2SIG "\x22\x11\x00\x0c", 16 },               /* command 2 */
        { V2SIG "\x21\x12\x00\x0c" "123456789012", 28 },   /* DGRAM */
        { V2SIG "\x21\x31\x00\x0c" "123456789012", 28 },   /* AF_UNIX */
        { V2SIG "\x21\x41\x00\x0c" "123456789012", 28 },   /* family 4 */
        { V2SIG "\x21\x11\x00\x08" "12345678", 24 },       /* short v4 */
        { V2SIG "\x21\x21\x00\x0c" "123456789012", 28 },   /* short v6 */
    };
    pfh_proxy  px;
    size_t     i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        ck_assert_msg(proxy(t[i].in, t[i].len, PFH_PROXY_AUTO, 1, &px) == -1
                      && px.status == 400, "case %zu", i);
    }
    /* the announced length has not arrived yet */
    ck_assert_int_eq(proxy(V2SIG "\x21\x11\x01\x00", 16, PFH_PROXY_V2, 1,
                           &px), -2);
}
END_TEST


static int
match4(const pfh_addrlist *l, const char *ip)
{
    struct sockaddr_in  sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
    return pfh_addrlist_match(l, (struct sockaddr *) &sin);
}


static int
match6(const pfh_addrlist *l, const char *ip)
{
    struct sockaddr_in6  sin6;

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
    return pfh_addrlist_match(l, (struct sockaddr *) &sin6);
}


START_TEST(addrlist)
{
    pfh_addrlist        l;
    struct sockaddr_un  sun;
    const char         *bad;

    ck_assert_int_eq(pfh_addrlist_parse(&l, "127.0.0.1,::1", NULL), 0);
    ck_assert(match4(&l, "127.0.0.1"));
    ck_assert(!match4(&l, "127.0.0.2"));
    ck_assert(match6(&l, "::1"));
    ck_assert(!match6(&l, "::ffff:127.0.0.1"));
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    ck_assert(pfh_addrlist_match(&l, (struct sockaddr *) &sun));
    pfh_addrlist_free(&l);

    ck_assert_int_eq(pfh_addrlist_parse(&l, " 10.0.0.0/8 , 192.168.1.0/25,"
                                        "2001:db8::/32,,", NULL), 0);
    ck_assert_uint_eq(l.n, 3);
    ck_assert(match4(&l, "10.255.1.2"));
    ck_assert(!match4(&l, "11.0.0.1"));
    ck_assert(match4(&l, "192.168.1.127"));
    ck_assert(!match4(&l, "192.168.1.128"));
    ck_assert(match6(&l, "2001:db8:ffff::1"));
    ck_assert(!match6(&l, "2001:db9::1"));
    pfh_addrlist_free(&l);

    ck_assert_int_eq(pfh_addrlist_parse(&l, "0.0.0.0/0", NULL), 0);
    ck_assert(match4(&l, "8.8.8.8"));
    ck_assert(!match6(&l, "::2"));
    pfh_addrlist_free(&l);

    ck_assert_int_eq(pfh_addrlist_parse(&l, "*", NULL), 0);
    ck_assert(match4(&l, "8.8.8.8"));
    ck_assert(match6(&l, "::2"));
    pfh_addrlist_free(&l);

    ck_assert_int_eq(pfh_addrlist_parse(&l, "", NULL), 0);
    ck_assert(!match4(&l, "127.0.0.1"));
    pfh_addrlist_free(&l);

    /* strict like ip_network: host bits, bad prefixes, names */
    ck_assert_int_eq(pfh_addrlist_parse(&l, "127.0.0.1,10.0.0.1/24", &bad),
                     -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(strncmp(bad, "10.0.0.1/24", 11), 0);
    ck_assert_int_eq(pfh_addrlist_parse(&l, "10.0.0.0/33", NULL), -1);
    ck_assert_int_eq(pfh_addrlist_parse(&l, "10.0.0.0/", NULL), -1);
    ck_assert_int_eq(pfh_addrlist_parse(&l, "10.0.0.0/x", NULL), -1);
    ck_assert_int_eq(pfh_addrlist_parse(&l, "localhost", NULL), -1);
    ck_assert_int_eq(pfh_addrlist_parse(&l, "::1/129", NULL), -1);
    ck_assert_ptr_null(l.nets);
}
END_TEST


Suite *
proxy_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("proxy");
    tc = tcase_create("proxy");
    tcase_add_test(tc, v1_good);
    tcase_add_test(tc, v1_bad);
    tcase_add_test(tc, not_proxy);
    tcase_add_test(tc, not_allowed);
    tcase_add_test(tc, v2_good);
    tcase_add_test(tc, v2_bad);
    tcase_add_test(tc, addrlist);
    suite_add_tcase(s, tc);
    return s;
}

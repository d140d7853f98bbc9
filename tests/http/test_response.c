/*
 * The response side: head order and content, hop-by-hop dropping, CTL
 * refusal, the chunked / no-body / keep-alive decisions, body framing with
 * the Content-Length cap, the Date cache, writev/sendfile helpers, and the
 * error pages byte for byte.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "helpers.h"
#include "suites.h"

#define H(n, v)  { n, sizeof(n) - 1, v, sizeof(v) - 1 }

static char  buf[8192];


static ssize_t
head(pfh_response *r, const char *status, const pfh_header *h, size_t n,
     const char **bad)
{
    return pfh_response_head(r, status, strlen(status), h, n, buf,
                             sizeof(buf), bad);
}


/* The head with its Date value replaced by "D". */
static const char *
undated(ssize_t len)
{
    static char  out[8192];
    char        *d;

    ck_assert_int_gt(len, 0);
    memcpy(out, buf, (size_t) len);
    out[len] = '\0';
    d = strstr(out, "\r\nDate: ");
    ck_assert_ptr_nonnull(d);
    d += 8;
    ck_assert_int_eq(strlen(d) > 29 && memcmp(d + 25, " GMT\r\n", 6) == 0, 1);
    memmove(d + 1, d + 29, strlen(d + 29) + 1);
    d[0] = 'D';
    return out;
}


START_TEST(head_order)
{
    static const pfh_header  h[] = {
        H("Content-Type", "text/plain"),
        H("X-B", " two "),
        H("Content-Length", "5"),
        H("X-A", "one"),
    };
    pfh_response  r = { .version_minor = 1, .keep_alive = 1 };
    const char   *bad = NULL;
    ssize_t       n;

    n = head(&r, "200 OK", h, 4, &bad);
    ck_assert_str_eq(undated(n), "HTTP/1.1 200 OK\r\nServer: gunicorn\r\n"
                     "Date: D\r\nConnection: keep-alive\r\n"
                     "Content-Type: text/plain\r\nX-B: two\r\n"
                     "Content-Length: 5\r\nX-A: one\r\n\r\n");
    ck_assert_int_eq(r.chunked, 0);
    ck_assert_int_eq(r.has_length, 1);
    ck_assert_uint_eq(r.content_length, 5);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(r.keep_alive, 1);

    /* HTTP/1.0 is echoed; no length on 1.0 means close, no chunking */
    memset(&r, 0, sizeof(r));
    r.keep_alive = 1;
    r.server = "prefork";
    n = head(&r, "404 Not Found", h, 2, &bad);
    ck_assert_str_eq(undated(n), "HTTP/1.0 404 Not Found\r\nServer: prefork"
                     "\r\nDate: D\r\nConnection: close\r\n"
                     "Content-Type: text/plain\r\nX-B: two\r\n\r\n");
    ck_assert_int_eq(r.keep_alive, 0);
    ck_assert_int_eq(r.chunked, 0);
}
END_TEST


START_TEST(head_chunked_and_hop_by_hop)
{
    static const pfh_header  h[] = {
        H("Connection", "close"),
        H("Keep-Alive", "timeout=5"),
        H("Transfer-Encoding", "chunked"),
        H("TE", "trailers"),
        H("Trailers", "x"),
        H("Proxy-Authenticate", "x"),
        H("Proxy-Authorization", "x"),
        H("Upgrade", "h2c"),
        H("Server", "evil"),
        H("Date", "yesterday"),
        H("X-Kept", "1"),
    };
    pfh_response  r = { .version_minor = 1, .keep_alive = 1 };
    const char   *bad;
    ssize_t       n;

    n = head(&r, "200 OK", h, sizeof(h) / sizeof(h[0]), &bad);
    ck_assert_str_eq(undated(n), "HTTP/1.1 200 OK\r\nServer: gunicorn\r\n"
                     "Date: D\r\nConnection: keep-alive\r\n"
                     "Transfer-Encoding: chunked\r\nX-Kept: 1\r\n\r\n");
    ck_assert_int_eq(r.chunked, 1);
    ck_assert_int_eq(r.keep_alive, 1);

    /* the request said close */
    r.keep_alive = 0;
    n = head(&r, "200 OK", h + 10, 1, &bad);
    ck_assert_ptr_nonnull(strstr(undated(n), "Connection: close\r\n"
                                 "Transfer-Encoding: chunked\r\n"));
}
END_TEST


START_TEST(head_upgrade)
{
    static const pfh_header  h[] = {
        H("Upgrade", "websocket"),
        H("Connection", "Upgrade"),
        H("Sec-WebSocket-Accept", "abc"),
    };
    pfh_response  r = { .version_minor = 1, .keep_alive = 1 };
    const char   *bad;
    ssize_t       n;

    n = head(&r, "101 Switching Protocols", h, 3, &bad);
    ck_assert_str_eq(undated(n), "HTTP/1.1 101 Switching Protocols\r\n"
                     "Server: gunicorn\r\nDate: D\r\nConnection: upgrade\r\n"
                     "Upgrade: websocket\r\nSec-WebSocket-Accept: abc\r\n\r\n");
    ck_assert_int_eq(r.upgrade, 1);
    ck_assert_int_eq(r.no_body, 1);
    ck_assert_int_eq(r.chunked, 0);
}
END_TEST


START_TEST(head_refuses_ctl)
{
    static const pfh_header  ok = H("X", "a\tb \x80\xff");
    pfh_header    h;
    pfh_response  r = { .version_minor = 1, .keep_alive = 1 };
    const char   *bad;
    char          name[8], value[8];
    int           ch;

    ck_assert_int_gt(head(&r, "200 OK", &ok, 1, &bad), 0);
    for (ch = 0; ch < 256; ch++) {
        memcpy(value, "aXb", 4);
        value[1] = (char) ch;
        h.name = "X-V";
        h.name_len = 3;
        h.value = value;
        h.value_len = 3;
        bad = NULL;
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            ck_assert_msg(head(&r, "200 OK", &h, 1, &bad) == -1
                          && bad == h.name, "value byte %d", ch);
        } else {
            ck_assert_msg(head(&r, "200 OK", &h, 1, &bad) > 0,
                          "value byte %d", ch);
        }
        memcpy(name, "XaY", 4);
        name[1] = (char) ch;
        h.name = name;
        h.value = "v";
        h.value_len = 1;
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z')
              || (ch >= 'A' && ch <= 'Z') || strchr("!#$%&'*+-.^_`|~", ch))
            || ch == 0)
        {
            ck_assert_msg(head(&r, "200 OK", &h, 1, &bad) == -1,
                          "name byte %d", ch);
        }
    }
    h.name = "";
    h.name_len = 0;
    ck_assert_int_eq(head(&r, "200 OK", &h, 1, &bad), -1);

    /* the status line too, and it must start with a 3-digit code */
    ck_assert_int_eq(head(&r, "200 OK\r\nX: y", NULL, 0, &bad), -1);
    ck_assert_int_eq(head(&r, "OK", NULL, 0, &bad), -1);
    ck_assert_int_eq(head(&r, "20 OK", NULL, 0, &bad), -1);
    ck_assert_int_eq(head(&r, "2000 OK", NULL, 0, &bad), -1);
    ck_assert_int_gt(head(&r, "299", NULL, 0, &bad), 0);

    /* Content-Length must be digits, duplicates must agree */
    h.name = "Content-Length";
    h.name_len = 14;
    h.value = "+5";
    h.value_len = 2;
    ck_assert_int_eq(head(&r, "200 OK", &h, 1, &bad), -1);
    h.value = "abc";
    h.value_len = 3;
    ck_assert_int_eq(head(&r, "200 OK", &h, 1, &bad), -1);
    {
        static const pfh_header  two[] = {
            H("Content-Length", "5"), H("content-length", "6")
        };
        static const pfh_header  same[] = {
            H("Content-Length", "5"), H("content-length", " 5")
        };

        ck_assert_int_eq(head(&r, "200 OK", two, 2, &bad), -1);
        ck_assert_int_gt(head(&r, "200 OK", same, 2, &bad), 0);
    }

    /* buffer too small */
    ck_assert_int_eq(pfh_response_head(&r, "200 OK", 6, &ok, 1, buf, 40,
                                       &bad), -2);
}
END_TEST


START_TEST(head_no_body)
{
    static const pfh_header  h[] = { H("Content-Length", "10") };
    static const struct {
        const char  *status;
        int          head_req, no_body, has_length, ka;
    } t[] = {
        { "200 OK", 1, 1, 1, 1 },                 /* HEAD keeps CL */
        { "304 Not Modified", 0, 1, 1, 1 },       /* 304 keeps CL */
        { "204 No Content", 0, 1, 0, 1 },         /* 204 drops CL */
        { "103 Early Hints", 0, 1, 0, 1 },        /* 1xx drops CL */
        { "200 OK", 0, 0, 1, 1 },
    };
    pfh_response  r;
    const char   *bad, *out;
    size_t        i;
    ssize_t       n;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        memset(&r, 0, sizeof(r));
        r.version_minor = 1;
        r.keep_alive = 1;
        r.head_request = t[i].head_req;
        n = head(&r, t[i].status, h, 1, &bad);
        out = undated(n);
        ck_assert_msg(r.no_body == t[i].no_body
                      && r.has_length == t[i].has_length
                      && r.chunked == 0 && r.keep_alive == t[i].ka,
                      "%s", t[i].status);
        ck_assert_msg((strstr(out, "Content-Length: 10\r\n") != NULL)
                      == t[i].has_length, "%s: %s", t[i].status, out);
        ck_assert_ptr_null(strstr(out, "Transfer-Encoding"));
    }
    /* HEAD / 204 without a length: no chunking, keep-alive */
    memset(&r, 0, sizeof(r));
    r.version_minor = 1;
    r.keep_alive = 1;
    r.head_request = 1;
    n = head(&r, "200 OK", NULL, 0, &bad);
    ck_assert_int_eq(r.chunked, 0);
    ck_assert_int_eq(r.keep_alive, 1);
}
END_TEST


START_TEST(body_framing)
{
    static const pfh_header  cl[] = { H("Content-Length", "5") };
    pfh_response  r = { .version_minor = 1, .keep_alive = 1 };
    struct iovec  iov[3];
    const char   *bad;
    char          hdr[20];

    /* Content-Length: never more than announced, in any number of writes */
    ck_assert_int_gt(head(&r, "200 OK", cl, 1, &bad), 0);
    ck_assert_int_eq(pfh_body_iov(&r, "abc", 3, hdr, iov), 1);
    ck_assert_uint_eq(iov[0].iov_len, 3);
    ck_assert_int_eq(pfh_body_iov(&r, "defgh", 5, hdr, iov), 1);
    ck_assert_uint_eq(iov[0].iov_len, 2);
    ck_assert_int_eq(memcmp(iov[0].iov_base, "de", 2), 0);
    ck_assert_int_eq(pfh_body_iov(&r, "x", 1, hdr, iov), 0);
    ck_assert_uint_eq(r.sent, 5);
    ck_assert_int_eq(pfh_body_end_iov(&r, iov), 0);

    /* chunked: header, data, CRLF; empty writes skipped; terminator */
    ck_assert_int_gt(head(&r, "200 OK", NULL, 0, &bad), 0);
    ck_assert_int_eq(r.chunked, 1);
    ck_assert_int_eq(pfh_body_iov(&r, "", 0, hdr, iov), 0);
    ck_assert_int_eq(pfh_body_iov(&r, "0123456789abcdefXY", 18, hdr, iov), 3);
    ck_assert_uint_eq(iov[0].iov_len, 4);
    ck_assert_int_eq(memcmp(iov[0].iov_base, "12\r\n", 4), 0);
    ck_assert_uint_eq(iov[1].iov_len, 18);
    ck_assert_int_eq(memcmp(iov[2].iov_base, "\r\n", 2), 0);
    ck_assert_int_eq(pfh_body_end_iov(&r, iov), 1);
    ck_assert_int_eq(memcmp(iov[0].iov_base, "0\r\n\r\n", 5), 0);

    /* no-body responses put nothing on the wire */
    r.head_request = 1;
    ck_assert_int_gt(head(&r, "200 OK", NULL, 0, &bad), 0);
    ck_assert_int_eq(pfh_body_iov(&r, "abc", 3, hdr, iov), 0);
    ck_assert_int_eq(pfh_body_end_iov(&r, iov), 0);
    r.head_request = 0;
    ck_assert_int_gt(head(&r, "304 Not Modified", NULL, 0, &bad), 0);
    ck_assert_int_eq(pfh_body_iov(&r, "abc", 3, hdr, iov), 0);

    ck_assert_uint_eq(pfh_chunk_header(hdr, 0), 3);
    ck_assert_int_eq(memcmp(hdr, "0\r\n", 3), 0);
    ck_assert_uint_eq(pfh_chunk_header(hdr, 0xABCDEF), 8);
    ck_assert_int_eq(memcmp(hdr, "ABCDEF\r\n", 8), 0);
}
END_TEST


START_TEST(date_cache)
{
    const char  *d1, *d2;
    size_t       n;
    char         e1[64], e2[64];
    time_t       now;
    struct tm    tm;

    now = time(NULL);
    d1 = pfh_date(&n);
    ck_assert_uint_eq(n, 29);
    ck_assert_uint_eq(strlen(d1), 29);
    /* the clock may tick between the two calls */
    gmtime_r(&now, &tm);
    strftime(e1, sizeof(e1), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    now++;
    gmtime_r(&now, &tm);
    strftime(e2, sizeof(e2), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    ck_assert_msg(strcmp(d1, e1) == 0 || strcmp(d1, e2) == 0, "%s", d1);
    ck_assert_str_eq(d1 + 25, " GMT");
    d2 = pfh_date(NULL);
    ck_assert_ptr_eq(d1, d2);
}
END_TEST


START_TEST(writev_sendfile)
{
    int           sv[2], fd;
    struct iovec  iov[3];
    char          in[64], *dir, path[256];
    ssize_t       n;

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    iov[0].iov_base = "head;";
    iov[0].iov_len = 5;
    iov[1].iov_base = "body";
    iov[1].iov_len = 4;
    ck_assert_int_eq(pfh_writev_all(sv[0], iov, 2), 0);
    ck_assert_int_eq(th_read_n(sv[1], in, 9, 2000), 9);
    ck_assert_int_eq(memcmp(in, "head;body", 9), 0);

    dir = th_tmpdir();
    snprintf(path, sizeof(path), "%s/f", dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "0123456789", 10), 10);
    ck_assert_int_eq(pfh_sendfile_all(sv[0], fd, 2, 5), 0);
    ck_assert_int_eq(th_read_n(sv[1], in, 5, 2000), 5);
    ck_assert_int_eq(memcmp(in, "23456", 5), 0);
    /* a file shorter than promised is an error, not a hang */
    ck_assert_int_eq(pfh_sendfile_all(sv[0], fd, 8, 5), -1);
    n = th_read_n(sv[1], in, 2, 2000);
    ck_assert_int_eq(n, 2);
    close(fd);
    th_rmrf(dir);
    free(dir);
    close(sv[0]);
    close(sv[1]);
}
END_TEST


/* gunicorn's page for "GET HTTP/1.1", byte for byte (spec §4.9). */
START_TEST(error_page_bytes)
{
    static const char  expect[] =
        "HTTP/1.1 400 Bad Request\r\n"
        "Connection: close\r\n"
        "Content-Type: text/html\r\n"
        "Content-Length: 205\r\n"
        "\r\n"
        "<html>\n  <head>\n    <title>Bad Request</title>\n  </head>\n"
        "  <body>\n    <h1><p>Bad Request</p></h1>\n"
        "    Invalid Request Line &#x27;Invalid HTTP request line: "
        "&#x27;GET HTTP/1.1&#x27;&#x27;\n  </body>\n</html>\n";
    pfh_config   cfg;
    pfh_request  req;
    ssize_t      n;
    pfh_header   h[4];

    pfh_config_init(&cfg);
    ck_assert_int_eq(pfh_parse_request("GET HTTP/1.1\r\n\r\n", 16, &req, h, 4,
                                       0, &cfg, 0), -1);
    n = pfh_error_page(req.status, req.detail, buf, sizeof(buf));
    ck_assert_int_eq(n, (ssize_t) sizeof(expect) - 1);
    ck_assert_int_eq(memcmp(buf, expect, (size_t) n), 0);

    n = pfh_error_page(431, "Error parsing headers: 'x'", buf, sizeof(buf));
    buf[n] = '\0';
    ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 431 Request Header Fields "
                                 "Too Large\r\n"));
    n = pfh_error_page(403, "Request forbidden", buf, sizeof(buf));
    buf[n] = '\0';
    ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 403 Forbidden\r\n"));
    n = pfh_error_page(414, "<&\">", buf, sizeof(buf));
    buf[n] = '\0';
    ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 414 URI Too Long\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "    &lt;&amp;&quot;&gt;\n"));
    ck_assert_str_eq(pfh_reason(501), "Not Implemented");
    ck_assert_str_eq(pfh_reason(505), "HTTP Version Not Supported");
    ck_assert_str_eq(pfh_reason(417), "Expectation Failed");
    n = pfh_error_page(400, "x", buf, sizeof(buf));
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(pfh_error_page(400, "x", buf, (size_t) n), n);
    ck_assert_int_eq(pfh_error_page(400, "x", buf, (size_t) n - 1), -2);
    ck_assert_int_eq(pfh_error_page(400, "x", buf, 10), -2);
}
END_TEST


Suite *
response_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("response");
    tc = tcase_create("writer");
    tcase_add_test(tc, head_order);
    tcase_add_test(tc, head_chunked_and_hop_by_hop);
    tcase_add_test(tc, head_upgrade);
    tcase_add_test(tc, head_refuses_ctl);
    tcase_add_test(tc, head_no_body);
    tcase_add_test(tc, body_framing);
    tcase_add_test(tc, date_cache);
    tcase_add_test(tc, writev_sendfile);
    tcase_add_test(tc, error_page_bytes);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * Request bodies on the ev worker: read whole before the app runs, in
 * memory up to 1 MiB and spooled to a temp file past it.  A slow uploader
 * never stalls the worker, a big one does not grow it, wsgi.input reads
 * the same from the file as from memory, pipelined bytes after a spooled
 * body survive, and framing errors found before the app get 400 + close.
 */
#include "tw.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "suites.h"

#define MIB  (1024 * 1024)

/* ASan parks freed blocks in a quarantine (256 MiB by default): under it a
 * worker's RSS follows what the app allocated, not what it holds, so the
 * RSS bound is checked on the plain build only. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN  1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN  1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN  0
#endif

static tw_server  S;
static tw_conn    C;


static void
up_ev(unsigned timeout)
{
    tw_opts  o;

    tw_opts_init(&o);
    o.worker = "ev";
    o.timeout = timeout;
    tw_server_start(&S, &o);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
}


static void
down(void)
{
    if (C.fd > 0) {
        close(C.fd);
        C.fd = -1;
    }
    tw_server_stop(&S);
}


static void
ask_on(tw_conn *c, tw_resp *r, const char *raw)
{
    tw_server_get(&S, c, r, raw);
}


static uint32_t  crc_tab[256];


static uint32_t
crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    uint32_t  c;
    size_t    i;
    int       k;

    if (crc_tab[1] == 0) {
        for (i = 0; i < 256; i++) {
            c = (uint32_t) i;
            for (k = 0; k < 8; k++) {
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            crc_tab[i] = c;
        }
    }
    crc = ~crc;
    for (i = 0; i < n; i++) {
        crc = crc_tab[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}


/* Byte i of every test body: no period that lines up with the pieces. */
static void
pattern(unsigned char *p, size_t off, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        p[i] = (unsigned char) ((off + i) * 7 + (off + i) / 65521);
    }
}


static long
json_num(const char *body, const char *key)
{
    char         k[64];
    const char  *p;

    snprintf(k, sizeof(k), "\"%s\": ", key);
    p = strstr(body, k);
    ck_assert_msg(p != NULL, "no %s in %s", key, body);
    return strtol(p + strlen(k), NULL, 10);
}


static long
worker_pid(void)
{
    tw_resp  r;
    long     pid;

    ask_on(&C, &r, "GET /pid HTTP/1.1\r\nHost: x\r\n\r\n");
    pid = json_num(r.body, "pid");
    tw_resp_free(&r);
    return pid;
}


/* Send n pattern bytes as a Content-Length body (chunked: in chunks of
 * `piece`), calling between(i) after each piece. */
static uint32_t
send_body(tw_conn *tc, size_t n, size_t piece, int chunked,
          void (*between)(size_t i))
{
    unsigned char  *buf = malloc(piece);
    char            hdr[32];
    uint32_t        crc = 0;
    size_t          off, len, i;

    ck_assert_ptr_nonnull(buf);
    for (off = 0, i = 0; off < n; off += len, i++) {
        len = n - off < piece ? n - off : piece;
        pattern(buf, off, len);
        crc = crc32_update(crc, buf, len);
        if (chunked) {
            snprintf(hdr, sizeof(hdr), "%zx\r\n", len);
            ck_assert_int_eq(tw_sends(tc, hdr), 0);
        }
        ck_assert_int_eq(tw_send(tc, buf, len), 0);
        if (chunked) {
            ck_assert_int_eq(tw_sends(tc, "\r\n"), 0);
        }
        if (between != NULL) {
            between(i);
        }
    }
    if (chunked) {
        ck_assert_int_eq(tw_sends(tc, "0\r\n\r\n"), 0);
    }
    free(buf);
    return crc;
}


static void
upload_head(tw_conn *tc, size_t n, int chunked)
{
    char  head[256];

    if (chunked) {
        snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: x\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    } else {
        snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: %zu\r\n\r\n", n);
    }
    ck_assert_int_eq(tw_sends(tc, head), 0);
}


static void
check_upload(tw_conn *tc, size_t n, uint32_t crc)
{
    tw_resp  r;

    ck_assert_int_eq(tw_read(tc, &r, 60000, 0), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(json_num(r.body, "len"), (long) n);
    ck_assert_int_eq(json_num(r.body, "crc32"), (long) crc);
    tw_resp_free(&r);
}


/* Between two 64 KiB pieces of the upload, another client's request is
 * answered by the same (only) worker: the next piece is sent only after
 * that answer, so a worker that waited for the upload inside the app
 * would never answer (the other client's 20 s deadline fails the test). */
static void
other_client_served(size_t i)
{
    tw_resp  r;

    if (i % 4 != 0) {
        return;
    }
    ask_on(&C, &r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
}


START_TEST(trickled_upload_does_not_stall_the_worker)
{
    tw_conn   up;
    uint32_t  crc;
    size_t    n = 3 * MIB;
    int       chunked = _i;

    up_ev(30);
    ck_assert_int_ge(tw_connect(&up, S.addr), 0);
    upload_head(&up, n, chunked);
    crc = send_body(&up, n, 65536, chunked, other_client_served);
    check_upload(&up, n, crc);
    close(up.fd);
}
END_TEST


static long
proc_kb(long pid, const char *field)
{
    char    path[64], buf[4096], *p;
    ssize_t n;
    int     fd;

    snprintf(path, sizeof(path), "/proc/%ld/status", pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    p = strstr(buf, field);
    ck_assert_ptr_nonnull(p);
    return strtol(p + strlen(field), NULL, 10);
}


/* A correctness bound on spooling, not a speed figure: a 64 MiB upload
 * read by the app 64 KiB at a time leaves the worker's peak RSS within a
 * few MiB of where it was (buffering the body in memory would add 64). */
START_TEST(big_upload_keeps_rss_flat)
{
    uint32_t  crc;
    size_t    n = 64 * MIB;
    long      pid, before, peak;
    char      path[64];
    int       fd;

    up_ev(30);
    pid = worker_pid();
    /* "5" resets the peak (VmHWM) to the current RSS (Linux >= 4.0) */
    snprintf(path, sizeof(path), "/proc/%ld/clear_refs", pid);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ck_assert_int_eq(write(fd, "5", 1), 1);
        close(fd);
    }
    before = proc_kb(pid, "VmRSS:");
    upload_head(&C, n, _i);
    crc = send_body(&C, n, 65536, _i, NULL);
    check_upload(&C, n, crc);
    peak = proc_kb(pid, "VmHWM:");
    ck_assert_int_eq(worker_pid(), pid);
    ck_assert_msg(UNDER_ASAN || peak - before < 8 * 1024,
                  "worker RSS grew by %ld KiB for a 64 MiB upload",
                  peak - before);
}
END_TEST


/* Bodies under the spool threshold stay in each connection's buffer while
 * their request runs; after it the buffer shrinks back, so 24 idle
 * keep-alive connections that each sent 1 MiB hold no 1 MiB buffers
 * (a correctness bound, like the one above). */
START_TEST(memory_bodies_do_not_stay_buffered)
{
    tw_conn   *c;
    uint32_t   crc;
    size_t     n = MIB - 4096;
    long       pid, before, after;
    int        i;

    up_ev(30);
    pid = worker_pid();
    before = proc_kb(pid, "VmRSS:");
    c = calloc(24, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    for (i = 0; i < 24; i++) {
        ck_assert_int_ge(tw_connect(&c[i], S.addr), 0);
        upload_head(&c[i], n, 0);
        crc = send_body(&c[i], n, n, 0, NULL);
        check_upload(&c[i], n, crc);
    }
    after = proc_kb(pid, "VmRSS:");
    ck_assert_int_eq(worker_pid(), pid);
    for (i = 0; i < 24; i++) {
        close(c[i].fd);
    }
    free(c);
    ck_assert_msg(UNDER_ASAN || after - before < 8 * 1024,
                  "worker RSS grew by %ld KiB with 24 idle connections",
                  after - before);
}
END_TEST


/* wsgi.input over a spooled body: every read style the probe has, on one
 * keep-alive connection, compared with the same body's lines. */
START_TEST(spooled_body_reads_like_memory)
{
    static const char *const  methods[] = {
        "read", "none", "readn", "readline", "readline5", "readlines",
        "readlines_hint", "iter", "read0", "twice",
    };
    const int                 chunked = _i;
    size_t                    nlines = 90000, linelen = 20, n, i, k;
    char                     *body, *want, *w, head[256];
    tw_resp                   r;

    n = nlines * linelen;                          /* 1.8 MB: spooled */
    body = malloc(n + 1);
    want = malloc(3 * n + 64);
    ck_assert_ptr_nonnull(body);
    ck_assert_ptr_nonnull(want);
    for (i = 0; i < nlines; i++) {
        snprintf(body + i * linelen, linelen + 1, "line %014zu\n", i);
    }
    up_ev(30);
    for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
        const char *m = methods[k];

        if (chunked) {
            snprintf(head, sizeof(head), "POST /echo?m=%s HTTP/1.1\r\n"
                     "Host: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "%zx\r\n", m, n);
            ck_assert_int_eq(tw_sends(&C, head), 0);
            ck_assert_int_eq(tw_send(&C, body, n), 0);
            ck_assert_int_eq(tw_sends(&C, "\r\n0\r\n\r\n"), 0);
        } else {
            snprintf(head, sizeof(head), "POST /echo?m=%s HTTP/1.1\r\n"
                     "Host: x\r\nContent-Length: %zu\r\n\r\n", m, n);
            ck_assert_int_eq(tw_sends(&C, head), 0);
            ck_assert_int_eq(tw_send(&C, body, n), 0);
        }
        ck_assert_int_eq(tw_read(&C, &r, 60000, 0), 0);
        ck_assert_int_eq(r.status, 200);
        w = want;
        if (strcmp(m, "read") == 0 || strcmp(m, "none") == 0
            || strcmp(m, "readn") == 0)
        {
            memcpy(w, body, n);
            w += n;
        } else if (strcmp(m, "readline5") == 0) {
            for (i = 0; i < n; i += 5) {
                if (i > 0) {
                    *w++ = '|';
                }
                memcpy(w, body + i, 5);
                w += 5;
            }
        } else if (strcmp(m, "readlines_hint") == 0) {
            memcpy(w, body, linelen);
            w += linelen;
            *w++ = '#';
            memcpy(w, body + linelen, n - linelen);
            w += n - linelen;
        } else if (strcmp(m, "read0") == 0) {
            memcpy(w, "b'':", 4);
            w += 4;
            memcpy(w, body, n);
            w += n;
        } else if (strcmp(m, "twice") == 0) {
            memcpy(w, body, n);
            w += n;
            memcpy(w, "##", 2);
            w += 2;
        } else {                                 /* line by line */
            for (i = 0; i < nlines; i++) {
                if (i > 0) {
                    *w++ = '|';
                }
                memcpy(w, body + i * linelen, linelen);
                w += linelen;
            }
        }
        ck_assert_msg(r.body_len == (size_t) (w - want)
                      && memcmp(r.body, want, r.body_len) == 0,
                      "m=%s: %zu bytes back, %zu expected", m, r.body_len,
                      (size_t) (w - want));
        tw_resp_free(&r);
    }
    free(body);
    free(want);
}
END_TEST


/* A spooled body followed in the same write by the next request; and a
 * spooled body the app never reads: the connection carries on. */
START_TEST(spooled_body_then_pipelined_request)
{
    const int  chunked = _i;
    size_t     n = 2 * MIB + 3;
    uint32_t   crc;
    tw_resp    r;
    char       head[128];

    up_ev(30);
    upload_head(&C, n, chunked);
    crc = send_body(&C, n, n, chunked, NULL);
    ck_assert_int_eq(tw_sends(&C, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    check_upload(&C, n, crc);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);

    /* unread by the app: dropped with the file */
    if (chunked) {
        snprintf(head, sizeof(head), "POST /one HTTP/1.1\r\nHost: x\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
    } else {
        snprintf(head, sizeof(head), "POST /one HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: %zu\r\n\r\n", n);
    }
    ck_assert_int_eq(tw_sends(&C, head), 0);
    send_body(&C, n, 65536, chunked, NULL);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
    ask_on(&C, &r, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_str_eq(r.body, "just one item");
    tw_resp_free(&r);
}
END_TEST


/* A head that arrives first, then a body that makes the buffer grow while
 * the head's views are still in use (a use after free before the views
 * moved with the buffer; SANITIZE=1 reports it in the server log). */
START_TEST(body_after_head_moves_the_buffer)
{
    char     head[8192], *body;
    size_t   n = 200000;
    tw_resp  r;

    up_ev(30);
    memset(head, 0, sizeof(head));
    snprintf(head, sizeof(head), "POST /echo HTTP/1.1\r\nHost: x\r\n"
             "X-Long: %03000d\r\nExpect: 100-continue\r\n"
             "Content-Length: %zu\r\n\r\n", 7, n);
    ck_assert_int_eq(tw_sends(&C, head), 0);
    /* 100 Continue: the head was parsed on its own, the body comes now */
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 100);
    tw_resp_free(&r);
    body = malloc(n);
    memset(body, 'b', n);
    ck_assert_int_eq(tw_send(&C, body, n), 0);
    free(body);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(r.body_len, n);
    tw_resp_free(&r);
    ask_on(&C, &r, "GET /env HTTP/1.1\r\nHost: x\r\n\r\n");
    ck_assert_ptr_nonnull(strstr(r.body, "\"PATH_INFO\": \"/env\""));
    tw_resp_free(&r);
}
END_TEST


/* Bad chunk framing seen before the app ran: 400, then close (gunicorn
 * sends nothing; the app never sees the request). */
START_TEST(framing_error_gets_400_and_close)
{
    tw_resp  r;
    char     *log;

    up_ev(30);
    ck_assert_int_eq(tw_sends(&C, "POST /echo HTTP/1.1\r\nHost: x\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"
                              "3\r\nabc\r\nzz\r\nnot a chunk\r\n"), 0);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert(tw_closed(&C, 20000));
    tw_resp_free(&r);
    log = tw_server_log(&S);
    ck_assert_ptr_null(strstr(log, "Traceback"));
    free(log);
}
END_TEST


/* The framing error inside a spooled chunked body (no terminator yet). */
START_TEST(framing_error_while_spooling)
{
    tw_resp  r;
    char     *chunk;
    size_t   n = 65536, i;

    up_ev(30);
    ck_assert_int_eq(tw_sends(&C, "POST /upload HTTP/1.1\r\nHost: x\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n"), 0);
    chunk = malloc(n);
    memset(chunk, 'c', n);
    for (i = 0; i < 24; i++) {                   /* 1.5 MiB */
        ck_assert_int_eq(tw_sends(&C, "10000\r\n"), 0);
        ck_assert_int_eq(tw_send(&C, chunk, n), 0);
        ck_assert_int_eq(tw_sends(&C, "\r\n"), 0);
    }
    free(chunk);
    ck_assert_int_eq(tw_sends(&C, "5\r\nabcdeXX"), 0);   /* no CRLF */
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 400);
    ck_assert(tw_closed(&C, 20000));
    tw_resp_free(&r);
    /* and the worker serves on */
    close(C.fd);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
    ck_assert_int_gt(worker_pid(), 0);
}
END_TEST


/* Expect: 100-continue is answered before any body byte is read, for a
 * body that will be spooled. */
START_TEST(continue_before_a_spooled_body)
{
    char      head[256];
    size_t    n = 3 * MIB / 2;
    uint32_t  crc;
    tw_resp   r;

    up_ev(30);
    snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: x\r\n"
             "Expect: 100-continue\r\nContent-Length: %zu\r\n\r\n", n);
    ck_assert_int_eq(tw_sends(&C, head), 0);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 100);
    tw_resp_free(&r);
    crc = send_body(&C, n, 65536, 0, NULL);
    check_upload(&C, n, crc);
}
END_TEST


/* No temp file to spool to ($TMPDIR is missing): 500, the failing call in
 * the log, and the worker serves on. */
START_TEST(spool_failure_is_500)
{
    char     head[256], *log;
    tw_opts  o;
    tw_resp  r;

    tw_opts_init(&o);
    o.worker = "ev";
    o.tmpdir = "/nonexistent/pfw-spool";
    tw_server_start(&S, &o);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
    snprintf(head, sizeof(head), "POST /upload HTTP/1.1\r\nHost: x\r\n"
             "Expect: 100-continue\r\nContent-Length: %d\r\n\r\n",
             2 * MIB);
    ck_assert_int_eq(tw_sends(&C, head), 0);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 100);
    tw_resp_free(&r);
    ck_assert_int_eq(tw_read(&C, &r, 20000, 0), 0);
    ck_assert_int_eq(r.status, 500);
    tw_resp_free(&r);
    ck_assert(tw_closed(&C, 20000));
    log = tw_server_log(&S);
    ck_assert_msg(strstr(log, "open(/nonexistent/pfw-spool) for a request "
                         "body failed: No such file or directory") != NULL,
                  "log:\n%s", log);
    free(log);
    close(C.fd);
    ck_assert_int_ge(tw_connect(&C, S.addr), 0);
    ck_assert_int_gt(worker_pid(), 0);
}
END_TEST


Suite *
spool_suite(void)
{
    Suite  *s = suite_create("spool");
    TCase  *t = tcase_create("ev");

    tcase_set_timeout(t, 120);
    tcase_add_checked_fixture(t, NULL, down);
    tcase_add_loop_test(t, trickled_upload_does_not_stall_the_worker, 0, 2);
    tcase_add_loop_test(t, big_upload_keeps_rss_flat, 0, 2);
    tcase_add_test(t, memory_bodies_do_not_stay_buffered);
    tcase_add_loop_test(t, spooled_body_reads_like_memory, 0, 2);
    tcase_add_loop_test(t, spooled_body_then_pipelined_request, 0, 2);
    tcase_add_test(t, body_after_head_moves_the_buffer);
    tcase_add_test(t, framing_error_gets_400_and_close);
    tcase_add_test(t, framing_error_while_spooling);
    tcase_add_test(t, continue_before_a_spooled_body);
    tcase_add_test(t, spool_failure_is_500);
    suite_add_tcase(s, t);
    return s;
}

/*
 * bench-parser: request-head parse rate of lib/http beside Debian's
 * http-parser (nodejs/http-parser 2.9, when built with HAVE_HTTP_PARSER) on
 * the same inputs: a typical browser request and a minimal one.
 *
 * Each parser gets the whole head in one buffer, as after one read(); the
 * http-parser run records every URL/field/value span through callbacks, so
 * both hand the caller the same views.  Each measurement runs ~1 s after a
 * warm-up; the best of 3 runs is printed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"

#ifdef HAVE_HTTP_PARSER
#include <http_parser.h>
#endif

static const char  browser[] =
    "GET /articles/2024/prefork-servers?page=2&sort=recent HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
    "Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,"
    "*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    "Referer: https://www.example.com/articles/2024\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "\r\n";

static const char  minimal[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

static volatile size_t  sink;


static double
now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}


static size_t
run_pfh(const char *in, size_t len, size_t iters)
{
    static pfh_header  h[100];
    pfh_config         cfg;
    pfh_request        req;
    size_t             i, acc = 0;

    pfh_config_init(&cfg);
    for (i = 0; i < iters; i++) {
        if (pfh_parse_request(in, len, &req, h, 100, 0, &cfg, 0)
            != (int) len)
        {
            fprintf(stderr, "bench: pfh parse failed\n");
            exit(1);
        }
        acc += req.num_headers + req.path_len;
    }
    return acc;
}


#ifdef HAVE_HTTP_PARSER

typedef struct {
    const char  *at[64];
    size_t       n;
} spans;


static int
on_span(http_parser *p, const char *at, size_t len)
{
    spans  *s = p->data;

    if (s->n < 64) {
        s->at[s->n++] = at + len;
    }
    return 0;
}


static int
on_done(http_parser *p)
{
    (void) p;
    return 0;
}


static size_t
run_hp(const char *in, size_t len, size_t iters)
{
    http_parser_settings  st;
    http_parser           p;
    spans                 s;
    size_t                i, acc = 0;

    memset(&st, 0, sizeof(st));
    st.on_url = on_span;
    st.on_header_field = on_span;
    st.on_header_value = on_span;
    st.on_headers_complete = on_done;
    for (i = 0; i < iters; i++) {
        http_parser_init(&p, HTTP_REQUEST);
        s.n = 0;
        p.data = &s;
        if (http_parser_execute(&p, &st, in, len) != len
            || p.http_errno != HPE_OK)
        {
            fprintf(stderr, "bench: http_parser failed\n");
            exit(1);
        }
        acc += s.n;
    }
    return acc;
}

#endif


typedef size_t (*runner)(const char *, size_t, size_t);


static void
measure(const char *parser, const char *input, runner fn, const char *in,
        size_t len)
{
    size_t  iters = 1000, best_iters = 0;
    double  t0, dt, best = 0, rate;
    int     k;

    /* grow until one run takes ~1 s */
    for ( ;; ) {
        t0 = now();
        sink += fn(in, len, iters);
        dt = now() - t0;
        if (dt > 0.25) {
            break;
        }
        iters *= 4;
    }
    iters = (size_t) ((double) iters / dt);
    for (k = 0; k < 3; k++) {
        t0 = now();
        sink += fn(in, len, iters);
        dt = now() - t0;
        rate = (double) iters / dt;
        if (rate > best) {
            best = rate;
            best_iters = iters;
        }
    }
    (void) best_iters;
    printf("%-14s %-22s %6zu B %12.0f req/s %9.1f MB/s\n", parser, input,
           len, best, best * (double) len / 1e6);
}


int
main(void)
{
    printf("%-14s %-22s %8s %18s %14s\n", "parser", "input", "size",
           "rate", "throughput");
    measure("lib/http", "browser (11 fields)", run_pfh, browser,
            sizeof(browser) - 1);
    measure("lib/http", "minimal", run_pfh, minimal, sizeof(minimal) - 1);
#ifdef HAVE_HTTP_PARSER
    measure("http-parser", "browser (11 fields)", run_hp, browser,
            sizeof(browser) - 1);
    measure("http-parser", "minimal", run_hp, minimal, sizeof(minimal) - 1);
    printf("(http-parser %lu.%lu.%lu: Debian's libhttp-parser)\n",
           (http_parser_version() >> 16) & 255,
           (http_parser_version() >> 8) & 255, http_parser_version() & 255);
#else
    printf("(http-parser not installed: comparison skipped; "
           "apt-get install libhttp-parser-dev)\n");
#endif
    return 0;
}

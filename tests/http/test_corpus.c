/*
 * gunicorn's request corpus (tests/http/corpus.c) through the parser, the
 * PROXY parser and the body framing, as a connection would see it: the
 * bytes arrive whole, byte by byte, line by line, one byte then the rest,
 * and in seeded random pieces.  Every parse input ends at a guard page.
 * Valid files must give exactly the expected requests (pipelined ones
 * included, none after a request that closes); invalid ones the expected
 * status, or no response when gunicorn expects NoMoreData.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http.h"
#include "corpus.h"
#include "guard.h"
#include "suites.h"

#define MAX_FIELDS  40000

enum { M_WHOLE, M_BYTES, M_LINES, M_ONE_REST, M_RANDOM1, M_RANDOM2,
       M_RANDOM3, M_COUNT };

static const char  *mode_name[] = {
    "whole", "bytes", "lines", "one+rest", "random1", "random2", "random3"
};

typedef struct {
    const ch_case  *tc;
    int             mode;
    unsigned        rng;
    size_t          pos;          /* bytes of tc->data delivered */
    char           *acc;          /* delivered, not yet consumed */
    size_t          acc_len;
    size_t          pieces;
} conn;


static unsigned
rnd(conn *c)
{
    c->rng = c->rng * 1103515245u + 12345u;
    return (c->rng >> 16) & 0x7fff;
}


/* Deliver the next piece; 0 at EOF. */
static int
deliver(conn *c)
{
    const char  *d = c->tc->data;
    size_t       left = c->tc->len - c->pos, n, max;
    const char  *crlf;

    if (left == 0) {
        return 0;
    }
    switch (c->mode) {
    case M_WHOLE:
        n = left;
        break;
    case M_BYTES:
        n = 1;
        break;
    case M_LINES:
        crlf = memmem(d + c->pos, left, "\r\n", 2);
        n = crlf ? (size_t) (crlf - (d + c->pos)) + 2 : left;
        break;
    case M_ONE_REST:
        n = c->pieces == 0 ? 1 : left;
        break;
    default:
        max = c->tc->len / 10;
        if (max < 1) {
            max = 1;
        }
        n = 1 + rnd(c) % max;
        break;
    }
    if (n > left) {
        n = left;
    }
    memcpy(c->acc + c->acc_len, d + c->pos, n);
    c->acc_len += n;
    c->pos += n;
    c->pieces++;
    return 1;
}


static void
consume(conn *c, size_t n)
{
    memmove(c->acc, c->acc + n, c->acc_len - n);
    c->acc_len -= n;
}


static void
config_of(const ch_case *tc, pfh_config *cfg)
{
    pfh_config_init(cfg);
    if (tc->cfg.line >= 0) {
        cfg->limit_request_line = (size_t) tc->cfg.line;
    }
    if (tc->cfg.fields >= 0) {
        cfg->limit_request_fields = (size_t) tc->cfg.fields;
    }
    if (tc->cfg.field_size >= 0) {
        cfg->limit_request_field_size = (size_t) tc->cfg.field_size;
    }
    cfg->flags = tc->cfg.flags;
    cfg->header_map = tc->cfg.header_map;
}


static int
view_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}


static int
name_eq(const char *a, size_t an, const char *upper, size_t un)
{
    size_t  i;
    char    ch;

    if (an != un) {
        return 0;
    }
    for (i = 0; i < an; i++) {
        ch = a[i];
        if (ch >= 'a' && ch <= 'z') {
            ch = (char) (ch - 'a' + 'A');
        }
        if (ch != upper[i]) {
            return 0;
        }
    }
    return 1;
}


/* Fields with obs-fold continuations joined by one space, as gunicorn. */
typedef struct {
    const char  *name;
    size_t       name_len;
    char        *value;
    size_t       value_len;
} joined;


static size_t
join_fields(const pfh_header *h, size_t n, joined *out)
{
    size_t  i, k = 0;

    for (i = 0; i < n; i++) {
        if (h[i].name == NULL) {
            ck_assert_uint_gt(k, 0);
            out[k - 1].value = realloc(out[k - 1].value,
                                       out[k - 1].value_len + 1
                                       + h[i].value_len);
            out[k - 1].value[out[k - 1].value_len++] = ' ';
            memcpy(out[k - 1].value + out[k - 1].value_len, h[i].value,
                   h[i].value_len);
            out[k - 1].value_len += h[i].value_len;
            continue;
        }
        out[k].name = h[i].name;
        out[k].name_len = h[i].name_len;
        out[k].value = malloc(h[i].value_len + 1);
        memcpy(out[k].value, h[i].value, h[i].value_len);
        out[k].value_len = h[i].value_len;
        k++;
    }
    return k;
}


static void
check_fields(const char *what, const char *name, const pfh_header *h,
             size_t n, const ch_field *exp, size_t nexp)
{
    joined  *j;
    size_t   k, i;

    j = calloc(n + 1, sizeof(*j));
    k = join_fields(h, n, j);
    ck_assert_msg(k == nexp, "%s: %s: %zu fields, expected %zu", name, what,
                  k, nexp);
    for (i = 0; i < k; i++) {
        ck_assert_msg(name_eq(j[i].name, j[i].name_len, exp[i].name,
                              exp[i].name_len)
                      && view_eq(j[i].value, j[i].value_len, exp[i].value,
                                 exp[i].value_len),
                      "%s: %s field %zu: '%.*s: %.*s' != '%s: %.*s'", name,
                      what, i, (int) j[i].name_len, j[i].name,
                      (int) j[i].value_len, j[i].value, exp[i].name,
                      (int) exp[i].value_len, exp[i].value);
        free(j[i].value);
    }
    free(j);
}


/* Split the raw trailer section captured by the decoder into fields. */
static size_t
trailer_fields(char *raw, size_t len, pfh_header *h, size_t cap)
{
    size_t   n = 0;
    char    *p = raw, *e = raw + len, *eol, *colon, *v, *ve;

    while (p < e) {
        eol = memmem(p, (size_t) (e - p), "\r\n", 2);
        ck_assert_ptr_nonnull(eol);
        ck_assert_uint_lt(n, cap);
        if (*p == ' ' || *p == '\t') {
            h[n].name = NULL;
            h[n].name_len = 0;
            v = p;
        } else {
            colon = memchr(p, ':', (size_t) (eol - p));
            ck_assert_ptr_nonnull(colon);
            h[n].name = p;
            for (ve = colon; ve > p && (ve[-1] == ' ' || ve[-1] == '\t');
                 ve--)
            {
                /* strip_header_spaces */
            }
            h[n].name_len = (size_t) (ve - p);
            v = colon + 1;
        }
        while (v < eol && (*v == ' ' || *v == '\t')) {
            v++;
        }
        for (ve = eol; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--) {
            /* void */
        }
        h[n].value = v;
        h[n].value_len = (size_t) (ve - v);
        n++;
        p = eol + 2;
    }
    return n;
}


typedef struct {
    int      status;              /* -1: clean end; else the outcome */
    size_t   nreqs;
} result;


/* Read a body framed by req; appends it to *body.  0 ok, else an outcome
 * status (0 = silent close). */
static int
read_body(conn *c, const pfh_request *req, const pfh_config *cfg,
          char **body, size_t *blen, char *tbuf, size_t *tlen)
{
    pfh_chunked  d;
    char        *p;
    size_t       n;
    ssize_t      r;

    *blen = 0;
    *tlen = 0;
    if (req->body == PFH_BODY_NONE) {
        return 0;
    }
    if (req->body == PFH_BODY_LENGTH) {
        /* gunicorn's LengthReader hands over a short body at EOF (valid/099
         * is such a file); the connection then ends. */
        while (c->acc_len < req->content_length && deliver(c)) {
            /* void */
        }
        n = c->acc_len < req->content_length ? c->acc_len
                                             : (size_t) req->content_length;
        *body = realloc(*body, n + 1);
        memcpy(*body, c->acc, n);
        *blen = n;
        consume(c, n);
        return 0;
    }
    memset(&d, 0, sizeof(d));
    d.trailer_buf = tbuf;
    d.trailer_cap = 65536;
    for ( ;; ) {
        p = guard_put(c->acc, c->acc_len);
        n = c->acc_len;
        r = pfh_decode_chunked(&d, p, &n, cfg);
        *body = realloc(*body, *blen + n + 1);
        memcpy(*body + *blen, p, n);
        *blen += n;
        if (r == -1) {
            ck_assert_int_ne(d.status, 0);
            return d.status;
        }
        if (r >= 0) {
            memcpy(c->acc, p + n, (size_t) r);
            c->acc_len = (size_t) r;
            ck_assert(!d.trailer_truncated);
            *tlen = d.trailer_len;
            return 0;
        }
        ck_assert_int_eq(r, -2);
        c->acc_len = 0;
        if (!deliver(c)) {
            return 400;                   /* truncated chunked body */
        }
    }
}


static result
run(const ch_case *tc, int mode)
{
    conn          c;
    pfh_config    cfg;
    pfh_request   req;
    pfh_header   *h, th[256];
    pfh_proxy     px;
    result        res = { -1, 0 };
    const ch_expect *e;
    char         *p, *body = NULL, *tbuf;
    size_t        last_len, blen, tlen, nt;
    int           r, st;

    memset(&c, 0, sizeof(c));
    c.tc = tc;
    c.mode = mode;
    c.rng = 0x9e3779b9u * (unsigned) (mode + 1) + (unsigned) tc->len;
    c.acc = malloc(tc->len + 1);
    h = malloc(MAX_FIELDS * sizeof(*h));
    tbuf = malloc(65536);
    config_of(tc, &cfg);

    if (tc->cfg.proxy != PFH_PROXY_NONE) {
        for ( ;; ) {
            p = guard_put(c.acc, c.acc_len);
            r = pfh_parse_proxy(p, c.acc_len, tc->cfg.proxy, 1, &px);
            if (r >= 0) {
                consume(&c, (size_t) r);
                break;
            }
            if (r == -1) {
                res.status = px.status;
                goto done;
            }
            if (!deliver(&c)) {
                res.status = c.acc_len ? 0 : -1;
                goto done;
            }
        }
    }

    for ( ;; ) {
        last_len = 0;
        for ( ;; ) {
            if (c.acc_len == 0 && !deliver(&c)) {
                goto done;                        /* clean end */
            }
            p = guard_put(c.acc, c.acc_len);
            r = pfh_parse_request(p, c.acc_len, &req, h, MAX_FIELDS,
                                  last_len, &cfg, 1);
            if (r != -2) {
                break;
            }
            last_len = c.acc_len;
            if (!deliver(&c)) {
                res.status = 0;                   /* NoMoreData */
                goto done;
            }
        }
        if (r == -1) {
            ck_assert_msg(req.status >= 400 && req.error != NULL
                          && req.detail[0] != '\0',
                          "%s: -1 without status/error", tc->name);
            res.status = req.status;
            goto done;
        }
        ck_assert_int_gt(r, 0);
        res.nreqs++;
        if (tc->valid) {
            ck_assert_msg(res.nreqs <= tc->nreqs, "%s (%s): more requests "
                          "than expected", tc->name, mode_name[mode]);
            e = &tc->reqs[res.nreqs - 1];
            ck_assert_msg(view_eq(req.method, req.method_len, e->method,
                                  e->method_len)
                          && view_eq(req.target, req.target_len, e->raw,
                                     e->raw_len)
                          && view_eq(req.path, req.path_len, e->path,
                                     e->path_len)
                          && view_eq(req.query, req.query_len, e->query,
                                     e->query_len)
                          && view_eq(req.fragment, req.fragment_len,
                                     e->fragment, e->fragment_len)
                          && req.version_major == e->major
                          && req.version_minor == e->minor,
                          "%s (%s): request line: '%.*s' '%.*s' path '%.*s' "
                          "query '%.*s' frag '%.*s' %d.%d", tc->name,
                          mode_name[mode], (int) req.method_len, req.method,
                          (int) req.target_len, req.target,
                          (int) req.path_len, req.path,
                          (int) req.query_len, req.query,
                          (int) req.fragment_len, req.fragment,
                          req.version_major, req.version_minor);
            check_fields("headers", tc->name, h, req.num_headers,
                         e->headers, e->nheaders);
        }
        consume(&c, (size_t) r);
        st = read_body(&c, &req, &cfg, &body, &blen, tbuf, &tlen);
        if (st != 0) {
            res.status = st;
            goto done;
        }
        if (tc->valid) {
            e = &tc->reqs[res.nreqs - 1];
            ck_assert_msg(view_eq(body, blen, e->body, e->body_len),
                          "%s (%s): body '%.*s' (%zu bytes)", tc->name,
                          mode_name[mode], (int) blen, body, blen);
            nt = trailer_fields(tbuf, tlen, th, 256);
            check_fields("trailers", tc->name, th, nt, e->trailers,
                         e->ntrailers);
        }
        if (!req.keep_alive) {
            break;
        }
    }

done:
    free(body);
    free(tbuf);
    free(h);
    free(c.acc);
    return res;
}


START_TEST(corpus_case)
{
    const ch_case  *tc = &ch_cases[_i];
    result          res;
    int             mode;

    for (mode = 0; mode < M_COUNT; mode++) {
        res = run(tc, mode);
        if (tc->valid) {
            ck_assert_msg(res.status == -1, "%s (%s): refused with %d",
                          tc->name, mode_name[mode], res.status);
            ck_assert_msg(res.nreqs == tc->nreqs, "%s (%s): %zu requests, "
                          "expected %zu", tc->name, mode_name[mode],
                          res.nreqs, tc->nreqs);
        } else {
            ck_assert_msg(res.status == tc->status, "%s (%s): outcome %d, "
                          "expected %d", tc->name, mode_name[mode],
                          res.status, tc->status);
        }
    }
}
END_TEST


/* The table is the corpus: 63 valid and 74 invalid files. */
START_TEST(corpus_complete)
{
    size_t  i, valid = 0, invalid = 0;

    for (i = 0; i < ch_ncases; i++) {
        if (ch_cases[i].valid) {
            valid++;
        } else {
            invalid++;
        }
    }
    ck_assert_uint_eq(valid, 63);
    ck_assert_uint_eq(invalid, 74);
}
END_TEST


Suite *
corpus_suite(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("corpus");
    tc = tcase_create("gunicorn");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, corpus_complete);
    tcase_add_loop_test(tc, corpus_case, 0, (int) ch_ncases);
    suite_add_tcase(s, tc);
    return s;
}

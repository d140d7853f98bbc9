/*
 * libFuzzer target: the chunked decoder.
 *
 * Byte 0 picks the switches and the piece size; the rest is a body.  The
 * body is decoded whole and again in pieces (each piece in its own exact-
 * size allocation, so ASan sees any over-read): both runs must agree on the
 * outcome, the decoded bytes, the leftover and the trailer copy.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "http.h"

typedef struct {
    int      r;
    char    *body;
    size_t   blen;
    char    *left;
    size_t   llen;
    char     trailers[512];
    size_t   tlen;
    int      trunc;
} result;


static void
run(const uint8_t *in, size_t len, size_t step, const pfh_config *cfg,
    result *o)
{
    pfh_chunked  d;
    size_t       pos = 0, piece, n;
    char        *p;
    ssize_t      r;

    memset(&d, 0, sizeof(d));
    d.trailer_buf = o->trailers;
    d.trailer_cap = sizeof(o->trailers);
    o->body = malloc(len + 1);
    o->left = malloc(len + 1);
    o->blen = o->llen = 0;
    o->r = -2;
    while (pos < len) {
        piece = step == 0 || len - pos < step ? len - pos : step;
        p = malloc(piece);
        memcpy(p, in + pos, piece);
        n = piece;
        r = pfh_decode_chunked(&d, p, &n, cfg);
        if (n > piece) {
            abort();
        }
        memcpy(o->body + o->blen, p, n);
        o->blen += n;
        pos += piece;
        if (r >= 0) {
            if ((size_t) r > piece - n) {
                abort();
            }
            memcpy(o->left, p + n, (size_t) r);
            o->llen = (size_t) r;
            memcpy(o->left + o->llen, in + pos, len - pos);
            o->llen += len - pos;
            free(p);
            o->r = 0;
            break;
        }
        free(p);
        if (r == -1) {
            if (d.error == NULL || (d.status != 400 && d.status != 431)) {
                abort();
            }
            o->r = -1;
            break;
        }
        if (r != -2) {
            abort();
        }
    }
    o->tlen = d.trailer_len;
    o->trunc = d.trailer_truncated;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pfh_config  cfg;
    result      a, b;

    if (size < 1) {
        return 0;
    }
    pfh_config_init(&cfg);
    cfg.flags = data[0] & 0x1f;
    cfg.header_map = (data[0] >> 5) % 3;
    if (data[0] & 0x80) {
        cfg.limit_request_field_size = 32;
        cfg.limit_request_fields = 4;
    }
    run(data + 1, size - 1, 0, &cfg, &a);
    run(data + 1, size - 1, 1 + (data[0] >> 5), &cfg, &b);
    if (a.r != b.r || a.blen != b.blen
        || memcmp(a.body, b.body, a.blen) != 0)
    {
        abort();
    }
    if (a.r == 0 && (a.llen != b.llen || memcmp(a.left, b.left, a.llen) != 0
                     || a.tlen != b.tlen
                     || memcmp(a.trailers, b.trailers, a.tlen) != 0))
    {
        abort();
    }
    free(a.body);
    free(a.left);
    free(b.body);
    free(b.left);
    return 0;
}

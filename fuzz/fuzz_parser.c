/*
 * libFuzzer target: the request-head parser and the PROXY parser.
 *
 * Byte 0 picks the parser switches, header_map and trust; the rest is the
 * input.  Besides the sanitizers' checks it asserts the contract: views lie
 * inside the input, a complete head re-parses to the same length from
 * itself and from any last_len, and a prefix never succeeds where the
 * whole fails.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define MAXH  200

static pfh_header  h[MAXH];


static void
inside(const char *buf, size_t len, const char *p, size_t n)
{
    if (n && (p < buf || p + n > buf + len)) {
        abort();
    }
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pfh_config   cfg;
    pfh_request  req, req2;
    pfh_proxy    px;
    char        *buf, page[4096];
    size_t       len, i, cut, last;
    int          r, r2, trusted;

    if (size < 1) {
        return 0;
    }
    pfh_config_init(&cfg);
    cfg.flags = data[0] & 0x1f;
    cfg.header_map = (data[0] >> 5) % 3;
    trusted = data[0] >> 7;
    if (data[0] & 0x40) {
        cfg.limit_request_fields = 8;
        cfg.limit_request_field_size = 64;
        cfg.limit_request_line = 64;
    }
    len = size - 1;
    buf = malloc(len ? len : 1);
    memcpy(buf, data + 1, len);

    r = pfh_parse_proxy(buf, len, PFH_PROXY_AUTO, trusted, &px);
    if (r > (int) len || r < -2) {
        abort();
    }

    r = pfh_parse_request(buf, len, &req, h, MAXH, 0, &cfg, trusted);
    if (r > 0) {
        if ((size_t) r > len || req.num_headers > MAXH) {
            abort();
        }
        inside(buf, len, req.target, req.target_len);
        inside(buf, len, req.path, req.path_len);
        inside(buf, len, req.query, req.query_len);
        inside(buf, len, req.fragment, req.fragment_len);
        for (i = 0; i < req.num_headers; i++) {
            if (h[i].name) {
                inside(buf, len, h[i].name, h[i].name_len);
            }
            inside(buf, len, h[i].value, h[i].value_len);
        }
        r2 = pfh_parse_request(buf, (size_t) r, &req2, h, MAXH,
                               (size_t) r / 2, &cfg, trusted);
        if (r2 != r || req2.num_headers != req.num_headers
            || req2.body != req.body || req2.keep_alive != req.keep_alive)
        {
            abort();
        }
    } else if (r == -1) {
        if (req.status < 400 || req.error == NULL) {
            abort();
        }
        if (pfh_error_page(req.status, req.detail, page, sizeof(page)) < 0) {
            abort();
        }
    } else if (r != -2) {
        abort();
    }

    /* a prefix is partial, or fails where the whole fails */
    cut = len / 2;
    last = cut / 2;
    /* last_len is only legitimate when that prefix was partial */
    if (pfh_parse_request(buf, last, &req2, h, MAXH, 0, &cfg, trusted) != -2) {
        last = 0;
    }
    r2 = pfh_parse_request(buf, cut, &req2, h, MAXH, last, &cfg, trusted);
    if (r2 > 0 && r != r2) {
        abort();
    }
    if (r2 == -1 && r != -1) {
        abort();
    }
    free(buf);
    return 0;
}

/*
 * Header values as gunicorn's atoms see them, and the u atom: the user of
 * "Authorization: Basic", decoded exactly as glogging.Logger._get_user()
 * does it -- base64.b64decode() without validate (characters outside the
 * alphabet are skipped, decoding stops after a complete pad sequence,
 * leftover bits are "Incorrect padding"), then the part before the first
 * ':' decoded as strict UTF-8.  Any error means no user ("-").
 */
#include <stdint.h>
#include <string.h>

#include "internal.h"


static int
name_eq(const char *a, size_t an, const char *key, size_t kn, int env)
{
    size_t         i;
    unsigned char  c;

    if (an != kn) {
        return 0;
    }
    for (i = 0; i < an; i++) {
        c = (unsigned char) a[i];
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char) (c + 'a' - 'A');
        }
        if (env && c == '_') {
            c = '-';
        }
        if (c != (unsigned char) key[i]) {
            return 0;
        }
    }
    return 1;
}


static void
field(const pfw_hdr *h, size_t n, size_t i, pfw__bytes_fn *fn, void *ud)
{
    size_t  j;

    fn(ud, h[i].value, h[i].value_len);
    for (j = i + 1; j < n && h[j].name == NULL; j++) {
        fn(ud, " ", 1);
        fn(ud, h[j].value, h[j].value_len);
    }
}


size_t
pfw__hdr_value(const pfw_hdr *h, size_t n, const char *name, size_t nlen,
    int env, pfw__bytes_fn *fn, void *ud)
{
    size_t  i, matches = 0, last = 0;

    for (i = 0; i < n; i++) {
        if (h[i].name == NULL
            || !name_eq(h[i].name, h[i].name_len, name, nlen, env))
        {
            continue;
        }
        if (env && fn != NULL) {
            if (matches > 0) {
                fn(ud, ",", 1);
            }
            field(h, n, i, fn, ud);
        }
        last = i;
        matches++;
    }
    if (!env && matches > 0 && fn != NULL) {
        field(h, n, last, fn, ud);
    }
    return matches;
}


/* ---- the u atom -------------------------------------------------------- */

typedef struct {
    int             phase;      /* 0 "basic", 1 up to ' ', 2 base64 */
    size_t          matched;
    int             quad;       /* binascii.a2b_base64, non-strict */
    int             pads;
    int             done;
    unsigned        left;
    int             colon;      /* past the user */
    size_t          ulen;
    int             need;       /* UTF-8 continuation bytes still due */
    unsigned char   lo, hi;     /* range of the next continuation byte */
    int             bad;
    pfw__bytes_fn  *fn;
    void           *ud;
    size_t          clen;
    char            chunk[256];
} user_state;


static void
flush(user_state *u)
{
    if (u->clen > 0 && u->fn != NULL) {
        u->fn(u->ud, u->chunk, u->clen);
    }
    u->clen = 0;
}


/* Python's strict UTF-8 decoder: no overlongs, surrogates or > U+10FFFF. */
static void
utf8(user_state *u, unsigned char c)
{
    if (u->need > 0) {
        if (c < u->lo || c > u->hi) {
            u->bad = 1;
            return;
        }
        u->need--;
        u->lo = 0x80;
        u->hi = 0xbf;
        return;
    }
    u->lo = 0x80;
    u->hi = 0xbf;
    if (c < 0x80) {
        return;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        u->need = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
        u->need = 2;
        u->lo = c == 0xe0 ? 0xa0 : 0x80;
        u->hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        u->need = 3;
        u->lo = c == 0xf0 ? 0x90 : 0x80;
        u->hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        u->bad = 1;
    }
}


static void
out(user_state *u, unsigned char b)
{
    if (u->colon) {
        return;
    }
    if (b == ':') {
        u->colon = 1;
        return;
    }
    utf8(u, b);
    u->ulen++;
    if (u->fn != NULL) {
        u->chunk[u->clen++] = (char) b;
        /* Cut between characters only: the consumer decodes each piece. */
        if (u->need == 0 && u->clen >= sizeof(u->chunk) - 4) {
            flush(u);
        }
    }
}


static int
b64(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}


static void
decode(user_state *u, unsigned char c)
{
    int  v;

    if (u->done) {
        return;
    }
    if (c == '=') {
        if (u->quad >= 2 && u->quad + ++u->pads >= 4) {
            u->done = 1;
        }
        return;
    }
    v = b64(c);
    if (v < 0) {
        return;
    }
    u->pads = 0;
    switch (u->quad) {
    case 0:
        u->left = (unsigned) v;
        u->quad = 1;
        break;
    case 1:
        out(u, (unsigned char) ((u->left << 2) | ((unsigned) v >> 4)));
        u->left = (unsigned) v & 0x0f;
        u->quad = 2;
        break;
    case 2:
        out(u, (unsigned char) ((u->left << 4) | ((unsigned) v >> 2)));
        u->left = (unsigned) v & 0x03;
        u->quad = 3;
        break;
    default:
        out(u, (unsigned char) ((u->left << 6) | (unsigned) v));
        u->left = 0;
        u->quad = 0;
        break;
    }
}


/* http_auth.lower().startswith('basic'), then split(" ", 1)[1]. */
static void
feed(void *ud, const char *p, size_t n)
{
    user_state     *u = ud;
    size_t          i;
    unsigned char   c;

    for (i = 0; i < n; i++) {
        c = (unsigned char) p[i];
        switch (u->phase) {
        case 0:
            if (c >= 'A' && c <= 'Z') {
                c = (unsigned char) (c + 'a' - 'A');
            }
            if (c != (unsigned char) "basic"[u->matched]) {
                u->phase = 3;
                return;
            }
            if (++u->matched == 5) {
                u->phase = 1;
            }
            break;
        case 1:
            if (c == ' ') {
                u->phase = 2;
            }
            break;
        case 2:
            decode(u, c);
            break;
        default:
            return;
        }
    }
}


static size_t
run(const pfw_hdr *h, size_t n, pfw__bytes_fn *fn, void *ud)
{
    user_state  u;

    memset(&u, 0, sizeof(u));
    u.fn = fn;
    u.ud = ud;
    pfw__hdr_value(h, n, "authorization", sizeof("authorization") - 1, 1,
                   feed, &u);
    if (u.phase != 2 || u.bad || u.need > 0 || (!u.done && u.quad != 0)) {
        return 0;
    }
    flush(&u);
    return u.ulen;
}


size_t
pfw__basic_user(const pfw_hdr *h, size_t n, pfw__bytes_fn *fn, void *ud)
{
    /* Validate first: nothing is emitted for a user that turns out bad. */
    if (run(h, n, NULL, NULL) == 0) {
        return 0;
    }
    return run(h, n, fn, ud);
}


typedef struct {
    char    *buf;
    size_t   cap;
    size_t   len;
} copy_state;


static void
copy(void *ud, const char *p, size_t n)
{
    copy_state  *c = ud;
    size_t       k;

    k = c->len < c->cap ? c->cap - c->len : 0;
    if (k > 0) {
        memcpy(c->buf + c->len, p, n < k ? n : k);
    }
    c->len += n;
}


size_t
pfw_access_basic_user(const pfw_hdr *h, size_t n, char *buf, size_t cap)
{
    copy_state  c = { buf, cap, 0 };

    return pfw__basic_user(h, n, copy, &c);
}

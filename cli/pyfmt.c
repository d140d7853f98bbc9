/*
 * Python-compatible formatting: gunicorn's messages and --print-config
 * show values through Python's str() and repr(), so prefork-wsgi must
 * produce the same bytes ("invalid int value: 'x'", "['127.0.0.1:8000']").
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"


void
pfc__buf_add(pfc__buf *b, const char *s, size_t n)
{
    size_t  cap;
    char   *p;

    if (b->oom) {
        return;
    }
    if (b->len + n + 1 > b->cap) {
        cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        p = realloc(b->p, cap);
        if (p == NULL) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}


void
pfc__buf_puts(pfc__buf *b, const char *s)
{
    pfc__buf_add(b, s, strlen(s));
}


void
pfc__buf_putc(pfc__buf *b, char c)
{
    pfc__buf_add(b, &c, 1);
}


void
pfc__buf_printf(pfc__buf *b, const char *fmt, ...)
{
    va_list  ap;
    char     small[256];
    char    *big;
    int      n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t) n < sizeof(small)) {
        pfc__buf_add(b, small, (size_t) n);
        return;
    }
    big = malloc((size_t) n + 1);
    if (big == NULL) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t) n + 1, fmt, ap);
    va_end(ap);
    pfc__buf_add(b, big, (size_t) n);
    free(big);
}


char *
pfc__buf_take(pfc__buf *b)
{
    char  *p;

    if (b->oom) {
        free(b->p);
        b->p = NULL;
        return NULL;
    }
    if (b->p == NULL) {
        return pfc__strdup("");
    }
    p = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}


void
pfc__buf_free(pfc__buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}


/*
 * Decode one UTF-8 sequence strictly (RFC 3629).  A byte that does not
 * start a valid sequence decodes to U+DC80+byte, as Python's
 * surrogateescape does for undecodable command-line bytes.
 */
static uint32_t
utf8_next(const unsigned char **sp)
{
    const unsigned char  *s = *sp;
    uint32_t              cp;
    size_t                n, i;

    if (s[0] < 0x80) {
        *sp = s + 1;
        return s[0];
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 1;
        cp = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 2;
        cp = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 3;
        cp = s[0] & 0x07;
    } else {
        goto bad;
    }
    for (i = 1; i <= n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            goto bad;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
        || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
    {
        goto bad;
    }
    *sp = s + n + 1;
    return cp;

bad:
    *sp = s + 1;
    return 0xdc00 + s[0];
}


/* Python's str.isprintable() for one non-ASCII code point, approximated
 * with the separators, format and control ranges that matter in practice. */
static int
printable(uint32_t cp)
{
    return !((cp >= 0x80 && cp <= 0xa0) || cp == 0xad
             || (cp >= 0xd800 && cp <= 0xdfff)
             || (cp >= 0xe000 && cp <= 0xf8ff)
             || cp == 0x061c || cp == 0x1680 || cp == 0x180e
             || (cp >= 0x2000 && cp <= 0x200f)
             || (cp >= 0x2028 && cp <= 0x202f)
             || (cp >= 0x205f && cp <= 0x2064)
             || cp == 0x3000 || cp == 0xfeff || cp == 0xfffe
             || cp == 0xffff);
}


void
pfc__buf_repr(pfc__buf *b, const char *s)
{
    const unsigned char  *p, *start;
    uint32_t              cp;
    char                  quote;

    quote = (strchr(s, '\'') != NULL && strchr(s, '"') == NULL) ? '"' : '\'';
    pfc__buf_putc(b, quote);
    p = (const unsigned char *) s;
    while (*p != '\0') {
        start = p;
        cp = utf8_next(&p);
        if (cp == (uint32_t) quote || cp == '\\') {
            pfc__buf_putc(b, '\\');
            pfc__buf_putc(b, (char) cp);
        } else if (cp == '\t') {
            pfc__buf_puts(b, "\\t");
        } else if (cp == '\n') {
            pfc__buf_puts(b, "\\n");
        } else if (cp == '\r') {
            pfc__buf_puts(b, "\\r");
        } else if (cp < 0x20 || cp == 0x7f) {
            pfc__buf_printf(b, "\\x%02x", (unsigned) cp);
        } else if (cp < 0x7f) {
            pfc__buf_putc(b, (char) cp);
        } else if (!printable(cp)) {
            if (cp <= 0xff) {
                pfc__buf_printf(b, "\\x%02x", (unsigned) cp);
            } else {
                pfc__buf_printf(b, "\\u%04x", (unsigned) cp);
            }
        } else {
            pfc__buf_add(b, (const char *) start, (size_t) (p - start));
        }
    }
    pfc__buf_putc(b, quote);
}


void
pfc__buf_repr_list(pfc__buf *b, char *const *v, size_t n)
{
    size_t  i;

    pfc__buf_putc(b, '[');
    for (i = 0; i < n; i++) {
        if (i > 0) {
            pfc__buf_puts(b, ", ");
        }
        pfc__buf_repr(b, v[i]);
    }
    pfc__buf_putc(b, ']');
}


void
pfc__buf_pystr(pfc__buf *b, const pfc_value *v)
{
    size_t  i;

    switch (v->type) {
    case PFC_PY_NONE:
        pfc__buf_puts(b, "None");
        break;
    case PFC_PY_BOOL:
        pfc__buf_puts(b, v->i ? "True" : "False");
        break;
    case PFC_PY_INT:
        pfc__buf_printf(b, "%lld", v->i);
        break;
    case PFC_PY_STR:
    case PFC_PY_OBJECT:
        pfc__buf_puts(b, v->s);
        break;
    case PFC_PY_LIST:
        pfc__buf_repr_list(b, (char *const *) v->items, v->n);
        break;
    case PFC_PY_DICT:
        pfc__buf_putc(b, '{');
        for (i = 0; i < v->n; i++) {
            if (i > 0) {
                pfc__buf_puts(b, ", ");
            }
            pfc__buf_repr(b, v->items[2 * i]);
            pfc__buf_puts(b, ": ");
            pfc__buf_repr(b, v->items[2 * i + 1]);
        }
        pfc__buf_putc(b, '}');
        break;
    }
}


void
pfc__err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    if (err == NULL || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}


void
pfc__err_repr(char *err, size_t errlen, const char *fmt, const char *s)
{
    pfc__buf  b = { 0 };

    pfc__buf_repr(&b, s);
    pfc__err(err, errlen, fmt, b.oom ? "'...'" : b.p);
    pfc__buf_free(&b);
}


char *
pfc__strdup(const char *s)
{
    size_t  n = strlen(s) + 1;
    char   *p = malloc(n);

    if (p != NULL) {
        memcpy(p, s, n);
    }
    return p;
}

/*
 * --access-logformat, compiled once.  gunicorn renders it per request as
 * access_log_format % SafeAtoms(atoms), so the grammar is Python's
 * printf-style formatting with a mapping (PyUnicode_Format): "%%", or
 * "%" "(" key ")" flags* width? ("." precision)? [hlL]? conversion, the key
 * ending at the ")" that balances its "(".  Where Python raises, so does
 * this compiler, with Python's words; it also refuses at start-up what
 * gunicorn would only fail on at every request (%d of a string atom) and
 * the few conversions not implemented here.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ATOMS     "hlutrsmUqHbBfaTDMLp"
#define INT_ATOMS "TDMB"

typedef struct {
    const char      *fmt;
    size_t           n;
    pfw__seg        *seg;
    size_t           nseg;
    char            *text;
    size_t           tlen;
    char            *err;
    size_t           errlen;
} compiler;


/* Python reports positions in characters: count UTF-8 lead bytes. */
static size_t
char_index(const char *s, size_t byte)
{
    size_t  i, n = 0;

    for (i = 0; i < byte; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            n++;
        }
    }
    return n;
}


/* Python shows the character only when it is printable ASCII. */
static void
unsupported(compiler *c, size_t at)
{
    const unsigned char  *p = (const unsigned char *) c->fmt + at;
    unsigned              cp = p[0];

    if (cp >= 0xc0 && cp < 0xe0 && (p[1] & 0xc0) == 0x80) {
        cp = (cp & 0x1f) << 6 | (p[1] & 0x3f);
    } else if (cp >= 0xe0 && cp < 0xf0 && (p[1] & 0xc0) == 0x80
               && (p[2] & 0xc0) == 0x80)
    {
        cp = (cp & 0x0f) << 12 | (p[1] & 0x3f) << 6 | (p[2] & 0x3f);
    } else if (cp >= 0xf0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80
               && (p[3] & 0xc0) == 0x80)
    {
        cp = (cp & 0x07) << 18 | (p[1] & 0x3f) << 12 | (p[2] & 0x3f) << 6
             | (p[3] & 0x3f);
    }
    pfw__errf(c->err, c->errlen, "access_log_format: unsupported format "
              "character '%c' (0x%x) at index %zu",
              cp >= 31 && cp <= 126 ? (char) cp : '?', cp,
              char_index(c->fmt, at));
}


static pfw__seg *
add(compiler *c, int kind)
{
    pfw__seg  *s = &c->seg[c->nseg++];

    memset(s, 0, sizeof(*s));
    s->kind = (unsigned char) kind;
    s->width = -1;
    s->prec = -1;
    return s;
}


/* Consecutive text (including "%%") becomes one segment. */
static void
literal(compiler *c, const char *p, size_t n)
{
    pfw__seg  *s;

    if (n == 0) {
        return;
    }
    if (c->nseg > 0 && c->seg[c->nseg - 1].kind == PFW__SEG_LIT
        && c->seg[c->nseg - 1].off + c->seg[c->nseg - 1].len == c->tlen)
    {
        s = &c->seg[c->nseg - 1];
    } else {
        s = add(c, PFW__SEG_LIT);
        s->off = (uint32_t) c->tlen;
    }
    memcpy(c->text + c->tlen, p, n);
    c->tlen += n;
    s->len += (uint32_t) n;
}


/* SafeAtoms: "{...}" keys are looked up lower-cased; the atoms dict holds
 * "{name}i", "{name}o" and "{name}e" with lower-case names. */
static void
classify(compiler *c, pfw__seg *s, const char *key, size_t klen)
{
    size_t  i;
    char    ch;

    if (klen > 0 && key[0] == '{') {
        ch = key[klen - 1];
        ch = (char) (ch >= 'A' && ch <= 'Z' ? ch + 'a' - 'A' : ch);
        if (klen < 3 || key[klen - 2] != '}'
            || (ch != 'i' && ch != 'o' && ch != 'e'))
        {
            s->kind = PFW__SEG_MISSING;
            return;
        }
        s->kind = ch == 'i' ? PFW__SEG_REQ_HDR
                  : ch == 'o' ? PFW__SEG_RESP_HDR : PFW__SEG_ENV;
        s->off = (uint32_t) c->tlen;
        s->len = (uint32_t) (klen - 3);
        for (i = 1; i < klen - 2; i++) {
            ch = key[i];
            c->text[c->tlen++] = (char) (ch >= 'A' && ch <= 'Z'
                                         ? ch + 'a' - 'A' : ch);
        }
        return;
    }
    if (klen == 1 && key[0] != '\0' && strchr(ATOMS, key[0]) != NULL) {
        s->kind = PFW__SEG_ATOM;
        s->atom = key[0];
        return;
    }
    s->kind = PFW__SEG_MISSING;
}


/* Digits of a width or precision; Python's limit is PY_SSIZE_T_MAX, ours
 * is PFW__WIDTH_MAX. */
static int
number(compiler *c, size_t *i, const char *what)
{
    long  v = 0;

    while (*i < c->n && c->fmt[*i] >= '0' && c->fmt[*i] <= '9') {
        v = v * 10 + (c->fmt[*i] - '0');
        if (v > PFW__WIDTH_MAX) {
            pfw__errf(c->err, c->errlen, "access_log_format: %s too big "
                      "(prefork-wsgi allows at most %d)", what,
                      PFW__WIDTH_MAX);
            return -1;
        }
        (*i)++;
    }
    return (int) v;
}


static int
incomplete(compiler *c, const char *what)
{
    pfw__errf(c->err, c->errlen, "access_log_format: incomplete format%s",
              what);
    return -1;
}


/* One conversion; *i is just past the '%'. */
static int
spec(compiler *c, size_t *i)
{
    pfw__seg     *s;
    const char   *key = NULL;
    size_t        klen = 0, start, at;
    int           depth, v;
    char          ch;

    if (*i >= c->n) {
        return incomplete(c, "");
    }
    if (c->fmt[*i] == '%') {
        literal(c, "%", 1);
        (*i)++;
        return 0;
    }
    s = add(c, PFW__SEG_MISSING);
    if (c->fmt[*i] == '(') {
        start = ++(*i);
        for (depth = 1; *i < c->n; (*i)++) {
            if (c->fmt[*i] == '(') {
                depth++;
            } else if (c->fmt[*i] == ')' && --depth == 0) {
                break;
            }
        }
        if (*i >= c->n) {
            return incomplete(c, " key");
        }
        key = c->fmt + start;
        klen = *i - start;
        (*i)++;
    }
    for (; *i < c->n; (*i)++) {
        ch = c->fmt[*i];
        if (ch == '-') {
            s->flags |= PFW__F_LEFT;
        } else if (ch == '+') {
            s->flags |= PFW__F_PLUS;
        } else if (ch == ' ') {
            s->flags |= PFW__F_SPACE;
        } else if (ch == '#') {
            s->flags |= PFW__F_ALT;
        } else if (ch == '0') {
            s->flags |= PFW__F_ZERO;
        } else {
            break;
        }
    }
    if (*i < c->n && c->fmt[*i] == '*') {
        pfw__errf(c->err, c->errlen, "access_log_format: '*' width or "
                  "precision needs a positional argument; gunicorn passes "
                  "a mapping");
        return -1;
    }
    if (*i < c->n && c->fmt[*i] >= '0' && c->fmt[*i] <= '9') {
        if ((v = number(c, i, "width")) == -1) {
            return -1;
        }
        s->width = v;
    }
    if (*i < c->n && c->fmt[*i] == '.') {
        (*i)++;
        if (*i < c->n && c->fmt[*i] == '*') {
            pfw__errf(c->err, c->errlen, "access_log_format: '*' width or "
                      "precision needs a positional argument; gunicorn "
                      "passes a mapping");
            return -1;
        }
        if ((v = number(c, i, "precision")) == -1) {
            return -1;
        }
        s->prec = v;
    }
    if (*i < c->n && (c->fmt[*i] == 'h' || c->fmt[*i] == 'l'
                      || c->fmt[*i] == 'L'))
    {
        (*i)++;
    }
    if (*i >= c->n) {
        return incomplete(c, "");
    }
    at = (*i)++;
    ch = c->fmt[at];
    switch (ch) {
    case 's': case 'r': case 'a': case 'd': case 'i': case 'u':
        break;
    case 'x': case 'X': case 'o': case 'e': case 'E': case 'f': case 'F':
    case 'g': case 'G': case 'c':
        pfw__errf(c->err, c->errlen, "access_log_format: %%%c at index %zu "
                  "is valid Python but not supported by prefork-wsgi; use "
                  "%%s or %%d", ch, char_index(c->fmt, at));
        return -1;
    default:
        unsupported(c, at);
        return -1;
    }
    if (key == NULL) {
        pfw__errf(c->err, c->errlen, "access_log_format: %%%c at index %zu "
                  "has no (key): gunicorn formats with a mapping of atoms "
                  "(write %%(h)%c)", ch, char_index(c->fmt, at), ch);
        return -1;
    }
    s->conv = (char) (ch == 'i' || ch == 'u' ? 'd' : ch);
    classify(c, s, key, klen);
    if (s->conv == 'd'
        && (s->kind != PFW__SEG_ATOM || strchr(INT_ATOMS, s->atom) == NULL))
    {
        pfw__errf(c->err, c->errlen, "access_log_format: %%(%.*s)%c at index "
                  "%zu: that atom is a string, and gunicorn fails every "
                  "request with \"%%%c format: a real number is required, "
                  "not str\"; use %%(%.*s)s", (int) klen, key, ch,
                  char_index(c->fmt, at), ch, (int) klen, key);
        return -1;
    }
    return 0;
}


pfw_access_fmt *
pfw_access_fmt_compile(const char *fmt, char *err, size_t errlen)
{
    pfw_access_fmt  *f;
    compiler         c;
    size_t           i, lit;

    if (fmt == NULL) {
        fmt = PFW_ACCESS_DEFAULT_FORMAT;
    }
    memset(&c, 0, sizeof(c));
    c.fmt = fmt;
    c.n = strlen(fmt);
    c.err = err;
    c.errlen = errlen;
    if (c.n >= UINT32_MAX / 2) {
        pfw__errf(err, errlen, "access_log_format: too long");
        return NULL;
    }
    /* Every segment starts at a '%' or is text: n + 1 bounds both. */
    c.seg = calloc(c.n + 1, sizeof(*c.seg));
    c.text = malloc(c.n + 1);
    f = calloc(1, sizeof(*f));
    if (c.seg == NULL || c.text == NULL || f == NULL) {
        pfw__errf(err, errlen, "Error: out of memory");
        goto fail;
    }
    lit = 0;
    for (i = 0; i < c.n; ) {
        if (fmt[i] != '%') {
            i++;
            continue;
        }
        literal(&c, fmt + lit, i - lit);
        i++;
        if (spec(&c, &i) == -1) {
            goto fail;
        }
        lit = i;
    }
    literal(&c, fmt + lit, c.n - lit);
    f->seg = c.seg;
    f->nseg = c.nseg;
    f->text = c.text;
    return f;

fail:
    free(c.seg);
    free(c.text);
    free(f);
    return NULL;
}


void
pfw_access_fmt_free(pfw_access_fmt *f)
{
    if (f == NULL) {
        return;
    }
    free(f->seg);
    free(f->text);
    free(f);
}

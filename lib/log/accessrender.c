/*
 * One access log line from a compiled format and a request record, as
 * gunicorn's Logger.atoms() + SafeAtoms + Python's % would produce it:
 *
 *  - every str atom has '"' replaced by '\"' (SafeAtoms), ints do not;
 *  - a missing key is the str "-"; a None value prints "None";
 *  - bytes gunicorn decoded as latin-1 are written UTF-8 encoded;
 *  - %s/%r/%a widths and precisions count characters, not bytes;
 *    %r/%a quote and escape as Python's repr()/ascii().
 *
 * No allocation: the line goes into the caller's buffer, whose overflow is
 * measured, not written.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

enum { V_STR, V_INT, V_NONE, V_HDR, V_REQLINE, V_USER };
enum { ENC_LATIN1, ENC_UTF8 };

#define ENV_SCRATCH  512

typedef struct {
    int                    type;
    int                    enc;      /* V_STR */
    int                    esc;      /* V_STR: a Python str (escaped) */
    const char            *p;        /* V_STR */
    size_t                 n;
    uint64_t               i;        /* V_INT */
    const pfw_hdr         *h;        /* V_HDR, V_USER */
    size_t                 nh;
    const char            *name;     /* V_HDR, lower-case */
    size_t                 nlen;
    int                    env;      /* V_HDR: as the environ joins it */
    const pfw_access_rec  *r;        /* V_REQLINE */
    char                   tmp[48];
} val;

typedef struct {
    char     *buf;
    size_t    cap;
    size_t    len;
    char      quote;     /* %r/%a of a str: the quote in use, else 0 */
    char      conv;
    int       esc;       /* of the piece being written */
    int       enc;
    long      limit;     /* precision in characters, -1: none */
    long      count;     /* characters written in this field */
    int       counting;  /* measuring a field: store nothing */
    int       scanning;  /* choosing %r's quote: store nothing */
    int       has_sq;
    int       has_dq;
} ow;


/* ---- output ------------------------------------------------------------- */

static void
put(ow *o, const char *s, size_t n)
{
    size_t  k;

    if (!o->counting) {
        k = o->len < o->cap ? o->cap - o->len : 0;
        if (k > 0) {
            memcpy(o->buf + o->len, s, n < k ? n : k);
        }
        o->len += n;
    }
}


static void
spaces(ow *o, long n, char c)
{
    char  blk[64];
    long  k;

    memset(blk, c, sizeof(blk));
    for (; n > 0; n -= k) {
        k = n < (long) sizeof(blk) ? n : (long) sizeof(blk);
        put(o, blk, (size_t) k);
    }
}


/* One character of the field's output, counted against the precision. */
static void
put_cp(ow *o, uint32_t cp)
{
    char  u[4];

    if (o->limit >= 0 && o->count >= o->limit) {
        return;
    }
    o->count++;
    if (o->counting) {
        return;
    }
    if (cp < 0x80) {
        u[0] = (char) cp;
        put(o, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char) (0xc0 | cp >> 6);
        u[1] = (char) (0x80 | (cp & 0x3f));
        put(o, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char) (0xe0 | cp >> 12);
        u[1] = (char) (0x80 | (cp >> 6 & 0x3f));
        u[2] = (char) (0x80 | (cp & 0x3f));
        put(o, u, 3);
    } else {
        u[0] = (char) (0xf0 | cp >> 18);
        u[1] = (char) (0x80 | (cp >> 12 & 0x3f));
        u[2] = (char) (0x80 | (cp >> 6 & 0x3f));
        u[3] = (char) (0x80 | (cp & 0x3f));
        put(o, u, 4);
    }
}


/* Py_UNICODE_ISPRINTABLE, exact up to U+00FF; above it only the common
 * invisible characters are known (separators, format characters, the
 * private use area). */
static int
printable(uint32_t cp)
{
    if (cp <= 0xff) {
        return cp > 0xa0 && cp != 0xad;
    }
    return !((cp >= 0x200b && cp <= 0x200f) || cp == 0x2028 || cp == 0x2029
             || (cp >= 0x202a && cp <= 0x202e)
             || (cp >= 0x2060 && cp <= 0x2064) || cp == 0xfeff
             || (cp >= 0xd800 && cp <= 0xf8ff) || cp >= 0xf0000);
}


static void
put_hex(ow *o, char kind, uint32_t cp, int digits)
{
    static const char  hex[] = "0123456789abcdef";

    put_cp(o, '\\');
    put_cp(o, (uint32_t) kind);
    while (digits-- > 0) {
        put_cp(o, (uint32_t) hex[cp >> (digits * 4) & 0xf]);
    }
}


/* repr()/ascii() escaping inside the quotes, else the character. */
static void
rep_cp(ow *o, uint32_t cp)
{
    if (o->quote == 0) {
        put_cp(o, cp);
        return;
    }
    if (cp == (uint32_t) o->quote || cp == '\\') {
        put_cp(o, '\\');
        put_cp(o, cp);
    } else if (cp == '\t' || cp == '\n' || cp == '\r') {
        put_cp(o, '\\');
        put_cp(o, cp == '\t' ? 't' : (cp == '\n' ? 'n' : 'r'));
    } else if (cp < 0x20 || cp == 0x7f) {
        put_hex(o, 'x', cp, 2);
    } else if (cp < 0x7f || (o->conv == 'r' && printable(cp))) {
        put_cp(o, cp);
    } else if (cp <= 0xff) {
        put_hex(o, 'x', cp, 2);
    } else if (cp <= 0xffff) {
        put_hex(o, 'u', cp, 4);
    } else {
        put_hex(o, 'U', cp, 8);
    }
}


/* gunicorn's SafeAtoms escaping, before any conversion. */
static void
text_cp(ow *o, uint32_t cp)
{
    if (o->esc && cp == '"') {
        rep_cp(o, '\\');
    }
    rep_cp(o, cp);
}


/* Lenient: a byte that does not start a valid sequence stands for itself. */
static size_t
utf8_cp(const unsigned char *p, size_t n, uint32_t *cp)
{
    uint32_t  c = p[0], min;
    size_t    len, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        c &= 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        c &= 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        c &= 0x07;
        min = 0x10000;
    } else {
        *cp = p[0];
        return 1;
    }
    if (len > n) {
        *cp = p[0];
        return 1;
    }
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *cp = p[0];
            return 1;
        }
        c = c << 6 | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        *cp = p[0];
        return 1;
    }
    *cp = c;
    return len;
}


/* A piece of a value (pfw__bytes_fn). */
static void
piece(void *ud, const char *s, size_t n)
{
    ow                   *o = ud;
    const unsigned char  *p = (const unsigned char *) s;
    size_t                i, run, k;
    uint32_t              cp;

    if (o->scanning) {
        o->has_sq |= memchr(s, '\'', n) != NULL;
        o->has_dq |= memchr(s, '"', n) != NULL;
        return;
    }
    if (o->quote == 0 && o->limit < 0 && !o->counting) {
        /* The usual case: copy runs that need nothing done. */
        for (i = 0; i < n; ) {
            for (run = i; run < n && p[run] != '"'
                 && (p[run] < 0x80 || o->enc == ENC_UTF8); run++)
            {
                /* scan */
            }
            put(o, s + i, run - i);
            if (run == n) {
                break;
            }
            text_cp(o, p[run]);
            i = run + 1;
        }
        return;
    }
    for (i = 0; i < n; i += k) {
        if (o->enc == ENC_UTF8) {
            k = utf8_cp(p + i, n - i, &cp);
        } else {
            cp = p[i];
            k = 1;
        }
        text_cp(o, cp);
    }
}


/* ---- values ------------------------------------------------------------- */

static void
set_str(val *v, const char *p, size_t n)
{
    v->type = V_STR;
    v->enc = ENC_LATIN1;
    v->esc = 1;
    v->p = p;
    v->n = n;
}


static void
set_dash(val *v)
{
    set_str(v, "-", 1);
}


static void
set_tmp(val *v, int n)
{
    set_str(v, v->tmp, n > 0 ? (size_t) n : 0);
}


static void
set_opt(val *v, const char *p, size_t n)
{
    if (p != NULL) {
        set_str(v, p, n);
    } else {
        v->type = V_NONE;
    }
}


static void
set_int(val *v, uint64_t i)
{
    v->type = V_INT;
    v->i = i;
}


static int
is_str(const val *v)
{
    return v->type != V_INT && v->type != V_NONE;
}


static void
emit_value(ow *o, const val *v)
{
    const pfw_access_rec  *r;
    char                   d[24];

    o->enc = ENC_LATIN1;
    o->esc = 1;
    switch (v->type) {
    case V_STR:
        o->enc = v->enc;
        o->esc = v->esc;
        piece(o, v->p, v->n);
        break;
    case V_INT:
        o->esc = 0;
        piece(o, d, pfw__u64(d, v->i));
        break;
    case V_NONE:
        o->esc = 0;
        piece(o, "None", 4);
        break;
    case V_HDR:
        pfw__hdr_value(v->h, v->nh, v->name, v->nlen, v->env, piece, o);
        break;
    case V_USER:
        o->enc = ENC_UTF8;
        pfw__basic_user(v->h, v->nh, piece, o);
        break;
    default:
        /* "%s %s %s" % (REQUEST_METHOD, RAW_URI, SERVER_PROTOCOL) */
        r = v->r;
        piece(o, r->method ? r->method : "None", r->method ? r->method_len : 4);
        piece(o, " ", 1);
        piece(o, r->raw_uri ? r->raw_uri : "None",
              r->raw_uri ? r->raw_uri_len : 4);
        piece(o, " ", 1);
        piece(o, r->protocol ? r->protocol : "None",
              r->protocol ? r->protocol_len : 4);
        break;
    }
}


static void
emit_quoted(ow *o, const val *v)
{
    char  q = o->quote;

    if (q != 0) {
        o->quote = 0;
        put_cp(o, (uint32_t) q);
        o->quote = q;
    }
    emit_value(o, v);
    if (q != 0) {
        o->quote = 0;
        put_cp(o, (uint32_t) q);
        o->quote = q;
    }
}


/* %s, %r, %a with flags, width and precision. */
static void
str_field(ow *o, const pfw__seg *s, const val *v)
{
    long  n = 0, pad;

    o->conv = s->conv;
    o->quote = 0;
    if (s->conv != 's' && is_str(v)) {
        o->scanning = 1;
        o->has_sq = 0;
        o->has_dq = 0;
        emit_value(o, v);
        o->scanning = 0;
        o->quote = o->has_sq && !o->has_dq ? '"' : '\'';
    }
    o->limit = s->prec;
    if (s->width > 0) {
        o->counting = 1;
        o->count = 0;
        emit_quoted(o, v);
        o->counting = 0;
        n = o->count;
    }
    pad = s->width > n ? s->width - n : 0;
    if (!(s->flags & PFW__F_LEFT)) {
        spaces(o, pad, ' ');
    }
    o->count = 0;
    emit_quoted(o, v);
    if (s->flags & PFW__F_LEFT) {
        spaces(o, pad, ' ');
    }
    o->limit = -1;
    o->quote = 0;
}


/* %d of T D M B: Python pads with zeros to the precision, and with the
 * '0' flag to the width even when a precision is given. */
static void
int_field(ow *o, const pfw__seg *s, const val *v)
{
    pfw__seg  str;
    val       dash;
    char      d[24], sign = 0;
    long      nd, z, body, pad;

    if (v->type != V_INT) {
        /* B unknown: gunicorn would raise; keep the line readable. */
        str = *s;
        str.conv = 's';
        str.prec = -1;
        set_dash(&dash);
        str_field(o, &str, &dash);
        return;
    }
    nd = (long) pfw__u64(d, v->i);
    z = s->prec > nd ? s->prec - nd : 0;
    if (s->flags & PFW__F_PLUS) {
        sign = '+';
    } else if (s->flags & PFW__F_SPACE) {
        sign = ' ';
    }
    body = (sign ? 1 : 0) + z + nd;
    pad = s->width > body ? s->width - body : 0;
    if (!(s->flags & (PFW__F_LEFT | PFW__F_ZERO))) {
        spaces(o, pad, ' ');
    }
    if (sign) {
        put(o, &sign, 1);
    }
    if (!(s->flags & PFW__F_LEFT) && (s->flags & PFW__F_ZERO)) {
        z += pad;
    }
    spaces(o, z, '0');
    put(o, d, (size_t) nd);
    if (s->flags & PFW__F_LEFT) {
        spaces(o, pad, ' ');
    }
}


static void
set_hdr(val *v, const pfw_hdr *h, size_t nh, const char *name, size_t nlen,
    int env)
{
    if (pfw__hdr_value(h, nh, name, nlen, env, NULL, NULL) == 0) {
        set_dash(v);
        return;
    }
    v->type = V_HDR;
    v->h = h;
    v->nh = nh;
    v->name = name;
    v->nlen = nlen;
    v->env = env;
}


/* Logger.atoms(): request_time is a timedelta, whose .seconds drops days. */
static void
atom(const pfw_access_rec *r, char a, val *v)
{
    uint64_t  secs = r->duration_us / 1000000 % 86400;
    uint64_t  us = r->duration_us % 1000000;

    switch (a) {
    case 'h':
        if (r->remote_addr != NULL) {
            set_str(v, r->remote_addr, r->remote_addr_len);
        } else {
            set_dash(v);
        }
        break;
    case 'u':
        if (pfw__basic_user(r->req_headers, r->n_req_headers, NULL, NULL)
            == 0)
        {
            set_dash(v);
        } else {
            v->type = V_USER;
            v->h = r->req_headers;
            v->nh = r->n_req_headers;
        }
        break;
    case 't':
        set_tmp(v, (int) pfw__stamp_access(r->now ? r->now : time(NULL),
                                           v->tmp));
        break;
    case 'r':
        v->type = V_REQLINE;
        v->r = r;
        break;
    case 's':
        if (r->status_text != NULL) {
            set_str(v, r->status_text, r->status_text_len);
        } else {
            set_tmp(v, snprintf(v->tmp, sizeof(v->tmp), "%d", r->status));
        }
        break;
    case 'm':
        set_opt(v, r->method, r->method_len);
        break;
    case 'U':
        set_opt(v, r->path, r->path_len);
        break;
    case 'q':
        set_opt(v, r->query, r->query_len);
        break;
    case 'H':
        set_opt(v, r->protocol, r->protocol_len);
        break;
    case 'b':
        if (r->sent_known) {
            set_tmp(v, (int) pfw__u64(v->tmp, r->sent));
        } else {
            set_dash(v);
        }
        break;
    case 'B':
        if (r->sent_known) {
            set_int(v, r->sent);
        } else {
            v->type = V_NONE;
        }
        break;
    case 'f':
        set_hdr(v, r->req_headers, r->n_req_headers, "referer", 7, 1);
        break;
    case 'a':
        set_hdr(v, r->req_headers, r->n_req_headers, "user-agent", 10, 1);
        break;
    case 'T':
        set_int(v, secs);
        break;
    case 'D':
        set_int(v, secs * 1000000 + us);
        break;
    case 'M':
        set_int(v, secs * 1000 + us / 1000);
        break;
    case 'L':
        set_tmp(v, snprintf(v->tmp, sizeof(v->tmp), "%llu.%06llu",
                            (unsigned long long) secs,
                            (unsigned long long) us));
        break;
    case 'p':
        set_tmp(v, snprintf(v->tmp, sizeof(v->tmp), "<%d>",
                            (int) (r->pid ? r->pid : getpid())));
        break;
    default:                                    /* 'l' */
        set_dash(v);
        break;
    }
}


static void
env_value(const pfw_access_rec *r, const char *name, size_t nlen, val *v,
    char *scratch)
{
    const char  *p = NULL;
    size_t       n = 0;
    int          kind;

    kind = r->env == NULL ? PFW_ENV_MISSING
           : r->env(r->env_ud, name, nlen, &p, &n, scratch, ENV_SCRATCH);
    if (kind == PFW_ENV_MISSING || p == NULL) {
        set_dash(v);
        return;
    }
    set_str(v, p, n);
    v->enc = ENC_UTF8;
    v->esc = kind == PFW_ENV_STR;
}


size_t
pfw_access_render(const pfw_access_fmt *f, const pfw_access_rec *r,
    char *buf, size_t cap)
{
    const pfw__seg  *s;
    ow               o;
    val              v;
    char             scratch[ENV_SCRATCH];
    size_t           i;

    memset(&o, 0, sizeof(o));
    o.buf = buf;
    o.cap = cap;
    o.limit = -1;
    for (i = 0; i < f->nseg; i++) {
        s = &f->seg[i];
        if (s->kind == PFW__SEG_LIT) {
            put(&o, f->text + s->off, s->len);
            continue;
        }
        switch (s->kind) {
        case PFW__SEG_ATOM:
            atom(r, s->atom, &v);
            break;
        case PFW__SEG_REQ_HDR:
            set_hdr(&v, r->req_headers, r->n_req_headers, f->text + s->off,
                    s->len, 0);
            break;
        case PFW__SEG_RESP_HDR:
            set_hdr(&v, r->resp_headers, r->n_resp_headers, f->text + s->off,
                    s->len, 0);
            break;
        case PFW__SEG_ENV:
            env_value(r, f->text + s->off, s->len, &v, scratch);
            break;
        default:
            set_dash(&v);
            break;
        }
        if (s->conv == 'd') {
            int_field(&o, s, &v);
        } else {
            str_field(&o, s, &v);
        }
    }
    return o.len;
}

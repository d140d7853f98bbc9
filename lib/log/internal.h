/*
 * lib/log private helpers shared between its files (prefix pfw__).
 */
#ifndef PFW_LOG_INTERNAL_H
#define PFW_LOG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "log.h"

#define PFW__REPORT_MS  60000      /* self-reports: one a minute at most */

/* stamp.c: cached per thread and per second. */
#define PFW__STAMP_MAX  40
/* "[2026-11-22 14:09:55 +0000]" and "[22/Nov/2026:14:09:59 +0000]" */
size_t  pfw__stamp_error(time_t t, char *buf);
size_t  pfw__stamp_access(time_t t, char *buf);

/* util.c */
void    pfw__errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Python's repr() of an OSError for errno e: "PermissionError(13,
 * 'Permission denied')". */
size_t  pfw__py_oserror(char *buf, size_t cap, int e);
/* Python's repr() of an ASCII-ish str: 'text' (quotes chosen as Python). */
size_t  pfw__py_repr(char *buf, size_t cap, const char *s, size_t n);
int     pfw__ascii_casecmp(const char *a, size_t an, const char *b,
    size_t bn);
size_t  pfw__u64(char *buf, uint64_t v);         /* decimal, no NUL */

/* The warn callback or pf_log(WARNING). */
void    pfw__warn(pfw_warn_fn *fn, void *ud, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* access log: a compiled --access-logformat is a list of segments. */
enum {
    PFW__SEG_LIT = 0,       /* text (with %% already turned into %) */
    PFW__SEG_ATOM,          /* h l u t r s m U q H b B f a T D M L p */
    PFW__SEG_REQ_HDR,       /* {name}i */
    PFW__SEG_RESP_HDR,      /* {name}o */
    PFW__SEG_ENV,           /* {name}e */
    PFW__SEG_MISSING        /* any other key: "-" */
};

enum {
    PFW__F_LEFT  = 1 << 0,  /* '-' */
    PFW__F_PLUS  = 1 << 1,  /* '+' */
    PFW__F_SPACE = 1 << 2,  /* ' ' */
    PFW__F_ZERO  = 1 << 3,  /* '0' */
    PFW__F_ALT   = 1 << 4   /* '#' (no effect on s r a d i u) */
};

#define PFW__WIDTH_MAX  4096

typedef struct pfw__seg {
    unsigned char   kind;
    char            atom;   /* ATOM: the letter */
    char            conv;   /* 's' 'r' 'a' 'd' (i and u are stored as d) */
    unsigned char   flags;
    int             width;  /* -1: none */
    int             prec;   /* -1: none */
    uint32_t        off;    /* LIT: text, HDR/ENV: lower-case name */
    uint32_t        len;
} pfw__seg;

struct pfw_access_fmt {
    pfw__seg       *seg;
    size_t          nseg;
    char           *text;
};

/* basicauth.c */
typedef void pfw__bytes_fn(void *ud, const char *p, size_t n);

/* The value of request header `name` (lower-case) as gunicorn sees it,
 * passed to fn in pieces.  env: as the environ's HTTP_ key (every field
 * whose name matches with '-' == '_', joined with ','); else as the atoms
 * dict (the last matching field).  Continuation lines (name NULL) join
 * their field with ' '.  Returns the number of matching fields. */
size_t  pfw__hdr_value(const pfw_hdr *h, size_t n, const char *name,
    size_t nlen, int env, pfw__bytes_fn *fn, void *ud);

/* gunicorn's _get_user(): the user's bytes (valid UTF-8) in pieces that
 * never split a character; returns its length, 0 when there is none. */
size_t  pfw__basic_user(const pfw_hdr *h, size_t n, pfw__bytes_fn *fn,
    void *ud);

#endif /* PFW_LOG_INTERNAL_H */

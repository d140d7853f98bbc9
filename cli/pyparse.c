/*
 * Python-compatible parsing: int(), gunicorn's auto_int(), str.strip(),
 * os.path.normpath() and gunicorn's util.getcwd().  Values are accepted
 * or refused exactly where gunicorn's validators accept or refuse them.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"


int
pfc__is_pyspace(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}


/* int() strips less than str.strip(): not the 0x1c-0x1f separators. */
static int
is_int_space(unsigned char c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}


int
pfc__isdigits(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for ( ; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
    }
    return 1;
}


char *
pfc__strip_dup(const char *s)
{
    size_t  n;
    char   *p;

    while (pfc__is_pyspace((unsigned char) *s)) {
        s++;
    }
    n = strlen(s);
    while (n > 0 && pfc__is_pyspace((unsigned char) s[n - 1])) {
        n--;
    }
    p = malloc(n + 1);
    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}


static int
digit_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 99;
}


/* Digits of the given base with single underscores between them; a
 * leading underscore only right after a 0x/0o/0b prefix. */
static int
scan_digits(const char **sp, int base, int after_prefix, long *out,
    int *nonzero)
{
    const char     *s = *sp;
    unsigned long   v = 0;
    int             ndigits = 0, overflow = 0, d;

    if (*s == '_' && after_prefix) {
        s++;
    }
    for ( ;; ) {
        d = digit_value(*s);
        if (d >= base) {
            break;
        }
        if (v > (ULONG_MAX - (unsigned long) d) / (unsigned long) base) {
            overflow = 1;
        } else {
            v = v * (unsigned long) base + (unsigned long) d;
        }
        if (d != 0) {
            *nonzero = 1;
        }
        ndigits++;
        s++;
        if (*s == '_') {
            if (digit_value(s[1]) >= base) {
                return -1;
            }
            s++;
        }
    }
    if (ndigits == 0) {
        return -1;
    }
    *sp = s;
    if (overflow || v > (unsigned long) LONG_MAX + 1) {
        return -2;
    }
    *out = (long) (v & (unsigned long) LONG_MAX);
    if (v == (unsigned long) LONG_MAX + 1) {
        *out = LONG_MIN;   /* only valid negated; checked by the caller */
    }
    return 0;
}


int
pfc__pyint(const char *s, int base, long *out)
{
    long  v = 0;
    int   neg = 0, nonzero = 0, prefix = 0, r;

    while (is_int_space((unsigned char) *s)) {
        s++;
    }
    if (*s == '+' || *s == '-') {
        neg = (*s == '-');
        s++;
    }
    if (base == 0) {
        if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
            base = 16;
        } else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
            base = 8;
        } else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
            base = 2;
        } else {
            base = 10;
            if (s[0] == '0') {
                /* Python refuses leading zeros in a non-zero decimal. */
                prefix = -1;
            }
        }
        if (base != 10) {
            s += 2;
            prefix = 1;
        }
    }
    r = scan_digits(&s, base, prefix == 1, &v, &nonzero);
    if (r == -1) {
        return -1;
    }
    if (prefix == -1 && nonzero) {
        return -1;
    }
    while (is_int_space((unsigned char) *s)) {
        s++;
    }
    if (*s != '\0') {
        return -1;
    }
    if (r == -2 || (v == LONG_MIN && !neg)) {
        return -2;
    }
    *out = (neg && v != LONG_MIN) ? -v : v;
    return 0;
}


int
pfc__auto_int(const char *s, long *out)
{
    char  *o;
    int    r;

    if (s[0] == '0' && s[1] >= '0' && s[1] <= '9') {
        o = malloc(strlen(s) + 2);
        if (o == NULL) {
            return -1;
        }
        o[0] = '0';
        o[1] = 'o';
        strcpy(o + 2, s + 1);
        r = pfc__pyint(o, 0, out);
        free(o);
        return r;
    }
    return pfc__pyint(s, 0, out);
}


char *
pfc__normpath(const char *path)
{
    const char  *p, *end;
    char        *out, *o;
    size_t      *comp, ncomp = 0, n;
    int          initial;

    if (*path == '\0') {
        return pfc__strdup(".");
    }
    initial = (path[0] == '/');
    if (initial && path[1] == '/' && path[2] != '/') {
        initial = 2;
    }
    n = strlen(path);
    out = malloc(n + 3);
    comp = malloc((n / 2 + 2) * sizeof(size_t));
    if (out == NULL || comp == NULL) {
        free(out);
        free(comp);
        return NULL;
    }
    o = out + initial;
    memset(out, '/', (size_t) initial);
    /* comp[] holds the offsets in out of the kept components. */
    for (p = path; *p != '\0'; p = *end ? end + 1 : end) {
        end = strchr(p, '/');
        if (end == NULL) {
            end = p + strlen(p);
        }
        n = (size_t) (end - p);
        if (n == 0 || (n == 1 && p[0] == '.')) {
            continue;
        }
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (ncomp > 0
                && !(out[comp[ncomp - 1]] == '.'
                     && out[comp[ncomp - 1] + 1] == '.'
                     && (out[comp[ncomp - 1] + 2] == '/'
                         || out + comp[ncomp - 1] + 2 == o)))
            {
                ncomp--;
                o = out + comp[ncomp];
                if (o > out + initial) {
                    o--;        /* drop the separator before it */
                }
                continue;
            }
            if (initial && ncomp == 0) {
                continue;
            }
        }
        if (o > out + initial) {
            *o++ = '/';
        }
        comp[ncomp++] = (size_t) (o - out);
        memcpy(o, p, n);
        o += n;
    }
    free(comp);
    if (o == out) {
        *o++ = '.';
    }
    *o = '\0';
    return out;
}


char *
pfc__getcwd(void)
{
    struct stat   a, b;
    const char   *pwd = getenv("PWD");
    char         *cwd;

    cwd = getcwd(NULL, 0);
    if (cwd == NULL) {
        return NULL;
    }
    if (pwd != NULL && stat(pwd, &a) == 0 && stat(cwd, &b) == 0
        && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
    {
        free(cwd);
        return pfc__strdup(pwd);
    }
    return cwd;
}

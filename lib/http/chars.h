/*
 * Byte classes shared by the parser, the chunked decoder and the response
 * writer (private to lib/http).
 */
#ifndef PF_HTTP_CHARS_H
#define PF_HTTP_CHARS_H

#include <stddef.h>

/* pfh__tok[c]: 0 not a token char, 1 token char, 2 '_' (a token char that
 * the header_map policy cares about). */
extern const unsigned char pfh__tok[256];

/* pfh__val[c]: 1 when c may appear in a field value (HTAB, SP, VCHAR,
 * obs-text), 0 for every other CTL and DEL. */
extern const unsigned char pfh__val[256];

/* ASCII lower-casing table. */
extern const unsigned char pfh__lower[256];

/* Case-insensitive equality of a view and a NUL-terminated lower-case
 * literal of known length. */
static inline int
pfh__ieq(const char *s, size_t n, const char *lit, size_t litn)
{
    size_t  i;

    if (n != litn) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (pfh__lower[(unsigned char) s[i]] != (unsigned char) lit[i]) {
            return 0;
        }
    }
    return 1;
}

#define PFH__IEQ(s, n, lit)  pfh__ieq(s, n, lit, sizeof(lit) - 1)

/* Case-insensitive equality of two views. */
int pfh__ieq2(const char *a, size_t an, const char *b, size_t bn);

/* Is the view (case-insensitively) one of the comma-separated items of
 * list (items trimmed of SP/HTAB)?  "*" in the list matches anything. */
int pfh__in_list(const char *list, const char *s, size_t n);

/* Python-repr-like quoting of bytes into out (always NUL-terminated,
 * truncated with "..." when long); returns the length written. */
size_t pfh__repr(char *out, size_t cap, const char *s, size_t n);

#endif /* PF_HTTP_CHARS_H */

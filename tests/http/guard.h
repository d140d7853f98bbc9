/*
 * Guard-page buffers for parser tests (picohttpparser's trick): every input
 * is copied so that its last byte sits just before a PROT_NONE page, so a
 * read past the end crashes the test instead of passing silently.
 */
#ifndef PF_TESTS_HTTP_GUARD_H
#define PF_TESTS_HTTP_GUARD_H

#include <stddef.h>

#define GUARD_MAX  (1024 * 1024)      /* the largest input a test may place */

/* Copy len bytes (len <= GUARD_MAX; data may lie inside the region) so they
 * end at the guard page; returns where they now start (writable). */
char *guard_put(const void *data, size_t len);

#endif /* PF_TESTS_HTTP_GUARD_H */

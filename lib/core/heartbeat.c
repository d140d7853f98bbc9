/*
 * Heartbeat slots in shared memory (Unicorn's raindrops, not gunicorn's
 * utime() on a temp file): a beat is one relaxed store, with no system call
 * and no file descriptor per worker.  Pages are mapped lazily by the master
 * before the fork that needs them and never unmapped while it runs, so every
 * worker's slot stays valid for its whole life.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"


static int
heart_grow(pf__heart *h)
{
    pf__beat      **pages;
    unsigned char  *used;
    void           *p;
    size_t          cap;

    p = mmap(NULL, PF__BEATS_PER_PAGE * sizeof(pf__beat),
             PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        pf_log_errno(PF_LOG_ERROR, errno, "mmap(heartbeat page) failed");
        return -1;
    }
    pages = realloc(h->pages, (h->npages + 1) * sizeof(*pages));
    cap = (h->npages + 1) * PF__BEATS_PER_PAGE;
    used = pages ? realloc(h->used, cap) : NULL;
    if (pages == NULL || used == NULL) {
        int e = errno;

        if (pages != NULL) {
            h->pages = pages;
        }
        munmap(p, PF__BEATS_PER_PAGE * sizeof(pf__beat));
        errno = e;
        return -1;
    }
    memset(used + h->cap, 0, cap - h->cap);
    pages[h->npages++] = p;
    h->pages = pages;
    h->used = used;
    h->cap = cap;
    return 0;
}


int
pf__heart_alloc(pf__heart *h)
{
    size_t  i;

    for (i = 0; i < h->cap; i++) {
        if (!h->used[i]) {
            break;
        }
    }
    if (i == h->cap && heart_grow(h) == -1) {
        return -1;
    }
    h->used[i] = 1;
    atomic_store_explicit(&pf__heart_slot(h, (int) i)->beat_ms, pf__now_ms(),
                          memory_order_relaxed);
    atomic_store_explicit(&pf__heart_slot(h, (int) i)->booted, 0,
                          memory_order_relaxed);
    return (int) i;
}


void
pf__heart_release(pf__heart *h, int i)
{
    if (i >= 0 && (size_t) i < h->cap) {
        h->used[i] = 0;
    }
}


pf__beat *
pf__heart_slot(pf__heart *h, int i)
{
    return &h->pages[i / PF__BEATS_PER_PAGE][i % PF__BEATS_PER_PAGE];
}


void
pf__heart_free(pf__heart *h)
{
    size_t  i;

    for (i = 0; i < h->npages; i++) {
        munmap(h->pages[i], PF__BEATS_PER_PAGE * sizeof(pf__beat));
    }
    free(h->pages);
    free(h->used);
    memset(h, 0, sizeof(*h));
}


/* Beats older than grace_ms (when the master itself was suspended) count as
 * given at grace_ms: a sleeping laptop must not look like hung workers. */
int
pf__heart_late(long long beat_ms, long long grace_ms, long long now_ms,
               unsigned timeout_s)
{
    long long  last = beat_ms > grace_ms ? beat_ms : grace_ms;

    if (timeout_s == 0) {
        return 0;
    }
    return now_ms - last > (long long) timeout_s * 1000;
}

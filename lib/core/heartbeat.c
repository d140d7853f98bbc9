/*
 * Worker slots in shared memory (Unicorn's raindrops, not gunicorn's
 * utime() on a temp file): a heartbeat is one relaxed store, with no system
 * call and no file descriptor per worker.  The same slots carry each
 * worker's published load, so workers sharing a listener can leave new
 * connections to the least busy of them.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"


static int
board_map(pf__heart *h)
{
    void  *p;

    p = mmap(NULL, sizeof(pf__board), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        pf_log_errno(PF_LOG_ERROR, errno, "mmap(worker slots) failed");
        return -1;
    }
    h->board = p;
    return 0;
}


int
pf__heart_alloc(pf__heart *h, unsigned gen)
{
    pf__beat  *b;
    int        i;

    if (h->board == NULL && board_map(h) == -1) {
        return -1;
    }
    for (i = 0; i < PF__MAX_SLOTS && h->used[i]; i++) {
        /* first free slot */
    }
    if (i == PF__MAX_SLOTS) {
        pf_log(PF_LOG_ERROR, "cannot run more than %d workers at once",
               PF__MAX_SLOTS);
        errno = EAGAIN;
        return -1;
    }
    h->used[i] = 1;
    b = &h->board->slots[i];
    atomic_store_explicit(&b->accepting, 0, memory_order_relaxed);
    atomic_store_explicit(&b->load, 0, memory_order_relaxed);
    atomic_store_explicit(&b->gen, gen, memory_order_relaxed);
    atomic_store_explicit(&b->booted, 0, memory_order_relaxed);
    atomic_store_explicit(&b->beat_ms, pf__now_ms(), memory_order_relaxed);
    if (atomic_load_explicit(&h->board->hwm, memory_order_relaxed) < i + 1) {
        atomic_store_explicit(&h->board->hwm, i + 1, memory_order_relaxed);
    }
    return i;
}


void
pf__heart_release(pf__heart *h, int i)
{
    int  hwm;

    if (h->board == NULL || i < 0 || i >= PF__MAX_SLOTS) {
        return;
    }
    atomic_store_explicit(&h->board->slots[i].accepting, 0,
                          memory_order_relaxed);
    h->used[i] = 0;
    for (hwm = atomic_load_explicit(&h->board->hwm, memory_order_relaxed);
         hwm > 0 && !h->used[hwm - 1]; hwm--)
    {
        /* shrink past free slots */
    }
    atomic_store_explicit(&h->board->hwm, hwm, memory_order_relaxed);
}


pf__beat *
pf__heart_slot(pf__heart *h, int i)
{
    return &h->board->slots[i];
}


void
pf__heart_free(pf__heart *h)
{
    if (h->board != NULL) {
        munmap(h->board, sizeof(pf__board));
    }
    memset(h, 0, sizeof(*h));
}


unsigned
pf__heart_min_load(const pf__board *bd, unsigned gen, unsigned mine)
{
    const pf__beat  *b;
    unsigned         min = mine, l;
    int              i, hwm;

    hwm = atomic_load_explicit(&bd->hwm, memory_order_relaxed);
    for (i = 0; i < hwm && i < PF__MAX_SLOTS; i++) {
        b = &bd->slots[i];
        if (atomic_load_explicit(&b->accepting, memory_order_relaxed)
            && atomic_load_explicit(&b->gen, memory_order_relaxed) == gen)
        {
            l = atomic_load_explicit(&b->load, memory_order_relaxed);
            if (l < min) {
                min = l;
            }
        }
    }
    return min;
}


/* Beats older than grace_ms (when the master itself was suspended) count as
 * given at grace_ms: a stopped master must not blame its workers. */
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

/*
 * Guard-page buffers: one region per process, GUARD_MAX readable/writable
 * bytes followed by one PROT_NONE page.
 */
#include <check.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guard.h"

static char  *region_end;


char *
guard_put(const void *data, size_t len)
{
    size_t  page, size;
    char   *base, *p;

    if (region_end == NULL) {
        page = (size_t) sysconf(_SC_PAGESIZE);
        size = (GUARD_MAX + page - 1) / page * page;
        base = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(base, MAP_FAILED);
        ck_assert_int_eq(mprotect(base + size, page, PROT_NONE), 0);
        region_end = base + size;
    }
    ck_assert_uint_le(len, GUARD_MAX);
    p = region_end - len;
    if (len) {
        memmove(p, data, len);
    }
    return p;
}

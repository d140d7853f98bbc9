/*
 * Process titles ("prefork-wsgi: master [app:app]") by overwriting the
 * memory of argv[], as nginx does.  The environment strings that follow
 * argv are moved to the heap first, so getenv() keeps working; argv[]
 * strings themselves are clobbered, which pf_arbiter.3 documents.  The
 * kernel's comm name is left alone so killall(1) and pkill(1) keep working.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

extern char **environ;

static char    *title_start;
static size_t   title_len;
static char   **moved_env;      /* the heap copies stay referenced here even
                                   after unsetenv() drops them from environ */
static char    *prog_name;      /* basename(argv[0]) before any title */


void
pf__proctitle_init(char *const *argv)
{
    char    *end;
    size_t   i;

    /* Only main()'s own argv lies in the memory the kernel laid out (an
     * argv the program built may hold string literals): glibc's
     * program_invocation_name is that argv[0]. */
    if (argv == NULL || argv[0] == NULL || title_start != NULL
        || argv[0] != program_invocation_name)
    {
        return;
    }
    end = argv[0] + strlen(argv[0]) + 1;
    for (i = 1; argv[i] != NULL && argv[i] == end; i++) {
        end = argv[i] + strlen(argv[i]) + 1;
    }
    /* Only argv strings that are contiguous (as the kernel lays them out)
     * can be reused; the environment usually follows them. */
    if (argv[i] == NULL) {
        for (i = 0; environ[i] != NULL; i++) {
            /* count */
        }
        moved_env = calloc(i + 1, sizeof(*moved_env));
        for (i = 0; moved_env && environ[i] != NULL && environ[i] == end; i++) {
            char *copy = strdup(environ[i]);

            if (copy == NULL) {
                break;
            }
            end = environ[i] + strlen(environ[i]) + 1;
            environ[i] = copy;
            moved_env[i] = copy;
        }
    }
    title_start = argv[0];
    title_len = (size_t) (end - argv[0]);
    prog_name = strdup(program_invocation_short_name);
}


const char *
pf__proctitle_prog(void)
{
    return prog_name != NULL ? prog_name : program_invocation_short_name;
}


void
pf__proctitle_set(const char *fmt, ...)
{
    char     buf[256];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (title_start == NULL || title_len < 2) {
        return;
    }
    memset(title_start, 0, title_len);
    snprintf(title_start, title_len, "%s", buf);
}

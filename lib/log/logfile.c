/*
 * A log destination: stdout/stderr for "-", else a file in append mode
 * whose descriptor number stays the same across reopens (USR1), so that
 * writers in other threads never see a closed or reused descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

#define LOGFILE_FLAGS  (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC)
#define LOGFILE_MODE   0644


static int
open_file(const pfw_logfile *lf)
{
    int  fd, e;

    do {
        fd = open(lf->path, LOGFILE_FLAGS, LOGFILE_MODE);
    } while (fd == -1 && errno == EINTR);
    if (fd == -1) {
        return -1;
    }
    /* gunicorn chowns so that workers running as --user can reopen it. */
    if (lf->uid >= 0 || lf->gid >= 0) {
        e = errno;
        if (fchown(fd, (uid_t) lf->uid, (gid_t) lf->gid) == -1) {
            errno = e;
        }
    }
    return fd;
}


/* Python's FileHandler keeps os.path.abspath(): a reopen after a chdir
 * (--chdir, daemon mode) still finds the same file. */
static char *
absolute(const char *path)
{
    char    cwd[PATH_MAX];
    char   *s;
    size_t  n;

    if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL) {
        return strdup(path);
    }
    n = strlen(cwd) + strlen(path) + 2;
    s = malloc(n);
    if (s != NULL) {
        snprintf(s, n, "%s/%s", cwd, path);
    }
    return s;
}


int
pfw_logfile_open(pfw_logfile *lf, const char *spec, int std_fd,
    long uid, long gid, char *err, size_t errlen)
{
    char  why[300];
    int   e;

    memset(lf, 0, sizeof(*lf));
    lf->fd = -1;
    lf->uid = uid;
    lf->gid = gid;
    if (spec == NULL || strcmp(spec, "-") == 0) {
        lf->fd = std_fd;
        lf->std = 1;
        return 0;
    }
    lf->path = absolute(spec);
    if (lf->path == NULL) {
        pfw__errf(err, errlen, "Error: out of memory");
        return -1;
    }
    lf->fd = open_file(lf);
    if (lf->fd == -1) {
        e = errno;
        pfw__py_oserror(why, sizeof(why), e);
        pfw__errf(err, errlen, "Error: '%s' isn't writable [%s]", spec, why);
        free(lf->path);
        lf->path = NULL;
        errno = e;
        return -1;
    }
    return 0;
}


int
pfw_logfile_reopen(pfw_logfile *lf)
{
    int  fd, e;

    if (lf->std || lf->path == NULL) {
        return 0;
    }
    fd = open_file(lf);
    if (fd == -1) {
        return -1;
    }
    /* dup2() would clear FD_CLOEXEC on lf->fd; dup3() keeps it. */
    if (dup3(fd, lf->fd, O_CLOEXEC) == -1) {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    close(fd);
    return 0;
}


int
pfw_logfile_writev(const pfw_logfile *lf, struct iovec *iov, int n)
{
    ssize_t  w;
    size_t   left;
    int      e = errno;

    while (n > 0) {
        w = writev(lf->fd, iov, n);
        if (w == -1) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        /* A short write (a full pipe on "-"): finish the line. */
        left = (size_t) w;
        while (n > 0 && left >= iov->iov_len) {
            left -= iov->iov_len;
            iov++;
            n--;
        }
        if (w == 0 && n > 0) {
            errno = EIO;
            return -1;
        }
        if (n > 0) {
            iov->iov_base = (char *) iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    errno = e;
    return 0;
}


void
pfw_logfile_close(pfw_logfile *lf)
{
    int  e = errno;

    if (!lf->std && lf->fd >= 0) {
        close(lf->fd);
    }
    free(lf->path);
    lf->path = NULL;
    lf->fd = -1;
    errno = e;
}

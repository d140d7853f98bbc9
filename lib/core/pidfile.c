/*
 * Pidfiles, gunicorn's way: refuse when a live process owns the file,
 * overwrite anything else, and never leave a half-written file (a temporary
 * file in the same directory is renamed over the target).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <prefork/daemon.h>
#include <prefork/log.h>

/* Longer contents are garbage, not a pid. */
#define CONTENT_MAX  32

#define TEMP_NAME    ".pidfile.XXXXXX"


static int
space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}


/* The pid in buf (blanks around it allowed, as gunicorn's int() does),
 * 0 for anything else. */
static pid_t
parse_pid(const char *buf)
{
    const char  *p = buf;
    long         v = 0;

    while (space(*p)) {
        p++;
    }
    if (*p < '0' || *p > '9') {
        return 0;
    }
    for ( ; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > INT_MAX) {
            return 0;
        }
    }
    while (space(*p)) {
        p++;
    }
    return *p == '\0' ? (pid_t) v : 0;
}


/* The pid path holds, 0 for garbage or an empty file, -1 with errno when
 * it cannot be read.  O_NONBLOCK: a FIFO in its place must not hang us. */
static pid_t
read_pid(const char *path)
{
    char         buf[CONTENT_MAX + 1];
    struct stat  st;
    size_t       got = 0;
    ssize_t      r;
    int          fd, e;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd == -1) {
        return -1;
    }
    if (fstat(fd, &st) == -1) {
        goto failed;
    }
    if (!S_ISREG(st.st_mode)) {
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        goto failed;
    }
    while (got < sizeof(buf) - 1) {
        r = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (r == -1 && errno == EINTR) {
            continue;
        }
        if (r == -1) {
            goto failed;
        }
        if (r == 0) {
            break;
        }
        got += (size_t) r;
    }
    close(fd);
    if (got == sizeof(buf) - 1) {
        return 0;
    }
    buf[got] = '\0';
    return parse_pid(buf);

failed:
    e = errno;
    close(fd);
    errno = e;
    return -1;
}


static int
alive(pid_t pid)
{
    return kill(pid, 0) == 0 || errno == EPERM;
}


static int
write_all(int fd, const char *buf, size_t n)
{
    ssize_t  w;

    while (n > 0) {
        w = write(fd, buf, n);
        if (w == -1 && errno == EINTR) {
            continue;
        }
        if (w == -1) {
            return -1;
        }
        buf += w;
        n -= (size_t) w;
    }
    return 0;
}


/* Write to a temporary file beside path, then rename it over path: readers
 * see the old contents or the whole new ones. */
static int
write_atomic(const char *path, pid_t pid)
{
    const char  *slash = strrchr(path, '/');
    size_t       dirlen = slash != NULL ? (size_t) (slash - path) + 1 : 0;
    char        *tmp, line[32];
    const char  *call;
    int          fd, n, e;

    tmp = malloc(dirlen + sizeof(TEMP_NAME));
    if (tmp == NULL) {
        pf_log_errno(PF_LOG_ERROR, errno, "malloc() failed");
        return -1;
    }
    memcpy(tmp, path, dirlen);
    memcpy(tmp + dirlen, TEMP_NAME, sizeof(TEMP_NAME));

    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd == -1) {
        e = errno;
        pf_log_errno(PF_LOG_ERROR, e, "mkstemp(%s) failed", tmp);
        free(tmp);
        errno = e;
        return -1;
    }
    n = snprintf(line, sizeof(line), "%d\n", (int) pid);

    /* 0644 whatever the umask: other tools (logrotate, init scripts) read
     * pidfiles. */
    call = "write";
    if (write_all(fd, line, (size_t) n) == -1) {
        goto failed;
    }
    call = "fchmod";
    if (fchmod(fd, 0644) == -1) {
        goto failed;
    }
    call = "fsync";
    if (fsync(fd) == -1) {
        goto failed;
    }
    call = "close";
    n = close(fd);
    fd = -1;
    if (n == -1) {
        goto failed;
    }
    call = "rename";
    if (rename(tmp, path) == -1) {
        goto failed;
    }
    free(tmp);
    return 0;

failed:
    e = errno;
    pf_log_errno(PF_LOG_ERROR, e, "%s(%s) failed", call,
                 strcmp(call, "rename") == 0 ? path : tmp);
    if (fd != -1) {
        close(fd);
    }
    unlink(tmp);
    free(tmp);
    errno = e;
    return -1;
}


int
pf_pidfile_create(const char *path, pid_t pid, pid_t *other)
{
    pid_t  old;

    if (path == NULL || pid <= 0) {
        errno = EINVAL;
        return -1;
    }
    old = read_pid(path);
    if (old == -1 && errno != ENOENT) {
        pf_log_errno(PF_LOG_ERROR, errno, "open(%s) failed", path);
        return -1;
    }
    if (old > 0 && old != pid && alive(old)) {
        if (other != NULL) {
            *other = old;
        }
        errno = EEXIST;
        return -1;
    }
    return write_atomic(path, pid);
}


pid_t
pf_pidfile_read(const char *path)
{
    pid_t  pid;

    if (path == NULL) {
        errno = EINVAL;
        return -1;
    }
    pid = read_pid(path);
    if (pid <= 0) {
        return pid;
    }
    return alive(pid) ? pid : 0;
}


int
pf_pidfile_rename(const char *from, const char *to, pid_t pid)
{
    pid_t  held;

    if (from == NULL || to == NULL || pid <= 0) {
        errno = EINVAL;
        return -1;
    }
    held = read_pid(from);
    if (held == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "open(%s) failed", from);
        return -1;
    }
    if (held != pid) {
        errno = ESRCH;
        return -1;
    }
    if (rename(from, to) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "rename(%s, %s) failed", from, to);
        return -1;
    }
    return 0;
}


void
pf_pidfile_remove(const char *path, pid_t pid)
{
    int  e = errno;

    if (path != NULL && pid > 0 && read_pid(path) == pid) {
        unlink(path);
    }
    errno = e;
}

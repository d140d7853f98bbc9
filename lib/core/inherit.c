/*
 * Listening sockets handed over by a parent: systemd's socket activation
 * (LISTEN_PID, LISTEN_FDS) or our own re-exec (<PREFIX>_FD="3,4").
 *
 * Everything is checked before anything is changed, so a failure leaves
 * the environment and the fds as they were.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <prefork/log.h>
#include <prefork/sockets.h>

/* sd_listen_fds(3)'s SD_LISTEN_FDS_START. */
#define SD_FDS_START  3

#define VAR_MAX       128


/* A decimal number of digits only, at most max; s is advanced past it.
 * -1 when there is none or it is too large. */
static long
number(const char **s, long max)
{
    const char  *p = *s;
    long         v = 0;

    if (*p < '0' || *p > '9') {
        return -1;
    }
    for ( ; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (*p - '0');
        if (v > max) {
            return -1;
        }
    }
    *s = p;
    return v;
}


static int
check_socket(int fd, const char *var)
{
    struct stat  st;

    if (fstat(fd, &st) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "%s: fstat(%d) failed", var, fd);
        errno = EINVAL;
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        pf_log(PF_LOG_ERROR, "%s: fd %d is not a socket", var, fd);
        errno = EINVAL;
        return -1;
    }
    return 0;
}


static int
set_flags(int fd, const char *var)
{
    int  fl;

    if ((fl = fcntl(fd, F_GETFL)) == -1
        || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1
        || (fl = fcntl(fd, F_GETFD)) == -1
        || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
    {
        pf_log_errno(PF_LOG_ERROR, errno, "%s: fcntl(%d) failed", var, fd);
        return -1;
    }
    return 0;
}


static int
too_many(const char *var, long n, int max)
{
    pf_log(PF_LOG_ERROR, "%s: %ld fds inherited, at most %d can be taken",
           var, n, max);
    errno = E2BIG;
    return -1;
}


/* -1 error, 0 not for us (*used = 0), else the count (*used = 1). */
static int
from_systemd(int *fds, int max, int *used)
{
    const char  *pid_s, *n_s, *p;
    long         pid, n, i;

    *used = 0;
    pid_s = getenv("LISTEN_PID");
    if (pid_s == NULL) {
        return 0;
    }
    p = pid_s;
    if ((pid = number(&p, INT_MAX)) <= 0 || *p != '\0') {
        pf_log(PF_LOG_ERROR, "LISTEN_PID='%s' is not a valid pid", pid_s);
        errno = EINVAL;
        return -1;
    }
    /* Meant for another process (our parent, usually): not ours to touch,
     * and gunicorn leaves them too. */
    if (pid != (long) getpid()) {
        pf_log(PF_LOG_DEBUG, "LISTEN_PID=%ld is not this process: ignored",
               pid);
        return 0;
    }

    n = 0;
    n_s = getenv("LISTEN_FDS");
    if (n_s != NULL) {
        p = n_s;
        if ((n = number(&p, INT_MAX - SD_FDS_START)) < 0 || *p != '\0') {
            pf_log(PF_LOG_ERROR, "LISTEN_FDS='%s' is not a valid fd count",
                   n_s);
            errno = EINVAL;
            return -1;
        }
    }
    if (n > max) {
        return too_many("LISTEN_FDS", n, max);
    }
    for (i = 0; i < n; i++) {
        if (check_socket((int) (SD_FDS_START + i), "LISTEN_FDS") == -1) {
            return -1;
        }
    }
    for (i = 0; i < n; i++) {
        fds[i] = (int) (SD_FDS_START + i);
        if (set_flags(fds[i], "LISTEN_FDS") == -1) {
            return -1;
        }
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    *used = 1;
    return (int) n;
}


/* "3,4": decimal fds, comma-separated, no blanks; "" is an empty list. */
static int
from_variable(int *fds, int max, const char *var)
{
    const char  *v, *p;
    long         fd;
    int          n = 0, i;

    v = getenv(var);
    if (v == NULL) {
        return 0;
    }
    for (p = v; *p != '\0'; ) {
        if ((fd = number(&p, INT_MAX)) < 0 || (*p != ',' && *p != '\0')
            || (*p == ',' && p[1] == '\0'))
        {
            pf_log(PF_LOG_ERROR, "%s='%s' is not a valid fd list", var, v);
            errno = EINVAL;
            return -1;
        }
        if (*p == ',') {
            p++;
        }
        for (i = 0; i < n && i < max; i++) {
            if (fds[i] == fd) {
                pf_log(PF_LOG_ERROR, "%s='%s' names fd %ld twice", var, v, fd);
                errno = EINVAL;
                return -1;
            }
        }
        if (n < max) {
            fds[n] = (int) fd;
        }
        n++;
    }
    if (n > max) {
        return too_many(var, n, max);
    }
    for (i = 0; i < n; i++) {
        if (check_socket(fds[i], var) == -1) {
            return -1;
        }
    }
    for (i = 0; i < n; i++) {
        if (set_flags(fds[i], var) == -1) {
            return -1;
        }
    }
    unsetenv(var);
    return n;
}


int
pf_listen_inherited(int *fds, int max, const char *prefix, int *from_sd)
{
    char  var[VAR_MAX];
    int   n, used;

    if (from_sd != NULL) {
        *from_sd = 0;
    }
    if (max < 0 || (fds == NULL && max > 0)) {
        errno = EINVAL;
        return -1;
    }
    if (prefix == NULL) {
        prefix = "PREFORK";
    }
    if (strlen(prefix) + sizeof("_FD") > sizeof(var)) {
        pf_log(PF_LOG_ERROR, "pf_listen_inherited(): prefix too long");
        errno = EINVAL;
        return -1;
    }
    snprintf(var, sizeof(var), "%s_FD", prefix);

    n = from_systemd(fds, max, &used);
    if (n == -1) {
        return -1;
    }
    if (used) {
        if (from_sd != NULL) {
            *from_sd = 1;
        }
        return n;
    }
    return from_variable(fds, max, var);
}

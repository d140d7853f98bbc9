/*
 * Daemonizing with a ready channel (Unicorn's idea): the process that was
 * started does not exit until the daemon says how its start went, so a
 * "-D" that fails to boot fails where the operator can see it.
 *
 * The channel is a socketpair rather than a pipe so that pf_daemon_ready()
 * can send with MSG_NOSIGNAL: a daemon whose starter was killed meanwhile
 * must get EPIPE, not die of SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <prefork/daemon.h>
#include <prefork/log.h>


/* The starter: reap the intermediate child, then exit with the daemon's
 * status byte, or 1 when every writer is gone without sending one. */
static void
starter(pid_t child, int fd)
{
    unsigned char  status;
    ssize_t        r;

    while (waitpid(child, NULL, 0) == -1 && errno == EINTR) {
        /* retry */
    }
    do {
        r = read(fd, &status, 1);
    } while (r == -1 && errno == EINTR);
    _exit(r == 1 ? status : 1);
}


/* A closed stdio fd is redirected too: a socket opened later must never
 * land on 0, 1 or 2 and receive stray output. */
static int
redirect(int fd, int keep)
{
    if (keep && fcntl(fd, F_GETFD) != -1 && !isatty(fd)) {
        return 0;
    }
    return 1;
}


static int
stdio_to_null(int keep_stdio)
{
    int  null, fd, want[3];

    want[0] = 1;
    want[1] = redirect(1, keep_stdio);
    want[2] = redirect(2, keep_stdio);

    null = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (null == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "open(/dev/null) failed");
        return -1;
    }
    for (fd = 0; fd < 3; fd++) {
        if (!want[fd]) {
            continue;
        }
        /* open() may have returned a free stdio slot: keep it, minus the
         * close-on-exec flag dup2() would have cleared. */
        if (fd == null) {
            if (fcntl(fd, F_SETFD, 0) == -1) {
                pf_log_errno(PF_LOG_ERROR, errno, "fcntl(%d) failed", fd);
                return -1;
            }
            continue;
        }
        if (dup2(null, fd) == -1) {
            pf_log_errno(PF_LOG_ERROR, errno, "dup2(/dev/null, %d) failed", fd);
            return -1;
        }
    }
    if (null > 2) {
        close(null);
    }
    return 0;
}


/* With a stdio fd closed, socketpair() may fill its slot, and the ready
 * channel would then receive what the daemon prints. */
static int
above_stdio(int *fd)
{
    int  moved;

    if (*fd > 2) {
        return 0;
    }
    moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
    if (moved == -1) {
        return -1;
    }
    close(*fd);
    *fd = moved;
    return 0;
}


int
pf_daemonize(int keep_stdio, int *ready_fd)
{
    int    ch[2];
    pid_t  pid;

    if (ready_fd == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "socketpair() failed");
        return -1;
    }
    if (above_stdio(&ch[0]) == -1 || above_stdio(&ch[1]) == -1) {
        int e = errno;

        pf_log_errno(PF_LOG_ERROR, e, "fcntl(F_DUPFD_CLOEXEC) failed");
        close(ch[0]);
        close(ch[1]);
        errno = e;
        return -1;
    }
    pid = fork();
    if (pid == -1) {
        int e = errno;

        pf_log_errno(PF_LOG_ERROR, e, "fork() failed");
        close(ch[0]);
        close(ch[1]);
        errno = e;
        return -1;
    }
    if (pid > 0) {
        close(ch[1]);
        starter(pid, ch[0]);
    }

    /* The intermediate child: a new session, then a child that, not being
     * a session leader, can never reacquire a controlling terminal. */
    close(ch[0]);
    if (setsid() == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "setsid() failed");
        _exit(1);
    }
    pid = fork();
    if (pid == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "fork() failed");
        _exit(1);
    }
    if (pid > 0) {
        _exit(0);
    }

    /* The daemon.  A failure here ends it, and the starter exits 1. */
    umask(022);
    if (stdio_to_null(keep_stdio) == -1) {
        _exit(1);
    }
    *ready_fd = ch[1];
    return 0;
}


int
pf_daemon_ready(int ready_fd, int status)
{
    unsigned char  c = (unsigned char) (status & 0xff);
    ssize_t        r;
    int            e;

    if (ready_fd < 0) {
        return 0;
    }
    do {
        r = send(ready_fd, &c, 1, MSG_NOSIGNAL);
        /* Not from pf_daemonize(): a pipe, say. */
        if (r == -1 && errno == ENOTSOCK) {
            r = write(ready_fd, &c, 1);
        }
    } while (r == -1 && errno == EINTR);
    e = errno;
    close(ready_fd);
    if (r != 1) {
        pf_log_errno(PF_LOG_ERROR, e, "send(ready fd %d) failed", ready_fd);
        errno = e;
        return -1;
    }
    return 0;
}

#include "helpers.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


long long
th_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


int
th_readable(int fd, int ms)
{
    struct pollfd  p = { fd, POLLIN, 0 };
    long long      end = th_now_ms() + ms;
    int            r;

    for ( ;; ) {
        long long left = end - th_now_ms();

        r = poll(&p, 1, left < 0 ? 0 : (int) left);
        if (r == -1 && errno == EINTR) {
            continue;
        }
        return r < 0 ? -1 : (r > 0);
    }
}


ssize_t
th_read_n(int fd, void *buf, size_t n, int ms)
{
    long long  end = th_now_ms() + ms;
    size_t     got = 0;
    ssize_t    r;

    while (got < n) {
        long long left = end - th_now_ms();

        if (left < 0 || th_readable(fd, (int) left) != 1) {
            return -1;
        }
        r = read(fd, (char *) buf + got, n - got);
        if (r == -1) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -1;
        }
        if (r == 0) {
            break;
        }
        got += (size_t) r;
    }
    return (ssize_t) got;
}


ssize_t
th_read_all(int fd, char *buf, size_t cap, int ms)
{
    long long  end = th_now_ms() + ms;
    size_t     got = 0;
    ssize_t    r;

    while (got + 1 < cap) {
        long long left = end - th_now_ms();

        if (left < 0 || th_readable(fd, (int) left) != 1) {
            break;
        }
        r = read(fd, buf + got, cap - 1 - got);
        if (r == -1) {
            if (errno == EINTR || errno == EAGAIN) {
                continue;
            }
            return -1;
        }
        if (r == 0) {
            break;
        }
        got += (size_t) r;
    }
    buf[got] = '\0';
    return (ssize_t) got;
}


pid_t
th_wait(pid_t pid, int *status, int ms)
{
    int    pfd;
    pid_t  r;

    pfd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (pfd == -1) {
        return -1;
    }
    if (th_readable(pfd, ms) != 1) {
        close(pfd);
        return 0;
    }
    close(pfd);
    do {
        r = waitpid(pid, status, 0);
    } while (r == -1 && errno == EINTR);
    return r;
}


pid_t
th_wait_any(int *status, int ms)
{
    long long  end = th_now_ms() + ms;
    pid_t      r;
    int        delay = 1;

    /* No pidfd for "any child": poll waitpid with a growing back-off. */
    for ( ;; ) {
        r = waitpid(-1, status, WNOHANG);
        if (r != 0 || th_now_ms() >= end) {
            return r;
        }
        poll(NULL, 0, delay);
        if (delay < 20) {
            delay *= 2;
        }
    }
}


char *
th_tmpdir(void)
{
    const char  *base = getenv("TMPDIR");
    char         tmpl[512];

    snprintf(tmpl, sizeof(tmpl), "%s/pftest.XXXXXX", base ? base : "/tmp");
    if (mkdtemp(tmpl) == NULL) {
        return NULL;
    }
    return strdup(tmpl);
}


static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove(path);
}


void
th_rmrf(const char *path)
{
    if (path != NULL) {
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}


int
th_free_port(void)
{
    struct sockaddr_in  sa;
    socklen_t           len = sizeof(sa);
    int                 fd, port;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == -1
        || getsockname(fd, (struct sockaddr *) &sa, &len) == -1)
    {
        close(fd);
        return -1;
    }
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}


int
th_connect(const char *addr)
{
    struct sockaddr_storage  ss;
    socklen_t                len;
    char                     host[256];
    const char              *colon;
    int                      fd, port;

    memset(&ss, 0, sizeof(ss));
    if (strncmp(addr, "unix:", 5) == 0) {
        struct sockaddr_un *sun = (struct sockaddr_un *) &ss;

        sun->sun_family = AF_UNIX;
        snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", addr + 5);
        len = sizeof(*sun);
    } else {
        colon = strrchr(addr, ':');
        if (colon == NULL) {
            errno = EINVAL;
            return -1;
        }
        port = atoi(colon + 1);
        if (addr[0] == '[') {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *) &ss;

            snprintf(host, sizeof(host), "%.*s", (int) (colon - addr - 2), addr + 1);
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons((unsigned short) port);
            if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) {
                errno = EINVAL;
                return -1;
            }
            len = sizeof(*s6);
        } else {
            struct sockaddr_in *s4 = (struct sockaddr_in *) &ss;

            snprintf(host, sizeof(host), "%.*s", (int) (colon - addr), addr);
            s4->sin_family = AF_INET;
            s4->sin_port = htons((unsigned short) port);
            if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) {
                errno = EINVAL;
                return -1;
            }
            len = sizeof(*s4);
        }
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *) &ss, len) == -1) {
        int e = errno;

        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}


int
th_count_fds(pid_t pid)
{
    char            path[64];
    DIR            *d;
    struct dirent  *e;
    int             n = 0;

    if (pid == 0) {
        snprintf(path, sizeof(path), "/proc/self/fd");
    } else {
        snprintf(path, sizeof(path), "/proc/%d/fd", (int) pid);
    }
    d = opendir(path);
    if (d == NULL) {
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.') {
            n++;
        }
    }
    closedir(d);
    return pid == 0 ? n - 1 : n;   /* not the opendir fd itself */
}


int
th_run_suites(th_suite_fn *const *suites)
{
    SRunner  *sr;
    int       failed;

    sr = srunner_create(NULL);
    for ( /* void */ ; *suites != NULL; suites++) {
        srunner_add_suite(sr, (*suites)());
    }
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* lib/log test helpers. */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "helpers.h"
#include "tl.h"


void
tl_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}


static int
bind_inet(int type, int *port)
{
    struct sockaddr_in  sa;
    socklen_t           len = sizeof(sa);
    int                 fd;

    fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}


int
tl_udp_receiver(int *port)
{
    return bind_inet(SOCK_DGRAM, port);
}


int
tl_tcp_listener(int *port)
{
    int  fd = bind_inet(SOCK_STREAM, port);

    ck_assert_int_eq(listen(fd, 8), 0);
    return fd;
}


int
tl_unix_receiver(const char *path, int type)
{
    struct sockaddr_un  un;
    int                 fd;

    fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    ck_assert_uint_lt(strlen(path), sizeof(un.sun_path));
    strcpy(un.sun_path, path);
    ck_assert_int_eq(bind(fd, (struct sockaddr *) &un, sizeof(un)), 0);
    if (type == SOCK_STREAM) {
        ck_assert_int_eq(listen(fd, 8), 0);
    }
    return fd;
}


ssize_t
tl_recv(int fd, char *buf, size_t cap, int ms)
{
    ssize_t  n;

    if (th_readable(fd, ms) != 1) {
        return -1;
    }
    n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
    if (n >= 0) {
        buf[n] = '\0';
    }
    return n;
}


int
tl_quiet(int fd, int ms)
{
    return th_readable(fd, ms) == 0;
}


ssize_t
tl_slurp(const char *path, char *buf, size_t cap)
{
    ssize_t  n, total = 0;
    int      fd;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }
    while ((size_t) total < cap - 1
           && (n = read(fd, buf + total, cap - 1 - (size_t) total)) > 0)
    {
        total += n;
    }
    close(fd);
    buf[total] = '\0';
    return total;
}


const char *
tl_path(const char *dir, const char *name, int slot)
{
    static char  paths[4][512];

    snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", dir, name);
    return paths[slot];
}


void
tl_rec(pfw_access_rec *r)
{
    memset(r, 0, sizeof(*r));
    r->remote_addr = "127.0.0.1";
    r->remote_addr_len = 9;
    r->method = "GET";
    r->method_len = 3;
    r->raw_uri = "/";
    r->raw_uri_len = 1;
    r->path = "/";
    r->path_len = 1;
    r->query = "";
    r->query_len = 0;
    r->protocol = "HTTP/1.1";
    r->protocol_len = 8;
    r->status = 200;
    r->sent = 3;
    r->sent_known = 1;
    r->pid = 4242;
    r->now = TL_NOW;
}


void
tl_render(const char *fmt, const pfw_access_rec *r, char *out, size_t cap)
{
    pfw_access_fmt  *f;
    char             err[256] = "";
    size_t           n;

    f = pfw_access_fmt_compile(fmt, err, sizeof(err));
    ck_assert_msg(f != NULL, "compile(%s): %s", fmt, err);
    n = pfw_access_render(f, r, out, cap - 1);
    ck_assert_uint_lt(n, cap);
    out[n] = '\0';
    pfw_access_fmt_free(f);
}

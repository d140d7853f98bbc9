/*
 * Hidden helpers shared by sockets.c, inherit.c, the arbiter and the tests:
 * gunicorn's --bind syntax parsed into something bind(2) takes.
 */
#ifndef PF_CORE_SOCKADDR_H
#define PF_CORE_SOCKADDR_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

/* Room for "[<host>]:65535" with a 255-byte host name, or "unix:<path>". */
#define PF__ADDR_TEXT  300

#define PF__UNIX_PATH  sizeof(((struct sockaddr_un *) 0)->sun_path)

typedef struct {
    /* AF_INET, AF_INET6, AF_UNIX, or AF_UNSPEC for "fd://N". */
    int                      family;
    /* What bind(2) takes (unused for fd://). */
    struct sockaddr_storage  sa;
    socklen_t                salen;
    /* TCP port (host order), -1 otherwise. */
    int                      port;
    /* fd://N: N; -1 otherwise. */
    int                      fd;
    /* AF_UNIX: the path as given; "@name" for an abstract socket. */
    char                     path[PF__UNIX_PATH + 1];
    /* Normalised form for messages: "127.0.0.1:8000", "localhost:8000",
     * "[::1]:8000", "unix:/run/a.sock", "fd://3". */
    char                     text[PF__ADDR_TEXT];
} pf__addr;

/* Parse addr (gunicorn --bind syntax) into out, resolving host names to
 * IPv4 with getaddrinfo().  0, or -1 with errno and a logged reason:
 *   EINVAL        malformed address, port or fd
 *   ENAMETOOLONG  a unix path that does not fit in sun_path
 *   EADDRNOTAVAIL a host name that does not resolve (EAGAIN, ENOMEM: the
 *                 resolver's transient failures) */
int pf__addr_parse(const char *addr, pf__addr *out);

/* Make an existing socket fd a listener the way pf_listen() makes new ones:
 * check it is a socket (EBADF, ENOTSOCK), O_NONBLOCK|O_CLOEXEC,
 * SO_REUSEADDR, SO_REUSEPORT on request, TCP_NODELAY for TCP, then
 * listen(backlog).  Used for fd://N and for inherited fds.  name is for log
 * lines.  0, or -1 with errno (fd is never closed). */
int pf__listen_fd(int fd, int backlog, unsigned flags, const char *name);

/* Format a socket address as pf_sockname() does. */
int pf__addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size);

#endif /* PF_CORE_SOCKADDR_H */

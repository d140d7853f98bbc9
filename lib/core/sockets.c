/*
 * Listening sockets: gunicorn's --bind syntax, bind/listen with gunicorn's
 * options, and getsockname() in both directions (printing, matching).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <prefork/log.h>
#include <prefork/sockets.h>

#include "sockaddr.h"

#define HOST_MAX     255
#define SUN_OFFSET   offsetof(struct sockaddr_un, sun_path)


static int
all_digits(const char *s, size_t n)
{
    size_t  i;

    if (n == 0) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}


/* Digits only: gunicorn's int() would also take " 80" or "+80", but a
 * stricter parser rejects nothing anyone writes on purpose. */
static int
parse_port(const char *s, size_t n)
{
    int     port = 0;
    size_t  i;

    if (!all_digits(s, n) || n > 5) {
        goto bad;
    }
    for (i = 0; i < n; i++) {
        port = port * 10 + (s[i] - '0');
    }
    if (port > 65535) {
        goto bad;
    }
    return port;

bad:
    pf_log(PF_LOG_ERROR, "'%.*s' is not a valid port number.", (int) n, s);
    errno = EINVAL;
    return -1;
}


static int
parse_fd(const char *s, pf__addr *out)
{
    size_t  n = strlen(s), i;
    long    fd = 0;

    if (!all_digits(s, n) || n > 10) {
        goto bad;
    }
    for (i = 0; i < n; i++) {
        fd = fd * 10 + (s[i] - '0');
    }
    if (fd > INT_MAX) {
        goto bad;
    }
    out->family = AF_UNSPEC;
    out->fd = (int) fd;
    snprintf(out->text, sizeof(out->text), "fd://%d", out->fd);
    return 0;

bad:
    pf_log(PF_LOG_ERROR, "'%s' is not a valid file descriptor.", s);
    errno = EINVAL;
    return -1;
}


/* "unix:@name" is Linux's abstract namespace (systemd's and sd_notify's
 * spelling), so that what pf_sockname() prints can be matched again. */
static int
parse_unix(const char *p, pf__addr *out)
{
    struct sockaddr_un  *sun = (struct sockaddr_un *) &out->sa;
    size_t               n = strlen(p);

    if (n == 0 || (p[0] == '@' && n == 1)) {
        pf_log(PF_LOG_ERROR, "'%s' is not a valid unix socket path.", p);
        errno = EINVAL;
        return -1;
    }
    /* A path needs its NUL; an abstract name's '@' stands for its NUL. */
    if (n >= PF__UNIX_PATH) {
        pf_log(PF_LOG_ERROR, "unix socket path '%s' is longer than %zu bytes",
               p, PF__UNIX_PATH - 1);
        errno = ENAMETOOLONG;
        return -1;
    }
    out->family = AF_UNIX;
    sun->sun_family = AF_UNIX;
    memcpy(out->path, p, n + 1);
    if (p[0] == '@') {
        sun->sun_path[0] = '\0';
        memcpy(sun->sun_path + 1, p + 1, n - 1);
        out->salen = (socklen_t) (SUN_OFFSET + n);
    } else {
        memcpy(sun->sun_path, p, n + 1);
        out->salen = (socklen_t) (SUN_OFFSET + n + 1);
    }
    snprintf(out->text, sizeof(out->text), "unix:%s", p);
    return 0;
}


static int
gai_errno(int rc, int saved)
{
    switch (rc) {
    case EAI_AGAIN:
        return EAGAIN;
    case EAI_MEMORY:
        return ENOMEM;
    case EAI_SYSTEM:
        return saved;
    default:
        return EADDRNOTAVAIL;
    }
}


/* gunicorn decides the family from the host alone: an IPv6 literal (with
 * or without brackets) is AF_INET6, anything else resolves as IPv4. */
static int
resolve(const char *host, int port, pf__addr *out)
{
    struct addrinfo   hints, *res;
    int               rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET6;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        hints.ai_family = AF_INET;
        hints.ai_flags = 0;
        rc = getaddrinfo(host, NULL, &hints, &res);
    }
    if (rc != 0) {
        int e = gai_errno(rc, errno);

        pf_log(PF_LOG_ERROR, "getaddrinfo(%s) failed: %s", host,
               rc == EAI_SYSTEM ? strerror(e) : gai_strerror(rc));
        errno = e;
        return -1;
    }
    memcpy(&out->sa, res->ai_addr, res->ai_addrlen);
    out->salen = res->ai_addrlen;
    out->family = res->ai_family;
    freeaddrinfo(res);

    out->port = port;
    if (out->family == AF_INET6) {
        ((struct sockaddr_in6 *) &out->sa)->sin6_port = htons((uint16_t) port);
        snprintf(out->text, sizeof(out->text), "[%s]:%d", host, port);
    } else {
        ((struct sockaddr_in *) &out->sa)->sin_port = htons((uint16_t) port);
        snprintf(out->text, sizeof(out->text), "%s:%d", host, port);
    }
    return 0;
}


/* HOST, HOST:PORT, [V6], [V6]:PORT, "" and :PORT.  Unlike gunicorn, text
 * after the port ("h:80:90", "[::1]x") is an error, not silently dropped. */
static int
parse_tcp(const char *s, pf__addr *out)
{
    const char  *h, *p = NULL, *rb, *colon;
    size_t       hlen, plen = 0, i;
    char         host[HOST_MAX + 1];
    int          port = PF_DEFAULT_PORT;

    if (s[0] == '[' && (rb = strchr(s, ']')) != NULL) {
        h = s + 1;
        hlen = (size_t) (rb - h);
        if (rb[1] == ':') {
            p = rb + 2;
            plen = strlen(p);
        } else if (rb[1] != '\0') {
            p = rb + 1;
            plen = strlen(p);
        }
    } else if ((colon = strchr(s, ':')) != NULL) {
        h = s;
        hlen = (size_t) (colon - s);
        p = colon + 1;
        plen = strlen(p);
    } else {
        h = s;
        hlen = strlen(s);
    }

    if (p != NULL && (port = parse_port(p, plen)) == -1) {
        return -1;
    }
    if (hlen > HOST_MAX) {
        pf_log(PF_LOG_ERROR, "'%.*s...' is not a valid host name.", 32, h);
        errno = EINVAL;
        return -1;
    }
    if (hlen == 0) {
        h = "0.0.0.0";
        hlen = 7;
    }
    for (i = 0; i < hlen; i++) {
        host[i] = (h[i] >= 'A' && h[i] <= 'Z') ? (char) (h[i] + 32) : h[i];
    }
    host[hlen] = '\0';
    return resolve(host, port, out);
}


int
pf__addr_parse(const char *addr, pf__addr *out)
{
    memset(out, 0, sizeof(*out));
    out->family = AF_UNSPEC;
    out->port = -1;
    out->fd = -1;

    if (addr == NULL) {
        errno = EINVAL;
        return -1;
    }
    /* gunicorn: unix: or unix://, the latter keeping what follows as is,
     * so "unix://var/run/x" is the relative path "var/run/x". */
    if (strncmp(addr, "unix:", 5) == 0) {
        addr += 5;
        if (addr[0] == '/' && addr[1] == '/') {
            addr += 2;
        }
        return parse_unix(addr, out);
    }
    if (strncmp(addr, "fd://", 5) == 0) {
        return parse_fd(addr + 5, out);
    }
    if (strncmp(addr, "tcp://", 6) == 0) {
        addr += 6;
    }
    return parse_tcp(addr, out);
}


static int
set_options(int fd, int family, unsigned flags, const char *name)
{
    int  on = 1;

    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "setsockopt(%s, SO_REUSEADDR) failed",
                     name);
        return -1;
    }
    /* As gunicorn: a kernel or family without SO_REUSEPORT is no error. */
    if ((flags & PF_LISTEN_REUSEPORT)
        && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1)
    {
        if (errno != ENOPROTOOPT && errno != EINVAL && errno != EOPNOTSUPP) {
            pf_log_errno(PF_LOG_ERROR, errno,
                         "setsockopt(%s, SO_REUSEPORT) failed", name);
            return -1;
        }
        pf_log_errno(PF_LOG_DEBUG, errno,
                     "setsockopt(%s, SO_REUSEPORT) ignored", name);
    }
    if ((family == AF_INET || family == AF_INET6)
        && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1)
    {
        pf_log_errno(PF_LOG_ERROR, errno, "setsockopt(%s, TCP_NODELAY) failed",
                     name);
        return -1;
    }
    return 0;
}


int
pf__listen_fd(int fd, int backlog, unsigned flags, const char *name)
{
    struct sockaddr_storage  ss;
    socklen_t                len = sizeof(ss);
    socklen_t                tlen;
    struct stat              st;
    int                      fl, type;

    if (fstat(fd, &st) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "fstat(%s) failed", name);
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        pf_log(PF_LOG_ERROR, "%s is not a socket", name);
        errno = ENOTSOCK;
        return -1;
    }
    if (getsockname(fd, (struct sockaddr *) &ss, &len) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "getsockname(%s) failed", name);
        return -1;
    }
    /* Checked before anything is changed: listen() would refuse anyway. */
    tlen = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "getsockopt(%s, SO_TYPE) failed",
                     name);
        return -1;
    }
    if (type != SOCK_STREAM) {
        pf_log_errno(PF_LOG_ERROR, EOPNOTSUPP,
                     "listen(%s) failed: not a stream socket", name);
        errno = EOPNOTSUPP;
        return -1;
    }
    if ((fl = fcntl(fd, F_GETFL)) == -1
        || fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1
        || (fl = fcntl(fd, F_GETFD)) == -1
        || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) == -1)
    {
        pf_log_errno(PF_LOG_ERROR, errno, "fcntl(%s) failed", name);
        return -1;
    }
    if (set_options(fd, ss.ss_family, flags, name) == -1) {
        return -1;
    }
    if (listen(fd, backlog) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "listen(%s) failed", name);
        return -1;
    }
    return 0;
}


/* Is the socket file at a's path stale?  gunicorn removes it without
 * asking, which lets a second instance steal a running server's address;
 * only a refused connection proves nobody accepts on it.  1 stale, 0 not
 * (errno: EADDRINUSE when someone accepts, else why we cannot tell). */
static int
socket_stale(const pf__addr *a)
{
    int  fd, r, e;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "socket(AF_UNIX) to test whether"
                     " %s is stale failed", a->text);
        errno = EAGAIN;             /* logged already: no second line */
        return 0;
    }
    r = connect(fd, (const struct sockaddr *) &a->sa, a->salen);
    e = errno;
    close(fd);
    /* ENOENT: the file went away meanwhile; nothing left to remove. */
    if (r == -1 && (e == ECONNREFUSED || e == ENOENT)) {
        return 1;
    }
    errno = r == 0 || e == EAGAIN || e == EINPROGRESS ? EADDRINUSE : e;
    return 0;
}


/* Remove a socket file left by an earlier run; a live one is refused with
 * EADDRINUSE, and anything that is not a socket, a symbolic link included,
 * is left alone. */
static int
unlink_stale(const pf__addr *a)
{
    const char   *path = a->path;
    struct stat   st;

    if (lstat(path, &st) == -1) {
        if (errno == ENOENT) {
            return 0;
        }
        pf_log_errno(PF_LOG_ERROR, errno, "lstat(%s) failed", path);
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        pf_log(PF_LOG_ERROR, "'%s' is not a socket", path);
        errno = ENOTSOCK;
        return -1;
    }
    if (!socket_stale(a)) {
        if (errno == EADDRINUSE) {
            pf_log(PF_LOG_ERROR, "bind(%s) failed: another process listens"
                   " on it", a->text);
        } else if (errno != EAGAIN) {
            pf_log_errno(PF_LOG_ERROR, errno, "connect(%s) to test whether"
                         " the socket file is stale failed", a->text);
        }
        return -1;
    }
    if (unlink(path) == -1 && errno != ENOENT) {
        pf_log_errno(PF_LOG_ERROR, errno, "unlink(%s) failed", path);
        return -1;
    }
    return 0;
}


int
pf_listen(const char *addr, int backlog, unsigned flags)
{
    pf__addr  a;
    int       fd, e, bound = 0;

    if (pf__addr_parse(addr, &a) == -1) {
        return -1;
    }
    if (a.family == AF_UNSPEC) {
        return pf__listen_fd(a.fd, backlog, flags, a.text) == -1 ? -1 : a.fd;
    }
    if (a.family == AF_UNIX && a.path[0] != '@'
        && unlink_stale(&a) == -1)
    {
        return -1;
    }

    fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "socket(%s) failed", a.text);
        return -1;
    }
    if (set_options(fd, a.family, flags, a.text) == -1) {
        goto failed;
    }
    if (bind(fd, (struct sockaddr *) &a.sa, a.salen) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "bind(%s) failed", a.text);
        goto failed;
    }
    bound = 1;
    if (listen(fd, backlog) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "listen(%s) failed", a.text);
        goto failed;
    }
    return fd;

failed:
    e = errno;
    close(fd);
    /* Leave no socket file behind that nobody listens on. */
    if (bound && a.family == AF_UNIX && a.path[0] != '@') {
        unlink(a.path);
    }
    errno = e;
    return -1;
}


int
pf__addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
    const struct sockaddr_un  *sun;
    char                       host[NI_MAXHOST];
    size_t                     n;
    int                        r, rc;

    if (buf == NULL && size != 0) {
        errno = EINVAL;
        return -1;
    }
    switch (sa->sa_family) {

    case AF_INET: {
        const struct sockaddr_in *sin = (const struct sockaddr_in *) sa;

        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        r = snprintf(buf, size, "%s:%u", host, ntohs(sin->sin_port));
        break;
    }

    case AF_INET6: {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *) sa;

        /* getnameinfo() rather than inet_ntop(): it keeps a "%eth0" scope. */
        rc = getnameinfo(sa, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
        if (rc != 0) {
            errno = rc == EAI_SYSTEM ? errno : EINVAL;
            return -1;
        }
        r = snprintf(buf, size, "[%s]:%u", host, ntohs(sin6->sin6_port));
        break;
    }

    case AF_UNIX:
        sun = (const struct sockaddr_un *) sa;
        n = len > SUN_OFFSET ? len - SUN_OFFSET : 0;
        if (n > sizeof(sun->sun_path)) {
            n = sizeof(sun->sun_path);
        }
        if (n > 0 && sun->sun_path[0] == '\0') {
            r = snprintf(buf, size, "unix:@%.*s", (int) (n - 1),
                         sun->sun_path + 1);
        } else {
            r = snprintf(buf, size, "unix:%.*s",
                         (int) strnlen(sun->sun_path, n), sun->sun_path);
        }
        break;

    default:
        errno = EAFNOSUPPORT;
        return -1;
    }
    if (r < 0) {
        errno = EINVAL;
        return -1;
    }
    return r;
}


int
pf_sockname(int fd, char *buf, size_t len)
{
    struct sockaddr_storage  ss;
    socklen_t                sl = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *) &ss, &sl) == -1) {
        return -1;
    }
    return pf__addr_format((struct sockaddr *) &ss, sl, buf, len);
}


/* A unix address reduced to (abstract?, name bytes) for comparison. */
static size_t
unix_name(const struct sockaddr_un *sun, socklen_t len, const char **name,
    int *abstract)
{
    size_t  n = len > SUN_OFFSET ? len - SUN_OFFSET : 0;

    if (n > sizeof(sun->sun_path)) {
        n = sizeof(sun->sun_path);
    }
    *abstract = n > 0 && sun->sun_path[0] == '\0';
    if (*abstract) {
        *name = sun->sun_path + 1;
        return n - 1;
    }
    *name = sun->sun_path;
    return strnlen(sun->sun_path, n);
}


static int
same_address(const struct sockaddr *a, socklen_t alen,
    const struct sockaddr *b, socklen_t blen)
{
    const char  *an, *bn;
    size_t       al, bl;
    int          aa, ba;

    if (a->sa_family != b->sa_family) {
        return 0;
    }
    switch (a->sa_family) {

    case AF_INET: {
        const struct sockaddr_in *x = (const struct sockaddr_in *) a;
        const struct sockaddr_in *y = (const struct sockaddr_in *) b;

        return x->sin_port == y->sin_port
               && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }

    case AF_INET6: {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *) a;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *) b;

        return x->sin6_port == y->sin6_port
               && x->sin6_scope_id == y->sin6_scope_id
               && memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
    }

    case AF_UNIX:
        al = unix_name((const struct sockaddr_un *) a, alen, &an, &aa);
        bl = unix_name((const struct sockaddr_un *) b, blen, &bn, &ba);
        return aa == ba && al == bl && al > 0 && memcmp(an, bn, al) == 0;

    default:
        return 0;
    }
}


int
pf_listen_matches(int fd, const char *addr)
{
    struct sockaddr_storage  ss;
    socklen_t                len = sizeof(ss);
    pf__addr                 a;

    if (pf__addr_parse(addr, &a) == -1) {
        return -1;
    }
    if (a.family == AF_UNSPEC) {
        return a.fd == fd;
    }
    if (getsockname(fd, (struct sockaddr *) &ss, &len) == -1) {
        pf_log_errno(PF_LOG_ERROR, errno, "getsockname(%d) failed", fd);
        return -1;
    }
    return same_address((struct sockaddr *) &ss, len,
                        (struct sockaddr *) &a.sa, a.salen);
}

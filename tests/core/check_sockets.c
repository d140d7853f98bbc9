/*
 * Address parsing (gunicorn's --bind syntax), pf_listen(), pf_sockname()
 * and pf_listen_matches().
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <prefork/sockets.h>

#include "harness.h"
#include "helpers.h"
#include "sockaddr.h"
#include "suites.h"

static char  *tmpdir;


static void
setup(void)
{
    th_log_capture();
    tmpdir = th_tmpdir();
    ck_assert_ptr_nonnull(tmpdir);
}


static void
teardown(void)
{
    th_log_release();
    th_rmrf(tmpdir);
    free(tmpdir);
}


static int
sockopt(int fd, int level, int name)
{
    int        v = -1;
    socklen_t  len = sizeof(v);

    ck_assert_int_eq(getsockopt(fd, level, name, &v, &len), 0);
    return v;
}


static int
local_port(int fd)
{
    struct sockaddr_storage  ss;
    socklen_t                len = sizeof(ss);

    ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &ss, &len), 0);
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *) &ss)->sin6_port);
    }
    return ntohs(((struct sockaddr_in *) &ss)->sin_port);
}


/* ---- the parser ---- */

/* Accepted forms: family, normalised text, port, address or path. */
static const struct {
    const char  *in;
    int          family;
    const char  *text;
    int          port;
    const char  *ip;        /* inet_ntop() of the address, or the path */
} forms[] = {
    { "127.0.0.1:8080", AF_INET, "127.0.0.1:8080", 8080, "127.0.0.1" },
    { "127.0.0.1", AF_INET, "127.0.0.1:8000", 8000, "127.0.0.1" },
    { "localhost", AF_INET, "localhost:8000", 8000, "127.0.0.1" },
    { "LocalHost:81", AF_INET, "localhost:81", 81, "127.0.0.1" },
    { "", AF_INET, "0.0.0.0:8000", 8000, "0.0.0.0" },
    { ":9000", AF_INET, "0.0.0.0:9000", 9000, "0.0.0.0" },
    { "0.0.0.0:0", AF_INET, "0.0.0.0:0", 0, "0.0.0.0" },
    { "10.1.2.3:65535", AF_INET, "10.1.2.3:65535", 65535, "10.1.2.3" },
    { "[::1]:8080", AF_INET6, "[::1]:8080", 8080, "::1" },
    { "[::1]", AF_INET6, "[::1]:8000", 8000, "::1" },
    { "[::]:0", AF_INET6, "[::]:0", 0, "::" },
    { "[FE80::AB]:1", AF_INET6, "[fe80::ab]:1", 1, "fe80::ab" },
    { "[127.0.0.1]:5", AF_INET, "127.0.0.1:5", 5, "127.0.0.1" },
    { "tcp://127.0.0.1:81", AF_INET, "127.0.0.1:81", 81, "127.0.0.1" },
    { "tcp://localhost", AF_INET, "localhost:8000", 8000, "127.0.0.1" },
    { "tcp://", AF_INET, "0.0.0.0:8000", 8000, "0.0.0.0" },
    { "tcp://[::1]:82", AF_INET6, "[::1]:82", 82, "::1" },
    { "unix:/run/a.sock", AF_UNIX, "unix:/run/a.sock", -1, "/run/a.sock" },
    { "unix:///run/a.sock", AF_UNIX, "unix:/run/a.sock", -1, "/run/a.sock" },
    { "unix://var/run/x", AF_UNIX, "unix:var/run/x", -1, "var/run/x" },
    { "unix:rel.sock", AF_UNIX, "unix:rel.sock", -1, "rel.sock" },
    { "unix:@abstract", AF_UNIX, "unix:@abstract", -1, "@abstract" },
    { "fd://3", AF_UNSPEC, "fd://3", -1, NULL },
    { "fd://2147483647", AF_UNSPEC, "fd://2147483647", -1, NULL },
};


/* Rejected forms: errno and the logged reason. */
static const struct {
    const char  *in;
    int          err;
    const char  *logged;
} bad_forms[] = {
    { "127.0.0.1:x", EINVAL, "'x' is not a valid port number." },
    { "127.0.0.1:", EINVAL, "'' is not a valid port number." },
    { "127.0.0.1:-1", EINVAL, "'-1' is not a valid port number." },
    { "127.0.0.1:65536", EINVAL, "'65536' is not a valid port number." },
    { "127.0.0.1:123456", EINVAL, "'123456' is not a valid port number." },
    { "127.0.0.1:80:90", EINVAL, "'80:90' is not a valid port number." },
    { "127.0.0.1: 80", EINVAL, "' 80' is not a valid port number." },
    { "[::1]:", EINVAL, "'' is not a valid port number." },
    { "[::1]:http", EINVAL, "'http' is not a valid port number." },
    { "[::1]x", EINVAL, "'x' is not a valid port number." },
    { "tcp://h:y", EINVAL, "'y' is not a valid port number." },
    { "fd://", EINVAL, "'' is not a valid file descriptor." },
    { "fd://x", EINVAL, "'x' is not a valid file descriptor." },
    { "fd://-1", EINVAL, "'-1' is not a valid file descriptor." },
    { "fd://3x", EINVAL, "'3x' is not a valid file descriptor." },
    { "fd://2147483648", EINVAL,
      "'2147483648' is not a valid file descriptor." },
    { "unix:", EINVAL, "'' is not a valid unix socket path." },
    { "unix://", EINVAL, "'' is not a valid unix socket path." },
    { "unix:@", EINVAL, "'@' is not a valid unix socket path." },
    /* Fails inside glibc without a DNS query: no network needed. */
    { "a..b:80", EADDRNOTAVAIL, "getaddrinfo(a..b) failed" },
};


START_TEST(parse_forms)
{
    pf__addr  a;
    char      ip[INET6_ADDRSTRLEN];
    int       rc;

    rc = pf__addr_parse(forms[_i].in, &a);
    ck_assert_msg(rc == 0, "'%s' failed: %s", forms[_i].in, th_logged());
    ck_assert_int_eq(a.family, forms[_i].family);
    ck_assert_str_eq(a.text, forms[_i].text);
    ck_assert_int_eq(a.port, forms[_i].port);

    switch (a.family) {
    case AF_INET: {
        struct sockaddr_in *sin = (struct sockaddr_in *) &a.sa;

        ck_assert_int_eq(sin->sin_family, AF_INET);
        ck_assert_int_eq(a.salen, sizeof(*sin));
        ck_assert_int_eq(ntohs(sin->sin_port), forms[_i].port);
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
        ck_assert_str_eq(ip, forms[_i].ip);
        break;
    }
    case AF_INET6: {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &a.sa;

        ck_assert_int_eq(sin6->sin6_family, AF_INET6);
        ck_assert_int_eq(a.salen, sizeof(*sin6));
        ck_assert_int_eq(ntohs(sin6->sin6_port), forms[_i].port);
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
        ck_assert_str_eq(ip, forms[_i].ip);
        break;
    }
    case AF_UNIX: {
        struct sockaddr_un *sun = (struct sockaddr_un *) &a.sa;
        const char         *p = forms[_i].ip;
        size_t              n = strlen(p);

        ck_assert_int_eq(sun->sun_family, AF_UNIX);
        ck_assert_str_eq(a.path, p);
        if (p[0] == '@') {
            ck_assert_int_eq(sun->sun_path[0], '\0');
            ck_assert_int_eq(memcmp(sun->sun_path + 1, p + 1, n - 1), 0);
            ck_assert_uint_eq(a.salen,
                              offsetof(struct sockaddr_un, sun_path) + n);
        } else {
            ck_assert_str_eq(sun->sun_path, p);
            ck_assert_uint_eq(a.salen,
                              offsetof(struct sockaddr_un, sun_path) + n + 1);
        }
        break;
    }
    default:
        ck_assert_int_eq(a.fd, atoi(forms[_i].in + 5));
    }
}
END_TEST


START_TEST(parse_bad_forms)
{
    pf__addr  a;

    ck_assert_msg(pf__addr_parse(bad_forms[_i].in, &a) == -1, "'%s' parsed",
                  bad_forms[_i].in);
    ck_assert_msg(errno == bad_forms[_i].err, "'%s': errno %d",
                  bad_forms[_i].in, errno);
    ck_assert_msg(strstr(th_logged(), bad_forms[_i].logged) != NULL,
                  "'%s' logged '%s'", bad_forms[_i].in, th_logged());
}
END_TEST


START_TEST(parse_unix_too_long)
{
    char      addr[300];
    pf__addr  a;

    /* 107 bytes fit (with the NUL), 108 do not. */
    memset(addr, 0, sizeof(addr));
    memcpy(addr, "unix:/", 6);
    memset(addr + 6, 'a', 106);
    ck_assert_int_eq(pf__addr_parse(addr, &a), 0);
    addr[6 + 106] = 'b';
    ck_assert_int_eq(pf__addr_parse(addr, &a), -1);
    ck_assert_int_eq(errno, ENAMETOOLONG);
    ck_assert_ptr_nonnull(strstr(th_logged(), "longer than 107 bytes"));
}
END_TEST


START_TEST(parse_host_too_long)
{
    char      addr[400];
    pf__addr  a;

    memset(addr, 'a', 300);
    strcpy(addr + 300, ":80");
    ck_assert_int_eq(pf__addr_parse(addr, &a), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(pf__addr_parse(NULL, &a), -1);
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST


/* ---- pf_listen over TCP ---- */

START_TEST(listen_tcp_options)
{
    char  name[64], want[64];
    int   fd, c, before = th_count_fds(0);

    fd = pf_listen("127.0.0.1:0", 16, 0);
    ck_assert_msg(fd >= 0, "%s", th_logged());
    ck_assert_int_eq(th_count_fds(0), before + 1);
    ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    ck_assert_int_eq(sockopt(fd, SOL_SOCKET, SO_REUSEADDR), 1);
    ck_assert_int_eq(sockopt(fd, SOL_SOCKET, SO_REUSEPORT), 0);
    ck_assert_int_eq(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    ck_assert_int_eq(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
    ck_assert_int_eq(sockopt(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);

    snprintf(want, sizeof(want), "127.0.0.1:%d", local_port(fd));
    ck_assert_int_ne(local_port(fd), 0);
    ck_assert_int_eq(pf_sockname(fd, name, sizeof(name)), (int) strlen(want));
    ck_assert_str_eq(name, want);
    c = th_connect(want);
    ck_assert_int_ge(c, 0);
    close(c);
    close(fd);
}
END_TEST


START_TEST(listen_reuseport)
{
    char  addr[64];
    int   a, b;

    a = pf_listen("127.0.0.1:0", 16, PF_LISTEN_REUSEPORT);
    ck_assert_int_ge(a, 0);
    ck_assert_int_eq(sockopt(a, SOL_SOCKET, SO_REUSEPORT), 1);
    /* A second listener on the same port is what --reuse-port is for. */
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", local_port(a));
    b = pf_listen(addr, 16, PF_LISTEN_REUSEPORT);
    ck_assert_msg(b >= 0, "%s", th_logged());
    ck_assert_int_eq(local_port(b), local_port(a));
    close(a);
    close(b);
}
END_TEST


START_TEST(listen_in_use)
{
    char  addr[64];
    int   a, before;

    a = pf_listen("127.0.0.1:0", 16, 0);
    ck_assert_int_ge(a, 0);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", local_port(a));
    before = th_count_fds(0);
    ck_assert_int_eq(pf_listen(addr, 16, 0), -1);
    ck_assert_int_eq(errno, EADDRINUSE);
    ck_assert_int_eq(th_count_fds(0), before);
    ck_assert_msg(strstr(th_logged(), "bind(") != NULL
                  && strstr(th_logged(), addr) != NULL
                  && strstr(th_logged(), strerror(EADDRINUSE)) != NULL,
                  "log: %s", th_logged());
    close(a);
}
END_TEST


START_TEST(listen_bad_port)
{
    int  before = th_count_fds(0);

    ck_assert_int_eq(pf_listen("127.0.0.1:x", 16, 0), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_str_eq(th_logged(), "'x' is not a valid port number.\n");
    ck_assert_int_eq(th_count_fds(0), before);
}
END_TEST


START_TEST(listen_socket_fails)
{
    struct rlimit  rl;
    int            fill[64], n = 0, before = th_count_fds(0);

    /* No fd left: socket() itself fails, and says so. */
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    rl.rlim_cur = (rlim_t) before + 4;
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    while (n < 64 && (fill[n] = dup(0)) != -1) {
        n++;
    }
    ck_assert_int_eq(errno, EMFILE);
    ck_assert_int_eq(pf_listen("127.0.0.1:0", 16, 0), -1);
    ck_assert_int_eq(errno, EMFILE);
    ck_assert_msg(strstr(th_logged(), "socket(127.0.0.1:0) failed") != NULL,
                  "log: %s", th_logged());
    while (n > 0) {
        close(fill[--n]);
    }
    ck_assert_int_eq(th_count_fds(0), before);
}
END_TEST


START_TEST(listen_ipv6)
{
    char  name[64], want[64];
    int   fd, c;

    fd = pf_listen("[::1]:0", 16, 0);
    ck_assert_msg(fd >= 0, "%s", th_logged());
    ck_assert_int_eq(sockopt(fd, IPPROTO_TCP, TCP_NODELAY), 1);
    snprintf(want, sizeof(want), "[::1]:%d", local_port(fd));
    pf_sockname(fd, name, sizeof(name));
    ck_assert_str_eq(name, want);
    c = th_connect(want);
    ck_assert_int_ge(c, 0);
    close(c);
    close(fd);
}
END_TEST


/* ---- pf_listen over unix sockets ---- */

START_TEST(listen_unix)
{
    char         path[512], addr[600], name[600];
    struct stat  st;
    int          fd, c;

    snprintf(path, sizeof(path), "%s/a.sock", tmpdir);
    snprintf(addr, sizeof(addr), "unix:%s", path);
    fd = pf_listen(addr, 16, 0);
    ck_assert_msg(fd >= 0, "%s", th_logged());
    ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    ck_assert_int_eq(sockopt(fd, SOL_SOCKET, SO_ACCEPTCONN), 1);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(pf_sockname(fd, name, sizeof(name)), (int) strlen(addr));
    ck_assert_str_eq(name, addr);
    c = th_connect(addr);
    ck_assert_int_ge(c, 0);
    close(c);
    close(fd);
}
END_TEST


START_TEST(listen_unix_stale)
{
    char         path[512], addr[600];
    struct stat  st;
    int          fd, c;

    snprintf(path, sizeof(path), "%s/a.sock", tmpdir);
    snprintf(addr, sizeof(addr), "unix:%s", path);
    fd = pf_listen(addr, 16, 0);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));

    /* The file of a closed socket is stale: without its removal, bind()
     * fails with EADDRINUSE. */
    fd = pf_listen(addr, 16, 0);
    ck_assert_msg(fd >= 0, "%s", th_logged());
    c = th_connect(addr);
    ck_assert_int_ge(c, 0);
    close(c);
    close(fd);
}
END_TEST


/* A socket someone accepts on is not stale: a second server must not
 * take the running one's address away (gunicorn does). */
START_TEST(listen_unix_live_not_stolen)
{
    char         path[512], addr[600];
    struct stat  st1, st2;
    int          fd, fd2, c;

    snprintf(path, sizeof(path), "%s/live.sock", tmpdir);
    snprintf(addr, sizeof(addr), "unix:%s", path);
    fd = pf_listen(addr, 16, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(stat(path, &st1), 0);
    fd2 = pf_listen(addr, 16, 0);
    ck_assert_int_eq(fd2, -1);
    ck_assert_int_eq(errno, EADDRINUSE);
    ck_assert_ptr_nonnull(strstr(th_logged(), "another process listens on it"));
    ck_assert_int_eq(stat(path, &st2), 0);
    ck_assert(st1.st_ino == st2.st_ino);            /* same file */
    c = th_connect(addr);                           /* still served */
    ck_assert_int_ge(c, 0);
    close(c);
    close(fd);
}
END_TEST


/* A socket file whose staleness cannot be proven (here a datagram
 * socket: connect() says EPROTOTYPE, not ECONNREFUSED) is left alone. */
START_TEST(listen_unix_unknown_socket_left_alone)
{
    struct sockaddr_un  sun;
    char                path[sizeof(sun.sun_path)], addr[600];
    struct stat         st1, st2;
    int                 d;

    ck_assert_int_lt(snprintf(path, sizeof(path), "%s/dgram.sock", tmpdir),
                     (int) sizeof(path));
    snprintf(addr, sizeof(addr), "unix:%s", path);
    d = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, sizeof(path));
    ck_assert_int_eq(bind(d, (struct sockaddr *) &sun, sizeof(sun)), 0);
    ck_assert_int_eq(stat(path, &st1), 0);
    ck_assert_int_eq(pf_listen(addr, 16, 0), -1);
    ck_assert_int_eq(errno, EPROTOTYPE);
    ck_assert_ptr_nonnull(strstr(th_logged(),
                                 "to test whether the socket file is stale"));
    ck_assert_int_eq(stat(path, &st2), 0);
    ck_assert(st1.st_ino == st2.st_ino);
    close(d);
}
END_TEST


static void
slurp(const char *path, char *buf, size_t cap)
{
    int      fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t  n;

    ck_assert_int_ge(fd, 0);
    n = read(fd, buf, cap - 1);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
    close(fd);
}


START_TEST(listen_unix_not_socket)
{
    char  path[512], addr[600], buf[64];
    int   fd, before;

    snprintf(path, sizeof(path), "%s/precious", tmpdir);
    snprintf(addr, sizeof(addr), "unix:%s", path);
    fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "keep me\n", 8), 8);
    close(fd);

    before = th_count_fds(0);
    ck_assert_int_eq(pf_listen(addr, 16, 0), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    ck_assert_int_eq(th_count_fds(0), before);
    ck_assert_msg(strstr(th_logged(), "is not a socket") != NULL, "%s",
                  th_logged());
    slurp(path, buf, sizeof(buf));
    ck_assert_str_eq(buf, "keep me\n");
}
END_TEST


START_TEST(listen_unix_symlink)
{
    char         sock[512], link[512], addr[600];
    struct stat  st;
    int          fd;

    /* A symbolic link is not a socket even when it points at one. */
    snprintf(sock, sizeof(sock), "%s/real.sock", tmpdir);
    snprintf(link, sizeof(link), "%s/link.sock", tmpdir);
    snprintf(addr, sizeof(addr), "unix:%s", sock);
    fd = pf_listen(addr, 16, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(symlink(sock, link), 0);
    snprintf(addr, sizeof(addr), "unix:%s", link);
    ck_assert_int_eq(pf_listen(addr, 16, 0), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    ck_assert_int_eq(lstat(link, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
    ck_assert_int_eq(stat(sock, &st), 0);
    close(fd);
}
END_TEST


START_TEST(listen_unix_no_dir)
{
    char  addr[600];
    int   before = th_count_fds(0);

    snprintf(addr, sizeof(addr), "unix:%s/missing/a.sock", tmpdir);
    ck_assert_int_eq(pf_listen(addr, 16, 0), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(th_count_fds(0), before);
    ck_assert_msg(strstr(th_logged(), "bind(unix:") != NULL, "%s", th_logged());
}
END_TEST


START_TEST(listen_unix_relative)
{
    char         path[512];
    struct stat  st;
    int          fd;

    /* gunicorn's quirk: unix://var/x is relative to the working dir. */
    snprintf(path, sizeof(path), "%s/var", tmpdir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(chdir(tmpdir), 0);
    fd = pf_listen("unix://var/x.sock", 16, 0);
    ck_assert_msg(fd >= 0, "%s", th_logged());
    snprintf(path, sizeof(path), "%s/var/x.sock", tmpdir);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(S_ISSOCK(st.st_mode));
    ck_assert_int_eq(pf_listen_matches(fd, "unix:var/x.sock"), 1);
    close(fd);
}
END_TEST


START_TEST(listen_unix_abstract)
{
    char  addr[64], name[64];
    int   fd, c;

    snprintf(addr, sizeof(addr), "unix:@pftest-%d", (int) getpid());
    fd = pf_listen(addr, 16, 0);
    ck_assert_msg(fd >= 0, "%s", th_logged());
    ck_assert_int_eq(pf_sockname(fd, name, sizeof(name)), (int) strlen(addr));
    ck_assert_str_eq(name, addr);
    ck_assert_int_eq(pf_listen_matches(fd, addr), 1);
    /* The same name as a path is another address. */
    snprintf(name, sizeof(name), "unix:pftest-%d", (int) getpid());
    ck_assert_int_eq(pf_listen_matches(fd, name), 0);
    c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    {
        pf__addr  a;

        ck_assert_int_eq(pf__addr_parse(addr, &a), 0);
        ck_assert_int_eq(connect(c, (struct sockaddr *) &a.sa, a.salen), 0);
    }
    close(c);
    close(fd);
}
END_TEST


/* ---- fd://N ---- */

START_TEST(listen_fd)
{
    struct sockaddr_in  sin;
    char                addr[32], want[64];
    int                 s, c;

    s = socket(AF_INET, SOCK_STREAM, 0);   /* blocking, inheritable */
    ck_assert_int_ge(s, 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *) &sin, sizeof(sin)), 0);

    snprintf(addr, sizeof(addr), "fd://%d", s);
    ck_assert_int_eq(pf_listen(addr, 16, PF_LISTEN_REUSEPORT), s);
    ck_assert(fcntl(s, F_GETFL) & O_NONBLOCK);
    ck_assert(fcntl(s, F_GETFD) & FD_CLOEXEC);
    ck_assert_int_eq(sockopt(s, SOL_SOCKET, SO_ACCEPTCONN), 1);
    ck_assert_int_eq(sockopt(s, SOL_SOCKET, SO_REUSEADDR), 1);
    ck_assert_int_eq(sockopt(s, SOL_SOCKET, SO_REUSEPORT), 1);
    ck_assert_int_eq(sockopt(s, IPPROTO_TCP, TCP_NODELAY), 1);
    snprintf(want, sizeof(want), "127.0.0.1:%d", local_port(s));
    c = th_connect(want);
    ck_assert_int_ge(c, 0);
    close(c);
    ck_assert_int_eq(pf_listen_matches(s, addr), 1);
    ck_assert_int_eq(pf_listen_matches(s + 1, addr), 0);
    close(s);
}
END_TEST


START_TEST(listen_fd_bad)
{
    char  addr[32];
    int   p[2], before, s;

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    close(p[1]);
    before = th_count_fds(0);

    snprintf(addr, sizeof(addr), "fd://%d", p[1]);     /* closed */
    ck_assert_int_eq(pf_listen(addr, 16, 0), -1);
    ck_assert_int_eq(errno, EBADF);
    ck_assert_msg(strstr(th_logged(), "fstat(fd://") != NULL, "%s",
                  th_logged());

    snprintf(addr, sizeof(addr), "fd://%d", p[0]);     /* a pipe */
    ck_assert_int_eq(pf_listen(addr, 16, 0), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    ck_assert_int_ne(fcntl(p[0], F_GETFD), -1);        /* not closed */

    /* A datagram socket cannot listen: the call is named. */
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(s, 0);
    snprintf(addr, sizeof(addr), "fd://%d", s);
    th_log_clear();
    ck_assert_int_eq(pf_listen(addr, 16, 0), -1);
    ck_assert_int_eq(errno, EOPNOTSUPP);
    ck_assert_msg(strstr(th_logged(), "listen(fd://") != NULL, "%s",
                  th_logged());
    ck_assert_int_eq(fcntl(s, F_GETFL) & O_NONBLOCK, 0);   /* untouched */
    ck_assert_int_eq(th_count_fds(0), before + 1);
    close(s);
    close(p[0]);
}
END_TEST


/* ---- pf_sockname ---- */

START_TEST(sockname_truncates)
{
    char  buf[8], full[64];
    int   fd, n;

    fd = pf_listen("127.0.0.1:0", 4, 0);
    ck_assert_int_ge(fd, 0);
    n = pf_sockname(fd, full, sizeof(full));
    ck_assert_int_eq(pf_sockname(fd, buf, sizeof(buf)), n);
    ck_assert_int_eq(strlen(buf), sizeof(buf) - 1);
    ck_assert_int_eq(strncmp(buf, full, sizeof(buf) - 1), 0);
    ck_assert_int_eq(pf_sockname(fd, NULL, 0), n);
    close(fd);
}
END_TEST


START_TEST(sockname_errors)
{
    char  buf[64];
    int   sv[2], p[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
                     0);
    ck_assert_int_eq(pf_sockname(sv[0], buf, sizeof(buf)), 5);
    ck_assert_str_eq(buf, "unix:");       /* unnamed */
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    ck_assert_int_eq(pf_sockname(p[0], buf, sizeof(buf)), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    ck_assert_int_eq(pf_sockname(sv[0], NULL, 4), -1);
    ck_assert_int_eq(errno, EINVAL);
    close(sv[0]); close(sv[1]); close(p[0]); close(p[1]);
}
END_TEST


/* ---- pf_listen_matches ---- */

START_TEST(matches_tcp)
{
    char  a[64];
    int   fd, port;

    fd = pf_listen("127.0.0.1:0", 16, 0);
    ck_assert_int_ge(fd, 0);
    port = local_port(fd);
    snprintf(a, sizeof(a), "127.0.0.1:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 1);
    snprintf(a, sizeof(a), "tcp://localhost:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 1);
    snprintf(a, sizeof(a), "127.0.0.1:%d", port == 65535 ? 1 : port + 1);
    ck_assert_int_eq(pf_listen_matches(fd, a), 0);
    snprintf(a, sizeof(a), "127.0.0.2:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 0);
    snprintf(a, sizeof(a), "0.0.0.0:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 0);
    snprintf(a, sizeof(a), "[::1]:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 0);
    ck_assert_int_eq(pf_listen_matches(fd, "unix:/x"), 0);
    ck_assert_int_eq(pf_listen_matches(fd, "127.0.0.1:x"), -1);
    ck_assert_int_eq(errno, EINVAL);
    close(fd);
}
END_TEST


START_TEST(matches_any_and_v6)
{
    char  a[64];
    int   fd, port;

    fd = pf_listen(":0", 16, 0);
    ck_assert_int_ge(fd, 0);
    port = local_port(fd);
    snprintf(a, sizeof(a), ":%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 1);
    snprintf(a, sizeof(a), "0.0.0.0:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 1);
    snprintf(a, sizeof(a), "127.0.0.1:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 0);
    close(fd);

    fd = pf_listen("[::1]:0", 16, 0);
    ck_assert_int_ge(fd, 0);
    port = local_port(fd);
    snprintf(a, sizeof(a), "[::1]:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 1);
    snprintf(a, sizeof(a), "[::]:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 0);
    snprintf(a, sizeof(a), "127.0.0.1:%d", port);
    ck_assert_int_eq(pf_listen_matches(fd, a), 0);
    close(fd);
}
END_TEST


START_TEST(matches_unix)
{
    char  addr[600];
    int   fd, bad;

    snprintf(addr, sizeof(addr), "unix:%s/m.sock", tmpdir);
    fd = pf_listen(addr, 16, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pf_listen_matches(fd, addr), 1);
    strcat(addr, "x");
    ck_assert_int_eq(pf_listen_matches(fd, addr), 0);
    ck_assert_int_eq(pf_listen_matches(fd, "127.0.0.1:8000"), 0);
    ck_assert_int_eq(pf_listen_matches(fd, "unix:@m.sock"), 0);

    bad = open("/dev/null", O_RDONLY | O_CLOEXEC);
    ck_assert_int_eq(pf_listen_matches(bad, "unix:/x"), -1);
    ck_assert_int_eq(errno, ENOTSOCK);
    close(bad);
    close(fd);
}
END_TEST


Suite *
sockets_suite(void)
{
    Suite  *s = suite_create("sockets");
    TCase  *tc;

    tc = tcase_create("parse");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, parse_forms, 0,
                        (int) (sizeof(forms) / sizeof(forms[0])));
    tcase_add_loop_test(tc, parse_bad_forms, 0,
                        (int) (sizeof(bad_forms) / sizeof(bad_forms[0])));
    tcase_add_test(tc, parse_unix_too_long);
    tcase_add_test(tc, parse_host_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("listen");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, listen_tcp_options);
    tcase_add_test(tc, listen_reuseport);
    tcase_add_test(tc, listen_in_use);
    tcase_add_test(tc, listen_bad_port);
    tcase_add_test(tc, listen_socket_fails);
    tcase_add_test(tc, listen_ipv6);
    tcase_add_test(tc, listen_unix);
    tcase_add_test(tc, listen_unix_stale);
    tcase_add_test(tc, listen_unix_live_not_stolen);
    tcase_add_test(tc, listen_unix_unknown_socket_left_alone);
    tcase_add_test(tc, listen_unix_not_socket);
    tcase_add_test(tc, listen_unix_symlink);
    tcase_add_test(tc, listen_unix_no_dir);
    tcase_add_test(tc, listen_unix_relative);
    tcase_add_test(tc, listen_unix_abstract);
    tcase_add_test(tc, listen_fd);
    tcase_add_test(tc, listen_fd_bad);
    suite_add_tcase(s, tc);

    tc = tcase_create("sockname");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, sockname_truncates);
    tcase_add_test(tc, sockname_errors);
    tcase_add_test(tc, matches_tcp);
    tcase_add_test(tc, matches_any_and_v6);
    tcase_add_test(tc, matches_unix);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * libprefork: listening sockets and their inheritance.
 *
 * Address syntax (gunicorn's --bind):
 *   HOST            HOST:8000              "" or ":PORT" -> 0.0.0.0
 *   HOST:PORT       [V6ADDR]:PORT          [V6ADDR] -> port 8000
 *   tcp://HOST[:PORT]
 *   unix:PATH       unix://PATH            (unix://var/x is relative: var/x)
 *   fd://N          an already-open listening socket
 * Host names resolve to IPv4, as gunicorn's do.
 */
#ifndef PREFORK_SOCKETS_H
#define PREFORK_SOCKETS_H

#include <stddef.h>
#include <prefork/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PF_LISTEN_REUSEPORT  0x1u   /* SO_REUSEPORT (gunicorn --reuse-port) */

#define PF_DEFAULT_PORT      8000

/* Bind and listen on addr.  Returns the listening fd (O_NONBLOCK|O_CLOEXEC,
 * SO_REUSEADDR, TCP_NODELAY for TCP), or -1 with errno:
 *   EINVAL   malformed address or port (the reason is logged, e.g.
 *            "'x' is not a valid port number.")
 *   ENOTSOCK unix: PATH exists and is not a socket (it is never removed)
 *   EBADF    fd://N is not an open socket
 *   EADDRINUSE  also: unix: a process accepts on PATH (it is not stale)
 *   anything socket(2), bind(2) or listen(2) return.
 * A stale unix socket file (connecting to it is refused) is removed first;
 * when staleness cannot be established the connect(2) errno is returned.
 * fd://N returns N itself. */
PF_API int  pf_listen(const char *addr, int backlog, unsigned flags);

/* Collect listening fds handed over by a parent.  First systemd's
 * LISTEN_PID/LISTEN_FDS (only when LISTEN_PID == getpid(); fds from 3),
 * otherwise <prefix>_FD="3,4" (prefix NULL = "PREFORK"; the USR2 re-exec
 * variable, "GUNICORN" gives gunicorn's GUNICORN_FD).  The variables used are
 * unset; fds are made O_NONBLOCK|O_CLOEXEC.  Fills at most max fds and
 * returns the count (0 when nothing was inherited), or -1 with errno
 * (EINVAL: a malformed variable or an fd that is no socket; E2BIG: more
 * than max fds; fcntl(2) errors).  *from_systemd (may be NULL) tells which. */
PF_API int  pf_listen_inherited(int *fds, int max, const char *prefix,
                                int *from_systemd);

/* Does fd's getsockname() equal the address addr names?  1 yes, 0 no,
 * -1 with errno (EINVAL for a malformed addr).  Used to reuse an inherited
 * socket instead of binding the same address again. */
PF_API int  pf_listen_matches(int fd, const char *addr);

/* Write fd's local address as "127.0.0.1:8000", "[::1]:8000" or
 * "unix:/run/a.sock" into buf (NUL-terminated, truncated to len).  Returns
 * the untruncated length, or -1 with errno. */
PF_API int  pf_sockname(int fd, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PREFORK_SOCKETS_H */

/* lib/log test helpers: receivers on real sockets, files, fixed time. */
#ifndef PF_TESTS_LOG_TL_H
#define PF_TESTS_LOG_TL_H

#include <stddef.h>
#include <sys/types.h>

#include "log.h"

/* 2026-11-22 14:09:59 UTC, the time of gunicorn's observed default line. */
#define TL_NOW  ((time_t) 1795356599)

/* TZ for this (forked) test process. */
void     tl_tz(const char *tz);

/* A UDP socket bound to 127.0.0.1 on a free port (*port). */
int      tl_udp_receiver(int *port);

/* A datagram (or, with type SOCK_STREAM, listening) unix socket at path. */
int      tl_unix_receiver(const char *path, int type);

/* A TCP listener on 127.0.0.1 (*port). */
int      tl_tcp_listener(int *port);

/* One datagram within ms; its length (NUL-terminated in buf), -1 if none. */
ssize_t  tl_recv(int fd, char *buf, size_t cap, int ms);

/* 1 when nothing arrives within ms. */
int      tl_quiet(int fd, int ms);

/* The whole file, NUL-terminated; its length or -1. */
ssize_t  tl_slurp(const char *path, char *buf, size_t cap);

/* "dir/name" into a static buffer per call slot (0..3). */
const char *tl_path(const char *dir, const char *name, int slot);

/* A record of "GET / HTTP/1.1" from 127.0.0.1 answered 200 with 3 bytes
 * at TL_NOW, pid 4242, no headers. */
void     tl_rec(pfw_access_rec *r);

/* Compile fmt (must succeed) and render r into out (NUL-terminated). */
void     tl_render(const char *fmt, const pfw_access_rec *r, char *out,
    size_t cap);

#endif

/*
 * The request body, for wsgi.input.  Bytes live in the connection buffer:
 * Content-Length bodies are handed out as they are, chunked ones are
 * decoded in place ([bpos, bend) decoded, [bend, len) raw), so the app
 * never sees a byte past the body, and pipelined bytes after it stay for
 * the next request.  Blocking connections read on demand.  Async ones have
 * the whole body in before the app runs: up to BODY_BUFFER bytes in the
 * buffer where recv() put them (wsgi.input copies them once, into the
 * bytes it returns), past that in an anonymous temp file (srv->spool, the
 * ev kind), so a slow uploader costs a watcher and a file, never the
 * worker, and a big one no memory.  Without srv->spool (gthread) a body
 * past BODY_BUFFER is read on demand by the pool thread (c->bblock).
 *
 * An async Content-Length body that has not arrived with its head (and
 * fits in BODY_BUFFER) is read straight into a bytes object of its size
 * (c->bbytes): only what came in the head's read passes through the
 * buffer, and wsgi.input.read() of the whole body returns that object
 * itself.  The body is then copied once, by the kernel, into the bytes
 * the app gets.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY_BUFFER   (1024 * 1024)
#define DRAIN_MAX     65536
#define DIRECT_MIN    8192
#define SPOOL_CHUNK   65536          /* recv room while spooling */
#define WIN_SIZE      65536          /* read window over the spool */
#define READ_ROOM     8192           /* the least a read reserves */


void
pfw_body_begin(pfw_conn *c)
{
    c->bkind = c->req.body;
    c->bpos = c->pos + c->head_len;
    c->bend = c->bpos;
    c->bleft = c->bkind == PFH_BODY_LENGTH ? c->req.content_length : 0;
    c->bdone = c->bkind != PFH_BODY_CHUNKED;
    c->berr = 0;
    c->bblock = 0;
    pfw_body_release(c);
    memset(&c->chk, 0, sizeof(c->chk));
}


void
pfw_body_release(pfw_conn *c)
{
    /* only a loop holding the GIL (ev) ever sets bbytes */
    Py_CLEAR(c->bbytes);
    c->bbfill = c->bboff = 0;
    if (c->sfd >= 0) {
        close(c->sfd);
        c->sfd = -1;
    }
    c->sleft = c->sfill = c->soff = 0;
    c->wpos = c->wlen = 0;
    PyMem_RawFree(c->win);
    c->win = NULL;
}


/* An anonymous file for the body: O_TMPFILE where the file system has it,
 * else a named file unlinked at once. */
static int
spool_open(pfw_conn *c)
{
    const char  *dir = getenv("TMPDIR");
    char         path[PATH_MAX];
    int          fd;

    if (dir == NULL || dir[0] == '\0') {
        dir = "/tmp";
    }
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd == -1) {
        if (snprintf(path, sizeof(path), "%s/pfw-body-XXXXXX", dir)
            >= (int) sizeof(path))
        {
            errno = ENAMETOOLONG;
        } else if ((fd = mkostemp(path, O_CLOEXEC)) != -1) {
            unlink(path);
        }
    }
    if (fd == -1) {
        pf_log_errno(PF_LOG_ERROR, errno,
                     "open(%s) for a request body failed", dir);
        return -1;
    }
    c->sfd = fd;
    c->sfill = c->soff = 0;
    c->wpos = c->wlen = 0;
    return 0;
}


/* Move n bytes at bpos into the file; what follows them (the rest of the
 * input) slides down to bpos. */
static int
spool_take(pfw_conn *c, size_t n)
{
    const char  *p = c->buf + c->bpos;
    size_t       left = n;
    ssize_t      w;

    while (left > 0) {
        w = write(c->sfd, p, left);
        if (w == -1 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            pf_log_errno(PF_LOG_ERROR, w == 0 ? EIO : errno,
                         "write() of a spooled request body failed");
            return -1;
        }
        p += w;
        left -= (size_t) w;
    }
    memmove(c->buf + c->bpos, c->buf + c->bpos + n, c->len - c->bpos - n);
    c->len -= n;
    c->sfill += n;
    return 0;
}


/* The body is all in the file: reading starts at its first byte, the
 * bytes after it in the buffer are the next request. */
static int
spool_done(pfw_conn *c)
{
    c->bend = c->bpos;
    c->soff = 0;
    c->wpos = c->wlen = 0;
    return PFW_DONE;
}


static int
spool_failed(pfw_conn *c)
{
    pfw_conn_error(c, 500, "");
    return PFW_CLOSE;
}


static int
spool_length(pfw_conn *c, int eof)
{
    size_t  n;

    if (c->sfd < 0) {
        if (spool_open(c) == -1) {
            return spool_failed(c);
        }
        c->sleft = c->bleft;
    }
    n = c->len - c->bpos;
    if (n > c->sleft) {
        n = (size_t) c->sleft;
    }
    if (n > 0 && spool_take(c, n) == -1) {
        return spool_failed(c);
    }
    c->sleft -= n;
    if (c->sleft == 0) {
        return spool_done(c);
    }
    if (eof) {
        return PFW_CLOSE;
    }
    if (pfw_conn_reserve(c, SPOOL_CHUNK) == -1) {
        return spool_failed(c);
    }
    return PFW_AGAIN;
}


/* Chunked: what is decoded so far goes to the file. */
static int
spool_chunked(pfw_conn *c, int eof)
{
    size_t  n = c->bend - c->bpos;

    if (c->sfd < 0 && spool_open(c) == -1) {
        return spool_failed(c);
    }
    if (n > 0 && spool_take(c, n) == -1) {
        return spool_failed(c);
    }
    c->bend = c->bpos;
    if (c->bdone) {
        return spool_done(c);
    }
    if (eof) {
        return PFW_CLOSE;
    }
    if (pfw_conn_reserve(c, SPOOL_CHUNK) == -1) {
        return spool_failed(c);
    }
    return PFW_AGAIN;
}


/* Up to n bytes of the file at soff into dst: > 0, 0 at its end, -1. */
static ssize_t
spool_pread(pfw_conn *c, char *dst, size_t n)
{
    ssize_t  r;

    if (n > c->sfill - c->soff) {
        n = (size_t) (c->sfill - c->soff);
    }
    if (n == 0) {
        return 0;
    }
    do {
        r = pread(c->sfd, dst, n, (off_t) c->soff);
    } while (r == -1 && errno == EINTR);
    if (r <= 0) {
        pf_log_errno(PF_LOG_ERROR, r == 0 ? EIO : errno,
                     "pread() of a spooled request body failed");
        c->berr = EIO;
        errno = EIO;
        return -1;
    }
    c->soff += (uint64_t) r;
    return r;
}


static ssize_t
spool_peek(pfw_conn *c, const char **p)
{
    ssize_t  r;

    if (c->wpos == c->wlen) {
        if (c->win == NULL) {
            c->win = PyMem_RawMalloc(WIN_SIZE);
            if (c->win == NULL) {
                errno = ENOMEM;
                return -1;
            }
        }
        r = spool_pread(c, c->win, WIN_SIZE);
        if (r <= 0) {
            return r;
        }
        c->wpos = 0;
        c->wlen = (size_t) r;
    }
    *p = c->win + c->wpos;
    return (ssize_t) (c->wlen - c->wpos);
}


/* The window first, then large reads straight from the file. */
static ssize_t
spool_read(pfw_conn *c, char *dst, size_t n)
{
    const char  *p;
    size_t       got = 0, take;
    ssize_t      r;

    while (got < n) {
        if (c->wpos == c->wlen && n - got >= DIRECT_MIN) {
            r = spool_pread(c, dst + got, n - got);
            if (r > 0 && c->bkind == PFH_BODY_LENGTH) {
                c->bleft -= (uint64_t) r;
            }
        } else {
            r = spool_peek(c, &p);
            if (r > 0) {
                take = (size_t) r < n - got ? (size_t) r : n - got;
                memcpy(dst + got, p, take);
                pfw_body_consume(c, take);
                r = (ssize_t) take;
            }
        }
        if (r < 0) {
            return got > 0 ? (ssize_t) got : -1;
        }
        if (r == 0) {
            break;
        }
        got += (size_t) r;
    }
    return (ssize_t) got;
}


/* The body in bbytes: what is left of it at *p. */
static ssize_t
bytes_peek(pfw_conn *c, const char **p)
{
    *p = PyBytes_AS_STRING(c->bbytes) + c->bboff;
    return (ssize_t) (c->bbfill - c->bboff);
}


/* Worth a bytes object of its own: a Content-Length body, most of it
 * still to come, on a loop that holds the GIL (ev; gthread's loop does
 * not, and its pool threads read big bodies themselves). */
static int
bytes_wanted(const pfw_conn *c)
{
    size_t  avail = c->len - c->bpos;

    return c->bbytes == NULL && c->bleft <= BODY_BUFFER
           && avail < c->bleft && c->bleft - avail >= DIRECT_MIN
           && c->bleft == c->req.content_length && PyGILState_Check();
}


/* Move body bytes the buffer holds into bbytes; what follows the body
 * (the next request) slides down to bpos. */
static void
bytes_take(pfw_conn *c)
{
    size_t  n = c->len - c->bpos, room = c->bleft - c->bbfill;

    if (n > room) {
        n = room;
    }
    if (n == 0) {
        return;
    }
    memcpy(PyBytes_AS_STRING(c->bbytes) + c->bbfill, c->buf + c->bpos, n);
    c->bbfill += n;
    if (c->len - c->bpos > n) {
        memmove(c->buf + c->bpos, c->buf + c->bpos + n,
                c->len - c->bpos - n);
    }
    c->len -= n;
}


/* Fill bbytes from the socket until the body is in (PFW_DONE), the
 * socket is empty (PFW_AGAIN), or it failed (PFW_CLOSE). */
static int
bytes_fill(pfw_conn *c, int eof)
{
    size_t   room;
    ssize_t  r;

    if (c->bbytes == NULL) {
        c->bbytes = PyBytes_FromStringAndSize(NULL, (Py_ssize_t) c->bleft);
        if (c->bbytes == NULL) {
            PyErr_Clear();
            pfw_conn_error(c, 500, "");
            return PFW_CLOSE;
        }
        c->bbfill = c->bboff = 0;
    }
    bytes_take(c);
    while ((room = c->bleft - c->bbfill) > 0) {
        if (eof) {
            return PFW_CLOSE;
        }
        r = recv(c->fd, PyBytes_AS_STRING(c->bbytes) + c->bbfill, room, 0);
        if (r > 0) {
            c->bbfill += (size_t) r;
            continue;
        }
        if (r == -1 && errno == EINTR) {
            continue;
        }
        if (r == -1 && errno == EAGAIN) {
            return PFW_AGAIN;
        }
        return PFW_CLOSE;              /* EOF inside the body, or reset */
    }
    return PFW_DONE;
}


/* The whole body as one bytes object (new reference), when it was read
 * into one and nothing of it was consumed yet; else NULL, no error. */
PyObject *
pfw_body_take(pfw_conn *c, size_t want)
{
    PyObject  *b = c->bbytes;

    if (b == NULL || c->bboff != 0 || c->bbfill != c->bleft
        || want < c->bbfill || c->berr)
    {
        return NULL;
    }
    Py_INCREF(b);
    c->bboff = c->bbfill;
    c->bleft = 0;
    return b;
}


static void
decode(pfw_conn *c)
{
    size_t   n = c->len - c->bend;
    ssize_t  r;

    r = pfh_decode_chunked(&c->chk, c->buf + c->bend, &n, &c->srv->app->http);
    if (r == -1) {
        c->berr = EPROTO;
        return;
    }
    if (r >= 0) {
        c->bdone = 1;
        c->len = c->bend + n + (size_t) r;
    } else {
        c->len = c->bend + n;
    }
    c->bend += n;
}


/* Drop consumed bytes from the front once the head is no longer used. */
static void
compact(pfw_conn *c)
{
    size_t  off = c->bpos;

    if (c->head_live || off == 0) {
        return;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
    c->bend -= off;
    c->bpos = 0;
    c->pos = 0;
}


/* Get more input for the body: 0, or -1 with c->berr set. */
static int
fill(pfw_conn *c)
{
    long long  deadline;
    ssize_t    r;

    if (c->io == PFW_IO_ASYNC && !c->bblock) {
        c->berr = EIO;                     /* buffered: cannot happen */
        return -1;
    }
    compact(c);
    deadline = pfw_now_ms() + c->srv->io_ms;
    for ( ;; ) {
        r = pfw_conn_recv(c);
        if (r > 0) {
            return 0;
        }
        if (r == 0) {
            c->berr = ECONNRESET;          /* EOF inside the body */
            return -1;
        }
        if (errno != EAGAIN) {
            c->berr = errno == ENOMEM ? ENOMEM : ECONNRESET;
            return -1;
        }
        r = pfw_conn_wait(c, POLLIN, deadline);
        if (r != 1) {
            c->berr = r == 0 ? ETIMEDOUT : EIO;
            return -1;
        }
    }
}


ssize_t
pfw_body_peek(pfw_conn *c, const char **p)
{
    size_t  avail;

    for ( ;; ) {
        if (c->berr) {
            errno = c->berr;
            return -1;
        }
        if (c->sfd >= 0) {
            return spool_peek(c, p);
        }
        if (c->bbytes != NULL) {
            return bytes_peek(c, p);
        }
        switch (c->bkind) {
        case PFH_BODY_LENGTH:
            if (c->bleft == 0) {
                return 0;
            }
            avail = c->len - c->bpos;
            if (avail > 0) {
                *p = c->buf + c->bpos;
                return (ssize_t) (avail < c->bleft ? avail : c->bleft);
            }
            break;
        case PFH_BODY_CHUNKED:
            if (c->bend > c->bpos) {
                *p = c->buf + c->bpos;
                return (ssize_t) (c->bend - c->bpos);
            }
            if (c->bdone) {
                return 0;
            }
            if (c->len > c->bend) {
                decode(c);
                continue;
            }
            break;
        default:
            return 0;
        }
        if (fill(c) == -1) {
            errno = c->berr;
            return -1;
        }
    }
}


void
pfw_body_consume(pfw_conn *c, size_t n)
{
    if (c->sfd >= 0) {
        c->wpos += n;
    } else if (c->bbytes != NULL) {
        c->bboff += n;
    } else {
        c->bpos += n;
    }
    if (c->bkind == PFH_BODY_LENGTH) {
        c->bleft -= n;
    }
}


/* Large reads of a Content-Length body with nothing buffered go straight
 * from the socket into the caller's buffer, never past the body. */
static ssize_t
read_direct(pfw_conn *c, char *dst, size_t n)
{
    long long  deadline = pfw_now_ms() + c->srv->io_ms;
    ssize_t    r;

    if (n > c->bleft) {
        n = (size_t) c->bleft;
    }
    for ( ;; ) {
        r = recv(c->fd, dst, n, 0);
        if (r > 0) {
            c->bleft -= (uint64_t) r;
            return r;
        }
        if (r == 0) {
            c->berr = ECONNRESET;
            break;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno != EAGAIN) {
            c->berr = ECONNRESET;
            break;
        }
        r = pfw_conn_wait(c, POLLIN, deadline);
        if (r != 1) {
            c->berr = r == 0 ? ETIMEDOUT : EIO;
            break;
        }
    }
    errno = c->berr;
    return -1;
}


ssize_t
pfw_body_read(pfw_conn *c, char *dst, size_t n)
{
    const char  *p;
    size_t       got = 0;
    ssize_t      r;

    if (c->sfd >= 0) {
        if (c->berr) {
            errno = c->berr;
            return -1;
        }
        return spool_read(c, dst, n);
    }
    while (got < n) {
        if (c->bkind == PFH_BODY_LENGTH && c->bpos == c->len && !c->berr
            && c->bbytes == NULL
            && c->bleft > 0 && n - got >= DIRECT_MIN && !c->head_live
            && (c->io == PFW_IO_BLOCK || c->bblock))
        {
            r = read_direct(c, dst + got, n - got);
        } else {
            r = pfw_body_peek(c, &p);
            if (r > 0) {
                if ((size_t) r > n - got) {
                    r = (ssize_t) (n - got);
                }
                memcpy(dst + got, p, (size_t) r);
                pfw_body_consume(c, (size_t) r);
            }
        }
        if (r < 0) {
            return got > 0 ? (ssize_t) got : -1;
        }
        if (r == 0) {
            break;
        }
        got += (size_t) r;
    }
    return (ssize_t) got;
}


/* A chunked body (of unknown size) stays in memory while it fits in
 * BODY_BUFFER together with its head and the room of the next read: past
 * that the buffer would double, to 2 MiB, for its last few bytes. */
static int
chunked_big(const pfw_conn *c)
{
    return c->len + READ_ROOM > BODY_BUFFER;
}


int
pfw_body_prefetch(pfw_conn *c, int eof)
{
    size_t  want;

    switch (c->bkind) {
    case PFH_BODY_LENGTH:
        if (c->sfd >= 0 || (c->srv->spool && c->bleft > BODY_BUFFER)) {
            return spool_length(c, eof);
        }
        if (c->bbytes != NULL || bytes_wanted(c)) {
            return bytes_fill(c, eof);
        }
        if (c->len - c->bpos >= c->bleft) {
            return PFW_DONE;
        }
        want = c->bpos + (size_t) c->bleft;
        if (c->bleft > BODY_BUFFER) {
            c->bblock = 1;
            return PFW_DONE;
        }
        if (eof) {
            return PFW_CLOSE;
        }
        if (pfw_conn_reserve(c, want - c->len) == -1) {
            pfw_conn_error(c, 500, "");
            return PFW_CLOSE;
        }
        return PFW_AGAIN;
    case PFH_BODY_CHUNKED:
        if (!c->bdone && c->len > c->bend) {
            decode(c);
        }
        if (c->berr) {
            /* found before the app ran: a page, then close */
            pfw_conn_error(c, c->chk.status ? c->chk.status : 400,
                           c->chk.error ? c->chk.error
                                        : "Invalid chunked body");
            return PFW_CLOSE;
        }
        if (c->bdone && c->sfd < 0) {
            return PFW_DONE;
        }
        if (c->sfd >= 0 || (c->srv->spool && chunked_big(c))) {
            return spool_chunked(c, eof);
        }
        if (chunked_big(c)) {
            c->bblock = 1;
            return PFW_DONE;
        }
        return eof ? PFW_CLOSE : PFW_AGAIN;
    default:
        return PFW_DONE;
    }
}


/* The next request starts at pos. */
static int
next_request(pfw_conn *c, size_t pos)
{
    int  r = c->berr ? PFW_CLOSE : PFW_DONE;

    c->pos = pos;
    c->bkind = PFH_BODY_NONE;
    if (c->pos == c->len) {
        /* nothing pipelined: the next request is read to the front of
         * the buffer, not after this one (to be moved there: a 64 KiB
         * body's worth of memmove per request) */
        c->pos = c->len = 0;
    }
    return r;
}


int
pfw_body_finish(pfw_conn *c)
{
    const char  *p;
    size_t       skipped = 0;
    ssize_t      r;

    if (c->sfd >= 0 || c->bbytes != NULL) {
        /* the socket is past the body already: nothing to skip */
        pfw_body_release(c);
        c->bleft = 0;
        return next_request(c, c->bpos);
    }
    if (c->bkind == PFH_BODY_LENGTH && c->bleft > DRAIN_MAX
        && c->bleft > c->len - c->bpos)
    {
        return PFW_CLOSE;                  /* too much left to skip */
    }
    for ( ;; ) {
        r = pfw_body_peek(c, &p);
        if (r <= 0) {
            break;
        }
        pfw_body_consume(c, (size_t) r);
        skipped += (size_t) r;
        if (skipped > BODY_BUFFER + DRAIN_MAX) {
            return PFW_CLOSE;
        }
    }
    if (r < 0 || c->berr) {
        return PFW_CLOSE;
    }
    return next_request(c, c->bkind == PFH_BODY_CHUNKED ? c->bend : c->bpos);
}

/*
 * The request body, for wsgi.input.  Bytes live in the connection buffer:
 * Content-Length bodies are handed out as they are, chunked ones are
 * decoded in place ([bpos, bend) decoded, [bend, len) raw), so the app
 * never sees a byte past the body, and pipelined bytes after it stay for
 * the next request.  Blocking connections read on demand; async ones have
 * the body buffered before the app runs (up to BODY_BUFFER bytes, past
 * which the rest is read on demand, blocking that worker: documented).
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>

#define BODY_BUFFER   (1024 * 1024)
#define DRAIN_MAX     65536
#define DIRECT_MIN    8192


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
    memset(&c->chk, 0, sizeof(c->chk));
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
    c->bpos += n;
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

    while (got < n) {
        if (c->bkind == PFH_BODY_LENGTH && c->bpos == c->len && !c->berr
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


int
pfw_body_prefetch(pfw_conn *c, int eof)
{
    size_t  want;

    switch (c->bkind) {
    case PFH_BODY_LENGTH:
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
            pfw_conn_error(c, c->chk.status ? c->chk.status : 400,
                           c->chk.error ? c->chk.error
                                        : "Invalid chunked body");
            return PFW_CLOSE;
        }
        if (c->bdone) {
            return PFW_DONE;
        }
        if (c->bend - c->bpos > BODY_BUFFER) {
            c->bblock = 1;
            return PFW_DONE;
        }
        return eof ? PFW_CLOSE : PFW_AGAIN;
    default:
        return PFW_DONE;
    }
}


int
pfw_body_finish(pfw_conn *c)
{
    const char  *p;
    size_t       skipped = 0;
    ssize_t      r;

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
    c->pos = c->bkind == PFH_BODY_CHUNKED ? c->bend : c->bpos;
    c->bkind = PFH_BODY_NONE;
    return PFW_DONE;
}

/*
 * The output queue: response bytes wait here as views into Python bytes
 * objects (no copy), small inline copies (chunk framing), or sendfile
 * ranges.  One sendmsg() takes every memory piece up to the next file
 * range, so the head and the first body chunk leave together.  The queue
 * array belongs to the connection and is reused request after request.
 *
 * On async connections a flush stops at EAGAIN (the caller parks the
 * response until the socket drains), and also after OUT_SLICE bytes: a
 * reader as fast as the server would otherwise keep one flush (a big
 * sendfile range) looping while the worker's other connections and its
 * heartbeat wait.
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#define QUEUE_MIN   16
#define IOV_BATCH   64
#define OUT_SLICE   (1024 * 1024)


static pfw_seg *
push(pfw_conn *c)
{
    pfw_seg  *q;
    size_t    cap;

    if (c->qn == c->qcap) {
        if (c->qhead > 0) {
            memmove(c->q, c->q + c->qhead,
                    (c->qn - c->qhead) * sizeof(pfw_seg));
            c->qn -= c->qhead;
            c->qhead = 0;
        }
        if (c->qn == c->qcap) {
            cap = c->qcap ? c->qcap * 2 : QUEUE_MIN;
            q = PyMem_RawRealloc(c->q, cap * sizeof(pfw_seg));
            if (q == NULL) {
                errno = ENOMEM;
                return NULL;
            }
            c->q = q;
            c->qcap = cap;
        }
    }
    q = &c->q[c->qn++];
    q->p = NULL;
    q->owner = NULL;
    q->fd = -1;
    q->off = 0;
    return q;
}


int
pfw_out_mem(pfw_conn *c, const char *p, size_t len, PyObject *owner)
{
    pfw_seg  *s;

    if (len == 0) {
        return 0;
    }
    if ((s = push(c)) == NULL) {
        return -1;
    }
    s->p = p;
    s->len = len;
    s->owner = owner;
    Py_XINCREF(owner);
    c->qbytes += len;
    return 0;
}


int
pfw_out_copy(pfw_conn *c, const char *p, size_t len)
{
    pfw_seg  *s;

    if (len == 0) {
        return 0;
    }
    if (len > sizeof(s->inl)) {
        errno = EINVAL;
        return -1;
    }
    if ((s = push(c)) == NULL) {
        return -1;
    }
    memcpy(s->inl, p, len);
    s->len = len;
    c->qbytes += len;
    return 0;
}


int
pfw_out_file(pfw_conn *c, int fd, off_t off, size_t len)
{
    pfw_seg  *s;

    if (len == 0) {
        return 0;
    }
    if ((s = push(c)) == NULL) {
        return -1;
    }
    s->fd = fd;
    s->off = off;
    s->len = len;
    c->qbytes += len;
    return 0;
}


static void
pop(pfw_conn *c)
{
    pfw_seg  *s = &c->q[c->qhead++];

    Py_CLEAR(s->owner);
    if (c->qhead == c->qn) {
        c->qhead = c->qn = 0;
    }
}


void
pfw_out_clear(pfw_conn *c)
{
    while (c->qhead < c->qn) {
        pop(c);
    }
    c->qbytes = 0;
}


/* Account n bytes written from the front of the queue. */
static void
advance(pfw_conn *c, size_t n)
{
    pfw_seg  *s;

    c->qbytes -= n;
    while (n > 0) {
        s = &c->q[c->qhead];
        if (n < s->len) {
            if (s->p != NULL) {
                s->p += n;
            } else {
                memmove(s->inl, s->inl + n, s->len - n);
            }
            s->len -= n;
            return;
        }
        n -= s->len;
        pop(c);
    }
}


/* Send what can go now: 1 sent something or nothing left, 0 would block,
 * -1 error. */
static int
send_some(pfw_conn *c)
{
    struct iovec   iov[IOV_BATCH];
    struct msghdr  msg;
    pfw_seg       *s = &c->q[c->qhead];
    ssize_t        r;
    size_t         i, n;

    if (s->fd >= 0) {
        r = sendfile(c->fd, s->fd, &s->off, s->len);
        if (r == 0) {
            errno = EIO;                   /* the file is shorter */
            return -1;
        }
        if (r > 0) {
            s->len -= (size_t) r;
            c->qbytes -= (size_t) r;
            if (s->len == 0) {
                pop(c);
            }
            return 1;
        }
    } else {
        n = 0;
        for (i = c->qhead; i < c->qn && n < IOV_BATCH; i++) {
            if (c->q[i].fd >= 0) {
                break;
            }
            iov[n].iov_base = c->q[i].p != NULL ? (void *) c->q[i].p
                                                : (void *) c->q[i].inl;
            iov[n].iov_len = c->q[i].len;
            n++;
        }
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = iov;
        msg.msg_iovlen = n;
        r = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (r >= 0) {
            advance(c, (size_t) r);
            return 1;
        }
    }
    if (errno == EINTR) {
        return 1;
    }
    return errno == EAGAIN ? 0 : -1;
}


int
pfw_out_flush(pfw_conn *c)
{
    long long  deadline = 0;
    size_t     start = c->qbytes;
    int        r;

    while (c->qhead < c->qn) {
        r = send_some(c);
        if (r == 1) {
            deadline = 0;
            if (c->io == PFW_IO_ASYNC && start - c->qbytes >= OUT_SLICE
                && c->qhead < c->qn)
            {
                return 1;                /* the loop's turn; writable */
            }
            continue;
        }
        if (r == -1) {
            return -1;
        }
        if (c->io == PFW_IO_ASYNC) {
            return 1;
        }
        if (deadline == 0) {
            deadline = pfw_now_ms() + c->srv->io_ms;
        }
        r = pfw_conn_wait(c, POLLOUT, deadline);
        if (r <= 0) {
            if (r == 0) {
                errno = ETIMEDOUT;
            }
            return -1;
        }
    }
    return 0;
}

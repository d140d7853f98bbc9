/*
 * A client connection: its input buffer, head parsing (with the PROXY
 * header first when enabled), blocking waits and a close that does not
 * turn unread input into a reset that destroys the response.
 */
#include "internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_MIN       8192
#define BUF_SLACK     4096
#define BUF_KEEP      (256 * 1024)   /* larger buffers shrink when idle */
#define LINGER_BYTES  65536
#define LINGER_MS     1000


long long
pfw_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


static size_t
field_count(const pfh_config *cfg)
{
    size_t  n = cfg->limit_request_fields;

    if (n == 0 || n > 32768) {
        n = 32768;
    }
    /* obs-fold continuation lines come back as entries of their own */
    if (cfg->flags & PFH_PERMIT_OBSOLETE_FOLDING) {
        n *= 2;
    }
    return n + 1;
}


/* The most a request head can take: gunicorn's line limit plus its
 * "max buffer headers" bound. */
static size_t
head_max(const pfh_config *cfg)
{
    size_t  line = cfg->limit_request_line, nf = cfg->limit_request_fields;
    size_t  fs = cfg->limit_request_field_size;

    if (line == 0 || line > 8190) {
        line = 8190;
    }
    if (nf == 0 || nf > 32768) {
        nf = 32768;
    }
    if (fs == 0) {
        fs = 8190;
    }
    return line + 2 + nf * (fs + 2) + 4 + BUF_SLACK;
}


/* Move a view into the old buffer [lo, lo + n] to the same offset in the
 * new one; views elsewhere (method_buf, static text) stay. */
static void
move_view(const char **p, uintptr_t lo, size_t n, char *buf)
{
    uintptr_t  v = (uintptr_t) *p;

    if (v >= lo && v <= lo + n) {
        *p = buf + (v - lo);
    }
}


/* The parsed head is a set of views into the buffer: when the buffer
 * moves while they are still in use (an async connection buffering the
 * body before the app runs), they must move with it. */
static void
rebase(pfw_conn *c, uintptr_t lo, size_t n)
{
    pfh_request  *r = &c->req;
    size_t        i;

    move_view(&r->method, lo, n, c->buf);
    move_view(&r->target, lo, n, c->buf);
    move_view(&r->path, lo, n, c->buf);
    move_view(&r->query, lo, n, c->buf);
    move_view(&r->fragment, lo, n, c->buf);
    for (i = 0; i < r->num_headers && i < c->hdrs_cap; i++) {
        move_view(&c->hdrs[i].name, lo, n, c->buf);
        move_view(&c->hdrs[i].value, lo, n, c->buf);
    }
}


int
pfw_conn_reserve(pfw_conn *c, size_t more)
{
    size_t     need = c->len + more, cap;
    uintptr_t  old = (uintptr_t) c->buf;
    char      *b;

    if (need <= c->cap) {
        return 0;
    }
    cap = c->cap ? c->cap : BUF_MIN;
    while (cap < need) {
        cap *= 2;
    }
    b = PyMem_RawRealloc(c->buf, cap);
    if (b == NULL) {
        errno = ENOMEM;
        return -1;
    }
    c->buf = b;
    if (c->head_live && (uintptr_t) b != old) {
        rebase(c, old, c->cap);
    }
    c->cap = cap;
    return 0;
}


void
pfw_conn_shrink(pfw_conn *c)
{
    size_t  n = c->len - c->pos;
    char   *b;

    if (c->cap <= BUF_KEEP || n > BUF_MIN || c->head_live) {
        return;
    }
    memmove(c->buf, c->buf + c->pos, n);
    c->len = n;
    c->pos = 0;
    b = PyMem_RawRealloc(c->buf, BUF_MIN);
    if (b != NULL) {
        c->buf = b;
        c->cap = BUF_MIN;
    }
}


int
pfw_conn_open(pfw_conn *c, pfw_server *srv, int fd, int lidx,
              const struct sockaddr *sa, socklen_t salen, int io)
{
    size_t  n;

    c->srv = srv;
    c->fd = fd;
    c->io = io;
    c->lidx = lidx;
    memset(&c->peer, 0, sizeof(c->peer));
    if (sa != NULL && salen <= sizeof(c->peer)) {
        memcpy(&c->peer, sa, salen);
        c->peerlen = salen;
    } else {
        c->peer.ss_family = AF_UNIX;
        c->peerlen = sizeof(sa_family_t);
    }
    c->trusted = pfh_addrlist_match(&srv->forwarded,
                                    (const struct sockaddr *) &c->peer);
    c->proxy_allowed = pfh_addrlist_match(&srv->proxy_allow,
                                          (const struct sockaddr *) &c->peer);
    c->proxy_state = srv->app->proxy_protocol == PFH_PROXY_NONE;
    memset(&c->proxy, 0, sizeof(c->proxy));
    c->len = c->pos = c->last_len = 0;
    c->head_live = 0;
    c->head_len = 0;
    c->nreq = 0;
    c->bkind = PFH_BODY_NONE;
    c->berr = 0;
    c->sfd = -1;
    c->sleft = c->sfill = c->soff = 0;
    c->wpos = c->wlen = 0;
    c->phase = PFW_R_IDLE;
    c->keep_alive = 0;
    c->error_close = 0;
    c->committed = 0;
    c->qhead = c->qn = 0;
    c->qbytes = 0;

    if (c->buf == NULL && pfw_conn_reserve(c, BUF_MIN) == -1) {
        return -1;
    }
    n = field_count(&srv->app->http);
    if (c->hdrs_cap < n) {
        PyMem_RawFree(c->hdrs);
        c->hdrs = PyMem_RawMalloc(n * sizeof(pfh_header));
        if (c->hdrs == NULL) {
            c->hdrs_cap = 0;
            errno = ENOMEM;
            return -1;
        }
        c->hdrs_cap = n;
    }
    return 0;
}


static void
drop_py(pfw_conn *c)
{
    PyObject  *r;

    if (c->py_sock != NULL) {
        /* the fd is ours: the socket object must not close it */
        r = PyObject_CallMethod(c->py_sock, "detach", NULL);
        if (r == NULL) {
            PyErr_Clear();
        }
        Py_XDECREF(r);
        Py_CLEAR(c->py_sock);
    }
    Py_CLEAR(c->py_addr);
    Py_CLEAR(c->py_port);
    Py_CLEAR(c->env_spare);
    Py_CLEAR(c->env_base);
}


void
pfw_conn_release_py(pfw_conn *c)
{
    drop_py(c);
    pfw_input_detach(c->input);
    pfw_sr_detach(c->sr);
    pfw_sr_detach(c->write);
    Py_CLEAR(c->input);
    Py_CLEAR(c->sr);
    Py_CLEAR(c->write);
}


/* Unread input at close() makes the kernel send a reset, which can destroy
 * the response still in flight: half-close, read what the client still
 * sends (bounded), then close (RFC 9112 §9.6).  Async connections only
 * take what has arrived already. */
void
pfw_conn_linger(pfw_conn *c)
{
    char       scratch[4096];
    size_t     total = 0;
    long long  end;
    ssize_t    r;
    int        w;

    shutdown(c->fd, SHUT_WR);
    end = pfw_now_ms() + LINGER_MS;
    while (total < LINGER_BYTES) {
        r = recv(c->fd, scratch, sizeof(scratch), MSG_DONTWAIT);
        if (r > 0) {
            total += (size_t) r;
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR)
            || c->io == PFW_IO_ASYNC)
        {
            break;
        }
        w = pfw_conn_wait(c, POLLIN, end);
        if (w <= 0) {
            break;
        }
    }
}


/* Did the client send anything this server has not read?  A body not read
 * to its end, or bytes past the current request (pipelined).  The request
 * itself, answered and closed without pfw_body_finish(), is not: its head
 * and body end at bpos (chunked: bend). */
static int
unread_input(const pfw_conn *c)
{
    size_t  end = c->pos;

    if (c->berr != 0 || (c->bkind == PFH_BODY_LENGTH && c->bleft > 0)
        || (c->bkind == PFH_BODY_CHUNKED && !c->bdone))
    {
        return 1;
    }
    if (c->head_len > 0 && c->pos + c->head_len <= c->bpos) {
        end = c->bkind == PFH_BODY_CHUNKED ? c->bend : c->bpos;
    }
    return end < c->len;
}


void
pfw_conn_close(pfw_conn *c)
{
    int  unread;

    if (c->fd == -1) {
        return;
    }
    if (c->phase != PFW_R_IDLE) {
        pfw_request_abort(c);
    }
    if (c->py_sock != NULL || c->py_addr != NULL || c->py_port != NULL
        || c->env_base != NULL)
    {
        drop_py(c);
    }
    pfw_out_clear(c);
    unread = unread_input(c);
    pfw_body_release(c);
    if (unread) {
        pfw_conn_linger(c);
    }
    close(c->fd);
    c->fd = -1;
    c->head_live = 0;
    c->len = c->pos = 0;
    c->bkind = PFH_BODY_NONE;
}


void
pfw_conn_free(pfw_conn *c)
{
    PyMem_RawFree(c->buf);
    PyMem_RawFree(c->hdrs);
    PyMem_RawFree(c->head);
    PyMem_RawFree(c->rh);
    PyMem_RawFree(c->q);
    PyMem_RawFree(c->win);
    pfw_access_free(c);
    c->win = NULL;
    c->buf = c->head = NULL;
    c->hdrs = c->rh = NULL;
    c->q = NULL;
    c->cap = c->hdrs_cap = c->head_cap = c->rh_cap = c->qcap = 0;
}


ssize_t
pfw_conn_recv(pfw_conn *c)
{
    ssize_t  r;

    if (c->len == c->cap && pfw_conn_reserve(c, BUF_MIN) == -1) {
        return -1;
    }
    do {
        r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
    } while (r == -1 && errno == EINTR);
    if (r > 0) {
        c->len += (size_t) r;
    }
    return r;
}


int
pfw_conn_wait(pfw_conn *c, short events, long long deadline)
{
    struct pollfd  p = { c->fd, events, 0 };
    long long      left;
    int            r, slice;

    slice = c->srv->w != NULL ? pf_worker_timeout_ms(c->srv->w) : 1000;
    for ( ;; ) {
        left = deadline - pfw_now_ms();
        if (left <= 0) {
            return 0;
        }
        Py_BEGIN_ALLOW_THREADS
        r = poll(&p, 1, left < slice ? (int) left : slice);
        Py_END_ALLOW_THREADS
        if (r > 0) {
            return 1;
        }
        if (r == -1 && errno != EINTR) {
            return -1;
        }
        pfw_server_beat(c->srv);
    }
}


static void
ensure_head_buf(pfw_conn *c, size_t n)
{
    char  *h;

    if (c->head_cap >= n) {
        return;
    }
    h = PyMem_RawRealloc(c->head, n);
    if (h != NULL) {
        c->head = h;
        c->head_cap = n;
    }
}


void
pfw_conn_error(pfw_conn *c, int status, const char *mesg)
{
    const char  *body;
    ssize_t      n;

    pfw_out_clear(c);
    ensure_head_buf(c, 1024 + 6 * strlen(mesg));
    n = c->head != NULL ? pfh_error_page(status, mesg, c->head, c->head_cap)
                        : -1;
    if (n > 0) {
        pfw_out_mem(c, c->head, (size_t) n, NULL);
        /* what the access log reports for a request answered so */
        body = memmem(c->head, (size_t) n, "\r\n\r\n", 4);
        c->r.status = status;
        c->r.sent = body != NULL ? (uint64_t) (c->head + n - body - 4) : 0;
    }
    c->error_close = 1;
    c->keep_alive = 0;
}


/* "ip" for logs: the peer address, empty for unix sockets (gunicorn). */
static const char *
peer_ip(const pfw_conn *c, char *buf, size_t len)
{
    const struct sockaddr_in   *s4 = (const void *) &c->peer;
    const struct sockaddr_in6  *s6 = (const void *) &c->peer;

    buf[0] = '\0';
    if (c->peer.ss_family == AF_INET) {
        inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t) len);
    } else if (c->peer.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &s6->sin6_addr, buf, (socklen_t) len);
    }
    return buf;
}


static int
parse_proxy(pfw_conn *c, int eof)
{
    int  r;

    r = pfh_parse_proxy(c->buf + c->pos, c->len - c->pos,
                        c->srv->app->proxy_protocol, c->proxy_allowed,
                        &c->proxy);
    if (r == -2) {
        return eof ? PFW_CLOSE : PFW_AGAIN;
    }
    if (r == -1) {
        pf_log(PF_LOG_WARNING, "Invalid PROXY header: %s",
               c->proxy.error != NULL ? c->proxy.error : "malformed");
        pfw_conn_error(c, c->proxy.status ? c->proxy.status : 400,
                       c->proxy.status == 403 ? "Request forbidden"
                       : c->proxy.error != NULL ? c->proxy.error : "");
        return PFW_CLOSE;
    }
    if (r == 0) {
        c->proxy.proto = NULL;
    }
    c->pos += (size_t) r;
    c->proxy_state = 1;
    return PFW_DONE;
}


int
pfw_conn_parse(pfw_conn *c, int eof)
{
    char  ip[64];
    int   r;

    if (c->last_len == 0) {
        c->head_len = 0;                   /* the last request is over */
    }
    if (c->last_len == 0 && c->pos > 0) {
        /* a fresh head: move the pipelined rest to the front */
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->pos = 0;
    }
    if (!c->proxy_state && c->len > 0) {
        r = parse_proxy(c, eof);
        if (r != PFW_DONE) {
            return r;
        }
    }
    if (c->pos == c->len) {
        return eof ? PFW_CLOSE : PFW_AGAIN;
    }
    r = pfh_parse_request(c->buf + c->pos, c->len - c->pos, &c->req, c->hdrs,
                          c->hdrs_cap, c->last_len, &c->srv->app->http,
                          c->trusted);
    if (r == -2) {
        if (eof) {
            /* gunicorn: "Ignored premature client disconnection." */
            return PFW_CLOSE;
        }
        if (c->len - c->pos >= head_max(&c->srv->app->http)) {
            pfw_conn_error(c, 431, "Error parsing headers: "
                           "'max buffer headers'");
            return PFW_CLOSE;
        }
        c->last_len = c->len - c->pos;
        return PFW_AGAIN;
    }
    c->last_len = 0;
    if (r < 0) {
        pf_log(PF_LOG_WARNING, "Invalid request from ip=%s: %s",
               peer_ip(c, ip, sizeof(ip)),
               c->req.detail[0] ? c->req.detail
               : c->req.error ? c->req.error : "bad request");
        pfw_conn_error(c, c->req.status ? c->req.status : 400,
                       c->req.detail);
        return PFW_CLOSE;
    }
    c->head_len = (size_t) r;
    c->head_live = 1;
    c->nreq++;
    pfw_body_begin(c);
    return PFW_DONE;
}


/* The head has one deadline, however its bytes trickle in (a slowloris
 * re-arming a per-read timeout would hold the worker forever). */
int
pfw_conn_read_head(pfw_conn *c, int idle_ms)
{
    long long  deadline;
    ssize_t    n;
    int        r;

    deadline = pfw_now_ms() + (idle_ms > 0 ? idle_ms : c->srv->io_ms);
    for ( ;; ) {
        r = pfw_conn_parse(c, 0);
        if (r != PFW_AGAIN) {
            return r;
        }
        n = pfw_conn_recv(c);
        if (n > 0) {
            if (idle_ms > 0) {
                /* the next request started: the head deadline applies */
                idle_ms = 0;
                deadline = pfw_now_ms() + c->srv->io_ms;
            }
            continue;
        }
        if (n == 0) {
            return pfw_conn_parse(c, 1) == PFW_DONE ? PFW_DONE : PFW_CLOSE;
        }
        if (errno != EAGAIN) {
            return PFW_CLOSE;
        }
        r = pfw_conn_wait(c, POLLIN, deadline);
        if (r == 0 && idle_ms == 0 && c->len > c->pos) {
            pfw_conn_head_timeout(c);
        }
        if (r != 1) {
            return PFW_CLOSE;
        }
    }
}


void
pfw_conn_head_timeout(pfw_conn *c)
{
    pf_log(PF_LOG_DEBUG, "Request head incomplete after %d s: 408",
           c->srv->io_ms / 1000);
    pfw_conn_error(c, 408, "");
}


void
pfw_conn_serve(pfw_conn *c)
{
    int  r, idle;

    for ( ;; ) {
        idle = c->nreq > 0 && c->pos == c->len
               ? (int) c->srv->app->keepalive * 1000 : 0;
        if (c->nreq == 0 && pfw_server_draining(c->srv)) {
            /* taken from the backlog on the way out: a short wait for a
             * request that is not there yet */
            idle = PFW_DRAIN_GRACE_MS;
        }
        r = pfw_conn_read_head(c, idle);
        if (r != PFW_DONE) {
            pfw_out_flush(c);              /* a 4xx page, if any */
            break;
        }
        if (pfw_request_run(c) != PFW_DONE) {
            break;
        }
    }
    pfw_conn_close(c);
}

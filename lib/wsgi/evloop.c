/*
 * The libev connection loop (see evloop.h).  One ev_loop_new() per worker:
 * the default loop would grab SIGCHLD.  Slow clients only ever cost a
 * watcher: heads and bodies are read as they arrive, responses wait for
 * the socket to drain (request.c keeps the app's iterator meanwhile), and
 * every state has a timer.  A fast reader's response is parked the same
 * way after each MiB, so it shares the loop (and the heartbeat's timer).
 *
 * Balance: every worker publishes its open connections (libprefork's load
 * slots).  A worker holding more than the least loaded sibling plus
 * BALANCE_SLACK leaves new connections to it: it stops watching the
 * listeners and looks again BALANCE_PAUSE later, or as soon as one of its
 * own connections closes.  A connection left in the backlog for
 * BALANCE_BOUND ms (the sibling is inside a long app call) is taken anyway,
 * so balancing never delays a client by more than that.  A slack of 1
 * (26/24 instead of 25/25 for 50 connections) halves how often workers
 * racing for a burst pause each other: a burst of 50 is in within about
 * 10 ms instead of 30.
 *
 * Heads: a request head has one deadline, --timeout after the connection
 * was accepted (its first request) or after its first byte arrived (a
 * later one; the idle wait before it is --keep-alive's), however its bytes
 * trickle in: a client that has not finished its head by then gets 408
 * (nothing received: a plain close).  Bodies and writes keep a per-read
 * inactivity timer of --timeout.
 *
 * Drain (SIGTERM, max-requests): accepting stops; on SIGTERM what already
 * waits in the listen queues is accepted first (one pass, up to EAGAIN):
 * those clients were sent to this server and would otherwise be reset when
 * the master exits.  Requests in flight finish, with Connection: close.  A
 * connection that never had a request gets PFW_DRAIN_GRACE_MS to send one
 * (its bytes may be in the socket, unread); an idle keep-alive connection
 * is closed at once, half-closed and drained first so that a request
 * racing the close meets a FIN (the client retries it), not a reset.
 */
#include "evloop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_BURST   64
#define PIPELINE_BURST 16
#define SPARE_MAX      64
#define BALANCE_SLACK  1
#define BALANCE_PAUSE  0.001             /* s */
#define BALANCE_BOUND  20                /* ms */

static void conn_cb(struct ev_loop *loop, ev_io *w, int revents);
static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static int  progress(pfw_evloop *l, pfw_evconn *ec, int eof);
static void drain(pfw_evloop *l, int backlog);


#define EC_OF(ptr, member) \
    ((pfw_evconn *) ((char *) (ptr) - offsetof(pfw_evconn, member)))


static void
set_events(pfw_evloop *l, pfw_evconn *ec, int events)
{
    if (ec->events == events && ev_is_active(&ec->io)) {
        return;
    }
    ev_io_stop(l->loop, &ec->io);
    ev_io_set(&ec->io, ec->c.fd, events);
    ec->events = events;
    if (events) {
        ev_io_start(l->loop, &ec->io);
    }
}


static void
set_timer(pfw_evloop *l, pfw_evconn *ec, double secs)
{
    ec->timer.repeat = secs > 0 ? secs : 0.001;
    ev_timer_again(l->loop, &ec->timer);
}


static double
io_secs(const pfw_evloop *l)
{
    return l->srv.io_ms / 1000.0;
}


/* A connection that never had a request and has sent nothing so far. */
static int
silent(const pfw_evconn *ec)
{
    return ec->c.nreq == 0 && ec->c.len == ec->c.pos;
}


/* The head's own deadline, or the drain grace when that comes first. */
static void
head_timer(pfw_evloop *l, pfw_evconn *ec)
{
    long long  due = ec->deadline;

    if (l->draining && silent(ec) && l->grace_end < due) {
        due = l->grace_end;
    }
    set_timer(l, ec, (double) (due - pfw_now_ms()) / 1000.0);
}


/* A head starts now (a later request on a keep-alive connection): its
 * deadline runs from here, its timer is armed by whoever finds the head
 * incomplete (most heads come whole in one read and never need it). */
static void
head_begin(pfw_evloop *l, pfw_evconn *ec)
{
    ec->state = PFW_EVC_HEAD;
    ec->deadline = pfw_now_ms() + l->srv.io_ms;
}


static void
head_start(pfw_evloop *l, pfw_evconn *ec)
{
    head_begin(l, ec);
    head_timer(l, ec);
}


static void
accept_start(pfw_evloop *l)
{
    size_t  i;

    if (l->accepting || l->draining || l->nconns >= l->max_conns) {
        return;
    }
    ev_timer_stop(l->loop, &l->bal);
    for (i = 0; i < l->nacc; i++) {
        ev_io_start(l->loop, &l->acc[i]);
    }
    l->accepting = 1;
}


static void
accept_stop(pfw_evloop *l)
{
    size_t  i;

    if (!l->accepting) {
        return;
    }
    for (i = 0; i < l->nacc; i++) {
        ev_io_stop(l->loop, &l->acc[i]);
    }
    l->accepting = 0;
}


/* Tell the siblings how many connections this worker holds.  A draining
 * worker accepts no more: it shows the largest load, so nobody leaves
 * connections to it. */
static void
publish(pfw_evloop *l)
{
    if (l->w != NULL) {
        pf_worker_set_load(l->w, l->draining ? UINT_MAX : l->nconns);
    }
}


static int
overloaded(pfw_evloop *l)
{
    if (l->w == NULL || l->forced) {
        return 0;
    }
    return (unsigned long long) l->nconns
           > (unsigned long long) pf_worker_min_load(l->w) + BALANCE_SLACK;
}


/* Leave what waits to a less loaded sibling, and look again soon. */
static void
balance_pause(pfw_evloop *l)
{
    accept_stop(l);
    if (l->starved == 0) {
        l->starved = pfw_now_ms();
    }
    ev_timer_set(&l->bal, BALANCE_PAUSE, 0.);
    ev_timer_start(l->loop, &l->bal);
}


/* Is a connection waiting on some listener? */
static int
pending(pfw_evloop *l)
{
    size_t  i;

    for (i = 0; i < l->nacc; i++) {
        l->bal_fds[i].revents = 0;
    }
    return poll(l->bal_fds, l->nacc, 0) > 0;
}


static void
bal_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    pfw_evloop  *l = w->data;

    (void) loop;
    (void) revents;
    if (!overloaded(l) || !pending(l)) {
        /* a fair share again, or a sibling took it: watch as usual */
        l->starved = 0;
        accept_start(l);
        return;
    }
    if (pfw_now_ms() - l->starved >= BALANCE_BOUND) {
        /* nobody else is taking it: a sibling is busy in its app */
        pf_log(PF_LOG_DEBUG, "Balance: a connection waited %lld ms for a "
               "less loaded worker; taking it (%u open)",
               pfw_now_ms() - l->starved, l->nconns);
        l->forced = 1;
        accept_start(l);
        return;
    }
    ev_timer_set(&l->bal, BALANCE_PAUSE, 0.);
    ev_timer_start(l->loop, &l->bal);
}


static void
idle_del(pfw_evloop *l, pfw_evconn *ec)
{
    if (!ec->idle) {
        return;
    }
    if (ec->iprev != NULL) {
        ec->iprev->inext = ec->inext;
    } else {
        l->idle_head = ec->inext;
    }
    if (ec->inext != NULL) {
        ec->inext->iprev = ec->iprev;
    } else {
        l->idle_tail = ec->iprev;
    }
    ec->inext = ec->iprev = NULL;
    ec->idle = 0;
    l->nidle--;
}


/* An idle keep-alive connection may have a request on its way: half-close
 * and drain it first, so the close is a FIN the client retries on (RFC
 * 9112 §9.3.1), not a reset. */
static void
close_idle(pfw_evloop *l, pfw_evconn *ec)
{
    pfw_conn_linger(&ec->c);
    pfw_evloop_close(l, ec);
}


/* ec waits for its next request; past max_idle such connections the
 * oldest go (gthread: worker_connections - threads, as gunicorn).  0 when
 * ec itself was closed. */
static int
idle_add(pfw_evloop *l, pfw_evconn *ec)
{
    ec->idle = 1;
    ec->inext = NULL;
    ec->iprev = l->idle_tail;
    if (l->idle_tail != NULL) {
        l->idle_tail->inext = ec;
    } else {
        l->idle_head = ec;
    }
    l->idle_tail = ec;
    l->nidle++;
    while (l->nidle > l->max_idle) {
        if (l->idle_head == ec) {
            close_idle(l, ec);
            return 0;
        }
        close_idle(l, l->idle_head);
    }
    return 1;
}


static pfw_evconn *
conn_get(pfw_evloop *l)
{
    pfw_evconn  *ec = l->spare;

    if (ec != NULL) {
        l->spare = ec->next;
        l->nspare--;
        return ec;
    }
    ec = calloc(1, sizeof(*ec));
    if (ec != NULL) {
        ec->c.fd = -1;
    }
    return ec;
}


void
pfw_evloop_close(pfw_evloop *l, pfw_evconn *ec)
{
    idle_del(l, ec);
    ev_io_stop(l->loop, &ec->io);
    ev_timer_stop(l->loop, &ec->timer);
    ec->events = 0;
    pfw_conn_close(&ec->c);
    if (ec->prev != NULL) {
        ec->prev->next = ec->next;
    } else {
        l->conns = ec->next;
    }
    if (ec->next != NULL) {
        ec->next->prev = ec->prev;
    }
    l->nconns--;
    publish(l);
    pfw_conn_shrink(&ec->c);
    if (l->nspare < SPARE_MAX) {
        ec->next = l->spare;
        ec->prev = NULL;
        l->spare = ec;
        l->nspare++;
    } else {
        pfw_conn_release_py(&ec->c);
        pfw_conn_free(&ec->c);
        free(ec);
    }
    if (l->draining && l->nconns == 0) {
        ev_break(l->loop, EVBREAK_ALL);
    }
    accept_start(l);
}


static void
add_conn(pfw_evloop *l, int fd, size_t idx, struct sockaddr_storage *ss,
         socklen_t len)
{
    pfw_evconn  *ec = conn_get(l);

    if (ec == NULL
        || pfw_conn_open(&ec->c, &l->srv, fd, (int) idx,
                         (struct sockaddr *) ss, len, PFW_IO_ASYNC) != 0)
    {
        pf_log_errno(PF_LOG_ERROR, errno ? errno : ENOMEM,
                     "connection setup failed");
        if (ec != NULL) {
            ec->c.fd = -1;
            ec->next = l->spare;
            l->spare = ec;
            l->nspare++;
        }
        close(fd);
        return;
    }
    ec->state = PFW_EVC_HEAD;
    ec->burst = 0;
    ec->events = EV_READ;
    ev_io_init(&ec->io, conn_cb, fd, EV_READ);
    ec->io.data = l;
    ev_init(&ec->timer, timer_cb);
    ec->timer.data = l;
    ev_io_start(l->loop, &ec->io);
    ec->deadline = pfw_now_ms() + l->srv.io_ms;
    head_timer(l, ec);
    ec->prev = NULL;
    ec->next = l->conns;
    if (l->conns != NULL) {
        l->conns->prev = ec;
    }
    l->conns = ec;
    l->nconns++;
    publish(l);
}


/* EMFILE and friends: back off instead of spinning, and say so at most
 * once a second. */
static void
accept_failed(pfw_evloop *l, int err)
{
    pfw_server_accept_failed(&l->srv, err);
    accept_stop(l);
    ev_timer_set(&l->acc_pause, PFW_ACCEPT_PAUSE_MS / 1000.0, 0.);
    ev_timer_start(l->loop, &l->acc_pause);
}


static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    pfw_evloop              *l = w->data;
    struct sockaddr_storage  ss;
    socklen_t                len;
    size_t                   idx = (size_t) (w - l->acc);
    int                      fd, i;

    (void) loop;
    (void) revents;
    if (pfw_server_draining(&l->srv)) {
        drain(l, 0);                    /* --max-requests: leave it */
        return;
    }
    for (i = 0; i < ACCEPT_BURST && l->nconns < l->max_conns; i++) {
        if (overloaded(l)) {
            balance_pause(l);
            return;
        }
        len = sizeof(ss);
        fd = accept4(w->fd, (struct sockaddr *) &ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno == EAGAIN) {
                /* the backlog is empty */
                l->forced = 0;
                l->starved = 0;
            } else {
                accept_failed(l, errno);
            }
            break;
        }
        add_conn(l, fd, idx, &ss, len);
    }
    if (l->nconns >= l->max_conns) {
        accept_stop(l);
    }
}


static void
acc_pause_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    (void) loop;
    (void) revents;
    accept_start(w->data);
}


/* Queued bytes (an error page) go out, then the connection closes.
 * 0 when it is closed already. */
static int
closing(pfw_evloop *l, pfw_evconn *ec)
{
    int  r = pfw_out_flush(&ec->c);

    if (r != 1) {
        pfw_evloop_close(l, ec);
        return 0;
    }
    ec->state = PFW_EVC_CLOSING;
    set_events(l, ec, EV_WRITE);
    set_timer(l, ec, io_secs(l));
    return 1;
}


/* One pass over the listen queues, each up to EAGAIN: what arrives after
 * it is left to the siblings (or to the reset of the master's exit). */
static void
take_backlog(pfw_evloop *l)
{
    struct sockaddr_storage  ss;
    socklen_t                len;
    unsigned                 n = 0;
    size_t                   i;
    int                      fd;

    for (i = 0; i < l->nacc; i++) {
        while (l->nconns < l->max_conns) {
            len = sizeof(ss);
            fd = accept4(l->acc[i].fd, (struct sockaddr *) &ss, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd == -1) {
                if (errno == EINTR || errno == ECONNABORTED) {
                    continue;
                }
                if (errno != EAGAIN) {
                    pfw_server_accept_failed(&l->srv, errno);
                }
                break;
            }
            add_conn(l, fd, i, &ss, len);
            n++;
        }
    }
    if (n > 0) {
        pf_log(PF_LOG_DEBUG, "Draining: %u connection%s taken from the "
               "listen queue", n, n == 1 ? "" : "s");
    }
}


static void
drain(pfw_evloop *l, int backlog)
{
    pfw_evconn  *ec, *next;

    if (!l->draining) {
        l->draining = 1;
        l->grace_end = pfw_now_ms() + PFW_DRAIN_GRACE_MS;
        pfw_server_drain(&l->srv);
        accept_stop(l);
        ev_timer_stop(l->loop, &l->bal);
        ev_timer_stop(l->loop, &l->acc_pause);
        publish(l);
        if (backlog) {
            take_backlog(l);
        }
    }
    for (ec = l->conns; ec != NULL; ec = next) {
        next = ec->next;
        if (ec->state == PFW_EVC_IDLE
            || (ec->state == PFW_EVC_HEAD && ec->c.nreq > 0
                && ec->c.len == ec->c.pos))
        {
            close_idle(l, ec);
        } else if (ec->state == PFW_EVC_HEAD && silent(ec)) {
            head_timer(l, ec);          /* the grace, at most */
        }
    }
    if (l->nconns == 0) {
        ev_break(l->loop, EVBREAK_ALL);
    }
}


int
pfw_evloop_after(pfw_evloop *l, pfw_evconn *ec, int r)
{
    pfw_conn  *c = &ec->c;

    if (r == PFW_AGAIN) {
        ec->state = PFW_EVC_WRITE;
        set_events(l, ec, EV_WRITE);
        set_timer(l, ec, io_secs(l));
        return 1;
    }
    /* still APP: drain() must not close it under us */
    if (pfw_server_draining(&l->srv) && !l->draining) {
        drain(l, 0);                    /* --max-requests reached */
    }
    if (r == PFW_CLOSE || l->exiting || l->draining) {
        pfw_evloop_close(l, ec);
        return 0;
    }
    ec->state = PFW_EVC_IDLE;
    set_events(l, ec, EV_READ);
    if (c->pos < c->len) {
        /* pipelined: serve the next request now, a few per round */
        head_start(l, ec);
        if (++ec->burst < PIPELINE_BURST) {
            return progress(l, ec, 0);
        }
        ev_feed_event(l->loop, &ec->io, EV_CUSTOM);
        return 1;
    }
    set_timer(l, ec, (double) l->srv.app->keepalive);
    pfw_conn_shrink(c);
    return idle_add(l, ec);
}


static int
progress(pfw_evloop *l, pfw_evconn *ec, int eof)
{
    static const char  cont[] = PFH_100_CONTINUE;
    pfw_conn          *c = &ec->c;
    int                r, fresh = 0;

    idle_del(l, ec);
    if (ec->state == PFW_EVC_IDLE || ec->state == PFW_EVC_HEAD) {
        r = pfw_conn_parse(c, eof);
        if (r == PFW_AGAIN) {
            if (ec->state == PFW_EVC_IDLE && c->len > c->pos) {
                head_start(l, ec);
            } else if (ec->state == PFW_EVC_HEAD) {
                head_timer(l, ec);      /* incomplete: its deadline */
            }
            return 1;
        }
        if (r == PFW_CLOSE) {
            return closing(l, ec);
        }
        /* the body timer too waits until the body proves incomplete */
        ec->state = PFW_EVC_BODY;
        fresh = 1;
        if (c->req.expect_continue && c->bkind != PFH_BODY_NONE
            && c->len == c->bpos)
        {
            /* queued ahead of the response, sent now if it fits */
            pfw_out_mem(c, cont, sizeof(cont) - 1, NULL);
            if (pfw_out_flush(c) == -1) {
                pfw_evloop_close(l, ec);
                return 0;
            }
        }
    }
    if (ec->state == PFW_EVC_BODY) {
        r = pfw_body_prefetch(c, eof);
        if (r == PFW_AGAIN) {
            if (fresh) {
                set_timer(l, ec, io_secs(l));
            }
            return 1;
        }
        if (r == PFW_CLOSE) {
            return closing(l, ec);
        }
        ec->state = PFW_EVC_APP;
        return l->dispatch(l, ec);
    }
    return 1;
}


static void
read_in(pfw_evloop *l, pfw_evconn *ec)
{
    ssize_t  n;

    if (pfw_conn_reserve(&ec->c, 4096) == -1) {
        pfw_conn_error(&ec->c, 431, "Error parsing headers: "
                       "'max buffer headers'");
        closing(l, ec);
        return;
    }
    n = pfw_conn_recv(&ec->c);
    if (n >= 0) {
        idle_del(l, ec);
    }
    if (n > 0) {
        if (ec->state == PFW_EVC_IDLE) {
            head_begin(l, ec);
        } else if (ec->state == PFW_EVC_BODY) {
            set_timer(l, ec, io_secs(l));
        }
        /* HEAD: progress() re-arms the head timer if the head is still
         * incomplete (the grace is over: the deadline alone counts) */
        progress(l, ec, 0);
        return;
    }
    if (n == 0) {
        /* EOF: whatever complete request arrived is still served */
        if (progress(l, ec, 1)
            && (ec->state == PFW_EVC_IDLE || ec->state == PFW_EVC_HEAD
                || ec->state == PFW_EVC_BODY))
        {
            pfw_evloop_close(l, ec);
        }
        return;
    }
    if (errno != EAGAIN) {
        pfw_evloop_close(l, ec);
    }
}


static void
conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    pfw_evloop  *l = w->data;
    pfw_evconn  *ec = EC_OF(w, io);
    int          r;

    (void) loop;
    ec->burst = 0;
    if (revents & EV_CUSTOM) {
        if (ec->state == PFW_EVC_IDLE || ec->state == PFW_EVC_HEAD) {
            progress(l, ec, 0);
        }
        return;
    }
    switch (ec->state) {
    case PFW_EVC_IDLE:
    case PFW_EVC_HEAD:
    case PFW_EVC_BODY:
        if (revents & EV_READ) {
            read_in(l, ec);
        }
        break;
    case PFW_EVC_WRITE:
        if (revents & EV_WRITE) {
            set_timer(l, ec, io_secs(l));
            ec->state = PFW_EVC_APP;
            r = pfw_request_resume(&ec->c);
            pfw_evloop_after(l, ec, r);
        }
        break;
    case PFW_EVC_CLOSING:
        if (revents & EV_WRITE) {
            closing(l, ec);
        }
        break;
    default:
        break;
    }
}


/* The head deadline (or the drain grace) passed. */
static void
head_expired(pfw_evloop *l, pfw_evconn *ec)
{
    long long  now = pfw_now_ms();

    if (now < ec->deadline) {
        if (l->draining && silent(ec) && now >= l->grace_end) {
            close_idle(l, ec);           /* no request came in time */
        } else {
            head_timer(l, ec);           /* woke a little early */
        }
        return;
    }
    if (ec->c.len > ec->c.pos) {
        pfw_conn_head_timeout(&ec->c);
        closing(l, ec);
        return;
    }
    pfw_evloop_close(l, ec);
}


static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    pfw_evloop  *l = w->data;
    pfw_evconn  *ec = EC_OF(w, timer);

    (void) loop;
    (void) revents;
    switch (ec->state) {
    case PFW_EVC_APP:
        return;                          /* a pool thread has it */
    case PFW_EVC_IDLE:
        close_idle(l, ec);               /* --keep-alive ran out */
        return;
    case PFW_EVC_HEAD:
        head_expired(l, ec);
        return;
    default:
        pf_log(PF_LOG_DEBUG, "Closing a connection that timed out");
        pfw_evloop_close(l, ec);
    }
}


/* SIGUSR1: the GIL is let go around it where the loop holds it (ev). */
static void
reopen(pfw_evloop *l)
{
    PyThreadState  *ts;

    if (!l->holds_gil) {
        pfw_log_reopen();
        return;
    }
    ts = PyEval_SaveThread();
    pfw_log_reopen();
    PyEval_RestoreThread(ts);
}


static void
ctl_cb(struct ev_loop *loop, ev_io *w, int revents)
{
    pfw_evloop  *l = w->data;
    unsigned     st;

    (void) revents;
    st = pf_worker_poll(l->w);
    if (st & PF_WORKER_EXIT) {
        l->exiting = 1;
        ev_break(loop, EVBREAK_ALL);
        return;
    }
    if (st & PF_WORKER_DRAIN) {
        drain(l, 1);
    }
    if (st & PF_WORKER_REOPEN) {
        reopen(l);
    }
}


static void
beat_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
    pfw_evloop  *l = w->data;

    (void) loop;
    (void) revents;
    if (l->may_beat == NULL || l->may_beat(l)) {
        pf_worker_heartbeat(l->w);
    }
}


int
pfw_evloop_init(pfw_evloop *l, pf_worker *w, const pfw_app *app,
                int multithread)
{
    size_t  i;
    int     rc;

    memset(l, 0, sizeof(*l));
    l->w = w;
    rc = pfw_worker_server(&l->srv, w, app, multithread);
    if (rc != 0) {
        return rc;
    }
    /* never the default loop: it would take SIGCHLD */
    l->loop = ev_loop_new(EVFLAG_AUTO);
    if (l->loop == NULL) {
        pf_log(PF_LOG_ERROR, "ev_loop_new() failed");
        return PF_EXIT_BOOT;
    }
    ev_set_userdata(l->loop, l);
    l->max_conns = app->worker_connections > 0 ? app->worker_connections
                                                : 1000;
    l->max_idle = UINT_MAX;
    l->nacc = l->srv.nls;
    l->acc = calloc(l->nacc ? l->nacc : 1, sizeof(ev_io));
    if (l->acc == NULL) {
        pf_log(PF_LOG_ERROR, "out of memory");
        return PF_EXIT_BOOT;
    }
    for (i = 0; i < l->nacc; i++) {
        ev_io_init(&l->acc[i], accept_cb, l->srv.ls[i].fd, EV_READ);
        l->acc[i].data = l;
    }
    ev_init(&l->acc_pause, acc_pause_cb);
    l->acc_pause.data = l;
    ev_init(&l->bal, bal_cb);
    l->bal.data = l;
    l->bal_fds = calloc(l->nacc ? l->nacc : 1, sizeof(struct pollfd));
    if (l->bal_fds == NULL) {
        pf_log(PF_LOG_ERROR, "out of memory");
        return PF_EXIT_BOOT;
    }
    for (i = 0; i < l->nacc; i++) {
        l->bal_fds[i].fd = l->srv.ls[i].fd;
        l->bal_fds[i].events = POLLIN;
    }
    ev_io_init(&l->ctl, ctl_cb, pf_worker_fd(w), EV_READ);
    l->ctl.data = l;
    ev_timer_init(&l->beat, beat_cb, 0.,
                  pf_worker_timeout_ms(w) / 1000.0);
    l->beat.data = l;
    return 0;
}


int
pfw_evloop_run(pfw_evloop *l)
{
    ev_io_start(l->loop, &l->ctl);
    ev_timer_again(l->loop, &l->beat);
    publish(l);
    accept_start(l);
    /* from here on siblings leave connections to this worker */
    pf_log(PF_LOG_DEBUG, "Accepting connections, load published");
    pf_worker_heartbeat(l->w);
    ev_run(l->loop, 0);
    return l->exiting;
}


void
pfw_evloop_close_all(pfw_evloop *l)
{
    pfw_evconn  *ec, *next;

    for (ec = l->conns; ec != NULL; ec = next) {
        next = ec->next;
        if (ec->state != PFW_EVC_APP) {
            pfw_evloop_close(l, ec);
        }
    }
}


void
pfw_evloop_fini(pfw_evloop *l)
{
    pfw_evconn  *ec;

    while ((ec = l->spare) != NULL) {
        l->spare = ec->next;
        pfw_conn_release_py(&ec->c);
        pfw_conn_free(&ec->c);
        free(ec);
    }
    l->nspare = 0;
    free(l->acc);
    l->acc = NULL;
    free(l->bal_fds);
    l->bal_fds = NULL;
    if (l->loop != NULL) {
        ev_loop_destroy(l->loop);
        l->loop = NULL;
    }
}

/*
 * -k gthread (or sync with --threads > 1, as gunicorn): the libev loop owns
 * the sockets (accept, heads, keep-alive, pipelining, timers) without ever
 * taking the GIL; a complete request goes to a pool of N Python threads
 * that run the app with blocking I/O on that one connection, then hand the
 * connection back through an ev_async.  For apps that block on I/O.
 *
 * The heartbeat is the loop thread's alone, and --timeout is a limit on
 * each request, as on sync: while a pool thread has been inside one
 * request for longer than --timeout the loop withholds the beat, so the
 * master's WORKER TIMEOUT (SIGABRT, then SIGKILL) ends a request stuck for
 * good, between 1.5 and 2 times --timeout after it started.  (gunicorn's
 * gthread beats from its main loop whatever its threads do: there the
 * timeout is only a liveness check.)
 */
#include "evloop.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef struct pool {
    pthread_mutex_t       mu;
    pthread_cond_t        cv;
    pfw_evconn           *head, *tail;   /* jobs */
    pfw_evconn           *done, *dtail;  /* back to the loop, in the
                                            order they finished */
    int                   stop;
    pthread_t            *tids;
    long long            *since;         /* per thread: when its request
                                            started (ms), or 0 */
    unsigned              n;
    unsigned              nids;          /* thread numbers handed out */
    int                   overran;       /* logged that a request did */
    ev_async              wake;
    PyInterpreterState   *interp;
} pool;

static pfw_evloop      gt_l;
static pool            gt_p;


/* Serve the request, and the pipelined ones after it whose heads are
 * already complete; PFW_DONE leaves the connection to the loop. */
static int
serve_job(pfw_conn *c)
{
    int  r, p;

    r = pfw_request_run(c);
    while (r == PFW_DONE && c->pos < c->len
           && !pfw_server_draining(c->srv))
    {
        p = pfw_conn_parse(c, 0);
        if (p == PFW_AGAIN) {
            break;
        }
        if (p == PFW_CLOSE) {
            pfw_out_flush(c);
            return PFW_CLOSE;
        }
        r = pfw_request_run(c);
    }
    return r;
}


static void *
thread_main(void *arg)
{
    pool           *p = arg;
    PyThreadState  *ts = PyThreadState_New(p->interp);
    pfw_evconn     *ec;
    unsigned        me;

    me = __atomic_fetch_add(&p->nids, 1, __ATOMIC_RELAXED);

    for ( ;; ) {
        pthread_mutex_lock(&p->mu);
        while (p->head == NULL && !p->stop) {
            pthread_cond_wait(&p->cv, &p->mu);
        }
        ec = p->head;
        if (ec == NULL) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        p->head = ec->qnext;
        if (p->head == NULL) {
            p->tail = NULL;
        }
        pthread_mutex_unlock(&p->mu);

        __atomic_store_n(&p->since[me], pfw_now_ms(), __ATOMIC_RELAXED);
        PyEval_RestoreThread(ts);
        ec->job_result = serve_job(&ec->c);
        pfw_conn_release_py(&ec->c);
        PyEval_SaveThread();
        __atomic_store_n(&p->since[me], 0, __ATOMIC_RELAXED);
        ec->c.io = PFW_IO_ASYNC;

        pthread_mutex_lock(&p->mu);
        ec->qnext = NULL;
        if (p->dtail != NULL) {
            p->dtail->qnext = ec;
        } else {
            p->done = ec;
        }
        p->dtail = ec;
        pthread_mutex_unlock(&p->mu);
        ev_async_send(gt_l.loop, &p->wake);
    }
    PyEval_RestoreThread(ts);
    PyThreadState_Clear(ts);
    PyThreadState_DeleteCurrent();
    return NULL;
}


static int
gt_dispatch(pfw_evloop *l, pfw_evconn *ec)
{
    ev_io_stop(l->loop, &ec->io);
    ev_timer_stop(l->loop, &ec->timer);
    ec->events = 0;
    ec->c.io = PFW_IO_BLOCK;
    ec->qnext = NULL;
    pthread_mutex_lock(&gt_p.mu);
    if (gt_p.tail != NULL) {
        gt_p.tail->qnext = ec;
    } else {
        gt_p.head = ec;
    }
    gt_p.tail = ec;
    pthread_cond_signal(&gt_p.cv);
    pthread_mutex_unlock(&gt_p.mu);
    return 1;
}


static void
wake_cb(struct ev_loop *loop, ev_async *w, int revents)
{
    pfw_evconn  *ec, *next;

    (void) loop;
    (void) w;
    (void) revents;
    pthread_mutex_lock(&gt_p.mu);
    ec = gt_p.done;
    gt_p.done = gt_p.dtail = NULL;
    pthread_mutex_unlock(&gt_p.mu);
    for ( ; ec != NULL; ec = next) {
        next = ec->qnext;
        pfw_evloop_after(&gt_l, ec, ec->job_result);
    }
}


/* The loop's heartbeat tick: withheld while a request overruns. */
static int
gt_may_beat(pfw_evloop *l)
{
    long long  now, s, limit;
    unsigned   i;

    if (l->srv.app->timeout == 0) {
        return 1;
    }
    limit = (long long) l->srv.app->timeout * 1000;
    now = pfw_now_ms();
    for (i = 0; i < gt_p.n; i++) {
        s = __atomic_load_n(&gt_p.since[i], __ATOMIC_RELAXED);
        if (s != 0 && now - s > limit) {
            if (!gt_p.overran) {
                gt_p.overran = 1;
                pf_log(PF_LOG_WARNING, "A request has run for %lld s in a "
                       "pool thread (timeout %u s): heartbeat withheld",
                       (now - s) / 1000, l->srv.app->timeout);
            }
            return 0;
        }
    }
    return 1;
}


static int
start_threads(pool *p, unsigned n)
{
    sigset_t  all, old;
    unsigned  i;
    int       e;

    p->tids = calloc(n, sizeof(pthread_t));
    p->since = calloc(n, sizeof(long long));
    if (p->tids == NULL || p->since == NULL) {
        return -1;
    }
    /* signals belong to the loop thread (the core's queue) */
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    for (i = 0; i < n; i++) {
        e = pthread_create(&p->tids[i], NULL, thread_main, p);
        if (e != 0) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            pf_log_errno(PF_LOG_ERROR, e, "pthread_create() failed");
            return -1;
        }
        p->n++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}


static void
stop_threads(pool *p)
{
    unsigned  i;

    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (i = 0; i < p->n; i++) {
        pthread_join(p->tids[i], NULL);
    }
    p->n = 0;
}


static int
gt_init(pf_worker *w, void *ud)
{
    const pfw_app  *app = ud;
    int             rc;

    rc = pfw_worker_boot(w, app);
    if (rc != 0) {
        return rc;
    }
    rc = pfw_evloop_init(&gt_l, w, app, 1);
    if (rc != 0) {
        return rc;
    }
    gt_l.dispatch = gt_dispatch;
    gt_l.may_beat = gt_may_beat;
    gt_l.srv.loop_beats = 1;
    /* gunicorn keeps at most worker_connections - threads idle */
    gt_l.max_idle = gt_l.max_conns > app->threads
                    ? gt_l.max_conns - app->threads : 0;
    pthread_mutex_init(&gt_p.mu, NULL);
    pthread_cond_init(&gt_p.cv, NULL);
    gt_p.interp = PyInterpreterState_Get();
    ev_async_init(&gt_p.wake, wake_cb);
    ev_async_start(gt_l.loop, &gt_p.wake);
    return 0;
}


static int
gt_run(pf_worker *w, void *ud)
{
    const pfw_app  *app = ud;
    PyThreadState  *main_ts;
    int             exiting;

    (void) w;
    main_ts = PyEval_SaveThread();
    if (start_threads(&gt_p, app->threads > 0 ? app->threads : 1) != 0) {
        PyEval_RestoreThread(main_ts);
        return 1;
    }
    exiting = pfw_evloop_run(&gt_l);
    if (!exiting) {
        /* drained: every connection is back, the threads are idle */
        stop_threads(&gt_p);
    }
    PyEval_RestoreThread(main_ts);
    pfw_evloop_close_all(&gt_l);
    return 0;
}


static void
gt_fini(pf_worker *w, void *ud)
{
    /* after an immediate exit threads may still run the app: leave the
     * loop and its connections to _exit() */
    if (gt_l.loop != NULL && !gt_l.exiting) {
        pfw_evloop_fini(&gt_l);
    }
    pfw_worker_fini(w, ud);
}


const pf_worker_ops pfw_gthread_ops = {
    .version     = PF_WORKER_OPS_VERSION,
    .name        = "gthread",
    .master_init = pfw_master_init,
    .pre_fork    = pfw_pre_fork,
    .post_fork   = pfw_post_fork,
    .init        = gt_init,
    .run         = gt_run,
    .fini        = gt_fini,
};

/*
 * -k ev: one libev loop per worker running the app inline.  The GIL is
 * held by the loop's thread except while the backend waits for events
 * (ev_set_loop_release_cb), so the app's own threads run exactly when this
 * one has nothing to do, and callbacks pay no GIL round trip.
 */
#include "evloop.h"

static pfw_evloop      ev_l;
static PyThreadState  *ev_ts;


static void
release_gil(struct ev_loop *loop)
{
    (void) loop;
    ev_ts = PyEval_SaveThread();
}


static void
acquire_gil(struct ev_loop *loop)
{
    (void) loop;
    PyEval_RestoreThread(ev_ts);
}


static int
ev_dispatch(pfw_evloop *l, pfw_evconn *ec)
{
    return pfw_evloop_after(l, ec, pfw_request_run(&ec->c));
}


static int
ev_init_worker(pf_worker *w, void *ud)
{
    int  rc;

    rc = pfw_worker_boot(w, ud);
    if (rc != 0) {
        return rc;
    }
    rc = pfw_evloop_init(&ev_l, w, ud, 0);
    if (rc != 0) {
        return rc;
    }
    ev_l.dispatch = ev_dispatch;
    ev_l.srv.spool = 1;              /* the loop runs the app: never wait */
    ev_l.holds_gil = 1;
    ev_set_loop_release_cb(ev_l.loop, release_gil, acquire_gil);
    return 0;
}


static int
ev_run_worker(pf_worker *w, void *ud)
{
    (void) w;
    (void) ud;
    pfw_evloop_run(&ev_l);
    pfw_evloop_close_all(&ev_l);
    return 0;
}


static void
ev_fini_worker(pf_worker *w, void *ud)
{
    if (ev_l.loop != NULL) {
        pfw_evloop_fini(&ev_l);
    }
    pfw_worker_fini(w, ud);
}


const pf_worker_ops pfw_ev_ops = {
    .version     = PF_WORKER_OPS_VERSION,
    .name        = "ev",
    .master_init = pfw_master_init,
    .pre_fork    = pfw_pre_fork,
    .post_fork   = pfw_post_fork,
    .init        = ev_init_worker,
    .run         = ev_run_worker,
    .fini        = ev_fini_worker,
};

/*
 * The libev connection loop shared by the ev and gthread kinds: accept
 * with the --worker-connections cap, head and body reading, keep-alive and
 * I/O timers, a deadline for each request head, pipelining, graceful
 * drain (the backlog included).  What happens to a request once
 * its head and body are in is the kind's dispatch hook.
 */
#ifndef PFW_EVLOOP_H
#define PFW_EVLOOP_H

#include "internal.h"

#include <ev.h>
#include <poll.h>

enum {                                   /* pfw_evconn.state */
    PFW_EVC_IDLE = 0,                    /* keep-alive: waiting for bytes */
    PFW_EVC_HEAD,                        /* a head is arriving */
    PFW_EVC_BODY,                        /* its body is being buffered */
    PFW_EVC_APP,                         /* handed to the kind */
    PFW_EVC_WRITE,                       /* response parked: the socket
                                            is full, or its 1 MiB turn is
                                            over (iterator kept) */
    PFW_EVC_CLOSING                      /* an error page drains, then close */
};

typedef struct pfw_evconn pfw_evconn;

struct pfw_evconn {
    pfw_conn      c;
    ev_io         io;
    ev_timer      timer;
    pfw_evconn   *next, *prev;
    int           state;
    int           events;                /* what io watches */
    unsigned      burst;                 /* pipelined requests this round */
    pfw_evconn   *inext, *iprev;         /* idle keep-alive list */
    int           idle;                  /* on that list */
    long long     deadline;              /* ms: the head is due by then */
    pfw_evconn   *qnext;                 /* gthread queues */
    int           job_result;            /* gthread: PFW_DONE / PFW_CLOSE */
};

typedef struct pfw_evloop pfw_evloop;

struct pfw_evloop {
    struct ev_loop  *loop;
    pf_worker       *w;
    pfw_server       srv;
    ev_io           *acc;
    size_t           nacc;
    ev_timer         acc_pause;          /* EMFILE back-off */
    ev_timer         bal;                /* balance pause: look again */
    struct pollfd   *bal_fds;            /* the listeners, to peek at */
    long long        starved;            /* ms since a pending connection
                                            was left to siblings, or 0 */
    int              forced;             /* accept whatever waits */
    ev_io            ctl;                /* pf_worker_fd() */
    ev_timer         beat;
    pfw_evconn      *conns;              /* open connections */
    pfw_evconn      *spare;              /* closed ones, buffers kept */
    unsigned         nspare;
    unsigned         nconns;
    unsigned         max_conns;
    pfw_evconn      *idle_head;          /* idle keep-alive connections, */
    pfw_evconn      *idle_tail;          /* oldest first */
    unsigned         nidle;
    unsigned         max_idle;           /* past it the oldest is closed;
                                            UINT_MAX by default */
    int              accepting;
    int              draining;
    long long        grace_end;          /* draining: connections that
                                            never had a request are given
                                            until then (ms) to send one */
    int              exiting;            /* PF_WORKER_EXIT: stop now */
    int              holds_gil;          /* callbacks run with the GIL (ev) */
    /* A request with its body ready (state APP): run it, then report
     * with pfw_evloop_after().  Returns 0 when ec was closed (and may be
     * gone), 1 otherwise. */
    int            (*dispatch)(pfw_evloop *l, pfw_evconn *ec);
    /* 0: withhold the heartbeat (a request overran --timeout); NULL:
     * always beat. */
    int            (*may_beat)(pfw_evloop *l);
    void            *kind;
};

int   pfw_evloop_init(pfw_evloop *l, pf_worker *w, const pfw_app *app,
                      int multithread);
/* Serve until drained (0) or told to exit now (1). */
int   pfw_evloop_run(pfw_evloop *l);
/* Close the connections the loop still owns (not those in state APP). */
void  pfw_evloop_close_all(pfw_evloop *l);
void  pfw_evloop_fini(pfw_evloop *l);
/* The result of pfw_request_run/resume for a connection in state APP;
 * 0 when ec was closed, 1 when it lives on. */
int   pfw_evloop_after(pfw_evloop *l, pfw_evconn *ec, int r);
void  pfw_evloop_close(pfw_evloop *l, pfw_evconn *ec);

#endif /* PFW_EVLOOP_H */

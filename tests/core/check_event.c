/*
 * pf_arbiter_on_event(): PF_EVENT_READY once per generation, after every
 * worker of it booted (start-up, a reload, a rolled-back reload), and at
 * start-up as soon as one worker serves while another's boot is retried.
 * (PF_EVENT_PROMOTED is exercised by prefork-wsgi's integration tests,
 * through sd_notify, with the real binary re-executing itself.)
 * pf_arbiter_subscribe(): every subscriber of an event is called, and
 * PF_EVENT_TICK comes on its own, at most once a second.
 */
#include <errno.h>
#include <check.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "helpers.h"
#include "suites.h"

#define T  10000

static th_master  m;


static void
teardown(void)
{
    th_master_cleanup(&m);
}


/* Read records until a 'V'; counts the 'I' records seen before it (those
 * of pids other than skip[0..1]) and returns the event, or -1. */
static int
until_event(int *inits, const int *skip)
{
    th_rec  r;

    for ( ;; ) {
        if (th_next(&m, &r, T) != 0) {
            return -1;
        }
        if (r.kind == 'V') {
            return r.status;
        }
        if (r.kind == 'I'
            && (skip == NULL || (r.pid != skip[0] && r.pid != skip[1])))
        {
            (*inits)++;
        }
    }
}


static void
stop_ok(void)
{
    kill(m.pid, SIGTERM);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
}


START_TEST(ready_after_the_first_generation_booted)
{
    th_opts  o;
    th_rec   r;
    int      inits = 0, third;

    th_opts_init(&o);
    o.events = 1;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    /* A worker writes 'I' before the library flags it booted, and the
     * master looks at the flags: both 'I' come before the event. */
    ck_assert_int_eq(until_event(&inits, NULL), PF_EVENT_READY);
    ck_assert_int_eq(inits, 2);
    /* TTIN adds a worker to the same generation: no second event.  Once
     * the third worker is flagged booted ('B'), two more signals make sure
     * a whole master pass ran after the one that saw the flag. */
    kill(m.pid, SIGTTIN);
    ck_assert_int_eq(th_expect(&m, 'I', &r, T), 0);
    third = r.pid;
    do {
        ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);
    } while (r.pid != third);
    kill(m.pid, SIGUSR1);
    ck_assert_int_eq(th_expect_log(&m, "Handling signal: usr1", T), 0);
    kill(m.pid, SIGTTOU);
    ck_assert_int_eq(th_expect_log(&m, "Handling signal: ttou", T), 0);
    ck_assert_int_eq(th_expect(&m, 'V', &r, 300), -1);
    stop_ok();
}
END_TEST


START_TEST(ready_again_once_a_reload_booted)
{
    th_opts  o;
    int      old[2], inits = 0, i;
    th_rec   r;

    th_opts_init(&o);
    o.events = 1;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);
        old[i] = r.pid;
    }
    ck_assert_int_eq(th_expect(&m, 'V', &r, T), 0);
    ck_assert_int_eq(r.status, PF_EVENT_READY);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(until_event(&inits, old), PF_EVENT_READY);
    ck_assert_int_eq(inits, 2);             /* the new generation, whole */
    stop_ok();
}
END_TEST


/* A reload whose new workers cannot boot is over once it is rolled back:
 * the previous workers serve as the current generation. */
START_TEST(ready_after_a_rolled_back_reload)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.events = 1;
    o.behave_gen1 = TW_BOOT_FAIL;
    o.arg = PF_EXIT_APPLOAD;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'V', &r, T), 0);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect_log(&m, "Reload failed: App failed to load.",
                                   T), 0);
    ck_assert_int_eq(th_expect(&m, 'V', &r, T), 0);
    ck_assert_int_eq(r.status, PF_EVENT_READY);
    stop_ok();
}
END_TEST


/* At start-up one worker serves while the other's boot is retried: ready
 * (as -D's launcher is), not waiting for a boot that may never come. */
START_TEST(ready_while_a_boot_is_retried)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.events = 1;
    o.behave = TW_BOOT_FAIL;
    o.arg = PF_EXIT_BOOT;
    o.fail_slot = 1;
    o.gated = 1;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);    /* slot 0 */
    ck_assert_int_eq(th_expect(&m, 'V', &r, 300), -1); /* slot 1 booting */
    th_open_gate(&m);                                  /* slot 1 fails */
    ck_assert_int_eq(th_expect_log(&m, "retrying.", T), 0);
    ck_assert_int_eq(th_expect(&m, 'V', &r, T), 0);
    ck_assert_int_eq(r.status, PF_EVENT_READY);
    stop_ok();
}
END_TEST


/* No worker ever boots: the arbiter halts and never says ready. */
START_TEST(no_ready_when_nothing_boots)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.events = 1;
    o.workers = 1;
    o.behave = TW_BOOT_FAIL;
    o.arg = PF_EXIT_APPLOAD;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_master_wait(&m, T), PF_EXIT_APPLOAD);
    ck_assert_int_eq(th_expect(&m, 'E', &r, T), 0);    /* master_exit */
    ck_assert_int_eq(th_expect(&m, 'V', &r, 300), -1);
}
END_TEST


/* Records until the on_event 'V' and one 'S' from each of n subscribers
 * have come, all for event; 0, or -1 (a timeout, another event or a
 * subscriber twice). */
static int
all_subscribers(int n, int event)
{
    th_rec    r;
    unsigned  seen = 0, want = (1u << n) - 1;
    int       v = 0;

    while (!v || seen != want) {
        if (th_next(&m, &r, T) != 0) {
            return -1;
        }
        if (r.kind == 'V') {
            if (v || r.status != event) {
                return -1;
            }
            v = 1;
        } else if (r.kind == 'S') {
            if (r.status != event || r.slot < 0 || r.slot >= n
                || (seen & (1u << r.slot)))
            {
                return -1;
            }
            seen |= 1u << r.slot;
        }
    }
    return 0;
}


START_TEST(every_subscriber_is_called)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.events = 1;
    o.subscribers = 3;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(all_subscribers(3, PF_EVENT_READY), 0);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(all_subscribers(3, PF_EVENT_READY), 0);
    /* Nothing asked for ticks: none came to anybody. */
    ck_assert_int_eq(th_expect(&m, 'K', &r, 300), -1);
    stop_ok();
}
END_TEST


/* Ticks come from the loop alone, no signal sent, and no closer than a
 * second apart by the master's clock even when signals make it run many
 * passes in between; the on_event slot never sees them; a tick subscriber
 * may unsubscribe from its own call. */
START_TEST(ticks_once_a_second_without_signals)
{
    th_opts  o;
    th_rec   r;
    int      i;

    th_opts_init(&o);
    o.workers = 1;
    o.events = 1;
    o.ticks = 4;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'K', &r, T), 0);
    ck_assert_int_eq(r.status, 1);
    ck_assert_uint_eq(r.flags, PF_EVENT_TICK);
    ck_assert_int_eq(th_expect(&m, 'K', &r, T), 0);
    ck_assert_int_eq(r.status, 2);
    ck_assert_uint_ge(r.age, 1000);
    for (i = 0; i < 5; i++) {             /* five extra passes */
        kill(m.pid, SIGUSR1);
        ck_assert_int_eq(th_expect(&m, 'R', &r, T), 0);
    }
    ck_assert_int_eq(th_expect(&m, 'K', &r, T), 0);
    ck_assert_int_eq(r.status, 3);
    ck_assert_uint_ge(r.age, 2000);
    ck_assert_int_eq(th_expect(&m, 'K', &r, T), 0);
    ck_assert_int_eq(r.status, 4);
    ck_assert_uint_ge(r.age, 3000);
    ck_assert_int_eq(th_expect(&m, 'U', &r, T), 0);
    ck_assert_int_eq(r.status, 0);
    /* Unsubscribed: two more seconds of passes bring no tick. */
    ck_assert_int_eq(th_expect(&m, 'K', &r, 2500), -1);
    /* The one 'V' is READY: the on_event slot got no tick. */
    ck_assert_int_eq(th_expect(&m, 'V', &r, 0), 0);
    ck_assert_int_eq(r.status, PF_EVENT_READY);
    ck_assert_int_eq(th_expect(&m, 'V', &r, 0), -1);
    stop_ok();
}
END_TEST


static int
nop_run(pf_worker *w, void *ud)
{
    (void) w; (void) ud;
    return 0;
}


static void
nop_event(pf_arbiter *a, int event, void *ud)
{
    (void) a; (void) event; (void) ud;
}


START_TEST(subscribe_errors)
{
    static const pf_worker_ops  ops = {
        .version = PF_WORKER_OPS_VERSION, .run = nop_run
    };
    pf_config    cfg;
    pf_arbiter  *a;
    long         i;

    pf_config_init(&cfg);
    a = pf_arbiter_new(&cfg, &ops, NULL);
    ck_assert_ptr_nonnull(a);
    errno = 0;
    ck_assert_int_eq(pf_arbiter_subscribe(a, PF_EVENT_TICK, NULL, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(pf_arbiter_subscribe(a, 0, nop_event, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(pf_arbiter_subscribe(a, 8, nop_event, NULL), -1);
    ck_assert_int_eq(errno, EINVAL);
    for (i = 0; i < PF_EVENT_MAX_SUBSCRIBERS; i++) {
        ck_assert_int_eq(pf_arbiter_subscribe(a, PF_EVENT_READY, nop_event,
                                              (void *) i), 0);
    }
    ck_assert_int_eq(pf_arbiter_subscribe(a, PF_EVENT_READY, nop_event,
                                          (void *) i), -1);
    ck_assert_int_eq(errno, ENOSPC);
    ck_assert_int_eq(pf_arbiter_subscribe(a, PF_EVENT_TICK, nop_event,
                                          (void *) 3), -1);
    ck_assert_int_eq(errno, EEXIST);
    ck_assert_int_eq(pf_arbiter_unsubscribe(a, nop_event, (void *) 3), 0);
    ck_assert_int_eq(pf_arbiter_unsubscribe(a, nop_event, (void *) 3), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(pf_arbiter_subscribe(a, PF_EVENT_TICK, nop_event,
                                          (void *) i), 0);
    /* The on_event slot is apart: it takes no subscriber's place. */
    pf_arbiter_on_event(a, nop_event, NULL);
    ck_assert_int_eq(pf_arbiter_subscribe(a, PF_EVENT_READY, nop_event,
                                          (void *) (i + 1)), -1);
    ck_assert_int_eq(errno, ENOSPC);
    pf_arbiter_free(a);
}
END_TEST


Suite *
event_suite(void)
{
    Suite  *s = suite_create("event");
    TCase  *tc = tcase_create("ready");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, ready_after_the_first_generation_booted);
    tcase_add_test(tc, ready_again_once_a_reload_booted);
    tcase_add_test(tc, ready_after_a_rolled_back_reload);
    tcase_add_test(tc, ready_while_a_boot_is_retried);
    tcase_add_test(tc, no_ready_when_nothing_boots);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("subscribers");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, every_subscriber_is_called);
    tcase_add_test(tc, ticks_once_a_second_without_signals);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("api");
    tcase_add_test(tc, subscribe_errors);
    suite_add_tcase(s, tc);
    return s;
}

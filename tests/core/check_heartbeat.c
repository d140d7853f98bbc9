/* Heartbeat slots and the lateness rule, below the arbiter. */
#include <check.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "helpers.h"
#include "suites.h"


START_TEST(late_rule)
{
    ck_assert_int_eq(pf__heart_late(1000, 0, 31000, 30), 0);    /* exactly */
    ck_assert_int_eq(pf__heart_late(1000, 0, 31001, 30), 1);
    ck_assert_int_eq(pf__heart_late(1000, 0, 999999, 0), 0);    /* disabled */
    /* After a suspension the grace point counts as the last beat. */
    ck_assert_int_eq(pf__heart_late(1000, 40000, 41000, 30), 0);
    ck_assert_int_eq(pf__heart_late(1000, 40000, 70001, 30), 1);
}
END_TEST


START_TEST(slots_reused_and_high_water_mark)
{
    pf__heart  h;
    int        i;

    memset(&h, 0, sizeof(h));
    ck_assert_int_eq(pf__heart_alloc(&h, 0), 0);
    ck_assert_int_eq(pf__heart_alloc(&h, 0), 1);
    ck_assert_int_eq(pf__heart_alloc(&h, 0), 2);
    ck_assert_int_eq(atomic_load(&h.board->hwm), 3);
    pf__heart_release(&h, 0);
    ck_assert_int_eq(atomic_load(&h.board->hwm), 3);
    ck_assert_int_eq(pf__heart_alloc(&h, 0), 0);                /* reused */
    pf__heart_release(&h, 2);
    pf__heart_release(&h, 1);
    ck_assert_int_eq(atomic_load(&h.board->hwm), 1);            /* shrunk */
    ck_assert_int_gt(atomic_load(&pf__heart_slot(&h, 0)->beat_ms), 0);
    for (i = 1; i < PF__MAX_SLOTS; i++) {
        ck_assert_int_eq(pf__heart_alloc(&h, 0), i);
    }
    ck_assert_int_eq(pf__heart_alloc(&h, 0), -1);               /* full */
    pf__heart_free(&h);
}
END_TEST


static void
publish(pf__heart *h, int i, unsigned load, int accepting)
{
    atomic_store(&pf__heart_slot(h, i)->load, load);
    atomic_store(&pf__heart_slot(h, i)->accepting, accepting);
}


START_TEST(min_load_within_generation)
{
    pf__heart  h;

    memset(&h, 0, sizeof(h));
    ck_assert_int_eq(pf__heart_alloc(&h, 1), 0);
    ck_assert_int_eq(pf__heart_alloc(&h, 1), 1);
    ck_assert_int_eq(pf__heart_alloc(&h, 1), 2);
    ck_assert_int_eq(pf__heart_alloc(&h, 2), 3);
    publish(&h, 0, 7, 1);
    publish(&h, 1, 4, 1);
    publish(&h, 2, 1, 0);                  /* draining: not counted */
    publish(&h, 3, 0, 1);                  /* other generation */
    ck_assert_uint_eq(pf__heart_min_load(h.board, 1, 7), 4);
    ck_assert_uint_eq(pf__heart_min_load(h.board, 1, 3), 3);    /* mine */
    ck_assert_uint_eq(pf__heart_min_load(h.board, 2, 9), 0);
    pf__heart_release(&h, 1);              /* reaped: not counted */
    ck_assert_uint_eq(pf__heart_min_load(h.board, 1, 7), 7);
    pf__heart_free(&h);
}
END_TEST


/* The worker-side API over the same slots. */
START_TEST(worker_publishes_and_stops_on_drain)
{
    pf__heart  h;
    pf_worker  w1, w2;

    memset(&h, 0, sizeof(h));
    memset(&w1, 0, sizeof(w1));
    memset(&w2, 0, sizeof(w2));
    w1.beat = pf__heart_slot(&h, pf__heart_alloc(&h, 0));
    w2.beat = pf__heart_slot(&h, pf__heart_alloc(&h, 0));
    w1.board = w2.board = h.board;
    w1.life = w2.life = -1;
    ck_assert_uint_eq(pf_worker_min_load(&w1), 0);
    pf_worker_set_load(&w1, 6);
    ck_assert_uint_eq(pf_worker_min_load(&w1), 6);  /* w2 publishes nothing */
    pf_worker_set_load(&w2, 2);
    ck_assert_uint_eq(pf_worker_min_load(&w1), 2);
    w2.state = PF_WORKER_DRAIN;            /* as pf_worker_poll() sets it */
    ck_assert_int_ge(pf_sigqueue_init(), 0);
    pf_worker_poll(&w2);
    ck_assert_uint_eq(pf_worker_min_load(&w1), 6);
    pf_worker_set_load(&w2, 0);            /* a draining worker stays out */
    ck_assert_uint_eq(pf_worker_min_load(&w1), 6);
    pf__heart_free(&h);
}
END_TEST


/* A beat in a forked child is visible to the parent: shared memory. */
START_TEST(beat_crosses_fork)
{
    pf__heart  h;
    pf__beat  *b;
    pid_t      pid;
    int        i, status;

    memset(&h, 0, sizeof(h));
    i = pf__heart_alloc(&h, 0);
    ck_assert_int_ge(i, 0);
    b = pf__heart_slot(&h, i);
    atomic_store(&b->beat_ms, 5);
    pid = fork();
    if (pid == 0) {
        atomic_store(&b->beat_ms, 123456789);
        atomic_store(&b->booted, 1);
        _exit(0);
    }
    ck_assert_int_eq(th_wait(pid, &status, 5000), pid);
    ck_assert_int_eq(atomic_load(&b->beat_ms), 123456789);
    ck_assert_int_eq(atomic_load(&b->booted), 1);
    pf__heart_free(&h);
}
END_TEST


START_TEST(slot_is_one_cache_line)
{
    ck_assert_uint_eq(sizeof(pf__beat), 64);
}
END_TEST


Suite *
heartbeat_suite(void)
{
    Suite  *s = suite_create("heartbeat");
    TCase  *tc = tcase_create("slots");

    tcase_add_test(tc, late_rule);
    tcase_add_test(tc, slots_reused_and_high_water_mark);
    tcase_add_test(tc, min_load_within_generation);
    tcase_add_test(tc, worker_publishes_and_stops_on_drain);
    tcase_add_test(tc, beat_crosses_fork);
    tcase_add_test(tc, slot_is_one_cache_line);
    suite_add_tcase(s, tc);
    return s;
}

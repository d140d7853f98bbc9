/* Heartbeat slots and the lateness rule, below the arbiter. */
#include <check.h>
#include <signal.h>
#include <stdatomic.h>
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


START_TEST(slots_reused_and_grown)
{
    pf__heart  h = { 0 };
    int        i, a, b;

    a = pf__heart_alloc(&h);
    b = pf__heart_alloc(&h);
    ck_assert_int_eq(a, 0);
    ck_assert_int_eq(b, 1);
    pf__heart_release(&h, a);
    ck_assert_int_eq(pf__heart_alloc(&h), 0);                   /* reused */
    for (i = 2; i < PF__BEATS_PER_PAGE + 5; i++) {              /* 2nd page */
        ck_assert_int_eq(pf__heart_alloc(&h), i);
    }
    ck_assert_uint_eq(h.npages, 2);
    ck_assert_int_gt(atomic_load(&pf__heart_slot(&h, i - 1)->beat_ms), 0);
    pf__heart_free(&h);
}
END_TEST


/* A beat in a forked child is visible to the parent: shared memory. */
START_TEST(beat_crosses_fork)
{
    pf__heart  h = { 0 };
    pf__beat  *b;
    pid_t      pid;
    int        i = pf__heart_alloc(&h), status;

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
    tcase_add_test(tc, slots_reused_and_grown);
    tcase_add_test(tc, beat_crosses_fork);
    tcase_add_test(tc, slot_is_one_cache_line);
    suite_add_tcase(s, tc);
    return s;
}

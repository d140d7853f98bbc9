/*
 * The arbiter, for real: a master process with real workers, driven by real
 * signals, observed through the harness's record pipe and log capture.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "helpers.h"
#include "suites.h"

#define T  10000      /* default wait, ms: generous, never reached when OK */

static th_master  m;


static void
start(const th_opts *o)
{
    ck_assert_int_eq(th_master_start(&m, o), 0);
}


static void
teardown(void)
{
    th_master_cleanup(&m);
}


/* Wait for n records of kind; their pids go to pids[] when not NULL. */
static void
expect_n(char kind, int n, int *pids)
{
    th_rec  r;
    int     i;

    for (i = 0; i < n; i++) {
        ck_assert_msg(th_expect(&m, kind, &r, T) == 0,
                      "record '%c' #%d did not come", kind, i + 1);
        if (pids != NULL) {
            pids[i] = r.pid;
        }
    }
}


static void
stop_ok(void)
{
    kill(m.pid, SIGTERM);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
}


START_TEST(spawns_n_workers_in_slots)
{
    th_opts  o;
    th_rec   r;
    int      seen = 0, ages = 0, i;

    th_opts_init(&o);
    o.workers = 3;
    start(&o);
    ck_assert_int_eq(th_expect(&m, 'M', NULL, T), 0);   /* master_init first */
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(th_expect(&m, 'I', &r, T), 0);
        ck_assert(r.slot >= 0 && r.slot < 3);
        seen |= 1 << r.slot;
        ck_assert(r.age >= 1 && r.age <= 3);
        ages |= 1 << (r.age - 1);
    }
    ck_assert_int_eq(seen, 7);
    ck_assert_int_eq(ages, 7);             /* ages 1, 2, 3: the spawn order */
    expect_n('B', 3, NULL);
    ck_assert_int_gt(th_ask_pid(&m), 0);
    ck_assert_int_eq(th_expect_log(&m, "Listening at: unix:", T), 0);
    kill(m.pid, SIGTERM);
    expect_n('D', 3, NULL);                /* graceful: workers drained */
    expect_n('X', 3, NULL);
    ck_assert_int_eq(th_expect(&m, 'E', NULL, T), 0);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
    ck_assert_ptr_nonnull(strstr(m.logbuf, "Shutting down: Master"));
}
END_TEST


START_TEST(respawns_a_killed_worker)
{
    th_opts  o;
    th_rec   r;
    int      pids[2];
    char     line[128];

    th_opts_init(&o);
    start(&o);
    expect_n('B', 2, pids);
    th_forget(&m);
    kill(pids[0], SIGKILL);
    ck_assert_int_eq(th_expect(&m, 'X', &r, T), 0);
    ck_assert_int_eq(r.pid, pids[0]);
    ck_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
    ck_assert_uint_eq(r.flags & 1, 1);     /* it had booted */
    ck_assert_int_eq(th_expect(&m, 'I', &r, T), 0);
    ck_assert_int_ne(r.pid, pids[0]);
    snprintf(line, sizeof(line), "Worker (pid:%d) was sent SIGKILL! Perhaps out"
             " of memory?", pids[0]);
    ck_assert_int_eq(th_expect_log(&m, line, T), 0);
    stop_ok();
}
END_TEST


START_TEST(ttin_ttou_never_below_one)
{
    th_opts  o;
    th_rec   r;
    int      pids[1];

    th_opts_init(&o);
    o.workers = 1;
    start(&o);
    expect_n('B', 1, pids);
    th_forget(&m);
    kill(m.pid, SIGTTOU);                  /* already at 1: ignored */
    /* Pending signals are delivered by number (TTIN before TTOU), so let
     * the TTOU be handled before sending TTIN. */
    ck_assert_int_eq(th_expect_log(&m, "Handling signal: ttou", T), 0);
    kill(m.pid, SIGTTIN);
    /* The next record must be the TTIN's new worker, not a drain. */
    ck_assert_int_eq(th_next(&m, &r, T), 0);
    ck_assert_int_eq(r.kind, 'I');
    ck_assert_int_eq(r.slot, 1);
    expect_n('B', 1, NULL);
    kill(m.pid, SIGTTOU);                  /* 2 -> 1: the oldest goes */
    ck_assert_int_eq(th_expect(&m, 'D', &r, T), 0);
    ck_assert_int_eq(r.pid, pids[0]);
    stop_ok();
}
END_TEST


/* HUP: the whole new generation boots before any old worker stops, so
 * there are never fewer booted workers than configured (never zero). */
START_TEST(hup_is_a_rolling_reload)
{
    th_opts  o;
    th_rec   r;
    int      old[2], booted_new = 0, drained_old = 0;

    th_opts_init(&o);
    start(&o);
    expect_n('B', 2, old);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    /* A new worker writes 'I' as its init returns, just before the library
     * flags it booted (which is what lets an old one retire); its 'B' may
     * reach the pipe after the old worker's 'D', so 'I' is what counts. */
    while (drained_old < 2) {
        ck_assert_int_eq(th_next(&m, &r, T), 0);
        if (r.kind == 'I') {
            ck_assert(r.pid != old[0] && r.pid != old[1]);
            booted_new++;
        } else if (r.kind == 'D') {
            ck_assert(r.pid == old[0] || r.pid == old[1]);
            drained_old++;
            ck_assert_msg(booted_new == 2,
                          "an old worker stopped before the new generation was up");
        }
    }
    ck_assert_int_eq(th_expect_log(&m, "Hang up: Master", T), 0);
    ck_assert_int_gt(th_ask_pid(&m), 0);
    stop_ok();
}
END_TEST


START_TEST(term_finishes_in_flight_request)
{
    th_opts  o;
    th_rec   r;
    char     buf[16];
    int      c;

    th_opts_init(&o);
    o.workers = 1;
    o.behave = TW_HOLD;
    start(&o);
    expect_n('B', 1, NULL);
    c = th_connect(m.addr);
    ck_assert_int_ge(c, 0);
    ck_assert_int_eq(write(c, "x", 1), 1);
    ck_assert_int_eq(th_expect(&m, 'A', NULL, T), 0);
    kill(m.pid, SIGTERM);
    ck_assert_int_eq(th_expect_log(&m, "Handling signal: term", T), 0);
    /* The request is still in flight: the worker must still be there. */
    ck_assert_int_eq(th_readable(m.rec, 300), 0);
    ck_assert_int_eq(write(c, "y", 1), 1);
    ck_assert_int_eq(th_read_all(c, buf, sizeof(buf), T), 5);
    ck_assert_str_eq(buf, "done\n");
    close(c);
    ck_assert_int_eq(th_expect(&m, 'X', &r, T), 0);
    ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
}
END_TEST


START_TEST(graceful_timeout_then_sigkill)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.workers = 1;
    o.graceful_timeout = 1;
    o.behave = TW_IGNORE_TERM;
    start(&o);
    expect_n('B', 1, NULL);
    kill(m.pid, SIGTERM);
    ck_assert_int_eq(th_expect(&m, 'X', &r, T), 0);
    ck_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
    ck_assert_ptr_nonnull(strstr(m.logbuf, "did not stop within the graceful"));
}
END_TEST


static void
quick_stop_by(int signo)
{
    th_opts  o;

    th_opts_init(&o);
    start(&o);
    expect_n('B', 2, NULL);
    kill(m.pid, signo);
    expect_n('Q', 2, NULL);                /* SIGQUIT reached the workers */
    ck_assert_int_eq(th_master_wait(&m, T), 0);
}


START_TEST(quit_is_quick)
{
    quick_stop_by(SIGQUIT);
}
END_TEST


START_TEST(int_is_quick)
{
    quick_stop_by(SIGINT);
}
END_TEST


START_TEST(usr1_reaches_every_worker)
{
    th_opts  o;

    th_opts_init(&o);
    o.workers = 3;
    start(&o);
    expect_n('B', 3, NULL);
    kill(m.pid, SIGUSR1);
    expect_n('R', 3, NULL);
    stop_ok();
}
END_TEST


/* Sibling workers see each other's published load. */
START_TEST(workers_see_each_others_load)
{
    th_opts  o;
    th_rec   r;
    int      i;

    th_opts_init(&o);
    o.workers = 3;
    o.behave = TW_LOAD;
    start(&o);
    expect_n('B', 3, NULL);
    kill(m.pid, SIGUSR1);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(th_expect(&m, 'L', &r, T), 0);
        ck_assert_int_eq(r.status, 10);    /* slot 0's load, seen by all */
    }
    stop_ok();
}
END_TEST


START_TEST(winch_ignored_unless_daemonized)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.workers = 1;
    start(&o);
    expect_n('B', 1, NULL);
    th_forget(&m);
    kill(m.pid, SIGWINCH);
    ck_assert_int_eq(th_expect_log(&m, "Handling signal: winch", T), 0);
    kill(m.pid, SIGTTIN);
    ck_assert_int_eq(th_next(&m, &r, T), 0);
    ck_assert_int_eq(r.kind, 'I');         /* no worker was stopped */
    ck_assert_int_eq(th_expect_log(&m, "Handling signal: winch", T), 0);
    stop_ok();
}
END_TEST


static void
boot_failure(int code, const char *why)
{
    th_opts  o;

    th_opts_init(&o);
    o.behave = TW_BOOT_FAIL;
    o.arg = code;
    start(&o);
    ck_assert_int_eq(th_master_wait(&m, T), code);
    ck_assert_ptr_nonnull(strstr(m.logbuf, "Shutting down: Master"));
    ck_assert_ptr_nonnull(strstr(m.logbuf, why));
    ck_assert_ptr_nonnull(strstr(m.logbuf, "[ERROR] Reason: "));
}


START_TEST(exit_3_before_boot_halts)
{
    boot_failure(PF_EXIT_BOOT, "Reason: Worker failed to boot.");
}
END_TEST


START_TEST(exit_4_before_boot_halts)
{
    boot_failure(PF_EXIT_APPLOAD, "Reason: App failed to load.");
}
END_TEST


/* A failing new generation after HUP keeps the old one serving. */
START_TEST(failed_reload_keeps_old_workers)
{
    th_opts  o;
    int      old[2], pid;

    th_opts_init(&o);
    o.behave_gen1 = TW_BOOT_FAIL;
    o.arg = PF_EXIT_APPLOAD;
    start(&o);
    expect_n('B', 2, old);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect_log(&m, "Reload failed: App failed to load.", T), 0);
    pid = th_ask_pid(&m);
    ck_assert(pid == old[0] || pid == old[1]);
    ck_assert_int_eq(kill(old[0], 0), 0);
    ck_assert_int_eq(kill(old[1], 0), 0);
    /* The code on disk is still broken: a replacement cannot boot either,
     * and the server keeps serving with what it has, retrying. */
    kill(old[0], SIGKILL);
    ck_assert_int_eq(th_expect_log(&m, "1 worker(s) still serving; retrying.", T), 0);
    ck_assert_int_eq(th_ask_pid(&m), old[1]);
    ck_assert_int_eq(kill(m.pid, 0), 0);
    stop_ok();
}
END_TEST


/* Half of a new generation boots, the other half cannot: the reload is
 * rolled back whole, so old and new code never serve side by side. */
START_TEST(failed_reload_rolls_back_whole_generation)
{
    th_opts  o;
    th_rec   r;
    int      old[2], i, pid;

    th_opts_init(&o);
    o.behave_gen1 = TW_BOOT_FAIL;
    o.arg = PF_EXIT_BOOT;
    o.fail_slot = 1;
    o.gated = 1;
    start(&o);
    expect_n('B', 2, old);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);    /* new slot 0 boots */
    ck_assert_int_eq(r.slot, 0);
    pid = r.pid;
    th_open_gate(&m);                                  /* new slot 1 fails */
    ck_assert_int_eq(th_expect_log(&m, "Reload failed: Worker failed to boot.", T), 0);
    ck_assert_int_eq(th_expect(&m, 'D', &r, T), 0);    /* rolled back */
    ck_assert_int_eq(r.pid, pid);          /* the new one, no old one */
    ck_assert_int_eq(kill(old[0], 0), 0);
    ck_assert_int_eq(kill(old[1], 0), 0);
    for (i = 0; i < 4; i++) {
        int who = th_ask_pid(&m);

        ck_assert(who == old[0] || who == old[1]);
    }
    stop_ok();
}
END_TEST


/* HUP, HUP again before the first reload completed, then the newest
 * generation fails: only the original generation may keep serving. */
START_TEST(overlapping_reloads_roll_back_to_one_generation)
{
    th_opts  o;
    th_rec   r;
    int      old[2], g1, g2, i, d1 = 0, d2 = 0;

    th_opts_init(&o);
    o.behave_gen1 = TW_BOOT_FAIL;          /* every later spawn: */
    o.arg = PF_EXIT_APPLOAD;
    o.fail_slot = 1;                       /* slot 0 boots, slot 1 fails */
    o.gated = 1;                           /* once the gate opens */
    start(&o);
    expect_n('B', 2, old);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);
    g1 = r.pid;
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);
    g2 = r.pid;
    ck_assert_int_ne(g2, g1);              /* the second HUP's generation */
    th_open_gate(&m);
    ck_assert_int_eq(th_expect_log(&m, "Reload failed: App failed to load.", T), 0);
    while (!(d1 && d2)) {
        ck_assert_int_eq(th_expect(&m, 'D', &r, T), 0);
        ck_assert(r.pid == g1 || r.pid == g2);
        d1 |= r.pid == g1;
        d2 |= r.pid == g2;
    }
    for (i = 0; i < 4; i++) {
        int who = th_ask_pid(&m);

        ck_assert(who == old[0] || who == old[1]);
    }
    stop_ok();
}
END_TEST


/* After a rolled-back reload the kept workers still see each other's
 * load: the generation they compare is read from their slots. */
START_TEST(load_balance_survives_a_failed_reload)
{
    th_opts  o;
    th_rec   r;
    int      i;

    th_opts_init(&o);
    o.behave = TW_LOAD;
    o.behave_gen1 = TW_BOOT_FAIL;
    o.arg = PF_EXIT_APPLOAD;
    start(&o);
    expect_n('B', 2, NULL);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect_log(&m, "Reload failed: App failed to load.", T), 0);
    th_forget(&m);
    kill(m.pid, SIGUSR1);
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(th_expect(&m, 'L', &r, T), 0);
        ck_assert_int_eq(r.status, 10);
    }
    stop_ok();
}
END_TEST


/* HUP with changed binds (gunicorn re-binds): the new generation serves
 * on the new address, the old socket file goes once nobody holds it. */
START_TEST(rebind_on_hup)
{
    th_opts  o;
    th_rec   r;
    char     naddr[400], line[450];
    int      old[2], fd;

    th_opts_init(&o);
    snprintf(naddr, sizeof(naddr), "unix:/tmp/pf-rebind-%d.sock", (int) getpid());
    o.rebind_to = naddr;
    start(&o);
    expect_n('B', 2, old);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect(&m, 'H', &r, T), 0);
    ck_assert_int_eq(r.status, 0);
    snprintf(line, sizeof(line), "Listening at: %s (", naddr);
    ck_assert_int_eq(th_expect_log(&m, line, T), 0);
    expect_n('D', 2, NULL);                /* the old generation retired */
    ck_assert_int_eq(access(m.addr + 5, F_OK), -1);    /* old file gone */
    fd = th_connect(naddr);
    ck_assert_int_ge(fd, 0);
    close(fd);
    stop_ok();
    ck_assert_int_eq(access(naddr + 5, F_OK), -1);     /* unlinked at exit */
}
END_TEST


/* A rebind that cannot bind changes nothing. */
START_TEST(failed_rebind_changes_nothing)
{
    th_opts  o;
    th_rec   r;
    int      old[2], who;

    th_opts_init(&o);
    o.rebind_to = "unix:/nonexistent-pf-dir/x.sock";
    start(&o);
    expect_n('B', 2, old);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect(&m, 'H', &r, T), 0);
    ck_assert_int_eq(r.status, -1);
    expect_n('B', 2, NULL);                /* the reload itself went on */
    who = th_ask_pid(&m);                  /* on the old address */
    ck_assert_int_gt(who, 0);
    ck_assert_int_eq(access(m.addr + 5, F_OK), 0);
    stop_ok();
}
END_TEST


/* Timeouts changed at run time apply to workers forked afterwards; a
 * running worker is judged by the timeout it was forked with. */
START_TEST(new_timeouts_apply_to_new_workers)
{
    th_opts  o;
    th_rec   r;
    char     line[64];
    int      first[1];

    th_opts_init(&o);
    o.workers = 1;
    o.timeout = 30;
    o.behave = TW_HANG;
    o.usr2_timeout = 1;
    start(&o);
    expect_n('B', 1, first);
    kill(m.pid, SIGUSR2);
    ck_assert_int_eq(th_expect(&m, 'T', NULL, T), 0);
    th_forget(&m);
    kill(m.pid, SIGTTIN);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);    /* timeout 1 */
    ck_assert_int_eq(th_expect(&m, 'X', &r, T), 0);
    ck_assert_int_ne(r.pid, first[0]);     /* the new one timed out... */
    ck_assert_uint_eq(r.flags & 2, 2);
    snprintf(line, sizeof(line), "WORKER TIMEOUT (pid:%d)", r.pid);
    ck_assert_int_eq(th_expect_log(&m, line, T), 0);
    ck_assert_int_eq(kill(first[0], 0), 0);    /* ...the first one did not */
    stop_ok();
}
END_TEST


START_TEST(crash_after_boot_respawns_with_backoff)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.workers = 1;
    o.behave = TW_CRASH;
    o.arg = 7;
    start(&o);
    ck_assert_int_eq(th_expect(&m, 'X', &r, T), 0);
    ck_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 7);
    th_forget(&m);
    ck_assert_uint_eq(r.flags & 1, 1);
    ck_assert_int_eq(th_expect(&m, 'I', NULL, T), 0);      /* respawned */
    ck_assert_int_eq(th_expect_log(&m, "respawning in 100 ms", T), 0);
    ck_assert_int_eq(th_expect_log(&m, "respawning in 200 ms", T), 0);
    ck_assert_int_eq(th_expect_log(&m, "respawning in 400 ms", T), 0);
    ck_assert_int_eq(th_expect_log(&m, "exited with code 7.", T), 0);
    stop_ok();
}
END_TEST


START_TEST(silent_worker_gets_sigabrt)
{
    th_opts  o;
    th_rec   r;
    int      pids[1];
    char     line[64];

    th_opts_init(&o);
    o.workers = 1;
    o.timeout = 1;
    o.behave = TW_HANG;
    start(&o);
    expect_n('B', 1, pids);
    th_forget(&m);
    ck_assert_int_eq(th_expect(&m, 'X', &r, T), 0);
    ck_assert_int_eq(r.pid, pids[0]);
    ck_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGABRT);
    ck_assert_uint_eq(r.flags & 2, 2);     /* timed_out */
    snprintf(line, sizeof(line), "[CRITICAL] WORKER TIMEOUT (pid:%d)", pids[0]);
    ck_assert_int_eq(th_expect_log(&m, line, T), 0);
    ck_assert_int_eq(th_expect(&m, 'I', &r, T), 0);      /* replaced */
    ck_assert_int_eq(r.slot, 0);
    stop_ok();
}
END_TEST


/* A worker that survives SIGABRT (it blocks it) is SIGKILLed next pass. */
START_TEST(sigabrt_then_sigkill)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.workers = 1;
    o.timeout = 1;
    o.behave = TW_HANG;
    o.arg = 1;                             /* block SIGABRT */
    start(&o);
    expect_n('B', 1, NULL);
    ck_assert_int_eq(th_expect(&m, 'X', &r, T), 0);
    ck_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL);
    ck_assert_uint_eq(r.flags & 2, 2);
    ck_assert_int_eq(th_expect_log(&m, "WORKER TIMEOUT", T), 0);
    stop_ok();
}
END_TEST


START_TEST(timeout_zero_disables_the_check)
{
    th_opts  o;

    th_opts_init(&o);
    o.workers = 1;
    o.timeout = 0;
    o.behave = TW_HANG;
    start(&o);
    expect_n('B', 1, NULL);
    /* With timeout 1 the worker would be gone within ~2 s. */
    ck_assert_int_eq(th_readable(m.rec, 3000), 0);
    stop_ok();
}
END_TEST


/* Unicorn's SIGSTOP test in miniature: master and worker both stopped for
 * longer than the timeout (a suspended machine); the master resumes first
 * and must not kill the worker for beats it could not send. */
START_TEST(suspended_master_spares_healthy_workers)
{
    th_opts  o;
    int      pids[1];

    th_opts_init(&o);
    o.workers = 1;
    o.timeout = 1;
    start(&o);
    expect_n('B', 1, pids);
    kill(pids[0], SIGSTOP);
    kill(m.pid, SIGSTOP);
    poll(NULL, 0, 3000);                   /* the suspension under test */
    kill(m.pid, SIGCONT);
    ck_assert_int_eq(th_expect_log(&m, "master was suspended", T), 0);
    kill(pids[0], SIGCONT);
    ck_assert_int_eq(th_readable(m.rec, 2500), 0);   /* nobody died */
    ck_assert_int_eq(th_ask_pid(&m), pids[0]);
    stop_ok();
}
END_TEST


START_TEST(workers_follow_a_dead_master)
{
    th_opts  o;
    int      pids[2];

    th_opts_init(&o);
    start(&o);
    expect_n('B', 2, pids);
    kill(m.pid, SIGKILL);
    ck_assert_int_eq(th_master_wait(&m, T), 128 + SIGKILL);
    expect_n('D', 2, NULL);                /* drained on EOF, not killed */
    ck_assert_int_eq(th_expect_log(&m, "Parent changed, shutting down", T), 0);
}
END_TEST


static char  hook_log[4096];


static void
hook(int level, const char *msg, void *ud)
{
    (void) level; (void) ud;
    strncat(hook_log, msg, sizeof(hook_log) - strlen(hook_log) - 2);
    strcat(hook_log, "\n");
}


static int
noop_run(pf_worker *w, void *ud)
{
    (void) w; (void) ud;
    return 0;
}


static const pf_worker_ops noop_ops = {
    .version = PF_WORKER_OPS_VERSION, .run = noop_run
};


START_TEST(bind_retried_then_fails)
{
    pf_config    cfg;
    pf_arbiter  *a;
    char         addr[64], line[96];
    const char  *p;
    int          port, fd;
    long long    t0;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    port = th_free_port();
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
    {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons((unsigned short) port) };

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        ck_assert_int_eq(listen(fd, 1), 0);
    }
    pf_log_set(hook, NULL, PF_LOG_DEBUG);
    pf_config_init(&cfg);
    cfg.bind_attempts = 2;
    a = pf_arbiter_new(&cfg, &noop_ops, NULL);
    ck_assert_ptr_nonnull(a);
    t0 = th_now_ms();
    ck_assert_int_eq(pf_arbiter_listen(a, addr), -1);
    ck_assert_int_eq(errno, EADDRINUSE);
    ck_assert_int_ge(th_now_ms() - t0, 900);         /* it waited to retry */
    /* gunicorn's lines, in order, around the errno-naming ones. */
    snprintf(line, sizeof(line), "Connection in use: %s\n", addr);
    p = strstr(hook_log, line);
    ck_assert_ptr_nonnull(p);
    p = strstr(p + 1, "Retrying in 1 second.\n");
    ck_assert_ptr_nonnull(p);
    p = strstr(p, line);
    ck_assert_ptr_nonnull(p);
    snprintf(line, sizeof(line), "Can't connect to %s\n", addr);
    ck_assert_ptr_nonnull(strstr(p, line));
    ck_assert_ptr_nonnull(strstr(hook_log, "Address already in use"));
    pf_arbiter_free(a);
}
END_TEST


START_TEST(one_arbiter_per_process)
{
    pf_config    cfg;
    pf_arbiter  *a, *b;

    pf_config_init(&cfg);
    a = pf_arbiter_new(&cfg, &noop_ops, NULL);
    ck_assert_ptr_nonnull(a);
    b = pf_arbiter_new(&cfg, &noop_ops, NULL);
    ck_assert_ptr_null(b);
    ck_assert_int_eq(errno, EBUSY);
    pf_arbiter_free(a);
    b = pf_arbiter_new(&cfg, &noop_ops, NULL);
    ck_assert_ptr_nonnull(b);
    pf_arbiter_free(b);
}
END_TEST


START_TEST(bad_config_refused)
{
    pf_config      cfg;
    pf_worker_ops  ops = noop_ops;

    pf_config_init(&cfg);
    ops.version = 99;
    ck_assert_ptr_null(pf_arbiter_new(&cfg, &ops, NULL));
    ck_assert_int_eq(errno, EINVAL);
    ops = noop_ops;
    ops.run = NULL;
    ck_assert_ptr_null(pf_arbiter_new(&cfg, &ops, NULL));
    ck_assert_int_eq(errno, EINVAL);
    pf_log_set(hook, NULL, PF_LOG_DEBUG);
    cfg.user = "no-such-user-pf";
    ck_assert_ptr_null(pf_arbiter_new(&cfg, &noop_ops, NULL));
    ck_assert_int_eq(errno, EINVAL);
}
END_TEST


START_TEST(pidfile_written_and_removed)
{
    th_opts  o;
    char     path[512];

    th_opts_init(&o);
    o.workers = 1;
    snprintf(path, sizeof(path), "/tmp/pf-pid-%d", (int) getpid());
    o.pidfile = path;
    start(&o);
    expect_n('B', 1, NULL);
    ck_assert_int_eq(pf_pidfile_read(path), m.pid);
    stop_ok();
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST


START_TEST(pidfile_of_live_process_refused)
{
    th_opts  o;
    char     path[512], line[600];

    th_opts_init(&o);
    snprintf(path, sizeof(path), "/tmp/pf-pid-%d", (int) getpid());
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), 0);
    o.pidfile = path;
    start(&o);
    ck_assert_int_eq(th_master_wait(&m, T), 1);
    ck_assert_int_eq(access(m.addr + 5, F_OK), -1);   /* nothing bound */
    snprintf(line, sizeof(line), "Already running on PID %d (or pid file '%s'"
             " is stale)", (int) getpid(), path);
    ck_assert_ptr_nonnull(strstr(m.logbuf, line));
    ck_assert_int_eq(pf_pidfile_read(path), getpid());  /* left alone */
    unlink(path);
}
END_TEST


Suite *
arbiter_suite(void)
{
    Suite  *s = suite_create("arbiter");
    TCase  *tc = tcase_create("lifecycle");
    TCase  *hb = tcase_create("heartbeat");
    TCase  *misc = tcase_create("misc");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, spawns_n_workers_in_slots);
    tcase_add_test(tc, respawns_a_killed_worker);
    tcase_add_test(tc, ttin_ttou_never_below_one);
    tcase_add_test(tc, hup_is_a_rolling_reload);
    tcase_add_test(tc, term_finishes_in_flight_request);
    tcase_add_test(tc, graceful_timeout_then_sigkill);
    tcase_add_test(tc, quit_is_quick);
    tcase_add_test(tc, int_is_quick);
    tcase_add_test(tc, usr1_reaches_every_worker);
    tcase_add_test(tc, workers_see_each_others_load);
    tcase_add_test(tc, winch_ignored_unless_daemonized);
    tcase_add_test(tc, exit_3_before_boot_halts);
    tcase_add_test(tc, exit_4_before_boot_halts);
    tcase_add_test(tc, failed_reload_keeps_old_workers);
    tcase_add_test(tc, failed_reload_rolls_back_whole_generation);
    tcase_add_test(tc, overlapping_reloads_roll_back_to_one_generation);
    tcase_add_test(tc, load_balance_survives_a_failed_reload);
    tcase_add_test(tc, rebind_on_hup);
    tcase_add_test(tc, failed_rebind_changes_nothing);
    tcase_add_test(tc, crash_after_boot_respawns_with_backoff);
    tcase_add_test(tc, workers_follow_a_dead_master);
    tcase_add_test(tc, pidfile_written_and_removed);
    tcase_add_test(tc, pidfile_of_live_process_refused);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tcase_add_checked_fixture(hb, NULL, teardown);
    tcase_add_test(hb, silent_worker_gets_sigabrt);
    tcase_add_test(hb, sigabrt_then_sigkill);
    tcase_add_test(hb, timeout_zero_disables_the_check);
    tcase_add_test(hb, new_timeouts_apply_to_new_workers);
    tcase_add_test(hb, suspended_master_spares_healthy_workers);
    tcase_set_timeout(hb, 30);
    suite_add_tcase(s, hb);

    tcase_add_test(misc, bind_retried_then_fails);
    tcase_add_test(misc, one_arbiter_per_process);
    tcase_add_test(misc, bad_config_refused);
    tcase_set_timeout(misc, 30);
    suite_add_tcase(s, misc);
    return s;
}

/*
 * The arbiter under -D: the launching process exits only once the master
 * is serving (0) or with the start-up failure's status; WINCH stops the
 * workers of a daemonized master.  The test is a child subreaper so it can
 * reap the daemon, which Check's process-group kill would miss after
 * setsid().
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "helpers.h"
#include "suites.h"

#define T  10000

static th_master  m;
static pid_t      daemon_pid;


/* A failed assertion exit()s the test without its teardown, and the
 * daemon left its process group: kill it on the way out. */
static void
kill_daemon(void)
{
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
    }
}


static void
setup(void)
{
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    daemon_pid = 0;
    atexit(kill_daemon);
}


static void
teardown(void)
{
    if (daemon_pid > 0) {
        kill(daemon_pid, SIGKILL);
        th_wait(daemon_pid, NULL, 5000);
    }
    th_master_cleanup(&m);
}


START_TEST(launcher_exits_0_once_serving_and_winch_stops_workers)
{
    th_opts  o;
    th_rec   r;
    int      status;

    th_opts_init(&o);
    o.daemonize = 1;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'M', &r, T), 0);
    daemon_pid = r.pid;
    ck_assert_int_ne(daemon_pid, m.pid);           /* a new process */
    ck_assert_int_eq(th_master_wait(&m, T), 0);    /* launcher: success */
    ck_assert_int_ne(getsid(daemon_pid), getsid(0));   /* own session */
    /* Both workers had initialised before the launcher was released: their
     * 'I' records were written before they flagged themselves booted. */
    ck_assert_int_eq(th_expect(&m, 'I', NULL, 0), 0);
    ck_assert_int_eq(th_expect(&m, 'I', NULL, 0), 0);
    th_forget(&m);

    kill(daemon_pid, SIGWINCH);
    ck_assert_int_eq(th_expect(&m, 'D', NULL, T), 0);
    ck_assert_int_eq(th_expect(&m, 'D', NULL, T), 0);
    ck_assert_int_eq(th_expect_log(&m, "graceful stop of workers", T), 0);
    kill(daemon_pid, SIGTTIN);             /* 0 -> 1 */
    ck_assert_int_eq(th_expect(&m, 'B', NULL, T), 0);

    kill(daemon_pid, SIGTERM);
    ck_assert_int_eq(th_wait(daemon_pid, &status, T), daemon_pid);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    daemon_pid = 0;
}
END_TEST


/* A failure after the fork (master_init refusing) reaches the launcher
 * through the ready channel. */
START_TEST(launcher_reports_start_up_failure)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.daemonize = 1;
    o.master_init_status = 5;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'M', &r, T), 0);
    ck_assert_int_ne(r.pid, m.pid);        /* it ran in the daemon */
    ck_assert_int_eq(th_master_wait(&m, T), 5);
    ck_assert_int_eq(th_expect(&m, 'B', NULL, 500), -1);  /* never served */
}
END_TEST


/* A live pidfile is refused before anything is bound or forked. */
START_TEST(launcher_refuses_live_pidfile)
{
    th_opts  o;
    char     path[256];

    th_opts_init(&o);
    o.daemonize = 1;
    snprintf(path, sizeof(path), "/tmp/pf-dpid-%d", (int) getpid());
    ck_assert_int_eq(pf_pidfile_create(path, getpid(), NULL), 0);
    o.pidfile = path;                      /* held by a live process */
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_master_wait(&m, T), 1);
    ck_assert_int_eq(th_expect_log(&m, "Already running on PID", T), 0);
    ck_assert_int_eq(access(m.addr + 5, F_OK), -1);   /* nothing bound */
    unlink(path);
}
END_TEST


START_TEST(launcher_reports_boot_failure)
{
    th_opts  o;

    th_opts_init(&o);
    o.daemonize = 1;
    o.behave = TW_BOOT_FAIL;
    o.arg = PF_EXIT_APPLOAD;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_master_wait(&m, T), PF_EXIT_APPLOAD);
    ck_assert_int_eq(th_expect_log(&m, "Reason: App failed to load.", T), 0);
}
END_TEST


/* One worker serves, the other cannot boot and is being retried: the
 * launcher must not wait for a boot that may never come. */
START_TEST(launcher_returns_once_serving_while_a_boot_is_retried)
{
    th_opts  o;
    th_rec   r;

    th_opts_init(&o);
    o.daemonize = 1;
    o.behave = TW_BOOT_FAIL;
    o.arg = PF_EXIT_APPLOAD;
    o.fail_slot = 1;
    o.gated = 1;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'M', &r, T), 0);
    daemon_pid = r.pid;
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);
    ck_assert_int_eq(r.slot, 0);
    ck_assert_int_eq(th_readable(m.log, 0) >= 0, 1);
    th_open_gate(&m);                      /* slot 1 now fails to boot */
    ck_assert_int_eq(th_master_wait(&m, T), 0);
    ck_assert_int_eq(th_expect_log(&m, "1 worker(s) still serving; retrying.", T), 0);
    kill(daemon_pid, SIGTERM);
    ck_assert_int_eq(th_wait(daemon_pid, NULL, T), daemon_pid);
    daemon_pid = 0;
}
END_TEST


static int
read_cmdline(pid_t pid, char *buf, size_t cap)
{
    char     path[64];
    FILE    *f;
    size_t   n;

    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}


START_TEST(process_titles)
{
    th_opts  o;
    th_rec   r;
    char     buf[512], want[256];
    char    *prog = strrchr(th_main_argv[0], '/');

    prog = prog ? prog + 1 : th_main_argv[0];
    th_opts_init(&o);
    o.workers = 1;
    o.title_argv = th_main_argv;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);
    ck_assert_int_eq(read_cmdline(m.pid, buf, sizeof(buf)), 0);
    snprintf(want, sizeof(want), "%s: master [%s]", prog, prog);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(read_cmdline(r.pid, buf, sizeof(buf)), 0);
    snprintf(want, sizeof(want), "%s: worker [%s]", prog, prog);
    ck_assert_str_eq(buf, want);
    kill(m.pid, SIGTERM);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
}
END_TEST


/* gunicorn's reload: the master is retitled with the new proc_name, new
 * workers take it, the pidfile moves to its new path. */
START_TEST(reconfigure_titles_and_pidfile)
{
    th_opts  o;
    th_rec   r;
    char     buf[512], want[256], p1[300], p2[300];
    char    *prog = strrchr(th_main_argv[0], '/');

    prog = prog ? prog + 1 : th_main_argv[0];
    th_opts_init(&o);
    o.workers = 1;
    o.title_argv = th_main_argv;
    snprintf(p1, sizeof(p1), "/tmp/pf-rc1-%d", (int) getpid());
    snprintf(p2, sizeof(p2), "/tmp/pf-rc2-%d", (int) getpid());
    o.pidfile = p1;
    o.reconf_pidfile = p2;
    o.reconf_proc_name = "renamed";
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);
    ck_assert_int_eq(pf_pidfile_read(p1), m.pid);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect(&m, 'C', &r, T), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);   /* the new worker */
    ck_assert_int_eq(read_cmdline(m.pid, buf, sizeof(buf)), 0);
    snprintf(want, sizeof(want), "%s: master [renamed]", prog);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(read_cmdline(r.pid, buf, sizeof(buf)), 0);
    snprintf(want, sizeof(want), "%s: worker [renamed]", prog);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(access(p1, F_OK), -1);
    ck_assert_int_eq(pf_pidfile_read(p2), m.pid);
    /* removed by hand: the next reload writes it again, as gunicorn's */
    ck_assert_int_eq(unlink(p2), 0);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect(&m, 'C', &r, T), 0);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(pf_pidfile_read(p2), m.pid);
    kill(m.pid, SIGTERM);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
    ck_assert_int_eq(access(p2, F_OK), -1);
}
END_TEST


/* A new pidfile held by a live process: refused, and nothing changes
 * (title, pidfile). */
START_TEST(reconfigure_refused_changes_nothing)
{
    th_opts  o;
    th_rec   r;
    char     buf[512], want[256], p1[300], p2[300];
    char    *prog = strrchr(th_main_argv[0], '/');

    prog = prog ? prog + 1 : th_main_argv[0];
    th_opts_init(&o);
    o.workers = 1;
    o.title_argv = th_main_argv;
    snprintf(p1, sizeof(p1), "/tmp/pf-rr1-%d", (int) getpid());
    snprintf(p2, sizeof(p2), "/tmp/pf-rr2-%d", (int) getpid());
    ck_assert_int_eq(pf_pidfile_create(p2, getpid(), NULL), 0);
    o.pidfile = p1;
    o.reconf_pidfile = p2;
    o.reconf_proc_name = "renamed";
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);
    th_forget(&m);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(th_expect(&m, 'C', &r, T), 0);
    ck_assert_int_eq(r.status, -EEXIST);
    ck_assert_int_eq(th_expect(&m, 'B', &r, T), 0);
    ck_assert_int_eq(read_cmdline(m.pid, buf, sizeof(buf)), 0);
    snprintf(want, sizeof(want), "%s: master [%s]", prog, prog);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(pf_pidfile_read(p1), m.pid);
    ck_assert_int_eq(pf_pidfile_read(p2), getpid());
    kill(m.pid, SIGTERM);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
    unlink(p2);
}
END_TEST


Suite *
daemon_arbiter_suite(void)
{
    Suite  *s = suite_create("daemon_arbiter");
    TCase  *tc = tcase_create("daemon");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, launcher_exits_0_once_serving_and_winch_stops_workers);
    tcase_add_test(tc, launcher_reports_start_up_failure);
    tcase_add_test(tc, launcher_refuses_live_pidfile);
    tcase_add_test(tc, launcher_reports_boot_failure);
    tcase_add_test(tc, launcher_returns_once_serving_while_a_boot_is_retried);
    tcase_add_test(tc, process_titles);
    tcase_add_test(tc, reconfigure_titles_and_pidfile);
    tcase_add_test(tc, reconfigure_refused_changes_nothing);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

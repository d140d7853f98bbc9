/*
 * USR2 binary upgrade, with a real execve(): the runner re-executes itself
 * as a master ("--master ..."), inheriting the listener through PREFORK_FD.
 */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "helpers.h"
#include "suites.h"

#define T  10000


static ino_t
inode_of(const char *path)
{
    struct stat  st;

    return stat(path, &st) == 0 ? st.st_ino : 0;
}


START_TEST(usr2_upgrade_then_promotion)
{
    th_master   m;
    th_opts     o;
    th_rec      r;
    char        exe[PATH_MAX], pidfile[256], pidfile2[300], recfd[16];
    char       *argv[8];
    const char *sock;
    ssize_t     n;
    pid_t       m1, m2;
    ino_t       ino;
    int         status;

    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    snprintf(pidfile, sizeof(pidfile), "/tmp/pf-usr2-%d.pid", (int) getpid());
    snprintf(pidfile2, sizeof(pidfile2), "%s.2", pidfile);
    snprintf(recfd, sizeof(recfd), "%d", TH_REEXEC_RECFD);

    th_opts_init(&o);
    o.workers = 1;
    o.pidfile = pidfile;
    argv[0] = exe;
    argv[1] = "--master";
    argv[2] = recfd;
    argv[3] = NULL;                        /* the address, once known */
    argv[4] = "1";
    argv[5] = "PREFORK";
    argv[6] = pidfile;
    argv[7] = NULL;
    o.argv = argv;
    /* th_master_start picks the address; the argv copy is taken in the
     * master, after the address is filled in through this pointer. */
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'B', NULL, T), 0);
    m1 = m.pid;
    sock = m.addr + 5;
    ino = inode_of(sock);
    ck_assert(ino != 0);
    th_forget(&m);

    kill(m1, SIGUSR2);
    ck_assert_int_eq(th_expect(&m, 'M', &r, T), 0);      /* new master up */
    m2 = r.pid;
    ck_assert_int_ne(m2, m1);
    ck_assert_int_eq(th_expect(&m, 'B', NULL, T), 0);    /* and its worker */
    ck_assert_int_eq(pf_pidfile_read(pidfile2), m2);
    ck_assert_int_eq(pf_pidfile_read(pidfile), m1);
    ck_assert(inode_of(sock) == ino);      /* inherited, not bound again */

    th_forget(&m);
    kill(m1, SIGTTIN);                     /* reports pf_arbiter_reexec_pid */
    ck_assert_int_eq(th_expect(&m, 'P', &r, T), 0);
    ck_assert_int_eq(r.pid, m1);
    ck_assert_int_eq(r.status, m2);
    kill(m1, SIGUSR2);
    ck_assert_int_eq(th_expect_log(&m, "USR2 signal ignored. Child exists.", T), 0);
    kill(m2, SIGUSR2);
    ck_assert_int_eq(th_expect_log(&m, "USR2 signal ignored. Parent exists.", T), 0);

    kill(m1, SIGTERM);                     /* commit the upgrade */
    ck_assert_int_eq(th_master_wait(&m, T), 0);
    ck_assert_int_eq(th_expect_log(&m, "Master has been promoted.", T), 0);
    ck_assert_int_eq(pf_pidfile_read(pidfile), m2);
    ck_assert_int_eq(access(pidfile2, F_OK), -1);
    ck_assert(inode_of(sock) == ino);      /* the old master left it */
    ck_assert_int_gt(th_ask_pid(&m), 0);   /* still served, by m2's worker */

    kill(m2, SIGTERM);
    ck_assert_int_eq(th_wait(m2, &status, T), m2);
    th_expect_log(&m, "\x01", 500);       /* collect m2's last lines */
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "new master: status 0x%x, log:\n%s", status,
                  m.logbuf + (m.loglen > 3000 ? m.loglen - 3000 : 0));
    ck_assert_int_eq(access(pidfile, F_OK), -1);
    ck_assert_int_eq(access(sock, F_OK), -1);   /* the last master unlinks */
    th_master_cleanup(&m);
}
END_TEST


/* A socket-activated master hands its sockets on the way systemd did
 * (LISTEN_FDS from fd 3, LISTEN_PID = the new master): the new master then
 * treats them as systemd's and, even once promoted, never unlinks the
 * socket file (had they come as PREFORK_FD, it would). */
START_TEST(usr2_under_systemd_passes_listen_fds)
{
    th_master   m;
    th_opts     o;
    th_rec      r;
    char        exe[PATH_MAX], recfd[16];
    char       *argv[8];
    ssize_t     n;
    pid_t       m2;
    int         status;

    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    snprintf(recfd, sizeof(recfd), "%d", TH_REEXEC_RECFD);
    th_opts_init(&o);
    o.workers = 1;
    o.systemd = 1;
    argv[0] = exe;
    argv[1] = "--master";
    argv[2] = recfd;
    argv[3] = NULL;
    argv[4] = "1";
    argv[5] = "PREFORK";
    argv[6] = "-";
    argv[7] = NULL;
    o.argv = argv;
    ck_assert_int_eq(th_master_start(&m, &o), 0);
    ck_assert_int_eq(th_expect(&m, 'B', NULL, T), 0);
    th_forget(&m);
    kill(m.pid, SIGUSR2);
    ck_assert_int_eq(th_expect(&m, 'M', &r, T), 0);
    m2 = r.pid;
    ck_assert_int_eq(th_expect(&m, 'B', NULL, T), 0);
    kill(m.pid, SIGTERM);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
    ck_assert_int_eq(th_expect_log(&m, "Master has been promoted.", T), 0);
    ck_assert_int_gt(th_ask_pid(&m), 0);
    kill(m2, SIGTERM);
    ck_assert_int_eq(th_wait(m2, &status, T), m2);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(access(m.addr + 5, F_OK), 0);   /* systemd's to remove */
    th_master_cleanup(&m);
}
END_TEST


Suite *
reexec_suite(void)
{
    Suite  *s = suite_create("reexec");
    TCase  *tc = tcase_create("usr2");

    tcase_add_test(tc, usr2_upgrade_then_promotion);
    tcase_add_test(tc, usr2_under_systemd_passes_listen_fds);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

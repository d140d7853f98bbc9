/*
 * examples/echo.c, the README's custom server, run as a user would run it:
 * serve, TTIN, HUP, TERM.  The binary comes from $PF_ECHO_BIN (the Makefile
 * sets it); its stderr is read for the log lines that mark each step.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "helpers.h"
#include "suites.h"

#define T  10000

static th_master  m;


static int
count(const char *hay, const char *needle)
{
    int  n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay++;
    }
    return n;
}


/* Wait until needle appears n times in the captured log. */
static int
wait_count(const char *needle, int n)
{
    long long  end = th_now_ms() + T;

    while (th_now_ms() < end) {
        if (count(m.logbuf, needle) >= n) {
            return 0;
        }
        /* th_expect_log reads more; a needle that cannot match makes it
         * wait until new bytes arrive or the deadline passes. */
        th_expect_log(&m, "\x01never\x01", 200);
    }
    return count(m.logbuf, needle) >= n ? 0 : -1;
}


static void
teardown(void)
{
    th_master_cleanup(&m);
}


START_TEST(echo_serves_ttin_hup_term)
{
    const char  *bin = getenv("PF_ECHO_BIN");
    char         dir_addr[300], buf[64];
    char        *dir;
    int          lp[2], c;

    ck_assert_msg(bin != NULL, "set PF_ECHO_BIN to the built examples/echo");
    memset(&m, 0, sizeof(m));
    dir = th_tmpdir();
    ck_assert_ptr_nonnull(dir);
    snprintf(m.dir, sizeof(m.dir), "%s", dir);
    free(dir);
    snprintf(dir_addr, sizeof(dir_addr), "unix:%s/echo.sock", m.dir);
    snprintf(m.addr, sizeof(m.addr), "%s", dir_addr);
    ck_assert_int_eq(pipe2(lp, O_CLOEXEC), 0);
    m.rec = -1;
    m.gate = -1;
    m.pid = fork();
    ck_assert_int_ne(m.pid, -1);
    if (m.pid == 0) {
        dup2(lp[1], 2);
        execl(bin, bin, dir_addr, "2", (char *) NULL);
        _exit(127);
    }
    close(lp[1]);
    m.log = lp[0];
    fcntl(m.log, F_SETFL, O_NONBLOCK);

    ck_assert_int_eq(wait_count("Booting worker with pid", 2), 0);
    c = th_connect(dir_addr);
    ck_assert_int_ge(c, 0);
    ck_assert_int_eq(write(c, "ping", 4), 4);
    shutdown(c, SHUT_WR);
    ck_assert_int_eq(th_read_all(c, buf, sizeof(buf), T), 4);
    ck_assert_str_eq(buf, "ping");
    close(c);

    kill(m.pid, SIGTTIN);
    ck_assert_int_eq(wait_count("Booting worker with pid", 3), 0);
    kill(m.pid, SIGHUP);
    ck_assert_int_eq(wait_count("Booting worker with pid", 6), 0);
    ck_assert_int_eq(wait_count("Worker exiting", 3), 0);
    ck_assert_int_eq(count(m.logbuf, "Hang up: Master"), 1);

    kill(m.pid, SIGTERM);
    ck_assert_int_eq(th_master_wait(&m, T), 0);
    ck_assert_int_eq(count(m.logbuf, "Worker exiting"), 6);
    ck_assert_int_eq(count(m.logbuf, "Shutting down: Master"), 1);
}
END_TEST


Suite *
echo_suite(void)
{
    Suite  *s = suite_create("echo");
    TCase  *tc = tcase_create("example");

    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, echo_serves_ttin_hup_term);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

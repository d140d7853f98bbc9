/*
 * Test helpers shared by every Check runner.  Every wait has a deadline:
 * tests synchronise on pipes and process exits, never on sleep().
 */
#ifndef PF_TESTS_HELPERS_H
#define PF_TESTS_HELPERS_H

#include <check.h>
#include <stddef.h>
#include <sys/types.h>

/* Read exactly n bytes from fd within ms milliseconds.  Returns n, the
 * (short) count read before EOF, or -1 on timeout/error. */
ssize_t th_read_n(int fd, void *buf, size_t n, int ms);

/* Read until EOF or ms elapse; returns bytes read (NUL-terminated, at most
 * cap - 1), -1 on error. */
ssize_t th_read_all(int fd, char *buf, size_t cap, int ms);

/* 1 when fd is readable within ms, 0 on timeout, -1 on error. */
int     th_readable(int fd, int ms);

/* waitpid(pid) with a deadline (pidfd + poll).  Returns pid, 0 on timeout,
 * -1 on error. */
pid_t   th_wait(pid_t pid, int *status, int ms);

/* Reap any child within ms: returns its pid, 0 on timeout, -1 (ECHILD). */
pid_t   th_wait_any(int *status, int ms);

/* A fresh private directory under $TMPDIR (or /tmp); removed with th_rmrf. */
char   *th_tmpdir(void);
void    th_rmrf(const char *path);

/* A TCP port on 127.0.0.1 that was free a moment ago. */
int     th_free_port(void);

/* Connect (blocking, CLOEXEC) to "unix:PATH", "HOST:PORT" or "[V6]:PORT".
 * -1 with errno on failure. */
int     th_connect(const char *addr);

/* Number of open fds of process pid (0 = self), from /proc/PID/fd. */
int     th_count_fds(pid_t pid);

/* Monotonic milliseconds. */
long long th_now_ms(void);

/* A suite constructor, as each layer's suites.h lists them. */
typedef Suite *th_suite_fn(void);

/* A runner's main(): run the NULL-terminated suites in order, each test in
 * its own process (CK_FORK unless the environment says otherwise), print
 * Check's CK_NORMAL summary ("NN%: Checks: N, Failures: F, Errors: E", the
 * line scripts/check-summary.sh adds up).  EXIT_SUCCESS when all passed. */
int     th_run_suites(th_suite_fn *const *suites);

#endif /* PF_TESTS_HELPERS_H */

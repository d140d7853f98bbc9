/*
 * libprefork: daemonizing with a ready pipe, and pidfiles.
 */
#ifndef PREFORK_DAEMON_H
#define PREFORK_DAEMON_H

#include <sys/types.h>
#include <prefork/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* fork, setsid, fork, umask(022), chdir is left alone; stdin goes to
 * /dev/null, stdout/stderr too unless keep_stdio (gunicorn -R) and they are
 * not ttys.  The original process does not return: it waits on a ready pipe
 * and _exit()s with the status the daemon passes to pf_daemon_ready(), or 1
 * when the daemon dies first (so "-D" reports a real failure, Unicorn-style).
 * In the daemon returns 0 and sets *ready_fd; -1 with errno on failure (in
 * the original process, before any fork succeeded). */
PF_API int  pf_daemonize(int keep_stdio, int *ready_fd);

/* Tell the waiting original process to exit with status, then close
 * ready_fd.  0, or -1 with errno.  A negative ready_fd is ignored. */
PF_API int  pf_daemon_ready(int ready_fd, int status);

/* Write "<pid>\n" to path atomically (temporary file in the same directory,
 * fsync, rename, mode 0644).  Refuses with EEXIST when the file holds the
 * pid of another live process (*other gets it; may be NULL); stale or
 * garbage contents are overwritten.  0, or -1 with errno. */
PF_API int  pf_pidfile_create(const char *path, pid_t pid, pid_t *other);

/* The pid stored in path if it names a live process, else 0; -1 with errno
 * when the file cannot be read (ENOENT when missing). */
PF_API pid_t pf_pidfile_read(const char *path);

/* rename(2) from -> to, only if from holds pid.  0, or -1 with errno
 * (ESRCH: it holds another pid). */
PF_API int  pf_pidfile_rename(const char *from, const char *to, pid_t pid);

/* Unlink path only if it holds pid.  Errors are ignored. */
PF_API void pf_pidfile_remove(const char *path, pid_t pid);

#ifdef __cplusplus
}
#endif

#endif /* PREFORK_DAEMON_H */

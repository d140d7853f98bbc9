/*
 * USR2: start a new master from argv with our listeners, keep serving
 * beside it, and let it take over when we exit (gunicorn's binary upgrade).
 * The listeners pass as <prefix>_FD="3,4" or, when systemd gave them to us,
 * as LISTEN_FDS/LISTEN_PID so the new master sees what we saw.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define FD_FLOOR  64     /* parking place while moving fds down to 3.. */


static int
pass_listeners_plain(pf_arbiter *a)
{
    char    list[PF__MAX_LISTENERS * 12], name[64];
    size_t  i, off = 0;

    list[0] = '\0';
    for (i = 0; i < a->nls; i++) {
        if (fcntl(a->ls[i].fd, F_SETFD, 0) == -1) {
            return -1;
        }
        off += (size_t) snprintf(list + off, sizeof(list) - off, "%s%d",
                                 i ? "," : "", a->ls[i].fd);
    }
    snprintf(name, sizeof(name), "%s_FD", a->cfg.env_prefix);
    return setenv(name, list, 1);
}


/* sd_listen_fds(3) wants them at 3, 4, ...: park them high, then move. */
static int
pass_listeners_systemd(pf_arbiter *a)
{
    char    num[32];
    int     high[PF__MAX_LISTENERS];
    size_t  i;

    for (i = 0; i < a->nls; i++) {
        high[i] = fcntl(a->ls[i].fd, F_DUPFD, FD_FLOOR);
        if (high[i] == -1) {
            return -1;
        }
    }
    for (i = 0; i < a->nls; i++) {
        if (dup2(high[i], 3 + (int) i) == -1) {
            return -1;
        }
        close(high[i]);
    }
    snprintf(num, sizeof(num), "%zu", a->nls);
    if (setenv("LISTEN_FDS", num, 1) == -1) {
        return -1;
    }
    snprintf(num, sizeof(num), "%d", (int) getpid());
    return setenv("LISTEN_PID", num, 1);
}


static void __attribute__((noreturn))
exec_child(pf_arbiter *a)
{
    char      name[64], num[32];
    sigset_t  none;

    pf_sigqueue_finish();
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (a->ops->pre_exec) {
        a->ops->pre_exec(a, a->ud);
    }
    snprintf(name, sizeof(name), "%s_PID", a->cfg.env_prefix);
    snprintf(num, sizeof(num), "%d", (int) a->pid);
    if (setenv(name, num, 1) == -1
        || (a->systemd ? pass_listeners_systemd(a)
                       : pass_listeners_plain(a)) == -1)
    {
        pf_log_errno(PF_LOG_ERROR, errno, "re-exec: passing listeners failed");
        _exit(1);
    }
    if (a->start_cwd != NULL && chdir(a->start_cwd) == -1) {
        pf_log_errno(PF_LOG_WARNING, errno, "chdir(%s) failed", a->start_cwd);
    }
    execvp(a->argv[0], a->argv);
    pf_log_errno(PF_LOG_ERROR, errno, "execvp(%s) failed", a->argv[0]);
    _exit(1);
}


int
pf__reexec(pf_arbiter *a)
{
    sigset_t  all, old;
    pid_t     pid;
    int       e;

    if (a->reexec_pid != 0) {
        pf_log(PF_LOG_WARNING, "USR2 signal ignored. Child exists.");
        errno = EBUSY;
        return -1;
    }
    if (a->master_pid != 0) {
        pf_log(PF_LOG_WARNING, "USR2 signal ignored. Parent exists.");
        errno = EBUSY;
        return -1;
    }
    if (a->argv == NULL || a->argv[0] == NULL) {
        pf_log(PF_LOG_WARNING, "USR2 signal ignored. No argv to re-execute.");
        errno = EINVAL;
        return -1;
    }
    /* As for workers: no signal may reach the child's copy of our queue. */
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    pid = fork();
    if (pid == 0) {
        exec_child(a);
    }
    e = errno;
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (pid == -1) {
        pf_log_errno(PF_LOG_ERROR, e, "fork() failed");
        errno = e;
        return -1;
    }
    a->reexec_pid = pid;
    return 0;
}


/* Called every loop pass in a USR2 child: once the old master is gone we
 * are the master, under the real pidfile name. */
void
pf__maybe_promote(pf_arbiter *a)
{
    char   name[64];
    char  *real;

    if (a->master_pid == 0 || getppid() == a->master_pid) {
        return;
    }
    a->master_pid = 0;
    a->master_name = "Master";
    snprintf(name, sizeof(name), "%s_PID", a->cfg.env_prefix);
    unsetenv(name);
    pf__proctitle_set("%s: master [%s]", a->prog,
                      a->proc_name);
    if (a->pidfile != NULL && a->cfg.pidfile != NULL) {
        real = strdup(a->cfg.pidfile);
        if (real == NULL) {
            return;
        }
        if (pf_pidfile_rename(a->pidfile, real, a->pid) == -1) {
            pf_log_errno(PF_LOG_WARNING, errno, "rename(%s, %s) failed",
                         a->pidfile, real);
            free(real);
            pf_log(PF_LOG_INFO, "Master has been promoted.");
            pf__event(a, PF_EVENT_PROMOTED);
            return;
        }
        free(a->pidfile);
        a->pidfile = real;
    }
    pf_log(PF_LOG_INFO, "Master has been promoted.");
    pf__event(a, PF_EVENT_PROMOTED);
}

/*
 * The arbiter object: construction from a pf_config, listeners (bound or
 * inherited), control verbs, teardown.  The supervision loop is loop.c.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sockaddr.h"

static pf_arbiter  *the_arbiter;     /* one per process: signals are global */


void
pf_config_init(pf_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->workers = 1;
    cfg->timeout = 30;
    cfg->graceful_timeout = 30;
    cfg->backlog = 2048;
    cfg->bind_attempts = 5;
    cfg->umask = -1;
}


static char *
dup_or_null(const char *s, int *fail)
{
    char  *d;

    if (s == NULL) {
        return NULL;
    }
    d = strdup(s);
    if (d == NULL) {
        *fail = 1;
    }
    return d;
}


static char **
dup_argv(char *const *argv, int *fail)
{
    char   **v;
    size_t   n, i;

    if (argv == NULL) {
        return NULL;
    }
    for (n = 0; argv[n] != NULL; n++) {
        /* count */
    }
    v = calloc(n + 1, sizeof(*v));
    if (v == NULL) {
        *fail = 1;
        return NULL;
    }
    for (i = 0; i < n; i++) {
        v[i] = strdup(argv[i]);
        if (v[i] == NULL) {
            *fail = 1;
        }
    }
    return v;
}


static void
free_argv(char **v)
{
    size_t  i;

    for (i = 0; v != NULL && v[i] != NULL; i++) {
        free(v[i]);
    }
    free(v);
}


/* The workers' identity, resolved from user and group names or numbers. */
typedef struct {
    uid_t     uid;
    gid_t     gid;
    unsigned  set_uid:1, set_gid:1;
} ids;


static int
resolve_ids(const char *user, const char *group, ids *out)
{
    struct passwd  *pw;
    struct group   *gr;
    char           *end;
    long            n;

    memset(out, 0, sizeof(*out));
    if (user != NULL) {
        n = strtol(user, &end, 10);
        pw = getpwnam(user);
        if (pw != NULL) {
            out->uid = pw->pw_uid;
            out->gid = pw->pw_gid;
            out->set_gid = 1;
        } else if (*user != '\0' && *end == '\0' && n >= 0) {
            out->uid = (uid_t) n;
        } else {
            pf_log(PF_LOG_ERROR, "No such user: '%s'", user);
            errno = EINVAL;
            return -1;
        }
        out->set_uid = 1;
    }
    if (group != NULL) {
        n = strtol(group, &end, 10);
        gr = getgrnam(group);
        if (gr != NULL) {
            out->gid = gr->gr_gid;
        } else if (*group != '\0' && *end == '\0' && n >= 0) {
            out->gid = (gid_t) n;
        } else {
            pf_log(PF_LOG_ERROR, "No such group: '%s'", group);
            errno = EINVAL;
            return -1;
        }
        out->set_gid = 1;
    }
    return 0;
}


static void
take_ids(pf_arbiter *a, const ids *id)
{
    a->uid = id->uid;
    a->gid = id->gid;
    a->set_uid = id->set_uid;
    a->set_gid = id->set_gid;
}


/* A USR2 child knows its old master from <prefix>_PID. */
static void
read_master_pid(pf_arbiter *a)
{
    char         name[64];
    const char  *v;
    char        *end;
    long         n;

    snprintf(name, sizeof(name), "%s_PID", a->cfg.env_prefix);
    v = getenv(name);
    if (v == NULL) {
        return;
    }
    n = strtol(v, &end, 10);
    if (*v != '\0' && *end == '\0' && n > 0 && n < INT_MAX) {
        a->master_pid = (pid_t) n;
    } else {
        pf_log(PF_LOG_WARNING, "ignoring malformed %s='%s'", name, v);
        unsetenv(name);
    }
}


static int
copy_config(pf_arbiter *a, const pf_config *cfg)
{
    int  fail = 0;

    a->cfg = *cfg;
    a->cfg.pidfile = dup_or_null(cfg->pidfile, &fail);
    a->cfg.proc_name = dup_or_null(cfg->proc_name, &fail);
    a->cfg.scheme = dup_or_null(cfg->scheme, &fail);
    a->cfg.user = dup_or_null(cfg->user, &fail);
    a->cfg.group = dup_or_null(cfg->group, &fail);
    /* The default is resolved here, once, for inherit and re-exec alike. */
    a->cfg.env_prefix = dup_or_null(cfg->env_prefix ? cfg->env_prefix
                                    : "PREFORK", &fail);
    a->argv = dup_argv(cfg->argv, &fail);
    a->cfg.argv = a->argv;
    a->prog = dup_or_null(pf__proctitle_prog(), &fail);
    a->proc_name = dup_or_null(cfg->proc_name ? cfg->proc_name
                               : pf__proctitle_prog(), &fail);
    a->start_cwd = getcwd(NULL, 0);
    return fail ? -1 : 0;
}


static void
free_config(pf_arbiter *a)
{
    free((char *) a->cfg.pidfile);
    free((char *) a->cfg.proc_name);
    free((char *) a->cfg.scheme);
    free((char *) a->cfg.user);
    free((char *) a->cfg.group);
    free((char *) a->cfg.env_prefix);
    free_argv(a->argv);
    free(a->proc_name);
    free(a->prog);
    free(a->start_cwd);
    free(a->pidfile);
    free(a->reason);
}


pf_arbiter *
pf_arbiter_new(const pf_config *cfg, const pf_worker_ops *ops, void *ud)
{
    pf_arbiter  *a;
    ids          id;
    int          n, sd = 0;

    if (cfg == NULL || ops == NULL || ops->run == NULL
        || ops->version != PF_WORKER_OPS_VERSION || cfg->workers < 0
        || cfg->backlog < 0)
    {
        errno = EINVAL;
        return NULL;
    }
    if (the_arbiter != NULL) {
        errno = EBUSY;
        return NULL;
    }
    a = calloc(1, sizeof(*a));
    if (a == NULL) {
        return NULL;
    }
    a->ops = ops;
    a->ud = ud;
    a->life[0] = a->life[1] = a->notify[0] = a->notify[1] = -1;
    a->ready_fd = -1;
    a->master_name = "Master";
    a->target = cfg->workers;
    if (copy_config(a, cfg) == -1
        || resolve_ids(a->cfg.user, a->cfg.group, &id) == -1)
    {
        int e = errno ? errno : EINVAL;

        free_config(a);
        free(a);
        errno = e == ENOMEM ? ENOMEM : EINVAL;
        return NULL;
    }
    take_ids(a, &id);
    read_master_pid(a);
    pf__proctitle_init(cfg->argv);
    n = pf_listen_inherited(a->inherited, PF__MAX_LISTENERS,
                            a->cfg.env_prefix, &sd);
    if (n == -1) {
        int e = errno;

        free_config(a);
        free(a);
        errno = e;                  /* logged by pf_listen_inherited */
        return NULL;
    }
    a->ninherited = n;
    a->inherited_systemd = sd != 0;
    the_arbiter = a;
    return a;
}


static int
add_listener(pf_arbiter *a, int fd, const char *unlink_path, int systemd)
{
    pf__listener  *l;

    if (a->nls == PF__MAX_LISTENERS) {
        errno = EMFILE;
        return -1;
    }
    l = &a->ls[a->nls];
    l->fd = fd;
    l->from_systemd = systemd != 0;
    l->unlink_path = NULL;
    if (unlink_path != NULL && (l->unlink_path = strdup(unlink_path)) == NULL) {
        return -1;
    }
    a->lsfd[a->nls++] = fd;
    return 0;
}


/* Reuse an inherited socket bound to the same address (nginx, gunicorn).
 * A unix socket file passed on by an old master becomes ours to remove when
 * we stop as the last master; systemd's never does. */
static int
claim_inherited(pf_arbiter *a, const char *addr, const pf__addr *pa)
{
    const char  *path;
    int          i;

    path = pa->family == AF_UNIX && !a->inherited_systemd ? pa->path : NULL;
    for (i = 0; i < a->ninherited; i++) {
        if (a->inherited[i] >= 0
            && pf_listen_matches(a->inherited[i], addr) == 1)
        {
            if (add_listener(a, a->inherited[i], path, a->inherited_systemd)
                == -1)
            {
                return -1;
            }
            a->inherited[i] = -1;
            return 1;
        }
    }
    return 0;
}


static void
log_bind_failure(const char *addr, int err)
{
    if (err == EADDRINUSE) {
        pf_log(PF_LOG_ERROR, "Connection in use: %s", addr);
    } else if (err == EADDRNOTAVAIL) {
        pf_log(PF_LOG_ERROR, "Invalid address: %s", addr);
    } else {
        pf_log_errno(PF_LOG_ERROR, err, "connection to %s failed", addr);
    }
}


static int
bind_once(pf_arbiter *a, const char *addr, const pf__addr *pa)
{
    mode_t  old = 0;
    int     fd, e;

    if (pa->family == AF_UNIX && a->cfg.umask >= 0) {
        old = umask((mode_t) a->cfg.umask);
    }
    fd = pf_listen(addr, a->cfg.backlog, a->cfg.listen_flags);
    e = errno;
    if (pa->family == AF_UNIX && a->cfg.umask >= 0) {
        umask(old);
    }
    if (fd >= 0 && pa->family == AF_UNIX && (a->set_uid || a->set_gid)
        && chown(pa->path, a->set_uid ? a->uid : (uid_t) -1,
                 a->set_gid ? a->gid : (gid_t) -1) == -1)
    {
        pf_log_errno(PF_LOG_WARNING, errno, "chown(%s) failed", pa->path);
    }
    errno = e;
    return fd;
}


/* Refuse before touching any socket when the pidfile names another live
 * master (gunicorn writes its pidfile before binding for the same reason). */
static int
pidfile_free(pf_arbiter *a)
{
    char   path[4096];
    pid_t  other;

    if (a->cfg.pidfile == NULL) {
        return 0;
    }
    snprintf(path, sizeof(path), "%s%s", a->cfg.pidfile,
             a->master_pid ? ".2" : "");
    other = pf_pidfile_read(path);
    if (other > 0 && other != getpid()) {
        pf_log(PF_LOG_ERROR, "Already running on PID %d (or pid file '%s' is"
               " stale)", (int) other, path);
        errno = EEXIST;
        return -1;
    }
    return 0;
}


int
pf_arbiter_listen(pf_arbiter *a, const char *addr)
{
    struct timespec  second = { 1, 0 };
    pf__addr         pa;
    int              fd, r, attempt, e = 0;

    if (pidfile_free(a) == -1 || pf__addr_parse(addr, &pa) == -1) {
        return -1;
    }
    r = claim_inherited(a, addr, &pa);
    if (r != 0) {
        return r == 1 ? 0 : -1;
    }
    for (attempt = 1; ; attempt++) {
        fd = bind_once(a, addr, &pa);
        if (fd >= 0) {
            if (add_listener(a, fd, pa.family == AF_UNIX ? pa.path : NULL, 0)
                == -1)
            {
                e = errno;
                close(fd);
                errno = e;
                return -1;
            }
            return 0;
        }
        e = errno;
        if (e == EINVAL || e == ENOTSOCK || e == EBADF || e == ENAMETOOLONG
            || e == EOPNOTSUPP || e == EAFNOSUPPORT)
        {
            break;                  /* retrying cannot help */
        }
        log_bind_failure(addr, e);
        if (attempt >= a->cfg.bind_attempts) {
            break;
        }
        pf_log(PF_LOG_DEBUG, "Retrying in 1 second.");
        while (nanosleep(&second, &second) == -1 && errno == EINTR) {
            /* the rest of the second */
        }
        second.tv_sec = 1;
        second.tv_nsec = 0;
    }
    pf_log(PF_LOG_ERROR, "Can't connect to %s", addr);
    errno = e;
    return -1;
}


int
pf_arbiter_adopt(pf_arbiter *a, int fd)
{
    return add_listener(a, fd, NULL, 0);
}


const int *
pf_arbiter_listeners(const pf_arbiter *a, size_t *n)
{
    if (n != NULL) {
        *n = a->nls;
    }
    return a->lsfd;
}


pid_t
pf_arbiter_pid(const pf_arbiter *a)
{
    return a->pid ? a->pid : getpid();
}


pid_t
pf_arbiter_parent_pid(const pf_arbiter *a)
{
    return a->master_pid;
}


pid_t
pf_arbiter_reexec_pid(const pf_arbiter *a)
{
    return a->reexec_pid;
}


void
pf_arbiter_set_timeouts(pf_arbiter *a, unsigned timeout,
                        unsigned graceful_timeout)
{
    a->cfg.timeout = timeout;
    a->cfg.graceful_timeout = graceful_timeout;
}


/* Index of the listener bound to addr, or -1. */
static int
find_listener(pf_arbiter *a, const char *addr)
{
    size_t  i;

    for (i = 0; i < a->nls; i++) {
        if (pf_listen_matches(a->ls[i].fd, addr) == 1) {
            return (int) i;
        }
    }
    return -1;
}


/* Close a listener.  Its unix socket file is ours to remove unless another
 * master shares it (USR2 parent or child alive) or systemd owns it;
 * abstract names have no file. */
static void
drop_listener(pf_arbiter *a, pf__listener *l)
{
    int  keep = a->reexec_pid != 0 || a->master_pid != 0;

    if (l->unlink_path != NULL && l->unlink_path[0] != '@' && !keep
        && !l->from_systemd)
    {
        unlink(l->unlink_path);
    }
    close(l->fd);
    free(l->unlink_path);
    l->unlink_path = NULL;
}


void
pf__close_listeners(pf_arbiter *a)
{
    size_t  i;

    for (i = 0; i < a->nls; i++) {
        drop_listener(a, &a->ls[i]);
    }
    a->nls = 0;
}


int
pf_arbiter_rebind(pf_arbiter *a, const char *const *addrs, size_t n)
{
    pf__listener  old[PF__MAX_LISTENERS], keep[PF__MAX_LISTENERS];
    unsigned char kept[PF__MAX_LISTENERS];
    size_t        nold = a->nls, nkeep = 0, i;
    int           j, e;

    if (n == 0 || n > PF__MAX_LISTENERS) {
        errno = EINVAL;
        return -1;
    }
    memcpy(old, a->ls, sizeof(old[0]) * nold);
    memset(kept, 0, sizeof(kept));
    /* Build the new set in a->ls: kept sockets first, in addrs' order. */
    for (i = 0; i < n; i++) {
        j = find_listener(a, addrs[i]);
        if (j >= 0 && !kept[j]) {
            kept[j] = 1;
            keep[nkeep++] = old[j];
        }
    }
    a->nls = 0;
    for (i = 0; i < nkeep; i++) {
        a->ls[a->nls] = keep[i];
        a->lsfd[a->nls++] = keep[i].fd;
    }
    for (i = 0; i < n; i++) {
        size_t  k;

        if (find_listener(a, addrs[i]) < 0
            && pf_arbiter_listen(a, addrs[i]) == -1)
        {
            e = errno;
            /* Undo: close what was bound here, restore the old set. */
            for (k = nkeep; k < a->nls; k++) {
                drop_listener(a, &a->ls[k]);
            }
            memcpy(a->ls, old, sizeof(old[0]) * nold);
            for (k = 0; k < nold; k++) {
                a->lsfd[k] = old[k].fd;
            }
            a->nls = nold;
            errno = e;
            return -1;
        }
    }
    for (i = 0; i < nold; i++) {
        if (!kept[i]) {
            drop_listener(a, &old[i]);
        }
    }
    pf__log_listening(a);
    return 0;
}


void
pf_arbiter_stop(pf_arbiter *a, int graceful)
{
    long long  now = pf__now_ms();
    size_t     i;

    if (a->state == PF__STOPPING) {
        if (graceful || !a->graceful) {
            return;
        }
        /* A quick stop requested during a graceful one: cut it short. */
        pf_log(PF_LOG_INFO, "Quick shutdown requested");
        a->graceful = 0;
        if (a->stop_deadline > now + 2000) {
            a->stop_deadline = now + 2000;
        }
    } else {
        a->state = PF__STOPPING;
        a->graceful = graceful != 0;
        a->stop_deadline = now + (long long) a->cfg.graceful_timeout * 1000;
    }
    for (i = 0; i < a->nkids; i++) {
        if (!a->kids[i].killed) {
            kill(a->kids[i].pid, a->graceful ? SIGTERM : SIGQUIT);
            a->kids[i].stopping = 1;
        }
    }
    pf_sigqueue_wakeup();
}


void
pf_arbiter_halt(pf_arbiter *a, int status, const char *reason)
{
    a->status = status;
    if (reason != NULL && a->reason == NULL) {
        a->reason = strdup(reason);
    }
    pf_arbiter_stop(a, 1);
}


void
pf_arbiter_reload(pf_arbiter *a)
{
    a->gen++;
    pf_sigqueue_wakeup();
}


int
pf_arbiter_reexec(pf_arbiter *a)
{
    return pf__reexec(a);
}


void
pf_arbiter_set_workers(pf_arbiter *a, int n)
{
    a->target = n < 0 ? 0 : n;
    pf_sigqueue_wakeup();
}


int
pf_arbiter_workers(const pf_arbiter *a)
{
    return a->target;
}


void
pf_arbiter_on_event(pf_arbiter *a, pf_event_fn fn, void *ud)
{
    a->event_fn = fn;
    a->event_ud = ud;
}


static void
sum_masks(pf_arbiter *a)
{
    size_t  i;

    a->sub_mask = 0;
    for (i = 0; i < PF_EVENT_MAX_SUBSCRIBERS; i++) {
        if (a->subs[i].fn != NULL) {
            a->sub_mask |= a->subs[i].mask;
        }
    }
}


int
pf_arbiter_subscribe(pf_arbiter *a, unsigned mask, pf_event_fn fn, void *ud)
{
    const unsigned  known = PF_EVENT_READY | PF_EVENT_PROMOTED
                            | PF_EVENT_TICK;
    pf__sub        *free_sub = NULL;
    size_t          i;

    if (fn == NULL || mask == 0 || (mask & ~known) != 0) {
        errno = EINVAL;
        return -1;
    }
    for (i = 0; i < PF_EVENT_MAX_SUBSCRIBERS; i++) {
        if (a->subs[i].fn == fn && a->subs[i].ud == ud) {
            errno = EEXIST;
            return -1;
        }
        if (a->subs[i].fn == NULL && free_sub == NULL) {
            free_sub = &a->subs[i];
        }
    }
    if (free_sub == NULL) {
        errno = ENOSPC;
        return -1;
    }
    free_sub->fn = fn;
    free_sub->ud = ud;
    free_sub->mask = mask;
    sum_masks(a);
    return 0;
}


int
pf_arbiter_unsubscribe(pf_arbiter *a, pf_event_fn fn, void *ud)
{
    size_t  i;

    for (i = 0; i < PF_EVENT_MAX_SUBSCRIBERS; i++) {
        if (a->subs[i].fn == fn && fn != NULL && a->subs[i].ud == ud) {
            /* Slots never move, so a dispatch under way skips it safely. */
            a->subs[i].fn = NULL;
            sum_masks(a);
            return 0;
        }
    }
    errno = ENOENT;
    return -1;
}


void
pf__event(pf_arbiter *a, int event)
{
    pf__sub  sub;
    size_t   i;

    if (a->event_fn != NULL && event != PF_EVENT_TICK) {
        a->event_fn(a, event, a->event_ud);
    }
    for (i = 0; i < PF_EVENT_MAX_SUBSCRIBERS; i++) {
        /* A copy: fn may unsubscribe itself (or subscribe another). */
        sub = a->subs[i];
        if (sub.fn != NULL && (sub.mask & (unsigned) event) != 0) {
            sub.fn(a, event, sub.ud);
        }
    }
}


/* ---- reconfiguration --------------------------------------------------- */

/* The pidfile written anew under path (<path>.2 for a USR2 child not yet
 * promoted), then the previous one removed if its name changed, as
 * gunicorn's reload does. */
static int
move_pidfile(pf_arbiter *a, const char *path)
{
    char    *name = NULL;
    size_t   len;
    pid_t    other = 0;
    int      e;

    if (path != NULL) {
        len = strlen(path) + 3;
        name = malloc(len);
        if (name == NULL) {
            return -1;
        }
        snprintf(name, len, "%s%s", path, a->master_pid ? ".2" : "");
        if (pf_pidfile_create(name, a->pid, &other) == -1) {
            e = errno;
            if (e == EEXIST) {
                pf_log(PF_LOG_ERROR, "Already running on PID %d (or pid file"
                       " '%s' is stale)", (int) other, name);
            } else {
                pf_log_errno(PF_LOG_ERROR, e, "pidfile(%s) failed", name);
            }
            free(name);
            errno = e;
            return -1;
        }
    }
    if (a->pidfile != NULL && (name == NULL || strcmp(name, a->pidfile) != 0)) {
        pf_pidfile_remove(a->pidfile, a->pid);
    }
    free(a->pidfile);
    a->pidfile = name;
    return 0;
}


static void
swap_str(const char **field, char **s)
{
    char  *old = (char *) *field;

    *field = *s;
    *s = old;
}


int
pf_arbiter_reconfigure(pf_arbiter *a, const pf_config *cfg)
{
    char  *pidfile, *proc_name, *name, *scheme, *user, *group;
    ids    id;
    int    fail = 0, rc = -1, e;

    if (cfg == NULL || cfg->backlog < 0) {
        errno = EINVAL;
        return -1;
    }
    pidfile = dup_or_null(cfg->pidfile, &fail);
    proc_name = dup_or_null(cfg->proc_name, &fail);
    name = dup_or_null(cfg->proc_name ? cfg->proc_name
                       : pf__proctitle_prog(), &fail);
    scheme = dup_or_null(cfg->scheme, &fail);
    user = dup_or_null(cfg->user, &fail);
    group = dup_or_null(cfg->group, &fail);
    if (fail) {
        errno = ENOMEM;
        goto undo;
    }
    if (resolve_ids(user, group, &id) == -1) {
        goto undo;
    }
    /* Not started yet: pf_arbiter_run() writes it. */
    if (a->pid != 0 && move_pidfile(a, pidfile) == -1) {
        goto undo;
    }
    /* Committed: nothing below fails.  The old strings go in the locals. */
    swap_str(&a->cfg.pidfile, &pidfile);
    swap_str(&a->cfg.proc_name, &proc_name);
    swap_str(&a->cfg.scheme, &scheme);
    swap_str(&a->cfg.user, &user);
    swap_str(&a->cfg.group, &group);
    free(a->proc_name);
    a->proc_name = name;
    name = NULL;
    take_ids(a, &id);
    a->cfg.initgroups = cfg->initgroups;
    a->cfg.umask = cfg->umask;
    a->cfg.backlog = cfg->backlog;
    a->cfg.listen_flags = cfg->listen_flags;
    a->cfg.bind_attempts = cfg->bind_attempts;
    pf_arbiter_set_timeouts(a, cfg->timeout, cfg->graceful_timeout);
    if (a->pid != 0) {
        pf__proctitle_set("%s: master [%s%s]", a->prog, a->proc_name,
                          a->master_pid ? ".2" : "");
    }
    rc = 0;

undo:
    e = errno;
    free(pidfile);
    free(proc_name);
    free(name);
    free(scheme);
    free(user);
    free(group);
    errno = e;
    return rc;
}


void
pf_arbiter_wakeup(void)
{
    pf_sigqueue_wakeup();
}


void
pf_arbiter_free(pf_arbiter *a)
{
    int  j;

    if (a == NULL) {
        return;
    }
    pf__close_listeners(a);
    for (j = 0; j < a->ninherited; j++) {
        if (a->inherited[j] >= 0) {
            close(a->inherited[j]);
        }
    }
    for (j = 0; j < 2; j++) {
        if (a->life[j] >= 0) {
            close(a->life[j]);
        }
        if (a->notify[j] >= 0) {
            close(a->notify[j]);
        }
    }
    pf__heart_free(&a->heart);
    free(a->kids);
    free_config(a);
    if (the_arbiter == a) {
        the_arbiter = NULL;
    }
    free(a);
}

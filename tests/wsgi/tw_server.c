/*
 * A WSGI server in a forked child for the request-level tests.  The test
 * process never starts Python: the child does (as a worker would), serves
 * connections with pfw_conn_serve() on blocking sockets, and writes its
 * log (pf_log and fd 2, so wsgi.errors too) to a file the test reads.
 */
#include "tw.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <prefork/arbiter.h>
#include <prefork/sockets.h>

#include "helpers.h"


void
tw_opts_init(tw_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->spec = "probe:app";
    o->keepalive = 2;
    o->sendfile = 1;
    o->workers = 1;
    o->threads = 1;
    o->worker_connections = 1000;
    o->graceful_timeout = 10;
    o->timeout = 30;
}


static void
fill_app(pfw_app *app, const tw_opts *o)
{
    static char *const  argv[] = { "check_wsgi", NULL };

    pfw_app_init(app);
    app->spec = o->spec;
    app->argv = argv;
    app->keepalive = o->keepalive;
    app->sendfile = o->sendfile;
    app->max_requests = o->max_requests;
    app->max_requests_jitter = o->max_requests_jitter;
    app->workers = o->workers;
    app->preload = o->preload;
    app->threads = o->threads;
    app->worker_connections = o->worker_connections;
    app->timeout = o->timeout;
    app->graceful_timeout = o->graceful_timeout;
    app->proxy_protocol = o->proxy_protocol;
    if (o->proxy_allow_ips != NULL) {
        app->proxy_allow_ips = o->proxy_allow_ips;
    }
}


/* Every worker has booted, and the master is in its loop (its signals
 * trapped): tell the test, once. */
static void
on_ready(pf_arbiter *a, int event, void *ud)
{
    int   *fd = ud;
    char   ok = 'R';

    if (event != PF_EVENT_READY || *fd < 0) {
        return;
    }
    if (write(*fd, &ok, 1) != 1) {
        _exit(32);
    }
    close(*fd);
    *fd = -1;
    pf_arbiter_unsubscribe(a, on_ready, ud);
}


/* The child becomes a master: the real arbiter with our worker kind.  The
 * test goes on once PF_EVENT_READY came; a master that exits before (a
 * failed boot) closes the pipe instead. */
static void __attribute__((noreturn))
run_arbiter(int lfd, const tw_opts *o, int ready)
{
    static pfw_app         app;
    static int             ready_fd;
    pf_config              cfg;
    pf_arbiter            *a;
    const pf_worker_ops   *ops;
    char                   err[256];

    fill_app(&app, o);
    ops = pfw_worker_ops(o->worker, app.threads, err, sizeof(err));
    if (ops == NULL) {
        pf_log(PF_LOG_ERROR, "%s", err);
        _exit(30);
    }
    pf_config_init(&cfg);
    cfg.workers = o->workers;
    cfg.timeout = o->timeout;
    cfg.graceful_timeout = o->graceful_timeout;
    a = pf_arbiter_new(&cfg, ops, &app);
    ready_fd = ready;
    if (a == NULL || pf_arbiter_adopt(a, lfd) != 0
        || pf_arbiter_subscribe(a, PF_EVENT_READY, on_ready, &ready_fd) != 0)
    {
        _exit(31);
    }
    _exit(pf_arbiter_run(a));
}


static void
serve_forever(int lfd, const tw_opts *o, int ready)
{
    static pfw_app          app;
    static pfw_server       srv;
    static pfw_conn         c;
    struct sockaddr_storage ss;
    struct pollfd           p = { lfd, POLLIN, 0 };
    socklen_t               len;
    int                     fd, rc;
    char                    ok = 'R';

    fill_app(&app, o);
    if (pfw_interp_start(&app) != 0) {
        _exit(10);
    }
    rc = pfw_app_load(&app);
    if (rc != 0) {
        _exit(rc);
    }
    if (pfw_server_init(&srv, &app, NULL, &lfd, 1, 0) != 0) {
        _exit(11);
    }
    if (write(ready, &ok, 1) != 1) {
        _exit(12);
    }
    close(ready);
    for ( ;; ) {
        len = sizeof(ss);
        fd = accept4(lfd, (struct sockaddr *) &ss, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd == -1) {
            if (errno == EAGAIN || errno == EINTR) {
                Py_BEGIN_ALLOW_THREADS
                poll(&p, 1, -1);
                Py_END_ALLOW_THREADS
                continue;
            }
            _exit(13);
        }
        if (pfw_conn_open(&c, &srv, fd, 0, (struct sockaddr *) &ss, len,
                          PFW_IO_BLOCK) != 0)
        {
            _exit(14);
        }
        pfw_conn_serve(&c);
    }
}


void
tw_server_start(tw_server *s, const tw_opts *o)
{
    char     path[600];
    int      lfd, pfd[2], logfd;
    ssize_t  n;
    char     b;

    memset(s, 0, sizeof(*s));
    s->dir = th_tmpdir();
    if (s->dir == NULL) {
        ck_abort_msg("tmpdir");
    }
    snprintf(s->logpath, sizeof(s->logpath), "%s/log", s->dir);
    if (o->unix_socket) {
        snprintf(path, sizeof(path), "unix:%s/sock", s->dir);
        lfd = pf_listen(path, 64, 0);
        snprintf(s->addr, sizeof(s->addr), "%s", path);
    } else {
        lfd = pf_listen("127.0.0.1:0", 64, 0);
        if (lfd >= 0) {
            pf_sockname(lfd, s->addr, sizeof(s->addr));
        }
    }
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0) {
        close(pfd[0]);
        logfd = open(s->logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                     0600);
        if (logfd == -1 || dup2(logfd, 2) == -1) {
            _exit(20);
        }
        pf_log_set(NULL, NULL, PF_LOG_DEBUG);
        signal(SIGPIPE, SIG_IGN);
        if (chdir(PFW_TEST_APPS) != 0) {
            _exit(21);
        }
        if (o->script_name != NULL) {
            setenv("SCRIPT_NAME", o->script_name, 1);
        }
        if (o->tmpdir != NULL) {
            setenv("TMPDIR", o->tmpdir, 1);
        }
        if (o->worker != NULL) {
            run_arbiter(lfd, o, pfd[1]);
        }
        serve_forever(lfd, o, pfd[1]);
        _exit(0);
    }
    close(pfd[1]);
    close(lfd);
    /* worker mode: EOF is a master gone before its workers booted; the
     * test looks at its exit status */
    n = th_read_n(pfd[0], &b, 1, 20000);
    if (n != 1 && (n != 0 || o->worker == NULL)) {
        char *log = tw_server_log(s);

        ck_abort_msg("server child did not start; log:\n%s", log);
    }
    close(pfd[0]);
}


void
tw_server_stop(tw_server *s)
{
    char  *log;
    int    status, bad;

    if (s->dir != NULL) {
        /* sanitizer reports from the child land in its log */
        log = tw_server_log(s);
        bad = strstr(log, "AddressSanitizer") != NULL
              || strstr(log, "runtime error:") != NULL;
        if (bad) {
            fprintf(stderr, "%s\n", log);
        }
        free(log);
        ck_assert_msg(!bad, "sanitizer report in the server log");
    }
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        th_wait(s->pid, &status, 5000);
        s->pid = 0;
    }
    if (s->dir != NULL) {
        th_rmrf(s->dir);
        free(s->dir);
        s->dir = NULL;
    }
}


int
tw_server_signal_wait(tw_server *s, int signo, int ms)
{
    int  status;

    ck_assert_int_gt(s->pid, 0);
    ck_assert_int_eq(kill(s->pid, signo), 0);
    if (th_wait(s->pid, &status, ms) != s->pid) {
        return -1;
    }
    s->pid = 0;
    return status;
}


char *
tw_server_log(const tw_server *s)
{
    char   *buf = calloc(1, 1 << 20);
    int     fd = open(s->logpath, O_RDONLY | O_CLOEXEC);
    ssize_t n = 0;

    if (fd >= 0) {
        n = read(fd, buf, (1 << 20) - 1);
        close(fd);
    }
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}


static int
count_in(const char *hay, const char *needle)
{
    int  n = 0;

    while ((hay = strstr(hay, needle)) != NULL) {
        n++;
        hay += strlen(needle);
    }
    return n;
}


int
tw_server_wait_log(const tw_server *s, const char *needle, int n, int ms)
{
    long long  deadline = th_now_ms() + ms;
    char       ev[4096], *log;
    int        fd, found;

    fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ge(inotify_add_watch(fd, s->logpath, IN_MODIFY), 0);
    for ( ;; ) {
        /* watch first, then look: no write can fall between the two */
        log = tw_server_log(s);
        found = count_in(log, needle) >= n;
        free(log);
        if (found || th_now_ms() >= deadline
            || th_readable(fd, (int) (deadline - th_now_ms())) != 1)
        {
            break;
        }
        while (read(fd, ev, sizeof(ev)) > 0) {
            /* drain */
        }
    }
    close(fd);
    return found;
}


int
tw_server_log_count(const tw_server *s, const char *needle)
{
    char  *log = tw_server_log(s);
    int    n = count_in(log, needle);

    free(log);
    return n;
}


void
tw_server_expect_log(const tw_server *s, const char *needle, int n, int ms)
{
    char  *log;

    if (!tw_server_wait_log(s, needle, n, ms)) {
        log = tw_server_log(s);
        ck_abort_msg("expected \"%s\" %d time(s) in the log:\n%s", needle, n,
                     log);
    }
}


void
tw_server_get(const tw_server *s, tw_conn *c, tw_resp *r, const char *raw)
{
    char  *log;

    ck_assert_int_eq(tw_sends(c, raw), 0);
    if (tw_read(c, r, 20000, 0) != 0) {
        log = tw_server_log(s);
        ck_abort_msg("no response to %.60s; log:\n%s", raw, log);
    }
}

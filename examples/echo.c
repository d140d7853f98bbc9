/*
 * A complete custom server on libprefork: N workers echo what clients send.
 * TERM, INT, QUIT, HUP, TTIN, TTOU, USR1, USR2 all work as in gunicorn.
 *
 *   cc echo.c $(pkg-config --cflags --libs libprefork) -o echo
 *   ./echo [ADDRESS] [WORKERS]        (default 127.0.0.1:7000, 4 workers)
 */
#define _GNU_SOURCE                     /* accept4() */
#include <prefork/prefork.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void
echo_client(int c)
{
    char     buf[4096];
    ssize_t  r;

    while ((r = read(c, buf, sizeof(buf))) > 0 && write(c, buf, r) == r) {
        /* echo until EOF */
    }
    close(c);
}

static int
echo_run(pf_worker *w, void *ud)
{
    const int     *ls = pf_worker_listeners(w, NULL);
    struct pollfd  p[2] = { { pf_worker_fd(w), POLLIN, 0 }, { ls[0], POLLIN, 0 } };
    int            c;

    (void) ud;
    for ( ;; ) {
        pf_worker_heartbeat(w);
        if (pf_worker_poll(w) & (PF_WORKER_DRAIN | PF_WORKER_EXIT)) {
            return 0;
        }
        if (poll(p, 2, pf_worker_timeout_ms(w)) > 0 && (p[1].revents & POLLIN)
            && (c = accept4(ls[0], NULL, NULL, SOCK_CLOEXEC)) != -1)
        {
            echo_client(c);     /* listeners are non-blocking, clients not */
        }
    }
}

static const pf_worker_ops echo_ops = {
    .version = PF_WORKER_OPS_VERSION, .name = "echo", .run = echo_run,
};

int
main(int argc, char **argv)
{
    pf_config   cfg;
    pf_arbiter *a;
    int         status;

    pf_config_init(&cfg);
    cfg.workers = argc > 2 ? atoi(argv[2]) : 4;
    cfg.argv = argv;                        /* titles and USR2 re-exec */

    a = pf_arbiter_new(&cfg, &echo_ops, NULL);
    if (a == NULL || pf_arbiter_listen(a, argc > 1 ? argv[1] : "127.0.0.1:7000") == -1) {
        perror("echo");
        return 1;
    }
    status = pf_arbiter_run(a);
    pf_arbiter_free(a);
    return status;
}

/*
 * loadgen: a small HTTP/1.1 load client for the fault suite.
 *
 *   loadgen [-c CONNS] [-r RATE] [-d SECS] [-n COUNT] [-t TIMEOUT_MS]
 *           [-C] [-p PATH] (-a HOST:PORT | -u UNIXPATH)
 *
 * CONNS connections (keep-alive, or a new connection per request with -C)
 * send GET PATH at RATE requests per second in total (0: as fast as the
 * connections allow) for SECS seconds or COUNT requests, whichever comes
 * first; SIGINT/SIGTERM end the run early.  Every request's outcome is
 * recorded: ok (a complete response below 500), refused, reset, eof
 * (the connection closed before a complete response), 5xx, timeout.
 *
 * Retry policy (RFC 9112 section 9.3.1, what curl, urllib3 and browsers
 * do): a GET that failed on a *reused* keep-alive connection before any
 * byte of its response arrived is sent again, once, on a new connection;
 * such retries are counted apart.  Everything else is a failure.
 *
 * SIGUSR1 opens and SIGUSR2 closes the "event window": requests started
 * inside it are also reported apart (win_*), so a driver measures what a
 * reload or a kill did to the traffic that met it.
 *
 * stdout: "ready" once a first response came back, then one summary line
 * of key=value pairs.  stderr: the first failures, one line each.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>


enum {
    O_OK = 0, O_REFUSED, O_RESET, O_EOF, O_5XX, O_TIMEOUT, O_OTHER, O_N
};

static const char  *onames[O_N] = {
    "ok", "refused", "reset", "eof", "http5xx", "timeout", "other"
};

enum { S_FREE = 0, S_CONNECTING, S_SENDING, S_READING, S_IDLE };

#define HEAD_MAX  16384

typedef struct {
    int        fd;
    int        state;
    int        reused;       /* a response came back on this connection */
    int        retry;        /* the current request is a retry */
    int        busy;         /* a request is assigned */
    long long  start;        /* us, when the request was first sent */
    long long  deadline;
    size_t     sent;
    size_t     got;          /* response bytes received, all of them */
    /* response parsing */
    char       head[HEAD_MAX];
    size_t     hlen;
    int        hdone;
    int        status;
    int        chunked;
    int        close_after;
    int        eof_body;     /* body delimited by the connection's close */
    long long  left;         /* body bytes left (length or current chunk) */
    int        cstate;       /* chunked: 0 size line, 1 data, 2 CRLF, 3 trailer */
    char       line[64];
    size_t     llen;
} conn;

typedef struct {
    long long  start;        /* us since the run began */
    uint32_t   lat;          /* us */
    uint8_t    outcome;
    uint8_t    retried;
} rec;

static struct sockaddr_storage  addr;
static socklen_t                addrlen;
static int                      family;
static char                     req[512];
static size_t                   reqlen;
static int                      close_mode;
static int                      timeout_ms = 5000;
static long long                t0;
static rec                     *recs;
static size_t                   nrecs, caprecs;
static long long                count[O_N];
static long long                retried;
static int                      epfd;
static int                      nfail_logged;
static volatile sig_atomic_t    stop_flag;
static volatile sig_atomic_t    win_open_flag, win_close_flag;
static long long                win_from = -1, win_to = -1;


static long long
now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


static void
on_signal(int sig)
{
    if (sig == SIGUSR1) {
        win_open_flag = 1;
    } else if (sig == SIGUSR2) {
        win_close_flag = 1;
    } else {
        stop_flag = 1;
    }
}


static void
record(conn *c, int outcome)
{
    long long  t = now_us();
    rec       *r;

    if (nrecs == caprecs) {
        caprecs = caprecs ? caprecs * 2 : 65536;
        recs = realloc(recs, caprecs * sizeof(rec));
        if (recs == NULL) {
            perror("loadgen: realloc");
            exit(2);
        }
    }
    r = &recs[nrecs++];
    r->start = c->start - t0;
    r->lat = (uint32_t) (t - c->start);
    r->outcome = (uint8_t) outcome;
    r->retried = (uint8_t) c->retry;
    count[outcome]++;
    if (outcome != O_OK && nfail_logged < 50) {
        nfail_logged++;
        fprintf(stderr, "loadgen: t=%.3fs %s (reused=%d retry=%d got=%zu "
                "status=%d)\n", (double) (c->start - t0) / 1e6,
                onames[outcome], c->reused, c->retry, c->got, c->status);
    }
}


static void
conn_close(conn *c)
{
    if (c->fd != -1) {
        epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = -1;
    }
    c->state = S_FREE;
    c->reused = 0;
}


static void
reset_parse(conn *c)
{
    c->sent = 0;
    c->got = 0;
    c->hlen = 0;
    c->hdone = 0;
    c->status = 0;
    c->chunked = 0;
    c->close_after = 0;
    c->eof_body = 0;
    c->left = 0;
    c->cstate = 0;
    c->llen = 0;
}


static void
watch(conn *c, uint32_t events, int op)
{
    struct epoll_event  ev;

    ev.events = events;
    ev.data.ptr = c;
    if (epoll_ctl(epfd, op, c->fd, &ev) == -1) {
        perror("loadgen: epoll_ctl");
        exit(2);
    }
}


/* Open a new connection for the request assigned to c.  -1: refused or
 * another connect error, recorded. */
static int
conn_open(conn *c)
{
    int  fd, one = 1;

    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        perror("loadgen: socket");
        exit(2);
    }
    if (family != AF_UNIX) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    c->fd = fd;
    c->reused = 0;
    if (connect(fd, (struct sockaddr *) &addr, addrlen) == -1) {
        if (errno == EINPROGRESS) {
            c->state = S_CONNECTING;
            watch(c, EPOLLOUT, EPOLL_CTL_ADD);
            return 0;
        }
        if (errno == EAGAIN && family == AF_UNIX) {
            /* a unix listener's backlog is full: treated as refused */
            errno = ECONNREFUSED;
        }
        record(c, errno == ECONNREFUSED ? O_REFUSED : O_OTHER);
        c->busy = 0;
        conn_close(c);
        return -1;
    }
    c->state = S_SENDING;
    watch(c, EPOLLOUT, EPOLL_CTL_ADD);
    return 0;
}


static void
start_request(conn *c, long long start, int is_retry)
{
    reset_parse(c);
    c->busy = 1;
    c->retry = is_retry;
    c->start = start;
    c->deadline = now_us() + (long long) timeout_ms * 1000;
    if (c->fd == -1) {
        conn_open(c);
        return;
    }
    c->state = S_SENDING;
    watch(c, EPOLLOUT, EPOLL_CTL_MOD);
}


/* The request failed with outcome o.  Retried once when it may be. */
static void
fail(conn *c, int o)
{
    int        may_retry;
    long long  start = c->start;

    may_retry = c->reused && !c->retry && c->got == 0
                && (o == O_RESET || o == O_EOF);
    if (may_retry && !stop_flag) {
        conn_close(c);
        retried++;
        start_request(c, start, 1);
        return;
    }
    record(c, o);
    c->busy = 0;
    conn_close(c);
}


static void
done(conn *c)
{
    record(c, c->status >= 500 ? O_5XX : O_OK);
    c->busy = 0;
    if (close_mode || c->close_after || c->eof_body) {
        conn_close(c);
        return;
    }
    c->reused = 1;
    c->state = S_IDLE;
    watch(c, EPOLLIN, EPOLL_CTL_MOD);      /* notices a server close */
}


static int
parse_head(conn *c)
{
    char  *p, *end, *line, *nl;
    int    minor = 1;

    c->head[c->hlen] = '\0';
    end = strstr(c->head, "\r\n\r\n");
    if (end == NULL) {
        return c->hlen >= HEAD_MAX - 1 ? -1 : 0;
    }
    if (sscanf(c->head, "HTTP/1.%d %d", &minor, &c->status) != 2) {
        return -1;
    }
    c->left = -1;
    c->close_after = minor == 0;
    for (line = strstr(c->head, "\r\n") + 2; line < end; line = nl + 2) {
        nl = strstr(line, "\r\n");
        if (strncasecmp(line, "content-length:", 15) == 0) {
            c->left = strtoll(line + 15, NULL, 10);
        } else if (strncasecmp(line, "transfer-encoding:", 18) == 0) {
            c->chunked = strstr(line, "chunked") != NULL
                         && strstr(line, "chunked") < nl;
        } else if (strncasecmp(line, "connection:", 11) == 0) {
            for (p = line + 11; *p == ' '; p++) {
                /* skip */
            }
            if (strncasecmp(p, "close", 5) == 0) {
                c->close_after = 1;
            } else if (strncasecmp(p, "keep-alive", 10) == 0) {
                c->close_after = 0;
            }
        }
    }
    c->hdone = 1;
    if (c->chunked) {
        c->left = 0;
        c->cstate = 0;
    } else if (c->left < 0) {
        if (c->status == 204 || c->status == 304 || c->status < 200) {
            c->left = 0;
        } else {
            c->eof_body = 1;
            c->close_after = 1;
        }
    }
    return (int) ((end + 4) - c->head);
}


/* Consume body bytes; 1 when the response is complete, -1 on garbage. */
static int
body(conn *c, const char *p, size_t n)
{
    size_t  k;

    if (c->eof_body) {
        return 0;
    }
    if (!c->chunked) {
        c->left -= (long long) n;
        return c->left <= 0 ? 1 : 0;
    }
    while (n > 0) {
        switch (c->cstate) {
        case 0:                          /* size line */
        case 3:                          /* trailer lines: until empty */
            if (*p == '\n') {
                c->line[c->llen] = '\0';
                if (c->cstate == 3) {
                    if (c->llen <= 1) {
                        return 1;
                    }
                } else {
                    c->left = strtoll(c->line, NULL, 16);
                    c->cstate = c->left == 0 ? 3 : 1;
                }
                c->llen = 0;
            } else if (c->llen < sizeof(c->line) - 1) {
                c->line[c->llen++] = *p;
            }
            p++;
            n--;
            break;
        case 1:
            k = n < (size_t) c->left ? n : (size_t) c->left;
            c->left -= (long long) k;
            p += k;
            n -= k;
            if (c->left == 0) {
                c->cstate = 2;
                c->llen = 0;
            }
            break;
        case 2:                          /* the CRLF after the data */
            if (*p == '\n') {
                c->cstate = 0;
            }
            p++;
            n--;
            break;
        }
    }
    return 0;
}


static void
on_read(conn *c)
{
    char     buf[65536];
    ssize_t  n;
    int      off, r;

    for (;;) {
        n = read(c->fd, buf, sizeof(buf));
        if (n == -1) {
            if (errno == EAGAIN || errno == EINTR) {
                return;
            }
            fail(c, errno == ECONNRESET ? O_RESET : O_OTHER);
            return;
        }
        if (n == 0) {
            if (c->hdone && c->eof_body) {
                done(c);
                return;
            }
            fail(c, O_EOF);
            return;
        }
        c->got += (size_t) n;
        if (!c->hdone) {
            size_t  k = (size_t) n;

            if (k > HEAD_MAX - 1 - c->hlen) {
                k = HEAD_MAX - 1 - c->hlen;
            }
            memcpy(c->head + c->hlen, buf, k);
            c->hlen += k;
            off = parse_head(c);
            if (off < 0) {
                fail(c, O_OTHER);
                return;
            }
            if (off == 0) {
                continue;
            }
            /* bytes after the head in this read are body bytes */
            off = (int) ((long long) off - (long long) (c->hlen - k));
            r = (c->left == 0 && !c->chunked && !c->eof_body)
                ? 1 : body(c, buf + off, (size_t) n - (size_t) off);
        } else {
            r = body(c, buf, (size_t) n);
        }
        if (r == 1) {
            done(c);
            return;
        }
    }
}


static void
on_idle_event(conn *c)
{
    char     b;
    ssize_t  n = read(c->fd, &b, 1);

    /* an idle connection the server closed (keep-alive expiry, a
     * draining worker): simply reconnect for the next request */
    if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
        conn_close(c);
    }
}


static void
on_event(conn *c, uint32_t events)
{
    int        err = 0;
    socklen_t  len = sizeof(err);
    ssize_t    n;

    switch (c->state) {
    case S_IDLE:
        on_idle_event(c);
        return;
    case S_CONNECTING:
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            int  reused = c->reused;

            conn_close(c);
            c->reused = reused;
            record(c, err == ECONNREFUSED ? O_REFUSED
                      : err == ECONNRESET ? O_RESET : O_OTHER);
            c->busy = 0;
            return;
        }
        c->state = S_SENDING;
        /* fall through */
    case S_SENDING:
        while (c->sent < reqlen) {
            n = send(c->fd, req + c->sent, reqlen - c->sent, MSG_NOSIGNAL);
            if (n == -1) {
                if (errno == EAGAIN) {
                    return;
                }
                fail(c, errno == ECONNRESET || errno == EPIPE
                        ? O_RESET : O_OTHER);
                return;
            }
            c->sent += (size_t) n;
        }
        c->state = S_READING;
        watch(c, EPOLLIN, EPOLL_CTL_MOD);
        return;
    case S_READING:
        if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            on_read(c);
        }
        return;
    default:
        return;
    }
}


static int
cmp_u32(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : x > y;
}


/* Percentiles (ms) of the ok requests' latencies in [from, to). */
static void
stats(long long from, long long to, long long *sent, long long *failed,
    long long *nretried, double *p50, double *p99, double *pmax)
{
    uint32_t  *lat;
    size_t     i, n = 0;

    *sent = *failed = *nretried = 0;
    *p50 = *p99 = *pmax = 0;
    lat = malloc((nrecs + 1) * sizeof(uint32_t));
    if (lat == NULL) {
        perror("loadgen: malloc");
        exit(2);
    }
    for (i = 0; i < nrecs; i++) {
        if (recs[i].start < from || recs[i].start >= to) {
            continue;
        }
        (*sent)++;
        *nretried += recs[i].retried;
        if (recs[i].outcome != O_OK) {
            (*failed)++;
            continue;
        }
        lat[n++] = recs[i].lat;
    }
    if (n > 0) {
        qsort(lat, n, sizeof(uint32_t), cmp_u32);
        *p50 = lat[(n - 1) / 2] / 1000.0;
        *p99 = lat[(size_t) ((double) (n - 1) * 0.99)] / 1000.0;
        *pmax = lat[n - 1] / 1000.0;
    }
    free(lat);
}


static int
parse_addr(const char *tcp, const char *unixp)
{
    memset(&addr, 0, sizeof(addr));
    if (unixp != NULL) {
        struct sockaddr_un  *un = (struct sockaddr_un *) &addr;

        if (strlen(unixp) >= sizeof(un->sun_path)) {
            return -1;
        }
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, unixp);
        addrlen = sizeof(*un);
        family = AF_UNIX;
        return 0;
    }
    if (tcp != NULL) {
        struct sockaddr_in  *in = (struct sockaddr_in *) &addr;
        char                 host[64];
        const char          *colon = strrchr(tcp, ':');

        if (colon == NULL || (size_t) (colon - tcp) >= sizeof(host)) {
            return -1;
        }
        memcpy(host, tcp, (size_t) (colon - tcp));
        host[colon - tcp] = '\0';
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t) atoi(colon + 1));
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1) {
            return -1;
        }
        addrlen = sizeof(*in);
        family = AF_INET;
        return 0;
    }
    return -1;
}


static void
usage(void)
{
    fprintf(stderr, "usage: loadgen [-c CONNS] [-r RATE] [-d SECS] "
            "[-n COUNT] [-t TIMEOUT_MS] [-C] [-p PATH] "
            "(-a HOST:PORT | -u UNIXPATH)\n");
    exit(2);
}


int
main(int argc, char **argv)
{
    struct epoll_event  evs[256];
    struct sigaction    sa;
    conn               *conns;
    const char         *tcp = NULL, *unixp = NULL, *path = "/";
    double              rate = 0, secs = 10, p50, p99, pmax;
    double              wp50, wp99, wmax;
    long long           limit = -1, started = 0, now, end, next, interval;
    long long           sent, failed, nret, wsent, wfailed, wret, failed_all;
    int                 nconns = 8, opt, i, n, wait_ms, ready = 0, busy;

    while ((opt = getopt(argc, argv, "c:r:d:n:t:Cp:a:u:")) != -1) {
        switch (opt) {
        case 'c': nconns = atoi(optarg); break;
        case 'r': rate = atof(optarg); break;
        case 'd': secs = atof(optarg); break;
        case 'n': limit = atoll(optarg); break;
        case 't': timeout_ms = atoi(optarg); break;
        case 'C': close_mode = 1; break;
        case 'p': path = optarg; break;
        case 'a': tcp = optarg; break;
        case 'u': unixp = optarg; break;
        default: usage();
        }
    }
    if (nconns < 1 || nconns > 4096 || parse_addr(tcp, unixp) == -1) {
        usage();
    }
    reqlen = (size_t) snprintf(req, sizeof(req),
                               "GET %s HTTP/1.1\r\nHost: loadgen\r\n%s\r\n",
                               path, close_mode ? "Connection: close\r\n"
                                                : "");
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);

    epfd = epoll_create1(EPOLL_CLOEXEC);
    conns = calloc((size_t) nconns, sizeof(conn));
    if (epfd == -1 || conns == NULL) {
        perror("loadgen: setup");
        return 2;
    }
    for (i = 0; i < nconns; i++) {
        conns[i].fd = -1;
    }
    t0 = now_us();
    end = t0 + (long long) (secs * 1e6);
    interval = rate > 0 ? (long long) (1e6 / rate) : 0;
    next = t0;

    for (;;) {
        now = now_us();
        if (win_open_flag) {
            win_open_flag = 0;
            win_from = now - t0;
            win_to = -1;
        }
        if (win_close_flag) {
            win_close_flag = 0;
            win_to = now - t0;
        }
        if (now >= end) {
            stop_flag = 1;
        }
        /* timeouts */
        busy = 0;
        for (i = 0; i < nconns; i++) {
            if (conns[i].busy && now >= conns[i].deadline) {
                conns[i].got = 1;            /* never retried */
                fail(&conns[i], O_TIMEOUT);
            }
            busy += conns[i].busy;
        }
        /* new requests, paced */
        for (i = 0; i < nconns && !stop_flag; i++) {
            if (conns[i].busy || (limit >= 0 && started >= limit)) {
                continue;
            }
            if (interval > 0 && now < next) {
                break;
            }
            started++;
            next += interval;
            if (next < now - 1000000) {
                next = now;                  /* never burst to catch up */
            }
            busy++;
            start_request(&conns[i], now, 0);
        }
        if (limit >= 0 && started >= limit) {
            stop_flag = 1;
        }
        if (stop_flag && busy == 0) {
            break;
        }
        if (stop_flag && now >= end + (long long) timeout_ms * 1000) {
            break;
        }
        wait_ms = 100;
        if (interval > 0 && !stop_flag && next > now) {
            wait_ms = (int) ((next - now + 999) / 1000);
            if (wait_ms > 100) {
                wait_ms = 100;
            }
        }
        n = epoll_wait(epfd, evs, 256, wait_ms);
        if (n == -1 && errno != EINTR) {
            perror("loadgen: epoll_wait");
            return 2;
        }
        for (i = 0; i < n; i++) {
            on_event(evs[i].data.ptr, evs[i].events);
        }
        if (!ready && count[O_OK] > 0) {
            ready = 1;
            printf("ready\n");
        }
    }
    now = now_us();
    stats(0, now - t0 + 1, &sent, &failed, &nret, &p50, &p99, &pmax);
    failed_all = sent - count[O_OK];
    stats(win_from >= 0 ? win_from : 0,
          win_from < 0 ? 0 : win_to >= 0 ? win_to : now - t0 + 1,
          &wsent, &wfailed, &wret, &wp50, &wp99, &wmax);
    printf("RESULT sent=%lld ok=%lld failed=%lld", sent, count[O_OK],
           failed_all);
    for (i = 1; i < O_N; i++) {
        printf(" %s=%lld", onames[i], count[i]);
    }
    printf(" retried=%lld p50_ms=%.3f p99_ms=%.3f max_ms=%.3f rps=%.0f"
           " secs=%.3f win_sent=%lld win_failed=%lld win_retried=%lld"
           " win_p99_ms=%.3f win_max_ms=%.3f\n", retried, p50, p99, pmax,
           (double) sent / ((double) (now - t0) / 1e6),
           (double) (now - t0) / 1e6, wsent, wfailed, wret, wp99, wmax);
    return 0;
}

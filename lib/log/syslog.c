/*
 * gunicorn's syslog handler: Python's logging.handlers.SysLogHandler with
 * the address rules of glogging.parse_syslog_address().  Wire format per
 * message: "<PRI>IDENT: [PID] MSG\0" (append_nul, no framing on streams).
 *
 * Unlike Python's handler this one never blocks: sockets are non-blocking,
 * a message the target cannot take now is dropped and counted, a dead
 * target is reconnected at most once per retry interval, and a failure is
 * reported at most once a minute.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define SYSLOG_MAX_ADDRS      4
#define SYSLOG_PEND_MAX       (64 * 1024)   /* one unsent stream tail */
#define SYSLOG_RETRY_MS       1000
#define SYSLOG_CONNECT_MS     1000          /* at start-up only */

typedef struct {
    struct sockaddr_storage  sa;
    socklen_t                len;
    int                      family;
} sl_addr;

struct pfw_syslog {
    pthread_mutex_t   mu;
    int               fd;
    int               is_unix;
    int               socktype;       /* SOCK_DGRAM, SOCK_STREAM; unix: 0
                                         until a type connected */
    int               fixed_type;     /* unix "#dgram": no stream fallback */
    int               facility;
    sl_addr           addrs[SYSLOG_MAX_ADDRS];
    int               naddrs;
    int               retry_ms;
    int64_t           next_retry;
    char             *pend;           /* stream: tail of a partial send */
    size_t            pend_len;
    size_t            pend_off;
    uint64_t          dropped;
    uint64_t          unreported;
    int               last_err;
    int64_t           next_warn;
    pfw_warn_fn      *warn;
    void             *warn_ud;
};

static const struct {
    const char  *name;
    int          code;
} facilities[] = {
    { "auth", 4 }, { "authpriv", 10 }, { "cron", 9 }, { "daemon", 3 },
    { "ftp", 11 }, { "kern", 0 }, { "lpr", 6 }, { "mail", 2 },
    { "news", 7 }, { "security", 4 }, { "syslog", 5 }, { "user", 1 },
    { "uucp", 8 }, { "local0", 16 }, { "local1", 17 }, { "local2", 18 },
    { "local3", 19 }, { "local4", 20 }, { "local5", 21 }, { "local6", 22 },
    { "local7", 23 },
};


int
pfw_syslog_facility(const char *name)
{
    size_t  i;

    if (name == NULL) {
        return 1;
    }
    for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
        if (pfw__ascii_casecmp(name, strlen(name), facilities[i].name,
                               strlen(facilities[i].name)) == 0)
        {
            return facilities[i].code;
        }
    }
    return -1;
}


/* SysLogHandler.priority_map; anything else maps to "warning". */
static int
severity(int level)
{
    switch (level) {
    case PF_LOG_DEBUG:
        return 7;
    case PF_LOG_INFO:
        return 6;
    case PF_LOG_ERROR:
        return 3;
    case PF_LOG_CRITICAL:
        return 2;
    default:
        return 4;
    }
}


size_t
pfw_syslog_ident(char *buf, size_t cap, const char *syslog_prefix,
    const char *proc_name, const char *kind)
{
    const char  *p = syslog_prefix;
    size_t       n, i, end;
    int          k;

    if (cap == 0) {
        return 0;
    }
    if (p == NULL || p[0] == '\0') {
        p = proc_name != NULL ? proc_name : "gunicorn";
    }
    k = snprintf(buf, cap, "gunicorn.%s.%s", p, kind);
    n = k < 0 ? 0 : ((size_t) k < cap ? (size_t) k : cap - 1);
    /* proc_name "app:main" -> "app.main"; an explicit prefix is as given */
    if (p != syslog_prefix) {
        end = sizeof("gunicorn.") - 1 + strlen(p);
        for (i = sizeof("gunicorn.") - 1; i < end && i < n; i++) {
            if (buf[i] == ':') {
                buf[i] = '.';
            }
        }
    }
    return n;
}


/* Python's s.split(sep)[1]: the text after the first sep, up to the next. */
static size_t
split1(const char *s, const char *sep, const char **out)
{
    const char  *a, *b;

    a = strstr(s, sep);
    a = a == NULL ? s + strlen(s) : a + strlen(sep);
    b = strstr(a, sep);
    *out = a;
    return b == NULL ? strlen(a) : (size_t) (b - a);
}


static int
parse_unix(pfw_syslog *s, const char *addr, char *err, size_t errlen)
{
    struct sockaddr_un  *un;
    const char          *hash, *path;
    char                 buf[512];
    size_t               n;

    /* Only "#dgram" fixes the type: "#stream" still tries dgram first. */
    hash = strchr(addr, '#');
    n = hash != NULL ? (size_t) (hash - addr) : strlen(addr);
    if (n >= sizeof(buf)) {
        pfw__errf(err, errlen, "syslog: AF_UNIX path too long");
        return -1;
    }
    memcpy(buf, addr, n);
    buf[n] = '\0';
    if (hash != NULL && strcmp(hash + 1, "dgram") == 0) {
        s->socktype = SOCK_DGRAM;
        s->fixed_type = 1;
    }
    n = split1(buf, "unix://", &path);
    un = (struct sockaddr_un *) &s->addrs[0].sa;
    if (n >= sizeof(un->sun_path)) {
        pfw__errf(err, errlen, "syslog: AF_UNIX path too long");
        return -1;
    }
    un->sun_family = AF_UNIX;
    memcpy(un->sun_path, path, n);
    un->sun_path[n] = '\0';
    s->addrs[0].len = (socklen_t) (offsetof(struct sockaddr_un, sun_path)
                                   + n + 1);
    s->addrs[0].family = AF_UNIX;
    s->naddrs = 1;
    s->is_unix = 1;
    return 0;
}


static void
lower(char *s)
{
    for (; *s != '\0'; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            *s = (char) (*s + 'a' - 'A');
        }
    }
}


/* glogging.parse_syslog_address() for udp:// and tcp://. */
static int
parse_inet(const char *rest, size_t n, char *host, size_t hostcap,
    char *port, size_t portcap, char *err, size_t errlen)
{
    char         a[512], rp[64];
    const char  *rb, *colon, *tail;
    size_t       hn;

    if (n >= sizeof(a)) {
        pfw__errf(err, errlen, "invalid syslog address");
        return -1;
    }
    memcpy(a, rest, n);
    a[n] = '\0';
    rb = strchr(a, ']');
    colon = strchr(a, ':');
    if (strchr(a, '[') != NULL && rb != NULL) {
        hn = (size_t) (rb - a);
        hn = hn > 0 ? hn - 1 : 0;
        if (hn >= hostcap) {
            goto bad;
        }
        memcpy(host, a + (rb > a ? 1 : 0), hn);
        host[hn] = '\0';
    } else if (colon != NULL) {
        hn = (size_t) (colon - a);
        if (hn >= hostcap) {
            goto bad;
        }
        memcpy(host, a, hn);
        host[hn] = '\0';
    } else if (a[0] == '\0') {
        snprintf(host, hostcap, "localhost");
    } else {
        if (n >= hostcap) {
            goto bad;
        }
        memcpy(host, a, n + 1);
    }
    lower(host);
    tail = strrchr(a, ']');
    tail = tail != NULL ? tail + 1 : a;
    colon = strchr(tail, ':');
    if (colon == NULL) {
        snprintf(port, portcap, "514");
        return 0;
    }
    colon++;
    if (colon[0] == '\0' || strspn(colon, "0123456789") != strlen(colon)
        || strlen(colon) >= portcap)
    {
        pfw__py_repr(rp, sizeof(rp), colon, strlen(colon));
        pfw__errf(err, errlen, "%s is not a valid port number.", rp);
        return -1;
    }
    snprintf(port, portcap, "%s", colon);
    return 0;

bad:
    pfw__errf(err, errlen, "invalid syslog address");
    return -1;
}


static int
resolve(pfw_syslog *s, const char *host, const char *port, char *err,
    size_t errlen)
{
    struct addrinfo   hints, *res, *ai;
    int               rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = s->socktype;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        pfw__errf(err, errlen, "syslog: getaddrinfo(%s, %s) failed: %s",
                  host, port, gai_strerror(rc));
        return -1;
    }
    /* Python takes the resolver's order: the first for UDP, the first
     * that connects for TCP. */
    for (ai = res; ai != NULL && s->naddrs < SYSLOG_MAX_ADDRS;
         ai = ai->ai_next)
    {
        if (ai->ai_addrlen > sizeof(s->addrs[0].sa)) {
            continue;
        }
        memcpy(&s->addrs[s->naddrs].sa, ai->ai_addr, ai->ai_addrlen);
        s->addrs[s->naddrs].len = ai->ai_addrlen;
        s->addrs[s->naddrs].family = ai->ai_family;
        s->naddrs++;
    }
    freeaddrinfo(res);
    if (s->naddrs == 0) {
        pfw__errf(err, errlen, "syslog: getaddrinfo returns an empty list");
        return -1;
    }
    return 0;
}


static int
parse_addr(pfw_syslog *s, const char *addr, char *err, size_t errlen)
{
    const char  *rest;
    char         host[256], port[16];
    size_t       n;

    if (strncmp(addr, "unix://", 7) == 0) {
        return parse_unix(s, addr, err, errlen);
    }
    if (strncmp(addr, "udp://", 6) == 0) {
        s->socktype = SOCK_DGRAM;
        n = split1(addr, "udp://", &rest);
    } else if (strncmp(addr, "tcp://", 6) == 0) {
        s->socktype = SOCK_STREAM;
        n = split1(addr, "tcp://", &rest);
    } else {
        pfw__errf(err, errlen, "invalid syslog address");
        return -1;
    }
    if (parse_inet(rest, n, host, sizeof(host), port, sizeof(port), err,
                   errlen) == -1)
    {
        return -1;
    }
    return resolve(s, host, port, err, errlen);
}


static void
disconnect(pfw_syslog *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    s->pend_len = 0;
    s->pend_off = 0;
}


/* Non-blocking connect; wait_ms > 0 waits for a TCP handshake (start-up
 * only).  0 connected (or connecting), -1 with errno. */
static int
connect_one(const sl_addr *a, int type, int wait_ms)
{
    struct pollfd  pfd;
    socklen_t      sl;
    int            fd, e, soerr;

    fd = socket(a->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        return -1;
    }
    if (connect(fd, (const struct sockaddr *) &a->sa, a->len) == 0) {
        return fd;
    }
    e = errno;
    if (e != EINPROGRESS && e != EAGAIN) {
        close(fd);
        errno = e;
        return -1;
    }
    if (wait_ms <= 0) {
        return fd;
    }
    pfd.fd = fd;
    pfd.events = POLLOUT;
    if (poll(&pfd, 1, wait_ms) == 1) {
        soerr = 0;
        sl = sizeof(soerr);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0
            && soerr != 0)
        {
            close(fd);
            errno = soerr;
            return -1;
        }
    }
    return fd;
}


static int
try_connect(pfw_syslog *s, int wait_ms)
{
    int  i, fd = -1;

    if (!s->is_unix && s->socktype == SOCK_DGRAM) {
        /* UDP is not connected: Python sendto()s the address. */
        s->fd = socket(s->addrs[0].family,
                       SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        return s->fd == -1 ? -1 : 0;
    }
    if (s->is_unix) {
        fd = connect_one(&s->addrs[0], s->fixed_type ? SOCK_DGRAM
                         : (s->socktype ? s->socktype : SOCK_DGRAM), 0);
        if (fd == -1 && !s->fixed_type && s->socktype == 0) {
            fd = connect_one(&s->addrs[0], SOCK_STREAM, 0);
            if (fd >= 0) {
                s->socktype = SOCK_STREAM;
            }
        } else if (fd >= 0 && s->socktype == 0) {
            s->socktype = SOCK_DGRAM;
        }
    } else {
        for (i = 0; i < s->naddrs && fd == -1; i++) {
            fd = connect_one(&s->addrs[i], SOCK_STREAM, wait_ms);
        }
    }
    s->fd = fd;
    return fd == -1 ? -1 : 0;
}


/* At most one connection attempt per retry interval, whatever its
 * outcome: a dead target costs one connect() a second, not one a message. */
static int
ensure_connected(pfw_syslog *s)
{
    int64_t  now;

    if (s->fd >= 0) {
        return 0;
    }
    now = pfw_log_now_ms();
    if (now < s->next_retry) {
        errno = s->last_err ? s->last_err : ENOTCONN;
        return -1;
    }
    s->next_retry = now + s->retry_ms;
    return try_connect(s, 0);
}


pfw_syslog *
pfw_syslog_open(const char *addr, const char *facility, char *err,
    size_t errlen)
{
    pfw_syslog  *s;

    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        pfw__errf(err, errlen, "Error: out of memory");
        return NULL;
    }
    s->fd = -1;
    s->retry_ms = SYSLOG_RETRY_MS;
    s->facility = pfw_syslog_facility(facility);
    if (s->facility == -1) {
        pfw__errf(err, errlen, "unknown facility name");
        free(s);
        return NULL;
    }
    if (parse_addr(s, addr != NULL ? addr : "udp://localhost:514", err,
                   errlen) == -1)
    {
        free(s);
        return NULL;
    }
    /* Streams (tcp://, or unix:// falling back to SOCK_STREAM) keep the
     * unsent tail of a message. */
    if (s->is_unix ? !s->fixed_type : s->socktype == SOCK_STREAM) {
        s->pend = malloc(SYSLOG_PEND_MAX);
        if (s->pend == NULL) {
            pfw__errf(err, errlen, "Error: out of memory");
            free(s);
            return NULL;
        }
    }
    pthread_mutex_init(&s->mu, NULL);
    /* A target that is down now is not a start-up error: it may come up. */
    s->next_retry = pfw_log_now_ms() + s->retry_ms;
    if (try_connect(s, SYSLOG_CONNECT_MS) == -1) {
        s->last_err = errno;
    }
    return s;
}


static size_t
iov_total(const struct iovec *iov, int n)
{
    size_t  t = 0;
    int     i;

    for (i = 0; i < n; i++) {
        t += iov[i].iov_len;
    }
    return t;
}


/* Keep what a stream did not take, so the next message starts clean. */
static int
keep_tail(pfw_syslog *s, const struct iovec *iov, int n, size_t sent)
{
    size_t  total = iov_total(iov, n), off = 0, skip, take;
    int     i;

    if (total - sent > SYSLOG_PEND_MAX || s->pend == NULL) {
        return -1;
    }
    s->pend_len = 0;
    s->pend_off = 0;
    for (i = 0; i < n; i++) {
        skip = sent > off ? sent - off : 0;
        if (skip < iov[i].iov_len) {
            take = iov[i].iov_len - skip;
            memcpy(s->pend + s->pend_len, (char *) iov[i].iov_base + skip,
                   take);
            s->pend_len += take;
        }
        off += iov[i].iov_len;
    }
    return 0;
}


static int
flush_pending(pfw_syslog *s)
{
    ssize_t  w;

    while (s->pend_off < s->pend_len) {
        w = send(s->fd, s->pend + s->pend_off, s->pend_len - s->pend_off,
                 MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w == -1) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        s->pend_off += (size_t) w;
    }
    s->pend_len = 0;
    s->pend_off = 0;
    return 0;
}


static int
conn_error(int e)
{
    return e == ECONNREFUSED || e == ENOTCONN || e == EPIPE
           || e == ECONNRESET || e == ENOENT || e == EDESTADDRREQ
           || e == EBADF;
}


/* One attempt; 0 sent (a stream tail may be pending), -1 with errno. */
static int
send_once(pfw_syslog *s, struct iovec *iov, int n)
{
    struct msghdr  mh;
    ssize_t        w;
    size_t         total;

    if (ensure_connected(s) == -1) {
        return -1;
    }
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = iov;
    mh.msg_iovlen = (size_t) n;
    if (!s->is_unix && s->socktype == SOCK_DGRAM) {
        mh.msg_name = &s->addrs[0].sa;
        mh.msg_namelen = s->addrs[0].len;
    }
    if (s->socktype == SOCK_STREAM && flush_pending(s) == -1) {
        return -1;
    }
    do {
        w = sendmsg(s->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (w == -1 && errno == EINTR);
    if (w == -1) {
        return -1;
    }
    total = iov_total(iov, n);
    if (s->socktype == SOCK_STREAM && (size_t) w < total
        && keep_tail(s, iov, n, (size_t) w) == -1)
    {
        /* The stream now ends mid-message: start a new one. */
        disconnect(s);
    }
    return 0;
}


int
pfw_syslog_send(pfw_syslog *s, int level, const char *ident, pid_t pid,
    const char *msg, size_t len)
{
    char           pri[16], head[32];
    struct iovec   iov[5];
    uint64_t       dropped = 0;
    int            rc, e = 0, report = 0, saved = errno;

    iov[0].iov_base = pri;
    iov[0].iov_len = (size_t) snprintf(pri, sizeof(pri), "<%d>",
                                       (s->facility << 3) | severity(level));
    iov[1].iov_base = (void *) ident;
    iov[1].iov_len = strlen(ident);
    iov[2].iov_base = head;
    iov[2].iov_len = (size_t) snprintf(head, sizeof(head), ": [%d] ",
                                       (int) pid);
    iov[3].iov_base = (void *) msg;
    iov[3].iov_len = len;
    iov[4].iov_base = (void *) "";
    iov[4].iov_len = 1;

    pthread_mutex_lock(&s->mu);
    rc = send_once(s, iov, 5);
    if (rc == -1 && s->fd >= 0 && conn_error(errno)) {
        /* Python reconnects and resends once (a restarted syslogd), here
         * within the retry limit. */
        disconnect(s);
        rc = send_once(s, iov, 5);
        if (rc == -1 && s->fd >= 0 && conn_error(errno)) {
            e = errno;
            disconnect(s);
            errno = e;
        }
    }
    if (rc == -1) {
        e = errno;
        s->dropped++;
        s->unreported++;
        s->last_err = e;
        if (pfw_log_report_due(&s->next_warn)) {
            report = 1;
            dropped = s->unreported;
            s->unreported = 0;
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (report) {
        pfw__warn(s->warn, s->warn_ud, "Error sending message to syslog: "
                  "%s (%llu dropped since the last report)", strerror(e),
                  (unsigned long long) dropped);
    }
    errno = saved;
    return rc;
}


void
pfw_syslog_set_warn(pfw_syslog *s, pfw_warn_fn *fn, void *ud)
{
    s->warn = fn;
    s->warn_ud = ud;
}


void
pfw_syslog_set_retry_ms(pfw_syslog *s, int ms)
{
    pthread_mutex_lock(&s->mu);
    s->retry_ms = ms;
    s->next_retry = 0;
    pthread_mutex_unlock(&s->mu);
}


uint64_t
pfw_syslog_dropped(const pfw_syslog *s)
{
    uint64_t  n;

    pthread_mutex_lock((pthread_mutex_t *) &s->mu);
    n = s->dropped;
    pthread_mutex_unlock((pthread_mutex_t *) &s->mu);
    return n;
}


void
pfw_syslog_after_fork(pfw_syslog *s)
{
    pthread_mutex_lock(&s->mu);
    if (s->socktype == SOCK_STREAM) {
        disconnect(s);
        s->next_retry = 0;      /* the worker connects on its first line */
    }
    s->dropped = 0;
    s->unreported = 0;
    pthread_mutex_unlock(&s->mu);
}


void
pfw_syslog_close(pfw_syslog *s)
{
    int  e = errno;

    if (s == NULL) {
        return;
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    pthread_mutex_destroy(&s->mu);
    free(s->pend);
    free(s);
    errno = e;
}

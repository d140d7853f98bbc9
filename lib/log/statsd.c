/*
 * gunicorn's StatsD client (instrument/statsd.py): one datagram per metric
 * on a connected UDP or AF_UNIX datagram socket,
 *
 *     PREFIX NAME ":" VALUE "|c|@1.0" | "|g" | "|h" | "|ms"  ["|#" TAGS]
 *
 * Values are formatted as Python's str.format() does (ints in decimal,
 * floats by repr()).  Sends never block and never fail the caller: errors
 * are counted and reported at most once a minute.
 */
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define STATSD_PORT  8125

struct pfw_statsd {
    int                fd;             /* -1: disabled */
    char              *prefix;
    size_t             prefix_len;
    char              *tags;           /* "|#k:v,k:v" or "" */
    size_t             tags_len;
    char               target[300];    /* for messages */
    char               why[400];       /* why disabled, reported once */
    _Atomic uint64_t   dropped;
    pthread_mutex_t    mu;             /* the report below */
    uint64_t           unreported;
    int64_t            next_warn;
    pfw_warn_fn       *warn;
    void              *warn_ud;
};


/* ---- Python's repr(float) ---------------------------------------------- */

/* The shortest %.*e that reads back as v, laid out as float_repr_style
 * 'short' does: positional when -4 < decpt <= 16, else d.ddde+XX. */
size_t
pfw_pyfloat_repr(double v, char *buf)
{
    char    tmp[64], digits[24];
    char   *p = buf, *e;
    int     prec, nd = 0, exp10, decpt, i;

    if (isnan(v)) {
        memcpy(buf, "nan", 4);
        return 3;
    }
    if (isinf(v)) {
        return (size_t) sprintf(buf, "%s", v < 0 ? "-inf" : "inf");
    }
    if (v == 0) {
        return (size_t) sprintf(buf, "%s", signbit(v) ? "-0.0" : "0.0");
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v) {
            break;
        }
    }
    /* Digits, whatever the locale's decimal point is. */
    e = strchr(tmp, 'e');
    if (e == NULL) {
        return (size_t) sprintf(buf, "%s", tmp);
    }
    for (i = 0; tmp + i < e; i++) {
        if (tmp[i] >= '0' && tmp[i] <= '9' && nd < (int) sizeof(digits)) {
            digits[nd++] = tmp[i];
        }
    }
    while (nd > 1 && digits[nd - 1] == '0') {
        nd--;
    }
    exp10 = atoi(e + 1);
    decpt = exp10 + 1;
    if (v < 0) {
        *p++ = '-';
    }
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) {
            *p++ = '0';
            *p++ = '.';
            for (i = 0; i < -decpt; i++) {
                *p++ = '0';
            }
            memcpy(p, digits, (size_t) nd);
            p += nd;
        } else if (decpt >= nd) {
            memcpy(p, digits, (size_t) nd);
            p += nd;
            for (i = nd; i < decpt; i++) {
                *p++ = '0';
            }
            *p++ = '.';
            *p++ = '0';
        } else {
            memcpy(p, digits, (size_t) decpt);
            p += decpt;
            *p++ = '.';
            memcpy(p, digits + decpt, (size_t) (nd - decpt));
            p += nd - decpt;
        }
    } else {
        *p++ = digits[0];
        if (nd > 1) {
            *p++ = '.';
            memcpy(p, digits + 1, (size_t) (nd - 1));
            p += nd - 1;
        }
        p += sprintf(p, "e%c%02d", exp10 < 0 ? '-' : '+',
                     exp10 < 0 ? -exp10 : exp10);
    }
    *p = '\0';
    return (size_t) (p - buf);
}


/* ---- address ----------------------------------------------------------- */

/* re.split(r'unix:(//)?', s)[-1]: what follows the last "unix:[//]". */
static const char *
unix_path(const char *s)
{
    const char  *q, *end = NULL;

    while ((q = strstr(s, "unix:")) != NULL) {
        end = q + 5;
        if (end[0] == '/' && end[1] == '/') {
            end += 2;
        }
        s = end;
    }
    return end;
}


/* Python's int() of a port: blanks around, a sign, digits ('_' between). */
static int
py_int(const char *s, size_t n, long *out)
{
    long    v = 0;
    int     neg = 0, nd = 0, prev_us = 0;
    size_t  i = 0;

    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        n--;
    }
    while (i < n && (s[i] == ' ' || s[i] == '\t')) {
        i++;
    }
    if (i < n && (s[i] == '+' || s[i] == '-')) {
        neg = s[i++] == '-';
    }
    for (; i < n; i++) {
        if (s[i] == '_' && nd > 0 && !prev_us) {
            prev_us = 1;
            continue;
        }
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        prev_us = 0;
        if (v < 1000000) {
            v = v * 10 + (s[i] - '0');
        }
        nd++;
    }
    if (nd == 0 || prev_us) {
        return -1;
    }
    *out = neg ? -v : v;
    return 0;
}


static int
all_digits(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    return strspn(s, "0123456789") == strlen(s);
}


/* validate_statsd_address() + util.parse_address(val, '8125'). */
static int
parse_host(const char *val, char *host, size_t hostcap, long *port,
    const char **path, char *err, size_t errlen)
{
    const char  *net, *rb, *colon, *c2;
    size_t       hn, nl;

    *path = NULL;
    *port = STATSD_PORT;
    if (strncmp(val, "unix:", 5) == 0 && all_digits(val + 5)) {
        snprintf(host, hostcap, "unix");     /* the pre-20 meaning */
        return py_int(val + 5, strlen(val + 5), port);
    }
    if (strncmp(val, "unix:", 5) == 0) {
        *path = unix_path(val);
        return 0;
    }
    if (strncmp(val, "fd://", 5) == 0) {
        pfw__errf(err, errlen, "fd://");
        return 1;
    }
    net = val;
    if (strncmp(net, "tcp://", 6) == 0) {
        net += 6;
    }
    c2 = strstr(net, "tcp://");
    nl = c2 != NULL ? (size_t) (c2 - net) : strlen(net);
    rb = memchr(net, ']', nl);
    colon = memchr(net, ':', nl);
    if (memchr(net, '[', nl) != NULL && rb != NULL) {
        hn = (size_t) (rb - net);
        hn = hn > 0 ? hn - 1 : 0;
        if (hn >= hostcap) {
            goto bad;
        }
        memcpy(host, net + (rb > net ? 1 : 0), hn);
        host[hn] = '\0';
        c2 = strstr(net, "]:");
        if (c2 != NULL && c2 < net + nl) {
            colon = c2 + 2;
            c2 = strstr(colon, "]:");
            if (py_int(colon, c2 != NULL && c2 < net + nl
                       ? (size_t) (c2 - colon) : (size_t) (net + nl - colon),
                       port) == -1)
            {
                goto bad;
            }
        }
    } else if (colon != NULL) {
        hn = (size_t) (colon - net);
        if (hn >= hostcap) {
            goto bad;
        }
        memcpy(host, net, hn);
        host[hn] = '\0';
        c2 = memchr(colon + 1, ':', (size_t) (net + nl - colon - 1));
        if (py_int(colon + 1, c2 != NULL ? (size_t) (c2 - colon - 1)
                   : (size_t) (net + nl - colon - 1), port) == -1)
        {
            goto bad;
        }
    } else if (nl == 0) {
        snprintf(host, hostcap, "0.0.0.0");
    } else {
        if (nl >= hostcap) {
            goto bad;
        }
        memcpy(host, net, nl);
        host[nl] = '\0';
    }
    for (c2 = host; *c2 != '\0'; c2++) {
        if (*c2 >= 'A' && *c2 <= 'Z') {
            host[c2 - host] = (char) (*c2 + 'a' - 'A');
        }
    }
    if (host[0] == '\0') {
        snprintf(host, hostcap, "0.0.0.0");   /* Python: INADDR_ANY */
    }
    return 0;

bad:
    pfw__errf(err, errlen,
              "statsd_host: Value must be one of ('host:port', 'unix://PATH')");
    return -1;
}


static int
connect_unix(pfw_statsd *st, const char *path)
{
    struct sockaddr_un  un;
    size_t              n = strlen(path);
    int                 fd, e;

    snprintf(st->target, sizeof(st->target), "unix:%s", path);
    if (n >= sizeof(un.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    memcpy(un.sun_path, path, n);
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd == -1) {
        return -1;
    }
    if (connect(fd, (struct sockaddr *) &un,
                (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1))
        == -1)
    {
        e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}


/* Python's AF_INET socket resolves the name for IPv4 only; an IPv6 name
 * (which gunicorn cannot use) is tried next instead of being dropped. */
static int
connect_inet(pfw_statsd *st, const char *host, long port)
{
    static const int  families[2] = { AF_INET, AF_INET6 };
    struct addrinfo   hints, *res = NULL;
    char              serv[16];
    int               i, rc = EAI_NONAME, fd, e;

    snprintf(st->target, sizeof(st->target), "%s:%ld", host, port);
    if (port < 0 || port > 65535) {
        errno = EINVAL;
        return -1;
    }
    snprintf(serv, sizeof(serv), "%ld", port);
    for (i = 0; i < 2 && res == NULL; i++) {
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = families[i];
        hints.ai_socktype = SOCK_DGRAM;
        rc = getaddrinfo(host, serv, &hints, &res);
        if (rc != 0) {
            res = NULL;
        }
    }
    if (res == NULL) {
        errno = EHOSTUNREACH;
        snprintf(st->why, sizeof(st->why), "getaddrinfo(%s) failed: %s",
                 host, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd != -1 && connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
        e = errno;
        close(fd);
        fd = -1;
        errno = e;
    }
    freeaddrinfo(res);
    return fd;
}


/* ---- open -------------------------------------------------------------- */

/* re.sub(r"^(.+[^.]+)\.*$", r"\g<1>.", prefix): trailing dots become one,
 * but only when at least two characters remain before them. */
static char *
make_prefix(const char *p, size_t *len)
{
    size_t  n = strlen(p), k = n;
    char   *s;

    while (k > 0 && p[k - 1] == '.') {
        k--;
    }
    s = malloc(n + 2);
    if (s == NULL) {
        return NULL;
    }
    if (k >= 2) {
        memcpy(s, p, k);
        s[k++] = '.';
    } else {
        memcpy(s, p, n);
        k = n;
    }
    s[k] = '\0';
    *len = k;
    return s;
}


static int
is_ascii(const char *s)
{
    for (; *s != '\0'; s++) {
        if ((unsigned char) *s >= 0x80) {
            return 0;
        }
    }
    return 1;
}


pfw_statsd *
pfw_statsd_open(const char *host, const char *prefix, const char *tags,
    char *err, size_t errlen)
{
    pfw_statsd  *st;
    const char  *path;
    char         h[256];
    long         port;
    int          rc;

    st = calloc(1, sizeof(*st));
    if (st == NULL) {
        pfw__errf(err, errlen, "Error: out of memory");
        return NULL;
    }
    st->fd = -1;
    prefix = prefix != NULL ? prefix : "";
    tags = tags != NULL ? tags : "";
    st->prefix = make_prefix(prefix, &st->prefix_len);
    st->tags = malloc(strlen(tags) + 3);
    if (st->prefix == NULL || st->tags == NULL) {
        pfw__errf(err, errlen, "Error: out of memory");
        goto fail;
    }
    st->tags_len = tags[0] == '\0' ? 0
                   : (size_t) sprintf(st->tags, "|#%s", tags);
    st->tags[st->tags_len] = '\0';
    rc = parse_host(host != NULL ? host : "", h, sizeof(h), &port, &path,
                    err, errlen);
    if (rc == -1) {
        goto fail;
    }
    pthread_mutex_init(&st->mu, NULL);
    if (rc == 1) {
        snprintf(st->why, sizeof(st->why), "statsd_host %s is not a socket "
                 "address: metrics are disabled", host);
        return st;
    }
    if (!is_ascii(prefix) || !is_ascii(tags)) {
        snprintf(st->why, sizeof(st->why), "statsd_prefix and dogstatsd_tags "
                 "must be ASCII: metrics are disabled");
        return st;
    }
    st->fd = path != NULL ? connect_unix(st, path) : connect_inet(st, h, port);
    if (st->fd == -1) {
        if (st->why[0] == '\0') {
            snprintf(st->why, sizeof(st->why), "connect(%s) failed: %s",
                     st->target, strerror(errno));
        }
        rc = (int) strlen(st->why);
        snprintf(st->why + rc, sizeof(st->why) - (size_t) rc,
                 ": metrics are disabled");
    }
    return st;

fail:
    free(st->prefix);
    free(st->tags);
    free(st);
    return NULL;
}


/* ---- send -------------------------------------------------------------- */

static void
failed(pfw_statsd *st, int e, unsigned n)
{
    uint64_t  dropped = 0;
    int       report = 0;

    atomic_fetch_add(&st->dropped, n);
    pthread_mutex_lock(&st->mu);
    st->unreported += n;
    if (pfw_log_report_due(&st->next_warn)) {
        report = 1;
        dropped = st->unreported;
        st->unreported = 0;
    }
    pthread_mutex_unlock(&st->mu);
    if (report) {
        pfw__warn(st->warn, st->warn_ud, "Error sending message to statsd: "
                  "%s (%llu dropped since the last report)", strerror(e),
                  (unsigned long long) dropped);
    }
}


typedef struct {
    struct iovec  iov[6];
} metric;


static void
metric_set(const pfw_statsd *st, metric *m, const char *name, size_t nlen,
    const char *value, size_t vlen, const char *type)
{
    m->iov[0].iov_base = st->prefix;
    m->iov[0].iov_len = st->prefix_len;
    m->iov[1].iov_base = (void *) name;
    m->iov[1].iov_len = nlen;
    m->iov[2].iov_base = (void *) ":";
    m->iov[2].iov_len = 1;
    m->iov[3].iov_base = (void *) value;
    m->iov[3].iov_len = vlen;
    m->iov[4].iov_base = (void *) type;
    m->iov[4].iov_len = strlen(type);
    m->iov[5].iov_base = st->tags;
    m->iov[5].iov_len = st->tags_len;
}


static void
send_metrics(pfw_statsd *st, metric *m, unsigned n)
{
    struct mmsghdr  mh[3];
    unsigned        i;
    int             sent, e = errno;

    memset(mh, 0, sizeof(mh));
    for (i = 0; i < n; i++) {
        mh[i].msg_hdr.msg_iov = m[i].iov;
        mh[i].msg_hdr.msg_iovlen = 6;
    }
    do {
        sent = sendmmsg(st->fd, mh, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (sent == -1 && errno == EINTR);
    if (sent < (int) n) {
        failed(st, sent == -1 ? errno : EAGAIN,
               n - (unsigned) (sent < 0 ? 0 : sent));
    }
    errno = e;
}


static void
send_one(pfw_statsd *st, const char *name, const char *value, size_t vlen,
    const char *type)
{
    metric  m;

    if (st == NULL || st->fd == -1) {
        return;
    }
    metric_set(st, &m, name, strlen(name), value, vlen, type);
    send_metrics(st, &m, 1);
}


static size_t
fmt_long(char *buf, long v)
{
    return (size_t) sprintf(buf, "%ld", v);
}


void
pfw_statsd_increment(pfw_statsd *st, const char *name, long value)
{
    char  v[24];

    send_one(st, name, v, fmt_long(v, value), "|c|@1.0");
}


void
pfw_statsd_gauge(pfw_statsd *st, const char *name, long value)
{
    char  v[24];

    send_one(st, name, v, fmt_long(v, value), "|g");
}


void
pfw_statsd_histogram(pfw_statsd *st, const char *name, long value)
{
    char  v[24];

    send_one(st, name, v, fmt_long(v, value), "|h");
}


void
pfw_statsd_timer(pfw_statsd *st, const char *name, double ms)
{
    char  v[40];

    send_one(st, name, v, pfw_pyfloat_repr(ms, v), "|ms");
}


void
pfw_statsd_gauge_workers(pfw_statsd *st, long n)
{
    pfw_statsd_gauge(st, "gunicorn.workers", n);
}


void
pfw_statsd_backlog(pfw_statsd *st, long n)
{
    pfw_statsd_histogram(st, "gunicorn.backlog", n);
}


void
pfw_statsd_log_count(pfw_statsd *st, int level, int exception)
{
    const char  *name;

    switch (level) {
    case PF_LOG_WARNING:
        name = "gunicorn.log.warning";
        break;
    case PF_LOG_ERROR:
        name = exception ? "gunicorn.log.exception" : "gunicorn.log.error";
        break;
    case PF_LOG_CRITICAL:
        name = "gunicorn.log.critical";
        break;
    default:
        return;
    }
    pfw_statsd_increment(st, name, 1);
}


/* Statsd.access(): timer, then requests, then the status counter. */
void
pfw_statsd_request(pfw_statsd *st, uint64_t duration_us, int status)
{
    metric    m[3];
    char      ms[40], name[48];
    uint64_t  secs, us;
    size_t    msl, nl;

    if (st == NULL || st->fd == -1) {
        return;
    }
    /* timedelta.seconds drops whole days. */
    secs = duration_us / 1000000 % 86400;
    us = duration_us % 1000000;
    msl = pfw_pyfloat_repr((double) (secs * 1000) + (double) us / 1000.0,
                           ms);
    nl = (size_t) snprintf(name, sizeof(name), "gunicorn.request.status.%d",
                           status);
    metric_set(st, &m[0], "gunicorn.request.duration",
               sizeof("gunicorn.request.duration") - 1, ms, msl, "|ms");
    metric_set(st, &m[1], "gunicorn.requests", sizeof("gunicorn.requests") - 1,
               "1", 1, "|c|@1.0");
    metric_set(st, &m[2], name, nl, "1", 1, "|c|@1.0");
    send_metrics(st, m, 3);
}


void
pfw_statsd_set_warn(pfw_statsd *st, pfw_warn_fn *fn, void *ud)
{
    st->warn = fn;
    st->warn_ud = ud;
}


int
pfw_statsd_enabled(const pfw_statsd *st)
{
    return st != NULL && st->fd != -1;
}


const char *
pfw_statsd_disabled_reason(const pfw_statsd *st)
{
    return st != NULL && st->fd == -1 && st->why[0] != '\0' ? st->why : NULL;
}


uint64_t
pfw_statsd_dropped(const pfw_statsd *st)
{
    return atomic_load(&((pfw_statsd *) st)->dropped);
}


void
pfw_statsd_close(pfw_statsd *st)
{
    int  e = errno;

    if (st == NULL) {
        return;
    }
    if (st->fd >= 0) {
        close(st->fd);
    }
    pthread_mutex_destroy(&st->mu);
    free(st->prefix);
    free(st->tags);
    free(st);
    errno = e;
}

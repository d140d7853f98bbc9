/*
 * A small HTTP/1.x response reader, strict about framing, for checking
 * what the server put on the wire byte by byte.
 */
#include "tw.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers.h"


int
tw_connect(tw_conn *tc, const char *addr)
{
    tc->len = 0;
    tc->fd = th_connect(addr);
    return tc->fd;
}


int
tw_send(tw_conn *tc, const void *p, size_t n)
{
    size_t   off = 0;
    ssize_t  w;

    while (off < n) {
        w = send(tc->fd, (const char *) p + off, n - off, MSG_NOSIGNAL);
        if (w <= 0) {
            if (w == -1 && errno == EINTR) {
                continue;
            }
            return -1;
        }
        off += (size_t) w;
    }
    return 0;
}


int
tw_sends(tw_conn *tc, const char *s)
{
    return tw_send(tc, s, strlen(s));
}


/* More bytes into tc->buf within the deadline: >0, 0 on EOF, -1. */
static ssize_t
more(tw_conn *tc, long long deadline)
{
    long long  left = deadline - th_now_ms();
    ssize_t    r;

    if (tc->len == sizeof(tc->buf)) {
        return -1;
    }
    if (left <= 0 || th_readable(tc->fd, (int) left) != 1) {
        return -1;
    }
    r = recv(tc->fd, tc->buf + tc->len, sizeof(tc->buf) - tc->len, 0);
    if (r > 0) {
        tc->len += (size_t) r;
    }
    return r;
}


static void
consume(tw_conn *tc, size_t n)
{
    memmove(tc->buf, tc->buf + n, tc->len - n);
    tc->len -= n;
}


static void
append(tw_resp *r, const char *p, size_t n)
{
    r->body = realloc(r->body, r->body_len + n + 1);
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
}


const char *
tw_header(const tw_resp *r, const char *name, char *buf, size_t len)
{
    const char  *p = strstr(r->head, "\r\n"), *e, *v;
    size_t       n = strlen(name), vn;

    while (p != NULL && p[2] != '\r') {
        p += 2;
        e = strstr(p, "\r\n");
        if (e == NULL) {
            break;
        }
        if ((size_t) (e - p) > n && p[n] == ':'
            && strncasecmp(p, name, n) == 0)
        {
            v = p + n + 1;
            while (*v == ' ') {
                v++;
            }
            vn = (size_t) (e - v);
            if (vn >= len) {
                vn = len - 1;
            }
            memcpy(buf, v, vn);
            buf[vn] = '\0';
            return buf;
        }
        p = e;
    }
    return NULL;
}


/* Chunked body: 0 complete, -1 cut short. */
static int
read_chunked(tw_conn *tc, tw_resp *r, long long deadline)
{
    char    *crlf, *end;
    size_t   size;
    ssize_t  m;

    for ( ;; ) {
        while ((crlf = memmem(tc->buf, tc->len, "\r\n", 2)) == NULL) {
            if ((m = more(tc, deadline)) <= 0) {
                r->eof = m == 0;
                return -1;
            }
        }
        size = strtoul(tc->buf, &end, 16);
        if (end == tc->buf) {
            return -1;
        }
        consume(tc, (size_t) (crlf + 2 - tc->buf));
        if (size == 0) {
            while (tc->len < 2) {
                if ((m = more(tc, deadline)) <= 0) {
                    r->eof = m == 0;
                    return -1;
                }
            }
            if (memcmp(tc->buf, "\r\n", 2) != 0) {
                return -1;
            }
            consume(tc, 2);
            return 0;
        }
        while (tc->len < size + 2) {
            if ((m = more(tc, deadline)) <= 0) {
                append(r, tc->buf, tc->len < size ? tc->len : size);
                r->eof = m == 0;
                return -1;
            }
        }
        append(r, tc->buf, size);
        if (memcmp(tc->buf + size, "\r\n", 2) != 0) {
            return -1;
        }
        consume(tc, size + 2);
    }
}


int
tw_read(tw_conn *tc, tw_resp *r, int ms, int head_request)
{
    long long    deadline = th_now_ms() + ms;
    char         v[64];
    char        *end;
    size_t       hn, cl;
    ssize_t      m;
    int          has_cl;

    memset(r, 0, sizeof(*r));
    r->body = calloc(1, 1);
    while ((end = memmem(tc->buf, tc->len, "\r\n\r\n", 4)) == NULL) {
        if ((m = more(tc, deadline)) <= 0) {
            r->eof = m == 0;
            return -1;
        }
    }
    hn = (size_t) (end + 4 - tc->buf);
    if (hn >= sizeof(r->head)) {
        return -1;
    }
    memcpy(r->head, tc->buf, hn);
    r->head[hn] = '\0';
    consume(tc, hn);
    if (strncmp(r->head, "HTTP/1.", 7) != 0) {
        return -1;
    }
    r->status = atoi(r->head + 9);
    if (r->status == 100) {
        r->complete = 1;
        return 0;
    }
    has_cl = tw_header(r, "Content-Length", v, sizeof(v)) != NULL;
    cl = has_cl ? strtoul(v, NULL, 10) : 0;
    r->chunked = tw_header(r, "Transfer-Encoding", v, sizeof(v)) != NULL
                 && strcasecmp(v, "chunked") == 0;
    if (head_request || r->status == 204 || r->status == 304
        || r->status < 200)
    {
        r->complete = 1;
        return 0;
    }
    if (r->chunked) {
        r->complete = read_chunked(tc, r, deadline) == 0;
        return 0;
    }
    if (has_cl) {
        while (r->body_len + tc->len < cl) {
            append(r, tc->buf, tc->len);
            consume(tc, tc->len);
            if ((m = more(tc, deadline)) <= 0) {
                r->eof = m == 0;
                return 0;
            }
        }
        hn = cl - r->body_len;
        append(r, tc->buf, hn);
        consume(tc, hn);
        r->complete = 1;
        return 0;
    }
    /* no framing: the body runs to EOF */
    for ( ;; ) {
        append(r, tc->buf, tc->len);
        consume(tc, tc->len);
        m = more(tc, deadline);
        if (m <= 0) {
            r->eof = m == 0;
            r->complete = m == 0;
            return 0;
        }
    }
}


void
tw_resp_free(tw_resp *r)
{
    free(r->body);
    r->body = NULL;
}


int
tw_closed(tw_conn *tc, int ms)
{
    long long  deadline = th_now_ms() + ms;
    ssize_t    m;

    if (tc->len > 0) {
        return 0;
    }
    m = more(tc, deadline);
    return m == 0 || (m == -1 && errno == ECONNRESET);
}

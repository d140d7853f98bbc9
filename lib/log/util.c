/*
 * Small helpers: error texts worded as gunicorn's (which are Python's),
 * the one-a-minute rate limit of self-reports, number formatting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"


int64_t
pfw_log_now_ms(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* Not atomic: two threads may both report once; that is harmless. */
int
pfw_log_report_due(int64_t *next_ms)
{
    int64_t  now = pfw_log_now_ms();

    if (now < *next_ms) {
        return 0;
    }
    *next_ms = now + PFW__REPORT_MS;
    return 1;
}


void
pfw__errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list  ap;

    if (err == NULL || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}


void
pfw__warn(pfw_warn_fn *fn, void *ud, const char *fmt, ...)
{
    char     msg[512];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (fn != NULL) {
        fn(ud, msg);
    } else {
        pf_log(PF_LOG_WARNING, "%s", msg);
    }
}


/* PEP 3151's errno -> exception class mapping. */
static const char *
oserror_class(int e)
{
    switch (e) {
    case EAGAIN: case EALREADY: case EINPROGRESS:
        return "BlockingIOError";
    case ECHILD:
        return "ChildProcessError";
    case EPIPE: case ESHUTDOWN:
        return "BrokenPipeError";
    case ECONNABORTED:
        return "ConnectionAbortedError";
    case ECONNREFUSED:
        return "ConnectionRefusedError";
    case ECONNRESET:
        return "ConnectionResetError";
    case EEXIST:
        return "FileExistsError";
    case ENOENT:
        return "FileNotFoundError";
    case EISDIR:
        return "IsADirectoryError";
    case ENOTDIR:
        return "NotADirectoryError";
    case EINTR:
        return "InterruptedError";
    case EACCES: case EPERM:
        return "PermissionError";
    case ESRCH:
        return "ProcessLookupError";
    case ETIMEDOUT:
        return "TimeoutError";
    default:
        return "OSError";
    }
}


size_t
pfw__py_oserror(char *buf, size_t cap, int e)
{
    char    text[256];
    size_t  n;
    int     k;

    pfw__py_repr(text, sizeof(text), strerror(e), strlen(strerror(e)));
    k = snprintf(buf, cap, "%s(%d, %s)", oserror_class(e), e, text);
    n = k < 0 ? 0 : (size_t) k;
    return n < cap ? n : (cap > 0 ? cap - 1 : 0);
}


/* Python's quote choice: ' unless the text has ' and no ". */
size_t
pfw__py_repr(char *buf, size_t cap, const char *s, size_t n)
{
    static const char  hex[] = "0123456789abcdef";
    unsigned char      c;
    size_t             i, o = 0;
    char               q = '\'';

    if (memchr(s, '\'', n) != NULL && memchr(s, '"', n) == NULL) {
        q = '"';
    }
    if (cap < 8) {
        if (cap > 0) {
            buf[0] = '\0';
        }
        return 0;
    }
    buf[o++] = q;
    for (i = 0; i < n && o + 6 < cap; i++) {
        c = (unsigned char) s[i];
        if (c == (unsigned char) q || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char) c;
        } else if (c == '\t' || c == '\n' || c == '\r') {
            buf[o++] = '\\';
            buf[o++] = c == '\t' ? 't' : (c == '\n' ? 'n' : 'r');
        } else if (c < 0x20 || c == 0x7f) {
            buf[o++] = '\\';
            buf[o++] = 'x';
            buf[o++] = hex[c >> 4];
            buf[o++] = hex[c & 0xf];
        } else {
            buf[o++] = (char) c;
        }
    }
    buf[o++] = q;
    buf[o] = '\0';
    return o;
}


int
pfw__ascii_casecmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t         i;
    unsigned char  x, y;

    if (an != bn) {
        return 1;
    }
    for (i = 0; i < an; i++) {
        x = (unsigned char) a[i];
        y = (unsigned char) b[i];
        if (x >= 'A' && x <= 'Z') {
            x += 'a' - 'A';
        }
        if (y >= 'A' && y <= 'Z') {
            y += 'a' - 'A';
        }
        if (x != y) {
            return 1;
        }
    }
    return 0;
}


size_t
pfw__u64(char *buf, uint64_t v)
{
    char    tmp[20];
    size_t  n = 0, i;

    do {
        tmp[n++] = (char) ('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++) {
        buf[i] = tmp[n - 1 - i];
    }
    return n;
}

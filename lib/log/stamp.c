/*
 * The two timestamps, local time, formatted once per second and per
 * thread.  Built by hand rather than with strftime() so that a locale set
 * by the application cannot change "Nov" (Python's strftime runs under the
 * C LC_TIME gunicorn never changes).
 */
#include <string.h>
#include <time.h>

#include "internal.h"

typedef struct {
    time_t   t;
    int      valid;
    size_t   len;
    char     s[PFW__STAMP_MAX];
} stamp_cache;

static _Thread_local stamp_cache  error_cache;
static _Thread_local stamp_cache  access_cache;

static const char  months[12][4] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};


static char *
put2(char *p, int v)
{
    *p++ = (char) ('0' + v / 10 % 10);
    *p++ = (char) ('0' + v % 10);
    return p;
}


static char *
put_year(char *p, int year)
{
    char  tmp[12];
    int   n = 0;

    if (year < 0) {
        *p++ = '-';
        year = -year;
    }
    do {
        tmp[n++] = (char) ('0' + year % 10);
        year /= 10;
    } while (year != 0);
    while (n > 0) {
        *p++ = tmp[--n];
    }
    return p;
}


/* strftime's %z: the offset's whole minutes, as +hhmm. */
static char *
put_zone(char *p, long off)
{
    *p++ = off < 0 ? '-' : '+';
    if (off < 0) {
        off = -off;
    }
    off /= 60;
    p = put2(p, (int) (off / 60 % 100));
    return put2(p, (int) (off % 60));
}


static size_t
fmt_error(const struct tm *tm, char *s)
{
    char  *p = s;

    *p++ = '[';
    p = put_year(p, tm->tm_year + 1900);
    *p++ = '-';
    p = put2(p, tm->tm_mon + 1);
    *p++ = '-';
    p = put2(p, tm->tm_mday);
    *p++ = ' ';
    p = put2(p, tm->tm_hour);
    *p++ = ':';
    p = put2(p, tm->tm_min);
    *p++ = ':';
    p = put2(p, tm->tm_sec);
    *p++ = ' ';
    p = put_zone(p, tm->tm_gmtoff);
    *p++ = ']';
    return (size_t) (p - s);
}


static size_t
fmt_access(const struct tm *tm, char *s)
{
    char  *p = s;

    *p++ = '[';
    p = put2(p, tm->tm_mday);
    *p++ = '/';
    memcpy(p, months[tm->tm_mon % 12], 3);
    p += 3;
    *p++ = '/';
    p = put_year(p, tm->tm_year + 1900);
    *p++ = ':';
    p = put2(p, tm->tm_hour);
    *p++ = ':';
    p = put2(p, tm->tm_min);
    *p++ = ':';
    p = put2(p, tm->tm_sec);
    *p++ = ' ';
    p = put_zone(p, tm->tm_gmtoff);
    *p++ = ']';
    return (size_t) (p - s);
}


static size_t
cached(stamp_cache *c, time_t t, char *buf,
    size_t (*fmt)(const struct tm *, char *))
{
    struct tm  tm;

    if (!c->valid || c->t != t) {
        if (localtime_r(&t, &tm) == NULL) {
            memset(&tm, 0, sizeof(tm));
            tm.tm_mday = 1;
            tm.tm_year = 70;
        }
        c->len = fmt(&tm, c->s);
        c->t = t;
        c->valid = 1;
    }
    memcpy(buf, c->s, c->len);
    return c->len;
}


size_t
pfw__stamp_error(time_t t, char *buf)
{
    return cached(&error_cache, t, buf, fmt_error);
}


size_t
pfw__stamp_access(time_t t, char *buf)
{
    return cached(&access_cache, t, buf, fmt_access);
}

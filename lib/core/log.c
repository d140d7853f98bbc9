/*
 * The log hook.  By default one gunicorn-format line per write(2) on stderr,
 * so lines from the master and its workers never interleave mid-line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <prefork/log.h>

#define LOG_MAX  4096

static pf_log_fn  *log_fn;
static void       *log_ud;
static int         log_min = PF_LOG_INFO;


static const char *const level_names[] = {
    "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"
};


const char *
pf_log_level_name(int level)
{
    if (level < PF_LOG_DEBUG || level > PF_LOG_CRITICAL) {
        return "UNKNOWN";
    }
    return level_names[level];
}


void
pf_log_set(pf_log_fn *fn, void *ud, int min_level)
{
    log_fn = fn;
    log_ud = ud;
    log_min = min_level;
}


int
pf_log_level(void)
{
    return log_min;
}


/* "[2026-11-23 10:00:00 +0000] [PID] [INFO] msg\n" in one write. */
static void
log_stderr(int level, const char *msg)
{
    char        line[LOG_MAX + 128];
    char        stamp[64];
    struct tm   tm;
    time_t      now = time(NULL);
    int         n;
    ssize_t     w;
    size_t      off;

    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S %z", &tm);
    n = snprintf(line, sizeof(line), "[%s] [%d] [%s] %s\n",
                 stamp, (int) getpid(), pf_log_level_name(level), msg);
    if (n < 0) {
        return;
    }
    if ((size_t) n >= sizeof(line)) {
        n = sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    for (off = 0; off < (size_t) n; off += (size_t) w) {
        w = write(STDERR_FILENO, line + off, (size_t) n - off);
        if (w <= 0) {
            if (w == -1 && errno == EINTR) {
                w = 0;
                continue;
            }
            return;
        }
    }
}


static void
log_emit(int level, const char *msg)
{
    if (log_fn != NULL) {
        log_fn(level, msg, log_ud);
    } else {
        log_stderr(level, msg);
    }
}


void
pf_log(int level, const char *fmt, ...)
{
    char     msg[LOG_MAX];
    va_list  ap;
    int      e = errno;

    if (level < log_min) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_emit(level, msg);
    errno = e;
}


void
pf_log_errno(int level, int err, const char *fmt, ...)
{
    char     msg[LOG_MAX];
    va_list  ap;
    int      e = errno, n;

    if (level < log_min) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t) n < sizeof(msg)) {
        snprintf(msg + n, sizeof(msg) - (size_t) n, ": %s", strerror(err));
    }
    log_emit(level, msg);
    errno = e;
}

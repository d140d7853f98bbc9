/*
 * libprefork: the log hook.  The library never prints except through it.
 */
#ifndef PREFORK_LOG_H
#define PREFORK_LOG_H

#include <prefork/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    PF_LOG_DEBUG,
    PF_LOG_INFO,
    PF_LOG_WARNING,
    PF_LOG_ERROR,
    PF_LOG_CRITICAL
};

/* A log sink.  msg is one line without the trailing newline and is only
 * valid during the call.  Called in the master and, after fork, in workers. */
typedef void pf_log_fn(int level, const char *msg, void *ud);

/* Route every message at or above min_level to fn(level, msg, ud).
 * fn == NULL restores the default sink: one write(2) per line on stderr in
 * gunicorn's format "[2026-11-23 10:00:00 +0000] [PID] [INFO] msg". */
PF_API void pf_log_set(pf_log_fn *fn, void *ud, int min_level);

/* The level set by pf_log_set() (PF_LOG_INFO by default). */
PF_API int  pf_log_level(void);

/* Format and emit one message (truncated at 4 KiB).  errno is preserved. */
PF_API void pf_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* As pf_log(), then ": <strerror(err)>" appended: for "bind(x) failed" lines
 * that must name the failing call and its errno text.  errno is preserved. */
PF_API void pf_log_errno(int level, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "INFO", "ERROR", ... for a level; "UNKNOWN" otherwise. */
PF_API const char *pf_log_level_name(int level);

#ifdef __cplusplus
}
#endif

#endif /* PREFORK_LOG_H */

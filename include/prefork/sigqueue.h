/*
 * libprefork: the self-pipe signal queue.
 *
 * Process-global, because signals are.  A trapped signal's handler writes the
 * signal number as one byte into a non-blocking, close-on-exec pipe and
 * restores errno; the pipe buffer *is* the queue.  When the pipe is full
 * (64 KiB of unread signals) a further signal is dropped; the reader is
 * certain to wake, and nothing short of a flood fills it.  The reader polls
 * pf_sigqueue_fd() and drains with pf_sigqueue_next() outside of any
 * handler.
 */
#ifndef PREFORK_SIGQUEUE_H
#define PREFORK_SIGQUEUE_H

#include <prefork/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Create the pipe (O_NONBLOCK|O_CLOEXEC both ends).  Returns the read fd, or
 * -1 with errno set.  Calling it again while initialised returns the fd. */
PF_API int  pf_sigqueue_init(void);

/* Install the queueing handler for signo: SA_RESTART, SA_NOCLDSTOP for
 * SIGCHLD, all signals blocked while it runs.  0, or -1 with errno
 * (EINVAL: bad signo or queue not initialised). */
PF_API int  pf_sigqueue_trap(int signo);

/* The read end to poll; -1 when not initialised. */
PF_API int  pf_sigqueue_fd(void);

/* Next queued signal number, 0 when the queue is empty, -1 with errno on a
 * read error.  A wakeup (below) is consumed silently. */
PF_API int  pf_sigqueue_next(void);

/* Make the read end readable without a signal.  Async-signal-safe. */
PF_API void pf_sigqueue_wakeup(void);

/* Restore SIG_DFL for every trapped signal and close the pipe.  For the
 * child after fork(); the parent's queue is untouched. */
PF_API void pf_sigqueue_finish(void);

#ifdef __cplusplus
}
#endif

#endif /* PREFORK_SIGQUEUE_H */

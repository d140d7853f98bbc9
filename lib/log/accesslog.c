/*
 * gunicorn.access: the rendered line + "\n" to --access-logfile ("-" is
 * stdout), and "gunicorn.<prefix>.access: [PID] line" to syslog unless
 * --disable-redirect-access-to-syslog.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

#define LINE_STACK  8192

struct pfw_accesslog {
    pfw_access_fmt  *fmt;
    pfw_logfile      file;
    int              has_file;
    pfw_syslog      *syslog;
    char            *ident;         /* "gunicorn.<prefix>.access" */
    pfw_fwd_access_fn *fwd;         /* Python's logging takes the lines */
    void            *fwd_ud;
};


pfw_accesslog *
pfw_accesslog_open(const pfw_accesslog_conf *conf, char *err, size_t errlen)
{
    pfw_accesslog  *al;

    al = calloc(1, sizeof(*al));
    if (al == NULL) {
        pfw__errf(err, errlen, "Error: out of memory");
        return NULL;
    }
    al->file.fd = -1;
    al->fmt = pfw_access_fmt_compile(conf->format, err, errlen);
    if (al->fmt == NULL) {
        free(al);
        return NULL;
    }
    if (conf->path != NULL) {
        if (pfw_logfile_open(&al->file, conf->path, STDOUT_FILENO, conf->uid,
                             conf->gid, err, errlen) == -1)
        {
            pfw_access_fmt_free(al->fmt);
            free(al);
            return NULL;
        }
        al->has_file = 1;
    }
    return al;
}


void
pfw_accesslog_emit(pfw_accesslog *al, const char *line, size_t n)
{
    struct iovec  iov[2];

    if (al->has_file) {
        iov[0].iov_base = (void *) line;
        iov[0].iov_len = n;
        iov[1].iov_base = (void *) "\n";
        iov[1].iov_len = 1;
        (void) pfw_logfile_writev(&al->file, iov, 2);
    }
    if (al->syslog != NULL) {
        (void) pfw_syslog_send(al->syslog, PF_LOG_INFO, al->ident, getpid(),
                               line, n);
    }
}


static void
emit(pfw_accesslog *al, const pfw_access_rec *r, const char *line, size_t n)
{
    if (al->fwd != NULL) {
        al->fwd(al->fwd_ud, r, line, n);
    } else {
        pfw_accesslog_emit(al, line, n);
    }
}


void
pfw_accesslog_write(pfw_accesslog *al, const pfw_access_rec *r)
{
    char    line[LINE_STACK];
    char   *big;
    size_t  n;
    int     e = errno;

    if (!pfw_accesslog_enabled(al)) {
        return;
    }
    n = pfw_access_render(al->fmt, r, line, sizeof(line));
    if (n <= sizeof(line)) {
        emit(al, r, line, n);
        errno = e;
        return;
    }
    big = malloc(n);
    if (big == NULL) {
        pf_log(PF_LOG_ERROR, "access log: malloc(%zu) failed", n);
        errno = e;
        return;
    }
    n = pfw_access_render(al->fmt, r, big, n);
    emit(al, r, big, n);
    free(big);
    errno = e;
}


void
pfw_accesslog_set_syslog(pfw_accesslog *al, pfw_syslog *s, const char *ident)
{
    char  *copy = NULL;

    if (s != NULL && ident != NULL) {
        copy = strdup(ident);
        if (copy == NULL) {
            s = NULL;
        }
    }
    free(al->ident);
    al->ident = copy;
    al->syslog = s;
}


int
pfw_accesslog_enabled(const pfw_accesslog *al)
{
    return al != NULL && (al->has_file || al->syslog != NULL
                          || al->fwd != NULL);
}


int
pfw_accesslog_handled(const pfw_accesslog *al)
{
    return al != NULL && (al->has_file || al->syslog != NULL);
}


void
pfw_accesslog_set_forward(pfw_accesslog *al, pfw_fwd_access_fn *fn,
    void *ud)
{
    al->fwd = fn;
    al->fwd_ud = ud;
}


int
pfw_accesslog_reopen(pfw_accesslog *al)
{
    int  e;

    if (!al->has_file || pfw_logfile_reopen(&al->file) == 0) {
        return 0;
    }
    e = errno;
    pf_log_errno(PF_LOG_ERROR, e, "reopen(%s) failed", al->file.path);
    errno = e;
    return -1;
}


void
pfw_accesslog_close(pfw_accesslog *al)
{
    if (al == NULL) {
        return;
    }
    if (al->has_file) {
        pfw_logfile_close(&al->file);
    }
    pfw_access_fmt_free(al->fmt);
    free(al->ident);
    free(al);
}

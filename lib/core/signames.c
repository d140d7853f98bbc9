#include <signal.h>

#include "internal.h"

static const struct {
    int          signo;
    const char  *name;
} names[] = {
    { SIGHUP, "hup" },   { SIGINT, "int" },     { SIGQUIT, "quit" },
    { SIGILL, "ill" },   { SIGABRT, "abrt" },   { SIGFPE, "fpe" },
    { SIGKILL, "kill" }, { SIGSEGV, "segv" },   { SIGPIPE, "pipe" },
    { SIGALRM, "alrm" }, { SIGTERM, "term" },   { SIGUSR1, "usr1" },
    { SIGUSR2, "usr2" }, { SIGCHLD, "chld" },   { SIGCONT, "cont" },
    { SIGSTOP, "stop" }, { SIGTSTP, "tstp" },   { SIGTTIN, "ttin" },
    { SIGTTOU, "ttou" }, { SIGBUS, "bus" },     { SIGWINCH, "winch" },
    { SIGXCPU, "xcpu" }, { SIGXFSZ, "xfsz" },   { SIGSYS, "sys" },
};


const char *
pf__signame(int signo)
{
    size_t  i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].signo == signo) {
            return names[i].name;
        }
    }
    return "unknown";
}

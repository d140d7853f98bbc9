/*
 * libprefork: umbrella header.
 */
#ifndef PREFORK_PREFORK_H
#define PREFORK_PREFORK_H

#include <prefork/common.h>
#include <prefork/log.h>
#include <prefork/sigqueue.h>
#include <prefork/sockets.h>
#include <prefork/daemon.h>
#include <prefork/worker.h>
#include <prefork/arbiter.h>

#endif /* PREFORK_PREFORK_H */

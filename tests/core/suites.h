/* Every lib/core suite: one line each; the runner adds them in this order. */
#ifndef PF_TESTS_CORE_SUITES_H
#define PF_TESTS_CORE_SUITES_H

#include <check.h>

Suite *log_suite(void);
Suite *sigqueue_suite(void);
Suite *arbiter_suite(void);
Suite *reexec_suite(void);
Suite *daemon_arbiter_suite(void);
Suite *heartbeat_suite(void);
Suite *echo_suite(void);
Suite *sockets_suite(void);
Suite *inherit_suite(void);
Suite *pidfile_suite(void);
Suite *daemon_suite(void);
Suite *event_suite(void);

#define PF_CORE_SUITES \
    log_suite, \
    sigqueue_suite, \
    heartbeat_suite, \
    arbiter_suite, \
    reexec_suite, \
    daemon_arbiter_suite, \
    echo_suite, \
    sockets_suite, \
    inherit_suite, \
    pidfile_suite, \
    daemon_suite, \
    event_suite

#endif

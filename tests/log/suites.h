/* Every lib/log suite: one line each; the runner adds them in this order. */
#ifndef PF_TESTS_LOG_SUITES_H
#define PF_TESTS_LOG_SUITES_H

#include <check.h>

Suite *errorlog_suite(void);
Suite *access_suite(void);
Suite *accessfmt_suite(void);
Suite *syslog_suite(void);
Suite *statsd_suite(void);
Suite *logging_suite(void);
Suite *forward_suite(void);

#define PF_LOG_SUITES \
    errorlog_suite, \
    access_suite, \
    accessfmt_suite, \
    syslog_suite, \
    statsd_suite, \
    logging_suite, \
    forward_suite

#endif

/* Every lib/wsgi suite: one line each; the runner adds them in this order. */
#ifndef PFW_TESTS_SUITES_H
#define PFW_TESTS_SUITES_H

#include <check.h>

Suite *interp_suite(void);
Suite *app_suite(void);
Suite *request_suite(void);
Suite *workers_suite(void);
Suite *spool_suite(void);
Suite *balance_suite(void);
Suite *proxy_suite(void);
Suite *hooks_suite(void);
Suite *faults_suite(void);
Suite *backpressure_suite(void);

#define PFW_SUITES \
    interp_suite, \
    app_suite, \
    request_suite, \
    workers_suite, \
    spool_suite, \
    balance_suite, \
    proxy_suite, \
    hooks_suite, \
    faults_suite, \
    backpressure_suite

#endif

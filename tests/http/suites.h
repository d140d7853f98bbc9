/* Every lib/http suite: one line each; the runner adds them in this order. */
#ifndef PF_TESTS_HTTP_SUITES_H
#define PF_TESTS_HTTP_SUITES_H

#include <check.h>

Suite *corpus_suite(void);
Suite *parser_suite(void);
Suite *chunked_suite(void);
Suite *proxy_suite(void);
Suite *response_suite(void);

#define PF_HTTP_SUITES \
    corpus_suite, \
    parser_suite, \
    chunked_suite, \
    proxy_suite, \
    response_suite

#endif

#include <check.h>
#include "suites.h"
Suite *
proxy_suite(void)
{
    return suite_create("proxy");
}

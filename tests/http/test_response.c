#include <check.h>
#include "suites.h"
Suite *
response_suite(void)
{
    return suite_create("response");
}

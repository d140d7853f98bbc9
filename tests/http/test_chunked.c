#include <check.h>
#include "suites.h"
Suite *
chunked_suite(void)
{
    return suite_create("chunked");
}

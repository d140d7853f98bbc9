#include <check.h>
#include "suites.h"
Suite *
parser_suite(void)
{
    return suite_create("parser");
}

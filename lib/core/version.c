#include <prefork/common.h>

unsigned
pf_version(void)
{
    return PF_VERSION_HEX;
}

/*
 * The one symbol build/prefork-wsgi-python.so exports (see module.h).  In
 * the static archive the tests link, nothing refers to it.
 */
#include "access.h"
#include "module.h"
#include "module-id.h"              /* PFW_MODULE_ID */

/* Everything else in the module stays hidden (-fvisibility=hidden). */
__attribute__((visibility("default")))
extern const pfw_module  pfw_module_v2;

const pfw_module  pfw_module_v2 = {
    .version       = PFW_MODULE_VERSION,
    .size          = sizeof(pfw_module),
    .app_size      = sizeof(pfw_app),
    .id            = PFW_MODULE_ID,
    .sync_ops      = &pfw_sync_ops,
    .ev_ops        = &pfw_ev_ops,
    .gthread_ops   = &pfw_gthread_ops,
    .check_app     = pfw_check_app,
    .config_exec   = pfw_config_exec,
    .python_live   = pfw_python_live,
    .hooks_cfg_add = pfw_hooks_cfg_add,
    .hooks_commit  = pfw_hooks_commit,
    .hooks_discard = pfw_hooks_discard,
    .hooks_ops     = pfw_hooks_ops,
    .setenv        = pfw_setenv,
    .log_use       = pfw_log_use,
    .pylog_setup   = pfw_pylog_setup,
    .pylog_retarget = pfw_pylog_retarget,
};

/*
 * pfw_app defaults.
 */
#include "internal.h"

#include <string.h>


void
pfw_app_init(pfw_app *app)
{
    memset(app, 0, sizeof(*app));
    app->workers = 1;
    app->threads = 1;
    app->worker_connections = 1000;
    app->keepalive = 2;
    app->timeout = 30;
    app->graceful_timeout = 30;
    app->sendfile = 1;
    app->url_scheme = "http";
    app->server_software = "prefork-wsgi/0.1.0";
    app->forwarded_allow_ips = "127.0.0.1,::1";
    app->proxy_allow_ips = "127.0.0.1,::1";
    pfh_config_init(&app->http);
}

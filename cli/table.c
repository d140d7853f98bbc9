/*
 * The settings table: every gunicorn 26.1 setting, in gunicorn's order.
 * Spellings, metavars, actions, argument types, validators and defaults
 * follow gunicorn (the contract); the descriptions are prefork-wsgi's own.
 * "support" says what prefork-wsgi does with the setting; the C and PY
 * rows are promises the server layers keep, the INERT rows warn when set,
 * the REFUSED rows stop start-up when set to a non-default value.
 */
#include <stddef.h>

#include "internal.h"

#define FIELD(f)  .hook = -1, .offset = offsetof(pfc_settings, f), \
                  .size = sizeof(((pfc_settings *) 0)->f)
#define HOOK(h, n) .hook = (h), .arity = (n), .kind = PFC_K_HOOK, \
                  .validator = PFC_V_CALLABLE, .flags = PFC_F_FILE_ONLY, \
                  .offset = offsetof(pfc_settings, hooks) \
                            + (h) * sizeof(char *), \
                  .size = sizeof(char *)

#define D_NONE      { PFC_PY_NONE, 0, NULL, NULL, 0 }
#define D_INT(x)    { PFC_PY_INT, (x), NULL, NULL, 0 }
#define D_BOOL(x)   { PFC_PY_BOOL, (x), NULL, NULL, 0 }
#define D_STR(x)    { PFC_PY_STR, 0, (x), NULL, 0 }
#define D_LIST0     { PFC_PY_LIST, 0, NULL, NULL, 0 }
#define D_LIST(a)   { PFC_PY_LIST, 0, NULL, (a), sizeof(a) / sizeof((a)[0]) }
#define D_DICT(a)   { PFC_PY_DICT, 0, NULL, (a), \
                      sizeof(a) / sizeof((a)[0]) / 2 }
#define D_DICT0     { PFC_PY_DICT, 0, NULL, NULL, 0 }

/* Flags and the common shapes of a row. */
#define FLAG        .kind = PFC_K_BOOL, .action = PFC_ACT_TRUE, \
                    .validator = PFC_V_BOOL
#define INTROW(v, t) .kind = PFC_K_INT, .action = PFC_ACT_STORE, \
                    .argtype = (t), .validator = (v), .metavar = "INT"
#define POSINT      INTROW(PFC_V_POS_INT, PFC_ARG_INT)
#define STRING      .kind = PFC_K_STR, .action = PFC_ACT_STORE, \
                    .validator = PFC_V_STRING

#define NO_TLS      "TLS is not supported: terminate TLS in a reverse proxy " \
                    "(nginx, haproxy) in front of prefork-wsgi."
#define NO_ASGI     "prefork-wsgi serves WSGI only; there is no ASGI worker."
#define NO_H2       "prefork-wsgi serves HTTP/1.0 and HTTP/1.1 only."
#define NO_DIRTY    "gunicorn's dirty arbiters (25.0) are not implemented."
#define PYLOG       "Python then runs in the master, and the server's error " \
                    "and access lines go to the loggers gunicorn.error and " \
                    "gunicorn.access, whose handlers, formatters and filters " \
                    "the configuration sets."
#define NO_CTL      "prefork-wsgi has no control socket (use signals)."

static const char *const bind_default[] = { "127.0.0.1:8000" };
static const char *const scheme_default[] = {
    "X-FORWARDED-PROTOCOL", "ssl",
    "X-FORWARDED-PROTO", "https",
    "X-FORWARDED-SSL", "on"
};


const pfc_setting  pfc_table[PFC_NSETTINGS] = {

    /* Config File */

    [PFC_S_CONFIG] = {
        .name = "config", .section = "Config File",
        .cli = { "-c", "--config" }, .metavar = "CONFIG", STRING,
        .support = PFC_SUP_C, FIELD(config),
        .dflt = D_STR("./gunicorn.conf.py"),
        .desc = "Configuration file: PATH, file:PATH or python:MODULE.",
    },
    [PFC_S_WSGI_APP] = {
        .name = "wsgi_app", .section = "Config File", .metavar = "STRING",
        .kind = PFC_K_STR, .validator = PFC_V_STRING,
        .flags = PFC_F_FILE_ONLY, .support = PFC_SUP_PY, FIELD(wsgi_app),
        .dflt = D_NONE,
        .desc = "Application (MODULE:VARIABLE) used when no APP_MODULE "
                "is given.",
    },

    /* Server Socket */

    [PFC_S_BIND] = {
        .name = "bind", .section = "Server Socket",
        .cli = { "-b", "--bind" }, .metavar = "ADDRESS",
        .kind = PFC_K_LIST, .action = PFC_ACT_APPEND,
        .validator = PFC_V_LIST_STRING, .flags = PFC_F_ENV_DEFAULT,
        .support = PFC_SUP_C, FIELD(bind), .dflt = D_LIST(bind_default),
        .desc = "Socket to listen on: HOST, HOST:PORT, unix:PATH or "
                "fd://FD; repeat for several.",
    },
    [PFC_S_BACKLOG] = {
        .name = "backlog", .section = "Server Socket",
        .cli = { "--backlog" }, POSINT, .support = PFC_SUP_C,
        FIELD(backlog), .dflt = D_INT(2048),
        .desc = "Length of the queue of connections not yet accepted.",
    },

    /* Worker Processes */

    [PFC_S_WORKERS] = {
        .name = "workers", .section = "Worker Processes",
        .cli = { "-w", "--workers" }, POSINT, .flags = PFC_F_ENV_DEFAULT,
        .support = PFC_SUP_C, FIELD(workers), .dflt = D_INT(1),
        .desc = "Number of worker processes.",
    },
    [PFC_S_WORKER_CLASS] = {
        .name = "worker_class", .section = "Worker Processes",
        .cli = { "-k", "--worker-class" }, .metavar = "STRING",
        .kind = PFC_K_STR, .action = PFC_ACT_STORE,
        .validator = PFC_V_CLASS, .support = PFC_SUP_C,
        FIELD(worker_class), .dflt = D_STR("sync"),
        .desc = "Worker kind: sync, gthread or ev (Python worker classes "
                "are refused).",
    },
    [PFC_S_THREADS] = {
        .name = "threads", .section = "Worker Processes",
        .cli = { "--threads" }, POSINT, .support = PFC_SUP_C,
        FIELD(threads), .dflt = D_INT(1),
        .desc = "Threads per worker; sync with more than one becomes "
                "gthread.",
    },
    [PFC_S_WORKER_CONNECTIONS] = {
        .name = "worker_connections", .section = "Worker Processes",
        .cli = { "--worker-connections" }, POSINT, .support = PFC_SUP_C,
        FIELD(worker_connections), .dflt = D_INT(1000),
        .desc = "Most clients one worker serves at a time (gthread, ev).",
    },
    [PFC_S_MAX_REQUESTS] = {
        .name = "max_requests", .section = "Worker Processes",
        .cli = { "--max-requests" }, POSINT, .support = PFC_SUP_C,
        FIELD(max_requests), .dflt = D_INT(0),
        .desc = "Replace a worker after it served this many requests; 0 "
                "never.",
    },
    [PFC_S_MAX_REQUESTS_JITTER] = {
        .name = "max_requests_jitter", .section = "Worker Processes",
        .cli = { "--max-requests-jitter" }, POSINT, .support = PFC_SUP_C,
        FIELD(max_requests_jitter), .dflt = D_INT(0),
        .desc = "Random 0..N added to max_requests for each worker.",
    },
    [PFC_S_TIMEOUT] = {
        .name = "timeout", .section = "Worker Processes",
        .cli = { "-t", "--timeout" }, POSINT, .support = PFC_SUP_C,
        FIELD(timeout), .dflt = D_INT(30),
        .desc = "Kill and replace a worker silent for this many seconds; "
                "0 never.",
    },
    [PFC_S_GRACEFUL_TIMEOUT] = {
        .name = "graceful_timeout", .section = "Worker Processes",
        .cli = { "--graceful-timeout" }, POSINT, .support = PFC_SUP_C,
        FIELD(graceful_timeout), .dflt = D_INT(30),
        .desc = "Seconds workers get to finish their requests when told "
                "to stop.",
    },
    [PFC_S_KEEPALIVE] = {
        .name = "keepalive", .section = "Worker Processes",
        .cli = { "--keep-alive" }, POSINT, .support = PFC_SUP_C,
        FIELD(keepalive), .dflt = D_INT(2),
        .desc = "Seconds an idle keep-alive connection waits for its next "
                "request.",
    },

    /* Security */

    [PFC_S_LIMIT_REQUEST_LINE] = {
        .name = "limit_request_line", .section = "Security",
        .cli = { "--limit-request-line" }, POSINT, .support = PFC_SUP_C,
        FIELD(limit_request_line), .dflt = D_INT(4094),
        .desc = "Longest request line accepted, in bytes (at most 8190).",
    },
    [PFC_S_LIMIT_REQUEST_FIELDS] = {
        .name = "limit_request_fields", .section = "Security",
        .cli = { "--limit-request-fields" }, POSINT, .support = PFC_SUP_C,
        FIELD(limit_request_fields), .dflt = D_INT(100),
        .desc = "Most header fields accepted in one request (at most "
                "32768).",
    },
    [PFC_S_LIMIT_REQUEST_FIELD_SIZE] = {
        .name = "limit_request_field_size", .section = "Security",
        .cli = { "--limit-request-field_size" }, POSINT,
        .support = PFC_SUP_C, FIELD(limit_request_field_size),
        .dflt = D_INT(8190),
        .desc = "Longest header field accepted, in bytes (0 means 8190).",
    },

    /* Debugging */

    [PFC_S_RELOAD] = {
        .name = "reload", .section = "Debugging", .cli = { "--reload" },
        FLAG, .support = PFC_SUP_PY, FIELD(reload), .dflt = D_BOOL(0),
        .desc = "Restart workers when the application's code changes "
                "(development).",
    },
    [PFC_S_RELOAD_ENGINE] = {
        .name = "reload_engine", .section = "Debugging",
        .cli = { "--reload-engine" }, .metavar = "STRING",
        .kind = PFC_K_CHOICE, .action = PFC_ACT_STORE,
        .validator = PFC_V_RELOAD_ENGINE, .support = PFC_SUP_PY,
        FIELD(reload_engine), .dflt = D_STR("auto"),
        .desc = "How --reload watches files: auto, poll or inotify.",
    },
    [PFC_S_RELOAD_EXTRA_FILES] = {
        .name = "reload_extra_files", .section = "Debugging",
        .cli = { "--reload-extra-file" }, .metavar = "FILES",
        .kind = PFC_K_LIST, .action = PFC_ACT_APPEND,
        .validator = PFC_V_FILES, .support = PFC_SUP_PY,
        FIELD(reload_extra_files), .dflt = D_LIST0,
        .desc = "Another file or glob pattern --reload watches; "
                "repeatable.",
    },
    [PFC_S_SPEW] = {
        .name = "spew", .section = "Debugging", .cli = { "--spew" }, FLAG,
        .support = PFC_SUP_INERT, FIELD(spew), .dflt = D_BOOL(0),
        .desc = "Trace every line the server executes (gunicorn debugging "
                "aid).",
        .note = "there is no Python line tracer in the C server.",
    },
    [PFC_S_CHECK_CONFIG] = {
        .name = "check_config", .section = "Debugging",
        .cli = { "--check-config" }, FLAG, .support = PFC_SUP_C,
        FIELD(check_config), .dflt = D_BOOL(0),
        .desc = "Check the configuration and load the application, then "
                "exit (status 0 or 1).",
    },
    [PFC_S_PRINT_CONFIG] = {
        .name = "print_config", .section = "Debugging",
        .cli = { "--print-config" }, FLAG, .support = PFC_SUP_C,
        FIELD(print_config), .dflt = D_BOOL(0),
        .desc = "Print every setting's resolved value, then act as "
                "--check-config.",
    },

    /* Server Mechanics */

    [PFC_S_PRELOAD_APP] = {
        .name = "preload_app", .section = "Server Mechanics",
        .cli = { "--preload" }, FLAG, .support = PFC_SUP_PY,
        FIELD(preload_app), .dflt = D_BOOL(0),
        .desc = "Import the application in the master, before the workers "
                "fork.",
    },
    [PFC_S_SENDFILE] = {
        .name = "sendfile", .section = "Server Mechanics",
        .cli = { "--no-sendfile" }, .kind = PFC_K_TRIBOOL,
        .action = PFC_ACT_CONST, .validator = PFC_V_BOOL,
        .flags = PFC_F_ENV_DEFAULT, .support = PFC_SUP_C, FIELD(sendfile),
        .dflt = D_NONE,
        .desc = "Never use sendfile() for file responses.",
    },
    [PFC_S_REUSE_PORT] = {
        .name = "reuse_port", .section = "Server Mechanics",
        .cli = { "--reuse-port" }, FLAG, .support = PFC_SUP_C,
        FIELD(reuse_port), .dflt = D_BOOL(0),
        .desc = "Set SO_REUSEPORT on the listening sockets.",
    },
    [PFC_S_CHDIR] = {
        .name = "chdir", .section = "Server Mechanics",
        .cli = { "--chdir" }, .metavar = "CHDIR", .kind = PFC_K_STR,
        .action = PFC_ACT_STORE, .validator = PFC_V_CHDIR,
        .flags = PFC_F_ENV_DEFAULT, .support = PFC_SUP_C, FIELD(chdir),
        .dflt = D_NONE,
        .desc = "Directory to change to before loading the application.",
    },
    [PFC_S_DAEMON] = {
        .name = "daemon", .section = "Server Mechanics",
        .cli = { "-D", "--daemon" }, FLAG, .support = PFC_SUP_C,
        FIELD(daemon), .dflt = D_BOOL(0),
        .desc = "Detach from the terminal and run in the background.",
    },
    [PFC_S_RAW_ENV] = {
        .name = "raw_env", .section = "Server Mechanics",
        .cli = { "-e", "--env" }, .metavar = "ENV", .kind = PFC_K_LIST,
        .action = PFC_ACT_APPEND, .validator = PFC_V_LIST_STRING,
        .support = PFC_SUP_C, FIELD(raw_env), .dflt = D_LIST0,
        .desc = "Environment variable KEY=VALUE for the master and the "
                "workers; repeatable.",
    },
    [PFC_S_PIDFILE] = {
        .name = "pidfile", .section = "Server Mechanics",
        .cli = { "-p", "--pid" }, .metavar = "FILE", STRING,
        .support = PFC_SUP_C, FIELD(pidfile), .dflt = D_NONE,
        .desc = "File to write the master's process id to.",
    },
    [PFC_S_WORKER_TMP_DIR] = {
        .name = "worker_tmp_dir", .section = "Server Mechanics",
        .cli = { "--worker-tmp-dir" }, .metavar = "DIR", STRING,
        .support = PFC_SUP_C, FIELD(worker_tmp_dir), .dflt = D_NONE,
        .desc = "Directory of the workers' heartbeat files (a tmpfs is "
                "best).",
    },
    [PFC_S_USER] = {
        .name = "user", .section = "Server Mechanics",
        .cli = { "-u", "--user" }, .metavar = "USER", .kind = PFC_K_INT,
        .action = PFC_ACT_STORE, .validator = PFC_V_USER,
        .flags = PFC_F_ENV_DEFAULT, .support = PFC_SUP_C, FIELD(user),
        .dflt = D_NONE,
        .desc = "User (name or uid) the workers run as.",
    },
    [PFC_S_GROUP] = {
        .name = "group", .section = "Server Mechanics",
        .cli = { "-g", "--group" }, .metavar = "GROUP", .kind = PFC_K_INT,
        .action = PFC_ACT_STORE, .validator = PFC_V_GROUP,
        .flags = PFC_F_ENV_DEFAULT, .support = PFC_SUP_C, FIELD(group),
        .dflt = D_NONE,
        .desc = "Group (name or gid) the workers run as.",
    },
    [PFC_S_UMASK] = {
        .name = "umask", .section = "Server Mechanics",
        .cli = { "-m", "--umask" },
        INTROW(PFC_V_POS_INT, PFC_ARG_AUTO_INT),
        .support = PFC_SUP_C, FIELD(umask), .dflt = D_INT(0),
        .desc = "umask while creating unix sockets and heartbeat files "
                "(0022 is octal).",
    },
    [PFC_S_INITGROUPS] = {
        .name = "initgroups", .section = "Server Mechanics",
        .cli = { "--initgroups" }, FLAG, .support = PFC_SUP_C,
        FIELD(initgroups), .dflt = D_BOOL(0),
        .desc = "Give the workers all the groups of their user.",
    },
    [PFC_S_TMP_UPLOAD_DIR] = {
        .name = "tmp_upload_dir", .section = "Server Mechanics",
        .metavar = "DIR", .kind = PFC_K_STR, .validator = PFC_V_STRING,
        .flags = PFC_F_FILE_ONLY, .support = PFC_SUP_INERT,
        FIELD(tmp_upload_dir), .dflt = D_NONE,
        .desc = "Directory for uploads (never used, by gunicorn either).",
        .note = "gunicorn never reads it either.",
    },
    [PFC_S_SECURE_SCHEME_HEADERS] = {
        .name = "secure_scheme_headers", .section = "Server Mechanics",
        .kind = PFC_K_DICT, .validator = PFC_V_DICT,
        .flags = PFC_F_FILE_ONLY, .support = PFC_SUP_C,
        FIELD(secure_scheme_headers), .dflt = D_DICT(scheme_default),
        .desc = "Header names and values that, from a trusted proxy, mark "
                "a request as https.",
    },
    [PFC_S_FORWARDED_ALLOW_IPS] = {
        .name = "forwarded_allow_ips", .section = "Server Mechanics",
        .cli = { "--forwarded-allow-ips" }, .metavar = "STRING",
        .kind = PFC_K_LIST, .action = PFC_ACT_STORE,
        .validator = PFC_V_ADDR_LIST, .flags = PFC_F_ENV_DEFAULT,
        .support = PFC_SUP_C, FIELD(forwarded_allow_ips),
        .dflt = D_STR("127.0.0.1,::1"),
        .desc = "Proxies trusted for forwarding headers: comma-separated "
                "IPs, networks or *.",
    },

    /* Logging */

    [PFC_S_ACCESSLOG] = {
        .name = "accesslog", .section = "Logging",
        .cli = { "--access-logfile" }, .metavar = "FILE", STRING,
        .support = PFC_SUP_C, FIELD(accesslog), .dflt = D_NONE,
        .desc = "Access log file (- is standard output); none by default.",
    },
    [PFC_S_DISABLE_REDIRECT_ACCESS_TO_SYSLOG] = {
        .name = "disable_redirect_access_to_syslog", .section = "Logging",
        .cli = { "--disable-redirect-access-to-syslog" }, FLAG,
        .support = PFC_SUP_C, FIELD(disable_redirect_access_to_syslog),
        .dflt = D_BOOL(0),
        .desc = "Keep access log lines out of syslog.",
    },
    [PFC_S_ACCESS_LOG_FORMAT] = {
        .name = "access_log_format", .section = "Logging",
        .cli = { "--access-logformat" }, .metavar = "STRING", STRING,
        .support = PFC_SUP_C, FIELD(access_log_format),
        .dflt = D_STR("%(h)s %(l)s %(u)s %(t)s \"%(r)s\" %(s)s %(b)s "
                      "\"%(f)s\" \"%(a)s\""),
        .desc = "Access log line format, with gunicorn's %(x)s atoms.",
    },
    [PFC_S_ERRORLOG] = {
        .name = "errorlog", .section = "Logging",
        .cli = { "--error-logfile", "--log-file" }, .metavar = "FILE",
        STRING, .support = PFC_SUP_C, FIELD(errorlog), .dflt = D_STR("-"),
        .desc = "Error log file (- is standard error).",
    },
    [PFC_S_LOGLEVEL] = {
        .name = "loglevel", .section = "Logging",
        .cli = { "--log-level" }, .metavar = "LEVEL", STRING,
        .support = PFC_SUP_C, FIELD(loglevel), .dflt = D_STR("info"),
        .desc = "Error log level: debug, info, warning, error or "
                "critical.",
    },
    [PFC_S_CAPTURE_OUTPUT] = {
        .name = "capture_output", .section = "Logging",
        .cli = { "--capture-output" }, FLAG, .support = PFC_SUP_C,
        FIELD(capture_output), .dflt = D_BOOL(0),
        .desc = "Send standard output and error to the error log file.",
    },
    [PFC_S_LOGGER_CLASS] = {
        .name = "logger_class", .section = "Logging",
        .cli = { "--logger-class" }, .metavar = "STRING",
        .kind = PFC_K_STR, .action = PFC_ACT_STORE,
        .validator = PFC_V_CLASS, .support = PFC_SUP_C,
        FIELD(logger_class), .dflt = D_STR("gunicorn.glogging.Logger"),
        .desc = "Logger class; only gunicorn's own (plain or StatsD) is "
                "understood.",
        .note = "custom Python logger classes cannot be loaded; the "
                "built-in logger is used.",
    },
    [PFC_S_LOGCONFIG] = {
        .name = "logconfig", .section = "Logging",
        .cli = { "--log-config" }, .metavar = "FILE", STRING,
        .support = PFC_SUP_PY, FIELD(logconfig), .dflt = D_NONE,
        .desc = "Python logging configuration file (fileConfig format).",
        .note = PYLOG " Read with logging.config.fileConfig(), existing "
                "loggers kept; a missing file stops start-up.",
    },
    [PFC_S_LOGCONFIG_DICT] = {
        .name = "logconfig_dict", .section = "Logging",
        .kind = PFC_K_PYOBJ, .validator = PFC_V_PYDICT,
        .flags = PFC_F_FILE_ONLY, .support = PFC_SUP_PY,
        FIELD(logconfig_dict), .dflt = D_DICT0,
        .desc = "Python logging configuration as a dictConfig dictionary.",
        .note = PYLOG " Merged over gunicorn's default dictionary (key by "
                "key) and given to logging.config.dictConfig(); it takes "
                "precedence over logconfig_json and logconfig.",
    },
    [PFC_S_LOGCONFIG_JSON] = {
        .name = "logconfig_json", .section = "Logging",
        .cli = { "--log-config-json" }, .metavar = "FILE", STRING,
        .support = PFC_SUP_PY, FIELD(logconfig_json), .dflt = D_NONE,
        .desc = "Python logging configuration as a JSON file.",
        .note = PYLOG " Merged over gunicorn's default dictionary and "
                "given to logging.config.dictConfig(); it takes precedence "
                "over logconfig; a missing file is ignored, as in gunicorn.",
    },
    [PFC_S_SYSLOG_ADDR] = {
        .name = "syslog_addr", .section = "Logging",
        .cli = { "--log-syslog-to" }, .metavar = "SYSLOG_ADDR", STRING,
        .support = PFC_SUP_C, FIELD(syslog_addr),
        .dflt = D_STR("udp://localhost:514"),
        .desc = "Syslog address: unix://PATH[#stream|#dgram], "
                "udp://HOST:PORT or tcp://HOST:PORT.",
    },
    [PFC_S_SYSLOG] = {
        .name = "syslog", .section = "Logging", .cli = { "--log-syslog" },
        FLAG, .support = PFC_SUP_C, FIELD(syslog), .dflt = D_BOOL(0),
        .desc = "Send the log lines to syslog as well.",
    },
    [PFC_S_SYSLOG_PREFIX] = {
        .name = "syslog_prefix", .section = "Logging",
        .cli = { "--log-syslog-prefix" }, .metavar = "SYSLOG_PREFIX",
        STRING, .support = PFC_SUP_C, FIELD(syslog_prefix),
        .dflt = D_NONE,
        .desc = "Program name in syslog entries (gunicorn.PREFIX).",
    },
    [PFC_S_SYSLOG_FACILITY] = {
        .name = "syslog_facility", .section = "Logging",
        .cli = { "--log-syslog-facility" }, .metavar = "SYSLOG_FACILITY",
        STRING, .support = PFC_SUP_C, FIELD(syslog_facility),
        .dflt = D_STR("user"),
        .desc = "Syslog facility name.",
    },
    [PFC_S_ENABLE_STDIO_INHERITANCE] = {
        .name = "enable_stdio_inheritance", .section = "Logging",
        .cli = { "-R", "--enable-stdio-inheritance" }, FLAG,
        .support = PFC_SUP_C, FIELD(enable_stdio_inheritance),
        .dflt = D_BOOL(0),
        .desc = "In daemon mode, keep standard output and error if they "
                "are not terminals.",
    },
    [PFC_S_STATSD_HOST] = {
        .name = "statsd_host", .section = "Logging",
        .cli = { "--statsd-host" }, .metavar = "STATSD_ADDR",
        .kind = PFC_K_STR, .action = PFC_ACT_STORE,
        .validator = PFC_V_STATSD, .support = PFC_SUP_C,
        FIELD(statsd_host), .dflt = D_NONE,
        .desc = "StatsD server to send metrics to: HOST[:PORT] or "
                "unix://PATH.",
    },
    [PFC_S_DOGSTATSD_TAGS] = {
        .name = "dogstatsd_tags", .section = "Logging",
        .cli = { "--dogstatsd-tags" }, .metavar = "DOGSTATSD_TAGS",
        STRING, .support = PFC_SUP_C, FIELD(dogstatsd_tags),
        .dflt = D_STR(""),
        .desc = "Comma-separated key:value tags added to StatsD metrics.",
    },
    [PFC_S_STATSD_PREFIX] = {
        .name = "statsd_prefix", .section = "Logging",
        .cli = { "--statsd-prefix" }, .metavar = "STATSD_PREFIX", STRING,
        .support = PFC_SUP_C, FIELD(statsd_prefix), .dflt = D_STR(""),
        .desc = "Prefix of the StatsD metric names.",
    },
    [PFC_S_ENABLE_BACKLOG_METRIC] = {
        .name = "enable_backlog_metric", .section = "Logging",
        .cli = { "--enable-backlog-metric" }, FLAG, .support = PFC_SUP_C,
        FIELD(enable_backlog_metric), .dflt = D_BOOL(0),
        .desc = "Send the listen backlog length to StatsD.",
    },

    /* Process Naming */

    [PFC_S_PROC_NAME] = {
        .name = "proc_name", .section = "Process Naming",
        .cli = { "-n", "--name" }, .metavar = "STRING", STRING,
        .support = PFC_SUP_C, FIELD(proc_name), .dflt = D_NONE,
        .desc = "Name shown in the process titles.",
    },
    [PFC_S_DEFAULT_PROC_NAME] = {
        .name = "default_proc_name", .section = "Process Naming",
        .kind = PFC_K_STR, .validator = PFC_V_STRING,
        .flags = PFC_F_FILE_ONLY | PFC_F_INTERNAL, .support = PFC_SUP_C,
        FIELD(default_proc_name), .dflt = D_STR("gunicorn"),
        .desc = "Process title name without --name (set to APP_MODULE).",
    },

    /* Server Mechanics */

    [PFC_S_PYTHONPATH] = {
        .name = "pythonpath", .section = "Server Mechanics",
        .cli = { "--pythonpath" }, .metavar = "STRING", STRING,
        .support = PFC_SUP_PY, FIELD(pythonpath), .dflt = D_NONE,
        .desc = "Comma-separated directories added to the Python path.",
    },
    [PFC_S_PASTE] = {
        .name = "paste", .section = "Server Mechanics",
        .cli = { "--paste", "--paster" }, .metavar = "STRING", STRING,
        .support = PFC_SUP_PY, FIELD(paste), .dflt = D_NONE,
        .desc = "Load a PasteDeploy application: FILE.ini[#NAME].",
    },

    /* Server Hooks */

    [PFC_S_ON_STARTING] = {
        .name = "on_starting", .section = "Server Hooks",
        HOOK(PFC_HOOK_ON_STARTING, 1), .support = PFC_SUP_PY,
        .desc = "on_starting(server): in the master, before it binds.",
    },
    [PFC_S_ON_RELOAD] = {
        .name = "on_reload", .section = "Server Hooks",
        HOOK(PFC_HOOK_ON_RELOAD, 1), .support = PFC_SUP_PY,
        .desc = "on_reload(server): in the master, on SIGHUP.",
    },
    [PFC_S_WHEN_READY] = {
        .name = "when_ready", .section = "Server Hooks",
        HOOK(PFC_HOOK_WHEN_READY, 1), .support = PFC_SUP_PY,
        .desc = "when_ready(server): in the master, once it listens.",
    },
    [PFC_S_PRE_FORK] = {
        .name = "pre_fork", .section = "Server Hooks",
        HOOK(PFC_HOOK_PRE_FORK, 2), .support = PFC_SUP_PY,
        .desc = "pre_fork(server, worker): in the master, before each "
                "fork.",
    },
    [PFC_S_POST_FORK] = {
        .name = "post_fork", .section = "Server Hooks",
        HOOK(PFC_HOOK_POST_FORK, 2), .support = PFC_SUP_PY,
        .desc = "post_fork(server, worker): in a new worker.",
    },
    [PFC_S_POST_WORKER_INIT] = {
        .name = "post_worker_init", .section = "Server Hooks",
        HOOK(PFC_HOOK_POST_WORKER_INIT, 1), .support = PFC_SUP_PY,
        .desc = "post_worker_init(worker): in a worker, after the "
                "application loaded.",
    },
    [PFC_S_WORKER_INT] = {
        .name = "worker_int", .section = "Server Hooks",
        HOOK(PFC_HOOK_WORKER_INT, 1), .support = PFC_SUP_PY,
        .desc = "worker_int(worker): in a worker on SIGINT or SIGQUIT.",
    },
    [PFC_S_WORKER_ABORT] = {
        .name = "worker_abort", .section = "Server Hooks",
        HOOK(PFC_HOOK_WORKER_ABORT, 1), .support = PFC_SUP_PY,
        .desc = "worker_abort(worker): in a worker on SIGABRT (timeout).",
    },
    [PFC_S_PRE_EXEC] = {
        .name = "pre_exec", .section = "Server Hooks",
        HOOK(PFC_HOOK_PRE_EXEC, 1), .support = PFC_SUP_PY,
        .desc = "pre_exec(server): before a new master is executed "
                "(SIGUSR2).",
    },
    [PFC_S_PRE_REQUEST] = {
        .name = "pre_request", .section = "Server Hooks",
        HOOK(PFC_HOOK_PRE_REQUEST, 2), .support = PFC_SUP_PY,
        .desc = "pre_request(worker, req): before each request.",
    },
    [PFC_S_POST_REQUEST] = {
        .name = "post_request", .section = "Server Hooks",
        HOOK(PFC_HOOK_POST_REQUEST, -1), .support = PFC_SUP_PY,
        .desc = "post_request(worker, req, environ, resp): after each "
                "request.",
    },
    [PFC_S_CHILD_EXIT] = {
        .name = "child_exit", .section = "Server Hooks",
        HOOK(PFC_HOOK_CHILD_EXIT, 2), .support = PFC_SUP_PY,
        .desc = "child_exit(server, worker): in the master, after a "
                "worker exited.",
    },
    [PFC_S_WORKER_EXIT] = {
        .name = "worker_exit", .section = "Server Hooks",
        HOOK(PFC_HOOK_WORKER_EXIT, 2), .support = PFC_SUP_PY,
        .desc = "worker_exit(server, worker): in a worker, as it exits.",
    },
    [PFC_S_NWORKERS_CHANGED] = {
        .name = "nworkers_changed", .section = "Server Hooks",
        HOOK(PFC_HOOK_NWORKERS_CHANGED, 3), .support = PFC_SUP_PY,
        .desc = "nworkers_changed(server, new, old): when the number of "
                "workers changes.",
    },
    [PFC_S_ON_EXIT] = {
        .name = "on_exit", .section = "Server Hooks",
        HOOK(PFC_HOOK_ON_EXIT, 1), .support = PFC_SUP_PY,
        .desc = "on_exit(server): in the master, just before it exits.",
    },
    [PFC_S_SSL_CONTEXT] = {
        .name = "ssl_context", .section = "Server Hooks",
        HOOK(PFC_HOOK_SSL_CONTEXT, 2), .support = PFC_SUP_INERT,
        .desc = "ssl_context(config, default_factory): builds the TLS "
                "context.",
        .note = NO_TLS,
    },

    /* Server Mechanics */

    [PFC_S_PROXY_PROTOCOL] = {
        .name = "proxy_protocol", .section = "Server Mechanics",
        .cli = { "--proxy-protocol" }, .metavar = "MODE",
        .kind = PFC_K_CHOICE, .action = PFC_ACT_OPTIONAL,
        .validator = PFC_V_PROXY_PROTOCOL, .support = PFC_SUP_C,
        FIELD(proxy_protocol), .dflt = D_STR("off"),
        .desc = "Read PROXY protocol headers: off, v1, v2 or auto (the "
                "flag alone: auto).",
    },
    [PFC_S_PROXY_ALLOW_IPS] = {
        .name = "proxy_allow_ips", .section = "Server Mechanics",
        .cli = { "--proxy-allow-from" }, .metavar = "PROXY_ALLOW_IPS",
        .kind = PFC_K_LIST, .action = PFC_ACT_STORE,
        .validator = PFC_V_ADDR_LIST, .support = PFC_SUP_C,
        FIELD(proxy_allow_ips), .dflt = D_STR("127.0.0.1,::1"),
        .desc = "Peers allowed to send PROXY headers: comma-separated "
                "IPs, networks or *.",
    },
    [PFC_S_PROTOCOL] = {
        .name = "protocol", .section = "Server Mechanics",
        .cli = { "--protocol" }, .metavar = "STRING", STRING,
        .support = PFC_SUP_C, FIELD(protocol), .dflt = D_STR("http"),
        .desc = "Protocol spoken on the sockets: http (uwsgi is refused).",
        .note = "prefork-wsgi speaks HTTP only; the uwsgi protocol is not "
                "implemented.",
    },
    [PFC_S_UWSGI_ALLOW_IPS] = {
        .name = "uwsgi_allow_ips", .section = "Server Mechanics",
        .cli = { "--uwsgi-allow-from" }, .metavar = "UWSGI_ALLOW_IPS",
        .kind = PFC_K_LIST, .action = PFC_ACT_STORE,
        .validator = PFC_V_ADDR_LIST, .support = PFC_SUP_INERT,
        FIELD(uwsgi_allow_ips), .dflt = D_STR("127.0.0.1,::1"),
        .desc = "Peers allowed to speak the uwsgi protocol.",
        .note = "the uwsgi protocol is not implemented.",
    },

    /* SSL */

    [PFC_S_KEYFILE] = {
        .name = "keyfile", .section = "SSL", .cli = { "--keyfile" },
        .metavar = "FILE", STRING, .support = PFC_SUP_REFUSED,
        FIELD(keyfile), .dflt = D_NONE,
        .desc = "TLS private key file.", .note = NO_TLS,
    },
    [PFC_S_CERTFILE] = {
        .name = "certfile", .section = "SSL", .cli = { "--certfile" },
        .metavar = "FILE", STRING, .support = PFC_SUP_REFUSED,
        FIELD(certfile), .dflt = D_NONE,
        .desc = "TLS certificate file.", .note = NO_TLS,
    },
    [PFC_S_SSL_VERSION] = {
        .name = "ssl_version", .section = "SSL",
        .cli = { "--ssl-version" }, .metavar = "SSL_VERSION",
        .kind = PFC_K_STR, .action = PFC_ACT_STORE,
        .validator = PFC_V_SSL_VERSION, .support = PFC_SUP_INERT,
        FIELD(ssl_version), .dflt = D_INT(2),
        .desc = "TLS protocol version (ignored, by gunicorn too).",
        .note = "gunicorn ignores it too (use ssl_context).",
    },
    [PFC_S_CERT_REQS] = {
        .name = "cert_reqs", .section = "SSL", .cli = { "--cert-reqs" },
        .metavar = "CERT_REQS", .kind = PFC_K_INT,
        .action = PFC_ACT_STORE, .validator = PFC_V_POS_INT,
        .support = PFC_SUP_INERT, FIELD(cert_reqs), .dflt = D_INT(0),
        .desc = "Client certificates: 0 not asked, 1 optional, 2 "
                "required.",
        .note = NO_TLS,
    },
    [PFC_S_CA_CERTS] = {
        .name = "ca_certs", .section = "SSL", .cli = { "--ca-certs" },
        .metavar = "FILE", STRING, .support = PFC_SUP_INERT,
        FIELD(ca_certs), .dflt = D_NONE,
        .desc = "CA certificates for client certificates.", .note = NO_TLS,
    },
    [PFC_S_SUPPRESS_RAGGED_EOFS] = {
        .name = "suppress_ragged_eofs", .section = "SSL",
        .cli = { "--suppress-ragged-eofs" }, FLAG,
        .support = PFC_SUP_INERT, FIELD(suppress_ragged_eofs),
        .dflt = D_BOOL(1),
        .desc = "Treat a TLS connection closed without close_notify as "
                "EOF.",
        .note = NO_TLS,
    },
    [PFC_S_DO_HANDSHAKE_ON_CONNECT] = {
        .name = "do_handshake_on_connect", .section = "SSL",
        .cli = { "--do-handshake-on-connect" }, FLAG,
        .support = PFC_SUP_INERT, FIELD(do_handshake_on_connect),
        .dflt = D_BOOL(0),
        .desc = "Do the TLS handshake as soon as a connection is "
                "accepted.",
        .note = NO_TLS,
    },
    [PFC_S_CIPHERS] = {
        .name = "ciphers", .section = "SSL", .cli = { "--ciphers" },
        .metavar = "CIPHERS", STRING, .support = PFC_SUP_INERT,
        FIELD(ciphers), .dflt = D_NONE,
        .desc = "TLS cipher list, in OpenSSL's format.", .note = NO_TLS,
    },

    /* HTTP/2 */

    [PFC_S_HTTP_PROTOCOLS] = {
        .name = "http_protocols", .section = "HTTP/2",
        .cli = { "--http-protocols" }, .metavar = "STRING",
        .kind = PFC_K_LIST, .action = PFC_ACT_STORE,
        .validator = PFC_V_HTTP_PROTOCOLS, .support = PFC_SUP_INERT,
        FIELD(http_protocols), .dflt = D_STR("h1"),
        .desc = "HTTP versions offered, by preference: h1, h2, h3.",
        .note = NO_H2,
    },
    [PFC_S_HTTP2_CLEARTEXT] = {
        .name = "http2_cleartext", .section = "HTTP/2",
        .cli = { "--http2-cleartext" }, .metavar = "STRING",
        .kind = PFC_K_CHOICE, .action = PFC_ACT_STORE,
        .validator = PFC_V_H2C, .support = PFC_SUP_INERT,
        FIELD(http2_cleartext), .dflt = D_STR("off"),
        .desc = "HTTP/2 without TLS: off, prior-knowledge, upgrade or "
                "both.",
        .note = NO_H2,
    },
    [PFC_S_HTTP2_MAX_CONCURRENT_STREAMS] = {
        .name = "http2_max_concurrent_streams", .section = "HTTP/2",
        .cli = { "--http2-max-concurrent-streams" }, POSINT,
        .support = PFC_SUP_INERT, FIELD(http2_max_concurrent_streams),
        .dflt = D_INT(100),
        .desc = "Most concurrent HTTP/2 streams per connection.",
        .note = NO_H2,
    },
    [PFC_S_HTTP2_INITIAL_WINDOW_SIZE] = {
        .name = "http2_initial_window_size", .section = "HTTP/2",
        .cli = { "--http2-initial-window-size" }, POSINT,
        .support = PFC_SUP_INERT, FIELD(http2_initial_window_size),
        .dflt = D_INT(65535),
        .desc = "Initial HTTP/2 flow-control window, in bytes.",
        .note = NO_H2,
    },
    [PFC_S_HTTP2_MAX_FRAME_SIZE] = {
        .name = "http2_max_frame_size", .section = "HTTP/2",
        .cli = { "--http2-max-frame-size" },
        INTROW(PFC_V_FRAME_SIZE, PFC_ARG_INT), .support = PFC_SUP_INERT,
        FIELD(http2_max_frame_size), .dflt = D_INT(16384),
        .desc = "Largest HTTP/2 frame payload, in bytes.", .note = NO_H2,
    },
    [PFC_S_HTTP2_MAX_HEADER_LIST_SIZE] = {
        .name = "http2_max_header_list_size", .section = "HTTP/2",
        .cli = { "--http2-max-header-list-size" }, POSINT,
        .support = PFC_SUP_INERT, FIELD(http2_max_header_list_size),
        .dflt = D_INT(65536),
        .desc = "Largest HTTP/2 header list, in bytes.", .note = NO_H2,
    },

    /* Server Mechanics */

    [PFC_S_RAW_PASTE_GLOBAL_CONF] = {
        .name = "raw_paste_global_conf", .section = "Server Mechanics",
        .cli = { "--paste-global" }, .metavar = "CONF",
        .kind = PFC_K_LIST, .action = PFC_ACT_APPEND,
        .validator = PFC_V_LIST_STRING, .support = PFC_SUP_PY,
        FIELD(raw_paste_global_conf), .dflt = D_LIST0,
        .desc = "PasteDeploy global variable KEY=VALUE; repeatable.",
    },
    [PFC_S_PERMIT_OBSOLETE_FOLDING] = {
        .name = "permit_obsolete_folding", .section = "Server Mechanics",
        .cli = { "--permit-obsolete-folding" }, FLAG,
        .support = PFC_SUP_C, FIELD(permit_obsolete_folding),
        .dflt = D_BOOL(0),
        .desc = "Accept header values folded over several lines.",
    },
    [PFC_S_STRIP_HEADER_SPACES] = {
        .name = "strip_header_spaces", .section = "Server Mechanics",
        .cli = { "--strip-header-spaces" }, FLAG, .support = PFC_SUP_C,
        FIELD(strip_header_spaces), .dflt = D_BOOL(0),
        .desc = "Accept spaces between a header name and its colon "
                "(unsafe).",
    },
    [PFC_S_PERMIT_UNCONVENTIONAL_HTTP_METHOD] = {
        .name = "permit_unconventional_http_method",
        .section = "Server Mechanics",
        .cli = { "--permit-unconventional-http-method" }, FLAG,
        .support = PFC_SUP_C, FIELD(permit_unconventional_http_method),
        .dflt = D_BOOL(0),
        .desc = "Accept lower-case, very short or very long methods.",
    },
    [PFC_S_PERMIT_UNCONVENTIONAL_HTTP_VERSION] = {
        .name = "permit_unconventional_http_version",
        .section = "Server Mechanics",
        .cli = { "--permit-unconventional-http-version" }, FLAG,
        .support = PFC_SUP_C, FIELD(permit_unconventional_http_version),
        .dflt = D_BOOL(0),
        .desc = "Accept HTTP versions other than 1.0 and 1.1.",
    },
    [PFC_S_CASEFOLD_HTTP_METHOD] = {
        .name = "casefold_http_method", .section = "Server Mechanics",
        .cli = { "--casefold-http-method" }, FLAG, .support = PFC_SUP_C,
        FIELD(casefold_http_method), .dflt = D_BOOL(0),
        .desc = "Upper-case request methods.",
    },
    [PFC_S_FORWARDER_HEADERS] = {
        .name = "forwarder_headers", .section = "Server Mechanics",
        .cli = { "--forwarder-headers" }, .metavar = "FORWARDER_HEADERS",
        .kind = PFC_K_LIST, .action = PFC_ACT_STORE,
        .validator = PFC_V_STR_LIST, .support = PFC_SUP_C,
        FIELD(forwarder_headers), .dflt = D_STR("SCRIPT_NAME,PATH_INFO"),
        .desc = "Underscore headers a trusted proxy may set in the "
                "environ.",
    },
    [PFC_S_HEADER_MAP] = {
        .name = "header_map", .section = "Server Mechanics",
        .cli = { "--header-map" }, .metavar = "HEADER_MAP",
        .kind = PFC_K_CHOICE, .action = PFC_ACT_STORE,
        .validator = PFC_V_HEADER_MAP, .support = PFC_SUP_C,
        FIELD(header_map), .dflt = D_STR("drop"),
        .desc = "Header names with underscores: drop, refuse or "
                "dangerous.",
    },

    /* Worker Processes (ASGI) */

    [PFC_S_ASGI_LOOP] = {
        .name = "asgi_loop", .section = "Worker Processes",
        .cli = { "--asgi-loop" }, .metavar = "STRING",
        .kind = PFC_K_CHOICE, .action = PFC_ACT_STORE,
        .validator = PFC_V_ASGI_LOOP, .support = PFC_SUP_INERT,
        FIELD(asgi_loop), .dflt = D_STR("auto"),
        .desc = "ASGI event loop: auto, asyncio or uvloop.",
        .note = NO_ASGI,
    },
    [PFC_S_ASGI_LIFESPAN] = {
        .name = "asgi_lifespan", .section = "Worker Processes",
        .cli = { "--asgi-lifespan" }, .metavar = "STRING",
        .kind = PFC_K_CHOICE, .action = PFC_ACT_STORE,
        .validator = PFC_V_ASGI_LIFESPAN, .support = PFC_SUP_INERT,
        FIELD(asgi_lifespan), .dflt = D_STR("auto"),
        .desc = "ASGI lifespan events: auto, on or off.", .note = NO_ASGI,
    },
    [PFC_S_ASGI_DISCONNECT_GRACE_PERIOD] = {
        .name = "asgi_disconnect_grace_period",
        .section = "Worker Processes",
        .cli = { "--asgi-disconnect-grace-period" }, POSINT,
        .support = PFC_SUP_INERT, FIELD(asgi_disconnect_grace_period),
        .dflt = D_INT(3),
        .desc = "Seconds an ASGI application gets after a client "
                "disconnects.",
        .note = NO_ASGI,
    },
    [PFC_S_HTTP_PARSER] = {
        .name = "http_parser", .section = "Worker Processes",
        .cli = { "--http-parser" }, .metavar = "STRING",
        .kind = PFC_K_CHOICE, .action = PFC_ACT_STORE,
        .validator = PFC_V_HTTP_PARSER, .support = PFC_SUP_INERT,
        FIELD(http_parser), .dflt = D_STR("auto"),
        .desc = "gunicorn's HTTP parser choice: auto, fast or python.",
        .note = "prefork-wsgi always uses its own C parser.",
    },
    [PFC_S_ROOT_PATH] = {
        .name = "root_path", .section = "Server Mechanics",
        .cli = { "--root-path" }, .metavar = "STRING", STRING,
        .support = PFC_SUP_INERT, FIELD(root_path), .dflt = D_STR(""),
        .desc = "ASGI root_path of the application.", .note = NO_ASGI,
    },

    /* Dirty Arbiters */

    [PFC_S_DIRTY_APPS] = {
        .name = "dirty_apps", .section = "Dirty Arbiters",
        .cli = { "--dirty-app" }, .metavar = "STRING",
        .kind = PFC_K_LIST, .action = PFC_ACT_APPEND,
        .validator = PFC_V_LIST_STRING, .support = PFC_SUP_REFUSED,
        FIELD(dirty_apps), .dflt = D_LIST0,
        .desc = "Application run by the dirty worker pool; repeatable.",
        .note = NO_DIRTY,
    },
    [PFC_S_DIRTY_WORKERS] = {
        .name = "dirty_workers", .section = "Dirty Arbiters",
        .cli = { "--dirty-workers" }, POSINT, .support = PFC_SUP_REFUSED,
        FIELD(dirty_workers), .dflt = D_INT(0),
        .desc = "Number of dirty worker processes; 0 disables them.",
        .note = NO_DIRTY,
    },
    [PFC_S_DIRTY_TIMEOUT] = {
        .name = "dirty_timeout", .section = "Dirty Arbiters",
        .cli = { "--dirty-timeout" }, POSINT, .support = PFC_SUP_INERT,
        FIELD(dirty_timeout), .dflt = D_INT(300),
        .desc = "Seconds a dirty task may run.", .note = NO_DIRTY,
    },
    [PFC_S_DIRTY_THREADS] = {
        .name = "dirty_threads", .section = "Dirty Arbiters",
        .cli = { "--dirty-threads" }, POSINT, .support = PFC_SUP_INERT,
        FIELD(dirty_threads), .dflt = D_INT(1),
        .desc = "Threads per dirty worker.", .note = NO_DIRTY,
    },
    [PFC_S_DIRTY_GRACEFUL_TIMEOUT] = {
        .name = "dirty_graceful_timeout", .section = "Dirty Arbiters",
        .cli = { "--dirty-graceful-timeout" }, POSINT,
        .support = PFC_SUP_INERT, FIELD(dirty_graceful_timeout),
        .dflt = D_INT(30),
        .desc = "Seconds dirty workers get to stop.", .note = NO_DIRTY,
    },

    /* Dirty Arbiter Hooks */

    [PFC_S_ON_DIRTY_STARTING] = {
        .name = "on_dirty_starting", .section = "Dirty Arbiter Hooks",
        HOOK(PFC_HOOK_ON_DIRTY_STARTING, 1), .support = PFC_SUP_INERT,
        .desc = "on_dirty_starting(arbiter): dirty arbiter start.",
        .note = NO_DIRTY,
    },
    [PFC_S_DIRTY_POST_FORK] = {
        .name = "dirty_post_fork", .section = "Dirty Arbiter Hooks",
        HOOK(PFC_HOOK_DIRTY_POST_FORK, 2), .support = PFC_SUP_INERT,
        .desc = "dirty_post_fork(arbiter, worker): in a new dirty worker.",
        .note = NO_DIRTY,
    },
    [PFC_S_DIRTY_WORKER_INIT] = {
        .name = "dirty_worker_init", .section = "Dirty Arbiter Hooks",
        HOOK(PFC_HOOK_DIRTY_WORKER_INIT, 1), .support = PFC_SUP_INERT,
        .desc = "dirty_worker_init(worker): dirty worker ready.",
        .note = NO_DIRTY,
    },
    [PFC_S_DIRTY_WORKER_EXIT] = {
        .name = "dirty_worker_exit", .section = "Dirty Arbiter Hooks",
        HOOK(PFC_HOOK_DIRTY_WORKER_EXIT, 2), .support = PFC_SUP_INERT,
        .desc = "dirty_worker_exit(arbiter, worker): dirty worker exit.",
        .note = NO_DIRTY,
    },

    /* Control */

    [PFC_S_CONTROL_SOCKET] = {
        .name = "control_socket", .section = "Control",
        .cli = { "--control-socket" }, .metavar = "PATH", STRING,
        .flags = PFC_F_ENV_DEFAULT, .support = PFC_SUP_INERT,
        FIELD(control_socket), .dflt = D_NONE,
        .desc = "Unix socket of gunicorn's control interface (gunicornc).",
        .note = NO_CTL,
    },
    [PFC_S_CONTROL_SOCKET_MODE] = {
        .name = "control_socket_mode", .section = "Control",
        .cli = { "--control-socket-mode" },
        INTROW(PFC_V_POS_INT, PFC_ARG_AUTO_INT), .support = PFC_SUP_INERT,
        FIELD(control_socket_mode), .dflt = D_INT(0600),
        .desc = "Permissions of the control socket.", .note = NO_CTL,
    },
    [PFC_S_CONTROL_SOCKET_DISABLE] = {
        .name = "control_socket_disable", .section = "Control",
        .cli = { "--no-control-socket" }, FLAG, .support = PFC_SUP_C,
        FIELD(control_socket_disable), .dflt = D_BOOL(0),
        .desc = "Open no control socket (prefork-wsgi never opens one).",
    },
};


const char *const pfc__hook_default[PFC_NHOOKS] = {
    [PFC_HOOK_ON_STARTING] = "OnStarting.on_starting",
    [PFC_HOOK_ON_RELOAD] = "OnReload.on_reload",
    [PFC_HOOK_WHEN_READY] = "WhenReady.when_ready",
    [PFC_HOOK_PRE_FORK] = "Prefork.pre_fork",
    [PFC_HOOK_POST_FORK] = "Postfork.post_fork",
    [PFC_HOOK_POST_WORKER_INIT] = "PostWorkerInit.post_worker_init",
    [PFC_HOOK_WORKER_INT] = "WorkerInt.worker_int",
    [PFC_HOOK_WORKER_ABORT] = "WorkerAbort.worker_abort",
    [PFC_HOOK_PRE_EXEC] = "PreExec.pre_exec",
    [PFC_HOOK_PRE_REQUEST] = "PreRequest.pre_request",
    [PFC_HOOK_POST_REQUEST] = "PostRequest.post_request",
    [PFC_HOOK_CHILD_EXIT] = "ChildExit.child_exit",
    [PFC_HOOK_WORKER_EXIT] = "WorkerExit.worker_exit",
    [PFC_HOOK_NWORKERS_CHANGED] = "NumWorkersChanged.nworkers_changed",
    [PFC_HOOK_ON_EXIT] = "OnExit.on_exit",
    [PFC_HOOK_SSL_CONTEXT] = "NewSSLContext.ssl_context",
    [PFC_HOOK_ON_DIRTY_STARTING] = "OnDirtyStarting.on_dirty_starting",
    [PFC_HOOK_DIRTY_POST_FORK] = "DirtyPostFork.dirty_post_fork",
    [PFC_HOOK_DIRTY_WORKER_INIT] = "DirtyWorkerInit.dirty_worker_init",
    [PFC_HOOK_DIRTY_WORKER_EXIT] = "DirtyWorkerExit.dirty_worker_exit",
};

/*
 * prefork-wsgi: the gunicorn settings engine.
 *
 * One table (cli/table.c) describes all 119 gunicorn 26.1 settings: name,
 * section, command-line spellings, metavar, validator, default, one-line
 * description and what prefork-wsgi does with it.  Everything else -- the
 * argparse-compatible parser (options.h), --help, --print-config, the man
 * page and the setters the config-file loader calls -- reads that table.
 *
 * pfc_settings holds the typed values under gunicorn's own setting names,
 * so other C code reads s->workers, s->bind.v[i], s->timeout ... directly.
 * Lists and strings are owned by the struct (pfc_settings_free()).
 *
 * Precedence (gunicorn's, lowest first): defaults, some derived from the
 * environment < application config (--paste) < config file <
 * GUNICORN_CMD_ARGS < command line.  Every setter takes the source it
 * writes for and stores only when no higher source has set the setting,
 * but it always validates, as gunicorn validates every layer.  Layers can
 * therefore be applied in any order.
 */
#ifndef PFC_SETTINGS_H
#define PFC_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

/* Every setting once, in gunicorn's registration order (which is also the
 * order of --help, of argparse's ambiguity messages and of validation).
 * X(config_name, ENUM_SUFFIX). */
#define PFC_SETTING_NAMES(X) \
    X(config, CONFIG) X(wsgi_app, WSGI_APP) X(bind, BIND) \
    X(backlog, BACKLOG) X(workers, WORKERS) X(worker_class, WORKER_CLASS) \
    X(threads, THREADS) X(worker_connections, WORKER_CONNECTIONS) \
    X(max_requests, MAX_REQUESTS) \
    X(max_requests_jitter, MAX_REQUESTS_JITTER) X(timeout, TIMEOUT) \
    X(graceful_timeout, GRACEFUL_TIMEOUT) X(keepalive, KEEPALIVE) \
    X(limit_request_line, LIMIT_REQUEST_LINE) \
    X(limit_request_fields, LIMIT_REQUEST_FIELDS) \
    X(limit_request_field_size, LIMIT_REQUEST_FIELD_SIZE) \
    X(reload, RELOAD) X(reload_engine, RELOAD_ENGINE) \
    X(reload_extra_files, RELOAD_EXTRA_FILES) X(spew, SPEW) \
    X(check_config, CHECK_CONFIG) X(print_config, PRINT_CONFIG) \
    X(preload_app, PRELOAD_APP) X(sendfile, SENDFILE) \
    X(reuse_port, REUSE_PORT) X(chdir, CHDIR) X(daemon, DAEMON) \
    X(raw_env, RAW_ENV) X(pidfile, PIDFILE) \
    X(worker_tmp_dir, WORKER_TMP_DIR) X(user, USER) X(group, GROUP) \
    X(umask, UMASK) X(initgroups, INITGROUPS) \
    X(tmp_upload_dir, TMP_UPLOAD_DIR) \
    X(secure_scheme_headers, SECURE_SCHEME_HEADERS) \
    X(forwarded_allow_ips, FORWARDED_ALLOW_IPS) X(accesslog, ACCESSLOG) \
    X(disable_redirect_access_to_syslog, DISABLE_REDIRECT_ACCESS_TO_SYSLOG) \
    X(access_log_format, ACCESS_LOG_FORMAT) X(errorlog, ERRORLOG) \
    X(loglevel, LOGLEVEL) X(capture_output, CAPTURE_OUTPUT) \
    X(logger_class, LOGGER_CLASS) X(logconfig, LOGCONFIG) \
    X(logconfig_dict, LOGCONFIG_DICT) X(logconfig_json, LOGCONFIG_JSON) \
    X(syslog_addr, SYSLOG_ADDR) X(syslog, SYSLOG) \
    X(syslog_prefix, SYSLOG_PREFIX) X(syslog_facility, SYSLOG_FACILITY) \
    X(enable_stdio_inheritance, ENABLE_STDIO_INHERITANCE) \
    X(statsd_host, STATSD_HOST) X(dogstatsd_tags, DOGSTATSD_TAGS) \
    X(statsd_prefix, STATSD_PREFIX) \
    X(enable_backlog_metric, ENABLE_BACKLOG_METRIC) \
    X(proc_name, PROC_NAME) X(default_proc_name, DEFAULT_PROC_NAME) \
    X(pythonpath, PYTHONPATH) X(paste, PASTE) \
    X(on_starting, ON_STARTING) X(on_reload, ON_RELOAD) \
    X(when_ready, WHEN_READY) X(pre_fork, PRE_FORK) \
    X(post_fork, POST_FORK) X(post_worker_init, POST_WORKER_INIT) \
    X(worker_int, WORKER_INT) X(worker_abort, WORKER_ABORT) \
    X(pre_exec, PRE_EXEC) X(pre_request, PRE_REQUEST) \
    X(post_request, POST_REQUEST) X(child_exit, CHILD_EXIT) \
    X(worker_exit, WORKER_EXIT) X(nworkers_changed, NWORKERS_CHANGED) \
    X(on_exit, ON_EXIT) X(ssl_context, SSL_CONTEXT) \
    X(proxy_protocol, PROXY_PROTOCOL) X(proxy_allow_ips, PROXY_ALLOW_IPS) \
    X(protocol, PROTOCOL) X(uwsgi_allow_ips, UWSGI_ALLOW_IPS) \
    X(keyfile, KEYFILE) X(certfile, CERTFILE) X(ssl_version, SSL_VERSION) \
    X(cert_reqs, CERT_REQS) X(ca_certs, CA_CERTS) \
    X(suppress_ragged_eofs, SUPPRESS_RAGGED_EOFS) \
    X(do_handshake_on_connect, DO_HANDSHAKE_ON_CONNECT) \
    X(ciphers, CIPHERS) X(http_protocols, HTTP_PROTOCOLS) \
    X(http2_cleartext, HTTP2_CLEARTEXT) \
    X(http2_max_concurrent_streams, HTTP2_MAX_CONCURRENT_STREAMS) \
    X(http2_initial_window_size, HTTP2_INITIAL_WINDOW_SIZE) \
    X(http2_max_frame_size, HTTP2_MAX_FRAME_SIZE) \
    X(http2_max_header_list_size, HTTP2_MAX_HEADER_LIST_SIZE) \
    X(raw_paste_global_conf, RAW_PASTE_GLOBAL_CONF) \
    X(permit_obsolete_folding, PERMIT_OBSOLETE_FOLDING) \
    X(strip_header_spaces, STRIP_HEADER_SPACES) \
    X(permit_unconventional_http_method, PERMIT_UNCONVENTIONAL_HTTP_METHOD) \
    X(permit_unconventional_http_version, \
      PERMIT_UNCONVENTIONAL_HTTP_VERSION) \
    X(casefold_http_method, CASEFOLD_HTTP_METHOD) \
    X(forwarder_headers, FORWARDER_HEADERS) X(header_map, HEADER_MAP) \
    X(asgi_loop, ASGI_LOOP) X(asgi_lifespan, ASGI_LIFESPAN) \
    X(asgi_disconnect_grace_period, ASGI_DISCONNECT_GRACE_PERIOD) \
    X(http_parser, HTTP_PARSER) X(root_path, ROOT_PATH) \
    X(dirty_apps, DIRTY_APPS) X(dirty_workers, DIRTY_WORKERS) \
    X(dirty_timeout, DIRTY_TIMEOUT) X(dirty_threads, DIRTY_THREADS) \
    X(dirty_graceful_timeout, DIRTY_GRACEFUL_TIMEOUT) \
    X(on_dirty_starting, ON_DIRTY_STARTING) \
    X(dirty_post_fork, DIRTY_POST_FORK) \
    X(dirty_worker_init, DIRTY_WORKER_INIT) \
    X(dirty_worker_exit, DIRTY_WORKER_EXIT) \
    X(control_socket, CONTROL_SOCKET) \
    X(control_socket_mode, CONTROL_SOCKET_MODE) \
    X(control_socket_disable, CONTROL_SOCKET_DISABLE)

#define PFC_S_ENUM_(n, N)  PFC_S_##N,
enum pfc_setting_id {
    PFC_SETTING_NAMES(PFC_S_ENUM_)
    PFC_NSETTINGS
};
#undef PFC_S_ENUM_

/* Server hooks: file only.  The Python loader owns the callables; here a
 * hook is just "set or not" plus its __qualname__ for --print-config. */
enum pfc_hook {
    PFC_HOOK_ON_STARTING, PFC_HOOK_ON_RELOAD, PFC_HOOK_WHEN_READY,
    PFC_HOOK_PRE_FORK, PFC_HOOK_POST_FORK, PFC_HOOK_POST_WORKER_INIT,
    PFC_HOOK_WORKER_INT, PFC_HOOK_WORKER_ABORT, PFC_HOOK_PRE_EXEC,
    PFC_HOOK_PRE_REQUEST, PFC_HOOK_POST_REQUEST, PFC_HOOK_CHILD_EXIT,
    PFC_HOOK_WORKER_EXIT, PFC_HOOK_NWORKERS_CHANGED, PFC_HOOK_ON_EXIT,
    PFC_HOOK_SSL_CONTEXT, PFC_HOOK_ON_DIRTY_STARTING,
    PFC_HOOK_DIRTY_POST_FORK, PFC_HOOK_DIRTY_WORKER_INIT,
    PFC_HOOK_DIRTY_WORKER_EXIT,
    PFC_NHOOKS
};

/* The worker kinds prefork-wsgi runs (s->worker_kind, set by finish). */
enum pfc_worker_kind {
    PFC_WORKER_SYNC,
    PFC_WORKER_GTHREAD,
    PFC_WORKER_EV
};

/* Choice settings are stored as an index into their choice list; -1 is
 * Python's None (only header_map can be None; gunicorn then refuses
 * underscore headers, as "refuse" does). */
enum { PFC_HEADER_MAP_DROP, PFC_HEADER_MAP_REFUSE, PFC_HEADER_MAP_DANGEROUS };
enum { PFC_PROXY_OFF, PFC_PROXY_V1, PFC_PROXY_V2, PFC_PROXY_AUTO };
enum { PFC_RELOAD_AUTO, PFC_RELOAD_POLL, PFC_RELOAD_INOTIFY };
enum { PFC_ASGI_LOOP_AUTO, PFC_ASGI_LOOP_ASYNCIO, PFC_ASGI_LOOP_UVLOOP };
enum { PFC_ASGI_LIFESPAN_AUTO, PFC_ASGI_LIFESPAN_ON, PFC_ASGI_LIFESPAN_OFF };
enum { PFC_HTTP_PARSER_AUTO, PFC_HTTP_PARSER_FAST, PFC_HTTP_PARSER_PYTHON };
enum { PFC_H2C_OFF, PFC_H2C_PRIOR_KNOWLEDGE, PFC_H2C_UPGRADE, PFC_H2C_BOTH };

/* Where a value came from; a setter stores only if src >= the current. */
enum pfc_source {
    PFC_SRC_DEFAULT,    /* defaults, env-derived defaults, --paste app */
    PFC_SRC_FILE,       /* gunicorn.conf.py / -c FILE */
    PFC_SRC_ENV,        /* GUNICORN_CMD_ARGS */
    PFC_SRC_CLI         /* the command line */
};

/* What prefork-wsgi does with a setting. */
enum pfc_support {
    PFC_SUP_C,          /* implemented by the C server (core, http, wsgi) */
    PFC_SUP_PY,         /* implemented by the embedded interpreter side */
    PFC_SUP_INERT,      /* accepted, no effect: a warning when set */
    PFC_SUP_REFUSED     /* an error when set to anything but its default */
};

/* Storage of a setting's value in pfc_settings. */
enum pfc_kind {
    PFC_K_STR,          /* char *, NULL = None */
    PFC_K_INT,          /* long */
    PFC_K_BOOL,         /* int 0/1 */
    PFC_K_TRIBOOL,      /* int -1 (None), 0, 1: sendfile only */
    PFC_K_CHOICE,       /* int index into choices, -1 = None */
    PFC_K_LIST,         /* pfc_strlist */
    PFC_K_DICT,         /* pfc_dict (string to string) */
    PFC_K_HOOK,         /* char * qualname in s->hooks[], NULL = default */
    PFC_K_PYOBJ         /* char * Python repr from the loader, NULL = {} */
};

/* Command-line behaviour, as argparse's "action". */
enum pfc_action {
    PFC_ACT_NONE,       /* file only */
    PFC_ACT_STORE,      /* --opt VALUE */
    PFC_ACT_APPEND,     /* --opt VALUE, repeatable */
    PFC_ACT_TRUE,       /* store_true */
    PFC_ACT_CONST,      /* store_const False (--no-sendfile) */
    PFC_ACT_OPTIONAL    /* nargs='?', const "auto" (--proxy-protocol) */
};

/* argparse "type" of the value: converted (and refused with exit 2)
 * before the validator sees it. */
enum pfc_argtype {
    PFC_ARG_STR,
    PFC_ARG_INT,        /* int(x): decimal */
    PFC_ARG_AUTO_INT    /* gunicorn's auto_int: "0022" is octal */
};

enum pfc_flags {
    PFC_F_FILE_ONLY   = 1 << 0, /* no command-line spelling */
    PFC_F_ENV_DEFAULT = 1 << 1, /* default read from the environment */
    PFC_F_INTERNAL    = 1 << 2  /* set by the loader, not by users */
};

typedef struct {
    char      **v;
    size_t      n;
} pfc_strlist;

typedef struct {
    char       *key;
    char       *value;
} pfc_pair;

typedef struct {
    pfc_pair   *v;
    size_t      n;
} pfc_dict;

/* A Python value handed to a setter: the config-file loader converts
 * module-level objects to one of these (tuples and sets of str become
 * lists).  LIST: items[0..n-1]; DICT: n pairs, items[2k] is a key and
 * items[2k+1] its value.  OBJECT is any other object (a float, a list of
 * ints ...), which every validator refuses with gunicorn's words: s is its
 * str(), i its truth value and items[0] the name of its type. */
enum pfc_pytype {
    PFC_PY_NONE, PFC_PY_BOOL, PFC_PY_INT, PFC_PY_STR, PFC_PY_LIST,
    PFC_PY_DICT, PFC_PY_OBJECT
};

typedef struct {
    int                 type;
    long long           i;
    const char         *s;
    const char *const  *items;
    size_t              n;
} pfc_value;


/* One row of the table. */
typedef struct {
    const char     *name;       /* config-file name, e.g. "workers" */
    const char     *section;    /* gunicorn's, e.g. "Worker Processes" */
    const char     *cli[3];     /* spellings, NULL-terminated; none: file
                                   only */
    const char     *metavar;    /* as --help shows it; NULL for flags */
    unsigned char   kind;       /* enum pfc_kind */
    unsigned char   action;     /* enum pfc_action */
    unsigned char   argtype;    /* enum pfc_argtype */
    unsigned char   validator;  /* internal validator id */
    unsigned char   support;    /* enum pfc_support */
    unsigned char   flags;      /* enum pfc_flags */
    signed char     hook;       /* enum pfc_hook, -1 if not a hook */
    signed char     arity;      /* hooks: positional arity gunicorn checks;
                                   -1 = 2, 3 or 4 (post_request) */
    size_t          offset;     /* of the value in pfc_settings */
    size_t          size;       /* of that field (checked by the tests) */
    pfc_value       dflt;       /* gunicorn's default, before validation
                                   (PFC_F_ENV_DEFAULT: may be replaced) */
    const char     *desc;       /* one line, for --help and the man page */
    const char     *note;       /* why inert/refused, or NULL */
} pfc_setting;

typedef struct pfc_settings {
    /* Config File */
    char        *config;
    char        *wsgi_app;
    /* Server Socket */
    pfc_strlist  bind;
    long         backlog;
    /* Worker Processes */
    long         workers;
    char        *worker_class;          /* as given; see worker_kind */
    long         threads;
    long         worker_connections;
    long         max_requests;
    long         max_requests_jitter;
    long         timeout;
    long         graceful_timeout;
    long         keepalive;
    /* Security */
    long         limit_request_line;
    long         limit_request_fields;
    long         limit_request_field_size;
    /* Debugging */
    int          reload;
    int          reload_engine;         /* PFC_RELOAD_* */
    pfc_strlist  reload_extra_files;
    int          spew;
    int          check_config;
    int          print_config;
    /* Server Mechanics */
    int          preload_app;
    int          sendfile;              /* -1 unset: see pfc_sendfile() */
    int          reuse_port;
    char        *chdir;                 /* absolute */
    int          daemon;
    pfc_strlist  raw_env;
    char        *pidfile;
    char        *worker_tmp_dir;
    long         user;                  /* uid */
    long         group;                 /* gid */
    long         umask;
    int          initgroups;
    char        *tmp_upload_dir;
    pfc_dict     secure_scheme_headers;
    pfc_strlist  forwarded_allow_ips;   /* "*" or IP/CIDR, validated */
    /* Logging */
    char        *accesslog;
    int          disable_redirect_access_to_syslog;
    char        *access_log_format;
    char        *errorlog;
    char        *loglevel;
    int          capture_output;
    char        *logger_class;
    char        *logconfig;
    char        *logconfig_dict;        /* Python repr, NULL = {} */
    char        *logconfig_json;
    char        *syslog_addr;
    int          syslog;
    char        *syslog_prefix;
    char        *syslog_facility;
    int          enable_stdio_inheritance;
    char        *statsd_host;           /* validated; pfc_parse_address() */
    char        *dogstatsd_tags;
    char        *statsd_prefix;
    int          enable_backlog_metric;
    /* Process Naming */
    char        *proc_name;
    char        *default_proc_name;
    /* Server Mechanics (continued) */
    char        *pythonpath;
    char        *paste;
    /* Server Hooks and Dirty Arbiter Hooks: __qualname__ or NULL */
    char        *hooks[PFC_NHOOKS];
    int          proxy_protocol;        /* PFC_PROXY_* */
    pfc_strlist  proxy_allow_ips;
    char        *protocol;
    pfc_strlist  uwsgi_allow_ips;
    /* SSL */
    char        *keyfile;
    char        *certfile;
    char        *ssl_version;           /* gunicorn ignores it too */
    long         cert_reqs;
    char        *ca_certs;
    int          suppress_ragged_eofs;
    int          do_handshake_on_connect;
    char        *ciphers;
    /* HTTP/2 */
    pfc_strlist  http_protocols;
    int          http2_cleartext;       /* PFC_H2C_* */
    long         http2_max_concurrent_streams;
    long         http2_initial_window_size;
    long         http2_max_frame_size;
    long         http2_max_header_list_size;
    /* Server Mechanics (request parsing) */
    pfc_strlist  raw_paste_global_conf;
    int          permit_obsolete_folding;
    int          strip_header_spaces;
    int          permit_unconventional_http_method;
    int          permit_unconventional_http_version;
    int          casefold_http_method;
    pfc_strlist  forwarder_headers;
    int          header_map;            /* PFC_HEADER_MAP_*, -1 None */
    /* ASGI (24.0+) */
    int          asgi_loop;
    int          asgi_lifespan;
    long         asgi_disconnect_grace_period;
    int          http_parser;
    char        *root_path;
    /* Dirty Arbiters (25.0+) */
    pfc_strlist  dirty_apps;
    long         dirty_workers;
    long         dirty_timeout;
    long         dirty_threads;
    long         dirty_graceful_timeout;
    /* Control (25.1+) */
    char        *control_socket;
    long         control_socket_mode;
    int          control_socket_disable;

    /* Not settings. */
    int          worker_kind;           /* PFC_WORKER_*, by finish() */
    char        *app_uri;               /* APP_MODULE, --paste or wsgi_app */
    pfc_strlist  args;                  /* positional command-line args */
    pfc_strlist  warnings;              /* for the caller to log */
    unsigned char source[PFC_NSETTINGS];/* enum pfc_source of each value */
} pfc_settings;

/* The table. */
extern const pfc_setting  pfc_table[PFC_NSETTINGS];

/* The row for a config-file name, or NULL if the name is not a setting
 * (gunicorn silently ignores such module-level names). */
const pfc_setting *pfc_lookup(const char *name);

/* Index of a setting by name, -1 if none. */
int pfc_index(const char *name);

/* Choice names of a PFC_K_CHOICE setting, NULL-terminated; NULL if none. */
const char *const *pfc_choices(int idx);

/* Defaults, including those read from the environment (PORT, WEB_CONCURRENCY,
 * FORWARDED_ALLOW_IPS, the working directory, euid/egid, XDG_RUNTIME_DIR,
 * HOME).  -1 with err filled if the environment holds an invalid value
 * (gunicorn fails there too); s is then still safe to free. */
int pfc_settings_init(pfc_settings *s, char *err, size_t errlen);
void pfc_settings_free(pfc_settings *s);

/* The general setter: validates v as gunicorn's validator for the setting
 * would (always), then stores it if src >= s->source[idx].  Returns 0, or
 * -1 with err holding the text gunicorn prints after "Error: " (the
 * exception message, e.g. "Value must be positive: -1"). */
int pfc_set(pfc_settings *s, int idx, const pfc_value *v, int src,
    char *err, size_t errlen);

/* Setters by name for the config-file loader (source PFC_SRC_FILE).  An
 * unknown name is an error "No configuration setting for: NAME".  The
 * loader prints "Invalid value for NAME: VALUE" (VALUE is Python's str())
 * before gunicorn's "Error: <err>": see pfc_print_invalid(). */
int pfc_set_from_string(pfc_settings *s, const char *name, const char *value,
    char *err, size_t errlen);
int pfc_set_int(pfc_settings *s, const char *name, long long value,
    char *err, size_t errlen);
int pfc_set_bool(pfc_settings *s, const char *name, int value,
    char *err, size_t errlen);
int pfc_set_none(pfc_settings *s, const char *name, char *err, size_t errlen);
int pfc_set_list(pfc_settings *s, const char *name,
    const char *const *items, size_t n, char *err, size_t errlen);
int pfc_set_dict(pfc_settings *s, const char *name,
    const char *const *kv, size_t npairs, char *err, size_t errlen);

/* A hook set by the config file: the loader checked it is callable with
 * the right arity; qualname is its __qualname__ (for --print-config). */
int pfc_set_hook(pfc_settings *s, const char *name, const char *qualname,
    char *err, size_t errlen);

/* logconfig_dict holds arbitrary Python: the loader passes whether the
 * object is a dict and its repr(). */
int pfc_set_pyobj(pfc_settings *s, const char *name, int is_dict,
    const char *repr, char *err, size_t errlen);

/* Is hook h set (not gunicorn's no-op default)? */
int pfc_hook_is_set(const pfc_settings *s, int h);

/* After every layer: resolves worker_kind (sync + threads > 1 is gthread,
 * as in gunicorn), refuses settings prefork-wsgi cannot honour (Python
 * worker classes, TLS ...) and appends a warning for every inert setting
 * that was set.  -1 with err (gunicorn's "Error: ..." text; exit 1). */
int pfc_settings_finish(pfc_settings *s, char *err, size_t errlen);

/* Effective sendfile: off if set to False, else $SENDFILE (y/1/yes/true)
 * if present, else on.  (gunicorn also turns it off when the file sets
 * sendfile = True; prefork-wsgi honours True.) */
int pfc_sendfile(const pfc_settings *s);

/* --print-config: "name = value" per setting, sorted by name, names padded
 * to the longest, values as Python's str() shows them. */
int pfc_print_config(FILE *out, const pfc_settings *s);

/* Python str() of one setting's value; malloc'd, NULL on ENOMEM. */
char *pfc_value_str(const pfc_settings *s, int idx);

/* gunicorn's two lines for an invalid config-file value. */
void pfc_print_invalid(FILE *out, const char *name, const char *value_str,
    const char *err);

/* Address parsing as gunicorn's util.parse_address: "unix:PATH" (path),
 * "fd://N" (fd), "tcp://H:P", "H:P", "[V6]:P", "H" (default port), "" ->
 * 0.0.0.0.  -1 with err ("'x' is not a valid port number.") on failure. */
typedef struct {
    char       *host;       /* lower-cased; NULL for unix/fd */
    long        port;
    char       *path;       /* unix socket path, or NULL */
    int         fd;         /* fd://N, else -1 */
} pfc_address;

int  pfc_parse_address(const char *s, const char *default_port,
    pfc_address *a, char *err, size_t errlen);
void pfc_address_free(pfc_address *a);

/* An entry of forwarded_allow_ips/proxy_allow_ips/uwsgi_allow_ips, parsed
 * as Python's ipaddress.ip_network(strict=True). */
typedef struct {
    int             family;     /* AF_INET, AF_INET6, or 0 for "*" */
    unsigned char   addr[16];
    int             prefix;
} pfc_ipnet;

int pfc_ipnet_parse(const char *s, pfc_ipnet *net, char *err, size_t errlen);

/* 1 if the address (4 or 16 bytes of family) lies in net. */
int pfc_ipnet_contains(const pfc_ipnet *net, int family, const void *addr);

/* The string list helpers the struct uses (exposed for the loader). */
int  pfc_strlist_push(pfc_strlist *l, const char *s);
void pfc_strlist_free(pfc_strlist *l);

#endif /* PFC_SETTINGS_H */

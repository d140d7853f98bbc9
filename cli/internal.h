/*
 * Private helpers shared by the cli/ files (pfc__ prefix): a growable
 * string buffer, Python-compatible formatting (repr/str) and parsing
 * (int(), str.strip(), os.path.normpath) used to reproduce gunicorn's
 * messages byte for byte, and the validator ids of the table.
 */
#ifndef PFC_INTERNAL_H
#define PFC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>

#include "settings.h"

/* Validators: one per gunicorn validate_* function the table uses. */
enum {
    PFC_V_STRING,           /* validate_string */
    PFC_V_LIST_STRING,      /* validate_list_string */
    PFC_V_FILES,            /* validate_list_of_files_or_patterns */
    PFC_V_POS_INT,          /* validate_pos_int */
    PFC_V_FRAME_SIZE,       /* validate_http2_frame_size */
    PFC_V_BOOL,             /* validate_bool */
    PFC_V_CLASS,            /* validate_class */
    PFC_V_CHDIR,            /* validate_chdir */
    PFC_V_USER,             /* validate_user */
    PFC_V_GROUP,            /* validate_group */
    PFC_V_DICT,             /* validate_dict (string pairs) */
    PFC_V_PYDICT,           /* validate_dict (any dict: repr only) */
    PFC_V_ADDR_LIST,        /* validate_string_to_addr_list */
    PFC_V_STR_LIST,         /* validate_string_to_list */
    PFC_V_STATSD,           /* validate_statsd_address */
    PFC_V_RELOAD_ENGINE,    /* validate_reload_engine */
    PFC_V_HEADER_MAP,       /* validate_header_map_behaviour */
    PFC_V_PROXY_PROTOCOL,   /* validate_proxy_protocol */
    PFC_V_ASGI_LOOP,        /* validate_asgi_loop */
    PFC_V_ASGI_LIFESPAN,    /* validate_asgi_lifespan */
    PFC_V_HTTP_PARSER,      /* validate_http_parser */
    PFC_V_H2C,              /* validate_http2_cleartext */
    PFC_V_HTTP_PROTOCOLS,   /* validate_http_protocols */
    PFC_V_SSL_VERSION,      /* validate_ssl_version (accepts anything) */
    PFC_V_CALLABLE          /* validate_callable: only via pfc_set_hook */
};

/* A growable NUL-terminated string; once an allocation fails every later
 * call is a no-op and oom stays set. */
typedef struct {
    char       *p;
    size_t      len;
    size_t      cap;
    int         oom;
} pfc__buf;

void  pfc__buf_add(pfc__buf *b, const char *s, size_t n);
void  pfc__buf_puts(pfc__buf *b, const char *s);
void  pfc__buf_putc(pfc__buf *b, char c);
void  pfc__buf_printf(pfc__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Python repr() of a str given as UTF-8 (invalid bytes shown as Python's
 * surrogateescape renders them: '\udcXX'). */
void  pfc__buf_repr(pfc__buf *b, const char *s);
/* Python repr() of a list of str. */
void  pfc__buf_repr_list(pfc__buf *b, char *const *v, size_t n);
/* Python str() of a pfc_value (repr for containers). */
void  pfc__buf_pystr(pfc__buf *b, const pfc_value *v);
/* Returns the string (owned by the caller) or NULL if out of memory. */
char *pfc__buf_take(pfc__buf *b);
void  pfc__buf_free(pfc__buf *b);

/* snprintf into err; never fails. */
void  pfc__err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* err = fmt with a single %s replaced by repr(s). */
void  pfc__err_repr(char *err, size_t errlen, const char *fmt,
    const char *s);

/* Python's int(s, base) for base 0 or 10: whitespace, sign, underscores
 * between digits, 0x/0o/0b prefixes with base 0, no leading zeros in a
 * base-0 decimal.  0 ok, -1 not an int, -2 does not fit a long. */
int   pfc__pyint(const char *s, int base, long *out);

/* gunicorn's auto_int(): "0NNN" is read as octal, then int(x, 0). */
int   pfc__auto_int(const char *s, long *out);

/* Python str.strip() (ASCII whitespace), as a malloc'd copy. */
char *pfc__strip_dup(const char *s);
int   pfc__is_pyspace(unsigned char c);

/* os.path.normpath; malloc'd. */
char *pfc__normpath(const char *path);

/* gunicorn's util.getcwd(): $PWD when it names the working directory. */
char *pfc__getcwd(void);

/* Python str.isdigit() for ASCII strings (non-empty, all digits). */
int   pfc__isdigits(const char *s);

char *pfc__strdup(const char *s);

/* The default a setting shows in --help ("[%s]") and starts from: the
 * table's, or the environment-derived one.  Strings live in *store
 * (caller frees with pfc__default_free). */
typedef struct {
    pfc_value       v;
    char           *str;
    const char     *item[1];
} pfc__default;

void  pfc__default_get(int idx, pfc__default *d);
void  pfc__default_free(pfc__default *d);

/* A validated value, ready to be stored in the setting's field. */
typedef struct {
    int             none;       /* Python None */
    long            i;          /* INT, BOOL, TRIBOOL, CHOICE */
    char           *s;          /* STR, HOOK, PYOBJ */
    pfc_strlist     l;
    pfc_dict        d;
} pfc__nval;

/* Run the setting's gunicorn validator on v.  Warnings a validator emits
 * (a glob matching nothing) are appended to *warn. */
int   pfc__validate(int idx, const pfc_value *v, pfc__nval *out,
    pfc_strlist *warn, char *err, size_t errlen);
void  pfc__nval_free(pfc__nval *n);
void  pfc__dict_free(pfc_dict *d);

/* Default __qualname__ of each hook, as gunicorn's print shows it. */
extern const char *const pfc__hook_default[PFC_NHOOKS];

#endif /* PFC_INTERNAL_H */

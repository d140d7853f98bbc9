/*
 * --print-config: gunicorn prints str(Config), one "name = value" line per
 * setting, sorted, names padded to the longest; values through Python's
 * str() (lists and dicts therefore through repr()), callables as
 * "<Qualname()>".  The same rendering backs pfc_value_str().
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define FIELD_AT(s, t)  ((const void *) ((const char *) (s) + (t)->offset))


/* statsd_host is stored as given; gunicorn stores the parsed address:
 * a (host, port) tuple, a unix path, or an fd number. */
static void
statsd_str(pfc__buf *b, const char *v)
{
    pfc_address  a;

    if (strncmp(v, "unix:", 5) == 0 && pfc__isdigits(v + 5)) {
        pfc__buf_printf(b, "('unix', %ld)", strtol(v + 5, NULL, 10));
        return;
    }
    if (pfc_parse_address(v, "8125", &a, NULL, 0) != 0) {
        pfc__buf_puts(b, v);
        return;
    }
    if (a.path != NULL) {
        pfc__buf_puts(b, a.path);
    } else if (a.fd >= 0) {
        pfc__buf_printf(b, "%d", a.fd);
    } else {
        pfc__buf_putc(b, '(');
        pfc__buf_repr(b, a.host);
        pfc__buf_printf(b, ", %ld)", a.port);
    }
    pfc_address_free(&a);
}


static void
value_str(pfc__buf *b, const pfc_settings *s, int idx)
{
    const pfc_setting   *t = &pfc_table[idx];
    const void          *f = FIELD_AT(s, t);
    const char *const   *choices;
    const pfc_dict      *d;
    const char          *str;
    size_t               i;
    int                  n;

    switch (t->kind) {
    case PFC_K_STR:
        str = *(char *const *) f;
        if (str == NULL) {
            pfc__buf_puts(b, "None");
        } else if (idx == PFC_S_STATSD_HOST) {
            statsd_str(b, str);
        } else {
            pfc__buf_puts(b, str);
        }
        break;
    case PFC_K_INT:
        pfc__buf_printf(b, "%ld", *(const long *) f);
        break;
    case PFC_K_BOOL:
        pfc__buf_puts(b, *(const int *) f ? "True" : "False");
        break;
    case PFC_K_TRIBOOL:
        n = *(const int *) f;
        pfc__buf_puts(b, n < 0 ? "None" : n ? "True" : "False");
        break;
    case PFC_K_CHOICE:
        n = *(const int *) f;
        choices = pfc_choices(idx);
        pfc__buf_puts(b, n < 0 || choices == NULL ? "None" : choices[n]);
        break;
    case PFC_K_LIST:
        pfc__buf_repr_list(b, ((const pfc_strlist *) f)->v,
                           ((const pfc_strlist *) f)->n);
        break;
    case PFC_K_DICT:
        d = f;
        pfc__buf_putc(b, '{');
        for (i = 0; i < d->n; i++) {
            pfc__buf_puts(b, i ? ", " : "");
            pfc__buf_repr(b, d->v[i].key);
            pfc__buf_puts(b, ": ");
            pfc__buf_repr(b, d->v[i].value);
        }
        pfc__buf_putc(b, '}');
        break;
    case PFC_K_HOOK:
        str = *(char *const *) f;
        pfc__buf_printf(b, "<%s()>", str ? str : pfc__hook_default[t->hook]);
        break;
    case PFC_K_PYOBJ:
        str = *(char *const *) f;
        pfc__buf_puts(b, str ? str : "{}");
        break;
    }
}


char *
pfc_value_str(const pfc_settings *s, int idx)
{
    pfc__buf  b = { 0 };

    if (idx < 0 || idx >= PFC_NSETTINGS) {
        return NULL;
    }
    value_str(&b, s, idx);
    return pfc__buf_take(&b);
}


static int
by_name(const void *a, const void *b)
{
    return strcmp(pfc_table[*(const int *) a].name,
                  pfc_table[*(const int *) b].name);
}


int
pfc_print_config(FILE *out, const pfc_settings *s)
{
    int       order[PFC_NSETTINGS];
    int       i, width = 0, w;
    pfc__buf  b = { 0 };

    for (i = 0; i < PFC_NSETTINGS; i++) {
        order[i] = i;
        w = (int) strlen(pfc_table[i].name);
        width = w > width ? w : width;
    }
    qsort(order, PFC_NSETTINGS, sizeof(int), by_name);
    for (i = 0; i < PFC_NSETTINGS; i++) {
        pfc__buf_printf(&b, "%-*s = ", width, pfc_table[order[i]].name);
        value_str(&b, s, order[i]);
        pfc__buf_putc(&b, '\n');
    }
    if (b.oom) {
        pfc__buf_free(&b);
        return -1;
    }
    i = fwrite(b.p, 1, b.len, out) == b.len ? 0 : -1;
    pfc__buf_free(&b);
    return fflush(out) == 0 ? i : -1;
}


void
pfc_print_invalid(FILE *out, const char *name, const char *value_str,
    const char *err)
{
    fprintf(out, "Invalid value for %s: %s\n\n\nError: %s\n", name,
            value_str, err);
    fflush(out);
}

/*
 * -h/--help, -v/--version and usage lines in argparse's layout: options
 * indented by 2, help text from column min(24, widest + 4), wrapped as
 * Python's textwrap.wrap() wraps it (greedy, breaking after hyphens
 * inside words, splitting words longer than a line) to $COLUMNS - 2.
 * Each option's text is the table's description and "[<default>]".
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <prefork/common.h>

#include "internal.h"
#include "options.h"

#define STR_(x)      #x
#define STR(x)       STR_(x)
#define PF_VERSION_TEXT  STR(PF_VERSION_MAJOR) "." STR(PF_VERSION_MINOR) \
                         "." STR(PF_VERSION_PATCH)

#define USAGE_TAIL   " [OPTIONS] [APP_MODULE]"

/* A piece of text as textwrap splits it. */
typedef struct {
    const char  *p;
    size_t       len;           /* bytes */
} chunk;


const char *
pfc_prog_name(const char *argv0)
{
    const char  *slash;

    if (argv0 == NULL || argv0[0] == '\0') {
        return "prefork-wsgi";
    }
    slash = strrchr(argv0, '/');
    return slash && slash[1] != '\0' ? slash + 1 : argv0;
}


void
pfc_usage(FILE *out, const char *prog)
{
    fprintf(out, "usage: %s" USAGE_TAIL "\n", prog);
}


void
pfc_usage_error(FILE *out, const char *prog, const char *msg)
{
    pfc_usage(out, prog);
    fprintf(out, "%s: error: %s\n", prog, msg);
    fflush(out);
}


void
pfc_version(FILE *out, const char *prog)
{
    fprintf(out, "%s (version " PF_VERSION_TEXT ")\n", prog);
    fflush(out);
}


int
pfc_help_columns(void)
{
    struct winsize  ws;
    const char     *env = getenv("COLUMNS");
    long            n;

    if (env != NULL && pfc__pyint(env, 10, &n) == 0 && n > 0 && n < 100000) {
        return (int) n;
    }
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        return ws.ws_col;
    }
    return 80;
}


/* Code points in s[0..len). */
static size_t
ncp(const char *s, size_t len)
{
    size_t  i, n = 0;

    for (i = 0; i < len; i++) {
        n += ((unsigned char) s[i] & 0xc0) != 0x80;
    }
    return n;
}


/* Byte offset of code point k in s[0..len). */
static size_t
cp_offset(const char *s, size_t len, size_t k)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if (((unsigned char) s[i] & 0xc0) != 0x80 && k-- == 0) {
            return i;
        }
    }
    return len;
}


/* textwrap's character classes, with any non-ASCII byte counted as a
 * letter: \w, its "letter" [^\d\W] and its word punctuation. */
static int
word_char(unsigned char c)
{
    return c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z')
           || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}


static int
letter(const char *t, size_t len, long i)
{
    unsigned char  c;

    if (i < 0 || (size_t) i >= len) {
        return 0;
    }
    c = (unsigned char) t[i];
    return word_char(c) && !(c >= '0' && c <= '9');
}


static int
word_punct(const char *t, size_t len, long i)
{
    return i >= 0 && (size_t) i < len
           && (word_char((unsigned char) t[i]) || strchr("!\"'&.,?", t[i]));
}


/* "-{2,}(?=\w)" at i: the length of the dashes, or 0. */
static size_t
em_dash(const char *t, size_t len, size_t i)
{
    size_t  k = i;

    while (k < len && t[k] == '-') {
        k++;
    }
    return k - i >= 2 && k < len && word_char((unsigned char) t[k])
           ? k - i : 0;
}


/* May a word chunk end after t[j] == '-' (a hyphenated word)? */
static int
hyphen_break(const char *t, size_t len, long j)
{
    int  behind, ahead;

    behind = (letter(t, len, j - 2) && letter(t, len, j - 1))
             || (letter(t, len, j - 3) && t[j - 2] == '-'
                 && letter(t, len, j - 1));
    ahead = letter(t, len, j + 1)
            && (letter(t, len, j + 2)
                || ((size_t) j + 2 < len && t[j + 2] == '-'
                    && letter(t, len, j + 3)));
    return behind && ahead;
}


/* textwrap's _split() with break_on_hyphens: its wordsep_re alternatives
 * tried at each position -- a space, an em-dash between words, or the
 * shortest word ending at a hyphen break, at a space or the end, or just
 * before an em-dash.  The text was already whitespace-collapsed. */
static size_t
split_chunks(const char *t, chunk *out)
{
    size_t  len = strlen(t), i = 0, j, n = 0, d;

    while (i < len) {
        out[n].p = t + i;
        if (t[i] == ' ') {
            out[n++].len = 1;
            i++;
            continue;
        }
        if (word_punct(t, len, (long) i - 1) && (d = em_dash(t, len, i))) {
            out[n++].len = d;
            i += d;
            continue;
        }
        for (j = i + 1; ; j++) {
            if (j == len || t[j] == ' ') {
                break;
            }
            if (t[j] == '-' && hyphen_break(t, len, (long) j)) {
                j++;
                break;
            }
            if (word_punct(t, len, (long) j - 1) && em_dash(t, len, j)) {
                break;
            }
        }
        out[n++].len = j - i;
        i = j;
    }
    return n;
}


/*
 * textwrap.wrap(text, width): fill lines greedily; whitespace chunks at
 * the start (after the first line) and end of lines are dropped; a chunk
 * longer than a whole line is cut, preferably after a hyphen.  Calls
 * emit() per line.
 */
static void
wrap(const char *text, size_t width, void (*emit)(void *, const char *,
    size_t), void *ud)
{
    chunk    *c;
    pfc__buf  line = { 0 };
    size_t    n, i, cur, space, end, hy, k, first = 1, last;

    c = calloc(strlen(text) + 1, sizeof(chunk));
    if (c == NULL) {
        return;
    }
    n = split_chunks(text, c);
    i = 0;
    while (i < n) {
        line.len = 0;
        pfc__buf_add(&line, "", 0);
        cur = 0;
        if (!first && c[i].len == 1 && c[i].p[0] == ' ') {
            i++;
            if (i == n) {
                break;
            }
        }
        last = 0;       /* length of the last chunk on the line */
        while (i < n && cur + ncp(c[i].p, c[i].len) <= width) {
            pfc__buf_add(&line, c[i].p, c[i].len);
            cur += ncp(c[i].p, c[i].len);
            last = c[i].len;
            i++;
        }
        if (i < n && ncp(c[i].p, c[i].len) > width) {
            /* _handle_long_word */
            space = width < 1 ? 1 : width - cur;
            end = cp_offset(c[i].p, c[i].len, space);
            for (hy = 0, k = 0; k < c[i].len && ncp(c[i].p, k) < space; k++) {
                if (c[i].p[k] == '-' && k > 0) {
                    hy = k;
                }
            }
            if (hy > 0 && strspn(c[i].p, "-") < hy) {
                end = hy + 1;
            }
            pfc__buf_add(&line, c[i].p, end);
            c[i].p += end;
            c[i].len -= end;
            last = end;
        }
        /* drop the last chunk if it is blank; an empty piece of a long
         * word counts as that chunk, so the space before it stays */
        if (last > 0 && line.len > 0 && line.p[line.len - 1] == ' ') {
            line.len--;
            line.p[line.len] = '\0';
        }
        if (line.len > 0) {
            emit(ud, line.p, line.len);
        }
        first = 0;
    }
    pfc__buf_free(&line);
    free(c);
}


typedef struct {
    FILE    *out;
    size_t   indent;        /* of the first line; later lines use pos */
    size_t   pos;
} help_lines;


static void
emit_line(void *ud, const char *s, size_t len)
{
    help_lines  *h = ud;

    fprintf(h->out, "%*s%.*s\n", (int) h->indent, "", (int) len, s);
    h->indent = h->pos;
}


/* Collapse whitespace runs to one space and strip, as argparse does. */
static char *
collapse(const char *s)
{
    pfc__buf  b = { 0 };

    while (*s == ' ' || (*s >= '\t' && *s <= '\r')) {
        s++;
    }
    for ( ; *s != '\0'; s++) {
        if (*s == ' ' || (*s >= '\t' && *s <= '\r')) {
            while (s[1] == ' ' || (s[1] >= '\t' && s[1] <= '\r')) {
                s++;
            }
            if (s[1] != '\0') {
                pfc__buf_putc(&b, ' ');
            }
            continue;
        }
        pfc__buf_putc(&b, *s);
    }
    return pfc__buf_take(&b);
}


/* "-b ADDRESS, --bind ADDRESS", "-D, --daemon", "--proxy-protocol [MODE]" */
static char *
invocation(int idx)
{
    const pfc_setting  *t;
    pfc__buf            b = { 0 };
    int                 j;

    if (idx < 0) {
        return pfc__strdup(idx == -1 ? "-h, --help" : "-v, --version");
    }
    t = &pfc_table[idx];
    for (j = 0; j < 3 && t->cli[j] != NULL; j++) {
        pfc__buf_puts(&b, j ? ", " : "");
        pfc__buf_puts(&b, t->cli[j]);
        if (t->action == PFC_ACT_OPTIONAL) {
            pfc__buf_printf(&b, " [%s]", t->metavar);
        } else if (t->metavar != NULL && t->action != PFC_ACT_TRUE
                   && t->action != PFC_ACT_CONST)
        {
            pfc__buf_printf(&b, " %s", t->metavar);
        }
    }
    return pfc__buf_take(&b);
}


static char *
help_text(int idx)
{
    pfc__default  d;
    pfc__buf      b = { 0 };
    char         *text;

    if (idx < 0) {
        return pfc__strdup(idx == -1 ? "show this help message and exit"
                           : "show program's version number and exit");
    }
    pfc__default_get(idx, &d);
    pfc__buf_printf(&b, "%s [", pfc_table[idx].desc);
    pfc__buf_pystr(&b, &d.v);
    pfc__buf_putc(&b, ']');
    pfc__default_free(&d);
    text = pfc__buf_take(&b);
    return text;
}


void
pfc_help(FILE *out, const char *prog, int columns)
{
    help_lines   h;
    size_t       width, maxpos, maxlen = 0, pos, hwidth, awidth, len;
    char        *inv, *text, *flat;
    int          i, k;

    width = columns > 2 ? (size_t) columns - 2 : 0;
    maxpos = width > 20 + 4 ? width - 20 : 4;
    maxpos = maxpos < 24 ? maxpos : 24;
    for (i = -2; i < PFC_NSETTINGS; i++) {
        if (i >= 0 && pfc_table[i].cli[0] == NULL) {
            continue;
        }
        inv = invocation(i);
        len = inv ? ncp(inv, strlen(inv)) + 2 : 0;
        maxlen = len > maxlen ? len : maxlen;
        free(inv);
    }
    pos = maxlen + 2 < maxpos ? maxlen + 2 : maxpos;
    hwidth = width > pos + 11 ? width - pos : 11;
    awidth = pos - 4;

    pfc_usage(out, prog);
    fprintf(out, "\noptions:\n");
    for (k = 0; k < PFC_NSETTINGS + 2; k++) {
        i = k < 2 ? -1 - k : k - 2;     /* -h, -v, then the table */
        if (i >= 0 && pfc_table[i].cli[0] == NULL) {
            continue;
        }
        inv = invocation(i);
        text = help_text(i);
        flat = text ? collapse(text) : NULL;
        if (inv == NULL || flat == NULL) {
            free(inv);
            free(text);
            free(flat);
            continue;
        }
        h.out = out;
        h.pos = pos;
        if (ncp(inv, strlen(inv)) <= awidth) {
            fprintf(out, "  %s%*s  ", inv,
                    (int) (awidth - ncp(inv, strlen(inv))), "");
            h.indent = 0;
        } else {
            fprintf(out, "  %s\n", inv);
            h.indent = pos;
        }
        wrap(flat, hwidth, emit_line, &h);
        free(inv);
        free(text);
        free(flat);
    }
    fflush(out);
}

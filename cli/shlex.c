/*
 * Python's shlex.split() (POSIX mode, whitespace_split, no comments),
 * which gunicorn applies to GUNICORN_CMD_ARGS: words split on blanks,
 * 'single quotes' literal, "double quotes" where a backslash escapes only
 * '"' and '\', a backslash outside quotes escapes any character, and
 * quotes may join inside a word (a"b c"d is one word).
 */
#include <string.h>

#include "internal.h"
#include "options.h"


static int
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}


int
pfc_shlex_split(const char *s, pfc_strlist *out, char *err, size_t errlen)
{
    pfc__buf  tok = { 0 };
    char      quote;
    int       r = -1;

    for ( ;; ) {
        while (is_blank(*s)) {
            s++;
        }
        if (*s == '\0') {
            r = 0;
            break;
        }
        tok.len = 0;
        pfc__buf_add(&tok, "", 0);
        while (*s != '\0' && !is_blank(*s)) {
            if (*s == '\\') {
                if (s[1] == '\0') {
                    pfc__err(err, errlen, "No escaped character");
                    goto done;
                }
                pfc__buf_putc(&tok, s[1]);
                s += 2;
                continue;
            }
            if (*s != '\'' && *s != '"') {
                pfc__buf_putc(&tok, *s++);
                continue;
            }
            quote = *s++;
            while (*s != quote) {
                if (*s == '\0') {
                    pfc__err(err, errlen, "No closing quotation");
                    goto done;
                }
                if (quote == '"' && *s == '\\') {
                    if (s[1] == '\0') {
                        pfc__err(err, errlen, "No escaped character");
                        goto done;
                    }
                    if (s[1] != '"' && s[1] != '\\') {
                        pfc__buf_putc(&tok, '\\');
                    }
                    pfc__buf_putc(&tok, s[1]);
                    s += 2;
                    continue;
                }
                pfc__buf_putc(&tok, *s++);
            }
            s++;
        }
        if (tok.oom) {
            pfc__err(err, errlen, "out of memory");
            goto done;
        }
        /* a word was started, so even "" is a word */
        if (pfc_strlist_push(out, tok.p) != 0) {
            pfc__err(err, errlen, "out of memory");
            goto done;
        }
    }

done:
    pfc__buf_free(&tok);
    return r;
}

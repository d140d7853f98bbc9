/*
 * Byte-class tables and small string helpers for lib/http.
 */
#include <string.h>

#include "chars.h"


/* RFC 9110 token: ALPHA DIGIT ! # $ % & ' * + - . ^ _ ` | ~ */
#define T1(c)  [c] = 1
const unsigned char pfh__tok[256] = {
    T1('!'), T1('#'), T1('$'), T1('%'), T1('&'), T1('\''), T1('*'), T1('+'),
    T1('-'), T1('.'), T1('^'), T1('`'), T1('|'), T1('~'), ['_'] = 2,
    T1('0'), T1('1'), T1('2'), T1('3'), T1('4'), T1('5'), T1('6'), T1('7'),
    T1('8'), T1('9'),
    T1('A'), T1('B'), T1('C'), T1('D'), T1('E'), T1('F'), T1('G'), T1('H'),
    T1('I'), T1('J'), T1('K'), T1('L'), T1('M'), T1('N'), T1('O'), T1('P'),
    T1('Q'), T1('R'), T1('S'), T1('T'), T1('U'), T1('V'), T1('W'), T1('X'),
    T1('Y'), T1('Z'),
    T1('a'), T1('b'), T1('c'), T1('d'), T1('e'), T1('f'), T1('g'), T1('h'),
    T1('i'), T1('j'), T1('k'), T1('l'), T1('m'), T1('n'), T1('o'), T1('p'),
    T1('q'), T1('r'), T1('s'), T1('t'), T1('u'), T1('v'), T1('w'), T1('x'),
    T1('y'), T1('z'),
};
#undef T1

#define R16(v)  v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
const unsigned char pfh__val[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,     /* HTAB only */
    R16(0),
    R16(1), R16(1), R16(1), R16(1), R16(1),
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,     /* DEL */
    R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1), R16(1),
};
#undef R16

#define L8(b)  b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7
const unsigned char pfh__lower[256] = {
    L8(0x00), L8(0x08), L8(0x10), L8(0x18), L8(0x20), L8(0x28), L8(0x30),
    L8(0x38),
    0x40, L8(0x61), L8(0x69), L8(0x71), 0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e,
    0x5f,
    L8(0x60), L8(0x68), L8(0x70), L8(0x78),
    L8(0x80), L8(0x88), L8(0x90), L8(0x98), L8(0xa0), L8(0xa8), L8(0xb0),
    L8(0xb8), L8(0xc0), L8(0xc8), L8(0xd0), L8(0xd8), L8(0xe0), L8(0xe8),
    L8(0xf0), L8(0xf8),
};
#undef L8


int
pfh__ieq2(const char *a, size_t an, const char *b, size_t bn)
{
    size_t  i;

    if (an != bn) {
        return 0;
    }
    for (i = 0; i < an; i++) {
        if (pfh__lower[(unsigned char) a[i]]
            != pfh__lower[(unsigned char) b[i]])
        {
            return 0;
        }
    }
    return 1;
}


int
pfh__in_list(const char *list, const char *s, size_t n)
{
    const char  *p, *e, *q;

    if (list == NULL) {
        return 0;
    }
    p = list;
    for ( ;; ) {
        e = strchr(p, ',');
        q = e ? e : p + strlen(p);
        while (p < q && (*p == ' ' || *p == '\t')) {
            p++;
        }
        while (q > p && (q[-1] == ' ' || q[-1] == '\t')) {
            q--;
        }
        if ((q - p == 1 && *p == '*') || pfh__ieq2(p, q - p, s, n)) {
            return 1;
        }
        if (e == NULL) {
            return 0;
        }
        p = e + 1;
    }
}


size_t
pfh__repr(char *out, size_t cap, const char *s, size_t n)
{
    static const char  hex[] = "0123456789abcdef";
    size_t             o, i;
    unsigned char      c;
    char               q;

    if (cap < 8) {
        if (cap) {
            out[0] = '\0';
        }
        return 0;
    }
    /* Python's repr(): double quotes when only single ones occur */
    q = memchr(s, '\'', n) != NULL && memchr(s, '"', n) == NULL ? '"' : '\'';
    o = 0;
    out[o++] = q;
    for (i = 0; i < n; i++) {
        if (o + 8 > cap) {
            out[o++] = '.';
            out[o++] = '.';
            out[o++] = '.';
            break;
        }
        c = (unsigned char) s[i];
        if (c == '\\' || c == (unsigned char) q) {
            out[o++] = '\\';
            out[o++] = (char) c;
        } else if (c == '\t') {
            out[o++] = '\\';
            out[o++] = 't';
        } else if (c == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else if (c == '\r') {
            out[o++] = '\\';
            out[o++] = 'r';
        } else if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        } else {
            out[o++] = (char) c;
        }
    }
    out[o++] = q;
    out[o] = '\0';
    return o;
}

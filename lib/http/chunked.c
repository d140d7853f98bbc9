/*
 * The chunked body decoder (RFC 9112 §7.1), in place, resumable at any
 * byte: every input byte is either body (moved to the front of buf) or
 * framing (remembered in the zero-initialised state), so the caller never
 * keeps undecoded bytes between calls.
 *
 * Rules (gunicorn 26.1's ChunkedReader, minus its defects): the size is
 * hex digits only (no sign, no '_', no OWS unless an extension follows),
 * extensions may not hold a bare CR (nor any other CTL: stricter), data is
 * followed by exactly CRLF, trailers obey the header-field rules with
 * Host/Content-Length/Transfer-Encoding/Trailer/Authorization/TE forbidden,
 * and a size that does not fit 63 bits is an error.
 */
#include <string.h>

#include "http.h"
#include "chars.h"

enum {
    C_SIZE0 = 0, C_SIZE, C_BWS, C_EXT, C_EXT_CR, C_SIZE_LF,
    C_DATA, C_DATA_CR, C_DATA_LF,
    C_TLINE, C_TNAME, C_TNAME_WS, C_TVAL, C_TVAL_LF, C_TEND_LF,
    C_DONE, C_ERROR
};

/* d->flags */
#define TF_UNDER   0x01u      /* current trailer name holds '_' */
#define TF_DROP    0x02u      /* current trailer field is not kept */
#define TF_CTYPE   0x04u      /* a Content-Type trailer was seen */
#define TF_FIELD   0x08u      /* a trailer field precedes (for obs-fold) */

#define MAX_HEADERS     32768
#define DEF_FIELD_SIZE  8190

static const char  *forbidden[] = {
    "host", "content-length", "transfer-encoding", "trailer",
    "authorization", "te",
};


static ssize_t
bad(pfh_chunked *d, int status, const char *error)
{
    d->state = C_ERROR;
    d->status = status;
    d->error = error;
    return -1;
}


static int
hexval(unsigned char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    ch |= 0x20;
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    return -1;
}


static void
capture(pfh_chunked *d, unsigned char ch)
{
    if (d->trailer_buf == NULL || (d->flags & TF_DROP)) {
        return;
    }
    if (d->trailer_len < d->trailer_cap) {
        d->trailer_buf[d->trailer_len++] = (char) ch;
    } else {
        d->trailer_truncated = 1;
    }
}


/* The trailer name is complete (at ':'): gunicorn's trailer policy. */
static ssize_t
trailer_name(pfh_chunked *d, const pfh_config *cfg)
{
    size_t  i;

    if (d->name_len < sizeof(d->name)) {
        for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
            if (strlen(forbidden[i]) == d->name_len
                && memcmp(forbidden[i], d->name, d->name_len) == 0)
            {
                return bad(d, 400, "Forbidden trailer field");
            }
        }
        if (d->name_len == 12 && memcmp(d->name, "content-type", 12) == 0) {
            if (d->flags & TF_CTYPE) {
                return bad(d, 400, "Duplicate Content-Type trailer");
            }
            d->flags |= TF_CTYPE;
        }
    }
    if (d->flags & TF_UNDER) {
        /* forwarder_headers never apply to trailers */
        if (cfg->header_map == PFH_HEADER_MAP_REFUSE) {
            return bad(d, 400, "Invalid trailer field name");
        }
        if (cfg->header_map == PFH_HEADER_MAP_DROP) {
            d->trailer_len = d->mark;
            d->flags |= TF_DROP;
        }
    }
    return 0;
}


ssize_t
pfh_decode_chunked(pfh_chunked *d, char *buf, size_t *len,
                   const pfh_config *cfg)
{
    size_t         i, out, n, inlen, field_size, nfields;
    unsigned char  ch;
    int            h;

    inlen = *len;
    i = out = 0;
    field_size = cfg->limit_request_field_size ? cfg->limit_request_field_size
                                               : DEF_FIELD_SIZE;
    nfields = cfg->limit_request_fields;
    if (nfields == 0 || nfields > MAX_HEADERS) {
        nfields = MAX_HEADERS;
    }

    while (i < inlen) {
        if (d->state == C_DATA) {
            n = inlen - i;
            if (n > d->remaining) {
                n = (size_t) d->remaining;
            }
            if (out != i) {
                memmove(buf + out, buf + i, n);
            }
            out += n;
            i += n;
            d->remaining -= n;
            if (d->remaining == 0) {
                d->state = C_DATA_CR;
            }
            continue;
        }

        ch = (unsigned char) buf[i++];

        switch (d->state) {

        case C_SIZE0:
            d->line = 0;
            h = hexval(ch);
            if (h < 0) {
                *len = out;
                return bad(d, 400, "Invalid chunk size");
            }
            d->remaining = (uint64_t) h;
            d->state = C_SIZE;
            break;

        case C_SIZE:
            h = hexval(ch);
            if (h >= 0) {
                if (d->remaining > (UINT64_MAX >> 5)) {
                    *len = out;
                    return bad(d, 400, "Chunk size too large");
                }
                d->remaining = (d->remaining << 4) | (uint64_t) h;
            } else if (ch == '\r') {
                d->state = C_SIZE_LF;
            } else if (ch == ';') {
                d->state = C_EXT;
            } else if (ch == ' ' || ch == '\t') {
                d->state = C_BWS;
            } else {
                *len = out;
                return bad(d, 400, "Invalid chunk size");
            }
            break;

        case C_BWS:
            if (ch == ';') {
                d->state = C_EXT;
            } else if (ch != ' ' && ch != '\t') {
                *len = out;
                return bad(d, 400, "Invalid chunk size");
            }
            break;

        case C_EXT:
            if (ch == '\r') {
                d->state = C_EXT_CR;
            } else if (!pfh__val[ch]) {
                *len = out;
                return bad(d, 400, "Invalid chunk extension");
            }
            break;

        case C_EXT_CR:
        case C_SIZE_LF:
            if (ch != '\n') {
                *len = out;
                return bad(d, 400, d->state == C_EXT_CR
                                   ? "Invalid chunk extension"
                                   : "Invalid chunk size");
            }
            if (d->remaining == 0) {
                d->state = C_TLINE;
            } else {
                d->state = C_DATA;
            }
            d->line = 0;
            break;

        case C_DATA_CR:
            if (ch != '\r') {
                *len = out;
                return bad(d, 400, "Chunk missing terminator");
            }
            d->state = C_DATA_LF;
            break;

        case C_DATA_LF:
            if (ch != '\n') {
                *len = out;
                return bad(d, 400, "Chunk missing terminator");
            }
            d->state = C_SIZE0;
            break;

        case C_TLINE:
            if (ch == '\r') {
                d->state = C_TEND_LF;
                break;
            }
            if (ch == ' ' || ch == '\t') {
                if (!(d->flags & TF_FIELD)) {
                    *len = out;
                    return bad(d, 400, "Invalid trailer field name");
                }
                if (!(cfg->flags & PFH_PERMIT_OBSOLETE_FOLDING)) {
                    *len = out;
                    return bad(d, 400, "Obsolete line folding");
                }
                capture(d, ch);
                d->line++;
                d->state = C_TVAL;
                break;
            }
            if (!pfh__tok[ch]) {
                *len = out;
                return bad(d, 400, "Invalid trailer field name");
            }
            if (d->trailer_fields >= nfields) {
                *len = out;
                return bad(d, 431, "Too many trailer fields");
            }
            d->trailer_fields++;
            d->flags = (d->flags & TF_CTYPE) | TF_FIELD;
            d->mark = d->trailer_len;
            d->line = 0;
            d->name_len = 0;
            /* fall through */

        case C_TNAME:
            if (ch == ':') {
                if (trailer_name(d, cfg) != 0) {
                    *len = out;
                    return -1;
                }
                d->state = C_TVAL;
            } else if (pfh__tok[ch]) {
                if (pfh__tok[ch] == 2) {
                    d->flags |= TF_UNDER;
                }
                if (d->name_len < sizeof(d->name)) {
                    d->name[d->name_len] = (char) pfh__lower[ch];
                }
                d->name_len++;
                d->state = C_TNAME;
            } else if ((ch == ' ' || ch == '\t')
                       && (cfg->flags & PFH_STRIP_HEADER_SPACES))
            {
                d->state = C_TNAME_WS;
            } else {
                *len = out;
                return bad(d, 400, "Invalid trailer field name");
            }
            capture(d, ch);
            d->line++;
            break;

        case C_TNAME_WS:
            if (ch == ':') {
                if (trailer_name(d, cfg) != 0) {
                    *len = out;
                    return -1;
                }
                d->state = C_TVAL;
            } else if (ch != ' ' && ch != '\t') {
                *len = out;
                return bad(d, 400, "Invalid trailer field name");
            }
            capture(d, ch);
            d->line++;
            break;

        case C_TVAL:
            if (ch == '\r') {
                d->state = C_TVAL_LF;
                break;
            }
            if (!pfh__val[ch]) {
                *len = out;
                return bad(d, 400, "Invalid trailer field value");
            }
            capture(d, ch);
            d->line++;
            break;

        case C_TVAL_LF:
            if (ch != '\n') {
                *len = out;
                return bad(d, 400, "Invalid trailer field value");
            }
            capture(d, '\r');
            capture(d, '\n');
            d->line += 2;
            d->trailer_bytes += d->line;
            d->state = C_TLINE;
            break;

        case C_TEND_LF:
            if (ch != '\n') {
                *len = out;
                return bad(d, 400, "Chunk missing terminator");
            }
            d->state = C_DONE;
            break;

        case C_DONE:
            i--;
            n = inlen - i;
            memmove(buf + out, buf + i, n);
            *len = out;
            return (ssize_t) n;

        default:
            *len = out;
            return bad(d, d->status ? d->status : 400,
                       d->error ? d->error : "Invalid chunked body");
        }

        if (d->state >= C_TNAME && d->state <= C_TVAL_LF
            && d->line + 2 > field_size)
        {
            *len = out;
            return bad(d, 431, "Trailer field too large");
        }
        if (d->state <= C_SIZE_LF && ++d->line > field_size) {
            *len = out;
            return bad(d, 400, "Chunk size line too long");
        }
    }

    if (d->state == C_DONE) {
        *len = out;
        return 0;
    }
    if (d->state == C_ERROR) {
        *len = out;
        return -1;
    }
    *len = out;
    return -2;
}

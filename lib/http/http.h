/*
 * lib/http: the HTTP/1.x layer (internal, not installed; no Python, no libev).
 *
 * The parser follows picohttpparser's contract: it is stateless, works on the
 * caller's buffer and returns
 *     n > 0   bytes consumed by the request head (request line + fields + CRLF)
 *     -1      invalid: req->status and req->error say why (HTTP status, text)
 *     -2      partial: call again with more bytes
 * Header name/value views point into the caller's buffer; headers[] capacity
 * goes in, the count comes out; last_len (bytes already seen by a previous
 * -2 call) lets a re-parse skip the scan for the end of the head.
 */
#ifndef PF_HTTP_H
#define PF_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Parser switches (gunicorn settings of the same names). */
#define PFH_PERMIT_UNCONVENTIONAL_METHOD   0x01u
#define PFH_PERMIT_UNCONVENTIONAL_VERSION  0x02u
#define PFH_CASEFOLD_METHOD                0x04u
#define PFH_PERMIT_OBSOLETE_FOLDING        0x08u
#define PFH_STRIP_HEADER_SPACES            0x10u

/* Names containing '_' (gunicorn header_map). */
enum { PFH_HEADER_MAP_DROP = 0, PFH_HEADER_MAP_REFUSE, PFH_HEADER_MAP_DANGEROUS };

typedef struct pfh_config {
    size_t        limit_request_line;    /* 4094; 0 = unlimited (8190 cap) */
    size_t        limit_request_fields;  /* 100; 0 or > 32768 -> 32768 */
    size_t        limit_request_field_size; /* 8190; 0 -> 8190 */
    unsigned      flags;                 /* PFH_* switches */
    int           header_map;            /* PFH_HEADER_MAP_* */
    const char   *forwarder_headers;     /* "SCRIPT_NAME,PATH_INFO" ("*" = any);
                                            underscore names kept from trusted
                                            peers */
} pfh_config;

/* Fill cfg with gunicorn's defaults. */
void pfh_config_init(pfh_config *cfg);

typedef struct pfh_header {
    const char   *name;                  /* as received (case preserved) */
    size_t        name_len;
    const char   *value;                 /* OWS trimmed (SP/HTAB only) */
    size_t        value_len;
} pfh_header;

enum { PFH_BODY_NONE = 0, PFH_BODY_LENGTH, PFH_BODY_CHUNKED };

typedef struct pfh_request {
    const char   *method;    size_t method_len;
    const char   *target;    size_t target_len;    /* raw request-target */
    const char   *path;      size_t path_len;      /* target split: path, */
    const char   *query;     size_t query_len;     /* query (no '?') and */
    const char   *fragment;  size_t fragment_len;  /* fragment (no '#') */
    int           version_major, version_minor;
    size_t        num_headers;                     /* kept fields */

    int           body;                            /* PFH_BODY_* */
    uint64_t      content_length;                  /* PFH_BODY_LENGTH */
    unsigned      keep_alive:1;       /* Connection list + version rules */
    unsigned      expect_continue:1;  /* 100-continue on HTTP/1.1 */
    unsigned      upgrade:1;          /* Connection: upgrade token present */
    unsigned      must_close:1;       /* framing forces close (e.g. gzip TE) */

    int           status;             /* on -1: 400, 414, 417, 431, 501, 505 */
    const char   *error;              /* on -1: static reason text */
    char          detail[128];        /* on -1: the offending token (copied) */
} pfh_request;

/* trusted: the peer is in forwarded_allow_ips (or a unix socket), which
 * decides whether underscore names in forwarder_headers are kept. */
int pfh_parse_request(const char *buf, size_t len, pfh_request *req,
                      pfh_header *headers, size_t max_headers,
                      size_t last_len, const pfh_config *cfg, int trusted);

/* Chunked body decoder.  Zero-initialise before the first call.  Decodes
 * in place: on return *len is the number of body bytes now at the start of
 * buf.  Returns -2 when more input is needed, -1 on a framing error
 * (d->error), or n >= 0 when the body and trailers are complete: n bytes of
 * the input after the body's end are left untouched at buf + *len (the next
 * pipelined request).  Trailer fields are validated (same rules as header
 * fields, Host/Content-Length/Transfer-Encoding/Trailer/Authorization/TE
 * forbidden) and discarded. */
typedef struct pfh_chunked {
    uint64_t      remaining;      /* bytes left in the current chunk */
    unsigned      state;
    size_t        line;           /* bytes of the current size/trailer line */
    size_t        trailer_bytes;
    size_t        trailer_fields;
    const char   *error;
} pfh_chunked;

ssize_t pfh_decode_chunked(pfh_chunked *d, char *buf, size_t *len,
                           const pfh_config *cfg);

/* PROXY protocol v1/v2 in front of the first request. */
enum { PFH_PROXY_NONE = 0, PFH_PROXY_V1 = 1, PFH_PROXY_V2 = 2, PFH_PROXY_AUTO = 3 };

typedef struct pfh_proxy {
    int           local;          /* v2 LOCAL / v1 UNKNOWN-less: keep peer */
    int           family;         /* AF_INET / AF_INET6 / AF_UNSPEC */
    char          src_addr[46];   /* textual */
    char          dst_addr[46];
    unsigned      src_port, dst_port;
    const char   *proto;          /* "TCP4", "TCP6", "LOCAL", "UNSPEC" */
} pfh_proxy;

/* mode: PFH_PROXY_V1/V2/AUTO.  Returns bytes consumed, 0 when buf does not
 * start with a PROXY header, -2 partial, -1 malformed (-> 400). */
int pfh_parse_proxy(const char *buf, size_t len, int mode, pfh_proxy *out);

/* Response head writer.  Writes the status line (echoing the request's
 * HTTP version), "Server", a cached "Date", "Connection", optionally
 * "Transfer-Encoding: chunked", then the app's headers in order with
 * hop-by-hop ones dropped.  Header names/values are validated: a CR, LF, NUL
 * or other CTL (bar HTAB in values) makes it fail with -1 so the caller can
 * answer 500 instead.  The head is built in buf; returns its length, or -1
 * (invalid header; *bad names it) or -2 (buf too small). */
typedef struct pfh_response {
    int           version_minor;  /* of the request: 0 or 1 */
    int           head_request;   /* HEAD: no body bytes on the wire */
    int           keep_alive;     /* in: what the request allows; out: final */
    int           chunked;        /* out: body must be chunk-encoded */
    int           has_length;     /* out: app gave Content-Length */
    uint64_t      content_length; /* out */
    int           status;         /* out: numeric status code */
    int           no_body;        /* out: HEAD, 1xx, 204, 304 */
} pfh_response;

ssize_t pfh_response_head(pfh_response *r, const char *status,
                          size_t status_len, const pfh_header *headers,
                          size_t n, char *buf, size_t cap,
                          const char **bad);

/* Chunk framing for a body piece: fills hdr (>= 20 bytes) with "%X\r\n"
 * and returns its length; the caller sends hdr, data, "\r\n". */
size_t pfh_chunk_header(char *hdr, size_t len);

/* The cached "Date: ..." value (RFC 1123, refreshed at most once a second). */
const char *pfh_date(size_t *len);

/* gunicorn's error page (§4.9) for status with message mesg (HTML-escaped):
 * full response bytes into buf; returns the length or -2 if cap is short. */
ssize_t pfh_error_page(int status, const char *mesg, char *buf, size_t cap);

#endif /* PF_HTTP_H */

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
#include <sys/socket.h>
#include <sys/uio.h>

/* Parser switches (gunicorn settings of the same names). */
#define PFH_PERMIT_UNCONVENTIONAL_METHOD   0x01u
#define PFH_PERMIT_UNCONVENTIONAL_VERSION  0x02u
#define PFH_CASEFOLD_METHOD                0x04u
#define PFH_PERMIT_OBSOLETE_FOLDING        0x08u
#define PFH_STRIP_HEADER_SPACES            0x10u

/* Names containing '_' (gunicorn header_map). */
enum {
    PFH_HEADER_MAP_DROP = 0,
    PFH_HEADER_MAP_REFUSE,
    PFH_HEADER_MAP_DANGEROUS
};

/* One secure_scheme_headers entry: a trusted peer's field `name` (matched
 * case-insensitively) means https when its value equals `value` exactly. */
typedef struct pfh_scheme_header {
    const char   *name;
    const char   *value;
} pfh_scheme_header;

typedef struct pfh_config {
    size_t        limit_request_line;    /* 4094; 0 = unlimited (8190 cap) */
    size_t        limit_request_fields;  /* 100; 0 or > 32768 -> 32768 */
    size_t        limit_request_field_size; /* 8190; 0 -> 8190 */
    unsigned      flags;                 /* PFH_* switches */
    int           header_map;            /* PFH_HEADER_MAP_* */
    const char   *forwarder_headers;     /* "SCRIPT_NAME,PATH_INFO" ("*" = any);
                                            underscore names kept from trusted
                                            peers */
    const pfh_scheme_header *secure_scheme_headers;  /* gunicorn's three */
    size_t        n_secure_scheme_headers;
} pfh_config;

/* Fill cfg with gunicorn's defaults. */
void pfh_config_init(pfh_config *cfg);

/* A field.  With PFH_PERMIT_OBSOLETE_FOLDING a continuation line comes back
 * as its own entry with name == NULL (picohttpparser's convention): join its
 * value to the previous one with a single space. */
typedef struct pfh_header {
    const char   *name;                  /* as received (case preserved) */
    size_t        name_len;
    const char   *value;                 /* OWS trimmed (SP/HTAB only) */
    size_t        value_len;
} pfh_header;

enum { PFH_BODY_NONE = 0, PFH_BODY_LENGTH, PFH_BODY_CHUNKED };

/* url_scheme set by a trusted peer's secure_scheme_headers (0: none seen). */
enum { PFH_SCHEME_NONE = 0, PFH_SCHEME_HTTP, PFH_SCHEME_HTTPS };

typedef struct pfh_request {
    const char   *method;    size_t method_len;    /* upper-cased copy in */
                                                   /* method_buf if casefold */
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
    int           url_scheme;         /* PFH_SCHEME_*, trusted peers only */

    int           status;             /* on -1: 400, 414, 417, 431, 501, 505 */
    const char   *error;              /* on -1: static reason text */
    char          detail[256];        /* on -1: gunicorn's error-page message
                                         ("Invalid Method '...'"), truncated */
    char          method_buf[64];     /* casefolded method lives here */
} pfh_request;

/* trusted: the peer is in forwarded_allow_ips (or a unix socket), which
 * decides whether underscore names in forwarder_headers are kept and whether
 * secure_scheme_headers count.  max_headers should cover
 * limit_request_fields (plus continuation lines): running out is a 431.
 * last_len must be 0 or the len of an earlier call on the same bytes that
 * returned -2 (the head cannot end before it).  A request line longer than
 * the limit is 414 when the target is what makes it long, else 400; a bad
 * version is 505; field limits 431; unknown transfer codings 501; an
 * Expect other than 100-continue 417; everything else 400. */
int pfh_parse_request(const char *buf, size_t len, pfh_request *req,
                      pfh_header *headers, size_t max_headers,
                      size_t last_len, const pfh_config *cfg, int trusted);

/* Chunked body decoder.  Zero-initialise before the first call.  Decodes
 * in place: on return *len is the number of body bytes now at the start of
 * buf.  Returns -2 when more input is needed (every input byte was used),
 * -1 on a framing error (d->status 400, or 431 for trailer limits;
 * d->error), or n >= 0 when the body and trailers are complete: n bytes of
 * the input after the body's end are moved to buf + *len (the next
 * pipelined request).  EOF while it still returns -2 is a framing error
 * (truncated body).  Trailer fields are validated (same rules as header
 * fields, Host/Content-Length/Transfer-Encoding/Trailer/Authorization/TE
 * forbidden) and discarded; set trailer_buf/trailer_cap to receive a copy
 * of the kept trailer lines ("Name: value\r\n"..., raw, trailer_len bytes;
 * trailer_truncated when they did not fit). */
typedef struct pfh_chunked {
    uint64_t      remaining;      /* bytes left in the current chunk */
    unsigned      state;
    size_t        line;           /* bytes of the current size/trailer line */
    size_t        trailer_bytes;
    size_t        trailer_fields;
    const char   *error;
    int           status;         /* on -1: 400 or 431 */

    char         *trailer_buf;    /* in, optional */
    size_t        trailer_cap;    /* in */
    size_t        trailer_len;    /* out */
    unsigned      trailer_truncated:1;

    /* private */
    unsigned      name_len;
    unsigned      flags;
    size_t        mark;
    char          name[24];
} pfh_chunked;

ssize_t pfh_decode_chunked(pfh_chunked *d, char *buf, size_t *len,
                           const pfh_config *cfg);

/* PROXY protocol v1/v2 in front of the first request. */
enum {
    PFH_PROXY_NONE = 0,
    PFH_PROXY_V1 = 1,
    PFH_PROXY_V2 = 2,
    PFH_PROXY_AUTO = 3
};

typedef struct pfh_proxy {
    int           local;          /* v2 LOCAL / UNSPEC: keep the real peer */
    int           family;         /* AF_INET / AF_INET6 / AF_UNSPEC */
    char          src_addr[46];   /* textual */
    char          dst_addr[46];
    unsigned      src_port, dst_port;
    const char   *proto;          /* "TCP4", "TCP6", "LOCAL", "UNSPEC" */
    int           status;         /* on -1: 400 malformed, 403 not allowed */
    const char   *error;          /* on -1: static reason text */
} pfh_proxy;

/* mode: PFH_PROXY_V1/V2/AUTO; allowed: the peer is in proxy_allow_ips (or a
 * unix socket).  Returns bytes consumed, 0 when buf does not start with a
 * PROXY header, -2 partial, -1 malformed (out->status 400) or a PROXY header
 * from a peer not allowed (403, decided as soon as the header is
 * recognised). */
int pfh_parse_proxy(const char *buf, size_t len, int mode, int allowed,
                    pfh_proxy *out);

/* An address allow list (forwarded_allow_ips, proxy_allow_ips):
 * comma-separated IPs, CIDR networks (host bits must be zero, as Python's
 * ip_network) and "*".  parse returns 0, or -1 with errno EINVAL (*bad
 * names the entry, if bad is not NULL) or ENOMEM; free it with
 * pfh_addrlist_free. */
typedef struct pfh_addrnet {
    int           family;         /* AF_INET / AF_INET6 */
    unsigned      prefix;
    uint8_t       addr[16];
} pfh_addrnet;

typedef struct pfh_addrlist {
    int           any;            /* "*" present */
    size_t        n;
    pfh_addrnet  *nets;
} pfh_addrlist;

int pfh_addrlist_parse(pfh_addrlist *l, const char *spec, const char **bad);
void pfh_addrlist_free(pfh_addrlist *l);

/* 1 when sa (AF_INET/AF_INET6) lies in the list, or is AF_UNIX (always
 * trusted, as gunicorn), else 0. */
int pfh_addrlist_match(const pfh_addrlist *l, const struct sockaddr *sa);

/* Response head writer.  Writes the status line (echoing the request's
 * HTTP version), "Server", a cached "Date", "Connection", optionally
 * "Transfer-Encoding: chunked", then the app's headers in order with
 * hop-by-hop ones dropped.  Header names/values are validated: a CR, LF, NUL
 * or other CTL (bar HTAB in values) makes it fail with -1 so the caller can
 * answer 500 instead.  The head is built in buf; returns its length, or -1
 * (invalid header, a status not starting with a 3-digit code, or a
 * Content-Length that is not digits or disagrees with another; *bad names
 * it) or -2 (buf too small).  Content-Length is dropped for 1xx and 204. */
typedef struct pfh_response {
    int           version_minor;  /* of the request: 0 or 1 */
    int           head_request;   /* HEAD: no body bytes on the wire */
    int           keep_alive;     /* in: what the request allows; out: final */
    const char   *server;         /* in: Server value, NULL = "gunicorn" */
    int           chunked;        /* out: body must be chunk-encoded */
    int           has_length;     /* out: app gave Content-Length */
    uint64_t      content_length; /* out */
    int           status;         /* out: the status's 3-digit code */
    int           no_body;        /* out: HEAD, 1xx, 204, 304 */
    int           upgrade;        /* out: app said Connection: upgrade */
    uint64_t      sent;           /* body bytes accounted by pfh_body_iov */
} pfh_response;

ssize_t pfh_response_head(pfh_response *r, const char *status,
                          size_t status_len, const pfh_header *headers,
                          size_t n, char *buf, size_t cap,
                          const char **bad);

/* Frame one body piece for writev after pfh_response_head: fills iov (room
 * for 3) with the chunk header (built in hdr, >= 20 bytes), the data capped
 * so the body never exceeds Content-Length and dropped on no-body responses,
 * and the chunk's CRLF; accounts it in r->sent.  Returns the iovec count
 * (0: nothing to send; empty pieces never end a chunked body). */
int pfh_body_iov(pfh_response *r, const void *data, size_t len,
                 char *hdr, struct iovec *iov);

/* The end of the body: "0\r\n\r\n" when chunked (returns 1), else 0. */
int pfh_body_end_iov(const pfh_response *r, struct iovec *iov);

/* Blocking helpers: write every iovec (retrying short writes and EINTR;
 * iov is advanced in place) / sendfile count bytes of fd from offset (EIO if
 * the file ends first).  0, or -1 with errno. */
int pfh_writev_all(int sock, struct iovec *iov, int n);
int pfh_sendfile_all(int sock, int fd, off_t offset, size_t count);

/* Chunk framing for a body piece: fills hdr (>= 20 bytes) with "%X\r\n"
 * and returns its length; the caller sends hdr, data, "\r\n". */
size_t pfh_chunk_header(char *hdr, size_t len);

/* The cached Date value (RFC 1123, "Sun, 06 Nov 1994 08:49:37 GMT"),
 * refreshed at most once a second; one time() call per call; per thread. */
const char *pfh_date(size_t *len);

/* What to send for Expect: 100-continue. */
#define PFH_100_CONTINUE  "HTTP/1.1 100 Continue\r\n\r\n"

/* gunicorn's error page (§4.9) for status with message mesg (HTML-escaped):
 * full response bytes into buf; returns the length or -2 if cap is short. */
ssize_t pfh_error_page(int status, const char *mesg, char *buf, size_t cap);

/* The reason phrase used by pfh_error_page ("Bad Request", ...). */
const char *pfh_reason(int status);

#endif /* PF_HTTP_H */

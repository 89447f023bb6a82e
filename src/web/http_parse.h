/* http_parse.h: pure, resumable HTTP/1.1 request parser (RFC 9112) and helpers.
 */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_HTTP_PARSE_H
#define BUZON_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "limits.h"

/* RFC 9110 9.3.  Methods are case-sensitive; any other token is
   HTTP_METHOD_OTHER (the server answers 501, RFC 9110 9.1). */
enum http_method {
	HTTP_METHOD_OTHER = 0,
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_PATCH,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_CONNECT /* never returned: refused with 501 */
};

/* RFC 9112 3.2.  Authority-form is only used by CONNECT, which is
   refused, so it never reaches a caller. */
enum http_target_form {
	HTTP_TARGET_ORIGIN,   /* "/path?query" */
	HTTP_TARGET_ABSOLUTE, /* "http://host/path?query" */
	HTTP_TARGET_ASTERISK  /* "*" (OPTIONS only) */
};

/* One field line.  name and value are NUL-terminated; value has no
   leading or trailing whitespace (RFC 9112 5: OWS is not part of it)
   and holds no NUL, CR or LF. */
struct http_header {
	const char *name;
	const char *value;
	size_t name_len, value_len;
};

/* A request's head, valid from the HTTP_EV_HEAD event until the next
   call to http_parse() after HTTP_EV_END (or http_parser_deinit()).
   All strings are NUL-terminated and owned by the parser. */
struct http_request {
	enum http_method method;
	const char *method_str; /* the method token as sent */
	enum http_target_form form;
	const char *target; /* the request-target as sent */
	/* The origin-form of the target: absolute path and query ("/" when
	   an absolute-form target had an empty path); "*" for asterisk-form.
	   Still percent-encoded: see http_parse_path(). */
	const char *path;
	/* The authority of an absolute-form target (RFC 9112 3.2.2: it wins
	   over Host), else the Host field value; "" when neither (HTTP/1.0
	   without Host, or an empty Host). */
	const char *host;
	unsigned version; /* 10 or 11 (HTTP/1.x with x > 1 is taken as 11,
			     RFC 9110 6.2) */
	const struct http_header *headers;
	unsigned nheaders;
	/* Body framing: chunked, else content_length octets (0: none). */
	bool chunked;
	uint64_t content_length;
	/* The connection may carry another request after this one
	   (RFC 9112 9.3: HTTP/1.1 unless "Connection: close"; HTTP/1.0 only
	   with "Connection: keep-alive" and no "close"). */
	bool keep_alive;
	/* "Expect: 100-continue" on an HTTP/1.1 request (RFC 9110 10.1.1:
	   ignored for HTTP/1.0): the server sends "100 Continue" before
	   reading the body, or a final status instead. */
	bool expect_continue;
	/* Trailer fields of a chunked body (RFC 9112 7.1.2), set at
	   HTTP_EV_END; none otherwise. */
	const struct http_header *trailers;
	unsigned ntrailers;
	/* Body octets delivered so far (decoded, without chunk framing). */
	uint64_t body_bytes;
};

/* Limits of one parser (defaults from src/lib/limits.h). */
struct http_parse_limits {
	size_t request_line_max;    /* octets with the line end, leading empty
				       lines included; more: 414 */
	size_t header_bytes_max;    /* octets of all field lines with their line
				       ends; more: 431 */
	unsigned headers_max;       /* field lines; more: 431 */
	uint64_t body_max;          /* decoded body octets; more: 413 */
	size_t chunk_line_max;      /* one chunk-size line with extensions */
	size_t chunk_ext_total_max; /* extension octets of all chunk lines */
	size_t trailer_bytes_max;   /* like header_bytes_max, for trailers */
	unsigned trailers_max;
};

extern const struct http_parse_limits http_parse_limits_default;

enum http_event_type {
	HTTP_EV_HEAD = 1, /* the request head is complete: p->req */
	HTTP_EV_BODY,     /* data/len: the next piece of the body */
	HTTP_EV_END       /* the request is complete (trailers set) */
};

struct http_event {
	enum http_event_type type;
	/* HTTP_EV_BODY: decoded body bytes, len > 0.  They point into the
	   input buf (already consumed from it) and stay valid until the
	   next write to that buf or the next call. */
	const uint8_t *data;
	size_t len;
};

/* Private: a growable byte store, and a field section kept in one. */
struct http_sbuf {
	char *s;
	size_t len, cap;
};
struct http_field_off;
struct http_fields {
	struct http_sbuf sb;
	struct http_field_off *offs; /* per field, offsets into sb */
	struct http_header *h;       /* built when the section ends */
	unsigned n, cap;
	size_t bytes; /* octets of the section's lines so far */
};

/* Parser state.  Only status, error and req are public. */
struct http_parser {
	/* After -1: the status code to answer (400, 413, 414, 417, 431,
	   501, 505) and a static reason text for logs. */
	int status;
	const char *error;
	/* Valid as described at struct http_request. */
	struct http_request req;

	struct http_parse_limits lim;
	int state;
	struct http_fields head; /* request line at offset 0, then fields */
	struct http_fields trl;  /* trailer section */
	struct http_sbuf cline;  /* the chunk-size line being read */
	size_t line_start;  /* offset in head.sb / trl.sb of the line read */
	size_t start_bytes; /* octets of empty lines before the request */
	size_t target_off, target_len; /* in head.sb */
	uint64_t left;    /* octets left in the body or the current chunk */
	size_t ext_total; /* chunk extension octets so far */
	bool cr_seen;     /* the CR after chunk data was read */
};

/* Prepare p with the given limits (copied; NULL: the defaults). */
void http_parser_init(struct http_parser *p,
		      const struct http_parse_limits *lim);
/* Free everything the parser holds; p->req is invalid afterwards. */
void http_parser_deinit(struct http_parser *p);

/* Consume bytes from in and return the next event of the request being
   read.  Each request gives HTTP_EV_HEAD, then HTTP_EV_BODY zero or more
   times, then HTTP_EV_END; the call after HTTP_EV_END starts the next
   request (pipelined bytes stay in in until then, so a caller that will
   close the connection simply stops calling).
   Returns 1 with *ev_r filled; 0 when all of in was consumed and more
   input is needed (state is kept, in any chunking); -1 when the request
   is bad: p->status is the status to answer and p->error says why.  The
   framing of the stream is lost then, so the caller answers with
   "Connection: close" and closes; every later call returns -1 again.
   Rules (RFC 9112 unless said):
   - lines end in CRLF; a bare LF is accepted as a line end in the
     request line and header fields (2.2 MAY), a bare CR anywhere in
     them is refused (2.2), as is NUL or another control byte;
   - empty lines before the request line are skipped (2.2), counted in
     request_line_max;
   - request-line = method SP request-target SP HTTP-version with single
     spaces (3); CONNECT (authority-form) 501, "*" other than with
     OPTIONS 400; a target holding bytes outside RFC 3986 or a '#' 400;
     HTTP/1.x only (505 for other major versions, 400 if malformed);
   - field lines: token name, ':' right after it (5.1: space before the
     colon 400), obs-fold 400 (5.2), whitespace before the first field
     400 (2.2); Host required once for 1.1, never twice, valid
     authority (3.2); Content-Length a list of equal decimal values
     (6.3 rule 5); Transfer-Encoding with Content-Length 400, in an
     HTTP/1.0 request 400 (6.1), chunked not last or repeated 400 (6.3
     rule 4), any other coding 501 (6.1); Expect other than
     100-continue 417 (RFC 9110 10.1.1);
   - chunked bodies: every chunk line, the CRLF after chunk data and the
     trailer lines need CRLF (no bare LF inside framing); chunk-size
     hex without overflow, extensions checked against their grammar
     (7.1.1) and bounded; trailers bounded like header fields. */
int http_parse(struct http_parser *p, struct buf *in, struct http_event *ev_r);

/* The first field named name (case-insensitive) at index >= from, or
   -1.  Works on headers or trailers (pass the array and its count). */
int http_parse_header_find(const struct http_header *h, unsigned n,
			   const char *name, unsigned from);

/* Split an origin-form target at the first '?': *path_len_r is the
   length of the path; *query_r points after the '?' (NUL-terminated if
   target is) or is NULL when there is no query. */
void http_parse_query_split(const char *target, size_t *path_len_r,
			    const char **query_r);

/* Percent-decode an absolute path (the part of an origin-form target
   before '?') into out (room for len + 1 octets) and remove dot
   segments (RFC 3986 5.2.4: "/a/./b/../c" -> "/a/c"; ".." never climbs
   above "/"), also those written as %2E.  Returns the length of out
   (NUL-terminated, starts with '/'), or -1 if path does not start with
   '/', holds a bad %-escape, or decodes to a control byte, '/' (an
   escaped '/' would make a segment boundary the caller cannot see) or
   '\\'. */
long http_parse_path(const char *path, size_t len, char *out);

/* Iterate over the name=value pairs of a query ("a=1&b=&c"): *s and *len
   are the unparsed rest and advance.  Returns 1 with the raw (still
   encoded) spans of the next non-empty pair (a pair without '=' has an
   empty value), 0 at the end. */
int http_parse_query_next(const char **s, size_t *len, const char **name_r,
			  size_t *name_len_r, const char **value_r,
			  size_t *value_len_r);

/* Decode an application/x-www-form-urlencoded name or value ('+' is a
   space, %XX an octet) into out (room for len + 1 octets, NUL added).
   Returns the decoded length, or -1 for a bad %-escape or a %00. */
long http_parse_form_decode(const char *s, size_t len, char *out);

/* Content codings the client accepts for a response. */
#define HTTP_ENC_GZIP 1u
#define HTTP_ENC_DEFLATE 2u

/* The codings of HTTP_ENC_* that the Accept-Encoding fields of a request
   allow (RFC 9110 12.5.3): a coding is acceptable if it is listed (gzip
   also as x-gzip, 8.4.1.3) with a qvalue above 0, or not listed while
   "*" is listed with a qvalue above 0; q=0 refuses.  Malformed members
   are ignored.  No field: 0 (identity is always acceptable). */
unsigned http_parse_accept_encoding(const struct http_request *req);

/* Credentials of "Authorization: Basic" (RFC 7617). */
struct http_basic_auth {
	char user[AUTH_USER_MAX + 1];
	char pass[AUTH_PASSWORD_MAX + 1];
};

/* Decode an Authorization field value "Basic <base64 user:pass>" (the
   scheme case-insensitive, RFC 9110 11.1) into *auth_r.  Returns 0, or
   -1 if the scheme is not Basic, the base64 is invalid (RFC 4648 strict),
   there is no ':', a part is too long for *auth_r, or a part holds a
   control byte (RFC 7617 2).  The caller clears *auth_r after use (it
   holds a password); on -1 it is cleared already. */
int http_parse_basic_auth(const char *value, size_t len,
			  struct http_basic_auth *auth_r);

/* Iterate over the cookie-pairs of a Cookie field value (RFC 6265 5.4,
   4.2.1: "a=1; b=2"): *s and *len are the unparsed rest and advance.
   Returns 1 with the next pair (the value without surrounding
   DQUOTEs), 0 at the end.  Pairs without '=' or with an empty name are
   skipped; OWS around pairs is ignored. */
int http_parse_cookie_next(const char **s, size_t *len, const char **name_r,
			   size_t *name_len_r, const char **value_r,
			   size_t *value_len_r);

/* The value of the first cookie named name (case-sensitive, RFC 6265
   5.4) in any Cookie field of req: returns 1 and sets *value_r and
   *value_len_r (pointing into req, not NUL-terminated), or 0. */
int http_parse_cookie_get(const struct http_request *req, const char *name,
			  const char **value_r, size_t *value_len_r);

#endif

/* http_parse.c: pure, resumable HTTP/1.1 request parser (RFC 9112) and helpers.
 */
/* SPDX-License-Identifier: MIT */
#include "web/http_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "log.h"
#include "xalloc.h"

const struct http_parse_limits http_parse_limits_default = {
    .request_line_max = HTTP_REQUEST_LINE_MAX,
    .header_bytes_max = HTTP_HEADER_BYTES_MAX,
    .headers_max = HTTP_HEADERS_MAX,
    .body_max = HTTP_BODY_MAX,
    .chunk_line_max = HTTP_CHUNK_LINE_MAX,
    .chunk_ext_total_max = HTTP_CHUNK_EXT_TOTAL_MAX,
    .trailer_bytes_max = HTTP_TRAILER_BYTES_MAX,
    .trailers_max = HTTP_TRAILERS_MAX,
};

/* A field line while its section is read: offsets into the store, which
   may move as it grows. */
struct http_field_off {
	size_t name, name_len, value, value_len;
};

enum http_state {
	HTTP_ST_START = 0, /* request line (empty lines skipped) */
	HTTP_ST_FIELDS,    /* header field lines */
	HTTP_ST_BODY,      /* Content-Length body */
	HTTP_ST_CHUNK_LINE,
	HTTP_ST_CHUNK_DATA,
	HTTP_ST_CHUNK_CRLF,
	HTTP_ST_TRAILERS,
	HTTP_ST_END,  /* HTTP_EV_END is next */
	HTTP_ST_DONE, /* HTTP_EV_END was returned */
	HTTP_ST_ERROR
};

static const struct {
	const char *name;
	enum http_method method;
} http_methods[] = {
    {"GET", HTTP_METHOD_GET},         {"HEAD", HTTP_METHOD_HEAD},
    {"POST", HTTP_METHOD_POST},       {"PUT", HTTP_METHOD_PUT},
    {"DELETE", HTTP_METHOD_DELETE},   {"OPTIONS", HTTP_METHOD_OPTIONS},
    {"PATCH", HTTP_METHOD_PATCH},     {"TRACE", HTTP_METHOD_TRACE},
    {"CONNECT", HTTP_METHOD_CONNECT},
};

/* ---- character classes ---- */

/* RFC 9110 5.6.2: tchar. */
static bool
http_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 3986 2.3 unreserved and 2.2 sub-delims. */
static bool
http_is_unreserved_or_sub(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-._~!$&'()*+,;=", c) != NULL;
}

static int
http_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
http_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Octets of the token at s[0..n), 0 if none. */
static size_t
http_token_len(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && http_is_tchar((unsigned char)s[i]))
		i++;
	return i;
}

/* Octets of the quoted-string at s[0..n) (RFC 9110 5.6.4), 0 if s does
   not start with a valid one. */
static size_t
http_quoted_len(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] != '"')
		return 0;
	for (i = 1; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"')
			return i + 1;
		if (c == '\\') {
			if (++i == n)
				return 0;
			c = (unsigned char)s[i];
			/* quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) */
			if (c != '\t' && (c < 0x20 || c == 0x7f))
				return 0;
		} else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
			return 0;
		}
	}
	return 0;
}

static size_t
http_skip_ows(const char *s, size_t i, size_t n)
{
	while (i < n && http_is_ows(s[i]))
		i++;
	return i;
}

/* Next element of a comma-separated list (RFC 9110 5.6.1), OWS trimmed;
   empty elements are skipped as the RFC asks of recipients.  Commas
   inside quoted strings do not split.  Returns 1 with the element, 0 at
   the end. */
static int
http_list_next(const char **s, size_t *len, const char **e_r, size_t *elen_r)
{
	const char *p = *s;
	size_t n = *len;

	while (n > 0) {
		size_t i = 0, end;
		bool quoted = false;

		for (; i < n; i++) {
			if (quoted && p[i] == '\\' && i + 1 < n)
				i++;
			else if (p[i] == '"')
				quoted = !quoted;
			else if (!quoted && p[i] == ',')
				break;
		}
		end = i;
		*s = p + (i < n ? i + 1 : n);
		*len = i < n ? n - i - 1 : 0;
		i = http_skip_ows(p, 0, end);
		while (end > i && http_is_ows(p[end - 1]))
			end--;
		if (end > i) {
			*e_r = p + i;
			*elen_r = end - i;
			return 1;
		}
		p = *s;
		n = *len;
	}
	return 0;
}

/* Parse a list member "token *( OWS ";" OWS token "=" ( token /
   quoted-string ) )" (transfer-coding, RFC 9112 7; codings with a
   weight, RFC 9110 12.5.3).  Returns the length of the leading token and
   sets *nparams and the value of a "q" parameter (*q_r NULL if none),
   or returns 0 if the member is malformed. */
static size_t
http_member_parse(const char *s, size_t n, unsigned *nparams, const char **q_r,
		  size_t *qlen_r)
{
	size_t name_len = http_token_len(s, n), i = name_len;

	*nparams = 0;
	*q_r = NULL;
	*qlen_r = 0;
	if (name_len == 0)
		return 0;
	for (;;) {
		size_t pn, pv, pstart;

		i = http_skip_ows(s, i, n);
		if (i == n)
			return name_len;
		if (s[i] != ';')
			return 0;
		i = http_skip_ows(s, i + 1, n);
		pstart = i;
		pn = http_token_len(s + i, n - i);
		if (pn == 0 || i + pn >= n || s[i + pn] != '=')
			return 0;
		i += pn + 1;
		pv = http_token_len(s + i, n - i);
		if (pv == 0)
			pv = http_quoted_len(s + i, n - i);
		if (pv == 0)
			return 0;
		if (pn == 1 && (s[pstart] == 'q' || s[pstart] == 'Q')) {
			*q_r = s + i;
			*qlen_r = pv;
		}
		i += pv;
		(*nparams)++;
	}
}

static bool
http_span_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* ---- stores ---- */

static void
http_sbuf_reserve(struct http_sbuf *sb, size_t more)
{
	size_t cap;

	if (sb->len + more <= sb->cap)
		return;
	cap = sb->cap < 256 ? 256 : sb->cap;
	while (cap < sb->len + more)
		cap *= 2;
	sb->s = xrealloc(sb->s, cap);
	sb->cap = cap;
}

static void
http_sbuf_append(struct http_sbuf *sb, const void *data, size_t n)
{
	http_sbuf_reserve(sb, n);
	memcpy(sb->s + sb->len, data, n);
	sb->len += n;
}

static void
http_fields_free(struct http_fields *f)
{
	free(f->sb.s);
	free(f->offs);
	free(f->h);
	memset(f, 0, sizeof(*f));
}

static void
http_fields_clear(struct http_fields *f)
{
	f->sb.len = 0;
	f->n = 0;
	f->bytes = 0;
}

/* Point f->h at the stored fields (once the store stops moving). */
static void
http_fields_build(struct http_fields *f)
{
	unsigned i;

	if (f->n == 0)
		return;
	f->h = xrealloc(f->h, f->cap * sizeof(*f->h));
	for (i = 0; i < f->n; i++) {
		f->h[i].name = f->sb.s + f->offs[i].name;
		f->h[i].name_len = f->offs[i].name_len;
		f->h[i].value = f->sb.s + f->offs[i].value;
		f->h[i].value_len = f->offs[i].value_len;
	}
}

/* ---- parser ---- */

void
http_parser_init(struct http_parser *p, const struct http_parse_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = lim != NULL ? *lim : http_parse_limits_default;
	ASSERT(p->lim.request_line_max > 0 && p->lim.chunk_line_max > 0);
	p->state = HTTP_ST_START;
}

void
http_parser_deinit(struct http_parser *p)
{
	http_fields_free(&p->head);
	http_fields_free(&p->trl);
	free(p->cline.s);
	memset(p, 0, sizeof(*p));
}

/* Forget the request just finished; the stores keep their memory. */
static void
http_parser_next_request(struct http_parser *p)
{
	http_fields_clear(&p->head);
	http_fields_clear(&p->trl);
	p->cline.len = 0;
	memset(&p->req, 0, sizeof(p->req));
	p->line_start = 0;
	p->start_bytes = 0;
	p->left = 0;
	p->ext_total = 0;
	p->cr_seen = false;
	p->state = HTTP_ST_START;
}

static int
http_fail(struct http_parser *p, int status, const char *error)
{
	p->status = status;
	p->error = error;
	p->state = HTTP_ST_ERROR;
	p->req.keep_alive = false;
	return -1;
}

/* Move the bytes of the current line, up to and including its LF, from
   in to sb (the line started at sb offset line_start).  max bounds the
   line with its LF.  Returns 1 when the LF was taken, 0 when in ran
   out first, -1 once the line is longer than max (whatever the
   chunking, the same line fails). */
static int
http_take_line(struct http_sbuf *sb, size_t line_start, struct buf *in,
	       size_t max)
{
	const uint8_t *s = buf_rptr(in);
	size_t n = buf_len(in), cur = sb->len - line_start, take;
	const uint8_t *lf;

	if (n == 0)
		return 0;
	lf = memchr(s, '\n', n);
	take = lf != NULL ? (size_t)(lf - s) + 1 : n;
	if (cur + take > max)
		return -1;
	http_sbuf_append(sb, s, take);
	buf_consume(in, take);
	return lf != NULL;
}

/* The line just taken (sb from line_start, its LF last): drop the line
   end, NUL-terminating the content in its place, and check the content.
   *len_r is the content length, *crlf_r whether a CR came before the LF.
   Returns NULL, or the reason the line is bad: RFC 9112 2.2 (a bare CR
   is invalid) and 5.5 (no NUL or other control byte but HTAB in field
   values; none at all where tab is false). */
static const char *
http_line_finish(struct http_sbuf *sb, size_t line_start, bool tab,
		 size_t *len_r, bool *crlf_r)
{
	char *s = sb->s + line_start;
	size_t n = sb->len - line_start - 1, i;

	*crlf_r = n > 0 && s[n - 1] == '\r';
	if (*crlf_r)
		n--;
	s[n] = '\0';
	*len_r = n;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			return "Bare CR";
		if (c == '\0')
			return "NUL in request head";
		if ((c < 0x20 && !(tab && c == '\t')) || c == 0x7f)
			return "Control character in request head";
	}
	return NULL;
}

/* RFC 3986 3.2.2 host [ ":" port ] (RFC 9110 7.2 Host, 4.2.1 authority
   without userinfo).  An empty host is allowed where empty_ok. */
static bool
http_authority_valid(const char *s, size_t n, bool empty_ok)
{
	size_t i = 0, digits;

	if (n > 0 && s[0] == '[') {
		/* IP-literal: IPv6address (IPvFuture is refused). */
		for (i = 1; i < n && s[i] != ']'; i++)
			if (http_hex((unsigned char)s[i]) < 0 && s[i] != ':' &&
			    s[i] != '.')
				return false;
		if (i == n || i == 1)
			return false;
		i++;
	} else {
		while (i < n && s[i] != ':') {
			if (s[i] == '%') {
				if (i + 2 >= n ||
				    http_hex((unsigned char)s[i + 1]) < 0 ||
				    http_hex((unsigned char)s[i + 2]) < 0)
					return false;
				i += 3;
				continue;
			}
			if (!http_is_unreserved_or_sub((unsigned char)s[i]))
				return false;
			i++;
		}
		if (i == 0 && !empty_ok)
			return false;
	}
	if (i == n)
		return true;
	if (s[i] != ':')
		return false;
	/* port = *DIGIT (RFC 3986 3.2.3), at most 65535. */
	for (digits = 0, i++; i < n; i++, digits++)
		if (s[i] < '0' || s[i] > '9' || digits == 5)
			return false;
	return digits < 5 || strncmp(s + n - 5, "65535", 5) <= 0;
}

/* RFC 3986 3.3/3.4: path and query octets (pchar, "/", "?", with valid
   %-escapes).  No '#': a fragment is never sent (RFC 9110 4.2.4). */
static bool
http_path_query_valid(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n ||
			    http_hex((unsigned char)s[i + 1]) < 0 ||
			    http_hex((unsigned char)s[i + 2]) < 0)
				return false;
			i += 2;
		} else if (!http_is_unreserved_or_sub(c) && c != ':' &&
			   c != '@' && c != '/' && c != '?') {
			return false;
		}
	}
	return true;
}

/* Parse the request line at head.sb offset 0 (NUL-terminated, len
   octets): RFC 9112 3. */
static int
http_request_line(struct http_parser *p, size_t len)
{
	char *s = p->head.sb.s;
	char *sp1 = memchr(s, ' ', len), *sp2, *t, *v;
	size_t mlen, tlen, vlen, i;

	if (sp1 == NULL ||
	    (sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - s))) == NULL)
		return http_fail(p, 400, "Malformed request line");
	mlen = (size_t)(sp1 - s);
	t = sp1 + 1;
	tlen = (size_t)(sp2 - t);
	v = sp2 + 1;
	vlen = len - (size_t)(v - s);
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive (2.3). */
	if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' ||
	    v[5] > '9' || v[6] != '.' || v[7] < '0' || v[7] > '9')
		return http_fail(p, 400, "Malformed HTTP version");
	if (v[5] != '1')
		return http_fail(p, 505, "HTTP version not supported");
	/* RFC 9110 6.2: a higher minor version is processed as the highest
	   one implemented. */
	p->req.version = v[7] == '0' ? 10 : 11;
	if (mlen == 0 || http_token_len(s, mlen) != mlen)
		return http_fail(p, 400, "Malformed method");
	p->req.method = HTTP_METHOD_OTHER;
	for (i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++)
		if (strlen(http_methods[i].name) == mlen &&
		    memcmp(http_methods[i].name, s, mlen) == 0)
			p->req.method = http_methods[i].method;
	/* CONNECT asks for a tunnel (RFC 9110 9.3.6): not offered. */
	if (p->req.method == HTTP_METHOD_CONNECT)
		return http_fail(p, 501, "CONNECT not implemented");
	*sp1 = '\0';
	*sp2 = '\0';
	p->target_off = (size_t)(t - s);
	p->target_len = tlen;
	if (tlen == 0)
		return http_fail(p, 400, "Empty request target");
	if (tlen == 1 && t[0] == '*') {
		/* 3.2.4: asterisk-form is only for server-wide OPTIONS. */
		if (p->req.method != HTTP_METHOD_OPTIONS)
			return http_fail(p, 400, "'*' target without OPTIONS");
		p->req.form = HTTP_TARGET_ASTERISK;
		return 0;
	}
	if (t[0] == '/') {
		p->req.form = HTTP_TARGET_ORIGIN;
		if (!http_path_query_valid(t, tlen))
			return http_fail(p, 400, "Bad request target");
		return 0;
	}
	/* 3.2.2: absolute-form, "http" or "https" URIs only (RFC 9110
	   4.2); 4.2.1: the host must not be empty; 4.2.4: no userinfo. */
	p->req.form = HTTP_TARGET_ABSOLUTE;
	if (tlen > 7 && strncasecmp(t, "http://", 7) == 0)
		i = 7;
	else if (tlen > 8 && strncasecmp(t, "https://", 8) == 0)
		i = 8;
	else
		return http_fail(p, 400, "Bad request target");
	{
		size_t a = i;

		while (i < tlen && t[i] != '/' && t[i] != '?')
			i++;
		if (!http_authority_valid(t + a, i - a, false) ||
		    !http_path_query_valid(t + i, tlen - i))
			return http_fail(p, 400, "Bad request target");
	}
	return 0;
}

/* Record one field line (NUL-terminated at len) of section f. */
static int
http_field_line(struct http_parser *p, struct http_fields *f, size_t start,
		size_t len, unsigned max, int too_many)
{
	char *s = f->sb.s + start;
	size_t nl, v, e;

	/* 2.2 / 5.2: whitespace before the first field, and obs-fold, are
	   refused rather than unfolded or dropped. */
	if (http_is_ows(s[0]))
		return http_fail(p, 400,
				 f->n == 0 ? "Whitespace before fields"
					   : "Obsolete line folding");
	nl = http_token_len(s, len);
	if (nl < len && http_is_ows(s[nl]))
		/* 5.1: no whitespace between field name and colon. */
		return http_fail(p, 400, "Whitespace before colon");
	if (nl == 0 || nl == len || s[nl] != ':')
		return http_fail(p, 400, "Malformed header field");
	if (f->n >= max)
		return http_fail(p, too_many, "Too many header fields");
	v = http_skip_ows(s, nl + 1, len);
	e = len;
	while (e > v && http_is_ows(s[e - 1]))
		e--;
	s[nl] = '\0';
	s[e] = '\0';
	if (f->n == f->cap) {
		f->cap = f->cap == 0 ? 16 : 2 * f->cap;
		if (f->cap > max)
			f->cap = max;
		f->offs = xrealloc(f->offs, f->cap * sizeof(*f->offs));
	}
	f->offs[f->n].name = start;
	f->offs[f->n].name_len = nl;
	f->offs[f->n].value = start + v;
	f->offs[f->n].value_len = e - v;
	f->n++;
	return 0;
}

/* Content-Length (RFC 9110 8.6, RFC 9112 6.3 rule 5): a list (5.6.1)
   whose members, on every line, are the same 1*DIGIT value. */
static int
http_content_length(struct http_parser *p, const struct http_header *h,
		    bool *seen)
{
	const char *s = h->value, *e;
	size_t n = h->value_len, el, i;
	bool any = false;

	while (http_list_next(&s, &n, &e, &el) > 0) {
		uint64_t v = 0;

		for (i = 0; i < el; i++) {
			if (e[i] < '0' || e[i] > '9')
				return http_fail(p, 400, "Bad Content-Length");
			if (v > (UINT64_MAX - (uint64_t)(e[i] - '0')) / 10)
				return http_fail(p, 400,
						 "Content-Length overflow");
			v = v * 10 + (uint64_t)(e[i] - '0');
		}
		if (*seen && v != p->req.content_length)
			return http_fail(p, 400, "Conflicting Content-Length");
		*seen = any = true;
		p->req.content_length = v;
	}
	if (!any)
		return http_fail(p, 400, "Bad Content-Length");
	return 0;
}

/* Transfer-Encoding (RFC 9112 6.1, 6.3 rule 4, 7): the codings of all
   lines in order; chunked must be last, once, without parameters. */
static int
http_transfer_encoding(struct http_parser *p, bool *chunked_last, bool *other)
{
	unsigned i;

	for (i = 0; i < p->head.n; i++) {
		const struct http_header *h = &p->head.h[i];
		const char *s = h->value, *e, *q;
		size_t n = h->value_len, el, nl, ql;
		unsigned np;

		if (strcasecmp(h->name, "Transfer-Encoding") != 0)
			continue;
		while (http_list_next(&s, &n, &e, &el) > 0) {
			nl = http_member_parse(e, el, &np, &q, &ql);
			if (nl == 0)
				return http_fail(p, 400,
						 "Bad Transfer-Encoding");
			/* 7: chunked is applied once, and last (6.3). */
			if (*chunked_last)
				return http_fail(
				    p, 400,
				    http_span_eq(e, nl, "chunked")
					? "Chunked applied twice"
					: "Chunked is not the final transfer "
					  "coding");
			if (http_span_eq(e, nl, "chunked")) {
				if (np > 0)
					return http_fail(
					    p, 400, "Bad Transfer-Encoding");
				*chunked_last = true;
			} else {
				*other = true;
			}
		}
	}
	return 0;
}

/* Connection options (RFC 9110 7.6.1) and Expect (10.1.1). */
static int
http_connection_expect(struct http_parser *p, const struct http_header *h,
		       bool *close, bool *ka)
{
	const char *s = h->value, *e;
	size_t n = h->value_len, el;
	bool conn = strcasecmp(h->name, "Connection") == 0;

	if (!conn && strcasecmp(h->name, "Expect") != 0)
		return 0;
	while (http_list_next(&s, &n, &e, &el) > 0) {
		if (conn) {
			if (http_span_eq(e, el, "close"))
				*close = true;
			else if (http_span_eq(e, el, "keep-alive"))
				*ka = true;
		} else if (p->req.version == 10) {
			/* 10.1.1: ignored in HTTP/1.0 requests. */
		} else if (http_span_eq(e, el, "100-continue")) {
			p->req.expect_continue = true;
		} else {
			return http_fail(p, 417, "Expectation not supported");
		}
	}
	return 0;
}

/* The header section ended: check the fields that matter to framing
   and routing, and fill p->req. */
static int
http_head_finish(struct http_parser *p)
{
	struct http_fields *f = &p->head;
	unsigned i, hosts = 0;
	int host_idx = -1;
	bool cl = false, te = false, chunked_last = false, other = false;
	bool close = false, ka = false;
	size_t path_off = 0, host_off = 0;
	const char *t;

	http_fields_build(f);
	for (i = 0; i < f->n; i++) {
		const struct http_header *h = &f->h[i];

		if (strcasecmp(h->name, "Host") == 0) {
			/* RFC 9112 3.2: exactly one, and valid. */
			if (++hosts > 1)
				return http_fail(p, 400, "More than one Host");
			if (!http_authority_valid(h->value, h->value_len, true))
				return http_fail(p, 400, "Bad Host");
			host_idx = (int)i;
		} else if (strcasecmp(h->name, "Content-Length") == 0) {
			if (http_content_length(p, h, &cl) < 0)
				return -1;
		} else if (strcasecmp(h->name, "Transfer-Encoding") == 0) {
			te = true;
		} else if (http_connection_expect(p, h, &close, &ka) < 0) {
			return -1;
		}
	}
	if (hosts == 0 && p->req.version == 11)
		return http_fail(p, 400, "Missing Host");
	if (te) {
		/* 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty
		   framing; 6.3 rule 3: with Content-Length it may be a
		   smuggling attempt.  Both are refused. */
		if (p->req.version == 10)
			return http_fail(p, 400,
					 "Transfer-Encoding in HTTP/1.0");
		if (cl)
			return http_fail(
			    p, 400, "Content-Length with Transfer-Encoding");
		if (http_transfer_encoding(p, &chunked_last, &other) < 0)
			return -1;
		/* 6.3 rule 4: the length cannot be known without a final
		   chunked; 6.1: other codings are not understood. */
		if (!chunked_last)
			return http_fail(p, 400,
					 "Chunked is not the final transfer "
					 "coding");
		if (other)
			return http_fail(p, 501,
					 "Transfer coding not implemented");
		p->req.chunked = true;
	} else if (p->req.content_length > p->lim.body_max) {
		return http_fail(p, 413, "Content-Length too large");
	}
	/* 9.3: persistence. */
	p->req.keep_alive = !close && (p->req.version == 11 || ka);
	/* Derived strings go after the fields, then nothing moves. */
	t = f->sb.s + p->target_off;
	if (p->req.form == HTTP_TARGET_ABSOLUTE) {
		size_t a = (size_t)(strstr(t, "://") - t) + 3, e = a, tl;

		while (e < p->target_len && t[e] != '/' && t[e] != '?')
			e++;
		tl = p->target_len;
		host_off = f->sb.len;
		http_sbuf_reserve(&f->sb, (e - a) + 1 + (tl - e) + 2);
		t = f->sb.s + p->target_off;
		http_sbuf_append(&f->sb, t + a, e - a);
		http_sbuf_append(&f->sb, "", 1);
		path_off = f->sb.len;
		/* An empty path is sent as "/" in origin-form (3.2.1). */
		if (e == tl || t[e] != '/')
			http_sbuf_append(&f->sb, "/", 1);
		http_sbuf_append(&f->sb, t + e, tl - e);
		http_sbuf_append(&f->sb, "", 1);
	}
	http_fields_build(f);
	p->req.method_str = f->sb.s;
	p->req.target = f->sb.s + p->target_off;
	p->req.headers = f->n > 0 ? f->h : NULL;
	p->req.nheaders = f->n;
	if (p->req.form == HTTP_TARGET_ABSOLUTE) {
		/* 3.2.2: the target's authority wins over Host. */
		p->req.host = f->sb.s + host_off;
		p->req.path = f->sb.s + path_off;
	} else {
		p->req.host = host_idx >= 0 ? f->h[host_idx].value : "";
		p->req.path = p->req.target;
	}
	return 0;
}

/* RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name
   [ BWS "=" BWS chunk-ext-val ] ), val = token / quoted-string. */
static bool
http_chunk_ext_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	for (;;) {
		/* Whitespace only before a ';' (BWS), never trailing. */
		if (i == n)
			return true;
		i = http_skip_ows(s, i, n);
		if (i == n || s[i] != ';')
			return false;
		i = http_skip_ows(s, i + 1, n);
		k = http_token_len(s + i, n - i);
		if (k == 0)
			return false;
		i = http_skip_ows(s, i + k, n);
		if (i < n && s[i] == '=') {
			i = http_skip_ows(s, i + 1, n);
			k = http_token_len(s + i, n - i);
			if (k == 0)
				k = http_quoted_len(s + i, n - i);
			if (k == 0)
				return false;
			i += k;
		}
	}
}

/* A chunk-size line was taken into p->cline (RFC 9112 7.1). */
static int
http_chunk_line(struct http_parser *p)
{
	const char *s = p->cline.s;
	size_t n = p->cline.len - 1, i;
	uint64_t size = 0;

	/* No bare LF inside chunked framing: a lenient reader here is what
	   lets two parsers disagree on where a body ends. */
	if (n == 0 || s[n - 1] != '\r')
		return http_fail(p, 400, "Chunk line not ended by CRLF");
	n--;
	for (i = 0; i < n && http_hex((unsigned char)s[i]) >= 0; i++) {
		if (size > (UINT64_MAX >> 4))
			return http_fail(p, 400, "Chunk size overflow");
		size = (size << 4) | (uint64_t)http_hex((unsigned char)s[i]);
	}
	if (i == 0)
		return http_fail(p, 400, "Bad chunk size");
	if (n - i > p->lim.chunk_ext_total_max - p->ext_total)
		return http_fail(p, 400, "Chunk extensions too long");
	p->ext_total += n - i;
	if (!http_chunk_ext_valid(s + i, n - i))
		return http_fail(p, 400, "Bad chunk extension");
	p->cline.len = 0;
	if (size == 0) {
		p->state = HTTP_ST_TRAILERS;
		p->line_start = 0;
		return 0;
	}
	if (size > p->lim.body_max - p->req.body_bytes)
		return http_fail(p, 413, "Request body too large");
	p->left = size;
	p->state = HTTP_ST_CHUNK_DATA;
	return 0;
}

/* Deliver up to p->left body octets from in. */
static int
http_body_piece(struct http_parser *p, struct buf *in, struct http_event *ev)
{
	size_t n = buf_len(in);

	if ((uint64_t)n > p->left)
		n = (size_t)p->left;
	ev->type = HTTP_EV_BODY;
	ev->data = buf_rptr(in);
	ev->len = n;
	buf_consume(in, n);
	p->left -= n;
	p->req.body_bytes += n;
	return 1;
}

/* One step of the head: the request line or a header field line. */
static int
http_step_head(struct http_parser *p, struct buf *in)
{
	struct http_fields *f = &p->head;
	const char *bad;
	size_t len, max;
	bool crlf;
	int rc;

	if (p->state == HTTP_ST_START) {
		max = p->lim.request_line_max - p->start_bytes;
		rc = http_take_line(&f->sb, 0, in, max);
		if (rc < 0)
			return http_fail(p, 414, "Request line too long");
	} else {
		max = p->lim.header_bytes_max - f->bytes;
		rc = http_take_line(&f->sb, p->line_start, in, max);
		if (rc < 0)
			return http_fail(p, 431, "Header section too large");
	}
	if (rc == 0)
		return 0;
	if (p->state == HTTP_ST_START) {
		bad = http_line_finish(&f->sb, 0, false, &len, &crlf);
		if (bad != NULL)
			return http_fail(p, 400, bad);
		if (len == 0) {
			/* 2.2: empty lines before the request line are
			   ignored (counted in the line limit). */
			p->start_bytes += f->sb.len;
			f->sb.len = 0;
			return 1;
		}
		if (http_request_line(p, len) < 0)
			return -1;
		p->state = HTTP_ST_FIELDS;
		p->line_start = f->sb.len;
		return 1;
	}
	f->bytes += f->sb.len - p->line_start;
	bad = http_line_finish(&f->sb, p->line_start, true, &len, &crlf);
	if (bad != NULL)
		return http_fail(p, 400, bad);
	if (len > 0) {
		if (http_field_line(p, f, p->line_start, len,
				    p->lim.headers_max, 431) < 0)
			return -1;
		p->line_start = f->sb.len;
		return 1;
	}
	if (http_head_finish(p) < 0)
		return -1;
	if (p->req.chunked)
		p->state = HTTP_ST_CHUNK_LINE;
	else if (p->req.content_length > 0)
		p->state = HTTP_ST_BODY, p->left = p->req.content_length;
	else
		p->state = HTTP_ST_END;
	return 2;
}

/* One step of the trailer section (RFC 9112 7.1.2): field lines bounded
   like the header section, CRLF required as in the rest of the chunked
   framing. */
static int
http_step_trailers(struct http_parser *p, struct buf *in)
{
	struct http_fields *f = &p->trl;
	const char *bad;
	size_t len;
	bool crlf;
	int rc;

	rc = http_take_line(&f->sb, p->line_start, in,
			    p->lim.trailer_bytes_max - f->bytes);
	if (rc < 0)
		return http_fail(p, 431, "Trailer section too large");
	if (rc == 0)
		return 0;
	f->bytes += f->sb.len - p->line_start;
	bad = http_line_finish(&f->sb, p->line_start, true, &len, &crlf);
	if (bad != NULL)
		return http_fail(p, 400, bad);
	if (!crlf)
		return http_fail(p, 400, "Trailer line not ended by CRLF");
	if (len > 0) {
		if (http_field_line(p, f, p->line_start, len,
				    p->lim.trailers_max, 431) < 0)
			return -1;
		p->line_start = f->sb.len;
		return 1;
	}
	http_fields_build(f);
	p->req.trailers = f->n > 0 ? f->h : NULL;
	p->req.ntrailers = f->n;
	p->state = HTTP_ST_END;
	return 1;
}

int
http_parse(struct http_parser *p, struct buf *in, struct http_event *ev_r)
{
	int rc;

	for (;;) {
		switch ((enum http_state)p->state) {
		case HTTP_ST_START:
		case HTTP_ST_FIELDS:
			rc = http_step_head(p, in);
			if (rc == 2) {
				memset(ev_r, 0, sizeof(*ev_r));
				ev_r->type = HTTP_EV_HEAD;
				return 1;
			}
			if (rc <= 0)
				return rc;
			break;
		case HTTP_ST_BODY:
			if (p->left == 0) {
				p->state = HTTP_ST_END;
				break;
			}
			if (buf_len(in) == 0)
				return 0;
			return http_body_piece(p, in, ev_r);
		case HTTP_ST_CHUNK_LINE:
			rc = http_take_line(&p->cline, 0, in,
					    p->lim.chunk_line_max);
			if (rc < 0)
				return http_fail(p, 400, "Chunk line too long");
			if (rc == 0)
				return 0;
			if (http_chunk_line(p) < 0)
				return -1;
			break;
		case HTTP_ST_CHUNK_DATA:
			if (p->left == 0) {
				p->state = HTTP_ST_CHUNK_CRLF;
				p->cr_seen = false;
				break;
			}
			if (buf_len(in) == 0)
				return 0;
			return http_body_piece(p, in, ev_r);
		case HTTP_ST_CHUNK_CRLF:
			if (buf_len(in) == 0)
				return 0;
			/* 7.1: chunk-data is followed by exactly CRLF. */
			if (buf_rptr(in)[0] != (p->cr_seen ? '\n' : '\r'))
				return http_fail(p, 400,
						 "Chunk data not followed by "
						 "CRLF");
			buf_consume(in, 1);
			if (p->cr_seen)
				p->state = HTTP_ST_CHUNK_LINE;
			p->cr_seen = !p->cr_seen;
			break;
		case HTTP_ST_TRAILERS:
			rc = http_step_trailers(p, in);
			if (rc <= 0)
				return rc;
			break;
		case HTTP_ST_END:
			memset(ev_r, 0, sizeof(*ev_r));
			ev_r->type = HTTP_EV_END;
			p->state = HTTP_ST_DONE;
			return 1;
		case HTTP_ST_DONE:
			http_parser_next_request(p);
			break;
		case HTTP_ST_ERROR:
		default:
			return -1;
		}
	}
}

/* ---- helpers ---- */

int
http_parse_header_find(const struct http_header *h, unsigned n,
		       const char *name, unsigned from)
{
	unsigned i;

	for (i = from; i < n; i++)
		if (strcasecmp(h[i].name, name) == 0)
			return (int)i;
	return -1;
}

void
http_parse_query_split(const char *target, size_t *path_len_r,
		       const char **query_r)
{
	const char *q = strchr(target, '?');

	*path_len_r = q != NULL ? (size_t)(q - target) : strlen(target);
	*query_r = q != NULL ? q + 1 : NULL;
}

/* Decode %XX escapes (and '+' as space when plus) from s into out. */
static long
http_pct_decode(const char *s, size_t len, char *out, bool plus)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] == '+' && plus) {
			out[o++] = ' ';
			continue;
		}
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= len ||
		    (hi = http_hex((unsigned char)s[i + 1])) < 0 ||
		    (lo = http_hex((unsigned char)s[i + 2])) < 0 ||
		    (hi == 0 && lo == 0))
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	return (long)o;
}

long
http_parse_path(const char *path, size_t len, char *out)
{
	size_t i, o = 0, n, e;
	long dl;

	if (len == 0 || path[0] != '/')
		return -1;
	/* Escaped '/' and '\' would be segment separators only after
	   decoding: refused, as is any NUL. */
	for (i = 0; i + 2 < len; i++)
		if (path[i] == '%' &&
		    (strncasecmp(path + i + 1, "2f", 2) == 0 ||
		     strncasecmp(path + i + 1, "5c", 2) == 0))
			return -1;
	if (memchr(path, '\\', len) != NULL)
		return -1;
	dl = http_pct_decode(path, len, out, false);
	if (dl < 0)
		return -1;
	n = (size_t)dl;
	/* A path names a resource: no control bytes (they would end up in
	   logs and Location fields). */
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			return -1;
	/* RFC 3986 5.2.4 remove_dot_segments, in place: o never passes i. */
	for (i = 0; i < n; i = e) {
		const char *seg = out + i + 1;
		size_t sl;

		for (e = i + 1; e < n && out[e] != '/'; e++)
			;
		sl = e - i - 1;
		if (sl == 1 && seg[0] == '.') {
			if (e == n)
				out[o++] = '/';
		} else if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 0 && out[--o] != '/')
				;
			if (e == n)
				out[o++] = '/';
		} else {
			memmove(out + o, out + i, sl + 1);
			o += sl + 1;
		}
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return (long)o;
}

int
http_parse_query_next(const char **s, size_t *len, const char **name_r,
		      size_t *name_len_r, const char **value_r,
		      size_t *value_len_r)
{
	while (*len > 0) {
		const char *p = *s, *amp = memchr(p, '&', *len), *eq;
		size_t n = amp != NULL ? (size_t)(amp - p) : *len;

		*s = p + n + (amp != NULL);
		*len -= n + (amp != NULL);
		if (n == 0)
			continue;
		eq = memchr(p, '=', n);
		*name_r = p;
		*name_len_r = eq != NULL ? (size_t)(eq - p) : n;
		*value_r = eq != NULL ? eq + 1 : p + n;
		*value_len_r = eq != NULL ? n - (size_t)(eq - p) - 1 : 0;
		return 1;
	}
	return 0;
}

long
http_parse_form_decode(const char *s, size_t len, char *out)
{
	return http_pct_decode(s, len, out, true);
}

/* RFC 9110 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "."
   0*3("0") ] ).  Returns 1 for a weight above 0, 0 for q=0, -1 if
   malformed. */
static int
http_qvalue(const char *q, size_t n)
{
	size_t i;
	bool nonzero = false;

	if (n == 0 || (q[0] != '0' && q[0] != '1') || n > 5 ||
	    (n > 1 && q[1] != '.'))
		return -1;
	for (i = 2; i < n; i++) {
		if (q[i] < '0' || q[i] > '9' || (q[0] == '1' && q[i] != '0'))
			return -1;
		nonzero |= q[i] != '0';
	}
	return q[0] == '1' || nonzero;
}

unsigned
http_parse_accept_encoding(const struct http_request *req)
{
	/* Per coding: 0 unseen, 1 accepted, 2 refused (q=0 wins). */
	int gzip = 0, deflate = 0, star = 0, idx = -1;
	unsigned out = 0;

	while ((idx = http_parse_header_find(req->headers, req->nheaders,
					     "Accept-Encoding",
					     (unsigned)(idx + 1))) >= 0) {
		const char *s = req->headers[idx].value, *e, *q;
		size_t n = req->headers[idx].value_len, el, nl, ql;
		unsigned np;

		while (http_list_next(&s, &n, &e, &el) > 0) {
			int w = 1, *slot;

			nl = http_member_parse(e, el, &np, &q, &ql);
			if (nl == 0 ||
			    (q != NULL && (w = http_qvalue(q, ql)) < 0))
				continue;
			if (http_span_eq(e, nl, "gzip") ||
			    http_span_eq(e, nl, "x-gzip"))
				slot = &gzip;
			else if (http_span_eq(e, nl, "deflate"))
				slot = &deflate;
			else if (nl == 1 && e[0] == '*')
				slot = &star;
			else
				continue;
			if (*slot != 2)
				*slot = w > 0 ? 1 : 2;
		}
	}
	if (gzip == 1 || (gzip == 0 && star == 1))
		out |= HTTP_ENC_GZIP;
	if (deflate == 1 || (deflate == 0 && star == 1))
		out |= HTTP_ENC_DEFLATE;
	return out;
}

/* Copy a credential part into dst (room for max + 1), refusing control
   bytes (RFC 7617 2). */
static int
http_cred_copy(char *dst, size_t max, const uint8_t *s, size_t n)
{
	size_t i;

	if (n > max)
		return -1;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int
http_parse_basic_auth(const char *value, size_t len,
		      struct http_basic_auth *auth_r)
{
	uint8_t dec[BASE64_DECODED_MAX(
	    BASE64_ENCODED_LEN(AUTH_USER_MAX + 1 + AUTH_PASSWORD_MAX))];
	const uint8_t *colon;
	ssize_t dl = -1;
	size_t i;
	int rc = -1;

	memset(auth_r, 0, sizeof(*auth_r));
	/* credentials = auth-scheme 1*SP token68 (RFC 9110 11.4). */
	if (len < 6 || strncasecmp(value, "Basic", 5) != 0 || value[5] != ' ')
		return -1;
	for (i = 6; i < len && value[i] == ' '; i++)
		;
	if (len - i <= sizeof(dec) / 3 * 4)
		dl = base64_decode(value + i, len - i, dec);
	if (dl > 0 && (colon = memchr(dec, ':', (size_t)dl)) != NULL &&
	    http_cred_copy(auth_r->user, AUTH_USER_MAX, dec,
			   (size_t)(colon - dec)) == 0 &&
	    http_cred_copy(auth_r->pass, AUTH_PASSWORD_MAX, colon + 1,
			   (size_t)(dec + dl - colon - 1)) == 0)
		rc = 0;
	explicit_bzero(dec, sizeof(dec));
	if (rc < 0)
		explicit_bzero(auth_r, sizeof(*auth_r));
	return rc;
}

int
http_parse_cookie_next(const char **s, size_t *len, const char **name_r,
		       size_t *name_len_r, const char **value_r,
		       size_t *value_len_r)
{
	while (*len > 0) {
		const char *p = *s, *semi = memchr(p, ';', *len), *eq;
		size_t n = semi != NULL ? (size_t)(semi - p) : *len, b, e;

		*s = p + n + (semi != NULL);
		*len -= n + (semi != NULL);
		eq = memchr(p, '=', n);
		if (eq == NULL)
			continue;
		b = http_skip_ows(p, 0, (size_t)(eq - p));
		e = (size_t)(eq - p);
		while (e > b && http_is_ows(p[e - 1]))
			e--;
		if (e == b)
			continue;
		*name_r = p + b;
		*name_len_r = e - b;
		b = http_skip_ows(p, (size_t)(eq - p) + 1, n);
		e = n;
		while (e > b && http_is_ows(p[e - 1]))
			e--;
		/* cookie-value = *cookie-octet / ( DQUOTE *cookie-octet
		   DQUOTE ) */
		if (e - b >= 2 && p[b] == '"' && p[e - 1] == '"')
			b++, e--;
		*value_r = p + b;
		*value_len_r = e - b;
		return 1;
	}
	return 0;
}

int
http_parse_cookie_get(const struct http_request *req, const char *name,
		      const char **value_r, size_t *value_len_r)
{
	size_t want = strlen(name);
	int idx = -1;

	while ((idx = http_parse_header_find(req->headers, req->nheaders,
					     "Cookie", (unsigned)(idx + 1))) >=
	       0) {
		const char *s = req->headers[idx].value, *cn;
		size_t n = req->headers[idx].value_len, cnl;

		while (http_parse_cookie_next(&s, &n, &cn, &cnl, value_r,
					      value_len_r) > 0)
			if (cnl == want && memcmp(cn, name, want) == 0)
				return 1;
	}
	return 0;
}

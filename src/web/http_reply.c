/* http_reply.c: HTTP/1.1 responses: status line, common fields (Date,
   security headers, framing), gzip, HEAD. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "conn.h"
#include "limits.h"
#include "log.h"
#include "web/http_session.h"
#include "xalloc.h"

const char *
http_reply_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

void
http_reply_date(char out[30])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
					"Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr",
					   "May", "Jun", "Jul", "Aug",
					   "Sep", "Oct", "Nov", "Dec"};
	time_t now = time(NULL);
	struct tm tm;

	/* RFC 9110 5.6.7: IMF-fixdate, always GMT, English names (not the
	   locale's, so no strftime %a/%b). */
	gmtime_r(&now, &tm);
	/* the modulos bound every field, so gcc -O2 sees it fits in 30 */
	snprintf(out, 30, "%s, %02u %s %04u %02u:%02u:%02u GMT",
		 days[tm.tm_wday % 7], (unsigned)tm.tm_mday % 100u,
		 months[tm.tm_mon % 12], (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
		 (unsigned)tm.tm_sec % 100u);
}

/* Status line and the fields every response carries. */
static void
http_reply_common(struct http_session *s, int status, bool close,
		  bool own_cache)
{
	char date[30];

	http_reply_date(date);
	conn_printf(s->c,
		    "HTTP/1.1 %d %s\r\n"
		    "Date: %s\r\n"
		    "Server: buzon\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "Referrer-Policy: no-referrer\r\n"
		    "%s%s%s",
		    status, http_reply_reason(status), date,
		    own_cache ? "" : "Cache-Control: no-store\r\n",
		    /* RFC 6797 7.2: only over TLS */
		    s->https ? "Strict-Transport-Security: max-age=31536000\r\n"
			     : "",
		    close ? "Connection: close\r\n" : "");
}

/* gzip (RFC 1952, RFC 9110 8.4.1.3) of data into a new buffer. */
static uint8_t *
http_reply_gzip(const void *data, size_t len, size_t *out_len)
{
	z_stream z;
	uint8_t *out;
	uLong cap;

	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip wrapper rather than zlib's */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return NULL;
	cap = deflateBound(&z, (uLong)len) + 32;
	out = xmalloc(cap);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(out);
		return NULL;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

void
http_reply(struct http_session *s, const struct http_response *r)
{
	const void *body = r->body;
	size_t len = r->len;
	uint8_t *zbuf = NULL;
	bool close = r->close || s->body_over || !s->parser.req.keep_alive ||
		     s->srv->sessions.shutting_down || s->parser.status != 0;

	if (s->c == NULL || s->mode == HTTP_MODE_CLOSED) {
		http_session_request_done(s);
		return;
	}
	conn_cork(s->c);
	http_reply_common(s, r->status, close,
			  r->headers != NULL &&
			      strstr(r->headers, "Cache-Control:") != NULL);
	if (r->headers != NULL)
		conn_write(s->c, r->headers, strlen(r->headers));
	if (r->type != NULL) {
		conn_printf(s->c, "Content-Type: %s\r\n", r->type);
		if (len >= HTTP_GZIP_MIN && len <= UINT32_MAX) {
			conn_printf(s->c, "Vary: Accept-Encoding\r\n");
			if ((s->accept_enc & HTTP_ENC_GZIP) != 0)
				zbuf = http_reply_gzip(body, len, &len);
			if (zbuf != NULL) {
				body = zbuf;
				conn_printf(s->c, "Content-Encoding: gzip\r\n");
			} else {
				len = r->len;
			}
		}
	}
	/* RFC 9110 8.6: no Content-Length in 1xx and 204 responses (nor in
	   304: it would have to be the 200's); HEAD announces the length
	   GET would send (9.3.2). */
	if (r->status != 204 && r->status != 304)
		conn_printf(s->c, "Content-Length: %zu\r\n", len);
	conn_write(s->c, "\r\n", 2);
	if (!s->is_head && len > 0)
		conn_write(s->c, body, len);
	free(zbuf);
	log_info("%016llx http %s %s %d ip=%s",
		 (unsigned long long)s->id,
		 s->parser.req.method_str != NULL && s->in_request
		     ? s->parser.req.method_str
		     : "-",
		 s->parser.req.target != NULL && s->in_request
		     ? s->parser.req.target
		     : "-",
		 r->status, s->peer_ip);
	http_session_request_done(s);
	if (close) {
		/* RFC 9112 9.6: a body or pipelined requests may still be
		   on their way; a plain close would answer them with a
		   reset that can destroy this response unread */
		if (s->c != NULL)
			conn_linger(s->c);
		http_session_close(s);
	} else if (s->c != NULL) {
		conn_uncork(s->c);
	}
}

void
http_reply_text(struct http_session *s, int status, bool close,
		const char *headers, const char *text)
{
	char *t = xasprintf("%s\n", text);
	struct http_response r = {.status = status,
				  .type = "text/plain; charset=utf-8",
				  .body = t,
				  .len = strlen(t),
				  .headers = headers,
				  .close = close};

	http_reply(s, &r);
	free(t);
}

void
http_reply_json(struct http_session *s, int status, const char *type,
		json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	struct http_response r = {.status = status,
				  .type = type != NULL ? type
						       : "application/json",
				  .body = t,
				  .len = t != NULL ? strlen(t) : 0};

	json_decref(j);
	if (t == NULL) {
		http_reply_text(s, 500, true, NULL, "Internal error");
		return;
	}
	http_reply(s, &r);
	free(t);
}

void
http_reply_problem(struct http_session *s, int status, const char *type,
		   const char *limit, const char *detail)
{
	json_t *j = json_pack("{s:s, s:i, s:s}", "type", type, "status",
			      status, "detail", detail);

	if (limit != NULL)
		json_object_set_new(j, "limit", json_string(limit));
	http_reply_json(s, status, "application/problem+json", j);
}

void
http_reply_too_large(struct http_session *s)
{
	s->body_over = true;
	if (s->limit_name != NULL)
		http_reply_problem(s, 413, "urn:ietf:params:jmap:error:limit",
				   s->limit_name,
				   "The request body is too large");
	else
		http_reply_text(s, 413, true, NULL, "Request body too large");
}

void
http_reply_head_only(struct http_session *s, int status, const char *type,
		     const char *headers)
{
	http_reply_common(s, status, false, false);
	if (headers != NULL)
		conn_write(s->c, headers, strlen(headers));
	conn_printf(s->c, "Content-Type: %s\r\n\r\n", type);
}

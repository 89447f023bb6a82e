/* http_route.c: which handler answers a request: paths, methods (405
   with Allow, OPTIONS), body limits per endpoint, authentication. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "web/http_cookie.h"
#include "web/http_session.h"
#include "web/web_assets.h"

#define M_GET 0x1u /* GET and HEAD */
#define M_POST 0x2u

struct http_route_def {
	const char *path;
	bool prefix; /* path is a prefix ("/jmap/upload/...") */
	unsigned methods;
	void (*fn)(struct http_session *s); /* run once authenticated */
	uint64_t body_max;
	const char *limit_name; /* JMAP limit reported when it is passed */
	bool open; /* fn runs without authentication (it checks itself) */
};

/* The JMAP endpoints (RFC 8620 2: the session resource is at
   /.well-known/jmap, RFC 8620 2.2; the others are what it advertises). */
static const struct http_route_def http_routes[] = {
    {"/.well-known/jmap", false, M_GET, jmap_http_session, 0, NULL, false},
    {"/jmap/api/", false, M_POST, jmap_http_api, JMAP_REQUEST_SIZE_MAX,
     "maxSizeRequest", false},
    {"/jmap/upload/", true, M_POST, jmap_http_upload, JMAP_UPLOAD_SIZE_MAX,
     "maxSizeUpload", false},
    {"/jmap/download/", true, M_GET, jmap_http_download, 0, NULL, false},
    {"/jmap/eventsource/", false, M_GET, jmap_http_events, 0, NULL, false},
    /* the webmail app (web_assets.c) and its cookie login
       (http_cookie.c) */
    {"/", false, M_GET, web_assets_serve, 0, NULL, true},
    {"/app/", true, M_GET, web_assets_serve, 0, NULL, true},
    {"/login", false, M_POST, http_cookie_login, HTTP_COOKIE_LOGIN_BODY_MAX,
     NULL, true},
    {"/logout", false, M_POST, http_cookie_logout, 0, NULL, true},
    {"/session", false, M_GET, http_cookie_whoami, 0, NULL, true},
};

/* Octets a request without a meaningful body may still carry. */
#define HTTP_ROUTE_SMALL_BODY 4096

/* The decoded path of the request, or NULL (400 answered). */
static const struct http_route_def *
http_route_find(struct http_session *s, bool *bad_r)
{
	const char *target = s->parser.req.path;
	char path[HTTP_REQUEST_LINE_MAX + 1];
	size_t plen, i;
	const char *query;
	long n;

	*bad_r = false;
	if (strcmp(target, "*") == 0)
		return NULL;
	http_parse_query_split(target, &plen, &query);
	if (plen > HTTP_REQUEST_LINE_MAX ||
	    (n = http_parse_path(target, plen, path)) < 0) {
		*bad_r = true;
		return NULL;
	}
	for (i = 0; i < sizeof(http_routes) / sizeof(http_routes[0]); i++) {
		const struct http_route_def *r = &http_routes[i];
		size_t rl = strlen(r->path);

		if (r->prefix ? strncmp(path, r->path, rl) == 0
			      : strcmp(path, r->path) == 0 ||
				    /* also without the trailing '/' */
				    (r->path[rl - 1] == '/' &&
				     (size_t)n == rl - 1 &&
				     strncmp(path, r->path, rl - 1) == 0))
			return r;
	}
	return NULL;
}

int
http_route_head(struct http_session *s)
{
	const struct http_request *req = &s->parser.req;
	const struct http_route_def *r;
	bool bad;

	r = http_route_find(s, &bad);
	s->body_max = HTTP_ROUTE_SMALL_BODY;
	s->limit_name = NULL;
	if (r != NULL && r->body_max > 0 && req->method == HTTP_METHOD_POST) {
		s->body_max = r->body_max;
		s->limit_name = r->limit_name;
	}
	if (!req->chunked && req->content_length > s->body_max) {
		/* RFC 9110 15.5.14: refuse before reading the body; the
		   body is not read, so the connection closes. */
		http_reply_too_large(s);
		return -1;
	}
	return 0;
}

static void
http_route_allow(unsigned methods, char *out, size_t outsz)
{
	snprintf(out, outsz, "Allow: %s%sOPTIONS\r\n",
		 (methods & M_GET) ? "GET, HEAD, " : "",
		 (methods & M_POST) ? "POST, " : "");
}

void
http_route(struct http_session *s)
{
	const struct http_request *req = &s->parser.req;
	const struct http_route_def *r;
	char allow[64];
	unsigned m;
	bool bad;

	if (req->method == HTTP_METHOD_OTHER) {
		/* RFC 9110 9.1: an unrecognised method */
		http_reply_text(s, 501, false, NULL, "Method not implemented");
		return;
	}
	r = http_route_find(s, &bad);
	if (bad) {
		http_reply_text(s, 400, false, NULL, "Malformed path");
		return;
	}
	if (req->form == HTTP_TARGET_ASTERISK) {
		/* RFC 9110 9.3.7: OPTIONS * asks about the server */
		http_reply_text(s, 200, false,
				"Allow: GET, HEAD, POST, OPTIONS\r\n", "OK");
		return;
	}
	if (r == NULL) {
		http_reply_text(s, 404, false, NULL, "Not found");
		return;
	}
	http_route_allow(r->methods, allow, sizeof(allow));
	if (req->method == HTTP_METHOD_OPTIONS) {
		struct http_response resp = {.status = 204, .headers = allow};

		http_reply(s, &resp);
		return;
	}
	m = req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD
		? M_GET
	    : req->method == HTTP_METHOD_POST ? M_POST
					      : 0;
	if ((r->methods & m) == 0) {
		/* RFC 9110 15.5.6: 405 lists the methods allowed */
		http_reply_text(s, 405, false, allow, "Method not allowed");
		return;
	}
	if (r->open)
		r->fn(s);
	else
		http_auth_require(s, r->fn);
}

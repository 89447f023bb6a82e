/* web_assets.c: serving the embedded webmail app (GET / and /app/NAME)
   with validators (RFC 9110 8.8.3, 13.1.2) and the app's CSP. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "web/http_session.h"
#include "web/web_assets.h"
#include "xalloc.h"

/* The app's Content-Security-Policy.  Scripts only from the app's own
   files (no inline script, no eval).  A message's HTML is shown in an
   <iframe sandbox srcdoc=...> without allow-scripts: such a document
   inherits this policy (CSP 3, policy container), so inline styles and
   remote images (shown only when the user asks; the frame adds its own
   stricter policy first) are allowed here, scripts never. */
#define WEB_ASSETS_CSP                                                       \
	"Content-Security-Policy: default-src 'none'; script-src 'self'; "     \
	"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https: " \
	"http:; font-src 'self' data:; connect-src 'self'; frame-src 'self'; " \
	"child-src 'self'; form-action 'self'; base-uri 'none'; "              \
	"object-src 'none'; frame-ancestors 'none'\r\n"                        \
	"X-Frame-Options: DENY\r\n"                                            \
	"Cross-Origin-Opener-Policy: same-origin\r\n"

const struct web_asset *
web_assets_find(const char *name)
{
	size_t i;

	for (i = 0; i < web_assets_count; i++)
		if (strcmp(web_assets[i].name, name) == 0)
			return &web_assets[i];
	return NULL;
}

/* RFC 9110 13.1.2: If-None-Match is "*" or a list of entity tags
   compared weakly (W/ ignored). */
static bool
web_assets_not_modified(const struct http_request *req, const char *etag)
{
	int i = -1;

	while ((i = http_parse_header_find(req->headers, req->nheaders,
					   "If-None-Match",
					   (unsigned)(i + 1))) >= 0) {
		const char *v = req->headers[i].value;

		if (strcmp(v, "*") == 0 || strstr(v, etag) != NULL)
			return true;
	}
	return false;
}

void
web_assets_serve(struct http_session *s)
{
	const struct http_request *req = &s->parser.req;
	char path[HTTP_REQUEST_LINE_MAX + 1];
	const struct web_asset *a = NULL;
	const char *query;
	size_t plen;
	char *hdr;

	http_parse_query_split(req->path, &plen, &query);
	if (plen <= HTTP_REQUEST_LINE_MAX &&
	    http_parse_path(req->path, plen, path) >= 0) {
		if (strcmp(path, "/") == 0)
			a = web_assets_find("index.html");
		else if (strncmp(path, "/app/", 5) == 0 &&
			 strchr(path + 5, '/') == NULL)
			a = web_assets_find(path + 5);
	}
	if (a == NULL) {
		http_reply_text(s, 404, false, NULL, "Not found");
		return;
	}
	/* no-cache: stored, but revalidated with the ETag each time, so a
	   new binary's app is seen at once */
	hdr = xasprintf("ETag: %s\r\nCache-Control: no-cache\r\n%s", a->etag,
			WEB_ASSETS_CSP);
	if (web_assets_not_modified(req, a->etag)) {
		struct http_response r = {.status = 304, .headers = hdr};

		http_reply(s, &r);
	} else {
		struct http_response r = {.status = 200,
					  .type = a->type,
					  .body = a->data,
					  .len = a->len,
					  .headers = hdr};

		http_reply(s, &r);
	}
	free(hdr);
}

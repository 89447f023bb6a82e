/* http_cookie.h: webmail cookie sessions (internal to src/web): POST
   /login with a form, a random session id in an HttpOnly cookie, a CSRF
   token that requests with side effects must echo in a header. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_HTTP_COOKIE_H
#define BUZON_HTTP_COOKIE_H

#include <stdbool.h>

struct http_session;

/* The cookie holding the session id, and the header that must carry the
   CSRF token on every cookie-authenticated request that is not GET or
   HEAD. */
#define HTTP_COOKIE_NAME "buzon_session"
#define HTTP_COOKIE_CSRF_HEADER "X-Buzon-CSRF"

/* Authenticate the current request by its session cookie, for a request
   without an Authorization field.  Returns false when the request has no
   session cookie (the caller goes on with Basic).  Otherwise the request
   is handled: cont(s) runs with s->account_id and s->account set when the
   session is live and (for methods other than GET/HEAD) the CSRF header
   matches; else 401 (unknown or expired session) or 403 (CSRF token
   missing or wrong) is answered. */
bool http_cookie_auth(struct http_session *s,
		      void (*cont)(struct http_session *s));

/* POST /login (application/x-www-form-urlencoded: username, password):
   checked on the pool like Basic, with the failure delay of the limiter.
   200 {"username", "csrf", "jmap"} with the Set-Cookie (jmap: the JMAP
   session resource, RFC 8620 2, so the app needs no round trip for it);
   401 after the delay for wrong credentials; 403 over plain HTTP where
   passwords are not allowed or for a cross-origin Origin; 400 for a
   malformed form. */
void http_cookie_login(struct http_session *s);
/* POST /logout: ends the session named by the cookie (the CSRF header
   must match) and expires the cookie; 204. */
void http_cookie_logout(struct http_session *s);
/* GET /session: 200 {"username", "csrf", "jmap"} for a live cookie session,
   else 401 (never a Basic challenge: the app shows its login form). */
void http_cookie_whoami(struct http_session *s);

#endif

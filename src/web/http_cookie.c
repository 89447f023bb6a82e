/* http_cookie.c: webmail cookie sessions: the login form, session ids
   in memory, the session cookie (RFC 6265) and the CSRF token check. */
/* SPDX-License-Identifier: MIT */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "auth/auth.h"
#include "auth/auth_login.h"
#include "ev.h"
#include "limits.h"
#include "log.h"
#include "web/http_cookie.h"
#include "web/http_session.h"
#include "xalloc.h"

/* 256 random bits, as hex. */
#define HTTP_COOKIE_HEX 64

struct http_cookie_sess {
	char id[HTTP_COOKIE_HEX + 1]; /* "" for a free slot */
	char csrf[HTTP_COOKIE_HEX + 1];
	int64_t account_id;
	char account[AUTH_USER_MAX + 1];
	uint64_t created_ms, used_ms;
};

/* Loop thread only: every session of the process. */
static struct http_cookie_sess http_cookie_table[HTTP_COOKIE_SESSIONS_MAX];

static void
http_cookie_random(char out[HTTP_COOKIE_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[HTTP_COOKIE_HEX / 2];
	size_t i;

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		abort(); /* no randomness: never hand out guessable ids */
	for (i = 0; i < sizeof(raw); i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[HTTP_COOKIE_HEX] = '\0';
	explicit_bzero(raw, sizeof(raw));
}

static bool
http_cookie_expired(const struct http_cookie_sess *e, uint64_t now)
{
	return now - e->used_ms > HTTP_COOKIE_IDLE_MS ||
	       now - e->created_ms > HTTP_COOKIE_LIFETIME_MS;
}

static void
http_cookie_drop(struct http_cookie_sess *e)
{
	explicit_bzero(e, sizeof(*e));
}

/* The live session named by the request's cookie, or NULL.  *had_r:
   the request carried the cookie at all. */
static struct http_cookie_sess *
http_cookie_find(struct http_session *s, bool *had_r)
{
	const char *v;
	size_t vl, i;
	uint64_t now = ev_now_ms(s->srv->ev);

	*had_r = http_parse_cookie_get(&s->parser.req, HTTP_COOKIE_NAME, &v,
				       &vl) == 1;
	if (!*had_r || vl != HTTP_COOKIE_HEX)
		return NULL;
	for (i = 0; i < HTTP_COOKIE_SESSIONS_MAX; i++) {
		struct http_cookie_sess *e = &http_cookie_table[i];

		if (e->id[0] == '\0' ||
		    CRYPTO_memcmp(e->id, v, HTTP_COOKIE_HEX) != 0)
			continue;
		if (http_cookie_expired(e, now)) {
			http_cookie_drop(e);
			return NULL;
		}
		e->used_ms = now;
		return e;
	}
	return NULL;
}

/* Does the request carry e's CSRF token in HTTP_COOKIE_CSRF_HEADER? */
static bool
http_cookie_csrf_ok(struct http_session *s, const struct http_cookie_sess *e)
{
	const struct http_request *req = &s->parser.req;
	int i = http_parse_header_find(req->headers, req->nheaders,
				       HTTP_COOKIE_CSRF_HEADER, 0);

	return i >= 0 && req->headers[i].value_len == HTTP_COOKIE_HEX &&
	       CRYPTO_memcmp(req->headers[i].value, e->csrf,
			     HTTP_COOKIE_HEX) == 0;
}

static bool
http_cookie_safe_method(const struct http_session *s)
{
	return s->parser.req.method == HTTP_METHOD_GET ||
	       s->parser.req.method == HTTP_METHOD_HEAD;
}

static void
http_cookie_expired_reply(struct http_session *s)
{
	/* No Basic challenge: a browser would open its own password
	   dialog instead of the app's login form. */
	http_reply_problem(s, 401, "about:blank", NULL,
			   "No session or session expired: log in again");
}

bool
http_cookie_auth(struct http_session *s, void (*cont)(struct http_session *s))
{
	struct http_cookie_sess *e;
	bool had;

	e = http_cookie_find(s, &had);
	if (!had)
		return false;
	if (e == NULL) {
		http_cookie_expired_reply(s);
		return true;
	}
	/* Cross-site requests never carry the token (SameSite=Strict keeps
	   the cookie off them too; this holds for old browsers). */
	if (!http_cookie_safe_method(s) && !http_cookie_csrf_ok(s, e)) {
		http_reply_problem(s, 403, "about:blank", NULL,
				   "Missing or wrong " HTTP_COOKIE_CSRF_HEADER
				   " header");
		return true;
	}
	http_auth_forget(s);
	s->account_id = e->account_id;
	s->account = xstrdup(e->account);
	cont(s);
	return true;
}

/* 200 {"username", "csrf", "jmap"} plus extra header lines: the app
   starts on the JMAP session resource without asking for it apart. */
static void
http_cookie_reply_who(struct http_session *s,
		      const struct http_cookie_sess *e, const char *headers)
{
	json_t *j = json_pack(
	    "{s:s, s:s, s:o}", "username", e->account, "csrf", e->csrf, "jmap",
	    jmap_http_session_json(s, e->account_id, e->account));
	char *t = j != NULL ? json_dumps(j, JSON_COMPACT) : NULL;
	struct http_response r = {.status = 200,
				  .type = "application/json",
				  .body = t,
				  .len = t != NULL ? strlen(t) : 0,
				  .headers = headers};

	json_decref(j);
	if (t == NULL) {
		http_reply_text(s, 500, true, NULL, "Internal error");
		return;
	}
	http_reply(s, &r);
	free(t);
}

/* The Set-Cookie line for id ("" with Max-Age=0 expires it); RFC 6265
   4.1.2: HttpOnly keeps it from scripts, Secure only over TLS;
   SameSite=Strict (RFC 6265bis) keeps it off cross-site requests. */
static char *
http_cookie_header(const struct http_session *s, const char *id)
{
	return xasprintf("Set-Cookie: " HTTP_COOKIE_NAME
			 "=%s; Path=/; HttpOnly; SameSite=Strict%s%s\r\n",
			 id, s->https ? "; Secure" : "",
			 id[0] == '\0' ? "; Max-Age=0" : "");
}

static struct http_cookie_sess *
http_cookie_new(struct http_session *s, int64_t account_id,
		const char *address)
{
	uint64_t now = ev_now_ms(s->srv->ev);
	struct http_cookie_sess *e = NULL;
	size_t i;

	for (i = 0; i < HTTP_COOKIE_SESSIONS_MAX; i++) {
		struct http_cookie_sess *c = &http_cookie_table[i];

		if (c->id[0] != '\0' && http_cookie_expired(c, now))
			http_cookie_drop(c);
		if (c->id[0] == '\0') {
			e = c;
			break;
		}
		if (e == NULL || c->used_ms < e->used_ms)
			e = c; /* the least recently used, if all are taken */
	}
	http_cookie_drop(e);
	http_cookie_random(e->id);
	http_cookie_random(e->csrf);
	e->account_id = account_id;
	snprintf(e->account, sizeof(e->account), "%s", address);
	e->created_ms = e->used_ms = now;
	return e;
}

/* Passwords in clear only where Basic would take them (http_auth.c). */
static bool
http_cookie_transport_ok(const struct http_session *s)
{
	return s->https ||
	       (s->loopback &&
		s->srv->cfg->web_plaintext_auth == CONFIG_PLAIN_LOOPBACK);
}

/* RFC 6454 7: a browser names the page's origin on a POST; it must be
   this server as the client reached it ("scheme://host[:port]"). */
static bool
http_cookie_origin_ok(const struct http_session *s)
{
	const struct http_request *req = &s->parser.req;
	int i = http_parse_header_find(req->headers, req->nheaders, "Origin",
				       0);
	const char *scheme = s->https ? "https://" : "http://";
	size_t sl = strlen(scheme);

	if (i < 0)
		return true; /* not a browser: no cross-site risk */
	return req->host != NULL && req->headers[i].value_len > sl &&
	       strncmp(req->headers[i].value, scheme, sl) == 0 &&
	       req->headers[i].value_len - sl == strlen(req->host) &&
	       strncasecmp(req->headers[i].value + sl, req->host,
			   strlen(req->host)) == 0;
}

static void
http_cookie_on_delay(struct ev *ev, void *arg)
{
	struct http_session *s = arg;

	(void)ev;
	s->delay = 0;
	if (!http_session_job_done(s))
		return;
	http_reply_problem(s, 401, "about:blank", NULL,
			   "Wrong user name or password");
	http_session_resume(s);
}

static void
http_cookie_login_done(void *arg, enum auth_login_result result,
		       int64_t account_id, const char *address)
{
	struct http_session *s = arg;

	if (result == AUTH_LOGIN_BAD && !s->gone) {
		uint64_t ms = auth_limiter_fail(s->srv->limiter, s->peer_ip,
						ev_now_ms(s->srv->ev));

		log_info("%016llx http webmail login failed ip=%s user=%s",
			 (unsigned long long)s->id, s->peer_ip, address);
		s->delay = ev_add_timer(s->srv->ev, ms, http_cookie_on_delay, s);
		return;
	}
	if (!http_session_job_done(s))
		return;
	if (result == AUTH_LOGIN_TEMPFAIL) {
		http_reply_text(s, 503, false, "Retry-After: 10\r\n",
				"Temporary failure, try again later");
	} else {
		struct http_cookie_sess *e;
		char *hdr;

		auth_limiter_success(s->srv->limiter, s->peer_ip);
		e = http_cookie_new(s, account_id, address);
		hdr = http_cookie_header(s, e->id);
		log_info("%016llx http webmail login user=%s ip=%s",
			 (unsigned long long)s->id, address, s->peer_ip);
		http_cookie_reply_who(s, e, hdr);
		free(hdr);
	}
	http_session_resume(s);
}

/* The decoded form field name of body into out; 1, 0 absent, -1 bad. */
static int
http_cookie_form_get(const char *body, size_t len, const char *name,
		     char *out, size_t outsz)
{
	const char *n, *v;
	size_t nl, vl;
	char key[16];

	while (http_parse_query_next(&body, &len, &n, &nl, &v, &vl) == 1) {
		if (nl >= sizeof(key) || http_parse_form_decode(n, nl, key) < 0 ||
		    strcmp(key, name) != 0)
			continue;
		if (vl >= outsz || http_parse_form_decode(v, vl, out) < 0)
			return -1;
		return 1;
	}
	return 0;
}

void
http_cookie_login(struct http_session *s)
{
	const struct http_request *req = &s->parser.req;
	char user[AUTH_USER_MAX + 1], pass[AUTH_PASSWORD_MAX + 1];
	const char *body = (const char *)buf_rptr(&s->body);
	size_t len = buf_len(&s->body);
	int ct = http_parse_header_find(req->headers, req->nheaders,
					"Content-Type", 0);

	if (!http_cookie_transport_ok(s)) {
		http_reply_text(s, 403, false, NULL,
				"Logging in over plain HTTP is disabled: "
				"use https");
		return;
	}
	if (!http_cookie_origin_ok(s)) {
		http_reply_text(s, 403, false, NULL, "Cross-origin login");
		return;
	}
	if (ct < 0 || strncasecmp(req->headers[ct].value,
				  "application/x-www-form-urlencoded",
				  33) != 0) {
		http_reply_text(s, 415, false, NULL,
				"Expected application/x-www-form-urlencoded");
		return;
	}
	if (http_cookie_form_get(body, len, "username", user, sizeof(user)) !=
		1 ||
	    http_cookie_form_get(body, len, "password", pass, sizeof(pass)) !=
		1 ||
	    user[0] == '\0') {
		explicit_bzero(pass, sizeof(pass));
		http_reply_text(s, 400, false, NULL,
				"Expected the fields username and password");
		return;
	}
	http_session_busy(s);
	auth_login_check(s->srv->pool, s->srv->store, s->srv->cfg->domains[0],
			 xstrdup(user), xstrdup(pass), NULL,
			 http_cookie_login_done, s);
	explicit_bzero(pass, sizeof(pass));
}

void
http_cookie_logout(struct http_session *s)
{
	struct http_cookie_sess *e;
	bool had;
	char *hdr;
	struct http_response r = {.status = 204};

	e = http_cookie_find(s, &had);
	if (e != NULL) {
		if (!http_cookie_csrf_ok(s, e)) {
			http_reply_problem(s, 403, "about:blank", NULL,
					   "Missing or wrong "
					   HTTP_COOKIE_CSRF_HEADER " header");
			return;
		}
		log_info("%016llx http webmail logout user=%s",
			 (unsigned long long)s->id, e->account);
		http_cookie_drop(e);
	}
	hdr = http_cookie_header(s, "");
	r.headers = hdr;
	http_reply(s, &r);
	free(hdr);
}

void
http_cookie_whoami(struct http_session *s)
{
	struct http_cookie_sess *e;
	bool had;

	e = http_cookie_find(s, &had);
	if (e == NULL)
		http_cookie_expired_reply(s);
	else
		http_cookie_reply_who(s, e, NULL);
}

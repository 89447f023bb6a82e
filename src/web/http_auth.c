/* http_auth.c: HTTP Basic authentication (RFC 7617) against the store,
   with the failed-login delays of the other protocols and a login cache
   per connection. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_login.h"
#include "conn.h"
#include "ev.h"
#include "log.h"
#include "web/http_cookie.h"
#include "web/http_session.h"
#include "xalloc.h"

/* RFC 7617 2, 2.1: the challenge names the realm and says credentials
   are UTF-8. */
static const char http_auth_challenge[] =
    "WWW-Authenticate: Basic realm=\"buzon\", charset=\"UTF-8\"\r\n";

struct http_auth_job {
	struct http_session *s;
	void (*cont)(struct http_session *s);
	char *value; /* the Authorization value, cached on success */
};

void
http_auth_forget(struct http_session *s)
{
	if (s->auth_value != NULL) {
		explicit_bzero(s->auth_value, strlen(s->auth_value));
		free(s->auth_value);
		s->auth_value = NULL;
	}
	free(s->account);
	s->account = NULL;
	s->account_id = 0;
}

static void
http_auth_unauthorized(struct http_session *s, const char *text)
{
	http_reply_text(s, 401, false, http_auth_challenge, text);
}

/* The failure delay is over. */
static void
http_auth_on_delay(struct ev *ev, void *arg)
{
	struct http_session *s = arg;

	(void)ev;
	s->delay = 0;
	if (!http_session_job_done(s))
		return;
	http_auth_unauthorized(s, "Authentication failed");
	http_session_resume(s);
}

static void
http_auth_done(void *arg, enum auth_login_result result, int64_t account_id,
	       const char *address)
{
	struct http_auth_job *job = arg;
	struct http_session *s = job->s;
	void (*cont)(struct http_session *) = job->cont;
	char *value = job->value;

	free(job);
	if (result == AUTH_LOGIN_BAD && !s->gone) {
		/* the same delays as POP3 and IMAP; the session stays
		   pending until the timer fires */
		uint64_t ms = auth_limiter_fail(s->srv->limiter, s->peer_ip,
						ev_now_ms(s->srv->ev));

		log_info("%016llx http auth failed ip=%s user=%s",
			 (unsigned long long)s->id, s->peer_ip, address);
		auth_secret_free(&value);
		s->delay = ev_add_timer(s->srv->ev, ms, http_auth_on_delay, s);
		return;
	}
	if (!http_session_job_done(s)) {
		auth_secret_free(&value);
		return;
	}
	if (result == AUTH_LOGIN_TEMPFAIL) {
		auth_secret_free(&value);
		http_reply_text(s, 503, false, "Retry-After: 10\r\n",
				"Temporary failure, try again later");
	} else {
		auth_limiter_success(s->srv->limiter, s->peer_ip);
		http_auth_forget(s);
		s->auth_value = value;
		s->account_id = account_id;
		s->account = xstrdup(address);
		log_info("%016llx http login user=%s ip=%s",
			 (unsigned long long)s->id, address, s->peer_ip);
		cont(s);
	}
	http_session_resume(s);
}

void
http_auth_require(struct http_session *s, void (*cont)(struct http_session *s))
{
	const struct http_request *req = &s->parser.req;
	struct http_basic_auth cred;
	struct http_auth_job *job;
	int i;

	/* Like IMAP's LOGINDISABLED: no passwords in clear text, except
	   from loopback when the operator allows it. */
	if (!s->https &&
	    !(s->loopback &&
	      s->srv->cfg->web_plaintext_auth == CONFIG_PLAIN_LOOPBACK)) {
		http_reply_text(s, 403, false, NULL,
				"Authentication over plain HTTP is disabled: "
				"use https");
		return;
	}
	i = http_parse_header_find(req->headers, req->nheaders,
				   "Authorization", 0);
	/* the webmail's session cookie (http_cookie.c) */
	if (i < 0 && http_cookie_auth(s, cont))
		return;
	if (i < 0) {
		http_auth_unauthorized(s, "Authentication required");
		return;
	}
	if (s->auth_value != NULL &&
	    strcmp(s->auth_value, req->headers[i].value) == 0) {
		cont(s);
		return;
	}
	if (http_parse_basic_auth(req->headers[i].value,
				  req->headers[i].value_len, &cred) < 0) {
		http_auth_unauthorized(s, "Malformed credentials");
		return;
	}
	job = xzalloc(sizeof(*job));
	job->s = s;
	job->cont = cont;
	job->value = xstrdup(req->headers[i].value);
	http_session_busy(s);
	auth_login_check(s->srv->pool, s->srv->store, s->srv->cfg->domains[0],
			 xstrdup(cred.user), xstrdup(cred.pass), NULL,
			 http_auth_done, job);
	explicit_bzero(&cred, sizeof(cred));
}

/* smtp_auth.c: SMTP AUTH (RFC 4954) with SASL PLAIN (RFC 4616) and LOGIN. */
/* SPDX-License-Identifier: MIT */
#include "smtp/smtp_session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "auth/auth_login.h"
#include "base64.h"
#include "conn.h"
#include "ev.h"
#include "limits.h"
#include "log.h"
#include "xalloc.h"

static void
smtp_auth_reset(struct smtp_session *s)
{
	auth_sasl_reset(&s->sasl);
	if (s->mode == SMTP_MODE_AUTH)
		s->mode = SMTP_MODE_CMD;
}

static void
smtp_auth_fail_reply(struct ev *ev, void *arg)
{
	struct smtp_session *s = arg;

	(void)ev;
	s->timer = 0;
	if (!smtp_session_job_done(s))
		return;
	if (s->c == NULL)
		return;
	conn_cork(s->c);
	if (++s->auth_failures >= SMTP_AUTH_FAILURES_MAX) {
		smtp_reply_close(s, 421, "4.7.0",
				 "Too many failed authentication attempts");
		conn_uncork(s->c);
		return;
	}
	smtp_reply(s, 535, "5.7.8", "Authentication credentials invalid");
	conn_uncork(s->c);
	smtp_session_resume(s);
}

static void
smtp_auth_done(void *arg, enum auth_login_result result, int64_t account_id,
	       const char *user)
{
	struct smtp_session *s = arg;

	if (s->gone) {
		smtp_session_job_done(s);
		return;
	}
	if (result == AUTH_LOGIN_OK) {
		smtp_session_job_done(s);
		s->auth_user = arena_strdup(s->arena, user);
		s->auth_account = account_id;
		auth_limiter_success(s->srv->limiter, s->peer_ip);
		log_info("%016llx smtp login user=%s ip=%s",
			 (unsigned long long)s->id, s->auth_user, s->peer_ip);
		if (s->c != NULL) {
			conn_cork(s->c);
			smtp_reply(s, 235, "2.7.0",
				   "Authentication successful");
			conn_uncork(s->c);
		}
		smtp_session_resume(s);
		return;
	}
	/* Keep the session busy (pending) across the delay. */
	log_info("%016llx smtp login failed user=%s ip=%s",
		 (unsigned long long)s->id, user, s->peer_ip);
	s->timer = auth_limiter_fail_timer(s->srv->limiter, s->srv->ev,
					   s->peer_ip, smtp_auth_fail_reply, s);
}

/* Verify user/passwd off the loop.  Takes ownership of both strings. */
static void
smtp_auth_verify(struct smtp_session *s, char *user, char *passwd)
{
	smtp_auth_reset(s);
	smtp_session_busy(s);
	auth_login_check(s->srv->pool, s->srv->store, s->srv->cfg->domains[0],
			 user, passwd, NULL, smtp_auth_done, s);
}

static void
smtp_auth_malformed(struct smtp_session *s)
{
	smtp_auth_reset(s);
	smtp_reply(s, 501, "5.5.2", "Malformed authentication data");
	smtp_session_error(s);
}

void
smtp_auth_line(struct smtp_session *s, const char *line, size_t len)
{
	const char *challenge;
	char *user, *pass;

	switch (auth_sasl_step(&s->sasl, line, len, &challenge, &user, &pass)) {
	case AUTH_SASL_CHALLENGE:
		smtp_reply(s, 334, NULL, "%s", challenge);
		return;
	case AUTH_SASL_DONE:
		smtp_auth_verify(s, user, pass);
		return;
	case AUTH_SASL_CANCEL:
		/* RFC 4954 4: "*" cancels the exchange. */
		smtp_auth_reset(s);
		smtp_reply(s, 501, "5.0.0", "Authentication cancelled");
		return;
	case AUTH_SASL_AUTHZID:
		/* We do not let one user act as another. */
		smtp_auth_reset(s);
		smtp_reply(s, 535, "5.7.8",
			   "Authorization identity not permitted");
		smtp_session_error(s);
		return;
	case AUTH_SASL_MALFORMED:
		smtp_auth_malformed(s);
		return;
	}
}

void
smtp_auth_cmd(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	char mech[32];
	const char *sp = strchr(cmd->args, ' ');
	size_t mlen = sp != NULL ? (size_t)(sp - cmd->args) : cmd->args_len;
	const char *ir = sp != NULL ? sp + 1 : NULL;

	if (s->auth_user != NULL) {
		/* RFC 4954 4: no second AUTH in a session. */
		smtp_reply(s, 503, "5.5.1", "Already authenticated");
		smtp_session_error(s);
		return;
	}
	if (!s->tls) {
		/* RFC 4954 6 / RFC 5248: 538 5.7.11 */
		smtp_reply(s, 538, "5.7.11",
			   "Encryption required for requested authentication "
			   "mechanism");
		smtp_session_error(s);
		return;
	}
	if (mlen == 0 || mlen >= sizeof(mech)) {
		smtp_reply(s, 501, "5.5.4", "Syntax: AUTH mechanism");
		smtp_session_error(s);
		return;
	}
	memcpy(mech, cmd->args, mlen);
	mech[mlen] = '\0';
	if (auth_sasl_start(&s->sasl, mech) < 0) {
		smtp_reply(s, 504, "5.5.4", "Unrecognized authentication type");
		smtp_session_error(s);
		return;
	}
	s->mode = SMTP_MODE_AUTH;
	if (ir == NULL) {
		smtp_reply(s, 334, NULL, "%s",
			   auth_sasl_first_challenge(&s->sasl));
		return;
	}
	/* RFC 4954 4: "=" is an empty initial response. */
	if (strcmp(ir, "=") == 0)
		ir = "";
	smtp_auth_line(s, ir, strlen(ir));
}

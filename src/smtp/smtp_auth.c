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

enum { SMTP_AUTH_PLAIN = 1, SMTP_AUTH_LOGIN = 2 };

static void
smtp_auth_reset(struct smtp_session *s)
{
	s->auth_mech = 0;
	s->auth_step = 0;
	if (s->auth_login_user != NULL) {
		explicit_bzero(s->auth_login_user, strlen(s->auth_login_user));
		free(s->auth_login_user);
		s->auth_login_user = NULL;
	}
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
	uint64_t delay;

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
	delay = auth_limiter_fail(s->srv->limiter, s->peer_ip,
				  ev_now_ms(s->srv->ev));
	s->timer = ev_add_timer(s->srv->ev, delay, smtp_auth_fail_reply, s);
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

static void
smtp_auth_plain(struct smtp_session *s, const char *resp, size_t len)
{
	char *authzid, *authcid, *passwd;

	if (auth_sasl_plain_decode(resp, len, &authzid, &authcid, &passwd) <
	    0) {
		smtp_auth_malformed(s);
		return;
	}
	/* We do not let one user act as another (authzid must be empty or
	   the same identity). */
	if (authzid[0] != '\0' && strcasecmp(authzid, authcid) != 0) {
		free(authzid);
		free(authcid);
		explicit_bzero(passwd, strlen(passwd));
		free(passwd);
		smtp_auth_reset(s);
		smtp_reply(s, 535, "5.7.8",
			   "Authorization identity not permitted");
		smtp_session_error(s);
		return;
	}
	free(authzid);
	smtp_auth_verify(s, authcid, passwd);
}

void
smtp_auth_line(struct smtp_session *s, const char *line, size_t len)
{
	char *v, *user;

	/* RFC 4954 4: "*" cancels the exchange. */
	if (len == 1 && line[0] == '*') {
		smtp_auth_reset(s);
		smtp_reply(s, 501, "5.0.0", "Authentication cancelled");
		return;
	}
	if (s->auth_mech == SMTP_AUTH_PLAIN) {
		smtp_auth_plain(s, line, len);
		return;
	}
	v = auth_sasl_b64_string(line, len,
				 s->auth_step == 0 ? AUTH_USER_MAX
						   : AUTH_PASSWORD_MAX);
	if (v == NULL) {
		smtp_auth_malformed(s);
		return;
	}
	if (s->auth_step == 0) {
		s->auth_login_user = v;
		s->auth_step = 1;
		smtp_reply(s, 334, NULL, "UGFzc3dvcmQ6"); /* "Password:" */
		return;
	}
	user = s->auth_login_user;
	s->auth_login_user = NULL;
	if (user[0] == '\0') {
		free(user);
		explicit_bzero(v, strlen(v));
		free(v);
		smtp_auth_malformed(s);
		return;
	}
	smtp_auth_verify(s, user, v);
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
	if (strcasecmp(mech, "PLAIN") == 0)
		s->auth_mech = SMTP_AUTH_PLAIN;
	else if (strcasecmp(mech, "LOGIN") == 0)
		s->auth_mech = SMTP_AUTH_LOGIN;
	else {
		smtp_reply(s, 504, "5.5.4", "Unrecognized authentication type");
		smtp_session_error(s);
		return;
	}
	s->auth_step = 0;
	s->mode = SMTP_MODE_AUTH;
	if (ir == NULL) {
		smtp_reply(s, 334, NULL, "%s",
			   s->auth_mech == SMTP_AUTH_PLAIN ? ""
							   : "VXNlcm5hbWU6");
		return;
	}
	/* RFC 4954 4: "=" is an empty initial response. */
	if (strcmp(ir, "=") == 0)
		ir = "";
	smtp_auth_line(s, ir, strlen(ir));
}

/* imap_auth.c: IMAP login: STARTTLS (RFC 9051 6.2.1), LOGIN (6.2.3),
   AUTHENTICATE PLAIN and LOGIN (6.2.2) with SASL-IR (RFC 4959). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "auth/auth_login.h"
#include "conn.h"
#include "ev.h"
#include "imap/imap_args.h"
#include "limits.h"
#include "log.h"
#include "xalloc.h"

enum { IMAP_SASL_PLAIN = 1, IMAP_SASL_LOGIN = 2 };

void
imap_auth_reset(struct imap_session *s)
{
	s->sasl_mech = 0;
	s->sasl_step = 0;
	auth_secret_free(&s->sasl_user);
}

/* The credentials sit in the parser's line buffer and the command's
   arena: wipe what can be reached. */
static void
imap_auth_wipe(struct imap_session *s, const char *secret)
{
	if (s->parser.line != NULL)
		explicit_bzero(s->parser.line, s->parser.line_cap);
	if (secret != NULL)
		explicit_bzero((char *)secret, strlen(secret));
}

/* RFC 9051 6.2.3 / RFC 8314: no password over plaintext. */
static bool
imap_auth_need_tls(struct imap_session *s)
{
	if (imap_session_plaintext_ok(s))
		return false;
	imap_cmd_done(s, "NO", "PRIVACYREQUIRED",
		      "Plaintext authentication disallowed on non-secure "
		      "connections: use STARTTLS first");
	return true;
}

void
imap_cmd_starttls(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *error;

	if (imap_args_none(cmd, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (s->tls) {
		imap_cmd_bad(s, "CLIENTBUG", "TLS is already active");
		return;
	}
	if (s->srv->tls == NULL) {
		imap_cmd_done(s, "NO", "UNAVAILABLE", "TLS not available");
		return;
	}
	imap_cmd_done(s, "OK", NULL, "Begin TLS negotiation now");
	/* RFC 9051 6.2.1: the plaintext buffered behind STARTTLS is
	   discarded by conn_start_tls; the parser starts over at
	   CONN_TLS_READY. */
	imap_auth_reset(s);
	s->mode = IMAP_MODE_BUSY;
	s->starttls_pending =
	    conn_start_tls_after_flush(s->c, s->srv->tls) == 1;
}

/* ---- completion ---- */

static void
imap_auth_fail_reply(struct ev *ev, void *arg)
{
	struct imap_session *s = arg;

	(void)ev;
	s->timer = 0;
	if (!imap_session_job_done(s) || s->c == NULL)
		return;
	if (++s->auth_failures >= IMAP_AUTH_FAILURES_MAX) {
		/* the last reply: no further input is read */
		log_info("%016llx imap disconnect ip=%s reason=auth-failures",
			 (unsigned long long)s->id, s->peer_ip);
		imap_tagged(s, s->cmd->tag, "NO", "AUTHENTICATIONFAILED",
			    "Authentication failed");
		imap_cmd_free(&s->cmd);
		imap_session_bye(s, "Too many failed authentication attempts");
		return;
	}
	imap_cmd_done(s, "NO", "AUTHENTICATIONFAILED",
		      "Authentication failed");
}

static void
imap_auth_done(void *arg, enum auth_login_result result, int64_t account_id,
	       const char *address)
{
	struct imap_session *s = arg;
	char *caps;

	if (s->gone) {
		imap_session_job_done(s);
		return;
	}
	if (result == AUTH_LOGIN_BAD) {
		/* Keep the session pending across the delay. */
		log_info("%016llx imap login failed user=%s ip=%s",
			 (unsigned long long)s->id, address, s->peer_ip);
		s->timer =
		    ev_add_timer(s->srv->ev,
				 auth_limiter_fail(s->srv->limiter, s->peer_ip,
						   ev_now_ms(s->srv->ev)),
				 imap_auth_fail_reply, s);
		return;
	}
	imap_session_job_done(s);
	if (result == AUTH_LOGIN_TEMPFAIL) {
		imap_cmd_done(s, "NO", "UNAVAILABLE",
			      "Authentication unavailable, try again later");
	} else {
		auth_limiter_success(s->srv->limiter, s->peer_ip);
		imap_session_logged_in(s, address, account_id);
		/* RFC 9051 6.2.2/6.2.3: the capabilities may change at
		   login; send them in the OK. */
		caps = imap_cmd_capabilities(s);
		imap_cmd_done(s, "OK", NULL, "[CAPABILITY %s] Logged in",
			      caps);
		free(caps);
	}
}

/* Check the credentials off the loop.  Takes ownership of both. */
static void
imap_auth_login(struct imap_session *s, char *user, char *secret)
{
	imap_auth_reset(s);
	s->pending = true;
	imap_session_busy(s);
	auth_login_check(s->srv->pool, s->srv->store, s->srv->cfg->domains[0],
			 user, secret, NULL, imap_auth_done, s);
}

void
imap_cmd_login(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *user, *pass, *error;
	char *secret;

	if (imap_args_login(cmd, &user, &pass, &error) < 0) {
		imap_auth_wipe(s, NULL);
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (!imap_session_plaintext_ok(s) || strlen(user) > AUTH_USER_MAX ||
	    strlen(pass) > AUTH_PASSWORD_MAX || user[0] == '\0') {
		imap_auth_wipe(s, pass);
		if (!imap_auth_need_tls(s))
			imap_cmd_bad(s, NULL, "Invalid user name or password");
		return;
	}
	secret = xstrdup(pass);
	imap_auth_wipe(s, pass);
	imap_auth_login(s, xstrdup(user), secret);
}

/* ---- AUTHENTICATE ---- */

static void
imap_auth_malformed(struct imap_session *s)
{
	imap_auth_reset(s);
	/* RFC 9051 6.2.2: a response that cannot be decoded is BAD */
	imap_cmd_bad(s, NULL, "Malformed authentication data");
}

static void
imap_auth_plain(struct imap_session *s, const char *resp, size_t len)
{
	char *authzid, *authcid, *passwd;

	if (auth_sasl_plain_decode(resp, len, &authzid, &authcid, &passwd) <
	    0) {
		imap_auth_malformed(s);
		return;
	}
	/* No acting as another user: authzid empty or the same. */
	if (authzid[0] != '\0' && strcasecmp(authzid, authcid) != 0) {
		free(authzid);
		free(authcid);
		auth_secret_free(&passwd);
		imap_auth_reset(s);
		imap_cmd_done(s, "NO", "AUTHORIZATIONFAILED",
			      "Authorization identity not permitted");
		return;
	}
	free(authzid);
	imap_auth_login(s, authcid, passwd);
}

void
imap_auth_line(struct imap_session *s, const char *line, size_t len)
{
	char *v, *user;

	/* RFC 9051 6.2.2: "*" cancels the exchange with BAD. */
	if (len == 1 && line[0] == '*') {
		imap_auth_reset(s);
		imap_cmd_bad(s, NULL, "Authentication cancelled");
		return;
	}
	if (s->sasl_mech == IMAP_SASL_PLAIN) {
		imap_auth_plain(s, line, len);
		imap_auth_wipe(s, NULL);
		return;
	}
	v = auth_sasl_b64_string(
	    line, len, s->sasl_step == 0 ? AUTH_USER_MAX : AUTH_PASSWORD_MAX);
	imap_auth_wipe(s, NULL);
	if (v == NULL) {
		imap_auth_malformed(s);
		return;
	}
	if (s->sasl_step == 0) {
		s->sasl_user = v;
		s->sasl_step = 1;
		imap_continue(s, "UGFzc3dvcmQ6"); /* "Password:" */
		return;
	}
	user = s->sasl_user;
	s->sasl_user = NULL;
	if (user[0] == '\0') {
		free(user);
		auth_secret_free(&v);
		imap_auth_malformed(s);
		return;
	}
	imap_auth_login(s, user, v);
}

void
imap_cmd_authenticate(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *mech, *ir, *error;
	char *resp;

	if (imap_args_authenticate(cmd, &mech, &ir, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (strcasecmp(mech, "PLAIN") == 0)
		s->sasl_mech = IMAP_SASL_PLAIN;
	else if (strcasecmp(mech, "LOGIN") == 0)
		s->sasl_mech = IMAP_SASL_LOGIN;
	else {
		imap_cmd_done(s, "NO", "CANNOT",
			      "Unsupported authentication mechanism");
		return;
	}
	if (!imap_session_plaintext_ok(s)) {
		imap_auth_reset(s);
		imap_auth_wipe(s, ir);
		imap_auth_need_tls(s);
		return;
	}
	s->sasl_step = 0;
	s->mode = IMAP_MODE_SASL;
	if (ir == NULL) {
		imap_continue(s, s->sasl_mech == IMAP_SASL_PLAIN
				     ? ""
				     : "VXNlcm5hbWU6"); /* "Username:" */
		return;
	}
	/* RFC 4959 3: the initial response ("=" is an empty one, which
	   imap_args_authenticate gives as ""). */
	resp = xstrdup(ir);
	imap_auth_wipe(s, ir);
	imap_auth_line(s, resp, strlen(resp));
	auth_secret_free(&resp);
}

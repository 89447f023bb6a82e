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

void
imap_auth_reset(struct imap_session *s)
{
	auth_sasl_reset(&s->sasl);
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
		s->timer = auth_limiter_fail_timer(s->srv->limiter, s->srv->ev,
						   s->peer_ip,
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

void
imap_auth_line(struct imap_session *s, const char *line, size_t len)
{
	const char *challenge;
	char *user, *pass;
	enum auth_sasl_result r =
	    auth_sasl_step(&s->sasl, line, len, &challenge, &user, &pass);

	imap_auth_wipe(s, NULL);
	switch (r) {
	case AUTH_SASL_CHALLENGE:
		imap_continue(s, challenge);
		return;
	case AUTH_SASL_DONE:
		imap_auth_login(s, user, pass);
		return;
	case AUTH_SASL_CANCEL:
		/* RFC 9051 6.2.2: "*" cancels the exchange with BAD. */
		imap_auth_reset(s);
		imap_cmd_bad(s, NULL, "Authentication cancelled");
		return;
	case AUTH_SASL_AUTHZID:
		imap_auth_reset(s);
		imap_cmd_done(s, "NO", "AUTHORIZATIONFAILED",
			      "Authorization identity not permitted");
		return;
	case AUTH_SASL_MALFORMED:
		imap_auth_malformed(s);
		return;
	}
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
	if (auth_sasl_start(&s->sasl, mech) < 0) {
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
	s->mode = IMAP_MODE_SASL;
	if (ir == NULL) {
		imap_continue(s, auth_sasl_first_challenge(&s->sasl));
		return;
	}
	/* RFC 4959 3: the initial response ("=" is an empty one, which
	   imap_args_authenticate gives as ""). */
	resp = xstrdup(ir);
	imap_auth_wipe(s, ir);
	imap_auth_line(s, resp, strlen(resp));
	auth_secret_free(&resp);
}

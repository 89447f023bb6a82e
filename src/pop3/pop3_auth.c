/* pop3_auth.c: POP3 login: USER/PASS and APOP (RFC 1939 7), AUTH with
   SASL PLAIN and LOGIN (RFC 5034), the maildrop lock and snapshot. */
/* SPDX-License-Identifier: MIT */
#include "pop3/pop3_session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "auth/auth_login.h"
#include "conn.h"
#include "ev.h"
#include "limits.h"
#include "log.h"
#include "pool.h"
#include "xalloc.h"

/* The maildrop snapshot job (RFC 1939 8: taken at login). */
struct pop3_snap_job {
	struct pop3_session *s;
	struct store *store;
	int64_t account_id;
	struct store_pop3_box box;
	int rc;
	char error[256];
};

void
pop3_auth_reset(struct pop3_session *s)
{
	auth_sasl_reset(&s->sasl);
	free(s->user);
	s->user = NULL;
	if (s->mode == POP3_MODE_SASL)
		s->mode = POP3_MODE_CMD;
}

/* The credentials sit in the parser's line buffer: clear it. */
static void
pop3_auth_wipe_line(struct pop3_session *s)
{
	if (s->parser.line != NULL)
		explicit_bzero(s->parser.line, s->parser.cap);
}

/* RFC 2595 2.2 / RFC 8314: no password over plaintext. */
static bool
pop3_auth_need_tls(struct pop3_session *s)
{
	if (pop3_session_plaintext_ok(s))
		return false;
	pop3_reply(s, false, "AUTH",
		   "Plaintext authentication disallowed on non-secure "
		   "connections: use STLS first");
	pop3_session_error(s);
	return true;
}

/* ---- completion ---- */

static void
pop3_snap_work(void *arg)
{
	struct pop3_snap_job *j = arg;
	const char *error = "";

	j->rc = store_pop3_snapshot(j->store, j->account_id, &j->box, &error);
	if (j->rc < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
}

static void
pop3_snap_done(void *arg)
{
	struct pop3_snap_job *j = arg;
	struct pop3_session *s = j->s;
	uint64_t octets = 0;
	size_t i;

	if (!pop3_session_job_done(s)) {
		store_pop3_box_free(&j->box);
		free(j);
		return;
	}
	if (j->rc < 0) {
		log_error("%016llx pop3 maildrop user=%s: %s",
			  (unsigned long long)s->id, s->auth_user, j->error);
		s->locked = false;
		pop3_reply(s, false, "SYS/TEMP",
			   "Unable to open the maildrop, try again later");
	} else {
		s->box = j->box;
		s->deleted = xcalloc(s->box.n + 1, sizeof(*s->deleted));
		for (i = 0; i < s->box.n; i++)
			octets += s->box.msgs[i].size;
		s->state = POP3_ST_TRANS;
		log_info("%016llx pop3 login user=%s ip=%s messages=%zu",
			 (unsigned long long)s->id, s->auth_user, s->peer_ip,
			 s->box.n);
		pop3_reply(s, true, NULL,
			   "Logged in, %zu messages (%llu octets)", s->box.n,
			   (unsigned long long)octets);
	}
	free(j);
	pop3_session_resume(s);
}

static void
pop3_auth_fail_reply(struct ev *ev, void *arg)
{
	struct pop3_session *s = arg;

	(void)ev;
	s->timer = 0;
	if (!pop3_session_job_done(s) || s->c == NULL)
		return;
	if (++s->auth_failures >= POP3_AUTH_FAILURES_MAX) {
		conn_cork(s->c);
		pop3_reply_close(s, "AUTH",
				 "Too many failed authentication attempts");
		return;
	}
	pop3_reply(s, false, "AUTH", "Authentication failed");
	pop3_session_resume(s);
}

static void
pop3_auth_done(void *arg, enum auth_login_result result, int64_t account_id,
	       const char *address)
{
	struct pop3_session *s = arg;
	struct pop3_snap_job *j;

	if (s->gone) {
		pop3_session_job_done(s);
		return;
	}
	if (result == AUTH_LOGIN_TEMPFAIL) {
		pop3_session_job_done(s);
		pop3_reply(s, false, "SYS/TEMP",
			   "Authentication unavailable, try again later");
		pop3_session_resume(s);
		return;
	}
	if (result == AUTH_LOGIN_BAD) {
		/* Keep the session busy (pending) across the delay. */
		log_info("%016llx pop3 login failed user=%s ip=%s",
			 (unsigned long long)s->id, address, s->peer_ip);
		s->timer = auth_limiter_fail_timer(s->srv->limiter, s->srv->ev,
						   s->peer_ip,
						   pop3_auth_fail_reply, s);
		return;
	}
	auth_limiter_success(s->srv->limiter, s->peer_ip);
	if (pop3_session_locked(s->srv, account_id)) {
		/* RFC 1939 8, RFC 2449 8.1.2: one session per maildrop. */
		log_info("%016llx pop3 login in-use user=%s ip=%s",
			 (unsigned long long)s->id, address, s->peer_ip);
		pop3_session_job_done(s);
		pop3_reply(s, false, "IN-USE",
			   "Maildrop is in use by another POP3 session");
		pop3_session_resume(s);
		return;
	}
	s->locked = true;
	s->account_id = account_id;
	free(s->auth_user);
	s->auth_user = xstrdup(address);
	j = xzalloc(sizeof(*j));
	j->s = s;
	j->store = s->srv->store;
	j->account_id = account_id;
	pool_submit(s->srv->pool, pop3_snap_work, pop3_snap_done, j);
}

/* Check the credentials off the loop.  Takes ownership of both. */
static void
pop3_auth_login(struct pop3_session *s, char *user, char *secret,
		const char *apop_timestamp)
{
	pop3_auth_reset(s);
	pop3_session_busy(s);
	auth_login_check(s->srv->pool, s->srv->store, s->srv->cfg->domains[0],
			 user, secret, apop_timestamp, pop3_auth_done, s);
}

/* ---- USER / PASS / APOP ---- */

void
pop3_auth_user(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	if (pop3_auth_need_tls(s))
		return;
	if (cmd->nargs != 1 || cmd->too_many_args || cmd->bad_spacing ||
	    strlen(cmd->argv[0]) > AUTH_USER_MAX) {
		pop3_reply(s, false, NULL, "Syntax: USER name");
		pop3_session_error(s);
		return;
	}
	free(s->user);
	s->user = xstrdup(cmd->argv[0]);
	pop3_reply(s, true, NULL, "Send the password");
}

void
pop3_auth_pass(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	char *user;

	if (pop3_auth_need_tls(s)) {
		pop3_auth_wipe_line(s);
		return;
	}
	if (s->user == NULL) {
		pop3_auth_wipe_line(s);
		pop3_reply(s, false, NULL, "Send USER first");
		pop3_session_error(s);
		return;
	}
	if (cmd->rest[0] == '\0' || strlen(cmd->rest) > AUTH_PASSWORD_MAX) {
		pop3_auth_wipe_line(s);
		pop3_reply(s, false, NULL, "Syntax: PASS password");
		pop3_session_error(s);
		return;
	}
	user = s->user;
	s->user = NULL;
	/* RFC 1939 7: the whole rest, spaces included, is the password. */
	pop3_auth_login(s, user, xstrdup(cmd->rest), NULL);
	pop3_auth_wipe_line(s);
}

void
pop3_auth_apop(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	/* APOP never sends the secret, so it is allowed without TLS. */
	if (cmd->nargs != 2 || cmd->too_many_args || cmd->bad_spacing ||
	    strlen(cmd->argv[0]) > AUTH_USER_MAX ||
	    strlen(cmd->argv[1]) != 32) {
		pop3_reply(s, false, NULL, "Syntax: APOP name digest");
		pop3_session_error(s);
		return;
	}
	pop3_auth_login(s, xstrdup(cmd->argv[0]), xstrdup(cmd->argv[1]),
			s->timestamp);
}

/* ---- AUTH (RFC 5034) ---- */

static void
pop3_auth_malformed(struct pop3_session *s)
{
	pop3_auth_reset(s);
	pop3_reply(s, false, NULL, "Malformed authentication data");
	pop3_session_error(s);
}

void
pop3_auth_line(struct pop3_session *s, const char *line, size_t len)
{
	const char *challenge;
	char *user, *pass;
	enum auth_sasl_result r =
	    auth_sasl_step(&s->sasl, line, len, &challenge, &user, &pass);

	pop3_auth_wipe_line(s);
	switch (r) {
	case AUTH_SASL_CHALLENGE:
		pop3_reply_line(s, "+ %s", challenge);
		return;
	case AUTH_SASL_DONE:
		pop3_auth_login(s, user, pass, NULL);
		return;
	case AUTH_SASL_CANCEL:
		/* RFC 5034 4: "*" cancels the exchange with -ERR. */
		pop3_auth_reset(s);
		pop3_reply(s, false, NULL, "Authentication cancelled");
		return;
	case AUTH_SASL_AUTHZID:
		pop3_auth_reset(s);
		pop3_reply(s, false, "AUTH",
			   "Authorization identity not permitted");
		pop3_session_error(s);
		return;
	case AUTH_SASL_MALFORMED:
		pop3_auth_malformed(s);
		return;
	}
}

void
pop3_auth_cmd(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	const char *ir;

	if (cmd->nargs == 0 && !cmd->bad_spacing) {
		/* RFC 1734 legacy: a bare AUTH lists the mechanisms. */
		pop3_reply(s, true, NULL, "Mechanisms follow");
		if (pop3_session_plaintext_ok(s)) {
			pop3_reply_line(s, "PLAIN");
			pop3_reply_line(s, "LOGIN");
		}
		pop3_reply_line(s, ".");
		return;
	}
	if (pop3_auth_need_tls(s))
		return;
	if (cmd->nargs == 0 || cmd->too_many_args || cmd->bad_spacing) {
		pop3_reply(s, false, NULL,
			   "Syntax: AUTH mechanism [initial-response]");
		pop3_session_error(s);
		return;
	}
	if (auth_sasl_start(&s->sasl, cmd->argv[0]) < 0) {
		pop3_reply(s, false, NULL, "Unrecognized authentication type");
		pop3_session_error(s);
		return;
	}
	s->mode = POP3_MODE_SASL;
	if (cmd->nargs < 2) {
		pop3_reply_line(s, "+ %s", auth_sasl_first_challenge(&s->sasl));
		return;
	}
	/* RFC 5034 4: "=" is an empty initial response. */
	ir = strcmp(cmd->argv[1], "=") == 0 ? "" : cmd->argv[1];
	pop3_auth_line(s, ir, strlen(ir));
}

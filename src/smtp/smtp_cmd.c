/* smtp_cmd.c: handlers of the SMTP commands that need no message data. */
/* SPDX-License-Identifier: MIT */
#include "smtp/smtp_session.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conn.h"
#include "limits.h"
#include "log.h"
#include "xalloc.h"

/* RFC 5321 4.1.1.1: HELO/EHLO take a domain or an address literal.  We are
   liberal (many clients send bare hostnames) but refuse empty or
   obviously broken arguments. */
static bool
smtp_helo_arg_ok(const char *a)
{
	size_t n = strlen(a);
	const char *p;

	if (n == 0 || n > SMTP_DOMAIN_MAX)
		return false;
	for (p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

static bool
smtp_helo_common(struct smtp_session *s, const struct smtp_cmd *cmd,
		 bool esmtp)
{
	if (!smtp_helo_arg_ok(cmd->args)) {
		smtp_reply(s, 501, "5.5.4", "Syntax: %s hostname",
			   esmtp ? "EHLO" : "HELO");
		smtp_session_error(s);
		return false;
	}
	/* RFC 5321 4.1.4: EHLO/HELO also reset the transaction. */
	smtp_session_reset_tx(s);
	s->helo = arena_strdup(s->arena, cmd->args);
	s->esmtp = esmtp;
	s->state = SMTP_ST_GREETED;
	return true;
}

void
smtp_cmd_helo(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (smtp_helo_common(s, cmd, false))
		smtp_reply(s, 250, NULL, "%s", s->srv->cfg->hostname);
}

void
smtp_cmd_ehlo(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const char *lines[16];
	char size[48], first[300];
	size_t n = 0;

	if (!smtp_helo_common(s, cmd, true))
		return;
	snprintf(first, sizeof(first), "%s Hello %s [%s]",
		 s->srv->cfg->hostname, s->helo, s->peer_ip);
	snprintf(size, sizeof(size), "SIZE %llu",
		 (unsigned long long)s->srv->cfg->smtp_max_message_size);
	lines[n++] = first;
	lines[n++] = "PIPELINING";
	lines[n++] = size;
	lines[n++] = "8BITMIME";
	lines[n++] = "SMTPUTF8";
	lines[n++] = "ENHANCEDSTATUSCODES";
	lines[n++] = "CHUNKING";
	lines[n++] = "DSN";
	if (!s->tls && s->srv->tls != NULL)
		lines[n++] = "STARTTLS";
	/* RFC 4954 4 and our policy: credentials only over TLS. */
	if (s->tls && s->auth_user == NULL)
		lines[n++] = "AUTH PLAIN LOGIN";
	lines[n++] = "HELP";
	smtp_reply_lines(s, 250, NULL, lines, n);
}

void
smtp_cmd_rset(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (cmd->args_len != 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: RSET");
		smtp_session_error(s);
		return;
	}
	smtp_session_reset_tx(s);
	smtp_reply(s, 250, "2.0.0", "Ok");
}

void
smtp_cmd_noop(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd; /* RFC 5321 4.1.1.9: a parameter is ignored */
	smtp_reply(s, 250, "2.0.0", "Ok");
}

void
smtp_cmd_quit(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	(void)cmd;
	smtp_reply_close(s, 221, "2.0.0", "Bye");
}

void
smtp_cmd_obsolete(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (cmd->verb == SMTP_VERB_TURN)
		/* RFC 2645 intro / RFC 5321 F.1: TURN lets any client take
		   another's mail. */
		smtp_reply(s, 502, "5.5.1",
			   "TURN is not supported: it would let anyone "
			   "collect another host's mail");
	else
		smtp_reply(s, 502, "5.5.1",
			   "%s is obsolete (RFC 5321 F.6) and not supported; "
			   "use MAIL",
			   cmd->verb_str);
}

void
smtp_cmd_unimplemented(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	smtp_reply(s, 502, "5.5.1", "%s not implemented", cmd->verb_str);
}

void
smtp_cmd_help(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	static const char *const lines[] = {
	    "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT",
	    "          VRFY EXPN HELP STARTTLS AUTH",
	    "For details see RFC 5321",
	};

	(void)cmd; /* RFC 5321 4.1.1.8: a topic may be given */
	smtp_reply_lines(s, 214, "2.0.0", lines, 3);
}

void
smtp_cmd_starttls(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (cmd->args_len != 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: STARTTLS");
		smtp_session_error(s);
		return;
	}
	if (s->tls) {
		smtp_reply(s, 503, "5.5.1", "TLS already active");
		smtp_session_error(s);
		return;
	}
	if (s->srv->tls == NULL) {
		smtp_reply(s, 454, "4.7.0", "TLS not available");
		return;
	}
	smtp_reply(s, 220, "2.0.0", "Ready to start TLS");
	/* RFC 3207 4.2: discard all knowledge from before TLS. */
	smtp_session_reset_tx(s);
	s->state = SMTP_ST_INIT;
	s->helo = NULL;
	s->mode = SMTP_MODE_BUSY;
	/* on CONN_DRAINED if the reply is not out yet */
	s->starttls_pending =
	    conn_start_tls_after_flush(s->c, s->srv->tls) == 1;
}


static void
smtp_tx_new(struct smtp_session *s)
{
	struct smtp_tx *tx = arena_alloc(s->tx_arena, sizeof(*tx));

	tx->rcpt_tail = &tx->rcpts;
	s->tx = tx;
}

void
smtp_cmd_mail(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_mail_args m;
	struct smtp_parse_error err;
	uint64_t max = s->srv->cfg->smtp_max_message_size;

	if (smtp_session_is_submission(s) && s->auth_user == NULL) {
		/* RFC 4954 6 */
		smtp_reply(s, 530, "5.7.0", "Authentication required");
		smtp_session_error(s);
		return;
	}
	if (smtp_parse_mail(cmd->args, s->tx_arena, &m, &err) < 0) {
		smtp_reply(s, err.code, err.enh, "%s", err.text);
		smtp_session_error(s);
		return;
	}
	if (m.path.needs_utf8 && !m.smtputf8) {
		/* RFC 6531 3.4 */
		smtp_reply(s, 553, "5.6.7",
			   "Non-ASCII address requires SMTPUTF8");
		return;
	}
	if (m.size_given && m.size > max) {
		/* RFC 1870 6.1 */
		smtp_reply(s, 552, "5.3.4",
			   "Message size exceeds fixed limit of %llu octets",
			   (unsigned long long)max);
		return;
	}
	if (m.body == SMTP_BODY_BINARYMIME) {
		smtp_reply(s, 555, "5.5.4", "BODY=BINARYMIME not supported");
		return;
	}
	if (s->auth_user != NULL && smtp_session_is_submission(s) &&
	    !m.path.is_null && !smtp_rcpt_sender_owned(s, m.path.addr)) {
		log_info("%016llx smtp sender refused user=%s from=%s",
			 (unsigned long long)s->id, s->auth_user, m.path.addr);
		smtp_reply(s, 553, "5.7.1",
			   "Sender address <%s> not owned by user %s",
			   m.path.addr, s->auth_user);
		return;
	}
	smtp_tx_new(s);
	s->tx->mail = m;
	s->state = SMTP_ST_MAIL;
	smtp_reply(s, 250, "2.1.0", "Sender ok");
}

void
smtp_cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_rcpt_args r;
	struct smtp_parse_error err;

	if (smtp_parse_rcpt(cmd->args, s->tx_arena, &r, &err) < 0) {
		smtp_reply(s, err.code, err.enh, "%s", err.text);
		smtp_session_error(s);
		return;
	}
	if (r.path.needs_utf8 && !s->tx->mail.smtputf8) {
		smtp_reply(s, 553, "5.6.7",
			   "Non-ASCII address requires SMTPUTF8");
		return;
	}
	switch (smtp_rcpt_add(s, &r)) {
	case SMTP_RCPT_OK:
		s->state = SMTP_ST_RCPT;
		smtp_reply(s, 250, "2.1.5", "Recipient ok");
		return;
	case SMTP_RCPT_UNKNOWN:
		smtp_reply(s, 550, "5.1.1", "<%s>: Recipient address rejected: "
			   "User unknown", r.path.addr);
		smtp_session_error(s);
		return;
	case SMTP_RCPT_RELAY:
		log_info("%016llx smtp relay denied ip=%s to=%s",
			 (unsigned long long)s->id, s->peer_ip, r.path.addr);
		smtp_reply(s, 554, "5.7.1", "<%s>: Relay access denied",
			   r.path.addr);
		smtp_session_error(s);
		return;
	case SMTP_RCPT_TOO_MANY:
		/* RFC 5321 4.5.3.1.10 */
		smtp_reply(s, 452, "4.5.3", "Too many recipients");
		return;
	case SMTP_RCPT_TEMPFAIL:
		smtp_reply(s, 451, "4.3.0",
			   "Temporary lookup failure, try again later");
		return;
	}
}

struct smtp_expand_ctx {
	const char *lines[64];
	size_t n;
	struct smtp_session *s;
};

static void
smtp_expand_collect(const char *member, void *arg)
{
	struct smtp_expand_ctx *x = arg;

	if (x->n < sizeof(x->lines) / sizeof(x->lines[0]))
		x->lines[x->n++] =
		    arena_printf(x->s->tx_arena, "<%s>", member);
}

/* RFC 5321 3.5: VRFY and EXPN.  To keep addresses from being harvested,
   only authenticated users get answers. */
static bool
smtp_vrfy_expn_common(struct smtp_session *s, const struct smtp_cmd *cmd,
		      struct smtp_path *path)
{
	struct smtp_parse_error err;

	if (cmd->args_len == 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: %s address",
			   cmd->verb_str);
		smtp_session_error(s);
		return false;
	}
	if (smtp_parse_mailbox(cmd->args, s->tx_arena, path, &err) < 0 ||
	    path->domain == NULL) {
		smtp_reply(s, 501, "5.1.3", "Bad address syntax");
		smtp_session_error(s);
		return false;
	}
	return true;
}

void
smtp_cmd_vrfy(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_expand_ctx x = {.s = s};
	struct smtp_path path;

	if (s->auth_user == NULL) {
		smtp_reply(s, 252, "2.5.0",
			   "Cannot VRFY user, but will accept message and "
			   "attempt delivery");
		return;
	}
	if (!smtp_vrfy_expn_common(s, cmd, &path))
		return;
	if (!config_is_local_domain(s->srv->cfg, path.domain)) {
		smtp_reply(s, 252, "2.5.0", "<%s> is not local; will try "
			   "delivery", path.addr);
		return;
	}
	if (smtp_rcpt_expand(s, path.addr, false, smtp_expand_collect, &x) <=
	    0) {
		smtp_reply(s, 550, "5.1.1", "<%s>: User unknown", path.addr);
		return;
	}
	smtp_reply(s, 250, "2.1.5", "<%s>", path.addr);
}

void
smtp_cmd_expn(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_expand_ctx x = {.s = s};
	struct smtp_path path;
	int n;

	if (s->auth_user == NULL) {
		smtp_reply(s, 502, "5.5.1",
			   "EXPN is available to authenticated users only");
		return;
	}
	if (!smtp_vrfy_expn_common(s, cmd, &path))
		return;
	if (!config_is_local_domain(s->srv->cfg, path.domain) ||
	    (n = smtp_rcpt_expand(s, path.addr, true, smtp_expand_collect,
				  &x)) <= 0) {
		smtp_reply(s, 550, "5.1.1", "<%s>: No such list", path.addr);
		return;
	}
	smtp_reply_lines(s, 250, "2.1.5", x.lines, x.n);
}

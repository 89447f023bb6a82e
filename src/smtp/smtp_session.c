/* smtp_session.c: SMTP server sessions: accept, input loop, dispatch, replies. */
/* SPDX-License-Identifier: MIT */
#include "smtp/smtp_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "conn.h"
#include "ev.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "xalloc.h"

/* Flags of a command table entry. */
#define SMTP_CMD_PRE_TLS 0x1 /* allowed on submission before TLS+AUTH */
#define SMTP_CMD_LAST 0x2    /* RFC 2920 3.1: no read-ahead past it */

struct smtp_cmd_def {
	void (*fn)(struct smtp_session *, const struct smtp_cmd *);
	unsigned states; /* enum smtp_state bits where allowed */
	unsigned flags;
};

/* RFC 5321 4.1.4: the order of commands.  States not listed get 503. */
static const struct smtp_cmd_def smtp_cmds[SMTP_VERB__COUNT] = {
    [SMTP_VERB_HELO] = {smtp_cmd_helo, SMTP_ST_ANY, 0},
    [SMTP_VERB_EHLO] = {smtp_cmd_ehlo, SMTP_ST_ANY, 0},
    [SMTP_VERB_MAIL] = {smtp_cmd_mail, SMTP_ST_GREETED, 0},
    [SMTP_VERB_RCPT] = {smtp_cmd_rcpt, SMTP_ST_MAIL | SMTP_ST_RCPT, 0},
    [SMTP_VERB_DATA] = {smtp_tx_data, SMTP_ST_RCPT, SMTP_CMD_LAST},
    [SMTP_VERB_BDAT] = {smtp_tx_bdat, SMTP_ST_RCPT, 0},
    [SMTP_VERB_RSET] = {smtp_cmd_rset, SMTP_ST_ANY, 0},
    [SMTP_VERB_NOOP] = {smtp_cmd_noop, SMTP_ST_ANY, 0},
    [SMTP_VERB_QUIT] = {smtp_cmd_quit, SMTP_ST_ANY, SMTP_CMD_LAST},
    [SMTP_VERB_VRFY] = {smtp_cmd_vrfy, SMTP_ST_ANY, 0},
    [SMTP_VERB_EXPN] = {smtp_cmd_expn, SMTP_ST_ANY, 0},
    [SMTP_VERB_HELP] = {smtp_cmd_help, SMTP_ST_ANY, 0},
    [SMTP_VERB_STARTTLS] = {smtp_cmd_starttls, SMTP_ST_ANY, SMTP_CMD_LAST},
    [SMTP_VERB_AUTH] = {smtp_auth_cmd, SMTP_ST_GREETED, SMTP_CMD_LAST},
    [SMTP_VERB_SEND] = {smtp_cmd_obsolete, SMTP_ST_ANY, 0},
    [SMTP_VERB_SOML] = {smtp_cmd_obsolete, SMTP_ST_ANY, 0},
    [SMTP_VERB_SAML] = {smtp_cmd_obsolete, SMTP_ST_ANY, 0},
    [SMTP_VERB_TURN] = {smtp_cmd_obsolete, SMTP_ST_ANY, 0},
    [SMTP_VERB_ETRN] = {smtp_cmd_unimplemented, SMTP_ST_ANY, 0},
    [SMTP_VERB_ATRN] = {smtp_cmd_unimplemented, SMTP_ST_ANY, 0},
};

static void smtp_session_on_conn(struct conn *c, enum conn_event e,
				 void *arg);
static void smtp_session_process(struct smtp_session *s);

bool
smtp_session_is_submission(const struct smtp_session *s)
{
	return s->la->kind != LISTEN_SMTP;
}

/* ---- replies ---- */

static void
smtp_reply_line(struct smtp_session *s, int code, char sep, const char *enh,
		const char *text, size_t len)
{
	if (s->mode == SMTP_MODE_CLOSED || s->c == NULL)
		return;
	ASSERT(code >= 200 && code <= 599);
	if (enh != NULL)
		conn_printf(s->c, "%03d%c%s %.*s\r\n", code, sep, enh, (int)len,
			    text);
	else
		conn_printf(s->c, "%03d%c%.*s\r\n", code, sep, (int)len, text);
}

void
smtp_reply(struct smtp_session *s, int code, const char *enh, const char *fmt,
	   ...)
{
	char text[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	smtp_reply_line(s, code, ' ', enh, text, (size_t)n);
	if (code >= 400)
		log_debug("%016llx smtp reply=%d", (unsigned long long)s->id,
			  code);
}

void
smtp_reply_lines(struct smtp_session *s, int code, const char *enh,
		 const char *const *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		smtp_reply_line(s, code, i + 1 < n ? '-' : ' ', enh, lines[i],
				strlen(lines[i]));
}

void
smtp_reply_close(struct smtp_session *s, int code, const char *enh,
		 const char *text)
{
	smtp_reply(s, code, enh, "%s", text);
	if (s->c != NULL && s->mode != SMTP_MODE_CLOSED) {
		conn_uncork(s->c);
		conn_close_after_flush(s->c);
	}
	s->mode = SMTP_MODE_CLOSED;
}

bool
smtp_session_error(struct smtp_session *s)
{
	if (++s->errors < SMTP_ERRORS_MAX)
		return false;
	log_info("%016llx smtp disconnect ip=%s reason=too-many-errors",
		 (unsigned long long)s->id, s->peer_ip);
	smtp_reply_close(s, 421, "4.7.0",
			 "Too many errors, closing connection");
	return true;
}

/* ---- lifecycle ---- */

void
smtp_session_reset_tx(struct smtp_session *s)
{
	if (s->tx != NULL)
		smtp_tx_free(s->tx);
	s->tx = NULL;
	arena_reset(s->tx_arena);
	if (s->state & (SMTP_ST_MAIL | SMTP_ST_RCPT))
		s->state = SMTP_ST_GREETED;
}

static void
smtp_session_free(struct smtp_session *s)
{
	if (s->timer != 0)
		ev_del_timer(s->srv->ev, s->timer);
	smtp_session_reset_tx(s);
	smtp_parser_deinit(&s->parser);
	arena_free(&s->tx_arena);
	arena_free(&s->arena);
	sessions_remove(&s->srv->sessions, &s->link);
	free(s);
}

/* conn on_free hook: the connection is being reaped. */
static void
smtp_session_on_free(void *arg)
{
	struct smtp_session *s = arg;

	listener_release(s->la->listener, s->peer_ip);
	log_info("%016llx smtp disconnected ip=%s", (unsigned long long)s->id,
		 s->peer_ip);
	s->c = NULL;
	if (s->pending) {
		s->gone = true; /* the job's completion frees it */
		return;
	}
	smtp_session_free(s);
}

void
smtp_session_busy(struct smtp_session *s)
{
	s->mode = SMTP_MODE_BUSY;
	s->pending = true;
	if (s->c != NULL)
		conn_pause(s->c);
}

bool
smtp_session_job_done(struct smtp_session *s)
{
	s->pending = false;
	if (s->gone) {
		smtp_session_free(s);
		return false;
	}
	return true;
}

void
smtp_session_resume(struct smtp_session *s)
{
	if (s->c == NULL || s->mode == SMTP_MODE_CLOSED)
		return;
	if (s->mode == SMTP_MODE_BUSY)
		s->mode = SMTP_MODE_CMD;
	if (s->srv->sessions.shutting_down) {
		/* the job's reply is queued: now say goodbye */
		smtp_reply_close(s, 421, "4.3.2", "Server shutting down");
		return;
	}
	conn_cork(s->c);
	smtp_session_process(s);
	if (s->c != NULL) {
		conn_uncork(s->c);
		if (s->mode != SMTP_MODE_BUSY && s->mode != SMTP_MODE_CLOSED)
			conn_resume(s->c);
	}
}

static void
smtp_session_greet(struct smtp_session *s)
{
	s->mode = SMTP_MODE_CMD;
	smtp_reply(s, 220, NULL, "%s ESMTP buzon", s->srv->cfg->hostname);
}

static void
smtp_session_greet_timer(struct ev *ev, void *arg)
{
	struct smtp_session *s = arg;

	(void)ev;
	s->timer = 0;
	if (s->mode != SMTP_MODE_GREET_WAIT || s->c == NULL)
		return;
	smtp_session_greet(s);
}

void
smtp_server_refuse(int fd, void *arg)
{
	static const char msg[] =
	    "421 4.7.0 Too many connections, try again later\r\n";

	(void)arg;
	if (write(fd, msg, sizeof(msg) - 1) < 0) {
		/* the socket is closed next anyway */
	}
}

void
smtp_server_accept(struct listener *l, int fd, const struct sockaddr *peer,
		   socklen_t peerlen, void *arg)
{
	struct smtp_listen_arg *la = arg;
	struct smtp_server *srv = la->srv;
	struct smtp_session *s = xzalloc(sizeof(*s));
	SSL_CTX *tls = la->kind == LISTEN_SUBMISSIONS ? srv->tls : NULL;

	(void)l;
	s->srv = srv;
	s->la = la;
	s->id = sessions_add(&srv->sessions, &s->link, &s->c);
	s->state = SMTP_ST_INIT;
	s->mode = SMTP_MODE_GREET_WAIT;
	s->arena = arena_new("smtp session", 512);
	s->tx_arena = arena_new("smtp tx", 2048);
	smtp_parser_init(&s->parser, SMTP_CMD_LINE_MAX, SMTP_AUTH_LINE_MAX);
	listener_format_ip(peer, s->peer_ip, sizeof(s->peer_ip));
	s->c = conn_new(srv->ev, fd, peer, peerlen, tls, SMTP_IN_BUF_MAX,
			smtp_session_on_conn, s);
	s->c->id = s->id;
	s->c->on_free = smtp_session_on_free;
	conn_set_idle(s->c, srv->cfg->smtp_idle_timeout_ms);
	log_info("%016llx smtp connect ip=%s listener=%s",
		 (unsigned long long)s->id, s->peer_ip,
		 config_listen_name(la->kind));
	if (tls != NULL)
		return; /* greet after the handshake */
	if (la->kind == LISTEN_SMTP && srv->cfg->smtp_greet_delay_ms > 0)
		s->timer = ev_add_timer(srv->ev, srv->cfg->smtp_greet_delay_ms,
					smtp_session_greet_timer, s);
	else
		smtp_session_greet(s);
}

/* Shutdown: goodbye to one session. */
static void
smtp_session_bye(struct sessions_link *l)
{
	struct smtp_session *s = SESSIONS_OF(l, struct smtp_session, link);

	if (s->pending || s->c == NULL)
		return; /* smtp_session_resume() closes it */
	if (s->timer != 0) {
		ev_del_timer(s->srv->ev, s->timer);
		s->timer = 0;
	}
	/* RFC 5321 3.8: 421 may be sent at any time before closing */
	smtp_reply_close(s, 421, "4.3.2", "Server shutting down");
}

void
smtp_server_shutdown(struct smtp_server *srv)
{
	static const struct sessions_service svc = {smtp_session_bye, NULL};

	sessions_shutdown(&srv->sessions, srv->ev, &svc);
}

void
smtp_server_abort(struct smtp_server *srv)
{
	sessions_abort(&srv->sessions);
}

/* ---- input ---- */

/* SMTP_MODE_SKIP: drop up to skip_left of the n octets buffered; the 503
   goes out once the whole chunk is gone.  Returns the octets dropped. */
static size_t
smtp_session_skip(struct smtp_session *s, size_t n)
{
	size_t used = n < s->skip_left ? n : (size_t)s->skip_left;

	s->skip_left -= used;
	if (s->skip_left == 0) {
		s->mode = SMTP_MODE_CMD;
		smtp_reply(s, 503, "5.5.1", "%s", s->skip_why);
		smtp_session_error(s);
	}
	return used;
}

static void
smtp_session_dispatch(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	const struct smtp_cmd_def *def;

	if (cmd->verb == SMTP_VERB_UNKNOWN) {
		smtp_reply(s, 500, "5.5.1", "Command unrecognized");
		smtp_session_error(s);
		return;
	}
	def = &smtp_cmds[cmd->verb];
	if (def->fn == NULL) {
		smtp_reply(s, 502, "5.5.1", "Command not implemented");
		return;
	}
	if ((def->states & s->state) == 0) {
		/* RFC 5321 4.3.2 / 3.3: commands out of sequence. */
		const char *why = "Bad sequence of commands";

		if (s->state == SMTP_ST_INIT)
			why = "Send HELO/EHLO first";
		else if (cmd->verb == SMTP_VERB_MAIL)
			why = "Nested MAIL command";
		else if (cmd->verb == SMTP_VERB_RCPT)
			why = "Need MAIL before RCPT";
		else if (cmd->verb == SMTP_VERB_DATA ||
			 cmd->verb == SMTP_VERB_BDAT)
			why = s->state == SMTP_ST_MAIL ? "Need RCPT before DATA"
						       : "Need MAIL before DATA";
		else if (cmd->verb == SMTP_VERB_AUTH)
			why = "AUTH not allowed during a mail transaction";
		if (cmd->verb == SMTP_VERB_BDAT &&
		    smtp_tx_bdat_args(cmd->args, &s->skip_left, &(bool){0})) {
			/* RFC 3030 2: the chunk of a refused BDAT is read
			   and discarded before the reply. */
			s->skip_why = why;
			s->mode = SMTP_MODE_SKIP;
			if (s->skip_left == 0)
				smtp_session_skip(s, 0);
			return;
		}
		smtp_reply(s, 503, "5.5.1", "%s", why);
		smtp_session_error(s);
		return;
	}
	def->fn(s, cmd);
}

static bool
smtp_session_cmd_is_last(enum smtp_verb v)
{
	return v < SMTP_VERB__COUNT && (smtp_cmds[v].flags & SMTP_CMD_LAST);
}

/* Process as much buffered input as the mode allows. */
static void
smtp_session_process(struct smtp_session *s)
{
	struct conn *c = s->c;

	while (c != NULL && s->c != NULL && !c->closing) {
		switch (s->mode) {
		case SMTP_MODE_GREET_WAIT:
			if (buf_len(&c->in) == 0)
				return;
			/* Talking before the greeting: a spam engine, or
			   pipelining it was never offered. */
			log_info("%016llx smtp disconnect ip=%s "
				 "reason=pregreet",
				 (unsigned long long)s->id, s->peer_ip);
			buf_reset(&c->in);
			smtp_reply_close(s, 554, "5.5.0",
					 "Protocol error: client sent data "
					 "before the greeting");
			return;
		case SMTP_MODE_BUSY:
		case SMTP_MODE_CLOSED:
			return;
		case SMTP_MODE_SKIP:
			if (buf_len(&c->in) == 0)
				return;
			buf_consume(&c->in,
				    smtp_session_skip(s, buf_len(&c->in)));
			break;
		case SMTP_MODE_DATA:
		case SMTP_MODE_BDAT: {
			size_t n;

			if (buf_len(&c->in) == 0)
				return;
			n = smtp_tx_input(s, buf_rptr(&c->in), buf_len(&c->in));
			if (s->c == NULL)
				return;
			buf_consume(&c->in, n);
			if (n == 0 && (s->mode == SMTP_MODE_DATA ||
				       s->mode == SMTP_MODE_BDAT))
				return;
			break;
		}
		case SMTP_MODE_AUTH: {
			const char *line;
			size_t len;
			int rc = smtp_parse_line(&s->parser, &c->in, &line,
						 &len);

			if (rc == 0)
				return;
			if (rc < 0) {
				s->mode = SMTP_MODE_CMD;
				smtp_reply(s, s->parser.error_code,
					   s->parser.error_enh, "%s",
					   s->parser.error_text);
				smtp_session_error(s);
				break;
			}
			smtp_auth_line(s, line, len);
			break;
		}
		case SMTP_MODE_CMD: {
			struct smtp_cmd cmd;
			int rc = smtp_parse_command(&s->parser, &c->in, &cmd);

			if (rc == 0)
				return;
			if (rc < 0) {
				smtp_reply(s, s->parser.error_code,
					   s->parser.error_enh, "%s",
					   s->parser.error_text);
				smtp_session_error(s);
				break;
			}
			smtp_session_dispatch(s, &cmd);
			if (smtp_session_cmd_is_last(cmd.verb) &&
			    s->mode == SMTP_MODE_CMD)
				return;
			break;
		}
		}
	}
}

static void
smtp_session_timeout(struct smtp_session *s)
{
	log_info("%016llx smtp disconnect ip=%s reason=timeout",
		 (unsigned long long)s->id, s->peer_ip);
	/* RFC 5321 4.5.3.2: the server closes after its timeout; say so. */
	smtp_reply_close(s, 421, "4.4.2", "Timeout exceeded, closing");
}

static void
smtp_session_on_conn(struct conn *c, enum conn_event e, void *arg)
{
	struct smtp_session *s = arg;

	switch (e) {
	case CONN_TLS_READY:
		s->tls = true;
		if (s->mode == SMTP_MODE_GREET_WAIT) {
			/* implicit TLS (submissions): greet now */
			conn_cork(c);
			smtp_session_greet(s);
			conn_uncork(c);
		} else {
			/* RFC 3207 4.2: forget everything learned before. */
			smtp_parser_deinit(&s->parser);
			smtp_parser_init(&s->parser, SMTP_CMD_LINE_MAX,
					 SMTP_AUTH_LINE_MAX);
			s->mode = SMTP_MODE_CMD;
			conn_resume(c);
		}
		return;
	case CONN_DATA:
		conn_cork(c);
		smtp_session_process(s);
		if (s->c != NULL)
			conn_uncork(c);
		return;
	case CONN_DRAINED:
		if (s->starttls_pending) {
			s->starttls_pending = false;
			if (conn_start_tls(c, s->srv->tls) < 0)
				conn_close(c);
		}
		return;
	case CONN_TIMEOUT:
		smtp_session_timeout(s);
		return;
	case CONN_EOF:
		if (s->mode != SMTP_MODE_CLOSED)
			log_info("%016llx smtp disconnect ip=%s reason=eof%s",
				 (unsigned long long)s->id, s->peer_ip,
				 s->tx != NULL && s->tx->data_started
				     ? " during-data"
				     : "");
		conn_close(c);
		return;
	case CONN_ERROR:
		conn_close(c);
		return;
	}
}

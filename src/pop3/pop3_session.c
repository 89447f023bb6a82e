/* pop3_session.c: POP3 server sessions: accept, input loop, dispatch,
   replies, maildrop locks, shutdown. */
/* SPDX-License-Identifier: MIT */
#include "pop3/pop3_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "ev.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "xalloc.h"

/* Session ids of POP3 are kept apart from SMTP's in the logs. */
#define POP3_ID_BASE (2ull << 56)

struct pop3_cmd_def {
	void (*fn)(struct pop3_session *, const struct pop3_cmd *);
	unsigned states; /* enum pop3_state bits where allowed */
};

/* RFC 1939 4-6, RFC 2449 5, RFC 2595 4, RFC 5034 4. */
static const struct pop3_cmd_def pop3_cmds[POP3_VERB__COUNT] = {
    [POP3_VERB_USER] = {pop3_auth_user, POP3_ST_AUTH},
    [POP3_VERB_PASS] = {pop3_auth_pass, POP3_ST_AUTH},
    [POP3_VERB_APOP] = {pop3_auth_apop, POP3_ST_AUTH},
    [POP3_VERB_AUTH] = {pop3_auth_cmd, POP3_ST_AUTH},
    [POP3_VERB_CAPA] = {pop3_cmd_capa, POP3_ST_ANY},
    [POP3_VERB_STLS] = {pop3_cmd_stls, POP3_ST_AUTH},
    [POP3_VERB_QUIT] = {pop3_cmd_quit, POP3_ST_ANY},
    [POP3_VERB_STAT] = {pop3_cmd_stat, POP3_ST_TRANS},
    [POP3_VERB_LIST] = {pop3_cmd_list, POP3_ST_TRANS},
    [POP3_VERB_RETR] = {pop3_retr_cmd, POP3_ST_TRANS},
    [POP3_VERB_DELE] = {pop3_cmd_dele, POP3_ST_TRANS},
    [POP3_VERB_NOOP] = {pop3_cmd_noop, POP3_ST_TRANS},
    [POP3_VERB_RSET] = {pop3_cmd_rset, POP3_ST_TRANS},
    [POP3_VERB_TOP] = {pop3_retr_top, POP3_ST_TRANS},
    [POP3_VERB_UIDL] = {pop3_cmd_uidl, POP3_ST_TRANS},
};

static void pop3_session_on_conn(struct conn *c, enum conn_event e, void *arg);

/* ---- replies ---- */

static void pop3_reply_v(struct pop3_session *s, const char *prefix,
			 const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
pop3_reply_v(struct pop3_session *s, const char *prefix, const char *fmt,
	     va_list ap)
{
	char text[1024];
	int n;

	if (s->mode == POP3_MODE_CLOSED || s->c == NULL)
		return;
	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1;
	conn_printf(s->c, "%s%.*s\r\n", prefix, n, text);
}

void
pop3_reply(struct pop3_session *s, bool ok, const char *code, const char *fmt,
	   ...)
{
	char prefix[64];
	va_list ap;

	if (ok)
		snprintf(prefix, sizeof(prefix), "+OK ");
	else if (code != NULL)
		snprintf(prefix, sizeof(prefix), "-ERR [%s] ", code);
	else
		snprintf(prefix, sizeof(prefix), "-ERR ");
	va_start(ap, fmt);
	pop3_reply_v(s, prefix, fmt, ap);
	va_end(ap);
	if (!ok)
		log_debug("%016llx pop3 reply=-ERR%s%s",
			  (unsigned long long)s->id, code != NULL ? " " : "",
			  code != NULL ? code : "");
}

void
pop3_reply_line(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pop3_reply_v(s, "", fmt, ap);
	va_end(ap);
}

void
pop3_session_close(struct pop3_session *s)
{
	if (s->c != NULL && s->mode != POP3_MODE_CLOSED) {
		conn_uncork(s->c);
		conn_close_after_flush(s->c);
	}
	s->mode = POP3_MODE_CLOSED;
}

void
pop3_reply_close(struct pop3_session *s, const char *code, const char *text)
{
	pop3_reply(s, false, code, "%s", text);
	pop3_session_close(s);
}

bool
pop3_session_error(struct pop3_session *s)
{
	if (++s->errors < POP3_ERRORS_MAX)
		return false;
	log_info("%016llx pop3 disconnect ip=%s reason=too-many-errors",
		 (unsigned long long)s->id, s->peer_ip);
	pop3_reply_close(s, NULL, "Too many errors, closing connection");
	return true;
}

/* ---- locks and helpers ---- */

bool
pop3_session_locked(const struct pop3_server *srv, int64_t account_id)
{
	const struct sessions_link *l;

	for (l = srv->sessions.head; l != NULL; l = l->next) {
		const struct pop3_session *s =
		    SESSIONS_OF(l, const struct pop3_session, link);

		if (s->locked && s->account_id == account_id)
			return true;
	}
	return false;
}

bool
pop3_session_plaintext_ok(const struct pop3_session *s)
{
	return s->tls || (s->loopback && s->srv->cfg->pop3_plaintext_auth ==
					     CONFIG_PLAIN_LOOPBACK);
}

const struct store_pop3_msg *
pop3_session_msg(struct pop3_session *s, const char *arg, size_t *index_r)
{
	uint32_t n;

	if (pop3_parse_number(arg, &n) < 0) {
		pop3_reply(s, false, NULL, "Invalid message number");
		pop3_session_error(s);
		return NULL;
	}
	if (n == 0 || n > s->box.n) {
		pop3_reply(s, false, NULL, "No such message");
		pop3_session_error(s);
		return NULL;
	}
	if (s->deleted[n - 1]) {
		pop3_reply(s, false, NULL, "Message %u is deleted", n);
		pop3_session_error(s);
		return NULL;
	}
	*index_r = n - 1;
	return &s->box.msgs[n - 1];
}

/* ---- lifecycle ---- */

static void
pop3_session_free(struct pop3_session *s)
{
	struct pop3_server *srv = s->srv;

	if (s->timer != 0)
		ev_del_timer(srv->ev, s->timer);
	if (s->kick != 0)
		ev_del_timer(srv->ev, s->kick);
	pop3_auth_reset(s);
	pop3_retr_free(s);
	buf_deinit(&s->send.out);
	pop3_parser_deinit(&s->parser);
	store_pop3_box_free(&s->box);
	free(s->deleted);
	free(s->auth_user);
	sessions_remove(&srv->sessions, &s->link);
	free(s);
}

/* conn on_free hook: the connection is being reaped. */
static void
pop3_session_on_free(void *arg)
{
	struct pop3_session *s = arg;

	listener_release(s->la->listener, s->peer_ip);
	log_info("%016llx pop3 disconnected ip=%s", (unsigned long long)s->id,
		 s->peer_ip);
	s->c = NULL;
	if (s->pending) {
		s->gone = true; /* the job's completion frees it */
		return;
	}
	pop3_session_free(s);
}

void
pop3_session_busy(struct pop3_session *s)
{
	s->mode = POP3_MODE_BUSY;
	s->pending = true;
	if (s->c != NULL)
		conn_pause(s->c);
}

bool
pop3_session_job_done(struct pop3_session *s)
{
	s->pending = false;
	if (s->gone) {
		pop3_session_free(s);
		return false;
	}
	return true;
}

static void
pop3_session_kick(struct ev *ev, void *arg)
{
	struct pop3_session *s = arg;

	(void)ev;
	s->kick = 0;
	if (s->c == NULL || s->mode != POP3_MODE_SEND)
		return;
	conn_cork(s->c);
	pop3_retr_pump(s);
	if (s->mode == POP3_MODE_CMD)
		pop3_session_process(s);
	if (s->c == NULL)
		return;
	pop3_session_uncork(s);
	/* outside a conn callback: reading may have stopped on a full
	   input buffer while the message went out */
	if (s->mode != POP3_MODE_BUSY && s->mode != POP3_MODE_CLOSED)
		conn_resume(s->c);
}

void
pop3_session_uncork(struct pop3_session *s)
{
	if (s->c == NULL)
		return;
	conn_uncork(s->c);
	/* Everything went out at once: no CONN_DRAINED will come, so
	   continue the send from the loop (other sessions run first). */
	if (s->mode == POP3_MODE_SEND && buf_len(&s->c->out) == 0 &&
	    s->kick == 0 && !s->c->closing)
		s->kick = ev_add_timer(s->srv->ev, 0, pop3_session_kick, s);
}

void
pop3_session_resume(struct pop3_session *s)
{
	if (s->c == NULL || s->mode == POP3_MODE_CLOSED)
		return;
	if (s->mode == POP3_MODE_BUSY)
		s->mode = POP3_MODE_CMD;
	conn_cork(s->c);
	pop3_session_process(s);
	if (s->c == NULL)
		return;
	pop3_session_uncork(s);
	if (s->mode != POP3_MODE_BUSY && s->mode != POP3_MODE_CLOSED)
		conn_resume(s->c);
}

static void
pop3_session_greet(struct pop3_session *s)
{
	s->mode = POP3_MODE_CMD;
	pop3_reply(s, true, NULL, "buzon POP3 ready %s", s->timestamp);
}

void
pop3_server_refuse(int fd, void *arg)
{
	static const char msg[] =
	    "-ERR [SYS/TEMP] Too many connections, try again later\r\n";

	(void)arg;
	if (write(fd, msg, sizeof(msg) - 1) < 0) {
		/* the socket is closed next anyway */
	}
}

void
pop3_server_accept(struct listener *l, int fd, const struct sockaddr *peer,
		   socklen_t peerlen, void *arg)
{
	struct pop3_listen_arg *la = arg;
	struct pop3_server *srv = la->srv;
	struct pop3_session *s = xzalloc(sizeof(*s));
	SSL_CTX *tls = la->kind == LISTEN_POP3S ? srv->tls : NULL;
	struct timespec ts;

	(void)l;
	s->srv = srv;
	s->la = la;
	s->id = POP3_ID_BASE | sessions_add(&srv->sessions, &s->link, &s->c);
	s->state = POP3_ST_AUTH;
	s->mode = POP3_MODE_TLS_WAIT;
	buf_init(&s->send.out, 0);
	pop3_parser_init(&s->parser, POP3_CMD_LINE_MAX);
	listener_format_ip(peer, s->peer_ip, sizeof(s->peer_ip));
	s->loopback = conn_ip_is_loopback(s->peer_ip);
	/* RFC 1939 7: a timestamp unique to this greeting. */
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(s->timestamp, sizeof(s->timestamp), "<%ld.%llu.%ld@%s>",
		 (long)getpid(),
		 (unsigned long long)(s->id & 0xffffffffffffull),
		 (long)ts.tv_sec, srv->cfg->hostname);
	s->c = conn_new(srv->ev, fd, peer, peerlen, tls, POP3_IN_BUF_MAX,
			pop3_session_on_conn, s);
	s->c->id = s->id;
	s->c->on_free = pop3_session_on_free;
	conn_set_idle(s->c, srv->cfg->pop3_idle_timeout_ms);
	log_info("%016llx pop3 connect ip=%s listener=%s",
		 (unsigned long long)s->id, s->peer_ip,
		 config_listen_name(la->kind));
	if (tls == NULL)
		pop3_session_greet(s);
}

/* Shutdown: goodbye to one session. */
static void
pop3_session_bye(struct sessions_link *l)
{
	struct pop3_session *s = SESSIONS_OF(l, struct pop3_session, link);

	/* A job, a delay or a send in progress: its end says goodbye
	   (pop3_session_uncork). */
	if (s->pending || s->c == NULL || s->mode == POP3_MODE_SEND)
		return;
	if (s->mode == POP3_MODE_TLS_WAIT || s->stls_pending ||
	    (s->mode == POP3_MODE_BUSY && s->c->handshaking)) {
		pop3_session_close(s);
		return;
	}
	/* RFC 2449 8.1.2: SYS/TEMP, a transient problem. */
	pop3_reply_close(s, "SYS/TEMP", "Server shutting down");
}

void
pop3_server_shutdown(struct pop3_server *srv)
{
	static const struct sessions_service svc = {pop3_session_bye, NULL};

	sessions_shutdown(&srv->sessions, srv->ev, &svc);
}

void
pop3_server_abort(struct pop3_server *srv)
{
	sessions_abort(&srv->sessions);
}

/* ---- input ---- */

static void
pop3_session_dispatch(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	const struct pop3_cmd_def *def;

	/* RFC 1939 7: PASS only right after USER. */
	if (cmd->verb != POP3_VERB_PASS && s->user != NULL) {
		free(s->user);
		s->user = NULL;
	}
	if (cmd->verb == POP3_VERB_UNKNOWN) {
		pop3_reply(s, false, NULL, "Unknown command");
		pop3_session_error(s);
		return;
	}
	def = &pop3_cmds[cmd->verb];
	if ((def->states & s->state) == 0) {
		pop3_reply(s, false, NULL,
			   s->state == POP3_ST_AUTH
			       ? "Not logged in: command not valid yet"
			       : "Already logged in: command not valid now");
		pop3_session_error(s);
		return;
	}
	def->fn(s, cmd);
}

/* Process as much buffered input as the mode allows. */
void
pop3_session_process(struct pop3_session *s)
{
	struct conn *c = s->c;

	while (c != NULL && s->c != NULL && !c->closing) {
		switch (s->mode) {
		case POP3_MODE_TLS_WAIT:
		case POP3_MODE_SEND:
		case POP3_MODE_BUSY:
		case POP3_MODE_CLOSED:
			return;
		case POP3_MODE_SASL: {
			const char *line;
			size_t len;
			int rc =
			    pop3_parse_line(&s->parser, &c->in,
					    POP3_AUTH_LINE_MAX, &line, &len);

			if (rc == 0)
				return;
			if (rc < 0) {
				pop3_auth_reset(s);
				pop3_reply(s, false, NULL, "%s",
					   s->parser.error);
				pop3_session_error(s);
				break;
			}
			pop3_auth_line(s, line, len);
			break;
		}
		case POP3_MODE_CMD: {
			struct pop3_cmd cmd;
			int rc;

			if (s->srv->sessions.shutting_down) {
				/* what was running has replied: goodbye */
				pop3_reply_close(s, "SYS/TEMP",
						 "Server shutting down");
				return;
			}
			rc = pop3_parse_command(&s->parser, &c->in, &cmd);

			if (rc == 0)
				return;
			if (rc < 0) {
				pop3_reply(s, false, NULL, "%s",
					   s->parser.error);
				pop3_session_error(s);
				break;
			}
			pop3_session_dispatch(s, &cmd);
			break;
		}
		}
	}
}

static void
pop3_session_on_conn(struct conn *c, enum conn_event e, void *arg)
{
	struct pop3_session *s = arg;

	switch (e) {
	case CONN_TLS_READY:
		s->tls = true;
		if (s->mode == POP3_MODE_TLS_WAIT) {
			conn_cork(c); /* pop3s: greet now */
			pop3_session_greet(s);
			conn_uncork(c);
			return;
		}
		/* RFC 2595 4: forget what came before the handshake. */
		pop3_parser_deinit(&s->parser);
		pop3_parser_init(&s->parser, POP3_CMD_LINE_MAX);
		s->mode = POP3_MODE_CMD;
		conn_resume(c);
		return;
	case CONN_DATA:
		conn_cork(c);
		pop3_session_process(s);
		pop3_session_uncork(s);
		return;
	case CONN_DRAINED:
		if (s->stls_pending) {
			s->stls_pending = false;
			if (conn_start_tls(c, s->srv->tls) < 0)
				conn_close(c);
			return;
		}
		if (s->mode == POP3_MODE_SEND && s->kick == 0) {
			conn_cork(c);
			pop3_retr_pump(s);
			if (s->mode == POP3_MODE_CMD)
				pop3_session_process(s);
			pop3_session_uncork(s);
		}
		return;
	case CONN_TIMEOUT:
		log_info("%016llx pop3 disconnect ip=%s reason=timeout",
			 (unsigned long long)s->id, s->peer_ip);
		/* RFC 1939 3: the autologout timer closes without UPDATE:
		   nothing marked is removed. */
		if (s->mode == POP3_MODE_SEND || s->pending)
			conn_close(c);
		else
			pop3_reply_close(s, NULL, "Autologout: idle too long");
		return;
	case CONN_EOF:
		if (s->mode != POP3_MODE_CLOSED)
			log_info("%016llx pop3 disconnect ip=%s reason=eof",
				 (unsigned long long)s->id, s->peer_ip);
		conn_close(c);
		return;
	case CONN_ERROR:
		conn_close(c);
		return;
	}
}

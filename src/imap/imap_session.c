/* imap_session.c: IMAP server sessions: the connection, the input loop,
   the command table with the states each command is valid in, errors,
   timeouts. */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "ev.h"
#include "imap/imap_cmd_table.h"
#include "imap/imap_view.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "pool.h"
#include "xalloc.h"

/* Session ids of IMAP are kept apart from SMTP's and POP3's in the
   logs. */
#define IMAP_ID_BASE (3ull << 56)

/* The handler of each command; the states it is valid in are
   imap_cmd_states() (imap_cmd_table.c). */
static imap_cmd_fn *const imap_cmds[IMAP_CMD__COUNT] = {
    [IMAP_CMD_CAPABILITY] = imap_cmd_capability,
    [IMAP_CMD_NOOP] = imap_cmd_noop,
    [IMAP_CMD_LOGOUT] = imap_cmd_logout,
    [IMAP_CMD_ID] = imap_cmd_id,
    [IMAP_CMD_STARTTLS] = imap_cmd_starttls,
    [IMAP_CMD_AUTHENTICATE] = imap_cmd_authenticate,
    [IMAP_CMD_LOGIN] = imap_cmd_login,
    [IMAP_CMD_ENABLE] = imap_cmd_enable,
    [IMAP_CMD_SELECT] = imap_cmd_select,
    [IMAP_CMD_EXAMINE] = imap_cmd_examine,
    [IMAP_CMD_CREATE] = imap_cmd_create,
    [IMAP_CMD_DELETE] = imap_cmd_delete,
    [IMAP_CMD_RENAME] = imap_cmd_rename,
    [IMAP_CMD_SUBSCRIBE] = imap_cmd_subscribe,
    [IMAP_CMD_UNSUBSCRIBE] = imap_cmd_unsubscribe,
    [IMAP_CMD_LIST] = imap_cmd_list,
    [IMAP_CMD_LSUB] = imap_cmd_lsub,
    [IMAP_CMD_NAMESPACE] = imap_cmd_namespace,
    [IMAP_CMD_STATUS] = imap_cmd_status,
    [IMAP_CMD_APPEND] = imap_cmd_append,
    [IMAP_CMD_IDLE] = imap_cmd_idle,
    [IMAP_CMD_GETQUOTA] = imap_cmd_getquota,
    [IMAP_CMD_GETQUOTAROOT] = imap_cmd_getquotaroot,
    [IMAP_CMD_CHECK] = imap_cmd_check,
    [IMAP_CMD_CLOSE] = imap_cmd_close,
    [IMAP_CMD_UNSELECT] = imap_cmd_unselect,
    [IMAP_CMD_EXPUNGE] = imap_cmd_expunge,
    [IMAP_CMD_SEARCH] = imap_cmd_search,
    [IMAP_CMD_FETCH] = imap_cmd_fetch,
    [IMAP_CMD_STORE] = imap_cmd_store,
    [IMAP_CMD_COPY] = imap_cmd_copy,
    [IMAP_CMD_MOVE] = imap_cmd_move,
    [IMAP_CMD_SORT] = imap_cmd_sort,
    [IMAP_CMD_THREAD] = imap_cmd_thread,
};

/* The session whose input loop is running (loop thread only): a command
   finishing inside it lets the loop go on instead of re-entering it. */
static struct imap_session *imap_processing;

static void imap_session_on_conn(struct conn *c, enum conn_event e,
				 void *arg);
static void imap_session_process(struct imap_session *s);

/* ---- control ---- */

void
imap_session_close(struct imap_session *s)
{
	if (s->c != NULL && s->mode != IMAP_MODE_CLOSED) {
		conn_uncork(s->c);
		conn_close_after_flush(s->c);
	}
	s->mode = IMAP_MODE_CLOSED;
	s->state = IMAP_ST_LOGOUT;
}

void
imap_session_bye(struct imap_session *s, const char *text)
{
	if (s->mode == IMAP_MODE_CLOSED)
		return;
	imap_untagged(s, "BYE %s", text);
	imap_session_close(s);
}

bool
imap_session_error(struct imap_session *s)
{
	if (++s->errors < IMAP_ERRORS_MAX)
		return false;
	log_info("%016llx imap disconnect ip=%s reason=too-many-errors",
		 (unsigned long long)s->id, s->peer_ip);
	imap_session_bye(s, "Too many invalid commands");
	return true;
}

bool
imap_session_plaintext_ok(const struct imap_session *s)
{
	return s->tls || (s->loopback && s->srv->cfg->imap_plaintext_auth ==
					     CONFIG_PLAIN_LOOPBACK);
}

bool
imap_session_utf8(const struct imap_session *s)
{
	/* RFC 9051 5.1 (IMAP4rev2 names are Net-Unicode), RFC 6855 3. */
	return (s->enabled & (IMAP_EN_IMAP4REV2 | IMAP_EN_UTF8)) != 0;
}

void
imap_session_busy(struct imap_session *s)
{
	if (s->mode != IMAP_MODE_CLOSED)
		s->mode = IMAP_MODE_BUSY;
	if (s->c != NULL)
		conn_pause(s->c);
}

void
imap_session_flush(struct imap_session *s)
{
	if (s->c != NULL && s->c->corked) {
		conn_uncork(s->c);
		conn_cork(s->c);
	}
}

static void
imap_session_free(struct imap_session *s)
{
	struct imap_server *srv = s->srv;

	if (s->timer != 0)
		ev_del_timer(srv->ev, s->timer);
	if (s->view != NULL)
		imap_view_free(s);
	imap_auth_reset(s);
	imap_cmd_free(&s->cmd);
	imap_parser_deinit(&s->parser);
	free(s->done_line);
	free(s->saved_uids);
	free(s->user);
	sessions_remove(&srv->sessions, &s->link);
	free(s);
}

bool
imap_session_job_done(struct imap_session *s)
{
	s->pending = false;
	if (s->gone) {
		imap_session_free(s);
		return false;
	}
	return true;
}

struct imap_session_job {
	struct imap_session *s;
	void (*work)(void *job);
	void (*done)(struct imap_session *s, void *job);
	void *job;
};

static void
imap_session_job_work(void *arg)
{
	struct imap_session_job *j = arg;

	j->work(j->job);
}

static void
imap_session_job_end(void *arg)
{
	struct imap_session_job *j = arg;

	j->done(imap_session_job_done(j->s) ? j->s : NULL, j->job);
	free(j);
}

void
imap_session_job(struct imap_session *s, void (*work)(void *job),
		 void (*done)(struct imap_session *s, void *job), void *job)
{
	struct imap_session_job *j = xzalloc(sizeof(*j));

	j->s = s;
	j->work = work;
	j->done = done;
	j->job = job;
	s->pending = true;
	imap_session_busy(s);
	pool_submit(s->srv->pool, imap_session_job_work, imap_session_job_end,
		    j);
}

/* conn on_free hook: the connection is being reaped. */
static void
imap_session_on_free(void *arg)
{
	struct imap_session *s = arg;

	listener_release(s->la->listener, s->peer_ip);
	log_info("%016llx imap disconnected ip=%s", (unsigned long long)s->id,
		 s->peer_ip);
	s->c = NULL;
	if (s->pending) {
		s->gone = true; /* the job's completion frees it */
		if (s->drained != NULL) {
			/* a response waiting for the socket: let it end */
			void (*fn)(void *) = s->drained;

			s->drained = NULL;
			fn(s->drained_arg);
		}
		return;
	}
	imap_session_free(s);
}

/* Run buffered input after an asynchronous step; replies queued by the
   completion go out with what follows, in one write. */
static void
imap_session_resume(struct imap_session *s)
{
	struct imap_session *outer = imap_processing;

	if (s->c == NULL || s->mode == IMAP_MODE_CLOSED)
		return;
	conn_cork(s->c);
	imap_processing = s;
	imap_session_process(s);
	imap_processing = outer;
	if (s->c == NULL)
		return;
	conn_uncork(s->c);
	if (s->mode != IMAP_MODE_BUSY && s->mode != IMAP_MODE_CLOSED &&
	    s->mode != IMAP_MODE_TLS_WAIT)
		conn_resume(s->c);
}

void
imap_session_next(struct imap_session *s)
{
	if (s->mode == IMAP_MODE_CLOSED || s->mode == IMAP_MODE_TLS_WAIT)
		return;
	s->mode = IMAP_MODE_CMD;
	if (imap_processing == s)
		return; /* the input loop goes on */
	imap_session_resume(s);
}

static void
imap_session_greet(struct imap_session *s)
{
	char *caps = imap_cmd_capabilities(s);

	s->mode = IMAP_MODE_CMD;
	/* RFC 9051 7.1.1: capabilities in the greeting save a round trip. */
	imap_untagged(s, "OK [CAPABILITY %s] buzon ready", caps);
	free(caps);
}

void
imap_session_new(struct imap_listen_arg *la, int fd,
		 const struct sockaddr *peer, socklen_t peerlen)
{
	struct imap_server *srv = la->srv;
	struct imap_session *s = xzalloc(sizeof(*s));
	SSL_CTX *tls = la->kind == LISTEN_IMAPS ? srv->tls : NULL;

	s->srv = srv;
	s->la = la;
	s->id = IMAP_ID_BASE | sessions_add(&srv->sessions, &s->link, &s->c);
	s->state = IMAP_ST_NOAUTH;
	s->mode = IMAP_MODE_TLS_WAIT;
	imap_parser_init(&s->parser, NULL);
	listener_format_ip(peer, s->peer_ip, sizeof(s->peer_ip));
	s->loopback = conn_ip_is_loopback(s->peer_ip);
	s->c = conn_new(srv->ev, fd, peer, peerlen, tls, IMAP_IN_BUF_MAX,
			imap_session_on_conn, s);
	s->c->id = s->id;
	s->c->on_free = imap_session_on_free;
	/* Before login a shorter autologout; imap_session_logged_in()
	   switches to [imap] idle_timeout. */
	conn_set_idle(s->c, IMAP_PREAUTH_TIMEOUT_MS <
					srv->cfg->imap_idle_timeout_ms
				    ? IMAP_PREAUTH_TIMEOUT_MS
				    : srv->cfg->imap_idle_timeout_ms);
	log_info("%016llx imap connect ip=%s listener=%s",
		 (unsigned long long)s->id, s->peer_ip,
		 config_listen_name(la->kind));
	if (tls == NULL)
		imap_session_greet(s);
}

void
imap_session_logged_in(struct imap_session *s, const char *address,
		       int64_t account_id)
{
	free(s->user);
	s->user = xstrdup(address);
	s->account_id = account_id;
	s->state = IMAP_ST_AUTH;
	if (s->c != NULL)
		conn_set_idle(s->c, s->srv->cfg->imap_idle_timeout_ms);
	log_info("%016llx imap login user=%s ip=%s", (unsigned long long)s->id,
		 address, s->peer_ip);
}

/* ---- input ---- */

static void
imap_session_dispatch(struct imap_session *s)
{
	imap_cmd_fn *fn = imap_cmds[s->cmd->name];
	const char *why;

	if (fn == NULL) {
		/* the parser returns known names only */
		imap_cmd_bad(s, NULL, "Unknown command");
		return;
	}
	why = imap_cmd_refused(s->cmd->name, s->state);
	if (why != NULL) {
		imap_cmd_bad(s, "CLIENTBUG", why);
		return;
	}
	fn(s, s->cmd);
}

/* A command line the parser refused. */
static void
imap_session_parse_error(struct imap_session *s)
{
	const struct imap_parser *p = &s->parser;
	const char *code = p->error_code;

	if (p->error_tag != NULL)
		imap_tagged(s, p->error_tag, p->error_status, code, "%s",
			    p->error_text);
	else
		imap_untagged(s, "%s %s%s%s%s", p->error_status,
			      code != NULL ? "[" : "", code != NULL ? code : "",
			      code != NULL ? "] " : "", p->error_text);
	if (strcmp(p->error_status, "BAD") == 0)
		imap_session_error(s);
}

/* Process as much buffered input as the mode allows. */
static void
imap_session_process(struct imap_session *s)
{
	struct conn *c = s->c;

	while (c != NULL && s->c != NULL && !c->closing) {
		const char *line;
		size_t len;
		int rc;

		switch (s->mode) {
		case IMAP_MODE_TLS_WAIT:
		case IMAP_MODE_BUSY:
		case IMAP_MODE_CLOSED:
			return;
		case IMAP_MODE_SASL:
		case IMAP_MODE_IDLE:
			rc = imap_parse_line(&s->parser, &c->in, &line, &len);
			if (rc == 0)
				return;
			if (rc < 0) {
				line = "";
				len = 0;
				if (s->mode == IMAP_MODE_SASL) {
					imap_auth_reset(s);
					imap_cmd_bad(s, NULL,
						     "Invalid response line");
					break;
				}
			}
			if (s->mode == IMAP_MODE_SASL)
				imap_auth_line(s, line, len);
			else
				imap_idle_line(s, line, len);
			break;
		case IMAP_MODE_CMD:
			if (s->srv->sessions.shutting_down) {
				/* what was running has replied: goodbye */
				imap_session_bye(s, "[UNAVAILABLE] Server "
						    "shutting down");
				return;
			}
			rc = imap_parse_command(&s->parser, &c->in, &s->cmd);
			if (rc == IMAP_PARSE_MORE)
				return;
			if (rc == IMAP_PARSE_CONT) {
				/* RFC 9051 7.5 */
				imap_continue(s, "Ready for literal data");
				break;
			}
			if (rc == IMAP_PARSE_ERROR) {
				imap_session_parse_error(s);
				break;
			}
			imap_session_dispatch(s);
			break;
		}
	}
}

static void
imap_session_on_conn(struct conn *c, enum conn_event e, void *arg)
{
	struct imap_session *s = arg;

	switch (e) {
	case CONN_TLS_READY:
		s->tls = true;
		if (s->mode == IMAP_MODE_TLS_WAIT) {
			conn_cork(c); /* imaps: greet now */
			imap_session_greet(s);
			conn_uncork(c);
			return;
		}
		/* RFC 9051 6.2.1: forget what came before the handshake
		   (conn_start_tls dropped the bytes buffered behind it). */
		imap_parser_deinit(&s->parser);
		imap_parser_init(&s->parser, NULL);
		s->mode = IMAP_MODE_CMD;
		conn_resume(c);
		return;
	case CONN_DATA:
		imap_session_resume(s);
		return;
	case CONN_DRAINED:
		if (s->drained != NULL) {
			void (*fn)(void *) = s->drained;

			s->drained = NULL;
			fn(s->drained_arg);
			return;
		}
		if (s->starttls_pending) {
			s->starttls_pending = false;
			if (conn_start_tls(c, s->srv->tls) < 0)
				conn_close(c);
		}
		return;
	case CONN_TIMEOUT:
		log_info("%016llx imap disconnect ip=%s reason=timeout",
			 (unsigned long long)s->id, s->peer_ip);
		if (s->pending || s->mode == IMAP_MODE_BUSY ||
		    s->mode == IMAP_MODE_TLS_WAIT)
			conn_close(c);
		else
			/* RFC 9051 7.1.5 */
			imap_session_bye(s, "Autologout; idle for too long");
		return;
	case CONN_EOF:
		if (s->mode != IMAP_MODE_CLOSED)
			log_info("%016llx imap disconnect ip=%s reason=eof",
				 (unsigned long long)s->id, s->peer_ip);
		conn_close(c);
		return;
	case CONN_ERROR:
		conn_close(c);
		return;
	}
}

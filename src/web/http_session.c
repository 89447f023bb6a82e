/* http_session.c: HTTP/1.1 connections: accept, the input loop (one
   request at a time, so pipelined responses go out in order), body
   buffering, timeouts, shutdown. */
/* SPDX-License-Identifier: MIT */
#include "web/http_session.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "ev.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "web/jmap_push.h"
#include "xalloc.h"

/* Session ids of HTTP are kept apart from the other services' in logs. */
#define HTTP_ID_BASE (4ull << 56)

static void http_session_on_conn(struct conn *c, enum conn_event e, void *arg);
static void http_session_process(struct http_session *s);

static const struct http_parse_limits *
http_session_limits(void)
{
	static struct http_parse_limits lim;

	lim = http_parse_limits_default;
	lim.body_max = HTTP_BODY_MAX;
	return &lim;
}

void
http_session_close(struct http_session *s)
{
	if (s->c != NULL && s->mode != HTTP_MODE_CLOSED) {
		conn_uncork(s->c);
		conn_close_after_flush(s->c);
	}
	s->mode = HTTP_MODE_CLOSED;
}

static void
http_session_free(struct http_session *s)
{
	struct http_server *srv = s->srv;

	if (s->req_timer != 0)
		ev_del_timer(srv->ev, s->req_timer);
	if (s->delay != 0)
		ev_del_timer(srv->ev, s->delay);
	if (s->ping_timer != 0)
		ev_del_timer(srv->ev, s->ping_timer);
	jmap_push_stream_closed(s);
	http_auth_forget(s);
	http_parser_deinit(&s->parser);
	buf_deinit(&s->body);
	sessions_remove(&srv->sessions, &s->link);
	free(s);
}

/* conn on_free hook: the connection is being reaped. */
static void
http_session_on_free(void *arg)
{
	struct http_session *s = arg;

	listener_release(s->la->listener, s->peer_ip);
	log_info("%016llx http disconnected ip=%s", (unsigned long long)s->id,
		 s->peer_ip);
	s->c = NULL;
	if (s->pending) {
		s->gone = true; /* the job's completion frees it */
		return;
	}
	http_session_free(s);
}

void
http_session_busy(struct http_session *s)
{
	s->mode = HTTP_MODE_BUSY;
	s->pending = true;
	if (s->c != NULL)
		conn_pause(s->c);
}

bool
http_session_job_done(struct http_session *s)
{
	s->pending = false;
	if (s->gone) {
		http_session_free(s);
		return false;
	}
	return true;
}

void
http_session_request_done(struct http_session *s)
{
	s->in_request = false;
	s->is_head = false;
	s->body_over = false;
	buf_reset(&s->body);
}

void
http_session_resume(struct http_session *s)
{
	/* still busy: a continuation started another job */
	if (s->c == NULL || s->pending || s->mode == HTTP_MODE_CLOSED ||
	    s->mode == HTTP_MODE_STREAM)
		return;
	s->mode = HTTP_MODE_READ;
	conn_cork(s->c);
	http_session_process(s);
	if (s->c == NULL)
		return;
	conn_uncork(s->c);
	if (s->mode == HTTP_MODE_READ)
		conn_resume(s->c);
}

/* The head of a request did not arrive in time (slow clients). */
static void
http_session_on_req_timer(struct ev *ev, void *arg)
{
	struct http_session *s = arg;

	(void)ev;
	s->req_timer = 0;
	if (s->c == NULL || s->mode != HTTP_MODE_READ || s->in_request)
		return;
	log_info("%016llx http disconnect ip=%s reason=request-timeout",
		 (unsigned long long)s->id, s->peer_ip);
	http_reply_text(s, 408, true, NULL, "Request timeout");
}

static void
http_session_start_req_timer(struct http_session *s)
{
	if (s->req_timer == 0 && !s->in_request && s->mode == HTTP_MODE_READ)
		s->req_timer =
		    ev_add_timer(s->srv->ev, s->srv->cfg->web_request_timeout_ms,
				 http_session_on_req_timer, s);
}

void
http_server_refuse(int fd, void *arg)
{
	static const char msg[] = "HTTP/1.1 503 Service Unavailable\r\n"
				  "Connection: close\r\n"
				  "Content-Type: text/plain\r\n"
				  "Content-Length: 22\r\n"
				  "\r\n"
				  "Too many connections\r\n";

	(void)arg;
	if (write(fd, msg, sizeof(msg) - 1) < 0) {
		/* the socket is closed next anyway */
	}
}

void
http_server_accept(struct listener *l, int fd, const struct sockaddr *peer,
		   socklen_t peerlen, void *arg)
{
	struct http_listen_arg *la = arg;
	struct http_server *srv = la->srv;
	struct http_session *s = xzalloc(sizeof(*s));
	SSL_CTX *tls = la->kind == LISTEN_HTTPS ? srv->tls : NULL;

	(void)l;
	s->srv = srv;
	s->la = la;
	s->id = HTTP_ID_BASE | sessions_add(&srv->sessions, &s->link, &s->c);
	s->https = tls != NULL;
	s->mode = tls != NULL ? HTTP_MODE_TLS_WAIT : HTTP_MODE_READ;
	buf_init(&s->body, 0);
	http_parser_init(&s->parser, http_session_limits());
	listener_format_ip(peer, s->peer_ip, sizeof(s->peer_ip));
	s->loopback = conn_ip_is_loopback(s->peer_ip);
	s->c = conn_new(srv->ev, fd, peer, peerlen, tls, HTTP_IN_BUF_MAX,
			http_session_on_conn, s);
	s->c->id = s->id;
	s->c->on_free = http_session_on_free;
	conn_set_idle(s->c, srv->cfg->web_idle_timeout_ms);
	log_info("%016llx http connect ip=%s listener=%s",
		 (unsigned long long)s->id, s->peer_ip,
		 config_listen_name(la->kind));
}

/* Shutdown: goodbye to one session. */
static void
http_session_bye(struct sessions_link *l)
{
	struct http_session *s = SESSIONS_OF(l, struct http_session, link);

	if (s->c == NULL || s->pending)
		return; /* its response says "Connection: close" */
	if (s->mode == HTTP_MODE_STREAM) {
		jmap_http_events_end(s);
		return;
	}
	/* idle keep-alive (RFC 9112 9.5: a server may close it at any
	   time), a handshake, or a request still arriving */
	http_session_close(s);
}

/* Shutting down and the last session is gone. */
static void
http_server_idle(struct sessions *r)
{
	struct http_server *srv = SESSIONS_OF(r, struct http_server, sessions);

	jmap_push_stop(srv);
	jmap_http_loads_free(srv);
}

void
http_server_shutdown(struct http_server *srv)
{
	static const struct sessions_service svc = {http_session_bye,
						     http_server_idle};

	sessions_shutdown(&srv->sessions, srv->ev, &svc);
}

void
http_server_abort(struct http_server *srv)
{
	sessions_abort(&srv->sessions);
	jmap_push_stop(srv);
}

/* ---- input ---- */

static void
http_session_head(struct http_session *s)
{
	const struct http_request *req = &s->parser.req;

	s->in_request = true;
	if (s->req_timer != 0) {
		ev_del_timer(s->srv->ev, s->req_timer);
		s->req_timer = 0;
	}
	s->is_head = req->method == HTTP_METHOD_HEAD;
	s->accept_enc = http_parse_accept_encoding(req);
	buf_reset(&s->body);
	if (http_route_head(s) < 0)
		return;
	/* RFC 9110 10.1.1: tell a waiting client to send the body. */
	if (req->expect_continue && (req->chunked || req->content_length > 0))
		conn_printf(s->c, "HTTP/1.1 100 Continue\r\n\r\n");
}

static void
http_session_body(struct http_session *s, const struct http_event *ev)
{
	if (buf_len(&s->body) + ev->len > s->body_max) {
		/* The rest of the body is not read: the stream ends here. */
		http_reply_too_large(s);
		return;
	}
	if (buf_append(&s->body, ev->data, ev->len) < 0) {
		http_reply_text(s, 500, true, NULL, "Out of memory");
		return;
	}
}

/* Process as much buffered input as the mode allows. */
static void
http_session_process(struct http_session *s)
{
	struct conn *c = s->c;

	while (c != NULL && s->c != NULL && !c->closing &&
	       s->mode == HTTP_MODE_READ) {
		struct http_event ev;
		int rc;

		if (!s->in_request && s->srv->sessions.shutting_down) {
			http_session_close(s);
			return;
		}
		rc = http_parse(&s->parser, &c->in, &ev);
		if (rc == 0) {
			/* the client sent all it will (half-close): answer
			   what came, then close */
			if (c->eof)
				http_session_close(s);
			return;
		}
		if (rc < 0) {
			/* RFC 9112 9.6 and 11.2: the framing is lost; answer
			   and close rather than guess where the next request
			   starts. */
			log_info("%016llx http bad request ip=%s status=%d "
				 "reason=%s",
				 (unsigned long long)s->id, s->peer_ip,
				 s->parser.status, s->parser.error);
			s->in_request = false;
			http_reply_text(s, s->parser.status, true, NULL,
					s->parser.error);
			return;
		}
		switch (ev.type) {
		case HTTP_EV_HEAD:
			http_session_head(s);
			break;
		case HTTP_EV_BODY:
			http_session_body(s, &ev);
			break;
		case HTTP_EV_END:
			http_route(s);
			if (s->mode == HTTP_MODE_READ && s->c != NULL &&
			    buf_len(&s->c->in) > 0)
				http_session_start_req_timer(s);
			break;
		}
	}
}

static void
http_session_on_conn(struct conn *c, enum conn_event e, void *arg)
{
	struct http_session *s = arg;

	switch (e) {
	case CONN_TLS_READY:
		if (s->mode == HTTP_MODE_TLS_WAIT)
			s->mode = HTTP_MODE_READ;
		return;
	case CONN_DATA:
		if (s->mode == HTTP_MODE_STREAM) {
			/* nothing more is read on an event stream */
			buf_reset(&c->in);
			return;
		}
		if (s->mode != HTTP_MODE_READ)
			return;
		http_session_start_req_timer(s);
		conn_cork(c);
		http_session_process(s);
		if (s->c != NULL)
			conn_uncork(c);
		return;
	case CONN_DRAINED:
		return;
	case CONN_TIMEOUT:
		if (s->mode == HTTP_MODE_READ && s->in_request) {
			log_info("%016llx http disconnect ip=%s "
				 "reason=body-timeout",
				 (unsigned long long)s->id, s->peer_ip);
			http_reply_text(s, 408, true, NULL, "Request timeout");
		} else if (s->mode == HTTP_MODE_READ ||
			   s->mode == HTTP_MODE_TLS_WAIT) {
			/* RFC 9112 9.5: idle keep-alive connections may be
			   closed at any time */
			http_session_close(s);
		}
		return;
	case CONN_EOF:
		/* A half-closed client still gets the responses to the
		   requests it sent (a pending one continues on resume). */
		if (s->pending)
			return;
		if (s->mode == HTTP_MODE_READ) {
			conn_cork(c);
			http_session_process(s);
			if (s->c != NULL && s->mode == HTTP_MODE_READ)
				http_session_close(s);
			else if (s->c != NULL)
				conn_uncork(c);
			return;
		}
		conn_close(c);
		return;
	case CONN_ERROR:
		conn_close(c);
		return;
	}
}

/* http_session.h: one HTTP/1.1 connection (internal to src/web). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_HTTP_SESSION_H
#define BUZON_HTTP_SESSION_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "web/http_parse.h"
#include "web/http_server.h"

struct conn;

/* What the input loop does with the bytes that arrive. */
enum http_mode {
	HTTP_MODE_TLS_WAIT, /* https before the handshake */
	HTTP_MODE_READ,     /* reading requests */
	HTTP_MODE_BUSY,     /* a request waits for the pool or a delay */
	HTTP_MODE_STREAM,   /* an event stream (RFC 8620 7.3) is open */
	HTTP_MODE_CLOSED,   /* final response queued */
};

struct http_session {
	struct http_server *srv;
	struct sessions_link link; /* in srv->sessions */
	struct http_listen_arg *la;
	struct conn *c;
	uint64_t id;
	enum http_mode mode;
	bool https;    /* came in on the https listener */
	bool loopback; /* the peer is 127.0.0.0/8 or ::1 */
	char peer_ip[64];
	struct http_parser parser;
	/* the request being read or answered */
	bool in_request; /* HTTP_EV_HEAD seen, not yet answered */
	bool is_head;    /* HEAD: the response has no body */
	bool body_over;  /* the body passed body_max */
	uint64_t body_max;
	const char *limit_name; /* JMAP limit named when body_max is passed */
	struct buf body;
	unsigned accept_enc; /* HTTP_ENC_* of the request */
	uint64_t req_timer;  /* the head must arrive before it fires */
	uint64_t delay;      /* failed-login delay */
	bool pending;        /* a pool job or timer holds a pointer to us */
	bool gone;           /* conn freed while pending: free on completion */
	/* Login cache: the Authorization value that last succeeded on this
	   connection, so later requests with the same value skip the
	   password hash.  Wiped when freed. */
	char *auth_value;
	int64_t account_id; /* > 0 while auth_value is valid */
	char *account;
	/* the event stream (HTTP_MODE_STREAM) */
	uint64_t ping_timer;
	unsigned ping_s;
	bool stream_chunked;
	/* its push (jmap_push.c): the types asked for (JMAP_PUSH_TYPES_ALL
	   bits), the state its last StateChange said (at first: the state
	   when it opened, or its Last-Event-ID), closeafter=state, and
	   whether it is counted as an open stream */
	unsigned push_types;
	uint64_t push_state;
	bool push_closeafter;
	bool push_on;
};

/* A response.  headers: extra raw field lines, each ending in CRLF
   (NULL: none).  The body is copied (or compressed) before returning. */
struct http_response {
	int status;
	const char *type; /* Content-Type, NULL when there is no body */
	const void *body;
	size_t len;
	const char *headers;
	bool close; /* "Connection: close" and close after sending */
};

/* ---- http_reply.c ---- */

/* The reason phrase of status ("Not Found"). */
const char *http_reply_reason(int status);
/* Queue the response to the current request (body left out for HEAD;
   gzip when the request accepts it and the body is at least
   HTTP_GZIP_MIN), then end the request: close after it when r->close,
   the request did not allow keep-alive, or the server is stopping. */
void http_reply(struct http_session *s, const struct http_response *r);
/* A text/plain response (text plus a newline); close: as in r->close. */
void http_reply_text(struct http_session *s, int status, bool close,
		     const char *headers, const char *text);
/* A JSON response of type type (NULL: application/json); takes the
   reference to j. */
void http_reply_json(struct http_session *s, int status, const char *type,
		     json_t *j);
/* An RFC 7807 problem (application/problem+json): {"type", "status",
   "detail"}, plus "limit" when limit is not NULL (RFC 8620 3.6.1). */
void http_reply_problem(struct http_session *s, int status, const char *type,
			const char *limit, const char *detail);
/* 413 for a body over s->body_max (a JMAP "limit" problem naming
   s->limit_name when set); the body is not read, so the connection
   closes after it. */
void http_reply_too_large(struct http_session *s);
/* Write the status line and common fields of a response whose body is
   sent later by the caller (event streams); no Content-Length. */
void http_reply_head_only(struct http_session *s, int status,
			  const char *type, const char *headers);
/* Format the current time as an IMF-fixdate (RFC 9110 5.6.7) into
   out[30]. */
void http_reply_date(char out[30]);

/* ---- http_session.c ---- */

/* Close after what is queued is written. */
void http_session_close(struct http_session *s);
/* Stop reading input while a job or delay runs (pending). */
void http_session_busy(struct http_session *s);
/* For completions: returns false (and frees s) if the connection went
   away meanwhile; then the caller must not touch s. */
bool http_session_job_done(struct http_session *s);
/* The current request was answered asynchronously: go on with the
   requests buffered after it. */
void http_session_resume(struct http_session *s);
/* The current request has been answered: forget it. */
void http_session_request_done(struct http_session *s);

/* ---- http_auth.c ---- */

/* Run cont(s) once the request is authenticated (HTTP Basic, RFC 7617,
   checked on the pool; a cached login is reused at once).  Otherwise
   answer it: 403 on plain HTTP where [web] plaintext_auth forbids
   passwords, 401 with a challenge (after the failure delay of the
   limiter when credentials were wrong), 503 when the store failed. */
void http_auth_require(struct http_session *s,
		       void (*cont)(struct http_session *s));
/* Wipe the login cache. */
void http_auth_forget(struct http_session *s);

/* ---- http_route.c ---- */

/* The head of a request arrived: set s->body_max for its target (the
   parser's limit applies on top).  Returns 0, or -1 after answering
   (413 with close) when the announced length is already too big. */
int http_route_head(struct http_session *s);
/* The request is complete: answer it (now or asynchronously). */
void http_route(struct http_session *s);

/* ---- jmap_http.c: the JMAP endpoints ---- */

void jmap_http_session(struct http_session *s);
/* The session resource (RFC 8620 2) of account (its id account_id) as
   reached through s's Host: a new reference (the caller owns it). */
json_t *jmap_http_session_json(struct http_session *s, int64_t account_id,
			       const char *account);
void jmap_http_api(struct http_session *s);
void jmap_http_upload(struct http_session *s);
void jmap_http_download(struct http_session *s);
void jmap_http_events(struct http_session *s);
/* End an open event stream (the last chunk, then close). */
void jmap_http_events_end(struct http_session *s);
/* The account of stream s is at state now (its EmailDelivery state at
   delivery), and the types in changed (JMAP_PUSH_TYPES_ALL bits)
   changed since s->push_state: send a "state" event (RFC 8620 7.3)
   naming those of them s asked for (none: nothing is sent), remember
   state, and end the stream after it on closeafter=state.  Loop
   thread. */
void jmap_http_events_push(struct http_session *s, uint64_t state,
			   uint64_t delivery, unsigned changed);
/* Release the per-account counters of the JMAP endpoints. */
void jmap_http_loads_free(struct http_server *srv);

#endif

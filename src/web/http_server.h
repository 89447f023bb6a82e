/* http_server.h: the HTTP service (http plain, https implicit TLS) that
   serves JMAP (RFC 8620) on buzon's event loop. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_HTTP_SERVER_H
#define BUZON_HTTP_SERVER_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "sessions.h"

struct ev;
struct pool;
struct store;
struct listener;
struct auth_limiter;
struct queue_runner;
struct http_session;
struct http_account_load;
struct jmap_push;

/* Shared with the other services; the owner (cli_serve) sets every
   public field before the first accept and replaces cfg and tls on
   reload (sessions never keep pointers into cfg across events). */
struct http_server {
	struct config *cfg;
	struct ev *ev;
	struct pool *pool;
	struct store *store;
	SSL_CTX *tls;
	struct auth_limiter *limiter;
	struct queue_runner *queue; /* JMAP EmailSubmission kicks it; or NULL */
	/* every live session; the owner sets sessions.on_idle and
	   sessions.idle_arg */
	struct sessions sessions;
	/* private */
	struct http_account_load *loads;   /* JMAP concurrency per account */
	struct jmap_push *push; /* JMAP push (jmap_push.c), once a stream
				   opened */
};

/* Accept callback for listeners of kind LISTEN_HTTP and LISTEN_HTTPS;
   arg is a struct http_listen_arg that outlives the listener. */
struct http_listen_arg {
	struct http_server *srv;
	enum listen_kind kind;
	struct listener *listener;
};
void http_server_accept(struct listener *l, int fd, const struct sockaddr *peer,
			socklen_t peerlen, void *arg);
/* Write a 503 response to a socket refused by the connection limits
   (plain text: on an https listener the client sees a failed
   handshake, as it would for a closed socket). */
void http_server_refuse(int fd, void *arg);
/* Begin a graceful stop (listeners already stopped): idle keep-alive
   connections and event streams are closed, a request in progress is
   answered with "Connection: close" and then closed.  When the last
   session is gone, on_idle (or ev_stop).  Loop thread only. */
void http_server_shutdown(struct http_server *srv);
/* The grace period is over: close every connection now, unflushed. */
void http_server_abort(struct http_server *srv);

#endif

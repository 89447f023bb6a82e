/* pop3_server.h: the POP3 service (pop3 with STLS, pop3s implicit TLS). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_POP3_SERVER_H
#define BUZON_POP3_SERVER_H

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
struct pop3_session;

/* Shared with the other services; the owner (cli_serve) sets every
   field before the first accept and replaces cfg and tls on reload
   (sessions never keep pointers into cfg across events). */
struct pop3_server {
	struct config *cfg;
	struct ev *ev;
	struct pool *pool;
	struct store *store;
	SSL_CTX *tls;
	struct auth_limiter *limiter;
	/* every live session; the owner sets sessions.on_idle and
	   sessions.idle_arg */
	struct sessions sessions;
};

/* Accept callback for listeners of kind LISTEN_POP3 and LISTEN_POP3S;
   arg is a struct pop3_listen_arg that outlives the listener. */
struct pop3_listen_arg {
	struct pop3_server *srv;
	enum listen_kind kind;
	struct listener *listener;
};
void pop3_server_accept(struct listener *l, int fd, const struct sockaddr *peer,
			socklen_t peerlen, void *arg);
/* Write a one-line -ERR to a socket refused by the connection limits. */
void pop3_server_refuse(int fd, void *arg);
/* Begin a graceful stop (listeners already stopped): every session gets
   "-ERR [SYS/TEMP] shutting down" and is closed; one waiting for the
   store (a QUIT expunge, a login) gets its own reply first, and a message
   being sent is finished first.  When the last session is gone, on_idle
   (or ev_stop).  Loop thread only. */
void pop3_server_shutdown(struct pop3_server *srv);
/* The grace period is over: close every connection now, unflushed. */
void pop3_server_abort(struct pop3_server *srv);

#endif

/* imap_server.h: the IMAP service (imap with STARTTLS, imaps implicit TLS). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_SERVER_H
#define BUZON_IMAP_SERVER_H

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
struct imap_session;
struct imap_notify;

/* Shared with the other services; the owner (cli_serve) sets every
   public field before the first accept and replaces cfg and tls on
   reload (sessions never keep pointers into cfg across events). */
struct imap_server {
	struct config *cfg;
	struct ev *ev;
	struct pool *pool;
	struct store *store;
	SSL_CTX *tls;
	struct auth_limiter *limiter;
	/* every live session; the owner sets sessions.on_idle and
	   sessions.idle_arg */
	struct sessions sessions;
	/* private */
	struct imap_notify *notify;        /* imap_notify.c */
	bool notify_on; /* imap_notify_start() done, no stop yet */
};

/* Set up what the service needs once (the store change hook that wakes
   sessions: imap_notify_start()).  Call after the public fields are set
   and before the first accept.  Returns 0 or -1. */
int imap_server_start(struct imap_server *srv);

/* Accept callback for listeners of kind LISTEN_IMAP and LISTEN_IMAPS;
   arg is a struct imap_listen_arg that outlives the listener. */
struct imap_listen_arg {
	struct imap_server *srv;
	enum listen_kind kind;
	struct listener *listener;
};
void imap_server_accept(struct listener *l, int fd, const struct sockaddr *peer,
			socklen_t peerlen, void *arg);
/* Write a one-line "* BYE" to a socket refused by the connection limits. */
void imap_server_refuse(int fd, void *arg);
/* Begin a graceful stop (listeners already stopped): every session gets
   "* BYE [UNAVAILABLE] shutting down" once the command it runs has been
   answered, and is closed.  When the last session is gone, on_idle (or
   ev_stop).  Loop thread only. */
void imap_server_shutdown(struct imap_server *srv);
/* The grace period is over: close every connection now, unflushed; the
   store hook is removed. */
void imap_server_abort(struct imap_server *srv);

#endif

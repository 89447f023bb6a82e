/* smtp_server.h: the SMTP service (MX on smtp, submission, submissions). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_SERVER_H
#define BUZON_SMTP_SERVER_H

#include <openssl/ssl.h>
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

struct smtp_server {
	struct config *cfg; /* replaced on reload; sessions never keep
			       pointers into it across events */
	struct ev *ev;
	struct pool *pool;
	struct store *store;
	SSL_CTX *tls;
	struct auth_limiter *limiter;
	/* Kicked when a message with remote recipients is committed, so
	   it leaves at once instead of at the runner's next poll; NULL:
	   none (the poll finds it). */
	struct queue_runner *queue;
	/* every live session; the owner sets sessions.on_idle */
	struct sessions sessions;
};

/* Accept callback for the listeners of kind LISTEN_SMTP, LISTEN_SUBMISSION
   and LISTEN_SUBMISSIONS; arg is a struct smtp_listen_arg. */
struct smtp_listen_arg {
	struct smtp_server *srv;
	enum listen_kind kind;
	struct listener *listener;
};
void smtp_server_accept(struct listener *l, int fd, const struct sockaddr *peer,
			socklen_t peerlen, void *arg);
/* Write a one-line 421 to a socket refused by the connection limits. */
void smtp_server_refuse(int fd, void *arg);
/* Begin a graceful stop (the listeners must be stopped already): every
   session is told "421 4.3.2" and closed; one waiting for the store gets
   its reply first, so an accepted message is always acknowledged.  When
   the last session is gone, on_idle (or ev_stop(srv->ev)).  Loop thread only. */
void smtp_server_shutdown(struct smtp_server *srv);
/* The grace period is over: close every connection now, unflushed. */
void smtp_server_abort(struct smtp_server *srv);

#endif

/* imap_server.c: the IMAP service: accept, refuse, graceful stop and
   abort. */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_server.h"

#include <unistd.h>

#include "conn.h"
#include "ev.h"
#include "imap/imap_session.h"

int
imap_server_start(struct imap_server *srv)
{
	if (imap_notify_start(srv) < 0)
		return -1;
	srv->notify_on = true;
	return 0;
}

static void
imap_server_notify_stop(struct imap_server *srv)
{
	if (srv->notify_on)
		imap_notify_stop(srv);
	srv->notify_on = false;
}

/* Shutting down and the last session is gone. */
static void
imap_server_idle(struct sessions *r)
{
	imap_server_notify_stop(SESSIONS_OF(r, struct imap_server, sessions));
}

void
imap_server_refuse(int fd, void *arg)
{
	/* RFC 9051 7.1.5: BYE in place of a greeting. */
	static const char msg[] =
	    "* BYE [UNAVAILABLE] Too many connections, try again later\r\n";

	(void)arg;
	if (write(fd, msg, sizeof(msg) - 1) < 0) {
		/* the socket is closed next anyway */
	}
}

void
imap_server_accept(struct listener *l, int fd, const struct sockaddr *peer,
		   socklen_t peerlen, void *arg)
{
	(void)l;
	imap_session_new(arg, fd, peer, peerlen);
}

/* Shutdown: goodbye to one session. */
static void
imap_server_bye(struct sessions_link *l)
{
	struct imap_session *s = SESSIONS_OF(l, struct imap_session, link);

	if (s->c == NULL)
		return;
	if (s->mode == IMAP_MODE_TLS_WAIT || s->starttls_pending ||
	    s->c->handshaking) {
		imap_session_close(s);
		return;
	}
	/* A command running (pool job, delay, a FETCH being sent): the
	   input loop says goodbye once it has replied. */
	if (s->pending || s->mode == IMAP_MODE_BUSY ||
	    s->mode == IMAP_MODE_CLOSED)
		return;
	conn_cork(s->c);
	imap_session_bye(s, "[UNAVAILABLE] Server shutting down");
}

void
imap_server_shutdown(struct imap_server *srv)
{
	static const struct sessions_service svc = {imap_server_bye,
						     imap_server_idle};

	sessions_shutdown(&srv->sessions, srv->ev, &svc);
}

void
imap_server_abort(struct imap_server *srv)
{
	sessions_abort(&srv->sessions);
	imap_server_notify_stop(srv);
}

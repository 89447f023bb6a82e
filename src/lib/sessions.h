/* sessions.h: the live sessions of one service (SMTP, POP3, IMAP, HTTP):
   an intrusive list, their count and ids, and the graceful stop they
   share (shutting-down flag, "last session gone" callback, abort). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SESSIONS_H
#define BUZON_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conn;
struct ev;
struct sessions;

/* Embedded in each session; owned by the registry while listed. */
struct sessions_link {
	struct sessions_link *prev, *next;
	struct conn *const *conn; /* the session's connection (NULL once
				     it is reaped), for sessions_abort() */
};

/* The session that holds link l: SESSIONS_OF(l, struct pop3_session,
   link). */
#define SESSIONS_OF(l, type, member)                                           \
	((type *)(void *)((char *)(l) - offsetof(type, member)))

/* What a service does at a graceful stop; a static const table. */
struct sessions_service {
	/* Say goodbye to one live session (or leave it to the end of what
	   it runs).  It may close the connection; it must not free the
	   session. */
	void (*bye)(struct sessions_link *l);
	/* Shutting down and the last session is gone: the service's own
	   last step, before on_idle.  NULL: none. */
	void (*idle)(struct sessions *r);
};

struct sessions {
	/* Set by the owner before the first accept: called (loop thread)
	   when shutting down and the last session is gone; NULL:
	   ev_stop() of the loop given to sessions_shutdown(). */
	void (*on_idle)(void *arg);
	void *idle_arg;
	/* read-only outside sessions.c */
	struct sessions_link *head; /* every live session, newest first */
	unsigned count;
	bool shutting_down;
	uint64_t last_id; /* of the newest session; 0: none yet */
	/* private */
	struct ev *ev;
	const struct sessions_service *svc;
};

/* List a new session; *conn is read (at abort) while it is listed.
   Returns its number in this registry: 1, 2, ... */
uint64_t sessions_add(struct sessions *r, struct sessions_link *l,
		      struct conn *const *conn);
/* Unlist a session (call before freeing it).  When it was the last one
   and the service is shutting down, the service's idle step and on_idle
   run now, from inside this call. */
void sessions_remove(struct sessions *r, struct sessions_link *l);
/* Begin a graceful stop: mark shutting down, then svc->bye() for every
   listed session (each may go while the list is walked).  With no
   session at all, the idle steps run at once.  svc must outlive r;
   ev is stopped when on_idle is NULL.  Loop thread only. */
void sessions_shutdown(struct sessions *r, struct ev *ev,
		       const struct sessions_service *svc);
/* The grace period is over: close the connection of every session now,
   unflushed (the sessions go as their connections are reaped). */
void sessions_abort(struct sessions *r);

#endif

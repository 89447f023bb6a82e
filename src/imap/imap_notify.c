/* imap_notify.c: the store's change hook for IMAP: mark the views of a
   changed mailbox as needing a sync, and update sessions in IDLE at once. */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_session.h"
#include "imap/imap_view.h"
#include "pool.h"
#include "store/store.h"
#include "xalloc.h"

/* Mailboxes changed since the loop last looked.  A burst of commits
   (group commit of many deliveries, a big STORE) becomes one posted
   callback that handles each mailbox once. */
struct imap_notify {
	pthread_mutex_t mu;
	struct imap_server *srv;
	struct pool *pool;
	int64_t *ids;
	size_t n, cap;
	bool posted;  /* a imap_notify_run() is queued on the loop */
	bool stopped; /* imap_notify_stop() ran: the queued run frees us */
};

static void
imap_notify_free(struct imap_notify *nt)
{
	pthread_mutex_destroy(&nt->mu);
	free(nt->ids);
	free(nt);
}

/* Loop thread. */
static void
imap_notify_run(void *arg)
{
	struct imap_notify *nt = arg;
	int64_t *ids;
	size_t n, i;
	bool stopped;

	pthread_mutex_lock(&nt->mu);
	ids = nt->ids;
	n = nt->n;
	nt->ids = NULL;
	nt->n = nt->cap = 0;
	nt->posted = false;
	stopped = nt->stopped;
	pthread_mutex_unlock(&nt->mu);
	if (stopped) {
		free(ids);
		imap_notify_free(nt);
		return;
	}
	for (i = 0; i < n; i++)
		imap_notify_changed(nt->srv, ids[i], NULL);
	free(ids);
}

/* Any thread (the committing one). */
static void
imap_notify_hook(void *arg, enum store_change kind, int64_t mailbox_id)
{
	struct imap_notify *nt = arg;
	bool post = false;
	size_t i;

	if (kind != STORE_CHANGE_MAILBOX)
		return; /* no mailbox row changed: nothing a view shows */
	pthread_mutex_lock(&nt->mu);
	for (i = 0; i < nt->n; i++)
		if (nt->ids[i] == mailbox_id)
			break;
	if (i == nt->n) {
		if (nt->n == nt->cap) {
			nt->cap = nt->cap ? nt->cap * 2 : 8;
			nt->ids = xrealloc(nt->ids, nt->cap * sizeof(*nt->ids));
		}
		nt->ids[nt->n++] = mailbox_id;
	}
	if (!nt->posted && !nt->stopped) {
		nt->posted = true;
		post = true;
	}
	pthread_mutex_unlock(&nt->mu);
	if (post)
		pool_post(nt->pool, imap_notify_run, nt);
}

int
imap_notify_start(struct imap_server *srv)
{
	struct imap_notify *nt = xzalloc(sizeof(*nt));

	if (pthread_mutex_init(&nt->mu, NULL) != 0) {
		free(nt);
		return -1;
	}
	nt->srv = srv;
	nt->pool = srv->pool;
	if (store_add_notify(srv->store, imap_notify_hook, nt) < 0) {
		imap_notify_free(nt);
		return -1;
	}
	srv->notify = nt;
	return 0;
}

void
imap_notify_stop(struct imap_server *srv)
{
	struct imap_notify *nt = srv->notify;
	bool posted;

	if (nt == NULL)
		return;
	/* after this no hook runs, so nt->posted is final below */
	store_remove_notify(srv->store, imap_notify_hook, nt);
	srv->notify = NULL;
	pthread_mutex_lock(&nt->mu);
	nt->stopped = true;
	posted = nt->posted;
	pthread_mutex_unlock(&nt->mu);
	if (!posted)
		imap_notify_free(nt);
}

/* After an IDLE sync's job: send what it read, then look again (more
   may have changed meanwhile). */
static void
imap_notify_idle_cont(struct imap_session *s)
{
	if (s->mode != IMAP_MODE_IDLE || s->view == NULL)
		return; /* DONE came meanwhile: imap_cmd_done() syncs */
	/* RFC 2177 3: while idling, EXISTS and EXPUNGE may be sent. */
	if (imap_view_sync(s, true, imap_notify_idle_cont) == 0)
		imap_session_flush(s);
}

void
imap_notify_idle_sync(struct imap_session *s)
{
	if (s->view != NULL && !s->view->syncing)
		imap_notify_idle_cont(s);
}

void
imap_notify_changed(struct imap_server *srv, int64_t mailbox_id,
		    struct imap_session *except)
{
	struct sessions_link *l, *next;

	for (l = srv->sessions.head; l != NULL; l = next) {
		struct imap_session *s =
		    SESSIONS_OF(l, struct imap_session, link);

		next = l->next;
		if (s == except || s->view == NULL ||
		    s->view->mailbox_id != mailbox_id)
			continue;
		s->view->dirty = true;
		if (s->mode == IMAP_MODE_IDLE)
			imap_notify_idle_sync(s);
	}
}

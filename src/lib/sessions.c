/* sessions.c: the live sessions of one service and their graceful stop. */
/* SPDX-License-Identifier: MIT */
#include "sessions.h"

#include "conn.h"
#include "ev.h"

uint64_t
sessions_add(struct sessions *r, struct sessions_link *l,
	     struct conn *const *conn)
{
	l->conn = conn;
	l->prev = NULL;
	l->next = r->head;
	if (l->next != NULL)
		l->next->prev = l;
	r->head = l;
	r->count++;
	return ++r->last_id;
}

/* Shutting down and the last session is gone. */
static void
sessions_idle(struct sessions *r)
{
	if (r->svc != NULL && r->svc->idle != NULL)
		r->svc->idle(r);
	if (r->on_idle != NULL)
		r->on_idle(r->idle_arg);
	else if (r->ev != NULL)
		ev_stop(r->ev);
}

void
sessions_remove(struct sessions *r, struct sessions_link *l)
{
	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		r->head = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	l->prev = l->next = NULL;
	if (--r->count == 0 && r->shutting_down)
		sessions_idle(r);
}

void
sessions_shutdown(struct sessions *r, struct ev *ev,
		  const struct sessions_service *svc)
{
	struct sessions_link *l, *next;

	r->shutting_down = true;
	r->ev = ev;
	r->svc = svc;
	if (r->count == 0) {
		sessions_idle(r);
		return;
	}
	for (l = r->head; l != NULL; l = next) {
		next = l->next;
		svc->bye(l);
	}
}

void
sessions_abort(struct sessions *r)
{
	struct sessions_link *l;

	for (l = r->head; l != NULL; l = l->next)
		if (*l->conn != NULL)
			conn_close(*l->conn);
}

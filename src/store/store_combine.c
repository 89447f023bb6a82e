/* store_combine.c: write combining.  Small writes (IMAP STORE, EXPUNGE,
   COPY/MOVE, \Recent claims from every session) share one write
   transaction and one commit, that is one fsync, with each other and
   with the deliveries: in server mode the delivery committer thread
   (store_deliver.c) is the only writer of mail data and runs whatever
   operations queued while its previous commit ran, each in its own
   savepoint (a failure rolls back only that one), in the transaction of
   its next batch.  Callers block until the commit holding their change
   is durable.  Without the committer (CLI) an operation runs in its own
   transaction on the calling thread. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pool.h"
#include "xalloc.h"

struct store_combine_req {
	struct store_combine_req *next;
	const struct store_combine_op *op;
	void *arg;
	/* store_combine_submit(): called on the loop thread, then the
	   request (malloc'd) is freed; NULL for store_combine(). */
	store_write_done_fn *done_fn;
	void *done_arg;
	struct store_combine_out out;
	bool done; /* result final: set under s->mu */
	int rc;
	char error[256]; /* rc < 0 */
};

static const char sql_savepoint[] = "SAVEPOINT combine";
static const char sql_release[] = "RELEASE combine";
static const char sql_rollback_to[] = "ROLLBACK TO combine";

void
store_combine_changed(struct store_combine_out *out, int64_t mailbox_id)
{
	size_t i;

	for (i = 0; i < out->n_ids; i++)
		if (out->ids[i] == mailbox_id)
			return;
	if (out->n_ids < STORE_COMBINE_IDS)
		out->ids[out->n_ids++] = mailbox_id;
}

/* Fail q: its writes are (or will be) rolled back. */
static void
store_combine_fail(struct store_combine_req *q, const char *error)
{
	if (q->rc >= 0 && q->op->undo != NULL)
		q->op->undo(q->arg);
	q->out.n_ids = 0;
	q->out.gc = false;
	q->rc = -1;
	snprintf(q->error, sizeof(q->error), "%s", error);
}

void
store_combine_fail_all(struct store_combine_req *batch, const char *error)
{
	for (; batch != NULL; batch = batch->next)
		if (batch->rc >= 0)
			store_combine_fail(batch, error);
}

/* Run one operation in its own savepoint.  0, or -1 when the state of
   the whole transaction is unknown (every operation must fail). */
static int
store_combine_run1(struct store_db *db, struct store_combine_req *q,
		   const char **error_r)
{
	const char *error = NULL;

	if (store_db_exec(db, sql_savepoint) < 0) {
		store_err_db(error_r, db, "savepoint");
		return -1;
	}
	q->rc = q->op->run(db, q->arg, &q->out, &error);
	if (q->rc < 0) {
		q->rc = 0; /* so that fail undoes what run left behind */
		store_combine_fail(q, error != NULL ? error : "store write");
		/* Undo this operation's writes only; the savepoint stays
		   open until RELEASE. */
		(void)store_db_exec(db, sql_rollback_to);
	}
	if (store_db_exec(db, sql_release) < 0) {
		store_err_db(error_r, db, "release");
		return -1;
	}
	return 0;
}

int
store_combine_run(struct store_db *db, struct store_combine_req *batch,
		  const char **error_r)
{
	for (; batch != NULL; batch = batch->next)
		if (store_combine_run1(db, batch, error_r) < 0)
			return -1;
	return 0;
}

bool
store_combine_changes(struct store_combine_req *batch, int64_t **ids_r,
		      size_t *n_r)
{
	int64_t *ids = NULL;
	size_t n = 0, cap = 0, i, j;
	bool gc = false;

	for (; batch != NULL; batch = batch->next) {
		if (batch->rc < 0)
			continue;
		gc = gc || batch->out.gc;
		for (j = 0; j < batch->out.n_ids; j++) {
			for (i = 0; i < n && ids[i] != batch->out.ids[j]; i++)
				;
			if (i < n)
				continue;
			if (n == cap) {
				cap = cap < 8 ? 8 : cap * 2;
				ids = xrealloc(ids, cap * sizeof(*ids));
			}
			ids[n++] = batch->out.ids[j];
		}
	}
	*ids_r = ids;
	*n_r = n;
	return gc;
}

/* Hand an asynchronous request's result over (on the loop thread when
   posted there) and free it. */
static void
store_combine_complete(void *arg)
{
	struct store_combine_req *q = arg;

	q->done_fn(q->done_arg, q->rc, q->rc < 0 ? q->error : NULL);
	free(q);
}

static void
store_combine_post(struct store *s, struct store_combine_req *q)
{
	if (s->pool != NULL)
		pool_post(s->pool, store_combine_complete, q);
	else
		store_combine_complete(q);
}

void
store_combine_done(struct store *s, struct store_combine_req *batch)
{
	struct store_combine_req *next;

	pthread_mutex_lock(&s->mu);
	for (; batch != NULL; batch = next) {
		next = batch->next; /* batch may return once done is set */
		if (batch->done_fn != NULL)
			store_combine_post(s, batch);
		else
			batch->done = true;
	}
	pthread_cond_broadcast(&s->combine_cv);
	pthread_mutex_unlock(&s->mu);
}

/* No committer (CLI mode, or the server stopping): one transaction of
   one operation on this thread. */
static void
store_combine_alone(struct store *s, struct store_combine_req *q)
{
	const char *error = NULL;
	struct store_db *db;
	int64_t *ids;
	size_t n;
	bool gc;

	if ((db = store_db_acquire_tx(s, true, &error)) == NULL) {
		store_combine_fail_all(q, error);
		return;
	}
	if (store_combine_run(db, q, &error) < 0) {
		store_combine_fail_all(q, error);
		store_db_release(s, db); /* rolls back */
		return;
	}
	/* Committed even when no mailbox changed (a \Recent claim); a
	   transaction that wrote nothing commits without a disk write. */
	gc = store_combine_changes(q, &ids, &n);
	if (store_db_commit_changes(s, db, ids, n, gc, &error) < 0)
		store_combine_fail_all(q, error);
	free(ids);
}

void
store_combine_submit(struct store *s, const struct store_combine_op *op,
		     void *arg, store_write_done_fn *done, void *done_arg)
{
	struct store_combine_req *q = xzalloc(sizeof(*q));
	bool queued = false;

	q->op = op;
	q->arg = arg;
	q->done_fn = done;
	q->done_arg = done_arg;
	pthread_mutex_lock(&s->mu);
	if (s->threads_started && !s->stopping) {
		*s->combine_tail = q;
		s->combine_tail = &q->next;
		pthread_cond_signal(&s->commit_cv);
		queued = true;
	}
	pthread_mutex_unlock(&s->mu);
	if (!queued) {
		store_combine_alone(s, q);
		store_combine_post(s, q);
	}
}

int
store_combine(struct store *s, const struct store_combine_op *op, void *arg,
	      const char **error_r)
{
	struct store_combine_req req;
	bool queued = false;

	memset(&req, 0, sizeof(req));
	req.op = op;
	req.arg = arg;
	pthread_mutex_lock(&s->mu);
	if (s->threads_started && !s->stopping) {
		*s->combine_tail = &req;
		s->combine_tail = &req.next;
		pthread_cond_signal(&s->commit_cv);
		while (!req.done)
			pthread_cond_wait(&s->combine_cv, &s->mu);
		queued = true;
	}
	pthread_mutex_unlock(&s->mu);
	if (!queued)
		store_combine_alone(s, &req);
	if (req.rc < 0)
		return store_err(error_r, "%s", req.error);
	return req.rc;
}

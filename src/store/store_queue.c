/* store_queue.c: the outbound queue: taking due entries, recording attempts,
   listing and administration. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xalloc.h"

static const char sql_due[] =
    "SELECT id FROM queue WHERE next_attempt <= ?1 AND held = 0 AND"
    " locked_until = 0 ORDER BY next_attempt, id LIMIT ?2";
static const char sql_lock[] =
    "UPDATE queue SET locked_until = ?2 WHERE id = ?1 AND locked_until = 0";
static const char sql_unlock_all[] =
    "UPDATE queue SET locked_until = 0 WHERE locked_until != 0";
static const char sql_entry[] =
    "SELECT q.id, q.sender, q.envid, q.ret, q.created, q.next_attempt,"
    " q.attempts, q.last_attempt, q.held, q.locked_until, m.size, m.blob"
    " FROM queue q JOIN messages m ON m.id = q.message_id WHERE q.id = ?1";
static const char sql_entries_all[] =
    "SELECT q.id, q.sender, q.envid, q.ret, q.created, q.next_attempt,"
    " q.attempts, q.last_attempt, q.held, q.locked_until, m.size, m.blob"
    " FROM queue q JOIN messages m ON m.id = q.message_id ORDER BY q.id";
static const char sql_rcpts_pending[] =
    "SELECT address, orcpt, notify, state, attempts, last_reply, mta"
    " FROM queue_rcpt WHERE queue_id = ?1 AND state IN (0, 3)"
    " ORDER BY address";
static const char sql_rcpts_all[] =
    "SELECT address, orcpt, notify, state, attempts, last_reply, mta"
    " FROM queue_rcpt WHERE queue_id = ?1 ORDER BY address";
static const char sql_rcpt_update[] =
    "UPDATE queue_rcpt SET state = ?3, attempts = attempts + 1,"
    " last_attempt = ?4, last_reply = coalesce(?5, last_reply),"
    " mta = coalesce(?6, mta) WHERE queue_id = ?1 AND address = ?2";
static const char sql_entry_update[] =
    "UPDATE queue SET attempts = attempts + 1, last_attempt = ?2,"
    " next_attempt = ?3, locked_until = 0 WHERE id = ?1";
static const char sql_pending_count[] =
    "SELECT count(*) FROM queue_rcpt WHERE queue_id = ?1 AND state IN (0, 3)";
static const char sql_delete[] = "DELETE FROM queue WHERE id = ?1";
static const char sql_delete_ret[] =
    "DELETE FROM queue WHERE id = ?1 RETURNING message_id";
static const char sql_unref_blob[] =
    "SELECT blob FROM messages WHERE id = ?1 AND refcount <= 0";
static const char sql_unref_row[] =
    "DELETE FROM messages WHERE id = ?1 AND refcount <= 0";
static const char sql_sync_normal[] = "PRAGMA synchronous=NORMAL";
static const char sql_sync_full[] = "PRAGMA synchronous=FULL";

/* The queue's own write transactions (taking entries, recording
   attempts) run one at a time: two of them meeting on SQLite's write
   lock would wait in its busy handler, which sleeps in steps of
   milliseconds.  The intake's committer is a separate writer; fewer and
   shorter queue transactions are what leaves it the lock. */
static pthread_mutex_t store_queue_mu = PTHREAD_MUTEX_INITIALIZER;

/* Acquire a connection and BEGIN IMMEDIATE, under store_queue_mu.  With
   sync false the commit does not wait for the disk (WAL with
   synchronous=NORMAL: the transaction survives a crash of the process,
   and is made durable by the next synced commit of any connection, but
   a power loss or OS crash may undo it).  The setting must be made
   outside a transaction (it is read at BEGIN).  NULL on error. */
static struct store_db *
store_queue_tx(struct store *s, bool sync, const char **error_r)
{
	struct store_db *db;

	pthread_mutex_lock(&store_queue_mu);
	if ((db = store_db_acquire(s, error_r)) == NULL) {
		pthread_mutex_unlock(&store_queue_mu);
		return NULL;
	}
	if ((!sync && store_db_exec(db, sql_sync_normal) < 0) ||
	    store_db_begin(db) < 0) {
		store_err_db(error_r, db, "queue");
		(void)store_db_exec(db, sql_sync_full);
		store_db_release(s, db);
		pthread_mutex_unlock(&store_queue_mu);
		return NULL;
	}
	return db;
}

/* End what store_queue_tx() began: commit (commit true) or roll back,
   restore synchronous=FULL (the pooled connection is shared) and
   release.  Returns 0, or -1 if the commit failed (rolled back,
   *error_r set). */
static int
store_queue_tx_end(struct store *s, struct store_db *db, bool commit,
		   const char **error_r)
{
	int rc = 0;

	if (commit && store_db_commit(db) < 0) {
		store_err_db(error_r, db, "queue commit");
		rc = -1;
	}
	store_db_rollback(db); /* no-op after a commit */
	/* a connection left unsynced must not go back to the pool */
	if (store_db_exec(db, sql_sync_full) < 0)
		store_db_close(db);
	else
		store_db_release(s, db);
	pthread_mutex_unlock(&store_queue_mu);
	return rc;
}
static const char sql_flush_one[] =
    "UPDATE queue SET next_attempt = 0 WHERE id = ?1";
static const char sql_flush_all[] = "UPDATE queue SET next_attempt = 0";
static const char sql_hold[] = "UPDATE queue SET held = ?2 WHERE id = ?1";

static char *
store_queue_col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t == NULL ? NULL : xstrdup((const char *)t);
}

void
store_queue_entry_clear(struct store_queue_entry *e)
{
	size_t i;

	for (i = 0; i < e->n_rcpts; i++) {
		free(e->rcpts[i].address);
		free(e->rcpts[i].orcpt);
		free(e->rcpts[i].last_reply);
		free(e->rcpts[i].mta);
	}
	free(e->rcpts);
	free(e->sender);
	free(e->envid);
	free(e->blob_path);
	memset(e, 0, sizeof(*e));
}

void
store_queue_entries_free(struct store_queue_entry **ep, size_t n)
{
	size_t i;

	if (*ep == NULL)
		return;
	for (i = 0; i < n; i++)
		store_queue_entry_clear(&(*ep)[i]);
	free(*ep);
	*ep = NULL;
}

/* Fill e from the current row of sql_entry / sql_entries_all. */
static void
store_queue_row(struct store *s, sqlite3_stmt *st, struct store_queue_entry *e)
{
	char *sender = store_queue_col(st, 1);

	e->id = sqlite3_column_int64(st, 0);
	e->sender = sender != NULL ? sender : xstrdup("");
	e->envid = store_queue_col(st, 2);
	e->ret = sqlite3_column_int(st, 3);
	e->created = sqlite3_column_int64(st, 4);
	e->next_attempt = sqlite3_column_int64(st, 5);
	e->attempts = sqlite3_column_int(st, 6);
	e->last_attempt = sqlite3_column_int64(st, 7);
	e->held = sqlite3_column_int(st, 8) != 0;
	e->in_flight = sqlite3_column_int64(st, 9) != 0;
	e->size = (uint64_t)sqlite3_column_int64(st, 10);
	e->blob_path = xasprintf("%s/%s", s->blob_dir,
				 (const char *)sqlite3_column_text(st, 11));
}

static int
store_queue_rcpts(struct store_db *db, const char *sql,
		  struct store_queue_entry *e)
{
	sqlite3_stmt *st = store_db_stmt(db, sql);
	size_t cap = 0;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, e->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_queue_rcpt *r;

		if (e->n_rcpts == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			e->rcpts = xrealloc(e->rcpts, cap * sizeof(*e->rcpts));
		}
		r = &e->rcpts[e->n_rcpts++];
		memset(r, 0, sizeof(*r));
		r->address = store_queue_col(st, 0);
		if (r->address == NULL)
			r->address = xstrdup("");
		r->orcpt = store_queue_col(st, 1);
		r->notify = (unsigned)sqlite3_column_int(st, 2);
		r->state = (enum store_qrcpt_state)sqlite3_column_int(st, 3);
		r->attempts = sqlite3_column_int(st, 4);
		r->last_reply = store_queue_col(st, 5);
		r->mta = store_queue_col(st, 6);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_queue_take(struct store *s, int64_t now, size_t max,
		 struct store_queue_entry **entries_r, const char **error_r)
{
	struct store_queue_entry *es = NULL;
	int64_t *ids = NULL;
	size_t n = 0, k = 0, i;
	struct store_db *db;
	sqlite3_stmt *st;
	int rc;

	*entries_r = NULL;
	if ((db = store_db_acquire(s, error_r)) == NULL)
		return -1;
	/* A plain read first: the runner polls, and most polls find
	   nothing, so they never take the write lock. */
	if ((st = store_db_stmt(db, sql_due)) == NULL) {
		store_err_db(error_r, db, "queue");
		store_db_release(s, db);
		return -1;
	}
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	ids = xmalloc((max > 0 ? max : 1) * sizeof(*ids));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		store_err_db(error_r, db, "queue");
	store_db_release(s, db);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		free(ids);
		return -1;
	}
	if (n == 0) {
		free(ids);
		return 0;
	}
	/* The in-flight marks need no fsync: the server clears them all
	   when it starts (store_queue_unlock_all), so a mark lost in a
	   crash and one that survives it come to the same. */
	if ((db = store_queue_tx(s, false, error_r)) == NULL) {
		free(ids);
		return -1;
	}
	es = xzalloc(n * sizeof(*es));
	for (i = 0; i < n; i++) {
		if ((st = store_db_stmt(db, sql_lock)) == NULL)
			goto db_fail;
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, now > 0 ? now : 1);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto db_fail;
		if (sqlite3_changes(db->db) == 0)
			continue; /* taken meanwhile */
		if ((st = store_db_stmt(db, sql_entry)) == NULL)
			goto db_fail;
		sqlite3_bind_int64(st, 1, ids[i]);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			store_queue_row(s, st, &es[k]);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			goto db_fail;
		if (store_queue_rcpts(db, sql_rcpts_pending, &es[k++]) < 0)
			goto db_fail;
	}
	free(ids);
	if (store_queue_tx_end(s, db, true, error_r) < 0) {
		store_queue_entries_free(&es, n);
		return -1;
	}
	if (k == 0)
		store_queue_entries_free(&es, n);
	*entries_r = es;
	/* entries past k are zeroed; freeing with the larger count is fine */
	return (int)k;
db_fail:
	store_err_db(error_r, db, "queue");
	(void)store_queue_tx_end(s, db, false, error_r);
	free(ids);
	store_queue_entries_free(&es, n);
	return -1;
}

/* Run one UPDATE/DELETE bound to (id[, v]) in its own transaction.
   Returns the rows changed or -1. */
static int
store_queue_exec(struct store *s, const char *sql, int64_t id, bool bind_id,
		 int64_t v, bool bind_v, const char **error_r)
{
	struct store_db *db = store_db_acquire_tx(s, true, error_r);
	sqlite3_stmt *st;
	int rc, changed;

	if (db == NULL)
		return -1;
	if ((st = store_db_stmt(db, sql)) == NULL)
		goto fail;
	if (bind_id)
		sqlite3_bind_int64(st, 1, id);
	if (bind_v)
		sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	changed = sqlite3_changes(db->db);
	if (store_db_commit(db) < 0)
		goto fail;
	store_db_release(s, db);
	/* a deleted entry may have held the last reference to its message */
	if (sql == sql_delete && changed > 0)
		store_blob_gc(s);
	return changed;
fail:
	store_err_db(error_r, db, "queue");
	store_db_rollback(db);
	store_db_release(s, db);
	return -1;
}

int
store_queue_unlock_all(struct store *s, const char **error_r)
{
	return store_queue_exec(s, sql_unlock_all, 0, false, 0, false,
				error_r) < 0
		   ? -1
		   : 0;
}

int
store_queue_flush(struct store *s, int64_t id, const char **error_r)
{
	if (id == 0)
		return store_queue_exec(s, sql_flush_all, 0, false, 0, false,
					error_r);
	return store_queue_exec(s, sql_flush_one, id, true, 0, false, error_r);
}

int
store_queue_hold(struct store *s, int64_t id, bool held, const char **error_r)
{
	return store_queue_exec(s, sql_hold, id, true, held ? 1 : 0, true,
				error_r);
}

int
store_queue_delete(struct store *s, int64_t id, const char **error_r)
{
	return store_queue_exec(s, sql_delete, id, true, 0, false, error_r);
}

/* Record attempt a inside the caller's transaction; sets a->kept.
   Returns 0, or -1 on a database error. */
static int
store_queue_record_one(struct store_db *db, struct store_queue_attempt *a)
{
	sqlite3_stmt *st;
	int64_t pending;
	size_t i;
	int rc;

	for (i = 0; i < a->n; i++) {
		if ((st = store_db_stmt(db, sql_rcpt_update)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, a->id);
		store_db_bind_text(st, 2, a->o[i].address);
		sqlite3_bind_int(st, 3, (int)a->o[i].state);
		sqlite3_bind_int64(st, 4, a->now);
		store_db_bind_text(st, 5, a->o[i].reply);
		store_db_bind_text(st, 6, a->o[i].mta);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	if ((st = store_db_stmt(db, sql_entry_update)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, a->id);
	sqlite3_bind_int64(st, 2, a->now);
	sqlite3_bind_int64(st, 3, a->next_attempt);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	a->kept = 0;
	a->message_id = 0;
	if (sqlite3_changes(db->db) == 0)
		return 0; /* deleted by `buzon queue delete` meanwhile */
	if (store_db_ints(db, sql_pending_count, &a->id, 1, &pending, 1) != 1)
		return -1;
	if (pending > 0) {
		a->kept = 1;
		return 0;
	}
	return store_db_ints(db, sql_delete_ret, &a->id, 1, &a->message_id,
			     1) < 0
		   ? -1
		   : 0;
}

/* The messages the deleted entries of a[0..n) held that nothing holds
   now: their ids and blob names (relative) into *ids_r, *blobs_r (malloc'd,
   n entries at most).  Returns the count or -1. */
static int
store_queue_unref(struct store_db *db, const struct store_queue_attempt *a,
		  size_t n, int64_t **ids_r, char ***blobs_r)
{
	sqlite3_stmt *st;
	size_t i, k = 0;
	int rc;

	*ids_r = xmalloc((n > 0 ? n : 1) * sizeof(**ids_r));
	*blobs_r = xmalloc((n > 0 ? n : 1) * sizeof(**blobs_r));
	for (i = 0; i < n; i++) {
		if (a[i].kept != 0 || a[i].message_id == 0)
			continue;
		if ((st = store_db_stmt(db, sql_unref_blob)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, a[i].message_id);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			(*ids_r)[k] = a[i].message_id;
			(*blobs_r)[k++] = store_queue_col(st, 0);
		}
		sqlite3_reset(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return -1;
	}
	return (int)k;
}

/* Remove the files of the k unreferenced messages, then their rows (the
   order of store_blob_gc: a row without its file is never read, and a
   crash between the steps leaves rows the next gc finds again).  Called
   after the synced commit that released them. */
static void
store_queue_drop(struct store *s, const int64_t *ids, char **blobs, size_t k)
{
	char path[PATH_MAX];
	struct store_db *db;
	const char *error;
	size_t i;

	for (i = 0; i < k; i++) {
		if (blobs[i] == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->blob_dir, blobs[i]);
		(void)unlink(path);
	}
	/* losing this in a crash only leaves rows for the next gc */
	if (k == 0 || (db = store_queue_tx(s, false, &error)) == NULL)
		return;
	for (i = 0; i < k; i++)
		if (store_db_ints(db, sql_unref_row, &ids[i], 1, NULL, 0) < 0)
			break;
	(void)store_queue_tx_end(s, db, i == k, &error);
}

/* One transaction for attempts a[0..n), synced or not; *deleted_r tells
   whether an entry left the queue.  0 or -1. */
static int
store_queue_record_tx(struct store *s, struct store_queue_attempt *a,
		      size_t n, bool sync, const char **error_r)
{
	struct store_db *db = store_queue_tx(s, sync, error_r);
	int64_t *ids = NULL;
	char **blobs = NULL;
	bool deleted = false;
	size_t i;
	int k = 0;

	if (db == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (store_queue_record_one(db, &a[i]) < 0)
			goto fail;
		deleted = deleted || a[i].message_id != 0;
	}
	if (!sync && deleted) {
		/* the callers' hint was wrong: do it again, synced */
		(void)store_queue_tx_end(s, db, false, error_r);
		return store_queue_record_tx(s, a, n, true, error_r);
	}
	if (deleted && (k = store_queue_unref(db, a, n, &ids, &blobs)) < 0)
		goto fail;
	if (store_queue_tx_end(s, db, true, error_r) < 0)
		k = -1;
	else if (k > 0)
		store_queue_drop(s, ids, blobs, (size_t)k);
	for (i = 0; k > 0 && i < (size_t)k; i++)
		free(blobs[i]);
	free(blobs);
	free(ids);
	return k < 0 ? -1 : 0;
fail:
	store_err_db(error_r, db, "queue record");
	(void)store_queue_tx_end(s, db, false, error_r);
	free(blobs);
	free(ids);
	return -1;
}

/* Durability of a record (issue 5: "after a crash a message may be sent
   twice to one recipient but is never lost").  The entry, its
   recipients and its message file were made durable by the intake's
   synced commit before the 250 reply; a record only moves them forward
   (delivered, failed, delayed marks, attempt counts, next attempt).  If
   a record is lost in a crash, the entry comes back as it was before
   the attempt and its recipients are tried again: a second copy, never
   none.  DSNs are stored (synced, store_deliver) before the record that
   marks their recipients, so a lost record means a second DSN, never a
   missing one.  A batch that only defers therefore commits without
   waiting for the disk (the next synced commit of any connection, e.g.
   the intake's, makes it durable: the WAL is synced as a whole).
   Deleting an entry is different: the message file is unlinked right
   after the commit, and an undone deletion with its file gone would
   lose the message.  So a batch that deletes an entry commits synced,
   and only then is the file removed. */
int
store_queue_record_batch(struct store *s, struct store_queue_attempt *a,
			 size_t n, const char **error_r)
{
	bool sync = false;
	size_t i;

	for (i = 0; i < n; i++)
		sync = sync || a[i].final;
	/* the files of the deleted entries go once per batch, after the
	   commit (store_queue_drop) */
	return store_queue_record_tx(s, a, n, sync, error_r);
}

int
store_queue_record(struct store *s, int64_t id, int64_t now,
		   int64_t next_attempt, const struct store_queue_outcome *o,
		   size_t n, const char **error_r)
{
	struct store_queue_attempt a;

	memset(&a, 0, sizeof(a));
	a.id = id;
	a.now = now;
	a.next_attempt = next_attempt;
	a.o = o;
	a.n = n;
	a.final = true;
	if (store_queue_record_batch(s, &a, 1, error_r) < 0)
		return -1;
	return a.kept;
}

int
store_queue_list(struct store *s,
		 void (*fn)(const struct store_queue_entry *e, void *arg),
		 void *arg, const char **error_r)
{
	struct store_db *db = store_db_acquire_tx(s, false, error_r);
	struct store_queue_entry *es = NULL;
	size_t n = 0, cap = 0, i;
	sqlite3_stmt *st;
	int rc;

	if (db == NULL)
		return -1;
	if ((st = store_db_stmt(db, sql_entries_all)) == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			es = xrealloc(es, cap * sizeof(*es));
		}
		memset(&es[n], 0, sizeof(*es));
		store_queue_row(s, st, &es[n++]);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	for (i = 0; i < n; i++)
		if (store_queue_rcpts(db, sql_rcpts_all, &es[i]) < 0)
			goto fail;
	store_db_rollback(db); /* ends the read transaction */
	store_db_release(s, db);
	for (i = 0; i < n; i++)
		fn(&es[i], arg);
	store_queue_entries_free(&es, n);
	return 0;
fail:
	store_err_db(error_r, db, "queue list");
	store_db_release(s, db);
	store_queue_entries_free(&es, n);
	return -1;
}

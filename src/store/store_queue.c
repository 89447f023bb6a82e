/* store_queue.c: the outbound queue: taking due entries, recording attempts,
   listing and administration. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if ((st = store_db_stmt(db, sql_due)) == NULL)
		goto db_fail;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	ids = xmalloc((max > 0 ? max : 1) * sizeof(*ids));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		goto db_fail;
	if (n == 0)
		goto out;
	if (store_db_begin(db) < 0)
		goto db_fail;
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
	if (store_db_commit(db) < 0)
		goto db_fail;
out:
	free(ids);
	store_db_release(s, db);
	if (k == 0)
		store_queue_entries_free(&es, n);
	*entries_r = es;
	/* entries past k are zeroed; freeing with the larger count is fine */
	return (int)k;
db_fail:
	store_err_db(error_r, db, "queue");
	store_db_rollback(db);
	store_db_release(s, db);
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

int
store_queue_record(struct store *s, int64_t id, int64_t now,
		   int64_t next_attempt, const struct store_queue_outcome *o,
		   size_t n, const char **error_r)
{
	struct store_db *db = store_db_acquire_tx(s, true, error_r);
	sqlite3_stmt *st;
	int64_t pending;
	size_t i;
	int rc, kept = 1;

	if (db == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if ((st = store_db_stmt(db, sql_rcpt_update)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		store_db_bind_text(st, 2, o[i].address);
		sqlite3_bind_int(st, 3, (int)o[i].state);
		sqlite3_bind_int64(st, 4, now);
		store_db_bind_text(st, 5, o[i].reply);
		store_db_bind_text(st, 6, o[i].mta);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	if ((st = store_db_stmt(db, sql_entry_update)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, next_attempt);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	if (sqlite3_changes(db->db) == 0) {
		kept = 0; /* deleted by `buzon queue delete` meanwhile */
	} else {
		if ((st = store_db_stmt(db, sql_pending_count)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, id);
		rc = sqlite3_step(st);
		pending = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		sqlite3_reset(st);
		if (pending < 0)
			goto fail;
		if (pending == 0) {
			kept = 0;
			if ((st = store_db_stmt(db, sql_delete)) == NULL)
				goto fail;
			sqlite3_bind_int64(st, 1, id);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				goto fail;
		}
	}
	if (store_db_commit(db) < 0)
		goto fail;
	store_db_release(s, db);
	if (kept == 0)
		store_blob_gc(s);
	return kept;
fail:
	store_err_db(error_r, db, "queue record");
	store_db_rollback(db);
	store_db_release(s, db);
	return -1;
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

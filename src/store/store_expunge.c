/* store_expunge.c: removing messages from a mailbox durably. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdlib.h>
#include "xalloc.h"

static const char sql_delete[] =
    "DELETE FROM mailbox_messages WHERE mailbox_id = ?1 AND uid = ?2";
static const char sql_record[] =
    "INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq)"
    " VALUES(?1, ?2, ?3)";

int
store_expunge_rows(struct store_db *db, int64_t mailbox_id,
		   const uint32_t *uids, size_t n)
{
	/* RFC 7162 3.1: one operation, one new mod-sequence, taken with
	   the first message removed (none removed: no new modseq). */
	int64_t modseq = 0;
	sqlite3_stmt *st;
	size_t i;
	int removed = 0, rc;

	for (i = 0; i < n; i++) {
		if ((st = store_db_stmt(db, sql_delete)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, uids[i]);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
		if (sqlite3_changes(db->db) == 0)
			continue; /* already gone */
		if (modseq == 0 &&
		    (modseq = store_modseq_next(db, mailbox_id)) <= 0)
			return -1; /* the row was there: so is its mailbox */
		removed++;
		if ((st = store_db_stmt(db, sql_record)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, mailbox_id);
		sqlite3_bind_int64(st, 2, uids[i]);
		sqlite3_bind_int64(st, 3, modseq);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return removed;
}

/* EXPUNGE from every session (and POP3 QUIT) shares commits
   (store_combine.c). */
struct store_expunge_arg {
	int64_t mailbox_id;
	const uint32_t *uids;
	size_t n;
};

static int
store_expunge_run(struct store_db *db, void *arg,
		  struct store_combine_out *out, const char **error_r)
{
	struct store_expunge_arg *a = arg;
	int removed = store_expunge_rows(db, a->mailbox_id, a->uids, a->n);

	if (removed < 0)
		return store_err_db(error_r, db, "expunge");
	if (removed > 0) {
		store_combine_changed(out, a->mailbox_id);
		out->gc = true;
	}
	return removed;
}

static const struct store_combine_op store_expunge_op = {store_expunge_run,
							 NULL};

/* An asynchronous EXPUNGE: the arguments live with the request. */
struct store_expunge_async {
	struct store_expunge_arg a;
	store_write_done_fn *done;
	void *arg;
};

static void
store_expunge_complete(void *arg, int rc, const char *error)
{
	struct store_expunge_async *x = arg;

	x->done(x->arg, rc, error);
	free(x);
}

void
store_expunge_submit(struct store *s, int64_t mailbox_id,
		     const uint32_t *uids, size_t n, store_write_done_fn *done,
		     void *arg)
{
	struct store_expunge_async *x = xzalloc(sizeof(*x));

	x->a.mailbox_id = mailbox_id;
	x->a.uids = uids;
	x->a.n = n;
	x->done = done;
	x->arg = arg;
	store_combine_submit(s, &store_expunge_op, &x->a,
			     store_expunge_complete, x);
}

int
store_expunge(struct store *s, int64_t mailbox_id, const uint32_t *uids,
	      size_t n, const char **error_r)
{
	struct store_expunge_arg a = {mailbox_id, uids, n};

	if (n == 0)
		return 0;
	return store_combine(s, &store_expunge_op, &a, error_r);
}

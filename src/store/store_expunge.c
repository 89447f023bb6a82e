/* store_expunge.c: removing messages from a mailbox durably. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdlib.h>

static const char sql_delete[] =
    "DELETE FROM mailbox_messages WHERE mailbox_id = ?1 AND uid = ?2";
static const char sql_record[] =
    "INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq)"
    " VALUES(?1, ?2, ?3)";

int
store_expunge_rows(struct store_db *db, int64_t mailbox_id,
		   const uint32_t *uids, size_t n)
{
	/* RFC 7162 3.1: one operation, one new mod-sequence. */
	int64_t modseq = store_modseq_next(db, mailbox_id);
	sqlite3_stmt *st;
	size_t i;
	int removed = 0, rc;

	if (modseq < 0)
		return -1;
	if (modseq == 0)
		return 0; /* no such mailbox */
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

int
store_expunge(struct store *s, int64_t mailbox_id, const uint32_t *uids,
	      size_t n, const char **error_r)
{
	struct store_db *db;
	int removed;

	if (n == 0)
		return 0;
	db = store_db_acquire_tx(s, true, error_r);
	if (db == NULL)
		return -1;
	removed = store_expunge_rows(db, mailbox_id, uids, n);
	if (removed < 0) {
		store_err_db(error_r, db, "expunge");
		goto fail;
	}
	if (removed == 0) {
		store_db_rollback(db); /* nothing changed: no modseq */
		store_db_release(s, db);
		return 0;
	}
	if (store_db_commit_changes(s, db, &mailbox_id, 1, true, error_r) < 0)
		return -1;
	return removed;
fail:
	store_db_rollback(db);
	store_db_release(s, db);
	return -1;
}

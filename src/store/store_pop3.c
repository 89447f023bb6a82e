/* store_pop3.c: the POP3 maildrop snapshot (INBOX uids, sizes, files). */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xalloc.h"

static const char sql_inbox[] =
    "SELECT id, uidvalidity FROM mailboxes WHERE account_id = ?1"
    " AND name = 'INBOX'";
static const char sql_walk[] =
    "SELECT mm.uid, m.size, m.blob FROM mailbox_messages mm"
    " JOIN messages m ON m.id = mm.message_id WHERE mm.mailbox_id = ?1"
    " ORDER BY mm.uid";

static int
store_pop3_walk(struct store *s, struct store_db *db,
		struct store_pop3_box *box, const char **error_r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_walk);
	size_t cap = 0;
	int rc;

	if (st == NULL)
		return store_err_db(error_r, db, "maildrop");
	sqlite3_bind_int64(st, 1, box->mailbox_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_pop3_msg *m;

		if (box->n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			box->msgs = xrealloc(box->msgs, cap * sizeof(*m));
		}
		m = &box->msgs[box->n++];
		m->uid = (uint32_t)sqlite3_column_int64(st, 0);
		m->size = (uint64_t)sqlite3_column_int64(st, 1);
		m->blob_path =
		    xasprintf("%s/%s", s->blob_dir,
			      (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_err_db(error_r, db, "maildrop");
	return 1;
}

int
store_pop3_snapshot(struct store *s, int64_t account_id,
		    struct store_pop3_box *box, const char **error_r)
{
	struct store_db *db;
	sqlite3_stmt *st;
	int rc;

	memset(box, 0, sizeof(*box));
	/* One read transaction: the list is one consistent snapshot while
	   deliveries commit beside it. */
	db = store_db_acquire_tx(s, false, error_r);
	if (db == NULL)
		return -1;
	st = store_db_stmt(db, sql_inbox);
	if (st == NULL) {
		rc = store_err_db(error_r, db, "maildrop");
		goto out;
	}
	sqlite3_bind_int64(st, 1, account_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		box->mailbox_id = sqlite3_column_int64(st, 0);
		box->uidvalidity = (uint32_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		rc = store_pop3_walk(s, db, box, error_r);
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = store_err_db(error_r, db, "maildrop");
out:
	store_db_release(s, db); /* ends the read transaction */
	if (rc < 0)
		store_pop3_box_free(box);
	return rc;
}

void
store_pop3_box_free(struct store_pop3_box *box)
{
	size_t i;

	for (i = 0; i < box->n; i++)
		free(box->msgs[i].blob_path);
	free(box->msgs);
	memset(box, 0, sizeof(*box));
}

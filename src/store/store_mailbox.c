/* store_mailbox.c: mailbox creation, walking a mailbox, queue counts. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *
store_mailbox_name(const char *name)
{
	/* RFC 9051 5.1: INBOX is case-insensitive; other names are not. */
	if (name == NULL || strcasecmp(name, STORE_INBOX) == 0)
		return STORE_INBOX;
	return name;
}

/* UIDVALIDITY is the current time, or one more than the last one handed
   out if that is later, so no two mailboxes ever share one and a
   mailbox re-created under an old name gets a new value (RFC 9051
   2.3.1.1). */
static const char sql_uidvalidity[] =
    "UPDATE meta SET value = MAX(value + 1, ?1) WHERE key ="
    " 'uidvalidity_last' RETURNING value";
static const char sql_mailbox_insert[] =
    "INSERT INTO mailboxes(account_id, name, uidvalidity, special_use)"
    " VALUES(?1, ?2, ?3, ?4)";

int64_t
store_mailbox_create(struct store_db *db, int64_t account_id, const char *name,
		     const char *special_use)
{
	sqlite3_stmt *st;
	int64_t uidvalidity;
	int rc;

	st = store_db_stmt(db, sql_uidvalidity);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)time(NULL));
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return -1;
	}
	uidvalidity = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = store_db_stmt(db, sql_mailbox_insert);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, account_id);
	store_db_bind_text(st, 2, name);
	sqlite3_bind_int64(st, 3, uidvalidity);
	store_db_bind_text(st, 4, special_use);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return -1;
	return sqlite3_last_insert_rowid(db->db);
}

static const char sql_mailbox_find[] =
    "SELECT mb.id FROM mailboxes mb JOIN accounts a ON a.id = mb.account_id"
    " WHERE a.address = ?1 AND mb.name = ?2";
static const char sql_mailbox_walk[] =
    "SELECT mm.uid, mm.flags, mm.internaldate, m.size, mm.modseq, m.sender,"
    " m.blob FROM mailbox_messages mm JOIN messages m ON m.id ="
    " mm.message_id WHERE mm.mailbox_id = ?1 ORDER BY mm.uid";
static const char sql_begin_read[] = "BEGIN";
static const char sql_end_read[] = "COMMIT";

static int
store_mailbox_walk(struct store *s, struct store_db *db, int64_t mailbox_id,
		   int (*fn)(const struct store_message *m, void *arg),
		   void *arg, const char **error_r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_mailbox_walk);
	struct store_message m;
	char path[PATH_MAX];
	int rc;

	if (st == NULL)
		return store_err_db(error_r, db, "mailbox");
	sqlite3_bind_int64(st, 1, mailbox_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&m, 0, sizeof(m));
		m.mailbox_id = mailbox_id;
		m.uid = (uint32_t)sqlite3_column_int64(st, 0);
		m.flags = (uint32_t)sqlite3_column_int64(st, 1);
		m.internaldate = sqlite3_column_int64(st, 2);
		m.size = (uint64_t)sqlite3_column_int64(st, 3);
		m.modseq = (uint64_t)sqlite3_column_int64(st, 4);
		m.sender = (const char *)sqlite3_column_text(st, 5);
		snprintf(path, sizeof(path), "%s/%s", s->blob_dir,
			 (const char *)sqlite3_column_text(st, 6));
		m.blob_path = path;
		if (fn(&m, arg) < 0) {
			sqlite3_reset(st);
			return store_err(error_r, "mailbox walk stopped");
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return store_err_db(error_r, db, "mailbox");
	return 1;
}

int
store_mailbox_foreach(struct store *s, const char *address, const char *mailbox,
		      int (*fn)(const struct store_message *m, void *arg),
		      void *arg, const char **error_r)
{
	char addr[STORE_ADDRESS_MAX + 1];
	struct store_db *db;
	sqlite3_stmt *st;
	int64_t mailbox_id = 0;
	int rc;

	if (store_address_norm(address, addr) < 0)
		return 0;
	db = store_db_acquire(s, error_r);
	if (db == NULL)
		return -1;
	/* One read transaction: the walk sees one snapshot even while
	   deliveries commit. */
	if (store_db_exec(db, sql_begin_read) < 0) {
		rc = store_err_db(error_r, db, "begin");
		goto out;
	}
	st = store_db_stmt(db, sql_mailbox_find);
	if (st == NULL) {
		rc = store_err_db(error_r, db, "mailbox");
		goto out;
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	store_db_bind_text(st, 2, store_mailbox_name(mailbox));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		mailbox_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		rc = store_mailbox_walk(s, db, mailbox_id, fn, arg, error_r);
	else if (rc == SQLITE_DONE)
		rc = 0;
	else
		rc = store_err_db(error_r, db, "mailbox");
out:
	(void)store_db_exec(db, sql_end_read);
	store_db_release(s, db);
	return rc;
}

static const char sql_queue_count[] = "SELECT count(*) FROM queue";

int
store_queue_count(struct store *s, const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	sqlite3_stmt *st;
	int n = -1;

	if (db == NULL)
		return -1;
	st = store_db_stmt(db, sql_queue_count);
	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	else
		store_err_db(error_r, db, "queue");
	store_db_release(s, db);
	return n;
}

/* store_account.c: accounts: add, delete, passwords, get, list. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "xalloc.h"

/* RFC 6154 special-use mailboxes every new account starts with. */
static const struct {
	const char *name, *special_use;
} store_default_mailboxes[] = {
    {STORE_INBOX, NULL},  {"Sent", "\\Sent"}, {"Drafts", "\\Drafts"},
    {"Trash", "\\Trash"}, {"Junk", "\\Junk"}, {"Archive", "\\Archive"},
};

static const char sql_addr_taken[] =
    "SELECT 1 FROM accounts WHERE address = ?1"
    " UNION ALL SELECT 1 FROM aliases WHERE address = ?1 LIMIT 1";
static const char sql_account_insert[] =
    "INSERT INTO accounts(address, pwhash, created) VALUES(?1, ?2, ?3)";
static const char sql_subscribe[] =
    "INSERT OR IGNORE INTO subscriptions(account_id, name) VALUES(?1, ?2)";
static const char sql_account_id[] =
    "SELECT id FROM accounts WHERE address = ?1";
static const char sql_account_delete[] = "DELETE FROM accounts WHERE id = ?1";
static const char sql_account_pw[] =
    "UPDATE accounts SET pwhash = ?2 WHERE address = ?1";
static const char sql_account_apop[] =
    "UPDATE accounts SET apop_secret = ?2 WHERE address = ?1";
static const char sql_account_get[] =
    "SELECT id, address, pwhash, apop_secret FROM accounts"
    " WHERE address = ?1";
static const char sql_account_list[] =
    "SELECT address FROM accounts ORDER BY address";

void
store_account_clear(struct store_account *a)
{
	free(a->address);
	if (a->pwhash != NULL)
		explicit_bzero(a->pwhash, strlen(a->pwhash));
	free(a->pwhash);
	if (a->apop_secret != NULL)
		explicit_bzero(a->apop_secret, strlen(a->apop_secret));
	free(a->apop_secret);
	memset(a, 0, sizeof(*a));
}

/* Step st (bindings done) to the end: SQLITE_ROW with the first row
   kept readable, or SQLITE_DONE / an error code. */
static int
store_step(sqlite3_stmt *st)
{
	return st == NULL ? SQLITE_ERROR : sqlite3_step(st);
}

int
store_addr_taken(struct store_db *db, const char *addr)
{
	return store_db_row_int(db, sql_addr_taken, addr, NULL);
}

int
store_account_add(struct store *s, const char *address, const char *pwhash,
		  const char **error_r)
{
	char addr[STORE_ADDRESS_MAX + 1];
	struct store_db *db;
	sqlite3_stmt *st;
	int64_t id;
	size_t i;
	int rc;

	if (store_address_norm(address, addr) < 0)
		return store_err(error_r, "invalid address");
	db = store_db_acquire(s, error_r);
	if (db == NULL)
		return -1;
	if (store_db_begin(db) < 0) {
		rc = store_err_db(error_r, db, "begin");
		goto out;
	}
	rc = store_addr_taken(db, addr);
	if (rc != 0) {
		rc = rc < 0 ? store_err_db(error_r, db, "account add") : 0;
		goto out;
	}
	st = store_db_stmt(db, sql_account_insert);
	if (st == NULL) {
		rc = store_err_db(error_r, db, "account add");
		goto out;
	}
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	store_db_bind_text(st, 2, pwhash != NULL ? pwhash : "");
	sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rc = store_err_db(error_r, db, "account add");
		goto out;
	}
	id = sqlite3_last_insert_rowid(db->db);
	/* Each initial mailbox, subscribed (clients that show only
	   subscribed folders see them). */
	for (i = 0; i < sizeof(store_default_mailboxes) /
			    sizeof(store_default_mailboxes[0]);
	     i++) {
		if (store_mailbox_create(
			db, id, store_default_mailboxes[i].name,
			store_default_mailboxes[i].special_use) < 0 ||
		    (st = store_db_stmt(db, sql_subscribe)) == NULL) {
			rc = store_err_db(error_r, db, "mailbox create");
			goto out;
		}
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, store_default_mailboxes[i].name, -1,
				  SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			rc = store_err_db(error_r, db, "subscribe");
			goto out;
		}
	}
	rc = store_db_commit(db) < 0 ? store_err_db(error_r, db, "commit") : 1;
out:
	store_db_release(s, db); /* rolls back what was not committed */
	return rc;
}

int
store_account_del(struct store *s, const char *address, const char **error_r)
{
	char addr[STORE_ADDRESS_MAX + 1];
	struct store_db *db;
	sqlite3_stmt *st;
	int64_t id;
	int rc;

	if (store_address_norm(address, addr) < 0)
		return 0;
	db = store_db_acquire(s, error_r);
	if (db == NULL)
		return -1;
	if (store_db_begin(db) < 0) {
		rc = store_err_db(error_r, db, "begin");
		goto out;
	}
	rc = store_db_row_int(db, sql_account_id, addr, &id);
	if (rc <= 0) {
		if (rc < 0)
			rc = store_err_db(error_r, db, "account del");
		goto out;
	}
	/* Mailboxes, their message copies and expunge records go with the
	   account (ON DELETE CASCADE); the refcount triggers then leave the
	   messages nobody else holds at 0. */
	st = store_db_stmt(db, sql_account_delete);
	if (st == NULL) {
		rc = store_err_db(error_r, db, "account del");
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		rc = store_err_db(error_r, db, "account del");
		goto out;
	}
	return store_db_commit_changes(s, db, NULL, 0, true, error_r) < 0 ? -1
									   : 1;
out:
	store_db_release(s, db);
	return rc;
}

/* UPDATE of one text column of an account.  1 changed, 0 none, -1. */
static int
store_account_update(struct store *s, const char *sql, const char *address,
		     const char *value, const char **error_r)
{
	char addr[STORE_ADDRESS_MAX + 1];
	struct store_db *db;
	sqlite3_stmt *st;
	int rc;

	if (store_address_norm(address, addr) < 0)
		return 0;
	db = store_db_acquire(s, error_r);
	if (db == NULL)
		return -1;
	st = store_db_stmt(db, sql);
	if (st != NULL) {
		sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
		store_db_bind_text(st, 2, value);
	}
	rc = store_step(st);
	if (st != NULL)
		sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		rc = sqlite3_changes(db->db) > 0 ? 1 : 0;
	else
		rc = store_err_db(error_r, db, "account update");
	store_db_release(s, db);
	return rc;
}

int
store_account_set_password(struct store *s, const char *address,
			   const char *pwhash, const char **error_r)
{
	return store_account_update(s, sql_account_pw, address,
				    pwhash != NULL ? pwhash : "", error_r);
}

int
store_account_set_apop(struct store *s, const char *address, const char *secret,
		       const char **error_r)
{
	return store_account_update(s, sql_account_apop, address, secret,
				    error_r);
}

static char *
store_column_dup(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v != NULL ? xstrdup(v) : NULL;
}

int
store_account_get(struct store *s, const char *address, struct store_account *a,
		  const char **error_r)
{
	char addr[STORE_ADDRESS_MAX + 1];
	struct store_db *db;
	sqlite3_stmt *st;
	int rc;

	memset(a, 0, sizeof(*a));
	if (store_address_norm(address, addr) < 0)
		return 0;
	db = store_db_acquire(s, error_r);
	if (db == NULL)
		return -1;
	st = store_db_stmt(db, sql_account_get);
	if (st != NULL)
		sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	rc = store_step(st);
	if (rc == SQLITE_ROW) {
		a->id = sqlite3_column_int64(st, 0);
		a->address = store_column_dup(st, 1);
		a->pwhash = store_column_dup(st, 2);
		a->apop_secret = store_column_dup(st, 3);
		rc = 1;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = store_err_db(error_r, db, "account get");
	}
	if (st != NULL)
		sqlite3_reset(st);
	store_db_release(s, db);
	return rc;
}

int
store_account_list(struct store *s, void (*fn)(const char *address, void *arg),
		   void *arg, const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	sqlite3_stmt *st;
	int rc;

	if (db == NULL)
		return -1;
	st = store_db_stmt(db, sql_account_list);
	while ((rc = store_step(st)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(st, 0), arg);
	rc = rc == SQLITE_DONE ? 0 : store_err_db(error_r, db, "account list");
	if (st != NULL)
		sqlite3_reset(st);
	store_db_release(s, db);
	return rc;
}

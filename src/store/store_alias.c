/* store_alias.c: aliases: one address, one or more targets. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdlib.h>
#include <string.h>
#include "xalloc.h"

static const char sql_is_account[] =
    "SELECT 1 FROM accounts WHERE address = ?1";
static const char sql_alias_count[] =
    "SELECT count(*) FROM aliases WHERE address = ?1";
static const char sql_alias_insert[] =
    "INSERT OR IGNORE INTO aliases(address, target) VALUES(?1, ?2)";
static const char sql_alias_delete_all[] =
    "DELETE FROM aliases WHERE address = ?1";
static const char sql_alias_delete_one[] =
    "DELETE FROM aliases WHERE address = ?1 AND target = ?2";
static const char sql_alias_list[] =
    "SELECT address, target FROM aliases ORDER BY address, rowid";

/* A target is an address, local or remote, kept as given: non-empty,
   at most STORE_ADDRESS_MAX bytes, no spaces or control characters. */
static bool
store_alias_target_ok(const char *t)
{
	char tmp[STORE_ADDRESS_MAX + 1];

	return store_address_norm(t, tmp) == 0;
}

/* The number of targets of alias addr, or -1 on error. */
static int64_t
store_alias_count(struct store_db *db, const char *addr)
{
	int64_t n = -1;

	if (store_db_row_int(db, sql_alias_count, addr, &n) < 0)
		return -1;
	return n;
}

int
store_alias_add(struct store *s, const char *address,
		const char *const *targets, size_t n, const char **error_r)
{
	char addr[STORE_ADDRESS_MAX + 1];
	struct store_db *db;
	sqlite3_stmt *st;
	int64_t have;
	size_t i;
	int rc;

	if (store_address_norm(address, addr) < 0)
		return store_err(error_r, "invalid address");
	if (n == 0)
		return store_err(error_r, "no alias targets");
	if (n > STORE_ALIAS_TARGETS_MAX)
		return store_err(error_r, "more than %d alias targets",
				 STORE_ALIAS_TARGETS_MAX);
	for (i = 0; i < n; i++)
		if (!store_alias_target_ok(targets[i]))
			return store_err(error_r, "invalid alias target");
	db = store_db_acquire(s, error_r);
	if (db == NULL)
		return -1;
	if (store_db_begin(db) < 0) {
		rc = store_err_db(error_r, db, "begin");
		goto out;
	}
	rc = store_db_row_int(db, sql_is_account, addr, NULL);
	if (rc != 0) {
		/* an account: 0 (not an alias); -1: error */
		rc = rc > 0 ? 0 : store_err_db(error_r, db, "alias");
		goto out;
	}
	for (i = 0; i < n; i++) {
		st = store_db_stmt(db, sql_alias_insert);
		if (st == NULL)
			break;
		sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, targets[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			break;
	}
	if (i < n) {
		rc = store_err_db(error_r, db, "alias add");
		goto out;
	}
	have = store_alias_count(db, addr);
	if (have < 0) {
		rc = store_err_db(error_r, db, "alias add");
		goto out;
	}
	if (have > STORE_ALIAS_TARGETS_MAX) {
		rc = store_err(error_r, "more than %d alias targets",
			       STORE_ALIAS_TARGETS_MAX);
		goto out;
	}
	rc = store_db_commit(db) < 0 ? store_err_db(error_r, db, "commit") : 1;
out:
	store_db_release(s, db);
	return rc;
}

int
store_alias_del(struct store *s, const char *address,
		const char *const *targets, size_t n, const char **error_r)
{
	char addr[STORE_ADDRESS_MAX + 1];
	struct store_db *db;
	sqlite3_stmt *st;
	int changed = 0, rc = 0;
	size_t i;

	if (store_address_norm(address, addr) < 0)
		return 0;
	db = store_db_acquire(s, error_r);
	if (db == NULL)
		return -1;
	if (store_db_begin(db) < 0) {
		rc = store_err_db(error_r, db, "begin");
		goto out;
	}
	for (i = 0; i < (n == 0 ? 1 : n); i++) {
		st = store_db_stmt(db, n == 0 ? sql_alias_delete_all
					      : sql_alias_delete_one);
		if (st == NULL)
			break;
		sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
		if (n > 0)
			sqlite3_bind_text(st, 2, targets[i], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			break;
		changed += sqlite3_changes(db->db);
	}
	if (i < (n == 0 ? 1 : n) || store_db_commit(db) < 0)
		rc = store_err_db(error_r, db, "alias del");
	else
		rc = changed > 0 ? 1 : 0;
out:
	store_db_release(s, db);
	return rc;
}

/* Flush the targets gathered for one alias to the callback. */
static void
store_alias_emit(void (*fn)(const char *, const char *const *, size_t, void *),
		 void *arg, const char *addr, char **targets, size_t n)
{
	size_t i;

	if (n == 0)
		return;
	fn(addr, (const char *const *)targets, n, arg);
	for (i = 0; i < n; i++)
		free(targets[i]);
}

int
store_alias_list(struct store *s,
		 void (*fn)(const char *address, const char *const *targets,
			    size_t n, void *arg),
		 void *arg, const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	sqlite3_stmt *st;
	char *cur = NULL, **targets = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (db == NULL)
		return -1;
	st = store_db_stmt(db, sql_alias_list);
	if (st == NULL) {
		rc = store_err_db(error_r, db, "alias list");
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		const char *t = (const char *)sqlite3_column_text(st, 1);

		if (cur == NULL || strcmp(cur, a) != 0) {
			store_alias_emit(fn, arg, cur, targets, n);
			n = 0;
			free(cur);
			cur = xstrdup(a);
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			targets = xrealloc(targets, cap * sizeof(*targets));
		}
		targets[n++] = xstrdup(t);
	}
	if (rc == SQLITE_DONE) {
		store_alias_emit(fn, arg, cur, targets, n);
		n = 0;
		rc = 0;
	} else {
		rc = store_err_db(error_r, db, "alias list");
	}
	sqlite3_reset(st);
out:
	while (n > 0)
		free(targets[--n]);
	free(targets);
	free(cur);
	store_db_release(s, db);
	return rc;
}

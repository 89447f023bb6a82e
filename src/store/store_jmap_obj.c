/* store_jmap_obj.c: the JMAP objects that are not mail (Identities and
   EmailSubmissions, RFC 8621 6-7): rows of jmap_objects (schema v5)
   holding each object's properties as JSON, with their changes logged
   in jmap_changes like the mail types. */
/* SPDX-License-Identifier: MIT */
#include "store/store_jmap.h"

#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "xalloc.h"

static const char sql_objs[] =
    "SELECT id, props FROM jmap_objects WHERE account_id = ?1 AND type = ?2"
    " ORDER BY id";
static const char sql_obj_insert[] =
    "INSERT INTO jmap_objects(account_id, type, props) VALUES(?1, ?2, ?3)";
static const char sql_obj_update[] =
    "UPDATE jmap_objects SET props = ?4 WHERE account_id = ?1 AND type = ?2"
    " AND id = ?3";
static const char sql_obj_delete[] =
    "DELETE FROM jmap_objects WHERE account_id = ?1 AND type = ?2 AND"
    " id = ?3";
static const char sql_obj_bump[] =
    "UPDATE accounts SET jmap_modseq = jmap_modseq + 1 WHERE id = ?1"
    " RETURNING jmap_modseq";
/* ?5: 1 created now, 0 changed, 2 destroyed. */
static const char sql_obj_log[] =
    "INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq,"
    " destroyed) VALUES(?1, ?2, ?3, ?4, ?4, ?5 = 2) ON CONFLICT DO UPDATE"
    " SET modseq = excluded.modseq, destroyed = excluded.destroyed";

void
store_jmap_objs_free(struct store_jmap_obj *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i].props);
	free(list);
}

int
store_jmap_objs(struct store *s, int64_t account_id, enum store_jmap_type type,
		struct store_jmap_obj **list_r, size_t *n_r,
		const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	struct store_jmap_obj *list = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	if (db == NULL)
		return -1;
	if ((st = store_db_stmt(db, sql_objs)) == NULL) {
		store_err_db(error_r, db, "jmap objects");
		store_db_release(s, db);
		return -1;
	}
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_int64(st, 2, type);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *p = (const char *)sqlite3_column_text(st, 1);

		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			list = xrealloc(list, cap * sizeof(*list));
		}
		list[n].id = sqlite3_column_int64(st, 0);
		list[n].props = xstrdup(p != NULL ? p : "{}");
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		store_err_db(error_r, db, "jmap objects");
		store_db_release(s, db);
		store_jmap_objs_free(list, n);
		return -1;
	}
	store_db_release(s, db);
	*list_r = list;
	*n_r = n;
	return 0;
}

/* The write of store_jmap_obj_put inside its transaction: 1, 0, -1. */
static int
store_jmap_obj_write(struct store_db *db, int64_t account_id,
		     enum store_jmap_type type, int64_t id, const char *props,
		     int64_t *id_r)
{
	int64_t args[5] = {account_id, type, id, 0, 0};
	sqlite3_stmt *st;
	int how;

	if (id == 0) {
		how = 1;
		st = store_db_stmt(db, sql_obj_insert);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, account_id);
		sqlite3_bind_int64(st, 2, type);
		store_db_bind_text(st, 3, props);
	} else {
		how = props != NULL ? 0 : 2;
		st = store_db_stmt(db, props != NULL ? sql_obj_update
						     : sql_obj_delete);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, account_id);
		sqlite3_bind_int64(st, 2, type);
		sqlite3_bind_int64(st, 3, id);
		if (props != NULL)
			store_db_bind_text(st, 4, props);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	if (sqlite3_changes(db->db) == 0)
		return 0;
	args[2] = id != 0 ? id : sqlite3_last_insert_rowid(db->db);
	if (id_r != NULL)
		*id_r = args[2];
	if (store_db_ints(db, sql_obj_bump, &account_id, 1, &args[3], 1) != 1)
		return -1;
	args[4] = how;
	return store_db_ints(db, sql_obj_log, args, 5, NULL, 0) < 0 ? -1 : 1;
}

int
store_jmap_obj_put(struct store *s, int64_t account_id,
		   enum store_jmap_type type, int64_t id, const char *props,
		   int64_t *id_r, const char **error_r)
{
	struct store_db *db = store_db_acquire_tx(s, true, error_r);
	int rc;

	if (db == NULL)
		return -1;
	rc = store_jmap_obj_write(db, account_id, type, id, props, id_r);
	if (rc <= 0) {
		if (rc < 0)
			store_err_db(error_r, db, "jmap object write");
		store_db_rollback(db);
		store_db_release(s, db);
		return rc;
	}
	return store_db_commit_changes(s, db, NULL, 0, false, error_r) < 0 ? -1
									    : 1;
}

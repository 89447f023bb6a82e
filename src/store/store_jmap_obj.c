/* store_jmap_obj.c: the JMAP objects that are not mail (Identities and
   EmailSubmissions, RFC 8621 6-7): rows of jmap_objects (schema v5)
   holding each object's properties as JSON, with their changes logged
   in jmap_changes like the mail types; and what the queue learns of an
   EmailSubmission's remote recipients, merged into its row. */
/* SPDX-License-Identifier: MIT */
#include "store/store_jmap.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "xalloc.h"

static const char sql_objs[] =
    "SELECT id, props FROM jmap_objects WHERE account_id = ?1 AND type = ?2"
    " ORDER BY id";
/* A new id is above every id the account's change log knows for type:
   SQLite would hand out the id of a destroyed newest row again, and an
   id must not name two objects (RFC 8620 1.2), nor /changes report a
   new object as an update of the old one. */
static const char sql_obj_insert[] =
    "INSERT INTO jmap_objects(id, account_id, type, props) VALUES(1 + max("
    "coalesce((SELECT max(id) FROM jmap_objects), 0), coalesce((SELECT"
    " max(obj_id) FROM jmap_changes WHERE account_id = ?1 AND type = ?2),"
    " 0)), ?1, ?2, ?3)";
static const char sql_obj_update[] =
    "UPDATE jmap_objects SET props = ?4 WHERE account_id = ?1 AND type = ?2"
    " AND id = ?3";
static const char sql_obj_delete[] =
    "DELETE FROM jmap_objects WHERE account_id = ?1 AND type = ?2 AND"
    " id = ?3";
static const char sql_obj_bump[] =
    "UPDATE accounts SET jmap_modseq = jmap_modseq + 1 WHERE id = ?1"
    " RETURNING jmap_modseq";
/* RFC 7396 merge patches (SQLite's json_patch): only the members named
   change, so writers of different members never undo each other. */
static const char sql_obj_patch[] =
    "UPDATE jmap_objects SET props = json_patch(props, ?4) WHERE"
    " account_id = ?1 AND type = ?2 AND id = ?3";
/* One recipient's outcome as "_queue": {address: [state, reply]}, into
   the object whose "_nonce" the envelope id names. */
static const char sql_obj_outcome[] =
    "UPDATE jmap_objects SET props = json_patch(props, json_object("
    "'_queue', json_object(?4, json_array(?5, ?6)))) WHERE id = ?1 AND"
    " type = ?2 AND json_extract(props, '$._nonce') = ?3"
    " RETURNING account_id";
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

/* Log a change of object id (how: 1 created, 0 changed, 2 destroyed)
   at a new modseq of the account, inside the caller's transaction:
   1 or -1. */
static int
store_jmap_obj_logged(struct store_db *db, int64_t account_id,
		      enum store_jmap_type type, int64_t id, int how)
{
	int64_t args[5] = {account_id, type, id, 0, how};

	if (store_db_ints(db, sql_obj_bump, &account_id, 1, &args[3], 1) != 1)
		return -1;
	return store_db_ints(db, sql_obj_log, args, 5, NULL, 0) < 0 ? -1 : 1;
}

/* End db's write transaction as rc (1, 0, -1) of a write to account's
   objects says: commit and notify (JMAP push) on 1, else roll back.
   Returns rc, or -1 when the commit fails. */
static int
store_jmap_obj_end(struct store *s, struct store_db *db, int64_t account_id,
		   int rc, const char *what, const char **error_r)
{
	if (rc <= 0) {
		if (rc < 0)
			store_err_db(error_r, db, what);
		store_db_rollback(db);
		store_db_release(s, db);
		return rc;
	}
	if (store_db_commit_changes(s, db, NULL, 0, false, error_r) < 0)
		return -1;
	store_notify_account(s, account_id); /* JMAP push */
	return 1;
}

/* The write of store_jmap_obj_put inside its transaction: 1, 0, -1. */
static int
store_jmap_obj_write(struct store_db *db, int64_t account_id,
		     enum store_jmap_type type, int64_t id, const char *props,
		     int64_t *id_r)
{
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
	id = id != 0 ? id : sqlite3_last_insert_rowid(db->db);
	if (id_r != NULL)
		*id_r = id;
	return store_jmap_obj_logged(db, account_id, type, id, how);
}

int
store_jmap_obj_put(struct store *s, int64_t account_id,
		   enum store_jmap_type type, int64_t id, const char *props,
		   int64_t *id_r, const char **error_r)
{
	struct store_db *db = store_db_acquire_tx(s, true, error_r);

	if (db == NULL)
		return -1;
	return store_jmap_obj_end(
	    s, db, account_id,
	    store_jmap_obj_write(db, account_id, type, id, props, id_r),
	    "jmap object write", error_r);
}

int
store_jmap_obj_patch(struct store *s, int64_t account_id,
		     enum store_jmap_type type, int64_t id, const char *patch,
		     const char **error_r)
{
	struct store_db *db = store_db_acquire_tx(s, true, error_r);
	sqlite3_stmt *st;
	int rc = -1;

	if (db == NULL)
		return -1;
	if ((st = store_db_stmt(db, sql_obj_patch)) != NULL) {
		sqlite3_bind_int64(st, 1, account_id);
		sqlite3_bind_int64(st, 2, type);
		sqlite3_bind_int64(st, 3, id);
		store_db_bind_text(st, 4, patch);
		rc = sqlite3_step(st) == SQLITE_DONE ? 1 : -1;
		sqlite3_reset(st);
		if (rc == 1 && sqlite3_changes(db->db) == 0)
			rc = 0;
		if (rc == 1)
			rc = store_jmap_obj_logged(db, account_id, type, id, 0);
	}
	return store_jmap_obj_end(s, db, account_id, rc, "jmap object patch",
				  error_r);
}

/* "<prefix><id>.<nonce>": an xtext-safe ENVID (RFC 3461 4.4: printable
   ASCII without "+" and "=", at most 100 characters). */
#define STORE_JMAP_ENVID_PREFIX "buzon-jmap."

char *
store_jmap_obj_envid(int64_t id, const char *nonce)
{
	size_t n = sizeof(STORE_JMAP_ENVID_PREFIX) + 21 + 1 + strlen(nonce);
	char *out = xmalloc(n);

	snprintf(out, n, STORE_JMAP_ENVID_PREFIX "%" PRId64 ".%s", id, nonce);
	return out;
}

/* Merge each outcome into submission id if its nonce matches (the
   account in *account_r): 1, 0 no such object, -1. */
static int
store_jmap_obj_outcome_write(struct store_db *db, int64_t id,
			     const char *nonce,
			     const struct store_queue_outcome *o, size_t n,
			     int64_t *account_r)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = 1;

	for (i = 0; i < n && rc == 1; i++) {
		if ((st = store_db_stmt(db, sql_obj_outcome)) == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, STORE_JMAP_SUBMISSION);
		store_db_bind_text(st, 3, nonce);
		store_db_bind_text(st, 4, o[i].address);
		sqlite3_bind_int(st, 5, (int)o[i].state);
		store_db_bind_text(st, 6, o[i].reply != NULL ? o[i].reply : "");
		switch (sqlite3_step(st)) {
		case SQLITE_ROW:
			*account_r = sqlite3_column_int64(st, 0);
			rc = sqlite3_step(st) == SQLITE_DONE ? 1 : -1;
			break;
		case SQLITE_DONE:
			rc = 0; /* a wrong nonce, or the object is gone */
			break;
		default:
			rc = -1;
		}
		sqlite3_reset(st);
	}
	if (rc == 1)
		rc = store_jmap_obj_logged(db, *account_r, STORE_JMAP_SUBMISSION,
					   id, 0);
	return rc;
}

int
store_jmap_obj_outcome(struct store *s, const char *envid,
		       const struct store_queue_outcome *o, size_t n,
		       const char **error_r)
{
	const size_t plen = sizeof(STORE_JMAP_ENVID_PREFIX) - 1;
	struct store_db *db;
	int64_t id = 0, account_id = 0;
	const char *p;
	int rc;

	/* an SMTP client's own ENVID, or none */
	if (envid == NULL || strncmp(envid, STORE_JMAP_ENVID_PREFIX, plen) != 0)
		return 0;
	for (p = envid + plen; *p >= '0' && *p <= '9' && id < INT64_MAX / 10;
	     p++)
		id = id * 10 + (*p - '0');
	if (id == 0 || *p != '.' || n == 0)
		return 0;
	if ((db = store_db_acquire_tx(s, true, error_r)) == NULL)
		return -1;
	rc = store_jmap_obj_outcome_write(db, id, p + 1, o, n, &account_id);
	return store_jmap_obj_end(s, db, account_id, rc, "submission outcome",
				  error_r);
}

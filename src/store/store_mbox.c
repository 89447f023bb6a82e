/* store_mbox.c: an account's mailboxes for IMAP: list, create, delete,
   rename, subscriptions, status, \Recent and quota usage. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "utf8.h"
#include "xalloc.h"

#define SQL_MBOX_COLS                                                          \
	"SELECT mb.id, mb.name, mb.special_use, s.name IS NOT NULL,"           \
	" mb.uidvalidity, mb.uidnext, mb.highestmodseq FROM mailboxes mb"      \
	" LEFT JOIN subscriptions s ON s.account_id = mb.account_id AND"       \
	" s.name = mb.name"
static const char sql_list[] =
    SQL_MBOX_COLS " WHERE mb.account_id = ?1 ORDER BY mb.name";
static const char sql_get[] =
    SQL_MBOX_COLS " WHERE mb.account_id = ?1 AND mb.name = ?2";
static const char sql_id[] =
    "SELECT id FROM mailboxes WHERE account_id = ?1 AND name = ?2";
/* "name/..." sorts from "name/" up to (not including) "name0": '0' is
   the octet after '/', and names compare as bytes (BINARY). */
#define SQL_INFERIORS "(name >= ?2 || '/' AND name < ?2 || '0')"
static const char sql_has_inferiors[] =
    "SELECT 1 FROM mailboxes WHERE account_id = ?1 AND " SQL_INFERIORS
    " LIMIT 1";
static const char sql_subtree[] =
    "SELECT id, name FROM mailboxes WHERE account_id = ?1 AND"
    " (name = ?2 OR " SQL_INFERIORS ")";
static const char sql_delete[] = "DELETE FROM mailboxes WHERE id = ?1";
static const char sql_set_name[] =
    "UPDATE mailboxes SET name = ?2 WHERE id = ?1";
/* length() and substr() count characters of TEXT on both sides, so the
   suffix after `from` is cut right for any UTF-8 name. */
static const char sql_rename_subs[] =
    "UPDATE OR REPLACE subscriptions SET name = ?3 || substr(name,"
    " length(?2) + 1) WHERE account_id = ?1 AND (name = ?2 OR " SQL_INFERIORS
    ")";
static const char sql_inbox_state[] =
    "UPDATE mailboxes SET (uidnext, highestmodseq, recent_uid) = (SELECT"
    " uidnext, highestmodseq, recent_uid FROM mailboxes WHERE id = ?2)"
    " WHERE id = ?1";
static const char sql_inbox_expunged[] =
    "INSERT OR REPLACE INTO expunged(mailbox_id, uid, modseq) SELECT"
    " mailbox_id, uid, ?2 FROM mailbox_messages WHERE mailbox_id = ?1";
static const char sql_inbox_move[] =
    "UPDATE mailbox_messages SET mailbox_id = ?2 WHERE mailbox_id = ?1";
static const char sql_subscribe[] =
    "INSERT OR IGNORE INTO subscriptions(account_id, name) VALUES(?1, ?2)";
static const char sql_unsubscribe[] =
    "DELETE FROM subscriptions WHERE account_id = ?1 AND name = ?2";
static const char sql_subscriptions[] =
    "SELECT name FROM subscriptions WHERE account_id = ?1 ORDER BY name";
static const char sql_status_box[] =
    "SELECT uidnext, uidvalidity, highestmodseq, recent_uid FROM mailboxes"
    " WHERE id = ?1";
/* One pass over the mailbox's copies (primary key range). */
static const char sql_status_counts[] =
    "SELECT count(*), coalesce(sum((mm.flags & 1) = 0), 0),"
    " coalesce(sum((mm.flags & 8) != 0), 0), coalesce(sum(mm.uid > ?2), 0),"
    " coalesce(sum(m.size), 0) FROM mailbox_messages mm JOIN messages m ON"
    " m.id = mm.message_id WHERE mm.mailbox_id = ?1";
static const char sql_recent_read[] =
    "SELECT recent_uid, uidnext FROM mailboxes WHERE id = ?1";
static const char sql_recent_claim[] =
    "UPDATE mailboxes SET recent_uid = uidnext - 1 WHERE id = ?1";
static const char sql_quota[] = "SELECT quota_bytes FROM accounts WHERE id = ?1";
static const char sql_usage[] =
    "SELECT count(*), coalesce(sum(m.size), 0) FROM mailboxes mb JOIN"
    " mailbox_messages mm ON mm.mailbox_id = mb.id JOIN messages m ON m.id ="
    " mm.message_id WHERE mb.account_id = ?1";

/* ---- names ---- */

int
store_mbox_norm(const char *name, char out[STORE_MBOX_NAME_MAX + 1],
		const char **error_r)
{
	size_t len = strlen(name), i, n, depth = 1;

	if (len == 0)
		return store_err(error_r, "empty mailbox name");
	if (len > STORE_MBOX_NAME_MAX)
		return store_err(error_r, "mailbox name too long");
	if (name[0] == STORE_MBOX_SEP || name[len - 1] == STORE_MBOX_SEP)
		return store_err(error_r, "empty level in mailbox name");
	for (i = 0; i < len; i += n) {
		unsigned char c = (unsigned char)name[i];

		n = 1;
		if (c == STORE_MBOX_SEP) {
			if (name[i + 1] == STORE_MBOX_SEP)
				return store_err(error_r,
						 "empty level in mailbox name");
			depth++;
			continue;
		}
		/* '%' and '*' are LIST wildcards (RFC 9051 6.3.9): a name
		   holding one could not be listed on its own. */
		if (c < 0x20 || c == 0x7f || c == '%' || c == '*')
			return store_err(error_r,
					 "character not allowed in mailbox "
					 "name");
		n = utf8_char_len((const unsigned char *)name + i, len - i);
		if (n == 0)
			return store_err(error_r, "mailbox name not UTF-8");
	}
	if (depth > STORE_MBOX_DEPTH_MAX)
		return store_err(error_r, "mailbox name too deep");
	memcpy(out, name, len + 1);
	/* RFC 9051 5.1: INBOX is case-insensitive, also as a superior. */
	if (strncasecmp(out, STORE_INBOX, 5) == 0 &&
	    (out[5] == '\0' || out[5] == STORE_MBOX_SEP))
		memcpy(out, STORE_INBOX, 5);
	return 0;
}

static bool
store_mbox_is_inbox(const char *norm)
{
	return strcmp(norm, STORE_INBOX) == 0;
}

/* ---- reading ---- */

void
store_mbox_clear(struct store_mbox *m)
{
	free(m->name);
	free(m->special_use);
	memset(m, 0, sizeof(*m));
}

void
store_mbox_list_free(struct store_mbox *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_mbox_clear(&list[i]);
	free(list);
}

static char *
store_mbox_col_dup(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v != NULL ? xstrdup(v) : NULL;
}

/* A row of SQL_MBOX_COLS. */
static void
store_mbox_row(sqlite3_stmt *st, struct store_mbox *m)
{
	m->id = sqlite3_column_int64(st, 0);
	m->name = store_mbox_col_dup(st, 1);
	m->special_use = store_mbox_col_dup(st, 2);
	m->subscribed = sqlite3_column_int(st, 3) != 0;
	m->uidvalidity = (uint32_t)sqlite3_column_int64(st, 4);
	m->uidnext = (uint32_t)sqlite3_column_int64(st, 5);
	m->highestmodseq = (uint64_t)sqlite3_column_int64(st, 6);
}

int
store_mbox_list(struct store *s, int64_t account_id, struct store_mbox **list_r,
		size_t *n_r, const char **error_r)
{
	struct store_mbox *list = NULL;
	struct store_db *db;
	sqlite3_stmt *st;
	size_t n = 0, cap = 0;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	if ((db = store_db_acquire(s, error_r)) == NULL)
		return -1;
	if ((st = store_db_stmt(db, sql_list)) == NULL) {
		rc = store_err_db(error_r, db, "mailbox list");
		goto out;
	}
	sqlite3_bind_int64(st, 1, account_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			list = xrealloc(list, cap * sizeof(*list));
		}
		store_mbox_row(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		rc = store_err_db(error_r, db, "mailbox list");
		store_mbox_list_free(list, n);
		goto out;
	}
	*list_r = list;
	*n_r = n;
	rc = 0;
out:
	store_db_release(s, db);
	return rc;
}

int
store_mbox_get(struct store *s, int64_t account_id, const char *name,
	       struct store_mbox *m, const char **error_r)
{
	char norm[STORE_MBOX_NAME_MAX + 1];
	struct store_db *db;
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof(*m));
	if (store_mbox_norm(name, norm, NULL) < 0)
		return 0; /* no mailbox can have that name */
	if ((db = store_db_acquire(s, error_r)) == NULL)
		return -1;
	if ((st = store_db_stmt(db, sql_get)) == NULL) {
		rc = store_err_db(error_r, db, "mailbox");
		goto out;
	}
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_text(st, 2, norm, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		store_mbox_row(st, m);
		rc = 1;
	} else {
		rc = rc == SQLITE_DONE ? 0 : store_err_db(error_r, db, "mailbox");
	}
out:
	store_db_release(s, db);
	return rc;
}

/* Run sql with ?1 = account_id, ?2 = name (and ?3 = text3 unless
   NULL); *id_r (if not NULL) gets column 0 of the first row.  Returns 1
   row, 0 none (also for statements without rows), -1 error. */
static int
store_mbox_exec(struct store_db *db, const char *sql, int64_t account_id,
		const char *name, const char *text3, int64_t *id_r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (text3 != NULL)
		sqlite3_bind_text(st, 3, text3, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && id_r != NULL)
		*id_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* ---- create ---- */

int64_t
store_mbox_make(struct store_db *db, int64_t account_id, char *norm,
		const char *special_use, bool superiors_only)
{
	char *p;
	int rc;

	for (p = strchr(norm, STORE_MBOX_SEP); p != NULL;
	     p = strchr(p + 1, STORE_MBOX_SEP)) {
		*p = '\0';
		rc = store_mbox_exec(db, sql_id, account_id, norm, NULL, NULL);
		if (rc == 0 &&
		    store_mailbox_create(db, account_id, norm, NULL) < 0)
			rc = -1;
		*p = STORE_MBOX_SEP;
		if (rc < 0)
			return -1;
	}
	if (superiors_only)
		return 0;
	return store_mailbox_create(db, account_id, norm, special_use);
}

int
store_mbox_create(struct store *s, int64_t account_id, const char *name,
		  const char *special_use, const char **error_r)
{
	char norm[STORE_MBOX_NAME_MAX + 1];
	struct store_db *db;
	int rc;

	if (store_mbox_norm(name, norm, error_r) < 0)
		return -1;
	if ((db = store_db_acquire_tx(s, true, error_r)) == NULL)
		return -1;
	rc = store_mbox_exec(db, sql_id, account_id, norm, NULL, NULL);
	if (rc != 0) {
		/* 1: exists already (nothing written) */
		rc = rc < 0 ? store_err_db(error_r, db, "mailbox create") : 0;
		store_db_release(s, db);
		return rc;
	}
	if (store_mbox_make(db, account_id, norm, special_use, false) < 0) {
		rc = store_err_db(error_r, db, "mailbox create");
		store_db_release(s, db);
		return rc;
	}
	if (store_db_commit_changes(s, db, NULL, 0, false, error_r) < 0)
		return -1;
	store_notify_account(s, account_id); /* JMAP push */
	return 1;
}

/* ---- delete ---- */

int
store_mbox_delete(struct store *s, int64_t account_id, const char *name,
		  const char **error_r)
{
	char norm[STORE_MBOX_NAME_MAX + 1];
	struct store_db *db;
	int64_t id = 0;
	int rc;

	if (store_mbox_norm(name, norm, NULL) < 0)
		return 0;
	if (store_mbox_is_inbox(norm))
		return -2;
	if ((db = store_db_acquire_tx(s, true, error_r)) == NULL)
		return -1;
	rc = store_mbox_exec(db, sql_id, account_id, norm, NULL, &id);
	if (rc == 1) {
		rc = store_mbox_exec(db, sql_has_inferiors, account_id, norm,
				     NULL, NULL);
		if (rc == 1)
			rc = -3;
		else if (rc == 0)
			/* The copies go by ON DELETE CASCADE (the refcount
			   triggers run for them), the expunge records too:
			   the UIDVALIDITY dies with the mailbox. */
			rc = store_db_ints(db, sql_delete, &id, 1, NULL, 0) < 0
				 ? -1
				 : 1;
	}
	if (rc == -1)
		store_err_db(error_r, db, "mailbox delete");
	if (rc != 1) {
		store_db_release(s, db); /* rolls back */
		return rc;
	}
	return store_db_commit_changes(s, db, &id, 1, true, error_r) < 0 ? -1
									 : 1;
}

/* ---- rename ---- */

/* RFC 9051 6.3.6: renaming INBOX moves its messages to a new mailbox
   `to` and leaves INBOX, empty, in place; its inferiors stay.  INBOX
   keeps its UIDVALIDITY, so the moved UIDs are recorded as expunged
   from it (QRESYNC clients see them VANISHED); `to` is new (fresh
   UIDVALIDITY) and may keep the UIDs, uidnext and modseqs. */
static int
store_mbox_rename_inbox(struct store_db *db, int64_t account_id,
			int64_t inbox_id, char *to, int64_t ids[2],
			const char **error_r)
{
	int64_t a[2] = {0, inbox_id};

	a[0] = store_mbox_make(db, account_id, to, NULL, false);
	if (a[0] < 0 || store_db_ints(db, sql_inbox_state, a, 2, NULL, 0) < 0)
		return store_err_db(error_r, db, "rename INBOX");
	ids[0] = inbox_id;
	ids[1] = a[0];
	a[0] = inbox_id;
	if ((a[1] = store_modseq_next(db, inbox_id)) <= 0 ||
	    store_db_ints(db, sql_inbox_expunged, a, 2, NULL, 0) < 0 ||
	    store_db_ints(db, sql_inbox_move, ids, 2, NULL, 0) < 0)
		return store_err_db(error_r, db, "rename INBOX");
	return 1;
}

struct store_mbox_ren {
	int64_t id;
	char *name; /* new name */
};

/* Rename from and its inferiors to `to`.  *ids_r gets the renamed
   mailbox ids (malloc'd, also on failure).  Returns 1, -2 a target
   name exists, -1 error (*error_r). */
static int
store_mbox_rename_tree(struct store_db *db, int64_t account_id,
		       const char *from, char *to, int64_t **ids_r,
		       size_t *n_r, const char **error_r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_subtree);
	struct store_mbox_ren *ren = NULL;
	size_t n = 0, i, from_len = strlen(from);
	char check[STORE_MBOX_NAME_MAX + 1];
	bool bad_name = false;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *old = (const char *)sqlite3_column_text(st, 1);

		ren = xrealloc(ren, (n + 1) * sizeof(*ren));
		ren[n].id = sqlite3_column_int64(st, 0);
		ren[n].name = xasprintf("%s%s", to, old + from_len);
		n++;
	}
	sqlite3_reset(st);
	rc = rc == SQLITE_DONE ? 1 : -1;
	/* Every new name must be valid and free; a new name that is one of
	   the old ones (from "a/b" to a missing "a" with "a/b/b") counts as
	   taken too, so no intermediate state can collide. */
	for (i = 0; rc == 1 && i < n; i++) {
		if (store_mbox_norm(ren[i].name, check, error_r) < 0) {
			rc = -1;
			bad_name = true;
		} else
			rc = store_mbox_exec(db, sql_id, account_id,
					     ren[i].name, NULL, NULL) == 0
				 ? 1
				 : -2;
	}
	if (rc == 1 && store_mbox_make(db, account_id, to, NULL, true) < 0)
		rc = -1;
	for (i = 0; rc == 1 && i < n; i++) {
		st = store_db_stmt(db, sql_set_name);
		if (st == NULL)
			rc = -1;
		else {
			sqlite3_bind_int64(st, 1, ren[i].id);
			sqlite3_bind_text(st, 2, ren[i].name, -1,
					  SQLITE_STATIC);
			rc = sqlite3_step(st) == SQLITE_DONE ? 1 : -1;
			sqlite3_reset(st);
		}
	}
	if (rc == 1 && store_mbox_exec(db, sql_rename_subs, account_id, from,
				       to, NULL) < 0)
		rc = -1;
	if (rc == -1 && !bad_name)
		store_err_db(error_r, db, "mailbox rename");
	*ids_r = xcalloc(n + 1, sizeof(**ids_r));
	for (i = 0; i < n; i++) {
		(*ids_r)[i] = ren[i].id;
		free(ren[i].name);
	}
	*n_r = n;
	free(ren);
	return rc;
}

int
store_mbox_rename(struct store *s, int64_t account_id, const char *from,
		  const char *to, const char **error_r)
{
	char nfrom[STORE_MBOX_NAME_MAX + 1], nto[STORE_MBOX_NAME_MAX + 1];
	int64_t inbox_ids[2], *ids = NULL, from_id = 0;
	size_t len = 0, n = 0;
	struct store_db *db;
	int rc;

	if (store_mbox_norm(from, nfrom, NULL) < 0)
		return 0;
	if (store_mbox_norm(to, nto, error_r) < 0)
		return -1;
	len = strlen(nfrom);
	if (strcmp(nfrom, nto) == 0)
		return -2;
	/* INBOX's inferiors stay, so `to` may be one of them. */
	if (!store_mbox_is_inbox(nfrom) && strncmp(nto, nfrom, len) == 0 &&
	    nto[len] == STORE_MBOX_SEP)
		return -3;
	if ((db = store_db_acquire_tx(s, true, error_r)) == NULL)
		return -1;
	rc = store_mbox_exec(db, sql_id, account_id, nfrom, NULL, &from_id);
	if (rc == 1 && store_mbox_is_inbox(nfrom)) {
		rc = store_mbox_exec(db, sql_id, account_id, nto, NULL, NULL);
		if (rc == 0)
			rc = store_mbox_rename_inbox(db, account_id, from_id,
						     nto, inbox_ids, error_r);
		else if (rc == 1)
			rc = -2;
		else
			store_err_db(error_r, db, "mailbox rename");
		ids = inbox_ids;
		n = 2;
	} else if (rc == 1) {
		rc = store_mbox_rename_tree(db, account_id, nfrom, nto, &ids,
					    &n, error_r);
	} else if (rc < 0) {
		store_err_db(error_r, db, "mailbox rename");
	}
	if (rc == 1 &&
	    store_db_commit_changes(s, db, ids, n, false, error_r) < 0)
		rc = -1;
	else if (rc != 1)
		store_db_release(s, db); /* rolls back */
	if (ids != inbox_ids)
		free(ids);
	return rc;
}

/* ---- subscriptions ---- */

int
store_mbox_subscribe(struct store *s, int64_t account_id, const char *name,
		     bool subscribe, const char **error_r)
{
	char norm[STORE_MBOX_NAME_MAX + 1];
	struct store_db *db;
	int rc;

	if (store_mbox_norm(name, norm, error_r) < 0)
		return -1;
	if ((db = store_db_acquire(s, error_r)) == NULL)
		return -1;
	/* One statement, its own durable transaction. */
	rc = store_mbox_exec(db, subscribe ? sql_subscribe : sql_unsubscribe,
			     account_id, norm, NULL, NULL);
	if (rc < 0)
		store_err_db(error_r, db, "subscribe");
	store_db_release(s, db);
	if (rc < 0)
		return -1;
	store_notify_account(s, account_id); /* JMAP push */
	return 0;
}

int
store_mbox_subscriptions(struct store *s, int64_t account_id, char ***names_r,
			 size_t *n_r, const char **error_r)
{
	struct store_db *db;
	sqlite3_stmt *st;
	char **names = NULL;
	size_t n = 0;
	int rc;

	*names_r = NULL;
	*n_r = 0;
	if ((db = store_db_acquire(s, error_r)) == NULL)
		return -1;
	if ((st = store_db_stmt(db, sql_subscriptions)) == NULL) {
		rc = store_err_db(error_r, db, "subscriptions");
		goto out;
	}
	sqlite3_bind_int64(st, 1, account_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = store_mbox_col_dup(st, 0);
	}
	if (rc != SQLITE_DONE) {
		rc = store_err_db(error_r, db, "subscriptions");
		while (n > 0)
			free(names[--n]);
		free(names);
		goto out;
	}
	*names_r = names;
	*n_r = n;
	rc = 0;
out:
	store_db_release(s, db);
	return rc;
}

/* ---- status, \Recent, usage ---- */

int
store_mbox_status(struct store *s, int64_t mailbox_id,
		  struct store_mbox_status *stt, const char **error_r)
{
	struct store_db *db;
	int64_t box[4], args[2] = {mailbox_id, 0}, v[5];
	int rc;

	memset(stt, 0, sizeof(*stt));
	if ((db = store_db_acquire_tx(s, false, error_r)) == NULL)
		return -1;
	rc = store_db_ints(db, sql_status_box, &mailbox_id, 1, box, 4);
	if (rc == 1) {
		args[1] = box[3]; /* recent_uid */
		rc = store_db_ints(db, sql_status_counts, args, 2, v, 5) == 1
			 ? 1
			 : -1;
	}
	if (rc < 0)
		store_err_db(error_r, db, "status");
	store_db_release(s, db); /* ends the read transaction */
	if (rc == 1) {
		stt->uidnext = (uint32_t)box[0];
		stt->uidvalidity = (uint32_t)box[1];
		stt->highestmodseq = (uint64_t)box[2];
		stt->messages = (uint32_t)v[0];
		stt->unseen = (uint32_t)v[1];
		stt->deleted = (uint32_t)v[2];
		stt->recent = (uint32_t)v[3];
		stt->size = (uint64_t)v[4];
	}
	return rc;
}

/* The \Recent claim of a SELECT shares commits (store_combine.c). */
struct store_recent_arg {
	int64_t mailbox_id;
	int64_t v[2]; /* recent_uid, uidnext */
};

static int
store_mbox_recent_run(struct store_db *db, void *arg,
		      struct store_combine_out *out, const char **error_r)
{
	struct store_recent_arg *a = arg;
	int rc;

	(void)out; /* the claim changes no message: nobody to notify */
	rc = store_db_ints(db, sql_recent_read, &a->mailbox_id, 1, a->v, 2);
	if (rc == 1 && a->v[0] + 1 < a->v[1] &&
	    store_db_ints(db, sql_recent_claim, &a->mailbox_id, 1, NULL, 0) <
		0)
		rc = -1;
	return rc < 0 ? store_err_db(error_r, db, "recent") : rc;
}

static const struct store_combine_op store_mbox_recent_op = {
    store_mbox_recent_run, NULL};

int
store_mbox_recent(struct store *s, int64_t mailbox_id, uint32_t *first_r,
		  const char **error_r)
{
	struct store_recent_arg a = {mailbox_id, {0, 0}};
	struct store_db *db;
	int rc;

	*first_r = 0;
	if ((db = store_db_acquire(s, error_r)) == NULL)
		return -1;
	/* Most SELECTs find nothing new: look before queueing a write,
	   then look again in it. */
	rc = store_db_ints(db, sql_recent_read, &mailbox_id, 1, a.v, 2);
	if (rc < 0)
		store_err_db(error_r, db, "recent");
	store_db_release(s, db);
	if (rc == 1 && a.v[0] + 1 < a.v[1])
		rc = store_combine(s, &store_mbox_recent_op, &a, error_r);
	if (rc == 1)
		*first_r = (uint32_t)(a.v[0] + 1);
	return rc;
}

int
store_account_usage(struct store *s, int64_t account_id, uint64_t *bytes_r,
		    uint64_t *messages_r, uint64_t *quota_r,
		    const char **error_r)
{
	struct store_db *db;
	int64_t quota = 0, v[2];
	int rc;

	*bytes_r = *messages_r = *quota_r = 0;
	if ((db = store_db_acquire_tx(s, false, error_r)) == NULL)
		return -1;
	rc = store_db_ints(db, sql_quota, &account_id, 1, &quota, 1);
	if (rc == 1)
		rc = store_db_ints(db, sql_usage, &account_id, 1, v, 2) == 1
			 ? 1
			 : -1;
	if (rc < 0)
		store_err_db(error_r, db, "usage");
	store_db_release(s, db); /* ends the read transaction */
	if (rc == 1) {
		*messages_r = (uint64_t)v[0];
		*bytes_r = (uint64_t)v[1];
		*quota_r = (uint64_t)quota;
	}
	return rc;
}

/* store_jmap.c: JMAP Mail's view of the store: state, change log,
   threads, Emails as the union of their copies, Email writes. */
/* SPDX-License-Identifier: MIT */
#include "store/store_jmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_int.h"
#include "xalloc.h"

#define STORE_FLAGS_ALL                                                        \
	(STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | STORE_FLAG_FLAGGED |          \
	 STORE_FLAG_DELETED | STORE_FLAG_DRAFT)

static const char sql_state[] =
    "SELECT jmap_modseq FROM accounts WHERE id = ?1";
static const char sql_bump[] =
    "UPDATE accounts SET jmap_modseq = jmap_modseq + 1 WHERE id = ?1"
    " RETURNING jmap_modseq";
/* RFC 8621 1.5 EmailDelivery: the newest creation among the Emails
   changed after ?2 (an Email's modseq is never below its creation). */
static const char sql_delivery[] =
    "SELECT coalesce(max(created), 0) FROM jmap_changes"
    " INDEXED BY jmap_changes_modseq WHERE account_id = ?1 AND type = 2"
    " AND modseq > ?2";
/* Oldest change first; ?4 = max + 1 rows to see whether more remain. */
static const char sql_changes[] =
    "SELECT obj_id, created, modseq, destroyed FROM jmap_changes"
    " INDEXED BY jmap_changes_modseq WHERE account_id = ?1 AND type = ?2"
    " AND modseq > ?3 ORDER BY modseq, obj_id LIMIT ?4";
/* Copies without a thread (schema v6: the partial index); an Email
   threaded already whose new copy is listed gets its thread copied in
   store_jmap_thread_one. */
static const char sql_unthreaded[] =
    "SELECT DISTINCT mm.message_id, m.blob FROM mailboxes b"
    " JOIN mailbox_messages mm INDEXED BY mailbox_messages_unthreaded"
    " ON mm.mailbox_id = b.id AND mm.thread_id = 0"
    " JOIN messages m ON m.id = mm.message_id"
    " WHERE b.account_id = ?1 ORDER BY mm.message_id LIMIT ?2";
static const char sql_in_account[] =
    "SELECT 1 FROM mailbox_messages mm JOIN mailboxes b ON b.id ="
    " mm.mailbox_id WHERE mm.message_id = ?2 AND b.account_id = ?1";
static const char sql_email_thread[] =
    "SELECT thread_id FROM jmap_threads WHERE account_id = ?1 AND"
    " message_id = ?2";
/* The thread onto every copy of the Email in the account. */
static const char sql_copies_thread[] =
    "UPDATE mailbox_messages SET thread_id = ?3 WHERE message_id = ?2 AND"
    " thread_id != ?3 AND mailbox_id IN (SELECT id FROM mailboxes WHERE"
    " account_id = ?1)";
/* A Message-ID's thread, if that thread still has an Email. */
static const char sql_msgid_thread[] =
    "SELECT i.thread_id FROM jmap_msgids i WHERE i.account_id = ?1 AND"
    " i.msgid = ?2 AND EXISTS(SELECT 1 FROM jmap_threads t WHERE"
    " t.account_id = ?1 AND t.thread_id = i.thread_id)";
static const char sql_msgid_set[] =
    "INSERT INTO jmap_msgids(account_id, msgid, thread_id) VALUES(?1, ?2,"
    " ?3) ON CONFLICT DO UPDATE SET thread_id = excluded.thread_id";
static const char sql_thread_insert[] =
    "INSERT INTO jmap_threads(account_id, message_id, thread_id)"
    " VALUES(?1, ?2, ?3)";
static const char sql_thread_log[] =
    "INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq)"
    " VALUES(?1, 3, ?2, ?3, ?3) ON CONFLICT DO UPDATE SET"
    " created = CASE WHEN destroyed THEN excluded.created ELSE created END,"
    " modseq = excluded.modseq, destroyed = 0";
/* Every copy of the asked Emails (?2: JSON array of ids), grouped by
   Email in id order: from the ids through mailbox_messages_message, not
   a scan of the account; sql_emails_all: every Email of the account. */
#define STORE_JMAP_EMAIL_COLS                                                  \
	"SELECT m.id, mm.thread_id, mm.internaldate, m.size, mm.flags,"        \
	" mm.keywords, mm.mailbox_id, m.blob, m.hdr_subject, m.hdr_from,"      \
	" m.hdr_to, m.hdr_cc, m.hdr_message_id, m.hdr_date"
static const char sql_emails[] =
    STORE_JMAP_EMAIL_COLS
    " FROM mailbox_messages mm INDEXED BY mailbox_messages_message"
    " JOIN mailboxes b ON b.id = mm.mailbox_id"
    " JOIN messages m ON m.id = mm.message_id"
    " WHERE mm.message_id IN (SELECT value FROM json_each(?2))"
    " AND b.account_id = ?1 ORDER BY m.id, mm.mailbox_id";
static const char sql_emails_all[] =
    STORE_JMAP_EMAIL_COLS
    " FROM mailboxes b JOIN mailbox_messages mm ON mm.mailbox_id = b.id"
    " JOIN messages m ON m.id = mm.message_id"
    " WHERE b.account_id = ?1 ORDER BY m.id, mm.mailbox_id";
/* The copies of one Email in the account. */
static const char sql_copies[] =
    "SELECT mm.mailbox_id, mm.uid, mm.flags, mm.keywords, mm.internaldate"
    " FROM mailbox_messages mm JOIN mailboxes b ON b.id = mm.mailbox_id"
    " WHERE b.account_id = ?1 AND mm.message_id = ?2 ORDER BY mm.mailbox_id";
static const char sql_box_owner[] =
    "SELECT account_id FROM mailboxes WHERE id = ?1";
static const char sql_copy_flags[] =
    "UPDATE mailbox_messages SET flags = ?3, keywords = ?4, modseq = ?5"
    " WHERE mailbox_id = ?1 AND uid = ?2";
static const char sql_uid_take[] =
    "UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq ="
    " highestmodseq + 1 WHERE id = ?1 AND uidnext < 4294967296"
    " RETURNING uidnext - 1, highestmodseq";
static const char sql_copy_insert[] =
    "INSERT INTO mailbox_messages(mailbox_id, uid, message_id, flags,"
    " keywords, modseq, internaldate) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";

static char *
store_jmap_strdup(sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	return v != NULL ? xstrdup(v) : NULL;
}

int
store_jmap_state(struct store *s, int64_t account_id, uint64_t *state_r,
		 const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	int64_t v = 0;
	int rc;

	if (db == NULL)
		return -1;
	rc = store_db_ints(db, sql_state, &account_id, 1, &v, 1);
	if (rc < 0)
		store_err_db(error_r, db, "jmap state");
	store_db_release(s, db);
	*state_r = (uint64_t)v;
	return rc;
}

int
store_jmap_delivery(struct store *s, int64_t account_id, uint64_t since,
		    uint64_t *state_r, const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	int64_t args[2] = {account_id, (int64_t)since}, v = 0;
	int rc;

	*state_r = 0;
	if (db == NULL)
		return -1;
	rc = store_db_ints(db, sql_delivery, args, 2, &v, 1);
	if (rc < 0)
		store_err_db(error_r, db, "jmap delivery state");
	store_db_release(s, db);
	*state_r = (uint64_t)v;
	return rc < 0 ? -1 : 0;
}

/* ---- changes ---- */

static void
store_jmap_push(int64_t **a, size_t *n, int64_t v)
{
	*a = xrealloc(*a, (*n + 1) * sizeof(**a));
	(*a)[(*n)++] = v;
}

void
store_jmap_changes_free(struct store_jmap_changes *c)
{
	free(c->created);
	free(c->updated);
	free(c->destroyed);
	memset(c, 0, sizeof(*c));
}

int
store_jmap_changes(struct store *s, int64_t account_id,
		   enum store_jmap_type type, uint64_t since, size_t max,
		   struct store_jmap_changes *c, const char **error_r)
{
	struct store_db *db;
	sqlite3_stmt *st;
	int64_t state = 0, *rows = NULL;
	size_t n = 0, i, keep;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((db = store_db_acquire_tx(s, false, error_r)) == NULL)
		return -1;
	if ((rc = store_db_ints(db, sql_state, &account_id, 1, &state, 1)) <
	    0)
		goto dberr;
	if (rc == 0 || since > (uint64_t)state) {
		store_db_release(s, db);
		return 0;
	}
	if ((st = store_db_stmt(db, sql_changes)) == NULL)
		goto dberr;
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_int(st, 2, (int)type);
	sqlite3_bind_int64(st, 3, (int64_t)since);
	sqlite3_bind_int64(st, 4, (int64_t)max + 1);
	/* rows: (id, created, modseq, destroyed) quadruples */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows = xrealloc(rows, (n + 1) * 4 * sizeof(*rows));
		for (i = 0; i < 4; i++)
			rows[n * 4 + i] = sqlite3_column_int64(st, (int)i);
		n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto dberr;
	store_db_release(s, db);
	keep = n;
	c->new_state = (uint64_t)state;
	if (n > max) {
		/* stop before the first modseq that does not fit whole */
		keep = max;
		while (keep > 0 && rows[(keep - 1) * 4 + 2] == rows[max * 4 + 2])
			keep--;
		if (keep == 0) {
			/* one modseq holds more than max: all of it */
			keep = max;
			while (keep < n && rows[keep * 4 + 2] == rows[0 + 2])
				keep++;
		}
		c->more = keep < n;
		if (c->more)
			c->new_state = (uint64_t)rows[(keep - 1) * 4 + 2];
	}
	for (i = 0; i < keep; i++) {
		int64_t id = rows[i * 4], created = rows[i * 4 + 1];
		bool destroyed = rows[i * 4 + 3] != 0;

		if (created > (int64_t)since) {
			/* RFC 8620 5.2: created and destroyed since: may be
			   left out */
			if (!destroyed)
				store_jmap_push(&c->created, &c->n_created, id);
		} else if (destroyed) {
			store_jmap_push(&c->destroyed, &c->n_destroyed, id);
		} else {
			store_jmap_push(&c->updated, &c->n_updated, id);
		}
	}
	free(rows);
	return 1;
dberr:
	free(rows);
	store_err_db(error_r, db, "jmap changes");
	store_db_release(s, db);
	return -1;
}

/* ---- threads ---- */

int
store_jmap_unthreaded(struct store *s, int64_t account_id, size_t max,
		      int64_t **ids_r, char ***paths_r, size_t *n_r,
		      const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	sqlite3_stmt *st;
	size_t n = 0;
	int rc;

	*ids_r = NULL;
	*paths_r = NULL;
	*n_r = 0;
	if (db == NULL)
		return -1;
	if ((st = store_db_stmt(db, sql_unthreaded)) == NULL) {
		store_err_db(error_r, db, "jmap unthreaded");
		store_db_release(s, db);
		return -1;
	}
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_int64(st, 2, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ids_r = xrealloc(*ids_r, (n + 1) * sizeof(**ids_r));
		*paths_r = xrealloc(*paths_r, (n + 1) * sizeof(**paths_r));
		(*ids_r)[n] = sqlite3_column_int64(st, 0);
		(*paths_r)[n] = xasprintf("%s/%s", s->blob_dir,
					  (const char *)sqlite3_column_text(
					      st, 1));
		n++;
	}
	sqlite3_reset(st);
	*n_r = n;
	if (rc != SQLITE_DONE) {
		store_err_db(error_r, db, "jmap unthreaded");
		store_db_release(s, db);
		store_jmap_unthreaded_free(*ids_r, *paths_r, n);
		*ids_r = NULL;
		*paths_r = NULL;
		*n_r = 0;
		return -1;
	}
	store_db_release(s, db);
	return 0;
}

void
store_jmap_unthreaded_free(int64_t *ids, char **paths, size_t n)
{
	size_t i;

	for (i = 0; paths != NULL && i < n; i++)
		free(paths[i]);
	free(paths);
	free(ids);
}

/* Run sql bound to (account_id, text) and read an integer.  1 row, 0
   none, -1 error. */
static int
store_jmap_text_int(struct store_db *db, const char *sql, int64_t account_id,
		    const char *text, int64_t *v_r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Map msgid to thread (account_id) in the caller's transaction. */
static int
store_jmap_msgid_set(struct store_db *db, int64_t account_id,
		     const char *msgid, int64_t thread)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_msgid_set);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_text(st, 2, msgid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, thread);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Thread one Email in the caller's transaction (modseq: the log's). */
static int
store_jmap_thread_one(struct store_db *db, int64_t account_id,
		      const struct store_jmap_threading *t, int64_t modseq)
{
	int64_t thread = 0, a[3];
	size_t i;
	int rc;

	a[0] = account_id;
	a[1] = t->email_id;
	rc = store_db_ints(db, sql_email_thread, a, 2, &thread, 1);
	if (rc == 1) {
		/* threaded already: a new copy takes its thread */
		a[2] = thread;
		return store_db_ints(db, sql_copies_thread, a, 3, NULL, 0);
	}
	if (rc < 0 || (rc = store_db_ints(db, sql_in_account, a, 2, NULL,
					  0)) <= 0)
		return rc; /* gone */
	/* RFC 8621 3: its own id (a reply may have come first), then the
	   ids it refers to */
	if (t->msgid != NULL &&
	    (rc = store_jmap_text_int(db, sql_msgid_thread, account_id,
				      t->msgid, &thread)) < 0)
		return -1;
	for (i = 0; thread == 0 && i < t->n_refs; i++)
		if (store_jmap_text_int(db, sql_msgid_thread, account_id,
					t->refs[i], &thread) < 0)
			return -1;
	if (thread == 0)
		thread = t->email_id;
	a[2] = thread;
	if (store_db_ints(db, sql_thread_insert, a, 3, NULL, 0) < 0 ||
	    store_db_ints(db, sql_copies_thread, a, 3, NULL, 0) < 0)
		return -1;
	a[1] = thread;
	a[2] = modseq;
	if (store_db_ints(db, sql_thread_log, a, 3, NULL, 0) < 0)
		return -1;
	if (t->msgid != NULL &&
	    store_jmap_msgid_set(db, account_id, t->msgid, thread) < 0)
		return -1;
	/* ids not seen yet lead later replies here too */
	for (i = 0; i < t->n_refs; i++) {
		int64_t known = 0;

		rc = store_jmap_text_int(db, sql_msgid_thread, account_id,
					 t->refs[i], &known);
		if (rc < 0 || (rc == 0 && store_jmap_msgid_set(
						db, account_id, t->refs[i],
						thread) < 0))
			return -1;
	}
	return 1;
}

int
store_jmap_thread_assign(struct store *s, int64_t account_id,
			 const struct store_jmap_threading *t, size_t n,
			 const char **error_r)
{
	struct store_db *db;
	int64_t modseq = 0;
	size_t i;

	if (n == 0)
		return 0;
	if ((db = store_db_acquire_tx(s, true, error_r)) == NULL)
		return -1;
	if (store_db_ints(db, sql_bump, &account_id, 1, &modseq, 1) != 1)
		goto fail;
	for (i = 0; i < n; i++)
		if (store_jmap_thread_one(db, account_id, &t[i], modseq) < 0)
			goto fail;
	if (store_db_commit(db) < 0)
		goto fail;
	store_db_release(s, db);
	return 0;
fail:
	store_err_db(error_r, db, "jmap threads");
	store_db_release(s, db);
	return -1;
}

/* ---- emails ---- */

void
store_jmap_emails_free(struct store_jmap_email *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct store_jmap_email *e = &list[i];

		free(e->keywords);
		free(e->mailboxes);
		free(e->blob_path);
		free(e->hdr_subject);
		free(e->hdr_from);
		free(e->hdr_to);
		free(e->hdr_cc);
		free(e->hdr_message_id);
	}
	free(list);
}

/* Add the keywords of list to e's union. */
static void
store_jmap_kw_union(struct store_jmap_email *e, const char *list)
{
	char *joined, *norm;

	if (list == NULL || *list == '\0')
		return;
	if (e->keywords == NULL) {
		e->keywords = xstrdup(list);
		return;
	}
	joined = xasprintf("%s %s", e->keywords, list);
	norm = store_keywords_norm(joined);
	free(joined);
	free(e->keywords);
	e->keywords = norm;
}

int
store_jmap_emails(struct store *s, int64_t account_id, const int64_t *ids,
		  size_t n, struct store_jmap_email **list_r, size_t *n_r,
		  uint64_t *state_r, const char **error_r)
{
	struct store_jmap_email *l = NULL, *e = NULL;
	struct store_db *db;
	sqlite3_stmt *st;
	int64_t state = 0;
	char *json = NULL;
	size_t k = 0;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	if (ids != NULL)
		json = store_jmap_ids_json(ids, n);
	if ((db = store_db_acquire_tx(s, false, error_r)) == NULL) {
		free(json);
		return -1;
	}
	if (store_db_ints(db, sql_state, &account_id, 1, &state, 1) < 0 ||
	    (st = store_db_stmt(db, json != NULL ? sql_emails
						  : sql_emails_all)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, account_id);
	if (json != NULL)
		store_db_bind_text(st, 2, json);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int64_t date = sqlite3_column_int64(st, 2);

		if (e == NULL || e->id != id) {
			l = xrealloc(l, (k + 1) * sizeof(*l));
			e = &l[k++];
			memset(e, 0, sizeof(*e));
			e->id = id;
			e->received = date;
			e->size = (uint64_t)sqlite3_column_int64(st, 3);
			e->blob_path = xasprintf(
			    "%s/%s", s->blob_dir,
			    (const char *)sqlite3_column_text(st, 7));
			e->hdr_subject = store_jmap_strdup(st, 8);
			e->hdr_from = store_jmap_strdup(st, 9);
			e->hdr_to = store_jmap_strdup(st, 10);
			e->hdr_cc = store_jmap_strdup(st, 11);
			e->hdr_message_id = store_jmap_strdup(st, 12);
			e->hdr_date = sqlite3_column_int64(st, 13);
		}
		if (date < e->received)
			e->received = date;
		/* a copy not yet threaded has 0 */
		if (sqlite3_column_int64(st, 1) > e->thread_id)
			e->thread_id = sqlite3_column_int64(st, 1);
		e->flags |= (uint32_t)sqlite3_column_int64(st, 4);
		store_jmap_kw_union(e,
				    (const char *)sqlite3_column_text(st, 5));
		e->mailboxes = xrealloc(e->mailboxes, (e->n_mailboxes + 1) *
							  sizeof(int64_t));
		e->mailboxes[e->n_mailboxes++] = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	store_db_release(s, db);
	free(json);
	*list_r = l;
	*n_r = k;
	*state_r = (uint64_t)state;
	return 0;
fail:
	store_err_db(error_r, db, "jmap emails");
	store_db_release(s, db);
	store_jmap_emails_free(l, k);
	free(json);
	return -1;
}

char *
store_jmap_ids_json(const int64_t *ids, size_t n)
{
	char *json = xmalloc(3 + n * 21);
	size_t i, len = 0;

	json[len++] = '[';
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(json + len, "%s%lld", i ? "," : "",
				       (long long)ids[i]);
	json[len++] = ']';
	json[len] = '\0';
	return json;
}

/* ---- writing ---- */

struct store_jmap_copy {
	int64_t mailbox_id;
	uint32_t uid, flags;
	char *keywords;
	int64_t internaldate;
};

static void
store_jmap_copies_free(struct store_jmap_copy *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(c[i].keywords);
	free(c);
}

/* The copies of Email id in account_id (caller's transaction). */
static int
store_jmap_copies(struct store_db *db, int64_t account_id, int64_t id,
		  struct store_jmap_copy **c_r, size_t *n_r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_copies);
	struct store_jmap_copy *c = NULL;
	size_t n = 0;
	int rc;

	*c_r = NULL;
	*n_r = 0;
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_int64(st, 2, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = xrealloc(c, (n + 1) * sizeof(*c));
		c[n].mailbox_id = sqlite3_column_int64(st, 0);
		c[n].uid = (uint32_t)sqlite3_column_int64(st, 1);
		c[n].flags = (uint32_t)sqlite3_column_int64(st, 2);
		c[n].keywords = store_jmap_strdup(st, 3);
		c[n].internaldate = sqlite3_column_int64(st, 4);
		n++;
	}
	sqlite3_reset(st);
	*c_r = c;
	*n_r = n;
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
store_jmap_touch(int64_t **ids, size_t *n, int64_t id)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*ids)[i] == id)
			return;
	store_jmap_push(ids, n, id);
}

/* Set the flags and keywords of copy c (IMAP modseq of its mailbox).
   0 or -1. */
static int
store_jmap_copy_flags(struct store_db *db, const struct store_jmap_copy *c,
		      uint32_t flags, const char *keywords)
{
	sqlite3_stmt *st;
	int64_t modseq;
	int rc;

	if (c->flags == flags &&
	    (c->keywords == NULL ? keywords == NULL
				 : keywords != NULL &&
				       strcmp(c->keywords, keywords) == 0))
		return 0;
	if ((modseq = store_modseq_next(db, c->mailbox_id)) <= 0)
		return -1;
	if ((st = store_db_stmt(db, sql_copy_flags)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, c->mailbox_id);
	sqlite3_bind_int64(st, 2, c->uid);
	sqlite3_bind_int64(st, 3, flags);
	store_db_bind_text(st, 4, keywords);
	sqlite3_bind_int64(st, 5, modseq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* A new copy of Email id in mailbox_id like proto.  0 or -1. */
static int
store_jmap_copy_add(struct store_db *db, int64_t mailbox_id, int64_t id,
		    uint32_t flags, const char *keywords, int64_t internaldate)
{
	int64_t got[2];
	sqlite3_stmt *st;
	int rc;

	if (store_db_ints(db, sql_uid_take, &mailbox_id, 1, got, 2) != 1 ||
	    (st = store_db_stmt(db, sql_copy_insert)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, got[0]);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_int64(st, 4, flags);
	store_db_bind_text(st, 5, keywords);
	sqlite3_bind_int64(st, 6, got[1]);
	sqlite3_bind_int64(st, 7, internaldate);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The update, in the caller's transaction; touched mailboxes are added
   to *ids.  1, 0 no such Email, -2 foreign mailbox, -1 error. */
static int
store_jmap_update_tx(struct store_db *db, int64_t account_id, int64_t id,
		     const struct store_jmap_update *u, int64_t **ids,
		     size_t *n_ids)
{
	struct store_jmap_copy *c;
	size_t n, i, j;
	uint32_t flags = 0;
	char *kw = NULL;
	int rc = 1;

	if (store_jmap_copies(db, account_id, id, &c, &n) < 0)
		return -1;
	if (n == 0)
		return 0;
	for (i = 0; u->set_mailboxes && i < u->n_mailboxes; i++) {
		int64_t owner = 0;

		if (store_db_ints(db, sql_box_owner, &u->mailboxes[i], 1,
				  &owner, 1) < 0) {
			rc = -1;
			goto out;
		}
		if (owner != account_id) {
			rc = -2;
			goto out;
		}
	}
	/* what new copies get: the Email's keywords */
	if (u->set_keywords) {
		flags = u->flags & ~STORE_FLAG_DELETED;
		kw = u->keywords != NULL ? xstrdup(u->keywords) : NULL;
	} else {
		struct store_jmap_email e = {0};

		for (i = 0; i < n; i++) {
			flags |= c[i].flags & ~STORE_FLAG_DELETED;
			store_jmap_kw_union(&e, c[i].keywords);
		}
		kw = e.keywords;
	}
	for (i = 0; u->set_keywords && i < n; i++) {
		if (store_jmap_copy_flags(
			db, &c[i],
			(flags & STORE_FLAGS_ALL) |
			    (c[i].flags & STORE_FLAG_DELETED),
			kw) < 0) {
			rc = -1;
			goto out;
		}
		store_jmap_touch(ids, n_ids, c[i].mailbox_id);
	}
	for (i = 0; u->set_mailboxes && i < u->n_mailboxes; i++) {
		for (j = 0; j < n && c[j].mailbox_id != u->mailboxes[i]; j++)
			;
		if (j < n)
			continue;
		if (store_jmap_copy_add(db, u->mailboxes[i], id, flags, kw,
					c[0].internaldate) < 0) {
			rc = -1;
			goto out;
		}
		store_jmap_touch(ids, n_ids, u->mailboxes[i]);
	}
	for (j = 0; u->set_mailboxes && j < n; j++) {
		for (i = 0; i < u->n_mailboxes && c[j].mailbox_id !=
						      u->mailboxes[i];
		     i++)
			;
		if (i < u->n_mailboxes)
			continue;
		if (store_expunge_rows(db, c[j].mailbox_id, &c[j].uid, 1) < 0) {
			rc = -1;
			goto out;
		}
		store_jmap_touch(ids, n_ids, c[j].mailbox_id);
	}
out:
	free(kw);
	store_jmap_copies_free(c, n);
	return rc;
}

int
store_jmap_email_update(struct store *s, int64_t account_id, int64_t id,
			const struct store_jmap_update *u,
			const char **error_r)
{
	struct store_db *db;
	int64_t *ids = NULL;
	size_t n = 0;
	int rc;

	if (u->set_mailboxes && u->n_mailboxes == 0)
		return store_err(error_r, "an Email needs a mailbox");
	if ((db = store_db_acquire_tx(s, true, error_r)) == NULL)
		return -1;
	rc = store_jmap_update_tx(db, account_id, id, u, &ids, &n);
	if (rc <= 0 && rc != -1) {
		store_db_release(s, db);
		free(ids);
		return rc;
	}
	if (rc < 0) {
		store_err_db(error_r, db, "jmap email update");
		store_db_release(s, db);
		free(ids);
		return -1;
	}
	/* a removed copy may have been the last reference */
	rc = store_db_commit_changes(s, db, ids, n, u->set_mailboxes, error_r);
	free(ids);
	return rc < 0 ? -1 : 1;
}

int
store_jmap_email_destroy(struct store *s, int64_t account_id, int64_t id,
			 const char **error_r)
{
	struct store_jmap_copy *c = NULL;
	struct store_db *db;
	int64_t *ids = NULL;
	size_t n = 0, n_ids = 0, i;
	int rc;

	if ((db = store_db_acquire_tx(s, true, error_r)) == NULL)
		return -1;
	if (store_jmap_copies(db, account_id, id, &c, &n) < 0)
		goto fail;
	if (n == 0) {
		store_db_release(s, db);
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (store_expunge_rows(db, c[i].mailbox_id, &c[i].uid, 1) < 0)
			goto fail;
		store_jmap_touch(&ids, &n_ids, c[i].mailbox_id);
	}
	store_jmap_copies_free(c, n);
	rc = store_db_commit_changes(s, db, ids, n_ids, true, error_r);
	free(ids);
	return rc < 0 ? -1 : 1;
fail:
	store_err_db(error_r, db, "jmap email destroy");
	store_db_release(s, db);
	store_jmap_copies_free(c, n);
	free(ids);
	return -1;
}

/* ---- blobs and lookups ---- */

static const char sql_blob_of[] =
    "SELECT m.blob FROM messages m WHERE m.id = ?2 AND EXISTS(SELECT 1"
    " FROM mailbox_messages mm JOIN mailboxes b ON b.id = mm.mailbox_id"
    " WHERE mm.message_id = m.id AND b.account_id = ?1)";
static const char sql_email_at[] =
    "SELECT message_id FROM mailbox_messages WHERE mailbox_id = ?1 AND"
    " uid = ?2";
static const char sql_mbox_name[] =
    "SELECT name FROM mailboxes WHERE id = ?2 AND account_id = ?1";

/* One text column of the first row of sql with ?1 ?2 bound. */
static int
store_jmap_text2(struct store *s, const char *sql, int64_t a, int64_t b,
		 char **v_r, const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	sqlite3_stmt *st;
	int rc;

	*v_r = NULL;
	if (db == NULL)
		return -1;
	if ((st = store_db_stmt(db, sql)) == NULL) {
		store_err_db(error_r, db, "jmap lookup");
		store_db_release(s, db);
		return -1;
	}
	sqlite3_bind_int64(st, 1, a);
	sqlite3_bind_int64(st, 2, b);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v_r = store_jmap_strdup(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_err_db(error_r, db, "jmap lookup");
		store_db_release(s, db);
		return -1;
	}
	store_db_release(s, db);
	return *v_r != NULL;
}

int
store_jmap_blob_path(struct store *s, int64_t account_id, const char *blob_id,
		     char **path_r, const char **error_r)
{
	const char *p;
	char *rel;
	int64_t id = 0;
	int rc;

	*path_r = NULL;
	if (blob_id[0] == 'U') {
		for (p = blob_id + 1; *p != '\0'; p++)
			if (strchr("0123456789abcdef", *p) == NULL)
				return 0;
		if (p - blob_id != 33)
			return 0;
		*path_r = xasprintf("%s/uploads/%lld-%s", s->data_dir,
				    (long long)account_id, blob_id);
		if (access(*path_r, R_OK) == 0)
			return 1;
		free(*path_r);
		*path_r = NULL;
		return 0;
	}
	if (blob_id[0] != 'G' || blob_id[1] < '1' || blob_id[1] > '9')
		return 0;
	for (p = blob_id + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || id > (INT64_MAX - 9) / 10)
			return 0;
		id = id * 10 + (*p - '0');
	}
	rc = store_jmap_text2(s, sql_blob_of, account_id, id, &rel, error_r);
	if (rc == 1) {
		*path_r = xasprintf("%s/%s", s->blob_dir, rel);
		free(rel);
	}
	return rc;
}

int
store_jmap_email_at(struct store *s, int64_t mailbox_id, uint32_t uid,
		    int64_t *id_r, const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	int64_t args[2] = {mailbox_id, (int64_t)uid};
	int rc;

	if (db == NULL)
		return -1;
	rc = store_db_ints(db, sql_email_at, args, 2, id_r, 1);
	if (rc < 0)
		store_err_db(error_r, db, "jmap email at");
	store_db_release(s, db);
	return rc;
}

int
store_jmap_mbox_name(struct store *s, int64_t account_id, int64_t id,
		     char **name_r, const char **error_r)
{
	return store_jmap_text2(s, sql_mbox_name, account_id, id, name_r,
				error_r);
}

/* store_msg.c: the messages of one mailbox for IMAP: snapshot, changes
   since a modseq, FETCH data, flag changes, copy and move. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "xalloc.h"

#define STORE_FLAGS_ALL                                                        \
	(STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | STORE_FLAG_FLAGGED |          \
	 STORE_FLAG_DELETED | STORE_FLAG_DRAFT)

static const char sql_box[] =
    "SELECT uidvalidity, uidnext, highestmodseq FROM mailboxes WHERE id = ?1";
static const char sql_box_account[] =
    "SELECT account_id, uidvalidity FROM mailboxes WHERE id = ?1";
static const char sql_modseq_next[] =
    "UPDATE mailboxes SET highestmodseq = highestmodseq + 1 WHERE id = ?1"
    " RETURNING highestmodseq";

#define SQL_MSG_COLS                                                           \
	"SELECT mm.uid, mm.flags, mm.modseq, mm.keywords FROM"                 \
	" mailbox_messages mm"
/* The primary key in order: one scan. */
static const char sql_snapshot[] =
    SQL_MSG_COLS " WHERE mm.mailbox_id = ?1 ORDER BY mm.uid";
/* RFC 7162 3.1.4.1 / 3.2.5: a range of the modseq indexes, whatever
   the planner would guess for a mailbox it has no statistics of. */
static const char sql_changed[] =
    SQL_MSG_COLS " INDEXED BY mailbox_messages_modseq WHERE mm.mailbox_id ="
		 " ?1 AND mm.modseq > ?2 ORDER BY mm.uid";
static const char sql_expunged[] =
    "SELECT uid FROM expunged INDEXED BY expunged_modseq WHERE mailbox_id ="
    " ?1 AND modseq > ?2 ORDER BY uid";

/* A set of UIDs is read in one query: a primary key range from the
   first to the last when the set is dense (rows not asked for are
   skipped while reading), else a lookup per UID of a JSON array. */
#define SQL_UIDS_RANGE " AND mm.uid BETWEEN ?2 AND ?3 ORDER BY mm.uid"
#define SQL_UIDS_LIST                                                          \
	" AND mm.uid IN (SELECT value FROM json_each(?2)) ORDER BY mm.uid"
#define SQL_FETCH_COLS                                                         \
	"SELECT mm.uid, mm.flags, mm.modseq, mm.keywords, mm.internaldate,"    \
	" m.size, m.blob, m.envelope, m.bodystructure, m.body, m.hdr_subject," \
	" m.hdr_from, m.hdr_to, m.hdr_cc, m.hdr_message_id, m.hdr_date FROM"   \
	" mailbox_messages mm JOIN messages m ON m.id = mm.message_id WHERE"   \
	" mm.mailbox_id = ?1"
#define SQL_COPY_COLS                                                          \
	"SELECT mm.uid, mm.flags, mm.modseq, mm.keywords, mm.message_id,"      \
	" mm.internaldate FROM mailbox_messages mm WHERE mm.mailbox_id = ?1"
static const char *const sql_fetch[2] = {
    SQL_FETCH_COLS SQL_UIDS_RANGE,
    SQL_FETCH_COLS SQL_UIDS_LIST,
};
static const char *const sql_flags_read[2] = {
    SQL_MSG_COLS " WHERE mm.mailbox_id = ?1" SQL_UIDS_RANGE,
    SQL_MSG_COLS " WHERE mm.mailbox_id = ?1" SQL_UIDS_LIST,
};
static const char *const sql_copy_read[2] = {
    SQL_COPY_COLS SQL_UIDS_RANGE,
    SQL_COPY_COLS SQL_UIDS_LIST,
};
static const char sql_flags_write[] =
    "UPDATE mailbox_messages SET flags = ?3, keywords = ?4, modseq = ?5"
    " WHERE mailbox_id = ?1 AND uid = ?2";
/* n new UIDs at once (RFC 9051 2.3.1.1: never reused, 32-bit). */
static const char sql_uids_take[] =
    "UPDATE mailboxes SET uidnext = uidnext + ?2, highestmodseq ="
    " highestmodseq + 1 WHERE id = ?1 AND uidnext + ?2 <= 4294967296"
    " RETURNING uidnext - ?2, highestmodseq";
static const char sql_copy_insert[] =
    "INSERT INTO mailbox_messages(mailbox_id, uid, message_id, flags,"
    " keywords, modseq, internaldate) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/* ---- keyword lists ---- */

/* A growing single-spaced keyword list. */
struct store_kw {
	char *s;
	size_t len, cap;
};

/* Is the keyword k (klen octets) in the list (ASCII case ignored)? */
static bool
store_kw_has(const char *list, const char *k, size_t klen)
{
	const char *p = list, *e;

	while (p != NULL && *p != '\0') {
		e = strchr(p, ' ');
		if (e == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == klen && strncasecmp(p, k, klen) == 0)
			return true;
		p = *e == ' ' ? e + 1 : e;
	}
	return false;
}

static void
store_kw_add(struct store_kw *kw, const char *k, size_t klen)
{
	if (klen == 0 || (kw->s != NULL && store_kw_has(kw->s, k, klen)))
		return;
	if (kw->len + klen + 2 > kw->cap) {
		kw->cap = (kw->len + klen + 2) * 2;
		kw->s = xrealloc(kw->s, kw->cap);
	}
	if (kw->len > 0)
		kw->s[kw->len++] = ' ';
	memcpy(kw->s + kw->len, k, klen);
	kw->len += klen;
	kw->s[kw->len] = '\0';
}

/* Add each keyword of a space-separated list, or, with skip, each one
   that is not in skip. */
static void
store_kw_add_list(struct store_kw *kw, const char *list, const char *skip)
{
	const char *p = list, *e;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		e = p + strcspn(p, " ");
		if (skip == NULL || !store_kw_has(skip, p, (size_t)(e - p)))
			store_kw_add(kw, p, (size_t)(e - p));
		p = e;
	}
}

/* The list, or NULL when empty (kw is spent). */
static char *
store_kw_take(struct store_kw *kw)
{
	if (kw->len == 0) {
		free(kw->s);
		return NULL;
	}
	return kw->s;
}

char *
store_keywords_norm(const char *list)
{
	struct store_kw kw = {0};

	store_kw_add_list(&kw, list, NULL);
	return store_kw_take(&kw);
}

/* Do two lists without duplicates hold the same keywords (case
   ignored)?  Each must hold no keyword the other lacks. */
static bool
store_kw_same(const char *a, const char *b)
{
	struct store_kw x = {0}, y = {0};
	bool same;

	store_kw_add_list(&x, a, b);
	store_kw_add_list(&y, b, a);
	same = x.len == 0 && y.len == 0;
	free(x.s);
	free(y.s);
	return same;
}

/* ---- reading ---- */

void
store_msg_list_free(struct store_msg_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->m[i].keywords);
	free(l->m);
	memset(l, 0, sizeof(*l));
}

void
store_msg_changes_free(struct store_msg_changes *c)
{
	store_msg_list_free(&c->l);
	free(c->expunged);
	memset(c, 0, sizeof(*c));
}

static char *
store_msg_col_dup(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v != NULL && *v != '\0' ? xstrdup(v) : NULL;
}

/* Columns 0..3 of SQL_MSG_COLS (and of the statements that start with
   the same four). */
static void
store_msg_row(sqlite3_stmt *st, struct store_msg *m)
{
	m->uid = (uint32_t)sqlite3_column_int64(st, 0);
	m->flags = (uint32_t)sqlite3_column_int64(st, 1);
	m->modseq = (uint64_t)sqlite3_column_int64(st, 2);
	m->keywords = store_msg_col_dup(st, 3);
}

/* The mailbox's uidvalidity, uidnext and highestmodseq into l.
   1, 0 gone, -1 error. */
static int
store_msg_box(struct store_db *db, int64_t mailbox_id, struct store_msg_list *l)
{
	int64_t v[3];
	int rc = store_db_ints(db, sql_box, &mailbox_id, 1, v, 3);

	if (rc == 1) {
		l->uidvalidity = (uint32_t)v[0];
		l->uidnext = (uint32_t)v[1];
		l->highestmodseq = (uint64_t)v[2];
	}
	return rc;
}

/* Append every row of sql (?1 mailbox_id, ?2 since) to l->m.  0 or -1. */
static int
store_msg_rows(struct store_db *db, const char *sql, int64_t mailbox_id,
	       uint64_t since, struct store_msg_list *l)
{
	sqlite3_stmt *st = store_db_stmt(db, sql);
	size_t cap = l->n;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, (int64_t)since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (l->n == cap) {
			cap = cap < 64 ? 64 : cap * 2;
			l->m = xrealloc(l->m, cap * sizeof(*l->m));
		}
		store_msg_row(st, &l->m[l->n++]);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_msg_snapshot(struct store *s, int64_t mailbox_id,
		   struct store_msg_list *l, const char **error_r)
{
	struct store_db *db;
	int rc;

	memset(l, 0, sizeof(*l));
	if ((db = store_db_acquire_tx(s, false, error_r)) == NULL)
		return -1;
	rc = store_msg_box(db, mailbox_id, l);
	if (rc == 1 && store_msg_rows(db, sql_snapshot, mailbox_id, 0, l) < 0)
		rc = -1;
	if (rc < 0)
		store_err_db(error_r, db, "snapshot");
	store_db_release(s, db); /* ends the read transaction */
	if (rc != 1)
		store_msg_list_free(l);
	return rc;
}

/* The expunged UIDs of mailbox_id with a modseq above since.  0, -1. */
static int
store_msg_expunged(struct store_db *db, int64_t mailbox_id, uint64_t since,
		   struct store_msg_changes *c)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_expunged);
	size_t cap = 0;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, (int64_t)since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (c->n_expunged == cap) {
			cap = cap < 64 ? 64 : cap * 2;
			c->expunged =
			    xrealloc(c->expunged, cap * sizeof(*c->expunged));
		}
		c->expunged[c->n_expunged++] =
		    (uint32_t)sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_msg_changes(struct store *s, int64_t mailbox_id, uint64_t since,
		  struct store_msg_changes *c, const char **error_r)
{
	struct store_db *db;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((db = store_db_acquire_tx(s, false, error_r)) == NULL)
		return -1;
	rc = store_msg_box(db, mailbox_id, &c->l);
	if (rc == 1 &&
	    (store_msg_rows(db, sql_changed, mailbox_id, since, &c->l) < 0 ||
	     store_msg_expunged(db, mailbox_id, since, c) < 0))
		rc = -1;
	if (rc < 0)
		store_err_db(error_r, db, "changes");
	store_db_release(s, db);
	if (rc != 1)
		store_msg_changes_free(c);
	return rc;
}

/* ---- sets of UIDs ---- */

/* Reading the rows of a UID set: the statement, and where the merge
   with the (ascending) UIDs stands. */
struct store_msg_sel {
	sqlite3_stmt *st;
	const uint32_t *uids;
	size_t n, next;
	char *json; /* bound to ?2 of the list form, freed by _end */
};

/* Prepare sql[0] (range) or sql[1] (list) for the n UIDs.  0 or -1. */
static int
store_msg_sel_start(struct store_db *db, const char *const sql[2],
		    int64_t mailbox_id, const uint32_t *uids, size_t n,
		    struct store_msg_sel *sel)
{
	bool dense = n > 0 && (uint64_t)(uids[n - 1] - uids[0]) < 4 * (uint64_t)n;
	size_t i, len = 0;

	memset(sel, 0, sizeof(*sel));
	sel->uids = uids;
	sel->n = n;
	if ((sel->st = store_db_stmt(db, sql[dense ? 0 : 1])) == NULL)
		return -1;
	sqlite3_bind_int64(sel->st, 1, mailbox_id);
	if (dense) {
		sqlite3_bind_int64(sel->st, 2, uids[0]);
		sqlite3_bind_int64(sel->st, 3, uids[n - 1]);
		return 0;
	}
	sel->json = xmalloc(n * 11 + 3);
	sel->json[len++] = '[';
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(sel->json + len, i > 0 ? ",%u" : "%u",
				       uids[i]);
	sel->json[len++] = ']';
	sel->json[len] = '\0';
	sqlite3_bind_text(sel->st, 2, sel->json, (int)len, SQLITE_STATIC);
	return 0;
}

/* Step to the next row that is one of the UIDs: SQLITE_ROW, SQLITE_DONE
   or an error code. */
static int
store_msg_sel_next(struct store_msg_sel *sel)
{
	uint32_t uid;
	int rc;

	while ((rc = sqlite3_step(sel->st)) == SQLITE_ROW) {
		uid = (uint32_t)sqlite3_column_int64(sel->st, 0);
		while (sel->next < sel->n && sel->uids[sel->next] < uid)
			sel->next++;
		if (sel->next < sel->n && sel->uids[sel->next] == uid)
			return SQLITE_ROW;
	}
	return rc;
}

static void
store_msg_sel_end(struct store_msg_sel *sel)
{
	if (sel->st != NULL)
		sqlite3_reset(sel->st);
	free(sel->json);
	sel->json = NULL;
}

/* ---- FETCH data ---- */

void
store_msg_data_free(struct store_msg_data *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(d[i].keywords);
		free(d[i].blob_path);
		free(d[i].envelope);
		free(d[i].bodystructure);
		free(d[i].body);
		free(d[i].hdr_subject);
		free(d[i].hdr_from);
		free(d[i].hdr_to);
		free(d[i].hdr_cc);
		free(d[i].hdr_message_id);
	}
	free(d);
}

static void
store_msg_data_row(struct store *s, sqlite3_stmt *st, struct store_msg_data *d)
{
	struct store_msg m;

	store_msg_row(st, &m);
	d->uid = m.uid;
	d->flags = m.flags;
	d->modseq = m.modseq;
	d->keywords = m.keywords;
	d->internaldate = sqlite3_column_int64(st, 4);
	d->size = (uint64_t)sqlite3_column_int64(st, 5);
	d->blob_path = xasprintf("%s/%s", s->blob_dir,
				 (const char *)sqlite3_column_text(st, 6));
	d->envelope = store_msg_col_dup(st, 7);
	d->bodystructure = store_msg_col_dup(st, 8);
	d->body = store_msg_col_dup(st, 9);
	d->hdr_subject = store_msg_col_dup(st, 10);
	d->hdr_from = store_msg_col_dup(st, 11);
	d->hdr_to = store_msg_col_dup(st, 12);
	d->hdr_cc = store_msg_col_dup(st, 13);
	d->hdr_message_id = store_msg_col_dup(st, 14);
	d->hdr_date = sqlite3_column_int64(st, 15);
}

int
store_msg_fetch(struct store *s, int64_t mailbox_id, const uint32_t *uids,
		size_t n, struct store_msg_data **d_r, size_t *n_r,
		const char **error_r)
{
	struct store_msg_data *d = NULL;
	struct store_msg_sel sel;
	struct store_db *db;
	size_t k = 0, cap = 0;
	int rc;

	*d_r = NULL;
	*n_r = 0;
	if (n == 0)
		return 0;
	if ((db = store_db_acquire(s, error_r)) == NULL)
		return -1;
	/* One statement: one consistent read. */
	rc = store_msg_sel_start(db, sql_fetch, mailbox_id, uids, n, &sel);
	while (rc == 0 && (rc = store_msg_sel_next(&sel)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap < 16 ? 16 : cap * 2;
			cap = cap > n ? n : cap;
			d = xrealloc(d, cap * sizeof(*d));
		}
		memset(&d[k], 0, sizeof(d[k]));
		store_msg_data_row(s, sel.st, &d[k++]);
		rc = 0;
	}
	store_msg_sel_end(&sel);
	if (rc != SQLITE_DONE) {
		store_err_db(error_r, db, "fetch");
		store_db_release(s, db);
		store_msg_data_free(d, k);
		return -1;
	}
	store_db_release(s, db);
	*d_r = d;
	*n_r = k;
	return 0;
}

/* ---- flags ---- */

void
store_flag_results_free(struct store_flag_result *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(r[i].keywords);
	free(r);
}

int64_t
store_modseq_next(struct store_db *db, int64_t mailbox_id)
{
	int64_t modseq = 0;
	int rc = store_db_ints(db, sql_modseq_next, &mailbox_id, 1, &modseq, 1);

	return rc == 1 ? modseq : rc;
}

/* The new flags and keywords of r under u; r->changed tells whether
   they differ (r->keywords is replaced then). */
static void
store_msg_apply(const struct store_flag_update *u, struct store_flag_result *r)
{
	struct store_kw kw = {0};
	uint32_t flags = u->flags & STORE_FLAGS_ALL;
	size_t i;
	char *list;

	if (u->mode == 0) {
		for (i = 0; i < u->n_keywords; i++)
			store_kw_add(&kw, u->keywords[i],
				     strlen(u->keywords[i]));
	} else if (u->mode > 0) {
		flags |= r->flags;
		store_kw_add_list(&kw, r->keywords, NULL);
		for (i = 0; i < u->n_keywords; i++)
			store_kw_add(&kw, u->keywords[i],
				     strlen(u->keywords[i]));
	} else {
		struct store_kw drop = {0};

		flags = r->flags & ~flags;
		for (i = 0; i < u->n_keywords; i++)
			store_kw_add(&drop, u->keywords[i],
				     strlen(u->keywords[i]));
		store_kw_add_list(&kw, r->keywords, drop.s);
		free(drop.s);
	}
	list = store_kw_take(&kw);
	r->changed = flags != r->flags || !store_kw_same(list, r->keywords);
	if (!r->changed) {
		free(list);
		return;
	}
	r->flags = flags;
	free(r->keywords);
	r->keywords = list;
}

/* Write r's flags and keywords with modseq.  0 or -1. */
static int
store_msg_flags_write(struct store_db *db, int64_t mailbox_id,
		      const struct store_flag_result *r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_flags_write);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, r->uid);
	sqlite3_bind_int64(st, 3, r->flags);
	store_db_bind_text(st, 4, r->keywords);
	sqlite3_bind_int64(st, 5, (int64_t)r->modseq);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Read the rows of the n UIDs (ascending) with sql[] into a malloc'd
   array of results (uid, flags, modseq, keywords), calling extra(st,
   i, arg) per row when given.  Returns the count or -1. */
static ptrdiff_t
store_msg_read_set(struct store_db *db, const char *const sql[2],
		   int64_t mailbox_id, const uint32_t *uids, size_t n,
		   struct store_flag_result **r_r,
		   void (*extra)(sqlite3_stmt *st, size_t i, void *arg),
		   void *arg)
{
	struct store_flag_result *r = xcalloc(n, sizeof(*r));
	struct store_msg_sel sel;
	struct store_msg m;
	size_t k = 0;
	int rc;

	rc = store_msg_sel_start(db, sql, mailbox_id, uids, n, &sel);
	while (rc == 0 && (rc = store_msg_sel_next(&sel)) == SQLITE_ROW) {
		store_msg_row(sel.st, &m);
		r[k].uid = m.uid;
		r[k].flags = m.flags;
		r[k].modseq = m.modseq;
		r[k].keywords = m.keywords;
		if (extra != NULL)
			extra(sel.st, k, arg);
		k++;
		rc = 0;
	}
	store_msg_sel_end(&sel);
	if (rc != SQLITE_DONE) {
		store_flag_results_free(r, k);
		*r_r = NULL;
		return -1;
	}
	*r_r = r;
	return (ptrdiff_t)k;
}

/* Apply u to mailbox_id inside db's write transaction: *r_r and *k_r
   as store_msg_flags() returns them, *changed_r whether a row was
   written.  0, or -1 (results freed; the caller rolls back). */
static int
store_msg_flags_tx(struct store_db *db, int64_t mailbox_id,
		   const struct store_flag_update *u,
		   struct store_flag_result **r_r, size_t *k_r,
		   bool *changed_r)
{
	struct store_flag_result *r = NULL;
	int64_t modseq = 0;
	ptrdiff_t k;
	size_t i;

	*r_r = NULL;
	*k_r = 0;
	*changed_r = false;
	/* All rows first, then the writes: no update under a live scan. */
	k = store_msg_read_set(db, sql_flags_read, mailbox_id, u->uids, u->n,
			       &r, NULL, NULL);
	for (i = 0; k > 0 && i < (size_t)k; i++) {
		/* RFC 7162 3.1.3: UNCHANGEDSINCE fails a message whose
		   modseq is above it, whether the STORE would change it or
		   not. */
		if (u->unchangedsince_given && r[i].modseq > u->unchangedsince) {
			r[i].modified = true;
			continue;
		}
		store_msg_apply(u, &r[i]);
		if (!r[i].changed)
			continue;
		/* One new modseq for every message this STORE changes. */
		if (modseq == 0 &&
		    (modseq = store_modseq_next(db, mailbox_id)) <= 0)
			break;
		r[i].modseq = (uint64_t)modseq;
		if (store_msg_flags_write(db, mailbox_id, &r[i]) < 0)
			break;
	}
	if (k < 0 || modseq < 0 || i < (size_t)k) {
		store_flag_results_free(r, k < 0 ? 0 : (size_t)k);
		return -1;
	}
	*r_r = r;
	*k_r = (size_t)k;
	*changed_r = modseq != 0;
	return 0;
}

/* STORE from every session shares commits (store_combine.c). */
struct store_flags_arg {
	int64_t mailbox_id;
	const struct store_flag_update *u;
	struct store_flag_result *r;
	size_t n;
};

static int
store_msg_flags_run(struct store_db *db, void *arg,
		    struct store_combine_out *out, const char **error_r)
{
	struct store_flags_arg *a = arg;
	bool changed = false;

	if (store_msg_flags_tx(db, a->mailbox_id, a->u, &a->r, &a->n,
			       &changed) < 0)
		return store_err_db(error_r, db, "store flags");
	if (changed)
		store_combine_changed(out, a->mailbox_id);
	return 0;
}

static void
store_msg_flags_undo(void *arg)
{
	struct store_flags_arg *a = arg;

	store_flag_results_free(a->r, a->n);
	a->r = NULL;
	a->n = 0;
}

static const struct store_combine_op store_msg_flags_op = {
    store_msg_flags_run, store_msg_flags_undo};

int
store_msg_flags(struct store *s, int64_t mailbox_id,
		const struct store_flag_update *u, struct store_flag_result **r_r,
		size_t *n_r, const char **error_r)
{
	struct store_flags_arg a = {mailbox_id, u, NULL, 0};

	*r_r = NULL;
	*n_r = 0;
	if (u->n == 0)
		return 0;
	if (store_combine(s, &store_msg_flags_op, &a, error_r) < 0)
		return -1;
	*r_r = a.r;
	*n_r = a.n;
	return 0;
}

/* An asynchronous STORE: the arguments live with the request. */
struct store_flags_async {
	struct store_flags_arg a;
	struct store_flag_result **r_r;
	size_t *n_r;
	store_write_done_fn *done;
	void *arg;
};

static void
store_msg_flags_complete(void *arg, int rc, const char *error)
{
	struct store_flags_async *x = arg;

	if (rc >= 0) {
		*x->r_r = x->a.r;
		*x->n_r = x->a.n;
	}
	x->done(x->arg, rc < 0 ? -1 : 0, error);
	free(x);
}

void
store_msg_flags_submit(struct store *s, int64_t mailbox_id,
		       const struct store_flag_update *u,
		       struct store_flag_result **r_r, size_t *n_r,
		       store_write_done_fn *done, void *arg)
{
	struct store_flags_async *x = xzalloc(sizeof(*x));

	*r_r = NULL;
	*n_r = 0;
	x->a.mailbox_id = mailbox_id;
	x->a.u = u;
	x->r_r = r_r;
	x->n_r = n_r;
	x->done = done;
	x->arg = arg;
	store_combine_submit(s, &store_msg_flags_op, &x->a,
			     store_msg_flags_complete, x);
}

/* ---- copy and move ---- */

/* The rest of a source row of SQL_COPY_COLS. */
struct store_msg_src {
	int64_t message_id, internaldate;
};

static void
store_msg_copy_row(sqlite3_stmt *st, size_t i, void *arg)
{
	struct store_msg_src *src = arg;

	src[i].message_id = sqlite3_column_int64(st, 4);
	src[i].internaldate = sqlite3_column_int64(st, 5);
}

/* Insert the k copies into dst with consecutive new UIDs; fills
   dst_uids.  0, -1, or -2 when dst has no k UIDs left. */
static int
store_msg_copy_rows(struct store_db *db, int64_t dst,
		    const struct store_flag_result *r,
		    const struct store_msg_src *src, size_t k,
		    uint32_t *dst_uids)
{
	int64_t args[2] = {dst, (int64_t)k}, v[2]; /* first UID, modseq */
	sqlite3_stmt *st;
	size_t i;
	int rc;

	rc = store_db_ints(db, sql_uids_take, args, 2, v, 2);
	if (rc != 1)
		return rc == 0 ? -2 : -1;
	for (i = 0; i < k; i++) {
		if ((st = store_db_stmt(db, sql_copy_insert)) == NULL)
			return -1;
		dst_uids[i] = (uint32_t)(v[0] + (int64_t)i);
		sqlite3_bind_int64(st, 1, dst);
		sqlite3_bind_int64(st, 2, dst_uids[i]);
		sqlite3_bind_int64(st, 3, src[i].message_id);
		sqlite3_bind_int64(st, 4, r[i].flags);
		store_db_bind_text(st, 5, r[i].keywords);
		sqlite3_bind_int64(st, 6, v[1]);
		sqlite3_bind_int64(st, 7, src[i].internaldate);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/* COPY/MOVE from every session shares commits (store_combine.c). */
struct store_copy_arg {
	int64_t src, dst;
	const uint32_t *uids;
	size_t n;
	bool move;
	/* results */
	uint32_t *src_uids, *dst_uids, uidvalidity;
	size_t k;
};

static void
store_msg_copy_undo(void *arg)
{
	struct store_copy_arg *a = arg;

	free(a->src_uids);
	free(a->dst_uids);
	a->src_uids = a->dst_uids = NULL;
	a->k = 0;
}

/* 1 copied, 0 dst does not exist, -1 error. */
static int
store_msg_copy_run(struct store_db *db, void *arg,
		   struct store_combine_out *out, const char **error_r)
{
	struct store_copy_arg *a = arg;
	struct store_flag_result *r = NULL;
	struct store_msg_src *src = NULL;
	int64_t dst_box[2], src_box[2]; /* account_id, uidvalidity */
	ptrdiff_t k = 0;
	size_t i;
	int rc;

	rc = store_db_ints(db, sql_box_account, &a->dst, 1, dst_box, 2);
	if (rc != 1)
		return rc < 0 ? store_err_db(error_r, db, "copy") : 0;
	a->uidvalidity = (uint32_t)dst_box[1];
	rc = store_db_ints(db, sql_box_account, &a->src, 1, src_box, 2);
	if (rc < 0)
		return store_err_db(error_r, db, "copy");
	if (rc == 1 && src_box[0] != dst_box[0])
		return store_err(error_r, "copy between accounts");
	if (a->n == 0)
		return 1; /* nothing to copy */
	src = xcalloc(a->n, sizeof(*src));
	k = store_msg_read_set(db, sql_copy_read, a->src, a->uids, a->n, &r,
			       store_msg_copy_row, src);
	rc = k < 0 ? -1 : 0;
	if (k > 0) {
		a->k = (size_t)k;
		a->src_uids = xcalloc(a->k, sizeof(*a->src_uids));
		a->dst_uids = xcalloc(a->k, sizeof(*a->dst_uids));
		for (i = 0; i < a->k; i++)
			a->src_uids[i] = r[i].uid;
		rc = store_msg_copy_rows(db, a->dst, r, src, a->k, a->dst_uids);
		if (rc == 0 && a->move &&
		    store_expunge_rows(db, a->src, a->src_uids, a->k) != k)
			rc = -1;
	}
	store_flag_results_free(r, k > 0 ? (size_t)k : 0);
	free(src);
	if (rc == -2)
		return store_err(error_r, "no UIDs left in the mailbox");
	if (rc < 0)
		return store_err_db(error_r, db, "copy");
	if (a->k > 0) {
		store_combine_changed(out, a->dst);
		if (a->move)
			store_combine_changed(out, a->src);
	}
	return 1;
}

static const struct store_combine_op store_msg_copy_op = {
    store_msg_copy_run, store_msg_copy_undo};

int
store_msg_copy(struct store *s, int64_t src_mailbox_id, const uint32_t *uids,
	       size_t n, int64_t dst_mailbox_id, bool move,
	       uint32_t **src_uids_r, uint32_t **dst_uids_r, size_t *n_r,
	       uint32_t *dst_uidvalidity_r, const char **error_r)
{
	struct store_copy_arg a = {
	    .src = src_mailbox_id, .dst = dst_mailbox_id, .uids = uids,
	    .n = n, .move = move};
	int rc;

	*src_uids_r = *dst_uids_r = NULL;
	*n_r = 0;
	*dst_uidvalidity_r = 0;
	rc = store_combine(s, &store_msg_copy_op, &a, error_r);
	if (rc <= 0)
		return rc;
	*src_uids_r = a.src_uids;
	*dst_uids_r = a.dst_uids;
	*n_r = a.k;
	*dst_uidvalidity_r = a.uidvalidity;
	return 1;
}

/* An asynchronous COPY/MOVE: the arguments live with the request. */
struct store_copy_async {
	struct store_copy_arg a;
	uint32_t **src_uids_r, **dst_uids_r, *dst_uidvalidity_r;
	size_t *n_r;
	store_write_done_fn *done;
	void *arg;
};

static void
store_msg_copy_complete(void *arg, int rc, const char *error)
{
	struct store_copy_async *x = arg;

	if (rc > 0) {
		*x->src_uids_r = x->a.src_uids;
		*x->dst_uids_r = x->a.dst_uids;
		*x->n_r = x->a.k;
		*x->dst_uidvalidity_r = x->a.uidvalidity;
	}
	x->done(x->arg, rc, error);
	free(x);
}

void
store_msg_copy_submit(struct store *s, int64_t src_mailbox_id,
		      const uint32_t *uids, size_t n, int64_t dst_mailbox_id,
		      bool move, uint32_t **src_uids_r, uint32_t **dst_uids_r,
		      size_t *n_r, uint32_t *dst_uidvalidity_r,
		      store_write_done_fn *done, void *arg)
{
	struct store_copy_async *x = xzalloc(sizeof(*x));

	*src_uids_r = *dst_uids_r = NULL;
	*n_r = 0;
	*dst_uidvalidity_r = 0;
	x->a.src = src_mailbox_id;
	x->a.dst = dst_mailbox_id;
	x->a.uids = uids;
	x->a.n = n;
	x->a.move = move;
	x->src_uids_r = src_uids_r;
	x->dst_uids_r = dst_uids_r;
	x->n_r = n_r;
	x->dst_uidvalidity_r = dst_uidvalidity_r;
	x->done = done;
	x->arg = arg;
	store_combine_submit(s, &store_msg_copy_op, &x->a,
			     store_msg_copy_complete, x);
}

/* store_jmap_query.c: JMAP listings that must stay fast at 100,000
   messages a mailbox: the mailboxes with their RFC 8621 2 counts, the
   Emails of a mailbox in receivedAt order (Email/query), and the Emails
   of Threads (Thread/get).  Each reads an index once (schema v6:
   mailbox_messages.thread_id and mailbox_messages_date) and aggregates
   in C, never loading the account's Emails. */
/* SPDX-License-Identifier: MIT */
#include "store/store_jmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "xalloc.h"

static const char sql_state[] =
    "SELECT jmap_modseq FROM accounts WHERE id = ?1";
static const char sql_mboxes[] =
    "SELECT b.id, b.name, b.special_use, EXISTS(SELECT 1 FROM subscriptions"
    " s WHERE s.account_id = b.account_id AND s.name = b.name)"
    " FROM mailboxes b WHERE b.account_id = ?1 ORDER BY b.name";
/* Every copy of mailbox ?2 of account ?1: its Email, thread (0: not
   yet threaded) and whether the Email is unread: no copy in the account
   has \Seen (1) or \Draft (16); the other copies are looked at only
   for a copy that has neither. */
static const char sql_mbox_copies[] =
    "SELECT mm.message_id, mm.thread_id, CASE WHEN mm.flags & 17 THEN 0"
    " ELSE NOT EXISTS(SELECT 1 FROM mailbox_messages o JOIN mailboxes x"
    " ON x.id = o.mailbox_id WHERE o.message_id = mm.message_id AND"
    " x.account_id = ?1 AND o.flags & 17) END"
    " FROM mailbox_messages mm WHERE mm.mailbox_id = ?2";
static const char sql_box_owner[] =
    "SELECT account_id FROM mailboxes WHERE id = ?1";
/* A mailbox's copies by internal date, ties by Email id the same way
   (from mailbox_messages_date alone). */
static const char sql_box_asc[] =
    "SELECT message_id, thread_id FROM mailbox_messages INDEXED BY"
    " mailbox_messages_date WHERE mailbox_id = ?1"
    " ORDER BY internaldate, message_id";
static const char sql_box_desc[] =
    "SELECT message_id, thread_id FROM mailbox_messages INDEXED BY"
    " mailbox_messages_date WHERE mailbox_id = ?1"
    " ORDER BY internaldate DESC, message_id DESC";
/* The Emails of the asked Threads (?2 JSON array; sql_threads_all:
   every Thread of the account) with their receivedAt, the earliest
   internal date of their copies in the account. */
#define STORE_JMAP_THREAD_COLS                                                 \
	"SELECT t.thread_id, t.message_id, (SELECT min(mm.internaldate) FROM"  \
	" mailbox_messages mm JOIN mailboxes b ON b.id = mm.mailbox_id WHERE"  \
	" mm.message_id = t.message_id AND b.account_id = ?1) AS r"            \
	" FROM jmap_threads t"
static const char sql_threads[] =
    STORE_JMAP_THREAD_COLS " WHERE t.account_id = ?1 AND t.thread_id IN"
    " (SELECT value FROM json_each(?2)) ORDER BY t.thread_id, r,"
    " t.message_id";
static const char sql_threads_all[] =
    STORE_JMAP_THREAD_COLS " WHERE t.account_id = ?1"
    " ORDER BY t.thread_id, r, t.message_id";
static const char sql_thread_count[] =
    "SELECT count(DISTINCT thread_id) FROM jmap_threads WHERE"
    " account_id = ?1";

/* ---- a set of non-zero int64 (open addressing, linear probing) ---- */

struct store_jmap_set {
	int64_t *v;
	size_t cap, n;
};

static void
store_jmap_set_clear(struct store_jmap_set *set)
{
	if (set->v != NULL)
		memset(set->v, 0, set->cap * sizeof(*set->v));
	set->n = 0;
}

/* Add x (non-zero).  Returns true when it was not in the set. */
static bool
store_jmap_set_add(struct store_jmap_set *set, int64_t x)
{
	size_t i;

	if (2 * (set->n + 1) > set->cap) {
		struct store_jmap_set big = {0};

		big.cap = set->cap ? set->cap * 2 : 1024;
		big.v = xcalloc(big.cap, sizeof(*big.v));
		for (i = 0; i < set->cap; i++)
			if (set->v[i] != 0)
				store_jmap_set_add(&big, set->v[i]);
		free(set->v);
		*set = big;
	}
	/* Fibonacci hashing: the ids are small consecutive numbers */
	i = (size_t)(((uint64_t)x * 0x9e3779b97f4a7c15ull) >> 20) &
	    (set->cap - 1);
	while (set->v[i] != 0) {
		if (set->v[i] == x)
			return false;
		i = (i + 1) & (set->cap - 1);
	}
	set->v[i] = x;
	set->n++;
	return true;
}

/* ---- mailboxes ---- */

void
store_jmap_mboxes_free(struct store_jmap_mbox *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].special_use);
	}
	free(list);
}

static char *
store_jmap_q_strdup(sqlite3_stmt *st, int col)
{
	const char *v = (const char *)sqlite3_column_text(st, col);

	return v != NULL ? xstrdup(v) : NULL;
}

/* The counts of mailbox m from sql_mbox_copies: an Email counts once,
   an Email not yet threaded as a Thread of its own.  The sets are
   scratch.  0 or -1. */
static int
store_jmap_mbox_counts(struct store_db *db, int64_t account_id,
		       struct store_jmap_mbox *m, struct store_jmap_set sets[3])
{
	sqlite3_stmt *st = store_db_stmt(db, sql_mbox_copies);
	size_t i;
	int rc;

	if (st == NULL)
		return -1;
	for (i = 0; i < 3; i++)
		store_jmap_set_clear(&sets[i]);
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_int64(st, 2, m->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int64_t thread = sqlite3_column_int64(st, 1);

		if (!store_jmap_set_add(&sets[0], id))
			continue;
		if (thread == 0)
			thread = -id;
		m->total++;
		m->threads += store_jmap_set_add(&sets[1], thread);
		if (sqlite3_column_int(st, 2) != 0) {
			m->unread++;
			m->unread_threads += store_jmap_set_add(&sets[2], thread);
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The counts of m remembered for account_id at state: true with them
   filled in, or false.  Any change in the account moves its state
   (store_jmap.c), so a remembered count is never stale; counting a
   100,000-message INBOX takes tens of ms, a webmail asks at every
   load and after every push. */
static bool
store_jmap_count_get(struct store *s, int64_t account_id, uint64_t state,
		     struct store_jmap_mbox *m)
{
	struct store_jmap_count *c =
	    &s->count_cache[(uint64_t)m->id % STORE_JMAP_COUNT_CACHE];
	bool hit;

	pthread_mutex_lock(&s->count_mu);
	hit = c->account_id == account_id && c->mailbox_id == m->id &&
	      c->state == state;
	if (hit) {
		m->total = c->total;
		m->unread = c->unread;
		m->threads = c->threads;
		m->unread_threads = c->unread_threads;
	}
	pthread_mutex_unlock(&s->count_mu);
	return hit;
}

static void
store_jmap_count_put(struct store *s, int64_t account_id, uint64_t state,
		     const struct store_jmap_mbox *m)
{
	struct store_jmap_count *c =
	    &s->count_cache[(uint64_t)m->id % STORE_JMAP_COUNT_CACHE];

	pthread_mutex_lock(&s->count_mu);
	/* A newer state wins the slot; an older one (a slow reader) does
	   not push it out. */
	if (c->mailbox_id != m->id || c->account_id != account_id ||
	    c->state <= state) {
		c->account_id = account_id;
		c->mailbox_id = m->id;
		c->state = state;
		c->total = m->total;
		c->unread = m->unread;
		c->threads = m->threads;
		c->unread_threads = m->unread_threads;
	}
	pthread_mutex_unlock(&s->count_mu);
}

int
store_jmap_mboxes(struct store *s, int64_t account_id,
		  struct store_jmap_mbox **list_r, size_t *n_r,
		  uint64_t *state_r, const char **error_r)
{
	struct store_jmap_set sets[3] = {{0}, {0}, {0}};
	struct store_jmap_mbox *l = NULL;
	struct store_db *db;
	sqlite3_stmt *st;
	int64_t state = 0;
	size_t n = 0, i;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	if ((db = store_db_acquire_tx(s, false, error_r)) == NULL)
		return -1;
	if (store_db_ints(db, sql_state, &account_id, 1, &state, 1) < 0 ||
	    (st = store_db_stmt(db, sql_mboxes)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, account_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		l = xrealloc(l, (n + 1) * sizeof(*l));
		memset(&l[n], 0, sizeof(*l));
		l[n].id = sqlite3_column_int64(st, 0);
		l[n].name = store_jmap_q_strdup(st, 1);
		l[n].special_use = store_jmap_q_strdup(st, 2);
		l[n].subscribed = sqlite3_column_int(st, 3) != 0;
		n++;
	}
	sqlite3_reset(st);
	for (i = 0; rc == SQLITE_DONE && i < n; i++)
		if (!store_jmap_count_get(s, account_id, (uint64_t)state,
					  &l[i])) {
			if (store_jmap_mbox_counts(db, account_id, &l[i],
						   sets) < 0)
				rc = SQLITE_ERROR;
			else
				store_jmap_count_put(s, account_id,
						     (uint64_t)state, &l[i]);
		}
	for (i = 0; i < 3; i++)
		free(sets[i].v);
	if (rc != SQLITE_DONE)
		goto fail;
	store_db_release(s, db);
	*list_r = l;
	*n_r = n;
	*state_r = (uint64_t)state;
	return 0;
fail:
	store_err_db(error_r, db, "jmap mailboxes");
	store_db_release(s, db);
	store_jmap_mboxes_free(l, n);
	return -1;
}

/* ---- the Emails of a mailbox ---- */

int
store_jmap_mailbox_emails(struct store *s, int64_t account_id,
			  int64_t mailbox_id, bool ascending, bool collapse,
			  struct store_jmap_ref **list_r, size_t *n_r,
			  uint64_t *state_r, const char **error_r)
{
	struct store_jmap_set ids = {0}, threads = {0};
	struct store_jmap_ref *l = NULL;
	struct store_db *db;
	sqlite3_stmt *st;
	int64_t state = 0, owner = 0;
	size_t n = 0, cap = 0;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	if ((db = store_db_acquire_tx(s, false, error_r)) == NULL)
		return -1;
	if (store_db_ints(db, sql_state, &account_id, 1, &state, 1) < 0 ||
	    store_db_ints(db, sql_box_owner, &mailbox_id, 1, &owner, 1) < 0)
		goto fail;
	*state_r = (uint64_t)state;
	if (owner != account_id) {
		/* not a mailbox of the account: no Email is in it */
		store_db_release(s, db);
		return 0;
	}
	if ((st = store_db_stmt(db, ascending ? sql_box_asc : sql_box_desc)) ==
	    NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, mailbox_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int64_t thread = sqlite3_column_int64(st, 1);

		/* an Email with two copies here is listed once; RFC 8621
		   4.4.3: only the first Email of each Thread stays (one not
		   yet threaded is a Thread of its own) */
		if (!store_jmap_set_add(&ids, id) ||
		    (collapse &&
		     !store_jmap_set_add(&threads, thread != 0 ? thread : -id)))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			l = xrealloc(l, cap * sizeof(*l));
		}
		l[n].id = id;
		l[n++].thread_id = thread;
	}
	sqlite3_reset(st);
	free(ids.v);
	free(threads.v);
	if (rc != SQLITE_DONE)
		goto fail;
	store_db_release(s, db);
	*list_r = l;
	*n_r = n;
	return 0;
fail:
	store_err_db(error_r, db, "jmap mailbox emails");
	store_db_release(s, db);
	free(l);
	return -1;
}

/* ---- the Emails of Threads ---- */

int
store_jmap_thread_emails(struct store *s, int64_t account_id,
			 const int64_t *thread_ids, size_t n, size_t max,
			 struct store_jmap_ref **list_r, size_t *n_r,
			 uint64_t *state_r, const char **error_r)
{
	struct store_jmap_ref *l = NULL;
	struct store_db *db;
	sqlite3_stmt *st;
	int64_t state = 0, count = 0;
	char *json = NULL;
	size_t k = 0, cap = 0;
	int rc;

	*list_r = NULL;
	*n_r = 0;
	if (thread_ids != NULL)
		json = store_jmap_ids_json(thread_ids, n);
	if ((db = store_db_acquire_tx(s, false, error_r)) == NULL) {
		free(json);
		return -1;
	}
	if (store_db_ints(db, sql_state, &account_id, 1, &state, 1) < 0)
		goto fail;
	*state_r = (uint64_t)state;
	if (json == NULL) {
		if (store_db_ints(db, sql_thread_count, &account_id, 1, &count,
				  1) < 0)
			goto fail;
		if ((uint64_t)count > (uint64_t)max) {
			store_db_release(s, db);
			return -2;
		}
	}
	if ((st = store_db_stmt(db, json != NULL ? sql_threads
						 : sql_threads_all)) == NULL)
		goto fail;
	sqlite3_bind_int64(st, 1, account_id);
	if (json != NULL)
		store_db_bind_text(st, 2, json);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == cap) {
			cap = cap ? cap * 2 : 64;
			l = xrealloc(l, cap * sizeof(*l));
		}
		l[k].thread_id = sqlite3_column_int64(st, 0);
		l[k++].id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	store_db_release(s, db);
	free(json);
	*list_r = l;
	*n_r = k;
	return 0;
fail:
	store_err_db(error_r, db, "jmap thread emails");
	store_db_release(s, db);
	free(json);
	free(l);
	return -1;
}

/* store_int.h: private parts of the store shared by its .c files. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_STORE_INT_H
#define BUZON_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include "limits.h"
#include "store/store.h"

/* Prepared statements cached per connection, keyed by the address of
   the (static) SQL text. */
#define STORE_DB_STMTS 64

/* One SQLite connection.  Used by one thread at a time: idle ones wait in
   the store's free list; the committer and the lookup directory each keep
   their own. */
struct store_db {
	sqlite3 *db;
	struct store_db *next; /* free list */
	size_t n_stmts;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[STORE_DB_STMTS];
};

/* The in-memory recipient directory (store_lookup.c). */
struct store_dir;

/* A store_msg_flags() call waiting for a group commit (store_msg.c). */
struct store_flag_req;

/* A delivery on its way through blob sync and group commit. */
struct store_job {
	struct store_job *next;
	struct store *s;
	struct store_delivery *d;
	store_done_fn *done;
	void *arg;
	struct store_blob *blob; /* freed once synced */
	char rel[40];            /* "XX/<name>" under blobs/, once renamed */
	unsigned fan;            /* XX */
	uint64_t size;
	bool renamed;
	int ok;
	const char *error; /* static */
	/* Mailboxes that got a copy (for the notify hook after the commit;
	   emptied when the job's rows are rolled back), malloc'd. */
	int64_t *mbox_ids;
	size_t n_mbox_ids;
};

struct store {
	char *data_dir; /* absolute */
	char *db_path, *blob_dir, *tmp_dir;
	struct pool *pool;
	atomic_uint_fast64_t blob_seq; /* picks blob fan-out directories */

	pthread_mutex_t db_mu;      /* guards db_free */
	struct store_db *db_free;   /* idle connections for any thread */
	struct store_db *lookup_db; /* loop thread only */
	struct store_dir *dir;

	/* Server mode: sync threads turn queued jobs into synced ones, the
	   committer commits whatever synced jobs have accumulated. */
	pthread_mutex_t mu;
	pthread_cond_t sync_cv, commit_cv;
	struct store_job *sync_head, **sync_tail;
	struct store_job *commit_head, **commit_tail;
	size_t n_commit;
	unsigned syncing; /* jobs taken by sync threads, not yet queued */
	bool stopping, threads_started;
	pthread_t sync_threads[STORE_SYNC_THREADS];
	pthread_t committer;
	struct store_db *commit_db; /* committer thread only */

	struct store_stats stats; /* under mu */

	/* store_msg_flags() write combining (store_msg.c), under its static
	   mutex: the requests waiting for a leader (newest first), and
	   whether a leader is running a batch.  Zero at creation. */
	struct store_flag_req *flag_queue;
	bool flag_leader;

	/* store_set_notify(): set before other threads use the store. */
	store_notify_fn *notify;
	void *notify_arg;
};

/* Errors: a thread-local message returned through error_r.  Always -1. */
int store_err(const char **error_r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int store_err_db(const char **error_r, struct store_db *db, const char *what);

/* Connections (store.c). */
struct store_db *store_db_open(struct store *s, const char **error_r);
void store_db_close(struct store_db *db);
struct store_db *store_db_acquire(struct store *s, const char **error_r);
void store_db_release(struct store *s, struct store_db *db);
/* The cached statement for sql, reset with bindings cleared.  NULL on a
   prepare error (message in sqlite3_errmsg(db->db)). */
sqlite3_stmt *store_db_stmt(struct store_db *db, const char *sql);
/* Run a statement that returns no rows (BEGIN, COMMIT...).  0 or -1. */
int store_db_exec(struct store_db *db, const char *sql);
/* BEGIN IMMEDIATE / COMMIT / ROLLBACK (rollback ignores errors). */
int store_db_begin(struct store_db *db);
int store_db_commit(struct store_db *db);
void store_db_rollback(struct store_db *db);
/* store_db_acquire() plus BEGIN (IMMEDIATE when write, so the write lock
   is taken up front and busy_timeout applies).  NULL on error, with the
   connection released. */
struct store_db *store_db_acquire_tx(struct store *s, bool write,
				     const char **error_r);
/* Run sql (its ?1 bound to text unless text is NULL) and read column 0 of
   the first row into *v_r.  Returns 1 row, 0 no row, -1 error. */
int store_db_get_int(struct store_db *db, const char *sql, const char *text,
		     int64_t *v_r);
/* Commit db's write transaction (durable on return) and release db;
   then call the notify hook for each of the n mailbox ids (distinct)
   and, when gc, remove messages no mailbox or queue entry holds any
   more (store_blob_gc).  On a commit error the transaction is rolled
   back, db released and -1 returned (*error_r); else 0. */
int store_db_commit_changes(struct store *s, struct store_db *db,
			    const int64_t *ids, size_t n, bool gc,
			    const char **error_r);
/* Call the notify hook (if set) for each of the n mailbox ids. */
void store_notify(struct store *s, const int64_t *ids, size_t n);
/* Run sql (cached statement) with integers args[0..n_args) bound to
   ?1.. and read the first n_v columns of its first row into v_r (left
   alone when there is no row).  For SELECTs and for writes, also with
   RETURNING (all changes are made by the one step).  Returns 1 row, 0
   no row, -1 error. */
int store_db_ints(struct store_db *db, const char *sql, const int64_t *args,
		  int n_args, int64_t *v_r, int n_v);
/* Bind text, NULL when s is NULL. */
int store_db_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Run the one-parameter query sql (cached statement) with text bound to
   ?1.  Returns 1 if it gave a row (its first column in *v_r, when v_r is
   not NULL), 0 if none, -1 on error. */
static inline int
store_db_row_int(struct store_db *db, const char *sql, const char *text,
		 int64_t *v_r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && v_r != NULL)
		*v_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Lowercase copy of an address into out (STORE_ADDRESS_MAX + 1 bytes).
   Returns 0, or -1 if it is empty, too long or holds spaces or control
   characters. */
int store_address_norm(const char *in, char *out);

/* Blobs (store_blob.c). */
/* Write buffered bytes (creating the temp file if no byte went to it
   yet), rename the blob into blobs/XX/, fdatasync and close it; fills
   job->rel, job->size.  The caller fsyncs blobs/XX before it commits
   rows naming the blob.  Frees the blob.  0 or -1 (the file is removed
   then, under either name). */
int store_blob_finish(struct store_job *job);
/* Remove the files and rows of messages no mailbox holds any more
   (refcount <= 0).  Call after the commit that released them, and at
   open (a crash may have come in between).  Errors are left for the
   next call. */
void store_blob_gc(struct store *s);
/* Remove temp files left by a crash: those no live process holds
   locked (each is locked when created).  Called when the server starts. */
void store_blob_sweep_tmp(struct store *s);

/* Accounts (store_account.c). */
/* Is addr (normalized) an account or an alias?  1 yes, 0 no, -1 error. */
int store_addr_taken(struct store_db *db, const char *addr);

/* Mailboxes (store_mailbox.c). */
/* The stored form of a mailbox name: NULL and any case of "INBOX" are
   STORE_INBOX; other names are returned as they are. */
const char *store_mailbox_name(const char *name);
/* Create mailbox name of account with a fresh UIDVALIDITY, inside the
   caller's transaction.  Returns its id, or -1. */
int64_t store_mailbox_create(struct store_db *db, int64_t account_id,
			     const char *name, const char *special_use);

/* IMAP mailboxes (store_mbox.c). */
/* Check name (see store_mbox_create) and write its stored form to out:
   "INBOX" in any case, alone or as the first level, is spelled INBOX.
   Returns 0, or -1 with *error_r set. */
int store_mbox_norm(const char *name, char out[STORE_MBOX_NAME_MAX + 1],
		    const char **error_r);
/* Inside the caller's write transaction: create each missing superior
   of the stored name norm ("a" and "a/b" for "a/b/c"; norm is modified
   during the call and restored), then norm itself (which must not
   exist) unless superiors_only.  Returns norm's new id (0 when
   superiors_only), -1 on a database error. */
int64_t store_mbox_make(struct store_db *db, int64_t account_id, char *norm,
			const char *special_use, bool superiors_only);

/* IMAP messages (store_msg.c). */
/* Inside the caller's write transaction: one new modseq of mailbox_id
   (RFC 7162 3.1: one per transaction that changes the mailbox).
   Returns it, 0 if there is no such mailbox, -1 on error. */
int64_t store_modseq_next(struct store_db *db, int64_t mailbox_id);
/* A keyword list (keywords separated by runs of spaces) without empty
   entries and without duplicates (ASCII case ignored; the first
   spelling is kept), single-spaced: malloc'd, or NULL when empty. */
char *store_keywords_norm(const char *list);

/* Expunge (store_expunge.c). */
/* Inside the caller's write transaction: take one new modseq of
   mailbox_id, delete the copies with these UIDs and record them in
   `expunged` with it.  Returns the number removed (when 0, roll back:
   the modseq was taken for nothing) or -1. */
int store_expunge_rows(struct store_db *db, int64_t mailbox_id,
		       const uint32_t *uids, size_t n);

/* Delivery (store_deliver.c). */
int store_deliver_start(struct store *s, const char **error_r);
void store_deliver_stop(struct store *s);

/* Directory (store_lookup.c). */
struct store_dir *store_dir_new(void);
void store_dir_free(struct store_dir **dp);

#endif

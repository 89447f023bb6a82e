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

/* One SQLite connection.  Used by one thread at a time: idle ones wait in
   the store's free list; the committer and the lookup directory each keep
   their own.  Prepared statements are cached per connection, keyed by
   the address of the (static) SQL text; the cache grows with the SQL
   texts a connection has run (bounded by those in src/store), never
   evicts (a caller may hold a statement across other lookups). */
struct store_db {
	sqlite3 *db;
	struct store_db *next; /* free list */
	size_t n_stmts, cap_stmts;
	struct store_db_stmt {
		const char *sql;
		sqlite3_stmt *st;
	} *stmts; /* malloc'd */
};

/* The in-memory recipient directory (store_lookup.c). */
struct store_dir;

/* A write waiting to share a commit (store_combine.c). */
struct store_combine_req;

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

	/* Write combining (store_combine.c), under mu: operations waiting
	   for the committer's next transaction (in order), and where their
	   callers wait for it. */
	struct store_combine_req *combine_head, **combine_tail;
	pthread_cond_t combine_cv;

	/* JMAP Mailbox counts (store_jmap_query.c), under count_mu: a slot
	   is good while its account's JMAP state is unchanged. */
	pthread_mutex_t count_mu;
	struct store_jmap_count {
		int64_t account_id, mailbox_id;
		uint64_t state;
		uint32_t total, unread, threads, unread_threads;
	} count_cache[STORE_JMAP_COUNT_CACHE];

	/* store_add_notify() listeners, under notify_mu (held while they
	   run, so that store_remove_notify() waits for a running one). */
	pthread_mutex_t notify_mu;
	struct store_listener {
		store_notify_fn *fn;
		void *arg;
	} notify[STORE_NOTIFY_MAX];
	size_t n_notify;
};

/* ---- write combining (store_combine.c) ---- */

/* Mailboxes one combined write may change (COPY/MOVE: two). */
#define STORE_COMBINE_IDS 2

/* What a combined write changed: the mailboxes to notify after the
   commit (store_combine_changed()) and whether messages may have lost
   their last reference (blob gc after the commit). */
struct store_combine_out {
	int64_t ids[STORE_COMBINE_IDS];
	size_t n_ids;
	bool gc;
};

/* A write that can share a transaction with other writes.  run() is
   called on the leader's thread inside the shared write transaction, in
   a savepoint of its own, and must only use db (no other connection, no
   blocking on other store calls): it returns a result >= 0 (passed back
   by store_combine()), or -1 with a message in *error_r (its writes are
   then rolled back).  undo(), if not NULL, is called when run() failed
   or when the commit of a successful run() failed, to free what run()
   left in arg; the operation then fails. */
struct store_combine_op {
	int (*run)(struct store_db *db, void *arg,
		   struct store_combine_out *out, const char **error_r);
	void (*undo)(void *arg);
};

/* Run op with arg in a write transaction shared with concurrent
   store_combine() calls and deliveries on s (the committer thread's,
   when it runs) and commit it durably (synchronous=FULL); then the
   listeners are called for the mailboxes named in out.  Blocks until
   the commit is done.  Returns run()'s result, or -1 (*error_r)
   when run() or the commit failed. */
int store_combine(struct store *s, const struct store_combine_op *op,
		  void *arg, const char **error_r);
/* The same without waiting: returns at once; done(done_arg, rc, error)
   is called with run()'s result (error: NULL unless rc < 0, valid during
   the call) once the commit is durable, on the loop thread of the
   store's pool (in CLI mode: before this returns).  arg must stay valid
   until then. */
void store_combine_submit(struct store *s, const struct store_combine_op *op,
			  void *arg, store_write_done_fn *done,
			  void *done_arg);
/* Record in out that mailbox_id changed (duplicates ignored, at most
   STORE_COMBINE_IDS). */
void store_combine_changed(struct store_combine_out *out, int64_t mailbox_id);

/* The committer's side (store_deliver.c), for a batch taken from
   s->combine_head (a list through ->next):
   store_combine_run: run each operation in its own savepoint of db's
   open write transaction.  0, or -1 (*error_r) when the transaction is
   in an unknown state: roll it back and fail the batch.
   store_combine_fail_all: fail every operation of the batch not failed
   yet (its undo runs), with error (copied).
   store_combine_changes: the distinct mailboxes the batch's successful
   operations changed (*ids_r malloc'd, to free, *n_r of them); returns
   whether blob gc is due.
   store_combine_done: hand the results over and wake the callers; the
   batch must not be touched afterwards. */
int store_combine_run(struct store_db *db, struct store_combine_req *batch,
		      const char **error_r);
void store_combine_fail_all(struct store_combine_req *batch,
			    const char *error);
bool store_combine_changes(struct store_combine_req *batch, int64_t **ids_r,
			   size_t *n_r);
void store_combine_done(struct store *s, struct store_combine_req *batch);

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
/* Call the listeners for each of the n mailbox ids
   (STORE_CHANGE_MAILBOX). */
void store_notify(struct store *s, const int64_t *ids, size_t n);
/* Call the listeners for account_id (STORE_CHANGE_ACCOUNT): after a
   commit that moved the account's JMAP state without changing a
   mailbox row. */
void store_notify_account(struct store *s, int64_t account_id);
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

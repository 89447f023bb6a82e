/* store_deliver.c: durable delivery: blob sync threads and group commit. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dir.h"
#include "log.h"
#include "mime/mime_summary.h"
#include "pool.h"
#include "xalloc.h"

static const char sql_message_insert[] =
    "INSERT INTO messages(blob, size, sender, received, envelope,"
    " bodystructure, body, hdr_subject, hdr_from, hdr_to, hdr_cc,"
    " hdr_message_id, hdr_date) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
    " ?10, ?11, ?12, ?13)";
static const char sql_mailbox_id[] =
    "SELECT id FROM mailboxes WHERE account_id = ?1 AND name = ?2";
/* uidnext only ever grows: a UID is never handed out twice in a
   mailbox (RFC 9051 2.3.1.1), which POP3 UIDLs rely on too. */
static const char sql_mailbox_next[] =
    "UPDATE mailboxes SET uidnext = uidnext + 1, highestmodseq ="
    " highestmodseq + 1 WHERE id = ?1 RETURNING uidnext - 1, highestmodseq,"
    " uidvalidity";
static const char sql_copy_insert[] =
    "INSERT INTO mailbox_messages(mailbox_id, uid, message_id, flags,"
    " modseq, internaldate, keywords) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char sql_queue_insert[] =
    "INSERT INTO queue(message_id, sender, envid, ret, created,"
    " next_attempt) VALUES(?1, ?2, ?3, ?4, ?5, ?5)";
static const char sql_queue_rcpt_insert[] =
    "INSERT OR IGNORE INTO queue_rcpt(queue_id, address, orcpt, notify)"
    " VALUES(?1, ?2, ?3, ?4)";
static const char sql_savepoint[] = "SAVEPOINT delivery";
static const char sql_release[] = "RELEASE delivery";
static const char sql_rollback_to[] = "ROLLBACK TO delivery";

#define STORE_FLAGS_ALL                                                        \
	(STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | STORE_FLAG_FLAGGED |          \
	 STORE_FLAG_DELETED | STORE_FLAG_DRAFT)

/* Step an INSERT/UPDATE; with RETURNING, the first row stays readable
   until the caller resets.  0 or -1. */
static int
store_deliver_step(sqlite3_stmt *st, int want)
{
	return sqlite3_step(st) == want ? 0 : -1;
}

static int64_t
store_deliver_message_row(struct store_db *db, const struct store_job *job)
{
	const struct store_delivery *d = job->d;
	sqlite3_stmt *st = store_db_stmt(db, sql_message_insert);
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, job->rel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)job->size);
	store_db_bind_text(st, 3, d->sender != NULL ? d->sender : "");
	sqlite3_bind_int64(st, 4,
			   d->internaldate ? d->internaldate : time(NULL));
	store_db_bind_text(st, 5, d->envelope);
	store_db_bind_text(st, 6, d->bodystructure);
	store_db_bind_text(st, 7, d->body);
	store_db_bind_text(st, 8, d->hdr_subject);
	store_db_bind_text(st, 9, d->hdr_from);
	store_db_bind_text(st, 10, d->hdr_to);
	store_db_bind_text(st, 11, d->hdr_cc);
	store_db_bind_text(st, 12, d->hdr_message_id);
	sqlite3_bind_int64(st, 13, d->hdr_date);
	rc = store_deliver_step(st, SQLITE_DONE);
	sqlite3_reset(st);
	return rc < 0 ? -1 : sqlite3_last_insert_rowid(db->db);
}

/* The mailbox of account named name (stored form, modified and
   restored while superiors are created), created if absent unless
   no_create.  0 if absent with no_create, -1 on error (also when the
   account no longer exists: foreign key). */
static int64_t
store_deliver_mailbox(struct store_db *db, int64_t account_id, char *name,
		      bool no_create)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_mailbox_id);
	int64_t id = 0;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, account_id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return id;
	if (rc != SQLITE_DONE)
		return -1;
	if (no_create)
		return 0;
	return store_mbox_make(db, account_id, name, NULL, false);
}

/* One copy of message_id in the mailbox, with the next UID and modseq,
   and keywords (normalized, or NULL).  The copy's UID and the mailbox's
   UIDVALIDITY go to *uid_r and *uidvalidity_r. */
static int
store_deliver_copy(struct store_db *db, const struct store_delivery *d,
		   int64_t mailbox_id, int64_t message_id, const char *keywords,
		   uint32_t *uid_r, uint32_t *uidvalidity_r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_mailbox_next);
	int64_t uid, modseq;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, mailbox_id);
	if (store_deliver_step(st, SQLITE_ROW) < 0) {
		sqlite3_reset(st);
		return -1;
	}
	uid = sqlite3_column_int64(st, 0);
	modseq = sqlite3_column_int64(st, 1);
	*uidvalidity_r = (uint32_t)sqlite3_column_int64(st, 2);
	sqlite3_reset(st);
	if (uid > UINT32_MAX)
		return -1; /* RFC 9051 2.3.1.1: UIDs are 32-bit */
	*uid_r = (uint32_t)uid;
	st = store_db_stmt(db, sql_copy_insert);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, mailbox_id);
	sqlite3_bind_int64(st, 2, uid);
	sqlite3_bind_int64(st, 3, message_id);
	sqlite3_bind_int64(st, 4, (int64_t)(d->flags & STORE_FLAGS_ALL));
	sqlite3_bind_int64(st, 5, modseq);
	sqlite3_bind_int64(st, 6,
			   d->internaldate ? d->internaldate : time(NULL));
	store_db_bind_text(st, 7, keywords);
	if (store_deliver_step(st, SQLITE_DONE) < 0) {
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

static int
store_deliver_queue(struct store_db *db, const struct store_delivery *d,
		    int64_t message_id)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_queue_insert);
	int64_t qid;
	size_t i;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, message_id);
	store_db_bind_text(st, 2, d->sender != NULL ? d->sender : "");
	store_db_bind_text(st, 3, d->dsn_envid);
	sqlite3_bind_int(st, 4, d->dsn_ret);
	sqlite3_bind_int64(st, 5, (int64_t)time(NULL));
	rc = store_deliver_step(st, SQLITE_DONE);
	sqlite3_reset(st);
	if (rc < 0)
		return -1;
	qid = sqlite3_last_insert_rowid(db->db);
	for (i = 0; i < d->n_remote; i++) {
		st = store_db_stmt(db, sql_queue_rcpt_insert);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, qid);
		store_db_bind_text(st, 2, d->remote[i].address);
		store_db_bind_text(st, 3, d->remote[i].orcpt);
		sqlite3_bind_int64(st, 4, d->remote[i].notify);
		rc = store_deliver_step(st, SQLITE_DONE);
		sqlite3_reset(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int
store_deliver_cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static const char store_deliver_err_db[] = "database insert failed";
static const char store_deliver_err_nombox[] = "no such mailbox";

/* All rows of one delivery, inside the batch transaction.  Returns NULL,
   or why the job fails (static). */
static const char *
store_deliver_rows(struct store_db *db, struct store_job *job)
{
	struct store_delivery *d = job->d;
	char mbox[STORE_MBOX_NAME_MAX + 1];
	int64_t message_id, mailbox_id, *ids = NULL;
	uint32_t uid, uidvalidity;
	const char *rc = store_deliver_err_db;
	char *keywords = NULL;
	size_t i;

	if (d->mailbox == NULL)
		memcpy(mbox, STORE_INBOX, sizeof(STORE_INBOX));
	else if (store_mbox_norm(d->mailbox, mbox, NULL) < 0)
		return d->no_create ? store_deliver_err_nombox
				    : "invalid mailbox name";
	message_id = store_deliver_message_row(db, job);
	if (message_id < 0)
		return rc;
	keywords = store_keywords_norm(d->keywords);
	if (d->n_accounts > 0) {
		/* Sorted, so a recipient named twice gets one copy. */
		ids = xmalloc(d->n_accounts * sizeof(*ids));
		memcpy(ids, d->accounts, d->n_accounts * sizeof(*ids));
		qsort(ids, d->n_accounts, sizeof(*ids), store_deliver_cmp_id);
	}
	for (i = 0; i < d->n_accounts; i++) {
		if (i > 0 && ids[i] == ids[i - 1])
			continue;
		mailbox_id =
		    store_deliver_mailbox(db, ids[i], mbox, d->no_create);
		if (mailbox_id == 0)
			rc = store_deliver_err_nombox;
		if (mailbox_id <= 0 ||
		    store_deliver_copy(db, d, mailbox_id, message_id, keywords,
				       &uid, &uidvalidity) < 0)
			goto out;
		job->mbox_ids = xrealloc(job->mbox_ids, (job->n_mbox_ids + 1) *
							    sizeof(int64_t));
		job->mbox_ids[job->n_mbox_ids++] = mailbox_id;
		if (i == 0) {
			/* RFC 4315 APPENDUID: the lowest account's copy. */
			d->out_uid = uid;
			d->out_uidvalidity = uidvalidity;
		}
	}
	if (d->n_remote > 0 && store_deliver_queue(db, d, message_id) < 0)
		goto out;
	rc = NULL;
out:
	free(keywords);
	free(ids);
	return rc;
}

/* After the batch commit: the notify hook, once per mailbox that got a
   copy from a job that succeeded.  Frees the jobs' mailbox lists. */
static void
store_deliver_notify(struct store *s, struct store_job **jobs, size_t n)
{
	int64_t *ids = NULL;
	size_t i, j, k = 0;

	for (i = 0; i < n; i++) {
		/* A queue-only delivery has no mailbox (and a NULL list). */
		if (jobs[i]->ok && jobs[i]->n_mbox_ids > 0) {
			ids = xrealloc(ids, (k + jobs[i]->n_mbox_ids + 1) *
						sizeof(*ids));
			memcpy(ids + k, jobs[i]->mbox_ids,
			       jobs[i]->n_mbox_ids * sizeof(*ids));
			k += jobs[i]->n_mbox_ids;
		}
		free(jobs[i]->mbox_ids);
		jobs[i]->mbox_ids = NULL;
		jobs[i]->n_mbox_ids = 0;
	}
	if (k > 1)
		qsort(ids, k, sizeof(*ids), store_deliver_cmp_id);
	for (i = j = 0; i < k; i++)
		if (j == 0 || ids[i] != ids[j - 1])
			ids[j++] = ids[i];
	store_notify(s, ids, j);
	free(ids);
}

static void
store_job_fail(struct store_job *job, const char *error)
{
	if (job->ok) {
		job->ok = 0;
		job->error = error;
	}
}

/* fsync each blob fan-out directory the batch renamed into, once. */
static void
store_deliver_sync_dirs(struct store *s, struct store_job **jobs, size_t n)
{
	uint8_t seen[256] = {0}, bad[256] = {0};
	char path[PATH_MAX];
	unsigned x;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!jobs[i]->ok)
			continue;
		x = jobs[i]->fan;
		if (!seen[x]) {
			seen[x] = 1;
			snprintf(path, sizeof(path), "%s/%02x", s->blob_dir, x);
			if (dir_fsync(path) < 0)
				bad[x] = 1;
		}
		if (bad[x])
			store_job_fail(jobs[i], "blob directory sync failed");
	}
}

/* Commit the rows of every job whose blob is safe and the combined
   writes (store_combine.c) in one transaction: one WAL fsync makes the
   whole batch durable.  A job whose rows cannot be inserted, or a write
   that fails, is rolled back alone (savepoint) and fails.  Returns
   whether blob gc is due (expunges). */
static bool
store_deliver_commit(struct store *s, struct store_db *db,
		     struct store_job **jobs, size_t n,
		     struct store_combine_req *writes)
{
	char path[PATH_MAX];
	size_t i, n_ok = 0, n_ids = 0;
	const char *error = NULL;
	int64_t *ids = NULL;
	bool tx = false, gc = false;

	store_deliver_sync_dirs(s, jobs, n);
	for (i = 0; i < n; i++)
		n_ok += jobs[i]->ok != 0;
	if ((n_ok > 0 || writes != NULL) && !(tx = store_db_begin(db) == 0)) {
		log_error("store commit begin: %s", sqlite3_errmsg(db->db));
		for (i = 0; i < n; i++)
			store_job_fail(jobs[i], "database busy");
		store_combine_fail_all(writes, "database busy");
		n_ok = 0;
	}
	for (i = 0; tx && i < n; i++) {
		const char *err = store_deliver_err_db;

		if (!jobs[i]->ok)
			continue;
		if (store_db_exec(db, sql_savepoint) < 0 ||
		    (err = store_deliver_rows(db, jobs[i])) != NULL) {
			if (err == store_deliver_err_db)
				log_error("store delivery rows: %s",
					  sqlite3_errmsg(db->db));
			(void)store_db_exec(db, sql_rollback_to);
			store_job_fail(jobs[i], err);
			jobs[i]->n_mbox_ids = 0;
		}
		(void)store_db_exec(db, sql_release);
	}
	if (tx && store_combine_run(db, writes, &error) < 0) {
		/* The transaction is in an unknown state: nothing of it. */
		log_error("store commit: %s", error);
		store_db_rollback(db);
		for (i = 0; i < n; i++)
			store_job_fail(jobs[i], "database write failed");
		store_combine_fail_all(writes, error);
		tx = false;
		n_ok = 0;
	}
	if (tx && store_db_commit(db) < 0) {
		log_error("store commit: %s", sqlite3_errmsg(db->db));
		store_db_rollback(db);
		for (i = 0; i < n; i++)
			store_job_fail(jobs[i], "database commit failed");
		store_combine_fail_all(writes, "database commit failed");
	}
	pthread_mutex_lock(&s->mu);
	if (n_ok > 0) {
		s->stats.commits++;
		if (n_ok > s->stats.batch_max)
			s->stats.batch_max = n_ok;
	}
	for (i = 0; i < n; i++) {
		if (jobs[i]->ok)
			s->stats.deliveries_ok++;
		else
			s->stats.deliveries_failed++;
	}
	pthread_mutex_unlock(&s->mu);
	store_deliver_notify(s, jobs, n);
	gc = store_combine_changes(writes, &ids, &n_ids);
	store_notify(s, ids, n_ids);
	free(ids);
	/* A failed delivery leaves no file behind. */
	for (i = 0; i < n; i++)
		if (!jobs[i]->ok && jobs[i]->renamed) {
			snprintf(path, sizeof(path), "%s/%s", s->blob_dir,
				 jobs[i]->rel);
			(void)unlink(path);
		}
	return gc;
}

static void
store_job_done(void *arg)
{
	struct store_job *job = arg;

	job->done(job->arg, job->ok, job->ok ? NULL : job->error);
	free(job);
}

/* Hand the result to the caller: on the loop thread in server mode. */
static void
store_job_complete(struct store *s, struct store_job *job)
{
	if (s->pool != NULL)
		pool_post(s->pool, store_job_done, job);
	else
		store_job_done(job);
}

/* Blob part of a job: sync and rename; marks the job ok or failed. */
static void
store_job_sync(struct store_job *job)
{
	job->ok = 1;
	if (store_blob_finish(job) < 0)
		store_job_fail(job, "blob write failed");
}

static void *
store_sync_main(void *arg)
{
	struct store *s = arg;
	struct store_job *job;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->sync_head == NULL && !s->stopping)
			pthread_cond_wait(&s->sync_cv, &s->mu);
		job = s->sync_head;
		if (job == NULL)
			break; /* stopping, nothing left */
		s->sync_head = job->next;
		if (s->sync_head == NULL)
			s->sync_tail = &s->sync_head;
		s->syncing++;
		pthread_mutex_unlock(&s->mu);

		store_job_sync(job);

		pthread_mutex_lock(&s->mu);
		s->syncing--;
		job->next = NULL;
		*s->commit_tail = job;
		s->commit_tail = &job->next;
		s->n_commit++;
		pthread_cond_signal(&s->commit_cv);
	}
	pthread_cond_signal(&s->commit_cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The committer: whatever accumulated while the previous commit ran
   forms the next batch (group commit). */
static void *
store_commit_main(void *arg)
{
	struct store *s = arg;
	struct store_job **jobs =
	    xcalloc(STORE_COMMIT_BATCH_MAX, sizeof(*jobs));
	struct store_combine_req *writes;
	size_t n, i;
	bool gc;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (
		    s->commit_head == NULL && s->combine_head == NULL &&
		    !(s->stopping && s->sync_head == NULL && s->syncing == 0))
			pthread_cond_wait(&s->commit_cv, &s->mu);
		if (s->commit_head == NULL && s->combine_head == NULL)
			break;
		for (n = 0; n < STORE_COMMIT_BATCH_MAX && s->commit_head; n++) {
			jobs[n] = s->commit_head;
			s->commit_head = jobs[n]->next;
		}
		if (s->commit_head == NULL)
			s->commit_tail = &s->commit_head;
		s->n_commit -= n;
		/* Every combined write queued so far joins this batch. */
		writes = s->combine_head;
		s->combine_head = NULL;
		s->combine_tail = &s->combine_head;
		pthread_mutex_unlock(&s->mu);

		gc = store_deliver_commit(s, s->commit_db, jobs, n, writes);
		store_combine_done(s, writes);
		for (i = 0; i < n; i++)
			store_job_complete(s, jobs[i]);
		/* Files of messages nobody holds now, once the callers
		   have their answers. */
		if (gc)
			store_blob_gc(s);

		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	free(jobs);
	return NULL;
}

void
store_delivery_summary(struct store_delivery *d, const struct mime_msg_info *m)
{
	d->envelope = m->envelope;
	d->bodystructure = m->bodystructure;
	d->body = m->body;
	d->hdr_subject = m->subject;
	d->hdr_from = m->from;
	d->hdr_to = m->to;
	d->hdr_cc = m->cc;
	d->hdr_message_id = m->message_id;
	d->hdr_date = m->date;
}

void
store_deliver_buf(struct store *s, struct store_delivery *d,
		  struct mime_msg_info *info, const void *msg, size_t n,
		  store_done_fn *done, void *arg)
{
	struct mime_summary *ms;
	struct store_blob *b;
	const char *error;

	if ((b = store_blob_new(s, &error)) == NULL ||
	    store_blob_write(b, msg, n) < 0) {
		if (b != NULL)
			error = strerror(errno);
		store_blob_abort(&b);
		done(arg, 0, error);
		return;
	}
	ms = mime_summary_new(NULL);
	mime_summary_feed(ms, msg, n);
	mime_summary_finish(ms, info);
	mime_summary_free(&ms);
	d->blob = b;
	store_delivery_summary(d, info);
	store_deliver(s, d, done, arg);
}

int
store_deliver_start(struct store *s, const char **error_r)
{
	unsigned i;
	int err;

	store_blob_sweep_tmp(s);
	s->commit_db = store_db_open(s, error_r);
	if (s->commit_db == NULL)
		return -1;
	err = pthread_create(&s->committer, NULL, store_commit_main, s);
	for (i = 0; err == 0 && i < STORE_SYNC_THREADS; i++) {
		err = pthread_create(&s->sync_threads[i], NULL, store_sync_main,
				     s);
		if (err != 0)
			break;
	}
	if (err != 0)
		fatalx("store: pthread_create: %s", strerror(err));
	s->threads_started = true;
	return 0;
}

void
store_deliver_stop(struct store *s)
{
	unsigned i;

	if (!s->threads_started) {
		store_db_close(s->commit_db);
		s->commit_db = NULL;
		return;
	}
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_cond_broadcast(&s->sync_cv);
	pthread_cond_broadcast(&s->commit_cv);
	pthread_mutex_unlock(&s->mu);
	for (i = 0; i < STORE_SYNC_THREADS; i++)
		pthread_join(s->sync_threads[i], NULL);
	pthread_mutex_lock(&s->mu);
	pthread_cond_broadcast(&s->commit_cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->committer, NULL);
	s->threads_started = false;
	store_db_close(s->commit_db);
	s->commit_db = NULL;
}

void
store_deliver(struct store *s, struct store_delivery *d, store_done_fn *done,
	      void *arg)
{
	struct store_job *job = xzalloc(sizeof(*job));
	struct store_db *db;
	const char *error;

	job->s = s;
	job->d = d;
	job->done = done;
	job->arg = arg;
	job->blob = d->blob;
	if (job->blob == NULL || (d->n_accounts == 0 && d->n_remote == 0)) {
		job->error =
		    job->blob == NULL ? "no message data" : "no recipients";
		store_blob_abort(&job->blob);
		pthread_mutex_lock(&s->mu);
		s->stats.deliveries_failed++;
		pthread_mutex_unlock(&s->mu);
		store_job_complete(s, job);
		return;
	}
	if (s->pool != NULL) {
		pthread_mutex_lock(&s->mu);
		*s->sync_tail = job;
		s->sync_tail = &job->next;
		pthread_cond_signal(&s->sync_cv);
		pthread_mutex_unlock(&s->mu);
		return;
	}
	/* CLI mode: the same steps, on the caller's thread. */
	store_job_sync(job);
	db = store_db_acquire(s, &error);
	if (db == NULL) {
		/* Failed jobs never touch the database: this only counts the
		   failure and removes the blob. */
		store_job_fail(job, "database open failed");
		store_deliver_commit(s, NULL, &job, 1, NULL);
	} else {
		store_deliver_commit(s, db, &job, 1, NULL);
		store_db_release(s, db);
	}
	store_job_complete(s, job);
}

/* store_blob.c: immutable message files: temp file, sync, rename, GC. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "limits.h"
#include "xalloc.h"

struct store_blob {
	struct store *s;
	int fd;        /* -1 until the first bytes go to the file */
	int err;       /* errno of the first failure, 0 if none */
	unsigned fan;  /* fan-out directory blobs/%02x */
	char name[33]; /* 32 hex digits: 128 random bits */
	uint8_t *buf;  /* pending bytes, grows to STORE_BLOB_BUF_MAX */
	size_t len, cap;
	uint64_t size;
};

struct store_blob *
store_blob_new(struct store *s, const char **error_r)
{
	struct store_blob *b;
	uint8_t rnd[16];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		store_err(error_r, "getrandom: %s", strerror(errno));
		return NULL;
	}
	b = xzalloc(sizeof(*b));
	b->s = s;
	/* Consecutive blobs share a fan-out directory (256 in a row, then
	   the next one): a batch then touches one or two directories, and
	   the committer fsyncs each directory once per batch. */
	b->fan = (unsigned)(atomic_fetch_add(&s->blob_seq, 1) >> 8) & 0xffu;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(b->name + 2 * i, 3, "%02x", rnd[i]);
	/* The file is made by the first flush: for a message that fits
	   the buffer (STORE_BLOB_BUF_MAX), by store_blob_finish() on a
	   sync thread.  Creating an inode costs the loop thread a lock on
	   tmp/ (shared with the renames out of it) and, on ext4, a walk of
	   the inode bitmap; on this project's test VM that was ~1 ms, a
	   ceiling of ~1000 deliveries/s for the one loop thread. */
	b->fd = -1;
	return b;
}

/* Create the temp file (0 or -1, errno in b->err). */
static int
store_blob_open(struct store_blob *b)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", b->s->tmp_dir, b->name);
	b->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (b->fd < 0) {
		b->err = errno;
		return -1;
	}
	/* The lock says "a live process is writing this": it goes with the
	   process, so store_blob_sweep_tmp() can tell a crash's leftovers
	   from a CLI import running beside the server. */
	(void)flock(b->fd, LOCK_EX | LOCK_NB);
	return 0;
}

static int
store_blob_write_all(struct store_blob *b, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(b->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			b->err = w < 0 ? errno : EIO;
			errno = b->err;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
store_blob_flush(struct store_blob *b)
{
	if (b->err == 0 && b->fd < 0)
		(void)store_blob_open(b);
	if (b->err != 0) {
		errno = b->err;
		return -1;
	}
	if (b->len > 0 && store_blob_write_all(b, b->buf, b->len) < 0)
		return -1;
	b->len = 0;
	return 0;
}

int
store_blob_write(struct store_blob *b, const void *data, size_t n)
{
	const uint8_t *p = data;

	if (b->err != 0) {
		errno = b->err;
		return -1;
	}
	b->size += n;
	/* Small pieces (SMTP DATA arrives a line or a packet at a time) are
	   gathered so the file sees few large writes. */
	if (b->len + n > STORE_BLOB_BUF_MAX) {
		if (store_blob_flush(b) < 0)
			return -1;
		if (n >= STORE_BLOB_BUF_MAX)
			return store_blob_write_all(b, p, n);
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : STORE_BLOB_BUF_INITIAL;

		while (cap < b->len + n)
			cap *= 2;
		if (cap > STORE_BLOB_BUF_MAX)
			cap = STORE_BLOB_BUF_MAX;
		b->buf = xrealloc(b->buf, cap);
		b->cap = cap;
	}
	memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

uint64_t
store_blob_size(const struct store_blob *b)
{
	return b->size;
}

static void
store_blob_free(struct store_blob *b)
{
	if (b->fd >= 0)
		close(b->fd);
	free(b->buf);
	free(b);
}

void
store_blob_abort(struct store_blob **bp)
{
	struct store_blob *b = *bp;
	char path[PATH_MAX];

	if (b == NULL)
		return;
	*bp = NULL;
	if (b->fd >= 0) {
		snprintf(path, sizeof(path), "%s/%s", b->s->tmp_dir, b->name);
		(void)unlink(path);
	}
	store_blob_free(b);
}

int
store_blob_finish(struct store_job *job)
{
	struct store_blob *b = job->blob;
	char tmp[PATH_MAX], dst[PATH_MAX];
	int rc;

	job->blob = NULL;
	snprintf(tmp, sizeof(tmp), "%s/%s", b->s->tmp_dir, b->name);
	snprintf(job->rel, sizeof(job->rel), "%02x/%s", b->fan, b->name);
	job->fan = b->fan;
	snprintf(dst, sizeof(dst), "%s/%s", b->s->blob_dir, job->rel);
	job->size = b->size;
	/* Durable before the rows that name it (DESIGN.md: a 250 means the
	   message is on stable storage) are the data, the file size and
	   the name blobs/XX/<name>:
	   - fdatasync(2) flushes the data and the metadata "needed in order
	     to allow a subsequent data retrieval", i.e. the size;
	   - fsync(2): it "does not necessarily ensure that the entry in the
	     directory containing the file has also reached disk.  For that
	     an explicit fsync() on a file descriptor for the directory is
	     also needed": the committer does that once per fan-out
	     directory per batch (store_deliver_sync_dirs), after every
	     rename of the batch and before its transaction.
	   The rename comes first and fdatasync after it, on the open
	   descriptor (same inode): the order of these two does not matter
	   for the rows, which wait for both, and a rename made before the
	   sync is in the filesystem's next journal commit, which that
	   fdatasync forces anyway on ext4 (new blocks, new size), so the
	   committer's directory fsync then mostly finds nothing left to
	   write.  A crash before the commit leaves a file no row names,
	   as a crash between rename and commit always could; it is never
	   shown (readers go through rows). */
	rc = store_blob_flush(b);
	if (rc == 0)
		rc = rename(tmp, dst);
	if (rc < 0) {
		(void)unlink(tmp);
		store_blob_free(b);
		return -1;
	}
	rc = fdatasync(b->fd);
	if (close(b->fd) < 0)
		rc = -1;
	b->fd = -1;
	if (rc < 0) {
		(void)unlink(dst);
		store_blob_free(b);
		return -1;
	}
	job->renamed = true;
	store_blob_free(b);
	return 0;
}

static const char sql_unref_list[] =
    "SELECT blob FROM messages WHERE refcount <= 0";
static const char sql_unref_delete[] =
    "DELETE FROM messages WHERE blob = ?1 AND refcount <= 0";

/* Two steps, each safe to cut short: the files go first, then their rows.
   A row without its file is never visible (refcount <= 0 means no
   mailbox holds it), and a crash between the steps leaves rows that the
   next run finds again; an unlink that finds no file is fine. */
static const char sql_gc_sync_normal[] = "PRAGMA synchronous=NORMAL";
static const char sql_gc_sync_full[] = "PRAGMA synchronous=FULL";

void
store_blob_gc(struct store *s)
{
	char path[PATH_MAX], **paths = NULL;
	struct store_db *db;
	sqlite3_stmt *st;
	const char *error;
	size_t n = 0, i;
	int rc;

	if ((db = store_db_acquire(s, &error)) == NULL)
		return;
	if ((st = store_db_stmt(db, sql_unref_list)) == NULL) {
		store_db_release(s, db);
		return;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		paths = xrealloc(paths, (n + 1) * sizeof(*paths));
		paths[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_reset(st);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->blob_dir, paths[i]);
		(void)unlink(path);
	}
	/* The rows go without an fsync of their own (synchronous=NORMAL):
	   rows whose files are gone and whose delete a crash undid are
	   found again by the next run, as above. */
	if (n > 0 && store_db_exec(db, sql_gc_sync_normal) == 0 &&
	    store_db_begin(db) == 0) {
		st = store_db_stmt(db, sql_unref_delete);
		for (i = 0; st != NULL && i < n; i++) {
			sqlite3_bind_text(st, 1, paths[i], -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
			sqlite3_reset(st);
			if (rc != SQLITE_DONE)
				break;
		}
		if (st != NULL && i == n)
			(void)store_db_commit(db);
		else
			store_db_rollback(db);
	}
	/* The pooled connection goes back durable, or not at all. */
	if (n > 0 && store_db_exec(db, sql_gc_sync_full) < 0)
		store_db_close(db);
	else
		store_db_release(s, db);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

void
store_blob_sweep_tmp(struct store *s)
{
	DIR *d = opendir(s->tmp_dir);
	struct dirent *de;
	struct stat st;
	int fd;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		/* Unlocked: its writer died before the message was
		   acknowledged, so nobody was told it is safe. */
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		    flock(fd, LOCK_EX | LOCK_NB) == 0)
			(void)unlinkat(dirfd(d), de->d_name, 0);
		close(fd);
	}
	closedir(d);
}

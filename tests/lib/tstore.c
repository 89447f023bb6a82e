/* tstore.c: helpers shared by the store unit tests (see tstore.h). */
/* SPDX-License-Identifier: MIT */
#include <ftw.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ev.h"
#include "test.h"
#include "tstore.h"

/* How long SQL run beside an open store waits for its locks. */
#define TSTORE_BUSY_MS 5000

char *
tstore_dir_new(const char *tag)
{
	char *dir;

	if (asprintf(&dir, "/tmp/buzon-test-%s-XXXXXX", tag) < 0) {
		perror("asprintf");
		exit(1);
	}
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return dir;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
tstore_dir_free(char *dir)
{
	if (dir == NULL)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

struct store *
tstore_setup(const char *tag, const char *address, char **dir_r, int64_t *acc_r)
{
	char *dir = tstore_dir_new(tag);
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);

	TEST_ASSERT(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "store_open %s: %s\n", dir, err);
		exit(1);
	}
	*acc_r = tstore_account_add(s, address);
	*dir_r = dir;
	return s;
}

void
tstore_teardown(struct store *s, char *dir)
{
	if (s != NULL)
		store_close(&s);
	tstore_dir_free(dir);
}

int64_t
tstore_account(struct store *s, const char *address)
{
	struct store_account a;
	int64_t id = -1;

	if (store_account_get(s, address, &a, NULL) == 1)
		id = a.id;
	store_account_clear(&a);
	return id;
}

int64_t
tstore_account_add(struct store *s, const char *address)
{
	int64_t id;

	TEST_ASSERT_INTEQ(store_account_add(s, address, "h", NULL), 1);
	id = tstore_account(s, address);
	TEST_ASSERT(id > 0);
	return id;
}

int64_t
tstore_mbox(struct store *s, int64_t acc, const char *name)
{
	struct store_mbox m;
	int64_t id = 0;

	if (store_mbox_get(s, acc, name, &m, NULL) == 1)
		id = m.id;
	store_mbox_clear(&m);
	return id;
}

/* dir/store.db opened with flags and a busy timeout; NULL on failure. */
static sqlite3 *
db_open(const char *dir, int flags)
{
	char path[PATH_MAX];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		fprintf(stderr, "tstore: %s: %s\n", path,
			db != NULL ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, TSTORE_BUSY_MS);
	return db;
}

long long
tstore_sql_int(const char *dir, const char *sql)
{
	sqlite3 *db = db_open(dir, SQLITE_OPEN_READONLY);
	sqlite3_stmt *st;
	long long v = -1;

	if (db == NULL)
		return -2;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	} else {
		fprintf(stderr, "tstore_sql_int: %s\n", sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	return v;
}

int
tstore_sql_exec(const char *dir, const char *sql)
{
	sqlite3 *db = db_open(dir, SQLITE_OPEN_READWRITE);
	int rc;

	if (db == NULL)
		return -1;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		fprintf(stderr, "tstore_sql_exec: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

void
tstore_on_done(void *arg, int ok, const char *error)
{
	struct tstore_done *r = arg;

	r->calls++;
	r->ok += ok;
	r->error = error;
	if (r->ev != NULL && r->calls == r->stop_at)
		ev_stop(r->ev);
}

void
tstore_delivery(struct store *s, struct store_delivery *d,
		const int64_t *accounts, size_t n, const char *text)
{
	memset(d, 0, sizeof(*d));
	d->sender = "s@remote.test";
	d->blob = store_blob_new(s, NULL);
	TEST_ASSERT(d->blob != NULL);
	if (d->blob != NULL)
		TEST_ASSERT_INTEQ(store_blob_write(d->blob, text, strlen(text)),
				  0);
	d->internaldate = 1700000000;
	d->accounts = accounts;
	d->n_accounts = n;
}

uint32_t
tstore_deliver(struct store *s, const int64_t *accounts, size_t n,
	       const char *mailbox, const char *text, uint32_t flags)
{
	struct store_delivery d;
	struct tstore_done r = {0};

	tstore_delivery(s, &d, accounts, n, text);
	if (d.blob == NULL)
		return 0;
	d.mailbox = mailbox;
	d.flags = flags;
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.ok, 1);
	return d.out_uid;
}

/* test_store_pop3.c: the POP3 maildrop snapshot and durable expunge. */
/* SPDX-License-Identifier: MIT */
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* One integer from SQL run on the database file directly. */
static long long
sql_int(const char *dir, const char *sql)
{
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v = -1;

	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

static void
on_done(void *arg, int ok, const char *error)
{
	(void)error;
	*(int *)arg = ok;
}

/* Deliver text to the accounts (CLI mode: synchronous). */
static void
deliver(struct store *s, const char *text, const int64_t *ids, size_t n)
{
	struct store_delivery d;
	int ok = -1;

	memset(&d, 0, sizeof(d));
	d.sender = "a@remote.test";
	d.blob = store_blob_new(s, NULL);
	TEST_ASSERT(d.blob != NULL);
	if (d.blob == NULL)
		return;
	TEST_ASSERT_INTEQ(store_blob_write(d.blob, text, strlen(text)), 0);
	d.internaldate = 1700000000;
	d.accounts = ids;
	d.n_accounts = n;
	store_deliver(s, &d, on_done, &ok);
	TEST_ASSERT_INTEQ(ok, 1);
}

static const char msg_a[] = "Subject: a\r\n\r\nshared\r\n";
static const char msg_b[] = "Subject: b\r\n\r\n.dot\r\n";
static const char msg_c[] = "Subject: c\r\n\r\nthird message\r\n";

static void
test_snapshot_expunge(void)
{
	char *dir = strdup("/tmp/buzon-test-pop3-XXXXXX");
	const char *err = NULL;
	struct store *s;
	struct store_pop3_box box;
	struct store_account acc;
	int64_t ids[2];
	uint32_t gone[] = {1, 3, 99};
	long long modseq;
	size_t i;

	test_begin("snapshot and expunge");
	TEST_ASSERT(mkdtemp(dir) != NULL);
	s = store_open(dir, NULL, &err);
	TEST_ASSERT(s != NULL);
	if (s == NULL)
		return;
	TEST_ASSERT_INTEQ(store_account_add(s, "u1@x.test", "h", &err), 1);
	TEST_ASSERT_INTEQ(store_account_add(s, "u2@x.test", "h", &err), 1);
	TEST_ASSERT_INTEQ(store_account_get(s, "u1@x.test", &acc, &err), 1);
	ids[0] = acc.id;
	store_account_clear(&acc);
	TEST_ASSERT_INTEQ(store_account_get(s, "u2@x.test", &acc, &err), 1);
	ids[1] = acc.id;
	store_account_clear(&acc);
	deliver(s, msg_a, ids, 2);
	deliver(s, msg_b, ids, 1);
	deliver(s, msg_c, ids, 1);

	/* no such account: no INBOX */
	TEST_ASSERT_INTEQ(store_pop3_snapshot(s, 9999, &box, &err), 0);
	TEST_ASSERT_INTEQ(box.n, 0);

	TEST_ASSERT_INTEQ(store_pop3_snapshot(s, ids[0], &box, &err), 1);
	TEST_ASSERT_INTEQ(box.n, 3);
	TEST_ASSERT(box.uidvalidity > 0);
	for (i = 0; i < box.n && i < 3; i++) {
		static const char *const texts[] = {msg_a, msg_b, msg_c};
		struct stat st;

		TEST_ASSERT_INTEQ(box.msgs[i].uid, i + 1);
		TEST_ASSERT_INTEQ(box.msgs[i].size, strlen(texts[i]));
		TEST_ASSERT(stat(box.msgs[i].blob_path, &st) == 0 &&
			    (size_t)st.st_size == strlen(texts[i]));
	}
	modseq = sql_int(dir, "SELECT highestmodseq FROM mailboxes m JOIN "
			      "accounts a ON a.id = m.account_id WHERE "
			      "a.address = 'u1@x.test' AND m.name = 'INBOX'");

	/* 1 (shared with u2) and 3 go, 99 never existed */
	TEST_ASSERT_INTEQ(store_expunge(s, box.mailbox_id, gone, 3, &err), 2);
	TEST_ASSERT(access(box.msgs[0].blob_path, F_OK) == 0); /* u2 has it */
	TEST_ASSERT(access(box.msgs[2].blob_path, F_OK) < 0);
	TEST_ASSERT_INTEQ(sql_int(dir, "SELECT count(*) FROM messages"), 2);
	TEST_ASSERT_INTEQ(sql_int(dir, "SELECT count(*) FROM expunged"), 2);
	TEST_ASSERT_INTEQ(
	    sql_int(dir, "SELECT count(DISTINCT modseq) FROM expunged"), 1);
	TEST_ASSERT_INTEQ(sql_int(dir, "SELECT max(modseq) FROM expunged"),
			  modseq + 1);
	/* again: nothing left to remove, no new modseq */
	TEST_ASSERT_INTEQ(store_expunge(s, box.mailbox_id, gone, 3, &err), 0);
	TEST_ASSERT_INTEQ(store_expunge(s, box.mailbox_id, gone, 0, &err), 0);
	TEST_ASSERT_INTEQ(sql_int(dir, "SELECT max(highestmodseq) FROM "
				       "mailboxes WHERE id IN (SELECT "
				       "mailbox_id FROM expunged)"),
			  modseq + 1);
	store_pop3_box_free(&box);
	TEST_ASSERT(box.msgs == NULL && box.n == 0);

	TEST_ASSERT_INTEQ(store_pop3_snapshot(s, ids[0], &box, &err), 1);
	TEST_ASSERT_INTEQ(box.n, 1);
	TEST_ASSERT_INTEQ(box.msgs[0].uid, 2);
	store_pop3_box_free(&box);
	TEST_ASSERT_INTEQ(store_pop3_snapshot(s, ids[1], &box, &err), 1);
	TEST_ASSERT_INTEQ(box.n, 1);
	store_pop3_box_free(&box);

	/* a new delivery never reuses an expunged UID */
	deliver(s, msg_c, ids, 1);
	TEST_ASSERT_INTEQ(store_pop3_snapshot(s, ids[0], &box, &err), 1);
	TEST_ASSERT_INTEQ(box.n, 2);
	if (box.n == 2)
		TEST_ASSERT_INTEQ(box.msgs[1].uid, 4);
	store_pop3_box_free(&box);
	store_close(&s);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

TEST_MAIN(test_snapshot_expunge)

/* test_store_pop3.c: the POP3 maildrop snapshot and durable expunge. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"
#include "tstore.h"

static const char msg_a[] = "Subject: a\r\n\r\nshared\r\n";
static const char msg_b[] = "Subject: b\r\n\r\n.dot\r\n";
static const char msg_c[] = "Subject: c\r\n\r\nthird message\r\n";

static void
test_snapshot_expunge(void)
{
	char *dir = tstore_dir_new("pop3");
	const char *err = NULL;
	struct store *s;
	struct store_pop3_box box;
	int64_t ids[2];
	uint32_t gone[] = {1, 3, 99};
	long long modseq;
	size_t i;

	test_begin("snapshot and expunge");
	s = store_open(dir, NULL, &err);
	TEST_ASSERT(s != NULL);
	if (s == NULL)
		return;
	ids[0] = tstore_account_add(s, "u1@x.test");
	ids[1] = tstore_account_add(s, "u2@x.test");
	tstore_deliver(s, ids, 2, NULL, msg_a, 0);
	tstore_deliver(s, ids, 1, NULL, msg_b, 0);
	tstore_deliver(s, ids, 1, NULL, msg_c, 0);

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
	modseq =
	    tstore_sql_int(dir, "SELECT highestmodseq FROM mailboxes m JOIN "
				"accounts a ON a.id = m.account_id WHERE "
				"a.address = 'u1@x.test' AND m.name = 'INBOX'");

	/* 1 (shared with u2) and 3 go, 99 never existed */
	TEST_ASSERT_INTEQ(store_expunge(s, box.mailbox_id, gone, 3, &err), 2);
	TEST_ASSERT(access(box.msgs[0].blob_path, F_OK) == 0); /* u2 has it */
	TEST_ASSERT(access(box.msgs[2].blob_path, F_OK) < 0);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM messages"),
			  2);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM expunged"),
			  2);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT count(DISTINCT modseq) FROM expunged"),
	    1);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT max(modseq) FROM expunged"),
	    modseq + 1);
	/* again: nothing left to remove, no new modseq */
	TEST_ASSERT_INTEQ(store_expunge(s, box.mailbox_id, gone, 3, &err), 0);
	TEST_ASSERT_INTEQ(store_expunge(s, box.mailbox_id, gone, 0, &err), 0);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT max(highestmodseq) FROM "
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
	tstore_deliver(s, ids, 1, NULL, msg_c, 0);
	TEST_ASSERT_INTEQ(store_pop3_snapshot(s, ids[0], &box, &err), 1);
	TEST_ASSERT_INTEQ(box.n, 2);
	if (box.n == 2)
		TEST_ASSERT_INTEQ(box.msgs[1].uid, 4);
	store_pop3_box_free(&box);
	store_close(&s);
	tstore_dir_free(dir);
}

TEST_MAIN(test_snapshot_expunge)

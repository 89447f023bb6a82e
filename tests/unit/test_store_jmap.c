/* test_store_jmap.c: the store's JMAP side (store_jmap.h): the change
   log written by the schema v4 triggers for deliveries, IMAP flag
   changes, copies, expunges and mailbox changes; /changes paging;
   threading; Emails as the union of their copies; Email updates and
   destroys that IMAP sees. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "store/store_jmap.h"
#include "test.h"
#include "tstore.h"

static uint64_t
state(struct store *s, int64_t acc)
{
	uint64_t v = 0;

	TEST_ASSERT_INTEQ(store_jmap_state(s, acc, &v, NULL), 1);
	return v;
}

/* The only Email of the account. */
static int64_t
only_email(struct store *s, int64_t acc, struct store_jmap_email *out)
{
	struct store_jmap_email *e;
	uint64_t st;
	size_t n;
	int64_t id = 0;

	TEST_ASSERT_INTEQ(store_jmap_emails(s, acc, NULL, 0, &e, &n, &st, NULL),
			  0);
	TEST_ASSERT_INTEQ(n, 1);
	if (n == 1) {
		id = e[0].id;
		if (out != NULL) {
			out->flags = e[0].flags;
			out->n_mailboxes = e[0].n_mailboxes;
		}
	}
	store_jmap_emails_free(e, n);
	return id;
}

static void
test_change_log(void)
{
	struct store_jmap_changes c;
	struct store_flag_update fu = {0};
	struct store_flag_result *fr;
	struct store_jmap_email e = {0};
	const char *kw[] = {"$Work"};
	uint32_t uid, *su, *du, uidv;
	uint64_t s0, s1, s2;
	size_t n;
	char *dir;
	int64_t acc, inbox, arch, id;
	struct store *s = tstore_setup("jmap", "u@x.test", &dir, &acc);

	test_begin("jmap log: delivery creates an Email, updates INBOX");
	inbox = tstore_mbox(s, acc, "INBOX");
	arch = tstore_mbox(s, acc, "Archive");
	s0 = state(s, acc);
	uid = tstore_deliver(s, &acc, 1, NULL, "Subject: a\r\n\r\nbody\r\n", 0);
	s1 = state(s, acc);
	TEST_ASSERT(s1 > s0);
	id = only_email(s, acc, NULL);
	TEST_ASSERT_INTEQ(
	    store_jmap_changes(s, acc, STORE_JMAP_EMAIL, s0, 100, &c, NULL), 1);
	TEST_ASSERT_INTEQ(c.n_created, 1);
	TEST_ASSERT_INTEQ(c.n_updated + c.n_destroyed, 0);
	TEST_ASSERT_INTEQ(c.created[0], id);
	TEST_ASSERT_INTEQ(c.new_state, s1);
	store_jmap_changes_free(&c);
	TEST_ASSERT_INTEQ(
	    store_jmap_changes(s, acc, STORE_JMAP_MAILBOX, s0, 100, &c, NULL),
	    1);
	TEST_ASSERT_INTEQ(c.n_updated, 1);
	TEST_ASSERT_INTEQ(c.updated[0], inbox);
	store_jmap_changes_free(&c);
	/* a future state cannot be calculated */
	TEST_ASSERT_INTEQ(
	    store_jmap_changes(s, acc, STORE_JMAP_EMAIL, s1 + 5, 100, &c, NULL),
	    0);

	test_begin("jmap log: IMAP flags and copy update the Email");
	fu.uids = &uid;
	fu.n = 1;
	fu.mode = 1;
	fu.flags = STORE_FLAG_SEEN;
	fu.keywords = kw;
	fu.n_keywords = 1;
	TEST_ASSERT_INTEQ(store_msg_flags(s, inbox, &fu, &fr, &n, NULL), 0);
	store_flag_results_free(fr, n);
	TEST_ASSERT_INTEQ(store_msg_copy(s, inbox, &uid, 1, arch, false, &su,
					 &du, &n, &uidv, NULL),
			  1);
	free(su);
	free(du);
	TEST_ASSERT_INTEQ(
	    store_jmap_changes(s, acc, STORE_JMAP_EMAIL, s1, 100, &c, NULL), 1);
	TEST_ASSERT_INTEQ(c.n_updated, 1);
	TEST_ASSERT_INTEQ(c.n_created, 0);
	store_jmap_changes_free(&c);
	TEST_ASSERT_INTEQ(only_email(s, acc, &e), id);
	TEST_ASSERT_INTEQ(e.n_mailboxes, 2);
	TEST_ASSERT(e.flags & STORE_FLAG_SEEN);

	test_begin("jmap update: keywords on every copy, IMAP modseq moves");
	{
		struct store_jmap_update u = {0};
		struct store_mbox_status before, after;

		TEST_ASSERT_INTEQ(store_mbox_status(s, arch, &before, NULL), 1);
		u.set_keywords = true;
		u.flags = STORE_FLAG_FLAGGED;
		u.keywords = "x1";
		TEST_ASSERT_INTEQ(store_jmap_email_update(s, acc, id, &u, NULL),
				  1);
		TEST_ASSERT_INTEQ(store_mbox_status(s, arch, &after, NULL), 1);
		TEST_ASSERT(after.highestmodseq > before.highestmodseq);
		TEST_ASSERT_INTEQ(after.unseen, 1);
		TEST_ASSERT_INTEQ(only_email(s, acc, &e), id);
		TEST_ASSERT_INTEQ(e.flags, STORE_FLAG_FLAGGED);
		/* a foreign mailbox id is refused */
		memset(&u, 0, sizeof(u));
		u.set_mailboxes = true;
		u.mailboxes = (int64_t[]){999999};
		u.n_mailboxes = 1;
		TEST_ASSERT_INTEQ(store_jmap_email_update(s, acc, id, &u, NULL),
				  -2);
		/* move to Archive only */
		u.mailboxes = &arch;
		TEST_ASSERT_INTEQ(store_jmap_email_update(s, acc, id, &u, NULL),
				  1);
		TEST_ASSERT_INTEQ(only_email(s, acc, &e), id);
		TEST_ASSERT_INTEQ(e.n_mailboxes, 1);
		TEST_ASSERT_INTEQ(
		    store_jmap_email_update(s, acc, 424242, &u, NULL), 0);
	}

	test_begin("jmap destroy: the last copy goes, the Email is destroyed");
	s2 = state(s, acc);
	TEST_ASSERT_INTEQ(store_jmap_email_destroy(s, acc, id, NULL), 1);
	TEST_ASSERT_INTEQ(store_jmap_email_destroy(s, acc, id, NULL), 0);
	TEST_ASSERT_INTEQ(
	    store_jmap_changes(s, acc, STORE_JMAP_EMAIL, s2, 100, &c, NULL), 1);
	TEST_ASSERT_INTEQ(c.n_destroyed, 1);
	TEST_ASSERT_INTEQ(c.destroyed[0], id);
	store_jmap_changes_free(&c);
	/* from before its creation it is not reported at all */
	TEST_ASSERT_INTEQ(
	    store_jmap_changes(s, acc, STORE_JMAP_EMAIL, s0, 100, &c, NULL), 1);
	TEST_ASSERT_INTEQ(c.n_created + c.n_updated + c.n_destroyed, 0);
	store_jmap_changes_free(&c);

	test_begin("jmap log: mailbox create, rename, delete");
	s2 = state(s, acc);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "P/Q", NULL, NULL), 1);
	TEST_ASSERT_INTEQ(
	    store_jmap_changes(s, acc, STORE_JMAP_MAILBOX, s2, 100, &c, NULL),
	    1);
	TEST_ASSERT_INTEQ(c.n_created, 2);
	store_jmap_changes_free(&c);
	s2 = state(s, acc);
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "P/Q", "P/R", NULL), 1);
	TEST_ASSERT_INTEQ(store_mbox_delete(s, acc, "P/R", NULL), 1);
	TEST_ASSERT_INTEQ(
	    store_jmap_changes(s, acc, STORE_JMAP_MAILBOX, s2, 100, &c, NULL),
	    1);
	TEST_ASSERT_INTEQ(c.n_destroyed, 1);
	TEST_ASSERT_INTEQ(c.n_created + c.n_updated, 0);
	store_jmap_changes_free(&c);
	tstore_teardown(s, dir);
}

static void
test_paging_and_threads(void)
{
	struct store_jmap_changes c;
	struct store_jmap_email *e;
	struct store_jmap_threading t[3];
	const char *r1[] = {"root@x"};
	int64_t *ids, seen = 0;
	char **paths;
	uint64_t s0, since, st;
	size_t n, i, rounds = 0;
	bool more;
	char *dir;
	int64_t acc;
	struct store *s = tstore_setup("jmap", "u@x.test", &dir, &acc);

	test_begin("jmap changes: maxChanges pages through every change");
	s0 = state(s, acc);
	for (i = 0; i < 3; i++)
		tstore_deliver(s, &acc, 1, NULL, "Subject: p\r\n\r\nx\r\n", 0);
	since = s0;
	do {
		TEST_ASSERT_INTEQ(store_jmap_changes(s, acc, STORE_JMAP_EMAIL,
						     since, 2, &c, NULL),
				  1);
		TEST_ASSERT(c.n_created <= 2);
		seen += (int64_t)c.n_created;
		TEST_ASSERT(c.new_state > since);
		since = c.new_state;
		rounds++;
		more = c.more;
		store_jmap_changes_free(&c);
	} while (more && rounds < 10);
	TEST_ASSERT_INTEQ(seen, 3);
	TEST_ASSERT_INTEQ(rounds, 2);

	test_begin("jmap threads: a reply joins, a reply seen first too");
	TEST_ASSERT_INTEQ(
	    store_jmap_unthreaded(s, acc, 100, &ids, &paths, &n, NULL), 0);
	TEST_ASSERT_INTEQ(n, 3);
	TEST_ASSERT(n == 3 && access(paths[0], R_OK) == 0);
	/* 0 refers to root@x (not in the account), 1 is root@x, 2 alone */
	memset(t, 0, sizeof(t));
	for (i = 0; i < 3 && i < n; i++)
		t[i].email_id = ids[i];
	t[0].msgid = "child@x";
	t[0].refs = r1;
	t[0].n_refs = 1;
	t[1].msgid = "root@x";
	t[2].msgid = "other@x";
	TEST_ASSERT_INTEQ(store_jmap_thread_assign(s, acc, t, 3, NULL), 0);
	TEST_ASSERT_INTEQ(store_jmap_emails(s, acc, NULL, 0, &e, &n, &st, NULL),
			  0);
	TEST_ASSERT_INTEQ(n, 3);
	if (n == 3) {
		TEST_ASSERT_INTEQ(e[0].thread_id, e[0].id);
		TEST_ASSERT_INTEQ(e[1].thread_id, e[0].id);
		TEST_ASSERT_INTEQ(e[2].thread_id, e[2].id);
	}
	store_jmap_emails_free(e, n);
	TEST_ASSERT_INTEQ(
	    store_jmap_changes(s, acc, STORE_JMAP_THREAD, s0, 100, &c, NULL),
	    1);
	TEST_ASSERT_INTEQ(c.n_created, 2);
	store_jmap_changes_free(&c);
	store_jmap_unthreaded_free(ids, paths, 3);
	TEST_ASSERT_INTEQ(
	    store_jmap_unthreaded(s, acc, 100, &ids, &paths, &n, NULL), 0);
	TEST_ASSERT_INTEQ(n, 0);
	store_jmap_unthreaded_free(ids, paths, n);

	test_begin("jmap mailboxes: counts per RFC 8621 2");
	{
		struct store_jmap_mbox *l;
		size_t k, j;

		TEST_ASSERT_INTEQ(store_jmap_mboxes(s, acc, &l, &k, &st, NULL),
				  0);
		for (j = 0; j < k && strcmp(l[j].name, "INBOX") != 0; j++)
			;
		TEST_ASSERT(j < k);
		if (j < k) {
			TEST_ASSERT_INTEQ(l[j].total, 3);
			TEST_ASSERT_INTEQ(l[j].unread, 3);
			TEST_ASSERT_INTEQ(l[j].threads, 2);
			TEST_ASSERT_INTEQ(l[j].unread_threads, 2);
			TEST_ASSERT(l[j].subscribed);
		}
		store_jmap_mboxes_free(l, k);
	}
	tstore_teardown(s, dir);
}

TEST_MAIN(test_change_log, test_paging_and_threads)

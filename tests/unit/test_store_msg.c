/* test_store_msg.c: the store's message API for IMAP (store_msg.h):
   snapshot, changes since a modseq, FETCH data, flags with keywords and
   UNCHANGEDSINCE, copy and move, APPEND-like deliveries, and the notify
   hook of group-committed deliveries. */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ev.h"
#include "pool.h"
#include "store/store.h"
#include "test.h"
#include "tstore.h"

/* ---- helpers ---- */

struct notes {
	_Atomic int n;
	int64_t ids[256];
	pthread_t thread;
};

static void
on_notify(void *arg, enum store_change kind, int64_t mailbox_id)
{
	struct notes *no = arg;
	int i;

	if (kind != STORE_CHANGE_MAILBOX)
		return; /* account-wide: JMAP push */
	i = atomic_fetch_add(&no->n, 1);

	if (i < 256)
		no->ids[i] = mailbox_id;
	no->thread = pthread_self();
}

/* ---- snapshot and changes ---- */

static void
test_snapshot_changes(void)
{
	char *dir = tstore_dir_new("msg");
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct store_msg_list l;
	struct store_msg_changes c;
	struct store_flag_result *r;
	struct store_flag_update u;
	const char *kw[] = {"$Work"};
	uint32_t uid2 = 2, uid1 = 1;
	uint64_t hms;
	int64_t acc, inbox;
	size_t n;

	test_begin("msg snapshot: every message in UID order");
	TEST_ASSERT(s != NULL);
	acc = tstore_account_add(s, "a@x.test");
	inbox = tstore_mbox(s, acc, "INBOX");
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, inbox, &l, &err), 1);
	TEST_ASSERT_INTEQ(l.n, 0);
	TEST_ASSERT_INTEQ(l.uidnext, 1);
	store_msg_list_free(&l);
	tstore_deliver(s, &acc, 1, NULL, "Subject: 1\r\n\r\n", STORE_FLAG_SEEN);
	tstore_deliver(s, &acc, 1, NULL, "Subject: 2\r\n\r\n", 0);
	tstore_deliver(s, &acc, 1, NULL, "Subject: 3\r\n\r\n",
		       STORE_FLAG_FLAGGED);
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, inbox, &l, &err), 1);
	TEST_ASSERT_INTEQ(l.n, 3);
	TEST_ASSERT_INTEQ(l.uidnext, 4);
	TEST_ASSERT(l.uidvalidity > 0);
	if (l.n == 3) {
		TEST_ASSERT_INTEQ(l.m[0].uid, 1);
		TEST_ASSERT_INTEQ(l.m[0].flags, STORE_FLAG_SEEN);
		TEST_ASSERT_INTEQ(l.m[2].uid, 3);
		TEST_ASSERT_INTEQ(l.m[2].flags, STORE_FLAG_FLAGGED);
		TEST_ASSERT(l.m[0].modseq < l.m[1].modseq &&
			    l.m[1].modseq < l.m[2].modseq);
		TEST_ASSERT_INTEQ(l.highestmodseq, l.m[2].modseq);
		TEST_ASSERT(l.m[1].keywords == NULL);
	}
	hms = l.highestmodseq;
	store_msg_list_free(&l);
	TEST_ASSERT(l.m == NULL && l.n == 0);
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, 9999, &l, &err), 0);

	test_begin("msg changes: nothing, then flags, expunge, delivery");
	TEST_ASSERT_INTEQ(store_msg_changes(s, inbox, hms, &c, &err), 1);
	TEST_ASSERT_INTEQ(c.l.n, 0);
	TEST_ASSERT_INTEQ(c.n_expunged, 0);
	TEST_ASSERT_INTEQ(c.l.highestmodseq, hms);
	store_msg_changes_free(&c);
	memset(&u, 0, sizeof(u));
	u.uids = &uid2;
	u.n = 1;
	u.mode = 1;
	u.flags = STORE_FLAG_ANSWERED;
	u.keywords = kw;
	u.n_keywords = 1;
	TEST_ASSERT_INTEQ(store_msg_flags(s, inbox, &u, &r, &n, &err), 0);
	store_flag_results_free(r, n);
	TEST_ASSERT_INTEQ(store_expunge(s, inbox, &uid1, 1, &err), 1);
	TEST_ASSERT_INTEQ(
	    tstore_deliver(s, &acc, 1, NULL, "Subject: 4\r\n\r\n", 0), 4);
	TEST_ASSERT_INTEQ(store_msg_changes(s, inbox, hms, &c, &err), 1);
	TEST_ASSERT_INTEQ(c.l.n, 2);
	if (c.l.n == 2) {
		TEST_ASSERT_INTEQ(c.l.m[0].uid, 2);
		TEST_ASSERT_INTEQ(c.l.m[0].flags, STORE_FLAG_ANSWERED);
		TEST_ASSERT_STREQ(c.l.m[0].keywords, "$Work");
		TEST_ASSERT_INTEQ(c.l.m[0].modseq, hms + 1);
		TEST_ASSERT_INTEQ(c.l.m[1].uid, 4);
		TEST_ASSERT_INTEQ(c.l.m[1].modseq, hms + 3);
	}
	TEST_ASSERT_INTEQ(c.n_expunged, 1);
	if (c.n_expunged == 1)
		TEST_ASSERT_INTEQ(c.expunged[0], 1);
	TEST_ASSERT_INTEQ(c.l.uidnext, 5);
	TEST_ASSERT_INTEQ(c.l.highestmodseq, hms + 3);
	store_msg_changes_free(&c);
	/* since the expunge: only the delivery */
	TEST_ASSERT_INTEQ(store_msg_changes(s, inbox, hms + 2, &c, &err), 1);
	TEST_ASSERT_INTEQ(c.l.n, 1);
	TEST_ASSERT_INTEQ(c.n_expunged, 0);
	store_msg_changes_free(&c);
	/* since 0: everything there, every expunge */
	TEST_ASSERT_INTEQ(store_msg_changes(s, inbox, 0, &c, &err), 1);
	TEST_ASSERT_INTEQ(c.l.n, 3);
	TEST_ASSERT_INTEQ(c.n_expunged, 1);
	store_msg_changes_free(&c);
	TEST_ASSERT_INTEQ(store_msg_changes(s, 9999, 0, &c, &err), 0);
	TEST_ASSERT(c.expunged == NULL && c.l.m == NULL);
	tstore_teardown(s, dir);
}

/* ---- FETCH data ---- */

static void
test_fetch(void)
{
	char *dir = tstore_dir_new("msg");
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct store_delivery d;
	struct store_msg_data *m;
	struct tstore_done r = {0};
	uint32_t want[] = {1, 3, 99}, sparse[] = {2, 5000, 100000};
	char buf[256];
	int64_t acc, inbox;
	size_t n, i;
	FILE *f;

	test_begin("msg fetch: stored fields, gone UIDs skipped");
	TEST_ASSERT(s != NULL);
	acc = tstore_account_add(s, "a@x.test");
	inbox = tstore_mbox(s, acc, "INBOX");
	tstore_delivery(s, &d, &acc, 1, "Subject: hello\r\n\r\nbody\r\n");
	d.envelope = "(NIL \"hello\" NIL NIL NIL NIL NIL NIL NIL NIL)";
	d.bodystructure = "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 6 1)";
	d.body = "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 6 1)";
	d.hdr_subject = "hello";
	d.hdr_from = "x@y";
	d.hdr_message_id = "<id@y>";
	d.hdr_date = 1600000000;
	d.internaldate = 1650000000;
	d.flags = STORE_FLAG_DRAFT;
	d.keywords = "$Label1";
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.ok, 1);
	tstore_deliver(s, &acc, 1, NULL, "Subject: two\r\n\r\n", 0);
	tstore_deliver(s, &acc, 1, NULL, "Subject: three\r\n\r\n",
		       STORE_FLAG_SEEN);
	TEST_ASSERT_INTEQ(store_msg_fetch(s, inbox, want, 3, &m, &n, &err), 0);
	TEST_ASSERT_INTEQ(n, 2);
	if (n == 2) {
		TEST_ASSERT_INTEQ(m[0].uid, 1);
		TEST_ASSERT_INTEQ(m[0].flags, STORE_FLAG_DRAFT);
		TEST_ASSERT_STREQ(m[0].keywords, "$Label1");
		TEST_ASSERT_INTEQ(m[0].internaldate, 1650000000);
		TEST_ASSERT_INTEQ(m[0].size, strlen("Subject: hello\r\n\r\n"
						    "body\r\n"));
		TEST_ASSERT_STREQ(m[0].envelope, d.envelope);
		TEST_ASSERT_STREQ(m[0].bodystructure, d.bodystructure);
		TEST_ASSERT_STREQ(m[0].body, d.body);
		TEST_ASSERT_STREQ(m[0].hdr_subject, "hello");
		TEST_ASSERT_STREQ(m[0].hdr_from, "x@y");
		TEST_ASSERT(m[0].hdr_to == NULL && m[0].hdr_cc == NULL);
		TEST_ASSERT_STREQ(m[0].hdr_message_id, "<id@y>");
		TEST_ASSERT_INTEQ(m[0].hdr_date, 1600000000);
		TEST_ASSERT(m[0].modseq > 0);
		TEST_ASSERT(m[0].blob_path != NULL && m[0].blob_path[0] == '/');
		f = fopen(m[0].blob_path, "r");
		TEST_ASSERT(f != NULL);
		if (f != NULL) {
			i = fread(buf, 1, sizeof(buf) - 1, f);
			buf[i] = '\0';
			fclose(f);
			TEST_ASSERT_STREQ(buf,
					  "Subject: hello\r\n\r\nbody\r\n");
		}
		TEST_ASSERT_INTEQ(m[1].uid, 3);
		TEST_ASSERT_INTEQ(m[1].flags, STORE_FLAG_SEEN);
		TEST_ASSERT(m[1].envelope == NULL && m[1].keywords == NULL);
	}
	store_msg_data_free(m, n);

	test_begin("msg fetch: dense, sparse and empty sets, other mailboxes");
	TEST_ASSERT_INTEQ(
	    store_msg_fetch(s, inbox, (uint32_t[]){1, 2, 3}, 3, &m, &n, &err),
	    0);
	TEST_ASSERT_INTEQ(n, 3);
	if (n == 3)
		TEST_ASSERT(m[0].uid == 1 && m[1].uid == 2 && m[2].uid == 3);
	store_msg_data_free(m, n);
	TEST_ASSERT_INTEQ(store_msg_fetch(s, inbox, sparse, 3, &m, &n, &err),
			  0);
	TEST_ASSERT_INTEQ(n, 1);
	if (n == 1)
		TEST_ASSERT_INTEQ(m[0].uid, 2);
	store_msg_data_free(m, n);
	TEST_ASSERT_INTEQ(store_msg_fetch(s, inbox, sparse, 0, &m, &n, &err),
			  0);
	TEST_ASSERT_INTEQ(n, 0);
	TEST_ASSERT_INTEQ(store_msg_fetch(s, tstore_mbox(s, acc, "Sent"), want,
					  3, &m, &n, &err),
			  0);
	TEST_ASSERT_INTEQ(n, 0);
	store_msg_data_free(m, n);
	tstore_teardown(s, dir);
}

/* ---- flags ---- */

/* Apply a STORE to mbox; the results go to *r_r and *n_r. */
static int
flags(struct store *s, int64_t mbox, const uint32_t *uids, size_t n, int mode,
      uint32_t fl, const char *const *kw, size_t n_kw, int64_t unchangedsince,
      struct store_flag_result **r_r, size_t *n_r)
{
	struct store_flag_update u;

	memset(&u, 0, sizeof(u));
	u.uids = uids;
	u.n = n;
	u.mode = mode;
	u.flags = fl;
	u.keywords = kw;
	u.n_keywords = n_kw;
	u.unchangedsince_given = unchangedsince >= 0;
	u.unchangedsince = unchangedsince >= 0 ? (uint64_t)unchangedsince : 0;
	return store_msg_flags(s, mbox, &u, r_r, n_r, NULL);
}

static void
test_flags(void)
{
	char *dir = tstore_dir_new("msg");
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct store_flag_result *r;
	struct store_msg_list l;
	struct notes no = {0};
	uint32_t all[] = {1, 2, 3, 7};
	const char *kw1[] = {"$Work", "$work", "Later"};
	const char *kw2[] = {"$WORK", "New"};
	const char *kw3[] = {"LATER", "nothere"};
	uint64_t hms;
	int64_t acc, inbox;
	size_t n;

	test_begin("msg flags: add with keywords, deduped without case");
	TEST_ASSERT(s != NULL);
	acc = tstore_account_add(s, "a@x.test");
	inbox = tstore_mbox(s, acc, "INBOX");
	tstore_deliver(s, &acc, 1, NULL, "1", 0);
	tstore_deliver(s, &acc, 1, NULL, "2", STORE_FLAG_SEEN);
	tstore_deliver(s, &acc, 1, NULL, "3", 0);
	TEST_ASSERT_INTEQ(store_add_notify(s, on_notify, &no), 0);
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, inbox, &l, &err), 1);
	hms = l.highestmodseq;
	store_msg_list_free(&l);
	TEST_ASSERT_INTEQ(
	    flags(s, inbox, all, 4, 1, STORE_FLAG_SEEN, kw1, 3, -1, &r, &n), 0);
	TEST_ASSERT_INTEQ(n, 3); /* 7 does not exist */
	if (n == 3) {
		TEST_ASSERT_INTEQ(r[0].uid, 1);
		TEST_ASSERT(r[0].changed && !r[0].modified);
		TEST_ASSERT_INTEQ(r[0].flags, STORE_FLAG_SEEN);
		TEST_ASSERT_STREQ(r[0].keywords, "$Work Later");
		TEST_ASSERT_INTEQ(r[0].modseq, hms + 1);
		TEST_ASSERT(r[1].changed);
		TEST_ASSERT_INTEQ(r[2].modseq, hms + 1);
	}
	store_flag_results_free(r, n);
	TEST_ASSERT_INTEQ(no.n, 1);
	TEST_ASSERT_INTEQ(no.ids[0], inbox);

	test_begin("msg flags: no change keeps the modseq, writes nothing");
	TEST_ASSERT_INTEQ(
	    flags(s, inbox, all, 3, 1, STORE_FLAG_SEEN, kw2, 1, -1, &r, &n), 0);
	TEST_ASSERT_INTEQ(n, 3);
	if (n == 3) {
		TEST_ASSERT(!r[0].changed && !r[2].changed);
		TEST_ASSERT_INTEQ(r[0].modseq, hms + 1);
		TEST_ASSERT_STREQ(r[0].keywords, "$Work Later");
	}
	store_flag_results_free(r, n);
	TEST_ASSERT_INTEQ(no.n, 1);
	/* replace with the same set spelled otherwise: unchanged */
	{
		const char *same[] = {"later", "$WORK"};

		TEST_ASSERT_INTEQ(flags(s, inbox, all, 1, 0, STORE_FLAG_SEEN,
					same, 2, -1, &r, &n),
				  0);
		TEST_ASSERT(n == 1 && !r[0].changed);
		store_flag_results_free(r, n);
	}
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, inbox, &l, &err), 1);
	TEST_ASSERT_INTEQ(l.highestmodseq, hms + 1);
	store_msg_list_free(&l);

	test_begin("msg flags: remove and replace");
	TEST_ASSERT_INTEQ(flags(s, inbox, all + 1, 1, -1, STORE_FLAG_SEEN, kw3,
				2, -1, &r, &n),
			  0);
	TEST_ASSERT_INTEQ(n, 1);
	if (n == 1) {
		TEST_ASSERT_INTEQ(r[0].uid, 2);
		TEST_ASSERT(r[0].changed);
		TEST_ASSERT_INTEQ(r[0].flags, 0);
		TEST_ASSERT_STREQ(r[0].keywords, "$Work");
		TEST_ASSERT_INTEQ(r[0].modseq, hms + 2);
	}
	store_flag_results_free(r, n);
	TEST_ASSERT_INTEQ(flags(s, inbox, all + 2, 1, 0,
				STORE_FLAG_DELETED | STORE_FLAG_DRAFT | 0x100,
				kw2, 2, -1, &r, &n),
			  0);
	if (n == 1) {
		TEST_ASSERT_INTEQ(r[0].flags,
				  STORE_FLAG_DELETED | STORE_FLAG_DRAFT);
		TEST_ASSERT_STREQ(r[0].keywords, "$WORK New");
	}
	store_flag_results_free(r, n);
	TEST_ASSERT_INTEQ(
	    flags(s, inbox, all + 2, 1, 0, 0, NULL, 0, -1, &r, &n), 0);
	if (n == 1) {
		TEST_ASSERT_INTEQ(r[0].flags, 0);
		TEST_ASSERT(r[0].keywords == NULL);
	}
	store_flag_results_free(r, n);
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, inbox, &l, &err), 1);
	if (l.n == 3) {
		TEST_ASSERT_STREQ(l.m[0].keywords, "$Work Later");
		TEST_ASSERT_STREQ(l.m[1].keywords, "$Work");
		TEST_ASSERT(l.m[2].keywords == NULL);
		TEST_ASSERT_INTEQ(l.m[1].modseq, hms + 2);
		TEST_ASSERT_INTEQ(l.m[2].modseq, hms + 4);
	}
	store_msg_list_free(&l);

	test_begin("msg flags: UNCHANGEDSINCE");
	/* modseqs now: 1 -> hms+1, 2 -> hms+2, 3 -> hms+4 */
	TEST_ASSERT_INTEQ(flags(s, inbox, all, 3, 1, STORE_FLAG_FLAGGED, NULL,
				0, (int64_t)hms + 2, &r, &n),
			  0);
	TEST_ASSERT_INTEQ(n, 3);
	if (n == 3) {
		TEST_ASSERT(r[0].changed && !r[0].modified);
		TEST_ASSERT(r[1].changed && !r[1].modified);
		TEST_ASSERT(!r[2].changed && r[2].modified);
		TEST_ASSERT_INTEQ(r[0].modseq, hms + 5);
		TEST_ASSERT_INTEQ(r[2].modseq, hms + 4);
		TEST_ASSERT_INTEQ(r[2].flags, 0);
	}
	store_flag_results_free(r, n);
	/* a message that would not change still fails the test (RFC 7162
	   3.1.3), and UNCHANGEDSINCE 0 fails every message */
	TEST_ASSERT_INTEQ(
	    flags(s, inbox, all, 1, 1, STORE_FLAG_FLAGGED, NULL, 0, 0, &r, &n),
	    0);
	TEST_ASSERT(n == 1 && r[0].modified && !r[0].changed);
	store_flag_results_free(r, n);
	TEST_ASSERT_INTEQ(
	    flags(s, inbox, all, 0, 1, STORE_FLAG_FLAGGED, NULL, 0, -1, &r, &n),
	    0);
	TEST_ASSERT_INTEQ(n, 0);
	TEST_ASSERT(no.thread == pthread_self());
	tstore_teardown(s, dir);
}

/* ---- copy and move ---- */

static void
test_copy_move(void)
{
	char *dir = tstore_dir_new("msg");
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct store_msg_changes c;
	struct store_msg_list l;
	struct store_flag_result *r;
	struct store_msg_data *m;
	struct notes no = {0};
	uint32_t want[] = {1, 3, 50}, *su, *du, uv, trash_uv;
	const char *kw[] = {"$Keep"};
	int64_t acc, other, inbox, trash;
	uint64_t trash_hms, inbox_hms;
	size_t n, k;

	test_begin("msg copy: new UIDs in order, flags kept, COPYUID");
	TEST_ASSERT(s != NULL);
	acc = tstore_account_add(s, "a@x.test");
	other = tstore_account_add(s, "b@x.test");
	inbox = tstore_mbox(s, acc, "INBOX");
	trash = tstore_mbox(s, acc, "Trash");
	tstore_deliver(s, &acc, 1, NULL, "one", STORE_FLAG_SEEN);
	tstore_deliver(s, &acc, 1, NULL, "two", 0);
	tstore_deliver(s, &acc, 1, NULL, "three", STORE_FLAG_FLAGGED);
	TEST_ASSERT_INTEQ(flags(s, inbox, want + 1, 1, 1, 0, kw, 1, -1, &r, &n),
			  0);
	store_flag_results_free(r, n);
	TEST_ASSERT_INTEQ(store_msg_copy(s, inbox, want, 1, trash, false, &su,
					 &du, &n, &uv, &err),
			  1);
	free(su);
	free(du);
	TEST_ASSERT_INTEQ(store_msg_copy(s, trash, want, 1, inbox, true, &su,
					 &du, &n, &uv, &err),
			  1); /* moved back: inbox uid 5 */
	free(su);
	free(du);
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, trash, &l, &err), 1);
	TEST_ASSERT_INTEQ(l.n, 0);
	TEST_ASSERT_INTEQ(l.uidnext, 2);
	trash_hms = l.highestmodseq;
	trash_uv = l.uidvalidity;
	store_msg_list_free(&l);
	TEST_ASSERT_INTEQ(store_add_notify(s, on_notify, &no), 0);
	TEST_ASSERT_INTEQ(store_msg_copy(s, inbox, want, 3, trash, false, &su,
					 &du, &n, &uv, &err),
			  1);
	TEST_ASSERT_INTEQ(n, 2);
	TEST_ASSERT_INTEQ(uv, trash_uv);
	if (n == 2) {
		TEST_ASSERT_INTEQ(su[0], 1);
		TEST_ASSERT_INTEQ(su[1], 3);
		TEST_ASSERT_INTEQ(du[0], 2);
		TEST_ASSERT_INTEQ(du[1], 3);
	}
	free(su);
	free(du);
	TEST_ASSERT_INTEQ(no.n, 1);
	TEST_ASSERT_INTEQ(no.ids[0], trash);
	TEST_ASSERT_INTEQ(
	    store_msg_fetch(s, trash, (uint32_t[]){2, 3}, 2, &m, &k, &err), 0);
	TEST_ASSERT_INTEQ(k, 2);
	if (k == 2) {
		TEST_ASSERT_INTEQ(m[0].flags, STORE_FLAG_SEEN);
		TEST_ASSERT(m[0].keywords == NULL);
		TEST_ASSERT_INTEQ(m[0].size, 3);
		TEST_ASSERT_INTEQ(m[0].internaldate, 1700000000);
		TEST_ASSERT_INTEQ(m[1].flags, STORE_FLAG_FLAGGED);
		TEST_ASSERT_STREQ(m[1].keywords, "$Keep");
		TEST_ASSERT_INTEQ(m[1].modseq, trash_hms + 1);
		TEST_ASSERT_INTEQ(m[1].size, 5);
	}
	store_msg_data_free(m, k);
	/* the originals are untouched */
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, inbox, &l, &err), 1);
	TEST_ASSERT_INTEQ(l.n, 4);
	inbox_hms = l.highestmodseq;
	store_msg_list_free(&l);

	test_begin("msg copy: missing destination, nothing to copy");
	no.n = 0;
	TEST_ASSERT_INTEQ(store_msg_copy(s, inbox, want, 3, 9999, false, &su,
					 &du, &n, &uv, &err),
			  0);
	TEST_ASSERT(su == NULL && du == NULL && n == 0);
	TEST_ASSERT_INTEQ(store_msg_copy(s, inbox, want + 2, 1, trash, false,
					 &su, &du, &n, &uv, &err),
			  1);
	TEST_ASSERT_INTEQ(n, 0);
	TEST_ASSERT(uv > 0);
	free(su);
	free(du);
	TEST_ASSERT_INTEQ(no.n, 0);
	TEST_ASSERT_INTEQ(store_msg_copy(s, inbox, want, 3,
					 tstore_mbox(s, other, "INBOX"), false,
					 &su, &du, &n, &uv, &err),
			  -1);

	test_begin("msg move: expunged from the source with a modseq");
	TEST_ASSERT_INTEQ(store_msg_copy(s, inbox, want, 3, trash, true, &su,
					 &du, &n, &uv, &err),
			  1);
	TEST_ASSERT_INTEQ(n, 2);
	if (n == 2) {
		TEST_ASSERT_INTEQ(du[0], 4);
		TEST_ASSERT_INTEQ(du[1], 5);
	}
	free(su);
	free(du);
	TEST_ASSERT_INTEQ(no.n, 2);
	TEST_ASSERT(no.ids[0] == trash && no.ids[1] == inbox);
	TEST_ASSERT_INTEQ(store_msg_changes(s, inbox, inbox_hms, &c, &err), 1);
	TEST_ASSERT_INTEQ(c.l.n, 0);
	TEST_ASSERT_INTEQ(c.n_expunged, 2);
	if (c.n_expunged == 2) {
		TEST_ASSERT_INTEQ(c.expunged[0], 1);
		TEST_ASSERT_INTEQ(c.expunged[1], 3);
	}
	TEST_ASSERT_INTEQ(c.l.highestmodseq, inbox_hms + 1);
	store_msg_changes_free(&c);
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, trash, &l, &err), 1);
	TEST_ASSERT_INTEQ(l.n, 4);
	store_msg_list_free(&l);
	/* moving within one mailbox renumbers */
	no.n = 0;
	TEST_ASSERT_INTEQ(store_msg_copy(s, trash, (uint32_t[]){2}, 1, trash,
					 true, &su, &du, &n, &uv, &err),
			  1);
	TEST_ASSERT(n == 1 && su[0] == 2 && du[0] == 6);
	free(su);
	free(du);
	TEST_ASSERT_INTEQ(no.n, 1);
	tstore_teardown(s, dir);
}

/* ---- APPEND-like deliveries ---- */

static void
test_append(void)
{
	char *dir = tstore_dir_new("msg");
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct store_delivery d;
	struct store_msg_list l;
	struct store_mbox mb;
	struct tstore_done r = {0};
	struct notes no = {0};
	int64_t acc, ids[2];

	test_begin("append: mailbox, keywords, flags, APPENDUID");
	TEST_ASSERT(s != NULL);
	acc = tstore_account_add(s, "a@x.test");
	TEST_ASSERT_INTEQ(store_add_notify(s, on_notify, &no), 0);
	tstore_delivery(s, &d, &acc, 1, "Subject: draft\r\n\r\n");
	d.mailbox = "Drafts";
	d.flags = STORE_FLAG_DRAFT | STORE_FLAG_SEEN;
	d.keywords = "$A  $b $a Custom";
	d.no_create = true;
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.ok, 1);
	TEST_ASSERT_INTEQ(d.out_uid, 1);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "Drafts", &mb, &err), 1);
	TEST_ASSERT_INTEQ(d.out_uidvalidity, mb.uidvalidity);
	TEST_ASSERT_INTEQ(no.n, 1);
	TEST_ASSERT_INTEQ(no.ids[0], mb.id);
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, mb.id, &l, &err), 1);
	TEST_ASSERT_INTEQ(l.n, 1);
	if (l.n == 1) {
		TEST_ASSERT_INTEQ(l.m[0].flags,
				  STORE_FLAG_DRAFT | STORE_FLAG_SEEN);
		TEST_ASSERT_STREQ(l.m[0].keywords, "$A $b Custom");
	}
	store_msg_list_free(&l);
	store_mbox_clear(&mb);

	test_begin("append: no_create fails on a missing mailbox");
	no.n = 0;
	r.ok = r.calls = 0;
	tstore_delivery(s, &d, &acc, 1, "Subject: lost\r\n\r\n");
	d.mailbox = "Missing/Box";
	d.no_create = true;
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.calls, 1);
	TEST_ASSERT_INTEQ(r.ok, 0);
	TEST_ASSERT_STREQ(r.error, "no such mailbox");
	TEST_ASSERT_INTEQ(tstore_mbox(s, acc, "Missing/Box"), 0);
	TEST_ASSERT_INTEQ(tstore_mbox(s, acc, "Missing"), 0);
	TEST_ASSERT_INTEQ(no.n, 0);
	tstore_delivery(s, &d, &acc, 1, "Subject: bad\r\n\r\n");
	d.mailbox = "a//b";
	d.no_create = true;
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_STREQ(r.error, "no such mailbox");

	test_begin("append: created with superiors without no_create");
	tstore_delivery(s, &d, &acc, 1, "Subject: made\r\n\r\n");
	d.mailbox = "Missing/Box";
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.ok, 1);
	TEST_ASSERT_INTEQ(d.out_uid, 1);
	TEST_ASSERT(tstore_mbox(s, acc, "Missing") > 0);
	TEST_ASSERT_INTEQ(no.n, 1);
	TEST_ASSERT_INTEQ(no.ids[0], tstore_mbox(s, acc, "Missing/Box"));

	test_begin("append: APPENDUID is the lowest account's copy");
	ids[0] = tstore_account_add(s, "b@x.test");
	ids[1] = acc;
	tstore_deliver(s, &ids[0], 1, NULL, "b1", 0);
	tstore_deliver(s, &ids[0], 1, NULL, "b2", 0);
	no.n = 0;
	tstore_delivery(s, &d, ids, 2, "Subject: both\r\n\r\n");
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.ok, 2);
	TEST_ASSERT_INTEQ(d.out_uid, 1); /* acc < ids[0]: acc's INBOX */
	TEST_ASSERT_INTEQ(no.n, 2);
	tstore_teardown(s, dir);
}

/* ---- notify after group commit ---- */

static void
on_timeout(struct ev *ev, void *arg)
{
	*(int *)arg = 1;
	ev_stop(ev);
}

static void
test_notify_group_commit(void)
{
	char *dir = tstore_dir_new("msg");
	const char *err = NULL;
	struct ev *ev = ev_new();
	struct pool *pool = pool_new(ev, 2);
	struct store *s = store_open(dir, pool, &err);
	struct store_delivery d[40];
	struct store_stats st;
	struct tstore_done r = {0};
	struct notes no = {0};
	int64_t ids[2], in0, in1;
	int i, fired = 0, seen0 = 0, seen1 = 0, n;

	test_begin("notify: once per mailbox and batch, on the committer");
	TEST_ASSERT(s != NULL);
	ids[0] = tstore_account_add(s, "a@x.test");
	ids[1] = tstore_account_add(s, "b@x.test");
	in0 = tstore_mbox(s, ids[0], "INBOX");
	in1 = tstore_mbox(s, ids[1], "INBOX");
	TEST_ASSERT_INTEQ(store_add_notify(s, on_notify, &no), 0);
	r.ev = ev;
	r.stop_at = 40;
	for (i = 0; i < 40; i++) {
		tstore_delivery(s, &d[i], ids, i % 4 == 0 ? 2 : 1,
				"Subject: g\r\n\r\n");
		store_deliver(s, &d[i], tstore_on_done, &r);
	}
	ev_add_timer(ev, 60000, on_timeout, &fired);
	ev_run(ev);
	TEST_ASSERT_INTEQ(fired, 0);
	TEST_ASSERT_INTEQ(r.ok, 40);
	store_stats(s, &st);
	n = atomic_load(&no.n);
	for (i = 0; i < n && i < 256; i++) {
		seen0 += no.ids[i] == in0;
		seen1 += no.ids[i] == in1;
	}
	TEST_ASSERT_INTEQ(seen0 + seen1, n);
	TEST_ASSERT(seen0 >= 1 && seen1 >= 1);
	TEST_ASSERT(seen0 <= (int)st.commits && seen1 <= (int)st.commits);
	TEST_ASSERT(!pthread_equal(no.thread, pthread_self()));
	printf("notify: %d calls for %llu commits\n", n,
	       (unsigned long long)st.commits);
	store_close(&s);
	pool_free(&pool);
	ev_free(&ev);
	tstore_dir_free(dir);
}

TEST_MAIN(test_snapshot_changes, test_fetch, test_flags, test_copy_move,
	  test_append, test_notify_group_commit)

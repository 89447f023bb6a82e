/* test_store_mbox.c: the store's mailbox API for IMAP (store_mbox.h):
   create, delete, rename, subscriptions, status, \Recent, usage, the
   notify hook, and the schema v2 -> v3 migration. */
/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "limits.h"
#include "store/store.h"
#include "test.h"
#include "tstore.h"

/* ---- helpers ---- */

/* Files under dir/blobs. */
static int
count_blobs(const char *dir)
{
	char path[4096];
	struct dirent *de;
	int files = 0, i;
	DIR *d;

	for (i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "%s/blobs/%02x", dir, i);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			files += de->d_name[0] != '.';
		closedir(d);
	}
	return files;
}

/* The mailbox names of acc joined with ',' ("*" after subscribed ones). */
static void
names_of(struct store *s, int64_t acc, char *out, size_t cap)
{
	struct store_mbox *l;
	size_t n, i;

	out[0] = '\0';
	TEST_ASSERT_INTEQ(store_mbox_list(s, acc, &l, &n, NULL), 0);
	for (i = 0; i < n; i++) {
		snprintf(out + strlen(out), cap - strlen(out), "%s%s%s",
			 i > 0 ? "," : "", l[i].name,
			 l[i].subscribed ? "*" : "");
	}
	store_mbox_list_free(l, n);
}

static void
subs_of(struct store *s, int64_t acc, char *out, size_t cap)
{
	char **names;
	size_t n, i;

	out[0] = '\0';
	TEST_ASSERT_INTEQ(store_mbox_subscriptions(s, acc, &names, &n, NULL),
			  0);
	for (i = 0; i < n; i++) {
		snprintf(out + strlen(out), cap - strlen(out), "%s%s",
			 i > 0 ? "," : "", names[i]);
		free(names[i]);
	}
	free(names);
}

/* ---- create / list / get ---- */

static void
test_create(void)
{
	char *dir, buf[1024], name[STORE_MBOX_NAME_MAX + 8];
	const char *err = NULL;
	struct store_mbox m;
	struct store *s;
	int64_t acc;
	size_t i;
	static const char *const bad[] = {
	    "", "/", "a//b", "/a", "a/", "a*b", "a%", "a\tb", "\xc3(", "a\x7f",
	};

	test_begin("mbox: initial mailboxes, subscribed, special use");
	s = tstore_setup("mbox", "a@x.test", &dir, &acc);
	names_of(s, acc, buf, sizeof(buf));
	TEST_ASSERT_STREQ(buf, "Archive*,Drafts*,INBOX*,Junk*,Sent*,Trash*");
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "Sent", &m, &err), 1);
	TEST_ASSERT_STREQ(m.special_use, "\\Sent");
	TEST_ASSERT(m.uidvalidity > 0 && m.uidnext == 1);
	TEST_ASSERT(m.highestmodseq >= 1);
	store_mbox_clear(&m);
	TEST_ASSERT(m.name == NULL);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "inbox", &m, &err), 1);
	TEST_ASSERT_STREQ(m.name, "INBOX");
	TEST_ASSERT(m.special_use == NULL);
	store_mbox_clear(&m);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "sent", &m, &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc + 1, "INBOX", &m, &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "a//b", &m, &err), 0);

	test_begin("mbox: create with superiors, exists, INBOX any case");
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "a/b/c", NULL, &err), 1);
	TEST_ASSERT(tstore_mbox(s, acc, "a") > 0);
	TEST_ASSERT(tstore_mbox(s, acc, "a/b") > 0);
	TEST_ASSERT(tstore_mbox(s, acc, "a/b/c") > 0);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "a/b/c", NULL, &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "a", NULL, &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "iNbOx", NULL, &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "inbox/Sub", NULL, &err),
			  1);
	TEST_ASSERT(tstore_mbox(s, acc, "INBOX/Sub") > 0);
	TEST_ASSERT_INTEQ(
	    store_mbox_create(s, acc, "Caf\xc3\xa9/x", "\\Archive", &err), 1);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "Caf\xc3\xa9/x", &m, &err), 1);
	TEST_ASSERT_STREQ(m.special_use, "\\Archive");
	store_mbox_clear(&m);
	names_of(s, acc, buf, sizeof(buf));
	/* created mailboxes are not subscribed; list is in name order */
	TEST_ASSERT_STREQ(buf, "Archive*,Caf\xc3\xa9,Caf\xc3\xa9/x,Drafts*,"
			       "INBOX*,INBOX/Sub,Junk*,Sent*,Trash*,a,a/b,"
			       "a/b/c");
	TEST_ASSERT_INTEQ(tstore_sql_int(dir,
					 "SELECT count(DISTINCT uidvalidity) = "
					 "count(*) FROM mailboxes"),
			  1);

	test_begin("mbox: bad names refused");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		TEST_ASSERT_INTEQ(store_mbox_create(s, acc, bad[i], NULL, &err),
				  -1);
		TEST_ASSERT(err != NULL);
	}
	memset(name, 'x', STORE_MBOX_NAME_MAX + 1);
	name[STORE_MBOX_NAME_MAX + 1] = '\0';
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, name, NULL, &err), -1);
	TEST_ASSERT(strstr(err, "long") != NULL);
	name[STORE_MBOX_NAME_MAX] = '\0';
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, name, NULL, &err), 1);
	for (i = 0; i < STORE_MBOX_DEPTH_MAX + 1; i++)
		memcpy(name + 2 * i, "d/", 2);
	name[2 * i - 1] = '\0';
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, name, NULL, &err), -1);
	TEST_ASSERT(strstr(err, "deep") != NULL);
	name[2 * i - 3] = '\0';
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, name, NULL, &err), 1);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(
		dir, "SELECT count(*) FROM mailboxes WHERE name GLOB 'd*'"),
	    STORE_MBOX_DEPTH_MAX);
	TEST_ASSERT_INTEQ(store_mbox_create(s, 9999, "x", NULL, &err), -1);

	tstore_teardown(s, dir);
}

/* ---- notify hook ---- */

struct notes {
	int64_t ids[64];
	size_t n;
};

static void
on_notify(void *arg, enum store_change kind, int64_t mailbox_id)
{
	struct notes *no = arg;

	if (kind != STORE_CHANGE_MAILBOX)
		return; /* account-wide: JMAP push */
	if (no->n < 64)
		no->ids[no->n] = mailbox_id;
	no->n++;
}

/* ---- delete ---- */

static void
test_delete(void)
{
	char *dir;
	const char *err = NULL;
	struct notes no = {0};
	struct store *s;
	int64_t acc, id, inbox;

	test_begin("mbox delete: INBOX, inferiors, missing");
	s = tstore_setup("mbox", "a@x.test", &dir, &acc);
	TEST_ASSERT_INTEQ(store_add_notify(s, on_notify, &no), 0);
	inbox = tstore_mbox(s, acc, "INBOX");
	TEST_ASSERT_INTEQ(store_mbox_delete(s, acc, "INBOX", &err), -2);
	TEST_ASSERT_INTEQ(store_mbox_delete(s, acc, "inbox", &err), -2);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "p/q", NULL, &err), 1);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "p0", NULL, &err), 1);
	TEST_ASSERT_INTEQ(store_mbox_delete(s, acc, "p", &err), -3);
	TEST_ASSERT_INTEQ(store_mbox_delete(s, acc, "nope", &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_delete(s, acc, "p//", &err), 0);
	TEST_ASSERT_INTEQ(no.n, 0);

	test_begin("mbox delete: messages and unshared blobs go");
	tstore_deliver(s, &acc, 1, "p/q", "Subject: 1\r\n\r\none\r\n", 0);
	tstore_deliver(s, &acc, 1, "p/q", "Subject: 2\r\n\r\ntwo\r\n", 0);
	tstore_deliver(s, &acc, 1, NULL, "Subject: 3\r\n\r\nthree\r\n", 0);
	id = tstore_mbox(s, acc, "p/q");
	TEST_ASSERT_INTEQ(no.n, 3);
	/* message 1 is also in INBOX: copy it there */
	{
		uint32_t uid = 1, *su, *du, uv;
		size_t n;

		TEST_ASSERT_INTEQ(store_msg_copy(s, id, &uid, 1, inbox, false,
						 &su, &du, &n, &uv, &err),
				  1);
		free(su);
		free(du);
	}
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM messages"),
			  3);
	no.n = 0;
	TEST_ASSERT_INTEQ(store_mbox_delete(s, acc, "p/q", &err), 1);
	TEST_ASSERT_INTEQ(no.n, 1);
	TEST_ASSERT_INTEQ(no.ids[0], id);
	TEST_ASSERT_INTEQ(tstore_mbox(s, acc, "p/q"), 0);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM messages"),
			  2);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir,
					 "SELECT count(*) FROM mailbox_messages"
					 " WHERE mailbox_id NOT IN (SELECT id "
					 "FROM mailboxes)"),
			  0);
	TEST_ASSERT_INTEQ(count_blobs(dir), 2);
	TEST_ASSERT_INTEQ(store_mbox_delete(s, acc, "p", &err), 1);
	/* re-created: a new UIDVALIDITY, UIDs from 1 */
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "p/q", NULL, &err), 1);
	TEST_ASSERT(tstore_mbox(s, acc, "p/q") != id);
	TEST_ASSERT_INTEQ(
	    tstore_deliver(s, &acc, 1, "p/q", "Subject: 4\r\n\r\n", 0), 1);
	tstore_teardown(s, dir);
}

/* ---- rename ---- */

static void
test_rename(void)
{
	char *dir, buf[1024];
	const char *err = NULL;
	struct store_mbox m, m2;
	struct store_msg_changes c;
	struct notes no = {0};
	struct store *s;
	int64_t acc, a_id, inbox, old_id;
	uint32_t a_uv, inbox_uv;

	test_begin("mbox rename: subtree, UIDVALIDITY kept, subscriptions");
	s = tstore_setup("mbox", "a@x.test", &dir, &acc);
	TEST_ASSERT_INTEQ(store_add_notify(s, on_notify, &no), 0);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "a/b/c", NULL, &err), 1);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "ab", NULL, &err), 1);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "a/b", true, &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "a/zz", true, &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "ab", true, &err), 0);
	tstore_deliver(s, &acc, 1, "a/b", "Subject: in a/b\r\n\r\n", 0);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "a", &m, &err), 1);
	a_id = m.id;
	a_uv = m.uidvalidity;
	store_mbox_clear(&m);
	no.n = 0;
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "a", "x/y", &err), 1);
	TEST_ASSERT_INTEQ(no.n, 3); /* a, a/b, a/b/c */
	names_of(s, acc, buf, sizeof(buf));
	TEST_ASSERT_STREQ(buf, "Archive*,Drafts*,INBOX*,Junk*,Sent*,Trash*,"
			       "ab*,x,x/y,x/y/b*,x/y/b/c");
	subs_of(s, acc, buf, sizeof(buf));
	TEST_ASSERT_STREQ(buf, "Archive,Drafts,INBOX,Junk,Sent,Trash,ab,x/y/b,"
			       "x/y/zz");
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "x/y", &m, &err), 1);
	TEST_ASSERT_INTEQ(m.id, a_id);
	TEST_ASSERT_INTEQ(m.uidvalidity, a_uv);
	store_mbox_clear(&m);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "x/y/b", &m, &err), 1);
	TEST_ASSERT_INTEQ(m.uidnext, 2);
	store_mbox_clear(&m);

	test_begin("mbox rename: refusals");
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "nope", "z", &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "x/y", "ab", &err), -2);
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "x/y", "x/y", &err), -2);
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "x/y", "x/y/q", &err), -3);
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "x/y", "a//", &err), -1);
	/* a renamed inferior would land on an existing name */
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "k/b", NULL, &err), 1);
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "x/y", "k", &err), -2);
	/* from "x/y/b" to its superior's name "x" (taken) */
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "x/y/b", "x", &err), -2);
	names_of(s, acc, buf, sizeof(buf));
	TEST_ASSERT_STREQ(buf, "Archive*,Drafts*,INBOX*,Junk*,Sent*,Trash*,"
			       "ab*,k,k/b,x,x/y,x/y/b*,x/y/b/c");

	test_begin("mbox rename: INBOX moves its messages, stays");
	inbox = tstore_mbox(s, acc, "INBOX");
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "INBOX/kid", NULL, &err),
			  1);
	tstore_deliver(s, &acc, 1, NULL, "Subject: 1\r\n\r\n", STORE_FLAG_SEEN);
	tstore_deliver(s, &acc, 1, NULL, "Subject: 2\r\n\r\n", 0);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "INBOX", &m, &err), 1);
	inbox_uv = m.uidvalidity;
	no.n = 0;
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "inbox", "INBOX", &err),
			  -2);
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "INBOX", "Sent", &err), -2);
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "inbox", "Old/Mail", &err),
			  1);
	TEST_ASSERT_INTEQ(no.n, 2);
	TEST_ASSERT_INTEQ(no.ids[0], inbox);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "INBOX", &m2, &err), 1);
	TEST_ASSERT_INTEQ(m2.id, inbox);
	TEST_ASSERT_INTEQ(m2.uidvalidity, inbox_uv);
	TEST_ASSERT_INTEQ(m2.uidnext, 3);
	TEST_ASSERT(m2.highestmodseq > m.highestmodseq);
	store_mbox_clear(&m2);
	TEST_ASSERT(tstore_mbox(s, acc, "INBOX/kid") > 0);
	TEST_ASSERT(tstore_mbox(s, acc, "Old") > 0);
	TEST_ASSERT_INTEQ(store_mbox_get(s, acc, "Old/Mail", &m2, &err), 1);
	TEST_ASSERT_INTEQ(no.ids[1], m2.id);
	TEST_ASSERT(m2.uidvalidity != inbox_uv);
	TEST_ASSERT_INTEQ(m2.uidnext, 3);
	old_id = m2.id;
	store_mbox_clear(&m2);
	/* INBOX: both UIDs vanished at the new modseq */
	TEST_ASSERT_INTEQ(
	    store_msg_changes(s, inbox, m.highestmodseq, &c, &err), 1);
	TEST_ASSERT_INTEQ(c.l.n, 0);
	TEST_ASSERT_INTEQ(c.n_expunged, 2);
	store_msg_changes_free(&c);
	store_mbox_clear(&m);
	TEST_ASSERT_INTEQ(store_msg_changes(s, old_id, 0, &c, &err), 1);
	TEST_ASSERT_INTEQ(c.l.n, 2);
	if (c.l.n == 2) {
		TEST_ASSERT_INTEQ(c.l.m[0].uid, 1);
		TEST_ASSERT_INTEQ(c.l.m[0].flags, STORE_FLAG_SEEN);
		TEST_ASSERT_INTEQ(c.l.m[1].uid, 2);
	}
	store_msg_changes_free(&c);
	/* INBOX lives on: new mail gets the next UID */
	TEST_ASSERT_INTEQ(
	    tstore_deliver(s, &acc, 1, NULL, "Subject: 3\r\n\r\n", 0), 3);
	/* and may be renamed under itself (its inferiors stay put) */
	TEST_ASSERT_INTEQ(store_mbox_rename(s, acc, "INBOX", "INBOX/old", &err),
			  1);
	TEST_ASSERT(tstore_mbox(s, acc, "INBOX/old") > 0);
	tstore_teardown(s, dir);
}

/* ---- subscriptions ---- */

static void
test_subscribe(void)
{
	char *dir, buf[1024];
	const char *err = NULL;
	struct store *s;
	int64_t acc;

	test_begin("mbox subscribe: names, missing mailboxes, twice");
	s = tstore_setup("mbox", "a@x.test", &dir, &acc);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "Trash", false, &err),
			  0);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "Trash", false, &err),
			  0);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "ghost/x", true, &err),
			  0);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "ghost/x", true, &err),
			  0);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "nope", false, &err), 0);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "a//b", true, &err), -1);
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, acc, "inbox", true, &err), 0);
	subs_of(s, acc, buf, sizeof(buf));
	TEST_ASSERT_STREQ(buf, "Archive,Drafts,INBOX,Junk,Sent,ghost/x");
	names_of(s, acc, buf, sizeof(buf));
	TEST_ASSERT_STREQ(buf, "Archive*,Drafts*,INBOX*,Junk*,Sent*,Trash");

	test_begin("mbox subscribe: kept when the mailbox is deleted");
	TEST_ASSERT_INTEQ(store_mbox_delete(s, acc, "Sent", &err), 1);
	subs_of(s, acc, buf, sizeof(buf));
	TEST_ASSERT_STREQ(buf, "Archive,Drafts,INBOX,Junk,Sent,ghost/x");
	{
		char **names;
		size_t n;

		TEST_ASSERT_INTEQ(
		    store_mbox_subscriptions(s, 9999, &names, &n, &err), 0);
		TEST_ASSERT_INTEQ(n, 0);
		free(names);
	}
	tstore_teardown(s, dir);
}

/* ---- status, \Recent, usage ---- */

static void
test_status_recent(void)
{
	char *dir;
	const char *err = NULL;
	struct store_mbox_status st;
	struct store *s;
	int64_t acc, inbox, junk;
	uint32_t first, uids[1] = {2};
	uint64_t bytes, msgs, quota;

	test_begin("mbox status: counts");
	s = tstore_setup("mbox", "a@x.test", &dir, &acc);
	inbox = tstore_mbox(s, acc, "INBOX");
	junk = tstore_mbox(s, acc, "Junk");
	TEST_ASSERT_INTEQ(store_mbox_status(s, inbox, &st, &err), 1);
	TEST_ASSERT_INTEQ(st.messages, 0);
	TEST_ASSERT_INTEQ(st.uidnext, 1);
	TEST_ASSERT_INTEQ(st.size, 0);
	tstore_deliver(s, &acc, 1, NULL, "12345", STORE_FLAG_SEEN);
	tstore_deliver(s, &acc, 1, NULL, "1234567", STORE_FLAG_DELETED);
	tstore_deliver(s, &acc, 1, NULL, "123",
		       STORE_FLAG_SEEN | STORE_FLAG_DELETED);
	tstore_deliver(s, &acc, 1, NULL, "1", 0);
	tstore_deliver(s, &acc, 1, "Junk", "junk", 0);
	TEST_ASSERT_INTEQ(store_mbox_status(s, inbox, &st, &err), 1);
	TEST_ASSERT_INTEQ(st.messages, 4);
	TEST_ASSERT_INTEQ(st.unseen, 2);
	TEST_ASSERT_INTEQ(st.deleted, 2);
	TEST_ASSERT_INTEQ(st.recent, 4);
	TEST_ASSERT_INTEQ(st.uidnext, 5);
	TEST_ASSERT(st.uidvalidity > 0);
	TEST_ASSERT_INTEQ(st.size, 16);
	TEST_ASSERT(st.highestmodseq >= 5);
	TEST_ASSERT_INTEQ(store_mbox_status(s, 9999, &st, &err), 0);

	test_begin("mbox recent: claimed once, kept across reopen");
	TEST_ASSERT_INTEQ(store_mbox_recent(s, inbox, &first, &err), 1);
	TEST_ASSERT_INTEQ(first, 1);
	TEST_ASSERT_INTEQ(store_mbox_recent(s, inbox, &first, &err), 1);
	TEST_ASSERT_INTEQ(first, 5); /* nothing new: no UID below uidnext */
	TEST_ASSERT_INTEQ(store_mbox_status(s, inbox, &st, &err), 1);
	TEST_ASSERT_INTEQ(st.recent, 0);
	TEST_ASSERT_INTEQ(store_expunge(s, inbox, uids, 1, &err), 1);
	tstore_deliver(s, &acc, 1, NULL, "new", 0);
	TEST_ASSERT_INTEQ(store_mbox_status(s, inbox, &st, &err), 1);
	TEST_ASSERT_INTEQ(st.recent, 1);
	TEST_ASSERT_INTEQ(st.messages, 4);
	TEST_ASSERT_INTEQ(st.deleted, 1);
	store_close(&s);
	s = store_open(dir, NULL, &err);
	TEST_ASSERT(s != NULL);
	TEST_ASSERT_INTEQ(store_mbox_recent(s, inbox, &first, &err), 1);
	TEST_ASSERT_INTEQ(first, 5);
	TEST_ASSERT_INTEQ(store_mbox_recent(s, inbox, &first, &err), 1);
	TEST_ASSERT_INTEQ(first, 6);
	TEST_ASSERT_INTEQ(store_mbox_recent(s, 9999, &first, &err), 0);
	/* Junk's recent UIDs are its own */
	TEST_ASSERT_INTEQ(store_mbox_recent(s, junk, &first, &err), 1);
	TEST_ASSERT_INTEQ(first, 1);

	test_begin("mbox usage: all mailboxes, quota");
	TEST_ASSERT_INTEQ(
	    store_account_usage(s, acc, &bytes, &msgs, &quota, &err), 1);
	TEST_ASSERT_INTEQ(msgs, 5);
	TEST_ASSERT_INTEQ(bytes, 5 + 3 + 1 + 4 + 3);
	TEST_ASSERT_INTEQ(quota, 0);
	TEST_ASSERT_INTEQ(tstore_sql_exec(dir,
					  "UPDATE accounts SET quota_bytes = "
					  "1000000"),
			  0);
	TEST_ASSERT_INTEQ(
	    store_account_usage(s, acc, &bytes, &msgs, &quota, &err), 1);
	TEST_ASSERT_INTEQ(quota, 1000000);
	TEST_ASSERT_INTEQ(
	    store_account_usage(s, 9999, &bytes, &msgs, &quota, &err), 0);
	TEST_ASSERT_INTEQ(msgs, 0);
	tstore_teardown(s, dir);
}

/* ---- migration ---- */

static void
test_migrate_v2(void)
{
	char *dir, buf[1024];
	const char *err = NULL;
	struct store_mbox_status st;
	struct store *s;
	int64_t acc;
	uint32_t first;

	test_begin("schema: a v2 database is migrated to the current version");
	s = tstore_setup("mbox", "a@x.test", &dir, &acc);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "Lists/x", NULL, &err), 1);
	tstore_deliver(s, &acc, 1, NULL, "old mail", 0);
	store_close(&s);
	/* Back to what v2 had: the subscribed column, no subscriptions
	   table, no recent_uid. */
	TEST_ASSERT_INTEQ(
	    tstore_sql_exec(
		dir,
		/* and without v4's JMAP change log, v5's JMAP
		   objects and v6's threads on the copies */
		"DROP INDEX mailbox_messages_date;"
		"DROP INDEX mailbox_messages_unthreaded;"
		"ALTER TABLE mailbox_messages DROP COLUMN thread_id;"
		"DROP TABLE jmap_objects;"
		"DROP TRIGGER jmap_mm_i; DROP TRIGGER jmap_mm_u;"
		"DROP TRIGGER jmap_mm_d; DROP TRIGGER jmap_mb_i;"
		"DROP TRIGGER jmap_mb_u; DROP TRIGGER jmap_mb_bd;"
		"DROP TRIGGER jmap_mb_d; DROP TRIGGER jmap_sub_i;"
		"DROP TRIGGER jmap_sub_d; DROP TABLE jmap_changes;"
		"DROP TABLE jmap_threads; DROP TABLE jmap_msgids;"
		"ALTER TABLE accounts DROP COLUMN jmap_modseq;"
		"DROP TABLE subscriptions;"
		"ALTER TABLE mailboxes DROP COLUMN recent_uid;"
		"ALTER TABLE mailboxes ADD COLUMN subscribed INTEGER NOT "
		"NULL DEFAULT 1;"
		"UPDATE mailboxes SET subscribed = 0 WHERE name IN "
		"('Junk', 'Lists');"
		"UPDATE meta SET value = 2 WHERE key = 'schema_version'"),
	    0);
	s = store_open(dir, NULL, &err);
	TEST_ASSERT(s != NULL);
	if (s == NULL) {
		tstore_dir_free(dir);
		return;
	}
	TEST_ASSERT_INTEQ(tstore_sql_int(dir,
					 "SELECT value FROM meta WHERE key = "
					 "'schema_version'"),
			  6);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT count(*) FROM pragma_table_info"
				"('mailboxes') WHERE name = "
				"'subscribed'"),
	    0);
	subs_of(s, acc, buf, sizeof(buf));
	TEST_ASSERT_STREQ(buf, "Archive,Drafts,INBOX,Lists/x,Sent,Trash");
	names_of(s, acc, buf, sizeof(buf));
	TEST_ASSERT_STREQ(
	    buf, "Archive*,Drafts*,INBOX*,Junk,Lists,Lists/x*,Sent*,Trash*");
	/* mail from before IMAP is recent to the first session */
	TEST_ASSERT_INTEQ(
	    store_mbox_status(s, tstore_mbox(s, acc, "INBOX"), &st, &err), 1);
	TEST_ASSERT_INTEQ(st.recent, 1);
	TEST_ASSERT_INTEQ(
	    store_mbox_recent(s, tstore_mbox(s, acc, "INBOX"), &first, &err),
	    1);
	TEST_ASSERT_INTEQ(first, 1);
	tstore_teardown(s, dir);
}

TEST_MAIN(test_create, test_delete, test_rename, test_subscribe,
	  test_status_recent, test_migrate_v2)

/* test_store.c: unit tests of the store: schema, accounts, aliases,
   lookup, delivery (CLI and server mode), blobs and group commit. */
/* SPDX-License-Identifier: MIT */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ev.h"
#include "limits.h"
#include "pool.h"
#include "store/store.h"
#include "test.h"
#include "tstore.h"

/* ---- helpers ---- */

/* Regular files under dir/sub, recursively. */
static int count_files_in(const char *path);

static int
count_files_in(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char sub[4096];
	struct stat st;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (lstat(sub, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			n += count_files_in(sub);
		else if (S_ISREG(st.st_mode))
			n++;
	}
	closedir(d);
	return n;
}

static int
count_files(const char *dir, const char *sub)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	return count_files_in(path);
}

static struct store_blob *
blob_with(struct store *s, const char *text)
{
	struct store_blob *b = store_blob_new(s, NULL);

	if (b != NULL && store_blob_write(b, text, strlen(text)) < 0)
		store_blob_abort(&b);
	return b;
}

/* Collected messages of one store_mailbox_foreach(). */
struct walk {
	int n;
	uint32_t uids[512];
	uint32_t flags[512];
	char first[256];
	long stop_after;
};

static int
on_message(const struct store_message *m, void *arg)
{
	struct walk *w = arg;
	FILE *f;
	size_t n;

	if (w->n < 512) {
		w->uids[w->n] = m->uid;
		w->flags[w->n] = m->flags;
	}
	if (w->n == 0 && (f = fopen(m->blob_path, "r")) != NULL) {
		n = fread(w->first, 1, sizeof(w->first) - 1, f);
		w->first[n] = '\0';
		fclose(f);
		if (n != m->size)
			w->first[0] = '\0';
	}
	w->n++;
	return w->stop_after > 0 && w->n >= w->stop_after ? -1 : 0;
}

static int
walk(struct store *s, const char *address, const char *mailbox, struct walk *w)
{
	memset(w, 0, sizeof(*w));
	return store_mailbox_foreach(s, address, mailbox, on_message, w, NULL);
}

/* ---- schema ---- */

static void
test_store_open(void)
{
	char *dir = tstore_dir_new("store"), path[4096];
	const char *err = NULL;
	struct store *s;
	int fd;

	test_begin("store open: empty file is migrated");
	/* An empty file is a valid, empty SQLite database: version 0. */
	snprintf(path, sizeof(path), "%s/store.db", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	TEST_ASSERT(fd >= 0);
	close(fd);
	s = store_open(dir, NULL, &err);
	TEST_ASSERT(s != NULL);
	store_close(&s);
	TEST_ASSERT(s == NULL);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir,
					 "SELECT value FROM meta WHERE key="
					 "'schema_version'"),
			  6);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 0);

	test_begin("store open: reopen keeps data");
	s = store_open(dir, NULL, &err);
	TEST_ASSERT(s != NULL);
	TEST_ASSERT_INTEQ(store_account_add(s, "a@x.test", "h", &err), 1);
	store_close(&s);
	s = store_open(dir, NULL, &err);
	TEST_ASSERT(s != NULL);
	TEST_ASSERT(tstore_account(s, "a@x.test") > 0);
	TEST_ASSERT_INTEQ(store_queue_count(s, &err), 0);
	store_close(&s);

	test_begin("store open: newer schema is refused");
	TEST_ASSERT_INTEQ(tstore_sql_exec(dir, "UPDATE meta SET value=99 WHERE "
					       "key='schema_version'"),
			  0);
	err = NULL;
	s = store_open(dir, NULL, &err);
	TEST_ASSERT(s == NULL);
	TEST_ASSERT(err != NULL && strstr(err, "newer") != NULL);

	test_begin("store open: unusable directory");
	err = NULL;
	s = store_open("/proc/buzon-no-such/dir", NULL, &err);
	TEST_ASSERT(s == NULL);
	TEST_ASSERT(err != NULL);
	tstore_dir_free(dir);
}

/* ---- accounts ---- */

static void
collect_account(const char *address, void *arg)
{
	char *buf = arg;

	strcat(buf, address);
	strcat(buf, ",");
}

static void
test_store_accounts(void)
{
	char *dir = tstore_dir_new("store"), list[1024] = "";
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct store_account a;

	test_begin("accounts: add, duplicate, case");
	TEST_ASSERT(s != NULL);
	TEST_ASSERT_INTEQ(store_account_add(s, "Bob@X.test", "$y$h1", &err), 1);
	TEST_ASSERT_INTEQ(store_account_add(s, "bob@x.test", "h", &err), 0);
	TEST_ASSERT_INTEQ(store_account_add(s, "BOB@x.TEST", "h", &err), 0);
	TEST_ASSERT_INTEQ(store_account_add(s, "alice@x.test", "h2", &err), 1);
	TEST_ASSERT_INTEQ(store_account_add(s, "", "h", &err), -1);
	TEST_ASSERT_INTEQ(store_account_add(s, "a b@x", "h", &err), -1);

	test_begin("accounts: six mailboxes with distinct UIDVALIDITY");
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM mailboxes"),
			  12);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir,
			   "SELECT count(DISTINCT uidvalidity) FROM mailboxes"),
	    12);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir,
					 "SELECT count(*) FROM mailboxes WHERE"
					 " special_use='\\Junk'"),
			  2);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir,
					 "SELECT min(uidvalidity) > 0 FROM "
					 "mailboxes"),
			  1);

	test_begin("accounts: get");
	TEST_ASSERT_INTEQ(store_account_get(s, "BOB@x.test", &a, &err), 1);
	TEST_ASSERT_STREQ(a.address, "bob@x.test");
	TEST_ASSERT_STREQ(a.pwhash, "$y$h1");
	TEST_ASSERT(a.apop_secret == NULL);
	TEST_ASSERT(a.id > 0);
	store_account_clear(&a);
	TEST_ASSERT(a.address == NULL);
	TEST_ASSERT_INTEQ(store_account_get(s, "nobody@x.test", &a, &err), 0);
	store_account_clear(&a);

	test_begin("accounts: password and APOP");
	TEST_ASSERT_INTEQ(
	    store_account_set_password(s, "bob@X.test", "$y$h9", &err), 1);
	TEST_ASSERT_INTEQ(
	    store_account_set_password(s, "zed@x.test", "h", &err), 0);
	TEST_ASSERT_INTEQ(
	    store_account_set_apop(s, "bob@x.test", "sekrit", &err), 1);
	TEST_ASSERT_INTEQ(store_account_get(s, "bob@x.test", &a, &err), 1);
	TEST_ASSERT_STREQ(a.pwhash, "$y$h9");
	TEST_ASSERT_STREQ(a.apop_secret, "sekrit");
	store_account_clear(&a);
	TEST_ASSERT_INTEQ(store_account_set_apop(s, "bob@x.test", NULL, &err),
			  1);
	TEST_ASSERT_INTEQ(store_account_get(s, "bob@x.test", &a, &err), 1);
	TEST_ASSERT(a.apop_secret == NULL);
	store_account_clear(&a);

	test_begin("accounts: list in address order");
	TEST_ASSERT_INTEQ(store_account_list(s, collect_account, list, &err),
			  0);
	TEST_ASSERT_STREQ(list, "alice@x.test,bob@x.test,");

	test_begin("accounts: delete");
	TEST_ASSERT_INTEQ(store_account_del(s, "Bob@x.test", &err), 1);
	TEST_ASSERT_INTEQ(store_account_del(s, "bob@x.test", &err), 0);
	TEST_ASSERT_INTEQ(store_account_get(s, "bob@x.test", &a, &err), 0);
	store_account_clear(&a);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM mailboxes"),
			  6);
	list[0] = '\0';
	store_account_list(s, collect_account, list, &err);
	TEST_ASSERT_STREQ(list, "alice@x.test,");
	/* Re-created: new mailboxes with new UIDVALIDITYs. */
	TEST_ASSERT_INTEQ(store_account_add(s, "bob@x.test", "h", &err), 1);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir,
			   "SELECT count(DISTINCT uidvalidity) FROM mailboxes"),
	    12);
	tstore_teardown(s, dir);
}

/* ---- aliases ---- */

static void
collect_alias(const char *address, const char *const *targets, size_t n,
	      void *arg)
{
	char *buf = arg;
	size_t i;

	strcat(buf, address);
	strcat(buf, ":");
	for (i = 0; i < n; i++) {
		strcat(buf, targets[i]);
		strcat(buf, i + 1 < n ? "+" : ";");
	}
}

static void
test_store_aliases(void)
{
	char *dir = tstore_dir_new("store"), list[1024] = "";
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	const char *t1[] = {"bob@x.test", "ext@remote.test"};
	const char *t2[] = {"carol@x.test", "bob@x.test"};
	const char *t3[] = {"nobody@x.test"};
	const char *bad[] = {"a b"};

	test_begin("aliases: add, duplicates ignored, list");
	TEST_ASSERT(s != NULL);
	TEST_ASSERT_INTEQ(store_account_add(s, "bob@x.test", "h", &err), 1);
	TEST_ASSERT_INTEQ(store_alias_add(s, "Team@x.test", t1, 2, &err), 1);
	TEST_ASSERT_INTEQ(store_alias_add(s, "team@x.test", t2, 2, &err), 1);
	TEST_ASSERT_INTEQ(store_alias_add(s, "abuse@x.test", t3, 1, &err), 1);
	TEST_ASSERT_INTEQ(store_alias_list(s, collect_alias, list, &err), 0);
	TEST_ASSERT_STREQ(list, "abuse@x.test:nobody@x.test;team@x.test:"
				"bob@x.test+ext@remote.test+carol@x.test;");

	test_begin("aliases: conflicts with accounts");
	TEST_ASSERT_INTEQ(store_alias_add(s, "BOB@x.test", t3, 1, &err), 0);
	TEST_ASSERT_INTEQ(store_account_add(s, "team@X.test", "h", &err), 0);
	TEST_ASSERT_INTEQ(store_alias_add(s, "x@x.test", t3, 0, &err), -1);
	TEST_ASSERT_INTEQ(store_alias_add(s, "x@x.test", bad, 1, &err), -1);

	test_begin("aliases: delete targets, then the alias");
	TEST_ASSERT_INTEQ(store_alias_del(s, "team@x.test", t1, 1, &err), 1);
	TEST_ASSERT_INTEQ(store_alias_del(s, "team@x.test", t1, 1, &err), 0);
	list[0] = '\0';
	store_alias_list(s, collect_alias, list, &err);
	TEST_ASSERT_STREQ(list, "abuse@x.test:nobody@x.test;team@x.test:"
				"ext@remote.test+carol@x.test;");
	TEST_ASSERT_INTEQ(store_alias_del(s, "TEAM@x.test", NULL, 0, &err), 1);
	TEST_ASSERT_INTEQ(store_alias_del(s, "team@x.test", NULL, 0, &err), 0);
	TEST_ASSERT_INTEQ(store_alias_del(s, "abuse@x.test", t3, 1, &err), 1);
	list[0] = '\0';
	store_alias_list(s, collect_alias, list, &err);
	TEST_ASSERT_STREQ(list, "");
	/* The name is free for an account again. */
	TEST_ASSERT_INTEQ(store_account_add(s, "team@x.test", "h", &err), 1);
	tstore_teardown(s, dir);
}

/* ---- lookup ---- */

static void
test_store_lookup(void)
{
	char *dir = tstore_dir_new("store");
	const char *err = NULL;
	struct store *srv = store_open(dir, NULL, &err);
	struct store *cli = store_open(dir, NULL, &err);
	const char *t[] = {"u1@x.test", "far@remote.test"};
	struct store_lookup r;
	int64_t id;

	test_begin("lookup: empty directory");
	TEST_ASSERT(srv != NULL && cli != NULL);
	TEST_ASSERT_INTEQ(store_lookup(srv, "u1@x.test", &r), 0);
	TEST_ASSERT_INTEQ(r.kind, STORE_ADDR_NONE);

	test_begin("lookup: sees an account added by another handle");
	TEST_ASSERT_INTEQ(store_account_add(cli, "u1@x.test", "h", &err), 1);
	id = tstore_account(cli, "u1@x.test");
	TEST_ASSERT_INTEQ(store_lookup(srv, "u1@x.test", &r), 0);
	TEST_ASSERT_INTEQ(r.kind, STORE_ADDR_ACCOUNT);
	TEST_ASSERT_INTEQ(r.account_id, id);
	TEST_ASSERT_INTEQ(store_lookup(srv, "U1@X.test", &r), 0);
	TEST_ASSERT_INTEQ(r.kind, STORE_ADDR_ACCOUNT);

	test_begin("lookup: aliases with targets");
	TEST_ASSERT_INTEQ(store_alias_add(cli, "list@x.test", t, 2, &err), 1);
	TEST_ASSERT_INTEQ(store_lookup(srv, "list@x.test", &r), 0);
	TEST_ASSERT_INTEQ(r.kind, STORE_ADDR_ALIAS);
	TEST_ASSERT_INTEQ(r.n_targets, 2);
	if (r.n_targets == 2) {
		TEST_ASSERT_STREQ(r.targets[0], "u1@x.test");
		TEST_ASSERT_STREQ(r.targets[1], "far@remote.test");
	}

	test_begin("lookup: many accounts, deletes");
	{
		char a[64];
		int i, found = 0;

		for (i = 0; i < 100; i++) {
			snprintf(a, sizeof(a), "user%d@y.test", i);
			store_account_add(cli, a, "h", &err);
		}
		for (i = 0; i < 100; i++) {
			snprintf(a, sizeof(a), "user%d@y.test", i);
			if (store_lookup(srv, a, &r) == 0 &&
			    r.kind == STORE_ADDR_ACCOUNT)
				found++;
		}
		TEST_ASSERT_INTEQ(found, 100);
	}
	TEST_ASSERT_INTEQ(store_account_del(cli, "u1@x.test", &err), 1);
	TEST_ASSERT_INTEQ(store_lookup(srv, "u1@x.test", &r), 0);
	TEST_ASSERT_INTEQ(r.kind, STORE_ADDR_NONE);
	TEST_ASSERT_INTEQ(store_alias_del(cli, "list@x.test", NULL, 0, &err),
			  1);
	TEST_ASSERT_INTEQ(store_lookup(srv, "list@x.test", &r), 0);
	TEST_ASSERT_INTEQ(r.kind, STORE_ADDR_NONE);
	TEST_ASSERT_INTEQ(store_lookup(srv, "user7@y.test", &r), 0);
	TEST_ASSERT_INTEQ(r.kind, STORE_ADDR_ACCOUNT);

	test_begin("lookup: changes made through the same handle");
	TEST_ASSERT_INTEQ(store_account_add(srv, "self@x.test", "h", &err), 1);
	TEST_ASSERT_INTEQ(store_lookup(srv, "self@x.test", &r), 0);
	TEST_ASSERT_INTEQ(r.kind, STORE_ADDR_ACCOUNT);
	store_close(&cli);
	store_close(&srv);
	tstore_dir_free(dir);
}

/* ---- delivery ---- */

static const char msg1[] = "From: a@remote.test\r\nSubject: hi\r\n\r\nbody\r\n";

/* One message to 3 local accounts (one named twice) and 2 remote ones;
   with ev != NULL the store is in server mode. */
static void
deliver_fanout(const char *dir, struct store *s, struct ev *ev)
{
	const char *err = NULL;
	int64_t ids[4];
	struct store_remote_rcpt rem[2] = {
	    {"x@far.test", "rfc822;x@far.test", 0x3},
	    {"y@far.test", NULL, 0},
	};
	struct store_delivery d;
	struct tstore_done r = {0};
	struct walk w;
	const char *users[] = {"u1@x.test", "u2@x.test", "u3@x.test"};
	size_t i;

	for (i = 0; i < 3; i++) {
		store_account_add(s, users[i], "h", &err);
		ids[i] = tstore_account(s, users[i]);
	}
	ids[3] = ids[0];
	memset(&d, 0, sizeof(d));
	d.sender = "a@remote.test";
	d.blob = blob_with(s, msg1);
	d.internaldate = 1700000000;
	d.hdr_subject = "hi";
	d.accounts = ids;
	d.n_accounts = 4;
	d.remote = rem;
	d.n_remote = 2;
	d.dsn_envid = "env1";
	d.dsn_ret = 1;
	r.ev = ev;
	r.stop_at = 1;
	TEST_ASSERT(d.blob != NULL);
	TEST_ASSERT_INTEQ(store_blob_size(d.blob), strlen(msg1));
	store_deliver(s, &d, tstore_on_done, &r);
	if (ev != NULL)
		ev_run(ev);
	TEST_ASSERT_INTEQ(r.calls, 1);
	TEST_ASSERT_INTEQ(r.ok, 1);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 1);
	TEST_ASSERT_INTEQ(count_files(dir, "tmp"), 0);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM messages"),
			  1);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT refcount FROM messages"),
			  4);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT count(*) FROM mailbox_messages"), 3);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir,
			   "SELECT count(*) FROM mailbox_messages WHERE uid=1"),
	    3);
	TEST_ASSERT_INTEQ(store_queue_count(s, &err), 1);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT count(*) FROM queue_rcpt"), 2);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT ret FROM queue"), 1);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir,
					 "SELECT notify FROM queue_rcpt WHERE "
					 "address='x@far.test'"),
			  3);
	for (i = 0; i < 3; i++) {
		TEST_ASSERT_INTEQ(walk(s, users[i], NULL, &w), 1);
		TEST_ASSERT_INTEQ(w.n, 1);
		TEST_ASSERT_INTEQ(w.uids[0], 1);
		TEST_ASSERT_STREQ(w.first, msg1);
	}
}

static void
test_store_deliver_cli(void)
{
	char *dir = tstore_dir_new("store");
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct store_delivery d;
	struct tstore_done r = {0};
	struct walk w;
	int64_t id;
	int i;

	test_begin("deliver (CLI): one blob, 3 copies, one queue entry");
	TEST_ASSERT(s != NULL);
	deliver_fanout(dir, s, NULL);

	test_begin("deliver (CLI): UIDs grow, modseq grows");
	id = tstore_account(s, "u2@x.test");
	for (i = 0; i < 3; i++) {
		memset(&d, 0, sizeof(d));
		d.sender = "";
		d.blob = blob_with(s, "Subject: n\r\n\r\nx\r\n");
		d.accounts = &id;
		d.n_accounts = 1;
		store_deliver(s, &d, tstore_on_done, &r);
	}
	TEST_ASSERT_INTEQ(r.ok, 3);
	TEST_ASSERT_INTEQ(walk(s, "u2@x.test", "inbox", &w), 1);
	TEST_ASSERT_INTEQ(w.n, 4);
	TEST_ASSERT_INTEQ(w.uids[0], 1);
	TEST_ASSERT_INTEQ(w.uids[3], 4);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT uidnext FROM mailboxes m JOIN "
				"accounts a ON a.id=m.account_id WHERE "
				"a.address='u2@x.test' AND "
				"m.name='INBOX'"),
	    5);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir,
			   "SELECT count(DISTINCT modseq) FROM mailbox_messages"
			   " WHERE uid > 1"),
	    3);

	test_begin("deliver (CLI): named mailbox created, flags kept");
	memset(&d, 0, sizeof(d));
	d.sender = "s@x.test";
	d.blob = blob_with(s, "Subject: imported\r\n\r\n");
	d.accounts = &id;
	d.n_accounts = 1;
	d.mailbox = "Old/Mail";
	d.flags = STORE_FLAG_SEEN | STORE_FLAG_FLAGGED | 0x100;
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.ok, 4);
	TEST_ASSERT_INTEQ(walk(s, "u2@x.test", "Old/Mail", &w), 1);
	TEST_ASSERT_INTEQ(w.n, 1);
	TEST_ASSERT_INTEQ(w.uids[0], 1);
	TEST_ASSERT_INTEQ(w.flags[0], STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	TEST_ASSERT_INTEQ(walk(s, "u2@x.test", "old/mail", &w), 0);
	TEST_ASSERT_INTEQ(walk(s, "nobody@x.test", NULL, &w), 0);
	TEST_ASSERT_INTEQ(walk(s, "u2@x.test", "Sent", &w), 1);
	TEST_ASSERT_INTEQ(w.n, 0);

	test_begin("deliver (CLI): a callback can stop the walk");
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	TEST_ASSERT_INTEQ(
	    store_mailbox_foreach(s, "u2@x.test", NULL, on_message, &w, &err),
	    -1);
	TEST_ASSERT_INTEQ(w.n, 2);
	tstore_teardown(s, dir);
}

static void
test_store_deliver_fail(void)
{
	char *dir = tstore_dir_new("store"), a[4096], b[4096];
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct store_delivery d;
	struct tstore_done r = {0};
	struct store_blob *blob;
	int64_t ids[2];

	test_begin("deliver fail: aborted blob leaves nothing");
	TEST_ASSERT(s != NULL);
	store_account_add(s, "u@x.test", "h", &err);
	ids[0] = tstore_account(s, "u@x.test");
	blob = blob_with(s, "partial");
	/* The temp file is made by the first flush of the write buffer. */
	TEST_ASSERT_INTEQ(count_files(dir, "tmp"), 0);
	memset(a, 'a', sizeof(a));
	for (size_t k = 0; k <= STORE_BLOB_BUF_MAX / sizeof(a); k++)
		TEST_ASSERT(store_blob_write(blob, a, sizeof(a)) == 0);
	TEST_ASSERT_INTEQ(count_files(dir, "tmp"), 1);
	store_blob_abort(&blob);
	TEST_ASSERT(blob == NULL);
	TEST_ASSERT_INTEQ(count_files(dir, "tmp"), 0);

	test_begin("deliver fail: blob cannot be moved into place");
	snprintf(a, sizeof(a), "%s/blobs", dir);
	snprintf(b, sizeof(b), "%s/blobs.away", dir);
	TEST_ASSERT(rename(a, b) == 0);
	memset(&d, 0, sizeof(d));
	d.sender = "";
	d.blob = blob_with(s, msg1);
	d.accounts = ids;
	d.n_accounts = 1;
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.calls, 1);
	TEST_ASSERT_INTEQ(r.ok, 0);
	TEST_ASSERT(r.error != NULL);
	TEST_ASSERT(rename(b, a) == 0);
	TEST_ASSERT_INTEQ(count_files(dir, "tmp"), 0);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 0);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM messages"),
			  0);

	test_begin("deliver fail: unknown account rolls back everything");
	ids[1] = ids[0] + 1000;
	memset(&d, 0, sizeof(d));
	d.sender = "";
	d.blob = blob_with(s, msg1);
	d.accounts = ids;
	d.n_accounts = 2;
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.calls, 2);
	TEST_ASSERT_INTEQ(r.ok, 0);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 0);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM messages"),
			  0);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT count(*) FROM mailbox_messages"), 0);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir,
					 "SELECT uidnext FROM mailboxes WHERE "
					 "name='INBOX'"),
			  1);

	test_begin("deliver fail: no recipients, no blob");
	memset(&d, 0, sizeof(d));
	d.blob = blob_with(s, msg1);
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.calls, 3);
	TEST_ASSERT_INTEQ(r.ok, 0);
	memset(&d, 0, sizeof(d));
	d.accounts = ids;
	d.n_accounts = 1;
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.calls, 4);
	TEST_ASSERT_INTEQ(r.ok, 0);
	TEST_ASSERT_INTEQ(count_files(dir, "tmp"), 0);

	test_begin("deliver fail: the next delivery still works");
	memset(&d, 0, sizeof(d));
	d.sender = "";
	d.blob = blob_with(s, msg1);
	d.accounts = ids;
	d.n_accounts = 1;
	store_deliver(s, &d, tstore_on_done, &r);
	TEST_ASSERT_INTEQ(r.ok, 1);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT uid FROM mailbox_messages"), 1);
	tstore_teardown(s, dir);
}

/* A delivery that lives until its completion (server mode returns
   before the store is done with it). */
struct pending {
	struct store_delivery d;
	struct tstore_done *r;
};

static void
on_pending_done(void *arg, int ok, const char *error)
{
	struct pending *p = arg;

	tstore_on_done(p->r, ok, error);
	free(p);
}

static void
deliver_one(struct store *s, const char *text, const int64_t *ids, size_t n,
	    size_t n_remote, struct tstore_done *r)
{
	static const struct store_remote_rcpt rem = {"z@far.test", NULL, 0};
	struct pending *p = calloc(1, sizeof(*p));

	p->r = r;
	p->d.sender = "";
	p->d.blob = blob_with(s, text);
	p->d.accounts = ids;
	p->d.n_accounts = n;
	p->d.remote = &rem;
	p->d.n_remote = n_remote;
	store_deliver(s, &p->d, on_pending_done, p);
}

static void
test_store_account_del_blobs(void)
{
	char *dir = tstore_dir_new("store");
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct tstore_done r = {0};
	int64_t ab[2];
	struct walk w;

	test_begin("account delete: unreferenced blobs go, shared stay");
	TEST_ASSERT(s != NULL);
	store_account_add(s, "a@x.test", "h", &err);
	store_account_add(s, "b@x.test", "h", &err);
	ab[0] = tstore_account(s, "a@x.test");
	ab[1] = tstore_account(s, "b@x.test");
	deliver_one(s, "shared", ab, 2, 0, &r);
	deliver_one(s, "a only", ab, 1, 0, &r);
	deliver_one(s, "a and queue", ab, 1, 1, &r);
	TEST_ASSERT_INTEQ(r.ok, 3);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 3);
	TEST_ASSERT_INTEQ(store_account_del(s, "a@x.test", &err), 1);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 2);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM messages"),
			  2);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT count(*) FROM mailbox_messages"), 1);
	TEST_ASSERT_INTEQ(walk(s, "b@x.test", NULL, &w), 1);
	TEST_ASSERT_INTEQ(w.n, 1);
	TEST_ASSERT_STREQ(w.first, "shared");
	TEST_ASSERT_INTEQ(store_account_del(s, "b@x.test", &err), 1);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 1); /* still queued */
	TEST_ASSERT_INTEQ(store_queue_count(s, &err), 1);
	tstore_teardown(s, dir);
}

static void
test_store_gc_after_crash(void)
{
	char *dir = tstore_dir_new("store");
	const char *err = NULL;
	struct store *s = store_open(dir, NULL, &err);
	struct tstore_done r = {0};
	struct ev *ev;
	struct pool *pool;
	int64_t a;

	test_begin("open: files of released messages left by a crash go");
	TEST_ASSERT(s != NULL);
	store_account_add(s, "a@x.test", "h", &err);
	a = tstore_account(s, "a@x.test");
	deliver_one(s, "kept", &a, 1, 0, &r);
	deliver_one(s, "released", &a, 1, 0, &r);
	TEST_ASSERT_INTEQ(r.ok, 2);
	store_close(&s);
	/* An expunge committed, then the process died before unlinking:
	   the row is at refcount 0 and its file is still there. */
	TEST_ASSERT_INTEQ(tstore_sql_exec(dir,
					  "DELETE FROM mailbox_messages WHERE "
					  "uid = (SELECT max(uid) FROM "
					  "mailbox_messages)"),
			  0);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir,
			   "SELECT count(*) FROM messages WHERE refcount <= 0"),
	    1);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 2);
	ev = ev_new();
	pool = pool_new(ev, 1);
	s = store_open(dir, pool, &err);
	TEST_ASSERT(s != NULL);
	store_close(&s);
	pool_free(&pool);
	ev_free(&ev);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 1);
	TEST_ASSERT_INTEQ(tstore_sql_int(dir, "SELECT count(*) FROM messages"),
			  1);
	tstore_dir_free(dir);
}

/* ---- server mode ---- */

static void
on_timeout(struct ev *ev, void *arg)
{
	int *fired = arg;

	*fired = 1;
	ev_stop(ev);
}

static void
test_store_server_mode(void)
{
	char *dir = tstore_dir_new("store");
	const char *err = NULL;
	struct ev *ev = ev_new();
	struct pool *pool = pool_new(ev, 2);
	struct store *s = store_open(dir, pool, &err);
	struct store_stats st;
	struct tstore_done r = {0};
	struct walk w;
	int64_t id;
	int fired = 0, i;
	char text[64];

	test_begin("deliver (server): fan-out");
	TEST_ASSERT(s != NULL);
	deliver_fanout(dir, s, ev);

	test_begin("deliver (server): 200 concurrent, group committed");
	store_stats(s, &st);
	TEST_ASSERT_INTEQ(st.commits, 1);
	id = tstore_account(s, "u1@x.test");
	r.ev = ev;
	r.stop_at = 200;
	for (i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), "Subject: %d\r\n\r\n", i);
		deliver_one(s, text, &id, 1, 0, &r);
	}
	TEST_ASSERT_INTEQ(r.calls, 0); /* completions only on the loop */
	ev_add_timer(ev, 60000, on_timeout, &fired);
	ev_run(ev);
	TEST_ASSERT_INTEQ(fired, 0);
	TEST_ASSERT_INTEQ(r.calls, 200);
	TEST_ASSERT_INTEQ(r.ok, 200);
	store_stats(s, &st);
	TEST_ASSERT_INTEQ(st.deliveries_ok, 201);
	TEST_ASSERT_INTEQ(st.deliveries_failed, 0);
	TEST_ASSERT(st.commits < 1 + 200);
	TEST_ASSERT(st.batch_max > 1);
	printf("group commit: 200 deliveries in %llu commits (largest %llu)\n",
	       (unsigned long long)(st.commits - 1),
	       (unsigned long long)st.batch_max);
	TEST_ASSERT_INTEQ(walk(s, "u1@x.test", NULL, &w), 1);
	TEST_ASSERT_INTEQ(w.n, 201);
	for (i = 0; i < w.n && i < 512; i++)
		if (w.uids[i] != (uint32_t)i + 1)
			break;
	TEST_ASSERT_INTEQ(i, 201);
	TEST_ASSERT_INTEQ(count_files(dir, "blobs"), 201);

	test_begin("deliver (server): close waits for pending commits");
	r.calls = r.ok = 0;
	r.stop_at = -1;
	for (i = 0; i < 20; i++)
		deliver_one(s, "late", &id, 1, 0, &r);
	store_close(&s);
	pool_free(&pool); /* runs the posted completions */
	TEST_ASSERT_INTEQ(r.calls, 20);
	TEST_ASSERT_INTEQ(r.ok, 20);
	TEST_ASSERT_INTEQ(
	    tstore_sql_int(dir, "SELECT count(*) FROM mailbox_messages"
				" m JOIN accounts a ON a.address="
				"'u1@x.test' JOIN mailboxes b ON "
				"b.account_id=a.id AND b.id=m.mailbox_id"),
	    221);
	ev_free(&ev);
	tstore_dir_free(dir);
}

TEST_MAIN(test_store_open, test_store_gc_after_crash, test_store_accounts,
	  test_store_aliases, test_store_lookup, test_store_deliver_cli,
	  test_store_deliver_fail, test_store_account_del_blobs,
	  test_store_server_mode)

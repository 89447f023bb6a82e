/* test_store_combine.c: write combining (store_combine.c).  Concurrent
   STORE, EXPUNGE and COPY/MOVE calls from many threads share commits;
   one that fails (copy between accounts, no UIDs left) fails alone and
   loses nothing of the others; everything is there after a reopen. */
/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "test.h"
#include "tstore.h"

#define THREADS 8
#define ROUNDS 40

struct worker {
	pthread_t t;
	struct store *s;
	int64_t inbox, box, foreign; /* box: this worker's own mailbox */
	uint32_t uid;                /* this worker's message in INBOX */
	int flag_ok, copy_ok, copy_refused, expunged, errors;
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct store_flag_update u;
	struct store_flag_result *r;
	uint32_t *su, *du, uv;
	const char *err;
	size_t n;
	int i, rc;

	for (i = 0; i < ROUNDS; i++) {
		/* Toggle \Flagged on the worker's own message. */
		memset(&u, 0, sizeof(u));
		u.uids = &w->uid;
		u.n = 1;
		u.mode = i % 2 == 0 ? 1 : -1;
		u.flags = STORE_FLAG_FLAGGED;
		if (store_msg_flags(w->s, w->inbox, &u, &r, &n, &err) == 0 &&
		    n == 1 && r[0].changed)
			w->flag_ok++;
		else
			w->errors++;
		store_flag_results_free(r, n);
		/* Copy it into the worker's mailbox... */
		rc = store_msg_copy(w->s, w->inbox, &w->uid, 1, w->box, false,
				    &su, &du, &n, &uv, &err);
		if (rc == 1 && n == 1) {
			w->copy_ok++;
			/* ...and expunge the copy again, every other round. */
			if (i % 2 == 0 &&
			    store_expunge(w->s, w->box, du, 1, &err) == 1)
				w->expunged++;
		} else
			w->errors++;
		free(su);
		free(du);
		/* A copy that must fail alone, in the middle of the rest. */
		rc = store_msg_copy(w->s, w->inbox, &w->uid, 1, w->foreign,
				    false, &su, &du, &n, &uv, &err);
		if (rc < 0 && strstr(err, "between accounts") != NULL)
			w->copy_refused++;
		else
			w->errors++;
		free(su);
		free(du);
	}
	return NULL;
}

static void
test_concurrent(void)
{
	char *dir;
	const char *err = NULL;
	struct store *s;
	struct worker w[THREADS];
	struct store_msg_list l;
	char name[32], text[64];
	int64_t acc, other;
	int i;

	test_begin("combine: concurrent STORE/COPY/EXPUNGE, failures alone");
	s = tstore_setup("combine", "a@x.test", &dir, &acc);
	other = tstore_account_add(s, "b@x.test");
	for (i = 0; i < THREADS; i++) {
		snprintf(text, sizeof(text), "Subject: m%d\r\n\r\nbody\r\n", i);
		tstore_deliver(s, &acc, 1, NULL, text, 0);
		snprintf(name, sizeof(name), "W%d", i);
		TEST_ASSERT_INTEQ(store_mbox_create(s, acc, name, NULL, &err),
				  1);
		memset(&w[i], 0, sizeof(w[i]));
		w[i].s = s;
		w[i].inbox = tstore_mbox(s, acc, "INBOX");
		w[i].box = tstore_mbox(s, acc, name);
		w[i].foreign = tstore_mbox(s, other, "INBOX");
		w[i].uid = (uint32_t)i + 1;
	}
	for (i = 0; i < THREADS; i++)
		pthread_create(&w[i].t, NULL, work, &w[i]);
	for (i = 0; i < THREADS; i++)
		pthread_join(w[i].t, NULL);
	store_close(&s);

	/* Reopened: every acknowledged change is there. */
	s = store_open(dir, NULL, &err);
	TEST_ASSERT(s != NULL);
	if (s == NULL)
		return;
	for (i = 0; i < THREADS; i++) {
		TEST_ASSERT_INTEQ(w[i].errors, 0);
		TEST_ASSERT_INTEQ(w[i].flag_ok, ROUNDS);
		TEST_ASSERT_INTEQ(w[i].copy_ok, ROUNDS);
		TEST_ASSERT_INTEQ(w[i].copy_refused, ROUNDS);
		TEST_ASSERT_INTEQ(w[i].expunged, ROUNDS / 2);
		snprintf(name, sizeof(name), "W%d", i);
		TEST_ASSERT_INTEQ(
		    store_msg_snapshot(s, tstore_mbox(s, acc, name), &l, &err),
		    1);
		TEST_ASSERT_INTEQ(l.n, ROUNDS / 2);
		TEST_ASSERT_INTEQ(l.uidnext, ROUNDS + 1);
		store_msg_list_free(&l);
	}
	TEST_ASSERT_INTEQ(
	    store_msg_snapshot(s, tstore_mbox(s, acc, "INBOX"), &l, &err), 1);
	TEST_ASSERT_INTEQ(l.n, THREADS);
	/* ROUNDS toggles, even: \Flagged is off again everywhere. */
	for (i = 0; i < (int)l.n; i++)
		TEST_ASSERT_INTEQ(l.m[i].flags & STORE_FLAG_FLAGGED, 0);
	store_msg_list_free(&l);
	TEST_ASSERT_INTEQ(
	    store_msg_snapshot(s, tstore_mbox(s, other, "INBOX"), &l, &err), 1);
	TEST_ASSERT_INTEQ(l.n, 0);
	store_msg_list_free(&l);
	tstore_teardown(s, dir);
}

/* A copy that fails after its work began (no UIDs left in the target)
   is rolled back alone: its partial results are freed (ASan checks),
   the mailbox is unchanged. */
static void
test_no_uids_left(void)
{
	char *dir, sql[128];
	const char *err = NULL;
	struct store *s;
	struct store_msg_list l;
	uint32_t uids[] = {1, 2}, *su, *du, uv;
	int64_t acc, full;
	size_t n;

	test_begin("combine: copy with no UIDs left fails alone");
	s = tstore_setup("combine", "a@x.test", &dir, &acc);
	tstore_deliver(s, &acc, 1, NULL, "Subject: one\r\n\r\n1\r\n", 0);
	tstore_deliver(s, &acc, 1, NULL, "Subject: two\r\n\r\n2\r\n", 0);
	TEST_ASSERT_INTEQ(store_mbox_create(s, acc, "Full", NULL, &err), 1);
	full = tstore_mbox(s, acc, "Full");
	snprintf(sql, sizeof(sql),
		 "UPDATE mailboxes SET uidnext = 4294967295 WHERE id = %lld",
		 (long long)full);
	TEST_ASSERT_INTEQ(tstore_sql_exec(dir, sql), 0);
	TEST_ASSERT_INTEQ(store_msg_copy(s, tstore_mbox(s, acc, "INBOX"), uids,
					 2, full, false, &su, &du, &n, &uv,
					 &err),
			  -1);
	TEST_ASSERT(su == NULL && du == NULL && n == 0);
	TEST_ASSERT(err != NULL && strstr(err, "no UIDs left") != NULL);
	/* One still fits. */
	TEST_ASSERT_INTEQ(store_msg_copy(s, tstore_mbox(s, acc, "INBOX"), uids,
					 1, full, false, &su, &du, &n, &uv,
					 &err),
			  1);
	TEST_ASSERT(n == 1 && du != NULL && du[0] == 4294967295u);
	free(su);
	free(du);
	TEST_ASSERT_INTEQ(store_msg_snapshot(s, full, &l, &err), 1);
	TEST_ASSERT_INTEQ(l.n, 1);
	store_msg_list_free(&l);
	tstore_teardown(s, dir);
}

TEST_MAIN(test_concurrent, test_no_uids_left)

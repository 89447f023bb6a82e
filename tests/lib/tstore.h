/* tstore.h: helpers shared by the store unit tests (tests/unit/
   test_store*.c): temporary data directories, a fresh store with one
   account, account and mailbox ids, SQL run on store.db directly, and
   CLI-mode deliveries.  Failed checks are counted with TEST_ASSERT
   (test.h); what a test cannot go on without (a directory, an open
   store) ends the binary with exit(1). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_TSTORE_H
#define BUZON_TSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

struct ev;

/* Create a new directory /tmp/buzon-test-TAG-XXXXXX (mkdtemp); exits
   with a message if it cannot.  Returns the path, malloc'd, owned by the
   caller: release it with tstore_dir_free(). */
char *tstore_dir_new(const char *tag);
/* Remove dir and everything below it (links are removed, not followed),
   then free(dir).  NULL: nothing. */
void tstore_dir_free(char *dir);

/* A store (CLI mode: no pool) opened in a new tstore_dir_new(tag) with
   the account address added (tstore_account_add).  *dir_r: the
   directory, *acc_r: the account id.  Asserts the store opened and exits
   if it did not.  The caller owns both: tstore_teardown(). */
struct store *tstore_setup(const char *tag, const char *address, char **dir_r,
			   int64_t *acc_r);
/* store_close(&s) (s may be NULL), then tstore_dir_free(dir). */
void tstore_teardown(struct store *s, char *dir);

/* The id of account address, or -1 if there is none (no assertion). */
int64_t tstore_account(struct store *s, const char *address);
/* Add account address (password hash "h"), asserting it was created and
   can be looked up.  Returns its id, -1 if the lookup failed. */
int64_t tstore_account_add(struct store *s, const char *address);
/* The id of mailbox name of account acc, 0 if there is none. */
int64_t tstore_mbox(struct store *s, int64_t acc, const char *name);

/* The first column of the first row of sql, run on dir/store.db opened
   read-only (beside the store, which may be open).  Returns the integer,
   -1 if there is no row or the SQL fails (the error is printed), -2 if
   the database cannot be opened. */
long long tstore_sql_int(const char *dir, const char *sql);
/* Run sql (one or more statements) on dir/store.db read-write.  Returns
   0 if all ran, -1 otherwise. */
int tstore_sql_exec(const char *dir, const char *sql);

/* What the completions of store_deliver() calls reported, to pass as
   the arg of tstore_on_done.  Zero it before use. */
struct tstore_done {
	int calls;         /* completions */
	int ok;            /* completions with ok = 1 */
	const char *error; /* the last error (NULL after a success) */
	struct ev *ev;     /* if set: ev_stop(ev) once calls == stop_at */
	int stop_at;
};
/* A store_done_fn: counts into the struct tstore_done at arg. */
void tstore_on_done(void *arg, int ok, const char *error);

/* Fill *d (zeroed first) for a delivery of text from s@remote.test to
   the n accounts (d->accounts = accounts, kept by reference), dated
   1700000000, in a new blob written with text (asserted).  The caller
   sets what else it wants and calls store_deliver(), which takes the
   blob. */
void tstore_delivery(struct store *s, struct store_delivery *d,
		     const int64_t *accounts, size_t n, const char *text);
/* Deliver text synchronously (a CLI-mode store) to the n accounts, into
   mailbox (NULL: INBOX) with flags (STORE_FLAG_*), asserting the blob
   was written and the delivery (one completion for all n) succeeded.
   Returns the delivery's out_uid (0 if the blob could not be made). */
uint32_t tstore_deliver(struct store *s, const int64_t *accounts, size_t n,
			const char *mailbox, const char *text, uint32_t flags);

#endif

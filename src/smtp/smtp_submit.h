/* smtp_submit.h: handing a submitted message to the store, shared by
   SMTP (smtp_tx.c) and JMAP EmailSubmission (web/jmap_submission.c):
   local recipients get a copy in their INBOX, remote ones one queue
   entry (the queue DKIM-signs it for a local sender's domain when it
   sends, queue_prep.c), and the queue is kicked so that it goes out at
   once. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_SUBMIT_H
#define BUZON_SMTP_SUBMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_blob;
struct queue_runner;
struct mime_msg_info;

/* One recipient: a local account (account_id > 0) or a remote
   forward-path (remote, with its DSN ORCPT and NOTIFY bits). */
struct smtp_submit_rcpt {
	int64_t account_id;
	const char *remote;
	const char *orcpt;
	unsigned notify;
};

/* One submission.  Every pointer must stay valid until done() runs. */
struct smtp_submit {
	const char *sender; /* reverse-path without <>, "" for null */
	const struct smtp_submit_rcpt *rcpts;
	size_t n_rcpts;
	const char *dsn_envid; /* or NULL */
	int dsn_ret;	       /* 0 none, 1 FULL, 2 HDRS */
	/* kicked after a commit that queued remote recipients; NULL: the
	   queue's poll (QUEUE_POLL_MS) finds the entry */
	struct queue_runner *queue;
};

/* done(arg, ok, error, n_local, n_remote): after the store's commit, on
   the loop thread (server mode) or before return (CLI mode); error is
   static (ok 0 only). */
typedef void smtp_submit_done_fn(void *arg, int ok, const char *error,
				 size_t n_local, size_t n_remote);

/* Submit the finished blob (owned by the store from the call on) whose
   MIME summary is *info (moved: *info is left empty). */
void smtp_submit_blob(struct store *st, const struct smtp_submit *sub,
		      struct store_blob *blob, struct mime_msg_info *info,
		      smtp_submit_done_fn *done, void *arg);
/* Submit msg[0..n) (copied to a new blob).  If the blob cannot be
   written, done(arg, 0, ...) runs before this returns. */
void smtp_submit_buf(struct store *st, const struct smtp_submit *sub,
		     const void *msg, size_t n, smtp_submit_done_fn *done,
		     void *arg);

/* ---- addresses, for callers off the loop thread (JMAP): blocking,
   they read accounts and aliases from the database ---- */

struct config;

/* The aliases (and alias lists) of the server as loaded from the store;
   free with smtp_submit_aliases_free. */
struct smtp_submit_aliases {
	char **addr;
	char ***targets;
	size_t *n_targets;
	size_t n;
};
int smtp_submit_aliases_load(struct store *st, struct smtp_submit_aliases *al,
			     const char **error_r);
void smtp_submit_aliases_free(struct smtp_submit_aliases *al);

/* Does the account with address account own sender address addr?  The
   rule of SMTP submission's MAIL FROM (smtp_rcpt_sender_owned): addr is
   the account itself, or in a local domain the account with a
   +tag (cfg's recipient delimiter), or an alias whose expansion
   (through other aliases) includes the account. */
bool smtp_submit_sender_owned(const struct config *cfg,
			      const struct smtp_submit_aliases *al,
			      const char *account, const char *addr);

/* Where recipient addr goes: a remote address (returns 0), local
   accounts (returns 1 after appending each account id once to
   (*ids, *n), remote alias targets to (*remote, *n_remote) as strings of
   addr's lifetime or al's), or nowhere: an unknown local address
   (returns -2); -1 on a store error (*error_r). */
int smtp_submit_resolve(struct store *st, const struct config *cfg,
			const struct smtp_submit_aliases *al, const char *addr,
			int64_t **ids, size_t *n, const char ***remote,
			size_t *n_remote, const char **error_r);

#endif

/* store.h: the one interface to accounts, aliases, mailboxes, messages and
   the outbound queue.  Protocol code never runs SQL or opens blob files. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_STORE_H
#define BUZON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mime_msg_info;
struct pool;
struct store;
struct store_blob;

/* Mailbox names created for every new account (RFC 6154 special use). */
#define STORE_INBOX "INBOX"

/* IMAP system flags as bits of store_message.flags. */
#define STORE_FLAG_SEEN 0x01u
#define STORE_FLAG_ANSWERED 0x02u
#define STORE_FLAG_FLAGGED 0x04u
#define STORE_FLAG_DELETED 0x08u
#define STORE_FLAG_DRAFT 0x10u

/* Open (creating if needed) the store under data_dir: data_dir/store.db
   (SQLite, WAL, synchronous=FULL), data_dir/blobs/, data_dir/tmp/.  The
   schema is versioned; older versions are migrated in place.
   If pool is non-NULL, a committer thread is started and store_deliver()
   completions are posted to the loop through it (server mode); with NULL,
   store_deliver() completes synchronously (CLI mode).
   Returns the store (owned by the caller) or NULL with *error_r set
   (static or valid until the next store call on this thread). */
struct store *store_open(const char *data_dir, struct pool *pool,
			 const char **error_r);
/* Wait for pending commits, stop the committer, close.  *sp = NULL. */
void store_close(struct store **sp);

/* ---- accounts (addresses are stored lowercased; lookups ignore case) ---- */

struct store_account {
	int64_t id;
	char *address;     /* owned by the struct */
	char *pwhash;      /* crypt(3) hash, owned */
	char *apop_secret; /* NULL if APOP is off, owned */
};
void store_account_clear(struct store_account *a);

/* Returns 1 created (with INBOX, Sent, Drafts, Trash, Junk, Archive),
   0 if the address exists already (as account or alias), -1 on error. */
int store_account_add(struct store *s, const char *address, const char *pwhash,
		      const char **error_r);
/* Remove the account, its mailboxes and messages (blobs unreferenced are
   deleted).  Returns 1 deleted, 0 no such account, -1 error. */
int store_account_del(struct store *s, const char *address,
		      const char **error_r);
/* Returns 1 changed, 0 no such account, -1 error.  secret NULL = off. */
int store_account_set_password(struct store *s, const char *address,
			       const char *pwhash, const char **error_r);
int store_account_set_apop(struct store *s, const char *address,
			   const char *secret, const char **error_r);
/* Fill *a (caller clears it with store_account_clear).  Returns 1 found,
   0 not found, -1 error.  Thread-safe (own connection per thread). */
int store_account_get(struct store *s, const char *address,
		      struct store_account *a, const char **error_r);
/* Calls fn for each account in address order.  Returns 0 or -1. */
int store_account_list(struct store *s,
		       void (*fn)(const char *address, void *arg), void *arg,
		       const char **error_r);

/* ---- aliases (one address -> one or more targets, local or remote) ---- */

/* Add targets to alias address (created if absent; duplicates ignored).
   Returns 1 done, 0 if address is an account, -1 error. */
int store_alias_add(struct store *s, const char *address,
		    const char *const *targets, size_t n, const char **error_r);
/* n == 0: delete the whole alias; else remove those targets (the alias
   is deleted when none remain).  Returns 1 changed, 0 not found, -1 err. */
int store_alias_del(struct store *s, const char *address,
		    const char *const *targets, size_t n, const char **error_r);
/* Calls fn(address, targets, n, arg) per alias in address order. */
int store_alias_list(struct store *s,
		     void (*fn)(const char *address, const char *const *targets,
				size_t n, void *arg),
		     void *arg, const char **error_r);

/* ---- recipient lookup (fast: served from an in-memory directory that
   is reloaded when another process changed the database) ---- */

enum store_addr_kind { STORE_ADDR_NONE, STORE_ADDR_ACCOUNT, STORE_ADDR_ALIAS };
struct store_lookup {
	enum store_addr_kind kind;
	int64_t account_id;         /* STORE_ADDR_ACCOUNT */
	const char *const *targets; /* STORE_ADDR_ALIAS; valid until the next
				       store_lookup() on this store */
	size_t n_targets;
};
/* Look up an exact lowercased address.  Loop thread only.  Returns 0 or
   -1 on a database error. */
int store_lookup(struct store *s, const char *address, struct store_lookup *r);
/* The account that address names: itself, or with plus-addressing
   ("user+tag@domain" with delim '+'; '\0' turns that off) the account
   "user@domain".  Loop thread only.  Returns 1 and sets *account_r, 0 if
   it is no account (unknown or an alias), -1 on a database error. */
int store_lookup_account(struct store *s, const char *address, char delim,
			 int64_t *account_r);

/* ---- blobs: immutable message files, shared by all recipients ---- */

/* Start a new blob in data_dir/tmp.  Returns NULL on error (*error_r). */
struct store_blob *store_blob_new(struct store *s, const char **error_r);
/* Append bytes (buffered; written to the temp file in large writes).
   Returns 0 or -1 (errno set; the blob is then unusable). */
int store_blob_write(struct store_blob *b, const void *data, size_t n);
/* Bytes written so far. */
uint64_t store_blob_size(const struct store_blob *b);
/* Drop an unfinished blob and its temp file.  *bp = NULL. */
void store_blob_abort(struct store_blob **bp);

/* ---- delivery ---- */

struct store_remote_rcpt {
	const char *address; /* forward-path, as given */
	const char *orcpt;   /* DSN ORCPT (xtext decoded) or NULL */
	unsigned notify;     /* DSN NOTIFY bits, 0 = not given */
};

struct store_delivery {
	const char *sender;      /* reverse-path without <>, "" for null */
	struct store_blob *blob; /* the store takes ownership */
	int64_t internaldate;    /* unix seconds */
	/* Parsed at delivery (src/mime) for IMAP, stored verbatim: */
	const char *envelope;      /* IMAP ENVELOPE list, or NULL */
	const char *bodystructure; /* IMAP BODYSTRUCTURE list, or NULL */
	const char *body;          /* IMAP BODY (non-extensible), or NULL */
	const char *hdr_subject, *hdr_from, *hdr_to, *hdr_cc,
	    *hdr_message_id; /* raw unfolded values or NULL */
	int64_t hdr_date;    /* Date: as unix seconds, 0 if none/bad */
	/* Local recipients: account ids, delivered to each INBOX once
	   (duplicates are skipped). */
	const int64_t *accounts;
	size_t n_accounts;
	/* Remote recipients: one queue entry holds them all. */
	const struct store_remote_rcpt *remote;
	size_t n_remote;
	/* Where local copies go: NULL = INBOX (created if absent; used by
	   `buzon import`), with these initial STORE_FLAG_* flags. */
	const char *mailbox;
	uint32_t flags;
	const char *dsn_envid; /* or NULL */
	int dsn_ret;           /* 0 none, 1 FULL, 2 HDRS */
	/* IMAP APPEND (store_msg.h users): space-separated keywords of the
	   local copies (NULL: none); no_create: a missing mailbox fails the
	   delivery (error "no such mailbox") instead of being created. */
	const char *keywords;
	bool no_create;
	/* Set by the store before done(ok=1): UID and UIDVALIDITY of the
	   copy for the first (lowest id) local account (RFC 4315 APPENDUID). */
	uint32_t out_uid, out_uidvalidity;
};

/* Make the message durable: fsync the blob, rename it into blobs/, insert
   its rows, commit.  Many deliveries share one commit (group commit).
   done(arg, ok, error) runs on the loop thread (server mode) or before
   return (CLI mode) only after the commit is on stable storage; ok is 1
   on success, 0 on failure (error is a static message).  d and the
   strings it points to must stay valid until done() (the blob is owned
   by the store from the call on). */
typedef void store_done_fn(void *arg, int ok, const char *error);
/* Completion of an asynchronous write (store_msg_flags_submit(),
   store_expunge_submit()): rc as the blocking call would return it;
   error NULL unless rc < 0, valid only during the call. */
typedef void store_write_done_fn(void *arg, int rc, const char *error);
/* Point d's parsed fields (envelope .. hdr_date) at what the MIME summary
   m computed; m must outlive the delivery. */
void store_delivery_summary(struct store_delivery *d,
			    const struct mime_msg_info *m);
void store_deliver(struct store *s, struct store_delivery *d,
		   store_done_fn *done, void *arg);
/* Deliver a message held in memory (DSNs, bounces): write msg[0..n) to
   a new blob, summarise it into *info (the caller keeps *info and d
   alive until done() and then mime_msg_info_clear()s it), set d->blob
   and the parsed fields, and store_deliver().  If the blob cannot be
   written, done(arg, 0, error) runs before this returns. */
void store_deliver_buf(struct store *s, struct store_delivery *d,
		       struct mime_msg_info *info, const void *msg, size_t n,
		       store_done_fn *done, void *arg);

/* ---- reading mailboxes (CLI export; POP3/IMAP build on these) ---- */

struct store_message {
	int64_t mailbox_id;
	uint32_t uid;
	uint32_t flags; /* STORE_FLAG_* */
	int64_t internaldate;
	uint64_t size;
	uint64_t modseq;
	const char *sender;    /* envelope sender ("" for <>) */
	const char *blob_path; /* absolute path of the message file */
};

/* Calls fn for every message of account's mailbox (by name; NULL means
   INBOX) in UID order; pointers valid during the call.  Returns 1, 0 if
   no such account or mailbox, -1 on error. */
int store_mailbox_foreach(struct store *s, const char *address,
			  const char *mailbox,
			  int (*fn)(const struct store_message *m, void *arg),
			  void *arg, const char **error_r);

/* ---- POP3 maildrop (store_pop3.c) and expunge (store_expunge.c) ---- */

struct store_pop3_msg {
	uint32_t uid;
	uint64_t size;	 /* octets of the message file (CRLF line ends) */
	char *blob_path; /* absolute path of the message file, owned */
};
struct store_pop3_box {
	int64_t mailbox_id;
	uint32_t uidvalidity;
	struct store_pop3_msg *msgs; /* in UID order, owned */
	size_t n;
};
/* Snapshot the INBOX of account_id (RFC 1939 8: the maildrop as it is at
   login; later deliveries are not in it) in one read transaction.  Fills
   *box (free with store_pop3_box_free).  Returns 1, 0 if the account has
   no INBOX (box empty), -1 on error (*error_r).  Thread-safe; may block
   (run it on the pool). */
int store_pop3_snapshot(struct store *s, int64_t account_id,
			struct store_pop3_box *box, const char **error_r);
/* Free what the snapshot owns and zero *box. */
void store_pop3_box_free(struct store_pop3_box *box);

/* Remove the messages with these uids from mailbox_id in one durable
   transaction: the copies go, each expunge is recorded with one new
   modseq (RFC 7162 CONDSTORE/QRESYNC see it), message rows no longer
   referenced are deleted and their files unlinked after the commit.
   UIDs already gone are skipped.  Returns the number removed (>= 0) once
   the commit is on stable storage, or -1 (*error_r; nothing removed).
   Thread-safe; blocks (run it on the pool). */
int store_expunge(struct store *s, int64_t mailbox_id, const uint32_t *uids,
		  size_t n, const char **error_r);
/* store_expunge() without blocking a thread: the write joins the
   committer's next transaction and done(arg, removed or -1, error) runs
   on the loop thread once it is durable (in CLI mode, before this
   returns).  uids must stay valid until done. */
void store_expunge_submit(struct store *s, int64_t mailbox_id,
			  const uint32_t *uids, size_t n,
			  store_write_done_fn *done, void *arg);

/* Number of entries in the outbound queue (tests and `queue list`). */
int store_queue_count(struct store *s, const char **error_r);

/* ---- outbound queue (store_queue.c).  All thread-safe and blocking:
   the server runs them on the pool.  Times are unix seconds. ---- */

/* queue_rcpt.state */
enum store_qrcpt_state {
	STORE_QRCPT_PENDING = 0,
	STORE_QRCPT_DELIVERED = 1,
	STORE_QRCPT_FAILED = 2,  /* bounced */
	STORE_QRCPT_DELAYED = 3, /* pending; the delay DSN was sent */
};

struct store_queue_rcpt {
	char *address;  /* owned */
	char *orcpt;    /* DSN ORCPT "type;addr" or NULL, owned */
	unsigned notify; /* SMTP_NOTIFY_* bits, 0 = not given */
	enum store_qrcpt_state state;
	int attempts;
	char *last_reply; /* last result text or NULL, owned */
	char *mta;        /* host that gave it, or NULL, owned */
};

struct store_queue_entry {
	int64_t id;
	char *sender; /* reverse-path, "" for <>, owned */
	char *envid;  /* or NULL, owned */
	int ret;      /* 0 none, 1 FULL, 2 HDRS */
	int64_t created, next_attempt, last_attempt;
	int attempts;
	bool held, in_flight;
	uint64_t size;
	char *blob_path; /* absolute path of the message file, owned */
	struct store_queue_rcpt *rcpts; /* owned */
	size_t n_rcpts;
};
/* Free what e owns and zero it. */
void store_queue_entry_clear(struct store_queue_entry *e);
/* Clear and free an array of n entries; *ep = NULL. */
void store_queue_entries_free(struct store_queue_entry **ep, size_t n);

/* Take up to max entries that are due (next_attempt <= now), not held and
   not in flight, oldest due first, and mark them in flight.  Only their
   pending recipients (PENDING, DELAYED) are returned.  *entries_r is a
   malloc'd array (store_queue_entries_free).  Returns the count (>= 0)
   or -1 (*error_r). */
int store_queue_take(struct store *s, int64_t now, size_t max,
		     struct store_queue_entry **entries_r,
		     const char **error_r);
/* Mark every entry not in flight (at server start: a crash left them
   marked; their recipients are retried: at least once).  0 or -1. */
int store_queue_unlock_all(struct store *s, const char **error_r);

/* What one attempt of an entry came to, per recipient it was tried for.
   Recipients not named keep their state. */
struct store_queue_outcome {
	const char *address;
	enum store_qrcpt_state state;
	const char *reply; /* or NULL: unchanged */
	const char *mta;   /* or NULL: unchanged */
};
/* Record an attempt of entry id in one durable transaction: recipient
   states and replies, attempts + 1, last_attempt = now, next_attempt,
   no longer in flight.  An entry left without pending recipients is
   deleted (its message file too when nothing else refers to it).
   Returns 1 if the entry is still queued, 0 if it was deleted or was
   gone already, -1 on error (*error_r). */
int store_queue_record(struct store *s, int64_t id, int64_t now,
		       int64_t next_attempt,
		       const struct store_queue_outcome *o, size_t n,
		       const char **error_r);
/* One attempt for store_queue_record_batch. */
struct store_queue_attempt {
	int64_t id, now, next_attempt;
	const struct store_queue_outcome *o; /* n of them, borrowed */
	size_t n;
	/* Hint: every recipient left pending gets a final state here, so
	   the entry will be deleted (decides whether the commit waits for
	   the disk; a wrong hint costs time, never safety). */
	bool final;
	int kept; /* set: 1 still queued, 0 deleted or gone already */
	int64_t message_id; /* set: its message when this deleted it, else 0 */
};
/* Record the n attempts a[0..n) as store_queue_record does, in one
   transaction: synced when an entry is deleted (then its message file
   is removed once, after the commit); else not waiting for the disk,
   which the at-least-once rule allows (see store_queue.c).  Returns 0
   (each a[i].kept set) or -1 (*error_r; nothing recorded). */
int store_queue_record_batch(struct store *s, struct store_queue_attempt *a,
			     size_t n, const char **error_r);

/* Every entry with every recipient, in id order (`buzon queue list`).
   fn's argument is valid during the call.  Returns 0 or -1. */
int store_queue_list(struct store *s,
		     void (*fn)(const struct store_queue_entry *e, void *arg),
		     void *arg, const char **error_r);

/* Queue administration.  id 0 means every entry (flush only).
   flush: due now (next_attempt = 0); hold/release: set held.  delete:
   remove the entry without a bounce.  Return the number of entries
   changed (0: no such entry), or -1 (*error_r). */
int store_queue_flush(struct store *s, int64_t id, const char **error_r);
int store_queue_hold(struct store *s, int64_t id, bool held,
		     const char **error_r);
int store_queue_delete(struct store *s, int64_t id, const char **error_r);

/* ---- change notification ---- */

/* What a notification names: a mailbox whose messages, flags or
   existence changed (deliveries, store_msg_*, store_jmap_email_*,
   store_mbox_delete/rename, store_expunge), or an account whose JMAP
   state moved without a mailbox row changing (mailbox create and
   subscriptions, Identities and EmailSubmissions: store_jmap_obj_put). */
enum store_change {
	STORE_CHANGE_MAILBOX = 1, /* id: mailboxes.id */
	STORE_CHANGE_ACCOUNT = 2, /* id: accounts.id */
};
/* fn(arg, kind, id) is called after every commit that made such a
   change, once per mailbox (or account) and commit, on the committing
   thread (any thread: fn must be thread-safe and fast and must not block,
   e.g. queue the id and pool_post() to the loop; it must not call
   store_add_notify/store_remove_notify).  Changes made by other
   processes (the CLI) are not reported. */
typedef void store_notify_fn(void *arg, enum store_change kind, int64_t id);
/* Add a listener.  Thread-safe, at any time (a lock guards the list; the
   listeners run under it).  Returns 0, or -1 when STORE_NOTIFY_MAX
   listeners are registered already. */
int store_add_notify(struct store *s, store_notify_fn *fn, void *arg);
/* Remove the listener added with the same fn and arg (nothing if none).
   Thread-safe; when it returns, fn(arg, ...) is not running and is not
   called again, so arg may be freed. */
void store_remove_notify(struct store *s, store_notify_fn *fn, void *arg);
/* The accounts owning the notified mailboxes ids[0..n): accounts_r[i]
   is the account of ids[i], or 0 when that mailbox no longer exists.
   Blocking (run on the pool).  Returns 0, or -1 with *error_r. */
int store_notify_owners(struct store *s, const int64_t *ids, size_t n,
			int64_t *accounts_r, const char **error_r);

/* ---- counters (tests, monitoring) ---- */

struct store_stats {
	uint64_t deliveries_ok;     /* done(ok=1) so far */
	uint64_t deliveries_failed; /* done(ok=0) so far */
	uint64_t commits;           /* delivery transactions committed */
	uint64_t batch_max;         /* most deliveries in one commit */
};
/* Copy the counters into *r.  Thread-safe. */
void store_stats(struct store *s, struct store_stats *r);

#include "store/store_mbox.h"
#include "store/store_msg.h"

#endif

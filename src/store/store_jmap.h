/* store_jmap.h: what JMAP Mail (RFC 8621) needs of the store beyond
   store_mbox.h and store_msg.h: Email and Thread ids, the account-wide
   change log behind state strings and /changes, and Email writes that
   IMAP sees.  Part of the store interface (included by store.h).

   Design.
   - Ids are immutable row ids: a Mailbox id is mailboxes.id, an Email
     id is messages.id (one message, whatever mailboxes of the account
     hold copies of it: its mailboxIds), a Thread id is the messages.id
     of the Email that started the thread.  The web layer spells them
     "<letter><decimal>".  (SQLite may give a new message the id of the
     newest message row after that row was collected; the change log
     then reports that id as created again, never as a silent update.)
   - Threads (RFC 8621 3) are assigned per account (a message row is
     shared by its recipients, so the thread cannot be a column of
     messages): every Message-ID seen in the account (the message's
     own, and those its In-Reply-To and References name) maps to the
     thread it went to; a new Email joins the thread of the first of its
     own Message-ID, In-Reply-To and References ids that is known, else
     starts a thread of its own.  Assignment is lazy and in message id
     order (so the result is the same as at delivery): before answering,
     the JMAP layer lists unthreaded Emails (store_jmap_unthreaded),
     reads their header fields and hands the ids back
     (store_jmap_thread_assign).  Delivery is untouched by threading.
     Schema v6 also writes the thread onto each of the Email's copies
     (mailbox_messages.thread_id, 0 until then: a copy belongs to one
     account), so a mailbox's Threads come from one index; a new copy
     of an Email threaded already is listed as unthreaded and just
     takes that thread.
   - Change log (schema v4, triggers in store.c): accounts.jmap_modseq
     grows with every change of the account's mailboxes, copies, flags,
     keywords or subscriptions, in the same transaction, whoever makes
     it (SMTP delivery, IMAP, JMAP, the CLI), so IMAP changes show in
     JMAP at once.  Per object it keeps the modseq of its creation and
     of its last change and whether it was destroyed; a state string is
     the account's jmap_modseq (one state for all types: a change of one
     type moves the state of all, RFC 8620 allows that).
   - Keywords: IMAP keeps flags and keywords per copy; JMAP keywords are
     per Email.  An Email's keywords are the union over its copies
     (\Deleted is not shown); a JMAP keyword change is applied to every
     copy (each keeps its \Deleted), giving each changed mailbox a new
     IMAP modseq so CONDSTORE/IDLE sessions see it.
   - Email writes (keywords, mailboxIds, destroy) are store functions of
     their own that take the IMAP rules: new copies get the next UID and
     a new per-mailbox modseq, removed copies are recorded as expunged
     (QRESYNC VANISHED), and the change notify hook runs after commit. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_STORE_JMAP_H
#define BUZON_STORE_JMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* As in store_mbox.h: thread-safe, blocking (run on the pool); -1 is an
   error with *error_r set. */

/* Object types of the change log. */
enum store_jmap_type {
	STORE_JMAP_MAILBOX = 1,
	STORE_JMAP_EMAIL = 2,
	STORE_JMAP_THREAD = 3,
	STORE_JMAP_IDENTITY = 4,   /* store_jmap_objs */
	STORE_JMAP_SUBMISSION = 5, /* store_jmap_objs */
};

/* The account's current state (jmap_modseq).  Returns 1, 0 no such
   account, -1 error. */
int store_jmap_state(struct store *s, int64_t account_id, uint64_t *state_r,
		     const char **error_r);

/* RFC 8621 1.5: the EmailDelivery state changes when an Email is
   created in the account (SMTP delivery, IMAP APPEND, JMAP Email/set
   create, Email/import, Email/copy from another account; a new copy of
   an Email the account has creates nothing) and not on other Email
   changes (flags, keywords, moves, expunges).  It is the change log's
   modseq of the newest Email creation, kept by the log entries of
   destroyed Emails too.  *state_r: that modseq when an Email was
   created after since (then > since), else some value <= since (0 when
   no Email changed after since).  Reads only the entries changed after
   since.  Returns 0 or -1. */
int store_jmap_delivery(struct store *s, int64_t account_id, uint64_t since,
			uint64_t *state_r, const char **error_r);

/* What changed for objects of type since state `since` (RFC 8620 5.2),
   at most max ids in all: created (created after since, not destroyed),
   updated (created before, changed after), destroyed (created before,
   destroyed after; objects created and destroyed after since are left
   out).  When more changes remain, `more` is set and new_state is the
   state up to which these ids go (never inside one modseq), else
   new_state is the current state.  Arrays are malloc'd (free with
   store_jmap_changes_free).  Returns 1, 0 when since is not a state
   this account had (greater than its state), -1 error. */
struct store_jmap_changes {
	int64_t *created, *updated, *destroyed;
	size_t n_created, n_updated, n_destroyed;
	uint64_t new_state;
	bool more;
};
int store_jmap_changes(struct store *s, int64_t account_id,
		       enum store_jmap_type type, uint64_t since, size_t max,
		       struct store_jmap_changes *c, const char **error_r);
void store_jmap_changes_free(struct store_jmap_changes *c);

/* ---- threads ---- */

/* Emails of account_id with a copy without a thread, in id order, at
   most max:
   *ids_r and *paths_r (absolute paths of the message files) are
   malloc'd arrays of *n_r entries, each path malloc'd (free with
   store_jmap_unthreaded_free).  Returns 0 or -1. */
int store_jmap_unthreaded(struct store *s, int64_t account_id, size_t max,
			  int64_t **ids_r, char ***paths_r, size_t *n_r,
			  const char **error_r);
void store_jmap_unthreaded_free(int64_t *ids, char **paths, size_t n);

/* One Email's threading input: its normalised Message-ID (NULL if
   none) and the ids its In-Reply-To and References name (any order;
   In-Reply-To first is best). */
struct store_jmap_threading {
	int64_t email_id;
	const char *msgid;
	const char *const *refs;
	size_t n_refs;
};
/* Assign threads to t[0..n) (ascending email_id) in one transaction, as
   the design above says, log the Thread changes and write the thread
   onto the Emails' copies.  Emails that left the account are skipped;
   one that has a thread already only has it written onto its copies.
   Returns 0 or -1. */
int store_jmap_thread_assign(struct store *s, int64_t account_id,
			     const struct store_jmap_threading *t, size_t n,
			     const char **error_r);

/* ---- reading ---- */

/* A mailbox with its RFC 8621 2 counts. */
struct store_jmap_mbox {
	int64_t id;
	char *name;        /* owned */
	char *special_use; /* owned, or NULL */
	bool subscribed;
	uint32_t total, unread;           /* Emails (unread: no $seen and
					     no $draft, over all copies) */
	uint32_t threads, unread_threads; /* Threads with an Email (an
					     unread Email) in the mailbox */
};
/* Every mailbox of account_id in name order, and the state they were
   read at (one transaction; store_jmap_query.c, one pass over the
   account's copies).  *list_r: malloc'd (free with
   store_jmap_mboxes_free).  Returns 0 or -1. */
int store_jmap_mboxes(struct store *s, int64_t account_id,
		      struct store_jmap_mbox **list_r, size_t *n_r,
		      uint64_t *state_r, const char **error_r);
void store_jmap_mboxes_free(struct store_jmap_mbox *list, size_t n);

/* One Email of an account: the message and the union of its copies. */
struct store_jmap_email {
	int64_t id, thread_id; /* thread_id 0: not yet threaded */
	int64_t received;      /* earliest internal date of its copies */
	uint64_t size;
	uint32_t flags;        /* STORE_FLAG_* of any copy */
	char *keywords;        /* union (case of the first spelling), or
				  NULL; owned */
	int64_t *mailboxes;    /* ascending, owned */
	size_t n_mailboxes;
	char *blob_path;       /* owned */
	char *hdr_subject, *hdr_from, *hdr_to, *hdr_cc, *hdr_message_id;
	int64_t hdr_date;      /* 0 when none/bad */
};
/* The Emails with the given ids (any order; ids not in the account are
   left out), or with ids NULL every Email of the account; in id order,
   with the state read in the same transaction.  *list_r: malloc'd (free
   with store_jmap_emails_free).  Returns 0 or -1. */
int store_jmap_emails(struct store *s, int64_t account_id, const int64_t *ids,
		      size_t n, struct store_jmap_email **list_r, size_t *n_r,
		      uint64_t *state_r, const char **error_r);
void store_jmap_emails_free(struct store_jmap_email *list, size_t n);
/* ids[0..n) as a JSON array text (the json_each() argument of the
   store's id-list queries), malloc'd. */
char *store_jmap_ids_json(const int64_t *ids, size_t n);

/* ---- listings for Email/query and Thread/get (store_jmap_query.c) ---- */

/* An Email and its Thread (0: not yet threaded). */
struct store_jmap_ref {
	int64_t id, thread_id;
};
/* The Emails with a copy in mailbox_id (none when it is not a mailbox
   of account_id), ordered by the internal date of that copy (an
   Email's copies keep the date they were made from, so it is the
   Email's receivedAt), ties by Email id, ascending or not; each Email
   once; with collapse only the first Email of each Thread (RFC 8621
   4.4.3; an Email not yet threaded counts as a Thread of its own).
   Reads one index, nothing else of the messages.  *list_r: malloc'd,
   *state_r the account's state in the same transaction.  Returns 0 or
   -1. */
int store_jmap_mailbox_emails(struct store *s, int64_t account_id,
			      int64_t mailbox_id, bool ascending,
			      bool collapse, struct store_jmap_ref **list_r,
			      size_t *n_r, uint64_t *state_r,
			      const char **error_r);
/* The Emails of the Threads thread_ids[0..n) of account_id (NULL: of
   every Thread of the account), ordered by Thread id, then receivedAt,
   then Email id (RFC 8621 3: oldest first); Threads without Emails are
   absent.  *list_r: malloc'd, *state_r as above.  Returns 0, -2 when
   thread_ids is NULL and the account has more than max Threads
   (nothing listed), -1 error. */
int store_jmap_thread_emails(struct store *s, int64_t account_id,
			     const int64_t *thread_ids, size_t n, size_t max,
			     struct store_jmap_ref **list_r, size_t *n_r,
			     uint64_t *state_r, const char **error_r);

/* ---- blobs ---- */

/* The file holding blob blob_id of account_id (the web layer's ids):
   "G<email id>" is the message file of an Email of the account,
   "U<32 hex digits>" an upload of the account (data_dir/uploads/
   "<account>-U<hex>", as src/web/jmap_http.c stores them).  Returns 1
   with *path_r (malloc'd), 0 when the account has no such blob, -1
   error. */
int store_jmap_blob_path(struct store *s, int64_t account_id,
			 const char *blob_id, char **path_r,
			 const char **error_r);
/* The Email the copy uid of mailbox_id is (the account's mailbox).
   Returns 1 with *id_r, 0 none, -1 error. */
int store_jmap_email_at(struct store *s, int64_t mailbox_id, uint32_t uid,
			int64_t *id_r, const char **error_r);
/* The name of mailbox id of account_id into *name_r (malloc'd).
   Returns 1, 0 no such mailbox of the account, -1 error. */
int store_jmap_mbox_name(struct store *s, int64_t account_id, int64_t id,
			 char **name_r, const char **error_r);

/* ---- writing ---- */

/* An Email/set update (RFC 8621 4.6).  With set_keywords the copies'
   flags become flags (their \Deleted kept) and their keywords
   keywords (a store_msg.h keyword list or NULL); with set_mailboxes
   the Email ends up in exactly mailboxes[0..n_mailboxes) (n >= 1):
   copies are added with the next UIDs, removed copies are expunged. */
struct store_jmap_update {
	bool set_keywords;
	uint32_t flags;
	const char *keywords;
	bool set_mailboxes;
	const int64_t *mailboxes;
	size_t n_mailboxes;
};
/* Apply u to Email id of account_id in one durable transaction.
   Returns 1 done, 0 no such Email, -2 a mailbox is not the account's
   (nothing done), -1 error. */
int store_jmap_email_update(struct store *s, int64_t account_id, int64_t id,
			    const struct store_jmap_update *u,
			    const char **error_r);
/* Expunge every copy of Email id in account_id (recorded for QRESYNC;
   the file goes when nothing holds it).  Returns 1, 0 no such Email, -1
   error. */
int store_jmap_email_destroy(struct store *s, int64_t account_id, int64_t id,
			     const char **error_r);

/* ---- objects that are not mail (RFC 8621 6-7) ----
   Identities and EmailSubmissions: an id (a row id of their own) and
   the object's properties as a JSON text, which the JMAP layer owns;
   every write is logged in the change log under its type. */

struct store_jmap_obj {
	int64_t id;
	char *props; /* JSON object text, malloc'd */
};
/* Every object of type of the account, in id order: *list_r (malloc'd,
   free with store_jmap_objs_free) of *n_r.  Returns 0 or -1. */
int store_jmap_objs(struct store *s, int64_t account_id,
		    enum store_jmap_type type, struct store_jmap_obj **list_r,
		    size_t *n_r, const char **error_r);
void store_jmap_objs_free(struct store_jmap_obj *list, size_t n);
/* id 0: create an object with props (its id in *id_r); else replace
   the props of object id, or destroy it when props is NULL.  The
   change is logged (account state moves) in the same transaction.
   Returns 1 done, 0 no such object, -1 error. */
int store_jmap_obj_put(struct store *s, int64_t account_id,
		       enum store_jmap_type type, int64_t id,
		       const char *props, int64_t *id_r, const char **error_r);
/* Merge patch (RFC 7396) the props of object id with patch (a JSON
   object text): only the members patch names change, so concurrent
   writers of other members (store_jmap_obj_outcome) are kept.  Logged
   like a put.  Returns 1 done, 0 no such object, -1 error. */
int store_jmap_obj_patch(struct store *s, int64_t account_id,
			 enum store_jmap_type type, int64_t id,
			 const char *patch, const char **error_r);

/* EmailSubmission delivery (RFC 8621 7 deliveryStatus).  The queue
   entry of a JMAP submission carries an envelope id (RFC 3461 ENVID)
   naming the submission object and a random nonce the object keeps in
   its "_nonce" property (so no other sender's ENVID can name it).  The
   queue hands each attempt's outcomes to store_jmap_obj_outcome. */
struct store_queue_outcome;
/* The envelope id of submission object id whose "_nonce" is nonce
   (letters and digits), malloc'd. */
char *store_jmap_obj_envid(int64_t id, const char *nonce);
/* Record the outcomes o[0..n) of one queue attempt of the entry with
   envelope id envid (NULL allowed): each address's [state (enum
   store_qrcpt_state), reply text] goes under the object's "_queue"
   property ({address: [state, reply]}, one per address, the latest)
   and the object's change is logged, so its account's state moves.
   Returns 1, 0 when envid names no live submission object (none, an
   SMTP client's, a wrong nonce, destroyed), -1 error. */
int store_jmap_obj_outcome(struct store *s, const char *envid,
			   const struct store_queue_outcome *o, size_t n,
			   const char **error_r);

#endif

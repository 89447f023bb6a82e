/* store_msg.h: the messages of one mailbox for IMAP and JMAP: a
   selected mailbox's list, what changed since a modseq (RFC 7162),
   message data for FETCH/SEARCH, flag changes, copy and move.
   Part of the store interface (included by store.h). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_STORE_MSG_H
#define BUZON_STORE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* All functions are thread-safe and may block (run them on the pool);
   -1 means an error with *error_r set (valid until the next store call
   on this thread).  Keywords are kept as sent (case preserved) and
   compared without regard to ASCII case; a keyword list is a string of
   keywords separated by single spaces, without duplicates, or NULL. */

/* One message copy as a selected mailbox sees it. */
struct store_msg {
	uint32_t uid;
	uint32_t flags; /* STORE_FLAG_* */
	uint64_t modseq;
	char *keywords; /* or NULL; owned by the list it is in */
};

/* A mailbox's messages in UID order. */
struct store_msg_list {
	struct store_msg *m;
	size_t n;
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq;
};
/* Free what l owns and zero it. */
void store_msg_list_free(struct store_msg_list *l);

/* Read every message of mailbox_id (SELECT).  Returns 1, 0 if the
   mailbox does not exist, -1 error. */
int store_msg_snapshot(struct store *s, int64_t mailbox_id,
		       struct store_msg_list *l, const char **error_r);

/* What changed in mailbox_id after modseq `since`, read in one
   transaction: the messages whose modseq is greater (new ones and
   changed ones, in UID order, in l->m), the UIDs expunged with a greater
   modseq (ascending), and the mailbox's current uidvalidity, uidnext and
   highestmodseq.  Returns 1, 0 if the mailbox no longer exists (deleted,
   or renamed away when it was INBOX: check uidvalidity), -1 error. */
struct store_msg_changes {
	struct store_msg_list l;
	uint32_t *expunged; /* malloc'd */
	size_t n_expunged;
};
int store_msg_changes(struct store *s, int64_t mailbox_id, uint64_t since,
		      struct store_msg_changes *c, const char **error_r);
/* Free what c owns and zero it. */
void store_msg_changes_free(struct store_msg_changes *c);

/* What FETCH, SEARCH and SORT need of one message beyond its flags.
   Every string is owned by the struct (NULL when absent). */
struct store_msg_data {
	uint32_t uid;
	uint32_t flags;
	uint64_t modseq;
	char *keywords;
	int64_t internaldate; /* unix seconds */
	uint64_t size;        /* octets of the message file */
	char *blob_path;      /* absolute path of the message file */
	char *envelope, *bodystructure, *body; /* IMAP lists (mime_summary) */
	char *hdr_subject, *hdr_from, *hdr_to, *hdr_cc, *hdr_message_id;
	int64_t hdr_date; /* Date: as unix seconds, 0 if none/bad */
};
/* Data of the messages of mailbox_id with the given UIDs (ascending, as
   many as n); UIDs that are gone are skipped.  *d_r is a malloc'd array
   of *n_r entries in UID order (free with store_msg_data_free).  Returns
   0 or -1. */
int store_msg_fetch(struct store *s, int64_t mailbox_id, const uint32_t *uids,
		    size_t n, struct store_msg_data **d_r, size_t *n_r,
		    const char **error_r);
void store_msg_data_free(struct store_msg_data *d, size_t n);

/* A STORE (RFC 9051 6.4.6) on some messages of a mailbox. */
struct store_flag_update {
	const uint32_t *uids; /* ascending */
	size_t n;
	int mode;       /* 0 replace, 1 add, -1 remove */
	uint32_t flags; /* STORE_FLAG_* */
	const char *const *keywords;
	size_t n_keywords;
	/* RFC 7162 3.1.3: a message whose modseq is greater is not changed
	   and is reported with modified = true. */
	bool unchangedsince_given;
	uint64_t unchangedsince;
};
/* Per message of the update that still exists, in UID order. */
struct store_flag_result {
	uint32_t uid;
	uint32_t flags;
	char *keywords; /* owned by the result array */
	uint64_t modseq;
	bool changed;  /* its flags changed (and it got a new modseq) */
	bool modified; /* refused by UNCHANGEDSINCE */
};
/* Apply u in one durable transaction.  Every changed message gets the
   same new modseq (one per transaction, RFC 7162 3.1.3 allows it);
   messages whose flags would not change keep theirs.  *r_r is a malloc'd
   array (store_flag_results_free).  Returns 0 or -1 (nothing changed). */
int store_msg_flags(struct store *s, int64_t mailbox_id,
		    const struct store_flag_update *u,
		    struct store_flag_result **r_r, size_t *n_r,
		    const char **error_r);
void store_flag_results_free(struct store_flag_result *r, size_t n);
/* store_msg_flags() without blocking a thread: the write joins the
   committer's next transaction; once it is durable *r_r and *n_r are
   set as store_msg_flags() sets them and done(arg, 0 or -1, error) runs
   on the loop thread (in CLI mode, before this returns).  u (and what
   it points to), r_r and n_r must stay valid until done. */
void store_msg_flags_submit(struct store *s, int64_t mailbox_id,
			    const struct store_flag_update *u,
			    struct store_flag_result **r_r, size_t *n_r,
			    store_write_done_fn *done, void *arg);

/* COPY or MOVE (RFC 9051 6.4.7, RFC 6851) the messages with the given
   UIDs (ascending) from mailbox src to mailbox dst (of the same account),
   in one durable transaction: flags, keywords and internal date are
   kept, the copies get new UIDs in dst in the same order (RFC 4315
   COPYUID); with move, the originals are expunged as store_expunge()
   does.  UIDs that are gone are skipped.  On success *src_uids_r and
   *dst_uids_r (malloc'd, *n_r entries) pair each copied UID with its new
   one and *dst_uidvalidity_r is dst's UIDVALIDITY.  Returns 1, 0 if dst
   does not exist (nothing done), -1 error. */
int store_msg_copy(struct store *s, int64_t src_mailbox_id,
		   const uint32_t *uids, size_t n, int64_t dst_mailbox_id,
		   bool move, uint32_t **src_uids_r, uint32_t **dst_uids_r,
		   size_t *n_r, uint32_t *dst_uidvalidity_r,
		   const char **error_r);
/* store_msg_copy() without blocking a thread: the write joins the
   committer's next transaction; once it is durable the outputs are set
   as store_msg_copy() sets them and done(arg, 1, 0 or -1, error) runs on
   the loop thread (in CLI mode, before this returns).  uids and the
   output pointers must stay valid until done. */
void store_msg_copy_submit(struct store *s, int64_t src_mailbox_id,
			   const uint32_t *uids, size_t n,
			   int64_t dst_mailbox_id, bool move,
			   uint32_t **src_uids_r, uint32_t **dst_uids_r,
			   size_t *n_r, uint32_t *dst_uidvalidity_r,
			   store_write_done_fn *done, void *arg);

#endif

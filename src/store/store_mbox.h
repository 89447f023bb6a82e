/* store_mbox.h: an account's mailboxes for IMAP and JMAP: list, create,
   delete, rename, subscriptions, status, \Recent and quota usage.
   Part of the store interface (included by store.h). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_STORE_MBOX_H
#define BUZON_STORE_MBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Mailbox names are UTF-8 with '/' as the hierarchy separator (IMAP
   converts modified UTF-7 before calling).  "INBOX" is always spelled
   so.  Every function here is thread-safe and may block (the server runs
   them on the pool); errors return -1 with *error_r set (valid until the
   next store call on this thread). */
#define STORE_MBOX_SEP '/'

struct store_mbox {
	int64_t id;
	char *name;        /* owned */
	char *special_use; /* "\Sent", "\Drafts", "\Trash", "\Junk",
			      "\Archive" or NULL, owned */
	bool subscribed;
	uint32_t uidvalidity, uidnext;
	uint64_t highestmodseq;
};
/* Free what m owns and zero it. */
void store_mbox_clear(struct store_mbox *m);

/* Every mailbox of account_id in name order.  *list_r is a malloc'd
   array of *n_r entries (free with store_mbox_list_free).  Returns 0 or
   -1. */
int store_mbox_list(struct store *s, int64_t account_id,
		    struct store_mbox **list_r, size_t *n_r,
		    const char **error_r);
void store_mbox_list_free(struct store_mbox *list, size_t n);

/* The mailbox named name.  Fills *m (store_mbox_clear it).  Returns 1
   found, 0 not found, -1 error. */
int store_mbox_get(struct store *s, int64_t account_id, const char *name,
		   struct store_mbox *m, const char **error_r);

/* Create name (with a fresh UIDVALIDITY, never used before by this store)
   and, as RFC 9051 6.3.4 asks, each missing superior name ("a/b/c"
   creates "a" and "a/b").  special_use may be NULL.  Returns 1 created,
   0 if it exists already, -1 error (also for an empty name, a name with
   an empty level ("a//b", "/a", "a/"), or longer than
   STORE_MBOX_NAME_MAX). */
int store_mbox_create(struct store *s, int64_t account_id, const char *name,
		      const char *special_use, const char **error_r);

/* Delete name with its messages (blobs no longer referenced go after the
   commit; the expunges are not recorded: the UIDVALIDITY dies with it).
   INBOX cannot be deleted; a mailbox with inferiors ("name/...") is
   refused as Dovecot does (RFC 9051 6.3.5 leaves it to the server).
   Returns 1 deleted, 0 no such mailbox, -2 INBOX, -3 has inferiors, -1
   error. */
int store_mbox_delete(struct store *s, int64_t account_id, const char *name,
		      const char **error_r);

/* Rename from to `to`, with its inferiors ("from/x" becomes "to/x"),
   creating missing superiors of `to`; UIDs and UIDVALIDITY are kept.
   Renaming INBOX (RFC 9051 6.3.6) moves all its messages into a new
   mailbox `to` and leaves INBOX empty (its inferiors are not moved).
   Returns 1 done, 0 no such mailbox, -2 `to` (or a renamed inferior)
   exists already, -3 `to` is inside `from` (allowed for INBOX, whose
   inferiors stay), -1 error (also for a bad `to`). */
int store_mbox_rename(struct store *s, int64_t account_id, const char *from,
		      const char *to, const char **error_r);

/* Subscriptions (RFC 9051 6.3.7) are names, kept whether the mailbox
   exists or not; a new account is subscribed to its initial mailboxes,
   and a renamed mailbox keeps its subscription under the new name.
   Returns 0 or -1 (subscribing twice or unsubscribing an unsubscribed
   name is not an error). */
int store_mbox_subscribe(struct store *s, int64_t account_id,
			 const char *name, bool subscribe,
			 const char **error_r);
/* The subscribed names of account_id in name order: a malloc'd array of
   malloc'd strings (free each and the array).  Returns 0 or -1. */
int store_mbox_subscriptions(struct store *s, int64_t account_id,
			     char ***names_r, size_t *n_r,
			     const char **error_r);

/* STATUS counts of one mailbox, read in one transaction. */
struct store_mbox_status {
	uint32_t messages, unseen, deleted;
	uint32_t recent; /* UIDs not yet claimed by store_mbox_recent() */
	uint32_t uidnext, uidvalidity;
	uint64_t highestmodseq;
	uint64_t size; /* octets of all messages (RFC 8438 STATUS=SIZE) */
};
/* Returns 1, 0 if the mailbox is gone, -1 error. */
int store_mbox_status(struct store *s, int64_t mailbox_id,
		      struct store_mbox_status *st, const char **error_r);

/* \Recent (RFC 3501 2.3.2): claim for the calling session every UID of
   mailbox_id that no session has claimed yet.  On return UIDs >=
   *first_r (and below the mailbox's uidnext at the time of the call)
   are this caller's recent messages; no other caller will get them,
   also after a restart.  When there was nothing to claim, *first_r is
   that uidnext.  Returns 1, 0 if the mailbox is gone, -1 error. */
int store_mbox_recent(struct store *s, int64_t mailbox_id, uint32_t *first_r,
		      const char **error_r);

/* Octets and number of messages in all mailboxes of account_id (a
   message in two mailboxes counts twice, as RFC 9208 STORAGE does), and
   the account's quota in octets (accounts.quota_bytes; 0 = the server's
   default applies).  Returns 1, 0 no such account, -1 error. */
int store_account_usage(struct store *s, int64_t account_id,
			uint64_t *bytes_r, uint64_t *messages_r,
			uint64_t *quota_r, const char **error_r);

#endif

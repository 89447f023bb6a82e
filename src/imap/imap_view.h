/* imap_view.h: a session's view of its selected mailbox: the sequence
   numbers it has told the client about, and the changes it still owes
   (internal to src/imap). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_VIEW_H
#define BUZON_IMAP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_seqset.h"

struct imap_session;
struct store_msg_list;

/* One message as the client knows it: msgs[seq - 1]. */
struct imap_view_msg {
	uint32_t uid;
	uint32_t flags; /* STORE_FLAG_* */
	uint64_t modseq;
	char *keywords; /* space-separated or NULL, owned by the view */
	bool recent;    /* \Recent for this session (RFC 3501 2.3.2) */
};

struct imap_view {
	int64_t mailbox_id;
	char *name;    /* UTF-8, owned */
	bool readonly; /* EXAMINE */
	uint32_t uidvalidity;
	uint32_t uidnext;       /* as last announced */
	uint64_t highestmodseq; /* as last synced with the store */
	struct imap_view_msg *msgs;
	size_t n, cap;
	uint32_t recent_first; /* UIDs >= this are this session's \Recent */
	/* Keywords seen in the mailbox (FLAGS / PERMANENTFLAGS), owned. */
	char **keywords;
	size_t n_keywords;
	/* Set by imap_notify_changed(): the store has changes the view has
	   not read.  A sync job is running while syncing. */
	bool dirty, syncing;
	/* Changes read but not yet announced (the store's answer, kept
	   until a point where they may be sent): private to imap_view.c. */
	void *pending;
};

/* Index into v->msgs of uid, or -1 if the view has no such UID. */
ptrdiff_t imap_view_find_uid(const struct imap_view *v, uint32_t uid);

/* Resolve a command's sequence set into an ascending array of indexes
   into v->msgs (malloc'd, *n_r entries, may be 0).  uid: the set holds
   UIDs (UIDs the view does not have are left out, RFC 9051 6.4.8);
   else message numbers, where a number above v->n is an error (BAD,
   RFC 9051 6.4.5 example) and "*" in an empty mailbox too.  "$" stands
   for s->saved_uids (RFC 5182).  Returns 0, or -1 with *error_r (static
   text for a BAD reply). */
int imap_view_resolve(struct imap_session *s, const struct imap_seqset *set,
		      bool uid, size_t **idx_r, size_t *n_r,
		      const char **error_r);

/* Record new flags of the message at idx after this session's own STORE
   or an implicit \Seen; keywords is copied (NULL for none). */
void imap_view_set_flags(struct imap_view *v, size_t idx, uint32_t flags,
			 const char *keywords, uint64_t modseq);

/* Write the flag list of v->msgs[idx] ("(\Seen \Recent $Junk)") to the
   session's output, \Recent included when it applies. */
void imap_view_write_flags(struct imap_session *s, size_t idx);

#endif

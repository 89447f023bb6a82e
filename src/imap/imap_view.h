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

struct imap_flags;
struct imap_session;
struct store;
struct store_msg_list;

/* One message as the client knows it: msgs[seq - 1]. */
/* 24 bytes: a session holds one per message of its selected mailbox,
   and 10,000 IDLE sessions on 500-message INBOXes must fit in 200 MiB
   (issue #4), so recent shares a word with flags. */
struct imap_view_msg {
	uint32_t uid;
	uint32_t flags : 31; /* STORE_FLAG_* */
	uint32_t recent : 1; /* \Recent for this session (RFC 3501 2.3.2) */
	uint64_t modseq;
	char *keywords; /* space-separated or NULL, owned by the view */
};
_Static_assert(sizeof(struct imap_view_msg) <= 24,
	       "struct imap_view_msg grew: IDLE memory per session");

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

/* A view of a mailbox just read by store_msg_snapshot() (SELECT,
   EXAMINE): takes what l owns (l is left empty); messages with UIDs >=
   recent_first are this session's \Recent (store_mbox_recent(); pass
   UINT32_MAX for none).  Free with imap_view_free(). */
struct imap_view *imap_view_new(const char *name, int64_t mailbox_id,
				bool readonly, struct store_msg_list *l,
				uint32_t recent_first);

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

/* Queue "* n FETCH (UID u FLAGS (..) MODSEQ (m))" for v->msgs[idx]:
   UID when with_uid, FLAGS when with_flags, MODSEQ when CONDSTORE or
   QRESYNC is enabled (RFC 7162 3.1.4.1). */
void imap_view_fetch_flags(struct imap_session *s, size_t idx, bool with_uid,
			   bool with_flags);

/* Write "(\Answered \Flagged \Deleted \Seen \Draft kw...)" with the
   keywords the view knows, and "\*" at the end when permanent (the
   PERMANENTFLAGS list, RFC 9051 7.1). */
void imap_view_write_flag_names(struct imap_session *s, bool permanent);

/* n UIDs (in the order given) as a compact set "1:3,7" (consecutive runs
   become ranges), malloc'd ("" when n is 0). */
char *imap_view_uidset(const uint32_t *v, size_t n);

/* Expunge what is \Deleted in the store now (set by anyone), only the
   messages v->msgs[idx[0..n)] when use_idx (UID EXPUNGE), in one durable
   transaction on the pool (the session is made busy); then done(s, ok)
   on the loop (not called when the connection went away meanwhile).
   The EXPUNGE responses come from the next sync. */
void imap_view_expunge(struct imap_session *s, const size_t *idx, size_t n,
		       bool use_idx,
		       void (*done)(struct imap_session *s, bool ok));

/* Split a flag list (STORE, APPEND) into STORE_FLAG_* bits (returned)
   and keywords: kw (room for f->n entries) gets the keywords without
   duplicates (compared without regard to case), *n_kw_r their count;
   the strings stay f's. */
uint32_t imap_view_flag_bits(const struct imap_flags *f, const char **kw,
			     size_t *n_kw_r);

/* (imap_notify.c) s is in IMAP_MODE_IDLE: send what the view owes now
   (a sync job first when it is dirty) and flush, and keep doing so as
   changes come while it idles. */
void imap_notify_idle_sync(struct imap_session *s);

#endif

/* imap_match.h: does one message match a SEARCH program (RFC 9051 6.4.4,
   RFC 3501 6.4.4, RFC 5032 WITHIN, RFC 7162 3.1.5 MODSEQ)?  Pure: the
   caller hands in what it knows of the message and gets "yes", "no" or
   "tell me more" (the stored fields, the raw header, the whole message),
   so files are read only for the messages and keys that need them. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_MATCH_H
#define BUZON_IMAP_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "imap/imap_search.h"

/* What a message is described by.  Strings need not be NUL-terminated
   unless said; NULL = absent. */
struct imap_match_msg {
	/* Always given (the view). */
	uint32_t seq, uid;
	uint32_t flags;       /* STORE_FLAG_* */
	const char *keywords; /* space-separated, NUL-terminated, or NULL */
	bool recent;
	uint64_t modseq;
	/* Stored data (store_msg_fetch), valid when have_data. */
	bool have_data;
	int64_t internaldate; /* unix seconds */
	uint64_t size;
	/* Unfolded raw (RFC 2047 words encoded) top-level header values,
	   NUL-terminated, NULL when the message has no such field. */
	const char *subject, *from, *to, *cc, *message_id;
	int64_t date; /* Date: as unix seconds, 0 if none or invalid */
	/* The raw header (up to and including the blank line), when
	   have_header; the whole message when have_text (then the header
	   is taken from it and have_header need not be set). */
	bool have_header, have_text;
	const char *header;
	size_t header_len;
	const char *text;
	size_t text_len;
};

/* Results of imap_match(): yes, no, or which input is missing to
   decide (the caller supplies it and calls again). */
#define IMAP_MATCH_YES 1
#define IMAP_MATCH_NO 0
#define IMAP_MATCH_NEED_DATA (-1)   /* stored fields (have_data) */
#define IMAP_MATCH_NEED_HEADER (-2) /* the raw header */
#define IMAP_MATCH_NEED_TEXT (-3)   /* the whole message */

/* Bits of imap_match_needs(). */
#define IMAP_MATCH_IN_DATA 0x1u   /* some key reads stored fields */
#define IMAP_MATCH_IN_HEADER 0x2u /* some key may read the raw header */
#define IMAP_MATCH_IN_TEXT 0x4u   /* some key reads the body (BODY, TEXT) */
#define IMAP_MATCH_IN_MODSEQ 0x8u /* a MODSEQ key is used (RFC 7162
				     3.1.5: answer with the highest modseq) */

/* Which inputs the program under k may need (IMAP_MATCH_IN_* bits). */
unsigned imap_match_needs(const struct imap_search_key *k);

/* Per-search state: scratch memory reused from message to message (no
   allocation per message once warm) and the decoded body of the
   message last looked at. */
struct imap_match_ctx {
	int64_t now; /* OLDER/YOUNGER reference time (unix seconds) */
	/* Date of the internal date for BEFORE/ON/SINCE: false = the
	   server's local time zone (what Dovecot does), true = UTC. */
	bool internal_utc;
	/* private */
	struct buf scratch, fold, dec, body, head;
	/* The message body and head were built for (text, length, UID). */
	const char *body_of;
	size_t body_of_len;
	uint32_t body_uid;
	bool body_ok;
	struct arena *arena; /* MIME parameter parsing, reset per part */
};
/* Set up c with now = time(NULL) and internal_utc false. */
void imap_match_ctx_init(struct imap_match_ctx *c);
void imap_match_ctx_deinit(struct imap_match_ctx *c);

/* Prepare the program under root for imap_match() (call once): search
   strings are replaced by case-folded copies in a, "$" sets by
   saved[0..n_saved) (UIDs, ascending; saved_valid false = empty, RFC
   5182 2.1), and every sequence set is resolved ("*" = n_msgs for
   message numbers, max_uid for UIDs).  The tree is changed in place and
   is afterwards only meant for imap_match(). */
void imap_match_prepare(struct imap_search_key *root, struct arena *a,
			uint32_t n_msgs, uint32_t max_uid,
			const uint32_t *saved, size_t n_saved);

/* Evaluate the prepared program under k against m.  Returns
   IMAP_MATCH_YES, IMAP_MATCH_NO, or the IMAP_MATCH_NEED_* of the most
   expensive input that would still decide (three-valued logic: "SEEN
   OR BODY x" is decided without the body for a \Seen message). */
int imap_match(struct imap_match_ctx *c, const struct imap_search_key *k,
	       const struct imap_match_msg *m);

/* Case-folded copy of s[0..n) appended to out: ASCII letters and the
   upper-case letters of Latin-1, Latin Extended-A (even/odd pairs),
   Greek and Cyrillic become lower-case; every other byte is copied.
   Folding keeps the length of each UTF-8 sequence. */
void imap_match_fold(const char *s, size_t n, struct buf *out);

/* Is the folded needle in hay[0..n) after folding hay?  scratch is
   reused memory.  An empty needle is found in anything. */
bool imap_match_find(const char *hay, size_t n, const char *needle,
		     size_t nlen, struct buf *scratch);

/* Calendar day (days since 1970-01-01) of the Date field value v[0..n)
   in the date's own time zone (RFC 9051 6.4.4 SENT*: "disregarding time
   and timezone", as Dovecot does) into *day_r.  Returns 0, or -1 when
   it is not a date (mime_date_parse()). */
int imap_match_sent_day(const char *v, size_t n, int64_t *day_r);

/* Iterate over the fields of a raw header: *pos is the offset to start
   at (0 first); returns true with the name and the raw (folded) value
   of the next field, false at the end of the header. */
bool imap_match_next_field(const char *h, size_t n, size_t *pos,
			   const char **name_r, size_t *name_len_r,
			   const char **value_r, size_t *value_len_r);

/* Length of the header of the message text[0..n): up to and including
   the blank line (n if there is none). */
size_t imap_match_header_len(const char *text, size_t n);

#endif

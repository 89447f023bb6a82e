/* imap_sort.h: RFC 5256 SORT (with RFC 5957 DISPLAYFROM/DISPLAYTO) and
   the base subject of RFC 5256 2.1.  Pure. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_SORT_H
#define BUZON_IMAP_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "imap/imap_search.h"

/* Append the base subject (RFC 5256 2.1) of the raw, unfolded Subject
   value s[0..n) to out: RFC 2047 words decoded to UTF-8, whitespace runs
   made one space, then the subj-trailer / subj-leader / subj-blob /
   "[fwd: ...]" artifacts removed as steps (2)-(6) say.  Case is kept.
   Returns whether the extraction removed a subj-refwd, a "(fwd)"
   trailer or a "[fwd: ...]" wrapper (the message is a reply or forward,
   RFC 5256 REFERENCES). */
bool imap_sort_base_subject(const char *s, size_t n, struct buf *out);

/* One message to sort.  Strings are the unfolded raw header values
   (NUL-terminated) or NULL when the field is absent. */
struct imap_sort_msg {
	uint32_t seq;         /* ties are broken by it (RFC 5256 3) */
	uint32_t id;          /* what the caller prints (seq or UID) */
	int64_t internaldate; /* ARRIVAL */
	int64_t date;         /* Date: unix seconds, 0 if none or invalid */
	uint64_t size;
	const char *subject, *from, *to, *cc;
};

/* Sort m[0..n) in place by crit[0..ncrit): ARRIVAL internal date; DATE
   sent date (RFC 5256 2.2: the internal date when there is no valid
   Date); SIZE; SUBJECT base subject, FROM/TO/CC the addr-mailbox of the
   first address, compared with i;ascii-casemap; DISPLAYFROM/DISPLAYTO
   (RFC 5957 3) the decoded display name of the first address, or its
   addr-spec when it has none, compared after case folding.  A missing
   field is the empty string, which sorts first.  REVERSE reverses one
   criterion; equal messages stay in sequence order. */
void imap_sort_msgs(struct imap_sort_msg *m, size_t n,
		    const struct imap_sort_crit *crit, size_t ncrit);

#endif

/* imap_seqset.h: IMAP sequence sets ("1:3,5,*", "$") parsed into ranges. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_SEQSET_H
#define BUZON_IMAP_SEQSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "imap/imap_parse.h"

/* One seq-range; 0 stands for "*" until imap_seqset_resolve(). */
struct imap_seq_range {
	uint32_t lo, hi;
};

struct imap_seqset {
	struct imap_seq_range *r; /* in the arena given to the parse call */
	size_t n;
	/* RFC 5182 2.1: "$", the result saved by SEARCH RETURN (SAVE); r is
	   empty then and the caller substitutes the saved set. */
	bool saved;
};

/* Parse n bytes of sequence-set (RFC 9051 9): seq-number / seq-range
   separated by ",", seq-number = nz-number (<= 4294967295) / "*", or
   "$" alone.  A range is kept as sent ("5:2" gives lo 5, hi 2).
   Returns 0 with *set_r (ranges in a), or -1 for bad syntax. */
int imap_seqset_parse(const char *s, size_t n, struct arena *a,
		      struct imap_seqset *set_r);
/* The same for an argument: only an ATOM is a sequence set. */
int imap_seqset_arg(const struct imap_arg *arg, struct arena *a,
		    struct imap_seqset *set_r);

/* A resolved copy in a: "*" replaced by star (the highest number or UID
   in use; the caller refuses "*" in an empty mailbox when it must),
   each range ordered lo <= hi, ranges sorted and merged when they
   overlap or touch.  in must not be a "$" set. */
void imap_seqset_resolve(const struct imap_seqset *in, uint32_t star,
			 struct arena *a, struct imap_seqset *out);
/* Whether v is in a resolved set (binary search). */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t v);

#endif

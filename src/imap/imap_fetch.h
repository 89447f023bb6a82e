/* imap_fetch.h: FETCH arguments (RFC 9051 6.4.5, RFC 3516, RFC 7162 3.1.4/3.2.6). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_FETCH_H
#define BUZON_IMAP_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_parse.h"
#include "imap/imap_seqset.h"

enum imap_fetch_item {
	IMAP_FETCH_ENVELOPE,
	IMAP_FETCH_FLAGS,
	IMAP_FETCH_INTERNALDATE,
	IMAP_FETCH_RFC822,
	IMAP_FETCH_RFC822_HEADER,
	IMAP_FETCH_RFC822_SIZE,
	IMAP_FETCH_RFC822_TEXT,
	IMAP_FETCH_BODY,          /* BODY without section: structure */
	IMAP_FETCH_BODYSTRUCTURE,
	IMAP_FETCH_UID,
	IMAP_FETCH_BODY_SECTION,  /* BODY[...] / BODY.PEEK[...] */
	IMAP_FETCH_BINARY,        /* BINARY[...] / BINARY.PEEK[...] */
	IMAP_FETCH_BINARY_SIZE,   /* BINARY.SIZE[...] */
	IMAP_FETCH_MODSEQ         /* RFC 7162 3.1.4.1 */
};

enum imap_section_text {
	IMAP_SECTION_NONE,        /* BODY[] or BODY[1.2]: the whole part */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME         /* only after a part number */
};

struct imap_fetch_att {
	enum imap_fetch_item item;
	bool peek;                /* .PEEK: \Seen is not set */
	/* Section (BODY_SECTION, BINARY, BINARY_SIZE): part numbers
	   (section-part, each >= 1), then the text part. */
	uint32_t *part;
	size_t nparts;
	enum imap_section_text text;
	const char **fields;      /* HEADER.FIELDS(.NOT) names as sent */
	size_t nfields;
	/* <offset.length> (length >= 1); not with BINARY.SIZE. */
	bool partial;
	uint64_t offset, length;
	struct imap_fetch_att *next;
};

struct imap_fetch {
	struct imap_seqset set;
	struct imap_fetch_att *atts; /* in the order sent, macros expanded */
	size_t natts;
	/* RFC 7162 3.1.4.1: (CHANGEDSINCE modseq); the caller adds MODSEQ
	   to the answer.  3.2.6: VANISHED (UID FETCH with CHANGEDSINCE only,
	   checked here; whether QRESYNC is enabled is the caller's). */
	bool changedsince_given;
	uint64_t changedsince;
	bool vanished;
};

/* Parse the arguments of a FETCH / UID FETCH command: sequence-set, a
   macro (ALL FAST FULL, expanded as RFC 9051 6.4.5 says), one attribute
   or a parenthesised non-empty list of them, then optional modifiers.
   Memory is in cmd's arena.  Returns 0, or -1 with *error_r (static
   text for a BAD reply). */
int imap_fetch_parse(const struct imap_cmd *cmd, struct imap_fetch *f,
		     const char **error_r);

#endif

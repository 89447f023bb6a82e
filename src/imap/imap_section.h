/* imap_section.h: what FETCH BODY[section], BINARY[section] and
   BINARY.SIZE[section] send for one message (RFC 9051 6.4.5, RFC 3516),
   found in the bytes of the whole message.  Pure. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_SECTION_H
#define BUZON_IMAP_SECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "imap/imap_fetch.h"
#include "mime/mime_summary.h"

/* Results of imap_section_find(). */
enum imap_section_rc {
	IMAP_SECTION_OK = 0,
	/* The section does not exist (a part number past the last part, a
	   HEADER/TEXT of a part that is not an encapsulated message, a
	   part inside a leaf): the answer is NIL. */
	IMAP_SECTION_NIL = 1,
	/* BINARY: the part's Content-Transfer-Encoding is not one we can
	   decode: NO [UNKNOWN-CTE] (RFC 3516 4.2, RFC 9051 7.5.2). */
	IMAP_SECTION_UNKNOWN_CTE = -1,
	/* BINARY of a multipart or message part: RFC 9051 6.4.5 allows it
	   for leaf parts only. */
	IMAP_SECTION_NOT_LEAF = -2,
};

/* The bytes to send.  When data is NULL they are msg[start, start +
   len) (a range of the message, which the caller may stream from the
   message file); otherwise data[0, len), heap memory owned by the
   struct.  <partial> is already applied. */
struct imap_section {
	uint64_t start;
	uint8_t *data;
	uint64_t len;
	/* The size before <partial>: BINARY.SIZE's answer. */
	uint64_t size;
	/* BINARY: the bytes hold a NUL, so they go out as literal8 (RFC 3516
	   4.3, RFC 9051 7.5.2). */
	bool has_nul;
};

/* Locate att's section (att->item is IMAP_FETCH_BODY_SECTION,
   IMAP_FETCH_BINARY or IMAP_FETCH_BINARY_SIZE) in the message msg[0,
   n) (CRLF line ends expected, bare LF tolerated).  Part numbers follow
   mime_summary's BODYSTRUCTURE: the same boundary rules and MIME_*
   limits of limits.h, so part "1.2" is the second entry of the first
   entry there.  BINARY decodes base64 and quoted-printable, passes
   7bit/8bit/binary as they are, and gives text/ parts CRLF line ends
   (RFC 9051 7.5.2); BINARY[] is the whole message as stored.
   Returns an enum imap_section_rc; *r is filled on IMAP_SECTION_OK and
   zeroed otherwise.  Free with imap_section_clear(). */
int imap_section_find(const uint8_t *msg, size_t n,
		      const struct imap_fetch_att *att, struct imap_section *r);
/* The same with other parser limits (NULL: the MIME_* defaults, which
   are what stored BODYSTRUCTUREs were computed with); for tests. */
int imap_section_find_lim(const uint8_t *msg, size_t n,
			  const struct imap_fetch_att *att,
			  const struct mime_limits *lim,
			  struct imap_section *r);
/* One body part of imap_section_parts(), in pre-order.  Offsets are
   into the message: the part's header is msg[start, body_start), its
   body msg[body_start, end).  type/subtype/encoding are lower-case
   (type and subtype with the RFC 2045 5.2 / RFC 2046 5.1.5 defaults
   applied; encoding NULL when absent). */
struct imap_section_part {
	unsigned depth;     /* 0: the message itself */
	bool multipart;     /* children are its parts */
	bool message;       /* message/rfc822 or /global parsed: its one
			       child is the encapsulated message */
	size_t start, body_start, end;
	const char *type, *subtype, *encoding;
};
/* Every part of the message msg[0, n) (the same tree, numbering and
   limits as imap_section_find: the first entry is the message, a part's
   children follow it with depth + 1).  Returns the array (*n_r entries)
   allocated in arena a, as are its strings. */
struct imap_section_part *imap_section_parts(const uint8_t *msg, size_t n,
					     struct arena *a, size_t *n_r);
/* BINARY of the leaf part p of imap_section_parts(msg, ...): its body
   with the transfer encoding decoded (text/ parts with CRLF line ends),
   appended to out.  Returns IMAP_SECTION_OK, IMAP_SECTION_NOT_LEAF, or
   IMAP_SECTION_UNKNOWN_CTE (nothing appended). */
int imap_section_part_decode(const uint8_t *msg,
			     const struct imap_section_part *p,
			     struct buf *out);
/* The bytes of r (msg is the message given to imap_section_find). */
const uint8_t *imap_section_bytes(const uint8_t *msg,
				  const struct imap_section *r);
/* Free what r owns and zero it. */
void imap_section_clear(struct imap_section *r);

#endif

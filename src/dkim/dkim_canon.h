/* dkim_canon.h: DKIM canonicalisation (RFC 6376 3.4): header fields and a
   streaming SHA-256 body hasher. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_DKIM_CANON_H
#define BUZON_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* SHA-256 output size: the body hash (bh=) and the header hash. */
#define DKIM_HASH_LEN 32

enum dkim_canon_alg {
	DKIM_CANON_SIMPLE,  /* RFC 6376 3.4.1 / 3.4.3 */
	DKIM_CANON_RELAXED, /* RFC 6376 3.4.2 / 3.4.4 */
};

/* Line ends.  The input is the message as it will be sent, before
   dot-stuffing (RFC 6376 3.7).  A line ends with CRLF; a bare LF also ends
   a line (it travels as CRLF, RFC 5321 2.3.8), and both canonicalise to
   CRLF.  A CR that is not followed by LF is an ordinary octet. */

/* One header field inside a header section. */
struct dkim_field {
	const uint8_t *data; /* first octet of the field name */
	size_t len;          /* whole field, continuation lines and final
				line end included */
	size_t name_len;     /* octets before the colon, trailing WSP
				excluded (whole first line if no colon) */
	bool has_colon;      /* false: not a field at all (never signed) */
};

/* Iterate over the fields of a header section hdr[0..len).  *pos starts at
   0.  Returns 1 and fills *f_r (pointing into hdr) and advances *pos; 0 at
   the empty line that ends the header section or at the end of the input.
   A field is a line plus every following line that starts with SP or HT
   (RFC 5322 2.2.3). */
int dkim_canon_field_next(const uint8_t *hdr, size_t len, size_t *pos,
			  struct dkim_field *f_r);

/* Append the canonical form of one header field (name, colon, value,
   folded lines; its final line end optional) to out, always ending with
   CRLF (RFC 6376 3.7 step 2.1).  Returns 0, or -1 if out would pass its
   max (out may then hold part of the field). */
int dkim_canon_header(enum dkim_canon_alg alg, const uint8_t *field, size_t len,
		      struct buf *out);

/* Streaming body hasher: feed the body (the octets after the empty line
   that ends the header section) in chunks of any size; the canonical form
   and hash do not depend on where the chunks split. */
struct dkim_canon_body;

/* A hasher for alg.  copy, if not NULL, also receives every canonical
   octet (tests, debugging); it must outlive the hasher.  Owned by the
   caller: dkim_canon_body_free(). */
struct dkim_canon_body *dkim_canon_body_new(enum dkim_canon_alg alg,
					    struct buf *copy);
/* Feed len octets of body.  Must not be called after _final(). */
void dkim_canon_body_update(struct dkim_canon_body *b, const void *data,
			    size_t len);
/* End of body: apply the end-of-body rules (RFC 6376 3.4.3, 3.4.4 b) and
   write the SHA-256 of the canonical body to hash_r.  Call once. */
void dkim_canon_body_final(struct dkim_canon_body *b,
			   uint8_t hash_r[DKIM_HASH_LEN]);
/* Canonical octets hashed so far (the whole canonical body after _final). */
uint64_t dkim_canon_body_length(const struct dkim_canon_body *b);
/* Free the hasher and set *bp = NULL (NULL is fine). */
void dkim_canon_body_free(struct dkim_canon_body **bp);

#endif

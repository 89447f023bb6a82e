/* dkim_sign.h: build a DKIM-Signature header field (RFC 6376 3.5, 5;
   RFC 8463) over a message's header section and body hash. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_DKIM_SIGN_H
#define BUZON_DKIM_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "dkim/dkim_canon.h"
#include "dkim/dkim_key.h"

struct dkim_sign_params {
	const char *domain;         /* d= (dkim_key_name_ok) */
	const struct dkim_key *key; /* s= is key->selector, a= follows
				       key->alg */
	int64_t timestamp;          /* t= (seconds since the epoch); < 0:
				       no t= tag */
};

/* Sign a message with c=relaxed/relaxed.  header[0..len) is the header
   section as it will be sent (the empty line that ends it may be included
   or not); body_hash is dkim_canon_body_final() of a DKIM_CANON_RELAXED
   hasher fed the body.  The signed fields are the RFC 6376 5.4.1 set that
   are present (every instance, bottom-up, 5.4.2), and From is listed once
   more than present so that no From can be added (8.15).
   Returns a malloc'd, NUL-terminated "DKIM-Signature: ...\r\n" field,
   folded at DKIM_FOLD_WIDTH, to prepend to the message; or NULL with a
   static message in *error_r (no From field, more than
   DKIM_SIGNED_FIELDS_MAX signed instances, a bad domain or selector, or
   the key refusing to sign). */
char *dkim_sign(const struct dkim_sign_params *p, const void *header,
		size_t len, const uint8_t body_hash[DKIM_HASH_LEN],
		const char **error_r);

#endif

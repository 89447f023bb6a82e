/* imap_utf7.h: modified UTF-7 mailbox names (RFC 3501 5.1.3) <-> UTF-8. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_UTF7_H
#define BUZON_IMAP_UTF7_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* Decode n bytes of modified UTF-7 into NUL-terminated UTF-8 in a.
   Strict (RFC 3501 5.1.3): only printable US-ASCII outside shifts; "&-"
   is "&"; a shift holds modified BASE64 ("," for "/") of UTF-16 with
   paired surrogates, ends with "-", leaves fewer than 6 zero bits, does
   not encode a printable US-ASCII character, and does not directly
   follow another shift (the encoding must be the canonical one, so
   decode and encode round-trip).  Returns the string (its length in
   *len_r if not NULL) or NULL with *error_r (static) set. */
char *imap_utf7_decode(const char *s, size_t n, struct arena *a,
		       size_t *len_r, const char **error_r);

/* Encode n bytes of UTF-8 as modified UTF-7 in a (NUL-terminated).
   Returns NULL with *error_r set if s is not valid UTF-8 or holds a
   control character (mailbox names hold none). */
char *imap_utf7_encode(const char *s, size_t n, struct arena *a,
		       const char **error_r);

#endif

/* utf8.h: UTF-8 well-formedness (RFC 3629). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_UTF8_H
#define BUZON_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 character at s: 1 for an ASCII byte
   (NUL included), 2..4 for a valid multi-byte sequence, 0 if avail is 0
   or the bytes are not valid UTF-8 (overlong forms, surrogates, code
   points past U+10FFFF, bad or missing continuation bytes; RFC 3629 4).
   Reads at most avail bytes and stops at the first byte that fails, so
   a NUL-terminated string may be passed with avail = SIZE_MAX. */
size_t utf8_char_len(const unsigned char *s, size_t avail);

#endif

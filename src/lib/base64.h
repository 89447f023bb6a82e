/* base64.h: RFC 4648 base64 (strict, for SASL; MIME's lenient decoder lives
   in src/mime). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_BASE64_H
#define BUZON_BASE64_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes needed to encode n bytes (without a terminating NUL). */
#define BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* Upper bound of bytes decoded from n characters. */
#define BASE64_DECODED_MAX(n) ((((n) + 3) / 4) * 3)

/* The value (0..63) of a character of the RFC 4648 4 alphabet, or -1
   for any other byte ("=" included). */
int base64_value(unsigned char c);
/* Encode n bytes into out (which has room for BASE64_ENCODED_LEN(n) + 1);
   out is NUL-terminated.  Returns the encoded length. */
size_t base64_encode(const void *in, size_t n, char *out);
/* Strict decode (RFC 4648 4: padding required, no whitespace, no other
   characters).  out has room for BASE64_DECODED_MAX(n).  Returns the
   decoded length, or -1 if the input is not valid base64. */
ssize_t base64_decode(const char *in, size_t n, uint8_t *out);

#endif

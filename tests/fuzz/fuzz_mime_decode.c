/* fuzz_mime_decode.c: fuzz the streaming base64 and quoted-printable
   decoders (whole input against random chunking), RFC 2047 decoding and
   charset conversion to UTF-8.
   Input: byte 0 picks the charset, bytes 1-4 seed the chunking, the rest
   is the text. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_split.h"
#include "mime/mime_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Built-in ones and a few iconv ones (stateful, multi-byte, 16-bit). */
static const char *const charsets[] = {
    "utf-8",       "us-ascii",  "iso-8859-1", "windows-1252", "koi8-r",
    "iso-2022-jp", "shift_jis", "euc-kr",     "gb18030",      "big5",
    "utf-16",      "utf-16le",  "utf-7",      "x-unknown",    ""};

/* Whether b is valid UTF-8: the UTF-8 "conversion" keeps valid text as
   it is and changes anything else. */
static int
utf8_valid(const struct buf *b)
{
	struct buf copy;
	int same;

	buf_init(&copy, 0);
	if (buf_len(b) > 0)
		mime_charset_to_utf8("utf-8", buf_rptr(b), buf_len(b), &copy);
	same = fuzz_same(&copy, b);
	buf_deinit(&copy);
	return same;
}

/* Run a decoder over s[0..n): whole when seed is 0, else in pieces drawn
   from seed (xorshift), empty pieces included. */
static void
decode(int qp, const uint8_t *s, size_t n, uint32_t seed, struct buf *out)
{
	struct mime_b64 b;
	struct mime_qp q;
	size_t pos = 0;

	mime_b64_init(&b);
	mime_qp_init(&q);
	do {
		size_t len = n - pos;

		if (seed != 0) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			len = seed % 8 == 0
				  ? seed / 8 % (len + 1)
				  : seed / 8 % (len < 5 ? len + 1 : 5);
		}
		if (qp)
			mime_qp_decode(&q, s + pos, len, out);
		else
			mime_b64_decode(&b, s + pos, len, out);
		pos += len;
	} while (pos < n);
	if (qp)
		mime_qp_finish(&q, out);
	else
		mime_b64_finish(&b, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *s;
	size_t n;
	const char *cs;
	uint32_t seed;
	struct buf whole, split;
	int qp;

	if (size < 5)
		return 0;
	s = data + 5;
	n = size - 5;
	cs = charsets[data[0] % (sizeof(charsets) / sizeof(charsets[0]))];
	seed = ((uint32_t)data[1] | (uint32_t)data[2] << 8 |
		(uint32_t)data[3] << 16 | (uint32_t)data[4] << 24) |
	       1;
	buf_init(&whole, 0);
	buf_init(&split, 0);

	/* Chunking never changes the output, which is never longer than
	   the input (base64: 3 bytes per 4 characters). */
	for (qp = 0; qp < 2; qp++) {
		buf_reset(&whole);
		buf_reset(&split);
		decode(qp, s, n, 0, &whole);
		decode(qp, s, n, seed, &split);
		if (!fuzz_same(&whole, &split))
			abort();
		if (buf_len(&whole) > (qp ? n : n / 4 * 3 + 2))
			abort();
	}

	/* RFC 2047 words: the result is UTF-8 */
	buf_reset(&whole);
	mime_2047_decode((const char *)s, n, &whole);
	if (!utf8_valid(&whole))
		abort();

	/* charset conversion: UTF-8 out, or nothing if unknown */
	buf_reset(&whole);
	if (mime_charset_to_utf8(cs, s, n, &whole) < 0) {
		if (buf_len(&whole) != 0)
			abort();
	} else if (!utf8_valid(&whole)) {
		abort();
	}

	buf_deinit(&whole);
	buf_deinit(&split);
	return 0;
}

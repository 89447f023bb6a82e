/* fuzz_split.h: the check the stream-parser fuzz targets share: the same
   input fed whole and in pieces must give the same transcript. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_FUZZ_SPLIT_H
#define BUZON_FUZZ_SPLIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Feed data[0..size) to the parser in the pieces fuzz_chunk(&split, ...)
   gives and append a transcript of what it returns to log. */
typedef void fuzz_run_fn(const uint8_t *data, size_t size, uint32_t split,
			 struct buf *log);

/* The size of the next piece with left bytes to go: all of them when
   *split is 0 (whole), else 1 to 32 drawn from a xorshift of *split. */
static inline size_t
fuzz_chunk(uint32_t *split, size_t left)
{
	uint32_t x = *split;

	if (x == 0)
		return left;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*split = x;
	return left > x % 32 + 1 ? x % 32 + 1 : left;
}

/* Whether a and b hold the same bytes. */
static inline bool
fuzz_same(const struct buf *a, const struct buf *b)
{
	return buf_len(a) == buf_len(b) &&
	       (buf_len(a) == 0 ||
		memcmp(buf_rptr(a), buf_rptr(b), buf_len(a)) == 0);
}

/* data[0] seeds the pieces; the rest is run whole and split, and the
   transcripts must agree (else abort()).  Empty input: nothing. */
static inline void
fuzz_split_check(const uint8_t *data, size_t size, fuzz_run_fn *run)
{
	struct buf whole, split;

	if (size == 0)
		return;
	buf_init(&whole, 0);
	buf_init(&split, 0);
	run(data + 1, size - 1, 0, &whole);
	run(data + 1, size - 1, (uint32_t)data[0] + 1, &split);
	if (!fuzz_same(&whole, &split))
		abort();
	buf_deinit(&whole);
	buf_deinit(&split);
}

#endif

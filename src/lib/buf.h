/* buf.h: linear byte buffer.  Readers consume at rpos, writers append at wpos. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_BUF_H
#define BUZON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Growth never exceeds max (0 = no limit); appends past it fail with -1
   instead.  Memory is owned by the buf and released by buf_deinit(). */
struct buf {
	uint8_t *data;
	size_t rpos, wpos, cap, max;
};

/* Prepare an empty buffer that may grow to max bytes (0: unlimited). */
void buf_init(struct buf *b, size_t max);
/* Free the memory; the buf is empty and reusable afterwards. */
void buf_deinit(struct buf *b);

/* Unread bytes and a pointer to them, valid until the next write to b.
   Never NULL (an unallocated buf points at a static empty string), so
   callers may pass it to memcpy()/memchr() with length 0. */
static inline size_t
buf_len(const struct buf *b)
{
	return b->wpos - b->rpos;
}
static inline const uint8_t *
buf_rptr(const struct buf *b)
{
	return b->data != NULL ? b->data + b->rpos : (const uint8_t *)"";
}

/* Append n bytes.  Returns 0, or -1 if that would pass max (nothing is
   appended then). */
int buf_append(struct buf *b, const void *data, size_t n);
int buf_append_str(struct buf *b, const char *s);
/* printf-append.  Returns 0, or -1 if the result would pass max. */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Make room for at least n more bytes and return the write pointer; the
   caller then calls buf_commit() with what it wrote.  Returns NULL if
   that would pass max. */
uint8_t *buf_reserve(struct buf *b, size_t n);
void buf_commit(struct buf *b, size_t n);

/* Mark n unread bytes as read.  When everything is read, positions reset
   to 0 so the buffer never creeps. */
void buf_consume(struct buf *b, size_t n);
/* Drop all content (read and unread). */
void buf_reset(struct buf *b);
/* Move unread bytes to the front (after many consumes). */
void buf_compact(struct buf *b);

/* Returns the next line without its CRLF (or LF), or NULL if no full line
   is buffered.  The line is consumed; the pointer stays valid until the
   next write to b.  *too_long_r is set when max_line bytes are buffered
   without a LF (the caller decides whether to skip). */
const char *buf_getline(struct buf *b, size_t max_line, size_t *len_r,
			bool *too_long_r);

/* Position of the first occurrence of c in the unread bytes, or -1. */
long buf_find(const struct buf *b, uint8_t c);

#endif

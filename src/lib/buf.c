/* buf.c: linear byte buffer. */
/* SPDX-License-Identifier: MIT */
#include "buf.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_deinit(struct buf *b)
{
	size_t max = b->max;

	free(b->data);
	buf_init(b, max);
}

void
buf_compact(struct buf *b)
{
	if (b->rpos == 0)
		return;
	if (b->wpos > b->rpos)
		memmove(b->data, b->data + b->rpos, b->wpos - b->rpos);
	b->wpos -= b->rpos;
	b->rpos = 0;
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;

	if (b->cap - b->wpos >= n)
		return b->data + b->wpos;
	buf_compact(b);
	if (b->cap - b->wpos >= n)
		return b->data + b->wpos;
	need = b->wpos + n;
	if (need < b->wpos || (b->max != 0 && need > b->max))
		return NULL;
	cap = b->cap < 256 ? 256 : b->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2; /* no wrap to 0 */
	if (b->max != 0 && cap > b->max)
		cap = b->max;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return b->data + b->wpos;
}

void
buf_commit(struct buf *b, size_t n)
{
	b->wpos += n;
}

int
buf_append(struct buf *b, const void *data, size_t n)
{
	uint8_t *p;

	if (n == 0)
		return 0;
	if ((p = buf_reserve(b, n)) == NULL)
		return -1;
	memcpy(p, data, n);
	b->wpos += n;
	return 0;
}

int
buf_append_str(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256], *big;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return buf_append(b, small, (size_t)n);
	/* vsnprintf needs room for a NUL that is not part of the result:
	   format aside so a result that fits max exactly is accepted */
	if (buf_reserve(b, (size_t)n) == NULL)
		return -1;
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = buf_append(b, big, (size_t)n);
	free(big);
	return rc;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n > b->wpos - b->rpos)
		n = b->wpos - b->rpos;
	b->rpos += n;
	if (b->rpos == b->wpos)
		b->rpos = b->wpos = 0;
}

void
buf_reset(struct buf *b)
{
	b->rpos = b->wpos = 0;
}

long
buf_find(const struct buf *b, uint8_t c)
{
	const uint8_t *p;

	if (b->wpos == b->rpos)
		return -1;
	p = memchr(b->data + b->rpos, c, b->wpos - b->rpos);
	return p == NULL ? -1 : (long)(p - (b->data + b->rpos));
}

const char *
buf_getline(struct buf *b, size_t max_line, size_t *len_r, bool *too_long_r)
{
	long lf = buf_find(b, '\n');
	char *line;
	size_t len;

	*too_long_r = false;
	if (lf < 0) {
		if (buf_len(b) >= max_line)
			*too_long_r = true;
		return NULL;
	}
	line = (char *)b->data + b->rpos;
	len = (size_t)lf;
	b->rpos += len + 1;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0'; /* overwrites the CR or LF */
	*len_r = len;
	if (b->rpos == b->wpos) {
		/* keep the line valid: do not reset positions until the
		   next write, which compacts anyway */
	}
	return line;
}

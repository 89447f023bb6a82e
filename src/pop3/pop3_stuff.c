/* pop3_stuff.c: RFC 1939 3 multi-line framing for RETR and TOP. */
/* SPDX-License-Identifier: MIT */
#include "pop3/pop3_stuff.h"

#include <string.h>

#include "log.h"

void
pop3_stuff_init(struct pop3_stuff *st, bool top, uint32_t lines)
{
	memset(st, 0, sizeof(*st));
	st->top = top;
	st->lines = lines;
	st->bol = true;
}

static void
pop3_stuff_put(struct buf *out, const void *p, size_t n)
{
	if (buf_append(out, p, n) < 0)
		panic("pop3_stuff: output buffer limit");
}

/* A line just ended: advance TOP's count.  RFC 1939 7: the header ends at
   the first empty line (CRLF, or a bare LF). */
static void
pop3_stuff_line_end(struct pop3_stuff *st)
{
	bool blank =
	    st->line_len == 0 || (st->line_len == 1 && st->first == '\r');

	st->bol = true;
	st->line_len = 0;
	if (!st->top)
		return;
	if (!st->in_body) {
		if (blank) {
			st->in_body = true;
			st->done = st->lines == 0;
		}
		return;
	}
	if (--st->lines == 0)
		st->done = true;
}

bool
pop3_stuff_feed(struct pop3_stuff *st, const uint8_t *p, size_t n,
		struct buf *out)
{
	while (n > 0 && !st->done) {
		const uint8_t *lf;
		size_t take;

		if (st->bol) {
			/* RFC 1939 3: byte-stuff the termination octet. */
			if (p[0] == '.')
				pop3_stuff_put(out, ".", 1);
			st->bol = false;
			st->first = p[0];
		}
		lf = memchr(p, '\n', n);
		take = lf != NULL ? (size_t)(lf - p) + 1 : n;
		pop3_stuff_put(out, p, take);
		st->line_len += lf != NULL ? take - 1 : take;
		p += take;
		n -= take;
		if (lf != NULL)
			pop3_stuff_line_end(st);
	}
	return st->done;
}

void
pop3_stuff_finish(struct pop3_stuff *st, struct buf *out)
{
	if (!st->bol)
		pop3_stuff_put(out, "\r\n", 2);
	pop3_stuff_put(out, ".\r\n", 3);
	st->bol = true;
	st->done = true;
}

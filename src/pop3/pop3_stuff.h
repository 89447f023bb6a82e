/* pop3_stuff.h: RFC 1939 3 multi-line framing of a message for RETR and
   TOP: dot-stuffing, TOP's cut after the header and n body lines, and the
   terminating line.  Pure: bytes in, bytes out. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_POP3_STUFF_H
#define BUZON_POP3_STUFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct pop3_stuff {
	bool top;          /* TOP: cut after the header and `lines` lines */
	uint32_t lines;    /* TOP: body lines still to send */
	bool in_body;      /* TOP: the blank line after the header passed */
	bool bol;          /* the next byte starts a line */
	bool done;         /* TOP: the cut is reached; input is ignored */
	uint8_t first;     /* first byte of the current line */
	uint64_t line_len; /* bytes of the current line so far, LF excluded */
};

/* Start framing one message: top false for RETR (the whole message),
   true for TOP with `lines` body lines (RFC 1939 7: the header, the blank
   line, then that many lines of the body). */
void pop3_stuff_init(struct pop3_stuff *st, bool top, uint32_t lines);

/* Frame the next n bytes of the message (lines end at LF; the CRLF of
   the stored message passes unchanged), appending to out, whose max must
   allow it (use 0: unlimited).  A line that starts with '.' gets one more
   '.'.  Returns true once TOP's cut is reached (the bytes after it are
   dropped, and so are those of later calls); false otherwise.  Feeding
   the message in any split gives the same output. */
bool pop3_stuff_feed(struct pop3_stuff *st, const uint8_t *p, size_t n,
		     struct buf *out);

/* End the response: CRLF if the last line sent had no line end, then the
   terminating ".\r\n". */
void pop3_stuff_finish(struct pop3_stuff *st, struct buf *out);

#endif

/* smtp_reply.h: SMTP server replies and EHLO capabilities, as seen by a client (pure). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_REPLY_H
#define BUZON_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* One complete reply (all its lines). */
struct smtp_reply {
	int code; /* 200..599 */
	/* Enhanced status code (RFC 3463) from the first line when it is
	   well formed and its class agrees with code (RFC 2034 4), e.g.
	   "5.1.1"; "" otherwise. */
	char enh[16];
	/* Text of every line after "NNN-" / "NNN ", joined with '\n', with a
	   leading enhanced code of the same class (and the spaces after it)
	   removed from each line.  NUL-terminated. */
	const char *text;
	size_t text_len;
	/* The same lines without any removal (EHLO keywords live here). */
	const char *lines;
	size_t lines_len;
	size_t nlines;
};

/* Reply parser state.  Only error is public. */
struct smtp_reply_parser {
	/* Static reason after a call returned -1. */
	const char *error;
	/* private */
	char *line;        /* the current line, at most SMTP_REPLY_LINE_MAX */
	size_t len, cap;   /* bytes kept in line / allocated */
	bool too_long;     /* the current line passed the limit */
	int code;          /* code of the lines so far, 0 before the first */
	size_t nlines;     /* lines of the reply so far */
	struct buf raw;    /* lines so far, '\n'-joined */
	struct buf text;   /* the same, enhanced codes removed */
};

/* Prepare p; nothing is allocated until input arrives. */
void smtp_reply_parser_init(struct smtp_reply_parser *p);
/* Free p's memory; replies returned earlier become invalid.  p may be
   initialised again. */
void smtp_reply_parser_deinit(struct smtp_reply_parser *p);
/* Forget a partly received reply (the STARTTLS switch: RFC 3207 4.2). */
void smtp_reply_parser_reset(struct smtp_reply_parser *p);

/* Consume bytes of in (from buf_rptr(in); buf_consume() what was used,
   bytes after the reply's last line stay in in).
   Returns 1 with *r filled when a whole reply was read; 0 when all of in
   went into the parser state and more input is needed; -1 on a bad
   line, with p->error set ("Reply line too long", "Too many reply
   lines", "Bad reply code", "Bad reply separator", "Inconsistent reply
   codes", "NUL in reply", "Bare CR in reply").  After -1 the bad line
   is consumed and the reply it belonged to is dropped; parsing resumes
   with the next line as the start of a new reply.
   Rules (RFC 5321 4.2): reply-line = code ("-" / SP / nothing) text,
   every line of one reply carries the same code, the last one has no
   "-".  The code's first digit is 2..5, the others any digit.  A line
   ends at LF; a CR right before it is dropped (servers that send bare
   LF are tolerated, as Postfix does); a CR anywhere else or a NUL makes
   the line bad.  A line is at most SMTP_REPLY_LINE_MAX bytes with its
   CRLF, a reply at most SMTP_REPLY_LINES_MAX lines.  Text bytes are
   otherwise taken as they are (UTF-8 included).
   The strings in *r live in p and stay valid until the next call with
   p. */
int smtp_reply_parse(struct smtp_reply_parser *p, struct buf *in,
		     struct smtp_reply *r);

/* SASL mechanisms named in an AUTH EHLO line (RFC 4954 3). */
#define SMTP_AUTH_MECH_PLAIN 1u
#define SMTP_AUTH_MECH_LOGIN 2u
#define SMTP_AUTH_MECH_CRAM_MD5 4u
#define SMTP_AUTH_MECH_SCRAM_SHA_1 8u
#define SMTP_AUTH_MECH_SCRAM_SHA_256 16u
#define SMTP_AUTH_MECH_XOAUTH2 32u
#define SMTP_AUTH_MECH_OTHER 64u

/* Service extensions a server announced in its EHLO reply. */
struct smtp_caps {
	bool pipelining;          /* RFC 2920 */
	bool starttls;            /* RFC 3207 */
	bool eightbitmime;        /* RFC 6152 */
	bool smtputf8;            /* RFC 6531 */
	bool dsn;                 /* RFC 3461 */
	bool chunking;            /* RFC 3030 */
	bool binarymime;          /* RFC 3030 */
	bool enhancedstatuscodes; /* RFC 2034 */
	bool size;                /* RFC 1870 */
	/* SIZE limit in octets; 0 when none was given ("SIZE" alone,
	   "SIZE 0": no fixed maximum, RFC 1870 4) or it was not a number.
	   Saturates at UINT64_MAX. */
	uint64_t size_max;
	unsigned auth; /* SMTP_AUTH_MECH_* bits */
};

/* Fill *caps from the EHLO reply r (cleared first).  The first line (the
   server's name and greeting) is skipped; every later line is an
   ehlo-line (RFC 5321 4.1.1.1): keyword, then parameters separated by
   spaces.  Keywords and mechanism names are matched case-insensitively;
   the old "AUTH=MECH ..." form is understood too.  Unknown keywords
   and malformed lines are ignored.  Nothing is kept from r. */
void smtp_reply_caps(const struct smtp_reply *r, struct smtp_caps *caps);

#endif

/* pop3_parse.h: pure POP3 command-line parser (RFC 1939 3, RFC 2449 4). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_POP3_PARSE_H
#define BUZON_POP3_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum pop3_verb {
	POP3_VERB_UNKNOWN = 0,
	POP3_VERB_USER,
	POP3_VERB_PASS,
	POP3_VERB_APOP,
	POP3_VERB_AUTH,
	POP3_VERB_CAPA,
	POP3_VERB_STLS,
	POP3_VERB_QUIT,
	POP3_VERB_STAT,
	POP3_VERB_LIST,
	POP3_VERB_RETR,
	POP3_VERB_DELE,
	POP3_VERB_NOOP,
	POP3_VERB_RSET,
	POP3_VERB_TOP,
	POP3_VERB_UIDL,
	POP3_VERB__COUNT
};

/* Most arguments any command takes (APOP name digest, TOP msg n, AUTH
   mechanism initial-response). */
#define POP3_ARGS_MAX 2

/* One parsed command.  Pointers are into the parser and valid until the
   next call on it. */
struct pop3_cmd {
	enum pop3_verb verb;
	const char *keyword; /* as sent, NUL-terminated (for error replies) */
	/* The text after the keyword and one space, NUL-terminated, "" if
	   none: PASS takes it whole (RFC 1939 7: a password may hold
	   spaces). */
	const char *rest;
	/* rest split at single spaces (RFC 1939 3: arguments are separated
	   by a single space): nargs is the count found, up to POP3_ARGS_MAX;
	   too_many_args is set if there were more.  An empty argument (two
	   spaces, trailing space) sets bad_spacing. */
	const char *argv[POP3_ARGS_MAX];
	unsigned nargs;
	bool too_many_args;
	bool bad_spacing;
};

struct pop3_parser {
	size_t max_line; /* octets including CRLF */
	char *line;      /* the current line, heap */
	size_t len, cap;
	bool overflow;   /* discarding the rest of an over-long line */
	const char *error; /* after -1: static reason text */
};

/* max_line counts the CRLF (POP3_CMD_LINE_MAX for commands). */
void pop3_parser_init(struct pop3_parser *p, size_t max_line);
void pop3_parser_deinit(struct pop3_parser *p);

/* Take the next command line from in (consuming what it uses; a partial
   line is kept in the parser, so in may be emptied).  A line ends at LF;
   a CR before it is dropped.  Returns 1 and fills *cmd; 0 if more input
   is needed; -1 for a bad line, with p->error set: longer than max_line
   (the whole line is discarded up to its LF), or holding a NUL or other
   control byte.  The keyword is matched without regard to case; an
   unknown keyword gives 1 with verb POP3_VERB_UNKNOWN. */
int pop3_parse_command(struct pop3_parser *p, struct buf *in,
		       struct pop3_cmd *cmd);

/* The same for a raw line (SASL continuation, RFC 5034 4), up to
   max_line octets with CRLF: returns 1 with *line (NUL-terminated,
   without the line end) and *len, 0 for more input, -1 as above. */
int pop3_parse_line(struct pop3_parser *p, struct buf *in, size_t max_line,
		    const char **line, size_t *len);

/* A message number or line count: 1*DIGIT without sign or spaces, at
   most 10 digits, value <= UINT32_MAX.  Returns 0 and sets *n, else -1. */
int pop3_parse_number(const char *s, uint32_t *n);

#endif

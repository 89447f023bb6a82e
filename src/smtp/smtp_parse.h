/* smtp_parse.h: SMTP command lines, MAIL/RCPT paths and parameters (pure). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_PARSE_H
#define BUZON_SMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"

enum smtp_verb {
	SMTP_VERB_UNKNOWN,
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_BDAT,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
	SMTP_VERB_SEND,
	SMTP_VERB_SOML,
	SMTP_VERB_SAML,
	SMTP_VERB_TURN,
	SMTP_VERB_ETRN,
	SMTP_VERB_ATRN,
	SMTP_VERB__COUNT
};

struct smtp_cmd {
	enum smtp_verb verb;
	/* The verb as sent (for logs), NUL-terminated. */
	const char *verb_str;
	/* Text after the verb and the separating space(s), with trailing
	   spaces removed; "" if none.  NUL-terminated. */
	const char *args;
	size_t args_len;
	/* Octets of the line without CRLF. */
	size_t line_len;
};

/* Command-line parser state.  Only the error_* fields are public. */
struct smtp_parser {
	/* Set when a call returns -1: SMTP code, enhanced code and reply
	   text (static strings). */
	int error_code;
	const char *error_enh;
	const char *error_text;

	size_t max_line, max_auth_line;
	char *line;   /* the current line, up to max_auth_line - 2 bytes */
	size_t cap;   /* allocated bytes of line */
	size_t len;   /* bytes kept in line */
	size_t total; /* bytes of the line seen so far, without CRLF */
	bool cr;      /* the last byte seen was a CR */
	bool bare_cr, nul, too_long;
};

/* Prepare p.  max_line: limit for ordinary commands, CRLF included
   (SMTP_CMD_LINE_MAX); max_auth_line: limit for AUTH command lines and
   for smtp_parse_line() (SMTP_AUTH_LINE_MAX).  Both must be >= 3 and
   max_auth_line >= max_line.  No memory is allocated until input
   arrives; the line buffer never grows past max_auth_line bytes. */
void smtp_parser_init(struct smtp_parser *p, size_t max_line,
		      size_t max_auth_line);
/* Free the parser's memory.  Pointers returned by earlier calls become
   invalid.  p may be initialised again afterwards. */
void smtp_parser_deinit(struct smtp_parser *p);

/* Consume bytes from in (parsing from buf_rptr(in), buf_consume() what was
   used; bytes after the line's end are left in in).
   Returns 1 and fills *cmd when a full command line ending in CRLF was
   parsed; 0 when all of in was taken into the parser state and more input
   is needed; -1 on a bad line, with p->error_code (500), p->error_enh
   ("5.5.2") and p->error_text ("Line too long", "Bare LF received",
   "Bare CR received", "NUL received").  After -1 the bad line has been
   consumed completely, so the caller replies and continues.
   Rules: only CRLF ends a line (RFC 5321 2.3.8).  A bare LF ends a bad
   line.  A CR not followed by LF, or a NUL, makes the line bad when it
   ends.  Line limits count the CRLF: max_auth_line for AUTH commands,
   max_line for all others; bytes past max_auth_line are dropped as they
   arrive.  The verb ends at SP or end of line and is matched
   case-insensitively; an unknown verb gives SMTP_VERB_UNKNOWN (return 1).
   The strings in *cmd live in the parser and stay valid until the next
   call with p (or smtp_parser_deinit()). */
int smtp_parse_command(struct smtp_parser *p, struct buf *in,
		       struct smtp_cmd *cmd);

/* Same line rules for AUTH continuation lines (RFC 4954 4), limit
   max_auth_line.  Returns 1 with the line (NUL-terminated, without CRLF,
   valid until the next call with p) in *line and its length in *len;
   0 when more input is needed; -1 on a bad line as above. */
int smtp_parse_line(struct smtp_parser *p, struct buf *in, const char **line,
		    size_t *len);

/* The canonical upper-case name of a verb ("MAIL"); "UNKNOWN" for
   SMTP_VERB_UNKNOWN and out-of-range values.  Static string. */
const char *smtp_verb_name(enum smtp_verb verb);

/* A reverse-path or forward-path (RFC 5321 4.1.2).  All strings are in
   the arena given to the parse call, or static. */
struct smtp_path {
	bool is_null;       /* "<>" */
	bool is_postmaster; /* "<Postmaster>" without domain (RFC 5321
			       4.5.1), case-insensitive */
	bool needs_utf8;    /* contains non-ASCII (needs SMTPUTF8) */
	/* Local part, unquoted and unescaped ("a b"@x -> a b); "" for the
	   null path. */
	const char *local;
	/* Domain with ASCII letters lowercased, UTF-8 kept as given; an
	   address literal keeps its brackets and is rewritten to the
	   inet_ntop form: "[127.0.0.1]", "[IPv6:2001:db8::1]".  NULL for
	   the null path and bare postmaster. */
	const char *domain;
	/* Canonical mailbox: local part (quoted only if it is not a valid
	   dot-string) "@" domain; "" for the null path, the local part for
	   bare postmaster. */
	const char *addr;
	bool domain_is_literal;
};

enum smtp_body {
	SMTP_BODY_NONE,
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
	SMTP_BODY_BINARYMIME
};

struct smtp_mail_args {
	struct smtp_path path;
	uint64_t size; /* SIZE= (RFC 1870) */
	bool size_given;
	enum smtp_body body;
	bool smtputf8;     /* SMTPUTF8 (RFC 6531) */
	int ret;           /* 0 none, 1 FULL, 2 HDRS (RFC 3461 4.3) */
	const char *envid; /* ENVID xtext-decoded, or NULL */
	const char *auth;  /* AUTH= (RFC 4954 5) xtext-decoded, or NULL */
};

#define SMTP_NOTIFY_NEVER 1u
#define SMTP_NOTIFY_SUCCESS 2u
#define SMTP_NOTIFY_FAILURE 4u
#define SMTP_NOTIFY_DELAY 8u

struct smtp_rcpt_args {
	struct smtp_path path;
	unsigned notify; /* SMTP_NOTIFY_* bits; 0 = not given */
	/* ORCPT value "addr-type;address" with the address xtext-decoded,
	   or NULL. */
	const char *orcpt;
};

/* Reply for a rejected MAIL/RCPT/mailbox: static strings. */
struct smtp_parse_error {
	int code;
	const char *enh;
	const char *text;
};

/* Parse the arguments of MAIL (cmd.args: "FROM:<path> params").  Strings
   go into arena a.  Returns 0 with *m filled, or -1 with *err set:
   501 5.5.4 for a missing "FROM:" or missing angle brackets, 501 5.1.7
   for bad sender address syntax (also a bare <postmaster>), 555 5.5.4 for
   an unknown, duplicate or malformed parameter.  A space after "FROM:"
   is accepted; source routes are accepted and dropped.  Whether
   non-ASCII (path.needs_utf8 without smtputf8) and SIZE are acceptable is
   the caller's decision. */
int smtp_parse_mail(const char *args, struct arena *a, struct smtp_mail_args *m,
		    struct smtp_parse_error *err);
/* Same for RCPT ("TO:<path> params"): 501 5.5.4 missing "TO:" or
   brackets, 501 5.1.3 bad recipient address syntax (also "<>"), 555 5.5.4
   bad parameter (NOTIFY, ORCPT known).  "<Postmaster>" is accepted with
   path.is_postmaster set and domain NULL. */
int smtp_parse_rcpt(const char *args, struct arena *a, struct smtp_rcpt_args *r,
		    struct smtp_parse_error *err);
/* Parse a bare mailbox "local@domain" or "<local@domain>" (VRFY/EXPN
   arguments, the CLI); "Postmaster" alone is accepted as for RCPT.
   Nothing may follow the mailbox.  Returns 0 with *path filled (strings
   in a), or -1 with *err = 501 5.1.3. */
int smtp_parse_mailbox(const char *s, struct arena *a, struct smtp_path *path,
		       struct smtp_parse_error *err);

/* Decode n bytes of xtext (RFC 3461 4) into a NUL-terminated string in a.
   Hex digits of "+XX" may be either case.  Returns NULL if s is not
   xtext or decodes to a control character (NUL included). */
char *smtp_xtext_decode(const char *s, size_t n, struct arena *a);

#endif

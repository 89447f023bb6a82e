/* imap_parse.h: pure, resumable IMAP command parser (RFC 9051 9, RFC 3501 9). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_PARSE_H
#define BUZON_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"

enum imap_cmd_name {
	IMAP_CMD_UNKNOWN = 0,
	IMAP_CMD_CAPABILITY,
	IMAP_CMD_NOOP,
	IMAP_CMD_LOGOUT,
	IMAP_CMD_STARTTLS,
	IMAP_CMD_AUTHENTICATE,
	IMAP_CMD_LOGIN,
	IMAP_CMD_ENABLE,
	IMAP_CMD_SELECT,
	IMAP_CMD_EXAMINE,
	IMAP_CMD_CREATE,
	IMAP_CMD_DELETE,
	IMAP_CMD_RENAME,
	IMAP_CMD_SUBSCRIBE,
	IMAP_CMD_UNSUBSCRIBE,
	IMAP_CMD_LIST,
	IMAP_CMD_LSUB,
	IMAP_CMD_NAMESPACE,
	IMAP_CMD_STATUS,
	IMAP_CMD_APPEND,
	IMAP_CMD_IDLE,
	IMAP_CMD_CHECK,
	IMAP_CMD_CLOSE,
	IMAP_CMD_UNSELECT,
	IMAP_CMD_EXPUNGE,
	IMAP_CMD_SEARCH,
	IMAP_CMD_FETCH,
	IMAP_CMD_STORE,
	IMAP_CMD_COPY,
	IMAP_CMD_MOVE,
	IMAP_CMD_ID,
	IMAP_CMD_GETQUOTA,
	IMAP_CMD_GETQUOTAROOT,
	IMAP_CMD_SORT,
	IMAP_CMD_THREAD,
	IMAP_CMD__COUNT
};

enum imap_arg_type {
	IMAP_ARG_ATOM,    /* bare token: atom, number, sequence set, flag,
			     list-mailbox with wildcards, "NIL" excluded */
	IMAP_ARG_NIL,     /* the atom NIL (any case) */
	IMAP_ARG_QUOTED,  /* quoted string, unescaped */
	IMAP_ARG_LITERAL, /* {n} / {n+} / ~{n} / ~{n+} */
	IMAP_ARG_LIST,    /* ( ... ) */
	IMAP_ARG_SECTION  /* FETCH only: BODY[...]<...> and friends */
};

/* One node of a command's argument tree.  All memory is in the
   command's arena.  str is NUL-terminated for every type that has one;
   only binary literals (RFC 3516 ~{n}) may hold NUL bytes. */
struct imap_arg {
	enum imap_arg_type type;
	bool binary;  /* LITERAL: literal8 (~{n}) */
	bool nonsync; /* LITERAL: {n+} (RFC 7888) */
	/* ATOM, NIL, QUOTED, LITERAL: the bytes.  SECTION: the text before
	   '[' as sent ("BODY.PEEK"). */
	const char *str;
	size_t len;
	/* LIST and SECTION: the first child (the args inside the brackets
	   for SECTION) and their count. */
	struct imap_arg *child;
	size_t count;
	/* SECTION: the text after ']' ("<0.100>"), "" if none. */
	const char *partial;
	struct imap_arg *next; /* next sibling, NULL at the end */
};

/* One parsed command.  Owned by the caller once returned: free with
   imap_cmd_free(), which frees everything the tree points to. */
struct imap_cmd {
	struct arena *arena;
	const char *tag;      /* as sent */
	const char *name_str; /* the command name as sent ("uid fetch" ->
				 "fetch") */
	enum imap_cmd_name name;
	bool uid; /* "UID" prefix (COPY MOVE FETCH STORE SEARCH EXPUNGE SORT
		     THREAD only) */
	struct imap_arg *args; /* first argument or NULL */
	size_t nargs;
	/* Octets of all literals of the command. */
	uint64_t literal_bytes;
};

/* Limits of one parser (see src/lib/limits.h). */
struct imap_parse_limits {
	/* Octets of a command outside APPEND message literals, literals
	   of other commands and CRLFs included. */
	size_t line_max;
	/* One APPEND literal, and all of one APPEND/MULTIAPPEND. */
	uint64_t literal_max;
	uint64_t append_total_max;
	/* A non-synchronizing literal: 0 = as for synchronizing ones
	   (LITERAL+), IMAP_LITERAL_MINUS_MAX for LITERAL- (RFC 7888 5). */
	uint64_t nonsync_max;
	/* Nesting of lists (and a FETCH section counts as one level). */
	unsigned depth_max;
};

/* IMAP_CMD_LINE_MAX, IMAP_LITERAL_MAX, IMAP_APPEND_TOTAL_MAX, LITERAL+,
   IMAP_LIST_DEPTH_MAX. */
extern const struct imap_parse_limits imap_parse_limits_default;

enum imap_parse_rc {
	IMAP_PARSE_ERROR = -1, /* see p->error_*; the parser skips the rest */
	IMAP_PARSE_MORE = 0,   /* all input consumed, need more */
	IMAP_PARSE_CMD = 1,    /* *cmd_r is a complete command */
	IMAP_PARSE_CONT = 2    /* send "+ ..." then call again */
};

/* Parser state.  Only the error_* fields are public. */
struct imap_parser {
	/* Set when a call returns IMAP_PARSE_ERROR (valid until the next
	   call): error_tag is the command's tag, or NULL when none could be
	   read (reply untagged "* BAD"); error_status "BAD" or "NO";
	   error_code a response code without brackets ("TOOBIG",
	   "CLIENTBUG") or NULL; error_text the human-readable text.  All
	   point into the parser or are static. */
	const char *error_tag;
	const char *error_status;
	const char *error_code;
	const char *error_text;

	struct imap_parse_limits lim;
	int state;
	char *line; /* bytes of the current segment (up to the next LF) */
	size_t line_len, line_cap;
	size_t cmd_bytes;     /* octets counted against lim.line_max */
	uint64_t lit_left;    /* literal bytes still to read or skip */
	uint64_t lit_len;     /* announced size of the literal being read */
	uint8_t *lit;         /* literal being read (heap) */
	size_t lit_cap;
	bool lit_binary, lit_nonsync;
	bool skip_raw;        /* skipping a raw line: no literals in it */
	char tail[32];        /* last bytes of a line being skipped */
	size_t tail_len;
	char tagbuf[64];      /* error_tag storage */
	struct imap_cmd *cmd; /* command being built */
	/* Tree building. */
	struct imap_arg **stack; /* open LIST/SECTION nodes */
	struct imap_arg **last;  /* last child per level (level 0: top) */
	unsigned depth;
	bool need_sep;  /* a token ended: SP, ')', ']' or end must follow */
	bool after_sep; /* a SP was read: a token must follow */
};

/* Prepare p with the given limits (copied; NULL for the defaults). */
void imap_parser_init(struct imap_parser *p,
		      const struct imap_parse_limits *lim);
/* Free the parser and any command being built.  Commands already
   returned are the caller's and stay valid. */
void imap_parser_deinit(struct imap_parser *p);

/* Consume bytes from in (buf_consume() what was used; bytes after the
   command stay in in).
   IMAP_PARSE_CMD: *cmd_r is a new command the caller owns
   (imap_cmd_free()).  The command name is known (unknown names are
   errors) and the argument tree is syntactically valid: strings, lists
   balanced, literals complete.  Per-command argument checks are the
   helpers' job (imap_args.h, imap_fetch.h, imap_search.h, ...).
   IMAP_PARSE_CONT: the line so far announced a synchronizing literal
   ({n} or ~{n}) that fits the limits and everything before it parsed;
   the caller sends a continuation request ("+ Ready") and calls again
   (RFC 9051 4.3, 7.5).  Non-synchronizing literals ({n+}) never stop.
   IMAP_PARSE_MORE: in is empty and the state is kept.
   IMAP_PARSE_ERROR: the current command is bad (error_* say why, with
   the tag when it was read).  The caller replies and calls again; the
   parser then skips the rest of the bad command: the rest of its line,
   and for a line ending in a non-synchronizing literal announcement the
   literal's bytes and the line after it, and so on.  A line ending in a
   synchronizing announcement ends the skip (the client gets no "+" and
   abandons the command).  Errors:
   - a line longer than what is left of lim.line_max: BAD "Command line
     too long" (code TOOBIG), reported before the LF arrives;
   - a synchronizing literal over its limit: NO [TOOBIG] (nothing more
     of that command is sent by a correct client);
   - a non-synchronizing one over its limit: BAD [TOOBIG], reported at
     once, its bytes are then skipped (RFC 7888 4 choice 1; the session
     may close the connection instead);
   - syntax (bad tag: untagged; unknown command, missing space,
     unbalanced parenthesis, bad character, NUL in a non-binary literal,
     nesting past lim.depth_max): BAD with a text naming the fault.
   A line ends at LF; a CR just before it is dropped (a bare LF is
   accepted as Dovecot does).  Empty lines are ignored. */
int imap_parse_command(struct imap_parser *p, struct buf *in,
		       struct imap_cmd **cmd_r);

/* A raw line for AUTHENTICATE continuations (RFC 9051 6.2.2) and IDLE's
   DONE, at most lim.line_max octets with CRLF.  Returns 1 with *line_r
   (NUL-terminated, without the line end, valid until the next call
   with p) and *len_r; 0 for more input; -1 when the line is too long
   (it is skipped to its LF) or holds a NUL. */
int imap_parse_line(struct imap_parser *p, struct buf *in,
		    const char **line_r, size_t *len_r);

/* Free a command returned by imap_parse_command() and set *cmdp = NULL. */
void imap_cmd_free(struct imap_cmd **cmdp);

/* Canonical upper-case name ("FETCH"); "UNKNOWN" for others. */
const char *imap_cmd_name_str(enum imap_cmd_name name);
/* Look a command name up without regard to case; IMAP_CMD_UNKNOWN if
   none. */
enum imap_cmd_name imap_cmd_lookup(const char *s, size_t n);

/* ---- Typed accessors for handlers.  arg may be NULL (missing). */

/* The n-th (0-based) sibling starting at arg, or NULL. */
const struct imap_arg *imap_arg_nth(const struct imap_arg *arg, size_t n);
/* ATOM equal to s without regard to case. */
bool imap_arg_atom_is(const struct imap_arg *arg, const char *s);
/* astring (RFC 9051 9): ATOM, QUOTED or non-binary LITERAL.  Returns
   the NUL-terminated string (in the command's arena) or NULL. */
const char *imap_arg_astring(const struct imap_arg *arg, size_t *len_r);
/* nstring: as astring without atoms, or NIL (*nil_r set, returns "").
   Returns NULL if arg is neither. */
const char *imap_arg_nstring(const struct imap_arg *arg, bool *nil_r);
/* number (RFC 9051 9: 1*DIGIT, <= 4294967295) as an ATOM.  Returns 0
   with *n_r, -1 otherwise (sign, spaces, overflow, empty). */
int imap_arg_number(const struct imap_arg *arg, uint32_t *n_r);
/* number64 (RFC 9051 9: <= 9223372036854775807). */
int imap_arg_number64(const struct imap_arg *arg, uint64_t *n_r);
/* The same on raw text: 1*DIGIT up to max.  Returns 0 or -1. */
int imap_parse_number(const char *s, size_t n, uint64_t max, uint64_t *v_r);

/* ATOM-CHAR (RFC 9051 9): any CHAR except atom-specials. */
bool imap_is_atom_char(unsigned char c);

#endif

/* imap_parse.c: pure, resumable IMAP command parser (RFC 9051 9, RFC 3501 9). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap/imap_utf7.h"
#include "limits.h"
#include "log.h"
#include "xalloc.h"
#include "utf8.h"

const struct imap_parse_limits imap_parse_limits_default = {
    .line_max = IMAP_CMD_LINE_MAX,
    .literal_max = IMAP_LITERAL_MAX,
    .append_total_max = IMAP_APPEND_TOTAL_MAX,
    .nonsync_max = 0,
    .depth_max = IMAP_LIST_DEPTH_MAX,
};

enum {
	ST_LINE,     /* reading a line (segment) up to LF */
	ST_LITERAL,  /* reading literal bytes */
	ST_SKIP_LIT, /* skipping the bytes of a literal of a bad command */
	ST_SKIP_LINE /* skipping the rest of a bad command's line */
};

static const char *const imap_cmd_names[IMAP_CMD__COUNT] = {
    [IMAP_CMD_UNKNOWN] = "UNKNOWN",
    [IMAP_CMD_CAPABILITY] = "CAPABILITY",
    [IMAP_CMD_NOOP] = "NOOP",
    [IMAP_CMD_LOGOUT] = "LOGOUT",
    [IMAP_CMD_STARTTLS] = "STARTTLS",
    [IMAP_CMD_AUTHENTICATE] = "AUTHENTICATE",
    [IMAP_CMD_LOGIN] = "LOGIN",
    [IMAP_CMD_ENABLE] = "ENABLE",
    [IMAP_CMD_SELECT] = "SELECT",
    [IMAP_CMD_EXAMINE] = "EXAMINE",
    [IMAP_CMD_CREATE] = "CREATE",
    [IMAP_CMD_DELETE] = "DELETE",
    [IMAP_CMD_RENAME] = "RENAME",
    [IMAP_CMD_SUBSCRIBE] = "SUBSCRIBE",
    [IMAP_CMD_UNSUBSCRIBE] = "UNSUBSCRIBE",
    [IMAP_CMD_LIST] = "LIST",
    [IMAP_CMD_LSUB] = "LSUB",
    [IMAP_CMD_NAMESPACE] = "NAMESPACE",
    [IMAP_CMD_STATUS] = "STATUS",
    [IMAP_CMD_APPEND] = "APPEND",
    [IMAP_CMD_IDLE] = "IDLE",
    [IMAP_CMD_CHECK] = "CHECK",
    [IMAP_CMD_CLOSE] = "CLOSE",
    [IMAP_CMD_UNSELECT] = "UNSELECT",
    [IMAP_CMD_EXPUNGE] = "EXPUNGE",
    [IMAP_CMD_SEARCH] = "SEARCH",
    [IMAP_CMD_FETCH] = "FETCH",
    [IMAP_CMD_STORE] = "STORE",
    [IMAP_CMD_COPY] = "COPY",
    [IMAP_CMD_MOVE] = "MOVE",
    [IMAP_CMD_ID] = "ID",
    [IMAP_CMD_GETQUOTA] = "GETQUOTA",
    [IMAP_CMD_GETQUOTAROOT] = "GETQUOTAROOT",
    [IMAP_CMD_SORT] = "SORT",
    [IMAP_CMD_THREAD] = "THREAD",
};

const char *
imap_cmd_name_str(enum imap_cmd_name name)
{
	if ((unsigned)name >= IMAP_CMD__COUNT)
		return imap_cmd_names[IMAP_CMD_UNKNOWN];
	return imap_cmd_names[name];
}

enum imap_cmd_name
imap_cmd_lookup(const char *s, size_t n)
{
	int c;

	for (c = IMAP_CMD_UNKNOWN + 1; c < IMAP_CMD__COUNT; c++)
		if (strlen(imap_cmd_names[c]) == n &&
		    strncasecmp(imap_cmd_names[c], s, n) == 0)
			return (enum imap_cmd_name)c;
	return IMAP_CMD_UNKNOWN;
}

/* RFC 9051 9: the commands "UID" may prefix (uid, RFC 6851 3.3 MOVE,
   RFC 5256 SORT/THREAD). */
static bool
imap_cmd_takes_uid(enum imap_cmd_name n)
{
	return n == IMAP_CMD_COPY || n == IMAP_CMD_MOVE ||
	       n == IMAP_CMD_FETCH || n == IMAP_CMD_STORE ||
	       n == IMAP_CMD_SEARCH || n == IMAP_CMD_EXPUNGE ||
	       n == IMAP_CMD_SORT || n == IMAP_CMD_THREAD;
}

bool
imap_is_atom_char(unsigned char c)
{
	/* atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
	   quoted-specials / resp-specials */
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

/* Characters of a bare token.  Wider than ATOM-CHAR: flags start with
   "\", list-mailbox holds "%" and "*", astrings hold "]", sequence sets
   "*" and "$"; the typed helpers check the exact grammar. */
static bool
imap_is_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' &&
	       c != '"';
}

/* tag = 1*<any ASTRING-CHAR except "+"> */
static bool
imap_is_tag_char(unsigned char c)
{
	return (imap_is_atom_char(c) || c == ']') && c != '+';
}

void
imap_parser_init(struct imap_parser *p, const struct imap_parse_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = lim != NULL ? *lim : imap_parse_limits_default;
	if (p->lim.nonsync_max == 0)
		p->lim.nonsync_max = UINT64_MAX;
	p->state = ST_LINE;
	p->stack = xcalloc(p->lim.depth_max + 1, sizeof(*p->stack));
	p->last = xcalloc(p->lim.depth_max + 2, sizeof(*p->last));
}

void
imap_cmd_free(struct imap_cmd **cmdp)
{
	struct arena *a;

	if (*cmdp == NULL)
		return;
	a = (*cmdp)->arena;
	arena_free(&a);
	*cmdp = NULL;
}

void
imap_parser_deinit(struct imap_parser *p)
{
	imap_cmd_free(&p->cmd);
	free(p->line);
	free(p->lit);
	free(p->stack);
	free(p->last);
	memset(p, 0, sizeof(*p));
}

/* ------------------------------------------------------------------ */
/* Errors and skipping                                                */

/* If s[0..n) ends in a non-synchronizing literal announcement
   ("{12+}" or "~{12+}"), return 1 with its size. */
static int
imap_tail_nonsync(const char *s, size_t n, uint64_t *size_r)
{
	size_t i, digits = 0;
	uint64_t v = 0;

	if (n < 4 || s[n - 1] != '}' || s[n - 2] != '+')
		return 0;
	for (i = n - 2; i > 0 && s[i - 1] >= '0' && s[i - 1] <= '9'; i--)
		digits++;
	if (digits == 0 || i == 0 || s[i - 1] != '{')
		return 0;
	for (; s[i] != '+'; i++)
		v = v > UINT64_MAX / 10 - 1 ? UINT64_MAX : v * 10 + (uint64_t)(s[i] - '0');
	*size_r = v;
	return 1;
}

static void
imap_reset_cmd(struct imap_parser *p)
{
	imap_cmd_free(&p->cmd);
	p->cmd_bytes = 0;
	p->depth = 0;
	p->need_sep = p->after_sep = false;
}

/* Report an error on the current command.  skip tells what of it is
   still to come: the rest of the line (ST_SKIP_LINE), the bytes of a
   non-synchronizing literal and the line after (ST_SKIP_LIT, lit_left
   set), or nothing (ST_LINE). */
static int
imap_fail(struct imap_parser *p, int skip, const char *status,
	  const char *code, const char *text)
{
	p->error_tag = p->tagbuf[0] != '\0' ? p->tagbuf : NULL;
	p->error_status = status;
	p->error_code = code;
	p->error_text = text;
	imap_reset_cmd(p);
	p->state = skip;
	p->tail_len = 0;
	return IMAP_PARSE_ERROR;
}

/* The error of a complete segment: skip what its end announces. */
static int
imap_fail_segment(struct imap_parser *p, const char *code, const char *text)
{
	uint64_t n;

	if (imap_tail_nonsync(p->line, p->line_len, &n)) {
		p->lit_left = n;
		return imap_fail(p, ST_SKIP_LIT, "BAD", code, text);
	}
	return imap_fail(p, ST_LINE, "BAD", code, text);
}

/* Remember the last bytes of a skipped line, to see whether it ends in a
   non-synchronizing literal announcement. */
static void
imap_tail_add(struct imap_parser *p, const uint8_t *s, size_t n)
{
	size_t keep = sizeof(p->tail);

	if (n >= keep) {
		memcpy(p->tail, s + n - keep, keep);
		p->tail_len = keep;
		return;
	}
	if (p->tail_len + n > keep) {
		size_t drop = p->tail_len + n - keep;

		memmove(p->tail, p->tail + drop, p->tail_len - drop);
		p->tail_len -= drop;
	}
	memcpy(p->tail + p->tail_len, s, n);
	p->tail_len += n;
}

/* Skip input of a bad command.  Returns true when the skip is over. */
static bool
imap_skip(struct imap_parser *p, struct buf *in)
{
	while (buf_len(in) > 0) {
		const uint8_t *s = buf_rptr(in);
		size_t n = buf_len(in);
		const uint8_t *lf;
		uint64_t lit;

		if (p->state == ST_SKIP_LIT) {
			size_t k = p->lit_left < n ? (size_t)p->lit_left : n;

			buf_consume(in, k);
			p->lit_left -= k;
			if (p->lit_left == 0) {
				p->state = ST_SKIP_LINE;
				p->tail_len = 0;
			}
			continue;
		}
		lf = memchr(s, '\n', n);
		if (lf == NULL) {
			imap_tail_add(p, s, n);
			buf_consume(in, n);
			return false;
		}
		imap_tail_add(p, s, (size_t)(lf - s));
		buf_consume(in, (size_t)(lf - s) + 1);
		if (p->tail_len > 0 && p->tail[p->tail_len - 1] == '\r')
			p->tail_len--;
		if (!p->skip_raw &&
		    imap_tail_nonsync(p->tail, p->tail_len, &lit)) {
			p->state = ST_SKIP_LIT;
			p->lit_left = lit;
			continue;
		}
		p->state = ST_LINE;
		p->tail_len = 0;
		p->skip_raw = false;
		return true;
	}
	return p->state == ST_LINE;
}

/* ------------------------------------------------------------------ */
/* Lines                                                              */

/* Read bytes of the current line into p->line, at most limit octets
   counted in p->cmd_bytes (LF and CR included).  Returns 1 when the
   line is complete (p->line without CR LF, NUL-terminated), 0 when in is
   used up, -1 when the limit was passed (the line stays incomplete). */
static int
imap_read_line(struct imap_parser *p, struct buf *in, size_t limit)
{
	const uint8_t *s = buf_rptr(in), *lf;
	size_t n = buf_len(in), take, room;

	if (n == 0)
		return 0;
	lf = memchr(s, '\n', n);
	take = lf != NULL ? (size_t)(lf - s) + 1 : n;
	room = p->cmd_bytes < limit ? limit - p->cmd_bytes : 0;
	if (take > room)
		take = room;
	if (p->line_len + take + 1 > p->line_cap) {
		size_t cap = p->line_cap < 256 ? 256 : p->line_cap;

		while (cap < p->line_len + take + 1)
			cap *= 2;
		p->line = xrealloc(p->line, cap);
		p->line_cap = cap;
	}
	memcpy(p->line + p->line_len, s, take);
	p->line_len += take;
	p->cmd_bytes += take;
	buf_consume(in, take);
	if (take < n && (lf == NULL || take <= (size_t)(lf - s)))
		return -1; /* the limit cut the line: the rest is skipped */
	if (lf == NULL)
		return 0;
	p->line_len--; /* LF */
	if (p->line_len > 0 && p->line[p->line_len - 1] == '\r')
		p->line_len--;
	p->line[p->line_len] = '\0';
	return 1;
}

/* The tag of a line that was too long to parse, if its start holds one. */
static void
imap_tag_from_partial(struct imap_parser *p)
{
	size_t i;

	for (i = 0; i < p->line_len && i + 1 < sizeof(p->tagbuf); i++) {
		unsigned char c = (unsigned char)p->line[i];

		if (c == ' ')
			break;
		if (!imap_is_tag_char(c))
			return;
	}
	if (i == 0 || i == p->line_len || p->line[i] != ' ')
		return;
	memcpy(p->tagbuf, p->line, i);
	p->tagbuf[i] = '\0';
}

int
imap_parse_line(struct imap_parser *p, struct buf *in, const char **line_r,
		size_t *len_r)
{
	int rc;

	ASSERT(p->cmd == NULL && p->state != ST_LITERAL);
	if (p->state != ST_LINE && !imap_skip(p, in))
		return 0;
	rc = imap_read_line(p, in, p->lim.line_max);
	if (rc == 0)
		return 0;
	p->cmd_bytes = 0;
	if (rc < 0) {
		p->line_len = 0;
		p->state = ST_SKIP_LINE;
		p->tail_len = 0;
		p->skip_raw = true;
		p->error_tag = NULL;
		p->error_status = "BAD";
		p->error_code = "TOOBIG";
		p->error_text = "Line too long";
		return -1;
	}
	*line_r = p->line;
	*len_r = p->line_len;
	p->line_len = 0;
	if (memchr(*line_r, '\0', *len_r) != NULL) {
		p->error_tag = NULL;
		p->error_status = "BAD";
		p->error_code = NULL;
		p->error_text = "NUL in line";
		return -1;
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Tree building                                                      */

static struct imap_arg *
imap_add_arg(struct imap_parser *p, enum imap_arg_type type)
{
	struct imap_arg *arg = arena_alloc(p->cmd->arena, sizeof(*arg));

	arg->type = type;
	arg->partial = "";
	if (p->depth == 0) {
		if (p->last[0] == NULL)
			p->cmd->args = arg;
		else
			p->last[0]->next = arg;
		p->cmd->nargs++;
	} else {
		struct imap_arg *parent = p->stack[p->depth - 1];

		if (p->last[p->depth] == NULL)
			parent->child = arg;
		else
			p->last[p->depth]->next = arg;
		parent->count++;
	}
	p->last[p->depth] = arg;
	return arg;
}

static void
imap_push(struct imap_parser *p, struct imap_arg *arg)
{
	p->stack[p->depth++] = arg;
	p->last[p->depth] = NULL;
}

/* RFC 3501 6.4.5 / RFC 3516 / RFC 9051 6.4.5: section-bearing FETCH
   attributes.  Only these open a section at "["; elsewhere "[" is an
   ordinary ATOM-CHAR ("[Gmail]/Sent" is a valid atom). */
static bool
imap_is_section_name(const char *s, size_t n)
{
	static const char *const names[] = {"BODY", "BODY.PEEK", "BINARY",
					    "BINARY.PEEK", "BINARY.SIZE"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0)
			return true;
	return false;
}

static bool
imap_in_section(const struct imap_parser *p)
{
	return p->depth > 0 && p->stack[p->depth - 1]->type == IMAP_ARG_SECTION;
}

/* Parse a quoted string at s[*ip] == '"'.  Returns 0 or an error text. */
static const char *
imap_quoted(struct imap_parser *p, size_t *ip)
{
	const unsigned char *s = (const unsigned char *)p->line;
	size_t i = *ip + 1, n = p->line_len, o = 0, l;
	char *out = arena_alloc(p->cmd->arena, n - i + 1);
	struct imap_arg *arg;

	for (;;) {
		if (i >= n)
			return "Unterminated quoted string";
		if (s[i] == '"')
			break;
		if (s[i] == '\\') {
			/* quoted-specials only */
			if (i + 1 >= n || (s[i + 1] != '"' && s[i + 1] != '\\'))
				return "Invalid escape in quoted string";
			out[o++] = (char)s[i + 1];
			i += 2;
			continue;
		}
		if (s[i] == '\0' || s[i] == '\r')
			return "Invalid character in quoted string";
		/* RFC 9051 9 QUOTED-CHAR admits UTF8-2/3/4. */
		l = utf8_char_len(s + i, n - i);
		if (l == 0)
			return "Invalid UTF-8 in quoted string";
		memcpy(out + o, s + i, l);
		o += l;
		i += l;
	}
	arg = imap_add_arg(p, IMAP_ARG_QUOTED);
	arg->str = out;
	arg->len = o;
	*ip = i + 1;
	return NULL;
}

/* A bare token at s[*ip]; may open a FETCH section.  Returns NULL or an
   error text. */
static const char *
imap_atom(struct imap_parser *p, size_t *ip)
{
	const char *s = p->line;
	size_t i = *ip, start = i, n = p->line_len;
	bool fetch = p->cmd->name == IMAP_CMD_FETCH, sect = imap_in_section(p);
	struct imap_arg *arg;

	while (i < n && imap_is_token_char((unsigned char)s[i])) {
		if (fetch && !sect && s[i] == '[' &&
		    imap_is_section_name(s + start, i - start))
			break;
		if (sect && s[i] == ']')
			break;
		i++;
	}
	if (i < n && s[i] == '[' && fetch && !sect && i > start) {
		if (p->depth >= p->lim.depth_max)
			return "Too deeply nested";
		arg = imap_add_arg(p, IMAP_ARG_SECTION);
		arg->str = arena_strndup(p->cmd->arena, s + start, i - start);
		arg->len = i - start;
		imap_push(p, arg);
		*ip = i + 1;
		p->need_sep = false;
		return NULL;
	}
	if (i == start)
		return "Invalid character in atom";
	if (i - start == 3 && strncasecmp(s + start, "NIL", 3) == 0)
		arg = imap_add_arg(p, IMAP_ARG_NIL);
	else
		arg = imap_add_arg(p, IMAP_ARG_ATOM);
	arg->str = arena_strndup(p->cmd->arena, s + start, i - start);
	arg->len = i - start;
	*ip = i;
	p->need_sep = true;
	return NULL;
}

/* The text after a section's "]": "<0.100>" or nothing. */
static void
imap_section_close(struct imap_parser *p, size_t *ip)
{
	const char *s = p->line;
	size_t i = *ip + 1, start = i;
	struct imap_arg *sec = p->stack[--p->depth];

	while (i < p->line_len && imap_is_token_char((unsigned char)s[i]) &&
	       s[i] != '[' && s[i] != ']')
		i++;
	sec->partial = arena_strndup(p->cmd->arena, s + start, i - start);
	*ip = i;
	p->need_sep = true;
}

/* A literal announcement at s[*ip] ("{", or "~" before "{"): it must
   end the line.  Returns NULL with *size_r, or an error text. */
static const char *
imap_literal_head(struct imap_parser *p, size_t i, uint64_t *size_r)
{
	const char *s = p->line;
	size_t n = p->line_len, digits = 0;
	uint64_t v = 0;

	p->lit_binary = s[i] == '~';
	if (p->lit_binary)
		i++;
	if (i >= n || s[i] != '{')
		return "Invalid character in atom";
	/* number64 (RFC 9051 9): at most 2^63-1. */
	for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (v > (UINT64_MAX / 2 - 9) / 10)
			return "Literal size too large";
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (digits == 0)
		return "Invalid literal size";
	p->lit_nonsync = i < n && s[i] == '+';
	if (p->lit_nonsync)
		i++;
	if (i >= n || s[i] != '}')
		return "Invalid literal size";
	if (i + 1 != n)
		return "Literal announcement not at end of line";
	*size_r = v;
	return NULL;
}

/* First segment: tag, name, optional UID.  Returns the position after
   the name, or (size_t)-1 after an error (already reported via *err). */
static size_t
imap_parse_head(struct imap_parser *p, const char **err)
{
	const char *s = p->line;
	size_t n = p->line_len, i = 0, start;
	enum imap_cmd_name name;
	struct arena *a;

	while (i < n && imap_is_tag_char((unsigned char)s[i]))
		i++;
	if (i == 0 || i >= n || s[i] != ' ' || i >= sizeof(p->tagbuf)) {
		*err = "Invalid tag";
		return (size_t)-1;
	}
	memcpy(p->tagbuf, s, i);
	p->tagbuf[i] = '\0';
	a = arena_new("imap_cmd", 1024);
	p->cmd = arena_alloc(a, sizeof(*p->cmd));
	p->cmd->arena = a;
	memset(p->last, 0, (p->lim.depth_max + 2) * sizeof(*p->last));
	p->cmd->tag = arena_strndup(p->cmd->arena, s, i);
	i++;
	start = i;
	while (i < n && imap_is_atom_char((unsigned char)s[i]))
		i++;
	name = imap_cmd_lookup(s + start, i - start);
	if (i - start == 3 && strncasecmp(s + start, "UID", 3) == 0 &&
	    i < n && s[i] == ' ') {
		p->cmd->uid = true;
		start = ++i;
		while (i < n && imap_is_atom_char((unsigned char)s[i]))
			i++;
		name = imap_cmd_lookup(s + start, i - start);
		if (name != IMAP_CMD_UNKNOWN && !imap_cmd_takes_uid(name)) {
			*err = "Command cannot take UID";
			return (size_t)-1;
		}
	}
	if (name == IMAP_CMD_UNKNOWN || (i < n && s[i] != ' ')) {
		*err = i == start ? "Missing command" : "Unknown command";
		return (size_t)-1;
	}
	p->cmd->name = name;
	p->cmd->name_str = arena_strndup(p->cmd->arena, s + start, i - start);
	p->need_sep = true;
	return i;
}

/* Parse the tokens of a complete segment from position i.  Returns
   NULL when the segment ended (at its end or at a literal
   announcement, *lit set then), or an error text. */
static const char *
imap_parse_tokens(struct imap_parser *p, size_t i, bool *lit,
		  uint64_t *lit_size)
{
	const char *s = p->line, *err;
	size_t n = p->line_len;

	*lit = false;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == ')' || (c == ']' && imap_in_section(p))) {
			enum imap_arg_type want =
			    c == ')' ? IMAP_ARG_LIST : IMAP_ARG_SECTION;

			if (p->depth == 0 || p->stack[p->depth - 1]->type != want)
				return c == ')' ? "Unexpected ')'"
						: "Unexpected ']'";
			if (p->after_sep)
				return "Unexpected space";
			if (c == ']') {
				imap_section_close(p, &i);
			} else {
				p->depth--;
				i++;
				p->need_sep = true;
			}
			continue;
		}
		if (p->need_sep) {
			if (c != ' ')
				return "Missing space";
			p->need_sep = false;
			p->after_sep = true;
			i++;
			continue;
		}
		if (c == ' ')
			return "Unexpected space";
		p->after_sep = false;
		if (c == '(') {
			struct imap_arg *arg;

			if (p->depth >= p->lim.depth_max)
				return "Too deeply nested";
			arg = imap_add_arg(p, IMAP_ARG_LIST);
			imap_push(p, arg);
			i++;
		} else if (c == '"') {
			if ((err = imap_quoted(p, &i)) != NULL)
				return err;
			p->need_sep = true;
		} else if (c == '{' || (c == '~' && i + 1 < n && s[i + 1] == '{')) {
			if ((err = imap_literal_head(p, i, lit_size)) != NULL)
				return err;
			*lit = true;
			return NULL;
		} else if ((err = imap_atom(p, &i)) != NULL) {
			return err;
		}
	}
	if (p->after_sep)
		return "Unexpected space at end of line";
	return NULL;
}

/* Check an announced literal against the limits and start reading it.
   Returns IMAP_PARSE_CONT, IMAP_PARSE_MORE (non-synchronizing), or an
   error. */
static int
imap_literal_start(struct imap_parser *p, uint64_t size)
{
	bool append = p->cmd->name == IMAP_CMD_APPEND;
	bool fits;

	if (append)
		fits = size <= p->lim.literal_max &&
		       size <= p->lim.append_total_max - p->cmd->literal_bytes;
	else
		fits = size <= p->lim.line_max - p->cmd_bytes;
	if (p->lit_nonsync && size > p->lim.nonsync_max)
		fits = false;
	if (!fits) {
		if (!p->lit_nonsync)
			return imap_fail(p, ST_LINE, "NO", "TOOBIG",
					 "Literal too large");
		p->lit_left = size;
		return imap_fail(p, ST_SKIP_LIT, "BAD", "TOOBIG",
				 "Literal too large");
	}
	if (append)
		p->cmd->literal_bytes += size;
	else
		p->cmd_bytes += size;
	p->lit_len = p->lit_left = size;
	p->lit_cap = 0;
	free(p->lit);
	p->lit = NULL;
	p->state = ST_LITERAL;
	return p->lit_nonsync ? IMAP_PARSE_MORE : IMAP_PARSE_CONT;
}

/* A complete segment is in p->line: parse it.  Returns IMAP_PARSE_CMD,
   _CONT, _MORE (literal follows, or empty line ignored) or _ERROR. */
static int
imap_segment(struct imap_parser *p, struct imap_cmd **cmd_r)
{
	const char *err = NULL;
	size_t i = 0;
	uint64_t size = 0;
	bool lit = false;

	if (p->cmd == NULL) {
		if (p->line_len == 0) {
			/* An empty line is no command: ignore it. */
			p->cmd_bytes = 0;
			return IMAP_PARSE_MORE;
		}
		p->tagbuf[0] = '\0';
		i = imap_parse_head(p, &err);
	}
	if (err != NULL)
		;
	else if (memchr(p->line, '\0', p->line_len) != NULL)
		err = "NUL in command";
	else
		err = imap_parse_tokens(p, i, &lit, &size);
	if (err == NULL && !lit && p->depth > 0)
		err = imap_in_section(p) ? "Missing ']'" : "Missing ')'";
	if (err != NULL) {
		int rc = imap_fail_segment(p, NULL, err);

		p->line_len = 0;
		return rc;
	}
	p->line_len = 0;
	if (lit)
		return imap_literal_start(p, size);
	*cmd_r = p->cmd;
	p->cmd = NULL;
	p->cmd_bytes = 0;
	p->depth = 0;
	p->need_sep = p->after_sep = false;
	return IMAP_PARSE_CMD;
}

/* Read literal bytes.  Returns 1 when the literal is complete (and
   added to the tree), 0 for more input, -1 on error (NUL). */
static int
imap_literal_read(struct imap_parser *p, struct buf *in)
{
	size_t n = buf_len(in), k;
	struct imap_arg *arg;

	k = p->lit_left < n ? (size_t)p->lit_left : n;
	if (k > 0) {
		size_t have = (size_t)(p->lit_len - p->lit_left);

		/* Grow with what arrives, not with what was announced. */
		if (have + k + 1 > p->lit_cap) {
			size_t cap = p->lit_cap < 256 ? 256 : p->lit_cap;

			while (cap < have + k + 1)
				cap *= 2;
			if (cap > p->lit_len + 1)
				cap = (size_t)p->lit_len + 1;
			p->lit = xrealloc(p->lit, cap);
			p->lit_cap = cap;
		}
		memcpy(p->lit + have, buf_rptr(in), k);
		buf_consume(in, k);
		p->lit_left -= k;
	}
	if (p->lit_left > 0)
		return 0;
	if (p->lit == NULL)
		p->lit = xzalloc(1);
	p->lit[p->lit_len] = '\0';
	/* RFC 9051 9: literal = ... *CHAR8 (%x01-ff); only literal8 may
	   hold NUL (RFC 3516 4.2). */
	if (!p->lit_binary && memchr(p->lit, '\0', (size_t)p->lit_len) != NULL)
		return -1;
	arg = imap_add_arg(p, IMAP_ARG_LITERAL);
	arg->str = (const char *)p->lit;
	arg->len = (size_t)p->lit_len;
	arg->binary = p->lit_binary;
	arg->nonsync = p->lit_nonsync;
	arena_on_free(p->cmd->arena, free, p->lit);
	p->lit = NULL;
	p->lit_cap = 0;
	p->need_sep = true;
	p->state = ST_LINE;
	return 1;
}

int
imap_parse_command(struct imap_parser *p, struct buf *in,
		   struct imap_cmd **cmd_r)
{
	int rc;

	for (;;) {
		switch (p->state) {
		case ST_SKIP_LIT:
		case ST_SKIP_LINE:
			if (!imap_skip(p, in))
				return IMAP_PARSE_MORE;
			break;
		case ST_LITERAL:
			rc = imap_literal_read(p, in);
			if (rc == 0)
				return IMAP_PARSE_MORE;
			if (rc < 0)
				return imap_fail(p, ST_SKIP_LINE, "BAD", NULL,
						 "NUL in literal");
			break;
		default:
			rc = imap_read_line(p, in, p->lim.line_max);
			if (rc == 0)
				return IMAP_PARSE_MORE;
			if (rc < 0) {
				if (p->cmd == NULL) {
					p->tagbuf[0] = '\0';
					imap_tag_from_partial(p);
				}
				rc = imap_fail(p, ST_SKIP_LINE, "BAD", "TOOBIG",
					       "Command line too long");
				/* The skip goes on from the line's end. */
				imap_tail_add(p, (uint8_t *)p->line,
					      p->line_len);
				p->line_len = 0;
				return rc;
			}
			rc = imap_segment(p, cmd_r);
			if (rc != IMAP_PARSE_MORE)
				return rc;
			break;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Accessors                                                          */

const struct imap_arg *
imap_arg_nth(const struct imap_arg *arg, size_t n)
{
	while (arg != NULL && n-- > 0)
		arg = arg->next;
	return arg;
}

bool
imap_arg_atom_is(const struct imap_arg *arg, const char *s)
{
	return arg != NULL && arg->type == IMAP_ARG_ATOM &&
	       strcasecmp(arg->str, s) == 0;
}

const char *
imap_arg_astring(const struct imap_arg *arg, size_t *len_r)
{
	size_t i;

	if (arg == NULL)
		return NULL;
	switch (arg->type) {
	case IMAP_ARG_ATOM:
	case IMAP_ARG_NIL:
		/* astring = 1*ASTRING-CHAR: ATOM-CHAR or "]" */
		for (i = 0; i < arg->len; i++)
			if (!imap_is_atom_char((unsigned char)arg->str[i]) &&
			    arg->str[i] != ']')
				return NULL;
		break;
	case IMAP_ARG_LITERAL:
		if (arg->binary)
			return NULL;
		break;
	case IMAP_ARG_QUOTED:
		break;
	default:
		return NULL;
	}
	if (len_r != NULL)
		*len_r = arg->len;
	return arg->str;
}

const char *
imap_arg_nstring(const struct imap_arg *arg, bool *nil_r)
{
	*nil_r = false;
	if (arg == NULL)
		return NULL;
	if (arg->type == IMAP_ARG_NIL) {
		*nil_r = true;
		return "";
	}
	if (arg->type == IMAP_ARG_QUOTED ||
	    (arg->type == IMAP_ARG_LITERAL && !arg->binary))
		return arg->str;
	return NULL;
}

int
imap_parse_number(const char *s, size_t n, uint64_t max, uint64_t *v_r)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*v_r = v;
	return 0;
}

int
imap_arg_number(const struct imap_arg *arg, uint32_t *n_r)
{
	uint64_t v;

	if (arg == NULL || arg->type != IMAP_ARG_ATOM ||
	    imap_parse_number(arg->str, arg->len, UINT32_MAX, &v) < 0)
		return -1;
	*n_r = (uint32_t)v;
	return 0;
}

int
imap_arg_number64(const struct imap_arg *arg, uint64_t *n_r)
{
	if (arg == NULL || arg->type != IMAP_ARG_ATOM)
		return -1;
	return imap_parse_number(arg->str, arg->len, INT64_MAX, n_r);
}

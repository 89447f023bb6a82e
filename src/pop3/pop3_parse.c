/* pop3_parse.c: pure POP3 command-line parser (RFC 1939 3, RFC 2449 4). */
/* SPDX-License-Identifier: MIT */
#include "pop3/pop3_parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "xalloc.h"

static const char *const pop3_verb_names[POP3_VERB__COUNT] = {
    [POP3_VERB_UNKNOWN] = "",  [POP3_VERB_USER] = "USER",
    [POP3_VERB_PASS] = "PASS", [POP3_VERB_APOP] = "APOP",
    [POP3_VERB_AUTH] = "AUTH", [POP3_VERB_CAPA] = "CAPA",
    [POP3_VERB_STLS] = "STLS", [POP3_VERB_QUIT] = "QUIT",
    [POP3_VERB_STAT] = "STAT", [POP3_VERB_LIST] = "LIST",
    [POP3_VERB_RETR] = "RETR", [POP3_VERB_DELE] = "DELE",
    [POP3_VERB_NOOP] = "NOOP", [POP3_VERB_RSET] = "RSET",
    [POP3_VERB_TOP] = "TOP",   [POP3_VERB_UIDL] = "UIDL",
};

/* RFC 1939 3: "Commands in the POP3 consist of a case-insensitive
   keyword". */
static enum pop3_verb
pop3_verb_lookup(const char *s, size_t n)
{
	int v;

	for (v = POP3_VERB_UNKNOWN + 1; v < POP3_VERB__COUNT; v++)
		if (strlen(pop3_verb_names[v]) == n &&
		    strncasecmp(pop3_verb_names[v], s, n) == 0)
			return (enum pop3_verb)v;
	return POP3_VERB_UNKNOWN;
}

void
pop3_parser_init(struct pop3_parser *p, size_t max_line)
{
	ASSERT(max_line >= 3);
	memset(p, 0, sizeof(*p));
	p->max_line = max_line;
}

void
pop3_parser_deinit(struct pop3_parser *p)
{
	free(p->line);
	memset(p, 0, sizeof(*p));
}

/* Make p->line hold at least need bytes, grown by doubling but never
   past ceiling (>= need), so memory stays bounded by the line limit. */
static void
pop3_parser_reserve(struct pop3_parser *p, size_t need, size_t ceiling)
{
	size_t cap;

	if (need <= p->cap)
		return;
	cap = p->cap < 64 ? 64 : p->cap;
	while (cap < need)
		cap *= 2;
	if (cap > ceiling)
		cap = ceiling;
	p->line = xrealloc(p->line, cap);
	p->cap = cap;
}

/* Take the bytes of the current line from in, up to and including its
   LF.  The raw bytes (a CR included) are kept in p->line, at most
   limit - 1 of them: a line with more cannot fit limit octets with its
   line end, so p->overflow is set and the line is dropped as it arrives.
   Returns 1 when the LF was taken, 0 when in is used up before it. */
static int
pop3_parser_read(struct pop3_parser *p, struct buf *in, size_t limit)
{
	const uint8_t *s = buf_rptr(in);
	size_t n = buf_len(in), take;
	const uint8_t *lf;

	if (n == 0)
		return 0;
	lf = memchr(s, '\n', n);
	take = lf != NULL ? (size_t)(lf - s) : n;
	if (!p->overflow && p->len + take > limit - 1) {
		p->overflow = true;
		p->len = 0;
	}
	if (!p->overflow) {
		pop3_parser_reserve(p, p->len + take + 1, limit);
		memcpy(p->line + p->len, s, take);
		p->len += take;
	}
	buf_consume(in, lf != NULL ? take + 1 : take);
	return lf != NULL;
}

/* Judge the line that just ended against limit (line end included) and
   reset the line state.  On success p->line holds the line without its
   line end, NUL-terminated, and *len its length; the bytes stay there
   until the next call. */
static int
pop3_parser_finish(struct pop3_parser *p, size_t limit, size_t *len)
{
	const char *text = NULL;
	size_t n = p->len, i;
	bool overflow = p->overflow;

	p->len = 0;
	p->overflow = false;
	/* A CR right before the LF is part of the line end; a bare LF is
	   accepted as well (lenient, as most servers are). */
	if (n > 0 && p->line[n - 1] == '\r')
		n--;
	/* RFC 2449 4: 255 octets including the CRLF.  A line ended by a
	   bare LF is measured as if it had its CRLF. */
	if (overflow || n > limit - 2) {
		text = "Line too long";
	} else {
		/* RFC 1939 3: keywords and arguments are printable ASCII;
		   octets >= 0x80 are let through for UTF-8 passwords
		   (RFC 6856). */
		for (i = 0; i < n && text == NULL; i++) {
			unsigned char c = (unsigned char)p->line[i];

			if (c == '\r')
				text = "Bare CR in line";
			else if (c == '\0')
				text = "NUL in line";
			else if (c < 0x20 || c == 0x7f)
				text = "Control character in line";
		}
	}
	if (text != NULL) {
		p->error = text;
		return -1;
	}
	pop3_parser_reserve(p, n + 1, limit);
	p->line[n] = '\0';
	*len = n;
	return 0;
}

/* Split the rest of a command (a copy, changed in place) at single
   spaces into cmd->argv (RFC 1939 3). */
static void
pop3_split_args(char *s, struct pop3_cmd *cmd)
{
	for (;;) {
		char *sp = strchr(s, ' ');

		if (sp != NULL)
			*sp = '\0';
		if (*s == '\0')
			cmd->bad_spacing = true;
		else if (cmd->nargs < POP3_ARGS_MAX)
			cmd->argv[cmd->nargs++] = s;
		else
			cmd->too_many_args = true;
		if (sp == NULL)
			break;
		s = sp + 1;
	}
}

int
pop3_parse_command(struct pop3_parser *p, struct buf *in, struct pop3_cmd *cmd)
{
	size_t len, klen, rlen;
	char *line, *sp, *copy;

	if (pop3_parser_read(p, in, p->max_line) == 0)
		return 0;
	if (pop3_parser_finish(p, p->max_line, &len) < 0)
		return -1;
	memset(cmd, 0, sizeof(*cmd));
	/* The split copy of the rest goes after the line (at most len + 1
	   more bytes); p->line may move, so take the pointer after. */
	pop3_parser_reserve(p, 2 * len + 2, 2 * p->max_line);
	line = p->line;
	sp = memchr(line, ' ', len);
	klen = sp != NULL ? (size_t)(sp - line) : len;
	cmd->verb = pop3_verb_lookup(line, klen);
	cmd->keyword = line;
	cmd->rest = line + len; /* "" */
	if (sp != NULL) {
		*sp = '\0';
		cmd->rest = sp + 1;
		rlen = len - klen - 1;
		copy = line + len + 1;
		memcpy(copy, cmd->rest, rlen + 1);
		pop3_split_args(copy, cmd);
	}
	return 1;
}

int
pop3_parse_line(struct pop3_parser *p, struct buf *in, size_t max_line,
		const char **line, size_t *len)
{
	ASSERT(max_line >= 3);
	if (pop3_parser_read(p, in, max_line) == 0)
		return 0;
	if (pop3_parser_finish(p, max_line, len) < 0)
		return -1;
	*line = p->line;
	return 1;
}

int
pop3_parse_number(const char *s, uint32_t *n)
{
	uint64_t v = 0;
	size_t i;

	/* RFC 1939 3/5: numbers are plain decimal digits; no sign, no
	   spaces, no hex. */
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i == 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || v > UINT32_MAX)
		return -1;
	*n = (uint32_t)v;
	return 0;
}

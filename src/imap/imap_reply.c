/* imap_reply.c: IMAP server output: untagged, continuation and tagged
   replies, the end of a command (imap_cmd_done), strings and mailbox
   names on the wire. */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "conn.h"
#include "imap/imap_utf7.h"
#include "limits.h"
#include "log.h"
#include "xalloc.h"

static bool
imap_reply_open(const struct imap_session *s)
{
	return s->c != NULL && !s->c->closing;
}

void
imap_write(struct imap_session *s, const void *data, size_t n)
{
	if (imap_reply_open(s))
		conn_write(s->c, data, n);
}

void
imap_untagged(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	char *text;

	if (!imap_reply_open(s))
		return;
	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text == NULL)
		return;
	conn_printf(s->c, "* %s\r\n", text);
	free(text);
}

void
imap_continue(struct imap_session *s, const char *text)
{
	if (imap_reply_open(s))
		conn_printf(s->c, "+ %s\r\n", text);
}

/* "tag status [code] text" + CRLF, heap-allocated. */
static char *
imap_reply_line(const char *tag, const char *status, const char *code,
		const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static char *
imap_reply_line(const char *tag, const char *status, const char *code,
		const char *fmt, va_list ap)
{
	char *text, *line;

	if (vasprintf(&text, fmt, ap) < 0)
		text = xstrdup("");
	line = xasprintf("%s %s %s%s%s%s\r\n", tag, status,
			 code != NULL ? "[" : "", code != NULL ? code : "",
			 code != NULL ? "] " : "", text);
	free(text);
	return line;
}

void
imap_tagged(struct imap_session *s, const char *tag, const char *status,
	    const char *code, const char *fmt, ...)
{
	va_list ap;
	char *line;

	if (!imap_reply_open(s))
		return;
	va_start(ap, fmt);
	line = imap_reply_line(tag, status, code, fmt, ap);
	va_end(ap);
	conn_write(s->c, line, strlen(line));
	free(line);
}

/* RFC 9051 7.5.1: no EXPUNGE (or VANISHED) while the client may still
   use message numbers from before: not after FETCH, STORE or SEARCH
   (nor SORT/THREAD) by sequence number. */
static bool
imap_reply_may_expunge(const struct imap_cmd *cmd)
{
	if (cmd == NULL)
		return true;
	switch (cmd->name) {
	case IMAP_CMD_FETCH:
	case IMAP_CMD_STORE:
	case IMAP_CMD_SEARCH:
	case IMAP_CMD_SORT:
	case IMAP_CMD_THREAD:
		return cmd->uid;
	default:
		return true;
	}
}

/* Second half of imap_cmd_done(), also the continuation of a view sync
   that had to read from the store first. */
static void
imap_reply_finish(struct imap_session *s)
{
	if (s->view != NULL && imap_reply_open(s) &&
	    imap_view_sync(s, s->done_allow_expunge, imap_reply_finish) == 1) {
		imap_session_busy(s);
		return;
	}
	if (s->done_line != NULL)
		imap_write(s, s->done_line, strlen(s->done_line));
	free(s->done_line);
	s->done_line = NULL;
	imap_cmd_free(&s->cmd);
	imap_session_next(s);
}

void
imap_cmd_done(struct imap_session *s, const char *status, const char *code,
	      const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	free(s->done_line);
	s->done_line = imap_reply_line(s->cmd != NULL ? s->cmd->tag : "*",
				       status, code, fmt, ap);
	va_end(ap);
	s->done_allow_expunge = imap_reply_may_expunge(s->cmd);
	if (strcmp(status, "OK") != 0)
		log_debug("%016llx imap reply=%s%s%s %s",
			  (unsigned long long)s->id, status,
			  code != NULL ? " " : "", code != NULL ? code : "",
			  s->cmd != NULL ? s->cmd->name_str : "");
	imap_reply_finish(s);
}

void
imap_cmd_bad(struct imap_session *s, const char *code, const char *text)
{
	imap_cmd_done(s, "BAD", code, "%s", text);
	imap_session_error(s);
}

/* ---- strings ---- */

static bool
imap_reply_quotable(const char *str, size_t len)
{
	size_t i;

	if (len > MIME_IMAP_QUOTED_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (str[i] == '\r' || str[i] == '\n' || str[i] == '\0')
			return false;
	return true;
}

void
imap_write_string(struct imap_session *s, const char *str, size_t len,
		  bool astring)
{
	size_t i, run;

	if (astring && len > 0) {
		for (i = 0; i < len && imap_is_atom_char((unsigned char)str[i]);
		     i++)
			;
		/* an atom, but not one that reads as NIL */
		if (i == len && !(len == 3 && strncasecmp(str, "NIL", 3) == 0)) {
			imap_write(s, str, len);
			return;
		}
	}
	if (!imap_reply_quotable(str, len)) {
		char head[32];

		snprintf(head, sizeof(head), "{%zu}\r\n", len);
		imap_write(s, head, strlen(head));
		imap_write(s, str, len);
		return;
	}
	imap_write(s, "\"", 1);
	for (i = 0; i < len; i += run) {
		for (run = 0; i + run < len && str[i + run] != '"' &&
			      str[i + run] != '\\';
		     run++)
			;
		imap_write(s, str + i, run);
		if (i + run < len) {
			imap_write(s, "\\", 1);
			imap_write(s, str + i + run, 1);
			run++;
		}
	}
	imap_write(s, "\"", 1);
}

void
imap_write_mailbox(struct imap_session *s, const char *name)
{
	struct arena *a;
	const char *enc, *error;

	/* RFC 6855 3: with UTF8=ACCEPT names are sent as UTF-8. */
	if (imap_session_utf8(s)) {
		imap_write_string(s, name, strlen(name), true);
		return;
	}
	a = arena_new("imap_utf7", 256);
	enc = imap_utf7_encode(name, strlen(name), a, &error);
	/* (names in the store are valid UTF-8: the fallback never runs) */
	if (enc == NULL)
		enc = name;
	imap_write_string(s, enc, strlen(enc), true);
	arena_free(&a);
}

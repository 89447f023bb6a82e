/* pop3_retr.c: RETR and TOP: stream a message file with RFC 1939 3
   framing, a chunk at a time, without holding the message in memory. */
/* SPDX-License-Identifier: MIT */
#include "pop3/pop3_session.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"
#include "fileread.h"
#include "limits.h"
#include "log.h"

void
pop3_retr_free(struct pop3_session *s)
{
	fileread_free(&s->send.fr);
	buf_reset(&s->send.out);
}

/* Hand the framed bytes to the connection. */
static void
pop3_retr_flush(struct pop3_session *s)
{
	if (buf_len(&s->send.out) > 0)
		conn_write(s->c, buf_rptr(&s->send.out), buf_len(&s->send.out));
	buf_reset(&s->send.out);
}

void
pop3_retr_pump(struct pop3_session *s)
{
	bool nested = s->send.in_pump;

	if (s->mode != POP3_MODE_SEND || s->c == NULL || s->c->closing ||
	    s->send.fr == NULL || fileread_busy(s->send.fr))
		return;
	if (buf_len(&s->c->out) >= POP3_OUT_HIGH)
		return; /* on CONN_DRAINED */
	/* Cached chunks come back inside this call (pop3_retr_on_chunk
	   sees in_pump and leaves the session to our caller); the others
	   arrive later from the pool. */
	s->send.in_pump = true;
	fileread_next(s->send.fr);
	s->send.in_pump = nested;
}

/* The next chunk of the message file: frame it, queue it, ask for more.
   From the pool (not inside pop3_retr_pump) this is a loop callback of
   its own, so it corks, runs pipelined commands and uncorks. */
static void
pop3_retr_on_chunk(void *arg, const uint8_t *data, ssize_t n)
{
	struct pop3_session *s = arg;
	bool async = !s->send.in_pump;
	bool done;

	if (s->c == NULL)
		return;
	if (async)
		conn_cork(s->c);
	if (n < 0) {
		/* Half a message was sent: the client cannot tell the
		   end, so the only honest answer is to close. */
		log_error("%016llx pop3 read message: %s",
			  (unsigned long long)s->id, strerror((int)-n));
		pop3_retr_free(s);
		s->mode = POP3_MODE_CLOSED;
		conn_close(s->c);
		return;
	}
	done = n == 0 ||
	       pop3_stuff_feed(&s->send.stuff, data, (size_t)n, &s->send.out);
	if (done) {
		pop3_stuff_finish(&s->send.stuff, &s->send.out);
		pop3_retr_flush(s);
		pop3_retr_free(s);
		s->mode = POP3_MODE_CMD;
		if (async)
			pop3_session_process(s); /* pipelined commands */
	} else {
		pop3_retr_flush(s);
		pop3_retr_pump(s);
	}
	if (!async || s->c == NULL)
		return;
	pop3_session_uncork(s);
	/* outside a conn callback: reading may have stopped on a full
	   input buffer while the message went out */
	if (s->mode != POP3_MODE_BUSY && s->mode != POP3_MODE_CLOSED)
		conn_resume(s->c);
}

/* Start sending message index i (RETR: whole; TOP: header + lines). */
static void
pop3_retr_start(struct pop3_session *s, size_t i, bool top, uint32_t lines)
{
	const struct store_pop3_msg *m = &s->box.msgs[i];
	int fd;

	/* open() stays on the loop: a directory lookup, and its failure
	   must be known before the +OK (the reads go to the pool). */
	fd = open(m->blob_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_error("%016llx pop3 open %s: %s", (unsigned long long)s->id,
			  m->blob_path, strerror(errno));
		/* Removed by another session (IMAP EXPUNGE) since login. */
		pop3_reply(s, false, errno == ENOENT ? NULL : "SYS/TEMP",
			   "Message %zu is no longer available", i + 1);
		return;
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	s->send.fr = fileread_new(s->srv->pool, fd, POP3_READ_CHUNK,
				  pop3_retr_on_chunk, s);
	if (top)
		pop3_reply(s, true, NULL, "Top of message follows");
	else
		/* RFC 1939 7: the size is exact (CRLF line ends). */
		pop3_reply(s, true, NULL, "%llu octets",
			   (unsigned long long)m->size);
	pop3_stuff_init(&s->send.stuff, top, lines);
	s->mode = POP3_MODE_SEND;
	pop3_retr_pump(s);
}

void
pop3_retr_cmd(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	size_t i;

	if (cmd->nargs != 1 || cmd->too_many_args || cmd->bad_spacing) {
		pop3_reply(s, false, NULL, "Syntax: RETR msg");
		pop3_session_error(s);
		return;
	}
	if (pop3_session_msg(s, cmd->argv[0], &i) != NULL)
		pop3_retr_start(s, i, false, 0);
}

void
pop3_retr_top(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	uint32_t lines;
	size_t i;

	if (cmd->nargs != 2 || cmd->too_many_args || cmd->bad_spacing) {
		pop3_reply(s, false, NULL, "Syntax: TOP msg lines");
		pop3_session_error(s);
		return;
	}
	if (pop3_parse_number(cmd->argv[1], &lines) < 0) {
		pop3_reply(s, false, NULL, "Invalid number of lines");
		pop3_session_error(s);
		return;
	}
	if (pop3_session_msg(s, cmd->argv[0], &i) != NULL)
		pop3_retr_start(s, i, true, lines);
}

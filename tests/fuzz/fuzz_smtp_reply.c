/* fuzz_smtp_reply.c: fuzz the SMTP reply parser, EHLO capabilities and the client engine fed those replies. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_split.h"
#include "limits.h"
#include "smtp/smtp_client.h"
#include "smtp/smtp_parse.h"
#include "smtp/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse the stream in the pieces split gives (0: whole); write a
   transcript. */
static void
run(const uint8_t *data, size_t size, uint32_t split, struct buf *log)
{
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct smtp_caps caps;
	struct buf in;
	size_t pos = 0;
	int rc;

	smtp_reply_parser_init(&p);
	buf_init(&in, 0);
	while (pos < size) {
		size_t n = fuzz_chunk(&split, size - pos);

		buf_append(&in, data + pos, n);
		pos += n;
		while ((rc = smtp_reply_parse(&p, &in, &r)) != 0) {
			if (rc < 0) {
				buf_printf(log, "E %s\n", p.error);
				continue;
			}
			if (r.code < 200 || r.code > 599 ||
			    strlen(r.text) != r.text_len ||
			    strlen(r.lines) != r.lines_len ||
			    r.text_len > r.lines_len || r.nlines == 0 ||
			    r.nlines > SMTP_REPLY_LINES_MAX ||
			    (r.enh[0] != '\0' && r.enh[0] != '0' + r.code / 100))
				abort();
			smtp_reply_caps(&r, &caps);
			buf_printf(log, "R %d %s %zu %zu %llu %u\n", r.code,
				   r.enh, r.nlines, r.text_len,
				   (unsigned long long)caps.size_max,
				   caps.auth);
		}
		if (buf_len(&in) != 0 || p.cap > SMTP_REPLY_LINE_MAX)
			abort();
	}
	buf_deinit(&in);
	smtp_reply_parser_deinit(&p);
}

/* The client engine as the server's replies arrive: react to every event
   the way a relay would (two messages, then QUIT). */
static void
drive_client(const uint8_t *data, size_t size, bool pipelining_hint)
{
	static const struct smtp_client_rcpt rcpts[] = {
	    {"a@example.org", SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY,
	     "rfc822;a@example.org"},
	    {"b@example.org", 0, NULL},
	    {"c@example.org", SMTP_NOTIFY_NEVER, NULL},
	};
	struct smtp_client_cfg cfg = {.helo_name = "relay.example",
				      .auth_user = "u",
				      .auth_pass = "p",
				      .auth_plaintext = pipelining_hint};
	struct smtp_client_msg m = {.from = "s@example.net",
				    .rcpts = rcpts,
				    .nrcpt = 3,
				    .size = 20,
				    .ret = 2,
				    .envid = "id+1"};
	struct smtp_client *c = smtp_client_new(&cfg);
	enum smtp_client_event ev;
	size_t pos = 0, sent = 0, i;
	bool closed = false;

	while (!closed) {
		while (!closed && smtp_client_next(c, &ev) > 0) {
			switch (ev) {
			case SMTP_CLIENT_EV_READY:
				if (sent++ < 2)
					smtp_client_send(c, &m);
				else
					smtp_client_quit(c);
				break;
			case SMTP_CLIENT_EV_START_TLS:
				smtp_client_tls_done(c);
				break;
			case SMTP_CLIENT_EV_DATA:
				if (smtp_client_data(c, ".a\r\n..b\nc", 9) ==
				    0)
					smtp_client_data_end(c);
				break;
			case SMTP_CLIENT_EV_MSG_DONE:
				for (i = 0; i < m.nrcpt; i++)
					if (smtp_client_result(c, i)->code <
						200 ||
					    smtp_client_result(c, i)->code > 599)
						abort();
				break;
			case SMTP_CLIENT_EV_CLOSED:
				closed = true;
				break;
			}
		}
		(void)smtp_client_phase(c);
		buf_reset(smtp_client_out(c));
		if (closed)
			break;
		if (pos >= size) {
			smtp_client_abort(c, "connection lost");
			continue;
		}
		/* Replies arrive in pieces of up to 64 bytes. */
		i = size - pos < 64 ? size - pos : 64;
		smtp_client_feed(c, data + pos, i);
		pos += i;
	}
	smtp_client_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Results must not depend on how the input arrives. */
	fuzz_split_check(data, size, run);
	drive_client(data + 1, size - 1, (data[0] & 0x80) != 0);
	return 0;
}

/* fuzz_smtp_cmd.c: fuzz the SMTP command-line, MAIL and RCPT parsers. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "fuzz_split.h"
#include "limits.h"
#include "smtp/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse the stream in the pieces split gives (0: whole); write a
   transcript.  After an AUTH command the next line is read as a
   continuation line. */
static void
run(const uint8_t *data, size_t size, uint32_t split, struct buf *log)
{
	struct smtp_parser p;
	struct arena *a = arena_new("fuzz", 4096);
	struct buf in;
	size_t pos = 0;
	bool cont = false;

	smtp_parser_init(&p, SMTP_CMD_LINE_MAX, SMTP_AUTH_LINE_MAX);
	buf_init(&in, 0);
	while (pos < size) {
		size_t n = fuzz_chunk(&split, size - pos);
		int rc;

		buf_append(&in, data + pos, n);
		pos += n;
		for (;;) {
			struct smtp_cmd cmd;
			struct smtp_mail_args m;
			struct smtp_rcpt_args r;
			struct smtp_path path;
			struct smtp_parse_error err;
			const char *line;
			size_t len;

			if (cont) {
				rc = smtp_parse_line(&p, &in, &line, &len);
				if (rc > 0 && strlen(line) != len)
					abort();
				if (rc == 0)
					break;
				cont = false;
				buf_printf(log, "L%d %zu\n", rc,
					   rc > 0 ? len : 0);
				continue;
			}
			rc = smtp_parse_command(&p, &in, &cmd);
			if (rc == 0)
				break;
			if (rc < 0) {
				buf_printf(log, "E %s\n", p.error_text);
				continue;
			}
			if (cmd.verb == SMTP_VERB_UNKNOWN)
				continue;
			if (strlen(cmd.args) != cmd.args_len ||
			    cmd.args_len > cmd.line_len)
				abort();
			rc = 0;
			if (cmd.verb == SMTP_VERB_MAIL)
				rc = smtp_parse_mail(cmd.args, a, &m, &err);
			else if (cmd.verb == SMTP_VERB_RCPT)
				rc = smtp_parse_rcpt(cmd.args, a, &r, &err);
			else if (cmd.verb == SMTP_VERB_VRFY ||
				 cmd.verb == SMTP_VERB_EXPN)
				rc = smtp_parse_mailbox(cmd.args, a, &path,
							&err);
			else if (cmd.verb == SMTP_VERB_AUTH)
				cont = true;
			buf_printf(log, "C%d %d %zu\n", (int)cmd.verb, rc,
				   cmd.line_len);
		}
		if (buf_len(&in) != 0 || p.cap > SMTP_AUTH_LINE_MAX)
			abort();
	}
	buf_deinit(&in);
	smtp_parser_deinit(&p);
	arena_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Results must not depend on how the input arrives. */
	fuzz_split_check(data, size, run);
	return 0;
}

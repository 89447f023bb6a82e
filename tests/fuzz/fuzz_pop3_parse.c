/* fuzz_pop3_parse.c: fuzz the POP3 command-line parser. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_split.h"
#include "limits.h"
#include "pop3/pop3_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Limit for SASL continuation lines here (the parser takes it per
   call); longer than a command line, as RFC 5034 4 needs. */
#define FUZZ_AUTH_LINE 1024

/* s must be a NUL-terminated string inside the parser's line buffer,
   no longer than a line may be. */
static void
check_str(const struct pop3_parser *p, const char *s, size_t max)
{
	size_t n;

	if (s < p->line || s >= p->line + p->cap)
		abort();
	n = strnlen(s, (size_t)(p->line + p->cap - s));
	if (s + n >= p->line + p->cap || n > max)
		abort();
}

/* A number that parses must print back the same, leading zeros aside. */
static void
check_number(const char *s)
{
	char back[16];
	uint32_t n;

	if (pop3_parse_number(s, &n) < 0)
		return;
	while (s[0] == '0' && s[1] != '\0')
		s++;
	snprintf(back, sizeof(back), "%u", (unsigned)n);
	if (strcmp(back, s) != 0)
		abort();
}

/* Check a parsed command against its own rest and log it. */
static void
check_cmd(const struct pop3_parser *p, const struct pop3_cmd *cmd,
	  struct buf *log)
{
	size_t max = p->max_line - 2, fields = 0, empty = 0;
	const char *s;
	unsigned i;

	if (cmd->nargs > POP3_ARGS_MAX)
		abort();
	check_str(p, cmd->keyword, max);
	check_str(p, cmd->rest, max);
	if (strchr(cmd->keyword, ' ') != NULL ||
	    (cmd->verb != POP3_VERB_UNKNOWN && strlen(cmd->keyword) != 3 &&
	     strlen(cmd->keyword) != 4))
		abort();
	for (s = cmd->rest; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
	/* Count the fields of rest, to check nargs and the flags.  An
	   empty rest may come with or without a space after the keyword
	   ("QUIT " sets bad_spacing, "QUIT" does not). */
	if (*cmd->rest != '\0') {
		for (s = cmd->rest;; s++) {
			const char *sp = strchr(s, ' ');

			if (sp == s || *s == '\0')
				empty++;
			else
				fields++;
			if (sp == NULL)
				break;
			s = sp;
		}
	}
	for (i = 0; i < cmd->nargs; i++) {
		check_str(p, cmd->argv[i], max);
		if (cmd->argv[i][0] == '\0' ||
		    strchr(cmd->argv[i], ' ') != NULL ||
		    strstr(cmd->rest, cmd->argv[i]) == NULL)
			abort();
		check_number(cmd->argv[i]);
		buf_printf(log, " %s", cmd->argv[i]);
	}
	if (cmd->nargs != (fields < POP3_ARGS_MAX ? fields : POP3_ARGS_MAX) ||
	    cmd->too_many_args != (fields > POP3_ARGS_MAX))
		abort();
	if (*cmd->rest != '\0' && cmd->bad_spacing != (empty > 0))
		abort();
	buf_printf(log, "|%d|%s|%s|%d%d\n", (int)cmd->verb, cmd->keyword,
		   cmd->rest, cmd->too_many_args, cmd->bad_spacing);
}

/* Parse the stream in chunks of the sizes a xorshift seeded with seed
   gives (seed 0: whole); write a transcript.  After an AUTH command the
   next line is read as a SASL continuation line. */
static void
run(const uint8_t *data, size_t size, uint32_t seed, struct buf *log)
{
	struct pop3_parser p;
	struct pop3_cmd cmd;
	struct buf in;
	size_t pos = 0;
	bool cont = false;

	pop3_parser_init(&p, POP3_CMD_LINE_MAX);
	buf_init(&in, 0);
	while (pos < size) {
		size_t n = fuzz_chunk(&seed, size - pos);
		int rc;

		buf_append(&in, data + pos, n);
		pos += n;
		for (;;) {
			const char *line;
			size_t len;

			if (cont) {
				rc = pop3_parse_line(&p, &in, FUZZ_AUTH_LINE,
						     &line, &len);
				if (rc == 0)
					break;
				cont = false;
				if (rc > 0) {
					check_str(&p, line, FUZZ_AUTH_LINE - 2);
					if (strlen(line) != len)
						abort();
					buf_printf(log, "L %s\n", line);
				} else {
					buf_printf(log, "L-1 %s\n", p.error);
				}
				continue;
			}
			rc = pop3_parse_command(&p, &in, &cmd);
			if (rc == 0)
				break;
			if (rc < 0) {
				if (p.error == NULL)
					abort();
				buf_printf(log, "E %s\n", p.error);
				continue;
			}
			buf_printf(log, "C");
			check_cmd(&p, &cmd, log);
			cont = cmd.verb == POP3_VERB_AUTH;
		}
		if (buf_len(&in) != 0 || p.cap > 2 * FUZZ_AUTH_LINE)
			abort();
	}
	buf_deinit(&in);
	pop3_parser_deinit(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Results must not depend on how the input arrives. */
	fuzz_split_check(data, size, run);
	return 0;
}

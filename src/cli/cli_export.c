/* cli_export.c: `buzon export ADDRESS [MAILBOX] --mbox FILE|-` (mboxrd). */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "store/store.h"

static const char export_usage[] =
    "usage: buzon [-c FILE] export ADDRESS [MAILBOX] --mbox FILE|-\n"
    "\n"
    "Writes MAILBOX (default INBOX) of ADDRESS as mboxrd: a \"From \"\n"
    "line per message, CRLF line ends turned into LF, lines starting\n"
    "with >*From quoted with one more '>'.\n";

struct export_ctx {
	FILE *out;
	unsigned count;
	const char *error;
};

/* Copy one message line by line, LF line ends, mboxrd quoting. */
static int
export_message(struct export_ctx *x, const struct store_message *m)
{
	FILE *in = fopen(m->blob_path, "rb");
	char *line = NULL, date[32];
	size_t cap = 0;
	ssize_t n;
	time_t t = (time_t)m->internaldate;
	struct tm tm;

	if (in == NULL) {
		x->error = strerror(errno);
		return -1;
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	fprintf(x->out, "From %s %s\n",
		m->sender[0] != '\0' ? m->sender : "MAILER-DAEMON", date);
	while ((n = getline(&line, &cap, in)) > 0) {
		const char *p = line;

		while (*p == '>')
			p++;
		if (strncmp(p, "From ", 5) == 0)
			fputc('>', x->out);
		if (line[n - 1] == '\n') {
			n--;
			if (n > 0 && line[n - 1] == '\r')
				n--;
		}
		fwrite(line, 1, (size_t)n, x->out);
		fputc('\n', x->out);
	}
	free(line);
	fclose(in);
	fputc('\n', x->out);
	x->count++;
	return ferror(x->out) ? -1 : 0;
}

static int
export_cb(const struct store_message *m, void *arg)
{
	struct export_ctx *x = arg;

	return export_message(x, m);
}

int
cli_export(const char *config_path, int argc, char **argv)
{
	const char *file = NULL, *mailbox = NULL, *arg_addr = NULL, *error;
	struct export_ctx x = {0};
	struct config *cfg;
	struct store *st;
	char *addr;
	int i, r, rc = 1;

	if (cli_wants_help(argc, argv)) {
		fputs(export_usage, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mbox") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "buzon export: unknown option %s\n\n%s",
				argv[i], export_usage);
			return 2;
		} else if (arg_addr == NULL)
			arg_addr = argv[i];
		else if (mailbox == NULL)
			mailbox = argv[i];
		else {
			fputs(export_usage, stderr);
			return 2;
		}
	}
	if (arg_addr == NULL || file == NULL) {
		fputs(export_usage, stderr);
		return 2;
	}
	if ((cfg = cli_load_config(config_path)) == NULL)
		return 1;
	if ((addr = cli_address(cfg, arg_addr, true)) == NULL)
		goto out_cfg;
	if ((st = cli_open_store(cfg)) == NULL)
		goto out_addr;
	if (strcmp(file, "-") == 0)
		x.out = stdout;
	else if ((x.out = fopen(file, "w")) == NULL) {
		fprintf(stderr, "buzon export: %s: %s\n", file, strerror(errno));
		goto out_store;
	}
	r = store_mailbox_foreach(st, addr, mailbox, export_cb, &x, &error);
	if (r < 0)
		fprintf(stderr, "buzon export: %s\n",
			x.error != NULL ? x.error : error);
	else if (r == 0)
		fprintf(stderr, "buzon export: no mailbox %s for %s\n",
			mailbox != NULL ? mailbox : "INBOX", addr);
	if (x.out != stdout && fclose(x.out) != 0) {
		fprintf(stderr, "buzon export: %s: %s\n", file, strerror(errno));
		r = -1;
	} else if (x.out == stdout && fflush(stdout) != 0) {
		r = -1;
	}
	if (r == 1) {
		fprintf(stderr, "exported %u messages\n", x.count);
		rc = 0;
	}
out_store:
	store_close(&st);
out_addr:
	free(addr);
out_cfg:
	config_free(&cfg);
	return rc;
}

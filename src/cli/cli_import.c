/* cli_import.c: `buzon import ADDRESS [MAILBOX] --mbox FILE|--maildir DIR`. */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "limits.h"
#include "mime/mime_summary.h"
#include "store/store.h"
#include "xalloc.h"

static const char import_usage[] =
    "usage: buzon [-c FILE] import ADDRESS [MAILBOX] --mbox FILE\n"
    "       buzon [-c FILE] import ADDRESS [MAILBOX] --maildir DIR\n"
    "\n"
    "Adds every message of an mbox file (mboxrd or mboxo) or a Maildir\n"
    "(cur/ and new/, flags from the file names) to MAILBOX (default\n"
    "INBOX) of ADDRESS, creating the mailbox if needed.\n";

struct import_ctx {
	struct store *st;
	int64_t account;
	const char *mailbox;
	unsigned count;
	bool failed;
};

static void
import_done(void *arg, int ok, const char *error)
{
	struct import_ctx *x = arg;

	if (!ok) {
		fprintf(stderr, "buzon import: %s\n", error);
		x->failed = true;
	} else {
		x->count++;
	}
}

/* Store one message (CRLF line ends already). */
static int
import_one(struct import_ctx *x, const uint8_t *data, size_t n,
	   const char *sender, int64_t date, uint32_t flags)
{
	struct mime_summary *ms = mime_summary_new(NULL);
	struct mime_msg_info info;
	struct store_delivery d;
	struct store_blob *b;
	const char *error;

	if ((b = store_blob_new(x->st, &error)) == NULL) {
		fprintf(stderr, "buzon import: %s\n", error);
		mime_summary_free(&ms);
		return -1;
	}
	if (store_blob_write(b, data, n) < 0) {
		fprintf(stderr, "buzon import: write: %s\n", strerror(errno));
		store_blob_abort(&b);
		mime_summary_free(&ms);
		return -1;
	}
	mime_summary_feed(ms, data, n);
	memset(&info, 0, sizeof(info));
	mime_summary_finish(ms, &info);
	mime_summary_free(&ms);
	memset(&d, 0, sizeof(d));
	d.sender = sender;
	d.blob = b;
	d.internaldate = date;
	store_delivery_summary(&d, &info);
	d.accounts = &x->account;
	d.n_accounts = 1;
	d.mailbox = x->mailbox;
	d.flags = flags;
	store_deliver(x->st, &d, import_done, x); /* CLI mode: synchronous */
	mime_msg_info_clear(&info);
	return x->failed ? -1 : 0;
}

/* Append a line (without its line end) plus CRLF. */
static void
import_line(struct buf *b, const char *line, size_t n)
{
	if (n > 0 && line[n - 1] == '\n')
		n--;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	buf_append(b, line, n);
	buf_append(b, "\r\n", 2);
}

/* "From sender Www Mmm dd hh:mm:ss yyyy": sender and date. */
static void
import_from_line(const char *line, char *sender, size_t sl, int64_t *date)
{
	const char *p = line + 5, *sp = strchr(p, ' ');
	struct tm tm;

	snprintf(sender, sl, "%.*s", sp != NULL ? (int)(sp - p) : 0, p);
	if (strcmp(sender, "MAILER-DAEMON") == 0)
		sender[0] = '\0';
	*date = time(NULL);
	memset(&tm, 0, sizeof(tm));
	if (sp != NULL && strptime(sp + 1, "%a %b %e %H:%M:%S %Y", &tm) != NULL)
		*date = (int64_t)timegm(&tm);
}

static int
import_mbox(struct import_ctx *x, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL, sender[STORE_ADDRESS_MAX + 1] = "";
	size_t cap = 0;
	ssize_t n;
	struct buf msg;
	bool in_msg = false, blank_before = true, pending_blank = false;
	int64_t date = 0;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "buzon import: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf_init(&msg, 0);
	while (rc == 0 && (n = getline(&line, &cap, f)) > 0) {
		bool is_blank = (n == 1 && line[0] == '\n') ||
				(n == 2 && line[0] == '\r' && line[1] == '\n');
		const char *p;

		if (strncmp(line, "From ", 5) == 0 && blank_before) {
			/* The blank line before a separator belongs to it. */
			if (in_msg)
				rc = import_one(x, buf_rptr(&msg), buf_len(&msg),
						sender, date, 0);
			buf_reset(&msg);
			import_from_line(line, sender, sizeof(sender), &date);
			in_msg = true;
			pending_blank = false;
			blank_before = false;
			continue;
		}
		if (!in_msg) {
			if (!is_blank) {
				fprintf(stderr,
					"buzon import: %s: not an mbox file "
					"(no \"From \" line first)\n",
					path);
				rc = -1;
			}
			continue;
		}
		if (pending_blank)
			buf_append(&msg, "\r\n", 2);
		pending_blank = false;
		blank_before = is_blank;
		if (is_blank) {
			pending_blank = true;
			continue;
		}
		/* mboxrd: one level of >From quoting is removed. */
		for (p = line; *p == '>'; p++)
			;
		if (p > line && strncmp(p, "From ", 5) == 0)
			import_line(&msg, line + 1, (size_t)n - 1);
		else
			import_line(&msg, line, (size_t)n);
	}
	if (rc == 0 && in_msg)
		rc = import_one(x, buf_rptr(&msg), buf_len(&msg), sender, date,
				0);
	free(line);
	buf_deinit(&msg);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* Maildir flags from "name:2,FRS" (Maildir spec: info "2," + letters). */
static uint32_t
import_maildir_flags(const char *name)
{
	const char *info = strstr(name, ":2,");
	uint32_t flags = 0;

	if (info == NULL)
		return 0;
	for (info += 3; *info != '\0'; info++) {
		switch (*info) {
		case 'S':
			flags |= STORE_FLAG_SEEN;
			break;
		case 'R':
			flags |= STORE_FLAG_ANSWERED;
			break;
		case 'F':
			flags |= STORE_FLAG_FLAGGED;
			break;
		case 'T':
			flags |= STORE_FLAG_DELETED;
			break;
		case 'D':
			flags |= STORE_FLAG_DRAFT;
			break;
		}
	}
	return flags;
}

static int
import_file(struct import_ctx *x, const char *path, uint32_t flags,
	    int64_t date)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct buf msg;
	int rc;

	if (f == NULL) {
		fprintf(stderr, "buzon import: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf_init(&msg, 0);
	while ((n = getline(&line, &cap, f)) > 0)
		import_line(&msg, line, (size_t)n);
	free(line);
	fclose(f);
	rc = import_one(x, buf_rptr(&msg), buf_len(&msg), "", date, flags);
	buf_deinit(&msg);
	return rc;
}

static int
import_namecmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
import_maildir(struct import_ctx *x, const char *dir)
{
	static const char *const subs[] = {"cur", "new"};
	size_t s;
	int found = 0;

	for (s = 0; s < 2; s++) {
		char *sub = xasprintf("%s/%s", dir, subs[s]);
		struct dirent **names;
		int n, i, rc = 0;

		n = scandir(sub, &names, NULL, import_namecmp);
		if (n < 0) {
			free(sub);
			continue;
		}
		found++;
		for (i = 0; i < n; i++) {
			char *path;
			struct stat st;

			if (names[i]->d_name[0] == '.' || rc < 0) {
				free(names[i]);
				continue;
			}
			path = xasprintf("%s/%s", sub, names[i]->d_name);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				rc = import_file(
				    x, path,
				    s == 0 ? import_maildir_flags(names[i]->d_name)
					   : 0,
				    (int64_t)st.st_mtime);
			free(path);
			free(names[i]);
		}
		free(names);
		free(sub);
		if (rc < 0)
			return -1;
	}
	if (found == 0) {
		fprintf(stderr, "buzon import: %s: no cur/ or new/: not a "
				"Maildir\n",
			dir);
		return -1;
	}
	return 0;
}

int
cli_import(const char *config_path, int argc, char **argv)
{
	const char *mbox = NULL, *maildir = NULL, *arg_addr = NULL, *error;
	struct import_ctx x = {0};
	struct store_account a = {0};
	struct config *cfg;
	char *addr;
	int i, r, rc = 1;

	if (cli_wants_help(argc, argv)) {
		fputs(import_usage, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mbox") == 0 && i + 1 < argc)
			mbox = argv[++i];
		else if (strcmp(argv[i], "--maildir") == 0 && i + 1 < argc)
			maildir = argv[++i];
		else if (argv[i][0] == '-') {
			fprintf(stderr, "buzon import: unknown option %s\n\n%s",
				argv[i], import_usage);
			return 2;
		} else if (arg_addr == NULL)
			arg_addr = argv[i];
		else if (x.mailbox == NULL)
			x.mailbox = argv[i];
		else {
			fputs(import_usage, stderr);
			return 2;
		}
	}
	if (arg_addr == NULL || (mbox == NULL) == (maildir == NULL)) {
		fputs(import_usage, stderr);
		return 2;
	}
	if ((cfg = cli_load_config(config_path)) == NULL)
		return 1;
	if ((addr = cli_address(cfg, arg_addr, true)) == NULL)
		goto out_cfg;
	if ((x.st = cli_open_store(cfg)) == NULL)
		goto out_addr;
	r = store_account_get(x.st, addr, &a, &error);
	if (r <= 0) {
		fprintf(stderr, "buzon import: %s\n",
			r < 0 ? error : "no such account");
		goto out_store;
	}
	x.account = a.id;
	store_account_clear(&a);
	r = mbox != NULL ? import_mbox(&x, mbox) : import_maildir(&x, maildir);
	fprintf(stderr, "imported %u messages into %s of %s\n", x.count,
		x.mailbox != NULL ? x.mailbox : "INBOX", addr);
	rc = r < 0 ? 1 : 0;
out_store:
	store_close(&x.st);
out_addr:
	free(addr);
out_cfg:
	config_free(&cfg);
	return rc;
}

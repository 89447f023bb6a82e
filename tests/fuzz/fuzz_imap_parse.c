/* fuzz_imap_parse.c: fuzz the IMAP command parser and its typed argument helpers. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_split.h"
#include "imap/imap_args.h"
#include "imap/imap_fetch.h"
#include "imap/imap_parse.h"
#include "imap/imap_search.h"
#include "imap/imap_utf7.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small limits so that inputs reach them. */
static const struct imap_parse_limits fuzz_limits = {
    .line_max = 512,
    .literal_max = 256,
    .append_total_max = 600,
    .nonsync_max = 0,
    .depth_max = 8,
};

static void
log_args(struct buf *log, const struct imap_arg *a)
{
	for (; a != NULL; a = a->next) {
		buf_printf(log, "%d:%zu:", (int)a->type, a->len);
		if (a->str != NULL)
			buf_append(log, a->str, a->len);
		if (a->type == IMAP_ARG_LIST || a->type == IMAP_ARG_SECTION) {
			buf_printf(log, "(%zu", a->count);
			log_args(log, a->child);
			buf_printf(log, ")%s", a->partial);
		}
		buf_printf(log, ",");
	}
}

/* A decoded mailbox name encodes back to what was sent. */
static void
check_mailbox(const struct imap_arg *arg, struct arena *a)
{
	const char *name, *err, *raw, *back;
	size_t n;

	if (imap_args_mailbox(arg, false, a, &name, &err) < 0)
		return;
	raw = imap_arg_astring(arg, &n);
	back = imap_utf7_encode(name, strlen(name), a, &err);
	if (back == NULL ||
	    (strcmp(name, "INBOX") != 0 && strcmp(back, raw) != 0))
		abort();
}

/* Run the typed helper for the command (results must not crash). */
static void
helpers(const struct imap_cmd *cmd, struct buf *log)
{
	const char *err = NULL, *a, *b, **v, **w;
	struct imap_fetch f;
	struct imap_search s;
	struct imap_sort so;
	struct imap_thread th;
	struct imap_store st;
	struct imap_list l;
	struct imap_append ap;
	struct imap_select sel;
	struct imap_seqset set;
	unsigned items;
	size_t n;
	int rc = 0;

	switch (cmd->name) {
	case IMAP_CMD_FETCH:
		rc = imap_fetch_parse(cmd, &f, &err);
		break;
	case IMAP_CMD_SEARCH:
		rc = imap_search_parse(cmd, &s, &err);
		break;
	case IMAP_CMD_SORT:
		rc = imap_search_parse_sort(cmd, &so, &err);
		break;
	case IMAP_CMD_THREAD:
		rc = imap_search_parse_thread(cmd, &th, &err);
		break;
	case IMAP_CMD_STORE:
		rc = imap_args_store(cmd, &st, &err);
		break;
	case IMAP_CMD_LIST:
	case IMAP_CMD_LSUB:
		rc = imap_args_list(cmd, false, &l, &err);
		break;
	case IMAP_CMD_APPEND:
		rc = imap_args_append(cmd, false, &ap, &err);
		break;
	case IMAP_CMD_SELECT:
	case IMAP_CMD_EXAMINE:
		rc = imap_args_select(cmd, false, &sel, &err);
		break;
	case IMAP_CMD_CREATE:
	case IMAP_CMD_DELETE:
		check_mailbox(cmd->args, cmd->arena);
		rc = imap_args_one_mailbox(cmd, true, &a, &err);
		break;
	case IMAP_CMD_RENAME:
		rc = imap_args_rename(cmd, false, &a, &b, &err);
		break;
	case IMAP_CMD_COPY:
	case IMAP_CMD_MOVE:
		rc = imap_args_copy(cmd, false, &set, &a, &err);
		break;
	case IMAP_CMD_EXPUNGE:
		rc = imap_args_expunge(cmd, &set, &err);
		break;
	case IMAP_CMD_STATUS:
		rc = imap_args_status(cmd, false, &a, &items, &err);
		break;
	case IMAP_CMD_LOGIN:
		rc = imap_args_login(cmd, &a, &b, &err);
		break;
	case IMAP_CMD_AUTHENTICATE:
		rc = imap_args_authenticate(cmd, &a, &b, &err);
		break;
	case IMAP_CMD_ENABLE:
		rc = imap_args_enable(cmd, &v, &n, &err);
		break;
	case IMAP_CMD_ID:
		rc = imap_args_id(cmd, &v, &w, &n, &err);
		break;
	default:
		rc = imap_args_none(cmd, &err);
		break;
	}
	if (rc < 0 && err == NULL)
		abort();
	buf_printf(log, " h=%d\n", rc);
}

static void
run(const uint8_t *data, size_t size, uint32_t seed, struct buf *log)
{
	struct imap_parser p;
	struct imap_cmd *cmd;
	struct buf in;
	size_t pos = 0;

	imap_parser_init(&p, &fuzz_limits);
	buf_init(&in, 0);
	while (pos < size) {
		size_t n = fuzz_chunk(&seed, size - pos);
		int rc;

		buf_append(&in, data + pos, n);
		pos += n;
		while ((rc = imap_parse_command(&p, &in, &cmd)) != 0) {
			if (rc == IMAP_PARSE_CONT) {
				buf_printf(log, "+\n");
			} else if (rc < 0) {
				if (p.error_text == NULL || p.error_status == NULL)
					abort();
				buf_printf(log, "E %s %s\n",
					   p.error_tag ? p.error_tag : "*",
					   p.error_text);
			} else {
				if (cmd->tag == NULL || cmd->name == IMAP_CMD_UNKNOWN)
					abort();
				buf_printf(log, "C %s %d %d ", cmd->tag,
					   (int)cmd->name, cmd->uid);
				log_args(log, cmd->args);
				helpers(cmd, log);
				imap_cmd_free(&cmd);
			}
		}
		/* Memory stays within the limits. */
		if (buf_len(&in) != 0 || p.line_cap > 2 * fuzz_limits.line_max ||
		    p.lit_cap > fuzz_limits.append_total_max + 1)
			abort();
	}
	buf_deinit(&in);
	imap_parser_deinit(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Results must not depend on how the input arrives. */
	fuzz_split_check(data, size, run);
	return 0;
}

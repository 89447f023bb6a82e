/* imap_cmd_status.c: STATUS (RFC 9051 6.3.11, RFC 7162 3.1.6 HIGHESTMODSEQ,
   RFC 8438 SIZE). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "imap/imap_args.h"
#include "log.h"
#include "store/store.h"
#include "xalloc.h"

struct imap_status_job {
	struct store *store;
	int64_t account_id;
	char *name;
	unsigned items;
	int rc; /* 1, 0 no such mailbox, -1 error */
	struct store_mbox_status st;
	char error[256];
};

void
imap_cmd_status_write(struct imap_session *s, const char *name,
		      unsigned items, const struct store_mbox_status *st)
{
	struct buf b;

	buf_init(&b, 0);
	if (items & IMAP_STATUS_MESSAGES)
		buf_printf(&b, " MESSAGES %" PRIu32, st->messages);
	if (items & IMAP_STATUS_RECENT)
		buf_printf(&b, " RECENT %" PRIu32, st->recent);
	if (items & IMAP_STATUS_UIDNEXT)
		buf_printf(&b, " UIDNEXT %" PRIu32, st->uidnext);
	if (items & IMAP_STATUS_UIDVALIDITY)
		buf_printf(&b, " UIDVALIDITY %" PRIu32, st->uidvalidity);
	if (items & IMAP_STATUS_UNSEEN)
		buf_printf(&b, " UNSEEN %" PRIu32, st->unseen);
	if (items & IMAP_STATUS_DELETED)
		buf_printf(&b, " DELETED %" PRIu32, st->deleted);
	if (items & IMAP_STATUS_SIZE)
		buf_printf(&b, " SIZE %" PRIu64, st->size);
	if (items & IMAP_STATUS_HIGHESTMODSEQ)
		buf_printf(&b, " HIGHESTMODSEQ %" PRIu64, st->highestmodseq);
	imap_write(s, "* STATUS ", 9);
	imap_write_mailbox(s, name);
	imap_write(s, " (", 2);
	if (buf_len(&b) > 0)
		imap_write(s, buf_rptr(&b) + 1, buf_len(&b) - 1);
	imap_write(s, ")\r\n", 3);
	buf_deinit(&b);
}

static void
imap_status_work(void *arg)
{
	struct imap_status_job *j = arg;
	const char *error = "";
	struct store_mbox m = {0};

	j->rc = store_mbox_get(j->store, j->account_id, j->name, &m, &error);
	if (j->rc == 1)
		j->rc = store_mbox_status(j->store, m.id, &j->st, &error);
	store_mbox_clear(&m);
	if (j->rc < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
}

static void
imap_status_done(struct imap_session *s, void *arg)
{
	struct imap_status_job *j = arg;

	if (s == NULL) {
	} else if (j->rc < 0) {
		log_error("%016llx imap STATUS user=%s: %s",
			  (unsigned long long)s->id, s->user, j->error);
		imap_cmd_done(s, "NO", "SERVERBUG", "STATUS failed, try again");
	} else if (j->rc == 0) {
		imap_cmd_done(s, "NO", "NONEXISTENT", "No such mailbox");
	} else {
		imap_cmd_status_write(s, j->name, j->items, &j->st);
		imap_cmd_done(s, "OK", NULL, "STATUS completed");
	}
	free(j->name);
	free(j);
}

void
imap_cmd_status(struct imap_session *s, struct imap_cmd *cmd)
{
	struct imap_status_job *j;
	const char *name, *error;
	unsigned items;

	if (imap_args_status(cmd, imap_session_utf8(s), &name, &items,
			     &error) < 0) {
		imap_cmd_bad(s, "CLIENTBUG", error);
		return;
	}
	/* RFC 9051 6.3.11: STATUS on the selected mailbox is allowed (the
	   answer may lag behind what the session was told). */
	j = xzalloc(sizeof(*j));
	j->store = s->srv->store;
	j->account_id = s->account_id;
	j->name = xstrdup(name);
	j->items = items;
	imap_session_job(s, imap_status_work, imap_status_done, j);
}

/* imap_cmd_append.c: APPEND (RFC 9051 6.3.12) with MULTIAPPEND (RFC
   3502), literal8 (RFC 3516 4.4), APPENDUID (RFC 4315 3) and the
   account quota (RFC 9208 OVERQUOTA). */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "imap/imap_args.h"
#include "imap/imap_session.h"
#include "imap/imap_view.h"
#include "log.h"
#include "mime/mime_summary.h"
#include "pool.h"
#include "store/store.h"
#include "xalloc.h"

struct imap_append_job {
	struct imap_session *s;
	struct store *store;
	struct pool *pool;
	int64_t account_id;
	struct imap_append a; /* in the command's arena */
	uint64_t total;       /* octets of all messages */
	uint64_t default_quota;
	/* step 1 (pool): the target and the quota */
	int rc; /* 1 ok, 0 no such mailbox, -1 error, -2 over quota */
	int64_t mailbox_id;
	/* step 2 (loop): one delivery at a time, in order */
	const struct imap_append_msg *cur;
	size_t done;
	struct store_delivery d;
	struct mime_msg_info info;
	char *keywords;
	uint32_t *uids;
	uint32_t uidvalidity;
	bool gone; /* the mailbox vanished mid-way */
	char error[256];
};

static void imap_append_next(struct imap_append_job *j);

static void
imap_append_free(struct imap_append_job *j)
{
	mime_msg_info_clear(&j->info);
	free(j->keywords);
	free(j->uids);
	free(j);
}

static void
imap_append_check_work(void *arg)
{
	struct imap_append_job *j = arg;
	struct store_mbox m;
	const char *error = "";
	uint64_t bytes, msgs, quota;

	memset(&m, 0, sizeof(m));
	j->rc = store_mbox_get(j->store, j->account_id, j->a.mailbox, &m,
			       &error);
	j->mailbox_id = m.id;
	store_mbox_clear(&m);
	if (j->rc == 1 &&
	    store_account_usage(j->store, j->account_id, &bytes, &msgs, &quota,
				&error) < 0)
		j->rc = -1;
	else if (j->rc == 1) {
		if (quota == 0)
			quota = j->default_quota;
		if (quota > 0 && bytes + j->total > quota)
			j->rc = -2;
	}
	if (j->rc == -1)
		snprintf(j->error, sizeof(j->error), "%s", error);
}

/* All or nothing (RFC 3502 3): the messages stored before a failure are
   taken out again. */
static void
imap_append_undo_work(void *arg)
{
	struct imap_append_job *j = arg;
	const char *error = "";

	if (j->done > 0 && store_expunge(j->store, j->mailbox_id, j->uids,
					 j->done, &error) < 0)
		log_error("imap append: undo failed: %s", error);
}

static void
imap_append_undo_done(void *arg)
{
	struct imap_append_job *j = arg;
	struct imap_session *s = j->s;

	if (s != NULL && imap_session_job_done(s)) {
		if (j->gone)
			imap_cmd_done(s, "NO", "TRYCREATE",
				      "Mailbox doesn't exist");
		else {
			log_error("%016llx imap append user=%s: %s",
				  (unsigned long long)s->id, s->user, j->error);
			imap_cmd_done(s, "NO", "SERVERBUG", "APPEND failed");
		}
	}
	imap_append_free(j);
}

static void
imap_append_stored(void *arg, int ok, const char *error)
{
	struct imap_append_job *j = arg;
	struct imap_session *s = j->s;

	mime_msg_info_clear(&j->info);
	free(j->keywords);
	j->keywords = NULL;
	if (ok) {
		j->uids[j->done++] = j->d.out_uid;
		j->uidvalidity = j->d.out_uidvalidity;
		j->cur = j->cur->next;
	} else {
		snprintf(j->error, sizeof(j->error), "%s",
			 error != NULL ? error : "");
		j->gone = error != NULL && strstr(error, "no such mailbox");
	}
	if (!imap_session_job_done(s)) {
		/* Gone mid-way: nobody to answer, take back a partial
		   MULTIAPPEND. */
		j->s = NULL;
		if (j->cur != NULL && j->done > 0)
			pool_submit(j->pool, imap_append_undo_work,
				    imap_append_undo_done, j);
		else
			imap_append_free(j);
		return;
	}
	if (!ok) {
		s->pending = true;
		pool_submit(j->pool, imap_append_undo_work,
			    imap_append_undo_done, j);
		return;
	}
	imap_append_next(j);
}

static void
imap_append_finish(struct imap_append_job *j)
{
	struct imap_session *s = j->s;
	char *set = imap_view_uidset(j->uids, j->done);
	char *code = xmalloc(strlen(set) + 32);

	if (s->view != NULL && s->view->mailbox_id == j->mailbox_id)
		s->view->dirty = true; /* EXISTS at the sync */
	sprintf(code, "APPENDUID %u %s", j->uidvalidity, set);
	imap_cmd_done(s, "OK", code, "APPEND completed");
	free(code);
	free(set);
	imap_append_free(j);
}

/* Store j->cur, or answer when all are in. */
static void
imap_append_next(struct imap_append_job *j)
{
	const struct imap_append_msg *m = j->cur;
	struct imap_session *s = j->s;
	const char **kw;
	size_t n_kw, i;
	struct buf b;

	if (m == NULL) {
		imap_append_finish(j);
		return;
	}
	memset(&j->d, 0, sizeof(j->d));
	kw = xcalloc(m->flags.n + 1, sizeof(*kw));
	j->d.flags = imap_view_flag_bits(&m->flags, kw, &n_kw);
	buf_init(&b, 0);
	for (i = 0; i < n_kw; i++)
		buf_printf(&b, "%s%s", i ? " " : "", kw[i]);
	free(kw);
	if (n_kw > 0) {
		j->keywords = xmalloc(buf_len(&b) + 1);
		memcpy(j->keywords, buf_rptr(&b), buf_len(&b));
		j->keywords[buf_len(&b)] = '\0';
	}
	buf_deinit(&b);
	j->d.sender = "";
	j->d.internaldate = m->has_date ? m->date : (int64_t)time(NULL);
	j->d.accounts = &j->account_id;
	j->d.n_accounts = 1;
	j->d.mailbox = j->a.mailbox;
	j->d.no_create = true;
	j->d.keywords = j->keywords;
	/* Durable before the OK (DESIGN.md): done runs after the fsync. */
	s->pending = true;
	store_deliver_buf(j->store, &j->d, &j->info, m->data, m->len,
			  imap_append_stored, j);
}

static void
imap_append_check_done(void *arg)
{
	struct imap_append_job *j = arg;
	struct imap_session *s = j->s;

	if (!imap_session_job_done(s)) {
		imap_append_free(j);
		return;
	}
	if (j->rc == 1) {
		j->cur = j->a.msgs;
		imap_append_next(j);
		return;
	}
	if (j->rc == 0)
		/* RFC 9051 6.3.12: TRYCREATE when CREATE would help. */
		imap_cmd_done(s, "NO", "TRYCREATE", "Mailbox doesn't exist");
	else if (j->rc == -2)
		imap_cmd_done(s, "NO", "OVERQUOTA", "Quota exceeded");
	else {
		log_error("%016llx imap append user=%s: %s",
			  (unsigned long long)s->id, s->user, j->error);
		imap_cmd_done(s, "NO", "SERVERBUG", "APPEND failed");
	}
	imap_append_free(j);
}

void
imap_cmd_append(struct imap_session *s, struct imap_cmd *cmd)
{
	struct imap_append_job *j = xzalloc(sizeof(*j));
	const struct imap_append_msg *m;
	const char *error;

	if (imap_args_append(cmd, imap_session_utf8(s), &j->a,
			     &error) < 0) {
		free(j);
		imap_cmd_bad(s, "CLIENTBUG", error);
		return;
	}
	for (m = j->a.msgs; m != NULL; m = m->next) {
		if (m->len == 0) {
			free(j);
			imap_cmd_done(s, "NO", NULL, "Empty message refused");
			return;
		}
		/* RFC 3516 4.4: messages are kept as sent, and the store
		   keeps text; content with NUL cannot be kept without
		   changing its encoding, so it is refused. */
		if (m->binary && memchr(m->data, '\0', m->len) != NULL) {
			free(j);
			imap_cmd_done(s, "NO", "UNKNOWN-CTE",
				      "Binary content with NUL not supported");
			return;
		}
		j->total += m->len;
	}
	j->s = s;
	j->store = s->srv->store;
	j->pool = s->srv->pool;
	j->account_id = s->account_id;
	j->default_quota = s->srv->cfg->imap_quota_bytes;
	j->uids = xcalloc(j->a.nmsgs + 1, sizeof(*j->uids));
	imap_session_busy(s);
	s->pending = true;
	pool_submit(s->srv->pool, imap_append_check_work,
		    imap_append_check_done, j);
}

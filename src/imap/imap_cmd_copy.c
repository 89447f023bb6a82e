/* imap_cmd_copy.c: COPY (RFC 9051 6.4.7) and MOVE (RFC 6851), UID
   variants, with COPYUID (RFC 4315 3). */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_args.h"
#include "imap/imap_session.h"
#include "imap/imap_view.h"
#include "log.h"
#include "pool.h"
#include "store/store.h"
#include "xalloc.h"

struct imap_copy_job {
	struct imap_session *s;
	struct store *store;
	struct pool *pool;
	int64_t account_id, src_id, dst_id;
	const char *mailbox; /* in the command's arena */
	uint32_t *uids;
	size_t n;
	bool move;
	int rc; /* 1 done, 0 no such target, -1 error */
	uint32_t *src_uids, *dst_uids;
	size_t n_done;
	uint32_t dst_uidvalidity;
	char error[256];
};

/* On the loop thread, with the result in j->rc / j->error. */
static void
imap_copy_done(void *arg)
{
	struct imap_copy_job *j = arg;
	struct imap_session *s = j->s;
	const char *what = j->move ? "MOVE" : "COPY";
	char *src, *dst, *code;

	if (!imap_session_job_done(s))
		goto out;
	if (j->rc < 0) {
		log_error("%016llx imap %s user=%s: %s",
			  (unsigned long long)s->id, what, s->user, j->error);
		imap_cmd_done(s, "NO", "SERVERBUG", "%s failed", what);
		goto out;
	}
	if (j->rc == 0) {
		/* RFC 9051 6.4.7: the client may CREATE and retry. */
		imap_cmd_done(s, "NO", "TRYCREATE", "Mailbox doesn't exist");
		goto out;
	}
	if (j->dst_id == s->view->mailbox_id || j->move)
		s->view->dirty = true; /* EXISTS / EXPUNGE at the sync */
	if (j->n_done == 0) {
		imap_cmd_done(s, "OK", NULL, "No messages found");
		goto out;
	}
	src = imap_view_uidset(j->src_uids, j->n_done);
	dst = imap_view_uidset(j->dst_uids, j->n_done);
	code = xmalloc(strlen(src) + strlen(dst) + 32);
	sprintf(code, "COPYUID %u %s %s", j->dst_uidvalidity, src, dst);
	if (j->move) {
		/* RFC 6851 3.3: COPYUID in an untagged OK before the
		   EXPUNGEs, which imap_cmd_done()'s sync sends. */
		imap_untagged(s, "OK [%s] Moved", code);
		imap_cmd_done(s, "OK", NULL, "MOVE completed");
	} else
		imap_cmd_done(s, "OK", code, "COPY completed");
	free(code);
	free(src);
	free(dst);
out:
	free(j->uids);
	free(j->src_uids);
	free(j->dst_uids);
	free(j);
}

/* The copy is durable (store_msg_copy_submit): on the loop thread. */
static void
imap_copy_stored(void *arg, int rc, const char *error)
{
	struct imap_copy_job *j = arg;

	j->rc = rc;
	if (rc < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
	imap_copy_done(j);
}

static void
imap_copy_work(void *arg)
{
	struct imap_copy_job *j = arg;
	struct store_mbox m;
	const char *error = "";

	memset(&m, 0, sizeof(m));
	j->rc = store_mbox_get(j->store, j->account_id, j->mailbox, &m, &error);
	j->dst_id = m.id;
	store_mbox_clear(&m);
	if (j->rc == 1) {
		/* The worker is free again while the copy waits for the
		   store's next group commit. */
		store_msg_copy_submit(j->store, j->src_id, j->uids, j->n,
				      j->dst_id, j->move, &j->src_uids,
				      &j->dst_uids, &j->n_done,
				      &j->dst_uidvalidity, imap_copy_stored, j);
		return;
	}
	if (j->rc < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
	pool_post(j->pool, imap_copy_done, j);
}

static void
imap_copy_start(struct imap_session *s, struct imap_cmd *cmd, bool move)
{
	struct imap_copy_job *j;
	struct imap_seqset set;
	const char *mailbox, *error;
	size_t *idx, n, i;

	if (imap_args_copy(cmd, imap_session_utf8(s), &set,
			   &mailbox, &error) < 0) {
		imap_cmd_bad(s, "CLIENTBUG", error);
		return;
	}
	if (move && s->view->readonly) {
		/* RFC 6851 3.3: MOVE expunges; COPY from EXAMINE is fine. */
		imap_cmd_done(s, "NO", "READ-ONLY", "Mailbox is read-only");
		return;
	}
	if (imap_view_resolve(s, &set, cmd->uid, &idx, &n, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	j = xzalloc(sizeof(*j));
	j->s = s;
	j->store = s->srv->store;
	j->pool = s->srv->pool;
	j->account_id = s->account_id;
	j->src_id = s->view->mailbox_id;
	j->mailbox = mailbox;
	j->move = move;
	j->uids = xcalloc(n + 1, sizeof(*j->uids));
	for (i = 0; i < n; i++)
		j->uids[i] = s->view->msgs[idx[i]].uid;
	j->n = n;
	free(idx);
	imap_session_busy(s);
	s->pending = true;
	/* Done is posted by the work (or by the store once the copy is
	   durable), not by the pool. */
	pool_submit(s->srv->pool, imap_copy_work, NULL, j);
}

void
imap_cmd_copy(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_copy_start(s, cmd, false);
}

void
imap_cmd_move(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_copy_start(s, cmd, true);
}

/* imap_cmd_store.c: STORE and UID STORE (RFC 9051 6.4.6), with
   UNCHANGEDSINCE (RFC 7162 3.1.3). */
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

struct imap_store_job {
	struct imap_session *s;
	struct store *store;
	int64_t mailbox_id;
	struct store_flag_update u;
	uint32_t *uids;
	const char **kw;
	bool silent;
	struct store_flag_result *r;
	size_t n_r;
};

/* The flags are durable (store_msg_flags_submit): on the loop thread. */
static void
imap_store_done(void *arg, int rc, const char *error)
{
	struct imap_store_job *j = arg;
	struct imap_session *s = j->s;
	struct imap_view *v;
	bool condstore, uid;
	uint32_t *modified;
	size_t i, n_mod = 0;

	if (!imap_session_job_done(s))
		goto out;
	if (rc < 0) {
		log_error("%016llx imap store user=%s: %s",
			  (unsigned long long)s->id, s->user, error);
		imap_cmd_done(s, "NO", "SERVERBUG", "Flags not changed");
		goto out;
	}
	v = s->view;
	uid = s->cmd->uid;
	condstore = (s->enabled & (IMAP_EN_CONDSTORE | IMAP_EN_QRESYNC)) != 0;
	modified = xcalloc(j->n_r + 1, sizeof(*modified));
	for (i = 0; i < j->n_r; i++) {
		const struct store_flag_result *r = &j->r[i];
		ptrdiff_t k = imap_view_find_uid(v, r->uid);

		if (k < 0)
			continue;
		if (r->modified) {
			/* RFC 7162 3.1.3: UIDs for UID STORE, else
			   message numbers. */
			modified[n_mod++] = uid ? r->uid : (uint32_t)(k + 1);
			continue;
		}
		imap_view_set_flags(v, (size_t)k, r->flags, r->keywords,
				    r->modseq);
		if (!j->silent)
			/* RFC 9051 6.4.6: the flags after the change; UID
			   STORE includes UID (6.4.9). */
			imap_view_fetch_flags(s, (size_t)k, uid, true);
		else if (r->changed && condstore)
			/* RFC 7162 3.1.3: a new MODSEQ is sent even with
			   .SILENT. */
			imap_view_fetch_flags(s, (size_t)k, uid, false);
	}
	/* Others' changes are read at the sync in imap_cmd_done(). */
	v->dirty = true;
	if (n_mod > 0) {
		char *set = imap_view_uidset(modified, n_mod);
		char *code = xmalloc(strlen(set) + 10);

		sprintf(code, "MODIFIED %s", set);
		imap_cmd_done(s, "OK", code, "Conditional STORE failed");
		free(code);
		free(set);
	} else
		imap_cmd_done(s, "OK", NULL, "STORE completed");
	free(modified);
out:
	store_flag_results_free(j->r, j->n_r);
	free(j->uids);
	free(j->kw);
	free(j);
}

void
imap_cmd_store(struct imap_session *s, struct imap_cmd *cmd)
{
	struct imap_store a;
	struct imap_store_job *j;
	const char *error;
	size_t *idx, n, i;

	if (imap_args_store(cmd, &a, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (s->view->readonly) {
		/* RFC 9051 6.3.3: EXAMINE is read-only. */
		imap_cmd_done(s, "NO", "READ-ONLY", "Mailbox is read-only");
		return;
	}
	if (imap_view_resolve(s, &a.set, cmd->uid, &idx, &n, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (a.unchangedsince_given)
		s->enabled |= IMAP_EN_CONDSTORE; /* RFC 7162 3.1 */
	if (n == 0) {
		free(idx);
		imap_cmd_done(s, "OK", NULL, "STORE completed");
		return;
	}
	j = xzalloc(sizeof(*j));
	j->s = s;
	j->store = s->srv->store;
	j->mailbox_id = s->view->mailbox_id;
	j->silent = a.silent;
	j->uids = xcalloc(n, sizeof(*j->uids));
	for (i = 0; i < n; i++)
		j->uids[i] = s->view->msgs[idx[i]].uid;
	free(idx);
	j->kw = xcalloc(a.flags.n + 1, sizeof(*j->kw));
	j->u.uids = j->uids;
	j->u.n = n;
	j->u.mode = a.mode;
	j->u.flags = imap_view_flag_bits(&a.flags, j->kw, &j->u.n_keywords);
	j->u.keywords = j->kw;
	j->u.unchangedsince_given = a.unchangedsince_given;
	j->u.unchangedsince = a.unchangedsince;
	imap_session_busy(s);
	s->pending = true;
	/* No worker thread waits for the commit: the write joins the
	   store's next group commit. */
	store_msg_flags_submit(j->store, j->mailbox_id, &j->u, &j->r, &j->n_r,
			       imap_store_done, j);
}

/* imap_cmd_select.c: SELECT and EXAMINE (with CONDSTORE and QRESYNC,
   RFC 7162), CLOSE, UNSELECT (RFC 3691) and CHECK. */
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

struct imap_select_job {
	struct imap_session *s;
	struct store *store;
	int64_t account_id;
	struct imap_select a;
	bool readonly;
	int rc; /* 1 selected, 0 no such mailbox, -1 error */
	struct store_mbox mbox;
	struct store_msg_list l;
	uint32_t recent_first;
	/* QRESYNC (RFC 7162 3.2.5): UIDVALIDITY matched, expunges since */
	bool resync;
	struct store_msg_changes ch;
	/* IMAP4rev2: the mailbox has inferiors (for its LIST response) */
	bool rev2, has_children;
	char error[256];
};

/* Does some mailbox of the account lie under name?  (As LIST's
   \HasChildren, RFC 9051 7.3.1.)  Returns 0 or -1. */
static int
imap_select_children(struct imap_select_job *j, const char **error_r)
{
	struct store_mbox *list;
	size_t n, i, len = strlen(j->mbox.name);

	if (store_mbox_list(j->store, j->account_id, &list, &n, error_r) < 0)
		return -1;
	for (i = 0; i < n && !j->has_children; i++)
		j->has_children =
		    strncmp(list[i].name, j->mbox.name, len) == 0 &&
		    list[i].name[len] == STORE_MBOX_SEP;
	store_mbox_list_free(list, n);
	return 0;
}

static void
imap_select_work(void *arg)
{
	struct imap_select_job *j = arg;
	const char *error = "";

	j->recent_first = UINT32_MAX;
	j->rc = store_mbox_get(j->store, j->account_id, j->a.mailbox, &j->mbox,
			       &error);
	if (j->rc == 1)
		/* One read of the whole list: O(n) for any size. */
		j->rc = store_msg_snapshot(j->store, j->mbox.id, &j->l, &error);
	/* \Recent is claimed after the read (RFC 3501 2.3.2): a message
	   delivered between the two is recent for nobody rather than for
	   two sessions.  EXAMINE claims nothing (RFC 3501 6.3.2). */
	if (j->rc == 1 && !j->readonly)
		j->rc = store_mbox_recent(j->store, j->mbox.id,
					  &j->recent_first, &error);
	if (j->rc == 1 && j->rev2 && imap_select_children(j, &error) < 0)
		j->rc = -1;
	if (j->rc == 1 && j->a.qresync && j->a.uidvalidity == j->l.uidvalidity) {
		j->resync = true;
		if (store_msg_changes(j->store, j->mbox.id, j->a.modseq, &j->ch,
				      &error) < 0)
			j->rc = -1;
	}
	if (j->rc < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
}

/* RFC 7162 3.2.5.2: VANISHED (EARLIER) for the known UIDs expunged
   since the client's modseq, FETCH for messages changed since. */
static void
imap_select_resync(struct imap_session *s, struct imap_select_job *j)
{
	struct imap_view *v = s->view;
	uint32_t *gone = xcalloc(j->ch.n_expunged + 1, sizeof(*gone));
	size_t i, n = 0;
	char *set;

	struct imap_seqset known;

	/* known-uids: only what the client says it knows of */
	if (j->a.has_known_uids)
		imap_seqset_resolve(&j->a.known_uids, UINT32_MAX,
				    s->cmd->arena, &known);
	for (i = 0; i < j->ch.n_expunged; i++) {
		uint32_t u = j->ch.expunged[i];

		if (!j->a.has_known_uids || imap_seqset_contains(&known, u))
			gone[n++] = u;
	}
	if (n > 0) {
		set = imap_view_uidset(gone, n);
		imap_untagged(s, "VANISHED (EARLIER) %s", set);
		free(set);
	}
	free(gone);
	for (i = 0; i < v->n; i++)
		if (v->msgs[i].modseq > j->a.modseq)
			imap_view_fetch_flags(s, i, true, true);
}

static void
imap_select_done(void *arg)
{
	struct imap_select_job *j = arg;
	struct imap_session *s = j->s;
	struct imap_view *v;
	size_t i, recent = 0, unseen = 0;
	bool rev2;

	if (!imap_session_job_done(s))
		goto out;
	if (j->rc < 0) {
		log_error("%016llx imap select user=%s: %s",
			  (unsigned long long)s->id, s->user, j->error);
		imap_cmd_done(s, "NO", "SERVERBUG", "Internal error");
		goto out;
	}
	if (j->rc == 0) {
		imap_cmd_done(s, "NO", "NONEXISTENT", "Mailbox doesn't exist");
		goto out;
	}
	rev2 = (s->enabled & IMAP_EN_IMAP4REV2) != 0;
	s->view = v = imap_view_new(j->mbox.name, j->mbox.id, j->readonly,
				    &j->l, j->recent_first);
	s->state = IMAP_ST_SELECTED;
	for (i = 0; i < v->n; i++) {
		recent += v->msgs[i].recent;
		if (unseen == 0 && !(v->msgs[i].flags & STORE_FLAG_SEEN))
			unseen = i + 1;
	}
	imap_write(s, "* FLAGS ", 8);
	imap_view_write_flag_names(s, false);
	imap_write(s, "\r\n", 2);
	imap_untagged(s, "%zu EXISTS", v->n);
	if (!rev2) {
		/* RFC 3501 6.3.1; both are gone in RFC 9051. */
		imap_untagged(s, "%zu RECENT", recent);
		if (unseen > 0)
			imap_untagged(s, "OK [UNSEEN %zu] First unseen.", unseen);
	}
	if (v->readonly)
		imap_untagged(s, "OK [PERMANENTFLAGS ()] Read-only mailbox.");
	else {
		imap_write(s, "* OK [PERMANENTFLAGS ", 21);
		imap_view_write_flag_names(s, true);
		imap_write(s, "] Flags permitted.\r\n", 20);
	}
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", v->uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", v->uidnext);
	/* RFC 7162 3.1.2: every mailbox keeps modseqs persistently. */
	imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest",
		      (unsigned long long)v->highestmodseq);
	if (rev2) {
		/* RFC 9051 6.3.2: a LIST response with the name and
		   accurate attributes (as LIST gives them, 7.3.1). */
		char head[64];

		snprintf(head, sizeof(head), "* LIST (%s%s%s) \"/\" ",
			 j->has_children ? "\\HasChildren" : "\\HasNoChildren",
			 j->mbox.special_use != NULL ? " " : "",
			 j->mbox.special_use != NULL ? j->mbox.special_use : "");
		imap_write(s, head, strlen(head));
		imap_write_mailbox(s, v->name);
		imap_write(s, "\r\n", 2);
	}
	if (j->resync)
		imap_select_resync(s, j);
	imap_cmd_done(s, "OK", v->readonly ? "READ-ONLY" : "READ-WRITE",
		      "%s completed", j->readonly ? "EXAMINE" : "SELECT");
out:
	store_mbox_clear(&j->mbox);
	store_msg_list_free(&j->l);
	store_msg_changes_free(&j->ch);
	free(j);
}

/* Forget the RFC 5182 saved result (a new mailbox, or none). */
static void
imap_select_forget_saved(struct imap_session *s)
{
	free(s->saved_uids);
	s->saved_uids = NULL;
	s->n_saved = 0;
	s->saved_valid = false;
}

static void
imap_select_open(struct imap_session *s, struct imap_cmd *cmd, bool readonly)
{
	struct imap_select_job *j = xzalloc(sizeof(*j));
	const char *error;

	if (imap_args_select(cmd, imap_session_utf8(s), &j->a,
			     &error) < 0) {
		free(j);
		imap_cmd_bad(s, "CLIENTBUG", error);
		return;
	}
	if (j->a.qresync && !(s->enabled & IMAP_EN_QRESYNC)) {
		/* RFC 7162 3.2.5: only after ENABLE QRESYNC. */
		free(j);
		imap_cmd_bad(s, "CLIENTBUG", "QRESYNC is not enabled");
		return;
	}
	if (j->a.condstore)
		s->enabled |= IMAP_EN_CONDSTORE; /* RFC 7162 3.1 */
	/* RFC 9051 6.3.2: the current mailbox is closed first, even when
	   the new one cannot be selected; [CLOSED] says so (7.1). */
	if (s->view != NULL) {
		imap_view_free(s);
		s->state = IMAP_ST_AUTH;
		imap_untagged(s, "OK [CLOSED] Previous mailbox closed.");
	}
	imap_select_forget_saved(s);
	j->s = s;
	j->store = s->srv->store;
	j->account_id = s->account_id;
	j->readonly = readonly;
	j->rev2 = (s->enabled & IMAP_EN_IMAP4REV2) != 0;
	imap_session_busy(s);
	s->pending = true;
	/* reading the mailbox's state is short: ahead of long jobs */
	pool_submit_first(s->srv->pool, imap_select_work, imap_select_done, j);
}

void
imap_cmd_select(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_select_open(s, cmd, false);
}

void
imap_cmd_examine(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_select_open(s, cmd, true);
}

static void
imap_close_done(struct imap_session *s, bool ok)
{
	if (!ok) {
		imap_cmd_done(s, "NO", "SERVERBUG",
			      "Deleted messages were not removed");
		return;
	}
	/* RFC 9051 6.4.1: no EXPUNGE responses. */
	imap_view_free(s);
	s->state = IMAP_ST_AUTH;
	imap_select_forget_saved(s);
	imap_cmd_done(s, "OK", NULL, "CLOSE completed");
}

void
imap_cmd_close(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *error;

	if (imap_args_none(cmd, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (s->view->readonly) {
		/* RFC 9051 6.4.1: read-only: nothing is expunged. */
		imap_close_done(s, true);
		return;
	}
	imap_view_expunge(s, NULL, 0, false, imap_close_done);
}

void
imap_cmd_unselect(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *error;

	if (imap_args_none(cmd, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	/* RFC 3691 2: as CLOSE without expunging. */
	imap_view_free(s);
	s->state = IMAP_ST_AUTH;
	imap_select_forget_saved(s);
	imap_cmd_done(s, "OK", NULL, "UNSELECT completed");
}

void
imap_cmd_check(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *error;

	if (imap_args_none(cmd, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	/* RFC 3501 6.4.1: every change is durable at its OK already; the
	   updates owed are sent by imap_cmd_done(). */
	imap_cmd_done(s, "OK", NULL, "CHECK completed");
}

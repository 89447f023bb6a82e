/* imap_cmd_expunge.c: EXPUNGE (RFC 9051 6.4.3) and UID EXPUNGE (RFC
   4315 2.1). */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "imap/imap_args.h"
#include "imap/imap_session.h"
#include "imap/imap_view.h"

static void
imap_expunge_done(struct imap_session *s, bool ok)
{
	/* The EXPUNGE (or VANISHED) responses come from the sync in
	   imap_cmd_done(), in one pass. */
	if (ok)
		imap_cmd_done(s, "OK", NULL, "EXPUNGE completed");
	else
		imap_cmd_done(s, "NO", "SERVERBUG",
			      "Messages were not expunged");
}

void
imap_cmd_expunge(struct imap_session *s, struct imap_cmd *cmd)
{
	struct imap_seqset set;
	const char *error;
	size_t *idx = NULL, n = 0;

	if (imap_args_expunge(cmd, &set, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (s->view->readonly) {
		imap_cmd_done(s, "NO", "READ-ONLY", "Mailbox is read-only");
		return;
	}
	/* RFC 4315 2.1: UID EXPUNGE takes only \Deleted messages in the
	   set. */
	if (cmd->uid &&
	    imap_view_resolve(s, &set, true, &idx, &n, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	imap_view_expunge(s, idx, n, cmd->uid, imap_expunge_done);
	free(idx);
}

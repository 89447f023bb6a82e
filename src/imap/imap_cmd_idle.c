/* imap_cmd_idle.c: IDLE (RFC 2177): "+ idling", updates as they come,
   DONE. */
/* SPDX-License-Identifier: MIT */
#include <strings.h>

#include "imap/imap_args.h"
#include "imap/imap_session.h"
#include "imap/imap_view.h"

void
imap_cmd_idle(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *error;

	if (imap_args_none(cmd, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	imap_continue(s, "idling");
	/* Input goes to imap_idle_line() now; the autologout timer
	   (IMAP_IDLE_TIMEOUT_MS) keeps running: RFC 2177 3 has clients
	   re-issue IDLE at least every 29 minutes. */
	s->mode = IMAP_MODE_IDLE;
	/* What is owed already goes out at once (RFC 2177 3). */
	if (s->view != NULL)
		imap_notify_idle_sync(s);
	imap_session_flush(s);
}

void
imap_idle_line(struct imap_session *s, const char *line, size_t len)
{
	imap_session_busy(s);
	if (len == 4 && strncasecmp(line, "DONE", 4) == 0)
		imap_cmd_done(s, "OK", NULL, "IDLE terminated");
	else
		imap_cmd_bad(s, NULL, "Expected DONE");
}

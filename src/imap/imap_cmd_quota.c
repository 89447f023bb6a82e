/* imap_cmd_quota.c: GETQUOTA and GETQUOTAROOT (RFC 9208).

   One quota root per account, named "" (it covers every mailbox).  The
   STORAGE limit is the account's own (accounts.quota_bytes) or else the
   [imap] quota default.  RFC 9208 5.1: a QUOTA response carries usage
   and limit for each resource, so an account without a limit has no
   quota root (QUOTAROOT lists none, GETQUOTA "" is NO), and the
   MESSAGE resource, which has no configurable limit, is not reported
   (QUOTA=RES-MESSAGE is not advertised). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_session.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "imap/imap_args.h"
#include "log.h"
#include "store/store.h"
#include "xalloc.h"

struct imap_quota_job {
	struct store *store;
	int64_t account_id;
	char *mailbox; /* GETQUOTAROOT's, or NULL for GETQUOTA */
	int rc;        /* 1, 0 no such mailbox, -1 error */
	uint64_t bytes, messages, quota;
	char error[256];
};

static void
imap_quota_work(void *arg)
{
	struct imap_quota_job *j = arg;
	const char *error = "";
	struct store_mbox m = {0};

	j->rc = 1;
	if (j->mailbox != NULL)
		j->rc = store_mbox_get(j->store, j->account_id, j->mailbox, &m,
				       &error);
	store_mbox_clear(&m);
	if (j->rc == 1 &&
	    store_account_usage(j->store, j->account_id, &j->bytes,
				&j->messages, &j->quota, &error) != 1)
		j->rc = -1;
	if (j->rc < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
}

static void
imap_quota_done(struct imap_session *s, void *arg)
{
	struct imap_quota_job *j = arg;
	uint64_t limit;

	if (s == NULL)
		goto out;
	if (j->rc < 0) {
		log_error("%016llx imap quota user=%s: %s",
			  (unsigned long long)s->id, s->user, j->error);
		imap_cmd_done(s, "NO", "SERVERBUG", "Quota lookup failed");
		goto out;
	}
	if (j->rc == 0) {
		imap_cmd_done(s, "NO", "NONEXISTENT", "No such mailbox");
		goto out;
	}
	limit = j->quota > 0 ? j->quota : s->srv->cfg->imap_quota_bytes;
	if (j->mailbox != NULL) {
		imap_write(s, "* QUOTAROOT ", 12);
		imap_write_mailbox(s, j->mailbox);
		imap_write(s, limit > 0 ? " \"\"\r\n" : "\r\n",
			   limit > 0 ? 5 : 2);
	} else if (limit == 0) {
		imap_cmd_done(s, "NO", "NONEXISTENT", "No such quota root");
		goto out;
	}
	/* RFC 9208 5.1: STORAGE in units of 1024 octets, rounded up. */
	if (limit > 0)
		imap_untagged(s, "QUOTA \"\" (STORAGE %" PRIu64 " %" PRIu64 ")",
			      (j->bytes + 1023) / 1024, limit / 1024);
	imap_cmd_done(s, "OK", NULL, "%s completed",
		      j->mailbox != NULL ? "GETQUOTAROOT" : "GETQUOTA");
out:
	free(j->mailbox);
	free(j);
}

static void
imap_quota_start(struct imap_session *s, const char *mailbox)
{
	struct imap_quota_job *j = xzalloc(sizeof(*j));

	j->store = s->srv->store;
	j->account_id = s->account_id;
	j->mailbox = mailbox != NULL ? xstrdup(mailbox) : NULL;
	imap_session_job(s, imap_quota_work, imap_quota_done, j);
}

void
imap_cmd_getquota(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *root;

	if (cmd->nargs != 1 || (root = imap_arg_astring(cmd->args, NULL)) ==
				   NULL) {
		imap_cmd_bad(s, NULL, "Syntax: GETQUOTA quota-root");
		return;
	}
	if (root[0] != '\0') {
		imap_cmd_done(s, "NO", "NONEXISTENT", "No such quota root");
		return;
	}
	imap_quota_start(s, NULL);
}

void
imap_cmd_getquotaroot(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *name, *error;

	if (imap_args_one_mailbox(cmd, imap_session_utf8(s), &name,
				  &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	imap_quota_start(s, name);
}

/* imap_cmd_mbox.c: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE
   (RFC 9051 6.3.4-6.3.8). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_args.h"
#include "limits.h"
#include "log.h"
#include "store/store.h"
#include "xalloc.h"

enum imap_mbox_op { MBOX_CREATE, MBOX_DELETE, MBOX_RENAME, MBOX_SUB };

struct imap_mbox_job {
	struct store *store;
	int64_t account_id;
	enum imap_mbox_op op;
	char *name, *to;
	bool subscribe;
	int rc;
	int64_t mailbox_id; /* DELETE/RENAME: the mailbox that changed */
	char error[256];
};

/* A name the store would refuse as malformed: empty, or an empty level
   ("a//b", "/a"). */
static bool
imap_mbox_name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != STORE_MBOX_SEP &&
	       strstr(name, "//") == NULL &&
	       name[strlen(name) - 1] != STORE_MBOX_SEP &&
	       strlen(name) <= STORE_MBOX_NAME_MAX;
}

static void
imap_mbox_work(void *arg)
{
	struct imap_mbox_job *j = arg;
	const char *error = "";
	struct store_mbox m = {0};

	switch (j->op) {
	case MBOX_CREATE:
		j->rc = store_mbox_create(j->store, j->account_id, j->name,
					  NULL, &error);
		break;
	case MBOX_DELETE:
	case MBOX_RENAME:
		/* the id, for the sessions that have it selected */
		if (store_mbox_get(j->store, j->account_id, j->name, &m,
				   &error) == 1)
			j->mailbox_id = m.id;
		store_mbox_clear(&m);
		j->rc = j->op == MBOX_DELETE
			    ? store_mbox_delete(j->store, j->account_id,
						j->name, &error)
			    : store_mbox_rename(j->store, j->account_id,
						j->name, j->to, &error);
		break;
	case MBOX_SUB:
		j->rc = store_mbox_subscribe(j->store, j->account_id, j->name,
					     j->subscribe, &error);
		break;
	}
	if (j->rc == -1)
		snprintf(j->error, sizeof(j->error), "%s", error);
}

static void
imap_mbox_done(struct imap_session *s, void *arg)
{
	struct imap_mbox_job *j = arg;
	static const char *const verb[] = {"CREATE", "DELETE", "RENAME",
					   "SUBSCRIBE"};

	if (s == NULL)
		goto out;
	if (j->rc == -1) {
		log_error("%016llx imap %s user=%s: %s",
			  (unsigned long long)s->id, verb[j->op], s->user,
			  j->error);
		imap_cmd_done(s, "NO", "SERVERBUG", "%s failed, try again",
			      verb[j->op]);
		goto out;
	}
	if (j->mailbox_id > 0 && j->rc == 1)
		imap_notify_changed(s->srv, j->mailbox_id, NULL);
	switch (j->op) {
	case MBOX_CREATE:
		if (j->rc == 0)
			imap_cmd_done(s, "NO", "ALREADYEXISTS",
				      "Mailbox already exists");
		else
			imap_cmd_done(s, "OK", NULL, "CREATE completed");
		break;
	case MBOX_DELETE:
		if (j->rc == 0)
			imap_cmd_done(s, "NO", "NONEXISTENT",
				      "No such mailbox");
		else if (j->rc == -2)
			imap_cmd_done(s, "NO", "CANNOT",
				      "INBOX cannot be deleted");
		else if (j->rc == -3)
			/* RFC 9051 6.3.5 leaves this to the server */
			imap_cmd_done(s, "NO", "CANNOT",
				      "Mailbox has inferiors: delete them "
				      "first");
		else
			imap_cmd_done(s, "OK", NULL, "DELETE completed");
		break;
	case MBOX_RENAME:
		if (j->rc == 0)
			imap_cmd_done(s, "NO", "NONEXISTENT",
				      "No such mailbox");
		else if (j->rc == -2)
			imap_cmd_done(s, "NO", "ALREADYEXISTS",
				      "Target mailbox already exists");
		else if (j->rc == -3)
			imap_cmd_done(s, "NO", "CANNOT",
				      "Cannot rename a mailbox into itself");
		else
			imap_cmd_done(s, "OK", NULL, "RENAME completed");
		break;
	case MBOX_SUB:
		imap_cmd_done(s, "OK", NULL, "%s completed",
			      j->subscribe ? "SUBSCRIBE" : "UNSUBSCRIBE");
		break;
	}
out:
	free(j->name);
	free(j->to);
	free(j);
}

/* Start op on name (and to); replies BAD/NO itself for bad names. */
static void
imap_mbox_start(struct imap_session *s, enum imap_mbox_op op,
		const char *name, const char *to, bool subscribe)
{
	struct imap_mbox_job *j;
	char *n = xstrdup(name);
	size_t len = strlen(n);

	/* RFC 9051 6.3.4: a trailing separator says inferiors will be
	   created under the name; the name itself is created without it. */
	if (op == MBOX_CREATE && len > 1 && n[len - 1] == STORE_MBOX_SEP)
		n[len - 1] = '\0';
	if (!imap_mbox_name_ok(n) || (to != NULL && !imap_mbox_name_ok(to))) {
		free(n);
		imap_cmd_done(s, "NO", "CANNOT", "Invalid mailbox name");
		return;
	}
	j = xzalloc(sizeof(*j));
	j->store = s->srv->store;
	j->account_id = s->account_id;
	j->op = op;
	j->name = n;
	j->to = to != NULL ? xstrdup(to) : NULL;
	j->subscribe = subscribe;
	imap_session_job(s, imap_mbox_work, imap_mbox_done, j);
}

static void
imap_mbox_one(struct imap_session *s, struct imap_cmd *cmd,
	      enum imap_mbox_op op, bool subscribe)
{
	const char *name, *error;

	if (imap_args_one_mailbox(cmd, imap_session_utf8(s), &name,
				  &error) < 0) {
		imap_cmd_bad(s, "CLIENTBUG", error);
		return;
	}
	imap_mbox_start(s, op, name, NULL, subscribe);
}

void
imap_cmd_create(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_mbox_one(s, cmd, MBOX_CREATE, false);
}

void
imap_cmd_delete(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_mbox_one(s, cmd, MBOX_DELETE, false);
}

void
imap_cmd_subscribe(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_mbox_one(s, cmd, MBOX_SUB, true);
}

void
imap_cmd_unsubscribe(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_mbox_one(s, cmd, MBOX_SUB, false);
}

void
imap_cmd_rename(struct imap_session *s, struct imap_cmd *cmd)
{
	const char *from, *to, *error;

	if (imap_args_rename(cmd, imap_session_utf8(s), &from, &to,
			     &error) < 0) {
		imap_cmd_bad(s, "CLIENTBUG", error);
		return;
	}
	imap_mbox_start(s, MBOX_RENAME, from, to, false);
}

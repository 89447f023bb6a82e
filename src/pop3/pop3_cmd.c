/* pop3_cmd.c: POP3 commands other than login and message retrieval:
   CAPA, STLS, QUIT (with the UPDATE state), STAT, LIST, UIDL, DELE, NOOP,
   RSET. */
/* SPDX-License-Identifier: MIT */
#include "pop3/pop3_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "log.h"
#include "pool.h"
#include "xalloc.h"

/* The UPDATE state's work (RFC 1939 6). */
struct pop3_update_job {
	struct pop3_session *s;
	struct store *store;
	int64_t mailbox_id;
	uint32_t *uids;
	size_t n;
	int removed;
	char error[256];
};

static bool
pop3_cmd_no_args(struct pop3_session *s, const struct pop3_cmd *cmd,
		 const char *syntax)
{
	if (cmd->rest[0] == '\0')
		return true;
	pop3_reply(s, false, NULL, "Syntax: %s", syntax);
	pop3_session_error(s);
	return false;
}

/* An optional message number: returns 0 none, 1 *msg set, -1 replied. */
static int
pop3_cmd_opt_msg(struct pop3_session *s, const struct pop3_cmd *cmd,
		 const char *syntax, const struct store_pop3_msg **msg,
		 size_t *index_r)
{
	if (cmd->rest[0] == '\0')
		return 0;
	if (cmd->nargs != 1 || cmd->too_many_args || cmd->bad_spacing) {
		pop3_reply(s, false, NULL, "Syntax: %s", syntax);
		pop3_session_error(s);
		return -1;
	}
	*msg = pop3_session_msg(s, cmd->argv[0], index_r);
	return *msg != NULL ? 1 : -1;
}

void
pop3_cmd_capa(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	bool authz = s->state == POP3_ST_AUTH;

	if (!pop3_cmd_no_args(s, cmd, "CAPA"))
		return;
	/* RFC 2449 5-6: list what can be used now. */
	pop3_reply(s, true, NULL, "Capability list follows");
	pop3_reply_line(s, "TOP");
	if (authz && pop3_session_plaintext_ok(s))
		pop3_reply_line(s, "USER");
	pop3_reply_line(s, "UIDL");
	pop3_reply_line(s, "RESP-CODES");
	pop3_reply_line(s, "AUTH-RESP-CODE");
	pop3_reply_line(s, "PIPELINING");
	if (authz && pop3_session_plaintext_ok(s))
		pop3_reply_line(s, "SASL PLAIN LOGIN");
	/* RFC 2595 4: STLS only before TLS, on the plain listener. */
	if (authz && !s->tls && s->srv->tls != NULL)
		pop3_reply_line(s, "STLS");
	pop3_reply_line(s, "EXPIRE NEVER");
	pop3_reply_line(s, "IMPLEMENTATION buzon");
	pop3_reply_line(s, ".");
}

void
pop3_cmd_stls(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	if (!pop3_cmd_no_args(s, cmd, "STLS"))
		return;
	if (s->tls) {
		pop3_reply(s, false, NULL, "TLS already active");
		pop3_session_error(s);
		return;
	}
	if (s->srv->tls == NULL) {
		pop3_reply(s, false, "SYS/TEMP", "TLS not available");
		return;
	}
	pop3_reply(s, true, NULL, "Begin TLS negotiation");
	/* RFC 2595 4: everything from before is forgotten, and the
	   plaintext buffered behind STLS is discarded by conn_start_tls. */
	pop3_auth_reset(s);
	s->mode = POP3_MODE_BUSY;
	/* on CONN_DRAINED if the reply is not out yet */
	s->stls_pending = conn_start_tls_after_flush(s->c, s->srv->tls) == 1;
}

static void
pop3_update_work(void *arg)
{
	struct pop3_update_job *j = arg;
	const char *error = "";

	j->removed =
	    store_expunge(j->store, j->mailbox_id, j->uids, j->n, &error);
	if (j->removed < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
}

static void
pop3_update_done(void *arg)
{
	struct pop3_update_job *j = arg;
	struct pop3_session *s = j->s;

	if (j->removed < 0)
		log_error("%016llx pop3 update user=%s: %s",
			  (unsigned long long)s->id, s->auth_user, j->error);
	else
		log_info("%016llx pop3 update user=%s deleted=%d",
			 (unsigned long long)s->id, s->auth_user, j->removed);
	if (pop3_session_job_done(s) && s->c != NULL) {
		conn_cork(s->c);
		s->mode = POP3_MODE_CMD; /* reply, then close */
		if (j->removed < 0)
			/* RFC 1939 6: -ERR when some could not go. */
			pop3_reply_close(s, "SYS/TEMP",
					 "Deleted messages were not removed");
		else {
			pop3_reply(s, true, NULL,
				   "Logging out, %zu messages deleted", j->n);
			pop3_session_close(s);
		}
	}
	free(j->uids);
	free(j);
}

void
pop3_cmd_quit(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	struct pop3_update_job *j;
	size_t i;

	if (!pop3_cmd_no_args(s, cmd, "QUIT"))
		return;
	if (s->state == POP3_ST_AUTH || s->n_deleted == 0) {
		pop3_reply(s, true, NULL, "Logging out");
		pop3_session_close(s);
		return;
	}
	/* RFC 1939 6: UPDATE.  The +OK waits for the durable commit; a
	   connection lost before it leaves the maildrop as it was. */
	j = xzalloc(sizeof(*j));
	j->s = s;
	j->store = s->srv->store;
	j->mailbox_id = s->box.mailbox_id;
	j->uids = xcalloc(s->n_deleted, sizeof(*j->uids));
	for (i = 0; i < s->box.n; i++)
		if (s->deleted[i])
			j->uids[j->n++] = s->box.msgs[i].uid;
	pop3_session_busy(s);
	pool_submit(s->srv->pool, pop3_update_work, pop3_update_done, j);
}

void
pop3_cmd_stat(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	uint64_t octets = 0;
	size_t i;

	if (!pop3_cmd_no_args(s, cmd, "STAT"))
		return;
	for (i = 0; i < s->box.n; i++)
		octets += s->box.msgs[i].size;
	/* RFC 1939 5: deleted messages are not counted. */
	pop3_reply(s, true, NULL, "%zu %llu", s->box.n - s->n_deleted,
		   (unsigned long long)(octets - s->deleted_octets));
}

/* LIST and UIDL: one line for message n, or the scan listing. */
static void
pop3_cmd_listing(struct pop3_session *s, const struct pop3_cmd *cmd, bool uidl)
{
	const struct store_pop3_msg *m = NULL;
	size_t i;
	char v[32];
	int rc = pop3_cmd_opt_msg(s, cmd, uidl ? "UIDL [msg]" : "LIST [msg]",
				  &m, &i);

	if (rc < 0)
		return;
	if (rc == 1) {
		/* RFC 1939 7: UIDL is UIDVALIDITY and UID, both never
		   reused, so it is stable and unique forever. */
		if (uidl)
			snprintf(v, sizeof(v), "%08x%08x", s->box.uidvalidity,
				 m->uid);
		else
			snprintf(v, sizeof(v), "%llu",
				 (unsigned long long)m->size);
		pop3_reply(s, true, NULL, "%zu %s", i + 1, v);
		return;
	}
	pop3_reply(s, true, NULL, "%zu messages", s->box.n - s->n_deleted);
	for (i = 0; i < s->box.n; i++) {
		m = &s->box.msgs[i];
		if (s->deleted[i])
			continue;
		if (uidl)
			pop3_reply_line(s, "%zu %08x%08x", i + 1,
					s->box.uidvalidity, m->uid);
		else
			pop3_reply_line(s, "%zu %llu", i + 1,
					(unsigned long long)m->size);
	}
	pop3_reply_line(s, ".");
}

void
pop3_cmd_list(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	pop3_cmd_listing(s, cmd, false);
}

void
pop3_cmd_uidl(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	pop3_cmd_listing(s, cmd, true);
}

void
pop3_cmd_dele(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	const struct store_pop3_msg *m;
	size_t i;

	if (cmd->nargs != 1 || cmd->too_many_args || cmd->bad_spacing) {
		pop3_reply(s, false, NULL, "Syntax: DELE msg");
		pop3_session_error(s);
		return;
	}
	if ((m = pop3_session_msg(s, cmd->argv[0], &i)) == NULL)
		return;
	s->deleted[i] = true;
	s->n_deleted++;
	s->deleted_octets += m->size;
	pop3_reply(s, true, NULL, "Message %zu deleted", i + 1);
}

void
pop3_cmd_noop(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	if (pop3_cmd_no_args(s, cmd, "NOOP"))
		pop3_reply(s, true, NULL, "Nothing done");
}

void
pop3_cmd_rset(struct pop3_session *s, const struct pop3_cmd *cmd)
{
	if (!pop3_cmd_no_args(s, cmd, "RSET"))
		return;
	memset(s->deleted, 0, s->box.n * sizeof(*s->deleted));
	s->n_deleted = 0;
	s->deleted_octets = 0;
	pop3_reply(s, true, NULL, "Maildrop has %zu messages", s->box.n);
}

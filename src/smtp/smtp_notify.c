/* smtp_notify.c: deliver "delivered" DSNs for NOTIFY=SUCCESS recipients. */
/* SPDX-License-Identifier: MIT */
#include "smtp/smtp_notify.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "mime/mime_summary.h"
#include "smtp/smtp_dsn.h"
#include "smtp/smtp_session.h"
#include "store/store.h"
#include "xalloc.h"

/* Alive until the store calls back. */
struct smtp_notify_job {
	struct store_delivery d;
	struct mime_msg_info info;
	int64_t account;
	struct store_remote_rcpt remote;
	char *to;
	char id[17];
};

bool
smtp_notify_wanted(const struct smtp_tx *tx)
{
	const struct smtp_rcpt *rc;

	if (tx->mail.path.is_null)
		return false; /* RFC 3461 5.2.1: never notify the null path */
	for (rc = tx->rcpts; rc != NULL; rc = rc->next)
		if (rc->account_id > 0 && (rc->notify & SMTP_NOTIFY_SUCCESS))
			return true;
	return false;
}

static void
smtp_notify_done(void *arg, int ok, const char *error)
{
	struct smtp_notify_job *j = arg;

	if (ok)
		log_info("dsn delivered id=%s to=<%s>", j->id, j->to);
	else
		log_error("dsn id=%s to=<%s> not stored: %s", j->id, j->to,
			  error);
	mime_msg_info_clear(&j->info);
	free(j->to);
	free(j);
}

void
smtp_notify_delivered(struct smtp_session *s, const char *queue_id)
{
	struct smtp_tx *tx = s->tx;
	const struct smtp_rcpt *rc;
	struct smtp_dsn_rcpt *rcpts;
	struct smtp_notify_job *j;
	struct smtp_dsn dsn;
	struct buf msg;
	char boundary[40];
	uint64_t rnd[2];
	size_t n = 0;
	int route;

	if (tx == NULL || !smtp_notify_wanted(tx))
		return;
	j = xzalloc(sizeof(*j));
	j->to = xstrdup(tx->mail.path.addr);
	snprintf(j->id, sizeof(j->id), "%s", queue_id);
	route = smtp_rcpt_return_route(s, j->to, &j->account);
	if (route < 0) {
		smtp_notify_done(j, 0, "no mailbox for the sender");
		return;
	}
	if (route > 0) {
		j->d.accounts = &j->account;
		j->d.n_accounts = 1;
	} else {
		/* RFC 3461 5.2.1: a DSN itself never asks for DSNs */
		j->remote.address = j->to;
		j->remote.notify = SMTP_NOTIFY_NEVER;
		j->d.remote = &j->remote;
		j->d.n_remote = 1;
	}
	rcpts = arena_alloc(s->tx_arena, (tx->n_local + 1) * sizeof(*rcpts));
	for (rc = tx->rcpts; rc != NULL; rc = rc->next) {
		if (rc->account_id <= 0 || !(rc->notify & SMTP_NOTIFY_SUCCESS))
			continue;
		rcpts[n].final_rcpt = rc->addr;
		rcpts[n].orcpt = rc->orcpt;
		n++;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd[0] = rnd[1] = (uint64_t)time(NULL) ^ s->id;
	snprintf(boundary, sizeof(boundary), "%016" PRIx64 ".%016" PRIx64,
		 rnd[0], rnd[1]);
	memset(&dsn, 0, sizeof(dsn));
	dsn.hostname = s->srv->cfg->hostname;
	dsn.sender = j->to;
	dsn.envid = tx->mail.envid;
	dsn.queue_id = queue_id;
	dsn.arrival = time(NULL);
	dsn.rcpts = rcpts;
	dsn.n_rcpts = n;
	dsn.headers = buf_rptr(&tx->dsn_hdr);
	dsn.headers_len = buf_len(&tx->dsn_hdr);
	dsn.boundary = boundary;
	buf_init(&msg, 0);
	/* RFC 5321 4.4: the final delivery records the (null) return path */
	buf_append_str(&msg, "Return-Path: <>\r\n");
	j->d.sender = "";
	j->d.internaldate = time(NULL);
	if (smtp_dsn_build(&dsn, &msg) < 0)
		smtp_notify_done(j, 0, "out of memory");
	else
		store_deliver_buf(s->srv->store, &j->d, &j->info,
				  buf_rptr(&msg), buf_len(&msg),
				  smtp_notify_done, j);
	buf_deinit(&msg);
}

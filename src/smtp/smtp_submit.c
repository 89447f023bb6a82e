/* smtp_submit.c: a submitted message into the store: local copies and
   one queue entry for the remote recipients (see smtp_submit.h). */
/* SPDX-License-Identifier: MIT */
#include "smtp/smtp_submit.h"

#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "limits.h"
#include "mime/mime_summary.h"
#include "queue/queue.h"
#include "store/store.h"
#include "xalloc.h"

/* Everything store_deliver() needs, kept alive until it calls back. */
struct smtp_submit_job {
	struct store_delivery d;
	struct mime_msg_info info;
	int64_t *accounts;
	struct store_remote_rcpt *remote;
	struct queue_runner *queue;
	smtp_submit_done_fn *done;
	void *arg;
};

static void
smtp_submit_stored(void *arg, int ok, const char *error)
{
	struct smtp_submit_job *j = arg;

	if (ok && j->d.n_remote > 0 && j->queue != NULL)
		queue_runner_kick(j->queue);
	mime_msg_info_clear(&j->info);
	j->done(j->arg, ok, error, j->d.n_accounts, j->d.n_remote);
	free(j->accounts);
	free(j->remote);
	free(j);
}

/* The job for sub: recipients split into accounts and remote. */
static struct smtp_submit_job *
smtp_submit_job(const struct smtp_submit *sub, smtp_submit_done_fn *done,
		void *arg)
{
	struct smtp_submit_job *j = xzalloc(sizeof(*j));
	size_t i, na = 0, nr = 0;

	j->accounts = xcalloc(sub->n_rcpts + 1, sizeof(*j->accounts));
	j->remote = xcalloc(sub->n_rcpts + 1, sizeof(*j->remote));
	for (i = 0; i < sub->n_rcpts; i++) {
		const struct smtp_submit_rcpt *r = &sub->rcpts[i];

		if (r->account_id > 0) {
			j->accounts[na++] = r->account_id;
		} else {
			j->remote[nr].address = r->remote;
			j->remote[nr].orcpt = r->orcpt;
			j->remote[nr].notify = r->notify;
			nr++;
		}
	}
	j->d.sender = sub->sender;
	j->d.internaldate = time(NULL);
	j->d.accounts = j->accounts;
	j->d.n_accounts = na;
	j->d.remote = j->remote;
	j->d.n_remote = nr;
	j->d.dsn_envid = sub->dsn_envid;
	j->d.dsn_ret = sub->dsn_ret;
	j->queue = sub->queue;
	j->done = done;
	j->arg = arg;
	return j;
}

void
smtp_submit_blob(struct store *st, const struct smtp_submit *sub,
		 struct store_blob *blob, struct mime_msg_info *info,
		 smtp_submit_done_fn *done, void *arg)
{
	struct smtp_submit_job *j = smtp_submit_job(sub, done, arg);

	j->info = *info;
	memset(info, 0, sizeof(*info));
	j->d.blob = blob;
	store_delivery_summary(&j->d, &j->info);
	store_deliver(st, &j->d, smtp_submit_stored, j);
}

void
smtp_submit_buf(struct store *st, const struct smtp_submit *sub,
		const void *msg, size_t n, smtp_submit_done_fn *done,
		void *arg)
{
	struct smtp_submit_job *j = smtp_submit_job(sub, done, arg);

	store_deliver_buf(st, &j->d, &j->info, msg, n, smtp_submit_stored, j);
}

/* ---- addresses ---- */

static void
smtp_submit_alias_cb(const char *address, const char *const *targets,
		     size_t n, void *arg)
{
	struct smtp_submit_aliases *al = arg;
	size_t i;

	al->addr = xrealloc(al->addr, (al->n + 1) * sizeof(*al->addr));
	al->targets = xrealloc(al->targets, (al->n + 1) * sizeof(*al->targets));
	al->n_targets =
	    xrealloc(al->n_targets, (al->n + 1) * sizeof(*al->n_targets));
	al->addr[al->n] = xstrdup(address);
	al->targets[al->n] = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++)
		al->targets[al->n][i] = xstrdup(targets[i]);
	al->n_targets[al->n] = n;
	al->n++;
}

int
smtp_submit_aliases_load(struct store *st, struct smtp_submit_aliases *al,
			 const char **error_r)
{
	memset(al, 0, sizeof(*al));
	if (store_alias_list(st, smtp_submit_alias_cb, al, error_r) < 0) {
		smtp_submit_aliases_free(al);
		return -1;
	}
	return 0;
}

void
smtp_submit_aliases_free(struct smtp_submit_aliases *al)
{
	size_t i, k;

	for (i = 0; i < al->n; i++) {
		for (k = 0; k < al->n_targets[i]; k++)
			free(al->targets[i][k]);
		free(al->targets[i]);
		free(al->addr[i]);
	}
	free(al->addr);
	free(al->targets);
	free(al->n_targets);
	memset(al, 0, sizeof(*al));
}

static ssize_t
smtp_submit_alias_find(const struct smtp_submit_aliases *al, const char *addr)
{
	size_t i;

	for (i = 0; i < al->n; i++)
		if (strcasecmp(al->addr[i], addr) == 0)
			return (ssize_t)i;
	return -1;
}

/* Does alias i expand to account (depth: the nesting left)? */
static bool
smtp_submit_alias_has(const struct smtp_submit_aliases *al, size_t i,
		      const char *account, unsigned depth)
{
	size_t k;

	for (k = 0; k < al->n_targets[i]; k++) {
		const char *t = al->targets[i][k];
		ssize_t j;

		if (strcasecmp(t, account) == 0)
			return true;
		if (depth > 0 && (j = smtp_submit_alias_find(al, t)) >= 0 &&
		    smtp_submit_alias_has(al, (size_t)j, account, depth - 1))
			return true;
	}
	return false;
}

/* addr without its +tag (into out), or false when it has none. */
static bool
smtp_submit_untag(const struct config *cfg, const char *addr, char *out,
		  size_t outsz)
{
	const char *at = strrchr(addr, '@'), *tag;

	if (cfg->smtp_recipient_delimiter == '\0' || at == NULL)
		return false;
	tag = memchr(addr, cfg->smtp_recipient_delimiter, (size_t)(at - addr));
	if (tag == NULL || tag == addr)
		return false;
	snprintf(out, outsz, "%.*s%s", (int)(tag - addr), addr, at);
	return true;
}

static bool
smtp_submit_is_local(const struct config *cfg, const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL && config_is_local_domain(cfg, at + 1);
}

bool
smtp_submit_sender_owned(const struct config *cfg,
			 const struct smtp_submit_aliases *al,
			 const char *account, const char *addr)
{
	char base[SMTP_PATH_MAX + 1];
	ssize_t i;

	if (strcasecmp(addr, account) == 0)
		return true;
	if (!smtp_submit_is_local(cfg, addr))
		return false;
	if (smtp_submit_untag(cfg, addr, base, sizeof(base)))
		addr = base;
	if (strcasecmp(addr, account) == 0)
		return true;
	i = smtp_submit_alias_find(al, addr);
	return i >= 0 &&
	       smtp_submit_alias_has(al, (size_t)i, account,
					 SMTP_ALIAS_DEPTH_MAX);
}

static void
smtp_submit_add_id(int64_t **ids, size_t *n, int64_t id)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*ids)[i] == id)
			return;
	*ids = xrealloc(*ids, (*n + 1) * sizeof(**ids));
	(*ids)[(*n)++] = id;
}

struct smtp_submit_res {
	struct store *st;
	const struct config *cfg;
	const struct smtp_submit_aliases *al;
	int64_t **ids;
	size_t *n;
	const char ***remote;
	size_t *n_remote;
	unsigned budget;
	const char **error_r;
};

/* A local address: 1 found (account or alias), 0 unknown, -1 error. */
static int
smtp_submit_resolve_local(struct smtp_submit_res *r, const char *addr)
{
	struct store_account a = {0};
	char base[SMTP_PATH_MAX + 1];
	ssize_t i;
	size_t k;
	int rc;

	if (r->budget == 0)
		return 1; /* a loop of aliases: what was found so far */
	r->budget--;
	rc = store_account_get(r->st, addr, &a, r->error_r);
	if (rc != 0) {
		if (rc > 0)
			smtp_submit_add_id(r->ids, r->n, a.id);
		store_account_clear(&a);
		return rc;
	}
	if ((i = smtp_submit_alias_find(r->al, addr)) >= 0) {
		for (k = 0; k < r->al->n_targets[i]; k++) {
			const char *t = r->al->targets[i][k];

			if (!smtp_submit_is_local(r->cfg, t)) {
				*r->remote = xrealloc(*r->remote,
						      (*r->n_remote + 1) *
							  sizeof(**r->remote));
				(*r->remote)[(*r->n_remote)++] = t;
			} else if (smtp_submit_resolve_local(r, t) < 0) {
				return -1;
			}
		}
		return 1;
	}
	if (smtp_submit_untag(r->cfg, addr, base, sizeof(base)))
		return smtp_submit_resolve_local(r, base);
	return 0;
}

int
smtp_submit_resolve(struct store *st, const struct config *cfg,
		    const struct smtp_submit_aliases *al, const char *addr,
		    int64_t **ids, size_t *n, const char ***remote,
		    size_t *n_remote, const char **error_r)
{
	struct smtp_submit_res r = {st,	    cfg,      al,
				    ids,    n,	      remote,
				    n_remote, 4 * SMTP_RCPT_MAX, error_r};
	int rc;

	if (!smtp_submit_is_local(cfg, addr))
		return 0;
	rc = smtp_submit_resolve_local(&r, addr);
	return rc == 0 ? -2 : rc;
}

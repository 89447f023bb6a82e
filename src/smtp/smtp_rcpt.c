/* smtp_rcpt.c: recipient resolution: accounts, aliases (lists),
   plus-addressing, and the relay decision. */
/* SPDX-License-Identifier: MIT */
#include "smtp/smtp_session.h"

#include <ctype.h>
#include <string.h>

#include "limits.h"
#include "store/store.h"

/* ASCII-lowercase copy "local@domain" in the transaction arena. */
static char *
smtp_rcpt_key(struct smtp_session *s, const char *local, size_t local_len,
	      const char *domain)
{
	char *k = arena_printf(s->tx_arena, "%.*s@%s", (int)local_len, local,
			       domain);
	char *p;

	for (p = k; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return k;
}

/* Split "local@domain" at the last '@'.  Returns false if there is none. */
static bool
smtp_rcpt_split(const char *addr, size_t *local_len_r, const char **domain_r)
{
	const char *at = strrchr(addr, '@');

	if (at == NULL || at == addr || at[1] == '\0')
		return false;
	*local_len_r = (size_t)(at - addr);
	*domain_r = at + 1;
	return true;
}

static void
smtp_rcpt_append(struct smtp_session *s, const char *addr, int64_t account,
		 const char *remote, const struct smtp_rcpt_args *r)
{
	struct smtp_tx *tx = s->tx;
	struct smtp_rcpt *rc;

	for (rc = tx->rcpts; rc != NULL; rc = rc->next) {
		if (account > 0 && rc->account_id == account)
			return; /* one copy per account */
		if (remote != NULL && rc->remote != NULL &&
		    strcasecmp(rc->remote, remote) == 0)
			return;
	}
	rc = arena_alloc(s->tx_arena, sizeof(*rc));
	rc->addr = addr;
	rc->account_id = account;
	rc->remote = remote;
	rc->orcpt = r != NULL ? r->orcpt : NULL;
	rc->notify = r != NULL ? r->notify : 0;
	*tx->rcpt_tail = rc;
	tx->rcpt_tail = &rc->next;
	if (account > 0)
		tx->n_local++;
	else
		tx->n_remote++;
}

/* Resolve key (lowercased local address); fn gets every final member.
   Returns members found, or -1 on a store error. */
struct smtp_resolve {
	struct smtp_session *s;
	const struct smtp_rcpt_args *r;
	bool one_level;
	void (*fn)(const char *member, void *arg); /* NULL: add to tx */
	void *arg;
	unsigned budget; /* expansion work left (alias loops, huge lists) */
};

static int
smtp_rcpt_resolve(struct smtp_resolve *x, const char *key, unsigned depth)
{
	struct smtp_session *s = x->s;
	struct store_lookup lk;
	const char **targets;
	size_t i, n;
	int found = 0;

	if (x->budget == 0 || depth > STORE_ALIAS_DEPTH_MAX)
		return 0;
	x->budget--;
	if (store_lookup(s->srv->store, key, &lk) < 0)
		return -1;
	if (lk.kind == STORE_ADDR_NONE)
		return 0;
	if (lk.kind == STORE_ADDR_ACCOUNT) {
		if (x->fn != NULL)
			x->fn(key, x->arg);
		else
			smtp_rcpt_append(s, key, lk.account_id, NULL, x->r);
		return 1;
	}
	/* Copy: the lookup result is only valid until the next lookup. */
	n = lk.n_targets;
	targets = arena_alloc(s->tx_arena, (n + 1) * sizeof(*targets));
	for (i = 0; i < n; i++)
		targets[i] = arena_strdup(s->tx_arena, lk.targets[i]);
	for (i = 0; i < n; i++) {
		const char *domain;
		size_t llen;
		int rc;

		if (x->one_level) {
			x->fn(targets[i], x->arg);
			found++;
			continue;
		}
		if (!smtp_rcpt_split(targets[i], &llen, &domain))
			continue;
		if (!config_is_local_domain(s->srv->cfg, domain)) {
			/* An alias may forward off-site: the admin chose it. */
			if (x->fn != NULL)
				x->fn(targets[i], x->arg);
			else
				smtp_rcpt_append(s, targets[i], 0, targets[i],
						 x->r);
			found++;
			continue;
		}
		rc = smtp_rcpt_resolve(
		    x, smtp_rcpt_key(s, targets[i], llen, domain), depth + 1);
		if (rc < 0)
			return -1;
		found += rc;
	}
	return found;
}

/* Resolve a local address, trying "user+tag" as "user" when needed. */
static int
smtp_rcpt_resolve_local(struct smtp_resolve *x, const char *local,
			const char *domain)
{
	struct smtp_session *s = x->s;
	char delim = s->srv->cfg->smtp_recipient_delimiter;
	const char *tag;
	int rc;

	rc = smtp_rcpt_resolve(x, smtp_rcpt_key(s, local, strlen(local), domain),
			       0);
	if (rc != 0 || delim == '\0' ||
	    (tag = strchr(local, delim)) == NULL || tag == local)
		return rc;
	return smtp_rcpt_resolve(
	    x, smtp_rcpt_key(s, local, (size_t)(tag - local), domain), 0);
}

enum smtp_rcpt_result
smtp_rcpt_add(struct smtp_session *s, const struct smtp_rcpt_args *r)
{
	const struct smtp_path *p = &r->path;
	struct smtp_resolve x = {.s = s, .r = r, .budget = 4 * SMTP_RCPT_MAX};
	const char *local = p->local, *domain = p->domain;
	int rc;

	if (s->tx->n_rcpts >= s->srv->cfg->smtp_max_recipients)
		return SMTP_RCPT_TOO_MANY;
	if (p->is_postmaster) {
		/* RFC 5321 4.5.1: "Postmaster" without a domain is ours. */
		local = "postmaster";
		domain = s->srv->cfg->domains[0];
	} else if (p->is_null || domain == NULL) {
		return SMTP_RCPT_UNKNOWN;
	}
	if (p->domain_is_literal ||
	    !config_is_local_domain(s->srv->cfg, domain)) {
		/* Only authenticated users may send to other domains: the
		   whole open-relay defence is this one check, made on the
		   final domain after the parser dropped source routes. */
		if (s->auth_user == NULL)
			return SMTP_RCPT_RELAY;
		smtp_rcpt_append(s, p->addr, 0, p->addr, r);
		s->tx->n_rcpts++;
		return SMTP_RCPT_OK;
	}
	if (s->tx->n_local + s->tx->n_remote >= 10u * SMTP_RCPT_MAX)
		return SMTP_RCPT_TOO_MANY;
	rc = smtp_rcpt_resolve_local(&x, local, domain);
	if (rc < 0)
		return SMTP_RCPT_TEMPFAIL;
	if (rc == 0)
		return SMTP_RCPT_UNKNOWN;
	s->tx->n_rcpts++;
	return SMTP_RCPT_OK;
}

int
smtp_rcpt_expand(struct smtp_session *s, const char *addr, bool one_level,
		 void (*fn)(const char *member, void *arg), void *arg)
{
	struct smtp_resolve x = {.s = s,
				 .one_level = one_level,
				 .fn = fn,
				 .arg = arg,
				 .budget = 4 * SMTP_RCPT_MAX};
	const char *domain;
	size_t llen;
	char *local;

	if (!smtp_rcpt_split(addr, &llen, &domain))
		return 0;
	local = arena_strndup(s->tx_arena, addr, llen);
	return smtp_rcpt_resolve_local(&x, local, domain);
}

struct smtp_owned {
	const char *user;
	bool owned;
};

static void
smtp_rcpt_owned_cb(const char *member, void *arg)
{
	struct smtp_owned *o = arg;

	if (strcasecmp(member, o->user) == 0)
		o->owned = true;
}

bool
smtp_rcpt_sender_owned(struct smtp_session *s, const char *addr)
{
	struct smtp_owned o = {.user = s->auth_user};
	const char *domain;
	size_t llen;

	if (strcasecmp(addr, s->auth_user) == 0)
		return true;
	if (!smtp_rcpt_split(addr, &llen, &domain) ||
	    !config_is_local_domain(s->srv->cfg, domain))
		return false;
	/* user+tag@domain, or an alias (list) that includes the user. */
	smtp_rcpt_expand(s, addr, false, smtp_rcpt_owned_cb, &o);
	return o.owned;
}

int
smtp_rcpt_return_route(struct smtp_session *s, const char *addr,
		       int64_t *account_r)
{
	const struct config *cfg = s->srv->cfg;
	const char *domain;
	size_t llen;

	if (!smtp_rcpt_split(addr, &llen, &domain))
		return -1;
	if (!config_is_local_domain(cfg, domain))
		return 0;
	return store_lookup_account(s->srv->store, addr,
				    cfg->smtp_recipient_delimiter,
				    account_r) > 0
		   ? 1
		   : -1;
}

/* jmap_push.c: JMAP push (RFC 8620 7): the store's change listener,
   coalescing, and the job that finds which types of which account
   changed (design in jmap_push.h). */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_push.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ev.h"
#include "limits.h"
#include "pool.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "web/http_session.h"
#include "web/jmap.h"
#include "web/jmap_mail.h"
#include "xalloc.h"

/* The type names of RFC 8620/8621 by store_jmap_type. */
static const char *const jmap_push_names[] = {
    [STORE_JMAP_MAILBOX] = "Mailbox",
    [STORE_JMAP_EMAIL] = "Email",
    [STORE_JMAP_THREAD] = "Thread",
    [STORE_JMAP_IDENTITY] = "Identity",
    [STORE_JMAP_SUBMISSION] = "EmailSubmission",
    [JMAP_PUSH_DELIVERY] = "EmailDelivery",
};
#define JMAP_PUSH_NTYPES                                                       \
	((int)(sizeof(jmap_push_names) / sizeof(jmap_push_names[0])))

const char *
jmap_push_type_name(int type)
{
	return type > 0 && type < JMAP_PUSH_NTYPES ? jmap_push_names[type]
						   : NULL;
}

int
jmap_push_types_parse(const char *v, unsigned *types_r)
{
	*types_r = 0;
	if (strcmp(v, "*") == 0) {
		*types_r = JMAP_PUSH_TYPES_ALL;
		return 0;
	}
	for (;;) {
		size_t n = strcspn(v, ",");
		int t;

		if (n == 0)
			return -1;
		for (t = 1; t < JMAP_PUSH_NTYPES; t++)
			if (strlen(jmap_push_names[t]) == n &&
			    memcmp(jmap_push_names[t], v, n) == 0)
				*types_r |= 1u << t;
		if (v[n] == '\0')
			return 0;
		v += n + 1;
	}
}

/* A queued change: what the listener was told. */
struct jmap_push_change {
	enum store_change kind;
	int64_t id;
};

/* Mailbox -> account, open addressing; account -1: a deleted entry
   (the probe goes on past it). */
struct jmap_push_slot {
	int64_t mbox, account;
};

struct jmap_push {
	struct http_server *srv;
	struct pool *pool;
	struct store *store;
	struct ev *ev;
	atomic_uint streams; /* open streams; the listener drops changes at 0 */
	pthread_mutex_t mu;
	/* under mu: queued by the listener */
	struct jmap_push_change *q;
	size_t n_q, cap_q;
	bool posted; /* a jmap_push_run() is queued on the loop */
	/* loop thread only */
	bool stopped;
	bool busy;      /* a job runs */
	uint64_t timer; /* the coalescing window is open */
	struct jmap_push_slot *cache;
	size_t n_cache; /* slots used (deleted ones included) */
};

/* What one job looks at and finds, for one account with streams. */
struct jmap_push_account {
	int64_t id;
	bool dirty;     /* a change of the account is queued */
	bool ok;        /* state and changed were read */
	uint64_t state;
	uint64_t delivery; /* EmailDelivery state when one base is below */
	uint64_t *base; /* the distinct states its streams last saw */
	unsigned *changed; /* per base: bits of the types changed since */
	size_t n_base;
};

struct jmap_push_job {
	struct jmap_push *p;
	struct jmap_push_change *q; /* the changes taken */
	size_t n_q;
	int64_t *mbox, *cached, *owner; /* the mailbox changes */
	size_t n_mbox;
	struct jmap_push_account *acct;
	size_t n_acct;
};

static void jmap_push_on_timer(struct ev *ev, void *arg);

/* ---- cache (loop thread) ---- */

static size_t
jmap_push_slot_of(int64_t mbox)
{
	return (size_t)(((uint64_t)mbox * 0x9e3779b97f4a7c15ull) >> 32) &
	       (JMAP_PUSH_CACHE_MAX - 1);
}

static struct jmap_push_slot *
jmap_push_cache_find(struct jmap_push *p, int64_t mbox)
{
	size_t i = jmap_push_slot_of(mbox), k;

	for (k = 0; k < JMAP_PUSH_CACHE_MAX; k++) {
		struct jmap_push_slot *e = &p->cache[i];

		if (e->mbox == 0 || e->mbox == mbox)
			return e;
		i = (i + 1) & (JMAP_PUSH_CACHE_MAX - 1);
	}
	return NULL;
}

static void
jmap_push_cache_put(struct jmap_push *p, int64_t mbox, int64_t account)
{
	struct jmap_push_slot *e;

	/* full enough that probes get long: start over */
	if (p->n_cache >= JMAP_PUSH_CACHE_MAX / 4 * 3) {
		memset(p->cache, 0, JMAP_PUSH_CACHE_MAX * sizeof(*p->cache));
		p->n_cache = 0;
	}
	e = jmap_push_cache_find(p, mbox);
	if (e->mbox == 0) {
		e->mbox = mbox;
		p->n_cache++;
	}
	e->account = account;
}

/* ---- the listener (any thread) ---- */

static void jmap_push_run(void *arg);

static void
jmap_push_queue(struct jmap_push *p, enum store_change kind, int64_t id)
{
	bool post = false;
	size_t i;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n_q; i++)
		if (p->q[i].kind == kind && p->q[i].id == id)
			break;
	if (i == p->n_q) {
		if (p->n_q == p->cap_q) {
			p->cap_q = p->cap_q ? p->cap_q * 2 : 16;
			p->q = xrealloc(p->q, p->cap_q * sizeof(*p->q));
		}
		p->q[p->n_q].kind = kind;
		p->q[p->n_q].id = id;
		p->n_q++;
	}
	if (!p->posted) {
		p->posted = true;
		post = true;
	}
	pthread_mutex_unlock(&p->mu);
	if (post)
		pool_post(p->pool, jmap_push_run, p);
}

static void
jmap_push_listener(void *arg, enum store_change kind, int64_t id)
{
	struct jmap_push *p = arg;

	if (atomic_load(&p->streams) == 0)
		return; /* nobody listens; a stream that opens checks anew */
	jmap_push_queue(p, kind, id);
}

/* ---- loop side ---- */

static void
jmap_push_free(struct jmap_push *p)
{
	pthread_mutex_destroy(&p->mu);
	free(p->q);
	free(p->cache);
	free(p);
}

/* Stopped and nothing refers to p any more: free it. */
static void
jmap_push_maybe_free(struct jmap_push *p)
{
	bool posted;

	pthread_mutex_lock(&p->mu);
	posted = p->posted;
	pthread_mutex_unlock(&p->mu);
	if (p->stopped && !posted && !p->busy)
		jmap_push_free(p);
}

/* Posted by the listener: open the coalescing window. */
static void
jmap_push_run(void *arg)
{
	struct jmap_push *p = arg;

	pthread_mutex_lock(&p->mu);
	p->posted = false;
	pthread_mutex_unlock(&p->mu);
	if (p->stopped) {
		jmap_push_maybe_free(p);
		return;
	}
	if (!p->busy && p->timer == 0)
		p->timer = ev_add_timer(p->ev, JMAP_PUSH_COALESCE_MS,
					jmap_push_on_timer, p);
}

/* Each open stream of the server, through fn. */
static void
jmap_push_each_stream(struct jmap_push *p,
		      void (*fn)(struct http_session *s, void *arg), void *arg)
{
	struct sessions_link *l, *next;

	for (l = p->srv->sessions.head; l != NULL; l = next) {
		struct http_session *s =
		    SESSIONS_OF(l, struct http_session, link);

		next = l->next;
		if (s->push_on && s->c != NULL && s->mode == HTTP_MODE_STREAM)
			fn(s, arg);
	}
}

static struct jmap_push_account *
jmap_push_job_account(struct jmap_push_job *job, int64_t id)
{
	size_t i;

	for (i = 0; i < job->n_acct; i++)
		if (job->acct[i].id == id)
			return &job->acct[i];
	return NULL;
}

/* Add s's account and last state to the job. */
static void
jmap_push_job_add(struct http_session *s, void *arg)
{
	struct jmap_push_job *job = arg;
	struct jmap_push_account *a = jmap_push_job_account(job, s->account_id);
	size_t i;

	if (a == NULL) {
		job->acct = xrealloc(job->acct,
				     (job->n_acct + 1) * sizeof(*job->acct));
		a = &job->acct[job->n_acct++];
		memset(a, 0, sizeof(*a));
		a->id = s->account_id;
	}
	for (i = 0; i < a->n_base; i++)
		if (a->base[i] == s->push_state)
			return;
	a->base = xrealloc(a->base, (a->n_base + 1) * sizeof(*a->base));
	a->base[a->n_base++] = s->push_state;
}

static void
jmap_push_job_free(struct jmap_push_job *job)
{
	size_t i;

	for (i = 0; i < job->n_acct; i++) {
		free(job->acct[i].base);
		free(job->acct[i].changed);
	}
	free(job->acct);
	free(job->q);
	free(job->mbox);
	free(job->cached);
	free(job->owner);
	free(job);
}

/* Mark account id dirty; id 0: every account of the job. */
static void
jmap_push_job_dirty(struct jmap_push_job *job, int64_t id)
{
	struct jmap_push_account *a;
	size_t i;

	if (id == 0) {
		for (i = 0; i < job->n_acct; i++)
			job->acct[i].dirty = true;
	} else if ((a = jmap_push_job_account(job, id)) != NULL) {
		a->dirty = true;
	}
}

/* The types of account a with changes since base (RFC 8620 7.1: only
   types whose state changed are listed). */
static unsigned
jmap_push_changed(struct store *st, int64_t account_id, uint64_t base)
{
	unsigned bits = 0;
	int t;

	for (t = 1; t <= STORE_JMAP_SUBMISSION; t++) {
		struct store_jmap_changes c;
		const char *why;
		int rc;

		/* max 1: any change shows as an id or as "more" */
		rc = store_jmap_changes(st, account_id, t, base, 1, &c, &why);
		if (rc != 1 || c.n_created > 0 || c.n_updated > 0 ||
		    c.n_destroyed > 0 || c.more)
			bits |= 1u << t; /* an error: let the client look */
		store_jmap_changes_free(&c);
	}
	return bits;
}

int
jmap_push_state(struct store *store, int64_t account_id, uint64_t *state_r)
{
	struct jmap_ctx ctx;
	const char *why;
	json_t *err = NULL;

	memset(&ctx, 0, sizeof(ctx));
	ctx.store = store;
	ctx.account_id = account_id;
	if (jmap_mail_threads_sync(&ctx, &err) < 0) {
		json_decref(err);
		return -1;
	}
	return store_jmap_state(store, account_id, state_r, &why) == 1 ? 0
									: -1;
}

/* Pool thread. */
static void
jmap_push_work(void *arg)
{
	struct jmap_push_job *job = arg;
	struct store *st = job->p->store;
	const char *why;
	size_t i, k;

	if (job->n_mbox > 0 &&
	    store_notify_owners(st, job->mbox, job->n_mbox, job->owner, &why) <
		0)
		memset(job->owner, 0, job->n_mbox * sizeof(*job->owner));
	for (i = 0; i < job->n_mbox; i++)
		/* gone: the cache knew its account, or anyone's it was */
		jmap_push_job_dirty(job, job->owner[i] != 0 ? job->owner[i]
							    : job->cached[i]);
	for (i = 0; i < job->n_q; i++)
		if (job->q[i].kind == STORE_CHANGE_ACCOUNT)
			jmap_push_job_dirty(job, job->q[i].id);
	for (i = 0; i < job->n_acct; i++) {
		struct jmap_push_account *a = &job->acct[i];
		uint64_t oldest;

		if (!a->dirty || jmap_push_state(st, a->id, &a->state) < 0)
			continue;
		oldest = a->state;
		for (k = 0; k < a->n_base; k++)
			if (a->base[k] < oldest)
				oldest = a->base[k];
		/* the newest creation among the Emails changed since the
		   oldest base: above a base exactly when an Email was created
		   after it (store_jmap.h) */
		if (oldest < a->state &&
		    store_jmap_delivery(st, a->id, oldest, &a->delivery,
					&why) < 0)
			a->delivery = a->state; /* an error: let the client look */
		a->changed = xcalloc(a->n_base, sizeof(*a->changed));
		for (k = 0; k < a->n_base; k++) {
			if (a->base[k] >= a->state)
				continue;
			a->changed[k] =
			    jmap_push_changed(st, a->id, a->base[k]);
			if (a->delivery > a->base[k])
				a->changed[k] |= 1u << JMAP_PUSH_DELIVERY;
		}
		a->ok = true;
	}
}

/* Send s the event of its account, if the job read one. */
static void
jmap_push_deliver(struct http_session *s, void *arg)
{
	struct jmap_push_job *job = arg;
	struct jmap_push_account *a = jmap_push_job_account(job, s->account_id);
	size_t k;

	if (a == NULL || !a->ok)
		return; /* opened meanwhile: it asked for its own check */
	for (k = 0; k < a->n_base; k++)
		if (a->base[k] == s->push_state)
			break;
	if (k == a->n_base || a->state <= s->push_state)
		return;
	jmap_http_events_push(s, a->state, a->delivery, a->changed[k]);
}

/* Loop thread. */
static void
jmap_push_done(void *arg)
{
	struct jmap_push_job *job = arg;
	struct jmap_push *p = job->p;
	size_t i;
	bool more;

	p->busy = false;
	if (p->stopped) {
		jmap_push_job_free(job);
		jmap_push_maybe_free(p);
		return;
	}
	for (i = 0; i < job->n_mbox; i++) {
		if (job->owner[i] != 0) {
			jmap_push_cache_put(p, job->mbox[i], job->owner[i]);
		} else {
			/* deleted: its id may be given to a new mailbox */
			struct jmap_push_slot *e =
			    jmap_push_cache_find(p, job->mbox[i]);

			if (e != NULL && e->mbox != 0)
				e->account = -1;
		}
	}
	jmap_push_each_stream(p, jmap_push_deliver, job);
	jmap_push_job_free(job);
	pthread_mutex_lock(&p->mu);
	more = p->n_q > 0;
	pthread_mutex_unlock(&p->mu);
	if (more && p->timer == 0)
		p->timer = ev_add_timer(p->ev, JMAP_PUSH_COALESCE_MS,
					jmap_push_on_timer, p);
}

/* The coalescing window is over: one job for what was queued. */
static void
jmap_push_on_timer(struct ev *ev, void *arg)
{
	struct jmap_push *p = arg;
	struct jmap_push_job *job;
	size_t i;

	(void)ev;
	p->timer = 0;
	job = xzalloc(sizeof(*job));
	job->p = p;
	pthread_mutex_lock(&p->mu);
	job->q = p->q;
	job->n_q = p->n_q;
	p->q = NULL;
	p->n_q = p->cap_q = 0;
	pthread_mutex_unlock(&p->mu);
	jmap_push_each_stream(p, jmap_push_job_add, job);
	if (job->n_acct == 0) {
		jmap_push_job_free(job); /* every stream closed meanwhile */
		return;
	}
	job->mbox = xcalloc(job->n_q + 1, sizeof(*job->mbox));
	job->cached = xcalloc(job->n_q + 1, sizeof(*job->cached));
	job->owner = xcalloc(job->n_q + 1, sizeof(*job->owner));
	for (i = 0; i < job->n_q; i++) {
		struct jmap_push_slot *e;

		if (job->q[i].kind != STORE_CHANGE_MAILBOX)
			continue;
		e = jmap_push_cache_find(p, job->q[i].id);
		if (e != NULL && e->mbox != 0 && e->account > 0)
			job->cached[job->n_mbox] = e->account;
		job->mbox[job->n_mbox++] = job->q[i].id;
	}
	p->busy = true;
	/* short reads a client waits for: ahead of long jobs */
	pool_submit_first(p->pool, jmap_push_work, jmap_push_done, job);
}

int
jmap_push_start(struct http_server *srv)
{
	struct jmap_push *p;

	if (srv->push != NULL)
		return 0;
	p = xzalloc(sizeof(*p));
	p->srv = srv;
	p->pool = srv->pool;
	p->store = srv->store;
	p->ev = srv->ev;
	p->cache = xcalloc(JMAP_PUSH_CACHE_MAX, sizeof(*p->cache));
	atomic_init(&p->streams, 0);
	pthread_mutex_init(&p->mu, NULL);
	if (store_add_notify(p->store, jmap_push_listener, p) < 0) {
		jmap_push_free(p);
		return -1;
	}
	srv->push = p;
	return 0;
}

void
jmap_push_stop(struct http_server *srv)
{
	struct jmap_push *p = srv->push;

	if (p == NULL)
		return;
	srv->push = NULL;
	/* after this the listener never runs again */
	store_remove_notify(p->store, jmap_push_listener, p);
	if (p->timer != 0)
		ev_del_timer(p->ev, p->timer);
	p->timer = 0;
	p->stopped = true;
	jmap_push_maybe_free(p);
}

void
jmap_push_stream_open(struct http_session *s)
{
	struct jmap_push *p = s->srv->push;

	if (p == NULL)
		return;
	s->push_on = true;
	atomic_fetch_add(&p->streams, 1);
	jmap_push_queue(p, STORE_CHANGE_ACCOUNT, s->account_id);
}

void
jmap_push_stream_closed(struct http_session *s)
{
	struct jmap_push *p = s->srv->push;

	if (!s->push_on)
		return;
	s->push_on = false;
	if (p != NULL)
		atomic_fetch_sub(&p->streams, 1);
}

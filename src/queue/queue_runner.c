/* queue_runner.c: the outbound queue scheduler: poll the store for due
   entries, group their recipients by destination, resolve, hand jobs to
   sessions, then record results, bounces and delay warnings. */
/* SPDX-License-Identifier: MIT */
#include "queue/queue_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ev.h"
#include "log.h"
#include "mime/mime_summary.h"
#include "pool.h"
#include "smtp/smtp_parse.h"
#include "store/store_jmap.h"
#include "tls.h"
#include "xalloc.h"

static void queue_runner_arm(struct queue_runner *q, uint64_t ms);
static void queue_msg_finish(struct queue_msg *m);

/* ---- accounting ---- */

void
queue_runner_busy(struct queue_runner *q)
{
	q->busy++;
}

void
queue_runner_unbusy(struct queue_runner *q)
{
	q->busy--;
	if (q->stopping && q->busy == 0 && q->on_idle != NULL)
		q->on_idle(q->idle_arg);
}

bool
queue_runner_idle(const struct queue_runner *q)
{
	return q->busy == 0;
}

/* ---- messages and jobs ---- */

static void
queue_msg_free(struct queue_msg *m)
{
	struct queue_runner *q = m->q;
	struct queue_msg **mp;
	for (mp = &q->msgs; *mp != NULL; mp = &(*mp)->next)
		if (*mp == m) {
			*mp = m->next;
			break;
		}
	q->n_msgs--;
	store_queue_entry_clear(&m->e);
	free(m->res);
	free(m->prefix);
	free(m->sign_domain);
	buf_deinit(&m->dsn[0]);
	buf_deinit(&m->dsn[1]);
	free(m);
}

/* One line of reply text for logs, the queue and DSNs: CR, LF and other
   controls become spaces. */
static void
queue_text(char *out, size_t outlen, int code, const char *enh,
	   const char *text)
{
	size_t i;

	snprintf(out, outlen, "%d%s%s %s", code, enh[0] ? " " : "", enh, text);
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = ' ';
}

static void
queue_res_set(struct queue_res *r, int code, const char *enh,
	      const char *text, const char *mta)
{
	r->tried = true;
	r->verdict = queue_sched_verdict(code);
	queue_text(r->reply, sizeof(r->reply), code, enh, text);
	/* RFC 3464 2.3.4: Status is the enhanced code, or one made from
	   the reply's class */
	if (enh[0] != '\0')
		snprintf(r->status, sizeof(r->status), "%s", enh);
	else
		snprintf(r->status, sizeof(r->status), "%c.0.0",
			 r->verdict == QUEUE_DELIVERED ? '2'
			 : r->verdict == QUEUE_FAILED  ? '5'
						       : '4');
	snprintf(r->mta, sizeof(r->mta), "%s", mta != NULL ? mta : "");
}

void
queue_job_result(struct queue_job *j, size_t i,
		 const struct smtp_client_result *r, const char *mta)
{
	struct queue_msg *m = j->m;

	/* a result the engine made up (lost connection, no extension)
	   came from no remote MTA */
	queue_res_set(&m->res[j->idx[i]], r->code, r->enh, r->text,
		      r->local ? NULL : mta);
	log_info("queue id=%lld to=<%s> host=%s result=\"%s\"",
		 (long long)m->e.id, j->rcpts[i].addr, mta,
		 m->res[j->idx[i]].reply);
}

void
queue_job_done(struct queue_job *j)
{
	struct queue_msg *m = j->m;

	free(j->idx);
	free(j->rcpts);
	free(j);
	if (--m->jobs_left == 0)
		queue_msg_finish(m);
}

/* ---- destinations ---- */

static struct queue_dest *
queue_dest_get(struct queue_runner *q, const struct queue_dest_spec *spec)
{
	struct queue_dest *d;

	for (d = q->dests; d != NULL; d = d->next)
		if (strcmp(d->spec.key, spec->key) == 0)
			return d;
	d = xzalloc(sizeof(*d));
	d->q = q;
	d->spec = *spec;
	d->tail = &d->head;
	d->next = q->dests;
	q->dests = d;
	return d;
}

struct queue_job *
queue_dest_pop(struct queue_dest *d)
{
	struct queue_job *j = d->head;

	if (j == NULL)
		return NULL;
	d->head = j->next;
	if (d->head == NULL)
		d->tail = &d->head;
	j->next = NULL;
	d->njobs--;
	return j;
}

static void
queue_dest_unlink(struct queue_dest *d)
{
	struct queue_dest **dp;

	for (dp = &d->q->dests; *dp != NULL; dp = &(*dp)->next)
		if (*dp == d) {
			*dp = d->next;
			break;
		}
	dns_mx_cancel(&d->lookup);
	free(d);
}

void
queue_dest_fail_all(struct queue_dest *d, int code, const char *enh,
		    const char *text, const char *mta)
{
	struct queue_job *j;
	size_t i;

	while ((j = queue_dest_pop(d)) != NULL) {
		for (i = 0; i < j->n; i++)
			queue_res_set(&j->m->res[j->idx[i]], code, enh, text,
				      mta);
		log_info("queue id=%lld dest=%s deferred=%zu reason=\"%d %s\"",
			 (long long)j->m->e.id, d->spec.key, j->n, code, text);
		queue_job_done(j);
	}
}

/* Start sessions while there are jobs and room; forget a destination
   with nothing left to do (its addresses are looked up again next
   time). */
static void
queue_dest_kick(struct queue_dest *d)
{
	struct queue_runner *q = d->q;
	unsigned max = (*q->cfgp)->queue_concurrency;

	if (d->resolving)
		return;
	if (d->head != NULL && d->resolved && d->naddrs == 0)
		queue_dest_fail_all(d, d->resolve_code, d->resolve_enh,
				    d->resolve_error, NULL);
	/* one session per queued job at most: a session that is still
	   connecting takes the next job when it is ready */
	while (d->njobs > d->unassigned && d->active < max && !q->stopping)
		queue_sess_start(d);
	if (d->head == NULL && d->active == 0)
		queue_dest_unlink(d);
}

static void
queue_dest_on_gone(struct ev *ev, void *arg)
{
	struct queue_dest *d = arg;
	struct queue_runner *q = d->q;

	(void)ev;
	d->active--; /* only now: d must outlive every pending timer */
	queue_dest_kick(d); /* may free d */
	queue_runner_unbusy(q);
}

void
queue_dest_session_gone(struct queue_dest *d)
{
	/* not from inside a conn callback or the reaper; the session's
	   busy count (queue_sess_start) ends in queue_dest_on_gone */
	ev_add_timer(d->q->ev, 0, queue_dest_on_gone, d);
}

static void
queue_dest_add_addr(struct queue_dest *d, const struct dns_addr *a,
		    const char *name)
{
	if (d->naddrs >= QUEUE_ADDRS_MAX)
		return;
	d->addrs[d->naddrs] = *a;
	snprintf(d->names[d->naddrs], sizeof(d->names[0]), "%s", name);
	d->naddrs++;
}

/* How every job of d fails when routing found no address. */
static void
queue_dest_no_addr(struct queue_dest *d, enum dns_status st)
{
	if (st == DNS_NULL_MX) {
		/* RFC 7505 3 / 4.2: the domain declares it takes no
		   mail: 556 (RFC 7504) with 5.1.10 */
		d->resolve_code = 556;
		d->resolve_enh = "5.1.10";
	} else if (dns_status_permanent(st)) {
		d->resolve_code = 550;
		d->resolve_enh = "5.1.2"; /* RFC 3463 3.2: bad system */
	} else {
		d->resolve_code = 451;
		d->resolve_enh = "4.4.3"; /* directory server failure */
	}
}

static void
queue_dest_on_mx(struct dns_route *route, void *arg)
{
	struct queue_dest *d = arg;
	struct queue_runner *q = d->q;
	size_t h, i;

	d->lookup = NULL;
	d->resolving = false;
	d->resolved = true;
	if (route->status == DNS_OK) {
		for (h = 0; h < route->nhosts; h++)
			for (i = 0; i < route->hosts[h].naddrs; i++)
				queue_dest_add_addr(d, &route->hosts[h].addrs[i],
						    route->hosts[h].name);
	}
	if (d->naddrs == 0) {
		queue_dest_no_addr(d, route->status);
		snprintf(d->resolve_error, sizeof(d->resolve_error),
			 "%s: %s", d->spec.host,
			 route->error[0] ? route->error
					 : dns_status_name(route->status));
	}
	log_info("queue dest=%s resolved status=%s addrs=%zu",
		 d->spec.key, dns_status_name(route->status), d->naddrs);
	dns_route_free(&route);
	queue_dest_kick(d); /* may free d */
	queue_runner_unbusy(q);
}

/* A [routes] or smarthost host name: getaddrinfo on a worker. */
struct queue_gai {
	struct queue_dest *d;
	struct dns_addr addrs[QUEUE_ADDRS_MAX];
	size_t n;
	int rc;
};

static void
queue_gai_work(void *arg)
{
	struct queue_gai *g = arg;
	struct addrinfo hints, *res = NULL, *ai;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	g->rc = getaddrinfo(g->d->spec.host, NULL, &hints, &res);
	for (ai = res; g->rc == 0 && ai != NULL && g->n < QUEUE_ADDRS_MAX;
	     ai = ai->ai_next) {
		struct dns_addr *a = &g->addrs[g->n];

		if (ai->ai_addrlen > sizeof(a->u))
			continue;
		memcpy(&a->u, ai->ai_addr, ai->ai_addrlen);
		a->len = ai->ai_addrlen;
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, a->text,
				sizeof(a->text), NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		g->n++;
	}
	if (res != NULL)
		freeaddrinfo(res);
}

static void
queue_gai_done(void *arg)
{
	struct queue_gai *g = arg;
	struct queue_dest *d = g->d;
	struct queue_runner *q = d->q;
	size_t i;

	d->resolving = false;
	d->resolved = true;
	for (i = 0; i < g->n; i++)
		queue_dest_add_addr(d, &g->addrs[i], d->spec.host);
	if (d->naddrs == 0) {
		/* a configured relay host that does not resolve is a
		   configuration problem: retry, never bounce */
		queue_dest_no_addr(d, DNS_TEMPFAIL);
		snprintf(d->resolve_error, sizeof(d->resolve_error),
			 "%s: %s", d->spec.host,
			 g->rc != 0 ? gai_strerror(g->rc) : "no address");
	}
	free(g);
	queue_dest_kick(d); /* may free d */
	queue_runner_unbusy(q);
}

static int
queue_resolver(struct queue_runner *q)
{
	const struct config *cfg = *q->cfgp;
	struct dns_config dc;
	const char *error;

	if (q->resolver != NULL)
		return 0;
	memset(&dc, 0, sizeof(dc));
	dc.forwarder = cfg->relay_resolver;
	dc.myhostname = cfg->hostname;
	/* a test resolver ([relay] resolver) serves unsigned zones */
	if (cfg->relay_resolver != NULL)
		dc.trust_anchor = "";
	q->resolver = dns_resolver_new(q->ev, &dc, &error);
	if (q->resolver == NULL) {
		log_error("queue: DNS resolver: %s", error);
		return -1;
	}
	return 0;
}

static void
queue_dest_resolve(struct queue_dest *d)
{
	struct queue_runner *q = d->q;
	struct dns_addr a;

	memset(&a, 0, sizeof(a));
	if (d->spec.kind != QUEUE_DEST_MX) {
		if (inet_pton(AF_INET, d->spec.host, &a.u.in.sin_addr) == 1) {
			a.u.in.sin_family = AF_INET;
			a.len = sizeof(a.u.in);
		} else if (inet_pton(AF_INET6, d->spec.host,
				     &a.u.in6.sin6_addr) == 1) {
			a.u.in6.sin6_family = AF_INET6;
			a.len = sizeof(a.u.in6);
		}
		if (a.len > 0) {
			inet_ntop(a.u.sa.sa_family,
				  a.u.sa.sa_family == AF_INET
				      ? (void *)&a.u.in.sin_addr
				      : (void *)&a.u.in6.sin6_addr,
				  a.text, sizeof(a.text));
			queue_dest_add_addr(d, &a, d->spec.host);
			d->resolved = true;
			return;
		}
		struct queue_gai *g = xzalloc(sizeof(*g));

		g->d = d;
		d->resolving = true;
		queue_runner_busy(q);
		pool_submit(q->pool, queue_gai_work, queue_gai_done, g);
		return;
	}
	if (queue_resolver(q) < 0) {
		d->resolved = true;
		queue_dest_no_addr(d, DNS_TEMPFAIL);
		snprintf(d->resolve_error, sizeof(d->resolve_error),
			 "no DNS resolver");
		return;
	}
	d->resolving = true;
	queue_runner_busy(q);
	d->lookup = dns_mx_lookup(q->resolver, d->spec.host, queue_dest_on_mx,
				  d);
}

/* ---- taking entries ---- */

static const char *
queue_route_cfg(const char *domain, void *arg)
{
	return config_route(arg, domain);
}

/* The domain of a local sender that may be signed for, or NULL. */
static char *
queue_sign_domain(const struct config *cfg, const char *sender)
{
	const char *at = strrchr(sender, '@');
	char *d;

	if (at == NULL || !config_is_local_domain(cfg, at + 1))
		return NULL;
	d = xstrdup(at + 1);
	for (char *p = d; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* Make jobs of m's recipients, one per destination. */
static void
queue_msg_dispatch(struct queue_msg *m)
{
	struct queue_runner *q = m->q;
	const struct config *cfg = *q->cfgp;
	size_t n = m->e.n_rcpts, i, k;
	struct queue_dest_spec *specs = xmalloc(n * sizeof(*specs));
	const char **keys = xmalloc(n * sizeof(*keys));
	size_t *group = xmalloc(n * sizeof(*group));
	bool *bad = xzalloc(n * sizeof(*bad));

	m->jobs_left = 1; /* held until every job is queued */
	for (i = 0; i < n; i++) {
		if (m->perm_error != NULL) {
			queue_res_set(&m->res[i],
				      m->perm_status[0] == '4' ? 451 : 554,
				      m->perm_status, m->perm_error, NULL);
			bad[i] = true;
		} else if (queue_sched_dest(m->e.rcpts[i].address,
					    queue_route_cfg, (void *)cfg,
					    cfg->relay_smarthost,
					    &specs[i]) < 0) {
			queue_res_set(&m->res[i], 550, "5.1.2",
				      "bad destination mailbox address", NULL);
			bad[i] = true;
		} else if (specs[i].kind == QUEUE_DEST_MX) {
			specs[i].port = cfg->relay_mx_port; /* 25 but in tests */
		}
		keys[i] = bad[i] ? "" : specs[i].key;
	}
	queue_sched_group(keys, n, group);
	for (i = 0; i < n; i++) {
		struct queue_job *j;
		struct queue_dest *d;

		if (bad[i] || group[i] != i)
			continue;
		j = xzalloc(sizeof(*j));
		j->m = m;
		j->idx = xmalloc(n * sizeof(*j->idx));
		j->rcpts = xzalloc(n * sizeof(*j->rcpts));
		for (k = i; k < n; k++) {
			if (bad[k] || group[k] != i)
				continue;
			j->idx[j->n] = k;
			j->rcpts[j->n].addr = m->e.rcpts[k].address;
			j->rcpts[j->n].notify = m->e.rcpts[k].notify;
			j->rcpts[j->n].orcpt = m->e.rcpts[k].orcpt;
			j->n++;
		}
		d = queue_dest_get(q, &specs[i]);
		*d->tail = j;
		d->tail = &j->next;
		d->njobs++;
		m->jobs_left++;
		if (!d->resolved && !d->resolving)
			queue_dest_resolve(d);
		queue_dest_kick(d);
	}
	free(specs);
	free(keys);
	free(group);
	free(bad);
	if (--m->jobs_left == 0)
		queue_msg_finish(m);
}

struct queue_scan {
	struct queue_runner *q;
	struct store_queue_entry *es;
	struct queue_msg **msgs;
	size_t n;
	size_t max;
	int64_t now;
	const char *error;
};

static void
queue_scan_work(void *arg)
{
	struct queue_scan *sc = arg;
	struct queue_runner *q = sc->q;
	int n;
	size_t i;

	n = store_queue_take(q->store, sc->now, sc->max, &sc->es, &sc->error);
	if (n <= 0) {
		sc->n = 0;
		return;
	}
	sc->n = (size_t)n;
	sc->msgs = xzalloc(sc->n * sizeof(*sc->msgs));
	for (i = 0; i < sc->n; i++) {
		struct queue_msg *m = xzalloc(sizeof(*m));

		m->q = q;
		m->e = sc->es[i];
		memset(&sc->es[i], 0, sizeof(sc->es[i]));
		m->res = xzalloc((m->e.n_rcpts + 1) * sizeof(*m->res));
		sc->msgs[i] = m;
	}
}

/* The worker part 2: preparation needs the sign domain, which needs the
   config: decided per message below on the loop, then prepared here. */
struct queue_prep_batch {
	struct queue_runner *q;
	struct queue_msg **msgs;
	size_t n;
};

static void
queue_prep_work(void *arg)
{
	struct queue_prep_batch *b = arg;
	size_t i;

	for (i = 0; i < b->n; i++)
		queue_prep(b->msgs[i], b->q->data_dir);
}

static void
queue_prep_done(void *arg)
{
	struct queue_prep_batch *b = arg;
	struct queue_runner *q = b->q;
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct queue_msg *m = b->msgs[i];

		m->next = q->msgs;
		q->msgs = m;
		q->n_msgs++;
		if (q->stopping) {
			/* not tried: record nothing, it stays due */
			m->jobs_left = 0;
			m->now = -1;
			queue_msg_finish(m);
			continue;
		}
		queue_msg_dispatch(m);
	}
	free(b->msgs);
	free(b);
	queue_runner_unbusy(q);
}

static void
queue_scan_done(void *arg)
{
	struct queue_scan *sc = arg;
	struct queue_runner *q = sc->q;
	struct queue_prep_batch *b;
	size_t i;

	q->scanning = false;
	if (sc->error != NULL && sc->n == 0)
		log_error("queue scan: %s", sc->error);
	if (sc->n > 0) {
		const struct config *cfg = *q->cfgp;

		log_debug("queue scan: %zu due", sc->n);
		for (i = 0; i < sc->n; i++)
			sc->msgs[i]->sign_domain =
			    queue_sign_domain(cfg, sc->msgs[i]->e.sender);
		b = xzalloc(sizeof(*b));
		b->q = q;
		b->msgs = sc->msgs;
		b->n = sc->n;
		sc->msgs = NULL;
		queue_runner_busy(q);
		pool_submit(q->pool, queue_prep_work, queue_prep_done, b);
	}
	free(sc->es);
	free(sc->msgs);
	/* a full batch: more may be due at once */
	if (!q->stopping)
		queue_runner_arm(q, sc->n == sc->max ? 0
				    : q->rescan      ? QUEUE_KICK_DELAY_MS
						     : (*q->cfgp)->queue_poll_ms);
	q->kicked = q->rescan;
	q->rescan = false;
	free(sc);
	queue_runner_unbusy(q);
}

static void
queue_runner_on_timer(struct ev *ev, void *arg)
{
	struct queue_runner *q = arg;
	struct queue_scan *sc;

	(void)ev;
	q->timer = 0;
	q->kicked = false;
	if (q->stopping || q->scanning)
		return;
	if (q->n_msgs >= QUEUE_ACTIVE_MAX) {
		/* full: look again soon, whatever [queue] poll says */
		queue_runner_arm(q, QUEUE_POLL_MS);
		return;
	}
	sc = xzalloc(sizeof(*sc));
	sc->q = q;
	sc->now = (int64_t)time(NULL);
	sc->max = QUEUE_ACTIVE_MAX - q->n_msgs;
	if (sc->max > QUEUE_SCAN_MAX)
		sc->max = QUEUE_SCAN_MAX;
	q->scanning = true;
	queue_runner_busy(q);
	pool_submit(q->pool, queue_scan_work, queue_scan_done, sc);
}

static void
queue_runner_arm(struct queue_runner *q, uint64_t ms)
{
	if (q->timer != 0)
		ev_del_timer(q->ev, q->timer);
	q->timer = ev_add_timer(q->ev, ms, queue_runner_on_timer, q);
}

void
queue_runner_kick(struct queue_runner *q)
{
	if (q->stopping)
		return;
	if (q->scanning) {
		q->rescan = true;
	} else if (!q->kicked) {
		q->kicked = true;
		queue_runner_arm(q, QUEUE_KICK_DELAY_MS);
	}
}

/* ---- finishing an attempt ---- */

/* A finished attempt of one message, waiting for its record. */
struct queue_record {
	struct queue_record *next;
	struct queue_msg *m;
	struct store_queue_outcome *o;
	size_t n;
	int64_t next_attempt;
	bool final;
	int kept;
};

/* The records written in one transaction. */
struct queue_record_batch {
	struct queue_runner *q;
	struct queue_record *head;
	size_t n;
	int rc;
	const char *error;
};

static void queue_record_start(struct queue_runner *q);

static void
queue_record_work(void *arg)
{
	struct queue_record_batch *b = arg;
	struct store_queue_attempt *a = xzalloc(b->n * sizeof(*a));
	struct queue_record *r;
	size_t i = 0;

	for (r = b->head; r != NULL; r = r->next, i++) {
		const char *why = NULL;

		/* a JMAP EmailSubmission's deliveryStatus (RFC 8621 7),
		   before the entry may go: a crash in between repeats the
		   attempt, which writes it again */
		if (r->n > 0 &&
		    store_jmap_obj_outcome(b->q->store, r->m->e.envid, r->o,
					   r->n, &why) < 0)
			log_error("queue id=%lld: submission status not "
				  "recorded: %s",
				  (long long)r->m->e.id, why);
		a[i].id = r->m->e.id;
		a[i].now = r->m->now;
		a[i].next_attempt = r->next_attempt;
		a[i].o = r->o;
		a[i].n = r->n;
		a[i].final = r->final;
	}
	b->rc = store_queue_record_batch(b->q->store, a, b->n, &b->error);
	for (r = b->head, i = 0; r != NULL; r = r->next, i++)
		r->kept = a[i].kept;
	free(a);
}

static void
queue_record_done(void *arg)
{
	struct queue_record_batch *b = arg;
	struct queue_runner *q = b->q;
	struct queue_record *r;

	q->recording = false;
	if (b->rc < 0)
		log_error("queue: %zu attempts not recorded: %s", b->n,
			  b->error);
	while ((r = b->head) != NULL) {
		b->head = r->next;
		if (b->rc < 0)
			log_error("queue id=%lld not recorded",
				  (long long)r->m->e.id);
		else if (r->kept == 0)
			log_info("queue id=%lld done", (long long)r->m->e.id);
		else
			log_info("queue id=%lld deferred next=%llds",
				 (long long)r->m->e.id,
				 (long long)(r->next_attempt - r->m->now));
		queue_msg_free(r->m);
		free(r->o);
		free(r);
		queue_runner_unbusy(q);
	}
	free(b);
	queue_record_start(q);
}

/* Write what waits, up to QUEUE_RECORD_BATCH_MAX attempts, unless a
   batch is being written (its end starts the next). */
static void
queue_record_start(struct queue_runner *q)
{
	struct queue_record_batch *b;
	struct queue_record **rp;

	if (q->recording || q->rec_head == NULL)
		return;
	b = xzalloc(sizeof(*b));
	b->q = q;
	b->head = q->rec_head;
	for (rp = &q->rec_head; *rp != NULL && b->n < QUEUE_RECORD_BATCH_MAX;
	     rp = &(*rp)->next)
		b->n++;
	q->rec_head = *rp;
	*rp = NULL;
	if (q->rec_head == NULL)
		q->rec_tail = &q->rec_head;
	q->n_rec -= b->n;
	q->recording = true;
	pool_submit(q->pool, queue_record_work, queue_record_done, b);
}

static void
queue_record_add(struct queue_runner *q, struct queue_record *r)
{
	r->next = NULL;
	*q->rec_tail = r;
	q->rec_tail = &r->next;
	q->n_rec++;
	queue_record_start(q);
}

static void
queue_msg_record(struct queue_msg *m)
{
	const struct config *cfg = *m->q->cfgp;
	struct queue_record *r = xzalloc(sizeof(*r));
	size_t i;

	r->m = m;
	r->o = xzalloc((m->e.n_rcpts + 1) * sizeof(*r->o));
	r->final = true;
	for (i = 0; i < m->e.n_rcpts; i++) {
		if (!m->res[i].tried) {
			r->final = false;
			continue;
		}
		r->o[r->n].address = m->e.rcpts[i].address;
		r->o[r->n].state = m->res[i].state;
		r->o[r->n].reply = m->res[i].reply;
		r->o[r->n].mta = m->res[i].mta[0] ? m->res[i].mta : NULL;
		if (m->res[i].state != STORE_QRCPT_DELIVERED &&
		    m->res[i].state != STORE_QRCPT_FAILED)
			r->final = false;
		r->n++;
	}
	r->next_attempt = m->now + (int64_t)(queue_sched_backoff(
						 (unsigned)m->e.attempts + 1,
						 cfg->queue_retry_ms,
						 cfg->queue_retry_max_ms) /
					     1000);
	if (r->next_attempt <= m->now)
		r->next_attempt = m->now + 1;
	queue_record_add(m->q, r);
}

/* A DSN from <> to the entry's sender: the sender's INBOX when local,
   else the queue (RFC 3461 5.2.1: it asks for no DSN itself). */
struct queue_dsn_job {
	struct queue_msg *m;
	struct store_delivery d;
	struct mime_msg_info info;
	struct store_remote_rcpt remote;
	int64_t account;
};

static void
queue_dsn_stored(void *arg, int ok, const char *error)
{
	struct queue_dsn_job *j = arg;
	struct queue_msg *m = j->m;

	if (ok) {
		log_info("queue id=%lld dsn to=<%s> stored", (long long)m->e.id,
			 m->e.sender);
		if (j->d.n_remote > 0)
			queue_runner_kick(m->q); /* send it now */
	} else {
		log_error("queue id=%lld dsn to=<%s> not stored: %s",
			  (long long)m->e.id, m->e.sender, error);
	}
	mime_msg_info_clear(&j->info);
	free(j);
	if (--m->dsn_pending == 0)
		queue_msg_record(m);
}

static void
queue_dsn_store(struct queue_msg *m, const struct buf *msg)
{
	struct queue_runner *q = m->q;
	const struct config *cfg = *q->cfgp;
	struct queue_dsn_job *j = xzalloc(sizeof(*j));
	const char *at = strrchr(m->e.sender, '@');

	j->m = m;
	m->dsn_pending++;
	if (at != NULL && config_is_local_domain(cfg, at + 1)) {
		if (store_lookup_account(q->store, m->e.sender,
					 cfg->smtp_recipient_delimiter,
					 &j->account) <= 0) {
			queue_dsn_stored(j, 0, "no mailbox for the sender");
			return;
		}
		j->d.accounts = &j->account;
		j->d.n_accounts = 1;
	} else {
		j->remote.address = m->e.sender;
		j->remote.notify = SMTP_NOTIFY_NEVER;
		j->d.remote = &j->remote;
		j->d.n_remote = 1;
	}
	j->d.sender = "";
	j->d.internaldate = m->now;
	store_deliver_buf(q->store, &j->d, &j->info, buf_rptr(msg),
			  buf_len(msg), queue_dsn_stored, j);
}

struct queue_bounce_job {
	struct queue_msg *m;
	char *hostname;
};

static void
queue_bounce_work(void *arg)
{
	struct queue_bounce_job *b = arg;

	queue_bounce_build(b->m, b->hostname);
}

static void
queue_bounce_done(void *arg)
{
	struct queue_bounce_job *b = arg;
	struct queue_msg *m = b->m;
	int i;

	free(b->hostname);
	free(b);
	/* the DSNs are durable before the recipients are marked: a crash
	   in between sends them twice, never not at all */
	m->dsn_pending = 1;
	for (i = 0; i < 2; i++)
		if (buf_len(&m->dsn[i]) > 0)
			queue_dsn_store(m, &m->dsn[i]);
	if (--m->dsn_pending == 0)
		queue_msg_record(m);
}

/* Every job of m is done: decide each recipient's state, then DSNs,
   then record.  Holds one busy count until the record is written. */
static void
queue_msg_finish(struct queue_msg *m)
{
	struct queue_runner *q = m->q;
	const struct config *cfg = *q->cfgp;
	bool null_sender = m->e.sender[0] == '\0', dsn = false;
	bool expired;
	size_t i;

	queue_runner_busy(q);
	for (i = 0; i < m->e.n_rcpts && !m->res[i].tried; i++)
		;
	if (q->stopping && i == m->e.n_rcpts)
		m->now = -1;
	if (m->now < 0) { /* stopping before the attempt */
		struct queue_record *r = xzalloc(sizeof(*r));

		m->now = (int64_t)time(NULL);
		r->m = m;
		r->next_attempt = m->e.next_attempt;
		queue_record_add(q, r);
		return;
	}
	m->now = (int64_t)time(NULL);
	expired = queue_sched_expired(m->e.created, m->now,
				      cfg->queue_lifetime_ms);
	for (i = 0; i < m->e.n_rcpts; i++) {
		struct queue_res *r = &m->res[i];
		const struct store_queue_rcpt *qr = &m->e.rcpts[i];

		if (!r->tried)
			continue;
		switch (r->verdict) {
		case QUEUE_DELIVERED:
			r->state = STORE_QRCPT_DELIVERED;
			break;
		case QUEUE_FAILED:
			r->state = STORE_QRCPT_FAILED;
			break;
		case QUEUE_RETRY:
			r->state = qr->state;
			if (expired) {
				/* RFC 3463 4.4.7: delivery time expired */
				char why[QUEUE_REPLY_MAX];

				snprintf(why, sizeof(why),
					 "delivery time expired; last error: "
					 "%.400s",
					 r->reply);
				snprintf(r->reply, sizeof(r->reply), "%s", why);
				snprintf(r->status, sizeof(r->status),
					 "4.4.7");
				r->state = STORE_QRCPT_FAILED;
			} else if (queue_sched_warn_due(
				       m->e.created, m->now,
				       cfg->queue_delay_warning_ms,
				       qr->state == STORE_QRCPT_DELAYED,
				       null_sender, qr->notify)) {
				r->dsn_delayed = true;
				r->state = STORE_QRCPT_DELAYED;
				dsn = true;
			}
			break;
		}
		if (r->state == STORE_QRCPT_FAILED &&
		    queue_sched_bounce_wanted(null_sender, qr->notify)) {
			r->dsn_failed = true;
			dsn = true;
		}
		if (r->state == STORE_QRCPT_FAILED)
			log_info("queue id=%lld to=<%s> failed: %s%s",
				 (long long)m->e.id, qr->address, r->reply,
				 r->dsn_failed ? " (bounced)" : "");
	}
	if (dsn) {
		struct queue_bounce_job *b = xzalloc(sizeof(*b));

		b->m = m;
		b->hostname = xstrdup(cfg->hostname);
		pool_submit(q->pool, queue_bounce_work, queue_bounce_done, b);
		return;
	}
	queue_msg_record(m);
}

/* ---- life cycle ---- */

struct queue_runner *
queue_runner_new(struct ev *ev, struct pool *pool, struct store *store,
		 struct config *const *cfgp, const char **error_r)
{
	struct queue_runner *q;
	const char *error;

	if (store_queue_unlock_all(store, &error) < 0) {
		*error_r = "cannot reset the queue's in-flight marks";
		log_error("queue: %s", error);
		return NULL;
	}
	q = xzalloc(sizeof(*q));
	q->ev = ev;
	q->pool = pool;
	q->store = store;
	q->cfgp = cfgp;
	q->data_dir = xstrdup((*cfgp)->data_dir);
	q->rec_tail = &q->rec_head;
	if ((q->tls = tls_client_ctx()) == NULL) {
		free(q->data_dir);
		free(q);
		*error_r = "cannot make a TLS client context";
		return NULL;
	}
	queue_runner_arm(q, 0);
	return q;
}

void
queue_runner_stop(struct queue_runner *q, void (*on_idle)(void *), void *arg)
{
	struct queue_dest *d;

	q->stopping = true;
	q->on_idle = on_idle;
	q->idle_arg = arg;
	if (q->timer != 0) {
		ev_del_timer(q->ev, q->timer);
		q->timer = 0;
	}
	/* jobs not started stay due, untouched; sessions end at their next
	   event (queue_sess_send_next quits when stopping) */
	for (d = q->dests; d != NULL; d = d->next) {
		struct queue_job *j;

		while ((j = queue_dest_pop(d)) != NULL)
			queue_job_done(j);
	}
	if (q->busy == 0 && on_idle != NULL)
		on_idle(arg);
}

void
queue_runner_free(struct queue_runner **qp)
{
	struct queue_runner *q = *qp;

	if (q == NULL)
		return;
	*qp = NULL;
	while (q->dests != NULL)
		queue_dest_unlink(q->dests);
	while (q->rec_head != NULL) { /* not written: stays due */
		struct queue_record *r = q->rec_head;

		q->rec_head = r->next;
		free(r->o);
		free(r);
	}
	while (q->msgs != NULL)
		queue_msg_free(q->msgs);
	dns_resolver_free(&q->resolver);
	SSL_CTX_free(q->tls);
	free(q->data_dir);
	free(q);
}

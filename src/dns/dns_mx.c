/* dns_mx.c: asynchronous MX routing (RFC 5321 5.1, RFC 7505) on libunbound. */
/* SPDX-License-Identifier: MIT */
#include "dns/dns_mx.h"
#include "log.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <unbound.h>

/*
 * libunbound runs in threaded async mode: ub_resolve_async() hands the
 * query to a resolver thread, whose answers come back through a pipe;
 * ub_fd() is its read end, watched by our loop, and ub_process() runs the
 * callbacks on the loop thread.  Callbacks never run from inside
 * ub_resolve_async() in this mode, so a lookup may start queries from any
 * context and count them without races.  ub_cancel() in this mode only
 * marks the query: the answer is still read from the pipe later and
 * freed by the library without calling us.
 *
 * One lookup is one MX query, then an A and an AAAA query per host, all
 * in flight together, under one deadline timer.
 */

/* Debian's dns-root-data package installs the root trust anchor here. */
#define DNS_TRUST_ANCHOR "/usr/share/dns/root.key"

#define DNS_T_A 1
#define DNS_T_MX 15
#define DNS_T_AAAA 28
#define DNS_CLASS_IN 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3

struct dns_resolver {
	struct ev *ev;
	struct ub_ctx *ub;
	int fd;
	unsigned timeout_ms;
	bool has_self;
	char self[DNS_NAME_TEXT_SIZE];
	dns_rand_fn *rnd;
	void *rnd_arg;
	struct dns_mx_lookup *lookups; /* in flight */
};

/* One libunbound query. */
struct dns_query {
	struct dns_mx_lookup *l;
	int id; /* for ub_cancel() */
	int qtype;
	size_t host; /* address queries: index in route->hosts */
	bool pending;
};

/* Address results of one host, merged into dns_host at the end. */
struct dns_host_acc {
	struct dns_addr *v6, *v4;
	size_t n6, n4;
	bool tempfail;
	bool insecure;
};

struct dns_mx_lookup {
	struct dns_resolver *r;
	struct dns_mx_lookup *prev, *next;
	dns_mx_done_fn *fn;
	void *arg;
	struct dns_route *route;
	bool decided; /* route->status is final (no address stage) */
	struct dns_query mxq;
	struct dns_query *aq;     /* 2 per host: AAAA, A */
	struct dns_host_acc *acc; /* 1 per host */
	size_t npending;
	uint64_t timer;
};

/* What one answer says. */
enum dns_answer {
	DNS_ANS_DATA,
	DNS_ANS_NODATA,
	DNS_ANS_NXDOMAIN,
	DNS_ANS_FAIL
};

static const char *const dns_status_names[] = {
    [DNS_OK] = "ok",
    [DNS_TEMPFAIL] = "tempfail",
    [DNS_NXDOMAIN] = "nxdomain",
    [DNS_NULL_MX] = "null-mx",
    [DNS_NO_ADDRESS] = "no-address",
    [DNS_LOOP] = "loop",
    [DNS_BAD_DOMAIN] = "bad-domain",
};

const char *
dns_status_name(enum dns_status st)
{
	if ((size_t)st < sizeof(dns_status_names) / sizeof(dns_status_names[0]))
		return dns_status_names[st];
	return "unknown";
}

bool
dns_status_permanent(enum dns_status st)
{
	return st != DNS_OK && st != DNS_TEMPFAIL;
}

void
dns_route_free(struct dns_route **routep)
{
	struct arena *a;

	if (*routep == NULL)
		return;
	a = (*routep)->arena;
	arena_free(&a);
	*routep = NULL;
}

/* ---- resolver ---- */

/* "ip", "ip:port", "[ipv6]:port", "[ipv6]" or a bare IPv6 address into
   libunbound's "ip@port".  Returns 1 or -1. */
static int
dns_forwarder_parse(const char *s, char *out, size_t outsize)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *colon = strchr(s, ':');
	unsigned char bin[16];
	size_t hlen;
	int family = AF_INET;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -1;
		hlen = (size_t)(end - s - 1);
		s++;
		port = end[1] == ':' ? end + 2 : NULL;
		family = AF_INET6;
	} else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		hlen = strlen(s);
		family = AF_INET6;
	} else {
		hlen = colon != NULL ? (size_t)(colon - s) : strlen(s);
		port = colon != NULL ? colon + 1 : NULL;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -1;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (inet_pton(family, host, bin) != 1)
		return -1;
	if (port != NULL) {
		char *end;
		unsigned long n;

		if (*port < '0' || *port > '9')
			return -1;
		n = strtoul(port, &end, 10);
		if (*end != '\0' || n == 0 || n > 65535)
			return -1;
		snprintf(out, outsize, "%s@%lu", host, n);
	} else {
		snprintf(out, outsize, "%s", host);
	}
	return 1;
}

static void
dns_resolver_readable(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct dns_resolver *r = arg;
	int rc;

	(void)ev;
	(void)fd;
	(void)events;
	if ((rc = ub_process(r->ub)) != 0)
		log_error("dns process error=\"%s\"", ub_strerror(rc));
}

/* Apply cfg to a fresh context.  Returns NULL or a static error. */
static const char *
dns_resolver_setup(struct ub_ctx *ub, const struct dns_config *cfg)
{
	const char *ta = cfg->trust_anchor;
	char fwd[INET6_ADDRSTRLEN + 8];
	int rc;

	if ((rc = ub_ctx_async(ub, 1)) != 0)
		return ub_strerror(rc);
	/* A forwarder on loopback (a local cache, systemd-resolved, a test
	   server) is normal for a mail host. */
	if ((rc = ub_ctx_set_option(ub, "do-not-query-localhost:", "no")) != 0)
		return ub_strerror(rc);
	if (cfg->forwarder != NULL) {
		if (dns_forwarder_parse(cfg->forwarder, fwd, sizeof(fwd)) < 0)
			return "bad DNS forwarder (want ip, ip:port or "
			       "[ipv6]:port)";
		if ((rc = ub_ctx_set_fwd(ub, fwd)) != 0)
			return ub_strerror(rc);
	} else if (ub_ctx_resolvconf(ub, cfg->resolv_conf) != 0) {
		return "cannot read the nameservers of resolv.conf";
	}
	if (ta == NULL)
		ta =
		    access(DNS_TRUST_ANCHOR, R_OK) == 0 ? DNS_TRUST_ANCHOR : "";
	if (ta[0] != '\0') {
		if (access(ta, R_OK) != 0)
			return "cannot read the DNSSEC trust anchor file";
		if ((rc = ub_ctx_add_ta_file(ub, ta)) != 0)
			return ub_strerror(rc);
	}
	/* Without a trust anchor the validator could only mark everything
	   insecure: leave it out. */
	rc = ub_ctx_set_option(ub, "module-config:",
			       ta[0] != '\0' ? "validator iterator"
					     : "iterator");
	if (rc != 0)
		return ub_strerror(rc);
	/* Adding a zone finalizes the context, which reads the trust anchor
	   now, so a bad file stops start-up instead of failing every
	   lookup.  "invalid." is already one of libunbound's default static
	   zones (RFC 6761 6.4), so this changes nothing else. */
	if ((rc = ub_ctx_zone_add(ub, "invalid.", "static")) != 0)
		return ta[0] != '\0' ? "bad DNSSEC trust anchor file"
				     : ub_strerror(rc);
	return NULL;
}

struct dns_resolver *
dns_resolver_new(struct ev *ev, const struct dns_config *cfg,
		 const char **error_r)
{
	struct dns_resolver *r;
	const char *err;

	r = xzalloc(sizeof(*r));
	r->ev = ev;
	r->timeout_ms =
	    cfg->timeout_ms != 0 ? cfg->timeout_ms : DNS_LOOKUP_TIMEOUT_MS;
	r->rnd = cfg->rnd != NULL ? cfg->rnd : dns_order_random;
	r->rnd_arg = cfg->rnd_arg;
	if (cfg->myhostname != NULL) {
		if (dns_rdata_domain(cfg->myhostname, r->self) < 0) {
			*error_r = "bad host name for the MX loop check";
			free(r);
			return NULL;
		}
		r->has_self = true;
	}
	if ((r->ub = ub_ctx_create()) == NULL) {
		*error_r = "cannot create a libunbound context";
		free(r);
		return NULL;
	}
	if ((err = dns_resolver_setup(r->ub, cfg)) != NULL) {
		*error_r = err;
		ub_ctx_delete(r->ub);
		free(r);
		return NULL;
	}
	r->fd = ub_fd(r->ub);
	if (r->fd < 0 ||
	    ev_add_fd(ev, r->fd, EV_READ, dns_resolver_readable, r) < 0) {
		*error_r = "cannot watch the libunbound result pipe";
		ub_ctx_delete(r->ub);
		free(r);
		return NULL;
	}
	return r;
}

void
dns_resolver_free(struct dns_resolver **rp)
{
	struct dns_resolver *r = *rp;

	if (r == NULL)
		return;
	while (r->lookups != NULL) {
		struct dns_mx_lookup *l = r->lookups;

		dns_mx_cancel(&l);
	}
	ev_del_fd(r->ev, r->fd);
	ub_ctx_delete(r->ub);
	free(r);
	*rp = NULL;
}

/* ---- one lookup ---- */

static void dns_mx_ub_done(void *arg, int err, struct ub_result *res);

/* Start q for name.  Returns 0, or -1 when libunbound refuses it. */
static int
dns_query_start(struct dns_mx_lookup *l, struct dns_query *q, const char *name,
		int qtype)
{
	int rc;

	q->l = l;
	q->qtype = qtype;
	rc = ub_resolve_async(l->r->ub, name, qtype, DNS_CLASS_IN, q,
			      dns_mx_ub_done, &q->id);
	if (rc != 0) {
		log_error("dns query name=%s type=%d error=\"%s\"", name, qtype,
			  ub_strerror(rc));
		return -1;
	}
	q->pending = true;
	l->npending++;
	return 0;
}

static void
dns_query_cancel(struct dns_mx_lookup *l, struct dns_query *q)
{
	if (!q->pending)
		return;
	(void)ub_cancel(l->r->ub, q->id);
	q->pending = false;
	l->npending--;
}

static void
dns_mx_cancel_queries(struct dns_mx_lookup *l)
{
	dns_query_cancel(l, &l->mxq);
	for (size_t i = 0; l->aq != NULL && i < 2 * l->route->nhosts; i++)
		dns_query_cancel(l, &l->aq[i]);
}

static void
dns_mx_release(struct dns_mx_lookup *l)
{
	struct dns_resolver *r = l->r;

	if (l->prev != NULL)
		l->prev->next = l->next;
	else
		r->lookups = l->next;
	if (l->next != NULL)
		l->next->prev = l->prev;
	ev_del_timer(r->ev, l->timer);
	free(l->aq);
	free(l->acc);
	free(l);
}

/* Fix the final route, hand it over, free the lookup. */
static void
dns_mx_finish(struct dns_mx_lookup *l)
{
	struct dns_route *route = l->route;
	dns_mx_done_fn *fn = l->fn;
	void *arg = l->arg;

	dns_mx_cancel_queries(l);
	if (!l->decided) {
		bool any_ok = false, any_temp = false;

		for (size_t i = 0; i < route->nhosts; i++) {
			struct dns_host *h = &route->hosts[i];
			struct dns_host_acc *a = &l->acc[i];

			h->naddrs = a->n6 + a->n4;
			h->addrs = arena_alloc(
			    route->arena, (h->naddrs + 1) * sizeof(*h->addrs));
			if (a->n6 > 0)
				memcpy(h->addrs, a->v6, a->n6 * sizeof(*a->v6));
			if (a->n4 > 0)
				memcpy(h->addrs + a->n6, a->v4,
				       a->n4 * sizeof(*a->v4));
			h->secure = !a->insecure && !a->tempfail;
			h->status = h->naddrs > 0 ? DNS_OK
				    : a->tempfail ? DNS_TEMPFAIL
						  : DNS_NO_ADDRESS;
			any_ok |= h->status == DNS_OK;
			any_temp |= h->status == DNS_TEMPFAIL;
		}
		/* RFC 5321 5.1: MX records present but none usable, or an
		   unusable implicit MX, is an error: permanent when every
		   name answered, temporary when some lookup may yet work. */
		if (any_ok) {
			route->status = DNS_OK;
		} else if (any_temp) {
			route->status = DNS_TEMPFAIL;
			route->error = arena_printf(
			    route->arena,
			    "address lookup for the %s of %s failed",
			    route->implicit ? "domain" : "MX hosts",
			    route->domain);
		} else {
			route->status = DNS_NO_ADDRESS;
			route->error = arena_printf(
			    route->arena, "%s of %s has no A or AAAA record",
			    route->implicit ? "the domain (no MX)"
					    : "no MX host",
			    route->domain);
		}
	}
	if (route->status != DNS_OK && route->status != DNS_TEMPFAIL &&
	    route->status != DNS_NO_ADDRESS)
		route->nhosts = 0;
	dns_mx_release(l);
	fn(route, arg);
}

static void
dns_mx_decide(struct dns_mx_lookup *l, enum dns_status st, const char *error)
{
	l->route->status = st;
	l->route->error = error;
	l->decided = true;
}

/* Classify a libunbound answer; *why_r explains DNS_ANS_FAIL. */
static enum dns_answer
dns_classify(int err, const struct ub_result *res, struct arena *a,
	     const char **why_r)
{
	if (err != 0 || res == NULL) {
		*why_r = ub_strerror(err);
		return DNS_ANS_FAIL;
	}
	if (res->bogus) {
		*why_r = arena_printf(a, "DNSSEC validation failed: %s",
				      res->why_bogus != NULL ? res->why_bogus
							     : "bogus");
		return DNS_ANS_FAIL;
	}
	if (res->rcode == 0)
		return res->havedata ? DNS_ANS_DATA : DNS_ANS_NODATA;
	if (res->rcode == DNS_RCODE_NXDOMAIN)
		return DNS_ANS_NXDOMAIN;
	*why_r = res->rcode == DNS_RCODE_SERVFAIL
		     ? "SERVFAIL"
		     : arena_printf(a, "rcode %d", res->rcode);
	return DNS_ANS_FAIL;
}

/* Add the addresses of an A or AAAA answer to its host. */
static void
dns_mx_got_addr(struct dns_mx_lookup *l, struct dns_query *q, int err,
		const struct ub_result *res)
{
	struct dns_host_acc *a = &l->acc[q->host];
	int family = q->qtype == DNS_T_A ? AF_INET : AF_INET6;
	struct dns_addr *list;
	size_t n = 0;
	const char *why;

	switch (dns_classify(err, res, l->route->arena, &why)) {
	case DNS_ANS_FAIL:
		log_info("dns lookup name=%s type=%s error=\"%s\"",
			 l->route->hosts[q->host].name,
			 family == AF_INET ? "A" : "AAAA", why);
		a->tempfail = true;
		return;
	case DNS_ANS_NODATA:
	case DNS_ANS_NXDOMAIN:
		a->insecure |= !res->secure;
		return;
	case DNS_ANS_DATA:
		break;
	}
	a->insecure |= !res->secure;
	list = arena_alloc(l->route->arena, DNS_HOST_ADDRS_MAX * sizeof(*list));
	for (size_t i = 0; res->data[i] != NULL && n < DNS_HOST_ADDRS_MAX; i++)
		if (dns_rdata_addr(family, (const uint8_t *)res->data[i],
				   (size_t)res->len[i], &list[n]) > 0)
			n++;
	if (family == AF_INET) {
		a->v4 = list;
		a->n4 = n;
	} else {
		a->v6 = list;
		a->n6 = n;
	}
}

/* Start A and AAAA lookups of every host in route->hosts. */
static void
dns_mx_start_addrs(struct dns_mx_lookup *l)
{
	struct dns_route *route = l->route;

	l->aq = xcalloc(2 * route->nhosts, sizeof(*l->aq));
	l->acc = xcalloc(route->nhosts, sizeof(*l->acc));
	for (size_t i = 0; i < route->nhosts; i++) {
		const char *name = route->hosts[i].name;

		l->aq[2 * i].host = l->aq[2 * i + 1].host = i;
		if (dns_query_start(l, &l->aq[2 * i], name, DNS_T_AAAA) < 0 ||
		    dns_query_start(l, &l->aq[2 * i + 1], name, DNS_T_A) < 0)
			l->acc[i].tempfail = true;
	}
}

/* Turn an MX answer with data into route->hosts.  Returns false when the
   route is decided (null MX, loop, nothing parseable). */
static bool
dns_mx_hosts(struct dns_mx_lookup *l, const struct ub_result *res)
{
	struct dns_route *route = l->route;
	struct dns_resolver *r = l->r;
	struct dns_mx_rr *rrs;
	size_t n = 0, nroot = 0, kept;

	rrs = arena_alloc(route->arena, DNS_MX_RRS_MAX * sizeof(*rrs));
	for (size_t i = 0; res->data[i] != NULL && n < DNS_MX_RRS_MAX; i++) {
		char host[DNS_NAME_TEXT_SIZE];

		if (dns_rdata_mx((const uint8_t *)res->data[i],
				 (size_t)res->len[i], &rrs[n].pref, host) < 0)
			continue;
		rrs[n].host = arena_strdup(route->arena, host);
		nroot += strcmp(host, ".") == 0;
		n++;
	}
	if (n == 0) {
		dns_mx_decide(l, DNS_TEMPFAIL,
			      arena_printf(route->arena,
					   "MX records of %s are malformed",
					   route->domain));
		return false;
	}
	/* RFC 7505 3: a null MX is a single MX RR with preference 0 and the
	   root as exchange.  A lone root exchange with another preference
	   can only mean the same (it has no address), so it is taken as one
	   too; a root mixed with real hosts is dropped by dns_order_mx(). */
	if (nroot == n) {
		dns_mx_decide(l, DNS_NULL_MX,
			      arena_printf(route->arena,
					   "domain %s accepts no mail (null "
					   "MX, RFC 7505)",
					   route->domain));
		return false;
	}
	kept = dns_order_mx(rrs, n, r->has_self ? r->self : NULL, r->rnd,
			    r->rnd_arg);
	if (kept == 0) {
		dns_mx_decide(l, DNS_LOOP,
			      arena_printf(route->arena,
					   "mail for %s loops back to myself "
					   "(%s is its best MX)",
					   route->domain, r->self));
		return false;
	}
	if (kept > DNS_MX_HOSTS_MAX)
		kept = DNS_MX_HOSTS_MAX;
	route->hosts = arena_alloc(route->arena, kept * sizeof(*route->hosts));
	for (size_t i = 0; i < kept; i++) {
		route->hosts[i].name = rrs[i].host;
		route->hosts[i].pref = rrs[i].pref;
	}
	route->nhosts = kept;
	return true;
}

static void
dns_mx_got_mx(struct dns_mx_lookup *l, int err, const struct ub_result *res)
{
	struct dns_route *route = l->route;
	const char *why;

	switch (dns_classify(err, res, route->arena, &why)) {
	case DNS_ANS_FAIL:
		dns_mx_decide(l, DNS_TEMPFAIL,
			      arena_printf(route->arena,
					   "MX lookup for %s failed: %s",
					   route->domain, why));
		return;
	case DNS_ANS_NXDOMAIN:
		dns_mx_decide(l, DNS_NXDOMAIN,
			      arena_printf(route->arena,
					   "domain %s does not exist",
					   route->domain));
		return;
	case DNS_ANS_NODATA:
		/* RFC 5321 5.1: no MX records: the domain itself is the
		   implicit MX, preference 0. */
		route->secure = res->secure;
		route->implicit = true;
		route->hosts = arena_alloc(route->arena, sizeof(*route->hosts));
		route->hosts[0].name = route->domain;
		route->nhosts = 1;
		break;
	case DNS_ANS_DATA:
		route->secure = res->secure;
		if (!dns_mx_hosts(l, res))
			return;
		break;
	}
	dns_mx_start_addrs(l);
}

static void
dns_mx_ub_done(void *arg, int err, struct ub_result *res)
{
	struct dns_query *q = arg;
	struct dns_mx_lookup *l = q->l;

	q->pending = false;
	l->npending--;
	if (q == &l->mxq)
		dns_mx_got_mx(l, err, res);
	else
		dns_mx_got_addr(l, q, err, res);
	ub_resolve_free(res);
	if (l->npending == 0)
		dns_mx_finish(l);
}

static void
dns_mx_timeout(struct ev *ev, void *arg)
{
	struct dns_mx_lookup *l = arg;
	struct dns_route *route = l->route;

	(void)ev;
	l->timer = 0;
	if (l->mxq.pending) {
		dns_mx_decide(l, DNS_TEMPFAIL,
			      arena_printf(route->arena,
					   "MX lookup for %s timed out",
					   route->domain));
	} else {
		for (size_t i = 0; i < 2 * route->nhosts; i++)
			if (l->aq[i].pending)
				l->acc[l->aq[i].host].tempfail = true;
	}
	dns_mx_finish(l);
}

struct dns_mx_lookup *
dns_mx_lookup(struct dns_resolver *r, const char *domain, dns_mx_done_fn *fn,
	      void *arg)
{
	struct dns_mx_lookup *l = xzalloc(sizeof(*l));
	struct arena *a = arena_new("dns_route", 4096);
	struct dns_route *route = arena_alloc(a, sizeof(*route));
	char canon[DNS_NAME_TEXT_SIZE];

	route->arena = a;
	route->error = "";
	l->r = r;
	l->fn = fn;
	l->arg = arg;
	l->route = route;
	l->next = r->lookups;
	if (l->next != NULL)
		l->next->prev = l;
	r->lookups = l;
	if (dns_rdata_domain(domain, canon) < 0) {
		route->domain = arena_strdup(a, domain);
		dns_mx_decide(
		    l, DNS_BAD_DOMAIN,
		    arena_printf(a, "%s is not a valid domain name", domain));
	} else {
		route->domain = arena_strdup(a, canon);
		if (dns_query_start(l, &l->mxq, route->domain, DNS_T_MX) < 0)
			dns_mx_decide(l, DNS_TEMPFAIL,
				      arena_printf(a,
						   "MX lookup for %s could not "
						   "start",
						   route->domain));
	}
	/* With nothing in flight, the timer runs the callback on the next
	   loop turn: never from inside this call. */
	l->timer = ev_add_timer(r->ev, l->npending > 0 ? r->timeout_ms : 0,
				dns_mx_timeout, l);
	return l;
}

void
dns_mx_cancel(struct dns_mx_lookup **lp)
{
	struct dns_mx_lookup *l = *lp;

	if (l == NULL)
		return;
	dns_mx_cancel_queries(l);
	dns_route_free(&l->route);
	dns_mx_release(l);
	*lp = NULL;
}

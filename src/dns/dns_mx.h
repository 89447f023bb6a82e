/* dns_mx.h: asynchronous MX routing (RFC 5321 5.1, RFC 7505) on libunbound. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_DNS_MX_H
#define BUZON_DNS_MX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "ev.h"
#include "dns/dns_order.h"
#include "dns/dns_rdata.h"

/* Resolver settings.  Every field may be zero/NULL for the default. */
struct dns_config {
	/* "ip", "ip:port", "[ipv6]:port" or a bare IPv6 address: the one
	   recursive server to ask.  NULL: the nameservers of resolv_conf. */
	const char *forwarder;
	/* NULL: /etc/resolv.conf. */
	const char *resolv_conf;
	/* DNSSEC: a file of root DS/DNSKEY records.  NULL:
	   /usr/share/dns/root.key (Debian's dns-root-data) if it is
	   readable, else no validation; "": no validation.  With a trust
	   anchor, bogus answers are temporary failures and routes say
	   whether they were validated (dns_route.secure, dns_host.secure);
	   the forwarder must then pass DNSSEC records through. */
	const char *trust_anchor;
	/* Our own host name: MX hosts at or after it are dropped (RFC 5321
	   5.1).  NULL: no such check. */
	const char *myhostname;
	/* Deadline of one dns_mx_lookup(), MX and addresses together.
	   0: DNS_LOOKUP_TIMEOUT_MS. */
	unsigned timeout_ms;
	/* Order of equal preferences.  NULL: dns_order_random.  rnd_arg
	   is kept: it must outlive the resolver. */
	dns_rand_fn *rnd;
	void *rnd_arg;
};

/* The outcome of a lookup, or of one host's address lookups. */
enum dns_status {
	DNS_OK,         /* at least one address */
	DNS_TEMPFAIL,   /* SERVFAIL, timeout, DNSSEC bogus: try later */
	DNS_NXDOMAIN,   /* the domain does not exist: permanent */
	DNS_NULL_MX,    /* RFC 7505 null MX, no mail wanted: permanent */
	DNS_NO_ADDRESS, /* no MX host (or the domain) has an address: perm. */
	DNS_LOOP,       /* we are the best MX (RFC 5321 5.1): permanent */
	DNS_BAD_DOMAIN, /* not a host name (see dns_rdata_domain()): perm. */
};

/* Static lower-case name of a status ("ok", "tempfail", ...). */
const char *dns_status_name(enum dns_status st);
/* True for the statuses that must bounce rather than be retried. */
bool dns_status_permanent(enum dns_status st);

struct dns_host {
	const char *name; /* canonical text: lower case, no trailing dot */
	uint16_t pref;    /* MX preference (0 for the implicit MX) */
	/* DNS_OK (naddrs > 0), DNS_TEMPFAIL (some lookup failed and none
	   gave an address) or DNS_NO_ADDRESS (no A and no AAAA). */
	enum dns_status status;
	bool secure;   /* both address lookups DNSSEC-validated */
	size_t naddrs; /* IPv6 first, then IPv4, each in DNS order */
	struct dns_addr *addrs;
};

/* A route to a domain.  Everything hangs off arena: one dns_route_free()
   releases it all. */
struct dns_route {
	struct arena *arena;
	const char *domain; /* canonical text */
	enum dns_status status;
	/* One line for logs and DSN diagnostics (never NULL; "" when OK). */
	const char *error;
	bool implicit; /* no MX: the domain's own addresses (5.1) */
	bool secure;   /* the MX answer (or its absence) validated */
	/* In the order to try: ascending preference, equal preferences
	   shuffled.  With DNS_OK, hosts without addresses stay in the list
	   (status says why) so the caller can say every MX was considered.
	   Empty unless status is DNS_OK, DNS_TEMPFAIL or DNS_NO_ADDRESS. */
	size_t nhosts;
	struct dns_host *hosts;
};

/* Free a route (NULL is fine) and set *routep = NULL. */
void dns_route_free(struct dns_route **routep);

struct dns_resolver;
struct dns_mx_lookup;

/* A libunbound context in threaded async mode whose result pipe is
   watched by ev; lookups run in its thread, callbacks on the loop thread.
   Returns NULL with *error_r set (a static string) on a bad forwarder or
   host name, an unreadable resolv.conf, an unreadable or unparsable trust
   anchor.  cfg and its strings are copied or used before returning; ev
   must outlive the resolver. */
struct dns_resolver *dns_resolver_new(struct ev *ev,
				      const struct dns_config *cfg,
				      const char **error_r);
/* Cancel every lookup still in flight (their callbacks never run and
   their handles become invalid), stop the resolver thread, free, set
   *rp = NULL.  Not from inside a dns_mx_done_fn. */
void dns_resolver_free(struct dns_resolver **rp);

/* Called once on the loop thread with the route, which the callee owns
   (dns_route_free()).  The lookup handle is gone by then.  The callback
   may start and cancel other lookups. */
typedef void dns_mx_done_fn(struct dns_route *route, void *arg);

/* Start routing mail for domain (a mail address's domain; see
   dns_rdata_domain() for what is accepted): MX records, or the
   implicit MX, then A and AAAA of every host in parallel.  Never NULL;
   fn never runs before this returns.  The handle stays valid until fn
   runs or dns_mx_cancel(). */
struct dns_mx_lookup *dns_mx_lookup(struct dns_resolver *r, const char *domain,
				    dns_mx_done_fn *fn, void *arg);
/* Abandon a lookup whose callback has not run: it never will.  NULL is
   fine.  Sets *lp = NULL. */
void dns_mx_cancel(struct dns_mx_lookup **lp);

#endif

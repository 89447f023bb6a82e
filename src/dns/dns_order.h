/* dns_order.h: the order in which MX hosts are tried (RFC 5321 5.1), pure. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_DNS_ORDER_H
#define BUZON_DNS_ORDER_H

#include <stddef.h>
#include <stdint.h>

/* One MX record: preference and exchange host (canonical text, as from
   dns_rdata_mx(): lower case, no trailing dot, "." for the root). */
struct dns_mx_rr {
	uint16_t pref;
	const char *host;
};

/* A uniform random number in [0, bound), bound >= 1.  Production code
   passes dns_order_random (arc4random_uniform); tests pass their own. */
typedef uint32_t dns_rand_fn(void *arg, uint32_t bound);
uint32_t dns_order_random(void *arg, uint32_t bound);

/* Put rrs[0..n) in the order to try them, in place, and return how many
   remain at the front:
   - ascending preference, equal preferences in random order (RFC 5321
     5.1: "randomize them to spread the load"), each permutation of a
     group equally likely given a uniform rnd;
   - the root name "." (a null MX mixed with real ones, which RFC 7505 3
     forbids; the caller spots a lone null MX before calling) and
     repeated hosts (the lowest preference is kept) are dropped;
   - when self (our own host name, canonical text) is not NULL and is one
     of the hosts, that host and every host with the same or a higher
     preference value are dropped (RFC 5321 5.1), so 0 may be returned
     for a non-empty list: mail for the domain would loop back to us.
   The host pointers are moved, never copied or freed. */
size_t dns_order_mx(struct dns_mx_rr *rrs, size_t n, const char *self,
		    dns_rand_fn *rnd, void *rnd_arg);

#endif

/* dns_order.c: the order in which MX hosts are tried (RFC 5321 5.1), pure. */
/* SPDX-License-Identifier: MIT */
#include "dns/dns_order.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

uint32_t
dns_order_random(void *arg, uint32_t bound)
{
	(void)arg;
	return arc4random_uniform(bound);
}

/* Stable insertion sort by preference: MX sets are small, and keeping the
   DNS order before shuffling makes the result a pure function of rnd. */
static void
dns_order_sort(struct dns_mx_rr *rrs, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct dns_mx_rr x = rrs[i];
		size_t j = i;

		while (j > 0 && rrs[j - 1].pref > x.pref) {
			rrs[j] = rrs[j - 1];
			j--;
		}
		rrs[j] = x;
	}
}

/* Fisher-Yates over rrs[0..n). */
static void
dns_order_shuffle(struct dns_mx_rr *rrs, size_t n, dns_rand_fn *rnd,
		  void *rnd_arg)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd(rnd_arg, (uint32_t)i);
		struct dns_mx_rr t = rrs[i - 1];

		rrs[i - 1] = rrs[j];
		rrs[j] = t;
	}
}

size_t
dns_order_mx(struct dns_mx_rr *rrs, size_t n, const char *self,
	     dns_rand_fn *rnd, void *rnd_arg)
{
	size_t out = 0;

	dns_order_sort(rrs, n);
	/* Drop the root and repeats; after the sort the first occurrence of
	   a host has its lowest preference. */
	for (size_t i = 0; i < n; i++) {
		bool dup = strcmp(rrs[i].host, ".") == 0;

		for (size_t k = 0; k < out && !dup; k++)
			dup = strcmp(rrs[k].host, rrs[i].host) == 0;
		if (!dup)
			rrs[out++] = rrs[i];
	}
	/* RFC 5321 5.1: if we are one of the MX hosts, only hosts with a
	   strictly lower preference value than ours may be used. */
	if (self != NULL) {
		for (size_t i = 0; i < out; i++) {
			if (strcmp(rrs[i].host, self) == 0) {
				uint16_t mine = rrs[i].pref;

				while (i > 0 && rrs[i - 1].pref == mine)
					i--;
				out = i;
				break;
			}
		}
	}
	for (size_t i = 0; i < out;) {
		size_t k = i + 1;

		while (k < out && rrs[k].pref == rrs[i].pref)
			k++;
		dns_order_shuffle(rrs + i, k - i, rnd, rnd_arg);
		i = k;
	}
	return out;
}

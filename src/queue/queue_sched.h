/* queue_sched.h: pure scheduling rules of the outbound queue: backoff,
   lifetime, delay warnings, result classes, destinations. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_QUEUE_SCHED_H
#define BUZON_QUEUE_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns_rdata.h"

/* The wait after the attempts-th failed attempt (attempts >= 1): retry,
   then doubling per attempt, never above retry_max (issue 5: about 5 min
   doubling up to 1 h).  attempts 0 is treated as 1.  Saturates. */
uint64_t queue_sched_backoff(unsigned attempts, uint64_t retry_ms,
			     uint64_t retry_max_ms);

/* The entry created at created (unix s) has passed its lifetime at now. */
bool queue_sched_expired(int64_t created, int64_t now, uint64_t lifetime_ms);

/* A "delayed" DSN is due for a recipient still pending at now: a warning
   time is set (> 0), it has passed, none was sent yet (already), the
   sender is not <> and the recipient's NOTIFY allows DELAY (RFC 3461
   4.1: without NOTIFY the MTA chooses; like Postfix we warn). */
bool queue_sched_warn_due(int64_t created, int64_t now, uint64_t warn_ms,
			  bool already, bool null_sender, unsigned notify);
/* A failure DSN is wanted for a recipient: the sender is not <> (RFC
   3461 5.2.1 / RFC 5321 6.1) and NOTIFY is absent or has FAILURE. */
bool queue_sched_bounce_wanted(bool null_sender, unsigned notify);

/* What a reply code means for a recipient. */
enum queue_verdict {
	QUEUE_DELIVERED, /* 2xx */
	QUEUE_RETRY,     /* 4xx, and anything malformed */
	QUEUE_FAILED,    /* 5xx */
};
enum queue_verdict queue_sched_verdict(int code);

/* Where mail for a recipient domain goes. */
enum queue_dest_kind {
	QUEUE_DEST_ROUTE,     /* [routes] DOMAIN = host:port */
	QUEUE_DEST_SMARTHOST, /* [relay] smarthost */
	QUEUE_DEST_MX,        /* DNS MX (RFC 5321 5.1), port 25 */
};

struct queue_dest_spec {
	enum queue_dest_kind kind;
	/* Grouping key: recipients with equal keys share connections
	   ("route:HOST:PORT", "smarthost", "mx:DOMAIN"). */
	char key[DNS_NAME_TEXT_SIZE + 16];
	char host[DNS_NAME_TEXT_SIZE]; /* ROUTE/SMARTHOST host; MX domain */
	uint16_t port;
};

/* Route lookup: returns the [routes] "host:port" for a lowercased domain
   or NULL.  Kept abstract so the rules can be tested without a config. */
typedef const char *queue_route_fn(const char *domain, void *arg);

/* The destination of recipient address rcpt (local@domain): a [routes]
   entry for its domain first, then the smarthost ("host:port" or NULL),
   else MX routing of the domain.  Returns 0, or -1 if the address has no
   usable domain (no "@", an address literal, a bad name: permanent) or a
   route/smarthost is not "host:port". */
int queue_sched_dest(const char *rcpt, queue_route_fn *route, void *arg,
		     const char *smarthost, struct queue_dest_spec *d);

/* Split "host:port" or "[v6]:port".  Returns 0 or -1. */
int queue_sched_hostport(const char *s, char host[DNS_NAME_TEXT_SIZE],
			 uint16_t *port_r);

/* Group n recipients by destination: group_r[i] is the index of the
   first recipient whose key equals key[i] (so equal groups share an
   index and the first of each group maps to itself).  O(n^2) on n up to
   the recipient limit of one message; fine. */
void queue_sched_group(const char *const *keys, size_t n, size_t *group_r);

#endif

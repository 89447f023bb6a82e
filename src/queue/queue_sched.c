/* queue_sched.c: backoff, lifetime, DSN conditions, destinations (pure). */
/* SPDX-License-Identifier: MIT */
#include "queue/queue_sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_parse.h"

uint64_t
queue_sched_backoff(unsigned attempts, uint64_t retry_ms, uint64_t retry_max_ms)
{
	uint64_t d = retry_ms;
	unsigned i;

	for (i = 1; i < attempts && d < retry_max_ms; i++)
		d = d > UINT64_MAX / 2 ? UINT64_MAX : d * 2;
	return d > retry_max_ms ? retry_max_ms : d;
}

bool
queue_sched_expired(int64_t created, int64_t now, uint64_t lifetime_ms)
{
	if (now <= created)
		return false;
	return (uint64_t)(now - created) * 1000u >= lifetime_ms;
}

bool
queue_sched_warn_due(int64_t created, int64_t now, uint64_t warn_ms,
		     bool already, bool null_sender, unsigned notify)
{
	if (warn_ms == 0 || already || null_sender)
		return false;
	if (notify != 0 && !(notify & SMTP_NOTIFY_DELAY))
		return false;
	return now > created && (uint64_t)(now - created) * 1000u >= warn_ms;
}

bool
queue_sched_bounce_wanted(bool null_sender, unsigned notify)
{
	if (null_sender)
		return false;
	return notify == 0 || (notify & SMTP_NOTIFY_FAILURE) != 0;
}

enum queue_verdict
queue_sched_verdict(int code)
{
	if (code >= 200 && code < 300)
		return QUEUE_DELIVERED;
	if (code >= 500 && code < 600)
		return QUEUE_FAILED;
	return QUEUE_RETRY;
}

int
queue_sched_hostport(const char *s, char host[DNS_NAME_TEXT_SIZE],
		     uint16_t *port_r)
{
	const char *colon = strrchr(s, ':'), *h = s;
	size_t n;
	char *end;
	long port;

	if (colon == NULL || colon == s)
		return -1;
	n = (size_t)(colon - s);
	if (s[0] == '[') {
		if (n < 3 || colon[-1] != ']')
			return -1;
		h = s + 1;
		n -= 2;
	}
	if (n >= DNS_NAME_TEXT_SIZE)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (colon[1] == '\0' || *end != '\0' || port <= 0 || port > 65535)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	*port_r = (uint16_t)port;
	return 0;
}

int
queue_sched_dest(const char *rcpt, queue_route_fn *route, void *arg,
		 const char *smarthost, struct queue_dest_spec *d)
{
	const char *at = strrchr(rcpt, '@'), *hp;
	char domain[DNS_NAME_TEXT_SIZE];

	memset(d, 0, sizeof(*d));
	if (at == NULL || dns_rdata_domain(at + 1, domain) < 0)
		return -1;
	if ((hp = route != NULL ? route(domain, arg) : NULL) != NULL) {
		d->kind = QUEUE_DEST_ROUTE;
		if (queue_sched_hostport(hp, d->host, &d->port) < 0)
			return -1;
		snprintf(d->key, sizeof(d->key), "route:%s:%u", d->host,
			 (unsigned)d->port);
		return 0;
	}
	if (smarthost != NULL) {
		d->kind = QUEUE_DEST_SMARTHOST;
		if (queue_sched_hostport(smarthost, d->host, &d->port) < 0)
			return -1;
		snprintf(d->key, sizeof(d->key), "smarthost");
		return 0;
	}
	d->kind = QUEUE_DEST_MX;
	memcpy(d->host, domain, sizeof(domain));
	d->port = 25;
	snprintf(d->key, sizeof(d->key), "mx:%s", domain);
	return 0;
}

void
queue_sched_group(const char *const *keys, size_t n, size_t *group_r)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		group_r[i] = i;
		for (j = 0; j < i; j++)
			if (group_r[j] == j && strcmp(keys[i], keys[j]) == 0) {
				group_r[i] = j;
				break;
			}
	}
}

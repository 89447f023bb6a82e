/* auth_limiter.c: growing delay after failed logins, per client address. */
/* SPDX-License-Identifier: MIT */
#include "auth/auth.h"
#include <stdlib.h>
#include <string.h>
#include "ev.h"
#include "limits.h"
#include "xalloc.h"

#define AUTH_LIM_NONE UINT32_MAX
/* Power of two, at least twice AUTH_FAIL_TRACK_MAX: short chains. */
#define AUTH_LIM_BUCKETS 8192u

/* Entries live in one array; a chained hash finds them by address and a
   doubly linked list keeps them in order of last failure (oldest first),
   which is both the eviction order and the expiry order. */
struct auth_lim_entry {
	char ip[AUTH_IP_KEY_MAX];
	uint64_t last_ms;
	unsigned fails;
	uint32_t hnext; /* next in hash chain, or free list */
	uint32_t prev, next;
};

struct auth_limiter {
	struct auth_lim_entry e[AUTH_FAIL_TRACK_MAX];
	uint32_t bucket[AUTH_LIM_BUCKETS];
	uint32_t head, tail, free_list;
	size_t count;
};

_Static_assert(AUTH_LIM_BUCKETS >= 2 * AUTH_FAIL_TRACK_MAX,
	       "limiter hash too small");

struct auth_limiter *
auth_limiter_new(void)
{
	struct auth_limiter *l = xzalloc(sizeof(*l));
	uint32_t i;

	for (i = 0; i < AUTH_LIM_BUCKETS; i++)
		l->bucket[i] = AUTH_LIM_NONE;
	for (i = 0; i < AUTH_FAIL_TRACK_MAX; i++)
		l->e[i].hnext =
		    i + 1 < AUTH_FAIL_TRACK_MAX ? i + 1 : AUTH_LIM_NONE;
	l->free_list = 0;
	l->head = l->tail = AUTH_LIM_NONE;
	return l;
}

void
auth_limiter_free(struct auth_limiter **lp)
{
	free(*lp);
	*lp = NULL;
}

/* The key: ip truncated to AUTH_IP_KEY_MAX - 1 bytes. */
static void
auth_lim_key(const char *ip, char key[AUTH_IP_KEY_MAX])
{
	size_t n = strnlen(ip, AUTH_IP_KEY_MAX - 1);

	memcpy(key, ip, n);
	memset(key + n, 0, AUTH_IP_KEY_MAX - n);
}

static uint32_t
auth_lim_hash(const char *key)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *key != '\0'; key++)
		h = (h ^ (uint8_t)*key) * 16777619u;
	return h & (AUTH_LIM_BUCKETS - 1);
}

static uint32_t
auth_lim_find(const struct auth_limiter *l, const char *key)
{
	uint32_t i;

	for (i = l->bucket[auth_lim_hash(key)]; i != AUTH_LIM_NONE;
	     i = l->e[i].hnext)
		if (strcmp(l->e[i].ip, key) == 0)
			return i;
	return AUTH_LIM_NONE;
}

static void
auth_lim_list_unlink(struct auth_limiter *l, uint32_t i)
{
	struct auth_lim_entry *e = &l->e[i];

	if (e->prev != AUTH_LIM_NONE)
		l->e[e->prev].next = e->next;
	else
		l->head = e->next;
	if (e->next != AUTH_LIM_NONE)
		l->e[e->next].prev = e->prev;
	else
		l->tail = e->prev;
}

static void
auth_lim_list_append(struct auth_limiter *l, uint32_t i)
{
	struct auth_lim_entry *e = &l->e[i];

	e->prev = l->tail;
	e->next = AUTH_LIM_NONE;
	if (l->tail != AUTH_LIM_NONE)
		l->e[l->tail].next = i;
	else
		l->head = i;
	l->tail = i;
}

static void
auth_lim_remove(struct auth_limiter *l, uint32_t i)
{
	uint32_t *pp = &l->bucket[auth_lim_hash(l->e[i].ip)];

	while (*pp != i)
		pp = &l->e[*pp].hnext;
	*pp = l->e[i].hnext;
	auth_lim_list_unlink(l, i);
	l->e[i].hnext = l->free_list;
	l->free_list = i;
	l->count--;
}

uint64_t
auth_limiter_fail(struct auth_limiter *l, const char *ip, uint64_t now_ms)
{
	char key[AUTH_IP_KEY_MAX];
	struct auth_lim_entry *e;
	uint64_t delay;
	uint32_t i, b;

	/* Forget addresses that have been quiet long enough. */
	while (l->head != AUTH_LIM_NONE && now_ms >= l->e[l->head].last_ms &&
	       now_ms - l->e[l->head].last_ms >= AUTH_FAIL_FORGET_MS)
		auth_lim_remove(l, l->head);
	auth_lim_key(ip, key);
	i = auth_lim_find(l, key);
	if (i == AUTH_LIM_NONE) {
		if (l->count == AUTH_FAIL_TRACK_MAX)
			auth_lim_remove(l, l->head);
		i = l->free_list;
		e = &l->e[i];
		l->free_list = e->hnext;
		memcpy(e->ip, key, sizeof(key));
		e->fails = 0;
		b = auth_lim_hash(key);
		e->hnext = l->bucket[b];
		l->bucket[b] = i;
		l->count++;
	} else {
		e = &l->e[i];
		auth_lim_list_unlink(l, i);
	}
	e->last_ms = now_ms;
	auth_lim_list_append(l, i);
	if (e->fails < 32)
		e->fails++;
	delay = (uint64_t)AUTH_FAIL_DELAY_MS << (e->fails - 1);
	return delay < AUTH_FAIL_DELAY_MAX_MS ? delay : AUTH_FAIL_DELAY_MAX_MS;
}

void
auth_limiter_success(struct auth_limiter *l, const char *ip)
{
	char key[AUTH_IP_KEY_MAX];
	uint32_t i;

	auth_lim_key(ip, key);
	i = auth_lim_find(l, key);
	if (i != AUTH_LIM_NONE)
		auth_lim_remove(l, i);
}

uint64_t
auth_limiter_fail_timer(struct auth_limiter *l, struct ev *ev, const char *ip,
			void (*fn)(struct ev *ev, void *arg), void *arg)
{
	return ev_add_timer(ev, auth_limiter_fail(l, ip, ev_now_ms(ev)), fn,
			    arg);
}

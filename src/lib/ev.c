/* ev.c: the event loop: level-triggered epoll, a timer min-heap, before_sleep. */
/* SPDX-License-Identifier: MIT */
#include "ev.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/*
 * Level-triggered epoll, on purpose.  A connection that stops reading
 * (paused, input buffer full) simply drops EV_READ from its mask and the
 * bytes wait in the kernel; a reader that stops early for fairness is
 * woken again on the next iteration without having to remember that it
 * owes itself a read.  The price is one epoll_ctl() per mask change,
 * which only happens on those state changes, not per read.
 *
 * Each fd slot carries a generation, echoed in epoll_event.data, so an
 * event collected in the same epoll_wait() batch for an fd that was
 * deleted (and perhaps reused by a new registration) is dropped.
 *
 * Timers live in a binary min-heap ordered by (due time, creation
 * sequence), which makes equal deadlines fire in the order they were
 * added.  A timer id is (slot generation << 32 | slot index + 1), so
 * ev_del_timer() finds the heap position in O(1) and removes in
 * O(log n), and a stale id never matches a reused slot.
 */

#define EV_BATCH 256
#define EV_NO_POS UINT32_MAX

struct ev_fdent {
	ev_fd_fn *fn;
	void *arg;
	unsigned mask;
	uint32_t gen;
	bool used;
	bool in_epoll;
};

struct ev_tslot {
	uint64_t when;
	uint64_t seq;
	ev_timer_fn *fn;
	void *arg;
	uint32_t gen;
	uint32_t pos;       /* index in heap, EV_NO_POS when free */
	uint32_t next_free; /* free list link (slot index + 1, 0 = end) */
};

struct ev {
	int epfd;
	bool stop;
	uint64_t now;
	uint64_t seq;
	struct ev_fdent *fds;
	size_t nfds;
	struct ev_tslot *slots;
	uint32_t nslots, free_head;
	uint32_t *heap;
	uint32_t heap_len;
	ev_hook_fn *bs_fn;
	void *bs_arg;
	struct epoll_event events[EV_BATCH];
};

static uint64_t
ev_clock_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		panic("clock_gettime(CLOCK_MONOTONIC) failed");
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct ev *
ev_new(void)
{
	struct ev *ev = xzalloc(sizeof(*ev));

	ev->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (ev->epfd < 0)
		fatal("epoll_create1");
	ev->now = ev_clock_ms();
	return ev;
}

void
ev_free(struct ev **evp)
{
	struct ev *ev = *evp;

	if (ev == NULL)
		return;
	close(ev->epfd);
	free(ev->fds);
	free(ev->slots);
	free(ev->heap);
	free(ev);
	*evp = NULL;
}

static uint32_t
ev_epoll_events(unsigned mask)
{
	return ((mask & EV_READ) ? EPOLLIN : 0) |
	       ((mask & EV_WRITE) ? EPOLLOUT : 0);
}

/* Bring the kernel's interest in line with ent->mask.  A zero mask is not
   kept in epoll at all: EPOLLHUP/EPOLLERR are reported whatever the
   interest, and under level triggering a paused connection whose peer
   hung up would otherwise wake the loop forever. */
static int
ev_sync(struct ev *ev, int fd, struct ev_fdent *ent)
{
	struct epoll_event e;
	int op;

	if (ent->mask == 0) {
		if (ent->in_epoll &&
		    epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 &&
		    errno != ENOENT && errno != EBADF)
			return -1;
		ent->in_epoll = false;
		return 0;
	}
	memset(&e, 0, sizeof(e));
	e.events = ev_epoll_events(ent->mask);
	e.data.u64 = (uint64_t)ent->gen << 32 | (uint32_t)fd;
	op = ent->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(ev->epfd, op, fd, &e) < 0)
		return -1;
	ent->in_epoll = true;
	return 0;
}

int
ev_add_fd(struct ev *ev, int fd, unsigned mask, ev_fd_fn *fn, void *arg)
{
	struct ev_fdent *ent;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if ((size_t)fd >= ev->nfds) {
		size_t n = ev->nfds < 64 ? 64 : ev->nfds;

		while (n <= (size_t)fd)
			n *= 2;
		ev->fds = xrealloc(ev->fds, n * sizeof(*ev->fds));
		memset(ev->fds + ev->nfds, 0,
		       (n - ev->nfds) * sizeof(*ev->fds));
		ev->nfds = n;
	}
	ent = &ev->fds[fd];
	if (ent->used) {
		errno = EEXIST;
		return -1;
	}
	ent->fn = fn;
	ent->arg = arg;
	ent->mask = mask & (EV_READ | EV_WRITE);
	ent->in_epoll = false;
	if (ev_sync(ev, fd, ent) < 0)
		return -1;
	ent->used = true;
	return 0;
}

int
ev_mod_fd(struct ev *ev, int fd, unsigned mask)
{
	struct ev_fdent *ent;

	if (fd < 0 || (size_t)fd >= ev->nfds || !ev->fds[fd].used) {
		errno = ENOENT;
		return -1;
	}
	ent = &ev->fds[fd];
	mask &= EV_READ | EV_WRITE;
	if (ent->mask == mask)
		return 0;
	ent->mask = mask;
	return ev_sync(ev, fd, ent);
}

void
ev_del_fd(struct ev *ev, int fd)
{
	struct ev_fdent *ent;

	if (fd < 0 || (size_t)fd >= ev->nfds || !ev->fds[fd].used)
		return;
	ent = &ev->fds[fd];
	ent->mask = 0;
	(void)ev_sync(ev, fd, ent);
	ent->used = false;
	ent->in_epoll = false;
	/* events already collected for this fd now carry a stale gen */
	ent->gen++;
}

/* ---- timers ---- */

static bool
ev_timer_before(const struct ev *ev, uint32_t a, uint32_t b)
{
	const struct ev_tslot *x = &ev->slots[a], *y = &ev->slots[b];

	return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

static void
ev_heap_set(struct ev *ev, uint32_t pos, uint32_t slot)
{
	ev->heap[pos] = slot;
	ev->slots[slot].pos = pos;
}

static void
ev_heap_up(struct ev *ev, uint32_t pos)
{
	uint32_t slot = ev->heap[pos];

	while (pos > 0) {
		uint32_t parent = (pos - 1) / 2;

		if (!ev_timer_before(ev, slot, ev->heap[parent]))
			break;
		ev_heap_set(ev, pos, ev->heap[parent]);
		pos = parent;
	}
	ev_heap_set(ev, pos, slot);
}

static void
ev_heap_down(struct ev *ev, uint32_t pos)
{
	uint32_t slot = ev->heap[pos];

	for (;;) {
		uint32_t child = pos * 2 + 1;

		if (child >= ev->heap_len)
			break;
		if (child + 1 < ev->heap_len &&
		    ev_timer_before(ev, ev->heap[child + 1], ev->heap[child]))
			child++;
		if (!ev_timer_before(ev, ev->heap[child], slot))
			break;
		ev_heap_set(ev, pos, ev->heap[child]);
		pos = child;
	}
	ev_heap_set(ev, pos, slot);
}

/* Take slot out of the heap and put it on the free list. */
static void
ev_timer_remove(struct ev *ev, uint32_t slot)
{
	uint32_t pos = ev->slots[slot].pos, last;

	ASSERT(pos < ev->heap_len && ev->heap[pos] == slot);
	last = ev->heap[--ev->heap_len];
	if (pos < ev->heap_len) {
		ev_heap_set(ev, pos, last);
		if (pos > 0 && ev_timer_before(ev, last, ev->heap[(pos - 1) / 2]))
			ev_heap_up(ev, pos);
		else
			ev_heap_down(ev, pos);
	}
	ev->slots[slot].pos = EV_NO_POS;
	ev->slots[slot].gen++;
	ev->slots[slot].fn = NULL;
	ev->slots[slot].next_free = ev->free_head;
	ev->free_head = slot + 1;
}

uint64_t
ev_add_timer(struct ev *ev, uint64_t ms, ev_timer_fn *fn, void *arg)
{
	struct ev_tslot *t;
	uint32_t slot;

	if (ev->free_head == 0) {
		uint32_t n = ev->nslots < 16 ? 16 : ev->nslots * 2, i;

		ASSERT(n > ev->nslots && n < EV_NO_POS);
		ev->slots = xrealloc(ev->slots, (size_t)n * sizeof(*ev->slots));
		ev->heap = xrealloc(ev->heap, (size_t)n * sizeof(*ev->heap));
		for (i = n; i > ev->nslots; i--) {
			t = &ev->slots[i - 1];
			memset(t, 0, sizeof(*t));
			t->gen = 1;
			t->pos = EV_NO_POS;
			t->next_free = ev->free_head;
			ev->free_head = i;
		}
		ev->nslots = n;
	}
	slot = ev->free_head - 1;
	t = &ev->slots[slot];
	ev->free_head = t->next_free;
	t->when = ev->now + ms < ev->now ? UINT64_MAX : ev->now + ms;
	t->seq = ev->seq++;
	t->fn = fn;
	t->arg = arg;
	ev->heap[ev->heap_len] = slot;
	t->pos = ev->heap_len++;
	ev_heap_up(ev, t->pos);
	return (uint64_t)t->gen << 32 | (slot + 1);
}

void
ev_del_timer(struct ev *ev, uint64_t id)
{
	uint32_t slot = (uint32_t)id, gen = (uint32_t)(id >> 32);

	if (slot == 0 || slot > ev->nslots)
		return;
	slot--;
	if (ev->slots[slot].gen != gen || ev->slots[slot].pos == EV_NO_POS)
		return;
	ev_timer_remove(ev, slot);
}

/* Run the timers due at ev->now.  Timers added by these callbacks wait
   for the next iteration even when already due (a 0 ms timer re-adding
   itself must not spin here). */
static void
ev_run_timers(struct ev *ev)
{
	uint64_t limit = ev->seq;

	while (ev->heap_len > 0) {
		uint32_t slot = ev->heap[0];
		struct ev_tslot *t = &ev->slots[slot];
		ev_timer_fn *fn = t->fn;
		void *arg = t->arg;

		/* heap order is (when, seq): once the top is new or not due,
		   every due timer left is new too */
		if (t->when > ev->now || t->seq >= limit)
			break;
		ev_timer_remove(ev, slot);
		fn(ev, arg);
	}
}

/* epoll_wait timeout: -1 without timers, else ms to the first one. */
static int
ev_wait_ms(const struct ev *ev)
{
	uint64_t when, now;

	if (ev->heap_len == 0)
		return -1;
	when = ev->slots[ev->heap[0]].when;
	now = ev_clock_ms();
	if (when <= now)
		return 0;
	return when - now > INT32_MAX ? INT32_MAX : (int)(when - now);
}

void
ev_set_before_sleep(struct ev *ev, ev_hook_fn *fn, void *arg)
{
	ev->bs_fn = fn;
	ev->bs_arg = arg;
}

static void
ev_dispatch(struct ev *ev, const struct epoll_event *e)
{
	int fd = (int)(uint32_t)e->data.u64;
	uint32_t gen = (uint32_t)(e->data.u64 >> 32);
	struct ev_fdent *ent;
	unsigned events = 0;

	if ((size_t)fd >= ev->nfds)
		return;
	ent = &ev->fds[fd];
	if (!ent->used || ent->gen != gen)
		return;
	if (e->events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		events |= EV_READ;
	if (e->events & EPOLLOUT)
		events |= EV_WRITE;
	ent->fn(ev, fd, events, ent->arg);
}

int
ev_run(struct ev *ev)
{
	int n, i, rc = 0;

	while (!ev->stop) {
		if (ev->bs_fn != NULL)
			ev->bs_fn(ev, ev->bs_arg);
		if (ev->stop)
			break;
		n = epoll_wait(ev->epfd, ev->events, EV_BATCH, ev_wait_ms(ev));
		ev->now = ev_clock_ms();
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		for (i = 0; i < n; i++)
			ev_dispatch(ev, &ev->events[i]);
		ev_run_timers(ev);
	}
	ev->stop = false;
	return rc;
}

void
ev_stop(struct ev *ev)
{
	ev->stop = true;
}

uint64_t
ev_now_ms(struct ev *ev)
{
	return ev->now;
}

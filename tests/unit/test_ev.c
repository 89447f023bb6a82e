/* test_ev.c: event loop timers, fd events and the before_sleep hook. */
/* SPDX-License-Identifier: MIT */
#include "ev.h"
#include "test.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FIRED 2048

struct tstate {
	struct ev *ev;
	int fired[MAX_FIRED];
	uint64_t fired_at[MAX_FIRED];
	unsigned iter_at[MAX_FIRED];
	int nfired;
	int stop_after;
	unsigned iterations;
	uint64_t ids[MAX_FIRED];
};

struct tcall {
	struct tstate *st;
	int tag;
};

static void
count_iterations(struct ev *ev, void *arg)
{
	struct tstate *st = arg;

	(void)ev;
	st->iterations++;
}

static void
record(struct ev *ev, void *arg)
{
	struct tcall *tc = arg;
	struct tstate *st = tc->st;

	if (st->nfired < MAX_FIRED) {
		st->fired_at[st->nfired] = ev_now_ms(ev);
		st->iter_at[st->nfired] = st->iterations;
		st->fired[st->nfired++] = tc->tag;
	}
	if (st->nfired == st->stop_after)
		ev_stop(ev);
}

static void
stop_loop(struct ev *ev, void *arg)
{
	(void)arg;
	ev_stop(ev);
}

static void
test_timer_order(void)
{
	struct tstate st = {.stop_after = 5};
	struct tcall c[5];
	static const uint64_t ms[5] = {30, 10, 20, 10, 0};
	static const int want[5] = {4, 1, 3, 2, 0};
	uint64_t start;
	int i;

	test_begin("timer order");
	st.ev = ev_new();
	ev_set_before_sleep(st.ev, count_iterations, &st);
	start = ev_now_ms(st.ev);
	for (i = 0; i < 5; i++) {
		c[i] = (struct tcall){&st, i};
		TEST_ASSERT(ev_add_timer(st.ev, ms[i], record, &c[i]) != 0);
	}
	TEST_ASSERT_INTEQ(ev_run(st.ev), 0);
	TEST_ASSERT_INTEQ(st.nfired, 5);
	/* equal deadlines (the two 10 ms) fire in the order added */
	for (i = 0; i < 5; i++)
		TEST_ASSERT_INTEQ(st.fired[i], want[i]);
	TEST_ASSERT(st.fired_at[4] - start >= 30);
	TEST_ASSERT(st.iterations >= 2);
	ev_free(&st.ev);
	TEST_ASSERT(st.ev == NULL);
}

static void
del_other(struct ev *ev, void *arg)
{
	struct tcall *tc = arg;

	/* cancels a timer due in this same iteration */
	ev_del_timer(ev, tc->st->ids[1]);
	record(ev, arg);
}

static void
test_timer_delete(void)
{
	struct tstate st = {.stop_after = -1};
	struct tcall c[4];
	uint64_t fired_id;
	int i;

	test_begin("timer delete");
	st.ev = ev_new();
	for (i = 0; i < 4; i++)
		c[i] = (struct tcall){&st, i};
	st.ids[0] = ev_add_timer(st.ev, 5, del_other, &c[0]);
	st.ids[1] = ev_add_timer(st.ev, 5, record, &c[1]);
	st.ids[2] = ev_add_timer(st.ev, 1, record, &c[2]);
	st.ids[3] = ev_add_timer(st.ev, 2, record, &c[3]);
	ev_del_timer(st.ev, st.ids[3]);
	ev_del_timer(st.ev, st.ids[3]); /* twice: ignored */
	ev_del_timer(st.ev, 0);
	ev_del_timer(st.ev, 12345ull << 32 | 7); /* never issued */
	ev_add_timer(st.ev, 40, stop_loop, NULL);
	ev_run(st.ev);
	TEST_ASSERT_INTEQ(st.nfired, 2);
	TEST_ASSERT_INTEQ(st.fired[0], 2);
	TEST_ASSERT_INTEQ(st.fired[1], 0);
	/* a fired id is stale even after its slot is reused */
	fired_id = st.ids[2];
	st.ids[2] = ev_add_timer(st.ev, 1, record, &c[2]);
	TEST_ASSERT(st.ids[2] != fired_id);
	ev_del_timer(st.ev, fired_id);
	st.stop_after = 3;
	ev_run(st.ev);
	TEST_ASSERT_INTEQ(st.nfired, 3);
	TEST_ASSERT_INTEQ(st.fired[2], 2);
	ev_free(&st.ev);
}

struct chain {
	struct tstate *st;
	int left;
};

static void
chain_step(struct ev *ev, void *arg)
{
	struct chain *ch = arg;
	static struct tcall tc;

	tc = (struct tcall){ch->st, ch->left};
	record(ev, &tc);
	if (--ch->left > 0)
		ev_add_timer(ev, 0, chain_step, ch);
	else
		ev_stop(ev);
}

static void
test_timer_in_callback(void)
{
	struct tstate st = {.stop_after = -1};
	struct chain ch = {&st, 50};
	int i;

	test_begin("timers added inside callbacks");
	st.ev = ev_new();
	ev_set_before_sleep(st.ev, count_iterations, &st);
	ev_add_timer(st.ev, 0, chain_step, &ch);
	ev_run(st.ev);
	TEST_ASSERT_INTEQ(st.nfired, 50);
	TEST_ASSERT_INTEQ(ch.left, 0);
	/* a 0 ms timer added by a timer runs in a later iteration */
	for (i = 1; i < st.nfired; i++)
		TEST_ASSERT(st.iter_at[i] > st.iter_at[i - 1]);
	ev_free(&st.ev);
}

static void
test_timer_heap_random(void)
{
	struct tstate st = {.stop_after = -1};
	static struct tcall c[1000];
	static uint64_t when[1000];
	bool deleted[1000] = {false};
	uint32_t rnd = 12345;
	int i, live = 0, prev = -1;

	test_begin("timer heap, random adds and deletes");
	st.ev = ev_new();
	for (i = 0; i < 1000; i++) {
		c[i] = (struct tcall){&st, i};
		when[i] = test_rand(&rnd) % 40;
		st.ids[i] = ev_add_timer(st.ev, when[i], record, &c[i]);
	}
	for (i = 0; i < 1000; i++) {
		if (test_rand(&rnd) % 3 == 0) {
			ev_del_timer(st.ev, st.ids[i]);
			deleted[i] = true;
		} else {
			live++;
		}
	}
	st.stop_after = live;
	ev_run(st.ev);
	TEST_ASSERT_INTEQ(st.nfired, live);
	for (i = 0; i < st.nfired; i++) {
		int t = st.fired[i];

		TEST_ASSERT(!deleted[t]);
		if (prev >= 0) {
			/* deadline order, ties in insertion order */
			TEST_ASSERT(when[prev] < when[t] ||
				    (when[prev] == when[t] && prev < t));
		}
		prev = t;
	}
	ev_free(&st.ev);
}

struct fdstate {
	struct ev *ev;
	int reads, writes, newcb;
	unsigned first_iter, new_iter;
	unsigned iterations;
	int other_fd, spare_fd;
};

static void
fd_count_iter(struct ev *ev, void *arg)
{
	struct fdstate *fs = arg;

	(void)ev;
	fs->iterations++;
}

static void
on_pipe(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct fdstate *fs = arg;
	char b[16];

	if (events & EV_READ) {
		fs->reads++;
		TEST_ASSERT(read(fd, b, sizeof(b)) == 3);
		TEST_ASSERT_MEMEQ(b, 3, "abc", 3);
		ev_stop(ev);
	}
}

static void
on_writable(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct fdstate *fs = arg;

	(void)fd;
	if (events & EV_WRITE)
		fs->writes++;
	if (fs->writes == 3) {
		TEST_ASSERT_INTEQ(ev_mod_fd(ev, fd, 0), 0);
		ev_add_timer(ev, 20, stop_loop, NULL);
	}
}

static void
test_fd_events(void)
{
	struct fdstate fs = {0};
	int p[2], sp[2];

	test_begin("fd read and write events, mod, del");
	fs.ev = ev_new();
	TEST_ASSERT(pipe(p) == 0);
	TEST_ASSERT_INTEQ(ev_add_fd(fs.ev, p[0], EV_READ, on_pipe, &fs), 0);
	TEST_ASSERT_INTEQ(ev_add_fd(fs.ev, p[0], EV_READ, on_pipe, &fs), -1);
	TEST_ASSERT_INTEQ(ev_add_fd(fs.ev, -1, EV_READ, on_pipe, &fs), -1);
	TEST_ASSERT(write(p[1], "abc", 3) == 3);
	ev_run(fs.ev);
	TEST_ASSERT_INTEQ(fs.reads, 1);

	/* level-triggered writability, stopped by a zero mask */
	TEST_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	TEST_ASSERT_INTEQ(ev_add_fd(fs.ev, sp[0], EV_WRITE, on_writable, &fs),
			  0);
	ev_run(fs.ev);
	TEST_ASSERT_INTEQ(fs.writes, 3);
	TEST_ASSERT_INTEQ(fs.reads, 1);

	/* a deleted fd gets no events; re-adding works */
	ev_del_fd(fs.ev, p[0]);
	ev_del_fd(fs.ev, p[0]);
	TEST_ASSERT(write(p[1], "abc", 3) == 3);
	ev_add_timer(fs.ev, 20, stop_loop, NULL);
	ev_run(fs.ev);
	TEST_ASSERT_INTEQ(fs.reads, 1);
	TEST_ASSERT_INTEQ(ev_add_fd(fs.ev, p[0], EV_READ, on_pipe, &fs), 0);
	ev_run(fs.ev);
	TEST_ASSERT_INTEQ(fs.reads, 2);
	TEST_ASSERT_INTEQ(ev_mod_fd(fs.ev, 999, EV_READ), -1);
	ev_del_fd(fs.ev, p[0]);
	ev_del_fd(fs.ev, sp[0]);
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
	ev_free(&fs.ev);
}

static void
on_new(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct fdstate *fs = arg;

	(void)events;
	if (fs->newcb++ == 0)
		fs->new_iter = fs->iterations;
	ev_del_fd(ev, fd);
	ev_stop(ev);
}

static void
on_first(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct fdstate *fs = arg;
	int other = fs->other_fd == fd ? fs->spare_fd : fs->other_fd;

	(void)events;
	/* whichever of the two fires first removes the other, closes it
	   and registers a new readable file under the same number: the
	   event already collected for the old one must not reach it */
	fs->reads++;
	fs->first_iter = fs->iterations;
	ev_del_fd(ev, fd);
	ev_del_fd(ev, other);
	TEST_ASSERT(dup2(fd, other) == other);
	TEST_ASSERT_INTEQ(ev_add_fd(ev, other, EV_READ, on_new, fs), 0);
}

static void
test_fd_del_in_callback(void)
{
	struct fdstate fs = {0};
	int a[2], b[2];

	test_begin("fd deleted and reused inside a callback");
	fs.ev = ev_new();
	ev_set_before_sleep(fs.ev, fd_count_iter, &fs);
	TEST_ASSERT(pipe(a) == 0 && pipe(b) == 0);
	TEST_ASSERT(write(a[1], "x", 1) == 1 && write(b[1], "y", 1) == 1);
	fs.other_fd = a[0];
	fs.spare_fd = b[0];
	ev_add_fd(fs.ev, a[0], EV_READ, on_first, &fs);
	ev_add_fd(fs.ev, b[0], EV_READ, on_first, &fs);
	ev_run(fs.ev);
	TEST_ASSERT_INTEQ(fs.reads, 1);
	TEST_ASSERT_INTEQ(fs.newcb, 1);
	TEST_ASSERT(fs.new_iter > fs.first_iter);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
	ev_free(&fs.ev);
}

static void
on_never(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct fdstate *fs = arg;

	(void)ev;
	(void)fd;
	(void)events;
	fs->reads++;
}

static void
test_hangup_zero_mask(void)
{
	struct fdstate fs = {0};
	int sp[2];

	test_begin("a hung-up fd with mask 0 does not wake the loop");
	fs.ev = ev_new();
	ev_set_before_sleep(fs.ev, fd_count_iter, &fs);
	TEST_ASSERT(socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	TEST_ASSERT_INTEQ(ev_add_fd(fs.ev, sp[0], EV_READ, on_never, &fs), 0);
	TEST_ASSERT_INTEQ(ev_mod_fd(fs.ev, sp[0], 0), 0);
	close(sp[1]);
	ev_add_timer(fs.ev, 30, stop_loop, NULL);
	ev_run(fs.ev);
	TEST_ASSERT_INTEQ(fs.reads, 0);
	TEST_ASSERT(fs.iterations <= 3);
	/* with EV_READ the hang-up is reported as readable */
	TEST_ASSERT_INTEQ(ev_mod_fd(fs.ev, sp[0], EV_READ), 0);
	ev_add_timer(fs.ev, 10, stop_loop, NULL);
	ev_run(fs.ev);
	TEST_ASSERT(fs.reads >= 1);
	ev_del_fd(fs.ev, sp[0]);
	close(sp[0]);
	ev_free(&fs.ev);
}

static void
stop_in_hook(struct ev *ev, void *arg)
{
	unsigned *n = arg;

	if (++*n == 3)
		ev_stop(ev);
}

static void
tick(struct ev *ev, void *arg)
{
	ev_add_timer(ev, 1, tick, arg);
}

static void
test_before_sleep(void)
{
	struct ev *ev = ev_new();
	unsigned n = 0;
	uint64_t t0 = ev_now_ms(ev);

	test_begin("before_sleep runs before every wait");
	ev_set_before_sleep(ev, stop_in_hook, &n);
	ev_add_timer(ev, 1, tick, NULL);
	ev_run(ev);
	/* the third call stops the loop before it waits again */
	TEST_ASSERT_INTEQ(n, 3);
	TEST_ASSERT(ev_now_ms(ev) - t0 < 100);
	ev_set_before_sleep(ev, NULL, NULL);
	ev_free(&ev);
}

TEST_MAIN(test_timer_order, test_timer_delete, test_timer_in_callback,
	  test_timer_heap_random, test_fd_events, test_fd_del_in_callback,
	  test_hangup_zero_mask, test_before_sleep)

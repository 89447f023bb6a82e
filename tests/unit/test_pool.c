/* test_pool.c: worker pool: work on workers, done on the loop thread. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "ev.h"
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define JOBS 2000

struct job {
	struct pool_state *st;
	int seq;
	bool work_ran, done_ran;
	bool work_on_loop; /* work ran on the loop thread (must not) */
	bool done_off_loop; /* done ran off the loop thread (must not) */
	bool done_before_work;
};

struct pool_state {
	struct ev *ev;
	struct pool *pool;
	pthread_t loop_thread;
	atomic_int working;  /* jobs inside work() right now */
	atomic_int max_working;
	int done_count, done_target;
	int order[JOBS];
	bool in_loop; /* ev_run is running */
	bool done_outside_loop;
	unsigned work_sleep_us;
};

static void
job_work(void *arg)
{
	struct job *j = arg;
	struct pool_state *st = j->st;
	int now = atomic_fetch_add(&st->working, 1) + 1, seen;

	seen = atomic_load(&st->max_working);
	while (now > seen &&
	       !atomic_compare_exchange_weak(&st->max_working, &seen, now))
		;
	j->work_on_loop = pthread_equal(pthread_self(), st->loop_thread);
	if (st->work_sleep_us > 0)
		usleep(st->work_sleep_us);
	j->work_ran = true;
	atomic_fetch_sub(&st->working, 1);
}

static void
job_done(void *arg)
{
	struct job *j = arg;
	struct pool_state *st = j->st;

	j->done_off_loop = !pthread_equal(pthread_self(), st->loop_thread);
	j->done_before_work = !j->work_ran;
	if (!st->in_loop)
		st->done_outside_loop = true;
	j->done_ran = true;
	if (st->done_count < JOBS)
		st->order[st->done_count] = j->seq;
	if (++st->done_count == st->done_target)
		ev_stop(st->ev);
}

static void
on_deadline(struct ev *ev, void *arg)
{
	bool *expired = arg;

	*expired = true;
	ev_stop(ev);
}

/* Run the loop until done_target completions or max_ms. */
static bool
run_until_done(struct pool_state *st, uint64_t max_ms)
{
	bool expired = false;
	uint64_t t = ev_add_timer(st->ev, max_ms, on_deadline, &expired);

	st->in_loop = true;
	ev_run(st->ev);
	st->in_loop = false;
	ev_del_timer(st->ev, t);
	return !expired;
}

static void
check_jobs(const struct job *jobs, int n)
{
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		const struct job *j = &jobs[i];

		if (!j->work_ran || !j->done_ran || j->work_on_loop ||
		    j->done_off_loop || j->done_before_work)
			bad++;
	}
	TEST_ASSERT_INTEQ(bad, 0);
}

/* Start st on a new loop with a pool of nthreads; target: completions
   after which run_until_done stops. */
static void
pool_state_start(struct pool_state *st, unsigned nthreads, int target)
{
	st->ev = ev_new();
	st->loop_thread = pthread_self();
	st->pool = pool_new(st->ev, nthreads);
	st->done_target = target;
}

/* Submit jobs[0..n) with done (job_done if NULL). */
static void
submit_jobs(struct pool_state *st, struct job *jobs, int n,
	    pool_done_fn *done)
{
	int i;

	for (i = 0; i < n; i++) {
		jobs[i] = (struct job){.st = st, .seq = i};
		pool_submit(st->pool, job_work, done != NULL ? done : job_done,
			    &jobs[i]);
	}
}

static void
test_pool_many(void)
{
	static struct job jobs[JOBS];
	struct pool_state st = {0};

	test_begin("pool many jobs");
	pool_state_start(&st, 4, JOBS);
	submit_jobs(&st, jobs, JOBS, NULL);
	TEST_ASSERT(run_until_done(&st, 5000));
	TEST_ASSERT_INTEQ(st.done_count, JOBS);
	check_jobs(jobs, JOBS);
	TEST_ASSERT(!st.done_outside_loop);
	pool_free(&st.pool);
	TEST_ASSERT(st.pool == NULL);
	TEST_ASSERT_INTEQ(st.done_count, JOBS); /* nothing ran twice */
	ev_free(&st.ev);
	test_end();
}

static void
test_pool_parallel(void)
{
	static struct job jobs[8];
	struct pool_state st = {0};

	test_begin("pool parallel workers");
	pool_state_start(&st, 4, 8);
	st.work_sleep_us = 50000;
	submit_jobs(&st, jobs, 8, NULL);
	TEST_ASSERT(run_until_done(&st, 5000));
	check_jobs(jobs, 8);
	/* four threads each sleeping in work(): they overlapped, and never
	   more than four at once */
	TEST_ASSERT(atomic_load(&st.max_working) >= 2);
	TEST_ASSERT(atomic_load(&st.max_working) <= 4);
	pool_free(&st.pool);
	ev_free(&st.ev);
	test_end();
}

static void
test_pool_fifo_one_thread(void)
{
	static struct job jobs[100];
	struct pool_state st = {0};
	int i, out_of_order = 0;

	test_begin("pool one worker keeps order");
	pool_state_start(&st, 1, 100);
	submit_jobs(&st, jobs, 100, NULL);
	TEST_ASSERT(run_until_done(&st, 5000));
	/* one worker completes in submission order; done runs in
	   completion order */
	for (i = 0; i < 100; i++)
		if (st.order[i] != i)
			out_of_order++;
	TEST_ASSERT_INTEQ(out_of_order, 0);
	pool_free(&st.pool);
	ev_free(&st.ev);
	test_end();
}

/* ---- pool_post from foreign threads ---- */

struct poster {
	struct pool_state *st;
	struct job *jobs;
	int n;
};

static void *
poster_thread(void *arg)
{
	struct poster *p = arg;
	int i;

	for (i = 0; i < p->n; i++) {
		p->jobs[i].work_ran = true; /* no work for a post */
		pool_post(p->st->pool, job_done, &p->jobs[i]);
		if (i % 64 == 0)
			usleep(100);
	}
	return NULL;
}

static void
test_pool_post(void)
{
	static struct job jobs[3][300];
	struct pool_state st = {0};
	struct poster ps[3];
	pthread_t th[3];
	int i, k;

	test_begin("pool_post from other threads");
	pool_state_start(&st, 2, 900);
	for (k = 0; k < 3; k++) {
		for (i = 0; i < 300; i++)
			jobs[k][i] = (struct job){.st = &st, .seq = i};
		ps[k] = (struct poster){&st, jobs[k], 300};
		TEST_ASSERT_INTEQ(pthread_create(&th[k], NULL, poster_thread,
						 &ps[k]),
				  0);
	}
	TEST_ASSERT(run_until_done(&st, 5000));
	for (k = 0; k < 3; k++) {
		pthread_join(th[k], NULL);
		check_jobs(jobs[k], 300);
	}
	TEST_ASSERT_INTEQ(st.done_count, 900);
	pool_free(&st.pool);
	ev_free(&st.ev);
	test_end();
}

/* ---- pool_free finishes queued work and runs pending done ---- */

static struct job chained[2];

static void
done_submits_more(void *arg)
{
	struct job *j = arg;
	struct pool *p = j->st->pool;

	job_done(arg);
	/* a done callback that queues more work while the pool is being
	   freed: the contract says pool_free finishes it */
	chained[0] = (struct job){.st = j->st, .seq = 1000};
	chained[1] = (struct job){.st = j->st, .seq = 1001};
	chained[1].work_ran = true; /* a post has no work */
	pool_submit(p, job_work, job_done, &chained[0]);
	pool_post(p, job_done, &chained[1]);
}

static void
test_pool_free_drains(void)
{
	static struct job jobs[50];
	struct pool_state st = {0};

	test_begin("pool_free drains");
	pool_state_start(&st, 3, -1);
	st.work_sleep_us = 1000;
	submit_jobs(&st, jobs, 49, NULL);
	jobs[49] = (struct job){.st = &st, .seq = 49};
	pool_submit(st.pool, job_work, done_submits_more, &jobs[49]);
	/* a NULL done is allowed: work only */
	pool_submit(st.pool, job_work, NULL, &(struct job){.st = &st});
	/* the loop never ran: pool_free must still run every done, on
	   this (the loop) thread */
	pool_free(&st.pool);
	check_jobs(jobs, 50);
	/* work submitted from a done callback inside pool_free runs on the
	   calling thread (the workers are gone), before its done */
	TEST_ASSERT(chained[0].work_ran && chained[0].work_on_loop);
	chained[0].work_on_loop = false;
	check_jobs(chained, 2);
	TEST_ASSERT_INTEQ(st.done_count, 52);
	TEST_ASSERT_INTEQ(atomic_load(&st.working), 0);
	ev_free(&st.ev);
	test_end();
}

/* A freed pool leaves no registration behind: a second pool on the same
   loop works (the eventfd number is likely reused). */
static void
test_pool_reuse_loop(void)
{
	static struct job jobs[10];
	struct pool_state st = {0};
	int round;

	test_begin("pool new/free on one loop");
	st.ev = ev_new();
	st.loop_thread = pthread_self();
	for (round = 0; round < 3; round++) {
		st.pool = pool_new(st.ev, 2);
		st.done_count = 0;
		st.done_target = 10;
		submit_jobs(&st, jobs, 10, NULL);
		TEST_ASSERT(run_until_done(&st, 5000));
		check_jobs(jobs, 10);
		pool_free(&st.pool);
	}
	ev_free(&st.ev);
	test_end();
}

/* One worker held busy by job 0 while jobs 1..5 (pool_submit) and 6..9
   (pool_submit_first) queue: the urgent ones run first, each queue in
   its own order. */
static void
test_pool_submit_first(void)
{
	static struct job jobs[10];
	static const int want[10] = {0, 6, 7, 8, 9, 1, 2, 3, 4, 5};
	struct pool_state st = {0};
	int i, wrong = 0;

	test_begin("pool_submit_first jumps the queue");
	pool_state_start(&st, 1, 10);
	st.work_sleep_us = 20000; /* job 0 is still running below */
	for (i = 0; i < 10; i++) {
		jobs[i] = (struct job){.st = &st, .seq = i};
		if (i < 6)
			pool_submit(st.pool, job_work, job_done, &jobs[i]);
		else
			pool_submit_first(st.pool, job_work, job_done, &jobs[i]);
		/* the worker is inside job 0 before the rest queue */
		while (i == 0 && atomic_load(&st.working) == 0)
			usleep(100);
	}
	TEST_ASSERT(run_until_done(&st, 5000));
	check_jobs(jobs, 10);
	for (i = 0; i < 10; i++)
		if (st.order[i] != want[i])
			wrong++;
	TEST_ASSERT_INTEQ(wrong, 0);
	pool_free(&st.pool);
	ev_free(&st.ev);
	test_end();
}

/* CPU-bound jobs (pool_submit_cpu) run at most cpu_max at once, and
   ordinary jobs submitted after a burst of them do not wait for it. */
static atomic_int cpu_working, cpu_max_seen, cpu_finished;

static void
cpu_work(void *arg)
{
	int now = atomic_fetch_add(&cpu_working, 1) + 1, seen;

	seen = atomic_load(&cpu_max_seen);
	while (now > seen &&
	       !atomic_compare_exchange_weak(&cpu_max_seen, &seen, now))
		;
	job_work(arg);
	usleep(20000);
	atomic_fetch_sub(&cpu_working, 1);
	atomic_fetch_add(&cpu_finished, 1);
}

static atomic_int cpu_done_when_ordinary_done;

static void
ordinary_work(void *arg)
{
	job_work(arg);
	/* how many CPU jobs had finished when this one did */
	atomic_store(&cpu_done_when_ordinary_done, atomic_load(&cpu_finished));
}

static void
test_pool_cpu_max(void)
{
	static struct job jobs[10];
	struct pool_state st = {0};
	int i;

	test_begin("pool_submit_cpu: at most cpu_max at once, others pass");
	pool_state_start(&st, 3, 10);
	pool_set_cpu_max(st.pool, 1);
	for (i = 0; i < 10; i++) {
		jobs[i] = (struct job){.st = &st, .seq = i};
		if (i < 8)
			pool_submit_cpu(st.pool, cpu_work, job_done, &jobs[i]);
		else
			pool_submit(st.pool, ordinary_work, job_done, &jobs[i]);
	}
	TEST_ASSERT(run_until_done(&st, 10000));
	check_jobs(jobs, 10);
	TEST_ASSERT_INTEQ(atomic_load(&cpu_max_seen), 1);
	/* 8 x 20 ms one at a time: the ordinary jobs ran meanwhile */
	TEST_ASSERT(atomic_load(&cpu_done_when_ordinary_done) < 4);
	pool_free(&st.pool);
	ev_free(&st.ev);
	test_end();
}

TEST_MAIN(test_pool_cpu_max, test_pool_submit_first, test_pool_many, test_pool_parallel, test_pool_fifo_one_thread,
	  test_pool_post, test_pool_free_drains, test_pool_reuse_loop)

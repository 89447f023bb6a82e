/* pool.c: worker threads for blocking work; completions run on the loop. */
/* SPDX-License-Identifier: MIT */
#include "pool.h"
#include "ev.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

/*
 * One job node travels the whole way: submit queue -> worker -> done
 * list -> loop thread, where it is freed after done() ran.  The done list
 * is FIFO, so done callbacks run in completion order.  The eventfd is
 * written only when the done list goes from empty to non-empty; the loop
 * drains the eventfd before taking the list, so a completion is never
 * left behind without a pending wakeup.  Workers take jobs from the
 * urgent queue (pool_submit_first) first, then CPU-bound ones
 * (pool_submit_cpu) while fewer than cpu_max of those run, then the
 * ordinary ones.
 */

struct pool_job {
	pool_work_fn *work;
	pool_done_fn *done;
	void *arg;
	struct pool_job *next;
};

struct pool_fifo {
	struct pool_job *head, **tail;
};

struct pool {
	struct ev *ev;
	int efd;
	unsigned nthreads;
	pthread_t *threads;

	pthread_mutex_t qlock; /* protects the queues, cpu_* and stopping */
	pthread_cond_t qcond;
	struct pool_fifo urgent, cpu, queue;
	unsigned cpu_running, cpu_max;
	bool stopping;

	pthread_mutex_t dlock; /* protects done */
	struct pool_fifo done;
};

static void
pool_fifo_init(struct pool_fifo *f)
{
	f->head = NULL;
	f->tail = &f->head;
}

/* Append j; returns true if the list was empty before. */
static bool
pool_fifo_push(struct pool_fifo *f, struct pool_job *j)
{
	bool was_empty = f->head == NULL;

	j->next = NULL;
	*f->tail = j;
	f->tail = &j->next;
	return was_empty;
}

static struct pool_job *
pool_fifo_pop(struct pool_fifo *f)
{
	struct pool_job *j = f->head;

	if (j != NULL) {
		f->head = j->next;
		if (f->head == NULL)
			f->tail = &f->head;
	}
	return j;
}

static void
pool_complete(struct pool *p, struct pool_job *j)
{
	bool wake;

	pthread_mutex_lock(&p->dlock);
	wake = pool_fifo_push(&p->done, j);
	pthread_mutex_unlock(&p->dlock);
	if (wake) {
		uint64_t one = 1;

		/* EAGAIN only if the counter is saturated: a wakeup is
		   pending anyway */
		while (write(p->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	}
}

/* Whether worker `self` may start a CPU-bound job now (under qlock).
   Only the first cpu_max workers ever run them: a password hash
   (yescrypt: 16 MiB) leaves its memory in the malloc arena of the thread
   that ran it, so fewer threads hashing keeps fewer such arenas. */
static bool
pool_cpu_ready(const struct pool *p, unsigned self)
{
	return p->cpu.head != NULL && self < p->cpu_max &&
	       p->cpu_running < p->cpu_max;
}

struct pool_self {
	struct pool *p;
	unsigned index;
};

static void *
pool_worker(void *arg)
{
	struct pool_self *me = arg;
	struct pool *p = me->p;
	unsigned self = me->index;
	struct pool_job *j;
	bool cpu;

	free(me);
	for (;;) {
		pthread_mutex_lock(&p->qlock);
		while (p->urgent.head == NULL && p->queue.head == NULL &&
		       !pool_cpu_ready(p, self) && !p->stopping)
			pthread_cond_wait(&p->qcond, &p->qlock);
		cpu = false;
		if ((j = pool_fifo_pop(&p->urgent)) == NULL &&
		    (cpu = pool_cpu_ready(p, self)))
			j = pool_fifo_pop(&p->cpu);
		if (j == NULL)
			j = pool_fifo_pop(&p->queue);
		p->cpu_running += cpu;
		pthread_mutex_unlock(&p->qlock);
		/* Stopping with nothing this worker may take: CPU-bound jobs
		   left are taken by the workers running the others. */
		if (j == NULL)
			return NULL;
		if (j->work != NULL)
			j->work(j->arg);
		pool_complete(p, j);
		if (cpu) {
			pthread_mutex_lock(&p->qlock);
			p->cpu_running--;
			/* the next CPU-bound job waits for one of the
			   first cpu_max workers: wake them all */
			if (p->cpu.head != NULL)
				pthread_cond_broadcast(&p->qcond);
			pthread_mutex_unlock(&p->qlock);
		}
	}
}

/* Run every completion queued so far, in order.  Returns how many ran. */
static unsigned
pool_run_done(struct pool *p)
{
	struct pool_job *list, *j;
	uint64_t cnt;
	unsigned n = 0;

	while (read(p->efd, &cnt, sizeof(cnt)) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&p->dlock);
	list = p->done.head;
	pool_fifo_init(&p->done);
	pthread_mutex_unlock(&p->dlock);
	while ((j = list) != NULL) {
		list = j->next;
		if (j->done != NULL)
			j->done(j->arg);
		free(j);
		n++;
	}
	return n;
}

static void
pool_on_event(struct ev *ev, int fd, unsigned events, void *arg)
{
	(void)ev;
	(void)fd;
	(void)events;
	pool_run_done(arg);
}

struct pool *
pool_new(struct ev *ev, unsigned nthreads)
{
	struct pool *p = xzalloc(sizeof(*p));
	unsigned i;
	int rc;

	ASSERT(nthreads > 0);
	p->ev = ev;
	p->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->efd < 0)
		fatal("eventfd");
	pthread_mutex_init(&p->qlock, NULL);
	pthread_cond_init(&p->qcond, NULL);
	pthread_mutex_init(&p->dlock, NULL);
	pool_fifo_init(&p->urgent);
	pool_fifo_init(&p->cpu);
	pool_fifo_init(&p->queue);
	p->cpu_max = nthreads;
	pool_fifo_init(&p->done);
	if (ev_add_fd(ev, p->efd, EV_READ, pool_on_event, p) < 0)
		fatal("pool: registering the eventfd");
	p->threads = xcalloc(nthreads, sizeof(*p->threads));
	for (i = 0; i < nthreads; i++) {
		struct pool_self *me = xmalloc(sizeof(*me));

		me->p = p;
		me->index = i;
		if ((rc = pthread_create(&p->threads[i], NULL, pool_worker, me)) !=
		    0) {
			errno = rc;
			fatal("pool: pthread_create");
		}
	}
	p->nthreads = nthreads;
	return p;
}

void
pool_free(struct pool **pp)
{
	struct pool *p = *pp;
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->qlock);
	p->stopping = true;
	pthread_cond_broadcast(&p->qcond);
	pthread_mutex_unlock(&p->qlock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	/* done callbacks may post more: run until nothing is left */
	while (pool_run_done(p) > 0)
		;
	ev_del_fd(p->ev, p->efd);
	close(p->efd);
	pthread_mutex_destroy(&p->qlock);
	pthread_cond_destroy(&p->qcond);
	pthread_mutex_destroy(&p->dlock);
	free(p->threads);
	free(p);
	*pp = NULL;
}

static void
pool_enqueue(struct pool *p, struct pool_fifo *q, pool_work_fn *work,
	     pool_done_fn *done, void *arg)
{
	struct pool_job *j = xmalloc(sizeof(*j));

	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&p->qlock);
	if (p->stopping) {
		/* submitted by a done callback run from pool_free(): the
		   workers are gone, so the work runs here */
		pthread_mutex_unlock(&p->qlock);
		if (work != NULL)
			work(arg);
		pool_complete(p, j);
		return;
	}
	pool_fifo_push(q, j);
	/* Any worker takes an ordinary job; a CPU-bound one only the
	   first cpu_max: wake them all, so that one of those sees it. */
	if (q == &p->cpu)
		pthread_cond_broadcast(&p->qcond);
	else
		pthread_cond_signal(&p->qcond);
	pthread_mutex_unlock(&p->qlock);
}

void
pool_submit(struct pool *p, pool_work_fn *work, pool_done_fn *done, void *arg)
{
	pool_enqueue(p, &p->queue, work, done, arg);
}

void
pool_submit_first(struct pool *p, pool_work_fn *work, pool_done_fn *done,
		  void *arg)
{
	pool_enqueue(p, &p->urgent, work, done, arg);
}

void
pool_submit_cpu(struct pool *p, pool_work_fn *work, pool_done_fn *done,
		void *arg)
{
	pool_enqueue(p, &p->cpu, work, done, arg);
}

void
pool_set_cpu_max(struct pool *p, unsigned n)
{
	pthread_mutex_lock(&p->qlock);
	p->cpu_max = n == 0 ? 1 : n < p->nthreads ? n : p->nthreads;
	pthread_cond_broadcast(&p->qcond);
	pthread_mutex_unlock(&p->qlock);
}

void
pool_post(struct pool *p, pool_done_fn *done, void *arg)
{
	struct pool_job *j = xmalloc(sizeof(*j));

	j->work = NULL;
	j->done = done;
	j->arg = arg;
	pool_complete(p, j);
}

/* queue.h: the outbound queue runner: delivers queued mail to other
   servers, retries, bounces, delay warnings. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_QUEUE_H
#define BUZON_QUEUE_H

#include <stdbool.h>

struct config;
struct ev;
struct pool;
struct queue_runner;
struct store;

/* Start the runner on the loop thread.  *cfgp is read at every use (a
   reload swaps it).  It polls the store every [queue] poll (default
   QUEUE_POLL_MS) for due entries (so `buzon queue flush`, another
   process, takes effect within that time; new mail comes with a
   queue_runner_kick()), clears in-flight marks a crash left, and
   delivers.  ev, pool, store and cfgp must outlive it.  Returns the
   runner (free with queue_runner_free) or NULL with a static *error_r. */
struct queue_runner *queue_runner_new(struct ev *ev, struct pool *pool,
				      struct store *store,
				      struct config *const *cfgp,
				      const char **error_r);
/* Look at the store soon (new mail was queued): within
   QUEUE_KICK_DELAY_MS, one scan for every kick in that time. */
void queue_runner_kick(struct queue_runner *q);
/* Graceful stop: no new attempts, connections are closed (their
   recipients stay queued: at least once), pending store work finishes.
   on_idle(arg) runs on the loop once nothing is pending. */
void queue_runner_stop(struct queue_runner *q, void (*on_idle)(void *),
		       void *arg);
/* Nothing is pending (no pool job, no connection). */
bool queue_runner_idle(const struct queue_runner *q);
/* Free (after the pool is drained); *qp = NULL. */
void queue_runner_free(struct queue_runner **qp);

#endif

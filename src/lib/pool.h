/* pool.h: worker threads for blocking work (fsync, SQLite), results posted
   back to the event loop through an eventfd. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_POOL_H
#define BUZON_POOL_H

struct ev;
struct pool;

/* work(arg) runs on a worker thread; then done(arg) runs on the loop
   thread.  arg is owned by the caller and must stay valid until done(). */
typedef void pool_work_fn(void *arg);
typedef void pool_done_fn(void *arg);

/* Start nthreads workers whose completions are delivered on ev.
   Owned by the caller; pool_free() joins the threads. */
struct pool *pool_new(struct ev *ev, unsigned nthreads);
/* Finish queued work, join the workers, run pending done callbacks,
   set *pp = NULL.  Work submitted by those callbacks runs right there,
   on the calling thread (the workers are gone). */
void pool_free(struct pool **pp);
/* Queue work.  Never fails (out of memory aborts).  Thread-safe. */
void pool_submit(struct pool *p, pool_work_fn *work, pool_done_fn *done,
		 void *arg);
/* Queue work ahead of the jobs pool_submit() queued: the next free
   worker takes it (in order among such jobs).  For short jobs a client
   is waiting on (reading what changed, a page of message data) that
   must not wait behind long ones (commits waiting for the disk, password
   hashing, a search of a large mailbox).  Thread-safe. */
void pool_submit_first(struct pool *p, pool_work_fn *work, pool_done_fn *done,
		       void *arg);
/* Queue CPU-bound work (password hashing): it runs on the ordinary
   queue's terms, but at most pool_set_cpu_max() such jobs at once, so
   that a burst of them cannot occupy every worker while jobs that only
   wait for the disk queue up behind.  Thread-safe. */
void pool_submit_cpu(struct pool *p, pool_work_fn *work, pool_done_fn *done,
		     void *arg);
/* How many pool_submit_cpu() jobs may run at once: n, at least 1, at
   most the number of threads (the default).  Thread-safe. */
void pool_set_cpu_max(struct pool *p, unsigned n);
/* Post done(arg) to the loop thread from any thread, without work. */
void pool_post(struct pool *p, pool_done_fn *done, void *arg);

#endif

/* store_bench.c: deliveries per second through store_deliver() (server
   mode, group commit) with a fixed number of deliveries in flight.
   Build: make build/release/store_bench (`make bench` builds and runs it).
   Run: build/release/store_bench DIR [messages] [in-flight] [size]
   (DIR: an empty or absent data dir; the store is created there). */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "ev.h"
#include "pool.h"
#include "store/store.h"

struct bench {
	struct store *s;
	struct ev *ev;
	int64_t account;
	const char *body;
	size_t size;
	int started, done, failed, total;
};

struct submit {
	struct bench *b;
	struct store_delivery d;
};

static void bench_start_one(struct bench *b);

static void
bench_done(void *arg, int ok, const char *error)
{
	struct submit *sub = arg;
	struct bench *b = sub->b;

	free(sub);
	b->done++;
	if (!ok) {
		b->failed++;
		fprintf(stderr, "delivery failed: %s\n", error);
	}
	if (b->started < b->total)
		bench_start_one(b);
	else if (b->done == b->total)
		ev_stop(b->ev);
}

static void
bench_start_one(struct bench *b)
{
	struct submit *sub = calloc(1, sizeof(*sub));
	const char *err;

	if (sub == NULL) {
		perror("calloc");
		exit(1);
	}
	sub->b = b;
	sub->d.sender = "bench@remote.test";
	sub->d.blob = store_blob_new(b->s, &err);
	if (sub->d.blob == NULL) {
		fprintf(stderr, "blob: %s\n", err);
		exit(1);
	}
	/* Written in SMTP-sized pieces, as a session would. */
	for (size_t off = 0; off < b->size; off += 1000)
		if (store_blob_write(sub->d.blob, b->body + off,
				     b->size - off < 1000 ? b->size - off
							  : 1000) < 0) {
			fprintf(stderr, "store_blob_write failed\n");
			exit(1);
		}
	sub->d.accounts = &b->account;
	sub->d.n_accounts = 1;
	b->started++;
	store_deliver(b->s, &sub->d, bench_done, sub);
}

static double
now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	struct bench b = {0};
	struct pool *pool;
	struct store_account a;
	struct store_stats st;
	const char *err;
	char *body;
	int inflight, i;
	double t0, dt;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [messages] [in-flight] [size]\n",
			argv[0]);
		return 2;
	}
	b.total = argc > 2 ? atoi(argv[2]) : 5000;
	inflight = argc > 3 ? atoi(argv[3]) : 20;
	b.size = argc > 4 ? (size_t)atol(argv[4]) : 4096;
	if (b.total < 1 || inflight < 1 || b.size < 1) {
		fprintf(stderr, "messages, in-flight and size must be > 0\n");
		return 2;
	}
	if ((body = malloc(b.size)) == NULL) {
		perror("malloc");
		return 1;
	}
	for (size_t k = 0; k < b.size; k++)
		body[k] = (k % 78 == 77) ? '\n' : (char)('a' + k % 26);
	b.body = body;
	b.ev = ev_new();
	pool = pool_new(b.ev, 2);
	b.s = store_open(argv[1], pool, &err);
	if (b.s == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		return 1;
	}
	if (store_account_add(b.s, "bench@x.test", "", &err) < 0 ||
	    store_account_get(b.s, "bench@x.test", &a, &err) != 1) {
		fprintf(stderr, "account bench@x.test: %s\n", err);
		return 1;
	}
	b.account = a.id;
	store_account_clear(&a);
	t0 = now_s();
	for (i = 0; i < inflight && i < b.total; i++)
		bench_start_one(&b);
	ev_run(b.ev);
	dt = now_s() - t0;
	store_stats(b.s, &st);
	printf("%d deliveries of %zu bytes, %d in flight: %.2f s, %.0f/s, "
	       "%llu commits (avg batch %.1f, max %llu), %d failed\n",
	       b.total, b.size, inflight, dt, b.total / dt,
	       (unsigned long long)st.commits,
	       st.commits ? (double)st.deliveries_ok / (double)st.commits : 0.0,
	       (unsigned long long)st.batch_max, b.failed);
	store_close(&b.s);
	pool_free(&pool);
	ev_free(&b.ev);
	free(body);
	return b.failed != 0;
}

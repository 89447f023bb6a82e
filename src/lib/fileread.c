/* fileread.c: chunked file reads on the worker pool. */
/* SPDX-License-Identifier: MIT */
#include "fileread.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"
#include "xalloc.h"

struct fileread {
	struct pool *pool;
	int fd;
	uint8_t *buf;
	size_t chunk;
	ssize_t n;  /* result of the last read, -errno on error */
	bool busy;  /* a read is queued or running */
	bool dead;  /* fileread_free() came while busy */
	fileread_fn *fn;
	void *arg;
};

struct fileread *
fileread_new(struct pool *pool, int fd, size_t chunk, fileread_fn *fn,
	     void *arg)
{
	struct fileread *fr = xzalloc(sizeof(*fr));

	fr->pool = pool;
	fr->fd = fd;
	fr->chunk = chunk;
	fr->buf = xmalloc(chunk);
	fr->fn = fn;
	fr->arg = arg;
	return fr;
}

static void
fileread_destroy(struct fileread *fr)
{
	if (fr->fd >= 0)
		close(fr->fd);
	free(fr->buf);
	free(fr);
}

/* Worker thread: only fd, buf, chunk and n are touched here. */
static void
fileread_work(void *arg)
{
	struct fileread *fr = arg;
	ssize_t n;

	do
		n = read(fr->fd, fr->buf, fr->chunk);
	while (n < 0 && errno == EINTR);
	fr->n = n < 0 ? -(ssize_t)errno : n;
}

static void
fileread_done(void *arg)
{
	struct fileread *fr = arg;

	fr->busy = false;
	if (fr->dead) {
		fileread_destroy(fr);
		return;
	}
	fr->fn(fr->arg, fr->buf, fr->n);
}

void
fileread_next(struct fileread *fr)
{
	if (fr->busy || fr->dead)
		return;
	fr->busy = true;
	pool_submit(fr->pool, fileread_work, fileread_done, fr);
}

bool
fileread_busy(const struct fileread *fr)
{
	return fr->busy;
}

void
fileread_free(struct fileread **frp)
{
	struct fileread *fr = *frp;

	if (fr == NULL)
		return;
	*frp = NULL;
	if (fr->busy)
		fr->dead = true; /* fileread_done() frees it */
	else
		fileread_destroy(fr);
}

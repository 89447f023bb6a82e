/* fileread.c: chunked file reads on the worker pool. */
/* SPDX-License-Identifier: MIT */
#include "fileread.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "limits.h"
#include "pool.h"
#include "xalloc.h"

struct fileread {
	struct pool *pool;
	int fd;
	uint8_t *buf;
	size_t chunk;
	ssize_t n;  /* result of the last read, -errno on error */
	bool busy;  /* a read is queued or running */
	bool dead;  /* fileread_free() came while busy or inside fn */
	bool in_fn; /* fn is running from fileread_next() */
	bool again; /* fileread_next() was called from inside fn */
	bool no_nowait; /* RWF_NOWAIT unsupported here: always the pool */
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
	fr->again = false;
	fr->in_fn = true;
	fr->fn(fr->arg, fr->buf, fr->n);
	fr->in_fn = false;
	if (fr->dead)
		fileread_destroy(fr);
	else if (fr->again)
		fileread_next(fr);
}

/* Read from the page cache without blocking (RWF_NOWAIT): returns the
   bytes read, 0 at end of file, -errno; -EAGAIN if the data is not in
   memory (or the kernel cannot tell). */
static ssize_t
fileread_cached(struct fileread *fr)
{
	struct iovec iov = {fr->buf, fr->chunk};
	ssize_t n;

	if (fr->no_nowait)
		return -EAGAIN;
	do
		n = preadv2(fr->fd, &iov, 1, -1, RWF_NOWAIT);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS) {
		fr->no_nowait = true;
		return -EAGAIN;
	}
	return -(ssize_t)errno;
}

void
fileread_next(struct fileread *fr)
{
	size_t sync_bytes = 0;
	ssize_t n;

	if (fr->busy || fr->dead)
		return;
	if (fr->in_fn) {
		fr->again = true; /* the loop below continues */
		return;
	}
	do {
		fr->again = false;
		/* Data already in memory is delivered at once (no thread
		   round trip); past the budget, or when the disk would be
		   touched, the read goes to the pool and the loop runs
		   other work meanwhile. */
		n = sync_bytes < FILEREAD_SYNC_BUDGET ? fileread_cached(fr)
						       : -EAGAIN;
		if (n == -EAGAIN) {
			fr->busy = true;
			pool_submit(fr->pool, fileread_work, fileread_done, fr);
			return;
		}
		if (n > 0)
			sync_bytes += (size_t)n;
		fr->in_fn = true;
		fr->fn(fr->arg, fr->buf, n);
		fr->in_fn = false;
		if (fr->dead) {
			fileread_destroy(fr);
			return;
		}
	} while (fr->again);
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
	if (fr->busy || fr->in_fn)
		fr->dead = true; /* fileread_done()/_next() frees it */
	else
		fileread_destroy(fr);
}

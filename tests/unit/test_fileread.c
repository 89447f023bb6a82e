/* test_fileread.c: chunked file reads on the pool, delivered on the loop. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ev.h"
#include "fileread.h"
#include "limits.h"
#include "pool.h"

struct rd {
	struct ev *ev;
	struct fileread *fr;
	struct buf got;
	int calls, eof, err;
	bool free_in_cb;
};

static void
on_chunk(void *arg, const uint8_t *data, ssize_t n)
{
	struct rd *r = arg;

	r->calls++;
	if (n < 0) {
		r->err = (int)-n;
		ev_stop(r->ev);
		return;
	}
	if (n == 0) {
		r->eof++;
		ev_stop(r->ev);
		return;
	}
	buf_append(&r->got, data, (size_t)n);
	if (r->free_in_cb) {
		fileread_free(&r->fr);
		ev_stop(r->ev);
		return;
	}
	TEST_ASSERT(!fileread_busy(r->fr));
	fileread_next(r->fr);
	fileread_next(r->fr); /* a second request: still one chunk */
}

static char *
temp_file(const uint8_t *data, size_t n)
{
	char *path = strdup("/tmp/buzon-fileread-XXXXXX");
	int fd = mkstemp(path);

	TEST_ASSERT(fd >= 0);
	TEST_ASSERT(write(fd, data, n) == (ssize_t)n);
	close(fd);
	return path;
}

/* Read path whole with chunk-byte reads; returns the collected state. */
static void
read_file(const char *path, size_t chunk, const uint8_t *data, size_t size,
	  unsigned nthreads)
{
	struct rd r = {0};
	struct pool *pool;

	r.ev = ev_new();
	pool = pool_new(r.ev, nthreads);
	buf_init(&r.got, 0);
	r.fr = fileread_new(pool, open(path, O_RDONLY), chunk, on_chunk, &r);
	fileread_next(r.fr);
	/* cached data comes at once; the rest (past the budget) via the
	   pool while the loop runs */
	if (r.eof == 0)
		ev_run(r.ev);
	TEST_ASSERT_INTEQ(r.eof, 1);
	TEST_ASSERT_INTEQ(r.err, 0);
	TEST_ASSERT_INTEQ(buf_len(&r.got), size);
	TEST_ASSERT(memcmp(buf_rptr(&r.got), data, size) == 0);
	TEST_ASSERT_INTEQ(r.calls, (int)((size + chunk - 1) / chunk) + 1);
	fileread_free(&r.fr);
	TEST_ASSERT(r.fr == NULL);
	pool_free(&pool);
	ev_free(&r.ev);
	buf_deinit(&r.got);
}

static void
test_fileread_whole_file(void)
{
	static const size_t sizes[] = {0,    1,      4095,   4096,
				       4097, 300000, 3u << 20};
	uint32_t seed = 1;
	size_t k, i;

	test_begin("fileread: chunks concatenate to the file, then EOF");
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint8_t *data = malloc(sizes[k] + 1);
		char *path;

		for (i = 0; i < sizes[k]; i++)
			data[i] = (uint8_t)test_rand(&seed);
		path = temp_file(data, sizes[k]);
		read_file(path, 4096, data, sizes[k], 2);
		read_file(path, 65536, data, sizes[k], 1);
		unlink(path);
		free(path);
		free(data);
	}
}

static void
test_fileread_error_and_free(void)
{
	uint8_t data[10000];
	struct rd r = {0};
	struct pool *pool;
	char *path;

	test_begin("fileread: read errors, free from the callback and in flight");
	memset(data, 'x', sizeof(data));
	path = temp_file(data, sizeof(data));
	r.ev = ev_new();
	pool = pool_new(r.ev, 1);
	buf_init(&r.got, 0);
	/* a directory cannot be read(): EISDIR reaches the callback */
	r.fr = fileread_new(pool, open("/tmp", O_RDONLY | O_DIRECTORY), 512,
			    on_chunk, &r);
	fileread_next(r.fr);
	if (r.err == 0)
		ev_run(r.ev);
	TEST_ASSERT_INTEQ(r.err, EISDIR);
	fileread_free(&r.fr);
	/* freed inside its own callback: no further calls */
	memset(&r.calls, 0, sizeof(r) - offsetof(struct rd, calls));
	r.free_in_cb = true;
	r.fr = fileread_new(pool, open(path, O_RDONLY), 512, on_chunk, &r);
	fileread_next(r.fr);
	if (r.calls == 0)
		ev_run(r.ev);
	TEST_ASSERT_INTEQ(r.calls, 1);
	TEST_ASSERT(r.fr == NULL);
	/* freed while the read is in flight: past FILEREAD_SYNC_BUDGET the
	   next read goes to the pool; its callback never runs and the
	   pool's completion frees it (ASan checks the leak) */
	unlink(path);
	free(path);
	{
		size_t big = FILEREAD_SYNC_BUDGET * 2;
		uint8_t *d = calloc(1, big);

		path = temp_file(d, big);
		free(d);
	}
	memset(&r.calls, 0, sizeof(r) - offsetof(struct rd, calls));
	r.fr = fileread_new(pool, open(path, O_RDONLY), FILEREAD_SYNC_BUDGET,
			    on_chunk, &r);
	fileread_next(r.fr); /* one chunk from the cache, then the pool */
	TEST_ASSERT_INTEQ(r.calls, 1);
	TEST_ASSERT(r.fr != NULL && fileread_busy(r.fr));
	fileread_free(&r.fr);
	pool_free(&pool); /* runs the pending completion */
	TEST_ASSERT_INTEQ(r.calls, 1);
	ev_free(&r.ev);
	buf_deinit(&r.got);
	unlink(path);
	free(path);
}

TEST_MAIN(test_fileread_whole_file, test_fileread_error_and_free)

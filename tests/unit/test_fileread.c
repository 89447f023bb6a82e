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
	fileread_next(r->fr); /* a second request while busy: no-op */
	TEST_ASSERT(fileread_busy(r->fr));
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

static void
test_fileread_whole_file(void)
{
	static const size_t sizes[] = {0, 1, 4095, 4096, 4097, 300000};
	uint32_t seed = 1;
	size_t k, i;

	test_begin("fileread: chunks concatenate to the file, then EOF");
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint8_t *data = malloc(sizes[k] + 1);
		struct rd r = {0};
		struct pool *pool;
		char *path;

		for (i = 0; i < sizes[k]; i++)
			data[i] = (uint8_t)test_rand(&seed);
		path = temp_file(data, sizes[k]);
		r.ev = ev_new();
		pool = pool_new(r.ev, 2);
		buf_init(&r.got, 0);
		r.fr = fileread_new(pool, open(path, O_RDONLY), 4096, on_chunk,
				    &r);
		fileread_next(r.fr);
		ev_run(r.ev);
		TEST_ASSERT_INTEQ(r.eof, 1);
		TEST_ASSERT_INTEQ(r.err, 0);
		TEST_ASSERT_INTEQ(buf_len(&r.got), sizes[k]);
		TEST_ASSERT(memcmp(buf_rptr(&r.got), data, sizes[k]) == 0);
		TEST_ASSERT_INTEQ(r.calls, (int)((sizes[k] + 4095) / 4096) + 1);
		fileread_free(&r.fr);
		TEST_ASSERT(r.fr == NULL);
		pool_free(&pool);
		ev_free(&r.ev);
		buf_deinit(&r.got);
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
	ev_run(r.ev);
	TEST_ASSERT_INTEQ(r.err, EISDIR);
	fileread_free(&r.fr);
	/* freed inside its own callback: no further calls */
	memset(&r.calls, 0, sizeof(r) - offsetof(struct rd, calls));
	r.free_in_cb = true;
	r.fr = fileread_new(pool, open(path, O_RDONLY), 512, on_chunk, &r);
	fileread_next(r.fr);
	ev_run(r.ev);
	TEST_ASSERT_INTEQ(r.calls, 1);
	TEST_ASSERT(r.fr == NULL);
	/* freed while the read is in flight: the callback never runs and
	   the pool's completion frees it (ASan checks the leak) */
	r.calls = 0;
	r.fr = fileread_new(pool, open(path, O_RDONLY), 512, on_chunk, &r);
	fileread_next(r.fr);
	fileread_free(&r.fr);
	pool_free(&pool); /* runs the pending completion */
	TEST_ASSERT_INTEQ(r.calls, 0);
	ev_free(&r.ev);
	buf_deinit(&r.got);
	unlink(path);
	free(path);
}

TEST_MAIN(test_fileread_whole_file, test_fileread_error_and_free)

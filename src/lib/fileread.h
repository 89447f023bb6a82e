/* fileread.h: read a file in chunks on the worker pool, so that the event
   loop never waits on the disk (DESIGN.md), with one read in flight. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_FILEREAD_H
#define BUZON_FILEREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pool;
struct fileread;

/* Runs on the loop thread for each fileread_next(): n > 0 bytes at data
   (valid only during the call), n == 0 at end of file, n < 0 for an
   error (-errno).  fn may call fileread_next() or fileread_free(). */
typedef void fileread_fn(void *arg, const uint8_t *data, ssize_t n);

/* A reader of fd (which it owns from now on and closes), chunk bytes at
   a time, from fd's current offset.  Never NULL. */
struct fileread *fileread_new(struct pool *pool, int fd, size_t chunk,
			      fileread_fn *fn, void *arg);
/* Read the next chunk.  Bytes already in the page cache are read at once
   without blocking (preadv2 RWF_NOWAIT) and fn runs before this returns
   (calls to fileread_next() from fn are queued, not nested); otherwise,
   and after FILEREAD_SYNC_BUDGET bytes in one call, the read runs on a
   worker thread and fn gets it on the loop later.  Does nothing while a
   read is in flight. */
void fileread_next(struct fileread *fr);
/* Is a read in flight? */
bool fileread_busy(const struct fileread *fr);
/* Stop: fn is never called again, the fd is closed and the memory freed
   (at once, or when the read in flight ends).  *frp = NULL; NULL-safe. */
void fileread_free(struct fileread **frp);

#endif

/* xalloc.h: allocation that aborts on out-of-memory (no NULL checks needed). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_XALLOC_H
#define BUZON_XALLOC_H

#include <stddef.h>

/* All return memory owned by the caller (free(3) it); never NULL:
   out of memory panics.  xcalloc/xzalloc memory is zeroed. */
void *xmalloc(size_t n);
void *xzalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string, owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

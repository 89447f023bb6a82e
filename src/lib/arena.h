/* arena.h: alloc-only memory with cleanup hooks. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_ARENA_H
#define BUZON_ARENA_H

#include <stddef.h>

struct arena;

/* A new arena whose chunks are at least chunk bytes.  name is kept (not
   copied) for debugging; pass a string literal. */
struct arena *arena_new(const char *name, size_t chunk);
/* Zeroed memory, 16-byte aligned, valid until arena_reset()/arena_free(). */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Run fn(ctx) when the arena is reset or freed (last registered, first run). */
void arena_on_free(struct arena *a, void (*fn)(void *), void *ctx);
/* Run cleanups, keep the first chunk, drop the rest. */
void arena_reset(struct arena *a);
/* Run cleanups, free everything, set *ap = NULL. */
void arena_free(struct arena **ap);

#endif

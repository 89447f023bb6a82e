/* arena.c: alloc-only memory with cleanup hooks. */
/* SPDX-License-Identifier: MIT */
#include "arena.h"
#include "xalloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	void (*fn)(void *);
	void *ctx;
};

struct arena {
	const char *name;
	size_t chunk;
	struct arena_chunk *head; /* current chunk; the first is last in list */
	struct arena_cleanup *cleanups;
};

static struct arena_chunk *
arena_chunk_new(size_t size)
{
	struct arena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		abort(); /* the header would wrap the size */
	c = xmalloc(sizeof(*c) + size);

	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

struct arena *
arena_new(const char *name, size_t chunk)
{
	struct arena *a = xzalloc(sizeof(*a));

	a->name = name;
	a->chunk = chunk < 256 ? 256 : chunk;
	a->head = arena_chunk_new(a->chunk);
	return a;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need = (n + 15) & ~(size_t)15;
	void *p;

	if (need < n)
		abort();
	if (c->size - c->used < need) {
		size_t size = need > a->chunk ? need : a->chunk;
		struct arena_chunk *nc = arena_chunk_new(size);

		nc->next = c;
		a->head = c = nc;
	}
	p = c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void
arena_on_free(struct arena *a, void (*fn)(void *), void *ctx)
{
	struct arena_cleanup *cl = xmalloc(sizeof(*cl));

	cl->fn = fn;
	cl->ctx = ctx;
	cl->next = a->cleanups;
	a->cleanups = cl;
}

static void
arena_run_cleanups(struct arena *a)
{
	while (a->cleanups != NULL) {
		struct arena_cleanup *cl = a->cleanups;

		a->cleanups = cl->next;
		cl->fn(cl->ctx);
		free(cl);
	}
}

void
arena_reset(struct arena *a)
{
	arena_run_cleanups(a);
	while (a->head->next != NULL) {
		struct arena_chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
	a->head->used = 0;
}

void
arena_free(struct arena **ap)
{
	struct arena *a = *ap;

	if (a == NULL)
		return;
	arena_reset(a);
	free(a->head);
	free(a);
	*ap = NULL;
}

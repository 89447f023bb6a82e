/* imap_seqset.c: IMAP sequence sets ("1:3,5,*", "$") parsed into ranges. */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_seqset.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

/* seq-number = nz-number / "*" at s[*ip].  Returns 0 with *v (0 = "*"). */
static int
imap_seqset_number(const char *s, size_t n, size_t *ip, uint32_t *v)
{
	size_t i = *ip, start = i;
	uint64_t x;

	if (i < n && s[i] == '*') {
		*v = 0;
		*ip = i + 1;
		return 0;
	}
	/* nz-number = digit-nz *DIGIT: no leading zero. */
	if (i >= n || s[i] < '1' || s[i] > '9')
		return -1;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (imap_parse_number(s + start, i - start, UINT32_MAX, &x) < 0)
		return -1;
	*v = (uint32_t)x;
	*ip = i;
	return 0;
}

int
imap_seqset_parse(const char *s, size_t n, struct arena *a,
		  struct imap_seqset *set_r)
{
	size_t i = 0, count = 1, k;

	memset(set_r, 0, sizeof(*set_r));
	if (n == 1 && s[0] == '$') {
		set_r->saved = true;
		return 0;
	}
	for (k = 0; k < n; k++)
		if (s[k] == ',')
			count++;
	set_r->r = arena_alloc(a, count * sizeof(*set_r->r));
	for (;;) {
		struct imap_seq_range *r = &set_r->r[set_r->n++];

		if (imap_seqset_number(s, n, &i, &r->lo) < 0)
			return -1;
		r->hi = r->lo;
		if (i < n && s[i] == ':') {
			i++;
			if (imap_seqset_number(s, n, &i, &r->hi) < 0)
				return -1;
		}
		if (i == n)
			return 0;
		if (s[i++] != ',')
			return -1;
	}
}

int
imap_seqset_arg(const struct imap_arg *arg, struct arena *a,
		struct imap_seqset *set_r)
{
	if (arg == NULL || arg->type != IMAP_ARG_ATOM)
		return -1;
	return imap_seqset_parse(arg->str, arg->len, a, set_r);
}

static int
imap_seqset_cmp(const void *x, const void *y)
{
	const struct imap_seq_range *a = x, *b = y;

	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

void
imap_seqset_resolve(const struct imap_seqset *in, uint32_t star,
		    struct arena *a, struct imap_seqset *out)
{
	size_t i, n = 0;

	ASSERT(!in->saved);
	memset(out, 0, sizeof(*out));
	out->r = arena_alloc(a, (in->n ? in->n : 1) * sizeof(*out->r));
	for (i = 0; i < in->n; i++) {
		uint32_t lo = in->r[i].lo ? in->r[i].lo : star;
		uint32_t hi = in->r[i].hi ? in->r[i].hi : star;

		/* RFC 9051 9: "2:4" and "4:2" are the same range. */
		out->r[i].lo = lo < hi ? lo : hi;
		out->r[i].hi = lo < hi ? hi : lo;
	}
	qsort(out->r, in->n, sizeof(*out->r), imap_seqset_cmp);
	for (i = 0; i < in->n; i++) {
		if (n > 0 && (uint64_t)out->r[n - 1].hi + 1 >= out->r[i].lo) {
			if (out->r[i].hi > out->r[n - 1].hi)
				out->r[n - 1].hi = out->r[i].hi;
			continue;
		}
		out->r[n++] = out->r[i];
	}
	out->n = n;
}

bool
imap_seqset_contains(const struct imap_seqset *set, uint32_t v)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v < set->r[mid].lo)
			hi = mid;
		else if (v > set->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

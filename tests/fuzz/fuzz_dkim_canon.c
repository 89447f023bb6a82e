/* fuzz_dkim_canon.c: fuzz DKIM canonicalisation: the field iterator and
   header canonicalisation over the input as a header section, and the body
   hasher over it as a body (whole vs split must agree). */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dkim/dkim_canon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Relaxed output: lowercase name, one colon kept, no WSP around it, no
   WSP runs, no WSP before the final CRLF, no line end inside. */
static void
check_relaxed_header(const struct dkim_field *f, const struct buf *out)
{
	const uint8_t *p = buf_rptr(out);
	size_t n = buf_len(out), i;
	bool in_name = f->has_colon;

	if (n < 2 || p[n - 2] != '\r' || p[n - 1] != '\n')
		abort();
	for (i = 0; i + 2 < n; i++) {
		if (p[i] == '\t' || p[i] == '\n' ||
		    (p[i] == '\r' && p[i + 1] == '\n'))
			abort();
		if (p[i] == ' ' && (p[i + 1] == ' ' || i + 3 == n || i == 0))
			abort();
		if (in_name && p[i] >= 'A' && p[i] <= 'Z')
			abort();
		if (in_name && p[i] == ':') {
			if ((i > 0 && p[i - 1] == ' ') || p[i + 1] == ' ')
				abort();
			in_name = false;
		}
	}
}

static void
fuzz_header(const uint8_t *data, size_t size)
{
	struct dkim_field f;
	struct buf out;
	size_t pos = 0, last = 0;

	buf_init(&out, 0);
	while (dkim_canon_field_next(data, size, &pos, &f) > 0) {
		if (f.data != data + last || f.len == 0 ||
		    pos != last + f.len || f.name_len > f.len)
			abort();
		last = pos;
		buf_reset(&out);
		if (dkim_canon_header(DKIM_CANON_RELAXED, f.data, f.len, &out) <
		    0)
			abort();
		check_relaxed_header(&f, &out);
		buf_reset(&out);
		if (dkim_canon_header(DKIM_CANON_SIMPLE, f.data, f.len, &out) <
			0 ||
		    buf_len(&out) < f.len)
			abort();
	}
	if (pos != last || pos > size)
		abort();
	buf_deinit(&out);
}

/* Relaxed body output: lines end in CRLF, no WSP runs or tabs, no WSP at a
   line end, no empty line at the end. */
static void
check_relaxed_body(const struct buf *out)
{
	const uint8_t *p = buf_rptr(out);
	size_t n = buf_len(out), i;

	if (n == 0)
		return;
	if (n < 3 || p[n - 2] != '\r' || p[n - 1] != '\n' ||
	    (p[n - 3] == '\n' && n >= 4 && p[n - 4] == '\r'))
		abort();
	for (i = 0; i < n; i++) {
		if (p[i] == '\t')
			abort();
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			abort();
		if (p[i] == ' ' && i + 1 < n &&
		    (p[i + 1] == ' ' ||
		     (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')))
			abort();
	}
}

static void
fuzz_body(enum dkim_canon_alg alg, const uint8_t *data, size_t size,
	  size_t step)
{
	struct buf c1, c2;
	struct dkim_canon_body *b1, *b2;
	uint8_t h1[DKIM_HASH_LEN], h2[DKIM_HASH_LEN];
	size_t pos;

	buf_init(&c1, 0);
	buf_init(&c2, 0);
	b1 = dkim_canon_body_new(alg, &c1);
	b2 = dkim_canon_body_new(alg, &c2);
	dkim_canon_body_update(b1, data, size);
	for (pos = 0; pos < size; pos += step)
		dkim_canon_body_update(b2, data + pos,
				       size - pos < step ? size - pos : step);
	dkim_canon_body_final(b1, h1);
	dkim_canon_body_final(b2, h2);
	if (buf_len(&c1) != buf_len(&c2) ||
	    memcmp(buf_rptr(&c1), buf_rptr(&c2), buf_len(&c1)) != 0 ||
	    memcmp(h1, h2, sizeof(h1)) != 0 ||
	    dkim_canon_body_length(b1) != buf_len(&c1))
		abort();
	if (alg == DKIM_CANON_RELAXED)
		check_relaxed_body(&c1);
	else if (buf_len(&c1) < 2)
		abort(); /* simple: never empty (3.4.3) */
	dkim_canon_body_free(&b1);
	dkim_canon_body_free(&b2);
	buf_deinit(&c1);
	buf_deinit(&c2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step;

	if (size == 0)
		return 0;
	step = (size_t)(data[0] % 13) + 1;
	data++;
	size--;
	fuzz_header(data, size);
	fuzz_body(DKIM_CANON_RELAXED, data, size, step);
	fuzz_body(DKIM_CANON_SIMPLE, data, size, step);
	return 0;
}

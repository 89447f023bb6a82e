/* fuzz_mime_header.c: fuzz header unfolding, Content-Type /
   Content-Disposition parsing with RFC 2231 parameters and parameter
   decoding. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "limits.h"
#include "mime/mime_decode.h"
#include "mime/mime_header.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One line per parse result, to compare two parses. */
static void
dump(const struct mime_content *c, int rc, struct buf *out)
{
	size_t i;

	buf_printf(out, "%d %s/%s\n", rc, c->type ? c->type : "-",
		   c->subtype ? c->subtype : "-");
	for (i = 0; i < c->n_params; i++) {
		const struct mime_param *p = &c->params[i];

		buf_printf(out, "%s %d %s'%s'%s\n", p->name, p->extended,
			   p->charset ? p->charset : "-",
			   p->language ? p->language : "-", p->value);
	}
}

/* Invariants of one parse; the dump goes to out. */
static void
check(const char *v, size_t n, bool with_subtype, struct arena *a,
      struct buf *out)
{
	struct mime_content c;
	int rc = mime_content_parse(v, n, with_subtype, a, &c);
	size_t i, j;

	if (rc < 0 && (c.type != NULL || c.subtype != NULL || c.n_params > 0))
		abort();
	if (rc == 0 && (c.type == NULL || c.type[0] == '\0' ||
			(c.subtype != NULL) != with_subtype))
		abort();
	if (c.n_params > MIME_PARAMS_MAX)
		abort();
	for (i = 0; i < c.n_params; i++) {
		const struct mime_param *p = &c.params[i];
		char *d;
		struct buf u;

		if (p->name[0] == '\0' || p->value == NULL ||
		    mime_content_param(&c, p->name) != p)
			abort(); /* names are unique */
		for (j = 0; p->name[j] != '\0'; j++)
			if (p->name[j] >= 'A' && p->name[j] <= 'Z')
				abort();
		if (p->extended && (p->charset == NULL || p->language == NULL))
			abort();
		/* the decoded value is UTF-8 (converting it changes nothing) */
		d = mime_param_decode(p, a);
		buf_init(&u, 0);
		mime_charset_to_utf8("utf-8", d, strlen(d), &u);
		if (buf_len(&u) != strlen(d) ||
		    (buf_len(&u) > 0 && memcmp(buf_rptr(&u), d, buf_len(&u))))
			abort();
		buf_deinit(&u);
	}
	dump(&c, rc, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new("fuzz", 4096);
	char *v = malloc(size + 1);
	struct buf d1, d2, folded;
	size_t n, i;
	int ws;

	memcpy(v, data, size);
	buf_init(&d1, 0);
	buf_init(&d2, 0);
	buf_init(&folded, 0);

	/* Unfolding: no CR, LF or NUL, no WSP at either end, idempotent. */
	n = mime_header_unfold(v, size, v);
	if (n > size)
		abort();
	for (i = 0; i < n; i++)
		if (v[i] == '\r' || v[i] == '\n' || v[i] == '\0')
			abort();
	if (n > 0 && (v[0] == ' ' || v[0] == '\t' || v[n - 1] == ' ' ||
		      v[n - 1] == '\t'))
		abort();
	if (mime_header_unfold(v, n, v) != n)
		abort();
	if (strlen(mime_header_value(a, (const char *)data, size)) != n)
		abort();

	/* Content-Type and Content-Disposition syntax over the raw bytes;
	   folding (CRLF before each WSP) does not change the result. */
	for (i = 0; i < size; i++) {
		ws = data[i] == ' ' || data[i] == '\t';
		if (ws)
			buf_append(&folded, "\r\n", 2);
		buf_append(&folded, data + i, 1);
	}
	for (ws = 0; ws < 2; ws++) {
		buf_reset(&d1);
		buf_reset(&d2);
		check((const char *)data, size, ws, a, &d1);
		if (buf_len(&folded) > 0)
			check((const char *)buf_rptr(&folded), buf_len(&folded),
			      ws, a, &d2);
		else
			check((const char *)data, 0, ws, a, &d2);
		if (buf_len(&d1) != buf_len(&d2) ||
		    memcmp(buf_rptr(&d1), buf_rptr(&d2), buf_len(&d1)) != 0)
			abort();
	}

	buf_deinit(&d1);
	buf_deinit(&d2);
	buf_deinit(&folded);
	free(v);
	arena_free(&a);
	return 0;
}

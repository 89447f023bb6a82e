/* fuzz_http_parse.c: fuzz the HTTP/1.1 request parser and its helpers. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_split.h"
#include "limits.h"
#include "web/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small limits, so that short inputs reach every one of them. */
static const struct http_parse_limits fuzz_limits = {
    .request_line_max = 256,
    .header_bytes_max = 1024,
    .headers_max = 16,
    .body_max = 4096,
    .chunk_line_max = 64,
    .chunk_ext_total_max = 256,
    .trailer_bytes_max = 256,
    .trailers_max = 8,
};

static void
check_fields(const struct http_header *h, unsigned n, struct buf *log)
{
	unsigned i;
	size_t k;

	for (i = 0; i < n; i++) {
		if (strlen(h[i].name) != h[i].name_len || h[i].name_len == 0 ||
		    strlen(h[i].value) != h[i].value_len)
			abort();
		for (k = 0; k < h[i].value_len; k++)
			if (h[i].value[k] == '\r' || h[i].value[k] == '\n')
				abort();
		if (h[i].value_len > 0 &&
		    (h[i].value[0] == ' ' ||
		     h[i].value[h[i].value_len - 1] == ' '))
			abort();
		buf_printf(log, " {%s}{%s}", h[i].name, h[i].value);
	}
}

/* The helpers on what the parser returned. */
static void
check_helpers(const struct http_request *r, struct buf *log)
{
	const char *q, *name, *value, *s;
	size_t plen, nl, vl, n;
	char out[HTTP_REQUEST_LINE_MAX + 1];
	long dl;
	int idx;

	if (r->form != HTTP_TARGET_ASTERISK) {
		http_parse_query_split(r->path, &plen, &q);
		dl = http_parse_path(r->path, plen, out);
		if (dl >= 0) {
			/* Never longer, rooted, no dot segment left. */
			if ((size_t)dl > plen || out[0] != '/' ||
			    strlen(out) != (size_t)dl ||
			    strstr(out, "/../") != NULL ||
			    strpbrk(out,
				    "\x01\x02\x03\x04\x05\x06\x07\x08"
				    "\t\n\v\f\r\x0e\x0f\x10\x11\x12"
				    "\x13\x14\x15\x16\x17\x18\x19\x1a"
				    "\x1b\x1c\x1d\x1e\x1f\x7f\\") != NULL ||
			    strstr(out, "/./") != NULL ||
			    (dl >= 3 && strcmp(out + dl - 3, "/..") == 0))
				abort();
			buf_printf(log, " path=%s", out);
		}
		if (q != NULL) {
			n = strlen(q);
			while (http_parse_query_next(&q, &n, &name, &nl, &value,
						     &vl) > 0) {
				if (http_parse_form_decode(value, vl, out) >
				    (long)vl)
					abort();
				buf_printf(log, " q=%.*s", (int)nl, name);
			}
		}
	}
	buf_printf(log, " enc=%u", http_parse_accept_encoding(r));
	idx = http_parse_header_find(r->headers, r->nheaders, "Cookie", 0);
	if (idx >= 0) {
		s = r->headers[idx].value;
		n = r->headers[idx].value_len;
		while (http_parse_cookie_next(&s, &n, &name, &nl, &value, &vl) >
		       0) {
			if (nl == 0 || name < r->headers[idx].value ||
			    value + vl > r->headers[idx].value +
					     r->headers[idx].value_len)
				abort();
			buf_printf(log, " c=%.*s", (int)nl, name);
		}
	}
	idx =
	    http_parse_header_find(r->headers, r->nheaders, "Authorization", 0);
	if (idx >= 0) {
		struct http_basic_auth a;

		if (http_parse_basic_auth(r->headers[idx].value,
					  r->headers[idx].value_len, &a) == 0)
			buf_printf(log, " user=%s", a.user);
		else if (a.user[0] != '\0' || a.pass[0] != '\0')
			abort();
	}
}

/* Parse the stream in chunks of the sizes a xorshift seeded with seed
   gives (seed 0: whole); write a transcript. */
static void
run(const uint8_t *data, size_t size, uint32_t seed, struct buf *log)
{
	struct http_parser p;
	struct http_event ev;
	struct buf in;
	size_t pos = 0;
	uint64_t body = 0;
	int rc = 0;

	http_parser_init(&p, &fuzz_limits);
	buf_init(&in, 0);
	while (pos < size && rc >= 0) {
		size_t n = fuzz_chunk(&seed, size - pos);

		buf_append(&in, data + pos, n);
		pos += n;
		while ((rc = http_parse(&p, &in, &ev)) > 0) {
			const struct http_request *r = &p.req;

			if (ev.type == HTTP_EV_HEAD) {
				if (r->version != 10 && r->version != 11)
					abort();
				if (r->version == 11 && r->nheaders == 0)
					abort(); /* Host is required */
				buf_printf(
				    log, "H %s %s %s %u %d %llu %d\n",
				    r->method_str, r->path, r->host, r->version,
				    r->chunked,
				    (unsigned long long)r->content_length,
				    r->keep_alive);
				if (!r->chunked &&
				    r->content_length > fuzz_limits.body_max)
					abort();
				check_fields(r->headers, r->nheaders, log);
				check_helpers(r, log);
				buf_printf(log, "\n");
				body = 0;
			} else if (ev.type == HTTP_EV_BODY) {
				if (ev.len == 0)
					abort();
				body += ev.len;
				buf_append(log, ev.data, ev.len);
			} else {
				if (body != r->body_bytes ||
				    body > fuzz_limits.body_max ||
				    (!r->chunked &&
				     body != r->content_length) ||
				    r->ntrailers > fuzz_limits.trailers_max)
					abort();
				buf_printf(log, "\nE %llu",
					   (unsigned long long)body);
				check_fields(r->trailers, r->ntrailers, log);
				buf_printf(log, "\n");
			}
		}
		if (rc < 0) {
			if (p.error == NULL ||
			    (p.status != 400 && p.status != 413 &&
			     p.status != 414 && p.status != 417 &&
			     p.status != 431 && p.status != 501 &&
			     p.status != 505) ||
			    http_parse(&p, &in, &ev) != -1)
				abort();
			buf_printf(log, "X %d %s\n", p.status, p.error);
		} else if (buf_len(&in) != 0) {
			abort();
		}
	}
	buf_deinit(&in);
	http_parser_deinit(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Results must not depend on how the input arrives. */
	fuzz_split_check(data, size, run);
	return 0;
}

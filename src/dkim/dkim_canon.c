/* dkim_canon.c: DKIM header and body canonicalisation (RFC 6376 3.4). */
/* SPDX-License-Identifier: MIT */
#include "dkim/dkim_canon.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

/* Canonical octets are collected here before they go to the digest. */
#define DKIM_CANON_OUT_CHUNK 1024

struct dkim_canon_body {
	enum dkim_canon_alg alg;
	EVP_MD_CTX *md;
	struct buf *copy;
	uint64_t length;       /* canonical octets emitted */
	uint64_t crlf_pending; /* line ends not yet emitted: RFC 6376 3.4.3
				  drops the empty lines at the end, so a
				  line end is only written once an octet
				  follows it (or at _final) */
	bool cr_pending;       /* last octet was CR: a line end if LF follows */
	bool wsp_pending;      /* relaxed: WSP seen, not yet written */
	bool line_open;        /* the current line has content */
	bool finished;
	size_t out_len;
	uint8_t out[DKIM_CANON_OUT_CHUNK];
};

static inline bool
dkim_is_wsp(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Length of the line end at p[0..n) (CRLF 2, bare LF 1), else 0. */
static inline size_t
dkim_eol_len(const uint8_t *p, size_t n)
{
	if (n >= 1 && p[0] == '\n')
		return 1;
	if (n >= 2 && p[0] == '\r' && p[1] == '\n')
		return 2;
	return 0;
}

int
dkim_canon_field_next(const uint8_t *hdr, size_t len, size_t *pos,
		      struct dkim_field *f_r)
{
	size_t start = *pos, i = start, eol, k;

	if (i >= len || dkim_eol_len(hdr + i, len - i) > 0)
		return 0;
	for (;;) {
		/* to the end of this line */
		while (i < len && (eol = dkim_eol_len(hdr + i, len - i)) == 0)
			i++;
		if (i >= len)
			break;
		i += eol;
		/* RFC 5322 2.2.3: a line starting with WSP continues the field
		 */
		if (i >= len || !dkim_is_wsp(hdr[i]))
			break;
	}
	memset(f_r, 0, sizeof(*f_r));
	f_r->data = hdr + start;
	f_r->len = i - start;
	for (k = 0; k < f_r->len; k++) {
		if (f_r->data[k] == ':') {
			f_r->has_colon = true;
			break;
		}
		if (dkim_eol_len(f_r->data + k, f_r->len - k) > 0)
			break;
	}
	while (k > 0 && dkim_is_wsp(f_r->data[k - 1]))
		k--;
	f_r->name_len = k;
	*pos = i;
	return 1;
}

/* RFC 6376 3.4.1: unchanged, except that every line end is a CRLF. */
static int
dkim_canon_header_simple(const uint8_t *p, size_t len, struct buf *out)
{
	size_t i, run = 0, eol;

	for (i = 0; i < len; i++) {
		if (p[i] != '\n')
			continue;
		eol = i > 0 && p[i - 1] == '\r' ? i - 1 : i;
		if (buf_append(out, p + run, eol - run) < 0 ||
		    buf_append(out, "\r\n", 2) < 0)
			return -1;
		run = i + 1;
	}
	if (run < len || len == 0) /* no line end at the end: add one */
		if (buf_append(out, p + run, len - run) < 0 ||
		    buf_append(out, "\r\n", 2) < 0)
			return -1;
	return 0;
}

/* RFC 6376 3.4.2: lowercase name, unfold, WSP runs to one SP, no WSP at
   the end of the value nor around the colon. */
static int
dkim_canon_header_relaxed(const uint8_t *p, size_t len, struct buf *out)
{
	bool in_name = true, started = false, wsp = false;
	size_t i = 0, eol;
	uint8_t c;

	while (i < len) {
		if ((eol = dkim_eol_len(p + i, len - i)) > 0) {
			i += eol; /* unfold: the line end itself goes */
			continue;
		}
		c = p[i++];
		if (dkim_is_wsp(c)) {
			wsp = true;
			continue;
		}
		if (in_name && c == ':') {
			/* WSP before and after the colon goes */
			if (buf_append(out, ":", 1) < 0)
				return -1;
			in_name = false;
			started = wsp = false;
			continue;
		}
		if (wsp && started && buf_append(out, " ", 1) < 0)
			return -1;
		wsp = false;
		started = true;
		if (in_name && c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		if (buf_append(out, &c, 1) < 0)
			return -1;
	}
	/* WSP at the end of the value is dropped; the field ends in CRLF */
	return buf_append(out, "\r\n", 2);
}

int
dkim_canon_header(enum dkim_canon_alg alg, const uint8_t *field, size_t len,
		  struct buf *out)
{
	return alg == DKIM_CANON_RELAXED
		   ? dkim_canon_header_relaxed(field, len, out)
		   : dkim_canon_header_simple(field, len, out);
}

struct dkim_canon_body *
dkim_canon_body_new(enum dkim_canon_alg alg, struct buf *copy)
{
	struct dkim_canon_body *b = xzalloc(sizeof(*b));

	b->alg = alg;
	b->copy = copy;
	b->md = EVP_MD_CTX_new();
	if (b->md == NULL || EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1)
		panic("dkim: cannot initialise SHA-256");
	return b;
}

static void
dkim_body_flush(struct dkim_canon_body *b)
{
	if (b->out_len == 0)
		return;
	if (EVP_DigestUpdate(b->md, b->out, b->out_len) != 1)
		panic("dkim: SHA-256 update failed");
	if (b->copy != NULL)
		(void)buf_append(b->copy, b->out, b->out_len);
	b->length += b->out_len;
	b->out_len = 0;
}

static inline void
dkim_body_emit(struct dkim_canon_body *b, uint8_t c)
{
	if (b->out_len == sizeof(b->out))
		dkim_body_flush(b);
	b->out[b->out_len++] = c;
}

/* An octet of line content: first the line ends held back, then (relaxed)
   the one SP that stands for a run of WSP inside the line. */
static inline void
dkim_body_content(struct dkim_canon_body *b, uint8_t c)
{
	for (; b->crlf_pending > 0; b->crlf_pending--) {
		dkim_body_emit(b, '\r');
		dkim_body_emit(b, '\n');
	}
	if (b->wsp_pending) {
		dkim_body_emit(b, ' ');
		b->wsp_pending = false;
	}
	dkim_body_emit(b, c);
	b->line_open = true;
}

static inline void
dkim_body_line_end(struct dkim_canon_body *b)
{
	/* RFC 6376 3.4.4 a: WSP at the end of a line is ignored */
	b->wsp_pending = false;
	b->line_open = false;
	b->crlf_pending++;
}

void
dkim_canon_body_update(struct dkim_canon_body *b, const void *data, size_t len)
{
	const uint8_t *p = data;
	bool relaxed = b->alg == DKIM_CANON_RELAXED;
	size_t i;

	ASSERT(!b->finished);
	for (i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (b->cr_pending) {
			b->cr_pending = false;
			if (c == '\n') {
				dkim_body_line_end(b);
				continue;
			}
			dkim_body_content(b, '\r');
		}
		if (c == '\r')
			b->cr_pending = true;
		else if (c == '\n')
			dkim_body_line_end(b);
		else if (relaxed && dkim_is_wsp(c))
			b->wsp_pending = true; /* 3.4.4 a: runs become one SP */
		else
			dkim_body_content(b, c);
	}
}

void
dkim_canon_body_final(struct dkim_canon_body *b, uint8_t hash_r[DKIM_HASH_LEN])
{
	unsigned n = DKIM_HASH_LEN;

	ASSERT(!b->finished);
	b->finished = true;
	if (b->cr_pending) {
		b->cr_pending = false;
		dkim_body_content(b, '\r');
	}
	/* Trailing WSP of an unterminated last line: that line travels with
	   a CRLF added, so its WSP is at the end of a line (3.4.4 a). */
	b->wsp_pending = false;
	if (b->length + b->out_len > 0 || b->alg == DKIM_CANON_SIMPLE) {
		/* 3.4.3: "*CRLF" at the end becomes one CRLF, and an empty
		   body is one CRLF; 3.4.4 b: an empty body stays empty, a
		   non-empty one ends with exactly one CRLF. */
		dkim_body_emit(b, '\r');
		dkim_body_emit(b, '\n');
	}
	b->crlf_pending = 0;
	dkim_body_flush(b);
	if (EVP_DigestFinal_ex(b->md, hash_r, &n) != 1 || n != DKIM_HASH_LEN)
		panic("dkim: SHA-256 final failed");
}

uint64_t
dkim_canon_body_length(const struct dkim_canon_body *b)
{
	return b->length + b->out_len;
}

void
dkim_canon_body_free(struct dkim_canon_body **bp)
{
	if (*bp == NULL)
		return;
	EVP_MD_CTX_free((*bp)->md);
	free(*bp);
	*bp = NULL;
}

/* imap_section.c: locate BODY[section] / BINARY[section] in the bytes of
   a message (RFC 9051 6.4.5.1, RFC 3516).  The part tree is built with
   the rules of mime_summary.c, so that part numbers agree with the
   stored BODYSTRUCTURE. */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_section.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "limits.h"
#include "mime/mime_decode.h"
#include "mime/mime_header.h"
#include "xalloc.h"

enum sec_kind {
	SEC_LEAF,
	SEC_MULTIPART, /* children between boundary lines */
	SEC_MESSAGE,   /* message/rfc822 or /global: one child, the message */
};

/* One body part; offsets into the message. */
struct sec_part {
	struct sec_part *parent, *child, *last_child, *next;
	unsigned depth;
	enum sec_kind kind;
	bool in_body; /* header done */
	bool closed;  /* close-delimiter seen */
	size_t start, body_start, end;
	const char *type, *subtype, *encoding; /* lower-case */
	const char *boundary;
	size_t blen;
};

struct sec_parser {
	const uint8_t *msg;
	size_t n;
	struct mime_limits lim;
	struct arena *a;       /* the tree */
	struct arena *scratch; /* per header block */
	struct sec_part *root, *cur;
	unsigned n_parts;
	/* Header bytes of cur while in its header, LF line ends, at most
	   lim.header_bytes_max (as mime_summary keeps them). */
	struct buf hdr;
	bool hdr_full;
	/* The line being handled (content without its line end). */
	size_t line_start, line_len;
	/* The previous line end. */
	bool have_prev;
	size_t prev_eol;
};

/* ---- Header fields (RFC 5322 2.2) ---- */

struct sec_field {
	const char *start, *end; /* the whole field with its line ends */
	const char *name;
	size_t name_len;
	const char *value; /* after the colon, up to end */
};

/* The next field of h[*pos, n): a field ends at a LF not followed by SP
   or HTAB; lines that are not fields (no colon, a stray continuation)
   come back with name == NULL.  Returns false at the end. */
static bool
sec_field_next(const char *h, size_t n, size_t *pos, struct sec_field *f)
{
	const char *p = h + *pos, *end = h + n, *fe = p, *colon, *ne;

	if (p >= end)
		return false;
	for (;;) {
		const char *lf = memchr(fe, '\n', (size_t)(end - fe));

		if (lf == NULL) {
			fe = end;
			break;
		}
		fe = lf + 1;
		if (fe >= end || (*fe != ' ' && *fe != '\t'))
			break;
	}
	*pos = (size_t)(fe - h);
	f->start = p;
	f->end = fe;
	f->name = NULL;
	f->name_len = 0;
	colon = memchr(p, ':', (size_t)(fe - p));
	if (colon == NULL || *p == ' ' || *p == '\t')
		return true;
	/* RFC 5322 4.5.1 (obs-optional): WSP before the colon. */
	for (ne = colon; ne > p && (ne[-1] == ' ' || ne[-1] == '\t');)
		ne--;
	f->name = p;
	f->name_len = (size_t)(ne - p);
	f->value = colon + 1;
	return true;
}

static bool
sec_field_is(const struct sec_field *f, const char *name, size_t len)
{
	return f->name != NULL && f->name_len == len &&
	       strncasecmp(f->name, name, len) == 0;
}

/* ---- The part tree ---- */

static struct sec_part *
sec_part_new(struct sec_parser *sp, struct sec_part *parent, size_t start)
{
	struct sec_part *p = arena_alloc(sp->a, sizeof(*p));

	memset(p, 0, sizeof(*p));
	p->parent = parent;
	p->depth = parent != NULL ? parent->depth + 1 : 0;
	p->start = start;
	if (parent != NULL) {
		if (parent->last_child != NULL)
			parent->last_child->next = p;
		else
			parent->child = p;
		parent->last_child = p;
	}
	sp->n_parts++;
	sp->cur = p;
	buf_reset(&sp->hdr);
	sp->hdr_full = false;
	return p;
}

/* Content-Type and Content-Transfer-Encoding of the kept header, with
   the RFC 2045 5.2 / RFC 2046 5.1.5 defaults (as mime_summary.c). */
static void
sec_header_fields(struct sec_parser *sp, struct sec_part *p,
		  struct mime_content *ct)
{
	const char *h = (const char *)buf_rptr(&sp->hdr);
	size_t hn = buf_len(&sp->hdr), pos = 0;
	const char *ctv = NULL, *ctev = NULL;
	size_t ctn = 0, cten = 0;
	struct sec_field f;
	char *v;

	if (sp->hdr_full) /* whole lines only */
		while (hn > 0 && h[hn - 1] != '\n')
			hn--;
	while (sec_field_next(h, hn, &pos, &f)) {
		if (ctv == NULL && sec_field_is(&f, "content-type", 12)) {
			ctv = f.value;
			ctn = (size_t)(f.end - f.value);
		} else if (ctev == NULL &&
			   sec_field_is(&f, "content-transfer-encoding", 25)) {
			ctev = f.value;
			cten = (size_t)(f.end - f.value);
		}
	}
	memset(ct, 0, sizeof(*ct));
	v = ctv != NULL ? mime_header_value(sp->scratch, ctv, ctn) : NULL;
	if (v != NULL &&
	    mime_content_parse(v, strlen(v), true, sp->scratch, ct) == 0 &&
	    ct->subtype != NULL) {
		p->type = arena_strdup(sp->a, ct->type);
		p->subtype = arena_strdup(sp->a, ct->subtype);
	} else {
		memset(ct, 0, sizeof(*ct));
		if (p->parent != NULL && p->parent->kind == SEC_MULTIPART &&
		    strcmp(p->parent->subtype, "digest") == 0) {
			p->type = "message";
			p->subtype = "rfc822";
		} else {
			p->type = "text";
			p->subtype = "plain";
		}
	}
	v = ctev != NULL ? mime_header_value(sp->scratch, ctev, cten) : NULL;
	if (v != NULL) {
		size_t k = strcspn(v, " \t;(");

		if (k > 0) {
			char *e = arena_strndup(sp->a, v, k), *c;

			for (c = e; *c != '\0'; c++)
				if (*c >= 'A' && *c <= 'Z')
					*c = (char)(*c + 32);
			p->encoding = e;
		}
	}
}

/* cur's header is complete (or cut short by a boundary or the end of the
   message when !may_descend). */
static void
sec_header_end(struct sec_parser *sp, size_t body_start, bool may_descend)
{
	struct sec_part *p = sp->cur;
	struct mime_content ct;

	p->in_body = true;
	p->body_start = body_start;
	sec_header_fields(sp, p, &ct);
	buf_reset(&sp->hdr);
	sp->hdr_full = false;
	if (strcmp(p->type, "multipart") == 0) {
		const struct mime_param *bp = mime_content_param(&ct,
								 "boundary");
		const char *b = NULL;

		if (bp != NULL)
			b = bp->extended ? mime_param_decode(bp, sp->a)
					 : bp->value;
		/* RFC 2046 5.1.1: 1 to 70 characters. */
		if (may_descend && b != NULL && b[0] != '\0' &&
		    strlen(b) <= MIME_BOUNDARY_MAX &&
		    p->depth < sp->lim.depth_max &&
		    sp->n_parts < sp->lim.parts_max) {
			p->kind = SEC_MULTIPART;
			p->boundary = arena_strdup(sp->a, b);
			p->blen = strlen(b);
		}
	} else if (strcmp(p->type, "message") == 0 &&
		   (strcmp(p->subtype, "rfc822") == 0 ||
		    strcmp(p->subtype, "global") == 0)) {
		/* RFC 2046 5.2.1: an encoded message is not parsed. */
		bool plain = p->encoding == NULL ||
			     strcmp(p->encoding, "7bit") == 0 ||
			     strcmp(p->encoding, "8bit") == 0 ||
			     strcmp(p->encoding, "binary") == 0;

		if (may_descend && plain && p->depth < sp->lim.depth_max &&
		    sp->n_parts < sp->lim.parts_max) {
			p->kind = SEC_MESSAGE;
			sec_part_new(sp, p, body_start);
		}
	}
	arena_reset(sp->scratch);
}

/* 0: the current line is not a boundary line of p; 1: delimiter; 2:
   close-delimiter.  RFC 2046 5.1.1: "--" boundary ["--"] then only
   linear white space. */
static int
sec_boundary_match(const struct sec_parser *sp, const struct sec_part *p)
{
	const uint8_t *l = sp->msg + sp->line_start;
	size_t n = sp->line_len, i = 2 + p->blen;
	int kind = 1;

	if (n < i || l[0] != '-' || l[1] != '-' ||
	    memcmp(l + 2, p->boundary, p->blen) != 0)
		return 0;
	if (n >= i + 2 && l[i] == '-' && l[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	for (; i < n; i++)
		if (l[i] != ' ' && l[i] != '\t')
			return 0;
	return kind;
}

/* End every open part below m (all when m is NULL) at e. */
static void
sec_close_below(struct sec_parser *sp, const struct sec_part *m, size_t e)
{
	while (sp->cur != NULL && sp->cur != m) {
		struct sec_part *p = sp->cur;

		if (!p->in_body)
			sec_header_end(sp, e, false);
		p->end = e;
		sp->cur = p->parent;
	}
}

/* Is the current line a boundary line of an open multipart?  If so the
   parts it ends are closed (next: the offset after its line end). */
static bool
sec_boundary_line(struct sec_parser *sp, size_t next)
{
	struct sec_part *m, *c = sp->cur;
	int kind = 0;
	size_t e;

	if (sp->line_len < 2 || sp->msg[sp->line_start] != '-' ||
	    sp->msg[sp->line_start + 1] != '-')
		return false;
	for (m = sp->cur; m != NULL; m = m->parent)
		if (m->kind == SEC_MULTIPART && m->in_body && !m->closed &&
		    (kind = sec_boundary_match(sp, m)) != 0)
			break;
	if (m == NULL)
		return false;
	/* Past the part limit further delimiters are body text. */
	if (kind == 1 && sp->n_parts >= sp->lim.parts_max)
		return false;
	/* RFC 2046 5.1.1: the line end before the boundary line belongs to
	   the boundary, unless it is the end of the previous boundary line
	   or of the blank line closing the innermost header. */
	e = sp->line_start;
	if (sp->have_prev && sp->prev_eol >= c->start &&
	    (!c->in_body || sp->prev_eol >= c->body_start))
		e = sp->prev_eol;
	sec_close_below(sp, m, e);
	if (kind == 2)
		m->closed = true;
	else
		sec_part_new(sp, m, next);
	return true;
}

static void
sec_hdr_append(struct sec_parser *sp, const void *s, size_t n)
{
	if (sp->hdr_full)
		return;
	if (buf_len(&sp->hdr) + n > sp->lim.header_bytes_max) {
		n = sp->lim.header_bytes_max - buf_len(&sp->hdr);
		sp->hdr_full = true;
	}
	buf_append(&sp->hdr, s, n);
}

/* Build the whole part tree of the message. */
static void
sec_parse(struct sec_parser *sp)
{
	size_t pos = 0;

	sp->root = sec_part_new(sp, NULL, 0);
	while (pos < sp->n) {
		const uint8_t *lf = memchr(sp->msg + pos, '\n', sp->n - pos);
		size_t content_end, eol_len, next;
		struct sec_part *p = sp->cur;

		if (lf == NULL) {
			content_end = sp->n;
			eol_len = 0;
		} else {
			content_end = (size_t)(lf - sp->msg);
			eol_len = 1;
			if (content_end > pos && lf[-1] == '\r') {
				content_end--;
				eol_len = 2;
			}
		}
		next = content_end + eol_len;
		sp->line_start = pos;
		sp->line_len = content_end - pos;
		if (!p->in_body)
			sec_hdr_append(sp, sp->msg + pos, sp->line_len);
		if (!p->in_body && sp->line_len == 0 && eol_len > 0) {
			/* The blank line belongs to the header. */
			sec_hdr_append(sp, "\n", 1);
			sec_header_end(sp, next, true);
		} else if (!sec_boundary_line(sp, next)) {
			if (!p->in_body && eol_len > 0)
				sec_hdr_append(sp, "\n", 1);
		}
		sp->have_prev = eol_len > 0;
		sp->prev_eol = content_end;
		pos = next;
	}
	sec_close_below(sp, NULL, sp->n);
}

/* ---- Sections ---- */

static struct sec_part *
sec_nth_child(const struct sec_part *p, uint32_t k)
{
	struct sec_part *c = p->child;

	while (c != NULL && --k > 0)
		c = c->next;
	return c;
}

/* Walk the part numbers (RFC 9051 6.4.5.1).  *msg_r is set when the
   result is a message (no numbers: the top level).  NULL if there is no
   such part. */
static struct sec_part *
sec_walk(struct sec_part *root, const uint32_t *part, size_t nparts,
	 bool *msg_r)
{
	struct sec_part *node = root;
	bool in_msg = true;
	size_t i;

	for (i = 0; i < nparts && node != NULL; i++) {
		uint32_t k = part[i];

		if (!in_msg) {
			if (node->kind == SEC_MULTIPART) {
				node = sec_nth_child(node, k);
				continue;
			}
			if (node->kind != SEC_MESSAGE)
				return NULL;
			/* A message part's numbers are those of the
			   encapsulated message's body. */
			node = node->child;
		}
		/* Of a message: a multipart body has its parts; any other
		   body is part 1. */
		if (node->kind == SEC_MULTIPART)
			node = sec_nth_child(node, k);
		else if (k != 1)
			return NULL;
		in_msg = false;
	}
	*msg_r = in_msg;
	return node;
}

/* The end of the top-level header: after the first blank line, or the
   end of the message (the same as sec_parse finds for the root, where no
   boundary can interrupt). */
static size_t
sec_top_header_end(const uint8_t *msg, size_t n)
{
	size_t pos = 0;

	while (pos < n) {
		const uint8_t *lf = memchr(msg + pos, '\n', n - pos);
		size_t e;

		if (lf == NULL)
			return n;
		e = (size_t)(lf - msg);
		if (e == pos || (e == pos + 1 && msg[pos] == '\r'))
			return e + 1;
		pos = e + 1;
	}
	return n;
}

static bool
sec_wanted(const struct imap_fetch_att *att, const struct sec_field *f)
{
	size_t i;

	for (i = 0; i < att->nfields; i++)
		if (sec_field_is(f, att->fields[i], strlen(att->fields[i])))
			return true;
	return false;
}

/* HEADER.FIELDS (.NOT) of the header h[0, n): the selected fields as
   they are (folding kept), then the blank line if the header has one
   (RFC 9051 6.4.5.1). */
static void
sec_header_subset(const struct imap_fetch_att *att, const char *h, size_t n,
		  struct buf *out)
{
	bool want = att->text == IMAP_SECTION_HEADER_FIELDS;
	bool blank = false;
	struct sec_field f;
	size_t pos = 0;

	while (sec_field_next(h, n, &pos, &f)) {
		size_t len = (size_t)(f.end - f.start);

		if (f.name == NULL) {
			blank = len == 1 || (len == 2 && f.start[0] == '\r');
			continue;
		}
		blank = false;
		if (sec_wanted(att, &f) != want)
			continue;
		buf_append(out, f.start, len);
		if (f.end[-1] != '\n')
			buf_append(out, "\r\n", 2);
	}
	if (blank)
		buf_append(out, "\r\n", 2);
}

/* Append in[0, n) with every bare LF made CRLF. */
static void
sec_crlf(const uint8_t *in, size_t n, struct buf *out)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		if (in[i] != '\n' || (i > 0 && in[i - 1] == '\r'))
			continue;
		buf_append(out, in + from, i - from);
		buf_append(out, "\r", 1);
		from = i;
	}
	buf_append(out, in + from, n - from);
}

static bool
sec_has_bare_lf(const uint8_t *in, size_t n)
{
	const uint8_t *p = in, *end = in + n;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (p == in || p[-1] != '\r')
			return true;
		p++;
	}
	return false;
}

/* BINARY of a leaf part: the decoded body into out, or the body range
   when nothing changes (*range_r).  Returns IMAP_SECTION_OK or
   IMAP_SECTION_UNKNOWN_CTE. */
static int
sec_binary(const uint8_t *msg, const struct sec_part *p, struct buf *out,
	   bool *range_r)
{
	const uint8_t *in = msg + p->body_start;
	size_t n = p->end - p->body_start;
	const char *e = p->encoding;
	bool text = strcmp(p->type, "text") == 0;
	struct buf dec;

	*range_r = false;
	if (e == NULL || strcmp(e, "7bit") == 0 || strcmp(e, "8bit") == 0 ||
	    strcmp(e, "binary") == 0) {
		if (text && sec_has_bare_lf(in, n))
			sec_crlf(in, n, out);
		else
			*range_r = true;
		return IMAP_SECTION_OK;
	}
	buf_init(&dec, 0);
	if (strcmp(e, "base64") == 0) {
		struct mime_b64 st;

		mime_b64_init(&st);
		mime_b64_decode(&st, in, n, text ? &dec : out);
		mime_b64_finish(&st, text ? &dec : out);
	} else if (strcmp(e, "quoted-printable") == 0) {
		struct mime_qp st;

		mime_qp_init(&st);
		mime_qp_decode(&st, in, n, text ? &dec : out);
		mime_qp_finish(&st, text ? &dec : out);
	} else {
		buf_deinit(&dec);
		return IMAP_SECTION_UNKNOWN_CTE;
	}
	/* RFC 9051 7.5.2: textual sections go out with CRLF line ends. */
	if (text)
		sec_crlf(buf_rptr(&dec), buf_len(&dec), out);
	buf_deinit(&dec);
	return IMAP_SECTION_OK;
}

/* Fill r from the range [start, end) or from out (taken over), then
   apply <partial> (RFC 9051 6.4.5: an offset past the end gives an
   empty string). */
static void
sec_result(const uint8_t *msg, const struct imap_fetch_att *att, bool range,
	   size_t start, size_t end, struct buf *out, struct imap_section *r)
{
	uint64_t off = 0, len;

	if (range) {
		r->start = start;
		r->len = end - start;
	} else if (buf_len(out) > 0) {
		r->data = out->data; /* appended only: rpos is 0 */
		r->len = buf_len(out);
		memset(out, 0, sizeof(*out));
	}
	r->size = r->len;
	if (att->item == IMAP_FETCH_BINARY_SIZE) {
		free(r->data);
		r->data = NULL;
		r->start = r->len = 0;
		return;
	}
	if (att->partial) {
		off = att->offset < r->len ? att->offset : r->len;
		len = r->len - off < att->length ? r->len - off : att->length;
		if (r->data != NULL)
			memmove(r->data, r->data + off, (size_t)len);
		else
			r->start += off;
		r->len = len;
	}
	if (att->item == IMAP_FETCH_BINARY)
		r->has_nul = memchr(imap_section_bytes(msg, r), 0,
				    (size_t)r->len) != NULL;
}

/* The section of a message (in_msg, the top level) or of part p. */
static int
sec_select(const uint8_t *msg, size_t n, const struct imap_fetch_att *att,
	   struct sec_part *p, bool in_msg, struct buf *out, bool *range_r,
	   size_t *start_r, size_t *end_r)
{
	const struct sec_part *m = p;
	size_t hstart, hend, mend;

	*range_r = true;
	if (att->item != IMAP_FETCH_BODY_SECTION) {
		if (in_msg) { /* BINARY[]: the message as stored */
			*start_r = 0;
			*end_r = n;
			return IMAP_SECTION_OK;
		}
		if (p->kind != SEC_LEAF)
			return IMAP_SECTION_NOT_LEAF;
		*start_r = p->body_start;
		*end_r = p->end;
		return sec_binary(msg, p, out, range_r);
	}
	switch (att->text) {
	case IMAP_SECTION_NONE:
		*start_r = in_msg ? 0 : p->body_start;
		*end_r = in_msg ? n : p->end;
		return IMAP_SECTION_OK;
	case IMAP_SECTION_MIME:
		if (in_msg)
			return IMAP_SECTION_NIL;
		*start_r = p->start;
		*end_r = p->body_start;
		return IMAP_SECTION_OK;
	default:
		break;
	}
	/* HEADER, HEADER.FIELDS (.NOT), TEXT: of the top-level message or
	   of an encapsulated one. */
	if (in_msg) {
		hstart = 0;
		hend = sec_top_header_end(msg, n);
		mend = n;
	} else if (p->kind == SEC_MESSAGE) {
		m = p->child;
		hstart = m->start;
		hend = m->body_start;
		mend = m->end;
	} else {
		return IMAP_SECTION_NIL;
	}
	if (att->text == IMAP_SECTION_TEXT) {
		*start_r = hend;
		*end_r = mend;
	} else if (att->text == IMAP_SECTION_HEADER) {
		*start_r = hstart;
		*end_r = hend;
	} else {
		*range_r = false;
		sec_header_subset(att, (const char *)msg + hstart,
				  hend - hstart, out);
	}
	return IMAP_SECTION_OK;
}

int
imap_section_find_lim(const uint8_t *msg, size_t n,
		      const struct imap_fetch_att *att,
		      const struct mime_limits *lim, struct imap_section *r)
{
	struct sec_parser sp;
	struct sec_part *p = NULL;
	bool in_msg = true, range;
	size_t start = 0, end = 0;
	struct buf out;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&sp, 0, sizeof(sp));
	buf_init(&out, 0);
	if (att->nparts > 0) {
		sp.msg = msg;
		sp.n = n;
		if (lim != NULL) {
			sp.lim = *lim;
		} else {
			sp.lim.depth_max = MIME_DEPTH_MAX;
			sp.lim.parts_max = MIME_PARTS_MAX;
			sp.lim.header_bytes_max = MIME_HEADER_BYTES_MAX;
			sp.lim.addresses_max = MIME_ADDRESSES_MAX;
		}
		sp.a = arena_new("imap section", 4096);
		sp.scratch = arena_new("imap section hdr", 4096);
		buf_init(&sp.hdr, 0);
		sec_parse(&sp);
		p = sec_walk(sp.root, att->part, att->nparts, &in_msg);
	}
	if (att->nparts > 0 && p == NULL)
		rc = IMAP_SECTION_NIL;
	else
		rc = sec_select(msg, n, att, p, in_msg, &out, &range, &start,
				&end);
	if (rc == IMAP_SECTION_OK)
		sec_result(msg, att, range, start, end, &out, r);
	buf_deinit(&out);
	if (sp.a != NULL) {
		buf_deinit(&sp.hdr);
		arena_free(&sp.a);
		arena_free(&sp.scratch);
	}
	return rc;
}

int
imap_section_find(const uint8_t *msg, size_t n,
		  const struct imap_fetch_att *att, struct imap_section *r)
{
	return imap_section_find_lim(msg, n, att, NULL, r);
}

/* Append p and its descendants to out[*k..) (pre-order). */
static void
sec_flatten(const struct sec_part *p, struct imap_section_part *out,
	    size_t *k)
{
	const struct sec_part *c;
	struct imap_section_part *o = &out[(*k)++];

	o->depth = p->depth;
	o->multipart = p->kind == SEC_MULTIPART;
	o->message = p->kind == SEC_MESSAGE;
	o->start = p->start;
	o->body_start = p->body_start;
	o->end = p->end;
	o->type = p->type;
	o->subtype = p->subtype;
	o->encoding = p->encoding;
	for (c = p->child; c != NULL; c = c->next)
		sec_flatten(c, out, k);
}

struct imap_section_part *
imap_section_parts(const uint8_t *msg, size_t n, struct arena *a,
		   size_t *n_r)
{
	struct sec_parser sp;
	struct imap_section_part *out;

	memset(&sp, 0, sizeof(sp));
	sp.msg = msg;
	sp.n = n;
	sp.lim.depth_max = MIME_DEPTH_MAX;
	sp.lim.parts_max = MIME_PARTS_MAX;
	sp.lim.header_bytes_max = MIME_HEADER_BYTES_MAX;
	sp.lim.addresses_max = MIME_ADDRESSES_MAX;
	sp.a = a;
	sp.scratch = arena_new("imap section hdr", 4096);
	buf_init(&sp.hdr, 0);
	sec_parse(&sp);
	out = arena_alloc(a, sp.n_parts * sizeof(*out));
	*n_r = 0;
	sec_flatten(sp.root, out, n_r);
	buf_deinit(&sp.hdr);
	arena_free(&sp.scratch);
	return out;
}

int
imap_section_part_decode(const uint8_t *msg,
			 const struct imap_section_part *p, struct buf *out)
{
	struct sec_part sp;
	bool range;
	int rc;

	if (p->multipart || p->message)
		return IMAP_SECTION_NOT_LEAF;
	memset(&sp, 0, sizeof(sp));
	sp.body_start = p->body_start;
	sp.end = p->end;
	sp.type = p->type;
	sp.encoding = p->encoding;
	rc = sec_binary(msg, &sp, out, &range);
	if (rc == IMAP_SECTION_OK && range)
		buf_append(out, msg + p->body_start, p->end - p->body_start);
	return rc;
}

const uint8_t *
imap_section_bytes(const uint8_t *msg, const struct imap_section *r)
{
	return r->data != NULL ? r->data : msg + r->start;
}

void
imap_section_clear(struct imap_section *r)
{
	free(r->data);
	memset(r, 0, sizeof(*r));
}

/* mime_summary.c: streaming MIME structure parser producing the IMAP
   ENVELOPE, BODY and BODYSTRUCTURE of a message (RFC 9051 7.5.2). */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "limits.h"
#include "mime/mime_addr.h"
#include "mime/mime_date.h"
#include "mime/mime_header.h"
#include "mime/mime_imap.h"
#include "mime/mime_summary.h"
#include "xalloc.h"

/* Bytes of each line kept to recognise "--boundary--" (RFC 2046 5.1.1:
   a boundary has at most 70 characters). */
#define MS_PREFIX_MAX (2 + MIME_BOUNDARY_MAX + 2)

enum ms_kind {
	MS_LEAF,
	MS_MULTIPART, /* children separated by boundary */
	MS_MESSAGE,   /* message/rfc822: one child, the encapsulated message */
};

/* One body part.  Offsets count octets of the whole message; *_nl are
   the numbers of LFs before those offsets. */
struct ms_part {
	struct ms_part *parent, *child, *last_child, *next;
	unsigned depth;
	enum ms_kind kind;
	bool is_message; /* the top level or an encapsulated message */
	bool in_body;    /* header done */
	bool closed;     /* close-delimiter seen: in the epilogue */
	bool opaque;     /* a container type that was not descended into */
	uint64_t start, body_start, end;
	uint64_t body_nl, end_nl;
	char *type, *subtype; /* lower-case, defaults applied */
	struct mime_content ct, disp;
	char *boundary;
	char *id, *description, *encoding, *md5, *location;
	char **lang;
	size_t n_lang;
	char *envelope; /* is_message only */
};

struct mime_summary {
	struct mime_limits lim;
	struct arena *a;       /* the part tree */
	struct arena *scratch; /* per header block */
	struct ms_part *root, *cur;
	unsigned n_parts;
	uint64_t off, nl; /* octets and LFs fed so far */
	/* The line being read. */
	uint64_t line_start;
	size_t line_len;
	char pfx[MS_PREFIX_MAX];
	bool tail_ws; /* every byte past pfx was SP or HTAB */
	bool cr_pending;
	/* The line end before it. */
	bool have_prev;
	uint64_t prev_eol, prev_eol_nl;
	/* Header bytes of cur while it is in its header, LF line ends. */
	struct buf hdr;
	bool hdr_full;
	/* Top-level results. */
	unsigned received;
	char *subject, *from, *to, *cc, *message_id;
	int64_t date;
	bool has_date;
	bool finished;
};

enum ms_field {
	F_CTYPE,
	F_CTE,
	F_CID,
	F_CDESC,
	F_CDISP,
	F_CLANG,
	F_CLOC,
	F_CMD5,
	F_DATE,
	F_SUBJECT,
	F_FROM,
	F_SENDER,
	F_REPLY_TO,
	F_TO,
	F_CC,
	F_BCC,
	F_IN_REPLY_TO,
	F_MESSAGE_ID,
	F_COUNT
};

static const char *const ms_field_names[F_COUNT] = {
    "content-type",	"content-transfer-encoding",
    "content-id",	"content-description",
    "content-disposition", "content-language",
    "content-location",	"content-md5",
    "date",		"subject",
    "from",		"sender",
    "reply-to",		"to",
    "cc",		"bcc",
    "in-reply-to",	"message-id",
};

/* The first occurrence of each field of interest, raw (folded). */
struct ms_fields {
	const char *v[F_COUNT];
	size_t n[F_COUNT];
};

static struct ms_part *
ms_part_new(struct mime_summary *ms, struct ms_part *parent, uint64_t start,
	    bool is_message)
{
	struct ms_part *p = arena_alloc(ms->a, sizeof(*p));

	p->parent = parent;
	p->depth = parent != NULL ? parent->depth + 1 : 0;
	p->is_message = is_message;
	p->start = start;
	if (parent != NULL) {
		if (parent->last_child != NULL)
			parent->last_child->next = p;
		else
			parent->child = p;
		parent->last_child = p;
	}
	ms->n_parts++;
	ms->cur = p;
	buf_reset(&ms->hdr);
	ms->hdr_full = false;
	return p;
}

struct mime_summary *
mime_summary_new(const struct mime_limits *lim)
{
	struct mime_summary *ms = xcalloc(1, sizeof(*ms));

	if (lim != NULL) {
		ms->lim = *lim;
	} else {
		ms->lim.depth_max = MIME_DEPTH_MAX;
		ms->lim.parts_max = MIME_PARTS_MAX;
		ms->lim.header_bytes_max = MIME_HEADER_BYTES_MAX;
		ms->lim.addresses_max = MIME_ADDRESSES_MAX;
	}
	ms->a = arena_new("mime summary", 4096);
	ms->scratch = arena_new("mime header", 4096);
	buf_init(&ms->hdr, 0);
	ms->tail_ws = true;
	ms->root = ms_part_new(ms, NULL, 0, true);
	return ms;
}

void
mime_summary_free(struct mime_summary **msp)
{
	struct mime_summary *ms = *msp;

	if (ms == NULL)
		return;
	buf_deinit(&ms->hdr);
	arena_free(&ms->a);
	arena_free(&ms->scratch);
	free(ms);
	*msp = NULL;
}

void
mime_msg_info_clear(struct mime_msg_info *r)
{
	free(r->envelope);
	free(r->bodystructure);
	free(r->body);
	free(r->subject);
	free(r->from);
	free(r->to);
	free(r->cc);
	free(r->message_id);
	memset(r, 0, sizeof(*r));
}

/* ---- Header fields ---- */

/* Split the kept header block into fields (RFC 5322 2.2: a field ends
   at a line end not followed by WSP) and note the ones of interest. */
static void
ms_fields_split(const char *h, size_t n, struct ms_fields *f)
{
	const char *p = h, *end = h + n;

	memset(f, 0, sizeof(*f));
	while (p < end && *p != '\n') {
		const char *fe = p, *colon, *ne;
		size_t i;

		/* Field end: a LF not followed by SP/HTAB. */
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
		colon = memchr(p, ':', (size_t)(fe - p));
		if (colon == NULL || *p == ' ' || *p == '\t') {
			p = fe; /* garbage line or stray continuation */
			continue;
		}
		/* RFC 5322 4.5.1 (obs-optional): WSP before the colon. */
		for (ne = colon; ne > p && (ne[-1] == ' ' || ne[-1] == '\t');)
			ne--;
		for (i = 0; i < F_COUNT; i++) {
			size_t len = strlen(ms_field_names[i]);

			if ((size_t)(ne - p) == len &&
			    strncasecmp(p, ms_field_names[i], len) == 0) {
				if (f->v[i] == NULL) {
					f->v[i] = colon + 1;
					f->n[i] = (size_t)(fe - colon - 1);
				}
				break;
			}
		}
		p = fe;
	}
}

/* The unfolded value of field i in the scratch arena, or NULL. */
static char *
ms_value(struct mime_summary *ms, const struct ms_fields *f, enum ms_field i)
{
	if (f->v[i] == NULL)
		return NULL;
	return mime_header_value(ms->scratch, f->v[i], f->n[i]);
}

static char *
ms_keep(struct mime_summary *ms, const struct ms_fields *f, enum ms_field i)
{
	char *v = ms_value(ms, f, i);

	return v != NULL ? arena_strdup(ms->a, v) : NULL;
}

/* Content-Transfer-Encoding: the first token, lower-case. */
static char *
ms_encoding(struct mime_summary *ms, const struct ms_fields *f)
{
	char *v = ms_value(ms, f, F_CTE), *s;
	size_t n, i;

	if (v == NULL)
		return NULL;
	n = strcspn(v, " \t;(");
	if (n == 0)
		return NULL;
	s = arena_strndup(ms->a, v, n);
	for (i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] + 32);
	return s;
}

/* Content-Language (RFC 3282): tags separated by commas, comments
   skipped. */
static void
ms_languages(struct mime_summary *ms, struct ms_part *p,
	     const struct ms_fields *f)
{
	const char *v = ms_value(ms, f, F_CLANG), *s;
	size_t cap = 0;

	while (v != NULL && *v != '\0') {
		if (*v == '(') {
			int level = 0;

			for (; *v != '\0'; v++) {
				if (*v == '\\' && v[1] != '\0')
					v++;
				else if (*v == '(')
					level++;
				else if (*v == ')' && --level == 0)
					break;
			}
			if (*v != '\0')
				v++;
			continue;
		}
		if (*v == ' ' || *v == '\t' || *v == ',') {
			v++;
			continue;
		}
		s = v;
		v += strcspn(v, " \t,(");
		if (p->n_lang == cap) {
			char **nl;

			cap = cap ? cap * 2 : 4;
			nl = arena_alloc(ms->a, cap * sizeof(*nl));
			if (p->n_lang > 0)
				memcpy(nl, p->lang, p->n_lang * sizeof(*nl));
			p->lang = nl;
		}
		p->lang[p->n_lang++] = arena_strndup(ms->a, s, (size_t)(v - s));
	}
}

/* Append an address field of the envelope; fallback (From) is used for
   Sender and Reply-To when absent or empty (RFC 3501 7.4.2). */
static size_t
ms_env_addr(struct mime_summary *ms, struct buf *b, const struct ms_fields *f,
	    enum ms_field i, enum ms_field fallback)
{
	char *v = ms_value(ms, f, i);
	struct mime_addr *list = NULL;
	size_t n = 0;

	buf_append(b, " ", 1);
	if (v != NULL)
		n = mime_addr_parse(v, strlen(v), ms->lim.addresses_max,
				    ms->scratch, &list);
	if (n == 0 && fallback != F_COUNT) {
		v = ms_value(ms, f, fallback);
		if (v != NULL)
			n = mime_addr_parse(v, strlen(v),
					    ms->lim.addresses_max, ms->scratch,
					    &list);
	}
	mime_addr_imap(b, list, n);
	return n;
}

/* ENVELOPE (RFC 9051 7.5.2): date subject from sender reply-to to cc
   bcc in-reply-to message-id; raw unfolded strings, NIL when absent. */
static char *
ms_envelope(struct mime_summary *ms, const struct ms_fields *f)
{
	struct buf b;
	char *r;

	buf_init(&b, 0);
	buf_append(&b, "(", 1);
	mime_imap_nstring(&b, ms_value(ms, f, F_DATE));
	buf_append(&b, " ", 1);
	mime_imap_nstring(&b, ms_value(ms, f, F_SUBJECT));
	ms_env_addr(ms, &b, f, F_FROM, F_COUNT);
	ms_env_addr(ms, &b, f, F_SENDER, F_FROM);
	ms_env_addr(ms, &b, f, F_REPLY_TO, F_FROM);
	ms_env_addr(ms, &b, f, F_TO, F_COUNT);
	ms_env_addr(ms, &b, f, F_CC, F_COUNT);
	ms_env_addr(ms, &b, f, F_BCC, F_COUNT);
	buf_append(&b, " ", 1);
	mime_imap_nstring(&b, ms_value(ms, f, F_IN_REPLY_TO));
	buf_append(&b, " ", 1);
	mime_imap_nstring(&b, ms_value(ms, f, F_MESSAGE_ID));
	buf_append(&b, ")", 1);
	r = arena_strndup(ms->a, (const char *)buf_rptr(&b), buf_len(&b));
	buf_deinit(&b);
	return r;
}

static void
ms_top_fields(struct mime_summary *ms, const struct ms_fields *f)
{
	int64_t t;

	ms->subject = ms_keep(ms, f, F_SUBJECT);
	ms->from = ms_keep(ms, f, F_FROM);
	ms->to = ms_keep(ms, f, F_TO);
	ms->cc = ms_keep(ms, f, F_CC);
	ms->message_id = ms_keep(ms, f, F_MESSAGE_ID);
	if (f->v[F_DATE] != NULL &&
	    mime_date_parse(f->v[F_DATE], f->n[F_DATE], &t) == 0) {
		ms->date = t;
		ms->has_date = true;
	}
}

/* Content-Type with the RFC 2045 5.2 / RFC 2046 5.1.5 defaults. */
static void
ms_content_type(struct mime_summary *ms, struct ms_part *p,
		const struct ms_fields *f)
{
	char *v = ms_value(ms, f, F_CTYPE);

	if (v != NULL &&
	    mime_content_parse(v, strlen(v), true, ms->a, &p->ct) == 0 &&
	    p->ct.subtype != NULL) {
		p->type = p->ct.type;
		p->subtype = p->ct.subtype;
		return;
	}
	memset(&p->ct, 0, sizeof(p->ct));
	if (p->parent != NULL && p->parent->kind == MS_MULTIPART &&
	    strcmp(p->parent->subtype, "digest") == 0) {
		p->type = "message";
		p->subtype = "rfc822";
	} else {
		p->type = "text";
		p->subtype = "plain";
	}
}

/* The part's header is complete (or cut short by a boundary or the end
   of input when !may_descend): read its fields and decide what it is. */
static void
ms_header_end(struct mime_summary *ms, uint64_t body_start, uint64_t body_nl,
	      bool may_descend)
{
	struct ms_part *p = ms->cur;
	struct ms_fields f;
	char *v;
	size_t hn = buf_len(&ms->hdr);
	const char *h = (const char *)buf_rptr(&ms->hdr);

	p->in_body = true;
	p->body_start = body_start;
	p->body_nl = body_nl;
	if (ms->hdr_full) {
		/* Keep whole lines only. */
		while (hn > 0 && h[hn - 1] != '\n')
			hn--;
	}
	ms_fields_split(h, hn, &f);
	ms_content_type(ms, p, &f);
	p->encoding = ms_encoding(ms, &f);
	p->id = ms_keep(ms, &f, F_CID);
	p->description = ms_keep(ms, &f, F_CDESC);
	p->md5 = ms_keep(ms, &f, F_CMD5);
	p->location = ms_keep(ms, &f, F_CLOC);
	v = ms_value(ms, &f, F_CDISP);
	if (v == NULL ||
	    mime_content_parse(v, strlen(v), false, ms->a, &p->disp) < 0)
		memset(&p->disp, 0, sizeof(p->disp));
	ms_languages(ms, p, &f);
	if (p->is_message) {
		p->envelope = ms_envelope(ms, &f);
		if (p == ms->root)
			ms_top_fields(ms, &f);
	}
	buf_reset(&ms->hdr);
	ms->hdr_full = false;

	if (strcmp(p->type, "multipart") == 0) {
		const struct mime_param *bp = mime_content_param(&p->ct,
								 "boundary");
		char *b = NULL;

		if (bp != NULL)
			b = bp->extended ? mime_param_decode(bp, ms->a)
					 : bp->value;
		p->opaque = true;
		/* RFC 2046 5.1.1: 1 to 70 characters. */
		if (may_descend && b != NULL && b[0] != '\0' &&
		    strlen(b) <= MIME_BOUNDARY_MAX &&
		    p->depth < ms->lim.depth_max &&
		    ms->n_parts < ms->lim.parts_max) {
			p->kind = MS_MULTIPART;
			p->boundary = b;
			p->opaque = false;
		}
	} else if (strcmp(p->type, "message") == 0 &&
		   (strcmp(p->subtype, "rfc822") == 0 ||
		    strcmp(p->subtype, "global") == 0)) {
		/* RFC 2046 5.2.1: only 7bit, 8bit or binary are allowed; an
		   encoded message is not parsed. */
		bool plain = p->encoding == NULL ||
			     strcmp(p->encoding, "7bit") == 0 ||
			     strcmp(p->encoding, "8bit") == 0 ||
			     strcmp(p->encoding, "binary") == 0;

		p->opaque = true;
		if (may_descend && plain && p->depth < ms->lim.depth_max &&
		    ms->n_parts < ms->lim.parts_max) {
			p->kind = MS_MESSAGE;
			p->opaque = false;
			ms_part_new(ms, p, body_start, true);
		}
	}
	arena_reset(ms->scratch);
}

/* ---- Lines ---- */

/* 0: not a boundary line of b; 1: delimiter; 2: close-delimiter.
   RFC 2046 5.1.1: "--" boundary ["--"], then only linear white space. */
static int
ms_boundary_match(const struct mime_summary *ms, const char *b)
{
	size_t blen = strlen(b);
	size_t kept = ms->line_len < MS_PREFIX_MAX ? ms->line_len
						   : MS_PREFIX_MAX;
	size_t i = 2 + blen;
	int kind = 1;

	if (kept < i || ms->pfx[0] != '-' || ms->pfx[1] != '-' ||
	    memcmp(ms->pfx + 2, b, blen) != 0)
		return 0;
	if (kept >= i + 2 && ms->pfx[i] == '-' && ms->pfx[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	for (; i < kept; i++)
		if (ms->pfx[i] != ' ' && ms->pfx[i] != '\t')
			return 0;
	if (ms->line_len > kept && !ms->tail_ws)
		return 0;
	return kind;
}

/* End every open part below m (all of them when m is NULL) at offset e. */
static void
ms_close_below(struct mime_summary *ms, const struct ms_part *m, uint64_t e,
	       uint64_t e_nl)
{
	while (ms->cur != NULL && ms->cur != m) {
		struct ms_part *p = ms->cur;

		if (!p->in_body)
			ms_header_end(ms, e, e_nl, false);
		p->end = e;
		p->end_nl = e_nl;
		ms->cur = p->parent;
	}
}

/* A boundary line of an open multipart: returns true if it was one. */
static bool
ms_boundary_line(struct mime_summary *ms, uint64_t next)
{
	struct ms_part *m, *c;
	int kind = 0;
	uint64_t e, e_nl;

	for (m = ms->cur; m != NULL; m = m->parent) {
		if (m->kind == MS_MULTIPART && m->in_body && !m->closed &&
		    (kind = ms_boundary_match(ms, m->boundary)) != 0)
			break;
	}
	if (m == NULL)
		return false;
	/* Past the part limit further delimiters are body text; the last
	   part takes the rest. */
	if (kind == 1 && ms->n_parts >= ms->lim.parts_max)
		return false;
	/* RFC 2046 5.1.1: the CRLF before the boundary line belongs to the
	   boundary, not to the part that it ends; unless it is the line end
	   of the previous boundary line or of the empty line closing the
	   innermost header. */
	e = ms->line_start;
	e_nl = ms->nl;
	c = ms->cur;
	if (ms->have_prev && ms->prev_eol >= c->start &&
	    (!c->in_body || ms->prev_eol >= c->body_start)) {
		e = ms->prev_eol;
		e_nl = ms->prev_eol_nl;
	}
	ms_close_below(ms, m, e, e_nl);
	if (kind == 2)
		m->closed = true;
	else
		ms_part_new(ms, m, next, false);
	return true;
}

static bool
ms_is_received(const struct mime_summary *ms)
{
	size_t kept = ms->line_len < MS_PREFIX_MAX ? ms->line_len
						   : MS_PREFIX_MAX;
	size_t i = 8;

	if (kept < 9 || strncasecmp(ms->pfx, "received", 8) != 0)
		return false;
	while (i < kept && (ms->pfx[i] == ' ' || ms->pfx[i] == '\t'))
		i++;
	return i < kept && ms->pfx[i] == ':';
}

/* The current line ended with eol_len octets of line end (0 at the end
   of input). */
static void
ms_line_end(struct mime_summary *ms, size_t eol_len)
{
	uint64_t eol = ms->line_start + ms->line_len;
	uint64_t next = eol + eol_len;
	uint64_t nl_after = ms->nl + (eol_len > 0);
	struct ms_part *p = ms->cur;

	if (!p->in_body && ms->line_len == 0 && eol_len > 0) {
		/* The empty line ending the header belongs to the header. */
		if (!ms->hdr_full)
			buf_append(&ms->hdr, "\n", 1);
		ms_header_end(ms, next, nl_after, true);
	} else if (!ms_boundary_line(ms, next)) {
		if (!p->in_body) {
			if (p == ms->root && ms_is_received(ms))
				ms->received++;
			if (eol_len > 0 && !ms->hdr_full)
				buf_append(&ms->hdr, "\n", 1);
		}
	}
	ms->have_prev = eol_len > 0;
	ms->prev_eol = eol;
	ms->prev_eol_nl = ms->nl;
	ms->nl = nl_after;
	ms->line_start = next;
	ms->line_len = 0;
	ms->tail_ws = true;
}

static void
ms_hdr_append(struct mime_summary *ms, const char *s, size_t n)
{
	if (ms->hdr_full)
		return;
	if (buf_len(&ms->hdr) + n > ms->lim.header_bytes_max) {
		n = ms->lim.header_bytes_max - buf_len(&ms->hdr);
		ms->hdr_full = true;
	}
	buf_append(&ms->hdr, s, n);
}

/* Content bytes of the current line (no line end). */
static void
ms_line_bytes(struct mime_summary *ms, const char *s, size_t n)
{
	size_t i = 0;

	if (ms->line_len < MS_PREFIX_MAX) {
		i = MS_PREFIX_MAX - ms->line_len;
		if (i > n)
			i = n;
		memcpy(ms->pfx + ms->line_len, s, i);
	}
	/* Only a line starting with "--" can be a boundary line. */
	if (ms->tail_ws && i < n && ms->pfx[0] == '-' && ms->pfx[1] == '-') {
		for (; i < n; i++) {
			if (s[i] != ' ' && s[i] != '\t') {
				ms->tail_ws = false;
				break;
			}
		}
	} else if (i < n) {
		ms->tail_ws = false;
	}
	if (!ms->cur->in_body)
		ms_hdr_append(ms, s, n);
	ms->line_len += n;
}

void
mime_summary_feed(struct mime_summary *ms, const void *data, size_t n)
{
	const char *d = data;
	size_t i = 0;

	if (ms == NULL || ms->finished)
		return;
	ms->off += n;
	while (i < n) {
		const char *lf;
		size_t k;

		if (ms->cr_pending) {
			ms->cr_pending = false;
			if (d[i] == '\n') {
				i++;
				ms_line_end(ms, 2);
				continue;
			}
			ms_line_bytes(ms, "\r", 1);
		}
		lf = memchr(d + i, '\n', n - i);
		k = (lf != NULL ? (size_t)(lf - d) : n) - i;
		if (lf == NULL) {
			/* A CR at the end may start a CRLF. */
			if (k > 0 && d[i + k - 1] == '\r') {
				ms->cr_pending = true;
				k--;
			}
			ms_line_bytes(ms, d + i, k);
			break;
		}
		if (k > 0 && d[i + k - 1] == '\r') {
			ms_line_bytes(ms, d + i, k - 1);
			ms_line_end(ms, 2);
		} else {
			ms_line_bytes(ms, d + i, k);
			ms_line_end(ms, 1);
		}
		i += k + 1;
	}
}

/* ---- Output ---- */

/* Names (type, subtype, parameter names, encodings) are written in
   lower case as Dovecot does; IMAP compares them case-insensitively. */
static void
ms_put_name(struct buf *b, const char *s)
{
	mime_imap_nstring(b, s);
}

static void
ms_put_params(struct buf *b, const struct mime_content *c,
	      bool default_charset)
{
	size_t i;

	if (c->n_params == 0 && !default_charset) {
		buf_append_str(b, "NIL");
		return;
	}
	buf_append(b, "(", 1);
	for (i = 0; i < c->n_params; i++) {
		const struct mime_param *p = &c->params[i];

		if (i > 0)
			buf_append(b, " ", 1);
		if (strcmp(p->name, "charset") == 0)
			default_charset = false;
		if (p->extended) {
			/* RFC 2231 as sent: name*=charset'lang'value. */
			char *n = xmalloc(strlen(p->name) + 2);
			struct buf v;

			strcpy(n, p->name);
			strcat(n, "*");
			ms_put_name(b, n);
			free(n);
			buf_init(&v, 0);
			buf_printf(&v, "%s'%s'%s",
				   p->charset ? p->charset : "",
				   p->language ? p->language : "", p->value);
			buf_append(b, " ", 1);
			mime_imap_string(b, (const char *)buf_rptr(&v),
					 buf_len(&v));
			buf_deinit(&v);
		} else {
			ms_put_name(b, p->name);
			buf_append(b, " ", 1);
			mime_imap_nstring(b, p->value);
		}
	}
	/* Dovecot adds the RFC 2045 5.2 default to every text part. */
	if (default_charset) {
		if (c->n_params > 0)
			buf_append(b, " ", 1);
		buf_append_str(b, "\"charset\" \"us-ascii\"");
	}
	buf_append(b, ")", 1);
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc (RFC 9051 9). */
static void
ms_put_ext_common(struct buf *b, const struct ms_part *p)
{
	size_t i;

	buf_append(b, " ", 1);
	if (p->disp.type == NULL) {
		buf_append_str(b, "NIL");
	} else {
		buf_append(b, "(", 1);
		ms_put_name(b, p->disp.type);
		buf_append(b, " ", 1);
		ms_put_params(b, &p->disp, false);
		buf_append(b, ")", 1);
	}
	buf_append(b, " ", 1);
	if (p->n_lang == 0) {
		buf_append_str(b, "NIL");
	} else {
		buf_append(b, "(", 1);
		for (i = 0; i < p->n_lang; i++) {
			if (i > 0)
				buf_append(b, " ", 1);
			mime_imap_nstring(b, p->lang[i]);
		}
		buf_append(b, ")", 1);
	}
	buf_append(b, " ", 1);
	mime_imap_nstring(b, p->location);
}

static void
ms_put_part(struct buf *b, const struct ms_part *p, bool ext)
{
	const struct ms_part *c;
	bool text;

	buf_append(b, "(", 1);
	if (p->kind == MS_MULTIPART) {
		for (c = p->child; c != NULL; c = c->next)
			ms_put_part(b, c, ext);
		if (p->child == NULL) {
			/* RFC 2046 5.1.1 wants at least one part: Dovecot
			   shows an empty text part. */
			buf_append_str(b, "(\"text\" \"plain\" (\"charset\" "
					  "\"us-ascii\") NIL NIL \"7bit\" 0 0");
			buf_append_str(b, ext ? " NIL NIL NIL NIL)" : ")");
		}
		buf_append(b, " ", 1);
		ms_put_name(b, p->subtype);
		if (ext) {
			buf_append(b, " ", 1);
			ms_put_params(b, &p->ct, false);
			ms_put_ext_common(b, p);
		}
		buf_append(b, ")", 1);
		return;
	}
	text = strcmp(p->type, "text") == 0;
	if (p->opaque) {
		/* A multipart or message not descended into (limits, no
		   boundary, encoded message) has no structure to show; as a
		   "message/rfc822" it would need one. */
		buf_append_str(b, "\"application\" \"octet-stream\"");
	} else {
		ms_put_name(b, p->type);
		buf_append(b, " ", 1);
		ms_put_name(b, p->subtype);
	}
	buf_append(b, " ", 1);
	ms_put_params(b, &p->ct, text);
	buf_append(b, " ", 1);
	mime_imap_nstring(b, p->id);
	buf_append(b, " ", 1);
	mime_imap_nstring(b, p->description);
	buf_append(b, " ", 1);
	ms_put_name(b, p->encoding != NULL ? p->encoding : "7bit");
	buf_printf(b, " %llu", (unsigned long long)(p->end - p->body_start));
	if (p->kind == MS_MESSAGE) {
		buf_append(b, " ", 1);
		buf_append_str(b, p->child->envelope);
		buf_append(b, " ", 1);
		ms_put_part(b, p->child, ext);
	}
	if (text || p->kind == MS_MESSAGE)
		buf_printf(b, " %llu",
			   (unsigned long long)(p->end_nl - p->body_nl));
	if (ext) {
		buf_append(b, " ", 1);
		mime_imap_nstring(b, p->md5);
		ms_put_ext_common(b, p);
	}
	buf_append(b, ")", 1);
}

static char *
ms_structure(const struct ms_part *root, bool ext)
{
	struct buf b;
	char *r;

	buf_init(&b, 0);
	ms_put_part(&b, root, ext);
	buf_append(&b, "", 1);
	r = xstrdup((const char *)buf_rptr(&b));
	buf_deinit(&b);
	return r;
}

static char *
ms_strdup(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

int
mime_summary_finish(struct mime_summary *ms, struct mime_msg_info *r)
{
	memset(r, 0, sizeof(*r));
	if (ms == NULL || ms->finished)
		return -1;
	if (ms->cr_pending) {
		/* A lone CR at the very end is data. */
		ms->cr_pending = false;
		ms_line_bytes(ms, "\r", 1);
	}
	if (ms->line_len > 0)
		ms_line_end(ms, 0);
	ms_close_below(ms, NULL, ms->off, ms->nl);
	ms->finished = true;

	r->envelope = ms_strdup(ms->root->envelope);
	r->bodystructure = ms_structure(ms->root, true);
	r->body = ms_structure(ms->root, false);
	r->subject = ms_strdup(ms->subject);
	r->from = ms_strdup(ms->from);
	r->to = ms_strdup(ms->to);
	r->cc = ms_strdup(ms->cc);
	r->message_id = ms_strdup(ms->message_id);
	r->date = ms->date;
	r->has_date = ms->has_date;
	r->has_message_id = ms->message_id != NULL && ms->message_id[0];
	r->received_count = ms->received;
	r->header_size = ms->root->body_start;
	r->body_size = ms->off - ms->root->body_start;
	return 0;
}

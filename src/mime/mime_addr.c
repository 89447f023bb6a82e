/* mime_addr.c: lenient RFC 5322 address-list parser for IMAP ENVELOPE. */
/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime_addr.h"
#include "mime/mime_imap.h"
#include "xalloc.h"

struct addr_ctx {
	const char *p, *end;
	struct arena *a;
	struct mime_addr *v;
	size_t n, cap, max;
	bool full;
	/* Text of the last comment, and whether one came after the last
	   word or domain token read. */
	struct buf comment;
	bool has_comment;
	struct buf phrase, local, dom, route;
};

/* RFC 5322 3.2.3 atext, leniently: everything but white space and the
   specials that structure an address (a backslash, control characters
   and 8-bit bytes are let in, as mailers put them there). */
static bool
addr_atext(unsigned char c)
{
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
		return false;
	return strchr("()<>[]:;@,.\"", c) == NULL || c == '\0';
}

static char *
addr_dup(struct addr_ctx *x, const struct buf *b)
{
	if (buf_len(b) == 0)
		return arena_strdup(x->a, "");
	return arena_strndup(x->a, (const char *)buf_rptr(b), buf_len(b));
}

/* At "(": skip a comment (RFC 5322 3.2.2, nested, with quoted-pairs) and
   keep its text, outer parentheses removed. */
static void
addr_comment(struct addr_ctx *x)
{
	int level = 0;

	buf_reset(&x->comment);
	x->has_comment = true;
	while (x->p < x->end) {
		char c = *x->p++;

		if (c == '\\' && x->p < x->end) {
			buf_append(&x->comment, x->p++, 1);
			continue;
		}
		if (c == '(' && level++ == 0)
			continue;
		if (c == ')' && --level == 0)
			return;
		buf_append(&x->comment, &c, 1);
	}
}

/* Skip CFWS.  Returns true if anything was skipped. */
static bool
addr_cfws(struct addr_ctx *x)
{
	bool skipped = false;

	while (x->p < x->end) {
		char c = *x->p;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			x->p++;
		else if (c == '(')
			addr_comment(x);
		else
			break;
		skipped = true;
	}
	return skipped;
}

/* At '"': append the content of a quoted string (quoted-pairs resolved,
   RFC 5322 3.2.4) to out; an unterminated one runs to the end. */
static void
addr_qstring(struct addr_ctx *x, struct buf *out)
{
	x->p++;
	while (x->p < x->end) {
		char c = *x->p++;

		if (c == '"')
			return;
		if (c == '\\' && x->p < x->end)
			c = *x->p++;
		if (out != NULL)
			buf_append(out, &c, 1);
	}
}

/* Read a run of words (atoms, quoted strings) and dots.  phrase gets
   them as a display name (one space where CFWS separated two tokens),
   local as a local part (joined: RFC 5322 4.4 obs-local-part allows
   CFWS around the dots).  Returns the number of tokens. */
static size_t
addr_words(struct addr_ctx *x, struct buf *phrase, struct buf *local)
{
	size_t n = 0;

	for (;;) {
		bool ws = addr_cfws(x);
		const char *s;

		if (x->p >= x->end)
			break;
		if (*x->p != '"' && *x->p != '.' &&
		    !addr_atext((unsigned char)*x->p))
			break;
		if (ws && n > 0)
			buf_append(phrase, " ", 1);
		if (*x->p == '"') {
			size_t before = buf_len(local);

			addr_qstring(x, local);
			buf_append(phrase, buf_rptr(local) + before,
				   buf_len(local) - before);
		} else {
			s = x->p++;
			while (*s != '.' && x->p < x->end &&
			       addr_atext((unsigned char)*x->p))
				x->p++;
			buf_append(phrase, s, (size_t)(x->p - s));
			buf_append(local, s, (size_t)(x->p - s));
		}
		x->has_comment = false;
		n++;
	}
	return n;
}

/* Read a domain (dot-atom or domain-literal, obs-domain with CFWS) into
   out, joined without white space. */
static void
addr_domain(struct addr_ctx *x, struct buf *out)
{
	bool want_dot = false;

	buf_reset(out);
	for (;;) {
		const char *s;

		addr_cfws(x);
		if (x->p >= x->end)
			return;
		s = x->p;
		/* Two labels in a row: the domain ended before the second. */
		if (want_dot != (*x->p == '.'))
			return;
		want_dot = *x->p != '.';
		if (*x->p == '[') {
			/* RFC 5322 3.4.1 domain-literal, kept with brackets. */
			while (++x->p < x->end && *x->p != ']')
				if (*x->p == '\\' && x->p + 1 < x->end)
					x->p++;
			if (x->p < x->end)
				x->p++;
		} else if (*x->p == '.') {
			x->p++;
		} else if (addr_atext((unsigned char)*x->p)) {
			while (x->p < x->end && *x->p != '.' &&
			       addr_atext((unsigned char)*x->p))
				x->p++;
		} else {
			return;
		}
		buf_append(out, s, (size_t)(x->p - s));
		x->has_comment = false;
	}
}

static struct mime_addr *
addr_push(struct addr_ctx *x)
{
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 4;
		x->v = xrealloc(x->v, x->cap * sizeof(*x->v));
	}
	memset(&x->v[x->n], 0, sizeof(x->v[0]));
	return &x->v[x->n++];
}

/* Add a mailbox; empty parts get the placeholders. */
static void
addr_add(struct addr_ctx *x, char *name, char *adl, const struct buf *local,
	 const struct buf *dom)
{
	struct mime_addr *m;

	if (x->n >= x->max) {
		x->full = true;
		return;
	}
	m = addr_push(x);
	m->name = name;
	m->adl = adl;
	m->mailbox = buf_len(local) > 0
			 ? addr_dup(x, local)
			 : arena_strdup(x->a, MIME_ADDR_MISSING_MAILBOX);
	m->host = dom != NULL && buf_len(dom) > 0
		      ? addr_dup(x, dom)
		      : arena_strdup(x->a, MIME_ADDR_MISSING_DOMAIN);
}

static char *
addr_trailing_comment(struct addr_ctx *x)
{
	addr_cfws(x);
	return x->has_comment ? addr_dup(x, &x->comment) : NULL;
}

/* After '<': [obs-route ":"] addr-spec up to '>' (RFC 5322 3.4, 4.4). */
static void
addr_angle(struct addr_ctx *x, char *name)
{
	char *adl = NULL;
	bool routed = false;

	buf_reset(&x->route);
	buf_reset(&x->dom);
	addr_cfws(x);
	while (x->p < x->end && (*x->p == '@' || *x->p == ',')) {
		if (*x->p++ == ',') {
			addr_cfws(x);
			continue;
		}
		addr_domain(x, &x->dom);
		if (buf_len(&x->route) > 0)
			buf_append(&x->route, ",", 1);
		buf_append(&x->route, "@", 1);
		buf_append(&x->route, buf_rptr(&x->dom), buf_len(&x->dom));
		routed = true;
		addr_cfws(x);
	}
	if (routed && x->p < x->end && *x->p == ':') {
		x->p++;
		adl = addr_dup(x, &x->route);
		buf_reset(&x->dom);
	}
	/* Without ':' the "route" was "<@domain>": a missing local part. */
	buf_reset(&x->phrase);
	buf_reset(&x->local);
	addr_words(x, &x->phrase, &x->local);
	if (x->p < x->end && *x->p == '@') {
		x->p++;
		addr_domain(x, &x->dom);
	}
	while (x->p < x->end && *x->p != '>' && *x->p != ',') {
		if (*x->p == '"')
			addr_qstring(x, NULL);
		else if (*x->p == '(')
			addr_comment(x);
		else
			x->p++;
	}
	if (x->p < x->end && *x->p == '>')
		x->p++;
	addr_add(x, name, adl, &x->local, &x->dom);
}

/* Skip to the next separator: ',' is consumed, so is ';' outside a
   group; inside one ';' is left for the group. */
static void
addr_skip(struct addr_ctx *x, bool in_group)
{
	while (x->p < x->end) {
		char c = *x->p;

		if (c == ',' || (c == ';' && !in_group)) {
			x->p++;
			return;
		}
		if (c == ';')
			return;
		if (c == '"')
			addr_qstring(x, NULL);
		else if (c == '(')
			addr_comment(x);
		else
			x->p++;
	}
}

static void addr_group(struct addr_ctx *x);

/* One mailbox, or a group when not in one already. */
static void
addr_one(struct addr_ctx *x, bool in_group)
{
	size_t words;
	char c;

	buf_reset(&x->phrase);
	buf_reset(&x->local);
	x->has_comment = false;
	words = addr_words(x, &x->phrase, &x->local);
	c = x->p < x->end ? *x->p : '\0';
	if (c == ':' && !in_group) {
		x->p++;
		addr_group(x);
		return;
	}
	if (c == '<') {
		x->p++;
		addr_angle(x, words > 0 ? addr_dup(x, &x->phrase) : NULL);
	} else if (c == '@') {
		x->p++;
		addr_domain(x, &x->dom);
		addr_add(x, addr_trailing_comment(x), NULL, &x->local, &x->dom);
	} else if (words > 0) {
		/* "MAILER-DAEMON (Mail Delivery System)": no domain. */
		char *name = x->has_comment ? addr_dup(x, &x->comment) : NULL;

		addr_add(x, name, NULL, &x->phrase, NULL);
	}
	addr_skip(x, in_group);
}

/* After "display-name:": mailboxes up to ';' (RFC 5322 3.4), framed by
   the group markers of RFC 3501 7.4.2. */
static void
addr_group(struct addr_ctx *x)
{
	struct mime_addr *m;

	if (x->n >= x->max) {
		x->full = true;
		return;
	}
	m = addr_push(x);
	m->mailbox = addr_dup(x, &x->phrase);
	while (!x->full && x->p < x->end) {
		addr_cfws(x);
		if (x->p < x->end && *x->p == ';') {
			x->p++;
			break;
		}
		addr_one(x, true);
	}
	/* The end marker is kept even past the limit (max + 1 entries). */
	addr_push(x);
}

size_t
mime_addr_parse(const char *v, size_t n, size_t max, struct arena *a,
		struct mime_addr **list_r)
{
	struct addr_ctx x;

	memset(&x, 0, sizeof(x));
	x.p = v;
	x.end = v + n;
	x.a = a;
	x.max = max;
	buf_init(&x.comment, 0);
	buf_init(&x.phrase, 0);
	buf_init(&x.local, 0);
	buf_init(&x.dom, 0);
	buf_init(&x.route, 0);
	while (!x.full && x.p < x.end)
		addr_one(&x, false);
	*list_r = NULL;
	if (x.n > 0) {
		*list_r = arena_alloc(a, x.n * sizeof(x.v[0]));
		memcpy(*list_r, x.v, x.n * sizeof(x.v[0]));
	}
	free(x.v);
	buf_deinit(&x.comment);
	buf_deinit(&x.phrase);
	buf_deinit(&x.local);
	buf_deinit(&x.dom);
	buf_deinit(&x.route);
	return x.n;
}

void
mime_addr_imap(struct buf *b, const struct mime_addr *list, size_t n)
{
	size_t i;

	if (n == 0) {
		buf_append_str(b, "NIL");
		return;
	}
	buf_append(b, "(", 1);
	for (i = 0; i < n; i++) {
		buf_append(b, "(", 1);
		mime_imap_nstring(b, list[i].name);
		buf_append(b, " ", 1);
		mime_imap_nstring(b, list[i].adl);
		buf_append(b, " ", 1);
		mime_imap_nstring(b, list[i].mailbox);
		buf_append(b, " ", 1);
		mime_imap_nstring(b, list[i].host);
		buf_append(b, ")", 1);
	}
	buf_append(b, ")", 1);
}

/* mime_header.c: header unfolding, Content-Type and RFC 2231 parameters. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "limits.h"
#include "mime/mime_decode.h"
#include "mime/mime_header.h"
#include "xalloc.h"

size_t
mime_header_unfold(const char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = in[i];

		if (c == '\r' || c == '\n' || c == '\0')
			continue;
		if (o == 0 && (c == ' ' || c == '\t'))
			continue;
		out[o++] = c;
	}
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	return o;
}

char *
mime_header_value(struct arena *a, const char *in, size_t n)
{
	char *s = arena_alloc(a, n + 1);

	s[mime_header_unfold(in, n, s)] = '\0';
	return s;
}

struct mime_lex {
	const char *p, *end;
};

static void
mime_lex_cfws(struct mime_lex *l)
{
	int level = 0;

	while (l->p < l->end) {
		char c = *l->p;

		if (level > 0 && c == '\\' && l->p + 1 < l->end) {
			l->p += 2;
			continue;
		}
		if (c == '(')
			level++;
		else if (c == ')' && level > 0)
			level--;
		else if (level == 0 && c != ' ' && c != '\t' && c != '\r' &&
			 c != '\n')
			return;
		l->p++;
	}
}

/* RFC 2045 5.1 token characters; 8-bit bytes are let in (lenient). */
static inline bool
mime_token_char(unsigned char c)
{
	if (c <= ' ' || c == 0x7f)
		return false;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static size_t
mime_lex_token(struct mime_lex *l, const char **tok_r)
{
	const char *s;

	mime_lex_cfws(l);
	s = l->p;
	while (l->p < l->end && mime_token_char((unsigned char)*l->p))
		l->p++;
	*tok_r = s;
	return (size_t)(l->p - s);
}

static char *
mime_lower_dup(struct arena *a, const char *s, size_t n)
{
	char *d = arena_strndup(a, s, n);
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] + 32);
	return d;
}

/* The bytes of b as a string in a (an empty buf may hold no memory). */
static char *
mime_buf_strdup(struct arena *a, const struct buf *b)
{
	if (buf_len(b) == 0)
		return arena_strdup(a, "");
	return arena_strndup(a, (const char *)buf_rptr(b), buf_len(b));
}

/* A parameter as written, before RFC 2231 sections are joined. */
struct mime_raw_param {
	const char *name;
	size_t name_len;
	int section; /* -1 without "*N" */
	bool star;   /* value is extended (ends in "*") */
	char *value; /* unquoted, xmalloc'd */
};

/* Parse the value after "=": a quoted-string or a token. */
static char *
mime_lex_value(struct mime_lex *l)
{
	struct buf b;
	char *s;

	buf_init(&b, 0);
	mime_lex_cfws(l);
	if (l->p < l->end && *l->p == '"') {
		l->p++;
		while (l->p < l->end && *l->p != '"') {
			if (*l->p == '\\' && l->p + 1 < l->end)
				l->p++;
			if (*l->p != '\r' && *l->p != '\n' && *l->p != '\0')
				buf_append(&b, l->p, 1);
			l->p++;
		}
		if (l->p < l->end)
			l->p++;
	} else {
		const char *t;
		size_t n = mime_lex_token(l, &t);

		buf_append(&b, t, n);
	}
	s = xmalloc(buf_len(&b) + 1);
	if (buf_len(&b) > 0) /* else b may hold no memory */
		memcpy(s, buf_rptr(&b), buf_len(&b));
	s[buf_len(&b)] = '\0';
	buf_deinit(&b);
	return s;
}

/* Split "name*N*" into base name, section and star.  A name whose "*"
   is not one of those forms (RFC 2231 7: attribute-char excludes "*")
   is kept whole as a plain name, so "name*x" cannot stand in for
   "name". */
static void
mime_raw_param_name(struct mime_raw_param *rp, const char *t, size_t n)
{
	const char *st = memchr(t, '*', n), *end = t + n, *d;
	int sec = 0;

	rp->name = t;
	rp->name_len = n;
	rp->section = -1;
	rp->star = false;
	if (st == NULL)
		return;
	if (st + 1 == end) { /* name* */
		rp->name_len = (size_t)(st - t);
		rp->star = true;
		return;
	}
	for (d = st + 1; d < end && *d >= '0' && *d <= '9' && sec < 100000; d++)
		sec = sec * 10 + (*d - '0');
	if (d == st + 1)
		return; /* no section number */
	if (d + 1 == end && *d == '*')
		rp->star = true;
	else if (d != end)
		return; /* junk after the section number */
	rp->name_len = (size_t)(st - t);
	rp->section = sec;
}

/* RFC 2231 7: attribute-char, which need no percent-encoding. */
static bool
mime_attr_char(unsigned char c)
{
	return mime_token_char(c) && c != '*' && c != '\'' && c != '%' &&
	       c < 0x80;
}

static void
mime_pct_encode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (mime_attr_char(c)) {
			buf_append(b, s, 1);
		} else {
			char e[3] = {'%', hex[c >> 4], hex[c & 15]};

			buf_append(b, e, 3);
		}
	}
}

static bool
mime_same_name(const struct mime_raw_param *x, const struct mime_raw_param *y)
{
	return x->name_len == y->name_len &&
	       strncasecmp(x->name, y->name, x->name_len) == 0;
}

/* Join all raw parameters named like raw[i] into one. */
static void
mime_param_join(struct mime_raw_param *raw, size_t nraw, size_t i,
		struct arena *a, struct mime_param *out)
{
	const struct mime_raw_param *plain = NULL, *star = NULL;
	const struct mime_raw_param *sec[MIME_PARAM_SECTIONS_MAX] = {NULL};
	size_t j, nsec = 0;
	bool ext = false;
	struct buf b;

	for (j = i; j < nraw; j++) {
		const struct mime_raw_param *r = &raw[j];

		if (!mime_same_name(r, &raw[i]))
			continue;
		if (r->section >= 0 && r->section < MIME_PARAM_SECTIONS_MAX) {
			if (sec[r->section] == NULL)
				sec[r->section] = r;
		} else if (r->section < 0 && r->star) {
			if (star == NULL)
				star = r;
		} else if (r->section < 0 && plain == NULL) {
			plain = r;
		}
	}
	while (nsec < MIME_PARAM_SECTIONS_MAX && sec[nsec] != NULL)
		nsec++;
	out->name = mime_lower_dup(a, raw[i].name, raw[i].name_len);
	buf_init(&b, 0);
	if (nsec > 0) {
		for (j = 0; j < nsec; j++)
			ext |= sec[j]->star;
		for (j = 0; j < nsec; j++) {
			const char *v = sec[j]->value;

			if (j == 0 && sec[0]->star) {
				/* charset'language'text (RFC 2231 4) */
				const char *q1 = strchr(v, '\''), *q2;

				if (q1 != NULL && (q2 = strchr(q1 + 1, '\'')))
				{
					out->charset = mime_lower_dup(
					    a, v, (size_t)(q1 - v));
					out->language = arena_strndup(
					    a, q1 + 1, (size_t)(q2 - q1 - 1));
					v = q2 + 1;
				}
			}
			if (ext && !sec[j]->star)
				mime_pct_encode(&b, v);
			else
				buf_append_str(&b, v);
		}
	} else if (star != NULL) {
		const char *v = star->value, *q1 = strchr(v, '\''), *q2;

		ext = true;
		if (q1 != NULL && (q2 = strchr(q1 + 1, '\'')) != NULL) {
			out->charset = mime_lower_dup(a, v, (size_t)(q1 - v));
			out->language =
			    arena_strndup(a, q1 + 1, (size_t)(q2 - q1 - 1));
			v = q2 + 1;
		}
		buf_append_str(&b, v);
	} else if (plain != NULL) {
		buf_append_str(&b, plain->value);
	}
	out->extended = ext;
	if (ext) {
		if (out->charset == NULL)
			out->charset = arena_strdup(a, "");
		if (out->language == NULL)
			out->language = arena_strdup(a, "");
	}
	out->value = mime_buf_strdup(a, &b);
	buf_deinit(&b);
}

int
mime_content_parse(const char *v, size_t n, bool with_subtype,
		   struct arena *a, struct mime_content *r)
{
	struct mime_lex l = {v, v + n};
	struct mime_raw_param *raw;
	size_t nraw = 0, i, tl, sl = 0;
	const char *t, *s = NULL;

	memset(r, 0, sizeof(*r));
	tl = mime_lex_token(&l, &t);
	if (tl == 0)
		return -1;
	if (with_subtype) {
		mime_lex_cfws(&l);
		if (l.p >= l.end || *l.p != '/')
			return -1;
		l.p++;
		if ((sl = mime_lex_token(&l, &s)) == 0)
			return -1;
	}
	r->type = mime_lower_dup(a, t, tl);
	if (with_subtype)
		r->subtype = mime_lower_dup(a, s, sl);
	raw = xcalloc(MIME_PARAMS_MAX * 2, sizeof(*raw));
	for (;;) {
		const char *pn;
		size_t pl;

		mime_lex_cfws(&l);
		/* Skip anything up to the next ";" (lenient). */
		while (l.p < l.end && *l.p != ';') {
			if (*l.p == '"') { /* a stray quoted string */
				free(mime_lex_value(&l));
				continue;
			}
			l.p++;
			mime_lex_cfws(&l);
		}
		if (l.p >= l.end || nraw == MIME_PARAMS_MAX * 2)
			break;
		l.p++;
		if ((pl = mime_lex_token(&l, &pn)) == 0)
			continue;
		mime_lex_cfws(&l);
		if (l.p >= l.end || *l.p != '=')
			continue;
		l.p++;
		mime_raw_param_name(&raw[nraw], pn, pl);
		if (raw[nraw].name_len == 0) /* "*=", "*0=": no name */
			continue;
		raw[nraw].value = mime_lex_value(&l);
		nraw++;
	}
	r->params = arena_alloc(a, (nraw > 0 ? nraw : 1) * sizeof(*r->params));
	for (i = 0; i < nraw && r->n_params < MIME_PARAMS_MAX; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (mime_same_name(&raw[j], &raw[i]))
				break;
		if (j < i)
			continue; /* already joined */
		mime_param_join(raw, nraw, i, a, &r->params[r->n_params++]);
	}
	for (i = 0; i < nraw; i++)
		free(raw[i].value);
	free(raw);
	return 0;
}

const struct mime_param *
mime_content_param(const struct mime_content *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_params; i++)
		if (strcmp(c->params[i].name, name) == 0)
			return &c->params[i];
	return NULL;
}

static int
mime_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *
mime_param_decode(const struct mime_param *p, struct arena *a)
{
	struct buf raw, out;
	const char *s;
	char *res;
	size_t i;

	buf_init(&raw, 0);
	buf_init(&out, 0);
	if (p->extended) {
		for (s = p->value; *s != '\0'; s++) {
			char c = *s;

			if (c == '%' && mime_hexval(s[1]) >= 0 &&
			    mime_hexval(s[2]) >= 0) {
				c = (char)(mime_hexval(s[1]) << 4 |
					   mime_hexval(s[2]));
				s += 2;
			}
			buf_append(&raw, &c, 1);
		}
		if (buf_len(&raw) > 0 &&
		    mime_charset_to_utf8(p->charset, buf_rptr(&raw),
					 buf_len(&raw), &out) < 0)
			mime_charset_to_utf8("utf-8", buf_rptr(&raw),
					     buf_len(&raw), &out);
	} else {
		mime_2047_decode(p->value, strlen(p->value), &out);
	}
	/* The result is a C string: a NUL ("%00", "=00", or one a charset
	   such as UTF-16 made) would cut it short, so it shows as U+FFFD. */
	buf_reset(&raw);
	for (i = 0; i < buf_len(&out); i++) {
		if (buf_rptr(&out)[i] == '\0')
			buf_append_str(&raw, "\xef\xbf\xbd");
		else
			buf_append(&raw, buf_rptr(&out) + i, 1);
	}
	res = mime_buf_strdup(a, &raw);
	buf_deinit(&raw);
	buf_deinit(&out);
	return res;
}

/* mime_decode.c: lenient base64, quoted-printable, charsets, RFC 2047 words. */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "mime/mime_decode.h"
#include "base64.h"
#include "utf8.h"

static const char mime_replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void
mime_b64_init(struct mime_b64 *st)
{
	st->acc = 0;
	st->n = 0;
}

/* Write the whole bytes held by a partial quantum of st->n sextets. */
static uint8_t *
mime_b64_flush(struct mime_b64 *st, uint8_t *o)
{
	if (st->n == 2) {
		*o++ = (uint8_t)(st->acc >> 4);
	} else if (st->n == 3) {
		*o++ = (uint8_t)(st->acc >> 10);
		*o++ = (uint8_t)(st->acc >> 2);
	}
	st->acc = 0;
	st->n = 0;
	return o;
}

void
mime_b64_decode(struct mime_b64 *st, const void *in, size_t n,
		struct buf *out)
{
	const unsigned char *p = in, *end = p + n;
	uint8_t *o0 = buf_reserve(out, n / 4 * 3 + 4), *o = o0;

	if (o0 == NULL)
		return;

	for (; p < end; p++) {
		int v = base64_value(*p);

		if (v < 0) {
			/* RFC 2045 6.8: '=' pads the end of a quantum; other
			   characters are ignored. */
			if (*p == '=')
				o = mime_b64_flush(st, o);
			continue;
		}
		st->acc = st->acc << 6 | (uint32_t)v;
		if (++st->n == 4) {
			*o++ = (uint8_t)(st->acc >> 16);
			*o++ = (uint8_t)(st->acc >> 8);
			*o++ = (uint8_t)st->acc;
			st->acc = 0;
			st->n = 0;
		}
	}
	buf_commit(out, (size_t)(o - o0));
}

void
mime_b64_finish(struct mime_b64 *st, struct buf *out)
{
	uint8_t *o0 = buf_reserve(out, 3);

	if (o0 == NULL)
		return;
	buf_commit(out, (size_t)(mime_b64_flush(st, o0) - o0));
}

enum {
	QP_TEXT,
	QP_EQ,	   /* "=" */
	QP_EQ_HEX, /* "=X" */
	QP_EQ_WS,  /* "=" WSP... */
	QP_EQ_CR,  /* "=" [WSP...] CR */
	QP_WS,	   /* WSP... */
	QP_WS_CR,  /* WSP... CR */
};

static inline int
mime_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
mime_qp_init(struct mime_qp *st)
{
	memset(st, 0, sizeof(*st));
}

static uint8_t *
mime_qp_put_ws(struct mime_qp *st, uint8_t *o)
{
	memcpy(o, st->ws, st->nws);
	o += st->nws;
	st->nws = 0;
	return o;
}

void
mime_qp_decode(struct mime_qp *st, const void *in, size_t n, struct buf *out)
{
	const unsigned char *p = in, *end = p + n;
	uint8_t *o0 = buf_reserve(out, n + MIME_QP_WSP_MAX + 4), *o = o0;

	if (o0 == NULL)
		return;

	while (p < end) {
		unsigned char c = *p;
		bool ws = c == ' ' || c == '\t';

		switch (st->state) {
		case QP_TEXT: {
			/* Copy the run of plain bytes in one go. */
			const unsigned char *q = p;

			while (q < end && *q != '=' && *q != ' ' && *q != '\t')
				q++;
			memcpy(o, p, (size_t)(q - p));
			o += q - p;
			p = q;
			if (p == end)
				break;
			if (*p == '=') {
				st->state = QP_EQ;
				st->nws = 0;
			} else {
				st->ws[0] = (char)*p;
				st->nws = 1;
				st->state = QP_WS;
			}
			p++;
			continue;
		}
		case QP_WS:
			if (ws) {
				if (st->nws == MIME_QP_WSP_MAX)
					o = mime_qp_put_ws(st, o);
				st->ws[st->nws++] = (char)c;
			} else if (c == '\r') {
				st->state = QP_WS_CR;
			} else if (c == '\n') {
				/* RFC 2045 6.7 rule 3: drop trailing WSP */
				st->nws = 0;
				*o++ = '\n';
				st->state = QP_TEXT;
			} else {
				o = mime_qp_put_ws(st, o);
				st->state = QP_TEXT;
				continue;
			}
			break;
		case QP_WS_CR:
			if (c == '\n') {
				st->nws = 0;
				*o++ = '\r';
				*o++ = '\n';
				st->state = QP_TEXT;
				break;
			}
			o = mime_qp_put_ws(st, o);
			*o++ = '\r';
			st->state = QP_TEXT;
			continue;
		case QP_EQ:
			if (mime_hex_value(c) >= 0) {
				st->hex = (char)c;
				st->state = QP_EQ_HEX;
			} else if (c == '\r') {
				st->state = QP_EQ_CR;
			} else if (c == '\n') {
				st->state = QP_TEXT; /* soft line break */
			} else if (ws) {
				st->ws[0] = (char)c;
				st->nws = 1;
				st->state = QP_EQ_WS;
			} else {
				*o++ = '=';
				st->state = QP_TEXT;
				continue;
			}
			break;
		case QP_EQ_HEX: {
			int hi = mime_hex_value((unsigned char)st->hex);
			int lo = mime_hex_value(c);

			st->state = QP_TEXT;
			if (lo >= 0) {
				*o++ = (uint8_t)(hi << 4 | lo);
				break;
			}
			*o++ = '=';
			*o++ = (uint8_t)st->hex;
			continue;
		}
		case QP_EQ_WS:
			if (ws && st->nws < MIME_QP_WSP_MAX) {
				st->ws[st->nws++] = (char)c;
			} else if (c == '\r') {
				st->state = QP_EQ_CR;
			} else if (c == '\n') {
				st->nws = 0;
				st->state = QP_TEXT;
			} else {
				*o++ = '=';
				o = mime_qp_put_ws(st, o);
				st->state = QP_TEXT;
				continue;
			}
			break;
		case QP_EQ_CR:
			st->state = QP_TEXT;
			if (c == '\n') {
				st->nws = 0;
				break;
			}
			*o++ = '=';
			o = mime_qp_put_ws(st, o);
			*o++ = '\r';
			continue;
		}
		p++;
	}
	buf_commit(out, (size_t)(o - o0));
}

void
mime_qp_finish(struct mime_qp *st, struct buf *out)
{
	uint8_t *o0 = buf_reserve(out, MIME_QP_WSP_MAX + 4), *o = o0;

	if (o0 == NULL)
		return;
	switch (st->state) {
	case QP_EQ:
		*o++ = '=';
		break;
	case QP_EQ_HEX:
		*o++ = '=';
		*o++ = (uint8_t)st->hex;
		break;
	case QP_EQ_WS:
		*o++ = '=';
		o = mime_qp_put_ws(st, o);
		break;
	case QP_EQ_CR:
		*o++ = '=';
		o = mime_qp_put_ws(st, o);
		*o++ = '\r';
		break;
	case QP_WS_CR:
		o = mime_qp_put_ws(st, o);
		*o++ = '\r';
		break;
	default: /* QP_WS: trailing whitespace of the last line is dropped */
		break;
	}
	buf_commit(out, (size_t)(o - o0));
	mime_qp_init(st);
}

/* Append in[0..n) as UTF-8, each invalid byte replaced by U+FFFD. */
static void
mime_utf8_copy(const unsigned char *in, size_t n, struct buf *out)
{
	size_t i = 0, start = 0;

	while (i < n) {
		size_t len;

		if (in[i] < 0x80) {
			i++;
			continue;
		}
		if ((len = utf8_char_len(in + i, n - i)) > 0) {
			i += len;
			continue;
		}
		buf_append(out, in + start, i - start);
		buf_append(out, mime_replacement, 3);
		start = ++i;
	}
	buf_append(out, in + start, i - start);
}

static bool
mime_charset_is(const char *cs, const char *const *names)
{
	for (; *names != NULL; names++)
		if (strcasecmp(cs, *names) == 0)
			return true;
	return false;
}

static const char *const mime_cs_utf8[] = {
    "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "", NULL};
static const char *const mime_cs_latin1[] = {
    "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1", NULL};

static int
mime_charset_iconv(const char *charset, const unsigned char *in, size_t n,
		   struct buf *out)
{
	iconv_t cd = iconv_open("UTF-8", charset);
	char *ip = (char *)(uintptr_t)in;
	size_t il = n;
	struct buf tmp;

	if (cd == (iconv_t)-1)
		return -1;
	buf_init(&tmp, 0);
	while (il > 0) {
		size_t room = il * 4 + 16, ol = room;
		char *o0 = (char *)buf_reserve(&tmp, room), *op = o0;
		size_t rc;

		if (o0 == NULL)
			break;
		rc = iconv(cd, &ip, &il, &op, &ol);

		buf_commit(&tmp, room - ol);
		if (rc != (size_t)-1 || errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL (truncated sequence): replace one byte */
		buf_append(&tmp, mime_replacement, 3);
		ip++;
		il--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush any shift state (stateful encodings such as ISO-2022-JP). */
	{
		char tail[16], *op = tail;
		size_t ol = sizeof(tail);

		if (iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1)
			buf_append(&tmp, tail, sizeof(tail) - ol);
	}
	iconv_close(cd);
	/* glibc lets code points past U+10FFFF through (e.g. F4 90 80 80
	   from a "UTF-8" spelled so that the built-in list misses it, or
	   from UCS-4): the output is checked like any other UTF-8. */
	if (buf_len(&tmp) > 0)
		mime_utf8_copy(buf_rptr(&tmp), buf_len(&tmp), out);
	buf_deinit(&tmp);
	return 0;
}

int
mime_charset_to_utf8(const char *charset, const void *in, size_t n,
		     struct buf *out)
{
	const unsigned char *p = in;
	size_t i;

	if (mime_charset_is(charset, mime_cs_utf8)) {
		mime_utf8_copy(p, n, out);
		return 0;
	}
	if (mime_charset_is(charset, mime_cs_latin1)) {
		uint8_t *o0 = buf_reserve(out, n * 2 + 1), *o = o0;

		if (o0 == NULL)
			return 0;
		for (i = 0; i < n; i++) {
			if (p[i] < 0x80) {
				*o++ = p[i];
			} else {
				*o++ = (uint8_t)(0xc0 | p[i] >> 6);
				*o++ = (uint8_t)(0x80 | (p[i] & 0x3f));
			}
		}
		buf_commit(out, (size_t)(o - o0));
		return 0;
	}
	return mime_charset_iconv(charset, p, n, out);
}

/* The first "ab" in p[0..n), or NULL.  (memchr based: unlike memmem it
   reads no further than the match, which keeps sanitizer builds, whose
   memmem checks the whole haystack, linear too.) */
static const char *
mime_find_pair(const char *p, size_t n, char a, char b)
{
	const char *end = p + n;

	while (end - p >= 2 && (p = memchr(p, a, (size_t)(end - p) - 1))) {
		if (p[1] == b)
			return p;
		p++;
	}
	return NULL;
}

/* One encoded-word at s[0..n) (RFC 2047 2): on success the charset
   (without "*lang") goes to cs, the decoded bytes are appended to
   raw and the word's length is returned; 0 if s does not start one;
   MIME_2047_NO_END if no "?=" follows the encoded text, which means no
   later "=?" can start a word either (its text starts no earlier). */
#define MIME_2047_NO_END ((size_t)-1)
static size_t
mime_2047_word(const char *s, size_t n, char *cs, size_t cs_size,
	       struct buf *raw)
{
	const char *q, *text, *end, *star;
	size_t cslen, i;
	char enc;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	q = memchr(s + 2, '?', n - 2);
	if (q == NULL || q == s + 2 || (size_t)(q - s) + 3 > n || q[2] != '?')
		return 0;
	cslen = (size_t)(q - (s + 2));
	enc = (char)(q[1] | 0x20);
	if (enc != 'b' && enc != 'q')
		return 0;
	/* RFC 2231 5: "charset*language" */
	if ((star = memchr(s + 2, '*', cslen)) != NULL)
		cslen = (size_t)(star - (s + 2));
	if (cslen == 0 || cslen >= cs_size)
		return 0;
	for (i = 0; i < cslen; i++) {
		unsigned char c = (unsigned char)s[2 + i];

		if (c <= ' ' || c >= 0x7f || c == '(' || c == ')' || c == '"')
			return 0;
	}
	/* Only now look for the end: every check above is cheap, so each
	   byte is scanned by a failing search at most once. */
	text = q + 3;
	end = mime_find_pair(text, n - (size_t)(text - s), '?', '=');
	if (end == NULL)
		return MIME_2047_NO_END;
	memcpy(cs, s + 2, cslen);
	cs[cslen] = '\0';
	if (enc == 'b') {
		struct mime_b64 st;

		mime_b64_init(&st);
		mime_b64_decode(&st, text, (size_t)(end - text), raw);
		mime_b64_finish(&st, raw);
	} else {
		/* RFC 2047 4.2: "_" is a space, "=XX" an octet */
		const char *p;

		for (p = text; p < end; p++) {
			uint8_t c = (uint8_t)*p;

			if (c == '_') {
				c = ' ';
			} else if (c == '=' && end - p >= 3 &&
				   mime_hex_value((unsigned char)p[1]) >= 0 &&
				   mime_hex_value((unsigned char)p[2]) >= 0) {
				c = (uint8_t)(mime_hex_value((unsigned char)p[1])
						  << 4 |
					      mime_hex_value((unsigned char)p[2]));
				p += 2;
			}
			buf_append(raw, &c, 1);
		}
	}
	return (size_t)(end + 2 - s);
}

static bool
mime_all_wsp(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

#define MIME_CHARSET_NAME_MAX 64

/* Whether text in charset cs can be converted. */
static bool
mime_charset_known(const char *cs)
{
	iconv_t cd;

	if (mime_charset_is(cs, mime_cs_utf8) ||
	    mime_charset_is(cs, mime_cs_latin1))
		return true;
	if ((cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return false;
	iconv_close(cd);
	return true;
}

/* Convert the joined bytes of pending encoded words and empty raw. */
static void
mime_2047_flush(struct buf *raw, const char *cs, struct buf *out)
{
	if (buf_len(raw) > 0)
		mime_charset_to_utf8(cs, buf_rptr(raw), buf_len(raw), out);
	buf_reset(raw);
}

void
mime_2047_decode(const char *in, size_t n, struct buf *out)
{
	char cs[MIME_CHARSET_NAME_MAX], pend_cs[MIME_CHARSET_NAME_MAX] = "";
	struct buf raw, word;
	size_t i = 0, from = 0;
	bool after_word = false;

	buf_init(&raw, 0);
	buf_init(&word, 0);
	for (;;) {
		const char *j = mime_find_pair(in + from, n - from, '=', '?');
		size_t at, wlen;
		bool join;

		if (j == NULL)
			break;
		at = (size_t)(j - in);
		buf_reset(&word);
		wlen = mime_2047_word(in + at, n - at, cs, sizeof(cs), &word);
		if (wlen == MIME_2047_NO_END)
			break;
		if (wlen == 0) {
			from = at + 1;
			continue;
		}
		/* RFC 2047 6.2: whitespace between adjacent words goes. */
		join = after_word && mime_all_wsp(in + i, at - i);
		/* pend_cs, when set, names a charset already found known */
		if (strcasecmp(cs, pend_cs) != 0 && !mime_charset_known(cs)) {
			/* keep a word we cannot convert as it was written */
			mime_2047_flush(&raw, pend_cs, out);
			mime_utf8_copy((const unsigned char *)in + i,
				       at + wlen - i, out);
			after_word = false;
		} else {
			if (!join || strcasecmp(cs, pend_cs) != 0) {
				mime_2047_flush(&raw, pend_cs, out);
				if (!join)
					mime_utf8_copy(
					    (const unsigned char *)in + i,
					    at - i, out);
				memcpy(pend_cs, cs, sizeof(cs));
			}
			/* (an empty word may hold no memory) */
			if (buf_len(&word) > 0)
				buf_append(&raw, buf_rptr(&word),
					   buf_len(&word));
			after_word = true;
		}
		i = from = at + wlen;
	}
	mime_2047_flush(&raw, pend_cs, out);
	mime_utf8_copy((const unsigned char *)in + i, n - i, out);
	buf_deinit(&raw);
	buf_deinit(&word);
}

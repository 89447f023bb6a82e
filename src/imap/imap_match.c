/* imap_match.c: evaluate a SEARCH program against one message (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 5032, RFC 7162 3.1.5). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_match.h"

#include <string.h>
#include <strings.h>
#include <time.h>

#include "limits.h"
#include "mime/mime_date.h"
#include "mime/mime_decode.h"
#include "mime/mime_header.h"
#include "store/store.h"

/* ---- case folding and substring search ---- */

/* Fold the two-byte UTF-8 sequence at (a, b) in place.  Only letters
   whose lower-case form is also two bytes long are handled. */
static void
imap_fold2(unsigned char *a, unsigned char *b)
{
	unsigned cp = (unsigned)(*a & 0x1f) << 6 | (*b & 0x3f);

	if ((cp >= 0xc0 && cp <= 0xde && cp != 0xd7) ||
	    (cp >= 0x391 && cp <= 0x3ab && cp != 0x3a2) ||
	    (cp >= 0x410 && cp <= 0x42f))
		cp += 0x20;
	else if (cp >= 0x400 && cp <= 0x40f)
		cp += 0x50;
	else if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14a && cp <= 0x177))
		cp |= 1;
	else if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e))
		cp += cp & 1;
	else if (cp == 0x178)
		cp = 0xff;
	else
		return;
	*a = (unsigned char)(0xc0 | cp >> 6);
	*b = (unsigned char)(0x80 | (cp & 0x3f));
}

/* Fold n bytes from src to dst (which may be src). */
static void
imap_fold_mem(unsigned char *dst, const unsigned char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = src[i];

		if (ch < 0x80) {
			dst[i] = (unsigned char)((unsigned)(ch - 'A') < 26u ? ch + 32 : ch);
		} else if (ch >= 0xc3 && ch <= 0xd0 && i + 1 < n &&
			   (src[i + 1] & 0xc0) == 0x80) {
			dst[i] = ch;
			dst[i + 1] = src[i + 1];
			imap_fold2(&dst[i], &dst[i + 1]);
			i++;
		} else {
			dst[i] = ch;
		}
	}
}

void
imap_match_fold(const char *s, size_t n, struct buf *out)
{
	uint8_t *o = buf_reserve(out, n);

	if (o == NULL)
		return;
	imap_fold_mem(o, (const unsigned char *)s, n);
	buf_commit(out, n);
}

bool
imap_match_find(const char *hay, size_t n, const char *needle, size_t nlen,
		struct buf *scratch)
{
	if (nlen == 0)
		return true;
	if (n < nlen)
		return false;
	buf_reset(scratch);
	imap_match_fold(hay, n, scratch);
	return memmem(buf_rptr(scratch), buf_len(scratch), needle, nlen) !=
	       NULL;
}

/* ---- headers ---- */

size_t
imap_match_header_len(const char *text, size_t n)
{
	size_t i = 0;

	/* A header ends at the first empty line (CRLF CRLF or LF LF); an
	   empty header is a message starting with its blank line. */
	while (i < n) {
		const char *lf;

		if (text[i] == '\n')
			return i + 1;
		if (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n')
			return i + 2;
		lf = memchr(text + i, '\n', n - i);
		if (lf == NULL)
			return n;
		i = (size_t)(lf - text) + 1;
	}
	return n;
}

bool
imap_match_next_field(const char *h, size_t n, size_t *pos,
		      const char **name_r, size_t *name_len_r,
		      const char **value_r, size_t *value_len_r)
{
	size_t i = *pos;

	while (i < n) {
		size_t start = i, colon = 0, end;
		const char *lf;

		if (h[i] == '\n' || (h[i] == '\r' && i + 1 < n && h[i + 1] == '\n'))
			break; /* the blank line */
		/* The field runs to a line end not followed by WSP. */
		for (end = i;; end = (size_t)(lf - h) + 1) {
			lf = memchr(h + end, '\n', n - end);
			if (lf == NULL) {
				end = n;
				break;
			}
			if ((size_t)(lf - h) + 1 >= n ||
			    (h[lf - h + 1] != ' ' && h[lf - h + 1] != '\t')) {
				end = (size_t)(lf - h) + 1;
				break;
			}
		}
		i = end;
		while (colon < end - start && h[start + colon] != ':' &&
		       h[start + colon] != '\n')
			colon++;
		if (colon == end - start || h[start + colon] != ':' || colon == 0)
			continue; /* not a field (RFC 5322 2.2): skipped */
		*name_r = h + start;
		*name_len_r = colon;
		while (*name_len_r > 0 && (h[start + *name_len_r - 1] == ' ' ||
					   h[start + *name_len_r - 1] == '\t'))
			(*name_len_r)--;
		*value_r = h + start + colon + 1;
		*value_len_r = end - start - colon - 1;
		*pos = i;
		return true;
	}
	*pos = n;
	return false;
}

/* Unfold v[0..n) and decode its RFC 2047 words into out (reset). */
static void
imap_match_decode_value(struct imap_match_ctx *c, const char *v, size_t n,
			struct buf *out)
{
	char *u;

	buf_reset(&c->scratch);
	if ((u = (char *)buf_reserve(&c->scratch, n + 1)) == NULL)
		return;
	n = mime_header_unfold(v, n, u);
	buf_reset(out);
	mime_2047_decode(u, n, out);
}

/* Does the decoded value v[0..n) contain the folded needle? */
static bool
imap_match_value(struct imap_match_ctx *c, const char *v, size_t n,
		 const struct imap_search_key *k)
{
	if (k->len == 0)
		return true;
	imap_match_decode_value(c, v, n, &c->dec);
	return imap_match_find((const char *)buf_rptr(&c->dec),
			       buf_len(&c->dec), k->str, k->len, &c->fold);
}

/* The stored value of a header field, or (const char *)-1 when the
   field is not among the stored ones. */
static const char *const IMAP_NOT_STORED = (const char *)1;

static const char *
imap_match_stored(const struct imap_match_msg *m, const char *field)
{
	if (strcasecmp(field, "Subject") == 0)
		return m->subject;
	if (strcasecmp(field, "From") == 0)
		return m->from;
	if (strcasecmp(field, "To") == 0)
		return m->to;
	if (strcasecmp(field, "Cc") == 0)
		return m->cc;
	if (strcasecmp(field, "Message-ID") == 0)
		return m->message_id;
	return IMAP_NOT_STORED;
}

static bool
imap_match_get_header(const struct imap_match_msg *m, const char **h_r,
		      size_t *n_r)
{
	if (m->have_text) {
		*h_r = m->text;
		*n_r = imap_match_header_len(m->text, m->text_len);
		return true;
	}
	if (m->have_header) {
		*h_r = m->header;
		*n_r = m->header_len;
		return true;
	}
	return false;
}

static int
imap_match_header(struct imap_match_ctx *c, const struct imap_search_key *k,
		  const struct imap_match_msg *m)
{
	const char *h, *name, *value;
	size_t hn, pos = 0, name_len, value_len, flen = strlen(k->field);

	if (!imap_match_get_header(m, &h, &hn)) {
		const char *v = imap_match_stored(m, k->field);

		if (v == IMAP_NOT_STORED)
			return IMAP_MATCH_NEED_HEADER;
		if (!m->have_data)
			return IMAP_MATCH_NEED_DATA;
		/* The store keeps an empty value as NULL: whether the field
		   is there ("" = has the field) is in the header. */
		if (v == NULL && k->len == 0)
			return IMAP_MATCH_NEED_HEADER;
		return v != NULL && imap_match_value(c, v, strlen(v), k);
	}
	/* Every occurrence of the field counts. */
	while (imap_match_next_field(h, hn, &pos, &name, &name_len, &value,
				     &value_len))
		if (name_len == flen && strncasecmp(name, k->field, flen) == 0 &&
		    imap_match_value(c, value, value_len, k))
			return IMAP_MATCH_YES;
	return IMAP_MATCH_NO;
}

/* ---- the decoded text of a message ---- */

/* Append the header h[0..n) as "Name: decoded value" lines. */
static void
imap_match_header_text(struct imap_match_ctx *c, const char *h, size_t n,
		       struct buf *out)
{
	const char *name, *value;
	size_t pos = 0, name_len, value_len;

	while (imap_match_next_field(h, n, &pos, &name, &name_len, &value,
				     &value_len)) {
		imap_match_decode_value(c, value, value_len, &c->dec);
		buf_append(out, name, name_len);
		buf_append(out, ": ", 2);
		buf_append(out, buf_rptr(&c->dec), buf_len(&c->dec));
		buf_append(out, "\n", 1);
	}
}

struct imap_part_walk {
	struct imap_match_ctx *c;
	struct buf *out;
	unsigned parts;
};

static void imap_match_part(struct imap_part_walk *w, const char *p, size_t n,
			    bool digest_child, bool with_header,
			    unsigned depth);

/* Is p[i..n) a line "--boundary" (followed by "--", WSP or the line end)?
   Sets *close_r for the close delimiter (RFC 2046 5.1.1). */
static bool
imap_match_is_delim(const char *p, size_t n, size_t i, const char *b,
		    size_t blen, bool *close_r)
{
	if (n - i < blen + 2 || p[i] != '-' || p[i + 1] != '-' ||
	    memcmp(p + i + 2, b, blen) != 0)
		return false;
	i += blen + 2;
	*close_r = n - i >= 2 && p[i] == '-' && p[i + 1] == '-';
	/* "--b1" is no delimiter of boundary "b1x"; nor is "--b1x" one
	   of "b1". */
	return *close_r || i == n || p[i] == ' ' || p[i] == '\t' ||
	       p[i] == '\r' || p[i] == '\n';
}

/* The body parts of a multipart body p[0..n) with boundary b. */
static void
imap_match_multipart(struct imap_part_walk *w, const char *p, size_t n,
		     const char *b, bool digest, unsigned depth)
{
	size_t i = 0, part = 0;
	bool in_part = false, close;

	while (i < n) {
		const char *lf = memchr(p + i, '\n', n - i);
		size_t next = lf != NULL ? (size_t)(lf - p) + 1 : n;

		if (imap_match_is_delim(p, n, i, b, strlen(b), &close)) {
			if (in_part) {
				/* The CRLF before the delimiter belongs to
				   it (RFC 2046 5.1.1). */
				size_t end = i;

				if (end > part && p[end - 1] == '\n')
					end--;
				if (end > part && p[end - 1] == '\r')
					end--;
				imap_match_part(w, p + part, end - part,
						digest, false, depth + 1);
			}
			if (close)
				return;
			in_part = true;
			part = next;
		}
		i = next;
	}
	if (in_part) /* no close delimiter: the part runs to the end */
		imap_match_part(w, p + part, n - part, digest, false, depth + 1);
}

/* Decode a text part's body into w->out as UTF-8. */
static void
imap_match_leaf(struct imap_part_walk *w, const char *body, size_t n,
		const char *cte, const char *charset)
{
	struct imap_match_ctx *c = w->c;
	const char *data = body;
	size_t len = n;

	buf_reset(&c->scratch);
	if (cte != NULL && strcasecmp(cte, "base64") == 0) {
		struct mime_b64 st;

		mime_b64_init(&st);
		mime_b64_decode(&st, body, n, &c->scratch);
		mime_b64_finish(&st, &c->scratch);
		data = (const char *)buf_rptr(&c->scratch);
		len = buf_len(&c->scratch);
	} else if (cte != NULL && strcasecmp(cte, "quoted-printable") == 0) {
		struct mime_qp st;

		mime_qp_init(&st);
		mime_qp_decode(&st, body, n, &c->scratch);
		mime_qp_finish(&st, &c->scratch);
		data = (const char *)buf_rptr(&c->scratch);
		len = buf_len(&c->scratch);
	}
	/* UTF-8 and ASCII text is searched as it is (a needle is UTF-8, so
	   invalid bytes can only fail to match); other charsets go through
	   mime_charset_to_utf8() (iconv); an unknown one is taken raw. */
	if (charset == NULL || strcasecmp(charset, "utf-8") == 0 ||
	    strcasecmp(charset, "us-ascii") == 0 ||
	    mime_charset_to_utf8(charset, data, len, w->out) < 0)
		buf_append(w->out, data, len);
	buf_append(w->out, "\n", 1);
}

/* One body part p[0..n) (header and body). */
static void
imap_match_part(struct imap_part_walk *w, const char *p, size_t n,
		bool digest_child, bool with_header, unsigned depth)
{
	size_t hlen = imap_match_header_len(p, n), pos = 0, name_len, value_len;
	const char *name, *value, *type, *subtype, *cte = NULL, *charset = NULL;
	struct mime_content ct;
	bool have_ct = false;

	if (++w->parts > MIME_PARTS_MAX)
		return;
	if (with_header)
		imap_match_header_text(w->c, p, hlen, w->out);
	while (imap_match_next_field(p, hlen, &pos, &name, &name_len, &value,
				     &value_len)) {
		if (name_len == 12 && strncasecmp(name, "Content-Type", 12) == 0 &&
		    !have_ct)
			have_ct = mime_content_parse(value, value_len, true,
						     w->c->arena, &ct) == 0;
		else if (name_len == 25 &&
			 strncasecmp(name, "Content-Transfer-Encoding", 25) == 0 &&
			 cte == NULL)
			cte = mime_header_value(w->c->arena, value, value_len);
	}
	/* RFC 2045 5.2 / RFC 2046 5.1.5: the default types. */
	type = have_ct ? ct.type : digest_child ? "message" : "text";
	subtype = have_ct ? ct.subtype : digest_child ? "rfc822" : "plain";
	if (depth < MIME_DEPTH_MAX && strcmp(type, "multipart") == 0) {
		const struct mime_param *b = mime_content_param(&ct, "boundary");

		if (b != NULL && b->value[0] != '\0' &&
		    strlen(b->value) <= MIME_BOUNDARY_MAX)
			imap_match_multipart(w, p + hlen, n - hlen, b->value,
					     strcmp(subtype, "digest") == 0,
					     depth);
		return;
	}
	if (depth < MIME_DEPTH_MAX && strcmp(type, "message") == 0 &&
	    (strcmp(subtype, "rfc822") == 0 || strcmp(subtype, "global") == 0)) {
		imap_match_part(w, p + hlen, n - hlen, false, true, depth + 1);
		return;
	}
	if (strcmp(type, "text") != 0)
		return; /* attachments are not text (as Dovecot without FTS) */
	if (have_ct) {
		const struct mime_param *cs = mime_content_param(&ct, "charset");

		if (cs != NULL)
			charset = cs->value;
	}
	imap_match_leaf(w, p + hlen, n - hlen, cte, charset);
}

/* Build the folded decoded body (and the header text) of m's message
   once per message. */
static void
imap_match_load_text(struct imap_match_ctx *c, const struct imap_match_msg *m)
{
	struct imap_part_walk w = {c, &c->body, 0};
	size_t hlen;

	if (c->body_ok && c->body_of == m->text && c->body_of_len == m->text_len &&
	    c->body_uid == m->uid)
		return;
	buf_reset(&c->body);
	buf_reset(&c->head);
	arena_reset(c->arena);
	hlen = imap_match_header_len(m->text, m->text_len);
	imap_match_header_text(c, m->text, hlen, &c->head);
	imap_match_part(&w, m->text, m->text_len, false, false, 0);
	if (buf_len(&c->body) > 0)
		imap_fold_mem(c->body.data + c->body.rpos, buf_rptr(&c->body),
			      buf_len(&c->body));
	if (buf_len(&c->head) > 0)
		imap_fold_mem(c->head.data + c->head.rpos, buf_rptr(&c->head),
			      buf_len(&c->head));
	arena_reset(c->arena);
	c->body_of = m->text;
	c->body_of_len = m->text_len;
	c->body_uid = m->uid;
	c->body_ok = true;
}

/* ---- the raw prefilter of BODY and TEXT ----

   Most messages do not hold a searched word, and building the decoded
   text of each (header lines decoded, parts walked, everything folded)
   costs far more than looking at its raw bytes.  For a needle the raw
   bytes can decide, a message whose raw bytes do not hold it
   (ignoring ASCII case) and that has nothing decoding could turn into
   it does not match; the decoded text is built only for the others, so
   the answers are those of the full path. */

/* Can the raw bytes rule out the folded needle n[0..len)?  Only ASCII
   without WSP, ':' or controls: then a match in the decoded text lies
   within one piece that decoding copies unchanged (no needle spans the
   "Name: " of a header line, a header fold, a part boundary or a line
   end), ASCII case folding is all the folding that applies (non-ASCII
   bytes fold to non-ASCII, imap_fold2), and the replacement character
   for bad UTF-8 never forms ASCII. */
static bool
imap_match_raw_needle(const char *n, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)n[i] <= ' ' || (unsigned char)n[i] >= 0x7f ||
		    n[i] == ':')
			return false;
	return len > 0;
}

static unsigned char
imap_lower(unsigned char ch)
{
	return (unsigned)(ch - 'A') < 26u ? ch + 32 : ch;
}

/* The next occurrence of byte ch (either ASCII case) in p[0..n), NULL
   if none.  lo and up cache where the last scans for each case stopped
   (NULL before the first call; reset by the caller with p). */
static const char *
imap_match_ci_chr(const char *p, const char *end, unsigned char ch,
		  const char **lo, const char **up)
{
	unsigned char u = (unsigned)(ch - 'a') < 26u ? ch - 32 : ch;

	if (*lo != NULL && *lo < p)
		*lo = NULL;
	if (*lo == NULL && p < end)
		*lo = memchr(p, ch, (size_t)(end - p));
	if (*lo == NULL)
		*lo = end;
	if (u == ch)
		return *lo < end ? *lo : NULL;
	if (*up != NULL && *up < p)
		*up = NULL;
	if (*up == NULL && p < end)
		*up = memchr(p, u, (size_t)(end - p));
	if (*up == NULL)
		*up = end;
	if (*lo < *up)
		return *lo;
	return *up < end ? *up : NULL;
}

/* Does hay[0..n) hold the lower-case ASCII needle[0..len) (len > 0),
   ignoring ASCII case?  Scans for the needle's first byte that is not a
   letter (one case to look for), else for its first byte. */
static bool
imap_match_ci_find(const char *hay, size_t n, const char *needle, size_t len)
{
	const char *end = hay + n, *p = hay, *lo = NULL, *up = NULL, *hit;
	size_t at = 0, i;

	if (n < len)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned)(needle[i] - 'a') >= 26u) {
			at = i;
			break;
		}
	p = hay + at;
	end = hay + n - (len - at - 1);
	while ((hit = imap_match_ci_chr(p, end, (unsigned char)needle[at],
					&lo, &up)) != NULL) {
		const char *s = hit - at;

		for (i = 0; i < len; i++)
			if (imap_lower((unsigned char)s[i]) !=
			    (unsigned char)needle[i])
				break;
		if (i == len)
			return true;
		p = hit + 1;
	}
	return false;
}

/* Is every "charset" in t[0..n) (any case) followed by [WSP] "=" [WSP]
   and utf-8 or us-ascii, optionally quoted, then a byte that ends the
   value?  Those two are searched as they are (imap_match_leaf); any
   other charset may be converted. */
static bool
imap_match_raw_charsets_ok(const char *t, size_t n)
{
	static const char *const ok[] = {"utf-8", "us-ascii"};
	size_t pos = 0;

	while (pos < n) {
		const char *c = NULL, *lo = NULL, *up = NULL, *hit;
		size_t i, k;
		bool q = false, good = false;

		/* find "charset" from pos */
		while ((hit = imap_match_ci_chr(t + pos, t + n, 'c', &lo,
						&up)) != NULL) {
			if ((size_t)(t + n - hit) >= 7 &&
			    strncasecmp(hit, "charset", 7) == 0) {
				c = hit;
				break;
			}
			pos = (size_t)(hit - t) + 1;
		}
		if (c == NULL)
			return true;
		i = (size_t)(c - t) + 7;
		while (i < n && (t[i] == ' ' || t[i] == '\t'))
			i++;
		if (i < n && t[i] == '=') {
			i++;
			while (i < n && (t[i] == ' ' || t[i] == '\t'))
				i++;
			if (i < n && t[i] == '"')
				q = true, i++;
			for (k = 0; k < 2 && !good; k++) {
				size_t l = strlen(ok[k]);

				good = n - i > l && strncasecmp(t + i, ok[k], l) == 0 &&
				       (q ? t[i + l] == '"'
					  : strchr(" \t\r\n;", t[i + l]) != NULL);
			}
		}
		if (!good)
			return false;
		pos = i;
	}
	return true;
}

/* Could decoding make text that is not in the raw bytes t[0..n)?
   Base64 and quoted-printable bodies, RFC 2047 words, charset
   conversion, and the bytes mime_header_unfold() drops (NUL, a CR that
   is not before LF; a CRLF fold keeps its WSP).  Any mention counts,
   wherever it is: a false alarm only costs the full path. */
static bool
imap_match_raw_transforms(const char *t, size_t n)
{
	const char *p;
	size_t from = 0;

	if (memchr(t, '\0', n) != NULL ||
	    imap_match_ci_find(t, n, "base64", 6) ||
	    imap_match_ci_find(t, n, "quoted-printable", 16))
		return true;
	while ((p = memchr(t + from, '\r', n - from)) != NULL) {
		if ((size_t)(p - t) + 1 >= n || p[1] != '\n')
			return true;
		from = (size_t)(p - t) + 2;
	}
	for (from = 0; (p = memchr(t + from, '=', n - from)) != NULL;
	     from = (size_t)(p - t) + 1)
		if ((size_t)(p - t) + 1 < n && p[1] == '?')
			return true;
	return !imap_match_raw_charsets_ok(t, n);
}

/* Where decoding can act in the message t[0..n): its header alone when
   it is one text part (every Content-Type field says "text/", or there
   is none: RFC 2045 5.2), then its body is copied as it is or decoded
   by what the header says; else the whole message (part headers may be
   anywhere). */
static size_t
imap_match_raw_scope(const char *t, size_t n)
{
	const char *name, *value;
	size_t hlen = imap_match_header_len(t, n), pos = 0, name_len, value_len;

	while (imap_match_next_field(t, hlen, &pos, &name, &name_len, &value,
				     &value_len)) {
		if (name_len != 12 || strncasecmp(name, "Content-Type", 12) != 0)
			continue;
		while (value_len > 0 && (*value == ' ' || *value == '\t')) {
			value++;
			value_len--;
		}
		if (value_len < 5 || strncasecmp(value, "text/", 5) != 0)
			return n;
	}
	return hlen;
}

/* Does the raw message m rule out the folded needle k (see above)? */
static bool
imap_match_raw_no(const struct imap_search_key *k,
		  const struct imap_match_msg *m)
{
	return imap_match_raw_needle(k->str, k->len) &&
	       !imap_match_ci_find(m->text, m->text_len, k->str, k->len) &&
	       !imap_match_raw_transforms(m->text,
					  imap_match_raw_scope(m->text,
							       m->text_len));
}

static bool
imap_match_in(const struct buf *b, const struct imap_search_key *k)
{
	return k->len == 0 ||
	       memmem(buf_rptr(b), buf_len(b), k->str, k->len) != NULL;
}

/* ---- dates ---- */

static int64_t
imap_match_floor_day(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

static bool
imap_match_day_cmp(int64_t day, const struct imap_search_key *k)
{
	/* RFC 9051 6.4.4: BEFORE = earlier than the date, ON = within it,
	   SINCE = within or later. */
	if (k->cmp < 0)
		return day < k->day;
	if (k->cmp == 0)
		return day == k->day;
	return day >= k->day;
}

int
imap_match_sent_day(const char *v, size_t n, int64_t *day_r)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int64_t t;
	size_t i = 0;
	int day = 0, month = 0, year = 0, digits = 0;

	if (mime_date_parse(v, n, &t) < 0)
		return -1;
	*day_r = imap_match_floor_day(t);
	/* The date as written: [day-name ","] day month year (RFC 5322
	   3.3).  Forms this does not read (comments first) fall back to
	   the UTC date. */
	while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' ||
			 v[i] == '\n'))
		i++;
	if (i + 3 < n && ((v[i] | 0x20) >= 'a' && (v[i] | 0x20) <= 'z')) {
		while (i < n && v[i] != ',' && v[i] != ' ')
			i++;
		while (i < n && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
			i++;
	}
	while (i < n && v[i] >= '0' && v[i] <= '9' && digits < 3)
		day = day * 10 + (v[i++] - '0'), digits++;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (digits > 0 && digits < 3 && i + 3 <= n) {
		size_t k;

		for (k = 0; k < 12; k++)
			if (strncasecmp(v + i, months + 3 * k, 3) == 0)
				month = (int)k + 1;
		i += 3;
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		for (digits = 0; i < n && v[i] >= '0' && v[i] <= '9' && digits < 5;
		     digits++)
			year = year * 10 + (v[i++] - '0');
		/* RFC 5322 4.3: 2-digit years 00-49 are 20xx, else 19xx;
		   3-digit years add 1900. */
		if (digits == 2)
			year += year < 50 ? 2000 : 1900;
		else if (digits == 3)
			year += 1900;
		if (month > 0 && day >= 1 && day <= 31 && digits >= 2 &&
		    digits <= 4)
			*day_r = imap_search_days(year, month, day);
	}
	return 0;
}

/* SENT*: the date of the Date field in its own zone. */
static int
imap_match_sent(const struct imap_search_key *k, const struct imap_match_msg *m)
{
	const char *h, *name, *value;
	size_t hn, pos = 0, name_len, value_len;
	int64_t day;

	if (!imap_match_get_header(m, &h, &hn)) {
		int64_t lo, hi;

		if (!m->have_data)
			return IMAP_MATCH_NEED_DATA;
		/* The stored UTC time decides unless a zone offset (at most
		   +-99:59, RFC 5322 3.3) could move the day across k->day. */
		if (m->date == 0)
			return IMAP_MATCH_NO;
		lo = imap_match_floor_day(m->date) - 5;
		hi = lo + 10;
		if (imap_match_day_cmp(lo, k) == imap_match_day_cmp(hi, k) &&
		    (k->cmp != 0 || k->day < lo || k->day > hi))
			return imap_match_day_cmp(lo, k);
		return IMAP_MATCH_NEED_HEADER;
	}
	while (imap_match_next_field(h, hn, &pos, &name, &name_len, &value,
				     &value_len))
		if (name_len == 4 && strncasecmp(name, "Date", 4) == 0)
			return imap_match_sent_day(value, value_len, &day) == 0 &&
			       imap_match_day_cmp(day, k);
	return IMAP_MATCH_NO; /* no valid Date: no SENT* key matches */
}

static int
imap_match_date(struct imap_match_ctx *c, const struct imap_search_key *k,
		const struct imap_match_msg *m)
{
	if (!k->sent) {
		int64_t t;
		long off = 0;

		if (!m->have_data)
			return IMAP_MATCH_NEED_DATA;
		t = m->internaldate;
		if (!c->internal_utc) {
			struct tm tm;
			time_t tt = (time_t)t;

			if (localtime_r(&tt, &tm) != NULL)
				off = tm.tm_gmtoff;
		}
		return imap_match_day_cmp(imap_match_floor_day(t + off), k);
	}
	return imap_match_sent(k, m);
}

/* ---- flags ---- */

static bool
imap_match_keyword(const char *list, const char *kw, size_t n)
{
	const char *p = list;

	if (list == NULL || n == 0)
		return false;
	while (*p != '\0') {
		const char *e = strchr(p, ' ');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);

		if (len == n && strncasecmp(p, kw, n) == 0)
			return true;
		if (e == NULL)
			break;
		p = e + 1;
	}
	return false;
}

static bool
imap_match_flag(const struct imap_search_key *k, const struct imap_match_msg *m)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} sys[] = {{"\\Seen", STORE_FLAG_SEEN},
		   {"\\Answered", STORE_FLAG_ANSWERED},
		   {"\\Flagged", STORE_FLAG_FLAGGED},
		   {"\\Deleted", STORE_FLAG_DELETED},
		   {"\\Draft", STORE_FLAG_DRAFT}};
	size_t i;

	if (k->str[0] != '\\')
		return imap_match_keyword(m->keywords, k->str, k->len);
	if (strcasecmp(k->str, "\\Recent") == 0)
		return m->recent;
	for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		if (strcasecmp(k->str, sys[i].name) == 0)
			return (m->flags & sys[i].bit) != 0;
	return false; /* no other system flag exists */
}

/* ---- the program ---- */

unsigned
imap_match_needs(const struct imap_search_key *k)
{
	unsigned r = 0;
	const struct imap_search_key *ch;

	switch (k->op) {
	case IMAP_SK_AND:
	case IMAP_SK_OR:
	case IMAP_SK_NOT:
		for (ch = k->child; ch != NULL; ch = ch->next)
			r |= imap_match_needs(ch);
		return r;
	case IMAP_SK_HEADER:
		return IMAP_MATCH_IN_DATA | IMAP_MATCH_IN_HEADER;
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		return IMAP_MATCH_IN_TEXT;
	case IMAP_SK_DATE:
		return k->sent ? IMAP_MATCH_IN_DATA | IMAP_MATCH_IN_HEADER
			       : IMAP_MATCH_IN_DATA;
	case IMAP_SK_SIZE:
	case IMAP_SK_OLDER:
	case IMAP_SK_YOUNGER:
		return IMAP_MATCH_IN_DATA;
	case IMAP_SK_MODSEQ:
		return IMAP_MATCH_IN_MODSEQ;
	default:
		return 0;
	}
}

void
imap_match_ctx_init(struct imap_match_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->now = (int64_t)time(NULL);
	buf_init(&c->scratch, 0);
	buf_init(&c->fold, 0);
	buf_init(&c->body, 0);
	buf_init(&c->head, 0);
	buf_init(&c->dec, 0);
	c->arena = arena_new("imap_match", 4096);
}

void
imap_match_ctx_deinit(struct imap_match_ctx *c)
{
	buf_deinit(&c->scratch);
	buf_deinit(&c->fold);
	buf_deinit(&c->body);
	buf_deinit(&c->head);
	buf_deinit(&c->dec);
	arena_free(&c->arena);
}

/* A resolved set holding the UIDs saved[0..n) (ascending). */
static void
imap_match_saved_set(struct imap_seqset *set, struct arena *a,
		     const uint32_t *saved, size_t n)
{
	size_t i;

	set->r = arena_alloc(a, (n > 0 ? n : 1) * sizeof(*set->r));
	set->n = 0;
	set->saved = false;
	for (i = 0; i < n; i++) {
		if (set->n > 0 && (saved[i] == set->r[set->n - 1].hi ||
				   saved[i] == set->r[set->n - 1].hi + 1)) {
			set->r[set->n - 1].hi = saved[i];
			continue;
		}
		set->r[set->n].lo = set->r[set->n].hi = saved[i];
		set->n++;
	}
}

void
imap_match_prepare(struct imap_search_key *k, struct arena *a, uint32_t n_msgs,
		   uint32_t max_uid, const uint32_t *saved, size_t n_saved)
{
	struct imap_seqset out;

	for (; k != NULL; k = k->next) {
		switch (k->op) {
		case IMAP_SK_AND:
		case IMAP_SK_OR:
		case IMAP_SK_NOT:
			imap_match_prepare(k->child, a, n_msgs, max_uid, saved,
					   n_saved);
			break;
		case IMAP_SK_SEQSET:
		case IMAP_SK_UID:
			if (k->set.saved) {
				/* RFC 5182 2.1: "$" is the saved UIDs, for
				   message numbers too. */
				imap_match_saved_set(&k->set, a, saved, n_saved);
				k->op = IMAP_SK_UID;
				break;
			}
			imap_seqset_resolve(&k->set,
					    k->op == IMAP_SK_UID ? max_uid : n_msgs,
					    a, &out);
			k->set = out;
			break;
		case IMAP_SK_HEADER:
		case IMAP_SK_BODY:
		case IMAP_SK_TEXT: {
			char *f = arena_alloc(a, k->len + 1);

			imap_fold_mem((unsigned char *)f,
				      (const unsigned char *)k->str, k->len);
			k->str = f;
			break;
		}
		default:
			break;
		}
	}
}

/* AND of the siblings from k on (three-valued: NO wins, then the most
   expensive NEED). */
static int
imap_match_all(struct imap_match_ctx *c, const struct imap_search_key *k,
	       const struct imap_match_msg *m)
{
	int r = IMAP_MATCH_YES;

	for (; k != NULL; k = k->next) {
		int x = imap_match(c, k, m);

		if (x == IMAP_MATCH_NO)
			return x;
		if (x < r)
			r = x;
	}
	return r;
}

int
imap_match(struct imap_match_ctx *c, const struct imap_search_key *k,
	   const struct imap_match_msg *m)
{
	int a, b;

	switch (k->op) {
	case IMAP_SK_ALL:
		return IMAP_MATCH_YES;
	case IMAP_SK_AND:
		return imap_match_all(c, k->child, m);
	case IMAP_SK_OR:
		a = imap_match(c, k->child, m);
		if (a == IMAP_MATCH_YES)
			return a;
		b = imap_match(c, k->child->next, m);
		if (b == IMAP_MATCH_YES || a == IMAP_MATCH_NO)
			return b;
		return b == IMAP_MATCH_NO || a < b ? a : b;
	case IMAP_SK_NOT:
		a = imap_match(c, k->child, m);
		return a < 0 ? a : !a;
	case IMAP_SK_SEQSET:
		return imap_seqset_contains(&k->set, m->seq);
	case IMAP_SK_UID:
		return imap_seqset_contains(&k->set, m->uid);
	case IMAP_SK_FLAG:
		return imap_match_flag(k, m);
	case IMAP_SK_HEADER:
		return imap_match_header(c, k, m);
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		if (!m->have_text)
			return IMAP_MATCH_NEED_TEXT;
		if (k->len == 0)
			return IMAP_MATCH_YES;
		if (imap_match_raw_no(k, m))
			return IMAP_MATCH_NO;
		imap_match_load_text(c, m);
		return (k->op == IMAP_SK_TEXT && imap_match_in(&c->head, k)) ||
		       imap_match_in(&c->body, k);
	case IMAP_SK_DATE:
		return imap_match_date(c, k, m);
	case IMAP_SK_SIZE:
		if (!m->have_data)
			return IMAP_MATCH_NEED_DATA;
		return k->cmp > 0 ? m->size > k->num : m->size < k->num;
	case IMAP_SK_MODSEQ:
		return m->modseq >= k->num;
	case IMAP_SK_OLDER:
	case IMAP_SK_YOUNGER: {
		/* RFC 5032 2: OLDER = internal date <= now - interval,
		   YOUNGER = internal date >= now - interval. */
		int64_t target = c->now - (int64_t)(k->num > (uint64_t)INT64_MAX / 2
							 ? (uint64_t)INT64_MAX / 2
							 : k->num);

		if (!m->have_data)
			return IMAP_MATCH_NEED_DATA;
		return k->op == IMAP_SK_OLDER ? m->internaldate <= target
					      : m->internaldate >= target;
	}
	}
	return IMAP_MATCH_NO;
}

/* imap_sort.c: RFC 5256 SORT, RFC 5957 DISPLAYFROM/DISPLAYTO, base subject (RFC 5256 2.1). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_sort.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "imap/imap_match.h"
#include "mime/mime_addr.h"
#include "mime/mime_decode.h"
#include "xalloc.h"

/* subj-blob = "[" *BLOBCHAR "]" *WSP at s[i..n); returns its end or 0.
   BLOBCHAR is any byte but "[" and "]" (RFC 5256 5). */
static size_t
imap_sort_blob(const char *s, size_t i, size_t n)
{
	if (i >= n || s[i] != '[')
		return 0;
	for (i++; i < n && s[i] != ']'; i++)
		if (s[i] == '[')
			return 0;
	if (i >= n)
		return 0;
	for (i++; i < n && s[i] == ' '; i++)
		;
	return i;
}

/* subj-leader = (*subj-blob subj-refwd) / WSP at s[i..n); subj-refwd =
   ("re" / ("fw" ["d"])) *WSP [subj-blob] ":".  Returns its end or 0;
   *refwd_r is set when a subj-refwd matched. */
static size_t
imap_sort_leader(const char *s, size_t i, size_t n, bool *refwd_r)
{
	size_t j, b;

	if (i < n && s[i] == ' ')
		return i + 1;
	while ((b = imap_sort_blob(s, i, n)) != 0)
		i = b;
	if (n - i >= 2 && strncasecmp(s + i, "re", 2) == 0)
		j = i + 2;
	else if (n - i >= 2 && strncasecmp(s + i, "fw", 2) == 0)
		j = i + 2 + (n - i >= 3 && (s[i + 2] | 0x20) == 'd');
	else
		return 0;
	while (j < n && s[j] == ' ')
		j++;
	if ((b = imap_sort_blob(s, j, n)) != 0)
		j = b;
	if (j >= n || s[j] != ':')
		return 0;
	*refwd_r = true;
	return j + 1;
}

bool
imap_sort_base_subject(const char *s, size_t n, struct buf *out)
{
	struct buf dec;
	char *t;
	size_t i, len = 0, start = 0, end, b;
	bool reply = false, changed;

	/* (1) decode, tabs and line ends to spaces, runs to one space */
	buf_init(&dec, 0);
	mime_2047_decode(s, n, &dec);
	t = (char *)buf_rptr(&dec);
	for (i = 0; i < buf_len(&dec); i++) {
		char ch = t[i];

		if (ch == '\t' || ch == '\r' || ch == '\n')
			ch = ' ';
		if (ch == ' ' && len > 0 && t[len - 1] == ' ')
			continue;
		t[len++] = ch;
	}
	end = len;
	for (;;) {
		/* (2) subj-trailer = "(fwd)" / WSP, repeatedly */
		for (;;) {
			if (end > start && t[end - 1] == ' ') {
				end--;
			} else if (end - start >= 5 &&
				   strncasecmp(t + end - 5, "(fwd)", 5) == 0) {
				end -= 5;
				reply = true;
			} else {
				break;
			}
		}
		/* (3)-(5) */
		do {
			changed = false;
			while ((b = imap_sort_leader(t, start, end, &reply)) != 0) {
				start = b;
				changed = true;
			}
			b = imap_sort_blob(t, start, end);
			if (b != 0 && b < end) {
				start = b;
				changed = true;
			}
		} while (changed);
		/* (6) "[fwd:" ... "]" */
		if (end - start >= 6 && strncasecmp(t + start, "[fwd:", 5) == 0 &&
		    t[end - 1] == ']') {
			start += 5;
			end--;
			reply = true;
			continue;
		}
		break;
	}
	buf_append(out, t + start, end - start);
	buf_deinit(&dec);
	return reply;
}

/* ---- sorting ---- */

union imap_sort_val {
	int64_t num;
	const char *str;
};

struct imap_sort_ctx {
	const struct imap_sort_crit *crit;
	size_t ncrit;
	const struct imap_sort_msg *m;
	const union imap_sort_val *val; /* val[i * ncrit + k] */
};

static bool
imap_sort_is_str(enum imap_sort_key key)
{
	return key != IMAP_SORT_ARRIVAL && key != IMAP_SORT_DATE &&
	       key != IMAP_SORT_SIZE;
}

/* ASCII upper-cased copy (i;ascii-casemap, RFC 4790 9.2). */
static char *
imap_sort_upper(struct arena *a, const char *s, size_t n)
{
	char *r = arena_strndup(a, s, n);
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i] >= 'a' && r[i] <= 'z')
			r[i] = (char)(r[i] - 32);
	return r;
}

/* The sort string of an address field: the first address's mailbox, or
   for DISPLAY* its decoded display name or else its addr-spec. */
static const char *
imap_sort_addr(struct arena *a, const char *v, bool display, struct buf *tmp)
{
	struct mime_addr *list;
	size_t n, i;

	if (v == NULL)
		return "";
	n = mime_addr_parse(v, strlen(v), 4, a, &list);
	for (i = 0; i < n; i++)
		if (list[i].host != NULL)
			break;
	if (i == n)
		return "";
	if (!display)
		return imap_sort_upper(a, list[i].mailbox,
				       strlen(list[i].mailbox));
	buf_reset(tmp);
	if (list[i].name != NULL)
		mime_2047_decode(list[i].name, strlen(list[i].name), tmp);
	/* RFC 5957 3: no (or an empty) display name: the addr-spec. */
	if (buf_len(tmp) == 0) {
		buf_append_str(tmp, list[i].mailbox);
		buf_append(tmp, "@", 1);
		buf_append_str(tmp, list[i].host);
	}
	{
		struct buf f;
		char *r;

		buf_init(&f, 0);
		imap_match_fold((const char *)buf_rptr(tmp), buf_len(tmp), &f);
		r = imap_sort_upper(a, (const char *)buf_rptr(&f), buf_len(&f));
		buf_deinit(&f);
		return r;
	}
}

static int
imap_sort_cmp(const void *pa, const void *pb, void *arg)
{
	const struct imap_sort_ctx *c = arg;
	size_t ia = *(const size_t *)pa, ib = *(const size_t *)pb, k;

	for (k = 0; k < c->ncrit; k++) {
		const union imap_sort_val *a = &c->val[ia * c->ncrit + k];
		const union imap_sort_val *b = &c->val[ib * c->ncrit + k];
		int r;

		if (imap_sort_is_str(c->crit[k].key))
			r = strcmp(a->str, b->str);
		else
			r = a->num < b->num ? -1 : a->num > b->num;
		if (r != 0)
			return c->crit[k].reverse ? -r : r;
	}
	return c->m[ia].seq < c->m[ib].seq ? -1 : c->m[ia].seq > c->m[ib].seq;
}

void
imap_sort_msgs(struct imap_sort_msg *m, size_t n,
	       const struct imap_sort_crit *crit, size_t ncrit)
{
	struct arena *a;
	union imap_sort_val *val;
	struct imap_sort_msg *copy;
	size_t *order, i, k;
	struct buf tmp;
	struct imap_sort_ctx c;

	if (n < 2)
		return;
	a = arena_new("imap_sort", 64 * 1024);
	buf_init(&tmp, 0);
	val = xcalloc(n * (ncrit > 0 ? ncrit : 1), sizeof(*val));
	order = xcalloc(n, sizeof(*order));
	for (i = 0; i < n; i++) {
		order[i] = i;
		for (k = 0; k < ncrit; k++) {
			union imap_sort_val *v = &val[i * ncrit + k];
			const struct imap_sort_msg *x = &m[i];

			switch (crit[k].key) {
			case IMAP_SORT_ARRIVAL:
				v->num = x->internaldate;
				break;
			case IMAP_SORT_DATE:
				/* RFC 5256 2.2 */
				v->num = x->date != 0 ? x->date : x->internaldate;
				break;
			case IMAP_SORT_SIZE:
				v->num = (int64_t)x->size;
				break;
			case IMAP_SORT_SUBJECT:
				buf_reset(&tmp);
				if (x->subject != NULL)
					imap_sort_base_subject(x->subject,
							       strlen(x->subject),
							       &tmp);
				v->str = imap_sort_upper(
				    a, (const char *)buf_rptr(&tmp), buf_len(&tmp));
				break;
			case IMAP_SORT_FROM:
			case IMAP_SORT_DISPLAYFROM:
				v->str = imap_sort_addr(
				    a, x->from, crit[k].key == IMAP_SORT_DISPLAYFROM,
				    &tmp);
				break;
			case IMAP_SORT_TO:
			case IMAP_SORT_DISPLAYTO:
				v->str = imap_sort_addr(
				    a, x->to, crit[k].key == IMAP_SORT_DISPLAYTO, &tmp);
				break;
			case IMAP_SORT_CC:
				v->str = imap_sort_addr(a, x->cc, false, &tmp);
				break;
			}
		}
	}
	c.crit = crit;
	c.ncrit = ncrit;
	c.m = m;
	c.val = val;
	qsort_r(order, n, sizeof(*order), imap_sort_cmp, &c);
	copy = xcalloc(n, sizeof(*copy));
	memcpy(copy, m, n * sizeof(*m));
	for (i = 0; i < n; i++)
		m[i] = copy[order[i]];
	free(copy);
	free(order);
	free(val);
	buf_deinit(&tmp);
	arena_free(&a);
}

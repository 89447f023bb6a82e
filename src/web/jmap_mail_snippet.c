/* jmap_mail_snippet.c: SearchSnippet/get (RFC 8621 5.1): the subject
   and a piece of the body text of each Email with the search terms of
   the filter marked, as HTML. */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_mail.h"

#include <stdlib.h>
#include <string.h>

#include "imap/imap_match.h"
#include "limits.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "xalloc.h"

/* Characters of context before the first match in a preview. */
#define JMAP_SNIPPET_LEAD 20

/* The search terms of filter f: the values of text, body and subject
   conditions not under NOT, folded, into terms. */
static void
jmap_snippet_terms(json_t *f, json_t *terms)
{
	static const char *const keys[] = {"text", "body", "subject"};
	json_t *c;
	size_t i;

	if (!json_is_object(f))
		return;
	if (json_is_string(json_object_get(f, "operator"))) {
		if (strcmp(json_string_value(json_object_get(f, "operator")),
			   "NOT") == 0)
			return;
		json_array_foreach(json_object_get(f, "conditions"), i, c)
		    jmap_snippet_terms(c, terms);
		return;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = json_string_value(json_object_get(f, keys[i]));
		struct buf b;

		if (v == NULL || *v == '\0')
			continue;
		buf_init(&b, 0);
		imap_match_fold(v, strlen(v), &b);
		json_array_append_new(
		    terms, json_stringn((const char *)buf_rptr(&b), buf_len(&b)));
		buf_deinit(&b);
	}
}

/* Offset and length of the first (leftmost, then longest) term in the
   folded text f[from..n); false when none. */
static bool
jmap_snippet_next(const char *f, size_t n, size_t from, json_t *terms,
		  size_t *at_r, size_t *len_r)
{
	bool found = false;
	json_t *t;
	size_t i;

	json_array_foreach(terms, i, t) {
		const char *s = json_string_value(t);
		size_t tl = strlen(s);
		const char *hit;

		if (tl == 0 || from >= n)
			continue;
		hit = memmem(f + from, n - from, s, tl);
		if (hit != NULL &&
		    (!found || (size_t)(hit - f) < *at_r ||
		     ((size_t)(hit - f) == *at_r && tl > *len_r))) {
			found = true;
			*at_r = (size_t)(hit - f);
			*len_r = tl;
		}
	}
	return found;
}

static void
jmap_snippet_escape(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '<':
			buf_append(out, "&lt;", 4);
			break;
		case '>':
			buf_append(out, "&gt;", 4);
			break;
		case '&':
			buf_append(out, "&amp;", 5);
			break;
		case '"':
			buf_append(out, "&quot;", 6);
			break;
		case '\'':
			buf_append(out, "&#39;", 5);
			break;
		default:
			buf_append(out, s + i, 1);
		}
	}
}

/* text[from..to) HTML-escaped with every term marked (RFC 8621 5.1:
   <mark></mark>), or JSON null when no term is in text at all. */
static json_t *
jmap_snippet_mark(const char *text, size_t n, json_t *terms, bool preview)
{
	struct buf fold, out;
	size_t at = 0, len = 0, from = 0, pos, end;
	json_t *j;

	buf_init(&fold, 0);
	/* folding keeps every character's length: offsets carry over */
	imap_match_fold(text, n, &fold);
	if (!jmap_snippet_next((const char *)buf_rptr(&fold), n, 0, terms,
			       &at, &len)) {
		buf_deinit(&fold);
		return json_null();
	}
	if (preview) {
		/* a window around the first match, whole characters */
		size_t back = 0;

		from = at;
		while (from > 0 && back < JMAP_SNIPPET_LEAD) {
			from--;
			while (from > 0 && ((unsigned char)text[from] & 0xc0) ==
					       0x80)
				from--;
			back++;
		}
		end = from + jmap_body_chars((const uint8_t *)text + from,
					     n - from, JMAP_PREVIEW_MAX);
	} else {
		end = n;
	}
	buf_init(&out, 0);
	pos = from;
	while (pos < end) {
		if (!jmap_snippet_next((const char *)buf_rptr(&fold), end, pos,
				       terms, &at, &len)) {
			jmap_snippet_escape(&out, text + pos, end - pos);
			break;
		}
		if (at + len > end)
			len = end - at;
		jmap_snippet_escape(&out, text + pos, at - pos);
		buf_append(&out, "<mark>", 6);
		jmap_snippet_escape(&out, text + at, len);
		buf_append(&out, "</mark>", 7);
		pos = at + len;
	}
	j = json_stringn((const char *)buf_rptr(&out), buf_len(&out));
	buf_deinit(&out);
	buf_deinit(&fold);
	return j != NULL ? j : json_null();
}

int
jmap_snippet_get(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		 json_t **error_r)
{
	json_t *ids = json_object_get(args, "emailIds");
	json_t *filter = json_object_get(args, "filter");
	json_t *terms, *list, *nf, *v;
	struct store_jmap_email *e = NULL;
	const char *why = NULL;
	int64_t *rows;
	uint64_t state;
	size_t n = 0, i, j;
	struct buf file, text;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if (!json_is_array(ids) ||
	    (filter != NULL && !json_is_null(filter) &&
	     !json_is_object(filter))) {
		*error_r = jmap_error("invalidArguments",
				      "emailIds must be an array");
		return -1;
	}
	if (json_array_size(ids) > JMAP_OBJECTS_GET_MAX) {
		*error_r = jmap_error("requestTooLarge", NULL);
		return -1;
	}
	rows = xcalloc(json_array_size(ids) + 1, sizeof(*rows));
	json_array_foreach(ids, i, v) rows[i] =
	    jmap_mail_id_parse(json_string_value(v), JMAP_ID_EMAIL);
	if (store_jmap_emails(ctx->store, ctx->account_id, rows,
			      json_array_size(ids), &e, &n, &state,
			      &why) < 0) {
		free(rows);
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	terms = json_array();
	jmap_snippet_terms(filter, terms);
	list = json_array();
	nf = json_array();
	buf_init(&file, 0);
	buf_init(&text, 0);
	json_array_foreach(ids, i, v) {
		json_t *subj = json_null(), *prev = json_null(), *s;
		struct jmap_body b;
		char blob[32];

		for (j = 0; j < n && e[j].id != rows[i]; j++)
			;
		if (j == n) {
			json_array_append(nf, v);
			continue;
		}
		if (json_array_size(terms) > 0 &&
		    jmap_mail_read_file(e[j].blob_path, JMAP_BODY_READ_MAX,
					&file) == 0) {
			size_t hn = imap_match_header_len(
			    (const char *)buf_rptr(&file), buf_len(&file));

			s = jmap_mail_header_get((const char *)buf_rptr(&file),
						 hn, "Subject", "Text", false);
			if (json_is_string(s)) {
				json_decref(subj);
				subj = jmap_snippet_mark(json_string_value(s),
							 json_string_length(s),
							 terms, false);
			}
			json_decref(s);
			snprintf(blob, sizeof(blob), "G%lld",
				 (long long)e[j].id);
			jmap_body_init(&b, buf_rptr(&file), buf_len(&file),
				       blob);
			if (jmap_body_plain(&b, &text) == 0) {
				json_decref(prev);
				prev = jmap_snippet_mark(
				    (const char *)buf_rptr(&text),
				    buf_len(&text), terms, true);
			}
			jmap_body_deinit(&b);
		}
		json_array_append_new(list,
				      json_pack("{s:O, s:o, s:o}", "emailId", v,
						"subject", subj, "preview",
						prev));
	}
	buf_deinit(&file);
	buf_deinit(&text);
	free(rows);
	json_decref(terms);
	store_jmap_emails_free(e, n);
	*result_r = json_pack("{s:O, s:o, s:o}", "accountId",
			      json_object_get(args, "accountId"), "list", list,
			      "notFound", nf);
	return 0;
}

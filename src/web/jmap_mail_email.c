/* jmap_mail_email.c: Email/changes, Email/query, Email/queryChanges and
   Email/set updates and destroys (RFC 8621 4); Email/get and
   Email/parse are in jmap_mail_email_get.c, creation in
   jmap_mail_email_create.c. */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_mail.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap/imap_match.h"
#include "limits.h"
#include "mime/mime_decode.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "xalloc.h"

/* A string id argument list, with "#creation" references resolved. */
static int64_t
jmap_email_ref(struct jmap_ctx *ctx, const char *s)
{
	if (s != NULL && s[0] == '#')
		s = jmap_ctx_created_get(ctx, s + 1);
	return jmap_mail_id_parse(s, JMAP_ID_EMAIL);
}

int
jmap_email_changes(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		   json_t **error_r)
{
	return jmap_mail_changes(ctx, args, STORE_JMAP_EMAIL, JMAP_ID_EMAIL,
				 result_r, error_r);
}

/* ---- Email/query (RFC 8621 4.4) ---- */

struct jmap_email_q {
	struct imap_match_ctx mc; /* scratch for folding */
	struct buf fold, tmp, file;
};

/* Is the folded needle in the 2047-decoded v? */
static bool
jmap_email_q_find(struct jmap_email_q *q, const char *v, size_t n,
		  const char *needle)
{
	struct buf dec;
	bool r;

	if (v == NULL)
		return false;
	buf_init(&dec, 0);
	mime_2047_decode(v, n, &dec);
	buf_reset(&q->fold);
	imap_match_fold(needle, strlen(needle), &q->fold);
	r = imap_match_find((const char *)buf_rptr(&dec), buf_len(&dec),
			    (const char *)buf_rptr(&q->fold), buf_len(&q->fold),
			    &q->tmp);
	buf_deinit(&dec);
	return r;
}

static bool
jmap_email_q_field(struct jmap_email_q *q, const char *v, const char *needle)
{
	return v != NULL && jmap_email_q_find(q, v, strlen(v), needle);
}

struct jmap_email_hmatch {
	struct jmap_email_q *q;
	const char *needle;
	bool found;
};

static void
jmap_email_hmatch_one(const char *v, size_t n, void *arg)
{
	struct jmap_email_hmatch *m = arg;

	if (m->needle == NULL || jmap_email_q_find(m->q, v, n, m->needle))
		m->found = true;
}

/* The decoded text of the message's body parts contains needle (IMAP
   SEARCH BODY's matcher: transfer encodings and charsets decoded, case
   folded). */
static bool
jmap_email_q_body(struct jmap_email_q *q, const struct store_jmap_email *e,
		  const char *needle)
{
	struct imap_search_key k;
	struct imap_match_msg m;

	if (jmap_mail_read_file(e->blob_path, JMAP_BODY_READ_MAX, &q->file) <
	    0)
		return false;
	buf_reset(&q->fold);
	imap_match_fold(needle, strlen(needle), &q->fold);
	memset(&k, 0, sizeof(k));
	k.op = IMAP_SK_BODY;
	k.str = (const char *)buf_rptr(&q->fold);
	k.len = buf_len(&q->fold);
	memset(&m, 0, sizeof(m));
	/* the matcher caches the decoded body by (text, length, uid) */
	m.uid = (uint32_t)e->id;
	m.have_text = true;
	m.text = (const char *)buf_rptr(&q->file);
	m.text_len = buf_len(&q->file);
	return imap_match(&q->mc, &k, &m) == IMAP_MATCH_YES;
}

struct jmap_email_mq {
	struct jmap_ctx *ctx;
	struct jmap_email_q *q;
	const struct store_jmap_email *e;
};

static int jmap_email_match(struct jmap_ctx *ctx, struct jmap_email_q *q,
			    const struct store_jmap_email *e, json_t *f);

static int
jmap_email_match_cb(json_t *cond, void *arg)
{
	struct jmap_email_mq *mq = arg;

	return jmap_email_match(mq->ctx, mq->q, mq->e, cond);
}

/* Does e pass the filter f?  1, 0, or -1 for an unsupported one. */
static int
jmap_email_match(struct jmap_ctx *ctx, struct jmap_email_q *q,
		 const struct store_jmap_email *e, json_t *f)
{
	const char *key;
	json_t *v;
	size_t i;

	struct jmap_email_mq mq = {ctx, q, e};
	int op = jmap_mail_filter_op(f, jmap_email_match_cb, &mq);

	if (op != -2)
		return op;
	json_object_foreach(f, key, v) {
		const char *s = json_string_value(v);
		bool ok;

		if (strcmp(key, "inMailbox") == 0) {
			int64_t id = jmap_mail_id_parse(s, JMAP_ID_MAILBOX);

			for (i = 0, ok = false; i < e->n_mailboxes; i++)
				ok = ok || e->mailboxes[i] == id;
		} else if (strcmp(key, "inMailboxOtherThan") == 0) {
			json_t *x;
			size_t k;

			if (!json_is_array(v))
				return -1;
			for (i = 0, ok = false; i < e->n_mailboxes; i++) {
				bool listed = false;

				json_array_foreach(v, k, x) listed =
				    listed || jmap_mail_id_parse(
						  json_string_value(x),
						  JMAP_ID_MAILBOX) ==
						  e->mailboxes[i];
				ok = ok || !listed;
			}
		} else if (strcmp(key, "before") == 0 ||
			   strcmp(key, "after") == 0) {
			int64_t t;

			if (jmap_mail_utcdate_parse(s, &t) < 0)
				return -1;
			ok = key[0] == 'b' ? e->received < t : e->received >= t;
		} else if (strcmp(key, "minSize") == 0 ||
			   strcmp(key, "maxSize") == 0) {
			if (!json_is_integer(v))
				return -1;
			ok = key[1] == 'i'
				 ? e->size >= (uint64_t)json_integer_value(v)
				 : e->size < (uint64_t)json_integer_value(v);
		} else if (strcmp(key, "hasKeyword") == 0 ||
			   strcmp(key, "notKeyword") == 0) {
			if (s == NULL)
				return -1;
			ok = jmap_mail_has_keyword(e, s) == (key[0] == 'h');
		} else if (strcmp(key, "from") == 0 && s != NULL) {
			ok = jmap_email_q_field(q, e->hdr_from, s);
		} else if (strcmp(key, "to") == 0 && s != NULL) {
			ok = jmap_email_q_field(q, e->hdr_to, s);
		} else if (strcmp(key, "cc") == 0 && s != NULL) {
			ok = jmap_email_q_field(q, e->hdr_cc, s);
		} else if (strcmp(key, "subject") == 0 && s != NULL) {
			ok = jmap_email_q_field(q, e->hdr_subject, s);
		} else if (strcmp(key, "body") == 0 && s != NULL) {
			ok = jmap_email_q_body(q, e, s);
		} else if (strcmp(key, "text") == 0 && s != NULL) {
			ok = jmap_email_q_field(q, e->hdr_from, s) ||
			     jmap_email_q_field(q, e->hdr_to, s) ||
			     jmap_email_q_field(q, e->hdr_cc, s) ||
			     jmap_email_q_field(q, e->hdr_subject, s) ||
			     jmap_email_q_body(q, e, s);
		} else if (strcmp(key, "header") == 0 && json_is_array(v) &&
			   json_array_size(v) >= 1 &&
			   json_array_size(v) <= 2 &&
			   json_is_string(json_array_get(v, 0))) {
			struct jmap_email_hmatch m = {
			    q, json_string_value(json_array_get(v, 1)), false};

			if (jmap_mail_read_header(e->blob_path, &q->file) < 0)
				return 0;
			jmap_mail_header_each(
			    (const char *)buf_rptr(&q->file),
			    buf_len(&q->file),
			    json_string_value(json_array_get(v, 0)),
			    jmap_email_hmatch_one, &m);
			ok = m.found;
		} else {
			return -1;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

struct jmap_email_sortkey {
	const char *prop;
	bool asc;
};

static __thread const struct jmap_email_sortkey *jmap_email_sort_keys;
static __thread size_t jmap_email_n_sort_keys;

static int
jmap_email_strcmp(const char *a, const char *b)
{
	return strcasecmp(a != NULL ? a : "", b != NULL ? b : "");
}

static int
jmap_email_cmp(const void *pa, const void *pb)
{
	const struct store_jmap_email *a = *(const struct store_jmap_email *const *)pa;
	const struct store_jmap_email *b = *(const struct store_jmap_email *const *)pb;
	size_t i;
	int c = 0;

	for (i = 0; i < jmap_email_n_sort_keys; i++) {
		const char *p = jmap_email_sort_keys[i].prop;

		c = 0;
		if (strcmp(p, "receivedAt") == 0)
			c = (a->received > b->received) - (a->received < b->received);
		else if (strcmp(p, "size") == 0)
			c = (a->size > b->size) - (a->size < b->size);
		else if (strcmp(p, "from") == 0)
			c = jmap_email_strcmp(a->hdr_from, b->hdr_from);
		else if (strcmp(p, "subject") == 0)
			c = jmap_email_strcmp(a->hdr_subject, b->hdr_subject);
		if (c != 0)
			return jmap_email_sort_keys[i].asc ? c : -c;
	}
	/* a stable total order: by id, the way the first key goes (as
	   store_jmap_mailbox_emails breaks ties) */
	c = (a->id > b->id) - (a->id < b->id);
	return jmap_email_n_sort_keys > 0 && !jmap_email_sort_keys[0].asc ? -c
									 : c;
}

/* An Email of a sorted result: its Thread and its rank. */
struct jmap_email_rank {
	int64_t thread;
	size_t rank;
};

static int
jmap_email_rank_cmp(const void *pa, const void *pb)
{
	const struct jmap_email_rank *a = pa, *b = pb;

	if (a->thread != b->thread)
		return a->thread < b->thread ? -1 : 1;
	return (a->rank > b->rank) - (a->rank < b->rank);
}

/* RFC 8621 4.4.3 collapseThreads over the sorted hits[0..k): only the
   first Email of each Thread stays.  Returns the new count. */
static size_t
jmap_email_collapse(struct store_jmap_email **hits, size_t k)
{
	struct jmap_email_rank *r = xcalloc(k + 1, sizeof(*r));
	bool *keep = xcalloc(k + 1, sizeof(*keep));
	size_t i, w = 0;

	for (i = 0; i < k; i++) {
		/* one not yet threaded is a Thread of its own */
		r[i].thread = hits[i]->thread_id != 0 ? hits[i]->thread_id
						      : -hits[i]->id;
		r[i].rank = i;
	}
	qsort(r, k, sizeof(*r), jmap_email_rank_cmp);
	for (i = 0; i < k; i++)
		if (i == 0 || r[i].thread != r[i - 1].thread)
			keep[r[i].rank] = true;
	for (i = 0; i < k; i++)
		if (keep[i])
			hits[w++] = hits[i];
	free(r);
	free(keep);
	return w;
}

/* The fast way (store_jmap_mailbox_emails, one index): the filter is
   exactly {"inMailbox": id} and the sort receivedAt alone.  1 with the
   result's ids, 0 when the query is not of that shape, -1 with
   *error_r. */
static int
jmap_email_query_mailbox(struct jmap_ctx *ctx, json_t *filter,
			 const struct jmap_email_sortkey *keys, size_t nkeys,
			 bool collapse, int64_t **ids_r, size_t *n_r,
			 uint64_t *state_r, json_t **error_r)
{
	json_t *in = json_object_get(filter, "inMailbox");
	struct store_jmap_ref *l = NULL;
	const char *why = NULL;
	size_t n = 0, i;

	if (!json_is_object(filter) || json_object_size(filter) != 1 ||
	    !json_is_string(in) || nkeys != 1 ||
	    strcmp(keys[0].prop, "receivedAt") != 0)
		return 0;
	if (store_jmap_mailbox_emails(
		ctx->store, ctx->account_id,
		jmap_mail_id_parse(json_string_value(in), JMAP_ID_MAILBOX),
		keys[0].asc, collapse, &l, &n, state_r, &why) < 0) {
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	*ids_r = xcalloc(n + 1, sizeof(**ids_r));
	for (i = 0; i < n; i++)
		(*ids_r)[i] = l[i].id;
	*n_r = n;
	free(l);
	return 1;
}

/* Any other query: every Email of the account through the filter
   (header fields from the store's columns, bodies through IMAP
   SEARCH's matcher), sorted.  0 with the result's ids, or -1 with
   *error_r. */
static int
jmap_email_query_scan(struct jmap_ctx *ctx, json_t *filter,
		      const struct jmap_email_sortkey *keys, size_t nkeys,
		      bool collapse, int64_t **ids_r, size_t *n_r,
		      uint64_t *state_r, json_t **error_r)
{
	struct store_jmap_email *e = NULL, **hits = NULL;
	struct jmap_email_q q;
	const char *why = NULL;
	size_t n, i, k = 0;
	int rc = -1;

	if (store_jmap_emails(ctx->store, ctx->account_id, NULL, 0, &e, &n,
			      state_r, &why) < 0) {
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	memset(&q, 0, sizeof(q));
	imap_match_ctx_init(&q.mc);
	buf_init(&q.fold, 0);
	buf_init(&q.tmp, 0);
	buf_init(&q.file, 0);
	hits = xcalloc(n + 1, sizeof(*hits));
	for (i = 0; i < n; i++) {
		int r = json_is_object(filter)
			    ? jmap_email_match(ctx, &q, &e[i], filter)
			    : 1;

		if (r < 0) {
			*error_r = jmap_error("unsupportedFilter", NULL);
			goto fail;
		}
		if (r)
			hits[k++] = &e[i];
	}
	jmap_email_sort_keys = keys;
	jmap_email_n_sort_keys = nkeys;
	qsort(hits, k, sizeof(*hits), jmap_email_cmp);
	if (collapse)
		k = jmap_email_collapse(hits, k);
	*ids_r = xcalloc(k + 1, sizeof(**ids_r));
	for (i = 0; i < k; i++)
		(*ids_r)[i] = hits[i]->id;
	*n_r = k;
	rc = 0;
fail:
	free(hits);
	store_jmap_emails_free(e, n);
	imap_match_ctx_deinit(&q.mc);
	buf_deinit(&q.fold);
	buf_deinit(&q.tmp);
	buf_deinit(&q.file);
	return rc;
}

/* The arguments of Email/query and Email/queryChanges that decide the
   result: filter checked, sort keys into keys[8] (*nkeys_r).  0, or -1
   with *error_r. */
static int
jmap_email_query_args(struct jmap_ctx *ctx, json_t *args,
		      struct jmap_email_sortkey *keys, size_t *nkeys_r,
		      json_t **error_r)
{
	json_t *filter = json_object_get(args, "filter");
	json_t *sort = json_object_get(args, "sort");
	json_t *v;
	size_t i, nkeys = 0;

	if ((filter != NULL && !json_is_null(filter) &&
	     !json_is_object(filter)) ||
	    (sort != NULL && !json_is_null(sort) && !json_is_array(sort))) {
		*error_r = jmap_error("invalidArguments", NULL);
		return -1;
	}
	json_array_foreach(sort, i, v) {
		const char *p = json_string_value(json_object_get(v, "property"));

		if (p == NULL || nkeys == 8 ||
		    (strcmp(p, "receivedAt") && strcmp(p, "size") &&
		     strcmp(p, "from") && strcmp(p, "subject"))) {
			*error_r = jmap_error("unsupportedSort", NULL);
			return -1;
		}
		keys[nkeys].prop = p;
		/* RFC 8620 5.5: isAscending defaults to true */
		keys[nkeys++].asc =
		    !json_is_false(json_object_get(v, "isAscending"));
	}
	*nkeys_r = nkeys;
	if (json_is_object(filter)) {
		/* an unsupported filter is an error also when no Email
		   would reach it */
		struct store_jmap_email probe = {0};
		struct jmap_email_q q;
		int r;

		memset(&q, 0, sizeof(q));
		imap_match_ctx_init(&q.mc);
		buf_init(&q.fold, 0);
		buf_init(&q.tmp, 0);
		buf_init(&q.file, 0);
		probe.blob_path = (char *)"";
		r = jmap_email_match(ctx, &q, &probe, filter);
		imap_match_ctx_deinit(&q.mc);
		buf_deinit(&q.fold);
		buf_deinit(&q.tmp);
		buf_deinit(&q.file);
		if (r < 0) {
			*error_r = jmap_error("unsupportedFilter", NULL);
			return -1;
		}
	}
	return 0;
}

/* The whole result of the query in args (threads synced first): ids in
   order, and the state it was computed at.  0, or -1 with *error_r. */
static int
jmap_email_query_run(struct jmap_ctx *ctx, json_t *args, int64_t **ids_r,
		     size_t *n_r, uint64_t *state_r, json_t **error_r)
{
	json_t *filter = json_object_get(args, "filter");
	bool collapse = json_is_true(json_object_get(args, "collapseThreads"));
	struct jmap_email_sortkey keys[8];
	size_t nkeys = 0;
	int r;

	if (jmap_email_query_args(ctx, args, keys, &nkeys, error_r) < 0 ||
	    jmap_mail_threads_sync(ctx, error_r) < 0)
		return -1;
	r = jmap_email_query_mailbox(ctx, filter, keys, nkeys, collapse, ids_r,
				     n_r, state_r, error_r);
	if (r != 0)
		return r < 0 ? -1 : 0;
	return jmap_email_query_scan(ctx, filter, keys, nkeys, collapse, ids_r,
				     n_r, state_r, error_r);
}

int
jmap_email_query(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		 json_t **error_r)
{
	json_t *pos = json_object_get(args, "position");
	json_t *anchor = json_object_get(args, "anchor");
	json_t *off = json_object_get(args, "anchorOffset");
	json_t *lim = json_object_get(args, "limit");
	int64_t *hits = NULL;
	json_t *ids;
	uint64_t state;
	size_t i, total = 0;
	int64_t start, limit = JMAP_QUERY_LIMIT_MAX;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if ((pos != NULL && !json_is_integer(pos)) ||
	    (off != NULL && !json_is_integer(off)) ||
	    (anchor != NULL && !json_is_null(anchor) &&
	     !json_is_string(anchor)) ||
	    (lim != NULL && !json_is_null(lim) &&
	     (!json_is_integer(lim) || json_integer_value(lim) < 0))) {
		*error_r = jmap_error("invalidArguments", NULL);
		return -1;
	}
	if (json_is_integer(lim) && json_integer_value(lim) < limit)
		limit = json_integer_value(lim);
	if (jmap_email_query_run(ctx, args, &hits, &total, &state, error_r) <
	    0)
		return -1;
	start = json_is_integer(pos) ? json_integer_value(pos) : 0;
	if (json_is_string(anchor)) {
		/* RFC 8620 5.5: position is ignored; the anchor's index
		   plus anchorOffset, clamped to 0 */
		int64_t a = jmap_mail_id_parse(json_string_value(anchor),
					       JMAP_ID_EMAIL);

		for (i = 0; i < total && hits[i] != a; i++)
			;
		if (i == total) {
			free(hits);
			*error_r = jmap_error("anchorNotFound", NULL);
			return -1;
		}
		start = (int64_t)i + (json_is_integer(off)
					  ? json_integer_value(off)
					  : 0);
		if (start < 0)
			start = 0;
	} else if (start < 0) {
		start = (int64_t)total + start < 0 ? 0 : (int64_t)total + start;
	}
	if ((size_t)start > total)
		start = (int64_t)total;
	ids = json_array();
	for (i = (size_t)start;
	     i < total && (int64_t)json_array_size(ids) < limit; i++)
		json_array_append_new(ids, jmap_mail_id(JMAP_ID_EMAIL, hits[i]));
	free(hits);
	*result_r = json_pack("{s:O, s:o, s:b, s:I, s:o, s:I}", "accountId",
			      json_object_get(args, "accountId"), "queryState",
			      jmap_mail_state(state), "canCalculateChanges", 1,
			      "position", (json_int_t)start, "ids", ids,
			      "total", (json_int_t)total);
	if (json_is_integer(lim) && json_integer_value(lim) > limit)
		json_object_set_new(*result_r, "limit", json_integer(limit));
	return 0;
}

/* Add id to the sorted-on-demand list (ids, n, cap). */
static void
jmap_email_ids_add(int64_t **ids, size_t *n, size_t *cap, int64_t id)
{
	if (*n == *cap) {
		*cap = *cap < 64 ? 64 : *cap * 2;
		*ids = xrealloc(*ids, *cap * sizeof(**ids));
	}
	(*ids)[(*n)++] = id;
}

static int
jmap_email_id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Every Email that changed (created, updated, destroyed) since `since`,
   and with collapseThreads every Email of a Thread that changed (a new
   Email in a Thread can take the place of the one that stood for it):
   sorted, distinct, in *ids_r (malloc'd).  1, 0 when since cannot be
   worked from (not a state of the account, or too much changed), -1
   with *error_r. */
static int
jmap_email_changed_since(struct jmap_ctx *ctx, uint64_t since, bool collapse,
			 int64_t **ids_r, size_t *n_r, json_t **error_r)
{
	struct store_jmap_changes c[2];
	struct store_jmap_ref *refs = NULL;
	int64_t *ids = NULL, *threads;
	size_t n = 0, cap = 0, n_threads, n_refs = 0, i, k;
	const char *why = NULL;
	uint64_t state;
	int rc = 1;

	memset(c, 0, sizeof(c));
	for (k = 0; k < (collapse ? 2u : 1u) && rc == 1; k++) {
		rc = store_jmap_changes(ctx->store, ctx->account_id,
					k == 0 ? STORE_JMAP_EMAIL
					       : STORE_JMAP_THREAD,
					since, JMAP_QUERY_CHANGES_MAX, &c[k],
					&why);
		if (rc == 1 && c[k].more)
			rc = 0;
	}
	if (rc == 1) {
		for (i = 0; i < c[0].n_created; i++)
			jmap_email_ids_add(&ids, &n, &cap, c[0].created[i]);
		for (i = 0; i < c[0].n_updated; i++)
			jmap_email_ids_add(&ids, &n, &cap, c[0].updated[i]);
		for (i = 0; i < c[0].n_destroyed; i++)
			jmap_email_ids_add(&ids, &n, &cap, c[0].destroyed[i]);
	}
	if (rc == 1 && collapse) {
		n_threads = c[1].n_created + c[1].n_updated;
		threads = xcalloc(n_threads + 1, sizeof(*threads));
		for (i = 0; i < c[1].n_created; i++)
			threads[i] = c[1].created[i];
		for (i = 0; i < c[1].n_updated; i++)
			threads[c[1].n_created + i] = c[1].updated[i];
		if (n_threads > 0 &&
		    store_jmap_thread_emails(ctx->store, ctx->account_id,
					     threads, n_threads, 0, &refs,
					     &n_refs, &state, &why) < 0)
			rc = -1;
		for (i = 0; rc == 1 && i < n_refs; i++)
			jmap_email_ids_add(&ids, &n, &cap, refs[i].id);
		free(refs);
		free(threads);
	}
	store_jmap_changes_free(&c[0]);
	store_jmap_changes_free(&c[1]);
	if (rc < 0) {
		free(ids);
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	if (rc == 0) {
		free(ids);
		return 0;
	}
	if (n > 0)
		qsort(ids, n, sizeof(*ids), jmap_email_id_cmp);
	for (i = k = 0; i < n; i++)
		if (k == 0 || ids[k - 1] != ids[i])
			ids[k++] = ids[i];
	*ids_r = ids;
	*n_r = k;
	return 1;
}

/* RFC 8620 5.6.  The results are computed again (the same way as
   Email/query) and compared through the change log: `removed` lists
   every Email that changed since sinceQueryState (more than were in
   the old results, as 5.6 allows: "MAY return ids for extra Foos in the
   removed list"), `added` those of them in the new results with their
   index.  upToId is ignored (allowed when sort or filter use mutable
   properties; it is an optimisation only). */
int
jmap_email_query_changes(struct jmap_ctx *ctx, json_t *args,
			 json_t **result_r, json_t **error_r)
{
	bool collapse = json_is_true(json_object_get(args, "collapseThreads"));
	int64_t *hits = NULL, *changed = NULL;
	size_t total = 0, n_changed = 0, i;
	uint64_t from, state;
	json_t *removed, *added;
	int rc;

	if (jmap_mail_query_changes_args(ctx, args, &from, error_r) < 0)
		return -1;
	if (jmap_email_query_run(ctx, args, &hits, &total, &state, error_r) <
	    0)
		return -1;
	if (from > state) {
		free(hits);
		*error_r = jmap_error("cannotCalculateChanges",
				      "not a state of this account");
		return -1;
	}
	rc = jmap_email_changed_since(ctx, from, collapse, &changed,
				      &n_changed, error_r);
	if (rc <= 0) {
		free(hits);
		if (rc == 0)
			*error_r = jmap_error("cannotCalculateChanges",
					      "too much changed since");
		return -1;
	}
	removed = json_array();
	added = json_array();
	for (i = 0; i < n_changed; i++)
		json_array_append_new(removed,
				      jmap_mail_id(JMAP_ID_EMAIL, changed[i]));
	for (i = 0; i < total; i++)
		if (n_changed > 0 &&
		    bsearch(&hits[i], changed, n_changed, sizeof(*changed),
			    jmap_email_id_cmp) != NULL) {
			json_array_append_new(
			    added,
			    json_pack("{s:o, s:I}", "id",
				      jmap_mail_id(JMAP_ID_EMAIL, hits[i]),
				      "index", (json_int_t)i));
		}
	free(hits);
	free(changed);
	return jmap_mail_query_changes_result(args, state, removed, added,
					      total, result_r, error_r);
}

/* ---- Email/set (RFC 8621 4.6) ---- */

/* The mailboxIds object m as row ids (malloc'd).  0 or -1. */
static int
jmap_email_mailbox_ids(struct jmap_ctx *ctx, json_t *m, int64_t **ids_r,
		       size_t *n_r)
{
	const char *key;
	json_t *v;
	size_t n = 0;

	*ids_r = xcalloc(json_object_size(m) + 1, sizeof(int64_t));
	json_object_foreach(m, key, v) {
		const char *id = key[0] == '#' ? jmap_ctx_created_get(ctx, key + 1)
					       : key;
		int64_t row = jmap_mail_id_parse(id, JMAP_ID_MAILBOX);

		if (!json_is_true(v) || row == 0) {
			free(*ids_r);
			*ids_r = NULL;
			return -1;
		}
		(*ids_r)[n++] = row;
	}
	*n_r = n;
	return 0;
}

/* Apply one patch object (RFC 8620 5.3 PatchObject over keywords and
   mailboxIds) to Email id.  NULL on success, else a SetError. */
static json_t *
jmap_email_update(struct jmap_ctx *ctx, int64_t id, json_t *patch)
{
	struct store_jmap_update u = {0};
	struct store_jmap_email *e = NULL;
	json_t *kw = NULL, *mb = NULL, *v, *err = NULL;
	const char *key, *why = NULL;
	char *kwlist = NULL;
	int64_t *boxes = NULL;
	uint64_t state;
	size_t n = 0, nb = 0, i;
	int rc;

	if (!json_is_object(patch))
		return jmap_error("invalidPatch", NULL);
	if (store_jmap_emails(ctx->store, ctx->account_id, &id, 1, &e, &n,
			      &state, &why) < 0)
		return jmap_mail_fail(why);
	if (n == 0) {
		store_jmap_emails_free(e, n);
		return jmap_error("notFound", NULL);
	}
	json_object_foreach(patch, key, v) {
		if (strcmp(key, "keywords") == 0) {
			json_decref(kw);
			kw = json_deep_copy(v);
		} else if (strcmp(key, "mailboxIds") == 0) {
			json_decref(mb);
			mb = json_deep_copy(v);
		} else if (strncmp(key, "keywords/", 9) == 0 ||
			   strncmp(key, "mailboxIds/", 11) == 0) {
			continue; /* applied after the whole values */
		} else {
			err = jmap_mail_bad_prop(key);
			goto out;
		}
	}
	json_object_foreach(patch, key, v) {
		json_t **target;
		const char *sub;

		if (strncmp(key, "keywords/", 9) == 0) {
			target = &kw;
			sub = key + 9;
		} else if (strncmp(key, "mailboxIds/", 11) == 0) {
			target = &mb;
			sub = key + 11;
		} else {
			continue;
		}
		if (*target == NULL) {
			/* start from the current value */
			*target = target == &kw
				      ? jmap_mail_keywords(
					    e->flags & ~STORE_FLAG_DELETED,
					    e->keywords)
				      : json_object();
			for (i = 0; target == &mb && i < e->n_mailboxes; i++) {
				json_t *id2 = jmap_mail_id(JMAP_ID_MAILBOX,
							   e->mailboxes[i]);

				json_object_set_new(*target,
						    json_string_value(id2),
						    json_true());
				json_decref(id2);
			}
		}
		if (json_is_true(v))
			json_object_set_new(*target, sub, json_true());
		else if (json_is_null(v) || json_is_false(v))
			json_object_del(*target, sub);
		else {
			err = jmap_mail_bad_prop(key);
			goto out;
		}
	}
	if (kw != NULL) {
		if (jmap_mail_keywords_parse(kw, &u.flags, &kwlist) < 0) {
			err = jmap_mail_bad_prop("keywords");
			goto out;
		}
		u.set_keywords = true;
		u.keywords = kwlist;
	}
	if (mb != NULL) {
		if (!json_is_object(mb) ||
		    jmap_email_mailbox_ids(ctx, mb, &boxes, &nb) < 0 ||
		    nb == 0) {
			err = jmap_mail_bad_prop("mailboxIds");
			goto out;
		}
		u.set_mailboxes = true;
		u.mailboxes = boxes;
		u.n_mailboxes = nb;
	}
	rc = store_jmap_email_update(ctx->store, ctx->account_id, id, &u,
				     &why);
	if (rc == 0)
		err = jmap_error("notFound", NULL);
	else if (rc == -2)
		err = jmap_mail_bad_prop("mailboxIds");
	else if (rc < 0)
		err = jmap_mail_fail(why);
	else
		ctx->changed = true;
out:
	json_decref(kw);
	json_decref(mb);
	free(kwlist);
	free(boxes);
	store_jmap_emails_free(e, n);
	return err;
}

int
jmap_email_set(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
	       json_t **error_r)
{
	json_t *create = json_object_get(args, "create");
	json_t *update = json_object_get(args, "update");
	json_t *destroy = json_object_get(args, "destroy");
	json_t *created, *not_created, *updated, *not_updated, *destroyed,
	    *not_destroyed, *v;
	const char *key, *why = NULL;
	uint64_t old_state, new_state;
	size_t i;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if ((update != NULL && !json_is_null(update) &&
	     !json_is_object(update)) ||
	    (destroy != NULL && !json_is_null(destroy) &&
	     !json_is_array(destroy))) {
		*error_r = jmap_error("invalidArguments", NULL);
		return -1;
	}
	if (create != NULL && !json_is_null(create) && !json_is_object(create)) {
		*error_r = jmap_error("invalidArguments", NULL);
		return -1;
	}
	if (json_object_size(create) + json_object_size(update) +
		json_array_size(destroy) >
	    JMAP_OBJECTS_SET_MAX) {
		*error_r = jmap_error("requestTooLarge", NULL);
		return -1;
	}
	if (jmap_mail_set_begin(ctx, args, &old_state, error_r) < 0)
		return -1;
	created = json_object();
	not_created = json_object();
	json_object_foreach(create, key, v) {
		json_t *err, *ans = NULL;
		int64_t id = 0;

		/* RFC 8620 5.3: creations first, in the order given */
		err = jmap_email_create(ctx, v, &id);
		if (err == NULL &&
		    (ans = jmap_email_created(ctx, id, &err)) != NULL) {
			jmap_ctx_created_set(
			    ctx, key, json_string_value(json_object_get(ans,
									"id")));
			json_object_set_new(created, key, ans);
		}
		if (err != NULL)
			json_object_set_new(not_created, key, err);
	}
	updated = json_object();
	not_updated = json_object();
	destroyed = json_array();
	not_destroyed = json_object();
	json_object_foreach(update, key, v) {
		json_t *err = jmap_email_update(ctx, jmap_email_ref(ctx, key), v);

		if (err != NULL)
			json_object_set_new(not_updated, key, err);
		else
			json_object_set_new(updated, key, json_null());
	}
	json_array_foreach(destroy, i, v) {
		int64_t id = jmap_email_ref(ctx, json_string_value(v));
		int rc = id == 0 ? 0
				 : store_jmap_email_destroy(
				       ctx->store, ctx->account_id, id, &why);

		if (rc == 1) {
			json_array_append(destroyed, v);
			ctx->changed = true;
		} else {
			json_object_set_new(
			    not_destroyed,
			    json_is_string(v) ? json_string_value(v) : "",
			    rc == 0 ? jmap_error("notFound", NULL)
				    : jmap_mail_fail(why));
		}
	}
	if (store_jmap_state(ctx->store, ctx->account_id, &new_state, &why) <
	    0)
		new_state = old_state;
	*result_r = json_pack(
	    "{s:O, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "accountId",
	    json_object_get(args, "accountId"), "oldState",
	    jmap_mail_state(old_state), "newState", jmap_mail_state(new_state),
	    "created", created, "updated", updated, "destroyed", destroyed,
	    "notCreated", not_created, "notUpdated", not_updated,
	    "notDestroyed", not_destroyed);
	return 0;
}

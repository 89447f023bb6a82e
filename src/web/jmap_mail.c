/* jmap_mail.c: what the JMAP Mail methods share: the method table and
   capability, ids and states, keywords, header fields in the RFC 8621
   4.1.2 parsed forms, /changes, and lazy threading. */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_mail.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "imap/imap_match.h"
#include "imap/imap_thread.h"
#include "limits.h"
#include "mime/mime_addr.h"
#include "mime/mime_date.h"
#include "mime/mime_decode.h"
#include "mime/mime_header.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "xalloc.h"

const struct jmap_method jmap_mail_methods[] = {
    {"Mailbox/get", JMAP_USING_MAIL, jmap_mailbox_get},
    {"Mailbox/changes", JMAP_USING_MAIL, jmap_mailbox_changes},
    {"Mailbox/query", JMAP_USING_MAIL, jmap_mailbox_query},
    {"Mailbox/queryChanges", JMAP_USING_MAIL, jmap_mailbox_query_changes},
    {"Mailbox/set", JMAP_USING_MAIL, jmap_mailbox_set},
    {"Email/get", JMAP_USING_MAIL, jmap_email_get},
    {"Email/changes", JMAP_USING_MAIL, jmap_email_changes},
    {"Email/query", JMAP_USING_MAIL, jmap_email_query},
    {"Email/queryChanges", JMAP_USING_MAIL, jmap_email_query_changes},
    {"Email/set", JMAP_USING_MAIL, jmap_email_set},
    {"Email/parse", JMAP_USING_MAIL, jmap_email_parse},
    {"Email/import", JMAP_USING_MAIL, jmap_email_import},
    {"Email/copy", JMAP_USING_MAIL, jmap_email_copy},
    {"SearchSnippet/get", JMAP_USING_MAIL, jmap_snippet_get},
    {"Thread/get", JMAP_USING_MAIL, jmap_thread_get},
    {"Thread/changes", JMAP_USING_MAIL, jmap_thread_changes},
    {NULL, 0, NULL},
};

json_t *
jmap_mail_capability(void)
{
	/* RFC 8621 1.3.1 */
	return json_pack("{s:n, s:I, s:I, s:I, s:[s, s, s, s], s:b}",
			 "maxMailboxesPerEmail", "maxMailboxDepth",
			 (json_int_t)JMAP_MAILBOX_DEPTH_MAX,
			 "maxSizeMailboxName",
			 (json_int_t)STORE_MBOX_NAME_MAX,
			 "maxSizeAttachmentsPerEmail",
			 (json_int_t)JMAP_UPLOAD_SIZE_MAX,
			 "emailQuerySortOptions", "receivedAt", "size", "from",
			 "subject", "mayCreateTopLevelMailbox", 1);
}

json_t *
jmap_mail_id(char prefix, int64_t id)
{
	return json_sprintf("%c%" PRId64, prefix, id);
}

int64_t
jmap_mail_id_parse(const char *s, char prefix)
{
	int64_t v = 0;

	if (s == NULL || s[0] != prefix || s[1] < '1' || s[1] > '9')
		return 0;
	for (s++; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int
jmap_mail_account(struct jmap_ctx *ctx, json_t *args, json_t **error_r)
{
	json_t *a = json_object_get(args, "accountId");

	if (!json_is_string(a)) {
		*error_r = jmap_error("invalidArguments",
				      "accountId must be a string");
		return -1;
	}
	if (jmap_account_parse(json_string_value(a)) != ctx->account_id) {
		*error_r = jmap_error("accountNotFound", NULL);
		return -1;
	}
	return 0;
}

json_t *
jmap_mail_state(uint64_t modseq)
{
	return json_sprintf("%" PRIu64, modseq);
}

int
jmap_mail_state_parse(const char *s, uint64_t *modseq_r)
{
	uint64_t v = 0;

	if (s == NULL || *s < '1' || *s > '9')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*modseq_r = v;
	return 0;
}

json_t *
jmap_mail_fail(const char *why)
{
	return jmap_error("serverFail", why);
}

json_t *
jmap_mail_bad_prop(const char *prop)
{
	json_t *e = jmap_error("invalidProperties", NULL);

	json_object_set_new(e, "properties", json_pack("[s]", prop));
	return e;
}

int
jmap_mail_filter_op(json_t *f, int (*fn)(json_t *cond, void *arg), void *arg)
{
	const char *op;
	json_t *conds, *c;
	size_t i, yes = 0;

	if (json_object_get(f, "operator") == NULL)
		return -2;
	op = json_string_value(json_object_get(f, "operator"));
	conds = json_object_get(f, "conditions");
	if (op == NULL || !json_is_array(conds))
		return -1;
	json_array_foreach(conds, i, c) {
		int r = fn(c, arg);

		if (r < 0)
			return -1;
		yes += (size_t)r;
	}
	if (strcmp(op, "AND") == 0)
		return yes == json_array_size(conds);
	if (strcmp(op, "OR") == 0)
		return yes > 0;
	if (strcmp(op, "NOT") == 0)
		return yes == 0;
	return -1;
}

int
jmap_mail_set_begin(struct jmap_ctx *ctx, json_t *args, uint64_t *old_r,
		    json_t **error_r)
{
	json_t *if_in = json_object_get(args, "ifInState");
	const char *why = NULL;
	uint64_t want;

	if (store_jmap_state(ctx->store, ctx->account_id, old_r, &why) < 0) {
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	if (if_in != NULL && !json_is_null(if_in) &&
	    (jmap_mail_state_parse(json_string_value(if_in), &want) < 0 ||
	     want != *old_r)) {
		*error_r = jmap_error("stateMismatch", NULL);
		return -1;
	}
	return 0;
}

/* ---- /changes (RFC 8620 5.2) ---- */

static json_t *
jmap_mail_ids(char prefix, const int64_t *ids, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, jmap_mail_id(prefix, ids[i]));
	return a;
}

int
jmap_mail_changes(struct jmap_ctx *ctx, json_t *args, int type, char prefix,
		  json_t **result_r, json_t **error_r)
{
	json_t *since = json_object_get(args, "sinceState");
	json_t *maxc = json_object_get(args, "maxChanges");
	struct store_jmap_changes c;
	const char *why = NULL;
	uint64_t from;
	size_t max = JMAP_CHANGES_MAX;
	int rc;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if (!json_is_string(since) ||
	    (maxc != NULL && !json_is_null(maxc) &&
	     (!json_is_integer(maxc) || json_integer_value(maxc) <= 0))) {
		*error_r = jmap_error("invalidArguments",
				      "sinceState must be a string and "
				      "maxChanges a positive integer");
		return -1;
	}
	if (json_is_integer(maxc) &&
	    (uint64_t)json_integer_value(maxc) < (uint64_t)max)
		max = (size_t)json_integer_value(maxc);
	if (jmap_mail_state_parse(json_string_value(since), &from) < 0) {
		*error_r = jmap_error("cannotCalculateChanges",
				      "not a state of this server");
		return -1;
	}
	if (type != STORE_JMAP_MAILBOX &&
	    jmap_mail_threads_sync(ctx, error_r) < 0)
		return -1;
	rc = store_jmap_changes(ctx->store, ctx->account_id, type, from, max,
				&c, &why);
	if (rc < 0) {
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	if (rc == 0) {
		*error_r = jmap_error("cannotCalculateChanges",
				      "not a state of this account");
		return -1;
	}
	*result_r = json_pack(
	    "{s:s, s:o, s:o, s:b, s:o, s:o, s:o}", "accountId",
	    json_string_value(json_object_get(args, "accountId")), "oldState",
	    json_incref(since), "newState", jmap_mail_state(c.new_state),
	    "hasMoreChanges", c.more, "created",
	    jmap_mail_ids(prefix, c.created, c.n_created), "updated",
	    jmap_mail_ids(prefix, c.updated, c.n_updated), "destroyed",
	    jmap_mail_ids(prefix, c.destroyed, c.n_destroyed));
	/* RFC 8621 2.2: which Mailbox properties changed is not tracked:
	   null says "any" */
	if (type == STORE_JMAP_MAILBOX)
		json_object_set_new(*result_r, "updatedProperties",
				    json_null());
	store_jmap_changes_free(&c);
	return 0;
}

/* ---- keywords (RFC 8621 4.1.1) ---- */

/* The IMAP system flags and their JMAP keywords. */
static const struct {
	uint32_t flag;
	const char *kw;
} jmap_mail_flag_kw[] = {
    {STORE_FLAG_SEEN, "$seen"},
    {STORE_FLAG_ANSWERED, "$answered"},
    {STORE_FLAG_FLAGGED, "$flagged"},
    {STORE_FLAG_DRAFT, "$draft"},
};
#define JMAP_NFLAGKW (sizeof(jmap_mail_flag_kw) / sizeof(jmap_mail_flag_kw[0]))

json_t *
jmap_mail_keywords(uint32_t flags, const char *keywords)
{
	json_t *o = json_object();
	const char *p = keywords, *e;
	size_t i;

	for (i = 0; i < JMAP_NFLAGKW; i++)
		if (flags & jmap_mail_flag_kw[i].flag)
			json_object_set_new(o, jmap_mail_flag_kw[i].kw,
					    json_true());
	/* RFC 8621 4.1.1: keywords are case-insensitive and returned in
	   lower case */
	while (p != NULL && *p != '\0') {
		char kw[256];
		size_t n;

		while (*p == ' ')
			p++;
		e = p + strcspn(p, " ");
		n = (size_t)(e - p);
		if (n > 0 && n < sizeof(kw)) {
			for (i = 0; i < n; i++)
				kw[i] = (char)((p[i] >= 'A' && p[i] <= 'Z')
						   ? p[i] + 32
						   : p[i]);
			kw[n] = '\0';
			json_object_set_new(o, kw, json_true());
		}
		p = e;
	}
	return o;
}

int
jmap_mail_keywords_parse(json_t *obj, uint32_t *flags_r, char **keywords_r)
{
	struct buf b;
	const char *k;
	json_t *v;
	size_t i;

	*flags_r = 0;
	*keywords_r = NULL;
	if (!json_is_object(obj))
		return -1;
	buf_init(&b, 0);
	json_object_foreach(obj, k, v) {
		const char *p;

		/* RFC 8621 4.1.1: value true; 1-255 of %x21-%x7e without
		   ( ) { ] % * " \ */
		if (!json_is_true(v) || *k == '\0' || strlen(k) > 255)
			goto bad;
		for (p = k; *p != '\0'; p++)
			if (*p < 0x21 || *p > 0x7e || strchr("(){]%*\"\\", *p))
				goto bad;
		for (i = 0; i < JMAP_NFLAGKW; i++)
			if (strcasecmp(k, jmap_mail_flag_kw[i].kw) == 0)
				break;
		if (i < JMAP_NFLAGKW) {
			*flags_r |= jmap_mail_flag_kw[i].flag;
			continue;
		}
		if (buf_len(&b) > 0)
			buf_append(&b, " ", 1);
		for (p = k; *p != '\0'; p++) {
			char ch = (*p >= 'A' && *p <= 'Z') ? *p + 32 : *p;

			buf_append(&b, &ch, 1);
		}
	}
	if (buf_len(&b) > 0)
		*keywords_r = xstrndup((const char *)buf_rptr(&b), buf_len(&b));
	buf_deinit(&b);
	return 0;
bad:
	buf_deinit(&b);
	return -1;
}

bool
jmap_mail_has_keyword(const struct store_jmap_email *e, const char *kw)
{
	const char *p = e->keywords;
	size_t n = strlen(kw), i;

	for (i = 0; i < JMAP_NFLAGKW; i++)
		if (strcasecmp(kw, jmap_mail_flag_kw[i].kw) == 0)
			return (e->flags & jmap_mail_flag_kw[i].flag) != 0;
	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, " ");

		if (len == n && strncasecmp(p, kw, n) == 0)
			return true;
		p += len;
		while (*p == ' ')
			p++;
	}
	return false;
}

/* ---- message files ---- */

int
jmap_mail_read_file(const char *path, size_t max, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = 0;

	buf_reset(out);
	if (fd < 0)
		return -1;
	while (buf_len(out) < max) {
		size_t want = max - buf_len(out) < 65536 ? max - buf_len(out)
							 : 65536;
		uint8_t *w = buf_reserve(out, want);

		if (w == NULL)
			break;
		r = read(fd, w, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		buf_commit(out, (size_t)r);
	}
	close(fd);
	return r < 0 ? -1 : 0;
}

int
jmap_mail_read_header(const char *path, struct buf *out)
{
	size_t n;

	if (jmap_mail_read_file(path, MIME_HEADER_BYTES_MAX, out) < 0)
		return -1;
	n = imap_match_header_len((const char *)buf_rptr(out), buf_len(out));
	out->wpos = out->rpos + n;
	return 0;
}

int
jmap_mail_blob_read(struct jmap_ctx *ctx, const char *blob_id, size_t max,
		    struct buf *out)
{
	char msg_blob[64], part[256], *path = NULL;
	const char *why = NULL;
	struct jmap_body b;
	struct buf whole;
	ssize_t i;
	int rc;

	buf_reset(out);
	if (blob_id == NULL)
		return 0;
	if (strchr(blob_id, '_') == NULL) {
		rc = store_jmap_blob_path(ctx->store, ctx->account_id, blob_id,
					  &path, &why);
		if (rc == 1 && jmap_mail_read_file(path, max, out) < 0)
			rc = -1;
		free(path);
		return rc;
	}
	if (jmap_body_blob_parse(blob_id, msg_blob, sizeof(msg_blob), part,
				 sizeof(part)) < 0)
		return 0;
	buf_init(&whole, 0);
	rc = jmap_mail_blob_read(ctx, msg_blob, JMAP_BODY_READ_MAX, &whole);
	if (rc == 1) {
		jmap_body_init(&b, buf_rptr(&whole), buf_len(&whole), msg_blob);
		i = jmap_body_find(&b, part);
		if (i < 0 || b.parts[i].multipart)
			rc = 0;
		else if (jmap_body_decode(&b, (size_t)i, out) < 0)
			rc = -1;
		else if (buf_len(out) > max)
			out->wpos = out->rpos + max;
		jmap_body_deinit(&b);
	}
	buf_deinit(&whole);
	return rc;
}

/* ---- header fields ---- */

void
jmap_mail_header_each(const char *h, size_t hn, const char *name,
		      void (*fn)(const char *v, size_t n, void *arg), void *arg)
{
	size_t pos = 0, nl, vl, want = strlen(name);
	const char *fname, *v;

	while (imap_match_next_field(h, hn, &pos, &fname, &nl, &v, &vl))
		if (nl == want && strncasecmp(fname, name, nl) == 0)
			fn(v, vl, arg);
}

/* A JSON string of s[0..n) with invalid UTF-8 made U+FFFD. */
static json_t *
jmap_mail_jstr(const char *s, size_t n)
{
	json_t *j = json_stringn(s, n);
	struct buf b;

	if (j != NULL)
		return j;
	buf_init(&b, 0);
	/* RFC 6532 text that is not UTF-8: the 2047 decoder replaces */
	mime_2047_decode(s, n, &b);
	j = json_stringn((const char *)buf_rptr(&b), buf_len(&b));
	buf_deinit(&b);
	return j != NULL ? j : json_string("");
}

/* Unfolded, 2047-decoded text of v[0..n) (RFC 8621 4.1.2.2 asText). */
static json_t *
jmap_mail_text(const char *v, size_t n)
{
	char *u = xmalloc(n + 1);
	size_t un = mime_header_unfold(v, n, u);
	struct buf b;
	json_t *j;

	buf_init(&b, 0);
	mime_2047_decode(u, un, &b);
	j = jmap_mail_jstr((const char *)buf_rptr(&b), buf_len(&b));
	buf_deinit(&b);
	free(u);
	return j;
}

/* RFC 8621 4.1.2.3 EmailAddress objects of an address list; grouped:
   EmailAddressGroup objects (4.1.2.4). */
static json_t *
jmap_mail_addresses(const char *v, size_t n, bool grouped)
{
	struct arena *a = arena_new("jmap addr", 4096);
	struct mime_addr *l;
	size_t k = mime_addr_parse(v, n, MIME_ADDRESSES_MAX, a, &l), i;
	json_t *out = json_array(), *cur = NULL, *group = NULL;

	for (i = 0; i < k; i++) {
		json_t *addr;

		if (l[i].host == NULL) {
			/* group start (mailbox = its name) or end */
			if (grouped && cur != NULL && json_array_size(cur) > 0 &&
			    group == NULL)
				json_array_append_new(
				    out, json_pack("{s:n, s:O}", "name",
						   "addresses", cur));
			json_decref(cur);
			cur = NULL;
			if (group != NULL) {
				json_array_append_new(out, group);
				group = NULL;
			}
			if (l[i].mailbox != NULL && grouped)
				group = json_pack(
				    "{s:o, s:[]}", "name",
				    jmap_mail_text(l[i].mailbox,
						   strlen(l[i].mailbox)),
				    "addresses");
			continue;
		}
		addr = json_pack("{s:o, s:o}", "name",
				 l[i].name != NULL
				     ? jmap_mail_text(l[i].name,
						      strlen(l[i].name))
				     : json_null(),
				 "email",
				 json_sprintf("%s@%s", l[i].mailbox, l[i].host));
		if (json_object_get(addr, "email") == NULL)
			json_object_set_new(addr, "email", json_string(""));
		if (!grouped) {
			json_array_append_new(out, addr);
		} else if (group != NULL) {
			json_array_append_new(
			    json_object_get(group, "addresses"), addr);
		} else {
			if (cur == NULL)
				cur = json_array();
			json_array_append_new(cur, addr);
		}
	}
	if (group != NULL)
		json_array_append_new(out, group);
	if (cur != NULL)
		json_array_append_new(
		    out, json_pack("{s:n, s:o}", "name", "addresses", cur));
	arena_free(&a);
	return out;
}

static json_t *
jmap_mail_msgids(const char *v, size_t n)
{
	char *z = xstrndup(v, n);
	json_t *out = json_array();
	size_t pos = 0;
	struct buf b;

	buf_init(&b, 0);
	while (imap_thread_next_id(z, &pos, &b) == 1)
		json_array_append_new(
		    out, jmap_mail_jstr((const char *)buf_rptr(&b),
					buf_len(&b)));
	buf_deinit(&b);
	free(z);
	if (json_array_size(out) == 0) {
		json_decref(out);
		return json_null();
	}
	return out;
}

/* RFC 8621 4.1.2.7: URLs in angle brackets, comma separated. */
static json_t *
jmap_mail_urls(const char *v, size_t n)
{
	char *u = xmalloc(n + 1);
	size_t un = mime_header_unfold(v, n, u), i = 0;
	json_t *out = json_array();

	while (i < un) {
		const char *lt = memchr(u + i, '<', un - i), *gt;

		if (lt == NULL)
			break;
		gt = memchr(lt, '>', un - (size_t)(lt - u));
		if (gt == NULL)
			break;
		json_array_append_new(out,
				      jmap_mail_jstr(lt + 1, (size_t)(gt - lt - 1)));
		i = (size_t)(gt - u) + 1;
	}
	free(u);
	if (json_array_size(out) == 0) {
		json_decref(out);
		return json_null();
	}
	return out;
}

json_t *
jmap_mail_utcdate(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char s[32];

	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(s);
}

int
jmap_mail_utcdate_parse(const char *s, int64_t *t_r)
{
	struct tm tm = {0};
	const char *e;

	if (s == NULL)
		return -1;
	e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (e == NULL)
		return -1;
	if (*e == '.') /* RFC 8620 1.4: fractions, ignored */
		for (e++; *e >= '0' && *e <= '9'; e++)
			;
	if (strcmp(e, "Z") != 0)
		return -1;
	*t_r = (int64_t)timegm(&tm);
	return 0;
}

/* RFC 8621 4.1.2.6 asDate: the Date with its own zone offset kept. */
static json_t *
jmap_mail_date(const char *v, size_t n)
{
	int64_t t;

	if (mime_date_parse(v, n, &t) < 0)
		return json_null();
	return jmap_mail_utcdate(t);
}

json_t *
jmap_mail_header_form(const char *raw, size_t n, const char *form)
{
	if (strcmp(form, "Raw") == 0)
		return jmap_mail_jstr(raw, n);
	if (strcmp(form, "Text") == 0)
		return jmap_mail_text(raw, n);
	if (strcmp(form, "Addresses") == 0)
		return jmap_mail_addresses(raw, n, false);
	if (strcmp(form, "GroupedAddresses") == 0)
		return jmap_mail_addresses(raw, n, true);
	if (strcmp(form, "MessageIds") == 0)
		return jmap_mail_msgids(raw, n);
	if (strcmp(form, "Date") == 0)
		return jmap_mail_date(raw, n);
	if (strcmp(form, "URLs") == 0)
		return jmap_mail_urls(raw, n);
	return json_null();
}

struct jmap_mail_hget {
	const char *form;
	json_t *all, *last;
};

static void
jmap_mail_hget_one(const char *v, size_t n, void *arg)
{
	struct jmap_mail_hget *g = arg;

	/* the raw value keeps its leading space (RFC 8621 4.1.2.1) but
	   imap_match_next_field gives it from after the colon */
	if (g->all != NULL) {
		json_array_append_new(g->all,
				      jmap_mail_header_form(v, n, g->form));
		return;
	}
	json_decref(g->last);
	g->last = jmap_mail_header_form(v, n, g->form);
}

json_t *
jmap_mail_header_get(const char *h, size_t hn, const char *name,
		     const char *form, bool all)
{
	struct jmap_mail_hget g = {form, all ? json_array() : NULL, NULL};

	jmap_mail_header_each(h, hn, name, jmap_mail_hget_one, &g);
	if (all)
		return g.all;
	if (g.last == NULL) {
		/* RFC 8621 4.1.3: absent fields are null (Addresses: null) */
		return json_null();
	}
	return g.last;
}

/* "header:Name[:asForm][:all]" (RFC 8621 4.1.3): the field name, form
   and all into the out arguments.  0, or -1 when malformed. */
int
jmap_mail_header_prop(const char *p, char *name, size_t name_max,
		       const char **form_r, bool *all_r)
{
	const char *c, *rest;
	size_t n;

	static const char *const forms[] = {"Raw",	  "Text",
					    "Addresses",  "GroupedAddresses",
					    "MessageIds", "Date",
					    "URLs"};
	if (strncmp(p, "header:", 7) != 0)
		return -1;
	p += 7;
	c = strchr(p, ':');
	n = c != NULL ? (size_t)(c - p) : strlen(p);
	if (n == 0 || n >= name_max)
		return -1;
	memcpy(name, p, n);
	name[n] = '\0';
	*form_r = "Raw";
	*all_r = false;
	rest = c;
	if (rest != NULL && strncmp(rest, ":as", 3) == 0) {
		size_t i, fl;

		rest += 3;
		fl = strcspn(rest, ":");
		for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++)
			if (strlen(forms[i]) == fl &&
			    strncmp(forms[i], rest, fl) == 0)
				break;
		if (i == sizeof(forms) / sizeof(forms[0]))
			return -1;
		*form_r = forms[i];
		rest += fl;
	}
	if (rest != NULL && *rest != '\0') {
		if (strcmp(rest, ":all") != 0)
			return -1;
		*all_r = true;
	}
	return 0;
}

/* RFC 8621 4.1.3 "headers": every field, name and raw value. */
json_t *
jmap_mail_headers(const char *h, size_t hn)
{
	json_t *a = json_array();
	const char *name, *v;
	size_t pos = 0, nl, vl;

	while (imap_match_next_field(h, hn, &pos, &name, &nl, &v, &vl))
		json_array_append_new(
		    a, json_pack("{s:s%, s:o}", "name", name, nl, "value",
				 jmap_mail_header_form(v, vl, "Raw")));
	return a;
}

/* ---- threads ---- */

struct jmap_mail_refs {
	struct buf id;
	char **ids;
	size_t n;
};

static void
jmap_mail_refs_add(const char *v, size_t n, void *arg)
{
	struct jmap_mail_refs *r = arg;
	char *z = xstrndup(v, n);
	size_t pos = 0;

	while (imap_thread_next_id(z, &pos, &r->id) == 1 &&
	       r->n < JMAP_THREAD_REFS_MAX) {
		r->ids = xrealloc(r->ids, (r->n + 1) * sizeof(*r->ids));
		r->ids[r->n++] = xstrndup((const char *)buf_rptr(&r->id),
					  buf_len(&r->id));
	}
	free(z);
}

int
jmap_mail_threads_sync(struct jmap_ctx *ctx, json_t **error_r)
{
	const char *why = NULL;
	struct buf h;
	int rc = 0;

	buf_init(&h, 0);
	for (;;) {
		struct store_jmap_threading *t;
		struct jmap_mail_refs *refs;
		int64_t *ids;
		char **paths;
		size_t n, i, j;

		if (store_jmap_unthreaded(ctx->store, ctx->account_id,
					  JMAP_THREAD_BATCH, &ids, &paths, &n,
					  &why) < 0) {
			rc = -1;
			break;
		}
		if (n == 0)
			break;
		t = xcalloc(n, sizeof(*t));
		refs = xcalloc(n, sizeof(*refs));
		for (i = 0; i < n; i++) {
			struct jmap_mail_refs own = {0};

			buf_init(&refs[i].id, 0);
			buf_init(&own.id, 0);
			t[i].email_id = ids[i];
			if (jmap_mail_read_header(paths[i], &h) == 0) {
				const char *hd = (const char *)buf_rptr(&h);

				jmap_mail_header_each(hd, buf_len(&h),
						      "Message-ID",
						      jmap_mail_refs_add, &own);
				/* In-Reply-To first: the parent decides */
				jmap_mail_header_each(hd, buf_len(&h),
						      "In-Reply-To",
						      jmap_mail_refs_add,
						      &refs[i]);
				jmap_mail_header_each(hd, buf_len(&h),
						      "References",
						      jmap_mail_refs_add,
						      &refs[i]);
			}
			t[i].msgid = own.n > 0 ? own.ids[0] : NULL;
			for (j = 1; j < own.n; j++)
				free(own.ids[j]);
			if (own.n > 0) {
				/* keep the first id: hand over ownership */
				refs[i].ids = xrealloc(
				    refs[i].ids,
				    (refs[i].n + 1) * sizeof(char *));
				refs[i].ids[refs[i].n] = own.ids[0];
			}
			free(own.ids);
			buf_deinit(&own.id);
			t[i].refs = (const char *const *)refs[i].ids;
			t[i].n_refs = refs[i].n;
		}
		rc = store_jmap_thread_assign(ctx->store, ctx->account_id, t,
					      n, &why);
		for (i = 0; i < n; i++) {
			for (j = 0; j < refs[i].n + (t[i].msgid != NULL); j++)
				free(refs[i].ids[j]);
			free(refs[i].ids);
			buf_deinit(&refs[i].id);
		}
		free(refs);
		free(t);
		store_jmap_unthreaded_free(ids, paths, n);
		if (rc < 0 || n < JMAP_THREAD_BATCH)
			break;
	}
	buf_deinit(&h);
	if (rc < 0)
		*error_r = jmap_mail_fail(why);
	return rc;
}

int
jmap_mail_query_changes_args(struct jmap_ctx *ctx, json_t *args,
			     uint64_t *since_r, json_t **error_r)
{
	json_t *since = json_object_get(args, "sinceQueryState");
	json_t *maxc = json_object_get(args, "maxChanges");
	json_t *upto = json_object_get(args, "upToId");

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if (!json_is_string(since) ||
	    (maxc != NULL && !json_is_null(maxc) &&
	     (!json_is_integer(maxc) || json_integer_value(maxc) <= 0)) ||
	    (upto != NULL && !json_is_null(upto) && !json_is_string(upto))) {
		*error_r = jmap_error("invalidArguments",
				      "sinceQueryState must be a string, "
				      "maxChanges a positive integer");
		return -1;
	}
	if (jmap_mail_state_parse(json_string_value(since), since_r) < 0) {
		*error_r = jmap_error("cannotCalculateChanges",
				      "not a state of this server");
		return -1;
	}
	return 0;
}

int
jmap_mail_query_changes_result(json_t *args, uint64_t state, json_t *removed,
			       json_t *added, size_t total, json_t **result_r,
			       json_t **error_r)
{
	json_t *maxc = json_object_get(args, "maxChanges");

	if (json_is_integer(maxc) &&
	    (json_int_t)(json_array_size(removed) + json_array_size(added)) >
		json_integer_value(maxc)) {
		json_decref(removed);
		json_decref(added);
		*error_r = jmap_error("tooManyChanges", NULL);
		return -1;
	}
	*result_r = json_pack("{s:O, s:O, s:o, s:o, s:o}", "accountId",
			      json_object_get(args, "accountId"),
			      "oldQueryState",
			      json_object_get(args, "sinceQueryState"),
			      "newQueryState", jmap_mail_state(state),
			      "removed", removed, "added", added);
	if (json_is_true(json_object_get(args, "calculateTotal")))
		json_object_set_new(*result_r, "total",
				    json_integer((json_int_t)total));
	return 0;
}

/* jmap_mail_mailbox.c: Mailbox/get, /changes, /query, /queryChanges and
   /set (RFC 8621 2) over the IMAP mailboxes of the store. */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_mail.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "xalloc.h"

/* RFC 8621 2: roles from RFC 6154 special use (and INBOX). */
static const struct {
	const char *use, *role;
} jmap_mbox_roles[] = {
    {"\\Sent", "sent"},	    {"\\Drafts", "drafts"}, {"\\Trash", "trash"},
    {"\\Junk", "junk"},	    {"\\Archive", "archive"}, {"\\All", "all"},
    {"\\Flagged", "flagged"}, {"\\Important", "important"},
};
#define JMAP_NROLES (sizeof(jmap_mbox_roles) / sizeof(jmap_mbox_roles[0]))

static const char *
jmap_mbox_role(const struct store_jmap_mbox *m)
{
	size_t i;

	if (strcmp(m->name, STORE_INBOX) == 0)
		return "inbox";
	for (i = 0; m->special_use != NULL && i < JMAP_NROLES; i++)
		if (strcasecmp(m->special_use, jmap_mbox_roles[i].use) == 0)
			return jmap_mbox_roles[i].role;
	return NULL;
}

static const char *
jmap_mbox_use(const char *role)
{
	size_t i;

	for (i = 0; i < JMAP_NROLES; i++)
		if (strcmp(role, jmap_mbox_roles[i].role) == 0)
			return jmap_mbox_roles[i].use;
	return NULL;
}

/* The mailbox whose full name is name[0..n), or NULL. */
static const struct store_jmap_mbox *
jmap_mbox_by_name(const struct store_jmap_mbox *l, size_t k, const char *name,
		  size_t n)
{
	size_t i;

	for (i = 0; i < k; i++)
		if (strlen(l[i].name) == n && memcmp(l[i].name, name, n) == 0)
			return &l[i];
	return NULL;
}

static const struct store_jmap_mbox *
jmap_mbox_by_id(const struct store_jmap_mbox *l, size_t k, int64_t id)
{
	size_t i;

	for (i = 0; i < k; i++)
		if (l[i].id == id)
			return &l[i];
	return NULL;
}

/* The Mailbox object of m (all properties). */
static json_t *
jmap_mbox_object(const struct store_jmap_mbox *l, size_t k,
		 const struct store_jmap_mbox *m)
{
	const char *slash = strrchr(m->name, STORE_MBOX_SEP);
	const struct store_jmap_mbox *parent =
	    slash != NULL ? jmap_mbox_by_name(l, k, m->name,
					      (size_t)(slash - m->name))
			  : NULL;
	const char *role = jmap_mbox_role(m);

	return json_pack(
	    "{s:o, s:s, s:o, s:o, s:i, s:I, s:I, s:I, s:I, s:{s:b, s:b, s:b, "
	    "s:b, s:b, s:b, s:b, s:b, s:b}, s:b}",
	    "id", jmap_mail_id(JMAP_ID_MAILBOX, m->id), "name",
	    slash != NULL ? slash + 1 : m->name, "parentId",
	    parent != NULL ? jmap_mail_id(JMAP_ID_MAILBOX, parent->id)
			   : json_null(),
	    "role", role != NULL ? json_string(role) : json_null(),
	    "sortOrder", 0, "totalEmails", (json_int_t)m->total,
	    "unreadEmails", (json_int_t)m->unread, "totalThreads",
	    (json_int_t)m->threads, "unreadThreads",
	    (json_int_t)m->unread_threads, "myRights", "mayReadItems", 1,
	    "mayAddItems", 1, "mayRemoveItems", 1, "maySetSeen", 1,
	    "maySetKeywords", 1, "mayCreateChild", 1, "mayRename",
	    strcmp(m->name, STORE_INBOX) != 0, "mayDelete",
	    strcmp(m->name, STORE_INBOX) != 0, "maySubmit", 1,
	    "isSubscribed", m->subscribed);
}

/* Load the account's mailboxes; on error *error_r. */
static int
jmap_mbox_load(struct jmap_ctx *ctx, struct store_jmap_mbox **l, size_t *k,
	       uint64_t *state, json_t **error_r)
{
	const char *why = NULL;

	if (jmap_mail_threads_sync(ctx, error_r) < 0)
		return -1;
	if (store_jmap_mboxes(ctx->store, ctx->account_id, l, k, state,
			      &why) < 0) {
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	return 0;
}

/* Keep only the properties asked for (id always, RFC 8620 5.1). */
static void
jmap_mbox_pick(json_t *obj, json_t *props)
{
	const char *key;
	json_t *v, *tmp;
	size_t i;
	bool keep;

	if (!json_is_array(props))
		return;
	json_object_foreach_safe(obj, tmp, key, v) {
		keep = strcmp(key, "id") == 0;
		for (i = 0; !keep && i < json_array_size(props); i++)
			keep = json_is_string(json_array_get(props, i)) &&
			       strcmp(json_string_value(
					  json_array_get(props, i)),
				      key) == 0;
		if (!keep)
			json_object_del(obj, key);
	}
}

int
jmap_mailbox_get(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		 json_t **error_r)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *props = json_object_get(args, "properties");
	json_t *list, *nf, *v;
	struct store_jmap_mbox *l;
	uint64_t state;
	size_t k, i;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if ((ids != NULL && !json_is_null(ids) && !json_is_array(ids)) ||
	    (props != NULL && !json_is_null(props) && !json_is_array(props))) {
		*error_r = jmap_error("invalidArguments",
				      "ids and properties must be arrays");
		return -1;
	}
	if (json_array_size(ids) > JMAP_OBJECTS_GET_MAX) {
		*error_r = jmap_error("requestTooLarge", NULL);
		return -1;
	}
	if (jmap_mbox_load(ctx, &l, &k, &state, error_r) < 0)
		return -1;
	list = json_array();
	nf = json_array();
	if (json_is_array(ids)) {
		json_array_foreach(ids, i, v) {
			const struct store_jmap_mbox *m = jmap_mbox_by_id(
			    l, k,
			    jmap_mail_id_parse(json_string_value(v),
					       JMAP_ID_MAILBOX));

			if (m == NULL) {
				json_array_append(nf, v);
				continue;
			}
			json_array_append_new(list,
					      jmap_mbox_object(l, k, m));
		}
	} else {
		for (i = 0; i < k; i++)
			json_array_append_new(list,
					      jmap_mbox_object(l, k, &l[i]));
	}
	json_array_foreach(list, i, v) jmap_mbox_pick(v, props);
	*result_r = json_pack("{s:O, s:o, s:o, s:o}", "accountId",
			      json_object_get(args, "accountId"), "state",
			      jmap_mail_state(state), "list", list, "notFound",
			      nf);
	store_jmap_mboxes_free(l, k);
	return 0;
}

int
jmap_mailbox_changes(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		     json_t **error_r)
{
	return jmap_mail_changes(ctx, args, STORE_JMAP_MAILBOX,
				 JMAP_ID_MAILBOX, result_r, error_r);
}

struct jmap_mbox_q {
	const struct store_jmap_mbox *l;
	size_t k;
	const struct store_jmap_mbox *m;
};

static int jmap_mbox_match(const struct store_jmap_mbox *l, size_t k,
			   const struct store_jmap_mbox *m, json_t *f);

static int
jmap_mbox_match_cb(json_t *cond, void *arg)
{
	struct jmap_mbox_q *q = arg;

	return jmap_mbox_match(q->l, q->k, q->m, cond);
}

/* Does mailbox m pass the FilterCondition f (RFC 8621 2.3)?  -1 for an
   unknown condition. */
static int
jmap_mbox_match(const struct store_jmap_mbox *l, size_t k,
		const struct store_jmap_mbox *m, json_t *f)
{
	json_t *obj = jmap_mbox_object(l, k, m), *v;
	const char *key;
	int ok = 1;

	struct jmap_mbox_q q = {l, k, m};
	int op = jmap_mail_filter_op(f, jmap_mbox_match_cb, &q);

	if (op != -2) {
		json_decref(obj);
		return op;
	}
	json_object_foreach(f, key, v) {
		if (strcmp(key, "parentId") == 0 || strcmp(key, "role") == 0) {
			ok = ok && json_equal(json_object_get(obj, key), v);
		} else if (strcmp(key, "hasAnyRole") == 0) {
			ok = ok && json_is_boolean(v) &&
			     json_is_true(v) ==
				 !json_is_null(json_object_get(obj, "role"));
		} else if (strcmp(key, "isSubscribed") == 0) {
			ok = ok && json_is_boolean(v) &&
			     json_is_true(v) == m->subscribed;
		} else if (strcmp(key, "name") == 0 && json_is_string(v)) {
			ok = ok && strcasestr(json_string_value(json_object_get(
						  obj, "name")),
					      json_string_value(v)) != NULL;
		} else {
			ok = -1;
			break;
		}
	}
	json_decref(obj);
	return ok;
}

/* The whole result of the Mailbox/query in args: a JSON array of ids in
   order (sorted by name: the store's order; RFC 8621 2.3 sort by name
   and sortOrder, all 0, agree), and the state it was read at.  0, or -1
   with *error_r. */
static int
jmap_mbox_query_ids(struct jmap_ctx *ctx, json_t *args, json_t **ids_r,
		    uint64_t *state_r, json_t **error_r)
{
	json_t *filter = json_object_get(args, "filter");
	struct store_jmap_mbox *l;
	json_t *ids;
	size_t k, i;

	if (filter != NULL && !json_is_null(filter) &&
	    !json_is_object(filter)) {
		*error_r = jmap_error("invalidArguments", NULL);
		return -1;
	}
	if (jmap_mbox_load(ctx, &l, &k, state_r, error_r) < 0)
		return -1;
	ids = json_array();
	for (i = 0; i < k; i++) {
		int r = json_is_object(filter)
			    ? jmap_mbox_match(l, k, &l[i], filter)
			    : 1;

		if (r < 0) {
			json_decref(ids);
			store_jmap_mboxes_free(l, k);
			*error_r = jmap_error("unsupportedFilter", NULL);
			return -1;
		}
		if (r)
			json_array_append_new(
			    ids, jmap_mail_id(JMAP_ID_MAILBOX, l[i].id));
	}
	store_jmap_mboxes_free(l, k);
	*ids_r = ids;
	return 0;
}

int
jmap_mailbox_query(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		   json_t **error_r)
{
	json_t *pos = json_object_get(args, "position");
	json_t *lim = json_object_get(args, "limit");
	json_t *ids, *page;
	uint64_t state;
	size_t i, total = 0;
	int64_t start = 0, limit = JMAP_QUERY_LIMIT_MAX;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if ((pos != NULL && !json_is_integer(pos)) ||
	    (lim != NULL && !json_is_null(lim) &&
	     (!json_is_integer(lim) || json_integer_value(lim) < 0))) {
		*error_r = jmap_error("invalidArguments", NULL);
		return -1;
	}
	if (json_is_integer(lim) && json_integer_value(lim) < limit)
		limit = json_integer_value(lim);
	if (jmap_mbox_query_ids(ctx, args, &ids, &state, error_r) < 0)
		return -1;
	total = json_array_size(ids);
	start = json_is_integer(pos) ? json_integer_value(pos) : 0;
	if (start < 0)
		start = (int64_t)total + start < 0 ? 0
						   : (int64_t)total + start;
	if ((size_t)start > total)
		start = (int64_t)total;
	page = json_array();
	for (i = (size_t)start;
	     i < total && (int64_t)json_array_size(page) < limit; i++)
		json_array_append(page, json_array_get(ids, i));
	json_decref(ids);
	*result_r = json_pack("{s:O, s:o, s:b, s:I, s:o, s:I}", "accountId",
			      json_object_get(args, "accountId"), "queryState",
			      jmap_mail_state(state), "canCalculateChanges", 1,
			      "position", (json_int_t)start, "ids", page,
			      "total", (json_int_t)total);
	return 0;
}

/* RFC 8620 5.6, as Email/queryChanges does it: `removed` lists every
   Mailbox that changed since sinceQueryState (extra ids allowed),
   `added` those of them in the new results, with their index. */
int
jmap_mailbox_query_changes(struct jmap_ctx *ctx, json_t *args,
			   json_t **result_r, json_t **error_r)
{
	struct store_jmap_changes c;
	json_t *ids, *removed, *added, *v;
	const char *why = NULL;
	uint64_t from, state;
	size_t i, j, total;
	int rc;

	if (jmap_mail_query_changes_args(ctx, args, &from, error_r) < 0)
		return -1;
	if (jmap_mbox_query_ids(ctx, args, &ids, &state, error_r) < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	rc = from > state ? 0
			  : store_jmap_changes(ctx->store, ctx->account_id,
					       STORE_JMAP_MAILBOX, from,
					       JMAP_QUERY_CHANGES_MAX, &c, &why);
	if (rc <= 0 || c.more) {
		json_decref(ids);
		store_jmap_changes_free(&c);
		*error_r = rc < 0 ? jmap_mail_fail(why)
				  : jmap_error("cannotCalculateChanges",
					       "not a state of this account, "
					       "or too much changed since");
		return -1;
	}
	removed = json_array();
	added = json_array();
	{
		const int64_t *lists[3] = {c.created, c.updated, c.destroyed};
		size_t ns[3] = {c.n_created, c.n_updated, c.n_destroyed}, k;

		for (k = 0; k < 3; k++)
			for (j = 0; j < ns[k]; j++) {
				json_t *id =
				    jmap_mail_id(JMAP_ID_MAILBOX, lists[k][j]);

				json_array_foreach(ids, i, v)
					if (json_equal(v, id))
						json_array_append_new(
						    added,
						    json_pack("{s:O, s:I}",
							      "id", v, "index",
							      (json_int_t)i));
				json_array_append_new(removed, id);
			}
	}
	store_jmap_changes_free(&c);
	total = json_array_size(ids);
	json_decref(ids);
	return jmap_mail_query_changes_result(args, state, removed, added,
					      total, result_r, error_r);
}

/* ---- Mailbox/set (RFC 8621 2.5) ---- */

static json_t *
jmap_set_error(const char *type, const char *desc)
{
	return jmap_error(type, desc);
}

/* The full name of a Mailbox called name under parent (NULL: top). */
static char *
jmap_mbox_fullname(const struct store_jmap_mbox *parent, const char *name)
{
	return parent != NULL ? xasprintf("%s%c%s", parent->name,
					  STORE_MBOX_SEP, name)
			      : xstrdup(name);
}

/* name and parentId of an object (create or update); *parent_r is the
   parent (NULL = top).  0, or -1 with *err_r (a SetError). */
static int
jmap_mbox_place(const struct store_jmap_mbox *l, size_t k, json_t *obj,
		struct jmap_ctx *ctx, const char **name_r,
		const struct store_jmap_mbox **parent_r, json_t **err_r)
{
	json_t *name = json_object_get(obj, "name");
	json_t *pid = json_object_get(obj, "parentId");

	if (name != NULL) {
		const char *n = json_string_value(name);

		if (n == NULL || *n == '\0' ||
		    strchr(n, STORE_MBOX_SEP) != NULL ||
		    strlen(n) > STORE_MBOX_NAME_MAX) {
			*err_r = jmap_set_error("invalidProperties",
						"bad name");
			json_object_set_new(*err_r, "properties",
					    json_pack("[s]", "name"));
			return -1;
		}
		*name_r = n;
	}
	if (pid != NULL && !json_is_null(pid)) {
		const char *p = json_string_value(pid);

		if (p != NULL && p[0] == '#')
			p = jmap_ctx_created_get(ctx, p + 1);
		*parent_r = jmap_mbox_by_id(
		    l, k, jmap_mail_id_parse(p, JMAP_ID_MAILBOX));
		if (*parent_r == NULL) {
			*err_r = jmap_set_error("invalidProperties",
						"no such parent");
			json_object_set_new(*err_r, "properties",
					    json_pack("[s]", "parentId"));
			return -1;
		}
	} else if (pid != NULL) {
		*parent_r = NULL;
	}
	return 0;
}

/* Properties a client may not set (server-set or unsupported). */
static bool
jmap_mbox_settable(const char *key)
{
	return strcmp(key, "name") == 0 || strcmp(key, "parentId") == 0 ||
	       strcmp(key, "isSubscribed") == 0 || strcmp(key, "role") == 0 ||
	       strcmp(key, "sortOrder") == 0;
}

static json_t *
jmap_mbox_create(struct jmap_ctx *ctx, json_t *obj, const char *cid,
		 bool *changed)
{
	struct store_jmap_mbox *l;
	const struct store_jmap_mbox *parent = NULL;
	struct store_mbox m = {0};
	const char *name = NULL, *why = NULL, *use = NULL, *key;
	json_t *err = NULL, *v, *role = json_object_get(obj, "role");
	uint64_t state;
	size_t k;
	char *full;
	int rc;

	if (!json_is_object(obj))
		return jmap_set_error("invalidProperties", NULL);
	json_object_foreach(obj, key, v) {
		if (!jmap_mbox_settable(key)) {
			err = jmap_set_error("invalidProperties", NULL);
			json_object_set_new(err, "properties",
					    json_pack("[s]", key));
			return err;
		}
	}
	if (role != NULL && !json_is_null(role) &&
	    (!json_is_string(role) ||
	     (use = jmap_mbox_use(json_string_value(role))) == NULL)) {
		err = jmap_set_error("invalidProperties", "unknown role");
		json_object_set_new(err, "properties", json_pack("[s]", "role"));
		return err;
	}
	if (jmap_mbox_load(ctx, &l, &k, &state, &err) < 0)
		return err;
	if (jmap_mbox_place(l, k, obj, ctx, &name, &parent, &err) < 0) {
		store_jmap_mboxes_free(l, k);
		return err;
	}
	if (name == NULL) {
		store_jmap_mboxes_free(l, k);
		err = jmap_set_error("invalidProperties", "name is required");
		json_object_set_new(err, "properties", json_pack("[s]", "name"));
		return err;
	}
	full = jmap_mbox_fullname(parent, name);
	store_jmap_mboxes_free(l, k);
	rc = store_mbox_create(ctx->store, ctx->account_id, full, use, &why);
	if (rc == 0) {
		free(full);
		return jmap_set_error("alreadyExists", NULL);
	}
	if (rc < 0 ||
	    store_mbox_get(ctx->store, ctx->account_id, full, &m, &why) != 1 ||
	    store_mbox_subscribe(ctx->store, ctx->account_id, full,
				 json_is_true(json_object_get(obj,
							      "isSubscribed")),
				 &why) < 0) {
		free(full);
		store_mbox_clear(&m);
		return jmap_set_error("invalidProperties", why);
	}
	*changed = true;
	free(full);
	{
		json_t *id = jmap_mail_id(JMAP_ID_MAILBOX, m.id);

		jmap_ctx_created_set(ctx, cid, json_string_value(id));
		store_mbox_clear(&m);
		/* RFC 8620 5.3: the server-set properties */
		return json_pack("{s:o, s:i, s:i, s:i, s:i, s:i}", "id", id,
				 "sortOrder", 0, "totalEmails", 0,
				 "unreadEmails", 0, "totalThreads", 0,
				 "unreadThreads", 0);
	}
}

/* NULL on success, else a SetError. */
static json_t *
jmap_mbox_update(struct jmap_ctx *ctx, int64_t id, json_t *patch,
		 bool *changed)
{
	struct store_jmap_mbox *l;
	const struct store_jmap_mbox *m, *parent = NULL;
	const char *name = NULL, *why = NULL, *key;
	json_t *err = NULL, *v, *sub;
	uint64_t state;
	size_t k;
	int rc = 1;

	if (!json_is_object(patch))
		return jmap_set_error("invalidPatch", NULL);
	if (jmap_mbox_load(ctx, &l, &k, &state, &err) < 0)
		return err;
	if ((m = jmap_mbox_by_id(l, k, id)) == NULL) {
		store_jmap_mboxes_free(l, k);
		return jmap_set_error("notFound", NULL);
	}
	json_object_foreach(patch, key, v) {
		json_t *cur = jmap_mbox_object(l, k, m);
		bool same = json_equal(json_object_get(cur, key), v);

		json_decref(cur);
		/* role and sortOrder are fixed: only their value is ok */
		if (!jmap_mbox_settable(key) ||
		    ((strcmp(key, "role") == 0 || strcmp(key, "sortOrder") ==
							  0) &&
		     !same)) {
			err = jmap_set_error("invalidProperties", NULL);
			json_object_set_new(err, "properties",
					    json_pack("[s]", key));
			store_jmap_mboxes_free(l, k);
			return err;
		}
	}
	{
		const char *slash = strrchr(m->name, STORE_MBOX_SEP);

		parent = slash != NULL
			     ? jmap_mbox_by_name(l, k, m->name,
						 (size_t)(slash - m->name))
			     : NULL;
		name = slash != NULL ? slash + 1 : m->name;
	}
	if (jmap_mbox_place(l, k, patch, ctx, &name, &parent, &err) < 0) {
		store_jmap_mboxes_free(l, k);
		return err;
	}
	if (json_object_get(patch, "name") != NULL ||
	    json_object_get(patch, "parentId") != NULL) {
		char *full = jmap_mbox_fullname(parent, name);

		if (strcmp(full, m->name) != 0) {
			rc = store_mbox_rename(ctx->store, ctx->account_id,
					       m->name, full, &why);
			*changed = *changed || rc == 1;
		}
		free(full);
		if (rc == -2)
			err = jmap_set_error("alreadyExists", NULL);
		else if (rc == -3)
			err = jmap_set_error("invalidProperties",
					     "a mailbox cannot be moved into "
					     "itself");
		else if (rc != 1)
			err = jmap_set_error(strcmp(m->name, STORE_INBOX) == 0
						 ? "forbidden"
						 : "invalidProperties",
					     why);
	}
	sub = json_object_get(patch, "isSubscribed");
	if (err == NULL && sub != NULL) {
		if (!json_is_boolean(sub))
			err = jmap_set_error("invalidProperties", NULL);
		else if (store_mbox_subscribe(ctx->store, ctx->account_id,
					      m->name, json_is_true(sub),
					      &why) < 0)
			err = jmap_mail_fail(why);
		else
			*changed = true;
	}
	store_jmap_mboxes_free(l, k);
	return err;
}

static json_t *
jmap_mbox_destroy(struct jmap_ctx *ctx, int64_t id, bool remove_emails,
		  bool *changed)
{
	struct store_jmap_mbox *l;
	const struct store_jmap_mbox *m;
	const char *why = NULL;
	json_t *err = NULL;
	uint64_t state;
	size_t k;
	int rc;

	if (jmap_mbox_load(ctx, &l, &k, &state, &err) < 0)
		return err;
	if ((m = jmap_mbox_by_id(l, k, id)) == NULL)
		err = jmap_set_error("notFound", NULL);
	else if (m->total > 0 && !remove_emails)
		err = jmap_set_error("mailboxHasEmail", NULL);
	else if ((rc = store_mbox_delete(ctx->store, ctx->account_id, m->name,
					 &why)) == -3)
		err = jmap_set_error("mailboxHasChild", NULL);
	else if (rc == -2)
		err = jmap_set_error("forbidden", "INBOX cannot be destroyed");
	else if (rc == 0)
		err = jmap_set_error("notFound", NULL);
	else if (rc < 0)
		err = jmap_mail_fail(why);
	else
		*changed = true;
	store_jmap_mboxes_free(l, k);
	return err;
}

int
jmap_mailbox_set(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		 json_t **error_r)
{
	json_t *create = json_object_get(args, "create");
	json_t *update = json_object_get(args, "update");
	json_t *destroy = json_object_get(args, "destroy");
	json_t *created = json_object(), *not_created = json_object();
	json_t *updated = json_object(), *not_updated = json_object();
	json_t *destroyed = json_array(), *not_destroyed = json_object();
	json_t *v;
	const char *key, *why = NULL;
	uint64_t old_state, new_state;
	bool changed = false, rm = json_is_true(
				  json_object_get(args,
						  "onDestroyRemoveEmails"));
	size_t i;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		goto fail;
	if ((create != NULL && !json_is_null(create) &&
	     !json_is_object(create)) ||
	    (update != NULL && !json_is_null(update) &&
	     !json_is_object(update)) ||
	    (destroy != NULL && !json_is_null(destroy) &&
	     !json_is_array(destroy))) {
		*error_r = jmap_error("invalidArguments", NULL);
		goto fail;
	}
	if (json_object_size(create) + json_object_size(update) +
		json_array_size(destroy) >
	    JMAP_OBJECTS_SET_MAX) {
		*error_r = jmap_error("requestTooLarge", NULL);
		goto fail;
	}
	if (jmap_mail_set_begin(ctx, args, &old_state, error_r) < 0)
		goto fail;
	/* RFC 8620 5.3: creates, then updates, then destroys */
	json_object_foreach(create, key, v) {
		json_t *r = jmap_mbox_create(ctx, v, key, &changed);

		if (json_object_get(r, "type") != NULL &&
		    json_object_get(r, "id") == NULL)
			json_object_set_new(not_created, key, r);
		else
			json_object_set_new(created, key, r);
	}
	json_object_foreach(update, key, v) {
		const char *idstr = key;
		json_t *err;

		if (idstr[0] == '#')
			idstr = jmap_ctx_created_get(ctx, idstr + 1);
		err = jmap_mbox_update(
		    ctx, jmap_mail_id_parse(idstr, JMAP_ID_MAILBOX), v,
		    &changed);
		if (err != NULL)
			json_object_set_new(not_updated, key, err);
		else
			json_object_set_new(updated, key, json_null());
	}
	json_array_foreach(destroy, i, v) {
		const char *idstr = json_string_value(v);
		json_t *err;

		if (idstr != NULL && idstr[0] == '#')
			idstr = jmap_ctx_created_get(ctx, idstr + 1);
		err = jmap_mbox_destroy(
		    ctx, jmap_mail_id_parse(idstr, JMAP_ID_MAILBOX), rm,
		    &changed);
		if (err != NULL)
			json_object_set_new(
			    not_destroyed,
			    json_is_string(v) ? json_string_value(v) : "",
			    err);
		else
			json_array_append(destroyed, v);
	}
	if (store_jmap_state(ctx->store, ctx->account_id, &new_state, &why) <
	    0) {
		*error_r = jmap_mail_fail(why);
		goto fail;
	}
	ctx->changed = ctx->changed || changed;
	*result_r = json_pack(
	    "{s:O, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "accountId",
	    json_object_get(args, "accountId"), "oldState",
	    jmap_mail_state(old_state), "newState", jmap_mail_state(new_state),
	    "created", created, "updated", updated, "destroyed", destroyed,
	    "notCreated", not_created, "notUpdated", not_updated,
	    "notDestroyed", not_destroyed);
	return 0;
fail:
	json_decref(created);
	json_decref(not_created);
	json_decref(updated);
	json_decref(not_updated);
	json_decref(destroyed);
	json_decref(not_destroyed);
	return -1;
}

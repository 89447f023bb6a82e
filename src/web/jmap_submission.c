/* jmap_submission.c: urn:ietf:params:jmap:submission (RFC 8621 6-7):
   Identity/get|changes|set and EmailSubmission/get|changes|query|set.
   Objects live in the store's jmap_objects (store_jmap_objs) with their
   properties as JSON; sending goes through the SMTP submission path
   (smtp/smtp_submit.h: local copies, the queue and its DKIM signing).

   deliveryStatus (RFC 8621 7) of remote recipients comes from the
   queue: a submission's queue entry carries an envelope id naming the
   object (store_jmap_obj_envid), the queue merges each attempt's
   outcome into the object (store_jmap_obj_outcome: its "_queue"
   property, and a new modseq so /changes reports it), and loading an
   object folds that into deliveryStatus.  Properties starting with "_"
   are private: never shown, never settable. */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_submission.h"

#include <sys/random.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "limits.h"
#include "log.h"
#include "smtp/smtp_submit.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "web/jmap_mail.h"
#include "xalloc.h"

#define JMAP_ID_IDENTITY 'I'
#define JMAP_ID_SUBMISSION 'S'

/* smtpReply of a local recipient (delivered in the submission's commit)
   and of a remote one before the queue's first attempt (RFC 8621 7: a
   synthetic reply is "code, enhanced code, text"). */
#define JMAP_SUB_REPLY_LOCAL "250 2.1.5 Delivered"
#define JMAP_SUB_REPLY_QUEUED "250 2.1.5 Queued for relay"

const struct jmap_method jmap_submission_methods[] = {
    {"Identity/get", JMAP_USING_SUBMISSION, jmap_identity_get},
    {"Identity/changes", JMAP_USING_SUBMISSION, jmap_identity_changes},
    {"Identity/set", JMAP_USING_SUBMISSION, jmap_identity_set},
    {"EmailSubmission/get", JMAP_USING_SUBMISSION, jmap_submission_get},
    {"EmailSubmission/changes", JMAP_USING_SUBMISSION,
     jmap_submission_changes},
    {"EmailSubmission/query", JMAP_USING_SUBMISSION, jmap_submission_query},
    {"EmailSubmission/set", JMAP_USING_SUBMISSION, jmap_submission_set},
    {NULL, 0, NULL},
};

json_t *
jmap_submission_capability(void)
{
	/* RFC 8621 1.3.2: sending is immediate (no FUTURERELEASE) */
	return json_pack("{s:I, s:{}}", "maxDelayedSend", (json_int_t)0,
			 "submissionExtensions");
}

/* ---- objects ---- */

/* RFC 8621 7 "delivered" of a queue recipient state.  Accepted by the
   next server is "unknown", not "yes": "successful relaying to an
   external SMTP server SHOULD NOT be taken as an indication that the
   message has successfully reached the final mail store" (buzon asks
   for no DSN); refused for good is "no"; anything else is "queued". */
static const char *
jmap_sub_delivered(json_int_t state)
{
	switch (state) {
	case STORE_QRCPT_DELIVERED:
		return "unknown";
	case STORE_QRCPT_FAILED:
		return "no";
	default:
		return "queued";
	}
}

/* How much is still open about a delivered value: a recipient that
   expands to several addresses shows the one ranked highest. */
static int
jmap_sub_rank(const char *delivered)
{
	static const char *const order[] = {"yes", "unknown", "no", "queued"};
	int i;

	for (i = 3; i > 0; i--)
		if (strcmp(delivered, order[i]) == 0)
			break;
	return i;
}

/* RFC 8621 7: smtpReply is a reply line, "code enhanced-code text".
   The queue's own texts without one (an expired lifetime: "delivery
   time expired; ...") get a synthetic code of the class of delivered
   (RFC 3463 X.0.0: other or undefined status). */
static json_t *
jmap_sub_reply(const char *delivered, const char *reply)
{
	if (reply[0] >= '2' && reply[0] <= '5' && reply[1] >= '0' &&
	    reply[1] <= '9' && reply[2] >= '0' && reply[2] <= '9' &&
	    (reply[3] == ' ' || reply[3] == '\0'))
		return json_string(reply);
	return json_sprintf("%s %s",
			    strcmp(delivered, "no") == 0       ? "550 5.0.0"
			    : strcmp(delivered, "queued") == 0 ? "451 4.0.0"
							       : "250 2.0.0",
			    reply);
}

/* Fold object o's private properties into its deliveryStatus, then
   drop them: "_remote" {rcpt: {"local": bool, "to": [queued address,
   ...]}} written at create, "_queue" {address: [state, reply]} written
   by the queue (store_jmap_obj_outcome). */
static void
jmap_sub_fold(json_t *o)
{
	json_t *queue = json_object_get(o, "_queue");
	json_t *ds = json_object_get(o, "deliveryStatus");
	json_t *r, *t;
	const char *key;
	void *tmp;
	size_t i;

	json_object_foreach(json_object_get(o, "_remote"), key, r) {
		json_t *st = json_object_get(ds, key);
		const char *best = NULL, *reply = NULL;

		if (json_is_true(json_object_get(r, "local"))) {
			best = "yes";
			reply = JMAP_SUB_REPLY_LOCAL;
		}
		json_array_foreach(json_object_get(r, "to"), i, t) {
			json_t *q = json_object_get(queue, json_string_value(t));
			const char *d = "queued", *rp = NULL;

			if (json_is_array(q)) {
				d = jmap_sub_delivered(
				    json_integer_value(json_array_get(q, 0)));
				rp = json_string_value(json_array_get(q, 1));
			}
			if (rp == NULL || rp[0] == '\0')
				rp = JMAP_SUB_REPLY_QUEUED;
			if (best == NULL || jmap_sub_rank(d) > jmap_sub_rank(best)) {
				best = d;
				reply = rp;
			}
		}
		if (json_is_object(st) && best != NULL) {
			json_object_set_new(st, "delivered", json_string(best));
			json_object_set_new(st, "smtpReply",
					    jmap_sub_reply(best, reply));
		}
	}
	json_object_foreach_safe(o, tmp, key, r)
		if (key[0] == '_')
			json_object_del(o, key);
}

/* Every object of type as {"<prefix><id>": props} (new reference), or
   NULL with *error_r. */
static json_t *
jmap_sub_load(struct jmap_ctx *ctx, enum store_jmap_type type, char prefix,
	      json_t **error_r)
{
	struct store_jmap_obj *list;
	const char *why = NULL;
	size_t n, i;
	json_t *all;

	if (store_jmap_objs(ctx->store, ctx->account_id, type, &list, &n,
			    &why) < 0) {
		*error_r = jmap_mail_fail(why);
		return NULL;
	}
	all = json_object();
	for (i = 0; i < n; i++) {
		json_t *o = json_loads(list[i].props, 0, NULL);
		char id[32];

		if (!json_is_object(o)) {
			json_decref(o);
			continue;
		}
		snprintf(id, sizeof(id), "%c%lld", prefix,
			 (long long)list[i].id);
		jmap_sub_fold(o);
		json_object_set_new(o, "id", json_string(id));
		json_object_set_new(all, id, o);
	}
	store_jmap_objs_free(list, n);
	return all;
}

/* Write obj (without its "id") as object id (0: new). */
static int
jmap_sub_put(struct jmap_ctx *ctx, enum store_jmap_type type, int64_t id,
	     json_t *obj, int64_t *id_r, const char **why_r)
{
	json_t *copy = obj != NULL ? json_deep_copy(obj) : NULL;
	char *text = NULL;
	int rc;

	if (copy != NULL) {
		json_object_del(copy, "id");
		text = json_dumps(copy, JSON_COMPACT);
		json_decref(copy);
	}
	rc = store_jmap_obj_put(ctx->store, ctx->account_id, type, id, text,
				id_r, why_r);
	free(text);
	if (rc > 0)
		ctx->changed = true;
	return rc;
}

/* A standard /get (RFC 8620 5.1) over the objects of type.  The state
   is read before the objects: a change in between (the queue's, at any
   time) is then reported again by /changes, never lost. */
static int
jmap_sub_get(struct jmap_ctx *ctx, json_t *args, enum store_jmap_type type,
	     char prefix, json_t **result_r, json_t **error_r)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *props = json_object_get(args, "properties");
	json_t *list = json_array(), *nf = json_array(), *v, *all = NULL;
	const char *key, *why = NULL;
	uint64_t state;
	size_t i;

	if ((ids != NULL && !json_is_null(ids) && !json_is_array(ids)) ||
	    (props != NULL && !json_is_null(props) && !json_is_array(props))) {
		*error_r = jmap_error("invalidArguments",
				      "ids and properties: arrays or null");
		goto fail;
	}
	if (json_is_array(ids) && json_array_size(ids) > JMAP_OBJECTS_GET_MAX) {
		*error_r = jmap_error("requestTooLarge", NULL);
		goto fail;
	}
	if (store_jmap_state(ctx->store, ctx->account_id, &state, &why) < 0) {
		*error_r = jmap_mail_fail(why);
		goto fail;
	}
	if ((all = jmap_sub_load(ctx, type, prefix, error_r)) == NULL)
		goto fail;
	if (json_is_array(ids)) {
		json_array_foreach(ids, i, v) {
			json_t *o = json_object_get(all, json_string_value(v));

			if (o != NULL)
				json_array_append(list, o);
			else
				json_array_append(nf, v);
		}
	} else {
		json_object_foreach(all, key, v)
			json_array_append(list, v);
	}
	if (json_is_array(props)) {
		json_array_foreach(list, i, v) {
			json_t *o = json_object(), *p;
			size_t k;

			json_object_set(o, "id", json_object_get(v, "id"));
			json_array_foreach(props, k, p) {
				json_t *x = json_object_get(
				    v, json_string_value(p));

				if (x != NULL)
					json_object_set(
					    o, json_string_value(p), x);
			}
			json_array_set_new(list, i, o);
		}
	}
	*result_r = json_pack(
	    "{s:s, s:o, s:o, s:o}", "accountId",
	    json_string_value(json_object_get(args, "accountId")), "state",
	    jmap_mail_state(state), "list", list, "notFound", nf);
	json_decref(all);
	return 0;
fail:
	json_decref(all);
	json_decref(list);
	json_decref(nf);
	return -1;
}

/* The six maps of a /set response (RFC 8620 5.3). */
struct jmap_set_out {
	json_t *created, *not_created, *updated, *not_updated, *destroyed,
	    *not_destroyed;
};

static void
jmap_set_out_init(struct jmap_set_out *o)
{
	o->created = json_object();
	o->not_created = json_object();
	o->updated = json_object();
	o->not_updated = json_object();
	o->destroyed = json_array();
	o->not_destroyed = json_object();
}

static void
jmap_set_out_free(struct jmap_set_out *o)
{
	json_decref(o->created);
	json_decref(o->not_created);
	json_decref(o->updated);
	json_decref(o->not_updated);
	json_decref(o->destroyed);
	json_decref(o->not_destroyed);
}

/* The /set response from o (whose maps it takes) and the states. */
static json_t *
jmap_set_out_result(struct jmap_ctx *ctx, json_t *args, uint64_t old,
		    struct jmap_set_out *o)
{
	const char *why = NULL;
	uint64_t now;

	if (store_jmap_state(ctx->store, ctx->account_id, &now, &why) < 0)
		now = old;
	return json_pack(
	    "{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "accountId",
	    json_string_value(json_object_get(args, "accountId")), "oldState",
	    jmap_mail_state(old), "newState", jmap_mail_state(now), "created",
	    o->created, "notCreated", o->not_created, "updated", o->updated,
	    "notUpdated", o->not_updated, "destroyed", o->destroyed,
	    "notDestroyed", o->not_destroyed);
}

/* ---- Identity (RFC 8621 6) ---- */

/* Make sure the account's address and the aliases that expand to it
   have an Identity each (created with mayDelete false). */
static int
jmap_identity_sync(struct jmap_ctx *ctx, const struct smtp_submit_aliases *al,
		   json_t *all, json_t **error_r)
{
	const char *why = NULL;
	size_t i, n = al->n + 1;

	for (i = 0; i < n; i++) {
		const char *addr = i == 0 ? ctx->account : al->addr[i - 1];
		const char *key;
		json_t *v, *o;
		bool have = false;

		if (i > 0 && (strcasecmp(addr, ctx->account) == 0 ||
			      !smtp_submit_sender_owned(ctx->cfg, al,
							ctx->account, addr)))
			continue;
		json_object_foreach(all, key, v) {
			const char *e =
			    json_string_value(json_object_get(v, "email"));

			if (e != NULL && strcasecmp(e, addr) == 0)
				have = true;
		}
		if (have)
			continue;
		o = json_pack("{s:s, s:s, s:n, s:n, s:s, s:s, s:b}", "name", "",
			      "email", addr, "replyTo", "bcc", "textSignature",
			      "", "htmlSignature", "", "mayDelete", 0);
		if (jmap_sub_put(ctx, STORE_JMAP_IDENTITY, 0, o, NULL, &why) <
		    0) {
			json_decref(o);
			*error_r = jmap_mail_fail(why);
			return -1;
		}
		json_decref(o);
	}
	return 0;
}

/* The account's Identities (synced first), new reference or NULL. */
static json_t *
jmap_identities(struct jmap_ctx *ctx, struct smtp_submit_aliases *al,
		json_t **error_r)
{
	json_t *all = jmap_sub_load(ctx, STORE_JMAP_IDENTITY, JMAP_ID_IDENTITY,
				    error_r);

	if (all == NULL)
		return NULL;
	if (jmap_identity_sync(ctx, al, all, error_r) < 0) {
		json_decref(all);
		return NULL;
	}
	json_decref(all);
	return jmap_sub_load(ctx, STORE_JMAP_IDENTITY, JMAP_ID_IDENTITY,
			     error_r);
}

static int
jmap_sub_aliases(struct jmap_ctx *ctx, struct smtp_submit_aliases *al,
		 json_t **error_r)
{
	const char *why = NULL;

	if (smtp_submit_aliases_load(ctx->store, al, &why) < 0) {
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	return 0;
}

int
jmap_identity_get(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		  json_t **error_r)
{
	struct smtp_submit_aliases al;
	json_t *all;

	if (jmap_mail_account(ctx, args, error_r) < 0 ||
	    jmap_sub_aliases(ctx, &al, error_r) < 0)
		return -1;
	all = jmap_identities(ctx, &al, error_r);
	smtp_submit_aliases_free(&al);
	if (all == NULL)
		return -1;
	json_decref(all);
	return jmap_sub_get(ctx, args, STORE_JMAP_IDENTITY, JMAP_ID_IDENTITY,
			    result_r, error_r);
}

int
jmap_identity_changes(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		      json_t **error_r)
{
	return jmap_mail_changes(ctx, args, STORE_JMAP_IDENTITY,
				 JMAP_ID_IDENTITY, result_r, error_r);
}

/* Is v an EmailAddress[] or null (RFC 8621 6)? */
static bool
jmap_sub_addresses_ok(json_t *v)
{
	json_t *a;
	size_t i;

	if (json_is_null(v))
		return true;
	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, a) {
		json_t *name = json_object_get(a, "name");

		if (!json_is_string(json_object_get(a, "email")) ||
		    (name != NULL && !json_is_null(name) &&
		     !json_is_string(name)))
			return false;
	}
	return true;
}

/* Apply the settable properties of patch to identity o.  NULL, or a
   SetError. */
static json_t *
jmap_identity_apply(json_t *o, json_t *patch, bool create)
{
	static const char *const strs[] = {"name", "textSignature",
					   "htmlSignature"};
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach(patch, key, v) {
		bool ok = false;

		for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (strcmp(key, strs[i]) == 0)
				ok = json_is_string(v);
		if (strcmp(key, "replyTo") == 0 || strcmp(key, "bcc") == 0)
			ok = jmap_sub_addresses_ok(v);
		if (strcmp(key, "email") == 0)
			ok = create && json_is_string(v);
		if (strcmp(key, "id") == 0 || strcmp(key, "mayDelete") == 0)
			ok = json_equal(v, json_object_get(o, key));
		if (!ok)
			return jmap_mail_bad_prop(key);
		json_object_set(o, key, v);
	}
	return NULL;
}

int
jmap_identity_set(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		  json_t **error_r)
{
	json_t *create = json_object_get(args, "create");
	json_t *update = json_object_get(args, "update");
	json_t *destroy = json_object_get(args, "destroy");
	struct jmap_set_out out;
	struct smtp_submit_aliases al;
	json_t *all, *v;
	const char *key, *why = NULL;
	uint64_t old;
	size_t i;

	jmap_set_out_init(&out);
	if (jmap_mail_account(ctx, args, error_r) < 0 ||
	    jmap_mail_set_begin(ctx, args, &old, error_r) < 0)
		goto fail0;
	if (jmap_sub_aliases(ctx, &al, error_r) < 0)
		goto fail0;
	if ((all = jmap_identities(ctx, &al, error_r)) == NULL) {
		smtp_submit_aliases_free(&al);
		goto fail0;
	}
	(void)store_jmap_state(ctx->store, ctx->account_id, &old, &why);
	json_object_foreach(create, key, v) {
		json_t *o = json_pack("{s:s, s:n, s:n, s:s, s:s, s:b}", "name",
				      "", "replyTo", "bcc", "textSignature", "",
				      "htmlSignature", "", "mayDelete", 1);
		json_t *err = json_is_object(v) ? jmap_identity_apply(o, v, true)
						: jmap_mail_bad_prop("email");
		const char *email = json_string_value(json_object_get(o, "email"));
		int64_t id;

		/* RFC 8621 6.3: only addresses the user may send as */
		if (err == NULL && email == NULL)
			err = jmap_mail_bad_prop("email");
		if (err == NULL && !smtp_submit_sender_owned(ctx->cfg, &al,
							     ctx->account, email))
			err = jmap_error("forbiddenFrom",
					 "not an address of this account");
		if (err == NULL &&
		    jmap_sub_put(ctx, STORE_JMAP_IDENTITY, 0, o, &id, &why) < 0)
			err = jmap_mail_fail(why);
		if (err != NULL) {
			json_object_set_new(out.not_created, key, err);
		} else {
			char sid[32];

			snprintf(sid, sizeof(sid), "%c%lld", JMAP_ID_IDENTITY,
				 (long long)id);
			jmap_ctx_created_set(ctx, key, sid);
			json_object_set_new(out.created, key,
					    json_pack("{s:s, s:b}", "id", sid,
						      "mayDelete", 1));
		}
		json_decref(o);
	}
	json_object_foreach(update, key, v) {
		json_t *o = json_object_get(all, key), *err = NULL;

		if (o == NULL)
			err = jmap_error("notFound", NULL);
		else if (!json_is_object(v))
			err = jmap_error("invalidPatch", NULL);
		else
			err = jmap_identity_apply(o, v, false);
		if (err == NULL &&
		    jmap_sub_put(ctx, STORE_JMAP_IDENTITY,
				 jmap_mail_id_parse(key, JMAP_ID_IDENTITY), o,
				 NULL, &why) < 0)
			err = jmap_mail_fail(why);
		if (err != NULL)
			json_object_set_new(out.not_updated, key, err);
		else
			json_object_set_new(out.updated, key, json_null());
	}
	json_array_foreach(destroy, i, v) {
		const char *id = json_string_value(v);
		json_t *o = id != NULL ? json_object_get(all, id) : NULL, *err = NULL;

		if (o == NULL)
			err = jmap_error("notFound", NULL);
		else if (!json_is_true(json_object_get(o, "mayDelete")))
			err = jmap_error("forbidden",
					 "the account's own addresses stay");
		else if (jmap_sub_put(ctx, STORE_JMAP_IDENTITY,
				      jmap_mail_id_parse(id, JMAP_ID_IDENTITY),
				      NULL, NULL, &why) < 0)
			err = jmap_mail_fail(why);
		if (err != NULL)
			json_object_set_new(out.not_destroyed, id != NULL ? id : "",
					    err);
		else
			json_array_append(out.destroyed, v);
	}
	smtp_submit_aliases_free(&al);
	json_decref(all);
	*result_r = jmap_set_out_result(ctx, args, old, &out);
	return 0;
fail0:
	jmap_set_out_free(&out);
	return -1;
}

/* ---- EmailSubmission (RFC 8621 7) ---- */

int
jmap_submission_get(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		    json_t **error_r)
{
	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	return jmap_sub_get(ctx, args, STORE_JMAP_SUBMISSION,
			    JMAP_ID_SUBMISSION, result_r, error_r);
}

int
jmap_submission_changes(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
			json_t **error_r)
{
	return jmap_mail_changes(ctx, args, STORE_JMAP_SUBMISSION,
				 JMAP_ID_SUBMISSION, result_r, error_r);
}

/* Does submission o pass FilterCondition cond (RFC 8621 7.3)?  1, 0, or
   -1 for an unknown condition. */
static int
jmap_submission_match(json_t *cond, void *arg)
{
	json_t *o = arg, *v;
	const char *key;
	static const char *const lists[][2] = {{"identityIds", "identityId"},
					       {"emailIds", "emailId"},
					       {"threadIds", "threadId"}};

	json_object_foreach(cond, key, v) {
		size_t i, k;
		bool known = false, hit = false;
		json_t *x;

		for (i = 0; i < 3; i++) {
			if (strcmp(key, lists[i][0]) != 0)
				continue;
			known = true;
			if (!json_is_array(v))
				return -1;
			json_array_foreach(v, k, x)
				if (json_equal(x, json_object_get(o, lists[i][1])))
					hit = true;
			if (!hit)
				return 0;
		}
		if (strcmp(key, "undoStatus") == 0) {
			known = true;
			if (!json_equal(v, json_object_get(o, "undoStatus")))
				return 0;
		}
		if (strcmp(key, "before") == 0 || strcmp(key, "after") == 0) {
			int64_t t, at;

			known = true;
			if (jmap_mail_utcdate_parse(json_string_value(v), &t) <
				0 ||
			    jmap_mail_utcdate_parse(json_string_value(
							json_object_get(o, "sendAt")),
						    &at) < 0)
				return -1;
			if (key[0] == 'b' ? !(at < t) : !(at >= t))
				return 0;
		}
		if (!known)
			return -1;
	}
	return 1;
}

int
jmap_submission_query(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		      json_t **error_r)
{
	json_t *filter = json_object_get(args, "filter");
	json_t *sort = json_object_get(args, "sort");
	json_t *jpos = json_object_get(args, "position");
	json_t *jlim = json_object_get(args, "limit");
	json_t *all, *ids = json_array(), *v, *page;
	const char *key, *why = NULL;
	json_int_t pos = 0, limit = JMAP_QUERY_LIMIT_MAX;
	uint64_t state;
	size_t total, i;
	bool desc = false;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		goto fail0;
	/* Ids are made in send order, so sentAt order is id order. */
	if (json_is_array(sort) && json_array_size(sort) > 0) {
		json_t *c = json_array_get(sort, 0);
		const char *p = json_string_value(json_object_get(c, "property"));

		if (json_array_size(sort) > 1 || p == NULL ||
		    strcmp(p, "sentAt") != 0) {
			*error_r = jmap_error("unsupportedSort", NULL);
			goto fail0;
		}
		desc = json_is_false(json_object_get(c, "isAscending"));
	}
	if ((jpos != NULL && !json_is_integer(jpos)) ||
	    (jlim != NULL && !json_is_null(jlim) &&
	     (!json_is_integer(jlim) || json_integer_value(jlim) < 0))) {
		*error_r = jmap_error("invalidArguments", "position, limit");
		goto fail0;
	}
	if (json_is_integer(jpos))
		pos = json_integer_value(jpos);
	if (json_is_integer(jlim) && json_integer_value(jlim) < limit)
		limit = json_integer_value(jlim);
	if (store_jmap_state(ctx->store, ctx->account_id, &state, &why) < 0) {
		*error_r = jmap_mail_fail(why);
		goto fail0;
	}
	all = jmap_sub_load(ctx, STORE_JMAP_SUBMISSION, JMAP_ID_SUBMISSION,
			    error_r);
	if (all == NULL)
		goto fail0;
	json_object_foreach(all, key, v) {
		int m = 1;

		if (filter != NULL && !json_is_null(filter)) {
			m = jmap_mail_filter_op(filter, jmap_submission_match, v);
			if (m == -2)
				m = jmap_submission_match(filter, v);
		}
		if (m < 0) {
			json_decref(all);
			*error_r = jmap_error("unsupportedFilter", NULL);
			goto fail0;
		}
		if (m == 1)
			json_array_append_new(ids, json_string(key));
	}
	json_decref(all);
	/* object keys come in no fixed order: sort by numeric id */
	total = json_array_size(ids);
	{
		int64_t *n = xcalloc(total + 1, sizeof(*n));
		size_t a, b;

		for (i = 0; i < total; i++)
			n[i] = jmap_mail_id_parse(
			    json_string_value(json_array_get(ids, i)),
			    JMAP_ID_SUBMISSION);
		for (a = 1; a < total; a++)
			for (b = a; b > 0 && (desc ? n[b] > n[b - 1]
						  : n[b] < n[b - 1]);
			     b--) {
				int64_t t = n[b];

				n[b] = n[b - 1];
				n[b - 1] = t;
			}
		json_array_clear(ids);
		for (i = 0; i < total; i++)
			json_array_append_new(
			    ids, jmap_mail_id(JMAP_ID_SUBMISSION, n[i]));
		free(n);
	}
	if (pos < 0)
		pos = (json_int_t)total + pos < 0 ? 0 : (json_int_t)total + pos;
	page = json_array();
	for (i = (size_t)pos; i < total && (json_int_t)json_array_size(page) < limit;
	     i++)
		json_array_append(page, json_array_get(ids, i));
	json_decref(ids);
	*result_r = json_pack(
	    "{s:s, s:o, s:b, s:I, s:o, s:I}", "accountId",
	    json_string_value(json_object_get(args, "accountId")), "queryState",
	    jmap_mail_state(state), "canCalculateChanges", 0, "position",
	    (json_int_t)(pos > (json_int_t)total ? (json_int_t)total : pos),
	    "ids", page, "total", (json_int_t)total);
	return 0;
fail0:
	json_decref(ids);
	return -1;
}

/* Waiting on a worker thread for smtp_submit_buf's completion. */
struct jmap_send_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int ok;
	const char *error;
};

static void
jmap_send_done(void *arg, int ok, const char *error, size_t n_local,
	       size_t n_remote)
{
	struct jmap_send_wait *w = arg;

	(void)n_local;
	(void)n_remote;
	pthread_mutex_lock(&w->mu);
	w->done = true;
	w->ok = ok;
	w->error = error;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Collect the addresses of header field name into the array rcpts,
   each once (RFC 8621 7: "the deduplicated set"). */
static void
jmap_send_header_addrs(const char *h, size_t hn, const char *name,
		       json_t *rcpts)
{
	json_t *all = jmap_mail_header_get(h, hn, name, "Addresses", true);
	json_t *one, *a, *r;
	size_t i, k, m;

	json_array_foreach(all, i, one) {
		json_array_foreach(one, k, a) {
			const char *e =
			    json_string_value(json_object_get(a, "email"));
			bool seen = false;

			json_array_foreach(rcpts, m, r)
				seen |= e != NULL &&
					strcasecmp(e, json_string_value(
							  json_object_get(
							      r, "email"))) == 0;
			if (e != NULL && !seen)
				json_array_append_new(
				    rcpts, json_pack("{s:s, s:n}", "email", e,
						     "parameters"));
		}
	}
	json_decref(all);
}

/* The message without its Bcc fields (RFC 8621 7.5: "the server MUST
   remove any Bcc header" from a message sent with a generated
   envelope), into out. */
static void
jmap_send_strip_bcc(const uint8_t *m, size_t n, size_t hn, struct buf *out)
{
	size_t i = 0;
	bool skip = false;

	buf_reset(out);
	while (i < hn) {
		const uint8_t *lf = memchr(m + i, '\n', hn - i);
		size_t len = lf != NULL ? (size_t)(lf - (m + i)) + 1 : hn - i;

		if (m[i] != ' ' && m[i] != '\t')
			skip = len > 4 && strncasecmp((const char *)m + i,
						      "bcc:", 4) == 0;
		if (!skip)
			(void)buf_append(out, m + i, len);
		i += len;
	}
	(void)buf_append(out, m + hn, n - hn);
}

/* Where the recipients of one submission go. */
struct jmap_send_to {
	int64_t *ids; /* local accounts, each once */
	size_t n_ids;
	const char **remote; /* queued addresses, each once (borrowed) */
	size_t n_remote;
	json_t *status; /* deliveryStatus at create */
	json_t *via;    /* "_remote" (jmap_sub_fold) */
	json_t *bad;    /* addresses for invalidRecipients */
};

static void
jmap_send_to_free(struct jmap_send_to *t)
{
	free(t->ids);
	free(t->remote);
	json_decref(t->status);
	json_decref(t->via);
	json_decref(t->bad);
}

/* Add what one recipient resolved to (ids[0..n_ids), rem[0..n_rem))
   to t's lists, skipping what they hold already. */
static void
jmap_send_to_merge(struct jmap_send_to *t, const int64_t *ids, size_t n_ids,
		   const char *const *rem, size_t n_rem)
{
	size_t k, m;

	for (k = 0; k < n_ids; k++) {
		for (m = 0; m < t->n_ids && t->ids[m] != ids[k]; m++)
			;
		if (m == t->n_ids) {
			t->ids = xrealloc(t->ids, (m + 1) * sizeof(*t->ids));
			t->ids[t->n_ids++] = ids[k];
		}
	}
	for (k = 0; k < n_rem; k++) {
		for (m = 0; m < t->n_remote && strcmp(t->remote[m], rem[k]) != 0;
		     m++)
			;
		if (m == t->n_remote) {
			t->remote =
			    xrealloc(t->remote, (m + 1) * sizeof(*t->remote));
			t->remote[t->n_remote++] = rem[k];
		}
	}
}

/* Resolve every rcptTo of rcpts into t (whose strings then borrow from
   rcpts and al).  0, or -1 on a store error (*why_r). */
static int
jmap_send_resolve(struct jmap_ctx *ctx, const struct smtp_submit_aliases *al,
		  json_t *rcpts, struct jmap_send_to *t, const char **why_r)
{
	json_t *a;
	size_t i, k;

	t->status = json_object();
	t->via = json_object();
	t->bad = json_array();
	json_array_foreach(rcpts, i, a) {
		const char *to = json_string_value(json_object_get(a, "email"));
		const char **rem = NULL;
		int64_t *ids = NULL;
		size_t n_ids = 0, n_rem = 0;
		int rc = -2;

		if (to != NULL && strchr(to, '@') != NULL &&
		    strlen(to) <= SMTP_PATH_MAX)
			rc = smtp_submit_resolve(ctx->store, ctx->cfg, al, to,
						 &ids, &n_ids, &rem, &n_rem,
						 why_r);
		if (rc == 0) { /* a remote address */
			rem = xrealloc(rem, (n_rem + 1) * sizeof(*rem));
			rem[n_rem++] = to;
		}
		if (rc == -1 || rc == -2) {
			free(ids);
			free(rem);
			if (rc == -1)
				return -1;
			json_array_append_new(t->bad,
					      json_string(to != NULL ? to : ""));
			continue;
		}
		jmap_send_to_merge(t, ids, n_ids, rem, n_rem);
		/* RFC 8621 7: local copies are delivered by the submission's
		   commit; a queued address is "queued" until the queue has
		   an outcome (jmap_sub_fold) */
		json_object_set_new(
		    t->status, to,
		    json_pack("{s:s, s:s, s:s}", "smtpReply",
			      n_rem > 0 ? JMAP_SUB_REPLY_QUEUED
					: JMAP_SUB_REPLY_LOCAL,
			      "delivered", n_rem > 0 ? "queued" : "yes",
			      "displayed", "unknown"));
		if (n_rem > 0) {
			json_t *list = json_array();

			for (k = 0; k < n_rem; k++)
				json_array_append_new(list,
						      json_string(rem[k]));
			json_object_set_new(t->via, to,
					    json_pack("{s:b, s:o}", "local",
						      n_ids > 0, "to", list));
		}
		free(ids);
		free(rem);
	}
	return 0;
}

/* A random 128-bit nonce in hex (the secret of the envelope id). */
static int
jmap_send_nonce(char out[33])
{
	unsigned char rnd[16];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

/* Store obj as a new submission first (undoStatus "pending": the queue,
   kicked by the commit, may have outcomes before this returns and must
   find the object), submit msg[0..n) with the object's envelope id,
   then make it "final", or destroy it when the submission failed.
   NULL with the id in *id_r, or a SetError. */
static json_t *
jmap_send_commit(struct jmap_ctx *ctx, json_t *obj, const char *nonce,
		 const char *mail_from, const struct jmap_send_to *t,
		 const void *msg, size_t n, int64_t *id_r)
{
	struct jmap_send_wait w = {.done = false};
	struct smtp_submit sub = {0};
	struct smtp_submit_rcpt *sr;
	const char *why = NULL;
	int64_t id = 0;
	size_t i, k = 0;
	char *envid;

	if (jmap_sub_put(ctx, STORE_JMAP_SUBMISSION, 0, obj, &id, &why) < 0)
		return jmap_mail_fail(why);
	envid = store_jmap_obj_envid(id, nonce);
	sr = xcalloc(t->n_ids + t->n_remote + 1, sizeof(*sr));
	for (i = 0; i < t->n_ids; i++)
		sr[k++] = (struct smtp_submit_rcpt){.account_id = t->ids[i]};
	for (i = 0; i < t->n_remote; i++)
		sr[k++] = (struct smtp_submit_rcpt){.remote = t->remote[i]};
	sub.sender = mail_from;
	sub.rcpts = sr;
	sub.n_rcpts = k;
	sub.queue = ctx->queue;
	/* RFC 8621 7 allows the server's own ENVID (RFC 3461) */
	sub.dsn_envid = envid;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	/* the completion runs on the loop: wait here (a pool thread) */
	smtp_submit_buf(ctx->store, &sub, msg, n, jmap_send_done, &w);
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	free(sr);
	free(envid);
	if (!w.ok) {
		(void)jmap_sub_put(ctx, STORE_JMAP_SUBMISSION, id, NULL, NULL,
				   &why);
		return jmap_mail_fail(w.error);
	}
	/* RFC 8621 7: buzon holds nothing back for undo (maxDelayedSend
	   0): once submitted it cannot be recalled */
	if (store_jmap_obj_patch(ctx->store, ctx->account_id,
				 STORE_JMAP_SUBMISSION, id,
				 "{\"undoStatus\":\"final\"}", &why) < 0)
		log_error("jmap: submission S%lld sent, not marked final: %s",
			  (long long)id, why);
	json_object_set_new(obj, "undoStatus", json_string("final"));
	*id_r = id;
	return NULL;
}

/* Send one EmailSubmission create.  NULL with the stored object in
   *obj_r (new reference) and its id in *id_r, or a SetError. */
static json_t *
jmap_send(struct jmap_ctx *ctx, json_t *create, json_t *identities,
	  const struct smtp_submit_aliases *al, json_t **obj_r, int64_t *id_r)
{
	const char *ident_id = json_string_value(json_object_get(create, "identityId"));
	const char *email_id = json_string_value(json_object_get(create, "emailId"));
	json_t *env = json_object_get(create, "envelope");
	json_t *ident, *from = NULL, *rcpts = NULL, *err = NULL, *a, *obj;
	struct store_jmap_email *e = NULL;
	struct jmap_send_to to = {0};
	struct buf msg, hdr, sendbuf;
	const char *why = NULL, *mail_from;
	char nonce[33];
	int64_t eid;
	size_t n_e = 0, i, hn;
	uint64_t st;

	buf_init(&msg, 0);
	buf_init(&hdr, 0);
	buf_init(&sendbuf, 0);
	if (ident_id != NULL && ident_id[0] == '#')
		ident_id = jmap_ctx_created_get(ctx, ident_id + 1);
	if (email_id != NULL && email_id[0] == '#')
		email_id = jmap_ctx_created_get(ctx, email_id + 1);
	ident = ident_id != NULL ? json_object_get(identities, ident_id) : NULL;
	if (ident == NULL) {
		err = jmap_mail_bad_prop("identityId");
		goto out;
	}
	eid = email_id != NULL ? jmap_mail_id_parse(email_id, JMAP_ID_EMAIL) : 0;
	if (eid == 0 ||
	    store_jmap_emails(ctx->store, ctx->account_id, &eid, 1, &e, &n_e,
			      &st, &why) < 0 ||
	    n_e == 0) {
		err = why != NULL ? jmap_mail_fail(why)
				  : jmap_mail_bad_prop("emailId");
		goto out;
	}
	if (jmap_mail_read_file(e->blob_path, SMTP_MESSAGE_SIZE_DEFAULT, &msg) <
		0 ||
	    jmap_mail_read_header(e->blob_path, &hdr) < 0) {
		err = jmap_mail_fail("message file unreadable");
		goto out;
	}
	hn = buf_len(&hdr);
	/* RFC 8621 7.5: From must be one address the user may send as */
	from = jmap_mail_header_get((const char *)buf_rptr(&hdr), hn, "From",
				    "Addresses", false);
	if (!json_is_array(from) || json_array_size(from) == 0) {
		err = jmap_error("invalidEmail", "the Email has no From");
		json_object_set_new(err, "properties",
				    json_pack("[s]", "from"));
		goto out;
	}
	json_array_foreach(from, i, a) {
		const char *fa = json_string_value(json_object_get(a, "email"));

		if (fa == NULL ||
		    !smtp_submit_sender_owned(ctx->cfg, al, ctx->account, fa)) {
			err = jmap_error("forbiddenFrom",
					 "From is not an address of this "
					 "account");
			goto out;
		}
	}
	if (json_is_object(env)) {
		mail_from = json_string_value(
		    json_object_get(json_object_get(env, "mailFrom"), "email"));
		rcpts = json_incref(json_object_get(env, "rcptTo"));
		if (mail_from == NULL || !json_is_array(rcpts)) {
			err = jmap_mail_bad_prop("envelope");
			goto out;
		}
		if (mail_from[0] != '\0' &&
		    !smtp_submit_sender_owned(ctx->cfg, al, ctx->account,
					      mail_from)) {
			err = jmap_error("forbiddenMailFrom", NULL);
			goto out;
		}
		(void)buf_append(&sendbuf, buf_rptr(&msg), buf_len(&msg));
	} else if (env != NULL && !json_is_null(env)) {
		err = jmap_mail_bad_prop("envelope");
		goto out;
	} else {
		/* RFC 8621 7.5: the envelope from the identity and the
		   Email's To, Cc and Bcc */
		mail_from = json_string_value(json_object_get(ident, "email"));
		rcpts = json_array();
		jmap_send_header_addrs((const char *)buf_rptr(&hdr), hn, "To",
				       rcpts);
		jmap_send_header_addrs((const char *)buf_rptr(&hdr), hn, "Cc",
				       rcpts);
		jmap_send_header_addrs((const char *)buf_rptr(&hdr), hn, "Bcc",
				       rcpts);
		jmap_send_strip_bcc(buf_rptr(&msg), buf_len(&msg), hn,
				    &sendbuf);
		env = json_pack("{s:{s:s, s:n}, s:O}", "mailFrom", "email",
				mail_from, "parameters", "rcptTo", rcpts);
		json_object_set_new(create, "envelope", env);
	}
	if (json_array_size(rcpts) == 0) {
		err = jmap_error("noRecipients", NULL);
		goto out;
	}
	if (json_array_size(rcpts) > SMTP_RCPT_MAX) {
		/* RFC 8621 7.5: with maxRecipients */
		err = jmap_error("tooManyRecipients", NULL);
		json_object_set_new(err, "maxRecipients",
				    json_integer(SMTP_RCPT_MAX));
		goto out;
	}
	if (jmap_send_resolve(ctx, al, rcpts, &to, &why) < 0) {
		err = jmap_mail_fail(why);
		goto out;
	}
	if (json_array_size(to.bad) > 0) {
		err = jmap_error("invalidRecipients", NULL);
		json_object_set(err, "invalidRecipients", to.bad);
		goto out;
	}
	if (jmap_send_nonce(nonce) < 0) {
		err = jmap_mail_fail("no random numbers");
		goto out;
	}
	obj = json_pack("{s:s, s:s, s:o, s:O, s:o, s:s, s:O, s:[], s:[], "
			"s:s, s:O}",
			"identityId", ident_id, "emailId", email_id, "threadId",
			jmap_mail_id(JMAP_ID_THREAD,
				     e->thread_id != 0 ? e->thread_id : e->id),
			"envelope", json_object_get(create, "envelope"),
			"sendAt", jmap_mail_utcdate(time(NULL)), "undoStatus",
			"pending", "deliveryStatus", to.status, "dsnBlobIds",
			"mdnBlobIds", "_nonce", nonce, "_remote", to.via);
	err = jmap_send_commit(ctx, obj, nonce, mail_from, &to,
			       buf_rptr(&sendbuf), buf_len(&sendbuf), id_r);
	if (err == NULL)
		*obj_r = obj;
	else
		json_decref(obj);
out:
	jmap_send_to_free(&to);
	json_decref(from);
	json_decref(rcpts);
	if (e != NULL)
		store_jmap_emails_free(e, n_e);
	buf_deinit(&msg);
	buf_deinit(&hdr);
	buf_deinit(&sendbuf);
	return err;
}

/* RFC 8621 7.5: onSuccessUpdateEmail / onSuccessDestroyEmail, as an
   implicit Email/set answered right after this call.  done maps each
   EmailSubmission that this call created ("#<creation id>"), updated or
   destroyed (its id) to its emailId. */
static void
jmap_submission_on_success(struct jmap_ctx *ctx, json_t *args, json_t *done)
{
	json_t *upd = json_object_get(args, "onSuccessUpdateEmail");
	json_t *des = json_object_get(args, "onSuccessDestroyEmail");
	json_t *eargs, *u = json_object(), *d = json_array(), *v, *res = NULL,
		       *err = NULL;
	const char *key;
	size_t i;

	json_object_foreach(upd, key, v) {
		const char *eid = json_string_value(json_object_get(done, key));

		if (eid != NULL)
			json_object_set(u, eid, v);
	}
	json_array_foreach(des, i, v) {
		json_t *eid = json_is_string(v)
				  ? json_object_get(done, json_string_value(v))
				  : NULL;

		if (eid != NULL)
			json_array_append(d, eid);
	}
	if (json_object_size(u) == 0 && json_array_size(d) == 0) {
		json_decref(u);
		json_decref(d);
		return;
	}
	eargs = json_pack("{s:O, s:o, s:o}", "accountId",
			  json_object_get(args, "accountId"), "update", u,
			  "destroy", d);
	if (jmap_email_set(ctx, eargs, &res, &err) == 0)
		jmap_ctx_extra(ctx, "Email/set", res);
	else
		jmap_ctx_extra(ctx, "error", err);
	json_decref(eargs);
}

/* Remember in done that submission id (of all) succeeded. */
static void
jmap_submission_done(json_t *done, json_t *all, const char *id)
{
	json_t *eid = json_object_get(json_object_get(all, id), "emailId");

	if (eid != NULL)
		json_object_set(done, id, eid);
}

int
jmap_submission_set(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		    json_t **error_r)
{
	json_t *create = json_object_get(args, "create");
	json_t *update = json_object_get(args, "update");
	json_t *destroy = json_object_get(args, "destroy");
	json_t *upd = json_object_get(args, "onSuccessUpdateEmail");
	json_t *des = json_object_get(args, "onSuccessDestroyEmail");
	struct jmap_set_out o;
	json_t *idents = NULL, *all = NULL, *done = json_object(), *v;
	struct smtp_submit_aliases al = {0};
	const char *key, *why = NULL;
	uint64_t old;
	size_t i;

	jmap_set_out_init(&o);
	if (jmap_mail_account(ctx, args, error_r) < 0 ||
	    jmap_mail_set_begin(ctx, args, &old, error_r) < 0)
		goto fail;
	if ((upd != NULL && !json_is_null(upd) && !json_is_object(upd)) ||
	    (des != NULL && !json_is_null(des) && !json_is_array(des))) {
		*error_r = jmap_error("invalidArguments",
				      "onSuccessUpdateEmail: an object, "
				      "onSuccessDestroyEmail: an array");
		goto fail;
	}
	if (jmap_sub_aliases(ctx, &al, error_r) < 0)
		goto fail;
	if ((idents = jmap_identities(ctx, &al, error_r)) == NULL ||
	    (all = jmap_sub_load(ctx, STORE_JMAP_SUBMISSION,
				 JMAP_ID_SUBMISSION, error_r)) == NULL)
		goto fail;
	json_object_foreach(create, key, v) {
		json_t *obj = NULL, *err;
		int64_t id = 0;

		err = json_is_object(v)
			  ? jmap_send(ctx, v, idents, &al, &obj, &id)
			  : jmap_mail_bad_prop("emailId");
		if (err != NULL) {
			json_object_set_new(o.not_created, key, err);
		} else {
			char sid[32], *ref;

			snprintf(sid, sizeof(sid), "%c%lld",
				 JMAP_ID_SUBMISSION, (long long)id);
			jmap_ctx_created_set(ctx, key, sid);
			/* RFC 8620 5.3: the server-set properties */
			json_object_set_new(
			    o.created, key,
			    json_pack("{s:s, s:O, s:O, s:O}", "id", sid,
				      "threadId",
				      json_object_get(obj, "threadId"),
				      "sendAt", json_object_get(obj, "sendAt"),
				      "undoStatus",
				      json_object_get(obj, "undoStatus")));
			ref = xasprintf("#%s", key);
			json_object_set(done, ref,
					json_object_get(obj, "emailId"));
			free(ref);
		}
		json_decref(obj);
	}
	json_object_foreach(update, key, v) {
		json_t *err;

		/* RFC 8621 7.5: sending is immediate, undoStatus is
		   "final" and cannot become "canceled" */
		if (json_object_get(all, key) == NULL)
			err = jmap_error("notFound", NULL);
		else if (json_is_object(v) && json_object_size(v) == 1 &&
			 json_is_string(json_object_get(v, "undoStatus")) &&
			 strcmp(json_string_value(json_object_get(
				    v, "undoStatus")),
				"final") == 0)
			err = NULL;
		else if (json_is_object(v) &&
			 json_object_get(v, "undoStatus") != NULL)
			err = jmap_error("cannotUnsend", NULL);
		else
			err = jmap_error("invalidProperties", NULL);
		if (err != NULL) {
			json_object_set_new(o.not_updated, key, err);
		} else {
			json_object_set_new(o.updated, key, json_null());
			jmap_submission_done(done, all, key);
		}
	}
	json_array_foreach(destroy, i, v) {
		const char *id = json_string_value(v);

		if (id == NULL || json_object_get(all, id) == NULL) {
			json_object_set_new(o.not_destroyed, id ? id : "",
					    jmap_error("notFound", NULL));
		} else if (jmap_sub_put(ctx, STORE_JMAP_SUBMISSION,
					jmap_mail_id_parse(id,
							   JMAP_ID_SUBMISSION),
					NULL, NULL, &why) < 0) {
			json_object_set_new(o.not_destroyed, id,
					    jmap_mail_fail(why));
		} else {
			json_array_append(o.destroyed, v);
			jmap_submission_done(done, all, id);
		}
	}
	*result_r = jmap_set_out_result(ctx, args, old, &o);
	jmap_submission_on_success(ctx, args, done);
	json_decref(done);
	json_decref(idents);
	json_decref(all);
	smtp_submit_aliases_free(&al);
	return 0;
fail:
	jmap_set_out_free(&o);
	json_decref(done);
	json_decref(idents);
	json_decref(all);
	smtp_submit_aliases_free(&al);
	return -1;
}

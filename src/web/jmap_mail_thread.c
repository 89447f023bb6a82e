/* jmap_mail_thread.c: Thread/get and Thread/changes (RFC 8621 3). */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_mail.h"

#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "xalloc.h"

/* The Thread object of the run of l[*i..n) with l[*i]'s Thread id
   (emailIds oldest receivedAt first, as the store orders them); *i
   moves past the run. */
static json_t *
jmap_thread_object(const struct store_jmap_ref *l, size_t n, size_t *i)
{
	json_t *emails = json_array();
	int64_t t = l[*i].thread_id;

	for (; *i < n && l[*i].thread_id == t; (*i)++)
		json_array_append_new(emails,
				      jmap_mail_id(JMAP_ID_EMAIL, l[*i].id));
	return json_pack("{s:o, s:o}", "id", jmap_mail_id(JMAP_ID_THREAD, t),
			 "emailIds", emails);
}

int
jmap_thread_get(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		json_t **error_r)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *list, *nf, *v, *found;
	struct store_jmap_ref *l = NULL;
	int64_t *rows = NULL;
	const char *why = NULL;
	uint64_t state;
	size_t n = 0, i, nids = json_array_size(ids);
	int rc;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if (ids != NULL && !json_is_null(ids) && !json_is_array(ids)) {
		*error_r = jmap_error("invalidArguments", "ids must be an array");
		return -1;
	}
	if (nids > JMAP_OBJECTS_GET_MAX) {
		*error_r = jmap_error("requestTooLarge", NULL);
		return -1;
	}
	if (jmap_mail_threads_sync(ctx, error_r) < 0)
		return -1;
	rows = xcalloc(nids + 1, sizeof(*rows));
	json_array_foreach(ids, i, v) rows[i] =
	    jmap_mail_id_parse(json_string_value(v), JMAP_ID_THREAD);
	/* RFC 8620 5.1: ids null asks for every Thread, within
	   maxObjectsInGet */
	rc = store_jmap_thread_emails(ctx->store, ctx->account_id,
				      json_is_array(ids) ? rows : NULL, nids,
				      JMAP_OBJECTS_GET_MAX, &l, &n, &state,
				      &why);
	free(rows);
	if (rc == -2) {
		*error_r = jmap_error("requestTooLarge",
				      "more Threads than maxObjectsInGet");
		return -1;
	}
	if (rc < 0) {
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	/* the store lists each Thread once, by id; the answer keeps the
	   order (and repeats) of ids */
	found = json_object();
	for (i = 0; i < n;) {
		json_t *t = jmap_thread_object(l, n, &i);

		json_object_set_new(found,
				    json_string_value(json_object_get(t, "id")),
				    t);
	}
	free(l);
	list = json_array();
	nf = json_array();
	if (!json_is_array(ids)) {
		const char *k;

		json_object_foreach(found, k, v) json_array_append(list, v);
	}
	json_array_foreach(ids, i, v) {
		json_t *t = json_is_string(v)
				? json_object_get(found, json_string_value(v))
				: NULL;

		if (t != NULL)
			json_array_append(list, t);
		else
			json_array_append(nf, v);
	}
	json_decref(found);
	*result_r = json_pack("{s:O, s:o, s:o, s:o}", "accountId",
			      json_object_get(args, "accountId"), "state",
			      jmap_mail_state(state), "list", list, "notFound",
			      nf);
	return 0;
}

int
jmap_thread_changes(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		    json_t **error_r)
{
	return jmap_mail_changes(ctx, args, STORE_JMAP_THREAD, JMAP_ID_THREAD,
				 result_r, error_r);
}

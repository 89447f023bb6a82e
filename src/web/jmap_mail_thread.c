/* jmap_mail_thread.c: Thread/get and Thread/changes (RFC 8621 3). */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_mail.h"

#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "store/store.h"
#include "store/store_jmap.h"

/* Emails of a thread: oldest receivedAt first (RFC 8621 3.1), ties by
   id. */
static int
jmap_thread_cmp(const void *a, const void *b)
{
	const struct store_jmap_email *x = *(const struct store_jmap_email *const *)a;
	const struct store_jmap_email *y = *(const struct store_jmap_email *const *)b;

	if (x->received != y->received)
		return x->received < y->received ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

int
jmap_thread_get(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		json_t **error_r)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *list = json_array(), *nf = json_array(), *v;
	struct store_jmap_email *e, **sorted;
	const char *why = NULL;
	uint64_t state;
	size_t n, i, j, k;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		goto fail;
	if (!json_is_array(ids)) {
		/* RFC 8621 3.1: ids null is not supported for Threads */
		*error_r = jmap_error("requestTooLarge",
				      "ask for Threads by id");
		goto fail;
	}
	if (json_array_size(ids) > JMAP_OBJECTS_GET_MAX) {
		*error_r = jmap_error("requestTooLarge", NULL);
		goto fail;
	}
	if (jmap_mail_threads_sync(ctx, error_r) < 0)
		goto fail;
	if (store_jmap_emails(ctx->store, ctx->account_id, NULL, 0, &e, &n,
			      &state, &why) < 0) {
		*error_r = jmap_mail_fail(why);
		goto fail;
	}
	sorted = calloc(n + 1, sizeof(*sorted));
	for (i = 0; i < n; i++)
		sorted[i] = &e[i];
	qsort(sorted, n, sizeof(*sorted), jmap_thread_cmp);
	json_array_foreach(ids, i, v) {
		int64_t t = jmap_mail_id_parse(json_string_value(v),
					       JMAP_ID_THREAD);
		json_t *emails = json_array();

		for (j = 0, k = 0; t != 0 && j < n; j++)
			if (sorted[j]->thread_id == t) {
				json_array_append_new(
				    emails,
				    jmap_mail_id(JMAP_ID_EMAIL, sorted[j]->id));
				k++;
			}
		if (k == 0) {
			json_decref(emails);
			json_array_append(nf, v);
			continue;
		}
		json_array_append_new(list,
				      json_pack("{s:O, s:o}", "id", v,
						"emailIds", emails));
	}
	free(sorted);
	store_jmap_emails_free(e, n);
	*result_r = json_pack("{s:O, s:o, s:o, s:o}", "accountId",
			      json_object_get(args, "accountId"), "state",
			      jmap_mail_state(state), "list", list, "notFound",
			      nf);
	return 0;
fail:
	json_decref(list);
	json_decref(nf);
	return -1;
}

int
jmap_thread_changes(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		    json_t **error_r)
{
	return jmap_mail_changes(ctx, args, STORE_JMAP_THREAD, JMAP_ID_THREAD,
				 result_r, error_r);
}

/* jmap_mail_email_get.c: Email/get and Email/parse (RFC 8621 4.2,
   4.9): metadata, header and body properties of stored Emails and of
   uploaded messages. */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_mail.h"

#include <stdlib.h>
#include <string.h>

#include "imap/imap_match.h"
#include "limits.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "xalloc.h"

/* Convenience properties (RFC 8621 4.1.3) as header forms. */
static const struct {
	const char *prop, *field, *form;
} jmap_email_hdr_props[] = {
    {"messageId", "Message-ID", "MessageIds"},
    {"inReplyTo", "In-Reply-To", "MessageIds"},
    {"references", "References", "MessageIds"},
    {"sender", "Sender", "Addresses"},
    {"from", "From", "Addresses"},
    {"to", "To", "Addresses"},
    {"cc", "Cc", "Addresses"},
    {"bcc", "Bcc", "Addresses"},
    {"replyTo", "Reply-To", "Addresses"},
    {"subject", "Subject", "Text"},
    {"sentAt", "Date", "Date"},
};
#define JMAP_NHDRPROPS                                                         \
	(sizeof(jmap_email_hdr_props) / sizeof(jmap_email_hdr_props[0]))

/* Metadata properties (4.1.1), and those that need the body (4.1.4). */
static const char *const jmap_email_meta_props[] = {
    "id", "blobId", "threadId", "mailboxIds", "keywords", "size",
    "receivedAt",
};
static const char *const jmap_email_body_props[] = {
    "bodyStructure", "textBody",	"htmlBody", "attachments",
    "bodyValues",    "hasAttachment", "preview",
};
#define JMAP_NMETA (sizeof(jmap_email_meta_props) / sizeof(char *))
#define JMAP_NBODY (sizeof(jmap_email_body_props) / sizeof(char *))

static bool
jmap_email_in(const char *p, const char *const *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(p, l[i]) == 0)
			return true;
	return false;
}

static bool
jmap_email_known_prop(const char *p)
{
	char name[256];
	const char *form;
	bool all;
	size_t i;

	if (jmap_email_in(p, jmap_email_meta_props, JMAP_NMETA) ||
	    jmap_email_in(p, jmap_email_body_props, JMAP_NBODY) ||
	    strcmp(p, "headers") == 0)
		return true;
	for (i = 0; i < JMAP_NHDRPROPS; i++)
		if (strcmp(p, jmap_email_hdr_props[i].prop) == 0)
			return true;
	return jmap_mail_header_prop(p, name, sizeof(name), &form, &all) == 0;
}

/* What Email/get and Email/parse were asked for. */
struct jmap_email_opts {
	json_t *props, *body_props;
	bool text, html, all;
	size_t max;
	bool need_header, need_body;
};

/* RFC 8621 4.2 / 4.9 arguments into o (the property lists checked);
   deflt: the default properties when none are given.  0, or -1 with
   *error_r. */
static int
jmap_email_opts(json_t *args, const char *const *deflt, size_t n_deflt,
		bool with_id, struct jmap_email_opts *o, json_t **error_r)
{
	json_t *props = json_object_get(args, "properties");
	json_t *bprops = json_object_get(args, "bodyProperties");
	json_t *max = json_object_get(args, "maxBodyValueBytes");
	json_t *v;
	size_t i;

	memset(o, 0, sizeof(*o));
	if ((props != NULL && !json_is_null(props) && !json_is_array(props)) ||
	    (bprops != NULL && !json_is_null(bprops) &&
	     !json_is_array(bprops)) ||
	    (max != NULL && !json_is_null(max) &&
	     (!json_is_integer(max) || json_integer_value(max) <= 0))) {
		*error_r = jmap_error("invalidArguments",
				      "properties, bodyProperties or "
				      "maxBodyValueBytes malformed");
		return -1;
	}
	json_array_foreach(props, i, v) if (!json_is_string(v) ||
					    !jmap_email_known_prop(
						json_string_value(v))) {
		*error_r = jmap_error("invalidArguments",
				      "unknown or unsupported property");
		return -1;
	}
	json_array_foreach(bprops, i, v) if (!json_is_string(v) ||
					     !jmap_body_known_prop(
						 json_string_value(v))) {
		*error_r = jmap_error("invalidArguments",
				      "unknown body property");
		return -1;
	}
	if (json_is_array(props)) {
		o->props = json_deep_copy(props);
		/* RFC 8620 5.1: id is always returned */
		if (with_id)
			json_array_insert_new(o->props, 0, json_string("id"));
	} else {
		o->props = json_array();
		for (i = 0; i < n_deflt; i++)
			json_array_append_new(o->props, json_string(deflt[i]));
	}
	o->body_props = json_is_array(bprops) ? json_incref(bprops)
					      : jmap_body_default_properties();
	o->text = json_is_true(json_object_get(args, "fetchTextBodyValues"));
	o->html = json_is_true(json_object_get(args, "fetchHTMLBodyValues"));
	o->all = json_is_true(json_object_get(args, "fetchAllBodyValues"));
	o->max = json_is_integer(max) ? (size_t)json_integer_value(max) : 0;
	json_array_foreach(o->props, i, v) {
		const char *p = json_string_value(v);

		if (jmap_email_in(p, jmap_email_body_props, JMAP_NBODY))
			o->need_body = true;
		else if (!jmap_email_in(p, jmap_email_meta_props, JMAP_NMETA))
			o->need_header = true;
	}
	return 0;
}

static void
jmap_email_opts_free(struct jmap_email_opts *o)
{
	json_decref(o->props);
	json_decref(o->body_props);
}

/* The header and body properties of the message in file (blob id
   blob; the whole message when o->need_body, else at least its header)
   into obj. */
static void
jmap_email_content(json_t *obj, const struct jmap_email_opts *o,
		   const struct buf *file, const char *blob)
{
	struct jmap_body b;
	const char *h = (const char *)buf_rptr(file);
	size_t hn = imap_match_header_len(h, buf_len(file)), i, j;
	json_t *v;

	if (o->need_body)
		jmap_body_init(&b, buf_rptr(file), buf_len(file), blob);
	json_array_foreach(o->props, i, v) {
		const char *k = json_string_value(v);
		char name[256];
		const char *form;
		bool all;

		if (strcmp(k, "headers") == 0) {
			json_object_set_new(obj, k, jmap_mail_headers(h, hn));
		} else if (strcmp(k, "bodyStructure") == 0) {
			json_object_set_new(
			    obj, k, jmap_body_structure(&b, o->body_props));
		} else if (strcmp(k, "textBody") == 0 ||
			   strcmp(k, "htmlBody") == 0 ||
			   strcmp(k, "attachments") == 0) {
			json_object_set_new(
			    obj, k,
			    jmap_body_list(&b, k[0] == 't' ? 0 : k[0] == 'h' ? 1 : 2,
					   o->body_props));
		} else if (strcmp(k, "bodyValues") == 0) {
			json_object_set_new(obj, k,
					    jmap_body_values(&b, o->text,
							     o->html, o->all,
							     o->max));
		} else if (strcmp(k, "hasAttachment") == 0) {
			json_object_set_new(
			    obj, k, json_boolean(jmap_body_has_attachment(&b)));
		} else if (strcmp(k, "preview") == 0) {
			json_object_set_new(obj, k, jmap_body_preview(&b));
		} else if (jmap_mail_header_prop(k, name, sizeof(name), &form,
						 &all) == 0) {
			json_object_set_new(
			    obj, k, jmap_mail_header_get(h, hn, name, form, all));
		} else {
			for (j = 0; j < JMAP_NHDRPROPS; j++)
				if (strcmp(k, jmap_email_hdr_props[j].prop) == 0)
					json_object_set_new(
					    obj, k,
					    jmap_mail_header_get(
						h, hn,
						jmap_email_hdr_props[j].field,
						jmap_email_hdr_props[j].form,
						false));
		}
	}
	if (o->need_body)
		jmap_body_deinit(&b);
}

static json_t *
jmap_email_object(const struct store_jmap_email *e,
		  const struct jmap_email_opts *o, struct buf *file)
{
	json_t *obj = json_object(), *p, *mb;
	char blob[32];
	size_t i, j;

	snprintf(blob, sizeof(blob), "G%lld", (long long)e->id);
	json_array_foreach(o->props, i, p) {
		const char *k = json_string_value(p);

		if (strcmp(k, "id") == 0) {
			json_object_set_new(obj, k,
					    jmap_mail_id(JMAP_ID_EMAIL, e->id));
		} else if (strcmp(k, "blobId") == 0) {
			json_object_set_new(obj, k, json_string(blob));
		} else if (strcmp(k, "threadId") == 0) {
			json_object_set_new(
			    obj, k, jmap_mail_id(JMAP_ID_THREAD, e->thread_id));
		} else if (strcmp(k, "mailboxIds") == 0) {
			mb = json_object();
			for (j = 0; j < e->n_mailboxes; j++) {
				json_t *id = jmap_mail_id(JMAP_ID_MAILBOX,
							  e->mailboxes[j]);

				json_object_set_new(mb, json_string_value(id),
						    json_true());
				json_decref(id);
			}
			json_object_set_new(obj, k, mb);
		} else if (strcmp(k, "keywords") == 0) {
			json_object_set_new(
			    obj, k,
			    jmap_mail_keywords(e->flags & ~STORE_FLAG_DELETED,
					       e->keywords));
		} else if (strcmp(k, "size") == 0) {
			json_object_set_new(obj, k,
					    json_integer((json_int_t)e->size));
		} else if (strcmp(k, "receivedAt") == 0) {
			json_object_set_new(obj, k,
					    jmap_mail_utcdate(e->received));
		}
	}
	if ((o->need_body
		 ? jmap_mail_read_file(e->blob_path, JMAP_BODY_READ_MAX, file)
		 : o->need_header ? jmap_mail_read_header(e->blob_path, file)
				  : 0) < 0)
		buf_reset(file);
	if (o->need_body || o->need_header)
		jmap_email_content(obj, o, file, blob);
	return obj;
}

/* RFC 8621 4.2: the default properties of Email/get. */
static const char *const jmap_email_get_default[] = {
    "id",	   "blobId",	 "threadId", "mailboxIds",	 "keywords",
    "size",	   "receivedAt", "messageId", "inReplyTo",	 "references",
    "sender",	   "from",	 "to",	     "cc",		 "bcc",
    "replyTo",	   "subject",	 "sentAt",   "hasAttachment", "preview",
    "bodyValues", "textBody",	 "htmlBody", "attachments",
};

int
jmap_email_get(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
	       json_t **error_r)
{
	json_t *ids = json_object_get(args, "ids");
	json_t *list, *nf, *v;
	struct jmap_email_opts o;
	struct store_jmap_email *e = NULL;
	int64_t *rows = NULL;
	const char *why = NULL;
	uint64_t state;
	size_t n = 0, i, j, nids = json_array_size(ids);
	struct buf file;

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
	if (jmap_email_opts(args, jmap_email_get_default,
			    sizeof(jmap_email_get_default) / sizeof(char *),
			    true, &o, error_r) < 0)
		return -1;
	if (jmap_mail_threads_sync(ctx, error_r) < 0) {
		jmap_email_opts_free(&o);
		return -1;
	}
	rows = xcalloc(nids + 1, sizeof(*rows));
	json_array_foreach(ids, i, v) {
		const char *s = json_string_value(v);

		if (s != NULL && s[0] == '#')
			s = jmap_ctx_created_get(ctx, s + 1);
		rows[i] = jmap_mail_id_parse(s, JMAP_ID_EMAIL);
	}
	if (store_jmap_emails(ctx->store, ctx->account_id,
			      json_is_array(ids) ? rows : NULL, nids, &e, &n,
			      &state, &why) < 0) {
		free(rows);
		jmap_email_opts_free(&o);
		*error_r = jmap_mail_fail(why);
		return -1;
	}
	if (!json_is_array(ids) && n > JMAP_OBJECTS_GET_MAX) {
		/* RFC 8620 5.1: ids null within maxObjectsInGet only */
		free(rows);
		jmap_email_opts_free(&o);
		store_jmap_emails_free(e, n);
		*error_r = jmap_error("requestTooLarge", NULL);
		return -1;
	}
	list = json_array();
	nf = json_array();
	buf_init(&file, 0);
	if (!json_is_array(ids))
		for (j = 0; j < n; j++)
			json_array_append_new(list,
					      jmap_email_object(&e[j], &o, &file));
	json_array_foreach(ids, i, v) {
		for (j = 0; j < n && e[j].id != rows[i]; j++)
			;
		if (j == n)
			json_array_append(nf, v);
		else
			json_array_append_new(list,
					      jmap_email_object(&e[j], &o, &file));
	}
	buf_deinit(&file);
	free(rows);
	jmap_email_opts_free(&o);
	store_jmap_emails_free(e, n);
	*result_r = json_pack("{s:O, s:o, s:o, s:o}", "accountId",
			      json_object_get(args, "accountId"), "state",
			      jmap_mail_state(state), "list", list, "notFound",
			      nf);
	return 0;
}

/* ---- Email/parse (RFC 8621 4.9) ---- */

static const char *const jmap_email_parse_default[] = {
    "messageId",     "inReplyTo",  "references", "sender",   "from",
    "to",	     "cc",	   "bcc",	 "replyTo",  "subject",
    "sentAt",	     "hasAttachment", "preview", "bodyValues", "textBody",
    "htmlBody",	     "attachments",
};

int
jmap_email_parse(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		 json_t **error_r)
{
	json_t *ids = json_object_get(args, "blobIds");
	json_t *parsed, *not_parsable, *nf, *v;
	struct jmap_email_opts o;
	struct buf file;
	size_t i;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if (!json_is_array(ids)) {
		*error_r = jmap_error("invalidArguments",
				      "blobIds must be an array");
		return -1;
	}
	if (json_array_size(ids) > JMAP_OBJECTS_GET_MAX) {
		*error_r = jmap_error("requestTooLarge", NULL);
		return -1;
	}
	if (jmap_email_opts(args, jmap_email_parse_default,
			    sizeof(jmap_email_parse_default) / sizeof(char *),
			    false, &o, error_r) < 0)
		return -1;
	parsed = json_object();
	not_parsable = json_array();
	nf = json_array();
	buf_init(&file, 0);
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		json_t *obj, *p;
		size_t k;
		int rc = jmap_mail_blob_read(ctx, id, JMAP_BODY_READ_MAX,
					     &file);

		if (rc == 0) {
			json_array_append(nf, v);
			continue;
		}
		if (rc < 0 || buf_len(&file) == 0) {
			json_array_append(not_parsable, v);
			continue;
		}
		/* RFC 8621 4.9: the metadata properties are null, except
		   blobId and size */
		obj = json_object();
		json_array_foreach(o.props, k, p) {
			const char *q = json_string_value(p);

			if (strcmp(q, "blobId") == 0)
				json_object_set(obj, q, v);
			else if (strcmp(q, "size") == 0)
				json_object_set_new(
				    obj, q,
				    json_integer((json_int_t)buf_len(&file)));
			else if (jmap_email_in(q, jmap_email_meta_props,
					       JMAP_NMETA))
				json_object_set_new(obj, q, json_null());
		}
		jmap_email_content(obj, &o, &file, id);
		json_object_set_new(parsed, id, obj);
	}
	buf_deinit(&file);
	jmap_email_opts_free(&o);
	*result_r = json_pack("{s:O, s:o, s:o, s:o}", "accountId",
			      json_object_get(args, "accountId"), "parsed",
			      parsed, "notParsable", not_parsable, "notFound",
			      nf);
	return 0;
}

/* jmap_mail_email_create.c: new Emails (RFC 8621 4.6 create, 4.8
   Email/import, 4.7 Email/copy): building the RFC 5322 message from an
   Email object, and storing a message with its mailboxes and keywords
   through the delivery path IMAP APPEND uses. */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_mail.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "base64.h"
#include "limits.h"
#include "mime/mime_summary.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "xalloc.h"

/* ---- storing (shared by create and import) ---- */

struct jmap_create_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int ok;
	const char *error;
};

static void
jmap_create_stored(void *arg, int ok, const char *error)
{
	struct jmap_create_wait *w = arg;

	pthread_mutex_lock(&w->mu);
	w->done = true;
	w->ok = ok;
	w->error = error;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

/* Store msg[0..n) as a new Email in the mailboxes given by the
   mailboxIds object mboxes, with the keywords object kw (or NULL) and
   received time.  Returns NULL with the new Email's id in *id_r, or a
   SetError. */
static json_t *
jmap_create_store(struct jmap_ctx *ctx, const void *msg, size_t n,
		  json_t *mboxes, json_t *kw, int64_t received, int64_t *id_r)
{
	struct jmap_create_wait w = {.done = false};
	struct store_delivery d;
	struct mime_msg_info info;
	struct store_jmap_update u = {0};
	int64_t *boxes = NULL;
	const char *key, *why = NULL;
	char *name = NULL, *kwlist = NULL;
	uint32_t flags = 0;
	size_t nb = 0;
	json_t *v, *err = NULL;

	if (!json_is_object(mboxes) || json_object_size(mboxes) == 0)
		return jmap_mail_bad_prop("mailboxIds");
	boxes = xcalloc(json_object_size(mboxes), sizeof(*boxes));
	json_object_foreach(mboxes, key, v) {
		const char *id = key[0] == '#'
				     ? jmap_ctx_created_get(ctx, key + 1)
				     : key;

		boxes[nb] = jmap_mail_id_parse(id, JMAP_ID_MAILBOX);
		if (!json_is_true(v) || boxes[nb] == 0) {
			free(boxes);
			return jmap_mail_bad_prop("mailboxIds");
		}
		nb++;
	}
	if (kw != NULL && !json_is_null(kw) &&
	    jmap_mail_keywords_parse(kw, &flags, &kwlist) < 0) {
		free(boxes);
		return jmap_mail_bad_prop("keywords");
	}
	if (store_jmap_mbox_name(ctx->store, ctx->account_id, boxes[0], &name,
				 &why) != 1) {
		err = jmap_mail_bad_prop("mailboxIds");
		goto out;
	}
	memset(&d, 0, sizeof(d));
	memset(&info, 0, sizeof(info));
	d.sender = "";
	d.internaldate = received;
	d.accounts = &ctx->account_id;
	d.n_accounts = 1;
	d.mailbox = name;
	d.no_create = true;
	d.flags = flags;
	d.keywords = kwlist;
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	/* Durable before the answer, as IMAP APPEND: the completion runs
	   on the loop (server mode) or before return (CLI mode). */
	store_deliver_buf(ctx->store, &d, &info, msg, n, jmap_create_stored,
			  &w);
	pthread_mutex_lock(&w.mu);
	while (!w.done)
		pthread_cond_wait(&w.cv, &w.mu);
	pthread_mutex_unlock(&w.mu);
	pthread_cond_destroy(&w.cv);
	pthread_mutex_destroy(&w.mu);
	mime_msg_info_clear(&info);
	if (!w.ok) {
		err = jmap_mail_fail(w.error);
		goto out;
	}
	if (store_jmap_email_at(ctx->store, boxes[0], d.out_uid, id_r, &why) !=
	    1) {
		err = jmap_mail_fail(why != NULL ? why : "stored Email lost");
		goto out;
	}
	ctx->changed = true;
	if (nb > 1) {
		u.set_mailboxes = true;
		u.mailboxes = boxes;
		u.n_mailboxes = nb;
		if (store_jmap_email_update(ctx->store, ctx->account_id, *id_r,
					    &u, &why) != 1)
			err = jmap_mail_bad_prop("mailboxIds");
	}
out:
	free(name);
	free(kwlist);
	free(boxes);
	return err;
}

/* The created-object answer: id, blobId, threadId, size (RFC 8621
   4.6, 4.8).  NULL when the Email is gone already. */
static json_t *
jmap_create_answer(struct jmap_ctx *ctx, int64_t id, json_t **error_r)
{
	struct store_jmap_email *e = NULL;
	const char *why = NULL;
	uint64_t state;
	size_t n = 0;
	json_t *o;

	if (jmap_mail_threads_sync(ctx, error_r) < 0)
		return NULL;
	if (store_jmap_emails(ctx->store, ctx->account_id, &id, 1, &e, &n,
			      &state, &why) < 0 ||
	    n == 0) {
		store_jmap_emails_free(e, n);
		*error_r = jmap_mail_fail(why != NULL ? why : "Email gone");
		return NULL;
	}
	o = json_pack("{s:o, s:o, s:o, s:I}", "id",
		      jmap_mail_id(JMAP_ID_EMAIL, id), "blobId",
		      json_sprintf("G%lld", (long long)id), "threadId",
		      jmap_mail_id(JMAP_ID_THREAD, e->thread_id), "size",
		      (json_int_t)e->size);
	store_jmap_emails_free(e, n);
	return o;
}

/* receivedAt of an Email object (now when absent).  0, or -1 bad. */
static int
jmap_create_received(json_t *obj, int64_t *t_r)
{
	json_t *r = json_object_get(obj, "receivedAt");

	*t_r = (int64_t)time(NULL);
	if (r == NULL || json_is_null(r))
		return 0;
	return jmap_mail_utcdate_parse(json_string_value(r), t_r);
}

/* ---- building the message (RFC 8621 4.6) ---- */

struct jmap_build {
	struct jmap_ctx *ctx;
	json_t *values; /* bodyValues */
	struct buf out;
	const char *bad; /* the property that failed */
};

static bool
jmap_build_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == '\r' ||
		    s[i] == '\n' || s[i] == '\0')
			return false;
	return true;
}

/* s as RFC 2047 B encoded-words (UTF-8), each at most 75 characters,
   never splitting a character. */
static void
jmap_build_2047(struct buf *b, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = i + 45 < n ? i + 45 : n;
		char enc[BASE64_ENCODED_LEN(45) + 1];

		while (k < n && k > i && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		base64_encode(s + i, k - i, enc);
		buf_printf(b, "%s=?UTF-8?B?%s?=", i > 0 ? "\r\n " : "", enc);
		i = k;
	}
}

/* A header field value of free text (Subject, phrases). */
static void
jmap_build_text(struct buf *b, const char *s)
{
	if (jmap_build_ascii(s, strlen(s)))
		buf_append(b, s, strlen(s));
	else
		jmap_build_2047(b, s, strlen(s));
}

/* EmailAddress[] as an address-list. */
static int
jmap_build_addrs(struct jmap_build *bd, json_t *list)
{
	json_t *a;
	size_t i;

	if (!json_is_array(list))
		return -1;
	json_array_foreach(list, i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));
		const char *email =
		    json_string_value(json_object_get(a, "email"));
		const char *p;

		if (email == NULL || !jmap_build_ascii(email, strlen(email)) ||
		    strpbrk(email, "<>, \"") != NULL)
			return -1;
		if (i > 0)
			buf_append(&bd->out, ",\r\n ", 4);
		if (name != NULL && *name != '\0') {
			if (!jmap_build_ascii(name, strlen(name))) {
				jmap_build_2047(&bd->out, name, strlen(name));
			} else {
				/* a quoted-string (RFC 5322 3.2.4) */
				buf_append(&bd->out, "\"", 1);
				for (p = name; *p != '\0'; p++) {
					if (*p == '"' || *p == '\\')
						buf_append(&bd->out, "\\", 1);
					buf_append(&bd->out, p, 1);
				}
				buf_append(&bd->out, "\"", 1);
			}
			buf_printf(&bd->out, " <%s>", email);
		} else {
			buf_printf(&bd->out, "%s", email);
		}
	}
	return 0;
}

/* String[] of message ids as msg-id list. */
static int
jmap_build_ids(struct jmap_build *bd, json_t *list)
{
	json_t *a;
	size_t i;

	if (!json_is_array(list))
		return -1;
	json_array_foreach(list, i, a) {
		const char *id = json_string_value(a);

		if (id == NULL || !jmap_build_ascii(id, strlen(id)) ||
		    strpbrk(id, "<> ") != NULL || strchr(id, '@') == NULL)
			return -1;
		buf_printf(&bd->out, "%s<%s>", i > 0 ? " " : "", id);
	}
	return 0;
}

/* Convenience header properties (RFC 8621 4.1.3) and how to write
   them. */
static const struct {
	const char *prop, *field;
	char kind; /* a addresses, i message ids, t text, d date */
} jmap_build_fields[] = {
    {"from", "From", 'a'},	    {"sender", "Sender", 'a'},
    {"replyTo", "Reply-To", 'a'}, {"to", "To", 'a'},
    {"cc", "Cc", 'a'},		    {"bcc", "Bcc", 'a'},
    {"subject", "Subject", 't'},  {"sentAt", "Date", 'd'},
    {"messageId", "Message-ID", 'i'},
    {"inReplyTo", "In-Reply-To", 'i'},
    {"references", "References", 'i'},
};
#define JMAP_NBUILD (sizeof(jmap_build_fields) / sizeof(jmap_build_fields[0]))

/* One field "name: value" from the JMAP value v in the given form
   ('a', 'i', 't', 'd', or 'r' raw).  0, or -1 when v is not one. */
static int
jmap_build_field(struct jmap_build *bd, const char *name, char kind, json_t *v)
{
	int64_t t;
	int rc = 0;

	if (json_is_null(v))
		return 0;
	buf_printf(&bd->out, "%s:", name);
	if (kind != 'r')
		buf_append(&bd->out, " ", 1);
	switch (kind) {
	case 'a':
		rc = jmap_build_addrs(bd, v);
		break;
	case 'i':
		rc = jmap_build_ids(bd, v);
		break;
	case 't':
		if (!json_is_string(v))
			return -1;
		jmap_build_text(&bd->out, json_string_value(v));
		break;
	case 'd': {
		char s[64];
		struct tm tm;
		time_t tt;

		if (jmap_mail_utcdate_parse(json_string_value(v), &t) < 0)
			return -1;
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		strftime(s, sizeof(s), "%a, %d %b %Y %H:%M:%S +0000", &tm);
		buf_printf(&bd->out, "%s", s);
		break;
	}
	default: /* Raw: as given (RFC 8621 4.1.2.1), no CR/LF of its own */
		if (!json_is_string(v) ||
		    strpbrk(json_string_value(v), "\r\n") != NULL)
			return -1;
		buf_printf(&bd->out, "%s", json_string_value(v));
		break;
	}
	buf_append(&bd->out, "\r\n", 2);
	return rc;
}

/* "headers" and "header:Name[:asForm]" properties of obj (an Email or
   an EmailBodyPart).  0, or -1 (bd->bad set). */
static int
jmap_build_extra(struct jmap_build *bd, json_t *obj)
{
	json_t *hs = json_object_get(obj, "headers"), *h, *v;
	const char *key;
	size_t i;

	json_array_foreach(hs, i, h) {
		const char *n = json_string_value(json_object_get(h, "name"));

		if (n == NULL || strpbrk(n, ": \r\n") != NULL ||
		    jmap_build_field(bd, n, 'r',
				     json_object_get(h, "value")) < 0) {
			bd->bad = "headers";
			return -1;
		}
	}
	json_object_foreach(obj, key, v) {
		char name[256];
		const char *form;
		bool all;
		char kind;
		size_t k;

		if (strncmp(key, "header:", 7) != 0)
			continue;
		if (jmap_mail_header_prop(key, name, sizeof(name), &form,
					  &all) < 0 ||
		    strncasecmp(name, "Content-", 8) == 0) {
			bd->bad = key;
			return -1;
		}
		kind = strcmp(form, "Raw") == 0		? 'r'
		       : strcmp(form, "Text") == 0	? 't'
		       : strcmp(form, "Addresses") == 0 ? 'a'
		       : strcmp(form, "MessageIds") == 0 ? 'i'
		       : strcmp(form, "Date") == 0	? 'd'
							: 0;
		if (kind == 0) {
			bd->bad = key;
			return -1;
		}
		for (k = 0; all && k < json_array_size(v); k++)
			if (jmap_build_field(bd, name, kind,
					     json_array_get(v, k)) < 0)
				break;
		if ((all && (!json_is_array(v) || k < json_array_size(v))) ||
		    (!all && jmap_build_field(bd, name, kind, v) < 0)) {
			bd->bad = key;
			return -1;
		}
	}
	return 0;
}

/* Quoted-printable (RFC 2045 6.7) of s[0..n) with CRLF line ends. */
static void
jmap_build_qp(struct buf *b, const uint8_t *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		uint8_t c = s[i];
		bool eol = c == '\n' || (c == '\r' && i + 1 < n && s[i + 1] == '\n');

		if (eol) {
			if (c == '\r')
				i++;
			buf_append(b, "\r\n", 2);
			col = 0;
			continue;
		}
		if (col >= 72) {
			buf_append(b, "=\r\n", 3);
			col = 0;
		}
		/* rule 3: whitespace before a line end is encoded */
		if ((c == ' ' || c == '\t') &&
		    (i + 1 == n || s[i + 1] == '\n' || s[i + 1] == '\r')) {
			buf_printf(b, "=%c%c", hex[c >> 4], hex[c & 15]);
			col += 3;
		} else if (c == '=' || c >= 0x7f || (c < 0x20 && c != '\t')) {
			buf_printf(b, "=%c%c", hex[c >> 4], hex[c & 15]);
			col += 3;
		} else {
			buf_append(b, &c, 1);
			col++;
		}
	}
}

static void
jmap_build_b64(struct buf *b, const uint8_t *s, size_t n)
{
	char line[BASE64_ENCODED_LEN(57) + 1];
	size_t i;

	for (i = 0; i < n; i += 57) {
		base64_encode(s + i, n - i < 57 ? n - i : 57, line);
		buf_printf(b, "%s\r\n", line);
	}
}

/* A parameter value: quoted, or RFC 2231 extended when not ASCII. */
static void
jmap_build_param(struct buf *b, const char *name, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *p;

	if (jmap_build_ascii(v, strlen(v))) {
		buf_printf(b, ";\r\n %s=\"", name);
		for (p = v; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_append(b, "\\", 1);
			buf_append(b, p, 1);
		}
		buf_append(b, "\"", 1);
		return;
	}
	buf_printf(b, ";\r\n %s*=utf-8''", name);
	for (p = v; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("!#$&+-.^_`|~", c))
			buf_append(b, p, 1);
		else
			buf_printf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

static bool
jmap_build_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s <= 0x20 || *s >= 0x7f || strchr("()<>@,;:\\\"[]?=", *s))
			if (*s != '/')
				return false;
	return true;
}

/* One EmailBodyPart (create form) and its subParts. */
static int
jmap_build_part(struct jmap_build *bd, json_t *p, unsigned depth)
{
	const char *type = json_string_value(json_object_get(p, "type"));
	const char *pid = json_string_value(json_object_get(p, "partId"));
	const char *blob = json_string_value(json_object_get(p, "blobId"));
	const char *cs = json_string_value(json_object_get(p, "charset"));
	const char *disp = json_string_value(json_object_get(p, "disposition"));
	const char *name = json_string_value(json_object_get(p, "name"));
	const char *cid = json_string_value(json_object_get(p, "cid"));
	const char *loc = json_string_value(json_object_get(p, "location"));
	json_t *subs = json_object_get(p, "subParts"), *v;
	struct buf data;
	size_t i;
	bool text;

	if (!json_is_object(p) || depth > JMAP_MAILBOX_DEPTH_MAX) {
		bd->bad = "bodyStructure";
		return -1;
	}
	if (json_is_array(subs)) {
		uint8_t rnd[12];
		char boundary[BASE64_ENCODED_LEN(12) + 1];

		if (type == NULL)
			type = "multipart/mixed";
		if (strncmp(type, "multipart/", 10) != 0 ||
		    !jmap_build_token(type) || json_array_size(subs) == 0) {
			bd->bad = "bodyStructure";
			return -1;
		}
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, depth, sizeof(rnd));
		base64_encode(rnd, sizeof(rnd), boundary);
		for (i = 0; boundary[i] != '\0'; i++)
			if (boundary[i] == '/' || boundary[i] == '+')
				boundary[i] = '_';
		buf_printf(&bd->out, "Content-Type: %s;\r\n boundary=\"=_%s\"\r\n",
			   type, boundary);
		if (jmap_build_extra(bd, p) < 0)
			return -1;
		buf_append(&bd->out, "\r\n", 2);
		/* RFC 2046 5.1.1: the CRLF before a delimiter is part of
		   it, so a part's content is exactly what it holds */
		json_array_foreach(subs, i, v) {
			buf_printf(&bd->out, "%s--=_%s\r\n", i > 0 ? "\r\n" : "",
				   boundary);
			if (jmap_build_part(bd, v, depth + 1) < 0)
				return -1;
		}
		buf_printf(&bd->out, "\r\n--=_%s--\r\n", boundary);
		return 0;
	}
	buf_init(&data, 0);
	if ((pid != NULL) == (blob != NULL)) {
		bd->bad = "bodyStructure";
		goto bad;
	}
	if (pid != NULL) {
		/* RFC 8621 4.6: text from bodyValues, sent as UTF-8 */
		const char *val = json_string_value(json_object_get(
		    json_object_get(bd->values, pid), "value"));

		if (val == NULL || (cs != NULL && strcasecmp(cs, "utf-8"))) {
			bd->bad = "bodyValues";
			goto bad;
		}
		if (type == NULL)
			type = "text/plain";
		if (strncmp(type, "text/", 5) != 0) {
			bd->bad = "bodyStructure";
			goto bad;
		}
		buf_append(&data, val, strlen(val));
		cs = "utf-8";
	} else if (jmap_mail_blob_read(bd->ctx, blob, JMAP_UPLOAD_SIZE_MAX,
				       &data) != 1) {
		bd->bad = "blobId";
		goto bad;
	}
	if (type == NULL)
		type = "application/octet-stream";
	if (!jmap_build_token(type) || strchr(type, '/') == NULL ||
	    strncmp(type, "multipart/", 10) == 0 ||
	    (cs != NULL && !jmap_build_token(cs)) ||
	    (disp != NULL && !jmap_build_token(disp)) ||
	    (cid != NULL && (strpbrk(cid, "<>\r\n ") != NULL)) ||
	    (loc != NULL && strpbrk(loc, "\r\n") != NULL)) {
		bd->bad = "bodyStructure";
		goto bad;
	}
	text = strncmp(type, "text/", 5) == 0;
	buf_printf(&bd->out, "Content-Type: %s", type);
	if (cs != NULL && text)
		buf_printf(&bd->out, "; charset=%s", cs);
	if (name != NULL && disp == NULL)
		jmap_build_param(&bd->out, "name", name);
	buf_append(&bd->out, "\r\n", 2);
	if (disp != NULL || name != NULL) {
		buf_printf(&bd->out, "Content-Disposition: %s",
			   disp != NULL ? disp : "attachment");
		if (name != NULL)
			jmap_build_param(&bd->out, "filename", name);
		buf_append(&bd->out, "\r\n", 2);
	}
	if (cid != NULL)
		buf_printf(&bd->out, "Content-ID: <%s>\r\n", cid);
	if (loc != NULL)
		buf_printf(&bd->out, "Content-Location: %s\r\n", loc);
	if (jmap_build_extra(bd, p) < 0)
		goto bad;
	if (text && jmap_build_ascii((const char *)buf_rptr(&data),
				     buf_len(&data)) &&
	    memchr(buf_rptr(&data), '\r', buf_len(&data)) == NULL) {
		/* short ASCII lines go as they are (LF made CRLF) */
		const char *s = (const char *)buf_rptr(&data);
		size_t n = buf_len(&data), k, ll = 0;
		bool short_lines = true;

		for (k = 0; k < n; k++, ll++) {
			if (s[k] == '\n')
				ll = 0;
			if (ll > 900)
				short_lines = false;
		}
		if (short_lines) {
			buf_append(&bd->out,
				   "Content-Transfer-Encoding: 7bit\r\n\r\n", 35);
			for (k = 0; k < n; k++) {
				if (s[k] == '\n')
					buf_append(&bd->out, "\r", 1);
				buf_append(&bd->out, s + k, 1);
			}
			buf_deinit(&data);
			return 0;
		}
	}
	if (text) {
		buf_append(&bd->out,
			   "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
			   47);
		jmap_build_qp(&bd->out, buf_rptr(&data), buf_len(&data));
	} else {
		buf_append(&bd->out, "Content-Transfer-Encoding: base64\r\n\r\n",
			   37);
		jmap_build_b64(&bd->out, buf_rptr(&data), buf_len(&data));
	}
	buf_deinit(&data);
	return 0;
bad:
	buf_deinit(&data);
	return -1;
}

/* The bodyStructure for an Email object that gives textBody, htmlBody
   and attachments instead (RFC 8621 4.6: at most one part each of
   textBody and htmlBody; attachments after them in multipart/mixed).
   New reference, or NULL when they are malformed. */
static json_t *
jmap_build_structure(json_t *obj)
{
	json_t *tb = json_object_get(obj, "textBody");
	json_t *hb = json_object_get(obj, "htmlBody");
	json_t *at = json_object_get(obj, "attachments");
	json_t *body = NULL, *all;
	size_t i;

	if ((tb != NULL && (!json_is_array(tb) || json_array_size(tb) > 1)) ||
	    (hb != NULL && (!json_is_array(hb) || json_array_size(hb) > 1)) ||
	    (at != NULL && !json_is_array(at)))
		return NULL;
	tb = json_array_get(tb, 0);
	hb = json_array_get(hb, 0);
	if (tb != NULL && hb != NULL)
		body = json_pack("{s:s, s:[O, O]}", "type",
				 "multipart/alternative", "subParts", tb, hb);
	else if (tb != NULL || hb != NULL)
		body = json_deep_copy(tb != NULL ? tb : hb);
	if (tb != NULL && json_object_get(body, "type") == NULL)
		json_object_set_new(body, "type", json_string("text/plain"));
	if (tb == NULL && hb != NULL && json_object_get(body, "type") == NULL)
		json_object_set_new(body, "type", json_string("text/html"));
	if (json_array_size(at) == 0)
		return body != NULL ? body
				    : json_pack("{s:s, s:s}", "partId", "",
						"type", "text/plain");
	all = json_pack("{s:s, s:[]}", "type", "multipart/mixed", "subParts");
	if (body != NULL)
		json_array_append_new(json_object_get(all, "subParts"), body);
	for (i = 0; i < json_array_size(at); i++)
		json_array_append(json_object_get(all, "subParts"),
				  json_array_get(at, i));
	return all;
}

/* The message of Email object obj into bd->out.  0, or -1 (bd->bad). */
static int
jmap_build_message(struct jmap_build *bd, json_t *obj)
{
	static const char *const allowed[] = {
	    "mailboxIds", "keywords", "receivedAt", "headers",
	    "bodyStructure", "textBody", "htmlBody", "attachments",
	    "bodyValues",
	};
	json_t *structure, *v;
	const char *key;
	uint8_t rnd[12];
	char hex[25];
	size_t i;
	int rc;

	json_object_foreach(obj, key, v) {
		bool ok = strncmp(key, "header:", 7) == 0;

		for (i = 0; i < JMAP_NBUILD && !ok; i++)
			ok = strcmp(key, jmap_build_fields[i].prop) == 0;
		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && !ok;
		     i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok) {
			bd->bad = key;
			return -1;
		}
	}
	bd->values = json_object_get(obj, "bodyValues");
	if (bd->values != NULL && !json_is_object(bd->values)) {
		bd->bad = "bodyValues";
		return -1;
	}
	for (i = 0; i < JMAP_NBUILD; i++)
		if ((v = json_object_get(obj, jmap_build_fields[i].prop)) !=
			NULL &&
		    jmap_build_field(bd, jmap_build_fields[i].field,
				     jmap_build_fields[i].kind, v) < 0) {
			bd->bad = jmap_build_fields[i].prop;
			return -1;
		}
	if (jmap_build_extra(bd, obj) < 0)
		return -1;
	/* RFC 5322 3.6: Date and (SHOULD) Message-ID */
	if (json_object_get(obj, "sentAt") == NULL &&
	    json_object_get(obj, "header:Date") == NULL) {
		json_t *now = jmap_mail_utcdate((int64_t)time(NULL));

		jmap_build_field(bd, "Date", 'd', now);
		json_decref(now);
	}
	if (json_object_get(obj, "messageId") == NULL &&
	    json_object_get(obj, "header:Message-ID") == NULL) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, 0, sizeof(rnd));
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
		buf_printf(&bd->out, "Message-ID: <%s@%s>\r\n", hex,
			   bd->ctx->hostname != NULL ? bd->ctx->hostname
						     : "localhost");
	}
	buf_append(&bd->out, "MIME-Version: 1.0\r\n", 19);
	structure = json_object_get(obj, "bodyStructure");
	if (structure != NULL) {
		if (json_object_get(obj, "textBody") != NULL ||
		    json_object_get(obj, "htmlBody") != NULL ||
		    json_object_get(obj, "attachments") != NULL) {
			bd->bad = "bodyStructure";
			return -1;
		}
		json_incref(structure);
	} else if ((structure = jmap_build_structure(obj)) == NULL) {
		bd->bad = "textBody";
		return -1;
	}
	if (json_is_string(json_object_get(structure, "partId")) &&
	    strcmp(json_string_value(json_object_get(structure, "partId")),
		   "") == 0) {
		/* no body given: an empty text part */
		buf_append(&bd->out,
			   "Content-Type: text/plain; charset=utf-8\r\n\r\n",
			   42);
		rc = 0;
	} else {
		rc = jmap_build_part(bd, structure, 0);
	}
	json_decref(structure);
	return rc;
}

/* One Email/set create.  NULL with *id_r, or a SetError. */
json_t *
jmap_email_create(struct jmap_ctx *ctx, json_t *obj, int64_t *id_r)
{
	struct jmap_build bd = {.ctx = ctx};
	json_t *err;
	int64_t received;

	if (!json_is_object(obj))
		return jmap_error("invalidProperties", NULL);
	if (jmap_create_received(obj, &received) < 0)
		return jmap_mail_bad_prop("receivedAt");
	buf_init(&bd.out, 0);
	if (jmap_build_message(&bd, obj) < 0) {
		err = jmap_mail_bad_prop(bd.bad);
		buf_deinit(&bd.out);
		return err;
	}
	err = jmap_create_store(ctx, buf_rptr(&bd.out), buf_len(&bd.out),
				json_object_get(obj, "mailboxIds"),
				json_object_get(obj, "keywords"), received,
				id_r);
	buf_deinit(&bd.out);
	return err;
}

json_t *
jmap_email_created(struct jmap_ctx *ctx, int64_t id, json_t **error_r)
{
	return jmap_create_answer(ctx, id, error_r);
}

/* ---- Email/import (RFC 8621 4.8) ---- */

int
jmap_email_import(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		  json_t **error_r)
{
	json_t *emails = json_object_get(args, "emails");
	json_t *created, *not_created, *v;
	const char *key, *why = NULL;
	uint64_t old_state, new_state;
	struct buf msg;

	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if (!json_is_object(emails)) {
		*error_r = jmap_error("invalidArguments",
				      "emails must be an object");
		return -1;
	}
	if (json_object_size(emails) > JMAP_OBJECTS_SET_MAX) {
		*error_r = jmap_error("requestTooLarge", NULL);
		return -1;
	}
	if (jmap_mail_set_begin(ctx, args, &old_state, error_r) < 0)
		return -1;
	created = json_object();
	not_created = json_object();
	buf_init(&msg, 0);
	json_object_foreach(emails, key, v) {
		const char *blob = json_string_value(json_object_get(v, "blobId"));
		json_t *err = NULL, *ans;
		int64_t received, id = 0;
		int rc;

		if (!json_is_object(v) || jmap_create_received(v, &received) < 0) {
			json_object_set_new(not_created, key,
					    jmap_mail_bad_prop("receivedAt"));
			continue;
		}
		rc = jmap_mail_blob_read(ctx, blob, JMAP_UPLOAD_SIZE_MAX, &msg);
		if (rc != 1 || buf_len(&msg) == 0) {
			json_object_set_new(
			    not_created, key,
			    rc == 0 ? json_pack("{s:s, s:[s]}", "type",
						"blobNotFound", "notFound",
						blob != NULL ? blob : "")
				    : jmap_error("invalidEmail", NULL));
			continue;
		}
		err = jmap_create_store(ctx, buf_rptr(&msg), buf_len(&msg),
					json_object_get(v, "mailboxIds"),
					json_object_get(v, "keywords"),
					received, &id);
		if (err == NULL &&
		    (ans = jmap_create_answer(ctx, id, &err)) != NULL) {
			char *sid = xasprintf("M%lld", (long long)id);

			jmap_ctx_created_set(ctx, key, sid);
			free(sid);
			json_object_set_new(created, key, ans);
		}
		if (err != NULL)
			json_object_set_new(not_created, key, err);
	}
	buf_deinit(&msg);
	if (store_jmap_state(ctx->store, ctx->account_id, &new_state, &why) <
	    0)
		new_state = old_state;
	*result_r = json_pack("{s:O, s:o, s:o, s:o, s:o}", "accountId",
			      json_object_get(args, "accountId"), "oldState",
			      jmap_mail_state(old_state), "newState",
			      jmap_mail_state(new_state), "created", created,
			      "notCreated", not_created);
	return 0;
}

/* ---- Email/copy (RFC 8621 4.7) ---- */

int
jmap_email_copy(struct jmap_ctx *ctx, json_t *args, json_t **result_r,
		json_t **error_r)
{
	json_t *from = json_object_get(args, "fromAccountId");

	(void)result_r;
	if (jmap_mail_account(ctx, args, error_r) < 0)
		return -1;
	if (!json_is_string(from)) {
		*error_r = jmap_error("invalidArguments",
				      "fromAccountId must be a string");
		return -1;
	}
	/* RFC 8620 5.4: the two accounts MUST differ; a buzon session has
	   access to its own account only, so there is no other to copy
	   from */
	if (jmap_account_parse(json_string_value(from)) == ctx->account_id)
		*error_r = jmap_error("invalidArguments",
				      "fromAccountId must differ from "
				      "accountId");
	else
		*error_r = jmap_error("fromAccountNotFound", NULL);
	return -1;
}

/* jmap_mail.h: shared parts of the JMAP Mail methods (RFC 8621):
   ids, states, keywords, message headers, and the method table.  The
   store side and the design are in store/store_jmap.h. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_JMAP_MAIL_H
#define BUZON_JMAP_MAIL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/types.h>

#include "arena.h"
#include "buf.h"
#include "imap/imap_section.h"
#include "web/jmap.h"

struct store_jmap_email;

/* The mail methods (jmap_core.c searches this table). */
extern const struct jmap_method jmap_mail_methods[];
/* The urn:ietf:params:jmap:mail capability object (RFC 8621 1.3.1),
   new reference. */
json_t *jmap_mail_capability(void);

/* Id prefixes: Mailbox, Email, Thread. */
#define JMAP_ID_MAILBOX 'B'
#define JMAP_ID_EMAIL 'M'
#define JMAP_ID_THREAD 'T'

/* "<prefix><id>" as a new JSON string. */
json_t *jmap_mail_id(char prefix, int64_t id);
/* The row id of s ("<prefix><decimal>", no leading zero), or 0. */
int64_t jmap_mail_id_parse(const char *s, char prefix);

/* The common argument checks of every mail method: accountId must be
   the user's (RFC 8620 3.6.2 accountNotFound).  Returns 0, or -1 with
   *error_r set. */
int jmap_mail_account(struct jmap_ctx *ctx, json_t *args, json_t **error_r);
/* A state string for modseq, as a new JSON string; and its reverse
   (returns -1 for a string this server never made). */
json_t *jmap_mail_state(uint64_t modseq);
int jmap_mail_state_parse(const char *s, uint64_t *modseq_r);
/* /queryChanges (RFC 8620 5.6), the parts Email and Mailbox share.
   jmap_mail_query_changes_args: the account, sinceQueryState (a state
   of this server: *since_r) and maxChanges checked.  0, or -1 with
   *error_r.
   jmap_mail_query_changes_result: the answer from removed and added
   (references taken, also on error) at state, with total when asked
   for; tooManyChanges when they hold more than maxChanges.  0 with
   *result_r, or -1 with *error_r. */
int jmap_mail_query_changes_args(struct jmap_ctx *ctx, json_t *args,
				 uint64_t *since_r, json_t **error_r);
int jmap_mail_query_changes_result(json_t *args, uint64_t state,
				   json_t *removed, json_t *added,
				   size_t total, json_t **result_r,
				   json_t **error_r);
/* SetError invalidProperties naming prop (new reference). */
json_t *jmap_mail_bad_prop(const char *prop);
/* Email/set create of one Email object (jmap_mail_email_create.c):
   NULL with the new Email's id in *id_r, or a SetError (new
   reference). */
json_t *jmap_email_create(struct jmap_ctx *ctx, json_t *obj, int64_t *id_r);
/* The "created" answer for Email id (id, blobId, threadId, size), or
   NULL with *error_r. */
json_t *jmap_email_created(struct jmap_ctx *ctx, int64_t id, json_t **error_r);
/* serverFail with the store's message (new reference). */
json_t *jmap_mail_fail(const char *why);

/* Thread every Email of the account that has no thread yet (see
   store_jmap.h).  Returns 0, or -1 with *error_r set. */
int jmap_mail_threads_sync(struct jmap_ctx *ctx, json_t **error_r);

/* Keywords (RFC 8621 4.1.1).  The JMAP object {"$seen": true, ...} of
   the STORE_FLAG_* flags and a keyword list; and the reverse: 0 with
   *flags_r and *keywords_r (malloc'd list or NULL), or -1 when a
   keyword is invalid. */
json_t *jmap_mail_keywords(uint32_t flags, const char *keywords);
int jmap_mail_keywords_parse(json_t *obj, uint32_t *flags_r,
			     char **keywords_r);
/* Does the Email carry keyword kw (any case)? */
bool jmap_mail_has_keyword(const struct store_jmap_email *e, const char *kw);

/* The raw header of the message file path (up to and including the
   blank line, at most MIME_HEADER_BYTES_MAX octets) into out (reset
   first).  Returns 0 or -1 (unreadable: out is empty). */
int jmap_mail_read_header(const char *path, struct buf *out);
/* The whole message file into out (reset first), at most max octets.
   Returns 0 or -1. */
int jmap_mail_read_file(const char *path, size_t max, struct buf *out);

/* The content of blob blob_id of the account (see
   store_jmap_blob_path; also "<blob id>_<part>" part blob ids, decoded,
   jmap_body_blob_parse) into out (reset first), at most max octets.
   Returns 1, 0 no such blob, -1 error (unreadable). */
int jmap_mail_blob_read(struct jmap_ctx *ctx, const char *blob_id, size_t max,
			struct buf *out);

/* A header field's value in one of the RFC 8621 4.1.2 forms ("Raw",
   "Text", "Addresses", "GroupedAddresses", "MessageIds", "Date",
   "URLs"), new reference (JSON null where the form gives none). */
json_t *jmap_mail_header_form(const char *raw, size_t n, const char *form);
/* Every value of field name (any case) in the header h[0..hn), raw and
   unfolded-as-stored, through fn(value, len, arg) in order. */
void jmap_mail_header_each(const char *h, size_t hn, const char *name,
			   void (*fn)(const char *v, size_t n, void *arg),
			   void *arg);
/* The value of the last field name in h, as form ("all" false), or every
   value as an array (all true); new reference. */
json_t *jmap_mail_header_get(const char *h, size_t hn, const char *name,
			     const char *form, bool all);

/* "header:Name[:asForm][:all]" (RFC 8621 4.1.3): the field name (into
   name[name_max]), form and all.  0, or -1 when malformed. */
int jmap_mail_header_prop(const char *p, char *name, size_t name_max,
			  const char **form_r, bool *all_r);
/* RFC 8621 4.1.3 "headers" of the raw header h[0..hn): every field,
   name and raw value, in order (new reference). */
json_t *jmap_mail_headers(const char *h, size_t hn);

/* UTC date-time "YYYY-MM-DDThh:mm:ssZ" (RFC 8620 1.4) as a JSON string,
   and its reverse (-1 when it is not one). */
json_t *jmap_mail_utcdate(int64_t t);
int jmap_mail_utcdate_parse(const char *s, int64_t *t_r);

/* The methods (jmap_mail_mailbox.c, jmap_mail_email.c,
   jmap_mail_thread.c). */
jmap_method_fn jmap_mailbox_get, jmap_mailbox_changes, jmap_mailbox_query,
    jmap_mailbox_query_changes, jmap_mailbox_set;
jmap_method_fn jmap_email_get, jmap_email_changes, jmap_email_query,
    jmap_email_query_changes, jmap_email_set, jmap_email_parse,
    jmap_email_import, jmap_email_copy, jmap_snippet_get;
jmap_method_fn jmap_thread_get, jmap_thread_changes;

/* A FilterOperator (RFC 8620 5.5) over f's conditions, each decided by
   fn(condition, arg) (1 yes, 0 no, -1 unsupported).  Returns 1, 0, -1
   (unsupported or malformed), or -2 when f is no FilterOperator (the
   caller matches it as a FilterCondition). */
int jmap_mail_filter_op(json_t *f, int (*fn)(json_t *cond, void *arg),
			void *arg);
/* The start of a /set (RFC 8620 5.3): the account's state into
   *old_r, and ifInState checked against it.  0, or -1 with *error_r
   (stateMismatch, serverFail). */
int jmap_mail_set_begin(struct jmap_ctx *ctx, json_t *args, uint64_t *old_r,
			json_t **error_r);

/* The /changes of one type (RFC 8620 5.2), shared by Mailbox, Email and
   Thread: type is a store_jmap_type, prefix the id letter. */
int jmap_mail_changes(struct jmap_ctx *ctx, json_t *args, int type,
		      char prefix, json_t **result_r, json_t **error_r);

/* ---- message bodies (jmap_mail_body.c, RFC 8621 4.1.4) ---- */

/* What is known of one part of the message. */
struct jmap_body_info {
	bool visible;        /* a part of the JMAP tree (not inside an
				encapsulated message) */
	const char *part_id; /* IMAP part number ("1.2"); NULL: multipart
				or not visible */
	const char *name, *disposition, *charset; /* or NULL */
	uint64_t size;       /* decoded size, (uint64_t)-1 until known */
};
/* A message parsed for its body properties.  Everything points into
   msg (which must outlive the struct) or the struct's arena. */
struct jmap_body {
	const uint8_t *msg;
	size_t n;
	struct arena *a;
	const char *blob_id; /* the message's blob id */
	struct imap_section_part *parts; /* imap_section_parts() */
	size_t n_parts;
	struct jmap_body_info *info; /* one per part */
	/* textBody, htmlBody, attachments: indexes into parts */
	size_t *text, *html, *att;
	size_t n_text, n_html, n_att;
};
/* Parse msg[0..n) (blob_id: the blob id of the whole message, the
   prefix of the part blob ids).  Free with jmap_body_deinit(). */
void jmap_body_init(struct jmap_body *b, const uint8_t *msg, size_t n,
		    const char *blob_id);
void jmap_body_deinit(struct jmap_body *b);
/* The default bodyProperties (new reference); is p a body property? */
json_t *jmap_body_default_properties(void);
bool jmap_body_known_prop(const char *p);
/* bodyStructure (new reference). */
json_t *jmap_body_structure(struct jmap_body *b, json_t *props);
/* textBody (which 0), htmlBody (1) or attachments (2) (new reference). */
json_t *jmap_body_list(struct jmap_body *b, int which, json_t *props);
/* bodyValues of the text parts of textBody (text), htmlBody (html) or
   every text part (all), each cut to max octets (0: no limit) at a
   character boundary (new reference). */
json_t *jmap_body_values(struct jmap_body *b, bool text, bool html, bool all,
			 size_t max);
json_t *jmap_body_preview(struct jmap_body *b);
bool jmap_body_has_attachment(const struct jmap_body *b);
/* The index of the part with partId part_id, or -1. */
ssize_t jmap_body_find(const struct jmap_body *b, const char *part_id);
/* Part i's content after transfer decoding, appended to out.  0, or -1
   for an unknown encoding (nothing appended). */
int jmap_body_decode(const struct jmap_body *b, size_t i, struct buf *out);
/* Part i as UTF-8 text into out (reset first), LF line ends;
   *problem_r: RFC 8621 isEncodingProblem.  Returns 0. */
int jmap_body_text(struct jmap_body *b, size_t i, struct buf *out,
		   bool *problem_r);
/* The message's text (first textBody part, else its HTML without
   tags) with whitespace runs made one space, into out (reset first).
   0, or -1 when it has none. */
int jmap_body_plain(struct jmap_body *b, struct buf *out);
/* Octets of the first max characters of the UTF-8 s[0..n). */
size_t jmap_body_chars(const uint8_t *s, size_t n, size_t max);
/* Split a part blob id ("<message blob id>_1_2") into the message's
   blob id and the partId ("1.2").  0, or -1 when it is none. */
int jmap_body_blob_parse(const char *blob_id, char *msg_blob, size_t msg_max,
			 char *part_id, size_t part_max);

#endif

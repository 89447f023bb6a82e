/* jmap_mail_body.c: the body of an Email as RFC 8621 4.1.4 sees it:
   bodyStructure, textBody/htmlBody/attachments, bodyValues, preview,
   hasAttachment and part blob ids.  The part tree is imap_section's (the
   numbering of IMAP BODYSTRUCTURE, so partId "1.2" is IMAP part 1.2);
   header fields and decoding come from src/mime. */
/* SPDX-License-Identifier: MIT */
#include "web/jmap_mail.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap/imap_match.h"
#include "imap/imap_section.h"
#include "limits.h"
#include "mime/mime_decode.h"
#include "mime/mime_header.h"
#include "xalloc.h"

/* RFC 8621 4.1.4: the default bodyProperties. */
static const char *const jmap_body_default_props[] = {
    "partId", "blobId",	     "size", "name",	 "type",
    "charset", "disposition", "cid",  "language", "location",
};
#define JMAP_NBODYPROPS                                                        \
	(sizeof(jmap_body_default_props) / sizeof(jmap_body_default_props[0]))

json_t *
jmap_body_default_properties(void)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < JMAP_NBODYPROPS; i++)
		json_array_append_new(a, json_string(jmap_body_default_props[i]));
	return a;
}

bool
jmap_body_known_prop(const char *p)
{
	char name[256];
	const char *form;
	bool all;
	size_t i;

	if (strcmp(p, "headers") == 0 || strcmp(p, "subParts") == 0)
		return true;
	for (i = 0; i < JMAP_NBODYPROPS; i++)
		if (strcmp(p, jmap_body_default_props[i]) == 0)
			return true;
	return jmap_mail_header_prop(p, name, sizeof(name), &form, &all) == 0;
}

/* The part's raw header. */
static const char *
jmap_body_hdr(const struct jmap_body *b, size_t i, size_t *n_r)
{
	const struct imap_section_part *p = &b->parts[i];

	*n_r = p->body_start - p->start;
	return (const char *)b->msg + p->start;
}

/* The last value of field name in part i's header, unfolded, in the
   arena; NULL when absent. */
static char *
jmap_body_field(const struct jmap_body *b, size_t i, const char *name)
{
	size_t hn, pos = 0, nl, vl, want = strlen(name);
	const char *h = jmap_body_hdr(b, i, &hn), *fname, *v, *last = NULL;
	size_t lastn = 0;

	while (imap_match_next_field(h, hn, &pos, &fname, &nl, &v, &vl))
		if (nl == want && strncasecmp(fname, name, nl) == 0) {
			last = v;
			lastn = vl;
		}
	return last != NULL ? mime_header_value(b->a, last, lastn) : NULL;
}

/* Add part i (and, for a multipart, its children) to the tree: ids
   in IMAP numbering. */
static size_t
jmap_body_number(struct jmap_body *b, size_t i, const char *id)
{
	const struct imap_section_part *p = &b->parts[i];
	size_t j = i + 1, k = 0;

	b->info[i].visible = true;
	if (!p->multipart) {
		b->info[i].part_id = arena_strdup(b->a, id);
		/* skip what an encapsulated message holds: a leaf here */
		while (j < b->n_parts && b->parts[j].depth > p->depth)
			j++;
		return j;
	}
	while (j < b->n_parts && b->parts[j].depth > p->depth) {
		char sub[512];

		k++;
		if (id[0] == '\0')
			snprintf(sub, sizeof(sub), "%zu", k);
		else
			snprintf(sub, sizeof(sub), "%s.%zu", id, k);
		j = jmap_body_number(b, j, sub);
	}
	return j;
}

/* ---- RFC 8621 4.1.4 textBody / htmlBody / attachments ---- */

struct jmap_body_lists {
	size_t *text, *html, *att;
	size_t nt, nh, na;
};

static bool
jmap_body_is_media(const struct imap_section_part *p)
{
	return strcmp(p->type, "image") == 0 || strcmp(p->type, "audio") == 0 ||
	       strcmp(p->type, "video") == 0;
}

static bool
jmap_body_is(const struct imap_section_part *p, const char *sub)
{
	return strcmp(p->type, "text") == 0 && strcmp(p->subtype, sub) == 0;
}

static void
jmap_body_push(size_t **l, size_t *n, size_t v)
{
	*l = xrealloc(*l, (*n + 1) * sizeof(**l));
	(*l)[(*n)++] = v;
}

/* parseStructure() of RFC 8621 4.1.4 over the parts idx[0..n): text and
   html are NULL where the algorithm's lists are null. */
static void
jmap_body_parse(struct jmap_body *b, const size_t *idx, size_t n,
		const char *mtype, bool in_alt, bool has_text, bool has_html,
		struct jmap_body_lists *l)
{
	size_t tlen = has_text ? l->nt : (size_t)-1;
	size_t hlen = has_html ? l->nh : (size_t)-1, i, j;

	for (i = 0; i < n; i++) {
		size_t pi = idx[i];
		const struct imap_section_part *p = &b->parts[pi];
		const char *disp = b->info[pi].disposition;
		bool inl = (disp == NULL || strcmp(disp, "attachment") != 0) &&
			   (jmap_body_is(p, "plain") || jmap_body_is(p, "html") ||
			    jmap_body_is_media(p)) &&
			   (i == 0 || (strcmp(mtype, "related") != 0 &&
				       (jmap_body_is_media(p) ||
					b->info[pi].name == NULL)));

		if (p->multipart) {
			size_t *kids = NULL, nk = 0;

			for (j = pi + 1; j < b->n_parts &&
					 b->parts[j].depth > p->depth;
			     j++)
				if (b->parts[j].depth == p->depth + 1)
					jmap_body_push(&kids, &nk, j);
			jmap_body_parse(b, kids, nk, p->subtype,
					in_alt || strcmp(p->subtype,
							 "alternative") == 0,
					has_text, has_html, l);
			free(kids);
		} else if (inl) {
			if (strcmp(mtype, "alternative") == 0) {
				if (jmap_body_is(p, "plain") && has_text)
					jmap_body_push(&l->text, &l->nt, pi);
				else if (jmap_body_is(p, "html") && has_html)
					jmap_body_push(&l->html, &l->nh, pi);
				else if (!jmap_body_is(p, "plain") &&
					 !jmap_body_is(p, "html"))
					jmap_body_push(&l->att, &l->na, pi);
				continue;
			}
			if (in_alt) {
				if (jmap_body_is(p, "plain"))
					has_html = false;
				if (jmap_body_is(p, "html"))
					has_text = false;
			}
			if (has_text)
				jmap_body_push(&l->text, &l->nt, pi);
			if (has_html)
				jmap_body_push(&l->html, &l->nh, pi);
			if ((!has_text || !has_html) && jmap_body_is_media(p))
				jmap_body_push(&l->att, &l->na, pi);
		} else {
			jmap_body_push(&l->att, &l->na, pi);
		}
	}
	if (strcmp(mtype, "alternative") == 0 && has_text && has_html) {
		/* only an HTML part found: it serves as text too; and the
		   other way round */
		if (tlen == l->nt && hlen != l->nh)
			for (i = hlen; i < l->nh; i++)
				jmap_body_push(&l->text, &l->nt, l->html[i]);
		else if (hlen == l->nh && tlen != l->nt)
			for (i = tlen; i < l->nt; i++)
				jmap_body_push(&l->html, &l->nh, l->text[i]);
	}
}

void
jmap_body_init(struct jmap_body *b, const uint8_t *msg, size_t n,
	       const char *blob_id)
{
	struct jmap_body_lists l = {0};
	size_t i, root = 0;

	memset(b, 0, sizeof(*b));
	b->msg = msg;
	b->n = n;
	b->a = arena_new("jmap body", 8192);
	b->blob_id = arena_strdup(b->a, blob_id);
	b->parts = imap_section_parts(msg, n, b->a, &b->n_parts);
	b->info = xcalloc(b->n_parts + 1, sizeof(*b->info));
	jmap_body_number(b, 0, b->parts[0].multipart ? "" : "1");
	for (i = 0; i < b->n_parts; i++) {
		struct jmap_body_info *in = &b->info[i];
		struct mime_content c;
		const struct mime_param *pp;
		char *v;

		if (!in->visible)
			continue;
		in->size = (uint64_t)-1;
		v = jmap_body_field(b, i, "Content-Disposition");
		if (v != NULL &&
		    mime_content_parse(v, strlen(v), false, b->a, &c) == 0) {
			in->disposition = c.type;
			if ((pp = mime_content_param(&c, "filename")) != NULL)
				in->name = mime_param_decode(pp, b->a);
		}
		v = jmap_body_field(b, i, "Content-Type");
		if (v != NULL &&
		    mime_content_parse(v, strlen(v), true, b->a, &c) == 0) {
			if (in->name == NULL &&
			    (pp = mime_content_param(&c, "name")) != NULL)
				in->name = mime_param_decode(pp, b->a);
			if ((pp = mime_content_param(&c, "charset")) != NULL)
				in->charset = mime_param_decode(pp, b->a);
		}
		if (in->charset == NULL && strcmp(b->parts[i].type, "text") == 0)
			in->charset = "us-ascii"; /* RFC 8621 4.1.4 charset */
	}
	jmap_body_parse(b, &root, 1, "mixed", false, true, true, &l);
	b->text = l.text;
	b->html = l.html;
	b->att = l.att;
	b->n_text = l.nt;
	b->n_html = l.nh;
	b->n_att = l.na;
}

void
jmap_body_deinit(struct jmap_body *b)
{
	free(b->text);
	free(b->html);
	free(b->att);
	free(b->info);
	arena_free(&b->a);
	memset(b, 0, sizeof(*b));
}

ssize_t
jmap_body_find(const struct jmap_body *b, const char *part_id)
{
	size_t i;

	for (i = 0; i < b->n_parts; i++)
		if (b->info[i].part_id != NULL &&
		    strcmp(b->info[i].part_id, part_id) == 0)
			return (ssize_t)i;
	return -1;
}

int
jmap_body_decode(const struct jmap_body *b, size_t i, struct buf *out)
{
	const struct imap_section_part *p = &b->parts[i];

	if (p->message) {
		/* RFC 2046 5.2.1: encapsulated messages are never encoded
		   (an encoded one is a leaf) */
		buf_append(out, b->msg + p->body_start,
			   p->end - p->body_start);
		return 0;
	}
	return imap_section_part_decode(b->msg, p, out) == IMAP_SECTION_OK
		   ? 0
		   : -1;
}

static uint64_t
jmap_body_size(struct jmap_body *b, size_t i)
{
	struct buf d;

	if (b->info[i].size != (uint64_t)-1)
		return b->info[i].size;
	buf_init(&d, 0);
	if (jmap_body_decode(b, i, &d) < 0)
		b->info[i].size = b->parts[i].end - b->parts[i].body_start;
	else
		b->info[i].size = buf_len(&d);
	buf_deinit(&d);
	return b->info[i].size;
}

/* The part blob id: the message's blob id, "_", the partId with "_"
   for ".". */
static json_t *
jmap_body_blob(const struct jmap_body *b, size_t i)
{
	char *s = xasprintf("%s_%s", b->blob_id, b->info[i].part_id), *c;
	json_t *j;

	for (c = s + strlen(b->blob_id) + 1; *c != '\0'; c++)
		if (*c == '.')
			*c = '_';
	j = json_string(s);
	free(s);
	return j;
}

int
jmap_body_blob_parse(const char *blob_id, char *msg_blob, size_t msg_max,
		     char *part_id, size_t part_max)
{
	const char *u = strchr(blob_id, '_');
	size_t n;
	char *c;

	if (u == NULL || (size_t)(u - blob_id) >= msg_max ||
	    strlen(u + 1) >= part_max || u[1] == '\0')
		return -1;
	n = (size_t)(u - blob_id);
	memcpy(msg_blob, blob_id, n);
	msg_blob[n] = '\0';
	strcpy(part_id, u + 1);
	for (c = part_id; *c != '\0'; c++) {
		if (*c == '_')
			*c = '.';
		else if (*c < '0' || *c > '9')
			return -1;
	}
	return 0;
}

/* JSON string or null. */
static json_t *
jmap_body_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* Content-Language (RFC 3282): a list of tags. */
static json_t *
jmap_body_language(const char *v)
{
	json_t *a = json_array();

	while (v != NULL && *v != '\0') {
		size_t n;

		v += strspn(v, " \t,");
		n = strcspn(v, " \t,");
		if (n > 0)
			json_array_append_new(a, json_stringn(v, n));
		v += n;
	}
	if (json_array_size(a) == 0) {
		json_decref(a);
		return json_null();
	}
	return a;
}

static json_t *
jmap_body_part(struct jmap_body *b, size_t i, json_t *props)
{
	const struct imap_section_part *p = &b->parts[i];
	const struct jmap_body_info *in = &b->info[i];
	json_t *o = json_object(), *v;
	size_t k, hn;
	const char *h = jmap_body_hdr(b, i, &hn);

	json_array_foreach(props, k, v) {
		const char *q = json_string_value(v);
		char name[256];
		const char *form;
		bool all;

		if (strcmp(q, "partId") == 0) {
			json_object_set_new(o, q, jmap_body_str(in->part_id));
		} else if (strcmp(q, "blobId") == 0) {
			json_object_set_new(o, q, p->multipart
						      ? json_null()
						      : jmap_body_blob(b, i));
		} else if (strcmp(q, "size") == 0) {
			json_object_set_new(
			    o, q,
			    json_integer(p->multipart
					     ? 0
					     : (json_int_t)jmap_body_size(b, i)));
		} else if (strcmp(q, "name") == 0) {
			json_object_set_new(o, q, jmap_body_str(in->name));
		} else if (strcmp(q, "type") == 0) {
			json_object_set_new(
			    o, q, json_sprintf("%s/%s", p->type, p->subtype));
		} else if (strcmp(q, "charset") == 0) {
			json_object_set_new(o, q, jmap_body_str(in->charset));
		} else if (strcmp(q, "disposition") == 0) {
			json_object_set_new(o, q, jmap_body_str(in->disposition));
		} else if (strcmp(q, "cid") == 0) {
			char *c = jmap_body_field(b, i, "Content-ID");
			json_t *ids = c != NULL ? jmap_mail_header_form(
						      c, strlen(c), "MessageIds")
						: json_null();

			json_object_set(o, q, json_is_array(ids)
						  ? json_array_get(ids, 0)
						  : json_null());
			json_decref(ids);
		} else if (strcmp(q, "language") == 0) {
			json_object_set_new(
			    o, q,
			    jmap_body_language(
				jmap_body_field(b, i, "Content-Language")));
		} else if (strcmp(q, "location") == 0) {
			json_object_set_new(
			    o, q,
			    jmap_body_str(
				jmap_body_field(b, i, "Content-Location")));
		} else if (strcmp(q, "headers") == 0) {
			json_object_set_new(o, q, jmap_mail_headers(h, hn));
		} else if (strcmp(q, "subParts") == 0) {
			/* filled by jmap_body_structure */
		} else if (jmap_mail_header_prop(q, name, sizeof(name), &form,
						 &all) == 0) {
			json_object_set_new(
			    o, q, jmap_mail_header_get(h, hn, name, form, all));
		}
	}
	return o;
}

/* Part i and its subParts. */
static json_t *
jmap_body_tree(struct jmap_body *b, size_t i, json_t *props)
{
	json_t *o = jmap_body_part(b, i, props), *subs;
	size_t j;

	if (!b->parts[i].multipart)
		return o;
	subs = json_array();
	for (j = i + 1; j < b->n_parts && b->parts[j].depth > b->parts[i].depth;
	     j++)
		if (b->parts[j].depth == b->parts[i].depth + 1)
			json_array_append_new(subs, jmap_body_tree(b, j, props));
	json_object_set_new(o, "subParts", subs);
	return o;
}

json_t *
jmap_body_structure(struct jmap_body *b, json_t *props)
{
	return jmap_body_tree(b, 0, props);
}

json_t *
jmap_body_list(struct jmap_body *b, int which, json_t *props)
{
	const size_t *l = which == 0 ? b->text : which == 1 ? b->html : b->att;
	size_t n = which == 0 ? b->n_text : which == 1 ? b->n_html : b->n_att;
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, jmap_body_part(b, l[i], props));
	return a;
}

bool
jmap_body_has_attachment(const struct jmap_body *b)
{
	size_t i;

	/* RFC 8621 4.1.4: attachments that are not inline */
	for (i = 0; i < b->n_att; i++) {
		const char *d = b->info[b->att[i]].disposition;

		if (d == NULL || strcmp(d, "inline") != 0)
			return true;
	}
	return false;
}

/* Count of U+FFFD in s[0..n). */
static size_t
jmap_body_fffd(const uint8_t *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i + 2 < n; i++)
		if (s[i] == 0xef && s[i + 1] == 0xbf && s[i + 2] == 0xbd)
			k++;
	return k;
}

int
jmap_body_text(struct jmap_body *b, size_t i, struct buf *out,
	       bool *problem_r)
{
	const char *cs = b->info[i].charset;
	struct buf raw;
	size_t k, w = 0;
	uint8_t *d;

	buf_reset(out);
	*problem_r = false;
	buf_init(&raw, 0);
	if (jmap_body_decode(b, i, &raw) < 0) {
		/* unknown transfer encoding: the octets as they are */
		*problem_r = true;
		buf_append(&raw, b->msg + b->parts[i].body_start,
			   b->parts[i].end - b->parts[i].body_start);
	}
	if (mime_charset_to_utf8(cs != NULL ? cs : "us-ascii", buf_rptr(&raw),
				 buf_len(&raw), out) < 0) {
		*problem_r = true;
		mime_charset_to_utf8("utf-8", buf_rptr(&raw), buf_len(&raw),
				     out);
	}
	if (jmap_body_fffd(buf_rptr(out), buf_len(out)) >
	    jmap_body_fffd(buf_rptr(&raw), buf_len(&raw)))
		*problem_r = true;
	buf_deinit(&raw);
	/* Line ends as LF (CRLF is the wire form, not part of the text) */
	d = (uint8_t *)buf_rptr(out);
	for (k = 0; k < buf_len(out); k++)
		if (!(d[k] == '\r' && k + 1 < buf_len(out) && d[k + 1] == '\n'))
			d[w++] = d[k];
	out->wpos = out->rpos + w;
	return 0;
}

/* Length of the longest prefix of s[0..n) of at most max octets that
   ends on a UTF-8 character boundary. */
static size_t
jmap_body_cut(const uint8_t *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && (s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

static void
jmap_body_value_add(struct jmap_body *b, json_t *out, size_t i, size_t max,
		    struct buf *t)
{
	bool problem;
	size_t n;

	if (b->info[i].part_id == NULL ||
	    json_object_get(out, b->info[i].part_id) != NULL ||
	    strcmp(b->parts[i].type, "text") != 0)
		return;
	jmap_body_text(b, i, t, &problem);
	n = max > 0 ? jmap_body_cut(buf_rptr(t), buf_len(t), max) : buf_len(t);
	json_object_set_new(out, b->info[i].part_id,
			    json_pack("{s:s%, s:b, s:b}", "value",
				      (const char *)buf_rptr(t), n,
				      "isEncodingProblem", problem,
				      "isTruncated", n < buf_len(t)));
}

json_t *
jmap_body_values(struct jmap_body *b, bool text, bool html, bool all,
		 size_t max)
{
	json_t *o = json_object();
	struct buf t;
	size_t i;

	buf_init(&t, 0);
	for (i = 0; all && i < b->n_parts; i++)
		if (!b->parts[i].multipart && b->info[i].visible)
			jmap_body_value_add(b, o, i, max, &t);
	for (i = 0; text && i < b->n_text; i++)
		jmap_body_value_add(b, o, b->text[i], max, &t);
	for (i = 0; html && i < b->n_html; i++)
		jmap_body_value_add(b, o, b->html[i], max, &t);
	buf_deinit(&t);
	return o;
}

/* HTML to text for previews and snippets: tags dropped, the common
   entities decoded, the content of <style> and <script> dropped. */
static void
jmap_body_strip_html(const char *s, size_t n, struct buf *out)
{
	static const struct {
		const char *ent, *ch;
	} ents[] = {{"&amp;", "&"},  {"&lt;", "<"},	{"&gt;", ">"},
		    {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}};
	size_t i = 0, k;

	while (i < n) {
		if (s[i] == '<') {
			const char *gt = memchr(s + i, '>', n - i);
			bool skip = n - i > 6 && (strncasecmp(s + i, "<style", 6) == 0 ||
						  strncasecmp(s + i, "<scrip", 6) == 0);

			if (gt == NULL)
				break;
			i = (size_t)(gt - s) + 1;
			if (skip) {
				const char *end = s + i;

				while (end < s + n &&
				       !(end[0] == '<' && end + 1 < s + n &&
					 end[1] == '/'))
					end++;
				i = (size_t)(end - s);
			}
			buf_append(out, " ", 1);
			continue;
		}
		if (s[i] == '&') {
			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++)
				if (strncmp(s + i, ents[k].ent,
					    strlen(ents[k].ent)) == 0 &&
				    n - i >= strlen(ents[k].ent))
					break;
			if (k < sizeof(ents) / sizeof(ents[0])) {
				buf_append(out, ents[k].ch, strlen(ents[k].ch));
				i += strlen(ents[k].ent);
				continue;
			}
		}
		buf_append(out, s + i, 1);
		i++;
	}
}

int
jmap_body_plain(struct jmap_body *b, struct buf *out)
{
	struct buf t;
	bool problem, html = false;
	ssize_t part = -1;
	size_t i, w = 0;
	uint8_t *d;

	buf_reset(out);
	for (i = 0; i < b->n_text && part < 0; i++)
		if (strcmp(b->parts[b->text[i]].type, "text") == 0)
			part = (ssize_t)b->text[i];
	for (i = 0; i < b->n_html && part < 0; i++)
		if (jmap_body_is(&b->parts[b->html[i]], "html")) {
			part = (ssize_t)b->html[i];
		}
	if (part < 0)
		return -1;
	html = jmap_body_is(&b->parts[part], "html");
	buf_init(&t, 0);
	jmap_body_text(b, (size_t)part, &t, &problem);
	if (html)
		jmap_body_strip_html((const char *)buf_rptr(&t), buf_len(&t),
				     out);
	else
		buf_append(out, buf_rptr(&t), buf_len(&t));
	buf_deinit(&t);
	/* whitespace runs become one space */
	d = (uint8_t *)buf_rptr(out);
	for (i = 0; i < buf_len(out); i++) {
		bool ws = d[i] == ' ' || d[i] == '\t' || d[i] == '\r' ||
			  d[i] == '\n';

		if (ws && (w == 0 || d[w - 1] == ' '))
			continue;
		d[w++] = ws ? ' ' : d[i];
	}
	while (w > 0 && d[w - 1] == ' ')
		w--;
	out->wpos = out->rpos + w;
	return 0;
}

/* Octets of the first max characters of the UTF-8 s[0..n). */
size_t
jmap_body_chars(const uint8_t *s, size_t n, size_t max)
{
	size_t i = 0, c = 0;

	while (i < n && c < max) {
		i++;
		while (i < n && (s[i] & 0xc0) == 0x80)
			i++;
		c++;
	}
	return i;
}

json_t *
jmap_body_preview(struct jmap_body *b)
{
	struct buf t;
	json_t *j;

	buf_init(&t, 0);
	if (jmap_body_plain(b, &t) < 0) {
		buf_deinit(&t);
		return json_string("");
	}
	/* RFC 8621 4.1.4 preview: at most 256 characters */
	j = json_stringn((const char *)buf_rptr(&t),
			 jmap_body_chars(buf_rptr(&t), buf_len(&t),
					 JMAP_PREVIEW_MAX));
	buf_deinit(&t);
	return j != NULL ? j : json_string("");
}

/* imap_fetch.c: FETCH arguments (RFC 9051 6.4.5, RFC 3516, RFC 7162 3.1.4/3.2.6). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_fetch.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	enum imap_fetch_item item;
} imap_fetch_simple[] = {
    {"ENVELOPE", IMAP_FETCH_ENVELOPE},
    {"FLAGS", IMAP_FETCH_FLAGS},
    {"INTERNALDATE", IMAP_FETCH_INTERNALDATE},
    {"RFC822", IMAP_FETCH_RFC822},
    {"RFC822.HEADER", IMAP_FETCH_RFC822_HEADER},
    {"RFC822.SIZE", IMAP_FETCH_RFC822_SIZE},
    {"RFC822.TEXT", IMAP_FETCH_RFC822_TEXT},
    {"BODY", IMAP_FETCH_BODY},
    {"BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE},
    {"UID", IMAP_FETCH_UID},
    {"MODSEQ", IMAP_FETCH_MODSEQ},
};

static struct imap_fetch_att *
imap_fetch_add(struct imap_fetch *f, struct arena *a, enum imap_fetch_item item,
	       struct imap_fetch_att **last)
{
	struct imap_fetch_att *att = arena_alloc(a, sizeof(*att));

	att->item = item;
	if (*last == NULL)
		f->atts = att;
	else
		(*last)->next = att;
	*last = att;
	f->natts++;
	return att;
}

/* "<" number64 "." nz-number64 ">" (RFC 9051 9 partial). */
static int
imap_fetch_partial(const char *s, struct imap_fetch_att *att)
{
	size_t n = strlen(s);
	const char *dot;

	if (n == 0)
		return 0;
	if (n < 5 || s[0] != '<' || s[n - 1] != '>' ||
	    (dot = memchr(s, '.', n)) == NULL)
		return -1;
	if (imap_parse_number(s + 1, (size_t)(dot - s - 1), INT64_MAX,
			      &att->offset) < 0 ||
	    imap_parse_number(dot + 1, (size_t)(s + n - 1 - dot - 1), INT64_MAX,
			      &att->length) < 0 ||
	    att->length == 0)
		return -1;
	att->partial = true;
	return 0;
}

/* The section spec inside the brackets (RFC 9051 9 section-spec,
   section-binary for BINARY*).  Returns 0 or -1. */
static int
imap_fetch_section(const struct imap_arg *sec, struct arena *a,
		   struct imap_fetch_att *att, bool binary)
{
	const struct imap_arg *spec = sec->child, *list;
	const char *s, *p;
	size_t n, k, i;

	if (sec->count == 0)
		return 0;
	if (spec->type != IMAP_ARG_ATOM || sec->count > 2)
		return -1;
	s = spec->str;
	n = spec->len;
	for (k = 0, i = 0; i < n; i++)
		k += s[i] == '.';
	att->part = arena_alloc(a, (k + 1) * sizeof(*att->part));
	/* section-part = nz-number *("." nz-number) */
	for (p = s; *p >= '1' && *p <= '9';) {
		const char *e = p;
		uint64_t v;

		while (*e >= '0' && *e <= '9')
			e++;
		if (imap_parse_number(p, (size_t)(e - p), UINT32_MAX, &v) < 0)
			return -1;
		att->part[att->nparts++] = (uint32_t)v;
		if (*e == '\0') {
			p = e;
			break;
		}
		if (*e != '.' || e[1] == '\0')
			return -1;
		p = e + 1;
	}
	if (*p == '\0')
		return sec->count == 1 ? 0 : -1;
	if (binary || (att->nparts > 0 && p[-1] != '.'))
		return -1;
	if (strcasecmp(p, "HEADER") == 0)
		att->text = IMAP_SECTION_HEADER;
	else if (strcasecmp(p, "TEXT") == 0)
		att->text = IMAP_SECTION_TEXT;
	else if (strcasecmp(p, "MIME") == 0 && att->nparts > 0)
		att->text = IMAP_SECTION_MIME;
	else if (strcasecmp(p, "HEADER.FIELDS") == 0)
		att->text = IMAP_SECTION_HEADER_FIELDS;
	else if (strcasecmp(p, "HEADER.FIELDS.NOT") == 0)
		att->text = IMAP_SECTION_HEADER_FIELDS_NOT;
	else
		return -1;
	if (att->text != IMAP_SECTION_HEADER_FIELDS &&
	    att->text != IMAP_SECTION_HEADER_FIELDS_NOT)
		return sec->count == 1 ? 0 : -1;
	/* header-list = "(" header-fld-name *(SP header-fld-name) ")" */
	list = spec->next;
	if (list == NULL || list->type != IMAP_ARG_LIST || list->count == 0)
		return -1;
	att->fields = arena_alloc(a, list->count * sizeof(*att->fields));
	for (spec = list->child; spec != NULL; spec = spec->next) {
		if ((s = imap_arg_astring(spec, NULL)) == NULL || *s == '\0')
			return -1;
		att->fields[att->nfields++] = s;
	}
	return 0;
}

/* One fetch-att.  Returns 0 or -1. */
static int
imap_fetch_att(struct imap_fetch *f, struct arena *a, const struct imap_arg *arg,
	       struct imap_fetch_att **last)
{
	struct imap_fetch_att *att;
	size_t i;

	if (arg->type == IMAP_ARG_ATOM) {
		for (i = 0; i < sizeof(imap_fetch_simple) /
				    sizeof(imap_fetch_simple[0]);
		     i++)
			if (strcasecmp(arg->str, imap_fetch_simple[i].name) == 0) {
				imap_fetch_add(f, a, imap_fetch_simple[i].item,
					       last);
				return 0;
			}
		return -1;
	}
	if (arg->type != IMAP_ARG_SECTION)
		return -1;
	if (strcasecmp(arg->str, "BODY") == 0 ||
	    strcasecmp(arg->str, "BODY.PEEK") == 0) {
		att = imap_fetch_add(f, a, IMAP_FETCH_BODY_SECTION, last);
		att->peek = arg->len == 9;
		return imap_fetch_section(arg, a, att, false) < 0 ||
			       imap_fetch_partial(arg->partial, att) < 0
			   ? -1
			   : 0;
	}
	if (strcasecmp(arg->str, "BINARY.SIZE") == 0) {
		/* RFC 3516 4.3: no partial with BINARY.SIZE. */
		att = imap_fetch_add(f, a, IMAP_FETCH_BINARY_SIZE, last);
		return imap_fetch_section(arg, a, att, true) < 0 ||
			       arg->partial[0] != '\0'
			   ? -1
			   : 0;
	}
	att = imap_fetch_add(f, a, IMAP_FETCH_BINARY, last);
	att->peek = arg->len == 11;
	return imap_fetch_section(arg, a, att, true) < 0 ||
		       imap_fetch_partial(arg->partial, att) < 0
		   ? -1
		   : 0;
}

/* RFC 9051 6.4.5 macros. */
static int
imap_fetch_macro(struct imap_fetch *f, struct arena *a, const char *s,
		 struct imap_fetch_att **last)
{
	static const enum imap_fetch_item fast[] = {
	    IMAP_FETCH_FLAGS, IMAP_FETCH_INTERNALDATE, IMAP_FETCH_RFC822_SIZE,
	    IMAP_FETCH_ENVELOPE, IMAP_FETCH_BODY};
	size_t n, i;

	if (strcasecmp(s, "FAST") == 0)
		n = 3;
	else if (strcasecmp(s, "ALL") == 0)
		n = 4;
	else if (strcasecmp(s, "FULL") == 0)
		n = 5;
	else
		return -1;
	for (i = 0; i < n; i++)
		imap_fetch_add(f, a, fast[i], last);
	return 0;
}

/* fetch-modifiers (RFC 7162 3.1.4.1, 3.2.6). */
static int
imap_fetch_modifiers(const struct imap_cmd *cmd, const struct imap_arg *list,
		     struct imap_fetch *f, const char **error_r)
{
	const struct imap_arg *m;

	*error_r = "Invalid FETCH modifier";
	if (list->type != IMAP_ARG_LIST || list->count == 0)
		return -1;
	for (m = list->child; m != NULL; m = m->next) {
		if (imap_arg_atom_is(m, "CHANGEDSINCE") && !f->changedsince_given) {
			m = m->next;
			if (imap_arg_number64(m, &f->changedsince) < 0 ||
			    f->changedsince == 0)
				return -1;
			f->changedsince_given = true;
		} else if (imap_arg_atom_is(m, "VANISHED") && !f->vanished) {
			f->vanished = true;
		} else {
			return -1;
		}
	}
	if (f->vanished && (!cmd->uid || !f->changedsince_given)) {
		*error_r = "VANISHED needs UID FETCH with CHANGEDSINCE";
		return -1;
	}
	return 0;
}

int
imap_fetch_parse(const struct imap_cmd *cmd, struct imap_fetch *f,
		 const char **error_r)
{
	const struct imap_arg *arg = cmd->args, *a2;
	struct imap_fetch_att *last = NULL;
	struct arena *a = cmd->arena;

	memset(f, 0, sizeof(*f));
	if (imap_seqset_arg(arg, a, &f->set) < 0) {
		*error_r = "Invalid sequence set";
		return -1;
	}
	*error_r = "Invalid FETCH attribute";
	arg = arg->next;
	if (arg == NULL)
		return -1;
	if (arg->type == IMAP_ARG_LIST) {
		if (arg->count == 0)
			return -1;
		for (a2 = arg->child; a2 != NULL; a2 = a2->next)
			if (imap_fetch_att(f, a, a2, &last) < 0)
				return -1;
	} else if (arg->type == IMAP_ARG_ATOM &&
		   imap_fetch_macro(f, a, arg->str, &last) == 0) {
		;
	} else if (imap_fetch_att(f, a, arg, &last) < 0) {
		return -1;
	}
	arg = arg->next;
	if (arg != NULL &&
	    (imap_fetch_modifiers(cmd, arg, f, error_r) < 0 || arg->next != NULL)) {
		if (arg->next != NULL)
			*error_r = "Too many FETCH arguments";
		return -1;
	}
	return 0;
}

/* mime_header.h: RFC 5322 field unfolding and MIME Content-Type /
   Content-Disposition parsing with RFC 2231 parameters. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_MIME_HEADER_H
#define BUZON_MIME_HEADER_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

/* Unfold a raw field value (RFC 5322 2.2.3: CRLF before WSP is removed;
   stray CR, LF and NUL go too) and trim leading and trailing WSP.
   out has room for n bytes (it may be in).  Returns the length. */
size_t mime_header_unfold(const char *in, size_t n, char *out);
/* The same into a NUL-terminated copy allocated in a. */
char *mime_header_value(struct arena *a, const char *in, size_t n);

/* One parameter after RFC 2231 sections are joined.  For a plain
   parameter value is the value (quotes removed).  For an extended one
   (RFC 2231 4: name*=charset'lang'%XX..., or sections of which one is
   extended) value holds the joined percent-encoded text, with plain
   sections percent-encoded where needed, and charset/language are set
   (possibly ""). */
struct mime_param {
	/* lower-case, without "*" or "*N"; a name whose "*" is in none of
	   the RFC 2231 forms (e.g. "name*x") is kept whole */
	char *name;
	char *value;
	char *charset, *language;
	bool extended;
};

/* A parsed Content-Type (type and subtype) or Content-Disposition (type
   only, subtype NULL).  Everything lives in the arena given to
   mime_content_parse(). */
struct mime_content {
	char *type, *subtype; /* lower-case, NULL if missing or invalid */
	struct mime_param *params;
	size_t n_params;
};

/* Parse v[0..n) (a raw or unfolded field value).  with_subtype selects
   Content-Type syntax ("type/subtype").  Returns 0, or -1 if the type
   is missing or invalid: then type and subtype are NULL and no
   parameters are kept (RFC 2045 5.2: the caller uses its default).
   Parameters beyond MIME_PARAMS_MAX, sections numbered
   MIME_PARAM_SECTIONS_MAX or more and parameters without a name ("*=")
   are ignored.  Of several parameters with one name, RFC 2231 sections
   (joined from 0 up to the first gap) win over "name*=", which wins
   over "name="; otherwise the first wins. */
int mime_content_parse(const char *v, size_t n, bool with_subtype,
		       struct arena *a, struct mime_content *r);
/* The parameter called name (lower-case), or NULL. */
const struct mime_param *mime_content_param(const struct mime_content *c,
					    const char *name);
/* The value of p as UTF-8 in a: extended values are percent-decoded and
   converted from their charset (RFC 2231 4; an unknown one is taken as
   UTF-8), plain ones have RFC 2047 words decoded (common practice for
   file names).  Invalid bytes and NULs become U+FFFD. */
char *mime_param_decode(const struct mime_param *p, struct arena *a);

#endif

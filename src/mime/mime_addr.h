/* mime_addr.h: RFC 5322 address lists as IMAP ENVELOPE address structures. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_MIME_ADDR_H
#define BUZON_MIME_ADDR_H

#include <stddef.h>

#include "arena.h"
#include "buf.h"

/* Placeholders for a missing local part or domain.  A NIL host would
   read as a group marker (RFC 3501 7.4.2), so, like Dovecot, a name is
   put there instead. */
#define MIME_ADDR_MISSING_MAILBOX "MISSING_MAILBOX"
#define MIME_ADDR_MISSING_DOMAIN "MISSING_DOMAIN"

/* One entry of an ENVELOPE address list (RFC 9051 7.5.2 / RFC 3501
   7.4.2).  NULL fields are NIL.  A mailbox is (name adl mailbox host);
   a group start is (NIL NIL "group name" NIL) and a group end is
   (NIL NIL NIL NIL). */
struct mime_addr {
	char *name;    /* display name (or trailing comment), raw: RFC 2047
			  words are left encoded; NULL if none */
	char *adl;     /* obsolete source route "@a,@b" or NULL */
	char *mailbox; /* local part, unquoted; group name; NULL at group end */
	char *host;    /* domain; NULL only in group markers */
};

/* Parse the address-list field value v[0..n) (raw or unfolded)
   leniently: comments, quoted local parts, obsolete routes, phrases with
   dots and garbage between addresses are tolerated (garbage up to the
   next "," is skipped); a missing local part or domain gets the
   placeholders above; a mailbox without "@domain" gets
   MIME_ADDR_MISSING_DOMAIN; a plain addr-spec followed by a comment
   takes the comment as its name.  At most max entries are kept, plus a
   group end when the limit falls inside a group.  *list_r is set to an
   array in a (NULL when nothing was found).  Returns the number of
   entries. */
size_t mime_addr_parse(const char *v, size_t n, size_t max, struct arena *a,
		       struct mime_addr **list_r);

/* Append list[0..n) in ENVELOPE syntax: "((name adl mailbox host)...)",
   or NIL when n is 0.  Strings go through mime_imap_nstring(). */
void mime_addr_imap(struct buf *b, const struct mime_addr *list, size_t n);

#endif

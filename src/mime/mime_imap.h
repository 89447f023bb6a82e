/* mime_imap.h: IMAP string syntax used in ENVELOPE and BODYSTRUCTURE. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_MIME_IMAP_H
#define BUZON_MIME_IMAP_H

#include <stddef.h>

#include "buf.h"

/* Append s[0..n) as an IMAP string (RFC 3501 4.3 / RFC 9051 4.3): a quoted
   string with \\ and \" escaped when every byte is 7-bit and not CR or
   LF and n <= MIME_IMAP_QUOTED_MAX, else a literal {n}\r\n followed by
   the bytes.  NUL bytes are dropped (no IMAP string may hold them). */
void mime_imap_string(struct buf *b, const char *s, size_t n);
/* As mime_imap_string() for a NUL-terminated s; NULL appends NIL. */
void mime_imap_nstring(struct buf *b, const char *s);
/* As mime_imap_nstring() with ASCII letters upper-cased (type, subtype,
   parameter names, encodings: the RFC 3501 7.4.2 example style). */
void mime_imap_nstring_upper(struct buf *b, const char *s);

#endif

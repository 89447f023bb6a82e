/* mime_summary.h: what IMAP needs to know about a message, computed once
   at delivery by a streaming parser fed the raw bytes in any chunking. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_MIME_SUMMARY_H
#define BUZON_MIME_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parser limits; mime_summary_new(NULL) takes the MIME_* values of
   limits.h.  Past a limit the parser stops descending (deeper parts
   are summarised as opaque leaves) and never fails. */
struct mime_limits {
	unsigned depth_max;      /* nested multiparts / message/rfc822 */
	unsigned parts_max;      /* body parts in the whole message */
	size_t header_bytes_max; /* header bytes kept per part */
	size_t addresses_max;    /* addresses kept per ENVELOPE field */
};

/* The result.  Every pointer is heap memory owned by the struct and
   released by mime_msg_info_clear(); NULL when absent. */
struct mime_msg_info {
	char *envelope;      /* IMAP ENVELOPE list, RFC 9051 7.5.2 */
	char *bodystructure; /* IMAP BODYSTRUCTURE (extensible) */
	char *body;          /* IMAP BODY (non-extensible form) */
	/* Top-level header values, unfolded, raw (not 2047-decoded). */
	char *subject, *from, *to, *cc, *message_id;
	int64_t date; /* Date: as unix seconds, 0 if absent or invalid */
	bool has_date, has_message_id;
	unsigned received_count; /* top-level Received: fields */
	uint64_t header_size;    /* octets of the top-level header incl. the
				    blank line */
	uint64_t body_size;      /* octets after it */
};

struct mime_summary;

/* A new parser.  lim may be NULL (defaults); it is copied.  Never NULL. */
struct mime_summary *mime_summary_new(const struct mime_limits *lim);
/* Feed the next n bytes of the message (CRLF line ends expected, bare
   LF tolerated).  Chunking does not change the result. */
void mime_summary_feed(struct mime_summary *ms, const void *data, size_t n);
/* End of message: fill *r (which the caller owns and must later
   mime_msg_info_clear()).  Returns 0; -1 only if ms is unusable, in
   which case *r is zeroed.  Call once. */
int mime_summary_finish(struct mime_summary *ms, struct mime_msg_info *r);
/* Free the parser and set *ms to NULL.  NULL-safe. */
void mime_summary_free(struct mime_summary **ms);
/* Free what r holds and zero it. */
void mime_msg_info_clear(struct mime_msg_info *r);

#endif

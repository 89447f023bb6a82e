/* imap_thread.h: RFC 5256 THREAD ORDEREDSUBJECT and REFERENCES.  Pure. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_THREAD_H
#define BUZON_IMAP_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* One message to thread.  Strings are raw header values (folded or
   not, NUL-terminated) or NULL when the field is absent. */
struct imap_thread_msg {
	uint32_t seq; /* ties are broken by it */
	uint32_t id;  /* what is printed (seq or UID) */
	/* Sent date (RFC 5256 2.2): the Date in UTC, or the internal date
	   when the message has no valid Date. */
	int64_t date;
	const char *subject, *message_id, *in_reply_to, *references;
};

/* Thread m[0..n) (ascending sequence numbers) and append the THREAD
   response data ("(1 2)(3 (4)(5))", nothing when n is 0) to out.
   ORDEREDSUBJECT: RFC 5256 3, threads of equal base subject.
   REFERENCES: the six steps of RFC 5256 3 (REFERENCES), Message-IDs
   normalised (quotes, comments and whitespace of the msg-id dropped)
   and compared case-sensitively. */
void imap_thread_orderedsubject(const struct imap_thread_msg *m, size_t n,
				struct buf *out);
void imap_thread_references(const struct imap_thread_msg *m, size_t n,
			    struct buf *out);

/* Parse the next msg-id "<...>" of v from *pos on: the normalised id
   (local part unquoted, no whitespace, "<" and ">" dropped) is written
   to out (reset first).  Returns 1, or 0 when there is none left. */
int imap_thread_next_id(const char *v, size_t *pos, struct buf *out);

#endif

/* smtp_dsn.h: "delivered" delivery status notifications (RFC 3461 6,
   RFC 3464) for local recipients that asked NOTIFY=SUCCESS. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_DSN_H
#define BUZON_SMTP_DSN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct smtp_dsn_rcpt {
	const char *final_rcpt; /* the address as given in RCPT TO */
	const char *orcpt;      /* ORCPT "type;address" decoded, or NULL */
};

struct smtp_dsn {
	const char *hostname; /* reporting MTA */
	const char *sender;   /* the original reverse-path (To: of the DSN) */
	const char *envid;    /* ENVID decoded, or NULL */
	const char *queue_id; /* shown in the human-readable part */
	int64_t arrival;      /* unix seconds */
	const struct smtp_dsn_rcpt *rcpts;
	size_t n_rcpts;
	const void *headers; /* the message's header section (returned as
				text/rfc822-headers: RFC 3461 4.3 says a
				success DSN returns headers only) */
	size_t headers_len;
	const char *boundary; /* unique MIME boundary, [0-9A-Za-z.]+ */
};

/* Append the whole DSN message (header + multipart/report body, CRLF line
   ends) to out.  ORCPT and ENVID are copied decoded when printable ASCII
   (RFC 3461 6.3), else as xtext, so no byte of them can start a new
   header line; addresses must come from the SMTP path parser (no CR, LF
   or NUL).  Returns 0, or -1 if out's limit was hit. */
int smtp_dsn_build(const struct smtp_dsn *d, struct buf *out);

#endif

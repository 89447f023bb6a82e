/* smtp_dsn.h: delivery status notifications (RFC 3461 6, RFC 3464):
   "delivered" for local recipients that asked NOTIFY=SUCCESS, "failed"
   (bounces) and "delayed" from the outbound queue. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_DSN_H
#define BUZON_SMTP_DSN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct smtp_dsn_rcpt {
	const char *final_rcpt; /* the address as given in RCPT TO */
	const char *orcpt;      /* ORCPT "type;address" decoded, or NULL */
	/* NULL: delivered (Status 2.0.0).  Else "failed" or "delayed"
	   (RFC 3464 2.3.3) with: */
	const char *action;
	const char *status;     /* "5.1.1" (RFC 3463), required with action */
	const char *remote_mta; /* host name that answered, or NULL */
	const char *diagnostic; /* its reply "550 5.1.1 text", or NULL */
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
	/* headers holds the whole message: returned as message/rfc822
	   (RET=FULL, RFC 3461 4.3) instead of text/rfc822-headers. */
	bool full;
	const char *boundary; /* unique MIME boundary, [0-9A-Za-z.]+ */
};

/* Append the whole DSN message (header + multipart/report body, CRLF line
   ends) to out.  ORCPT and ENVID are copied decoded when printable ASCII
   (RFC 3461 6.3), else as xtext, so no byte of them can start a new
   header line; addresses must come from the SMTP path parser (no CR, LF
   or NUL).  Returns 0, or -1 if out's limit was hit. */
int smtp_dsn_build(const struct smtp_dsn *d, struct buf *out);

#endif

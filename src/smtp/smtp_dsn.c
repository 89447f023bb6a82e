/* smtp_dsn.c: build "delivered" DSN messages (RFC 3464 multipart/report). */
/* SPDX-License-Identifier: MIT */
#include "smtp/smtp_dsn.h"

#include <stdbool.h>
#include <string.h>
#include <time.h>

static bool
smtp_dsn_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* A value from the client.  RFC 3461 4.2 / 4.4 / 6.3: ORCPT and ENVID
   are copied decoded and must be printable US-ASCII; anything else is
   written as xtext (RFC 3461 4: "+" and two hex digits for bytes outside
   "!".."~", "+" and "="), so no byte can end the header line. */
static int
smtp_dsn_text(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	int rc = 0;

	if (smtp_dsn_printable(s))
		return buf_append_str(out, s);
	for (; *p != '\0'; p++) {
		if (*p >= '!' && *p <= '~' && *p != '+' && *p != '=') {
			rc |= buf_append(out, p, 1);
		} else {
			char e[3] = {'+', hex[*p >> 4], hex[*p & 15]};

			rc |= buf_append(out, e, 3);
		}
	}
	return rc;
}

/* RFC 5322 3.3 date-time in UTC. */
static void
smtp_dsn_date(char *out, size_t outlen, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outlen, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* The ORCPT type and address: "rfc822;a@b" -> "rfc822", "a@b". */
static void
smtp_dsn_orcpt(struct buf *out, const char *orcpt)
{
	const char *semi = strchr(orcpt, ';');
	char type[32];
	size_t n, i;

	if (semi == NULL || semi == orcpt ||
	    (n = (size_t)(semi - orcpt)) >= sizeof(type))
		return;
	for (i = 0; i < n; i++) {
		char c = orcpt[i];

		/* RFC 3461 4.2: addr-type is an atom */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return;
		type[i] = c;
	}
	type[n] = '\0';
	buf_printf(out, "Original-Recipient: %s;", type);
	smtp_dsn_text(out, semi + 1);
	buf_append_str(out, "\r\n");
}

/* The human-readable part: which kind of report, and the recipients. */
static int
smtp_dsn_intro(const struct smtp_dsn *d, const char *action, struct buf *out)
{
	size_t i;
	int rc = 0;

	if (action == NULL) {
		rc |= buf_printf(out,
				 "Your message %s was delivered to the "
				 "mailbox of:\r\n\r\n",
				 d->queue_id);
	} else if (strcmp(action, "failed") == 0) {
		rc |= buf_printf(out,
				 "This is the mail system at host %s.\r\n\r\n"
				 "Your message %s could not be delivered to "
				 "one or more recipients.\r\nIt is attached "
				 "below.\r\n\r\n",
				 d->hostname, d->queue_id);
	} else {
		rc |= buf_printf(out,
				 "This is the mail system at host %s.\r\n\r\n"
				 "Your message %s has not been delivered yet "
				 "to the recipients below.\r\nDelivery will "
				 "be retried; you need not send it again."
				 "\r\n\r\n",
				 d->hostname, d->queue_id);
	}
	for (i = 0; i < d->n_rcpts; i++) {
		const struct smtp_dsn_rcpt *r = &d->rcpts[i];

		rc |= buf_append_str(out, "  <");
		rc |= smtp_dsn_text(out, r->final_rcpt);
		rc |= buf_append_str(out, ">");
		if (r->diagnostic != NULL) {
			rc |= buf_append_str(out, ": ");
			rc |= smtp_dsn_text(out, r->diagnostic);
		}
		rc |= buf_append_str(out, "\r\n");
	}
	return rc;
}

int
smtp_dsn_build(const struct smtp_dsn *d, struct buf *out)
{
	const char *action = d->n_rcpts > 0 ? d->rcpts[0].action : NULL;
	const char *subject;
	char date[64], arrival[64];
	size_t i;
	int rc = 0;

	if (action == NULL)
		subject = "Successful Mail Delivery Report";
	else if (strcmp(action, "failed") == 0)
		subject = "Undelivered Mail Returned to Sender";
	else
		subject = "Delayed Mail (still being retried)";

	smtp_dsn_date(date, sizeof(date), time(NULL));
	smtp_dsn_date(arrival, sizeof(arrival), d->arrival);
	rc |= buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
			 d->hostname);
	rc |= buf_append_str(out, "To: <");
	rc |= smtp_dsn_text(out, d->sender);
	rc |= buf_append_str(out, ">\r\n");
	rc |= buf_printf(out,
			 "Subject: %s\r\n"
			 "Date: %s\r\n"
			 "Message-ID: <%s.dsn.%lld@%s>\r\n"
			 "Auto-Submitted: auto-replied\r\n"
			 "MIME-Version: 1.0\r\n"
			 "Content-Type: multipart/report; "
			 "report-type=delivery-status;\r\n"
			 "\tboundary=\"%s\"\r\n"
			 "\r\n"
			 "This is a MIME-encapsulated message.\r\n"
			 "\r\n"
			 "--%s\r\n"
			 "Content-Type: text/plain; charset=us-ascii\r\n"
			 "\r\n",
			 subject, date, d->queue_id, (long long)d->arrival,
			 d->hostname, d->boundary, d->boundary);
	rc |= smtp_dsn_intro(d, action, out);
	/* RFC 3464 2.2: per-message fields, then a blank line before each
	   group of per-recipient fields. */
	rc |= buf_printf(out,
			 "\r\n--%s\r\n"
			 "Content-Type: message/delivery-status\r\n"
			 "\r\n"
			 "Reporting-MTA: dns; %s\r\n",
			 d->boundary, d->hostname);
	if (d->envid != NULL) {
		rc |= buf_append_str(out, "Original-Envelope-Id: ");
		rc |= smtp_dsn_text(out, d->envid);
		rc |= buf_append_str(out, "\r\n");
	}
	rc |= buf_printf(out, "Arrival-Date: %s\r\n", arrival);
	for (i = 0; i < d->n_rcpts; i++) {
		rc |= buf_append_str(out, "\r\n");
		if (d->rcpts[i].orcpt != NULL)
			smtp_dsn_orcpt(out, d->rcpts[i].orcpt);
		/* RFC 6533 3: a non-ASCII address is of type utf-8 */
		rc |= buf_append_str(out, smtp_dsn_printable(
						  d->rcpts[i].final_rcpt)
					      ? "Final-Recipient: rfc822; "
					      : "Final-Recipient: utf-8; ");
		rc |= buf_append_str(out, d->rcpts[i].final_rcpt);
		if (d->rcpts[i].action == NULL) {
			/* RFC 3464 2.3.3 / 2.3.4: delivered, 2.0.0 */
			rc |= buf_append_str(out, "\r\nAction: delivered\r\n"
						  "Status: 2.0.0\r\n");
			continue;
		}
		rc |= buf_printf(out, "\r\nAction: %s\r\nStatus: %s\r\n",
				 d->rcpts[i].action, d->rcpts[i].status);
		/* RFC 3464 2.3.5 / 2.3.6: the MTA and its words, typed */
		if (d->rcpts[i].remote_mta != NULL) {
			rc |= buf_append_str(out, "Remote-MTA: dns; ");
			rc |= smtp_dsn_text(out, d->rcpts[i].remote_mta);
			rc |= buf_append_str(out, "\r\n");
		}
		if (d->rcpts[i].diagnostic != NULL) {
			rc |= buf_append_str(out, "Diagnostic-Code: smtp; ");
			rc |= smtp_dsn_text(out, d->rcpts[i].diagnostic);
			rc |= buf_append_str(out, "\r\n");
		}
	}
	rc |= buf_printf(out,
			 "\r\n--%s\r\n"
			 "Content-Type: %s\r\n"
			 "\r\n",
			 d->boundary,
			 d->full ? "message/rfc822" : "text/rfc822-headers");
	rc |= buf_append(out, d->headers, d->headers_len);
	if (d->headers_len > 0 &&
	    ((const char *)d->headers)[d->headers_len - 1] != '\n')
		rc |= buf_append_str(out, "\r\n");
	rc |= buf_printf(out, "\r\n--%s--\r\n", d->boundary);
	return rc < 0 ? -1 : 0;
}

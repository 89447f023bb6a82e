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

int
smtp_dsn_build(const struct smtp_dsn *d, struct buf *out)
{
	char date[64], arrival[64];
	size_t i;
	int rc = 0;

	smtp_dsn_date(date, sizeof(date), time(NULL));
	smtp_dsn_date(arrival, sizeof(arrival), d->arrival);
	rc |= buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n",
			 d->hostname);
	rc |= buf_append_str(out, "To: <");
	rc |= smtp_dsn_text(out, d->sender);
	rc |= buf_append_str(out, ">\r\n");
	rc |= buf_printf(out,
			 "Subject: Successful Mail Delivery Report\r\n"
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
			 "\r\n"
			 "Your message %s was delivered to the mailbox of:\r\n"
			 "\r\n",
			 date, d->queue_id, (long long)d->arrival, d->hostname,
			 d->boundary, d->boundary, d->queue_id);
	for (i = 0; i < d->n_rcpts; i++) {
		rc |= buf_append_str(out, "  <");
		rc |= smtp_dsn_text(out, d->rcpts[i].final_rcpt);
		rc |= buf_append_str(out, ">\r\n");
	}
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
		/* RFC 3464 2.3.3 / 2.3.4: delivered, 2.0.0 */
		rc |= buf_append_str(out, "\r\nAction: delivered\r\n"
					  "Status: 2.0.0\r\n");
	}
	rc |= buf_printf(out,
			 "\r\n--%s\r\n"
			 "Content-Type: text/rfc822-headers\r\n"
			 "\r\n",
			 d->boundary);
	rc |= buf_append(out, d->headers, d->headers_len);
	if (d->headers_len > 0 &&
	    ((const char *)d->headers)[d->headers_len - 1] != '\n')
		rc |= buf_append_str(out, "\r\n");
	rc |= buf_printf(out, "\r\n--%s--\r\n", d->boundary);
	return rc < 0 ? -1 : 0;
}

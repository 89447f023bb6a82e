/* smtp_data.c: DATA dot-unstuffing and end of data; BDAT bare CR/LF scan. */
/* SPDX-License-Identifier: MIT */
#include "smtp_data.h"

#include <string.h>

/* Where the decoder stands.  Only BOL (after a real CRLF, or at the
   start) can begin the terminator: that is the SMTP smuggling defence. */
enum {
	SD_BOL,    /* beginning of a line */
	SD_DOT,    /* "." at the beginning of a line */
	SD_DOT_CR, /* "." CR at the beginning of a line */
	SD_TEXT,   /* inside a line */
	SD_CR,     /* CR inside a line, LF not seen yet */
	SD_DONE
};

void
smtp_data_init(struct smtp_data *d)
{
	memset(d, 0, sizeof(*d));
	d->state = SD_BOL;
}

static void
smtp_data_emit(struct smtp_data *d, struct buf *out, const void *p, size_t n)
{
	d->octets += n;
	if (d->discard || n == 0)
		return;
	if (buf_append(out, p, n) < 0) {
		/* Keep finding the end so the reply comes at the right time. */
		d->overflow = true;
		d->discard = true;
	}
}

static bool
smtp_data_plain(uint8_t c)
{
	return c != '\r' && c != '\n' && c != '\0';
}

size_t
smtp_data_decode(struct smtp_data *d, const uint8_t *in, size_t n,
		 struct buf *out)
{
	size_t i = 0, j;

	if (d->done)
		return 0;
	while (i < n) {
		uint8_t c = in[i];

		if (d->state == SD_BOL) {
			if (c == '.') {
				d->state = SD_DOT;
				i++;
				continue;
			}
			d->state = SD_TEXT;
		} else if (d->state == SD_DOT) {
			if (c == '\r') {
				d->state = SD_DOT_CR;
				i++;
				continue;
			}
			/* RFC 5321 4.5.2: a leading dot is deleted. */
			d->state = SD_TEXT;
		} else if (d->state == SD_DOT_CR) {
			if (c == '\n') {
				/* RFC 5321 4.1.1.4: CRLF "." CRLF ends it. */
				d->done = true;
				d->state = SD_DONE;
				return i + 1;
			}
			d->bare_cr++;
			smtp_data_emit(d, out, "\r", 1);
			d->state = SD_TEXT;
		} else if (d->state == SD_CR) {
			if (c == '\n') {
				smtp_data_emit(d, out, "\r\n", 2);
				d->state = SD_BOL;
				i++;
				continue;
			}
			/* RFC 5321 2.3.8: CR only as part of CRLF. */
			d->bare_cr++;
			smtp_data_emit(d, out, "\r", 1);
			d->state = SD_TEXT;
		}
		/* SD_TEXT: copy a run of ordinary bytes in one go. */
		for (j = i; j < n && smtp_data_plain(in[j]); j++)
			;
		smtp_data_emit(d, out, in + i, j - i);
		if (j == n)
			break;
		c = in[j];
		i = j + 1;
		if (c == '\r') {
			d->state = SD_CR;
		} else if (c == '\n') {
			/* A bare LF is not a line end: no dot handling or
			   terminator may follow it. */
			d->bare_lf++;
			smtp_data_emit(d, out, "\n", 1);
		} else {
			d->nul++;
			smtp_data_emit(d, out, "", 1);
		}
	}
	return n;
}

void
smtp_bare_scan_init(struct smtp_bare_scan *s)
{
	memset(s, 0, sizeof(*s));
}

void
smtp_data_scan_bare(struct smtp_bare_scan *s, const uint8_t *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = in[i];

		if (s->cr) {
			s->cr = false;
			if (c == '\n')
				continue;
			s->bare_cr++;
		}
		if (smtp_data_plain(c))
			continue;
		if (c == '\r')
			s->cr = true;
		else if (c == '\n')
			s->bare_lf++;
		else
			s->nul++;
	}
}

void
smtp_bare_scan_finish(struct smtp_bare_scan *s)
{
	if (s->cr)
		s->bare_cr++;
	s->cr = false;
}

/* smtp_reply.c: SMTP server replies and EHLO capabilities, as seen by a client (pure). */
/* SPDX-License-Identifier: MIT */
#include "smtp_reply.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits.h"
#include "xalloc.h"

void
smtp_reply_parser_init(struct smtp_reply_parser *p)
{
	memset(p, 0, sizeof(*p));
	buf_init(&p->raw, 0);
	buf_init(&p->text, 0);
}

void
smtp_reply_parser_deinit(struct smtp_reply_parser *p)
{
	free(p->line);
	buf_deinit(&p->raw);
	buf_deinit(&p->text);
	memset(p, 0, sizeof(*p));
}

void
smtp_reply_parser_reset(struct smtp_reply_parser *p)
{
	p->len = 0;
	p->too_long = false;
	p->code = 0;
	p->nlines = 0;
	buf_reset(&p->raw);
	buf_reset(&p->text);
}

/* Keep n more bytes of the current line (its CR included, its LF not);
   what passes the limit is dropped and remembered. */
static void
smtp_reply_store(struct smtp_reply_parser *p, const uint8_t *s, size_t n)
{
	size_t room = SMTP_REPLY_LINE_MAX - 1 - p->len;

	if (n > room) {
		p->too_long = true;
		n = room;
	}
	if (n == 0)
		return;
	if (p->len + n > p->cap) {
		size_t cap = p->cap < 128 ? 128 : p->cap;

		while (cap < p->len + n)
			cap *= 2;
		if (cap > SMTP_REPLY_LINE_MAX)
			cap = SMTP_REPLY_LINE_MAX;
		p->line = xrealloc(p->line, cap);
		p->cap = cap;
	}
	memcpy(p->line + p->len, s, n);
	p->len += n;
}

/* Length of an enhanced status code (RFC 3463 2: class "." 1*3digit "."
   1*3digit) at the start of s whose class is cls, followed by a space
   or the end; 0 if there is none. */
static size_t
smtp_reply_enh_len(const char *s, size_t n, char cls)
{
	size_t i = 0, part, digits;

	if (n < 5 || s[0] != cls || s[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
		if (digits < 1 || digits > 3)
			return 0;
		if (part == 0) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	if (i < n && s[i] != ' ')
		return 0;
	return i;
}

/* Check one complete line (without its line end) and add it to the
   reply.  Returns 1 when it was the last line, 0 when more lines
   follow, -1 with p->error set. */
static int
smtp_reply_line(struct smtp_reply_parser *p)
{
	const char *s = p->line, *t;
	size_t n = p->len, tn, el;
	int code;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (p->too_long || n > SMTP_REPLY_LINE_MAX - 2) {
		p->error = "Reply line too long";
		return -1;
	}
	if (memchr(s, '\0', n) != NULL) {
		p->error = "NUL in reply";
		return -1;
	}
	if (memchr(s, '\r', n) != NULL) {
		p->error = "Bare CR in reply";
		return -1;
	}
	/* RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39; the middle
	   digit is taken loosely, as deployed clients do. */
	if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' ||
	    s[2] < '0' || s[2] > '9') {
		p->error = "Bad reply code";
		return -1;
	}
	if (n > 3 && s[3] != '-' && s[3] != ' ') {
		p->error = "Bad reply separator";
		return -1;
	}
	code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (p->nlines > 0 && code != p->code) {
		p->error = "Inconsistent reply codes";
		return -1;
	}
	if (p->nlines >= SMTP_REPLY_LINES_MAX) {
		p->error = "Too many reply lines";
		return -1;
	}
	p->code = code;
	t = n > 3 ? s + 4 : s + 3;
	tn = n > 3 ? n - 4 : 0;
	if (p->nlines > 0) {
		buf_append(&p->raw, "\n", 1);
		buf_append(&p->text, "\n", 1);
	}
	buf_append(&p->raw, t, tn);
	/* RFC 2034 4: the code is followed by one or more spaces. */
	el = smtp_reply_enh_len(t, tn, s[0]);
	if (el > 0) {
		while (el < tn && t[el] == ' ')
			el++;
		t += el;
		tn -= el;
	}
	buf_append(&p->text, t, tn);
	p->nlines++;
	return n > 3 && s[3] == '-' ? 0 : 1;
}

/* Fill r from the completed reply. */
static void
smtp_reply_finish(struct smtp_reply_parser *p, struct smtp_reply *r)
{
	const char *first;
	size_t n, el;

	memset(r, 0, sizeof(*r));
	r->code = p->code;
	r->nlines = p->nlines;
	r->lines_len = buf_len(&p->raw);
	r->text_len = buf_len(&p->text);
	buf_append(&p->raw, "", 1);
	buf_append(&p->text, "", 1);
	r->lines = (const char *)buf_rptr(&p->raw);
	r->text = (const char *)buf_rptr(&p->text);
	first = r->lines;
	n = strcspn(first, "\n");
	el = smtp_reply_enh_len(first, n, (char)('0' + r->code / 100));
	/* 3xx replies carry no enhanced code (RFC 2034 4). */
	if (el > 0 && el < sizeof(r->enh) && r->code / 100 != 3) {
		memcpy(r->enh, first, el);
		r->enh[el] = '\0';
	}
}

int
smtp_reply_parse(struct smtp_reply_parser *p, struct buf *in,
		 struct smtp_reply *r)
{
	const uint8_t *start, *s, *end, *lf;
	int rc;

	if (p->code == -1) {
		/* The previous call returned a whole reply: start anew. */
		buf_reset(&p->raw);
		buf_reset(&p->text);
		p->nlines = 0;
		p->code = 0;
	}
	start = s = buf_rptr(in);
	end = s + buf_len(in);
	while (s < end) {
		lf = memchr(s, '\n', (size_t)(end - s));
		if (lf == NULL) {
			smtp_reply_store(p, s, (size_t)(end - s));
			s = end;
			break;
		}
		smtp_reply_store(p, s, (size_t)(lf - s));
		s = lf + 1;
		rc = smtp_reply_line(p);
		p->len = 0;
		p->too_long = false;
		if (rc < 0) {
			buf_consume(in, (size_t)(s - start));
			smtp_reply_parser_reset(p);
			return -1;
		}
		if (rc > 0) {
			buf_consume(in, (size_t)(s - start));
			smtp_reply_finish(p, r);
			/* Mark the reply as handed out: the next call clears
			   it (the strings stay valid until then). */
			p->code = -1;
			return 1;
		}
	}
	buf_consume(in, (size_t)(s - start));
	return 0;
}

/* ------------------------------------------------------------------ */
/* EHLO capabilities (RFC 5321 4.1.1.1)                               */

static const struct {
	const char *name;
	unsigned bit;
} smtp_auth_mechs[] = {
    {"PLAIN", SMTP_AUTH_MECH_PLAIN},
    {"LOGIN", SMTP_AUTH_MECH_LOGIN},
    {"CRAM-MD5", SMTP_AUTH_MECH_CRAM_MD5},
    {"SCRAM-SHA-1", SMTP_AUTH_MECH_SCRAM_SHA_1},
    {"SCRAM-SHA-256", SMTP_AUTH_MECH_SCRAM_SHA_256},
    {"XOAUTH2", SMTP_AUTH_MECH_XOAUTH2},
};

static bool
smtp_reply_word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static unsigned
smtp_reply_mech(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(smtp_auth_mechs) / sizeof(smtp_auth_mechs[0]);
	     i++)
		if (smtp_reply_word_is(s, n, smtp_auth_mechs[i].name))
			return smtp_auth_mechs[i].bit;
	return SMTP_AUTH_MECH_OTHER;
}

/* RFC 1870 4: "SIZE" [SP number]; 0 or absent means no fixed limit. */
static uint64_t
smtp_reply_size(const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return UINT64_MAX;
		v = v * 10 + d;
	}
	return v;
}

/* One ehlo-line of n bytes. */
static void
smtp_reply_caps_line(const char *s, size_t n, struct smtp_caps *caps)
{
	size_t kl, i, j;
	const char *args;
	size_t an;

	/* ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
	for (kl = 0; kl < n && s[kl] != ' ' && s[kl] != '='; kl++)
		;
	args = s + kl;
	an = n - kl;
	if (an > 0) {
		args++;
		an--;
	}
	if (smtp_reply_word_is(s, kl, "PIPELINING"))
		caps->pipelining = true;
	else if (smtp_reply_word_is(s, kl, "STARTTLS"))
		caps->starttls = true;
	else if (smtp_reply_word_is(s, kl, "8BITMIME"))
		caps->eightbitmime = true;
	else if (smtp_reply_word_is(s, kl, "SMTPUTF8"))
		caps->smtputf8 = true;
	else if (smtp_reply_word_is(s, kl, "DSN"))
		caps->dsn = true;
	else if (smtp_reply_word_is(s, kl, "CHUNKING"))
		caps->chunking = true;
	else if (smtp_reply_word_is(s, kl, "BINARYMIME"))
		caps->binarymime = true;
	else if (smtp_reply_word_is(s, kl, "ENHANCEDSTATUSCODES"))
		caps->enhancedstatuscodes = true;
	else if (smtp_reply_word_is(s, kl, "SIZE")) {
		while (an > 0 && args[an - 1] == ' ')
			an--;
		caps->size = true;
		caps->size_max = smtp_reply_size(args, an);
	} else if (smtp_reply_word_is(s, kl, "AUTH")) {
		/* RFC 4954 3: "AUTH" SP mechanism *(SP mechanism). */
		for (i = 0; i < an; i = j) {
			while (i < an && args[i] == ' ')
				i++;
			for (j = i; j < an && args[j] != ' '; j++)
				;
			if (j > i)
				caps->auth |= smtp_reply_mech(args + i, j - i);
		}
	}
}

void
smtp_reply_caps(const struct smtp_reply *r, struct smtp_caps *caps)
{
	const char *s = r->lines, *end = r->lines + r->lines_len, *nl;

	memset(caps, 0, sizeof(*caps));
	/* The first line is "domain [greeting]". */
	nl = memchr(s, '\n', (size_t)(end - s));
	while (nl != NULL) {
		s = nl + 1;
		nl = memchr(s, '\n', (size_t)(end - s));
		smtp_reply_caps_line(s, (size_t)((nl != NULL ? nl : end) - s),
				     caps);
	}
}

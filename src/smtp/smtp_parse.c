/* smtp_parse.c: SMTP command lines, MAIL/RCPT paths and parameters (pure). */
/* SPDX-License-Identifier: MIT */
#include "smtp_parse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "limits.h"
#include "log.h"
#include "utf8.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Command lines                                                      */

static const char *const smtp_verb_names[SMTP_VERB__COUNT] = {
    [SMTP_VERB_UNKNOWN] = "UNKNOWN", [SMTP_VERB_HELO] = "HELO",
    [SMTP_VERB_EHLO] = "EHLO",       [SMTP_VERB_MAIL] = "MAIL",
    [SMTP_VERB_RCPT] = "RCPT",       [SMTP_VERB_DATA] = "DATA",
    [SMTP_VERB_BDAT] = "BDAT",       [SMTP_VERB_RSET] = "RSET",
    [SMTP_VERB_NOOP] = "NOOP",       [SMTP_VERB_QUIT] = "QUIT",
    [SMTP_VERB_VRFY] = "VRFY",       [SMTP_VERB_EXPN] = "EXPN",
    [SMTP_VERB_HELP] = "HELP",       [SMTP_VERB_STARTTLS] = "STARTTLS",
    [SMTP_VERB_AUTH] = "AUTH",       [SMTP_VERB_SEND] = "SEND",
    [SMTP_VERB_SOML] = "SOML",       [SMTP_VERB_SAML] = "SAML",
    [SMTP_VERB_TURN] = "TURN",       [SMTP_VERB_ETRN] = "ETRN",
    [SMTP_VERB_ATRN] = "ATRN",
};

const char *
smtp_verb_name(enum smtp_verb verb)
{
	if ((unsigned)verb >= SMTP_VERB__COUNT)
		return smtp_verb_names[SMTP_VERB_UNKNOWN];
	return smtp_verb_names[verb];
}

static enum smtp_verb
smtp_verb_lookup(const char *s, size_t n)
{
	int v;

	for (v = SMTP_VERB_UNKNOWN + 1; v < SMTP_VERB__COUNT; v++)
		if (strlen(smtp_verb_names[v]) == n &&
		    strncasecmp(smtp_verb_names[v], s, n) == 0)
			return (enum smtp_verb)v;
	return SMTP_VERB_UNKNOWN;
}

void
smtp_parser_init(struct smtp_parser *p, size_t max_line, size_t max_auth_line)
{
	ASSERT(max_line >= 3 && max_auth_line >= max_line);
	memset(p, 0, sizeof(*p));
	p->max_line = max_line;
	p->max_auth_line = max_auth_line;
}

void
smtp_parser_deinit(struct smtp_parser *p)
{
	free(p->line);
	memset(p, 0, sizeof(*p));
}

/* Make room for n more content bytes plus a NUL; never past the AUTH
   limit (content max_auth_line - 2, the CRLF not being stored). */
static void
smtp_parser_grow(struct smtp_parser *p, size_t n)
{
	size_t need = p->len + n + 1, cap;

	if (need <= p->cap)
		return;
	cap = p->cap < 128 ? 128 : p->cap;
	while (cap < need)
		cap *= 2;
	if (cap > p->max_auth_line - 1)
		cap = p->max_auth_line - 1;
	p->line = xrealloc(p->line, cap);
	p->cap = cap;
}

/* Keep n line bytes; what passes the longest allowed line is dropped. */
static void
smtp_parser_store(struct smtp_parser *p, const uint8_t *s, size_t n)
{
	size_t room = p->max_auth_line - 2 - p->len;

	p->total += n;
	if (n > room) {
		p->too_long = true;
		n = room;
	}
	if (n == 0)
		return;
	smtp_parser_grow(p, n);
	memcpy(p->line + p->len, s, n);
	p->len += n;
}

/* Read up to the end of the current line.  Returns 1 when the line ended
   (*bare_lf tells whether by a bare LF), 0 when in is used up. */
static int
smtp_parser_read(struct smtp_parser *p, struct buf *in, bool *bare_lf)
{
	const uint8_t *start = buf_rptr(in), *s = start, *end = s + buf_len(in);
	const uint8_t *q;

	*bare_lf = false;
	while (s < end) {
		if (p->cr) {
			p->cr = false;
			if (*s == '\n') {
				buf_consume(in, (size_t)(s + 1 - start));
				return 1;
			}
			/* RFC 5321 2.3.8: CR only as part of CRLF. */
			p->bare_cr = true;
			p->total++;
		}
		for (q = s; q < end && *q != '\r' && *q != '\n' && *q != '\0';
		     q++)
			;
		smtp_parser_store(p, s, (size_t)(q - s));
		s = q;
		if (s == end)
			break;
		if (*s == '\r') {
			p->cr = true;
		} else if (*s == '\n') {
			/* A bare LF ends the (bad) line so the client gets an
			   answer instead of a hang; it is never a valid end. */
			*bare_lf = true;
			buf_consume(in, (size_t)(s + 1 - start));
			return 1;
		} else {
			p->nul = true;
			p->total++;
		}
		s++;
	}
	buf_consume(in, (size_t)(s - start));
	return 0;
}

/* Judge the line that just ended against limit (CRLF included), set the
   error if bad, and reset the line state for the next line.  The stored
   bytes stay in p->line (NUL-terminated) until the next call. */
static int
smtp_parser_finish(struct smtp_parser *p, bool bare_lf, size_t limit)
{
	const char *text = NULL;

	if (p->too_long || p->total > limit - 2)
		text = "Line too long";
	else if (bare_lf)
		text = "Bare LF received";
	else if (p->bare_cr)
		text = "Bare CR received";
	else if (p->nul)
		text = "NUL received";
	p->len = 0;
	p->total = 0;
	p->cr = p->bare_cr = p->nul = p->too_long = false;
	if (text == NULL)
		return 0;
	p->error_code = 500;
	p->error_enh = "5.5.2";
	p->error_text = text;
	return -1;
}

int
smtp_parse_command(struct smtp_parser *p, struct buf *in, struct smtp_cmd *cmd)
{
	size_t len, vlen, alen, total;
	char *line, *sp, *args;
	enum smtp_verb verb;
	bool bare_lf;

	if (smtp_parser_read(p, in, &bare_lf) == 0)
		return 0;
	smtp_parser_grow(p, 0);
	line = p->line;
	len = p->len;
	total = p->total;
	line[len] = '\0';
	sp = memchr(line, ' ', len);
	vlen = sp != NULL ? (size_t)(sp - line) : len;
	verb = smtp_verb_lookup(line, vlen);
	/* RFC 4954 4: AUTH lines may carry a long initial response. */
	if (smtp_parser_finish(p, bare_lf,
			       verb == SMTP_VERB_AUTH ? p->max_auth_line
						      : p->max_line) < 0)
		return -1;
	if (sp != NULL) {
		*sp = '\0';
		for (args = sp + 1; *args == ' '; args++)
			;
	} else {
		args = line + len;
	}
	alen = (size_t)(line + len - args);
	while (alen > 0 && args[alen - 1] == ' ')
		args[--alen] = '\0';
	cmd->verb = verb;
	cmd->verb_str = line;
	cmd->args = args;
	cmd->args_len = alen;
	cmd->line_len = total;
	return 1;
}

int
smtp_parse_line(struct smtp_parser *p, struct buf *in, const char **line,
		size_t *len)
{
	bool bare_lf;

	if (smtp_parser_read(p, in, &bare_lf) == 0)
		return 0;
	smtp_parser_grow(p, 0);
	p->line[p->len] = '\0';
	*len = p->len;
	if (smtp_parser_finish(p, bare_lf, p->max_auth_line) < 0)
		return -1;
	*line = p->line;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Paths (RFC 5321 4.1.2)                                             */

/* RFC 5321 4.1.2 atext (RFC 5322 3.2.3). */
static bool
smtp_is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool
smtp_is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/* Dot-string = Atom *("." Atom), atext extended by UTF-8 (RFC 6531 3.3).
   Returns the end, or NULL if there is no valid dot-string at s. */
static const char *
smtp_dot_string(const char *s, bool *utf8)
{
	const unsigned char *p = (const unsigned char *)s;

	for (;;) {
		const unsigned char *atom = p;
		size_t u;

		for (;;) {
			if (smtp_is_atext(*p))
				p++;
			else if (*p >= 0x80 &&
				 (u = utf8_char_len(p, SIZE_MAX)) > 0) {
				*utf8 = true;
				p += u;
			} else
				break;
		}
		if (p == atom)
			return NULL;
		if (*p != '.')
			return (const char *)p;
		p++;
	}
}

/* Quoted-string (RFC 5321 4.1.2).  s is at the opening quote.  Returns
   the end (after the closing quote) or NULL.  When out is not NULL the
   unescaped content is written there (*outlen bytes). */
static const char *
smtp_quoted_string(const char *s, bool *utf8, char *out, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s + 1;
	size_t n = 0, u;

	for (;;) {
		unsigned char c = *p;

		if (c == '"')
			break;
		if (c == '\\') {
			/* quoted-pairSMTP = %d92 %d32-126 */
			if (p[1] < 32 || p[1] > 126)
				return NULL;
			if (out != NULL)
				out[n] = (char)p[1];
			n++;
			p += 2;
		} else if (c >= 32 && c <= 126) {
			if (out != NULL)
				out[n] = (char)c;
			n++;
			p++;
		} else if (c >= 0x80 && (u = utf8_char_len(p, SIZE_MAX)) > 0) {
			*utf8 = true;
			if (out != NULL)
				memcpy(out + n, p, u);
			n += u;
			p += u;
		} else {
			return NULL; /* NUL, controls, DEL, bad UTF-8 */
		}
	}
	*outlen = n;
	return (const char *)p + 1;
}

/* Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]
   or a U-label (RFC 6531 3.3).  A trailing dot is refused.  Returns the
   end or NULL. */
static const char *
smtp_domain_name(const char *s, bool *utf8)
{
	const unsigned char *p = (const unsigned char *)s;

	for (;;) {
		const unsigned char *label = p;
		bool ascii = true;
		size_t u;

		for (;;) {
			if (smtp_is_alnum(*p) || *p == '-')
				p++;
			else if (*p >= 0x80 &&
				 (u = utf8_char_len(p, SIZE_MAX)) > 0) {
				ascii = false;
				*utf8 = true;
				p += u;
			} else
				break;
		}
		if (p == label || *label == '-' || p[-1] == '-')
			return NULL;
		/* RFC 1035 2.3.4: labels are 63 octets at most. */
		if (ascii && p - label > 63)
			return NULL;
		if (*p != '.')
			return (const char *)p;
		p++;
	}
}

/* Address literal "[1.2.3.4]" or "[IPv6:...]" (RFC 5321 4.1.3).  s is at
   '['.  Returns the end (after ']') and the canonical form in *canon,
   or NULL. */
static const char *
smtp_address_literal(const char *s, char *canon, size_t canon_size)
{
	const char *close = strchr(s, ']');
	char tmp[64], ntop[INET6_ADDRSTRLEN];
	unsigned char addr[16];
	size_t n;

	if (close == NULL || (n = (size_t)(close - s - 1)) >= sizeof(tmp))
		return NULL;
	memcpy(tmp, s + 1, n);
	tmp[n] = '\0';
	if (strncasecmp(tmp, "IPv6:", 5) == 0) {
		if (inet_pton(AF_INET6, tmp + 5, addr) != 1 ||
		    inet_ntop(AF_INET6, addr, ntop, sizeof(ntop)) == NULL)
			return NULL;
		snprintf(canon, canon_size, "[IPv6:%s]", ntop);
	} else {
		/* General-address-literal tags are not routable for us. */
		if (inet_pton(AF_INET, tmp, addr) != 1 ||
		    inet_ntop(AF_INET, addr, ntop, sizeof(ntop)) == NULL)
			return NULL;
		snprintf(canon, canon_size, "[%s]", ntop);
	}
	return close + 1;
}

/* A parsed domain: where it ends and its canonical form. */
struct smtp_domain_res {
	const char *end;
	const char *canon; /* in the arena */
	bool literal;
};

static int
smtp_domain(const char *s, struct arena *a, bool *utf8,
	    struct smtp_domain_res *res, const char **why)
{
	char lit[80];
	char *d;
	size_t n, i;

	if (*s == '[') {
		res->end = smtp_address_literal(s, lit, sizeof(lit));
		if (res->end == NULL) {
			*why = "Invalid address literal";
			return -1;
		}
		res->literal = true;
		res->canon = arena_strdup(a, lit);
		return 0;
	}
	res->end = smtp_domain_name(s, utf8);
	if (res->end == NULL) {
		*why = "Invalid domain";
		return -1;
	}
	n = (size_t)(res->end - s);
	if (n > SMTP_DOMAIN_MAX) {
		*why = "Domain too long";
		return -1;
	}
	d = arena_strndup(a, s, n);
	for (i = 0; i < n; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	res->literal = false;
	res->canon = d;
	return 0;
}

#define SMTP_PATH_NULL_OK 1u
#define SMTP_PATH_POSTMASTER_OK 2u
#define SMTP_PATH_BRACKETS 4u

/* The local part in canonical form: as is if it is a dot-string, else
   quoted with '"' and '\' escaped. */
static const char *
smtp_local_canon(struct arena *a, const char *local, size_t n)
{
	bool utf8 = false;
	const char *end = smtp_dot_string(local, &utf8);
	char *q, *o;
	size_t i;

	if (end == local + n)
		return local;
	q = o = arena_alloc(a, 2 * n + 3);
	*o++ = '"';
	for (i = 0; i < n; i++) {
		if (local[i] == '"' || local[i] == '\\')
			*o++ = '\\';
		*o++ = local[i];
	}
	*o++ = '"';
	*o = '\0';
	return q;
}

/* Parse a path at s.  With SMTP_PATH_BRACKETS, s must be at '<' and a
   source route is allowed; otherwise s is a bare mailbox.  Returns the
   end of the path or NULL with *why set. */
static const char *
smtp_path_parse(const char *s, unsigned flags, struct arena *a,
		struct smtp_path *path, const char **why)
{
	const char *start = s, *lstart, *lend;
	struct smtp_domain_res dom;
	bool quoted, brackets = (flags & SMTP_PATH_BRACKETS) != 0;
	size_t n;
	char *local;

	memset(path, 0, sizeof(*path));
	*why = "Syntax error in address";
	if (brackets) {
		s++;
		if (*s == '>') {
			if (!(flags & SMTP_PATH_NULL_OK)) {
				*why = "Null path not allowed";
				return NULL;
			}
			path->is_null = true;
			path->local = path->addr = "";
			return s + 1;
		}
		/* RFC 5321 4.1.1.3 and C: accept a source route, ignore it. */
		if (*s == '@') {
			bool route_utf8 = false; /* dropped with the route */

			for (;;) {
				if (smtp_domain(s + 1, a, &route_utf8, &dom,
						why) < 0)
					return NULL;
				s = dom.end;
				if (*s == ':')
					break;
				if (s[0] != ',' || s[1] != '@') {
					*why = "Syntax error in source route";
					return NULL;
				}
				s++;
			}
			s++;
		}
	}
	lstart = s;
	quoted = *s == '"';
	if (quoted)
		lend = smtp_quoted_string(s, &path->needs_utf8, NULL, &n);
	else
		lend = smtp_dot_string(s, &path->needs_utf8);
	if (lend == NULL)
		return NULL;
	if ((size_t)(lend - lstart) > SMTP_LOCALPART_MAX) {
		*why = "Local part too long";
		return NULL;
	}
	if (quoted) {
		local = arena_alloc(a, n + 1);
		smtp_quoted_string(lstart, &path->needs_utf8, local, &n);
		if (n == 0) {
			*why = "Empty local part";
			return NULL;
		}
	} else {
		n = (size_t)(lend - lstart);
		local = arena_strndup(a, lstart, n);
	}
	path->local = local;
	s = lend;
	if (*s != '@') {
		/* RFC 5321 4.1.1.3: "<Postmaster>" without a domain. */
		if (!(flags & SMTP_PATH_POSTMASTER_OK) || quoted ||
		    strcasecmp(local, "postmaster") != 0)
			return NULL;
		path->is_postmaster = true;
		path->addr = local;
	} else {
		if (smtp_domain(s + 1, a, &path->needs_utf8, &dom, why) < 0)
			return NULL;
		s = dom.end;
		path->domain = dom.canon;
		path->domain_is_literal = dom.literal;
		path->addr = arena_printf(
		    a, "%s@%s", smtp_local_canon(a, local, n), dom.canon);
	}
	if (brackets) {
		if (*s != '>')
			return NULL;
		s++;
	}
	/* RFC 5321 4.5.3.1.3: 256 octets including the punctuation. */
	if ((size_t)(s - start) + (brackets ? 0 : 2) > SMTP_PATH_MAX) {
		*why = "Path too long";
		return NULL;
	}
	return s;
}

static void
smtp_err(struct smtp_parse_error *err, int code, const char *enh,
	 const char *text)
{
	err->code = code;
	err->enh = enh;
	err->text = text;
}

int
smtp_parse_mailbox(const char *s, struct arena *a, struct smtp_path *path,
		   struct smtp_parse_error *err)
{
	unsigned flags = SMTP_PATH_POSTMASTER_OK;
	const char *why, *end;

	if (*s == '<')
		flags |= SMTP_PATH_BRACKETS;
	end = smtp_path_parse(s, flags, a, path, &why);
	if (end != NULL && *end != '\0') {
		why = "Syntax error in address";
		end = NULL;
	}
	if (end == NULL) {
		smtp_err(err, 501, "5.1.3", why);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* MAIL and RCPT parameters                                           */

static int
smtp_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *
smtp_xtext_decode(const char *s, size_t n, struct arena *a)
{
	char *out = arena_alloc(a, n + 1), *o = out;
	const unsigned char *p = (const unsigned char *)s, *end = p + n;

	while (p < end) {
		unsigned char c = *p;
		size_t u;

		if (c == '+') {
			/* hexchar = "+" 2HEXDIG (upper case in RFC 3461 4;
			   lower case is accepted). */
			int hi, lo, v;

			if (end - p < 3 || (hi = smtp_hex(p[1])) < 0 ||
			    (lo = smtp_hex(p[2])) < 0)
				return NULL;
			v = hi << 4 | lo;
			if (v < 0x20 || v == 0x7f)
				return NULL;
			*o++ = (char)v;
			p += 3;
		} else if (c >= 33 && c <= 126 && c != '=') {
			*o++ = (char)c;
			p++;
		} else if (c >= 0x80 &&
			   (u = utf8_char_len(p, (size_t)(end - p))) > 0) {
			/* RFC 6533 utf-8-addr-unitext under SMTPUTF8. */
			memcpy(o, p, u);
			o += u;
			p += u;
		} else {
			return NULL;
		}
	}
	*o = '\0';
	return out;
}

/* One parameter: keyword[=value] (RFC 5321 4.1.2 esmtp-param). */
struct smtp_param {
	const char *kw;
	size_t kwlen;
	const char *val; /* NULL if no "=" */
	size_t vlen;
};

/* Parse the next parameter at *sp (after the separating spaces).
   Returns 1 with *prm, 0 at the end, -1 if malformed. */
static int
smtp_param_next(const char **sp, struct smtp_param *prm)
{
	const unsigned char *p = (const unsigned char *)*sp;
	size_t u;

	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	prm->kw = (const char *)p;
	if (!smtp_is_alnum(*p))
		return -1;
	while (smtp_is_alnum(*p) || *p == '-')
		p++;
	prm->kwlen = (size_t)((const char *)p - prm->kw);
	prm->val = NULL;
	prm->vlen = 0;
	if (*p == '=') {
		prm->val = (const char *)++p;
		/* esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 allowed by
		   RFC 6531 3.3. */
		for (;;) {
			if (*p >= 33 && *p <= 126 && *p != '=')
				p++;
			else if (*p >= 0x80 &&
				 (u = utf8_char_len(p, SIZE_MAX)) > 0)
				p += u;
			else
				break;
		}
		prm->vlen = (size_t)((const char *)p - prm->val);
		if (prm->vlen == 0)
			return -1;
	}
	if (*p != ' ' && *p != '\0')
		return -1;
	*sp = (const char *)p;
	return 1;
}

static bool
smtp_value_is(const char *v, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(v, word, n) == 0;
}

static int
smtp_bad_param(struct smtp_parse_error *err, const char *text)
{
	smtp_err(err, 555, "5.5.4", text);
	return -1;
}

enum {
	MAIL_P_SIZE,
	MAIL_P_BODY,
	MAIL_P_SMTPUTF8,
	MAIL_P_RET,
	MAIL_P_ENVID,
	MAIL_P_AUTH,
	MAIL_P__COUNT
};
static const char *const smtp_mail_params[MAIL_P__COUNT] = {
    "SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "AUTH"};

/* SIZE=1*20DIGIT (RFC 1870 6).  Twenty digits can exceed 64 bits: such a
   value is valid syntax for a size too big, so it saturates. */
static int
smtp_parse_size(const char *v, size_t n, uint64_t *size)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned d = (unsigned)(v[i] - '0');

		if (d > 9)
			return -1;
		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*size = x;
	return 0;
}

static int
smtp_mail_param(const struct smtp_param *prm, int idx, struct arena *a,
		void *ctx, struct smtp_parse_error *err)
{
	struct smtp_mail_args *m = ctx;
	const char *v = prm->val;
	size_t n = prm->vlen;

	if (idx == MAIL_P_SMTPUTF8) {
		if (v != NULL)
			return smtp_bad_param(err, "SMTPUTF8 takes no value");
		m->smtputf8 = true;
		return 0;
	}
	if (v == NULL)
		return smtp_bad_param(err, "Parameter needs a value");
	switch (idx) {
	case MAIL_P_SIZE:
		if (smtp_parse_size(v, n, &m->size) < 0)
			return smtp_bad_param(err, "Malformed SIZE parameter");
		m->size_given = true;
		break;
	case MAIL_P_BODY:
		if (smtp_value_is(v, n, "7BIT"))
			m->body = SMTP_BODY_7BIT;
		else if (smtp_value_is(v, n, "8BITMIME"))
			m->body = SMTP_BODY_8BITMIME;
		else if (smtp_value_is(v, n, "BINARYMIME"))
			m->body = SMTP_BODY_BINARYMIME;
		else
			return smtp_bad_param(err, "Malformed BODY parameter");
		break;
	case MAIL_P_RET:
		if (smtp_value_is(v, n, "FULL"))
			m->ret = 1;
		else if (smtp_value_is(v, n, "HDRS"))
			m->ret = 2;
		else
			return smtp_bad_param(err, "Malformed RET parameter");
		break;
	case MAIL_P_ENVID:
		if ((m->envid = smtp_xtext_decode(v, n, a)) == NULL)
			return smtp_bad_param(err, "Malformed ENVID parameter");
		break;
	default: /* MAIL_P_AUTH, RFC 4954 5: "<>" or an xtext mailbox */
		if ((m->auth = smtp_xtext_decode(v, n, a)) == NULL)
			return smtp_bad_param(err, "Malformed AUTH parameter");
		break;
	}
	return 0;
}

enum { RCPT_P_NOTIFY, RCPT_P_ORCPT, RCPT_P__COUNT };
static const char *const smtp_rcpt_params[RCPT_P__COUNT] = {"NOTIFY", "ORCPT"};

/* notify-esmtp-value = "NEVER" / 1#notify-list-element (RFC 3461 4.1). */
static int
smtp_parse_notify(const char *v, size_t n, unsigned *notify)
{
	const char *end = v + n;
	unsigned bits = 0;

	while (v < end) {
		const char *comma = memchr(v, ',', (size_t)(end - v));
		size_t len = (size_t)((comma ? comma : end) - v);

		if (smtp_value_is(v, len, "NEVER"))
			bits |= SMTP_NOTIFY_NEVER;
		else if (smtp_value_is(v, len, "SUCCESS"))
			bits |= SMTP_NOTIFY_SUCCESS;
		else if (smtp_value_is(v, len, "FAILURE"))
			bits |= SMTP_NOTIFY_FAILURE;
		else if (smtp_value_is(v, len, "DELAY"))
			bits |= SMTP_NOTIFY_DELAY;
		else
			return -1;
		if (comma == NULL)
			break;
		v = comma + 1;
		if (v == end)
			return -1;
	}
	/* NEVER must appear by itself. */
	if ((bits & SMTP_NOTIFY_NEVER) && bits != SMTP_NOTIFY_NEVER)
		return -1;
	*notify = bits;
	return 0;
}

/* orcpt = addr-type ";" xtext, addr-type = atom (RFC 3461 4.2). */
static const char *
smtp_parse_orcpt(const char *v, size_t n, struct arena *a)
{
	const char *semi = memchr(v, ';', n), *addr;
	size_t i, tlen;

	if (semi == NULL || semi == v)
		return NULL;
	tlen = (size_t)(semi - v);
	for (i = 0; i < tlen; i++)
		if (!smtp_is_atext((unsigned char)v[i]))
			return NULL;
	addr = smtp_xtext_decode(semi + 1, n - tlen - 1, a);
	if (addr == NULL || *addr == '\0')
		return NULL;
	return arena_printf(a, "%.*s;%s", (int)tlen, v, addr);
}

static int
smtp_rcpt_param(const struct smtp_param *prm, int idx, struct arena *a,
		void *ctx, struct smtp_parse_error *err)
{
	struct smtp_rcpt_args *r = ctx;

	if (prm->val == NULL)
		return smtp_bad_param(err, "Parameter needs a value");
	if (idx == RCPT_P_NOTIFY) {
		if (smtp_parse_notify(prm->val, prm->vlen, &r->notify) < 0)
			return smtp_bad_param(err,
					      "Malformed NOTIFY parameter");
	} else {
		r->orcpt = smtp_parse_orcpt(prm->val, prm->vlen, a);
		if (r->orcpt == NULL)
			return smtp_bad_param(err, "Malformed ORCPT parameter");
	}
	return 0;
}

/* What differs between MAIL and RCPT arguments. */
struct smtp_path_args {
	const char *prefix; /* "FROM:" / "TO:" */
	unsigned flags;     /* SMTP_PATH_* */
	const char *enh;    /* enhanced code for bad address syntax */
	const char *const *params;
	int nparams;
	int (*param)(const struct smtp_param *, int, struct arena *, void *,
		     struct smtp_parse_error *);
};

static const struct smtp_path_args smtp_mail_kind = {
    "FROM:",          SMTP_PATH_NULL_OK, "5.1.7",
    smtp_mail_params, MAIL_P__COUNT,     smtp_mail_param};
static const struct smtp_path_args smtp_rcpt_kind = {
    "TO:",         SMTP_PATH_POSTMASTER_OK, "5.1.3", smtp_rcpt_params,
    RCPT_P__COUNT, smtp_rcpt_param};

/* "FROM:" / "TO:", optional spaces (lenient), the '<' path, then the
   parameters: keywords case-insensitive, each at most once, each known
   one handed to k->param with ctx.  Returns 0 or -1 with *err set. */
static int
smtp_path_params(const char *args, const struct smtp_path_args *k,
		 struct arena *a, struct smtp_path *path, void *ctx,
		 struct smtp_parse_error *err)
{
	size_t plen = strlen(k->prefix);
	const char *s, *why;
	struct smtp_param prm;
	unsigned seen = 0;
	int rc, idx;

	if (strncasecmp(args, k->prefix, plen) != 0) {
		smtp_err(err, 501, "5.5.4", "Syntax error in parameters");
		return -1;
	}
	for (s = args + plen; *s == ' '; s++)
		;
	/* RFC 5321 4.1.1.2/3: the angle brackets are required. */
	if (*s != '<') {
		smtp_err(err, 501, "5.5.4", "Syntax error: path needs <>");
		return -1;
	}
	s = smtp_path_parse(s, k->flags | SMTP_PATH_BRACKETS, a, path, &why);
	if (s == NULL) {
		smtp_err(err, 501, k->enh, why);
		return -1;
	}
	if (*s != ' ' && *s != '\0') {
		smtp_err(err, 501, "5.5.4", "Syntax error in parameters");
		return -1;
	}
	while ((rc = smtp_param_next(&s, &prm)) > 0) {
		for (idx = 0; idx < k->nparams; idx++)
			if (smtp_value_is(prm.kw, prm.kwlen, k->params[idx]))
				break;
		if (idx == k->nparams)
			return smtp_bad_param(err, "Unknown parameter");
		if (seen & (1u << idx))
			return smtp_bad_param(err, "Duplicate parameter");
		seen |= 1u << idx;
		if (k->param(&prm, idx, a, ctx, err) < 0)
			return -1;
	}
	if (rc < 0)
		return smtp_bad_param(err, "Malformed parameter");
	return 0;
}

int
smtp_parse_mail(const char *args, struct arena *a, struct smtp_mail_args *m,
		struct smtp_parse_error *err)
{
	memset(m, 0, sizeof(*m));
	return smtp_path_params(args, &smtp_mail_kind, a, &m->path, m, err);
}

int
smtp_parse_rcpt(const char *args, struct arena *a, struct smtp_rcpt_args *r,
		struct smtp_parse_error *err)
{
	memset(r, 0, sizeof(*r));
	return smtp_path_params(args, &smtp_rcpt_kind, a, &r->path, r, err);
}

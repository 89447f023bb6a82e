/* test_imap_section.c: BODY[section] / BINARY[section] location. */
/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap/imap_section.h"
#include "limits.h"
#include "mime/mime_summary.h"
#include "test.h"

/* A nested message: 1 text, 2 message/rfc822 holding a multipart
   (2.1 text, 2.2 base64 html), 3 quoted-printable octet-stream. */
static const char nested[] =
    "From: a@example.com\r\n"
    "Subject: test\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XX\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "hello\r\n"
    "--XX\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/alternative; boundary=YY\r\n"
    "\r\n"
    "--YY\r\n"
    "\r\n"
    "inner text\r\n"
    "--YY\r\n"
    "Content-Type: text/html\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PGI+aGk8L2I+\r\n"
    "--YY--\r\n"
    "\r\n"
    "--XX\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: Quoted-Printable\r\n"
    "\r\n"
    "a=00b=3D\r\n"
    "--XX--\r\n"
    "epilogue\r\n";

static const char inner_text[] =
    "--YY\r\n"
    "\r\n"
    "inner text\r\n"
    "--YY\r\n"
    "Content-Type: text/html\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PGI+aGk8L2I+\r\n"
    "--YY--\r\n";

/* Parse a spec like "BODY[2.1.MIME]<1.3>" into att (static storage). */
static void
spec(const char *s, struct imap_fetch_att *att)
{
	static uint32_t parts[16];
	static const char *fields[8];
	static char names[8][32];
	const char *p;

	memset(att, 0, sizeof(*att));
	att->part = parts;
	att->fields = fields;
	if (strncmp(s, "BINARY.SIZE[", 12) == 0) {
		att->item = IMAP_FETCH_BINARY_SIZE;
		p = s + 12;
	} else if (strncmp(s, "BINARY[", 7) == 0) {
		att->item = IMAP_FETCH_BINARY;
		p = s + 7;
	} else {
		att->item = IMAP_FETCH_BODY_SECTION;
		p = s + 5;
	}
	while (*p >= '1' && *p <= '9') {
		parts[att->nparts++] = (uint32_t)strtoul(p, (char **)&p, 10);
		if (*p == '.')
			p++;
	}
	if (strncmp(p, "HEADER.FIELDS.NOT", 17) == 0) {
		att->text = IMAP_SECTION_HEADER_FIELDS_NOT;
		p += 17;
	} else if (strncmp(p, "HEADER.FIELDS", 13) == 0) {
		att->text = IMAP_SECTION_HEADER_FIELDS;
		p += 13;
	} else if (strncmp(p, "HEADER", 6) == 0) {
		att->text = IMAP_SECTION_HEADER;
	} else if (strncmp(p, "TEXT", 4) == 0) {
		att->text = IMAP_SECTION_TEXT;
	} else if (strncmp(p, "MIME", 4) == 0) {
		att->text = IMAP_SECTION_MIME;
	}
	if (*p == ' ' && p[1] == '(') {
		p += 2;
		while (*p != ')') {
			size_t k = strcspn(p, " )");

			memcpy(names[att->nfields], p, k);
			names[att->nfields][k] = '\0';
			fields[att->nfields] = names[att->nfields];
			att->nfields++;
			p += k + (p[k] == ' ');
		}
	}
	p = strchr(s, '<');
	if (p != NULL) {
		att->partial = true;
		att->offset = strtoull(p + 1, (char **)&p, 10);
		att->length = strtoull(p + 1, NULL, 10);
	}
}

struct sec_case {
	const char *msg;
	const char *spec;
	int rc;
	const char *want; /* NULL: not checked */
	size_t want_len;  /* when want holds NUL */
	bool range;       /* expected to be a range of the message */
	bool has_nul;
};

static const struct sec_case sec_cases[] = {
    {nested, "BODY[1]", 0, "hello", 0, true, false},
    {nested, "BODY[1.MIME]", 0, "Content-Type: text/plain\r\n\r\n", 0, true,
     false},
    {nested, "BODY[2.HEADER]", 0,
     "Subject: inner\r\nContent-Type: multipart/alternative; "
     "boundary=YY\r\n\r\n",
     0, true, false},
    {nested, "BODY[2.TEXT]", 0, inner_text, 0, true, false},
    {nested, "BODY[2.1]", 0, "inner text", 0, true, false},
    {nested, "BODY[2.1.MIME]", 0, "\r\n", 0, true, false},
    {nested, "BODY[2.2]", 0, "PGI+aGk8L2I+", 0, true, false},
    {nested, "BINARY[2.2]", 0, "<b>hi</b>", 0, false, false},
    {nested, "BINARY.SIZE[2.2]", 0, NULL, 0, false, false},
    {nested, "BINARY[3]", 0, "a\0b=", 4, false, true},
    {nested, "BINARY[3]<1.1>", 0, "\0", 1, false, true},
    {nested, "BINARY[3]<2.10>", 0, "b=", 0, false, false},
    {nested, "BINARY[1]", 0, "hello", 0, true, false},
    {nested, "BINARY[2]", IMAP_SECTION_NOT_LEAF, NULL, 0, false, false},
    {nested, "BINARY[2.1.1]", IMAP_SECTION_NIL, NULL, 0, false, false},
    {nested, "BODY[4]", IMAP_SECTION_NIL, NULL, 0, false, false},
    {nested, "BODY[1.1]", IMAP_SECTION_NIL, NULL, 0, false, false},
    {nested, "BODY[1.HEADER]", IMAP_SECTION_NIL, NULL, 0, false, false},
    {nested, "BODY[2.3]", IMAP_SECTION_NIL, NULL, 0, false, false},
    {nested, "BODY[HEADER.FIELDS (subject FROM)]", 0,
     "From: a@example.com\r\nSubject: test\r\n\r\n", 0, false, false},
    {nested, "BODY[HEADER.FIELDS.NOT (content-type from)]", 0,
     "Subject: test\r\n\r\n", 0, false, false},
    {nested, "BODY[HEADER.FIELDS (x-none)]", 0, "\r\n", 0, false, false},
    {nested, "BODY[2.HEADER.FIELDS (SUBJECT)]", 0,
     "Subject: inner\r\n\r\n", 0, false, false},
    {nested, "BODY[1]<1.3>", 0, "ell", 0, true, false},
    {nested, "BODY[1]<3.100>", 0, "lo", 0, true, false},
    {nested, "BODY[1]<10.5>", 0, "", 0, true, false},
    {nested, "BODY[]<0.5>", 0, "From:", 0, true, false},
    {nested, "BODY[HEADER.FIELDS (subject)]<2.4>", 0, "bjec", 0, false,
     false},
    /* Single part: part 1 is the body, 1.MIME the header. */
    {"Subject: x\r\n\r\nbody\r\n", "BODY[1]", 0, "body\r\n", 0, true, false},
    {"Subject: x\r\n\r\nbody\r\n", "BODY[1.MIME]", 0, "Subject: x\r\n\r\n",
     0, true, false},
    {"Subject: x\r\n\r\nbody\r\n", "BODY[TEXT]", 0, "body\r\n", 0, true,
     false},
    {"Subject: x\r\n\r\nbody\r\n", "BODY[2]", IMAP_SECTION_NIL, NULL, 0,
     false, false},
    {"Subject: x\r\n\r\nbody\r\n", "BODY[1.1]", IMAP_SECTION_NIL, NULL, 0,
     false, false},
    {"Subject: x\r\n\r\nbody\r\n", "BODY[MIME]", IMAP_SECTION_NIL, NULL, 0,
     false, false},
    /* No body, no blank line: none is added (RFC 9051 6.4.5.1). */
    {"Subject: x\r\n", "BODY[HEADER]", 0, "Subject: x\r\n", 0, true, false},
    {"Subject: x\r\n", "BODY[HEADER.FIELDS (Subject)]", 0, "Subject: x\r\n",
     0, false, false},
    {"Subject: x", "BODY[HEADER.FIELDS (Subject)]", 0, "Subject: x\r\n", 0,
     false, false},
    {"Subject: x\r\n", "BODY[TEXT]", 0, "", 0, true, false},
    /* Folded fields stay whole; obs WSP before the colon. */
    {"Subject: a\r\n b\r\nX-Y: z\r\nsubject : c\r\n\r\nbody",
     "BODY[HEADER.FIELDS (SUBJECT)]", 0,
     "Subject: a\r\n b\r\nsubject : c\r\n\r\n", 0, false, false},
    {"Subject: a\r\n b\r\nX-Y: z\r\n\r\nbody",
     "BODY[HEADER.FIELDS.NOT (subject)]", 0, "X-Y: z\r\n\r\n", 0, false,
     false},
    /* Bare LF: text gets CRLF in BINARY. */
    {"Subject: a\nContent-Type: text/plain\n\nl1\nl2\n", "BINARY[1]", 0,
     "l1\r\nl2\r\n", 0, false, false},
    {"Subject: a\nContent-Type: text/plain\n\nl1\nl2\n", "BODY[HEADER]", 0,
     "Subject: a\nContent-Type: text/plain\n\n", 0, true, false},
    {"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
     "bDEKbDIK\n",
     "BINARY[1]", 0, "l1\r\nl2\r\n", 0, false, false},
    {"Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
     "bDEKbDIK\n",
     "BINARY[1]", 0, "l1\nl2\n", 0, false, false},
    {"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n", "BINARY[1]",
     IMAP_SECTION_UNKNOWN_CTE, NULL, 0, false, false},
    {"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n",
     "BINARY.SIZE[1]", IMAP_SECTION_UNKNOWN_CTE, NULL, 0, false, false},
    {"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin\r\n", "BODY[1]", 0,
     "begin\r\n", 0, true, false},
    {"Subject: a\r\n\r\nbody", "BINARY[]", 0, "Subject: a\r\n\r\nbody", 0,
     true, false},
    /* Multipart without a boundary: one opaque leaf. */
    {"Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nA\r\n--x--\r\n",
     "BODY[1]", 0, "--x\r\n\r\nA\r\n--x--\r\n", 0, true, false},
    {"Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nA\r\n--x--\r\n",
     "BODY[1.1]", IMAP_SECTION_NIL, NULL, 0, false, false},
    /* Missing close delimiter: the last part runs to the end. */
    {"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nA\r\n"
     "--b\r\n\r\nB\r\nmore",
     "BODY[2]", 0, "B\r\nmore", 0, true, false},
    /* Boundary inside a part header ends the part. */
    {"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX: 1\r\n"
     "--b\r\n\r\nB\r\n--b--\r\n",
     "BODY[1.MIME]", 0, "X: 1", 0, true, false},
    {"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nX: 1\r\n"
     "--b\r\n\r\nB\r\n--b--\r\n",
     "BODY[2]", 0, "B", 0, true, false},
    /* Boundary with trailing white space; empty body part. */
    {"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b \t\r\n\r\n"
     "--b--\r\n",
     "BODY[1]", 0, "", 0, true, false},
    /* Digest: parts default to message/rfc822. */
    {"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n"
     "Subject: in\r\n\r\nbody\r\n--d--\r\n",
     "BODY[1.HEADER]", 0, "Subject: in\r\n\r\n", 0, true, false},
    {"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n"
     "Subject: in\r\n\r\nbody\r\n--d--\r\n",
     "BODY[1.1]", 0, "body", 0, true, false},
    /* An encoded message/rfc822 is a leaf. */
    {"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
     "\r\nU3ViamVjdDogeA0KDQpi\r\n",
     "BODY[1.HEADER]", IMAP_SECTION_NIL, NULL, 0, false, false},
    {"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
     "\r\nU3ViamVjdDogeA0KDQpi\r\n",
     "BINARY[1]", 0, "Subject: x\r\n\r\nb", 0, false, false},
    /* Top-level message/rfc822: 1 is the encapsulated message. */
    {"Content-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nb\r\n",
     "BODY[1.TEXT]", 0, "b\r\n", 0, true, false},
    {"Content-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nb\r\n",
     "BODY[1.1]", 0, "b\r\n", 0, true, false},
    {"Content-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\nb\r\n",
     "BINARY[1]", IMAP_SECTION_NOT_LEAF, NULL, 0, false, false},
    {"", "BODY[1]", 0, "", 0, true, false},
    {"", "BODY[HEADER]", 0, "", 0, true, false},
    {"\r\nbody", "BODY[HEADER.FIELDS (a)]", 0, "\r\n", 0, false, false},
};

static void
test_sec_cases(void)
{
	size_t i;

	for (i = 0; i < sizeof(sec_cases) / sizeof(sec_cases[0]); i++) {
		const struct sec_case *c = &sec_cases[i];
		struct imap_fetch_att att;
		struct imap_section r;
		size_t wl;
		int rc;

		test_begin(c->spec);
		spec(c->spec, &att);
		rc = imap_section_find((const uint8_t *)c->msg, strlen(c->msg),
				       &att, &r);
		TEST_ASSERT_INTEQ(rc, c->rc);
		if (rc != 0 || c->want == NULL) {
			imap_section_clear(&r);
			continue;
		}
		wl = c->want_len ? c->want_len : strlen(c->want);
		TEST_ASSERT_MEMEQ(imap_section_bytes((const uint8_t *)c->msg,
						     &r),
				  (size_t)r.len, c->want, wl);
		if (wl > 0)
			TEST_ASSERT_INTEQ(r.data == NULL, c->range);
		TEST_ASSERT_INTEQ(r.has_nul, c->has_nul);
		imap_section_clear(&r);
	}
}

static uint64_t
sec_size(const char *msg, size_t n, const char *s, int *rc_r)
{
	struct imap_fetch_att att;
	struct imap_section r;
	uint64_t size;

	spec(s, &att);
	*rc_r = imap_section_find((const uint8_t *)msg, n, &att, &r);
	size = r.size;
	imap_section_clear(&r);
	return size;
}

static void
test_binary_size(void)
{
	int rc;

	test_begin("binary size");
	TEST_ASSERT_INTEQ(sec_size(nested, strlen(nested), "BINARY.SIZE[2.2]",
				   &rc),
			  9);
	TEST_ASSERT_INTEQ(rc, 0);
	TEST_ASSERT_INTEQ(sec_size(nested, strlen(nested), "BINARY.SIZE[3]",
				   &rc),
			  4);
	TEST_ASSERT_INTEQ(sec_size(nested, strlen(nested), "BINARY.SIZE[1]",
				   &rc),
			  5);
	TEST_ASSERT_INTEQ(sec_size(nested, strlen(nested), "BINARY.SIZE[]",
				   &rc),
			  strlen(nested));
}

/* A range result and a built one that must hold the same bytes. */
static void
test_range_vs_built(void)
{
	static const char *const msgs[] = {
	    nested,
	    "Subject: a\r\n b\r\nTo: c\r\n\r\nbody\r\n",
	    "Content-Type: text/plain\r\n\r\nl1\r\nl2\r\n",
	};
	size_t i;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		const uint8_t *m = (const uint8_t *)msgs[i];
		size_t n = strlen(msgs[i]);
		struct imap_fetch_att a1, a2;
		struct imap_section r1, r2;

		test_begin("range vs built");
		spec("BODY[HEADER]", &a1);
		TEST_ASSERT_INTEQ(imap_section_find(m, n, &a1, &r1), 0);
		spec("BODY[HEADER.FIELDS.NOT (x-absent)]", &a2);
		TEST_ASSERT_INTEQ(imap_section_find(m, n, &a2, &r2), 0);
		TEST_ASSERT(r1.data == NULL && r2.data != NULL);
		TEST_ASSERT_MEMEQ(imap_section_bytes(m, &r1), (size_t)r1.len,
				  imap_section_bytes(m, &r2), (size_t)r2.len);
		imap_section_clear(&r1);
		imap_section_clear(&r2);
		/* BINARY of an identity-encoded part is its BODY. */
		spec("BODY[1]", &a1);
		TEST_ASSERT_INTEQ(imap_section_find(m, n, &a1, &r1), 0);
		spec("BINARY[1]", &a2);
		TEST_ASSERT_INTEQ(imap_section_find(m, n, &a2, &r2), 0);
		TEST_ASSERT_MEMEQ(imap_section_bytes(m, &r1), (size_t)r1.len,
				  imap_section_bytes(m, &r2), (size_t)r2.len);
		imap_section_clear(&r1);
		imap_section_clear(&r2);
	}
}

/* ---- agreement with mime_summary's BODYSTRUCTURE ---- */

/* A node of a parsed IMAP list. */
struct bs {
	bool list;
	const char *s; /* atom or string (NUL-terminated) */
	char atom[24];
	struct bs *kid[64];
	size_t n;
};

static struct bs bs_pool[20000];
static size_t bs_used;

static struct bs *
bs_parse(char **p)
{
	struct bs *b = &bs_pool[bs_used++];

	memset(b, 0, sizeof(*b));
	if (**p == '(') {
		b->list = true;
		(*p)++;
		while (**p != ')') {
			struct bs *k = bs_parse(p);

			if (b->n < 64)
				b->kid[b->n++] = k;
			if (**p == ' ')
				(*p)++;
		}
		(*p)++;
	} else if (**p == '"') {
		char *w = ++*p;

		b->s = w;
		while (**p != '"') {
			if (**p == '\\')
				(*p)++;
			*w++ = *(*p)++;
		}
		(*p)++;
		*w = '\0';
	} else if (**p == '{') {
		size_t len = strtoul(*p + 1, p, 10);

		*p += 3; /* "}\r\n" */
		b->s = *p;
		*p += len;
	} else {
		size_t k = strcspn(*p, " )");

		snprintf(b->atom, sizeof(b->atom), "%.*s", (int)k, *p);
		b->s = b->atom;
		*p += k;
	}
	return b;
}

static char *
path_str(const uint32_t *path, size_t n)
{
	static char s[1024];
	size_t i, k = 0;

	k += (size_t)snprintf(s, sizeof(s), "BODY[");
	for (i = 0; i < n && k < 900; i++)
		k += (size_t)snprintf(s + k, sizeof(s) - k, "%s%u",
				      i ? "." : "", path[i]);
	snprintf(s + k, sizeof(s) - k, "]");
	return s;
}

static void bs_check(const char *m, size_t n, const struct mime_limits *lim,
		     const struct bs *b, uint32_t *path, size_t depth);

static uint64_t
bs_find(const char *m, size_t n, const struct mime_limits *lim,
	const uint32_t *path, size_t depth, int *rc_r)
{
	struct imap_fetch_att att;
	struct imap_section r;
	uint64_t len;

	memset(&att, 0, sizeof(att));
	att.item = IMAP_FETCH_BODY_SECTION;
	att.part = (uint32_t *)path;
	att.nparts = depth;
	*rc_r = imap_section_find_lim((const uint8_t *)m, n, &att, lim, &r);
	len = r.len;
	imap_section_clear(&r);
	return len;
}

/* b is a body at path (depth numbers; for a multipart, its parts are
   path.1, path.2, ...). */
static void
bs_check(const char *m, size_t n, const struct mime_limits *lim,
	 const struct bs *b, uint32_t *path, size_t depth)
{
	size_t i;
	int rc;

	if (depth >= 200)
		return;
	if (b->n > 0 && b->kid[0]->list) { /* multipart */
		size_t k = 0;

		while (k < b->n && b->kid[k]->list)
			k++;
		for (i = 0; i < k; i++) {
			path[depth] = (uint32_t)(i + 1);
			bs_check(m, n, lim, b->kid[i], path, depth + 1);
		}
		path[depth] = (uint32_t)(k + 1);
		bs_find(m, n, lim, path, depth + 1, &rc);
		TEST_ASSERT_INTEQ(rc, IMAP_SECTION_NIL);
		return;
	}
	if (b->n < 7)
		return;
	test_begin(path_str(path, depth));
	{
		uint64_t len = bs_find(m, n, lim, path, depth, &rc);

		/* A multipart without parts shows one empty text part. */
		if (rc == IMAP_SECTION_NIL && strcmp(b->kid[6]->s, "0") == 0)
			return;
		TEST_ASSERT_INTEQ(rc, 0);
		TEST_ASSERT_INTEQ(len, strtoull(b->kid[6]->s, NULL, 10));
	}
	if (b->n > 8 && strcmp(b->kid[0]->s, "message") == 0 &&
	    b->kid[8]->list) {
		const struct bs *in = b->kid[8];

		if (in->n > 0 && in->kid[0]->list) {
			bs_check(m, n, lim, in, path, depth);
		} else {
			path[depth] = 1;
			bs_check(m, n, lim, in, path, depth + 1);
		}
	}
}

static void
agree(const char *m, size_t n, const struct mime_limits *lim)
{
	static uint32_t path[256];
	struct mime_summary *ms = mime_summary_new(lim);
	struct mime_msg_info info;
	struct bs *b;
	char *p;

	mime_summary_feed(ms, m, n);
	mime_summary_finish(ms, &info);
	mime_summary_free(&ms);
	bs_used = 0;
	p = info.bodystructure;
	b = bs_parse(&p);
	if (b->n > 0 && b->kid[0]->list) {
		bs_check(m, n, lim, b, path, 0);
	} else {
		path[0] = 1;
		bs_check(m, n, lim, b, path, 1);
	}
	mime_msg_info_clear(&info);
}

static void
test_agree_generated(void)
{
	static const struct mime_limits small = {3, 6, 200, 4};
	struct buf b;
	int i;

	test_begin("agree nested");
	agree(nested, strlen(nested), NULL);
	agree(nested, strlen(nested), &small);
	/* Nesting past MIME_DEPTH_MAX. */
	buf_init(&b, 0);
	for (i = 0; i < MIME_DEPTH_MAX + 20; i++)
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n"
			       "\r\n--b%d\r\n", i, i);
	buf_append_str(&b, "\r\nleaf\r\n");
	for (i = MIME_DEPTH_MAX + 19; i >= 0; i--)
		buf_printf(&b, "--b%d--\r\n", i);
	agree((const char *)buf_rptr(&b), buf_len(&b), NULL);
	agree((const char *)buf_rptr(&b), buf_len(&b), &small);
	buf_reset(&b);
	/* Alternating message/rfc822 and multipart. */
	for (i = 0; i < 30; i++)
		buf_printf(&b, "Content-Type: message/rfc822\r\n\r\n"
			       "Content-Type: multipart/mixed; boundary=m%d\r\n"
			       "\r\n--m%d\r\nX: %d\r\n",
			   i, i, i);
	buf_append_str(&b, "\r\nleaf\r\n");
	for (i = 29; i >= 0; i--)
		buf_printf(&b, "--m%d\r\n\r\nsib %d\r\n--m%d--\r\n", i, i, i);
	agree((const char *)buf_rptr(&b), buf_len(&b), NULL);
	agree((const char *)buf_rptr(&b), buf_len(&b), &small);
	buf_reset(&b);
	/* Many parts, some with bare LF. */
	buf_append_str(&b, "Content-Type: multipart/mixed; boundary=z\n\n");
	for (i = 0; i < 50; i++)
		buf_printf(&b, "--z\n%s\n%d%s", i % 3 ? "X: y" : "", i,
			   i % 2 ? "\r\n" : "\n");
	agree((const char *)buf_rptr(&b), buf_len(&b), NULL);
	agree((const char *)buf_rptr(&b), buf_len(&b), &small);
	buf_deinit(&b);
}

/* The MIME summary's own corpus of odd messages. */
static void
test_agree_corpus(void)
{
	static const char *const dirs[] = {"tests/fuzz/corpus/mime_summary",
					   "tests/fuzz/corpus/imap_section"};
	static const struct mime_limits small = {3, 6, 200, 4};
	size_t d, files = 0;

	for (d = 0; d < 2; d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;

		if (dir == NULL)
			continue;
		while ((e = readdir(dir)) != NULL) {
			char path[512];
			char *data;
			FILE *f;
			long n;
			size_t skip = d == 0 ? 1 : 2;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d],
				 e->d_name);
			f = fopen(path, "rb");
			if (f == NULL)
				continue;
			fseek(f, 0, SEEK_END);
			n = ftell(f);
			fseek(f, 0, SEEK_SET);
			data = malloc((size_t)n + 1);
			if (fread(data, 1, (size_t)n, f) == (size_t)n &&
			    (size_t)n >= skip) {
				/* the targets' selector bytes come first */
				agree(data + skip, (size_t)n - skip, NULL);
				agree(data + skip, (size_t)n - skip, &small);
				files++;
			}
			fclose(f);
			free(data);
		}
		closedir(dir);
	}
	test_begin("corpus files");
	TEST_ASSERT(files >= 10);
}

TEST_MAIN(test_sec_cases, test_binary_size, test_range_vs_built,
	  test_agree_generated, test_agree_corpus)

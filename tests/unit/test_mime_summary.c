/* test_mime_summary.c: tests of the streaming ENVELOPE / BODYSTRUCTURE
   parser. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "limits.h"
#include "mime/mime_summary.h"

struct ms_case {
	const char *name;
	const char *in;
	const char *bodystructure;
	const char *body;     /* NULL: not checked */
	const char *envelope; /* NULL: not checked */
};

#define TP "\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
#define NO_ENV "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"

static const struct ms_case ms_cases[] = {
    {"empty", "", "(" TP "0 0 NIL NIL NIL NIL)", "(" TP "0 0)", NO_ENV},
    {"simple",
     "From: a@b.test\r\nTo: c@d.test, E <e@f.test>\r\nSubject: Hi\r\n"
     "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
     "Message-ID: <x@y>\r\n\r\nline1\r\nline2\r\n",
     "(" TP "14 2 NIL NIL NIL NIL)", "(" TP "14 2)",
     "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"Hi\" "
     "((NIL NIL \"a\" \"b.test\")) ((NIL NIL \"a\" \"b.test\")) "
     "((NIL NIL \"a\" \"b.test\")) ((NIL NIL \"c\" \"d.test\")"
     "(\"E\" NIL \"e\" \"f.test\")) NIL NIL NIL \"<x@y>\")"},
    /* Folded and raw: unfolded, not RFC 2047-decoded; Sender empty and
       Reply-To present (RFC 3501 7.4.2 defaults). */
    {"envelope raw",
     "From: a@b\r\nSender:\r\nReply-To: r@s\r\nBcc: z@z\r\n"
     "In-Reply-To: <p@q>\r\nSubject: =?utf-8?q?x?=\r\n\tfolded\r\n\r\n",
     "(" TP "0 0 NIL NIL NIL NIL)", NULL,
     "(NIL \"=?utf-8?q?x?=\tfolded\" ((NIL NIL \"a\" \"b\")) "
     "((NIL NIL \"a\" \"b\")) ((NIL NIL \"r\" \"s\")) NIL NIL "
     "((NIL NIL \"z\" \"z\")) \"<p@q>\" NIL)"},
    /* 8-bit subject: a literal. */
    {"literal", "Subject: \xc3\xa9t\xc3\xa9\r\n\r\n",
     "(" TP "0 0 NIL NIL NIL NIL)", NULL,
     "(NIL {5}\r\n\xc3\xa9t\xc3\xa9 NIL NIL NIL NIL NIL NIL NIL NIL)"},
    /* The RFC 3501 7.4.2 example shape (names in lower case, values as
       sent, as Dovecot does). */
    {"rfc3501",
     "Content-Type: MULTIPART/MIXED; BOUNDARY=\"x\"\r\n\r\n--x\r\n\r\n"
     "abc\r\n--x\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII; "
     "NAME=cc.diff\r\nContent-ID: <960723163407.20117h@cac.washington.edu>"
     "\r\nContent-Description: Compiler diff\r\n"
     "Content-Transfer-Encoding: BASE64\r\n\r\nQUJD\r\nQUJD\r\n--x--\r\n",
     "((" TP "3 0 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" "
     "\"US-ASCII\" \"name\" \"cc.diff\") "
     "\"<960723163407.20117h@cac.washington.edu>\" \"Compiler diff\" "
     "\"base64\" 10 1 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL "
     "NIL NIL)",
     "((" TP "3 0)(\"text\" \"plain\" (\"charset\" \"US-ASCII\" \"name\" "
     "\"cc.diff\") \"<960723163407.20117h@cac.washington.edu>\" "
     "\"Compiler diff\" \"base64\" 10 1) \"mixed\")",
     NO_ENV},
    /* Preamble, epilogue, trailing white space after boundaries, a
       "--b" in the epilogue is text (RFC 2046 5.1.1). */
    {"preamble epilogue",
     "Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b \t\r\n"
     "\r\nx\r\n--b--  \r\nepilogue\r\n--b\r\nnot a part\r\n",
     "((" TP "1 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL "
     "NIL)",
     NULL, NULL},
    /* "--bb" and "--b x" are not boundary lines of "b". */
    {"near boundaries",
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n--bb\r\n"
     "--b x\r\n--b--\r\n",
     "((" TP "11 1 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL "
     "NIL)",
     NULL, NULL},
    /* An outer boundary ends the inner multipart (RFC 2046 5.1.2). */
    {"outer ends inner",
     "Content-Type: multipart/mixed; boundary=out\r\n\r\n--out\r\n"
     "Content-Type: multipart/alternative; boundary=in\r\n\r\n--in\r\n\r\n"
     "one\r\n--out\r\n\r\ntwo\r\n\r\n--out--\r\n",
     "(((" TP "3 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"in\") "
     "NIL NIL NIL)(" TP "5 1 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
     "\"out\") NIL NIL NIL)",
     "(((" TP "3 0) \"alternative\")(" TP "5 1) \"mixed\")", NULL},
    /* Bare LF line ends: sizes are octets as stored. */
    {"bare lf",
     "Subject: lf\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\n"
     "x\ny\n--b--\n",
     "((" TP "3 1 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL "
     "NIL)",
     NULL, "(NIL \"lf\" NIL NIL NIL NIL NIL NIL NIL NIL)"},
    /* RFC 2046 5.1.5: in a digest the default is message/rfc822. */
    {"digest",
     "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\n"
     "Subject: in digest\r\n\r\nbody\r\n--d\r\nContent-Type: text/plain\r\n"
     "\r\nt\r\n--d--\r\n",
     "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 26 (NIL \"in digest\" "
     "NIL NIL NIL NIL NIL NIL NIL NIL) (" TP "4 0 NIL NIL NIL NIL) 2 NIL "
     "NIL NIL NIL)(" TP "1 0 NIL NIL NIL NIL) \"digest\" (\"boundary\" "
     "\"d\") NIL NIL NIL)",
     "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 26 (NIL \"in digest\" "
     "NIL NIL NIL NIL NIL NIL NIL NIL) (" TP "4 0) 2)(" TP "1 0) \"digest\")",
     NO_ENV},
    {"message/rfc822",
     "Subject: outer\r\nContent-Type: message/rfc822\r\n\r\n"
     "Subject: inner\r\nFrom: x@y\r\nCc: g:;\r\n\r\nbody\r\n",
     "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 44 (NIL \"inner\" "
     "((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" \"y\")) ((NIL NIL \"x\" "
     "\"y\")) NIL ((NIL NIL \"g\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL) "
     "(" TP "6 1 NIL NIL NIL NIL) 5 NIL NIL NIL NIL)",
     NULL, "(NIL \"outer\" NIL NIL NIL NIL NIL NIL NIL NIL)"},
    /* RFC 2046 5.2.1: an encoded message is opaque. */
    {"encoded rfc822",
     "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
     "\r\nQUJD\r\n",
     "(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 6 NIL NIL "
     "NIL NIL)",
     "(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 6)", NULL},
    {"multipart without boundary",
     "Content-Type: multipart/mixed\r\n\r\nxx\r\n",
     "(\"application\" \"octet-stream\" NIL NIL NIL \"7bit\" 4 NIL NIL NIL "
     "NIL)",
     NULL, NULL},
    /* A multipart without any part shows an empty text part. */
    {"multipart without parts",
     "Content-Type: multipart/mixed; boundary=b\r\n\r\nnothing\r\n",
     "((" TP "0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL "
     "NIL)",
     "((" TP "0 0) \"mixed\")", NULL},
    /* Extension data: md5, disposition with RFC 2231 parameters as sent,
       languages, location. */
    {"extension data",
     "Content-Type: application/octet-stream; "
     "name*=utf-8''%E2%82%AC.txt\r\n"
     "Content-Disposition: attachment; filename*0*=utf-8''a; "
     "filename*1=b.txt\r\nContent-Language: en (english), de\r\n"
     "Content-MD5: abc\r\nContent-Location: http://x/y\r\n\r\nx",
     "(\"application\" \"octet-stream\" (\"name*\" "
     "\"utf-8''%E2%82%AC.txt\") NIL NIL \"7bit\" 1 \"abc\" (\"attachment\" "
     "(\"filename*\" \"utf-8''ab.txt\")) (\"en\" \"de\") \"http://x/y\")",
     "(\"application\" \"octet-stream\" (\"name*\" "
     "\"utf-8''%E2%82%AC.txt\") NIL NIL \"7bit\" 1)",
     NULL},
    /* Invalid Content-Type: the default (RFC 2045 5.2). */
    {"invalid content-type",
     "Content-Type: /plain; charset=x\r\nContent-Disposition: ;\r\n\r\nab",
     "(" TP "2 0 NIL NIL NIL NIL)", NULL, NULL},
    /* A part whose header a boundary cuts short. */
    {"boundary in header",
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
     "Content-Type: text/html\r\n--b\r\n\r\ny\r\n--b--\r\n",
     "((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 "
     "NIL NIL NIL NIL)(" TP "1 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
     "\"b\") NIL NIL NIL)",
     NULL, NULL},
    /* Boundary at the very end, without a line end. */
    {"boundary at eof",
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nz\r\n"
     "--b--",
     "((" TP "1 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") NIL NIL "
     "NIL)",
     NULL, NULL},
    /* Two delimiters in a row: an empty part with an empty header. */
    {"empty part",
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n--b\r\n\r\n"
     "q\r\n--b--\r\n",
     "((" TP "0 0 NIL NIL NIL NIL)(" TP "1 0 NIL NIL NIL NIL) \"mixed\" "
     "(\"boundary\" \"b\") NIL NIL NIL)",
     NULL, NULL},
    /* The line end of the empty line closing a header is the header's. */
    {"empty body",
     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n--b\r\n"
     "X: y\r\n\r\n\r\n--b--\r\n",
     "((" TP "0 0 NIL NIL NIL NIL)(" TP "0 0 NIL NIL NIL NIL) \"mixed\" "
     "(\"boundary\" \"b\") NIL NIL NIL)",
     NULL, NULL},
    /* Unterminated multipart inside a message/rfc822 inside a
       multipart. */
    {"unterminated nesting",
     "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
     "Content-Type: message/rfc822\r\n\r\nContent-Type: multipart/mixed;"
     " boundary=i\r\n\r\n--i\r\n\r\nab\r\n--o--\r\n",
     "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 54 " NO_ENV " ((" TP
     "2 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"i\") NIL NIL NIL) 4 NIL "
     "NIL NIL NIL) \"mixed\" (\"boundary\" \"o\") NIL NIL NIL)",
     NULL, NULL},
    /* Lone CRs are data; a CR at the very end too. */
    {"lone cr", "Subject: a\rb\r\n\r\nx\ry\r",
     "(" TP "4 0 NIL NIL NIL NIL)", NULL,
     "(NIL \"ab\" NIL NIL NIL NIL NIL NIL NIL NIL)"},
    /* Header without the empty line. */
    {"header only", "Subject: x\r\nFrom: a@b", "(" TP "0 0 NIL NIL NIL NIL)",
     NULL,
     "(NIL \"x\" ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) ((NIL NIL "
     "\"a\" \"b\")) NIL NIL NIL NIL NIL)"},
};

/* Feed in in pieces: step 0 = whole, else every step bytes, or at
   random points when seed != 0. */
static void
ms_run(const char *in, size_t n, size_t step, uint32_t seed,
       const struct mime_limits *lim, struct mime_msg_info *r)
{
	struct mime_summary *ms = mime_summary_new(lim);
	size_t pos = 0;

	while (pos < n) {
		size_t k = n - pos;

		if (seed != 0)
			k = test_rand(&seed) % 17;
		else if (step > 0 && step < k)
			k = step;
		if (k > n - pos)
			k = n - pos;
		mime_summary_feed(ms, in + pos, k);
		pos += k;
	}
	TEST_ASSERT_INTEQ(mime_summary_finish(ms, r), 0);
	mime_summary_free(&ms);
	TEST_ASSERT(ms == NULL);
}

static void
ms_same(const struct mime_msg_info *a, const struct mime_msg_info *b)
{
	TEST_ASSERT_STREQ(a->envelope, b->envelope);
	TEST_ASSERT_STREQ(a->bodystructure, b->bodystructure);
	TEST_ASSERT_STREQ(a->body, b->body);
	TEST_ASSERT_STREQ(a->subject, b->subject);
	TEST_ASSERT_STREQ(a->from, b->from);
	TEST_ASSERT_STREQ(a->to, b->to);
	TEST_ASSERT_STREQ(a->cc, b->cc);
	TEST_ASSERT_STREQ(a->message_id, b->message_id);
	TEST_ASSERT_INTEQ(a->date, b->date);
	TEST_ASSERT_INTEQ(a->has_date, b->has_date);
	TEST_ASSERT_INTEQ(a->has_message_id, b->has_message_id);
	TEST_ASSERT_INTEQ(a->received_count, b->received_count);
	TEST_ASSERT_INTEQ(a->header_size, b->header_size);
	TEST_ASSERT_INTEQ(a->body_size, b->body_size);
}

static void
test_ms_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(ms_cases) / sizeof(ms_cases[0]); i++) {
		const struct ms_case *c = &ms_cases[i];
		struct mime_msg_info r;

		test_begin(c->name);
		ms_run(c->in, strlen(c->in), 0, 0, NULL, &r);
		TEST_ASSERT_STREQ(r.bodystructure, c->bodystructure);
		if (c->body != NULL)
			TEST_ASSERT_STREQ(r.body, c->body);
		if (c->envelope != NULL)
			TEST_ASSERT_STREQ(r.envelope, c->envelope);
		TEST_ASSERT_INTEQ(r.header_size + r.body_size, strlen(c->in));
		mime_msg_info_clear(&r);
		TEST_ASSERT(r.bodystructure == NULL && r.envelope == NULL);
		test_end();
	}
}

/* A larger message exercising most paths at once. */
static const char big_msg[] =
    "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
    "Received : from c\r\n\tby d\r\n"
    "From: \"Doe, J\" <j@x.test>\r\nTo: A <a@y.test>, g: b@y.test;\r\n"
    "Cc: c@z.test\r\nSubject: big\r\n one\r\n"
    "Date: Tue, 2 Jan 2024 03:04:05 +0100\r\nMessage-ID: <big@x.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"=_outer\"\r\n\r\n"
    "This is a preamble.\r\n"
    "--=_outer\r\n"
    "Content-Type: multipart/alternative; boundary=alt\r\n\r\n"
    "--alt\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    "caf=C3=A9\r\nline two\r\n\r\n"
    "--alt\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--alt--\r\n"
    "--=_outer\r\n"
    "Content-Type: image/png; name=\"a.png\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "Content-Disposition: attachment; filename=\"a.png\"\r\n\r\n"
    "iVBORw0KGgo=\r\n"
    "--=_outer\r\nContent-Type: message/rfc822\r\n\r\n"
    "From: inner@x.test\r\nSubject: fwd\r\n"
    "Content-Type: multipart/mixed; boundary=in\r\n\r\n"
    "--in\r\n\r\ninner text\r\n--in--\r\n"
    "--=_outer--\r\n"
    "epilogue\r\n";

static void
test_ms_big(void)
{
	struct mime_msg_info r;

	test_begin("big message");
	ms_run(big_msg, strlen(big_msg), 0, 0, NULL, &r);
	TEST_ASSERT_STREQ(
	    r.bodystructure,
	    "(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL "
	    "\"quoted-printable\" 21 2 NIL NIL NIL NIL)(\"text\" \"html\" "
	    "(\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0 NIL NIL NIL NIL) "
	    "\"alternative\" (\"boundary\" \"alt\") NIL NIL NIL)"
	    "(\"image\" \"png\" (\"name\" \"a.png\") NIL NIL \"base64\" 12 NIL "
	    "(\"attachment\" (\"filename\" \"a.png\")) NIL NIL)"
	    "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 106 (NIL \"fwd\" "
	    "((NIL NIL \"inner\" \"x.test\")) ((NIL NIL \"inner\" \"x.test\")) "
	    "((NIL NIL \"inner\" \"x.test\")) NIL NIL NIL NIL NIL) "
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "10 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"in\") NIL NIL NIL) "
	    "7 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"=_outer\") NIL NIL "
	    "NIL)");
	TEST_ASSERT_STREQ(
	    r.envelope,
	    "(\"Tue, 2 Jan 2024 03:04:05 +0100\" \"big one\" "
	    "((\"Doe, J\" NIL \"j\" \"x.test\")) ((\"Doe, J\" NIL \"j\" "
	    "\"x.test\")) ((\"Doe, J\" NIL \"j\" \"x.test\")) ((\"A\" NIL \"a\" "
	    "\"y.test\")(NIL NIL \"g\" NIL)(NIL NIL \"b\" \"y.test\")(NIL NIL "
	    "NIL NIL)) ((NIL NIL \"c\" \"z.test\")) NIL NIL \"<big@x.test>\")");
	TEST_ASSERT_STREQ(r.subject, "big one");
	TEST_ASSERT_STREQ(r.from, "\"Doe, J\" <j@x.test>");
	TEST_ASSERT_STREQ(r.to, "A <a@y.test>, g: b@y.test;");
	TEST_ASSERT_STREQ(r.cc, "c@z.test");
	TEST_ASSERT_STREQ(r.message_id, "<big@x.test>");
	TEST_ASSERT(r.has_date && r.has_message_id);
	TEST_ASSERT_INTEQ(r.date, 1704161045);
	TEST_ASSERT_INTEQ(r.received_count, 2);
	TEST_ASSERT_INTEQ(r.header_size,
			  strstr(big_msg, "This is") - big_msg);
	TEST_ASSERT_INTEQ(r.body_size, strlen(strstr(big_msg, "This is")));
	mime_msg_info_clear(&r);
	test_end();
}

/* Whole, byte by byte, every n bytes and at random points: identical. */
static void
test_ms_split(void)
{
	size_t i, step;
	uint32_t seed;

	test_begin("split invariance");
	for (i = 0; i <= sizeof(ms_cases) / sizeof(ms_cases[0]); i++) {
		const char *in = i < sizeof(ms_cases) / sizeof(ms_cases[0])
				     ? ms_cases[i].in
				     : big_msg;
		size_t n = strlen(in);
		struct mime_msg_info whole, part;

		ms_run(in, n, 0, 0, NULL, &whole);
		for (step = 1; step <= 7; step++) {
			ms_run(in, n, step, 0, NULL, &part);
			ms_same(&whole, &part);
			mime_msg_info_clear(&part);
		}
		for (seed = 1; seed <= 20; seed++) {
			ms_run(in, n, 0, seed * 2654435761u, NULL, &part);
			ms_same(&whole, &part);
			mime_msg_info_clear(&part);
		}
		mime_msg_info_clear(&whole);
	}
	test_end();
}

static void
test_ms_depth_limit(void)
{
	struct mime_limits lim = {2, MIME_PARTS_MAX, MIME_HEADER_BYTES_MAX,
				  MIME_ADDRESSES_MAX};
	const char *in = "Content-Type: multipart/mixed; boundary=a\r\n\r\n"
			 "--a\r\nContent-Type: multipart/mixed; boundary=b\r\n"
			 "\r\n--b\r\nContent-Type: multipart/mixed; "
			 "boundary=c\r\n\r\n--c\r\n\r\ndeep\r\n--c--\r\n"
			 "--b--\r\n--a--\r\n";
	struct mime_msg_info r;

	test_begin("depth limit");
	ms_run(in, strlen(in), 0, 0, &lim, &r);
	/* Level 2 is not descended into: an opaque leaf holding
	   "--c\r\n\r\ndeep\r\n--c--" (18 octets). */
	TEST_ASSERT_STREQ(r.bodystructure,
			  "(((\"application\" \"octet-stream\" (\"boundary\" "
			  "\"c\") NIL NIL \"7bit\" 18 NIL NIL NIL NIL) "
			  "\"mixed\" (\"boundary\" \"b\") NIL NIL NIL) "
			  "\"mixed\" (\"boundary\" \"a\") NIL NIL NIL)");
	mime_msg_info_clear(&r);
	test_end();
}

/* Deeper than MIME_DEPTH_MAX with the defaults: no failure, and the
   output stays bounded. */
static void
test_ms_depth_default(void)
{
	struct buf in;
	struct mime_msg_info r;
	unsigned i;

	test_begin("depth default");
	buf_init(&in, 0);
	for (i = 0; i < MIME_DEPTH_MAX + 50; i++)
		buf_printf(&in,
			   "Content-Type: multipart/mixed; boundary=b%u\r\n"
			   "\r\n--b%u\r\n",
			   i, i);
	buf_append_str(&in, "\r\nleaf\r\n");
	ms_run((const char *)buf_rptr(&in), buf_len(&in), 0, 0, NULL, &r);
	TEST_ASSERT(r.bodystructure != NULL);
	/* Depth 100 is an opaque leaf, nothing below it is seen. */
	TEST_ASSERT(strstr(r.bodystructure, "\"b99\") NIL NIL NIL)") != NULL);
	TEST_ASSERT(strstr(r.bodystructure,
			   "(\"application\" \"octet-stream\" (\"boundary\" "
			   "\"b100\")") != NULL);
	TEST_ASSERT(strstr(r.bodystructure, "\"b101\"") == NULL);
	mime_msg_info_clear(&r);
	buf_deinit(&in);
	test_end();
}

static void
test_ms_parts_limit(void)
{
	struct mime_limits lim = {MIME_DEPTH_MAX, 3, MIME_HEADER_BYTES_MAX,
				  MIME_ADDRESSES_MAX};
	const char *in = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
			 "--b\r\n\r\none\r\n--b\r\n\r\ntwo\r\n--b\r\n\r\n"
			 "three\r\n--b--\r\n";
	struct mime_msg_info r;

	test_begin("parts limit");
	ms_run(in, strlen(in), 0, 0, &lim, &r);
	/* Root + 2 parts; the last takes the rest as text. */
	TEST_ASSERT_STREQ(r.bodystructure,
			  "((" TP "3 0 NIL NIL NIL NIL)(" TP
			  "17 3 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
			  "\"b\") NIL NIL NIL)");
	mime_msg_info_clear(&r);
	test_end();
}

static void
test_ms_header_limit(void)
{
	struct mime_limits lim = {MIME_DEPTH_MAX, MIME_PARTS_MAX, 30,
				  MIME_ADDRESSES_MAX};
	const char *in = "Subject: kept\r\nTo: a@b\r\nFrom: lost@x.test\r\n"
			 "Content-Type: text/html\r\n\r\nbody\r\n";
	struct mime_msg_info r;

	test_begin("header limit");
	ms_run(in, strlen(in), 0, 0, &lim, &r);
	TEST_ASSERT_STREQ(r.subject, "kept");
	TEST_ASSERT_STREQ(r.to, "a@b");
	TEST_ASSERT(r.from == NULL);
	TEST_ASSERT_STREQ(r.bodystructure, "(" TP "6 1 NIL NIL NIL NIL)");
	TEST_ASSERT_INTEQ(r.header_size, strstr(in, "body") - in);
	mime_msg_info_clear(&r);
	test_end();
}

static void
test_ms_address_limit(void)
{
	struct mime_limits lim = {MIME_DEPTH_MAX, MIME_PARTS_MAX,
				  MIME_HEADER_BYTES_MAX, 1};
	const char *in = "From: a@b, c@d\r\n\r\n";
	struct mime_msg_info r;

	test_begin("address limit");
	ms_run(in, strlen(in), 0, 0, &lim, &r);
	TEST_ASSERT_STREQ(r.envelope,
			  "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" "
			  "\"b\")) ((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL "
			  "NIL)");
	mime_msg_info_clear(&r);
	test_end();
}

/* Large bodies and long lines pass through without being kept. */
static void
test_ms_long_lines(void)
{
	const size_t n = 3u * 1024 * 1024;
	char *in = malloc(n);
	const char *hdr = "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
			  "--b\r\n\r\n";
	const char *tail = "\r\n--b--\r\n";
	size_t h = strlen(hdr), t = strlen(tail), i;
	struct mime_msg_info r;
	char expect[256];

	test_begin("long lines");
	memcpy(in, hdr, h);
	/* One 3 MB line of "--b" followed by spaces and an 'x'. */
	in[h] = '-';
	in[h + 1] = '-';
	in[h + 2] = 'b';
	for (i = h + 3; i < n - t - 1; i++)
		in[i] = ' ';
	in[n - t - 1] = 'x';
	memcpy(in + n - t, tail, t);
	ms_run(in, n, 4096, 0, NULL, &r);
	snprintf(expect, sizeof(expect),
		 "((" TP "%zu 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b\") "
		 "NIL NIL NIL)",
		 n - h - t);
	TEST_ASSERT_STREQ(r.bodystructure, expect);
	mime_msg_info_clear(&r);
	/* The same line without the 'x' is a delimiter: a second, empty
	   part follows. */
	in[n - t - 1] = ' ';
	ms_run(in, n, 4096, 0, NULL, &r);
	TEST_ASSERT_STREQ(r.bodystructure,
			  "((" TP "0 0 NIL NIL NIL NIL)(" TP
			  "0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" "
			  "\"b\") NIL NIL NIL)");
	mime_msg_info_clear(&r);
	free(in);
	test_end();
}

static void
test_ms_misuse(void)
{
	struct mime_summary *ms = mime_summary_new(NULL);
	struct mime_msg_info r;

	test_begin("misuse");
	mime_summary_feed(ms, "Subject: a\r\n\r\n", 14);
	TEST_ASSERT_INTEQ(mime_summary_finish(ms, &r), 0);
	mime_msg_info_clear(&r);
	/* A second finish fails and zeroes r; feeding after is ignored. */
	mime_summary_feed(ms, "x", 1);
	TEST_ASSERT_INTEQ(mime_summary_finish(ms, &r), -1);
	TEST_ASSERT(r.envelope == NULL && r.bodystructure == NULL);
	mime_summary_free(&ms);
	mime_summary_free(&ms);
	TEST_ASSERT_INTEQ(mime_summary_finish(NULL, &r), -1);
	test_end();
}

TEST_MAIN(test_ms_table, test_ms_big, test_ms_split, test_ms_depth_limit,
	  test_ms_depth_default, test_ms_parts_limit, test_ms_header_limit,
	  test_ms_address_limit, test_ms_long_lines, test_ms_misuse)

/* test_smtp_reply.c: tests of the SMTP reply parser and EHLO capabilities. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "limits.h"
#include "smtp/smtp_reply.h"

/* Parse input fed in pieces (every `step` bytes, or at random points
   when rnd is set) and write a transcript of every result to log. */
static void
feed_replies(const char *input, size_t n, size_t step, uint32_t *rnd,
	     struct buf *log)
{
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct buf in;
	size_t pos = 0;
	int rc;

	smtp_reply_parser_init(&p);
	buf_init(&in, 0);
	while (pos < n) {
		size_t k = rnd != NULL ? test_rand(rnd) % 9 : step;

		if (k > n - pos)
			k = n - pos;
		buf_append(&in, input + pos, k);
		pos += k;
		while ((rc = smtp_reply_parse(&p, &in, &r)) != 0) {
			if (rc > 0) {
				TEST_ASSERT_INTEQ(strlen(r.text), r.text_len);
				TEST_ASSERT_INTEQ(strlen(r.lines), r.lines_len);
				buf_printf(log, "R %d [%s] %zu {%s} {%s}\n",
					   r.code, r.enh, r.nlines, r.text,
					   r.lines);
			} else {
				buf_printf(log, "E %s\n", p.error);
			}
		}
		TEST_ASSERT_INTEQ(buf_len(&in), 0);
		TEST_ASSERT(p.cap <= SMTP_REPLY_LINE_MAX);
	}
	buf_printf(log, "end\n");
	buf_deinit(&in);
	smtp_reply_parser_deinit(&p);
}

struct reply_case {
	const char *in;
	const char *out; /* transcript without the final "end\n" */
	size_t len;      /* length of in when it holds a NUL, else 0 */
};

static const struct reply_case reply_cases[] = {
    {"220 mx.example ESMTP\r\n", "R 220 [] 1 {mx.example ESMTP} {mx.example ESMTP}\n", 0},
    {"250 2.1.0 Ok\r\n", "R 250 [2.1.0] 1 {Ok} {2.1.0 Ok}\n", 0},
    {"550 5.1.1 <a@b>: unknown\r\n",
     "R 550 [5.1.1] 1 {<a@b>: unknown} {5.1.1 <a@b>: unknown}\n", 0},
    /* multi-line, enhanced code on each line stripped */
    {"550-5.7.1 first\r\n550-5.7.1  second\r\n550 5.7.1 third\r\n",
     "R 550 [5.7.1] 3 {first\nsecond\nthird} "
     "{5.7.1 first\n5.7.1  second\n5.7.1 third}\n", 0},
    {"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n",
     "R 250 [] 3 {mx.example\nPIPELINING\nSIZE 100} "
     "{mx.example\nPIPELINING\nSIZE 100}\n", 0},
    /* code alone, empty text, dash with nothing after */
    {"250\r\n", "R 250 [] 1 {} {}\n", 0},
    {"250 \r\n", "R 250 [] 1 {} {}\n", 0},
    {"250-\r\n250 x\r\n", "R 250 [] 2 {\nx} {\nx}\n", 0},
    /* bare LF tolerated */
    {"250 ok\n", "R 250 [] 1 {ok} {ok}\n", 0},
    {"354 go ahead\r\n", "R 354 [] 1 {go ahead} {go ahead}\n", 0},
    /* 3xx never carries an enhanced code; class mismatch is text */
    {"354 2.0.0 go\r\n", "R 354 [] 1 {2.0.0 go} {2.0.0 go}\n", 0},
    {"550 4.1.1 x\r\n", "R 550 [] 1 {4.1.1 x} {4.1.1 x}\n", 0},
    {"250 2.1.0\r\n", "R 250 [2.1.0] 1 {} {2.1.0}\n", 0},
    {"250 2.1.0x\r\n", "R 250 [] 1 {2.1.0x} {2.1.0x}\n", 0},
    {"250 2.1000.0 x\r\n", "R 250 [] 1 {2.1000.0 x} {2.1000.0 x}\n", 0},
    {"250 2..0 x\r\n", "R 250 [] 1 {2..0 x} {2..0 x}\n", 0},
    {"451 4.123.456 y\r\n", "R 451 [4.123.456] 1 {y} {4.123.456 y}\n", 0},
    /* UTF-8 text kept */
    {"250 \xc3\xa9t\xc3\xa9\r\n", "R 250 [] 1 {\xc3\xa9t\xc3\xa9} {\xc3\xa9t\xc3\xa9}\n", 0},
    /* two replies in a row */
    {"250 a\r\n251 b\r\n", "R 250 [] 1 {a} {a}\nR 251 [] 1 {b} {b}\n", 0},
    /* errors, then recovery at the next line */
    {"250-a\r\n251 b\r\n250 c\r\n", "E Inconsistent reply codes\nR 250 [] 1 {c} {c}\n", 0},
    {"120 x\r\n250 c\r\n", "E Bad reply code\nR 250 [] 1 {c} {c}\n", 0},
    {"650 x\r\n", "E Bad reply code\n", 0},
    {"25\r\n", "E Bad reply code\n", 0},
    {"2a0 x\r\n", "E Bad reply code\n", 0},
    {"\r\n", "E Bad reply code\n", 0},
    {"250x\r\n", "E Bad reply separator\n", 0},
    {"250\tx\r\n", "E Bad reply separator\n", 0},
    {"250 a\rb\r\n", "E Bare CR in reply\n", 0},
    {"250 a\r\r\n", "E Bare CR in reply\n", 0},
    {"250-a\r\n250 b\0c\r\n250 d\r\n", "E NUL in reply\nR 250 [] 1 {d} {d}\n", 23},
    /* an incomplete last line gives nothing */
    {"250-a\r\n250 b", "", 0},
};

static void
test_reply_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
		const struct reply_case *c = &reply_cases[i];
		struct buf log, want;
		size_t n = c->len != 0 ? c->len : strlen(c->in);

		test_begin(c->in);
		buf_init(&log, 0);
		buf_init(&want, 0);
		buf_printf(&want, "%send\n", c->out);
		feed_replies(c->in, n, n, NULL, &log);
		TEST_ASSERT_MEMEQ(buf_rptr(&log), buf_len(&log),
				  buf_rptr(&want), buf_len(&want));
		if (buf_len(&log) != buf_len(&want))
			fprintf(stderr, "got: %.*s\n", (int)buf_len(&log),
				(const char *)buf_rptr(&log));
		buf_deinit(&log);
		buf_deinit(&want);
	}
}

/* Whole, byte by byte and at random split points: same transcript. */
static void
test_reply_split(void)
{
	struct buf all, whole, part;
	uint32_t rnd = 7;
	size_t i, step;

	buf_init(&all, 0);
	for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++)
		if (strlen(reply_cases[i].out) > 0)
			buf_append(&all, reply_cases[i].in,
				   reply_cases[i].len != 0
				       ? reply_cases[i].len
				       : strlen(reply_cases[i].in));
	buf_init(&whole, 0);
	feed_replies((const char *)buf_rptr(&all), buf_len(&all), buf_len(&all),
		     NULL, &whole);
	for (step = 1; step <= 3; step++) {
		test_begin("split step");
		buf_init(&part, 0);
		feed_replies((const char *)buf_rptr(&all), buf_len(&all), step,
			     NULL, &part);
		TEST_ASSERT_MEMEQ(buf_rptr(&whole), buf_len(&whole),
				  buf_rptr(&part), buf_len(&part));
		buf_deinit(&part);
	}
	for (i = 0; i < 50; i++) {
		test_begin("split random");
		buf_init(&part, 0);
		feed_replies((const char *)buf_rptr(&all), buf_len(&all), 0,
			     &rnd, &part);
		TEST_ASSERT_MEMEQ(buf_rptr(&whole), buf_len(&whole),
				  buf_rptr(&part), buf_len(&part));
		buf_deinit(&part);
	}
	buf_deinit(&all);
	buf_deinit(&whole);
}

/* Line and line-count limits, and memory bounded while a long line
   streams in. */
static void
test_reply_limits(void)
{
	struct buf in, log;
	size_t i;

	test_begin("longest line");
	buf_init(&in, 0);
	buf_append_str(&in, "250 ");
	for (i = 4; i < SMTP_REPLY_LINE_MAX - 2; i++)
		buf_append(&in, "x", 1);
	buf_append_str(&in, "\r\n");
	buf_init(&log, 0);
	feed_replies((const char *)buf_rptr(&in), buf_len(&in), 100, NULL,
		     &log);
	TEST_ASSERT(strncmp((const char *)buf_rptr(&log), "R 250", 5) == 0);
	buf_deinit(&log);

	test_begin("line one byte too long");
	buf_reset(&in);
	buf_append_str(&in, "250 ");
	for (i = 4; i < SMTP_REPLY_LINE_MAX - 1; i++)
		buf_append(&in, "x", 1);
	buf_append_str(&in, "\r\n250 ok\r\n");
	buf_init(&log, 0);
	feed_replies((const char *)buf_rptr(&in), buf_len(&in), 7, NULL, &log);
	TEST_ASSERT_MEMEQ(buf_rptr(&log), buf_len(&log),
			  "E Reply line too long\nR 250 [] 1 {ok} {ok}\nend\n",
			  strlen("E Reply line too long\nR 250 [] 1 {ok} "
				 "{ok}\nend\n"));
	buf_deinit(&log);

	test_begin("huge line");
	buf_reset(&in);
	buf_append_str(&in, "250 ");
	for (i = 0; i < 100000; i++)
		buf_append(&in, "y", 1);
	buf_append_str(&in, "\n");
	buf_init(&log, 0);
	feed_replies((const char *)buf_rptr(&in), buf_len(&in), 4096, NULL,
		     &log);
	TEST_ASSERT_MEMEQ(buf_rptr(&log), buf_len(&log),
			  "E Reply line too long\nend\n", 26);
	buf_deinit(&log);

	test_begin("line count");
	buf_reset(&in);
	for (i = 0; i < SMTP_REPLY_LINES_MAX - 1; i++)
		buf_append_str(&in, "250-x\r\n");
	buf_append_str(&in, "250 x\r\n");
	buf_init(&log, 0);
	feed_replies((const char *)buf_rptr(&in), buf_len(&in), 13, NULL,
		     &log);
	TEST_ASSERT(strncmp((const char *)buf_rptr(&log), "R 250 [] 100 ", 13) ==
		    0);
	buf_deinit(&log);

	test_begin("too many lines");
	buf_reset(&in);
	for (i = 0; i < SMTP_REPLY_LINES_MAX; i++)
		buf_append_str(&in, "250-x\r\n");
	buf_append_str(&in, "250 x\r\n220 y\r\n");
	buf_init(&log, 0);
	feed_replies((const char *)buf_rptr(&in), buf_len(&in), 13, NULL,
		     &log);
	/* The 101st line is refused with its reply; the next reply is
	   read normally. */
	TEST_ASSERT_MEMEQ(buf_rptr(&log), buf_len(&log),
			  "E Too many reply lines\nR 220 [] 1 {y} {y}\nend\n",
			  strlen("E Too many reply lines\nR 220 [] 1 {y} "
				 "{y}\nend\n"));
	buf_deinit(&log);
	buf_deinit(&in);
}

/* Strings of a returned reply stay valid until the next call. */
static void
test_reply_lifetime(void)
{
	struct smtp_reply_parser p;
	struct smtp_reply r;
	struct buf in;

	test_begin("lifetime");
	smtp_reply_parser_init(&p);
	buf_init(&in, 0);
	buf_append_str(&in, "250-a\r\n250 b\r\n220 c");
	TEST_ASSERT_INTEQ(smtp_reply_parse(&p, &in, &r), 1);
	TEST_ASSERT_STREQ(r.text, "a\nb");
	TEST_ASSERT_INTEQ(buf_len(&in), 5);
	TEST_ASSERT_INTEQ(smtp_reply_parse(&p, &in, &r), 0);
	buf_append_str(&in, "\r\n");
	TEST_ASSERT_INTEQ(smtp_reply_parse(&p, &in, &r), 1);
	TEST_ASSERT_STREQ(r.text, "c");
	TEST_ASSERT_INTEQ(r.code, 220);
	/* reset drops a partial reply (STARTTLS) */
	buf_append_str(&in, "250-x\r\n");
	TEST_ASSERT_INTEQ(smtp_reply_parse(&p, &in, &r), 0);
	smtp_reply_parser_reset(&p);
	buf_append_str(&in, "220 y\r\n");
	TEST_ASSERT_INTEQ(smtp_reply_parse(&p, &in, &r), 1);
	TEST_ASSERT_STREQ(r.text, "y");
	TEST_ASSERT_INTEQ(r.nlines, 1);
	buf_deinit(&in);
	smtp_reply_parser_deinit(&p);
}

struct caps_case {
	const char *in;
	const char *out; /* flags string, see caps_str() */
};

static void
caps_str(const struct smtp_caps *c, char *s, size_t n)
{
	snprintf(s, n, "%s%s%s%s%s%s%s%s%s size=%llu auth=%u",
		 c->pipelining ? "P" : "", c->starttls ? "T" : "",
		 c->eightbitmime ? "8" : "", c->smtputf8 ? "U" : "",
		 c->dsn ? "D" : "", c->chunking ? "C" : "",
		 c->binarymime ? "B" : "", c->enhancedstatuscodes ? "E" : "",
		 c->size ? "S" : "", (unsigned long long)c->size_max, c->auth);
}

static const struct caps_case caps_cases[] = {
    {"250 mx.example\r\n", " size=0 auth=0"},
    /* the first line is the greeting, never a keyword */
    {"250 PIPELINING\r\n", " size=0 auth=0"},
    {"250-mx.example Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
     "250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n"
     "250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
     "PT8UDCES size=10240000 auth=0"},
    {"250-x\r\n250-pipelining\r\n250-starttls\r\n250 binarymime\r\n",
     "PTB size=0 auth=0"},
    {"250-x\r\n250-AUTH PLAIN LOGIN CRAM-MD5\r\n250 AUTH=LOGIN XOAUTH2\r\n",
     " size=0 auth=39"},
    {"250-x\r\n250 AUTH  plain   scram-sha-256 GSSAPI\r\n",
     " size=0 auth=81"},
    {"250-x\r\n250 SIZE\r\n", "S size=0 auth=0"},
    {"250-x\r\n250 SIZE 0\r\n", "S size=0 auth=0"},
    {"250-x\r\n250 SIZE 12x\r\n", "S size=0 auth=0"},
    {"250-x\r\n250 SIZE 100 \r\n", "S size=100 auth=0"},
    {"250-x\r\n250 SIZE 99999999999999999999999\r\n",
     "S size=18446744073709551615 auth=0"},
    {"250-x\r\n250 SIZE 18446744073709551615\r\n",
     "S size=18446744073709551615 auth=0"},
    /* near-misses are not keywords */
    {"250-x\r\n250-PIPELININGX\r\n250-8BITMIME2\r\n250-XDSN\r\n250 STARTTLS=1\r\n",
     "T size=0 auth=0"},
    {"250-x\r\n250- PIPELINING\r\n250\r\n", " size=0 auth=0"},
};

static void
test_caps_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(caps_cases) / sizeof(caps_cases[0]); i++) {
		struct smtp_reply_parser p;
		struct smtp_reply r;
		struct smtp_caps caps;
		struct buf in;
		char got[128];

		test_begin(caps_cases[i].in);
		smtp_reply_parser_init(&p);
		buf_init(&in, 0);
		buf_append_str(&in, caps_cases[i].in);
		TEST_ASSERT_INTEQ(smtp_reply_parse(&p, &in, &r), 1);
		memset(&caps, 0xff, sizeof(caps));
		smtp_reply_caps(&r, &caps);
		caps_str(&caps, got, sizeof(got));
		TEST_ASSERT_STREQ(got, caps_cases[i].out);
		buf_deinit(&in);
		smtp_reply_parser_deinit(&p);
	}
}

TEST_MAIN(test_reply_table, test_reply_split, test_reply_limits,
	  test_reply_lifetime, test_caps_table)

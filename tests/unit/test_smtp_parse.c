/* test_smtp_parse.c: tests of the SMTP command, path and parameter parsers. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "arena.h"
#include "buf.h"
#include "limits.h"
#include "smtp/smtp_parse.h"

/* Feed input to a command parser in pieces (split at the offsets in
   cuts, or every `step` bytes) and write a transcript of every result. */
static void
feed_commands(const char *input, size_t n, size_t step, const size_t *cuts,
	      size_t ncuts, struct buf *log)
{
	struct smtp_parser p;
	struct smtp_cmd cmd;
	struct buf in;
	size_t pos = 0, k = 0;

	smtp_parser_init(&p, SMTP_CMD_LINE_MAX, SMTP_AUTH_LINE_MAX);
	buf_init(&in, 0);
	while (pos < n) {
		size_t next = n;
		int rc;

		if (cuts != NULL && k < ncuts)
			next = cuts[k++];
		else if (cuts == NULL && step > 0)
			next = pos + step < n ? pos + step : n;
		if (next < pos)
			next = pos;
		buf_append(&in, input + pos, next - pos);
		pos = next;
		while ((rc = smtp_parse_command(&p, &in, &cmd)) != 0) {
			if (rc > 0)
				buf_printf(log, "1 %s|%s|%zu|%zu|%d\n",
					   cmd.verb_str, cmd.args, cmd.args_len,
					   cmd.line_len, (int)cmd.verb);
			else
				buf_printf(log, "-1 %d %s %s\n", p.error_code,
					   p.error_enh, p.error_text);
		}
		TEST_ASSERT_INTEQ(buf_len(&in), 0);
		/* Memory never grows past the AUTH line limit. */
		TEST_ASSERT(p.cap <= SMTP_AUTH_LINE_MAX);
	}
	buf_printf(log, "end\n");
	buf_deinit(&in);
	smtp_parser_deinit(&p);
}

struct cmd_case {
	const char *in; /* one line, CRLF included */
	int rc;
	enum smtp_verb verb;
	const char *verb_str;
	const char *args; /* or the error text when rc < 0 */
};

static const struct cmd_case cmd_cases[] = {
    {"HELO a.example\r\n", 1, SMTP_VERB_HELO, "HELO", "a.example"},
    {"EHLO a.example\r\n", 1, SMTP_VERB_EHLO, "EHLO", "a.example"},
    {"MAIL FROM:<a@b>\r\n", 1, SMTP_VERB_MAIL, "MAIL", "FROM:<a@b>"},
    {"RCPT TO:<a@b>\r\n", 1, SMTP_VERB_RCPT, "RCPT", "TO:<a@b>"},
    {"DATA\r\n", 1, SMTP_VERB_DATA, "DATA", ""},
    {"BDAT 100 LAST\r\n", 1, SMTP_VERB_BDAT, "BDAT", "100 LAST"},
    {"RSET\r\n", 1, SMTP_VERB_RSET, "RSET", ""},
    {"NOOP\r\n", 1, SMTP_VERB_NOOP, "NOOP", ""},
    {"QUIT\r\n", 1, SMTP_VERB_QUIT, "QUIT", ""},
    {"VRFY user\r\n", 1, SMTP_VERB_VRFY, "VRFY", "user"},
    {"EXPN list\r\n", 1, SMTP_VERB_EXPN, "EXPN", "list"},
    {"HELP\r\n", 1, SMTP_VERB_HELP, "HELP", ""},
    {"STARTTLS\r\n", 1, SMTP_VERB_STARTTLS, "STARTTLS", ""},
    {"AUTH PLAIN AGFAAGI=\r\n", 1, SMTP_VERB_AUTH, "AUTH", "PLAIN AGFAAGI="},
    {"SEND FROM:<a@b>\r\n", 1, SMTP_VERB_SEND, "SEND", "FROM:<a@b>"},
    {"SOML FROM:<a@b>\r\n", 1, SMTP_VERB_SOML, "SOML", "FROM:<a@b>"},
    {"SAML FROM:<a@b>\r\n", 1, SMTP_VERB_SAML, "SAML", "FROM:<a@b>"},
    {"TURN\r\n", 1, SMTP_VERB_TURN, "TURN", ""},
    {"ETRN example.org\r\n", 1, SMTP_VERB_ETRN, "ETRN", "example.org"},
    {"ATRN example.org\r\n", 1, SMTP_VERB_ATRN, "ATRN", "example.org"},
    /* case, spaces */
    {"noop\r\n", 1, SMTP_VERB_NOOP, "noop", ""},
    {"mAiL FROM:<a@b>\r\n", 1, SMTP_VERB_MAIL, "mAiL", "FROM:<a@b>"},
    {"StartTLS\r\n", 1, SMTP_VERB_STARTTLS, "StartTLS", ""},
    {"EHLO    x.example   \r\n", 1, SMTP_VERB_EHLO, "EHLO", "x.example"},
    {"NOOP \r\n", 1, SMTP_VERB_NOOP, "NOOP", ""},
    {"MAIL FROM:<a@b>  SIZE=1\r\n", 1, SMTP_VERB_MAIL, "MAIL",
     "FROM:<a@b>  SIZE=1"},
    {"HELO a\tb\r\n", 1, SMTP_VERB_HELO, "HELO", "a\tb"},
    /* unknown verbs */
    {"FOO bar\r\n", 1, SMTP_VERB_UNKNOWN, "FOO", "bar"},
    {"\r\n", 1, SMTP_VERB_UNKNOWN, "", ""},
    {" NOOP\r\n", 1, SMTP_VERB_UNKNOWN, "", "NOOP"},
    {"NOOPX\r\n", 1, SMTP_VERB_UNKNOWN, "NOOPX", ""},
    {"NOO\r\n", 1, SMTP_VERB_UNKNOWN, "NOO", ""},
    {"NOOP\tx\r\n", 1, SMTP_VERB_UNKNOWN, "NOOP\tx", ""},
    {"GET / HTTP/1.1\r\n", 1, SMTP_VERB_UNKNOWN, "GET", "/ HTTP/1.1"},
    /* bad lines */
    {"NOOP\n", -1, 0, NULL, "Bare LF received"},
    {"\n", -1, 0, NULL, "Bare LF received"},
    {"NOOP\rx\r\n", -1, 0, NULL, "Bare CR received"},
    {"NOOP\r\r\n", -1, 0, NULL, "Bare CR received"},
    {"NO\0OP\r\n", -1, 0, NULL, "NUL received"},
    {"\0\r\n", -1, 0, NULL, "NUL received"},
    {"NOOP\r\rx\n", -1, 0, NULL, "Bare LF received"},
};

static void
test_commands_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *c = &cmd_cases[i];
		struct smtp_parser p;
		struct smtp_cmd cmd;
		struct buf in;
		size_t n = 0;
		int rc;

		/* The case may hold a NUL: it ends at the first LF. */
		while (c->in[n] != '\n')
			n++;
		n++;
		test_begin(c->in);
		smtp_parser_init(&p, SMTP_CMD_LINE_MAX, SMTP_AUTH_LINE_MAX);
		buf_init(&in, 0);
		buf_append(&in, c->in, n);
		buf_append_str(&in, "QUIT\r\n");
		rc = smtp_parse_command(&p, &in, &cmd);
		TEST_ASSERT_INTEQ(rc, c->rc);
		if (rc > 0) {
			TEST_ASSERT_INTEQ(cmd.verb, c->verb);
			TEST_ASSERT_STREQ(cmd.verb_str, c->verb_str);
			TEST_ASSERT_STREQ(cmd.args, c->args);
			TEST_ASSERT_INTEQ(cmd.args_len, strlen(c->args));
			TEST_ASSERT_INTEQ(cmd.line_len, n - 2);
		} else if (rc < 0) {
			TEST_ASSERT_INTEQ(p.error_code, 500);
			TEST_ASSERT_STREQ(p.error_enh, "5.5.2");
			TEST_ASSERT_STREQ(p.error_text, c->args);
		}
		/* The bad or good line is consumed exactly; the next
		   pipelined command is intact. */
		TEST_ASSERT_INTEQ(buf_len(&in), 6);
		TEST_ASSERT_INTEQ(smtp_parse_command(&p, &in, &cmd), 1);
		TEST_ASSERT_INTEQ(cmd.verb, SMTP_VERB_QUIT);
		TEST_ASSERT_INTEQ(buf_len(&in), 0);
		TEST_ASSERT_INTEQ(smtp_parse_command(&p, &in, &cmd), 0);
		buf_deinit(&in);
		smtp_parser_deinit(&p);
	}
}

/* A line of exactly total octets (CRLF included) starting with verb. */
static char *
make_line(const char *verb, size_t total)
{
	char *s = malloc(total + 1);
	size_t vl = strlen(verb);

	memset(s, 'a', total);
	memcpy(s, verb, vl);
	s[total - 2] = '\r';
	s[total - 1] = '\n';
	s[total] = '\0';
	return s;
}

static int
parse_one(struct smtp_parser *p, const char *s, size_t n, struct smtp_cmd *cmd,
	  size_t *left)
{
	struct buf in;
	int rc;

	buf_init(&in, 0);
	buf_append(&in, s, n);
	rc = smtp_parse_command(p, &in, cmd);
	*left = buf_len(&in);
	buf_deinit(&in);
	return rc;
}

static void
test_command_lengths(void)
{
	static const struct {
		const char *verb;
		size_t total;
		int rc;
		size_t limit;
	} cases[] = {
	    {"NOOP ", 511, 1, 512},
	    {"NOOP ", 512, 1, 512},
	    {"NOOP ", 513, -1, 512},
	    {"NOOP ", 1000, -1, 512},
	    {"AUTH PLAIN ", 512, 1, 12288},
	    {"AUTH PLAIN ", 513, 1, 12288},
	    {"auth PLAIN ", 12287, 1, 12288},
	    {"AUTH PLAIN ", 12288, 1, 12288},
	    {"AUTH PLAIN ", 12289, -1, 12288},
	    {"AUTH PLAIN ", 50000, -1, 12288},
	    {"AUTHX ", 513, -1, 512},
	    {"NOOP", 100000, -1, 512},
	};
	size_t i, left;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smtp_parser p;
		struct smtp_cmd cmd;
		char *s = make_line(cases[i].verb, cases[i].total);
		int rc;

		test_begin(cases[i].verb);
		smtp_parser_init(&p, SMTP_CMD_LINE_MAX, SMTP_AUTH_LINE_MAX);
		rc = parse_one(&p, s, cases[i].total, &cmd, &left);
		TEST_ASSERT_INTEQ(rc, cases[i].rc);
		TEST_ASSERT_INTEQ(left, 0);
		if (rc > 0)
			TEST_ASSERT_INTEQ(cmd.line_len, cases[i].total - 2);
		else
			TEST_ASSERT_STREQ(p.error_text, "Line too long");
		TEST_ASSERT(p.cap <= SMTP_AUTH_LINE_MAX);
		/* A line ending in a bare LF is judged by its length too:
		   the CR became a line octet. */
		s[cases[i].total - 2] = 'a';
		rc = parse_one(&p, s, cases[i].total, &cmd, &left);
		TEST_ASSERT_INTEQ(rc, -1);
		TEST_ASSERT_STREQ(p.error_text,
				  cases[i].total + 1 > cases[i].limit
				      ? "Line too long"
				      : "Bare LF received");
		/* The session stays usable. */
		rc = parse_one(&p, "RSET\r\n", 6, &cmd, &left);
		TEST_ASSERT_INTEQ(rc, 1);
		TEST_ASSERT_INTEQ(cmd.verb, SMTP_VERB_RSET);
		smtp_parser_deinit(&p);
		free(s);
	}
}

/* Long lines are dropped as they arrive, not buffered. */
static void
test_command_long_streamed(void)
{
	struct smtp_parser p;
	struct smtp_cmd cmd;
	struct buf in;
	char chunk[4096];
	int i;

	test_begin("long streamed line");
	memset(chunk, 'x', sizeof(chunk));
	smtp_parser_init(&p, SMTP_CMD_LINE_MAX, SMTP_AUTH_LINE_MAX);
	buf_init(&in, 0);
	for (i = 0; i < 256; i++) {
		buf_append(&in, chunk, sizeof(chunk));
		TEST_ASSERT_INTEQ(smtp_parse_command(&p, &in, &cmd), 0);
		TEST_ASSERT_INTEQ(buf_len(&in), 0);
	}
	TEST_ASSERT(p.cap <= SMTP_AUTH_LINE_MAX);
	buf_append_str(&in, "\r");
	TEST_ASSERT_INTEQ(smtp_parse_command(&p, &in, &cmd), 0);
	buf_append_str(&in, "\nNOOP\r\n");
	TEST_ASSERT_INTEQ(smtp_parse_command(&p, &in, &cmd), -1);
	TEST_ASSERT_STREQ(p.error_text, "Line too long");
	TEST_ASSERT_INTEQ(smtp_parse_command(&p, &in, &cmd), 1);
	TEST_ASSERT_INTEQ(cmd.verb, SMTP_VERB_NOOP);
	buf_deinit(&in);
	smtp_parser_deinit(&p);
}

static const char stream_input[] = "EHLO client.example\r\n"
				   "MAIL FROM:<a@b.example> SIZE=100\r\n"
				   "RCPT TO:<c@d.example>\r\n"
				   "NOOP\n"
				   "RCPT TO:<e@d.example>\r\n"
				   "bad\rcr\r\n"
				   "nul\0here\r\n"
				   "\r\n"
				   "AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n"
				   "cr-at-end\r\r\n"
				   "DATA\r\n"
				   "QUIT\r\n";

static void
test_command_splits(void)
{
	size_t n = sizeof(stream_input) - 1, step;
	struct buf whole, other;
	uint32_t seed = 12345;
	int round;

	test_begin("command split invariance");
	buf_init(&whole, 0);
	feed_commands(stream_input, n, 0, NULL, 0, &whole);
	/* Sanity: the transcript holds every line's result. */
	TEST_ASSERT(memmem(buf_rptr(&whole), buf_len(&whole),
			   "-1 500 5.5.2 Bare LF received", 29) != NULL);
	TEST_ASSERT(memmem(buf_rptr(&whole), buf_len(&whole), "1 QUIT||0|4|",
			   12) != NULL);
	for (step = 1; step <= 7; step++) {
		buf_init(&other, 0);
		feed_commands(stream_input, n, step, NULL, 0, &other);
		TEST_ASSERT_MEMEQ(buf_rptr(&other), buf_len(&other),
				  buf_rptr(&whole), buf_len(&whole));
		buf_deinit(&other);
	}
	for (round = 0; round < 200; round++) {
		size_t cuts[8], k;

		for (k = 0; k < 8; k++)
			cuts[k] = test_rand(&seed) % (n + 1);
		/* sort the cut points */
		for (k = 1; k < 8; k++) {
			size_t v = cuts[k], j = k;

			while (j > 0 && cuts[j - 1] > v) {
				cuts[j] = cuts[j - 1];
				j--;
			}
			cuts[j] = v;
		}
		buf_init(&other, 0);
		feed_commands(stream_input, n, 0, cuts, 8, &other);
		TEST_ASSERT_MEMEQ(buf_rptr(&other), buf_len(&other),
				  buf_rptr(&whole), buf_len(&whole));
		buf_deinit(&other);
	}
	buf_deinit(&whole);
}

static void
test_parse_line(void)
{
	struct smtp_parser p;
	struct buf in;
	const char *line;
	size_t len;
	char *big;

	test_begin("smtp_parse_line");
	smtp_parser_init(&p, SMTP_CMD_LINE_MAX, SMTP_AUTH_LINE_MAX);
	buf_init(&in, 0);
	buf_append_str(&in, "dGVzdA==\r");
	TEST_ASSERT_INTEQ(smtp_parse_line(&p, &in, &line, &len), 0);
	buf_append_str(&in, "\n*\r\n\r\nx\ny");
	TEST_ASSERT_INTEQ(smtp_parse_line(&p, &in, &line, &len), 1);
	TEST_ASSERT_STREQ(line, "dGVzdA==");
	TEST_ASSERT_INTEQ(len, 8);
	TEST_ASSERT_INTEQ(smtp_parse_line(&p, &in, &line, &len), 1);
	TEST_ASSERT_STREQ(line, "*");
	TEST_ASSERT_INTEQ(smtp_parse_line(&p, &in, &line, &len), 1);
	TEST_ASSERT_STREQ(line, "");
	TEST_ASSERT_INTEQ(len, 0);
	TEST_ASSERT_INTEQ(smtp_parse_line(&p, &in, &line, &len), -1);
	TEST_ASSERT_STREQ(p.error_text, "Bare LF received");
	TEST_ASSERT_INTEQ(smtp_parse_line(&p, &in, &line, &len), 0);
	buf_append(&in, "\0\r\n", 3);
	TEST_ASSERT_INTEQ(smtp_parse_line(&p, &in, &line, &len), -1);
	TEST_ASSERT_STREQ(p.error_text, "NUL received");
	/* The AUTH limit applies to every continuation line. */
	big = make_line("", SMTP_AUTH_LINE_MAX);
	buf_append_str(&in, big);
	TEST_ASSERT_INTEQ(smtp_parse_line(&p, &in, &line, &len), 1);
	TEST_ASSERT_INTEQ(len, SMTP_AUTH_LINE_MAX - 2);
	TEST_ASSERT_INTEQ(strlen(line), SMTP_AUTH_LINE_MAX - 2);
	free(big);
	big = make_line("", SMTP_AUTH_LINE_MAX + 1);
	buf_append_str(&in, big);
	TEST_ASSERT_INTEQ(smtp_parse_line(&p, &in, &line, &len), -1);
	TEST_ASSERT_STREQ(p.error_text, "Line too long");
	free(big);
	buf_deinit(&in);
	smtp_parser_deinit(&p);
}

static void
test_verb_names(void)
{
	test_begin("verb names");
	TEST_ASSERT_STREQ(smtp_verb_name(SMTP_VERB_MAIL), "MAIL");
	TEST_ASSERT_STREQ(smtp_verb_name(SMTP_VERB_STARTTLS), "STARTTLS");
	TEST_ASSERT_STREQ(smtp_verb_name(SMTP_VERB_ATRN), "ATRN");
	TEST_ASSERT_STREQ(smtp_verb_name(SMTP_VERB_UNKNOWN), "UNKNOWN");
	TEST_ASSERT_STREQ(smtp_verb_name(SMTP_VERB__COUNT), "UNKNOWN");
}

/* ------------------------------------------------------------------ */

#define F_NULL 1u
#define F_PM 2u
#define F_UTF8 4u
#define F_LIT 8u

struct path_case {
	const char *args;
	int code; /* 0 = success */
	const char *enh;
	const char *local, *domain, *addr;
	unsigned flags;
};

static const struct path_case mail_cases[] = {
    {"FROM:<a@b.example>", 0, NULL, "a", "b.example", "a@b.example", 0},
    {"from:<A.B@Example.ORG>", 0, NULL, "A.B", "example.org", "A.B@example.org",
     0},
    {"FROM: <a@b>", 0, NULL, "a", "b", "a@b", 0},
    {"FROM:   <a@b>  ", 0, NULL, "a", "b", "a@b", 0},
    {"FROM:<>", 0, NULL, "", NULL, "", F_NULL},
    {"FROM:<> SIZE=10", 0, NULL, "", NULL, "", F_NULL},
    {"FROM:<\"a b\"@x>", 0, NULL, "a b", "x", "\"a b\"@x", 0},
    {"FROM:<\"a@b\"@x>", 0, NULL, "a@b", "x", "\"a@b\"@x", 0},
    {"FROM:<\"abc\"@x>", 0, NULL, "abc", "x", "abc@x", 0},
    {"FROM:<\"a\\\"b\\\\c\"@x>", 0, NULL, "a\"b\\c", "x", "\"a\\\"b\\\\c\"@x",
     0},
    {"FROM:<\"a..b\"@x>", 0, NULL, "a..b", "x", "\"a..b\"@x", 0},
    {"FROM:<!#$%&'*+-/=?^_`{|}~@x>", 0, NULL, "!#$%&'*+-/=?^_`{|}~", "x",
     "!#$%&'*+-/=?^_`{|}~@x", 0},
    {"FROM:<j\xc3\xb6rg@b\xc3\xbc"
     "cher.example>",
     0, NULL, "j\xc3\xb6rg",
     "b\xc3\xbc"
     "cher.example",
     "j\xc3\xb6rg@b\xc3\xbc"
     "cher.example",
     F_UTF8},
    {"FROM:<\"\xe2\x82\xac x\"@x>", 0, NULL, "\xe2\x82\xac x", "x",
     "\"\xe2\x82\xac x\"@x", F_UTF8},
    {"FROM:<a@b\xc3\xbc.Example>", 0, NULL, "a", "b\xc3\xbc.example",
     "a@b\xc3\xbc.example", F_UTF8},
    {"FROM:<@r1.example,@r2.example:u@c.example>", 0, NULL, "u", "c.example",
     "u@c.example", 0},
    {"FROM:<a@[127.0.0.1]>", 0, NULL, "a", "[127.0.0.1]", "a@[127.0.0.1]",
     F_LIT},
    {"FROM:<a@[IPv6:2001:DB8:0:0:0:0:0:1]>", 0, NULL, "a", "[IPv6:2001:db8::1]",
     "a@[IPv6:2001:db8::1]", F_LIT},
    {"FROM:<a@[ipv6:::ffff:1.2.3.4]>", 0, NULL, "a", "[IPv6:::ffff:1.2.3.4]",
     "a@[IPv6:::ffff:1.2.3.4]", F_LIT},
    {"FROM:<a@1-2.x-y.Z9>", 0, NULL, "a", "1-2.x-y.z9", "a@1-2.x-y.z9", 0},
    /* errors */
    {"", 501, "5.5.4", NULL, NULL, NULL, 0},
    {"TO:<a@b>", 501, "5.5.4", NULL, NULL, NULL, 0},
    {"FROM <a@b>", 501, "5.5.4", NULL, NULL, NULL, 0},
    {"FROM:", 501, "5.5.4", NULL, NULL, NULL, 0},
    {"FROM:a@b", 501, "5.5.4", NULL, NULL, NULL, 0},
    {"FROM:<a@b>SIZE=1", 501, "5.5.4", NULL, NULL, NULL, 0},
    {"FROM:<a@b", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@b> >", 555, "5.5.4", NULL, NULL, NULL, 0},
    {"FROM:<Postmaster>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<@b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<\"\"@b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@b@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<.a@b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a.@b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a..b@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@b.>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@.b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@b..c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@-b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@b->", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@b_c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a b@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@b c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a\x01@b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@b\x7f>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<\"a\tb\"@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<\"a\\\x01\"@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<\"ab@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<\"ab\\\"@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a\xc3@b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a\xc0\xaf@b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a\xed\xa0\x80@b>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@\xff>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<<a@b>>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[1.2.3.4>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[1.2.3]>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[1.2.3.4.5]>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[256.1.1.1]>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[01.2.3.4]>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[IPv6:1.2.3.4]>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[IPv6:1::2::3]>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[localhost]>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[x-tag:abc]>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<a@[1.2.3.4]x>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<@r1,u@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<@r1:@r2:u@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
    {"FROM:<@r1.:u@c>", 501, "5.1.7", NULL, NULL, NULL, 0},
};

static const struct path_case rcpt_cases[] = {
    {"TO:<a@b>", 0, NULL, "a", "b", "a@b", 0},
    {"to: <a@b>", 0, NULL, "a", "b", "a@b", 0},
    {"TO:<Postmaster>", 0, NULL, "Postmaster", NULL, "Postmaster", F_PM},
    {"TO:<postMASTER>", 0, NULL, "postMASTER", NULL, "postMASTER", F_PM},
    {"TO:<postmaster@x.example>", 0, NULL, "postmaster", "x.example",
     "postmaster@x.example", 0},
    /* The classic open-relay forms: what the session sees. */
    {"TO:<user%remote.example@local.example>", 0, NULL, "user%remote.example",
     "local.example", "user%remote.example@local.example", 0},
    {"TO:<remote.example!user@local.example>", 0, NULL, "remote.example!user",
     "local.example", "remote.example!user@local.example", 0},
    {"TO:<\"user@remote.example\"@local.example>", 0, NULL,
     "user@remote.example", "local.example",
     "\"user@remote.example\"@local.example", 0},
    {"TO:<\"user%remote\"@local.example>", 0, NULL, "user%remote",
     "local.example", "user%remote@local.example", 0},
    {"TO:<@local.example:user@remote.example>", 0, NULL, "user",
     "remote.example", "user@remote.example", 0},
    {"TO:<@local.example,@other.example:user@remote.example>", 0, NULL, "user",
     "remote.example", "user@remote.example", 0},
    {"TO:<user@[1.2.3.4]>", 0, NULL, "user", "[1.2.3.4]", "user@[1.2.3.4]",
     F_LIT},
    /* A UTF-8 source route is dropped and does not need SMTPUTF8. */
    {"TO:<@r\xc3\xbc.example:a@b>", 0, NULL, "a", "b", "a@b", 0},
    {"TO:<user@remote.example@local.example>", 501, "5.1.3", NULL, NULL, NULL,
     0},
    {"TO:<user@remote.example.>", 501, "5.1.3", NULL, NULL, NULL, 0},
    {"TO:<user@local.example>@remote.example", 501, "5.5.4", NULL, NULL, NULL,
     0},
    {"TO:<user@local.example:remote>", 501, "5.1.3", NULL, NULL, NULL, 0},
    {"TO:<user@remote.example,local.example>", 501, "5.1.3", NULL, NULL, NULL,
     0},
    {"TO:<\"user\"@\"remote\">", 501, "5.1.3", NULL, NULL, NULL, 0},
    {"TO:<user@[1.2.3.4]@local.example>", 501, "5.1.3", NULL, NULL, NULL, 0},
    {"TO:<user\\@remote@local.example>", 501, "5.1.3", NULL, NULL, NULL, 0},
    {"TO:<user@remote\r\n@local>", 501, "5.1.3", NULL, NULL, NULL, 0},
    {"TO:<\"postmaster\">", 501, "5.1.3", NULL, NULL, NULL, 0},
    {"TO:<>", 501, "5.1.3", NULL, NULL, NULL, 0},
    {"TO:<postmasters>", 501, "5.1.3", NULL, NULL, NULL, 0},
    {"FROM:<a@b>", 501, "5.5.4", NULL, NULL, NULL, 0},
    {"TO:a@b", 501, "5.5.4", NULL, NULL, NULL, 0},
};

static void
check_path(const struct path_case *c, int rc, const struct smtp_path *path,
	   const struct smtp_parse_error *err)
{
	test_begin(c->args);
	if (c->code != 0) {
		TEST_ASSERT_INTEQ(rc, -1);
		TEST_ASSERT_INTEQ(err->code, c->code);
		TEST_ASSERT_STREQ(err->enh, c->enh);
		TEST_ASSERT(err->text != NULL && err->text[0] != '\0');
		return;
	}
	TEST_ASSERT_INTEQ(rc, 0);
	TEST_ASSERT_STREQ(path->local, c->local);
	TEST_ASSERT_STREQ(path->domain, c->domain);
	TEST_ASSERT_STREQ(path->addr, c->addr);
	TEST_ASSERT_INTEQ(path->is_null, (c->flags & F_NULL) != 0);
	TEST_ASSERT_INTEQ(path->is_postmaster, (c->flags & F_PM) != 0);
	TEST_ASSERT_INTEQ(path->needs_utf8, (c->flags & F_UTF8) != 0);
	TEST_ASSERT_INTEQ(path->domain_is_literal, (c->flags & F_LIT) != 0);
}

static void
test_mail_paths(void)
{
	struct arena *a = arena_new("test", 1024);
	size_t i;

	for (i = 0; i < sizeof(mail_cases) / sizeof(mail_cases[0]); i++) {
		struct smtp_mail_args m;
		struct smtp_parse_error err = {0, NULL, NULL};
		int rc = smtp_parse_mail(mail_cases[i].args, a, &m, &err);

		check_path(&mail_cases[i], rc, &m.path, &err);
	}
	arena_free(&a);
}

static void
test_rcpt_paths(void)
{
	struct arena *a = arena_new("test", 1024);
	size_t i;

	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		struct smtp_rcpt_args r;
		struct smtp_parse_error err = {0, NULL, NULL};
		int rc = smtp_parse_rcpt(rcpt_cases[i].args, a, &r, &err);

		check_path(&rcpt_cases[i], rc, &r.path, &err);
	}
	arena_free(&a);
}

/* Length limits: exactly at the limit passes, one more fails. */
static void
test_path_limits(void)
{
	struct arena *a = arena_new("test", 1024);
	struct smtp_rcpt_args r;
	struct smtp_parse_error err;
	char local[128], dom[400], args[1024], label[80];
	size_t i;

	test_begin("local part limit");
	memset(local, 'l', SMTP_LOCALPART_MAX);
	local[SMTP_LOCALPART_MAX] = '\0';
	snprintf(args, sizeof(args), "TO:<%s@x>", local);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), 0);
	snprintf(args, sizeof(args), "TO:<%sl@x>", local);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), -1);
	TEST_ASSERT_STREQ(err.text, "Local part too long");
	TEST_ASSERT_STREQ(err.enh, "5.1.3");
	/* quoting counts */
	local[SMTP_LOCALPART_MAX - 2] = '\0';
	snprintf(args, sizeof(args), "TO:<\"%s\"@x>", local);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), 0);
	snprintf(args, sizeof(args), "TO:<\"%s \"@x>", local);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), -1);

	test_begin("label limit");
	memset(label, 'd', 63);
	label[63] = '\0';
	snprintf(args, sizeof(args), "TO:<a@%s.x>", label);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), 0);
	snprintf(args, sizeof(args), "TO:<a@%sd.x>", label);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), -1);

	test_begin("path limit");
	/* "<a@" + domain + ">" == 256 with a 252-octet domain */
	dom[0] = '\0';
	for (i = 0; strlen(dom) + 10 <= 252;)
		i += (size_t)snprintf(dom + i, sizeof(dom) - i, "abcdefghi.");
	while (strlen(dom) < 252)
		strcat(dom, "z");
	snprintf(args, sizeof(args), "TO:<a@%s>", dom);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), 0);
	TEST_ASSERT_INTEQ(strlen(r.path.domain), 252);
	snprintf(args, sizeof(args), "TO:<ab@%s>", dom);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), -1);
	TEST_ASSERT_STREQ(err.text, "Path too long");
	/* a source route counts toward the path */
	snprintf(args, sizeof(args), "TO:<@r:a@%s>", dom);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), -1);

	test_begin("domain limit");
	strcat(dom, ".abcd");
	snprintf(args, sizeof(args), "TO:<@%s:a@b>", dom);
	TEST_ASSERT_INTEQ(smtp_parse_rcpt(args, a, &r, &err), -1);
	TEST_ASSERT_STREQ(err.text, "Domain too long");
	arena_free(&a);
}

struct mail_param_case {
	const char *args;
	int code;
	uint64_t size;
	bool size_given;
	int body;
	bool smtputf8;
	int ret;
	const char *envid, *auth;
};

static const struct mail_param_case mail_param_cases[] = {
    {"FROM:<a@b> SIZE=0", 0, 0, true, 0, false, 0, NULL, NULL},
    {"FROM:<a@b> SIZE=52428800", 0, 52428800, true, 0, false, 0, NULL, NULL},
    {"FROM:<a@b> size=18446744073709551615", 0, UINT64_MAX, true, 0, false, 0,
     NULL, NULL},
    /* 20 digits past 64 bits: a size too big, saturated (RFC 1870 6) */
    {"FROM:<a@b> SIZE=18446744073709551616", 0, UINT64_MAX, true, 0, false, 0,
     NULL, NULL},
    {"FROM:<a@b> SIZE=99999999999999999999", 0, UINT64_MAX, true, 0, false, 0,
     NULL, NULL},
    {"FROM:<a@b> SIZE=000000000000000000001", .code = 555},
    {"FROM:<a@b> SIZE=-1", .code = 555},
    {"FROM:<a@b> SIZE=1k", .code = 555},
    {"FROM:<a@b> SIZE=", .code = 555},
    {"FROM:<a@b> SIZE", .code = 555},
    {"FROM:<a@b> SIZE=1 SIZE=1", .code = 555},
    {"FROM:<a@b> BODY=7BIT", 0, 0, false, SMTP_BODY_7BIT, false, 0, NULL, NULL},
    {"FROM:<a@b> body=8bitmime", 0, 0, false, SMTP_BODY_8BITMIME, false, 0,
     NULL, NULL},
    {"FROM:<a@b> BODY=BINARYMIME", 0, 0, false, SMTP_BODY_BINARYMIME, false, 0,
     NULL, NULL},
    {"FROM:<a@b> BODY=8BIT", .code = 555},
    {"FROM:<a@b> BODY=7BIT BODY=7BIT", .code = 555},
    {"FROM:<a@b> SMTPUTF8", 0, 0, false, 0, true, 0, NULL, NULL},
    {"FROM:<a@b> smtputf8", 0, 0, false, 0, true, 0, NULL, NULL},
    {"FROM:<a@b> SMTPUTF8=yes", .code = 555},
    {"FROM:<a@b> RET=FULL", 0, 0, false, 0, false, 1, NULL, NULL},
    {"FROM:<a@b> ret=hdrs", 0, 0, false, 0, false, 2, NULL, NULL},
    {"FROM:<a@b> RET=ALL", .code = 555},
    {"FROM:<a@b> RET", .code = 555},
    {"FROM:<a@b> ENVID=QQ314159", 0, 0, false, 0, false, 0, "QQ314159", NULL},
    {"FROM:<a@b> ENVID=a+2Bb+3dc", 0, 0, false, 0, false, 0, "a+b=c", NULL},
    {"FROM:<a@b> ENVID=a+2", .code = 555},
    {"FROM:<a@b> ENVID=a+00", .code = 555},
    {"FROM:<a@b> ENVID=a+0D+0A", .code = 555},
    {"FROM:<a@b> ENVID=a+G0", .code = 555},
    {"FROM:<a@b> ENVID=a==", .code = 555},
    {"FROM:<a@b> AUTH=<>", 0, 0, false, 0, false, 0, NULL, "<>"},
    {"FROM:<a@b> AUTH=e+2Bx@example.org", 0, 0, false, 0, false, 0, NULL,
     "e+x@example.org"},
    {"FROM:<a@b> AUTH=<> AUTH=<>", .code = 555},
    {"FROM:<> SIZE=12 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x AUTH=<>", 0, 12,
     true, SMTP_BODY_8BITMIME, true, 2, "x", "<>"},
    {"FROM:<a@b>   SIZE=5    BODY=7BIT   ", 0, 5, true, SMTP_BODY_7BIT, false,
     0, NULL, NULL},
    {"FROM:<a@b> FOO=bar", .code = 555},
    {"FROM:<a@b> NOTIFY=NEVER", .code = 555},
    {"FROM:<a@b> =x", .code = 555},
    {"FROM:<a@b> -X=1", .code = 555},
    {"FROM:<a@b> SIZE=1\tBODY=7BIT", .code = 555},
    {"FROM:<a@b> SIZE=1=2", .code = 555},
    {"FROM:<a@b> SIZE==1", .code = 555},
};

static void
test_mail_params(void)
{
	struct arena *a = arena_new("test", 1024);
	size_t i;

	for (i = 0; i < sizeof(mail_param_cases) / sizeof(mail_param_cases[0]);
	     i++) {
		const struct mail_param_case *c = &mail_param_cases[i];
		struct smtp_mail_args m;
		struct smtp_parse_error err = {0, NULL, NULL};
		int rc = smtp_parse_mail(c->args, a, &m, &err);

		test_begin(c->args);
		if (c->code != 0) {
			TEST_ASSERT_INTEQ(rc, -1);
			TEST_ASSERT_INTEQ(err.code, c->code);
			TEST_ASSERT_STREQ(err.enh, "5.5.4");
			continue;
		}
		TEST_ASSERT_INTEQ(rc, 0);
		TEST_ASSERT(m.size == c->size);
		TEST_ASSERT_INTEQ(m.size_given, c->size_given);
		TEST_ASSERT_INTEQ(m.body, c->body);
		TEST_ASSERT_INTEQ(m.smtputf8, c->smtputf8);
		TEST_ASSERT_INTEQ(m.ret, c->ret);
		TEST_ASSERT_STREQ(m.envid, c->envid);
		TEST_ASSERT_STREQ(m.auth, c->auth);
	}
	arena_free(&a);
}

struct rcpt_param_case {
	const char *args;
	int code;
	unsigned notify;
	const char *orcpt;
};

static const struct rcpt_param_case rcpt_param_cases[] = {
    {"TO:<a@b>", 0, 0, NULL},
    {"TO:<a@b> NOTIFY=NEVER", 0, SMTP_NOTIFY_NEVER, NULL},
    {"TO:<a@b> NOTIFY=success,Failure,DELAY", 0,
     SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY, NULL},
    {"TO:<a@b> notify=FAILURE", 0, SMTP_NOTIFY_FAILURE, NULL},
    {"TO:<a@b> NOTIFY=NEVER,DELAY", 555, 0, NULL},
    {"TO:<a@b> NOTIFY=SUCCESS,", 555, 0, NULL},
    {"TO:<a@b> NOTIFY=,SUCCESS", 555, 0, NULL},
    {"TO:<a@b> NOTIFY=SUCCESS,,DELAY", 555, 0, NULL},
    {"TO:<a@b> NOTIFY=ALWAYS", 555, 0, NULL},
    {"TO:<a@b> NOTIFY", 555, 0, NULL},
    {"TO:<a@b> NOTIFY=NEVER NOTIFY=NEVER", 555, 0, NULL},
    {"TO:<a@b> ORCPT=rfc822;a@b", 0, 0, "rfc822;a@b"},
    {"TO:<a@b> ORCPT=rfc822;a+2Bx@b", 0, 0, "rfc822;a+x@b"},
    {"TO:<a@b> ORCPT=utf-8;j\\x{00F6}rg@b", 0, 0, "utf-8;j\\x{00F6}rg@b"},
    {"TO:<a@b> ORCPT=rfc822", 555, 0, NULL},
    {"TO:<a@b> ORCPT=;a@b", 555, 0, NULL},
    {"TO:<a@b> ORCPT=rfc822;", 555, 0, NULL},
    {"TO:<a@b> ORCPT=rfc(822;a@b", 555, 0, NULL},
    {"TO:<a@b> ORCPT=rfc822;a+0Ab", 555, 0, NULL},
    {"TO:<a@b> ORCPT=rfc822;a@b ORCPT=rfc822;a@b", 555, 0, NULL},
    {"TO:<a@b> NOTIFY=DELAY ORCPT=rfc822;c@d", 0, SMTP_NOTIFY_DELAY,
     "rfc822;c@d"},
    {"TO:<a@b> SIZE=1", 555, 0, NULL},
    {"TO:<a@b> X-FOO", 555, 0, NULL},
};

static void
test_rcpt_params(void)
{
	struct arena *a = arena_new("test", 1024);
	size_t i;

	for (i = 0; i < sizeof(rcpt_param_cases) / sizeof(rcpt_param_cases[0]);
	     i++) {
		const struct rcpt_param_case *c = &rcpt_param_cases[i];
		struct smtp_rcpt_args r;
		struct smtp_parse_error err = {0, NULL, NULL};
		int rc = smtp_parse_rcpt(c->args, a, &r, &err);

		test_begin(c->args);
		if (c->code != 0) {
			TEST_ASSERT_INTEQ(rc, -1);
			TEST_ASSERT_INTEQ(err.code, c->code);
			TEST_ASSERT_STREQ(err.enh, "5.5.4");
			continue;
		}
		TEST_ASSERT_INTEQ(rc, 0);
		TEST_ASSERT_INTEQ(r.notify, c->notify);
		TEST_ASSERT_STREQ(r.orcpt, c->orcpt);
	}
	arena_free(&a);
}

static void
test_mailbox(void)
{
	static const struct path_case cases[] = {
	    {"a@b.example", 0, NULL, "a", "b.example", "a@b.example", 0},
	    {"<a@B.example>", 0, NULL, "a", "b.example", "a@b.example", 0},
	    {"\"x y\"@b", 0, NULL, "x y", "b", "\"x y\"@b", 0},
	    {"Postmaster", 0, NULL, "Postmaster", NULL, "Postmaster", F_PM},
	    {"<postmaster>", 0, NULL, "postmaster", NULL, "postmaster", F_PM},
	    {"<@r:a@b>", 0, NULL, "a", "b", "a@b", 0},
	    {"user", 501, "5.1.3", NULL, NULL, NULL, 0},
	    {"", 501, "5.1.3", NULL, NULL, NULL, 0},
	    {"<>", 501, "5.1.3", NULL, NULL, NULL, 0},
	    {"a@b ", 501, "5.1.3", NULL, NULL, NULL, 0},
	    {"a@b x", 501, "5.1.3", NULL, NULL, NULL, 0},
	    {"<a@b", 501, "5.1.3", NULL, NULL, NULL, 0},
	    {"a@b>", 501, "5.1.3", NULL, NULL, NULL, 0},
	    {"@r:a@b", 501, "5.1.3", NULL, NULL, NULL, 0},
	    {"<a@b> SIZE=1", 501, "5.1.3", NULL, NULL, NULL, 0},
	};
	struct arena *a = arena_new("test", 1024);
	char big[300];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct smtp_path path;
		struct smtp_parse_error err = {0, NULL, NULL};
		int rc = smtp_parse_mailbox(cases[i].args, a, &path, &err);

		check_path(&cases[i], rc, &path, &err);
	}
	test_begin("mailbox path limit");
	/* A bare mailbox gets the same 256-octet budget as "<...>". */
	memset(big, 'b', sizeof(big));
	memcpy(big, "a@", 2);
	for (i = 50; i < 254; i += 50)
		big[i] = '.';
	big[254] = '\0';
	{
		struct smtp_path path;
		struct smtp_parse_error err;

		TEST_ASSERT_INTEQ(smtp_parse_mailbox(big, a, &path, &err), 0);
		big[254] = 'b';
		big[255] = '\0';
		TEST_ASSERT_INTEQ(smtp_parse_mailbox(big, a, &path, &err), -1);
	}
	arena_free(&a);
}

static void
test_xtext(void)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
	    {"", ""},
	    {"abc", "abc"},
	    {"a+2Bb", "a+b"},
	    {"a+2bb", "a+b"},
	    {"+3D+20+7E", "= ~"},
	    {"\xc3\xa9", "\xc3\xa9"},
	    {"+C3+A9", "\xc3\xa9"},
	    {"a=b", NULL},
	    {"a b", NULL},
	    {"a+", NULL},
	    {"a+4", NULL},
	    {"a+4G", NULL},
	    {"+00", NULL},
	    {"+1F", NULL},
	    {"+7F", NULL},
	    {"a\x7f", NULL},
	    {"\xc3", NULL},
	    {"\xff", NULL},
	};
	struct arena *a = arena_new("test", 1024);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_begin(cases[i].in);
		TEST_ASSERT_STREQ(
		    smtp_xtext_decode(cases[i].in, strlen(cases[i].in), a),
		    cases[i].out);
	}
	test_begin("xtext length bound");
	/* n bounds the input: a "+" at the end of the slice is malformed
	   even if hex digits follow in memory. */
	TEST_ASSERT(smtp_xtext_decode("ab+41", 3, a) == NULL);
	TEST_ASSERT_STREQ(smtp_xtext_decode("ab+41", 2, a), "ab");
	TEST_ASSERT(smtp_xtext_decode("a\xc3\xa9", 2, a) == NULL);
	TEST_ASSERT(smtp_xtext_decode("a\0b", 3, a) == NULL);
	arena_free(&a);
}

TEST_MAIN(test_commands_table, test_command_lengths, test_command_long_streamed,
	  test_command_splits, test_parse_line, test_verb_names,
	  test_mail_paths, test_rcpt_paths, test_path_limits, test_mail_params,
	  test_rcpt_params, test_mailbox, test_xtext)

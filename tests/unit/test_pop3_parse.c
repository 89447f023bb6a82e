/* test_pop3_parse.c: tests of the POP3 command-line parser. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "limits.h"
#include "pop3/pop3_parse.h"

/* Limit for SASL continuation lines in these tests (the parser takes it
   per call). */
#define TEST_AUTH_LINE 1024

/* One result of the parser as a transcript line. */
static void
log_result(struct buf *log, int rc, const struct pop3_parser *p,
	   const struct pop3_cmd *cmd)
{
	unsigned i;

	if (rc < 0) {
		buf_printf(log, "-1 %s\n", p->error);
		return;
	}
	buf_printf(log, "1 %d|%s|%s|%u", (int)cmd->verb, cmd->keyword,
		   cmd->rest, cmd->nargs);
	for (i = 0; i < cmd->nargs; i++)
		buf_printf(log, "|%s", cmd->argv[i]);
	buf_printf(log, "|%d%d\n", cmd->too_many_args, cmd->bad_spacing);
}

/* Feed input to a parser in pieces (split at the sorted offsets in cuts,
   or every `step` bytes, or whole) and write a transcript.  After an
   AUTH command the next line is read as a continuation line. */
static void
feed(const char *input, size_t n, size_t step, const size_t *cuts, size_t ncuts,
     struct buf *log)
{
	struct pop3_parser p;
	struct pop3_cmd cmd;
	struct buf in;
	size_t pos = 0, k = 0;
	bool cont = false;

	pop3_parser_init(&p, POP3_CMD_LINE_MAX);
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
		for (;;) {
			if (cont) {
				const char *line;
				size_t len;

				rc = pop3_parse_line(&p, &in, TEST_AUTH_LINE,
						     &line, &len);
				if (rc == 0)
					break;
				cont = false;
				if (rc > 0)
					buf_printf(log, "L %zu %s\n", len,
						   line);
				else
					buf_printf(log, "L-1 %s\n", p.error);
				continue;
			}
			rc = pop3_parse_command(&p, &in, &cmd);
			if (rc == 0)
				break;
			log_result(log, rc, &p, &cmd);
			if (rc > 0 && cmd.verb == POP3_VERB_AUTH)
				cont = true;
		}
		TEST_ASSERT_INTEQ(buf_len(&in), 0);
		TEST_ASSERT(p.cap <= 2 * TEST_AUTH_LINE);
	}
	buf_printf(log, "end\n");
	buf_deinit(&in);
	pop3_parser_deinit(&p);
}

#define T 1u /* too_many_args */
#define S 2u /* bad_spacing */

struct cmd_case {
	const char *in; /* one line ending in LF; may hold a NUL */
	int rc;
	enum pop3_verb verb;
	const char *keyword; /* or the error text when rc < 0 */
	const char *rest;
	const char *args; /* argv joined with '|' */
	unsigned flags;   /* T, S */
};

static const struct cmd_case cmd_cases[] = {
    /* every verb */
    {"USER alice\r\n", 1, POP3_VERB_USER, "USER", "alice", "alice", 0},
    {"PASS secret\r\n", 1, POP3_VERB_PASS, "PASS", "secret", "secret", 0},
    {"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n", 1, POP3_VERB_APOP,
     "APOP", "mrose c4c9334bac560ecc979e58001b3e22fb",
     "mrose|c4c9334bac560ecc979e58001b3e22fb", 0},
    {"AUTH PLAIN AGFAYg==\r\n", 1, POP3_VERB_AUTH, "AUTH",
     "PLAIN AGFAYg==", "PLAIN|AGFAYg==", 0},
    {"AUTH\r\n", 1, POP3_VERB_AUTH, "AUTH", "", "", 0},
    {"CAPA\r\n", 1, POP3_VERB_CAPA, "CAPA", "", "", 0},
    {"STLS\r\n", 1, POP3_VERB_STLS, "STLS", "", "", 0},
    {"QUIT\r\n", 1, POP3_VERB_QUIT, "QUIT", "", "", 0},
    {"STAT\r\n", 1, POP3_VERB_STAT, "STAT", "", "", 0},
    {"LIST\r\n", 1, POP3_VERB_LIST, "LIST", "", "", 0},
    {"LIST 2\r\n", 1, POP3_VERB_LIST, "LIST", "2", "2", 0},
    {"RETR 1\r\n", 1, POP3_VERB_RETR, "RETR", "1", "1", 0},
    {"DELE 3\r\n", 1, POP3_VERB_DELE, "DELE", "3", "3", 0},
    {"NOOP\r\n", 1, POP3_VERB_NOOP, "NOOP", "", "", 0},
    {"RSET\r\n", 1, POP3_VERB_RSET, "RSET", "", "", 0},
    {"TOP 1 10\r\n", 1, POP3_VERB_TOP, "TOP", "1 10", "1|10", 0},
    {"UIDL\r\n", 1, POP3_VERB_UIDL, "UIDL", "", "", 0},
    {"UIDL 7\r\n", 1, POP3_VERB_UIDL, "UIDL", "7", "7", 0},
    /* case variants */
    {"user bob\r\n", 1, POP3_VERB_USER, "user", "bob", "bob", 0},
    {"pAsS x\r\n", 1, POP3_VERB_PASS, "pAsS", "x", "x", 0},
    {"apop a b\r\n", 1, POP3_VERB_APOP, "apop", "a b", "a|b", 0},
    {"Auth login\r\n", 1, POP3_VERB_AUTH, "Auth", "login", "login", 0},
    {"capa\r\n", 1, POP3_VERB_CAPA, "capa", "", "", 0},
    {"sTLs\r\n", 1, POP3_VERB_STLS, "sTLs", "", "", 0},
    {"quit\r\n", 1, POP3_VERB_QUIT, "quit", "", "", 0},
    {"Stat\r\n", 1, POP3_VERB_STAT, "Stat", "", "", 0},
    {"list\r\n", 1, POP3_VERB_LIST, "list", "", "", 0},
    {"retr 9\r\n", 1, POP3_VERB_RETR, "retr", "9", "9", 0},
    {"dElE 9\r\n", 1, POP3_VERB_DELE, "dElE", "9", "9", 0},
    {"noop\r\n", 1, POP3_VERB_NOOP, "noop", "", "", 0},
    {"rset\r\n", 1, POP3_VERB_RSET, "rset", "", "", 0},
    {"top 1 0\r\n", 1, POP3_VERB_TOP, "top", "1 0", "1|0", 0},
    {"uidl\r\n", 1, POP3_VERB_UIDL, "uidl", "", "", 0},
    /* argument counts */
    {"TOP 1 2 3\r\n", 1, POP3_VERB_TOP, "TOP", "1 2 3", "1|2", T},
    {"USER a b c d\r\n", 1, POP3_VERB_USER, "USER", "a b c d", "a|b", T},
    {"NOOP x\r\n", 1, POP3_VERB_NOOP, "NOOP", "x", "x", 0},
    /* spacing errors: rest keeps them, argv skips empty fields */
    {"USER  alice\r\n", 1, POP3_VERB_USER, "USER", " alice", "alice", S},
    {"USER alice \r\n", 1, POP3_VERB_USER, "USER", "alice ", "alice", S},
    {"QUIT \r\n", 1, POP3_VERB_QUIT, "QUIT", "", "", S},
    {"TOP 1  2\r\n", 1, POP3_VERB_TOP, "TOP", "1  2", "1|2", S},
    {"TOP  \r\n", 1, POP3_VERB_TOP, "TOP", " ", "", S},
    {"TOP 1 2 3 \r\n", 1, POP3_VERB_TOP, "TOP", "1 2 3 ", "1|2", T | S},
    /* PASS takes the rest whole (RFC 1939 7) */
    {"PASS my pass word\r\n", 1, POP3_VERB_PASS, "PASS", "my pass word",
     "my|pass", T},
    {"PASS  lead\r\n", 1, POP3_VERB_PASS, "PASS", " lead", "lead", S},
    {"PASS \xc3\xa9t\xc3\xa9\r\n", 1, POP3_VERB_PASS, "PASS",
     "\xc3\xa9t\xc3\xa9", "\xc3\xa9t\xc3\xa9", 0},
    /* unknown keywords */
    {"FOO bar\r\n", 1, POP3_VERB_UNKNOWN, "FOO", "bar", "bar", 0},
    {"\r\n", 1, POP3_VERB_UNKNOWN, "", "", "", 0},
    {"\n", 1, POP3_VERB_UNKNOWN, "", "", "", 0},
    {" QUIT\r\n", 1, POP3_VERB_UNKNOWN, "", "QUIT", "QUIT", 0},
    {"QUITX\r\n", 1, POP3_VERB_UNKNOWN, "QUITX", "", "", 0},
    {"QUI\r\n", 1, POP3_VERB_UNKNOWN, "QUI", "", "", 0},
    {"TO 1\r\n", 1, POP3_VERB_UNKNOWN, "TO", "1", "1", 0},
    {"STARTTLS\r\n", 1, POP3_VERB_UNKNOWN, "STARTTLS", "", "", 0},
    {"GET / HTTP/1.1\r\n", 1, POP3_VERB_UNKNOWN, "GET", "/ HTTP/1.1",
     "/|HTTP/1.1", 0},
    /* line ends: bare LF accepted, CR before LF dropped */
    {"QUIT\n", 1, POP3_VERB_QUIT, "QUIT", "", "", 0},
    {"RETR 1\n", 1, POP3_VERB_RETR, "RETR", "1", "1", 0},
    /* bad lines */
    {"QUIT\r\r\n", -1, 0, "Bare CR in line", NULL, NULL, 0},
    {"QU\rIT\r\n", -1, 0, "Bare CR in line", NULL, NULL, 0},
    {"\r\r\n", -1, 0, "Bare CR in line", NULL, NULL, 0},
    {"\r\rx\n", -1, 0, "Bare CR in line", NULL, NULL, 0},
    {"QU\0IT\r\n", -1, 0, "NUL in line", NULL, NULL, 0},
    {"\0\r\n", -1, 0, "NUL in line", NULL, NULL, 0},
    {"USER a\tb\r\n", -1, 0, "Control character in line", NULL, NULL, 0},
    {"QUIT\x7f\r\n", -1, 0, "Control character in line", NULL, NULL, 0},
    {"\x16\x03\x01\x02\x00\x01\x00\r\n", -1, 0, "Control character in line",
     NULL, NULL, 0},
    {"\x1b[A\n", -1, 0, "Control character in line", NULL, NULL, 0},
    {"\xff\xfe\x01\x80\n", -1, 0, "Control character in line", NULL, NULL, 0},
};

/* cmd's argv joined with '|' into out (POP3_CMD_LINE_MAX bytes). */
static const char *
join_args(const struct pop3_cmd *cmd, char *out)
{
	unsigned i;

	out[0] = '\0';
	for (i = 0; i < cmd->nargs; i++) {
		if (i > 0)
			strcat(out, "|");
		strcat(out, cmd->argv[i]);
	}
	return out;
}

static void
test_commands_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cmd_cases) / sizeof(cmd_cases[0]); i++) {
		const struct cmd_case *c = &cmd_cases[i];
		struct pop3_parser p;
		struct pop3_cmd cmd;
		struct buf in;
		char joined[POP3_CMD_LINE_MAX];
		size_t n = 0;
		int rc;

		while (c->in[n] != '\n')
			n++;
		n++;
		test_begin(c->in);
		pop3_parser_init(&p, POP3_CMD_LINE_MAX);
		buf_init(&in, 0);
		buf_append(&in, c->in, n);
		buf_append_str(&in, "QUIT\r\n");
		rc = pop3_parse_command(&p, &in, &cmd);
		TEST_ASSERT_INTEQ(rc, c->rc);
		if (rc > 0) {
			TEST_ASSERT_INTEQ(cmd.verb, c->verb);
			TEST_ASSERT_STREQ(cmd.keyword, c->keyword);
			TEST_ASSERT_STREQ(cmd.rest, c->rest);
			TEST_ASSERT_STREQ(join_args(&cmd, joined), c->args);
			TEST_ASSERT_INTEQ(cmd.too_many_args,
					  (c->flags & T) != 0);
			TEST_ASSERT_INTEQ(cmd.bad_spacing, (c->flags & S) != 0);
		} else if (rc < 0) {
			TEST_ASSERT_STREQ(p.error, c->keyword);
		}
		/* The line is consumed exactly; the next pipelined command
		   (RFC 2449 6.6) is intact. */
		TEST_ASSERT_INTEQ(buf_len(&in), 6);
		TEST_ASSERT_INTEQ(pop3_parse_command(&p, &in, &cmd), 1);
		TEST_ASSERT_INTEQ(cmd.verb, POP3_VERB_QUIT);
		TEST_ASSERT_INTEQ(cmd.nargs, 0);
		TEST_ASSERT_INTEQ(buf_len(&in), 0);
		TEST_ASSERT_INTEQ(pop3_parse_command(&p, &in, &cmd), 0);
		buf_deinit(&in);
		pop3_parser_deinit(&p);
	}
}

/* A line of total octets: prefix, then 'a' up to the line end (CRLF,
   or a bare LF when crlf is false). */
static char *
make_line(const char *prefix, size_t total, bool crlf)
{
	char *s = malloc(total + 1);

	memset(s, 'a', total);
	memcpy(s, prefix, strlen(prefix));
	if (crlf)
		s[total - 2] = '\r';
	s[total - 1] = '\n';
	s[total] = '\0';
	return s;
}

static void
test_command_lengths(void)
{
	static const struct {
		const char *prefix;
		size_t total; /* octets with the line end */
		bool crlf;
		int rc;
	} cases[] = {
	    {"PASS ", 254, true, 1},
	    {"PASS ", 255, true, 1},
	    {"PASS ", 256, true, -1},
	    {"PASS ", 257, true, -1},
	    {"PASS ", 1000, true, -1},
	    {"PASS ", 253, false, 1},
	    {"PASS ", 254, false, 1},
	    {"PASS ", 255, false, -1},
	    {"AUTH PLAIN ", 255, true, 1},
	    {"AUTH PLAIN ", 256, true, -1},
	    {"", 255, true, 1},
	    {"", 256, true, -1},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *s =
		    make_line(cases[i].prefix, cases[i].total, cases[i].crlf);
		struct pop3_parser p;
		struct pop3_cmd cmd;
		struct buf in;
		size_t body = cases[i].total - (cases[i].crlf ? 2 : 1);
		int rc;

		test_begin(cases[i].prefix);
		pop3_parser_init(&p, POP3_CMD_LINE_MAX);
		buf_init(&in, 0);
		buf_append_str(&in, s);
		buf_append_str(&in, "STAT\r\n");
		rc = pop3_parse_command(&p, &in, &cmd);
		TEST_ASSERT_INTEQ(rc, cases[i].rc);
		if (rc > 0) {
			size_t sep = strchr(cases[i].prefix, ' ') != NULL;

			TEST_ASSERT_INTEQ(
			    strlen(cmd.keyword) + sep + strlen(cmd.rest), body);
		} else {
			TEST_ASSERT_STREQ(p.error, "Line too long");
		}
		/* The long line went entirely; parsing goes on. */
		TEST_ASSERT_INTEQ(buf_len(&in), 6);
		TEST_ASSERT_INTEQ(pop3_parse_command(&p, &in, &cmd), 1);
		TEST_ASSERT_INTEQ(cmd.verb, POP3_VERB_STAT);
		TEST_ASSERT(p.cap <= 2 * POP3_CMD_LINE_MAX);
		buf_deinit(&in);
		pop3_parser_deinit(&p);
		free(s);
	}
}

/* A long line is dropped as it arrives, not buffered; control bytes in
   it do not change the reason. */
static void
test_command_long_streamed(void)
{
	struct pop3_parser p;
	struct pop3_cmd cmd;
	struct buf in;
	char chunk[4096];
	int i;

	test_begin("long streamed line");
	memset(chunk, 'x', sizeof(chunk));
	chunk[100] = '\0';
	chunk[200] = '\r';
	pop3_parser_init(&p, POP3_CMD_LINE_MAX);
	buf_init(&in, 0);
	for (i = 0; i < 64; i++) {
		buf_append(&in, chunk, sizeof(chunk));
		TEST_ASSERT_INTEQ(pop3_parse_command(&p, &in, &cmd), 0);
		TEST_ASSERT_INTEQ(buf_len(&in), 0);
		TEST_ASSERT(p.overflow);
	}
	TEST_ASSERT(p.cap <= POP3_CMD_LINE_MAX);
	buf_append_str(&in, "\r");
	TEST_ASSERT_INTEQ(pop3_parse_command(&p, &in, &cmd), 0);
	buf_append_str(&in, "\nnoop\r\n");
	TEST_ASSERT_INTEQ(pop3_parse_command(&p, &in, &cmd), -1);
	TEST_ASSERT_STREQ(p.error, "Line too long");
	TEST_ASSERT(!p.overflow);
	TEST_ASSERT_INTEQ(pop3_parse_command(&p, &in, &cmd), 1);
	TEST_ASSERT_INTEQ(cmd.verb, POP3_VERB_NOOP);
	TEST_ASSERT_STREQ(cmd.keyword, "noop");
	buf_deinit(&in);
	pop3_parser_deinit(&p);
}

static const char stream_input[] =
    "CAPA\r\n"
    "user alice\r\n"
    "PASS  pass with spaces \r\n"
    "AUTH PLAIN\r\n"
    "AGFsaWNlAHNlY3JldA==\r\n"
    "AUTH LOGIN YWxpY2U=\r\n"
    "*\n"
    "STAT\n"
    "LIST 1\r\n"
    "bad\rcr\r\n"
    "nul\0here\r\n"
    "tab\there\r\n"
    "\r\n"
    "TOP 1 10 extra\r\n"
    "RETR  2\r\n"
    "UIDL\r\n"
    "cr-at-end\r\r\n"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "\r\n"
    "DELE 1\r\n"
    "QUIT\r\n";

static void
sort_cuts(size_t *cuts, size_t n)
{
	size_t k;

	for (k = 1; k < n; k++) {
		size_t v = cuts[k], j = k;

		while (j > 0 && cuts[j - 1] > v) {
			cuts[j] = cuts[j - 1];
			j--;
		}
		cuts[j] = v;
	}
}

static void
test_command_splits(void)
{
	size_t n = sizeof(stream_input) - 1, step;
	struct buf whole, other;
	uint32_t seed = 4242;
	int round;

	test_begin("command split invariance");
	buf_init(&whole, 0);
	feed(stream_input, n, 0, NULL, 0, &whole);
	/* The expected transcript, fed whole. */
	buf_append(&whole, "", 1);
	TEST_ASSERT_STREQ((const char *)buf_rptr(&whole),
			  "1 5|CAPA||0|00\n"
			  "1 1|user|alice|1|alice|00\n"
			  "1 2|PASS| pass with spaces |2|pass|with|11\n"
			  "1 4|AUTH|PLAIN|1|PLAIN|00\n"
			  "L 20 AGFsaWNlAHNlY3JldA==\n"
			  "1 4|AUTH|LOGIN YWxpY2U=|2|LOGIN|YWxpY2U=|00\n"
			  "L 1 *\n"
			  "1 8|STAT||0|00\n"
			  "1 9|LIST|1|1|1|00\n"
			  "-1 Bare CR in line\n"
			  "-1 NUL in line\n"
			  "-1 Control character in line\n"
			  "1 0|||0|00\n"
			  "1 14|TOP|1 10 extra|2|1|10|10\n"
			  "1 10|RETR| 2|1|2|01\n"
			  "1 15|UIDL||0|00\n"
			  "-1 Bare CR in line\n"
			  "-1 Line too long\n"
			  "1 11|DELE|1|1|1|00\n"
			  "1 7|QUIT||0|00\n"
			  "end\n");
	for (step = 1; step <= 9; step++) {
		buf_init(&other, 0);
		feed(stream_input, n, step, NULL, 0, &other);
		TEST_ASSERT_MEMEQ(buf_rptr(&other), buf_len(&other),
				  buf_rptr(&whole), buf_len(&whole) - 1);
		buf_deinit(&other);
	}
	for (round = 0; round < 300; round++) {
		size_t cuts[10], k;

		for (k = 0; k < 10; k++)
			cuts[k] = test_rand(&seed) % (n + 1);
		sort_cuts(cuts, 10);
		buf_init(&other, 0);
		feed(stream_input, n, 0, cuts, 10, &other);
		TEST_ASSERT_MEMEQ(buf_rptr(&other), buf_len(&other),
				  buf_rptr(&whole), buf_len(&whole) - 1);
		buf_deinit(&other);
	}
	buf_deinit(&whole);
}

/* One pop3_parse_line() call with the test limit: expect rc and, for 1,
   the line want (NULL: do not compare), for -1 the error want. */
static const char *
expect_line(struct pop3_parser *p, struct buf *in, int rc, const char *want)
{
	const char *line = NULL;
	size_t len = 0;

	TEST_ASSERT_INTEQ(pop3_parse_line(p, in, TEST_AUTH_LINE, &line, &len),
			  rc);
	if (rc > 0) {
		TEST_ASSERT_INTEQ(strlen(line), len);
		if (want != NULL)
			TEST_ASSERT_STREQ(line, want);
	} else if (rc < 0) {
		TEST_ASSERT_STREQ(p->error, want);
	}
	return line;
}

/* SASL continuation lines (RFC 5034 4) take a longer limit per call. */
static void
test_parse_line(void)
{
	struct pop3_parser p;
	struct pop3_cmd cmd;
	struct buf in;
	char *big;

	test_begin("pop3_parse_line");
	pop3_parser_init(&p, POP3_CMD_LINE_MAX);
	buf_init(&in, 0);
	buf_append_str(&in, "dGVzdA==\r");
	expect_line(&p, &in, 0, NULL);
	buf_append_str(&in, "\n*\r\n\r\nx\ny");
	expect_line(&p, &in, 1, "dGVzdA==");
	expect_line(&p, &in, 1, "*");
	expect_line(&p, &in, 1, "");
	expect_line(&p, &in, 1, "x"); /* bare LF */
	expect_line(&p, &in, 0, NULL);
	buf_append(&in, "\0\r\n", 3);
	expect_line(&p, &in, -1, "NUL in line");
	buf_append_str(&in, "a b\rc\r\n");
	expect_line(&p, &in, -1, "Bare CR in line");
	/* Spaces are kept: the line is not split. */
	buf_append_str(&in, " a  b \r\n");
	expect_line(&p, &in, 1, " a  b ");
	/* Longer than a command line, exactly at the given limit. */
	big = make_line("", TEST_AUTH_LINE, true);
	buf_append_str(&in, big);
	TEST_ASSERT_INTEQ(strlen(expect_line(&p, &in, 1, NULL)),
			  TEST_AUTH_LINE - 2);
	/* The same line is too long as a command. */
	buf_append_str(&in, big);
	TEST_ASSERT_INTEQ(pop3_parse_command(&p, &in, &cmd), -1);
	TEST_ASSERT_STREQ(p.error, "Line too long");
	free(big);
	big = make_line("", TEST_AUTH_LINE + 1, true);
	buf_append_str(&in, big);
	buf_append_str(&in, "=\r\n");
	expect_line(&p, &in, -1, "Line too long");
	expect_line(&p, &in, 1, "=");
	TEST_ASSERT(p.cap <= 2 * TEST_AUTH_LINE);
	free(big);
	buf_deinit(&in);
	pop3_parser_deinit(&p);
}

/* Random bytes: every line either fails or gives clean strings. */
static void
test_garbage(void)
{
	struct pop3_parser p;
	struct pop3_cmd cmd;
	struct buf in;
	uint32_t seed = 99;
	int round, good = 0, bad = 0;

	test_begin("binary garbage");
	pop3_parser_init(&p, POP3_CMD_LINE_MAX);
	buf_init(&in, 0);
	for (round = 0; round < 2000; round++) {
		uint8_t junk[64];
		size_t i, n = test_rand(&seed) % sizeof(junk);
		int rc;

		for (i = 0; i < n; i++)
			junk[i] = (uint8_t)test_rand(&seed);
		buf_append(&in, junk, n);
		while ((rc = pop3_parse_command(&p, &in, &cmd)) != 0) {
			const char *s;

			if (rc < 0) {
				bad++;
				TEST_ASSERT(p.error != NULL);
				continue;
			}
			good++;
			TEST_ASSERT(cmd.nargs <= POP3_ARGS_MAX);
			for (s = cmd.keyword; *s != '\0'; s++)
				TEST_ASSERT((unsigned char)*s >= 0x20 &&
					    *s != ' ' && *s != 0x7f);
			for (s = cmd.rest; *s != '\0'; s++)
				TEST_ASSERT((unsigned char)*s >= 0x20 &&
					    *s != 0x7f);
			for (i = 0; i < cmd.nargs; i++)
				TEST_ASSERT(cmd.argv[i][0] != '\0' &&
					    strchr(cmd.argv[i], ' ') == NULL);
		}
		TEST_ASSERT_INTEQ(buf_len(&in), 0);
		TEST_ASSERT(p.cap <= 2 * POP3_CMD_LINE_MAX);
	}
	/* Random bytes nearly always hold a control byte. */
	TEST_ASSERT(bad > 100);
	TEST_ASSERT(bad > 10 * good);
	buf_deinit(&in);
	pop3_parser_deinit(&p);
}

static void
test_numbers(void)
{
	static const struct {
		const char *s;
		int rc;
		uint32_t n;
	} cases[] = {
	    {"1", 0, 1},
	    {"0", 0, 0},
	    {"42", 0, 42},
	    {"007", 0, 7},
	    {"4294967295", 0, 4294967295u},
	    {"0000000001", 0, 1},
	    {"4294967296", -1, 0},
	    {"9999999999", -1, 0},
	    {"00000000001", -1, 0},
	    {"12345678901", -1, 0},
	    {"", -1, 0},
	    {"-1", -1, 0},
	    {"+1", -1, 0},
	    {" 1", -1, 0},
	    {"1 ", -1, 0},
	    {"1a", -1, 0},
	    {"0x10", -1, 0},
	    {"1.0", -1, 0},
	    {"\xd9\xa1", -1, 0}, /* ARABIC-INDIC DIGIT ONE */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t n = 12345;

		test_begin(cases[i].s);
		TEST_ASSERT_INTEQ(pop3_parse_number(cases[i].s, &n),
				  cases[i].rc);
		TEST_ASSERT_INTEQ(n, cases[i].rc == 0 ? cases[i].n : 12345);
	}
}

TEST_MAIN(test_commands_table, test_command_lengths, test_command_long_streamed,
	  test_command_splits, test_parse_line, test_garbage, test_numbers)

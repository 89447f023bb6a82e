/* test_imap_parse.c: tests of the IMAP command parser (tokens, literals, errors, splits). */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "imap/imap_parse.h"
#include "limits.h"

/* Print an argument tree: atoms bare, NIL as NIL, quoted as "..",
   literals as {len}bytes or ~{len}, lists in (), sections as
   NAME[..]partial. */
static void
dump_args(struct buf *o, const struct imap_arg *a)
{
	for (; a != NULL; a = a->next) {
		switch (a->type) {
		case IMAP_ARG_ATOM:
			buf_printf(o, "%s", a->str);
			break;
		case IMAP_ARG_NIL:
			buf_printf(o, "NIL");
			break;
		case IMAP_ARG_QUOTED:
			buf_printf(o, "\"%s\"", a->str);
			break;
		case IMAP_ARG_LITERAL:
			buf_printf(o, "%s{%zu%s}", a->binary ? "~" : "", a->len,
				   a->nonsync ? "+" : "");
			buf_append(o, a->str, a->len);
			break;
		case IMAP_ARG_LIST:
			buf_printf(o, "(");
			dump_args(o, a->child);
			buf_printf(o, ")");
			break;
		case IMAP_ARG_SECTION:
			buf_printf(o, "%s[", a->str);
			dump_args(o, a->child);
			buf_printf(o, "]%s", a->partial);
			break;
		}
		if (a->next != NULL)
			buf_printf(o, " ");
	}
}

/* Feed input in pieces (every step bytes, or random pieces when seed is
   not 0, or whole) and log every event. */
static void
feed(const char *input, size_t n, size_t step, uint32_t seed,
     const struct imap_parse_limits *lim, struct buf *log)
{
	struct imap_parser p;
	struct imap_cmd *cmd;
	struct buf in;
	size_t pos = 0;

	imap_parser_init(&p, lim);
	buf_init(&in, 0);
	while (pos < n) {
		size_t k = n - pos;
		int rc;

		if (step > 0 && k > step)
			k = step;
		if (seed != 0) {
			size_t r = test_rand(&seed) % 17 + 1;

			if (k > r)
				k = r;
		}
		buf_append(&in, input + pos, k);
		pos += k;
		while ((rc = imap_parse_command(&p, &in, &cmd)) != 0) {
			if (rc == IMAP_PARSE_CONT) {
				buf_printf(log, "+\n");
			} else if (rc == IMAP_PARSE_ERROR) {
				buf_printf(log, "%s %s %s%s%s%s\n",
					   p.error_tag ? p.error_tag : "*",
					   p.error_status,
					   p.error_code ? "[" : "",
					   p.error_code ? p.error_code : "",
					   p.error_code ? "] " : "",
					   p.error_text);
			} else {
				buf_printf(log, "%s %s%s", cmd->tag,
					   cmd->uid ? "UID " : "",
					   imap_cmd_name_str(cmd->name));
				if (cmd->args != NULL)
					buf_printf(log, " ");
				dump_args(log, cmd->args);
				buf_printf(log, "\n");
				imap_cmd_free(&cmd);
			}
		}
		TEST_ASSERT_INTEQ(buf_len(&in), 0);
	}
	buf_deinit(&in);
	imap_parser_deinit(&p);
}

/* Check the transcript, and that every way of splitting gives it. */
static void
check(const char *input, size_t n, const char *want,
      const struct imap_parse_limits *lim)
{
	struct buf whole, other;
	uint32_t seed;
	size_t step;

	if (n == 0)
		n = strlen(input);
	test_begin(input);
	buf_init(&whole, 0);
	feed(input, n, 0, 0, lim, &whole);
	buf_append(&whole, "", 1);
	TEST_ASSERT_STREQ((const char *)buf_rptr(&whole), want);
	for (step = 1; step <= 3; step++) {
		buf_init(&other, 0);
		feed(input, n, step, 0, lim, &other);
		buf_append(&other, "", 1);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&other), want);
		buf_deinit(&other);
	}
	for (seed = 1; seed < 20; seed++) {
		buf_init(&other, 0);
		feed(input, n, 0, seed * 7919, lim, &other);
		buf_append(&other, "", 1);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&other), want);
		buf_deinit(&other);
	}
	buf_deinit(&whole);
}

struct pcase {
	const char *in;
	const char *out;
};

static const struct pcase cases[] = {
    /* every command name, any case, UID prefix */
    {"a CAPABILITY\r\n", "a CAPABILITY\n"},
    {"a noop\r\n", "a NOOP\n"},
    {"a1 LOGOUT\r\n", "a1 LOGOUT\n"},
    {"a STARTTLS\r\n", "a STARTTLS\n"},
    {"a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
     "a AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\n"},
    {"a LOGIN fred \"fat man\"\r\n", "a LOGIN fred \"fat man\"\n"},
    {"a ENABLE CONDSTORE QRESYNC\r\n", "a ENABLE CONDSTORE QRESYNC\n"},
    {"a SELECT INBOX (CONDSTORE)\r\n", "a SELECT INBOX (CONDSTORE)\n"},
    {"a EXAMINE \"blurdybloop\"\r\n", "a EXAMINE \"blurdybloop\"\n"},
    {"a CREATE owatagusiam/\r\n", "a CREATE owatagusiam/\n"},
    {"a DELETE blurdybloop\r\n", "a DELETE blurdybloop\n"},
    {"a RENAME blurdybloop sarasoop\r\n", "a RENAME blurdybloop sarasoop\n"},
    {"a SUBSCRIBE #news.comp.mail.mime\r\n",
     "a SUBSCRIBE #news.comp.mail.mime\n"},
    {"a UNSUBSCRIBE x\r\n", "a UNSUBSCRIBE x\n"},
    {"a LIST \"\" %\r\n", "a LIST \"\" %\n"},
    {"a LIST (SUBSCRIBED) \"\" (* %) RETURN (CHILDREN STATUS (MESSAGES))\r\n",
     "a LIST (SUBSCRIBED) \"\" (* %) RETURN (CHILDREN STATUS (MESSAGES))\n"},
    {"a LSUB \"#news.\" \"comp.mail.*\"\r\n",
     "a LSUB \"#news.\" \"comp.mail.*\"\n"},
    {"a NAMESPACE\r\n", "a NAMESPACE\n"},
    {"a STATUS blurdybloop (UIDNEXT MESSAGES)\r\n",
     "a STATUS blurdybloop (UIDNEXT MESSAGES)\n"},
    {"a IDLE\r\n", "a IDLE\n"},
    {"a CHECK\r\n", "a CHECK\n"},
    {"a CLOSE\r\n", "a CLOSE\n"},
    {"a UNSELECT\r\n", "a UNSELECT\n"},
    {"a EXPUNGE\r\n", "a EXPUNGE\n"},
    {"a UID EXPUNGE 3000:3002\r\n", "a UID EXPUNGE 3000:3002\n"},
    {"a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
     "a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\n"},
    {"a uid search RETURN (MIN MAX) UID $\r\n",
     "a UID SEARCH RETURN (MIN MAX) UID $\n"},
    {"a FETCH 12 FULL\r\n", "a FETCH 12 FULL\n"},
    {"a FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n",
     "a FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\n"},
    {"a UID FETCH 1:* (BODY.PEEK[1.2.MIME]<0.100> BINARY[1]<5.10>"
     " BINARY.SIZE[]) (CHANGEDSINCE 12345)\r\n",
     "a UID FETCH 1:* (BODY.PEEK[1.2.MIME]<0.100> BINARY[1]<5.10>"
     " BINARY.SIZE[]) (CHANGEDSINCE 12345)\n"},
    {"a FETCH 1 BODY[]\r\n", "a FETCH 1 BODY[]\n"},
    {"a FETCH 1 body[header.fields.not (\"A\" b)]<1.2>\r\n",
     "a FETCH 1 body[header.fields.not (\"A\" b)]<1.2>\n"},
    {"a STORE 2:4 +FLAGS (\\Deleted)\r\n", "a STORE 2:4 +FLAGS (\\Deleted)\n"},
    {"a STORE 1 (UNCHANGEDSINCE 5) FLAGS.SILENT \\Seen $Junk\r\n",
     "a STORE 1 (UNCHANGEDSINCE 5) FLAGS.SILENT \\Seen $Junk\n"},
    {"a COPY 2:4 MEETING\r\n", "a COPY 2:4 MEETING\n"},
    {"a UID MOVE 42:69 foo\r\n", "a UID MOVE 42:69 foo\n"},
    {"a ID (\"name\" \"sodr\" \"version\" NIL)\r\n",
     "a ID (\"name\" \"sodr\" \"version\" NIL)\n"},
    {"a ID NIL\r\n", "a ID NIL\n"},
    {"a GETQUOTA \"\"\r\n", "a GETQUOTA \"\"\n"},
    {"a GETQUOTAROOT INBOX\r\n", "a GETQUOTAROOT INBOX\n"},
    {"a SORT (REVERSE DATE) UTF-8 ALL\r\n",
     "a SORT (REVERSE DATE) UTF-8 ALL\n"},
    {"a UID THREAD REFERENCES UTF-8 SINCE 5-MAR-2000\r\n",
     "a UID THREAD REFERENCES UTF-8 SINCE 5-MAR-2000\n"},
    /* atoms that look like sections outside FETCH; "[" in FETCH atoms */
    {"a SELECT [Gmail]/Sent\r\n", "a SELECT [Gmail]/Sent\n"},
    {"a SELECT BODY[x]\r\n", "a SELECT BODY[x]\n"},
    {"a FETCH 1 (X[a] BODY[])\r\n", "a FETCH 1 (X[a] BODY[])\n"},
    /* empty lists, nested lists, NIL, bare LF, empty lines */
    {"a ID ()\r\n", "a ID ()\n"},
    {"a NOOP ((a) (b (c)) nil \"\")\r\n", "a NOOP ((a) (b (c)) NIL \"\")\n"},
    {"a NOOP\n", "a NOOP\n"},
    {"\r\n\r\na NOOP\r\n", "a NOOP\n"},
    {"a NOOP \"q\\\"\\\\\"\r\n", "a NOOP \"q\"\\\"\n"},
    {"a NOOP \"caf\xc3\xa9\"\r\n", "a NOOP \"caf\xc3\xa9\"\n"},
    /* pipelining */
    {"a NOOP\r\nb NOOP\r\nc LOGOUT\r\n", "a NOOP\nb NOOP\nc LOGOUT\n"},
    /* literals: synchronizing ask for "+", non-synchronizing don't */
    {"a LOGIN {4}\r\nfred {7}\r\nfat man\r\n",
     "+\n+\na LOGIN {4}fred {7}fat man\n"},
    {"A001 LOGIN {11+}\r\nFRED FOOBAR {7+}\r\nfat man\r\n",
     "A001 LOGIN {11+}FRED FOOBAR {7+}fat man\n"},
    {"a LOGIN {0}\r\n {0+}\r\n\r\n", "+\na LOGIN {0} {0+}\n"},
    {"a APPEND saved-messages (\\Seen) {5}\r\nab\r\nc\r\n",
     "+\na APPEND saved-messages (\\Seen) {5}ab\r\nc\n"},
    {"a APPEND x {2}\r\n{}\r\nb NOOP\r\n", "+\na APPEND x {2}{}\nb NOOP\n"},
    {"a LOGIN ({3+}\r\na(b)\r\n", "a LOGIN ({3+}a(b)\n"},
    /* errors: untagged when there is no tag */
    {"\r\n+ NOOP\r\n", "* BAD Invalid tag\n"},
    {"NOOP\r\n", "* BAD Invalid tag\n"},
    {"a\r\n", "* BAD Invalid tag\n"},
    {"a(b NOOP\r\n", "* BAD Invalid tag\n"},
    {"a FOO\r\nb NOOP\r\n", "a BAD Unknown command\nb NOOP\n"},
    {"a \r\n", "a BAD Missing command\n"},
    {"a UID NOOP\r\n", "a BAD Command cannot take UID\n"},
    {"a UID\r\n", "a BAD Unknown command\n"},
    {"a NOOPX\r\n", "a BAD Unknown command\n"},
    {"a NOOP(\r\n", "a BAD Unknown command\n"},
    {"a NOOP  x\r\n", "a BAD Unexpected space\n"},
    {"a NOOP x \r\n", "a BAD Unexpected space at end of line\n"},
    {"a NOOP (x\r\n", "a BAD Missing ')'\n"},
    {"a NOOP x)\r\n", "a BAD Unexpected ')'\n"},
    {"a NOOP (x )\r\n", "a BAD Unexpected space\n"},
    {"a NOOP (x)y\r\n", "a BAD Missing space\n"},
    {"a NOOP \"x\"y\r\n", "a BAD Missing space\n"},
    {"a NOOP \"x\r\n", "a BAD Unterminated quoted string\n"},
    {"a NOOP \"\\x\"\r\n", "a BAD Invalid escape in quoted string\n"},
    {"a NOOP \"\xff\"\r\n", "a BAD Invalid UTF-8 in quoted string\n"},
    {"a NOOP x\xc3\xa9\r\n", "a BAD Missing space\n"},
    {"a NOOP \xc3\xa9\r\n", "a BAD Invalid character in atom\n"},
    {"a NOOP x\ty\r\n", "a BAD Missing space\n"},
    {"a NOOP a\rb\r\n", "a BAD Missing space\n"},
    {"a FETCH 1 BODY[1\r\n", "a BAD Missing ']'\n"},
    {"a FETCH 1 BODY[1]]\r\n", "a BAD Missing space\n"},
    {"a NOOP {3}x\r\n", "a BAD Literal announcement not at end of line\n"},
    {"a NOOP {x}\r\n", "a BAD Invalid literal size\n"},
    {"a NOOP {3\r\n", "a BAD Invalid literal size\n"},
    {"a NOOP ~x\r\n", "a NOOP ~x\n"},
    {"a NOOP x{3}\r\n", "a BAD Missing space\n"},
    {"a NOOP {99999999999999999999}\r\n", "a BAD Literal size too large\n"},
    /* skipping after an error: the rest of the line, announced
       non-synchronizing literals and their lines; a synchronizing
       announcement ends the skip (no "+" was sent) */
    {"a NOOP ) {5+}\r\nx\r\ny) {2+}\r\n\r\n\r\nb NOOP\r\n",
     "a BAD Unexpected ')'\nb NOOP\n"},
    {"a NOOP ) {5}\r\nb NOOP\r\n", "a BAD Unexpected ')'\nb NOOP\n"},
};

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s = cases[i].in;
		size_t n = strlen(s);

		check(s, n, cases[i].out, NULL);
	}
}

/* Cases with a NUL: explicit lengths. */
static void
test_nul(void)
{
	static const char bin[] = "a APPEND x ~{3+}\r\na\0b\r\n";
	static const char lit[] = "a LOGIN {3}\r\na\0b\r\nb NOOP\r\n";
	static const char cmd[] = "a NOOP x\0\r\nb NOOP\r\n";
	static const char skip[] = "a LOGIN {3}\r\n\0bc {4+}\r\nb NO\r\nc NOOP\r\n";
	static const char want_bin[] = "a APPEND x ~{3+}a\0b\n";

	{
		struct buf log;

		test_begin("binary literal");
		buf_init(&log, 0);
		feed(bin, sizeof(bin) - 1, 1, 0, NULL, &log);
		TEST_ASSERT_MEMEQ(buf_rptr(&log), buf_len(&log), want_bin,
				  sizeof(want_bin) - 1);
		buf_deinit(&log);
	}
	check(lit, sizeof(lit) - 1, "+\na BAD NUL in literal\nb NOOP\n", NULL);
	check(cmd, sizeof(cmd) - 1, "a BAD NUL in command\nb NOOP\n", NULL);
	check(skip, sizeof(skip) - 1, "+\na BAD NUL in literal\nc NOOP\n",
	      NULL);
}

static void
test_limits(void)
{
	struct imap_parse_limits lim = imap_parse_limits_default;
	char big[200];

	lim.line_max = 40;
	lim.literal_max = 10;
	lim.append_total_max = 15;
	lim.depth_max = 3;
	/* a line of exactly line_max octets (CRLF included) fits */
	memset(big, 'x', sizeof(big));
	memcpy(big, "a NOOP ", 7);
	memcpy(big + 38, "\r\n", 3);
	check(big, 40, "a NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", &lim);
	memcpy(big + 39, "\r\nb NOOP\r\n", 11);
	check(big, 49, "a BAD [TOOBIG] Command line too long\nb NOOP\n", &lim);
	/* too long, tag unreadable; the skipped line ends in {n+} */
	memset(big, 'x', 60);
	memcpy(big + 60, " {3+}\r\nabc\r\nb NOOP\r\n", 21);
	check(big, 80, "* BAD [TOOBIG] Command line too long\nb NOOP\n", &lim);
	/* depth */
	check("a NOOP (((x)))\r\n", 0, "a NOOP (((x)))\n", &lim);
	check("a NOOP ((((x))))\r\nb NOOP\r\n", 0,
	      "a BAD Too deeply nested\nb NOOP\n", &lim);
	check("a FETCH 1 ((BODY[]))\r\n", 0, "a FETCH 1 ((BODY[]))\n", &lim);
	check("a FETCH 1 (((BODY[])))\r\n", 0, "a BAD Too deeply nested\n",
	      &lim);
	/* other commands' literals count against line_max */
	check("a LOGIN {20}\r\n", 0, "+\n", &lim);
	check("a LOGIN {30}\r\nb NOOP\r\n", 0,
	      "a NO [TOOBIG] Literal too large\nb NOOP\n", &lim);
	check("a LOGIN {30+}\r\n012345678901234567890123456789 x\r\nb NOOP\r\n", 0, "a BAD [TOOBIG] Literal too large\nb NOOP\n", &lim);
	/* APPEND literals: literal_max each, append_total_max in all */
	check("a APPEND x {10}\r\n0123456789\r\n", 0,
	      "+\na APPEND x {10}0123456789\n", &lim);
	check("a APPEND x {11}\r\n", 0, "a NO [TOOBIG] Literal too large\n",
	      &lim);
	check("a APPEND x {10+}\r\n0123456789 {6+}\r\n012345\r\nb NOOP\r\n", 0, "a BAD [TOOBIG] Literal too large\nb NOOP\n", &lim);
	/* LITERAL- (RFC 7888 5): non-synchronizing at most 4096 */
	lim = imap_parse_limits_default;
	lim.nonsync_max = IMAP_LITERAL_MINUS_MAX;
	check("a APPEND x {4097+}\r\n", 0, "a BAD [TOOBIG] Literal too large\n",
	      &lim);
	check("a APPEND x {4097}\r\n", 0, "+\n", &lim);
}

static void
test_raw_line(void)
{
	struct imap_parser p;
	struct imap_parse_limits lim = imap_parse_limits_default;
	struct imap_cmd *cmd;
	struct buf in;
	const char *line;
	size_t len;
	char big[100];

	test_begin("raw lines");
	lim.line_max = 24;
	imap_parser_init(&p, &lim);
	buf_init(&in, 0);
	buf_append_str(&in, "a AUTHENTICATE PLAIN\r\ndGVzdA==\r\n*\r\nDONE");
	TEST_ASSERT_INTEQ(imap_parse_command(&p, &in, &cmd), IMAP_PARSE_CMD);
	TEST_ASSERT_INTEQ(cmd->name, IMAP_CMD_AUTHENTICATE);
	imap_cmd_free(&cmd);
	TEST_ASSERT(cmd == NULL);
	TEST_ASSERT_INTEQ(imap_parse_line(&p, &in, &line, &len), 1);
	TEST_ASSERT_STREQ(line, "dGVzdA==");
	TEST_ASSERT_INTEQ(len, 8);
	TEST_ASSERT_INTEQ(imap_parse_line(&p, &in, &line, &len), 1);
	TEST_ASSERT_STREQ(line, "*");
	TEST_ASSERT_INTEQ(imap_parse_line(&p, &in, &line, &len), 0);
	buf_append_str(&in, "\r\n");
	TEST_ASSERT_INTEQ(imap_parse_line(&p, &in, &line, &len), 1);
	TEST_ASSERT_STREQ(line, "DONE");
	/* too long: -1 at once, then skipped to LF (a {n+} tail of a raw
	   line is no literal) */
	memset(big, 'x', sizeof(big));
	memcpy(big + 30, "{5+}\r\nb NOOP\r\n", 14);
	buf_append(&in, big, 44);
	TEST_ASSERT_INTEQ(imap_parse_line(&p, &in, &line, &len), -1);
	TEST_ASSERT_STREQ(p.error_code, "TOOBIG");
	TEST_ASSERT_INTEQ(imap_parse_command(&p, &in, &cmd), IMAP_PARSE_CMD);
	TEST_ASSERT_INTEQ(cmd->name, IMAP_CMD_NOOP);
	imap_cmd_free(&cmd);
	buf_append(&in, "x\0y\r\n", 5);
	TEST_ASSERT_INTEQ(imap_parse_line(&p, &in, &line, &len), -1);
	TEST_ASSERT_INTEQ(buf_len(&in), 0);
	buf_deinit(&in);
	imap_parser_deinit(&p);
}

/* A command still being built is freed by deinit; a returned one
   outlives the parser. */
static void
test_ownership(void)
{
	struct imap_parser p;
	struct imap_cmd *cmd;
	struct buf in;

	test_begin("ownership");
	imap_parser_init(&p, NULL);
	buf_init(&in, 0);
	buf_append_str(&in, "a LOGIN {3+}\r\nabc x\r\nb LOGIN {100}\r\n12");
	TEST_ASSERT_INTEQ(imap_parse_command(&p, &in, &cmd), IMAP_PARSE_CMD);
	TEST_ASSERT_INTEQ(imap_parse_command(&p, &in, NULL), IMAP_PARSE_CONT);
	TEST_ASSERT_INTEQ(imap_parse_command(&p, &in, NULL), IMAP_PARSE_MORE);
	imap_parser_deinit(&p);
	TEST_ASSERT_INTEQ(cmd->nargs, 2);
	TEST_ASSERT_STREQ(imap_arg_astring(cmd->args, NULL), "abc");
	TEST_ASSERT(cmd->args->nonsync);
	TEST_ASSERT_INTEQ(cmd->literal_bytes, 0);
	imap_cmd_free(&cmd);
	buf_deinit(&in);
}

static void
test_accessors(void)
{
	struct imap_parser p;
	struct imap_cmd *cmd;
	struct buf in;
	const struct imap_arg *a;
	uint32_t n;
	uint64_t n64;
	bool nil;

	test_begin("accessors");
	imap_parser_init(&p, NULL);
	buf_init(&in, 0);
	buf_append_str(&in, "a NOOP 4294967295 4294967296 007 -1 9223372036854775807"
			    " 9223372036854775808 NIL \"q\" a]b a%b ~{1+}\r\nx\r\n");
	TEST_ASSERT_INTEQ(imap_parse_command(&p, &in, &cmd), IMAP_PARSE_CMD);
	a = cmd->args;
	TEST_ASSERT_INTEQ(cmd->nargs, 11);
	TEST_ASSERT_INTEQ(imap_arg_number(a, &n), 0);
	TEST_ASSERT_INTEQ(n, 4294967295u);
	TEST_ASSERT_INTEQ(imap_arg_number(imap_arg_nth(a, 1), &n), -1);
	TEST_ASSERT_INTEQ(imap_arg_number64(imap_arg_nth(a, 1), &n64), 0);
	TEST_ASSERT_INTEQ(imap_arg_number(imap_arg_nth(a, 2), &n), 0);
	TEST_ASSERT_INTEQ(n, 7);
	TEST_ASSERT_INTEQ(imap_arg_number(imap_arg_nth(a, 3), &n), -1);
	TEST_ASSERT_INTEQ(imap_arg_number64(imap_arg_nth(a, 4), &n64), 0);
	TEST_ASSERT(n64 == 9223372036854775807ull);
	TEST_ASSERT_INTEQ(imap_arg_number64(imap_arg_nth(a, 5), &n64), -1);
	TEST_ASSERT_STREQ(imap_arg_nstring(imap_arg_nth(a, 6), &nil), "");
	TEST_ASSERT(nil);
	TEST_ASSERT_STREQ(imap_arg_astring(imap_arg_nth(a, 6), NULL), "NIL");
	TEST_ASSERT_STREQ(imap_arg_nstring(imap_arg_nth(a, 7), &nil), "q");
	TEST_ASSERT(!nil);
	TEST_ASSERT(imap_arg_nstring(imap_arg_nth(a, 8), &nil) == NULL);
	TEST_ASSERT_STREQ(imap_arg_astring(imap_arg_nth(a, 8), NULL), "a]b");
	TEST_ASSERT(imap_arg_astring(imap_arg_nth(a, 9), NULL) == NULL);
	TEST_ASSERT(imap_arg_astring(imap_arg_nth(a, 10), NULL) == NULL);
	TEST_ASSERT(imap_arg_nth(a, 11) == NULL);
	TEST_ASSERT(imap_arg_atom_is(imap_arg_nth(a, 9), "A%B"));
	TEST_ASSERT(!imap_arg_atom_is(imap_arg_nth(a, 7), "q"));
	TEST_ASSERT_INTEQ(imap_cmd_lookup("uid", 3), IMAP_CMD_UNKNOWN);
	TEST_ASSERT_STREQ(imap_cmd_name_str((enum imap_cmd_name)999), "UNKNOWN");
	imap_cmd_free(&cmd);
	buf_deinit(&in);
	imap_parser_deinit(&p);
}

TEST_MAIN(test_table, test_nul, test_limits, test_raw_line, test_ownership,
	  test_accessors)

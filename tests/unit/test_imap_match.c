/* test_imap_match.c: SEARCH key evaluation (imap_match). */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <stdlib.h>

#include "arena.h"
#include "imap/imap_match.h"
#include "imap/imap_parse.h"
#include "imap/imap_search.h"
#include "limits.h"
#include "store/store.h"

static const char msg_text[] =
    "From: =?utf-8?q?J=C3=B6rg?= <jorg@example.org>\r\n"
    "To: a@example.com\r\n"
    "Subject: Quarterly\r\n report\r\n"
    "Date: Mon, 31 Dec 2001 23:30:00 -0800\r\n"
    "X-Tag: alpha\r\n"
    "X-Tag: beta\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "preamble needle-not-here\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Gr=FC=DFe aus K=F6ln\r\n"
    "--b1x is no delimiter: tailword\r\n"
    "--b1\r\n"
    "Content-Type: text/html\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PGI+U2VjcmV0V29yZDwvYj4=\r\n"
    "--b1\r\n"
    "Content-Type: application/octet-stream\r\n"
    "\r\n"
    "binaryneedle\r\n"
    "--b1--\r\n"
    "epilogue\r\n";

/* Parse "SEARCH <args>" with the real command parser. */
static struct imap_cmd *
parse_cmd(const char *args)
{
	struct imap_parser p;
	struct imap_cmd *cmd = NULL;
	struct buf in;
	char line[1024];
	int rc;

	snprintf(line, sizeof(line), "t SEARCH %s\r\n", args);
	imap_parser_init(&p, NULL);
	buf_init(&in, 0);
	buf_append_str(&in, line);
	rc = imap_parse_command(&p, &in, &cmd);
	buf_deinit(&in);
	imap_parser_deinit(&p);
	return rc == IMAP_PARSE_CMD ? cmd : NULL;
}

/* parse_cmd(prog), its program in *s prepared for 5 messages, UIDs up to
   50; NULL (a failed assertion) when it does not parse. */
static struct imap_cmd *
prepared_cmd(const char *prog, struct imap_search *s)
{
	struct imap_cmd *cmd = parse_cmd(prog);
	const char *err;

	TEST_ASSERT(cmd != NULL);
	if (cmd == NULL)
		return NULL;
	TEST_ASSERT_INTEQ(imap_search_parse(cmd, s, &err), 0);
	imap_match_prepare(s->root, cmd->arena, 5, 50, NULL, 0);
	return cmd;
}

static void
fill(struct imap_match_msg *m, int level)
{
	memset(m, 0, sizeof(*m));
	m->seq = 3;
	m->uid = 30;
	m->flags = STORE_FLAG_SEEN | STORE_FLAG_FLAGGED;
	m->keywords = "$Junk Work";
	m->recent = true;
	m->modseq = 77;
	if (level >= 1) {
		m->have_data = true;
		m->internaldate = 1009929600 + 3600; /* 2002-01-02 01:00 UTC */
		m->size = sizeof(msg_text) - 1;
		m->subject = "Quarterly report";
		m->from = "=?utf-8?q?J=C3=B6rg?= <jorg@example.org>";
		m->to = "a@example.com";
		m->date = 1009870200; /* 2002-01-01 07:30 UTC */
	}
	if (level >= 2) {
		m->have_text = true;
		m->text = msg_text;
		m->text_len = sizeof(msg_text) - 1;
	}
}

static const struct {
	const char *prog;
	int flags_only; /* result with the view only */
	int full;       /* result with everything */
} cases[] = {
    {"ALL", 1, 1},
    {"SEEN", 1, 1},
    {"UNSEEN", 0, 0},
    {"FLAGGED NOT DELETED", 1, 1},
    {"RECENT", 1, 1},
    {"NEW", 0, 0},
    {"OLD", 0, 0},
    {"KEYWORD work", 1, 1},
    {"UNKEYWORD $junk", 0, 0},
    {"KEYWORD other", 0, 0},
    {"3", 1, 1},
    {"1:2,4:*", 0, 0},
    {"*", 0, 0},
    {"UID 30", 1, 1},
    {"UID 31:*", 0, 0},
    {"MODSEQ 77", 1, 1},
    {"MODSEQ 78", 0, 0},
    {"SUBJECT \"QUARTERLY REP\"", -1, 1},
    {"SUBJECT nothing", -1, 0},
    {"FROM {5+}\r\nJ\xc3\x96RG", -1, 1},
    {"FROM jorg@EXAMPLE", -1, 1},
    {"CC \"\"", -1, 0},
    {"TO \"\"", -1, 1},
    {"HEADER X-Tag beta", -2, 1},
    {"HEADER X-Tag \"\"", -2, 1},
    {"HEADER X-None \"\"", -2, 0},
    {"BODY \"gr\xc3\xbc\xc3\x9f\"", -3, 1},
    {"BODY {5+}\r\nK\xc3\x96ln", -3, 1},
    {"BODY secretword", -3, 1},
    {"BODY binaryneedle", -3, 0},
    {"BODY tailword", -3, 1},
    {"BODY needle-not-here", -3, 0},
    {"BODY quarterly", -3, 0},
    {"TEXT quarterly", -3, 1},
    {"TEXT \"x-tag: alpha\"", -3, 1},
    {"LARGER 10", -1, 1},
    {"SMALLER 10", -1, 0},
    {"ON 2-Jan-2002", -1, 1},
    {"BEFORE 2-Jan-2002", -1, 0},
    {"SINCE 2-Jan-2002", -1, 1},
    {"SENTON 31-Dec-2001", -1, 1},  /* the date in its own zone */
    {"SENTON 1-Jan-2002", -1, 0},
    {"SENTBEFORE 1-Jan-2002", -1, 1},
    {"SENTSINCE 1-Jan-2020", -1, 0}, /* decided from the stored date */
    {"OLDER 1", -1, 1},
    {"YOUNGER 1", -1, 0},
    {"OR UNSEEN BODY secretword", -3, 1},
    {"OR SEEN BODY nothing", 1, 1},
    {"NOT OR UNSEEN BODY nothing", -3, 1},
    {"UNSEEN BODY secretword", 0, 0},
    {"(SEEN (FLAGGED SUBJECT report))", -1, 1},
};

static void
test_cases(void)
{
	struct imap_match_ctx c;
	size_t i;

	imap_match_ctx_init(&c);
	c.internal_utc = true;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct imap_cmd *cmd;
		struct imap_search s;
		struct imap_match_msg m;
		int level;

		test_begin(cases[i].prog);
		if ((cmd = prepared_cmd(cases[i].prog, &s)) == NULL)
			continue;
		fill(&m, 0);
		TEST_ASSERT_INTEQ(imap_match(&c, s.root, &m), cases[i].flags_only);
		fill(&m, 2);
		TEST_ASSERT_INTEQ(imap_match(&c, s.root, &m), cases[i].full);
		/* the header alone is enough for everything but BODY/TEXT */
		if (cases[i].flags_only != -3) {
			fill(&m, 1);
			m.have_header = true;
			m.header = msg_text;
			m.header_len = imap_match_header_len(msg_text,
							     sizeof(msg_text) - 1);
			for (level = 0; level < 1; level++)
				TEST_ASSERT_INTEQ(imap_match(&c, s.root, &m),
						  cases[i].full);
		}
		imap_cmd_free(&cmd);
	}
	imap_match_ctx_deinit(&c);
}

static void
test_saved(void)
{
	static const uint32_t saved[] = {10, 11, 12, 30};
	struct imap_match_ctx c;
	struct imap_cmd *cmd = parse_cmd("$");
	struct imap_search s;
	struct imap_match_msg m;
	const char *err;

	test_begin("saved");
	imap_match_ctx_init(&c);
	TEST_ASSERT(cmd != NULL);
	TEST_ASSERT_INTEQ(imap_search_parse(cmd, &s, &err), 0);
	imap_match_prepare(s.root, cmd->arena, 5, 50, saved, 4);
	fill(&m, 0);
	TEST_ASSERT_INTEQ(imap_match(&c, s.root, &m), 1);
	m.uid = 13;
	TEST_ASSERT_INTEQ(imap_match(&c, s.root, &m), 0);
	imap_cmd_free(&cmd);
	imap_match_ctx_deinit(&c);
}

/* The store keeps an empty field value as NULL: HEADER x "" (has the
   field) must then look at the header itself. */
static void
test_empty_stored_field(void)
{
	static const char head[] = "Subject:\r\nX-A: 1\r\n\r\n";
	struct imap_match_ctx c;
	struct imap_cmd *cmd = parse_cmd("SUBJECT \"\"");
	struct imap_search s;
	struct imap_match_msg m;
	const char *err;

	test_begin("empty stored field");
	imap_match_ctx_init(&c);
	TEST_ASSERT(cmd != NULL);
	TEST_ASSERT_INTEQ(imap_search_parse(cmd, &s, &err), 0);
	imap_match_prepare(s.root, cmd->arena, 5, 50, NULL, 0);
	fill(&m, 1);
	m.subject = NULL;
	TEST_ASSERT_INTEQ(imap_match(&c, s.root, &m), IMAP_MATCH_NEED_HEADER);
	m.have_header = true;
	m.header = head;
	m.header_len = sizeof(head) - 1;
	TEST_ASSERT_INTEQ(imap_match(&c, s.root, &m), 1);
	m.header = head + 10; /* "X-A: 1": no Subject field */
	m.header_len = sizeof(head) - 11;
	TEST_ASSERT_INTEQ(imap_match(&c, s.root, &m), 0);
	imap_cmd_free(&cmd);
	imap_match_ctx_deinit(&c);
}

static void
test_fold_find(void)
{
	struct buf b, s;

	test_begin("fold");
	buf_init(&b, 0);
	buf_init(&s, 0);
	imap_match_fold("\xc3\x84Zz\xd0\x96\xce\xa3\xc5\xb8\xc4\x80", 12, &b);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b),
			  "\xc3\xa4zz\xd0\xb6\xcf\x83\xc3\xbf\xc4\x81", 12);
	TEST_ASSERT(imap_match_find("Hello World", 11, "o w", 3, &s));
	TEST_ASSERT(!imap_match_find("Hello", 5, "hello!", 6, &s));
	TEST_ASSERT(imap_match_find("", 0, "", 0, &s));
	buf_deinit(&b);
	buf_deinit(&s);
}

static void
test_sent_day(void)
{
	int64_t d;

	test_begin("sent day");
	TEST_ASSERT_INTEQ(imap_match_sent_day("Tue, 1 Feb 1994 23:59:59 -1200",
					      30, &d), 0);
	TEST_ASSERT_INTEQ(d, imap_search_days(1994, 2, 1));
	TEST_ASSERT_INTEQ(imap_match_sent_day("2 Feb 94 00:00 +0900", 20, &d), 0);
	TEST_ASSERT_INTEQ(d, imap_search_days(1994, 2, 2));
	TEST_ASSERT_INTEQ(imap_match_sent_day("garbage", 7, &d), -1);
}

static void
test_header_fields(void)
{
	static const char h[] = "A: 1\r\n folded\r\nbad line\r\nB:2\r\n\r\nbody";
	const char *n, *v;
	size_t pos = 0, nl, vl;

	test_begin("fields");
	TEST_ASSERT_INTEQ(imap_match_header_len(h, sizeof(h) - 1), 32);
	TEST_ASSERT(imap_match_next_field(h, 32, &pos, &n, &nl, &v, &vl));
	TEST_ASSERT_MEMEQ(n, nl, "A", 1);
	TEST_ASSERT_MEMEQ(v, vl, " 1\r\n folded\r\n", 13);
	TEST_ASSERT(imap_match_next_field(h, 32, &pos, &n, &nl, &v, &vl));
	TEST_ASSERT_MEMEQ(n, nl, "B", 1);
	TEST_ASSERT(!imap_match_next_field(h, 32, &pos, &n, &nl, &v, &vl));
	TEST_ASSERT_INTEQ(imap_match_header_len("\r\nx", 3), 2);
}

static void
test_needs(void)
{
	struct imap_cmd *cmd = parse_cmd("OR BODY x MODSEQ 5 SENTON 1-Jan-2000");
	struct imap_search s;
	const char *err;

	test_begin("needs");
	TEST_ASSERT(cmd != NULL);
	TEST_ASSERT_INTEQ(imap_search_parse(cmd, &s, &err), 0);
	TEST_ASSERT_INTEQ(imap_match_needs(s.root),
			  IMAP_MATCH_IN_TEXT | IMAP_MATCH_IN_MODSEQ |
			      IMAP_MATCH_IN_DATA | IMAP_MATCH_IN_HEADER);
	imap_cmd_free(&cmd);
}

/* BODY/TEXT look at the raw bytes first (imap_match_raw_no): each of
   these messages holds "needle" only once decoded, so the raw bytes
   must never rule it out; the others check plain hits and misses. */
static void
test_raw_prefilter(void)
{
	static const struct {
		const char *name;
		const char *text;
		size_t len; /* 0: strlen */
		const char *prog;
		int want;
	} raw[] = {
	    {"plain hit", "Subject: x\r\n\r\nhay NeEdLe hay\r\n", 0,
	     "BODY needle", 1},
	    {"plain miss", "Subject: x\r\n\r\nhay hay\r\n", 0, "TEXT needle", 0},
	    {"quoted charset miss",
	     "Content-Type: text/plain; charset=\"UTF-8\"\r\n\r\nhay\r\n", 0,
	     "TEXT needle", 0},
	    {"header hit", "Subject: the needle\r\n\r\nhay\r\n", 0, "TEXT needle",
	     1},
	    {"header not body", "Subject: the needle\r\n\r\nhay\r\n", 0,
	     "BODY needle", 0},
	    {"qp soft break",
	     "Content-Transfer-Encoding: quoted-printable\r\n\r\nnee=\r\ndle\r\n",
	     0, "BODY needle", 1},
	    {"qp escape",
	     "Content-Transfer-Encoding: Quoted-Printable\r\n\r\nne=65dle\r\n", 0,
	     "BODY needle", 1},
	    {"base64",
	     "Content-Transfer-Encoding: BASE64\r\n\r\nbmVlZGxl\r\n", 0,
	     "BODY needle", 1},
	    {"2047 words", "Subject: =?utf-8?q?nee?= =?utf-8?q?dle?=\r\n\r\nx\r\n",
	     0, "TEXT needle", 1},
	    {"NUL in header", "Subject: nee\0dle\r\n\r\nx\r\n", 23, "TEXT needle",
	     1},
	    {"bare CR in header", "Subject: nee\rdle\r\n\r\nx\r\n", 0,
	     "TEXT needle", 1},
	    {"utf-7 body",
	     "Content-Type: text/plain; charset=utf-7\r\n\r\n+AG4-eedle\r\n", 0,
	     "BODY needle", 1},
	    {"qp part of a multipart",
	     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	     "Content-Type: text/plain\r\n\r\nhay\r\n--b\r\n"
	     "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	     "n=65edle\r\n--b--\r\n",
	     0, "BODY needle", 1},
	    {"nested message header",
	     "Content-Type: message/rfc822\r\n\r\n"
	     "Subject: =?us-ascii?q?needle?=\r\n\r\nx\r\n",
	     0, "BODY needle", 1},
	    {"multipart miss",
	     "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	     "Content-Type: text/plain; charset=us-ascii\r\n\r\nhay\r\n--b--\r\n",
	     0, "TEXT needle", 0},
	    {"spaced needle across a fold", "Subject: one\r\n two\r\n\r\nx\r\n", 0,
	     "TEXT \"one two\"", 1},
	    {"needle with a colon", "Subject:x\r\n\r\nhay\r\n", 0,
	     "TEXT \"subject: x\"", 1},
	};
	struct imap_match_ctx c;
	size_t i;

	imap_match_ctx_init(&c);
	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		struct imap_cmd *cmd;
		struct imap_search s;
		struct imap_match_msg m;

		test_begin(raw[i].name);
		if ((cmd = prepared_cmd(raw[i].prog, &s)) == NULL)
			continue;
		fill(&m, 1);
		m.have_text = true;
		m.text = raw[i].text;
		m.text_len = raw[i].len != 0 ? raw[i].len : strlen(raw[i].text);
		m.uid = 100 + (uint32_t)i; /* a new message each time */
		TEST_ASSERT_INTEQ(imap_match(&c, s.root, &m), raw[i].want);
		imap_cmd_free(&cmd);
	}
	imap_match_ctx_deinit(&c);
}

TEST_MAIN(test_raw_prefilter, test_cases, test_saved, test_empty_stored_field, test_fold_find,
	  test_sent_day, test_header_fields, test_needs)

/* test_imap_args.c: tests of the typed IMAP argument helpers, sequence sets and modified UTF-7. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "arena.h"
#include "buf.h"
#include "imap/imap_args.h"
#include "imap/imap_fetch.h"
#include "imap/imap_parse.h"
#include "imap/imap_search.h"
#include "imap/imap_seqset.h"
#include "imap/imap_utf7.h"
#include "limits.h"

/* Parse one complete command (literals non-synchronizing or answered). */
static struct imap_cmd *
parse(const char *s)
{
	struct imap_parser p;
	struct imap_cmd *cmd = NULL;
	struct buf in;
	int rc;

	imap_parser_init(&p, NULL);
	buf_init(&in, 0);
	buf_append_str(&in, s);
	while ((rc = imap_parse_command(&p, &in, &cmd)) == IMAP_PARSE_CONT)
		;
	TEST_ASSERT_INTEQ(rc, IMAP_PARSE_CMD);
	buf_deinit(&in);
	imap_parser_deinit(&p);
	return rc == IMAP_PARSE_CMD ? cmd : NULL;
}

static void
dump_set(struct buf *o, const struct imap_seqset *set)
{
	size_t i;

	if (set->saved)
		buf_printf(o, "$");
	for (i = 0; i < set->n; i++)
		buf_printf(o, "%s%u:%u", i ? "," : "", set->r[i].lo, set->r[i].hi);
}

static void
test_seqset(void)
{
	static const struct {
		const char *in, *out, *resolved; /* out NULL: invalid */
	} cases[] = {
	    {"1", "1:1", "1:1"},
	    {"1:3,5,*", "1:3,5:5,0:0", "1:3,5:5,10:10"},
	    {"*:4", "0:4", "4:10"},
	    {"5:2,1,3:4,12", "5:2,1:1,3:4,12:12", "1:5,12:12"},
	    {"4294967295", "4294967295:4294967295", "4294967295:4294967295"},
	    {"$", "$", NULL},
	    {"", NULL, NULL},       {"0", NULL, NULL},     {"01", NULL, NULL},
	    {"1,", NULL, NULL},     {",1", NULL, NULL},    {"1::2", NULL, NULL},
	    {"1:", NULL, NULL},     {"4294967296", NULL, NULL},
	    {"$,1", NULL, NULL},    {"1:$", NULL, NULL},   {"a", NULL, NULL},
	    {"1 2", NULL, NULL},    {"**", NULL, NULL},
	};
	struct arena *a = arena_new("test", 1024);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct imap_seqset set, res;
		struct buf o;
		int rc;

		test_begin(cases[i].in);
		rc = imap_seqset_parse(cases[i].in, strlen(cases[i].in), a, &set);
		TEST_ASSERT_INTEQ(rc, cases[i].out ? 0 : -1);
		if (rc < 0)
			continue;
		buf_init(&o, 0);
		dump_set(&o, &set);
		buf_append(&o, "", 1);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&o), cases[i].out);
		buf_deinit(&o);
		if (cases[i].resolved == NULL)
			continue;
		imap_seqset_resolve(&set, 10, a, &res);
		buf_init(&o, 0);
		dump_set(&o, &res);
		buf_append(&o, "", 1);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&o), cases[i].resolved);
		buf_deinit(&o);
	}
	{
		struct imap_seqset set, res;

		imap_seqset_parse("1:3,7,9:10,20", 13, a, &set);
		imap_seqset_resolve(&set, 99, a, &res);
		TEST_ASSERT(imap_seqset_contains(&res, 1));
		TEST_ASSERT(imap_seqset_contains(&res, 3));
		TEST_ASSERT(!imap_seqset_contains(&res, 4));
		TEST_ASSERT(imap_seqset_contains(&res, 7));
		TEST_ASSERT(!imap_seqset_contains(&res, 8));
		TEST_ASSERT(imap_seqset_contains(&res, 10));
		TEST_ASSERT(imap_seqset_contains(&res, 20));
		TEST_ASSERT(!imap_seqset_contains(&res, 21));
		TEST_ASSERT(!imap_seqset_contains(&res, 0));
	}
	arena_free(&a);
}

static void
test_utf7(void)
{
	static const struct {
		const char *utf7, *utf8;
	} good[] = {
	    {"INBOX", "INBOX"},
	    {"&-", "&"},
	    {"a&-b", "a&b"},
	    /* RFC 3501 5.1.3 example */
	    {"~peter/mail/&U,BTFw-/&ZeVnLIqe-",
	     "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	     "\xe8\xaa\x9e"},
	    {"&AOk-t&AOk-", "\xc3\xa9t\xc3\xa9"},
	    {"&AOkA6Q-", "\xc3\xa9\xc3\xa9"},
	    {"&2D3eAA-", "\xf0\x9f\x98\x80"}, /* U+1F600 (surrogate pair) */
	    {"Entw&APw-rfe", "Entw\xc3\xbc" "rfe"},
	    {"", ""},
	};
	static const char *const bad[] = {
	    "&",        "&AOk",     "&AOk-&AOk-", "&AGE-",   "&AAA-",
	    "&2D0-",    "&3gA-",    "&2D3YPQ-",   "&AO-",    "&AOl-",
	    "&A/k-",    "a\x80",    "tab\there",  "&=-",     "&AOkA-",
	};
	static const char *const bad8[] = {"\xff", "\xc3", "\xed\xa0\x80",
					   "a\x01", "\xc2\x80", "\x7f"};
	struct arena *a = arena_new("test", 1024);
	const char *err;
	size_t i, len;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char *d, *e;

		test_begin(good[i].utf7);
		d = imap_utf7_decode(good[i].utf7, strlen(good[i].utf7), a,
				     &len, &err);
		TEST_ASSERT_STREQ(d, good[i].utf8);
		TEST_ASSERT_INTEQ(len, strlen(good[i].utf8));
		e = imap_utf7_encode(good[i].utf8, strlen(good[i].utf8), a, &err);
		TEST_ASSERT_STREQ(e, good[i].utf7);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test_begin(bad[i]);
		err = NULL;
		TEST_ASSERT(imap_utf7_decode(bad[i], strlen(bad[i]), a, NULL,
					     &err) == NULL);
		TEST_ASSERT(err != NULL);
	}
	for (i = 0; i < sizeof(bad8) / sizeof(bad8[0]); i++) {
		test_begin(bad8[i]);
		TEST_ASSERT(imap_utf7_encode(bad8[i], strlen(bad8[i]), a,
					     &err) == NULL);
	}
	/* Every BMP character and a sample of astral ones round-trip. */
	test_begin("round trip");
	for (i = 0xa0; i < 0x110000; i += (i < 0x10000 ? 1 : 97)) {
		char u[5], *e, *d;
		size_t n;

		if (i >= 0xd800 && i <= 0xdfff)
			continue;
		if (i < 0x800) {
			u[0] = (char)(0xc0 | (i >> 6));
			u[1] = (char)(0x80 | (i & 0x3f));
			n = 2;
		} else if (i < 0x10000) {
			u[0] = (char)(0xe0 | (i >> 12));
			u[1] = (char)(0x80 | ((i >> 6) & 0x3f));
			u[2] = (char)(0x80 | (i & 0x3f));
			n = 3;
		} else {
			u[0] = (char)(0xf0 | (i >> 18));
			u[1] = (char)(0x80 | ((i >> 12) & 0x3f));
			u[2] = (char)(0x80 | ((i >> 6) & 0x3f));
			u[3] = (char)(0x80 | (i & 0x3f));
			n = 4;
		}
		e = imap_utf7_encode(u, n, a, &err);
		d = e ? imap_utf7_decode(e, strlen(e), a, &len, &err) : NULL;
		if (d == NULL || len != n || memcmp(d, u, n) != 0) {
			TEST_ASSERT(d != NULL && len == n && memcmp(d, u, n) == 0);
			break;
		}
		if ((i & 0xfff) == 0)
			arena_reset(a);
	}
	arena_free(&a);
}

static void
test_fetch(void)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: BAD */
	} cases[] = {
	    {"a FETCH 1 ALL", "1 2 5 0"},
	    {"a FETCH 1 FAST", "1 2 5"},
	    {"a FETCH 1 full", "1 2 5 0 7"},
	    {"a FETCH 1:* (FLAGS UID MODSEQ rfc822.size)", "1 9 13 5"},
	    {"a FETCH 1 (ENVELOPE BODYSTRUCTURE BODY RFC822 RFC822.HEADER "
	     "RFC822.TEXT INTERNALDATE)", "0 8 7 3 4 6 2"},
	    {"a FETCH 1 BODY[]", "10[]"},
	    {"a FETCH 1 BODY.PEEK[]<0.2048>", "10p[]<0.2048>"},
	    {"a FETCH 1 BODY[1.2.3]", "10[1.2.3]"},
	    {"a FETCH 1 BODY[HEADER]", "10[H]"},
	    {"a FETCH 1 BODY[2.TEXT]", "10[2.T]"},
	    {"a FETCH 1 BODY[2.MIME]", "10[2.M]"},
	    {"a FETCH 1 (BODY[HEADER.FIELDS (DATE FROM)])", "10[F:DATE,FROM]"},
	    {"a FETCH 1 BODY[1.HEADER.FIELDS.NOT (\"X-A\" {1+}\r\nB)]",
	     "10[1.N:X-A,B]"},
	    {"a FETCH 1 BINARY[1.2]<0.5>", "11[1.2]<0.5>"},
	    {"a FETCH 1 BINARY.PEEK[]", "11p[]"},
	    {"a FETCH 1 BINARY.SIZE[3]", "12[3]"},
	    {"a FETCH 1 (FLAGS) (CHANGEDSINCE 12345)", "1 cs=12345"},
	    {"a UID FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)", "1 cs=1 v"},
	    {"a FETCH 1 (FLAGS) (CHANGEDSINCE 1 VANISHED)", NULL},
	    {"a FETCH 1 (FLAGS) (VANISHED)", NULL},
	    {"a FETCH 1 (FLAGS) (CHANGEDSINCE 0)", NULL},
	    {"a FETCH 1 (FLAGS) (CHANGEDSINCE 1 CHANGEDSINCE 2)", NULL},
	    {"a FETCH 1 (FLAGS) ()", NULL},
	    {"a FETCH 1 (FLAGS) (X)", NULL},
	    {"a FETCH 1 FLAGS (CHANGEDSINCE 1) x", NULL},
	    {"a FETCH 1 ()", NULL},
	    {"a FETCH 1", NULL},
	    {"a FETCH x FLAGS", NULL},
	    {"a FETCH 1 (ALL)", NULL},
	    {"a FETCH 1 BOGUS", NULL},
	    {"a FETCH 1 \"FLAGS\"", NULL},
	    {"a FETCH 1 BODY.PEEK", NULL},
	    {"a FETCH 1 BODY[0]", NULL},
	    {"a FETCH 1 BODY[1.]", NULL},
	    {"a FETCH 1 BODY[MIME]", NULL},
	    {"a FETCH 1 BODY[1MIME]", NULL},
	    {"a FETCH 1 BODY[HEADER.FIELDS]", NULL},
	    {"a FETCH 1 BODY[HEADER.FIELDS ()]", NULL},
	    {"a FETCH 1 BODY[HEADER.FIELDS (\"\")]", NULL},
	    {"a FETCH 1 BODY[HEADER (A)]", NULL},
	    {"a FETCH 1 BODY[1 2]", NULL},
	    {"a FETCH 1 BODY[TEXT]<1.0>", NULL},
	    {"a FETCH 1 BODY[TEXT]<1>", NULL},
	    {"a FETCH 1 BODY[TEXT]<a.1>", NULL},
	    {"a FETCH 1 BODY[TEXT]x", NULL},
	    {"a FETCH 1 BINARY[HEADER]", NULL},
	    {"a FETCH 1 BINARY.SIZE[1]<0.1>", NULL},
	};
	size_t i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[512];
		struct imap_cmd *cmd;
		struct imap_fetch f;
		const struct imap_fetch_att *att;
		const char *err = NULL;
		struct buf o;
		int rc;

		test_begin(cases[i].in);
		snprintf(line, sizeof(line), "%s\r\n", cases[i].in);
		if ((cmd = parse(line)) == NULL)
			continue;
		rc = imap_fetch_parse(cmd, &f, &err);
		TEST_ASSERT_INTEQ(rc, cases[i].out ? 0 : -1);
		if (rc < 0) {
			TEST_ASSERT(err != NULL);
			imap_cmd_free(&cmd);
			continue;
		}
		buf_init(&o, 0);
		for (att = f.atts; att != NULL; att = att->next) {
			buf_printf(&o, "%s%d", att == f.atts ? "" : " ",
				   (int)att->item);
			if (att->item < IMAP_FETCH_BODY_SECTION ||
			    att->item == IMAP_FETCH_MODSEQ)
				continue;
			buf_printf(&o, "%s[", att->peek ? "p" : "");
			for (k = 0; k < att->nparts; k++)
				buf_printf(&o, "%s%u", k ? "." : "", att->part[k]);
			if (att->text != IMAP_SECTION_NONE)
				buf_printf(&o, "%s%c", att->nparts ? "." : "",
					   "-HFNTM"[att->text]);
			for (k = 0; k < att->nfields; k++)
				buf_printf(&o, "%c%s", k ? ',' : ':',
					   att->fields[k]);
			buf_printf(&o, "]");
			if (att->partial)
				buf_printf(&o, "<%llu.%llu>",
					   (unsigned long long)att->offset,
					   (unsigned long long)att->length);
		}
		if (f.changedsince_given)
			buf_printf(&o, " cs=%llu",
				   (unsigned long long)f.changedsince);
		if (f.vanished)
			buf_printf(&o, " v");
		buf_append(&o, "", 1);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&o), cases[i].out);
		TEST_ASSERT_INTEQ(f.set.n, 1);
		buf_deinit(&o);
		imap_cmd_free(&cmd);
	}
}

/* Print a search key tree in a prefix form. */
static void
dump_key(struct buf *o, const struct imap_search_key *k)
{
	const struct imap_search_key *c;

	switch (k->op) {
	case IMAP_SK_ALL:
		buf_printf(o, "ALL");
		break;
	case IMAP_SK_AND:
	case IMAP_SK_OR:
	case IMAP_SK_NOT:
		buf_printf(o, "%s(", k->op == IMAP_SK_AND  ? "AND"
				     : k->op == IMAP_SK_OR ? "OR"
							   : "NOT");
		for (c = k->child; c != NULL; c = c->next) {
			dump_key(o, c);
			if (c->next)
				buf_printf(o, " ");
		}
		buf_printf(o, ")");
		break;
	case IMAP_SK_SEQSET:
	case IMAP_SK_UID:
		buf_printf(o, "%s", k->op == IMAP_SK_UID ? "UID:" : "SEQ:");
		dump_set(o, &k->set);
		break;
	case IMAP_SK_FLAG:
		buf_printf(o, "FLAG:%s", k->str);
		break;
	case IMAP_SK_HEADER:
		buf_printf(o, "H:%s=%s", k->field, k->str);
		break;
	case IMAP_SK_BODY:
	case IMAP_SK_TEXT:
		buf_printf(o, "%s:%s", k->op == IMAP_SK_BODY ? "BODY" : "TEXT",
			   k->str);
		break;
	case IMAP_SK_DATE:
		buf_printf(o, "%s%d:%d", k->sent ? "SENT" : "DATE", k->cmp,
			   (int)k->day);
		break;
	case IMAP_SK_SIZE:
		buf_printf(o, "SIZE%d:%llu", k->cmp,
			   (unsigned long long)k->num);
		break;
	case IMAP_SK_MODSEQ:
	case IMAP_SK_OLDER:
	case IMAP_SK_YOUNGER:
		buf_printf(o, "%s:%llu",
			   k->op == IMAP_SK_MODSEQ  ? "MODSEQ"
			   : k->op == IMAP_SK_OLDER ? "OLDER"
						    : "YOUNGER",
			   (unsigned long long)k->num);
		break;
	}
}

static void
test_search(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    /* RFC 9051 6.4.4 examples */
	    {"a SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"",
	     "AND(FLAG:\\Flagged DATE1:8797 NOT(H:From=Smith))"},
	    {"a SEARCH TEXT \"string not in mailbox\"",
	     "AND(TEXT:string not in mailbox)"},
	    {"a SEARCH CHARSET UTF-8 TEXT {13+}\r\n\xd0\xbd\xd0\xb5 \xd1\x82\xd0\xb0\xd0\xba\xd0\xbe",
	     "c=UTF-8 AND(TEXT:\xd0\xbd\xd0\xb5 \xd1\x82\xd0\xb0\xd0\xba\xd0\xbe)"},
	    {"a SEARCH RETURN (MIN COUNT) FLAGGED", "r=9 AND(FLAG:\\Flagged)"},
	    {"a SEARCH RETURN () ALL", "r=4 AND(ALL)"},
	    {"a SEARCH RETURN (SAVE) UID 1:5", "r=16 AND(UID:1:5)"},
	    {"a SEARCH $ UID $", "AND(SEQ:$ UID:$)"},
	    {"a SEARCH 1:3,* OR SEEN (DELETED ANSWERED)",
	     "AND(SEQ:1:3,0:0 OR(FLAG:\\Seen AND(FLAG:\\Deleted FLAG:\\Answered)))"},
	    {"a SEARCH UNSEEN UNDELETED UNDRAFT UNFLAGGED UNANSWERED",
	     "AND(NOT(FLAG:\\Seen) NOT(FLAG:\\Deleted) NOT(FLAG:\\Draft) "
	     "NOT(FLAG:\\Flagged) NOT(FLAG:\\Answered))"},
	    {"a SEARCH NEW OLD RECENT DRAFT",
	     "AND(AND(FLAG:\\Recent NOT(FLAG:\\Seen)) NOT(FLAG:\\Recent) "
	     "FLAG:\\Recent FLAG:\\Draft)"},
	    {"a SEARCH KEYWORD $Junk UNKEYWORD foo",
	     "AND(FLAG:$Junk NOT(FLAG:foo))"},
	    {"a SEARCH BCC a CC b TO c SUBJECT \"\" BODY e HEADER X-Y z",
	     "AND(H:Bcc=a H:Cc=b H:To=c H:Subject= BODY:e H:X-Y=z)"},
	    {"a SEARCH BEFORE 01-Jan-1970 ON \"29-feb-2000\" SENTBEFORE 2-Jan-1970"
	     " SENTON 1-Jan-1970 SENTSINCE 31-Dec-1969",
	     "AND(DATE-1:0 DATE0:11016 SENT-1:1 SENT0:0 SENT1:-1)"},
	    {"a SEARCH LARGER 100 SMALLER 9223372036854775807",
	     "AND(SIZE1:100 SIZE-1:9223372036854775807)"},
	    {"a SEARCH MODSEQ 5 MODSEQ \"/flags/\\\\draft\" all 620162338",
	     "AND(MODSEQ:5 MODSEQ:620162338)"},
	    {"a SEARCH OLDER 3600 YOUNGER 60", "AND(OLDER:3600 YOUNGER:60)"},
	    {"a SEARCH NOT NOT ALL", "AND(NOT(NOT(ALL)))"},
	    {"a SEARCH ((ALL))", "AND(AND(AND(ALL)))"},
	    {"a SEARCH", NULL},
	    {"a SEARCH CHARSET", NULL},
	    {"a SEARCH CHARSET UTF-8", NULL},
	    {"a SEARCH RETURN (FOO) ALL", NULL},
	    {"a SEARCH RETURN ALL", NULL},
	    {"a SEARCH FROM", NULL},
	    {"a SEARCH HEADER X", NULL},
	    {"a SEARCH SINCE 30-Feb-2000", NULL},
	    {"a SEARCH SINCE 1-Foo-2000", NULL},
	    {"a SEARCH SINCE 001-Jan-2000", NULL},
	    {"a SEARCH SINCE 1-Jan-99", NULL},
	    {"a SEARCH LARGER x", NULL},
	    {"a SEARCH LARGER -1", NULL},
	    {"a SEARCH OLDER 0", NULL},
	    {"a SEARCH OR ALL", NULL},
	    {"a SEARCH NOT", NULL},
	    {"a SEARCH ()", NULL},
	    {"a SEARCH KEYWORD \\Seen", NULL},
	    {"a SEARCH UID x", NULL},
	    {"a SEARCH BOGUS", NULL},
	    {"a SEARCH \"ALL\"", NULL},
	    {"a SEARCH MODSEQ \"/x\" all 1", NULL},
	    {"a SEARCH MODSEQ \"/flags/x\" some 1", NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[512];
		struct imap_cmd *cmd;
		struct imap_search s;
		const char *err = NULL;
		struct buf o;
		int rc;

		test_begin(cases[i].in);
		snprintf(line, sizeof(line), "%s\r\n", cases[i].in);
		if ((cmd = parse(line)) == NULL)
			continue;
		rc = imap_search_parse(cmd, &s, &err);
		TEST_ASSERT_INTEQ(rc, cases[i].out ? 0 : -1);
		if (rc == 0) {
			buf_init(&o, 0);
			if (s.charset)
				buf_printf(&o, "c=%s ", s.charset);
			if (s.ret_given)
				buf_printf(&o, "r=%u ", s.ret);
			dump_key(&o, s.root);
			buf_append(&o, "", 1);
			TEST_ASSERT_STREQ((const char *)buf_rptr(&o),
					  cases[i].out);
			buf_deinit(&o);
		} else {
			TEST_ASSERT(err != NULL);
		}
		imap_cmd_free(&cmd);
	}
}

static void
test_search_depth(void)
{
	struct buf line;
	struct imap_cmd *cmd;
	struct imap_search s;
	const char *err;
	int i, n;

	for (n = 60; n <= 70; n += 10) {
		test_begin(n == 60 ? "NOT x 60" : "NOT x 70");
		buf_init(&line, 0);
		buf_printf(&line, "a SEARCH");
		for (i = 0; i < n; i++)
			buf_printf(&line, " NOT");
		buf_printf(&line, " ALL\r\n");
		buf_append(&line, "", 1);
		cmd = parse((const char *)buf_rptr(&line));
		TEST_ASSERT_INTEQ(imap_search_parse(cmd, &s, &err),
				  n < IMAP_SEARCH_DEPTH_MAX ? 0 : -1);
		imap_cmd_free(&cmd);
		buf_deinit(&line);
	}
}

static void
test_sort_thread(void)
{
	struct imap_cmd *cmd;
	struct imap_sort s;
	struct imap_thread t;
	const char *err;

	test_begin("sort");
	cmd = parse("a UID SORT (REVERSE ARRIVAL size REVERSE DISPLAYFROM) "
		    "UTF-8 ALL\r\n");
	TEST_ASSERT_INTEQ(imap_search_parse_sort(cmd, &s, &err), 0);
	TEST_ASSERT_INTEQ(s.ncrit, 3);
	TEST_ASSERT(s.crit[0].key == IMAP_SORT_ARRIVAL && s.crit[0].reverse);
	TEST_ASSERT(s.crit[1].key == IMAP_SORT_SIZE && !s.crit[1].reverse);
	TEST_ASSERT(s.crit[2].key == IMAP_SORT_DISPLAYFROM && s.crit[2].reverse);
	TEST_ASSERT_STREQ(s.charset, "UTF-8");
	imap_cmd_free(&cmd);
	cmd = parse("a SORT (REVERSE) UTF-8 ALL\r\n");
	TEST_ASSERT_INTEQ(imap_search_parse_sort(cmd, &s, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a SORT (DATE) ALL\r\n");
	TEST_ASSERT_INTEQ(imap_search_parse_sort(cmd, &s, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a SORT DATE UTF-8 ALL\r\n");
	TEST_ASSERT_INTEQ(imap_search_parse_sort(cmd, &s, &err), -1);
	imap_cmd_free(&cmd);
	test_begin("thread");
	cmd = parse("a THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n");
	TEST_ASSERT_INTEQ(imap_search_parse_thread(cmd, &t, &err), 0);
	TEST_ASSERT_STREQ(t.algorithm, "ORDEREDSUBJECT");
	TEST_ASSERT_INTEQ(t.root->child->op, IMAP_SK_DATE);
	imap_cmd_free(&cmd);
	cmd = parse("a THREAD \"X\" UTF-8 ALL\r\n");
	TEST_ASSERT_INTEQ(imap_search_parse_thread(cmd, &t, &err), -1);
	imap_cmd_free(&cmd);
}

static void
test_store(void)
{
	struct imap_cmd *cmd;
	struct imap_store s;
	const char *err;

	test_begin("store");
	cmd = parse("a STORE 2:4 +FLAGS (\\deleted $Junk)\r\n");
	TEST_ASSERT_INTEQ(imap_args_store(cmd, &s, &err), 0);
	TEST_ASSERT_INTEQ(s.mode, 1);
	TEST_ASSERT(!s.silent);
	TEST_ASSERT_INTEQ(s.flags.n, 2);
	TEST_ASSERT_STREQ(s.flags.flag[0], "\\Deleted");
	TEST_ASSERT_STREQ(s.flags.flag[1], "$Junk");
	imap_cmd_free(&cmd);
	cmd = parse("a UID STORE 1 (UNCHANGEDSINCE 12) -flags.silent \\Seen "
		    "\\Answered\r\n");
	TEST_ASSERT_INTEQ(imap_args_store(cmd, &s, &err), 0);
	TEST_ASSERT_INTEQ(s.mode, -1);
	TEST_ASSERT(s.silent && s.unchangedsince_given);
	TEST_ASSERT_INTEQ(s.unchangedsince, 12);
	TEST_ASSERT_INTEQ(s.flags.n, 2);
	imap_cmd_free(&cmd);
	cmd = parse("a STORE 1 FLAGS ()\r\n");
	TEST_ASSERT_INTEQ(imap_args_store(cmd, &s, &err), 0);
	TEST_ASSERT_INTEQ(s.flags.n, 0);
	imap_cmd_free(&cmd);
	{
		static const char *const bad[] = {
		    "a STORE 1 FLAGS (\\Recent)\r\n",
		    "a STORE 1 FLAGS (\\Bogus)\r\n",
		    "a STORE 1 FLAGS (a%)\r\n",
		    "a STORE 1 FLAGS (\"x\")\r\n",
		    "a STORE 1 FLAGS (x) y\r\n",
		    "a STORE 1 *FLAGS x\r\n",
		    "a STORE 1 +FLAGS.LOUD x\r\n",
		    "a STORE 1 FLAGS\r\n",
		    "a STORE 0 FLAGS x\r\n",
		    "a STORE 1 (UNCHANGEDSINCE x) FLAGS x\r\n",
		    "a STORE 1 (CHANGEDSINCE 1) FLAGS x\r\n",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			test_begin(bad[i]);
			cmd = parse(bad[i]);
			TEST_ASSERT_INTEQ(imap_args_store(cmd, &s, &err), -1);
			imap_cmd_free(&cmd);
		}
	}
}

static void
test_mailbox_cmds(void)
{
	struct imap_cmd *cmd;
	struct imap_seqset set;
	const char *err, *a, *b;
	unsigned items;

	test_begin("mailboxes");
	cmd = parse("a SELECT inbox\r\n");
	{
		struct imap_select s;

		TEST_ASSERT_INTEQ(imap_args_select(cmd, false, &s, &err), 0);
		TEST_ASSERT_STREQ(s.mailbox, "INBOX");
		imap_cmd_free(&cmd);
		cmd = parse("a SELECT INBOX (QRESYNC (67890007 20050715194045000 "
			    "41,43:211,214:541) CONDSTORE)\r\n");
		TEST_ASSERT_INTEQ(imap_args_select(cmd, false, &s, &err), 0);
		TEST_ASSERT(s.qresync && s.condstore && s.has_known_uids);
		TEST_ASSERT_INTEQ(s.uidvalidity, 67890007);
		TEST_ASSERT(s.modseq == 20050715194045000ull);
		TEST_ASSERT_INTEQ(s.known_uids.n, 3);
		imap_cmd_free(&cmd);
		cmd = parse("a EXAMINE x (QRESYNC (1 2 1:5 (1:2 3:4)))\r\n");
		TEST_ASSERT_INTEQ(imap_args_select(cmd, false, &s, &err), 0);
		TEST_ASSERT(s.has_seq_match && s.match_uids.r[0].lo == 3);
		imap_cmd_free(&cmd);
		cmd = parse("a SELECT x (QRESYNC (1 2 (1:2 3:4)))\r\n");
		TEST_ASSERT_INTEQ(imap_args_select(cmd, false, &s, &err), 0);
		TEST_ASSERT(s.has_seq_match && !s.has_known_uids);
		imap_cmd_free(&cmd);
		cmd = parse("a SELECT x (QRESYNC (0 2))\r\n");
		TEST_ASSERT_INTEQ(imap_args_select(cmd, false, &s, &err), -1);
		imap_cmd_free(&cmd);
		cmd = parse("a SELECT x (FOO)\r\n");
		TEST_ASSERT_INTEQ(imap_args_select(cmd, false, &s, &err), -1);
		imap_cmd_free(&cmd);
		cmd = parse("a SELECT (x)\r\n");
		TEST_ASSERT_INTEQ(imap_args_select(cmd, false, &s, &err), -1);
		imap_cmd_free(&cmd);
	}
	cmd = parse("a CREATE \"Entw&APw-rfe\"\r\n");
	TEST_ASSERT_INTEQ(imap_args_one_mailbox(cmd, false, &a, &err), 0);
	TEST_ASSERT_STREQ(a, "Entw\xc3\xbcrfe");
	/* with UTF8=ACCEPT the name is taken as sent */
	TEST_ASSERT_INTEQ(imap_args_one_mailbox(cmd, true, &a, &err), 0);
	TEST_ASSERT_STREQ(a, "Entw&APw-rfe");
	imap_cmd_free(&cmd);
	cmd = parse("a CREATE \"caf\xc3\xa9\"\r\n");
	TEST_ASSERT_INTEQ(imap_args_one_mailbox(cmd, false, &a, &err), -1);
	TEST_ASSERT_INTEQ(imap_args_one_mailbox(cmd, true, &a, &err), 0);
	imap_cmd_free(&cmd);
	cmd = parse("a CREATE \"&AOk\"\r\n");
	TEST_ASSERT_INTEQ(imap_args_one_mailbox(cmd, false, &a, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a DELETE a b\r\n");
	TEST_ASSERT_INTEQ(imap_args_one_mailbox(cmd, false, &a, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a RENAME InBoX {3+}\r\nold\r\n");
	TEST_ASSERT_INTEQ(imap_args_rename(cmd, false, &a, &b, &err), 0);
	TEST_ASSERT_STREQ(a, "INBOX");
	TEST_ASSERT_STREQ(b, "old");
	imap_cmd_free(&cmd);
	cmd = parse("a UID COPY 1:* \"INBOX.x\"\r\n");
	TEST_ASSERT_INTEQ(imap_args_copy(cmd, false, &set, &a, &err), 0);
	TEST_ASSERT_STREQ(a, "INBOX.x");
	TEST_ASSERT_INTEQ(set.r[0].hi, 0);
	imap_cmd_free(&cmd);
	cmd = parse("a MOVE x y\r\n");
	TEST_ASSERT_INTEQ(imap_args_copy(cmd, false, &set, &a, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a UID EXPUNGE 4:7\r\n");
	TEST_ASSERT_INTEQ(imap_args_expunge(cmd, &set, &err), 0);
	TEST_ASSERT_INTEQ(set.n, 1);
	imap_cmd_free(&cmd);
	cmd = parse("a EXPUNGE 4:7\r\n");
	TEST_ASSERT_INTEQ(imap_args_expunge(cmd, &set, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a STATUS blurdybloop (UIDNEXT MESSAGES SIZE "
		    "HIGHESTMODSEQ deleted)\r\n");
	TEST_ASSERT_INTEQ(imap_args_status(cmd, false, &a, &items, &err), 0);
	TEST_ASSERT_INTEQ(items, IMAP_STATUS_UIDNEXT | IMAP_STATUS_MESSAGES |
				     IMAP_STATUS_SIZE |
				     IMAP_STATUS_HIGHESTMODSEQ |
				     IMAP_STATUS_DELETED);
	imap_cmd_free(&cmd);
	cmd = parse("a STATUS x ()\r\n");
	TEST_ASSERT_INTEQ(imap_args_status(cmd, false, &a, &items, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a STATUS x (FOO)\r\n");
	TEST_ASSERT_INTEQ(imap_args_status(cmd, false, &a, &items, &err), -1);
	imap_cmd_free(&cmd);
}

static void
test_list(void)
{
	struct imap_cmd *cmd;
	struct imap_list l;
	const char *err;

	test_begin("list");
	cmd = parse("a LIST \"\" %\r\n");
	TEST_ASSERT_INTEQ(imap_args_list(cmd, false, &l, &err), 0);
	TEST_ASSERT(!l.extended);
	TEST_ASSERT_STREQ(l.reference, "");
	TEST_ASSERT_INTEQ(l.npatterns, 1);
	TEST_ASSERT_STREQ(l.patterns[0], "%");
	imap_cmd_free(&cmd);
	cmd = parse("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"Entw&APw-*\" "
		    "INBOX/%) RETURN (CHILDREN STATUS (MESSAGES UNSEEN) "
		    "SPECIAL-USE)\r\n");
	TEST_ASSERT_INTEQ(imap_args_list(cmd, false, &l, &err), 0);
	TEST_ASSERT(l.extended);
	TEST_ASSERT_INTEQ(l.select, IMAP_LIST_SEL_SUBSCRIBED |
					IMAP_LIST_SEL_RECURSIVEMATCH);
	TEST_ASSERT_INTEQ(l.ret, IMAP_LIST_RET_CHILDREN | IMAP_LIST_RET_STATUS |
				     IMAP_LIST_RET_SPECIAL_USE);
	TEST_ASSERT_INTEQ(l.status_items,
			  IMAP_STATUS_MESSAGES | IMAP_STATUS_UNSEEN);
	TEST_ASSERT_INTEQ(l.npatterns, 2);
	TEST_ASSERT_STREQ(l.patterns[0], "Entw\xc3\xbc*");
	TEST_ASSERT_STREQ(l.patterns[1], "INBOX/%");
	imap_cmd_free(&cmd);
	cmd = parse("a LSUB \"#news.\" comp.mail.*\r\n");
	TEST_ASSERT_INTEQ(imap_args_list(cmd, false, &l, &err), 0);
	TEST_ASSERT_STREQ(l.patterns[0], "comp.mail.*");
	imap_cmd_free(&cmd);
	{
		static const char *const bad[] = {
		    "a LIST (RECURSIVEMATCH) \"\" %\r\n",
		    "a LIST (FOO) \"\" %\r\n",
		    "a LIST \"\"\r\n",
		    "a LIST \"\" ()\r\n",
		    "a LIST \"\" % RETURN\r\n",
		    "a LIST \"\" % RETURN (FOO)\r\n",
		    "a LIST \"\" % FOO (CHILDREN)\r\n",
		    "a LIST \"\" a]b%\\\\\r\n",
		    "a LSUB (SUBSCRIBED) \"\" %\r\n",
		    "a LSUB \"\" (%)\r\n",
		    "a LIST \"\" &Jjo\r\n",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct imap_parser p;
			struct buf in;

			test_begin(bad[i]);
			imap_parser_init(&p, NULL);
			buf_init(&in, 0);
			buf_append_str(&in, bad[i]);
			cmd = NULL;
			if (imap_parse_command(&p, &in, &cmd) == IMAP_PARSE_CMD)
				TEST_ASSERT_INTEQ(
				    imap_args_list(cmd, false, &l, &err), -1);
			imap_cmd_free(&cmd);
			buf_deinit(&in);
			imap_parser_deinit(&p);
		}
	}
}

static void
test_append(void)
{
	struct imap_cmd *cmd;
	struct imap_append ap;
	const char *err;
	int64_t t;
	int tz;

	test_begin("append");
	/* RFC 9051 6.3.12 example (flags, date-time, literal) */
	cmd = parse("A003 APPEND saved-messages (\\Seen) "
		    "\"17-Jul-1996 02:44:25 -0700\" {10+}\r\nDate: x\r\n\r\n");
	TEST_ASSERT_INTEQ(imap_args_append(cmd, false, &ap, &err), 0);
	TEST_ASSERT_STREQ(ap.mailbox, "saved-messages");
	TEST_ASSERT_INTEQ(ap.nmsgs, 1);
	TEST_ASSERT_INTEQ(ap.msgs->flags.n, 1);
	TEST_ASSERT(ap.msgs->has_date);
	TEST_ASSERT_INTEQ(ap.msgs->date, 837596665);
	TEST_ASSERT_INTEQ(ap.msgs->tz_minutes, -420);
	TEST_ASSERT_MEMEQ(ap.msgs->data, ap.msgs->len, "Date: x\r\n\r", 10);
	imap_cmd_free(&cmd);
	/* MULTIAPPEND, binary literal */
	cmd = parse("a APPEND x {1+}\r\na ~{2+}\r\nbc (\\Draft) {0+}\r\n\r\n");
	TEST_ASSERT_INTEQ(imap_args_append(cmd, false, &ap, &err), 0);
	TEST_ASSERT_INTEQ(ap.nmsgs, 3);
	TEST_ASSERT(!ap.msgs->has_date && ap.msgs->flags.n == 0);
	TEST_ASSERT(ap.msgs->next->binary);
	TEST_ASSERT_INTEQ(ap.msgs->next->next->flags.n, 1);
	imap_cmd_free(&cmd);
	{
		static const char *const bad[] = {
		    "a APPEND x\r\n",
		    "a APPEND x (\\Seen)\r\n",
		    "a APPEND x \"msg\"\r\n",
		    "a APPEND x (\\Recent) {1+}\r\na\r\n",
		    "a APPEND x \"31-Apr-1996 02:44:25 -0700\" {1+}\r\na\r\n",
		    "a APPEND x \"17-Jul-1996 02:44:25\" {1+}\r\na\r\n",
		    "a APPEND x {1+}\r\na b\r\n",
		    "a APPEND x \\Seen {1+}\r\na\r\n",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			test_begin(bad[i]);
			cmd = parse(bad[i]);
			TEST_ASSERT_INTEQ(imap_args_append(cmd, false, &ap, &err),
					  -1);
			imap_cmd_free(&cmd);
		}
	}
	test_begin("date-time");
	TEST_ASSERT_INTEQ(imap_args_date_time(" 1-Jan-1970 00:00:00 +0000", &t,
					      &tz), 0);
	TEST_ASSERT_INTEQ(t, 0);
	TEST_ASSERT_INTEQ(imap_args_date_time("01-jan-1970 01:00:00 +0100", &t,
					      &tz), 0);
	TEST_ASSERT_INTEQ(t, 0);
	TEST_ASSERT_INTEQ(tz, 60);
	TEST_ASSERT_INTEQ(imap_args_date_time("29-Feb-2000 23:59:60 -1259", &t,
					      &tz), 0);
	TEST_ASSERT_INTEQ(imap_args_date_time("29-Feb-1900 00:00:00 +0000", &t,
					      &tz), -1);
	TEST_ASSERT_INTEQ(imap_args_date_time("1-Jan-1970 00:00:00 +0000", &t,
					      &tz), -1);
	TEST_ASSERT_INTEQ(imap_args_date_time("01-Jan-1970 24:00:00 +0000", &t,
					      &tz), -1);
	TEST_ASSERT_INTEQ(imap_args_date_time("01-Jan-1970 00:60:00 +0000", &t,
					      &tz), -1);
	TEST_ASSERT_INTEQ(imap_args_date_time("01-Jan-1970 00:00:00 +0060", &t,
					      &tz), -1);
	TEST_ASSERT_INTEQ(imap_args_date_time("01-Jan-1970 00:00:00 0000 ", &t,
					      &tz), -1);
	TEST_ASSERT_INTEQ(imap_args_date_time("00-Jan-1970 00:00:00 +0000", &t,
					      &tz), -1);
}

static void
test_misc(void)
{
	struct imap_cmd *cmd;
	const char *err, *a, *b, **caps, **f, **v;
	size_t n;

	test_begin("login");
	cmd = parse("a LOGIN {4+}\r\nfred \"p\\\"w\"\r\n");
	TEST_ASSERT_INTEQ(imap_args_login(cmd, &a, &b, &err), 0);
	TEST_ASSERT_STREQ(a, "fred");
	TEST_ASSERT_STREQ(b, "p\"w");
	imap_cmd_free(&cmd);
	cmd = parse("a LOGIN fred\r\n");
	TEST_ASSERT_INTEQ(imap_args_login(cmd, &a, &b, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a LOGIN fred (x)\r\n");
	TEST_ASSERT_INTEQ(imap_args_login(cmd, &a, &b, &err), -1);
	imap_cmd_free(&cmd);
	test_begin("authenticate");
	cmd = parse("a AUTHENTICATE PLAIN\r\n");
	TEST_ASSERT_INTEQ(imap_args_authenticate(cmd, &a, &b, &err), 0);
	TEST_ASSERT_STREQ(a, "PLAIN");
	TEST_ASSERT(b == NULL);
	imap_cmd_free(&cmd);
	cmd = parse("a AUTHENTICATE PLAIN =\r\n");
	TEST_ASSERT_INTEQ(imap_args_authenticate(cmd, &a, &b, &err), 0);
	TEST_ASSERT_STREQ(b, "");
	imap_cmd_free(&cmd);
	cmd = parse("a AUTHENTICATE PLAIN AGZyZWQAcHc=\r\n");
	TEST_ASSERT_INTEQ(imap_args_authenticate(cmd, &a, &b, &err), 0);
	TEST_ASSERT_STREQ(b, "AGZyZWQAcHc=");
	imap_cmd_free(&cmd);
	cmd = parse("a AUTHENTICATE PLAIN AG=y\r\n");
	TEST_ASSERT_INTEQ(imap_args_authenticate(cmd, &a, &b, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a AUTHENTICATE PLAIN abc\r\n");
	TEST_ASSERT_INTEQ(imap_args_authenticate(cmd, &a, &b, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a AUTHENTICATE \"PLAIN\"\r\n");
	TEST_ASSERT_INTEQ(imap_args_authenticate(cmd, &a, &b, &err), -1);
	imap_cmd_free(&cmd);
	test_begin("enable");
	cmd = parse("a ENABLE CONDSTORE X-GOOD-IDEA\r\n");
	TEST_ASSERT_INTEQ(imap_args_enable(cmd, &caps, &n, &err), 0);
	TEST_ASSERT_INTEQ(n, 2);
	TEST_ASSERT_STREQ(caps[1], "X-GOOD-IDEA");
	imap_cmd_free(&cmd);
	cmd = parse("a ENABLE\r\n");
	TEST_ASSERT_INTEQ(imap_args_enable(cmd, &caps, &n, &err), -1);
	imap_cmd_free(&cmd);
	cmd = parse("a ENABLE \"x\"\r\n");
	TEST_ASSERT_INTEQ(imap_args_enable(cmd, &caps, &n, &err), -1);
	imap_cmd_free(&cmd);
	test_begin("id");
	cmd = parse("a ID (\"name\" \"sodr\" \"version\" NIL)\r\n");
	TEST_ASSERT_INTEQ(imap_args_id(cmd, &f, &v, &n, &err), 0);
	TEST_ASSERT_INTEQ(n, 2);
	TEST_ASSERT_STREQ(f[0], "name");
	TEST_ASSERT_STREQ(v[0], "sodr");
	TEST_ASSERT(v[1] == NULL);
	imap_cmd_free(&cmd);
	cmd = parse("a ID NIL\r\n");
	TEST_ASSERT_INTEQ(imap_args_id(cmd, &f, &v, &n, &err), 0);
	TEST_ASSERT_INTEQ(n, 0);
	imap_cmd_free(&cmd);
	{
		static const char *const bad[] = {
		    "a ID\r\n", "a ID ()\r\n", "a ID (\"a\")\r\n",
		    "a ID (NIL \"a\")\r\n", "a ID (a b)\r\n",
		    "a ID (\"0123456789012345678901234567890\" NIL)\r\n",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			test_begin(bad[i]);
			cmd = parse(bad[i]);
			TEST_ASSERT_INTEQ(imap_args_id(cmd, &f, &v, &n, &err), -1);
			imap_cmd_free(&cmd);
		}
	}
	test_begin("none");
	cmd = parse("a NOOP\r\n");
	TEST_ASSERT_INTEQ(imap_args_none(cmd, &err), 0);
	imap_cmd_free(&cmd);
	cmd = parse("a NOOP x\r\n");
	TEST_ASSERT_INTEQ(imap_args_none(cmd, &err), -1);
	imap_cmd_free(&cmd);
}

TEST_MAIN(test_seqset, test_utf7, test_fetch, test_search, test_search_depth,
	  test_sort_thread, test_store, test_mailbox_cmds, test_list,
	  test_append, test_misc)

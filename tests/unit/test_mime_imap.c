/* test_mime_imap.c: tests of the IMAP string / literal emitters. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "limits.h"
#include "mime/mime_imap.h"

struct imap_case {
	const char *in;
	size_t in_len; /* 0: strlen(in) */
	const char *out;
	size_t out_len; /* 0: strlen(out) */
};

static const struct imap_case imap_cases[] = {
    {"", 0, "\"\"", 0},
    {"abc", 0, "\"abc\"", 0},
    {"NIL", 0, "\"NIL\"", 0},
    {"two words", 0, "\"two words\"", 0},
    /* RFC 3501 9: quoted-specials are escaped */
    {"a\"b\\c", 0, "\"a\\\"b\\\\c\"", 0},
    {"\"", 0, "\"\\\"\"", 0},
    {"\\\\", 0, "\"\\\\\\\\\"", 0},
    /* other 7-bit controls are TEXT-CHARs */
    {"a\tb\x01\x7f", 0, "\"a\tb\x01\x7f\"", 0},
    /* NUL is no CHAR: it is dropped */
    {"a\0b", 3, "\"ab\"", 0},
    {"\0", 1, "\"\"", 0},
    {"\"\0\\", 3, "\"\\\"\\\\\"", 0},
    /* 8-bit, CR or LF: a literal, sent unescaped */
    {"caf\xc3\xa9", 0, "{5}\r\ncaf\xc3\xa9", 0},
    {"a\r\nb", 0, "{4}\r\na\r\nb", 0},
    {"a\rb", 0, "{3}\r\na\rb", 0},
    {"\n", 0, "{1}\r\n\n", 0},
    {"a\"\\\n", 0, "{4}\r\na\"\\\n", 0},
    {"a\0\xff", 3, "{2}\r\na\xff", 0},
    {"\0\x80\0", 3, "{1}\r\n\x80", 0},
};

static void
test_imap_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(imap_cases) / sizeof(imap_cases[0]); i++) {
		const struct imap_case *c = &imap_cases[i];
		size_t n = c->in_len > 0 ? c->in_len : strlen(c->in);
		size_t on = c->out_len > 0 ? c->out_len : strlen(c->out);
		struct buf b;

		test_begin(c->in);
		buf_init(&b, 0);
		buf_append(&b, "* ", 2); /* appends after what is there */
		mime_imap_string(&b, c->in, n);
		TEST_ASSERT_MEMEQ(buf_rptr(&b), 2, "* ", 2);
		TEST_ASSERT_MEMEQ(buf_rptr(&b) + 2, buf_len(&b) - 2, c->out,
				  on);
		buf_deinit(&b);
	}
}

/* Up to MIME_IMAP_QUOTED_MAX input bytes are quoted, longer ones sent as
   a literal. */
static void
test_imap_quoted_max(void)
{
	size_t n = MIME_IMAP_QUOTED_MAX;
	char *s = malloc(n + 1), head[32];
	struct buf b;
	int hl;

	test_begin("quoted max");
	memset(s, 'x', n + 1);
	buf_init(&b, 0);
	mime_imap_string(&b, s, n);
	TEST_ASSERT_INTEQ(buf_len(&b), n + 2);
	TEST_ASSERT(buf_rptr(&b)[0] == '"' && buf_rptr(&b)[n + 1] == '"');
	buf_reset(&b);
	mime_imap_string(&b, s, n + 1);
	hl = snprintf(head, sizeof(head), "{%zu}\r\n", n + 1);
	TEST_ASSERT_INTEQ(buf_len(&b), (size_t)hl + n + 1);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), (size_t)hl, head, (size_t)hl);
	TEST_ASSERT_MEMEQ(buf_rptr(&b) + hl, n + 1, s, n + 1);
	/* the count in the literal leaves out dropped NULs */
	buf_reset(&b);
	s[0] = '\0';
	mime_imap_string(&b, s, n + 1);
	hl = snprintf(head, sizeof(head), "{%zu}\r\n", n);
	TEST_ASSERT_INTEQ(buf_len(&b), (size_t)hl + n);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), (size_t)hl, head, (size_t)hl);
	buf_deinit(&b);
	free(s);
}

static void
test_imap_nstring(void)
{
	static char longname[300];
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	test_begin("nstring");
	mime_imap_nstring(&b, NULL);
	buf_append(&b, " ", 1);
	mime_imap_nstring(&b, "text");
	buf_append(&b, " ", 1);
	mime_imap_nstring(&b, "");
	buf_append(&b, "", 1);
	TEST_ASSERT_STREQ((const char *)buf_rptr(&b), "NIL \"text\" \"\"");

	/* RFC 3501 7.4.2 example style: ("TEXT" "PLAIN" ("CHARSET" ...)) */
	test_begin("nstring_upper");
	buf_reset(&b);
	mime_imap_nstring_upper(&b, NULL);
	buf_append(&b, " ", 1);
	mime_imap_nstring_upper(&b, "text");
	buf_append(&b, " ", 1);
	mime_imap_nstring_upper(&b, "x-Foo_bar.1+\"q\"");
	buf_append(&b, "", 1);
	TEST_ASSERT_STREQ((const char *)buf_rptr(&b),
			  "NIL \"TEXT\" \"X-FOO_BAR.1+\\\"Q\\\"\"");
	/* only ASCII letters change; 8-bit goes as a literal */
	buf_reset(&b);
	mime_imap_nstring_upper(&b, "caf\xc3\xa9");
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b), "{5}\r\nCAF\xc3\xa9", 10);
	/* longer than the stack copy */
	for (i = 0; i < sizeof(longname) - 1; i++)
		longname[i] = (char)('a' + i % 26);
	buf_reset(&b);
	mime_imap_nstring_upper(&b, longname);
	TEST_ASSERT_INTEQ(buf_len(&b), sizeof(longname) + 1);
	for (i = 0; i < sizeof(longname) - 1; i++)
		TEST_ASSERT_INTEQ(buf_rptr(&b)[i + 1], 'A' + i % 26);
	buf_deinit(&b);
}

/* Read back one IMAP string (RFC 3501 9 quoted / literal) from p[0..n)
   into out; returns the bytes used, 0 if malformed. */
static size_t
parse_imap_string(const uint8_t *p, size_t n, struct buf *out)
{
	size_t i = 1, len = 0;

	if (n == 0)
		return 0;
	if (p[0] == '"') {
		for (; i < n && p[i] != '"'; i++) {
			if (p[i] == '\\') {
				if (++i == n || (p[i] != '"' && p[i] != '\\'))
					return 0;
			} else if (p[i] == '\r' || p[i] == '\n' || p[i] == 0 ||
				   p[i] >= 0x80) {
				return 0;
			}
			buf_append(out, p + i, 1);
		}
		return i < n ? i + 1 : 0;
	}
	if (p[0] != '{')
		return 0;
	for (; i < n && p[i] >= '0' && p[i] <= '9'; i++)
		len = len * 10 + (p[i] - '0');
	if (i + 3 > n || memcmp(p + i, "}\r\n", 3) != 0 || n - i - 3 < len)
		return 0;
	i += 3;
	if (memchr(p + i, 0, len) != NULL)
		return 0;
	buf_append(out, p + i, len);
	return i + len;
}

/* Random bytes come back as they were, NULs left out. */
static void
test_imap_round_trip(void)
{
	static const char pick[] = "a\"\\ \0\r\n\x80\xff\x01";
	uint32_t seed = 4242;
	int round;

	test_begin("round trip");
	for (round = 0; round < 2000; round++) {
		char s[64], want[64];
		size_t n = test_rand(&seed) % sizeof(s), i, w = 0;
		bool ascii = test_rand(&seed) % 2;
		struct buf b, back;

		for (i = 0; i < n; i++) {
			s[i] = pick[test_rand(&seed) %
				    (ascii ? 4 : sizeof(pick) - 1)];
			if (s[i] != '\0')
				want[w++] = s[i];
		}
		buf_init(&b, 0);
		buf_init(&back, 0);
		mime_imap_string(&b, s, n);
		TEST_ASSERT_INTEQ(
		    parse_imap_string(buf_rptr(&b), buf_len(&b), &back),
		    buf_len(&b));
		if (w > 0)
			TEST_ASSERT_MEMEQ(buf_rptr(&back), buf_len(&back), want,
					  w);
		else
			TEST_ASSERT_INTEQ(buf_len(&back), 0);
		/* 7-bit text without CR/LF is always quoted */
		if (ascii)
			TEST_ASSERT_INTEQ(buf_rptr(&b)[0], '"');
		buf_deinit(&b);
		buf_deinit(&back);
	}
}

TEST_MAIN(test_imap_table, test_imap_quoted_max, test_imap_nstring,
	  test_imap_round_trip)

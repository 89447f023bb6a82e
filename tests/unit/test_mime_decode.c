/* test_mime_decode.c: tests of the MIME base64 / quoted-printable decoders,
   charset conversion and RFC 2047 encoded-word decoding. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <time.h>

#include "base64.h"
#include "buf.h"
#include "limits.h"
#include "mime/mime_decode.h"

enum dec_kind { DEC_B64, DEC_QP };

/* Run a streaming decoder over in[0..n): whole when step is 0 and seed
   NULL, every step bytes, or in random pieces (empty ones included)
   drawn from *seed.  The output is appended to out. */
static void
decode_split(enum dec_kind kind, const void *in, size_t n, size_t step,
	     uint32_t *seed, struct buf *out)
{
	const char *p = in;
	struct mime_b64 b;
	struct mime_qp q;
	size_t pos = 0;

	mime_b64_init(&b);
	mime_qp_init(&q);
	do {
		size_t len = n - pos;

		if (seed != NULL) {
			uint32_t r = test_rand(seed);

			/* mostly short pieces, now and then a long one */
			len = r % 8 == 0 ? r / 8 % (len + 1)
					 : r / 8 % (len < 16 ? len + 1 : 17);
		} else if (step > 0 && step < len) {
			len = step;
		}
		if (kind == DEC_B64)
			mime_b64_decode(&b, p + pos, len, out);
		else
			mime_qp_decode(&q, p + pos, len, out);
		pos += len;
	} while (pos < n);
	if (kind == DEC_B64)
		mime_b64_finish(&b, out);
	else
		mime_qp_finish(&q, out);
}

/* b holds exactly s[0..n) (an empty buf may have no memory at all). */
static void
expect_buf(const struct buf *b, const char *s, size_t n)
{
	if (buf_len(b) == 0 || n == 0)
		TEST_ASSERT_INTEQ(buf_len(b), n);
	else
		TEST_ASSERT_MEMEQ(buf_rptr(b), buf_len(b), s, n);
}

/* Decode whole, byte by byte and in random pieces; every result must
   equal expect[0..elen). */
static void
check_decode(enum dec_kind kind, const char *in, size_t n, const char *expect,
	     size_t elen)
{
	uint32_t seed = (uint32_t)n * 2654435761u + 1;
	struct buf out;
	int round;

	buf_init(&out, 0);
	decode_split(kind, in, n, 0, NULL, &out);
	expect_buf(&out, expect, elen);
	buf_reset(&out);
	decode_split(kind, in, n, 1, NULL, &out);
	expect_buf(&out, expect, elen);
	for (round = 0; round < 20; round++) {
		buf_reset(&out);
		decode_split(kind, in, n, 0, &seed, &out);
		expect_buf(&out, expect, elen);
	}
	buf_deinit(&out);
}

struct dec_case {
	const char *in;
	const char *out;
	size_t out_len; /* 0: strlen(out) */
	size_t in_len;  /* 0: strlen(in) */
};

static void
run_dec_cases(enum dec_kind kind, const struct dec_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct dec_case *c = &cases[i];

		test_begin(c->in);
		check_decode(kind, c->in,
			     c->in_len > 0 ? c->in_len : strlen(c->in), c->out,
			     c->out_len > 0 ? c->out_len : strlen(c->out));
	}
}

static const struct dec_case b64_cases[] = {
    /* RFC 4648 10 test vectors */
    {"", "", 0, 0},
    {"Zg==", "f", 0, 0},
    {"Zm8=", "fo", 0, 0},
    {"Zm9v", "foo", 0, 0},
    {"Zm9vYg==", "foob", 0, 0},
    {"Zm9vYmE=", "fooba", 0, 0},
    {"Zm9vYmFy", "foobar", 0, 0},
    /* RFC 2045 6.8: line breaks and other non-alphabet bytes are ignored */
    {"Zm9v\r\nYmFy\r\n", "foobar", 0, 0},
    {" Z m 9 v\tY m F y ", "foobar", 0, 0},
    {"Zm!9v#Ym$Fy*", "foobar", 0, 0},
    {"Zm9v\nYmFy", "foobar", 0, 0},
    /* missing padding: the partial quantum is flushed at the end */
    {"Zg", "f", 0, 0},
    {"Zm8", "fo", 0, 0},
    {"Zm9vYmE", "fooba", 0, 0},
    /* a lone sextet carries no whole byte */
    {"Z", "", 0, 0},
    {"Zm9vY", "foo", 0, 0},
    {"Zm9vY=", "foo", 0, 0},
    /* "=" ends a quantum: concatenated encodings decode */
    {"Zg==Zm8=Zm9v", "ffofoo", 0, 0},
    {"Zg=Zg=", "ff", 0, 0},
    {"Zm8=\r\nZg==\r\n", "fof", 0, 0},
    /* stray padding without a quantum does nothing */
    {"====", "", 0, 0},
    {"=Zm9v", "foo", 0, 0},
    /* all 64 values and binary output */
    {"/w==", "\xff", 0, 0},
    {"AAAA", "\0\0\0", 3, 0},
    {"AA==", "\0", 1, 0},
    {"+/+/", "\xfb\xff\xbf", 0, 0},
    {"////", "\xff\xff\xff", 0, 0},
    {"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",
     "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
     "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20",
     33, 0},
    /* URL-safe alphabet letters are not base64 (RFC 4648 5) */
    {"Zm-9_v", "foo", 0, 0},
    /* 8-bit garbage is skipped */
    {"Zm\xff\x80\x00"
     "9v",
     "foo", 0, 7},
};

static void
test_b64_table(void)
{
	run_dec_cases(DEC_B64, b64_cases,
		      sizeof(b64_cases) / sizeof(b64_cases[0]));
}

/* Random data, encoded with line breaks and noise, decodes to itself in
   any chunking. */
static void
test_b64_round_trip(void)
{
	uint32_t seed = 12345;
	int round;

	test_begin("b64 round trip");
	for (round = 0; round < 200; round++) {
		size_t n = test_rand(&seed) % 300, i, k;
		uint8_t data[300];
		char enc[BASE64_ENCODED_LEN(300) + 1];
		char noisy[2 * sizeof(enc)];
		size_t elen;

		for (i = 0; i < n; i++)
			data[i] = (uint8_t)test_rand(&seed);
		elen = base64_encode(data, n, enc);
		/* sprinkle CRLF, spaces and a non-alphabet byte */
		for (i = k = 0; i < elen; i++) {
			uint32_t r = test_rand(&seed) % 16;

			if (r == 0) {
				noisy[k++] = '\r';
				noisy[k++] = '\n';
			} else if (r == 1) {
				noisy[k++] = ' ';
			} else if (r == 2) {
				noisy[k++] = '\x80';
			}
			noisy[k++] = enc[i];
		}
		check_decode(DEC_B64, noisy, k, (const char *)data, n);
		/* without padding, too */
		while (elen > 0 && enc[elen - 1] == '=')
			elen--;
		check_decode(DEC_B64, enc, elen, (const char *)data, n);
	}
}

static const struct dec_case qp_cases[] = {
    {"", "", 0, 0},
    {"plain text", "plain text", 0, 0},
    /* RFC 2045 6.7 rule 1: "=XX" octets, upper or lower case hex */
    {"=3D", "=", 0, 0},
    {"caf=E9", "caf\xe9", 0, 0},
    {"caf=e9", "caf\xe9", 0, 0},
    {"=00=FF=7f", "\0\xff\x7f", 3, 0},
    /* rule 2: literal representation */
    {"a\tb c", "a\tb c", 0, 0},
    /* rule 3: trailing whitespace on a line is dropped */
    {"abc  \r\nx", "abc\r\nx", 0, 0},
    {"abc \t \nx", "abc\nx", 0, 0},
    {"abc  ", "abc", 0, 0},
    {"a  b", "a  b", 0, 0},
    {"a \r b", "a \r b", 0, 0},
    {"a \rb", "a \rb", 0, 0},
    {"a \r\r\nb", "a \r\r\nb", 0, 0},
    /* rule 4: line breaks are kept as they came */
    {"a\r\nb\nc\rd", "a\r\nb\nc\rd", 0, 0},
    /* rule 5: soft line breaks */
    {"a=\r\nb", "ab", 0, 0},
    {"a=\nb", "ab", 0, 0},
    {"a= \t\r\nb", "ab", 0, 0},
    {"a= \nb", "ab", 0, 0},
    {"a=\r\n", "a", 0, 0},
    {"Now's the time =\r\nfor all folk to come=\r\n to the aid of their "
     "country.",
     "Now's the time for all folk to come to the aid of their country.", 0, 0},
    /* invalid "=" sequences pass through literally */
    {"=", "=", 0, 0},
    {"a=", "a=", 0, 0},
    {"=4", "=4", 0, 0},
    {"=G1", "=G1", 0, 0},
    {"=4G", "=4G", 0, 0},
    {"=4=41", "=4A", 0, 0},
    {"==41", "=A", 0, 0},
    {"= x", "= x", 0, 0},
    {"= ", "= ", 0, 0},
    {"=  \tx", "=  \tx", 0, 0},
    {"=\rx", "=\rx", 0, 0},
    {"=\r", "=\r", 0, 0},
    {"= \r", "= \r", 0, 0},
    {"= \rx", "= \rx", 0, 0},
    {"a \r", "a \r", 0, 0},
    {"=\r=41", "=\rA", 0, 0},
    {"=4\r\n", "=4\r\n", 0, 0},
    /* 8-bit and control bytes pass through */
    {"\xc3\xa9\x01", "\xc3\xa9\x01", 0, 0},
};

static void
test_qp_table(void)
{
	run_dec_cases(DEC_QP, qp_cases, sizeof(qp_cases) / sizeof(qp_cases[0]));
}

/* A whitespace run longer than MIME_QP_WSP_MAX is partly data. */
static void
test_qp_long_whitespace(void)
{
	char in[200], expect[200];
	size_t n = 0, e = 0, i;

	test_begin("qp long whitespace");
	for (i = 0; i < MIME_QP_WSP_MAX + 10; i++)
		in[n++] = ' ';
	memcpy(in + n, "x\r\n", 3);
	n += 3;
	memcpy(expect, in, n);
	e = n;
	check_decode(DEC_QP, in, n, expect, e);
	/* before a line end only what was held back is dropped */
	n -= 3;
	memcpy(in + n - 1, "\r\n", 2);
	n++;
	for (e = 0; e < MIME_QP_WSP_MAX; e++)
		expect[e] = ' ';
	memcpy(expect + e, "\r\n", 2);
	e += 2;
	check_decode(DEC_QP, in, n, expect, e);
	/* after "=", a long run ends the soft break candidate */
	n = 0;
	in[n++] = '=';
	for (i = 0; i < MIME_QP_WSP_MAX + 5; i++)
		in[n++] = '\t';
	memcpy(in + n, "\r\n", 2);
	n += 2;
	e = 0;
	expect[e++] = '=';
	for (i = 0; i < MIME_QP_WSP_MAX; i++)
		expect[e++] = '\t';
	memcpy(expect + e, "\r\n", 2);
	e += 2;
	check_decode(DEC_QP, in, n, expect, e);
}

/* Random text over the bytes that matter to the decoder: every chunking
   gives the output of the whole input. */
static void
test_qp_split_invariance(void)
{
	static const char alphabet[] = "= \t\r\nA3dg\xff";
	uint32_t seed = 777;
	int round;

	test_begin("qp split invariance");
	for (round = 0; round < 500; round++) {
		char in[200];
		size_t n = test_rand(&seed) % sizeof(in), i;
		struct buf whole;

		for (i = 0; i < n; i++)
			in[i] =
			    alphabet[test_rand(&seed) % (sizeof(alphabet) - 1)];
		buf_init(&whole, 0);
		decode_split(DEC_QP, in, n, 0, NULL, &whole);
		/* never longer than the input */
		TEST_ASSERT(buf_len(&whole) <= n);
		check_decode(DEC_QP, in, n, (const char *)buf_rptr(&whole),
			     buf_len(&whole));
		buf_deinit(&whole);
	}
}

/* The decoder state can be reused after finish. */
static void
test_finish_resets(void)
{
	struct mime_b64 b;
	struct mime_qp q;
	struct buf out;

	test_begin("finish resets");
	buf_init(&out, 0);
	mime_b64_init(&b);
	mime_b64_decode(&b, "Zm9", 3, &out);
	mime_b64_finish(&b, &out);
	mime_b64_decode(&b, "Zg==", 4, &out);
	mime_b64_finish(&b, &out);
	expect_buf(&out, "fof", 3);
	buf_reset(&out);
	mime_qp_init(&q);
	mime_qp_decode(&q, "a=4", 3, &out);
	mime_qp_finish(&q, &out);
	mime_qp_decode(&q, "1=", 2, &out);
	mime_qp_finish(&q, &out);
	expect_buf(&out, "a=41=", 5);
	buf_deinit(&out);
}

struct cs_case {
	const char *charset;
	const char *in;
	size_t in_len; /* 0: strlen(in) */
	int rc;
	const char *out;
};

#define FFFD "\xef\xbf\xbd"

static const struct cs_case cs_cases[] = {
    {"utf-8", "caf\xc3\xa9", 0, 0, "caf\xc3\xa9"},
    {"UTF8", "\xf0\x9f\x98\x80", 0, 0, "\xf0\x9f\x98\x80"},
    {"us-ascii", "abc", 0, 0, "abc"},
    {"", "abc", 0, 0, "abc"},
    /* RFC 3629 3/4: invalid UTF-8, each bad byte one U+FFFD */
    {"utf-8", "a\xc0\x80z", 0, 0, "a" FFFD FFFD "z"},
    {"utf-8", "\xed\xa0\x80", 0, 0, FFFD FFFD FFFD},
    {"utf-8", "\xe0\x80\x80", 0, 0, FFFD FFFD FFFD},
    {"utf-8", "\xf0\x80\x80\x80", 0, 0, FFFD FFFD FFFD FFFD},
    {"utf-8", "\xf4\x90\x80\x80", 0, 0, FFFD FFFD FFFD FFFD},
    {"utf-8", "\xf5\x80", 0, 0, FFFD FFFD},
    {"utf-8", "\xe2\x82", 0, 0, FFFD FFFD},
    {"utf-8", "\xe2\x82\xac\xe2", 0, 0, "\xe2\x82\xac" FFFD},
    {"utf-8", "\xc3\x28", 0, 0, FFFD "("},
    {"us-ascii", "\x80", 0, 0, FFFD},
    {"ISO-8859-1", "caf\xe9", 0, 0, "caf\xc3\xa9"},
    {"latin1", "\xff\x80", 0, 0, "\xc3\xbf\xc2\x80"},
    {"iso_8859-1", "\xa0", 0, 0, "\xc2\xa0"},
    /* through iconv */
    {"windows-1252", "\x80", 0, 0, "\xe2\x82\xac"},
    {"KOI8-R", "\xf0\xd2\xc9\xd7\xc5\xd4", 0, 0,
     "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
    {"iso-2022-jp", "\x1b$BF|K\\\x1b(B", 0, 0, "\xe6\x97\xa5\xe6\x9c\xac"},
    {"utf-16le", "a\0b\0", 4, 0, "ab"},
    /* a truncated or invalid sequence becomes U+FFFD and decoding goes on */
    {"utf-16le", "a\0b", 3, 0, "a" FFFD},
    {"shift_jis", "a\x82", 0, 0, "a" FFFD},
    {"iso-8859-8", "\xed", 0, 0, "\xd7\x9d"},
    /* glibc's converters let code points past U+10FFFF through; the
       output is still valid UTF-8 */
    {"utf-;8", "a\xf4\x90\x80\x80", 0, 0, "a" FFFD FFFD FFFD FFFD},
    {"ucs-4be", "\0\x11\0\0\0\0\0a", 8, 0, FFFD FFFD FFFD FFFD "a"},
    /* unknown: nothing appended */
    {"x-no-such-charset", "abc", 0, -1, ""},
    {"utf-9", "abc", 0, -1, ""},
};

static void
test_charset_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cs_cases) / sizeof(cs_cases[0]); i++) {
		const struct cs_case *c = &cs_cases[i];
		size_t n = c->in_len > 0 ? c->in_len : strlen(c->in);
		struct buf out;

		test_begin(c->charset);
		buf_init(&out, 0);
		buf_append(&out, "<", 1);
		TEST_ASSERT_INTEQ(
		    mime_charset_to_utf8(c->charset, c->in, n, &out), c->rc);
		TEST_ASSERT_INTEQ(buf_rptr(&out)[0], '<');
		TEST_ASSERT_MEMEQ(buf_rptr(&out) + 1, buf_len(&out) - 1, c->out,
				  strlen(c->out));
		buf_deinit(&out);
	}
}

/* A long input through iconv grows the output several times. */
static void
test_charset_long(void)
{
	static char in[20000];
	struct buf out;
	size_t i;

	test_begin("charset long");
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(i % 2 ? 0xf0 : 'a');
	buf_init(&out, 0);
	TEST_ASSERT_INTEQ(mime_charset_to_utf8("koi8-r", in, sizeof(in), &out),
			  0);
	TEST_ASSERT_INTEQ(buf_len(&out), sizeof(in) / 2 * 3);
	TEST_ASSERT_MEMEQ(buf_rptr(&out) + buf_len(&out) - 3, 3, "a\xd0\x9f",
			  3);
	buf_deinit(&out);
}

struct w2047_case {
	const char *in;
	const char *out;
};

static const struct w2047_case w2047_cases[] = {
    /* RFC 2047 8 */
    {"=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>",
     "Keith Moore <moore@cs.utk.edu>"},
    {"=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>",
     "Keld J\xc3\xb8rn Simonsen <keld@dkuug.dk>"},
    {"=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>",
     "Andr\xc3\xa9 Pirard <PIRARD@vm1.ulg.ac.be>"},
    {"=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n "
     "=?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
     "If you can read this you understand the example."},
    {"=?ISO-8859-1?Q?Patrik_F=E4ltstr=F6m?= <paf@nada.kth.se>",
     "Patrik F\xc3\xa4ltstr\xc3\xb6m <paf@nada.kth.se>"},
    {"Nathaniel Borenstein <nsb@thumper.bellcore.com> "
     "(=?iso-8859-8?b?7eXs+SDv4SDp7Oj08A==?=)",
     "Nathaniel Borenstein <nsb@thumper.bellcore.com> "
     "(\xd7\x9d\xd7\x95\xd7\x9c\xd7\xa9 \xd7\x9f\xd7\x91 "
     "\xd7\x99\xd7\x9c\xd7\x98\xd7\xa4\xd7\xa0)"},
    {"(=?ISO-8859-1?Q?a?=)", "(a)"},
    {"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
    {"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
    {"(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)"},
    {"(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"},
    {"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
    {"(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)"},
    /* RFC 2231 5: language suffix */
    {"=?US-ASCII*EN?Q?Keith_Moore?= <moore@cs.utk.edu>",
     "Keith Moore <moore@cs.utk.edu>"},
    /* whitespace around words next to text stays */
    {"a =?utf-8?q?b?= c", "a b c"},
    {"a  =?utf-8?q?b?=\tc", "a  b\tc"},
    {"=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b"},
    /* lower-case encodings, no padding */
    {"=?utf-8?b?w6k?=", "\xc3\xa9"},
    {"=?UTF-8?B?w6k=?=", "\xc3\xa9"},
    /* a UTF-8 character split across two words survives the join */
    {"=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "\xc3\xa9"},
    {"=?utf-8?b?4oI=?= =?UTF-8?b?rA==?=", "\xe2\x82\xac"},
    /* ... but not across a change of charset */
    {"=?utf-8?q?=C3?= =?iso-8859-1?q?=E9?=", FFFD "\xc3\xa9"},
    /* a stateful charset over two words */
    {"=?iso-2022-jp?b?GyRCRnw=?= =?iso-2022-jp?b?S1wbKEI=?=",
     "\xe6\x97\xa5\xe6\x9c\xac"},
    /* a charset name only iconv knows */
    {"=?utf-;8?q?=F4=90=80=80?=", FFFD FFFD FFFD FFFD},
    /* invalid bytes in a word become U+FFFD */
    {"=?utf-8?q?a=FFb?=", "a" FFFD "b"},
    /* Q: "=" not followed by two hex digits stays */
    {"=?utf-8?q?a=4?=", "a=4"},
    {"=?utf-8?q?a=?=", "a="},
    /* unknown charset: kept as written, joining stops */
    {"=?x-unknown?q?a?= =?utf-8?q?b?=", "=?x-unknown?q?a?= b"},
    {"=?utf-8?q?a?= =?x-unknown?q?b?= =?utf-8?q?c?=", "a =?x-unknown?q?b?= c"},
    /* malformed words are copied */
    {"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
    {"=??q?abc?=", "=??q?abc?="},
    {"=?utf-8?q?abc", "=?utf-8?q?abc"},
    {"=?utf-8?q", "=?utf-8?q"},
    {"=?", "=?"},
    {"=?*en?q?a?=", "=?*en?q?a?="},
    {"=?ut f?q?a?=", "=?ut f?q?a?="},
    {"=?utf-8?qq?a?=", "=?utf-8?qq?a?="},
    {"=?a(b?q?x?=", "=?a(b?q?x?="},
    {"=?0123456789012345678901234567890123456789012345678901234567890123?q?"
     "x?=",
     "=?0123456789012345678901234567890123456789012345678901234567890123?q?"
     "x?="},
    /* a bad "=?" before a good word */
    {"=?=?utf-8?q?a?=", "=?a"},
    {"x=?utf-8?q?=41?=y", "xAy"},
    /* empty encoded text */
    {"=?utf-8?q?"
     "?=",
     ""},
    {"=?utf-8?b?"
     "?= b",
     " b"},
    /* raw 8-bit text (RFC 6532) passes when valid UTF-8 */
    {"caf\xc3\xa9 =?utf-8?q?ok?=", "caf\xc3\xa9 ok"},
    {"caf\xe9", "caf" FFFD},
    {"", ""},
    {"no words here", "no words here"},
};

static void
test_2047_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(w2047_cases) / sizeof(w2047_cases[0]); i++) {
		const struct w2047_case *c = &w2047_cases[i];
		struct buf out;

		test_begin(c->in);
		buf_init(&out, 0);
		mime_2047_decode(c->in, strlen(c->in), &out);
		expect_buf(&out, c->out, strlen(c->out));
		buf_deinit(&out);
	}
}

/* The input length bounds the work: a header full of unterminated or
   failing words is decoded in linear time (a header may be
   MIME_HEADER_BYTES_MAX long). */
static void
test_2047_linear(void)
{
	static const char *const units[] = {
	    "=?a?q? ",        "=?(?q? ",         "=?x?q?a",
	    "=?utf-8?q?a?=x", "=?koi8-r?q?a?=x", "=?x-bad?q?a?=x"};
	size_t n = MIME_HEADER_BYTES_MAX, u;

	for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		char *in = malloc(n);
		size_t ul = strlen(units[u]), i;
		struct buf out;
		clock_t t0 = clock();

		test_begin(units[u]);
		for (i = 0; i < n; i++)
			in[i] = units[u][i % ul];
		buf_init(&out, 0);
		mime_2047_decode(in, n, &out);
		TEST_ASSERT(buf_len(&out) > 0);
		/* quadratic work would take minutes */
		TEST_ASSERT((double)(clock() - t0) / CLOCKS_PER_SEC < 5.0);
		buf_deinit(&out);
		free(in);
	}
}

TEST_MAIN(test_b64_table, test_b64_round_trip, test_qp_table,
	  test_qp_long_whitespace, test_qp_split_invariance, test_finish_resets,
	  test_charset_table, test_charset_long, test_2047_table,
	  test_2047_linear)

/* test_buf.c: tests of the byte buffer, the arena and strict base64. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "arena.h"
#include "base64.h"
#include "buf.h"

#include <stdint.h>

/* ---- buf ---- */

/* The unread bytes of b; never NULL (memcmp must not get NULL, even for
   zero bytes, and an empty buf owns no memory). */
static const void *
bytes(const struct buf *b)
{
	return buf_len(b) > 0 ? (const void *)buf_rptr(b) : "";
}

static void
test_buf_append_consume(void)
{
	struct buf b;

	test_begin("buf append/consume");
	buf_init(&b, 0);
	TEST_ASSERT_INTEQ(buf_len(&b), 0);
	TEST_ASSERT(b.data == NULL);
	TEST_ASSERT_INTEQ(buf_append(&b, "", 0), 0);
	TEST_ASSERT(b.data == NULL); /* nothing to hold: no memory */
	TEST_ASSERT_INTEQ(buf_append(&b, "hello ", 6), 0);
	TEST_ASSERT_INTEQ(buf_append_str(&b, "world"), 0);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b), "hello world", 11);
	buf_consume(&b, 6);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b), "world", 5);
	TEST_ASSERT_INTEQ(b.rpos, 6);
	/* consuming everything resets the positions */
	buf_consume(&b, 5);
	TEST_ASSERT_INTEQ(buf_len(&b), 0);
	TEST_ASSERT_INTEQ(b.rpos, 0);
	TEST_ASSERT_INTEQ(b.wpos, 0);
	/* consuming more than is there is clamped */
	buf_append_str(&b, "abc");
	buf_consume(&b, 100);
	TEST_ASSERT_INTEQ(buf_len(&b), 0);
	TEST_ASSERT_INTEQ(b.wpos, 0);
	/* reset drops content but keeps memory; deinit frees and is
	   reusable */
	buf_append_str(&b, "xyz");
	buf_reset(&b);
	TEST_ASSERT_INTEQ(buf_len(&b), 0);
	TEST_ASSERT(b.data != NULL);
	buf_deinit(&b);
	TEST_ASSERT(b.data == NULL);
	TEST_ASSERT_INTEQ(b.cap, 0);
	TEST_ASSERT_INTEQ(buf_append_str(&b, "again"), 0);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b), "again", 5);
	buf_deinit(&b);
	buf_deinit(&b); /* twice is harmless */
	test_end();
}

static void
test_buf_max(void)
{
	struct buf b;
	char big[1000];
	uint8_t *p;

	test_begin("buf max");
	memset(big, 'x', sizeof(big));
	buf_init(&b, 100);
	TEST_ASSERT_INTEQ(buf_append(&b, big, 60), 0);
	/* 60 + 41 > 100: refused and nothing appended */
	TEST_ASSERT_INTEQ(buf_append(&b, big, 41), -1);
	TEST_ASSERT_INTEQ(buf_len(&b), 60);
	/* exactly up to max is fine */
	TEST_ASSERT_INTEQ(buf_append(&b, big, 40), 0);
	TEST_ASSERT_INTEQ(buf_len(&b), 100);
	TEST_ASSERT(b.cap <= 100);
	TEST_ASSERT_INTEQ(buf_append(&b, big, 1), -1);
	TEST_ASSERT(buf_reserve(&b, 1) == NULL);
	/* consumed bytes make room again (compaction) */
	buf_consume(&b, 30);
	TEST_ASSERT_INTEQ(buf_append(&b, big, 30), 0);
	TEST_ASSERT_INTEQ(buf_len(&b), 100);
	TEST_ASSERT_INTEQ(buf_append(&b, big, 1), -1);
	/* max survives deinit */
	buf_deinit(&b);
	TEST_ASSERT_INTEQ(b.max, 100);
	TEST_ASSERT_INTEQ(buf_append(&b, big, 101), -1);
	TEST_ASSERT_INTEQ(buf_len(&b), 0);
	buf_deinit(&b);

	/* reserve/commit: growth is clipped to max */
	buf_init(&b, 1000);
	p = buf_reserve(&b, 600);
	TEST_ASSERT(p != NULL);
	memset(p, 'a', 600);
	buf_commit(&b, 600);
	TEST_ASSERT(buf_reserve(&b, 401) == NULL);
	TEST_ASSERT(buf_reserve(&b, 400) != NULL);
	TEST_ASSERT(b.cap <= 1000);
	buf_consume(&b, 599);
	p = buf_reserve(&b, 999);
	TEST_ASSERT(p != NULL);
	TEST_ASSERT_INTEQ(b.rpos, 0); /* compacted */
	TEST_ASSERT_INTEQ(buf_len(&b), 1);
	TEST_ASSERT_INTEQ(buf_rptr(&b)[0], 'a');
	memset(p, 'b', 999);
	buf_commit(&b, 999);
	TEST_ASSERT_INTEQ(buf_len(&b), 1000);
	TEST_ASSERT_INTEQ(buf_rptr(&b)[999], 'b');
	buf_deinit(&b);
	test_end();
}

static void
test_buf_printf(void)
{
	struct buf b;
	char want[700];
	int i;

	test_begin("buf printf");
	buf_init(&b, 0);
	TEST_ASSERT_INTEQ(buf_printf(&b, "%d-%s", 42, "x"), 0);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b), "42-x", 4);
	/* longer than the internal small buffer */
	for (i = 0; i < 600; i++)
		want[i] = (char)('a' + i % 26);
	want[600] = '\0';
	TEST_ASSERT_INTEQ(buf_printf(&b, "%s", want), 0);
	TEST_ASSERT_INTEQ(buf_len(&b), 604);
	TEST_ASSERT_MEMEQ(buf_rptr(&b) + 4, 600, want, 600);
	buf_deinit(&b);

	/* a result that fits max exactly is accepted, one byte more is
	   refused, both for short and long output */
	buf_init(&b, 10);
	TEST_ASSERT_INTEQ(buf_printf(&b, "%s", "0123456789"), 0);
	TEST_ASSERT_INTEQ(buf_len(&b), 10);
	buf_deinit(&b);
	TEST_ASSERT_INTEQ(buf_printf(&b, "%s", "0123456789A"), -1);
	TEST_ASSERT_INTEQ(buf_len(&b), 0);
	buf_deinit(&b);
	buf_init(&b, 600);
	TEST_ASSERT_INTEQ(buf_printf(&b, "%s", want), 0);
	TEST_ASSERT_INTEQ(buf_len(&b), 600);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), 600, want, 600);
	buf_deinit(&b);
	buf_init(&b, 599);
	TEST_ASSERT_INTEQ(buf_printf(&b, "%s", want), -1);
	TEST_ASSERT_INTEQ(buf_len(&b), 0);
	buf_deinit(&b);
	test_end();
}

struct line_case {
	const char *in;
	size_t max_line;
	const char *lines; /* expected lines, each followed by '|' */
	size_t rest;	   /* unread bytes left */
	bool too_long;
};

static const struct line_case line_cases[] = {
    {"", 100, "", 0, false},
    {"abc", 100, "", 3, false},
    {"abc\r\n", 100, "abc|", 0, false},
    {"abc\n", 100, "abc|", 0, false},
    {"\r\n\n", 100, "||", 0, false},
    {"a\rb\r\n", 100, "a\rb|", 0, false}, /* bare CR stays */
    {"a\r\r\n", 100, "a\r|", 0, false},	  /* only one CR is stripped */
    {"one\r\ntwo\nthree", 100, "one|two|", 5, false},
    {"0123456789", 10, "", 10, true},  /* max_line bytes without LF */
    {"012345678", 10, "", 9, false},   /* one short of it */
    {"01234567890123\n", 10, "01234567890123|", 0, false},
    {"ab\r\n0123456789", 10, "ab|", 10, true},
};

static void
test_buf_getline_table(void)
{
	size_t i;

	test_begin("buf_getline table");
	for (i = 0; i < sizeof(line_cases) / sizeof(line_cases[0]); i++) {
		const struct line_case *lc = &line_cases[i];
		struct buf b, got;
		const char *line;
		size_t len;
		bool too_long = true;
		int before = test_failures_;

		buf_init(&b, 0);
		buf_init(&got, 0);
		buf_append_str(&b, lc->in);
		while ((line = buf_getline(&b, lc->max_line, &len,
					   &too_long)) != NULL) {
			TEST_ASSERT_INTEQ(strlen(line), len);
			buf_append(&got, line, len);
			buf_append_str(&got, "|");
		}
		TEST_ASSERT_MEMEQ(bytes(&got), buf_len(&got), lc->lines,
				  strlen(lc->lines));
		TEST_ASSERT_INTEQ(buf_len(&b), lc->rest);
		TEST_ASSERT_INTEQ(too_long, lc->too_long);
		if (test_failures_ != before)
			fprintf(stderr, "  case %zu: \"%s\"\n", i, lc->in);
		buf_deinit(&b);
		buf_deinit(&got);
	}
	test_end();
}

/* Feed input to buf_getline in pieces cut at the given offsets and write
   every line (and every too-long report) into out. */
static void
getline_transcript(const char *in, size_t n, const size_t *cuts,
		   size_t ncuts, struct buf *out)
{
	struct buf b;
	size_t pos = 0, k;

	buf_init(&b, 0);
	for (k = 0; k <= ncuts; k++) {
		size_t next = k < ncuts ? cuts[k] : n;
		const char *line;
		size_t len;
		bool too_long;

		buf_append(&b, in + pos, next - pos);
		pos = next;
		while ((line = buf_getline(&b, 64, &len, &too_long)) != NULL)
			buf_printf(out, "[%.*s]", (int)len, line);
		if (too_long) {
			/* skip like a protocol would: drop what is there */
			buf_printf(out, "<long>");
			buf_consume(&b, buf_len(&b));
		}
	}
	buf_printf(out, "rest=%zu", buf_len(&b));
	buf_deinit(&b);
}

static void
test_buf_getline_split(void)
{
	static const char in[] =
	    "EHLO example.org\r\nMAIL FROM:<a@b>\r\n\r\nbare\nlf\n"
	    "cr\rinside\r\n"
	    "0123456789012345678901234567890123456789012345678901234567890"
	    "1\r\ntail"; /* the long line stays under max_line (64) */
	size_t n = sizeof(in) - 1, cuts[sizeof(in)], i;
	struct buf whole, piece;
	uint32_t rnd = 7;
	int round;

	test_begin("buf_getline split");
	buf_init(&whole, 0);
	buf_init(&piece, 0);
	getline_transcript(in, n, NULL, 0, &whole);
	TEST_ASSERT(buf_len(&whole) > 0);
	/* byte by byte */
	for (i = 0; i < n - 1; i++)
		cuts[i] = i + 1;
	getline_transcript(in, n, cuts, n - 1, &piece);
	TEST_ASSERT_MEMEQ(buf_rptr(&piece), buf_len(&piece), buf_rptr(&whole),
			  buf_len(&whole));
	/* random split points */
	for (round = 0; round < 200; round++) {
		size_t nc = test_rand(&rnd) % 8, pos = 0;

		for (i = 0; i < nc; i++) {
			pos += test_rand(&rnd) % (n - pos + 1);
			cuts[i] = pos;
		}
		buf_reset(&piece);
		getline_transcript(in, n, cuts, nc, &piece);
		TEST_ASSERT_MEMEQ(buf_rptr(&piece), buf_len(&piece),
				  buf_rptr(&whole), buf_len(&whole));
	}
	buf_deinit(&whole);
	buf_deinit(&piece);
	test_end();
}

static void
test_buf_find_compact(void)
{
	struct buf b;

	test_begin("buf find/compact");
	buf_init(&b, 0);
	TEST_ASSERT_INTEQ(buf_find(&b, 'a'), -1);
	buf_append_str(&b, "xxabcabc");
	buf_consume(&b, 2);
	TEST_ASSERT_INTEQ(buf_find(&b, 'a'), 0);
	TEST_ASSERT_INTEQ(buf_find(&b, 'c'), 2);
	TEST_ASSERT_INTEQ(buf_find(&b, 'x'), -1); /* consumed bytes unseen */
	buf_compact(&b);
	TEST_ASSERT_INTEQ(b.rpos, 0);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b), "abcabc", 6);
	buf_compact(&b); /* nothing to move */
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b), "abcabc", 6);
	buf_append(&b, "\0z", 2);
	TEST_ASSERT_INTEQ(buf_find(&b, 0), 6);
	buf_deinit(&b);
	test_end();
}

/* ---- arena ---- */

static int cleanup_log[8];
static int cleanup_n;

static void
record_cleanup(void *ctx)
{
	if (cleanup_n < 8)
		cleanup_log[cleanup_n++] = *(int *)ctx;
}

static void
test_arena_alloc(void)
{
	struct arena *a = arena_new("test", 0);
	unsigned char *first, *p;
	size_t sizes[] = {0, 1, 15, 16, 17, 100, 255, 256, 257, 5000};
	int i, j;
	char *s;

	test_begin("arena alloc");
	first = arena_alloc(a, 8);
	TEST_ASSERT(first != NULL);
	for (j = 0; j < 20; j++) {
		for (i = 0; i < (int)(sizeof(sizes) / sizeof(sizes[0])); i++) {
			size_t k;
			bool zero = true;

			p = arena_alloc(a, sizes[i]);
			TEST_ASSERT(p != NULL);
			TEST_ASSERT_INTEQ((uintptr_t)p % 16, 0);
			for (k = 0; k < sizes[i]; k++)
				zero = zero && p[k] == 0;
			TEST_ASSERT(zero);
			/* dirty it so reuse after reset must re-zero */
			memset(p, 0xa5, sizes[i]);
		}
	}
	s = arena_strdup(a, "hello");
	TEST_ASSERT_STREQ(s, "hello");
	s = arena_strndup(a, "hello world", 5);
	TEST_ASSERT_STREQ(s, "hello");
	s = arena_strndup(a, "a\0b", 3);
	TEST_ASSERT_MEMEQ(s, 4, "a\0b\0", 4);
	s = arena_printf(a, "%s=%d", "n", 12);
	TEST_ASSERT_STREQ(s, "n=12");
	/* printf longer than a chunk */
	s = arena_printf(a, "%0600d", 7);
	TEST_ASSERT_INTEQ(strlen(s), 600);
	TEST_ASSERT_INTEQ(s[599], '7');
	TEST_ASSERT_INTEQ(s[0], '0');
	/* reset keeps the first chunk and hands out zeroed memory again */
	arena_reset(a);
	p = arena_alloc(a, 8);
	TEST_ASSERT(p == first);
	p = arena_alloc(a, 200);
	for (i = 0; i < 200; i++)
		TEST_ASSERT_INTEQ(p[i], 0);
	arena_free(&a);
	TEST_ASSERT(a == NULL);
	arena_free(&a); /* NULL is ignored */
	test_end();
}

static void
test_arena_cleanup(void)
{
	struct arena *a = arena_new("cleanup", 1024);
	static int one = 1, two = 2, three = 3;

	test_begin("arena cleanup");
	cleanup_n = 0;
	arena_on_free(a, record_cleanup, &one);
	arena_on_free(a, record_cleanup, &two);
	TEST_ASSERT_INTEQ(cleanup_n, 0);
	arena_reset(a);
	/* last registered, first run */
	TEST_ASSERT_INTEQ(cleanup_n, 2);
	TEST_ASSERT_INTEQ(cleanup_log[0], 2);
	TEST_ASSERT_INTEQ(cleanup_log[1], 1);
	/* run once only */
	arena_reset(a);
	TEST_ASSERT_INTEQ(cleanup_n, 2);
	arena_on_free(a, record_cleanup, &three);
	arena_free(&a);
	TEST_ASSERT_INTEQ(cleanup_n, 3);
	TEST_ASSERT_INTEQ(cleanup_log[2], 3);
	test_end();
}

/* ---- base64 ---- */

struct b64_case {
	const char *plain;
	const char *coded;
};

/* RFC 4648 10: test vectors. */
static const struct b64_case b64_vectors[] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void
test_base64_vectors(void)
{
	size_t i;

	test_begin("base64 RFC 4648 vectors");
	for (i = 0; i < sizeof(b64_vectors) / sizeof(b64_vectors[0]); i++) {
		const struct b64_case *bc = &b64_vectors[i];
		size_t pl = strlen(bc->plain), cl = strlen(bc->coded);
		char enc[32];
		uint8_t dec[32];

		memset(enc, '#', sizeof(enc));
		TEST_ASSERT_INTEQ(base64_encode(bc->plain, pl, enc), cl);
		TEST_ASSERT_STREQ(enc, bc->coded);
		TEST_ASSERT_INTEQ(BASE64_ENCODED_LEN(pl), cl);
		TEST_ASSERT_INTEQ(base64_decode(bc->coded, cl, dec), pl);
		TEST_ASSERT_MEMEQ(dec, pl, bc->plain, pl);
		TEST_ASSERT(BASE64_DECODED_MAX(cl) >= pl);
	}
	test_end();
}

static void
test_base64_binary(void)
{
	uint8_t in[256], dec[BASE64_DECODED_MAX(BASE64_ENCODED_LEN(256))];
	char enc[BASE64_ENCODED_LEN(256) + 1];
	uint32_t rnd = 99;
	size_t n, i;

	test_begin("base64 binary round trip");
	/* all byte values, including NUL, '+' and '/' producers */
	for (i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	n = base64_encode(in, 256, enc);
	TEST_ASSERT_INTEQ(n, BASE64_ENCODED_LEN(256));
	TEST_ASSERT_INTEQ(strlen(enc), n);
	TEST_ASSERT_INTEQ(base64_decode(enc, n, dec), 256);
	TEST_ASSERT_MEMEQ(dec, 256, in, 256);
	/* every length, random content */
	for (n = 0; n <= 256; n++) {
		size_t el;

		for (i = 0; i < n; i++)
			in[i] = (uint8_t)test_rand(&rnd);
		el = base64_encode(in, n, enc);
		TEST_ASSERT_INTEQ(el, BASE64_ENCODED_LEN(n));
		TEST_ASSERT_INTEQ(base64_decode(enc, el, dec), n);
		TEST_ASSERT_MEMEQ(dec, n, in, n);
	}
	/* "+" and "/" both come out and go back */
	in[0] = 0xfb;
	in[1] = 0xff;
	in[2] = 0xbf;
	TEST_ASSERT_INTEQ(base64_encode(in, 3, enc), 4);
	TEST_ASSERT_STREQ(enc, "+/+/");
	TEST_ASSERT_INTEQ(base64_decode("+/+/", 4, dec), 3);
	TEST_ASSERT_MEMEQ(dec, 3, in, 3);
	test_end();
}

static const char *const b64_invalid[] = {
    "Z",	   /* not a multiple of 4 */
    "Zg",	   /* padding required (RFC 4648 3.2) */
    "Zg=",	   "Zm9vY",
    "Zg==Zg==",	   /* padding only at the very end */
    "Z===",	   /* at most two '=' */
    "====",	   "=Zg=",
    "Zg=a",	   /* data after padding */
    "Zh==",	   /* non-zero unused bits (RFC 4648 3.5) */
    "Zm9=",	   /* same with one '=' */
    "Zm9v\r\n",	   /* no whitespace */
    "Zm 9v",	   " Zm9",
    "Zm9-",	   /* base64url alphabet is not accepted */
    "Zm9_",	   "Zm9v!AAA",
    "\xc3\xa9Zg=", /* 8-bit */
};

static void
test_base64_invalid(void)
{
	uint8_t out[64];
	size_t i;

	test_begin("base64 invalid input");
	for (i = 0; i < sizeof(b64_invalid) / sizeof(b64_invalid[0]); i++) {
		const char *s = b64_invalid[i];
		int before = test_failures_;

		TEST_ASSERT_INTEQ(base64_decode(s, strlen(s), out), -1);
		if (test_failures_ != before)
			fprintf(stderr, "  accepted \"%s\"\n", s);
	}
	/* an embedded NUL counts as a character, and is not in the
	   alphabet */
	TEST_ASSERT_INTEQ(base64_decode("Zm\0v", 4, out), -1);
	/* the length given is honoured: trailing bytes are not read */
	TEST_ASSERT_INTEQ(base64_decode("Zm9vJUNK", 4, out), 3);
	TEST_ASSERT_MEMEQ(out, 3, "foo", 3);
	TEST_ASSERT_INTEQ(base64_decode("", 0, out), 0);
	test_end();
}

TEST_MAIN(test_buf_append_consume, test_buf_max, test_buf_printf,
	  test_buf_getline_table, test_buf_getline_split,
	  test_buf_find_compact, test_arena_alloc, test_arena_cleanup,
	  test_base64_vectors, test_base64_binary, test_base64_invalid)

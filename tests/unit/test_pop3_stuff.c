/* test_pop3_stuff.c: tests of the RETR/TOP framing (RFC 1939 3, 7). */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "pop3/pop3_stuff.h"

/* Frame in[0..n) fed in pieces: every `step` bytes (0 = whole), or at
   random points when seed != 0.  Appends to out, finishes the response. */
static void
frame(const char *in, size_t n, bool top, uint32_t lines, size_t step,
      uint32_t seed, struct buf *out)
{
	struct pop3_stuff st;
	size_t pos = 0;

	pop3_stuff_init(&st, top, lines);
	buf_init(out, 0);
	while (pos < n) {
		size_t k = n - pos;

		if (seed != 0)
			k = 1 + test_rand(&seed) % (k < 17 ? k : 17);
		else if (step > 0 && step < k)
			k = step;
		if (pop3_stuff_feed(&st, (const uint8_t *)in + pos, k, out)) {
			TEST_ASSERT(top);
			/* after the cut, input is dropped */
			size_t before = buf_len(out);

			TEST_ASSERT(pop3_stuff_feed(
			    &st, (const uint8_t *)"x\r\n", 3, out));
			TEST_ASSERT_INTEQ(buf_len(out), before);
			break;
		}
		pos += k;
	}
	pop3_stuff_finish(&st, out);
}

static const struct {
	const char *in;
	bool top;
	uint32_t lines;
	const char *want;
} cases[] = {
    /* RETR: dot-stuffing, termination */
    {"", false, 0, ".\r\n"},
    {"a\r\n", false, 0, "a\r\n.\r\n"},
    {".\r\n", false, 0, "..\r\n.\r\n"},
    {"a\r\n.b\r\n..c\r\n", false, 0, "a\r\n..b\r\n...c\r\n.\r\n"},
    {"a.b\r\n x.\r\n", false, 0, "a.b\r\n x.\r\n.\r\n"},
    {"no end", false, 0, "no end\r\n.\r\n"},
    {".no end", false, 0, "..no end\r\n.\r\n"},
    {"h: v\r\n\r\n.\r\n\r\n", false, 0, "h: v\r\n\r\n..\r\n\r\n.\r\n"},
    {"8bit \xe9\xff\r\n", false, 0, "8bit \xe9\xff\r\n.\r\n"},
    {"lf\n.lf\n", false, 0, "lf\n..lf\n.\r\n"},
    /* TOP: header, blank line, n body lines */
    {"h: v\r\n\r\nb1\r\nb2\r\n", true, 0, "h: v\r\n\r\n.\r\n"},
    {"h: v\r\n\r\nb1\r\nb2\r\n", true, 1, "h: v\r\n\r\nb1\r\n.\r\n"},
    {"h: v\r\n\r\nb1\r\nb2\r\n", true, 2, "h: v\r\n\r\nb1\r\nb2\r\n.\r\n"},
    {"h: v\r\n\r\nb1\r\nb2\r\n", true, 9, "h: v\r\n\r\nb1\r\nb2\r\n.\r\n"},
    {"h: v\r\n\r\n.b1\r\nb2\r\n", true, 1, "h: v\r\n\r\n..b1\r\n.\r\n"},
    {"h: v\r\n\r\n\r\n\r\nb\r\n", true, 1, "h: v\r\n\r\n\r\n.\r\n"},
    {"h: v\r\nh2: w\r\n", true, 0, "h: v\r\nh2: w\r\n.\r\n"},
    {"h: v\r\n\r\nb1", true, 3, "h: v\r\n\r\nb1\r\n.\r\n"},
    {"\r\nbody\r\n", true, 0, "\r\n.\r\n"},
    {"h: v\n\nb1\nb2\n", true, 1, "h: v\n\nb1\n.\r\n"},
    {"h: \r\r\n\r\nb\r\n", true, 0, "h: \r\r\n\r\n.\r\n"},
};

static void
test_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out;

		test_begin(cases[i].in);
		frame(cases[i].in, strlen(cases[i].in), cases[i].top,
		      cases[i].lines, 0, 0, &out);
		TEST_ASSERT_MEMEQ(buf_rptr(&out), buf_len(&out), cases[i].want,
				  strlen(cases[i].want));
		buf_deinit(&out);
	}
}

/* Undo the framing: drop the final ".\r\n" and one leading dot per line. */
static size_t
unstuff(const uint8_t *p, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;
	bool bol = true;

	TEST_ASSERT(n >= 3 && memcmp(p + n - 3, ".\r\n", 3) == 0);
	n -= 3;
	for (i = 0; i < n; i++) {
		if (bol && p[i] == '.') {
			TEST_ASSERT(i + 1 < n && p[i + 1] == '.');
			i++;
		}
		out[o++] = p[i];
		bol = p[i] == '\n';
	}
	return o;
}

static void
test_split_invariance(void)
{
	static const char *const inputs[] = {
	    "Subject: x\r\n\r\n.\r\n..\r\n...x\r\n\r\n.end\r\n",
	    "a: b\r\n c\r\n\r\nl1\r\n.l2\r\nl3\r\nl4",
	    "\r\n\r\n.\r\n",
	    ".",
	};
	uint32_t seed = 7;
	size_t i, lines, step, round;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		size_t n = strlen(inputs[i]);

		test_begin(inputs[i]);
		for (lines = 0; lines < 5; lines++) {
			for (int top = 0; top < 2; top++) {
				struct buf whole, part;

				frame(inputs[i], n, top, (uint32_t)lines, 0, 0,
				      &whole);
				for (step = 1; step <= n; step++) {
					frame(inputs[i], n, top,
					      (uint32_t)lines, step, 0, &part);
					TEST_ASSERT_MEMEQ(
					    buf_rptr(&part), buf_len(&part),
					    buf_rptr(&whole), buf_len(&whole));
					buf_deinit(&part);
				}
				for (round = 0; round < 50; round++) {
					frame(inputs[i], n, top,
					      (uint32_t)lines, 0,
					      test_rand(&seed) | 1, &part);
					TEST_ASSERT_MEMEQ(
					    buf_rptr(&part), buf_len(&part),
					    buf_rptr(&whole), buf_len(&whole));
					buf_deinit(&part);
				}
				buf_deinit(&whole);
			}
		}
	}
}

/* RETR of CRLF text: unstuffing gives the message back byte for byte,
   so the octet count LIST shows is what the client gets. */
static void
test_roundtrip_random(void)
{
	uint32_t seed = 12345;
	int round;

	test_begin("roundtrip");
	for (round = 0; round < 300; round++) {
		char msg[600];
		uint8_t back[1300];
		size_t n = 0, len;
		struct buf out;

		while (n + 4 < sizeof(msg) && test_rand(&seed) % 40 != 0) {
			uint32_t r = test_rand(&seed) % 6;

			if (r == 0)
				msg[n++] = '.';
			else if (r == 1 && n + 2 < sizeof(msg)) {
				msg[n++] = '\r';
				msg[n++] = '\n';
			} else
				msg[n++] = (char)(' ' + test_rand(&seed) % 90);
		}
		if (n < 2)
			n = 2;
		msg[n - 2] = '\r'; /* a stored message ends with CRLF */
		msg[n - 1] = '\n';
		frame(msg, n, false, 0, 0, test_rand(&seed) | 1, &out);
		len = unstuff(buf_rptr(&out), buf_len(&out), back);
		TEST_ASSERT_MEMEQ(back, len, msg, n);
		buf_deinit(&out);
	}
}

TEST_MAIN(test_table, test_split_invariance, test_roundtrip_random)

/* test_smtp_data.c: tests of the DATA decoder and the BDAT bare CR/LF scan. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "smtp/smtp_data.h"

/* The outcome of decoding one input. */
struct data_res {
	struct buf out;
	size_t consumed; /* total input bytes consumed */
	bool done, overflow;
	uint64_t octets, bare_cr, bare_lf, nul;
};

/* Decode in[0..n) fed in pieces: every `step` bytes (0 = whole), or at
   the sorted offsets in cuts.  out_max limits the output buffer. */
static void
decode_fed(const uint8_t *in, size_t n, size_t step, const size_t *cuts,
	   size_t ncuts, size_t out_max, bool discard, struct data_res *r)
{
	struct smtp_data d;
	size_t pos = 0, k = 0;

	smtp_data_init(&d);
	d.discard = discard;
	buf_init(&r->out, out_max);
	while (pos < n && !d.done) {
		size_t next = n, used;

		if (cuts != NULL && k < ncuts)
			next = cuts[k++] > pos ? cuts[k - 1] : pos;
		else if (cuts == NULL && step > 0)
			next = pos + step < n ? pos + step : n;
		used = smtp_data_decode(&d, in + pos, next - pos, &r->out);
		TEST_ASSERT(used <= next - pos);
		/* Only the end of data stops consumption early. */
		if (used < next - pos)
			TEST_ASSERT(d.done);
		pos += used;
		if (d.done)
			break;
	}
	/* Once done, nothing more is taken. */
	if (d.done && pos < n)
		TEST_ASSERT_INTEQ(
		    smtp_data_decode(&d, in + pos, n - pos, &r->out), 0);
	r->consumed = pos;
	r->done = d.done;
	r->overflow = d.overflow;
	r->octets = d.octets;
	r->bare_cr = d.bare_cr;
	r->bare_lf = d.bare_lf;
	r->nul = d.nul;
}

/* The decoded bytes; never NULL, even for an empty buffer. */
static const void *
out_bytes(const struct buf *b)
{
	return b->data != NULL ? (const void *)buf_rptr(b) : "";
}

static void
same_res(const struct data_res *a, const struct data_res *b)
{
	TEST_ASSERT_MEMEQ(out_bytes(&a->out), buf_len(&a->out),
			  out_bytes(&b->out), buf_len(&b->out));
	TEST_ASSERT_INTEQ(a->consumed, b->consumed);
	TEST_ASSERT_INTEQ(a->done, b->done);
	TEST_ASSERT_INTEQ(a->overflow, b->overflow);
	TEST_ASSERT_INTEQ(a->octets, b->octets);
	TEST_ASSERT_INTEQ(a->bare_cr, b->bare_cr);
	TEST_ASSERT_INTEQ(a->bare_lf, b->bare_lf);
	TEST_ASSERT_INTEQ(a->nul, b->nul);
}

/* Feed whole, byte by byte, in steps of 2..7 and at random splits, and
   check every way gives the same result as the whole feed. */
static void
check_splits(const uint8_t *in, size_t n, const struct data_res *whole)
{
	uint32_t seed = (uint32_t)n * 2654435761u + 1;
	size_t step;
	int round;

	for (step = 1; step <= 7; step++) {
		struct data_res r;

		decode_fed(in, n, step, NULL, 0, 0, false, &r);
		same_res(&r, whole);
		buf_deinit(&r.out);
	}
	for (round = 0; round < 50; round++) {
		size_t cuts[6], k;
		struct data_res r;

		for (k = 0; k < 6; k++)
			cuts[k] = n ? test_rand(&seed) % (n + 1) : 0;
		for (k = 1; k < 6; k++) {
			size_t v = cuts[k], j = k;

			while (j > 0 && cuts[j - 1] > v) {
				cuts[j] = cuts[j - 1];
				j--;
			}
			cuts[j] = v;
		}
		decode_fed(in, n, 0, cuts, 6, 0, false, &r);
		same_res(&r, whole);
		buf_deinit(&r.out);
	}
}

struct data_case {
	const char *name;
	const char *in;
	size_t in_len; /* 0: strlen(in) */
	const char *out;
	size_t out_len; /* 0: strlen(out) */
	bool done;
	size_t consumed; /* when done; 0 = all input */
	unsigned bare_cr, bare_lf, nul;
};

#define S(x) x, sizeof(x) - 1

static const struct data_case data_cases[] = {
    {"empty message", S(".\r\n"), "", 0, true, 0, 0, 0, 0},
    {"one line", S("a\r\n.\r\n"), "a\r\n", 0, true, 0, 0, 0, 0},
    {"pipelined rest", S("a\r\n.\r\nQUIT\r\n"), "a\r\n", 0, true, 6, 0, 0, 0},
    {"stuffed dot", S("..\r\n.\r\n"), ".\r\n", 0, true, 0, 0, 0, 0},
    {"stuffed text", S("a\r\n..b\r\n...\r\n.\r\n"), "a\r\n.b\r\n..\r\n", 0,
     true, 0, 0, 0, 0},
    {"unstuffed leading dot", S(".x\r\n.\r\n"), "x\r\n", 0, true, 0, 0, 0, 0},
    {"dot mid-line", S("a.b\r\na.\r\n.\r\n"), "a.b\r\na.\r\n", 0, true, 0, 0, 0,
     0},
    {"empty lines", S("\r\n\r\n.\r\n"), "\r\n\r\n", 0, true, 0, 0, 0, 0},
    {"no end yet", S("a\r\nb\r\n."), "a\r\nb\r\n", 0, false, 0, 0, 0, 0},
    {"no end: dot CR", S("a\r\n.\r"), "a\r\n", 0, false, 0, 0, 0, 0},
    {"no end: CR", S("a\r"), "a", 0, false, 0, 0, 0, 0},
    {"dot then CR CR LF", S(".\r\r\n.\r\n"), "\r\r\n", 0, true, 0, 1, 0, 0},
    /* SMTP smuggling: none of these ends the message. */
    {"LF.LF", S("a\n.\nb\r\n.\r\n"), "a\n.\nb\r\n", 0, true, 0, 0, 2, 0},
    {"LF.CRLF", S("a\n.\r\nb\r\n.\r\n"), "a\n.\r\nb\r\n", 0, true, 0, 0, 1, 0},
    {"CR.CR", S("a\r.\rb\r\n.\r\n"), "a\r.\rb\r\n", 0, true, 0, 2, 0, 0},
    {"CR.LF", S("a\r.\nb\r\n.\r\n"), "a\r.\nb\r\n", 0, true, 0, 1, 1, 0},
    {"CRLF.CR", S("a\r\n.\rb\r\n.\r\n"), "a\r\n\rb\r\n", 0, true, 0, 1, 0, 0},
    {"CRLF.LF", S("a\r\n.\nb\r\n.\r\n"), "a\r\n\nb\r\n", 0, true, 0, 0, 1, 0},
    {"CRLF NUL.CRLF", S("a\r\n\0.\r\nb\r\n.\r\n"), S("a\r\n\0.\r\nb\r\n"), true,
     0, 0, 0, 1},
    {"CRLF.NUL CRLF", S("a\r\n.\0\r\n.\r\n"), S("a\r\n\0\r\n"), true, 0, 0, 0,
     1},
    {"CRLF SP.CRLF", S("a\r\n .\r\n.\r\n"), "a\r\n .\r\n", 0, true, 0, 0, 0, 0},
    {"CRLF.SP CRLF", S("a\r\n. \r\n.\r\n"), "a\r\n \r\n", 0, true, 0, 0, 0, 0},
    {"CR CRLF.CRLF", S("a\r\r\n.\r\n"), "a\r\r\n", 0, true, 0, 1, 0, 0},
    {"LF CRLF.CRLF", S("a\n\r\n.\r\n"), "a\n\r\n", 0, true, 0, 0, 1, 0},
    {"CRLF.CR CRLF", S("a\r\n.\r\r\n.\r\n"), "a\r\n\r\r\n", 0, true, 0, 1, 0,
     0},
    {"CRLF.CR.CRLF", S("a\r\n.\r.\r\n.\r\n"), "a\r\n\r.\r\n", 0, true, 0, 1, 0,
     0},
    {"LF only", S("a\nb\n.\n"), "a\nb\n.\n", 0, false, 0, 0, 3, 0},
    {"CR only", S("a\rb\r.\r"), "a\rb\r.", 0, false, 0, 2, 0, 0},
    {"first line dot LF", S(".\nx\r\n.\r\n"), "\nx\r\n", 0, true, 0, 0, 1, 0},
    {"first line dot CR", S(".\rx\r\n.\r\n"), "\rx\r\n", 0, true, 0, 1, 0, 0},
    {"CRCRLF at start", S("\r\r\n.\r\n"), "\r\r\n", 0, true, 0, 1, 0, 0},
    {"lone LF at start", S("\n.\r\n.\r\n"), "\n.\r\n", 0, true, 0, 0, 1, 0},
    {"long line",
     S("0123456789012345678901234567890123456789012345678901234"
       "5678901234567890123456789012345678901234567890123456789"
       "\r\n.\r\n"),
     "0123456789012345678901234567890123456789012345678901234"
     "5678901234567890123456789012345678901234567890123456789\r\n",
     0, true, 0, 0, 0, 0},
};

static void
test_data_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(data_cases) / sizeof(data_cases[0]); i++) {
		const struct data_case *c = &data_cases[i];
		size_t out_len = c->out_len ? c->out_len : strlen(c->out);
		struct data_res r;

		test_begin(c->name);
		decode_fed((const uint8_t *)c->in, c->in_len, 0, NULL, 0, 0,
			   false, &r);
		TEST_ASSERT_MEMEQ(out_bytes(&r.out), buf_len(&r.out), c->out,
				  out_len);
		TEST_ASSERT_INTEQ(r.done, c->done);
		TEST_ASSERT_INTEQ(r.consumed,
				  c->consumed ? c->consumed : c->in_len);
		TEST_ASSERT_INTEQ(r.bare_cr, c->bare_cr);
		TEST_ASSERT_INTEQ(r.bare_lf, c->bare_lf);
		TEST_ASSERT_INTEQ(r.nul, c->nul);
		TEST_ASSERT_INTEQ(r.octets, out_len);
		TEST_ASSERT(!r.overflow);
		check_splits((const uint8_t *)c->in, c->in_len, &r);
		buf_deinit(&r.out);
	}
}

/* The terminator at every offset of a message: all input up to and
   including it is consumed, the rest is left, and the output is the
   unstuffed message before it. */
static void
test_terminator_positions(void)
{
	static const char body[] = "Subject: x\r\n\r\n.hidden\r\n..\r\nend\r\n";
	char msg[256], expect[256];
	size_t cut;

	for (cut = 0; cut <= sizeof(body) - 1; cut++) {
		struct data_res r;
		size_t n, en;

		/* Only cut at line starts: the terminator needs a CRLF
		   before it (or the very start). */
		if (cut > 0 && body[cut - 1] != '\n')
			continue;
		n = (size_t)snprintf(msg, sizeof(msg), "%.*s.\r\nRSET\r\n",
				     (int)cut, body);
		test_begin("terminator position");
		decode_fed((const uint8_t *)msg, n, 0, NULL, 0, 0, false, &r);
		TEST_ASSERT(r.done);
		TEST_ASSERT_INTEQ(r.consumed, cut + 3);
		/* expected: body[0..cut) with leading dots removed */
		en = 0;
		for (size_t i = 0; i < cut; i++) {
			if (body[i] == '.' && (i == 0 || body[i - 1] == '\n'))
				continue;
			expect[en++] = body[i];
		}
		TEST_ASSERT_MEMEQ(out_bytes(&r.out), buf_len(&r.out), expect,
				  en);
		check_splits((const uint8_t *)msg, n, &r);
		buf_deinit(&r.out);
	}
}

/* Every smuggling sequence inside a message, at every position, never
   ends it early: the real end is always the last ".\r\n". */
static void
test_smuggling_everywhere(void)
{
	static const struct {
		const char *s;
		size_t n;
	} seqs[] = {
	    {S("\n.\n")},       {S("\n.\r\n")},       {S("\r.\r")},
	    {S("\r.\n")},       {S("\r\n.\r")},       {S("\r\n.\n")},
	    {S("\r\n\0.\r\n")}, {S("\n.\r")},         {S("\r.\r\n")},
	    {S("\r\n.\r\r\n")}, {S("\r\r\n.\r\r\n")}, {S("\n\n.\n\n")},
	    {S("\r\r.\r\r")},   {S("\r\n.\0\r\n")},
	};
	static const char base[] = "From: a\r\n\r\nhello world\r\n";
	size_t i, pos;

	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		for (pos = 0; pos <= sizeof(base) - 1; pos++) {
			char msg[128];
			struct data_res r;
			size_t n = 0;

			/* Insert inside lines only, so the text before each
			   sequence never adds a CRLF of its own. */
			if (pos == 0 || base[pos - 1] == '\n' ||
			    base[pos - 1] == '\r')
				continue;
			memcpy(msg, base, pos);
			n = pos;
			memcpy(msg + n, seqs[i].s, seqs[i].n);
			n += seqs[i].n;
			memcpy(msg + n, "X\r\n", 3);
			n += 3;
			memcpy(msg + n, base + pos, sizeof(base) - 1 - pos);
			n += sizeof(base) - 1 - pos;
			memcpy(msg + n, "\r\n.\r\n", 5);
			n += 5;
			test_begin("smuggling");
			decode_fed((const uint8_t *)msg, n, 0, NULL, 0, 0,
				   false, &r);
			TEST_ASSERT(r.done);
			TEST_ASSERT_INTEQ(r.consumed, n);
			TEST_ASSERT(r.bare_cr + r.bare_lf + r.nul > 0);
			check_splits((const uint8_t *)msg, n, &r);
			buf_deinit(&r.out);
		}
	}
}

static void
test_discard_and_overflow(void)
{
	static const char msg[] = "line one\r\n..two\r\nthree\r\n.\r\nNOOP\r\n";
	size_t n = sizeof(msg) - 1;
	struct data_res whole, r;

	test_begin("discard");
	decode_fed((const uint8_t *)msg, n, 0, NULL, 0, 0, false, &whole);
	TEST_ASSERT_INTEQ(whole.octets, 23);
	decode_fed((const uint8_t *)msg, n, 0, NULL, 0, 0, true, &r);
	TEST_ASSERT_INTEQ(buf_len(&r.out), 0);
	TEST_ASSERT(r.done);
	TEST_ASSERT_INTEQ(r.consumed, whole.consumed);
	TEST_ASSERT_INTEQ(r.octets, whole.octets);
	TEST_ASSERT(!r.overflow);
	buf_deinit(&r.out);

	test_begin("overflow");
	/* Output limited to 12 bytes: the end is still found, octets are
	   still counted, and out holds a prefix of the message. */
	decode_fed((const uint8_t *)msg, n, 0, NULL, 0, 12, false, &r);
	TEST_ASSERT(r.done);
	TEST_ASSERT(r.overflow);
	TEST_ASSERT_INTEQ(r.consumed, whole.consumed);
	TEST_ASSERT_INTEQ(r.octets, whole.octets);
	TEST_ASSERT(buf_len(&r.out) <= 12);
	TEST_ASSERT(memcmp(out_bytes(&r.out), out_bytes(&whole.out),
			   buf_len(&r.out)) == 0);
	buf_deinit(&r.out);
	/* Byte by byte the overflow shows up too. */
	decode_fed((const uint8_t *)msg, n, 1, NULL, 0, 12, false, &r);
	TEST_ASSERT(r.done && r.overflow);
	TEST_ASSERT_INTEQ(r.octets, whole.octets);
	TEST_ASSERT_INTEQ(r.consumed, whole.consumed);
	buf_deinit(&r.out);
	buf_deinit(&whole.out);
}

/* A large message through the decoder in irregular reads. */
static void
test_large(void)
{
	size_t n = 0, cap = 300000, en = 0, i;
	char *msg = malloc(cap), *expect = malloc(cap);
	uint32_t seed = 7;
	struct data_res r;

	test_begin("large");
	while (n < cap - 2000) {
		size_t len = test_rand(&seed) % 1500;

		if (test_rand(&seed) % 4 == 0) {
			msg[n++] = '.';
		}
		for (i = 0; i < len; i++) {
			char c = (char)('a' + test_rand(&seed) % 26);

			msg[n++] = c;
			expect[en++] = c;
		}
		memcpy(msg + n, "\r\n", 2);
		memcpy(expect + en, "\r\n", 2);
		n += 2;
		en += 2;
	}
	memcpy(msg + n, ".\r\n", 3);
	n += 3;
	decode_fed((const uint8_t *)msg, n, 0, NULL, 0, 0, false, &r);
	TEST_ASSERT(r.done);
	TEST_ASSERT_MEMEQ(out_bytes(&r.out), buf_len(&r.out), expect, en);
	TEST_ASSERT_INTEQ(r.octets, en);
	check_splits((const uint8_t *)msg, n, &r);
	buf_deinit(&r.out);
	free(msg);
	free(expect);
}

struct bare_case {
	const char *name;
	const char *chunks[4]; /* NULL-terminated */
	unsigned bare_cr, bare_lf, nul;
};

static const struct bare_case bare_cases[] = {
    {"clean", {"a\r\nb\r\n", NULL}, 0, 0, 0},
    {"CRLF across chunks", {"a\r", "\nb\r\n", NULL}, 0, 0, 0},
    {"CR then CR across chunks", {"a\r", "\r\n", NULL}, 1, 0, 0},
    {"bare LF", {"a\nb\r\n", NULL}, 0, 1, 0},
    {"bare LF at chunk start", {"a", "\nb", NULL}, 0, 1, 0},
    {"bare CR", {"a\rb\r\n", NULL}, 1, 0, 0},
    {"trailing CR at LAST", {"a\r\nb\r", NULL}, 1, 0, 0},
    {"CR then empty chunk then LF", {"a\r", "", "\n", NULL}, 0, 0, 0},
    {"LF CR", {"\n\r", NULL}, 1, 1, 0},
    {"dots are data", {".\r\n..\r\n", NULL}, 0, 0, 0},
};

static void
test_bare_scan(void)
{
	size_t i, k;

	for (i = 0; i < sizeof(bare_cases) / sizeof(bare_cases[0]); i++) {
		const struct bare_case *c = &bare_cases[i];
		struct smtp_bare_scan s, one;
		char all[64];
		size_t n = 0;

		test_begin(c->name);
		smtp_bare_scan_init(&s);
		for (k = 0; c->chunks[k] != NULL; k++) {
			size_t l = strlen(c->chunks[k]);

			smtp_data_scan_bare(&s, (const uint8_t *)c->chunks[k],
					    l);
			memcpy(all + n, c->chunks[k], l);
			n += l;
		}
		smtp_bare_scan_finish(&s);
		TEST_ASSERT_INTEQ(s.bare_cr, c->bare_cr);
		TEST_ASSERT_INTEQ(s.bare_lf, c->bare_lf);
		TEST_ASSERT_INTEQ(s.nul, c->nul);
		/* byte by byte gives the same counts */
		smtp_bare_scan_init(&one);
		for (k = 0; k < n; k++)
			smtp_data_scan_bare(&one, (const uint8_t *)all + k, 1);
		smtp_bare_scan_finish(&one);
		TEST_ASSERT_INTEQ(one.bare_cr, s.bare_cr);
		TEST_ASSERT_INTEQ(one.bare_lf, s.bare_lf);
	}
	{
		struct smtp_bare_scan s;

		test_begin("NUL in BDAT");
		smtp_bare_scan_init(&s);
		smtp_data_scan_bare(&s, (const uint8_t *)"a\0b\0\r\n", 6);
		smtp_bare_scan_finish(&s);
		TEST_ASSERT_INTEQ(s.nul, 2);
		TEST_ASSERT_INTEQ(s.bare_cr + s.bare_lf, 0);
	}
}

TEST_MAIN(test_data_table, test_terminator_positions, test_smuggling_everywhere,
	  test_discard_and_overflow, test_large, test_bare_scan)

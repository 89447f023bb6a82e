/* test_dkim_canon.c: DKIM header/body canonicalisation (RFC 6376 3.4). */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <openssl/evp.h>

#include "base64.h"
#include "buf.h"
#include "dkim/dkim_canon.h"

/* Canonicalise a body fed in pieces: whole (step 0), every `step` bytes,
   or at random points when seed != 0.  Returns the hash and the canonical
   octets in *copy. */
static void
body_canon(enum dkim_canon_alg alg, const char *in, size_t n, size_t step,
	   uint32_t seed, uint8_t hash[DKIM_HASH_LEN], struct buf *copy)
{
	struct dkim_canon_body *b = dkim_canon_body_new(alg, copy);
	size_t pos = 0, k;

	while (pos < n) {
		if (seed != 0)
			k = test_rand(&seed) % (n - pos + 1);
		else
			k = step == 0 ? n - pos : step;
		if (k > n - pos)
			k = n - pos;
		dkim_canon_body_update(b, in + pos, k);
		pos += k;
	}
	dkim_canon_body_final(b, hash);
	TEST_ASSERT_INTEQ(dkim_canon_body_length(b), buf_len(copy));
	dkim_canon_body_free(&b);
	TEST_ASSERT(b == NULL);
}

static void
sha256(const void *p, size_t n, uint8_t out[DKIM_HASH_LEN])
{
	unsigned len = DKIM_HASH_LEN;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

/* A second, non-streaming implementation of 3.4.3 / 3.4.4, written the
   way the RFC states it: split into lines, fix each line, drop the empty
   lines at the end. */
static void
body_reference(enum dkim_canon_alg alg, const char *in, size_t n,
	       struct buf *out)
{
	struct buf line;
	size_t i = 0, keep = 0, start, end;

	buf_init(&line, 0);
	while (i < n) {
		start = i;
		while (i < n && in[i] != '\n')
			i++;
		end = i;
		if (i < n) {
			i++; /* the LF */
			if (end > start && in[end - 1] == '\r')
				end--; /* CRLF */
		}
		buf_reset(&line);
		if (alg == DKIM_CANON_RELAXED) {
			size_t j;
			bool wsp = false;

			for (j = start; j < end; j++) {
				if (in[j] == ' ' || in[j] == '\t') {
					wsp = true;
					continue;
				}
				if (wsp)
					buf_append(&line, " ", 1);
				wsp = false;
				buf_append(&line, in + j, 1);
			}
		} else {
			buf_append(&line, in + start, end - start);
		}
		buf_append(out, buf_rptr(&line), buf_len(&line));
		buf_append(out, "\r\n", 2);
		if (buf_len(&line) > 0)
			keep = buf_len(out);
	}
	/* drop the empty lines at the end */
	out->wpos = out->rpos + keep;
	if (keep == 0 && alg == DKIM_CANON_SIMPLE)
		buf_append(out, "\r\n", 2);
	buf_deinit(&line);
}

/* An input and its canonical forms (used for bodies and header fields). */
struct canon_case {
	const char *in;
	const char *relaxed;
	const char *simple;
};

static const struct canon_case body_cases[] = {
    {"", "", "\r\n"},
    {"\r\n", "", "\r\n"},
    {"\r\n\r\n\r\n", "", "\r\n"},
    {"abc", "abc\r\n", "abc\r\n"},
    {"abc\r\n", "abc\r\n", "abc\r\n"},
    {"abc  ", "abc\r\n", "abc  \r\n"},
    {"a \t b\r\n", "a b\r\n", "a \t b\r\n"},
    {"  x\r\n", " x\r\n", "  x\r\n"},
    {" \t \r\n", "", " \t \r\n"},
    {"a\r\n \r\n\t\r\n", "a\r\n", "a\r\n \r\n\t\r\n"},
    {"a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n"},
    {"a\r\n  \r\nb\r\n", "a\r\n\r\nb\r\n", "a\r\n  \r\nb\r\n"},
    /* bare LF ends a line; it is sent as CRLF */
    {"a\nb\n\n", "a\r\nb\r\n", "a\r\nb\r\n"},
    /* a CR without LF is an ordinary octet */
    {"a\rb\r\n", "a\rb\r\n", "a\rb\r\n"},
    {"a\r", "a\r\r\n", "a\r\r\n"},
    {"a \r", "a \r\r\n", "a \r\r\n"},
    {"\r", "\r\r\n", "\r\r\n"},
    {"a\r\r\n", "a\r\r\n", "a\r\r\n"},
    {"x \r\n\r\n \t\r\n", "x\r\n", "x \r\n\r\n \t\r\n"},
    /* RFC 6376 3.4.5 example body */
    {" C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n", " C \r\nD \t E\r\n"},
};

static void
test_body_table(void)
{
	size_t i, a;

	test_begin("body table");
	for (i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		const struct canon_case *c = &body_cases[i];

		for (a = 0; a < 2; a++) {
			enum dkim_canon_alg alg =
			    a ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
			const char *want = a ? c->relaxed : c->simple;
			uint8_t h[DKIM_HASH_LEN], h2[DKIM_HASH_LEN];
			struct buf copy, ref;

			buf_init(&copy, 0);
			buf_init(&ref, 0);
			body_canon(alg, c->in, strlen(c->in), 0, 0, h, &copy);
			TEST_ASSERT_MEMEQ(buf_rptr(&copy), buf_len(&copy), want,
					  strlen(want));
			if (buf_len(&copy) != strlen(want))
				fprintf(stderr, "  case %zu alg %zu\n", i, a);
			sha256(want, strlen(want), h2);
			TEST_ASSERT_MEMEQ(h, sizeof(h), h2, sizeof(h2));
			body_reference(alg, c->in, strlen(c->in), &ref);
			TEST_ASSERT_MEMEQ(buf_rptr(&ref), buf_len(&ref), want,
					  strlen(want));
			buf_deinit(&copy);
			buf_deinit(&ref);
		}
	}
	test_end();
}

/* RFC 6376 3.4.3 and 3.4.4 give the SHA-256 of an empty body. */
static void
test_body_empty_hashes(void)
{
	uint8_t h[DKIM_HASH_LEN];
	char b64[BASE64_ENCODED_LEN(DKIM_HASH_LEN) + 1];
	struct buf copy;

	test_begin("empty body hashes");
	buf_init(&copy, 0);
	body_canon(DKIM_CANON_SIMPLE, "", 0, 0, 0, h, &copy);
	base64_encode(h, sizeof(h), b64);
	TEST_ASSERT_STREQ(b64, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
	buf_reset(&copy);
	body_canon(DKIM_CANON_RELAXED, "", 0, 0, 0, h, &copy);
	base64_encode(h, sizeof(h), b64);
	TEST_ASSERT_STREQ(b64, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
	buf_deinit(&copy);
	test_end();
}

static const struct canon_case header_cases[] = {
    /* RFC 6376 3.4.5 example header */
    {"A: X\r\n", "a:X\r\n", "A: X\r\n"},
    {"B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n", "B : Y\t\r\n\tZ  \r\n"},
    /* 3.4.2: only the name is lowercased */
    {"SUBJect: AbC\r\n", "subject:AbC\r\n", "SUBJect: AbC\r\n"},
    {"To:  a ,\r\n\t b \r\n", "to:a , b\r\n", "To:  a ,\r\n\t b \r\n"},
    {"X-A :\r\n", "x-a:\r\n", "X-A :\r\n"},
    {"X : \t \r\n", "x:\r\n", "X : \t \r\n"},
    {"X:\r\n \r\n", "x:\r\n", "X:\r\n \r\n"},
    /* the final line end is optional on input, always CRLF on output */
    {"From: x", "from:x\r\n", "From: x\r\n"},
    {"Subject: a\n b\n", "subject:a b\r\n", "Subject: a\r\n b\r\n"},
    {"A: b\rc\r\n", "a:b\rc\r\n", "A: b\rc\r\n"},
    {"A: b:c\r\n", "a:b:c\r\n", "A: b:c\r\n"},
    {"A:b  \t  c\r\n", "a:b c\r\n", "A:b  \t  c\r\n"},
    {"", "\r\n", "\r\n"},
};

static void
test_header_table(void)
{
	size_t i;

	test_begin("header table");
	for (i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		const struct canon_case *c = &header_cases[i];
		struct buf out;

		buf_init(&out, 0);
		TEST_ASSERT_INTEQ(dkim_canon_header(DKIM_CANON_RELAXED,
						    (const uint8_t *)c->in,
						    strlen(c->in), &out),
				  0);
		TEST_ASSERT_MEMEQ(buf_rptr(&out), buf_len(&out), c->relaxed,
				  strlen(c->relaxed));
		buf_reset(&out);
		TEST_ASSERT_INTEQ(dkim_canon_header(DKIM_CANON_SIMPLE,
						    (const uint8_t *)c->in,
						    strlen(c->in), &out),
				  0);
		TEST_ASSERT_MEMEQ(buf_rptr(&out), buf_len(&out), c->simple,
				  strlen(c->simple));
		buf_deinit(&out);
	}
	test_end();
}

static void
test_header_out_limit(void)
{
	struct buf out;
	const char *f = "Subject: a rather long value\r\n";

	test_begin("header output limit");
	buf_init(&out, 8);
	TEST_ASSERT_INTEQ(dkim_canon_header(DKIM_CANON_RELAXED,
					    (const uint8_t *)f, strlen(f),
					    &out),
			  -1);
	TEST_ASSERT(buf_len(&out) <= 8);
	buf_deinit(&out);
	buf_init(&out, 8);
	TEST_ASSERT_INTEQ(dkim_canon_header(DKIM_CANON_SIMPLE,
					    (const uint8_t *)f, strlen(f),
					    &out),
			  -1);
	buf_deinit(&out);
	test_end();
}

/* Split a header section into fields and print "name|field" lines. */
static void
fields_dump(const char *hdr, struct buf *out, size_t *end_r)
{
	struct dkim_field f;
	size_t pos = 0;

	while (dkim_canon_field_next((const uint8_t *)hdr, strlen(hdr), &pos,
				     &f) > 0) {
		buf_printf(out, "%.*s|%d|%.*s#", (int)f.name_len,
			   (const char *)f.data, f.has_colon, (int)f.len,
			   (const char *)f.data);
	}
	*end_r = pos;
}

static void
test_fields(void)
{
	static const struct {
		const char *hdr, *want;
		size_t end;
	} cases[] = {
	    {"From: a\r\nTo: b\r\n c\r\n\r\nbody",
	     "From|1|From: a\r\n#To|1|To: b\r\n c\r\n#", 20},
	    {"A: 1\nB: 2\n\tx\n\nbody", "A|1|A: 1\n#B|1|B: 2\n\tx\n#", 13},
	    {"Subject  : s\r\nBogus\r\nX:",
	     "Subject|1|Subject  : s\r\n#"
	     "Bogus|0|Bogus\r\n#X|1|X:#",
	     23},
	    {"", "", 0},
	    {"\r\nA: b\r\n", "", 0},
	    {" lead: x\r\nA: b", " lead|1| lead: x\r\n#A|1|A: b#", 14},
	    {"A: b\r\n \r\n", "A|1|A: b\r\n \r\n#", 9},
	};
	size_t i, end;

	test_begin("field iterator");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out;

		buf_init(&out, 0);
		fields_dump(cases[i].hdr, &out, &end);
		buf_append(&out, "", 1);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&out), cases[i].want);
		TEST_ASSERT_INTEQ(end, cases[i].end);
		buf_deinit(&out);
	}
	test_end();
}

/* Whole, byte by byte, every 7 bytes, and at random splits: the same
   canonical octets and the same hash. */
static void
check_split_invariance(enum dkim_canon_alg alg, const char *in, size_t n)
{
	uint8_t h0[DKIM_HASH_LEN], h[DKIM_HASH_LEN];
	struct buf c0, c;
	uint32_t seed;

	buf_init(&c0, 0);
	body_canon(alg, in, n, 0, 0, h0, &c0);
	for (seed = 0; seed < 12; seed++) {
		buf_init(&c, 0);
		if (seed == 0)
			body_canon(alg, in, n, 1, 0, h, &c);
		else if (seed == 1)
			body_canon(alg, in, n, 7, 0, h, &c);
		else
			body_canon(alg, in, n, 0, seed * 2654435761u, h, &c);
		TEST_ASSERT_MEMEQ(buf_rptr(&c), buf_len(&c), buf_rptr(&c0),
				  buf_len(&c0));
		TEST_ASSERT_MEMEQ(h, sizeof(h), h0, sizeof(h0));
		buf_deinit(&c);
	}
	buf_deinit(&c0);
}

static void
test_split_invariance(void)
{
	size_t i;

	test_begin("split invariance");
	for (i = 0; i < sizeof(body_cases) / sizeof(body_cases[0]); i++) {
		check_split_invariance(DKIM_CANON_RELAXED, body_cases[i].in,
				       strlen(body_cases[i].in));
		check_split_invariance(DKIM_CANON_SIMPLE, body_cases[i].in,
				       strlen(body_cases[i].in));
	}
	test_end();
}

/* Random bodies over the octets that matter (WSP, CR, LF, text), long
   enough to cross the hasher's internal chunk: streaming result equals
   the reference, for every split. */
static void
test_random_bodies(void)
{
	static const char alphabet[] = "ab \t\r\n\n\r\n.";
	uint32_t r = 12345;
	size_t round, i, n;
	char *in = malloc(5000);

	test_begin("random bodies vs reference");
	for (round = 0; round < 400; round++) {
		n = round < 380 ? test_rand(&r) % 60
				: 2000 + test_rand(&r) % 3000;
		for (i = 0; i < n; i++)
			in[i] =
			    alphabet[test_rand(&r) % (sizeof(alphabet) - 1)];
		for (int a = 0; a < 2; a++) {
			enum dkim_canon_alg alg =
			    a ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
			uint8_t h[DKIM_HASH_LEN], h2[DKIM_HASH_LEN];
			struct buf copy, ref;

			buf_init(&copy, 0);
			buf_init(&ref, 0);
			body_canon(alg, in, n, 0, (uint32_t)round + 1, h,
				   &copy);
			body_reference(alg, in, n, &ref);
			TEST_ASSERT_MEMEQ(buf_rptr(&copy), buf_len(&copy),
					  buf_rptr(&ref), buf_len(&ref));
			sha256(buf_rptr(&ref), buf_len(&ref), h2);
			TEST_ASSERT_MEMEQ(h, sizeof(h), h2, sizeof(h2));
			if (round % 50 == 0)
				check_split_invariance(alg, in, n);
			buf_deinit(&copy);
			buf_deinit(&ref);
		}
	}
	free(in);
	test_end();
}

/* Many empty lines held back, then text: all of them come out. */
static void
test_many_empty_lines(void)
{
	size_t n = 3 * 100000 + 1, i;
	char *in = malloc(n);
	uint8_t h[DKIM_HASH_LEN];
	struct buf copy;

	test_begin("many empty lines");
	for (i = 0; i + 1 < n; i += 3)
		memcpy(in + i, " \r\n", 3);
	in[n - 1] = 'x';
	buf_init(&copy, 0);
	body_canon(DKIM_CANON_RELAXED, in, n, 4096, 0, h, &copy);
	TEST_ASSERT_INTEQ(buf_len(&copy), 2 * 100000 + 3);
	buf_reset(&copy);
	body_canon(DKIM_CANON_RELAXED, in, n - 1, 4096, 0, h, &copy);
	TEST_ASSERT_INTEQ(buf_len(&copy), 0);
	buf_deinit(&copy);
	free(in);
	test_end();
}

TEST_MAIN(test_body_table, test_body_empty_hashes, test_header_table,
	  test_header_out_limit, test_fields, test_split_invariance,
	  test_random_bodies, test_many_empty_lines)

/* test_mime_header.c: tests of header unfolding and Content-Type /
   Content-Disposition parsing with RFC 2231 parameters. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "arena.h"
#include "buf.h"
#include "limits.h"
#include "mime/mime_header.h"

struct unfold_case {
	const char *in;
	size_t in_len; /* 0: strlen(in) */
	const char *out;
};

static const struct unfold_case unfold_cases[] = {
    {"", 0, ""},
    {"plain", 0, "plain"},
    /* RFC 5322 2.2.3: CRLF followed by WSP is removed */
    {"a\r\n b", 0, "a b"},
    {"a\r\n\tb", 0, "a\tb"},
    {"a\r\n \r\n b", 0, "a  b"},
    /* leading and trailing WSP go, inner WSP stays */
    {"  a  b \t", 0, "a  b"},
    {"\r\n a", 0, "a"},
    {"a\r\n", 0, "a"},
    {" \t\r\n ", 0, ""},
    /* stray CR, LF and NUL go */
    {"a\rb\nc", 0, "abc"},
    {"a\0b", 3, "ab"},
    {"\0 a", 3, "a"},
    {"8-bit \xc3\xa9", 0, "8-bit \xc3\xa9"},
};

static void
test_unfold(void)
{
	struct arena *a = arena_new("test", 1024);
	size_t i;

	for (i = 0; i < sizeof(unfold_cases) / sizeof(unfold_cases[0]); i++) {
		const struct unfold_case *c = &unfold_cases[i];
		size_t n = c->in_len > 0 ? c->in_len : strlen(c->in), len;
		char out[64], *v;

		test_begin(c->in);
		len = mime_header_unfold(c->in, n, out);
		TEST_ASSERT_MEMEQ(out, len, c->out, strlen(c->out));
		/* in place */
		memcpy(out, c->in, n);
		len = mime_header_unfold(out, n, out);
		TEST_ASSERT_MEMEQ(out, len, c->out, strlen(c->out));
		v = mime_header_value(a, c->in, n);
		TEST_ASSERT_STREQ(v, c->out);
	}
	arena_free(&a);
}

/* "type/subtype" then each parameter as name=value, or
   name*=charset'language'value when extended, "|" between. */
static void
dump_content(const struct mime_content *c, struct buf *out)
{
	size_t i;

	buf_printf(out, "%s/%s", c->type ? c->type : "(null)",
		   c->subtype ? c->subtype : "(null)");
	for (i = 0; i < c->n_params; i++) {
		const struct mime_param *p = &c->params[i];

		if (p->extended)
			buf_printf(out, "|%s*=%s'%s'%s", p->name, p->charset,
				   p->language, p->value);
		else
			buf_printf(out, "|%s=%s", p->name, p->value);
	}
}

struct ct_case {
	const char *in;
	bool with_subtype;
	int rc;
	const char *dump;            /* dump_content() of the result */
	const char *dname, *decoded; /* mime_param_decode() of one */
};

static const struct ct_case ct_cases[] = {
    {"text/plain", true, 0, "text/plain", NULL, NULL},
    {"Text/HTML; Charset=\"UTF-8\"", true, 0, "text/html|charset=UTF-8",
     "charset", "UTF-8"},
    /* RFC 2045 5.1 examples */
    {"text/plain; charset=us-ascii (Plain text)", true, 0,
     "text/plain|charset=us-ascii", NULL, NULL},
    {"text/plain; charset=\"us-ascii\"", true, 0, "text/plain|charset=us-ascii",
     NULL, NULL},
    {"multipart/mixed; boundary=\"simple boundary\"", true, 0,
     "multipart/mixed|boundary=simple boundary", NULL, NULL},
    /* comments and whitespace (CFWS) anywhere between tokens */
    {"(c) text (x) / (y) plain (z) ; (a) charset (b) = (c) us-ascii (d)", true,
     0, "text/plain|charset=us-ascii", NULL, NULL},
    {"text/plain;\r\n\tcharset=us-ascii;\r\n format=flowed", true, 0,
     "text/plain|charset=us-ascii|format=flowed", NULL, NULL},
    {"text/plain ((nested) comment) ; a=b", true, 0, "text/plain|a=b", NULL,
     NULL},
    {"text/plain (a \\) b); c=d", true, 0, "text/plain|c=d", NULL, NULL},
    /* RFC 2045 5.2: no valid type, no parameters */
    {"", true, -1, "(null)/(null)", NULL, NULL},
    {"text", true, -1, "(null)/(null)", NULL, NULL},
    {"text/", true, -1, "(null)/(null)", NULL, NULL},
    {"text/; charset=x", true, -1, "(null)/(null)", NULL, NULL},
    {"/plain", true, -1, "(null)/(null)", NULL, NULL},
    {"; charset=x", true, -1, "(null)/(null)", NULL, NULL},
    {"text plain", true, -1, "(null)/(null)", NULL, NULL},
    {"(only a comment)", true, -1, "(null)/(null)", NULL, NULL},
    {"\"text\"/plain", true, -1, "(null)/(null)", NULL, NULL},
    /* Content-Disposition (RFC 2183 2 example) */
    {"attachment; filename=genome.jpeg;\r\n"
     " modification-date=\"Wed, 12 Feb 1997 16:29:51 -0500\"",
     false, 0,
     "attachment/(null)|filename=genome.jpeg|modification-date=Wed, 12 Feb "
     "1997 16:29:51 -0500",
     "filename", "genome.jpeg"},
    {"INLINE", false, 0, "inline/(null)", NULL, NULL},
    {"", false, -1, "(null)/(null)", NULL, NULL},
    {"attachment/x; a=b", false, 0, "attachment/(null)|a=b", NULL, NULL},
    /* RFC 2231 3: continuations */
    {"message/external-body; access-type=URL;\r\n"
     " URL*0=\"ftp://\";\r\n"
     " URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
     true, 0,
     "message/external-body|access-type=URL|url=ftp://cs.utk.edu/pub/moore/"
     "bulk-mailer/bulk-mailer.tar",
     "url", "ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"},
    /* RFC 2231 3 (2): order does not matter; quoted and token mixed */
    {"a/b; x*1=\"b c\"; x*2=d; x*0=a", true, 0, "a/b|x=ab cd", "x", "ab cd"},
    /* a gap ends the value; no section 0, no value */
    {"a/b; x*0=a; x*2=c", true, 0, "a/b|x=a", NULL, NULL},
    {"a/b; x*1=b", true, 0, "a/b|x=", "x", ""},
    /* a duplicate section: the first wins */
    {"a/b; x*0=a; x*0=z; x*1=b", true, 0, "a/b|x=ab", NULL, NULL},
    /* RFC 2231 4: charset and language */
    {"application/x-stuff;\r\n"
     " title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A",
     true, 0,
     "application/x-stuff|title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%"
     "2A%2A",
     "title", "This is ***fun***"},
    /* RFC 2231 4.1 (with the ";" the RFC's example leaves out): plain
       sections are percent-encoded into the extended value */
    {"application/x-stuff;\r\n"
     " title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n"
     " title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n"
     " title*2=\"isn't it!\"",
     true, 0,
     "application/x-stuff|title*=us-ascii'en'This%20is%20even%20more%20%2A%"
     "2A%2Afun%2A%2A%2A%20isn%27t%20it!",
     "title", "This is even more ***fun*** isn't it!"},
    /* RFC 2231 4: empty charset and language */
    {"a/b; t*=''%41", true, 0, "a/b|t*=''%41", "t", "A"},
    {"a/b; t*=utf-8''caf%C3%A9", true, 0, "a/b|t*=utf-8''caf%C3%A9", "t",
     "caf\xc3\xa9"},
    {"a/b; t*=ISO-8859-1'fr'caf%E9", true, 0, "a/b|t*=iso-8859-1'fr'caf%E9",
     "t", "caf\xc3\xa9"},
    /* without the quotes the whole value is the text */
    {"a/b; t*=abc", true, 0, "a/b|t*=''abc", "t", "abc"},
    {"a/b; t*=utf-8'abc", true, 0, "a/b|t*=''utf-8'abc", "t", "utf-8'abc"},
    /* an unknown charset falls back to UTF-8 */
    {"a/b; t*=x-unknown''a%C3%A9", true, 0, "a/b|t*=x-unknown''a%C3%A9", "t",
     "a\xc3\xa9"},
    /* a charset through iconv, NUL bytes included */
    {"a/b; t*=utf-16le''a%00b%00", true, 0, "a/b|t*=utf-16le''a%00b%00", "t",
     "ab"},
    /* invalid percent escapes stay; a NUL shows as U+FFFD */
    {"a/b; t*=''%4g%%41%", true, 0, "a/b|t*=''%4g%%41%", "t", "%4g%A%"},
    {"a/b; t*=''a%00b", true, 0, "a/b|t*=''a%00b", "t",
     "a\xef\xbf\xbd"
     "b"},
    {"a/b; t*=''%FF", true, 0, "a/b|t*=''%FF", "t", "\xef\xbf\xbd"},
    /* only the extended sections count as extended; a plain first
       section leaves the charset empty */
    {"a/b; t*0=\"a b\"; t*1*=%41", true, 0, "a/b|t*=''a%20b%41", "t", "a bA"},
    /* names are case-insensitive and lower-cased, charsets too */
    {"a/b; Name*0*=UTF-8''a; NAME*1=b", true, 0, "a/b|name*=utf-8''ab", "name",
     "ab"},
    /* plain and extended forms of one name: the extended one wins,
       sections over a single value; first of two plain ones wins */
    {"a/b; filename=\"plain.txt\"; filename*=utf-8''%C3%A9.txt", true, 0,
     "a/b|filename*=utf-8''%C3%A9.txt", "filename", "\xc3\xa9.txt"},
    {"a/b; f*=''x; f*0*=''y", true, 0, "a/b|f*=''y", "f", "y"},
    {"a/b; charset=a; charset=b", true, 0, "a/b|charset=a", NULL, NULL},
    /* plain values: RFC 2047 words are decoded (common practice) */
    {"attachment; filename=\"=?utf-8?q?caf=C3=A9?=.txt\"", false, 0,
     "attachment/(null)|filename==?utf-8?q?caf=C3=A9?=.txt", "filename",
     "caf\xc3\xa9.txt"},
    {"a/b; f=\"=?utf-8?q?a=00b?=\"", true, 0, "a/b|f==?utf-8?q?a=00b?=", "f",
     "a\xef\xbf\xbd"
     "b"},
    {"a/b; f=caf\xc3\xa9", true, 0, "a/b|f=caf\xc3\xa9", "f", "caf\xc3\xa9"},
    {"a/b; f=caf\xe9", true, 0, "a/b|f=caf\xe9", "f", "caf\xef\xbf\xbd"},
    /* quoted-strings: escapes, folding, unterminated, empty */
    {"a/b; x=\"a\\\"b\\\\c\"", true, 0, "a/b|x=a\"b\\c", NULL, NULL},
    {"a/b; x=\"a\r\n b\"", true, 0, "a/b|x=a b", NULL, NULL},
    {"a/b; x=\"abc", true, 0, "a/b|x=abc", NULL, NULL},
    {"a/b; x=\"\"; y=", true, 0, "a/b|x=|y=", "x", ""},
    {"a/b; x=\"a;b=c\"; y=d", true, 0, "a/b|x=a;b=c|y=d", NULL, NULL},
    /* leniency: junk is skipped up to the next ";" */
    {"text/plain garbage; charset=x", true, 0, "text/plain|charset=x", NULL,
     NULL},
    {"text/plain; foo; charset=x", true, 0, "text/plain|charset=x", NULL, NULL},
    {"text/plain; =x; charset=y", true, 0, "text/plain|charset=y", NULL, NULL},
    {"text/plain \"a;b=c\"; d=e", true, 0, "text/plain|d=e", NULL, NULL},
    {"text/plain (a;b=c); d=e", true, 0, "text/plain|d=e", NULL, NULL},
    {"text/plain; a=b c; d=e", true, 0, "text/plain|a=b|d=e", NULL, NULL},
    {"text/plain;;; a=b;", true, 0, "text/plain|a=b", NULL, NULL},
    {"text/plain; a=\"b\" \"x;y=z\"; d=e", true, 0, "text/plain|a=b|d=e", NULL,
     NULL},
    /* malformed RFC 2231 names are not the base name */
    {"a/b; name*x=1; name=2", true, 0, "a/b|name*x=1|name=2", NULL, NULL},
    {"a/b; name*0x=1; name=2", true, 0, "a/b|name*0x=1|name=2", NULL, NULL},
    {"a/b; name*0**=1", true, 0, "a/b|name*0**=1", NULL, NULL},
    {"a/b; *=1; *0=2; *0*=3; n=4", true, 0, "a/b|n=4", NULL, NULL},
    {"a/b; name*99=z; name*100=y", true, 0, "a/b|name=", NULL, NULL},
};

static void
check_ct(const struct ct_case *c, const char *in, size_t n, struct arena *a)
{
	struct mime_content ct;
	struct buf dump;

	buf_init(&dump, 0);
	TEST_ASSERT_INTEQ(mime_content_parse(in, n, c->with_subtype, a, &ct),
			  c->rc);
	dump_content(&ct, &dump);
	buf_append(&dump, "", 1);
	TEST_ASSERT_STREQ((const char *)buf_rptr(&dump), c->dump);
	if (c->dname != NULL) {
		const struct mime_param *p = mime_content_param(&ct, c->dname);

		TEST_ASSERT(p != NULL);
		if (p != NULL)
			TEST_ASSERT_STREQ(mime_param_decode(p, a), c->decoded);
	}
	buf_deinit(&dump);
}

static void
test_content_table(void)
{
	struct arena *a = arena_new("test", 4096);
	size_t i;

	for (i = 0; i < sizeof(ct_cases) / sizeof(ct_cases[0]); i++) {
		const struct ct_case *c = &ct_cases[i];
		char *v;

		test_begin(c->in);
		check_ct(c, c->in, strlen(c->in), a);
		/* the unfolded value parses the same */
		v = mime_header_value(a, c->in, strlen(c->in));
		check_ct(c, v, strlen(v), a);
		arena_reset(a);
	}
	arena_free(&a);
}

/* Folding (CRLF inserted before any WSP) never changes the result. */
static void
test_content_folding(void)
{
	struct arena *a = arena_new("test", 4096);
	uint32_t seed = 99;
	size_t i;

	for (i = 0; i < sizeof(ct_cases) / sizeof(ct_cases[0]); i++) {
		const struct ct_case *c = &ct_cases[i];
		size_t n = strlen(c->in), j;
		int round;

		test_begin(c->in);
		for (round = 0; round < 10; round++) {
			struct buf f;

			buf_init(&f, 0);
			for (j = 0; j < n; j++) {
				if ((c->in[j] == ' ' || c->in[j] == '\t') &&
				    test_rand(&seed) % 2)
					buf_append(&f, "\r\n", 2);
				buf_append(&f, c->in + j, 1);
			}
			buf_append(&f, "", 1);
			check_ct(c, (const char *)buf_rptr(&f), buf_len(&f) - 1,
				 a);
			buf_deinit(&f);
			arena_reset(a);
		}
	}
	arena_free(&a);
}

/* The value given is exactly n bytes: no read past it, NUL inside. */
static void
test_content_length(void)
{
	struct arena *a = arena_new("test", 4096);
	struct mime_content ct;
	char *v = malloc(16);

	test_begin("explicit length");
	memcpy(v, "text/plain; a=b", 15);
	TEST_ASSERT_INTEQ(mime_content_parse(v, 15, true, a, &ct), 0);
	TEST_ASSERT_INTEQ(ct.n_params, 1);
	TEST_ASSERT_STREQ(ct.params[0].value, "b");
	TEST_ASSERT_INTEQ(mime_content_parse(v, 12, true, a, &ct), 0);
	TEST_ASSERT_INTEQ(ct.n_params, 0);
	TEST_ASSERT_INTEQ(mime_content_parse(v, 4, true, a, &ct), -1);
	TEST_ASSERT_INTEQ(
	    mime_content_parse("a/b; x=\"1\0002\"", 13, true, a, &ct), 0);
	TEST_ASSERT_STREQ(ct.params[0].value, "12");
	TEST_ASSERT(mime_content_param(&ct, "y") == NULL);
	TEST_ASSERT(mime_content_param(&ct, "X") == NULL); /* lower-case */
	free(v);
	arena_free(&a);
}

/* Parameters past MIME_PARAMS_MAX and sections past
   MIME_PARAM_SECTIONS_MAX are dropped; the rest are kept in order. */
static void
test_content_limits(void)
{
	struct arena *a = arena_new("test", 4096);
	struct mime_content ct;
	struct buf in, expect;
	int i;

	test_begin("params max");
	buf_init(&in, 0);
	buf_init(&expect, 0);
	buf_printf(&in, "a/b");
	for (i = 0; i < MIME_PARAMS_MAX * 3; i++)
		buf_printf(&in, "; p%d=%d", i, i);
	TEST_ASSERT_INTEQ(mime_content_parse((const char *)buf_rptr(&in),
					     buf_len(&in), true, a, &ct),
			  0);
	TEST_ASSERT_INTEQ(ct.n_params, MIME_PARAMS_MAX);
	for (i = 0; i < (int)ct.n_params; i++) {
		char name[16];

		snprintf(name, sizeof(name), "p%d", i);
		TEST_ASSERT_STREQ(ct.params[i].name, name);
	}

	test_begin("sections max");
	buf_reset(&in);
	buf_printf(&in, "a/b");
	/* written backwards, all of them must be collected */
	for (i = MIME_PARAM_SECTIONS_MAX; i >= 0; i--)
		buf_printf(&in, "; t*%d=%c", i, 'a' + i % 26);
	for (i = 0; i < MIME_PARAM_SECTIONS_MAX; i++)
		buf_printf(&expect, "%c", 'a' + i % 26);
	buf_append(&expect, "", 1);
	TEST_ASSERT_INTEQ(mime_content_parse((const char *)buf_rptr(&in),
					     buf_len(&in), true, a, &ct),
			  0);
	TEST_ASSERT_INTEQ(ct.n_params, 1);
	TEST_ASSERT_STREQ(ct.params[0].value, (const char *)buf_rptr(&expect));
	buf_deinit(&in);
	buf_deinit(&expect);
	arena_free(&a);
}

TEST_MAIN(test_unfold, test_content_table, test_content_folding,
	  test_content_length, test_content_limits)

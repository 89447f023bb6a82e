/* test_http_parse.c: tests of the HTTP/1.1 request parser and its helpers. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "base64.h"
#include "buf.h"
#include "limits.h"
#include "web/http_parse.h"

/* Append s[0..n) to log, bytes outside printable ASCII as \xNN. */
static void
log_bytes(struct buf *log, const void *data, size_t n)
{
	const uint8_t *s = data;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\\')
			buf_append(log, &s[i], 1);
		else
			buf_printf(log, "\\x%02x", s[i]);
	}
}

static void
log_fields(struct buf *log, const char *tag, const struct http_header *h,
	   unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		TEST_ASSERT_INTEQ(strlen(h[i].name), h[i].name_len);
		TEST_ASSERT_INTEQ(strlen(h[i].value), h[i].value_len);
		buf_printf(log, " %s{%s}{", tag, h[i].name);
		log_bytes(log, h[i].value, h[i].value_len);
		buf_printf(log, "}");
	}
}

/* Feed input to a parser in pieces (whole when step and seed are 0,
   `step` bytes at a time, or random sizes from seed) and write a
   transcript: one "H ..." line per head, "B[body] T<trailers>" per end,
   "E<status>" for an error.  verbose adds fields and error texts. */
static void
feed(const char *input, size_t n, size_t step, uint32_t seed,
     const struct http_parse_limits *lim, bool verbose, struct buf *log)
{
	struct http_parser p;
	struct http_event ev;
	struct buf in, body;
	size_t pos = 0;
	bool failed = false;

	http_parser_init(&p, lim);
	buf_init(&in, 0);
	buf_init(&body, 0);
	while (pos < n && !failed) {
		size_t next = n;
		int rc;

		if (step > 0)
			next = pos + step < n ? pos + step : n;
		else if (seed != 0)
			next = pos + 1 + test_rand(&seed) % 23;
		if (next > n)
			next = n;
		buf_append(&in, input + pos, next - pos);
		pos = next;
		while ((rc = http_parse(&p, &in, &ev)) != 0) {
			const struct http_request *r = &p.req;

			if (rc < 0) {
				buf_printf(log, "E%d", p.status);
				if (verbose)
					buf_printf(log, " %s", p.error);
				buf_printf(log, "\n");
				TEST_ASSERT(p.error != NULL);
				/* Errors stick. */
				TEST_ASSERT_INTEQ(http_parse(&p, &in, &ev), -1);
				failed = true;
				break;
			}
			if (ev.type == HTTP_EV_HEAD) {
				buf_printf(log, "H %s %c %s h=%s v%u%s",
					   r->method_str, "oa*"[r->form],
					   r -> path, r -> host, r -> version,
					   r -> keep_alive ? " ka" : "");
				if (r->chunked)
					buf_printf(log, " chunked");
				else
					buf_printf(log, " cl=%llu",
						   (unsigned long long)
						       r->content_length);
				if (r->expect_continue)
					buf_printf(log, " 100");
				if (verbose) {
					buf_printf(log, " m%d t=%s",
						   (int)r->method, r->target);
					log_fields(log, "H", r->headers,
						   r->nheaders);
				}
				buf_printf(log, "\n");
			} else if (ev.type == HTTP_EV_BODY) {
				TEST_ASSERT(ev.len > 0);
				buf_append(&body, ev.data, ev.len);
				TEST_ASSERT_INTEQ(r->body_bytes,
						  buf_len(&body));
			} else {
				TEST_ASSERT_INTEQ(ev.type, HTTP_EV_END);
				buf_printf(log, "B[");
				log_bytes(log, buf_rptr(&body), buf_len(&body));
				buf_printf(log, "] T%u", r->ntrailers);
				if (verbose)
					log_fields(log, "T", r->trailers,
						   r->ntrailers);
				buf_printf(log, "\n");
				buf_reset(&body);
			}
		}
		if (!failed)
			TEST_ASSERT_INTEQ(buf_len(&in), 0);
	}
	buf_deinit(&body);
	buf_deinit(&in);
	http_parser_deinit(&p);
}

/* The transcript of input fed whole (compact form), as a new string. */
static char *
transcript(const char *input, size_t n, const struct http_parse_limits *lim,
	   bool verbose)
{
	struct buf log;
	char *s;

	buf_init(&log, 0);
	feed(input, n, 0, 0, lim, verbose, &log);
	s = malloc(buf_len(&log) + 1);
	memcpy(s, buf_rptr(&log), buf_len(&log));
	s[buf_len(&log)] = '\0';
	buf_deinit(&log);
	return s;
}

/* Whole, byte by byte and random splits must give identical verbose
   transcripts. */
static void
check_splits(const char *input, size_t n, const struct http_parse_limits *lim)
{
	struct buf whole, other;
	uint32_t seed;

	buf_init(&whole, 0);
	feed(input, n, 0, 0, lim, true, &whole);
	for (seed = 0; seed < 6; seed++) {
		buf_init(&other, 0);
		if (seed == 0)
			feed(input, n, 1, 0, lim, true, &other);
		else
			feed(input, n, 0, seed * 7919, lim, true, &other);
		TEST_ASSERT_MEMEQ(buf_rptr(&whole), buf_len(&whole),
				  buf_rptr(&other), buf_len(&other));
		buf_deinit(&other);
	}
	buf_deinit(&whole);
}

/* The transcript of input (a string, fed whole) is want, and splits
   change nothing. */
static void
expect(const char *input, const struct http_parse_limits *lim, const char *want)
{
	size_t n = strlen(input);
	char *got = transcript(input, n, lim, false);

	TEST_ASSERT_STREQ(got, want);
	free(got);
	check_splits(input, n, lim);
}

/* A POST with a chunked body of the given framing. */
static void
expect_chunked(const char *framing, const struct http_parse_limits *lim,
	       const char *want)
{
	struct buf in;

	buf_init(&in, 0);
	buf_printf(&in,
		   "POST / HTTP/1.1\r\nHost: h\r\n"
		   "Transfer-Encoding: chunked\r\n\r\n%s",
		   framing);
	buf_append(&in, "", 1);
	expect((const char *)buf_rptr(&in), lim, want);
	buf_deinit(&in);
}

#define GOOD_HEAD "H GET o / h=h v11 ka cl=0\nB[] T0\n"
#define CHUNKED_HEAD "H POST o / h=h v11 ka chunked\n"

#define HOST "Host: h\r\n"

struct req_case {
	const char *in;
	const char *want; /* the compact transcript */
};

static const struct req_case req_cases[] = {
    /* good requests */
    {"GET / HTTP/1.1\r\n" HOST "\r\n", "H GET o / h=h v11 ka cl=0\nB[] T0\n"},
    {"HEAD /a/b?c=d HTTP/1.1\r\nHost: example.org:8080\r\n\r\n",
     "H HEAD o /a/b?c=d h=example.org:8080 v11 ka cl=0\nB[] T0\n"},
    {"POST /up HTTP/1.1\r\n" HOST "Content-Length: 5\r\n\r\nhello",
     "H POST o /up h=h v11 ka cl=5\nB[hello] T0\n"},
    {"PUT /x HTTP/1.1\r\n" HOST "Content-Length: 0\r\n\r\n",
     "H PUT o /x h=h v11 ka cl=0\nB[] T0\n"},
    /* RFC 9112 2.2: bare LF line ends, empty lines before the request */
    {"GET / HTTP/1.1\n" HOST "\n", "H GET o / h=h v11 ka cl=0\nB[] T0\n"},
    {"\r\n\r\n\nGET / HTTP/1.1\r\n" HOST "\r\n",
     "H GET o / h=h v11 ka cl=0\nB[] T0\n"},
    /* keep-alive */
    {"GET / HTTP/1.0\r\n\r\n", "H GET o / h= v10 cl=0\nB[] T0\n"},
    {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
     "H GET o / h= v10 ka cl=0\nB[] T0\n"},
    {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
     "H GET o / h= v10 cl=0\nB[] T0\n"},
    {"GET / HTTP/1.1\r\n" HOST "Connection: upgrade, CLOSE\r\n\r\n",
     "H GET o / h=h v11 cl=0\nB[] T0\n"},
    {"GET / HTTP/1.1\r\n" HOST "Connection: te\r\nConnection: close\r\n\r\n",
     "H GET o / h=h v11 cl=0\nB[] T0\n"},
    /* RFC 9110 6.2: a higher minor version is taken as 1.1 */
    {"GET / HTTP/1.9\r\n" HOST "\r\n", "H GET o / h=h v11 ka cl=0\nB[] T0\n"},
    /* target forms */
    {"OPTIONS * HTTP/1.1\r\n" HOST "\r\n",
     "H OPTIONS * * h=h v11 ka cl=0\nB[] T0\n"},
    {"GET http://Example.com:80/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
     "H GET a /p?q h=Example.com:80 v11 ka cl=0\nB[] T0\n"},
    {"GET https://a.b HTTP/1.1\r\nHost: a.b\r\n\r\n",
     "H GET a / h=a.b v11 ka cl=0\nB[] T0\n"},
    {"GET http://a.b?x=1 HTTP/1.1\r\nHost: a.b\r\n\r\n",
     "H GET a /?x=1 h=a.b v11 ka cl=0\nB[] T0\n"},
    {"GET http://[::1]:8080/ HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
     "H GET a / h=[::1]:8080 v11 ka cl=0\nB[] T0\n"},
    {"GET /%41%2f;a=b,c@d:e!$&'()*+~._- HTTP/1.1\r\n" HOST "\r\n",
     "H GET o /%41%2f;a=b,c@d:e!$&'()*+~._- h=h v11 ka cl=0\nB[] T0\n"},
    {"BREW /pot HTTP/1.1\r\n" HOST "\r\n",
     "H BREW o /pot h=h v11 ka cl=0\nB[] T0\n"},
    /* Host forms (RFC 9112 3.2: empty is valid) */
    {"GET / HTTP/1.1\r\nHost:\r\n\r\n", "H GET o / h= v11 ka cl=0\nB[] T0\n"},
    {"GET / HTTP/1.1\r\nHost: 192.0.2.1:65535\r\n\r\n",
     "H GET o / h=192.0.2.1:65535 v11 ka cl=0\nB[] T0\n"},
    {"GET / HTTP/1.1\r\nHost: \t xn--bcher-kva.example \t\r\n\r\n",
     "H GET o / h=xn--bcher-kva.example v11 ka cl=0\nB[] T0\n"},
    /* Content-Length lists of one value (RFC 9112 6.3 rule 5) */
    {"POST / HTTP/1.1\r\n" HOST "Content-Length: 3, 3\r\n\r\nabc",
     "H POST o / h=h v11 ka cl=3\nB[abc] T0\n"},
    {"POST / HTTP/1.1\r\n" HOST
     "Content-Length: 3\r\nContent-Length: 003\r\n\r\nabc",
     "H POST o / h=h v11 ka cl=3\nB[abc] T0\n"},
    /* chunked */
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "5\r\nhello\r\n6;ext=1 ; e2=\"q\\\"s\"\r\n world\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nB[hello world] T0\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: Chunked\r\n\r\n"
     "A\r\n0123456789\r\n000;last\r\nX-Sum: 1\r\nX-B:  2 \r\n\r\n",
     "H POST o / h=h v11 ka chunked\nB[0123456789] T2\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: ,chunked ,\r\n\r\n"
     "0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nB[] T0\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "00000000000000000000001\r\nz\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nB[z] T0\n"},
    /* Expect */
    {"PUT / HTTP/1.1\r\n" HOST
     "Expect: 100-Continue\r\nContent-Length: 1\r\n\r\nx",
     "H PUT o / h=h v11 ka cl=1 100\nB[x] T0\n"},
    {"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
     "H PUT o / h= v10 cl=1\nB[x] T0\n"},
    {"PUT / HTTP/1.0\r\nExpect: something-else\r\n\r\n",
     "H PUT o / h= v10 cl=0\nB[] T0\n"},
    /* obs-text and inner whitespace in values */
    {"GET / HTTP/1.1\r\n" HOST "X-A: caf\xc3\xa9 \t au\tlait\r\n\r\n",
     "H GET o / h=h v11 ka cl=0\nB[] T0\n"},

    /* bad request lines */
    {"GET /\r\n\r\n", "E400\n"},
    {"GET  / HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET / HTTP/1.1 \r\n" HOST "\r\n", "E400\n"},
    {" GET / HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET / http/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET / HTTP/1.10\r\n" HOST "\r\n", "E400\n"},
    {"GET / HTTP/1\r\n" HOST "\r\n", "E400\n"},
    {"GET / HTTP/2.0\r\n" HOST "\r\n", "E505\n"},
    {"GET / HTTP/0.9\r\n" HOST "\r\n", "E505\n"},
    {"GET\t/ HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"G(T / HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"CONNECT a.b:443 HTTP/1.1\r\nHost: a.b:443\r\n\r\n", "E501\n"},
    {"GET * HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET a.b:443 HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET /a#frag HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET /a%2 HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET /a%zz HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET /a|b HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET /\xc3\xa9 HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET ftp://a/ HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET http:///x HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET http://u@a/ HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET http://a:99999/ HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    {"GET / HTTP/1.1\rX\r\n" HOST "\r\n", "E400\n"},
    {"\r\r\nGET / HTTP/1.1\r\n" HOST "\r\n", "E400\n"},
    /* bad fields */
    {"GET / HTTP/1.1\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST "X-A\t: 1\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n Host: a\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST "X-A: 1\r\n 2\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST "X-A: 1\r\n\t2\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST "X-A 1\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST ": 1\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST "X(A): 1\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST "X-A: 1\r2\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST "X-A: 1\x7f\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST "X-A: \x01\r\n\r\n", "E400\n"},
    {"GET / HTTP/1.1\r\n" HOST "\r \r\n\r\n", "E400\n"},
    {"PUT / HTTP/1.1\r\n" HOST "Expect: 100-continue, x\r\n\r\n", "E417\n"},
    {"PUT / HTTP/1.1\r\n" HOST "Expect: 200-ok\r\n\r\n", "E417\n"},
    /* request smuggling (RFC 9112 6.1, 6.3, 11.2) */
    {"POST / HTTP/1.1\r\n" HOST
     "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST
     "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked, gzip\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: gzip\r\n\r\n", "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: gzip, chunked\r\n\r\n",
     "E501\n"},
    {"POST / HTTP/1.1\r\n" HOST
     "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
     "E501\n"},
    {"POST / HTTP/1.1\r\n" HOST
     "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked, chunked\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked;q=1\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked;\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: \"chunked\"\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding:\r\n\r\n", "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: xchunked\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding : chunked\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Content-Length: 3, 4\r\n\r\nabcd", "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST
     "Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Content-Length: -1\r\n\r\n", "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Content-Length: +1\r\n\r\nx", "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Content-Length: 0x10\r\n\r\n", "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Content-Length: 1 2\r\n\r\n", "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Content-Length:\r\n\r\n", "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Content-Length: 1.5\r\n\r\n", "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Content-Length: 18446744073709551616\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST
     "Content-Length: 99999999999999999999999\r\n\r\n",
     "E400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Content-Length: 18446744073709551615\r\n\r\n",
     "E413\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "10000000000000000\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "ffffffffffffffff\r\n",
     "H POST o / h=h v11 ka chunked\nE413\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "-1\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "0x5\r\nhello\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     " 5\r\nhello\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "5 \r\nhello\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "5\nhello\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "5\r\nhello\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "5\r\nhelloXX0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "3\r\nhello\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "5;=x\r\nhello\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "5;a=\"x\r\nhello\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "5;a=b c\r\nhello\r\n0\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "0\r\nX-A: 1\r\n 2\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "0\r\nX-A: 1\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "0\r\n\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    {"POST / HTTP/1.1\r\n" HOST "Transfer-Encoding: chunked\r\n\r\n"
     "0\r\nX-A : 1\r\n\r\n",
     "H POST o / h=h v11 ka chunked\nE400\n"},
    /* The classic CL.TE / TE.CL pair as one stream: refused, not split
       into two requests. */
    {"POST / HTTP/1.1\r\n" HOST
     "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
     "E400\n"},
};

static void
test_requests_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		test_begin(req_cases[i].in);
		expect(req_cases[i].in, NULL, req_cases[i].want);
	}
	/* NUL in the request line and in a field value. */
	for (i = 0; i < 2; i++) {
		static const char nul_line[] =
		    "GET /\0 HTTP/1.1\r\n" HOST "\r\n";
		static const char nul_field[] =
		    "GET / HTTP/1.1\r\n" HOST "X-A: 1\0002\r\n\r\n";
		const char *in = i == 0 ? nul_line : nul_field;
		size_t n =
		    i == 0 ? sizeof(nul_line) - 1 : sizeof(nul_field) - 1;
		char *got;

		test_begin("NUL");
		got = transcript(in, n, NULL, true);
		TEST_ASSERT_STREQ(got, "E400 NUL in request head\n");
		free(got);
		check_splits(in, n, NULL);
	}
}

/* Every request of the table sent on one connection: good ones follow
   each other (pipelining), and the stream stops at the first bad one. */
static void
test_pipeline(void)
{
	struct buf all, want;
	char *got;
	size_t i;

	test_begin("pipeline");
	buf_init(&all, 0);
	buf_init(&want, 0);
	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		const struct req_case *c = &req_cases[i];

		/* Leading empty lines join the previous request's bytes
		   fine; HTTP/1.0 ones end the stream for a real server but
		   the parser goes on. */
		buf_append_str(&all, c->in);
		buf_append_str(&want, c->want);
		if (c->want[0] == 'E' || strstr(c->want, "\nE") != NULL)
			break;
	}
	buf_append(&want, "", 1);
	got = transcript((const char *)buf_rptr(&all), buf_len(&all), NULL,
			 false);
	TEST_ASSERT_STREQ(got, (const char *)buf_rptr(&want));
	free(got);
	check_splits((const char *)buf_rptr(&all), buf_len(&all), NULL);
	buf_deinit(&all);
	buf_deinit(&want);
}

/* Fields: names and values as sent, OWS trimmed, order kept; trailers
   apart; lookups case-insensitive. */
static void
test_fields(void)
{
	static const char in[] =
	    "POST /p HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nx-a:  1 2 \t\r\n"
	    "X-A:3\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "1\r\nz\r\n0\r\nX-T: t\r\n\r\n";
	char *got = transcript(in, sizeof(in) - 1, NULL, true);

	test_begin("fields");
	TEST_ASSERT_STREQ(got,
			  "H POST o /p h=h v11 ka chunked m3 t=/p H{Host}{h} "
			  "H{X-Empty}{} H{x-a}{1 2} H{X-A}{3} "
			  "H{Transfer-Encoding}{chunked}\n"
			  "B[z] T1 T{X-T}{t}\n");
	free(got);
	check_splits(in, sizeof(in) - 1, NULL);
	{
		struct http_parser p;
		struct http_event ev;
		struct buf b;

		http_parser_init(&p, NULL);
		buf_init(&b, 0);
		buf_append(&b, in, sizeof(in) - 1);
		TEST_ASSERT_INTEQ(http_parse(&p, &b, &ev), 1);
		TEST_ASSERT_INTEQ(http_parse_header_find(
				      p.req.headers, p.req.nheaders, "X-A", 0),
				  2);
		TEST_ASSERT_INTEQ(http_parse_header_find(
				      p.req.headers, p.req.nheaders, "X-A", 3),
				  3);
		TEST_ASSERT_INTEQ(http_parse_header_find(
				      p.req.headers, p.req.nheaders, "X-A", 4),
				  -1);
		TEST_ASSERT_INTEQ(http_parse_header_find(
				      p.req.headers, p.req.nheaders, "X-T", 0),
				  -1);
		buf_deinit(&b);
		http_parser_deinit(&p);
	}
}

/* Every limit: exactly at it passes, one octet or field more fails with
   the status the limit names. */
static void
test_limits(void)
{
	static const char path[] =
	    "/ab/defghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
	struct http_parse_limits lim = http_parse_limits_default;
	struct http_parser p;
	struct http_event ev;
	struct buf in;
	size_t i;

	/* The request line: 64 octets with CRLF ("GET " + 49 + " HTTP/1.1"
	   + CRLF), leading empty lines counted (414). */
	test_begin("request line limit");
	lim.request_line_max = 64;
	buf_init(&in, 0);
	for (i = 0; i < 3; i++) {
		buf_reset(&in);
		buf_printf(&in, "%sGET %.*s HTTP/1.1\r\nHost: h\r\n\r\n",
			   i == 2 ? "\r\n" : "", i == 1 ? 50 : 49, path);
		buf_append(&in, "", 1);
		expect((const char *)buf_rptr(&in), &lim,
		       i == 0 ? "H GET o /ab/defghijklmnopqrstuvwxyzabcd"
				"efghijklmnopqrstuv h=h v11 ka cl=0\nB[] T0\n"
			      : "E414\n");
	}
	lim = http_parse_limits_default;

	/* Header fields: count and bytes (431). */
	test_begin("header limits");
	lim.headers_max = 3;
	expect("GET / HTTP/1.1\r\nHost: h\r\nX-1: v\r\nX-2: v\r\n\r\n", &lim,
	       GOOD_HEAD);
	expect(
	    "GET / HTTP/1.1\r\nHost: h\r\nX-1: v\r\nX-2: v\r\nX-3: v\r\n\r\n",
	    &lim, "E431\n");
	lim = http_parse_limits_default;
	/* "Host: h\r\n" (9) + "X: <16>\r\n" (21) + "\r\n" (2) = 32 octets */
	lim.header_bytes_max = 32;
	expect("GET / HTTP/1.1\r\nHost: h\r\nX: 0123456789abcdef\r\n\r\n", &lim,
	       GOOD_HEAD);
	expect("GET / HTTP/1.1\r\nHost: h\r\nX: 0123456789abcdefg\r\n\r\n",
	       &lim, "E431\n");
	/* An endless header line fails before its LF arrives. */
	http_parser_init(&p, &lim);
	buf_reset(&in);
	buf_append_str(&in, "GET / HTTP/1.1\r\nX: 0123456789abcdefghij");
	TEST_ASSERT_INTEQ(http_parse(&p, &in, &ev), 0);
	buf_append_str(&in, "0123456789");
	TEST_ASSERT_INTEQ(http_parse(&p, &in, &ev), -1);
	TEST_ASSERT_INTEQ(p.status, 431);
	http_parser_deinit(&p);
	lim = http_parse_limits_default;

	/* Body: Content-Length and chunked (413). */
	test_begin("body limit");
	lim.body_max = 10;
	expect("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n"
	       "0123456789",
	       &lim, "H POST o / h=h v11 ka cl=10\nB[0123456789] T0\n");
	expect("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", &lim,
	       "E413\n");
	expect_chunked("6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n", &lim,
		       CHUNKED_HEAD "B[0123456789] T0\n");
	expect_chunked("6\r\n012345\r\n5\r\n6789a\r\n0\r\n\r\n", &lim,
		       CHUNKED_HEAD "E413\n");
	lim = http_parse_limits_default;

	/* Chunk lines and extensions (400): a line of 16 octets with CRLF;
	   13 + 7 = 20 extension octets in all. */
	test_begin("chunk extension limits");
	lim.chunk_line_max = 16;
	lim.chunk_ext_total_max = 20;
	expect_chunked("1;abcdefghijkl\r\nz\r\n0\r\n\r\n", &lim,
		       CHUNKED_HEAD "B[z] T0\n");
	expect_chunked("1;abcdefghijklm\r\nz\r\n0\r\n\r\n", &lim,
		       CHUNKED_HEAD "E400\n");
	expect_chunked("1;abcdefghijkl\r\nz\r\n0;abcdef\r\n\r\n", &lim,
		       CHUNKED_HEAD "B[z] T0\n");
	expect_chunked("1;abcdefghijkl\r\nz\r\n0;abcdefg\r\n\r\n", &lim,
		       CHUNKED_HEAD "E400\n");
	lim = http_parse_limits_default;

	/* Trailers: count, and bytes: 18 + 2 = 20 octets (431). */
	test_begin("trailer limits");
	lim.trailers_max = 2;
	lim.trailer_bytes_max = 20;
	expect_chunked("0\r\nA: 1\r\nB: 2\r\n\r\n", &lim,
		       CHUNKED_HEAD "B[] T2\n");
	expect_chunked("0\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &lim,
		       CHUNKED_HEAD "E431\n");
	expect_chunked("0\r\nA: 0123456789abc\r\n\r\n", &lim,
		       CHUNKED_HEAD "B[] T1\n");
	expect_chunked("0\r\nA: 0123456789abcd\r\n\r\n", &lim,
		       CHUNKED_HEAD "E431\n");
	buf_deinit(&in);
}

/* A large body streams through: the parser holds none of it, and each
   piece points into the input buffer. */
static void
test_body_streams(void)
{
	struct http_parser p;
	struct http_event ev;
	struct buf in;
	uint64_t got = 0, sum = 0, want_sum = 0;
	size_t i, total = 3u * 1024 * 1024, sent = 0;
	uint8_t chunk[4096];
	int rc;

	test_begin("body streams");
	http_parser_init(&p, NULL);
	buf_init(&in, 0);
	buf_printf(&in,
		   "PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: %zu\r\n\r\n",
		   total);
	TEST_ASSERT_INTEQ(http_parse(&p, &in, &ev), 1);
	TEST_ASSERT_INTEQ(ev.type, HTTP_EV_HEAD);
	while (sent < total) {
		for (i = 0; i < sizeof(chunk); i++) {
			chunk[i] = (uint8_t)(sent + i);
			want_sum += chunk[i];
		}
		buf_append(&in, chunk, sizeof(chunk));
		sent += sizeof(chunk);
		while ((rc = http_parse(&p, &in, &ev)) > 0 &&
		       ev.type == HTTP_EV_BODY) {
			TEST_ASSERT(ev.data >= in.data &&
				    ev.data + ev.len <= in.data + in.cap);
			for (i = 0; i < ev.len; i++)
				sum += ev.data[i];
			got += ev.len;
		}
		if (rc > 0)
			TEST_ASSERT_INTEQ(ev.type, HTTP_EV_END);
		TEST_ASSERT(in.cap <= 4 * sizeof(chunk));
	}
	TEST_ASSERT_INTEQ(got, total);
	TEST_ASSERT_INTEQ(sum, want_sum);
	TEST_ASSERT(p.head.sb.cap <= 1024);
	/* The next request starts cleanly. */
	buf_append_str(&in, "GET /n HTTP/1.0\r\n\r\n");
	TEST_ASSERT_INTEQ(http_parse(&p, &in, &ev), 1);
	TEST_ASSERT_INTEQ(ev.type, HTTP_EV_HEAD);
	TEST_ASSERT_STREQ(p.req.path, "/n");
	TEST_ASSERT_INTEQ(p.req.body_bytes, 0);
	TEST_ASSERT_INTEQ(http_parse(&p, &in, &ev), 1);
	TEST_ASSERT_INTEQ(ev.type, HTTP_EV_END);
	/* Nothing more: 0, and again 0. */
	TEST_ASSERT_INTEQ(http_parse(&p, &in, &ev), 0);
	TEST_ASSERT_INTEQ(http_parse(&p, &in, &ev), 0);
	buf_deinit(&in);
	http_parser_deinit(&p);
}

/* Random bytes, and random mutations of good requests: no crash, and
   every failure names a status of the documented set. */
static void
test_garbage(void)
{
	static const char base[] =
	    "POST /a?b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "Cookie: a=1\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n"
	    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nxy";
	uint32_t seed = 4242;
	int round, errors = 0, ends = 0;

	test_begin("garbage");
	for (round = 0; round < 3000; round++) {
		char buf[sizeof(base)];
		struct http_parser p;
		struct http_event ev;
		struct buf in;
		size_t n = sizeof(base) - 1, k, flips;
		int rc;

		memcpy(buf, base, n);
		flips = round < 1500 ? 1 + test_rand(&seed) % 3 : n;
		for (k = 0; k < flips; k++)
			buf[test_rand(&seed) % n] = (char)test_rand(&seed);
		http_parser_init(&p, NULL);
		buf_init(&in, 0);
		buf_append(&in, buf, n);
		while ((rc = http_parse(&p, &in, &ev)) > 0)
			ends += ev.type == HTTP_EV_END;
		if (rc < 0) {
			errors++;
			TEST_ASSERT(p.error != NULL);
			TEST_ASSERT(p.status == 400 || p.status == 413 ||
				    p.status == 414 || p.status == 417 ||
				    p.status == 431 || p.status == 501 ||
				    p.status == 505);
		} else {
			TEST_ASSERT_INTEQ(buf_len(&in), 0);
		}
		buf_deinit(&in);
		http_parser_deinit(&p);
		if (round % 100 == 0)
			check_splits(buf, n, NULL);
	}
	TEST_ASSERT(errors > 1500);
	TEST_ASSERT(ends > 500);
}

static void
test_path(void)
{
	static const struct {
		const char *in, *want; /* want NULL: -1 */
	} cases[] = {
	    {"/", "/"},
	    {"/a/b", "/a/b"},
	    {"/a/b/", "/a/b/"},
	    {"/a/./b", "/a/b"},
	    {"/a/../b", "/b"},
	    {"/a/b/c/./../../g", "/a/g"}, /* RFC 3986 5.2.4 */
	    {"/mid/content=5/../6", "/mid/6"},
	    {"/..", "/"},
	    {"/../../etc/passwd", "/etc/passwd"},
	    {"/a/..", "/"},
	    {"/a/.", "/a/"},
	    {"/a/b/..", "/a/"},
	    {"/.", "/"},
	    {"/%2e%2E/x", "/x"},
	    {"/a/%2e/b", "/a/b"},
	    {"/a/.%2e/b", "/b"},
	    {"/a/...", "/a/..."},
	    {"/a/.b/..c", "/a/.b/..c"},
	    {"/a//b", "/a//b"},
	    {"/%41%42c", "/ABc"},
	    {"/caf%C3%A9", "/caf\xc3\xa9"},
	    {"/a+b", "/a+b"},
	    {"/a%20b", "/a b"},
	    {"/a%2fb", NULL},
	    {"/a%2F..%2Fb", NULL},
	    {"/a%5cb", NULL},
	    {"/a\\b", NULL},
	    {"/a%00", NULL},
	    {"/a%0a", NULL},
	    {"/a%0D%0Ab", NULL},
	    {"/a%7f", NULL},
	    {"/a%1F", NULL},
	    {"/a%0", NULL},
	    {"/a%", NULL},
	    {"/a%g0", NULL},
	    {"", NULL},
	    {"a/b", NULL},
	    {"*", NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[64];
		long n;

		test_begin(cases[i].in);
		memset(out, 'X', sizeof(out));
		n = http_parse_path(cases[i].in, strlen(cases[i].in), out);
		if (cases[i].want == NULL) {
			TEST_ASSERT_INTEQ(n, -1);
			continue;
		}
		TEST_ASSERT_INTEQ(n, strlen(cases[i].want));
		TEST_ASSERT_STREQ(out, cases[i].want);
		TEST_ASSERT(n <= (long)strlen(cases[i].in));
	}
}

static void
test_query(void)
{
	const char *q, *name, *value, *s;
	size_t plen, len, nl, vl;
	struct buf log;
	char out[64];

	test_begin("query split");
	http_parse_query_split("/a/b?x=1&y", &plen, &q);
	TEST_ASSERT_INTEQ(plen, 4);
	TEST_ASSERT_STREQ(q, "x=1&y");
	http_parse_query_split("/a?", &plen, &q);
	TEST_ASSERT_INTEQ(plen, 2);
	TEST_ASSERT_STREQ(q, "");
	http_parse_query_split("/a", &plen, &q);
	TEST_ASSERT_INTEQ(plen, 2);
	TEST_ASSERT(q == NULL);
	http_parse_query_split("/a?b?c", &plen, &q);
	TEST_ASSERT_STREQ(q, "b?c");

	test_begin("query pairs");
	buf_init(&log, 0);
	s = "a=1&&b=&c&=d&e=f=g&";
	len = strlen(s);
	while (http_parse_query_next(&s, &len, &name, &nl, &value, &vl) > 0)
		buf_printf(&log, "[%.*s|%.*s]", (int)nl, name, (int)vl, value);
	buf_append(&log, "", 1);
	TEST_ASSERT_STREQ((const char *)buf_rptr(&log),
			  "[a|1][b|][c|][|d][e|f=g]");
	TEST_ASSERT_INTEQ(len, 0);
	buf_deinit(&log);

	test_begin("form decode");
	TEST_ASSERT_INTEQ(http_parse_form_decode("a+b%2B%3d", 9, out), 5);
	TEST_ASSERT_STREQ(out, "a b+=");
	TEST_ASSERT_INTEQ(http_parse_form_decode("", 0, out), 0);
	TEST_ASSERT_STREQ(out, "");
	TEST_ASSERT_INTEQ(http_parse_form_decode("%e2%82%AC", 9, out), 3);
	TEST_ASSERT_STREQ(out, "\xe2\x82\xac");
	TEST_ASSERT_INTEQ(http_parse_form_decode("a%00", 4, out), -1);
	TEST_ASSERT_INTEQ(http_parse_form_decode("a%4", 3, out), -1);
	TEST_ASSERT_INTEQ(http_parse_form_decode("%x1", 3, out), -1);
}

/* Parse one request head with extra field lines; returns the parser
   (the caller deinits it). */
static void
parse_head(struct http_parser *p, const char *fields)
{
	struct http_event ev;
	struct buf in;

	http_parser_init(p, NULL);
	buf_init(&in, 0);
	buf_printf(&in, "GET / HTTP/1.1\r\nHost: h\r\n%s\r\n", fields);
	TEST_ASSERT_INTEQ(http_parse(p, &in, &ev), 1);
	TEST_ASSERT_INTEQ(ev.type, HTTP_EV_HEAD);
	buf_deinit(&in);
}

static void
test_accept_encoding(void)
{
	static const struct {
		const char *fields;
		unsigned want;
	} cases[] = {
	    {"", 0},
	    {"Accept-Encoding: gzip\r\n", HTTP_ENC_GZIP},
	    {"Accept-Encoding: GZIP, Deflate\r\n",
	     HTTP_ENC_GZIP | HTTP_ENC_DEFLATE},
	    {"Accept-Encoding: x-gzip\r\n", HTTP_ENC_GZIP},
	    {"Accept-Encoding: gzip, deflate, br\r\n",
	     HTTP_ENC_GZIP | HTTP_ENC_DEFLATE},
	    {"Accept-Encoding: br, zstd\r\n", 0},
	    {"Accept-Encoding: identity\r\n", 0},
	    {"Accept-Encoding:\r\n", 0},
	    {"Accept-Encoding: *\r\n", HTTP_ENC_GZIP | HTTP_ENC_DEFLATE},
	    {"Accept-Encoding: *;q=0\r\n", 0},
	    {"Accept-Encoding: gzip;q=0, *\r\n", HTTP_ENC_DEFLATE},
	    {"Accept-Encoding: gzip;q=0.5, deflate;q=0\r\n", HTTP_ENC_GZIP},
	    {"Accept-Encoding: gzip; q=0.000\r\n", 0},
	    {"Accept-Encoding: gzip ;Q=0.001\r\n", HTTP_ENC_GZIP},
	    {"Accept-Encoding: gzip;q=1.000\r\n", HTTP_ENC_GZIP},
	    {"Accept-Encoding: gzip;q=1, gzip;q=0\r\n", 0},
	    {"Accept-Encoding: gzip;q=0, gzip\r\n", 0},
	    {"Accept-Encoding: deflate\r\nAccept-Encoding: gzip\r\n",
	     HTTP_ENC_GZIP | HTTP_ENC_DEFLATE},
	    {"Accept-Encoding: gzip\r\nAccept-Encoding: gzip;q=0\r\n", 0},
	    /* malformed members are ignored */
	    {"Accept-Encoding: gzip;q=2\r\n", 0},
	    {"Accept-Encoding: gzip;q=1.5\r\n", 0},
	    {"Accept-Encoding: gzip;q=0.0001\r\n", 0},
	    {"Accept-Encoding: gzip;q=\r\n", 0},
	    {"Accept-Encoding: gzip;q=\"1\"\r\n", 0},
	    {"Accept-Encoding: gzip;;, deflate\r\n", HTTP_ENC_DEFLATE},
	    {"Accept-Encoding: gzipx, xgzip, gzip-x\r\n", 0},
	    {"Accept-Encoding: gzip;level=9\r\n", HTTP_ENC_GZIP},
	    {"Accept-Encoding: ,, gzip ,,\r\n", HTTP_ENC_GZIP},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_parser p;

		test_begin(cases[i].fields);
		parse_head(&p, cases[i].fields);
		TEST_ASSERT_INTEQ(http_parse_accept_encoding(&p.req),
				  cases[i].want);
		http_parser_deinit(&p);
	}
}

static void
test_basic_auth(void)
{
	static const struct {
		const char *value, *user, *pass; /* user NULL: -1 */
	} cases[] = {
	    /* RFC 7617 2: "Aladdin" / "open sesame" */
	    {"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"},
	    {"basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"},
	    {"BASIC   QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"},
	    {"Basic YTpiOmM=", "a", "b:c"}, /* a:b:c */
	    {"Basic OnA=", "", "p"},        /* :p */
	    {"Basic dTo=", "u", ""},        /* u: */
	    {"Basic w6k6w6k=", "\xc3\xa9", "\xc3\xa9"},
	    {"Basic dXNlcg==", NULL, NULL}, /* user, no colon */
	    {"Basic dTpwAA==", NULL, NULL}, /* u:p\0 */
	    {"Basic dTpwCg==", NULL, NULL}, /* u:p\n */
	    {"Basic dTpw", "u", "p"},       /* u:p, no padding needed */
	    {"Basic dTpwcQ", NULL, NULL},   /* u:pq without its "==" */
	    {"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ", NULL, NULL},
	    {"Basic QWxh ZGRpbjpvcGVuIHNlc2FtZQ==", NULL, NULL},
	    {"Basic", NULL, NULL},
	    {"Basic ", NULL, NULL},
	    {"Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==", NULL, NULL},
	    {"BasicQWxhZGRpbjpvcGVuIHNlc2FtZQ==", NULL, NULL},
	    {"Basic\tQWxhZGRpbjpvcGVuIHNlc2FtZQ==", NULL, NULL},
	    {"Digest username=\"a\"", NULL, NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_basic_auth a;
		int rc;

		test_begin(cases[i].value);
		memset(&a, 'X', sizeof(a));
		rc = http_parse_basic_auth(cases[i].value,
					   strlen(cases[i].value), &a);
		if (cases[i].user == NULL) {
			TEST_ASSERT_INTEQ(rc, -1);
			TEST_ASSERT(a.user[0] == '\0' && a.pass[0] == '\0');
			continue;
		}
		TEST_ASSERT_INTEQ(rc, 0);
		TEST_ASSERT_STREQ(a.user, cases[i].user);
		TEST_ASSERT_STREQ(a.pass, cases[i].pass);
	}

	/* Length limits: AUTH_USER_MAX and AUTH_PASSWORD_MAX octets. */
	test_begin("basic auth limits");
	{
		static char plain[AUTH_USER_MAX + AUTH_PASSWORD_MAX + 8];
		static char value[sizeof(plain) * 2];
		struct http_basic_auth a;
		size_t k;

		for (k = 0; k < 4; k++) {
			size_t ul = AUTH_USER_MAX + (k == 1);
			size_t pl = AUTH_PASSWORD_MAX + (k == 2);

			if (k == 3)
				ul = AUTH_USER_MAX + 1 + AUTH_PASSWORD_MAX,
				pl = 0;
			memset(plain, 'u', ul);
			plain[ul] = ':';
			memset(plain + ul + 1, 'p', pl);
			memcpy(value, "Basic ", 6);
			base64_encode(plain, ul + 1 + pl, value + 6);
			TEST_ASSERT_INTEQ(
			    http_parse_basic_auth(value, strlen(value), &a),
			    k == 0 ? 0 : -1);
			if (k == 0) {
				TEST_ASSERT_INTEQ(strlen(a.user),
						  AUTH_USER_MAX);
				TEST_ASSERT_INTEQ(strlen(a.pass),
						  AUTH_PASSWORD_MAX);
			}
		}
	}
}

static void
test_cookies(void)
{
	static const struct {
		const char *value, *want;
	} cases[] = {
	    {"a=1; b=2", "[a|1][b|2]"},
	    {"a=1;b=2;", "[a|1][b|2]"},
	    {" a = 1 ;\tb=\"x y\" ", "[a|1][b|x y]"},
	    {"sid=\"\"", "[sid|]"},
	    {"sid=\"", "[sid|\"]"},
	    {"a; =x; b=; c=d=e", "[b|][c|d=e]"},
	    {";;", ""},
	    {"", ""},
	    {"x=%41+b", "[x|%41+b]"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *s = cases[i].value, *n, *v;
		size_t len = strlen(s), nl, vl;
		struct buf log;

		test_begin(cases[i].value);
		buf_init(&log, 0);
		while (http_parse_cookie_next(&s, &len, &n, &nl, &v, &vl) > 0)
			buf_printf(&log, "[%.*s|%.*s]", (int)nl, n, (int)vl, v);
		buf_append(&log, "", 1);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&log), cases[i].want);
		buf_deinit(&log);
	}

	test_begin("cookie get");
	{
		struct http_parser p;
		const char *v;
		size_t vl;

		parse_head(&p, "Cookie: theme=dark; SID=upper\r\n"
			       "Cookie: sid=abc123; other=1\r\n");
		TEST_ASSERT_INTEQ(http_parse_cookie_get(&p.req, "sid", &v, &vl),
				  1);
		TEST_ASSERT_MEMEQ(v, vl, "abc123", 6);
		TEST_ASSERT_INTEQ(http_parse_cookie_get(&p.req, "SID", &v, &vl),
				  1);
		TEST_ASSERT_MEMEQ(v, vl, "upper", 5);
		TEST_ASSERT_INTEQ(
		    http_parse_cookie_get(&p.req, "theme", &v, &vl), 1);
		TEST_ASSERT_MEMEQ(v, vl, "dark", 4);
		TEST_ASSERT_INTEQ(
		    http_parse_cookie_get(&p.req, "none", &v, &vl), 0);
		TEST_ASSERT_INTEQ(http_parse_cookie_get(&p.req, "si", &v, &vl),
				  0);
		http_parser_deinit(&p);
	}
}

TEST_MAIN(test_requests_table, test_pipeline, test_fields, test_limits,
	  test_body_streams, test_garbage, test_path, test_query,
	  test_accept_encoding, test_basic_auth, test_cookies)

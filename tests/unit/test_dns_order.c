/* test_dns_order.c: MX ordering (RFC 5321 5.1) and DNS name/rdata decoding. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "dns/dns_order.h"
#include "dns/dns_rdata.h"

/* rnd that never swaps (Fisher-Yates picks j = i - 1): the stable order. */
static uint32_t
rnd_identity(void *arg, uint32_t bound)
{
	(void)arg;
	return bound - 1;
}

static uint32_t
rnd_xorshift(void *arg, uint32_t bound)
{
	return test_rand(arg) % bound;
}

#define MAXRR 8

struct order_case {
	const char *name;
	const char *self;
	struct dns_mx_rr in[MAXRR];
	size_t n;
	const char *want; /* "pref host,pref host" after ordering */
};

static const struct order_case order_cases[] = {
    {"empty", NULL, {{0, NULL}}, 0, ""},
    {"one", NULL, {{10, "a"}}, 1, "10 a"},
    {"sorted", NULL, {{20, "b"}, {10, "a"}, {30, "c"}}, 3, "10 a,20 b,30 c"},
    {"stable equal",
     NULL,
     {{20, "x"}, {10, "a"}, {20, "y"}, {0, "z"}},
     4,
     "0 z,10 a,20 x,20 y"},
    {"65535", NULL, {{65535, "b"}, {0, "a"}}, 2, "0 a,65535 b"},
    {"dup keeps lowest",
     NULL,
     {{30, "a"}, {10, "b"}, {20, "a"}},
     3,
     "10 b,20 a"},
    {"dup same pref", NULL, {{10, "a"}, {10, "a"}}, 2, "10 a"},
    {"root mixed in", NULL, {{0, "."}, {10, "a"}}, 2, "10 a"},
    {"only roots", NULL, {{0, "."}, {5, "."}}, 2, ""},
    {"self absent", "me", {{10, "a"}, {20, "b"}}, 2, "10 a,20 b"},
    {"self best", "me", {{10, "me"}, {20, "b"}}, 2, ""},
    {"self middle", "me", {{10, "a"}, {20, "me"}, {30, "c"}}, 3, "10 a"},
    {"self tied",
     "me",
     {{10, "a"}, {20, "b"}, {20, "me"}, {20, "c"}},
     4,
     "10 a"},
    {"self tied first", "me", {{20, "me"}, {20, "b"}}, 2, ""},
    {"self worst", "me", {{10, "a"}, {20, "b"}, {30, "me"}}, 3, "10 a,20 b"},
    {"self dup", "me", {{30, "me"}, {10, "a"}, {5, "me"}}, 3, ""},
};

static void
test_order_table(void)
{
	for (size_t i = 0; i < sizeof(order_cases) / sizeof(order_cases[0]);
	     i++) {
		const struct order_case *c = &order_cases[i];
		struct dns_mx_rr rrs[MAXRR];
		struct buf out;
		size_t n;

		test_begin(c->name);
		buf_init(&out, 0);
		memcpy(rrs, c->in, sizeof(rrs));
		n = dns_order_mx(rrs, c->n, c->self, rnd_identity, NULL);
		for (size_t k = 0; k < n; k++)
			buf_printf(&out, "%s%u %s", k ? "," : "",
				   (unsigned)rrs[k].pref, rrs[k].host);
		buf_append(&out, "", 1);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&out), c->want);
		buf_deinit(&out);
	}
}

/* Equal preferences: every permutation about equally often; the other
   preferences never move. */
static void
test_order_spread(void)
{
	static const char *const perms[6] = {"abc", "acb", "bac",
					     "bca", "cab", "cba"};
	unsigned count[6] = {0};
	uint32_t state = 12345;
	const int runs = 6000;

	test_begin("spread");
	for (int run = 0; run < runs; run++) {
		struct dns_mx_rr rrs[] = {
		    {20, "z"}, {10, "a"}, {10, "b"}, {5, "first"}, {10, "c"}};
		char got[4];
		size_t n = dns_order_mx(rrs, 5, NULL, rnd_xorshift, &state);

		TEST_ASSERT_INTEQ(n, 5);
		TEST_ASSERT_STREQ(rrs[0].host, "first");
		TEST_ASSERT_STREQ(rrs[4].host, "z");
		for (int k = 0; k < 3; k++)
			got[k] = rrs[k + 1].host[0];
		got[3] = '\0';
		for (int p = 0; p < 6; p++)
			count[p] += strcmp(got, perms[p]) == 0;
	}
	for (int p = 0; p < 6; p++) {
		/* Expected 1000 each; sigma is about 29. */
		TEST_ASSERT(count[p] > 850 && count[p] < 1150);
	}
}

/* The production random source spreads too (2 hosts, 200 runs: both
   orders appear unless arc4random is broken; odds of failure 2^-199). */
static void
test_order_arc4random(void)
{
	unsigned first_a = 0;

	test_begin("arc4random");
	for (int run = 0; run < 200; run++) {
		struct dns_mx_rr rrs[] = {{10, "a"}, {10, "b"}};

		TEST_ASSERT_INTEQ(
		    dns_order_mx(rrs, 2, NULL, dns_order_random, NULL), 2);
		first_a += rrs[0].host[0] == 'a';
	}
	TEST_ASSERT(first_a > 0 && first_a < 200);
	for (uint32_t b = 1; b < 5; b++)
		TEST_ASSERT(dns_order_random(NULL, b) < b);
}

/* A scripted rnd shows the shuffle is Fisher-Yates from the end. */
static uint32_t
rnd_script(void *arg, uint32_t bound)
{
	const uint32_t **p = arg;
	uint32_t v = *(*p)++;

	TEST_ASSERT(v < bound);
	return v;
}

static void
test_order_script(void)
{
	static const uint32_t script[] = {0, 0};
	const uint32_t *p = script;
	struct dns_mx_rr rrs[] = {{1, "a"}, {1, "b"}, {1, "c"}};

	test_begin("script");
	/* i=3: swap [2] and [0] -> c b a; i=2: swap [1] and [0] -> b c a */
	TEST_ASSERT_INTEQ(dns_order_mx(rrs, 3, NULL, rnd_script, &p), 3);
	TEST_ASSERT_STREQ(rrs[0].host, "b");
	TEST_ASSERT_STREQ(rrs[1].host, "c");
	TEST_ASSERT_STREQ(rrs[2].host, "a");
	TEST_ASSERT(p == script + 2);
}

struct name_case {
	const char *wire;
	size_t len;
	int rc;
	size_t used;
	const char *text;
};

#define W(s) s, sizeof(s) - 1

static const struct name_case name_cases[] = {
    {W("\0"), 1, 1, "."},
    {W("\1a\0"), 1, 3, "a"},
    {W("\2mx\7Example\3COM\0"), 1, 16, "mx.example.com"},
    {W("\2mx\7example\0trailing"), 1, 12, "mx.example"},
    {W("\4a_b-\0"), 1, 6, "a_b-"},
    {W("\3a b\0"), -1, 0, NULL},
    {W("\3a.b\0"), -1, 0, NULL},
    {W("\3a\0b\0"), -1, 0, NULL},
    {W("\3\xc3\xa9x\0"), -1, 0, NULL},
    {W("\xc0\x0c"), -1, 0, NULL},
    {W("\x40"), -1, 0, NULL},
    {W("\2mx"), -1, 0, NULL},
    {W("\5mx"), -1, 0, NULL},
    {W(""), -1, 0, NULL},
};

static void
test_rdata_name(void)
{
	for (size_t i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]);
	     i++) {
		const struct name_case *c = &name_cases[i];
		char out[DNS_NAME_TEXT_SIZE];
		size_t used = 0;
		int rc;

		test_begin(c->text ? c->text : "bad name");
		rc = dns_rdata_name((const uint8_t *)c->wire, c->len, &used,
				    out);
		TEST_ASSERT_INTEQ(rc, c->rc);
		if (rc > 0) {
			TEST_ASSERT_INTEQ(used, c->used);
			TEST_ASSERT_STREQ(out, c->text);
		}
	}
}

/* Wire name of labels of the given lengths (filled with 'b'). */
static size_t
build_name(uint8_t *wire, const size_t *lens, size_t n)
{
	size_t pos = 0;

	for (size_t k = 0; k < n; k++) {
		wire[pos++] = (uint8_t)lens[k];
		memset(wire + pos, 'b', lens[k]);
		pos += lens[k];
	}
	wire[pos++] = 0;
	return pos;
}

/* Label of 63 octets is fine, 64 is not; the whole name stops at 255. */
static void
test_rdata_name_limits(void)
{
	static const size_t l63[] = {63}, l64[] = {64};
	static const size_t max[] = {63, 63, 63, 61}, over[] = {63, 63, 63, 62};
	uint8_t wire[300];
	char out[DNS_NAME_TEXT_SIZE];
	size_t used, len;

	test_begin("limits");
	len = build_name(wire, l63, 1);
	TEST_ASSERT_INTEQ(dns_rdata_name(wire, len, &used, out), 1);
	TEST_ASSERT_INTEQ(strlen(out), 63);
	len = build_name(wire, l64, 1);
	TEST_ASSERT_INTEQ(dns_rdata_name(wire, len, &used, out), -1);
	len = build_name(wire, max, 4);
	TEST_ASSERT_INTEQ(len, 255);
	TEST_ASSERT_INTEQ(dns_rdata_name(wire, len, &used, out), 1);
	TEST_ASSERT_INTEQ(strlen(out), 253);
	TEST_ASSERT_INTEQ(used, 255);
	len = build_name(wire, over, 4);
	TEST_ASSERT_INTEQ(len, 256);
	TEST_ASSERT_INTEQ(dns_rdata_name(wire, len, &used, out), -1);
}

static void
test_rdata_mx(void)
{
	static const uint8_t ok[] = "\x00\x0a\2mx\7example\0";
	static const uint8_t null_mx[] = "\x00\x00\0";
	static const uint8_t extra[] = "\x00\x0a\2mx\0x";
	static const uint8_t high[] = "\xff\xff\1a\0";
	char host[DNS_NAME_TEXT_SIZE];
	uint16_t pref = 1;

	test_begin("mx");
	TEST_ASSERT_INTEQ(dns_rdata_mx(ok, sizeof(ok) - 1, &pref, host), 1);
	TEST_ASSERT_INTEQ(pref, 10);
	TEST_ASSERT_STREQ(host, "mx.example");
	TEST_ASSERT_INTEQ(dns_rdata_mx(null_mx, 3, &pref, host), 1);
	TEST_ASSERT_INTEQ(pref, 0);
	TEST_ASSERT_STREQ(host, ".");
	TEST_ASSERT_INTEQ(dns_rdata_mx(high, sizeof(high) - 1, &pref, host), 1);
	TEST_ASSERT_INTEQ(pref, 65535);
	TEST_ASSERT_INTEQ(dns_rdata_mx(extra, sizeof(extra) - 1, &pref, host),
			  -1);
	TEST_ASSERT_INTEQ(dns_rdata_mx(ok, 2, &pref, host), -1);
	TEST_ASSERT_INTEQ(dns_rdata_mx(ok, sizeof(ok) - 2, &pref, host), -1);
}

static void
test_rdata_addr(void)
{
	static const uint8_t v4[4] = {192, 0, 2, 1};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct dns_addr a;

	test_begin("addr");
	TEST_ASSERT_INTEQ(dns_rdata_addr(AF_INET, v4, 4, &a), 1);
	TEST_ASSERT_STREQ(a.text, "192.0.2.1");
	TEST_ASSERT_INTEQ(a.len, sizeof(struct sockaddr_in));
	TEST_ASSERT_INTEQ(a.u.sa.sa_family, AF_INET);
	TEST_ASSERT_INTEQ(a.u.in.sin_port, 0);
	TEST_ASSERT_INTEQ(dns_rdata_addr(AF_INET6, v6, 16, &a), 1);
	TEST_ASSERT_STREQ(a.text, "2001:db8::1");
	TEST_ASSERT_INTEQ(a.len, sizeof(struct sockaddr_in6));
	TEST_ASSERT_INTEQ(a.u.sa.sa_family, AF_INET6);
	TEST_ASSERT_INTEQ(dns_rdata_addr(AF_INET, v6, 16, &a), -1);
	TEST_ASSERT_INTEQ(dns_rdata_addr(AF_INET6, v4, 4, &a), -1);
	TEST_ASSERT_INTEQ(dns_rdata_addr(AF_INET, v4, 3, &a), -1);
	TEST_ASSERT_INTEQ(dns_rdata_addr(AF_UNIX, v4, 4, &a), -1);
}

struct domain_case {
	const char *in;
	const char *out; /* NULL: rejected */
};

static const struct domain_case domain_cases[] = {
    {"example.org", "example.org"},
    {"Example.ORG.", "example.org"},
    {"a", "a"},
    {"xn--bcher-kva.example", "xn--bcher-kva.example"},
    {"_dmarc.example", "_dmarc.example"},
    {"", NULL},
    {".", NULL},
    {"a..b", NULL},
    {".a", NULL},
    {"a..", NULL},
    {"[192.0.2.1]", NULL},
    {"b\xc3\xbc"
     "cher.example",
     NULL},
    {"a b.example", NULL},
    {"a\\.b", NULL},
    {"a@b", NULL},
};

static void
test_rdata_domain(void)
{
	char out[DNS_NAME_TEXT_SIZE], in[300];

	for (size_t i = 0; i < sizeof(domain_cases) / sizeof(domain_cases[0]);
	     i++) {
		const struct domain_case *c = &domain_cases[i];
		int rc;

		test_begin(c->in);
		rc = dns_rdata_domain(c->in, out);
		TEST_ASSERT_INTEQ(rc, c->out ? 1 : -1);
		if (rc > 0)
			TEST_ASSERT_STREQ(out, c->out);
	}
	test_begin("domain limits");
	memset(in, 'a', 63);
	strcpy(in + 63, ".b");
	TEST_ASSERT_INTEQ(dns_rdata_domain(in, out), 1);
	memset(in, 'a', 64);
	strcpy(in + 64, ".b");
	TEST_ASSERT_INTEQ(dns_rdata_domain(in, out), -1);
	/* 253 characters (with a trailing dot 254) is the most. */
	for (int k = 0; k < 253; k++)
		in[k] = k % 2 ? '.' : 'x';
	in[253] = '\0';
	TEST_ASSERT_INTEQ(dns_rdata_domain(in, out), 1);
	TEST_ASSERT_INTEQ(strlen(out), 253);
	strcpy(in + 253, ".");
	TEST_ASSERT_INTEQ(dns_rdata_domain(in, out), 1);
	strcpy(in + 253, ".x");
	TEST_ASSERT_INTEQ(dns_rdata_domain(in, out), -1);
}

TEST_MAIN(test_order_table, test_order_spread, test_order_arc4random,
	  test_order_script, test_rdata_name, test_rdata_name_limits,
	  test_rdata_mx, test_rdata_addr, test_rdata_domain)

/* test_mime_addr.c: tests of the RFC 5322 address-list parser and its
   IMAP ENVELOPE form. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "arena.h"
#include "buf.h"
#include "limits.h"
#include "mime/mime_addr.h"

struct addr_case {
	const char *in;
	const char *out; /* mime_addr_imap() of the result */
};

static const struct addr_case addr_cases[] = {
    {"", "NIL"},
    {"  , ,, ", "NIL"},
    {"user@example.com", "((NIL NIL \"user\" \"example.com\"))"},
    {"John Doe <jdoe@example.com>",
     "((\"John Doe\" NIL \"jdoe\" \"example.com\"))"},
    {"\"Doe, John\" <jdoe@example.com>, b@c",
     "((\"Doe, John\" NIL \"jdoe\" \"example.com\")(NIL NIL \"b\" \"c\"))"},
    /* A comment after a plain addr-spec is the name (Dovecot). */
    {"jdoe@example.com (John Doe)",
     "((\"John Doe\" NIL \"jdoe\" \"example.com\"))"},
    /* RFC 3501 7.4.2 group markers. */
    {"undisclosed-recipients:;",
     "((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))"},
    /* RFC 5322 A.1.3. */
    {"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
     "((NIL NIL \"A Group\" NIL)(\"Ed Jones\" NIL \"c\" \"a.test\")"
     "(NIL NIL \"joe\" \"where.test\")(\"John\" NIL \"jdoe\" \"one.test\")"
     "(NIL NIL NIL NIL))"},
    {"a@b, G: c@d; e@f",
     "((NIL NIL \"a\" \"b\")(NIL NIL \"G\" NIL)(NIL NIL \"c\" \"d\")"
     "(NIL NIL NIL NIL)(NIL NIL \"e\" \"f\"))"},
    /* Unterminated group: the end marker is still there. */
    {"G: a@b", "((NIL NIL \"G\" NIL)(NIL NIL \"a\" \"b\")(NIL NIL NIL NIL))"},
    /* RFC 5322 4.4 obs-route. */
    {"<@a.test,@b.test:user@c.test>",
     "((NIL \"@a.test,@b.test\" \"user\" \"c.test\"))"},
    {"Joe <@a.test,,@b.test : user@c.test>",
     "((\"Joe\" \"@a.test,@b.test\" \"user\" \"c.test\"))"},
    /* Quoted local part: unquoted, as Dovecot does. */
    {"\"john doe\"@example.com", "((NIL NIL \"john doe\" \"example.com\"))"},
    {"\"quote\\\"d\" <a@b>", "((\"quote\\\"d\" NIL \"a\" \"b\"))"},
    /* Encoded words stay raw (RFC 3501 7.4.2). */
    {"=?utf-8?q?J=C3=B6rg?= <j@x>",
     "((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"x\"))"},
    /* 8-bit names become literals. */
    {"J\xc3\xb6rg <j@x>", "(({5}\r\nJ\xc3\xb6rg NIL \"j\" \"x\"))"},
    /* Missing domain / local part: placeholders, never a NIL host. */
    {"MAILER-DAEMON (Mail Delivery System)",
     "((\"Mail Delivery System\" NIL \"MAILER-DAEMON\" \"MISSING_DOMAIN\"))"},
    {"user", "((NIL NIL \"user\" \"MISSING_DOMAIN\"))"},
    {"<user>", "((NIL NIL \"user\" \"MISSING_DOMAIN\"))"},
    {"Name <>", "((\"Name\" NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\"))"},
    {"<@example.com>", "((NIL NIL \"MISSING_MAILBOX\" \"example.com\"))"},
    {"user@", "((NIL NIL \"user\" \"MISSING_DOMAIN\"))"},
    /* RFC 5322 A.5: comments everywhere. */
    {"Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
     "((\"Pete\" NIL \"pete\" \"silly.test\"))"},
    /* RFC 5322 A.6.3 / 4.4: obsolete dots and white space. */
    {"John Q. Public <john.q.public@example.com>",
     "((\"John Q. Public\" NIL \"john.q.public\" \"example.com\"))"},
    {"john . doe @ example . com",
     "((NIL NIL \"john.doe\" \"example.com\"))"},
    {"Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>",
     "((\"Mary Smith\" NIL \"mary\" \"x.test\")(NIL NIL \"jdoe\" "
     "\"example.org\")(\"Who?\" NIL \"one\" \"y.test\"))"},
    {"x@[1.2.3.4]", "((NIL NIL \"x\" \"[1.2.3.4]\"))"},
    {"x@[IPv6:: 1]", "((NIL NIL \"x\" \"[IPv6:: 1]\"))"},
    /* ';' at the top level separates like ','. */
    {"a@b; c@d", "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))"},
    /* Garbage up to the next ',' is skipped. */
    {"a@b junk \"x,y\" (p,q), c@d",
     "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))"},
    {"<a@b> trailing, c@d", "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))"},
    {"> ] [ :", "NIL"},
    {"Name <a@b, c@d", "((\"Name\" NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))"},
    {"\"unterminated <a@b>",
     "((NIL NIL \"unterminated <a@b>\" \"MISSING_DOMAIN\"))"},
    {"(unterminated comment", "NIL"},
    /* Folded input (raw values work too). */
    {"John\r\n Doe <j@x>", "((\"John Doe\" NIL \"j\" \"x\"))"},
};

static char *
addr_run(const char *in, size_t max, size_t *n_r)
{
	struct arena *a = arena_new("test", 1024);
	struct mime_addr *list;
	struct buf b;
	size_t n = mime_addr_parse(in, strlen(in), max, a, &list);
	char *r;

	buf_init(&b, 0);
	mime_addr_imap(&b, list, n);
	buf_append(&b, "", 1);
	r = strdup((const char *)buf_rptr(&b));
	buf_deinit(&b);
	arena_free(&a);
	if (n_r != NULL)
		*n_r = n;
	return r;
}

static void
test_addr_table(void)
{
	size_t i;

	test_begin("mime_addr table");
	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		char *r = addr_run(addr_cases[i].in, MIME_ADDRESSES_MAX, NULL);

		TEST_ASSERT_STREQ(r, addr_cases[i].out);
		free(r);
	}
	test_end();
}

static void
test_addr_fields(void)
{
	struct arena *a = arena_new("test", 1024);
	struct mime_addr *l;
	const char *in = "\"N\" <@r.test:m@h.test>, G:;";
	size_t n = mime_addr_parse(in, strlen(in), 10, a, &l);

	test_begin("mime_addr fields");
	TEST_ASSERT_INTEQ(n, 3);
	TEST_ASSERT_STREQ(l[0].name, "N");
	TEST_ASSERT_STREQ(l[0].adl, "@r.test");
	TEST_ASSERT_STREQ(l[0].mailbox, "m");
	TEST_ASSERT_STREQ(l[0].host, "h.test");
	TEST_ASSERT(l[1].name == NULL && l[1].host == NULL);
	TEST_ASSERT_STREQ(l[1].mailbox, "G");
	TEST_ASSERT(l[2].mailbox == NULL && l[2].host == NULL);
	n = mime_addr_parse("", 0, 10, a, &l);
	TEST_ASSERT_INTEQ(n, 0);
	TEST_ASSERT(l == NULL);
	arena_free(&a);
	test_end();
}

static void
test_addr_limit(void)
{
	size_t n;
	char *r;

	test_begin("mime_addr limit");
	r = addr_run("a@b, c@d, e@f", 2, &n);
	TEST_ASSERT_INTEQ(n, 2);
	TEST_ASSERT_STREQ(r, "((NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\"))");
	free(r);
	/* The group end is kept past the limit. */
	r = addr_run("g: a@b, c@d; e@f", 2, &n);
	TEST_ASSERT_INTEQ(n, 3);
	TEST_ASSERT_STREQ(r, "((NIL NIL \"g\" NIL)(NIL NIL \"a\" \"b\")"
			     "(NIL NIL NIL NIL))");
	free(r);
	r = addr_run("a@b, g: c@d;", 1, &n);
	TEST_ASSERT_INTEQ(n, 1);
	free(r);
	r = addr_run("a@b", 0, &n);
	TEST_ASSERT_INTEQ(n, 0);
	TEST_ASSERT_STREQ(r, "NIL");
	free(r);
	test_end();
}

/* Many addresses: linear behaviour and the default limit. */
static void
test_addr_many(void)
{
	struct buf in;
	size_t i, n;
	char *r;

	test_begin("mime_addr many");
	buf_init(&in, 0);
	for (i = 0; i < MIME_ADDRESSES_MAX + 10; i++)
		buf_printf(&in, "u%zu@example.com, ", i);
	buf_append(&in, "", 1);
	r = addr_run((const char *)buf_rptr(&in), MIME_ADDRESSES_MAX, &n);
	TEST_ASSERT_INTEQ(n, MIME_ADDRESSES_MAX);
	TEST_ASSERT(strncmp(r, "((NIL NIL \"u0\" \"example.com\")(", 30) == 0);
	free(r);
	buf_deinit(&in);
	test_end();
}

TEST_MAIN(test_addr_table, test_addr_fields, test_addr_limit, test_addr_many)

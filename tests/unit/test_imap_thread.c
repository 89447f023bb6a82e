/* test_imap_thread.c: RFC 5256 base subject, ORDEREDSUBJECT and REFERENCES. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "imap/imap_sort.h"
#include "imap/imap_thread.h"

static const struct {
	const char *in, *base;
	bool reply;
} subj_cases[] = {
    {"Hello", "Hello", false},
    {"Re: Hello", "Hello", true},
    {"RE: re: Fwd: Hello", "Hello", true},
    {"Fw: Hello (fwd)", "Hello", true},
    {"Re[2]: Hello", "Hello", true},
    {"[list] Re: Hello", "Hello", true},
    {"[list] Hello", "Hello", false},
    {"[list]", "[list]", false},
    {"[fwd: Re: Hello]", "Hello", true},
    {"  Hello \t  world  ", "Hello world", false},
    {"Hello (fwd) (fwd)", "Hello", true},
    {"=?utf-8?q?Re=3A_caf=C3=A9?=", "caf\xc3\xa9", true},
    {"Re:", "", true},
    {"", "", false},
    {"Ref: x", "Ref: x", false},
    {"[a][b] Re: x", "x", true},
};

static void
test_base_subject(void)
{
	size_t i;

	for (i = 0; i < sizeof(subj_cases) / sizeof(subj_cases[0]); i++) {
		struct buf b;
		bool r;

		test_begin(subj_cases[i].in);
		buf_init(&b, 0);
		r = imap_sort_base_subject(subj_cases[i].in,
					   strlen(subj_cases[i].in), &b);
		buf_append(&b, "", 1);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&b), subj_cases[i].base);
		TEST_ASSERT_INTEQ(r, subj_cases[i].reply);
		buf_deinit(&b);
	}
}

static void
test_next_id(void)
{
	struct buf b;
	size_t pos = 0;
	const char *v = "(c<x@y>) <\"01KF\"@xxx.yyy.com> junk < a@b >";

	buf_init(&b, 0);
	TEST_ASSERT_INTEQ(imap_thread_next_id(v, &pos, &b), 1);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b), "01KF@xxx.yyy.com", 16);
	TEST_ASSERT_INTEQ(imap_thread_next_id(v, &pos, &b), 1);
	TEST_ASSERT_MEMEQ(buf_rptr(&b), buf_len(&b), "a@b", 3);
	TEST_ASSERT_INTEQ(imap_thread_next_id(v, &pos, &b), 0);
	buf_deinit(&b);
}

static char *
run(const struct imap_thread_msg *m, size_t n, bool ordered)
{
	struct buf b;
	char *r;

	buf_init(&b, 0);
	if (ordered)
		imap_thread_orderedsubject(m, n, &b);
	else
		imap_thread_references(m, n, &b);
	r = strndup((const char *)buf_rptr(&b), buf_len(&b));
	buf_deinit(&b);
	return r;
}

static void
test_orderedsubject(void)
{
	struct imap_thread_msg m[] = {
	    {1, 1, 100, "a", NULL, NULL, NULL},
	    {2, 2, 50, "b", NULL, NULL, NULL},
	    {3, 3, 300, "Re: a", NULL, NULL, NULL},
	    {4, 4, 200, "re: A", NULL, NULL, NULL},
	    {5, 5, 60, "Re: b", NULL, NULL, NULL},
	    {6, 6, 10, "c", NULL, NULL, NULL},
	};
	char *r;

	test_begin("orderedsubject");
	r = run(m, 6, true);
	TEST_ASSERT_STREQ(r, "(6)(2 5)(1 (4)(3))");
	free(r);
	r = run(m, 0, true);
	TEST_ASSERT_STREQ(r, "");
	free(r);
}

static void
test_references(void)
{
	/* 1 <- 2 <- 3, 4 replies to 1 via In-Reply-To, 5 refers to a
	   missing parent shared with 6 (dummy at the top with two
	   children), 7 has a subject-only reply 8. */
	struct imap_thread_msg m[] = {
	    {1, 1, 10, "topic", "<1@x>", NULL, NULL},
	    {2, 2, 20, "Re: topic", "<2@x>", NULL, "<1@x>"},
	    {3, 3, 30, "Re: topic", "<3@x>", NULL, "<1@x> <2@x>"},
	    {4, 4, 25, "Re: topic", "<4@x>", "<1@x> (sent)", NULL},
	    {5, 5, 50, "lost", "<5@x>", NULL, "<gone@x>"},
	    {6, 6, 40, "Re: lost", "<6@x>", NULL, "<gone@x>"},
	    {7, 7, 70, "other", "<7@x>", NULL, NULL},
	    {8, 8, 80, "Re: other", "<8@x>", NULL, NULL},
	};
	struct imap_thread_msg loop[] = {
	    {1, 1, 10, "a", "<a@x>", NULL, "<b@x>"},
	    {2, 2, 20, "b", "<b@x>", NULL, "<a@x>"},
	    {3, 3, 30, "c", "<a@x>", NULL, NULL}, /* duplicate id */
	};
	char *r;

	test_begin("references");
	r = run(m, 8, false);
	TEST_ASSERT_STREQ(r, "(1 (2 3)(4))((6)(5))(7 8)");
	free(r);
	test_begin("references loop");
	r = run(loop, 3, false);
	TEST_ASSERT_STREQ(r, "(2 1)(3)");
	free(r);
}

/* RFC 5256 REFERENCES 5.C: two non-reply threads of one subject get a
   dummy parent. */
static void
test_references_subject_dummy(void)
{
	struct imap_thread_msg m[] = {
	    {1, 11, 10, "same", "<1@x>", NULL, NULL},
	    {2, 12, 5, "same", "<2@x>", NULL, NULL},
	    {3, 13, 1, "other", NULL, NULL, NULL},
	};
	char *r;

	test_begin("subject dummy");
	r = run(m, 3, false);
	TEST_ASSERT_STREQ(r, "(13)((12)(11))");
	free(r);
}

/* A chain of many messages must not recurse. */
static void
test_deep(void)
{
	enum { N = 20000 };
	static struct imap_thread_msg m[N];
	static char ids[N][24], refs[N][24];
	char *r;
	size_t i;

	for (i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "<%zu@x>", i);
		snprintf(refs[i], sizeof(refs[i]), "<%zu@x>", i ? i - 1 : 0);
		m[i] = (struct imap_thread_msg){(uint32_t)i + 1, (uint32_t)i + 1,
						(int64_t)i, "s", ids[i], NULL,
						i ? refs[i] : NULL};
	}
	test_begin("deep");
	r = run(m, N, false);
	TEST_ASSERT(strncmp(r, "(1 2 3 ", 7) == 0);
	TEST_ASSERT(strlen(r) > N);
	free(r);
}

TEST_MAIN(test_base_subject, test_next_id, test_orderedsubject, test_references,
	  test_references_subject_dummy, test_deep)

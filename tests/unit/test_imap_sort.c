/* test_imap_sort.c: RFC 5256 SORT and RFC 5957 DISPLAYFROM. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "imap/imap_sort.h"

static const struct imap_sort_msg base[] = {
    {1, 1, 500, 0, 300, "Re: beta", "Zed <z@x>", "b@x", NULL},
    {2, 2, 100, 900, 100, "alpha", "\"Anne\" <m@x>", "a@x", "c@x"},
    {3, 3, 300, 200, 200, "[list] Alpha", "b@x", NULL, NULL},
    {4, 4, 200, 200, 100, "Fwd: Beta", NULL, "=?utf-8?q?=C3=89mile?= <e@x>", NULL},
    {5, 5, 400, 100, 300, "gamma", "_under@x", "d@x", "a@x"},
};

static void
check(const char *name, const struct imap_sort_crit *crit, size_t ncrit,
      const char *want)
{
	struct imap_sort_msg m[5];
	char got[64] = "";
	size_t i;

	test_begin(name);
	memcpy(m, base, sizeof(m));
	imap_sort_msgs(m, 5, crit, ncrit);
	for (i = 0; i < 5; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%u",
			 i ? " " : "", m[i].id);
	TEST_ASSERT_STREQ(got, want);
}

static void
test_sort(void)
{
	const struct imap_sort_crit arrival[] = {{IMAP_SORT_ARRIVAL, false}};
	const struct imap_sort_crit date[] = {{IMAP_SORT_DATE, false}};
	const struct imap_sort_crit rsize[] = {{IMAP_SORT_SIZE, true}};
	const struct imap_sort_crit subj_date[] = {{IMAP_SORT_SUBJECT, false},
						   {IMAP_SORT_DATE, true}};
	const struct imap_sort_crit from[] = {{IMAP_SORT_FROM, false}};
	const struct imap_sort_crit to[] = {{IMAP_SORT_TO, false}};
	const struct imap_sort_crit cc[] = {{IMAP_SORT_CC, false}};
	const struct imap_sort_crit dfrom[] = {{IMAP_SORT_DISPLAYFROM, false}};
	const struct imap_sort_crit dto[] = {{IMAP_SORT_DISPLAYTO, false}};

	check("arrival", arrival, 1, "2 4 3 5 1");
	/* 1 has no Date: its internal date (500) counts (RFC 5256 2.2) */
	check("date", date, 1, "5 3 4 1 2");
	/* REVERSE does not reverse the sequence tie-break */
	check("reverse size", rsize, 1, "1 5 3 2 4");
	check("subject date", subj_date, 2, "2 3 1 4 5");
	/* empty first; "_" after letters in i;ascii-casemap (upper-case) */
	check("from", from, 1, "4 3 2 1 5");
	check("to", to, 1, "3 2 1 5 4");
	check("cc", cc, 1, "1 3 4 5 2");
	/* display names, else addr-spec */
	check("displayfrom", dfrom, 1, "4 2 3 1 5");
	check("displayto", dto, 1, "3 2 1 5 4");
}

TEST_MAIN(test_sort)

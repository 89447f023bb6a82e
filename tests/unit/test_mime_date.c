/* test_mime_date.c: tests of the RFC 5322 date-time parser. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <time.h>

#include "mime/mime_date.h"

struct date_case {
	const char *in;
	int rc;
	int64_t t; /* unix seconds when rc is 0 */
};

static const struct date_case date_cases[] = {
    /* RFC 5322 3.3 and appendix A */
    {"Fri, 21 Nov 1997 09:55:06 -0600", 0, 880127706},
    {"Tue, 1 Jul 2003 10:52:37 +0200", 0, 1057049557},
    {"Thu, 13 Feb 1969 23:32:54 -0330", 0, -27723426},
    /* A.5: folding and a comment */
    {"Thu,\r\n      13\r\n        Feb\r\n          1969\r\n      23:32\r\n"
     "               -0330 (Newfoundland Time)",
     0, -27723480},
    /* A.6.2 (obsolete): 2-digit year, GMT */
    {"21 Nov 97 09:55:06 GMT", 0, 880106106},
    /* A.6.3: comments and whitespace inside the time */
    {"Fri, 21 Nov 1997 09(comment):   55  :  06 -0600", 0, 880127706},
    {"(a) Fri (b) , (c) 21 (d) Nov (e) 1997 (f) 09:55:06 (g) -0600 (h)", 0,
     880127706},
    {"Fri, 21 Nov 1997 09:55:06 -0600 ((nested) \\) comment)", 0, 880127706},
    /* the day name is optional, with or without a comma */
    {"1 Jan 2000 00:00:00 +0000", 0, 946684800},
    {"Sat 1 Jan 2000 00:00:00 +0000", 0, 946684800},
    {"sat, 01 jan 2000 00:00:00 +0000", 0, 946684800},
    {"Saturday, 1 January 2000 00:00:00 +0000", 0, 946684800},
    {"1-Jan-2000 00:00:00 +0000", 0, 946684800},
    /* seconds are optional; a leap second is accepted */
    {"1 Jan 2000 00:00 +0000", 0, 946684800},
    {"31 Dec 1998 23:59:60 +0000", 0, 915148800},
    {"1 Jan 2000 0:0:0 +0000", 0, 946684800},
    /* numeric zones: "-0000" and "+0000" are UTC, any hours allowed */
    {"1 Jan 2000 00:00:00 -0000", 0, 946684800},
    {"1 Jan 2000 00:00:00 +0130", 0, 946684800 - 5400},
    {"1 Jan 2000 00:00:00 -1200", 0, 946684800 + 43200},
    {"1 Jan 2000 00:00:00 +9959", 0, 946684800 - 99 * 3600 - 59 * 60},
    /* RFC 5322 4.3 obs-zone */
    {"1 Jan 2000 00:00:00 UT", 0, 946684800},
    {"1 Jan 2000 00:00:00 gmt", 0, 946684800},
    {"1 Jan 2000 00:00:00 UTC", 0, 946684800},
    {"1 Jan 2000 00:00:00 EST", 0, 946684800 + 5 * 3600},
    {"1 Jan 2000 00:00:00 EDT", 0, 946684800 + 4 * 3600},
    {"1 Jan 2000 00:00:00 CST", 0, 946684800 + 6 * 3600},
    {"1 Jan 2000 00:00:00 CDT", 0, 946684800 + 5 * 3600},
    {"1 Jan 2000 00:00:00 MST", 0, 946684800 + 7 * 3600},
    {"1 Jan 2000 00:00:00 MDT", 0, 946684800 + 6 * 3600},
    {"1 Jan 2000 00:00:00 PST", 0, 946684800 + 8 * 3600},
    {"1 Jan 2000 00:00:00 pdt", 0, 946684800 + 7 * 3600},
    /* military zones and unknown names count as -0000 */
    {"1 Jan 2000 00:00:00 Z", 0, 946684800},
    {"1 Jan 2000 00:00:00 A", 0, 946684800},
    {"1 Jan 2000 00:00:00 y", 0, 946684800},
    {"1 Jan 2000 00:00:00 CET", 0, 946684800},
    {"1 Jan 2000 00:00:00 Europe", 0, 946684800},
    /* a missing zone, trailing text */
    {"1 Jan 2000 00:00:00", 0, 946684800},
    {"1 Jan 2000 00:00:00   ", 0, 946684800},
    {"1 Jan 2000 00:00:00 +0000 trailing junk", 0, 946684800},
    {"1 Jan 2000 00:00:00 +00001", 0, 946684800},
    /* RFC 5322 4.3: 2-digit years 00-49 are 20xx, 50-99 19xx, 3-digit
       years add 1900 */
    {"1 Jan 00 00:00 +0000", 0, 946684800},
    {"1 Jan 49 00:00 +0000", 0, 2493072000},
    {"1 Jan 50 00:00 +0000", 0, -631152000},
    {"1 Jan 99 00:00 +0000", 0, 915148800},
    {"1 Jan 5 00:00 +0000", 0, 1104537600},
    {"1 Jan 100 00:00 +0000", 0, 946684800},
    {"1 Jan 999 00:00 +0000", 0, 29316470400},
    /* 4 or more digits are taken as written */
    {"1 Jan 0000 00:00 +0000", 0, -62167219200},
    {"1 Jan 0001 00:00 +0000", 0, -62135596800},
    {"31 Dec 9999 23:59:59 +0000", 0, 253402300799},
    {"31 Dec 999999999 23:59:60 -9959", 0, 31556889833140740},
    {"31 Dec 999999999 23:59:60 +9959", 0, 31556889832420860},
    /* leap years */
    {"29 Feb 2000 00:00 +0000", 0, 951782400},
    {"29 Feb 2024 12:00 +0000", 0, 1709208000},
    {"29 Feb 1600 00:00 +0000", 0, -11670998400},
    {"28 Feb 2023 00:00 +0000", 0, 1677542400},
    {"29 Feb 2023 00:00 +0000", -1, 0},
    {"29 Feb 1900 00:00 +0000", -1, 0},
    {"29 Feb 2100 00:00 +0000", -1, 0},
    {"30 Feb 2000 00:00 +0000", -1, 0},
    /* days per month */
    {"31 Jan 2001 00:00 +0000", 0, 980899200},
    {"31 Mar 2001 00:00 +0000", 0, 985996800},
    {"30 Apr 2001 00:00 +0000", 0, 988588800},
    {"31 Apr 2001 00:00 +0000", -1, 0},
    {"31 Jun 2001 00:00 +0000", -1, 0},
    {"31 Sep 2001 00:00 +0000", -1, 0},
    {"31 Nov 2001 00:00 +0000", -1, 0},
    {"31 Dec 2001 00:00 +0000", 0, 1009756800},
    {"31 Aug 2001 00:00 +0000", 0, 999216000},
    {"31 Oct 2001 00:00 +0000", 0, 1004486400},
    {"31 Jul 2001 00:00 +0000", 0, 996537600},
    {"31 May 2001 00:00 +0000", 0, 991267200},
    /* invalid fields */
    {"0 Jan 2000 00:00 +0000", -1, 0},
    {"32 Jan 2000 00:00 +0000", -1, 0},
    {"123 Jan 2000 00:00 +0000", -1, 0},
    {"1 Jan 2000 24:00 +0000", -1, 0},
    {"1 Jan 2000 23:60 +0000", -1, 0},
    {"1 Jan 2000 23:59:61 +0000", -1, 0},
    {"1 Jan 2000 123:00 +0000", -1, 0},
    {"1 Jan 2000 12:00:", -1, 0},
    {"1 Jan 2000 +0000", -1, 0},
    {"1 Jan 2000", -1, 0},
    {"1 Jan 2000 10", -1, 0},
    {"1 Jan 2000 10:", -1, 0},
    {"1 Jan 2000 00:00 +0060", -1, 0},
    {"1 Jan 2000 00:00 +01", -1, 0},
    {"1 Jan 2000 00:00 +", -1, 0},
    {"1 Jan 2000 00:00 ?", -1, 0},
    {"1 Jan 1234567890 00:00 +0000", -1, 0},
    {"1 Jan 12345678901:00 +0000", -1, 0},
    /* month names */
    {"1 Foo 2000 00:00 +0000", -1, 0},
    {"1 Ja 2000 00:00 +0000", -1, 0},
    {"1 2000 00:00 +0000", -1, 0},
    /* not a date at all */
    {"", -1, 0},
    {"   ", -1, 0},
    {"(only a comment)", -1, 0},
    {"hello", -1, 0},
    {"Mon, Jan 1 2000 00:00:00 +0000", -1, 0},
    {"Mon Jan  1 00:00:00 2000", -1, 0},
    {"2000-01-01T00:00:00Z", -1, 0},
    {", 1 Jan 2000 00:00 +0000", -1, 0},
};

static void
test_date_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(date_cases) / sizeof(date_cases[0]); i++) {
		const struct date_case *c = &date_cases[i];
		size_t n = strlen(c->in);
		char *exact = malloc(n + 1);
		int64_t t = 12345;

		test_begin(c->in);
		/* exactly n bytes, no terminator: ASan catches a read past */
		memcpy(exact, c->in, n);
		TEST_ASSERT_INTEQ(mime_date_parse(exact, n, &t), c->rc);
		/* on failure *t_r is untouched */
		TEST_ASSERT_INTEQ(t, c->rc == 0 ? c->t : 12345);
		free(exact);
	}
}

/* A prefix of a valid date either fails or parses (the zone is
   optional), and never reads past its length. */
static void
test_date_prefixes(void)
{
	const char *full = "Tue, 1 Jul 2003 10:52:37 +0200 (CEST)";
	size_t n = strlen(full), k;

	test_begin("prefixes");
	for (k = 0; k <= n; k++) {
		char *exact = malloc(k + 1);
		int64_t t = 0;
		int rc;

		memcpy(exact, full, k);
		rc = mime_date_parse(exact, k, &t);
		if (k < strlen("Tue, 1 Jul 2003 10:5"))
			TEST_ASSERT_INTEQ(rc, -1);
		else if (k >= strlen("Tue, 1 Jul 2003 10:52:37 +0200"))
			TEST_ASSERT(rc == 0 && t == 1057049557);
		else if (k >= strlen("Tue, 1 Jul 2003 10:52:37"))
			TEST_ASSERT(rc == -1 || t == 1057049557 + 7200);
		free(exact);
	}
}

static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};

/* Random dates agree with libc's timegm(). */
static void
test_date_vs_timegm(void)
{
	uint32_t seed = 2024;
	int round;

	test_begin("timegm");
	for (round = 0; round < 5000; round++) {
		struct tm tm = {0};
		char s[80];
		int zone = (int)(test_rand(&seed) % 2400) - 1200, zh, zm;
		int64_t t = 0;
		time_t want;

		tm.tm_year = 1 + (int)(test_rand(&seed) % 400) + 1800 - 1900;
		tm.tm_mon = (int)(test_rand(&seed) % 12);
		tm.tm_mday = 1 + (int)(test_rand(&seed) % 31);
		tm.tm_hour = (int)(test_rand(&seed) % 24);
		tm.tm_min = (int)(test_rand(&seed) % 60);
		tm.tm_sec = (int)(test_rand(&seed) % 60);
		zh = (zone < 0 ? -zone : zone) / 100;
		zm = (zone < 0 ? -zone : zone) % 60;
		snprintf(s, sizeof(s), "%d %s %d %02d:%02d:%02d %c%02d%02d",
			 tm.tm_mday, month_names[tm.tm_mon], tm.tm_year + 1900,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, zone < 0 ? '-' : '+',
			 zh, zm);
		{
			struct tm norm = tm;

			want = timegm(&norm);
			if (norm.tm_mday != tm.tm_mday) {
				/* e.g. 31 Apr: not a date */
				TEST_ASSERT_INTEQ(
				    mime_date_parse(s, strlen(s), &t), -1);
				continue;
			}
		}
		want -= (zone < 0 ? -1 : 1) * (zh * 3600 + zm * 60);
		TEST_ASSERT_INTEQ(mime_date_parse(s, strlen(s), &t), 0);
		TEST_ASSERT_INTEQ(t, want);
	}
}

TEST_MAIN(test_date_table, test_date_prefixes, test_date_vs_timegm)

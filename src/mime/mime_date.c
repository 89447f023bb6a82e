/* mime_date.c: RFC 5322 date-time parsing, lenient about obsolete syntax. */
/* SPDX-License-Identifier: MIT */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mime/mime_date.h"

struct mime_date_cur {
	const char *p, *end;
};

/* Skip whitespace, folding and (nested) comments: CFWS. */
static void
mime_date_cfws(struct mime_date_cur *c)
{
	int level = 0;

	while (c->p < c->end) {
		char ch = *c->p;

		if (level > 0 && ch == '\\' && c->p + 1 < c->end) {
			c->p += 2;
			continue;
		}
		if (ch == '(')
			level++;
		else if (ch == ')' && level > 0)
			level--;
		else if (level == 0 && ch != ' ' && ch != '\t' && ch != '\r' &&
			 ch != '\n')
			return;
		c->p++;
	}
}

/* Read up to max digits; returns the digit count (0 if none). */
static int
mime_date_num(struct mime_date_cur *c, int max, int *v_r)
{
	int n = 0, v = 0;

	mime_date_cfws(c);
	while (c->p < c->end && n < max && *c->p >= '0' && *c->p <= '9') {
		v = v * 10 + (*c->p++ - '0');
		n++;
	}
	*v_r = v;
	return n;
}

/* Read an alphabetic word into w (truncated to wsize-1); returns its
   full length. */
static size_t
mime_date_word(struct mime_date_cur *c, char *w, size_t wsize)
{
	size_t n = 0;

	mime_date_cfws(c);
	while (c->p < c->end && ((*c->p | 0x20) >= 'a' && (*c->p | 0x20) <= 'z')) {
		if (n + 1 < wsize)
			w[n] = *c->p;
		n++;
		c->p++;
	}
	w[n < wsize ? n : wsize - 1] = '\0';
	return n;
}

static bool
mime_date_char(struct mime_date_cur *c, char ch)
{
	mime_date_cfws(c);
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1-12). */
static int64_t
mime_date_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static const char mime_months[] = "janfebmaraprmayjunjulaugsepoctnovdec";

/* RFC 5322 4.3 obs-zone, in minutes east of UTC.  Every alphabetic
   zone is accepted: the military letters (their sign was defined
   backwards in RFC 822) and other names whose meaning is not known
   "SHOULD be considered equivalent to -0000", i.e. UTC. */
static int
mime_date_obs_zone(const char *w)
{
	static const struct {
		const char *name;
		int hours;
	} zones[] = {{"ut", 0},	  {"gmt", 0},  {"utc", 0},  {"est", -5},
		     {"edt", -4}, {"cst", -6}, {"cdt", -5}, {"mst", -7},
		     {"mdt", -6}, {"pst", -8}, {"pdt", -7}};
	size_t i;

	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strcasecmp(w, zones[i].name) == 0)
			return zones[i].hours * 60;
	return 0;
}

/* Days in month m (1-12) of proleptic Gregorian year y. */
static int
mime_date_month_days(int64_t y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))
		return 29;
	return days[m - 1];
}

int
mime_date_parse(const char *s, size_t n, int64_t *t_r)
{
	struct mime_date_cur c = {s, s + n};
	char w[16];
	const char *m;
	int day, mon, year, hh, mm, ss = 0, zone = 0, nd;
	size_t wl;

	/* [day-of-week ","] */
	mime_date_cfws(&c);
	if (c.p < c.end && !(*c.p >= '0' && *c.p <= '9')) {
		if (mime_date_word(&c, w, sizeof(w)) == 0)
			return -1;
		mime_date_char(&c, ',');
	}
	if (mime_date_num(&c, 2, &day) == 0 || day < 1 || day > 31)
		return -1;
	mime_date_char(&c, '-'); /* seen in the wild: 1-Jan-2020 */
	wl = mime_date_word(&c, w, sizeof(w));
	if (wl < 3)
		return -1;
	w[3] = '\0';
	for (m = mime_months; *m != '\0'; m += 3)
		if (strncasecmp(m, w, 3) == 0)
			break;
	if (*m == '\0')
		return -1;
	mon = (int)((m - mime_months) / 3) + 1;
	mime_date_char(&c, '-');
	nd = mime_date_num(&c, 9, &year);
	if (nd == 0 || (c.p < c.end && *c.p >= '0' && *c.p <= '9'))
		return -1; /* no year, or one past 999999999 */
	if (nd <= 2)
		year += year < 50 ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	if (day > mime_date_month_days(year, mon))
		return -1; /* 31 Apr, 29 Feb 2023 */
	if (mime_date_num(&c, 2, &hh) == 0 || hh > 23 || !mime_date_char(&c, ':') ||
	    mime_date_num(&c, 2, &mm) == 0 || mm > 59)
		return -1;
	if (mime_date_char(&c, ':') &&
	    (mime_date_num(&c, 2, &ss) == 0 || ss > 60))
		return -1;
	mime_date_cfws(&c);
	if (c.p < c.end && (*c.p == '+' || *c.p == '-')) {
		int sign = *c.p++ == '-' ? -1 : 1, z;

		if (mime_date_num(&c, 4, &z) != 4 || z % 100 > 59)
			return -1;
		zone = sign * (z / 100 * 60 + z % 100);
	} else if (c.p < c.end) {
		if (mime_date_word(&c, w, sizeof(w)) == 0)
			return -1;
		zone = mime_date_obs_zone(w);
	}
	/* Trailing garbage after a complete date is tolerated. */
	*t_r = mime_date_days(year, mon, day) * 86400 + hh * 3600 + mm * 60 +
	       ss - (int64_t)zone * 60;
	return 0;
}

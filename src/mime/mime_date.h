/* mime_date.h: RFC 5322 3.3 date-time parsing (with the obsolete forms of 4.3). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_MIME_DATE_H
#define BUZON_MIME_DATE_H

#include <stddef.h>
#include <stdint.h>

/* Parse a Date: field value s[0..n) into unix seconds (UTC) in *t_r.
   Accepted: an optional day name with or without ",", comments and
   folding anywhere, 2- and 3-digit years (RFC 5322 4.3: 00-49 are
   2000-2049, 50-999 add 1900), optional seconds, numeric zones and the
   obsolete alphabetic ones (UT, GMT, EST ... PDT; military letters,
   other alphabetic zones and a missing zone count as +0000, RFC 5322
   4.3).  The day must exist in its month (leap years per the Gregorian
   rules); a second of 60 is accepted.  Returns 0, or -1 if s is not a
   date (then *t_r is untouched). */
int mime_date_parse(const char *s, size_t n, int64_t *t_r);

#endif

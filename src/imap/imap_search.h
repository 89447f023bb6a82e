/* imap_search.h: SEARCH programs, SORT and THREAD criteria (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 4731, RFC 5182, RFC 5256, RFC 7162 3.1.5). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_SEARCH_H
#define BUZON_IMAP_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_parse.h"
#include "imap/imap_seqset.h"

/* Keys after normalisation: UNSEEN is NOT(FLAG \Seen), NEW is
   AND(FLAG \Recent, NOT FLAG \Seen), OLD is NOT(FLAG \Recent), KEYWORD x
   is FLAG x, FROM/TO/CC/BCC/SUBJECT are HEADER with that field name. */
enum imap_search_op {
	IMAP_SK_ALL,
	IMAP_SK_AND,     /* child list (a parenthesised list, the top) */
	IMAP_SK_OR,      /* exactly two children */
	IMAP_SK_NOT,     /* one child */
	IMAP_SK_SEQSET,  /* set (sequence numbers) */
	IMAP_SK_UID,     /* set (UIDs) */
	IMAP_SK_FLAG,    /* str: "\Seen"-style system flag or keyword */
	IMAP_SK_HEADER,  /* field, str: substring of that header field;
			    "" matches every message having the field */
	IMAP_SK_BODY,    /* str */
	IMAP_SK_TEXT,    /* str */
	IMAP_SK_DATE,    /* sent, cmp, day */
	IMAP_SK_SIZE,    /* cmp (-1 SMALLER, 1 LARGER), num */
	IMAP_SK_MODSEQ,  /* num: mod-sequence >= num (RFC 7162 3.1.5) */
	IMAP_SK_OLDER,   /* num seconds (RFC 5032) */
	IMAP_SK_YOUNGER
};

struct imap_search_key {
	enum imap_search_op op;
	struct imap_search_key *child; /* AND / OR / NOT */
	struct imap_search_key *next;  /* sibling */
	const char *field;             /* HEADER: the field name */
	const char *str;               /* FLAG, HEADER, BODY, TEXT */
	size_t len;
	struct imap_seqset set;        /* SEQSET, UID (maybe saved "$") */
	/* DATE: sent (SENT* keys, the Date: header) or INTERNALDATE; cmp
	   -1 BEFORE, 0 ON, 1 SINCE (RFC 9051 6.4.4: SINCE = on or later);
	   day = days since 1970-01-01. */
	bool sent;
	int cmp;
	int32_t day;
	uint64_t num;
};

/* ESEARCH return options (RFC 4731 3.1, RFC 5182 2.4). */
#define IMAP_SEARCH_RET_MIN 0x01u
#define IMAP_SEARCH_RET_MAX 0x02u
#define IMAP_SEARCH_RET_ALL 0x04u
#define IMAP_SEARCH_RET_COUNT 0x08u
#define IMAP_SEARCH_RET_SAVE 0x10u

struct imap_search {
	/* RETURN (...) given (an ESEARCH answer is wanted); opts as above,
	   "RETURN ()" means ALL (RFC 4731 3.1). */
	bool ret_given;
	unsigned ret;
	const char *charset; /* CHARSET astring, or NULL */
	struct imap_search_key *root; /* an AND of the top-level keys */
};

enum imap_sort_key {
	IMAP_SORT_ARRIVAL,
	IMAP_SORT_CC,
	IMAP_SORT_DATE,
	IMAP_SORT_FROM,
	IMAP_SORT_SIZE,
	IMAP_SORT_SUBJECT,
	IMAP_SORT_TO,
	IMAP_SORT_DISPLAYFROM, /* RFC 5957 */
	IMAP_SORT_DISPLAYTO
};

struct imap_sort_crit {
	enum imap_sort_key key;
	bool reverse;
};

struct imap_sort {
	struct imap_sort_crit *crit;
	size_t ncrit;
	const char *charset; /* required by RFC 5256 */
	struct imap_search_key *root;
};

struct imap_thread {
	const char *algorithm; /* "REFERENCES", "ORDEREDSUBJECT", ... as sent */
	const char *charset;
	struct imap_search_key *root;
};

/* Parse SEARCH / UID SEARCH arguments: [RETURN (opts)] [CHARSET name]
   search-key *(SP search-key).  Nesting of OR/NOT/lists is limited to
   IMAP_SEARCH_DEPTH_MAX.  Memory in cmd's arena.  Returns 0, or -1 with
   *error_r (static, for BAD).  Whether the charset is supported is the
   caller's (NO [BADCHARSET]). */
int imap_search_parse(const struct imap_cmd *cmd, struct imap_search *s,
		      const char **error_r);
/* SORT (RFC 5256 3): (sort-criteria) charset search-keys. */
int imap_search_parse_sort(const struct imap_cmd *cmd, struct imap_sort *s,
			   const char **error_r);
/* THREAD (RFC 5256 3): algorithm charset search-keys. */
int imap_search_parse_thread(const struct imap_cmd *cmd, struct imap_thread *t,
			     const char **error_r);

/* date-text "1-Feb-1994" (day 1 or 2 digits, month in any case, 4-digit
   year).  Returns 0 with days since 1970-01-01, or -1. */
int imap_search_date(const char *s, int32_t *day_r);
/* Days since 1970-01-01 of a valid civil date (proleptic Gregorian). */
int32_t imap_search_days(int year, int month, int day);

#endif

/* imap_search.c: SEARCH programs, SORT and THREAD criteria (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 4731, RFC 5182, RFC 5256, RFC 7162 3.1.5). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_search.h"

#include <string.h>
#include <strings.h>

#include "limits.h"

static const char *const imap_months[12] = {"Jan", "Feb", "Mar", "Apr",
					    "May", "Jun", "Jul", "Aug",
					    "Sep", "Oct", "Nov", "Dec"};

int32_t
imap_search_days(int year, int month, int day)
{
	/* Days from civil (H. Hinnant's algorithm, era-based). */
	int y = year - (month <= 2);
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int32_t)(era * 146097 + doe - 719468);
}

static int
imap_month_days(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return month == 2 && leap ? 29 : days[month - 1];
}

int
imap_search_date(const char *s, int32_t *day_r)
{
	int day = 0, month = 0, year = 0, i, k;

	/* date-day = 1*2DIGIT */
	for (i = 0; i < 2 && s[i] >= '0' && s[i] <= '9'; i++)
		day = day * 10 + (s[i] - '0');
	if (i == 0 || s[i] != '-')
		return -1;
	s += i + 1;
	for (k = 0; k < 12; k++)
		if (strncasecmp(s, imap_months[k], 3) == 0)
			month = k + 1;
	if (month == 0 || s[3] != '-')
		return -1;
	s += 4;
	for (i = 0; i < 4; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		year = year * 10 + (s[i] - '0');
	}
	if (s[4] != '\0' || day < 1 || day > imap_month_days(year, month))
		return -1;
	*day_r = imap_search_days(year, month, day);
	return 0;
}

struct imap_search_ctx {
	struct arena *a;
	const char *error;
};

static struct imap_search_key *
imap_sk_new(struct imap_search_ctx *c, enum imap_search_op op)
{
	struct imap_search_key *k = arena_alloc(c->a, sizeof(*k));

	k->op = op;
	return k;
}

static struct imap_search_key *
imap_sk_not(struct imap_search_ctx *c, struct imap_search_key *k)
{
	struct imap_search_key *n = imap_sk_new(c, IMAP_SK_NOT);

	n->child = k;
	return n;
}

static struct imap_search_key *
imap_sk_flag(struct imap_search_ctx *c, const char *flag)
{
	struct imap_search_key *k = imap_sk_new(c, IMAP_SK_FLAG);

	k->str = flag;
	k->len = strlen(flag);
	return k;
}

/* Keys without arguments: name, system flag, negated. */
static const struct {
	const char *name;
	const char *flag;
	bool negate;
} imap_sk_flags[] = {
    {"ANSWERED", "\\Answered", false}, {"DELETED", "\\Deleted", false},
    {"DRAFT", "\\Draft", false},       {"FLAGGED", "\\Flagged", false},
    {"SEEN", "\\Seen", false},         {"RECENT", "\\Recent", false},
    {"UNANSWERED", "\\Answered", true}, {"UNDELETED", "\\Deleted", true},
    {"UNDRAFT", "\\Draft", true},      {"UNFLAGGED", "\\Flagged", true},
    {"UNSEEN", "\\Seen", true},        {"OLD", "\\Recent", true},
};

/* Keys with one astring: name, header field (NULL: BODY/TEXT). */
static const struct {
	const char *name;
	const char *field;
	enum imap_search_op op;
} imap_sk_strings[] = {
    {"BCC", "Bcc", IMAP_SK_HEADER},         {"CC", "Cc", IMAP_SK_HEADER},
    {"FROM", "From", IMAP_SK_HEADER},       {"SUBJECT", "Subject", IMAP_SK_HEADER},
    {"TO", "To", IMAP_SK_HEADER},           {"BODY", NULL, IMAP_SK_BODY},
    {"TEXT", NULL, IMAP_SK_TEXT},
};

static const struct {
	const char *name;
	bool sent;
	int cmp;
} imap_sk_dates[] = {
    {"BEFORE", false, -1},    {"ON", false, 0},      {"SINCE", false, 1},
    {"SENTBEFORE", true, -1}, {"SENTON", true, 0},   {"SENTSINCE", true, 1},
};

static struct imap_search_key *imap_sk_parse(struct imap_search_ctx *c,
					     const struct imap_arg **ap,
					     unsigned depth);

/* Keys from arg to the end of its sibling list, as an AND. */
static struct imap_search_key *
imap_sk_list(struct imap_search_ctx *c, const struct imap_arg *arg,
	     unsigned depth)
{
	struct imap_search_key *and = imap_sk_new(c, IMAP_SK_AND), *last = NULL;

	if (arg == NULL) {
		c->error = "Missing search key";
		return NULL;
	}
	while (arg != NULL) {
		struct imap_search_key *k = imap_sk_parse(c, &arg, depth);

		if (k == NULL)
			return NULL;
		if (last == NULL)
			and->child = k;
		else
			last->next = k;
		last = k;
	}
	return and;
}

/* flag-keyword = atom (RFC 9051 9). */
static bool
imap_sk_is_atom(const struct imap_arg *arg)
{
	size_t i;

	if (arg == NULL || arg->type != IMAP_ARG_ATOM)
		return false;
	for (i = 0; i < arg->len; i++)
		if (!imap_is_atom_char((unsigned char)arg->str[i]))
			return false;
	return true;
}

static struct imap_search_key *
imap_sk_modseq(struct imap_search_ctx *c, const struct imap_arg **ap)
{
	const struct imap_arg *arg = *ap;
	struct imap_search_key *k = imap_sk_new(c, IMAP_SK_MODSEQ);

	/* RFC 7162 3.1.5: [entry-name SP entry-type-req SP] mod-sequence-
	   valzer; entry-name = DQUOTE "/flags/" attr-flag DQUOTE. */
	if (arg != NULL && arg->type == IMAP_ARG_QUOTED) {
		if (strncasecmp(arg->str, "/flags/", 7) != 0 || arg->len == 7)
			return NULL;
		arg = arg->next;
		if (!imap_arg_atom_is(arg, "priv") &&
		    !imap_arg_atom_is(arg, "shared") &&
		    !imap_arg_atom_is(arg, "all"))
			return NULL;
		arg = arg->next;
	}
	if (imap_arg_number64(arg, &k->num) < 0)
		return NULL;
	*ap = arg->next;
	return k;
}

/* One search-key at *ap; advances *ap past it.  depth counts the
   nesting of lists, NOT and OR. */
static struct imap_search_key *
imap_sk_parse(struct imap_search_ctx *c, const struct imap_arg **ap,
	      unsigned depth)
{
	const struct imap_arg *arg = *ap, *v;
	struct imap_search_key *k;
	const char *name;
	size_t i;

	if (arg == NULL) {
		c->error = "Missing search key";
		return NULL;
	}
	if (depth >= IMAP_SEARCH_DEPTH_MAX) {
		c->error = "Search keys nested too deeply";
		return NULL;
	}
	*ap = arg->next;
	if (arg->type == IMAP_ARG_LIST)
		return imap_sk_list(c, arg->child, depth + 1);
	c->error = "Invalid search key";
	if (arg->type != IMAP_ARG_ATOM)
		return NULL;
	name = arg->str;
	v = arg->next;
	for (i = 0; i < sizeof(imap_sk_flags) / sizeof(imap_sk_flags[0]); i++)
		if (strcasecmp(name, imap_sk_flags[i].name) == 0) {
			k = imap_sk_flag(c, imap_sk_flags[i].flag);
			return imap_sk_flags[i].negate ? imap_sk_not(c, k) : k;
		}
	for (i = 0; i < sizeof(imap_sk_strings) / sizeof(imap_sk_strings[0]);
	     i++)
		if (strcasecmp(name, imap_sk_strings[i].name) == 0) {
			k = imap_sk_new(c, imap_sk_strings[i].op);
			k->field = imap_sk_strings[i].field;
			if ((k->str = imap_arg_astring(v, &k->len)) == NULL) {
				c->error = "Missing search string";
				return NULL;
			}
			*ap = v->next;
			return k;
		}
	for (i = 0; i < sizeof(imap_sk_dates) / sizeof(imap_sk_dates[0]); i++)
		if (strcasecmp(name, imap_sk_dates[i].name) == 0) {
			const char *d = imap_arg_astring(v, NULL);

			k = imap_sk_new(c, IMAP_SK_DATE);
			k->sent = imap_sk_dates[i].sent;
			k->cmp = imap_sk_dates[i].cmp;
			if (d == NULL || imap_search_date(d, &k->day) < 0) {
				c->error = "Invalid search date";
				return NULL;
			}
			*ap = v->next;
			return k;
		}
	if (strcasecmp(name, "ALL") == 0)
		return imap_sk_new(c, IMAP_SK_ALL);
	if (strcasecmp(name, "NEW") == 0) {
		/* RFC 3501 6.4.4: RECENT UNSEEN. */
		k = imap_sk_new(c, IMAP_SK_AND);
		k->child = imap_sk_flag(c, "\\Recent");
		k->child->next = imap_sk_not(c, imap_sk_flag(c, "\\Seen"));
		return k;
	}
	if (strcasecmp(name, "KEYWORD") == 0 ||
	    strcasecmp(name, "UNKEYWORD") == 0) {
		if (!imap_sk_is_atom(v))
			return NULL;
		k = imap_sk_flag(c, v->str);
		*ap = v->next;
		return name[0] == 'U' || name[0] == 'u' ? imap_sk_not(c, k) : k;
	}
	if (strcasecmp(name, "HEADER") == 0) {
		k = imap_sk_new(c, IMAP_SK_HEADER);
		if ((k->field = imap_arg_astring(v, NULL)) == NULL ||
		    (k->str = imap_arg_astring(v->next, &k->len)) == NULL) {
			c->error = "Missing search string";
			return NULL;
		}
		*ap = v->next->next;
		return k;
	}
	if (strcasecmp(name, "LARGER") == 0 || strcasecmp(name, "SMALLER") == 0) {
		k = imap_sk_new(c, IMAP_SK_SIZE);
		k->cmp = name[0] == 'L' || name[0] == 'l' ? 1 : -1;
		if (imap_arg_number64(v, &k->num) < 0)
			return NULL;
		*ap = v->next;
		return k;
	}
	if (strcasecmp(name, "OLDER") == 0 || strcasecmp(name, "YOUNGER") == 0) {
		k = imap_sk_new(c, name[0] == 'O' || name[0] == 'o'
				       ? IMAP_SK_OLDER
				       : IMAP_SK_YOUNGER);
		/* RFC 5032 4: interval = 1*DIGIT, non-zero. */
		if (imap_arg_number64(v, &k->num) < 0 || k->num == 0)
			return NULL;
		*ap = v->next;
		return k;
	}
	if (strcasecmp(name, "UID") == 0) {
		k = imap_sk_new(c, IMAP_SK_UID);
		if (imap_seqset_arg(v, c->a, &k->set) < 0) {
			c->error = "Invalid UID set";
			return NULL;
		}
		*ap = v->next;
		return k;
	}
	if (strcasecmp(name, "MODSEQ") == 0) {
		*ap = v;
		if ((k = imap_sk_modseq(c, ap)) == NULL)
			c->error = "Invalid MODSEQ search key";
		return k;
	}
	if (strcasecmp(name, "NOT") == 0) {
		*ap = v;
		k = imap_sk_parse(c, ap, depth + 1);
		return k != NULL ? imap_sk_not(c, k) : NULL;
	}
	if (strcasecmp(name, "OR") == 0) {
		struct imap_search_key *a, *b;

		*ap = v;
		if ((a = imap_sk_parse(c, ap, depth + 1)) == NULL ||
		    (b = imap_sk_parse(c, ap, depth + 1)) == NULL)
			return NULL;
		k = imap_sk_new(c, IMAP_SK_OR);
		k->child = a;
		a->next = b;
		return k;
	}
	k = imap_sk_new(c, IMAP_SK_SEQSET);
	if (imap_seqset_arg(arg, c->a, &k->set) < 0)
		return NULL;
	return k;
}

/* CHARSET astring at *ap (optional unless required). */
static int
imap_search_charset(const struct imap_arg **ap, bool required,
		    const char **charset_r, const char **error_r)
{
	const struct imap_arg *arg = *ap;

	*charset_r = NULL;
	if (required) {
		*charset_r = imap_arg_astring(arg, NULL);
	} else if (imap_arg_atom_is(arg, "CHARSET")) {
		arg = arg->next;
		*charset_r = imap_arg_astring(arg, NULL);
	} else {
		return 0;
	}
	if (*charset_r == NULL || **charset_r == '\0') {
		*error_r = "Invalid CHARSET";
		return -1;
	}
	*ap = arg->next;
	return 0;
}

int
imap_search_parse(const struct imap_cmd *cmd, struct imap_search *s,
		  const char **error_r)
{
	static const struct {
		const char *name;
		unsigned bit;
	} rets[] = {{"MIN", IMAP_SEARCH_RET_MIN},
		    {"MAX", IMAP_SEARCH_RET_MAX},
		    {"ALL", IMAP_SEARCH_RET_ALL},
		    {"COUNT", IMAP_SEARCH_RET_COUNT},
		    {"SAVE", IMAP_SEARCH_RET_SAVE}};
	struct imap_search_ctx c = {cmd->arena, NULL};
	const struct imap_arg *arg = cmd->args, *o;
	size_t i;

	memset(s, 0, sizeof(*s));
	if (imap_arg_atom_is(arg, "RETURN")) {
		arg = arg->next;
		*error_r = "Invalid RETURN options";
		if (arg == NULL || arg->type != IMAP_ARG_LIST)
			return -1;
		s->ret_given = true;
		for (o = arg->child; o != NULL; o = o->next) {
			for (i = 0; i < sizeof(rets) / sizeof(rets[0]); i++)
				if (imap_arg_atom_is(o, rets[i].name))
					break;
			if (i == sizeof(rets) / sizeof(rets[0]))
				return -1;
			s->ret |= rets[i].bit;
		}
		/* RFC 4731 3.1: "RETURN ()" is RETURN (ALL). */
		if (s->ret == 0)
			s->ret = IMAP_SEARCH_RET_ALL;
		arg = arg->next;
	}
	if (imap_search_charset(&arg, false, &s->charset, error_r) < 0)
		return -1;
	if ((s->root = imap_sk_list(&c, arg, 0)) == NULL) {
		*error_r = c.error;
		return -1;
	}
	return 0;
}

int
imap_search_parse_sort(const struct imap_cmd *cmd, struct imap_sort *s,
		       const char **error_r)
{
	static const char *const keys[] = {
	    [IMAP_SORT_ARRIVAL] = "ARRIVAL", [IMAP_SORT_CC] = "CC",
	    [IMAP_SORT_DATE] = "DATE",       [IMAP_SORT_FROM] = "FROM",
	    [IMAP_SORT_SIZE] = "SIZE",       [IMAP_SORT_SUBJECT] = "SUBJECT",
	    [IMAP_SORT_TO] = "TO",           [IMAP_SORT_DISPLAYFROM] = "DISPLAYFROM",
	    [IMAP_SORT_DISPLAYTO] = "DISPLAYTO"};
	struct imap_search_ctx c = {cmd->arena, NULL};
	const struct imap_arg *arg = cmd->args, *o;
	size_t i;
	bool reverse = false;

	memset(s, 0, sizeof(*s));
	*error_r = "Invalid sort criteria";
	if (arg == NULL || arg->type != IMAP_ARG_LIST || arg->count == 0)
		return -1;
	s->crit = arena_alloc(cmd->arena, arg->count * sizeof(*s->crit));
	/* sort-criterion = ["REVERSE" SP] sort-key */
	for (o = arg->child; o != NULL; o = o->next) {
		if (imap_arg_atom_is(o, "REVERSE") && !reverse) {
			reverse = true;
			continue;
		}
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (imap_arg_atom_is(o, keys[i]))
				break;
		if (i == sizeof(keys) / sizeof(keys[0]))
			return -1;
		s->crit[s->ncrit].key = (enum imap_sort_key)i;
		s->crit[s->ncrit++].reverse = reverse;
		reverse = false;
	}
	if (reverse)
		return -1;
	arg = arg->next;
	if (imap_search_charset(&arg, true, &s->charset, error_r) < 0)
		return -1;
	if ((s->root = imap_sk_list(&c, arg, 0)) == NULL) {
		*error_r = c.error;
		return -1;
	}
	return 0;
}

int
imap_search_parse_thread(const struct imap_cmd *cmd, struct imap_thread *t,
			 const char **error_r)
{
	struct imap_search_ctx c = {cmd->arena, NULL};
	const struct imap_arg *arg = cmd->args;

	memset(t, 0, sizeof(*t));
	if (!imap_sk_is_atom(arg)) {
		*error_r = "Invalid thread algorithm";
		return -1;
	}
	t->algorithm = arg->str;
	arg = arg->next;
	if (imap_search_charset(&arg, true, &t->charset, error_r) < 0)
		return -1;
	if ((t->root = imap_sk_list(&c, arg, 0)) == NULL) {
		*error_r = c.error;
		return -1;
	}
	return 0;
}

/* imap_args.c: typed arguments of the IMAP commands other than FETCH and SEARCH. */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_args.h"

#include <string.h>
#include <strings.h>

#include "imap/imap_search.h"
#include "imap/imap_utf7.h"
#include "limits.h"
#include "utf8.h"

int
imap_args_mailbox(const struct imap_arg *arg, bool utf8, struct arena *a,
		  const char **name_r, const char **error_r)
{
	const char *s;
	size_t n, i, l;

	if ((s = imap_arg_astring(arg, &n)) == NULL) {
		*error_r = "Invalid mailbox name";
		return -1;
	}
	if (utf8) {
		/* RFC 6855 3: UTF-8 as sent, no controls. */
		for (i = 0; i < n; i += l) {
			l = utf8_char_len((const unsigned char *)s + i,
					       n - i);
			if (l == 0 || (l == 1 && ((unsigned char)s[i] < 0x20 ||
						  s[i] == 0x7f))) {
				*error_r = "Invalid UTF-8 mailbox name";
				return -1;
			}
		}
	} else if ((s = imap_utf7_decode(s, n, a, &n, error_r)) == NULL) {
		return -1;
	}
	/* RFC 9051 5.1: INBOX is case-insensitive. */
	*name_r = n == 5 && strcasecmp(s, "INBOX") == 0 ? "INBOX" : s;
	return 0;
}

int
imap_args_none(const struct imap_cmd *cmd, const char **error_r)
{
	if (cmd->nargs != 0) {
		*error_r = "Unexpected arguments";
		return -1;
	}
	return 0;
}

/* Exactly n arguments. */
static int
imap_args_count(const struct imap_cmd *cmd, size_t n, const char **error_r)
{
	if (cmd->nargs != n) {
		*error_r = cmd->nargs < n ? "Missing arguments"
					  : "Too many arguments";
		return -1;
	}
	return 0;
}

int
imap_args_login(const struct imap_cmd *cmd, const char **user_r,
		const char **pass_r, const char **error_r)
{
	if (imap_args_count(cmd, 2, error_r) < 0)
		return -1;
	*user_r = imap_arg_astring(cmd->args, NULL);
	*pass_r = imap_arg_astring(cmd->args->next, NULL);
	if (*user_r == NULL || *pass_r == NULL) {
		*error_r = "Invalid LOGIN arguments";
		return -1;
	}
	return 0;
}

int
imap_args_authenticate(const struct imap_cmd *cmd, const char **mech_r,
		       const char **ir_r, const char **error_r)
{
	const struct imap_arg *m = cmd->args, *ir;
	size_t i;

	*error_r = "Invalid AUTHENTICATE arguments";
	*ir_r = NULL;
	if (cmd->nargs < 1 || cmd->nargs > 2 || m->type != IMAP_ARG_ATOM)
		return -1;
	for (i = 0; i < m->len; i++)
		if (!imap_is_atom_char((unsigned char)m->str[i]))
			return -1;
	*mech_r = m->str;
	if ((ir = m->next) == NULL)
		return 0;
	/* RFC 4959 7: initial-response = base64 / "=" */
	if (ir->type != IMAP_ARG_ATOM)
		return -1;
	if (strcmp(ir->str, "=") == 0) {
		*ir_r = "";
		return 0;
	}
	/* base64 (RFC 9051 9): padding "=" only at the end, at most two. */
	for (i = 0; i < ir->len && ir->str[i] != '='; i++) {
		char c = ir->str[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -1;
	}
	if (ir->len - i > 2 || strspn(ir->str + i, "=") != ir->len - i ||
	    ir->len % 4 != 0)
		return -1;
	*ir_r = ir->str;
	return 0;
}

/* QRESYNC (uidvalidity mod-sequence-value [known-uids [seq-match]])
   (RFC 7162 3.2.5). */
static int
imap_args_qresync(const struct imap_arg *list, struct arena *a,
		  struct imap_select *s)
{
	const struct imap_arg *q;

	if (list == NULL || list->type != IMAP_ARG_LIST || list->count < 2 ||
	    list->count > 4)
		return -1;
	q = list->child;
	if (imap_arg_number(q, &s->uidvalidity) < 0 || s->uidvalidity == 0 ||
	    imap_arg_number64(q->next, &s->modseq) < 0 || s->modseq == 0)
		return -1;
	q = q->next->next;
	if (q == NULL)
		return 0;
	if (q->type == IMAP_ARG_ATOM) {
		if (imap_seqset_arg(q, a, &s->known_uids) < 0 ||
		    s->known_uids.saved)
			return -1;
		s->has_known_uids = true;
		q = q->next;
	}
	if (q == NULL)
		return 0;
	/* seq-match-data = "(" known-sequence-set SP known-uid-set ")" */
	if (q->type != IMAP_ARG_LIST || q->count != 2 || q->next != NULL ||
	    imap_seqset_arg(q->child, a, &s->match_seqs) < 0 ||
	    imap_seqset_arg(q->child->next, a, &s->match_uids) < 0 ||
	    s->match_seqs.saved || s->match_uids.saved)
		return -1;
	s->has_seq_match = true;
	return 0;
}

int
imap_args_select(const struct imap_cmd *cmd, bool utf8, struct imap_select *s,
		 const char **error_r)
{
	const struct imap_arg *p;

	memset(s, 0, sizeof(*s));
	if (cmd->nargs < 1 || cmd->nargs > 2) {
		*error_r = "Invalid SELECT arguments";
		return -1;
	}
	if (imap_args_mailbox(cmd->args, utf8, cmd->arena, &s->mailbox,
			      error_r) < 0)
		return -1;
	if (cmd->nargs == 1)
		return 0;
	*error_r = "Invalid SELECT parameters";
	if (cmd->args->next->type != IMAP_ARG_LIST)
		return -1;
	for (p = cmd->args->next->child; p != NULL; p = p->next) {
		if (imap_arg_atom_is(p, "CONDSTORE") && !s->condstore) {
			s->condstore = true;
		} else if (imap_arg_atom_is(p, "QRESYNC") && !s->qresync) {
			s->qresync = true;
			p = p->next;
			if (imap_args_qresync(p, cmd->arena, s) < 0)
				return -1;
		} else {
			return -1;
		}
	}
	return 0;
}

int
imap_args_one_mailbox(const struct imap_cmd *cmd, bool utf8,
		      const char **name_r, const char **error_r)
{
	if (imap_args_count(cmd, 1, error_r) < 0)
		return -1;
	return imap_args_mailbox(cmd->args, utf8, cmd->arena, name_r, error_r);
}

int
imap_args_rename(const struct imap_cmd *cmd, bool utf8, const char **from_r,
		 const char **to_r, const char **error_r)
{
	if (imap_args_count(cmd, 2, error_r) < 0 ||
	    imap_args_mailbox(cmd->args, utf8, cmd->arena, from_r, error_r) < 0)
		return -1;
	return imap_args_mailbox(cmd->args->next, utf8, cmd->arena, to_r,
				 error_r);
}

int
imap_args_copy(const struct imap_cmd *cmd, bool utf8, struct imap_seqset *set_r,
	       const char **mailbox_r, const char **error_r)
{
	if (imap_args_count(cmd, 2, error_r) < 0)
		return -1;
	if (imap_seqset_arg(cmd->args, cmd->arena, set_r) < 0) {
		*error_r = "Invalid sequence set";
		return -1;
	}
	return imap_args_mailbox(cmd->args->next, utf8, cmd->arena, mailbox_r,
				 error_r);
}

int
imap_args_expunge(const struct imap_cmd *cmd, struct imap_seqset *set_r,
		  const char **error_r)
{
	memset(set_r, 0, sizeof(*set_r));
	if (!cmd->uid)
		return imap_args_none(cmd, error_r);
	if (imap_args_count(cmd, 1, error_r) < 0)
		return -1;
	if (imap_seqset_arg(cmd->args, cmd->arena, set_r) < 0) {
		*error_r = "Invalid sequence set";
		return -1;
	}
	return 0;
}

/* One flag (RFC 9051 9 flag): a system flag in canonical case, a
   keyword atom, or NULL. */
static const char *
imap_args_flag(const struct imap_arg *arg)
{
	static const char *const sys[] = {"\\Answered", "\\Flagged",
					  "\\Deleted", "\\Seen", "\\Draft"};
	size_t i;

	if (arg == NULL || arg->type != IMAP_ARG_ATOM)
		return NULL;
	if (arg->str[0] == '\\') {
		for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
			if (strcasecmp(arg->str, sys[i]) == 0)
				return sys[i];
		return NULL;
	}
	for (i = 0; i < arg->len; i++)
		if (!imap_is_atom_char((unsigned char)arg->str[i]))
			return NULL;
	return arg->str;
}

int
imap_args_flags(const struct imap_arg *arg, bool list_only, struct arena *a,
		struct imap_flags *f, const char **error_r)
{
	const struct imap_arg *x;
	size_t n = 0;

	memset(f, 0, sizeof(*f));
	*error_r = "Invalid flag";
	if (arg == NULL)
		return -1;
	if (arg->type == IMAP_ARG_LIST) {
		if (!list_only && arg->next != NULL)
			return -1;
		arg = arg->child;
	} else if (list_only) {
		return -1;
	}
	for (x = arg; x != NULL; x = x->next)
		n++;
	f->flag = arena_alloc(a, (n ? n : 1) * sizeof(*f->flag));
	for (x = arg; x != NULL; x = x->next)
		if ((f->flag[f->n++] = imap_args_flag(x)) == NULL)
			return -1;
	return 0;
}

int
imap_args_store(const struct imap_cmd *cmd, struct imap_store *s,
		const char **error_r)
{
	const struct imap_arg *arg = cmd->args;
	const char *item;

	memset(s, 0, sizeof(*s));
	if (imap_seqset_arg(arg, cmd->arena, &s->set) < 0) {
		*error_r = "Invalid sequence set";
		return -1;
	}
	arg = arg->next;
	*error_r = "Invalid STORE modifier";
	if (arg != NULL && arg->type == IMAP_ARG_LIST) {
		/* RFC 7162 3.1.3: (UNCHANGEDSINCE mod-sequence-valzer) */
		if (arg->count != 2 ||
		    !imap_arg_atom_is(arg->child, "UNCHANGEDSINCE") ||
		    imap_arg_number64(arg->child->next, &s->unchangedsince) < 0)
			return -1;
		s->unchangedsince_given = true;
		arg = arg->next;
	}
	*error_r = "Invalid STORE item";
	if (arg == NULL || arg->type != IMAP_ARG_ATOM)
		return -1;
	item = arg->str;
	if (*item == '+' || *item == '-')
		s->mode = *item++ == '+' ? 1 : -1;
	if (strcasecmp(item, "FLAGS.SILENT") == 0)
		s->silent = true;
	else if (strcasecmp(item, "FLAGS") != 0)
		return -1;
	return imap_args_flags(arg->next, false, cmd->arena, &s->flags,
			       error_r);
}

int
imap_args_status_items(const struct imap_arg *list, unsigned *items_r,
		       const char **error_r)
{
	static const struct {
		const char *name;
		unsigned bit;
	} items[] = {{"MESSAGES", IMAP_STATUS_MESSAGES},
		     {"RECENT", IMAP_STATUS_RECENT},
		     {"UIDNEXT", IMAP_STATUS_UIDNEXT},
		     {"UIDVALIDITY", IMAP_STATUS_UIDVALIDITY},
		     {"UNSEEN", IMAP_STATUS_UNSEEN},
		     {"DELETED", IMAP_STATUS_DELETED},
		     {"SIZE", IMAP_STATUS_SIZE},
		     {"HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ}};
	const struct imap_arg *x;
	size_t i;

	*items_r = 0;
	*error_r = "Invalid STATUS items";
	if (list == NULL || list->type != IMAP_ARG_LIST || list->count == 0)
		return -1;
	for (x = list->child; x != NULL; x = x->next) {
		for (i = 0; i < sizeof(items) / sizeof(items[0]); i++)
			if (imap_arg_atom_is(x, items[i].name))
				break;
		if (i == sizeof(items) / sizeof(items[0]))
			return -1;
		*items_r |= items[i].bit;
	}
	return 0;
}

int
imap_args_status(const struct imap_cmd *cmd, bool utf8, const char **mailbox_r,
		 unsigned *items_r, const char **error_r)
{
	if (imap_args_count(cmd, 2, error_r) < 0 ||
	    imap_args_mailbox(cmd->args, utf8, cmd->arena, mailbox_r,
			      error_r) < 0)
		return -1;
	return imap_args_status_items(cmd->args->next, items_r, error_r);
}

/* Match an option atom against a table; returns its bit or 0. */
static unsigned
imap_args_option(const struct imap_arg *o, const char *const *names,
		 const unsigned *bits, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (imap_arg_atom_is(o, names[i]))
			return bits[i];
	return 0;
}

/* RETURN (return-opts) of LIST (RFC 5258 3.2, RFC 5819, RFC 6154). */
static int
imap_args_list_return(const struct imap_arg *list, struct imap_list *l,
		      const char **error_r)
{
	static const char *const names[] = {"SUBSCRIBED", "CHILDREN",
					    "SPECIAL-USE"};
	static const unsigned bits[] = {IMAP_LIST_RET_SUBSCRIBED,
					IMAP_LIST_RET_CHILDREN,
					IMAP_LIST_RET_SPECIAL_USE};
	const struct imap_arg *o;
	unsigned b;

	*error_r = "Invalid LIST return options";
	if (list == NULL || list->type != IMAP_ARG_LIST || list->next != NULL)
		return -1;
	for (o = list->child; o != NULL; o = o->next) {
		if (imap_arg_atom_is(o, "STATUS") &&
		    !(l->ret & IMAP_LIST_RET_STATUS)) {
			o = o->next;
			if (imap_args_status_items(o, &l->status_items,
						   error_r) < 0)
				return -1;
			l->ret |= IMAP_LIST_RET_STATUS;
		} else if ((b = imap_args_option(o, names, bits, 3)) != 0) {
			l->ret |= b;
		} else {
			return -1;
		}
	}
	return 0;
}

/* A list-mailbox (pattern): astring plus "%" and "*" (RFC 9051 9). */
static const char *
imap_args_pattern(const struct imap_arg *arg, bool utf8, struct arena *a,
		  const char **error_r)
{
	struct imap_arg copy;
	const char *name;
	size_t i;

	if (arg == NULL || (arg->type != IMAP_ARG_ATOM &&
			    arg->type != IMAP_ARG_NIL &&
			    arg->type != IMAP_ARG_QUOTED &&
			    arg->type != IMAP_ARG_LITERAL)) {
		*error_r = "Invalid mailbox pattern";
		return NULL;
	}
	copy = *arg;
	if (arg->type == IMAP_ARG_ATOM) {
		for (i = 0; i < arg->len; i++) {
			char c = arg->str[i];

			if (!imap_is_atom_char((unsigned char)c) && c != '%' &&
			    c != '*' && c != ']') {
				*error_r = "Invalid mailbox pattern";
				return NULL;
			}
		}
		/* Wildcards are plain ASCII in either encoding: decode as
		   if it were a quoted string. */
		copy.type = IMAP_ARG_QUOTED;
	}
	if (arg->len == 0) /* "" is the empty reference / pattern */
		return "";
	if (imap_args_mailbox(&copy, utf8, a, &name, error_r) < 0)
		return NULL;
	return name;
}

int
imap_args_list(const struct imap_cmd *cmd, bool utf8, struct imap_list *l,
	       const char **error_r)
{
	static const char *const names[] = {"SUBSCRIBED", "REMOTE",
					    "RECURSIVEMATCH", "SPECIAL-USE"};
	static const unsigned bits[] = {
	    IMAP_LIST_SEL_SUBSCRIBED, IMAP_LIST_SEL_REMOTE,
	    IMAP_LIST_SEL_RECURSIVEMATCH, IMAP_LIST_SEL_SPECIAL_USE};
	const struct imap_arg *arg = cmd->args, *o;
	bool lsub = cmd->name == IMAP_CMD_LSUB;
	unsigned b;
	size_t n;

	memset(l, 0, sizeof(*l));
	*error_r = "Invalid LIST selection options";
	if (!lsub && arg != NULL && arg->type == IMAP_ARG_LIST) {
		l->extended = true;
		for (o = arg->child; o != NULL; o = o->next) {
			if ((b = imap_args_option(o, names, bits, 4)) == 0)
				return -1;
			l->select |= b;
		}
		/* RFC 5258 3.1: RECURSIVEMATCH alone is an error. */
		if (l->select == IMAP_LIST_SEL_RECURSIVEMATCH ||
		    l->select == (IMAP_LIST_SEL_RECURSIVEMATCH |
				  IMAP_LIST_SEL_REMOTE))
			return -1;
		arg = arg->next;
	}
	if ((l->reference = imap_args_pattern(arg, utf8, cmd->arena,
					      error_r)) == NULL)
		return -1;
	arg = arg->next;
	*error_r = "Missing mailbox pattern";
	if (arg == NULL)
		return -1;
	if (!lsub && arg->type == IMAP_ARG_LIST) {
		l->extended = true;
		if (arg->count == 0)
			return -1;
		o = arg->child;
		n = arg->count;
	} else {
		o = arg;
		n = 1;
	}
	l->patterns = arena_alloc(cmd->arena, n * sizeof(*l->patterns));
	for (; l->npatterns < n; o = o->next)
		if ((l->patterns[l->npatterns++] = imap_args_pattern(
			 o, utf8, cmd->arena, error_r)) == NULL)
			return -1;
	arg = arg->next;
	if (arg == NULL)
		return 0;
	if (lsub || !imap_arg_atom_is(arg, "RETURN")) {
		*error_r = "Too many arguments";
		return -1;
	}
	l->extended = true;
	return imap_args_list_return(arg->next, l, error_r);
}

int
imap_args_date_time(const char *s, int64_t *t_r, int *tz_minutes_r)
{
	static const char *const months = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int mon, hh, mm, ss, tz, i;
	char d[12];
	int32_t days;

	/* "dd-Mon-yyyy hh:mm:ss +zzzz", date-day-fixed = (SP DIGIT) / 2DIGIT */
	if (strlen(s) != 26 || s[2] != '-' || s[6] != '-' || s[11] != ' ' ||
	    s[14] != ':' || s[17] != ':' || s[20] != ' ' ||
	    (s[21] != '+' && s[21] != '-'))
		return -1;
	for (i = 0; i < 26; i++) {
		bool digit = s[i] >= '0' && s[i] <= '9';
		bool want = (i <= 1 || (i >= 7 && i <= 10) || i == 12 ||
			     i == 13 || i == 15 || i == 16 || i == 18 ||
			     i == 19 || i >= 22);

		if (want && !digit && !(i == 0 && s[0] == ' '))
			return -1;
	}
	for (mon = 0; mon < 12; mon++)
		if (strncasecmp(s + 3, months + 3 * mon, 3) == 0)
			break;
	if (mon == 12)
		return -1;
	hh = (s[12] - '0') * 10 + s[13] - '0';
	mm = (s[15] - '0') * 10 + s[16] - '0';
	ss = (s[18] - '0') * 10 + s[19] - '0';
	tz = ((s[22] - '0') * 10 + s[23] - '0') * 60 + (s[24] - '0') * 10 +
	     s[25] - '0';
	if (hh > 23 || mm > 59 || ss > 60 || s[24] > '5')
		return -1;
	/* The day must exist in that month: check through the date
	   parser of SEARCH. */
	i = s[0] == ' ';
	memcpy(d, s + i, (size_t)(11 - i));
	d[11 - i] = '\0';
	if (imap_search_date(d, &days) < 0)
		return -1;
	if (s[21] == '-')
		tz = -tz;
	*t_r = (int64_t)days * 86400 + hh * 3600 + mm * 60 + ss -
	       (int64_t)tz * 60;
	*tz_minutes_r = tz;
	return 0;
}

int
imap_args_append(const struct imap_cmd *cmd, bool utf8, struct imap_append *ap,
		 const char **error_r)
{
	const struct imap_arg *arg;
	struct imap_append_msg *last = NULL;

	memset(ap, 0, sizeof(*ap));
	if (imap_args_mailbox(cmd->args, utf8, cmd->arena, &ap->mailbox,
			      error_r) < 0)
		return -1;
	arg = cmd->args->next;
	*error_r = "Missing message literal";
	if (arg == NULL)
		return -1;
	while (arg != NULL) {
		struct imap_append_msg *m = arena_alloc(cmd->arena, sizeof(*m));

		if (arg->type == IMAP_ARG_LIST) {
			if (imap_args_flags(arg, true, cmd->arena, &m->flags,
					    error_r) < 0)
				return -1;
			arg = arg->next;
		}
		if (arg != NULL && arg->type == IMAP_ARG_QUOTED) {
			if (imap_args_date_time(arg->str, &m->date,
						&m->tz_minutes) < 0) {
				*error_r = "Invalid date-time";
				return -1;
			}
			m->has_date = true;
			arg = arg->next;
		}
		if (arg == NULL || arg->type != IMAP_ARG_LITERAL) {
			*error_r = "Missing message literal";
			return -1;
		}
		m->data = arg->str;
		m->len = arg->len;
		m->binary = arg->binary;
		arg = arg->next;
		if (last == NULL)
			ap->msgs = m;
		else
			last->next = m;
		last = m;
		ap->nmsgs++;
	}
	return 0;
}

int
imap_args_enable(const struct imap_cmd *cmd, const char ***caps_r, size_t *n_r,
		 const char **error_r)
{
	const struct imap_arg *arg;
	size_t i;

	*n_r = 0;
	if (cmd->nargs == 0) {
		*error_r = "Missing capability";
		return -1;
	}
	*caps_r = arena_alloc(cmd->arena, cmd->nargs * sizeof(**caps_r));
	for (arg = cmd->args; arg != NULL; arg = arg->next) {
		if (arg->type != IMAP_ARG_ATOM) {
			*error_r = "Invalid capability";
			return -1;
		}
		for (i = 0; i < arg->len; i++)
			if (!imap_is_atom_char((unsigned char)arg->str[i])) {
				*error_r = "Invalid capability";
				return -1;
			}
		(*caps_r)[(*n_r)++] = arg->str;
	}
	return 0;
}

int
imap_args_id(const struct imap_cmd *cmd, const char ***fields_r,
	     const char ***values_r, size_t *n_r, const char **error_r)
{
	const struct imap_arg *arg = cmd->args, *x;
	size_t n = 0;

	*n_r = 0;
	*fields_r = *values_r = NULL;
	*error_r = "Invalid ID arguments";
	if (cmd->nargs != 1)
		return -1;
	if (arg->type == IMAP_ARG_NIL)
		return 0;
	/* RFC 2971 3.3: an even, non-empty list of at most 30 pairs. */
	if (arg->type != IMAP_ARG_LIST || arg->count == 0 || arg->count % 2 ||
	    arg->count / 2 > IMAP_ID_PAIRS_MAX)
		return -1;
	*fields_r = arena_alloc(cmd->arena, arg->count / 2 * sizeof(char *));
	*values_r = arena_alloc(cmd->arena, arg->count / 2 * sizeof(char *));
	for (x = arg->child; x != NULL; x = x->next->next, n++) {
		bool nil;
		const char *f = imap_arg_nstring(x, &nil);
		const char *v = imap_arg_nstring(x->next, &nil);

		if (f == NULL || x->type == IMAP_ARG_NIL ||
		    x->len > IMAP_ID_FIELD_MAX || v == NULL ||
		    x->next->len > IMAP_ID_VALUE_MAX)
			return -1;
		(*fields_r)[n] = f;
		(*values_r)[n] = nil ? NULL : v;
	}
	*n_r = n;
	return 0;
}

/* fuzz_imap_cmd.c: fuzz IMAP command handling as the session does it: every
   command that parses is checked against the state table and, when the
   state allows it, its typed argument parser runs, then the sequence sets
   are resolved; in each session state. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap/imap_args.h"
#include "imap/imap_cmd_table.h"
#include "imap/imap_fetch.h"
#include "imap/imap_parse.h"
#include "imap/imap_search.h"
#include "imap/imap_seqset.h"
#include "imap/imap_session.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One session state to replay the input in. */
struct fz_state {
	unsigned state; /* IMAP_ST_* */
	bool readonly;  /* SELECTED by EXAMINE */
	bool utf8;      /* ENABLE UTF8=ACCEPT */
	bool qresync;   /* ENABLE QRESYNC */
};

static const struct fz_state fz_states[] = {
    {IMAP_ST_NOAUTH, false, false, false},
    {IMAP_ST_AUTH, false, false, false},
    {IMAP_ST_AUTH, false, true, true},
    {IMAP_ST_SELECTED, false, false, false},
    {IMAP_ST_SELECTED, false, true, true},
    {IMAP_ST_SELECTED, true, false, false},
    {IMAP_ST_SELECTED, true, true, true},
};
#define FZ_NSTATES (sizeof(fz_states) / sizeof(fz_states[0]))

/* Highest message number / UID of the pretend mailbox ("*"). */
static const uint32_t fz_stars[] = {0, 1, 7, 4294967295u};

/* Commands per input that are compared across states. */
#define FZ_CMDS_MAX 64

static void
fz_check_error(int rc, const char *err)
{
	if (rc < 0 && (err == NULL || err[0] == '\0'))
		abort();
}

/* Well-formed UTF-8 (RFC 3629), as mailbox names must be inside buzon. */
static bool
fz_utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != 0) {
		unsigned n, i;
		uint32_t c;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1;
			c = *p & 0x1f;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			n = 2;
			c = *p & 0x0f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3;
			c = *p & 0x07;
		} else {
			return false;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i] & 0x3f);
		}
		if ((n == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
		    (n == 3 && (c < 0x10000 || c > 0x10ffff)))
			return false;
		p += n + 1;
	}
	return true;
}

/* A mailbox name a parser returned (modified UTF-7 decoded). */
static void
fz_check_mailbox(const char *name, const struct fz_state *st)
{
	if (name == NULL)
		abort();
	if (!st->utf8 && !fz_utf8_ok(name))
		abort();
}

/* Naive membership: v in some range of in with "*" = star. */
static bool
fz_naive_contains(const struct imap_seqset *in, uint32_t star, uint32_t v)
{
	size_t i;

	for (i = 0; i < in->n; i++) {
		uint32_t lo = in->r[i].lo ? in->r[i].lo : star;
		uint32_t hi = in->r[i].hi ? in->r[i].hi : star;

		if ((v >= lo && v <= hi) || (v >= hi && v <= lo))
			return true;
	}
	return false;
}

/* Resolve set as imap_view_resolve() does, for several mailbox sizes,
   and check the result against the ranges as sent. */
static void
fz_resolve(const struct imap_seqset *set, struct arena *a)
{
	size_t k, i;

	if (set->saved) {
		/* "$" is substituted by the session, never resolved */
		if (set->n != 0)
			abort();
		return;
	}
	for (k = 0; k < sizeof(fz_stars) / sizeof(fz_stars[0]); k++) {
		struct imap_seqset out;
		uint32_t star = fz_stars[k];

		imap_seqset_resolve(set, star, a, &out);
		if (out.saved || out.n > set->n)
			abort();
		for (i = 0; i < out.n; i++) {
			if (out.r[i].lo > out.r[i].hi)
				abort();
			/* sorted, and neither overlapping nor touching */
			if (i > 0 && (uint64_t)out.r[i - 1].hi + 1 >= out.r[i].lo)
				abort();
		}
		/* Probe the edges of every range sent. */
		for (i = 0; i < set->n && i < 16; i++) {
			uint32_t lo = set->r[i].lo ? set->r[i].lo : star;
			uint32_t hi = set->r[i].hi ? set->r[i].hi : star;
			uint32_t probe[6] = {lo, hi, lo - 1, lo + 1, hi - 1,
					     hi + 1};
			size_t j;

			for (j = 0; j < 6; j++)
				if (imap_seqset_contains(&out, probe[j]) !=
				    fz_naive_contains(set, star, probe[j]))
					abort();
		}
	}
}

/* SEARCH keys: the sets inside are resolved when the search starts
   (imap_match_prepare). */
static void
fz_search_keys(const struct imap_search_key *k, struct arena *a,
	       unsigned depth)
{
	if (depth > IMAP_SEARCH_DEPTH_MAX + 2)
		abort();
	for (; k != NULL; k = k->next) {
		switch (k->op) {
		case IMAP_SK_AND:
			fz_search_keys(k->child, a, depth + 1);
			break;
		case IMAP_SK_OR:
			if (k->child == NULL || k->child->next == NULL ||
			    k->child->next->next != NULL)
				abort();
			fz_search_keys(k->child, a, depth + 1);
			break;
		case IMAP_SK_NOT:
			if (k->child == NULL || k->child->next != NULL)
				abort();
			fz_search_keys(k->child, a, depth + 1);
			break;
		case IMAP_SK_SEQSET:
		case IMAP_SK_UID:
			fz_resolve(&k->set, a);
			break;
		case IMAP_SK_FLAG:
		case IMAP_SK_BODY:
		case IMAP_SK_TEXT:
			if (k->str == NULL)
				abort();
			break;
		case IMAP_SK_HEADER:
			if (k->str == NULL || k->field == NULL)
				abort();
			break;
		case IMAP_SK_SIZE:
		case IMAP_SK_DATE:
			if (k->cmp < -1 || k->cmp > 1)
				abort();
			break;
		default:
			break;
		}
	}
}

static void
fz_fetch_atts(const struct imap_fetch *f)
{
	const struct imap_fetch_att *t;
	size_t n = 0, i;

	for (t = f->atts; t != NULL; t = t->next) {
		n++;
		if (t->partial && t->length == 0)
			abort();
		for (i = 0; i < t->nparts; i++)
			if (t->part[i] == 0)
				abort();
		if (t->text == IMAP_SECTION_MIME && t->nparts == 0)
			abort();
	}
	if (n != f->natts || n == 0)
		abort();
}

/* What the handler of cmd does with its arguments in state st, up to
   the point where it would touch the store.  Returns the argument
   parser's result (0 / -1), or 1 when the state refuses the command. */
static int
fz_handle(const struct imap_cmd *cmd, const struct fz_state *st)
{
	struct arena *a = cmd->arena;
	const char *why, *err = NULL, *x = NULL, *y = NULL, **v, **w;
	struct imap_fetch f;
	struct imap_search se;
	struct imap_sort so;
	struct imap_thread th;
	struct imap_store sto;
	struct imap_list l;
	struct imap_append ap;
	struct imap_select sel;
	struct imap_seqset set;
	unsigned items;
	size_t n, i;
	int rc;

	why = imap_cmd_refused(cmd->name, st->state);
	if ((why == NULL) != ((imap_cmd_states(cmd->name) & st->state) != 0))
		abort();
	if (why != NULL)
		return 1;
	switch (cmd->name) {
	case IMAP_CMD_LOGIN:
		rc = imap_args_login(cmd, &x, &y, &err);
		if (rc == 0 && (x == NULL || y == NULL))
			abort();
		break;
	case IMAP_CMD_AUTHENTICATE:
		rc = imap_args_authenticate(cmd, &x, &y, &err);
		break;
	case IMAP_CMD_ENABLE:
		rc = imap_args_enable(cmd, &v, &n, &err);
		if (rc == 0 && n == 0)
			abort();
		break;
	case IMAP_CMD_ID:
		rc = imap_args_id(cmd, &v, &w, &n, &err);
		break;
	case IMAP_CMD_SELECT:
	case IMAP_CMD_EXAMINE:
		rc = imap_args_select(cmd, st->utf8, &sel, &err);
		if (rc < 0)
			break;
		fz_check_mailbox(sel.mailbox, st);
		if (sel.qresync && !st->qresync)
			break; /* BAD: QRESYNC not enabled */
		if (sel.has_known_uids)
			fz_resolve(&sel.known_uids, a);
		break;
	case IMAP_CMD_CREATE:
	case IMAP_CMD_DELETE:
	case IMAP_CMD_SUBSCRIBE:
	case IMAP_CMD_UNSUBSCRIBE:
	case IMAP_CMD_GETQUOTAROOT:
		rc = imap_args_one_mailbox(cmd, st->utf8, &x, &err);
		if (rc == 0)
			fz_check_mailbox(x, st);
		break;
	case IMAP_CMD_GETQUOTA:
		/* imap_cmd_getquota: one astring */
		rc = cmd->nargs == 1 && imap_arg_astring(cmd->args, NULL)
			 ? 0
			 : -1;
		err = "Syntax: GETQUOTA quota-root";
		break;
	case IMAP_CMD_RENAME:
		rc = imap_args_rename(cmd, st->utf8, &x, &y, &err);
		if (rc == 0) {
			fz_check_mailbox(x, st);
			fz_check_mailbox(y, st);
		}
		break;
	case IMAP_CMD_LIST:
	case IMAP_CMD_LSUB:
		rc = imap_args_list(cmd, st->utf8, &l, &err);
		if (rc == 0) {
			if (l.reference == NULL || l.npatterns == 0)
				abort();
			for (i = 0; i < l.npatterns; i++)
				fz_check_mailbox(l.patterns[i], st);
		}
		break;
	case IMAP_CMD_STATUS:
		rc = imap_args_status(cmd, st->utf8, &x, &items, &err);
		if (rc == 0)
			fz_check_mailbox(x, st);
		break;
	case IMAP_CMD_APPEND:
		rc = imap_args_append(cmd, st->utf8, &ap, &err);
		if (rc == 0) {
			const struct imap_append_msg *m;

			fz_check_mailbox(ap.mailbox, st);
			for (n = 0, m = ap.msgs; m != NULL; m = m->next)
				n++;
			if (n != ap.nmsgs || n == 0)
				abort();
		}
		break;
	case IMAP_CMD_EXPUNGE:
		rc = imap_args_expunge(cmd, &set, &err);
		if (rc == 0 && !st->readonly && cmd->uid)
			fz_resolve(&set, a);
		break;
	case IMAP_CMD_STORE:
		rc = imap_args_store(cmd, &sto, &err);
		if (rc == 0 && (sto.mode < -1 || sto.mode > 1))
			abort();
		if (rc == 0 && !st->readonly)
			fz_resolve(&sto.set, a);
		break;
	case IMAP_CMD_COPY:
	case IMAP_CMD_MOVE:
		rc = imap_args_copy(cmd, st->utf8, &set, &x, &err);
		if (rc < 0)
			break;
		fz_check_mailbox(x, st);
		if (cmd->name == IMAP_CMD_MOVE && st->readonly)
			break; /* NO [READ-ONLY] */
		fz_resolve(&set, a);
		break;
	case IMAP_CMD_FETCH:
		rc = imap_fetch_parse(cmd, &f, &err);
		if (rc < 0)
			break;
		fz_fetch_atts(&f);
		if (f.vanished && (!st->qresync || !cmd->uid ||
				   !f.changedsince_given)) {
			if (!st->qresync)
				break; /* BAD: QRESYNC not enabled */
			abort(); /* the parser lets VANISHED through alone */
		}
		fz_resolve(&f.set, a);
		break;
	case IMAP_CMD_SEARCH:
		rc = imap_search_parse(cmd, &se, &err);
		if (rc == 0) {
			if (se.root == NULL || se.root->op != IMAP_SK_AND)
				abort();
			fz_search_keys(se.root, a, 0);
		}
		break;
	case IMAP_CMD_SORT:
		rc = imap_search_parse_sort(cmd, &so, &err);
		if (rc == 0) {
			if (so.ncrit == 0 || so.charset == NULL)
				abort();
			fz_search_keys(so.root, a, 0);
		}
		break;
	case IMAP_CMD_THREAD:
		rc = imap_search_parse_thread(cmd, &th, &err);
		if (rc == 0) {
			if (th.algorithm == NULL || th.charset == NULL)
				abort();
			fz_search_keys(th.root, a, 0);
		}
		break;
	default:
		/* CAPABILITY NOOP LOGOUT STARTTLS NAMESPACE IDLE CHECK CLOSE
		   UNSELECT */
		rc = imap_args_none(cmd, &err);
		break;
	}
	fz_check_error(rc, err);
	return rc;
}

/* Replay the input in state st; rcs[i] is what the i-th command gave. */
static size_t
fz_run(const uint8_t *data, size_t size, const struct fz_state *st,
       int *rcs)
{
	struct imap_parser p;
	struct imap_cmd *cmd;
	struct buf in;
	size_t ncmd = 0;
	int rc;

	imap_parser_init(&p, NULL); /* the session's limits */
	buf_init(&in, 0);
	buf_append(&in, data, size);
	while ((rc = imap_parse_command(&p, &in, &cmd)) != IMAP_PARSE_MORE) {
		if (rc == IMAP_PARSE_ERROR) {
			if (p.error_status == NULL || p.error_text == NULL)
				abort();
			continue;
		}
		if (rc != IMAP_PARSE_CMD)
			continue; /* "+" for a synchronizing literal */
		if (imap_cmd_states(cmd->name) == 0)
			abort(); /* known names only */
		rc = fz_handle(cmd, st);
		if (ncmd < FZ_CMDS_MAX)
			rcs[ncmd] = rc;
		ncmd++;
		imap_cmd_free(&cmd);
	}
	buf_deinit(&in);
	imap_parser_deinit(&p);
	return ncmd;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int rcs[FZ_NSTATES][FZ_CMDS_MAX];
	size_t ncmd[FZ_NSTATES], s, t, i;

	for (s = 0; s < FZ_NSTATES; s++)
		ncmd[s] = fz_run(data, size, &fz_states[s], rcs[s]);
	/* The parser does not depend on the state, nor do the argument
	   parsers on anything but UTF8=ACCEPT. */
	for (s = 1; s < FZ_NSTATES; s++) {
		if (ncmd[s] != ncmd[0])
			abort();
		for (t = 0; t < s; t++) {
			if (fz_states[s].utf8 != fz_states[t].utf8)
				continue;
			for (i = 0; i < ncmd[s] && i < FZ_CMDS_MAX; i++)
				if (rcs[s][i] != 1 && rcs[t][i] != 1 &&
				    rcs[s][i] != rcs[t][i])
					abort();
		}
	}
	return 0;
}

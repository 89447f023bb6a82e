/* imap_view.c: a session's view of its selected mailbox: message numbers
   and UIDs it has announced, flag state, and the untagged updates owed
   to the client (EXISTS, RECENT, FETCH, EXPUNGE/VANISHED). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "imap/imap_args.h"
#include "imap/imap_session.h"
#include "log.h"
#include "pool.h"
#include "store/store.h"
#include "xalloc.h"

/* What was read from the store but not yet announced (v->pending). */
struct imap_view_pending {
	struct store_msg_changes ch; /* from the last sync job */
	bool have_ch;
	bool gone; /* the mailbox was deleted (or renamed away) */
	/* UIDs the view still shows that are expunged in the store, kept
	   until a point where EXPUNGE may be sent (RFC 9051 7.5.1). */
	uint32_t *exp;
	size_t n_exp;
	/* New messages claimed as \Recent by the sync job: UIDs >= this. */
	uint32_t recent_claim;
	bool have_claim;
	bool new_kw; /* keywords learned that FLAGS has not announced */
	/* Waiting for the running sync job. */
	void (*cont)(struct imap_session *s);
};

struct imap_view_sync_job {
	struct imap_session *s;
	struct store *store;
	int64_t mailbox_id;
	uint64_t since;
	bool claim_recent;
	int rc;
	struct store_msg_changes ch;
	uint32_t recent_first;
	bool have_claim;
	char error[256];
};

static struct imap_view_pending *
imap_view_pend(struct imap_view *v)
{
	if (v->pending == NULL)
		v->pending = xzalloc(sizeof(struct imap_view_pending));
	return v->pending;
}

/* Add the keywords of a space-separated list to v->keywords; returns
   true if one was new. */
static bool
imap_view_learn_keywords(struct imap_view *v, const char *list)
{
	bool added = false;
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *e = strchr(p, ' ');
		size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
		size_t i;

		for (i = 0; i < v->n_keywords; i++)
			if (strlen(v->keywords[i]) == len &&
			    strncasecmp(v->keywords[i], p, len) == 0)
				break;
		if (i == v->n_keywords && len > 0) {
			v->keywords = xrealloc(v->keywords,
					       (v->n_keywords + 1) *
						   sizeof(*v->keywords));
			v->keywords[v->n_keywords] = xmalloc(len + 1);
			memcpy(v->keywords[v->n_keywords], p, len);
			v->keywords[v->n_keywords][len] = '\0';
			v->n_keywords++;
			added = true;
		}
		p = e != NULL ? e + 1 : NULL;
	}
	return added;
}

struct imap_view *
imap_view_new(const char *name, int64_t mailbox_id, bool readonly,
	      struct store_msg_list *l, uint32_t recent_first)
{
	struct imap_view *v = xzalloc(sizeof(*v));
	size_t i;

	v->mailbox_id = mailbox_id;
	v->name = xstrdup(name);
	v->readonly = readonly;
	v->uidvalidity = l->uidvalidity;
	v->uidnext = l->uidnext;
	v->highestmodseq = l->highestmodseq;
	v->recent_first = recent_first;
	v->cap = l->n > 0 ? l->n : 16;
	v->msgs = xcalloc(v->cap, sizeof(*v->msgs));
	v->n = l->n;
	for (i = 0; i < l->n; i++) {
		struct imap_view_msg *m = &v->msgs[i];

		m->uid = l->m[i].uid;
		m->flags = l->m[i].flags;
		m->modseq = l->m[i].modseq;
		m->keywords = l->m[i].keywords; /* moved */
		l->m[i].keywords = NULL;
		m->recent = m->uid >= recent_first;
		if (m->keywords != NULL)
			imap_view_learn_keywords(v, m->keywords);
	}
	store_msg_list_free(l);
	return v;
}

/* First index whose UID is >= uid. */
static size_t
imap_view_lower(const struct imap_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->msgs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

ptrdiff_t
imap_view_find_uid(const struct imap_view *v, uint32_t uid)
{
	size_t i = imap_view_lower(v, uid);

	return i < v->n && v->msgs[i].uid == uid ? (ptrdiff_t)i : -1;
}

static int
imap_view_resolve_saved(struct imap_session *s, size_t **idx_r, size_t *n_r)
{
	const struct imap_view *v = s->view;
	size_t i, n = 0;
	size_t *idx = xcalloc(s->n_saved ? s->n_saved : 1, sizeof(*idx));
	uint32_t last = 0;

	/* RFC 5182 2.1: "$" is the saved result; messages expunged since
	   are left out. */
	for (i = 0; s->saved_valid && i < s->n_saved; i++) {
		ptrdiff_t k = imap_view_find_uid(v, s->saved_uids[i]);

		if (k < 0 || (n > 0 && s->saved_uids[i] <= last))
			continue;
		last = s->saved_uids[i];
		idx[n++] = (size_t)k;
	}
	*idx_r = idx;
	*n_r = n;
	return 0;
}

int
imap_view_resolve(struct imap_session *s, const struct imap_seqset *set,
		  bool uid, size_t **idx_r, size_t *n_r, const char **error_r)
{
	const struct imap_view *v = s->view;
	struct arena *a;
	struct imap_seqset r;
	size_t i, n = 0, cap = 0;
	size_t *idx = NULL;
	uint32_t star;

	*idx_r = NULL;
	*n_r = 0;
	if (set->saved)
		return imap_view_resolve_saved(s, idx_r, n_r);
	if (uid)
		star = v->n > 0 ? v->msgs[v->n - 1].uid : 0;
	else
		star = (uint32_t)v->n;
	a = arena_new("imap_view_resolve", 1024);
	imap_seqset_resolve(set, star, a, &r);
	for (i = 0; i < r.n; i++) {
		size_t from, to;

		if (uid) {
			from = imap_view_lower(v, r.r[i].lo);
			to = r.r[i].hi == UINT32_MAX
				 ? v->n
				 : imap_view_lower(v, r.r[i].hi + 1);
		} else {
			/* RFC 9051 6.4.5 / 9 (seq-number): a number beyond
			   the mailbox, or "*" when it is empty, is invalid. */
			if (r.r[i].lo == 0 || r.r[i].hi > v->n) {
				arena_free(&a);
				free(idx);
				*error_r = "Invalid messageset";
				return -1;
			}
			from = r.r[i].lo - 1;
			to = r.r[i].hi;
		}
		if (to <= from)
			continue;
		if (n + (to - from) > cap) {
			cap = n + (to - from);
			idx = xrealloc(idx, cap * sizeof(*idx));
		}
		for (; from < to; from++)
			idx[n++] = from;
	}
	arena_free(&a);
	if (idx == NULL)
		idx = xcalloc(1, sizeof(*idx));
	*idx_r = idx;
	*n_r = n;
	return 0;
}

void
imap_view_set_flags(struct imap_view *v, size_t idx, uint32_t flags,
		    const char *keywords, uint64_t modseq)
{
	struct imap_view_msg *m = &v->msgs[idx];

	m->flags = flags;
	free(m->keywords);
	m->keywords = keywords != NULL && *keywords != '\0'
			  ? xstrdup(keywords)
			  : NULL;
	if (modseq > m->modseq)
		m->modseq = modseq;
	if (m->keywords != NULL && imap_view_learn_keywords(v, m->keywords))
		imap_view_pend(v)->new_kw = true; /* FLAGS at the next sync */
}

static const struct {
	uint32_t bit;
	const char *name;
} imap_view_sysflags[] = {
	{STORE_FLAG_SEEN, "\\Seen"},	   {STORE_FLAG_ANSWERED, "\\Answered"},
	{STORE_FLAG_FLAGGED, "\\Flagged"}, {STORE_FLAG_DELETED, "\\Deleted"},
	{STORE_FLAG_DRAFT, "\\Draft"},
};

void
imap_view_write_flags(struct imap_session *s, size_t idx)
{
	const struct imap_view_msg *m = &s->view->msgs[idx];
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_append_str(&b, "(");
	for (i = 0; i < sizeof(imap_view_sysflags) /
			    sizeof(imap_view_sysflags[0]);
	     i++)
		if (m->flags & imap_view_sysflags[i].bit)
			buf_printf(&b, "%s%s", buf_len(&b) > 1 ? " " : "",
				   imap_view_sysflags[i].name);
	/* RFC 9051 2.3.2: \Recent is deprecated; Appendix A: a server
	   offering both revisions sends it to IMAP4rev1 clients only. */
	if (m->recent && !(s->enabled & IMAP_EN_IMAP4REV2))
		buf_printf(&b, "%s\\Recent", buf_len(&b) > 1 ? " " : "");
	if (m->keywords != NULL)
		buf_printf(&b, "%s%s", buf_len(&b) > 1 ? " " : "", m->keywords);
	buf_append_str(&b, ")");
	imap_write(s, buf_rptr(&b), buf_len(&b));
	buf_deinit(&b);
}

void
imap_view_fetch_flags(struct imap_session *s, size_t idx, bool with_uid,
		      bool with_flags)
{
	const struct imap_view_msg *m = &s->view->msgs[idx];
	char head[96];
	bool sp = false;

	snprintf(head, sizeof(head), "* %zu FETCH (", idx + 1);
	imap_write(s, head, strlen(head));
	if (with_uid) {
		snprintf(head, sizeof(head), "UID %u", m->uid);
		imap_write(s, head, strlen(head));
		sp = true;
	}
	if (with_flags) {
		imap_write(s, sp ? " FLAGS " : "FLAGS ", sp ? 7 : 6);
		imap_view_write_flags(s, idx);
		sp = true;
	}
	/* RFC 7162 3.2: once CONDSTORE is on, every FETCH reporting a flag
	   change carries MODSEQ. */
	if (s->enabled & (IMAP_EN_CONDSTORE | IMAP_EN_QRESYNC)) {
		snprintf(head, sizeof(head), "%sMODSEQ (%llu)", sp ? " " : "",
			 (unsigned long long)m->modseq);
		imap_write(s, head, strlen(head));
	}
	imap_write(s, ")\r\n", 3);
}

void
imap_view_write_flag_names(struct imap_session *s, bool permanent)
{
	const struct imap_view *v = s->view;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_append_str(&b, "(\\Answered \\Flagged \\Deleted \\Seen \\Draft");
	for (i = 0; i < v->n_keywords; i++)
		buf_printf(&b, " %s", v->keywords[i]);
	/* RFC 9051 7.1 PERMANENTFLAGS: "\*" = new keywords may be made. */
	buf_append_str(&b, permanent ? " \\*)" : ")");
	imap_write(s, buf_rptr(&b), buf_len(&b));
	buf_deinit(&b);
}

char *
imap_view_uidset(const uint32_t *v, size_t n)
{
	struct buf b;
	size_t i = 0;
	char *r;

	buf_init(&b, 0);
	while (i < n) {
		size_t j = i;

		while (j + 1 < n && v[j + 1] == v[j] + 1)
			j++;
		if (buf_len(&b) > 0)
			buf_append_str(&b, ",");
		if (j > i)
			buf_printf(&b, "%u:%u", v[i], v[j]);
		else
			buf_printf(&b, "%u", v[i]);
		i = j + 1;
	}
	r = xmalloc(buf_len(&b) + 1);
	memcpy(r, buf_rptr(&b), buf_len(&b));
	r[buf_len(&b)] = '\0';
	buf_deinit(&b);
	return r;
}

/* The UIDs of mailbox_id flagged \Deleted in the store now (set by
   anyone), among the n_only ascending UIDs `only` unless it is NULL.
   Returns the count with *uids_r (malloc'd), 0 also when the mailbox is
   gone, or -1. */
static ptrdiff_t
imap_view_deleted(struct store *st, int64_t mailbox_id, const uint32_t *only,
		  size_t n_only, uint32_t **uids_r, const char **error_r)
{
	struct store_msg_list l;
	uint32_t *uids;
	size_t i, n = 0;
	int rc;

	*uids_r = NULL;
	memset(&l, 0, sizeof(l));
	rc = store_msg_snapshot(st, mailbox_id, &l, error_r);
	if (rc <= 0)
		return rc;
	uids = xcalloc(l.n + 1, sizeof(*uids));
	for (i = 0; i < l.n; i++) {
		if (!(l.m[i].flags & STORE_FLAG_DELETED))
			continue;
		if (only != NULL) {
			/* both ascending: walk along */
			while (n_only > 0 && *only < l.m[i].uid) {
				only++;
				n_only--;
			}
			if (n_only == 0 || *only != l.m[i].uid)
				continue;
		}
		uids[n++] = l.m[i].uid;
	}
	store_msg_list_free(&l);
	*uids_r = uids;
	return (ptrdiff_t)n;
}

/* STORE_FLAG_* of a system flag name as imap_args_flags() gives it, or
   0 for a keyword. */
static uint32_t
imap_store_sysflag(const char *f)
{
	static const struct {
		const char *name;
		uint32_t bit;
	} t[] = {
	    {"\\Seen", STORE_FLAG_SEEN},       {"\\Answered", STORE_FLAG_ANSWERED},
	    {"\\Flagged", STORE_FLAG_FLAGGED}, {"\\Deleted", STORE_FLAG_DELETED},
	    {"\\Draft", STORE_FLAG_DRAFT},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(f, t[i].name) == 0)
			return t[i].bit;
	return 0;
}

uint32_t
imap_view_flag_bits(const struct imap_flags *f, const char **kw,
		    size_t *n_kw_r)
{
	uint32_t bits = 0;
	size_t i, j, n = 0;

	for (i = 0; i < f->n; i++) {
		uint32_t b = imap_store_sysflag(f->flag[i]);

		if (b != 0 || f->flag[i][0] == '\\') {
			bits |= b;
			continue;
		}
		for (j = 0; j < n; j++)
			if (strcasecmp(kw[j], f->flag[i]) == 0)
				break;
		if (j == n)
			kw[n++] = f->flag[i];
	}
	*n_kw_r = n;
	return bits;
}

struct imap_view_expunge_job {
	struct imap_session *s;
	struct store *store;
	struct pool *pool;
	int64_t mailbox_id;
	uint32_t *only;
	size_t n_only;
	bool use_only;
	uint32_t *uids; /* \Deleted ones found by the work */
	void (*done)(struct imap_session *s, bool ok);
	int rc;
	char error[256];
};

/* On the loop thread, with the result in j->rc / j->error. */
static void
imap_view_expunge_done(void *arg)
{
	struct imap_view_expunge_job *j = arg;
	struct imap_session *s = j->s;

	if (imap_session_job_done(s)) {
		if (j->rc < 0)
			log_error("%016llx imap expunge user=%s: %s",
				  (unsigned long long)s->id, s->user, j->error);
		else
			s->view->dirty = true; /* the sync reports them */
		j->done(s, j->rc == 0);
	}
	free(j->uids);
	free(j->only);
	free(j);
}

/* The expunge is durable (store_expunge_submit): on the loop thread. */
static void
imap_view_expunged(void *arg, int rc, const char *error)
{
	struct imap_view_expunge_job *j = arg;

	j->rc = rc < 0 ? -1 : 0;
	if (rc < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
	imap_view_expunge_done(j);
}

static void
imap_view_expunge_work(void *arg)
{
	struct imap_view_expunge_job *j = arg;
	const char *error = "";
	ptrdiff_t n;

	/* What is \Deleted now, also when set by another session since
	   our last sync (RFC 9051 6.4.3: "all messages ... that have the
	   \Deleted flag set"). */
	n = imap_view_deleted(j->store, j->mailbox_id,
			      j->use_only ? j->only : NULL, j->n_only, &j->uids,
			      &error);
	if (n > 0) {
		/* The worker is free again while the expunge waits for
		   the store's next group commit. */
		store_expunge_submit(j->store, j->mailbox_id, j->uids,
				     (size_t)n, imap_view_expunged, j);
		return;
	}
	j->rc = n < 0 ? -1 : 0;
	if (n < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
	pool_post(j->pool, imap_view_expunge_done, j);
}

void
imap_view_expunge(struct imap_session *s, const size_t *idx, size_t n,
		  bool use_idx, void (*done)(struct imap_session *s, bool ok))
{
	struct imap_view_expunge_job *j = xzalloc(sizeof(*j));
	size_t i;

	j->s = s;
	j->store = s->srv->store;
	j->pool = s->srv->pool;
	j->mailbox_id = s->view->mailbox_id;
	j->done = done;
	j->use_only = use_idx;
	j->only = xcalloc(n + 1, sizeof(*j->only));
	for (i = 0; use_idx && i < n; i++)
		j->only[i] = s->view->msgs[idx[i]].uid;
	j->n_only = use_idx ? n : 0;
	imap_session_busy(s);
	s->pending = true;
	/* Done is posted by the work (or by the store once the expunge
	   is durable), not by the pool. */
	pool_submit(s->srv->pool, imap_view_expunge_work, NULL, j);
}

/* ---- sync ---- */

static void
imap_view_sync_work(void *arg)
{
	struct imap_view_sync_job *j = arg;
	const char *error = "";

	j->rc = store_msg_changes(j->store, j->mailbox_id, j->since, &j->ch,
				  &error);
	/* \Recent of mail that arrived since the last claim (RFC 3501
	   2.3.2): claimed after the read, so a message the read missed is
	   at worst recent for nobody, never for two sessions. */
	if (j->rc == 1 && j->claim_recent && j->ch.l.n > 0 &&
	    store_mbox_recent(j->store, j->mailbox_id, &j->recent_first,
			      &error) == 1)
		j->have_claim = true;
	if (j->rc < 0)
		snprintf(j->error, sizeof(j->error), "%s", error);
}

static void
imap_view_sync_done(void *arg)
{
	struct imap_view_sync_job *j = arg;
	struct imap_session *s = j->s;
	struct imap_view *v;
	struct imap_view_pending *p;
	void (*cont)(struct imap_session *);

	if (!imap_session_job_done(s) || s->view == NULL) {
		store_msg_changes_free(&j->ch);
		free(j);
		return;
	}
	v = s->view;
	p = imap_view_pend(v);
	v->syncing = false;
	if (j->rc < 0) {
		log_error("%016llx imap sync user=%s: %s",
			  (unsigned long long)s->id, s->user, j->error);
		store_msg_changes_free(&j->ch);
	} else if (j->rc == 0 || j->ch.l.uidvalidity != v->uidvalidity) {
		p->gone = true;
		store_msg_changes_free(&j->ch);
	} else {
		if (p->have_ch)
			store_msg_changes_free(&p->ch);
		p->ch = j->ch;
		p->have_ch = true;
		if (j->have_claim) {
			p->recent_claim = j->recent_first;
			p->have_claim = true;
		}
		if (j->ch.l.highestmodseq > v->highestmodseq)
			v->highestmodseq = j->ch.l.highestmodseq;
	}
	free(j);
	cont = p->cont;
	p->cont = NULL;
	if (cont != NULL)
		cont(s);
}

static void
imap_view_sync_start(struct imap_session *s)
{
	struct imap_view *v = s->view;
	struct imap_view_sync_job *j = xzalloc(sizeof(*j));

	j->s = s;
	j->store = s->srv->store;
	j->mailbox_id = v->mailbox_id;
	j->since = v->highestmodseq;
	/* EXAMINE leaves \Recent alone (RFC 3501 6.3.2). */
	j->claim_recent = !v->readonly;
	v->dirty = false;
	v->syncing = true;
	s->pending = true;
	/* a short read that holds up the session's tagged reply: ahead of
	   long jobs (pool_submit_first) */
	pool_submit_first(s->srv->pool, imap_view_sync_work,
			  imap_view_sync_done, j);
}

static int
imap_view_cmp_uid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Keep the UIDs of c->expunged that the view shows in p->exp (sorted,
   unique). */
static void
imap_view_merge_expunged(struct imap_view *v, struct imap_view_pending *p,
			 const struct store_msg_changes *c)
{
	size_t i, n = 0;

	if (c->n_expunged == 0)
		return;
	p->exp = xrealloc(p->exp, (p->n_exp + c->n_expunged) * sizeof(*p->exp));
	for (i = 0; i < c->n_expunged; i++)
		if (imap_view_find_uid(v, c->expunged[i]) >= 0)
			p->exp[p->n_exp + n++] = c->expunged[i];
	p->n_exp += n;
	qsort(p->exp, p->n_exp, sizeof(*p->exp), imap_view_cmp_uid);
	for (i = n = 0; i < p->n_exp; i++)
		if (n == 0 || p->exp[n - 1] != p->exp[i])
			p->exp[n++] = p->exp[i];
	p->n_exp = n;
}

static bool
imap_view_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL || *a == '\0') && (b == NULL || *b == '\0');
	return strcmp(a, b) == 0;
}

/* Apply the changes read (flags, new messages) and queue FETCH for
   changed flags; returns whether new keywords appeared. */
static bool
imap_view_apply_changes(struct imap_session *s, struct imap_view_pending *p)
{
	struct imap_view *v = s->view;
	struct store_msg_list *l = &p->ch.l;
	bool new_kw = false;
	bool qresync = (s->enabled & IMAP_EN_QRESYNC) != 0;
	bool condstore = (s->enabled & IMAP_EN_CONDSTORE) != 0 || qresync;
	/* RFC 7162 3.2.4 (QRESYNC) and RFC 9051 7.5.2 (every unsolicited
	   FETCH of IMAP4rev2) carry the UID. */
	bool with_uid = qresync || (s->enabled & IMAP_EN_IMAP4REV2) != 0;
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct store_msg *cm = &l->m[i];
		uint32_t last = v->n > 0 ? v->msgs[v->n - 1].uid : 0;
		ptrdiff_t k;

		if (cm->uid > last) {
			struct imap_view_msg *m;

			if (v->n == v->cap) {
				v->cap = v->cap ? v->cap * 2 : 16;
				v->msgs =
				    xrealloc(v->msgs, v->cap * sizeof(*v->msgs));
			}
			m = &v->msgs[v->n++];
			memset(m, 0, sizeof(*m));
			m->uid = cm->uid;
			m->flags = cm->flags;
			m->modseq = cm->modseq;
			m->keywords = cm->keywords;
			cm->keywords = NULL;
			m->recent = p->have_claim && cm->uid >= p->recent_claim;
			if (m->keywords != NULL)
				new_kw |= imap_view_learn_keywords(v, m->keywords);
			continue;
		}
		k = imap_view_find_uid(v, cm->uid);
		if (k < 0 || cm->modseq <= v->msgs[k].modseq)
			continue; /* gone, or our own change already known */
		{
			struct imap_view_msg *m = &v->msgs[k];
			bool changed = m->flags != cm->flags ||
				       !imap_view_str_eq(m->keywords,
							 cm->keywords);

			m->flags = cm->flags;
			m->modseq = cm->modseq;
			if (changed) {
				free(m->keywords);
				m->keywords = cm->keywords;
				cm->keywords = NULL;
				if (m->keywords != NULL)
					new_kw |= imap_view_learn_keywords(
					    v, m->keywords);
			}
			/* A new MODSEQ alone is news for a CONDSTORE client
			   (RFC 7162 3.1.4.1). */
			if (changed || condstore)
				imap_view_fetch_flags(s, (size_t)k, with_uid,
						      true);
		}
	}
	if (l->uidnext > v->uidnext)
		v->uidnext = l->uidnext;
	return new_kw;
}

/* Send EXPUNGE (or VANISHED) for p->exp and drop them from the view in
   one pass. */
static void
imap_view_apply_expunges(struct imap_session *s, struct imap_view_pending *p)
{
	struct imap_view *v = s->view;
	size_t *gone, n_gone = 0, i, j, w;

	if (p->n_exp == 0)
		return;
	gone = xcalloc(p->n_exp, sizeof(*gone));
	for (i = j = 0; i < v->n && j < p->n_exp;) {
		if (v->msgs[i].uid < p->exp[j])
			i++;
		else if (v->msgs[i].uid > p->exp[j])
			j++;
		else {
			gone[n_gone++] = i;
			i++;
			j++;
		}
	}
	if (s->enabled & IMAP_EN_QRESYNC) {
		/* RFC 7162 3.2.10: VANISHED instead of EXPUNGE. */
		uint32_t *uids = xcalloc(n_gone ? n_gone : 1, sizeof(*uids));
		char *set;

		for (i = 0; i < n_gone; i++)
			uids[i] = v->msgs[gone[i]].uid;
		set = imap_view_uidset(uids, n_gone);
		if (n_gone > 0)
			imap_untagged(s, "VANISHED %s", set);
		free(set);
		free(uids);
	} else {
		/* Highest first: each number is still valid when the
		   client reads it (RFC 9051 7.5.1 renumbering). */
		for (i = n_gone; i-- > 0;)
			imap_untagged(s, "%zu EXPUNGE", gone[i] + 1);
	}
	for (i = j = w = 0; i < v->n; i++) {
		if (j < n_gone && gone[j] == i) {
			free(v->msgs[i].keywords);
			j++;
			continue;
		}
		v->msgs[w++] = v->msgs[i];
	}
	v->n = w;
	free(gone);
	free(p->exp);
	p->exp = NULL;
	p->n_exp = 0;
}

static size_t
imap_view_count_recent(const struct imap_view *v)
{
	size_t i, n = 0;

	for (i = 0; i < v->n; i++)
		n += v->msgs[i].recent;
	return n;
}

int
imap_view_sync(struct imap_session *s, bool allow_expunge,
	       void (*cont)(struct imap_session *s))
{
	struct imap_view *v = s->view;
	struct imap_view_pending *p;
	size_t n_before;
	bool new_kw = false;

	if (v == NULL)
		return 0;
	p = imap_view_pend(v);
	if (v->syncing || v->dirty) {
		if (!v->syncing)
			imap_view_sync_start(s);
		p->cont = cont;
		return 1;
	}
	if (p->gone) {
		/* The selected mailbox was deleted: RFC 9051 7.1.5 lets the
		   server end the connection; as Dovecot, say why and close
		   (a session cannot stay in a mailbox that is gone). */
		imap_untagged(s, "BYE Selected mailbox was deleted");
		imap_view_free(s);
		s->state = IMAP_ST_AUTH;
		imap_session_close(s);
		return 0;
	}
	n_before = v->n;
	new_kw = p->new_kw;
	p->new_kw = false;
	if (p->have_ch) {
		new_kw |= imap_view_apply_changes(s, p);
		imap_view_merge_expunged(v, p, &p->ch);
		store_msg_changes_free(&p->ch);
		p->have_ch = false;
		p->have_claim = false;
	}
	if (new_kw) {
		imap_write(s, "* FLAGS ", 8);
		imap_view_write_flag_names(s, false);
		imap_write(s, "\r\n", 2);
	}
	if (allow_expunge && p->n_exp > 0) {
		size_t n_new = v->n - n_before;

		imap_view_apply_expunges(s, p);
		/* the client knows n_before - expunged; tell it the rest */
		if (n_new > 0)
			n_before = v->n - n_new;
		else
			n_before = v->n;
	}
	if (v->n != n_before) {
		imap_untagged(s, "%zu EXISTS", v->n);
		/* RFC 9051 dropped RECENT. */
		if (!(s->enabled & IMAP_EN_IMAP4REV2))
			imap_untagged(s, "%zu RECENT",
				      imap_view_count_recent(v));
	}
	return 0;
}

void
imap_view_free(struct imap_session *s)
{
	struct imap_view *v = s->view;
	struct imap_view_pending *p;
	size_t i;

	if (v == NULL)
		return;
	p = v->pending;
	if (p != NULL) {
		if (p->have_ch)
			store_msg_changes_free(&p->ch);
		free(p->exp);
		free(p);
	}
	for (i = 0; i < v->n; i++)
		free(v->msgs[i].keywords);
	free(v->msgs);
	for (i = 0; i < v->n_keywords; i++)
		free(v->keywords[i]);
	free(v->keywords);
	free(v->name);
	free(v);
	s->view = NULL;
}

/* imap_thread.c: RFC 5256 THREAD ORDEREDSUBJECT and REFERENCES. */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_thread.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "imap/imap_sort.h"
#include "limits.h"
#include "xalloc.h"

int
imap_thread_next_id(const char *v, size_t *pos, struct buf *out)
{
	size_t i = *pos, n = strlen(v);
	int depth = 0;

	for (; i < n; i++) {
		size_t j;
		bool quoted = false;

		if (v[i] == '(' || (depth > 0 && v[i] == ')')) {
			depth += v[i] == '(' ? 1 : -1;
			continue;
		}
		if (depth > 0 && v[i] == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (depth > 0 || v[i] != '<')
			continue;
		buf_reset(out);
		for (j = i + 1; j < n; j++) {
			char ch = v[j];

			if (ch == '"') {
				quoted = !quoted;
				continue;
			}
			if (quoted && ch == '\\' && j + 1 < n) {
				buf_append(out, &v[++j], 1);
				continue;
			}
			if (!quoted && ch == '>')
				break;
			if (!quoted && ch == '<')
				break; /* "<a <b>": start again at the second */
			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
				continue;
			buf_append(out, &ch, 1);
		}
		if (j >= n)
			break;
		if (v[j] == '<' || buf_len(out) == 0) {
			i = j - 1 + (v[j] != '<');
			continue;
		}
		*pos = j + 1;
		return 1;
	}
	*pos = n;
	return 0;
}

/* ---- the thread tree ---- */

struct imap_tc {
	int parent, child, next; /* container indexes, -1 none */
	int msg;                 /* index into m, -1 for a dummy */
};

struct imap_thread_tree {
	const struct imap_thread_msg *m;
	struct imap_tc *c;
	size_t n, cap;
	/* Message-ID -> container (open addressing, -1 empty). */
	int *slot;
	const char **slot_id;
	size_t nslots, used;
	struct arena *a;
	char **base;  /* base subject of each message (upper-cased ASCII) */
	bool *reply;  /* it is a reply or forward */
};

static int
imap_tc_new(struct imap_thread_tree *t, int msg)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->c = xrealloc(t->c, t->cap * sizeof(*t->c));
	}
	t->c[t->n].parent = t->c[t->n].child = t->c[t->n].next = -1;
	t->c[t->n].msg = msg;
	return (int)t->n++;
}

static size_t
imap_thread_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot of id: its container, or an empty slot. */
static size_t
imap_thread_slot(const struct imap_thread_tree *t, const char *id)
{
	size_t i = imap_thread_hash(id) & (t->nslots - 1);

	while (t->slot[i] >= 0 && strcmp(t->slot_id[i], id) != 0)
		i = (i + 1) & (t->nslots - 1);
	return i;
}

static void
imap_thread_grow(struct imap_thread_tree *t)
{
	int *old = t->slot;
	const char **old_id = t->slot_id;
	size_t oldn = t->nslots, i;

	t->nslots = oldn ? oldn * 2 : 256;
	t->slot = xmalloc(t->nslots * sizeof(*t->slot));
	t->slot_id = xcalloc(t->nslots, sizeof(*t->slot_id));
	memset(t->slot, 0xff, t->nslots * sizeof(*t->slot));
	for (i = 0; i < oldn; i++)
		if (old[i] >= 0) {
			size_t s = imap_thread_slot(t, old_id[i]);

			t->slot[s] = old[i];
			t->slot_id[s] = old_id[i];
		}
	free(old);
	free(old_id);
}

/* The container of id, created as a dummy when new. */
static int
imap_thread_lookup(struct imap_thread_tree *t, const char *id, bool *created_r)
{
	size_t s;

	if ((t->used + 1) * 2 > t->nslots)
		imap_thread_grow(t);
	s = imap_thread_slot(t, id);
	*created_r = t->slot[s] < 0;
	if (*created_r) {
		t->slot[s] = imap_tc_new(t, -1);
		t->slot_id[s] = arena_strdup(t->a, id);
		t->used++;
	}
	return t->slot[s];
}

/* Is a the same as b or a descendant of b? */
static bool
imap_tc_under(const struct imap_thread_tree *t, int a, int b)
{
	for (; a >= 0; a = t->c[a].parent)
		if (a == b)
			return true;
	return false;
}

static void
imap_tc_unlink(struct imap_thread_tree *t, int x)
{
	int p = t->c[x].parent, *pp;

	if (p < 0)
		return;
	for (pp = &t->c[p].child; *pp != x; pp = &t->c[*pp].next)
		;
	*pp = t->c[x].next;
	t->c[x].parent = t->c[x].next = -1;
}

/* Append x to p's children. */
static void
imap_tc_add(struct imap_thread_tree *t, int p, int x)
{
	int *pp;

	for (pp = &t->c[p].child; *pp >= 0; pp = &t->c[*pp].next)
		;
	*pp = x;
	t->c[x].parent = p;
	t->c[x].next = -1;
}

/* Sort key of a container: its message, or a dummy's first child. */
static int
imap_tc_key(const struct imap_thread_tree *t, int x)
{
	while (x >= 0 && t->c[x].msg < 0)
		x = t->c[x].child;
	return x >= 0 ? t->c[x].msg : -1;
}

static int
imap_tc_cmp(const void *pa, const void *pb, void *arg)
{
	const struct imap_thread_tree *t = arg;
	int a = imap_tc_key(t, *(const int *)pa), b = imap_tc_key(t, *(const int *)pb);

	if (a < 0 || b < 0)
		return (a >= 0) - (b >= 0);
	if (t->m[a].date != t->m[b].date)
		return t->m[a].date < t->m[b].date ? -1 : 1;
	/* RFC 5256 2.2: equal dates keep sequence order */
	return t->m[a].seq < t->m[b].seq ? -1 : t->m[a].seq > t->m[b].seq;
}

/* Sort the list starting at *head by sent date; tmp has room for it. */
static void
imap_tc_sort_list(struct imap_thread_tree *t, int *head, int *tmp)
{
	size_t k = 0, i;
	int x;

	for (x = *head; x >= 0; x = t->c[x].next)
		tmp[k++] = x;
	if (k < 2)
		return;
	qsort_r(tmp, k, sizeof(*tmp), imap_tc_cmp, t);
	*head = tmp[0];
	for (i = 0; i + 1 < k; i++)
		t->c[tmp[i]].next = tmp[i + 1];
	t->c[tmp[k - 1]].next = -1;
}

/* Sort every set of siblings below the root (RFC 5256 step 6; a sibling
   list never holds a dummy below the top level), then the root list
   (dummies by their first child, already sorted). */
static void
imap_tc_sort_all(struct imap_thread_tree *t, int *root, int *tmp)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->c[i].child >= 0)
			imap_tc_sort_list(t, &t->c[i].child, tmp);
	imap_tc_sort_list(t, root, tmp);
}

/* Append the thread rooted at x: "(" x ... ")", with an explicit stack
   (threads may be deep). */
static void
imap_tc_write(const struct imap_thread_tree *t, int x, int *stack,
	      struct buf *out)
{
	size_t sp = 0;
	bool resumed;

	buf_append(out, "(", 1);
	for (;;) {
		for (;;) {
			const struct imap_tc *c = &t->c[x];

			if (c->msg >= 0)
				buf_printf(out, "%u", t->m[c->msg].id);
			if (c->child < 0)
				break;
			if (c->msg >= 0)
				buf_append(out, " ", 1);
			if (c->msg >= 0 && t->c[c->child].next < 0) {
				x = c->child;
				continue;
			}
			buf_append(out, "(", 1);
			stack[sp++] = t->c[c->child].next;
			x = c->child;
		}
		resumed = false;
		while (sp > 0 && !resumed) {
			int s;

			buf_append(out, ")", 1);
			s = stack[--sp];
			if (s >= 0) {
				buf_append(out, "(", 1);
				stack[sp++] = t->c[s].next;
				x = s;
				resumed = true;
			}
		}
		if (!resumed)
			break;
	}
	buf_append(out, ")", 1);
}

static void
imap_thread_init(struct imap_thread_tree *t, const struct imap_thread_msg *m,
		 size_t n)
{
	struct buf b;
	size_t i;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->a = arena_new("imap_thread", 64 * 1024);
	t->base = arena_alloc(t->a, (n + 1) * sizeof(*t->base));
	t->reply = arena_alloc(t->a, (n + 1) * sizeof(*t->reply));
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		size_t k;

		buf_reset(&b);
		if (m[i].subject != NULL)
			t->reply[i] = imap_sort_base_subject(
			    m[i].subject, strlen(m[i].subject), &b);
		t->base[i] = arena_strndup(t->a, (const char *)buf_rptr(&b),
					   buf_len(&b));
		/* i;ascii-casemap comparisons (RFC 5256 7) */
		for (k = 0; t->base[i][k] != '\0'; k++)
			if (t->base[i][k] >= 'a' && t->base[i][k] <= 'z')
				t->base[i][k] = (char)(t->base[i][k] - 32);
	}
	buf_deinit(&b);
}

static void
imap_thread_deinit(struct imap_thread_tree *t)
{
	free(t->c);
	free(t->slot);
	free(t->slot_id);
	arena_free(&t->a);
}

/* Write the root list (linked through next) and free t. */
static void
imap_thread_output(struct imap_thread_tree *t, int root, struct buf *out)
{
	int *stack = xcalloc(t->n + 1, sizeof(*stack)), x;

	for (x = root; x >= 0; x = t->c[x].next)
		imap_tc_write(t, x, stack, out);
	free(stack);
	imap_thread_deinit(t);
}

static int
imap_thread_subject_cmp(const void *pa, const void *pb, void *arg)
{
	const struct imap_thread_tree *t = arg;
	int a = *(const int *)pa, b = *(const int *)pb;
	int r = strcmp(t->base[a], t->base[b]);

	if (r != 0)
		return r;
	if (t->m[a].date != t->m[b].date)
		return t->m[a].date < t->m[b].date ? -1 : 1;
	return t->m[a].seq < t->m[b].seq ? -1 : t->m[a].seq > t->m[b].seq;
}

void
imap_thread_orderedsubject(const struct imap_thread_msg *m, size_t n,
			   struct buf *out)
{
	struct imap_thread_tree t;
	int *order, *tmp, root = -1, *tail = &root;
	size_t i;

	if (n == 0)
		return;
	imap_thread_init(&t, m, n);
	order = xcalloc(n, sizeof(*order));
	tmp = xcalloc(n, sizeof(*tmp));
	for (i = 0; i < n; i++)
		order[i] = (int)i;
	/* Sorted by base subject then sent date; each run of one subject
	   is a thread: the first message is the parent of the others. */
	qsort_r(order, n, sizeof(*order), imap_thread_subject_cmp, &t);
	for (i = 0; i < n; i++) {
		int x = imap_tc_new(&t, order[i]);

		if (i > 0 && strcmp(t.base[order[i]], t.base[order[i - 1]]) == 0) {
			int p = (int)x - 1;

			while (t.c[p].parent >= 0)
				p = t.c[p].parent;
			imap_tc_add(&t, p, x);
			continue;
		}
		*tail = x;
		tail = &t.c[x].next;
	}
	/* Threads in the order of their first message's sent date. */
	imap_tc_sort_list(&t, &root, tmp);
	free(order);
	free(tmp);
	imap_thread_output(&t, root, out);
}

/* RFC 5256 REFERENCES step 1 for message i. */
static void
imap_thread_link(struct imap_thread_tree *t, size_t i, struct buf *id)
{
	const struct imap_thread_msg *msg = &t->m[i];
	int self = -1, prev = -1, refs[IMAP_THREAD_REFS_MAX];
	size_t pos = 0, nrefs = 0, k;
	bool created;

	if (msg->message_id != NULL &&
	    imap_thread_next_id(msg->message_id, &pos, id) > 0) {
		buf_append(id, "", 1);
		self = imap_thread_lookup(t, (const char *)buf_rptr(id), &created);
		/* A duplicate Message-ID: only the first message has it. */
		if (t->c[self].msg >= 0)
			self = -1;
		else
			t->c[self].msg = (int)i;
	}
	if (self < 0)
		self = imap_tc_new(t, (int)i);
	/* The References ids (the last IMAP_THREAD_REFS_MAX), or else the
	   first id of In-Reply-To. */
	pos = 0;
	while (msg->references != NULL &&
	       imap_thread_next_id(msg->references, &pos, id) > 0) {
		buf_append(id, "", 1);
		if (nrefs == IMAP_THREAD_REFS_MAX) {
			memmove(refs, refs + 1, (nrefs - 1) * sizeof(*refs));
			nrefs--;
		}
		refs[nrefs++] = imap_thread_lookup(t, (const char *)buf_rptr(id),
						   &created);
	}
	pos = 0;
	if (nrefs == 0 && msg->in_reply_to != NULL &&
	    imap_thread_next_id(msg->in_reply_to, &pos, id) > 0) {
		buf_append(id, "", 1);
		refs[nrefs++] = imap_thread_lookup(t, (const char *)buf_rptr(id),
						   &created);
	}
	/* (A) link the references as parent/child: an existing parent is
	   kept, no loops. */
	for (k = 0; k < nrefs; k++) {
		int x = refs[k];

		if (prev >= 0 && x != prev && t->c[x].parent < 0 &&
		    !imap_tc_under(t, prev, x))
			imap_tc_add(t, prev, x);
		prev = x;
	}
	/* (B) the last reference is the parent (the old link breaks). */
	imap_tc_unlink(t, self);
	if (prev >= 0 && !imap_tc_under(t, prev, self))
		imap_tc_add(t, prev, self);
}

/* Step 3: prune dummies.  Below the top level a dummy is replaced by
   its (pruned) children; at the top level one without children goes,
   one with a single child is replaced by it. */
static int
imap_thread_prune(struct imap_thread_tree *t, int root)
{
	int *stack = xcalloc(t->n + 1, sizeof(*stack)), newroot = -1,
	    *tail = &newroot, x, next;
	size_t sp = 0;
	bool *done = xcalloc(t->n + 1, sizeof(*done));

	/* Post-order over the whole forest with an explicit stack. */
	for (x = root; x >= 0; x = t->c[x].next)
		stack[sp++] = x;
	while (sp > 0) {
		int y = stack[sp - 1], c, nl = -1, *nt = &nl;

		if (!done[y]) {
			done[y] = true;
			for (c = t->c[y].child; c >= 0; c = t->c[c].next)
				stack[sp++] = c;
			continue;
		}
		sp--;
		for (c = t->c[y].child; c >= 0; c = next) {
			next = t->c[c].next;
			if (t->c[c].msg < 0) {
				int g, gn;

				for (g = t->c[c].child; g >= 0; g = gn) {
					gn = t->c[g].next;
					t->c[g].parent = y;
					t->c[g].next = -1;
					*nt = g;
					nt = &t->c[g].next;
				}
				t->c[c].child = -1;
				continue;
			}
			*nt = c;
			nt = &t->c[c].next;
		}
		*nt = -1;
		t->c[y].child = nl;
	}
	for (x = root; x >= 0; x = next) {
		next = t->c[x].next;
		t->c[x].next = -1;
		if (t->c[x].msg < 0) {
			int c = t->c[x].child;

			if (c < 0)
				continue;
			if (t->c[c].next < 0) {
				t->c[c].parent = -1;
				x = c;
			}
		}
		*tail = x;
		tail = &t->c[x].next;
	}
	free(stack);
	free(done);
	return newroot;
}

/* Base subject of a top-level container (a dummy: its first child's). */
static const char *
imap_thread_subject(const struct imap_thread_tree *t, int x)
{
	int k = t->c[x].msg >= 0 ? t->c[x].msg
				 : t->c[x].child >= 0 ? t->c[t->c[x].child].msg
						      : -1;

	return k >= 0 ? t->base[k] : "";
}

static bool
imap_thread_is_reply(const struct imap_thread_tree *t, int x)
{
	return t->c[x].msg >= 0 && t->reply[t->c[x].msg];
}

/* Step 5: merge top-level threads of one base subject.  roots[0..n)
   (entries set to -1 when merged away). */
static void
imap_thread_merge(struct imap_thread_tree *t, int *roots, size_t n)
{
	struct imap_thread_tree h; /* the subject table (slots only) */
	size_t i;
	bool created;

	memset(&h, 0, sizeof(h));
	h.a = t->a;
	/* (B) one message per subject; the table maps to indexes of roots. */
	for (i = 0; i < n; i++) {
		const char *subj = imap_thread_subject(t, roots[i]);
		int e, cur;

		if (*subj == '\0')
			continue;
		e = imap_thread_lookup(&h, subj, &created);
		if (created) {
			h.c[e].msg = (int)i;
			continue;
		}
		cur = roots[h.c[e].msg];
		if (t->c[cur].msg >= 0 &&
		    (t->c[roots[i]].msg < 0 ||
		     (imap_thread_is_reply(t, cur) &&
		      !imap_thread_is_reply(t, roots[i]))))
			h.c[e].msg = (int)i;
	}
	/* (C) merge */
	for (i = 0; i < n; i++) {
		const char *subj;
		int e, cur = roots[i], tab, c, cn;
		size_t ti;

		if (cur < 0 || *(subj = imap_thread_subject(t, cur)) == '\0')
			continue;
		e = imap_thread_lookup(&h, subj, &created);
		ti = (size_t)h.c[e].msg;
		tab = roots[ti];
		if (ti == i)
			continue;
		if (t->c[cur].msg < 0 && t->c[tab].msg < 0) {
			for (c = t->c[cur].child; c >= 0; c = cn) {
				cn = t->c[c].next;
				imap_tc_add(t, tab, c);
			}
			t->c[cur].child = -1;
		} else if (t->c[tab].msg < 0 ||
			   (imap_thread_is_reply(t, cur) &&
			    !imap_thread_is_reply(t, tab))) {
			imap_tc_add(t, tab, cur);
		} else {
			int d = imap_tc_new(t, -1);

			imap_tc_add(t, d, tab);
			imap_tc_add(t, d, cur);
			roots[ti] = d;
		}
		roots[i] = -1;
	}
	free(h.c);
	free(h.slot);
	free(h.slot_id);
}

void
imap_thread_references(const struct imap_thread_msg *m, size_t n,
		       struct buf *out)
{
	struct imap_thread_tree t;
	struct buf id;
	int root = -1, *tail = &root, *tmp, *roots, x;
	size_t i, nroots = 0;

	if (n == 0)
		return;
	imap_thread_init(&t, m, n);
	buf_init(&id, 0);
	for (i = 0; i < n; i++)
		imap_thread_link(&t, i, &id);
	buf_deinit(&id);
	/* (2) the root set; (3) prune */
	for (i = 0; i < t.n; i++)
		if (t.c[i].parent < 0) {
			*tail = (int)i;
			tail = &t.c[i].next;
		}
	*tail = -1;
	root = imap_thread_prune(&t, root);
	/* (4) sort; (5) merge by subject; (6) sort again */
	tmp = xcalloc(t.n + n + 1, sizeof(*tmp));
	imap_tc_sort_all(&t, &root, tmp);
	for (x = root; x >= 0; x = t.c[x].next)
		nroots++;
	roots = xcalloc(nroots + 1, sizeof(*roots));
	for (i = 0, x = root; x >= 0; x = t.c[x].next)
		roots[i++] = x;
	for (i = 0; i < nroots; i++)
		t.c[roots[i]].next = -1;
	imap_thread_merge(&t, roots, nroots);
	root = -1;
	tail = &root;
	for (i = 0; i < nroots; i++)
		if (roots[i] >= 0) {
			*tail = roots[i];
			tail = &t.c[roots[i]].next;
		}
	free(tmp);
	tmp = xcalloc(t.n + 1, sizeof(*tmp));
	imap_tc_sort_all(&t, &root, tmp);
	free(tmp);
	free(roots);
	imap_thread_output(&t, root, out);
}

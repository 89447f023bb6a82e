/* imap_cmd_list.c: LIST and LSUB (RFC 9051 6.3.9, RFC 3501 6.3.9) with
   LIST-EXTENDED (RFC 5258), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154)
   and LIST-STATUS (RFC 5819). */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "imap/imap_args.h"
#include "log.h"
#include "store/store.h"
#include "xalloc.h"

/* One name to report. */
struct imap_list_entry {
	char *name; /* owned */
	const struct store_mbox *mbox; /* NULL: does not exist */
	bool subscribed;
	bool has_children;
	bool child_subscribed; /* RFC 5258 CHILDINFO */
	bool have_status;
	struct store_mbox_status st;
};

struct imap_list_job {
	struct store *store;
	int64_t account_id;
	bool lsub;
	struct imap_list l; /* points into the command's arena */
	char **patterns;    /* reference + pattern, owned */
	/* results */
	int rc;
	struct store_mbox *mboxes;
	size_t n_mboxes;
	char **subs;
	size_t n_subs;
	struct imap_list_entry *out;
	size_t n_out;
	char error[256];
};

/* Does name match pattern ("*" any run, "%" any run without '/')?
   Dynamic programming over two rows: no backtracking blow-up. */
static bool
imap_list_match(const char *pat, const char *name)
{
	size_t n = strlen(name), j;
	bool *row = xcalloc(n + 1, sizeof(*row));
	bool *next = xcalloc(n + 1, sizeof(*next));
	bool any, r;
	bool *tmp;

	row[0] = true;
	for (; *pat != '\0'; pat++) {
		any = false;
		for (j = 0; j <= n; j++) {
			if (*pat == '*' || *pat == '%') {
				if (*pat == '%' && j > 0 &&
				    name[j - 1] == STORE_MBOX_SEP)
					any = false;
				any = any || row[j];
				next[j] = any;
			} else {
				next[j] = j > 0 && row[j - 1] &&
					  name[j - 1] == *pat;
			}
		}
		tmp = row;
		row = next;
		next = tmp;
	}
	r = row[n];
	free(row);
	free(next);
	return r;
}

static int
imap_list_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Is some name of list (n strings at stride bytes) under parent? */
static bool
imap_list_has_child(const char *parent, const char *const *names, size_t n)
{
	size_t len = strlen(parent), i;

	for (i = 0; i < n; i++)
		if (strncmp(names[i], parent, len) == 0 &&
		    names[i][len] == STORE_MBOX_SEP)
			return true;
	return false;
}

static bool
imap_list_matches(const struct imap_list_job *j, const char *name)
{
	size_t i;

	for (i = 0; i < j->l.npatterns; i++)
		if (imap_list_match(j->patterns[i], name))
			return true;
	return false;
}

static void
imap_list_add(char ***names, size_t *n, size_t *cap, const char *name,
	      size_t len)
{
	if (*n == *cap) {
		*cap = *cap * 2 + 16;
		*names = xrealloc(*names, *cap * sizeof(**names));
	}
	(*names)[(*n)++] = xstrndup(name, len);
}

static void
imap_list_work(void *arg)
{
	struct imap_list_job *j = arg;
	const char *error = "";
	char **names = NULL, **mnames;
	const char *p;
	size_t n = 0, cap = 0, i, k;
	bool sel_sub = j->lsub || (j->l.select & IMAP_LIST_SEL_SUBSCRIBED);
	bool recursive = j->l.select & IMAP_LIST_SEL_RECURSIVEMATCH;

	if (store_mbox_list(j->store, j->account_id, &j->mboxes, &j->n_mboxes,
			    &error) < 0 ||
	    store_mbox_subscriptions(j->store, j->account_id, &j->subs,
				     &j->n_subs, &error) < 0) {
		j->rc = -1;
		snprintf(j->error, sizeof(j->error), "%s", error);
		return;
	}
	qsort(j->subs, j->n_subs, sizeof(*j->subs), imap_list_cmp);
	/* Candidates: every mailbox, every subscribed name, and with
	   RECURSIVEMATCH every superior of one (RFC 5258 3.5). */
	mnames = xcalloc(j->n_mboxes + 1, sizeof(*mnames));
	for (i = 0; i < j->n_mboxes; i++) {
		mnames[i] = j->mboxes[i].name;
		imap_list_add(&names, &n, &cap, mnames[i], strlen(mnames[i]));
	}
	for (i = 0; i < j->n_subs && sel_sub; i++) {
		imap_list_add(&names, &n, &cap, j->subs[i], strlen(j->subs[i]));
		for (p = j->subs[i]; recursive && *p != '\0'; p++)
			if (*p == STORE_MBOX_SEP)
				imap_list_add(&names, &n, &cap, j->subs[i],
					      (size_t)(p - j->subs[i]));
	}
	qsort(names, n, sizeof(*names), imap_list_cmp);
	for (i = k = 0; i < n; i++) {
		if (k > 0 && strcmp(names[k - 1], names[i]) == 0)
			free(names[i]);
		else
			names[k++] = names[i];
	}
	n = k;
	j->out = xcalloc(n + 1, sizeof(*j->out));
	for (i = 0; i < n; i++) {
		struct imap_list_entry *e = &j->out[j->n_out];
		char *name = names[i];

		if (!imap_list_matches(j, name))
			continue;
		memset(e, 0, sizeof(*e));
		e->name = name;
		for (k = 0; k < j->n_mboxes; k++)
			if (strcmp(j->mboxes[k].name, name) == 0)
				e->mbox = &j->mboxes[k];
		e->subscribed = bsearch(&name, j->subs, j->n_subs,
					sizeof(*j->subs), imap_list_cmp) != NULL;
		e->has_children = imap_list_has_child(
		    name, (const char *const *)mnames, j->n_mboxes);
		e->child_subscribed = imap_list_has_child(
		    name, (const char *const *)j->subs, j->n_subs);
		if (sel_sub ? !e->subscribed &&
				  !(recursive && e->child_subscribed)
		    : (j->l.select & IMAP_LIST_SEL_SPECIAL_USE)
			? e->mbox == NULL || e->mbox->special_use == NULL
			: e->mbox == NULL)
			continue;
		if ((j->l.ret & IMAP_LIST_RET_STATUS) && e->mbox != NULL &&
		    store_mbox_status(j->store, e->mbox->id, &e->st, &error) ==
			1)
			e->have_status = true;
		names[i] = NULL; /* owned by e now */
		j->n_out++;
	}
	for (i = 0; i < n; i++)
		free(names[i]); /* the ones not reported */
	free(names);
	free(mnames);
	j->rc = 0;
}

static void
imap_list_free(struct imap_list_job *j)
{
	size_t i;

	for (i = 0; i < j->n_out; i++)
		free(j->out[i].name);
	free(j->out);
	for (i = 0; i < j->l.npatterns; i++)
		free(j->patterns[i]);
	free(j->patterns);
	store_mbox_list_free(j->mboxes, j->n_mboxes);
	for (i = 0; i < j->n_subs; i++)
		free(j->subs[i]);
	free(j->subs);
	free(j);
}

static void
imap_list_write(struct imap_session *s, const struct imap_list_job *j,
		const struct imap_list_entry *e)
{
	bool ext = j->l.extended;
	struct buf b;

	buf_init(&b, 0);
	if (e->mbox == NULL) {
		/* RFC 5258 3.4: \NonExistent implies \Noselect */
		buf_append_str(&b, ext ? " \\NonExistent" : " \\Noselect");
	} else if (!j->lsub) {
		/* RFC 3348 / RFC 5258 4 */
		buf_append_str(&b, e->has_children ? " \\HasChildren"
						   : " \\HasNoChildren");
		/* RFC 6154 2 */
		if (e->mbox->special_use != NULL)
			buf_printf(&b, " %s", e->mbox->special_use);
	}
	if (!j->lsub && e->subscribed &&
	    ((j->l.ret & IMAP_LIST_RET_SUBSCRIBED) ||
	     (j->l.select & IMAP_LIST_SEL_SUBSCRIBED)))
		buf_append_str(&b, " \\Subscribed");
	imap_write(s, j->lsub ? "* LSUB (" : "* LIST (", 8);
	if (buf_len(&b) > 0)
		imap_write(s, buf_rptr(&b) + 1, buf_len(&b) - 1);
	imap_write(s, ") \"/\" ", 6);
	imap_write_mailbox(s, e->name);
	/* RFC 5258 3.5: a parent reported for its subscribed children */
	if ((j->l.select & IMAP_LIST_SEL_RECURSIVEMATCH) &&
	    e->child_subscribed && !e->subscribed)
		imap_write(s, " (\"CHILDINFO\" (\"SUBSCRIBED\"))", 29);
	imap_write(s, "\r\n", 2);
	buf_deinit(&b);
	/* RFC 5819 1: STATUS right after its LIST */
	if (e->have_status)
		imap_cmd_status_write(s, e->name, j->l.status_items, &e->st);
}

static void
imap_list_done(struct imap_session *s, void *arg)
{
	struct imap_list_job *j = arg;
	size_t i;

	if (s == NULL) {
	} else if (j->rc < 0) {
		log_error("%016llx imap LIST user=%s: %s",
			  (unsigned long long)s->id, s->user, j->error);
		imap_cmd_done(s, "NO", "SERVERBUG", "LIST failed, try again");
	} else {
		for (i = 0; i < j->n_out; i++)
			imap_list_write(s, j, &j->out[i]);
		imap_cmd_done(s, "OK", NULL, "%s completed",
			      j->lsub ? "LSUB" : "LIST");
	}
	imap_list_free(j);
}

/* reference + pattern (RFC 9051 6.3.9: the reference is a prefix of the
   name, joined as is in a namespace without a prefix), with "INBOX" in
   any case spelled so (RFC 9051 5.1). */
static char *
imap_list_join(const char *ref, const char *pat)
{
	char *r = xasprintf("%s%s", pat[0] == STORE_MBOX_SEP ? "" : ref, pat);

	if (strncasecmp(r, "INBOX", 5) == 0 &&
	    (r[5] == '\0' || r[5] == STORE_MBOX_SEP))
		memcpy(r, "INBOX", 5);
	return r;
}

static void
imap_list_start(struct imap_session *s, struct imap_cmd *cmd, bool lsub)
{
	struct imap_list_job *j = xzalloc(sizeof(*j));
	const char *error;
	size_t i;

	if (imap_args_list(cmd, imap_session_utf8(s), &j->l, &error) <
	    0) {
		free(j);
		imap_cmd_bad(s, "CLIENTBUG", error);
		return;
	}
	/* RFC 9051 6.3.9: an empty pattern asks for the separator and the
	   root of the reference. */
	if (j->l.npatterns == 1 && j->l.patterns[0][0] == '\0') {
		free(j);
		imap_untagged(s, "%s (\\Noselect) \"/\" \"\"",
			      lsub ? "LSUB" : "LIST");
		imap_cmd_done(s, "OK", NULL, "%s completed",
			      lsub ? "LSUB" : "LIST");
		return;
	}
	j->store = s->srv->store;
	j->account_id = s->account_id;
	j->lsub = lsub;
	j->patterns = xcalloc(j->l.npatterns + 1, sizeof(*j->patterns));
	for (i = 0; i < j->l.npatterns; i++)
		j->patterns[i] = imap_list_join(j->l.reference, j->l.patterns[i]);
	imap_session_job(s, imap_list_work, imap_list_done, j);
}

void
imap_cmd_list(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_list_start(s, cmd, false);
}

void
imap_cmd_lsub(struct imap_session *s, struct imap_cmd *cmd)
{
	imap_list_start(s, cmd, true);
}

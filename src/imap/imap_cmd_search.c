/* imap_cmd_search.c: SEARCH, SORT and THREAD with their UID forms (RFC 9051 6.4.4, RFC 4731 ESEARCH, RFC 5182 SEARCHRES, RFC 5256, RFC 7162 3.1.5). */
/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "arena.h"
#include "imap/imap_match.h"
#include "imap/imap_search.h"
#include "imap/imap_session.h"
#include "imap/imap_sort.h"
#include "imap/imap_thread.h"
#include "imap/imap_view.h"
#include "limits.h"
#include "log.h"
#include "mime/mime_header.h"
#include "pool.h"
#include "store/store.h"
#include "xalloc.h"

enum imap_search_kind { IMAP_KIND_SEARCH, IMAP_KIND_SORT, IMAP_KIND_THREAD };

struct imap_search_job {
	struct imap_session *s;
	struct store *store;
	int64_t mailbox_id;
	enum imap_search_kind kind;
	bool uid;
	struct imap_search_key *root;
	unsigned needs;
	const struct imap_sort_crit *crit;
	size_t ncrit;
	bool ordered; /* THREAD ORDEREDSUBJECT (else REFERENCES) */
	struct imap_match_msg *mm; /* one per view message, seq = index + 1 */
	size_t n;
	/* results */
	size_t *hits; /* view indexes, ascending */
	size_t n_hits;
	uint64_t max_modseq;
	struct imap_sort_msg *sm;     /* SORT: per hit */
	struct imap_thread_msg *tm;   /* THREAD: per hit */
	struct arena *a;              /* their strings */
	const struct imap_search *search; /* SEARCH: in the cmd's arena */
	struct buf out;               /* SORT / THREAD response data */
	int rc;
	char error[256];
};

/* Open a message file for reading: relative to dirfd when path starts
   with dir (shorter path walks), without updating its access time when
   the file is ours (O_NOATIME fails with EPERM otherwise). */
static int
imap_search_open(const char *path, int dirfd, const char *dir, size_t dlen)
{
	int fd;

	if (dirfd >= 0 && strncmp(path, dir, dlen) == 0 && path[dlen] == '/') {
		fd = openat(dirfd, path + dlen + 1,
			    O_RDONLY | O_CLOEXEC | O_NOATIME);
		if (fd < 0 && errno == EPERM)
			fd = openat(dirfd, path + dlen + 1, O_RDONLY | O_CLOEXEC);
		return fd;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd;
}

/* Where message files are read from: the directory of the first one
   seen, kept open for openat() (see imap_search_open). */
struct imap_search_dir {
	int fd;
	char *path;
	size_t len;
};

static void
imap_search_dir_init(struct imap_search_dir *dir, const char *blob_path)
{
	const char *slash = blob_path != NULL ? strrchr(blob_path, '/') : NULL;

	dir->fd = -1;
	dir->path = NULL;
	dir->len = 0;
	/* the blob directory: two levels above the file ("ab/cdef...") */
	if (slash != NULL && slash > blob_path) {
		const char *up = slash - 1;

		while (up > blob_path && *up != '/')
			up--;
		if (up > blob_path) {
			dir->len = (size_t)(up - blob_path);
			dir->path = xstrndup(blob_path, dir->len);
			dir->fd = open(dir->path,
				       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
	}
}

static void
imap_search_dir_deinit(struct imap_search_dir *dir)
{
	if (dir->fd >= 0)
		close(dir->fd);
	free(dir->path);
}

/* Read the message file (size octets when it is as stored; or only its
   header) into b. */
static int
imap_search_read(const char *path, const struct imap_search_dir *dir,
		 uint64_t size, bool header_only, struct buf *b)
{
	int fd = imap_search_open(path, dir != NULL ? dir->fd : -1,
				  dir != NULL ? dir->path : NULL,
				  dir != NULL ? dir->len : 0);
	/* one read for the whole file when its size is known (one more
	   octet to see the end) */
	size_t want = size > 0 && size <= IMAP_LITERAL_MAX && !header_only
			      ? (size_t)size + 1
			      : 64 * 1024;

	buf_reset(b);
	if (fd < 0)
		return -1;
	for (;;) {
		uint8_t *p = buf_reserve(b, want);
		ssize_t r;

		if (p == NULL)
			break;
		r = read(fd, p, want);
		if (r < 0) {
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		buf_commit(b, (size_t)r);
		/* The header ends at the first blank line (or the
		   MIME_HEADER_BYTES_MAX cap). */
		if (header_only &&
		    (imap_match_header_len((const char *)buf_rptr(b), buf_len(b)) <
			 buf_len(b) ||
		     buf_len(b) >= MIME_HEADER_BYTES_MAX))
			break;
		/* a regular file reads short only at its end */
		if ((size_t)r < want)
			break;
		want = 64 * 1024;
	}
	close(fd);
	return 0;
}

/* The unfolded value of the first field called name in h[0..n), in a. */
static char *
imap_search_field(struct arena *a, const char *h, size_t n, const char *name)
{
	const char *fn, *v;
	size_t pos = 0, fl, vl, len = strlen(name);

	while (imap_match_next_field(h, n, &pos, &fn, &fl, &v, &vl))
		if (fl == len && strncasecmp(fn, name, len) == 0) {
			char *r = arena_alloc(a, vl + 1);

			mime_header_unfold(v, vl, r);
			return r;
		}
	return NULL;
}

static char *
imap_search_dup(struct arena *a, const char *s)
{
	return s != NULL ? arena_strdup(a, s) : NULL;
}

/* Evaluate message i now that its stored data d is known, reading the
   file when a key needs it.  Returns whether it matches. */
static bool
imap_search_eval(struct imap_search_job *j, struct imap_match_ctx *c,
		 size_t i, const struct store_msg_data *d,
		 const struct imap_search_dir *dir, struct buf *file,
		 bool *file_header_r, bool *file_text_r)
{
	struct imap_match_msg *m = &j->mm[i];
	int r;

	m->have_data = true;
	m->internaldate = d->internaldate;
	m->size = d->size;
	m->subject = d->hdr_subject;
	m->from = d->hdr_from;
	m->to = d->hdr_to;
	m->cc = d->hdr_cc;
	m->message_id = d->hdr_message_id;
	m->date = d->hdr_date;
	*file_header_r = *file_text_r = false;
	for (;;) {
		r = imap_match(c, j->root, m);
		if (r >= 0 || d->blob_path == NULL)
			break;
		if (r == IMAP_MATCH_NEED_TEXT && !*file_text_r) {
			if (imap_search_read(d->blob_path, dir, d->size, false,
					     file) < 0)
				break;
			*file_text_r = *file_header_r = true;
			m->have_text = true;
			m->text = (const char *)buf_rptr(file);
			m->text_len = buf_len(file);
		} else if (r == IMAP_MATCH_NEED_HEADER && !*file_header_r) {
			if (imap_search_read(d->blob_path, dir, 0, true, file) <
			    0)
				break;
			*file_header_r = true;
			m->have_header = true;
			m->header = (const char *)buf_rptr(file);
			m->header_len = imap_match_header_len(m->header,
							      buf_len(file));
		} else {
			break; /* cannot happen: every input is given */
		}
	}
	return r == IMAP_MATCH_YES;
}

/* Keep what SORT or THREAD needs of hit i (data d). */
static void
imap_search_keep(struct imap_search_job *j, size_t i,
		 const struct store_msg_data *d, struct buf *file, bool have_file)
{
	size_t h = j->n_hits;

	if (j->kind == IMAP_KIND_SORT) {
		struct imap_sort_msg *x = &j->sm[h];

		x->seq = (uint32_t)i + 1;
		x->id = j->uid ? j->mm[i].uid : x->seq;
		x->internaldate = d->internaldate;
		x->date = d->hdr_date;
		x->size = d->size;
		x->subject = imap_search_dup(j->a, d->hdr_subject);
		x->from = imap_search_dup(j->a, d->hdr_from);
		x->to = imap_search_dup(j->a, d->hdr_to);
		x->cc = imap_search_dup(j->a, d->hdr_cc);
	} else if (j->kind == IMAP_KIND_THREAD) {
		struct imap_thread_msg *x = &j->tm[h];
		const char *hd;
		size_t hn;

		x->seq = (uint32_t)i + 1;
		x->id = j->uid ? j->mm[i].uid : x->seq;
		/* RFC 5256 2.2 */
		x->date = d->hdr_date != 0 ? d->hdr_date : d->internaldate;
		x->subject = imap_search_dup(j->a, d->hdr_subject);
		x->message_id = imap_search_dup(j->a, d->hdr_message_id);
		if (!j->ordered && d->blob_path != NULL &&
		    (have_file ||
		     imap_search_read(d->blob_path, NULL, 0, true, file) == 0)) {
			hd = (const char *)buf_rptr(file);
			hn = imap_match_header_len(hd, buf_len(file));
			x->in_reply_to = imap_search_field(j->a, hd, hn,
							   "In-Reply-To");
			x->references = imap_search_field(j->a, hd, hn,
							  "References");
		}
	}
}

/* One thread's share of a pass-2 batch of a SEARCH: the messages at[x]
   for x in [lo, hi) (SIZE_MAX: gone), hit[x] set for those that match. */
struct imap_search_share {
	struct imap_search_job *j;
	const struct store_msg_data *d;
	const size_t *at;
	bool *hit;
	size_t lo, hi;
	const struct imap_search_dir *dir;
	struct imap_match_ctx c;
	struct buf file;
	pthread_t tid;
};

static void *
imap_search_share_run(void *arg)
{
	struct imap_search_share *sh = arg;
	size_t x;

	for (x = sh->lo; x < sh->hi; x++) {
		size_t i = sh->at[x];
		bool fh, ft;

		if (i == SIZE_MAX)
			continue;
		sh->hit[x] = imap_search_eval(sh->j, &sh->c, i, &sh->d[x],
					      sh->dir, &sh->file, &fh, &ft);
		sh->j->mm[i].have_data = sh->j->mm[i].have_header = false;
		sh->j->mm[i].have_text = false;
	}
	return NULL;
}

/* Evaluate the nd messages of d (view indexes at[], SIZE_MAX for gone
   ones) into hit[], split between sh[0..nsh): sh[0] on this thread,
   the others on threads started for the batch (or here too when one
   cannot be started). */
static void
imap_search_split(struct imap_search_share *sh, size_t nsh,
		  const struct store_msg_data *d, const size_t *at, bool *hit,
		  size_t nd)
{
	size_t t;

	for (t = 0; t < nsh; t++) {
		sh[t].d = d;
		sh[t].at = at;
		sh[t].hit = hit;
		sh[t].lo = nd * t / nsh;
		sh[t].hi = nd * (t + 1) / nsh;
	}
	for (t = 1; t < nsh; t++)
		if (pthread_create(&sh[t].tid, NULL, imap_search_share_run,
				   &sh[t]) != 0)
			sh[t].tid = pthread_self(); /* run below */
	imap_search_share_run(&sh[0]);
	for (t = 1; t < nsh; t++) {
		if (pthread_equal(sh[t].tid, pthread_self()))
			imap_search_share_run(&sh[t]);
		else
			pthread_join(sh[t].tid, NULL);
	}
}

static void
imap_search_work(void *arg)
{
	struct imap_search_job *j = arg;
	struct imap_match_ctx c;
	struct buf file;
	struct imap_search_dir dir = {-1, NULL, 0};
	struct imap_search_share sh[IMAP_SEARCH_THREADS];
	size_t *pend, n_pend = 0, i, b, t, nsh = 0;
	bool all_data = j->kind != IMAP_KIND_SEARCH, dir_set = false;

	imap_match_ctx_init(&c);
	buf_init(&file, 0);
	j->hits = xcalloc(j->n + 1, sizeof(*j->hits));
	pend = xcalloc(j->n + 1, sizeof(*pend));
	/* Pass 1: what the view knows (flags, UIDs, modseqs) decides most
	   programs; messages left undecided, or every hit when SORT and
	   THREAD need their data, go to pass 2. */
	for (i = 0; i < j->n; i++) {
		int r = imap_match(&c, j->root, &j->mm[i]);

		if (r < 0 || (r == IMAP_MATCH_YES && all_data))
			pend[n_pend++] = i;
		else if (r == IMAP_MATCH_YES)
			j->hits[j->n_hits++] = i;
	}
	if (all_data) {
		j->sm = xcalloc(n_pend + 1, sizeof(*j->sm));
		j->tm = xcalloc(n_pend + 1, sizeof(*j->tm));
	}
	/* SEARCH hits need no more than a yes (SORT and THREAD keep data of
	   each in order): a large pass 2 reading files is split between
	   threads, each with its own match state. */
	if (!all_data && n_pend >= IMAP_SEARCH_SPLIT_MIN &&
	    (j->needs & (IMAP_MATCH_IN_HEADER | IMAP_MATCH_IN_TEXT)) != 0) {
		nsh = IMAP_SEARCH_THREADS;
		for (t = 0; t < nsh; t++) {
			memset(&sh[t], 0, sizeof(sh[t]));
			sh[t].j = j;
			sh[t].dir = &dir;
			imap_match_ctx_init(&sh[t].c);
			sh[t].c.now = c.now;
			buf_init(&sh[t].file, 0);
		}
	}
	/* Pass 2, IMAP_SEARCH_BATCH messages per store call. */
	for (b = 0; b < n_pend && j->rc == 0; b += IMAP_SEARCH_BATCH) {
		size_t k = n_pend - b < IMAP_SEARCH_BATCH ? n_pend - b
							  : IMAP_SEARCH_BATCH;
		uint32_t *uids = xcalloc(k, sizeof(*uids));
		struct store_msg_data *d = NULL;
		size_t nd = 0, x, p = b, *at;
		bool *hit;
		const char *error = "";

		for (x = 0; x < k; x++)
			uids[x] = j->mm[pend[b + x]].uid;
		if (store_msg_fetch(j->store, j->mailbox_id, uids, k, &d, &nd,
				    &error) < 0) {
			snprintf(j->error, sizeof(j->error), "%s", error);
			j->rc = -1;
			free(uids);
			break;
		}
		if (!dir_set && nd > 0) {
			imap_search_dir_init(&dir, d[0].blob_path);
			dir_set = true;
		}
		/* UIDs gone meanwhile are skipped by the store (and do not
		   match): at[x] is the view index of d[x], SIZE_MAX if
		   none. */
		at = xcalloc(nd + 1, sizeof(*at));
		hit = xcalloc(nd + 1, sizeof(*hit));
		for (x = 0; x < nd; x++) {
			while (p < b + k && j->mm[pend[p]].uid < d[x].uid)
				p++;
			at[x] = p < b + k && j->mm[pend[p]].uid == d[x].uid
					? pend[p]
					: SIZE_MAX;
		}
		if (nsh > 0 && nd >= IMAP_SEARCH_SPLIT_MIN) {
			imap_search_split(sh, nsh, d, at, hit, nd);
			for (x = 0; x < nd; x++)
				if (hit[x])
					j->hits[j->n_hits++] = at[x];
		} else {
			for (x = 0; x < nd; x++) {
				bool fh, ft;

				if ((i = at[x]) == SIZE_MAX)
					continue;
				if (imap_search_eval(j, &c, i, &d[x], &dir, &file,
						     &fh, &ft)) {
					imap_search_keep(j, i, &d[x], &file, fh);
					j->hits[j->n_hits++] = i;
				}
				j->mm[i].have_data = j->mm[i].have_header = false;
				j->mm[i].have_text = false;
			}
		}
		free(at);
		free(hit);
		store_msg_data_free(d, nd);
		free(uids);
	}
	for (t = 0; t < nsh; t++) {
		imap_match_ctx_deinit(&sh[t].c);
		buf_deinit(&sh[t].file);
	}
	imap_search_dir_deinit(&dir);
	free(pend);
	/* Pass 1 hits and pass 2 hits interleave: sort by index. */
	if (j->rc == 0 && j->kind == IMAP_KIND_SEARCH) {
		size_t *tmp = j->hits;

		/* a counting pass keeps it O(n) */
		bool *hit = xcalloc(j->n + 1, sizeof(*hit));

		for (i = 0; i < j->n_hits; i++)
			hit[tmp[i]] = true;
		j->n_hits = 0;
		for (i = 0; i < j->n; i++)
			if (hit[i])
				tmp[j->n_hits++] = i;
		free(hit);
	}
	for (i = 0; i < j->n_hits; i++)
		if (j->mm[j->hits[i]].modseq > j->max_modseq)
			j->max_modseq = j->mm[j->hits[i]].modseq;
	if (j->rc == 0 && j->kind == IMAP_KIND_SORT) {
		imap_sort_msgs(j->sm, j->n_hits, j->crit, j->ncrit);
		for (i = 0; i < j->n_hits; i++)
			buf_printf(&j->out, " %u", j->sm[i].id);
	} else if (j->rc == 0 && j->kind == IMAP_KIND_THREAD) {
		if (j->ordered)
			imap_thread_orderedsubject(j->tm, j->n_hits, &j->out);
		else
			imap_thread_references(j->tm, j->n_hits, &j->out);
	}
	buf_deinit(&file);
	imap_match_ctx_deinit(&c);
}

/* Append a sequence set of the ascending ids[0..n) ("1:3,5"). */
static void
imap_search_set(struct buf *b, const uint32_t *ids, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t k = i;

		while (k + 1 < n && ids[k + 1] == ids[k] + 1)
			k++;
		if (i > 0)
			buf_append(b, ",", 1);
		if (k > i)
			buf_printf(b, "%u:%u", ids[i], ids[k]);
		else
			buf_printf(b, "%u", ids[i]);
		i = k + 1;
	}
}

/* Queue "* " b CRLF (b may be large: no printf). */
static void
imap_search_write(struct imap_session *s, const struct buf *b)
{
	imap_write(s, "* ", 2);
	imap_write(s, buf_rptr(b), buf_len(b));
	imap_write(s, "\r\n", 2);
}

/* The SEARCH answer: "* SEARCH ..." or "* ESEARCH ..." and SAVE. */
static void
imap_search_answer(struct imap_search_job *j, const struct imap_search *a)
{
	struct imap_session *s = j->s;
	uint32_t *ids = xcalloc(j->n_hits + 1, sizeof(*ids));
	struct buf b;
	size_t i;
	bool modseq = (j->needs & IMAP_MATCH_IN_MODSEQ) != 0 && j->n_hits > 0;
	/* RFC 9051 6.4.4: IMAP4rev2 has no SEARCH response; without
	   result options ALL is assumed. */
	bool esearch = a->ret_given || (s->enabled & IMAP_EN_IMAP4REV2) != 0;
	unsigned ret = a->ret_given ? a->ret : IMAP_SEARCH_RET_ALL;

	for (i = 0; i < j->n_hits; i++)
		ids[i] = j->uid ? j->mm[j->hits[i]].uid : (uint32_t)j->hits[i] + 1;
	buf_init(&b, 0);
	if (!esearch) {
		buf_append_str(&b, "SEARCH");
		for (i = 0; i < j->n_hits; i++)
			buf_printf(&b, " %u", ids[i]);
		/* RFC 7162 3.1.5 */
		if (modseq)
			buf_printf(&b, " (MODSEQ %llu)",
				   (unsigned long long)j->max_modseq);
	} else if (ret != IMAP_SEARCH_RET_SAVE) {
		/* RFC 4731 3.1: MIN, MAX and ALL only when something
		   matched; RFC 5182 2.1: SAVE alone gives no ESEARCH. */
		buf_printf(&b, "ESEARCH (TAG \"%s\")%s", s->cmd->tag,
			   j->uid ? " UID" : "");
		if ((ret & IMAP_SEARCH_RET_MIN) && j->n_hits > 0)
			buf_printf(&b, " MIN %u", ids[0]);
		if ((ret & IMAP_SEARCH_RET_MAX) && j->n_hits > 0)
			buf_printf(&b, " MAX %u", ids[j->n_hits - 1]);
		if ((ret & IMAP_SEARCH_RET_ALL) && j->n_hits > 0) {
			buf_append_str(&b, " ALL ");
			imap_search_set(&b, ids, j->n_hits);
		}
		if (ret & IMAP_SEARCH_RET_COUNT)
			buf_printf(&b, " COUNT %zu", j->n_hits);
		if (modseq)
			buf_printf(&b, " MODSEQ %llu",
				   (unsigned long long)j->max_modseq);
	}
	if (buf_len(&b) > 0)
		imap_search_write(s, &b);
	if (a->ret_given && (a->ret & IMAP_SEARCH_RET_SAVE)) {
		/* RFC 5182 2.4: with MIN and/or MAX alone only those are
		   saved. */
		unsigned rest = a->ret & ~(IMAP_SEARCH_RET_SAVE |
					   IMAP_SEARCH_RET_MIN |
					   IMAP_SEARCH_RET_MAX);
		size_t n = 0;

		free(s->saved_uids);
		s->saved_uids = xcalloc(j->n_hits + 1, sizeof(*s->saved_uids));
		for (i = 0; i < j->n_hits; i++) {
			bool keep = rest != 0 ||
				    (a->ret & (IMAP_SEARCH_RET_MIN |
					       IMAP_SEARCH_RET_MAX)) == 0 ||
				    ((a->ret & IMAP_SEARCH_RET_MIN) && i == 0) ||
				    ((a->ret & IMAP_SEARCH_RET_MAX) &&
				     i == j->n_hits - 1);

			if (keep)
				s->saved_uids[n++] = j->mm[j->hits[i]].uid;
		}
		s->n_saved = n;
		s->saved_valid = true;
	}
	buf_deinit(&b);
	free(ids);
}

static void
imap_search_free(struct imap_search_job *j)
{
	free(j->mm);
	free(j->hits);
	free(j->sm);
	free(j->tm);
	buf_deinit(&j->out);
	arena_free(&j->a);
	free(j);
}

static void
imap_search_forget_saved(struct imap_session *s)
{
	free(s->saved_uids);
	s->saved_uids = NULL;
	s->n_saved = 0;
	s->saved_valid = true; /* RFC 5182 2.1: the empty sequence */
}

static void
imap_search_done(void *arg)
{
	struct imap_search_job *j = arg;
	struct imap_session *s = j->s;
	const char *name;

	if (!imap_session_job_done(s)) {
		imap_search_free(j);
		return;
	}
	name = j->kind == IMAP_KIND_SEARCH ? "SEARCH"
	       : j->kind == IMAP_KIND_SORT ? "SORT"
					   : "THREAD";
	if (j->rc < 0) {
		log_error("%016llx imap %s user=%s: %s", (unsigned long long)s->id,
			  name, s->user, j->error);
		/* RFC 5182 2.1: a failed SEARCH with SAVE empties "$". */
		if (j->search != NULL && j->search->ret_given &&
		    (j->search->ret & IMAP_SEARCH_RET_SAVE))
			imap_search_forget_saved(s);
		imap_cmd_done(s, "NO", "SERVERBUG", "%s failed", name);
		imap_search_free(j);
		return;
	}
	if (j->kind == IMAP_KIND_SEARCH) {
		imap_search_answer(j, j->search);
	} else {
		struct buf b;

		buf_init(&b, 0);
		buf_append_str(&b, name);
		if (j->kind == IMAP_KIND_THREAD && buf_len(&j->out) > 0)
			buf_append(&b, " ", 1);
		buf_append(&b, buf_rptr(&j->out), buf_len(&j->out));
		/* RFC 7162 3.1.5: SORT too reports the highest modseq. */
		if ((j->needs & IMAP_MATCH_IN_MODSEQ) != 0 && j->n_hits > 0 &&
		    j->kind == IMAP_KIND_SORT)
			buf_printf(&b, " (MODSEQ %llu)",
				   (unsigned long long)j->max_modseq);
		imap_search_write(s, &b);
		buf_deinit(&b);
	}
	imap_cmd_done(s, "OK", NULL, "%s completed", name);
	imap_search_free(j);
}

/* CHARSET: UTF-8 and US-ASCII (a needle is matched as UTF-8 bytes). */
static bool
imap_search_charset_ok(const char *cs)
{
	return cs == NULL || strcasecmp(cs, "UTF-8") == 0 ||
	       strcasecmp(cs, "US-ASCII") == 0;
}

/* Start the job for the program under root (loop thread). */
static void
imap_search_start(struct imap_session *s, struct imap_cmd *cmd,
		  struct imap_search_job *j, struct imap_search_key *root)
{
	struct imap_view *v = s->view;
	size_t i;

	j->s = s;
	j->store = s->srv->store;
	j->mailbox_id = v->mailbox_id;
	j->uid = cmd->uid;
	j->root = root;
	j->needs = imap_match_needs(root);
	j->a = arena_new("imap_search", 64 * 1024);
	buf_init(&j->out, 0);
	if (j->needs & IMAP_MATCH_IN_MODSEQ)
		s->enabled |= IMAP_EN_CONDSTORE; /* RFC 7162 3.1 */
	imap_match_prepare(root, cmd->arena, (uint32_t)v->n,
			   v->n > 0 ? v->msgs[v->n - 1].uid : 0,
			   s->saved_valid ? s->saved_uids : NULL,
			   s->saved_valid ? s->n_saved : 0);
	/* The view does not change while the command runs (updates wait
	   for imap_cmd_done()), so its keyword strings may be shared. */
	j->n = v->n;
	j->mm = xcalloc(v->n + 1, sizeof(*j->mm));
	for (i = 0; i < v->n; i++) {
		j->mm[i].seq = (uint32_t)i + 1;
		j->mm[i].uid = v->msgs[i].uid;
		j->mm[i].flags = v->msgs[i].flags;
		j->mm[i].keywords = v->msgs[i].keywords;
		j->mm[i].recent = v->msgs[i].recent;
		j->mm[i].modseq = v->msgs[i].modseq;
	}
	imap_session_busy(s);
	s->pending = true;
	pool_submit(s->srv->pool, imap_search_work, imap_search_done, j);
}

static void
imap_search_badcharset(struct imap_session *s)
{
	imap_cmd_done(s, "NO", "BADCHARSET (UTF-8 US-ASCII)",
		      "Unsupported charset");
}

void
imap_cmd_search(struct imap_session *s, struct imap_cmd *cmd)
{
	struct imap_search *a = arena_alloc(cmd->arena, sizeof(*a));
	struct imap_search_job *j;
	const char *error;

	if (imap_search_parse(cmd, a, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (!imap_search_charset_ok(a->charset)) {
		if (a->ret_given && (a->ret & IMAP_SEARCH_RET_SAVE))
			imap_search_forget_saved(s);
		imap_search_badcharset(s);
		return;
	}
	j = xzalloc(sizeof(*j));
	j->kind = IMAP_KIND_SEARCH;
	j->search = a;
	imap_search_start(s, cmd, j, a->root);
}

void
imap_cmd_sort(struct imap_session *s, struct imap_cmd *cmd)
{
	struct imap_sort a;
	struct imap_search_job *j;
	const char *error;

	if (imap_search_parse_sort(cmd, &a, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (!imap_search_charset_ok(a.charset)) {
		imap_search_badcharset(s);
		return;
	}
	j = xzalloc(sizeof(*j));
	j->kind = IMAP_KIND_SORT;
	j->crit = a.crit; /* in the cmd's arena */
	j->ncrit = a.ncrit;
	imap_search_start(s, cmd, j, a.root);
}

void
imap_cmd_thread(struct imap_session *s, struct imap_cmd *cmd)
{
	struct imap_thread a;
	struct imap_search_job *j;
	const char *error;
	bool ordered;

	if (imap_search_parse_thread(cmd, &a, &error) < 0) {
		imap_cmd_bad(s, NULL, error);
		return;
	}
	if (strcasecmp(a.algorithm, "ORDEREDSUBJECT") == 0) {
		ordered = true;
	} else if (strcasecmp(a.algorithm, "REFERENCES") == 0) {
		ordered = false;
	} else {
		imap_cmd_bad(s, NULL, "Unknown thread algorithm");
		return;
	}
	if (!imap_search_charset_ok(a.charset)) {
		imap_search_badcharset(s);
		return;
	}
	j = xzalloc(sizeof(*j));
	j->kind = IMAP_KIND_THREAD;
	j->ordered = ordered;
	imap_search_start(s, cmd, j, a.root);
}

/* imap_cmd_fetch.c: FETCH and UID FETCH (RFC 9051 6.4.5, 6.4.8, 7.5.2;
   RFC 3516 BINARY; RFC 7162 CHANGEDSINCE, MODSEQ, VANISHED).  Message
   data is read on the pool a batch at a time; responses are written
   message by message, big sections streamed from the message file,
   and output waits while the connection is backed up. */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "ev.h"
#include "fileread.h"
#include "imap/imap_fetch.h"
#include "imap/imap_section.h"
#include "imap/imap_view.h"
#include "limits.h"
#include "log.h"
#include "mime/mime_summary.h"
#include "pool.h"
#include "store/store.h"
#include "xalloc.h"

/* What one response item is. */
enum fx_kind {
	FX_ATT,        /* an item the client asked for */
	FX_UID,        /* UID added to UID FETCH (RFC 9051 6.4.8) */
	FX_FLAGS_SEEN, /* FLAGS added when \Seen was set (6.4.5) */
	FX_MODSEQ,     /* MODSEQ added (RFC 7162 3.1.4.1, 3.1.5) */
};

struct fx_item {
	enum fx_kind kind;
	const struct imap_fetch_att *att;  /* FX_ATT */
	const struct imap_fetch_att *sec;  /* the section to locate, or NULL */
	const char *name;                  /* RFC822*: the response name */
};

/* One section answer of one message. */
struct fx_sec {
	int rc; /* enum imap_section_rc */
	struct imap_section r;
	bool stream; /* r is a range read from the message file */
};

struct fx_msg {
	uint32_t uid;
	struct store_msg_data *d; /* NULL when no data was needed */
	struct fx_sec *sec;       /* per plan item */
	int fd;                   /* message file, when a section streams */
	bool skip;                /* no response (gone, section error) */
	bool seen_set;            /* \Seen set now: new flags below */
	uint32_t flags;
	char *keywords;
	uint64_t modseq;
};

struct fx_job {
	struct imap_session *s;
	struct store *store;
	struct imap_fetch f;
	struct fx_item *plan;
	size_t nplan;
	bool need_data, need_file, want_seen, need_summary;
	size_t *idx; /* view indexes to answer */
	size_t n, pos;
	int64_t mailbox_id;
	bool readonly;
	/* VANISHED (RFC 7162 3.2.6): the UID set to filter with. */
	struct imap_seqset uidset;
	uint32_t *saved;
	size_t nsaved;
	uint32_t *vanished;
	size_t nvanished;
	/* The batch. */
	uint32_t *uids;
	size_t nuids, consumed;
	struct store_msg_data *data;
	size_t ndata;
	struct fx_msg *msgs;
	size_t nmsgs;
	/* Outcome. */
	bool failed, expunged, cte_error, not_leaf;
	/* Writing: message wm, plan item wi (-1: the start, nplan: the
	   end), bytes of an item still to go out. */
	size_t wm;
	ptrdiff_t wi;
	bool wfirst;
	const uint8_t *wdata;
	uint64_t wleft;
	struct fileread *fr;
	uint64_t fleft;
	bool in_pump;
};

static void fx_pump(struct fx_job *job);
static bool fx_next_batch(struct fx_job *job);
static int fx_cmp_u32(const void *a, const void *b);
static void fx_pump_async(struct fx_job *job);

/* ---- the pool side ---- */

/* ENVELOPE/BODY/BODYSTRUCTURE of a message stored without them: parse
   the file now. */
static void
fx_summary(struct store_msg_data *d, const uint8_t *map, size_t n)
{
	struct mime_summary *ms = mime_summary_new(NULL);
	struct mime_msg_info info;

	mime_summary_feed(ms, map, n);
	if (mime_summary_finish(ms, &info) == 0) {
		if (d->envelope == NULL)
			d->envelope = info.envelope, info.envelope = NULL;
		if (d->body == NULL)
			d->body = info.body, info.body = NULL;
		if (d->bodystructure == NULL)
			d->bodystructure = info.bodystructure,
			info.bodystructure = NULL;
	}
	mime_msg_info_clear(&info);
	mime_summary_free(&ms);
}

/* Locate the sections of message m in its file.  Returns the bytes kept
   in memory. */
static uint64_t
fx_load(struct fx_job *job, struct fx_msg *m)
{
	struct store_msg_data *d = m->d;
	bool summary = job->need_summary &&
		       (d->envelope == NULL || d->body == NULL ||
			d->bodystructure == NULL);
	const uint8_t *map = (const uint8_t *)"";
	bool keep_fd = false;
	uint64_t held = 0;
	struct stat st;
	size_t i;
	int fd;

	if (!job->need_file && !summary)
		return 0;
	fd = open(d->blob_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		/* Expunged by another session since store_msg_fetch. */
		if (errno != ENOENT)
			log_error("imap fetch open %s: %s", d->blob_path,
				  strerror(errno));
		if (fd >= 0)
			close(fd);
		m->skip = true;
		job->expunged = true;
		return 0;
	}
	if (st.st_size > 0) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ,
			       MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED) {
			log_error("imap fetch mmap %s: %s", d->blob_path,
				  strerror(errno));
			close(fd);
			m->skip = true;
			job->failed = true;
			return 0;
		}
		map = p;
	}
	if (summary)
		fx_summary(d, map, (size_t)st.st_size);
	for (i = 0; i < job->nplan; i++) {
		const struct imap_fetch_att *a = job->plan[i].sec;
		struct fx_sec *sc = &m->sec[i];

		if (a == NULL)
			continue;
		sc->rc = imap_section_find(map, (size_t)st.st_size, a, &sc->r);
		if (sc->rc == IMAP_SECTION_UNKNOWN_CTE ||
		    sc->rc == IMAP_SECTION_NOT_LEAF) {
			job->cte_error |= sc->rc == IMAP_SECTION_UNKNOWN_CTE;
			job->not_leaf |= sc->rc == IMAP_SECTION_NOT_LEAF;
			m->skip = true;
			continue;
		}
		if (sc->rc != IMAP_SECTION_OK)
			continue;
		if (sc->r.data == NULL && sc->r.len > IMAP_FETCH_INLINE_MAX) {
			sc->stream = true;
			keep_fd = true;
		} else if (sc->r.data == NULL && sc->r.len > 0) {
			sc->r.data = xmalloc((size_t)sc->r.len);
			memcpy(sc->r.data, map + sc->r.start, (size_t)sc->r.len);
		}
		if (sc->r.data != NULL)
			held += sc->r.len;
	}
	if (st.st_size > 0)
		munmap((void *)map, (size_t)st.st_size);
	if (keep_fd && !m->skip)
		m->fd = fd;
	else
		close(fd);
	return held;
}

/* RFC 7162 3.2.6: the expunged UIDs (modseq > CHANGEDSINCE) that are in
   the command's UID set. */
static int
fx_vanished(struct fx_job *job, const char **err)
{
	struct store_msg_changes c;
	size_t i;
	int rc;

	rc = store_msg_changes(job->store, job->mailbox_id, job->f.changedsince,
			       &c, err);
	if (rc <= 0)
		return rc < 0 ? -1 : 0;
	job->vanished = xcalloc(c.n_expunged + 1, sizeof(uint32_t));
	for (i = 0; i < c.n_expunged; i++) {
		uint32_t u = c.expunged[i];
		bool in;

		if (job->f.set.saved)
			in = bsearch(&u, job->saved, job->nsaved,
				     sizeof(uint32_t), fx_cmp_u32) != NULL;
		else
			in = imap_seqset_contains(&job->uidset, u);
		if (in)
			job->vanished[job->nvanished++] = u;
	}
	store_msg_changes_free(&c);
	return 0;
}

/* \Seen for the messages answered in this batch that lack it (RFC 9051
   6.4.5: BODY[...], BINARY[...], RFC822, RFC822.TEXT), durably. */
static int
fx_set_seen(struct fx_job *job, const char **err)
{
	struct store_flag_update u;
	struct store_flag_result *res = NULL;
	uint32_t *uids = xcalloc(job->nmsgs + 1, sizeof(*uids));
	size_t i, j, n = 0, nres = 0;

	for (i = 0; i < job->nmsgs; i++)
		if (!job->msgs[i].skip &&
		    !(job->msgs[i].d->flags & STORE_FLAG_SEEN))
			uids[n++] = job->msgs[i].uid;
	if (n == 0) {
		free(uids);
		return 0;
	}
	memset(&u, 0, sizeof(u));
	u.uids = uids;
	u.n = n;
	u.mode = 1;
	u.flags = STORE_FLAG_SEEN;
	if (store_msg_flags(job->store, job->mailbox_id, &u, &res, &nres,
			    err) < 0) {
		free(uids);
		return -1;
	}
	for (i = 0, j = 0; i < nres; i++) {
		while (j < job->nmsgs && job->msgs[j].uid < res[i].uid)
			j++;
		if (j == job->nmsgs)
			break;
		if (job->msgs[j].uid == res[i].uid && res[i].changed) {
			struct fx_msg *m = &job->msgs[j];

			m->seen_set = true;
			m->flags = res[i].flags;
			m->keywords = res[i].keywords != NULL
					  ? xstrdup(res[i].keywords)
					  : NULL;
			m->modseq = res[i].modseq;
		}
	}
	store_flag_results_free(res, nres);
	free(uids);
	return 0;
}

static void
fx_work(void *arg)
{
	struct fx_job *job = arg;
	const char *err = NULL;
	uint64_t held = 0;
	size_t i, j;

	if (job->f.vanished && job->pos == 0 && job->vanished == NULL &&
	    fx_vanished(job, &err) < 0)
		goto fail;
	if (job->nuids == 0)
		return;
	if (store_msg_fetch(job->store, job->mailbox_id, job->uids,
			    job->nuids, &job->data, &job->ndata, &err) < 0)
		goto fail;
	job->msgs = xcalloc(job->ndata + 1, sizeof(*job->msgs));
	job->consumed = job->nuids;
	for (i = 0, j = 0; i < job->ndata; i++) {
		struct fx_msg *m = &job->msgs[i];

		m->d = &job->data[i];
		m->uid = m->d->uid;
		m->fd = -1;
		m->sec = xcalloc(job->nplan, sizeof(*m->sec));
		job->nmsgs = i + 1;
		held += fx_load(job, m);
		if (held >= IMAP_FETCH_BATCH_BYTES) {
			/* the rest waits for the next batch */
			while (j < job->nuids && job->uids[j] <= m->uid)
				j++;
			job->consumed = j;
			break;
		}
	}
	/* UIDs that store_msg_fetch no longer found were expunged. */
	if (job->ndata < job->nuids && job->consumed == job->nuids)
		job->expunged = true;
	if (job->want_seen && !job->readonly && fx_set_seen(job, &err) < 0)
		goto fail;
	return;
fail:
	log_error("imap fetch: %s", err != NULL ? err : "store error");
	job->failed = true;
}

/* ---- writing ---- */

static size_t
fx_out_len(const struct imap_session *s)
{
	return s->c != NULL ? buf_len(&s->c->out) : 0;
}

static void
fx_printf(struct imap_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
fx_printf(struct imap_session *s, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		imap_write(s, tmp, (size_t)n < sizeof(tmp) ? (size_t)n
							    : sizeof(tmp) - 1);
}

/* "BODY[1.2.HEADER.FIELDS (A B)]", "BINARY[1]", "BINARY.SIZE[1]"
   (RFC 9051 7.5.2: the section as asked, field names as sent). */
static void
fx_write_section(struct imap_session *s, const struct imap_fetch_att *a)
{
	static const char *const texts[] = {
	    [IMAP_SECTION_NONE] = "",
	    [IMAP_SECTION_HEADER] = "HEADER",
	    [IMAP_SECTION_HEADER_FIELDS] = "HEADER.FIELDS",
	    [IMAP_SECTION_HEADER_FIELDS_NOT] = "HEADER.FIELDS.NOT",
	    [IMAP_SECTION_TEXT] = "TEXT",
	    [IMAP_SECTION_MIME] = "MIME",
	};
	size_t i;

	fx_printf(s, "%s[", a->item == IMAP_FETCH_BODY_SECTION ? "BODY"
			    : a->item == IMAP_FETCH_BINARY   ? "BINARY"
							     : "BINARY.SIZE");
	for (i = 0; i < a->nparts; i++)
		fx_printf(s, "%s%u", i > 0 ? "." : "", a->part[i]);
	if (a->item == IMAP_FETCH_BODY_SECTION && a->text != IMAP_SECTION_NONE)
		fx_printf(s, "%s%s", a->nparts > 0 ? "." : "", texts[a->text]);
	if (a->nfields > 0) {
		imap_write(s, " (", 2);
		for (i = 0; i < a->nfields; i++) {
			if (i > 0)
				imap_write(s, " ", 1);
			imap_write_string(s, a->fields[i], strlen(a->fields[i]),
					  true);
		}
		imap_write(s, ")", 1);
	}
	imap_write(s, "]", 1);
	if (a->partial && a->item != IMAP_FETCH_BINARY_SIZE)
		fx_printf(s, "<%llu>", (unsigned long long)a->offset);
}

/* INTERNALDATE "dd-Mon-yyyy hh:mm:ss +0000" (RFC 9051 9 date-time). */
static void
fx_write_date(struct imap_session *s, int64_t t)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	fx_printf(s, "INTERNALDATE \"%02d-%s-%04d %02d:%02d:%02d +0000\"",
		  tm.tm_mday, mon[tm.tm_mon % 12], tm.tm_year + 1900,
		  tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
fx_write_str(struct imap_session *s, const char *name, const char *v)
{
	fx_printf(s, "%s ", name);
	if (v != NULL)
		imap_write(s, v, strlen(v));
	else
		imap_write(s, "NIL", 3);
}

static void
fx_on_chunk(void *arg, const uint8_t *data, ssize_t n)
{
	struct fx_job *job = arg;
	struct imap_session *s = job->s;

	if (n <= 0 || s->c == NULL || s->c->closing) {
		/* Half a literal was sent: the client cannot resync, so the
		   only honest answer is to close. */
		if (n <= 0 && s->c != NULL) {
			log_error("%016llx imap fetch read: %s",
				  (unsigned long long)s->id,
				  n < 0 ? strerror((int)-n) : "short file");
			conn_close(s->c);
		}
		fileread_free(&job->fr);
	} else {
		uint64_t k = (uint64_t)n < job->fleft ? (uint64_t)n
						      : job->fleft;

		imap_write(s, data, (size_t)k);
		job->fleft -= k;
		if (job->fleft == 0)
			fileread_free(&job->fr);
	}
	if (!job->in_pump)
		fx_pump_async(job);
}

/* Start sending the bytes of section sc of message m. */
static void
fx_write_bytes(struct fx_job *job, struct fx_msg *m, struct fx_sec *sc)
{
	struct imap_session *s = job->s;
	int fd;

	if (!sc->stream) {
		job->wdata = sc->r.data;
		job->wleft = sc->r.len;
		return;
	}
	fd = dup(m->fd);
	if (fd < 0 || lseek(fd, (off_t)sc->r.start, SEEK_SET) < 0) {
		log_error("%016llx imap fetch: %s", (unsigned long long)s->id,
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		if (s->c != NULL)
			conn_close(s->c);
		return;
	}
	job->fr = fileread_new(s->srv->pool, fd, IMAP_FETCH_READ_CHUNK,
			       fx_on_chunk, job);
	job->fleft = sc->r.len;
}

/* One item of message m. */
static void
fx_write_item(struct fx_job *job, struct fx_msg *m, size_t i, size_t vi)
{
	struct imap_session *s = job->s;
	const struct fx_item *it = &job->plan[i];
	const struct imap_fetch_att *a = it->att;
	struct store_msg_data *d = m->d;
	struct fx_sec *sc = &m->sec[i];

	if ((it->kind == FX_FLAGS_SEEN && !m->seen_set) ||
	    (it->kind == FX_MODSEQ && !m->seen_set &&
	     !job->f.changedsince_given))
		return;
	if (!job->wfirst)
		imap_write(s, " ", 1);
	job->wfirst = false;
	if (it->kind == FX_UID) {
		fx_printf(s, "UID %u", m->uid);
		return;
	}
	if (it->kind == FX_FLAGS_SEEN) {
		imap_write(s, "FLAGS ", 6);
		imap_view_write_flags(s, vi);
		return;
	}
	if (it->kind == FX_MODSEQ) {
		fx_printf(s, "MODSEQ (%llu)", (unsigned long long)
			  s->view->msgs[vi].modseq);
		return;
	}
	switch (a->item) {
	case IMAP_FETCH_UID:
		fx_printf(s, "UID %u", m->uid);
		return;
	case IMAP_FETCH_FLAGS:
		imap_write(s, "FLAGS ", 6);
		imap_view_write_flags(s, vi);
		return;
	case IMAP_FETCH_MODSEQ:
		fx_printf(s, "MODSEQ (%llu)", (unsigned long long)
			  s->view->msgs[vi].modseq);
		return;
	case IMAP_FETCH_INTERNALDATE:
		fx_write_date(s, d->internaldate);
		return;
	case IMAP_FETCH_RFC822_SIZE:
		fx_printf(s, "RFC822.SIZE %llu", (unsigned long long)d->size);
		return;
	case IMAP_FETCH_ENVELOPE:
		fx_write_str(s, "ENVELOPE", d->envelope);
		return;
	case IMAP_FETCH_BODY:
		fx_write_str(s, "BODY", d->body);
		return;
	case IMAP_FETCH_BODYSTRUCTURE:
		fx_write_str(s, "BODYSTRUCTURE", d->bodystructure);
		return;
	default:
		break;
	}
	/* Sections. */
	if (it->name != NULL)
		imap_write(s, it->name, strlen(it->name));
	else
		fx_write_section(s, a);
	if (a->item == IMAP_FETCH_BINARY_SIZE) {
		fx_printf(s, " %llu", sc->rc == IMAP_SECTION_OK
					  ? (unsigned long long)sc->r.size
					  : 0ull);
		return;
	}
	if (sc->rc != IMAP_SECTION_OK) {
		imap_write(s, " NIL", 4);
		return;
	}
	/* RFC 3516 4.3: literal8 when the decoded data holds NUL. */
	fx_printf(s, " %s{%llu}\r\n", sc->r.has_nul ? "~" : "",
		  (unsigned long long)sc->r.len);
	if (sc->r.len > 0)
		fx_write_bytes(job, m, sc);
}

/* Write the next piece of the current message. */
static void
fx_step(struct fx_job *job)
{
	struct imap_session *s = job->s;
	struct fx_msg *m = &job->msgs[job->wm];
	ptrdiff_t vi = m->skip ? -1 : imap_view_find_uid(s->view, m->uid);

	if (vi < 0) {
		job->wm++;
		job->wi = -1;
		return;
	}
	if (job->wi < 0) {
		if (m->seen_set)
			imap_view_set_flags(s->view, (size_t)vi, m->flags,
					    m->keywords, m->modseq);
		fx_printf(s, "* %zu FETCH (", (size_t)vi + 1);
		job->wfirst = true;
		job->wi = 0;
		return;
	}
	if ((size_t)job->wi < job->nplan) {
		fx_write_item(job, m, (size_t)job->wi++, (size_t)vi);
		return;
	}
	imap_write(s, ")\r\n", 3);
	job->wm++;
	job->wi = -1;
}

static void
fx_free_batch(struct fx_job *job)
{
	size_t i, k;

	fileread_free(&job->fr);
	for (i = 0; i < job->nmsgs; i++) {
		struct fx_msg *m = &job->msgs[i];

		if (m->sec != NULL)
			for (k = 0; k < job->nplan; k++)
				imap_section_clear(&m->sec[k].r);
		free(m->sec);
		free(m->keywords);
		if (m->fd >= 0)
			close(m->fd);
	}
	free(job->msgs);
	job->msgs = NULL;
	job->nmsgs = 0;
	store_msg_data_free(job->data, job->ndata);
	job->data = NULL;
	job->ndata = 0;
	free(job->uids);
	job->uids = NULL;
	job->nuids = 0;
	job->wdata = NULL;
	job->wleft = 0;
}

static void
fx_free(struct fx_job *job)
{
	fx_free_batch(job);
	free(job->idx);
	free(job->saved);
	free(job->vanished);
	free(job);
}

/* The end: the tagged reply (or nothing when the connection is gone). */
static void
fx_finish(struct fx_job *job)
{
	struct imap_session *s = job->s;
	bool closing = s->c == NULL || s->c->closing;
	bool failed = job->failed, cte = job->cte_error;
	bool leaf = job->not_leaf, expunged = job->expunged;

	fx_free(job);
	if (!imap_session_job_done(s) || closing)
		return;
	if (failed)
		imap_cmd_done(s, "NO", "UNAVAILABLE", "Fetch failed");
	else if (cte)
		/* RFC 3516 4.2 */
		imap_cmd_done(s, "NO", "UNKNOWN-CTE",
			      "Unknown Content-Transfer-Encoding");
	else if (leaf)
		imap_cmd_done(s, "NO", "CANNOT",
			      "BINARY needs a leaf body part");
	else if (expunged)
		/* RFC 5530 3 */
		imap_cmd_done(s, "NO", "EXPUNGEISSUED",
			      "Some messages were expunged");
	else
		imap_cmd_done(s, "OK", NULL, "Fetch completed");
}

/* The socket took the output that was waiting (or the connection is
   gone: fx_pump then finishes). */
static void
fx_on_drained(void *arg)
{
	fx_pump_async(arg);
}

static void
fx_pump(struct fx_job *job)
{
	struct imap_session *s = job->s;

	for (;;) {
		if (s->c == NULL || s->c->closing) {
			fx_finish(job);
			return;
		}
		if (s->drained != NULL ||
		    (job->fr != NULL && fileread_busy(job->fr)))
			return;
		if (fx_out_len(s) >= IMAP_FETCH_OUT_HIGH) {
			imap_session_flush(s);
			if (fx_out_len(s) >= IMAP_FETCH_OUT_HIGH) {
				/* Go on when the socket has taken it. */
				s->drained = fx_on_drained;
				s->drained_arg = job;
				return;
			}
		}
		if (job->fr != NULL) {
			uint64_t before = job->fleft;

			job->in_pump = true;
			fileread_next(job->fr);
			job->in_pump = false;
			/* Called from the fileread's own callback (a chunk
			   from the pool), fileread_next() only notes that
			   more is wanted and reads once that callback
			   returns: go back to it instead of spinning. */
			if (job->fr != NULL && !fileread_busy(job->fr) &&
			    job->fleft == before)
				return;
			continue;
		}
		if (job->wleft > 0) {
			size_t k = job->wleft < IMAP_FETCH_READ_CHUNK
				       ? (size_t)job->wleft
				       : IMAP_FETCH_READ_CHUNK;

			imap_write(s, job->wdata, k);
			job->wdata += k;
			job->wleft -= k;
			continue;
		}
		if (job->wm < job->nmsgs) {
			fx_step(job);
			continue;
		}
		fx_free_batch(job);
		if (job->pos >= job->n) {
			fx_finish(job);
			return;
		}
		if (!fx_next_batch(job))
			return; /* on the pool */
		job->wm = 0;
		job->wi = -1;
	}
}

/* RFC 7162 3.2.6 / RFC 9051 7.5: "* VANISHED (EARLIER) 3:5,9". */
static void
fx_write_vanished(struct fx_job *job)
{
	struct imap_session *s = job->s;
	size_t i, j;

	if (job->nvanished == 0)
		return;
	imap_write(s, "* VANISHED (EARLIER) ", 21);
	for (i = 0; i < job->nvanished; i = j + 1) {
		for (j = i; j + 1 < job->nvanished &&
			    job->vanished[j + 1] == job->vanished[j] + 1;)
			j++;
		fx_printf(s, "%s%u", i > 0 ? "," : "", job->vanished[i]);
		if (j > i)
			fx_printf(s, ":%u", job->vanished[j]);
	}
	imap_write(s, "\r\n", 2);
	job->nvanished = 0;
}

static void
fx_batch_done(void *arg)
{
	struct fx_job *job = arg;
	struct imap_session *s = job->s;

	if (s->gone) {
		fx_free(job);
		imap_session_job_done(s);
		return;
	}
	if (job->failed) {
		fx_free_batch(job);
		fx_finish(job);
		return;
	}
	job->pos += job->consumed;
	fx_write_vanished(job);
	job->wm = 0;
	job->wi = -1;
	fx_pump_async(job);
}

/* Take the next messages: through the pool when their data is needed
   (returns false: fx_batch_done follows), else straight from the view
   (returns true: job->msgs is ready). */
static bool
fx_next_batch(struct fx_job *job)
{
	struct imap_session *s = job->s;
	size_t i, k = job->n - job->pos;

	if (k > IMAP_FETCH_BATCH)
		k = IMAP_FETCH_BATCH;
	job->uids = xcalloc(k + 1, sizeof(uint32_t));
	for (i = 0; i < k; i++)
		job->uids[i] = s->view->msgs[job->idx[job->pos + i]].uid;
	job->nuids = k;
	if (job->need_data || (job->f.vanished && job->pos == 0)) {
		/* A batch that only reads is short (IMAP_FETCH_BATCH
		   messages, IMAP_FETCH_BATCH_BYTES): ahead of long jobs;
		   one that sets \Seen commits, and queues as writes do. */
		if (job->want_seen && !job->readonly)
			pool_submit(s->srv->pool, fx_work, fx_batch_done, job);
		else
			pool_submit_first(s->srv->pool, fx_work, fx_batch_done,
					  job);
		return false;
	}
	job->msgs = xcalloc(k + 1, sizeof(*job->msgs));
	for (i = 0; i < k; i++) {
		job->msgs[i].uid = job->uids[i];
		job->msgs[i].fd = -1;
		job->msgs[i].sec = xcalloc(job->nplan, sizeof(struct fx_sec));
	}
	job->nmsgs = k;
	job->pos += k;
	return true;
}

/* fx_pump from a callback of our own (pool, drain, file read): output
   is corked meanwhile so that small pieces go out together. */
static void
fx_pump_async(struct fx_job *job)
{
	struct conn *c = job->s->c;

	/* c stays allocated until the loop reaps it, after this callback,
	   even if the session ends inside fx_pump. */
	if (c != NULL && !c->corked) {
		conn_cork(c);
		fx_pump(job);
		conn_uncork(c);
	} else {
		fx_pump(job);
	}
}

/* ---- the command ---- */

/* The response items in order, with the sections to locate. */
static void
fx_plan(struct fx_job *job, struct imap_cmd *cmd)
{
	const struct imap_fetch_att *a;
	bool has_uid = false, has_flags = false, has_modseq = false;
	size_t n = 0;

	job->plan = arena_alloc(cmd->arena,
				(job->f.natts + 3) * sizeof(*job->plan));
	for (a = job->f.atts; a != NULL; a = a->next) {
		has_uid |= a->item == IMAP_FETCH_UID;
		has_flags |= a->item == IMAP_FETCH_FLAGS;
		has_modseq |= a->item == IMAP_FETCH_MODSEQ;
	}
	/* RFC 9051 6.4.8: UID FETCH answers always carry the UID. */
	if (cmd->uid && !has_uid)
		job->plan[n++].kind = FX_UID;
	for (a = job->f.atts; a != NULL; a = a->next) {
		struct fx_item *it = &job->plan[n++];
		struct imap_fetch_att *sec;

		memset(it, 0, sizeof(*it));
		it->kind = FX_ATT;
		it->att = a;
		switch (a->item) {
		case IMAP_FETCH_RFC822:
		case IMAP_FETCH_RFC822_HEADER:
		case IMAP_FETCH_RFC822_TEXT:
			/* RFC 9051 6.4.5: BODY[], BODY.PEEK[HEADER], BODY[TEXT]. */
			sec = arena_alloc(cmd->arena, sizeof(*sec));
			memset(sec, 0, sizeof(*sec));
			sec->item = IMAP_FETCH_BODY_SECTION;
			sec->peek = a->item == IMAP_FETCH_RFC822_HEADER;
			sec->text = a->item == IMAP_FETCH_RFC822 ? IMAP_SECTION_NONE
				    : a->item == IMAP_FETCH_RFC822_HEADER
					? IMAP_SECTION_HEADER
					: IMAP_SECTION_TEXT;
			it->sec = sec;
			it->name = a->item == IMAP_FETCH_RFC822 ? "RFC822"
				   : a->item == IMAP_FETCH_RFC822_HEADER
				       ? "RFC822.HEADER"
				       : "RFC822.TEXT";
			break;
		case IMAP_FETCH_BODY_SECTION:
		case IMAP_FETCH_BINARY:
		case IMAP_FETCH_BINARY_SIZE:
			it->sec = a;
			break;
		case IMAP_FETCH_ENVELOPE:
		case IMAP_FETCH_BODY:
		case IMAP_FETCH_BODYSTRUCTURE:
			job->need_summary = true;
			job->need_data = true;
			break;
		case IMAP_FETCH_INTERNALDATE:
		case IMAP_FETCH_RFC822_SIZE:
			job->need_data = true;
			break;
		default:
			break;
		}
		if (it->sec != NULL) {
			job->need_data = job->need_file = true;
			if (!it->sec->peek &&
			    it->sec->item != IMAP_FETCH_BINARY_SIZE)
				job->want_seen = true;
		}
	}
	if (job->want_seen && !job->readonly && !has_flags) {
		memset(&job->plan[n], 0, sizeof(job->plan[n]));
		job->plan[n++].kind = FX_FLAGS_SEEN;
	}
	/* RFC 7162 3.1.4.1 (CHANGEDSINCE) and 3.1.5 (a flag change seen by a
	   CONDSTORE-enabled client carries its MODSEQ). */
	if (!has_modseq && (job->f.changedsince_given ||
			    (job->want_seen &&
			     (job->s->enabled & IMAP_EN_CONDSTORE)))) {
		memset(&job->plan[n], 0, sizeof(job->plan[n]));
		job->plan[n++].kind = FX_MODSEQ;
	}
	job->nplan = n;
}

static int
fx_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
imap_cmd_fetch(struct imap_session *s, struct imap_cmd *cmd)
{
	struct imap_view *v = s->view;
	struct fx_job *job = xcalloc(1, sizeof(*job));
	const struct imap_fetch_att *a;
	const char *err = NULL;
	size_t i, k;

	job->s = s;
	job->store = s->srv->store;
	job->mailbox_id = v->mailbox_id;
	job->readonly = v->readonly;
	if (imap_fetch_parse(cmd, &job->f, &err) < 0) {
		free(job);
		imap_cmd_bad(s, NULL, err);
		return;
	}
	/* RFC 7162 3.2.6: VANISHED only once QRESYNC is enabled. */
	if (job->f.vanished && !(s->enabled & IMAP_EN_QRESYNC)) {
		free(job);
		imap_cmd_bad(s, "CLIENTBUG", "VANISHED needs ENABLE QRESYNC");
		return;
	}
	/* RFC 7162 3.1: CHANGEDSINCE and MODSEQ turn CONDSTORE on. */
	for (a = job->f.atts; a != NULL; a = a->next)
		if (a->item == IMAP_FETCH_MODSEQ)
			s->enabled |= IMAP_EN_CONDSTORE;
	if (job->f.changedsince_given)
		s->enabled |= IMAP_EN_CONDSTORE;
	if (imap_view_resolve(s, &job->f.set, cmd->uid, &job->idx, &job->n,
			      &err) < 0) {
		free(job);
		imap_cmd_bad(s, NULL, err);
		return;
	}
	if (job->f.changedsince_given) {
		for (i = 0, k = 0; i < job->n; i++)
			if (v->msgs[job->idx[i]].modseq > job->f.changedsince)
				job->idx[k++] = job->idx[i];
		job->n = k;
	}
	if (job->f.vanished) {
		if (job->f.set.saved) {
			job->nsaved = s->saved_valid ? s->n_saved : 0;
			job->saved = xcalloc(job->nsaved + 1, sizeof(uint32_t));
			if (job->nsaved > 0)
				memcpy(job->saved, s->saved_uids,
				       job->nsaved * sizeof(uint32_t));
			qsort(job->saved, job->nsaved, sizeof(uint32_t),
			      fx_cmp_u32);
		} else {
			imap_seqset_resolve(&job->f.set,
					    v->uidnext > 0 ? v->uidnext - 1 : 0,
					    cmd->arena, &job->uidset);
		}
	}
	fx_plan(job, cmd);
	s->pending = true;
	imap_session_busy(s);
	if (fx_next_batch(job)) {
		job->wm = 0;
		job->wi = -1;
		fx_pump(job);
	}
}

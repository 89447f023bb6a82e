/* smtp_tx.c: message data (DATA and BDAT), trace headers, and delivery. */
/* SPDX-License-Identifier: MIT */
#include "smtp/smtp_session.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "conn.h"
#include "limits.h"
#include "log.h"
#include "mime/mime_summary.h"
#include "queue/queue.h"
#include "smtp/smtp_notify.h"
#include "smtp/smtp_submit.h"
#include "store/store.h"
#include "tls.h"
#include "xalloc.h"

/* What the submission needs, kept alive until it calls back. */
struct smtp_tx_job {
	struct smtp_session *s;
	struct smtp_submit sub;
	struct smtp_submit_rcpt *rcpts;
	uint64_t size;
	char id[17];
};

void
smtp_tx_free(struct smtp_tx *tx)
{
	if (tx->blob != NULL)
		store_blob_abort(&tx->blob);
	if (tx->mime != NULL)
		mime_summary_free(&tx->mime);
	buf_deinit(&tx->out);
	buf_deinit(&tx->hold);
	buf_deinit(&tx->dsn_hdr);
}

/* RFC 5322 3.3 date-time in UTC. */
static void
smtp_tx_date(char *out, size_t outlen, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outlen, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

/* Append bytes to the message file and the MIME summary. */
static void
smtp_tx_emit(struct smtp_tx *tx, const void *data, size_t n)
{
	if (tx->too_big || tx->write_failed || n == 0)
		return;
	if (store_blob_write(tx->blob, data, n) < 0) {
		tx->write_failed = true;
		return;
	}
	mime_summary_feed(tx->mime, data, n);
	if (n >= 2) {
		memcpy(tx->tail, (const uint8_t *)data + n - 2, 2);
	} else {
		tx->tail[0] = tx->tail[1];
		tx->tail[1] = *(const uint8_t *)data;
	}
}

static void
smtp_tx_emit_str(struct smtp_tx *tx, const char *s)
{
	smtp_tx_emit(tx, s, strlen(s));
}

/* RFC 3848 protocol names for the Received "with" clause. */
static const char *
smtp_tx_protocol(const struct smtp_session *s)
{
	if (!s->esmtp)
		return "SMTP";
	if (s->tls)
		return s->auth_user != NULL ? "ESMTPSA" : "ESMTPS";
	return s->auth_user != NULL ? "ESMTPA" : "ESMTP";
}

/* RFC 5321 4.4: Return-Path and Received go first. */
static void
smtp_tx_trace(struct smtp_session *s)
{
	struct smtp_tx *tx = s->tx;
	struct buf b;
	char date[64];

	buf_init(&b, 0);
	smtp_tx_date(date, sizeof(date), time(NULL));
	buf_printf(&b, "Return-Path: <%s>\r\n",
		   tx->mail.path.is_null ? "" : tx->mail.path.addr);
	buf_printf(&b, "Received: from %s ([%s])\r\n", s->helo, s->peer_ip);
	if (s->tls && s->c != NULL && s->c->ssl != NULL)
		buf_printf(&b, "\t(using %s with cipher %s)\r\n",
			   tls_version(s->c->ssl), tls_cipher(s->c->ssl));
	buf_printf(&b, "\tby %s (buzon) with %s id %s\r\n",
		   s->srv->cfg->hostname, smtp_tx_protocol(s), tx->id);
	/* Name the recipient only when there is one (RFC 5321 7.2). */
	if (tx->n_rcpts == 1 && tx->rcpts != NULL && tx->rcpts->next == NULL)
		buf_printf(&b, "\tfor <%s>; %s\r\n", tx->rcpts->addr, date);
	else
		buf_printf(&b, "\t; %s\r\n", date);
	smtp_tx_emit(tx, buf_rptr(&b), buf_len(&b));
	buf_deinit(&b);
}

static bool
smtp_tx_begin(struct smtp_session *s)
{
	struct smtp_tx *tx = s->tx;
	const char *error;
	uint64_t r;

	if ((tx->blob = store_blob_new(s->srv->store, &error)) == NULL) {
		log_error("%016llx smtp cannot store message: %s",
			  (unsigned long long)s->id, error);
		smtp_reply(s, 451, "4.3.0",
			   "Local error in processing, try again later");
		return false;
	}
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint64_t)time(NULL) ^ (s->id << 20);
	snprintf(tx->id, sizeof(tx->id), "%016" PRIX64, r);
	tx->mime = mime_summary_new(NULL);
	buf_init(&tx->out, 0);
	buf_init(&tx->hold, MIME_HEADER_BYTES_MAX);
	buf_init(&tx->dsn_hdr, MIME_HEADER_BYTES_MAX);
	smtp_data_init(&tx->data);
	memset(&tx->bare, 0, sizeof(tx->bare));
	tx->data_started = true;
	smtp_tx_trace(s);
	return true;
}

/* Header facts the session needs before the body is written. */
struct smtp_hdr_facts {
	unsigned received;
	bool date, message_id;
	size_t end; /* offset just past the last header line's CRLF */
};

static bool
smtp_tx_hdr_is(const uint8_t *p, size_t n, const char *name)
{
	size_t k = strlen(name);

	return n > k && strncasecmp((const char *)p, name, k) == 0 &&
	       p[k] == ':';
}

static void
smtp_tx_scan_headers(const uint8_t *p, size_t n, struct smtp_hdr_facts *f)
{
	size_t i = 0;

	memset(f, 0, sizeof(*f));
	while (i < n) {
		const uint8_t *lf = memchr(p + i, '\n', n - i);
		size_t len = lf != NULL ? (size_t)(lf - (p + i)) + 1 : n - i;

		if (len <= 2 && p[i] == '\r')
			break; /* the empty line */
		if (p[i] != ' ' && p[i] != '\t') {
			if (smtp_tx_hdr_is(p + i, len, "Received"))
				f->received++;
			else if (smtp_tx_hdr_is(p + i, len, "Date"))
				f->date = true;
			else if (smtp_tx_hdr_is(p + i, len, "Message-ID"))
				f->message_id = true;
		}
		i += len;
	}
	f->end = i;
}

/* The header section is complete in tx->hold (or the message ended):
   check it, add what submission must add, write everything held. */
static void
smtp_tx_release_headers(struct smtp_session *s)
{
	struct smtp_tx *tx = s->tx;
	const uint8_t *p = buf_rptr(&tx->hold);
	size_t n = buf_len(&tx->hold);
	struct smtp_hdr_facts f;

	smtp_tx_scan_headers(p, n, &f);
	tx->headers_done = true;
	tx->hops = f.received;
	if (smtp_notify_wanted(tx))
		(void)buf_append(&tx->dsn_hdr, p, f.end);
	smtp_tx_emit(tx, p, f.end);
	if (smtp_session_is_submission(s) && (!f.date || !f.message_id)) {
		char line[400], date[64];

		if (f.end > 0 && p[f.end - 1] != '\n')
			smtp_tx_emit_str(tx, "\r\n");
		if (!f.date) {
			smtp_tx_date(date, sizeof(date), time(NULL));
			snprintf(line, sizeof(line), "Date: %s\r\n", date);
			smtp_tx_emit_str(tx, line);
		}
		if (!f.message_id) {
			snprintf(line, sizeof(line), "Message-ID: <%s.%lld@%s>\r\n",
				 tx->id, (long long)time(NULL),
				 s->srv->cfg->hostname);
			smtp_tx_emit_str(tx, line);
		}
	}
	smtp_tx_emit(tx, p + f.end, n - f.end);
	buf_deinit(&tx->hold);
}

/* Decoded message bytes: hold the header section, then stream. */
static void
smtp_tx_body(struct smtp_session *s, const uint8_t *p, size_t n)
{
	struct smtp_tx *tx = s->tx;
	uint64_t max = s->srv->cfg->smtp_max_message_size;

	tx->octets += n;
	if (tx->octets > max) {
		tx->too_big = true;
		return;
	}
	if (tx->headers_done) {
		smtp_tx_emit(tx, p, n);
		return;
	}
	if (buf_append(&tx->hold, p, n) < 0) {
		/* A header section this large is not inspected further. */
		smtp_tx_release_headers(s);
		smtp_tx_emit(tx, p, n);
		return;
	}
	{
		const uint8_t *h = buf_rptr(&tx->hold);
		size_t hl = buf_len(&tx->hold);

		/* Empty line: at the start, or CRLF CRLF anywhere. */
		if ((hl >= 2 && h[0] == '\r' && h[1] == '\n') ||
		    memmem(h, hl, "\r\n\r\n", 4) != NULL)
			smtp_tx_release_headers(s);
	}
}

static void
smtp_tx_delivered(void *arg, int ok, const char *error, size_t n_local,
		  size_t n_remote)
{
	struct smtp_tx_job *j = arg;
	struct smtp_session *s = j->s;

	if (ok)
		log_info("%016llx smtp accepted id=%s from=<%s> rcpts=%u "
			 "size=%llu",
			 (unsigned long long)s->id, j->id, j->sub.sender,
			 s->tx != NULL ? s->tx->n_rcpts : 0,
			 (unsigned long long)j->size);
	else
		log_error("%016llx smtp delivery failed id=%s error=\"%s\"",
			  (unsigned long long)s->id, j->id, error);
	(void)n_local;
	(void)n_remote;
	free(j->rcpts);
	/* The session may be gone (s->c NULL) but tx is intact until
	   smtp_session_job_done(): the sender gets its DSN either way. */
	if (ok)
		smtp_notify_delivered(s, j->id);
	if (!smtp_session_job_done(s)) {
		free(j);
		return;
	}
	if (s->c != NULL) {
		conn_cork(s->c);
		if (ok)
			smtp_reply(s, 250, "2.0.0", "Ok: queued as %s", j->id);
		else
			smtp_reply(s, 451, "4.3.0",
				   "Local error in processing, try again later");
		conn_uncork(s->c);
	}
	free(j);
	smtp_session_reset_tx(s);
	smtp_session_resume(s);
}

/* The message is complete: reply now (refusals) or deliver. */
static void
smtp_tx_finish(struct smtp_session *s, bool bare)
{
	struct smtp_tx *tx = s->tx;
	struct smtp_tx_job *j;
	struct mime_msg_info info;
	struct smtp_rcpt *rc;
	size_t n = 0;

	s->mode = SMTP_MODE_CMD;
	if (bare) {
		/* SMTP smuggling defence: only CRLF ends lines. */
		log_info("%016llx smtp rejected reason=bare-cr-lf",
			 (unsigned long long)s->id);
		smtp_reply(s, 550, "5.6.0",
			   "Message contains bare CR or LF characters; "
			   "refused (only CRLF ends a line)");
		smtp_session_reset_tx(s);
		return;
	}
	if (tx->too_big) {
		smtp_reply(s, 552, "5.3.4",
			   "Message size exceeds fixed limit of %llu octets",
			   (unsigned long long)s->srv->cfg->smtp_max_message_size);
		smtp_session_reset_tx(s);
		return;
	}
	if (!tx->headers_done)
		smtp_tx_release_headers(s);
	/* A BDAT message may end without a line end (DATA cannot): store
	   it with one, so that every reader (POP3 sizes and RETR framing,
	   IMAP, the relay's <CRLF>.<CRLF>) sees whole CRLF lines. */
	if (memcmp(tx->tail, "\r\n", 2) != 0)
		smtp_tx_emit_str(tx, "\r\n");
	if (tx->write_failed) {
		log_error("%016llx smtp message write failed: %s",
			  (unsigned long long)s->id, strerror(errno));
		smtp_reply(s, 451, "4.3.0",
			   "Local error in processing, try again later");
		smtp_session_reset_tx(s);
		return;
	}
	if (tx->hops > SMTP_RECEIVED_MAX) {
		/* RFC 5321 6.3: a mail loop */
		smtp_reply(s, 554, "5.4.6",
			   "Too many hops (%u Received headers): mail loop?",
			   tx->hops);
		smtp_session_reset_tx(s);
		return;
	}
	j = xzalloc(sizeof(*j));
	j->s = s;
	memcpy(j->id, tx->id, sizeof(j->id));
	if (mime_summary_finish(tx->mime, &info) < 0)
		memset(&info, 0, sizeof(info));
	j->rcpts = xcalloc(tx->n_local + tx->n_remote + 1, sizeof(*j->rcpts));
	for (rc = tx->rcpts; rc != NULL; rc = rc->next) {
		j->rcpts[n].account_id = rc->account_id;
		j->rcpts[n].remote = rc->remote;
		j->rcpts[n].orcpt = rc->orcpt;
		j->rcpts[n].notify = rc->notify;
		n++;
	}
	j->size = store_blob_size(tx->blob);
	j->sub.sender = tx->mail.path.is_null ? "" : tx->mail.path.addr;
	j->sub.rcpts = j->rcpts;
	j->sub.n_rcpts = n;
	j->sub.dsn_envid = tx->mail.envid;
	j->sub.dsn_ret = tx->mail.ret;
	j->sub.queue = s->srv->queue;
	smtp_session_busy(s);
	/* the store owns the blob from here on */
	smtp_submit_blob(s->srv->store, &j->sub, tx->blob, &info,
			 smtp_tx_delivered, j);
	tx->blob = NULL;
}

void
smtp_tx_data(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	if (cmd->args_len != 0) {
		smtp_reply(s, 501, "5.5.4", "Syntax: DATA");
		smtp_session_error(s);
		return;
	}
	if (s->tx->data_started) {
		/* RFC 3030 2: no DATA after BDAT in one transaction */
		smtp_reply(s, 503, "5.5.1", "DATA not allowed after BDAT");
		smtp_session_error(s);
		return;
	}
	/* RFC 2920 3.1: DATA ends a pipelined group; a client that sends
	   the message before 354 is a smuggling or spam engine. */
	if (s->auth_user == NULL && buf_len(&s->c->in) > 0) {
		log_info("%016llx smtp disconnect ip=%s reason=pipelining-past-data",
			 (unsigned long long)s->id, s->peer_ip);
		buf_reset(&s->c->in);
		smtp_reply_close(s, 554, "5.5.0",
				 "Protocol error: data sent before the 354 reply");
		return;
	}
	if (!smtp_tx_begin(s))
		return;
	s->mode = SMTP_MODE_DATA;
	smtp_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
}

bool
smtp_tx_bdat_args(const char *args, uint64_t *size_r, bool *last_r)
{
	const char *p = args;
	unsigned long long size;
	char *e;

	/* RFC 3030 2: bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] */
	if (!isdigit((unsigned char)*p) || strlen(p) > 30)
		return false;
	errno = 0;
	size = strtoull(p, &e, 10);
	if (errno != 0 || e - p > 20)
		return false;
	if (*e == ' ') {
		if (strcasecmp(e + 1, "LAST") != 0)
			return false;
		*last_r = true;
	} else if (*e != '\0') {
		return false;
	} else {
		*last_r = false;
	}
	*size_r = size;
	return true;
}

void
smtp_tx_bdat(struct smtp_session *s, const struct smtp_cmd *cmd)
{
	struct smtp_tx *tx = s->tx;
	uint64_t size;
	bool last;

	if (!smtp_tx_bdat_args(cmd->args, &size, &last)) {
		smtp_reply(s, 501, "5.5.4", "Syntax: BDAT size [LAST]");
		smtp_session_error(s);
		return;
	}
	if (!tx->data_started && !smtp_tx_begin(s)) {
		/* RFC 3030 2: the chunk must still be read and dropped. */
		tx->bdat_failed = true;
	}
	tx->bdat_left = size;
	tx->bdat_last = last;
	s->mode = SMTP_MODE_BDAT;
	if (size == 0)
		smtp_tx_input(s, NULL, 0);
}

/* One BDAT chunk has been read completely. */
static void
smtp_tx_chunk_done(struct smtp_session *s)
{
	struct smtp_tx *tx = s->tx;

	if (tx->bdat_failed) {
		s->mode = SMTP_MODE_CMD;
		smtp_reply(s, 451, "4.3.0",
			   "Local error in processing, try again later");
		smtp_session_reset_tx(s);
		return;
	}
	if (!tx->bdat_last) {
		s->mode = SMTP_MODE_CMD;
		if (tx->too_big) {
			/* RFC 3030 2: a failed chunk ends the transaction */
			smtp_tx_finish(s, false);
			return;
		}
		smtp_reply(s, 250, "2.0.0", "%llu octets received",
			   (unsigned long long)tx->octets);
		return;
	}
	smtp_bare_scan_finish(&tx->bare);
	smtp_tx_finish(s, tx->bare.bare_cr + tx->bare.bare_lf > 0);
}

size_t
smtp_tx_input(struct smtp_session *s, const uint8_t *p, size_t n)
{
	struct smtp_tx *tx = s->tx;
	size_t used;

	if (s->mode == SMTP_MODE_BDAT) {
		used = n < tx->bdat_left ? n : (size_t)tx->bdat_left;
		if (!tx->bdat_failed) {
			smtp_data_scan_bare(&tx->bare, p, used);
			smtp_tx_body(s, p, used);
		}
		tx->bdat_left -= used;
		if (tx->bdat_left == 0)
			smtp_tx_chunk_done(s);
		return used;
	}
	/* DATA: decode dot-stuffing and find <CRLF>.<CRLF> */
	tx->data.discard = tx->too_big;
	used = smtp_data_decode(&tx->data, p, n, &tx->out);
	if (buf_len(&tx->out) > 0) {
		smtp_tx_body(s, buf_rptr(&tx->out), buf_len(&tx->out));
		buf_reset(&tx->out);
	}
	if (tx->data.done)
		smtp_tx_finish(s, tx->data.bare_cr + tx->data.bare_lf > 0);
	return used;
}

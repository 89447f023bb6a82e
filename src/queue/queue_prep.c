/* queue_prep.c: look at a queued message before sending it: loops, 8-bit
   data, DKIM signatures (runs on a worker thread). */
/* SPDX-License-Identifier: MIT */
#include "queue/queue_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dkim/dkim_sign.h"
#include "log.h"
#include "xalloc.h"

/* The whole file, or NULL (errno set). */
static uint8_t *
queue_prep_read(const char *path, size_t *len_r)
{
	struct stat st;
	uint8_t *data;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return NULL;
	}
	data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, data + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len_r = got;
	return data;
}

/* Length of the header section including the empty line that ends it. */
static size_t
queue_prep_header_len(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n')
			return i + 2;
		if (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')
			return i + 3;
	}
	return n;
}

/* One DKIM-Signature per key of the domain (RFC 6376 4.2: verifiers
   accept any one valid signature; RSA for old verifiers, Ed25519 for
   new ones, RFC 8463), over the bytes as they will be sent. */
static void
queue_prep_sign(struct queue_msg *m, const char *data_dir,
		const uint8_t *msg, size_t len, size_t hlen)
{
	struct dkim_canon_body *b;
	struct dkim_key *keys = NULL;
	uint8_t bh[DKIM_HASH_LEN];
	const char *error;
	struct buf out;
	int n, i;

	n = dkim_key_load_domain(data_dir, m->sign_domain, &keys, &error);
	if (n <= 0) {
		if (n < 0)
			log_warn("queue id=%lld dkim keys of %s: %s",
				 (long long)m->e.id, m->sign_domain, error);
		return;
	}
	b = dkim_canon_body_new(DKIM_CANON_RELAXED, NULL);
	dkim_canon_body_update(b, msg + hlen, len - hlen);
	dkim_canon_body_final(b, bh);
	dkim_canon_body_free(&b);
	buf_init(&out, 0);
	for (i = 0; i < n; i++) {
		struct dkim_sign_params p = {
		    .domain = m->sign_domain,
		    .key = &keys[i],
		    .timestamp = (int64_t)time(NULL),
		};
		char *sig = dkim_sign(&p, msg, hlen, bh, &error);

		if (sig == NULL) {
			log_warn("queue id=%lld dkim %s/%s: %s",
				 (long long)m->e.id, m->sign_domain,
				 keys[i].selector, error);
			continue;
		}
		buf_append_str(&out, sig);
		free(sig);
	}
	dkim_key_free_all(&keys, (size_t)n);
	if (buf_len(&out) > 0) {
		m->prefix_len = buf_len(&out);
		m->prefix = xmalloc(m->prefix_len);
		memcpy(m->prefix, buf_rptr(&out), m->prefix_len);
	}
	buf_deinit(&out);
}

void
queue_prep(struct queue_msg *m, const char *data_dir)
{
	struct dkim_field f;
	size_t len = 0, hlen, pos = 0, i;
	unsigned received = 0;
	uint8_t *msg;

	if ((msg = queue_prep_read(m->e.blob_path, &len)) == NULL) {
		/* keep the entry (retried; `buzon queue list` shows it) */
		log_error("queue id=%lld %s: %s", (long long)m->e.id,
			  m->e.blob_path, strerror(errno));
		m->perm_error = "the message file cannot be read";
		m->perm_status = "4.3.0";
		return;
	}
	hlen = queue_prep_header_len(msg, len);
	if (dkim_canon_field_next(msg, hlen, &pos, &f) > 0 && f.has_colon &&
	    f.name_len == 11 &&
	    strncasecmp((const char *)f.data, "Return-Path", 11) == 0)
		m->skip = f.len;
	pos = 0;
	while (dkim_canon_field_next(msg, hlen, &pos, &f) > 0)
		if (f.has_colon && f.name_len == 8 &&
		    strncasecmp((const char *)f.data, "Received", 8) == 0)
			received++;
	/* RFC 5321 6.3: a message with too many Received fields is in a
	   loop; it is bounced rather than sent around again. */
	if (received > SMTP_RECEIVED_MAX) {
		m->perm_error = "mail loop: too many Received header fields";
		m->perm_status = "5.4.6";
	}
	for (i = 0; i < len; i++)
		if (msg[i] >= 0x80) {
			m->eightbit = true;
			/* RFC 6532: UTF-8 in the header needs SMTPUTF8 */
			m->smtputf8 = i < hlen;
			break;
		}
	if (m->sign_domain != NULL && m->perm_error == NULL)
		queue_prep_sign(m, data_dir, msg + m->skip, len - m->skip,
				hlen - m->skip);
	free(msg);
}

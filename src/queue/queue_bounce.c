/* queue_bounce.c: build the "failed" and "delayed" DSNs of a queue entry
   (RFC 3461, RFC 3464; runs on a worker thread). */
/* SPDX-License-Identifier: MIT */
#include "queue/queue_int.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "smtp/smtp_dsn.h"
#include "xalloc.h"

/* Up to max bytes of the message file, or just its header section. */
static uint8_t *
queue_bounce_read(const char *path, size_t max, bool headers_only,
		  size_t *len_r)
{
	uint8_t *data = xmalloc(max + 1);
	size_t got = 0, i;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*len_r = 0;
	if (fd < 0)
		return data;
	while (got < max) {
		ssize_t r = read(fd, data + got, max - got);

		if (r <= 0)
			break;
		got += (size_t)r;
		if (headers_only)
			break; /* QUEUE_READ_CHUNK holds ordinary headers */
	}
	close(fd);
	if (headers_only) {
		for (i = 0; i + 1 < got; i++)
			if (data[i] == '\n' &&
			    (data[i + 1] == '\n' ||
			     (data[i + 1] == '\r' && i + 2 < got &&
			      data[i + 2] == '\n'))) {
				got = i + 1;
				break;
			}
	}
	*len_r = got;
	return data;
}

static void
queue_bounce_one(struct queue_msg *m, const char *hostname, bool failed,
		 struct buf *out)
{
	struct smtp_dsn_rcpt *rcpts = xzalloc(m->e.n_rcpts * sizeof(*rcpts));
	bool full = false;
	struct smtp_dsn d;
	char boundary[40], qid[32];
	uint64_t rnd[2];
	size_t i, n = 0, len;
	uint8_t *content;

	for (i = 0; i < m->e.n_rcpts; i++) {
		struct queue_res *r = &m->res[i];

		if (!(failed ? r->dsn_failed : r->dsn_delayed))
			continue;
		rcpts[n].final_rcpt = m->e.rcpts[i].address;
		rcpts[n].orcpt = m->e.rcpts[i].orcpt;
		rcpts[n].action = failed ? "failed" : "delayed";
		rcpts[n].status = r->status;
		rcpts[n].remote_mta = r->mta[0] != '\0' ? r->mta : NULL;
		rcpts[n].diagnostic = r->reply[0] != '\0' ? r->reply : NULL;
		n++;
	}
	if (n == 0) {
		free(rcpts);
		return;
	}
	/* RFC 3461 4.3: RET=HDRS returns the headers only; without RET we
	   return the message like Postfix does, up to a size; a delay
	   notice carries the headers only */
	if (failed && m->e.ret != 2 &&
	    (m->e.ret == 1 || m->e.size <= QUEUE_BOUNCE_FULL_MAX) &&
	    m->e.size <= QUEUE_BOUNCE_FULL_MAX)
		full = true;
	content = queue_bounce_read(m->e.blob_path,
				    full ? (size_t)m->e.size : QUEUE_READ_CHUNK,
				    !full, &len);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd[0] = rnd[1] = (uint64_t)m->e.id ^ (uint64_t)m->now;
	snprintf(boundary, sizeof(boundary), "%016" PRIx64 ".%016" PRIx64,
		 rnd[0], rnd[1]);
	snprintf(qid, sizeof(qid), "Q%lld", (long long)m->e.id);
	memset(&d, 0, sizeof(d));
	d.hostname = hostname;
	d.sender = m->e.sender;
	d.envid = m->e.envid;
	d.queue_id = qid;
	d.arrival = m->e.created;
	d.rcpts = rcpts;
	d.n_rcpts = n;
	d.headers = content;
	d.headers_len = len;
	d.full = full;
	d.boundary = boundary;
	buf_init(out, 0);
	/* RFC 5321 4.4: the final delivery records the (null) return path */
	buf_append_str(out, "Return-Path: <>\r\n");
	if (smtp_dsn_build(&d, out) < 0)
		buf_reset(out);
	free(content);
	free(rcpts);
}

void
queue_bounce_build(struct queue_msg *m, const char *hostname)
{
	queue_bounce_one(m, hostname, true, &m->dsn[0]);
	queue_bounce_one(m, hostname, false, &m->dsn[1]);
}

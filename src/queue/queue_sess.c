/* queue_sess.c: one outbound SMTP connection: connect (each address in
   turn), run the client engine over a conn, send the jobs of its
   destination one after another. */
/* SPDX-License-Identifier: MIT */
#include "queue/queue_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "conn.h"
#include "fileread.h"
#include "ev.h"
#include "log.h"
#include "xalloc.h"

struct queue_sess {
	struct queue_dest *d;
	size_t addr;        /* index into d->addrs being tried */
	int fd;             /* while connecting */
	uint64_t timer;     /* connect timeout */
	struct conn *c;
	struct smtp_client *cl;
	struct queue_job *job; /* in flight */
	bool sent_any;      /* a message was started on this connection */
	bool tls_wait;      /* STARTTLS: waiting for output to drain */
	/* DATA streaming */
	bool sending;
	bool in_data;       /* inside queue_sess_data() */
	/* inside queue_sess_on_chunk() called by fileread: a
	   fileread_next() there only asks for the next chunk after the
	   callback returns */
	bool in_chunk;
	struct fileread *fr; /* the message file (NULL until DATA) */
	uint64_t off;       /* into prefix + message file */
	char err[QUEUE_REPLY_MAX];
};

static void queue_sess_connect(struct queue_sess *s);
static void queue_sess_pump(struct queue_sess *s);

static const char *
queue_sess_host(const struct queue_sess *s)
{
	return s->d->names[s->addr];
}

static void
queue_sess_flush(struct queue_sess *s)
{
	struct buf *o = smtp_client_out(s->cl);
	size_t n = buf_len(o);

	if (n > 0 && s->c != NULL) {
		(void)conn_write(s->c, buf_rptr(o), n);
		buf_consume(o, n);
	}
}

/* The session is over for good: give the remaining queued jobs up when
   this one could not get a single message through. */
static void
queue_sess_end(struct queue_sess *s)
{
	struct queue_dest *d = s->d;

	fileread_free(&s->fr);
	smtp_client_free(&s->cl);
	if (s->job == NULL)
		d->unassigned--;
	free(s);
	queue_dest_session_gone(d);
}

/* conn reaper (on_free) */
static void
queue_sess_free_cb(void *arg)
{
	queue_sess_end(arg);
}

/* Try the next address, or fail the destination's jobs with why. */
static void
queue_sess_next_addr(struct queue_sess *s, int code, const char *enh,
		     const char *why)
{
	if (s->addr + 1 < s->d->naddrs && !s->d->q->stopping) {
		s->addr++;
		queue_sess_connect(s);
		return;
	}
	/* RFC 5321 5.1: every address was tried: the attempt failed */
	queue_dest_fail_all(s->d, code, enh, why, queue_sess_host(s));
	queue_sess_end(s);
}

static void
queue_sess_set_timeout(struct queue_sess *s)
{
	unsigned ms = smtp_client_timeout_ms(smtp_client_phase(s->cl));

	if (smtp_client_phase(s->cl) == SMTP_CLIENT_PH_TLS_HANDSHAKE)
		ms = SMTP_CLIENT_TIMEOUT_CMD_MS;
	conn_set_idle(s->c, ms);
}

/* The message file could not be read: end without the final dot so the
   peer drops the message (it is retried). */
static void
queue_sess_unreadable(struct queue_sess *s, int err)
{
	struct queue_msg *m = s->job->m;

	log_error("queue id=%lld %s: %s", (long long)m->e.id, m->e.blob_path,
		  strerror(err));
	s->sending = false;
	smtp_client_abort(s->cl, "message file unreadable");
}

static void queue_sess_data(struct queue_sess *s);

/* A chunk of the message file (fileread: from the page cache inside
   queue_sess_data(), or later from the pool). */
static void
queue_sess_on_chunk(void *arg, const uint8_t *data, ssize_t n)
{
	struct queue_sess *s = arg;

	if (n < 0) {
		queue_sess_unreadable(s, (int)-n);
	} else if (n == 0) {
		s->sending = false;
		smtp_client_data_end(s->cl);
	} else {
		s->off += (uint64_t)n;
		if (smtp_client_data(s->cl, data, (size_t)n) < 0)
			s->sending = false;
	}
	queue_sess_flush(s);
	if (!s->in_data) {
		s->in_chunk = true;
		queue_sess_data(s);
		s->in_chunk = false;
		queue_sess_pump(s);
	}
}

/* Open the message file past the Return-Path the store prepended. */
static int
queue_sess_open(struct queue_sess *s)
{
	struct queue_msg *m = s->job->m;
	int fd = open(m->e.blob_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (lseek(fd, (off_t)m->skip, SEEK_SET) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	s->fr = fileread_new(s->d->q->pool, fd, QUEUE_READ_CHUNK,
			     queue_sess_on_chunk, s);
	return 0;
}

/* Send message bytes until the socket pushes back or a read goes to the
   pool (the loop never waits on the disk). */
static void
queue_sess_data(struct queue_sess *s)
{
	struct queue_msg *m;

	if (!s->sending || s->job == NULL || s->in_data)
		return;
	m = s->job->m;
	s->in_data = true;
	while (s->sending && s->c != NULL &&
	       buf_len(&s->c->out) < QUEUE_OUT_HIGH) {
		if (s->off < m->prefix_len) {
			if (smtp_client_data(s->cl, m->prefix + s->off,
					     m->prefix_len - s->off) < 0)
				break;
			s->off = m->prefix_len;
			queue_sess_flush(s);
			continue;
		}
		if (s->fr == NULL && queue_sess_open(s) < 0) {
			queue_sess_unreadable(s, errno);
			break;
		}
		if (fileread_busy(s->fr))
			break; /* queue_sess_on_chunk() continues */
		fileread_next(s->fr);
		/* from the chunk callback nothing was read yet: looping
		   would spin (fileread reads on once the callback returns) */
		if (s->in_chunk || (s->fr != NULL && fileread_busy(s->fr)))
			break;
	}
	s->in_data = false;
	queue_sess_flush(s);
}

static void
queue_sess_send_next(struct queue_sess *s)
{
	struct queue_dest *d = s->d;
	struct queue_job *j;
	struct smtp_client_msg msg;

	if (d->q->stopping || (j = queue_dest_pop(d)) == NULL) {
		smtp_client_quit(s->cl);
		return;
	}
	d->unassigned--;
	s->job = j;
	s->sent_any = true;
	memset(&msg, 0, sizeof(msg));
	msg.from = j->m->e.sender;
	msg.rcpts = j->rcpts;
	msg.nrcpt = j->n;
	msg.size = j->m->e.size + j->m->prefix_len - j->m->skip;
	msg.eightbit = j->m->eightbit;
	msg.smtputf8 = j->m->smtputf8;
	msg.ret = j->m->e.ret;
	msg.envid = j->m->e.envid;
	fileread_free(&s->fr);
	s->off = 0;
	smtp_client_send(s->cl, &msg);
}

static void
queue_sess_closed(struct queue_sess *s)
{
	const struct smtp_client_result *f = smtp_client_failure(s->cl);

	queue_sess_flush(s);
	if (f != NULL && !s->sent_any && s->job == NULL) {
		/* greeting, EHLO, STARTTLS or AUTH failed: RFC 5321 5.1
		   says to go on with the next host.  f lives in the
		   client: copy it before the client is freed. */
		int code = f->code;
		char enh[16];

		snprintf(enh, sizeof(enh), "%s", f->enh);
		snprintf(s->err, sizeof(s->err), "%s", f->text);
		log_info("queue dest=%s host=%s session failed: %d %s",
			 s->d->spec.key, queue_sess_host(s), code, s->err);
		conn_close(s->c);
		s->c->on_free = NULL;
		s->c = NULL;
		smtp_client_free(&s->cl);
		queue_sess_next_addr(s, code, enh, s->err);
		return;
	}
	conn_close_after_flush(s->c);
}

static void
queue_sess_pump(struct queue_sess *s)
{
	enum smtp_client_event ev;
	size_t i;

	while (s->cl != NULL && smtp_client_next(s->cl, &ev) > 0) {
		switch (ev) {
		case SMTP_CLIENT_EV_READY:
			queue_sess_send_next(s);
			break;
		case SMTP_CLIENT_EV_START_TLS:
			queue_sess_flush(s);
			s->tls_wait = true;
			conn_pause(s->c);
			if (conn_flush_now(s->c) == 0) {
				s->tls_wait = false;
				if (conn_start_tls_client(s->c, s->d->q->tls,
							  queue_sess_host(s)) < 0)
					smtp_client_abort(s->cl, "TLS setup");
			}
			break;
		case SMTP_CLIENT_EV_DATA:
			s->sending = true;
			queue_sess_data(s);
			break;
		case SMTP_CLIENT_EV_MSG_DONE:
			for (i = 0; i < s->job->n; i++)
				queue_job_result(s->job, i,
						 smtp_client_result(s->cl, i),
						 queue_sess_host(s));
			queue_job_done(s->job);
			s->job = NULL;
			s->d->unassigned++;
			s->sending = false;
			break;
		case SMTP_CLIENT_EV_CLOSED:
			queue_sess_closed(s);
			return;
		}
	}
	if (s->cl != NULL) {
		queue_sess_flush(s);
		queue_sess_set_timeout(s);
	}
}

static void
queue_sess_io(struct conn *c, enum conn_event e, void *arg)
{
	struct queue_sess *s = arg;

	switch (e) {
	case CONN_DATA:
		smtp_client_feed(s->cl, buf_rptr(&c->in), buf_len(&c->in));
		buf_consume(&c->in, buf_len(&c->in));
		break;
	case CONN_DRAINED:
		if (s->tls_wait) {
			s->tls_wait = false;
			if (conn_start_tls_client(c, s->d->q->tls,
						  queue_sess_host(s)) < 0)
				smtp_client_abort(s->cl, "TLS setup");
		} else if (s->sending) {
			queue_sess_data(s);
		}
		break;
	case CONN_TLS_READY:
		conn_resume(c);
		smtp_client_tls_done(s->cl);
		break;
	case CONN_TIMEOUT:
		smtp_client_abort(s->cl, "timeout");
		break;
	case CONN_EOF:
		smtp_client_abort(s->cl, "connection closed by the peer");
		break;
	case CONN_ERROR:
		smtp_client_abort(s->cl, conn_is_tls(c) || c->handshaking
					     ? "TLS or connection error"
					     : "connection error");
		break;
	}
	queue_sess_pump(s);
}

static void
queue_sess_connected(struct queue_sess *s)
{
	struct config *cfg = *s->d->q->cfgp;
	struct smtp_client_cfg cc;
	struct dns_addr *a = &s->d->addrs[s->addr];

	memset(&cc, 0, sizeof(cc));
	cc.helo_name = cfg->hostname;
	cc.tls = SMTP_CLIENT_TLS_OPPORTUNISTIC;
	if (s->d->spec.kind == QUEUE_DEST_SMARTHOST) {
		if (cfg->relay_require_tls)
			cc.tls = SMTP_CLIENT_TLS_REQUIRE;
		cc.auth_user = cfg->relay_smarthost_user;
		cc.auth_pass = cfg->relay_smarthost_password;
	}
	s->cl = smtp_client_new(&cc);
	s->c = conn_new(s->d->q->ev, s->fd, &a->u.sa, a->len, NULL,
			SMTP_REPLY_LINE_MAX * 4, queue_sess_io, s);
	s->fd = -1;
	s->c->on_free = queue_sess_free_cb;
	log_info("%016llx queue connected dest=%s host=%s addr=%s",
		 (unsigned long long)s->c->id, s->d->spec.key,
		 queue_sess_host(s), a->text);
	queue_sess_set_timeout(s);
}

static void
queue_sess_connect_fail(struct queue_sess *s, int err)
{
	char why[QUEUE_REPLY_MAX];

	if (s->fd >= 0) {
		ev_del_fd(s->d->q->ev, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	ev_del_timer(s->d->q->ev, s->timer);
	s->timer = 0;
	snprintf(why, sizeof(why), "connect to %s[%s]:%u: %s",
		 queue_sess_host(s), s->d->addrs[s->addr].text,
		 (unsigned)s->d->spec.port, strerror(err));
	log_info("queue dest=%s %s", s->d->spec.key, why);
	queue_sess_next_addr(s, 451, "4.4.1", why);
}

static void
queue_sess_on_connect(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct queue_sess *s = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		queue_sess_connect_fail(s, err);
		return;
	}
	ev_del_fd(ev, fd);
	ev_del_timer(ev, s->timer);
	s->timer = 0;
	queue_sess_connected(s);
}

static void
queue_sess_on_timeout(struct ev *ev, void *arg)
{
	struct queue_sess *s = arg;

	(void)ev;
	s->timer = 0;
	queue_sess_connect_fail(s, ETIMEDOUT);
}

static void
queue_sess_connect(struct queue_sess *s)
{
	struct queue_dest *d = s->d;
	struct dns_addr *a = &d->addrs[s->addr];
	int one = 1;

	if (a->u.sa.sa_family == AF_INET)
		a->u.in.sin_port = htons(d->spec.port);
	else
		a->u.in6.sin6_port = htons(d->spec.port);
	s->fd = socket(a->u.sa.sa_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		queue_sess_connect_fail(s, errno);
		return;
	}
	/* The end of a message (".") and the next MAIL go out as small
	   writes right after the data: with Nagle they wait for the peer's
	   delayed ACK (40 ms a message on Linux). */
	(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(s->fd, &a->u.sa, a->len) < 0 && errno != EINPROGRESS) {
		queue_sess_connect_fail(s, errno);
		return;
	}
	if (ev_add_fd(d->q->ev, s->fd, EV_WRITE, queue_sess_on_connect, s) <
	    0) {
		queue_sess_connect_fail(s, errno);
		return;
	}
	s->timer = ev_add_timer(d->q->ev, QUEUE_CONNECT_TIMEOUT_MS,
				queue_sess_on_timeout, s);
}

void
queue_sess_start(struct queue_dest *d)
{
	struct queue_sess *s = xzalloc(sizeof(*s));

	s->d = d;
	s->fd = -1;
	d->active++;
	d->unassigned++;
	queue_runner_busy(d->q);
	queue_sess_connect(s);
}

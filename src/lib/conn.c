/* conn.c: non-blocking sockets, plain or TLS, with buffered input/output. */
/* SPDX-License-Identifier: MIT */
#include "conn.h"
#include "ev.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Events reach the owner only from loop-driven code: the fd handler, the
 * idle timer and the "kick" timer (a 0 ms timer for deferred work:
 * re-reporting buffered input after conn_resume(), reading what OpenSSL
 * still holds, reporting an error found inside an API call).  The API
 * functions (conn_write, conn_uncork, ...) never call the callback, so
 * the owner never sees itself re-entered.
 *
 * Interest: the read side wants c->rd_want (EV_READ, or EV_WRITE when a
 * TLS read or handshake needs to send first) while reading is allowed;
 * the write side wants c->wr_want (EV_WRITE, or EV_READ when SSL_write
 * needs input) while output waits for the socket (c->want_write).
 *
 * Lingering close (conn_linger()): once the final output is out, the
 * write side is shut and input is read straight from the socket and
 * dropped (c->lingering); the owner hears nothing more and the conn is
 * reaped at the peer's end of stream or the CONN_LINGER_* bounds.
 *
 * Memory: c->in and c->out own no memory while empty (freed after each
 * flush and after each CONN_DATA that left c->in empty), so an idle
 * connection costs the struct, its epoll slot and a timer.
 */

static struct ev *conn_ev;
static struct conn *conn_reap_list;
static unsigned conn_live;
static uint64_t conn_next_id;

static ssize_t conn_plain_recv(struct conn *c, void *p, size_t n);
static ssize_t conn_plain_send(struct conn *c, const void *p, size_t n);
static ssize_t conn_tls_recv(struct conn *c, void *p, size_t n);
static ssize_t conn_tls_send(struct conn *c, const void *p, size_t n);

static const struct conn_ops conn_plain_ops = {
    .recv = conn_plain_recv,
    .send = conn_plain_send,
};
static const struct conn_ops conn_tls_ops = {
    .recv = conn_tls_recv,
    .send = conn_tls_send,
};

static void conn_kick(struct conn *c);

static ssize_t
conn_plain_recv(struct conn *c, void *p, size_t n)
{
	return recv(c->fd, p, n, 0);
}

static ssize_t
conn_plain_send(struct conn *c, const void *p, size_t n)
{
	return send(c->fd, p, n, MSG_NOSIGNAL);
}

/* The text of the first queued OpenSSL error (empty queue: errno text). */
static const char *
conn_ssl_error(char *out, size_t outlen, int saved_errno)
{
	unsigned long e = ERR_peek_error();

	if (e != 0)
		ERR_error_string_n(e, out, outlen);
	else
		snprintf(out, outlen, "%s",
			 saved_errno ? strerror(saved_errno) : "eof");
	ERR_clear_error();
	return out;
}

/* Map an SSL_read/SSL_write/SSL_do_handshake result r <= 0 to errno and
   the readiness it waits for (stored in *want_r). */
static ssize_t
conn_tls_fail(struct conn *c, int r, unsigned *want_r)
{
	int saved = errno;
	char err[160];

	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		*want_r = EV_READ;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want_r = EV_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		/* close_notify from the peer */
		errno = EPIPE;
		return 0;
	case SSL_ERROR_SYSCALL:
		errno = saved != 0 ? saved : ECONNRESET;
		break;
	default:
		errno = EPROTO;
		break;
	}
	log_debug("%016llx tls error=\"%s\"", (unsigned long long)c->id,
		  conn_ssl_error(err, sizeof(err), saved));
	ERR_clear_error();
	return -1;
}

static ssize_t
conn_tls_recv(struct conn *c, void *p, size_t n)
{
	int r, len = n > INT32_MAX ? INT32_MAX : (int)n;
	unsigned want = EV_READ;
	ssize_t rc;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_read(c->ssl, p, len)) > 0) {
		c->rd_want = EV_READ;
		return r;
	}
	rc = conn_tls_fail(c, r, &want);
	c->rd_want = want & 3;
	return rc;
}

static ssize_t
conn_tls_send(struct conn *c, const void *p, size_t n)
{
	int r, len = n > INT32_MAX ? INT32_MAX : (int)n;
	unsigned want = EV_WRITE;
	ssize_t rc;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_write(c->ssl, p, len)) > 0) {
		c->wr_want = EV_WRITE;
		return r;
	}
	rc = conn_tls_fail(c, r, &want);
	c->wr_want = want & 3;
	if (rc == 0) {
		/* the peer closed the TLS session: writing is an error */
		errno = EPIPE;
		rc = -1;
	}
	return rc;
}

/* ---- module ---- */

static void
conn_before_sleep(struct ev *ev, void *arg)
{
	(void)ev;
	(void)arg;
	conn_reap();
}

void
conn_module_init(struct ev *ev)
{
	uint64_t seed = 0;

	conn_ev = ev;
	ev_set_before_sleep(ev, conn_before_sleep, NULL);
	/* ids differ between runs so log lines of two runs never mix; the
	   low half counts, so they stay unique within a run */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint64_t)getpid() << 40;
	conn_next_id = seed & 0xffffffff00000000ull;
}

unsigned
conn_count(void)
{
	return conn_live;
}

void
conn_reap(void)
{
	struct conn *c;

	/* on_free may close other conns: they join the list and are reaped
	   in this same call */
	while ((c = conn_reap_list) != NULL) {
		conn_reap_list = c->reap_next;
		if (c->on_free != NULL)
			c->on_free(c->arg);
		if (c->ssl != NULL) {
			if (c->graceful && !c->handshaking) {
				/* best effort close_notify; never waits */
				ERR_clear_error();
				(void)SSL_shutdown(c->ssl);
				ERR_clear_error();
			}
			SSL_free(c->ssl);
		}
		close(c->fd);
		buf_deinit(&c->in);
		buf_deinit(&c->out);
		free(c);
		conn_live--;
	}
}

/* ---- interest and events ---- */

/* Reading new input is allowed (after the handshake). */
static bool
conn_reading(const struct conn *c)
{
	return !c->closing && !c->failed && !c->handshaking && !c->paused &&
	       !c->eof && !c->close_after_flush;
}

static bool
conn_in_full(const struct conn *c)
{
	return c->in.max != 0 && buf_len(&c->in) >= c->in.max;
}

static void
conn_update_mask(struct conn *c)
{
	unsigned m = 0;

	if (c->closing || !c->registered)
		return;
	if (c->lingering) {
		m = EV_READ; /* the raw socket: see conn_linger_start() */
	} else if (!c->failed) {
		if (c->handshaking || (conn_reading(c) && !conn_in_full(c)))
			m |= c->rd_want;
		if (c->want_write && buf_len(&c->out) > 0)
			m |= c->wr_want;
	}
	if (m == c->mask)
		return;
	if (ev_mod_fd(c->ev, c->fd, m) < 0) {
		log_error("%016llx epoll_ctl failed: %s",
			  (unsigned long long)c->id, strerror(errno));
		c->failed = true;
		conn_kick(c);
		return;
	}
	c->mask = m;
}

static void
conn_emit(struct conn *c, enum conn_event e)
{
	if (c->closing)
		return;
	ASSERT(!c->in_cb);
	c->in_cb = true;
	c->cb(c, e, c->arg);
	c->in_cb = false;
}

/* The conn is unusable: drop output, stop I/O and report CONN_ERROR from
   the loop (never from inside an API call). */
static void
conn_fail(struct conn *c, const char *what)
{
	if (c->closing || c->failed)
		return;
	log_debug("%016llx conn %s failed: %s", (unsigned long long)c->id,
		  what, strerror(errno));
	c->failed = true;
	c->want_write = false;
	buf_deinit(&c->out);
	conn_update_mask(c);
	conn_kick(c);
}

/* Write c->out until empty or the socket is full.  0: empty (memory
   released), 1: bytes remain and c->want_write is set, -1: failed. */
static int
conn_flush(struct conn *c)
{
	while (buf_len(&c->out) > 0) {
		ssize_t n = c->ops->send(c, buf_rptr(&c->out), buf_len(&c->out));

		if (n > 0) {
			buf_consume(&c->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			c->want_write = true;
			return 1;
		}
		conn_fail(c, "write");
		return -1;
	}
	buf_deinit(&c->out);
	return 0;
}

/* Lingering: read and drop what the peer still sends, straight from the
   socket (after close_notify nothing more of the TLS stream matters),
   at most CONN_READ_BURST_MAX per call; close at its end of stream, on
   an error, or past CONN_LINGER_BYTES_MAX. */
static void
conn_linger_read(struct conn *c)
{
	uint8_t sink[16384];
	size_t got = 0;
	bool end = false;

	while (got < CONN_READ_BURST_MAX) {
		ssize_t n = recv(c->fd, sink, sizeof(sink), 0);

		if (n > 0) {
			got += (size_t)n;
			c->linger_bytes += (size_t)n;
			if ((end = c->linger_bytes >= CONN_LINGER_BYTES_MAX))
				break;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			/* EAGAIN: wait for more; else end of stream or error */
			end = !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
			break;
		}
	}
	if (got > 0)
		c->last_read_ms = ev_now_ms(c->ev);
	if (!end)
		return;
	log_debug("%016llx conn linger done dropped=%llu",
		  (unsigned long long)c->id,
		  (unsigned long long)c->linger_bytes);
	conn_close(c);
}

/* The lingering timer: close after CONN_LINGER_TIMEOUT_MS without input
   or at linger_end_ms, whichever comes first. */
static void
conn_on_linger_timer(struct ev *ev, void *arg)
{
	struct conn *c = arg;
	uint64_t now = ev_now_ms(ev), quiet_end, next;

	c->timer = 0;
	if (c->closing)
		return;
	quiet_end = c->last_read_ms + CONN_LINGER_TIMEOUT_MS;
	next = quiet_end < c->linger_end_ms ? quiet_end : c->linger_end_ms;
	if (now >= next) {
		log_debug("%016llx conn linger timeout dropped=%llu",
			  (unsigned long long)c->id,
			  (unsigned long long)c->linger_bytes);
		conn_close(c);
		return;
	}
	c->timer = ev_add_timer(ev, next - now, conn_on_linger_timer, c);
}

/* RFC 9112 9.6: "servers typically close a connection in stages": a
   half-close (the write side), reading until the client's close or until
   the reply has surely been received, then the full close.  On TLS the
   close_notify alert goes out before the TCP FIN.  The conn is closed
   here when the half-close fails. */
static void
conn_linger_start(struct conn *c)
{
	uint64_t now = ev_now_ms(c->ev);

	if (c->ssl != NULL) {
		/* best effort, never waits: all output before it has been
		   sent, so the socket has room for the alert */
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	if (shutdown(c->fd, SHUT_WR) < 0) {
		conn_close(c); /* not graceful: close_notify was tried */
		return;
	}
	c->lingering = true;
	c->linger_bytes = 0;
	c->linger_end_ms = now + CONN_LINGER_TIME_MS;
	c->last_read_ms = now;
	c->want_write = false;
	ev_del_timer(c->ev, c->timer);
	c->timer = ev_add_timer(c->ev, CONN_LINGER_TIMEOUT_MS,
				conn_on_linger_timer, c);
	conn_update_mask(c);
	/* input may already wait in the socket */
	conn_linger_read(c);
}

/* Final output is out: close, sending close_notify on TLS, lingering
   first when asked to (conn_linger()). */
static void
conn_close_graceful(struct conn *c)
{
	if (c->linger && !c->eof && !c->handshaking && c->registered) {
		conn_linger_start(c);
		return;
	}
	c->graceful = true;
	conn_close(c);
}

/* Read what is available (bounded per call for fairness) and report it
   as one CONN_DATA; report_anyway re-reports input already buffered. */
static void
conn_do_read(struct conn *c, bool report_anyway)
{
	size_t got = 0;
	bool eof = false, err = false;

	while (conn_reading(c) && !conn_in_full(c) && got < CONN_READ_BURST_MAX) {
		size_t len = buf_len(&c->in), room = c->in.cap - c->in.wpos;
		uint8_t *p;
		ssize_t n;

		if (room < CONN_READ_MIN)
			room = CONN_READ_CHUNK;
		if (c->in.max != 0 && room > c->in.max - len)
			room = c->in.max - len;
		p = buf_reserve(&c->in, room);
		ASSERT(p != NULL);
		n = c->ops->recv(c, p, room);
		if (n > 0) {
			buf_commit(&c->in, (size_t)n);
			got += (size_t)n;
			/* a short plain read drained the socket; OpenSSL
			   returns one record at a time, so ask it */
			if ((size_t)n < room &&
			    (c->ssl == NULL || SSL_pending(c->ssl) == 0))
				break;
			continue;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			err = true;
		break;
	}
	if (got > 0)
		c->last_read_ms = ev_now_ms(c->ev);
	if (eof)
		c->eof = true;
	if (got > 0 || (report_anyway && buf_len(&c->in) > 0))
		conn_emit(c, CONN_DATA);
	if (c->closing || c->lingering)
		return;
	if (buf_len(&c->in) == 0 && !c->paused)
		buf_deinit(&c->in);
	if (eof)
		conn_emit(c, CONN_EOF);
	else if (err)
		conn_fail(c, "read");
	else if (conn_reading(c) && !conn_in_full(c) && c->ssl != NULL &&
		 SSL_pending(c->ssl) > 0)
		/* decrypted bytes wait inside OpenSSL, where epoll cannot
		   see them */
		conn_kick(c);
}

static void
conn_handshake(struct conn *c)
{
	unsigned want = EV_READ;
	int r;

	ERR_clear_error();
	errno = 0;
	if ((r = SSL_do_handshake(c->ssl)) == 1) {
		c->handshaking = false;
		c->rd_want = EV_READ;
		c->last_read_ms = ev_now_ms(c->ev);
		conn_emit(c, CONN_TLS_READY);
		return;
	}
	if (conn_tls_fail(c, r, &want) < 0 && errno == EAGAIN) {
		c->rd_want = want & 3;
		return;
	}
	log_info("%016llx tls handshake failed ip=%s",
		 (unsigned long long)c->id, c->peer_ip);
	if (errno == EAGAIN)
		errno = EPROTO;
	conn_fail(c, "tls handshake");
}

/* Output waited for the socket; write it and report CONN_DRAINED. */
static void
conn_on_writable(struct conn *c)
{
	if (conn_flush(c) != 0)
		return;
	c->want_write = false;
	if (c->close_after_flush)
		conn_close_graceful(c);
	else
		conn_emit(c, CONN_DRAINED);
}

static void
conn_on_io(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct conn *c = arg;

	(void)ev;
	(void)fd;
	if (c->closing || c->failed)
		return;
	if (c->lingering) {
		conn_linger_read(c);
		return;
	}
	/* any event may be the one the pending write waits for (including
	   a hang-up reported as EV_READ): trying costs one EAGAIN at most */
	if (c->want_write && !c->handshaking && events != 0)
		conn_on_writable(c);
	if (c->closing || c->failed || c->lingering)
		return;
	if (c->handshaking && (events & (c->rd_want | EV_READ)))
		conn_handshake(c);
	if (!c->closing && !c->handshaking && !c->failed &&
	    (events & (c->rd_want | EV_READ))) {
		if (buf_len(&c->out) > 0 && !c->corked && !c->want_write) {
			/* written during the handshake: send it now */
			if (conn_flush(c) == 0 && c->close_after_flush) {
				conn_close_graceful(c);
				return;
			}
		}
		conn_do_read(c, false);
	}
	conn_update_mask(c);
}

static void
conn_on_kick(struct ev *ev, void *arg)
{
	struct conn *c = arg;

	(void)ev;
	c->kick = 0;
	if (c->closing)
		return;
	if (c->failed) {
		conn_emit(c, CONN_ERROR);
		conn_close(c);
		return;
	}
	if (conn_reading(c))
		conn_do_read(c, true);
	conn_update_mask(c);
}

static void
conn_kick(struct conn *c)
{
	if (c->kick == 0 && !c->closing)
		c->kick = ev_add_timer(c->ev, 0, conn_on_kick, c);
}

static void
conn_on_idle(struct ev *ev, void *arg)
{
	struct conn *c = arg;
	uint64_t now = ev_now_ms(ev), idle = now - c->last_read_ms;

	c->timer = 0;
	if (c->closing || c->idle_ms == 0)
		return;
	if (idle < c->idle_ms) {
		/* input arrived since the timer was set: sleep the rest */
		c->timer = ev_add_timer(ev, c->idle_ms - idle, conn_on_idle, c);
		return;
	}
	if (c->close_after_flush) {
		/* the peer stopped reading our last words */
		conn_close(c);
		return;
	}
	c->last_read_ms = now;
	conn_emit(c, CONN_TIMEOUT);
	if (!c->closing && c->idle_ms != 0 && c->timer == 0)
		c->timer = ev_add_timer(ev, c->idle_ms, conn_on_idle, c);
}

/* ---- public API ---- */

struct conn *
conn_new(struct ev *ev, int fd, const struct sockaddr *peer,
	 socklen_t peerlen, SSL_CTX *tls_ctx, size_t in_max, conn_cb *cb,
	 void *arg)
{
	struct conn *c = xzalloc(sizeof(*c));
	int fl;

	ASSERT(cb != NULL && conn_ev == ev); /* conn_module_init(ev) first */
	c->fd = fd;
	c->ev = ev;
	c->cb = cb;
	c->arg = arg;
	c->id = ++conn_next_id;
	c->ops = &conn_plain_ops;
	c->rd_want = EV_READ;
	c->wr_want = EV_WRITE;
	c->last_read_ms = ev_now_ms(ev);
	buf_init(&c->in, in_max);
	buf_init(&c->out, CONN_OUT_BUF_MAX);
	if (peer != NULL && peerlen > 0) {
		if (peerlen > sizeof(c->peer))
			peerlen = sizeof(c->peer);
		memcpy(&c->peer, peer, peerlen);
		listener_format_ip((const struct sockaddr *)&c->peer,
				   c->peer_ip, sizeof(c->peer_ip));
	} else {
		snprintf(c->peer_ip, sizeof(c->peer_ip), "local");
	}
	conn_live++;
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		conn_fail(c, "fcntl");
		return c;
	}
	if (tls_ctx != NULL) {
		ERR_clear_error();
		if ((c->ssl = SSL_new(tls_ctx)) == NULL ||
		    SSL_set_fd(c->ssl, fd) != 1) {
			errno = ENOMEM;
			conn_fail(c, "SSL_new");
			return c;
		}
		SSL_set_accept_state(c->ssl);
		SSL_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS |
					 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
					 SSL_MODE_ENABLE_PARTIAL_WRITE);
		c->ops = &conn_tls_ops;
		c->handshaking = true;
	}
	if (ev_add_fd(ev, fd, 0, conn_on_io, c) < 0) {
		conn_fail(c, "ev_add_fd");
		return c;
	}
	c->registered = true;
	conn_update_mask(c);
	return c;
}

int
conn_write(struct conn *c, const void *data, size_t n)
{
	const uint8_t *p = data;

	if (c->closing || c->failed || c->lingering)
		return -1;
	if (n == 0)
		return 0;
	if (!c->corked && !c->handshaking && !c->want_write &&
	    buf_len(&c->out) == 0) {
		/* nothing queued: send straight from the caller's bytes and
		   buffer only what the socket does not take */
		while (n > 0) {
			ssize_t w = c->ops->send(c, p, n);

			if (w > 0) {
				p += w;
				n -= (size_t)w;
			} else if (w < 0 && errno == EINTR) {
				continue;
			} else if (w < 0 &&
				   (errno == EAGAIN || errno == EWOULDBLOCK)) {
				c->want_write = true;
				break;
			} else {
				conn_fail(c, "write");
				return -1;
			}
		}
		if (n == 0)
			return 0;
	}
	if (buf_append(&c->out, p, n) < 0) {
		log_warn("%016llx output buffer full (%u bytes): closing",
			 (unsigned long long)c->id, CONN_OUT_BUF_MAX);
		conn_close(c);
		return -1;
	}
	if (!c->corked && !c->handshaking && !c->want_write &&
	    conn_flush(c) < 0)
		return -1;
	conn_update_mask(c);
	return 0;
}

int
conn_printf(struct conn *c, const char *fmt, ...)
{
	char small[512], *big;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return conn_write(c, small, (size_t)n);
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = conn_write(c, big, (size_t)n);
	free(big);
	return rc;
}

void
conn_cork(struct conn *c)
{
	c->corked = true;
}

void
conn_uncork(struct conn *c)
{
	c->corked = false;
	if (c->closing || c->failed || c->handshaking || c->want_write)
		return;
	if (buf_len(&c->out) > 0 && conn_flush(c) < 0)
		return;
	conn_update_mask(c);
}

int
conn_flush_now(struct conn *c)
{
	int rc;

	if (c->closing || c->failed)
		return -1;
	if (buf_len(&c->out) == 0)
		return 0;
	if (c->handshaking)
		return 1;
	if ((rc = conn_flush(c)) == 0)
		c->want_write = false; /* done here: no CONN_DRAINED */
	conn_update_mask(c);
	return rc;
}

static int conn_start_tls_side(struct conn *c, SSL_CTX *ctx, bool client,
			       const char *sni);

int
conn_start_tls(struct conn *c, SSL_CTX *ctx)
{
	return conn_start_tls_side(c, ctx, false, NULL);
}

int
conn_start_tls_client(struct conn *c, SSL_CTX *ctx, const char *sni)
{
	return conn_start_tls_side(c, ctx, true, sni);
}

static int
conn_start_tls_side(struct conn *c, SSL_CTX *ctx, bool client, const char *sni)
{
	if (c->closing || c->failed || c->ssl != NULL ||
	    buf_len(&c->out) > 0)
		return -1;
	/* RFC 3207 4.2, and the STARTTLS command injection attack: bytes
	   that followed the STARTTLS line in the same read are plaintext an
	   attacker could have inserted.  They are dropped unseen; c->in is
	   the only place conn.c keeps input, so nothing else survives.
	   Bytes still in the kernel belong to the TLS handshake. */
	if (c->in.data != NULL)
		memset(c->in.data, 0, c->in.cap);
	buf_deinit(&c->in);
	ERR_clear_error();
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		ERR_clear_error();
		SSL_free(c->ssl);
		c->ssl = NULL;
		return -1;
	}
	if (client) {
		/* RFC 6066 3: SNI is a host name, never an address literal */
		if (sni != NULL && strchr(sni, ':') == NULL &&
		    strspn(sni, "0123456789.") != strlen(sni))
			SSL_set_tlsext_host_name(c->ssl, sni);
		SSL_set_connect_state(c->ssl);
	} else {
		SSL_set_accept_state(c->ssl);
	}
	SSL_set_mode(c->ssl, SSL_MODE_RELEASE_BUFFERS |
				 SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				 SSL_MODE_ENABLE_PARTIAL_WRITE);
	c->ops = &conn_tls_ops;
	c->handshaking = true;
	/* the client speaks first (ClientHello): start on writability */
	c->rd_want = client ? EV_WRITE : EV_READ;
	c->wr_want = EV_WRITE;
	c->want_write = false;
	c->last_read_ms = ev_now_ms(c->ev);
	conn_update_mask(c);
	return 0;
}

int
conn_start_tls_after_flush(struct conn *c, SSL_CTX *ctx)
{
	conn_pause(c);
	conn_uncork(c);
	switch (conn_flush_now(c)) {
	case 0:
		if (conn_start_tls(c, ctx) < 0)
			conn_close(c);
		return 0;
	case 1:
		return 1;
	default:
		conn_close(c);
		return 0;
	}
}

void
conn_pause(struct conn *c)
{
	c->paused = true;
	conn_update_mask(c);
}

void
conn_resume(struct conn *c)
{
	c->paused = false;
	if (c->closing)
		return;
	conn_update_mask(c);
	if (conn_reading(c) &&
	    (buf_len(&c->in) > 0 ||
	     (c->ssl != NULL && !c->handshaking && SSL_pending(c->ssl) > 0)))
		conn_kick(c);
}

void
conn_set_idle(struct conn *c, uint64_t ms)
{
	if (c->closing || c->lingering)
		return;
	c->idle_ms = ms;
	c->last_read_ms = ev_now_ms(c->ev);
	ev_del_timer(c->ev, c->timer);
	c->timer = ms != 0 ? ev_add_timer(c->ev, ms, conn_on_idle, c) : 0;
}

void
conn_linger(struct conn *c)
{
	c->linger = true;
}

void
conn_close_after_flush(struct conn *c)
{
	if (c->closing || c->lingering)
		return;
	c->close_after_flush = true;
	c->corked = false;
	if (c->failed)
		return; /* CONN_ERROR is on its way, then the close */
	if (buf_len(&c->out) == 0) {
		conn_close_graceful(c);
		return;
	}
	if (!c->handshaking && !c->want_write && conn_flush(c) == 0) {
		conn_close_graceful(c);
		return;
	}
	conn_update_mask(c);
}

void
conn_close(struct conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	if (c->registered)
		ev_del_fd(c->ev, c->fd);
	ev_del_timer(c->ev, c->timer);
	ev_del_timer(c->ev, c->kick);
	c->timer = c->kick = 0;
	buf_deinit(&c->out);
	c->reap_next = conn_reap_list;
	conn_reap_list = c;
}

bool
conn_is_tls(const struct conn *c)
{
	return c->ssl != NULL && !c->handshaking;
}

bool
conn_ip_is_loopback(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 ||
	       strncmp(ip, "::ffff:127.", 11) == 0;
}

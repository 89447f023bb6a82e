/* conn.h: one non-blocking socket, plain or TLS; buffered input and output. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_CONN_H
#define BUZON_CONN_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "buf.h"

struct ev;
struct conn;

enum conn_event {
	CONN_DATA,	/* new bytes appended to c->in */
	CONN_DRAINED,	/* c->out became empty after having waited for the
			   socket (EV_WRITE); not reported when a write,
			   conn_uncork() or conn_flush_now() sent it all */
	CONN_TLS_READY, /* handshake done (after conn_start_tls or accept) */
	CONN_TIMEOUT,	/* no input for the idle timeout */
	CONN_EOF,	/* peer closed; c->in may still hold bytes */
	CONN_ERROR,	/* I/O or TLS error; the connection is unusable and
			   is closed right after this callback returns */
};

/* Called on the loop thread.  Must never free c: call conn_close() and
   the loop reaps it in before_sleep, after the callback returns.  The
   callback is only called from the loop (fd events and timers), never
   from inside a conn_* call, so it is never re-entered.  CONN_DATA comes
   once per read burst with the new bytes appended to c->in; c->in owns
   no memory while empty: after a CONN_DATA that left it empty (and the
   conn is not paused) its memory is released, so pointers into it (e.g.
   from buf_getline) must not be kept past the callback unless paused. */
typedef void conn_cb(struct conn *c, enum conn_event e, void *arg);

struct conn_ops {
	ssize_t (*recv)(struct conn *, void *, size_t); /* -1+EAGAIN: retry */
	ssize_t (*send)(struct conn *, const void *, size_t);
};

struct conn {
	int fd;
	const struct conn_ops *ops;
	SSL *ssl;
	struct ev *ev;
	struct buf in, out;
	conn_cb *cb;
	void *arg;
	uint64_t id; /* logged as %016llx */
	struct sockaddr_storage peer;
	char peer_ip[64];      /* textual address, "127.0.0.1" or "::1" */
	uint64_t idle_ms;      /* 0: no idle timeout */
	uint64_t timer;        /* current idle timer id */
	void (*on_free)(void *arg); /* run by the reaper (session cleanup) */
	bool closing : 1;      /* reaped in before_sleep, never in cb */
	bool corked : 1;       /* output held until conn_uncork() */
	bool paused : 1;       /* do not read (input stays in the kernel) */
	bool handshaking : 1;
	bool close_after_flush : 1;
	bool eof : 1;
	bool want_write : 1;
	/* private to conn.c */
	unsigned mask;
	struct conn *reap_next;
	bool in_cb : 1;
	bool registered : 1;     /* fd is in the loop */
	bool failed : 1;         /* CONN_ERROR pending, then close */
	bool graceful : 1;       /* closed after flush: TLS close_notify */
	bool linger : 1;         /* conn_linger(): linger at the close */
	bool lingering : 1;      /* write side shut, dropping input */
	unsigned rd_want : 2;    /* EV_* the read side/handshake waits for */
	unsigned wr_want : 2;    /* EV_* a blocked write waits for */
	uint64_t last_read_ms;   /* ev time of the last input (idle clock) */
	uint64_t kick;           /* 0 ms timer for deferred work, or 0 */
	uint64_t linger_end_ms;  /* lingering ends by then at the latest */
	uint64_t linger_bytes;   /* input dropped while lingering */
};

/* Set up the module: the loop whose before_sleep reaps closing conns
   (this takes the loop's single before_sleep hook: a caller that needs
   its own hook must call conn_reap() from it).  Call once before
   conn_new. */
void conn_module_init(struct ev *ev);
/* Reap conns marked closing: runs on_free(arg), closes the socket, frees
   the conn.  Called from before_sleep by conn_module_init's hook; exposed
   for shutdown. */
void conn_reap(void);
/* Number of live connections (for limits). */
unsigned conn_count(void);

/* Wrap an accepted, connected socket fd (made non-blocking here).  If
   tls_ctx is non-NULL, a server handshake starts at once (implicit TLS)
   and CONN_TLS_READY is reported when done; no CONN_DATA comes before
   that.  in_max bounds c->in (a full buffer pauses reading until the owner
   consumes: after consuming outside a callback, call conn_resume()); 0 is
   unlimited.  peer may be NULL (peer_ip is then "local").  Never returns
   NULL: a failure to set up is reported as CONN_ERROR from the loop.  Owned
   by the module: freed only by the reaper after conn_close().  The idle
   timeout is off until conn_set_idle(). */
struct conn *conn_new(struct ev *ev, int fd, const struct sockaddr *peer,
		      socklen_t peerlen, SSL_CTX *tls_ctx, size_t in_max,
		      conn_cb *cb, void *arg);

/* Queue bytes for output (sent when the loop gets to it, or at once if
   not corked: with nothing queued the bytes go straight from data and only
   what the kernel refuses is copied).  Returns 0, or -1 if the output
   buffer limit (CONN_OUT_BUF_MAX) is reached (the conn is then closed), if
   the conn is closing, or on a write error (CONN_ERROR follows). */
int conn_write(struct conn *c, const void *data, size_t n);
int conn_printf(struct conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hold output (pipelined replies go out in one write) / release it. */
void conn_cork(struct conn *c);
void conn_uncork(struct conn *c);

/* Start a server-side TLS handshake now (STARTTLS/STLS).  Discards every
   byte buffered in c->in first (RFC 3207 4.2: plaintext received before
   the handshake must not be used).  Output must already be flushed: call
   it from CONN_DRAINED or after conn_flush_now() returned 0.  Reports
   CONN_TLS_READY or CONN_ERROR.  Returns 0 or -1. */
int conn_start_tls(struct conn *c, SSL_CTX *ctx);
/* The client side of conn_start_tls() (outbound STARTTLS, after the
   peer's 220 to it): the same discarding of buffered plaintext and the
   same reports.  sni (may be NULL; address literals are skipped) is sent
   as the server name (RFC 6066 3). */
int conn_start_tls_client(struct conn *c, SSL_CTX *ctx, const char *sni);
/* After the reply that announces TLS (STARTTLS/STLS): stop reading,
   send the queued output and start the handshake once it is out.
   Returns 0 if the handshake started (or the conn failed and was closed:
   CONN_ERROR or nothing follows), 1 if output is still pending: the
   caller must call conn_start_tls() on CONN_DRAINED. */
int conn_start_tls_after_flush(struct conn *c, SSL_CTX *ctx);
/* Try to write all pending output now; 0 when empty, 1 if some remains,
   -1 on error. */
int conn_flush_now(struct conn *c);

/* Stop/resume reading (while a blocking job runs for this session).
   While paused, c->in keeps its memory (pointers into it stay valid).
   Resuming re-reports already buffered input as CONN_DATA on the next
   loop iteration if c->in is not empty. */
void conn_pause(struct conn *c);
void conn_resume(struct conn *c);

/* Set the idle timeout (0: none); restarts the clock.  Input restarts it
   too.  On expiry CONN_TIMEOUT is reported and the clock restarts (the
   owner usually replies and calls conn_close_after_flush); a conn whose
   final output still waits when the timer expires is closed outright. */
void conn_set_idle(struct conn *c, uint64_t ms);

/* Close after the output buffer drains (after a final reply).  Uncorks,
   stops reading, and closes at once if nothing is pending. */
void conn_close_after_flush(struct conn *c);
/* Make the next conn_close_after_flush() a lingering close (RFC 9112
   9.6), for a reply sent before all the input was read (HTTP 413, 400
   or 401 with a request body still arriving): once the output is out,
   send TLS close_notify, shut the socket's write side (the peer sees
   the end of the stream), then read and drop input until the peer's end
   of stream or the CONN_LINGER_* bounds, and only then close, so the
   kernel does not answer unread input with a reset that can destroy
   the reply before the peer reads it.  The cb is not called while
   lingering; on_free runs when the conn is reaped after it.  No effect
   when the peer's end of stream was already seen or the TLS handshake
   did not finish (those close at once).  Call it before
   conn_close_after_flush(). */
void conn_linger(struct conn *c);
/* Mark closing now; pending output is dropped.  The cb is not called
   again.  Safe from inside the callback. */
void conn_close(struct conn *c);

/* True if ip (a textual peer address as in conn.peer_ip) is loopback:
   127.0.0.0/8, ::1 or an IPv4-mapped 127.x address.  Pure. */
bool conn_ip_is_loopback(const char *ip);

/* True if the conn runs TLS with a finished handshake. */
bool conn_is_tls(const struct conn *c);

#endif

/* test_conn.c: buffered connections over socketpairs (and loopback TCP
   where a reset is needed): chunked input, output and CONN_DRAINED, cork,
   pause, EOF and errors, the idle timer, the output limit, and TLS
   (implicit and STARTTLS, against a blocking OpenSSL client thread). */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "conn.h"
#include "ev.h"
#include "limits.h"
#include "log.h"
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_EVENTS 256

struct cstate {
	struct ev *ev;
	struct conn *c;
	int peer; /* the test's end of the socket */
	/* what the conn reported */
	enum conn_event events[MAX_EVENTS];
	int nevents;
	int count[CONN_ERROR + 1];
	struct buf got;	 /* input taken out of c->in by the callback */
	bool consume;	 /* take input out of c->in on CONN_DATA */
	bool freed;	 /* on_free ran */
	bool in_api;	 /* set around conn_* calls: the cb must not run */
	bool reentered;	 /* the cb ran inside a conn_* call */
	bool close_on_eof;
	/* per-test hook, run after the bookkeeping */
	void (*hook)(struct cstate *st, enum conn_event e);
	/* the test's end reading through the loop */
	bool peer_reading, peer_eof;
	struct buf peer_got;
	/* misc per test */
	int hook_calls;
	const uint8_t *kept; /* a pointer into c->in kept while paused */
	uint64_t t_event[MAX_EVENTS];
};

static void
on_conn(struct conn *c, enum conn_event e, void *arg)
{
	struct cstate *st = arg;

	if (c != st->c)
		TEST_ASSERT(c == st->c);
	if (st->in_api)
		st->reentered = true;
	if (st->nevents < MAX_EVENTS) {
		st->t_event[st->nevents] = ev_now_ms(st->ev);
		st->events[st->nevents++] = e;
	}
	st->count[e]++;
	if (e == CONN_DATA && st->consume) {
		buf_append(&st->got, buf_rptr(&c->in), buf_len(&c->in));
		buf_consume(&c->in, buf_len(&c->in));
	}
	if (st->hook != NULL)
		st->hook(st, e);
	if (e == CONN_EOF && st->close_on_eof)
		conn_close(c);
}

static void
on_free(void *arg)
{
	struct cstate *st = arg;

	TEST_ASSERT(!st->freed);
	st->freed = true;
}

/* ---- the test's end of the socket, read by the loop ---- */

static void
on_peer_readable(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct cstate *st = arg;
	uint8_t tmp[65536];
	ssize_t n;

	(void)ev;
	(void)events;
	while ((n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT)) > 0)
		buf_append(&st->peer_got, tmp, (size_t)n);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		st->peer_eof = true;
		ev_del_fd(st->ev, st->peer);
		st->peer_reading = false;
	}
}

static void
peer_start_reading(struct cstate *st)
{
	if (st->peer_reading || st->peer_eof)
		return;
	TEST_ASSERT_INTEQ(ev_add_fd(st->ev, st->peer, EV_READ,
				    on_peer_readable, st),
			  0);
	st->peer_reading = true;
}

/* Send from the test's end, all of it (blocking). */
static void
peer_send(struct cstate *st, const void *p, size_t n)
{
	TEST_ASSERT_INTEQ(send(st->peer, p, n, MSG_NOSIGNAL), n);
}

/* ---- running the loop ---- */

struct waiter {
	struct cstate *st;
	bool (*pred)(struct cstate *st);
	uint64_t deadline, timer;
	bool met;
};

static void
on_tick(struct ev *ev, void *arg)
{
	struct waiter *w = arg;

	w->timer = 0;
	if (w->pred != NULL && w->pred(w->st)) {
		w->met = true;
		ev_stop(ev);
	} else if (ev_now_ms(ev) >= w->deadline) {
		ev_stop(ev);
	} else {
		w->timer = ev_add_timer(ev, 1, on_tick, w);
	}
}

/* Run the loop until pred holds (checked every millisecond) or max_ms
   pass.  A NULL pred runs for max_ms.  Returns whether pred held. */
static bool
run_until(struct cstate *st, bool (*pred)(struct cstate *), uint64_t max_ms)
{
	struct waiter w = {st, pred, ev_now_ms(st->ev) + max_ms, 0, false};

	if (pred != NULL && pred(st))
		return true;
	w.timer = ev_add_timer(st->ev, 1, on_tick, &w);
	ev_run(st->ev);
	ev_del_timer(st->ev, w.timer);
	return w.met;
}

static int want_n; /* targets for the predicates below */
static size_t want_len;

static bool
got_len(struct cstate *st)
{
	return buf_len(&st->got) >= want_len;
}

static bool
peer_got_len(struct cstate *st)
{
	return buf_len(&st->peer_got) >= want_len;
}

static bool
is_freed(struct cstate *st)
{
	return st->freed;
}

static bool
peer_eof_seen(struct cstate *st)
{
	return st->peer_eof;
}

static enum conn_event want_event;

static bool
event_count(struct cstate *st)
{
	return st->count[want_event] >= want_n;
}

/* Run until event e has been reported n times in all. */
static bool
wait_event(struct cstate *st, enum conn_event e, int n, uint64_t max_ms)
{
	want_event = e;
	want_n = n;
	return run_until(st, event_count, max_ms);
}

/* ---- setup ---- */

/* A conn on one end of a socketpair (or of fds[0] if given). */
static struct cstate *
cstate_new_fds(int conn_fd, int peer_fd, const struct sockaddr *addr,
	       socklen_t addrlen, SSL_CTX *tls, size_t in_max)
{
	struct cstate *st = calloc(1, sizeof(*st));

	log_set_level(LOG_ERROR);
	st->ev = ev_new();
	conn_module_init(st->ev);
	st->peer = peer_fd;
	st->consume = true;
	buf_init(&st->got, 0);
	buf_init(&st->peer_got, 0);
	st->c = conn_new(st->ev, conn_fd, addr, addrlen, tls, in_max, on_conn,
			 st);
	st->c->on_free = on_free;
	return st;
}

static struct cstate *
cstate_new(SSL_CTX *tls, size_t in_max)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("socketpair");
		exit(1);
	}
	return cstate_new_fds(sv[0], sv[1], NULL, 0, tls, in_max);
}

static void
cstate_free(struct cstate *st)
{
	if (!st->freed) {
		conn_close(st->c);
		conn_reap();
	}
	TEST_ASSERT(st->freed);
	TEST_ASSERT_INTEQ(conn_count(), 0);
	TEST_ASSERT(!st->reentered);
	if (st->peer_reading)
		ev_del_fd(st->ev, st->peer);
	if (st->peer >= 0)
		close(st->peer);
	buf_deinit(&st->got);
	buf_deinit(&st->peer_got);
	ev_free(&st->ev);
	free(st);
}

/* conn_* calls go through these so a callback run inside them is caught */
#define API(st, call)                                                          \
	((st)->in_api = true, __extension__({                                  \
		 __typeof__(call) r_ = (call);                                 \
		 (st)->in_api = false;                                         \
		 r_;                                                           \
	 }))
#define API_VOID(st, call)                                                     \
	do {                                                                   \
		(st)->in_api = true;                                           \
		call;                                                          \
		(st)->in_api = false;                                          \
	} while (0)

static void
fill_pattern(uint8_t *p, size_t n, size_t offset)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)((offset + i) * 7 + (offset + i) / 251);
}

static bool
check_pattern(const uint8_t *p, size_t n, size_t offset)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)((offset + i) * 7 + (offset + i) / 251))
			return false;
	return true;
}

/* ---- input ---- */

static void
test_conn_read_chunks(void)
{
	struct cstate *st;
	static uint8_t data[300000];
	uint32_t rnd = 1234;
	size_t pos = 0;

	test_begin("conn read in chunks");
	st = cstate_new(NULL, 0);
	fill_pattern(data, sizeof(data), 0);
	TEST_ASSERT_STREQ(st->c->peer_ip, "local");
	TEST_ASSERT(!conn_is_tls(st->c));
	TEST_ASSERT_INTEQ(conn_count(), 1);
	/* arbitrary chunk sizes, sometimes several before the loop runs */
	while (pos < sizeof(data)) {
		size_t n = 1 + test_rand(&rnd) % 9000;

		if (n > sizeof(data) - pos)
			n = sizeof(data) - pos;
		peer_send(st, data + pos, n);
		pos += n;
		if (test_rand(&rnd) % 3 == 0) {
			want_len = pos;
			TEST_ASSERT(run_until(st, got_len, 3000));
		}
	}
	want_len = sizeof(data);
	TEST_ASSERT(run_until(st, got_len, 3000));
	TEST_ASSERT_MEMEQ(buf_rptr(&st->got), buf_len(&st->got), data,
			  sizeof(data));
	TEST_ASSERT(st->count[CONN_DATA] >= 2);
	TEST_ASSERT_INTEQ(st->count[CONN_EOF] + st->count[CONN_ERROR], 0);
	/* c->in owns no memory after a CONN_DATA that left it empty */
	TEST_ASSERT(st->c->in.data == NULL);
	cstate_free(st);
	test_end();
}

/* Input is kept in c->in until the owner consumes it; in_max bounds it
   and pauses reading; conn_resume after consuming outside the callback
   continues. */
static void
test_conn_in_max(void)
{
	struct cstate *st;
	static uint8_t data[5000];
	size_t taken = 0;
	int rounds = 0;

	test_begin("conn in_max");
	st = cstate_new(NULL, 1000);
	st->consume = false;
	fill_pattern(data, sizeof(data), 0);
	peer_send(st, data, sizeof(data));
	while (taken < sizeof(data) && rounds++ < 20) {
		int before;

		TEST_ASSERT(wait_event(st, CONN_DATA, st->count[CONN_DATA] + 1, 3000));
		/* let the loop try to read more: the buffer is full */
		before = st->count[CONN_DATA];
		run_until(st, NULL, 20);
		TEST_ASSERT(buf_len(&st->c->in) <= 1000);
		if (taken + 1000 <= sizeof(data)) {
			TEST_ASSERT_INTEQ(buf_len(&st->c->in), 1000);
			TEST_ASSERT_INTEQ(st->count[CONN_DATA], before);
		}
		TEST_ASSERT(check_pattern(buf_rptr(&st->c->in),
					  buf_len(&st->c->in), taken));
		taken += buf_len(&st->c->in);
		buf_consume(&st->c->in, buf_len(&st->c->in));
		API_VOID(st, conn_resume(st->c));
	}
	TEST_ASSERT_INTEQ(taken, sizeof(data));
	TEST_ASSERT_INTEQ(rounds, 5);
	cstate_free(st);
	test_end();
}

/* A conn that cannot be set up reports CONN_ERROR from the loop. */
static void
test_conn_setup_failure(void)
{
	struct cstate *st;
	char path[] = "/tmp/buzon-test-conn-file-XXXXXX";
	int fd;

	test_begin("conn set-up failure");
	/* not a descriptor at all: fcntl fails */
	st = cstate_new_fds(-1, -1, NULL, 0, NULL, 0);
	TEST_ASSERT(st->c != NULL);
	TEST_ASSERT_INTEQ(st->nevents, 0); /* not from inside conn_new */
	TEST_ASSERT(run_until(st, is_freed, 3000));
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 1);
	TEST_ASSERT_INTEQ(st->nevents, 1);
	cstate_free(st);
	/* a regular file: epoll refuses it */
	fd = mkstemp(path);
	TEST_ASSERT(fd >= 0);
	unlink(path);
	st = cstate_new_fds(fd, -1, NULL, 0, NULL, 0);
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "x", 1)), -1);
	TEST_ASSERT(run_until(st, is_freed, 3000));
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 1);
	TEST_ASSERT_INTEQ(st->nevents, 1);
	cstate_free(st); /* the reaper closed fd */
	test_end();
}

/* ---- output ---- */

static void
test_conn_write_drained(void)
{
	struct cstate *st;
	static uint8_t data[1 << 20];
	char big[2000];

	test_begin("conn write and CONN_DRAINED");
	st = cstate_new(NULL, 0);
	fill_pattern(data, sizeof(data), 0);
	/* small writes go straight out: no CONN_DRAINED */
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "220 hi\r\n", 8)), 0);
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "", 0)), 0);
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	TEST_ASSERT_INTEQ(API(st, conn_printf(st->c, "%d %s|", 250, "ok")), 0);
	TEST_ASSERT_INTEQ(API(st, conn_printf(st->c, "%s|", big)), 0);
	peer_start_reading(st);
	want_len = 8 + 7 + sizeof(big);
	TEST_ASSERT(run_until(st, peer_got_len, 3000));
	TEST_ASSERT_INTEQ(buf_len(&st->peer_got), want_len);
	TEST_ASSERT_MEMEQ(buf_rptr(&st->peer_got), 15, "220 hi\r\n250 ok|",
			  15);
	TEST_ASSERT_INTEQ(buf_rptr(&st->peer_got)[want_len - 1], '|');
	run_until(st, NULL, 20);
	TEST_ASSERT_INTEQ(st->count[CONN_DRAINED], 0);
	TEST_ASSERT(!st->c->want_write);
	/* more than the socket takes: the rest waits for EV_WRITE */
	ev_del_fd(st->ev, st->peer);
	st->peer_reading = false;
	buf_reset(&st->peer_got);
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, data, sizeof(data))), 0);
	TEST_ASSERT(buf_len(&st->c->out) > 0);
	run_until(st, NULL, 20);
	TEST_ASSERT_INTEQ(st->count[CONN_DRAINED], 0);
	/* queued behind: must come after the first block, in order */
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "END", 3)), 0);
	peer_start_reading(st);
	TEST_ASSERT(wait_event(st, CONN_DRAINED, 1, 5000));
	want_len = sizeof(data) + 3;
	TEST_ASSERT(run_until(st, peer_got_len, 3000));
	TEST_ASSERT_INTEQ(buf_len(&st->peer_got), sizeof(data) + 3);
	TEST_ASSERT(check_pattern(buf_rptr(&st->peer_got), sizeof(data), 0));
	TEST_ASSERT_MEMEQ(buf_rptr(&st->peer_got) + sizeof(data), 3, "END",
			  3);
	TEST_ASSERT_INTEQ(buf_len(&st->c->out), 0);
	/* exactly one CONN_DRAINED per wait */
	run_until(st, NULL, 20);
	TEST_ASSERT_INTEQ(st->count[CONN_DRAINED], 1);
	cstate_free(st);
	test_end();
}

/* conn_flush_now sends what it can and reports it; no CONN_DRAINED when
   it emptied the buffer itself. */
static void
test_conn_flush_now(void)
{
	struct cstate *st;
	static uint8_t data[1 << 20];
	int rc, spins = 0;

	test_begin("conn_flush_now");
	st = cstate_new(NULL, 0);
	fill_pattern(data, sizeof(data), 0);
	TEST_ASSERT_INTEQ(API(st, conn_flush_now(st->c)), 0); /* nothing */
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, data, sizeof(data))), 0);
	TEST_ASSERT_INTEQ(API(st, conn_flush_now(st->c)), 1);
	/* read from the peer directly and flush by hand */
	while ((rc = API(st, conn_flush_now(st->c))) == 1 && spins++ < 10000) {
		uint8_t tmp[65536];
		ssize_t n = recv(st->peer, tmp, sizeof(tmp), MSG_DONTWAIT);

		if (n > 0)
			buf_append(&st->peer_got, tmp, (size_t)n);
	}
	TEST_ASSERT_INTEQ(rc, 0);
	peer_start_reading(st);
	want_len = sizeof(data);
	TEST_ASSERT(run_until(st, peer_got_len, 3000));
	TEST_ASSERT(check_pattern(buf_rptr(&st->peer_got),
				  buf_len(&st->peer_got), 0));
	run_until(st, NULL, 20);
	TEST_ASSERT_INTEQ(st->count[CONN_DRAINED], 0);
	cstate_free(st);
	test_end();
}

static void
test_conn_cork(void)
{
	struct cstate *st;
	char tmp[64];
	ssize_t n;

	test_begin("conn cork/uncork");
	st = cstate_new(NULL, 0);
	API_VOID(st, conn_cork(st->c));
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "250-a\r\n", 7)), 0);
	TEST_ASSERT_INTEQ(API(st, conn_printf(st->c, "250-%s\r\n", "b")), 0);
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "250 c\r\n", 7)), 0);
	run_until(st, NULL, 20);
	/* nothing went out while corked */
	n = recv(st->peer, tmp, sizeof(tmp), MSG_DONTWAIT);
	TEST_ASSERT_INTEQ(n, -1);
	TEST_ASSERT_INTEQ(errno, EAGAIN);
	API_VOID(st, conn_uncork(st->c));
	/* all of it at once, in one write */
	n = recv(st->peer, tmp, sizeof(tmp), MSG_DONTWAIT);
	TEST_ASSERT_MEMEQ(tmp, n < 0 ? 0 : (size_t)n, "250-a\r\n250-b\r\n250 c\r\n",
			  21);
	run_until(st, NULL, 20);
	TEST_ASSERT_INTEQ(st->count[CONN_DRAINED], 0);
	/* corked output is sent by close_after_flush, then the close */
	API_VOID(st, conn_cork(st->c));
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "221 bye\r\n", 9)), 0);
	API_VOID(st, conn_close_after_flush(st->c));
	peer_start_reading(st);
	TEST_ASSERT(run_until(st, peer_eof_seen, 3000));
	TEST_ASSERT_MEMEQ(buf_rptr(&st->peer_got), buf_len(&st->peer_got),
			  "221 bye\r\n", 9);
	TEST_ASSERT(st->freed);
	TEST_ASSERT_INTEQ(st->nevents, 0);
	cstate_free(st);
	test_end();
}

/* ---- pause/resume ---- */

static void
pause_on_data(struct cstate *st, enum conn_event e)
{
	if (e != CONN_DATA || st->hook_calls++ > 0)
		return;
	/* a blocking job starts: keep a pointer into c->in */
	conn_pause(st->c);
	st->kept = buf_rptr(&st->c->in);
}

static void
test_conn_pause(void)
{
	struct cstate *st;
	int nd;

	test_begin("conn pause/resume");
	st = cstate_new(NULL, 0);
	API_VOID(st, conn_pause(st->c));
	peer_send(st, "hello", 5);
	run_until(st, NULL, 30);
	TEST_ASSERT_INTEQ(st->count[CONN_DATA], 0);
	API_VOID(st, conn_resume(st->c));
	want_len = 5;
	TEST_ASSERT(run_until(st, got_len, 3000));
	TEST_ASSERT_MEMEQ(buf_rptr(&st->got), buf_len(&st->got), "hello", 5);

	/* paused from the callback with input left in c->in: the memory
	   stays, more input waits in the kernel, resume re-reports */
	st->consume = false;
	st->hook = pause_on_data;
	peer_send(st, "abc", 3);
	nd = st->count[CONN_DATA] + 1;
	TEST_ASSERT(wait_event(st, CONN_DATA, nd, 3000));
	TEST_ASSERT(st->c->paused);
	peer_send(st, "def", 3);
	run_until(st, NULL, 30);
	TEST_ASSERT_INTEQ(st->count[CONN_DATA], nd);
	TEST_ASSERT(st->kept == buf_rptr(&st->c->in));
	TEST_ASSERT_MEMEQ(st->kept, 3, "abc", 3); /* ASan: still owned */
	API_VOID(st, conn_resume(st->c));
	TEST_ASSERT(wait_event(st, CONN_DATA, ++nd, 3000));
	TEST_ASSERT_MEMEQ(buf_rptr(&st->c->in), buf_len(&st->c->in), "abcdef",
			  6);
	/* resume with nothing new still re-reports what is buffered */
	API_VOID(st, conn_pause(st->c));
	API_VOID(st, conn_resume(st->c));
	TEST_ASSERT(wait_event(st, CONN_DATA, ++nd, 3000));
	TEST_ASSERT_INTEQ(buf_len(&st->c->in), 6);

	/* a hang-up while paused is seen after resume, not before */
	buf_consume(&st->c->in, 6);
	API_VOID(st, conn_pause(st->c));
	shutdown(st->peer, SHUT_WR);
	run_until(st, NULL, 30);
	TEST_ASSERT_INTEQ(st->count[CONN_EOF], 0);
	API_VOID(st, conn_resume(st->c));
	TEST_ASSERT(wait_event(st, CONN_EOF, 1, 3000));
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 0);
	cstate_free(st);
	test_end();
}

/* ---- EOF and errors ---- */

static void
test_conn_eof(void)
{
	struct cstate *st;
	int i, data_at = -1, eof_at = -1;

	test_begin("conn peer close");
	st = cstate_new(NULL, 0);
	st->consume = false;
	st->close_on_eof = true;
	peer_send(st, "QUIT\r\n", 6);
	close(st->peer);
	st->peer = -1;
	TEST_ASSERT(run_until(st, is_freed, 3000));
	for (i = 0; i < st->nevents; i++) {
		if (st->events[i] == CONN_DATA && data_at < 0)
			data_at = i;
		if (st->events[i] == CONN_EOF)
			eof_at = i;
	}
	/* the last bytes come first, then the EOF, once */
	TEST_ASSERT(data_at >= 0);
	TEST_ASSERT(eof_at > data_at);
	TEST_ASSERT_INTEQ(st->count[CONN_EOF], 1);
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 0);
	TEST_ASSERT_INTEQ(conn_count(), 0);
	cstate_free(st);
	test_end();
}

/* The owner keeps the conn after EOF (half-close) and still replies. */
static void
test_conn_half_close(void)
{
	struct cstate *st;

	test_begin("conn half close");
	st = cstate_new(NULL, 0);
	peer_send(st, "QUIT\r\n", 6);
	shutdown(st->peer, SHUT_WR);
	TEST_ASSERT(wait_event(st, CONN_EOF, 1, 3000));
	TEST_ASSERT_MEMEQ(buf_rptr(&st->got), buf_len(&st->got), "QUIT\r\n",
			  6);
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "221 bye\r\n", 9)), 0);
	API_VOID(st, conn_close_after_flush(st->c));
	peer_start_reading(st);
	TEST_ASSERT(run_until(st, peer_eof_seen, 3000));
	TEST_ASSERT_MEMEQ(buf_rptr(&st->peer_got), buf_len(&st->peer_got),
			  "221 bye\r\n", 9);
	TEST_ASSERT(st->freed);
	TEST_ASSERT_INTEQ(st->count[CONN_EOF], 1);
	cstate_free(st);
	test_end();
}

/* Writing to a closed peer fails; CONN_ERROR comes from the loop, not
   from inside conn_write, and the conn is closed after it. */
static void
test_conn_write_error(void)
{
	struct cstate *st;
	int rc = 0, i;

	test_begin("conn write error");
	st = cstate_new(NULL, 0);
	close(st->peer);
	st->peer = -1;
	/* the first write may or may not see EPIPE yet */
	for (i = 0; i < 3 && rc == 0; i++)
		rc = API(st, conn_write(st->c, "x", 1));
	TEST_ASSERT_INTEQ(rc, -1);
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 0);
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "y", 1)), -1);
	TEST_ASSERT(run_until(st, is_freed, 3000));
	/* one CONN_ERROR (or the read side's EOF first, then the error) */
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 1);
	TEST_ASSERT_INTEQ(st->events[st->nevents - 1], CONN_ERROR);
	cstate_free(st);
	test_end();
}

/* A TCP reset (SO_LINGER 0) is a read error: CONN_ERROR. */
static void
tcp_pair(int *server, int *client)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&sa, &len) < 0)
		goto fail;
	*client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*client < 0 ||
	    connect(*client, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (*server = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0)
		goto fail;
	close(l);
	return;
fail:
	perror("tcp pair");
	exit(1);
}

static void
test_conn_reset(void)
{
	struct cstate *st;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int s, cl;

	test_begin("conn reset");
	tcp_pair(&s, &cl);
	TEST_ASSERT_INTEQ(getpeername(s, (struct sockaddr *)&peer, &plen), 0);
	st = cstate_new_fds(s, cl, (struct sockaddr *)&peer, plen, NULL, 0);
	/* a conn made with a peer address formats it */
	TEST_ASSERT_STREQ(st->c->peer_ip, "127.0.0.1");
	peer_send(st, "x", 1);
	want_len = 1;
	TEST_ASSERT(run_until(st, got_len, 3000));
	setsockopt(cl, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(cl);
	st->peer = -1;
	TEST_ASSERT(run_until(st, is_freed, 3000));
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 1);
	TEST_ASSERT_INTEQ(st->count[CONN_EOF], 0);
	cstate_free(st);
	test_end();
}

/* ---- lingering close ---- */

/* Unread input waits in the kernel (the conn is paused) when the final
   reply goes out: with conn_linger() the peer reads the reply and a clean
   end of stream (no reset), may go on sending, and the conn goes when the
   peer closes, without another callback. */
static void
test_conn_linger(void)
{
	struct cstate *st;
	static uint8_t junk[65536];
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	char reply[64];
	ssize_t n;
	size_t got = 0;
	int s, cl, nev;

	test_begin("conn lingering close");
	tcp_pair(&s, &cl);
	getpeername(s, (struct sockaddr *)&peer, &plen);
	st = cstate_new_fds(s, cl, (struct sockaddr *)&peer, plen, NULL, 0);
	peer_send(st, "BIG\r\n", 5);
	want_len = 5;
	TEST_ASSERT(run_until(st, got_len, 3000));
	API_VOID(st, conn_pause(st->c));
	peer_send(st, junk, sizeof(junk)); /* never read by the owner */
	run_until(st, NULL, 20);
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "413 no\r\n", 8)), 0);
	API_VOID(st, conn_linger(st->c));
	API_VOID(st, conn_close_after_flush(st->c));
	nev = st->nevents;
	TEST_ASSERT(!st->freed);
	TEST_ASSERT(st->c->lingering);
	/* conn_* calls on a lingering conn do nothing */
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "x", 1)), -1);
	API_VOID(st, conn_close_after_flush(st->c));
	API_VOID(st, conn_set_idle(st->c, 1));
	/* the reply, then the end of stream (the FIN of the half-close) */
	while (got < sizeof(reply)) {
		run_until(st, NULL, 5);
		n = recv(cl, reply + got, sizeof(reply) - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0 && errno == EAGAIN)
			continue;
		TEST_ASSERT(n > 0); /* a reset fails here (ECONNRESET) */
		if (n < 0)
			break;
		got += (size_t)n;
	}
	TEST_ASSERT_MEMEQ(reply, got, "413 no\r\n", 8);
	/* the peer may still send: it is read and dropped */
	TEST_ASSERT_INTEQ(send(cl, junk, 1000, MSG_NOSIGNAL), 1000);
	run_until(st, NULL, 20);
	TEST_ASSERT(!st->freed);
	TEST_ASSERT_INTEQ(st->c->linger_bytes, sizeof(junk) + 1000);
	shutdown(cl, SHUT_WR);
	TEST_ASSERT(run_until(st, is_freed, 3000));
	TEST_ASSERT_INTEQ(st->nevents, nev); /* the owner heard nothing */
	cstate_free(st);
	test_end();
}

struct flood {
	struct cstate *st;
	size_t sent;
	bool reset; /* the conn closed: a send failed */
};

/* Send from the test's end as fast as the loop lets it. */
static void
flood_tick(struct ev *ev, void *arg)
{
	struct flood *f = arg;
	static uint8_t chunk[65536];
	ssize_t n;

	while (!f->reset &&
	       (n = send(f->st->peer, chunk, sizeof(chunk),
			 MSG_DONTWAIT | MSG_NOSIGNAL)) != 0) {
		if (n < 0) {
			f->reset = errno != EAGAIN;
			break;
		}
		f->sent += (size_t)n;
	}
	if (!f->reset)
		ev_add_timer(ev, 1, flood_tick, f);
}

/* Lingering ends after CONN_LINGER_BYTES_MAX dropped, and after
   CONN_LINGER_TIMEOUT_MS without input. */
static void
test_conn_linger_bounds(void)
{
	struct cstate *st;
	struct flood f = {0};
	uint64_t start;

	test_begin("conn lingering close bounds");
	st = cstate_new(NULL, 0);
	API_VOID(st, conn_linger(st->c));
	API_VOID(st, conn_close_after_flush(st->c));
	f.st = st;
	ev_add_timer(st->ev, 0, flood_tick, &f);
	TEST_ASSERT(run_until(st, is_freed, 20000));
	TEST_ASSERT(f.sent >= CONN_LINGER_BYTES_MAX);
	run_until(st, NULL, 20); /* the flood sees the close */
	TEST_ASSERT(f.reset);
	cstate_free(st);

	st = cstate_new(NULL, 0);
	start = ev_now_ms(st->ev);
	API_VOID(st, conn_linger(st->c));
	API_VOID(st, conn_close_after_flush(st->c));
	TEST_ASSERT(st->c->lingering);
	TEST_ASSERT(run_until(st, is_freed, CONN_LINGER_TIMEOUT_MS + 3000));
	TEST_ASSERT(ev_now_ms(st->ev) - start >= CONN_LINGER_TIMEOUT_MS);
	TEST_ASSERT_INTEQ(st->nevents, 0);
	cstate_free(st);

	/* the peer's end of stream was seen: no lingering */
	st = cstate_new(NULL, 0);
	shutdown(st->peer, SHUT_WR);
	TEST_ASSERT(wait_event(st, CONN_EOF, 1, 3000));
	API_VOID(st, conn_linger(st->c));
	API_VOID(st, conn_close_after_flush(st->c));
	TEST_ASSERT(st->c->closing);
	TEST_ASSERT(!st->c->lingering);
	cstate_free(st);
	test_end();
}

/* ---- idle timer ---- */

static void
send_later(struct ev *ev, void *arg)
{
	struct cstate *st = arg;

	(void)ev;
	peer_send(st, "NOOP\r\n", 6);
}

static void
test_conn_idle(void)
{
	struct cstate *st;
	uint64_t start;

	test_begin("conn idle timeout");
	st = cstate_new(NULL, 0);
	start = ev_now_ms(st->ev);
	/* input at 40 ms restarts the clock: the timeout is ~100 ms */
	API_VOID(st, conn_set_idle(st->c, 60));
	ev_add_timer(st->ev, 40, send_later, st);
	TEST_ASSERT(wait_event(st, CONN_TIMEOUT, 1, 3000));
	TEST_ASSERT_INTEQ(st->count[CONN_DATA], 1);
	TEST_ASSERT(st->events[st->nevents - 1] == CONN_TIMEOUT);
	TEST_ASSERT(st->t_event[st->nevents - 1] - start >= 100);
	/* the clock restarts after each timeout */
	TEST_ASSERT(wait_event(st, CONN_TIMEOUT, 2, 3000));
	TEST_ASSERT(st->t_event[st->nevents - 1] -
			st->t_event[st->nevents - 2] >=
		    60);
	/* off */
	API_VOID(st, conn_set_idle(st->c, 0));
	run_until(st, NULL, 100);
	TEST_ASSERT_INTEQ(st->count[CONN_TIMEOUT], 2);
	TEST_ASSERT(!st->freed);
	cstate_free(st);
	test_end();
}

/* A conn whose last words the peer does not read is closed outright when
   the idle timer expires. */
static void
test_conn_idle_close_after_flush(void)
{
	struct cstate *st;
	static uint8_t data[1 << 20];

	test_begin("conn idle with unsent final output");
	st = cstate_new(NULL, 0);
	fill_pattern(data, sizeof(data), 0);
	API_VOID(st, conn_set_idle(st->c, 30));
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, data, sizeof(data))), 0);
	API_VOID(st, conn_close_after_flush(st->c));
	TEST_ASSERT(!st->freed);
	TEST_ASSERT(run_until(st, is_freed, 3000));
	TEST_ASSERT_INTEQ(st->nevents, 0); /* no TIMEOUT, no DRAINED */
	/* the peer gets a prefix, then the close */
	peer_start_reading(st);
	TEST_ASSERT(run_until(st, peer_eof_seen, 3000));
	TEST_ASSERT(buf_len(&st->peer_got) < sizeof(data));
	TEST_ASSERT(check_pattern(buf_rptr(&st->peer_got),
				  buf_len(&st->peer_got), 0));
	cstate_free(st);
	test_end();
}

/* ---- output limit ---- */

static void
test_conn_out_limit(void)
{
	struct cstate *st;
	static uint8_t chunk[65536];
	size_t sent = 0;
	int rc = 0, sndbuf = 0;
	socklen_t len = sizeof(sndbuf);

	test_begin("conn output limit");
	st = cstate_new(NULL, 0);
	getsockopt(st->c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
	while (sent < 64u * 1024 * 1024) {
		fill_pattern(chunk, sizeof(chunk), sent);
		if ((rc = API(st, conn_write(st->c, chunk, sizeof(chunk)))) < 0)
			break;
		sent += sizeof(chunk);
	}
	TEST_ASSERT_INTEQ(rc, -1);
	/* the conn buffered up to CONN_OUT_BUF_MAX on top of what the
	   kernel took */
	TEST_ASSERT(sent + sizeof(chunk) > CONN_OUT_BUF_MAX);
	TEST_ASSERT(sent <= CONN_OUT_BUF_MAX + 4 * (size_t)sndbuf);
	/* closed: no more writes, no callback, reaped by the loop */
	TEST_ASSERT(st->c->closing);
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "x", 1)), -1);
	TEST_ASSERT(run_until(st, is_freed, 3000));
	TEST_ASSERT_INTEQ(st->nevents, 0);
	/* the peer sees a clean prefix of what was accepted, then EOF */
	peer_start_reading(st);
	TEST_ASSERT(run_until(st, peer_eof_seen, 3000));
	TEST_ASSERT(buf_len(&st->peer_got) <= sent);
	TEST_ASSERT(buf_len(&st->peer_got) > 0);
	TEST_ASSERT(check_pattern(buf_rptr(&st->peer_got),
				  buf_len(&st->peer_got), 0));
	cstate_free(st);
	test_end();
}

/* ---- TLS ---- */

static char tls_dir[64];
static SSL_CTX *tls_server;
static SSL_CTX *tls_client;

static ssize_t
read_file(const char *path, char *out, size_t outlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, out, outlen);
	close(fd);
	return n;
}

static SSL_CTX *
tls_setup(void)
{
	const char *err = NULL;
	char path[128];
	struct stat sb;
	SSL_CTX *again;
	char before[8192], after[8192];
	ssize_t nb, na;

	if (tls_server != NULL)
		return tls_server;
	snprintf(tls_dir, sizeof(tls_dir), "/tmp/buzon-test-conn-XXXXXX");
	if (mkdtemp(tls_dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	/* the self-signed fallback of tls.c, generated into the temp dir */
	tls_server = tls_server_ctx(NULL, NULL, tls_dir, "localhost", &err);
	if (tls_server == NULL) {
		fprintf(stderr, "tls_server_ctx: %s\n", err);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/tls/selfsigned.key", tls_dir);
	TEST_ASSERT_INTEQ(stat(path, &sb), 0);
	TEST_ASSERT_INTEQ(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/tls/selfsigned.crt", tls_dir);
	nb = read_file(path, before, sizeof(before));
	TEST_ASSERT(nb > 0);
	/* a second context reuses the pair */
	again = tls_server_ctx(NULL, NULL, tls_dir, "localhost", &err);
	TEST_ASSERT(again != NULL);
	SSL_CTX_free(again);
	na = read_file(path, after, sizeof(after));
	TEST_ASSERT_MEMEQ(after, na < 0 ? 0 : (size_t)na, before,
			  nb < 0 ? 0 : (size_t)nb);
	tls_client = tls_client_ctx();
	TEST_ASSERT(tls_client != NULL);
	return tls_server;
}

static void
tls_teardown(void)
{
	char path[160];

	if (tls_server == NULL)
		return;
	SSL_CTX_free(tls_server);
	SSL_CTX_free(tls_client);
	snprintf(path, sizeof(path), "%s/tls/selfsigned.key", tls_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tls/selfsigned.crt", tls_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tls", tls_dir);
	rmdir(path);
	rmdir(tls_dir);
	tls_server = NULL;
}

/* The client side: a thread with a blocking socket and OpenSSL. */
struct client {
	int fd;
	bool starttls;	  /* plaintext STARTTLS first */
	const char *inject; /* sent with the STARTTLS line in one packet */
	size_t echo_len;  /* bytes to send and expect back (echo test) */
	const char *greeting; /* expected first over TLS (echo test) */
	bool garbage;	  /* send plaintext instead of a ClientHello */
	/* results */
	bool handshake_ok, got_greeting, got_220, got_250, got_221, close_notify;
	size_t echoed;
	bool echo_ok;
	char error[160];
};

/* Read a plaintext reply up to and including "220 go\r\n". */
static bool
client_read_220(int fd)
{
	char tmp[4096];
	size_t have = 0;

	while (have < sizeof(tmp)) {
		ssize_t n = recv(fd, tmp + have, sizeof(tmp) - have, 0);

		if (n <= 0)
			return false;
		have += (size_t)n;
		if (have >= 8 && memcmp(tmp + have - 8, "220 go\r\n", 8) == 0)
			return true;
		if (have > 7) {
			/* keep a tail that may start the final line */
			memmove(tmp, tmp + have - 7, 7);
			have = 7;
		}
	}
	return false;
}

/* SSL_read until buf ends with want (or the buffer fills). */
static bool
client_ssl_expect(SSL *ssl, const char *want)
{
	char tmp[256];
	size_t have = 0, wl = strlen(want);

	while (have < sizeof(tmp)) {
		int n = SSL_read(ssl, tmp + have, (int)(sizeof(tmp) - have));

		if (n <= 0)
			return false;
		have += (size_t)n;
		if (have >= wl && memcmp(tmp + have - wl, want, wl) == 0)
			return true;
	}
	return false;
}

static void *
client_thread(void *arg)
{
	struct client *cl = arg;
	struct timeval tv = {.tv_sec = 5};
	SSL *ssl = NULL;
	char line[512];

	setsockopt(cl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(cl->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (cl->garbage) {
		(void)!send(cl->fd, "EHLO plain\r\n", 12, MSG_NOSIGNAL);
		while (recv(cl->fd, line, sizeof(line), 0) > 0)
			;
		goto out;
	}
	if (cl->starttls) {
		snprintf(line, sizeof(line), "STARTTLS\r\n%s",
			 cl->inject != NULL ? cl->inject : "");
		/* one send: the injected bytes arrive with the command */
		if (send(cl->fd, line, strlen(line), MSG_NOSIGNAL) !=
		    (ssize_t)strlen(line))
			goto out;
		/* let a long reply fill the socket so the server has to
		   wait for EV_WRITE */
		usleep(30000);
		if (!(cl->got_220 = client_read_220(cl->fd)))
			goto out;
	}
	ssl = SSL_new(tls_client);
	SSL_set_fd(ssl, cl->fd);
	if (SSL_connect(ssl) != 1) {
		ERR_error_string_n(ERR_get_error(), cl->error,
				   sizeof(cl->error));
		goto out;
	}
	cl->handshake_ok = true;
	if (cl->greeting != NULL &&
	    !(cl->got_greeting = client_ssl_expect(ssl, cl->greeting)))
		goto out;
	if (cl->echo_len > 0) {
		static uint8_t data[400000], back[sizeof(data)];
		size_t off = 0, sent = 0;

		fill_pattern(data, cl->echo_len, 0);
		/* interleave so neither side's buffers have to hold it all */
		while (off < cl->echo_len) {
			if (sent < cl->echo_len) {
				size_t n = cl->echo_len - sent;
				int w = SSL_write(ssl, data + sent,
						  (int)(n > 5000 ? 5000 : n));

				if (w <= 0)
					goto out;
				sent += (size_t)w;
			}
			if (sent == cl->echo_len || sent - off > 100000) {
				int r = SSL_read(ssl, back + off,
						 (int)(cl->echo_len - off));

				if (r <= 0)
					goto out;
				off += (size_t)r;
			}
		}
		cl->echoed = off;
		cl->echo_ok = memcmp(back, data, cl->echo_len) == 0;
		SSL_shutdown(ssl);
		/* the server closes on our close_notify, with its own */
		cl->close_notify = SSL_read(ssl, line, sizeof(line)) == 0 &&
				   SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN;
		goto out;
	}
	if (SSL_write(ssl, "EHLO x\r\n", 8) != 8)
		goto out;
	if (!(cl->got_250 = client_ssl_expect(ssl, "250 hi\r\n")))
		goto out;
	if (SSL_write(ssl, "QUIT\r\n", 6) != 6)
		goto out;
	if (!(cl->got_221 = client_ssl_expect(ssl, "221 bye\r\n")))
		goto out;
	ERR_clear_error();
	cl->close_notify = SSL_read(ssl, line, sizeof(line)) == 0 &&
			   SSL_get_error(ssl, 0) == SSL_ERROR_ZERO_RETURN;
out:
	SSL_free(ssl);
	ERR_clear_error();
	return NULL;
}

/* The server side of a small SMTP-like exchange. */
struct tls_server_state {
	struct buf plain_lines, tls_lines; /* "line|" each */
	bool big_reply;			   /* 220 after a long reply */
	bool starttls_pending;		   /* start TLS on CONN_DRAINED */
	int start_rc;
	size_t in_after_start;
	bool tls_at_ready, tls_before;
};

static struct tls_server_state tss;

static void
tls_start_now(struct cstate *st)
{
	tss.tls_before = conn_is_tls(st->c);
	tss.start_rc = conn_start_tls(st->c, tls_server);
	tss.in_after_start = buf_len(&st->c->in);
	/* written during the handshake: held, then sent encrypted (in
	   plaintext it would break the client's handshake) */
	conn_write(st->c, "* secure\r\n", 10);
}

static void
smtp_like_hook(struct cstate *st, enum conn_event e)
{
	struct conn *c = st->c;
	const char *line;
	size_t len;
	bool too_long;

	if (e == CONN_TLS_READY)
		tss.tls_at_ready = conn_is_tls(c);
	if (e == CONN_DRAINED && tss.starttls_pending) {
		tss.starttls_pending = false;
		tls_start_now(st);
	}
	if (e == CONN_EOF)
		conn_close(c);
	if (e != CONN_DATA || tss.starttls_pending)
		return; /* a real session ignores input until the handshake */
	while ((line = buf_getline(&c->in, 512, &len, &too_long)) != NULL) {
		bool tls = conn_is_tls(c);

		buf_append(tls ? &tss.tls_lines : &tss.plain_lines, line, len);
		buf_append_str(tls ? &tss.tls_lines : &tss.plain_lines, "|");
		if (!tls && strcmp(line, "STARTTLS") == 0) {
			if (tss.big_reply) {
				static char filler[300000];
				size_t i;

				for (i = 0; i + 2 <= sizeof(filler); i += 100) {
					memset(filler + i, 'x', 98);
					memcpy(filler + i, "220-", 4);
					memcpy(filler + i + 98, "\r\n", 2);
				}
				conn_write(c, filler, sizeof(filler));
			}
			conn_write(c, "220 go\r\n", 8);
			if (buf_len(&c->out) > 0)
				tss.starttls_pending = true;
			else
				tls_start_now(st);
			break; /* what follows is not to be parsed */
		} else if (tls && strcmp(line, "EHLO x") == 0) {
			conn_write(c, "250 hi\r\n", 8);
		} else if (strcmp(line, "QUIT") == 0) {
			conn_write(c, "221 bye\r\n", 9);
			conn_close_after_flush(c);
		}
	}
}

static void
run_starttls(bool big_reply)
{
	struct cstate *st;
	struct client cl = {0};
	pthread_t th;

	tls_setup();
	memset(&tss, 0, sizeof(tss));
	tss.big_reply = big_reply;
	tss.start_rc = 99;
	st = cstate_new(NULL, 0);
	st->consume = false;
	st->hook = smtp_like_hook;
	cl.fd = st->peer;
	cl.starttls = true;
	cl.inject = "MAIL FROM:<evil@example.org>\r\nRCPT TO:<x@y>\r\n";
	cl.greeting = "* secure\r\n";
	TEST_ASSERT_INTEQ(pthread_create(&th, NULL, client_thread, &cl), 0);
	TEST_ASSERT(run_until(st, is_freed, 8000));
	pthread_join(th, NULL);
	if (cl.error[0] != '\0')
		fprintf(stderr, "  client: %s\n", cl.error);
	TEST_ASSERT_INTEQ(tss.start_rc, 0);
	TEST_ASSERT(!tss.tls_before);
	/* the bytes that came with STARTTLS were dropped, never parsed */
	TEST_ASSERT_INTEQ(tss.in_after_start, 0);
	TEST_ASSERT_MEMEQ(buf_rptr(&tss.plain_lines),
			  buf_len(&tss.plain_lines), "STARTTLS|", 9);
	TEST_ASSERT_MEMEQ(buf_rptr(&tss.tls_lines), buf_len(&tss.tls_lines),
			  "EHLO x|QUIT|", 12);
	TEST_ASSERT(cl.got_220 && cl.handshake_ok && cl.got_greeting &&
		    cl.got_250 && cl.got_221);
	TEST_ASSERT_INTEQ(st->count[CONN_TLS_READY], 1);
	TEST_ASSERT(tss.tls_at_ready);
	/* close_after_flush on TLS sends close_notify */
	TEST_ASSERT(cl.close_notify);
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 0);
	/* a big reply went out through CONN_DRAINED first */
	TEST_ASSERT_INTEQ(st->count[CONN_DRAINED] > 0, big_reply);
	buf_deinit(&tss.plain_lines);
	buf_deinit(&tss.tls_lines);
	cstate_free(st);
}

static void
test_conn_starttls(void)
{
	test_begin("conn STARTTLS, reply sent at once");
	run_starttls(false);
	test_end();
}

static void
test_conn_starttls_drained(void)
{
	test_begin("conn STARTTLS from CONN_DRAINED");
	run_starttls(true);
	test_end();
}

/* conn_start_tls refuses while output is pending, and twice. */
static void
test_conn_starttls_refused(void)
{
	struct cstate *st;

	test_begin("conn_start_tls refusals");
	tls_setup();
	st = cstate_new(NULL, 0);
	API_VOID(st, conn_cork(st->c));
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "220 go\r\n", 8)), 0);
	TEST_ASSERT_INTEQ(API(st, conn_start_tls(st->c, tls_server)), -1);
	API_VOID(st, conn_uncork(st->c));
	TEST_ASSERT_INTEQ(API(st, conn_start_tls(st->c, tls_server)), 0);
	TEST_ASSERT(!conn_is_tls(st->c)); /* handshake not done */
	TEST_ASSERT_INTEQ(API(st, conn_start_tls(st->c, tls_server)), -1);
	cstate_free(st);
	test_end();
}

static void
echo_hook(struct cstate *st, enum conn_event e)
{
	if (e == CONN_DATA && buf_len(&st->got) > 0) {
		TEST_ASSERT_INTEQ(conn_write(st->c, buf_rptr(&st->got),
					     buf_len(&st->got)),
				  0);
		buf_reset(&st->got);
	}
	if (e == CONN_EOF)
		conn_close_after_flush(st->c);
}

/* Implicit TLS with a small input buffer: OpenSSL holds decrypted bytes
   that epoll cannot see, and they must still be delivered. */
static void
test_conn_tls_echo(void)
{
	struct cstate *st;
	struct client cl = {0};
	pthread_t th;

	test_begin("conn implicit TLS echo");
	tls_setup();
	st = cstate_new(tls_server, 1000);
	st->hook = echo_hook;
	/* written during the handshake: goes out after it, first */
	TEST_ASSERT_INTEQ(API(st, conn_write(st->c, "* hi\r\n", 6)), 0);
	TEST_ASSERT_INTEQ(API(st, conn_flush_now(st->c)), 1);
	cl.fd = st->peer;
	cl.greeting = "* hi\r\n";
	cl.echo_len = 400000;
	TEST_ASSERT_INTEQ(pthread_create(&th, NULL, client_thread, &cl), 0);
	TEST_ASSERT(run_until(st, is_freed, 8000));
	pthread_join(th, NULL);
	if (cl.error[0] != '\0')
		fprintf(stderr, "  client: %s\n", cl.error);
	TEST_ASSERT(cl.handshake_ok && cl.got_greeting);
	TEST_ASSERT_INTEQ(cl.echoed, cl.echo_len);
	TEST_ASSERT(cl.echo_ok);
	TEST_ASSERT(cl.close_notify);
	TEST_ASSERT_INTEQ(st->count[CONN_TLS_READY], 1);
	TEST_ASSERT_INTEQ(st->events[0], CONN_TLS_READY);
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 0);
	TEST_ASSERT(st->count[CONN_DATA] >= 400);
	cstate_free(st);
	test_end();
}

/* Plaintext where a ClientHello should be: CONN_ERROR, no CONN_DATA. */
static void
test_conn_tls_garbage(void)
{
	struct cstate *st;
	struct client cl = {0};
	pthread_t th;

	test_begin("conn TLS handshake failure");
	tls_setup();
	st = cstate_new(tls_server, 0);
	cl.fd = st->peer;
	cl.garbage = true;
	TEST_ASSERT_INTEQ(pthread_create(&th, NULL, client_thread, &cl), 0);
	TEST_ASSERT(run_until(st, is_freed, 5000));
	pthread_join(th, NULL);
	TEST_ASSERT_INTEQ(st->count[CONN_ERROR], 1);
	TEST_ASSERT_INTEQ(st->count[CONN_DATA], 0);
	TEST_ASSERT_INTEQ(st->count[CONN_TLS_READY], 0);
	cstate_free(st);
	tls_teardown();
	test_end();
}

TEST_MAIN(test_conn_read_chunks, test_conn_in_max, test_conn_setup_failure, test_conn_write_drained,
	  test_conn_flush_now, test_conn_cork, test_conn_pause, test_conn_eof,
	  test_conn_half_close, test_conn_write_error, test_conn_reset,
	  test_conn_linger, test_conn_linger_bounds,
	  test_conn_idle, test_conn_idle_close_after_flush,
	  test_conn_out_limit, test_conn_starttls, test_conn_starttls_drained,
	  test_conn_starttls_refused, test_conn_tls_echo,
	  test_conn_tls_garbage)

/* test_listener.c: bind, accept, total and per-address limits on
   127.0.0.0/8 (every address in it is local, so distinct client
   addresses need no setup). */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "ev.h"
#include "listener.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_ACCEPTED 1024

struct lstate {
	struct ev *ev;
	struct listener *l;
	char ips[MAX_ACCEPTED][64]; /* accepted, not yet released */
	int naccepted, nrefused;
	int want_accepted, want_refused;
	bool bad_peerlen;
	const char *refusal; /* written by the refuse callback, or NULL */
};

static void
on_accept(struct listener *l, int fd, const struct sockaddr *peer,
	  socklen_t peerlen, void *arg)
{
	struct lstate *st = arg;

	if (l != st->l || peerlen < sizeof(struct sockaddr_in))
		st->bad_peerlen = true;
	if (st->naccepted < MAX_ACCEPTED)
		listener_format_ip(peer, st->ips[st->naccepted], 64);
	st->naccepted++;
	/* the connection stays counted until listener_release, whether
	   the socket is open or not */
	close(fd);
	if (st->naccepted >= st->want_accepted &&
	    st->nrefused >= st->want_refused)
		ev_stop(st->ev);
}

static void
on_refuse(int fd, void *arg)
{
	struct lstate *st = arg;

	if (st->refusal != NULL)
		(void)!write(fd, st->refusal, strlen(st->refusal));
	st->nrefused++;
	if (st->naccepted >= st->want_accepted &&
	    st->nrefused >= st->want_refused)
		ev_stop(st->ev);
}

static void
on_deadline(struct ev *ev, void *arg)
{
	*(bool *)arg = true;
	ev_stop(ev);
}

/* Run the loop until the accept/refuse counts reach the targets.
   Returns false on timeout. */
static bool
wait_counts(struct lstate *st, int accepted, int refused)
{
	bool expired = false;
	uint64_t t;

	st->want_accepted = accepted;
	st->want_refused = refused;
	if (st->naccepted >= accepted && st->nrefused >= refused)
		return true;
	t = ev_add_timer(st->ev, 3000, on_deadline, &expired);
	ev_run(st->ev);
	ev_del_timer(st->ev, t);
	return !expired;
}

/* A blocking TCP client from src (an address in 127/8) to port. */
static int
connect_from(const char *src, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, src, &sa.sin_addr);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Read until EOF (with a timeout) into out; returns bytes read or -1. */
static ssize_t
read_all(int fd, char *out, size_t outlen)
{
	struct timeval tv = {.tv_sec = 3};
	size_t got = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < outlen) {
		ssize_t n = read(fd, out + got, outlen - got);

		if (n == 0)
			break;
		if (n < 0)
			return errno == ECONNRESET ? (ssize_t)got : -1;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Release the accepted connection at index i (as its session ends). */
static void
release_at(struct lstate *st, int i)
{
	listener_release(st->l, st->ips[i]);
	st->ips[i][0] = '\0';
}

static void
release_all(struct lstate *st)
{
	int i;

	for (i = 0; i < st->naccepted && i < MAX_ACCEPTED; i++)
		if (st->ips[i][0] != '\0')
			release_at(st, i);
}

static struct lstate *
lstate_new(unsigned *max_total, unsigned *max_per_ip,
	   listener_refuse_fn *refuse)
{
	struct lstate *st = calloc(1, sizeof(*st));
	struct listener_limits lim = {max_total, max_per_ip};
	const char *err = NULL;

	log_set_level(LOG_ERROR); /* refusals are logged as warnings */
	st->ev = ev_new();
	st->l = listener_bind("127.0.0.1:0", &err);
	TEST_ASSERT(st->l != NULL);
	if (st->l == NULL) {
		fprintf(stderr, "  bind: %s\n", err);
		exit(1);
	}
	TEST_ASSERT(listener_port(st->l) > 0);
	listener_start(st->l, st->ev, &lim, on_accept, refuse, st);
	return st;
}

static void
lstate_free(struct lstate *st)
{
	release_all(st);
	listener_free(&st->l);
	TEST_ASSERT(st->l == NULL);
	ev_free(&st->ev);
	free(st);
}

static void
test_listener_limits(void)
{
	unsigned max_total = 3, max_per_ip = 2;
	struct lstate *st;
	int port, fd[8], i;
	char reply[64];

	test_begin("listener limits");
	st = lstate_new(&max_total, &max_per_ip, on_refuse);
	port = listener_port(st->l);
	st->refusal = "421 busy\r\n";
	TEST_ASSERT_INTEQ(listener_total(), 0);
	/* per address: two from 127.0.0.1 pass, the third is refused */
	for (i = 0; i < 3; i++) {
		fd[i] = connect_from("127.0.0.1", port);
		TEST_ASSERT(fd[i] >= 0);
		TEST_ASSERT(wait_counts(st, i < 2 ? i + 1 : 2, i < 2 ? 0 : 1));
	}
	TEST_ASSERT_INTEQ(st->naccepted, 2);
	TEST_ASSERT_INTEQ(st->nrefused, 1);
	TEST_ASSERT_STREQ(st->ips[0], "127.0.0.1");
	TEST_ASSERT_STREQ(st->ips[1], "127.0.0.1");
	TEST_ASSERT_INTEQ(listener_total(), 2);
	/* the refused client got the refusal line, then the close */
	TEST_ASSERT_INTEQ(read_all(fd[2], reply, sizeof(reply)), 10);
	TEST_ASSERT_MEMEQ(reply, 10, "421 busy\r\n", 10);
	/* another address is counted on its own */
	fd[3] = connect_from("127.0.0.2", port);
	TEST_ASSERT(wait_counts(st, 3, 1));
	TEST_ASSERT_STREQ(st->ips[2], "127.0.0.2");
	TEST_ASSERT_INTEQ(listener_total(), 3);
	/* the total limit refuses a fresh address */
	fd[4] = connect_from("127.0.0.3", port);
	TEST_ASSERT(wait_counts(st, 3, 2));
	TEST_ASSERT_INTEQ(st->naccepted, 3);
	TEST_ASSERT_INTEQ(listener_total(), 3);
	/* a connection of 127.0.0.1 ends: it may connect again */
	release_at(st, 0);
	TEST_ASSERT_INTEQ(listener_total(), 2);
	fd[5] = connect_from("127.0.0.1", port);
	TEST_ASSERT(wait_counts(st, 4, 2));
	TEST_ASSERT_STREQ(st->ips[3], "127.0.0.1");
	/* limits are read through the pointers each time (SIGHUP) */
	max_total = 10;
	fd[6] = connect_from("127.0.0.3", port);
	TEST_ASSERT(wait_counts(st, 5, 2));
	TEST_ASSERT_STREQ(st->ips[4], "127.0.0.3");
	max_per_ip = 1;
	fd[7] = connect_from("127.0.0.2", port); /* 127.0.0.2 has one */
	TEST_ASSERT(wait_counts(st, 5, 3));
	TEST_ASSERT_INTEQ(st->naccepted, 5);
	TEST_ASSERT(!st->bad_peerlen);
	for (i = 0; i < 8; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	release_all(st);
	TEST_ASSERT_INTEQ(listener_total(), 0);
	/* releasing an address never seen, or once too often, does not
	   underflow */
	listener_release(st->l, "192.0.2.1");
	TEST_ASSERT_INTEQ(listener_total(), 0);
	lstate_free(st);
	test_end();
}

/* Without a refuse callback the refused socket is just closed. */
static void
test_listener_refuse_silent(void)
{
	unsigned max_total = 1, max_per_ip = 1;
	struct lstate *st;
	int port, a, b;
	char reply[16];

	test_begin("listener refuse without callback");
	st = lstate_new(&max_total, &max_per_ip, NULL);
	port = listener_port(st->l);
	a = connect_from("127.0.0.1", port);
	TEST_ASSERT(wait_counts(st, 1, 0));
	b = connect_from("127.0.0.1", port);
	TEST_ASSERT(b >= 0);
	/* nothing counts the refusal here; wait for the close instead by
	   running the loop briefly */
	st->want_accepted = 2;
	{
		bool expired = false;

		ev_add_timer(st->ev, 100, on_deadline, &expired);
		ev_run(st->ev);
	}
	TEST_ASSERT_INTEQ(st->naccepted, 1);
	TEST_ASSERT_INTEQ(read_all(b, reply, sizeof(reply)), 0);
	TEST_ASSERT_INTEQ(listener_total(), 1);
	close(a);
	close(b);
	lstate_free(st);
	TEST_ASSERT_INTEQ(listener_total(), 0);
	test_end();
}

/* Many distinct addresses: the per-address table grows and keeps every
   count across the growth. */
static void
test_listener_many_addresses(void)
{
	unsigned max_total = 100000, max_per_ip = 1;
	struct lstate *st;
	int port, i, fds[50], k;
	const int n = 700;
	char ip[32];

	test_begin("listener many addresses");
	st = lstate_new(&max_total, &max_per_ip, on_refuse);
	port = listener_port(st->l);
	for (i = 0; i < n; i += 50) {
		for (k = 0; k < 50 && i + k < n; k++) {
			snprintf(ip, sizeof(ip), "127.1.%d.%d", (i + k) / 250,
				 (i + k) % 250 + 1);
			fds[k] = connect_from(ip, port);
			TEST_ASSERT(fds[k] >= 0);
		}
		TEST_ASSERT(wait_counts(st, i + k, 0));
		while (k-- > 0)
			close(fds[k]);
	}
	TEST_ASSERT_INTEQ(st->naccepted, n);
	TEST_ASSERT_INTEQ(st->nrefused, 0);
	TEST_ASSERT_INTEQ(listener_total(), (unsigned)n);
	/* every address still holds its one connection */
	for (i = 0; i < n; i += 37) {
		snprintf(ip, sizeof(ip), "127.1.%d.%d", i / 250, i % 250 + 1);
		fds[0] = connect_from(ip, port);
		TEST_ASSERT(wait_counts(st, n, st->nrefused + 1));
		close(fds[0]);
	}
	TEST_ASSERT_INTEQ(st->naccepted, n);
	/* after a release the address may connect again, once */
	release_at(st, 0);
	fds[0] = connect_from("127.1.0.1", port);
	TEST_ASSERT(wait_counts(st, n + 1, st->nrefused));
	TEST_ASSERT_STREQ(st->ips[n], "127.1.0.1");
	close(fds[0]);
	/* churn: everyone else leaves, then many new addresses come and go
	   one at a time (released slots are dropped when the table is
	   rebuilt); 127.1.0.1 stays connected throughout */
	for (i = 1; i < n; i++)
		release_at(st, i);
	TEST_ASSERT_INTEQ(listener_total(), 1);
	for (i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "127.2.%d.%d", i / 250, i % 250 + 1);
		fds[0] = connect_from(ip, port);
		TEST_ASSERT(wait_counts(st, st->naccepted + 1, st->nrefused));
		close(fds[0]);
		if (st->naccepted <= MAX_ACCEPTED)
			release_at(st, st->naccepted - 1);
		else
			listener_release(st->l, ip);
	}
	TEST_ASSERT_INTEQ(listener_total(), 1);
	fds[0] = connect_from("127.1.0.1", port);
	TEST_ASSERT(wait_counts(st, st->naccepted, st->nrefused + 1));
	close(fds[0]);
	fds[0] = connect_from("127.1.0.2", port); /* released earlier */
	TEST_ASSERT(wait_counts(st, st->naccepted + 1, st->nrefused));
	close(fds[0]);
	if (st->naccepted > MAX_ACCEPTED)
		listener_release(st->l, "127.1.0.2");
	release_all(st);
	TEST_ASSERT_INTEQ(listener_total(), 0);
	lstate_free(st);
	test_end();
}

static void
test_listener_bind_errors(void)
{
	const char *err = NULL;
	struct listener *a, *b;
	char addr[64];
	int fd;

	test_begin("listener bind errors");
	TEST_ASSERT(listener_bind("nocolon", &err) == NULL);
	TEST_ASSERT(err != NULL && *err != '\0');
	err = NULL;
	TEST_ASSERT(listener_bind("[::1:25", &err) == NULL);
	TEST_ASSERT_STREQ(err, "bad IPv6 address");
	err = NULL;
	TEST_ASSERT(listener_bind("256.1.1.1:25", &err) == NULL);
	TEST_ASSERT(err != NULL);
	err = NULL;
	TEST_ASSERT(listener_bind("127.0.0.1:port", &err) == NULL);
	TEST_ASSERT(err != NULL);
	/* the same port twice */
	a = listener_bind("127.0.0.1:0", &err);
	TEST_ASSERT(a != NULL);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", listener_port(a));
	err = NULL;
	b = listener_bind(addr, &err);
	TEST_ASSERT(b == NULL);
	TEST_ASSERT(err != NULL);
	TEST_ASSERT_INTEQ(errno, EADDRINUSE);
	/* after listener_free nothing listens there any more */
	listener_free(&a);
	TEST_ASSERT(a == NULL);
	listener_free(&a); /* NULL is ignored */
	fd = connect_from("127.0.0.1", atoi(strchr(addr, ':') + 1));
	TEST_ASSERT_INTEQ(fd, -1);
	TEST_ASSERT_INTEQ(errno, ECONNREFUSED);
	test_end();
}

static void
test_listener_ipv6(void)
{
	const char *err = NULL;
	struct listener *l;

	test_begin("listener IPv6");
	l = listener_bind("[::1]:0", &err);
	if (l == NULL) {
		/* no IPv6 loopback in this environment: nothing to test */
		fprintf(stderr, "  (skipped: [::1] not available: %s)\n", err);
		return;
	}
	TEST_ASSERT(listener_port(l) > 0);
	listener_free(&l);
	test_end();
}

static void
test_listener_format_ip(void)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6};
	struct sockaddr_un su = {.sun_family = AF_UNIX};
	char out[64];

	test_begin("listener_format_ip");
	inet_pton(AF_INET, "192.0.2.33", &s4.sin_addr);
	listener_format_ip((struct sockaddr *)&s4, out, sizeof(out));
	TEST_ASSERT_STREQ(out, "192.0.2.33");
	inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr);
	listener_format_ip((struct sockaddr *)&s6, out, sizeof(out));
	TEST_ASSERT_STREQ(out, "2001:db8::1");
	/* v4-mapped addresses count as the IPv4 client they are */
	inet_pton(AF_INET6, "::ffff:198.51.100.7", &s6.sin6_addr);
	listener_format_ip((struct sockaddr *)&s6, out, sizeof(out));
	TEST_ASSERT_STREQ(out, "198.51.100.7");
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		  &s6.sin6_addr);
	listener_format_ip((struct sockaddr *)&s6, out, sizeof(out));
	TEST_ASSERT_STREQ(out, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	listener_format_ip((struct sockaddr *)&su, out, sizeof(out));
	TEST_ASSERT_STREQ(out, "unknown");
	test_end();
}

TEST_MAIN(test_listener_limits, test_listener_refuse_silent,
	  test_listener_many_addresses, test_listener_bind_errors,
	  test_listener_ipv6, test_listener_format_ip)

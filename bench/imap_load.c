/* imap_load.c: IMAP load generator for bench/imap.sh.  Event-driven
   (epoll, non-blocking sockets, one loop per thread), plain IMAP on
   loopback with LOGIN, so that it works against any IMAP4rev1 server and
   costs little CPU next to the server it drives.
   Build: make build/release/imap_load (bench/imap.sh builds it).

   Load mode (the default): C clients each run sessions back to back for
   D seconds (after W seconds of warm-up that are not counted).  A session
   is the mix of a mail client that opens the inbox, shows a page of it,
   reads a few messages, marks one, files a new one and deletes it:
     LOGIN, SELECT INBOX,
     FETCH 1:* (FLAGS UID)                 the whole mailbox's state
     UID FETCH a:b (ENVELOPE)              the newest -e messages
     UID FETCH u (BODY.PEEK[])             -b random messages, one at a time
     UID STORE u +FLAGS (\Seen)            the last one read (-FLAGS when it
                                           was seen already: every STORE
                                           changes a flag, so the runs stay
                                           alike however often they repeat)
     APPEND INBOX {n}                      a new -a octet message (a
                                           synchronizing literal: waits for
                                           the "+" continuation)
     UID STORE u +FLAGS.SILENT (\Deleted)  the appended message (its UID from
                                           APPENDUID, RFC 4315; else found by
                                           UID SEARCH HEADER Message-ID)
     EXPUNGE, LOGOUT
   Every command is one operation; its latency runs from sending the
   command to its tagged reply (for APPEND, through the continuation).  A
   session that is under way at the end of the D seconds runs to its
   LOGOUT (so the mailboxes are left as they were) but what completes
   after the end is not counted.  Users are handed out from a FIFO so that
   a user is in at most ceil(C / N) sessions at once; with C <= N each
   session has its user to itself and the checks are exact: the FETCH 1:*
   count equals EXISTS, the envelope page holds -e messages, each BODY[]
   is a non-empty literal, the STORE reply shows the new \Seen state.  Any
   NO, BAD, BYE, malformed or unexpected reply stops the program with exit
   status 1.
   Prints a line per command kind, "op NAME n=.. p50_ms=.. p99_ms=..", then
   one line of key=value pairs: clients seconds sessions ops ops_per_s
   p50_ms p99_ms max_ms octets client_cpu_s machine_busy_s (machine_busy_s:
   CPU seconds that every process used meanwhile, from /proc/stat).

   -V (verify): one session per user: LOGIN, SELECT INBOX,
   FETCH 1:* (RFC822.SIZE BODY.PEEK[]), LOGOUT; each BODY[] literal must be
   RFC822.SIZE octets.  Prints "USER COUNT OCTETS DIGEST" per user, DIGEST
   the sum of a 64-bit FNV-1a hash of each message (order independent).

   -X CMD (one command): LOGIN as -U USER, SELECT INBOX, then CMD -r times
   on that one connection; prints "select_ms=.." and a line per run
   "run=I ms=.. hits=H" (H: the numbers in its SEARCH / ESEARCH ALL
   replies, or ESEARCH COUNT), then "median_ms=.. hits=H".  -H N: fail
   unless every run finds N hits.

   -I N (idle): N connections, at most -w of them logging in at once, each
   LOGIN, SELECT INBOX, IDLE (RFC 2177) until the "+" continuation; then,
   with every connection idle, the memory of the server process -P PID
   (/proc/PID/status) is compared with what it was with one connection
   idle: prints VmRSS/VmHWM and KiB per connection.  Raises RLIMIT_NOFILE
   itself (to the hard limit).

   Run: imap_load [options] PORT
     -u PRE -d SUF  user names PRE N SUF (default u, @bench.test)
     -n N      users 1..N (default 50)          -w PASS  password
     -c C      clients (default 20)             -t T     threads (default 1)
     -D S      seconds measured (default 10)    -W S     warm-up (default 0)
     -e E      envelopes per page (default 50)  -b B     bodies (default 3)
     -a A      octets of the appended message (default 2000)
     -U USER   the user of -X (default the first)
     -r R      runs of -X (default 3)           -H N     expected hits
     -l L      logins at once in -I mode (default 100)
     -P PID    server process for -I */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOAD_READ (256 * 1024)	  /* one read() per wake-up, per thread */
#define LOAD_RESP_MAX (64u << 20) /* one response, literals excluded */
#define LOAD_CMD_MAX 1024	  /* one command line */
#define LOAD_EVENTS 256
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

enum mode { MODE_LOAD, MODE_VERIFY, MODE_CMD, MODE_IDLE };

enum op {
	OP_LOGIN,
	OP_SELECT,
	OP_FLAGS,
	OP_ENVELOPE,
	OP_BODY,
	OP_SEEN,
	OP_APPEND,
	OP_FIND,
	OP_DELETE,
	OP_EXPUNGE,
	OP_LOGOUT,
	OP_VERIFY,
	OP_CMD,
	OP_IDLE,
	OP_CONNECT, /* connect() to the greeting: not a command, not counted
		       in ops or in p50/p99, printed on its own */
	OP_N
};

static const char *const op_name[OP_N] = {
    "login",	     "select",	  "fetch_flags", "fetch_envelope",
    "fetch_body",    "store_seen", "append",	 "uid_search",
    "store_deleted", "expunge",	  "logout",	 "fetch_all",
    "command",	     "idle",	  "connect"};

struct opts {
	enum mode mode;
	int port;
	const char *user_pre, *user_suf, *pass;
	int users, clients, threads;
	double seconds, warmup;
	int envelopes, bodies, append_size;
	const char *cmd, *cmd_user;
	int runs;
	long expect_hits;
	int idle_conns, idle_window;
	int pid;
};

/* Latencies of one command kind, in microseconds. */
struct lat {
	uint32_t *v;
	size_t n, cap;
};

struct msg {
	uint32_t uid;
	bool seen;
};

struct worker;

struct conn {
	struct worker *w;
	int fd;
	int user;     /* 1..users; 0: none */
	bool connected;
	bool greeted;
	bool closed;   /* by the server, after LOGOUT or while idle */
	bool idle;     /* IDLE continuation received */
	unsigned gen;  /* sessions started on this client */
	enum op op;    /* the command in flight */
	int op_index;  /* which body (OP_BODY), which run (OP_CMD) */
	char tag[16];
	unsigned tagn;
	double t_cmd;
	/* output not yet written */
	char *out;
	size_t out_len, out_off, out_cap;
	char *lit;	/* APPEND literal sent after the continuation */
	size_t lit_len;
	/* the response being read: text, literals left out */
	char *resp;
	size_t resp_len, resp_cap;
	uint64_t lit_left;  /* literal octets still to skip */
	uint64_t lit_total; /* literal octets of this response */
	uint64_t lit_hash;  /* FNV-1a of them (verify mode) */
	/* the session */
	long exists;
	struct msg *msgs; /* by sequence number - 1 */
	size_t nmsgs, msgs_cap;
	long count;	  /* FETCH/SEARCH answers to this command */
	long expect;	  /* what count must be (exact checks) */
	uint32_t pick;	  /* the UID read / stored */
	bool pick_seen;
	uint32_t append_uid;
	char msgid[96];
	uint64_t octets, digest;
	uint64_t rng;
};

struct worker {
	const struct opts *o;
	int ep;
	struct conn *conns;
	int nconns;
	int active; /* connections not finished */
	struct lat lat[OP_N];
	long sessions;
	uint64_t octets;
	char *rbuf;
	pthread_t tid;
	/* -X */
	double cmd_ms[64];
	long cmd_hits[64];
	double select_ms;
	/* -I */
	int started, idle, closed_idle, data_idle;
};

/* Shared by the workers. */
static struct {
	pthread_mutex_t mu;
	int *freeq; /* ring of user slots: each user per_user times */
	int nq, head, nfree;
	int per_user;
	double t_start, t_end; /* the counted window */
	long verify_next;      /* -V: next user to check */
	long *v_count;
	uint64_t *v_octets, *v_digest;
	unsigned long append_seq;
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("imap_load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		fail("out of memory");
	return p;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds used by all processes since boot (/proc/stat, first line;
   idle and iowait are not busy). */
static double
machine_busy_s(void)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");

	if (f == NULL ||
	    fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		fail("cannot read /proc/stat");
	fclose(f);
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
	       (double)sysconf(_SC_CLK_TCK);
}

static double
self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static uint64_t
rng_next(uint64_t *s)
{
	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static void
lat_push(struct lat *l, uint32_t us)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = us;
}

static void
lat_add(struct lat *l, double seconds)
{
	double us = seconds * 1e6;

	lat_push(l, us >= 4e9 ? UINT32_MAX : (uint32_t)us);
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (nearest rank) of a sorted set, in milliseconds. */
static double
lat_q(const struct lat *l, double q)
{
	size_t i;

	if (l->n == 0)
		return 0;
	i = (size_t)ceil(q * (double)l->n);
	return (double)l->v[i > 0 ? i - 1 : 0] / 1000.0;
}

static void
user_name(const struct opts *o, int u, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s%d%s", o->user_pre, u,
			     o->user_suf) >= size)
		fail("user name too long");
}

/* ---------------------------------------------------------------- users */

static int
user_take(void)
{
	int u = 0;

	pthread_mutex_lock(&g.mu);
	if (g.nfree > 0) {
		u = g.freeq[g.head];
		g.head = (g.head + 1) % g.nq;
		g.nfree--;
	}
	pthread_mutex_unlock(&g.mu);
	return u;
}

static void
user_give(int u)
{
	pthread_mutex_lock(&g.mu);
	g.freeq[(g.head + g.nfree) % g.nq] = u;
	g.nfree++;
	pthread_mutex_unlock(&g.mu);
}

/* ---------------------------------------------------------------- output */

static void
conn_flush(struct conn *c)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};

	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			fail("%s user %d: send: %s", op_name[c->op], c->user,
			     strerror(errno));
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	else
		ev.events |= EPOLLOUT;
	if (epoll_ctl(c->w->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		fail("epoll_ctl: %s", strerror(errno));
}

static void
conn_queue(struct conn *c, const char *p, size_t n)
{
	if (c->out_len + n > c->out_cap) {
		c->out_cap = c->out_len + n + 4096;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
}

/* Sends "TAG command\r\n" as operation op. */
static void
conn_cmd(struct conn *c, enum op op, const char *fmt, ...)
{
	char line[LOAD_CMD_MAX];
	va_list ap;
	int n, t;

	t = snprintf(line, sizeof(line), "a%u ", ++c->tagn);
	va_start(ap, fmt);
	n = vsnprintf(line + t, sizeof(line) - (size_t)t - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)(t + n) >= sizeof(line) - 2)
		fail("command too long");
	memcpy(c->tag, line, (size_t)t - 1);
	c->tag[t - 1] = '\0';
	memcpy(line + t + n, "\r\n", 2);
	c->op = op;
	c->count = 0;
	c->t_cmd = now_s();
	conn_queue(c, line, (size_t)(t + n + 2));
	conn_flush(c);
}

/* ---------------------------------------------------------------- sessions */

static void conn_start(struct conn *c);

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(c->w->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->out_len = c->out_off = 0;
	c->resp_len = 0;
	c->lit_left = 0;
}

/* The session is over: the next one, or this client is done. */
static void
session_end(struct conn *c)
{
	struct worker *w = c->w;

	conn_close(c);
	if (c->user != 0 && w->o->mode == MODE_LOAD)
		user_give(c->user);
	c->user = 0;
	if (now_s() < g.t_end || w->o->mode == MODE_VERIFY)
		conn_start(c);
	if (c->fd < 0)
		w->active--;
}

/* Messages 1..n_orig are the mailbox as generated: the highest sequence
   numbers may be messages that other sessions of the user append and
   expunge meanwhile. */
static size_t
n_orig(const struct conn *c)
{
	size_t k = (size_t)g.per_user;

	return c->nmsgs > k ? c->nmsgs - k : 1;
}

static void
append_send(struct conn *c)
{
	const struct opts *o = c->w->o;
	char user[256], head[1024];
	unsigned long seq;
	size_t hl, body;
	int n;

	pthread_mutex_lock(&g.mu);
	seq = ++g.append_seq;
	pthread_mutex_unlock(&g.mu);
	user_name(o, c->user, user, sizeof(user));
	snprintf(c->msgid, sizeof(c->msgid), "<load.%d.%lu@bench.test>",
		 (int)getpid(), seq);
	n = snprintf(head, sizeof(head),
		     "From: Load Generator <load@bench.test>\r\n"
		     "To: <%s>\r\n"
		     "Subject: imap_load append %lu\r\n"
		     "Date: Mon, 1 Jan 2024 12:00:00 +0000\r\n"
		     "Message-ID: %s\r\n"
		     "MIME-Version: 1.0\r\n"
		     "Content-Type: text/plain; charset=us-ascii\r\n\r\n",
		     user, seq, c->msgid);
	if (n < 0 || (size_t)n >= sizeof(head))
		fail("APPEND header too long");
	hl = (size_t)n;
	body = (size_t)o->append_size > hl + 2 ? (size_t)o->append_size - hl
					       : 2;
	c->lit_len = hl + body + 2; /* + the CRLF that ends the command */
	c->lit = xrealloc(c->lit, c->lit_len);
	memcpy(c->lit, head, hl);
	/* lines of 70 letters and CRLF; the last line may be shorter */
	for (size_t i = 0; i < body; i++) {
		size_t col = i % 72;

		c->lit[hl + i] = col == 70 ? '\r' : col == 71 ? '\n'
						   : (char)('a' + (i / 72 + col) % 26);
	}
	c->lit[hl + body - 2] = '\r';
	c->lit[hl + body - 1] = '\n';
	memcpy(c->lit + hl + body, "\r\n", 2);
	conn_cmd(c, OP_APPEND, "APPEND INBOX {%zu}", hl + body);
}

/* The next command of a load session after op succeeded. */
static void
load_next(struct conn *c, const char *text)
{
	const struct opts *o = c->w->o;
	bool exact = g.per_user == 1;
	size_t orig = n_orig(c);
	const char *p;

	switch (c->op) {
	case OP_LOGIN:
		conn_cmd(c, OP_SELECT, "SELECT INBOX");
		break;
	case OP_SELECT:
		if (c->exists < 1)
			fail("user %d: SELECT INBOX: no messages", c->user);
		c->nmsgs = 0;
		conn_cmd(c, OP_FLAGS, "FETCH 1:* (FLAGS UID)");
		break;
	case OP_FLAGS: {
		size_t lo;

		if (c->nmsgs == 0 ||
		    (exact ? (size_t)c->count != c->nmsgs ||
				 (long)c->nmsgs != c->exists
			   : (size_t)c->count < c->nmsgs))
			fail("user %d: FETCH 1:* gave %ld answers for "
			     "messages 1..%zu, EXISTS %ld",
			     c->user, c->count, c->nmsgs, c->exists);
		for (size_t i = 0; i < c->nmsgs; i++)
			if (c->msgs[i].uid == 0 ||
			    (i > 0 && c->msgs[i].uid <= c->msgs[i - 1].uid))
				fail("user %d: FETCH 1:* UIDs are not "
				     "ascending at message %zu",
				     c->user, i + 1);
		orig = n_orig(c);
		lo = orig > (size_t)o->envelopes ? orig - (size_t)o->envelopes
						 : 0;
		c->expect = (long)(orig - lo);
		conn_cmd(c, OP_ENVELOPE, "UID FETCH %" PRIu32 ":%" PRIu32
			 " (ENVELOPE)",
			 c->msgs[lo].uid, c->msgs[orig - 1].uid);
		break;
	}
	case OP_ENVELOPE:
	case OP_BODY:
		if (c->count != c->expect)
			fail("user %d: %s gave %ld messages, not %ld", c->user,
			     op_name[c->op], c->count, c->expect);
		if (c->op == OP_ENVELOPE)
			c->op_index = 0;
		if (c->op_index < o->bodies) {
			size_t i = (size_t)(rng_next(&c->rng) % orig);

			c->pick = c->msgs[i].uid;
			c->pick_seen = c->msgs[i].seen;
			c->expect = 1;
			c->op_index++;
			conn_cmd(c, OP_BODY, "UID FETCH %" PRIu32
				 " (BODY.PEEK[])",
				 c->pick);
			break;
		}
		c->expect = 1;
		conn_cmd(c, OP_SEEN, "UID STORE %" PRIu32 " %cFLAGS (\\Seen)",
			 c->pick, c->pick_seen ? '-' : '+');
		break;
	case OP_SEEN:
		if (exact && c->count != 1)
			fail("user %d: UID STORE %" PRIu32 " gave %ld FETCH "
			     "answers, not 1",
			     c->user, c->pick, c->count);
		append_send(c);
		break;
	case OP_APPEND:
	case OP_FIND:
		if (c->op == OP_APPEND &&
		    (p = strstr(text, "[APPENDUID ")) != NULL) {
			unsigned long v, u;

			if (sscanf(p + 11, "%lu %lu", &v, &u) != 2 || u == 0)
				fail("user %d: bad APPENDUID: %s", c->user,
				     text);
			c->append_uid = (uint32_t)u;
		} else if (c->op == OP_APPEND) {
			c->append_uid = 0;
			conn_cmd(c, OP_FIND,
				 "UID SEARCH HEADER Message-ID \"%s\"",
				 c->msgid);
			break;
		}
		if (c->append_uid == 0)
			fail("user %d: the appended %s is not found", c->user,
			     c->msgid);
		conn_cmd(c, OP_DELETE,
			 "UID STORE %" PRIu32 " +FLAGS.SILENT (\\Deleted)",
			 c->append_uid);
		break;
	case OP_DELETE:
		conn_cmd(c, OP_EXPUNGE, "EXPUNGE");
		break;
	case OP_EXPUNGE:
		conn_cmd(c, OP_LOGOUT, "LOGOUT");
		break;
	default:
		fail("unexpected state");
	}
}

/* -X: CMD again, or LOGOUT after the last run. */
static void
cmd_next(struct conn *c)
{
	struct worker *w = c->w;
	double ms = (now_s() - c->t_cmd) * 1000;

	if (c->op == OP_SELECT)
		w->select_ms = ms;
	if (c->op == OP_CMD) {
		w->cmd_ms[c->op_index] = ms;
		w->cmd_hits[c->op_index] = c->count;
		printf("run=%d ms=%.1f hits=%ld\n", c->op_index + 1, ms,
		       c->count);
		fflush(stdout);
		if (w->o->expect_hits >= 0 && c->count != w->o->expect_hits)
			fail("run %d found %ld, not %ld", c->op_index + 1,
			     c->count, w->o->expect_hits);
		c->op_index++;
	} else
		c->op_index = 0;
	if (c->op_index == w->o->runs) {
		conn_cmd(c, OP_LOGOUT, "LOGOUT");
		return;
	}
	conn_cmd(c, OP_CMD, "%s", w->o->cmd);
}

/* The command in flight got its tagged reply, text after the tag. */
static void
conn_done(struct conn *c, const char *text)
{
	struct worker *w = c->w;
	double t = now_s();

	if (strncmp(text, "OK", 2) != 0)
		fail("user %d: %s: %s %s", c->user, op_name[c->op], c->tag,
		     text);
	if (c->t_cmd >= g.t_start && t <= g.t_end)
		lat_add(&w->lat[c->op], t - c->t_cmd);
	if (c->op == OP_LOGOUT) {
		if (t <= g.t_end && c->t_cmd >= g.t_start) {
			w->sessions++;
			w->octets += c->octets;
		}
		if (w->o->mode == MODE_VERIFY) {
			pthread_mutex_lock(&g.mu);
			g.v_count[c->user - 1] = (long)c->nmsgs;
			g.v_octets[c->user - 1] = c->octets;
			g.v_digest[c->user - 1] = c->digest;
			pthread_mutex_unlock(&g.mu);
		}
		session_end(c);
		return;
	}
	switch (w->o->mode) {
	case MODE_LOAD:
		load_next(c, text);
		break;
	case MODE_VERIFY:
		if (c->op == OP_LOGIN)
			conn_cmd(c, OP_SELECT, "SELECT INBOX");
		else if (c->op == OP_SELECT) {
			c->nmsgs = 0;
			conn_cmd(c, OP_VERIFY,
				 "FETCH 1:* (RFC822.SIZE BODY.PEEK[])");
		} else {
			if ((long)c->nmsgs != c->exists || c->count != c->exists)
				fail("user %d: FETCH 1:* gave %ld of %ld "
				     "messages",
				     c->user, c->count, c->exists);
			conn_cmd(c, OP_LOGOUT, "LOGOUT");
		}
		break;
	case MODE_CMD:
		if (c->op == OP_LOGIN)
			conn_cmd(c, OP_SELECT, "SELECT INBOX");
		else
			cmd_next(c);
		break;
	case MODE_IDLE:
		if (c->op == OP_LOGIN)
			conn_cmd(c, OP_SELECT, "SELECT INBOX");
		else if (c->op == OP_SELECT)
			conn_cmd(c, OP_IDLE, "IDLE");
		else
			fail("user %d: IDLE ended: %s", c->user, text);
		break;
	}
}

/* ---------------------------------------------------------------- replies */

/* The number after " NAME " in a FETCH response (UID, RFC822.SIZE), or
   -1.  Only called on responses without quoted text before it. */
static long long
fetch_item(const char *resp, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = strstr(resp, name); p != NULL;
	     p = strstr(p + 1, name))
		if ((p[-1] == '(' || p[-1] == ' ') && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
	return -1;
}

/* Numbers in "* SEARCH 1 2 3" (the ESEARCH ALL set "1:3,7" counts each
   message; ESEARCH COUNT n counts n). */
static long
search_hits(const char *resp)
{
	const char *p;
	long n = 0;

	if (strncmp(resp, "* SEARCH", 8) == 0) {
		for (p = resp + 8; *p != '\0'; p++)
			if (*p >= '0' && *p <= '9' &&
			    (p[-1] == ' ' || p[-1] == '('))
				n++;
		return n;
	}
	if ((p = strstr(resp, " COUNT ")) != NULL)
		return strtol(p + 7, NULL, 10);
	if ((p = strstr(resp, " ALL ")) != NULL) {
		char *end;

		for (p += 5;;) {
			unsigned long a = strtoul(p, &end, 10), b = a;

			if (end == p)
				break;
			if (*end == ':')
				b = strtoul(end + 1, &end, 10);
			n += (long)(b >= a ? b - a + 1 : a - b + 1);
			if (*end != ',')
				break;
			p = end + 1;
		}
	}
	return n;
}

/* An untagged FETCH response, seq its message number. */
static void
on_fetch(struct conn *c, long seq, const char *resp)
{
	long long uid = fetch_item(resp, "UID"), size;

	switch (c->op) {
	case OP_FLAGS:
		if (uid > 0) {
			const char *f = strstr(resp, "FLAGS (");
			const char *e = f != NULL ? strchr(f, ')') : NULL;
			const char *s = f != NULL ? strstr(f, "\\Seen") : NULL;

			if (f == NULL || e == NULL)
				fail("user %d: no FLAGS: %s", c->user, resp);
			if ((size_t)seq > c->msgs_cap) {
				c->msgs_cap = (size_t)seq * 2;
				c->msgs = xrealloc(c->msgs, c->msgs_cap *
								sizeof(*c->msgs));
			}
			while (c->nmsgs < (size_t)seq)
				c->msgs[c->nmsgs++] = (struct msg){0};
			c->msgs[seq - 1].uid = (uint32_t)uid;
			c->msgs[seq - 1].seen = s != NULL && s < e;
			c->count++;
		}
		break;
	case OP_ENVELOPE:
		if (strstr(resp, "ENVELOPE (") != NULL)
			c->count++;
		break;
	case OP_BODY:
		if (strstr(resp, "BODY[] ") != NULL) {
			if (uid != c->pick || c->lit_total == 0)
				fail("user %d: UID FETCH %" PRIu32
				     " (BODY.PEEK[]) answered: %s",
				     c->user, c->pick, resp);
			c->octets += c->lit_total;
			c->count++;
		}
		break;
	case OP_SEEN:
		if (uid == c->pick || uid < 0) {
			const char *f = strstr(resp, "FLAGS (");
			const char *e = f != NULL ? strchr(f, ')') : NULL;
			const char *s = f != NULL ? strstr(f, "\\Seen") : NULL;
			bool seen = s != NULL && e != NULL && s < e;

			if (f == NULL)
				break;
			if (g.per_user == 1 && seen == c->pick_seen)
				fail("user %d: STORE %s\\Seen answered: %s",
				     c->user, c->pick_seen ? "-" : "+", resp);
			c->count++;
		}
		break;
	case OP_VERIFY:
		size = fetch_item(resp, "RFC822.SIZE");
		if (strstr(resp, "BODY[] ") == NULL)
			break;
		if (size < 0 || (uint64_t)size != c->lit_total)
			fail("user %d: message %ld: RFC822.SIZE %lld, BODY[] "
			     "%" PRIu64 " octets",
			     c->user, seq, size, c->lit_total);
		c->octets += c->lit_total;
		c->digest += c->lit_hash;
		c->nmsgs++;
		c->count++;
		break;
	default:
		break;
	}
}

/* One complete response (literals left out, "{n}" kept). */
static void
on_response(struct conn *c, const char *resp)
{
	long seq;
	char word[32];
	size_t tl = strlen(c->tag);

	if (resp[0] == '+') {
		if (c->op == OP_APPEND && c->lit != NULL && c->lit_len > 0) {
			conn_queue(c, c->lit, c->lit_len);
			c->lit_len = 0;
			conn_flush(c);
		} else if (c->op == OP_IDLE && !c->idle) {
			c->idle = true;
			c->w->idle++;
		} else
			fail("user %d: %s: unexpected continuation: %s",
			     c->user, op_name[c->op], resp);
		return;
	}
	if (strncmp(resp, "* ", 2) == 0) {
		if (!c->greeted) {
			if (strncmp(resp, "* OK", 4) != 0)
				fail("greeting: %s", resp);
			c->greeted = true;
			if (c->t_cmd >= g.t_start && now_s() <= g.t_end)
				lat_add(&c->w->lat[OP_CONNECT],
					now_s() - c->t_cmd);
			char user[256];

			user_name(c->w->o, c->user, user, sizeof(user));
			if (c->w->o->mode == MODE_CMD && c->w->o->cmd_user)
				snprintf(user, sizeof(user), "%s",
					 c->w->o->cmd_user);
			conn_cmd(c, OP_LOGIN, "LOGIN \"%s\" \"%s\"", user,
				 c->w->o->pass);
			return;
		}
		if (sscanf(resp, "* %ld %31s", &seq, word) == 2) {
			if (strcmp(word, "EXISTS") == 0)
				c->exists = seq;
			else if (strcmp(word, "EXPUNGE") == 0) {
				if (c->op == OP_FLAGS || c->op == OP_VERIFY)
					fail("user %d: EXPUNGE during FETCH",
					     c->user);
			} else if (strcmp(word, "FETCH") == 0 && seq > 0)
				on_fetch(c, seq, resp);
			return;
		}
		if (strncmp(resp, "* SEARCH", 8) == 0 ||
		    strncmp(resp, "* ESEARCH", 9) == 0) {
			long n = search_hits(resp);

			c->count += n;
			if (c->op == OP_FIND && n == 1 && resp[2] == 'S')
				c->append_uid = (uint32_t)strtoul(
				    resp + 9, NULL, 10);
			return;
		}
		if (strncmp(resp, "* BYE", 5) == 0 && c->op != OP_LOGOUT)
			fail("user %d: %s: %s", c->user, op_name[c->op], resp);
		return;
	}
	if (strncmp(resp, c->tag, tl) == 0 && resp[tl] == ' ') {
		conn_done(c, resp + tl + 1);
		return;
	}
	fail("user %d: %s: unexpected: %.200s", c->user, op_name[c->op],
	     resp);
}

/* If resp ends with a literal's "{n}" or "{n+}", returns n, else -1. */
static long long
literal_len(const char *resp, size_t len)
{
	size_t i;

	if (len < 3 || resp[len - 1] != '}')
		return -1;
	i = len - 1;
	if (resp[i - 1] == '+')
		i--;
	while (i > 0 && resp[i - 1] >= '0' && resp[i - 1] <= '9')
		i--;
	if (i == 0 || resp[i - 1] != '{' || i == len - 1)
		return -1;
	return strtoll(resp + i, NULL, 10);
}

static void
resp_append(struct conn *c, const char *p, size_t n)
{
	if (c->resp_len + n + 1 > c->resp_cap) {
		if (c->resp_len + n + 1 > LOAD_RESP_MAX)
			fail("user %d: response longer than %u octets",
			     c->user, LOAD_RESP_MAX);
		c->resp_cap = (c->resp_len + n + 1) * 2;
		c->resp = xrealloc(c->resp, c->resp_cap);
	}
	memcpy(c->resp + c->resp_len, p, n);
	c->resp_len += n;
}

/* Bytes from the server: responses split into lines, literals skipped
   (hashed in verify mode). */
static void
conn_input(struct conn *c, const char *p, size_t n)
{
	bool hash = c->w->o->mode == MODE_VERIFY;
	unsigned gen = c->gen;

	/* stop when the session ends (LOGOUT answered: the next one may
	   have started on this client already) */
	while (n > 0 && c->fd >= 0 && c->gen == gen) {
		const char *nl;
		size_t k;
		long long lit;

		if (c->lit_left > 0) {
			k = n < c->lit_left ? n : (size_t)c->lit_left;
			if (hash)
				for (size_t i = 0; i < k; i++)
					c->lit_hash =
					    (c->lit_hash ^ (unsigned char)p[i]) *
					    FNV_PRIME;
			c->lit_left -= k;
			p += k;
			n -= k;
			continue;
		}
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		resp_append(c, p, k);
		p += k;
		n -= k;
		if (nl == NULL)
			break;
		c->resp_len--;
		if (c->resp_len > 0 && c->resp[c->resp_len - 1] == '\r')
			c->resp_len--;
		c->resp[c->resp_len] = '\0';
		if ((lit = literal_len(c->resp, c->resp_len)) >= 0) {
			c->lit_left = (uint64_t)lit;
			c->lit_total += (uint64_t)lit;
			c->lit_hash = FNV_OFFSET;
			continue;
		}
		on_response(c, c->resp);
		c->resp_len = 0;
		c->lit_total = 0;
	}
}

/* ---------------------------------------------------------------- loop */

static void
conn_start(struct conn *c)
{
	struct worker *w = c->w;
	const struct opts *o = w->o;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)o->port)};
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
	int one = 1;

	if (o->mode == MODE_VERIFY) {
		pthread_mutex_lock(&g.mu);
		c->user = g.verify_next < o->users ? (int)++g.verify_next : 0;
		pthread_mutex_unlock(&g.mu);
		if (c->user == 0)
			return;
	} else if (o->mode == MODE_LOAD) {
		if ((c->user = user_take()) == 0)
			fail("no free user (internal error)");
	} else
		c->user = (int)(w->started++ % o->users) + 1;
	c->gen++;
	c->connected = c->greeted = c->closed = c->idle = false;
	c->exists = -1;
	c->nmsgs = 0;
	c->octets = c->digest = 0;
	c->op = OP_LOGIN;
	c->t_cmd = now_s(); /* the greeting's wait, as OP_CONNECT */
	c->resp_len = 0;
	c->lit_left = c->lit_total = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		fail("socket: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 &&
	    errno != EINPROGRESS)
		fail("connect to 127.0.0.1:%d: %s", o->port, strerror(errno));
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		fail("epoll_ctl: %s", strerror(errno));
}

static void
conn_event(struct conn *c, uint32_t events)
{
	struct worker *w = c->w;

	if (!c->connected) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0)
			fail("connect to 127.0.0.1:%d: %s", w->o->port,
			     strerror(err));
		c->connected = true;
		conn_flush(c); /* now only EPOLLIN */
	}
	if (events & EPOLLOUT)
		conn_flush(c);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv(c->fd, w->rbuf, LOAD_READ, 0);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			if (c->idle) {
				c->closed = true;
				w->closed_idle++;
				conn_close(c);
				return;
			}
			fail("user %d: %s: connection %s by the server",
			     c->user, op_name[c->op],
			     n == 0 ? "closed" : strerror(errno));
		}
		if (c->idle) {
			w->data_idle++;
			return;
		}
		conn_input(c, w->rbuf, (size_t)n);
		/* after LOGOUT's tagged OK the session moved on; a server
		   that closes after BYE without the tagged reply is caught by
		   the read above */
	}
}

/* Fails saying which commands are still waiting for their reply. */
static void
worker_timeout(struct worker *w)
{
	int waiting[OP_N] = {0};
	char what[1024] = "";
	size_t len = 0;

	for (int i = 0; i < w->nconns; i++)
		if (w->conns[i].fd >= 0 && !w->conns[i].idle)
			waiting[w->conns[i].op]++;
	for (int k = 0; k < OP_N; k++)
		if (waiting[k] > 0 && len < sizeof(what))
			len += (size_t)snprintf(what + len, sizeof(what) - len,
						" %s:%d", op_name[k],
						waiting[k]);
	fail("timed out (%d idle, %d active; waiting for replies to%s)",
	     w->idle, w->active, what);
}

/* Runs the loop until every connection is done, or (want_idle > 0)
   until want_idle connections are idle; fails after deadline. */
static void
worker_loop(struct worker *w, int want_idle, double deadline)
{
	struct epoll_event ev[LOAD_EVENTS];

	while (want_idle > 0 ? w->idle < want_idle : w->active > 0) {
		int n;

		/* -I: keep -l logins in flight */
		while (want_idle > 0 && w->started < want_idle &&
		       w->started - w->idle < w->o->idle_window) {
			w->conns[w->started].w = w;
			conn_start(&w->conns[w->started]);
		}
		n = epoll_wait(w->ep, ev, LOAD_EVENTS, 1000);
		if (n < 0 && errno != EINTR)
			fail("epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n; i++)
			conn_event(ev[i].data.ptr, ev[i].events);
		if (now_s() > deadline)
			worker_timeout(w);
	}
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < w->nconns; i++) {
		w->conns[i].w = w;
		w->conns[i].rng = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1) +
				  (uint64_t)getpid() + (uint64_t)(uintptr_t)w;
		w->active++;
		conn_start(&w->conns[i]);
		if (w->conns[i].fd < 0)
			w->active--;
	}
	/* sessions under way at the end run to their LOGOUT */
	worker_loop(w, 0, g.t_end + 300);
	return NULL;
}

static void
worker_init(struct worker *w, const struct opts *o, int nconns)
{
	w->o = o;
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	w->conns = calloc((size_t)nconns, sizeof(*w->conns));
	w->rbuf = malloc(LOAD_READ);
	if (w->ep < 0 || w->conns == NULL || w->rbuf == NULL)
		fail("cannot set up a worker");
	w->nconns = nconns;
	for (int i = 0; i < nconns; i++)
		w->conns[i].fd = -1;
}

/* ---------------------------------------------------------------- modes */

static void
proc_mem(int pid, long *rss, long *hwm)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		fail("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		sscanf(line, "VmRSS: %ld", rss);
		sscanf(line, "VmHWM: %ld", hwm);
	}
	fclose(f);
}

static int
run_idle(const struct opts *o)
{
	struct worker w = {0};
	struct rlimit rl;
	long rss0 = 0, hwm0 = 0, rss = 0, hwm = 0, prev = -1;
	double t0;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)o->idle_conns + 64)
		fail("RLIMIT_NOFILE %llu is too low for %d connections",
		     (unsigned long long)rl.rlim_cur, o->idle_conns);
	if (o->pid <= 0)
		fail("-I needs -P PID (the server process)");
	worker_init(&w, o, o->idle_conns);
	/* one idle connection first; the server settles to the baseline */
	worker_loop(&w, 1, now_s() + 60);
	for (int i = 0; i < 15; i++) {
		usleep(1000 * 1000);
		proc_mem(o->pid, &rss0, &hwm0);
		if (rss0 == prev)
			break;
		prev = rss0;
	}
	t0 = now_s();
	worker_loop(&w, o->idle_conns, t0 + 600);
	t0 = now_s() - t0;
	{
		/* a second more: anything the server sends or closes now */
		struct epoll_event ev[LOAD_EVENTS];
		double end = now_s() + 1;

		while (now_s() < end) {
			int n = epoll_wait(w.ep, ev, LOAD_EVENTS, 100);

			for (int i = 0; i < n; i++)
				conn_event(ev[i].data.ptr, ev[i].events);
		}
	}
	proc_mem(o->pid, &rss, &hwm);
	printf("idle=%d opened_s=%.1f closed=%d got_data=%d rss0_kib=%ld "
	       "rss_kib=%ld hwm_kib=%ld kib_per_conn=%.2f\n",
	       w.idle - w.closed_idle, t0, w.closed_idle, w.data_idle, rss0,
	       rss, hwm,
	       (double)(hwm - rss0) / (double)(o->idle_conns > 1
						   ? o->idle_conns - 1
						   : 1));
	return w.closed_idle == 0 ? 0 : 1;
}

static int
dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
run_cmd(const struct opts *o)
{
	struct worker w = {0};
	double ms[64];

	worker_init(&w, o, 1);
	w.conns[0].w = &w;
	w.active = 1;
	conn_start(&w.conns[0]);
	worker_loop(&w, 0, now_s() + 3600);
	memcpy(ms, w.cmd_ms, sizeof(ms));
	qsort(ms, (size_t)o->runs, sizeof(*ms), dbl_cmp);
	printf("select_ms=%.1f\nmedian_ms=%.1f hits=%ld\n", w.select_ms,
	       o->runs % 2 ? ms[o->runs / 2]
			   : (ms[o->runs / 2 - 1] + ms[o->runs / 2]) / 2,
	       w.cmd_hits[o->runs - 1]);
	return 0;
}

static int
run_load(const struct opts *o)
{
	struct worker *w = calloc((size_t)o->threads, sizeof(*w));
	struct lat all = {0};
	double connect_p99 = 0;
	long sessions = 0;
	uint64_t octets = 0;
	double cpu0, busy0, t_wait;

	if (w == NULL)
		fail("out of memory");
	/* user slots: each user per_user times, interleaved */
	g.per_user = o->mode == MODE_LOAD
			 ? (o->clients + o->users - 1) / o->users
			 : 1;
	g.nq = o->users * g.per_user;
	g.freeq = calloc((size_t)g.nq, sizeof(*g.freeq));
	if (g.freeq == NULL)
		fail("out of memory");
	for (int k = 0; k < g.per_user; k++)
		for (int u = 0; u < o->users; u++)
			g.freeq[k * o->users + u] = u + 1;
	g.nfree = g.nq;
	if (o->mode == MODE_VERIFY) {
		g.v_count = calloc((size_t)o->users, sizeof(*g.v_count));
		g.v_octets = calloc((size_t)o->users, sizeof(*g.v_octets));
		g.v_digest = calloc((size_t)o->users, sizeof(*g.v_digest));
		if (!g.v_count || !g.v_octets || !g.v_digest)
			fail("out of memory");
		g.t_start = 0;
		g.t_end = now_s() + 3600;
	} else {
		g.t_start = now_s() + o->warmup;
		g.t_end = g.t_start + o->seconds;
	}
	for (int i = 0; i < o->threads; i++)
		worker_init(&w[i], o,
			    o->clients / o->threads +
				(i < o->clients % o->threads));
	for (int i = 0; i < o->threads; i++)
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
			fail("pthread_create failed");
	/* the counted window (busy CPU of the machine over it) */
	t_wait = g.t_start - now_s();
	if (t_wait > 0)
		usleep((useconds_t)(t_wait * 1e6));
	busy0 = machine_busy_s();
	cpu0 = self_cpu_s();
	if (o->mode == MODE_LOAD)
		usleep((useconds_t)(o->seconds * 1e6));
	double busy1 = machine_busy_s(), cpu1 = self_cpu_s();
	for (int i = 0; i < o->threads; i++)
		pthread_join(w[i].tid, NULL);

	if (o->mode == MODE_VERIFY) {
		for (int u = 0; u < o->users; u++) {
			char user[256];

			user_name(o, u + 1, user, sizeof(user));
			printf("%s %ld %" PRIu64 " %016" PRIx64 "\n", user,
			       g.v_count[u], g.v_octets[u], g.v_digest[u]);
		}
		return 0;
	}
	for (int k = 0; k < OP_N; k++) {
		struct lat l = {0};

		for (int i = 0; i < o->threads; i++) {
			struct lat *x = &w[i].lat[k];

			for (size_t j = 0; j < x->n; j++) {
				lat_push(&l, x->v[j]);
				if (k != OP_CONNECT)
					lat_push(&all, x->v[j]);
			}
		}
		if (l.n == 0)
			continue;
		qsort(l.v, l.n, sizeof(*l.v), u32_cmp);
		printf("op %s n=%zu p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		       op_name[k], l.n, lat_q(&l, 0.5), lat_q(&l, 0.99),
		       lat_q(&l, 1.0));
		if (k == OP_CONNECT)
			connect_p99 = lat_q(&l, 0.99);
		free(l.v);
	}
	for (int i = 0; i < o->threads; i++) {
		sessions += w[i].sessions;
		octets += w[i].octets;
	}
	qsort(all.v, all.n, sizeof(*all.v), u32_cmp);
	printf("clients=%d seconds=%.1f sessions=%ld ops=%zu ops_per_s=%.1f "
	       "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f octets=%" PRIu64
	       " client_cpu_s=%.3f machine_busy_s=%.3f connect_p99_ms=%.2f\n",
	       o->clients, o->seconds, sessions, all.n,
	       (double)all.n / o->seconds, lat_q(&all, 0.5),
	       lat_q(&all, 0.99), lat_q(&all, 1.0), octets, cpu1 - cpu0,
	       busy1 - busy0, connect_p99);
	if (all.n == 0)
		fail("no operation completed in %.1f s", o->seconds);
	return 0;
}

static long
num_arg(const char *s, long min, long max, const char *name)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max)
		fail("%s must be a number from %ld to %ld", name, min, max);
	return v;
}

int
main(int argc, char **argv)
{
	struct opts o = {.mode = MODE_LOAD,
			 .user_pre = "u",
			 .user_suf = "@bench.test",
			 .pass = "bench-password",
			 .users = 50,
			 .clients = 20,
			 .threads = 1,
			 .seconds = 10,
			 .envelopes = 50,
			 .bodies = 3,
			 .append_size = 2000,
			 .runs = 3,
			 .expect_hits = -1,
			 .idle_window = 100};
	int opt;

	while ((opt = getopt(argc, argv,
			     "u:d:n:w:c:t:D:W:e:b:a:VX:U:r:H:I:l:P:")) != -1) {
		switch (opt) {
		case 'u':
			o.user_pre = optarg;
			break;
		case 'd':
			o.user_suf = optarg;
			break;
		case 'n':
			o.users = (int)num_arg(optarg, 1, 1000000, "-n");
			break;
		case 'w':
			o.pass = optarg;
			break;
		case 'c':
			o.clients = (int)num_arg(optarg, 1, 100000, "-c");
			break;
		case 't':
			o.threads = (int)num_arg(optarg, 1, 64, "-t");
			break;
		case 'D':
			o.seconds = (double)num_arg(optarg, 1, 86400, "-D");
			break;
		case 'W':
			o.warmup = (double)num_arg(optarg, 0, 86400, "-W");
			break;
		case 'e':
			o.envelopes = (int)num_arg(optarg, 1, 100000, "-e");
			break;
		case 'b':
			o.bodies = (int)num_arg(optarg, 1, 1000, "-b");
			break;
		case 'a':
			o.append_size =
			    (int)num_arg(optarg, 300, 10 << 20, "-a");
			break;
		case 'V':
			o.mode = MODE_VERIFY;
			break;
		case 'X':
			o.mode = MODE_CMD;
			o.cmd = optarg;
			break;
		case 'U':
			o.cmd_user = optarg;
			break;
		case 'r':
			o.runs = (int)num_arg(optarg, 1, 64, "-r");
			break;
		case 'H':
			o.expect_hits = num_arg(optarg, 0, 100000000, "-H");
			break;
		case 'I':
			o.mode = MODE_IDLE;
			o.idle_conns = (int)num_arg(optarg, 1, 1000000, "-I");
			break;
		case 'l':
			o.idle_window = (int)num_arg(optarg, 1, 100000, "-l");
			break;
		case 'P':
			o.pid = (int)num_arg(optarg, 1, 1 << 30, "-P");
			break;
		default:
			fail("usage: imap_load [-V | -X CMD | -I N] [options] "
			     "PORT (see bench/imap_load.c)");
		}
	}
	if (optind != argc - 1)
		fail("usage: imap_load [options] PORT");
	o.port = (int)num_arg(argv[optind], 1, 65535, "PORT");
	if (o.threads > o.clients)
		o.threads = o.clients;
	if (o.mode == MODE_VERIFY && o.clients > o.users)
		o.clients = o.users;
	switch (o.mode) {
	case MODE_IDLE:
		return run_idle(&o);
	case MODE_CMD:
		return run_cmd(&o);
	default:
		return run_load(&o);
	}
}

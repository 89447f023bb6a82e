/* pop3_load.c: POP3 load generator for bench/pop3.sh.  C threads with
   blocking sockets, so that the client costs little CPU next to the server.
   Build: make build/release/pop3_load (bench/pop3.sh builds it).

   Each session is: greeting, USER, PASS, LIST, RETR 1..n one at a time,
   QUIT (no DELE: the mailbox is left as it was).  Every RETR is checked
   against LIST: its octet count after removing the dot-stuffing
   (RFC 1939 3) must equal the size LIST gave.  Any -ERR, short read or
   mismatch stops the program with exit status 1.

   Run: pop3_load [options] PORT
     -u PRE   user names are PRE, the user number, SUF (default u)
     -d SUF   (default @bench.test): u1@bench.test, u2@bench.test, ...
     -n N     users 1..N (default 50)
     -w PASS  password (default bench-password)
     -c C     concurrent clients (default 20; at most N: a user is never in
	      two sessions at once, as buzon answers the second -ERR [IN-USE])
     -s S     sessions in total (default 200)
     -V       verify mode: one session per user (-c clients, -s ignored),
	      prints "USER COUNT OCTETS DIGEST" per user, sorted by user
	      number; DIGEST is the sum of a 64-bit FNV-1a hash of each
	      message (order independent, so two servers that number the
	      messages differently still agree)
   Prints one line of key=value pairs on stdout:
     sessions messages octets wall_s client_cpu_s machine_busy_s
   (machine_busy_s: CPU seconds that all processes used during the run,
   from /proc/stat: the server, this program and anything else). */
/* SPDX-License-Identifier: MIT */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOAD_BUF (64 * 1024)
#define LOAD_LINE_MAX 512 /* a status or LIST line; RFC 2449 4 allows 512 */
#define LOAD_MSGS_MAX 100000
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

struct opts {
	int port;
	const char *user_pre, *user_suf;
	const char *pass;
	int users;
	int clients;
	long sessions;
	int verify;
};

/* Shared by the client threads: a FIFO of users not in a session, the
   sessions left to start, totals, and the verify results. */
struct shared {
	const struct opts *o;
	pthread_mutex_t mu;
	int *freeq; /* ring of o->users entries */
	int head, nfree;
	long left;
	long sessions, messages;
	uint64_t octets;
	long *v_count;
	uint64_t *v_octets, *v_digest;
};

struct conn {
	int fd;
	const char *who;
	char buf[LOAD_BUF];
	size_t off, len;
};

static void
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("pop3_load: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU seconds used by all processes (user, nice, system, irq, softirq,
   steal) since boot, from the first line of /proc/stat. */
static double
machine_busy_s(void)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "r");
	long hz = sysconf(_SC_CLK_TCK);

	if (f == NULL ||
	    fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		fail("cannot read /proc/stat");
	fclose(f);
	/* v[3] idle and v[4] iowait are not busy */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)hz;
}

static double
client_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Reads more bytes after the unread ones (moved to the front first);
   fails on end of file or error. */
static void
conn_fill(struct conn *c)
{
	ssize_t n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf))
		fail("%s: buffer full", c->who);
	do
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		fail("%s: read: %s", c->who, strerror(errno));
	if (n == 0)
		fail("%s: connection closed by the server", c->who);
	c->len += (size_t)n;
}

/* Copies the next line without its CRLF into line (NUL-terminated). */
static void
conn_line(struct conn *c, char *line)
{
	char *nl;
	size_t n;

	while ((nl = memchr(c->buf + c->off, '\n', c->len - c->off)) == NULL) {
		if (c->len - c->off >= LOAD_LINE_MAX)
			fail("%s: line longer than %d octets", c->who,
			     LOAD_LINE_MAX);
		conn_fill(c);
	}
	n = (size_t)(nl - (c->buf + c->off));
	if (n > 0 && c->buf[c->off + n - 1] == '\r')
		n--;
	if (n >= LOAD_LINE_MAX)
		fail("%s: line longer than %d octets", c->who, LOAD_LINE_MAX);
	memcpy(line, c->buf + c->off, n);
	line[n] = '\0';
	c->off = (size_t)(nl - c->buf) + 1;
}

static void
conn_send(struct conn *c, const char *fmt, ...)
{
	char out[LOAD_LINE_MAX];
	va_list ap;
	int n;
	ssize_t w;

	va_start(ap, fmt);
	n = vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof(out))
		fail("%s: command too long", c->who);
	for (int done = 0; done < n; done += (int)w) {
		w = write(c->fd, out + done, (size_t)(n - done));
		if (w < 0 && errno == EINTR)
			w = 0;
		else if (w <= 0)
			fail("%s: write: %s", c->who, strerror(errno));
	}
}

/* Reads a status line and fails unless it is +OK; what is a reply to. */
static void
conn_ok(struct conn *c, const char *what)
{
	char line[LOAD_LINE_MAX];

	conn_line(c, line);
	if (strncmp(line, "+OK", 3) != 0)
		fail("%s: %s: %s", c->who, what, line);
}

/* Reads the rest of a multi-line response after its +OK line: returns the
   octets it holds once the dot-stuffing is removed (RFC 1939 3: a line
   that starts with "." has that "." removed, ".CRLF" ends the response);
   adds them to *hash (FNV-1a) when hash is not NULL. */
static uint64_t
conn_body(struct conn *c, uint64_t *hash)
{
	uint64_t octets = 0, h = hash != NULL ? *hash : 0;
	int bol = 1;

	for (;;) {
		char *p, *nl;
		size_t n;

		if (c->off == c->len)
			conn_fill(c);
		if (bol && c->buf[c->off] == '.') {
			while (c->len - c->off < 3)
				conn_fill(c);
			if (c->buf[c->off + 1] == '\r' &&
			    c->buf[c->off + 2] == '\n') {
				c->off += 3;
				break;
			}
			c->off++; /* the stuffed dot; the rest of the line is
				     data */
			bol = 0;
			continue;
		}
		p = c->buf + c->off;
		nl = memchr(p, '\n', c->len - c->off);
		n = nl != NULL ? (size_t)(nl - p) + 1 : c->len - c->off;
		if (hash != NULL)
			for (size_t i = 0; i < n; i++)
				h = (h ^ (unsigned char)p[i]) * FNV_PRIME;
		octets += n;
		c->off += n;
		bol = nl != NULL;
	}
	if (hash != NULL)
		*hash = h;
	return octets;
}

static void
user_name(const struct opts *o, int u, char *out, size_t size)
{
	if ((size_t)snprintf(out, size, "%s%d%s", o->user_pre, u,
			     o->user_suf) >= size)
		fail("user name too long");
}

/* One full session as user number u; adds to the totals. */
static void
session(struct shared *sh, int u)
{
	const struct opts *o = sh->o;
	struct conn *c = malloc(sizeof(*c));
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)o->port)};
	char user[256], line[LOAD_LINE_MAX];
	uint64_t *sizes = malloc(LOAD_MSGS_MAX * sizeof(*sizes));
	uint64_t octets = 0, digest = 0;
	long n = 0;
	int one = 1;

	if (c == NULL || sizes == NULL)
		fail("out of memory");
	user_name(o, u, user, sizeof(user));
	c->who = user;
	c->off = c->len = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		fail("socket: %s", strerror(errno));
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		fail("connect to 127.0.0.1:%d: %s", o->port, strerror(errno));
	conn_ok(c, "greeting");
	conn_send(c, "USER %s\r\n", user);
	conn_ok(c, "USER");
	conn_send(c, "PASS %s\r\n", o->pass);
	conn_ok(c, "PASS");
	conn_send(c, "LIST\r\n");
	conn_ok(c, "LIST");
	for (;;) {
		long num;
		unsigned long long size;

		conn_line(c, line);
		if (strcmp(line, ".") == 0)
			break;
		if (sscanf(line, "%ld %llu", &num, &size) != 2 || num != n + 1)
			fail("%s: bad LIST line: %s", user, line);
		if (n == LOAD_MSGS_MAX)
			fail("%s: more than %d messages", user, LOAD_MSGS_MAX);
		sizes[n++] = size;
	}
	for (long i = 0; i < n; i++) {
		uint64_t h = FNV_OFFSET, got;

		conn_send(c, "RETR %ld\r\n", i + 1);
		conn_ok(c, "RETR");
		got = conn_body(c, o->verify ? &h : NULL);
		if (got != sizes[i])
			fail("%s: RETR %ld gave %" PRIu64
			     " octets, LIST said %" PRIu64,
			     user, i + 1, got, sizes[i]);
		octets += got;
		digest += h;
	}
	conn_send(c, "QUIT\r\n");
	conn_ok(c, "QUIT");
	close(c->fd);
	free(sizes);
	free(c);

	pthread_mutex_lock(&sh->mu);
	sh->sessions++;
	sh->messages += n;
	sh->octets += octets;
	if (o->verify) {
		sh->v_count[u - 1] = n;
		sh->v_octets[u - 1] = octets;
		sh->v_digest[u - 1] = digest;
	}
	pthread_mutex_unlock(&sh->mu);
}

static void *
client(void *arg)
{
	struct shared *sh = arg;
	int users = sh->o->users;

	for (;;) {
		int u;

		pthread_mutex_lock(&sh->mu);
		if (sh->left == 0 || sh->nfree == 0) {
			/* nfree > 0 always holds while clients <= users */
			pthread_mutex_unlock(&sh->mu);
			return NULL;
		}
		sh->left--;
		u = sh->freeq[sh->head];
		sh->head = (sh->head + 1) % users;
		sh->nfree--;
		pthread_mutex_unlock(&sh->mu);

		session(sh, u);

		pthread_mutex_lock(&sh->mu);
		sh->freeq[(sh->head + sh->nfree) % users] = u;
		sh->nfree++;
		pthread_mutex_unlock(&sh->mu);
	}
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
	struct opts o = {.user_pre = "u",
			 .user_suf = "@bench.test",
			 .pass = "bench-password",
			 .users = 50,
			 .clients = 20,
			 .sessions = 200};
	struct shared sh = {.o = &o};
	pthread_t *tid;
	double t0, t1, cpu0, cpu1, busy0, busy1;
	int opt;

	while ((opt = getopt(argc, argv, "u:d:n:w:c:s:V")) != -1) {
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
			o.clients = (int)num_arg(optarg, 1, 10000, "-c");
			break;
		case 's':
			o.sessions = num_arg(optarg, 1, 100000000, "-s");
			break;
		case 'V':
			o.verify = 1;
			break;
		default:
			fail("usage: pop3_load [-u PRE] [-d SUF] [-n USERS] "
			     "[-w PASS] [-c CLIENTS] "
			     "[-s SESSIONS] [-V] PORT");
		}
	}
	if (optind != argc - 1)
		fail("usage: pop3_load [options] PORT");
	o.port = (int)num_arg(argv[optind], 1, 65535, "PORT");
	if (o.clients > o.users)
		fail("-c %d is more than -n %d users", o.clients, o.users);
	if (o.verify)
		o.sessions = o.users;

	pthread_mutex_init(&sh.mu, NULL);
	sh.freeq = calloc((size_t)o.users, sizeof(*sh.freeq));
	sh.v_count = calloc((size_t)o.users, sizeof(*sh.v_count));
	sh.v_octets = calloc((size_t)o.users, sizeof(*sh.v_octets));
	sh.v_digest = calloc((size_t)o.users, sizeof(*sh.v_digest));
	tid = calloc((size_t)o.clients, sizeof(*tid));
	if (sh.freeq == NULL || sh.v_count == NULL || sh.v_octets == NULL ||
	    sh.v_digest == NULL || tid == NULL)
		fail("out of memory");
	for (int i = 0; i < o.users; i++)
		sh.freeq[i] = i + 1;
	sh.nfree = o.users;
	sh.left = o.sessions;

	busy0 = machine_busy_s();
	cpu0 = client_cpu_s();
	t0 = now_s();
	for (int i = 0; i < o.clients; i++)
		if (pthread_create(&tid[i], NULL, client, &sh) != 0)
			fail("pthread_create failed");
	for (int i = 0; i < o.clients; i++)
		pthread_join(tid[i], NULL);
	t1 = now_s();
	cpu1 = client_cpu_s();
	busy1 = machine_busy_s();

	if (sh.sessions != o.sessions)
		fail("%ld sessions of %ld done", sh.sessions, o.sessions);
	if (o.verify)
		for (int i = 0; i < o.users; i++) {
			char user[256];

			user_name(&o, i + 1, user, sizeof(user));
			printf("%s %ld %" PRIu64 " %016" PRIx64 "\n", user,
			       sh.v_count[i], sh.v_octets[i], sh.v_digest[i]);
		}
	printf("sessions=%ld messages=%ld octets=%" PRIu64
	       " wall_s=%.3f client_cpu_s=%.3f machine_busy_s=%.3f\n",
	       sh.sessions, sh.messages, sh.octets, t1 - t0, cpu1 - cpu0,
	       busy1 - busy0);
	return 0;
}

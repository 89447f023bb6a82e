/* listener.c: listening sockets with total and per-address limits. */
/* SPDX-License-Identifier: MIT */
#include "listener.h"
#include "ev.h"
#include "log.h"
#include "xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Per-address counts, shared by every listener: a small open-addressing
   table keyed by the textual address. */
struct ip_slot {
	char ip[64];
	unsigned count;
};

/* Initial (and smallest) table size; a power of two. */
#define IP_TABLE_MIN 256

static struct ip_slot *ip_table;
static size_t ip_cap, ip_used;
static unsigned total_conns;

struct listener {
	int fd;
	struct ev *ev;
	struct listener_limits lim;
	listener_accept_fn *fn;
	listener_refuse_fn *refuse;
	void *arg;
	int port;
};

static uint64_t
ip_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

static struct ip_slot *ip_find(const char *ip, bool create);

/* Rebuild the table with only the addresses that have connections:
   released addresses keep their slot (no tombstones) until this runs.
   The new size depends on the live entries, so the table does not grow
   with the number of distinct addresses ever seen. */
static void
ip_rehash(void)
{
	struct ip_slot *old = ip_table;
	size_t oldcap = ip_cap, live = 0, cap = IP_TABLE_MIN, j;

	for (j = 0; j < oldcap; j++)
		if (old[j].count > 0)
			live++;
	/* at most a quarter full afterwards: no rehash inside the loop
	   below, and room before the next one */
	while ((live + 1) * 4 > cap)
		cap *= 2;
	ip_table = xcalloc(cap, sizeof(*ip_table));
	ip_cap = cap;
	ip_used = 0;
	for (j = 0; j < oldcap; j++)
		if (old[j].count > 0)
			ip_find(old[j].ip, true)->count = old[j].count;
	free(old);
}

static struct ip_slot *
ip_find(const char *ip, bool create)
{
	size_t i;

	if (ip_cap == 0) {
		if (!create)
			return NULL;
		ip_cap = IP_TABLE_MIN;
		ip_table = xcalloc(ip_cap, sizeof(*ip_table));
	}
	if (create && (ip_used + 1) * 2 > ip_cap)
		ip_rehash();
	for (i = ip_hash(ip) & (ip_cap - 1);; i = (i + 1) & (ip_cap - 1)) {
		if (ip_table[i].ip[0] == '\0') {
			if (!create)
				return NULL;
			snprintf(ip_table[i].ip, sizeof(ip_table[i].ip), "%s",
				 ip);
			ip_used++;
			return &ip_table[i];
		}
		if (strcmp(ip_table[i].ip, ip) == 0)
			return &ip_table[i];
	}
}

void
listener_format_ip(const struct sockaddr *sa, char *out, size_t outlen)
{
	if (sa->sa_family == AF_INET) {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)outlen);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 =
		    (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out,
				  (socklen_t)outlen);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, out,
				  (socklen_t)outlen);
	} else {
		snprintf(out, outlen, "unknown");
	}
}

struct listener *
listener_bind(const char *addr, const char **error_r)
{
	struct addrinfo hints, *res = NULL;
	char host[256], *colon;
	const char *port;
	struct listener *l;
	int fd, one = 1, rc;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	snprintf(host, sizeof(host), "%s", addr);
	if ((colon = strrchr(host, ':')) == NULL) {
		*error_r = "expected HOST:PORT";
		return NULL;
	}
	*colon = '\0';
	port = colon + 1;
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']') {
			*error_r = "bad IPv6 address";
			return NULL;
		}
		host[n - 1] = '\0';
		memmove(host, host + 1, n - 1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &res)) !=
	    0) {
		*error_r = gai_strerror(rc);
		return NULL;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK |
					SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*error_r = "socket";
		freeaddrinfo(res);
		return NULL;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 4096) < 0) {
		int saved = errno;

		*error_r = strerror(saved);
		close(fd);
		freeaddrinfo(res);
		errno = saved;
		return NULL;
	}
	freeaddrinfo(res);
	l = xzalloc(sizeof(*l));
	l->fd = fd;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		l->port = ntohs(ss.ss_family == AF_INET6
				    ? ((struct sockaddr_in6 *)&ss)->sin6_port
				    : ((struct sockaddr_in *)&ss)->sin_port);
	return l;
}

int
listener_port(const struct listener *l)
{
	return l->port;
}

unsigned
listener_total(void)
{
	return total_conns;
}

static void
listener_on_accept(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct listener *l = arg;
	int i;

	(void)ev;
	(void)fd;
	(void)events;
	/* Bounded batch per wakeup so one listener cannot starve the loop. */
	for (i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sslen = sizeof(ss);
		char ip[64];
		struct ip_slot *slot;
		int cfd, one = 1;

		cfd = accept4(l->fd, (struct sockaddr *)&ss, &sslen,
			      SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept failed port=%d error=\"%s\"",
					 l->port, strerror(errno));
			return;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		listener_format_ip((struct sockaddr *)&ss, ip, sizeof(ip));
		slot = ip_find(ip, true);
		if (total_conns >= *l->lim.max_total ||
		    slot->count >= *l->lim.max_per_ip) {
			log_warn("connection refused ip=%s reason=%s", ip,
				 total_conns >= *l->lim.max_total
				     ? "max-connections"
				     : "max-connections-per-ip");
			if (l->refuse != NULL)
				l->refuse(cfd, l->arg);
			close(cfd);
			continue;
		}
		slot->count++;
		total_conns++;
		l->fn(l, cfd, (struct sockaddr *)&ss, sslen, l->arg);
	}
}

void
listener_start(struct listener *l, struct ev *ev,
	       const struct listener_limits *lim, listener_accept_fn *fn,
	       listener_refuse_fn *refuse, void *arg)
{
	l->ev = ev;
	l->lim = *lim;
	l->fn = fn;
	l->refuse = refuse;
	l->arg = arg;
	if (ev_add_fd(ev, l->fd, EV_READ, listener_on_accept, l) < 0)
		fatal("listening on port %d", l->port);
}

void
listener_release(struct listener *l, const char *ip)
{
	struct ip_slot *slot = ip_find(ip, false);

	(void)l;
	if (slot != NULL && slot->count > 0)
		slot->count--;
	if (total_conns > 0)
		total_conns--;
}

void
listener_stop(struct listener *l)
{
	if (l->fd < 0)
		return;
	if (l->ev != NULL)
		ev_del_fd(l->ev, l->fd);
	close(l->fd);
	l->fd = -1;
}

void
listener_free(struct listener **lp)
{
	struct listener *l = *lp;

	if (l == NULL)
		return;
	listener_stop(l);
	free(l);
	*lp = NULL;
}

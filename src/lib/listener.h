/* listener.h: listening sockets, accept, and connection limits (total and
   per client address). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_LISTENER_H
#define BUZON_LISTENER_H

#include <stdbool.h>
#include <sys/socket.h>

struct ev;
struct listener;

/* Called on the loop thread for each accepted socket that passed the
   limits.  The callee owns fd.  peer_ip is the textual address.  The
   callee must call listener_release(l, peer_ip) once when that
   connection ends. */
typedef void listener_accept_fn(struct listener *l, int fd,
				const struct sockaddr *peer, socklen_t peerlen,
				void *arg);
/* Called for a socket refused by the limits, so the protocol can write a
   one-line refusal (e.g. "421 ...") before the listener closes fd. */
typedef void listener_refuse_fn(int fd, void *arg);

struct listener_limits {
	unsigned *max_total;  /* pointers: SIGHUP may change them */
	unsigned *max_per_ip;
};

/* Bind and listen on "host:port" ("[::1]:25" for IPv6) with SO_REUSEADDR.
   Call before dropping privileges.  Returns the listener (owned by the
   caller) or NULL with *error_r (static string) and errno. */
struct listener *listener_bind(const char *addr, const char **error_r);
/* Start accepting on ev. */
void listener_start(struct listener *l, struct ev *ev,
		    const struct listener_limits *lim, listener_accept_fn *fn,
		    listener_refuse_fn *refuse, void *arg);
/* One connection from ip has ended. */
void listener_release(struct listener *l, const char *ip);
/* Number of open connections accepted through all listeners. */
unsigned listener_total(void);
/* Stop accepting and close the socket (shutdown); the listener stays
   valid for listener_release() until listener_free().  Idempotent. */
void listener_stop(struct listener *l);
/* Stop accepting and close the socket; *lp = NULL.  Connections already
   accepted are not affected (listener_release on a freed listener is not
   allowed: release before freeing, or leave listeners alive). */
void listener_free(struct listener **lp);
/* The port actually bound (for ":0"). */
int listener_port(const struct listener *l);
/* Textual form of a peer address into out (at least 64 bytes). */
void listener_format_ip(const struct sockaddr *sa, char *out, size_t outlen);

#endif

/* jmap.h: JMAP (RFC 8620) request processing, shared by the core
   (jmap_core.c: request objects, batching, back-references, errors) and
   the method implementations (jmap_mail_*.c, RFC 8621). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_JMAP_H
#define BUZON_JMAP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct config;
struct queue_runner;

/* The capabilities buzon implements (RFC 8620 2, RFC 8621 1.3). */
#define JMAP_CAP_CORE "urn:ietf:params:jmap:core"
#define JMAP_CAP_MAIL "urn:ietf:params:jmap:mail"
#define JMAP_CAP_SUBMISSION "urn:ietf:params:jmap:submission"

/* What a method call sees.  Methods run on a worker thread (the whole
   request is processed in one pool job), so they may call the blocking
   store functions directly. */
struct jmap_ctx {
	struct store *store;
	int64_t account_id;     /* the authenticated account */
	const char *account;    /* its address (also the JMAP accountId
				   is derived from account_id: "a<id>") */
	const char *hostname;   /* config hostname */
	/* the configuration of the request (local domains, plus-addressing
	   for EmailSubmission) and the outbound queue (kicked after a
	   submission queued mail; may be NULL) */
	const struct config *cfg;
	struct queue_runner *queue;
	/* Capabilities the request's "using" named (JMAP_CAP_* bits). */
	unsigned using;
	/* Ids created so far in this request (RFC 8620 5.3 "#creation id"
	   references): jmap_ctx_created_get/set. */
	json_t *created; /* object: creation id -> server id */
	/* Set when a method changed a mailbox: the caller pushes
	   StateChange events (RFC 8620 7.1) after the request. */
	bool changed;
	void *core; /* private to jmap_core.c */
};

#define JMAP_USING_CORE 0x1u
#define JMAP_USING_MAIL 0x2u
#define JMAP_USING_SUBMISSION 0x4u

/* A method: args is the (already back-reference-resolved) arguments
   object, borrowed.  On success return 0 and set *result_r to a new
   reference (the response arguments).  On a method-level error return
   -1 and set *error_r to a new reference: an object {"type": ...,
   "description"?: ...} (RFC 8620 3.6.2; use jmap_error()).  A method
   may append extra responses (e.g. an implicit Email/set after
   EmailSubmission/set, RFC 8621 7.5) with jmap_ctx_extra(). */
typedef int jmap_method_fn(struct jmap_ctx *ctx, json_t *args,
			   json_t **result_r, json_t **error_r);

struct jmap_method {
	const char *name;   /* "Mailbox/get" */
	unsigned needs;     /* JMAP_USING_* the request must name */
	jmap_method_fn *fn;
};

/* The method tables: each an array ended by an entry with name NULL.
   jmap_core.c searches jmap_core_methods and then every table listed in
   its jmap_method_tables (the mail methods, RFC 8621, plug in there). */
extern const struct jmap_method jmap_core_methods[];

/* A capability the session resource advertises (RFC 8620 2): its URI,
   its JMAP_USING_* bit, and a function returning its capability object
   (new reference). */
struct jmap_capability {
	const char *uri;
	unsigned bit;
	json_t *(*object)(void);
};

/* A new error object {"type": type, "description": description}
   (description may be NULL: left out). */
json_t *jmap_error(const char *type, const char *description);

/* Remember / look up a creation id of this request ("#k" references in
   ids, RFC 8620 5.3).  get returns the server id or NULL (borrowed). */
void jmap_ctx_created_set(struct jmap_ctx *ctx, const char *creation_id,
			  const char *id);
const char *jmap_ctx_created_get(struct jmap_ctx *ctx, const char *ref);

/* Queue an additional response [name, args, call id] right after the
   current one (steals args). */
void jmap_ctx_extra(struct jmap_ctx *ctx, const char *name, json_t *args);

/* Process one JMAP API request body (RFC 8620 3.3) for ctx and return
   the response object (new reference), or NULL with *status_r (400) and
   *problem_r (a new RFC 7807 problem-details object, RFC 8620 3.6.1:
   "urn:ietf:params:jmap:error:notJSON", "notRequest",
   "unknownCapability", "limit").  Blocking: run on the pool. */
json_t *jmap_request(struct jmap_ctx *ctx, const char *body, size_t len,
		     int *status_r, json_t **problem_r);

/* The session resource (RFC 8620 2) for ctx's account; base_url is
   "https://host:port" as the client reached us (no trailing '/'); the
   endpoints it advertises are base_url + /jmap/api/, /jmap/upload/...,
   /jmap/download/..., /jmap/eventsource/... (src/web/http_route.c).
   New reference. */
json_t *jmap_session(const struct jmap_ctx *ctx, const char *base_url);

/* The session state string (RFC 8620 2 "state", 3.4 "sessionState"):
   a digest of what the session resource says apart from its URLs, so it
   changes when the capabilities or accounts do.  out: 17 octets. */
void jmap_session_state(const struct jmap_ctx *ctx, char out[17]);

/* The account id string for account_id ("a<id>"), and the reverse
   (returns 0 for a bad string). */
void jmap_account_id(int64_t account_id, char out[32]);
int64_t jmap_account_parse(const char *s);

#endif

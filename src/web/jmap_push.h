/* jmap_push.h: JMAP push (RFC 8620 7): after commits in an account,
   every open event-source stream of that account (jmap_http.c) gets a
   StateChange naming the types it asked for whose state changed.

   Design.  The store's change listener (store_add_notify) runs on the
   committing thread: it only queues the mailbox or account id and posts
   to the loop.  The loop waits JMAP_PUSH_COALESCE_MS after the first
   queued change (so a burst of commits makes one event), then one pool
   job at a time: maps mailbox ids to accounts (store_notify_owners; a
   loop-side cache keeps the owner of each mailbox seen, for the
   notification of a mailbox's deletion, which arrives after its row is
   gone), and for each account with open streams threads new Emails
   (jmap_mail_threads_sync, so the state is the one Email/get then
   returns), reads the account's state and, per distinct state the
   streams last saw, which types have changes since (store_jmap_changes)
   and whether an Email was created since (EmailDelivery,
   store_jmap_delivery).  Back on the loop each stream gets its event
   (jmap_http_events_push). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_JMAP_PUSH_H
#define BUZON_JMAP_PUSH_H

#include <stdbool.h>
#include <stdint.h>

struct http_server;
struct http_session;
struct store;

/* The types a stream can ask for: bit (1u << store_jmap_type), and
   RFC 8621 1.5 EmailDelivery, a type with no methods whose state moves
   only when an Email is created (store_jmap_delivery). */
#define JMAP_PUSH_DELIVERY 6
#define JMAP_PUSH_TYPES_ALL 0x7eu

/* The bits of an RFC 8620 7.3 "types" value: "*" (every type), or a
   comma-separated list of type names (names this server does not know
   are ignored: their state never changes).  Returns 0, or -1 when v is
   empty or has an empty name. */
int jmap_push_types_parse(const char *v, unsigned *types_r);
/* The type name of store_jmap_type type ("Mailbox", ...) or of
   JMAP_PUSH_DELIVERY, or NULL. */
const char *jmap_push_type_name(int type);

/* Start watching the store for srv (loop thread); nothing when already
   started.  Returns 0, or -1 when the store takes no more listeners. */
int jmap_push_start(struct http_server *srv);
/* Stop watching (loop thread; at the end of the server): no event is
   sent after it.  Memory still referenced by a queued callback or a
   running job is freed when that completes. */
void jmap_push_stop(struct http_server *srv);

/* Blocking (run on the pool): the account's current state, after
   threading its new Emails, for the first state a stream knows.
   Returns 0 or -1. */
int jmap_push_state(struct store *store, int64_t account_id,
		    uint64_t *state_r);
/* Stream s (HTTP_MODE_STREAM, s->push_state set) is open: from now on
   it gets events, and its account is checked once at once (changes
   made while it was opening, or since a Last-Event-ID). */
void jmap_push_stream_open(struct http_session *s);
/* Stream s is going away (its session is freed). */
void jmap_push_stream_closed(struct http_session *s);

#endif

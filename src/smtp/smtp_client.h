/* smtp_client.h: SMTP client protocol engine for the relay (sans-IO). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_CLIENT_H
#define BUZON_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "smtp/smtp_reply.h"

/* The engine never touches a socket, the clock or the configuration.
   The caller connects, then loops:
     - bytes read from the peer go to smtp_client_feed() (EOF, errors and
       timeouts to smtp_client_abort());
     - smtp_client_next() hands out events until it returns 0;
     - the bytes in smtp_client_out() are written to the peer.
   Replies are matched to commands by counting (RFC 2920 3.1), never by
   their code or text. */

enum smtp_client_tls {
	SMTP_CLIENT_TLS_OPPORTUNISTIC, /* STARTTLS when offered */
	SMTP_CLIENT_TLS_REQUIRE,       /* no TLS: the session fails */
	SMTP_CLIENT_TLS_NEVER,
};

struct smtp_client_cfg {
	const char *helo_name; /* EHLO/HELO argument, no spaces or CTLs */
	enum smtp_client_tls tls;
	/* The connection is encrypted already (implicit TLS, port 465):
	   STARTTLS is never sent. */
	bool tls_active;
	/* AUTH (RFC 4954) with these credentials after EHLO (and
	   STARTTLS): PLAIN (RFC 4616), or LOGIN when only that is offered;
	   NULL: no AUTH.  Neither offered, or a refusal, ends the session
	   (the refusal with the server's reply). */
	const char *auth_user, *auth_pass;
	/* Allow AUTH on an unencrypted connection (tests, loopback). */
	bool auth_plaintext;
};

/* Phases, to pick the timeout of RFC 5321 4.5.3.2 while waiting. */
enum smtp_client_phase {
	SMTP_CLIENT_PH_GREETING,      /* 220 banner */
	SMTP_CLIENT_PH_EHLO,          /* EHLO or HELO reply */
	SMTP_CLIENT_PH_STARTTLS,      /* STARTTLS reply */
	SMTP_CLIENT_PH_TLS_HANDSHAKE, /* the caller's handshake */
	SMTP_CLIENT_PH_AUTH,          /* AUTH reply */
	SMTP_CLIENT_PH_IDLE,          /* waiting for the caller */
	SMTP_CLIENT_PH_MAIL,          /* MAIL reply */
	SMTP_CLIENT_PH_RCPT,          /* RCPT reply */
	SMTP_CLIENT_PH_DATA_INIT,     /* DATA reply (354) */
	SMTP_CLIENT_PH_DATA_BLOCK,    /* sending message bytes */
	SMTP_CLIENT_PH_DATA_TERM,     /* reply to the final "." */
	SMTP_CLIENT_PH_RSET,          /* RSET reply */
	SMTP_CLIENT_PH_QUIT,          /* QUIT reply */
	SMTP_CLIENT_PH_CLOSED,        /* session over */
};

enum smtp_client_event {
	/* Nothing in flight: call smtp_client_send() or smtp_client_quit(). */
	SMTP_CLIENT_EV_READY = 1,
	/* Write out all of smtp_client_out(), do the TLS handshake, then
	   call smtp_client_tls_done().  Every byte received until then is
	   discarded (RFC 3207 4.2 / 6: nothing sent before the handshake
	   may be taken as a reply). */
	SMTP_CLIENT_EV_START_TLS,
	/* The server wants the message (354): call smtp_client_data() as
	   often as needed, then smtp_client_data_end(). */
	SMTP_CLIENT_EV_DATA,
	/* Every recipient of the current message has its final result:
	   smtp_client_result(). */
	SMTP_CLIENT_EV_MSG_DONE,
	/* The session is over: write out what smtp_client_out() holds and
	   close.  smtp_client_failure() tells why, or NULL after a clean
	   QUIT. */
	SMTP_CLIENT_EV_CLOSED,
};

struct smtp_client_rcpt {
	const char *addr; /* forward-path without "<>" */
	/* SMTP_NOTIFY_* bits (smtp_parse.h); 0: no NOTIFY parameter. */
	unsigned notify;
	/* ORCPT "addr-type;address" with the address not xtext-encoded
	   (RFC 3461 4.2), or NULL. */
	const char *orcpt;
};

struct smtp_client_msg {
	const char *from; /* reverse-path without "<>"; "" for the null path */
	const struct smtp_client_rcpt *rcpts;
	size_t nrcpt; /* 1..SMTP_RCPT_MAX */
	uint64_t size; /* octets of the stored message (SIZE=, RFC 1870) */
	bool eightbit; /* body has 8-bit data: needs 8BITMIME (RFC 6152) */
	/* needs SMTPUTF8 (RFC 6531): UTF-8 headers.  Non-ASCII addresses
	   set it on their own. */
	bool smtputf8;
	int ret;           /* 0 none, 1 FULL, 2 HDRS (RFC 3461 4.3) */
	const char *envid; /* RFC 3461 4.4, not xtext-encoded, or NULL */
};

/* The outcome for one recipient, or why a session ended. */
struct smtp_client_result {
	int code;        /* 2xx delivered, 4xx try again, 5xx failed */
	const char *enh; /* enhanced status code, or "" */
	const char *text;
	/* Made up by this engine (size above the peer's limit, missing
	   extension, lost connection, bad reply), not sent by the peer. */
	bool local;
	/* The phase whose reply (or failure) decided it. */
	enum smtp_client_phase phase;
};

struct smtp_client;

/* A new engine for one connection that was just opened.  cfg's strings
   are copied.  It first waits for the greeting. */
struct smtp_client *smtp_client_new(const struct smtp_client_cfg *cfg);
/* Free c and set *cp to NULL; everything returned by c becomes invalid. */
void smtp_client_free(struct smtp_client **cp);

/* Bytes to write to the peer.  The caller writes from buf_rptr() and
   buf_consume()s what was written.  Owned by c. */
struct buf *smtp_client_out(struct smtp_client *c);

/* Bytes received from the peer.  They are only buffered; replies are
   read by smtp_client_next().  Dropped while a TLS handshake is due and
   after the session is over. */
void smtp_client_feed(struct smtp_client *c, const void *data, size_t n);

/* The connection is gone or stalled (EOF, error, the phase's timeout):
   reason is a short text ("connection lost", "timeout").  Recipients
   without a result get 451 4.4.2 (local; after the final "." too: the
   message may have been delivered, RFC 5321 4.5.3.2.6, and at least once
   is the rule), then the session ends (EV_MSG_DONE if a message was in
   flight, EV_CLOSED).  During QUIT the end counts as clean.  No effect
   once closed. */
void smtp_client_abort(struct smtp_client *c, const char *reason);

/* Returns 1 with the next event in *ev, or 0 when nothing happens until
   more input arrives or the caller acts on the last event. */
int smtp_client_next(struct smtp_client *c, enum smtp_client_event *ev);

/* Start a message (only after EV_READY).  m is copied; c keeps nothing of
   it.  The engine checks the message against what the peer offered: a
   size above its SIZE limit (552 5.3.4), 8-bit data without 8BITMIME
   (554 5.6.3), UTF-8 without SMTPUTF8 (553 5.6.7) fail every recipient
   at once without sending anything (local, permanent), as does a bad
   sender address (501 5.1.7); a bad recipient address (CTLs, "<", ">",
   longer than a path) fails that recipient (501 5.1.3).  With PIPELINING
   MAIL, every RCPT and DATA go out in one batch (RFC 2920 3.1).  DSN
   parameters are sent only when DSN was offered, SIZE= when SIZE was,
   BODY=8BITMIME for 8-bit messages. */
void smtp_client_send(struct smtp_client *c, const struct smtp_client_msg *m);

/* Message bytes after EV_DATA, as stored: CRLF lines.  They are
   dot-stuffed (RFC 5321 4.5.2) into the output; a bare CR or LF is sent
   as CRLF (RFC 5321 2.3.8: never a bare one on the wire).  Returns 0, or
   -1 if the data holds a NUL: the message fails (554 5.6.0, local) and
   the session ends without the final "." (EV_MSG_DONE, EV_CLOSED), so
   the peer discards what it got. */
int smtp_client_data(struct smtp_client *c, const void *data, size_t n);
/* The message is complete: CRLF is added if it did not end in one, then
   "." CRLF. */
void smtp_client_data_end(struct smtp_client *c);

/* The TLS handshake after EV_START_TLS succeeded; EHLO is sent again and
   everything learnt before is forgotten (RFC 3207 4.2).  A failed
   handshake is smtp_client_abort(). */
void smtp_client_tls_done(struct smtp_client *c);

/* Send QUIT (only after EV_READY); its reply (or the connection's end)
   gives EV_CLOSED. */
void smtp_client_quit(struct smtp_client *c);

/* The result for recipient i of the current message, valid after
   EV_MSG_DONE until the next smtp_client_send() or smtp_client_free(). */
const struct smtp_client_result *smtp_client_result(const struct smtp_client *c,
						    size_t i);
/* After EV_CLOSED: why the session ended (the peer's reply, e.g. a 554
   greeting or 421, or a local reason), or NULL after a clean QUIT.
   Valid until smtp_client_free(). */
const struct smtp_client_result *
smtp_client_failure(const struct smtp_client *c);

/* What the peer offered in its last EHLO reply (all false after HELO);
   valid until smtp_client_free(). */
const struct smtp_caps *smtp_client_caps(const struct smtp_client *c);
/* EHLO was accepted (ESMTP), and the connection is encrypted. */
bool smtp_client_esmtp(const struct smtp_client *c);
bool smtp_client_tls_active(const struct smtp_client *c);

/* The phase the engine is in, and the RFC 5321 4.5.3.2 timeout for it
   in milliseconds (0 for IDLE, TLS_HANDSHAKE and CLOSED: the caller
   chooses). */
enum smtp_client_phase smtp_client_phase(const struct smtp_client *c);
unsigned smtp_client_timeout_ms(enum smtp_client_phase ph);

#endif

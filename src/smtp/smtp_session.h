/* smtp_session.h: one SMTP server session (internal to src/smtp). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_SESSION_H
#define BUZON_SMTP_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "auth/auth_sasl.h"
#include "buf.h"
#include "config.h"
#include "smtp/smtp_data.h"
#include "smtp/smtp_parse.h"
#include "smtp/smtp_server.h"

struct conn;
struct store_blob;
struct mime_summary;

/* Session states, as bits so the command table can list several. */
enum smtp_state {
	SMTP_ST_INIT = 0x01,	/* connected, no HELO/EHLO yet */
	SMTP_ST_GREETED = 0x02, /* HELO/EHLO done, no transaction */
	SMTP_ST_MAIL = 0x04,	/* MAIL accepted */
	SMTP_ST_RCPT = 0x08,	/* at least one RCPT accepted */
	SMTP_ST_ANY = 0x0f,
};

/* What the input loop is doing with the bytes that arrive. */
enum smtp_mode {
	SMTP_MODE_GREET_WAIT, /* before the greeting: input is a violation */
	SMTP_MODE_CMD,	      /* command lines */
	SMTP_MODE_AUTH,	      /* SASL continuation lines */
	SMTP_MODE_DATA,	      /* after 354 */
	SMTP_MODE_BDAT,	      /* inside a BDAT chunk */
	SMTP_MODE_SKIP,	      /* discarding the chunk of a refused BDAT */
	SMTP_MODE_BUSY,	      /* waiting for the store, auth or a delay */
	SMTP_MODE_CLOSED,     /* final reply queued */
};

struct smtp_rcpt {
	struct smtp_rcpt *next;
	const char *addr;   /* as given (canonical form) */
	int64_t account_id; /* local: > 0 */
	const char *remote; /* remote forward-path, or NULL */
	const char *orcpt;
	unsigned notify;
};

/* One mail transaction (MAIL .. end of data); lives in tx_arena. */
struct smtp_tx {
	struct smtp_mail_args mail;
	struct smtp_rcpt *rcpts, **rcpt_tail;
	unsigned n_rcpts;  /* accepted RCPT commands */
	unsigned n_local;  /* distinct local accounts */
	unsigned n_remote; /* remote addresses */
	bool data_started;
	/* message body */
	struct store_blob *blob;
	struct mime_summary *mime;
	struct smtp_data data; /* DATA decoder */
	struct smtp_bare_scan bare; /* BDAT bare CR/LF scanner */
	struct buf out;	       /* decoded bytes not yet written */
	struct buf hold;       /* header section held for inspection */
	struct buf dsn_hdr;    /* header copy for a success DSN, if asked */
	bool headers_done;
	bool too_big;
	bool write_failed;
	uint64_t octets;      /* message octets received */
	uint64_t bdat_left;   /* octets of the current chunk still due */
	bool bdat_last;
	bool bdat_failed;     /* a chunk was refused: rest is discarded */
	unsigned hops;	      /* Received: fields in the message */
	uint8_t tail[2];      /* the last two octets stored */
	char id[17];	      /* queue id shown in 250 and Received */
};

struct smtp_session {
	struct smtp_server *srv;
	struct sessions_link link; /* in srv->sessions */
	struct smtp_listen_arg *la;
	struct conn *c;
	uint64_t id;
	enum smtp_state state;
	enum smtp_mode mode;
	uint64_t skip_left;  /* SMTP_MODE_SKIP: octets still to discard */
	const char *skip_why; /* SMTP_MODE_SKIP: the 503 text, static */
	struct smtp_parser parser;
	struct arena *arena;	/* per session: helo, auth user */
	struct arena *tx_arena; /* reset after every transaction */
	struct smtp_tx *tx;
	char *helo;
	bool esmtp;
	bool tls;
	char *auth_user;	 /* authenticated address, or NULL */
	int64_t auth_account;
	unsigned errors;
	unsigned auth_failures;
	struct auth_sasl sasl; /* AUTH exchange in progress */
	uint64_t timer; /* greeting delay or failure delay */
	bool pending;	/* a store/pool job holds a pointer to us */
	bool gone;	/* conn freed while pending: free on completion */
	bool starttls_pending; /* reply sent, handshake after drain */
	char peer_ip[64];
};

/* Queue a reply "code enh text" (enh may be NULL: none).  The text is
   printf-formatted.  Replies are written when the input batch has been
   processed (pipelining: one write). */
void smtp_reply(struct smtp_session *s, int code, const char *enh,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A multi-line reply: lines[0..n-1], enh on each (or NULL). */
void smtp_reply_lines(struct smtp_session *s, int code, const char *enh,
		      const char *const *lines, size_t n);
/* Reply, then close once the reply is written. */
void smtp_reply_close(struct smtp_session *s, int code, const char *enh,
		      const char *text);
/* Count an error; after SMTP_ERRORS_MAX, 421 and close.  Returns true if
   the session is now closing. */
bool smtp_session_error(struct smtp_session *s);
/* Drop the transaction (RSET, EHLO, STARTTLS, after delivery). */
void smtp_session_reset_tx(struct smtp_session *s);
/* Continue processing buffered input (after an async step finished). */
void smtp_session_resume(struct smtp_session *s);
/* Become busy (stop processing input) / called from completions. */
void smtp_session_busy(struct smtp_session *s);
/* For completions: returns false (and frees s) if the connection went
   away while the job ran; then the caller must not touch s. */
bool smtp_session_job_done(struct smtp_session *s);

/* Is this a submission listener (AUTH required)? */
bool smtp_session_is_submission(const struct smtp_session *s);

/* Command handlers (smtp_cmd.c, smtp_auth.c, smtp_tx.c). */
void smtp_cmd_helo(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_ehlo(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_mail(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_rcpt(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_rset(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_noop(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_quit(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_vrfy(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_expn(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_help(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_obsolete(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_unimplemented(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_cmd_starttls(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_auth_cmd(struct smtp_session *s, const struct smtp_cmd *cmd);
/* A SASL continuation line arrived in SMTP_MODE_AUTH. */
void smtp_auth_line(struct smtp_session *s, const char *line, size_t len);
void smtp_tx_data(struct smtp_session *s, const struct smtp_cmd *cmd);
void smtp_tx_bdat(struct smtp_session *s, const struct smtp_cmd *cmd);

/* Parse BDAT arguments "size [LAST]".  Returns true and fills *size_r
   and *last_r, or false on a syntax error. */
bool smtp_tx_bdat_args(const char *args, uint64_t *size_r, bool *last_r);
/* Feed buffered input in DATA/BDAT mode; returns bytes consumed. */
size_t smtp_tx_input(struct smtp_session *s, const uint8_t *p, size_t n);
/* Free transaction resources (blob, mime parser). */
void smtp_tx_free(struct smtp_tx *tx);

/* Recipient resolution (smtp_rcpt.c). */
enum smtp_rcpt_result {
	SMTP_RCPT_OK,
	SMTP_RCPT_UNKNOWN,   /* 550 5.1.1 */
	SMTP_RCPT_RELAY,     /* 554 5.7.1 relay access denied */
	SMTP_RCPT_TEMPFAIL,  /* 451 4.3.0 */
	SMTP_RCPT_TOO_MANY,  /* 452 4.5.3 */
};
/* Resolve path for the current transaction and append the resulting
   local accounts / remote addresses to s->tx. */
enum smtp_rcpt_result smtp_rcpt_add(struct smtp_session *s,
				    const struct smtp_rcpt_args *r);
/* Expand addr (a local address) into its final list for VRFY/EXPN:
   calls fn for each member; returns the number found, -1 on error. */
int smtp_rcpt_expand(struct smtp_session *s, const char *addr, bool one_level,
		     void (*fn)(const char *member, void *arg), void *arg);
/* Where a notification for reverse-path addr goes: returns 1 and sets
   *account_r for a local account (plus-addressing honoured), 0 for a
   remote domain (the outbound queue), -1 if it cannot be delivered
   (unknown or alias address in a local domain, lookup error). */
int smtp_rcpt_return_route(struct smtp_session *s, const char *addr,
			   int64_t *account_r);
/* Does the authenticated account own sender address addr? */
bool smtp_rcpt_sender_owned(struct smtp_session *s, const char *addr);

#endif

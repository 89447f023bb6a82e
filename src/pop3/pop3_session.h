/* pop3_session.h: one POP3 server session (internal to src/pop3). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_POP3_SESSION_H
#define BUZON_POP3_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/auth_sasl.h"
#include "buf.h"
#include "pop3/pop3_parse.h"
#include "pop3/pop3_server.h"
#include "pop3/pop3_stuff.h"
#include "store/store.h"

struct conn;

/* RFC 1939 3: the session states, as bits for the command table. */
enum pop3_state {
	POP3_ST_AUTH = 0x1,  /* AUTHORIZATION */
	POP3_ST_TRANS = 0x2, /* TRANSACTION (UPDATE is the QUIT job) */
	POP3_ST_ANY = 0x3,
};

/* What the input loop does with the bytes that arrive. */
enum pop3_mode {
	POP3_MODE_TLS_WAIT, /* pop3s before the handshake */
	POP3_MODE_CMD,      /* command lines */
	POP3_MODE_SASL,     /* SASL continuation lines (RFC 5034 4) */
	POP3_MODE_SEND,     /* RETR/TOP being streamed */
	POP3_MODE_BUSY,     /* waiting for the pool, a delay or STLS */
	POP3_MODE_CLOSED,   /* final reply queued */
};

/* A RETR/TOP in progress. */
struct pop3_send {
	struct fileread *fr; /* reads the message file, NULL when none */
	bool in_pump;        /* inside pop3_retr_pump() */
	struct pop3_stuff stuff;
	struct buf out; /* framed bytes on their way to the conn */
};

struct pop3_session {
	struct pop3_server *srv;
	struct sessions_link link; /* in srv->sessions */
	struct pop3_listen_arg *la;
	struct conn *c;
	uint64_t id;
	enum pop3_state state;
	enum pop3_mode mode;
	struct pop3_parser parser;
	bool tls;
	bool loopback;       /* the peer is 127.0.0.0/8 or ::1 */
	char timestamp[160]; /* APOP: <pid.clock@hostname> (RFC 1939 7) */
	char *user;          /* USER argument awaiting PASS, or NULL */
	char *auth_user;     /* logged-in address, or NULL */
	int64_t account_id;  /* > 0 once the credentials are good */
	bool locked;         /* holds the maildrop of account_id */
	/* the maildrop (TRANSACTION) */
	struct store_pop3_box box;
	bool *deleted; /* box.n marks (DELE) */
	size_t n_deleted;
	uint64_t deleted_octets;
	unsigned errors;
	unsigned auth_failures;
	struct auth_sasl sasl; /* SASL exchange in progress */
	struct pop3_send send;
	uint64_t timer;    /* failed-login delay */
	uint64_t kick;     /* 0 ms timer that continues a send */
	bool pending;      /* a pool job holds a pointer to us */
	bool gone;         /* conn freed while pending: free on completion */
	bool stls_pending; /* +OK sent, handshake after drain */
	char peer_ip[64];
};

/* Queue one status line: "+OK text" (ok) or "-ERR [code] text" (code
   may be NULL: none; RFC 2449 8 response codes).  printf-formatted.
   Replies go out when the input batch is processed (pipelining: one
   write, RFC 2449 6.6). */
void pop3_reply(struct pop3_session *s, bool ok, const char *code,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Queue one raw line (a multi-line body line or a SASL "+ " challenge);
   the CRLF is added.  The caller dot-stuffs where needed. */
void pop3_reply_line(struct pop3_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Reply -ERR, then close once it is written. */
void pop3_reply_close(struct pop3_session *s, const char *code,
		      const char *text);
/* Close after what is queued is written. */
void pop3_session_close(struct pop3_session *s);
/* Count an error; after POP3_ERRORS_MAX, -ERR and close.  Returns true
   if the session is now closing. */
bool pop3_session_error(struct pop3_session *s);
/* Stop processing input until a job or delay completes (pending). */
void pop3_session_busy(struct pop3_session *s);
/* For completions: returns false (and frees s) if the connection went
   away while the job ran; then the caller must not touch s. */
bool pop3_session_job_done(struct pop3_session *s);
/* Continue with buffered input after an async step: replies queued by
   the completion go out with what follows, in one write. */
void pop3_session_resume(struct pop3_session *s);
/* Release output held by conn_cork(); if a message is being sent and
   everything went out at once, schedule the next part. */
void pop3_session_uncork(struct pop3_session *s);
/* May passwords be sent on this connection (TLS, or loopback when
   [pop3] plaintext_auth = loopback)? */
bool pop3_session_plaintext_ok(const struct pop3_session *s);
/* Is account_id's maildrop held by a session (RFC 1939 8)? */
bool pop3_session_locked(const struct pop3_server *srv, int64_t account_id);
/* The message numbered n (1-based, from argument arg) if it exists and
   is not marked deleted; else replies -ERR, counts an error and returns
   NULL. */
const struct store_pop3_msg *pop3_session_msg(struct pop3_session *s,
					      const char *arg, size_t *index_r);

/* Command handlers (pop3_cmd.c, pop3_auth.c, pop3_retr.c). */
void pop3_cmd_capa(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_stls(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_quit(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_stat(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_list(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_uidl(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_dele(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_noop(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_cmd_rset(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_auth_user(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_auth_pass(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_auth_apop(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_auth_cmd(struct pop3_session *s, const struct pop3_cmd *cmd);
/* A SASL continuation line arrived in POP3_MODE_SASL. */
void pop3_auth_line(struct pop3_session *s, const char *line, size_t len);
/* Drop SASL and USER state (STLS, cancel). */
void pop3_auth_reset(struct pop3_session *s);
void pop3_retr_cmd(struct pop3_session *s, const struct pop3_cmd *cmd);
void pop3_retr_top(struct pop3_session *s, const struct pop3_cmd *cmd);
/* Run the commands buffered on the connection (after an asynchronous
   step such as a RETR finished).  The caller corks/uncorks. */
void pop3_session_process(struct pop3_session *s);
/* Send more of the message in POP3_MODE_SEND (after CONN_DRAINED or the
   kick timer); when it is all queued the mode goes back to commands. */
void pop3_retr_pump(struct pop3_session *s);
/* Close the message file and drop framing state. */
void pop3_retr_free(struct pop3_session *s);

#endif

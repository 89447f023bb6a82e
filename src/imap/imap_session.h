/* imap_session.h: one IMAP server session (internal to src/imap). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_IMAP_SESSION_H
#define BUZON_IMAP_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/auth_sasl.h"
#include "buf.h"
#include "imap/imap_parse.h"
#include "imap/imap_seqset.h"
#include "imap/imap_server.h"

struct conn;
struct imap_view;

/* RFC 9051 3: the session states, as bits for the command table. */
enum imap_state {
	IMAP_ST_NOAUTH = 0x1,
	IMAP_ST_AUTH = 0x2,
	IMAP_ST_SELECTED = 0x4,
	IMAP_ST_LOGOUT = 0x8,
};

/* What the input loop does with the bytes that arrive. */
enum imap_mode {
	IMAP_MODE_TLS_WAIT, /* imaps before the handshake */
	IMAP_MODE_CMD,      /* commands (imap_parse_command) */
	IMAP_MODE_SASL,     /* AUTHENTICATE continuation lines */
	IMAP_MODE_IDLE,     /* IDLE: waiting for "DONE" */
	IMAP_MODE_BUSY,     /* a command is running (pool job, delay, a
			       FETCH being streamed, STARTTLS) */
	IMAP_MODE_CLOSED,   /* final reply queued */
};

/* ENABLE'd extensions (RFC 5161) and ones turned on implicitly. */
#define IMAP_EN_CONDSTORE 0x1u   /* RFC 7162 3.1: also by any CONDSTORE use */
#define IMAP_EN_QRESYNC 0x2u     /* RFC 7162 3.2 (implies CONDSTORE) */
#define IMAP_EN_IMAP4REV2 0x4u   /* RFC 9051 */
#define IMAP_EN_UTF8 0x8u        /* RFC 6855 UTF8=ACCEPT */

struct imap_session {
	struct imap_server *srv;
	struct sessions_link link; /* in srv->sessions */
	struct imap_listen_arg *la;
	struct conn *c;
	uint64_t id;
	enum imap_state state;
	enum imap_mode mode;
	struct imap_parser parser;
	/* The command being run, owned; NULL between commands.  Handlers
	   that go asynchronous keep using it; imap_cmd_done() frees it. */
	struct imap_cmd *cmd;
	bool tls;
	bool loopback; /* the peer is 127.0.0.0/8 or ::1 */
	unsigned enabled; /* IMAP_EN_* */
	/* Logged in (state AUTH or SELECTED). */
	char *user; /* normalized address, owned */
	int64_t account_id;
	/* The selected mailbox (imap_view.c), NULL unless SELECTED. */
	struct imap_view *view;
	/* SEARCH RETURN (SAVE) result (RFC 5182), UIDs in the session's
	   own heap memory; saved_valid false = none ("$" is then empty). */
	uint32_t *saved_uids;
	size_t n_saved;
	bool saved_valid;
	unsigned errors;
	unsigned auth_failures;
	struct auth_sasl sasl; /* SASL exchange in progress */
	uint64_t timer;     /* failed-login delay */
	bool pending;       /* a pool job holds a pointer to us */
	bool gone;          /* conn freed while pending: free on completion */
	bool starttls_pending;
	/* Tagged reply being finished by imap_cmd_done() while the view
	   syncs (heap, NULL otherwise). */
	char *done_line;
	bool done_allow_expunge;
	/* A command streaming a large response waits for its output to
	   drain: set drained (with drained_arg) and it is called once, on
	   the next CONN_DRAINED, and cleared before the call. */
	void (*drained)(void *arg);
	void *drained_arg;
	char peer_ip[64];
};

/* ---- output (imap_reply.c).  Everything is queued on the conn, which
   is corked while a batch of input is processed (pipelined commands are
   answered in one write). ---- */

/* Queue "* " + text + CRLF (printf-formatted). */
void imap_untagged(struct imap_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Queue raw bytes (parts of a FETCH response, literals). */
void imap_write(struct imap_session *s, const void *data, size_t n);
/* Queue "+ text" CRLF (continuation request). */
void imap_continue(struct imap_session *s, const char *text);
/* Queue a bare tagged reply "tag STATUS [code] text" CRLF without the
   updates imap_cmd_done() adds (used for errors outside a command).
   code may be NULL. */
void imap_tagged(struct imap_session *s, const char *tag, const char *status,
		 const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Finish the running command s->cmd: first the untagged updates the
   selected mailbox owes (imap_view_sync(); EXPUNGE/VANISHED only when
   RFC 9051 7.5.1 allows them: not after FETCH, STORE or SEARCH without
   UID), then "tag status [code] text", then free the command, leave
   IMAP_MODE_BUSY and go on with buffered input.  status is "OK", "NO" or
   "BAD"; code may be NULL.  Call exactly once per command, from the
   handler or later from a completion on the loop thread. */
void imap_cmd_done(struct imap_session *s, const char *status,
		   const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* imap_cmd_done(s, "BAD", code, text) and count an error (the session
   closes with BYE after IMAP_ERRORS_MAX). */
void imap_cmd_bad(struct imap_session *s, const char *code, const char *text);

/* Queue str as an IMAP string: a quoted string, or a literal when it
   holds CR, LF or NUL or is longer than MIME_IMAP_QUOTED_MAX; with
   astring, an atom when every byte is an ATOM-CHAR (and it is not
   "NIL"). */
void imap_write_string(struct imap_session *s, const char *str, size_t len,
		       bool astring);
/* Queue a mailbox name (UTF-8 as the store keeps it) as an astring: in
   modified UTF-7 (RFC 3501 5.1.3), or as UTF-8 once IMAP4rev2 (RFC 9051
   5.1) or UTF8=ACCEPT (RFC 6855 3) is enabled. */
void imap_write_mailbox(struct imap_session *s, const char *name);
/* Queue "* STATUS name (ITEM n ...)" with the IMAP_STATUS_* items of
   st (imap_cmd_status.c; LIST-STATUS uses it too). */
struct store_mbox_status;
void imap_cmd_status_write(struct imap_session *s, const char *name,
			   unsigned items,
			   const struct store_mbox_status *st);
/* The capability list as it applies to s now, without the leading
   "CAPABILITY " (imap_cmd_misc.c).  Returns a malloc'd string. */
char *imap_cmd_capabilities(const struct imap_session *s);

/* ---- session control (imap_session.c) ---- */

/* A handler that goes asynchronous calls this first: input stops until
   imap_cmd_done().  Sets IMAP_MODE_BUSY. */
void imap_session_busy(struct imap_session *s);
/* Pool job bookkeeping: set s->pending before pool_submit(); the
   completion calls this first and returns at once when it gives false
   (the connection went away and s was freed). */
bool imap_session_job_done(struct imap_session *s);
/* Close after what is queued is written ("* BYE" is the caller's). */
void imap_session_close(struct imap_session *s);
/* May passwords be sent on this connection (TLS, or loopback when
   [imap] plaintext_auth = loopback)? */
bool imap_session_plaintext_ok(const struct imap_session *s);
/* Are mailbox names UTF-8 on the wire (IMAP4rev2 or UTF8=ACCEPT
   enabled) rather than modified UTF-7?  Pass it as the utf8 flag of the
   imap_args_* parsers; imap_write_mailbox() follows it too. */
bool imap_session_utf8(const struct imap_session *s);
/* Flush queued output now if the conn is corked (long-running commands,
   IDLE updates outside input processing). */
void imap_session_flush(struct imap_session *s);
/* Queue "* BYE text" and close after it is written. */
void imap_session_bye(struct imap_session *s, const char *text);
/* A new session on an accepted socket (imap_server_accept). */
void imap_session_new(struct imap_listen_arg *la, int fd,
		      const struct sockaddr *peer, socklen_t peerlen);
/* LOGIN/AUTHENTICATE succeeded: state AUTH, s->user = copy of address,
   the logged-in idle timeout. */
void imap_session_logged_in(struct imap_session *s, const char *address,
			    int64_t account_id);
/* Run work(job) on the pool with the session busy (s->pending set),
   then done(s, job) on the loop; s is NULL there when the connection
   went away meanwhile (then done only frees job).  done ends the
   command. */
void imap_session_job(struct imap_session *s, void (*work)(void *job),
		      void (*done)(struct imap_session *s, void *job),
		      void *job);
/* Count a client error (BAD); after IMAP_ERRORS_MAX "* BYE" and close.
   Returns true if the session is now closing. */
bool imap_session_error(struct imap_session *s);
/* After the tagged reply of a command (imap_cmd_done): leave
   IMAP_MODE_BUSY/SASL/IDLE and go on with buffered input. */
void imap_session_next(struct imap_session *s);

/* ---- login (imap_auth.c) ---- */

/* An AUTHENTICATE continuation line arrived in IMAP_MODE_SASL. */
void imap_auth_line(struct imap_session *s, const char *line, size_t len);
/* Drop SASL state (auth_sasl_reset). */
void imap_auth_reset(struct imap_session *s);

/* ---- the selected mailbox (imap_view.c) ---- */

/* Before a tagged reply: if the view has been told of changes it has
   not read yet, start reading them (pool) and return 1: cont(s) runs on
   the loop when they are in (then call again).  Otherwise queue the
   untagged responses it owes (EXISTS, RECENT, FETCH FLAGS/MODSEQ and,
   when allow_expunge, EXPUNGE or VANISHED, RFC 7162 3.2.10) and return
   0.  Without a view returns 0 at once. */
int imap_view_sync(struct imap_session *s, bool allow_expunge,
		   void (*cont)(struct imap_session *s));
/* Leave the selected mailbox (CLOSE/UNSELECT/SELECT/LOGOUT/disconnect):
   free the view; s->view = NULL. */
void imap_view_free(struct imap_session *s);

/* ---- the store change hook (imap_notify.c) ---- */

/* Register srv with store_add_notify(): a change to a mailbox marks the
   views of that mailbox as needing a sync and wakes the sessions in
   IDLE.  0 or -1. */
int imap_notify_start(struct imap_server *srv);
void imap_notify_stop(struct imap_server *srv);
/* Tell the views of mailbox_id (other than s's own: NULL for all) that
   it changed.  Loop thread. */
void imap_notify_changed(struct imap_server *srv, int64_t mailbox_id,
			 struct imap_session *except);

/* ---- command handlers: void imap_cmd_NAME(s, cmd) with cmd == s->cmd.
   Each ends by calling imap_cmd_done() exactly once, now or later. ---- */

typedef void imap_cmd_fn(struct imap_session *s, struct imap_cmd *cmd);

/* Any state (imap_cmd_misc.c). */
imap_cmd_fn imap_cmd_capability, imap_cmd_noop, imap_cmd_logout,
    imap_cmd_id, imap_cmd_enable;
/* Not authenticated (imap_auth.c). */
imap_cmd_fn imap_cmd_starttls, imap_cmd_login, imap_cmd_authenticate;
/* Authenticated (imap_cmd_mbox.c, imap_cmd_list.c, imap_cmd_status.c,
   imap_cmd_quota.c). */
imap_cmd_fn imap_cmd_create, imap_cmd_delete, imap_cmd_rename,
    imap_cmd_subscribe, imap_cmd_unsubscribe, imap_cmd_list, imap_cmd_lsub,
    imap_cmd_namespace, imap_cmd_status, imap_cmd_getquota,
    imap_cmd_getquotaroot;
/* Authenticated, touching messages (imap_cmd_select.c,
   imap_cmd_append.c, imap_cmd_idle.c). */
imap_cmd_fn imap_cmd_select, imap_cmd_examine, imap_cmd_append,
    imap_cmd_idle;
/* Selected (imap_cmd_fetch.c, imap_cmd_store.c, imap_cmd_search.c,
   imap_cmd_copy.c, imap_cmd_expunge.c, imap_cmd_select.c). */
imap_cmd_fn imap_cmd_check, imap_cmd_close, imap_cmd_unselect,
    imap_cmd_expunge, imap_cmd_search, imap_cmd_fetch, imap_cmd_store,
    imap_cmd_copy, imap_cmd_move, imap_cmd_sort, imap_cmd_thread;

/* A line arrived in IMAP_MODE_IDLE (imap_cmd_idle.c): "DONE" ends the
   IDLE with imap_cmd_done(); anything else is BAD and ends it too. */
void imap_idle_line(struct imap_session *s, const char *line, size_t len);

#endif

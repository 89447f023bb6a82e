/* test_smtp_client.c: scripted server dialogues for the SMTP client engine. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "buf.h"
#include "limits.h"
#include "smtp/smtp_client.h"
#include "smtp/smtp_parse.h"

/* Messages the driver sends, by letter. */
static const struct smtp_client_rcpt rcpts_ab[] = {
    {"a@example.org", 0, NULL},
    {"b@example.org", 0, NULL},
};
static const struct smtp_client_rcpt rcpts_dsn[] = {
    {"a@example.org", SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE,
     "rfc822;A+b=c@example.org"},
    {"b@example.org", SMTP_NOTIFY_NEVER, NULL},
};
static const struct smtp_client_rcpt rcpts_bad[] = {
    {"a@example.org>\r\nRSET", 0, NULL},
    {"b@example.org", 0, NULL},
};
static const struct smtp_client_rcpt rcpts_utf8[] = {
    {"j\xc3\xb8rn@example.org", 0, NULL},
};

static const struct smtp_client_msg msgs[] = {
    ['P'] = {.from = "s@example.net", .rcpts = rcpts_ab, .nrcpt = 2,
	     .size = 30},
    ['D'] = {.from = "s@example.net", .rcpts = rcpts_dsn, .nrcpt = 2,
	     .size = 30, .ret = 2, .envid = "q 1"},
    ['8'] = {.from = "s@example.net", .rcpts = rcpts_ab, .nrcpt = 1,
	     .size = 30, .eightbit = true},
    ['U'] = {.from = "", .rcpts = rcpts_utf8, .nrcpt = 1, .size = 30},
    ['B'] = {.from = "s@example.net", .rcpts = rcpts_ab, .nrcpt = 1,
	     .size = 5000},
    ['X'] = {.from = "s@example.net", .rcpts = rcpts_bad, .nrcpt = 2,
	     .size = 30},
    ['S'] = {.from = "s@exa\nmple.net", .rcpts = rcpts_ab, .nrcpt = 1,
	     .size = 30},
};

/* The body every message sends: dot-stuffing and a missing final CRLF. */
static const char body[] = ".a\r\n..b\r\nc";

struct dialogue {
	const char *name;
	enum smtp_client_tls tls;
	bool auth;
	const char *send; /* message letters, QUIT after them */
	/* Server bytes; '~' separates what comes before the TLS handshake
	   from what comes after it. */
	const char *server;
	const char *want; /* transcript */
};

static void
log_result(struct buf *log, const char *tag,
	   const struct smtp_client_result *r)
{
	buf_printf(log, " %s=%d%s/%s/%s", tag, r->code, r->local ? "*" : "",
		   r->enh, r->text);
}

/* Drain events, acting as a relay would, and log output and events. */
static bool
drain(struct smtp_client *c, const struct dialogue *d, size_t *sent,
      bool *tls_due, struct buf *log)
{
	enum smtp_client_event ev;
	struct buf *out = smtp_client_out(c);
	bool closed = false;
	size_t i;

	for (;;) {
		buf_append(log, buf_rptr(out), buf_len(out));
		buf_consume(out, buf_len(out));
		if (closed || smtp_client_next(c, &ev) == 0)
			break;
		/* Commands made while reading replies came before the
		   event. */
		buf_append(log, buf_rptr(out), buf_len(out));
		buf_consume(out, buf_len(out));
		switch (ev) {
		case SMTP_CLIENT_EV_READY:
			buf_printf(log, "<READY>\n");
			if (d->send[*sent] != '\0')
				smtp_client_send(
				    c, &msgs[(unsigned char)d->send[(*sent)++]]);
			else
				smtp_client_quit(c);
			break;
		case SMTP_CLIENT_EV_START_TLS:
			/* The handshake happens once the plaintext part of
			   the script has all arrived, so injected bytes are
			   fed to the engine while it waits. */
			buf_printf(log, "<TLS>\n");
			*tls_due = true;
			break;
		case SMTP_CLIENT_EV_DATA:
			buf_printf(log, "<DATA>\n");
			TEST_ASSERT_INTEQ(smtp_client_data(c, body, 3), 0);
			TEST_ASSERT_INTEQ(
			    smtp_client_data(c, body + 3, sizeof(body) - 4), 0);
			smtp_client_data_end(c);
			break;
		case SMTP_CLIENT_EV_MSG_DONE:
			buf_printf(log, "<DONE");
			for (i = 0; i < msgs[(unsigned char)d->send[*sent - 1]].nrcpt;
			     i++) {
				char tag[32];

				snprintf(tag, sizeof(tag), "r%zu", i);
				log_result(log, tag, smtp_client_result(c, i));
			}
			buf_printf(log, ">\n");
			break;
		case SMTP_CLIENT_EV_CLOSED:
			buf_printf(log, "<CLOSED");
			if (smtp_client_failure(c) != NULL)
				log_result(log, "why", smtp_client_failure(c));
			buf_printf(log, ">\n");
			closed = true;
			break;
		}
	}
	return closed;
}

/* Run a dialogue feeding the server's bytes step at a time (0: whole
   segments); the peer then hangs up. */
static void
run_dialogue(const struct dialogue *d, size_t step, struct buf *log)
{
	struct smtp_client_cfg cfg = {.helo_name = "relay.example",
				      .tls = d->tls};
	struct smtp_client *c;
	const char *s = d->server;
	size_t sent = 0;
	bool closed = false, tls_due = false;

	if (d->auth) {
		cfg.auth_user = "user";
		cfg.auth_pass = "pass";
	}
	c = smtp_client_new(&cfg);
	closed = drain(c, d, &sent, &tls_due, log);
	while (*s != '\0' && !closed) {
		size_t seg = strcspn(s, "~"), k;

		while (seg > 0 && !closed) {
			k = step == 0 || step > seg ? seg : step;
			smtp_client_feed(c, s, k);
			s += k;
			seg -= k;
			closed = drain(c, d, &sent, &tls_due, log);
		}
		if (*s == '~')
			s++;
		if (tls_due && !closed) {
			tls_due = false;
			smtp_client_tls_done(c);
			closed = drain(c, d, &sent, &tls_due, log);
		}
	}
	if (!closed) {
		smtp_client_abort(c, "connection lost");
		drain(c, d, &sent, &tls_due, log);
	}
	smtp_client_free(&c);
}

/* Pieces of transcripts that recur: both recipients' RCPTs, DATA with
   the body sent (dot-stuffed, CRLF added), a clean QUIT. */
#define RCPT_AB "RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\n"
#define DATA_SENT "DATA\r\n<DATA>\n..a\r\n...b\r\nc\r\n.\r\n"
#define QUIT_CLEAN "<READY>\nQUIT\r\n<CLOSED>\n"

static const struct dialogue dialogues[] = {
    {"plain, two messages, no pipelining", SMTP_CLIENT_TLS_OPPORTUNISTIC,
     false, "PP",
     "220 mx ESMTP\r\n250-mx\r\n250-SIZE 1000\r\n250 ENHANCEDSTATUSCODES\r\n"
     "250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n354 go\r\n"
     "250 2.0.0 queued as 1\r\n"
     "250 ok\r\n451 4.3.0 later\r\n250 ok\r\n354 go\r\n554 5.6.0 bad\r\n"
     "221 2.0.0 bye\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net> SIZE=30\r\n"
     RCPT_AB
     DATA_SENT
     "<DONE r0=250/2.0.0/queued as 1 r1=550/5.1.1/no such user>\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net> SIZE=30\r\n"
     RCPT_AB
     DATA_SENT
     "<DONE r0=451/4.3.0/later r1=554/5.6.0/bad>\n"
     QUIT_CLEAN},
    {"pipelined batch", SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "PD",
     "220 mx\r\n250-mx\r\n250-PIPELINING\r\n250 DSN\r\n"
     "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 done\r\n"
     "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 done\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     RCPT_AB
     DATA_SENT
     "<DONE r0=250//done r1=250//done>\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net> RET=HDRS ENVID=q+201\r\n"
     "RCPT TO:<a@example.org> NOTIFY=SUCCESS,FAILURE "
     "ORCPT=rfc822;A+2Bb+3Dc@example.org\r\n"
     "RCPT TO:<b@example.org> NOTIFY=NEVER\r\n"
     DATA_SENT
     "<DONE r0=250//done r1=250//done>\n"
     QUIT_CLEAN},
    {"pipelined, all recipients refused, DATA refused",
     SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "PP",
     "220 mx\r\n250-mx\r\n250 PIPELINING\r\n"
     "250 ok\r\n550 5.1.1 a\r\n550 5.1.1 b\r\n554 5.5.1 no valid rcpt\r\n"
     "250 reset\r\n"
     /* RFC 2920 3.1: DATA accepted anyway: a lone dot */
     "250 ok\r\n550 5.1.1 a\r\n450 4.2.1 b\r\n354 go\r\n250 empty\r\n"
     "221 bye\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     RCPT_AB
     "DATA\r\n"
     "RSET\r\n"
     "<DONE r0=550/5.1.1/a r1=550/5.1.1/b>\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     RCPT_AB
     "DATA\r\n"
     ".\r\n"
     "<DONE r0=550/5.1.1/a r1=450/4.2.1/b>\n"
     QUIT_CLEAN},
    {"MAIL refused (5xx, 4xx)", SMTP_CLIENT_TLS_OPPORTUNISTIC,
     false, "PP",
     "220 mx\r\n250 mx\r\n"
     "553 5.7.1 sender refused\r\n250 ok\r\n"
     "451 4.7.1 greylisted\r\n250 ok\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     "RSET\r\n"
     "<DONE r0=553/5.7.1/sender refused r1=553/5.7.1/sender refused>\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     "RSET\r\n"
     "<DONE r0=451/4.7.1/greylisted r1=451/4.7.1/greylisted>\n"
     QUIT_CLEAN},
    {"RCPT all refused without pipelining: no DATA",
     SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "P",
     "220 mx\r\n250 mx\r\n250 ok\r\n550 a\r\n551 b\r\n250 reset\r\n"
     "221 bye\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     RCPT_AB
     "RSET\r\n"
     "<DONE r0=550//a r1=551//b>\n"
     QUIT_CLEAN},
    {"DATA refused without pipelining", SMTP_CLIENT_TLS_OPPORTUNISTIC,
     false, "P",
     "220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n550 b\r\n451 4.3.1 disk\r\n"
     "250 reset\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     RCPT_AB
     "DATA\r\n"
     "RSET\r\n"
     "<DONE r0=451/4.3.1/disk r1=550//b>\n"
     QUIT_CLEAN},
    {"HELO fallback", SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "P",
     "220 old\r\n500 what\r\n250 old\r\n250 ok\r\n250 ok\r\n250 ok\r\n"
     "354 go\r\n250 ok\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "HELO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     RCPT_AB
     DATA_SENT
     "<DONE r0=250//ok r1=250//ok>\n"
     QUIT_CLEAN},
    {"HELO refused too", SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "P",
     "220 old\r\n502 what\r\n501 5.5.4 no\r\n",
     "EHLO relay.example\r\n"
     "HELO relay.example\r\n"
     "QUIT\r\n"
     "<CLOSED why=501/5.5.4/no>\n"},
    {"EHLO 4xx", SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "P",
     "220 mx\r\n450 busy\r\n",
     "EHLO relay.example\r\n"
     "QUIT\r\n"
     "<CLOSED why=450//busy>\n"},
    {"greeting 554", SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "P",
     "554 5.7.1 no service\r\n",
     "QUIT\r\n"
     "<CLOSED why=554/5.7.1/no service>\n"},
    {"421 in the middle of a pipelined batch", SMTP_CLIENT_TLS_OPPORTUNISTIC,
     false, "P",
     "220 mx\r\n250-mx\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n"
     "421 4.3.2 shutting down\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     RCPT_AB
     "DATA\r\n"
     "<DONE r0=421/4.3.2/shutting down r1=421/4.3.2/shutting down>\n"
     "<CLOSED why=421/4.3.2/shutting down>\n"},
    {"connection lost after the final dot", SMTP_CLIENT_TLS_OPPORTUNISTIC,
     false, "P",
     "220 mx\r\n250 mx\r\n250 ok\r\n550 a\r\n250 ok\r\n354 go\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     RCPT_AB
     DATA_SENT
     "<DONE r0=550//a r1=451*/4.4.2/connection lost>\n"
     "<CLOSED why=451*/4.4.2/connection lost>\n"},
    {"RSET refused ends the session", SMTP_CLIENT_TLS_OPPORTUNISTIC, false,
     "P",
     "220 mx\r\n250 mx\r\n550 no\r\n500 huh\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     "RSET\r\n"
     "<DONE r0=550//no r1=550//no>\n"
     "QUIT\r\n"
     "<CLOSED why=500//huh>\n"},
    {"bad reply ends the session", SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "P",
     "220 mx\r\n250 mx\r\n250 ok\r\n25O ok\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     "RCPT TO:<a@example.org>\r\n"
     "QUIT\r\n"
     "<DONE r0=451*/4.5.0/Bad reply from server: Bad reply code "
     "r1=451*/4.5.0/Bad reply from server: Bad reply code>\n"
     "<CLOSED why=451*/4.5.0/Bad reply from server: Bad reply code>\n"},
    {"STARTTLS, replies injected before the handshake are discarded",
     SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "P",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 2.0.0 go\r\n"
     "250-evil\r\n250 PIPELINING\r\n~"
     "250-mx\r\n250 SIZE 100\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"
     "250 ok\r\n221 bye\r\n",
     /* the injected PIPELINING was not taken: one command at a time */
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     "<TLS>\n"
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net> SIZE=30\r\n"
     RCPT_AB
     DATA_SENT
     "<DONE r0=250//ok r1=250//ok>\n"
     QUIT_CLEAN},
    {"STARTTLS refused: go on in plaintext", SMTP_CLIENT_TLS_OPPORTUNISTIC,
     false, "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 no tls\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     QUIT_CLEAN},
    {"STARTTLS refused under require", SMTP_CLIENT_TLS_REQUIRE, false, "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 no tls\r\n",
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     "QUIT\r\n"
     "<CLOSED why=451*/4.7.4/TLS is required but STARTTLS was refused>\n"},
    {"TLS required, not offered", SMTP_CLIENT_TLS_REQUIRE, false, "",
     "220 mx\r\n250-mx\r\n250 PIPELINING\r\n",
     "EHLO relay.example\r\n"
     "QUIT\r\n"
     "<CLOSED why=451*/4.7.4/TLS is required but the server does not offer "
     "STARTTLS>\n"},
    {"TLS never", SMTP_CLIENT_TLS_NEVER, false, "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     QUIT_CLEAN},
    {"STARTTLS then AUTH PLAIN", SMTP_CLIENT_TLS_REQUIRE, true, "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n~"
     "250-mx\r\n250 AUTH LOGIN PLAIN\r\n235 2.7.0 ok\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     "<TLS>\n"
     "EHLO relay.example\r\n"
     "AUTH PLAIN AHVzZXIAcGFzcw==\r\n"
     QUIT_CLEAN},
    {"AUTH refused", SMTP_CLIENT_TLS_REQUIRE, true, "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n~"
     "250-mx\r\n250 AUTH PLAIN\r\n535 5.7.8 bad credentials\r\n",
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     "<TLS>\n"
     "EHLO relay.example\r\n"
     "AUTH PLAIN AHVzZXIAcGFzcw==\r\n"
     "QUIT\r\n"
     "<CLOSED why=535/5.7.8/bad credentials>\n"},
    {"AUTH challenge is cancelled", SMTP_CLIENT_TLS_REQUIRE, true, "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n~"
     "250-mx\r\n250 AUTH PLAIN\r\n334 \r\n",
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     "<TLS>\n"
     "EHLO relay.example\r\n"
     "AUTH PLAIN AHVzZXIAcGFzcw==\r\n"
     "*\r\n"
     "QUIT\r\n"
     "<CLOSED why=451*/4.7.0/Unexpected AUTH challenge>\n"},
    {"AUTH LOGIN when PLAIN is not offered", SMTP_CLIENT_TLS_REQUIRE, true,
     "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n~"
     "250-mx\r\n250 AUTH LOGIN CRAM-MD5\r\n334 VXNlcm5hbWU6\r\n"
     "334 UGFzc3dvcmQ6\r\n235 2.7.0 ok\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     "<TLS>\n"
     "EHLO relay.example\r\n"
     "AUTH LOGIN\r\n"
     "dXNlcg==\r\n"
     "cGFzcw==\r\n"
     QUIT_CLEAN},
    {"AUTH LOGIN refused", SMTP_CLIENT_TLS_REQUIRE, true, "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n~"
     "250-mx\r\n250 AUTH LOGIN\r\n334 VXNlcm5hbWU6\r\n"
     "334 UGFzc3dvcmQ6\r\n454 4.7.0 try later\r\n",
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     "<TLS>\n"
     "EHLO relay.example\r\n"
     "AUTH LOGIN\r\n"
     "dXNlcg==\r\n"
     "cGFzcw==\r\n"
     "QUIT\r\n"
     "<CLOSED why=454/4.7.0/try later>\n"},
    {"AUTH LOGIN: a third prompt is cancelled", SMTP_CLIENT_TLS_REQUIRE,
     true, "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n~"
     "250-mx\r\n250 AUTH LOGIN\r\n334 VXNlcm5hbWU6\r\n"
     "334 UGFzc3dvcmQ6\r\n334 more\r\n",
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     "<TLS>\n"
     "EHLO relay.example\r\n"
     "AUTH LOGIN\r\n"
     "dXNlcg==\r\n"
     "cGFzcw==\r\n"
     "*\r\n"
     "QUIT\r\n"
     "<CLOSED why=451*/4.7.0/Unexpected AUTH challenge>\n"},
    {"neither PLAIN nor LOGIN offered", SMTP_CLIENT_TLS_REQUIRE, true, "",
     "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n~"
     "250-mx\r\n250 AUTH CRAM-MD5\r\n",
     "EHLO relay.example\r\n"
     "STARTTLS\r\n"
     "<TLS>\n"
     "EHLO relay.example\r\n"
     "QUIT\r\n"
     "<CLOSED why=451*/4.7.0/Server offers neither AUTH PLAIN nor LOGIN>\n"},
    {"no AUTH in plaintext", SMTP_CLIENT_TLS_OPPORTUNISTIC, true, "",
     "220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n",
     "EHLO relay.example\r\n"
     "QUIT\r\n"
     "<CLOSED why=451*/4.7.0/Refusing AUTH on an unencrypted "
     "connection>\n"},
    {"local failures: size, 8bit, utf8, bad addresses",
     SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "B8UXS",
     "220 mx\r\n250-mx\r\n250 SIZE 1000\r\n"
     "250 ok\r\n550 no\r\n250 reset\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "<DONE r0=552*/5.3.4/Message too big for the receiving server>\n"
     "<READY>\n"
     "<DONE r0=554*/5.6.3/8-bit message and the receiving server lacks "
     "8BITMIME>\n"
     "<READY>\n"
     "<DONE r0=553*/5.6.7/UTF-8 message or address and the receiving "
     "server lacks SMTPUTF8>\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net> SIZE=30\r\n"
     "RCPT TO:<b@example.org>\r\n"
     "RSET\r\n"
     "<DONE r0=501*/5.1.3/Bad recipient address syntax r1=550//no>\n"
     "<READY>\n"
     "<DONE r0=501*/5.1.7/Bad sender address syntax>\n"
     QUIT_CLEAN},
    {"8BITMIME and SMTPUTF8 offered", SMTP_CLIENT_TLS_OPPORTUNISTIC, false,
     "8U",
     "220 mx\r\n250-mx\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 PIPELINING\r\n"
     "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n"
     "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net> BODY=8BITMIME\r\n"
     "RCPT TO:<a@example.org>\r\n"
     DATA_SENT
     "<DONE r0=250//ok>\n"
     "<READY>\n"
     "MAIL FROM:<> SMTPUTF8\r\n"
     "RCPT TO:<j\xc3\xb8rn@example.org>\r\n"
     DATA_SENT
     "<DONE r0=250//ok>\n"
     QUIT_CLEAN},
    {"pipelined MAIL refused, DATA accepted anyway: lone dot",
     SMTP_CLIENT_TLS_OPPORTUNISTIC, false, "P",
     "220-mx greeting\r\n220 more\r\n250-mx\r\n250 PIPELINING\r\n"
     "550 5.7.1 no\r\n503 a\r\n503 b\r\n354 go\r\n250 ok\r\n221 bye\r\n",
     "EHLO relay.example\r\n"
     "<READY>\n"
     "MAIL FROM:<s@example.net>\r\n"
     RCPT_AB
     "DATA\r\n"
     ".\r\n"
     "<DONE r0=550/5.7.1/no r1=550/5.7.1/no>\n"
     QUIT_CLEAN},
};

static void
test_dialogues(void)
{
	size_t i, step;

	for (i = 0; i < sizeof(dialogues) / sizeof(dialogues[0]); i++) {
		const struct dialogue *d = &dialogues[i];
		struct buf log;

		test_begin(d->name);
		for (step = 0; step <= 3; step++) {
			buf_init(&log, 0);
			run_dialogue(d, step == 3 ? 7 : step, &log);
			TEST_ASSERT_MEMEQ(buf_rptr(&log), buf_len(&log), d->want,
					  strlen(d->want));
			if (buf_len(&log) != strlen(d->want) ||
			    memcmp(buf_rptr(&log), d->want, buf_len(&log)) != 0)
				fprintf(stderr, "step %zu got:\n%.*s\n", step,
					(int)buf_len(&log),
					(const char *)buf_rptr(&log));
			buf_deinit(&log);
		}
	}
}

/* Helpers for step-by-step tests. */
static void
srv(struct smtp_client *c, const char *bytes)
{
	smtp_client_feed(c, bytes, strlen(bytes));
}

static void
want_out(struct smtp_client *c, const char *want)
{
	struct buf *out = smtp_client_out(c);

	TEST_ASSERT_MEMEQ(buf_rptr(out), buf_len(out), want, strlen(want));
	buf_consume(out, buf_len(out));
}

/* The next event, or 0 when there is none. */
static int
next_ev(struct smtp_client *c)
{
	enum smtp_client_event ev;

	return smtp_client_next(c, &ev) > 0 ? (int)ev : 0;
}

static struct smtp_client *
ready_client(const char *ehlo_reply)
{
	struct smtp_client_cfg cfg = {.helo_name = "relay.example"};
	struct smtp_client *c = smtp_client_new(&cfg);

	srv(c, "220 mx\r\n");
	srv(c, ehlo_reply);
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_READY);
	want_out(c, "EHLO relay.example\r\n");
	return c;
}

/* Send one message to a server that accepts it, then feed the data in
   pieces (step bytes, or at random points); returns the wire bytes. */
static void
stuff(const char *data, size_t n, size_t step, uint32_t *rnd, struct buf *wire)
{
	struct smtp_client *c = ready_client("250 mx\r\n");
	struct buf *out = smtp_client_out(c);
	size_t pos = 0, k;

	smtp_client_send(c, &msgs['P']);
	srv(c, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_DATA);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_DATA_BLOCK);
	buf_consume(out, buf_len(out));
	while (pos < n) {
		k = rnd != NULL ? test_rand(rnd) % 5 : step;
		if (k > n - pos)
			k = n - pos;
		TEST_ASSERT_INTEQ(smtp_client_data(c, data + pos, k), 0);
		pos += k;
	}
	smtp_client_data_end(c);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_DATA_TERM);
	buf_append(wire, buf_rptr(out), buf_len(out));
	smtp_client_free(&c);
}

struct stuff_case {
	const char *in, *wire;
};

static const struct stuff_case stuff_cases[] = {
    {"", ".\r\n"},
    {".", "..\r\n.\r\n"},
    {".\r\n", "..\r\n.\r\n"},
    {"..\r\n", "...\r\n.\r\n"},
    {"a\r\n.\r\nb\r\n", "a\r\n..\r\nb\r\n.\r\n"},
    {"a.b\r\n.x.\r\n", "a.b\r\n..x.\r\n.\r\n"},
    {"line 1\r\nline 2", "line 1\r\nline 2\r\n.\r\n"},
    {"\r\n\r\n", "\r\n\r\n.\r\n"},
    {"\r\n.", "\r\n..\r\n.\r\n"},
    /* never a bare CR or LF on the wire (RFC 5321 2.3.8) */
    {"a\nb\n", "a\r\nb\r\n.\r\n"},
    {"a\rb\r", "a\r\nb\r\n.\r\n"},
    {"a\r\r\nb", "a\r\n\r\nb\r\n.\r\n"},
    {"\n.\n..", "\r\n..\r\n...\r\n.\r\n"},
    {"\r.\r", "\r\n..\r\n.\r\n"},
    {"\xc3\xa9.\r\n", "\xc3\xa9.\r\n.\r\n"},
};

static void
test_dot_stuffing(void)
{
	size_t i, step;
	uint32_t rnd = 99;

	for (i = 0; i < sizeof(stuff_cases) / sizeof(stuff_cases[0]); i++) {
		const struct stuff_case *sc = &stuff_cases[i];
		size_t n = strlen(sc->in);
		struct buf wire;

		test_begin(sc->in);
		for (step = 0; step < 5; step++) {
			buf_init(&wire, 0);
			if (step < 4)
				stuff(sc->in, n, step == 0 ? n : step, NULL,
				      &wire);
			else
				stuff(sc->in, n, 0, &rnd, &wire);
			TEST_ASSERT_MEMEQ(buf_rptr(&wire), buf_len(&wire),
					  sc->wire, strlen(sc->wire));
			buf_deinit(&wire);
		}
	}
}

/* A NUL in the message: the session ends without the final dot. */
static void
test_data_nul(void)
{
	struct smtp_client *c = ready_client("250 mx\r\n");

	test_begin("NUL");
	smtp_client_send(c, &msgs['P']);
	srv(c, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_DATA);
	want_out(c, "MAIL FROM:<s@example.net>\r\nRCPT TO:<a@example.org>\r\n"
		    "RCPT TO:<b@example.org>\r\nDATA\r\n");
	TEST_ASSERT_INTEQ(smtp_client_data(c, "ab\r\nc\0d", 7), -1);
	want_out(c, "ab\r\nc");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_MSG_DONE);
	TEST_ASSERT_INTEQ(smtp_client_result(c, 0)->code, 554);
	TEST_ASSERT_STREQ(smtp_client_result(c, 1)->enh, "5.6.0");
	TEST_ASSERT(smtp_client_result(c, 1)->local);
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_CLOSED);
	TEST_ASSERT_INTEQ(smtp_client_failure(c)->code, 554);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_CLOSED);
	TEST_ASSERT_INTEQ(next_ev(c), 0);
	/* Input after the end is ignored. */
	srv(c, "250 ok\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), 0);
	smtp_client_abort(c, "x");
	TEST_ASSERT_INTEQ(next_ev(c), 0);
	smtp_client_free(&c);
	TEST_ASSERT(c == NULL);
}

/* Phases (and so timeouts) follow the oldest unanswered command. */
static void
test_phases(void)
{
	struct smtp_client_cfg cfg = {.helo_name = "relay.example"};
	struct smtp_client *c = smtp_client_new(&cfg);

	test_begin("phases");
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_GREETING);
	TEST_ASSERT_INTEQ(smtp_client_timeout_ms(SMTP_CLIENT_PH_GREETING),
			  5 * 60 * 1000);
	srv(c, "220 mx\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), 0);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_EHLO);
	srv(c, "250-mx\r\n250-PIPELINING\r\n250-SIZE 100\r\n250 STARTTLS\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), 0);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_STARTTLS);
	TEST_ASSERT(smtp_client_esmtp(c));
	TEST_ASSERT(smtp_client_caps(c)->pipelining);
	TEST_ASSERT_INTEQ(smtp_client_caps(c)->size_max, 100);
	srv(c, "220 go\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_START_TLS);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_TLS_HANDSHAKE);
	TEST_ASSERT_INTEQ(smtp_client_timeout_ms(SMTP_CLIENT_PH_TLS_HANDSHAKE),
			  0);
	TEST_ASSERT(!smtp_client_tls_active(c));
	smtp_client_tls_done(c);
	TEST_ASSERT(smtp_client_tls_active(c));
	/* What was learnt before TLS is forgotten (RFC 3207 4.2). */
	TEST_ASSERT(!smtp_client_caps(c)->pipelining);
	TEST_ASSERT(!smtp_client_esmtp(c));
	srv(c, "250-mx\r\n250 PIPELINING\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_READY);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_IDLE);
	TEST_ASSERT_INTEQ(smtp_client_caps(c)->size_max, 0);
	smtp_client_send(c, &msgs['P']);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_MAIL);
	srv(c, "250 ok\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), 0);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_RCPT);
	TEST_ASSERT_INTEQ(smtp_client_timeout_ms(SMTP_CLIENT_PH_RCPT),
			  5 * 60 * 1000);
	srv(c, "250 ok\r\n250 ok\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), 0);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_DATA_INIT);
	TEST_ASSERT_INTEQ(smtp_client_timeout_ms(SMTP_CLIENT_PH_DATA_INIT),
			  2 * 60 * 1000);
	srv(c, "354 go\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_DATA);
	TEST_ASSERT_INTEQ(smtp_client_timeout_ms(SMTP_CLIENT_PH_DATA_BLOCK),
			  3 * 60 * 1000);
	smtp_client_data_end(c);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_DATA_TERM);
	TEST_ASSERT_INTEQ(smtp_client_timeout_ms(SMTP_CLIENT_PH_DATA_TERM),
			  10 * 60 * 1000);
	srv(c, "250 2.0.0 ok\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_MSG_DONE);
	TEST_ASSERT_INTEQ(smtp_client_result(c, 0)->phase,
			  SMTP_CLIENT_PH_DATA_TERM);
	TEST_ASSERT(!smtp_client_result(c, 0)->local);
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_READY);
	/* An unsolicited reply while idle ends the session. */
	srv(c, "250 surprise\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_CLOSED);
	TEST_ASSERT_INTEQ(smtp_client_failure(c)->code, 451);
	TEST_ASSERT_STREQ(smtp_client_failure(c)->enh, "4.5.0");
	TEST_ASSERT_INTEQ(smtp_client_failure(c)->phase, SMTP_CLIENT_PH_IDLE);
	want_out(c, "EHLO relay.example\r\nSTARTTLS\r\nEHLO relay.example\r\n"
		    "MAIL FROM:<s@example.net>\r\nRCPT TO:<a@example.org>\r\n"
		    "RCPT TO:<b@example.org>\r\nDATA\r\n.\r\nQUIT\r\n");
	smtp_client_free(&c);
}

/* Implicit TLS: no STARTTLS even when offered, AUTH allowed; a peer that
   drops the connection during QUIT ends the session cleanly. */
static void
test_implicit_tls(void)
{
	struct smtp_client_cfg cfg = {.helo_name = "relay.example",
				      .tls = SMTP_CLIENT_TLS_REQUIRE,
				      .tls_active = true,
				      .auth_user = "u",
				      .auth_pass = "p"};
	struct smtp_client *c = smtp_client_new(&cfg);

	test_begin("implicit TLS");
	srv(c, "220 mx\r\n250-mx\r\n250-STARTTLS\r\n250 AUTH=PLAIN\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), 0);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_AUTH);
	srv(c, "235 ok\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_READY);
	want_out(c, "EHLO relay.example\r\nAUTH PLAIN AHUAcA==\r\n");
	smtp_client_quit(c);
	TEST_ASSERT_INTEQ(smtp_client_phase(c), SMTP_CLIENT_PH_QUIT);
	want_out(c, "QUIT\r\n");
	smtp_client_abort(c, "connection lost");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_CLOSED);
	TEST_ASSERT(smtp_client_failure(c) == NULL);
	smtp_client_free(&c);
}

/* A failed handshake (abort while waiting for it). */
static void
test_tls_abort(void)
{
	struct smtp_client_cfg cfg = {.helo_name = "relay.example"};
	struct smtp_client *c = smtp_client_new(&cfg);

	test_begin("handshake failed");
	srv(c, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_START_TLS);
	srv(c, "250 injected\r\n");
	TEST_ASSERT_INTEQ(next_ev(c), 0);
	smtp_client_abort(c, "TLS handshake failed");
	TEST_ASSERT_INTEQ(next_ev(c), SMTP_CLIENT_EV_CLOSED);
	TEST_ASSERT_INTEQ(smtp_client_failure(c)->code, 451);
	TEST_ASSERT_STREQ(smtp_client_failure(c)->enh, "4.4.2");
	TEST_ASSERT_STREQ(smtp_client_failure(c)->text, "TLS handshake failed");
	TEST_ASSERT_INTEQ(smtp_client_failure(c)->phase,
			  SMTP_CLIENT_PH_TLS_HANDSHAKE);
	want_out(c, "EHLO relay.example\r\nSTARTTLS\r\n");
	smtp_client_free(&c);
}

TEST_MAIN(test_dialogues, test_dot_stuffing, test_data_nul, test_phases,
	  test_implicit_tls, test_tls_abort)

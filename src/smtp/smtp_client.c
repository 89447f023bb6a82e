/* smtp_client.c: SMTP client protocol engine for the relay (sans-IO). */
/* SPDX-License-Identifier: MIT */
#include "smtp_client.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "base64.h"
#include "limits.h"
#include "log.h"
#include "smtp/smtp_parse.h"
#include "xalloc.h"

enum smtp_client_state {
	ST_GREETING,
	ST_EHLO,
	ST_HELO,
	ST_STARTTLS,
	ST_TLS_WAIT,
	ST_AUTH,
	ST_AUTH_LOGIN,
	ST_READY,
	ST_TX,   /* MAIL / RCPT / DATA replies outstanding */
	ST_DATA, /* the caller sends message bytes */
	ST_DOT,  /* waiting for the reply to the final "." */
	ST_RSET,
	ST_QUIT,
	ST_CLOSED,
};

/* Commands of a transaction whose replies are outstanding. */
enum smtp_client_pend { PEND_MAIL, PEND_RCPT, PEND_DATA };

struct smtp_client_pending {
	enum smtp_client_pend kind;
	size_t rcpt; /* PEND_RCPT: recipient index */
};

#define SMTP_CLIENT_EVENTS 4

struct smtp_client {
	enum smtp_client_state state;
	char *helo_name, *auth_user, *auth_pass;
	enum smtp_client_tls tls_policy;
	bool auth_plaintext;
	bool tls, esmtp, authed;
	/* AUTH LOGIN: 334 prompts answered so far (user, then password) */
	unsigned login_step;
	struct smtp_caps caps;

	struct buf in, out;
	struct smtp_reply_parser rp;

	enum smtp_client_event events[SMTP_CLIENT_EVENTS];
	size_t ev_head, ev_n;

	struct smtp_client_result failure;
	bool failed;
	char *failure_text;

	/* The current transaction; its memory lives in tx. */
	struct arena *tx;
	bool in_tx;
	struct smtp_client_msg msg;
	struct smtp_client_result *res; /* per recipient; code 0 = open */
	size_t accepted;                /* RCPTs answered 2xx */
	bool mail_failed;
	size_t next_rcpt; /* without PIPELINING: next RCPT to send */
	struct smtp_client_pending *pend;
	size_t pend_head, pend_n;
	bool empty_dot; /* the "." was sent with no recipient accepted */
	bool bol, cr;   /* data: at the start of a line / CR held back */
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

static void
smtp_client_event(struct smtp_client *c, enum smtp_client_event ev)
{
	ASSERT(c->ev_n < SMTP_CLIENT_EVENTS);
	c->events[(c->ev_head + c->ev_n) % SMTP_CLIENT_EVENTS] = ev;
	c->ev_n++;
}

static void
smtp_client_cmd(struct smtp_client *c, const char *s)
{
	buf_append_str(&c->out, s);
	buf_append(&c->out, "\r\n", 2);
}

/* A result in the transaction arena (or a static one). */
static void
smtp_client_set(struct smtp_client *c, struct smtp_client_result *r, int code,
		const char *enh, const char *text, bool local,
		enum smtp_client_phase ph)
{
	r->code = code;
	r->enh = arena_strdup(c->tx, enh);
	r->text = arena_strdup(c->tx, text);
	r->local = local;
	r->phase = ph;
}

static void
smtp_client_set_reply(struct smtp_client *c, struct smtp_client_result *r,
		      const struct smtp_reply *rep, enum smtp_client_phase ph)
{
	smtp_client_set(c, r, rep->code, rep->enh, rep->text, false, ph);
}

/* Give every recipient still without a result this one. */
static void
smtp_client_resolve_open(struct smtp_client *c, int code, const char *enh,
			 const char *text, bool local,
			 enum smtp_client_phase ph)
{
	size_t i;

	for (i = 0; i < c->msg.nrcpt; i++)
		if (c->res[i].code == 0)
			smtp_client_set(c, &c->res[i], code, enh, text, local,
					ph);
}

/* End the session: recipients without a result share its fate, then
   EV_MSG_DONE (if a message was in flight) and EV_CLOSED. */
static void
smtp_client_fail(struct smtp_client *c, int code, const char *enh,
		 const char *text, bool local, enum smtp_client_phase ph,
		 bool send_quit)
{
	if (c->in_tx) {
		smtp_client_resolve_open(c, code, enh, text, local, ph);
		c->in_tx = false;
		smtp_client_event(c, SMTP_CLIENT_EV_MSG_DONE);
	}
	/* enh and text may live in the reply parser: keep copies, both in
	   one allocation ("enh\0text\0"). */
	free(c->failure_text);
	c->failure_text = xmalloc(strlen(enh) + 1 + strlen(text) + 1);
	memcpy(c->failure_text, enh, strlen(enh) + 1);
	memcpy(c->failure_text + strlen(enh) + 1, text, strlen(text) + 1);
	c->failure.code = code;
	c->failure.enh = c->failure_text;
	c->failure.text = c->failure_text + strlen(enh) + 1;
	c->failure.local = local;
	c->failure.phase = ph;
	c->failed = true;
	if (send_quit)
		smtp_client_cmd(c, "QUIT");
	c->state = ST_CLOSED;
	buf_reset(&c->in);
	smtp_client_event(c, SMTP_CLIENT_EV_CLOSED);
}

static void
smtp_client_fail_reply(struct smtp_client *c, const struct smtp_reply *r,
		       enum smtp_client_phase ph)
{
	/* RFC 5321 3.8: after 421 the server closes; no QUIT. */
	smtp_client_fail(c, r->code, r->enh, r->text, false, ph,
			 r->code != 421);
}

/* RFC 5321 4.1.2 paths: no CTLs, no angle brackets, at most a path long
   (brackets included).  *utf8 is set for non-ASCII. */
static bool
smtp_client_addr_ok(const char *a, bool *utf8)
{
	const unsigned char *s;

	if (strlen(a) > SMTP_PATH_MAX - 2)
		return false;
	for (s = (const unsigned char *)a; *s != '\0'; s++) {
		if (*s < 0x20 || *s == 0x7f || *s == '<' || *s == '>')
			return false;
		if (*s >= 0x80)
			*utf8 = true;
	}
	return true;
}

/* RFC 3461 4: xtext = *( xchar / hexchar ); xchar is "!".."~" except
   "+" and "=". */
static void
smtp_client_xtext(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= '!' && ch <= '~' && ch != '+' && ch != '=') {
			buf_append(b, s, 1);
		} else {
			char e[3] = {'+', hex[ch >> 4], hex[ch & 15]};

			buf_append(b, e, 3);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Session set-up                                                     */

struct smtp_client *
smtp_client_new(const struct smtp_client_cfg *cfg)
{
	struct smtp_client *c = xzalloc(sizeof(*c));

	c->helo_name = xstrdup(cfg->helo_name);
	if (cfg->auth_user != NULL && cfg->auth_pass != NULL) {
		c->auth_user = xstrdup(cfg->auth_user);
		c->auth_pass = xstrdup(cfg->auth_pass);
	}
	c->tls_policy = cfg->tls;
	c->tls = cfg->tls_active;
	c->auth_plaintext = cfg->auth_plaintext;
	buf_init(&c->in, 0);
	buf_init(&c->out, 0);
	smtp_reply_parser_init(&c->rp);
	c->tx = arena_new("smtp_client_tx", 4096);
	c->state = ST_GREETING;
	return c;
}

void
smtp_client_free(struct smtp_client **cp)
{
	struct smtp_client *c = *cp;

	if (c == NULL)
		return;
	*cp = NULL;
	if (c->auth_pass != NULL)
		memset(c->auth_pass, 0, strlen(c->auth_pass));
	free(c->helo_name);
	free(c->auth_user);
	free(c->auth_pass);
	free(c->failure_text);
	buf_deinit(&c->in);
	buf_deinit(&c->out);
	smtp_reply_parser_deinit(&c->rp);
	arena_free(&c->tx);
	free(c);
}

struct buf *
smtp_client_out(struct smtp_client *c)
{
	return &c->out;
}

void
smtp_client_feed(struct smtp_client *c, const void *data, size_t n)
{
	/* RFC 3207 4.2: nothing received between the 220 to STARTTLS and
	   the handshake may be taken as a reply (reply injection). */
	if (c->state == ST_TLS_WAIT || c->state == ST_CLOSED)
		return;
	buf_append(&c->in, data, n);
}

static void
smtp_client_ehlo(struct smtp_client *c)
{
	buf_printf(&c->out, "EHLO %s\r\n", c->helo_name);
	c->state = ST_EHLO;
}

static void
smtp_client_ready(struct smtp_client *c)
{
	c->state = ST_READY;
	smtp_client_event(c, SMTP_CLIENT_EV_READY);
}

/* Send s base64-encoded (after prefix, then CRLF); wipes its copies. */
static void
smtp_client_send_b64(struct smtp_client *c, const char *prefix, const void *s,
		     size_t n)
{
	char *enc = xmalloc(BASE64_ENCODED_LEN(n) + 1);

	base64_encode(s, n, enc);
	buf_printf(&c->out, "%s%s\r\n", prefix, enc);
	explicit_bzero(enc, strlen(enc));
	free(enc);
}

/* After the greeting exchange: AUTH if configured, else ready. */
static void
smtp_client_auth(struct smtp_client *c)
{
	struct buf b;

	if (c->auth_user == NULL || c->authed) {
		smtp_client_ready(c);
		return;
	}
	/* RFC 4954 14 / RFC 4616 6: passwords only under TLS. */
	if (!c->tls && !c->auth_plaintext) {
		smtp_client_fail(c, 451, "4.7.0",
				 "Refusing AUTH on an unencrypted connection",
				 true, SMTP_CLIENT_PH_AUTH, true);
		return;
	}
	if ((c->caps.auth & SMTP_AUTH_MECH_PLAIN) == 0) {
		if ((c->caps.auth & SMTP_AUTH_MECH_LOGIN) == 0) {
			smtp_client_fail(c, 451, "4.7.0",
					 "Server offers neither AUTH PLAIN "
					 "nor LOGIN",
					 true, SMTP_CLIENT_PH_AUTH, true);
			return;
		}
		/* LOGIN (draft-murchison-sasl-login): the user name and
		   the password, each after a 334 prompt whose text is
		   not relied on. */
		smtp_client_cmd(c, "AUTH LOGIN");
		c->login_step = 0;
		c->state = ST_AUTH_LOGIN;
		return;
	}
	/* RFC 4616 2: [authzid] NUL authcid NUL passwd, sent as the initial
	   response (RFC 4954 4). */
	buf_init(&b, 0);
	buf_append(&b, "", 1);
	buf_append_str(&b, c->auth_user);
	buf_append(&b, "", 1);
	buf_append_str(&b, c->auth_pass);
	smtp_client_send_b64(c, "AUTH PLAIN ", buf_rptr(&b), buf_len(&b));
	explicit_bzero(b.data, b.cap);
	buf_deinit(&b);
	c->state = ST_AUTH;
}

/* EHLO (or HELO) accepted. */
static void
smtp_client_greeted(struct smtp_client *c)
{
	if (!c->tls && c->tls_policy != SMTP_CLIENT_TLS_NEVER &&
	    c->caps.starttls) {
		smtp_client_cmd(c, "STARTTLS");
		c->state = ST_STARTTLS;
		return;
	}
	if (!c->tls && c->tls_policy == SMTP_CLIENT_TLS_REQUIRE) {
		smtp_client_fail(c, 451, "4.7.4",
				 "TLS is required but the server does not "
				 "offer STARTTLS",
				 true, SMTP_CLIENT_PH_EHLO, true);
		return;
	}
	smtp_client_auth(c);
}

void
smtp_client_tls_done(struct smtp_client *c)
{
	ASSERT(c->state == ST_TLS_WAIT);
	c->tls = true;
	c->esmtp = false;
	memset(&c->caps, 0, sizeof(c->caps));
	buf_reset(&c->in);
	smtp_reply_parser_reset(&c->rp);
	smtp_client_ehlo(c);
}

void
smtp_client_quit(struct smtp_client *c)
{
	ASSERT(c->state == ST_READY);
	smtp_client_cmd(c, "QUIT");
	c->state = ST_QUIT;
}

/* ------------------------------------------------------------------ */
/* Transactions                                                       */

static void
smtp_client_pend(struct smtp_client *c, enum smtp_client_pend kind,
		 size_t rcpt)
{
	struct smtp_client_pending *p = &c->pend[c->pend_head + c->pend_n++];

	p->kind = kind;
	p->rcpt = rcpt;
}

static void
smtp_client_send_mail(struct smtp_client *c)
{
	const struct smtp_client_msg *m = &c->msg;

	buf_printf(&c->out, "MAIL FROM:<%s>", m->from);
	if (c->caps.size)
		buf_printf(&c->out, " SIZE=%llu", (unsigned long long)m->size);
	if (m->eightbit)
		buf_append_str(&c->out, " BODY=8BITMIME");
	if (m->smtputf8)
		buf_append_str(&c->out, " SMTPUTF8");
	/* RFC 3461 4: DSN parameters only to a server that offers DSN. */
	if (c->caps.dsn && m->ret != 0)
		buf_append_str(&c->out, m->ret == 1 ? " RET=FULL" : " RET=HDRS");
	if (c->caps.dsn && m->envid != NULL) {
		buf_append_str(&c->out, " ENVID=");
		smtp_client_xtext(&c->out, m->envid);
	}
	buf_append(&c->out, "\r\n", 2);
	smtp_client_pend(c, PEND_MAIL, 0);
}

static void
smtp_client_send_rcpt(struct smtp_client *c, size_t i)
{
	const struct smtp_client_rcpt *r = &c->msg.rcpts[i];
	const char *semi;

	buf_printf(&c->out, "RCPT TO:<%s>", r->addr);
	if (c->caps.dsn && r->notify != 0) {
		/* RFC 3461 4.1: NEVER, or a list of the others. */
		if (r->notify & SMTP_NOTIFY_NEVER) {
			buf_append_str(&c->out, " NOTIFY=NEVER");
		} else {
			const char *sep = " NOTIFY=";

			if (r->notify & SMTP_NOTIFY_SUCCESS) {
				buf_printf(&c->out, "%sSUCCESS", sep);
				sep = ",";
			}
			if (r->notify & SMTP_NOTIFY_FAILURE) {
				buf_printf(&c->out, "%sFAILURE", sep);
				sep = ",";
			}
			if (r->notify & SMTP_NOTIFY_DELAY)
				buf_printf(&c->out, "%sDELAY", sep);
		}
	}
	/* RFC 3461 4.2: ORCPT=addr-type ";" xtext */
	if (c->caps.dsn && r->orcpt != NULL &&
	    (semi = strchr(r->orcpt, ';')) != NULL && semi > r->orcpt) {
		buf_append_str(&c->out, " ORCPT=");
		buf_append(&c->out, r->orcpt, (size_t)(semi - r->orcpt));
		buf_append(&c->out, ";", 1);
		smtp_client_xtext(&c->out, semi + 1);
	}
	buf_append(&c->out, "\r\n", 2);
	smtp_client_pend(c, PEND_RCPT, i);
}

/* Index of the first recipient from i on still to be sent, or nrcpt. */
static size_t
smtp_client_next_open(const struct smtp_client *c, size_t i)
{
	while (i < c->msg.nrcpt && c->res[i].code != 0)
		i++;
	return i;
}

static void
smtp_client_send_data_cmd(struct smtp_client *c)
{
	smtp_client_cmd(c, "DATA");
	smtp_client_pend(c, PEND_DATA, 0);
}

/* The message's results are final.  need_rset: the server may still hold
   transaction state (MAIL accepted, no message taken). */
static void
smtp_client_tx_done(struct smtp_client *c, bool need_rset)
{
	c->in_tx = false;
	c->pend_n = 0;
	smtp_client_event(c, SMTP_CLIENT_EV_MSG_DONE);
	if (need_rset) {
		smtp_client_cmd(c, "RSET");
		c->state = ST_RSET;
	} else {
		smtp_client_ready(c);
	}
}

/* Copy the message into the transaction arena. */
static void
smtp_client_copy_msg(struct smtp_client *c, const struct smtp_client_msg *m)
{
	struct smtp_client_rcpt *r;
	size_t i;

	c->msg = *m;
	c->msg.from = arena_strdup(c->tx, m->from);
	c->msg.envid = m->envid != NULL ? arena_strdup(c->tx, m->envid) : NULL;
	r = arena_alloc(c->tx, m->nrcpt * sizeof(*r));
	for (i = 0; i < m->nrcpt; i++) {
		r[i].addr = arena_strdup(c->tx, m->rcpts[i].addr);
		r[i].notify = m->rcpts[i].notify;
		r[i].orcpt = m->rcpts[i].orcpt != NULL
				 ? arena_strdup(c->tx, m->rcpts[i].orcpt)
				 : NULL;
	}
	c->msg.rcpts = r;
	c->res = arena_alloc(c->tx, m->nrcpt * sizeof(*c->res));
	c->pend = arena_alloc(c->tx, (m->nrcpt + 2) * sizeof(*c->pend));
	c->pend_head = c->pend_n = 0;
	c->accepted = 0;
	c->mail_failed = false;
	c->empty_dot = false;
	c->next_rcpt = 0;
}

/* Checks made before anything is sent; returns false when every
   recipient already failed. */
static bool
smtp_client_precheck(struct smtp_client *c)
{
	struct smtp_client_msg *m = &c->msg;
	bool utf8 = false;
	size_t i, open = 0;

	if (!smtp_client_addr_ok(m->from, &utf8)) {
		smtp_client_resolve_open(c, 501, "5.1.7",
					 "Bad sender address syntax", true,
					 SMTP_CLIENT_PH_MAIL);
		return false;
	}
	for (i = 0; i < m->nrcpt; i++) {
		if (smtp_client_addr_ok(m->rcpts[i].addr, &utf8))
			open++;
		else
			smtp_client_set(c, &c->res[i], 501, "5.1.3",
					"Bad recipient address syntax", true,
					SMTP_CLIENT_PH_RCPT);
	}
	if (open == 0)
		return false;
	if (utf8)
		m->smtputf8 = true;
	/* RFC 1870 6.1: don't send what the server declared too large. */
	if (c->caps.size && c->caps.size_max != 0 &&
	    m->size > c->caps.size_max) {
		smtp_client_resolve_open(c, 552, "5.3.4",
					 "Message too big for the "
					 "receiving server",
					 true, SMTP_CLIENT_PH_MAIL);
		return false;
	}
	/* RFC 6152 3: 8-bit data only to a server that offers 8BITMIME
	   (conversion to 7 bit is not done). */
	if (m->eightbit && !c->caps.eightbitmime) {
		smtp_client_resolve_open(c, 554, "5.6.3",
					 "8-bit message and the receiving "
					 "server lacks 8BITMIME",
					 true, SMTP_CLIENT_PH_MAIL);
		return false;
	}
	/* RFC 6531 3.4: no internationalised mail to a server without
	   SMTPUTF8; X.6.7 as in 3.7.1. */
	if (m->smtputf8 && !c->caps.smtputf8) {
		smtp_client_resolve_open(c, 553, "5.6.7",
					 "UTF-8 message or address and the "
					 "receiving server lacks SMTPUTF8",
					 true, SMTP_CLIENT_PH_MAIL);
		return false;
	}
	return true;
}

void
smtp_client_send(struct smtp_client *c, const struct smtp_client_msg *m)
{
	size_t i;

	ASSERT(c->state == ST_READY);
	ASSERT(m->nrcpt > 0);
	arena_reset(c->tx);
	smtp_client_copy_msg(c, m);
	c->in_tx = true;
	if (!smtp_client_precheck(c)) {
		smtp_client_tx_done(c, false);
		return;
	}
	c->state = ST_TX;
	smtp_client_send_mail(c);
	if (!c->caps.pipelining)
		return;
	/* RFC 2920 3.1: MAIL and RCPT anywhere in a group, DATA last. */
	for (i = smtp_client_next_open(c, 0); i < c->msg.nrcpt;
	     i = smtp_client_next_open(c, i + 1))
		smtp_client_send_rcpt(c, i);
	c->next_rcpt = c->msg.nrcpt;
	smtp_client_send_data_cmd(c);
}

/* Without PIPELINING: after a MAIL/RCPT reply, the next command. */
static void
smtp_client_step(struct smtp_client *c)
{
	size_t i;

	if (c->mail_failed) {
		smtp_client_tx_done(c, true);
		return;
	}
	i = smtp_client_next_open(c, c->next_rcpt);
	if (i < c->msg.nrcpt) {
		c->next_rcpt = i + 1;
		smtp_client_send_rcpt(c, i);
		return;
	}
	c->next_rcpt = c->msg.nrcpt;
	if (c->accepted == 0) {
		smtp_client_tx_done(c, true);
		return;
	}
	smtp_client_send_data_cmd(c);
}

/* The reply to the first outstanding transaction command. */
static void
smtp_client_tx_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	struct smtp_client_pending p = c->pend[c->pend_head];
	bool ok = r->code / 100 == 2;

	c->pend_head++;
	c->pend_n--;
	switch (p.kind) {
	case PEND_MAIL:
		if (!ok) {
			c->mail_failed = true;
			smtp_client_resolve_open(c, r->code, r->enh, r->text,
						 false, SMTP_CLIENT_PH_MAIL);
		}
		break;
	case PEND_RCPT:
		if (c->mail_failed)
			break;
		if (ok)
			c->accepted++;
		else
			smtp_client_set_reply(c, &c->res[p.rcpt], r,
					      SMTP_CLIENT_PH_RCPT);
		break;
	case PEND_DATA:
		if (r->code / 100 != 3) {
			smtp_client_resolve_open(c, r->code, r->enh, r->text,
						 false,
						 SMTP_CLIENT_PH_DATA_INIT);
			smtp_client_tx_done(c, true);
			return;
		}
		c->bol = true;
		c->cr = false;
		if (c->accepted == 0 || c->mail_failed) {
			/* RFC 2920 3.1: DATA accepted with no recipient:
			   send a lone "." and ignore its reply. */
			c->empty_dot = true;
			smtp_client_cmd(c, ".");
			c->state = ST_DOT;
			return;
		}
		c->state = ST_DATA;
		smtp_client_event(c, SMTP_CLIENT_EV_DATA);
		return;
	}
	if (c->pend_n == 0 && !c->caps.pipelining)
		smtp_client_step(c);
	else if (c->pend_n == 0)
		/* A pipelined group always ends in DATA; only a peer
		   that answered DATA early could leave us here. */
		smtp_client_tx_done(c, true);
}

int
smtp_client_data(struct smtp_client *c, const void *data, size_t n)
{
	const uint8_t *s = data, *end = s + n, *q;

	ASSERT(c->state == ST_DATA);
	while (s < end) {
		if (c->cr) {
			/* CR LF, or a bare CR sent as CRLF (RFC 5321
			   2.3.8). */
			c->cr = false;
			buf_append(&c->out, "\r\n", 2);
			c->bol = true;
			if (*s == '\n') {
				s++;
				continue;
			}
		}
		if (*s == '\r') {
			c->cr = true;
			s++;
			continue;
		}
		if (*s == '\n') {
			buf_append(&c->out, "\r\n", 2);
			c->bol = true;
			s++;
			continue;
		}
		if (*s == '\0') {
			smtp_client_fail(c, 554, "5.6.0",
					 "Message contains a NUL byte", true,
					 SMTP_CLIENT_PH_DATA_BLOCK, false);
			return -1;
		}
		/* RFC 5321 4.5.2: a line starting with "." gets one more. */
		if (c->bol && *s == '.')
			buf_append(&c->out, ".", 1);
		for (q = s; q < end && *q != '\r' && *q != '\n' && *q != '\0';
		     q++)
			;
		buf_append(&c->out, s, (size_t)(q - s));
		c->bol = false;
		s = q;
	}
	return 0;
}

void
smtp_client_data_end(struct smtp_client *c)
{
	ASSERT(c->state == ST_DATA);
	if (c->cr || !c->bol)
		buf_append(&c->out, "\r\n", 2);
	c->cr = false;
	smtp_client_cmd(c, ".");
	c->state = ST_DOT;
}

/* ------------------------------------------------------------------ */
/* Replies                                                            */

static void
smtp_client_reply(struct smtp_client *c, const struct smtp_reply *r)
{
	int cls = r->code / 100;

	/* RFC 5321 3.8: 421 may come at any time; the session is over. */
	if (r->code == 421 && c->state != ST_QUIT) {
		smtp_client_fail_reply(c, r, smtp_client_phase(c));
		return;
	}
	switch (c->state) {
	case ST_GREETING:
		if (cls != 2) {
			smtp_client_fail_reply(c, r, SMTP_CLIENT_PH_GREETING);
			return;
		}
		smtp_client_ehlo(c);
		return;
	case ST_EHLO:
		if (cls == 2) {
			c->esmtp = true;
			smtp_reply_caps(r, &c->caps);
			smtp_client_greeted(c);
		} else if (cls == 5) {
			/* RFC 5321 3.2: fall back to HELO. */
			buf_printf(&c->out, "HELO %s\r\n", c->helo_name);
			c->state = ST_HELO;
		} else {
			smtp_client_fail_reply(c, r, SMTP_CLIENT_PH_EHLO);
		}
		return;
	case ST_HELO:
		if (cls != 2) {
			smtp_client_fail_reply(c, r, SMTP_CLIENT_PH_EHLO);
			return;
		}
		c->esmtp = false;
		memset(&c->caps, 0, sizeof(c->caps));
		smtp_client_greeted(c);
		return;
	case ST_STARTTLS:
		if (cls == 2) {
			/* RFC 3207 4.2: discard what came with the 220. */
			buf_reset(&c->in);
			smtp_reply_parser_reset(&c->rp);
			c->state = ST_TLS_WAIT;
			smtp_client_event(c, SMTP_CLIENT_EV_START_TLS);
		} else if (c->tls_policy == SMTP_CLIENT_TLS_REQUIRE) {
			smtp_client_fail(c, 451, "4.7.4",
					 "TLS is required but STARTTLS was "
					 "refused",
					 true, SMTP_CLIENT_PH_STARTTLS, true);
		} else {
			/* RFC 3207 4.1: go on without TLS. */
			smtp_client_auth(c);
		}
		return;
	case ST_AUTH_LOGIN:
		if (cls == 3 && c->login_step < 2) {
			const char *v = c->login_step++ == 0 ? c->auth_user
							     : c->auth_pass;

			smtp_client_send_b64(c, "", v, strlen(v));
			return;
		}
		/* FALLTHROUGH */
	case ST_AUTH:
		if (cls == 2) {
			c->authed = true;
			smtp_client_ready(c);
		} else if (cls == 3) {
			/* The initial response was not taken: cancel
			   (RFC 4954 4). */
			smtp_client_cmd(c, "*");
			smtp_client_fail(c, 451, "4.7.0",
					 "Unexpected AUTH challenge", true,
					 SMTP_CLIENT_PH_AUTH, true);
		} else {
			smtp_client_fail_reply(c, r, SMTP_CLIENT_PH_AUTH);
		}
		return;
	case ST_TX:
		smtp_client_tx_reply(c, r);
		return;
	case ST_DOT:
		if (!c->empty_dot)
			smtp_client_resolve_open(c, r->code, r->enh, r->text,
						 false,
						 SMTP_CLIENT_PH_DATA_TERM);
		smtp_client_tx_done(c, false);
		return;
	case ST_RSET:
		if (cls != 2) {
			smtp_client_fail_reply(c, r, SMTP_CLIENT_PH_RSET);
			return;
		}
		smtp_client_ready(c);
		return;
	case ST_QUIT:
		c->state = ST_CLOSED;
		buf_reset(&c->in);
		smtp_client_event(c, SMTP_CLIENT_EV_CLOSED);
		return;
	case ST_READY:
	case ST_DATA:
	case ST_TLS_WAIT:
	case ST_CLOSED:
		break;
	}
	smtp_client_fail(c, 451, "4.5.0", "Unexpected reply from server",
			 true, smtp_client_phase(c), true);
}

int
smtp_client_next(struct smtp_client *c, enum smtp_client_event *ev)
{
	struct smtp_reply r;
	int rc;

	while (c->ev_n == 0) {
		if (c->state == ST_CLOSED || c->state == ST_TLS_WAIT)
			return 0;
		rc = smtp_reply_parse(&c->rp, &c->in, &r);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			char *t = arena_printf(c->tx, "Bad reply from server: %s",
					       c->rp.error);

			smtp_client_fail(c, 451, "4.5.0", t, true,
					 smtp_client_phase(c), true);
			break;
		}
		smtp_client_reply(c, &r);
	}
	*ev = c->events[c->ev_head];
	c->ev_head = (c->ev_head + 1) % SMTP_CLIENT_EVENTS;
	c->ev_n--;
	return 1;
}

void
smtp_client_abort(struct smtp_client *c, const char *reason)
{
	if (c->state == ST_CLOSED)
		return;
	if (c->state == ST_QUIT) {
		c->state = ST_CLOSED;
		smtp_client_event(c, SMTP_CLIENT_EV_CLOSED);
		return;
	}
	smtp_client_fail(c, 451, "4.4.2", reason, true, smtp_client_phase(c),
			 false);
}

/* ------------------------------------------------------------------ */
/* Queries                                                            */

const struct smtp_client_result *
smtp_client_result(const struct smtp_client *c, size_t i)
{
	ASSERT(i < c->msg.nrcpt);
	return &c->res[i];
}

const struct smtp_client_result *
smtp_client_failure(const struct smtp_client *c)
{
	return c->failed ? &c->failure : NULL;
}

const struct smtp_caps *
smtp_client_caps(const struct smtp_client *c)
{
	return &c->caps;
}

bool
smtp_client_esmtp(const struct smtp_client *c)
{
	return c->esmtp;
}

bool
smtp_client_tls_active(const struct smtp_client *c)
{
	return c->tls;
}

enum smtp_client_phase
smtp_client_phase(const struct smtp_client *c)
{
	switch (c->state) {
	case ST_GREETING:
		return SMTP_CLIENT_PH_GREETING;
	case ST_EHLO:
	case ST_HELO:
		return SMTP_CLIENT_PH_EHLO;
	case ST_STARTTLS:
		return SMTP_CLIENT_PH_STARTTLS;
	case ST_TLS_WAIT:
		return SMTP_CLIENT_PH_TLS_HANDSHAKE;
	case ST_AUTH:
	case ST_AUTH_LOGIN:
		return SMTP_CLIENT_PH_AUTH;
	case ST_READY:
		return SMTP_CLIENT_PH_IDLE;
	case ST_TX:
		if (c->pend_n == 0)
			return SMTP_CLIENT_PH_MAIL;
		switch (c->pend[c->pend_head].kind) {
		case PEND_MAIL:
			return SMTP_CLIENT_PH_MAIL;
		case PEND_RCPT:
			return SMTP_CLIENT_PH_RCPT;
		case PEND_DATA:
			return SMTP_CLIENT_PH_DATA_INIT;
		}
		return SMTP_CLIENT_PH_MAIL;
	case ST_DATA:
		return SMTP_CLIENT_PH_DATA_BLOCK;
	case ST_DOT:
		return SMTP_CLIENT_PH_DATA_TERM;
	case ST_RSET:
		return SMTP_CLIENT_PH_RSET;
	case ST_QUIT:
		return SMTP_CLIENT_PH_QUIT;
	case ST_CLOSED:
		break;
	}
	return SMTP_CLIENT_PH_CLOSED;
}

unsigned
smtp_client_timeout_ms(enum smtp_client_phase ph)
{
	switch (ph) {
	case SMTP_CLIENT_PH_GREETING:
		return SMTP_CLIENT_TIMEOUT_GREETING_MS;
	case SMTP_CLIENT_PH_MAIL:
		return SMTP_CLIENT_TIMEOUT_MAIL_MS;
	case SMTP_CLIENT_PH_RCPT:
		return SMTP_CLIENT_TIMEOUT_RCPT_MS;
	case SMTP_CLIENT_PH_DATA_INIT:
		return SMTP_CLIENT_TIMEOUT_DATA_INIT_MS;
	case SMTP_CLIENT_PH_DATA_BLOCK:
		return SMTP_CLIENT_TIMEOUT_DATA_BLOCK_MS;
	case SMTP_CLIENT_PH_DATA_TERM:
		return SMTP_CLIENT_TIMEOUT_DATA_TERM_MS;
	case SMTP_CLIENT_PH_EHLO:
	case SMTP_CLIENT_PH_STARTTLS:
	case SMTP_CLIENT_PH_AUTH:
	case SMTP_CLIENT_PH_RSET:
	case SMTP_CLIENT_PH_QUIT:
		return SMTP_CLIENT_TIMEOUT_CMD_MS;
	case SMTP_CLIENT_PH_TLS_HANDSHAKE:
	case SMTP_CLIENT_PH_IDLE:
	case SMTP_CLIENT_PH_CLOSED:
		break;
	}
	return 0;
}

/* auth_sasl.h: the server side of a SASL PLAIN (RFC 4616) or LOGIN
   exchange, without the protocol's framing: each protocol sends the
   challenges ("334 " in SMTP, "+ " in POP3 and IMAP) and reads the
   response lines; this says what comes next.  Pure: no I/O, no logging. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_AUTH_SASL_H
#define BUZON_AUTH_SASL_H

#include <stddef.h>

enum auth_sasl_mech {
	AUTH_SASL_NONE = 0, /* no exchange running */
	AUTH_SASL_PLAIN,
	AUTH_SASL_LOGIN,
};

/* One exchange; zero-initialized is "none running".  Owns user. */
struct auth_sasl {
	enum auth_sasl_mech mech;
	unsigned step;
	char *user; /* LOGIN: the user name of the first response */
};

enum auth_sasl_result {
	AUTH_SASL_CHALLENGE, /* send *challenge_r, then read one more line */
	AUTH_SASL_DONE,      /* *user_r and *pass_r are the credentials */
	AUTH_SASL_CANCEL,    /* the client sent "*" (RFC 4954 4, RFC 5034 4,
				RFC 9051 6.2.2) */
	AUTH_SASL_MALFORMED, /* bad base64, a NUL where none may be, a field
				too long or empty */
	AUTH_SASL_AUTHZID,   /* PLAIN asked to act as another user */
};

/* Begin an exchange with the mechanism named mech (either case).
   Returns 0, or -1 (x unchanged) when the mechanism is not offered. */
int auth_sasl_start(struct auth_sasl *x, const char *mech);
/* The challenge (base64 text, "" for none) to send when the client gave
   no initial response.  Static storage. */
const char *auth_sasl_first_challenge(const struct auth_sasl *x);
/* Feed one response line (len bytes, without CRLF; an initial response
   with "=" already turned into "").  On AUTH_SASL_CHALLENGE *challenge_r
   is static text to send.  On AUTH_SASL_DONE *user_r and *pass_r are
   malloc'd, owned by the caller (free the password with
   auth_secret_free()), and the exchange is over.  Every other result
   also ends it (auth_sasl_reset() done).  The line is only read: the
   caller wipes it. */
enum auth_sasl_result auth_sasl_step(struct auth_sasl *x, const char *line,
				     size_t len, const char **challenge_r,
				     char **user_r, char **pass_r);
/* End the exchange: wipe and free what it holds; x is "none running". */
void auth_sasl_reset(struct auth_sasl *x);

#endif

/* auth_login.h: checking a login (password or APOP digest) against the
   store on the worker pool, for every protocol that logs users in. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_AUTH_LOGIN_H
#define BUZON_AUTH_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;
struct store;

enum auth_login_result {
	AUTH_LOGIN_TEMPFAIL = -1, /* the store failed: try again later */
	AUTH_LOGIN_BAD = 0,       /* unknown user or wrong credentials */
	AUTH_LOGIN_OK = 1,
};

/* Runs on the loop thread once the check is over.  address is the
   normalized login name (lowercased, domain added), valid only during the
   call; account_id is set for AUTH_LOGIN_OK. */
typedef void auth_login_done_fn(void *arg, enum auth_login_result result,
				int64_t account_id, const char *address);

/* Check user/secret off the loop (the password hash is slow by design,
   and SQLite may block).  user is a login name: without '@' the
   default_domain is appended; it is lowercased.  With apop_timestamp
   NULL, secret is the password (checked with auth_verify_password, and an
   unknown user costs the same time); else secret is the APOP digest
   (RFC 1939 7) of apop_timestamp and the account's APOP secret, and an
   account without one never matches.  Takes ownership of user and secret
   (the secret is wiped before it is freed); apop_timestamp is copied.
   done(arg, ...) runs exactly once, on the loop thread of pool. */
void auth_login_check(struct pool *pool, struct store *store,
		      const char *default_domain, char *user, char *secret,
		      const char *apop_timestamp, auth_login_done_fn *done,
		      void *arg);

/* Wipe and free a secret string (password, SASL response) and set *p =
   NULL; NULL is ignored. */
void auth_secret_free(char **p);

/* RFC 1939 7: does digest (hex, either case) equal MD5(timestamp ||
   secret)?  The comparison takes the same time wherever they differ.
   False for a NULL or empty secret or a digest that is not 32 hex
   digits.  Pure, thread-safe. */
bool auth_apop_verify(const char *timestamp, const char *secret,
		      const char *digest);

#endif

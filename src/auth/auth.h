/* auth.h: password hashing and verification, SASL PLAIN decoding, and
   throttling of failed logins per client address. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_AUTH_H
#define BUZON_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct auth_limiter;
struct ev;

/* Hash password with yescrypt (libcrypt's crypt_gensalt_ra("$y$") and
   crypt_ra).  Returns a malloc'd crypt(3) string owned by the caller, or
   NULL if password is NULL, longer than AUTH_PASSWORD_MAX or hashing
   failed.  Thread-safe. */
char *auth_hash_password(const char *password);

/* Check password against a stored crypt(3) hash.  Accepted schemes:
   yescrypt ($y$), bcrypt ($2a$, $2b$, $2y$) and SHA-512-crypt ($6$); any
   other hash, and NULL, "", "*" or "!"-prefixed (locked) hashes, never
   match.  The comparison of the computed and stored hash takes the same
   time wherever they differ.  Thread-safe (crypt_ra, no shared state). */
bool auth_verify_password(const char *hash, const char *password);

/* SASL PLAIN (RFC 4616 2): b64 (len bytes, not NUL-terminated) is the
   strict base64 of  [authzid] NUL authcid NUL passwd.  On success returns
   0 and sets *authzid ("" when absent), *authcid and *passwd to malloc'd
   NUL-terminated strings owned by the caller (explicit_bzero the password
   before free).  Returns -1 (outputs set to NULL) for invalid base64, a
   wrong number of NULs, an empty authcid or passwd, or a field longer
   than AUTH_USER_MAX (authzid, authcid) or AUTH_PASSWORD_MAX (passwd).
   Pure: no I/O, no logging. */
int auth_sasl_plain_decode(const char *b64, size_t len, char **authzid,
			   char **authcid, char **passwd);

/* One SASL response line (RFC 4954 4, RFC 5034 4: strict base64, len
   bytes) decoded into a malloc'd NUL-terminated string owned by the
   caller (explicit_bzero it if it is a password).  Returns NULL for
   invalid base64, a decoded NUL, or more than max decoded bytes.  Pure. */
char *auth_sasl_b64_string(const char *line, size_t len, size_t max);

/* Failed-login throttling.  Tracks at most AUTH_FAIL_TRACK_MAX client
   addresses (the one whose last failure is oldest is evicted first); an
   address quiet for AUTH_FAIL_FORGET_MS is forgotten.  Loop thread only.
   auth_limiter_new() never fails; free with auth_limiter_free(), which
   sets *lp = NULL (NULL is ignored). */
struct auth_limiter *auth_limiter_new(void);
void auth_limiter_free(struct auth_limiter **lp);
/* Record a failed login from ip (a textual address; only its first
   AUTH_IP_KEY_MAX - 1 bytes are significant) at monotonic time now_ms.
   Returns the delay in ms before the failure reply may be sent:
   AUTH_FAIL_DELAY_MS for the first failure, doubling with each
   consecutive one, capped at AUTH_FAIL_DELAY_MAX_MS. */
uint64_t auth_limiter_fail(struct auth_limiter *l, const char *ip,
			   uint64_t now_ms);
/* A failed login from ip, answered after the delay: auth_limiter_fail()
   at ev's clock, and a timer on ev that calls fn(ev, arg) once that
   delay is over.  Returns the timer's id (for ev_del_timer).  Loop
   thread only. */
uint64_t auth_limiter_fail_timer(struct auth_limiter *l, struct ev *ev,
				 const char *ip,
				 void (*fn)(struct ev *ev, void *arg),
				 void *arg);
/* A successful login from ip: forget its failures. */
void auth_limiter_success(struct auth_limiter *l, const char *ip);

#endif

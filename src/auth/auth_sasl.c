/* auth_sasl.c: SASL PLAIN message decoding (RFC 4616) and the server side
   of PLAIN and LOGIN exchanges. */
/* SPDX-License-Identifier: MIT */
#include "auth/auth_sasl.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "auth/auth.h"
#include "auth/auth_login.h"
#include "base64.h"
#include "limits.h"
#include "xalloc.h"

/* The longest message we accept: authzid NUL authcid NUL passwd. */
#define AUTH_PLAIN_MAX (2 * AUTH_USER_MAX + AUTH_PASSWORD_MAX + 2)

int
auth_sasl_plain_decode(const char *b64, size_t len, char **authzid,
		       char **authcid, char **passwd)
{
	uint8_t *raw;
	const uint8_t *nul1, *nul2, *end;
	ssize_t n;
	size_t zlen, clen, plen;
	int rc = -1;

	*authzid = *authcid = *passwd = NULL;
	if (len == 0 || len > BASE64_ENCODED_LEN(AUTH_PLAIN_MAX))
		return -1;
	raw = xmalloc(BASE64_DECODED_MAX(len));
	n = base64_decode(b64, len, raw);
	if (n < 0)
		goto out;
	end = raw + n;
	/* RFC 4616 2: message = [authzid] UTF8NUL authcid UTF8NUL passwd;
	   no field may contain NUL, so exactly two NULs are present. */
	nul1 = memchr(raw, '\0', (size_t)n);
	if (nul1 == NULL)
		goto out;
	nul2 = memchr(nul1 + 1, '\0', (size_t)(end - nul1 - 1));
	if (nul2 == NULL || memchr(nul2 + 1, '\0', (size_t)(end - nul2 - 1)))
		goto out;
	zlen = (size_t)(nul1 - raw);
	clen = (size_t)(nul2 - nul1 - 1);
	plen = (size_t)(end - nul2 - 1);
	/* authcid and passwd are 1*SAFE: neither may be empty. */
	if (clen == 0 || plen == 0 || zlen > AUTH_USER_MAX ||
	    clen > AUTH_USER_MAX || plen > AUTH_PASSWORD_MAX)
		goto out;
	*authzid = xstrndup((const char *)raw, zlen);
	*authcid = xstrndup((const char *)nul1 + 1, clen);
	*passwd = xstrndup((const char *)nul2 + 1, plen);
	rc = 0;
out:
	explicit_bzero(raw, BASE64_DECODED_MAX(len));
	free(raw);
	return rc;
}

char *
auth_sasl_b64_string(const char *line, size_t len, size_t max)
{
	uint8_t *out;
	ssize_t n;

	if (len > BASE64_ENCODED_LEN(max))
		return NULL;
	out = xmalloc(BASE64_DECODED_MAX(len) + 1);
	n = base64_decode(line, len, out);
	if (n < 0 || (size_t)n > max || memchr(out, '\0', (size_t)n) != NULL) {
		explicit_bzero(out, BASE64_DECODED_MAX(len) + 1);
		free(out);
		return NULL;
	}
	out[n] = '\0';
	return (char *)out;
}

int
auth_sasl_start(struct auth_sasl *x, const char *mech)
{
	enum auth_sasl_mech m;

	if (strcasecmp(mech, "PLAIN") == 0)
		m = AUTH_SASL_PLAIN;
	else if (strcasecmp(mech, "LOGIN") == 0)
		m = AUTH_SASL_LOGIN;
	else
		return -1;
	auth_sasl_reset(x);
	x->mech = m;
	return 0;
}

const char *
auth_sasl_first_challenge(const struct auth_sasl *x)
{
	/* PLAIN: an empty challenge; LOGIN: "Username:". */
	return x->mech == AUTH_SASL_PLAIN ? "" : "VXNlcm5hbWU6";
}

void
auth_sasl_reset(struct auth_sasl *x)
{
	auth_secret_free(&x->user);
	x->mech = AUTH_SASL_NONE;
	x->step = 0;
}

static enum auth_sasl_result
auth_sasl_plain_step(struct auth_sasl *x, const char *line, size_t len,
		     char **user_r, char **pass_r)
{
	char *authzid, *authcid, *passwd;

	auth_sasl_reset(x);
	if (auth_sasl_plain_decode(line, len, &authzid, &authcid, &passwd) < 0)
		return AUTH_SASL_MALFORMED;
	/* No acting as another user: authzid empty or the same. */
	if (authzid[0] != '\0' && strcasecmp(authzid, authcid) != 0) {
		free(authzid);
		free(authcid);
		auth_secret_free(&passwd);
		return AUTH_SASL_AUTHZID;
	}
	free(authzid);
	*user_r = authcid;
	*pass_r = passwd;
	return AUTH_SASL_DONE;
}

enum auth_sasl_result
auth_sasl_step(struct auth_sasl *x, const char *line, size_t len,
	       const char **challenge_r, char **user_r, char **pass_r)
{
	char *v;

	*challenge_r = NULL;
	*user_r = *pass_r = NULL;
	if (len == 1 && line[0] == '*') {
		auth_sasl_reset(x);
		return AUTH_SASL_CANCEL;
	}
	if (x->mech == AUTH_SASL_PLAIN)
		return auth_sasl_plain_step(x, line, len, user_r, pass_r);
	/* LOGIN: the user name, then the password, each base64. */
	v = auth_sasl_b64_string(
	    line, len, x->step == 0 ? AUTH_USER_MAX : AUTH_PASSWORD_MAX);
	if (v == NULL) {
		auth_sasl_reset(x);
		return AUTH_SASL_MALFORMED;
	}
	if (x->step == 0) {
		x->user = v;
		x->step = 1;
		*challenge_r = "UGFzc3dvcmQ6"; /* "Password:" */
		return AUTH_SASL_CHALLENGE;
	}
	if (x->user[0] == '\0') {
		auth_secret_free(&v);
		auth_sasl_reset(x);
		return AUTH_SASL_MALFORMED;
	}
	*user_r = x->user;
	*pass_r = v;
	x->user = NULL;
	auth_sasl_reset(x);
	return AUTH_SASL_DONE;
}

/* auth_sasl.c: SASL PLAIN message decoding (RFC 4616). */
/* SPDX-License-Identifier: MIT */
#include "auth/auth.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

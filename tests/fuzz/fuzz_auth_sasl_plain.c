/* fuzz_auth_sasl_plain.c: fuzz target for SASL PLAIN decoding. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "auth/auth.h"
#include "base64.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *z, *c, *p, *raw, *b64;
	size_t zl, cl, pl, n;

	if (auth_sasl_plain_decode((const char *)data, size, &z, &c, &p) < 0) {
		if (z != NULL || c != NULL || p != NULL)
			abort();
		return 0;
	}
	zl = strlen(z);
	cl = strlen(c);
	pl = strlen(p);
	if (zl > AUTH_USER_MAX || cl == 0 || cl > AUTH_USER_MAX || pl == 0 ||
	    pl > AUTH_PASSWORD_MAX)
		abort();
	/* Strict base64 has one spelling: re-encoding gives the input. */
	raw = malloc(zl + cl + pl + 2);
	memcpy(raw, z, zl + 1);
	memcpy(raw + zl + 1, c, cl + 1);
	memcpy(raw + zl + cl + 2, p, pl);
	b64 = malloc(BASE64_ENCODED_LEN(zl + cl + pl + 2) + 1);
	n = base64_encode(raw, zl + cl + pl + 2, b64);
	if (n != size || memcmp(b64, data, n) != 0)
		abort();
	free(raw);
	free(b64);
	free(z);
	free(c);
	free(p);
	return 0;
}

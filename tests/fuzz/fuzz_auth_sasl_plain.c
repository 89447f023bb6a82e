/* fuzz_auth_sasl_plain.c: fuzz target for SASL PLAIN decoding and the
   PLAIN/LOGIN exchange state machine (the input's lines as responses). */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "auth/auth.h"
#include "auth/auth_login.h"
#include "auth/auth_sasl.h"
#include "base64.h"
#include "limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Run one exchange of mech over the '\n'-separated lines of data. */
static void
exchange(const char *mech, const uint8_t *data, size_t size)
{
	struct auth_sasl x = {0};
	const uint8_t *p = data, *end = data + size;

	if (auth_sasl_start(&x, mech) < 0)
		abort();
	while (p <= end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		const char *ch;
		char *u, *pw;
		enum auth_sasl_result r =
		    auth_sasl_step(&x, (const char *)p, len, &ch, &u, &pw);

		if ((r == AUTH_SASL_CHALLENGE) != (ch != NULL) ||
		    (r == AUTH_SASL_DONE) != (u != NULL && pw != NULL) ||
		    (r != AUTH_SASL_DONE && (u != NULL || pw != NULL)))
			abort();
		if (r == AUTH_SASL_DONE &&
		    (u[0] == '\0' || strlen(u) > AUTH_USER_MAX ||
		     strlen(pw) > AUTH_PASSWORD_MAX))
			abort();
		free(u);
		auth_secret_free(&pw);
		if (r != AUTH_SASL_CHALLENGE) {
			/* every other result ends the exchange */
			if (x.mech != AUTH_SASL_NONE || x.user != NULL)
				abort();
			return;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	auth_sasl_reset(&x);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *z, *c, *p, *raw, *b64;
	size_t zl, cl, pl, n;

	exchange("PLAIN", data, size);
	exchange("LOGIN", data, size);
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

/* auth.c: crypt(3) password hashing (yescrypt) and verification. */
/* SPDX-License-Identifier: MIT */
#include "auth/auth.h"
#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include "limits.h"
#include "xalloc.h"

/* Hash schemes accepted for verification: yescrypt is what we write;
   bcrypt and SHA-512-crypt are read for migrations from other servers. */
static const char *const auth_schemes[] = {"$y$", "$2a$", "$2b$", "$2y$",
					   "$6$"};

static bool
auth_scheme_ok(const char *hash)
{
	size_t i;

	for (i = 0; i < sizeof(auth_schemes) / sizeof(auth_schemes[0]); i++)
		if (strncmp(hash, auth_schemes[i], strlen(auth_schemes[i])) ==
		    0)
			return true;
	return false;
}

/* crypt_ra() with its scratch area wiped and freed; returns a copy of
   the result or NULL ("*"-prefixed results are libxcrypt's failure
   tokens). */
static char *
auth_crypt(const char *password, const char *setting)
{
	void *data = NULL;
	int size = 0;
	char *out, *res = NULL;

	out = crypt_ra(password, setting, &data, &size);
	if (out != NULL && out[0] != '*')
		res = xstrdup(out);
	if (data != NULL) {
		explicit_bzero(data, (size_t)size);
		free(data);
	}
	return res;
}

char *
auth_hash_password(const char *password)
{
	char *setting, *hash;

	if (password == NULL || strlen(password) > AUTH_PASSWORD_MAX)
		return NULL;
	/* count 0 = libcrypt's default cost; NULL rbytes = its own entropy */
	setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (setting == NULL)
		return NULL;
	hash = auth_crypt(password, setting);
	free(setting);
	return hash;
}

/* Compare without an early exit, so timing does not reveal where the
   two strings first differ. */
static bool
auth_equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i;
	unsigned char diff = la != lb;

	for (i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool
auth_verify_password(const char *hash, const char *password)
{
	char *calc;
	bool ok;

	if (hash == NULL || password == NULL || hash[0] == '\0' ||
	    hash[0] == '*' || hash[0] == '!' || !auth_scheme_ok(hash) ||
	    strlen(password) > AUTH_PASSWORD_MAX)
		return false;
	calc = auth_crypt(password, hash);
	if (calc == NULL)
		return false;
	ok = auth_equal_ct(calc, hash);
	explicit_bzero(calc, strlen(calc));
	free(calc);
	return ok;
}

/* test_auth.c: unit tests of password hashing, SASL PLAIN decoding and
   the failed-login limiter. */
/* SPDX-License-Identifier: MIT */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "auth/auth.h"
#include "base64.h"
#include "limits.h"
#include "test.h"

/* A crypt(3) hash of password in the scheme of prefix, or NULL. */
static char *
hash_with(const char *prefix, unsigned long cost, const char *password)
{
	char *setting = crypt_gensalt_ra(prefix, cost, NULL, 0), *out = NULL;
	void *data = NULL;
	int size = 0;
	const char *h;

	if (setting == NULL)
		return NULL;
	h = crypt_ra(password, setting, &data, &size);
	if (h != NULL && h[0] != '*')
		out = strdup(h);
	free(data);
	free(setting);
	return out;
}

static void
test_auth_hash(void)
{
	char *h, *h2, big[AUTH_PASSWORD_MAX + 2];

	test_begin("hash: yescrypt round trip");
	h = auth_hash_password("correct horse");
	TEST_ASSERT(h != NULL);
	TEST_ASSERT(h != NULL && strncmp(h, "$y$", 3) == 0);
	TEST_ASSERT(auth_verify_password(h, "correct horse"));
	TEST_ASSERT(!auth_verify_password(h, "correct horsE"));
	TEST_ASSERT(!auth_verify_password(h, "correct hors"));
	TEST_ASSERT(!auth_verify_password(h, ""));
	TEST_ASSERT(!auth_verify_password(h, NULL));

	test_begin("hash: fresh salt every time");
	h2 = auth_hash_password("correct horse");
	TEST_ASSERT(h2 != NULL && strcmp(h, h2) != 0);
	TEST_ASSERT(auth_verify_password(h2, "correct horse"));
	free(h);
	free(h2);

	test_begin("hash: empty and over-long passwords");
	h = auth_hash_password("");
	TEST_ASSERT(h != NULL);
	TEST_ASSERT(auth_verify_password(h, ""));
	TEST_ASSERT(!auth_verify_password(h, "x"));
	free(h);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	TEST_ASSERT(auth_hash_password(big) == NULL);
	TEST_ASSERT(auth_hash_password(NULL) == NULL);
}

static void
test_auth_verify_schemes(void)
{
	static const struct {
		const char *prefix;
		unsigned long cost;
		bool accepted;
	} cases[] = {
	    {"$6$", 0, true}, {"$2b$", 4, true}, {"$2y$", 4, true},
	    {"$y$", 0, true}, {"$1$", 0, false}, {"$5$", 0, false},
	};
	size_t i;
	char *h;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_begin(cases[i].prefix);
		h = hash_with(cases[i].prefix, cases[i].cost, "pässwörd");
		TEST_ASSERT(h != NULL);
		if (h == NULL)
			continue;
		TEST_ASSERT(auth_verify_password(h, "pässwörd") ==
			    cases[i].accepted);
		TEST_ASSERT(!auth_verify_password(h, "passwort"));
		free(h);
	}

	test_begin("verify: locked and empty hashes never match");
	TEST_ASSERT(!auth_verify_password(NULL, "x"));
	TEST_ASSERT(!auth_verify_password("", ""));
	TEST_ASSERT(!auth_verify_password("*", "*"));
	TEST_ASSERT(!auth_verify_password("!", "!"));
	h = hash_with("$6$", 0, "pw");
	TEST_ASSERT(h != NULL);
	if (h != NULL) {
		char *locked = malloc(strlen(h) + 2);

		locked[0] = '!';
		strcpy(locked + 1, h);
		TEST_ASSERT(auth_verify_password(h, "pw"));
		TEST_ASSERT(!auth_verify_password(locked, "pw"));
		/* A truncated hash is a different setting: no match. */
		h[strlen(h) - 1] = '\0';
		TEST_ASSERT(!auth_verify_password(h, "pw"));
		free(locked);
		free(h);
	}
	TEST_ASSERT(!auth_verify_password("$y$garbage", "pw"));
}

/* ---- SASL PLAIN ---- */

struct plain_case {
	const char *name;
	const char *raw; /* NULL: b64 below is used as given */
	size_t raw_len;
	const char *b64;
	int rc;
	const char *authzid, *authcid, *passwd;
};

#define RAW(s) s, sizeof(s) - 1, NULL

static const struct plain_case plain_cases[] = {
    {"no authzid", RAW("\0tim\0tanstaaftanstaaf"), 0, "", "tim",
     "tanstaaftanstaaf"},
    {"authzid", RAW("Ursel\0Kurt\0xipj3plmq"), 0, "Ursel", "Kurt", "xipj3plmq"},
    {"utf-8 and spaces kept", RAW("\0j\xc3\xb6rg\0p w d "), 0, "",
     "j\xc3\xb6rg", "p w d "},
    {"empty authcid", RAW("\0\0pw"), -1, NULL, NULL, NULL},
    {"empty password", RAW("\0user\0"), -1, NULL, NULL, NULL},
    {"one NUL", RAW("user\0pw"), -1, NULL, NULL, NULL},
    {"no NUL", RAW("userpw"), -1, NULL, NULL, NULL},
    {"three NULs", RAW("a\0user\0pw\0"), -1, NULL, NULL, NULL},
    {"NUL in password", RAW("\0user\0p\0w"), -1, NULL, NULL, NULL},
    {"bad base64", NULL, 0, "AHRpbQB0YW5z*GFhZg==", -1, NULL, NULL, NULL},
    {"unpadded", NULL, 0, "AHRpbQB0aW0", -1, NULL, NULL, NULL},
    {"whitespace", NULL, 0, "AHRpbQB0 aW0=", -1, NULL, NULL, NULL},
    {"empty", NULL, 0, "", -1, NULL, NULL, NULL},
    {"padding only", NULL, 0, "====", -1, NULL, NULL, NULL},
};

static void
check_plain(const char *name, const char *b64, size_t len, int want_rc,
	    const char *z, const char *c, const char *p)
{
	char *az = (char *)1, *ac = (char *)1, *pw = (char *)1;
	int rc = auth_sasl_plain_decode(b64, len, &az, &ac, &pw);

	test_begin(name);
	TEST_ASSERT_INTEQ(rc, want_rc);
	if (rc == 0) {
		TEST_ASSERT_STREQ(az, z);
		TEST_ASSERT_STREQ(ac, c);
		TEST_ASSERT_STREQ(pw, p);
	} else {
		TEST_ASSERT(az == NULL && ac == NULL && pw == NULL);
	}
	free(az);
	free(ac);
	if (pw != NULL)
		explicit_bzero(pw, strlen(pw));
	free(pw);
}

static void
test_auth_sasl_plain(void)
{
	char b64[BASE64_ENCODED_LEN(4 * AUTH_PASSWORD_MAX) + 1];
	char raw[4 * AUTH_PASSWORD_MAX];
	size_t i, n;

	for (i = 0; i < sizeof(plain_cases) / sizeof(plain_cases[0]); i++) {
		const struct plain_case *c = &plain_cases[i];

		if (c->raw != NULL)
			n = base64_encode(c->raw, c->raw_len, b64);
		else
			n = strlen(strcpy(b64, c->b64));
		check_plain(c->name, b64, n, c->rc, c->authzid, c->authcid,
			    c->passwd);
	}

	/* Length limits: exactly at the limit passes, one more fails. */
	memset(raw, 'u', sizeof(raw));
	raw[0] = '\0';
	raw[1 + AUTH_USER_MAX] = '\0';
	n = base64_encode(raw, 2 + AUTH_USER_MAX + AUTH_PASSWORD_MAX, b64);
	{
		char *az, *ac, *pw;

		test_begin("limits: authcid and password at maximum");
		TEST_ASSERT_INTEQ(auth_sasl_plain_decode(b64, n, &az, &ac, &pw),
				  0);
		TEST_ASSERT_INTEQ(ac ? strlen(ac) : 0, AUTH_USER_MAX);
		TEST_ASSERT_INTEQ(pw ? strlen(pw) : 0, AUTH_PASSWORD_MAX);
		free(az);
		free(ac);
		free(pw);
	}
	n = base64_encode(raw, 2 + AUTH_USER_MAX + AUTH_PASSWORD_MAX + 1, b64);
	check_plain("limits: password one too long", b64, n, -1, NULL, NULL,
		    NULL);
	memset(raw, 'u', sizeof(raw));
	raw[0] = '\0';
	raw[2 + AUTH_USER_MAX] = '\0';
	n = base64_encode(raw, 3 + AUTH_USER_MAX + 3, b64);
	check_plain("limits: authcid one too long", b64, n, -1, NULL, NULL,
		    NULL);
	memset(raw, 'u', sizeof(raw));
	raw[AUTH_USER_MAX + 1] = '\0';
	raw[AUTH_USER_MAX + 3] = '\0';
	n = base64_encode(raw, AUTH_USER_MAX + 5, b64);
	check_plain("limits: authzid one too long", b64, n, -1, NULL, NULL,
		    NULL);
	n = base64_encode(raw, sizeof(raw), b64);
	check_plain("limits: whole message far too long", b64, n, -1, NULL,
		    NULL, NULL);

	/* The decoder reads only len bytes: a valid prefix of a longer
	   buffer decodes on its own. */
	n = base64_encode("\0tim\0pw", 7, b64);
	strcpy(b64 + n, "!!!!");
	check_plain("only len bytes are read", b64, n, 0, "", "tim", "pw");
}

/* ---- limiter ---- */

static void
test_auth_limiter(void)
{
	struct auth_limiter *l = auth_limiter_new();
	uint64_t want = AUTH_FAIL_DELAY_MS, t = 1000;
	char ip[64];
	int i;

	test_begin("limiter: delay doubles, then is capped");
	for (i = 0; i < 12; i++) {
		TEST_ASSERT_INTEQ(auth_limiter_fail(l, "192.0.2.1", t + i),
				  want);
		want = want * 2 > AUTH_FAIL_DELAY_MAX_MS
			   ? AUTH_FAIL_DELAY_MAX_MS
			   : want * 2;
	}
	for (i = 0; i < 100; i++)
		auth_limiter_fail(l, "192.0.2.1", t + 20);
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "192.0.2.1", t + 20),
			  AUTH_FAIL_DELAY_MAX_MS);

	test_begin("limiter: addresses are independent");
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "2001:db8::1", t),
			  AUTH_FAIL_DELAY_MS);
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "2001:db8::1", t),
			  2 * AUTH_FAIL_DELAY_MS);

	test_begin("limiter: success resets");
	auth_limiter_success(l, "192.0.2.1");
	auth_limiter_success(l, "198.51.100.9"); /* unknown: no effect */
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "192.0.2.1", t + 30),
			  AUTH_FAIL_DELAY_MS);
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "2001:db8::1", t + 30),
			  4 * AUTH_FAIL_DELAY_MS);

	test_begin("limiter: forgotten after a quiet period");
	t += 30;
	TEST_ASSERT_INTEQ(
	    auth_limiter_fail(l, "2001:db8::1", t + AUTH_FAIL_FORGET_MS - 1),
	    8 * AUTH_FAIL_DELAY_MS);
	TEST_ASSERT_INTEQ(
	    auth_limiter_fail(l, "192.0.2.1", t + AUTH_FAIL_FORGET_MS),
	    AUTH_FAIL_DELAY_MS);
	auth_limiter_free(&l);
	TEST_ASSERT(l == NULL);
	auth_limiter_free(&l);

	test_begin("limiter: the oldest address is evicted when full");
	l = auth_limiter_new();
	for (i = 0; i < AUTH_FAIL_TRACK_MAX; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 256, i % 256);
		auth_limiter_fail(l, ip, (uint64_t)i);
		auth_limiter_fail(l, ip, (uint64_t)i);
	}
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "10.0.0.1", 5000),
			  4 * AUTH_FAIL_DELAY_MS); /* refreshed: now newest */
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "203.0.113.5", 5000),
			  AUTH_FAIL_DELAY_MS); /* evicts 10.0.0.0 */
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "10.0.0.2", 5000),
			  4 * AUTH_FAIL_DELAY_MS);
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "10.0.0.0", 5000),
			  AUTH_FAIL_DELAY_MS); /* was evicted; evicts .3 */
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "10.0.0.3", 5000),
			  AUTH_FAIL_DELAY_MS);
	TEST_ASSERT_INTEQ(auth_limiter_fail(l, "10.0.15.255", 5000),
			  4 * AUTH_FAIL_DELAY_MS);

	test_begin("limiter: long keys are truncated, not overflowed");
	{
		char lip[AUTH_IP_KEY_MAX + 40];

		memset(lip, 'a', sizeof(lip) - 1);
		lip[sizeof(lip) - 1] = '\0';
		TEST_ASSERT_INTEQ(auth_limiter_fail(l, lip, 6000),
				  AUTH_FAIL_DELAY_MS);
		lip[AUTH_IP_KEY_MAX + 10] = 'b'; /* beyond the key */
		TEST_ASSERT_INTEQ(auth_limiter_fail(l, lip, 6000),
				  2 * AUTH_FAIL_DELAY_MS);
		lip[AUTH_IP_KEY_MAX - 2] = 'b'; /* inside the key */
		TEST_ASSERT_INTEQ(auth_limiter_fail(l, lip, 6000),
				  AUTH_FAIL_DELAY_MS);
	}
	auth_limiter_free(&l);
}

TEST_MAIN(test_auth_hash, test_auth_verify_schemes, test_auth_sasl_plain,
	  test_auth_limiter)

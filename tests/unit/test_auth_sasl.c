/* test_auth_sasl.c: the SASL PLAIN/LOGIN exchange state machine shared
   by SMTP, POP3 and IMAP: each table row is one exchange, line by line. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "auth/auth_login.h"
#include "auth/auth_sasl.h"
#include "base64.h"
#include "limits.h"
#include "test.h"

#define C AUTH_SASL_CHALLENGE
#define D AUTH_SASL_DONE
#define X AUTH_SASL_CANCEL
#define M AUTH_SASL_MALFORMED
#define Z AUTH_SASL_AUTHZID

struct sasl_case {
	const char *name;
	const char *mech;
	const char *lines[4];             /* NULL-terminated */
	enum auth_sasl_result results[4]; /* one per line */
	const char *challenges[4];        /* for C results */
	const char *user, *pass;          /* for a final D */
};

static const struct sasl_case sasl_cases[] = {
    /* PLAIN: "\0tim\0tanstaaftanstaaf" (RFC 4616 4) */
    {"plain", "PLAIN", {"AHRpbQB0YW5zdGFhZnRhbnN0YWFm"}, {D}, {NULL},
     "tim", "tanstaaftanstaaf"},
    {"plain: lower-case name, same authzid", "plain",
     {"VGltAHRpbQBzZWNyZXQ="}, {D}, {NULL}, "tim", "secret"},
    {"plain: authzid of another user", "PLAIN",
     {"Sm9lAHRpbQBzZWNyZXQ="}, {Z}, {NULL}, NULL, NULL},
    {"plain: empty response", "PLAIN", {""}, {M}, {NULL}, NULL, NULL},
    {"plain: bad base64", "PLAIN", {"AHRpbQ*0"}, {M}, {NULL}, NULL, NULL},
    {"plain: no password", "PLAIN", {"AHRpbQA="}, {M}, {NULL}, NULL, NULL},
    {"plain: cancelled", "PLAIN", {"*"}, {X}, {NULL}, NULL, NULL},
    {"login", "LOGIN", {"dGlt", "c2VjcmV0"}, {C, D},
     {"UGFzc3dvcmQ6"}, "tim", "secret"},
    {"login: password with spaces", "Login", {"dGlt", "YSBiIGM="}, {C, D},
     {"UGFzc3dvcmQ6"}, "tim", "a b c"},
    {"login: cancelled at the user", "LOGIN", {"*"}, {X}, {NULL}, NULL,
     NULL},
    {"login: cancelled at the password", "LOGIN", {"dGlt", "*"}, {C, X},
     {"UGFzc3dvcmQ6"}, NULL, NULL},
    {"login: bad user base64", "LOGIN", {"dGl"}, {M}, {NULL}, NULL, NULL},
    {"login: NUL in the user", "LOGIN", {"dABt"}, {M}, {NULL}, NULL, NULL},
    {"login: bad password base64", "LOGIN", {"dGlt", "c2Vj!"}, {C, M},
     {"UGFzc3dvcmQ6"}, NULL, NULL},
    {"login: empty user is refused after the password", "LOGIN",
     {"", "c2VjcmV0"}, {C, M}, {"UGFzc3dvcmQ6"}, NULL, NULL},
    {"login: empty password is passed on", "LOGIN", {"dGlt", ""}, {C, D},
     {"UGFzc3dvcmQ6"}, "tim", ""},
};

static void
run_case(const struct sasl_case *c)
{
	struct auth_sasl x = {0};
	size_t i;

	test_begin(c->name);
	TEST_ASSERT_INTEQ(auth_sasl_start(&x, c->mech), 0);
	TEST_ASSERT_STREQ(auth_sasl_first_challenge(&x),
			  strcasecmp(c->mech, "PLAIN") == 0 ? ""
							     : "VXNlcm5hbWU6");
	for (i = 0; c->lines[i] != NULL; i++) {
		const char *ch = "x";
		char *user = (char *)1, *pass = (char *)1;
		enum auth_sasl_result r =
		    auth_sasl_step(&x, c->lines[i], strlen(c->lines[i]), &ch,
				   &user, &pass);

		TEST_ASSERT_INTEQ(r, c->results[i]);
		if (r == AUTH_SASL_CHALLENGE)
			TEST_ASSERT_STREQ(ch, c->challenges[i]);
		else
			TEST_ASSERT(ch == NULL);
		if (r == AUTH_SASL_DONE) {
			TEST_ASSERT_STREQ(user, c->user);
			TEST_ASSERT_STREQ(pass, c->pass);
			free(user);
			auth_secret_free(&pass);
		} else {
			TEST_ASSERT(user == NULL && pass == NULL);
		}
		if (r != AUTH_SASL_CHALLENGE) {
			/* every other result ends the exchange */
			TEST_ASSERT_INTEQ(x.mech, AUTH_SASL_NONE);
			TEST_ASSERT(x.user == NULL);
			TEST_ASSERT(c->lines[i + 1] == NULL);
		}
	}
	auth_sasl_reset(&x);
}

static void
test_auth_sasl_table(void)
{
	size_t i;

	for (i = 0; i < sizeof(sasl_cases) / sizeof(sasl_cases[0]); i++)
		run_case(&sasl_cases[i]);
}

static void
test_auth_sasl_start(void)
{
	struct auth_sasl x = {0};

	test_begin("start: unknown mechanisms leave the state alone");
	TEST_ASSERT_INTEQ(auth_sasl_start(&x, "CRAM-MD5"), -1);
	TEST_ASSERT_INTEQ(auth_sasl_start(&x, "PLAINX"), -1);
	TEST_ASSERT_INTEQ(auth_sasl_start(&x, ""), -1);
	TEST_ASSERT_INTEQ(x.mech, AUTH_SASL_NONE);

	test_begin("start: a new exchange drops a half-done one");
	{
		const char *ch;
		char *u, *p;

		TEST_ASSERT_INTEQ(auth_sasl_start(&x, "LOGIN"), 0);
		TEST_ASSERT_INTEQ(auth_sasl_step(&x, "dGlt", 4, &ch, &u, &p),
				  AUTH_SASL_CHALLENGE);
		TEST_ASSERT(x.user != NULL);
		TEST_ASSERT_INTEQ(auth_sasl_start(&x, "PLAIN"), 0);
		TEST_ASSERT(x.user == NULL);
		TEST_ASSERT_INTEQ(x.step, 0);
		TEST_ASSERT_INTEQ(x.mech, AUTH_SASL_PLAIN);
	}
	test_begin("reset: twice is harmless");
	auth_sasl_reset(&x);
	auth_sasl_reset(&x);
	TEST_ASSERT_INTEQ(x.mech, AUTH_SASL_NONE);
}

static void
test_auth_sasl_limits(void)
{
	char raw[AUTH_PASSWORD_MAX + 2];
	char b64[BASE64_ENCODED_LEN(sizeof(raw)) + 1];
	struct auth_sasl x = {0};
	const char *ch;
	char *u, *p;
	size_t n;

	test_begin("limits: LOGIN user at AUTH_USER_MAX, one more refused");
	memset(raw, 'u', sizeof(raw));
	n = base64_encode(raw, AUTH_USER_MAX, b64);
	auth_sasl_start(&x, "LOGIN");
	TEST_ASSERT_INTEQ(auth_sasl_step(&x, b64, n, &ch, &u, &p),
			  AUTH_SASL_CHALLENGE);
	auth_sasl_start(&x, "LOGIN");
	n = base64_encode(raw, AUTH_USER_MAX + 1, b64);
	TEST_ASSERT_INTEQ(auth_sasl_step(&x, b64, n, &ch, &u, &p),
			  AUTH_SASL_MALFORMED);

	test_begin("limits: LOGIN password at AUTH_PASSWORD_MAX, one more "
		   "refused");
	auth_sasl_start(&x, "LOGIN");
	TEST_ASSERT_INTEQ(auth_sasl_step(&x, "dGlt", 4, &ch, &u, &p),
			  AUTH_SASL_CHALLENGE);
	n = base64_encode(raw, AUTH_PASSWORD_MAX, b64);
	TEST_ASSERT_INTEQ(auth_sasl_step(&x, b64, n, &ch, &u, &p),
			  AUTH_SASL_DONE);
	TEST_ASSERT_INTEQ(p != NULL ? strlen(p) : 0, AUTH_PASSWORD_MAX);
	free(u);
	auth_secret_free(&p);
	auth_sasl_start(&x, "LOGIN");
	TEST_ASSERT_INTEQ(auth_sasl_step(&x, "dGlt", 4, &ch, &u, &p),
			  AUTH_SASL_CHALLENGE);
	n = base64_encode(raw, AUTH_PASSWORD_MAX + 1, b64);
	TEST_ASSERT_INTEQ(auth_sasl_step(&x, b64, n, &ch, &u, &p),
			  AUTH_SASL_MALFORMED);
	TEST_ASSERT(x.user == NULL);
}

TEST_MAIN(test_auth_sasl_table, test_auth_sasl_start, test_auth_sasl_limits)

/* test_auth_login.c: tests of the APOP digest check (RFC 1939 7). */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include "auth/auth_login.h"

static void
test_apop(void)
{
	/* The example of RFC 1939 7. */
	static const char ts[] = "<1896.697170952@dbc.mtview.ca.us>";

	test_begin("apop");
	TEST_ASSERT(auth_apop_verify(ts, "tanstaaf",
				     "c4c9334bac560ecc979e58001b3e22fb"));
	TEST_ASSERT(auth_apop_verify(ts, "tanstaaf",
				     "C4C9334BAC560ECC979E58001B3E22FB"));
	/* one digit off, at the start and the end */
	TEST_ASSERT(!auth_apop_verify(ts, "tanstaaf",
				      "d4c9334bac560ecc979e58001b3e22fb"));
	TEST_ASSERT(!auth_apop_verify(ts, "tanstaaf",
				      "c4c9334bac560ecc979e58001b3e22fc"));
	TEST_ASSERT(!auth_apop_verify(ts, "tanstaaF",
				      "c4c9334bac560ecc979e58001b3e22fb"));
	TEST_ASSERT(!auth_apop_verify("<1.2@x>", "tanstaaf",
				      "c4c9334bac560ecc979e58001b3e22fb"));
	/* no secret: APOP is off for the account */
	TEST_ASSERT(
	    !auth_apop_verify(ts, NULL, "c4c9334bac560ecc979e58001b3e22fb"));
	TEST_ASSERT(
	    !auth_apop_verify(ts, "", "d41d8cd98f00b204e9800998ecf8427e"));
	/* wrong length, not hex */
	TEST_ASSERT(!auth_apop_verify(ts, "tanstaaf",
				      "c4c9334bac560ecc979e58001b3e22f"));
	TEST_ASSERT(!auth_apop_verify(ts, "tanstaaf",
				      "c4c9334bac560ecc979e58001b3e22fbb"));
	TEST_ASSERT(!auth_apop_verify(ts, "tanstaaf", ""));
	TEST_ASSERT(!auth_apop_verify(ts, "tanstaaf",
				      "c4c9334bac560ecc979e58001b3e22g\xfb"));
}

TEST_MAIN(test_apop)

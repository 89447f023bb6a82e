/* test_queue_sched.c: backoff, lifetime, DSN conditions, destinations. */
/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "queue/queue_sched.h"
#include "smtp/smtp_parse.h"
#include "test.h"

static void
test_backoff(void)
{
	static const struct {
		unsigned attempts;
		uint64_t retry, max, want;
	} cases[] = {
	    {0, 300000, 3600000, 300000},   {1, 300000, 3600000, 300000},
	    {2, 300000, 3600000, 600000},   {3, 300000, 3600000, 1200000},
	    {4, 300000, 3600000, 2400000},  {5, 300000, 3600000, 3600000},
	    {50, 300000, 3600000, 3600000}, {1000, 1, UINT64_MAX, UINT64_MAX},
	    {3, 1000, 1000, 1000},          {2, 5000, 3000, 3000},
	};
	size_t i;

	test_begin("queue backoff: 5 min doubling up to the ceiling");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		TEST_ASSERT(queue_sched_backoff(cases[i].attempts,
						cases[i].retry,
						cases[i].max) == cases[i].want);
}

static void
test_lifetime_and_dsn(void)
{
	test_begin("queue lifetime and DSN conditions");
	TEST_ASSERT(!queue_sched_expired(1000, 1004, 5000));
	TEST_ASSERT(queue_sched_expired(1000, 1005, 5000));
	TEST_ASSERT(!queue_sched_expired(1000, 900, 5000)); /* clock back */
	TEST_ASSERT(queue_sched_warn_due(0, 14400, 14400000, false, false, 0));
	TEST_ASSERT(!queue_sched_warn_due(0, 14399, 14400000, false, false, 0));
	TEST_ASSERT(!queue_sched_warn_due(0, 99999, 14400000, true, false, 0));
	TEST_ASSERT(!queue_sched_warn_due(0, 99999, 14400000, false, true, 0));
	TEST_ASSERT(!queue_sched_warn_due(0, 99999, 0, false, false, 0));
	TEST_ASSERT(!queue_sched_warn_due(0, 99999, 1000, false, false,
					  SMTP_NOTIFY_FAILURE));
	TEST_ASSERT(queue_sched_warn_due(0, 99999, 1000, false, false,
					 SMTP_NOTIFY_DELAY));
	TEST_ASSERT(queue_sched_bounce_wanted(false, 0));
	TEST_ASSERT(queue_sched_bounce_wanted(false, SMTP_NOTIFY_FAILURE |
							 SMTP_NOTIFY_DELAY));
	TEST_ASSERT(!queue_sched_bounce_wanted(false, SMTP_NOTIFY_NEVER));
	TEST_ASSERT(!queue_sched_bounce_wanted(false, SMTP_NOTIFY_SUCCESS));
	TEST_ASSERT(!queue_sched_bounce_wanted(true, 0));
	TEST_ASSERT(queue_sched_verdict(250) == QUEUE_DELIVERED);
	TEST_ASSERT(queue_sched_verdict(451) == QUEUE_RETRY);
	TEST_ASSERT(queue_sched_verdict(550) == QUEUE_FAILED);
	TEST_ASSERT(queue_sched_verdict(0) == QUEUE_RETRY);
	TEST_ASSERT(queue_sched_verdict(354) == QUEUE_RETRY);
}

static const char *
route(const char *domain, void *arg)
{
	(void)arg;
	if (strcmp(domain, "routed.test") == 0)
		return "127.0.0.1:2525";
	if (strcmp(domain, "v6.test") == 0)
		return "[::1]:25";
	if (strcmp(domain, "broken.test") == 0)
		return "nohost";
	return NULL;
}

static void
test_dest(void)
{
	static const struct {
		const char *rcpt, *smarthost;
		int rc;
		enum queue_dest_kind kind;
		const char *key, *host;
		unsigned port;
	} cases[] = {
	    {"a@routed.test", NULL, 0, QUEUE_DEST_ROUTE,
	     "route:127.0.0.1:2525", "127.0.0.1", 2525},
	    {"a@ROUTED.test.", "relay.test:587", 0, QUEUE_DEST_ROUTE,
	     "route:127.0.0.1:2525", "127.0.0.1", 2525},
	    {"a@v6.test", NULL, 0, QUEUE_DEST_ROUTE, "route:::1:25", "::1",
	     25},
	    {"b@else.test", "relay.test:587", 0, QUEUE_DEST_SMARTHOST,
	     "smarthost", "relay.test", 587},
	    {"b@Else.Test", NULL, 0, QUEUE_DEST_MX, "mx:else.test",
	     "else.test", 25},
	    {"\"a@b\"@x.test", NULL, 0, QUEUE_DEST_MX, "mx:x.test", "x.test",
	     25},
	    {"a@[127.0.0.1]", NULL, -1, 0, "", "", 0},
	    {"nodomain", NULL, -1, 0, "", "", 0},
	    {"a@bad..test", NULL, -1, 0, "", "", 0},
	    {"a@broken.test", NULL, -1, 0, "", "", 0},
	    {"a@x.test", "relay.test", -1, 0, "", "", 0},
	};
	struct queue_dest_spec d;
	size_t i;

	test_begin("queue destinations: routes, smarthost, MX");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = queue_sched_dest(cases[i].rcpt, route, NULL,
					  cases[i].smarthost, &d);

		TEST_ASSERT_INTEQ(rc, cases[i].rc);
		if (rc < 0)
			continue;
		TEST_ASSERT(d.kind == cases[i].kind);
		TEST_ASSERT_STREQ(d.key, cases[i].key);
		TEST_ASSERT_STREQ(d.host, cases[i].host);
		TEST_ASSERT_INTEQ(d.port, cases[i].port);
	}
}

static void
test_group(void)
{
	const char *keys[] = {"mx:a", "mx:b", "mx:a", "route:x:1", "mx:b",
			      "mx:a"};
	size_t want[] = {0, 1, 0, 3, 1, 0}, got[6], i;

	test_begin("queue grouping: one group per destination");
	queue_sched_group(keys, 6, got);
	for (i = 0; i < 6; i++)
		TEST_ASSERT(got[i] == want[i]);
	queue_sched_group(keys, 0, got); /* nothing, no crash */
}

TEST_MAIN(test_backoff, test_lifetime_and_dsn, test_dest, test_group)

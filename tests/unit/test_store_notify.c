/* test_store_notify.c: the store's change listeners (store_add_notify,
   store_remove_notify, store_notify_owners): several listeners, mailbox
   and account notifications, removal, the limit; and the JMAP push
   "types" parser (jmap_push_types_parse). */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "store/store.h"
#include "store/store_jmap.h"
#include "test.h"
#include "tstore.h"
#include "web/jmap_push.h"

/* What one listener was told, in order. */
struct heard {
	enum store_change kind[32];
	int64_t id[32];
	int n;
};

static void
on_change(void *arg, enum store_change kind, int64_t id)
{
	struct heard *h = arg;

	if (h->n < 32) {
		h->kind[h->n] = kind;
		h->id[h->n] = id;
	}
	h->n++;
}

static void
test_listeners(void)
{
	char *dir;
	struct heard h1 = {0}, h2 = {0}, spare[STORE_NOTIFY_MAX];
	const char *err = NULL;
	struct store *s;
	int64_t a, b, box, owners[3], ids[3];
	int i;

	test_begin("notify: listeners, kinds, removal, limit, owners");
	s = tstore_setup("notify", "a@x.test", &dir, &a);
	b = tstore_account_add(s, "b@x.test");
	TEST_ASSERT_INTEQ(store_add_notify(s, on_change, &h1), 0);
	TEST_ASSERT_INTEQ(store_add_notify(s, on_change, &h2), 0);

	/* a mailbox created: its account (no mailbox row of a message) */
	TEST_ASSERT_INTEQ(store_mbox_create(s, b, "Box", NULL, &err), 1);
	TEST_ASSERT_INTEQ(h1.n, 1);
	TEST_ASSERT_INTEQ(h1.kind[0], STORE_CHANGE_ACCOUNT);
	TEST_ASSERT_INTEQ(h1.id[0], b);
	TEST_ASSERT_INTEQ(h2.n, 1);
	box = tstore_mbox(s, b, "Box");
	TEST_ASSERT(box > 0);

	/* the owners of mailboxes, and of one that does not exist */
	ids[0] = box;
	ids[1] = tstore_mbox(s, a, "INBOX");
	ids[2] = box + 1000;
	TEST_ASSERT_INTEQ(store_notify_owners(s, ids, 3, owners, &err), 0);
	TEST_ASSERT_INTEQ(owners[0], b);
	TEST_ASSERT_INTEQ(owners[1], a);
	TEST_ASSERT_INTEQ(owners[2], 0);

	/* deleted: the mailbox, once per listener; its row is gone */
	store_remove_notify(s, on_change, &h1);
	store_remove_notify(s, on_change, &h1); /* twice: nothing */
	TEST_ASSERT_INTEQ(store_mbox_delete(s, b, "Box", &err), 1);
	TEST_ASSERT_INTEQ(h1.n, 1);
	TEST_ASSERT_INTEQ(h2.n, 2);
	TEST_ASSERT_INTEQ(h2.kind[1], STORE_CHANGE_MAILBOX);
	TEST_ASSERT_INTEQ(h2.id[1], box);
	TEST_ASSERT_INTEQ(store_notify_owners(s, &box, 1, owners, &err), 0);
	TEST_ASSERT_INTEQ(owners[0], 0);

	/* a JMAP object (Identity) written: its account */
	TEST_ASSERT_INTEQ(store_jmap_obj_put(s, a, STORE_JMAP_IDENTITY, 0,
					     "{\"name\":\"A\"}", NULL, &err),
			  1);
	TEST_ASSERT_INTEQ(h2.n, 3);
	TEST_ASSERT_INTEQ(h2.kind[2], STORE_CHANGE_ACCOUNT);
	TEST_ASSERT_INTEQ(h2.id[2], a);
	/* a subscription: its account too */
	TEST_ASSERT_INTEQ(store_mbox_subscribe(s, a, "INBOX", false, &err), 0);
	TEST_ASSERT_INTEQ(h2.n, 4);
	TEST_ASSERT_INTEQ(h2.id[3], a);

	/* the limit: h2 and STORE_NOTIFY_MAX - 1 more */
	memset(spare, 0, sizeof(spare));
	for (i = 0; i < STORE_NOTIFY_MAX - 1; i++)
		TEST_ASSERT_INTEQ(store_add_notify(s, on_change, &spare[i]), 0);
	TEST_ASSERT_INTEQ(
	    store_add_notify(s, on_change, &spare[STORE_NOTIFY_MAX - 1]), -1);
	TEST_ASSERT_INTEQ(store_mbox_create(s, a, "More", NULL, &err), 1);
	for (i = 0; i < STORE_NOTIFY_MAX - 1; i++)
		TEST_ASSERT_INTEQ(spare[i].n, 1);
	TEST_ASSERT_INTEQ(spare[STORE_NOTIFY_MAX - 1].n, 0);
	TEST_ASSERT_INTEQ(h2.n, 5);

	tstore_teardown(s, dir);
}

static void
test_push_types(void)
{
	static const struct {
		const char *in;
		int rc;
		unsigned bits;
	} cases[] = {
	    {"*", 0, JMAP_PUSH_TYPES_ALL},
	    {"Email", 0, 1u << STORE_JMAP_EMAIL},
	    {"Mailbox,Email", 0,
	     (1u << STORE_JMAP_MAILBOX) | (1u << STORE_JMAP_EMAIL)},
	    {"Thread,Identity,EmailSubmission", 0,
	     (1u << STORE_JMAP_THREAD) | (1u << STORE_JMAP_IDENTITY) |
		 (1u << STORE_JMAP_SUBMISSION)},
	    /* RFC 8621 1.5: a push-only type */
	    {"EmailDelivery", 0, 1u << JMAP_PUSH_DELIVERY},
	    {"Email,EmailDelivery", 0,
	     (1u << STORE_JMAP_EMAIL) | (1u << JMAP_PUSH_DELIVERY)},
	    /* unknown names: allowed, never pushed */
	    {"CalendarEvent", 0, 0},
	    {"CalendarEvent,Email", 0, 1u << STORE_JMAP_EMAIL},
	    /* names are case-sensitive (RFC 8620 1.2 type names) */
	    {"email", 0, 0},
	    {"Emails", 0, 0},
	    {"Email*", 0, 0},
	    {"", -1, 0},
	    {",", -1, 0},
	    {"Email,", -1, 0},
	    {",Email", -1, 0},
	    {"Email,,Mailbox", -1, 0},
	    {"*,Email", 0, 1u << STORE_JMAP_EMAIL}, /* "*" alone means all */
	};
	size_t i;

	test_begin("push types: \"*\", lists, unknown and empty names");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned bits = 99;

		TEST_ASSERT_INTEQ(jmap_push_types_parse(cases[i].in, &bits),
				  cases[i].rc);
		if (cases[i].rc == 0)
			TEST_ASSERT_INTEQ(bits, cases[i].bits);
	}
	TEST_ASSERT_STREQ(jmap_push_type_name(STORE_JMAP_SUBMISSION),
			  "EmailSubmission");
	TEST_ASSERT_STREQ(jmap_push_type_name(JMAP_PUSH_DELIVERY),
			  "EmailDelivery");
	TEST_ASSERT(jmap_push_type_name(0) == NULL);
	TEST_ASSERT(jmap_push_type_name(JMAP_PUSH_DELIVERY + 1) == NULL);
	/* "*": every type there is a name for */
	for (i = 0; i < 32; i++)
		TEST_ASSERT_INTEQ((JMAP_PUSH_TYPES_ALL >> i) & 1u,
				  jmap_push_type_name((int)i) != NULL);
}

TEST_MAIN(test_listeners, test_push_types)

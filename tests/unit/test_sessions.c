/* test_sessions.c: the per-service session registry: list order, ids,
   removal anywhere, graceful stop (bye for each, service idle step, then
   on_idle or ev_stop) and abort. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conn.h"
#include "ev.h"
#include "log.h"
#include "sessions.h"
#include "test.h"

struct tsess {
	struct sessions_link link;
	struct conn *c;
	struct sessions *r;
	int n;
	bool go_at_bye; /* bye removes this session at once */
	bool freed;
};

struct trec {
	char log[128]; /* "b1 b2 i o": bye of 1, of 2, service idle, on_idle */
};

static struct trec rec;

static void
trec_add(const char *what, int n)
{
	size_t len = strlen(rec.log);

	if (n > 0)
		snprintf(rec.log + len, sizeof(rec.log) - len, "%s%d ", what,
			 n);
	else
		snprintf(rec.log + len, sizeof(rec.log) - len, "%s ", what);
}

static void
tsess_bye(struct sessions_link *l)
{
	struct tsess *s = SESSIONS_OF(l, struct tsess, link);

	trec_add("b", s->n);
	if (s->go_at_bye) {
		sessions_remove(s->r, &s->link);
		s->freed = true;
	}
}

static void
tsess_idle(struct sessions *r)
{
	(void)r;
	trec_add("i", 0);
}

static void
tsess_on_idle(void *arg)
{
	TEST_ASSERT(arg == &rec);
	trec_add("o", 0);
}

static const struct sessions_service tsvc = {tsess_bye, tsess_idle};

/* The session numbers in list order, as "3 2 1". */
static const char *
order(const struct sessions *r)
{
	static char out[64];
	const struct sessions_link *l;
	size_t len = 0;

	out[0] = '\0';
	for (l = r->head; l != NULL; l = l->next) {
		const struct tsess *s =
		    SESSIONS_OF(l, const struct tsess, link);

		TEST_ASSERT(l->next == NULL || l->next->prev == l);
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%d",
					len > 0 ? " " : "", s->n);
	}
	return out;
}

static void
test_sessions_list(void)
{
	struct sessions r = {0};
	struct tsess s[4] = {0};
	int i;

	test_begin("list: ids count from 1, newest first");
	for (i = 0; i < 4; i++) {
		s[i].n = i + 1;
		TEST_ASSERT_INTEQ(sessions_add(&r, &s[i].link, &s[i].c),
				  (uint64_t)i + 1);
	}
	TEST_ASSERT_INTEQ(r.count, 4);
	TEST_ASSERT_INTEQ(r.last_id, 4);
	TEST_ASSERT_STREQ(order(&r), "4 3 2 1");

	test_begin("list: remove in the middle, at the head, at the tail");
	sessions_remove(&r, &s[1].link);
	TEST_ASSERT_STREQ(order(&r), "4 3 1");
	sessions_remove(&r, &s[3].link);
	TEST_ASSERT_STREQ(order(&r), "3 1");
	sessions_remove(&r, &s[0].link);
	TEST_ASSERT_STREQ(order(&r), "3");
	TEST_ASSERT_INTEQ(r.count, 1);

	test_begin("list: the last one going without a stop is not idle");
	memset(&rec, 0, sizeof(rec));
	r.on_idle = tsess_on_idle;
	r.idle_arg = &rec;
	sessions_remove(&r, &s[2].link);
	TEST_ASSERT(r.head == NULL);
	TEST_ASSERT_INTEQ(r.count, 0);
	TEST_ASSERT_STREQ(rec.log, "");

	test_begin("list: ids keep growing after removals");
	TEST_ASSERT_INTEQ(sessions_add(&r, &s[0].link, &s[0].c), 5);
	sessions_remove(&r, &s[0].link);
}

static void
test_sessions_shutdown(void)
{
	struct sessions r = {0};
	struct tsess s[3] = {0};
	int i;

	test_begin("shutdown: bye for each, newest first, then idle");
	memset(&rec, 0, sizeof(rec));
	r.on_idle = tsess_on_idle;
	r.idle_arg = &rec;
	for (i = 0; i < 3; i++) {
		s[i].n = i + 1;
		s[i].r = &r;
		sessions_add(&r, &s[i].link, &s[i].c);
	}
	s[1].go_at_bye = true; /* one goes while the list is walked */
	sessions_shutdown(&r, NULL, &tsvc);
	TEST_ASSERT(r.shutting_down);
	TEST_ASSERT_STREQ(rec.log, "b3 b2 b1 ");
	TEST_ASSERT(s[1].freed);
	TEST_ASSERT_STREQ(order(&r), "3 1");
	sessions_remove(&r, &s[2].link);
	TEST_ASSERT_STREQ(rec.log, "b3 b2 b1 ");
	test_begin("shutdown: the last one gone runs the service step, then "
		   "on_idle, once");
	sessions_remove(&r, &s[0].link);
	TEST_ASSERT_STREQ(rec.log, "b3 b2 b1 i o ");
	TEST_ASSERT_INTEQ(r.count, 0);

	test_begin("shutdown: every session going at its bye");
	memset(&rec, 0, sizeof(rec));
	memset(&r, 0, sizeof(r));
	r.on_idle = tsess_on_idle;
	r.idle_arg = &rec;
	for (i = 0; i < 2; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].n = i + 1;
		s[i].r = &r;
		s[i].go_at_bye = true;
		sessions_add(&r, &s[i].link, &s[i].c);
	}
	sessions_shutdown(&r, NULL, &tsvc);
	TEST_ASSERT_STREQ(rec.log, "b2 b1 i o ");

	test_begin("shutdown: no session at all is idle at once");
	memset(&rec, 0, sizeof(rec));
	memset(&r, 0, sizeof(r));
	r.on_idle = tsess_on_idle;
	r.idle_arg = &rec;
	sessions_shutdown(&r, NULL, &tsvc);
	TEST_ASSERT_STREQ(rec.log, "i o ");
}

static bool timer_fired;

static void
on_timer(struct ev *ev, void *arg)
{
	(void)arg;
	timer_fired = true;
	ev_stop(ev);
}

static void
test_sessions_ev_stop(void)
{
	struct ev *ev = ev_new();
	struct sessions r = {0};
	struct tsess s = {0};
	static const struct sessions_service bare = {tsess_bye, NULL};

	test_begin("idle without on_idle: the loop is stopped");
	memset(&rec, 0, sizeof(rec));
	s.n = 1;
	s.r = &r;
	sessions_add(&r, &s.link, &s.c);
	sessions_shutdown(&r, ev, &bare);
	TEST_ASSERT_STREQ(rec.log, "b1 ");
	sessions_remove(&r, &s.link);
	timer_fired = false;
	ev_add_timer(ev, 5000, on_timer, NULL);
	TEST_ASSERT_INTEQ(ev_run(ev), 0);
	TEST_ASSERT(!timer_fired); /* ev_run returned at once */
	ev_free(&ev);
}

static void
tconn_cb(struct conn *c, enum conn_event e, void *arg)
{
	(void)c;
	(void)e;
	(void)arg;
}

static void
tconn_on_free(void *arg)
{
	struct tsess *s = arg;

	s->c = NULL;
	sessions_remove(s->r, &s->link);
	s->freed = true;
}

static void
test_sessions_abort(void)
{
	struct ev *ev = ev_new();
	struct sessions r = {0};
	struct tsess s[3] = {0};
	int peers[2], i;

	test_begin("abort: every connection is closed, sessions go at reap");
	log_set_level(LOG_ERROR);
	conn_module_init(ev);
	for (i = 0; i < 3; i++) {
		s[i].n = i + 1;
		s[i].r = &r;
		sessions_add(&r, &s[i].link, &s[i].c);
	}
	for (i = 0; i < 2; i++) { /* s[2] has no connection (being freed) */
		int sv[2];

		TEST_ASSERT_INTEQ(
		    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		peers[i] = sv[1];
		s[i].c =
		    conn_new(ev, sv[0], NULL, 0, NULL, 4096, tconn_cb, &s[i]);
		s[i].c->on_free = tconn_on_free;
	}
	sessions_abort(&r);
	TEST_ASSERT(s[0].c != NULL && s[0].c->closing);
	TEST_ASSERT(s[1].c != NULL && s[1].c->closing);
	TEST_ASSERT_INTEQ(r.count, 3); /* nothing freed inside abort */
	conn_reap();
	TEST_ASSERT(s[0].freed && s[1].freed && !s[2].freed);
	TEST_ASSERT_STREQ(order(&r), "3");
	TEST_ASSERT_INTEQ(conn_count(), 0);
	sessions_remove(&r, &s[2].link);
	for (i = 0; i < 2; i++)
		close(peers[i]);
	ev_free(&ev);
}

TEST_MAIN(test_sessions_list, test_sessions_shutdown, test_sessions_ev_stop,
	  test_sessions_abort)

/* cli_queue.c: `buzon queue list|flush|delete|hold|release`. */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "store/store.h"

/* The server and the CLI are different processes: the CLI only changes
   rows (flush sets next_attempt = 0); the running server's queue runner
   polls the database every QUEUE_POLL_MS and picks the change up. */
static const char queue_usage[] =
    "usage: buzon [-c FILE] queue list\n"
    "       buzon [-c FILE] queue flush [ID]\n"
    "       buzon [-c FILE] queue delete|hold|release ID\n"
    "\n"
    "list: id, sender, size, age, attempts and state, then each pending\n"
    "  recipient with its last error.\n"
    "flush: try every entry (or ID) now; a running server notices within\n"
    "  a second.  delete: drop an entry without a bounce.  hold: keep it\n"
    "  from being tried until release.\n";

static const char *
queue_state_name(enum store_qrcpt_state st)
{
	switch (st) {
	case STORE_QRCPT_PENDING:
		return "pending";
	case STORE_QRCPT_DELIVERED:
		return "delivered";
	case STORE_QRCPT_FAILED:
		return "failed";
	case STORE_QRCPT_DELAYED:
		return "delayed";
	}
	return "?";
}

static void
queue_list_one(const struct store_queue_entry *e, void *arg)
{
	int64_t age = (int64_t)time(NULL) - e->created;
	size_t i;

	(void)arg;
	printf("%lld <%s> size=%llu age=%llds attempts=%d%s%s\n",
	       (long long)e->id, e->sender, (unsigned long long)e->size,
	       (long long)(age < 0 ? 0 : age), e->attempts,
	       e->held ? " held" : "", e->in_flight ? " active" : "");
	for (i = 0; i < e->n_rcpts; i++) {
		const struct store_queue_rcpt *r = &e->rcpts[i];

		printf("  <%s> %s", r->address, queue_state_name(r->state));
		if (r->last_reply != NULL)
			printf(" last=\"%s\"", r->last_reply);
		putchar('\n');
	}
}

static int
queue_id(const char *s, int64_t *id_r)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v <= 0) {
		fprintf(stderr, "buzon: \"%s\" is not a queue id\n", s);
		return -1;
	}
	*id_r = v;
	return 0;
}

int
cli_queue(const char *config_path, int argc, char **argv)
{
	struct config *cfg;
	struct store *s;
	const char *error = NULL, *verb;
	int64_t id = 0;
	int rc = 1, n = 0;

	if (cli_wants_help(argc, argv)) {
		fputs(queue_usage, stdout);
		return 0;
	}
	verb = argc >= 2 ? argv[1] : "";
	if (!((strcmp(verb, "list") == 0 && argc == 2) ||
	      (strcmp(verb, "flush") == 0 && (argc == 2 || argc == 3)) ||
	      ((strcmp(verb, "delete") == 0 || strcmp(verb, "hold") == 0 ||
		strcmp(verb, "release") == 0) &&
	       argc == 3))) {
		fputs(queue_usage, stderr);
		return 2;
	}
	if (argc == 3 && queue_id(argv[2], &id) < 0)
		return 2;
	if ((cfg = cli_load_config(config_path)) == NULL)
		return 1;
	if ((s = cli_open_store(cfg)) == NULL) {
		config_free(&cfg);
		return 1;
	}
	if (strcmp(verb, "list") == 0)
		n = store_queue_list(s, queue_list_one, NULL, &error);
	else if (strcmp(verb, "flush") == 0)
		n = store_queue_flush(s, id, &error);
	else if (strcmp(verb, "delete") == 0)
		n = store_queue_delete(s, id, &error);
	else
		n = store_queue_hold(s, id, verb[0] == 'h', &error);
	if (n < 0)
		fprintf(stderr, "buzon: queue %s: %s\n", verb, error);
	else if (id != 0 && n == 0)
		fprintf(stderr, "buzon: no queue entry %lld\n", (long long)id);
	else
		rc = 0;
	store_close(&s);
	config_free(&cfg);
	return rc;
}

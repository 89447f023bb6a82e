/* cli_alias.c: `buzon alias add|del|list` (an alias with several targets
   is a mailing list). */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "store/store.h"
#include "xalloc.h"

static const char alias_usage[] =
    "usage: buzon [-c FILE] alias add ADDRESS TARGET...\n"
    "       buzon [-c FILE] alias del ADDRESS [TARGET...]\n"
    "       buzon [-c FILE] alias list\n"
    "\n"
    "ADDRESS must be in one of the configured domains; targets may be\n"
    "local accounts, other aliases, or remote addresses.\n";

static void
cli_alias_print(const char *address, const char *const *targets, size_t n,
		void *arg)
{
	size_t i;

	(void)arg;
	printf("%s:", address);
	for (i = 0; i < n; i++)
		printf("%s %s", i == 0 ? "" : ",", targets[i]);
	printf("\n");
}

int
cli_alias(const char *config_path, int argc, char **argv)
{
	struct config *cfg;
	struct store *st = NULL;
	const char *error, *op;
	char *addr = NULL, **targets = NULL;
	size_t n = 0, i;
	int rc = 1, r;

	if (cli_wants_help(argc, argv)) {
		fputs(alias_usage, stdout);
		return 0;
	}
	if (argc < 2) {
		fputs(alias_usage, stderr);
		return 2;
	}
	op = argv[1];
	if ((strcmp(op, "list") == 0 && argc != 2) ||
	    (strcmp(op, "add") == 0 && argc < 4) ||
	    (strcmp(op, "del") == 0 && argc < 3) ||
	    (strcmp(op, "list") != 0 && strcmp(op, "add") != 0 &&
	     strcmp(op, "del") != 0)) {
		fputs(alias_usage, stderr);
		return 2;
	}
	if ((cfg = cli_load_config(config_path)) == NULL)
		return 1;
	if (argc >= 3) {
		if ((addr = cli_address(cfg, argv[2], true)) == NULL)
			goto out;
		targets = xcalloc((size_t)argc, sizeof(*targets));
		for (i = 3; i < (size_t)argc; i++) {
			if ((targets[n] = cli_address(cfg, argv[i], false)) ==
			    NULL)
				goto out;
			n++;
		}
	}
	if ((st = cli_open_store(cfg)) == NULL)
		goto out;
	if (strcmp(op, "list") == 0) {
		rc = store_alias_list(st, cli_alias_print, NULL, &error) < 0;
		if (rc)
			fprintf(stderr, "buzon alias list: %s\n", error);
		goto out;
	}
	if (strcmp(op, "add") == 0)
		r = store_alias_add(st, addr, (const char *const *)targets, n,
				    &error);
	else
		r = store_alias_del(st, addr, (const char *const *)targets, n,
				    &error);
	if (r < 0)
		fprintf(stderr, "buzon alias %s: %s\n", op, error);
	else if (r == 0)
		fprintf(stderr, "buzon alias %s: %s\n", op,
			strcmp(op, "add") == 0 ? "address is an account"
					       : "no such alias or target");
	else
		printf("%s %s\n", strcmp(op, "add") == 0 ? "updated" : "removed",
		       addr);
	rc = r == 1 ? 0 : 1;
out:
	if (st != NULL)
		store_close(&st);
	for (i = 0; i < n; i++)
		free(targets[i]);
	free(targets);
	free(addr);
	config_free(&cfg);
	return rc;
}

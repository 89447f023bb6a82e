/* cli_user.c: `buzon user add|del|passwd|list`. */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "config.h"
#include "store/store.h"

static const char user_usage[] =
    "usage: buzon [-c FILE] user add ADDRESS      password read from stdin\n"
    "       buzon [-c FILE] user passwd ADDRESS   new password from stdin\n"
    "       buzon [-c FILE] user del ADDRESS      delete account and mail\n"
    "       buzon [-c FILE] user list\n";

static void
cli_user_print(const char *address, void *arg)
{
	(void)arg;
	printf("%s\n", address);
}

int
cli_user(const char *config_path, int argc, char **argv)
{
	struct config *cfg;
	struct store *st;
	const char *error, *op;
	char *addr = NULL, *pw, *hash;
	int rc = 1, r;

	if (cli_wants_help(argc, argv)) {
		fputs(user_usage, stdout);
		return 0;
	}
	if (argc < 2) {
		fputs(user_usage, stderr);
		return 2;
	}
	op = argv[1];
	if (strcmp(op, "list") == 0 ? argc != 2
	    : (strcmp(op, "add") == 0 || strcmp(op, "del") == 0 ||
	       strcmp(op, "passwd") == 0)
		? argc != 3
		: true) {
		fputs(user_usage, stderr);
		return 2;
	}
	if ((cfg = cli_load_config(config_path)) == NULL)
		return 1;
	if (argc == 3 && (addr = cli_address(cfg, argv[2], true)) == NULL) {
		config_free(&cfg);
		return 1;
	}
	if ((st = cli_open_store(cfg)) == NULL)
		goto out;
	if (strcmp(op, "list") == 0) {
		rc = store_account_list(st, cli_user_print, NULL, &error) < 0;
		if (rc)
			fprintf(stderr, "buzon user list: %s\n", error);
	} else if (strcmp(op, "del") == 0) {
		r = store_account_del(st, addr, &error);
		if (r < 0)
			fprintf(stderr, "buzon user del: %s\n", error);
		else if (r == 0)
			fprintf(stderr, "buzon user del: no account %s\n", addr);
		else
			printf("deleted %s\n", addr);
		rc = r == 1 ? 0 : 1;
	} else {
		if ((pw = cli_read_password()) == NULL) {
			fprintf(stderr, "buzon user %s: no password on stdin\n",
				op);
			goto out_store;
		}
		hash = auth_hash_password(pw);
		explicit_bzero(pw, strlen(pw));
		free(pw);
		if (hash == NULL) {
			fprintf(stderr, "buzon user %s: hashing failed\n", op);
			goto out_store;
		}
		if (strcmp(op, "add") == 0)
			r = store_account_add(st, addr, hash, &error);
		else
			r = store_account_set_password(st, addr, hash, &error);
		free(hash);
		if (r < 0)
			fprintf(stderr, "buzon user %s: %s\n", op, error);
		else if (r == 0)
			fprintf(stderr, "buzon user %s: %s %s\n", op, addr,
				strcmp(op, "add") == 0
				    ? "already exists (account or alias)"
				    : "has no account");
		else
			printf("%s %s\n",
			       strcmp(op, "add") == 0 ? "added" : "changed",
			       addr);
		rc = r == 1 ? 0 : 1;
	}
out_store:
	store_close(&st);
out:
	free(addr);
	config_free(&cfg);
	return rc;
}

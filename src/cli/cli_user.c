/* cli_user.c: `buzon user add|del|passwd|list`. */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "config.h"
#include "limits.h"
#include "store/store.h"

static const char user_usage[] =
    "usage: buzon [-c FILE] user add ADDRESS      password read from stdin\n"
    "       buzon [-c FILE] user passwd ADDRESS   new password from stdin\n"
    "       buzon [-c FILE] user passwd --apop ADDRESS\n"
    "                         POP3 APOP secret from stdin (stored as is)\n"
    "       buzon [-c FILE] user passwd --no-apop ADDRESS   APOP off\n"
    "       buzon [-c FILE] user del ADDRESS      delete account and mail\n"
    "       buzon [-c FILE] user list\n";

/* `user passwd --apop|--no-apop ADDRESS`: RFC 1939 7 needs the secret
   itself, so unlike the password it cannot be stored hashed. */
static int
cli_user_apop(struct store *st, const char *addr, bool on)
{
	const char *error;
	char *secret = NULL;
	int r;

	if (on) {
		if ((secret = cli_read_password()) == NULL) {
			fprintf(stderr, "buzon user passwd: no APOP secret on "
					"stdin\n");
			return 1;
		}
		if (strlen(secret) > POP3_APOP_SECRET_MAX) {
			fprintf(stderr,
				"buzon user passwd: APOP secret longer than "
				"%u octets\n",
				POP3_APOP_SECRET_MAX);
			explicit_bzero(secret, strlen(secret));
			free(secret);
			return 1;
		}
	}
	r = store_account_set_apop(st, addr, secret, &error);
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	if (r < 0)
		fprintf(stderr, "buzon user passwd: %s\n", error);
	else if (r == 0)
		fprintf(stderr, "buzon user passwd: %s has no account\n", addr);
	else
		printf("APOP %s for %s\n", on ? "set" : "off", addr);
	return r == 1 ? 0 : 1;
}

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
	int rc = 1, r, apop = -1; /* 1 --apop, 0 --no-apop */

	if (cli_wants_help(argc, argv)) {
		fputs(user_usage, stdout);
		return 0;
	}
	if (argc < 2) {
		fputs(user_usage, stderr);
		return 2;
	}
	op = argv[1];
	if (strcmp(op, "passwd") == 0 && argc == 4 &&
	    (strcmp(argv[2], "--apop") == 0 ||
	     strcmp(argv[2], "--no-apop") == 0)) {
		apop = strcmp(argv[2], "--apop") == 0;
		argv++;
		argc--;
	}
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
	if (apop >= 0) {
		rc = cli_user_apop(st, addr, apop == 1);
	} else if (strcmp(op, "list") == 0) {
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

/* cli.c: helpers shared by the admin subcommands. */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "config.h"
#include "priv.h"
#include "smtp/smtp_parse.h"
#include "store/store.h"
#include "xalloc.h"

struct config *
cli_load_config(const char *path)
{
	char *error;
	struct config *cfg = config_load(path, &error);

	if (cfg == NULL) {
		fprintf(stderr, "buzon: %s\n", error);
		free(error);
	}
	return cfg;
}

struct store *
cli_open_store(const struct config *cfg)
{
	const char *error;
	struct store *s;

	if (priv_become_owner_of(cfg->data_dir) < 0) {
		fprintf(stderr, "buzon: cannot switch to the owner of %s: %s\n",
			cfg->data_dir, strerror(errno));
		return NULL;
	}
	if ((s = store_open(cfg->data_dir, NULL, &error)) == NULL)
		fprintf(stderr, "buzon: %s: %s\n", cfg->data_dir, error);
	return s;
}

bool
cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

char *
cli_address(const struct config *cfg, const char *arg, bool local_only)
{
	struct arena *a = arena_new("cli address", 512);
	struct smtp_path path;
	struct smtp_parse_error err;
	char *r = NULL, *p;

	if (smtp_parse_mailbox(arg, a, &path, &err) < 0 ||
	    path.domain == NULL || path.domain_is_literal) {
		fprintf(stderr, "buzon: \"%s\" is not an address (%s)\n", arg,
			path.domain == NULL ? "expected user@domain" : err.text);
	} else if (local_only && !config_is_local_domain(cfg, path.domain)) {
		fprintf(stderr,
			"buzon: %s: domain %s is not in `domains` of %s\n", arg,
			path.domain, cfg->path);
	} else {
		r = xstrdup(path.addr);
		for (p = r; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	arena_free(&a);
	return r;
}

char *
cli_read_password(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);

	if (n <= 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0) {
		free(line);
		return NULL;
	}
	return line;
}

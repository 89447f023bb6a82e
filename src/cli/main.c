/* main.c: the buzon program: option parsing and subcommand dispatch. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#ifndef BUZON_VERSION
#define BUZON_VERSION "0.1"
#endif

static const char usage[] =
    "usage: buzon [-c FILE] COMMAND [ARGS]\n"
    "\n"
    "  init DIR [--domain DOMAIN] [--hostname HOST]\n"
    "                          write DIR/buzon.conf and the data dir\n"
    "  serve                   run the mail server in the foreground\n"
    "  user add|del|passwd|list [ADDRESS]\n"
    "                          manage accounts (password on stdin)\n"
    "  alias add|del|list ADDRESS [TARGET...]\n"
    "                          manage aliases and lists\n"
    "  export ADDRESS [MAILBOX] --mbox FILE|-\n"
    "                          write a mailbox as mbox\n"
    "  import ADDRESS [MAILBOX] --mbox FILE|--maildir DIR\n"
    "                          add messages to a mailbox\n"
    "  dns [DOMAIN...]         print the DNS records to publish (MX, SPF,\n"
    "                          DKIM, DMARC, SRV)\n"
    "  queue list|flush [ID]|delete ID|hold ID|release ID\n"
    "                          manage the outbound queue\n"
    "\n"
    "  -c FILE     config file (default: $BUZON_CONFIG, else ./buzon.conf)\n"
    "  --version   print the version\n"
    "  --help      this text; COMMAND --help for each command\n";

struct cli_command {
	const char *name;
	int (*fn)(const char *config_path, int argc, char **argv);
};

static const struct cli_command commands[] = {
    {"init", cli_init},	    {"serve", cli_serve},   {"user", cli_user},
    {"alias", cli_alias},   {"export", cli_export}, {"import", cli_import},
    {"dns", cli_dns},       {"queue", cli_queue},
};

int
main(int argc, char **argv)
{
	const char *config = getenv("BUZON_CONFIG");
	int i = 1;
	size_t k;

	if (config == NULL || *config == '\0')
		config = "buzon.conf";
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) {
			config = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "--version") == 0 ||
			   strcmp(argv[i], "-V") == 0) {
			printf("buzon %s\n", BUZON_VERSION);
			return 0;
		} else if (strcmp(argv[i], "--help") == 0 ||
			   strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "buzon: unknown option %s\n\n%s",
				argv[i], usage);
			return 2;
		}
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return 2;
	}
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			return commands[k].fn(config, argc - i, argv + i);
	fprintf(stderr, "buzon: unknown command \"%s\"\n\n%s", argv[i], usage);
	return 2;
}

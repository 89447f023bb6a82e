/* cli.h: the admin subcommands of the buzon program. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_CLI_H
#define BUZON_CLI_H

#include <stdbool.h>

struct config;
struct store;

/* Each subcommand: argv[0] is the subcommand name.  Returns the process
   exit status (0 ok, 1 failure, 2 usage error). */
int cli_init(const char *config_path, int argc, char **argv);
int cli_serve(const char *config_path, int argc, char **argv);
int cli_user(const char *config_path, int argc, char **argv);
int cli_alias(const char *config_path, int argc, char **argv);
int cli_export(const char *config_path, int argc, char **argv);
int cli_import(const char *config_path, int argc, char **argv);
int cli_dns(const char *config_path, int argc, char **argv);
int cli_queue(const char *config_path, int argc, char **argv);

/* Load the config or print "FILE:LINE: reason" and return NULL. */
struct config *cli_load_config(const char *path);
/* As root, become the data owner; then open the store in CLI mode.
   Prints the error and returns NULL on failure. */
struct store *cli_open_store(const struct config *cfg);
/* True if argv holds -h or --help (after argv[0]). */
bool cli_wants_help(int argc, char **argv);
/* Normalize an address argument: lowercased, must be local@domain with a
   domain in cfg->domains when local_only.  Returns a malloc'd string or
   NULL after printing why. */
char *cli_address(const struct config *cfg, const char *arg,
		  bool local_only);
/* Read one line (the password) from stdin without its newline.  Returns
   a malloc'd string or NULL (EOF / empty). */
char *cli_read_password(void);

#endif

/* cli_init.c: `buzon init DIR`: write a config and create the data dir. */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dkim/dkim_key.h"
#include "store/store.h"
#include "xalloc.h"

/* The webmail's plain listener, also named in the "next:" hint. */
#define INIT_HTTP_ADDR "127.0.0.1:8080"

static const char init_usage[] =
    "usage: buzon init DIR [--domain DOMAIN] [--hostname HOST]\n"
    "\n"
    "Writes DIR/buzon.conf (listeners on 127.0.0.1: smtp 2525, submission\n"
    "2587, submissions 2465, imap 2143, imaps 2993, pop3 2110, pop3s 2995,\n"
    "and the webmail with JMAP on http 8080 and https 8443) and creates the\n"
    "data directory DIR/data with DKIM keys for DOMAIN (see `buzon dns`).\n"
    "HOST defaults to this machine's name, DOMAIN to HOST.\n";

int
cli_init(const char *config_path, int argc, char **argv)
{
	const char *dir = NULL, *domain = NULL, *hostname = NULL;
	char host[256], *path, *error;
	struct config *cfg;
	struct store *st;
	const char *serr;
	FILE *f;
	int i, fd;
	size_t k;

	(void)config_path;
	if (cli_wants_help(argc, argv)) {
		fputs(init_usage, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--domain") == 0 && i + 1 < argc)
			domain = argv[++i];
		else if (strcmp(argv[i], "--hostname") == 0 && i + 1 < argc)
			hostname = argv[++i];
		else if (argv[i][0] != '-' && dir == NULL)
			dir = argv[i];
		else {
			fprintf(stderr, "buzon init: unexpected \"%s\"\n\n%s",
				argv[i], init_usage);
			return 2;
		}
	}
	if (dir == NULL) {
		fputs(init_usage, stderr);
		return 2;
	}
	if (hostname == NULL) {
		if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	if (domain == NULL)
		domain = hostname;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "buzon init: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	path = xasprintf("%s/buzon.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "buzon init: %s: %s\n", path,
			errno == EEXIST ? "already exists, not overwritten"
					: strerror(errno));
		free(path);
		return 1;
	}
	f = fdopen(fd, "w");
	fprintf(f,
		"# buzon.conf, written by `buzon init`.  Every key and its default\n"
		"# is described in buzon(8) and README.md.\n"
		"hostname = %s\n"
		"data_dir = data                 # relative to this file\n"
		"domains  = %s\n"
		"\n"
		"[listen]                         # absent or empty: off\n"
		"smtp        = 127.0.0.1:2525     # MX (use 0.0.0.0:25 in production)\n"
		"submission  = 127.0.0.1:2587     # STARTTLS, AUTH required\n"
		"submissions = 127.0.0.1:2465     # implicit TLS, AUTH required\n"
		"imap        = 127.0.0.1:2143     # STARTTLS, then LOGIN or AUTHENTICATE\n"
		"imaps       = 127.0.0.1:2993     # implicit TLS\n"
		"pop3        = 127.0.0.1:2110     # STLS, then USER/PASS or AUTH\n"
		"pop3s       = 127.0.0.1:2995     # implicit TLS\n"
		"http        = " INIT_HTTP_ADDR "     # webmail + JMAP, passwords from loopback only\n"
		"https       = 127.0.0.1:8443     # the same over TLS (0.0.0.0:443 in production)\n"
		"\n"
		"[tls]                            # absent: self-signed, in data_dir/tls\n"
		"# cert = /etc/letsencrypt/live/%s/fullchain.pem\n"
		"# key  = /etc/letsencrypt/live/%s/privkey.pem\n",
		hostname, domain, hostname, hostname);
	if (fclose(f) != 0) {
		fprintf(stderr, "buzon init: %s: %s\n", path, strerror(errno));
		free(path);
		return 1;
	}
	if ((cfg = config_load(path, &error)) == NULL) {
		/* e.g. a --domain that is not a domain name */
		fprintf(stderr, "buzon init: %s\n", error);
		free(error);
		unlink(path);
		free(path);
		return 1;
	}
	if (mkdir(cfg->data_dir, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "buzon init: %s: %s\n", cfg->data_dir,
			strerror(errno));
		config_free(&cfg);
		free(path);
		return 1;
	}
	if ((st = store_open(cfg->data_dir, NULL, &serr)) == NULL) {
		fprintf(stderr, "buzon init: %s: %s\n", cfg->data_dir, serr);
		config_free(&cfg);
		free(path);
		return 1;
	}
	store_close(&st);
	/* DKIM keys (RFC 6376) for every domain; `buzon dns` prints them.
	   A domain that cannot have one (a non-ASCII name, for now) is
	   reported: the server itself works without. */
	for (k = 0; k < cfg->n_domains; k++)
		if (dkim_key_create_defaults(cfg->data_dir, cfg->domains[k],
					     &serr) < 0)
			fprintf(stderr, "buzon init: warning: no DKIM key: %s\n",
				serr);
	printf("wrote %s\ncreated %s\n"
	       "next: buzon -c %s user add you@%s   (password on stdin)\n"
	       "      buzon -c %s dns      (the DNS records to publish)\n"
	       "      buzon -c %s serve    (webmail: http://" INIT_HTTP_ADDR
	       "/)\n",
	       path, cfg->data_dir, path, domain, path, path);
	config_free(&cfg);
	free(path);
	return 0;
}

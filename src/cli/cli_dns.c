/* cli_dns.c: `buzon dns [DOMAIN...]`: the DNS records a domain must
   publish (MX, SPF, DKIM, DMARC, SRV for mail clients), as zone-file lines. */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dkim/dkim_key.h"
#include "limits.h"
#include "priv.h"
#include "xalloc.h"

static const char dns_usage[] =
    "usage: buzon [-c FILE] dns [DOMAIN...]\n"
    "\n"
    "Prints, as zone-file lines, the records to publish for each DOMAIN\n"
    "(default: every domain in `domains`): MX, SPF, the DKIM key of each\n"
    "selector (keys missing from the data dir are created first), DMARC,\n"
    "and SRV records for mail clients (RFC 6186, RFC 8314) pointing at\n"
    "`hostname` on the ports of the configured listeners.\n";

/* RFC 6186 3.4 / RFC 8314 5.1: lower priority is preferred: implicit TLS
   before STARTTLS, IMAP before POP3. */
static const struct {
	const char *service;
	enum listen_kind kind;
	unsigned priority;
} dns_srv[] = {
    {"_submissions", LISTEN_SUBMISSIONS, 0},
    {"_submission", LISTEN_SUBMISSION, 5},
    {"_imaps", LISTEN_IMAPS, 0},
    {"_imap", LISTEN_IMAP, 5},
    {"_pop3s", LISTEN_POP3S, 10},
    {"_pop3", LISTEN_POP3, 15},
};

static void
dns_record(const char *name, const char *domain, const char *type,
	   const char *data)
{
	char *owner = name != NULL ? xasprintf("%s.%s.", name, domain)
				   : xasprintf("%s.", domain);

	printf("%-40s %u IN %-4s %s\n", owner, DNS_TTL_DEFAULT, type, data);
	free(owner);
}

/* A TXT record: the value in quoted character-strings of at most
   DNS_TXT_STRING_MAX octets (RFC 1035 3.3.14), which a resolver joins. */
static void
dns_txt(const char *name, const char *domain, const char *value)
{
	size_t n = strlen(value), off = 0, k;
	char *data = xmalloc(n + 4 * (n / DNS_TXT_STRING_MAX + 1) + 1),
	     *p = data;

	do {
		k = n - off < DNS_TXT_STRING_MAX ? n - off : DNS_TXT_STRING_MAX;
		p += sprintf(p, "%s\"%.*s\"", off == 0 ? "" : " ", (int)k,
			     value + off);
		off += k;
	} while (off < n);
	dns_record(name, domain, "TXT", data);
	free(data);
}

/* The port of a "host:port" / "[v6]:port" listener and whether its host
   is a loopback address (not reachable by anyone else). */
static unsigned
dns_port(const char *listen, bool *loopback_r)
{
	const char *colon = strrchr(listen, ':');
	size_t hl = (size_t)(colon - listen);

	*loopback_r = (hl >= 4 && strncmp(listen, "127.", 4) == 0) ||
		      (hl == 5 && strncmp(listen, "[::1]", 5) == 0) ||
		      (hl == 9 && strncmp(listen, "localhost", 9) == 0);
	return (unsigned)strtoul(colon + 1, NULL, 10);
}

/* The DKIM records of domain, creating the default keys if it has none. */
static int
dns_dkim(const struct config *cfg, const char *domain)
{
	struct dkim_key *keys = NULL;
	const char *error;
	int n, i, made;
	char *txt;

	if ((n = dkim_key_load_domain(cfg->data_dir, domain, &keys, &error)) ==
	    0) {
		if ((made = dkim_key_create_defaults(cfg->data_dir, domain,
						     &error)) < 0 ||
		    (n = dkim_key_load_domain(cfg->data_dir, domain, &keys,
					      &error)) < 0) {
			fprintf(stderr, "buzon dns: %s\n", error);
			return -1;
		}
		if (made > 0)
			fprintf(stderr,
				"buzon dns: created DKIM keys for %s "
				"in %s/dkim\n",
				domain, cfg->data_dir);
	}
	if (n < 0) {
		fprintf(stderr, "buzon dns: %s\n", error);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char *name = xasprintf("%s._domainkey", keys[i].selector);

		txt = dkim_key_txt(keys[i].pkey);
		printf("; DKIM %s key\n", dkim_key_alg_name(keys[i].alg));
		dns_txt(name, domain, txt);
		free(txt);
		free(name);
	}
	dkim_key_free_all(&keys, (size_t)n);
	return 0;
}

static int
dns_domain(const struct config *cfg, const char *domain)
{
	char *v;
	bool loop;
	size_t i;

	printf("; buzon dns: records for %s\n"
	       "; %s needs A/AAAA records with this server's public "
	       "addresses\n",
	       domain, cfg->hostname);
	v = xasprintf("10 %s.", cfg->hostname);
	dns_record(NULL, domain, "MX", v);
	free(v);
	/* RFC 7208: only the domain's MX hosts send its mail */
	dns_txt(NULL, domain, "v=spf1 mx -all");
	if (dns_dkim(cfg, domain) < 0)
		return -1;
	/* RFC 7489 6.3; aggregate reports go to postmaster, which every
	   domain accepting mail has (RFC 5321 4.5.1) */
	v = xasprintf("v=DMARC1; p=quarantine; rua=mailto:postmaster@%s",
		      domain);
	dns_txt("_dmarc", domain, v);
	free(v);
	printf("; mail client settings (RFC 6186, RFC 8314); target \".\" = "
	       "not offered\n");
	for (i = 0; i < sizeof(dns_srv) / sizeof(dns_srv[0]); i++) {
		const char *l = cfg->listen[dns_srv[i].kind];
		char *name = xasprintf("%s._tcp", dns_srv[i].service);

		if (l == NULL) {
			dns_record(name, domain, "SRV", "0 0 0 .");
		} else {
			v = xasprintf("%u 1 %u %s.", dns_srv[i].priority,
				      dns_port(l, &loop), cfg->hostname);
			dns_record(name, domain, "SRV", v);
			free(v);
			if (loop)
				printf("; note: %s listens on %s, which "
				       "others cannot reach\n",
				       config_listen_name(dns_srv[i].kind), l);
		}
		free(name);
	}
	return 0;
}

int
cli_dns(const char *config_path, int argc, char **argv)
{
	struct config *cfg;
	char *domain;
	int i, rc = 0;
	size_t k;

	if (cli_wants_help(argc, argv)) {
		fputs(dns_usage, stdout);
		return 0;
	}
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-') {
			fprintf(stderr, "buzon dns: unexpected \"%s\"\n\n%s",
				argv[i], dns_usage);
			return 2;
		}
	if ((cfg = cli_load_config(config_path)) == NULL)
		return 1;
	for (i = 1; i < argc; i++)
		if (!config_is_local_domain(cfg, argv[i])) {
			fprintf(stderr,
				"buzon dns: %s is not in `domains` of %s\n",
				argv[i], cfg->path);
			config_free(&cfg);
			return 1;
		}
	/* keys written here must stay readable by the server */
	if (priv_become_owner_of(cfg->data_dir) < 0) {
		fprintf(stderr,
			"buzon dns: cannot switch to the owner of %s: %s\n",
			cfg->data_dir, strerror(errno));
		config_free(&cfg);
		return 1;
	}
	for (i = 1, k = 0;
	     rc == 0 && (argc > 1 ? i < argc : k < cfg->n_domains); i++, k++) {
		char *p;

		domain = xstrdup(argc > 1 ? argv[i] : cfg->domains[k]);
		for (p = domain; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (k > 0)
			printf("\n");
		if (dns_domain(cfg, domain) < 0)
			rc = 1;
		free(domain);
	}
	config_free(&cfg);
	return rc;
}

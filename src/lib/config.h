/* config.h: buzon.conf: `key = value` lines, [section] headers, # comments. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_CONFIG_H
#define BUZON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

enum listen_kind {
	LISTEN_SMTP,
	LISTEN_SUBMISSION,
	LISTEN_SUBMISSIONS,
	LISTEN_IMAP,
	LISTEN_IMAPS,
	LISTEN_POP3,
	LISTEN_POP3S,
	LISTEN_HTTP,
	LISTEN_HTTPS,
	LISTEN__COUNT
};

/* Where passwords may be sent without TLS ([pop3], [imap] and
   [web] plaintext_auth). */
enum config_plaintext {
	CONFIG_PLAIN_NO,       /* never: STLS first */
	CONFIG_PLAIN_LOOPBACK, /* from 127.0.0.0/8 and ::1 */
};

/* Config key name of a listener ("smtp", "submission", ...). */
const char *config_listen_name(enum listen_kind k);

struct config {
	char *path;	 /* the file, as given */
	char *hostname;	 /* default: gethostname() */
	char *data_dir;	 /* absolute (relative values are relative to the file) */
	char **domains;	 /* lowercased; default: { hostname } */
	size_t n_domains;
	char *listen[LISTEN__COUNT]; /* "host:port" or NULL (off) */
	char *tls_cert, *tls_key;    /* absolute or NULL (self-signed) */
	char *run_user;		     /* [server] user: who to run as when root */
	enum log_level log_level;    /* [log] level */
	/* [smtp] */
	uint64_t smtp_max_message_size;
	unsigned smtp_max_recipients;
	uint64_t smtp_greet_delay_ms; /* MX listener only */
	uint64_t smtp_idle_timeout_ms;
	char smtp_recipient_delimiter; /* '\0' = plus-addressing off */
	/* [pop3] */
	enum config_plaintext pop3_plaintext_auth; /* default: no */
	uint64_t pop3_idle_timeout_ms;
	/* [imap] */
	enum config_plaintext imap_plaintext_auth; /* default: no */
	uint64_t imap_idle_timeout_ms;             /* after login */
	uint64_t imap_quota_bytes; /* default per-account quota; 0: none */
	/* [web] */
	enum config_plaintext web_plaintext_auth; /* default: loopback */
	uint64_t web_idle_timeout_ms;    /* keep-alive idle */
	uint64_t web_request_timeout_ms; /* a request head must arrive in */
	/* [relay]: outbound delivery */
	char *relay_smarthost;	      /* "host:port" or NULL: MX routing */
	char *relay_smarthost_user;   /* AUTH PLAIN at the smarthost, or NULL */
	char *relay_smarthost_password; /* (smarthost_password_file is read
					   into it at load) */
	bool relay_require_tls;	      /* smarthost: no STARTTLS = no mail */
	char *relay_resolver;	      /* "ip:port" DNS forwarder or NULL */
	/* [relay] mx_port: the port MX hosts are reached on (default 25).
	   For tests only, where MX hosts are fake peers on loopback. */
	uint16_t relay_mx_port;
	/* [routes] DOMAIN = host:port (before the smarthost and MX) */
	struct config_route {
		char *domain; /* lowercased */
		char *dest;   /* "host:port" */
	} *routes;
	size_t n_routes;
	/* [queue] */
	uint64_t queue_retry_ms;	 /* first retry; doubles per attempt */
	uint64_t queue_retry_max_ms;	 /* backoff ceiling */
	uint64_t queue_lifetime_ms;	 /* then bounce */
	uint64_t queue_delay_warning_ms; /* "delayed" DSN; 0: never */
	unsigned queue_concurrency;	 /* connections per destination */
	uint64_t queue_poll_ms; /* look for due entries (retries, flush) */
	/* [limits] */
	unsigned connections, connections_per_ip;
	unsigned workers; /* [server] workers: worker threads */
};

/* Load path.  Returns the config (caller frees with config_free), or NULL
   with a malloc'd "FILE:LINE: reason" (or "FILE: reason") in *error_r. */
struct config *config_load(const char *path, char **error_r);
/* Free everything and set *cp = NULL. */
void config_free(struct config **cp);

/* True if domain (any case) is one of cfg->domains. */
bool config_is_local_domain(const struct config *cfg, const char *domain);

/* The [routes] destination for domain (any case), or NULL. */
const char *config_route(const struct config *cfg, const char *domain);

/* Parse "50M", "1024", "10k", "1G" into bytes.  Returns 0 or -1. */
int config_parse_size(const char *s, uint64_t *r);
/* Parse "300ms", "5s", "5m", "1h", "2d", or plain seconds.  Returns 0/-1. */
int config_parse_duration(const char *s, uint64_t *ms_r);

#endif

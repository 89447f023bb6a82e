/* config.c: the buzon.conf parser (every key has a default; unknown keys
   and bad values are errors with the file and line). */
/* SPDX-License-Identifier: MIT */
#include "config.h"
#include "limits.h"
#include "xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const listen_names[LISTEN__COUNT] = {
    "smtp", "submission", "submissions", "imap",  "imaps",
    "pop3", "pop3s",	  "http",	 "https",
};

const char *
config_listen_name(enum listen_kind k)
{
	return listen_names[k];
}

int
config_parse_size(const char *s, uint64_t *r)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		switch (toupper((unsigned char)*end)) {
		case 'K':
			mult = 1024;
			break;
		case 'M':
			mult = 1024 * 1024;
			break;
		case 'G':
			mult = 1024ull * 1024 * 1024;
			break;
		default:
			return -1;
		}
		end++;
		if (toupper((unsigned char)*end) == 'B' ||
		    toupper((unsigned char)*end) == 'I')
			end++;
		if (*end == 'B')
			end++;
		if (*end != '\0')
			return -1;
	}
	if (v > UINT64_MAX / mult)
		return -1;
	*r = v * mult;
	return 0;
}

int
config_parse_duration(const char *s, uint64_t *ms_r)
{
	char *end;
	unsigned long long v;
	uint64_t mult;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (strcmp(end, "ms") == 0)
		mult = 1;
	else if (*end == '\0' || strcmp(end, "s") == 0)
		mult = 1000;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mult = 60 * 1000;
	else if (strcmp(end, "h") == 0)
		mult = 3600 * 1000;
	else if (strcmp(end, "d") == 0)
		mult = 24ull * 3600 * 1000;
	else
		return -1;
	if (v > UINT64_MAX / mult)
		return -1;
	*ms_r = v * mult;
	return 0;
}

bool
config_is_local_domain(const struct config *cfg, const char *domain)
{
	size_t i;

	for (i = 0; i < cfg->n_domains; i++)
		if (strcasecmp(cfg->domains[i], domain) == 0)
			return true;
	return false;
}

/* "host:port" or "[v6]:port" with a numeric port 1-65535. */
static bool
config_valid_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long port;

	if (colon == NULL || colon == v)
		return false;
	if (v[0] == '[' && colon[-1] != ']')
		return false;
	port = strtol(colon + 1, &end, 10);
	return *end == '\0' && port > 0 && port < 65536 && colon[1] != '\0';
}

static bool
config_valid_domain(const char *d)
{
	size_t n = strlen(d);
	const char *p;

	if (n == 0 || n > SMTP_DOMAIN_MAX || d[0] == '.' || d[n - 1] == '.' ||
	    d[0] == '-')
		return false;
	for (p = d; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' &&
		    (unsigned char)*p < 0x80)
			return false;
	return strstr(d, "..") == NULL;
}

static char *
config_abs_path(const char *dir, const char *v)
{
	if (v[0] == '/')
		return xstrdup(v);
	return xasprintf("%s/%s", dir, v);
}

static void
config_free_domains(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_domains; i++)
		free(cfg->domains[i]);
	free(cfg->domains);
	cfg->domains = NULL;
	cfg->n_domains = 0;
}

const char *
config_route(const struct config *cfg, const char *domain)
{
	size_t i;

	for (i = cfg->n_routes; i-- > 0;) /* the last line wins */
		if (strcasecmp(cfg->routes[i].domain, domain) == 0)
			return cfg->routes[i].dest;
	return NULL;
}

/* The first line of file path, without its line end, as a malloc'd
   string; NULL if unreadable or empty. */
static char *
config_read_secret(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		return NULL;
	n = getline(&line, &cap, f);
	fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		free(line);
		return NULL;
	}
	return line;
}

static const char *
config_set_relay(struct config *cfg, const char *dir, const char *key,
		 const char *val)
{
	char **dst = NULL;

	if (strcmp(key, "smarthost") == 0 || strcmp(key, "resolver") == 0) {
		dst = key[0] == 's' ? &cfg->relay_smarthost
				    : &cfg->relay_resolver;
		free(*dst);
		*dst = NULL;
		if (*val == '\0')
			return NULL; /* present but empty: off */
		if (!config_valid_listen(val))
			return "expected HOST:PORT";
		*dst = xstrdup(val);
		return NULL;
	}
	if (strcmp(key, "smarthost_user") == 0)
		dst = &cfg->relay_smarthost_user;
	else if (strcmp(key, "smarthost_password") == 0)
		dst = &cfg->relay_smarthost_password;
	if (dst != NULL) {
		free(*dst);
		*dst = *val == '\0' ? NULL : xstrdup(val);
		return NULL;
	}
	if (strcmp(key, "smarthost_password_file") == 0) {
		char *path = config_abs_path(dir, val), *pw;

		pw = config_read_secret(path);
		free(path);
		if (pw == NULL)
			return "cannot read the password file";
		free(cfg->relay_smarthost_password);
		cfg->relay_smarthost_password = pw;
		return NULL;
	}
	if (strcmp(key, "mx_port") == 0) {
		uint64_t port;

		if (config_parse_size(val, &port) < 0 || port == 0 ||
		    port > 65535)
			return "expected a port number 1-65535";
		cfg->relay_mx_port = (uint16_t)port;
		return NULL;
	}
	if (strcmp(key, "require_tls") == 0) {
		if (strcmp(val, "yes") == 0)
			cfg->relay_require_tls = true;
		else if (strcmp(val, "no") == 0)
			cfg->relay_require_tls = false;
		else
			return "expected yes or no";
		return NULL;
	}
	return "unknown key";
}

static const char *
config_set_queue(struct config *cfg, const char *key, const char *val)
{
	uint64_t n, *dst = NULL;

	if (strcmp(key, "concurrency") == 0) {
		if (config_parse_size(val, &n) < 0 || n == 0 ||
		    n > QUEUE_CONCURRENCY_MAX)
			return "expected a number 1-100";
		cfg->queue_concurrency = (unsigned)n;
		return NULL;
	}
	if (strcmp(key, "retry") == 0)
		dst = &cfg->queue_retry_ms;
	else if (strcmp(key, "retry_max") == 0)
		dst = &cfg->queue_retry_max_ms;
	else if (strcmp(key, "lifetime") == 0)
		dst = &cfg->queue_lifetime_ms;
	else if (strcmp(key, "delay_warning") == 0)
		dst = &cfg->queue_delay_warning_ms;
	else if (strcmp(key, "poll") == 0)
		dst = &cfg->queue_poll_ms;
	else
		return "unknown key";
	if (config_parse_duration(val, &n) < 0)
		return "expected a duration (e.g. 5m, 1h, 5d)";
	/* delay_warning = 0 turns the warning off; the others must let
	   the runner make progress */
	if (n == 0 && dst != &cfg->queue_delay_warning_ms)
		return "must not be 0";
	*dst = n;
	return NULL;
}

/* [pop3] and [imap] plaintext_auth.  RFC 2595 2.2 / RFC 8314:
   passwords only over TLS unless the operator opts in for loopback. */
static const char *
config_set_plaintext(enum config_plaintext *dst, const char *val)
{
	if (strcmp(val, "no") == 0)
		*dst = CONFIG_PLAIN_NO;
	else if (strcmp(val, "loopback") == 0)
		*dst = CONFIG_PLAIN_LOOPBACK;
	else
		return "expected no or loopback";
	return NULL;
}

static const char *
config_set_imap(struct config *cfg, const char *key, const char *val)
{
	uint64_t n;

	if (strcmp(key, "plaintext_auth") == 0)
		return config_set_plaintext(&cfg->imap_plaintext_auth, val);
	if (strcmp(key, "idle_timeout") == 0) {
		/* RFC 9051 5.4: at least 30 minutes, but tests and small
		   hosts may want shorter. */
		if (config_parse_duration(val, &n) < 0 || n < 1000)
			return "expected a duration of at least 1s";
		cfg->imap_idle_timeout_ms = n;
		return NULL;
	}
	if (strcmp(key, "quota") == 0) {
		/* RFC 9208 STORAGE: the default limit of every account
		   (0: none). */
		if (config_parse_size(val, &n) < 0 ||
		    n > (uint64_t)1 << 50)
			return "expected a size (e.g. 1G), 0 for none";
		cfg->imap_quota_bytes = n;
		return NULL;
	}
	return "unknown key";
}

/* [web]: the HTTP server (src/web). */
static const char *
config_set_web(struct config *cfg, const char *key, const char *val)
{
	uint64_t n;

	if (strcmp(key, "plaintext_auth") == 0)
		return config_set_plaintext(&cfg->web_plaintext_auth, val);
	if (strcmp(key, "idle_timeout") == 0 ||
	    strcmp(key, "request_timeout") == 0) {
		if (config_parse_duration(val, &n) < 0 || n < 1000)
			return "expected a duration of at least 1s";
		if (key[0] == 'i')
			cfg->web_idle_timeout_ms = n;
		else
			cfg->web_request_timeout_ms = n;
		return NULL;
	}
	return "unknown key";
}

/* Set one key.  Returns NULL or a static reason. */
static const char *
config_set(struct config *cfg, const char *dir, const char *section,
	   const char *key, const char *val)
{
	uint64_t n;
	size_t i;

	if (*section == '\0') {
		if (strcmp(key, "hostname") == 0) {
			if (!config_valid_domain(val))
				return "not a valid host name";
			free(cfg->hostname);
			cfg->hostname = xstrdup(val);
			return NULL;
		}
		if (strcmp(key, "data_dir") == 0) {
			if (*val == '\0')
				return "empty path";
			free(cfg->data_dir);
			cfg->data_dir = config_abs_path(dir, val);
			return NULL;
		}
		if (strcmp(key, "domains") == 0) {
			char *copy = xstrdup(val), *tok, *save;

			config_free_domains(cfg);
			for (tok = strtok_r(copy, " \t,", &save); tok != NULL;
			     tok = strtok_r(NULL, " \t,", &save)) {
				if (!config_valid_domain(tok)) {
					free(copy);
					return "not a valid domain name";
				}
				if (cfg->n_domains >= CONFIG_DOMAINS_MAX) {
					free(copy);
					return "too many domains";
				}
				cfg->domains = xrealloc(
				    cfg->domains,
				    (cfg->n_domains + 1) * sizeof(char *));
				cfg->domains[cfg->n_domains] = xstrdup(tok);
				for (char *p = cfg->domains[cfg->n_domains];
				     *p != '\0'; p++)
					*p = (char)tolower((unsigned char)*p);
				cfg->n_domains++;
			}
			free(copy);
			if (cfg->n_domains == 0)
				return "at least one domain is needed";
			return NULL;
		}
		return "unknown key";
	}
	if (strcmp(section, "listen") == 0) {
		for (i = 0; i < LISTEN__COUNT; i++) {
			if (strcmp(key, listen_names[i]) != 0)
				continue;
			free(cfg->listen[i]);
			cfg->listen[i] = NULL;
			if (*val == '\0')
				return NULL; /* present but empty: off */
			if (!config_valid_listen(val))
				return "expected HOST:PORT";
			cfg->listen[i] = xstrdup(val);
			return NULL;
		}
		return "unknown listener";
	}
	if (strcmp(section, "tls") == 0) {
		char **dst;

		if (strcmp(key, "cert") == 0)
			dst = &cfg->tls_cert;
		else if (strcmp(key, "key") == 0)
			dst = &cfg->tls_key;
		else
			return "unknown key";
		free(*dst);
		*dst = *val == '\0' ? NULL : config_abs_path(dir, val);
		return NULL;
	}
	if (strcmp(section, "server") == 0) {
		if (strcmp(key, "user") == 0) {
			free(cfg->run_user);
			cfg->run_user = xstrdup(val);
			return NULL;
		}
		if (strcmp(key, "workers") == 0) {
			if (config_parse_size(val, &n) < 0 || n == 0 || n > 256)
				return "expected a number 1-256";
			cfg->workers = (unsigned)n;
			return NULL;
		}
		return "unknown key";
	}
	if (strcmp(section, "log") == 0) {
		if (strcmp(key, "level") != 0)
			return "unknown key";
		if (strcmp(val, "debug") == 0)
			cfg->log_level = LOG_DEBUG;
		else if (strcmp(val, "info") == 0)
			cfg->log_level = LOG_INFO;
		else if (strcmp(val, "warning") == 0)
			cfg->log_level = LOG_WARN;
		else if (strcmp(val, "error") == 0)
			cfg->log_level = LOG_ERROR;
		else
			return "expected debug, info, warning or error";
		return NULL;
	}
	if (strcmp(section, "smtp") == 0) {
		if (strcmp(key, "max_message_size") == 0) {
			if (config_parse_size(val, &n) < 0 || n < 1024 ||
			    n > (uint64_t)4 * 1024 * 1024 * 1024)
				return "expected a size "
				       "between 1K and 4G (e.g. 50M)";
			cfg->smtp_max_message_size = n;
			return NULL;
		}
		if (strcmp(key, "max_recipients") == 0) {
			/* RFC 5321 4.5.3.1.8: at least 100 */
			if (config_parse_size(val, &n) < 0 || n < 100 ||
			    n > 100000)
				return "expected a number "
				       "100-100000";
			cfg->smtp_max_recipients = (unsigned)n;
			return NULL;
		}
		if (strcmp(key, "greet_delay") == 0) {
			if (config_parse_duration(val, &n) < 0 || n > 60000)
				return "expected a duration up "
				       "to 60s (e.g. 300ms)";
			cfg->smtp_greet_delay_ms = n;
			return NULL;
		}
		if (strcmp(key, "idle_timeout") == 0) {
			/* RFC 5321 4.5.3.2.7: at least 5 minutes, but
			   tests and small hosts may want shorter. */
			if (config_parse_duration(val, &n) < 0 || n < 1000)
				return "expected a duration of "
				       "at least 1s";
			cfg->smtp_idle_timeout_ms = n;
			return NULL;
		}
		if (strcmp(key, "recipient_delimiter") == 0) {
			if (strlen(val) > 1 ||
			    (val[0] != '\0' && strchr("+-_=", val[0]) == NULL))
				return "expected one of "
				       "+ - _ = or empty";
			cfg->smtp_recipient_delimiter = val[0];
			return NULL;
		}
		return "unknown key";
	}
	if (strcmp(section, "pop3") == 0) {
		if (strcmp(key, "plaintext_auth") == 0)
			return config_set_plaintext(&cfg->pop3_plaintext_auth,
						    val);
		if (strcmp(key, "idle_timeout") == 0) {
			/* RFC 1939 3: at least 10 minutes, but tests and
			   small hosts may want shorter. */
			if (config_parse_duration(val, &n) < 0 || n < 1000)
				return "expected a duration of "
				       "at least 1s";
			cfg->pop3_idle_timeout_ms = n;
			return NULL;
		}
		return "unknown key";
	}
	if (strcmp(section, "imap") == 0)
		return config_set_imap(cfg, key, val);
	if (strcmp(section, "web") == 0)
		return config_set_web(cfg, key, val);
	if (strcmp(section, "relay") == 0)
		return config_set_relay(cfg, dir, key, val);
	if (strcmp(section, "routes") == 0) {
		struct config_route *r;

		if (!config_valid_domain(key))
			return "not a valid domain name";
		if (!config_valid_listen(val))
			return "expected HOST:PORT";
		if (cfg->n_routes >= CONFIG_DOMAINS_MAX)
			return "too many routes";
		cfg->routes = xrealloc(cfg->routes, (cfg->n_routes + 1) *
							 sizeof(*cfg->routes));
		r = &cfg->routes[cfg->n_routes++];
		r->domain = xstrdup(key);
		for (char *p = r->domain; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		r->dest = xstrdup(val);
		return NULL;
	}
	if (strcmp(section, "queue") == 0)
		return config_set_queue(cfg, key, val);
	if (strcmp(section, "limits") == 0) {
		if (strcmp(key, "connections") == 0) {
			if (config_parse_size(val, &n) < 0 || n == 0 ||
			    n > 1000000)
				return "expected 1-1000000";
			cfg->connections = (unsigned)n;
			return NULL;
		}
		if (strcmp(key, "connections_per_ip") == 0) {
			if (config_parse_size(val, &n) < 0 || n == 0 ||
			    n > 1000000)
				return "expected 1-1000000";
			cfg->connections_per_ip = (unsigned)n;
			return NULL;
		}
		return "unknown key";
	}
	return "unknown section";
}

static char *
config_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
			 e[-1] == '\n'))
		e--;
	*e = '\0';
	return s;
}

static const char *const config_sections[] = {
    "listen", "tls",   "server", "log",   "smtp",
    "pop3",   "imap",  "web",   "relay", "routes", "queue", "limits",
    NULL,
};

struct config *
config_load(const char *path, char **error_r)
{
	struct config *cfg = xzalloc(sizeof(*cfg));
	char line[CONFIG_LINE_MAX + 2], section[64] = "", host[256];
	char *dir, *slash;
	unsigned lineno = 0;
	FILE *f;

	*error_r = NULL;
	cfg->path = xstrdup(path);
	slash = strrchr(path, '/');
	if (slash == NULL) {
		char cwd[PATH_MAX];

		dir = xstrdup(getcwd(cwd, sizeof(cwd)) ? cwd : ".");
	} else if (path[0] == '/') {
		dir = xstrndup(path, (size_t)(slash - path));
	} else {
		char cwd[PATH_MAX];

		dir = xasprintf("%s/%.*s", getcwd(cwd, sizeof(cwd)) ? cwd : ".",
				(int)(slash - path), path);
	}
	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	cfg->hostname = xstrdup(host);
	cfg->data_dir = config_abs_path(dir, "data");
	cfg->run_user = xstrdup("");
	cfg->log_level = LOG_INFO;
	cfg->smtp_max_message_size = SMTP_MESSAGE_SIZE_DEFAULT;
	cfg->smtp_max_recipients = SMTP_RCPT_MAX;
	cfg->smtp_greet_delay_ms = 300;
	cfg->smtp_idle_timeout_ms = SMTP_IDLE_TIMEOUT_MS;
	cfg->smtp_recipient_delimiter = '+';
	cfg->pop3_plaintext_auth = CONFIG_PLAIN_NO;
	cfg->pop3_idle_timeout_ms = POP3_IDLE_TIMEOUT_MS;
	cfg->imap_plaintext_auth = CONFIG_PLAIN_NO;
	cfg->imap_idle_timeout_ms = IMAP_IDLE_TIMEOUT_MS;
	cfg->web_plaintext_auth = CONFIG_PLAIN_LOOPBACK;
	cfg->web_idle_timeout_ms = HTTP_IDLE_TIMEOUT_MS;
	cfg->web_request_timeout_ms = HTTP_REQUEST_TIMEOUT_MS;
	cfg->connections = CONN_MAX_DEFAULT;
	cfg->connections_per_ip = CONN_PER_IP_MAX_DEFAULT;
	cfg->workers = POOL_THREADS_DEFAULT;
	cfg->queue_retry_ms = QUEUE_RETRY_DEFAULT_MS;
	cfg->queue_retry_max_ms = QUEUE_RETRY_MAX_DEFAULT_MS;
	cfg->queue_lifetime_ms = QUEUE_LIFETIME_DEFAULT_MS;
	cfg->queue_delay_warning_ms = QUEUE_DELAY_WARNING_DEFAULT_MS;
	cfg->queue_concurrency = QUEUE_CONCURRENCY_DEFAULT;
	cfg->queue_poll_ms = QUEUE_POLL_MS;
	cfg->relay_mx_port = QUEUE_MX_PORT_DEFAULT;

	if ((f = fopen(path, "r")) == NULL) {
		*error_r = xasprintf("%s: %s", path, strerror(errno));
		goto fail;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *key, *val, *hash;
		const char *why;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			*error_r = xasprintf("%s:%u: line too long (max %d)",
					     path, lineno, CONFIG_LINE_MAX);
			break;
		}
		/* '#' starts a comment anywhere: values never need one. */
		if ((hash = strchr(line, '#')) != NULL)
			*hash = '\0';
		s = config_trim(line);
		if (*s == '\0')
			continue;
		if (*s == '[') {
			size_t n = strlen(s), i;

			if (s[n - 1] != ']' || n - 2 >= sizeof(section)) {
				*error_r = xasprintf("%s:%u: bad section header",
						     path, lineno);
				break;
			}
			memcpy(section, s + 1, n - 2);
			section[n - 2] = '\0';
			for (i = 0; config_sections[i] != NULL; i++)
				if (strcmp(config_sections[i], section) == 0)
					break;
			if (config_sections[i] == NULL) {
				*error_r = xasprintf("%s:%u: unknown section [%s]",
						     path, lineno, section);
				break;
			}
			continue;
		}
		if ((eq = strchr(s, '=')) == NULL) {
			*error_r = xasprintf("%s:%u: expected key = value",
					     path, lineno);
			break;
		}
		*eq = '\0';
		key = config_trim(s);
		val = config_trim(eq + 1);
		if (*key == '\0') {
			*error_r = xasprintf("%s:%u: missing key before =", path,
					     lineno);
			break;
		}
		if ((why = config_set(cfg, dir, section, key, val)) != NULL) {
			*error_r = xasprintf("%s:%u: %s%s%s: %s", path, lineno,
					     section, *section ? "." : "", key,
					     why);
			break;
		}
	}
	if (*error_r == NULL && ferror(f))
		*error_r = xasprintf("%s: read error", path);
	fclose(f);
	if (*error_r != NULL)
		goto fail;
	if (cfg->n_domains == 0) {
		cfg->domains = xmalloc(sizeof(char *));
		cfg->domains[0] = xstrdup(cfg->hostname);
		cfg->n_domains = 1;
	}
	free(dir);
	return cfg;
fail:
	free(dir);
	config_free(&cfg);
	return NULL;
}

void
config_free(struct config **cp)
{
	struct config *cfg = *cp;
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->hostname);
	free(cfg->data_dir);
	config_free_domains(cfg);
	for (i = 0; i < LISTEN__COUNT; i++)
		free(cfg->listen[i]);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->run_user);
	free(cfg->relay_smarthost);
	free(cfg->relay_smarthost_user);
	if (cfg->relay_smarthost_password != NULL) {
		explicit_bzero(cfg->relay_smarthost_password,
			       strlen(cfg->relay_smarthost_password));
		free(cfg->relay_smarthost_password);
	}
	free(cfg->relay_resolver);
	for (i = 0; i < cfg->n_routes; i++) {
		free(cfg->routes[i].domain);
		free(cfg->routes[i].dest);
	}
	free(cfg->routes);
	free(cfg);
	*cp = NULL;
}

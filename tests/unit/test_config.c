/* test_config.c: buzon.conf parsing, defaults and error messages. */
/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "limits.h"
#include "test.h"

static char *
write_conf(const char *text)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/buzon-test-%d.conf", (int)getpid());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_config_complete(void)
{
	char *error = NULL;
	char *path = write_conf(
	    "hostname = mail.example.test\n"
	    "data_dir = data                # relative\n"
	    "domains  = Example.TEST other.test\n"
	    "\n"
	    "[listen]   # comment\n"
	    "smtp        = 127.0.0.1:2525\n"
	    "submission  = 127.0.0.1:2587\n"
	    "submissions =\n"
	    "[tls]\n"
	    "cert = /etc/ssl/a.pem\n"
	    "key  = k.pem\n");
	struct config *cfg = config_load(path, &error);

	test_begin("complete config");
	TEST_ASSERT(cfg != NULL);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", error);
		free(error);
		return;
	}
	TEST_ASSERT_STREQ(cfg->hostname, "mail.example.test");
	TEST_ASSERT_STREQ(cfg->data_dir, "/tmp/data");
	TEST_ASSERT_INTEQ(cfg->n_domains, 2);
	TEST_ASSERT_STREQ(cfg->domains[0], "example.test");
	TEST_ASSERT(config_is_local_domain(cfg, "OTHER.test"));
	TEST_ASSERT(!config_is_local_domain(cfg, "example.org"));
	TEST_ASSERT_STREQ(cfg->listen[LISTEN_SMTP], "127.0.0.1:2525");
	TEST_ASSERT(cfg->listen[LISTEN_SUBMISSIONS] == NULL);
	TEST_ASSERT(cfg->listen[LISTEN_IMAP] == NULL);
	TEST_ASSERT_STREQ(cfg->tls_cert, "/etc/ssl/a.pem");
	TEST_ASSERT_STREQ(cfg->tls_key, "/tmp/k.pem");
	TEST_ASSERT_INTEQ(cfg->smtp_max_message_size,
			  SMTP_MESSAGE_SIZE_DEFAULT);
	TEST_ASSERT_INTEQ(cfg->smtp_max_recipients, SMTP_RCPT_MAX);
	TEST_ASSERT_INTEQ(cfg->smtp_recipient_delimiter, '+');
	TEST_ASSERT_INTEQ(cfg->pop3_plaintext_auth, CONFIG_PLAIN_NO);
	TEST_ASSERT_INTEQ(cfg->pop3_idle_timeout_ms, POP3_IDLE_TIMEOUT_MS);
	TEST_ASSERT_INTEQ(cfg->relay_mx_port, 25);
	TEST_ASSERT(cfg->relay_resolver == NULL);
	TEST_ASSERT_INTEQ(cfg->queue_poll_ms, QUEUE_POLL_MS);
	config_free(&cfg);
	TEST_ASSERT(cfg == NULL);
	unlink(path);
}

static void
test_config_errors(void)
{
	static const struct {
		const char *text;
		const char *error; /* expected suffix after "PATH:" */
	} cases[] = {
	    {"bogus = 1\n", "1: bogus: unknown key"},
	    {"hostname = a\n[nosuch]\n", "2: unknown section [nosuch]"},
	    {"[listen]\nsmtp = 2525\n", "2: listen.smtp: expected HOST:PORT"},
	    {"[listen]\nsmtp = 1.2.3.4:99999\n",
	     "2: listen.smtp: expected HOST:PORT"},
	    {"[listen]\nfoo = 1.2.3.4:1\n", "2: listen.foo: unknown listener"},
	    {"just words\n", "1: expected key = value"},
	    {"[smtp]\nmax_message_size = lots\n",
	     "2: smtp.max_message_size: expected a size between 1K and 4G "
	     "(e.g. 50M)"},
	    {"[smtp]\nmax_recipients = 10\n",
	     "2: smtp.max_recipients: expected a number 100-100000"},
	    {"[smtp]\ngreet_delay = 5 parsecs\n",
	     "2: smtp.greet_delay: expected a duration up to 60s (e.g. "
	     "300ms)"},
	    {"domains = bad..domain\n",
	     "1: domains: not a valid domain name"},
	    {"[log]\nlevel = loud\n",
	     "2: log.level: expected debug, info, warning or error"},
	    {"[listen\n", "1: bad section header"},
	    {"[pop3]\nplaintext_auth = yes\n",
	     "2: pop3.plaintext_auth: expected no or loopback"},
	    {"[pop3]\nidle_timeout = 10ms\n",
	     "2: pop3.idle_timeout: expected a duration of at least 1s"},
	    {"[pop3]\nmax = 1\n", "2: pop3.max: unknown key"},
	    {"[relay]\nmx_port = 0\n",
	     "2: relay.mx_port: expected a port number 1-65535"},
	    {"[relay]\nmx_port = 70000\n",
	     "2: relay.mx_port: expected a port number 1-65535"},
	    {"[relay]\nrequire_tls = maybe\n",
	     "2: relay.require_tls: expected yes or no"},
	    {"[queue]\npoll = 0\n", "2: queue.poll: must not be 0"},
	    {"[queue]\npoll = often\n",
	     "2: queue.poll: expected a duration (e.g. 5m, 1h, 5d)"},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *error = NULL, want[512];
		char *path = write_conf(cases[i].text);
		struct config *cfg = config_load(path, &error);

		test_begin(cases[i].text);
		TEST_ASSERT(cfg == NULL);
		snprintf(want, sizeof(want), "%s:%s", path, cases[i].error);
		TEST_ASSERT_STREQ(error, want);
		free(error);
		config_free(&cfg);
		unlink(path);
	}
}

static void
test_config_values(void)
{
	static const struct {
		const char *in;
		int rc;
		uint64_t v;
	} sizes[] = {
	    {"0", 0, 0},	 {"1024", 0, 1024},
	    {"10k", 0, 10240},	 {"50M", 0, 50u << 20},
	    {"1G", 0, 1u << 30}, {"2MB", 0, 2u << 20},
	    {"1MiB", 0, 1u << 20}, {"x", -1, 0},
	    {"", -1, 0},	 {"-1", -1, 0},
	    {"5T", -1, 0},	 {"99999999999999999999", -1, 0},
	};
	static const struct {
		const char *in;
		int rc;
		uint64_t ms;
	} durs[] = {
	    {"300ms", 0, 300}, {"5", 0, 5000},	   {"5s", 0, 5000},
	    {"5m", 0, 300000}, {"1h", 0, 3600000}, {"2d", 0, 172800000},
	    {"5x", -1, 0},     {"", -1, 0},	   {"ms", -1, 0},
	};
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t v = 0;

		test_begin(sizes[i].in);
		TEST_ASSERT_INTEQ(config_parse_size(sizes[i].in, &v),
				  sizes[i].rc);
		if (sizes[i].rc == 0)
			TEST_ASSERT_INTEQ(v, sizes[i].v);
	}
	for (i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		uint64_t v = 0;

		test_begin(durs[i].in);
		TEST_ASSERT_INTEQ(config_parse_duration(durs[i].in, &v),
				  durs[i].rc);
		if (durs[i].rc == 0)
			TEST_ASSERT_INTEQ(v, durs[i].ms);
	}
}

static void
test_config_pop3(void)
{
	char *error = NULL;
	char *path = write_conf("[listen]\npop3 = 127.0.0.1:2110\n"
				"pop3s = [::1]:2995\n"
				"[pop3]\nplaintext_auth = loopback\n"
				"idle_timeout = 2m\n");
	struct config *cfg = config_load(path, &error);

	test_begin("pop3 section");
	TEST_ASSERT(cfg != NULL);
	if (cfg == NULL) {
		fprintf(stderr, "%s\n", error);
		free(error);
		unlink(path);
		return;
	}
	TEST_ASSERT_STREQ(cfg->listen[LISTEN_POP3], "127.0.0.1:2110");
	TEST_ASSERT_STREQ(cfg->listen[LISTEN_POP3S], "[::1]:2995");
	TEST_ASSERT_INTEQ(cfg->pop3_plaintext_auth, CONFIG_PLAIN_LOOPBACK);
	TEST_ASSERT_INTEQ(cfg->pop3_idle_timeout_ms, 120000);
	config_free(&cfg);
	unlink(path);
}

static void
test_config_missing_file(void)
{
	char *error = NULL;
	struct config *cfg = config_load("/nonexistent/buzon.conf", &error);

	test_begin("missing file");
	TEST_ASSERT(cfg == NULL);
	TEST_ASSERT_STREQ(error,
			  "/nonexistent/buzon.conf: No such file or directory");
	free(error);
}

TEST_MAIN(test_config_complete, test_config_errors, test_config_values,
	  test_config_pop3, test_config_missing_file)

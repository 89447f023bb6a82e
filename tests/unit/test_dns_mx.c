/* test_dns_mx.c: MX routing through libunbound against tests/lib/dnsd.py. */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "ev.h"
#include "log.h"
#include "dns/dns_mx.h"

extern char **environ;

/* The zone served to the resolver ("example." is not one of libunbound's
   built-in local zones, "test." is). */
static const char zone_text[] =
    "example. SOA\n"
    /* preference order, IPv4 and IPv6 */
    "pref.example. MX 20 mx2.pref.example.\n"
    "pref.example. MX 10 MX1.pref.example.\n"
    "pref.example. MX 30 mx3.pref.example.\n"
    "mx1.pref.example. A 127.0.0.11\n"
    "mx1.pref.example. AAAA 2001:db8::11\n"
    "mx2.pref.example. A 127.0.0.13\n"
    "mx2.pref.example. A 127.0.0.12\n"
    "mx3.pref.example. AAAA 2001:db8::13\n"
    /* equal preferences */
    "eq.example. MX 10 a.eq.example.\n"
    "eq.example. MX 10 b.eq.example.\n"
    "eq.example. MX 5 first.eq.example.\n"
    "eq.example. MX 10 c.eq.example.\n"
    "a.eq.example. A 127.0.1.1\n"
    "b.eq.example. A 127.0.1.2\n"
    "c.eq.example. A 127.0.1.3\n"
    "first.eq.example. A 127.0.1.4\n"
    /* no MX: the implicit MX */
    "implicit.example. A 127.0.0.21\n"
    "implicit.example. AAAA 2001:db8::21\n"
    "implicit.example. TXT no-mx-here\n"
    "v6only.example. AAAA 2001:db8::22\n"
    "bare.example. TXT nothing-at-all\n"
    /* RFC 7505 null MX, and a root mixed with a real host */
    "null.example. MX 0 .\n"
    "null10.example. MX 10 .\n"
    "mixed.example. MX 0 .\n"
    "mixed.example. MX 10 mx.partial.example.\n"
    /* failures */
    "servfail.example. SERVFAIL\n"
    "drop.example. DROP\n"
    /* MX hosts without addresses */
    "noaddr.example. MX 10 gone.noaddr.example.\n"
    "noaddr.example. MX 20 empty.noaddr.example.\n"
    "empty.noaddr.example. TXT no-address\n"
    "partial.example. MX 10 gone.partial.example.\n"
    "partial.example. MX 20 mx.partial.example.\n"
    "mx.partial.example. A 127.0.0.31\n"
    "tempaddr.example. MX 10 sf.tempaddr.example.\n"
    "sf.tempaddr.example. SERVFAIL\n"
    "v6fail.example. MX 10 mx.v6fail.example.\n"
    "mx.v6fail.example. A 127.0.0.32\n"
    "mx.v6fail.example. SERVFAIL AAAA\n"
    "slowaddr.example. MX 10 d.slowaddr.example.\n"
    "slowaddr.example. MX 20 ok.slowaddr.example.\n"
    "d.slowaddr.example. DROP\n"
    "ok.slowaddr.example. A 127.0.0.33\n"
    /* CNAMEs */
    "cname.example. CNAME pref.example.\n"
    "mxcname.example. MX 10 alias.mxcname.example.\n"
    "alias.mxcname.example. CNAME real.mxcname.example.\n"
    "real.mxcname.example. A 127.0.0.41\n"
    /* we are mail.buzon.example */
    "loop.example. MX 10 mail.buzon.example.\n"
    "loop.example. MX 20 backup.loop.example.\n"
    "backup.example. MX 10 primary.backup.example.\n"
    "backup.example. MX 20 mail.buzon.example.\n"
    "backup.example. MX 30 tertiary.backup.example.\n"
    "primary.backup.example. A 127.0.0.51\n"
    "mail.buzon.example. A 127.0.0.1\n";

static char tmpdir[64];
static char port_str[32];
static pid_t dnsd_pid;
static int dnsd_stdin = -1;

/* Start dnsd.py on a free port; port_str gets "127.0.0.1:PORT". */
static bool
dnsd_start(void)
{
	const char *script = getenv("BUZON_DNSD");
	char zone[128], log[128], line[16];
	posix_spawn_file_actions_t fa;
	int in[2], out[2], fd;
	size_t n = 0;
	char *argv[8];

	if (script == NULL)
		script = "tests/lib/dnsd.py";
	strcpy(tmpdir, "/tmp/buzon-dnsXXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return false;
	snprintf(zone, sizeof(zone), "%s/zone", tmpdir);
	snprintf(log, sizeof(log), "%s/queries", tmpdir);
	fd = open(zone, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, zone_text, sizeof(zone_text) - 1) !=
			  (ssize_t)(sizeof(zone_text) - 1))
		return false;
	close(fd);
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		return false;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	argv[0] = "/usr/bin/python3";
	argv[1] = (char *)script;
	argv[2] = "--zone";
	argv[3] = zone;
	argv[4] = "--log";
	argv[5] = log;
	argv[6] = NULL;
	if (posix_spawn(&dnsd_pid, argv[0], &fa, NULL, argv, environ) != 0)
		return false;
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	dnsd_stdin = in[1];
	while (n < sizeof(line) - 1) {
		struct pollfd p = {.fd = out[0], .events = POLLIN};
		ssize_t got;

		if (poll(&p, 1, 10000) <= 0)
			break;
		got = read(out[0], line + n, 1);
		if (got <= 0 || line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(out[0]);
	if (n == 0)
		return false;
	snprintf(port_str, sizeof(port_str), "127.0.0.1:%s", line);
	return true;
}

static void
dnsd_stop(void)
{
	static const char *const files[] = {"zone", "queries", "resolv.conf",
					    "anchor"};
	char path[128];

	if (dnsd_stdin >= 0)
		close(dnsd_stdin);
	if (dnsd_pid > 0) {
		kill(dnsd_pid, SIGKILL);
		waitpid(dnsd_pid, NULL, 0);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

/* Query log of dnsd: does it hold the line "name TYPE"? */
static bool
dnsd_asked(const char *name, const char *type)
{
	char path[128], line[300], want[300];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/queries", tmpdir);
	snprintf(want, sizeof(want), "%s %s\n", name, type);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strcmp(line, want) == 0;
	fclose(f);
	return found;
}

struct result {
	struct ev *ev;
	struct dns_route *route;
	int calls;
	bool stop_on_done;
};

static void
on_done(struct dns_route *route, void *arg)
{
	struct result *res = arg;

	res->calls++;
	dns_route_free(&res->route);
	res->route = route;
	if (res->stop_on_done)
		ev_stop(res->ev);
}

static void
on_guard(struct ev *ev, void *arg)
{
	bool *fired = arg;

	*fired = true;
	ev_stop(ev);
}

/* Run the loop until res gets its callback (or 10 s pass). */
static void
wait_result(struct ev *ev, struct result *res)
{
	bool fired = false;
	uint64_t guard = ev_add_timer(ev, 10000, on_guard, &fired);

	res->stop_on_done = true;
	while (res->calls == 0 && !fired)
		ev_run(ev);
	ev_del_timer(ev, guard);
	TEST_ASSERT(!fired);
}

static struct dns_route *
lookup(struct dns_resolver *r, struct ev *ev, const char *domain)
{
	struct result res = {.ev = ev};
	struct dns_mx_lookup *l = dns_mx_lookup(r, domain, on_done, &res);

	TEST_ASSERT(l != NULL);
	TEST_ASSERT_INTEQ(res.calls, 0); /* never synchronous */
	wait_result(ev, &res);
	TEST_ASSERT_INTEQ(res.calls, 1);
	return res.route;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "status|host pref status addrs...;host ..." with the addresses of one
   family sorted (libunbound may rotate RRsets); IPv6 must come first. */
static void
describe(const struct dns_route *route, struct buf *out)
{
	buf_printf(out, "%s|", dns_status_name(route->status));
	if (route->implicit)
		buf_printf(out, "implicit|");
	for (size_t i = 0; i < route->nhosts; i++) {
		const struct dns_host *h = &route->hosts[i];
		const char *texts[2 * DNS_HOST_ADDRS_MAX];
		size_t n6 = 0;

		buf_printf(out, "%s%s %u %s", i ? ";" : "", h->name,
			   (unsigned)h->pref, dns_status_name(h->status));
		TEST_ASSERT(h->naddrs <= 2 * DNS_HOST_ADDRS_MAX);
		for (size_t k = 0; k < h->naddrs; k++) {
			texts[k] = h->addrs[k].text;
			if (h->addrs[k].u.sa.sa_family == AF_INET6) {
				TEST_ASSERT_INTEQ(n6, k);
				TEST_ASSERT_INTEQ(h->addrs[k].len,
						  sizeof(struct sockaddr_in6));
				n6++;
			} else {
				TEST_ASSERT_INTEQ(h->addrs[k].u.sa.sa_family,
						  AF_INET);
				TEST_ASSERT_INTEQ(h->addrs[k].len,
						  sizeof(struct sockaddr_in));
			}
		}
		qsort(texts, n6, sizeof(texts[0]), cmp_str);
		qsort(texts + n6, h->naddrs - n6, sizeof(texts[0]), cmp_str);
		for (size_t k = 0; k < h->naddrs; k++)
			buf_printf(out, " %s", texts[k]);
	}
	buf_append(out, "", 1);
}

struct route_case {
	const char *domain;
	const char *want;
	const char *error; /* a substring of route->error */
};

static const struct route_case route_cases[] = {
    {"pref.example",
     "ok|mx1.pref.example 10 ok 2001:db8::11 127.0.0.11;"
     "mx2.pref.example 20 ok 127.0.0.12 127.0.0.13;"
     "mx3.pref.example 30 ok 2001:db8::13",
     ""},
    {"PREF.Example.",
     "ok|mx1.pref.example 10 ok 2001:db8::11 127.0.0.11;"
     "mx2.pref.example 20 ok 127.0.0.12 127.0.0.13;"
     "mx3.pref.example 30 ok 2001:db8::13",
     ""},
    {"cname.example",
     "ok|mx1.pref.example 10 ok 2001:db8::11 127.0.0.11;"
     "mx2.pref.example 20 ok 127.0.0.12 127.0.0.13;"
     "mx3.pref.example 30 ok 2001:db8::13",
     ""},
    {"implicit.example",
     "ok|implicit|implicit.example 0 ok 2001:db8::21 127.0.0.21", ""},
    {"v6only.example", "ok|implicit|v6only.example 0 ok 2001:db8::22", ""},
    {"bare.example", "no-address|implicit|bare.example 0 no-address",
     "the domain (no MX) of bare.example has no A or AAAA record"},
    {"null.example", "null-mx|", "accepts no mail"},
    {"null10.example", "null-mx|", "null MX"},
    {"mixed.example", "ok|mx.partial.example 10 ok 127.0.0.31", ""},
    {"nx.example", "nxdomain|", "domain nx.example does not exist"},
    {"servfail.example", "tempfail|",
     "MX lookup for servfail.example failed: SERVFAIL"},
    {"noaddr.example",
     "no-address|gone.noaddr.example 10 no-address;"
     "empty.noaddr.example 20 no-address",
     "no MX host of noaddr.example has no A or AAAA"},
    {"partial.example",
     "ok|gone.partial.example 10 no-address;"
     "mx.partial.example 20 ok 127.0.0.31",
     ""},
    {"tempaddr.example", "tempfail|sf.tempaddr.example 10 tempfail",
     "address lookup for the MX hosts of tempaddr.example failed"},
    {"v6fail.example", "ok|mx.v6fail.example 10 ok 127.0.0.32", ""},
    {"mxcname.example", "ok|alias.mxcname.example 10 ok 127.0.0.41", ""},
    {"loop.example", "loop|", "loops back to myself"},
    {"backup.example", "ok|primary.backup.example 10 ok 127.0.0.51", ""},
    {"bad..example", "bad-domain|", "not a valid domain name"},
    {"[192.0.2.1]", "bad-domain|", "not a valid domain name"},
};

static struct ev *ev;
static struct dns_resolver *res_main;

/* A resolver asking dnsd, without DNSSEC unless cfg says otherwise. */
static struct dns_resolver *
make_resolver(struct dns_config cfg)
{
	const char *error = NULL;
	struct dns_resolver *r;

	if (cfg.forwarder == NULL)
		cfg.forwarder = port_str;
	if (cfg.trust_anchor == NULL)
		cfg.trust_anchor = "";
	r = dns_resolver_new(ev, &cfg, &error);
	TEST_ASSERT(r != NULL);
	if (r == NULL)
		fprintf(stderr, "dns_resolver_new: %s\n", error);
	return r;
}

static void
test_routes(void)
{
	for (size_t i = 0; i < sizeof(route_cases) / sizeof(route_cases[0]);
	     i++) {
		const struct route_case *c = &route_cases[i];
		struct dns_route *route;
		struct buf out;

		test_begin(c->domain);
		route = lookup(res_main, ev, c->domain);
		if (route == NULL)
			continue;
		buf_init(&out, 0);
		describe(route, &out);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&out), c->want);
		TEST_ASSERT(route->error != NULL &&
			    strstr(route->error, c->error) != NULL);
		if (route->status == DNS_OK)
			TEST_ASSERT_STREQ(route->error, "");
		TEST_ASSERT(!route->secure); /* no trust anchor */
		TEST_ASSERT_INTEQ(dns_status_permanent(route->status),
				  route->status != DNS_OK &&
				      route->status != DNS_TEMPFAIL);
		buf_deinit(&out);
		dns_route_free(&route);
		TEST_ASSERT(route == NULL);
	}
	/* A and AAAA of every MX host were asked. */
	test_begin("queries");
	TEST_ASSERT(dnsd_asked("mx3.pref.example.", "A"));
	TEST_ASSERT(dnsd_asked("mx3.pref.example.", "AAAA"));
	TEST_ASSERT(dnsd_asked("implicit.example.", "MX"));
	TEST_ASSERT(!dnsd_asked("bad..example.", "MX"));
}

/* RFC 5321 5.1: equal preferences in random order, lower ones first. */
static void
test_equal_spread(void)
{
	unsigned seen[3] = {0};

	test_begin("equal spread");
	for (int run = 0; run < 60; run++) {
		struct dns_route *route = lookup(res_main, ev, "eq.example");

		if (route == NULL)
			return;
		TEST_ASSERT_INTEQ(route->status, DNS_OK);
		TEST_ASSERT_INTEQ(route->nhosts, 4);
		if (route->nhosts == 4) {
			char c = route->hosts[1].name[0];

			TEST_ASSERT_STREQ(route->hosts[0].name,
					  "first.eq.example");
			TEST_ASSERT(c >= 'a' && c <= 'c');
			if (c >= 'a' && c <= 'c')
				seen[c - 'a']++;
		}
		dns_route_free(&route);
	}
	/* 60 runs: each of 3 hosts leads about 20 times; missing one has
	   odds of 3 * (2/3)^60, about 1e-10. */
	TEST_ASSERT(seen[0] > 0 && seen[1] > 0 && seen[2] > 0);
}

/* Records the bounds it is asked for; never swaps. */
struct rnd_log {
	uint32_t bounds[16];
	size_t n;
};

static uint32_t
rnd_logged(void *arg, uint32_t bound)
{
	struct rnd_log *log = arg;

	if (log->n < 16)
		log->bounds[log->n++] = bound;
	return bound - 1;
}

/* The configured random source decides the order among equals: it is
   asked once per Fisher-Yates step of the group of three (bounds 3, 2),
   never for the lone lower preference. */
static void
test_injected_rnd(void)
{
	struct rnd_log log = {.n = 0};
	struct dns_resolver *r;
	struct dns_route *route;

	test_begin("injected rnd");
	r = make_resolver(
	    (struct dns_config){.rnd = rnd_logged, .rnd_arg = &log});
	if (r == NULL)
		return;
	route = lookup(r, ev, "eq.example");
	TEST_ASSERT(route != NULL && route->nhosts == 4);
	TEST_ASSERT_INTEQ(log.n, 2);
	TEST_ASSERT_INTEQ(log.bounds[0], 3);
	TEST_ASSERT_INTEQ(log.bounds[1], 2);
	dns_route_free(&route);
	route = lookup(r, ev, "pref.example");
	TEST_ASSERT_INTEQ(log.n, 2);
	dns_route_free(&route);
	dns_resolver_free(&r);
	TEST_ASSERT(r == NULL);
}

static void
on_not_expected(struct dns_route *route, void *arg)
{
	int *calls = arg;

	(*calls)++;
	dns_route_free(&route);
}

/* A cancelled lookup never calls back, whether its answer is near or far,
   and the resolver frees what is still in flight. */
static void
test_cancel(void)
{
	struct dns_resolver *r;
	struct dns_mx_lookup *l1, *l2, *l3, *l4;
	struct dns_route *route;
	int calls = 0;

	test_begin("cancel");
	if ((r = make_resolver((struct dns_config){0})) == NULL)
		return;
	l1 = dns_mx_lookup(r, "partial.example", on_not_expected, &calls);
	l2 = dns_mx_lookup(r, "drop.example", on_not_expected, &calls);
	l3 = dns_mx_lookup(r, "bad..example", on_not_expected, &calls);
	dns_mx_cancel(&l1);
	dns_mx_cancel(&l2);
	dns_mx_cancel(&l3);
	TEST_ASSERT(l1 == NULL && l2 == NULL && l3 == NULL);
	dns_mx_cancel(&l1); /* NULL is fine */
	/* The answer to the cancelled partial.example MX query arrives
	   while this one runs (same server, sent earlier). */
	route = lookup(r, ev, "partial.example");
	TEST_ASSERT(route != NULL && route->status == DNS_OK);
	dns_route_free(&route);
	route = lookup(r, ev, "pref.example");
	dns_route_free(&route);
	TEST_ASSERT_INTEQ(calls, 0);
	/* Left in flight: the resolver cancels them when freed. */
	l4 = dns_mx_lookup(r, "drop.example", on_not_expected, &calls);
	(void)l4;
	(void)dns_mx_lookup(r, "pref.example", on_not_expected, &calls);
	dns_resolver_free(&r);
	TEST_ASSERT_INTEQ(calls, 0);
}

static void
on_stop(struct ev *e, void *arg)
{
	(void)arg;
	ev_stop(e);
}

/* Cancel during the address stage: slowaddr's first host never answers. */
static void
test_cancel_addresses(void)
{
	struct dns_resolver *r;
	struct dns_mx_lookup *l;
	int calls = 0;

	test_begin("cancel addresses");
	if ((r = make_resolver((struct dns_config){0})) == NULL)
		return;
	l = dns_mx_lookup(r, "slowaddr.example", on_not_expected, &calls);
	/* Long enough for the MX answer and ok.slowaddr's A/AAAA. */
	for (int i = 0; i < 30 && !dnsd_asked("ok.slowaddr.example.", "A");
	     i++) {
		ev_add_timer(ev, 20, on_stop, NULL);
		ev_run(ev);
	}
	ev_add_timer(ev, 100, on_stop, NULL);
	ev_run(ev);
	TEST_ASSERT(dnsd_asked("d.slowaddr.example.", "AAAA"));
	TEST_ASSERT_INTEQ(calls, 0);
	dns_mx_cancel(&l);
	dns_resolver_free(&r);
	TEST_ASSERT_INTEQ(calls, 0);
}

/* The deadline: the MX stage is a temporary failure; in the address
   stage, hosts that answered are kept. */
static void
test_timeout(void)
{
	struct dns_resolver *r;
	struct dns_route *route;
	struct buf out;

	test_begin("timeout");
	if ((r = make_resolver((struct dns_config){.timeout_ms = 1500})) ==
	    NULL)
		return;
	route = lookup(r, ev, "drop.example");
	TEST_ASSERT(route != NULL && route->status == DNS_TEMPFAIL);
	if (route != NULL)
		TEST_ASSERT_STREQ(route->error,
				  "MX lookup for drop.example timed out");
	dns_route_free(&route);
	route = lookup(r, ev, "slowaddr.example");
	if (route != NULL) {
		buf_init(&out, 0);
		describe(route, &out);
		TEST_ASSERT_STREQ((const char *)buf_rptr(&out),
				  "ok|d.slowaddr.example 10 tempfail;"
				  "ok.slowaddr.example 20 ok 127.0.0.33");
		buf_deinit(&out);
	}
	dns_route_free(&route);
	dns_resolver_free(&r);
}

struct config_case {
	const char *forwarder;
	bool ok;
};

static const struct config_case config_cases[] = {
    {"127.0.0.1", true},
    {"127.0.0.1:53", true},
    {"[::1]:5353", true},
    {"[::1]", true},
    {"::1", true},
    {"2001:db8::1", true},
    {"localhost:53", false},
    {"127.0.0.1:", false},
    {"127.0.0.1:0", false},
    {"127.0.0.1:65536", false},
    {"127.0.0.1:+53", false},
    {"[::1", false},
    {"[::1]53", false},
    {"[127.0.0.1]:53", false},
    {"1.2.3.4:5:6", false},
    {"", false},
    {":53", false},
};

static void
test_config(void)
{
	char path[128];
	const char *error;
	struct dns_resolver *r;
	FILE *f;

	for (size_t i = 0; i < sizeof(config_cases) / sizeof(config_cases[0]);
	     i++) {
		struct dns_config cfg = {.forwarder = config_cases[i].forwarder,
					 .trust_anchor = ""};

		test_begin(config_cases[i].forwarder);
		error = NULL;
		r = dns_resolver_new(ev, &cfg, &error);
		TEST_ASSERT_INTEQ(r != NULL, config_cases[i].ok);
		if (r == NULL)
			TEST_ASSERT(error != NULL &&
				    strstr(error, "forwarder"));
		dns_resolver_free(&r);
	}

	test_begin("resolv.conf");
	snprintf(path, sizeof(path), "%s/resolv.conf", tmpdir);
	f = fopen(path, "w");
	TEST_ASSERT(f != NULL);
	if (f != NULL) {
		fputs("search example\nnameserver 127.0.0.1\n", f);
		fclose(f);
	}
	{
		struct dns_config cfg = {.resolv_conf = path,
					 .trust_anchor = ""};

		r = dns_resolver_new(ev, &cfg, &error);
		TEST_ASSERT(r != NULL);
		dns_resolver_free(&r);
		cfg.resolv_conf = "/nonexistent/resolv.conf";
		error = NULL;
		r = dns_resolver_new(ev, &cfg, &error);
		TEST_ASSERT(r == NULL && error != NULL &&
			    strstr(error, "resolv.conf") != NULL);
	}

	test_begin("myhostname");
	{
		struct dns_config cfg = {.forwarder = port_str,
					 .trust_anchor = "",
					 .myhostname = "bad..name"};

		error = NULL;
		r = dns_resolver_new(ev, &cfg, &error);
		TEST_ASSERT(r == NULL && error != NULL);
	}

	test_begin("trust anchor");
	{
		struct dns_config cfg = {.forwarder = port_str,
					 .trust_anchor =
					     "/nonexistent/root.key"};

		error = NULL;
		r = dns_resolver_new(ev, &cfg, &error);
		TEST_ASSERT(r == NULL && error != NULL &&
			    strstr(error, "trust anchor") != NULL);
		snprintf(path, sizeof(path), "%s/anchor", tmpdir);
		f = fopen(path, "w");
		TEST_ASSERT(f != NULL);
		if (f != NULL) {
			fputs("this is not a DS record\n", f);
			fclose(f);
		}
		cfg.trust_anchor = path;
		error = NULL;
		r = dns_resolver_new(ev, &cfg, &error);
		TEST_ASSERT(r == NULL && error != NULL &&
			    strstr(error, "trust anchor") != NULL);
	}

	test_begin("status names");
	TEST_ASSERT_STREQ(dns_status_name(DNS_OK), "ok");
	TEST_ASSERT_STREQ(dns_status_name(DNS_BAD_DOMAIN), "bad-domain");
	TEST_ASSERT_STREQ(dns_status_name((enum dns_status)99), "unknown");
	TEST_ASSERT(!dns_status_permanent(DNS_OK));
	TEST_ASSERT(!dns_status_permanent(DNS_TEMPFAIL));
	TEST_ASSERT(dns_status_permanent(DNS_NULL_MX));
	TEST_ASSERT(dns_status_permanent(DNS_NXDOMAIN));
}

/* With a trust anchor, the unsigned test zone cannot be validated (the
   server has no root DNSKEY to give): a temporary failure, not a route. */
static void
test_dnssec_bogus(void)
{
	/* The root KSK-2017 DS record (RFC 4034 5 format). */
	static const char anchor[] =
	    ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BB"
	    "C683457104237C7F8EC8D\n";
	struct dns_resolver *r;
	struct dns_route *route;
	char path[128];
	FILE *f;

	test_begin("dnssec");
	snprintf(path, sizeof(path), "%s/anchor", tmpdir);
	f = fopen(path, "w");
	TEST_ASSERT(f != NULL);
	if (f == NULL)
		return;
	fputs(anchor, f);
	fclose(f);
	r = make_resolver(
	    (struct dns_config){.trust_anchor = path, .timeout_ms = 5000});
	if (r == NULL)
		return;
	route = lookup(r, ev, "pref.example");
	TEST_ASSERT(route != NULL && route->status == DNS_TEMPFAIL);
	if (route != NULL) {
		TEST_ASSERT(!route->secure);
		TEST_ASSERT(strstr(route->error, "DNSSEC validation failed"));
	}
	dns_route_free(&route);
	dns_resolver_free(&r);
}

static void
test_setup(void)
{
	test_begin("setup");
	signal(SIGPIPE, SIG_IGN);
	log_set_level(LOG_WARN);
	ev = ev_new();
	TEST_ASSERT(dnsd_start());
	res_main = make_resolver(
	    (struct dns_config){.myhostname = "Mail.Buzon.Example."});
	if (res_main == NULL) {
		dnsd_stop();
		exit(1);
	}
}

static void
test_teardown(void)
{
	test_begin("teardown");
	dns_resolver_free(&res_main);
	ev_free(&ev);
	dnsd_stop();
}

TEST_MAIN(test_setup, test_routes, test_equal_spread, test_injected_rnd,
	  test_cancel, test_cancel_addresses, test_config, test_dnssec_bogus,
	  test_timeout, test_teardown)

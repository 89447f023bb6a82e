/* cli_serve.c: `buzon serve`: bind, drop privileges, run the event loop. */
/* SPDX-License-Identifier: MIT */
#include "cli/cli.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "config.h"
#include "conn.h"
#include "ev.h"
#include "imap/imap_server.h"
#include "limits.h"
#include "listener.h"
#include "log.h"
#include "pool.h"
#include "pop3/pop3_server.h"
#include "priv.h"
#include "queue/queue.h"
#include "smtp/smtp_server.h"
#include "store/store.h"
#include "tls.h"
#include "web/http_server.h"

static const char serve_usage[] =
    "usage: buzon [-c FILE] serve\n"
    "\n"
    "Runs the mail server in the foreground and logs to stderr.\n"
    "SIGTERM or SIGINT: graceful stop.  SIGHUP: reload the config\n"
    "(domains, limits, TLS certificate; listeners need a restart).\n";

/* Listeners this build serves; the others are refused at start-up
   rather than silently ignored. */
static bool
serve_supported(enum listen_kind k)
{
	return k == LISTEN_SMTP || k == LISTEN_SUBMISSION ||
	       k == LISTEN_SUBMISSIONS || k == LISTEN_POP3 ||
	       k == LISTEN_POP3S || k == LISTEN_IMAP || k == LISTEN_IMAPS ||
	       k == LISTEN_HTTP || k == LISTEN_HTTPS;
}

struct serve {
	struct smtp_server srv;
	struct pop3_server pop3;
	struct imap_server imap;
	struct http_server http;
	struct listener *listeners[LISTEN__COUNT];
	struct smtp_listen_arg args[LISTEN__COUNT];
	struct pop3_listen_arg pop3_args[LISTEN__COUNT];
	struct imap_listen_arg imap_args[LISTEN__COUNT];
	struct http_listen_arg http_args[LISTEN__COUNT];
	struct queue_runner *queue;
	unsigned max_total, max_per_ip;
	const char *config_path;
	int sigfd;
};

static SSL_CTX *
serve_tls(const struct config *cfg)
{
	const char *error;
	SSL_CTX *ctx = tls_server_ctx(cfg->tls_cert, cfg->tls_key,
				      cfg->data_dir, cfg->hostname, &error);

	if (ctx == NULL)
		log_error("TLS setup failed: %s", error);
	return ctx;
}

static void
serve_reload(struct serve *sv)
{
	char *error;
	struct config *cfg = config_load(sv->config_path, &error);
	SSL_CTX *tls;
	int k;

	if (cfg == NULL) {
		log_error("reload failed, keeping the old config: %s", error);
		free(error);
		return;
	}
	for (k = 0; k < LISTEN__COUNT; k++) {
		const char *a = sv->srv.cfg->listen[k], *b = cfg->listen[k];

		if ((a == NULL) != (b == NULL) ||
		    (a != NULL && strcmp(a, b) != 0))
			log_warn("reload: listener %s changed; restart to apply",
				 config_listen_name(k));
	}
	if ((tls = serve_tls(cfg)) != NULL) {
		SSL_CTX_free(sv->srv.tls); /* sessions hold their own refs */
		sv->srv.tls = tls;
		sv->pop3.tls = tls;
		sv->imap.tls = tls;
		sv->http.tls = tls;
	}
	log_set_level(cfg->log_level);
	sv->max_total = cfg->connections;
	sv->max_per_ip = cfg->connections_per_ip;
	config_free(&sv->srv.cfg);
	sv->srv.cfg = cfg;
	sv->pop3.cfg = cfg;
	sv->imap.cfg = cfg;
	sv->http.cfg = cfg;
	log_info("reloaded %s", sv->config_path);
}

/* The last word: sessions still waiting for the store are dropped. */
static void
serve_on_deadline(struct ev *ev, void *arg)
{
	(void)arg;
	log_error("shutdown: sessions still busy; exiting anyway");
	ev_stop(ev);
}

/* The grace period is over: cut the connections still open. */
static void
serve_on_grace(struct ev *ev, void *arg)
{
	struct serve *sv = arg;

	log_info("shutdown: closing %u connections",
		 sv->srv.sessions.count + sv->pop3.sessions.count +
		     sv->imap.sessions.count + sv->http.sessions.count);
	smtp_server_abort(&sv->srv);
	pop3_server_abort(&sv->pop3);
	imap_server_abort(&sv->imap);
	http_server_abort(&sv->http);
	ev_add_timer(ev, SERVE_SHUTDOWN_GRACE_MS, serve_on_deadline, sv);
}

/* Every service has stopped and its last session is gone: leave. */
static void
serve_on_idle(void *arg)
{
	struct serve *sv = arg;

	if (sv->srv.sessions.shutting_down && sv->srv.sessions.count == 0 &&
	    sv->pop3.sessions.shutting_down && sv->pop3.sessions.count == 0 &&
	    sv->imap.sessions.shutting_down && sv->imap.sessions.count == 0 &&
	    sv->http.sessions.shutting_down && sv->http.sessions.count == 0 &&
	    (sv->queue == NULL || queue_runner_idle(sv->queue)))
		ev_stop(sv->srv.ev);
}

/* Stop accepting, say 421 (SMTP), -ERR (POP3) or BYE (IMAP) to every
   session, close idle HTTP connections, and leave the loop once the last one is gone (deliveries in
   flight are acknowledged first). */
static void
serve_shutdown(struct serve *sv)
{
	unsigned k;

	for (k = 0; k < LISTEN__COUNT; k++)
		if (sv->listeners[k] != NULL)
			listener_stop(sv->listeners[k]);
	ev_add_timer(sv->srv.ev, SERVE_SHUTDOWN_GRACE_MS, serve_on_grace, sv);
	smtp_server_shutdown(&sv->srv);
	pop3_server_shutdown(&sv->pop3);
	imap_server_shutdown(&sv->imap);
	http_server_shutdown(&sv->http);
	/* outbound sessions quit after their message; the rest stays
	   queued for the next start */
	if (sv->queue != NULL)
		queue_runner_stop(sv->queue, serve_on_idle, sv);
}

static void
serve_on_signal(struct ev *ev, int fd, unsigned events, void *arg)
{
	struct serve *sv = arg;
	struct signalfd_siginfo si;

	(void)events;
	(void)ev;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			serve_reload(sv);
			continue;
		}
		if (sv->srv.sessions.shutting_down)
			continue;
		log_info("signal %u: stopping", si.ssi_signo);
		serve_shutdown(sv);
	}
}

static void
serve_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* As root: make the data dir belong to the run user, then become it. */
static int
serve_drop_privileges(const struct config *cfg)
{
	const char *error;
	struct stat st;
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0)
		return 0;
	if (priv_resolve_user(cfg->run_user, &uid, &gid, &error) < 0) {
		log_error("%s: %s", cfg->path, error);
		return -1;
	}
	if (uid == 0) {
		log_warn("running as root ([server] user = root)");
		return 0;
	}
	if (stat(cfg->data_dir, &st) == 0 &&
	    (st.st_uid != uid || st.st_gid != gid) &&
	    priv_chown_tree(cfg->data_dir, uid, gid) < 0) {
		log_error("cannot give %s to uid %u: %s", cfg->data_dir,
			  (unsigned)uid, strerror(errno));
		return -1;
	}
	if (priv_drop(uid, gid) < 0) {
		log_error("cannot drop privileges to uid %u: %s",
			  (unsigned)uid, strerror(errno));
		return -1;
	}
	if (access(cfg->data_dir, R_OK | W_OK | X_OK) < 0) {
		log_error("%s is not accessible by uid %u after dropping root "
			  "(check the permissions of its parent directories): "
			  "%s",
			  cfg->data_dir, (unsigned)uid, strerror(errno));
		return -1;
	}
	log_info("running as uid=%u gid=%u", (unsigned)uid, (unsigned)gid);
	return 0;
}

static int
serve_signals(struct serve *sv)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	/* Block before any thread starts so every thread inherits it. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	sv->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return sv->sigfd < 0 ? -1 : 0;
}

int
cli_serve(const char *config_path, int argc, char **argv)
{
	static struct serve sv;
	struct config *cfg;
	struct ev *ev;
	const char *error;
	struct listener_limits lim;
	int k, rc = 1;

	if (cli_wants_help(argc, argv)) {
		fputs(serve_usage, stdout);
		return 0;
	}
	if (argc != 1) {
		fputs(serve_usage, stderr);
		return 2;
	}
	if ((cfg = cli_load_config(config_path)) == NULL)
		return 1;
	sv.config_path = config_path;
	log_set_level(cfg->log_level);
	for (k = 0; k < LISTEN__COUNT; k++) {
		if (cfg->listen[k] != NULL && !serve_supported(k)) {
			fprintf(stderr,
				"buzon: %s: [listen] %s: this version does not "
				"serve %s yet; remove the line\n",
				cfg->path, config_listen_name(k),
				config_listen_name(k));
			config_free(&cfg);
			return 1;
		}
	}
	serve_raise_nofile();
	if (mkdir(cfg->data_dir, 0750) < 0 && errno != EEXIST) {
		log_error("%s: %s", cfg->data_dir, strerror(errno));
		goto out_cfg;
	}
	for (k = 0; k < LISTEN__COUNT; k++) {
		if (cfg->listen[k] == NULL)
			continue;
		sv.listeners[k] = listener_bind(cfg->listen[k], &error);
		if (sv.listeners[k] == NULL) {
			log_error("%s: [listen] %s = %s: %s", cfg->path,
				  config_listen_name(k), cfg->listen[k], error);
			goto out_listeners;
		}
	}
	/* The key may be readable by root only: load it before the drop. */
	if ((sv.srv.tls = serve_tls(cfg)) == NULL)
		goto out_listeners;
	if (serve_signals(&sv) < 0) {
		log_error("signals: %s", strerror(errno));
		goto out_listeners;
	}
	if (serve_drop_privileges(cfg) < 0)
		goto out_listeners;

	ev = ev_new();
	conn_module_init(ev);
	sv.srv.cfg = cfg;
	sv.srv.ev = ev;
	sv.srv.pool = pool_new(ev, cfg->workers + POOL_IO_THREADS);
	pool_set_cpu_max(sv.srv.pool, cfg->workers);
	if ((sv.srv.store = store_open(cfg->data_dir, sv.srv.pool, &error)) ==
	    NULL) {
		log_error("%s: %s", cfg->data_dir, error);
		pool_free(&sv.srv.pool);
		ev_free(&ev);
		goto out_listeners;
	}
	sv.srv.limiter = auth_limiter_new();
	sv.srv.sessions.on_idle = serve_on_idle;
	sv.srv.sessions.idle_arg = &sv;
	sv.pop3.cfg = cfg;
	sv.pop3.ev = ev;
	sv.pop3.pool = sv.srv.pool;
	sv.pop3.store = sv.srv.store;
	sv.pop3.tls = sv.srv.tls;
	sv.pop3.limiter = sv.srv.limiter;
	sv.pop3.sessions.on_idle = serve_on_idle;
	sv.pop3.sessions.idle_arg = &sv;
	sv.imap.cfg = cfg;
	sv.imap.ev = ev;
	sv.imap.pool = sv.srv.pool;
	sv.imap.store = sv.srv.store;
	sv.imap.tls = sv.srv.tls;
	sv.imap.limiter = sv.srv.limiter;
	sv.imap.sessions.on_idle = serve_on_idle;
	sv.imap.sessions.idle_arg = &sv;
	sv.http.cfg = cfg;
	sv.http.ev = ev;
	sv.http.pool = sv.srv.pool;
	sv.http.store = sv.srv.store;
	sv.http.tls = sv.srv.tls;
	sv.http.limiter = sv.srv.limiter;
	sv.http.sessions.on_idle = serve_on_idle;
	sv.http.sessions.idle_arg = &sv;
	sv.max_total = cfg->connections;
	sv.max_per_ip = cfg->connections_per_ip;
	lim.max_total = &sv.max_total;
	lim.max_per_ip = &sv.max_per_ip;
	if (imap_server_start(&sv.imap) < 0)
		log_error("imap: cannot watch the store");
	else if ((sv.queue = queue_runner_new(ev, sv.srv.pool, sv.srv.store,
					      &sv.srv.cfg, &error)) == NULL) {
		log_error("queue: %s", error);
		imap_server_abort(&sv.imap); /* removes the store hook */
	}
	if (sv.queue == NULL) {
		store_close(&sv.srv.store);
		pool_free(&sv.srv.pool);
		auth_limiter_free(&sv.srv.limiter);
		ev_free(&ev);
		goto out_listeners;
	}
	sv.srv.queue = sv.queue;
	sv.http.queue = sv.queue;
	ev_add_fd(ev, sv.sigfd, EV_READ, serve_on_signal, &sv);
	for (k = 0; k < LISTEN__COUNT; k++) {
		if (sv.listeners[k] == NULL)
			continue;
		sv.args[k].srv = &sv.srv;
		sv.pop3_args[k].srv = &sv.pop3;
		sv.imap_args[k].srv = &sv.imap;
		sv.args[k].kind = sv.pop3_args[k].kind = k;
		sv.imap_args[k].kind = k;
		sv.args[k].listener = sv.pop3_args[k].listener = sv.listeners[k];
		sv.imap_args[k].listener = sv.listeners[k];
		sv.http_args[k].srv = &sv.http;
		sv.http_args[k].kind = k;
		sv.http_args[k].listener = sv.listeners[k];
		if (k == LISTEN_HTTP || k == LISTEN_HTTPS)
			listener_start(sv.listeners[k], ev, &lim,
				       http_server_accept, http_server_refuse,
				       &sv.http_args[k]);
		else if (k == LISTEN_IMAP || k == LISTEN_IMAPS)
			listener_start(sv.listeners[k], ev, &lim,
				       imap_server_accept, imap_server_refuse,
				       &sv.imap_args[k]);
		else if (k == LISTEN_POP3 || k == LISTEN_POP3S)
			listener_start(sv.listeners[k], ev, &lim,
				       pop3_server_accept, pop3_server_refuse,
				       &sv.pop3_args[k]);
		else
			listener_start(sv.listeners[k], ev, &lim,
				       smtp_server_accept, smtp_server_refuse,
				       &sv.args[k]);
		log_info("listening %s=%s", config_listen_name(k),
			 cfg->listen[k]);
	}
	log_info("buzon ready hostname=%s domains=%zu data_dir=%s",
		 cfg->hostname, cfg->n_domains, cfg->data_dir);
	rc = ev_run(ev) < 0 ? 1 : 0;

	/* Stop accepting, then let the commits in flight finish: every
	   message already acknowledged is durable; the others are
	   retried by their clients. */
	for (k = 0; k < LISTEN__COUNT; k++)
		if (sv.listeners[k] != NULL)
			listener_free(&sv.listeners[k]);
	store_close(&sv.srv.store);
	pool_free(&sv.srv.pool);
	queue_runner_free(&sv.queue); /* the pool ran its last callbacks */
	auth_limiter_free(&sv.srv.limiter);
	log_info("stopped");
	ev_free(&ev);
	SSL_CTX_free(sv.srv.tls);
	cfg = sv.srv.cfg;
out_listeners:
	for (k = 0; k < LISTEN__COUNT; k++)
		if (sv.listeners[k] != NULL)
			listener_free(&sv.listeners[k]);
out_cfg:
	config_free(&cfg);
	return rc;
}

/* jmap_http.c: the JMAP endpoints over HTTP: session resource, API
   requests (one pool job each), blob upload and download, and the
   event-source stream (RFC 8620 2, 3, 6.1, 6.2, 7.3). */
/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "ev.h"
#include "limits.h"
#include "log.h"
#include "pool.h"
#include "web/http_session.h"
#include "web/jmap.h"
#include "web/jmap_mail.h"
#include "web/jmap_push.h"
#include "xalloc.h"

#define JMAP_PROBLEM "urn:ietf:params:jmap:error:"
/* Blob ids of uploads: 'U' and 32 hex digits. */
#define JMAP_BLOB_HEX 32

/* Requests and uploads running per account (maxConcurrentRequests,
   maxConcurrentUpload). */
struct http_account_load {
	int64_t account_id;
	unsigned requests, uploads;
	struct http_account_load *next;
};

static struct http_account_load *
jmap_http_load(struct http_server *srv, int64_t account_id)
{
	struct http_account_load *l;

	for (l = srv->loads; l != NULL; l = l->next)
		if (l->account_id == account_id)
			return l;
	l = xzalloc(sizeof(*l));
	l->account_id = account_id;
	l->next = srv->loads;
	srv->loads = l;
	return l;
}

static void
jmap_http_load_release(struct http_server *srv, int64_t account_id,
		       bool upload)
{
	struct http_account_load **pl, *l;

	for (pl = &srv->loads; (l = *pl) != NULL; pl = &l->next) {
		if (l->account_id != account_id)
			continue;
		if (upload)
			l->uploads--;
		else
			l->requests--;
		if (l->requests == 0 && l->uploads == 0) {
			*pl = l->next;
			free(l);
		}
		return;
	}
}

void
jmap_http_loads_free(struct http_server *srv)
{
	while (srv->loads != NULL) {
		struct http_account_load *l = srv->loads;

		srv->loads = l->next;
		free(l);
	}
}

static void
jmap_http_ctx(struct http_session *s, struct jmap_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->store = s->srv->store;
	ctx->account_id = s->account_id;
	ctx->account = s->account;
	ctx->hostname = s->srv->cfg->hostname;
	ctx->cfg = s->srv->cfg;
	ctx->queue = s->srv->queue;
}

/* "https://host:port" as the client reached us. */
static char *
jmap_http_base(struct http_session *s)
{
	const char *host = s->parser.req.host;

	if (host == NULL || host[0] == '\0')
		host = s->srv->cfg->hostname;
	return xasprintf("%s://%s", s->https ? "https" : "http", host);
}

/* The decoded value of query parameter key of the request into out:
   1 found, 0 absent, -1 malformed or too long. */
static int
jmap_http_query(struct http_session *s, const char *key, char *out,
		size_t outsz)
{
	const char *query, *name, *val;
	size_t plen, ql, nl, vl;

	http_parse_query_split(s->parser.req.path, &plen, &query);
	ql = query != NULL ? strlen(query) : 0;
	while (query != NULL &&
	       http_parse_query_next(&query, &ql, &name, &nl, &val, &vl) == 1) {
		if (nl != strlen(key) || memcmp(name, key, nl) != 0)
			continue;
		if (vl >= outsz || http_parse_form_decode(val, vl, out) < 0)
			return -1;
		return 1;
	}
	return 0;
}

/* ---- session resource (RFC 8620 2) ---- */

json_t *
jmap_http_session_json(struct http_session *s, int64_t account_id,
		       const char *account)
{
	struct jmap_ctx ctx;
	char *base = jmap_http_base(s);
	json_t *j;

	jmap_http_ctx(s, &ctx);
	ctx.account_id = account_id;
	ctx.account = account;
	j = jmap_session(&ctx, base);
	free(base);
	return j;
}

void
jmap_http_session(struct http_session *s)
{
	http_reply_json(s, 200, NULL,
			jmap_http_session_json(s, s->account_id, s->account));
}

/* ---- API requests (RFC 8620 3) ---- */

struct jmap_api_job {
	struct http_session *s;
	struct jmap_ctx ctx;
	const char *body;
	size_t len;
	json_t *resp, *problem;
	int status;
};

static void
jmap_api_work(void *arg)
{
	struct jmap_api_job *job = arg;

	job->resp = jmap_request(&job->ctx, job->body, job->len, &job->status,
				 &job->problem);
}

static void
jmap_api_done(void *arg)
{
	struct jmap_api_job *job = arg;
	struct http_session *s = job->s;

	jmap_http_load_release(s->srv, job->ctx.account_id, false);
	if (!http_session_job_done(s)) {
		json_decref(job->resp);
		json_decref(job->problem);
		free(job);
		return;
	}
	if (job->resp != NULL)
		http_reply_json(s, 200, NULL, job->resp);
	else
		http_reply_json(s, job->status, "application/problem+json",
				job->problem);
	free(job);
	http_session_resume(s);
}

/* Is the Content-Type application/json (parameters allowed)? */
static bool
jmap_http_is_json(const struct http_request *req)
{
	int i = http_parse_header_find(req->headers, req->nheaders,
				       "Content-Type", 0);
	static const char t[] = "application/json";
	const char *v;

	if (i < 0)
		return false;
	v = req->headers[i].value;
	return strncasecmp(v, t, sizeof(t) - 1) == 0 &&
	       (v[sizeof(t) - 1] == '\0' || v[sizeof(t) - 1] == ';' ||
		v[sizeof(t) - 1] == ' ');
}

void
jmap_http_api(struct http_session *s)
{
	struct http_account_load *load;
	struct jmap_api_job *job;

	if (!jmap_http_is_json(&s->parser.req)) {
		/* RFC 8620 3.6.1 */
		http_reply_problem(s, 400, JMAP_PROBLEM "notJSON", NULL,
				   "The content type must be application/json");
		return;
	}
	load = jmap_http_load(s->srv, s->account_id);
	if (load->requests >= JMAP_CONCURRENT_REQUESTS_MAX) {
		http_reply_problem(s, 400, JMAP_PROBLEM "limit",
				   "maxConcurrentRequests",
				   "Too many concurrent requests");
		return;
	}
	load->requests++;
	job = xzalloc(sizeof(*job));
	job->s = s;
	jmap_http_ctx(s, &job->ctx);
	job->body = (const char *)buf_rptr(&s->body);
	job->len = buf_len(&s->body);
	http_session_busy(s);
	pool_submit(s->srv->pool, jmap_api_work, jmap_api_done, job);
}

/* ---- blobs: upload (RFC 8620 6.1) and download (6.2) ---- */

/* The decoded path split at '/' after prefix: up to max segments into
   seg (pointers into buf).  Returns the count, or -1. */
static int
jmap_http_segments(struct http_session *s, size_t prefix, char *buf,
		   char **seg, int max)
{
	const char *target = s->parser.req.path, *query;
	size_t plen;
	long n;
	int k = 0;
	char *p;

	http_parse_query_split(target, &plen, &query);
	if ((n = http_parse_path(target, plen, buf)) < 0 || (size_t)n < prefix)
		return -1;
	p = buf + prefix;
	while (*p != '\0') {
		char *slash = strchr(p, '/');

		if (k == max)
			return -1;
		seg[k++] = p;
		if (slash == NULL)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return k;
}

/* The account id segment names the logged-in account. */
static bool
jmap_http_own_account(struct http_session *s, const char *seg)
{
	return jmap_account_parse(seg) == s->account_id;
}

struct jmap_blob_job {
	struct http_session *s;
	char *dir;   /* data_dir/uploads */
	char path[4096]; /* upload: the file; download: the blob id */
	struct store *store;
	char headers[1024]; /* download: Content-Disposition */
	const uint8_t *data; /* upload: the body */
	size_t len;
	uint8_t *out; /* download: the blob read */
	int64_t account_id;
	char blob_id[JMAP_BLOB_HEX + 2];
	int rc; /* 0, or an errno */
};

/* Delete uploads older than JMAP_UPLOAD_TTL_S (RFC 8620 6.1: unused
   blobs may go after an hour). */
static void
jmap_blob_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == 0 &&
		    now - st.st_mtime > (time_t)JMAP_UPLOAD_TTL_S)
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

static void
jmap_upload_work(void *arg)
{
	struct jmap_blob_job *job = arg;
	uint8_t rnd[JMAP_BLOB_HEX / 2];
	size_t i, off = 0;
	int fd;

	jmap_blob_sweep(job->dir);
	if (mkdir(job->dir, 0700) < 0 && errno != EEXIST) {
		job->rc = errno;
		return;
	}
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		job->rc = EIO;
		return;
	}
	job->blob_id[0] = 'U';
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(job->blob_id + 1 + 2 * i, 3, "%02x", rnd[i]);
	/* the file name binds the blob to its account */
	snprintf(job->path, sizeof(job->path), "%s/%lld-%s", job->dir,
		 (long long)job->account_id, job->blob_id);
	fd = open(job->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		job->rc = errno;
		return;
	}
	while (off < job->len) {
		ssize_t w = write(fd, job->data + off, job->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			job->rc = errno != 0 ? errno : EIO;
			close(fd);
			unlink(job->path);
			return;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0) {
		job->rc = errno;
		unlink(job->path);
	}
}

static void
jmap_blob_job_free(struct jmap_blob_job *job)
{
	free(job->dir);
	free(job->out);
	free(job);
}

static void
jmap_upload_done(void *arg)
{
	struct jmap_blob_job *job = arg;
	struct http_session *s = job->s;
	const struct http_request *req = &s->parser.req;
	char id[32];
	int i;

	jmap_http_load_release(s->srv, job->account_id, true);
	if (!http_session_job_done(s)) {
		jmap_blob_job_free(job);
		return;
	}
	if (job->rc != 0) {
		log_error("%016llx http upload: %s: %s",
			  (unsigned long long)s->id, job->path,
			  strerror(job->rc));
		http_reply_text(s, 500, false, NULL, "Cannot store the upload");
	} else {
		i = http_parse_header_find(req->headers, req->nheaders,
					   "Content-Type", 0);
		jmap_account_id(job->account_id, id);
		http_reply_json(
		    s, 201, NULL,
		    json_pack("{s:s, s:s, s:s, s:I}", "accountId", id,
			      "blobId", job->blob_id, "type",
			      i >= 0 ? req->headers[i].value
				     : "application/octet-stream",
			      "size", (json_int_t)job->len));
	}
	jmap_blob_job_free(job);
	http_session_resume(s);
}

void
jmap_http_upload(struct http_session *s)
{
	char buf[HTTP_REQUEST_LINE_MAX + 1], *seg[2];
	struct http_account_load *load;
	struct jmap_blob_job *job;
	int n = jmap_http_segments(s, strlen("/jmap/upload/"), buf, seg, 2);

	if (n != 1 || !jmap_http_own_account(s, seg[0])) {
		http_reply_text(s, 404, false, NULL, "No such account");
		return;
	}
	load = jmap_http_load(s->srv, s->account_id);
	if (load->uploads >= JMAP_CONCURRENT_UPLOADS_MAX) {
		http_reply_problem(s, 400, JMAP_PROBLEM "limit",
				   "maxConcurrentUpload",
				   "Too many concurrent uploads");
		return;
	}
	load->uploads++;
	job = xzalloc(sizeof(*job));
	job->s = s;
	job->dir = xasprintf("%s/uploads", s->srv->cfg->data_dir);
	job->data = buf_rptr(&s->body);
	job->len = buf_len(&s->body);
	job->account_id = s->account_id;
	http_session_busy(s);
	pool_submit(s->srv->pool, jmap_upload_work, jmap_upload_done, job);
}

/* Read the blob (uploads, message files and their parts, owner
   checked by jmap_mail_blob_read) whole: blobs are bounded by
   JMAP_UPLOAD_SIZE_MAX and message files by JMAP_BODY_READ_MAX. */
static void
jmap_download_work(void *arg)
{
	struct jmap_blob_job *job = arg;
	struct jmap_ctx ctx;
	struct buf b;
	int rc;

	memset(&ctx, 0, sizeof(ctx));
	ctx.store = job->store;
	ctx.account_id = job->account_id;
	buf_init(&b, 0);
	rc = jmap_mail_blob_read(&ctx, job->path, JMAP_BODY_READ_MAX, &b);
	if (rc != 1) {
		job->rc = rc == 0 ? ENOENT : EIO;
		buf_deinit(&b);
		return;
	}
	job->len = buf_len(&b);
	job->out = xmalloc(job->len + 1);
	memcpy(job->out, buf_rptr(&b), job->len);
	buf_deinit(&b);
}

/* A media type safe to echo in Content-Type: type "/" subtype with
   token characters, optional parameters without quotes or controls. */
static bool
jmap_http_type_ok(const char *t)
{
	const char *slash = strchr(t, '/');

	if (slash == NULL || slash == t || slash[1] == '\0')
		return false;
	for (; *t != '\0'; t++)
		if ((unsigned char)*t < 0x20 || *t == 0x7f || *t == '"' ||
		    *t == '\\')
			return false;
	return true;
}

static void
jmap_download_done(void *arg)
{
	struct jmap_blob_job *job = arg;
	struct http_session *s = job->s;

	if (!http_session_job_done(s)) {
		jmap_blob_job_free(job);
		return;
	}
	if (job->rc != 0) {
		http_reply_text(s, 404, false, NULL, "No such blob");
	} else {
		/* ?accept= names the type (RFC 8620 6.2) */
		char type[256];
		struct http_response r = {.status = 200,
					  .type = type,
					  .body = job->out,
					  .len = job->len,
					  .headers = job->headers};

		if (jmap_http_query(s, "accept", type, sizeof(type)) != 1 ||
		    !jmap_http_type_ok(type))
			snprintf(type, sizeof(type), "application/octet-stream");
		http_reply(s, &r);
	}
	jmap_blob_job_free(job);
	http_session_resume(s);
}

/* Content-Disposition with the name (RFC 6266 4.3: filename* in
   UTF-8, percent-encoded) into out. */
static void
jmap_http_disposition(const char *name, char *out, size_t outsz)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = (size_t)snprintf(out, outsz,
				    "Content-Disposition: attachment; "
				    "filename*=UTF-8''");

	for (; *name != '\0' && o + 8 < outsz; name++) {
		unsigned char ch = (unsigned char)*name;

		/* RFC 5987 3.2.1 attr-char */
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("!#$&+-.^_`|~", ch))
			out[o++] = (char)ch;
		else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	snprintf(out + o, outsz - o, "\r\n");
}

void
jmap_http_download(struct http_session *s)
{
	char buf[HTTP_REQUEST_LINE_MAX + 1], *seg[3];
	struct jmap_blob_job *job;
	int n = jmap_http_segments(s, strlen("/jmap/download/"), buf, seg, 3);

	if (n != 3 || !jmap_http_own_account(s, seg[0]) ||
	    strlen(seg[1]) >= sizeof(job->path) || seg[1][0] == '\0') {
		http_reply_text(s, 404, false, NULL, "No such blob");
		return;
	}
	job = xzalloc(sizeof(*job));
	job->s = s;
	job->store = s->srv->store;
	job->account_id = s->account_id;
	snprintf(job->path, sizeof(job->path), "%s", seg[1]);
	jmap_http_disposition(seg[2], job->headers, sizeof(job->headers));
	http_session_busy(s);
	pool_submit(s->srv->pool, jmap_download_work, jmap_download_done, job);
}

/* ---- push: the event-source stream (RFC 8620 7.3) ---- */

/* Send one event (the stream's framing: a chunk on HTTP/1.1). */
static void
jmap_events_send(struct http_session *s, const char *ev)
{
	if (s->c == NULL)
		return;
	if (s->stream_chunked)
		conn_printf(s->c, "%zx\r\n%s\r\n", strlen(ev), ev);
	else
		conn_write(s->c, ev, strlen(ev));
}

static void
jmap_events_on_ping(struct ev *ev, void *arg)
{
	struct http_session *s = arg;
	char msg[96];

	s->ping_timer = 0;
	if (s->c == NULL || s->mode != HTTP_MODE_STREAM)
		return;
	/* RFC 8620 7.3: "ping" with the interval in use; no event id */
	snprintf(msg, sizeof(msg), "event: ping\ndata: {\"interval\":%u}\n\n",
		 s->ping_s);
	jmap_events_send(s, msg);
	s->ping_timer = ev_add_timer(ev, (uint64_t)s->ping_s * 1000,
				     jmap_events_on_ping, s);
}

void
jmap_http_events_end(struct http_session *s)
{
	if (s->ping_timer != 0) {
		ev_del_timer(s->srv->ev, s->ping_timer);
		s->ping_timer = 0;
	}
	if (s->c != NULL && s->stream_chunked)
		conn_write(s->c, "0\r\n\r\n", 5); /* RFC 9112 7.1 last-chunk */
	s->mode = HTTP_MODE_READ; /* so that the close is not skipped */
	http_session_close(s);
}

void
jmap_http_events_push(struct http_session *s, uint64_t state,
		      uint64_t delivery, unsigned changed)
{
	unsigned want = changed & s->push_types;
	char acct[32], st[24], dst[24], *data, *ev;
	json_t *types, *obj;
	int t;

	if (state > s->push_state)
		s->push_state = state;
	if (want == 0 || s->c == NULL || s->mode != HTTP_MODE_STREAM)
		return;
	/* RFC 8620 7.1: the state each type's /get returns now (one state
	   for every type of an account, store_jmap.h); RFC 8621 1.5
	   EmailDelivery has a state of its own */
	snprintf(st, sizeof(st), "%llu", (unsigned long long)state);
	snprintf(dst, sizeof(dst), "%llu", (unsigned long long)delivery);
	types = json_object();
	for (t = 0; t < 32; t++)
		if ((want & (1u << t)) && jmap_push_type_name(t) != NULL)
			json_object_set_new(
			    types, jmap_push_type_name(t),
			    json_string(t == JMAP_PUSH_DELIVERY ? dst : st));
	jmap_account_id(s->account_id, acct);
	obj = json_pack("{s:s, s:{s:o}}", "@type", "StateChange", "changed",
			acct, types);
	data = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (data == NULL)
		return;
	/* RFC 8620 7.3: the id encodes the state, so that a reconnecting
	   client's Last-Event-ID says what it has seen */
	ev = xasprintf("event: state\nid: %s\ndata: %s\n\n", st, data);
	free(data);
	jmap_events_send(s, ev);
	free(ev);
	if (s->push_closeafter) {
		jmap_http_events_end(s);
		return;
	}
	/* 7.3: a ping when the interval passed since the previous event */
	if (s->ping_timer != 0) {
		ev_del_timer(s->srv->ev, s->ping_timer);
		s->ping_timer = ev_add_timer(s->srv->ev,
					     (uint64_t)s->ping_s * 1000,
					     jmap_events_on_ping, s);
	}
}

/* Opening a stream: its first state is read on the pool. */
struct jmap_events_job {
	struct http_session *s;
	struct store *store;
	int64_t account_id;
	uint64_t state;
	int rc;
};

static void
jmap_events_work(void *arg)
{
	struct jmap_events_job *job = arg;

	job->rc = jmap_push_state(job->store, job->account_id, &job->state);
}

static void
jmap_events_done(void *arg)
{
	struct jmap_events_job *job = arg;
	struct http_session *s = job->s;
	const struct http_request *req = &s->parser.req;
	int rc = job->rc;
	uint64_t state = job->state, last;
	int i;

	free(job);
	if (!http_session_job_done(s))
		return;
	if (rc < 0 || s->srv->sessions.shutting_down) {
		/* stopping: the stream would be cut at once */
		http_reply_text(s, rc < 0 ? 500 : 503, rc >= 0, NULL,
				rc < 0 ? "Cannot read the state"
				       : "Shutting down");
		http_session_resume(s);
		return;
	}
	/* RFC 8620 7.3: a reconnecting client names the last event it saw;
	   what changed since is sent at once (jmap_push_stream_open checks
	   the account).  An id this account never had is ignored. */
	s->push_state = state;
	i = http_parse_header_find(req->headers, req->nheaders,
				   "Last-Event-ID", 0);
	if (i >= 0 &&
	    jmap_mail_state_parse(req->headers[i].value, &last) == 0 &&
	    last <= state)
		s->push_state = last;
	/* HTTP/1.0 has no chunked coding: the end of the stream is the end
	   of the connection (RFC 9112 6.3 rule 8) */
	s->stream_chunked = req->version >= 11;
	http_reply_head_only(s, 200, "text/event-stream",
			     s->stream_chunked
				 ? "Transfer-Encoding: chunked\r\n"
				 : "Connection: close\r\n");
	log_info("%016llx http %s %s 200 ip=%s event-stream",
		 (unsigned long long)s->id, req->method_str, req->target,
		 s->peer_ip);
	http_session_request_done(s);
	s->mode = HTTP_MODE_STREAM;
	if (s->c == NULL)
		return;
	conn_set_idle(s->c, 0);
	conn_resume(s->c); /* to see the client go */
	if (s->ping_s != 0)
		s->ping_timer = ev_add_timer(s->srv->ev,
					     (uint64_t)s->ping_s * 1000,
					     jmap_events_on_ping, s);
	jmap_push_stream_open(s);
}

void
jmap_http_events(struct http_session *s)
{
	char types[256], closeafter[16], pingv[16], *end;
	struct jmap_events_job *job;
	unsigned long ping;

	/* "types": "*" or type names (RFC 8620 7.3) */
	if (jmap_http_query(s, "types", types, sizeof(types)) != 1 ||
	    jmap_push_types_parse(types, &s->push_types) < 0 ||
	    jmap_http_query(s, "closeafter", closeafter, sizeof(closeafter)) !=
		1 ||
	    (strcmp(closeafter, "state") != 0 && strcmp(closeafter, "no") != 0))
		goto bad;
	ping = 0;
	switch (jmap_http_query(s, "ping", pingv, sizeof(pingv))) {
	case -1:
		goto bad;
	case 1:
		errno = 0;
		ping = strtoul(pingv, &end, 10);
		if (pingv[0] < '0' || pingv[0] > '9' || *end != '\0' ||
		    errno != 0)
			goto bad;
		break;
	default:
		break;
	}
	if (s->is_head) {
		struct http_response r = {.status = 200,
					  .type = "text/event-stream"};

		http_reply(s, &r);
		return;
	}
	if (jmap_push_start(s->srv) < 0) {
		http_reply_text(s, 503, false, NULL, "Push is not available");
		return;
	}
	if (ping != 0 && ping < HTTP_EVENT_PING_MIN_S)
		ping = HTTP_EVENT_PING_MIN_S;
	if (ping > HTTP_EVENT_PING_MAX_S)
		ping = HTTP_EVENT_PING_MAX_S;
	s->ping_s = (unsigned)ping;
	s->push_closeafter = strcmp(closeafter, "state") == 0;
	job = xzalloc(sizeof(*job));
	job->s = s;
	job->store = s->srv->store;
	job->account_id = s->account_id;
	http_session_busy(s);
	pool_submit_first(s->srv->pool, jmap_events_work, jmap_events_done,
			  job);
	return;
bad:
	http_reply_text(s, 400, false, NULL,
			"Expected types, closeafter=state|no and ping=N");
}

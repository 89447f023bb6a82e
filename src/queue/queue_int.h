/* queue_int.h: private parts of the queue runner shared by its files. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_QUEUE_INT_H
#define BUZON_QUEUE_INT_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "limits.h"
#include "dns/dns_mx.h"
#include "queue/queue.h"
#include "queue/queue_sched.h"
#include "smtp/smtp_client.h"
#include "store/store.h"

/* What became of one recipient in this attempt. */
struct queue_res {
	bool tried;                    /* a result was recorded */
	enum queue_verdict verdict;
	char reply[QUEUE_REPLY_MAX];   /* "550 5.1.1 text", one line */
	char status[16];               /* enhanced code for the DSN */
	char mta[DNS_NAME_TEXT_SIZE];  /* who said it, or "" */
	enum store_qrcpt_state state;  /* final, set by queue_msg_finish */
	bool dsn_failed, dsn_delayed;  /* include in that DSN */
};

/* One queue entry in flight. */
struct queue_msg {
	struct queue_msg *next;
	struct queue_runner *q;
	struct store_queue_entry e; /* pending recipients only */
	struct queue_res *res;      /* one per e.rcpts */
	char *prefix;               /* DKIM-Signature fields, or NULL */
	size_t prefix_len;
	/* Octets at the start of the message file not sent: the
	   Return-Path field the local delivery format starts with (RFC
	   5321 4.4: it is added at final delivery, never relayed). */
	uint64_t skip;
	bool eightbit, smtputf8;
	char *sign_domain; /* DKIM d= (a local sender's domain) or NULL */
	/* Set by the preparation: every recipient fails at once with
	   this (static) reason and status, e.g. a mail loop. */
	const char *perm_error, *perm_status;
	unsigned jobs_left;
	/* finishing */
	struct buf dsn[2]; /* failed, delayed */
	unsigned dsn_pending;
	int64_t now;
};

/* The recipients of one message that go to one destination. */
struct queue_job {
	struct queue_job *next;
	struct queue_msg *m;
	size_t *idx; /* into m->e.rcpts */
	struct smtp_client_rcpt *rcpts;
	size_t n;
};

struct queue_dest {
	struct queue_dest *next;
	struct queue_runner *q;
	struct queue_dest_spec spec;
	struct queue_job *head, **tail;
	unsigned active;     /* sessions */
	unsigned njobs;      /* jobs queued (not yet taken) */
	unsigned unassigned; /* sessions without a job (connecting, idle) */
	/* addresses to try, in order, with their host names */
	struct dns_addr addrs[QUEUE_ADDRS_MAX];
	char names[QUEUE_ADDRS_MAX][DNS_NAME_TEXT_SIZE];
	size_t naddrs;
	bool resolving, resolved;
	/* with no address: the reply every job gets, e.g. 451 4.4.3 */
	int resolve_code;
	const char *resolve_enh; /* static */
	char resolve_error[QUEUE_REPLY_MAX];
	struct dns_mx_lookup *lookup;
};

struct queue_runner {
	struct ev *ev;
	struct pool *pool;
	struct store *store;
	struct config *const *cfgp;
	char *data_dir; /* copied: workers use it while a reload frees cfg */
	SSL_CTX *tls;
	struct dns_resolver *resolver;
	struct queue_dest *dests;
	struct queue_msg *msgs;
	unsigned n_msgs;
	/* finished attempts waiting to be recorded, and whether a batch
	   of them is being written (one writer: what comes in meanwhile
	   forms the next batch) */
	struct queue_record *rec_head, **rec_tail;
	size_t n_rec;
	bool recording;
	unsigned busy;      /* pool jobs and sessions in flight */
	uint64_t timer;
	bool scanning, stopping;
	bool rescan; /* kicked while scanning */
	bool kicked; /* the timer is armed for a kick */
	void (*on_idle)(void *);
	void *idle_arg;
};

/* queue_prep.c: runs on a worker.  Read m's message file: count Received
   fields (RFC 5321 6.3 loop), find 8-bit data, and DKIM-sign (RFC 6376)
   when m->sign_domain is set and has keys in data_dir/dkim/. */
void queue_prep(struct queue_msg *m, const char *data_dir);

/* queue_bounce.c: runs on a worker.  Build the failed and delayed DSNs
   (into m->dsn[0], m->dsn[1]) from m->res, reading the message file for
   its headers or all of it (RET). */
void queue_bounce_build(struct queue_msg *m, const char *hostname);

/* queue_sess.c: start one SMTP session to d (d->resolved, d->naddrs > 0);
   it takes jobs from d until none are left. */
void queue_sess_start(struct queue_dest *d);

/* queue_runner.c */
/* Record the result of recipient i of job j. */
void queue_job_result(struct queue_job *j, size_t i,
		      const struct smtp_client_result *r, const char *mta);
/* Every recipient of j has its result: free j, finish its message when
   it was the last job. */
void queue_job_done(struct queue_job *j);
/* Take the next queued job of d, or NULL. */
struct queue_job *queue_dest_pop(struct queue_dest *d);
/* Fail every job still queued for d with code/status/text. */
void queue_dest_fail_all(struct queue_dest *d, int code, const char *enh,
			 const char *text, const char *mta);
/* A session of d ended (on the loop, outside conn callbacks). */
void queue_dest_session_gone(struct queue_dest *d);
/* Pool job / session accounting for graceful stop. */
void queue_runner_busy(struct queue_runner *q);
void queue_runner_unbusy(struct queue_runner *q);

#endif

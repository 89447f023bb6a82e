/* limits.h: every size, count and depth limit in buzon, in one place. */
/* SPDX-License-Identifier: MIT */
/* The compiler's own <limits.h> reaches this file through #include_next
   when src/lib is on the quote path; pass that on to the system header
   so both sets of limits are always visible. */
#include_next <limits.h>

#ifndef BUZON_LIMITS_H
#define BUZON_LIMITS_H

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets including CRLF.
   AUTH initial responses may be longer (RFC 4954 4: 12288 is the common
   choice), so the command buffer is sized for that and the plain command
   limit is checked separately. */
#define SMTP_CMD_LINE_MAX 512
#define SMTP_AUTH_LINE_MAX 12288
/* RFC 5321 4.5.3.1.6: a text line is at most 1000 octets including CRLF. */
#define SMTP_TEXT_LINE_MAX 1000
/* RFC 5321 4.5.3.1.3: a path is at most 256 octets. */
#define SMTP_PATH_MAX 256
/* RFC 5321 4.5.3.1.1 / 4.5.3.1.2. */
#define SMTP_LOCALPART_MAX 64
#define SMTP_DOMAIN_MAX 255
/* Default message size, advertised in SIZE (RFC 1870). */
#define SMTP_MESSAGE_SIZE_DEFAULT (50u * 1024 * 1024)
/* RFC 5321 4.5.3.1.8: at least 100 must be accepted; we take 1000. */
#define SMTP_RCPT_MAX 1000
/* Nesting of aliases followed when deciding whether an alias expands to
   a submitting account (JMAP identities and EmailSubmission senders). */
#define SMTP_ALIAS_DEPTH_MAX 8
/* Invalid commands before the session is closed (nginx max_errors). */
#define SMTP_ERRORS_MAX 20
/* Failed AUTH attempts in one session before it is closed. */
#define SMTP_AUTH_FAILURES_MAX 3
/* RFC 5321 4.5.3.2.7: server timeout is at least 5 minutes. */
#define SMTP_IDLE_TIMEOUT_MS (5u * 60 * 1000)
/* Most input buffered for one SMTP session: one DATA/BDAT read burst plus
   a command line (DATA bytes are moved out as they arrive; an idle
   session holds no input buffer at all). */
#define SMTP_IN_BUF_MAX (64u * 1024)
/* Hop count: RFC 5321 6.3 loop detection. */
#define SMTP_RECEIVED_MAX 100
/* BDAT chunk announced size ceiling is the message size limit. */

/* SMTP client (relay).  RFC 5321 4.5.3.1.5 limits a reply line to 512
   octets with CRLF; real servers send longer ones (long EHLO AUTH lists,
   verbose 5xx texts), so the reply parser accepts up to 2048 (Postfix's
   line limit) and a reply of at most 100 lines; more is a bad reply. */
#define SMTP_REPLY_LINE_MAX 2048
#define SMTP_REPLY_LINES_MAX 100
/* RFC 5321 4.5.3.2: client timeouts per phase.  EHLO, STARTTLS, AUTH,
   RSET and QUIT have none in the RFC; they get the command default. */
#define SMTP_CLIENT_TIMEOUT_GREETING_MS (5u * 60 * 1000)  /* 4.5.3.2.1 */
#define SMTP_CLIENT_TIMEOUT_MAIL_MS (5u * 60 * 1000)      /* 4.5.3.2.2 */
#define SMTP_CLIENT_TIMEOUT_RCPT_MS (5u * 60 * 1000)      /* 4.5.3.2.3 */
#define SMTP_CLIENT_TIMEOUT_DATA_INIT_MS (2u * 60 * 1000) /* 4.5.3.2.4 */
#define SMTP_CLIENT_TIMEOUT_DATA_BLOCK_MS (3u * 60 * 1000) /* 4.5.3.2.5 */
#define SMTP_CLIENT_TIMEOUT_DATA_TERM_MS (10u * 60 * 1000) /* 4.5.3.2.6 */
#define SMTP_CLIENT_TIMEOUT_CMD_MS (5u * 60 * 1000)

/* POP3 (RFC 2449 4: 255 octets per command line). */
#define POP3_CMD_LINE_MAX 255
/* RFC 1939 3: the autologout timer is at least 10 minutes. */
#define POP3_IDLE_TIMEOUT_MS (10u * 60 * 1000)
/* A SASL continuation line (RFC 5034 4 sets no limit of its own; the
   same bound as SMTP AUTH). */
#define POP3_AUTH_LINE_MAX 12288
/* Bad or refused commands before the session is closed. */
#define POP3_ERRORS_MAX 20
/* Failed logins in one session before it is closed. */
#define POP3_AUTH_FAILURES_MAX 3
/* Socket input buffered per session (commands are short; a full buffer
   pauses reading while a reply is being sent). */
#define POP3_IN_BUF_MAX (16u * 1024)
/* RETR/TOP stream a message file: read it on the pool in chunks of this
   size (one read at a time, so other sessions run in between) and keep
   at most POP3_OUT_HIGH bytes queued on the connection. */
#define POP3_READ_CHUNK (64u * 1024)
#define POP3_OUT_HIGH (256u * 1024)
/* RFC 1939 7: the APOP shared secret. */
#define POP3_APOP_SECRET_MAX 256

/* IMAP (RFC 9051 6.2.2 autologout: at least 30 minutes). */
#define IMAP_IDLE_TIMEOUT_MS (30u * 60 * 1000)
/* Before login a client has no reason to wait: a shorter autologout
   (Dovecot closes unauthenticated connections after 1 minute too). */
#define IMAP_PREAUTH_TIMEOUT_MS (60u * 1000)
/* Bad commands (BAD replies) before "* BYE" and close. */
#define IMAP_ERRORS_MAX 20
/* Failed LOGIN/AUTHENTICATE attempts on one connection before BYE. */
#define IMAP_AUTH_FAILURES_MAX 3
/* Bytes buffered from the client before reading pauses (a command line
   is at most IMAP_CMD_LINE_MAX; literals stream through the parser). */
#define IMAP_IN_BUF_MAX (64u * 1024)
#define IMAP_LIST_DEPTH_MAX 32
/* Octets of one command outside its APPEND message literals, CRLFs and
   the literals of other commands included (Dovecot's
   imap_max_line_length is 64 KiB).  RFC 9051 4.3 / RFC 7888 4: servers
   may limit literals of commands other than APPEND far below message
   size; this bound does that. */
#define IMAP_CMD_LINE_MAX (64u * 1024)
/* One APPEND message literal: the message size limit. */
#define IMAP_LITERAL_MAX SMTP_MESSAGE_SIZE_DEFAULT
/* All message literals of one (MULTIAPPEND, RFC 3502) command. */
#define IMAP_APPEND_TOTAL_MAX (4ull * SMTP_MESSAGE_SIZE_DEFAULT)
/* RFC 7888 5: with LITERAL- a non-synchronizing literal is at most 4096
   octets. */
#define IMAP_LITERAL_MINUS_MAX 4096
/* Nesting of OR/NOT/parentheses in one SEARCH program (parsed without
   unbounded recursion: each level costs a stack frame). */
#define IMAP_SEARCH_DEPTH_MAX 64
/* THREAD REFERENCES (RFC 5256 4): Message-IDs taken from one message's
   References field (the last ones are kept: they name the parent). */
#define IMAP_THREAD_REFS_MAX 256
/* SEARCH/SORT/THREAD read stored message data this many messages at a
   time (bounds the memory of one store_msg_fetch()). */
#define IMAP_SEARCH_BATCH 1024
/* A SEARCH that reads message files splits each batch between this many
   threads (the pool worker and helpers it starts for the search); the
   batch must hold at least IMAP_SEARCH_SPLIT_MIN messages to be split. */
#define IMAP_SEARCH_THREADS 2
#define IMAP_SEARCH_SPLIT_MIN 256
/* FETCH reads stored message data this many messages at a time, and
   stops a batch early once the section bytes it holds in memory pass
   IMAP_FETCH_BATCH_BYTES.  A section range longer than
   IMAP_FETCH_INLINE_MAX is streamed from the message file in chunks of
   IMAP_FETCH_READ_CHUNK instead of being copied; output waits while
   more than IMAP_FETCH_OUT_HIGH is queued on the connection, until
   the connection has drained. */
#define IMAP_FETCH_BATCH 256
#define IMAP_FETCH_BATCH_BYTES (8u * 1024 * 1024)
#define IMAP_FETCH_INLINE_MAX (64u * 1024)
#define IMAP_FETCH_READ_CHUNK (64u * 1024)
#define IMAP_FETCH_OUT_HIGH (256u * 1024)
/* RFC 2971 3.3: at most 30 field/value pairs, a field at most 30 octets
   and a value at most 1024. */
#define IMAP_ID_PAIRS_MAX 30
#define IMAP_ID_FIELD_MAX 30
#define IMAP_ID_VALUE_MAX 1024

/* MIME (Dovecot defaults). */
#define MIME_DEPTH_MAX 100
#define MIME_PARTS_MAX 10000
#define MIME_HEADER_BYTES_MAX (1024u * 1024)
#define MIME_HEADER_LINE_MAX (64u * 1024)
#define MIME_BOUNDARY_MAX 70 /* RFC 2046 5.1.1 */
#define MIME_ADDRESSES_MAX 10000
/* Longer IMAP strings in ENVELOPE/BODYSTRUCTURE are sent as literals. */
#define MIME_IMAP_QUOTED_MAX 1024
/* Parameters kept per Content-Type / Content-Disposition, and RFC 2231
   continuation sections accepted per parameter. */
#define MIME_PARAMS_MAX 64
#define MIME_PARAM_SECTIONS_MAX 100

/* DNS routing of outbound mail (src/dns).  MX records considered per
   domain: real domains have a handful; this bounds the work one answer
   can cause. */
#define DNS_MX_RRS_MAX 256
/* MX hosts kept per route after ordering (Postfix tries 5 addresses). */
#define DNS_MX_HOSTS_MAX 16
/* Addresses kept per host and per family (A, AAAA). */
#define DNS_HOST_ADDRS_MAX 16
/* Deadline of one MX lookup, address lookups included. */
#define DNS_LOOKUP_TIMEOUT_MS (30u * 1000)

/* Connections. */
#define CONN_MAX_DEFAULT 20000
#define CONN_PER_IP_MAX_DEFAULT 200
#define CONN_OUT_BUF_MAX (4u * 1024 * 1024)
/* Socket reads: a read uses the free space of c->in when at least
   CONN_READ_MIN, else grows it by CONN_READ_CHUNK; one readiness event
   reads at most CONN_READ_BURST_MAX before other connections get a turn. */
#define CONN_READ_MIN 512
#define CONN_READ_CHUNK 4096
#define CONN_READ_BURST_MAX (64u * 1024)
/* Lingering close (RFC 9112 9.6; nginx's lingering_close): after the
   final reply the write side is shut and input is read and dropped, so
   a close with unread input does not reset the connection and destroy
   the reply before the client has read it.  It ends at the client's
   end of stream, after CONN_LINGER_TIMEOUT_MS without input,
   CONN_LINGER_TIME_MS in all (nginx: 5 s and 30 s), or when
   CONN_LINGER_BYTES_MAX have been dropped. */
#define CONN_LINGER_TIMEOUT_MS (5u * 1000)
#define CONN_LINGER_TIME_MS (30u * 1000)
#define CONN_LINGER_BYTES_MAX (16u * 1024 * 1024)

/* Authentication: delay after a failed attempt grows per client address,
   doubling from AUTH_FAIL_DELAY_MS up to AUTH_FAIL_DELAY_MAX_MS. */
#define AUTH_FAIL_DELAY_MS 500u
#define AUTH_FAIL_DELAY_MAX_MS 15000u
#define AUTH_FAIL_TRACK_MAX 4096
#define AUTH_PASSWORD_MAX 1024
#define AUTH_USER_MAX 320
/* A client address with no failure for this long is forgotten. */
#define AUTH_FAIL_FORGET_MS (15u * 60 * 1000)
/* Bytes of a client address string kept as the limiter key (with NUL). */
#define AUTH_IP_KEY_MAX 64

/* Config file. */
#define CONFIG_LINE_MAX 4096
#define CONFIG_DOMAINS_MAX 1024

/* Store. */
#define STORE_ALIAS_TARGETS_MAX 1000
#define STORE_ALIAS_DEPTH_MAX 8
#define STORE_COMMIT_BATCH_MAX 1024
#define STORE_ADDRESS_MAX 320
/* Arena chunk of the in-memory address directory (store_lookup.c). */
#define STORE_DIR_ARENA_CHUNK (64u * 1024)
/* A mailbox name (UTF-8 octets, separators included) and its number of
   hierarchy levels ("a/b/c" has 3): far beyond what clients create,
   small enough that a rename or LIST pattern never does much work. */
#define STORE_MBOX_NAME_MAX 1024
#define STORE_MBOX_DEPTH_MAX 64
/* A blob is written to its file in chunks of up to this many bytes. */
#define STORE_BLOB_BUF_MAX (64u * 1024)
/* ... starting from this many. */
#define STORE_BLOB_BUF_INITIAL 4096u
/* Threads that write, rename and fdatasync blobs before the group
   commit: as many fdatasyncs in flight, which the filesystem serves
   with shared journal commits and flushes.  8 capped a batch at ~12
   with 100 deliveries in flight (store_bench, ext4); 32 gave ~40 and
   2.4x the deliveries/s. */
#define STORE_SYNC_THREADS 32
/* How long the CLI and the server wait for each other's write lock. */
#define STORE_BUSY_TIMEOUT_MS 10000
/* Change listeners a store takes (store_add_notify): IMAP and JMAP
   push, with room to spare. */
#define STORE_NOTIFY_MAX 8

/* On SIGTERM, sessions get this long to finish their reply before their
   connections are cut (and as long again for store jobs in flight). */
#define SERVE_SHUTDOWN_GRACE_MS 5000u

/* fileread: bytes delivered from the page cache in one fileread_next()
   before the next read goes through the pool (other sessions run). */
#define FILEREAD_SYNC_BUDGET (1024u * 1024)

/* JMAP Mailbox counts (totalEmails, unreadThreads, ...) remembered per
   mailbox for the account state they were counted at: slots of a
   direct-mapped cache (by mailbox id). */
#define STORE_JMAP_COUNT_CACHE 1024

/* [server] workers: password hashes checked at once (CPU-bound jobs,
   pool_submit_cpu()). */
#define POOL_THREADS_DEFAULT 4
/* Worker threads beyond those for jobs that mostly wait: commits
   waiting for the disk (IMAP STORE/EXPUNGE/COPY share commits, so more
   waiting threads means bigger shared commits), SQLite reads, files. */
#define POOL_IO_THREADS 16

/* Outbound queue ([queue] in buzon.conf; defaults as Postfix's
   minimal_backoff_time / maximal_backoff_time / maximal_queue_lifetime /
   delay_warning_time, issue 5). */
#define QUEUE_RETRY_DEFAULT_MS (5u * 60 * 1000)
#define QUEUE_RETRY_MAX_DEFAULT_MS (60u * 60 * 1000)
#define QUEUE_LIFETIME_DEFAULT_MS (5ull * 24 * 3600 * 1000)
#define QUEUE_DELAY_WARNING_DEFAULT_MS (4u * 3600 * 1000)
/* Connections at once to one destination (Postfix: 20; a small server
   talking to big providers does better with few). */
#define QUEUE_CONCURRENCY_DEFAULT 4
#define QUEUE_CONCURRENCY_MAX 100
/* The port of MX hosts (RFC 5321 4.5.4.2 / 2.3.5: SMTP to an MX is on
   port 25).  [relay] mx_port overrides it for tests only. */
#define QUEUE_MX_PORT_DEFAULT 25
/* How often the runner looks at the database for due entries: also how
   soon `buzon queue flush` (another process) takes effect.  New mail
   does not wait for it (the SMTP server kicks the runner).  Default of
   [queue] poll. */
#define QUEUE_POLL_MS 1000u
/* A kick (new mail) scans after this delay, so that the kicks of a busy
   intake share one scan: each scan is a write transaction, and one per
   message competes with the intake's own commits for the database. */
#define QUEUE_KICK_DELAY_MS 20u
/* Entries taken from the database per scan (the rest wait a scan). */
#define QUEUE_SCAN_MAX 256
/* Finished attempts recorded in one database transaction (those that
   finish while one is written wait for the next). */
#define QUEUE_RECORD_BATCH_MAX 512
/* Messages in flight at once across all destinations. */
#define QUEUE_ACTIVE_MAX 1024
/* Connect timeout per address (RFC 5321 gives none; Postfix uses 30s). */
#define QUEUE_CONNECT_TIMEOUT_MS (30u * 1000)
/* Message bytes read from a blob per step while sending DATA, and the
   output level above which the runner waits for the socket to drain. */
#define QUEUE_READ_CHUNK (64u * 1024)
#define QUEUE_OUT_HIGH (256u * 1024)
/* Addresses tried per destination in one attempt (every MX host's
   addresses, RFC 5321 5.1). */
#define QUEUE_ADDRS_MAX 32
/* Reply text kept per recipient (last error, DSN Diagnostic-Code). */
#define QUEUE_REPLY_MAX 512
/* Message bytes returned in a RET=FULL bounce; larger messages are
   returned as headers only (RFC 3461 4.3 allows truncating). */
#define QUEUE_BOUNCE_FULL_MAX (10u * 1024 * 1024)

/* DKIM (RFC 6376, RFC 8463). */
/* RSA keys: RFC 8301 3.2 requires at least 1024 bits and recommends 2048
   (longer keys no longer fit a DNS TXT record comfortably). */
#define DKIM_RSA_BITS 2048
/* Keys (selectors) kept per domain in data_dir/dkim/DOMAIN/. */
#define DKIM_KEYS_PER_DOMAIN_MAX 16
/* RFC 6376 3.1: a selector is a dot-separated list of DNS labels; we keep
   ours to one label (RFC 1035 2.3.4: 63 octets). */
#define DKIM_SELECTOR_MAX 63
/* Header field instances named in one h= tag (RFC 6376 5.4.2 lets a
   signer list one name many times; a message with more instances of the
   signed fields than this is refused rather than signed in part). */
#define DKIM_SIGNED_FIELDS_MAX 128
/* Fold the DKIM-Signature field at this width (RFC 5322 2.1.1 SHOULD
   78 octets per line, CRLF excluded). */
#define DKIM_FOLD_WIDTH 78
/* RFC 1035 3.3.14: one TXT character-string holds at most 255 octets;
   `buzon dns` splits longer values (RFC 6376 3.6.2.2 joins them). */
#define DNS_TXT_STRING_MAX 255
/* TTL printed by `buzon dns`. */
#define DNS_TTL_DEFAULT 3600

/* HTTP (RFC 9110, RFC 9112; src/web). */
/* RFC 9112 3: senders and recipients SHOULD support request lines of at
   least 8000 octets.  Longer ones are answered 414. */
#define HTTP_REQUEST_LINE_MAX 8192
/* The header section: field lines with their line ends (nginx's
   large_client_header_buffers is 4 x 8 KiB; JMAP requests carry few
   fields, browsers' cookies stay far below).  More: 431 (RFC 6585 5). */
#define HTTP_HEADER_BYTES_MAX (32u * 1024)
/* Field lines in one header section (Apache's LimitRequestFields). */
#define HTTP_HEADERS_MAX 100
/* Decoded request body: uploads are at most one message (JMAP
   maxSizeUpload); more: 413. */
#define HTTP_BODY_MAX SMTP_MESSAGE_SIZE_DEFAULT
/* One chunk-size line with its extensions (RFC 9112 7.1.1), and the
   extension octets of all chunks of one body: a client may not make the
   server read unbounded framing for a few body octets. */
#define HTTP_CHUNK_LINE_MAX 4096
#define HTTP_CHUNK_EXT_TOTAL_MAX (16u * 1024)
/* The trailer section of a chunked body (RFC 9112 7.1.2): bounded like
   the header section, and smaller (nothing here uses trailers). */
#define HTTP_TRAILER_BYTES_MAX (8u * 1024)
#define HTTP_TRAILERS_MAX 32

/* The connection's input buffer: a request head is at most
   HTTP_REQUEST_LINE_MAX + HTTP_HEADER_BYTES_MAX; bodies stream through
   the parser into the session's body buffer. */
#define HTTP_IN_BUF_MAX (64u * 1024)
/* A keep-alive connection with no request in progress is closed after
   this long without input ([web] idle_timeout). */
#define HTTP_IDLE_TIMEOUT_MS (60u * 1000)
/* A request head (request line and fields) must arrive completely within
   this long after its first octet, else 408 and close ([web]
   request_timeout): slow-header clients do not hold connections. */
#define HTTP_REQUEST_TIMEOUT_MS (20u * 1000)
/* Responses shorter than this are not compressed (the gzip framing
   would eat most of the gain). */
#define HTTP_GZIP_MIN 1024
/* A server-sent event stream (JMAP EventSource, RFC 8620 7.3): the ping
   interval clients may ask for is clamped to [MIN, MAX] seconds (7.3:
   the minimum must not exceed 30, the maximum must be at least 300). */
#define HTTP_EVENT_PING_MIN_S 1
#define HTTP_EVENT_PING_MAX_S 3600
/* JMAP push (src/web/jmap_push.c): the changes committed within this
   long of the first are sent as one StateChange (RFC 8620 7: pushes may
   be coalesced and rate limited). */
#define JMAP_PUSH_COALESCE_MS 100u
/* The most mailbox-to-account mappings the push keeps (for the
   notification of a mailbox's deletion, which comes when its row is
   gone; when 3/4 full it starts over). */
#define JMAP_PUSH_CACHE_MAX 4096u

/* Webmail cookie sessions (src/web/http_cookie.c), kept in memory: at
   most this many at once (the least recently used is dropped for a new
   one), ended after HTTP_COOKIE_IDLE_MS without a request or
   HTTP_COOKIE_LIFETIME_MS after the login, whichever comes first. */
#define HTTP_COOKIE_SESSIONS_MAX 1024
#define HTTP_COOKIE_IDLE_MS (2u * 3600 * 1000)
#define HTTP_COOKIE_LIFETIME_MS (24u * 3600 * 1000)
/* The login form body (username, password, form encoding). */
#define HTTP_COOKIE_LOGIN_BODY_MAX 4096

/* JMAP core limits (RFC 8620 2, advertised in the session resource). */
/* maxSizeRequest: an API request body; more: a "limit" problem. */
#define JMAP_REQUEST_SIZE_MAX (10u * 1024 * 1024)
/* maxCallsInRequest. */
#define JMAP_CALLS_MAX 64
/* maxObjectsInGet / maxObjectsInSet (for the /get and /set methods). */
#define JMAP_OBJECTS_GET_MAX 1000
#define JMAP_OBJECTS_SET_MAX 1000
/* maxConcurrentRequests / maxConcurrentUpload: per account, over all of
   its connections. */
#define JMAP_CONCURRENT_REQUESTS_MAX 8
#define JMAP_CONCURRENT_UPLOADS_MAX 4
/* maxSizeUpload: one upload is at most the largest request body. */
#define JMAP_UPLOAD_SIZE_MAX HTTP_BODY_MAX
/* Uploaded blobs not used are deleted after this long (RFC 8620 6.1:
   at least one hour). */
#define JMAP_UPLOAD_TTL_S (24u * 3600)
/* Nesting of a result reference's JSON Pointer evaluation ("*" levels
   and tokens, RFC 8620 3.7). */
#define JMAP_POINTER_TOKENS_MAX 32

/* JMAP Mail (RFC 8621; src/web/jmap_mail*.c). */
/* maxMailboxDepth: levels of a Mailbox name ("a/b/c" is 3). */
#define JMAP_MAILBOX_DEPTH_MAX 32
/* Ids one /changes answer holds at most (a smaller maxChanges wins). */
#define JMAP_CHANGES_MAX 5000
/* /query: ids in one answer when the client gives no smaller limit. */
#define JMAP_QUERY_LIMIT_MAX 5000
/* Email/queryChanges: changed Emails (and Threads) since the client's
   queryState it works through; more answers cannotCalculateChanges
   (RFC 8620 5.6) and the client queries again. */
#define JMAP_QUERY_CHANGES_MAX 10000
/* Message-IDs of In-Reply-To/References used to thread one Email. */
#define JMAP_THREAD_REFS_MAX 64
/* Emails threaded per store transaction. */
#define JMAP_THREAD_BATCH 500
/* Email/get maxBodyValueBytes when not given, and the file bytes read
   for body values, previews and text searches. */
#define JMAP_BODY_READ_MAX (16u * 1024 * 1024)
/* RFC 8621 4.1.4: preview is at most 256 characters. */
#define JMAP_PREVIEW_MAX 256

#endif

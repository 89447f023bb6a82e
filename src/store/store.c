/* store.c: opening and closing the store, connections, schema migrations. */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dir.h"
#include "log.h"
#include "xalloc.h"

/* ---- schema ---- */

/* Version 1.  Design notes:
   - messages: one row per delivered message, shared by every mailbox copy
     and queue entry; refcount (kept by triggers) counts those references,
     and rows that reach 0 are collected with their blob files.
   - mailbox_messages: one row per copy; UIDs come from mailboxes.uidnext,
     which only grows, so a UID is never reused (POP3 UIDL, IMAP UIDs).
     modseq is per mailbox (RFC 7162 CONDSTORE), taken from highestmodseq.
   - expunged keeps (uid, modseq) of removed copies for QRESYNC VANISHED.
   - meta.dir_version changes whenever accounts or aliases change, so the
     in-memory directory can tell its data from unrelated commits. */
static const char store_schema_v1[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "INSERT INTO meta VALUES('dir_version', 1), ('uidvalidity_last', 0);"
    "CREATE TABLE accounts("
    " id INTEGER PRIMARY KEY,"
    " address TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    " pwhash TEXT NOT NULL DEFAULT '',"
    " apop_secret TEXT,"
    " quota_bytes INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL);"
    "CREATE TABLE aliases("
    " address TEXT NOT NULL COLLATE NOCASE,"
    " target TEXT NOT NULL,"
    " UNIQUE(address, target));"
    "CREATE TABLE mailboxes("
    " id INTEGER PRIMARY KEY,"
    " account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " uidvalidity INTEGER NOT NULL,"
    " uidnext INTEGER NOT NULL DEFAULT 1,"
    " highestmodseq INTEGER NOT NULL DEFAULT 1,"
    " subscribed INTEGER NOT NULL DEFAULT 1,"
    " special_use TEXT,"
    " UNIQUE(account_id, name));"
    "CREATE TABLE messages("
    " id INTEGER PRIMARY KEY,"
    " blob TEXT NOT NULL UNIQUE,"
    " size INTEGER NOT NULL,"
    " sender TEXT NOT NULL,"
    " received INTEGER NOT NULL,"
    " envelope TEXT, bodystructure TEXT, body TEXT,"
    " hdr_subject TEXT, hdr_from TEXT, hdr_to TEXT, hdr_cc TEXT,"
    " hdr_message_id TEXT, hdr_date INTEGER NOT NULL DEFAULT 0,"
    " refcount INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX messages_unref ON messages(id) WHERE refcount <= 0;"
    "CREATE INDEX messages_message_id ON messages(hdr_message_id);"
    "CREATE TABLE mailbox_messages("
    " mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
    " uid INTEGER NOT NULL,"
    " message_id INTEGER NOT NULL REFERENCES messages(id),"
    " flags INTEGER NOT NULL DEFAULT 0,"
    " keywords TEXT,"
    " modseq INTEGER NOT NULL,"
    " internaldate INTEGER NOT NULL,"
    " PRIMARY KEY(mailbox_id, uid)) WITHOUT ROWID;"
    "CREATE INDEX mailbox_messages_message ON mailbox_messages(message_id);"
    "CREATE INDEX mailbox_messages_modseq"
    " ON mailbox_messages(mailbox_id, modseq);"
    "CREATE TABLE expunged("
    " mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
    " uid INTEGER NOT NULL,"
    " modseq INTEGER NOT NULL,"
    " PRIMARY KEY(mailbox_id, uid)) WITHOUT ROWID;"
    "CREATE INDEX expunged_modseq ON expunged(mailbox_id, modseq);"
    "CREATE TABLE queue("
    " id INTEGER PRIMARY KEY,"
    " message_id INTEGER NOT NULL REFERENCES messages(id),"
    " sender TEXT NOT NULL,"
    " envid TEXT,"
    " ret INTEGER NOT NULL DEFAULT 0,"
    " created INTEGER NOT NULL,"
    " next_attempt INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " last_attempt INTEGER,"
    " locked_until INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX queue_next ON queue(next_attempt);"
    "CREATE INDEX queue_message ON queue(message_id);"
    /* state: 0 pending, 1 delivered, 2 failed (bounced), 3 delayed
       (a delay DSN was sent, still pending). */
    "CREATE TABLE queue_rcpt("
    " queue_id INTEGER NOT NULL REFERENCES queue(id) ON DELETE CASCADE,"
    " address TEXT NOT NULL,"
    " orcpt TEXT,"
    " notify INTEGER NOT NULL DEFAULT 0,"
    " state INTEGER NOT NULL DEFAULT 0,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " last_attempt INTEGER,"
    " last_reply TEXT,"
    " PRIMARY KEY(queue_id, address)) WITHOUT ROWID;"
    "CREATE TRIGGER mm_ref AFTER INSERT ON mailbox_messages BEGIN"
    " UPDATE messages SET refcount = refcount + 1 WHERE id = NEW.message_id;"
    " END;"
    "CREATE TRIGGER mm_unref AFTER DELETE ON mailbox_messages BEGIN"
    " UPDATE messages SET refcount = refcount - 1 WHERE id = OLD.message_id;"
    " END;"
    "CREATE TRIGGER queue_ref AFTER INSERT ON queue BEGIN"
    " UPDATE messages SET refcount = refcount + 1 WHERE id = NEW.message_id;"
    " END;"
    "CREATE TRIGGER queue_unref AFTER DELETE ON queue BEGIN"
    " UPDATE messages SET refcount = refcount - 1 WHERE id = OLD.message_id;"
    " END;"
    "CREATE TRIGGER accounts_dir_i AFTER INSERT ON accounts BEGIN"
    " UPDATE meta SET value = value + 1 WHERE key = 'dir_version'; END;"
    "CREATE TRIGGER accounts_dir_d AFTER DELETE ON accounts BEGIN"
    " UPDATE meta SET value = value + 1 WHERE key = 'dir_version'; END;"
    "CREATE TRIGGER accounts_dir_u AFTER UPDATE OF address ON accounts BEGIN"
    " UPDATE meta SET value = value + 1 WHERE key = 'dir_version'; END;"
    "CREATE TRIGGER aliases_dir_i AFTER INSERT ON aliases BEGIN"
    " UPDATE meta SET value = value + 1 WHERE key = 'dir_version'; END;"
    "CREATE TRIGGER aliases_dir_d AFTER DELETE ON aliases BEGIN"
    " UPDATE meta SET value = value + 1 WHERE key = 'dir_version'; END;"
    "CREATE TRIGGER aliases_dir_u AFTER UPDATE ON aliases BEGIN"
    " UPDATE meta SET value = value + 1 WHERE key = 'dir_version'; END;";

/* Version 2: the outbound queue runner.  queue.held: `buzon queue hold`
   keeps an entry from being tried; queue.locked_until is non-zero while
   the runner has the entry in flight (cleared when the server starts);
   queue_rcpt.mta is the host that gave last_reply (DSN Remote-MTA). */
static const char store_schema_v2[] =
    "ALTER TABLE queue ADD COLUMN held INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE queue_rcpt ADD COLUMN mta TEXT;";

/* Version 3: IMAP.  Subscriptions are names of their own (RFC 9051
   6.3.7: a name stays subscribed when its mailbox is deleted), so they
   leave mailboxes for a table; the old flag is carried over and dropped.
   mailboxes.recent_uid is the highest UID some session has claimed as
   \Recent (RFC 3501 2.3.2): 0 here, so mail never seen by IMAP is new
   to the first session.  The indexes store_msg.c needs exist since v1:
   the primary key (mailbox_id, uid), mailbox_messages_modseq and
   expunged_modseq. */
static const char store_schema_v3[] =
    "CREATE TABLE subscriptions("
    " account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL,"
    " PRIMARY KEY(account_id, name)) WITHOUT ROWID;"
    "INSERT INTO subscriptions(account_id, name)"
    " SELECT account_id, name FROM mailboxes WHERE subscribed != 0;"
    "ALTER TABLE mailboxes DROP COLUMN subscribed;"
    "ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 0;";

/* Version 4: JMAP (RFC 8620/8621; design in store/store_jmap.h).  An
   account-wide change log written by triggers in the same transaction
   as every change, whoever makes it (delivery, IMAP, JMAP, the CLI):
   accounts.jmap_modseq counts the account's changes; jmap_changes keeps
   per object (type 1 Mailbox, 2 Email = messages.id, 3 Thread) the
   modseq of its creation and of its last change, and whether it is
   destroyed.  A message's Email lives while some copy of it is in one
   of the account's mailboxes.  jmap_threads holds the thread of each
   Email (assigned by store_jmap.c from the Message-ID, In-Reply-To and
   References fields; a message row is shared by its recipients, so the
   thread is per account, not a column of messages), jmap_msgids the
   thread each Message-ID seen in the account went to.  A mailbox's
   copies are deleted before the mailbox (BEFORE DELETE), so the
   triggers on mailbox_messages still find its account. */
static const char store_schema_v4[] =
    "ALTER TABLE accounts ADD COLUMN jmap_modseq INTEGER NOT NULL DEFAULT 1;"
    "CREATE TABLE jmap_changes("
    " account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    " type INTEGER NOT NULL,"
    " obj_id INTEGER NOT NULL,"
    " created INTEGER NOT NULL,"
    " modseq INTEGER NOT NULL,"
    " destroyed INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(account_id, type, obj_id)) WITHOUT ROWID;"
    "CREATE INDEX jmap_changes_modseq ON jmap_changes(account_id, type,"
    " modseq);"
    "CREATE TABLE jmap_threads("
    " account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    " message_id INTEGER NOT NULL,"
    " thread_id INTEGER NOT NULL,"
    " PRIMARY KEY(account_id, message_id)) WITHOUT ROWID;"
    "CREATE INDEX jmap_threads_thread ON jmap_threads(account_id, thread_id);"
    "CREATE TABLE jmap_msgids("
    " account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    " msgid TEXT NOT NULL,"
    " thread_id INTEGER NOT NULL,"
    " PRIMARY KEY(account_id, msgid)) WITHOUT ROWID;"
    /* a copy arrives: its Email is created (or updated: another copy),
       its mailbox's counts change */
    "CREATE TRIGGER jmap_mm_i AFTER INSERT ON mailbox_messages BEGIN"
    " UPDATE accounts SET jmap_modseq = jmap_modseq + 1 WHERE id ="
    "  (SELECT account_id FROM mailboxes WHERE id = NEW.mailbox_id);"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq)"
    "  SELECT a.id, 2, NEW.message_id, a.jmap_modseq, a.jmap_modseq"
    "  FROM mailboxes b JOIN accounts a ON a.id = b.account_id"
    "  WHERE b.id = NEW.mailbox_id ON CONFLICT DO UPDATE SET"
    "  created = CASE WHEN destroyed THEN excluded.created ELSE created END,"
    "  modseq = excluded.modseq, destroyed = 0;"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq)"
    "  SELECT a.id, 1, NEW.mailbox_id, a.jmap_modseq, a.jmap_modseq"
    "  FROM mailboxes b JOIN accounts a ON a.id = b.account_id"
    "  WHERE b.id = NEW.mailbox_id ON CONFLICT DO UPDATE SET"
    "  modseq = excluded.modseq;"
    " END;"
    /* flags, keywords, or the copy moved (INBOX rename) */
    "CREATE TRIGGER jmap_mm_u AFTER UPDATE OF mailbox_id, flags, keywords"
    " ON mailbox_messages WHEN OLD.mailbox_id != NEW.mailbox_id OR"
    " OLD.flags != NEW.flags OR OLD.keywords IS NOT NEW.keywords BEGIN"
    " UPDATE accounts SET jmap_modseq = jmap_modseq + 1 WHERE id ="
    "  (SELECT account_id FROM mailboxes WHERE id = NEW.mailbox_id);"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq)"
    "  SELECT a.id, t.type, t.obj, a.jmap_modseq, a.jmap_modseq"
    "  FROM mailboxes b JOIN accounts a ON a.id = b.account_id,"
    "  (SELECT 2 AS type, NEW.message_id AS obj UNION ALL"
    "   SELECT 1, NEW.mailbox_id UNION ALL SELECT 1, OLD.mailbox_id) t"
    "  WHERE b.id = NEW.mailbox_id ON CONFLICT DO UPDATE SET"
    "  modseq = excluded.modseq;"
    " END;"
    /* a copy goes: the Email is destroyed with its last copy in the
       account, and then its Thread changes (destroyed with its last
       Email) */
    "CREATE TRIGGER jmap_mm_d AFTER DELETE ON mailbox_messages BEGIN"
    " UPDATE accounts SET jmap_modseq = jmap_modseq + 1 WHERE id ="
    "  (SELECT account_id FROM mailboxes WHERE id = OLD.mailbox_id);"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq)"
    "  SELECT a.id, 1, OLD.mailbox_id, a.jmap_modseq, a.jmap_modseq"
    "  FROM mailboxes b JOIN accounts a ON a.id = b.account_id"
    "  WHERE b.id = OLD.mailbox_id ON CONFLICT DO UPDATE SET"
    "  modseq = excluded.modseq;"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq,"
    "  destroyed)"
    "  SELECT a.id, 2, OLD.message_id, a.jmap_modseq, a.jmap_modseq,"
    "  NOT EXISTS(SELECT 1 FROM mailbox_messages m JOIN mailboxes x"
    "   ON x.id = m.mailbox_id WHERE m.message_id = OLD.message_id"
    "   AND x.account_id = a.id)"
    "  FROM mailboxes b JOIN accounts a ON a.id = b.account_id"
    "  WHERE b.id = OLD.mailbox_id ON CONFLICT DO UPDATE SET"
    "  modseq = excluded.modseq, destroyed = excluded.destroyed;"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq,"
    "  destroyed)"
    "  SELECT t.account_id, 3, t.thread_id, c.modseq, c.modseq,"
    "  NOT EXISTS(SELECT 1 FROM jmap_threads u WHERE"
    "   u.account_id = t.account_id AND u.thread_id = t.thread_id"
    "   AND u.message_id != t.message_id)"
    "  FROM mailboxes b JOIN jmap_changes c ON c.account_id = b.account_id"
    "  AND c.type = 2 AND c.obj_id = OLD.message_id AND c.destroyed"
    "  JOIN jmap_threads t ON t.account_id = c.account_id"
    "  AND t.message_id = c.obj_id"
    "  WHERE b.id = OLD.mailbox_id ON CONFLICT DO UPDATE SET"
    "  modseq = excluded.modseq, destroyed = excluded.destroyed;"
    " DELETE FROM jmap_threads WHERE message_id = OLD.message_id AND"
    "  account_id = (SELECT c.account_id FROM mailboxes b JOIN jmap_changes"
    "  c ON c.account_id = b.account_id AND c.type = 2 AND"
    "  c.obj_id = OLD.message_id AND c.destroyed WHERE b.id = OLD.mailbox_id);"
    " END;"
    "CREATE TRIGGER jmap_mb_i AFTER INSERT ON mailboxes BEGIN"
    " UPDATE accounts SET jmap_modseq = jmap_modseq + 1"
    "  WHERE id = NEW.account_id;"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq)"
    "  SELECT id, 1, NEW.id, jmap_modseq, jmap_modseq FROM accounts"
    "  WHERE id = NEW.account_id ON CONFLICT DO UPDATE SET"
    "  created = excluded.created, modseq = excluded.modseq, destroyed = 0;"
    " END;"
    "CREATE TRIGGER jmap_mb_u AFTER UPDATE OF name, special_use ON mailboxes"
    " WHEN OLD.name != NEW.name OR OLD.special_use IS NOT NEW.special_use"
    " BEGIN"
    " UPDATE accounts SET jmap_modseq = jmap_modseq + 1"
    "  WHERE id = NEW.account_id;"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq)"
    "  SELECT id, 1, NEW.id, jmap_modseq, jmap_modseq FROM accounts"
    "  WHERE id = NEW.account_id ON CONFLICT DO UPDATE SET"
    "  modseq = excluded.modseq;"
    " END;"
    "CREATE TRIGGER jmap_mb_bd BEFORE DELETE ON mailboxes BEGIN"
    " DELETE FROM mailbox_messages WHERE mailbox_id = OLD.id;"
    " END;"
    "CREATE TRIGGER jmap_mb_d AFTER DELETE ON mailboxes BEGIN"
    " UPDATE accounts SET jmap_modseq = jmap_modseq + 1"
    "  WHERE id = OLD.account_id;"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq,"
    "  destroyed)"
    "  SELECT id, 1, OLD.id, jmap_modseq, jmap_modseq, 1 FROM accounts"
    "  WHERE id = OLD.account_id ON CONFLICT DO UPDATE SET"
    "  modseq = excluded.modseq, destroyed = 1;"
    " END;"
    /* isSubscribed */
    "CREATE TRIGGER jmap_sub_i AFTER INSERT ON subscriptions BEGIN"
    " UPDATE accounts SET jmap_modseq = jmap_modseq + 1"
    "  WHERE id = NEW.account_id;"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq)"
    "  SELECT a.id, 1, b.id, a.jmap_modseq, a.jmap_modseq FROM mailboxes b"
    "  JOIN accounts a ON a.id = b.account_id WHERE"
    "  b.account_id = NEW.account_id AND b.name = NEW.name"
    "  ON CONFLICT DO UPDATE SET modseq = excluded.modseq;"
    " END;"
    "CREATE TRIGGER jmap_sub_d AFTER DELETE ON subscriptions BEGIN"
    " UPDATE accounts SET jmap_modseq = jmap_modseq + 1"
    "  WHERE id = OLD.account_id;"
    " INSERT INTO jmap_changes(account_id, type, obj_id, created, modseq)"
    "  SELECT a.id, 1, b.id, a.jmap_modseq, a.jmap_modseq FROM mailboxes b"
    "  JOIN accounts a ON a.id = b.account_id WHERE"
    "  b.account_id = OLD.account_id AND b.name = OLD.name"
    "  ON CONFLICT DO UPDATE SET modseq = excluded.modseq;"
    " END;";

/* Version 5: JMAP objects that are not mail (RFC 8621 6-7): Identities
   (type 4) and EmailSubmissions (type 5) of an account, their
   properties as a JSON object (store_jmap.h), logged in jmap_changes
   like the mail types. */
static const char store_schema_v5[] =
    "CREATE TABLE jmap_objects("
    " id INTEGER PRIMARY KEY,"
    " account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,"
    " type INTEGER NOT NULL,"
    " props TEXT NOT NULL);"
    "CREATE INDEX jmap_objects_account ON jmap_objects(account_id, type);";

/* Version 6: JMAP at 100,000 messages a mailbox.  A copy carries the
   thread of its Email in its account (mailbox_messages.thread_id, 0
   until store_jmap.c threads the Email; a copy belongs to one account,
   so unlike messages it can hold it), filled here from jmap_threads.
   mailbox_messages_date serves Email/query inMailbox sorted by
   receivedAt with collapseThreads from the index alone;
   mailbox_messages_unthreaded finds the copies still to thread without
   a scan. */
static const char store_schema_v6[] =
    "ALTER TABLE mailbox_messages ADD COLUMN thread_id INTEGER NOT NULL"
    " DEFAULT 0;"
    "UPDATE mailbox_messages SET thread_id = coalesce((SELECT t.thread_id"
    " FROM mailboxes b JOIN jmap_threads t ON t.account_id = b.account_id"
    " WHERE b.id = mailbox_messages.mailbox_id AND"
    " t.message_id = mailbox_messages.message_id), 0);"
    "CREATE INDEX mailbox_messages_date ON mailbox_messages(mailbox_id,"
    " internaldate, message_id, thread_id);"
    "CREATE INDEX mailbox_messages_unthreaded ON mailbox_messages(mailbox_id,"
    " message_id) WHERE thread_id = 0;";

/* store_migrations[n] takes the schema from version n to n + 1.  Add new
   versions at the end; never edit a released step. */
static const char *const store_migrations[] = {
    store_schema_v1,
    store_schema_v2,
    store_schema_v3,
    store_schema_v4,
    store_schema_v5,
    store_schema_v6,
};
#define STORE_SCHEMA_VERSION                                                   \
	((int)(sizeof(store_migrations) / sizeof(store_migrations[0])))

/* ---- errors ---- */

static __thread char store_errbuf[512];

int
store_err(const char **error_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(store_errbuf, sizeof(store_errbuf), fmt, ap);
	va_end(ap);
	if (error_r != NULL)
		*error_r = store_errbuf;
	return -1;
}

int
store_err_db(const char **error_r, struct store_db *db, const char *what)
{
	return store_err(error_r, "%s: %s", what, sqlite3_errmsg(db->db));
}

/* ---- connections ---- */

struct store_db *
store_db_open(struct store *s, const char **error_r)
{
	struct store_db *db = xzalloc(sizeof(*db));
	int rc;

	rc = sqlite3_open_v2(s->db_path, &db->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				 SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		store_err(error_r, "%s: %s", s->db_path,
			  db->db ? sqlite3_errmsg(db->db) : sqlite3_errstr(rc));
		store_db_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db->db, 1);
	sqlite3_busy_timeout(db->db, STORE_BUSY_TIMEOUT_MS);
	/* WAL lets readers (lookups, IMAP) run beside the one writer;
	   synchronous=FULL makes every commit durable before it returns,
	   which is what a 250 reply promises. */
	if (sqlite3_exec(db->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "PRAGMA foreign_keys=ON;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		store_err_db(error_r, db, s->db_path);
		store_db_close(db);
		return NULL;
	}
	return db;
}

void
store_db_close(struct store_db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n_stmts; i++)
		sqlite3_finalize(db->stmts[i].st);
	free(db->stmts);
	sqlite3_close(db->db);
	free(db);
}

struct store_db *
store_db_acquire(struct store *s, const char **error_r)
{
	struct store_db *db;

	pthread_mutex_lock(&s->db_mu);
	db = s->db_free;
	if (db != NULL)
		s->db_free = db->next;
	pthread_mutex_unlock(&s->db_mu);
	if (db == NULL)
		db = store_db_open(s, error_r);
	return db;
}

void
store_db_release(struct store *s, struct store_db *db)
{
	size_t i;

	/* Leave no statement holding a read snapshot open. */
	for (i = 0; i < db->n_stmts; i++)
		sqlite3_reset(db->stmts[i].st);
	if (!sqlite3_get_autocommit(db->db))
		store_db_rollback(db);
	pthread_mutex_lock(&s->db_mu);
	db->next = s->db_free;
	s->db_free = db;
	pthread_mutex_unlock(&s->db_mu);
}

sqlite3_stmt *
store_db_stmt(struct store_db *db, const char *sql)
{
	sqlite3_stmt *st;
	size_t i;

	for (i = 0; i < db->n_stmts; i++)
		if (db->stmts[i].sql == sql) {
			st = db->stmts[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK)
		return NULL;
	if (db->n_stmts == db->cap_stmts) {
		db->cap_stmts = db->cap_stmts == 0 ? 32 : db->cap_stmts * 2;
		db->stmts =
		    xrealloc(db->stmts, db->cap_stmts * sizeof(*db->stmts));
	}
	db->stmts[db->n_stmts].sql = sql;
	db->stmts[db->n_stmts].st = st;
	db->n_stmts++;
	return st;
}

int
store_db_exec(struct store_db *db, const char *sql)
{
	sqlite3_stmt *st = store_db_stmt(db, sql);
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static const char sql_begin_read[] = "BEGIN";
static const char sql_begin[] = "BEGIN IMMEDIATE";
static const char sql_commit[] = "COMMIT";
static const char sql_rollback[] = "ROLLBACK";

int
store_db_begin(struct store_db *db)
{
	return store_db_exec(db, sql_begin);
}

int
store_db_commit(struct store_db *db)
{
	return store_db_exec(db, sql_commit);
}

void
store_db_rollback(struct store_db *db)
{
	if (!sqlite3_get_autocommit(db->db))
		(void)store_db_exec(db, sql_rollback);
}

struct store_db *
store_db_acquire_tx(struct store *s, bool write, const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);

	if (db != NULL &&
	    store_db_exec(db, write ? sql_begin : sql_begin_read) < 0) {
		store_err_db(error_r, db, "begin");
		store_db_release(s, db);
		db = NULL;
	}
	return db;
}

int
store_db_get_int(struct store_db *db, const char *sql, const char *text,
		 int64_t *v_r)
{
	sqlite3_stmt *st = store_db_stmt(db, sql);
	int rc;

	*v_r = 0;
	if (st == NULL)
		return -1;
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
store_db_ints(struct store_db *db, const char *sql, const int64_t *args,
	      int n_args, int64_t *v_r, int n_v)
{
	sqlite3_stmt *st = store_db_stmt(db, sql);
	int rc, i;

	if (st == NULL)
		return -1;
	for (i = 0; i < n_args; i++)
		sqlite3_bind_int64(st, i + 1, args[i]);
	rc = sqlite3_step(st);
	for (i = 0; rc == SQLITE_ROW && i < n_v; i++)
		v_r[i] = sqlite3_column_int64(st, i);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
store_db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
store_address_norm(const char *in, char *out)
{
	size_t i;

	for (i = 0; in[i] != '\0'; i++) {
		unsigned char c = (unsigned char)in[i];

		if (i >= STORE_ADDRESS_MAX || c <= ' ' || c == 0x7f)
			return -1;
		out[i] = (char)tolower(c);
	}
	out[i] = '\0';
	return i == 0 ? -1 : 0;
}

/* ---- schema migration ---- */

static int
store_schema_version(struct store_db *db, int *version_r)
{
	sqlite3_stmt *st;
	int rc;

	*version_r = 0;
	if (sqlite3_prepare_v2(db->db,
			       "SELECT 1 FROM sqlite_master WHERE type='table'"
			       " AND name='meta'",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0; /* empty database */
	if (rc != SQLITE_ROW)
		return -1;
	if (sqlite3_prepare_v2(db->db,
			       "SELECT value FROM meta WHERE key="
			       "'schema_version'",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version_r = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Step the schema from whatever version it has to STORE_SCHEMA_VERSION,
   all in one transaction so a failed step leaves the old version. */
static int
store_migrate(struct store_db *db, const char **error_r)
{
	int v;

	if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return store_err_db(error_r, db, "schema");
	if (store_schema_version(db, &v) < 0) {
		store_err_db(error_r, db, "schema version");
		goto fail;
	}
	if (v > STORE_SCHEMA_VERSION) {
		store_err(error_r, "database schema %d is newer than %d", v,
			  STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (; v < STORE_SCHEMA_VERSION; v++) {
		char sql[128];

		if (sqlite3_exec(db->db, store_migrations[v], NULL, NULL,
				 NULL) != SQLITE_OK) {
			store_err(error_r, "schema %d->%d: %s", v, v + 1,
				  sqlite3_errmsg(db->db));
			goto fail;
		}
		snprintf(sql, sizeof(sql),
			 "INSERT OR REPLACE INTO meta VALUES('schema_version',"
			 " %d)",
			 v + 1);
		if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			store_err_db(error_r, db, "schema version");
			goto fail;
		}
	}
	if (sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		store_err_db(error_r, db, "schema commit");
		goto fail;
	}
	return 0;
fail:
	sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* ---- directories ---- */

static int
store_mkdir(const char *path, const char **error_r)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return store_err(error_r, "mkdir %s: %s", path,
				 strerror(errno));
	return 0;
}

/* data_dir, data_dir/tmp, data_dir/blobs and its 256 fan-out directories
   blobs/00 .. blobs/ff, made durable once when first created. */
static int
store_make_dirs(struct store *s, const char *data_dir, const char **error_r)
{
	char path[PATH_MAX];
	bool created = false;
	unsigned i;

	if (store_mkdir(data_dir, error_r) < 0)
		return -1;
	s->data_dir = realpath(data_dir, NULL);
	if (s->data_dir == NULL)
		return store_err(error_r, "%s: %s", data_dir, strerror(errno));
	s->db_path = xasprintf("%s/store.db", s->data_dir);
	s->blob_dir = xasprintf("%s/blobs", s->data_dir);
	s->tmp_dir = xasprintf("%s/tmp", s->data_dir);
	if (store_mkdir(s->tmp_dir, error_r) < 0 ||
	    store_mkdir(s->blob_dir, error_r) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/ff", s->blob_dir);
	if (access(path, F_OK) == 0)
		return 0;
	for (i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "%s/%02x", s->blob_dir, i);
		if (store_mkdir(path, error_r) < 0)
			return -1;
		created = true;
	}
	if (created && (dir_fsync(s->blob_dir) < 0 ||
			dir_fsync(s->data_dir) < 0))
		return store_err(error_r, "fsync %s: %s", s->blob_dir,
				 strerror(errno));
	return 0;
}

/* ---- open / close ---- */

static void
store_free(struct store *s)
{
	struct store_db *db;

	while ((db = s->db_free) != NULL) {
		s->db_free = db->next;
		store_db_close(db);
	}
	store_db_close(s->lookup_db);
	store_dir_free(&s->dir);
	pthread_mutex_destroy(&s->db_mu);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->notify_mu);
	pthread_cond_destroy(&s->sync_cv);
	pthread_cond_destroy(&s->commit_cv);
	pthread_cond_destroy(&s->combine_cv);
	pthread_mutex_destroy(&s->count_mu);
	free(s->data_dir);
	free(s->db_path);
	free(s->blob_dir);
	free(s->tmp_dir);
	free(s);
}

struct store *
store_open(const char *data_dir, struct pool *pool, const char **error_r)
{
	struct store *s = xzalloc(sizeof(*s));
	struct store_db *db;

	pthread_mutex_init(&s->db_mu, NULL);
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->notify_mu, NULL);
	pthread_cond_init(&s->sync_cv, NULL);
	pthread_cond_init(&s->commit_cv, NULL);
	pthread_cond_init(&s->combine_cv, NULL);
	pthread_mutex_init(&s->count_mu, NULL);
	s->sync_tail = &s->sync_head;
	s->commit_tail = &s->commit_head;
	s->combine_tail = &s->combine_head;
	s->pool = pool;
	s->dir = store_dir_new();
	if (store_make_dirs(s, data_dir, error_r) < 0)
		goto fail;
	db = store_db_open(s, error_r);
	if (db == NULL)
		goto fail;
	/* The database holds password hashes: owner only (the -wal and -shm
	   files take the same mode from it). */
	(void)chmod(s->db_path, 0600);
	if (store_migrate(db, error_r) < 0) {
		store_db_close(db);
		goto fail;
	}
	store_db_release(s, db);
	/* The lookup directory keeps its own connection, which never writes:
	   PRAGMA data_version on it then changes exactly when another
	   connection (this process's committer or the CLI) commits. */
	s->lookup_db = store_db_open(s, error_r);
	if (s->lookup_db == NULL)
		goto fail;
	if (pool != NULL && store_deliver_start(s, error_r) < 0)
		goto fail;
	/* Files released by a commit that was followed by a crash. */
	if (pool != NULL)
		store_blob_gc(s);
	return s;
fail:
	store_free(s);
	return NULL;
}

void
store_close(struct store **sp)
{
	struct store *s = *sp;

	if (s == NULL)
		return;
	*sp = NULL;
	store_deliver_stop(s);
	store_free(s);
}

int
store_add_notify(struct store *s, store_notify_fn *fn, void *arg)
{
	int rc = -1;

	pthread_mutex_lock(&s->notify_mu);
	if (s->n_notify < STORE_NOTIFY_MAX) {
		s->notify[s->n_notify].fn = fn;
		s->notify[s->n_notify].arg = arg;
		s->n_notify++;
		rc = 0;
	}
	pthread_mutex_unlock(&s->notify_mu);
	return rc;
}

void
store_remove_notify(struct store *s, store_notify_fn *fn, void *arg)
{
	size_t i;

	pthread_mutex_lock(&s->notify_mu);
	for (i = 0; i < s->n_notify; i++) {
		if (s->notify[i].fn != fn || s->notify[i].arg != arg)
			continue;
		memmove(&s->notify[i], &s->notify[i + 1],
			(s->n_notify - i - 1) * sizeof(s->notify[0]));
		s->n_notify--;
		break;
	}
	pthread_mutex_unlock(&s->notify_mu);
}

static void
store_notify_kind(struct store *s, enum store_change kind, const int64_t *ids,
		  size_t n)
{
	size_t i, k;

	pthread_mutex_lock(&s->notify_mu);
	for (k = 0; k < s->n_notify; k++)
		for (i = 0; i < n; i++)
			s->notify[k].fn(s->notify[k].arg, kind, ids[i]);
	pthread_mutex_unlock(&s->notify_mu);
}

void
store_notify(struct store *s, const int64_t *ids, size_t n)
{
	store_notify_kind(s, STORE_CHANGE_MAILBOX, ids, n);
}

void
store_notify_account(struct store *s, int64_t account_id)
{
	store_notify_kind(s, STORE_CHANGE_ACCOUNT, &account_id, 1);
}

static const char sql_notify_owner[] =
    "SELECT account_id FROM mailboxes WHERE id = ?1";

int
store_notify_owners(struct store *s, const int64_t *ids, size_t n,
		    int64_t *accounts_r, const char **error_r)
{
	struct store_db *db = store_db_acquire(s, error_r);
	size_t i;

	if (db == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		accounts_r[i] = 0;
		if (store_db_ints(db, sql_notify_owner, &ids[i], 1,
				  &accounts_r[i], 1) < 0) {
			store_err_db(error_r, db, "mailbox owner");
			store_db_release(s, db);
			return -1;
		}
	}
	store_db_release(s, db);
	return 0;
}

int
store_db_commit_changes(struct store *s, struct store_db *db,
			const int64_t *ids, size_t n, bool gc,
			const char **error_r)
{
	/* synchronous=FULL: the commit is durable when it returns. */
	if (store_db_commit(db) < 0) {
		store_err_db(error_r, db, "commit");
		store_db_rollback(db);
		store_db_release(s, db);
		return -1;
	}
	store_db_release(s, db);
	store_notify(s, ids, n);
	/* Only after the commit: files of messages nobody holds now. */
	if (gc)
		store_blob_gc(s);
	return 0;
}

void
store_stats(struct store *s, struct store_stats *r)
{
	pthread_mutex_lock(&s->mu);
	*r = s->stats;
	pthread_mutex_unlock(&s->mu);
}

/* store_lookup.c: the in-memory recipient directory (accounts, aliases). */
/* SPDX-License-Identifier: MIT */
#include "store/store_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arena.h"
#include "limits.h"
#include "xalloc.h"

struct store_dir_entry {
	const char *key; /* NULL: empty slot */
	enum store_addr_kind kind;
	int64_t account_id;
	const char **targets;
	size_t n_targets;
};

/* An open-addressing hash (linear probing, at most half full) rebuilt
   from scratch on every reload; all strings live in one arena. */
struct store_dir {
	struct arena *arena;
	struct store_dir_entry *slots;
	size_t cap; /* power of two */
	int64_t data_version, dir_version;
	bool loaded;
};

struct store_dir *
store_dir_new(void)
{
	return xzalloc(sizeof(struct store_dir));
}

static void
store_dir_clear(struct store_dir *d)
{
	if (d->arena != NULL)
		arena_free(&d->arena);
	free(d->slots);
	d->slots = NULL;
	d->cap = 0;
	d->loaded = false;
}

void
store_dir_free(struct store_dir **dp)
{
	if (*dp == NULL)
		return;
	store_dir_clear(*dp);
	free(*dp);
	*dp = NULL;
}

static uint64_t
store_dir_hash(const char *key)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */

	for (; *key != '\0'; key++)
		h = (h ^ (uint8_t)*key) * 1099511628211ull;
	return h;
}

/* The slot holding key, or the empty slot where it would go. */
static struct store_dir_entry *
store_dir_slot(const struct store_dir *d, const char *key)
{
	size_t i = (size_t)store_dir_hash(key) & (d->cap - 1);

	while (d->slots[i].key != NULL && strcmp(d->slots[i].key, key) != 0)
		i = (i + 1) & (d->cap - 1);
	return &d->slots[i];
}

static const char sql_dir_version[] =
    "SELECT value FROM meta WHERE key = 'dir_version'";
static const char sql_data_version[] = "PRAGMA data_version";
static const char sql_dir_count[] =
    "SELECT (SELECT count(*) FROM accounts) +"
    " (SELECT count(DISTINCT address) FROM aliases)";
static const char sql_dir_accounts[] = "SELECT id, address FROM accounts";
static const char sql_dir_aliases[] =
    "SELECT address, target FROM aliases ORDER BY address, rowid";
static const char sql_dir_begin[] = "BEGIN";
static const char sql_dir_end[] = "COMMIT";

/* One integer from a one-row statement, or -1. */
static int64_t
store_dir_int(struct store_db *db, const char *sql)
{
	sqlite3_stmt *st = store_db_stmt(db, sql);
	int64_t v = -1;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	if (st != NULL)
		sqlite3_reset(st);
	return v;
}

static void
store_dir_add_alias(struct store_dir *d, const char *addr, char **targets,
		    size_t n)
{
	struct store_dir_entry *e = store_dir_slot(d, addr);
	size_t i;

	if (e->key != NULL)
		return; /* an account of that name wins */
	e->key = arena_strdup(d->arena, addr);
	e->kind = STORE_ADDR_ALIAS;
	e->targets = arena_alloc(d->arena, n * sizeof(*e->targets));
	for (i = 0; i < n; i++)
		e->targets[i] = targets[i]; /* already in the arena */
	e->n_targets = n;
}

static int
store_dir_load_aliases(struct store_dir *d, struct store_db *db)
{
	sqlite3_stmt *st = store_db_stmt(db, sql_dir_aliases);
	char *cur = NULL, **targets = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 0);
		const char *t = (const char *)sqlite3_column_text(st, 1);

		if (cur != NULL && strcmp(cur, a) != 0) {
			store_dir_add_alias(d, cur, targets, n);
			n = 0;
		}
		if (cur == NULL || strcmp(cur, a) != 0)
			cur = arena_strdup(d->arena, a);
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			targets = xrealloc(targets, cap * sizeof(*targets));
		}
		targets[n++] = arena_strdup(d->arena, t);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_DONE && n > 0)
		store_dir_add_alias(d, cur, targets, n);
	free(targets);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Rebuild the directory from the database (inside a read transaction). */
static int
store_dir_load(struct store_dir *d, struct store_db *db, int64_t dir_version)
{
	sqlite3_stmt *st;
	int64_t n = store_dir_int(db, sql_dir_count);
	int rc;

	if (n < 0)
		return -1;
	store_dir_clear(d);
	d->arena = arena_new("store_dir", STORE_DIR_ARENA_CHUNK);
	for (d->cap = 16; d->cap < 2 * (size_t)n + 2; d->cap *= 2)
		;
	d->slots = xcalloc(d->cap, sizeof(*d->slots));
	st = store_db_stmt(db, sql_dir_accounts);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *a = (const char *)sqlite3_column_text(st, 1);
		struct store_dir_entry *e = store_dir_slot(d, a);

		e->key = arena_strdup(d->arena, a);
		e->kind = STORE_ADDR_ACCOUNT;
		e->account_id = sqlite3_column_int64(st, 0);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || store_dir_load_aliases(d, db) < 0) {
		store_dir_clear(d);
		return -1;
	}
	d->dir_version = dir_version;
	d->loaded = true;
	return 0;
}

/* Reload when another connection changed accounts or aliases.  When no
   connection committed anything, PRAGMA data_version alone answers from
   the shared WAL index, without reading the database file. */
static int
store_dir_refresh(struct store *s)
{
	struct store_dir *d = s->dir;
	struct store_db *db = s->lookup_db;
	int64_t dv, v = store_dir_int(db, sql_data_version);
	int rc = 0;

	if (v < 0)
		return -1;
	if (d->loaded && v == d->data_version)
		return 0;
	if (store_db_exec(db, sql_dir_begin) < 0)
		return -1;
	dv = store_dir_int(db, sql_dir_version);
	if (dv < 0)
		rc = -1;
	else if (!d->loaded || dv != d->dir_version)
		rc = store_dir_load(d, db, dv);
	if (store_db_exec(db, sql_dir_end) < 0)
		rc = -1;
	if (rc == 0)
		d->data_version = v;
	return rc;
}

int
store_lookup(struct store *s, const char *address, struct store_lookup *r)
{
	char addr[STORE_ADDRESS_MAX + 1];
	const struct store_dir_entry *e;

	memset(r, 0, sizeof(*r));
	r->kind = STORE_ADDR_NONE;
	if (store_dir_refresh(s) < 0) {
		store_db_rollback(s->lookup_db);
		return -1;
	}
	if (store_address_norm(address, addr) < 0)
		return 0;
	e = store_dir_slot(s->dir, addr);
	if (e->key == NULL)
		return 0;
	r->kind = e->kind;
	r->account_id = e->account_id;
	r->targets = e->targets;
	r->n_targets = e->n_targets;
	return 0;
}

int
store_lookup_account(struct store *s, const char *address, char delim,
		     int64_t *account_r)
{
	const char *at = strrchr(address, '@'), *tag;
	char base[STORE_ADDRESS_MAX + 1];
	struct store_lookup lk;

	if (store_lookup(s, address, &lk) < 0)
		return -1;
	if (lk.kind == STORE_ADDR_NONE && delim != '\0' && at != NULL &&
	    (tag = memchr(address, delim, (size_t)(at - address))) != NULL &&
	    tag != address &&
	    (size_t)(tag - address) + strlen(at) <= STORE_ADDRESS_MAX) {
		snprintf(base, sizeof(base), "%.*s%s", (int)(tag - address),
			 address, at);
		if (store_lookup(s, base, &lk) < 0)
			return -1;
	}
	if (lk.kind != STORE_ADDR_ACCOUNT)
		return 0;
	*account_r = lk.account_id;
	return 1;
}

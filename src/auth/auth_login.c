/* auth_login.c: password and APOP checks on the worker pool. */
/* SPDX-License-Identifier: MIT */
#include "auth/auth_login.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "pool.h"
#include "store/store.h"
#include "xalloc.h"

struct auth_login_job {
	struct store *store;
	char *user;   /* full address, lowercased */
	char *secret; /* password or APOP digest; wiped after use */
	char *apop_timestamp;
	enum auth_login_result result;
	int64_t account_id;
	auth_login_done_fn *done;
	void *arg;
};

void
auth_secret_free(char **p)
{
	if (*p == NULL)
		return;
	explicit_bzero(*p, strlen(*p));
	free(*p);
	*p = NULL;
}

bool
auth_apop_verify(const char *timestamp, const char *secret, const char *digest)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	unsigned diff = 0;
	EVP_MD_CTX *ctx;
	bool ok;

	if (secret == NULL || secret[0] == '\0' || strlen(digest) != 32)
		return false;
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) == 1 &&
	     EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 16;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return false;
	for (i = 0; i < 32; i++) {
		unsigned nibble = (md[i / 2] >> (i % 2 == 0 ? 4 : 0)) & 0xfu;
		unsigned char c =
		    (unsigned char)tolower((unsigned char)digest[i]);

		diff |= (unsigned)(c ^ (unsigned char)hex[nibble]);
	}
	explicit_bzero(md, sizeof(md));
	return diff == 0;
}

/* Worker thread. */
static void
auth_login_work(void *arg)
{
	struct auth_login_job *j = arg;
	struct store_account a;
	const char *error;
	int rc;

	memset(&a, 0, sizeof(a));
	rc = store_account_get(j->store, j->user, &a, &error);
	if (rc < 0) {
		j->result = AUTH_LOGIN_TEMPFAIL;
	} else if (j->apop_timestamp != NULL) {
		j->result =
		    rc == 1 && auth_apop_verify(j->apop_timestamp,
						a.apop_secret, j->secret)
			? AUTH_LOGIN_OK
			: AUTH_LOGIN_BAD;
	} else if (rc == 1) {
		j->result = auth_verify_password(a.pwhash, j->secret)
				? AUTH_LOGIN_OK
				: AUTH_LOGIN_BAD;
	} else {
		/* Same cost for unknown users: no timing oracle. */
		auth_verify_password(NULL, j->secret);
		j->result = AUTH_LOGIN_BAD;
	}
	if (j->result == AUTH_LOGIN_OK)
		j->account_id = a.id;
	if (a.apop_secret != NULL)
		explicit_bzero(a.apop_secret, strlen(a.apop_secret));
	store_account_clear(&a);
	auth_secret_free(&j->secret);
}

/* Loop thread. */
static void
auth_login_finish(void *arg)
{
	struct auth_login_job *j = arg;

	j->done(j->arg, j->result, j->account_id, j->user);
	free(j->user);
	free(j->apop_timestamp);
	free(j);
}

void
auth_login_check(struct pool *pool, struct store *store,
		 const char *default_domain, char *user, char *secret,
		 const char *apop_timestamp, auth_login_done_fn *done,
		 void *arg)
{
	struct auth_login_job *j = xzalloc(sizeof(*j));
	char *p;

	if (strchr(user, '@') == NULL) {
		char *full = xasprintf("%s@%s", user, default_domain);

		free(user);
		user = full;
	}
	for (p = user; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	j->store = store;
	j->user = user;
	j->secret = secret;
	j->apop_timestamp =
	    apop_timestamp != NULL ? xstrdup(apop_timestamp) : NULL;
	j->done = done;
	j->arg = arg;
	pool_submit_cpu(pool, auth_login_work, auth_login_finish, j);
}

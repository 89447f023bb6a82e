/* test_dkim_sign.c: DKIM keys and signatures, checked by an independent
   verifier (tests/lib/dkim_verify.py, Debian's python3-dkim). */
/* SPDX-License-Identifier: MIT */
#include "test.h"

#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "dkim/dkim_canon.h"
#include "dkim/dkim_key.h"
#include "dkim/dkim_sign.h"
#include "limits.h"
#include "xalloc.h"

#define VERIFIER "tests/lib/dkim_verify.py"
#define DOMAIN "example.test"
#define T0 1700000000

extern char **environ;

static char tmpdir[64];
static struct dkim_key *keys; /* [0] ed25519, [1] rsa (sorted by selector) */
static int nkeys;

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
setup(void)
{
	const char *err = NULL;

	if (nkeys > 0)
		return;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/buzon-dkim-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	if (dkim_key_create_defaults(tmpdir, DOMAIN, &err) != 2 ||
	    (nkeys = dkim_key_load_domain(tmpdir, DOMAIN, &keys, &err)) != 2) {
		fprintf(stderr, "cannot make DKIM keys: %s\n", err);
		exit(1);
	}
}

/* Sign msg (CRLF lines) with key: header up to the empty line, the body
   fed to the hasher in pieces of `step` octets.  Returns the signature
   field (malloc'd) or NULL with *err. */
static char *
sign_with(const struct dkim_key *key, const char *msg, size_t step,
	  const char **err)
{
	struct dkim_sign_params p = {DOMAIN, key, T0};
	struct dkim_canon_body *b =
	    dkim_canon_body_new(DKIM_CANON_RELAXED, NULL);
	const char *sep = strstr(msg, "\r\n\r\n");
	size_t hlen = sep != NULL ? (size_t)(sep - msg) + 2 : strlen(msg);
	const char *body = sep != NULL ? sep + 4 : msg + hlen;
	size_t blen = strlen(body), pos;
	uint8_t bh[DKIM_HASH_LEN];

	for (pos = 0; pos < blen; pos += step)
		dkim_canon_body_update(b, body + pos,
				       blen - pos < step ? blen - pos : step);
	dkim_canon_body_final(b, bh);
	dkim_canon_body_free(&b);
	return dkim_sign(&p, msg, hlen, bh, err);
}

/* Run the verifier on sig + msg, its output into tmpdir/verify.out.
   Returns its exit status (0 verified, 1 not), printing its output when
   that is not `expect`. */
static int
verify(const struct dkim_key *key, const char *sig, const char *msg, int expect)
{
	char path[128], out[128], line[512], *txt = dkim_key_txt(key->pkey);
	char *argv[] = {"/usr/bin/python3",
			VERIFIER,
			path,
			key->selector,
			DOMAIN,
			txt,
			NULL};
	posix_spawn_file_actions_t fa;
	FILE *f;
	pid_t pid;
	int st, rc = -1;

	snprintf(path, sizeof(path), "%s/msg.eml", tmpdir);
	snprintf(out, sizeof(out), "%s/verify.out", tmpdir);
	f = fopen(path, "wb");
	fputs(sig, f);
	fputs(msg, f);
	fclose(f);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out,
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		perror("posix_spawn");
	else if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		rc = WEXITSTATUS(st);
	posix_spawn_file_actions_destroy(&fa);
	free(txt);
	if (rc != expect && (f = fopen(out, "r")) != NULL) {
		fprintf(stderr, "verifier (%s, exit %d):\n", key->selector, rc);
		while (fgets(line, sizeof(line), f) != NULL)
			fprintf(stderr, "  %s", line);
		fclose(f);
	}
	return rc;
}

static const char *const messages[] = {
    /* a plain message with trace fields that are not signed */
    "Received: from a.example by b.example; Tue, 1 Aug 2023 10:00:00 +0000\r\n"
    "From: Alice <alice@example.test>\r\n"
    "To: Bob <bob@example.org>\r\n"
    "Subject: Hello\r\n"
    "Date: Tue, 1 Aug 2023 10:00:00 +0000\r\n"
    "Message-ID: <1@example.test>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "X-Mailer: test\r\n"
    "\r\n"
    "Hi Bob,\r\n"
    "\r\n"
    "  see you   at\t noon.  \r\n"
    "\r\n"
    "\r\n",
    /* folded fields, odd case, several To, WSP everywhere */
    "FROM:  \"Alice\r\n A.\" <alice@example.test>  \r\n"
    "to: b@example.org\r\n"
    "To: c@example.org,\r\n\td@example.org\r\n"
    "subject:\tfolded\r\n   subject line\r\n"
    "Reply-To: <r@example.test>\r\n"
    "List-Unsubscribe: <mailto:u@example.test>\r\n"
    "\r\n"
    "body\r\n",
    /* no body at all */
    "From: alice@example.test\r\n"
    "Subject: empty\r\n"
    "\r\n",
    /* a MIME message with a long line and trailing empty lines */
    "From: alice@example.test\r\n"
    "To: bob@example.org\r\n"
    "Subject: =?utf-8?q?caf=C3=A9?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r"
    "\n"
    "--b1--\r\n"
    "\r\n\r\n\r\n",
};
#define N_MESSAGES (sizeof(messages) / sizeof(messages[0]))

static void
test_keys(void)
{
	const char *err = NULL;
	struct stat st;
	char *path, *txt;
	int i;

	test_begin("keys");
	setup();
	TEST_ASSERT_STREQ(keys[0].selector, DKIM_SELECTOR_ED25519);
	TEST_ASSERT_STREQ(keys[1].selector, DKIM_SELECTOR_RSA);
	TEST_ASSERT_INTEQ(keys[0].alg, DKIM_ALG_ED25519_SHA256);
	TEST_ASSERT_INTEQ(keys[1].alg, DKIM_ALG_RSA_SHA256);
	TEST_ASSERT_INTEQ(EVP_PKEY_get_bits(keys[1].pkey), DKIM_RSA_BITS);
	/* existing keys are kept */
	TEST_ASSERT_INTEQ(
	    dkim_key_create_defaults(tmpdir, "EXAMPLE.test", &err), 0);
	for (i = 0; i < 2; i++) {
		path = dkim_key_path(tmpdir, DOMAIN, keys[i].selector);
		TEST_ASSERT(stat(path, &st) == 0 &&
			    (st.st_mode & 07777) == 0600);
		free(path);
	}
	path = xasprintf("%s/dkim/%s", tmpdir, DOMAIN);
	TEST_ASSERT(stat(path, &st) == 0 && (st.st_mode & 07777) == 0700);
	free(path);
	txt = dkim_key_txt(keys[0].pkey);
	/* RFC 8463 4.2: the 32-octet key is 44 base64 characters */
	TEST_ASSERT(strncmp(txt, "v=DKIM1; k=ed25519; p=", 22) == 0 &&
		    strlen(txt) == 22 + 44);
	free(txt);
	txt = dkim_key_txt(keys[1].pkey);
	/* SubjectPublicKeyInfo of RSA 2048: 294 octets, 392 characters */
	TEST_ASSERT(strncmp(txt, "v=DKIM1; k=rsa; p=MIIBIjAN", 26) == 0 &&
		    strlen(txt) == 18 + 392);
	free(txt);
	/* names that could escape the key directory or a tag value */
	TEST_ASSERT(dkim_key_path(tmpdir, "../x", "s") == NULL);
	TEST_ASSERT(dkim_key_path(tmpdir, DOMAIN, "a/b") == NULL);
	TEST_ASSERT(dkim_key_path(tmpdir, DOMAIN, "a;b") == NULL);
	TEST_ASSERT(dkim_key_path(tmpdir, "a..b", "s") == NULL);
	TEST_ASSERT(dkim_key_path(tmpdir, "", "s") == NULL);
	TEST_ASSERT(!dkim_key_name_ok("a\xc3\xa9", 63));
	TEST_ASSERT(dkim_key_name_ok("mail-2024_a.b", 63));
	TEST_ASSERT(dkim_key_create(tmpdir, DOMAIN, "x y",
				    DKIM_ALG_ED25519_SHA256, &err) < 0);
	/* a domain without keys */
	{
		struct dkim_key *none = NULL;

		TEST_ASSERT_INTEQ(
		    dkim_key_load_domain(tmpdir, "other.test", &none, &err), 0);
		TEST_ASSERT(none == NULL);
	}
	test_end();
}

/* Files in the key directory that are not keys. */
static void
test_key_bad_files(void)
{
	struct dkim_key *k = NULL;
	const char *err = NULL;
	char *path;
	FILE *f;
	EVP_PKEY *ec;

	test_begin("key directory errors");
	setup();
	TEST_ASSERT_INTEQ(dkim_key_create(tmpdir, "bad.test", "good",
					  DKIM_ALG_ED25519_SHA256, &err),
			  1);
	path = xasprintf("%s/dkim/bad.test/notes.txt", tmpdir);
	f = fopen(path, "w");
	fputs("not a key, ignored\n", f);
	fclose(f);
	free(path);
	TEST_ASSERT_INTEQ(dkim_key_load_domain(tmpdir, "bad.test", &k, &err),
			  1);
	dkim_key_free_all(&k, 1);
	TEST_ASSERT(k == NULL);
	/* an EC key is neither RSA nor Ed25519 */
	ec = EVP_EC_gen("P-256");
	path = xasprintf("%s/dkim/bad.test/ec.pem", tmpdir);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, ec, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	EVP_PKEY_free(ec);
	TEST_ASSERT_INTEQ(dkim_key_load_domain(tmpdir, "bad.test", &k, &err),
			  -1);
	TEST_ASSERT(k == NULL && strstr(err, "neither") != NULL);
	f = fopen(path, "w");
	fputs("-----BEGIN PRIVATE KEY-----\ngarbage\n", f);
	fclose(f);
	TEST_ASSERT_INTEQ(dkim_key_load_domain(tmpdir, "bad.test", &k, &err),
			  -1);
	TEST_ASSERT(strstr(err, "ec.pem") != NULL);
	free(path);
	test_end();
}

/* The h= tag of an (unfolded) signature field, malloc'd. */
static char *
tag_value(const char *sig, const char *tag)
{
	char *flat = xmalloc(strlen(sig) + 1), *q = flat, *v, *end;
	const char *s;
	size_t tl = strlen(tag);

	for (s = sig; *s != '\0'; s++)
		if (*s != '\r' && *s != '\n' && *s != '\t' && *s != ' ')
			*q++ = *s;
	*q = '\0';
	for (v = flat; (v = strstr(v, tag)) != NULL; v++)
		if ((v[-1] == ';' || v[-1] == ':') && v[tl] == '=')
			break;
	if (v == NULL) {
		free(flat);
		return NULL;
	}
	v += tl + 1;
	if ((end = strchr(v, ';')) != NULL)
		*end = '\0';
	v = xstrdup(v);
	free(flat);
	return v;
}

static void
test_sign_shape(void)
{
	const char *err = NULL;
	char *sig, *h, *v;
	const char *line;
	int k;

	test_begin("signature field shape");
	setup();
	for (k = 0; k < nkeys; k++) {
		sig = sign_with(&keys[k], messages[0], 1 << 20, &err);
		TEST_ASSERT(sig != NULL);
		if (sig == NULL)
			continue;
		TEST_ASSERT(strncmp(sig, "DKIM-Signature: v=1; a=", 23) == 0);
		TEST_ASSERT(strlen(sig) > 2 &&
			    strcmp(sig + strlen(sig) - 2, "\r\n") == 0);
		/* folded: every line within the width, continuations start
		   with a tab, no bare CR or LF */
		for (line = sig; *line != '\0';) {
			const char *e = strstr(line, "\r\n");

			TEST_ASSERT(e != NULL);
			if (e == NULL)
				break;
			TEST_ASSERT((size_t)(e - line) <= DKIM_FOLD_WIDTH);
			TEST_ASSERT(memchr(line, '\n', (size_t)(e - line)) ==
				    NULL);
			TEST_ASSERT(line == sig || line[0] == '\t');
			line = e + 2;
		}
		h = tag_value(sig, "h");
		TEST_ASSERT_STREQ(h, "from:from:subject:date:message-id:to:"
				     "mime-version:content-type");
		free(h);
		v = tag_value(sig, "a");
		TEST_ASSERT_STREQ(v, k == 0 ? "ed25519-sha256" : "rsa-sha256");
		free(v);
		v = tag_value(sig, "c");
		TEST_ASSERT_STREQ(v, "relaxed/relaxed");
		free(v);
		v = tag_value(sig, "d");
		TEST_ASSERT_STREQ(v, DOMAIN);
		free(v);
		v = tag_value(sig, "s");
		TEST_ASSERT_STREQ(v, keys[k].selector);
		free(v);
		v = tag_value(sig, "t");
		TEST_ASSERT_STREQ(v, "1700000000");
		free(v);
		/* both algorithms are deterministic: same input, same field */
		{
			char *again = sign_with(&keys[k], messages[0], 3, &err);

			TEST_ASSERT_STREQ(again, sig);
			free(again);
		}
		free(sig);
	}
	/* every instance of a signed name, plus one more From */
	sig = sign_with(&keys[0], messages[1], 5, &err);
	h = tag_value(sig, "h");
	TEST_ASSERT_STREQ(h, "from:from:reply-to:subject:to:to:"
			     "list-unsubscribe");
	free(h);
	free(sig);
	test_end();
}

static void
test_sign_errors(void)
{
	struct dkim_sign_params p = {DOMAIN, NULL, -1};
	uint8_t bh[DKIM_HASH_LEN] = {0};
	const char *err = NULL, *nofrom = "To: a@b\r\nSubject: x\r\n";
	struct buf many;
	char *sig;
	int i;

	test_begin("signing errors");
	setup();
	p.key = &keys[0];
	TEST_ASSERT(dkim_sign(&p, nofrom, strlen(nofrom), bh, &err) == NULL);
	TEST_ASSERT(err != NULL && strstr(err, "From") != NULL);
	/* "From" without a colon is not a From field */
	TEST_ASSERT(dkim_sign(&p, "From\r\n", 6, bh, &err) == NULL);
	p.domain = "bad domain";
	TEST_ASSERT(dkim_sign(&p, "From: a\r\n", 9, bh, &err) == NULL);
	p.domain = DOMAIN;
	/* t= omitted when negative */
	sig = dkim_sign(&p, "From: a\r\n", 9, bh, &err);
	TEST_ASSERT(sig != NULL && strstr(sig, "t=") == NULL);
	free(sig);
	buf_init(&many, 0);
	for (i = 0; i < DKIM_SIGNED_FIELDS_MAX; i++)
		buf_printf(&many, "To: a%d@b\r\n", i);
	buf_printf(&many, "From: a@b\r\n");
	TEST_ASSERT(dkim_sign(&p, buf_rptr(&many), buf_len(&many), bh, &err) ==
		    NULL);
	buf_deinit(&many);
	test_end();
}

/* Replace the first occurrence of from in s by to (malloc'd). */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);

	if (p == NULL)
		return xstrdup(s);
	return xasprintf("%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

static void
test_verify_independent(void)
{
	const char *err = NULL;
	size_t m;
	int k;

	test_begin("independent verifier");
	setup();
	for (m = 0; m < N_MESSAGES; m++) {
		for (k = 0; k < nkeys; k++) {
			char *sig = sign_with(&keys[k], messages[m],
					      (size_t)(7 + m), &err);
			char *bad;

			TEST_ASSERT(sig != NULL);
			if (sig == NULL) {
				fprintf(stderr, "  sign: %s\n", err);
				continue;
			}
			TEST_ASSERT_INTEQ(verify(&keys[k], sig, messages[m], 0),
					  0);
			if (m > 0) {
				free(sig);
				continue;
			}
			/* a changed body fails */
			bad = replace(messages[m], "noon", "moon");
			TEST_ASSERT_INTEQ(verify(&keys[k], sig, bad, 1), 1);
			free(bad);
			/* a changed signed field fails */
			bad = replace(messages[m], "Subject: Hello",
				      "Subject: Hellp");
			TEST_ASSERT_INTEQ(verify(&keys[k], sig, bad, 1), 1);
			free(bad);
			/* an added From fails (over-signed) */
			bad = replace(messages[m], "To: ",
				      "From: mallory@evil.example\r\nTo: ");
			TEST_ASSERT_INTEQ(verify(&keys[k], sig, bad, 1), 1);
			free(bad);
			/* relaxed: re-spaced body and added trace fields pass
			 */
			bad = replace(messages[m], "see you   at",
				      "see  you at  ");
			{
				char *b2 = replace(bad, "X-Mailer",
						   "X-Spam: no\r\nX-Mailer");

				TEST_ASSERT_INTEQ(verify(&keys[k], sig, b2, 0),
						  0);
				free(b2);
			}
			free(bad);
			free(sig);
		}
	}
	test_end();
}

static void
cleanup(void)
{
	test_begin("cleanup");
	dkim_key_free_all(&keys, (size_t)nkeys);
	if (tmpdir[0] != '\0')
		TEST_ASSERT(nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS) ==
			    0);
	test_end();
}

TEST_MAIN(test_keys, test_key_bad_files, test_sign_shape, test_sign_errors,
	  test_verify_independent, cleanup)

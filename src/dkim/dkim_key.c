/* dkim_key.c: DKIM keys on disk (generate, load) and their DNS TXT value. */
/* SPDX-License-Identifier: MIT */
#include "dkim/dkim_key.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base64.h"
#include "dir.h"
#include "limits.h"
#include "xalloc.h"

#define DKIM_KEY_SUFFIX ".pem"

static __thread char dkim_key_errbuf[512];

static const char *dkim_key_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Format an error into the thread-local buffer, with OpenSSL's reason if it
   has one queued, else errno's when set. */
static const char *
dkim_key_error(const char *fmt, ...)
{
	unsigned long e = ERR_peek_last_error();
	int saved = errno;
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(dkim_key_errbuf, sizeof(dkim_key_errbuf), fmt, ap);
	va_end(ap);
	n = strlen(dkim_key_errbuf);
	if (e != 0)
		snprintf(dkim_key_errbuf + n, sizeof(dkim_key_errbuf) - n,
			 ": %s", ERR_reason_error_string(e));
	else if (saved != 0)
		snprintf(dkim_key_errbuf + n, sizeof(dkim_key_errbuf) - n,
			 ": %s", strerror(saved));
	ERR_clear_error();
	return dkim_key_errbuf;
}

const char *
dkim_key_alg_name(enum dkim_alg alg)
{
	return alg == DKIM_ALG_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

int
dkim_key_alg(EVP_PKEY *pkey, enum dkim_alg *alg_r)
{
	switch (EVP_PKEY_get_base_id(pkey)) {
	case EVP_PKEY_RSA:
		*alg_r = DKIM_ALG_RSA_SHA256;
		return 0;
	case EVP_PKEY_ED25519:
		*alg_r = DKIM_ALG_ED25519_SHA256;
		return 0;
	default:
		return -1;
	}
}

bool
dkim_key_name_ok(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > max || s[0] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isascii(c) ||
		    !(isalnum(c) || c == '-' || c == '_' || c == '.'))
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

char *
dkim_key_path(const char *data_dir, const char *domain, const char *selector)
{
	char *path, *p;
	size_t off;

	if (!dkim_key_name_ok(domain, SMTP_DOMAIN_MAX) ||
	    !dkim_key_name_ok(selector, DKIM_SELECTOR_MAX))
		return NULL;
	path = xasprintf("%s/dkim/%s/%s" DKIM_KEY_SUFFIX, data_dir, domain,
			 selector);
	off = strlen(data_dir) + strlen("/dkim/");
	for (p = path + off; *p != '/'; p++)
		*p = (char)tolower((unsigned char)*p);
	return path;
}

static int
dkim_key_mkdir(const char *dir, const char **error_r)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		*error_r = dkim_key_error("cannot create %s", dir);
		return -1;
	}
	return 0;
}

/* Write key to a temporary file (0600, fsync'd), then link() it to path,
   which fails rather than replace a key that is already there. */
static int
dkim_key_write(const char *path, EVP_PKEY *key, const char **error_r)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f = NULL;
	int fd, rc = -1;

	(void)unlink(tmp);
	errno = 0;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0 || fchmod(fd, 0600) < 0 || (f = fdopen(fd, "w")) == NULL) {
		*error_r = dkim_key_error("cannot create %s", tmp);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	if (PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fflush(f) != 0 || fsync(fileno(f)) < 0) {
		*error_r = dkim_key_error("cannot write %s", tmp);
		fclose(f);
		goto out;
	}
	if (fclose(f) != 0) {
		*error_r = dkim_key_error("cannot write %s", tmp);
		goto out;
	}
	if (link(tmp, path) < 0) {
		if (errno == EEXIST)
			rc = 0; /* created meanwhile by someone else: keep it */
		else
			*error_r = dkim_key_error("cannot create %s", path);
		goto out;
	}
	rc = 1;
out:
	(void)unlink(tmp);
	free(tmp);
	return rc;
}

int
dkim_key_create(const char *data_dir, const char *domain, const char *selector,
		enum dkim_alg alg, const char **error_r)
{
	char *path = dkim_key_path(data_dir, domain, selector), *dir;
	EVP_PKEY *key;
	int rc = -1;

	if (path == NULL) {
		*error_r = dkim_key_error("bad DKIM domain or selector \"%s\" "
					  "\"%s\"",
					  domain, selector);
		return -1;
	}
	if (access(path, F_OK) == 0) {
		free(path);
		return 0;
	}
	dir = xasprintf("%s/dkim", data_dir);
	if (dkim_key_mkdir(dir, error_r) < 0)
		goto out;
	free(dir);
	dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
	if (dkim_key_mkdir(dir, error_r) < 0)
		goto out;
	ERR_clear_error();
	errno = 0;
	key = alg == DKIM_ALG_ED25519_SHA256
		  ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
		  : EVP_RSA_gen(DKIM_RSA_BITS);
	if (key == NULL) {
		*error_r = dkim_key_error("cannot generate a %s key",
					  dkim_key_alg_name(alg));
		goto out;
	}
	rc = dkim_key_write(path, key, error_r);
	EVP_PKEY_free(key);
	if (rc > 0)
		(void)dir_fsync(dir);
out:
	free(dir);
	free(path);
	return rc;
}

int
dkim_key_create_defaults(const char *data_dir, const char *domain,
			 const char **error_r)
{
	int a, b;

	if ((a = dkim_key_create(data_dir, domain, DKIM_SELECTOR_RSA,
				 DKIM_ALG_RSA_SHA256, error_r)) < 0)
		return -1;
	if ((b = dkim_key_create(data_dir, domain, DKIM_SELECTOR_ED25519,
				 DKIM_ALG_ED25519_SHA256, error_r)) < 0)
		return -1;
	return a + b;
}

EVP_PKEY *
dkim_key_load(const char *path, const char **error_r)
{
	EVP_PKEY *key;
	enum dkim_alg alg;
	FILE *f;

	ERR_clear_error();
	errno = 0;
	if ((f = fopen(path, "re")) == NULL) {
		*error_r = dkim_key_error("cannot open %s", path);
		return NULL;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL) {
		errno = 0;
		*error_r = dkim_key_error("%s: not a PEM private key", path);
		return NULL;
	}
	if (dkim_key_alg(key, &alg) < 0) {
		EVP_PKEY_free(key);
		errno = 0;
		*error_r = dkim_key_error(
		    "%s: neither an RSA nor an Ed25519 key", path);
		return NULL;
	}
	return key;
}

static int
dkim_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dkim_key *)a)->selector,
		      ((const struct dkim_key *)b)->selector);
}

int
dkim_key_load_domain(const char *data_dir, const char *domain,
		     struct dkim_key **keys_r, const char **error_r)
{
	char *probe = dkim_key_path(data_dir, domain, "x"), *dir, *path;
	struct dkim_key *keys = NULL;
	struct dirent *de;
	size_t n = 0, nl, sl = strlen(DKIM_KEY_SUFFIX);
	DIR *d;

	*keys_r = NULL;
	if (probe == NULL) {
		*error_r = dkim_key_error("bad DKIM domain \"%s\"", domain);
		return -1;
	}
	dir = xstrndup(probe, (size_t)(strrchr(probe, '/') - probe));
	free(probe);
	errno = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT) {
			free(dir);
			return 0;
		}
		*error_r = dkim_key_error("cannot read %s", dir);
		free(dir);
		return -1;
	}
	keys = xcalloc(DKIM_KEYS_PER_DOMAIN_MAX, sizeof(*keys));
	while ((de = readdir(d)) != NULL) {
		char *sel;

		nl = strlen(de->d_name);
		if (nl <= sl || strcmp(de->d_name + nl - sl, DKIM_KEY_SUFFIX))
			continue;
		sel = xstrndup(de->d_name, nl - sl);
		if (!dkim_key_name_ok(sel, DKIM_SELECTOR_MAX)) {
			free(sel);
			continue;
		}
		if (n == DKIM_KEYS_PER_DOMAIN_MAX) {
			free(sel);
			errno = 0;
			*error_r = dkim_key_error("%s: more than %d keys", dir,
						  DKIM_KEYS_PER_DOMAIN_MAX);
			goto fail;
		}
		path = xasprintf("%s/%s", dir, de->d_name);
		keys[n].selector = sel;
		keys[n].pkey = dkim_key_load(path, error_r);
		free(path);
		if (keys[n].pkey == NULL) {
			free(sel);
			keys[n].selector = NULL;
			goto fail;
		}
		(void)dkim_key_alg(keys[n].pkey, &keys[n].alg);
		n++;
	}
	closedir(d);
	free(dir);
	if (n == 0) {
		free(keys);
		return 0;
	}
	qsort(keys, n, sizeof(*keys), dkim_key_cmp);
	*keys_r = keys;
	return (int)n;
fail:
	closedir(d);
	free(dir);
	dkim_key_free_all(&keys, n);
	return -1;
}

void
dkim_key_free_all(struct dkim_key **keys, size_t n)
{
	size_t i;

	if (*keys == NULL)
		return;
	for (i = 0; i < n; i++) {
		free((*keys)[i].selector);
		EVP_PKEY_free((*keys)[i].pkey);
	}
	free(*keys);
	*keys = NULL;
}

char *
dkim_key_txt(EVP_PKEY *pkey)
{
	unsigned char *der = NULL, raw[32];
	enum dkim_alg alg;
	size_t n = sizeof(raw);
	char *b64, *txt;
	int len;

	if (dkim_key_alg(pkey, &alg) < 0)
		return NULL;
	if (alg == DKIM_ALG_ED25519_SHA256) {
		/* RFC 8463 4.2: the bare public key, not an ASN.1 structure */
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &n) != 1 ||
		    n != sizeof(raw)) {
			ERR_clear_error();
			return NULL;
		}
		b64 = xmalloc(BASE64_ENCODED_LEN(n) + 1);
		base64_encode(raw, n, b64);
		txt = xasprintf("v=DKIM1; k=ed25519; p=%s", b64);
	} else {
		if ((len = i2d_PUBKEY(pkey, &der)) <= 0) {
			ERR_clear_error();
			return NULL;
		}
		b64 = xmalloc(BASE64_ENCODED_LEN((size_t)len) + 1);
		base64_encode(der, (size_t)len, b64);
		OPENSSL_free(der);
		txt = xasprintf("v=DKIM1; k=rsa; p=%s", b64);
	}
	free(b64);
	return txt;
}

/* tls.c: OpenSSL 3 contexts and the self-signed fallback certificate. */
/* SPDX-License-Identifier: MIT */
#include "tls.h"
#include "dir.h"
#include "log.h"
#include "xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TLS_SELFSIGNED_DAYS 3650
#define TLS_SELFSIGNED_RSA_BITS 2048
/* a self-signed certificate this close to expiry is regenerated */
#define TLS_RENEW_BEFORE_DAYS 30
/* RFC 5280 ub-common-name */
#define TLS_CN_MAX 64

/* TLS 1.2 suites with forward secrecy and AEAD first, then the remaining
   strong ones for old MTAs (RFC 7435: on port 25 some encryption beats
   none); TLS 1.3 suites are OpenSSL's defaults. */
static const char tls_ciphers[] =
    "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:ECDHE+AES:"
    "DHE+AES:AESGCM:AES:!aNULL:!eNULL:!MD5:!PSK:!SRP:!DSS";

static __thread char tls_errbuf[320];

/* Format "what: reason" from the OpenSSL error queue (or errno) into the
   thread-local buffer and clear the queue. */
static const char *
tls_error(const char *what, const char *path)
{
	unsigned long e = ERR_peek_last_error();
	char reason[200];

	if (e != 0)
		ERR_error_string_n(e, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "%s",
			 errno != 0 ? strerror(errno) : "failed");
	ERR_clear_error();
	snprintf(tls_errbuf, sizeof(tls_errbuf), "%s%s%s: %s", what,
		 path != NULL ? " " : "", path != NULL ? path : "", reason);
	return tls_errbuf;
}

/* Options shared by server and client contexts. */
static void
tls_ctx_common(SSL_CTX *ctx)
{
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
				     SSL_OP_IGNORE_UNEXPECTED_EOF);
	/* conn.c retries SSL_write from a buffer that may move or grow, and
	   idle connections should not keep 2 x 16 KiB of record buffers */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
				  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				  SSL_MODE_ENABLE_PARTIAL_WRITE);
}

/* ---- self-signed certificate ---- */

static int
tls_add_san(X509 *x, const char *host)
{
	GENERAL_NAMES *names = GENERAL_NAMES_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	ASN1_OCTET_STRING *ip;
	int rc = -1;

	if (names == NULL || gn == NULL)
		goto out;
	if ((ip = a2i_IPADDRESS(host)) != NULL) {
		GENERAL_NAME_set0_value(gn, GEN_IPADD, ip);
	} else {
		ASN1_IA5STRING *dns = ASN1_IA5STRING_new();

		if (dns == NULL || !ASN1_STRING_set(dns, host, -1)) {
			ASN1_IA5STRING_free(dns);
			goto out;
		}
		GENERAL_NAME_set0_value(gn, GEN_DNS, dns);
	}
	if (!sk_GENERAL_NAME_push(names, gn))
		goto out;
	gn = NULL;
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0,
			  X509V3_ADD_DEFAULT) == 1)
		rc = 0;
out:
	GENERAL_NAME_free(gn);
	GENERAL_NAMES_free(names);
	return rc;
}

static X509 *
tls_make_cert(EVP_PKEY *key, const char *host)
{
	X509 *x = X509_new();
	X509_NAME *name;
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	unsigned char serial[8];
	BIGNUM *bn = NULL;
	bool ok = false;

	if (x == NULL || bc == NULL || !X509_set_version(x, 2) ||
	    RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f; /* RFC 5280 4.1.2.2: positive */
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
		goto out;
	/* an hour back for clients whose clock runs late */
	if (X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), TLS_SELFSIGNED_DAYS, 0,
			     NULL) == NULL ||
	    !X509_set_pubkey(x, key))
		goto out;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(
		name, "CN", MBSTRING_ASC,
		(const unsigned char *)(strlen(host) <= TLS_CN_MAX
					    ? host
					    : "buzon self-signed"),
		-1, -1, 0) ||
	    !X509_set_issuer_name(x, name))
		goto out;
	bc->ca = 0;
	if (X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
			  X509V3_ADD_DEFAULT) != 1 ||
	    tls_add_san(x, host) < 0 || X509_sign(x, key, EVP_sha256()) == 0)
		goto out;
	ok = true;
out:
	BN_free(bn);
	BASIC_CONSTRAINTS_free(bc);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* Write a PEM file atomically: a temporary file with mode, fsync, rename.
   Exactly one of key and crt is non-NULL. */
static int
tls_write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *crt)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	FILE *f;
	int fd, ok;

	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0 || fchmod(fd, mode) < 0 || (f = fdopen(fd, "w")) == NULL) {
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
						 NULL)
			 : PEM_write_X509(f, crt);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		ok = 0;
	if (fclose(f) != 0 || !ok)
		goto fail;
	if (rename(tmp, path) < 0)
		goto fail;
	free(tmp);
	return 0;
fail:
	(void)unlink(tmp);
	free(tmp);
	return -1;
}

/* Generate a key and certificate for host and write them into dir. */
static int
tls_generate(const char *dir, const char *crt_path, const char *key_path,
	     const char *host, const char **error_r)
{
	EVP_PKEY *key;
	X509 *x = NULL;
	int rc = -1;

	ERR_clear_error();
	errno = 0;
	if ((key = EVP_RSA_gen(TLS_SELFSIGNED_RSA_BITS)) == NULL) {
		*error_r = tls_error("generating an RSA key", NULL);
		return -1;
	}
	if ((x = tls_make_cert(key, host)) == NULL)
		*error_r = tls_error("building a certificate for", host);
	else if (tls_write_pem(key_path, 0600, key, NULL) < 0)
		*error_r = tls_error("writing", key_path);
	else if (tls_write_pem(crt_path, 0644, NULL, x) < 0)
		*error_r = tls_error("writing", crt_path);
	else
		rc = 0;
	if (rc == 0) {
		(void)dir_fsync(dir);
		log_info("tls generated self-signed certificate cn=%s file=%s",
			 host, crt_path);
	}
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

/* An existing self-signed certificate is reused if it names host and
   is not about to expire. */
static bool
tls_cert_reusable(const char *crt_path, const char *key_path,
		  const char *host)
{
	FILE *f;
	X509 *x;
	time_t limit = time(NULL) + (time_t)TLS_RENEW_BEFORE_DAYS * 86400;
	bool ok;

	if (access(key_path, R_OK) < 0 || (f = fopen(crt_path, "r")) == NULL)
		return false;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL) {
		ERR_clear_error();
		return false;
	}
	ok = (X509_check_host(x, host, 0, 0, NULL) == 1 ||
	      X509_check_ip_asc(x, host, 0) == 1) &&
	     X509_cmp_time(X509_get0_notAfter(x), &limit) > 0;
	X509_free(x);
	ERR_clear_error();
	return ok;
}

static int
tls_mkdir(const char *path, const char **error_r)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		*error_r = tls_error("creating", path);
		return -1;
	}
	return 0;
}

static int
tls_load(SSL_CTX *ctx, const char *crt_path, const char *key_path,
	 const char **error_r)
{
	ERR_clear_error();
	errno = 0;
	if (SSL_CTX_use_certificate_chain_file(ctx, crt_path) != 1) {
		*error_r = tls_error("loading certificate", crt_path);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key_path, SSL_FILETYPE_PEM) != 1) {
		*error_r = tls_error("loading key", key_path);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		*error_r = tls_error("key does not match certificate", crt_path);
		return -1;
	}
	return 0;
}

SSL_CTX *
tls_server_ctx(const char *cert_file, const char *key_file,
	       const char *data_dir, const char *hostname, const char **error_r)
{
	SSL_CTX *ctx;
	char *dir = NULL, *crt = NULL, *key = NULL;
	const char *host = hostname != NULL && *hostname ? hostname : "localhost";
	bool generated = false;

	if ((cert_file == NULL) != (key_file == NULL)) {
		*error_r = "tls: cert and key must be given together";
		return NULL;
	}
	if (cert_file == NULL && data_dir == NULL) {
		*error_r = "tls: no certificate and no data_dir for a "
			   "self-signed one";
		return NULL;
	}
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		*error_r = tls_error("SSL_CTX_new", NULL);
		return NULL;
	}
	tls_ctx_common(ctx);
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_dh_auto(ctx, 1);
	if (SSL_CTX_set_cipher_list(ctx, tls_ciphers) != 1) {
		*error_r = tls_error("setting ciphers", NULL);
		goto fail;
	}
	/* RFC 5246 7.4.1.2 / RFC 8446 2.2: resumption saves a full
	   handshake for clients that reconnect (MUAs polling, MTAs with
	   queues); tickets stay on as OpenSSL enables them by default */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"buzon", 5);
	if (cert_file != NULL) {
		if (tls_load(ctx, cert_file, key_file, error_r) < 0)
			goto fail;
		return ctx;
	}
	dir = xasprintf("%s/tls", data_dir);
	crt = xasprintf("%s/selfsigned.crt", dir);
	key = xasprintf("%s/selfsigned.key", dir);
	if (tls_mkdir(data_dir, error_r) < 0 || tls_mkdir(dir, error_r) < 0)
		goto fail;
	if (!tls_cert_reusable(crt, key, host)) {
		if (tls_generate(dir, crt, key, host, error_r) < 0)
			goto fail;
		generated = true;
	}
	if (tls_load(ctx, crt, key, error_r) < 0) {
		/* a half-written pair from an interrupted run: start over */
		if (generated || tls_generate(dir, crt, key, host, error_r) < 0 ||
		    tls_load(ctx, crt, key, error_r) < 0)
			goto fail;
	}
	free(dir);
	free(crt);
	free(key);
	return ctx;
fail:
	free(dir);
	free(crt);
	free(key);
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *
tls_client_ctx(void)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		log_error("%s", tls_error("SSL_CTX_new (client)", NULL));
		return NULL;
	}
	tls_ctx_common(ctx);
	/* opportunistic by default; callers that verify (DANE, MTA-STS)
	   turn it on per connection, with the system store loaded here */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		ERR_clear_error();
	return ctx;
}

const char *
tls_version(SSL *ssl)
{
	return SSL_get_version(ssl);
}

const char *
tls_cipher(SSL *ssl)
{
	return SSL_get_cipher_name(ssl);
}

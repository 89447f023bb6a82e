/* dkim_key.h: DKIM signing keys: generation, storage, loading, and the DNS
   TXT record that publishes each public key (RFC 6376 3.6.1, RFC 8463). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_DKIM_KEY_H
#define BUZON_DKIM_KEY_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

/* Layout: DATA_DIR/dkim/DOMAIN/SELECTOR.pem, one PKCS#8 PEM private key a
   file (mode 0600, directories 0700).  The key type (RSA or Ed25519) is
   read from the file; every key in a domain's directory is in use, each
   published at SELECTOR._domainkey.DOMAIN.  `buzon init` creates the two
   default selectors below. */
#define DKIM_SELECTOR_RSA "buzon-rsa"
#define DKIM_SELECTOR_ED25519 "buzon-ed25519"

enum dkim_alg {
	DKIM_ALG_RSA_SHA256,     /* RFC 6376 3.3.1, k=rsa */
	DKIM_ALG_ED25519_SHA256, /* RFC 8463 3, k=ed25519 */
};

struct dkim_key {
	char *selector; /* owned */
	enum dkim_alg alg;
	EVP_PKEY *pkey; /* owned */
};

/* "rsa-sha256" or "ed25519-sha256" (the a= tag), static. */
const char *dkim_key_alg_name(enum dkim_alg alg);
/* The algorithm of pkey.  Returns 0, or -1 if it is neither an RSA nor an
   Ed25519 key. */
int dkim_key_alg(EVP_PKEY *pkey, enum dkim_alg *alg_r);

/* True if s is a usable domain or selector name: 1..max octets of ASCII
   letters, digits, '-', '_' and '.', not starting with '.' and without
   "..".  (Such names are safe in file names and in tag values.) */
bool dkim_key_name_ok(const char *s, size_t max);

/* DATA_DIR/dkim/DOMAIN/SELECTOR.pem as a malloc'd string (domain
   lowercased), or NULL if domain or selector is not dkim_key_name_ok(). */
char *dkim_key_path(const char *data_dir, const char *domain,
		    const char *selector);

/* Generate a key of alg (RSA DKIM_RSA_BITS or Ed25519) and store it at
   dkim_key_path(), creating the directories.  An existing key is never
   replaced.  Returns 1 (created), 0 (a key was already there) or -1 with
   *error_r (thread-local, valid until the next call). */
int dkim_key_create(const char *data_dir, const char *domain,
		    const char *selector, enum dkim_alg alg,
		    const char **error_r);
/* dkim_key_create() for both default selectors (RSA and Ed25519).
   Returns how many were created (0..2) or -1 with *error_r. */
int dkim_key_create_defaults(const char *data_dir, const char *domain,
			     const char **error_r);

/* Read a PEM private key.  Returns it (EVP_PKEY_free) or NULL with
 *error_r (thread-local, valid until the next call). */
EVP_PKEY *dkim_key_load(const char *path, const char **error_r);
/* Load every key of domain, sorted by selector, into a malloc'd array
   *keys_r (free with dkim_key_free_all).  Returns the count (0 if the
   domain has no key directory: *keys_r is NULL then), or -1 with
   *error_r (a file that is not an RSA/Ed25519 key, more than
   DKIM_KEYS_PER_DOMAIN_MAX keys, I/O errors). */
int dkim_key_load_domain(const char *data_dir, const char *domain,
			 struct dkim_key **keys_r, const char **error_r);
/* Free n keys and the array; sets *keys = NULL. */
void dkim_key_free_all(struct dkim_key **keys, size_t n);

/* The TXT record value for pkey's public half: "v=DKIM1; k=rsa; p=BASE64"
   (p= is the DER SubjectPublicKeyInfo: RFC 6376 3.6.1 names RSAPublicKey,
   but its Appendix C, `openssl rsa -pubout` and deployed verifiers use and
   accept this form) or "v=DKIM1;
   k=ed25519; p=BASE64" (p= is the raw 32-octet key, RFC 8463 4).
   Returns a malloc'd string, or NULL if pkey is neither type. */
char *dkim_key_txt(EVP_PKEY *pkey);

#endif

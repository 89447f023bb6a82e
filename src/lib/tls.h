/* tls.h: OpenSSL 3 server contexts and the self-signed fallback certificate. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_TLS_H
#define BUZON_TLS_H

#include <openssl/ssl.h>

/* A server SSL_CTX (TLS 1.2+, sane ciphers, no compression, no
   renegotiation) loaded from cert_file/key_file.  If both are NULL, uses
   DIR/tls/selfsigned.{crt,key} under data_dir, generating them first if
   absent (RSA 2048 or P-256, CN = hostname, valid 10 years, key mode 0600).
   Returns the context (owned by the caller: SSL_CTX_free) or NULL with a
   message in *error_r (static or owned by a thread-local buffer, valid
   until the next call). */
SSL_CTX *tls_server_ctx(const char *cert_file, const char *key_file,
			const char *data_dir, const char *hostname,
			const char **error_r);

/* A client SSL_CTX for outbound STARTTLS (no verification by default).
   Owned by the caller. */
SSL_CTX *tls_client_ctx(void);

/* "TLSv1.3" and the cipher name of an established connection, as static
   strings owned by OpenSSL (valid while ssl lives). */
const char *tls_version(SSL *ssl);
const char *tls_cipher(SSL *ssl);

#endif

/* dkim_sign.c: the DKIM-Signature field, rsa-sha256 and ed25519-sha256. */
/* SPDX-License-Identifier: MIT */
#include "dkim/dkim_sign.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>

#include "base64.h"
#include "limits.h"
#include "xalloc.h"

/* RFC 6376 5.4.1 "core" fields, plus those that carry identity (Sender,
   Resent-Sender, Message-ID) or decide how the body is rendered (MIME
   fields, as 5.4.1 suggests for Content-Type), and List-Unsubscribe-Post
   (RFC 8058 4 requires it signed).  Trace and transit fields (Received,
   Return-Path) stay out.  The h= tag lists them in this order. */
static const char *const dkim_signed_names[] = {
    "from",
    "sender",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "to",
    "cc",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-id",
    "content-description",
    "resent-date",
    "resent-from",
    "resent-sender",
    "resent-to",
    "resent-cc",
    "resent-message-id",
    "list-id",
    "list-help",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "list-subscribe",
    "list-post",
    "list-owner",
    "list-archive",
};
#define DKIM_NAMES (sizeof(dkim_signed_names) / sizeof(dkim_signed_names[0]))
#define DKIM_FROM 0 /* index of "from" above */

/* Fields of the message that will be signed, in message order. */
struct dkim_selected {
	struct dkim_field f[DKIM_SIGNED_FIELDS_MAX];
	unsigned
	    name[DKIM_SIGNED_FIELDS_MAX]; /* index into dkim_signed_names */
	size_t n;
	size_t count[DKIM_NAMES];
};

/* Folding writer for the field: a break is CRLF HT (FWS, RFC 5322 3.2.2). */
struct dkim_fold {
	struct buf *b;
	size_t col;
};

static void
dkim_fold_put(struct dkim_fold *w, const char *s, bool space)
{
	size_t n = strlen(s);

	if (w->col + (space ? 1 : 0) + n > DKIM_FOLD_WIDTH) {
		buf_append(w->b, "\r\n\t", 3);
		w->col = 1;
	} else if (space) {
		buf_append(w->b, " ", 1);
		w->col++;
	}
	buf_append(w->b, s, n);
	w->col += n;
}

/* A base64 value may be broken anywhere (RFC 6376 3.5 b=, bh=: FWS is
   allowed between its characters and ignored). */
static void
dkim_fold_split(struct dkim_fold *w, const char *s)
{
	size_t n = strlen(s), room;

	while (n > 0) {
		if (w->col >= DKIM_FOLD_WIDTH) {
			buf_append(w->b, "\r\n\t", 3);
			w->col = 1;
		}
		room = DKIM_FOLD_WIDTH - w->col;
		if (room > n)
			room = n;
		buf_append(w->b, s, room);
		w->col += room;
		s += room;
		n -= room;
	}
}

static int
dkim_select(const uint8_t *hdr, size_t len, struct dkim_selected *sel,
	    const char **error_r)
{
	struct dkim_field f;
	size_t pos = 0, k, total = 0;

	memset(sel, 0, sizeof(*sel));
	while (dkim_canon_field_next(hdr, len, &pos, &f) > 0) {
		if (!f.has_colon)
			continue;
		for (k = 0; k < DKIM_NAMES; k++)
			if (strlen(dkim_signed_names[k]) == f.name_len &&
			    strncasecmp((const char *)f.data,
					dkim_signed_names[k], f.name_len) == 0)
				break;
		if (k == DKIM_NAMES)
			continue;
		if (sel->n == DKIM_SIGNED_FIELDS_MAX) {
			*error_r = "too many header fields to sign";
			return -1;
		}
		sel->f[sel->n] = f;
		sel->name[sel->n++] = (unsigned)k;
		sel->count[k]++;
	}
	if (sel->count[DKIM_FROM] == 0) {
		/* RFC 6376 5.4: From MUST be signed */
		*error_r = "the message has no From field";
		return -1;
	}
	for (k = 0; k < DKIM_NAMES; k++)
		total += sel->count[k];
	if (total + 1 > DKIM_SIGNED_FIELDS_MAX) {
		*error_r = "too many header fields to sign";
		return -1;
	}
	return 0;
}

/* Write the h= tag and append the canonical selected fields to data in
   the same order.  RFC 6376 5.4.2: instances of one name are signed from
   the bottom of the header up; a name listed more often than present
   matches nothing the extra times (over-signing). */
static void
dkim_headers(const struct dkim_selected *sel, struct dkim_fold *w,
	     struct buf *data)
{
	char piece[64];
	size_t k, listed, i, j, total = 0, done = 0;

	for (k = 0; k < DKIM_NAMES; k++)
		total += sel->count[k] + (k == DKIM_FROM);
	for (k = 0; k < DKIM_NAMES; k++) {
		listed = sel->count[k] + (k == DKIM_FROM);
		j = sel->n;
		for (i = 0; i < listed; i++) {
			done++;
			snprintf(piece, sizeof(piece), "%s%s%s",
				 done == 1 ? "h=" : "", dkim_signed_names[k],
				 done == total ? ";" : ":");
			dkim_fold_put(w, piece, done == 1);
			while (j > 0 && sel->name[j - 1] != k)
				j--;
			if (j == 0)
				continue; /* over-signed: nothing to hash */
			j--;
			(void)dkim_canon_header(DKIM_CANON_RELAXED,
						sel->f[j].data, sel->f[j].len,
						data);
		}
	}
}

/* Sign data (the header hash input) with key.  Returns a malloc'd base64
   signature or NULL. */
static char *
dkim_sign_data(const struct dkim_key *key, const uint8_t *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t digest[DKIM_HASH_LEN], *sig = NULL;
	unsigned dlen = sizeof(digest);
	size_t slen = 0;
	char *b64 = NULL;
	int ok;

	if (ctx == NULL)
		return NULL;
	if (key->alg == DKIM_ALG_ED25519_SHA256) {
		/* RFC 8463 3: PureEdDSA Ed25519 over the SHA-256 hash of
		   the data, not over the data itself */
		ok =
		    EVP_Digest(data, len, digest, &dlen, EVP_sha256(), NULL) ==
			1 &&
		    EVP_DigestSignInit(ctx, NULL, NULL, NULL, key->pkey) == 1 &&
		    EVP_DigestSign(ctx, NULL, &slen, digest, dlen) == 1;
		if (ok) {
			sig = xmalloc(slen);
			ok = EVP_DigestSign(ctx, sig, &slen, digest, dlen) == 1;
		}
	} else {
		/* RFC 6376 3.3.1: RSASSA-PKCS1-v1_5 with SHA-256 */
		ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
					key->pkey) == 1 &&
		     EVP_DigestSign(ctx, NULL, &slen, data, len) == 1;
		if (ok) {
			sig = xmalloc(slen);
			ok = EVP_DigestSign(ctx, sig, &slen, data, len) == 1;
		}
	}
	if (ok) {
		b64 = xmalloc(BASE64_ENCODED_LEN(slen) + 1);
		base64_encode(sig, slen, b64);
	}
	ERR_clear_error();
	free(sig);
	EVP_MD_CTX_free(ctx);
	return b64;
}

char *
dkim_sign(const struct dkim_sign_params *p, const void *header, size_t len,
	  const uint8_t body_hash[DKIM_HASH_LEN], const char **error_r)
{
	struct dkim_selected *sel;
	struct buf field, data;
	struct dkim_fold w;
	enum dkim_alg alg;
	char piece[128], bh[BASE64_ENCODED_LEN(DKIM_HASH_LEN) + 1];
	char *sig, *r = NULL;

	if (!dkim_key_name_ok(p->domain, SMTP_DOMAIN_MAX) ||
	    !dkim_key_name_ok(p->key->selector, DKIM_SELECTOR_MAX)) {
		*error_r = "bad DKIM domain or selector";
		return NULL;
	}
	if (dkim_key_alg(p->key->pkey, &alg) < 0 || alg != p->key->alg) {
		*error_r = "the DKIM key is neither RSA nor Ed25519";
		return NULL;
	}
	sel = xmalloc(sizeof(*sel));
	if (dkim_select(header, len, sel, error_r) < 0) {
		free(sel);
		return NULL;
	}
	buf_init(&field, 0);
	buf_init(&data, 0);
	w.b = &field;
	w.col = 0;
	dkim_fold_put(&w, "DKIM-Signature:", false);
	dkim_fold_put(&w, "v=1;", true);
	snprintf(piece, sizeof(piece), "a=%s;", dkim_key_alg_name(alg));
	dkim_fold_put(&w, piece, true);
	dkim_fold_put(&w, "c=relaxed/relaxed;", true);
	snprintf(piece, sizeof(piece), "d=%s;", p->domain);
	dkim_fold_put(&w, piece, true);
	snprintf(piece, sizeof(piece), "s=%s;", p->key->selector);
	dkim_fold_put(&w, piece, true);
	if (p->timestamp >= 0) {
		snprintf(piece, sizeof(piece), "t=%" PRId64 ";", p->timestamp);
		dkim_fold_put(&w, piece, true);
	}
	dkim_headers(sel, &w, &data);
	base64_encode(body_hash, DKIM_HASH_LEN, bh);
	snprintf(piece, sizeof(piece), "bh=%s;", bh);
	dkim_fold_put(&w, piece, true);
	/* b= comes last, so the field with an empty b= (RFC 6376 3.7 step
	   2.2) is exactly the field written so far */
	dkim_fold_put(&w, "b=", true);
	(void)dkim_canon_header(DKIM_CANON_RELAXED, buf_rptr(&field),
				buf_len(&field), &data);
	/* ... hashed without its trailing CRLF */
	sig = dkim_sign_data(p->key, buf_rptr(&data), buf_len(&data) - 2);
	if (sig == NULL) {
		*error_r = "the DKIM key failed to sign";
	} else {
		dkim_fold_split(&w, sig);
		buf_append(&field, "\r\n", 3); /* with the NUL */
		r = xstrdup((const char *)buf_rptr(&field));
		free(sig);
	}
	buf_deinit(&field);
	buf_deinit(&data);
	free(sel);
	return r;
}

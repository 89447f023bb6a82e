/* imap_utf7.c: modified UTF-7 mailbox names (RFC 3501 5.1.3) <-> UTF-8. */
/* SPDX-License-Identifier: MIT */
#include "imap/imap_utf7.h"
#include "utf8.h"

#include <stdint.h>
#include <string.h>

/* RFC 3501 5.1.3: modified BASE64 uses "," instead of "/". */
static const char imap_utf7_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int
imap_utf7_b64_value(unsigned char c)
{
	const char *p;

	if (c == '\0' || (p = strchr(imap_utf7_b64, c)) == NULL)
		return -1;
	return (int)(p - imap_utf7_b64);
}

static size_t
imap_utf7_put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decode one shift: s[*ip] is the first BASE64 character after "&".
   Appends UTF-8 at o + *olen.  Returns 0 with *ip after the "-". */
static int
imap_utf7_shift(const unsigned char *s, size_t n, size_t *ip, char *o,
		size_t *olen, const char **error_r)
{
	uint32_t acc = 0, high = 0;
	unsigned nbits = 0, units = 0;
	size_t i = *ip;
	int v;

	for (; i < n && s[i] != '-'; i++) {
		uint32_t u;

		if ((v = imap_utf7_b64_value(s[i])) < 0) {
			*error_r = "Invalid modified BASE64 in mailbox name";
			return -1;
		}
		acc = (acc << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		u = (acc >> nbits) & 0xffff;
		acc &= (1u << nbits) - 1;
		units++;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (high != 0)
				goto bad_surrogate;
			high = u;
			continue;
		}
		if (u >= 0xdc00 && u <= 0xdfff) {
			if (high == 0)
				goto bad_surrogate;
			u = 0x10000 + ((high - 0xd800) << 10) + (u - 0xdc00);
			high = 0;
		} else if (high != 0) {
			goto bad_surrogate;
		}
		/* RFC 3501 5.1.3: printable US-ASCII represents itself; a
		   control character is no part of a mailbox name. */
		if (u < 0x80 || (u >= 0x80 && u < 0xa0)) {
			*error_r = "US-ASCII or control character in modified "
				   "BASE64 mailbox name";
			return -1;
		}
		*olen += imap_utf7_put_utf8(o + *olen, u);
	}
	if (i == n) {
		*error_r = "Unterminated modified BASE64 in mailbox name";
		return -1;
	}
	if (high != 0)
		goto bad_surrogate;
	if (units == 0 || nbits >= 6 || acc != 0) {
		*error_r = "Bad modified BASE64 padding in mailbox name";
		return -1;
	}
	*ip = i + 1;
	return 0;
bad_surrogate:
	*error_r = "Unpaired UTF-16 surrogate in mailbox name";
	return -1;
}

char *
imap_utf7_decode(const char *str, size_t n, struct arena *a, size_t *len_r,
		 const char **error_r)
{
	const unsigned char *s = (const unsigned char *)str;
	char *o = arena_alloc(a, 2 * n + 1);
	size_t i = 0, olen = 0, shift_end = (size_t)-1;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x20 || c > 0x7e) {
			*error_r = "Invalid character in mailbox name";
			return NULL;
		}
		if (c != '&') {
			o[olen++] = (char)c;
			i++;
			continue;
		}
		if (i + 1 < n && s[i + 1] == '-') {
			o[olen++] = '&';
			i += 2;
			continue;
		}
		/* Two shifts in a row would be one in the canonical form. */
		if (shift_end == i) {
			*error_r = "Non-canonical modified UTF-7 in mailbox name";
			return NULL;
		}
		i++;
		if (imap_utf7_shift(s, n, &i, o, &olen, error_r) < 0)
			return NULL;
		shift_end = i;
	}
	o[olen] = '\0';
	if (len_r != NULL)
		*len_r = olen;
	return o;
}

/* Write the bits left in a shift and close it. */
static void
imap_utf7_flush(char *o, size_t *olen, uint32_t acc, unsigned nbits)
{
	if (nbits > 0)
		o[(*olen)++] = imap_utf7_b64[(acc << (6 - nbits)) & 0x3f];
	o[(*olen)++] = '-';
}

char *
imap_utf7_encode(const char *str, size_t n, struct arena *a,
		 const char **error_r)
{
	const unsigned char *s = (const unsigned char *)str;
	char *o = arena_alloc(a, 4 * n + 3);
	size_t i = 0, olen = 0;
	uint32_t acc = 0;
	unsigned nbits = 0;
	bool shifted = false;

	while (i < n) {
		size_t l = utf8_char_len(s + i, n - i);
		uint32_t cp, units[2];
		unsigned nu, k;

		if (l == 0) {
			*error_r = "Mailbox name is not valid UTF-8";
			return NULL;
		}
		if (l == 1) {
			if (s[i] < 0x20 || s[i] == 0x7f) {
				*error_r = "Control character in mailbox name";
				return NULL;
			}
			if (shifted) {
				imap_utf7_flush(o, &olen, acc, nbits);
				shifted = false;
				acc = 0;
				nbits = 0;
			}
			o[olen++] = (char)s[i];
			if (s[i] == '&')
				o[olen++] = '-';
			i++;
			continue;
		}
		cp = l == 2 ? s[i] & 0x1fu : l == 3 ? s[i] & 0x0fu : s[i] & 0x07u;
		for (k = 1; k < l; k++)
			cp = (cp << 6) | (s[i + k] & 0x3fu);
		i += l;
		if (cp < 0xa0) {
			*error_r = "Control character in mailbox name";
			return NULL;
		}
		if (cp >= 0x10000) {
			units[0] = 0xd800 + ((cp - 0x10000) >> 10);
			units[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			nu = 2;
		} else {
			units[0] = cp;
			nu = 1;
		}
		if (!shifted) {
			o[olen++] = '&';
			shifted = true;
		}
		for (k = 0; k < nu; k++) {
			acc = (acc << 16) | units[k];
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				o[olen++] = imap_utf7_b64[(acc >> nbits) & 0x3f];
			}
			acc &= (1u << nbits) - 1;
		}
	}
	if (shifted)
		imap_utf7_flush(o, &olen, acc, nbits);
	o[olen] = '\0';
	return o;
}

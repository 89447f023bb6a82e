/* dns_rdata.c: DNS names (wire and text) and the MX/A/AAAA rdata (pure). */
/* SPDX-License-Identifier: MIT */
#include "dns/dns_rdata.h"

#include <arpa/inet.h>
#include <string.h>

/* RFC 1035 2.3.4: labels of 63 octets, names of 255 on the wire. */
#define DNS_LABEL_MAX 63
#define DNS_WIRE_NAME_MAX 255

static int
dns_rdata_label_char(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 'a';
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_')
		return c;
	return -1;
}

int
dns_rdata_name(const uint8_t *p, size_t len, size_t *used_r,
	       char out[DNS_NAME_TEXT_SIZE])
{
	size_t pos = 0, o = 0;

	for (;;) {
		size_t n;

		if (pos >= len)
			return -1;
		n = p[pos++];
		if (n == 0)
			break;
		/* 0xc0: a compression pointer (RFC 1035 4.1.4); 0x40 and
		   0x80 are the obsolete extended label types (RFC 6891 5). */
		if (n > DNS_LABEL_MAX || n > len - pos)
			return -1;
		/* pos + n + 1 (the root label still to come) <= 255. */
		if (pos + n + 1 > DNS_WIRE_NAME_MAX)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (size_t i = 0; i < n; i++) {
			int c = dns_rdata_label_char(p[pos + i]);

			if (c < 0)
				return -1;
			out[o++] = (char)c;
		}
		pos += n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	*used_r = pos;
	return 1;
}

int
dns_rdata_mx(const uint8_t *p, size_t len, uint16_t *pref_r,
	     char host[DNS_NAME_TEXT_SIZE])
{
	size_t used;

	if (len < 3)
		return -1;
	if (dns_rdata_name(p + 2, len - 2, &used, host) < 0 || used != len - 2)
		return -1;
	*pref_r = (uint16_t)(p[0] << 8 | p[1]);
	return 1;
}

int
dns_rdata_addr(int family, const uint8_t *p, size_t len,
	       struct dns_addr *addr_r)
{
	memset(addr_r, 0, sizeof(*addr_r));
	if (family == AF_INET && len == 4) {
		addr_r->len = sizeof(addr_r->u.in);
		addr_r->u.in.sin_family = AF_INET;
		memcpy(&addr_r->u.in.sin_addr, p, 4);
		inet_ntop(AF_INET, p, addr_r->text, sizeof(addr_r->text));
		return 1;
	}
	if (family == AF_INET6 && len == 16) {
		addr_r->len = sizeof(addr_r->u.in6);
		addr_r->u.in6.sin6_family = AF_INET6;
		memcpy(&addr_r->u.in6.sin6_addr, p, 16);
		inet_ntop(AF_INET6, p, addr_r->text, sizeof(addr_r->text));
		return 1;
	}
	return -1;
}

int
dns_rdata_domain(const char *s, char out[DNS_NAME_TEXT_SIZE])
{
	size_t n = strlen(s), label = 0;

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_TEXT_SIZE - 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int c;

		if (s[i] == '.') {
			if (label == 0)
				return -1;
			label = 0;
			out[i] = '.';
			continue;
		}
		if ((c = dns_rdata_label_char((unsigned char)s[i])) < 0 ||
		    ++label > DNS_LABEL_MAX)
			return -1;
		out[i] = (char)c;
	}
	if (label == 0)
		return -1;
	out[n] = '\0';
	return 1;
}

/* dns_rdata.h: DNS names (wire and text) and the MX/A/AAAA rdata (pure). */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_DNS_RDATA_H
#define BUZON_DNS_RDATA_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "limits.h"

/* Room for a host name in text form with its NUL (RFC 1035 2.3.4: 255
   octets on the wire, so at most 253 characters of text). */
#define DNS_NAME_TEXT_SIZE 254

/* An address of a mail host, ready for connect(2) once the port is set. */
struct dns_addr {
	socklen_t len; /* sizeof(struct sockaddr_in) or _in6 */
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} u;                         /* port 0 */
	char text[INET6_ADDRSTRLEN]; /* "192.0.2.1", "2001:db8::1" */
};

/* Decode the uncompressed wire name at p[0..len) (RFC 1035 3.1; libunbound
   hands out rdata names uncompressed) into out as lower-case text without
   a trailing dot; the root name becomes ".".  Only letters, digits, '-'
   and '_' are accepted in labels: anything else cannot be an SMTP host
   (RFC 5321 2.3.5) and would only be trouble in logs.  Returns 1 with
   *used_r = wire octets consumed, or -1 (compression pointer, label or
   name too long, bad character, truncated).  out must hold
   DNS_NAME_TEXT_SIZE bytes; on -1 its contents are unspecified. */
int dns_rdata_name(const uint8_t *p, size_t len, size_t *used_r,
		   char out[DNS_NAME_TEXT_SIZE]);

/* Decode MX rdata (RFC 1035 3.3.9: 16-bit preference, then the exchange
   name), which must fill len exactly.  Returns 1 with *pref_r and host
   (as dns_rdata_name()) set, or -1. */
int dns_rdata_mx(const uint8_t *p, size_t len, uint16_t *pref_r,
		 char host[DNS_NAME_TEXT_SIZE]);

/* Decode A (len 4) or AAAA (len 16) rdata into *addr_r, port 0.
   family is AF_INET or AF_INET6.  Returns 1, or -1 on a length that does
   not match the family. */
int dns_rdata_addr(int family, const uint8_t *p, size_t len,
		   struct dns_addr *addr_r);

/* Check a domain given as text (from a mail address) and write its
   canonical form to out: lower case, one trailing dot removed.  Labels
   of letters, digits, '-' and '_', 1..63 octets each, 253 in total
   (RFC 1035 2.3.4).  Returns 1, or -1 when s is not such a name (an
   address literal, UTF-8 not yet converted to A-labels, an empty
   label).  out must hold DNS_NAME_TEXT_SIZE bytes. */
int dns_rdata_domain(const char *s, char out[DNS_NAME_TEXT_SIZE]);

#endif

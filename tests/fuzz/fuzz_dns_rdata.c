/* fuzz_dns_rdata.c: fuzz the DNS name, MX/A/AAAA rdata and domain decoders. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_rdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A decoded name is canonical text that the domain checker accepts as is
   (the root aside). */
static void
check_text(const char *text)
{
	char again[DNS_NAME_TEXT_SIZE];

	if (strcmp(text, ".") == 0)
		return;
	if (dns_rdata_domain(text, again) < 0 || strcmp(again, text) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[DNS_NAME_TEXT_SIZE], *s;
	struct dns_addr addr;
	size_t used;
	uint16_t pref;

	if (dns_rdata_name(data, size, &used, out) > 0) {
		if (used == 0 || used > size || strlen(out) > 253)
			abort();
		check_text(out);
	}
	if (dns_rdata_mx(data, size, &pref, out) > 0)
		check_text(out);
	if (dns_rdata_addr(AF_INET, data, size, &addr) > 0 && size != 4)
		abort();
	if (dns_rdata_addr(AF_INET6, data, size, &addr) > 0 && size != 16)
		abort();
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (dns_rdata_domain(s, out) > 0)
		check_text(out);
	free(s);
	return 0;
}

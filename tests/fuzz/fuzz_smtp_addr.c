/* fuzz_smtp_addr.c: fuzz the SMTP path, mailbox, parameter, xtext parsers. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "smtp/smtp_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A parsed path's canonical address must parse again to itself. */
static void
check_round_trip(const struct smtp_path *path, struct arena *a)
{
	struct smtp_path again;
	struct smtp_parse_error err;

	if (path->addr == NULL || path->local == NULL)
		abort();
	if (path->is_null) {
		if (path->domain != NULL || path->addr[0] != '\0')
			abort();
		return;
	}
	if (smtp_parse_mailbox(path->addr, a, &again, &err) < 0 ||
	    strcmp(again.addr, path->addr) != 0 ||
	    strcmp(again.local, path->local) != 0 ||
	    again.is_postmaster != path->is_postmaster ||
	    again.needs_utf8 != path->needs_utf8 ||
	    again.domain_is_literal != path->domain_is_literal ||
	    (again.domain == NULL) != (path->domain == NULL) ||
	    (again.domain != NULL && strcmp(again.domain, path->domain) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new("fuzz", 4096);
	char *s = malloc(size + 6), *mail, *rcpt;
	struct smtp_mail_args m;
	struct smtp_rcpt_args r;
	struct smtp_path path;
	struct smtp_parse_error err;

	memcpy(s, data, size);
	s[size] = '\0';
	if (smtp_parse_mailbox(s, a, &path, &err) == 0)
		check_round_trip(&path, a);
	mail = arena_printf(a, "FROM:%s", s);
	if (smtp_parse_mail(mail, a, &m, &err) == 0)
		check_round_trip(&m.path, a);
	else if (err.text == NULL || err.enh == NULL)
		abort();
	rcpt = arena_printf(a, "TO:%s", s);
	if (smtp_parse_rcpt(rcpt, a, &r, &err) == 0)
		check_round_trip(&r.path, a);
	else if (err.text == NULL || err.enh == NULL)
		abort();
	/* xtext over the raw bytes, NULs included */
	memcpy(s, data, size);
	(void)smtp_xtext_decode(s, size, a);
	free(s);
	arena_free(&a);
	return 0;
}

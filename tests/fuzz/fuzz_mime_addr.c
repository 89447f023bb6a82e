/* fuzz_mime_addr.c: fuzz the address-list parser and its ENVELOPE form. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "mime/mime_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new("fuzz", 1024);
	struct mime_addr *list;
	struct buf b;
	size_t max, n, i, depth = 0;

	if (size == 0) {
		arena_free(&a);
		return 0;
	}
	max = data[0] % 8;
	n = mime_addr_parse((const char *)data + 1, size - 1, max, a, &list);
	/* At most max entries plus one group end. */
	if (n > max + 1 || (n > 0) != (list != NULL))
		abort();
	for (i = 0; i < n; i++) {
		/* A NIL host only in group markers; mailboxes have one. */
		if (list[i].host == NULL) {
			if (list[i].name != NULL || list[i].adl != NULL)
				abort();
			if (list[i].mailbox != NULL)
				depth++;
			else if (depth-- == 0)
				abort();
		} else if (list[i].mailbox == NULL) {
			abort();
		}
	}
	if (depth != 0)
		abort();
	buf_init(&b, 0);
	mime_addr_imap(&b, list, n);
	if (buf_len(&b) < 3)
		abort();
	buf_deinit(&b);
	arena_free(&a);
	return 0;
}

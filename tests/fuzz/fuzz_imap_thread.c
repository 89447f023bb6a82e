/* fuzz_imap_thread.c: base subjects, Message-ID parsing, ORDEREDSUBJECT
   and REFERENCES threading on messages made from the input: lines of
   "subject|message-id|in-reply-to|references", one message per line. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "imap/imap_sort.h"
#include "imap/imap_thread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *save = NULL;
	struct imap_thread_msg m[256];
	size_t n = 0;
	struct buf b;

	memcpy(text, data, size);
	text[size] = '\0';
	buf_init(&b, 0);
	for (line = strtok_r(text, "\n", &save); line != NULL && n < 256;
	     line = strtok_r(NULL, "\n", &save)) {
		char *f[4] = {NULL, NULL, NULL, NULL}, *p = line;
		size_t k;

		for (k = 0; k < 4 && p != NULL; k++) {
			f[k] = p;
			p = strchr(p, '|');
			if (p != NULL)
				*p++ = '\0';
		}
		buf_reset(&b);
		imap_sort_base_subject(f[0], strlen(f[0]), &b);
		m[n] = (struct imap_thread_msg){(uint32_t)n + 1, (uint32_t)n + 1,
						(int64_t)(line[0] % 7), f[0], f[1],
						f[2], f[3]};
		n++;
	}
	buf_reset(&b);
	imap_thread_references(m, n, &b);
	buf_reset(&b);
	imap_thread_orderedsubject(m, n, &b);
	buf_deinit(&b);
	free(text);
	return 0;
}

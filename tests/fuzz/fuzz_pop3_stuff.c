/* fuzz_pop3_stuff.c: fuzz the RETR/TOP framing: split invariance, and a
   RETR response that unstuffs to the input. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_split.h"
#include "pop3/pop3_stuff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
frame(const uint8_t *in, size_t n, bool top, uint32_t lines, size_t step,
      struct buf *out)
{
	struct pop3_stuff st;
	size_t pos = 0;

	pop3_stuff_init(&st, top, lines);
	buf_init(out, 0);
	while (pos < n) {
		size_t k = n - pos < step ? n - pos : step;

		if (pop3_stuff_feed(&st, in + pos, k, out)) {
			if (!top)
				abort();
			break;
		}
		pos += k;
	}
	pop3_stuff_finish(&st, out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole, split;
	uint32_t lines;
	size_t step, i, o = 0;
	const uint8_t *p;
	uint8_t *back;
	bool bol = true;
	int top;

	if (size < 2)
		return 0;
	/* first byte: split step, second: TOP line count */
	step = 1 + data[0] % 13;
	lines = data[1] % 8;
	data += 2;
	size -= 2;
	for (top = 0; top < 2; top++) {
		frame(data, size, top, lines, size + 1, &whole);
		frame(data, size, top, lines, step, &split);
		if (!fuzz_same(&whole, &split))
			abort();
		buf_deinit(&split);
		if (top) {
			buf_deinit(&whole);
			break;
		}
		/* RETR: strip the terminator and one leading dot per line;
		   what is left is the input plus CRLF if it had no end. */
		p = buf_rptr(&whole);
		if (buf_len(&whole) < 3 ||
		    memcmp(p + buf_len(&whole) - 3, ".\r\n", 3) != 0)
			abort();
		back = malloc(buf_len(&whole) + 1);
		for (i = 0; i + 3 < buf_len(&whole); i++) {
			if (bol && p[i] == '.') {
				if (p[i + 1] != '.')
					abort();
				i++;
			}
			back[o++] = p[i];
			bol = p[i] == '\n';
		}
		if (size > 0 && data[size - 1] != '\n') {
			if (o != size + 2 ||
			    memcmp(back + size, "\r\n", 2) != 0)
				abort();
		} else if (o != size) {
			abort();
		}
		if (memcmp(back, data, size) != 0)
			abort();
		free(back);
		buf_deinit(&whole);
	}
	return 0;
}

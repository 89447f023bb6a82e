/* fuzz_smtp_data.c: fuzz the DATA decoder and the BDAT bare CR/LF scan. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz_split.h"
#include "smtp/smtp_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
decode(const uint8_t *in, size_t n, size_t step, bool discard,
       struct smtp_data *d, struct buf *out)
{
	size_t pos = 0;

	smtp_data_init(d);
	d->discard = discard;
	while (pos < n && !d->done) {
		size_t k = n - pos < step ? n - pos : step;
		size_t used = smtp_data_decode(d, in + pos, k, out);

		if (used > k || (used < k && !d->done))
			abort();
		pos += used;
	}
	return pos;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_data whole, split, counted;
	struct smtp_bare_scan s1, s2;
	struct buf o1, o2, o3;
	size_t step, c1, c2, c3, i;

	if (size == 0)
		return 0;
	step = (size_t)(data[0] % 16) + 1;
	data++;
	size--;
	buf_init(&o1, 0);
	buf_init(&o2, 0);
	buf_init(&o3, 0);
	c1 = decode(data, size, size + 1, false, &whole, &o1);
	c2 = decode(data, size, step, false, &split, &o2);
	c3 = decode(data, size, step, true, &counted, &o3);
	if (c1 != c2 || c1 != c3 || whole.done != split.done ||
	    whole.octets != buf_len(&o1) || !fuzz_same(&o1, &o2) ||
	    whole.bare_cr != split.bare_cr || whole.bare_lf != split.bare_lf ||
	    whole.nul != split.nul || buf_len(&o3) != 0 ||
	    counted.octets != whole.octets || counted.done != whole.done)
		abort();
	/* Decoded output never holds more than the input. */
	if (buf_len(&o1) > c1)
		abort();
	/* BDAT scan: chunking must not change the counts. */
	smtp_bare_scan_init(&s1);
	smtp_bare_scan_init(&s2);
	smtp_data_scan_bare(&s1, data, size);
	for (i = 0; i < size; i += step)
		smtp_data_scan_bare(&s2, data + i,
				    size - i < step ? size - i : step);
	smtp_bare_scan_finish(&s1);
	smtp_bare_scan_finish(&s2);
	if (s1.bare_cr != s2.bare_cr || s1.bare_lf != s2.bare_lf ||
	    s1.nul != s2.nul)
		abort();
	buf_deinit(&o1);
	buf_deinit(&o2);
	buf_deinit(&o3);
	return 0;
}

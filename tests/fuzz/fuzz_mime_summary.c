/* fuzz_mime_summary.c: fuzz the streaming MIME summary; whole and split
   feeding must agree. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime/mime_summary.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
summarize(const uint8_t *in, size_t n, size_t step,
	  const struct mime_limits *lim, struct mime_msg_info *r)
{
	struct mime_summary *ms = mime_summary_new(lim);
	size_t pos;

	for (pos = 0; pos < n; pos += step)
		mime_summary_feed(ms, in + pos, n - pos < step ? n - pos : step);
	if (mime_summary_finish(ms, r) != 0)
		abort();
	mime_summary_free(&ms);
}

static int
differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Small limits so that the limit paths are reached too. */
	static const struct mime_limits small = {3, 6, 200, 4};
	struct mime_msg_info whole, split;
	const struct mime_limits *lim;
	size_t step;

	if (size == 0)
		return 0;
	step = (size_t)(data[0] % 16) + 1;
	lim = data[0] & 0x80 ? &small : NULL;
	data++;
	size--;
	summarize(data, size, size + 1, lim, &whole);
	summarize(data, size, step, lim, &split);
	if (differ(whole.envelope, split.envelope) ||
	    differ(whole.bodystructure, split.bodystructure) ||
	    differ(whole.body, split.body) ||
	    differ(whole.subject, split.subject) ||
	    differ(whole.from, split.from) || differ(whole.to, split.to) ||
	    differ(whole.cc, split.cc) ||
	    differ(whole.message_id, split.message_id) ||
	    whole.date != split.date || whole.has_date != split.has_date ||
	    whole.received_count != split.received_count ||
	    whole.header_size != split.header_size ||
	    whole.body_size != split.body_size)
		abort();
	if (whole.envelope == NULL || whole.bodystructure == NULL ||
	    whole.body == NULL || whole.header_size + whole.body_size != size)
		abort();
	mime_msg_info_clear(&whole);
	mime_msg_info_clear(&split);
	return 0;
}

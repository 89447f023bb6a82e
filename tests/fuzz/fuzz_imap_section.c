/* fuzz_imap_section.c: locate a FETCH section in an arbitrary message.
   Input: byte 0 selects the item and text specifier, byte 1 the part
   numbers (two bits each, 0 = end) and a partial; the rest is the
   message. */
/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap/imap_section.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *names[] = {"Subject", "content-TYPE", "x"};
	static const struct mime_limits small = {3, 6, 200, 4};
	struct imap_fetch_att att, h;
	struct imap_section r, r2;
	uint32_t parts[4];
	const uint8_t *msg;
	size_t n, i;
	int rc;

	if (size < 2)
		return 0;
	memset(&att, 0, sizeof(att));
	att.item = (enum imap_fetch_item)(data[0] % 3 == 0   ? IMAP_FETCH_BINARY
					  : data[0] % 3 == 1 ? IMAP_FETCH_BINARY_SIZE
							     : IMAP_FETCH_BODY_SECTION);
	att.part = parts;
	for (i = 0; i < 4 && (data[1] >> (2 * i) & 3) != 0; i++)
		parts[att.nparts++] = data[1] >> (2 * i) & 3;
	if (att.item == IMAP_FETCH_BODY_SECTION) {
		att.text = (enum imap_section_text)(data[0] / 3 % 6);
		if (att.text == IMAP_SECTION_MIME && att.nparts == 0)
			att.text = IMAP_SECTION_NONE;
		att.fields = names;
		att.nfields = 3;
	}
	if (att.item != IMAP_FETCH_BINARY_SIZE && (data[0] & 0x80)) {
		att.partial = true;
		att.offset = data[1] & 7;
		att.length = (data[0] & 7) + 1;
	}
	msg = data + 2;
	n = size - 2;
	rc = imap_section_find_lim(msg, n, &att, data[0] & 0x40 ? &small : NULL,
				   &r);
	if (rc != IMAP_SECTION_OK) {
		if (r.data != NULL || r.len != 0)
			abort();
		return 0;
	}
	if (r.data == NULL && (r.start > n || r.len > n - r.start))
		abort();
	if (att.partial && r.len > att.length)
		abort();
	if (att.item == IMAP_FETCH_BINARY &&
	    r.has_nul != (memchr(imap_section_bytes(msg, &r), 0,
				 (size_t)r.len) != NULL))
		abort();
	/* A header with nothing excluded is the header itself (built vs
	   range), when it ends with its blank line. */
	if (att.item == IMAP_FETCH_BODY_SECTION && !att.partial &&
	    att.text == IMAP_SECTION_HEADER) {
		const uint8_t *b = imap_section_bytes(msg, &r);
		bool blank = (r.len >= 2 && b[r.len - 1] == '\n' &&
			      b[r.len - 2] == '\n') ||
			     (r.len >= 3 && memcmp(b + r.len - 3, "\n\r\n", 3) == 0);

		h = att;
		h.text = IMAP_SECTION_HEADER_FIELDS_NOT;
		h.nfields = 0;
		if (imap_section_find_lim(msg, n, &h, data[0] & 0x40 ? &small
								      : NULL,
					  &r2) != 0)
			abort();
		/* every field kept, no line end added; a bare-LF blank line
		   comes back as CRLF */
		if (blank && r2.len > r.len + 1)
			abort();
		imap_section_clear(&r2);
	}
	imap_section_clear(&r);
	return 0;
}

/* mime_imap.c: IMAP quoted strings and literals for ENVELOPE/BODYSTRUCTURE. */
/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "limits.h"
#include "mime/mime_imap.h"
#include "xalloc.h"

void
mime_imap_string(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, nul = 0, start;
	bool literal = n > MIME_IMAP_QUOTED_MAX;

	for (i = 0; i < n; i++) {
		if (u[i] == 0)
			nul++;
		else if (u[i] >= 0x80 || u[i] == '\r' || u[i] == '\n')
			literal = true;
	}
	if (literal) {
		/* RFC 3501 4.3: CHAR8 excludes NUL, so NULs are left out. */
		buf_printf(b, "{%zu}\r\n", n - nul);
		for (start = i = 0; i <= n; i++) {
			if (i == n || u[i] == 0) {
				buf_append(b, s + start, i - start);
				start = i + 1;
			}
		}
		return;
	}
	buf_append(b, "\"", 1);
	for (start = i = 0; i <= n; i++) {
		if (i < n && u[i] != 0 && u[i] != '"' && u[i] != '\\')
			continue;
		buf_append(b, s + start, i - start);
		if (i < n && u[i] != 0) {
			char esc[2] = {'\\', s[i]};

			buf_append(b, esc, 2);
		}
		start = i + 1;
	}
	buf_append(b, "\"", 1);
}

void
mime_imap_nstring(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_append(b, "NIL", 3);
	else
		mime_imap_string(b, s, strlen(s));
}

void
mime_imap_nstring_upper(struct buf *b, const char *s)
{
	char small[128], *up = small;
	size_t i, n;

	small[0] = '\0';

	if (s == NULL) {
		buf_append(b, "NIL", 3);
		return;
	}
	n = strlen(s);
	if (n >= sizeof(small))
		up = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		up[i] = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 32) : s[i];
	mime_imap_string(b, up, n);
	if (up != small)
		free(up);
}

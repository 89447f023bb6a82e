/* mime_decode.h: MIME content decoders (lenient base64, quoted-printable),
   charset conversion to UTF-8 and RFC 2047 encoded-word decoding. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_MIME_DECODE_H
#define BUZON_MIME_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Streaming base64 decoder for MIME bodies (RFC 2045 6.8): characters
   outside the alphabet (line ends, spaces, garbage) are skipped; '='
   ends the current quantum, so concatenated encodings decode too.
   Feeding the input in any chunking gives the same output. */
struct mime_b64 {
	uint32_t acc;
	unsigned n;
};
void mime_b64_init(struct mime_b64 *st);
/* Decode in[0..n) and append the bytes to out. */
void mime_b64_decode(struct mime_b64 *st, const void *in, size_t n,
		     struct buf *out);
/* End of input: a dangling partial quantum is flushed as far as it
   carries whole bytes. */
void mime_b64_finish(struct mime_b64 *st, struct buf *out);

/* Streaming quoted-printable decoder (RFC 2045 6.7).  Soft line breaks
   ("=" CRLF, also "=" LF and "=" WSP CRLF) are removed, "=XX" decoded
   (lower-case hex accepted), trailing whitespace before a line end is
   dropped (rule 3), invalid "=" sequences pass through literally.
   Line ends are output as they came.  Chunking does not change output.
   A whitespace run longer than MIME_QP_WSP_MAX is output as data. */
#define MIME_QP_WSP_MAX 64
struct mime_qp {
	int state;
	unsigned nws;
	char hex;
	char ws[MIME_QP_WSP_MAX];
};
void mime_qp_init(struct mime_qp *st);
void mime_qp_decode(struct mime_qp *st, const void *in, size_t n,
		    struct buf *out);
/* End of input: pending bytes (a lone "=", "=X", held whitespace) are
   output as they were. */
void mime_qp_finish(struct mime_qp *st, struct buf *out);

/* Convert in[0..n) from charset to UTF-8, appending to out.  utf-8,
   us-ascii and iso-8859-1 (and their usual aliases) are built in; other
   charsets go through iconv(3).  Invalid sequences become U+FFFD.
   Returns 0, or -1 if the charset is unknown (nothing appended). */
int mime_charset_to_utf8(const char *charset, const void *in, size_t n,
			 struct buf *out);

/* Decode RFC 2047 encoded-words in a header value (already unfolded) to
   UTF-8, appending to out.  Whitespace between two adjacent encoded
   words is dropped (RFC 2047 6.2); adjacent words in the same charset are
   joined before conversion so a character split across words survives;
   "charset*lang" (RFC 2231 5) is accepted; words in unknown charsets or
   malformed words are copied as they are; other 8-bit bytes pass through
   as UTF-8 (RFC 6532), invalid UTF-8 becoming U+FFFD. */
void mime_2047_decode(const char *in, size_t n, struct buf *out);

#endif

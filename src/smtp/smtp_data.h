/* smtp_data.h: DATA dot-unstuffing and end of data; BDAT bare CR/LF scan. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_SMTP_DATA_H
#define BUZON_SMTP_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Decoder state for the bytes after "354".  Fields below "public" may be
   read by the caller; discard may be set at any time. */
struct smtp_data {
	/* public */
	bool done;        /* the ".\r\n" terminator was consumed */
	bool discard;     /* don't append to out, only count and find end */
	bool overflow;    /* an append to out failed (see decode) */
	uint64_t octets;  /* decoded message bytes, appended or not */
	uint64_t bare_cr; /* CRs not followed by LF */
	uint64_t bare_lf; /* LFs not preceded by CR */
	uint64_t nul;     /* NUL bytes */
	/* private */
	int state;
};

/* Start a new message: the data begins as if right after a CRLF, so a
   first line "." ends an empty message. */
void smtp_data_init(struct smtp_data *d);

/* Decode up to n input bytes.  Decoded bytes are appended to out: CRLF
   line ends kept, the leading dot of each line removed (RFC 5321 4.5.2),
   the CRLF before the final dot kept as the message's last line end,
   the ".\r\n" terminator dropped; bare CR, bare LF and NUL bytes are
   passed through and counted.  The only end of data is CRLF "." CRLF
   (or "." CRLF at the very start): "\n.\n", "\r.\r", "\n.\r\n",
   "\r\n.\n" and the like never end the message.  Lines are unlimited.
   Returns the number of input bytes consumed: all n, or fewer when the
   terminator was found (consumption stops right after it and d->done is
   set, so the caller keeps the rest as pipelined commands).  Once done,
   further calls consume nothing.
   d->octets counts every decoded byte.  With d->discard set nothing is
   appended.  If an append to out fails (out->max reached) d->overflow
   and d->discard are set and decoding continues to the end of data, so
   the caller replies once d->done (out then holds a prefix of the
   message).  The return value is never an error. */
size_t smtp_data_decode(struct smtp_data *d, const uint8_t *in, size_t n,
			struct buf *out);

/* Bare CR / bare LF / NUL detection for BDAT chunks (RFC 3030: chunk
   data is raw, not unstuffed), with state across chunks: a CR ending
   one chunk and a LF starting the next is a valid CRLF. */
struct smtp_bare_scan {
	uint64_t bare_cr, bare_lf, nul; /* counters, as in smtp_data */
	bool cr;                        /* private: last byte was a CR */
};

void smtp_bare_scan_init(struct smtp_bare_scan *s);
/* Scan n bytes of chunk data, updating the counters. */
void smtp_data_scan_bare(struct smtp_bare_scan *s, const uint8_t *in, size_t n);
/* Call after the LAST chunk: a trailing CR is counted as bare. */
void smtp_bare_scan_finish(struct smtp_bare_scan *s);

#endif

/* log.h: one-line key=value logging to stderr, fatal errors and panics. */
/* SPDX-License-Identifier: MIT */
#ifndef BUZON_LOG_H
#define BUZON_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#define ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define ATTR_NORETURN __attribute__((noreturn))

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Messages below level are dropped.  Default LOG_INFO. */
void log_set_level(enum log_level level);
/* Prefix every line with the program name (default "buzon"). The string
   must outlive all logging. */
void log_set_ident(const char *ident);

/* Each call writes exactly one line (a trailing newline is added), with a
   timestamp, in one write(2) so lines of concurrent threads never mix. */
void log_debug(const char *fmt, ...) ATTR_PRINTF(1, 2);
void log_info(const char *fmt, ...) ATTR_PRINTF(1, 2);
void log_warn(const char *fmt, ...) ATTR_PRINTF(1, 2);
void log_error(const char *fmt, ...) ATTR_PRINTF(1, 2);

/* Environment failures: log and exit(1).  fatal() appends strerror(errno). */
void fatal(const char *fmt, ...) ATTR_PRINTF(1, 2) ATTR_NORETURN;
void fatalx(const char *fmt, ...) ATTR_PRINTF(1, 2) ATTR_NORETURN;
/* Broken invariant: log and abort(). */
void panic(const char *fmt, ...) ATTR_PRINTF(1, 2) ATTR_NORETURN;

#define ASSERT(expr)                                                           \
	do {                                                                   \
		if (!(expr))                                                   \
			panic("assertion failed: %s (%s:%d)", #expr, __FILE__, \
			      __LINE__);                                       \
	} while (0)

#endif

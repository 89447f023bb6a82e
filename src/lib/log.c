/* log.c: one-line logging to stderr. */
/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_min = LOG_INFO;
static const char *log_ident = "buzon";

void
log_set_level(enum log_level level)
{
	log_min = level;
}

void
log_set_ident(const char *ident)
{
	log_ident = ident;
}

static void __attribute__((format(printf, 2, 0)))
log_vwrite(const char *lvl, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	size_t n;
	int rc;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	rc = snprintf(line + n, sizeof(line) - n, ".%03ldZ %s %s: ",
		      ts.tv_nsec / 1000000, log_ident, lvl);
	if (rc > 0)
		n += (size_t)rc;
	rc = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (rc > 0)
		n += (size_t)rc < sizeof(line) - n ? (size_t)rc
						   : sizeof(line) - n - 1;
	/* Room for ": " and at least one byte of suffix (GCC's
	   -Wformat-truncation at -O2 rejects a region of 1 byte). */
	if (suffix != NULL && n + 3 < sizeof(line)) {
		rc = snprintf(line + n, sizeof(line) - n, ": %s", suffix);
		if (rc > 0)
			n += (size_t)rc < sizeof(line) - n
				 ? (size_t)rc
				 : sizeof(line) - n - 1;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: lines from several threads never interleave. */
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nowhere left to report it */
	}
}

#define LOG_FN(name, level, tag)                                               \
	void name(const char *fmt, ...)                                        \
	{                                                                      \
		va_list ap;                                                    \
		if (level < log_min)                                           \
			return;                                                \
		va_start(ap, fmt);                                             \
		log_vwrite(tag, fmt, ap, NULL);                                \
		va_end(ap);                                                    \
	}

LOG_FN(log_debug, LOG_DEBUG, "debug")
LOG_FN(log_info, LOG_INFO, "info")
LOG_FN(log_warn, LOG_WARN, "warning")
LOG_FN(log_error, LOG_ERROR, "error")

void
fatal(const char *fmt, ...)
{
	va_list ap;
	const char *err = strerror(errno);

	va_start(ap, fmt);
	log_vwrite("fatal", fmt, ap, err);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite("fatal", fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite("panic", fmt, ap, NULL);
	va_end(ap);
	abort();
}

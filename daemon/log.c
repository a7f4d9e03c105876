#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sp_err.h"

/* Longest line written; longer messages are cut and end with "...". */
#define LOG_LINE_MAX 2048

enum sp_log_level sp_log_threshold = SP_LOG_INFO;

static const char *const level_names[] = {
	[SP_LOG_ERROR] = "error",
	[SP_LOG_WARN] = "warn",
	[SP_LOG_INFO] = "info",
	[SP_LOG_DEBUG] = "debug",
};

static const char *const level_tags[] = {
	[SP_LOG_ERROR] = "ERROR",
	[SP_LOG_WARN] = "WARN",
	[SP_LOG_INFO] = "INFO",
	[SP_LOG_DEBUG] = "DEBUG",
};

void
sp_log_set_level(enum sp_log_level level)
{
	sp_log_threshold = level;
}

int
sp_log_parse_level(const char *s, enum sp_log_level *out)
{
	size_t i;

	for (i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum sp_log_level)i;
			return 0;
		}
	}
	return SP_EINVAL;
}

/*
 * One write(2) per line: the kernel appends it to stderr as a unit, so lines
 * from several threads never interleave, and nothing here takes a lock or
 * allocates (a log call must work when memory has run out).
 */
static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

void
sp_log_write(enum sp_log_level level, const char *func, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	const char *tag = "?";
	size_t len, i, start;
	va_list ap;
	int n;
	int saved_errno = errno;

	if ((unsigned)level < sizeof level_tags / sizeof level_tags[0])
		tag = level_tags[level];
	n = snprintf(line, sizeof line, "simpuld[%ld]: %s %s: ", (long)getpid(),
	    tag, func);
	if (n < 0)
		goto out;
	start = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
	va_start(ap, fmt);
	n = vsnprintf(line + start, sizeof line - start, fmt, ap);
	va_end(ap);
	if (n < 0)
		goto out;
	len = start + (size_t)n;
	/* Room for the newline; a cut line says so. */
	if (len > sizeof line - 2) {
		len = sizeof line - 2;
		memcpy(line + len - 3, "...", 3);
	}
	/*
	 * One event, one line: a stray newline or control character in a
	 * message (a caller forgot sp_log_escape) must not forge a line.
	 */
	for (i = start; i < len; i++) {
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	}
	line[len++] = '\n';
	write_all(STDERR_FILENO, line, len);
out:
	errno = saved_errno;
}

const char *
sp_log_escape(char *out, size_t size, const void *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = s;
	size_t i, o = 0;

	if (size == 0)
		return out;
	for (i = 0; i < len; i++) {
		/* A backslash is escaped too, so the output reads back unambiguously. */
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
			if (size - o < 2)
				break;
			out[o++] = (char)p[i];
		} else {
			if (size - o < 5)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[p[i] >> 4];
			out[o++] = hex[p[i] & 0xf];
		}
	}
	out[o] = '\0';
	return out;
}

bool
sp_log_limit_pass(sp_log_limit *l, uint64_t now_ms, unsigned *missed)
{
	*missed = 0;
	if (now_ms < l->until_ms) {
		l->suppressed++;
		return false;
	}
	*missed = l->suppressed;
	l->suppressed = 0;
	l->until_ms = now_ms + SP_LOG_LIMIT_MS;
	return true;
}

unsigned
sp_log_limit_flush(sp_log_limit *l, uint64_t now_ms)
{
	unsigned n = l->suppressed;

	if (n == 0 || now_ms < l->until_ms)
		return 0;
	/* The summary line is this period's one line. */
	l->suppressed = 0;
	l->until_ms = now_ms + SP_LOG_LIMIT_MS;
	return n;
}

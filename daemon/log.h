/*
 * log.h - one line per event on stderr: "simpuld[pid]: LEVEL func: message".
 * The level is checked before the arguments are evaluated. Strings that came
 * from peers or users are escaped with sp_log_escape before logging. No
 * secret is ever logged.
 */
#ifndef SP_LOG_H
#define SP_LOG_H

#include <stddef.h>

enum sp_log_level { SP_LOG_ERROR, SP_LOG_WARN, SP_LOG_INFO, SP_LOG_DEBUG };

extern enum sp_log_level sp_log_threshold;

void sp_log_set_level(enum sp_log_level level);
/* "error", "warn", "info", "debug"; SP_EINVAL otherwise. */
int sp_log_parse_level(const char *s, enum sp_log_level *out);

void sp_log_write(enum sp_log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Copies s (len bytes, any content) into out as printable ASCII, escaping
 * everything else as \xNN, truncated to fit size. Returns out.
 */
const char *sp_log_escape(char *out, size_t size, const void *s, size_t len);

#define SP_LOG_AT(level, ...) do { \
	if ((level) <= sp_log_threshold) \
		sp_log_write((level), __func__, __VA_ARGS__); \
} while (0)

#define log_error(...) SP_LOG_AT(SP_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  SP_LOG_AT(SP_LOG_WARN, __VA_ARGS__)
#define log_info(...)  SP_LOG_AT(SP_LOG_INFO, __VA_ARGS__)
#define log_debug(...) SP_LOG_AT(SP_LOG_DEBUG, __VA_ARGS__)

#endif

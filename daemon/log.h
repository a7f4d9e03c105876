/*
 * log.h - one line per event on stderr: "simpuld[pid]: LEVEL func: message".
 * The level is checked before the arguments are evaluated. Strings that came
 * from peers or users are escaped with sp_log_escape before logging. No
 * secret is ever logged.
 */
#ifndef SP_LOG_H
#define SP_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/*
 * A rate limit for a line that strangers can make us repeat (a flood of
 * stalled handshakes, say): one line per cause per SP_LOG_LIMIT_MS. The
 * first occurrence in a period is logged; the others are counted, and the
 * count is reported by a summary line once the period is over. Zero it to
 * start.
 */
#define SP_LOG_LIMIT_MS 10000
typedef struct sp_log_limit {
	uint64_t until_ms;     /* end of the current period */
	unsigned suppressed;   /* occurrences not logged since its line */
} sp_log_limit;
/*
 * An occurrence at now_ms (a monotonic clock): true if it is to be logged,
 * with *missed the occurrences not logged before it (to be said in its
 * line: events that keep coming start each period before a flush can).
 */
bool sp_log_limit_pass(sp_log_limit *l, uint64_t now_ms, unsigned *missed);
/*
 * Once the period is over: returns how many occurrences were not logged
 * (0: nothing to report), and the summary line the caller then logs
 * starts a new period. Call it periodically, for the events that stopped.
 */
unsigned sp_log_limit_flush(sp_log_limit *l, uint64_t now_ms);

#define SP_LOG_AT(level, ...) do { \
	if ((level) <= sp_log_threshold) \
		sp_log_write((level), __func__, __VA_ARGS__); \
} while (0)

#define log_error(...) SP_LOG_AT(SP_LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  SP_LOG_AT(SP_LOG_WARN, __VA_ARGS__)
#define log_info(...)  SP_LOG_AT(SP_LOG_INFO, __VA_ARGS__)
#define log_debug(...) SP_LOG_AT(SP_LOG_DEBUG, __VA_ARGS__)

#endif

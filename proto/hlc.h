/*
 * hlc.h - hybrid logical clock in a u64: milliseconds since the Unix epoch
 * in the high 48 bits, a counter in the low 16. Pure: the caller passes the
 * wall clock in, so tests and fuzzers are deterministic.
 */
#ifndef SP_HLC_H
#define SP_HLC_H

#include <stdint.h>

#define SP_HLC_MS(ts)      ((uint64_t)(ts) >> 16)
#define SP_HLC_MAKE(ms, c) (((uint64_t)(ms) << 16) | (uint16_t)(c))

typedef struct sp_hlc {
	uint64_t last; /* last timestamp issued or observed */
} sp_hlc;

void sp_hlc_init(sp_hlc *h, uint64_t last);

/* A new timestamp for a local event: strictly greater than any before it. */
uint64_t sp_hlc_tick(sp_hlc *h, uint64_t wall_ms);

/*
 * Merges a timestamp seen in a received record. Callers must have refused
 * records beyond the allowed skew first (sp_record_check_time), so one bad
 * clock cannot drag every later timestamp with it.
 */
void sp_hlc_observe(sp_hlc *h, uint64_t remote);

#endif

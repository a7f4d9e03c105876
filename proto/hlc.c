#include "hlc.h"

/* The largest wall clock the 48-bit field holds (the year 10889). */
#define HLC_MS_MAX SP_HLC_MS(UINT64_MAX)

void
sp_hlc_init(sp_hlc *h, uint64_t last)
{
	h->last = last;
}

uint64_t
sp_hlc_tick(sp_hlc *h, uint64_t wall_ms)
{
	/*
	 * A wall clock beyond 48 bits would lose its high bits in
	 * SP_HLC_MAKE and jump backwards; saturating keeps ticks increasing.
	 */
	if (wall_ms > HLC_MS_MAX)
		wall_ms = HLC_MS_MAX;
	if (wall_ms > SP_HLC_MS(h->last))
		h->last = SP_HLC_MAKE(wall_ms, 0);
	else
		h->last++;
	return h->last;
}

void
sp_hlc_observe(sp_hlc *h, uint64_t remote)
{
	if (remote > h->last)
		h->last = remote;
}

/*
 * test_hlc.c - the hybrid logical clock never goes backwards.
 */
#include "sp_test.h"

#include "hlc.h"

#define T0 UINT64_C(1700000000000)

static void
test_layout(void **state)
{
	(void)state;
	assert_true(SP_HLC_MAKE(T0, 7) == (T0 << 16 | 7));
	assert_true(SP_HLC_MS(SP_HLC_MAKE(T0, 0xffff)) == T0);
	assert_true((SP_HLC_MAKE(T0, 0xffff) & 0xffff) == 0xffff);
}

static void
test_tick(void **state)
{
	sp_hlc h;
	uint64_t a, b, c, d, e;

	(void)state;
	sp_hlc_init(&h, 0);
	a = sp_hlc_tick(&h, T0);
	assert_true(a == SP_HLC_MAKE(T0, 0));
	/* Same millisecond: the counter moves. */
	b = sp_hlc_tick(&h, T0);
	assert_true(b == SP_HLC_MAKE(T0, 1));
	/* The wall clock stepped back an hour: still forwards. */
	c = sp_hlc_tick(&h, T0 - 3600 * 1000);
	assert_true(c == SP_HLC_MAKE(T0, 2));
	/* The wall clock moves on: counter resets. */
	d = sp_hlc_tick(&h, T0 + 5);
	assert_true(d == SP_HLC_MAKE(T0 + 5, 0));
	assert_true(a < b && b < c && c < d);
	/* A full counter carries into the milliseconds, still increasing. */
	sp_hlc_init(&h, SP_HLC_MAKE(T0, 0xffff));
	e = sp_hlc_tick(&h, T0);
	assert_true(e == SP_HLC_MAKE(T0 + 1, 0));
}

static void
test_observe(void **state)
{
	sp_hlc h;
	uint64_t remote = SP_HLC_MAKE(T0 + 60000, 9), t;

	(void)state;
	sp_hlc_init(&h, SP_HLC_MAKE(T0, 0));
	sp_hlc_observe(&h, remote);
	assert_true(h.last == remote);
	/* Our wall clock is behind the remote one: ticks follow the remote. */
	t = sp_hlc_tick(&h, T0 + 1);
	assert_true(t == remote + 1);
	/* An older timestamp changes nothing. */
	sp_hlc_observe(&h, SP_HLC_MAKE(T0, 0));
	assert_true(h.last == remote + 1);
}

static void
test_monotonic_sweep(void **state)
{
	/* Wall clock readings jumping around, including beyond 48 bits. */
	static const uint64_t wall[] = {
		T0, T0, T0 + 1, T0 - 1, 0, T0 + 2, T0 + 2, UINT64_MAX >> 16,
		UINT64_MAX, UINT64_MAX >> 8, T0,
	};
	sp_hlc h;
	uint64_t prev = 0, t;
	size_t i;

	(void)state;
	sp_hlc_init(&h, 0);
	for (i = 0; i < sizeof(wall) / sizeof(wall[0]); i++) {
		t = sp_hlc_tick(&h, wall[i]);
		assert_true(t > prev);
		prev = t;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_tick),
		cmocka_unit_test(test_observe),
		cmocka_unit_test(test_monotonic_sweep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

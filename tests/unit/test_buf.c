/*
 * test_buf.c - the byte buffer, its big-endian loads and stores (known
 * bytes, not a round trip through themselves) and wiping.
 */
#include "sp_test.h"

#include <string.h>

#include "buf.h"
#include "sp_err.h"

static const uint8_t be_bytes[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };

static void
test_get_be(void **state)
{
	static const uint8_t high[8] = { 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8 };

	(void)state;
	assert_int_equal(sp_get_be16(be_bytes), 0x0123);
	assert_int_equal(sp_get_be32(be_bytes), 0x01234567);
	assert_true(sp_get_be64(be_bytes) == UINT64_C(0x0123456789abcdef));
	/* High bits set: no sign extension anywhere. */
	assert_int_equal(sp_get_be16(high), 0xfffe);
	assert_true(sp_get_be32(high) == UINT32_C(0xfffefdfc));
	assert_true(sp_get_be64(high) == UINT64_C(0xfffefdfcfbfaf9f8));
}

static void
test_put_be(void **state)
{
	uint8_t p[10];

	(void)state;
	/* Each store writes its width and not a byte more. */
	memset(p, 0xaa, sizeof p);
	sp_put_be16(p + 1, 0x0123);
	assert_memory_equal(p + 1, be_bytes, 2);
	assert_int_equal(p[0], 0xaa);
	assert_int_equal(p[3], 0xaa);

	memset(p, 0xaa, sizeof p);
	sp_put_be32(p + 1, 0x01234567);
	assert_memory_equal(p + 1, be_bytes, 4);
	assert_int_equal(p[0], 0xaa);
	assert_int_equal(p[5], 0xaa);

	memset(p, 0xaa, sizeof p);
	sp_put_be64(p + 1, UINT64_C(0x0123456789abcdef));
	assert_memory_equal(p + 1, be_bytes, 8);
	assert_int_equal(p[0], 0xaa);
	assert_int_equal(p[9], 0xaa);
}

static void
test_memzero(void **state)
{
	uint8_t a[33], z[33] = { 0 };

	(void)state;
	memset(a, 0x5a, sizeof a);
	sp_memzero(a + 1, sizeof a - 2);
	assert_int_equal(a[0], 0x5a);
	assert_memory_equal(a + 1, z, sizeof a - 2);
	assert_int_equal(a[sizeof a - 1], 0x5a);
	/* Nothing to wipe may come as NULL. */
	sp_memzero(NULL, 0);
}

static void
test_append_and_wipe(void **state)
{
	sp_buf b;

	(void)state;
	sp_buf_init(&b);
	assert_int_equal(sp_buf_append(&b, NULL, 0), 0);
	assert_null(b.data);
	assert_int_equal(sp_buf_append(&b, be_bytes, sizeof be_bytes), 0);
	assert_int_equal(b.len, sizeof be_bytes);
	assert_memory_equal(b.data, be_bytes, sizeof be_bytes);
	/* Past SP_BUF_MAX: sticky, and later appends do nothing. */
	assert_int_equal(sp_buf_reserve(&b, SP_BUF_MAX), SP_ETOOBIG);
	assert_int_equal(sp_buf_append(&b, be_bytes, 1), SP_ETOOBIG);
	assert_int_equal(b.len, sizeof be_bytes);
	sp_buf_reset(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(sp_buf_append(&b, be_bytes, 2), 0);
	sp_buf_wipe(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* A buffer that never held anything wipes too. */
	sp_buf_wipe(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_be),
		cmocka_unit_test(test_put_be),
		cmocka_unit_test(test_memzero),
		cmocka_unit_test(test_append_and_wipe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

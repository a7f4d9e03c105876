/*
 * test_batch.c - the (u32 big-endian length, record) batches simpuld passes
 * between its queues: the bytes, a round trip, and the refusals.
 */
#include "sp_test.h"

#include <string.h>

#include "batch.h"
#include "record.h"
#include "sp_err.h"

static void
test_bytes(void **state)
{
	static const uint8_t want[] = { 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 0 };
	sp_buf b;
	size_t at;

	(void)state;
	sp_buf_init(&b);
	sp_batch_append(&b, (const uint8_t *)"abc", 3);
	at = sp_batch_open(&b);
	sp_batch_close(&b, at);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	sp_buf_free(&b);
}

static void
test_round_trip(void **state)
{
	uint8_t big[SP_RECORD_MAX];
	const uint8_t *p, *rec;
	size_t left, len, at;
	sp_buf b;

	(void)state;
	memset(big, 0x5a, sizeof(big));
	sp_buf_init(&b);
	sp_batch_append(&b, big, sizeof(big));
	at = sp_batch_open(&b);
	sp_buf_append(&b, (const uint8_t *)"written in place", 16);
	sp_batch_close(&b, at);
	p = b.data;
	left = b.len;
	assert_int_equal(sp_batch_next(&p, &left, &rec, &len), 0);
	assert_int_equal(len, sizeof(big));
	assert_memory_equal(rec, big, len);
	assert_int_equal(sp_batch_next(&p, &left, &rec, &len), 0);
	assert_int_equal(len, 16);
	assert_memory_equal(rec, "written in place", 16);
	assert_int_equal(left, 0);
	assert_int_equal(sp_batch_next(&p, &left, &rec, &len), SP_ETRUNCATED);
	sp_buf_free(&b);
}

static void
test_refusals(void **state)
{
	static const uint8_t short_len[] = { 0, 0, 1 };
	static const uint8_t past_end[] = { 0, 0, 0, 5, 'a', 'b' };
	uint8_t over[4 + SP_RECORD_MAX + 1];
	const uint8_t *p, *rec;
	size_t left, len;

	(void)state;
	p = short_len;
	left = sizeof(short_len);
	assert_int_equal(sp_batch_next(&p, &left, &rec, &len), SP_ETRUNCATED);
	p = past_end;
	left = sizeof(past_end);
	assert_int_equal(sp_batch_next(&p, &left, &rec, &len), SP_ETRUNCATED);
	/* Nothing moved on a refusal. */
	assert_ptr_equal(p, past_end);
	assert_int_equal(left, sizeof(past_end));
	memset(over, 0, sizeof(over));
	sp_put_be32(over, SP_RECORD_MAX + 1);
	p = over;
	left = sizeof(over);
	assert_int_equal(sp_batch_next(&p, &left, &rec, &len), SP_ETRUNCATED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

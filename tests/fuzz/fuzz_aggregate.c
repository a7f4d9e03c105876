/*
 * fuzz_aggregate.c - the aggregate decoder (proto/aggregate.c) on
 * arbitrary bytes: what decodes passes the rules and encodes back to the
 * same bytes; and the builder, given it twice as a lower aggregate,
 * finishes (an input left out or not) with an aggregate that encodes or
 * is too big, the same bytes each time.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "fuzz.h"
#include "sp_err.h"

/* The aggregate of two copies of the decoded body, encoded into out. */
static int
aggregate_twice(const uint8_t *body, size_t len, const sp_aggregate *a, sp_buf *out)
{
	static const uint8_t ids[2][SP_ID_BYTES] = { { 1 }, { 2 } };
	sp_aggregate_builder *b;
	sp_aggregate *lower, *sum;
	size_t i;
	int r;

	CHECK(sp_aggregate_start(sp_aggregate_name(a), sp_aggregate_period(a), ids[0], &b) == 0);
	for (i = 0; i < 2; i++) {
		CHECK(sp_aggregate_decode(body, len, &lower) == 0);
		CHECK(sp_aggregate_add_aggregate(b, ids[i], lower) == 0);
	}
	CHECK(sp_aggregate_finish(b, NULL, NULL, &sum) == 0);
	r = sp_aggregate_encode(sum, out);
	CHECK(r == 0 || r == SP_ETOOBIG);
	sp_aggregate_free(sum);
	sp_aggregate_builder_free(b);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so any read past the end is caught. */
	uint8_t *copy = malloc(size > 0 ? size : 1);
	sp_aggregate *a;
	sp_buf out, again;

	CHECK(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	if (sp_aggregate_decode(copy, size, &a) == 0) {
		sp_buf_init(&out);
		CHECK(sp_aggregate_encode(a, &out) == 0);
		CHECK(out.len == size && memcmp(out.data, copy, size) == 0);
		sp_buf_reset(&out);
		sp_buf_init(&again);
		CHECK(aggregate_twice(copy, size, a, &out) == aggregate_twice(copy, size, a, &again));
		CHECK(out.len == again.len && memcmp(out.data, again.data, out.len) == 0);
		sp_buf_free(&again);
		sp_buf_free(&out);
		sp_aggregate_free(a);
	}
	free(copy);
	return 0;
}

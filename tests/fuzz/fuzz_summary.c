/*
 * fuzz_summary.c - the published summary decoder (proto/summary.c) on
 * arbitrary bytes: what decodes passes the publication rules and encodes
 * back to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sp_err.h"
#include "summary.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so any read past the end is caught. */
	uint8_t *copy = malloc(size > 0 ? size : 1);
	sp_summary *s;
	sp_buf out;

	CHECK(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	if (sp_summary_decode(copy, size, &s) == 0) {
		CHECK(sp_summary_check(s) == 0);
		sp_buf_init(&out);
		CHECK(sp_summary_encode(s, &out) == 0);
		CHECK(out.len == size && memcmp(out.data, copy, size) == 0);
		sp_buf_free(&out);
		sp_summary_free(s);
	}
	free(copy);
	return 0;
}

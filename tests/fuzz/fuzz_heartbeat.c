/*
 * fuzz_heartbeat.c - the heartbeat decoder (proto/heartbeat.c) on
 * arbitrary bytes: what decodes passes the rules and encodes back to the
 * same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "heartbeat.h"
#include "sp_err.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so any read past the end is caught. */
	uint8_t *copy = malloc(size > 0 ? size : 1);
	sp_heartbeat *hb = malloc(sizeof(*hb));
	sp_buf out;

	CHECK(copy != NULL && hb != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	if (sp_heartbeat_decode(copy, size, hb) == 0) {
		CHECK(sp_heartbeat_check(hb) == 0);
		sp_buf_init(&out);
		CHECK(sp_heartbeat_encode(hb, &out) == 0);
		CHECK(out.len == size && memcmp(out.data, copy, size) == 0);
		sp_buf_free(&out);
	}
	free(hb);
	free(copy);
	return 0;
}

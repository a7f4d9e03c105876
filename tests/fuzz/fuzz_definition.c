/*
 * fuzz_definition.c - the summary definition and consent decoders
 * (proto/definition.c) on arbitrary bytes: what decodes is within every
 * limit and encodes back to the same bytes (one encoding per value).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "definition.h"
#include "fuzz.h"
#include "sp_err.h"

static void
definition_round_trip(const uint8_t *data, size_t size)
{
	sp_definition *d = malloc(sizeof(*d));
	sp_buf out;

	CHECK(d != NULL);
	if (sp_definition_decode(data, size, d) == 0) {
		CHECK(sp_definition_check(d) == 0);
		sp_buf_init(&out);
		CHECK(sp_definition_encode(d, &out) == 0);
		CHECK(out.len == size && memcmp(out.data, data, size) == 0);
		sp_buf_free(&out);
	}
	free(d);
}

static void
consent_round_trip(const uint8_t *data, size_t size)
{
	sp_consent c;
	sp_buf out;

	if (sp_consent_decode(data, size, &c) != 0)
		return;
	sp_buf_init(&out);
	CHECK(sp_consent_encode(&c, &out) == 0);
	CHECK(out.len == size && memcmp(out.data, data, size) == 0);
	sp_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so any read past the end is caught. */
	uint8_t *copy = malloc(size > 0 ? size : 1);

	CHECK(copy != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	definition_round_trip(copy, size);
	consent_round_trip(copy, size);
	free(copy);
	return 0;
}

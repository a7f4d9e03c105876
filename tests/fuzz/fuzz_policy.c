/*
 * fuzz_policy.c - the stored peer policy decoder on arbitrary bytes (what
 * decodes must encode back to the same bytes), and the same bytes as a
 * string through the SPEC and address parsers (what parses must format
 * and parse back to the same spec).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"
#include "sp_err.h"

static void
policy_round_trip(const uint8_t *data, size_t size)
{
	sp_peer_policy p;
	sp_buf out;

	if (sp_policy_decode(data, size, &p) != 0)
		return;
	CHECK(p.noffers <= SP_POLICY_MAX_SPECS && p.nwants <= SP_POLICY_MAX_SPECS);
	sp_buf_init(&out);
	CHECK(sp_policy_encode(&p, &out) == 0);
	CHECK(out.len == size && memcmp(out.data, data, size) == 0);
	sp_buf_free(&out);
}

static void
spec_round_trip(const char *s)
{
	char text[2 * SP_COLLECTION_MAX + 64];
	sp_spec spec, again;

	if (sp_spec_parse(s, &spec) != 0)
		return;
	CHECK(spec.labels != 0 && spec.labels < 16);
	CHECK(sp_spec_format(text, sizeof text, spec.community, spec.collection,
	    spec.labels) == 0);
	CHECK(sp_spec_parse(text, &again) == 0);
	CHECK(memcmp(&spec, &again, sizeof spec) == 0);
}

static void
address_parse(const char *s)
{
	char host[SP_ADDRESS_MAX + 1];
	uint16_t port;

	if (sp_address_parse(s, host, sizeof host, &port) == 0)
		CHECK(host[0] != '\0' && port != 0 && strlen(host) <= 253);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copies, so any read past the end is caught. */
	uint8_t *copy = malloc(size > 0 ? size : 1);
	char *s = malloc(size + 1);

	CHECK(copy != NULL && s != NULL);
	if (size > 0)
		memcpy(copy, data, size);
	policy_round_trip(copy, size);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	spec_round_trip(s);
	address_parse(s);
	free(s);
	free(copy);
	return 0;
}

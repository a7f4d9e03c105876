/*
 * fuzz_record.c - sp_record_decode and sp_record_verify on arbitrary bytes.
 *
 * Whatever decodes must be canonical: encoding the decoded record again
 * gives back exactly the input. Decoding must also agree with itself
 * (sp_record_open fails unless decode succeeds, and a decoded body passes
 * sp_body_validate).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "body.h"
#include "buf.h"
#include "crypto.h"
#include "record.h"
#include "sp_err.h"

/* A fixed clock: records up to ten minutes past it are not "future". */
#define NOW_MS UINT64_C(1700000000000)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	uint8_t id[SP_ID_BYTES];
	sp_record rec, opened;
	sp_buf out;
	int rc, vrc;

	if (!initialised) {
		CHECK(sp_crypto_init() == 0);
		initialised = 1;
	}
	rc = sp_record_decode(data, size, &rec);
	if (rc != 0) {
		CHECK(rc < 0);
		CHECK(sp_record_open(data, size, NOW_MS, &opened, id) == rc);
		return 0;
	}
	CHECK(rec.body >= data && rec.body + rec.body_len <= data + size);
	CHECK(sp_body_validate(rec.body, rec.body_len) == 0);
	CHECK(rec.signed_len + 2 + SP_SIG_BYTES == size);
	CHECK(size <= SP_RECORD_MAX);

	sp_buf_init(&out);
	CHECK(sp_record_encode(&rec, &out) == 0);
	CHECK(out.len == size && memcmp(out.data, data, size) == 0);
	sp_buf_free(&out);

	vrc = sp_record_verify(data, size, &rec);
	CHECK(vrc == 0 || vrc == SP_ESIG);
	rc = sp_record_open(data, size, NOW_MS, &opened, id);
	if (vrc != 0)
		CHECK(rc == vrc);
	else
		CHECK(rc == sp_record_check_time(&rec, NOW_MS));
	return 0;
}

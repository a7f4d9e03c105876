/*
 * fuzz_body.c - sp_body_validate and sp_read_value on arbitrary bytes.
 *
 * A value the reader accepts is copied item by item through the packer
 * (msgpack-c); the copy must be byte-identical, which holds only if the
 * reader accepts exactly the shortest forms the packer writes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "body.h"
#include "buf.h"
#include "pack.h"
#include "reader.h"
#include "record.h"
#include "sp_err.h"

/*
 * Re-packs one value that sp_read_value accepted: every typed read must
 * succeed on it. Recursion is bounded by the depth already checked.
 */
static void
copy(sp_reader *r, sp_buf *out)
{
	const char *s;
	const uint8_t *p;
	size_t len;
	uint64_t u;
	int64_t i;
	double d;
	bool b;
	uint32_t n, k;

	switch (sp_reader_peek(r)) {
	case SP_MP_NIL:
		CHECK(sp_read_nil(r) == 0);
		sp_pack_nil(out);
		break;
	case SP_MP_BOOL:
		CHECK(sp_read_bool(r, &b) == 0);
		sp_pack_bool(out, b);
		break;
	case SP_MP_UINT:
		CHECK(sp_read_uint(r, &u) == 0);
		sp_pack_uint(out, u);
		break;
	case SP_MP_INT:
		CHECK(sp_read_int(r, &i) == 0);
		CHECK(i < 0);
		sp_pack_int(out, i);
		break;
	case SP_MP_FLOAT:
		CHECK(sp_read_double(r, &d) == 0);
		sp_pack_double(out, d);
		break;
	case SP_MP_STR:
		CHECK(sp_read_str(r, &s, &len) == 0);
		sp_pack_str(out, s, len);
		break;
	case SP_MP_BIN:
		CHECK(sp_read_bin(r, &p, &len) == 0);
		sp_pack_bin(out, p, len);
		break;
	case SP_MP_ARRAY:
		CHECK(sp_read_array(r, &n) == 0);
		sp_pack_array(out, n);
		for (k = 0; k < n; k++)
			copy(r, out);
		break;
	case SP_MP_MAP:
		CHECK(sp_read_map(r, &n) == 0);
		sp_pack_map(out, n);
		for (k = 0; k < 2 * n; k++)
			copy(r, out);
		break;
	case SP_MP_INVALID:
		CHECK(!"accepted value with an invalid byte");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *val;
	size_t val_len, used, key_len;
	const char *key;
	uint32_t n;
	sp_reader r;
	sp_buf out;
	int vrc, rc;

	vrc = sp_body_validate(data, size);
	CHECK(vrc <= 0);

	/* Any value, not only maps; what follows it is not our concern. */
	sp_reader_init(&r, data, size);
	rc = sp_read_value(&r, SP_MAX_DEPTH);
	if (vrc == 0)
		CHECK(rc == 0 && r.left == 0);
	if (rc != 0)
		return 0;
	used = sp_reader_offset(&r, data);
	CHECK(used >= 1 && used <= size);

	sp_buf_init(&out);
	sp_reader_init(&r, data, used);
	copy(&r, &out);
	CHECK(r.left == 0);
	CHECK(out.err == 0);
	CHECK(out.len == used && memcmp(out.data, data, used) == 0);
	sp_buf_free(&out);

	if (vrc == 0) {
		/* The first key, when there is one, is found right after itself. */
		sp_reader_init(&r, data, size);
		CHECK(sp_read_map(&r, &n) == 0);
		if (n == 0)
			return 0;
		CHECK(sp_read_str(&r, &key, &key_len) == 0);
		CHECK(sp_body_get(data, size, key, key_len, &val, &val_len) == 0);
		CHECK(val == r.p && val + val_len <= data + size);
	}
	return 0;
}

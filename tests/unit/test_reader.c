/*
 * test_reader.c - the bounded canonical msgpack reader: every canonical
 * rule is broken once in a table and must be refused with its own code.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reader.h"
#include "sp_err.h"

struct vector {
	const char *hex;
	int want; /* 0 = accepted as one whole value */
	const char *why;
};

/* One whole value, then nothing: what sp_read_value + sp_reader_end say. */
static int
read_whole(const uint8_t *p, size_t len, unsigned depth)
{
	sp_reader r;
	int rc;

	sp_reader_init(&r, p, len);
	if ((rc = sp_read_value(&r, depth)) != 0)
		return rc;
	return sp_reader_end(&r);
}

static void
check_vectors(const struct vector *v, size_t n)
{
	size_t i, len;
	uint8_t *p;
	int rc, bad = 0;

	for (i = 0; i < n; i++) {
		p = sp_test_unhex(v[i].hex, &len);
		assert_non_null(p);
		rc = read_whole(p, len, SP_MAX_DEPTH);
		if (rc != v[i].want) {
			print_error("%s (%s): got %s, want %s\n", v[i].hex,
			    v[i].why, sp_errname(rc), sp_errname(v[i].want));
			bad++;
		}
		free(p);
	}
	assert_int_equal(bad, 0);
}

static const struct vector valid[] = {
	{ "00", 0, "positive fixint 0" },
	{ "7f", 0, "positive fixint 127" },
	{ "cc80", 0, "uint8 128" },
	{ "ccff", 0, "uint8 255" },
	{ "cd0100", 0, "uint16 256" },
	{ "ce00010000", 0, "uint32 65536" },
	{ "cf0000000100000000", 0, "uint64 2^32" },
	{ "cf7fffffffffffffff", 0, "uint64 INT64_MAX" },
	{ "ff", 0, "negative fixint -1" },
	{ "e0", 0, "negative fixint -32" },
	{ "d0df", 0, "int8 -33" },
	{ "d080", 0, "int8 -128" },
	{ "d1ff7f", 0, "int16 -129" },
	{ "d18000", 0, "int16 -32768" },
	{ "d2ffff7fff", 0, "int32 -32769" },
	{ "d280000000", 0, "int32 INT32_MIN" },
	{ "d3ffffffff7fffffff", 0, "int64 -2^31-1" },
	{ "d38000000000000000", 0, "int64 INT64_MIN" },
	{ "c0", 0, "nil" },
	{ "c2", 0, "false" },
	{ "c3", 0, "true" },
	{ "cb3ff0000000000000", 0, "float64 1.0" },
	{ "cb8000000000000000", 0, "float64 -0.0" },
	{ "a0", 0, "empty fixstr" },
	{ "a3e282ac", 0, "fixstr euro sign" },
	{ "a4f09f9880", 0, "fixstr 4-byte UTF-8" },
	{ "a4f48fbfbf", 0, "fixstr U+10FFFF" },
	{ "c400", 0, "empty bin8" },
	{ "c401ff", 0, "bin8" },
	{ "90", 0, "empty array" },
	{ "80", 0, "empty map" },
	{ "9300c0a0", 0, "array of scalars" },
	{ "82a16100a16200", 0, "sorted map" },
	{ "82a16100a2616100", 0, "shorter prefix sorts first" },
	{ "82a0c0a100c0", 0, "empty key first, NUL key" },
	{ "dc0010" "00000000000000000000000000000000", 0, "array16 of 16" },
};

static const struct vector invalid[] = {
	/* integers not in their shortest form */
	{ "cc00", SP_ENONCANON_INT, "uint8 0 is a fixint" },
	{ "cc7f", SP_ENONCANON_INT, "uint8 127 is a fixint" },
	{ "cd00ff", SP_ENONCANON_INT, "uint16 255" },
	{ "ce0000ffff", SP_ENONCANON_INT, "uint32 65535" },
	{ "cf00000000ffffffff", SP_ENONCANON_INT, "uint64 2^32-1" },
	{ "d000", SP_ENONCANON_INT, "int8 0 (unsigned family)" },
	{ "d07f", SP_ENONCANON_INT, "int8 127 (unsigned family)" },
	{ "d0ff", SP_ENONCANON_INT, "int8 -1 is a fixint" },
	{ "d0e0", SP_ENONCANON_INT, "int8 -32 is a fixint" },
	{ "d1ff80", SP_ENONCANON_INT, "int16 -128" },
	{ "d10001", SP_ENONCANON_INT, "int16 1" },
	{ "d2ffff8000", SP_ENONCANON_INT, "int32 -32768" },
	{ "d27fffffff", SP_ENONCANON_INT, "int32 INT32_MAX" },
	{ "d3ffffffff80000000", SP_ENONCANON_INT, "int64 INT32_MIN" },
	{ "d30000000000000000", SP_ENONCANON_INT, "int64 0" },
	{ "cf8000000000000000", SP_EINTRANGE, "uint64 INT64_MAX+1" },
	{ "cfffffffffffffffff", SP_EINTRANGE, "uint64 max" },
	/* length headers not in their shortest form */
	{ "d90161", SP_ENONCANON_LEN, "str8 of 1" },
	{ "d91f" "61616161616161616161616161616161616161616161616161616161616161",
	  SP_ENONCANON_LEN, "str8 of 31" },
	{ "da000161", SP_ENONCANON_LEN, "str16 of 1" },
	{ "db0000000161", SP_ENONCANON_LEN, "str32 of 1" },
	{ "c5000101", SP_ENONCANON_LEN, "bin16 of 1" },
	{ "c60000000101", SP_ENONCANON_LEN, "bin32 of 1" },
	{ "dc000100", SP_ENONCANON_LEN, "array16 of 1" },
	{ "dc000f" "000000000000000000000000000000", SP_ENONCANON_LEN,
	  "array16 of 15" },
	{ "dd0000000100", SP_ENONCANON_LEN, "array32 of 1" },
	{ "de0001a16100", SP_ENONCANON_LEN, "map16 of 1" },
	{ "df00000001a16100", SP_ENONCANON_LEN, "map32 of 1" },
	/* strings that are not UTF-8 */
	{ "a1ff", SP_EUTF8, "0xff" },
	{ "a180", SP_EUTF8, "lone continuation byte" },
	{ "a2c0af", SP_EUTF8, "overlong 2-byte" },
	{ "a3e080af", SP_EUTF8, "overlong 3-byte" },
	{ "a4f08080af", SP_EUTF8, "overlong 4-byte" },
	{ "a3eda080", SP_EUTF8, "surrogate U+D800" },
	{ "a4f4908080", SP_EUTF8, "above U+10FFFF" },
	{ "a2e282", SP_EUTF8, "sequence cut short" },
	{ "a3e26161", SP_EUTF8, "bad continuation" },
	/* floats, reserved byte, extension types */
	{ "ca3f800000", SP_EFLOAT32, "float32" },
	{ "cb7ff8000000000000", SP_ENAN, "NaN" },
	{ "cb7ff0000000000000", SP_ENAN, "+inf" },
	{ "cbfff0000000000000", SP_ENAN, "-inf" },
	{ "c1", SP_ERESERVED_BYTE, "0xc1" },
	{ "c70100ff", SP_EEXT, "ext8" },
	{ "c8000100ff", SP_EEXT, "ext16" },
	{ "c90000000100ff", SP_EEXT, "ext32" },
	{ "d40100", SP_EEXT, "fixext1" },
	{ "d801" "00000000000000000000000000000000", SP_EEXT, "fixext16" },
	/* map keys */
	{ "82a16200a16100", SP_EKEYORDER, "keys not sorted" },
	{ "82a2616100a16100", SP_EKEYORDER, "longer key before its prefix" },
	{ "82a16100a16100", SP_EDUPKEY, "duplicate key" },
	{ "810000", SP_EKEYTYPE, "integer key" },
	{ "81c4016100", SP_EKEYTYPE, "binary key" },
	{ "81c000", SP_EKEYTYPE, "nil key" },
	{ "8190a100", SP_EKEYTYPE, "array key" },
	{ "91810000", SP_EKEYTYPE, "integer key in a nested map" },
	{ "91c1", SP_ERESERVED_BYTE, "0xc1 inside an array" },
	/* sizes beyond the input (10-byte inputs) */
	{ "dbffffffff6161616161", SP_ETRUNCATED, "str32 of 0xffffffff" },
	{ "c6ffffffff0000000000", SP_ETRUNCATED, "bin32 of 0xffffffff" },
	{ "ddffffffff0000000000", SP_ECOUNT, "array32 of 0xffffffff" },
	{ "dfffffffff0000000000", SP_ECOUNT, "map32 of 0xffffffff" },
	{ "dcffff00000000000000", SP_ECOUNT, "array16 of 0xffff" },
	{ "deffff00000000000000", SP_ECOUNT, "map16 of 0xffff" },
	{ "dd00000001", SP_ECOUNT, "count checked before shortest form" },
	{ "9200", SP_ECOUNT, "fixarray of 2 with 1 byte" },
	{ "82a16100", SP_ECOUNT, "fixmap of 2 with 3 bytes" },
	{ "81a1", SP_ECOUNT, "fixmap of 1 with 1 byte" },
	{ "81a161", SP_ETRUNCATED, "map value missing" },
	{ "a261", SP_ETRUNCATED, "fixstr cut short" },
	{ "", SP_ETRUNCATED, "empty input" },
	{ "cd00", SP_ETRUNCATED, "uint16 cut short" },
	{ "cb3ff00000", SP_ETRUNCATED, "float64 cut short" },
	{ "d9", SP_ETRUNCATED, "str8 header cut short" },
	/* a single value only */
	{ "0000", SP_ETRAILING, "trailing byte" },
	{ "80c0", SP_ETRAILING, "trailing nil after a map" },
};

static void
test_valid(void **state)
{
	(void)state;
	check_vectors(valid, sizeof(valid) / sizeof(valid[0]));
}

static void
test_invalid(void **state)
{
	(void)state;
	check_vectors(invalid, sizeof(invalid) / sizeof(invalid[0]));
}

/* levels maps, each {"a": ...}, around a 0: 2 * levels + 1 bytes. */
static size_t
nested_maps(uint8_t *buf, unsigned levels)
{
	unsigned i;
	size_t n = 0;

	for (i = 0; i < levels; i++) {
		buf[n++] = 0x81;
		buf[n++] = 0xa0;
	}
	buf[n++] = 0x00;
	return n;
}

static void
test_depth(void **state)
{
	uint8_t buf[64];
	size_t n;
	unsigned i;

	(void)state;
	n = nested_maps(buf, SP_MAX_DEPTH);
	assert_int_equal(read_whole(buf, n, SP_MAX_DEPTH), 0);
	n = nested_maps(buf, SP_MAX_DEPTH + 1);
	assert_int_equal(read_whole(buf, n, SP_MAX_DEPTH), SP_EDEPTH);

	/* Arrays count like maps. */
	n = 0;
	for (i = 0; i < SP_MAX_DEPTH + 1; i++)
		buf[n++] = 0x91;
	buf[n++] = 0xc0;
	assert_int_equal(read_whole(buf, n, SP_MAX_DEPTH), SP_EDEPTH);
	assert_int_equal(read_whole(buf + 1, n - 1, SP_MAX_DEPTH), 0);

	/* Depth 1 admits a map of scalars only; depth 0 scalars only. */
	assert_int_equal(read_whole((const uint8_t *)"\x81\xa0\x00", 3, 1), 0);
	assert_int_equal(read_whole((const uint8_t *)"\x81\xa0\x90", 3, 1),
	    SP_EDEPTH);
	assert_int_equal(read_whole((const uint8_t *)"\x90", 1, 0), SP_EDEPTH);
	assert_int_equal(read_whole((const uint8_t *)"\x05", 1, 0), 0);
}

/* Long forms at their boundaries are built rather than spelled in hex. */
static void
test_long_forms(void **state)
{
	uint8_t *buf = calloc(1, 70000 + 8);
	size_t i;

	(void)state;
	assert_non_null(buf);
	/* str8 of 32: shortest. */
	buf[0] = 0xd9;
	buf[1] = 32;
	memset(buf + 2, 'a', 32);
	assert_int_equal(read_whole(buf, 34, 1), 0);
	/* str16 of 255: str8 would do. */
	buf[0] = 0xda;
	buf[1] = 0;
	buf[2] = 255;
	memset(buf + 3, 'a', 255);
	assert_int_equal(read_whole(buf, 258, 1), SP_ENONCANON_LEN);
	/* str16 of 256: shortest. */
	buf[1] = 1;
	buf[2] = 0;
	memset(buf + 3, 'a', 256);
	assert_int_equal(read_whole(buf, 259, 1), 0);
	/* str32 of 65535: str16 would do; of 65536: shortest. */
	buf[0] = 0xdb;
	buf[1] = 0;
	buf[2] = 0;
	buf[3] = 0xff;
	buf[4] = 0xff;
	memset(buf + 5, 'a', 65536);
	assert_int_equal(read_whole(buf, 5 + 65535, 1), SP_ENONCANON_LEN);
	buf[2] = 1;
	buf[3] = 0;
	buf[4] = 0;
	assert_int_equal(read_whole(buf, 5 + 65536, 1), 0);
	/* bin16 of 255 / 256, bin32 of 65535. */
	buf[0] = 0xc5;
	buf[1] = 0;
	buf[2] = 255;
	assert_int_equal(read_whole(buf, 258, 1), SP_ENONCANON_LEN);
	buf[1] = 1;
	buf[2] = 0;
	assert_int_equal(read_whole(buf, 259, 1), 0);
	buf[0] = 0xc6;
	buf[1] = 0;
	buf[2] = 0;
	buf[3] = 0xff;
	buf[4] = 0xff;
	assert_int_equal(read_whole(buf, 5 + 65535, 1), SP_ENONCANON_LEN);
	/* array32 of 65535 nils: array16 would do; of 65536: shortest. */
	buf[0] = 0xdd;
	for (i = 5; i < 5 + 65536; i++)
		buf[i] = 0xc0;
	assert_int_equal(read_whole(buf, 5 + 65535, 1), SP_ENONCANON_LEN);
	buf[2] = 1;
	buf[3] = 0;
	buf[4] = 0;
	assert_int_equal(read_whole(buf, 5 + 65536, 1), 0);
	free(buf);
}

static void
test_typed_reads(void **state)
{
	static const uint8_t in[] = {
		0xff, 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0, 0xc3, 0xa2, 'h', 'i',
		0xc4, 0x01, 0x07, 0x92, 0xcb, 0x40, 0x09, 0x21, 0xfb, 0x54,
		0x44, 0x2d, 0x18, 0x2a, 0x80
	};
	sp_reader r;
	uint64_t u;
	int64_t i;
	bool b;
	const char *s;
	const uint8_t *p;
	size_t len;
	uint32_t n;
	double d;

	(void)state;
	sp_reader_init(&r, in, sizeof(in));
	assert_int_equal(sp_reader_peek(&r), SP_MP_INT);
	/* A wrong type leaves the reader in place. */
	u = 99;
	assert_int_equal(sp_read_uint(&r, &u), SP_ETYPE);
	assert_int_equal(u, 0);
	assert_int_equal(sp_reader_offset(&r, in), 0);
	assert_int_equal(sp_read_int(&r, &i), 0);
	assert_int_equal(i, -1);
	assert_int_equal(sp_reader_peek(&r), SP_MP_UINT);
	assert_int_equal(sp_read_int(&r, &i), SP_EINTRANGE);
	assert_int_equal(sp_read_uint(&r, &u), 0);
	assert_true(u == UINT64_C(0x8000000000000000));
	assert_int_equal(sp_read_nil(&r), SP_ETYPE);
	assert_int_equal(sp_read_bool(&r, &b), 0);
	assert_true(b);
	assert_int_equal(sp_read_bin(&r, &p, &len), SP_ETYPE);
	assert_int_equal(sp_read_str(&r, &s, &len), 0);
	assert_int_equal(len, 2);
	assert_memory_equal(s, "hi", 2);
	assert_int_equal(sp_reader_peek(&r), SP_MP_BIN);
	assert_int_equal(sp_read_bin(&r, &p, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(p[0], 7);
	assert_int_equal(sp_read_map(&r, &n), SP_ETYPE);
	assert_int_equal(sp_read_array(&r, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(sp_read_double(&r, &d), 0);
	assert_true(d > 3.14159 && d < 3.1416);
	assert_int_equal(sp_read_int(&r, &i), 0);
	assert_int_equal(i, 42);
	assert_int_equal(sp_reader_end(&r), SP_ETRAILING);
	assert_int_equal(sp_read_map(&r, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sp_reader_end(&r), 0);
	assert_int_equal(sp_reader_peek(&r), SP_MP_INVALID);
	assert_int_equal(sp_read_nil(&r), SP_ETRUNCATED);
}

static void
test_peek(void **state)
{
	static const struct {
		uint8_t tag;
		enum sp_mp_type type;
	} t[] = {
		{ 0x00, SP_MP_UINT }, { 0xcf, SP_MP_UINT }, { 0xe0, SP_MP_INT },
		{ 0xd3, SP_MP_INT }, { 0x80, SP_MP_MAP }, { 0xdf, SP_MP_MAP },
		{ 0x9f, SP_MP_ARRAY }, { 0xdc, SP_MP_ARRAY },
		{ 0xa0, SP_MP_STR }, { 0xdb, SP_MP_STR }, { 0xc0, SP_MP_NIL },
		{ 0xc2, SP_MP_BOOL }, { 0xc6, SP_MP_BIN },
		{ 0xca, SP_MP_FLOAT }, { 0xcb, SP_MP_FLOAT },
		{ 0xc1, SP_MP_INVALID }, { 0xc7, SP_MP_INVALID },
		{ 0xd8, SP_MP_INVALID },
	};
	sp_reader r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sp_reader_init(&r, &t[i].tag, 1);
		assert_int_equal(sp_reader_peek(&r), t[i].type);
	}
}

static void
test_key_cmp_utf8(void **state)
{
	(void)state;
	assert_true(sp_key_cmp("a", 1, "b", 1) < 0);
	assert_true(sp_key_cmp("b", 1, "a", 1) > 0);
	assert_true(sp_key_cmp("a", 1, "aa", 2) < 0);
	assert_true(sp_key_cmp("aa", 2, "a", 1) > 0);
	assert_true(sp_key_cmp("ab", 2, "ab", 2) == 0);
	assert_true(sp_key_cmp(NULL, 0, "a", 1) < 0);
	/* Bytewise, unsigned: U+00E9 (c3 a9) sorts after 'z'. */
	assert_true(sp_key_cmp("z", 1, "\xc3\xa9", 2) < 0);
	assert_true(sp_utf8_valid("", 0));
	assert_true(sp_utf8_valid("Siti Aminah", 11));
	assert_true(sp_utf8_valid("\xed\x9f\xbf", 3));  /* U+D7FF */
	assert_true(sp_utf8_valid("\xee\x80\x80", 3));  /* U+E000 */
	assert_false(sp_utf8_valid("\xed\xbf\xbf", 3)); /* U+DFFF */
	assert_false(sp_utf8_valid("\xf5\x80\x80\x80", 4));
	assert_false(sp_utf8_valid("\xc1\xbf", 2));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_long_forms),
		cmocka_unit_test(test_typed_reads),
		cmocka_unit_test(test_peek),
		cmocka_unit_test(test_key_cmp_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

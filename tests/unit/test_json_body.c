/*
 * test_json_body.c - JSON text <-> canonical record bodies.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "json_body.h"
#include "reader.h"
#include "record.h"
#include "sp_err.h"

static int
to_body(const char *text, sp_buf *out, char *err, size_t size)
{
	return sp_json_to_body(text, strlen(text), out, err, size);
}

/* JSON -> body -> JSON must give back an equal document. */
static void
assert_round_trip(const char *text)
{
	char err[256];
	sp_buf b;
	json_t *want, *got;
	json_error_t je;

	sp_buf_init(&b);
	assert_int_equal(to_body(text, &b, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(sp_body_validate(b.data, b.len), 0);
	assert_int_equal(sp_body_to_json(b.data, b.len, &got), 0);
	want = json_loads(text, 0, &je);
	assert_non_null(want);
	if (!json_equal(want, got)) {
		char *s = json_dumps(got, JSON_COMPACT);
		print_error("got %s\n", s);
		free(s);
		fail();
	}
	json_decref(want);
	json_decref(got);
	sp_buf_free(&b);
}

/* The body text converts to exactly the expected hex bytes. */
static void
assert_body_hex(const char *text, const char *hex)
{
	char err[256];
	sp_buf b;
	uint8_t *want;
	size_t want_len;

	sp_buf_init(&b);
	assert_int_equal(to_body(text, &b, err, sizeof(err)), 0);
	want = sp_test_unhex(hex, &want_len);
	assert_non_null(want);
	assert_int_equal(b.len, want_len);
	assert_memory_equal(b.data, want, want_len);
	free(want);
	sp_buf_free(&b);
}

/* Conversion fails with code, err contains needle, out is untouched. */
static void
assert_refused(const char *text, int code, const char *needle)
{
	char err[256];
	sp_buf b;

	sp_buf_init(&b);
	assert_int_equal(sp_buf_append(&b, "xyz", 3), 0);
	assert_int_equal(to_body(text, &b, err, sizeof(err)), code);
	if (strstr(err, needle) == NULL) {
		print_error("error '%s' does not contain '%s'\n", err, needle);
		fail();
	}
	assert_int_equal(b.len, 3);
	sp_buf_free(&b);
}

static void
test_round_trip_every_type(void **state)
{
	(void)state;
	assert_round_trip("{}");
	assert_round_trip("{\"s\": \"Siti Aminah \\u00fc \\u4e2d \\ud83d\\ude00\","
	    " \"empty\": \"\", \"i\": -42, \"zero\": 0, \"pos\": 127,"
	    " \"u8\": 255, \"i16\": -300, \"f\": 1.5, \"negf\": -0.25,"
	    " \"tiny\": 5e-324, \"t\": true, \"fa\": false, \"z\": null,"
	    " \"arr\": [1, \"x\", [2, {\"k\": null}], []],"
	    " \"obj\": {\"a\": {\"b\": {}}},"
	    " \"bin\": {\"$bin\": \"AAEC/w==\"}, \"nobin\": {\"$bin\": 5}}");
}

static void
test_keys_sorted(void **state)
{
	(void)state;
	/* {"a":2, "aa":3, "b":1}: shorter prefix first, then bytewise. */
	assert_body_hex("{\"b\":1,\"a\":2,\"aa\":3}",
	    "83" "a16102" "a2616103" "a16201");
	/* Bytewise, not by code point collation: "Z" < "a" < "\u00e9". */
	assert_body_hex("{\"\\u00e9\":1,\"a\":2,\"Z\":3}",
	    "83" "a15a03" "a16102" "a2c3a901");
	/* Nested objects are sorted too. */
	assert_body_hex("{\"o\":{\"y\":1,\"x\":2}}",
	    "81" "a16f" "82" "a17802" "a17901");
}

static void
test_integers_exact(void **state)
{
	char err[256];
	sp_buf b;
	json_t *j;

	(void)state;
	/* A 16-digit NIK-like number and the int64 bounds stay exact. */
	assert_body_hex("{\"nik\":3201234567890123}",
	    "81" "a36e696b" "cf000b5f81814304cb");
	assert_body_hex("{\"max\":9223372036854775807}",
	    "81" "a36d6178" "cf7fffffffffffffff");
	assert_body_hex("{\"min\":-9223372036854775808}",
	    "81" "a36d696e" "d38000000000000000");
	assert_body_hex("{\"n\":-33}", "81" "a16e" "d0df");

	sp_buf_init(&b);
	assert_int_equal(to_body("{\"v\":9223372036854775807,"
	    "\"w\":-9223372036854775808,\"x\":1234567890123456789}",
	    &b, err, sizeof(err)), 0);
	assert_int_equal(sp_body_to_json(b.data, b.len, &j), 0);
	assert_true(json_is_integer(json_object_get(j, "v")));
	assert_true(json_integer_value(json_object_get(j, "v")) == INT64_MAX);
	assert_true(json_integer_value(json_object_get(j, "w")) == INT64_MIN);
	assert_true(json_integer_value(json_object_get(j, "x")) ==
	    1234567890123456789LL);
	json_decref(j);
	sp_buf_free(&b);

	/* Outside int64: refused, never rounded to a real. */
	assert_refused("{\"v\":9223372036854775808}", SP_EJSON, "too big integer");
	assert_refused("{\"v\":-9223372036854775809}", SP_EJSON, "too big negative integer");
	/* A number with a fraction or exponent is a float64. */
	assert_body_hex("{\"f\":1e3}", "81" "a166" "cb408f400000000000");
}

static void
test_refused(void **state)
{
	(void)state;
	assert_refused("{\"a\":1,\"a\":2}", SP_EJSON, "duplicate object key");
	assert_refused("{\"o\":{\"k\":1,\"k\":2}}", SP_EJSON, "duplicate object key");
	assert_refused("{bad", SP_EJSON, "line 1, column ");
	assert_refused("{\"a\":1,\n\"b\":}", SP_EJSON, "line 2, column ");
	assert_refused("[1,2]", SP_EJSON, "the body must be a JSON object");
	assert_refused("42", SP_EJSON, "line 1");
	assert_refused("", SP_EJSON, "line 1");
	assert_refused("{} {}", SP_EJSON, "end of file expected");
	assert_refused("{\"a\":\"x\\u0000y\"}", SP_EJSON, "\\u0000");
	assert_refused("{\"a\":1e400}", SP_EJSON, "overflow");
	assert_refused("{\"a\":\"\xff\"}", SP_EJSON, "unable to decode byte 0xff");
	assert_refused("{\"x\":{\"$bin\":\"abc\"}}", SP_EJSON, "base64");
	assert_refused("{\"x\":{\"$bin\":\"YQ\"}}", SP_EJSON, "base64");
	assert_refused("{\"x\":{\"$bin\":\"Y Q==\"}}", SP_EJSON, "base64");
}

/* {"a":{"a":...{}}} with levels objects in all, the body being level 1. */
static char *
nested_objects(unsigned levels)
{
	char *s = malloc(levels * 6 + 1), *p = s;
	unsigned i;

	assert_non_null(s);
	for (i = 0; i < levels; i++)
		p += sprintf(p, i + 1 < levels ? "{\"a\":" : "{");
	for (i = 0; i < levels; i++)
		*p++ = '}';
	*p = '\0';
	return s;
}

static void
test_depth(void **state)
{
	char *s;

	(void)state;
	s = nested_objects(SP_MAX_DEPTH);
	assert_round_trip(s);
	free(s);
	s = nested_objects(SP_MAX_DEPTH + 1);
	assert_refused(s, SP_EDEPTH, "nesting deeper than 8 levels");
	free(s);
	/* Arrays count as levels too: the body plus 7 arrays is 8. */
	assert_round_trip("{\"a\":[[[[[[[1]]]]]]]}");
	assert_refused("{\"a\":[[[[[[[[1]]]]]]]]}", SP_EDEPTH, "8 levels");
	/* A binary value is a leaf, not a level. */
	assert_round_trip("{\"a\":[[[[[[[{\"$bin\":\"\"}]]]]]]]}");
}

static void
test_bin(void **state)
{
	char err[256];
	sp_buf b;
	json_t *j;
	char *text;

	(void)state;
	assert_body_hex("{\"x\":{\"$bin\":\"aGVsbG8=\"}}",
	    "81" "a178" "c40568656c6c6f");
	assert_body_hex("{\"x\":{\"$bin\":\"\"}}", "81" "a178" "c400");
	/* Not the $bin form: more than one key, or not a string. */
	assert_body_hex("{\"x\":{\"$bin\":\"\",\"y\":1}}",
	    "81" "a178" "82" "a42462696e" "a0" "a17901");
	assert_body_hex("{\"x\":{\"$bin\":null}}",
	    "81" "a178" "81" "a42462696e" "c0");

	/* Export writes bin as $bin, and the exported text imports back. */
	sp_buf_init(&b);
	assert_int_equal(to_body("{\"k\":{\"$bin\":\"AP8Q\"}}", &b, err,
	    sizeof(err)), 0);
	assert_int_equal(sp_body_to_json(b.data, b.len, &j), 0);
	text = json_dumps(j, JSON_COMPACT);
	assert_string_equal(text, "{\"k\":{\"$bin\":\"AP8Q\"}}");
	free(text);
	json_decref(j);
	sp_buf_free(&b);
}

static void
test_size_limit(void **state)
{
	/* {"s":"..."} is 1 + 2 + 3 (a str16 header) bytes around the text. */
	size_t fits = SP_BODY_MAX - 1 - 2 - 3, len;
	char *text, err[256];
	sp_buf b;

	(void)state;
	text = malloc(SP_BODY_MAX + 64);
	assert_non_null(text);
	len = (size_t)sprintf(text, "{\"s\":\"");
	memset(text + len, 'x', fits);
	strcpy(text + len + fits, "\"}");
	sp_buf_init(&b);
	assert_int_equal(to_body(text, &b, err, sizeof(err)), 0);
	assert_int_equal(b.len, SP_BODY_MAX);
	sp_buf_free(&b);

	memset(text + len, 'x', fits + 1);
	strcpy(text + len + fits + 1, "\"}");
	assert_refused(text, SP_EBODY_TOO_BIG, "60 KiB");
	free(text);

	/* Many small members add up past the limit too. */
	text = malloc(8 * 20000 + 16);
	assert_non_null(text);
	len = (size_t)sprintf(text, "{\"a\":[");
	for (unsigned i = 0; i < 20000; i++)
		len += (size_t)sprintf(text + len, "%s\"abc\"", i ? "," : "");
	strcpy(text + len, "]}");
	assert_refused(text, SP_EBODY_TOO_BIG, "60 KiB");
	free(text);

	/* A $bin too big for a body is refused before decoding it. */
	text = malloc(100000);
	assert_non_null(text);
	len = (size_t)sprintf(text, "{\"b\":{\"$bin\":\"");
	memset(text + len, 'A', 90000);
	strcpy(text + len + 90000, "\"}}");
	assert_refused(text, SP_EBODY_TOO_BIG, "60 KiB");
	free(text);
}

static void
test_obj_api(void **state)
{
	char err[256];
	sp_buf b;
	json_t *o, *back;
	static const uint8_t not_map[] = { 0x91, 0x01 };
	static const uint8_t trailing[] = { 0x80, 0x80 };

	(void)state;
	sp_buf_init(&b);
	o = json_pack("{s:i, s:[s, f]}", "members", 4, "list", "a", 2.5);
	assert_non_null(o);
	assert_int_equal(sp_json_obj_to_body(o, &b, err, sizeof(err)), 0);
	assert_int_equal(sp_body_to_json(b.data, b.len, &back), 0);
	assert_true(json_equal(o, back));
	json_decref(back);
	json_decref(o);

	o = json_array();
	assert_int_equal(sp_json_obj_to_body(o, &b, err, sizeof(err)), SP_EJSON);
	json_decref(o);
	/* err may be omitted. */
	o = json_string("x");
	assert_int_equal(sp_json_obj_to_body(o, &b, NULL, 0), SP_EJSON);
	json_decref(o);
	sp_buf_free(&b);

	assert_int_equal(sp_body_to_json(not_map, sizeof(not_map), &back),
	    SP_EBODY_TYPE);
	assert_null(back);
	assert_int_equal(sp_body_to_json(trailing, sizeof(trailing), &back),
	    SP_ETRAILING);
	assert_null(back);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_type),
		cmocka_unit_test(test_keys_sorted),
		cmocka_unit_test(test_integers_exact),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_bin),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_obj_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_charter.c - charter bodies: encoding, the decode rules, and
 * membership changes that keep the arrays sorted and an admin present.
 */
#include "sp_test.h"

#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "buf.h"
#include "charter.h"
#include "pack.h"
#include "sp_err.h"

/* A key whose every byte is b: keys sort by b. */
static void
key(uint8_t k[32], uint8_t b)
{
	memset(k, b, 32);
}

/* A key as bin8 of 32 bytes of b (two hex digits). */
#define K(b) "c420" b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b
#define ADMINS  "a661646d696e73"
#define WRITERS "a777726974657273"
/* {"admins": [K1], "writers": [K1, K2]} */
static const char charter_hex[] =
	"82" ADMINS "91" K("01")
	WRITERS "92" K("01") K("02");

static uint8_t *
unhex(const char *h, size_t *len)
{
	uint8_t *p = sp_test_unhex(h, len);

	assert_non_null(p);
	return p;
}

static void
test_known_encoding(void **state)
{
	sp_charter *c = sp_charter_new();
	uint8_t k1[32], k2[32], *want;
	size_t len;
	sp_buf out;

	(void)state;
	assert_non_null(c);
	key(k1, 1);
	key(k2, 2);
	/* Inserted out of order: the encoding is sorted anyway. */
	assert_int_equal(sp_charter_set(c, k2, false), 0);
	assert_int_equal(sp_charter_set(c, k1, true), 0);
	sp_buf_init(&out);
	assert_int_equal(sp_charter_encode(c, &out), 0);
	want = unhex(charter_hex, &len);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, want, len);
	/* A charter body is a valid record body. */
	assert_int_equal(sp_body_validate(out.data, out.len), 0);
	free(want);
	sp_buf_free(&out);
	sp_charter_free(c);
}

static void
test_round_trip(void **state)
{
	sp_charter *c = sp_charter_new(), *d;
	uint8_t k[32];
	bool admin;
	sp_buf a, b;
	size_t i;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < 40; i++) {
		key(k, (uint8_t)(i * 97 % 256));
		assert_int_equal(sp_charter_set(c, k, i % 7 == 0), 0);
	}
	assert_int_equal(sp_charter_count(c), 40);
	sp_buf_init(&a);
	sp_buf_init(&b);
	assert_int_equal(sp_charter_encode(c, &a), 0);
	assert_int_equal(sp_charter_decode(a.data, a.len, &d), 0);
	assert_int_equal(sp_charter_count(d), 40);
	assert_int_equal(sp_charter_encode(d, &b), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	for (i = 0; i < 40; i++) {
		key(k, (uint8_t)(i * 97 % 256));
		assert_true(sp_charter_is_writer(d, k));
		assert_int_equal(sp_charter_is_admin(d, k), i % 7 == 0);
	}
	/* Members come out in key order. */
	for (i = 0; i < sp_charter_count(d); i++) {
		uint8_t prev[32];

		memcpy(prev, k, 32);
		sp_charter_member(d, i, k, &admin);
		if (i > 0)
			assert_true(memcmp(prev, k, 32) < 0);
	}
	sp_buf_free(&a);
	sp_buf_free(&b);
	sp_charter_free(c);
	sp_charter_free(d);
}

static void
test_set_remove(void **state)
{
	sp_charter *c = sp_charter_new();
	uint8_t k1[32], k2[32], k3[32], k9[32], k[32];
	bool admin;

	(void)state;
	assert_non_null(c);
	key(k1, 1);
	key(k2, 2);
	key(k3, 3);
	key(k9, 9);
	assert_int_equal(sp_charter_set(c, k3, false), 0);
	assert_int_equal(sp_charter_set(c, k1, true), 0);
	assert_int_equal(sp_charter_set(c, k2, false), 0);
	assert_int_equal(sp_charter_count(c), 3);
	sp_charter_member(c, 0, k, &admin);
	assert_memory_equal(k, k1, 32);
	assert_true(admin);
	sp_charter_member(c, 2, k, &admin);
	assert_memory_equal(k, k3, 32);
	assert_false(admin);
	assert_false(sp_charter_is_writer(c, k9));
	assert_false(sp_charter_is_admin(c, k2));

	/* Setting again updates; the only admin cannot be demoted or removed. */
	assert_int_equal(sp_charter_set(c, k1, true), 0);
	assert_int_equal(sp_charter_count(c), 3);
	assert_int_equal(sp_charter_set(c, k1, false), SP_ELASTADMIN);
	assert_int_equal(sp_charter_remove(c, k1), SP_ELASTADMIN);
	assert_true(sp_charter_is_admin(c, k1));
	assert_int_equal(sp_charter_set(c, k2, true), 0);
	assert_int_equal(sp_charter_set(c, k1, false), 0);
	assert_false(sp_charter_is_admin(c, k1));
	assert_int_equal(sp_charter_remove(c, k2), SP_ELASTADMIN);

	/* Removing keeps the order of the rest. */
	assert_int_equal(sp_charter_remove(c, k9), SP_ENOTFOUND);
	assert_int_equal(sp_charter_remove(c, k1), 0);
	assert_int_equal(sp_charter_count(c), 2);
	assert_false(sp_charter_is_writer(c, k1));
	sp_charter_member(c, 0, k, &admin);
	assert_memory_equal(k, k2, 32);
	assert_true(admin);
	sp_charter_member(c, 1, k, &admin);
	assert_memory_equal(k, k3, 32);
	assert_int_equal(sp_charter_remove(c, k3), 0);
	assert_int_equal(sp_charter_count(c), 1);
	sp_charter_free(c);
}

static void
test_max(void **state)
{
	sp_charter *c = sp_charter_new(), *d;
	uint8_t k[32];
	sp_buf out;
	size_t i;

	(void)state;
	assert_non_null(c);
	memset(k, 0, sizeof(k));
	for (i = 0; i < SP_CHARTER_MAX; i++) {
		sp_put_be16(k, (uint16_t)i);
		assert_int_equal(sp_charter_set(c, k, i == 0), 0);
	}
	k[0] = 0xff;
	assert_int_equal(sp_charter_set(c, k, false), SP_ETOOBIG);
	assert_int_equal(sp_charter_count(c), SP_CHARTER_MAX);
	/* The largest charter still fits a body and decodes. */
	sp_buf_init(&out);
	assert_int_equal(sp_charter_encode(c, &out), 0);
	assert_int_equal(sp_body_validate(out.data, out.len), 0);
	assert_int_equal(sp_charter_decode(out.data, out.len, &d), 0);
	assert_int_equal(sp_charter_count(d), SP_CHARTER_MAX);
	sp_charter_free(d);

	/* One writer more than allowed, built by hand, is refused. */
	sp_buf_reset(&out);
	sp_pack_map(&out, 2);
	sp_pack_cstr(&out, "admins");
	sp_pack_array(&out, 0);
	sp_pack_cstr(&out, "writers");
	sp_pack_array(&out, SP_CHARTER_MAX + 1);
	memset(k, 0, sizeof(k));
	for (i = 0; i <= SP_CHARTER_MAX; i++) {
		sp_put_be16(k, (uint16_t)i);
		sp_pack_bin(&out, k, 32);
	}
	assert_int_equal(out.err, 0);
	assert_int_equal(sp_charter_decode(out.data, out.len, &d), SP_ECHARTER);
	assert_null(d);
	sp_buf_free(&out);
	sp_charter_free(c);
}

static void
test_decode_rules(void **state)
{
	static const struct {
		const char *hex;
		int want;
		const char *why;
	} t[] = {
		{ "82" ADMINS "90" WRITERS "90", 0,
		  "empty" },
		{ "82" ADMINS "90" WRITERS "91" K("05"), 0,
		  "no admin" },
		{ "81" ADMINS "90", SP_ECHARTER, "writers missing" },
		{ "83" ADMINS "90" WRITERS "90" "a178" "c0",
		  SP_ECHARTER, "extra key" },
		{ "82" WRITERS "90" ADMINS "90",
		  SP_ECHARTER, "keys in the wrong order" },
		{ "82" "a661646d696e" "90" WRITERS "90",
		  SP_ECHARTER, "misspelt key" },
		{ "82" ADMINS "91" K("01")
		  WRITERS "91" K("02"),
		  SP_ECHARTER, "admin not a writer" },
		{ "82" ADMINS "91" K("03")
		  WRITERS "92" K("01") K("02"),
		  SP_ECHARTER, "admin after every writer" },
		{ "82" ADMINS "90" WRITERS "92" K("02") K("01"),
		  SP_ECHARTER, "writers descending" },
		{ "82" ADMINS "90" WRITERS "92" K("01") K("01"),
		  SP_ECHARTER, "duplicate writer" },
		{ "82" ADMINS "92" K("01") K("01")
		  WRITERS "91" K("01"),
		  SP_ECHARTER, "duplicate admin" },
		{ "82" ADMINS "90" WRITERS "91"
		  "c41f0101010101010101010101010101010101010101010101010101010101010101",
		  SP_ECHARTER, "31-byte key" },
		{ "82" ADMINS "90" WRITERS "91" "a161",
		  SP_ECHARTER, "string key" },
		{ "82" ADMINS "c0" WRITERS "90",
		  SP_ECHARTER, "admins nil" },
		{ "82" ADMINS "90" WRITERS "90" "c0",
		  SP_ECHARTER, "trailing byte" },
		{ "82" ADMINS "90" WRITERS "dc0000",
		  SP_ECHARTER, "array16 of 0" },
		{ "82" ADMINS "90" WRITERS "ddffffffff",
		  SP_ECHARTER, "array32 of 0xffffffff" },
		{ "90", SP_ECHARTER, "not a map" },
		{ "", SP_ECHARTER, "empty input" },
	};
	sp_charter *c;
	uint8_t *p;
	size_t i, len;
	int rc, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = unhex(t[i].hex, &len);
		c = (sp_charter *)1;
		rc = sp_charter_decode(p, len, &c);
		if (rc != t[i].want) {
			print_error("%s: got %s, want %s\n", t[i].why,
			    sp_errname(rc), sp_errname(t[i].want));
			bad++;
		}
		assert_true(rc == 0 ? c != NULL : c == NULL);
		sp_charter_free(c);
		free(p);
	}
	assert_int_equal(bad, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_encoding),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_set_remove),
		cmocka_unit_test(test_max),
		cmocka_unit_test(test_decode_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

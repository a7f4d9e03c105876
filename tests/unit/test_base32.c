/*
 * test_base32.c - RFC 4648 base32 (lowercase, unpadded) known answers and
 * the decoder's refusals.
 */
#include "sp_test.h"

#include <string.h>

#include "base32.h"
#include "sp_err.h"

/* RFC 4648 section 10, lowercased and without padding. */
static const struct {
	const char *in;
	const char *out;
} rfc4648[] = {
	{ "", "" },
	{ "f", "my" },
	{ "fo", "mzxq" },
	{ "foo", "mzxw6" },
	{ "foob", "mzxw6yq" },
	{ "fooba", "mzxw6ytb" },
	{ "foobar", "mzxw6ytboi" },
};

static void
test_known_answers(void **state)
{
	char enc[32];
	uint8_t dec[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		n = strlen(rfc4648[i].in);
		assert_int_equal(strlen(rfc4648[i].out), SP_BASE32_LEN(n));
		sp_base32_encode(enc, (const uint8_t *)rfc4648[i].in, n);
		assert_string_equal(enc, rfc4648[i].out);
		memset(dec, 0xaa, sizeof(dec));
		assert_int_equal(sp_base32_decode(dec, n, rfc4648[i].out,
		    strlen(rfc4648[i].out)), 0);
		assert_memory_equal(dec, rfc4648[i].in, n);
	}
}

static void
test_id_round_trip(void **state)
{
	uint8_t id[32], back[32];
	char s[SP_ID_STR_LEN + 1];
	size_t i;

	(void)state;
	assert_int_equal(SP_ID_STR_LEN, 52);
	for (i = 0; i < sizeof(id); i++)
		id[i] = (uint8_t)(i * 37 + 11);
	sp_base32_encode(s, id, sizeof(id));
	assert_int_equal(strlen(s), 52);
	for (i = 0; i < 52; i++)
		assert_true((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '2' && s[i] <= '7'));
	assert_int_equal(sp_base32_decode(back, sizeof(back), s, 52), 0);
	assert_memory_equal(back, id, sizeof(id));

	/* All 0xff: 51 full groups, then one bit and four zero bits. */
	memset(id, 0xff, sizeof(id));
	sp_base32_encode(s, id, sizeof(id));
	assert_string_equal(s,
	    "777777777777777777777777777777777777777777777777777q");
	assert_int_equal(sp_base32_decode(back, sizeof(back), s, 52), 0);
	assert_memory_equal(back, id, sizeof(id));
}

static void
test_upper_case(void **state)
{
	uint8_t dec[6];

	(void)state;
	assert_int_equal(sp_base32_decode(dec, 6, "MZXW6YTBOI", 10), 0);
	assert_memory_equal(dec, "foobar", 6);
	assert_int_equal(sp_base32_decode(dec, 6, "mZxW6yTbOi", 10), 0);
	assert_memory_equal(dec, "foobar", 6);
}

static void
test_refusals(void **state)
{
	uint8_t dec[6];

	(void)state;
	/* Wrong length, either way, and padding. */
	assert_int_equal(sp_base32_decode(dec, 6, "mzxw6ytbo", 9), SP_EID);
	assert_int_equal(sp_base32_decode(dec, 6, "mzxw6ytboia", 11), SP_EID);
	assert_int_equal(sp_base32_decode(dec, 1, "my======", 8), SP_EID);
	assert_int_equal(sp_base32_decode(dec, 1, "m=", 2), SP_EID);
	/* Characters outside the alphabet: 0, 1, 8, 9, NUL, space. */
	assert_int_equal(sp_base32_decode(dec, 1, "m0", 2), SP_EID);
	assert_int_equal(sp_base32_decode(dec, 1, "m1", 2), SP_EID);
	assert_int_equal(sp_base32_decode(dec, 1, "m8", 2), SP_EID);
	assert_int_equal(sp_base32_decode(dec, 1, "m9", 2), SP_EID);
	assert_int_equal(sp_base32_decode(dec, 1, "m\0", 2), SP_EID);
	assert_int_equal(sp_base32_decode(dec, 1, " y", 2), SP_EID);
	/* Non-zero trailing bits: "mz" would also decode to 'f'. */
	assert_int_equal(sp_base32_decode(dec, 1, "mz", 2), SP_EID);
	assert_int_equal(sp_base32_decode(dec, 6, "mzxw6ytboj", 10), SP_EID);
	/* Output is cleared on failure. */
	memset(dec, 0xaa, sizeof(dec));
	assert_int_equal(sp_base32_decode(dec, 6, "mzxw6ytbo7", 10), SP_EID);
	assert_int_equal(dec[0], 0);
	assert_int_equal(dec[5], 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_id_round_trip),
		cmocka_unit_test(test_upper_case),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

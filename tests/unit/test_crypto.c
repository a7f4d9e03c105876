/*
 * test_crypto.c - known answers for Ed25519 and BLAKE2b-256, and the
 * passphrase-protected key file.
 */
#define _GNU_SOURCE 1
#include "sp_test.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "sp_err.h"

/* RFC 8032 section 7.1, test 1 (empty message). */
#define RFC8032_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define RFC8032_PK   "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
#define RFC8032_SIG  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155" \
                     "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

static const char pass[] = "kunci rahasia RT 03";

static uint8_t *
unhex(const char *hex, size_t want)
{
	size_t len;
	uint8_t *p = sp_test_unhex(hex, &len);

	assert_non_null(p);
	assert_int_equal(len, want);
	return p;
}

static int
setup(void **state)
{
	(void)state;
	return sp_crypto_init();
}

static void
test_ed25519_known_answer(void **state)
{
	uint8_t *seed = unhex(RFC8032_SEED, 32), *pk = unhex(RFC8032_PK, 32);
	uint8_t *want = unhex(RFC8032_SIG, 64);
	uint8_t sk[64], pk2[32], sig[64];

	(void)state;
	/* libsodium's secret key is the seed followed by the public key. */
	memcpy(sk, seed, 32);
	memcpy(sk + 32, pk, 32);
	sp_sign_sk_to_pk(pk2, sk);
	assert_memory_equal(pk2, pk, 32);
	/* The public half must be the one the seed derives. */
	assert_int_equal(sp_sign_sk_check(sk), 0);
	sk[63] ^= 0x01;
	assert_int_equal(sp_sign_sk_check(sk), SP_EKEYPAIR);
	sk[63] ^= 0x01;
	sk[0] ^= 0x01;
	assert_int_equal(sp_sign_sk_check(sk), SP_EKEYPAIR);
	sk[0] ^= 0x01;
	sp_sign(sig, (const uint8_t *)"", 0, sk);
	assert_memory_equal(sig, want, 64);
	assert_int_equal(sp_sign_verify(sig, (const uint8_t *)"", 0, pk), 0);
	sig[63] ^= 0x01;
	assert_int_equal(sp_sign_verify(sig, (const uint8_t *)"", 0, pk), SP_ESIG);
	free(seed);
	free(pk);
	free(want);
}

static void
test_sign_verify(void **state)
{
	uint8_t pk[32], pk2[32], sk[64], sig[64], other[32], other_sk[64];
	const uint8_t msg[] = "iuran bulan Maret";

	(void)state;
	sp_sign_keypair(pk, sk);
	sp_sign_sk_to_pk(pk2, sk);
	assert_memory_equal(pk, pk2, 32);
	sp_sign(sig, msg, sizeof(msg), sk);
	assert_int_equal(sp_sign_verify(sig, msg, sizeof(msg), pk), 0);
	assert_int_equal(sp_sign_verify(sig, msg, sizeof(msg) - 1, pk), SP_ESIG);
	sp_sign_keypair(other, other_sk);
	assert_int_equal(sp_sign_verify(sig, msg, sizeof(msg), other), SP_ESIG);
}

static void
test_blake2b_known_answer(void **state)
{
	uint8_t *e = unhex("0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8", 32);
	uint8_t *abc = unhex("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319", 32);
	uint8_t h[32];

	(void)state;
	sp_hash32(h, "", 0);
	assert_memory_equal(h, e, 32);
	sp_hash32(h, "abc", 3);
	assert_memory_equal(h, abc, 32);
	free(e);
	free(abc);
}

static void
test_helpers(void **state)
{
	uint8_t a[64], z[64] = { 0 };

	(void)state;
	sp_randombytes(a, sizeof(a));
	assert_int_not_equal(memcmp(a, z, sizeof(a)), 0);
	assert_int_equal(sp_memcmp_ct(a, a, sizeof(a)), 0);
	assert_int_not_equal(sp_memcmp_ct(a, z, sizeof(a)), 0);
}

/* A sealed 64-byte secret in f (caller frees with sp_buf_free). */
static void
seal(sp_buf *f, uint8_t secret[64])
{
	size_t i;

	for (i = 0; i < 64; i++)
		secret[i] = (uint8_t)(i + 1);
	sp_buf_init(f);
	assert_int_equal(sp_keyfile_seal(f, secret, 64, pass, strlen(pass)), 0);
	assert_int_equal(f->len, SP_KEYFILE_OVERHEAD + 64);
}

static void
test_keyfile_round_trip(void **state)
{
	uint8_t secret[64], back[64];
	sp_buf f;

	(void)state;
	seal(&f, secret);
	assert_memory_equal(f.data, "SPKEY1\0\0", 8);
	/* Argon2id13 "interactive": 2 passes over 64 MiB. */
	assert_true(sp_get_be64(f.data + 8) == 2);
	assert_true(sp_get_be64(f.data + 16) == 64u << 20);
	/* The secret does not appear in the file. */
	assert_null(memmem(f.data, f.len, secret, 16));
	assert_int_equal(sp_keyfile_open(back, 64, f.data, f.len, pass,
	    strlen(pass)), 0);
	assert_memory_equal(back, secret, 64);
	sp_buf_free(&f);
}

static void
test_keyfile_wrong_passphrase(void **state)
{
	uint8_t secret[64], back[64], zero[64] = { 0 };
	sp_buf f;

	(void)state;
	seal(&f, secret);
	memset(back, 0xaa, sizeof(back));
	assert_int_equal(sp_keyfile_open(back, 64, f.data, f.len, pass,
	    strlen(pass) - 1), SP_EPASSPHRASE);
	assert_memory_equal(back, zero, 64);
	assert_int_equal(sp_keyfile_open(back, 64, f.data, f.len, "", 0),
	    SP_EPASSPHRASE);
	sp_buf_free(&f);
}

static void
test_keyfile_damaged(void **state)
{
	/* One byte in each region after the limits: salt, nonce, MAC, box. */
	static const size_t flip[] = { 24, 39, 40, 63, 64, 79, 80, 143 };
	uint8_t secret[64], back[64];
	size_t i;
	sp_buf f;

	(void)state;
	seal(&f, secret);
	for (i = 0; i < sizeof(flip) / sizeof(flip[0]); i++) {
		f.data[flip[i]] ^= 0x20;
		assert_int_equal(sp_keyfile_open(back, 64, f.data, f.len, pass,
		    strlen(pass)), SP_EPASSPHRASE);
		f.data[flip[i]] ^= 0x20;
	}
	/* Limits changed within the accepted range derive another key. */
	sp_put_be64(f.data + 8, 3);
	assert_int_equal(sp_keyfile_open(back, 64, f.data, f.len, pass,
	    strlen(pass)), SP_EPASSPHRASE);
	sp_put_be64(f.data + 8, 2);
	/* Truncated or extended: damaged. */
	assert_int_equal(sp_keyfile_open(back, 64, f.data, f.len - 1, pass,
	    strlen(pass)), SP_EPASSPHRASE);
	assert_int_equal(sp_keyfile_open(back, 64, f.data, 9, pass,
	    strlen(pass)), SP_EPASSPHRASE);
	assert_int_equal(sp_keyfile_open(back, 63, f.data, f.len, pass,
	    strlen(pass)), SP_EPASSPHRASE);
	/* Too short for the magic, or another magic: not a key file. */
	assert_int_equal(sp_keyfile_open(back, 64, f.data, 7, pass,
	    strlen(pass)), SP_EINVAL);
	f.data[5] = '2';
	assert_int_equal(sp_keyfile_open(back, 64, f.data, f.len, pass,
	    strlen(pass)), SP_EINVAL);
	f.data[5] = '1';
	/* Still intact after all that. */
	assert_int_equal(sp_keyfile_open(back, 64, f.data, f.len, pass,
	    strlen(pass)), 0);
	assert_memory_equal(back, secret, 64);
	sp_buf_free(&f);
}

static void
test_keyfile_limits(void **state)
{
	static const struct {
		uint64_t ops, mem;
	} bad[] = {
		{ 0, 64u << 20 },               /* below OPSLIMIT_MIN */
		{ 5, 64u << 20 },               /* above OPSLIMIT_SENSITIVE */
		{ UINT64_MAX, 64u << 20 },
		{ 2, 8191 },                    /* below MEMLIMIT_MIN */
		{ 2, (UINT64_C(1) << 30) + 1 }, /* above MEMLIMIT_SENSITIVE */
		{ 2, UINT64_MAX },
	};
	uint8_t secret[64], back[64];
	size_t i;
	sp_buf f;

	(void)state;
	seal(&f, secret);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sp_put_be64(f.data + 8, bad[i].ops);
		sp_put_be64(f.data + 16, bad[i].mem);
		assert_int_equal(sp_keyfile_open(back, 64, f.data, f.len, pass,
		    strlen(pass)), SP_EINVAL);
	}
	/* Bad sizes from the caller. */
	assert_int_equal(sp_keyfile_open(back, 0, f.data, f.len, pass,
	    strlen(pass)), SP_EINVAL);
	sp_buf_reset(&f);
	assert_int_equal(sp_keyfile_seal(&f, secret, 0, pass, strlen(pass)),
	    SP_EINVAL);
	assert_int_equal(f.len, 0);
	sp_buf_free(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519_known_answer),
		cmocka_unit_test(test_sign_verify),
		cmocka_unit_test(test_blake2b_known_answer),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_keyfile_round_trip),
		cmocka_unit_test(test_keyfile_wrong_passphrase),
		cmocka_unit_test(test_keyfile_damaged),
		cmocka_unit_test(test_keyfile_limits),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

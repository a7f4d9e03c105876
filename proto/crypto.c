#include "crypto.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sp_err.h"

/* Key file layout (docs/FORMAT.md, "Key export"). */
static const uint8_t keyfile_magic[8] = { 'S', 'P', 'K', 'E', 'Y', '1', 0, 0 };
#define KF_OPS    8
#define KF_MEM    (KF_OPS + 8)
#define KF_SALT   (KF_MEM + 8)
#define KF_NONCE  (KF_SALT + crypto_pwhash_SALTBYTES)
#define KF_BOX    (KF_NONCE + crypto_secretbox_NONCEBYTES)

_Static_assert(KF_BOX + crypto_secretbox_MACBYTES == SP_KEYFILE_OVERHEAD,
    "SP_KEYFILE_OVERHEAD must match the key file layout");
_Static_assert(crypto_sign_PUBLICKEYBYTES == 32 &&
    crypto_sign_SECRETKEYBYTES == 64 && crypto_sign_BYTES == 64,
    "the API's fixed sizes must match libsodium's Ed25519");

/*
 * libsodium documents these calls as unable to fail for valid sizes, which
 * our fixed-size API guarantees; a failure would be a broken library, not
 * bad input, so it is treated as a violated invariant.
 */
static void
must(int rc)
{
	if (rc != 0)
		abort();
}

int
sp_crypto_init(void)
{
	return sodium_init() < 0 ? SP_EINTERNAL : 0;
}

void
sp_sign_keypair(uint8_t pk[32], uint8_t sk[64])
{
	must(crypto_sign_keypair(pk, sk));
}

void
sp_sign_sk_to_pk(uint8_t pk[32], const uint8_t sk[64])
{
	must(crypto_sign_ed25519_sk_to_pk(pk, sk));
}

int
sp_sign_sk_check(const uint8_t sk[64])
{
	uint8_t pk[32], derived_sk[64];
	int r;

	must(crypto_sign_seed_keypair(pk, derived_sk, sk));
	sodium_memzero(derived_sk, sizeof(derived_sk));
	r = sodium_memcmp(pk, sk + 32, sizeof(pk)) == 0 ? 0 : SP_EKEYPAIR;
	sodium_memzero(pk, sizeof(pk));
	return r;
}

void
sp_sign(uint8_t sig[64], const uint8_t *m, size_t len, const uint8_t sk[64])
{
	must(crypto_sign_detached(sig, NULL, m, len, sk));
}

int
sp_sign_verify(const uint8_t sig[64], const uint8_t *m, size_t len,
    const uint8_t pk[32])
{
	return crypto_sign_verify_detached(sig, m, len, pk) == 0 ? 0 : SP_ESIG;
}

void
sp_hash32(uint8_t out[32], const void *m, size_t len)
{
	must(crypto_generichash(out, 32, m, len, NULL, 0));
}

void
sp_sha256(uint8_t out[32], const void *m, size_t len)
{
	must(crypto_hash_sha256(out, m, len));
}

void
sp_randombytes(void *p, size_t n)
{
	randombytes_buf(p, n);
}

int
sp_memcmp_ct(const void *a, const void *b, size_t n)
{
	return sodium_memcmp(a, b, n) == 0 ? 0 : 1;
}

/* Argon2id key for the secretbox; SP_ENOMEM when libsodium cannot allocate. */
static int
derive(uint8_t key[crypto_secretbox_KEYBYTES], const char *passphrase,
    size_t passphrase_len, const uint8_t *salt, uint64_t ops, size_t mem)
{
	if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, passphrase,
	    passphrase_len, salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return SP_ENOMEM;
	return 0;
}

void
sp_x25519_base(uint8_t pk[SP_X25519_BYTES], const uint8_t sk[SP_X25519_BYTES])
{
	must(crypto_scalarmult_base(pk, sk));
}

int
sp_x25519(uint8_t out[SP_X25519_BYTES], const uint8_t sk[SP_X25519_BYTES],
    const uint8_t pk[SP_X25519_BYTES])
{
	/* libsodium refuses (and we pass on) an all-zero shared secret. */
	if (crypto_scalarmult(out, sk, pk) != 0) {
		sodium_memzero(out, SP_X25519_BYTES);
		return SP_EINVAL;
	}
	return 0;
}

int
sp_x25519_from_ed25519_sk(uint8_t x[SP_X25519_BYTES], const uint8_t ed_sk[64])
{
	if (crypto_sign_ed25519_sk_to_curve25519(x, ed_sk) != 0) {
		sodium_memzero(x, SP_X25519_BYTES);
		return SP_EINVAL;
	}
	return 0;
}

int
sp_x25519_from_ed25519_pk(uint8_t x[SP_X25519_BYTES], const uint8_t ed_pk[32])
{
	if (crypto_sign_ed25519_pk_to_curve25519(x, ed_pk) != 0) {
		sodium_memzero(x, SP_X25519_BYTES);
		return SP_EINVAL;
	}
	return 0;
}

void
sp_hash64(uint8_t out[SP_HASH64_BYTES], const void *a, size_t a_len,
    const void *b, size_t b_len)
{
	crypto_generichash_blake2b_state st;

	must(crypto_generichash_blake2b_init(&st, NULL, 0, SP_HASH64_BYTES));
	must(crypto_generichash_blake2b_update(&st, a, a_len));
	must(crypto_generichash_blake2b_update(&st, b, b_len));
	must(crypto_generichash_blake2b_final(&st, out, SP_HASH64_BYTES));
	sodium_memzero(&st, sizeof(st));
}

/* BLAKE2b's block: HMAC pads its key to this length. */
#define HMAC_BLOCK 128

void
sp_hmac_blake2b(uint8_t out[SP_HASH64_BYTES],
    const uint8_t key[SP_HASH64_BYTES], const void *a, size_t a_len,
    const void *b, size_t b_len)
{
	crypto_generichash_blake2b_state st;
	uint8_t pad[HMAC_BLOCK], inner[SP_HASH64_BYTES];
	size_t i;

	/* H((K ^ ipad) || a || b), zero-padding K to the block length. */
	memset(pad, 0x36, sizeof(pad));
	for (i = 0; i < SP_HASH64_BYTES; i++)
		pad[i] ^= key[i];
	must(crypto_generichash_blake2b_init(&st, NULL, 0, SP_HASH64_BYTES));
	must(crypto_generichash_blake2b_update(&st, pad, sizeof(pad)));
	must(crypto_generichash_blake2b_update(&st, a, a_len));
	must(crypto_generichash_blake2b_update(&st, b, b_len));
	must(crypto_generichash_blake2b_final(&st, inner, sizeof(inner)));

	/* H((K ^ opad) || inner). */
	memset(pad, 0x5c, sizeof(pad));
	for (i = 0; i < SP_HASH64_BYTES; i++)
		pad[i] ^= key[i];
	sp_hash64(out, pad, sizeof(pad), inner, sizeof(inner));

	sodium_memzero(&st, sizeof(st));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
}

_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == SP_AEAD_KEYBYTES &&
    crypto_aead_chacha20poly1305_ietf_ABYTES == SP_AEAD_TAGBYTES &&
    crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12,
    "Noise's ChaChaPoly is the IETF construction");

/* Noise's ChaChaPoly nonce: 32 zero bits, then n little-endian. */
static void
aead_nonce(uint8_t nonce[12], uint64_t n)
{
	int i;

	memset(nonce, 0, 4);
	for (i = 4; i < 12; i++) {
		nonce[i] = (uint8_t)n;
		n >>= 8;
	}
}

void
sp_aead_encrypt(uint8_t *out, const uint8_t *pt, size_t len,
    const uint8_t *ad, size_t ad_len, uint64_t n,
    const uint8_t key[SP_AEAD_KEYBYTES])
{
	uint8_t nonce[12];

	aead_nonce(nonce, n);
	must(crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, pt, len, ad,
	    ad_len, NULL, nonce, key));
}

int
sp_aead_decrypt(uint8_t *out, const uint8_t *ct, size_t len,
    const uint8_t *ad, size_t ad_len, uint64_t n,
    const uint8_t key[SP_AEAD_KEYBYTES])
{
	uint8_t nonce[12];

	if (len < SP_AEAD_TAGBYTES)
		return SP_ENOISE;
	aead_nonce(nonce, n);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, ct, len,
	    ad, ad_len, nonce, key) != 0) {
		sodium_memzero(out, len - SP_AEAD_TAGBYTES);
		return SP_ENOISE;
	}
	return 0;
}

uint64_t
sp_shorthash(const void *m, size_t len, const uint8_t key[SP_SHORTHASH_KEYBYTES])
{
	unsigned char h[crypto_shorthash_BYTES];

	(void)crypto_shorthash(h, m, len, key);
	return sp_get_be64(h);
}

size_t
sp_base64_encoded_len(size_t n)
{
	return sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
}

void
sp_base64_encode(char *out, size_t size, const uint8_t *in, size_t n)
{
	(void)sodium_bin2base64(out, size, in, n, sodium_base64_VARIANT_ORIGINAL);
}

int
sp_base64_decode(uint8_t *out, size_t max, const char *in, size_t in_len, size_t *len)
{
	/* A NULL end pointer makes libsodium refuse trailing characters. */
	if (sodium_base642bin(out, max, in, in_len, NULL, len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return SP_EINVAL;
	return 0;
}

int
sp_keyfile_seal(sp_buf *out, const uint8_t *secret, size_t secret_len,
    const char *passphrase, size_t passphrase_len)
{
	uint8_t key[crypto_secretbox_KEYBYTES];
	uint8_t *f;
	int r;

	if (secret_len == 0 || secret_len > SP_KEYFILE_SECRET_MAX)
		return SP_EINVAL;
	if ((r = sp_buf_reserve(out, SP_KEYFILE_OVERHEAD + secret_len)) != 0)
		return r;
	/* Written in place so the secret is never copied anywhere else. */
	f = out->data + out->len;
	memcpy(f, keyfile_magic, sizeof(keyfile_magic));
	sp_put_be64(f + KF_OPS, crypto_pwhash_OPSLIMIT_INTERACTIVE);
	sp_put_be64(f + KF_MEM, crypto_pwhash_MEMLIMIT_INTERACTIVE);
	randombytes_buf(f + KF_SALT, crypto_pwhash_SALTBYTES);
	randombytes_buf(f + KF_NONCE, crypto_secretbox_NONCEBYTES);
	if ((r = derive(key, passphrase, passphrase_len, f + KF_SALT,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE)) != 0)
		goto out;
	must(crypto_secretbox_easy(f + KF_BOX, secret, secret_len,
	    f + KF_NONCE, key));
	out->len += SP_KEYFILE_OVERHEAD + secret_len;
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	return r;
}

int
sp_keyfile_open(uint8_t *secret, size_t secret_len, const uint8_t *file,
    size_t file_len, const char *passphrase, size_t passphrase_len)
{
	uint8_t key[crypto_secretbox_KEYBYTES];
	uint64_t ops, mem;
	int r;

	sodium_memzero(secret, secret_len);
	if (secret_len == 0 || secret_len > SP_KEYFILE_SECRET_MAX)
		return SP_EINVAL;
	if (file_len < sizeof(keyfile_magic) ||
	    memcmp(file, keyfile_magic, sizeof(keyfile_magic)) != 0)
		return SP_EINVAL;
	/* A key file cut short or grown is damaged, like a bad MAC. */
	if (file_len != SP_KEYFILE_OVERHEAD + secret_len)
		return SP_EPASSPHRASE;
	/*
	 * The limits come from the file: bounding them keeps a crafted file
	 * from making us allocate or spin without end.
	 */
	ops = sp_get_be64(file + KF_OPS);
	mem = sp_get_be64(file + KF_MEM);
	if (ops < crypto_pwhash_OPSLIMIT_MIN ||
	    ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    mem < crypto_pwhash_MEMLIMIT_MIN ||
	    mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return SP_EINVAL;
	if ((r = derive(key, passphrase, passphrase_len, file + KF_SALT, ops,
	    (size_t)mem)) != 0)
		goto out;
	if (crypto_secretbox_open_easy(secret, file + KF_BOX,
	    secret_len + crypto_secretbox_MACBYTES, file + KF_NONCE, key) != 0) {
		r = SP_EPASSPHRASE;
		goto out;
	}
	r = 0;
out:
	sodium_memzero(key, sizeof(key));
	if (r != 0)
		sodium_memzero(secret, secret_len);
	return r;
}

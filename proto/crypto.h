/*
 * crypto.h - the only user of libsodium in proto/ (besides the Noise code
 * of a later stage). Every libsodium return value is checked.
 */
#ifndef SP_CRYPTO_H
#define SP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Must be called once before anything else here. Returns 0 or SP_EINTERNAL. */
int sp_crypto_init(void);

void sp_sign_keypair(uint8_t pk[32], uint8_t sk[64]);
/* The public half of a secret key. */
void sp_sign_sk_to_pk(uint8_t pk[32], const uint8_t sk[64]);
void sp_sign(uint8_t sig[64], const uint8_t *m, size_t len, const uint8_t sk[64]);
/* Returns 0 or SP_ESIG. */
int sp_sign_verify(const uint8_t sig[64], const uint8_t *m, size_t len,
    const uint8_t pk[32]);

/* BLAKE2b-256. */
void sp_hash32(uint8_t out[32], const void *m, size_t len);
/* SHA-256: Negentropy fingerprints (proto/negentropy.c) need it. */
void sp_sha256(uint8_t out[32], const void *m, size_t len);
void sp_randombytes(void *p, size_t n);
void sp_memzero(void *p, size_t n);
/* Constant time; 0 when equal. */
int sp_memcmp_ct(const void *a, const void *b, size_t n);

/*
 * Keyed 64-bit hash (SipHash-2-4) for hash tables filled from untrusted
 * input: with a random key, nobody can choose inputs that collide.
 */
#define SP_SHORTHASH_KEYBYTES 16
uint64_t sp_shorthash(const void *m, size_t len, const uint8_t key[SP_SHORTHASH_KEYBYTES]);

/* Standard padded base64. The encoded length counts the terminating NUL. */
size_t sp_base64_encoded_len(size_t n);
void sp_base64_encode(char *out, size_t size, const uint8_t *in, size_t n);
/*
 * Decodes all of in (in_len characters) into out (at most max bytes).
 * Returns 0 and the length, or SP_EINVAL for anything but whole padded base64.
 */
int sp_base64_decode(uint8_t *out, size_t max, const char *in, size_t in_len, size_t *len);

/*
 * Passphrase-protected key file (docs/FORMAT.md, "Key export"):
 *   "SPKEY1\0\0" | opslimit u64 BE | memlimit u64 BE | salt 16 | nonce 24 |
 *   secretbox(secret) (16-byte MAC, then secret_len bytes)
 * The box key is derived with crypto_pwhash (Argon2id13). Sealing uses the
 * "interactive" limits; opening accepts limits from the file only within
 * [crypto_pwhash_*_MIN, crypto_pwhash_*_SENSITIVE].
 * secret_len must be 1..SP_KEYFILE_SECRET_MAX, else SP_EINVAL.
 * sp_keyfile_seal appends the file to out (owned by caller); SP_ENOMEM or
 * out->err on failure, out unchanged.
 * sp_keyfile_open writes the secret to secret (secret_len bytes, zeroed on
 * any failure) and returns SP_EPASSPHRASE on a wrong passphrase or a damaged
 * file (bad MAC, wrong length), SP_EINVAL when the file is not a key file
 * (bad magic) or its limits are out of range, SP_ENOMEM if Argon2id cannot
 * get its memory.
 */
#define SP_KEYFILE_OVERHEAD   80 /* file bytes besides the secret */
#define SP_KEYFILE_SECRET_MAX 1024
int sp_keyfile_seal(sp_buf *out, const uint8_t *secret, size_t secret_len,
    const char *passphrase, size_t passphrase_len);
int sp_keyfile_open(uint8_t *secret, size_t secret_len, const uint8_t *file,
    size_t file_len, const char *passphrase, size_t passphrase_len);

#endif

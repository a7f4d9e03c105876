/*
 * crypto.h - the only user of libsodium in simpul: everything else, the
 * Noise protocol code included, goes through these wrappers. Every
 * libsodium return value is checked.
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
/*
 * Whether a secret key read from outside holds together: its public half
 * (the last 32 bytes) must be the key its seed (the first 32) derives.
 * Returns 0 or SP_EKEYPAIR.
 */
int sp_sign_sk_check(const uint8_t sk[64]);
void sp_sign(uint8_t sig[64], const uint8_t *m, size_t len, const uint8_t sk[64]);
/* Returns 0 or SP_ESIG. */
int sp_sign_verify(const uint8_t sig[64], const uint8_t *m, size_t len,
    const uint8_t pk[32]);

/* BLAKE2b-256. */
void sp_hash32(uint8_t out[32], const void *m, size_t len);
/* SHA-256: Negentropy fingerprints (proto/negentropy.c) need it. */
void sp_sha256(uint8_t out[32], const void *m, size_t len);
void sp_randombytes(void *p, size_t n);
/* sp_memzero, for secrets, is in buf.h. */
/* Constant time; 0 when equal. */
int sp_memcmp_ct(const void *a, const void *b, size_t n);

/*
 * Keyed 64-bit hash (SipHash-2-4) for hash tables filled from untrusted
 * input: with a random key, nobody can choose inputs that collide.
 */
#define SP_SHORTHASH_KEYBYTES 16
uint64_t sp_shorthash(const void *m, size_t len, const uint8_t key[SP_SHORTHASH_KEYBYTES]);

/*
 * X25519 and the primitives of Noise_*_25519_ChaChaPoly_BLAKE2b
 * (proto/noise.c). Keys are 32 bytes.
 */
#define SP_X25519_BYTES 32
#define SP_AEAD_KEYBYTES 32
#define SP_AEAD_TAGBYTES 16
#define SP_HASH64_BYTES 64

/* The public key of an X25519 private key. */
void sp_x25519_base(uint8_t pk[SP_X25519_BYTES], const uint8_t sk[SP_X25519_BYTES]);
/*
 * The shared secret of sk and a peer's pk. SP_EINVAL when it is all zeros
 * (pk is a point of small order: a peer trying to force a known secret).
 */
int sp_x25519(uint8_t out[SP_X25519_BYTES], const uint8_t sk[SP_X25519_BYTES],
    const uint8_t pk[SP_X25519_BYTES]);
/*
 * An Ed25519 key converted to the X25519 key of the same party (so a node
 * id also names its Noise static key). The secret key form is libsodium's
 * 64 bytes (seed, public key). Both return 0, or SP_EINVAL when the key is
 * not a valid Ed25519 key (the public key of a point of small order, say).
 */
int sp_x25519_from_ed25519_sk(uint8_t x[SP_X25519_BYTES], const uint8_t ed_sk[64]);
int sp_x25519_from_ed25519_pk(uint8_t x[SP_X25519_BYTES], const uint8_t ed_pk[32]);

/* BLAKE2b-512 of a followed by b (either may be empty, and then NULL). */
void sp_hash64(uint8_t out[SP_HASH64_BYTES], const void *a, size_t a_len,
    const void *b, size_t b_len);
/*
 * HMAC (RFC 2104) over unkeyed BLAKE2b-512 with its 128-byte block, as
 * Noise defines HMAC-HASH; not BLAKE2b's keyed mode. The key is always
 * SP_HASH64_BYTES long in Noise. The message is a followed by b.
 */
void sp_hmac_blake2b(uint8_t out[SP_HASH64_BYTES],
    const uint8_t key[SP_HASH64_BYTES], const void *a, size_t a_len,
    const void *b, size_t b_len);
/*
 * ChaCha20-Poly1305 (IETF) with Noise's nonce: 4 zero bytes, then n as a
 * 64-bit little-endian counter. Encryption writes len + SP_AEAD_TAGBYTES
 * bytes to out; decryption writes len - SP_AEAD_TAGBYTES bytes and returns
 * SP_ENOISE when len is shorter than a tag or the tag does not verify (out
 * is then zeroed). out may be the same buffer as the input, not another
 * overlapping one. ad may be NULL when ad_len is 0.
 */
void sp_aead_encrypt(uint8_t *out, const uint8_t *pt, size_t len,
    const uint8_t *ad, size_t ad_len, uint64_t n,
    const uint8_t key[SP_AEAD_KEYBYTES]);
int sp_aead_decrypt(uint8_t *out, const uint8_t *ct, size_t len,
    const uint8_t *ad, size_t ad_len, uint64_t n,
    const uint8_t key[SP_AEAD_KEYBYTES]);

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

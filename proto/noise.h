/*
 * noise.h - the Noise handshakes simpul uses, as pure functions over bytes:
 *   Noise_XX_25519_ChaChaPoly_BLAKE2b      (default)
 *   Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b  (with a federation key)
 * and the transport cipher states that follow (Noise spec revision 34).
 *
 * HMAC-BLAKE2b is the HMAC construction over unkeyed BLAKE2b-512 with its
 * 128-byte block (Noise section 4.3), not BLAKE2b's keyed mode. No I/O: the
 * caller moves the bytes. Every secret is wiped when freed.
 */
#ifndef SP_NOISE_H
#define SP_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_NOISE_KEY_BYTES   32
#define SP_NOISE_TAG_BYTES   16
#define SP_NOISE_HASH_BYTES  64
#define SP_NOISE_MSG_MAX     65535   /* a Noise message, tag included */
#define SP_NOISE_PAYLOAD_MAX (SP_NOISE_MSG_MAX - SP_NOISE_TAG_BYTES)

enum sp_noise_pattern {
	SP_NOISE_XX,        /* -> e; <- e, ee, s, es; -> s, se */
	SP_NOISE_XXPSK3,    /* the same, with "psk" after message 3: -> s, se, psk */
};

typedef struct sp_noise_hs sp_noise_hs;

/* A transport cipher state (caller-allocated). */
typedef struct sp_cipher {
	uint8_t k[SP_NOISE_KEY_BYTES];
	uint64_t n;         /* next nonce; 2^64-1 is never used */
} sp_cipher;

/*
 * Starts a handshake. s_priv is this side's static X25519 private key,
 * psk the 32-byte pre-shared key (required for XXPSK3, NULL for XX).
 * *out is owned by the caller (sp_noise_hs_free).
 */
int sp_noise_hs_new(enum sp_noise_pattern pattern, bool initiator,
    const uint8_t *prologue, size_t prologue_len,
    const uint8_t s_priv[SP_NOISE_KEY_BYTES], const uint8_t *psk,
    sp_noise_hs **out);
void sp_noise_hs_free(sp_noise_hs *hs);

/*
 * Test vectors only: use e_priv instead of a random ephemeral key. Once,
 * before this side writes its first message, else SP_EINVAL.
 */
int sp_noise_hs_set_ephemeral(sp_noise_hs *hs, const uint8_t e_priv[SP_NOISE_KEY_BYTES]);

/*
 * Writes the next handshake message carrying payload into out (size
 * bytes). SP_EINVAL when it is not this side's turn; SP_ETOOBIG when the
 * message would not fit out or SP_NOISE_MSG_MAX (the handshake is still
 * usable); SP_ENOISE when the peer's ephemeral key gives an all-zero DH
 * (the handshake is then dead). payload and out must not overlap.
 */
int sp_noise_hs_write(sp_noise_hs *hs, const uint8_t *payload, size_t payload_len,
    uint8_t *out, size_t size, size_t *out_len);

/*
 * Reads the next handshake message from the peer and writes its payload
 * to payload (size bytes). A message that fails to decrypt, has the
 * wrong length or carries a key of small order is SP_ENOISE (the handshake
 * is then dead: free it). SP_EINVAL when it is not the peer's turn;
 * SP_ETOOBIG when the payload would not fit (the handshake is still
 * usable). msg and payload must not overlap.
 */
int sp_noise_hs_read(sp_noise_hs *hs, const uint8_t *msg, size_t msg_len,
    uint8_t *payload, size_t size, size_t *payload_len);

/* True once all three messages have been written/read. */
bool sp_noise_hs_done(const sp_noise_hs *hs);

/* The peer's static public key (valid once received). */
int sp_noise_hs_remote_static(const sp_noise_hs *hs, uint8_t rs[SP_NOISE_KEY_BYTES]);

/* The handshake hash h (channel binding; valid once done). */
void sp_noise_hs_hash(const sp_noise_hs *hs, uint8_t h[SP_NOISE_HASH_BYTES]);

/*
 * After the handshake: the cipher for what this side sends and for what
 * it receives (Split(): the initiator sends with the first key).
 */
int sp_noise_hs_split(sp_noise_hs *hs, sp_cipher *send, sp_cipher *recv);

/*
 * Transport (empty associated data): out gets len + SP_NOISE_TAG_BYTES
 * bytes. SP_ETOOBIG when len > SP_NOISE_PAYLOAD_MAX, SP_ENOISE when the
 * nonces are spent. out may be pt itself (in place), not another overlap.
 */
int sp_cipher_encrypt(sp_cipher *c, const uint8_t *pt, size_t len, uint8_t *out);
/*
 * out gets len - SP_NOISE_TAG_BYTES bytes; SP_ENOISE on a bad tag, a
 * length outside [SP_NOISE_TAG_BYTES, SP_NOISE_MSG_MAX] or spent nonces.
 * A failure leaves the nonce alone. out may be ct itself.
 */
int sp_cipher_decrypt(sp_cipher *c, const uint8_t *ct, size_t len, uint8_t *out);
void sp_cipher_wipe(sp_cipher *c);

#endif

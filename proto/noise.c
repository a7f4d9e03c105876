#include "noise.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "sp_err.h"

/*
 * The Noise Protocol Framework, revision 34, restricted to what simpul
 * speaks: the XX pattern, with or without psk3, over 25519, ChaChaPoly and
 * BLAKE2b. Section numbers below are the specification's.
 */

#define DHLEN   SP_X25519_BYTES
#define HASHLEN SP_NOISE_HASH_BYTES
#define TAGLEN  SP_NOISE_TAG_BYTES
#define NMSG    3               /* messages in an XX handshake */

_Static_assert(SP_NOISE_KEY_BYTES == SP_X25519_BYTES &&
    SP_NOISE_KEY_BYTES == SP_AEAD_KEYBYTES && TAGLEN == SP_AEAD_TAGBYTES &&
    HASHLEN == SP_HASH64_BYTES, "noise.h sizes must match the primitives");

enum token { T_END, T_E, T_S, T_EE, T_ES, T_SE, T_PSK };

struct pattern {
	const char *name;
	bool psk;               /* has a psk token: "e" also calls MixKey */
	uint8_t msgs[NMSG][5];  /* tokens of each message, T_END-terminated */
};

#define XX_NAME     "Noise_XX_25519_ChaChaPoly_BLAKE2b"
#define XXPSK3_NAME "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b"

/* Names this short are used as h zero-padded, never hashed (section 5.2). */
_Static_assert(sizeof(XX_NAME) - 1 <= HASHLEN &&
    sizeof(XXPSK3_NAME) - 1 <= HASHLEN, "protocol names fit in h");

static const struct pattern patterns[] = {
	[SP_NOISE_XX] = { XX_NAME, false, {
		{ T_E, T_END },
		{ T_E, T_EE, T_S, T_ES, T_END },
		{ T_S, T_SE, T_END },
	} },
	[SP_NOISE_XXPSK3] = { XXPSK3_NAME, true, {
		{ T_E, T_END },
		{ T_E, T_EE, T_S, T_ES, T_END },
		{ T_S, T_SE, T_PSK, T_END },
	} },
};

struct sp_noise_hs {
	const struct pattern *pat;
	bool initiator;
	bool dead;              /* a message failed: only free is left */
	bool split;             /* Split() ran and the secrets are gone */
	bool has_k;             /* the CipherState has a key */
	bool has_e;             /* e is set (by the caller or at its token) */
	bool has_rs;
	uint8_t step;           /* handshake messages done, 0..NMSG */
	sp_cipher cs;           /* the handshake's CipherState */
	uint8_t ck[HASHLEN];
	uint8_t h[HASHLEN];
	uint8_t s[DHLEN], s_pub[DHLEN];
	uint8_t e[DHLEN], e_pub[DHLEN];
	uint8_t re[DHLEN], rs[DHLEN];
	uint8_t psk[SP_NOISE_KEY_BYTES];
};

/* CipherState (section 5.1); ad may be NULL when ad_len is 0. */

static int
cipher_encrypt_ad(sp_cipher *c, const uint8_t *ad, size_t ad_len,
    const uint8_t *pt, size_t len, uint8_t *out)
{
	/* 2^64-1 is reserved; we do not rekey, so the cipher is spent. */
	if (c->n == UINT64_MAX)
		return SP_ENOISE;
	sp_aead_encrypt(out, pt, len, ad, ad_len, c->n, c->k);
	c->n++;
	return 0;
}

static int
cipher_decrypt_ad(sp_cipher *c, const uint8_t *ad, size_t ad_len,
    const uint8_t *ct, size_t len, uint8_t *out)
{
	int r;

	if (c->n == UINT64_MAX)
		return SP_ENOISE;
	/* A failed message leaves n alone, as the specification requires. */
	if ((r = sp_aead_decrypt(out, ct, len, ad, ad_len, c->n, c->k)) != 0)
		return r;
	c->n++;
	return 0;
}

/* SymmetricState (section 5.2). */

static void
mix_hash(sp_noise_hs *hs, const uint8_t *data, size_t len)
{
	sp_hash64(hs->h, hs->h, HASHLEN, data, len);
}

/*
 * HKDF(chaining_key, input_key_material, 2 or 3) of section 4.3. out1 may
 * be chaining_key itself; out3 is NULL for two outputs.
 */
static void
hkdf(const uint8_t ck[HASHLEN], const uint8_t *ikm, size_t ikm_len,
    uint8_t out1[HASHLEN], uint8_t out2[HASHLEN], uint8_t out3[HASHLEN])
{
	uint8_t temp[HASHLEN];
	const uint8_t one = 1, two = 2, three = 3;

	sp_hmac_blake2b(temp, ck, ikm, ikm_len, NULL, 0);
	sp_hmac_blake2b(out1, temp, &one, 1, NULL, 0);
	sp_hmac_blake2b(out2, temp, out1, HASHLEN, &two, 1);
	if (out3 != NULL)
		sp_hmac_blake2b(out3, temp, out2, HASHLEN, &three, 1);
	sp_memzero(temp, sizeof(temp));
}

/* InitializeKey with the first 32 bytes of an HKDF output. */
static void
set_key(sp_noise_hs *hs, const uint8_t temp_k[HASHLEN])
{
	memcpy(hs->cs.k, temp_k, sizeof(hs->cs.k));
	hs->cs.n = 0;
	hs->has_k = true;
}

static void
mix_key(sp_noise_hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t temp_k[HASHLEN];

	hkdf(hs->ck, ikm, len, hs->ck, temp_k, NULL);
	set_key(hs, temp_k);
	sp_memzero(temp_k, sizeof(temp_k));
}

static void
mix_key_and_hash(sp_noise_hs *hs, const uint8_t *ikm, size_t len)
{
	uint8_t temp_h[HASHLEN], temp_k[HASHLEN];

	hkdf(hs->ck, ikm, len, hs->ck, temp_h, temp_k);
	mix_hash(hs, temp_h, sizeof(temp_h));
	set_key(hs, temp_k);
	sp_memzero(temp_h, sizeof(temp_h));
	sp_memzero(temp_k, sizeof(temp_k));
}

/* Writes len (+ a tag once there is a key) bytes to out; *n gets how many. */
static int
encrypt_and_hash(sp_noise_hs *hs, const uint8_t *pt, size_t len,
    uint8_t *out, size_t *n)
{
	int r;

	if (hs->has_k) {
		if ((r = cipher_encrypt_ad(&hs->cs, hs->h, HASHLEN, pt, len,
		    out)) != 0)
			return r;
		len += TAGLEN;
	} else if (len > 0) {
		memcpy(out, pt, len);
	}
	mix_hash(hs, out, len);
	*n = len;
	return 0;
}

/* ct and out must not overlap: h absorbs ct after the decryption. */
static int
decrypt_and_hash(sp_noise_hs *hs, const uint8_t *ct, size_t len, uint8_t *out)
{
	int r;

	if (hs->has_k) {
		if ((r = cipher_decrypt_ad(&hs->cs, hs->h, HASHLEN, ct, len,
		    out)) != 0)
			return r;
	} else if (len > 0) {
		memcpy(out, ct, len);
	}
	mix_hash(hs, ct, len);
	return 0;
}

/* HandshakeState (section 5.3). */

static bool
my_turn(const sp_noise_hs *hs)
{
	/* The initiator writes messages 0 and 2, the responder message 1. */
	return hs->step < NMSG && (hs->step % 2 == 0) == hs->initiator;
}

/*
 * Bytes a message adds to its payload, worked out from the tokens before
 * any state changes, so that a size error leaves the handshake usable.
 */
static size_t
overhead(const sp_noise_hs *hs, const uint8_t *tok)
{
	bool has_k = hs->has_k;
	size_t n = 0;

	for (; *tok != T_END; tok++) {
		switch (*tok) {
		case T_E:
			n += DHLEN;
			has_k = has_k || hs->pat->psk;
			break;
		case T_S:
			n += DHLEN + (has_k ? TAGLEN : 0);
			break;
		default:
			has_k = true;
			break;
		}
	}
	return n + (has_k ? TAGLEN : 0);
}

/* MixKey(DH(local, remote)) for ee, es and se from this side's view. */
static int
mix_dh(sp_noise_hs *hs, enum token tok)
{
	const uint8_t *local, *remote;
	uint8_t dh[DHLEN];

	switch (tok) {
	case T_EE:
		local = hs->e;
		remote = hs->re;
		break;
	case T_ES:
		local = hs->initiator ? hs->e : hs->s;
		remote = hs->initiator ? hs->rs : hs->re;
		break;
	default: /* T_SE */
		local = hs->initiator ? hs->s : hs->e;
		remote = hs->initiator ? hs->re : hs->rs;
		break;
	}
	/* A small-order point from the peer would give a known secret. */
	if (sp_x25519(dh, local, remote) != 0)
		return SP_ENOISE;
	mix_key(hs, dh, sizeof(dh));
	sp_memzero(dh, sizeof(dh));
	return 0;
}

/* The tokens both directions handle alike: ee, es, se and psk. */
static int
mix_token(sp_noise_hs *hs, enum token tok)
{
	if (tok == T_PSK) {
		mix_key_and_hash(hs, hs->psk, sizeof(hs->psk));
		return 0;
	}
	return mix_dh(hs, tok);
}

/* The "e" token's effect on the state, after the key is in place. */
static void
mix_e(sp_noise_hs *hs, const uint8_t e_pub[DHLEN])
{
	mix_hash(hs, e_pub, DHLEN);
	if (hs->pat->psk)
		mix_key(hs, e_pub, DHLEN);
}

int
sp_noise_hs_new(enum sp_noise_pattern pattern, bool initiator,
    const uint8_t *prologue, size_t prologue_len,
    const uint8_t s_priv[SP_NOISE_KEY_BYTES], const uint8_t *psk,
    sp_noise_hs **out)
{
	sp_noise_hs *hs;

	*out = NULL;
	if ((pattern != SP_NOISE_XX && pattern != SP_NOISE_XXPSK3) ||
	    s_priv == NULL || (prologue == NULL && prologue_len > 0))
		return SP_EINVAL;
	if (patterns[pattern].psk != (psk != NULL))
		return SP_EINVAL;
	if ((hs = calloc(1, sizeof(*hs))) == NULL)
		return SP_ENOMEM;
	hs->pat = &patterns[pattern];
	hs->initiator = initiator;
	/* Initialize(): h is the zero-padded name (calloc did the padding). */
	memcpy(hs->h, hs->pat->name, strlen(hs->pat->name));
	memcpy(hs->ck, hs->h, HASHLEN);
	mix_hash(hs, prologue, prologue_len);
	memcpy(hs->s, s_priv, DHLEN);
	sp_x25519_base(hs->s_pub, hs->s);
	if (psk != NULL)
		memcpy(hs->psk, psk, sizeof(hs->psk));
	*out = hs;
	return 0;
}

void
sp_noise_hs_free(sp_noise_hs *hs)
{
	if (hs == NULL)
		return;
	sp_memzero(hs, sizeof(*hs));
	free(hs);
}

int
sp_noise_hs_set_ephemeral(sp_noise_hs *hs, const uint8_t e_priv[SP_NOISE_KEY_BYTES])
{
	if (hs->has_e || hs->dead)
		return SP_EINVAL;
	memcpy(hs->e, e_priv, DHLEN);
	hs->has_e = true;
	return 0;
}

int
sp_noise_hs_write(sp_noise_hs *hs, const uint8_t *payload, size_t payload_len,
    uint8_t *out, size_t size, size_t *out_len)
{
	const uint8_t *tok;
	size_t over, n, len = 0;
	int r;

	*out_len = 0;
	if (hs->dead || !my_turn(hs))
		return SP_EINVAL;
	tok = hs->pat->msgs[hs->step];
	over = overhead(hs, tok);
	if (payload_len > SP_NOISE_MSG_MAX - over || payload_len + over > size)
		return SP_ETOOBIG;
	for (; *tok != T_END; tok++) {
		switch (*tok) {
		case T_E:
			if (!hs->has_e) {
				sp_randombytes(hs->e, DHLEN);
				hs->has_e = true;
			}
			sp_x25519_base(hs->e_pub, hs->e);
			memcpy(out + len, hs->e_pub, DHLEN);
			len += DHLEN;
			mix_e(hs, hs->e_pub);
			break;
		case T_S:
			if ((r = encrypt_and_hash(hs, hs->s_pub, DHLEN, out + len,
			    &n)) != 0)
				goto out;
			len += n;
			break;
		default:
			if ((r = mix_token(hs, *tok)) != 0)
				goto out;
			break;
		}
	}
	if ((r = encrypt_and_hash(hs, payload, payload_len, out + len, &n)) != 0)
		goto out;
	len += n;
	hs->step++;
	*out_len = len;
	r = 0;
out:
	if (r != 0)
		hs->dead = true;
	return r;
}

int
sp_noise_hs_read(sp_noise_hs *hs, const uint8_t *msg, size_t msg_len,
    uint8_t *payload, size_t size, size_t *payload_len)
{
	const uint8_t *tok, *p = msg;
	size_t over, n;
	int r;

	*payload_len = 0;
	if (hs->dead || hs->step >= NMSG || my_turn(hs))
		return SP_EINVAL;
	tok = hs->pat->msgs[hs->step];
	over = overhead(hs, tok);
	if (msg_len > SP_NOISE_MSG_MAX || msg_len < over) {
		r = SP_ENOISE;
		goto out;
	}
	/* The caller's buffer, not the message, is at fault: stay alive. */
	if (msg_len - over > size)
		return SP_ETOOBIG;
	for (; *tok != T_END; tok++) {
		switch (*tok) {
		case T_E:
			memcpy(hs->re, p, DHLEN);
			p += DHLEN;
			mix_e(hs, hs->re);
			break;
		case T_S:
			n = DHLEN + (hs->has_k ? TAGLEN : 0);
			if ((r = decrypt_and_hash(hs, p, n, hs->rs)) != 0)
				goto out;
			hs->has_rs = true;
			p += n;
			break;
		default:
			if ((r = mix_token(hs, *tok)) != 0)
				goto out;
			break;
		}
	}
	if ((r = decrypt_and_hash(hs, p, msg_len - (size_t)(p - msg),
	    payload)) != 0)
		goto out;
	hs->step++;
	*payload_len = msg_len - over;
	r = 0;
out:
	if (r != 0)
		hs->dead = true;
	return r;
}

bool
sp_noise_hs_done(const sp_noise_hs *hs)
{
	return !hs->dead && hs->step == NMSG;
}

int
sp_noise_hs_remote_static(const sp_noise_hs *hs, uint8_t rs[SP_NOISE_KEY_BYTES])
{
	memset(rs, 0, SP_NOISE_KEY_BYTES);
	if (hs->dead || !hs->has_rs)
		return SP_EINVAL;
	memcpy(rs, hs->rs, SP_NOISE_KEY_BYTES);
	return 0;
}

void
sp_noise_hs_hash(const sp_noise_hs *hs, uint8_t h[SP_NOISE_HASH_BYTES])
{
	memcpy(h, hs->h, SP_NOISE_HASH_BYTES);
}

int
sp_noise_hs_split(sp_noise_hs *hs, sp_cipher *send, sp_cipher *recv)
{
	uint8_t k1[HASHLEN], k2[HASHLEN];

	memset(send, 0, sizeof(*send));
	memset(recv, 0, sizeof(*recv));
	if (!sp_noise_hs_done(hs) || hs->split)
		return SP_EINVAL;
	hkdf(hs->ck, NULL, 0, k1, k2, NULL);
	/* The initiator sends with the first key (section 5.2, Split()). */
	memcpy(send->k, hs->initiator ? k1 : k2, sizeof(send->k));
	memcpy(recv->k, hs->initiator ? k2 : k1, sizeof(recv->k));
	sp_memzero(k1, sizeof(k1));
	sp_memzero(k2, sizeof(k2));
	/* Only h (channel binding) and rs stay useful after the split. */
	sp_memzero(hs->ck, sizeof(hs->ck));
	sp_memzero(&hs->cs, sizeof(hs->cs));
	sp_memzero(hs->s, sizeof(hs->s));
	sp_memzero(hs->e, sizeof(hs->e));
	sp_memzero(hs->psk, sizeof(hs->psk));
	hs->split = true;
	return 0;
}

int
sp_cipher_encrypt(sp_cipher *c, const uint8_t *pt, size_t len, uint8_t *out)
{
	if (len > SP_NOISE_PAYLOAD_MAX)
		return SP_ETOOBIG;
	return cipher_encrypt_ad(c, NULL, 0, pt, len, out);
}

int
sp_cipher_decrypt(sp_cipher *c, const uint8_t *ct, size_t len, uint8_t *out)
{
	if (len > SP_NOISE_MSG_MAX)
		return SP_ENOISE;
	return cipher_decrypt_ad(c, NULL, 0, ct, len, out);
}

void
sp_cipher_wipe(sp_cipher *c)
{
	sp_memzero(c, sizeof(*c));
}

/*
 * fuzz_noise.c - Noise handshake and transport messages from a hostile
 * peer.
 *
 * Input: a mode byte, then frames of a 2-byte big-endian length and that
 * many bytes (a short last frame takes what is left). Bit 0 of the mode
 * picks XX or XXpsk3; bits 1-2 the role under attack:
 *   0: a responder reads frame 1 as message 1, answers, reads frame 2 as
 *      message 3;
 *   1: an initiator sends its (fixed) message 1 and reads frame 1 as
 *      message 2, then answers;
 *   2: transport only, after a handshake with fixed keys.
 * Whatever frames remain once a handshake completes are transport
 * ciphertexts for the side under attack. Both sides use fixed static and
 * ephemeral keys, so the messages of a fixed-key run (the seed corpus)
 * are valid and the fuzzer starts past every check.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "buf.h"
#include "crypto.h"
#include "noise.h"
#include "sp_err.h"

static const uint8_t key_is[32] = { 1 }, key_ie[32] = { 2 };
static const uint8_t key_rs[32] = { 3 }, key_re[32] = { 4 };
static const uint8_t psk[32] = { 5 };
static const uint8_t prologue[] = "simpul/1";

struct input {
	const uint8_t *p;
	size_t left;
};

/* The next frame of in; false when nothing is left. */
static bool
next_frame(struct input *in, const uint8_t **frame, size_t *len)
{
	size_t n;

	if (in->left == 0)
		return false;
	if (in->left < 2) {
		n = in->left;
		*frame = in->p;
	} else {
		n = sp_get_be16(in->p);
		in->p += 2;
		in->left -= 2;
		if (n > in->left)
			n = in->left;
		*frame = in->p;
	}
	*len = n;
	in->p += n;
	in->left -= n;
	return true;
}

static sp_noise_hs *
party(enum sp_noise_pattern pattern, bool initiator)
{
	sp_noise_hs *hs;

	CHECK(sp_noise_hs_new(pattern, initiator, prologue,
	    sizeof(prologue) - 1, initiator ? key_is : key_rs,
	    pattern == SP_NOISE_XXPSK3 ? psk : NULL, &hs) == 0);
	CHECK(sp_noise_hs_set_ephemeral(hs, initiator ? key_ie : key_re) == 0);
	return hs;
}

/* Reads a hostile handshake message; true if hs accepted it. */
static bool
hostile_read(sp_noise_hs *hs, const uint8_t *msg, size_t len)
{
	static uint8_t payload[SP_NOISE_MSG_MAX];
	size_t plen = 1;
	int rc;

	rc = sp_noise_hs_read(hs, msg, len, payload, sizeof(payload), &plen);
	if (rc != 0) {
		CHECK(rc == SP_ENOISE && plen == 0);
		return false;
	}
	CHECK(plen <= len);
	if (plen > 0)
		(void)memchr(payload, 0xff, plen);
	return true;
}

/* This side's next handshake message into msg; false if it failed. */
static bool
answer(sp_noise_hs *hs, uint8_t *msg, size_t *len)
{
	int rc;

	rc = sp_noise_hs_write(hs, NULL, 0, msg, SP_NOISE_MSG_MAX, len);
	/* Only a peer's ephemeral key of small order can make this fail. */
	CHECK(rc == 0 || (rc == SP_ENOISE && *len == 0));
	return rc == 0;
}

/* Runs a whole handshake between two fixed parties. */
static void
complete(enum sp_noise_pattern pattern, sp_noise_hs **init, sp_noise_hs **resp)
{
	static uint8_t msg[SP_NOISE_MSG_MAX], pt[SP_NOISE_MSG_MAX];
	size_t len, plen;
	int i;

	*init = party(pattern, true);
	*resp = party(pattern, false);
	for (i = 0; i < 3; i++) {
		CHECK(answer(i % 2 == 0 ? *init : *resp, msg, &len));
		CHECK(sp_noise_hs_read(i % 2 == 0 ? *resp : *init, msg, len,
		    pt, sizeof(pt), &plen) == 0);
	}
}

static void
transport(sp_noise_hs *hs, struct input *in)
{
	static uint8_t out[SP_NOISE_MSG_MAX];
	const uint8_t *frame;
	sp_cipher tx, rx;
	uint64_t n;
	size_t len;
	int rc;

	CHECK(sp_noise_hs_done(hs));
	CHECK(sp_noise_hs_split(hs, &tx, &rx) == 0);
	while (next_frame(in, &frame, &len)) {
		n = rx.n;
		rc = sp_cipher_decrypt(&rx, frame, len, out);
		if (rc == 0) {
			CHECK(len >= SP_NOISE_TAG_BYTES && rx.n == n + 1);
			(void)memchr(out, 0xff, len - SP_NOISE_TAG_BYTES);
		} else {
			CHECK(rc == SP_ENOISE && rx.n == n);
		}
	}
	sp_cipher_wipe(&tx);
	sp_cipher_wipe(&rx);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int initialised;
	static uint8_t msg[SP_NOISE_MSG_MAX];
	struct input in = { data + 1, size > 0 ? size - 1 : 0 };
	enum sp_noise_pattern pattern;
	sp_noise_hs *hs = NULL, *other = NULL;
	const uint8_t *frame;
	size_t len;

	if (!initialised) {
		CHECK(sp_crypto_init() == 0);
		initialised = 1;
	}
	if (size == 0)
		return 0;
	pattern = (data[0] & 1) ? SP_NOISE_XXPSK3 : SP_NOISE_XX;
	switch ((data[0] >> 1) & 3) {
	case 0:
		hs = party(pattern, false);
		if (!next_frame(&in, &frame, &len) ||
		    !hostile_read(hs, frame, len) || !answer(hs, msg, &len) ||
		    !next_frame(&in, &frame, &len) ||
		    !hostile_read(hs, frame, len))
			goto out;
		break;
	case 1:
		hs = party(pattern, true);
		CHECK(answer(hs, msg, &len));
		if (!next_frame(&in, &frame, &len) ||
		    !hostile_read(hs, frame, len) || !answer(hs, msg, &len))
			goto out;
		break;
	default:
		complete(pattern, &other, &hs);
		break;
	}
	transport(hs, &in);
out:
	sp_noise_hs_free(hs);
	sp_noise_hs_free(other);
	return 0;
}

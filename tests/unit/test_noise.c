/*
 * test_noise.c - Noise_XX and Noise_XXpsk3 (25519, ChaChaPoly, BLAKE2b)
 * against every vector in $SP_VECTORS/noise/ for those two names, in both
 * roles; handshakes with random and Ed25519-derived keys; tampering, wrong
 * keys, prologues and patterns; turn order; the transport ciphers.
 */
#define _GNU_SOURCE 1
#include "sp_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto.h"
#include "noise.h"
#include "sp_err.h"

#define KEY SP_NOISE_KEY_BYTES
#define MAX_MSGS 16

static const uint8_t prologue[] = "simpul/1";
#define PROLOGUE_LEN (sizeof(prologue) - 1)

/* One vector, in either source format, decoded to bytes. */
struct vec {
	char label[128];
	enum sp_noise_pattern pattern;
	bool flynn;             /* flynn/noise's transport direction rule */
	uint8_t *prologue;
	size_t prologue_len;
	uint8_t *init_s, *init_e, *resp_s, *resp_e;
	uint8_t *psk;           /* NULL without one */
	uint8_t *hash;          /* NULL when the source has none */
	size_t nmsg;
	uint8_t *payload[MAX_MSGS], *ct[MAX_MSGS];
	size_t payload_len[MAX_MSGS], ct_len[MAX_MSGS];
};

static void
vec_free(struct vec *v)
{
	size_t i;

	free(v->prologue);
	free(v->init_s);
	free(v->init_e);
	free(v->resp_s);
	free(v->resp_e);
	free(v->psk);
	free(v->hash);
	for (i = 0; i < v->nmsg; i++) {
		free(v->payload[i]);
		free(v->ct[i]);
	}
	memset(v, 0, sizeof(*v));
}

static enum sp_noise_pattern
pattern_named(const char *name)
{
	if (strcmp(name, "Noise_XX_25519_ChaChaPoly_BLAKE2b") == 0)
		return SP_NOISE_XX;
	assert_string_equal(name, "Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b");
	return SP_NOISE_XXPSK3;
}

static uint8_t *
unhex_str(json_t *s, size_t *len)
{
	uint8_t *p;

	assert_true(json_is_string(s));
	p = sp_test_unhex(json_string_value(s), len);
	assert_non_null(p);
	return p;
}

/* The hex field key of o, or NULL when o has none. */
static uint8_t *
hex_field(json_t *o, const char *key, size_t *len)
{
	json_t *s = json_object_get(o, key);

	*len = 0;
	return s == NULL ? NULL : unhex_str(s, len);
}

static uint8_t *
key_field(json_t *o, const char *key)
{
	size_t len;
	uint8_t *p = hex_field(o, key, &len);

	assert_non_null(p);
	assert_int_equal(len, KEY);
	return p;
}

static void
add_message(struct vec *v, json_t *payload, json_t *ct)
{
	assert_true(v->nmsg < MAX_MSGS);
	v->payload[v->nmsg] = unhex_str(payload, &v->payload_len[v->nmsg]);
	v->ct[v->nmsg] = unhex_str(ct, &v->ct_len[v->nmsg]);
	v->nmsg++;
}

/* A vector of the cacophony/snow/noise-c JSON format (SOURCE.md). */
static void
parse_json_vector(json_t *o, size_t index, struct vec *v)
{
	json_t *name = json_object_get(o, "protocol_name"), *msgs, *m, *psks;
	uint8_t *resp_prologue;
	size_t len, i;

	memset(v, 0, sizeof(*v));
	if (name == NULL)
		name = json_object_get(o, "name");
	assert_true(json_is_string(name));
	snprintf(v->label, sizeof(v->label), "%s vectors[%zu]",
	    json_string_value(name), index);
	v->pattern = pattern_named(json_string_value(name));
	v->prologue = hex_field(o, "init_prologue", &v->prologue_len);
	resp_prologue = hex_field(o, "resp_prologue", &len);
	assert_int_equal(len, v->prologue_len);
	if (len > 0)
		assert_memory_equal(resp_prologue, v->prologue, len);
	free(resp_prologue);
	v->init_s = key_field(o, "init_static");
	v->init_e = key_field(o, "init_ephemeral");
	v->resp_s = key_field(o, "resp_static");
	v->resp_e = key_field(o, "resp_ephemeral");
	if ((psks = json_object_get(o, "init_psks")) != NULL &&
	    json_array_size(psks) > 0) {
		assert_int_equal(json_array_size(psks), 1);
		v->psk = unhex_str(json_array_get(psks, 0), &len);
		assert_int_equal(len, KEY);
		assert_true(json_equal(psks, json_object_get(o, "resp_psks")));
	}
	v->hash = hex_field(o, "handshake_hash", &len);
	if (v->hash != NULL)
		assert_int_equal(len, SP_NOISE_HASH_BYTES);
	msgs = json_object_get(o, "messages");
	assert_true(json_is_array(msgs));
	json_array_foreach(msgs, i, m)
		add_message(v, json_object_get(m, "payload"),
		    json_object_get(m, "ciphertext"));
}

/* A flynn/noise key=value block (SOURCE.md). */
static void
parse_flynn_vector(json_t *o, size_t index, struct vec *v)
{
	json_t *name = json_object_get(o, "handshake"), *pl, *ct;
	char pk[32], ck[32];
	size_t len;

	memset(v, 0, sizeof(*v));
	assert_true(json_is_string(name));
	snprintf(v->label, sizeof(v->label), "%s flynn_noise_vectors[%zu]",
	    json_string_value(name), index);
	v->pattern = pattern_named(json_string_value(name));
	v->flynn = true;
	v->prologue = hex_field(o, "prologue", &v->prologue_len);
	v->init_s = key_field(o, "init_static");
	v->init_e = key_field(o, "gen_init_ephemeral");
	v->resp_s = key_field(o, "resp_static");
	v->resp_e = key_field(o, "gen_resp_ephemeral");
	if ((v->psk = hex_field(o, "preshared_key", &len)) != NULL)
		assert_int_equal(len, KEY);
	for (;;) {
		snprintf(pk, sizeof(pk), "msg_%zu_payload", v->nmsg);
		snprintf(ck, sizeof(ck), "msg_%zu_ciphertext", v->nmsg);
		pl = json_object_get(o, pk);
		ct = json_object_get(o, ck);
		if (pl == NULL && ct == NULL)
			break;
		add_message(v, pl, ct);
	}
}

/* $SP_VECTORS/noise/NAME.json, whose protocol_name must be name. */
static json_t *
load_vectors(const char *name)
{
	const char *dir = sp_test_vectors();
	json_error_t err;
	json_t *root;
	char *path;

	/* Missing vectors fail the test: they are part of the contract. */
	if (dir == NULL)
		fail_msg("SP_VECTORS is not set (ctest sets it)");
	assert_true(asprintf(&path, "%s/noise/%s.json", dir, name) > 0);
	root = json_load_file(path, 0, &err);
	if (root == NULL)
		fail_msg("%s: %s", path, err.text);
	free(path);
	assert_string_equal(json_string_value(json_object_get(root,
	    "protocol_name")), name);
	return root;
}

static sp_noise_hs *
hs_new(enum sp_noise_pattern pattern, bool initiator, const uint8_t *pro,
    size_t pro_len, const uint8_t *s, const uint8_t *psk, const uint8_t *e)
{
	sp_noise_hs *hs;

	assert_int_equal(sp_noise_hs_new(pattern, initiator, pro, pro_len, s,
	    psk, &hs), 0);
	if (e != NULL)
		assert_int_equal(sp_noise_hs_set_ephemeral(hs, e), 0);
	return hs;
}

/* The remote static key hs learned is the public key of s. */
static void
assert_remote_static(const sp_noise_hs *hs, const uint8_t *s)
{
	uint8_t rs[KEY], pub[KEY];

	sp_x25519_base(pub, s);
	assert_int_equal(sp_noise_hs_remote_static(hs, rs), 0);
	assert_memory_equal(rs, pub, KEY);
}

static void
run_vector(const struct vec *v)
{
	sp_noise_hs *init, *resp, *w, *r;
	sp_cipher init_tx, init_rx, resp_tx, resp_rx, *tx, *rx;
	uint8_t buf[SP_NOISE_MSG_MAX], pt[SP_NOISE_MSG_MAX];
	uint8_t h1[SP_NOISE_HASH_BYTES], h2[SP_NOISE_HASH_BYTES];
	size_t i, len, plen;
	bool from_init;

	print_message("%s\n", v->label);
	assert_true(v->nmsg >= 3);
	init = hs_new(v->pattern, true, v->prologue, v->prologue_len,
	    v->init_s, v->psk, v->init_e);
	resp = hs_new(v->pattern, false, v->prologue, v->prologue_len,
	    v->resp_s, v->psk, v->resp_e);

	/* Handshake messages alternate, the initiator first. */
	for (i = 0; i < 3; i++) {
		w = i % 2 == 0 ? init : resp;
		r = i % 2 == 0 ? resp : init;
		assert_int_equal(sp_noise_hs_write(w, v->payload[i],
		    v->payload_len[i], buf, sizeof(buf), &len), 0);
		assert_int_equal(len, v->ct_len[i]);
		assert_memory_equal(buf, v->ct[i], len);
		assert_int_equal(sp_noise_hs_read(r, v->ct[i], v->ct_len[i],
		    pt, sizeof(pt), &plen), 0);
		assert_int_equal(plen, v->payload_len[i]);
		if (plen > 0)
			assert_memory_equal(pt, v->payload[i], plen);
	}
	assert_true(sp_noise_hs_done(init));
	assert_true(sp_noise_hs_done(resp));
	assert_remote_static(init, v->resp_s);
	assert_remote_static(resp, v->init_s);
	sp_noise_hs_hash(init, h1);
	sp_noise_hs_hash(resp, h2);
	assert_memory_equal(h1, h2, sizeof(h1));
	if (v->hash != NULL)
		assert_memory_equal(h1, v->hash, sizeof(h1));

	assert_int_equal(sp_noise_hs_split(init, &init_tx, &init_rx), 0);
	assert_int_equal(sp_noise_hs_split(resp, &resp_tx, &resp_rx), 0);
	for (i = 3; i < v->nmsg; i++) {
		/*
		 * The JSON format keeps alternating by overall index; flynn
		 * restarts with the initiator after the handshake.
		 */
		from_init = v->flynn ? (i - 3) % 2 == 0 : i % 2 == 0;
		tx = from_init ? &init_tx : &resp_tx;
		rx = from_init ? &resp_rx : &init_rx;
		assert_int_equal(sp_cipher_encrypt(tx, v->payload[i],
		    v->payload_len[i], buf), 0);
		assert_int_equal(v->payload_len[i] + SP_NOISE_TAG_BYTES,
		    v->ct_len[i]);
		assert_memory_equal(buf, v->ct[i], v->ct_len[i]);
		assert_int_equal(sp_cipher_decrypt(rx, v->ct[i], v->ct_len[i],
		    pt), 0);
		if (v->payload_len[i] > 0)
			assert_memory_equal(pt, v->payload[i], v->payload_len[i]);
	}
	sp_noise_hs_free(init);
	sp_noise_hs_free(resp);
}

/* Runs every vector of a file; returns how many ran. */
static size_t
run_file(const char *name)
{
	json_t *root = load_vectors(name), *list, *o;
	struct vec v;
	size_t i, n = 0;

	list = json_object_get(root, "vectors");
	assert_true(json_array_size(list) > 0);
	json_array_foreach(list, i, o) {
		parse_json_vector(o, i, &v);
		run_vector(&v);
		vec_free(&v);
		n++;
	}
	list = json_object_get(root, "flynn_noise_vectors");
	assert_true(json_array_size(list) > 0);
	json_array_foreach(list, i, o) {
		parse_flynn_vector(o, i, &v);
		run_vector(&v);
		vec_free(&v);
		n++;
	}
	json_decref(root);
	return n;
}

static void
test_vectors_xx(void **state)
{
	(void)state;
	/* SOURCE.md: 3 JSON-format and 4 flynn vectors. */
	assert_int_equal(run_file("Noise_XX_25519_ChaChaPoly_BLAKE2b"), 7);
}

static void
test_vectors_xxpsk3(void **state)
{
	(void)state;
	assert_int_equal(run_file("Noise_XXpsk3_25519_ChaChaPoly_BLAKE2b"), 5);
}

/*
 * Fixed keys for the failure tests, so that each run is the same run.
 * The ephemeral keys are set unless NULL is asked for.
 */
static const uint8_t key_is[KEY] = { 1 }, key_ie[KEY] = { 2 };
static const uint8_t key_rs[KEY] = { 3 }, key_re[KEY] = { 4 };
static const uint8_t psk_a[KEY] = { 5 }, psk_b[KEY] = { 6 };

enum mutation { M_NONE, M_FLIP, M_CUT, M_GROW };

struct run {
	int rc;                 /* first failure, 0 if none */
	int at;                 /* the message it happened at, -1 if none */
	bool intact;            /* every payload read was the one sent */
	size_t len[3];          /* lengths of the messages sent */
};

/*
 * Drives a handshake between init and resp, every message carrying a
 * short payload, and changes message msg with mutation m at byte pos on
 * its way. Stops at the first failure.
 */
static struct run
drive(sp_noise_hs *init, sp_noise_hs *resp, int msg, enum mutation m,
    size_t pos, uint8_t mask)
{
	static const uint8_t payload[] = { 'h', 'a', 'l', 'o' };
	uint8_t buf[SP_NOISE_MSG_MAX + 1], pt[SP_NOISE_MSG_MAX];
	struct run run = { 0, -1, true, { 0 } };
	size_t len, plen = 0;
	int i, rc;

	for (i = 0; i < 3; i++) {
		rc = sp_noise_hs_write(i % 2 == 0 ? init : resp, payload,
		    sizeof(payload), buf, sizeof(buf) - 1, &len);
		if (rc == 0) {
			run.len[i] = len;
			if (i == msg && m == M_FLIP)
				buf[pos] ^= mask;
			else if (i == msg && m == M_CUT)
				len = pos;
			else if (i == msg && m == M_GROW)
				buf[len++] = mask;
			rc = sp_noise_hs_read(i % 2 == 0 ? resp : init, buf,
			    len, pt, sizeof(pt), &plen);
		}
		if (rc != 0) {
			run.rc = rc;
			run.at = i;
			return run;
		}
		if (plen != sizeof(payload) || memcmp(pt, payload, plen) != 0)
			run.intact = false;
	}
	return run;
}

/* A run between fresh parties with fixed keys; frees them. */
static struct run
run_fixed(enum sp_noise_pattern pi, enum sp_noise_pattern pr,
    const uint8_t *pro_i, const uint8_t *pro_r, int msg, enum mutation m,
    size_t pos, uint8_t mask)
{
	sp_noise_hs *init, *resp;
	struct run run;

	init = hs_new(pi, true, pro_i, strlen((const char *)pro_i), key_is,
	    pi == SP_NOISE_XX ? NULL : psk_a, key_ie);
	resp = hs_new(pr, false, pro_r, strlen((const char *)pro_r), key_rs,
	    pr == SP_NOISE_XX ? NULL : psk_a, key_re);
	run = drive(init, resp, msg, m, pos, mask);
	if (run.rc == 0) {
		assert_true(run.intact);
		assert_true(sp_noise_hs_done(init));
		assert_true(sp_noise_hs_done(resp));
	}
	sp_noise_hs_free(init);
	sp_noise_hs_free(resp);
	return run;
}

static void
assert_mutation_fails(enum sp_noise_pattern p, int msg, enum mutation m,
    size_t pos, uint8_t mask)
{
	struct run run = run_fixed(p, p, prologue, prologue, msg, m, pos, mask);
	int want = msg;

	/*
	 * XX's first message carries no key yet, so nothing in it is
	 * authenticated on arrival (unless it is too short to hold the
	 * ephemeral key); the change reaches h and the initiator rejects the
	 * reply. Every other message is checked as it is read.
	 */
	if (p == SP_NOISE_XX && msg == 0 && !(m == M_CUT && pos < KEY))
		want = 1;

	if (run.rc != SP_ENOISE || run.at != want)
		fail_msg("pattern %d message %d mutation %d at %zu mask %02x: "
		    "rc %d at message %d", (int)p, msg, (int)m, pos, mask,
		    run.rc, run.at);
}

static void
test_tamper(void **state)
{
	enum sp_noise_pattern p;
	struct run clean;
	size_t pos;
	int msg;

	(void)state;
	for (p = SP_NOISE_XX; p <= SP_NOISE_XXPSK3; p++) {
		clean = run_fixed(p, p, prologue, prologue, -1, M_NONE, 0, 0);
		assert_int_equal(clean.rc, 0);
		for (msg = 0; msg < 3; msg++) {
			for (pos = 0; pos < clean.len[msg]; pos++) {
				/* Bit 255 of an X25519 key is ignored by DH. */
				assert_mutation_fails(p, msg, M_FLIP, pos, 0x01);
				assert_mutation_fails(p, msg, M_FLIP, pos, 0x80);
				assert_mutation_fails(p, msg, M_CUT, pos, 0);
			}
			assert_mutation_fails(p, msg, M_GROW, 0, 0x00);
		}
	}
}

static void
test_wrong_psk(void **state)
{
	sp_noise_hs *init, *resp;
	struct run run;

	(void)state;
	init = hs_new(SP_NOISE_XXPSK3, true, prologue, PROLOGUE_LEN, key_is,
	    psk_a, NULL);
	resp = hs_new(SP_NOISE_XXPSK3, false, prologue, PROLOGUE_LEN, key_rs,
	    psk_b, NULL);
	run = drive(init, resp, -1, M_NONE, 0, 0);
	/* psk3 mixes the key in with the last message. */
	assert_int_equal(run.rc, SP_ENOISE);
	assert_int_equal(run.at, 2);
	assert_false(sp_noise_hs_done(resp));
	sp_noise_hs_free(init);
	sp_noise_hs_free(resp);
}

static void
test_pattern_mismatch(void **state)
{
	struct run run;

	(void)state;
	/* The names differ, so h differs from the start. */
	run = run_fixed(SP_NOISE_XX, SP_NOISE_XXPSK3, prologue, prologue, -1,
	    M_NONE, 0, 0);
	assert_int_equal(run.rc, SP_ENOISE);
	assert_int_equal(run.at, 0);
	run = run_fixed(SP_NOISE_XXPSK3, SP_NOISE_XX, prologue, prologue, -1,
	    M_NONE, 0, 0);
	assert_int_equal(run.rc, SP_ENOISE);
	assert_int_equal(run.at, 1);
}

static void
test_wrong_prologue(void **state)
{
	struct run run;

	(void)state;
	run = run_fixed(SP_NOISE_XX, SP_NOISE_XX, prologue,
	    (const uint8_t *)"simpul/2", -1, M_NONE, 0, 0);
	assert_int_equal(run.rc, SP_ENOISE);
	assert_int_equal(run.at, 1);
	run = run_fixed(SP_NOISE_XXPSK3, SP_NOISE_XXPSK3, prologue,
	    (const uint8_t *)"simpul/2", -1, M_NONE, 0, 0);
	assert_int_equal(run.rc, SP_ENOISE);
	assert_int_equal(run.at, 0);
}

/* Sends len bytes of pt from tx to rx and checks they arrive. */
static void
transport_once(sp_cipher *tx, sp_cipher *rx, const uint8_t *pt, size_t len)
{
	uint8_t ct[256], out[256];

	assert_true(len + SP_NOISE_TAG_BYTES <= sizeof(ct));
	assert_int_equal(sp_cipher_encrypt(tx, pt, len, ct), 0);
	assert_int_equal(sp_cipher_decrypt(rx, ct, len + SP_NOISE_TAG_BYTES,
	    out), 0);
	assert_memory_equal(out, pt, len);
}

/*
 * The production handshake: static keys converted from Ed25519 node keys,
 * the real prologue, and the node id as payload of messages 2 and 3; each
 * side checks that the node id names the static key it authenticated.
 */
static void
node_handshake(enum sp_noise_pattern p)
{
	uint8_t ed_pk[2][32], ed_sk[2][64], x_sk[2][KEY], x[KEY], rs[KEY];
	uint8_t psk[KEY], buf[SP_NOISE_MSG_MAX], pt[SP_NOISE_MSG_MAX];
	uint8_t h[2][SP_NOISE_HASH_BYTES];
	sp_noise_hs *hs[2];
	sp_cipher tx[2], rx[2], spare;
	size_t len, plen;
	int i, w;

	sp_randombytes(psk, sizeof(psk));
	for (i = 0; i < 2; i++) {
		sp_sign_keypair(ed_pk[i], ed_sk[i]);
		assert_int_equal(sp_x25519_from_ed25519_sk(x_sk[i], ed_sk[i]), 0);
		hs[i] = hs_new(p, i == 0, prologue, PROLOGUE_LEN, x_sk[i],
		    p == SP_NOISE_XX ? NULL : psk, NULL);
	}
	for (i = 0; i < 3; i++) {
		w = i % 2;      /* 0: the initiator writes */
		assert_int_equal(sp_noise_hs_write(hs[w], ed_pk[w],
		    i == 0 ? 0 : 32, buf, sizeof(buf), &len), 0);
		assert_int_equal(sp_noise_hs_read(hs[!w], buf, len, pt,
		    sizeof(pt), &plen), 0);
		if (i == 0)
			continue;
		assert_int_equal(plen, 32);
		assert_memory_equal(pt, ed_pk[w], 32);
		assert_int_equal(sp_x25519_from_ed25519_pk(x, pt), 0);
		assert_int_equal(sp_noise_hs_remote_static(hs[!w], rs), 0);
		assert_memory_equal(x, rs, KEY);
	}
	for (i = 0; i < 2; i++) {
		assert_true(sp_noise_hs_done(hs[i]));
		sp_noise_hs_hash(hs[i], h[i]);
		assert_int_equal(sp_noise_hs_split(hs[i], &tx[i], &rx[i]), 0);
		/* Split() runs once: the handshake's secrets are gone. */
		assert_int_equal(sp_noise_hs_split(hs[i], &spare, &spare),
		    SP_EINVAL);
		sp_noise_hs_free(hs[i]);
	}
	assert_memory_equal(h[0], h[1], sizeof(h[0]));
	transport_once(&tx[0], &rx[1], ed_pk[0], sizeof(ed_pk[0]));
	transport_once(&tx[1], &rx[0], ed_pk[1], sizeof(ed_pk[1]));
}

static void
test_node_keys(void **state)
{
	(void)state;
	node_handshake(SP_NOISE_XX);
	node_handshake(SP_NOISE_XXPSK3);
}

static void
test_random_transport(void **state)
{
	uint8_t s[2][KEY], e_seen[KEY], buf[SP_NOISE_MSG_MAX], pt[SP_NOISE_MSG_MAX];
	uint8_t msg[100];
	sp_noise_hs *hs[2];
	sp_cipher tx[2], rx[2];
	size_t len, plen;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		sp_randombytes(s[i], KEY);
		hs[i] = hs_new(SP_NOISE_XX, i == 0, NULL, 0, s[i], NULL, NULL);
	}
	for (i = 0; i < 3; i++) {
		assert_int_equal(sp_noise_hs_write(hs[i % 2], NULL, 0, buf,
		    sizeof(buf), &len), 0);
		if (i == 0)
			memcpy(e_seen, buf, KEY);
		assert_int_equal(sp_noise_hs_read(hs[!(i % 2)], buf, len, pt,
		    0, &plen), 0);
		assert_int_equal(plen, 0);
	}
	assert_remote_static(hs[0], s[1]);
	assert_remote_static(hs[1], s[0]);
	for (i = 0; i < 2; i++) {
		assert_int_equal(sp_noise_hs_split(hs[i], &tx[i], &rx[i]), 0);
		sp_noise_hs_free(hs[i]);
	}
	assert_memory_equal(tx[0].k, rx[1].k, KEY);
	assert_memory_equal(tx[1].k, rx[0].k, KEY);
	assert_memory_not_equal(tx[0].k, tx[1].k, KEY);
	sp_randombytes(msg, sizeof(msg));
	for (i = 0; i < 10; i++) {
		transport_once(&tx[0], &rx[1], msg, (size_t)i * 10);
		transport_once(&tx[1], &rx[0], msg, sizeof(msg) - (size_t)i);
		assert_int_equal(tx[0].n, (uint64_t)i + 1);
		assert_int_equal(rx[0].n, (uint64_t)i + 1);
	}
	for (i = 0; i < 2; i++) {
		sp_cipher_wipe(&tx[i]);
		sp_cipher_wipe(&rx[i]);
	}
	assert_int_equal(tx[0].n, 0);
	/* A second fresh handshake picks a different ephemeral key. */
	hs[0] = hs_new(SP_NOISE_XX, true, NULL, 0, s[0], NULL, NULL);
	assert_int_equal(sp_noise_hs_write(hs[0], NULL, 0, buf, sizeof(buf),
	    &len), 0);
	assert_memory_not_equal(buf, e_seen, KEY);
	sp_noise_hs_free(hs[0]);
}

/* A pair of transport ciphers from a fixed-key handshake. */
static void
fixed_ciphers(sp_cipher *init_tx, sp_cipher *resp_rx)
{
	sp_cipher init_rx, resp_tx;
	sp_noise_hs *init, *resp;
	struct run run;

	init = hs_new(SP_NOISE_XX, true, prologue, PROLOGUE_LEN, key_is, NULL,
	    key_ie);
	resp = hs_new(SP_NOISE_XX, false, prologue, PROLOGUE_LEN, key_rs, NULL,
	    key_re);
	run = drive(init, resp, -1, M_NONE, 0, 0);
	assert_int_equal(run.rc, 0);
	assert_true(run.intact);
	assert_int_equal(sp_noise_hs_split(init, init_tx, &init_rx), 0);
	assert_int_equal(sp_noise_hs_split(resp, &resp_tx, resp_rx), 0);
	sp_noise_hs_free(init);
	sp_noise_hs_free(resp);
}

static void
test_transport_replay(void **state)
{
	static const uint8_t a[] = "iuran Maret", b[] = "iuran April";
	uint8_t ca[64], cb[64], ca2[64], out[64];
	size_t la = sizeof(a) + SP_NOISE_TAG_BYTES, lb = sizeof(b) + SP_NOISE_TAG_BYTES;
	sp_cipher tx, rx, tx2;

	(void)state;
	fixed_ciphers(&tx, &rx);
	tx2 = tx;
	assert_int_equal(sp_cipher_encrypt(&tx, a, sizeof(a), ca), 0);
	assert_int_equal(tx.n, 1);
	assert_int_equal(sp_cipher_encrypt(&tx, b, sizeof(b), cb), 0);
	assert_int_equal(tx.n, 2);
	/* The nonce is in the ciphertext: the same text twice differs. */
	assert_int_equal(sp_cipher_encrypt(&tx2, a, sizeof(a), ca2), 0);
	assert_memory_equal(ca2, ca, la);
	assert_int_equal(sp_cipher_encrypt(&tx2, a, sizeof(a), ca2), 0);
	assert_memory_not_equal(ca2, ca, la);

	/* Out of order: b fails and leaves the nonce for a. */
	assert_int_equal(sp_cipher_decrypt(&rx, cb, lb, out), SP_ENOISE);
	assert_int_equal(rx.n, 0);
	assert_int_equal(sp_cipher_decrypt(&rx, ca, la, out), 0);
	assert_memory_equal(out, a, sizeof(a));
	/* Replayed: a again fails. */
	assert_int_equal(sp_cipher_decrypt(&rx, ca, la, out), SP_ENOISE);
	assert_int_equal(rx.n, 1);
	/* Tampered, cut to less than a tag, or too long. */
	cb[3] ^= 1;
	assert_int_equal(sp_cipher_decrypt(&rx, cb, lb, out), SP_ENOISE);
	cb[3] ^= 1;
	assert_int_equal(sp_cipher_decrypt(&rx, cb, SP_NOISE_TAG_BYTES - 1,
	    out), SP_ENOISE);
	assert_int_equal(sp_cipher_decrypt(&rx, cb, SP_NOISE_MSG_MAX + 1, out),
	    SP_ENOISE);
	assert_int_equal(sp_cipher_decrypt(&rx, cb, lb, out), 0);
	assert_memory_equal(out, b, sizeof(b));
	assert_int_equal(rx.n, 2);

	/* In place, and the largest message. */
	{
		uint8_t *big = calloc(1, SP_NOISE_MSG_MAX);

		assert_non_null(big);
		assert_int_equal(sp_cipher_encrypt(&tx, big,
		    SP_NOISE_PAYLOAD_MAX + 1, big), SP_ETOOBIG);
		assert_int_equal(sp_cipher_encrypt(&tx, big,
		    SP_NOISE_PAYLOAD_MAX, big), 0);
		assert_int_equal(sp_cipher_decrypt(&rx, big, SP_NOISE_MSG_MAX,
		    big), 0);
		assert_int_equal(big[0], 0);
		assert_int_equal(big[SP_NOISE_PAYLOAD_MAX - 1], 0);
		free(big);
	}

	/* 2^64-1 is never used as a nonce. */
	tx.n = UINT64_MAX;
	rx.n = UINT64_MAX;
	assert_int_equal(sp_cipher_encrypt(&tx, a, sizeof(a), ca), SP_ENOISE);
	assert_int_equal(sp_cipher_decrypt(&rx, ca, la, out), SP_ENOISE);
	sp_cipher_wipe(&tx);
	sp_cipher_wipe(&rx);
	sp_cipher_wipe(&tx2);
}

static void
test_turns(void **state)
{
	uint8_t buf[SP_NOISE_MSG_MAX], pt[SP_NOISE_MSG_MAX], rs[KEY];
	uint8_t zero[KEY] = { 0 };
	sp_noise_hs *init, *resp, *hs;
	sp_cipher tx, rx;
	size_t len, plen;

	(void)state;
	memset(pt, 7, sizeof(pt));
	assert_int_equal(sp_noise_hs_new(SP_NOISE_XX, true, NULL, 0, key_is,
	    psk_a, &hs), SP_EINVAL);
	assert_null(hs);
	assert_int_equal(sp_noise_hs_new(SP_NOISE_XXPSK3, true, NULL, 0, key_is,
	    NULL, &hs), SP_EINVAL);
	assert_int_equal(sp_noise_hs_new((enum sp_noise_pattern)7, true, NULL,
	    0, key_is, NULL, &hs), SP_EINVAL);
	assert_int_equal(sp_noise_hs_new(SP_NOISE_XX, true, NULL, 1, key_is,
	    NULL, &hs), SP_EINVAL);

	init = hs_new(SP_NOISE_XX, true, prologue, PROLOGUE_LEN, key_is, NULL,
	    NULL);
	resp = hs_new(SP_NOISE_XX, false, prologue, PROLOGUE_LEN, key_rs, NULL,
	    NULL);
	/* The responder does not speak first; the initiator has nothing to read. */
	assert_int_equal(sp_noise_hs_write(resp, NULL, 0, buf, sizeof(buf),
	    &len), SP_EINVAL);
	assert_int_equal(sp_noise_hs_read(init, buf, 32, pt, sizeof(pt),
	    &plen), SP_EINVAL);
	assert_int_equal(sp_noise_hs_remote_static(init, rs), SP_EINVAL);
	assert_memory_equal(rs, zero, KEY);
	assert_int_equal(sp_noise_hs_split(init, &tx, &rx), SP_EINVAL);

	/* Too small a buffer leaves the handshake usable. */
	assert_int_equal(sp_noise_hs_write(init, NULL, 0, buf, 31, &len),
	    SP_ETOOBIG);
	assert_int_equal(sp_noise_hs_write(init, pt, SP_NOISE_MSG_MAX - 31, buf,
	    sizeof(buf), &len), SP_ETOOBIG);
	assert_int_equal(sp_noise_hs_write(init, pt, 3, buf, sizeof(buf),
	    &len), 0);
	assert_int_equal(len, 35);
	/* The ephemeral key is set before the first write only. */
	assert_int_equal(sp_noise_hs_set_ephemeral(init, key_ie), SP_EINVAL);
	assert_int_equal(sp_noise_hs_write(init, NULL, 0, buf, sizeof(buf),
	    &len), SP_EINVAL);
	assert_int_equal(sp_noise_hs_read(resp, buf, 35, pt, 2, &plen),
	    SP_ETOOBIG);
	assert_int_equal(sp_noise_hs_read(resp, buf, 35, pt, 3, &plen), 0);
	assert_int_equal(plen, 3);
	assert_int_equal(sp_noise_hs_read(resp, buf, 35, pt, 3, &plen),
	    SP_EINVAL);
	assert_int_equal(sp_noise_hs_write(resp, NULL, 0, buf, sizeof(buf),
	    &len), 0);
	assert_int_equal(sp_noise_hs_write(resp, NULL, 0, pt, sizeof(pt),
	    &plen), SP_EINVAL);
	assert_int_equal(plen, 0);
	assert_int_equal(sp_noise_hs_read(init, buf, len, pt, sizeof(pt),
	    &plen), 0);
	assert_false(sp_noise_hs_done(init));
	assert_int_equal(sp_noise_hs_write(init, NULL, 0, buf, sizeof(buf),
	    &len), 0);
	assert_true(sp_noise_hs_done(init));
	assert_int_equal(sp_noise_hs_read(resp, buf, len, pt, sizeof(pt),
	    &plen), 0);
	assert_true(sp_noise_hs_done(resp));
	/* Nothing more to say once done. */
	assert_int_equal(sp_noise_hs_write(init, NULL, 0, buf, sizeof(buf),
	    &len), SP_EINVAL);
	assert_int_equal(sp_noise_hs_read(init, buf, len, pt, sizeof(pt),
	    &plen), SP_EINVAL);
	assert_int_equal(sp_noise_hs_write(resp, NULL, 0, buf, sizeof(buf),
	    &len), SP_EINVAL);
	sp_noise_hs_free(init);
	sp_noise_hs_free(resp);
	sp_noise_hs_free(NULL);
}

/* A dead handshake refuses everything after the failure. */
static void
test_dead_after_failure(void **state)
{
	uint8_t buf[SP_NOISE_MSG_MAX], pt[SP_NOISE_MSG_MAX], rs[KEY];
	sp_noise_hs *resp;
	size_t len, plen;

	(void)state;
	resp = hs_new(SP_NOISE_XXPSK3, false, NULL, 0, key_rs, psk_a, NULL);
	memset(buf, 9, 64);
	assert_int_equal(sp_noise_hs_read(resp, buf, 31, pt, sizeof(pt),
	    &plen), SP_ENOISE);
	assert_int_equal(sp_noise_hs_read(resp, buf, 48, pt, sizeof(pt),
	    &plen), SP_EINVAL);
	assert_int_equal(sp_noise_hs_write(resp, NULL, 0, buf, sizeof(buf),
	    &len), SP_EINVAL);
	assert_int_equal(sp_noise_hs_remote_static(resp, rs), SP_EINVAL);
	assert_false(sp_noise_hs_done(resp));
	sp_noise_hs_free(resp);
}

/*
 * An ephemeral key of small order makes ee all zeros: the responder
 * refuses to answer rather than encrypt under a key anyone can compute.
 */
static void
test_small_order_key(void **state)
{
	uint8_t buf[SP_NOISE_MSG_MAX], pt[SP_NOISE_MSG_MAX];
	sp_noise_hs *resp;
	size_t len, plen;

	(void)state;
	resp = hs_new(SP_NOISE_XX, false, NULL, 0, key_rs, NULL, NULL);
	memset(buf, 0, KEY);    /* u = 0, a point of order 4 */
	assert_int_equal(sp_noise_hs_read(resp, buf, KEY, pt, sizeof(pt),
	    &plen), 0);
	assert_int_equal(sp_noise_hs_write(resp, NULL, 0, buf, sizeof(buf),
	    &len), SP_ENOISE);
	assert_int_equal(len, 0);
	assert_int_equal(sp_noise_hs_write(resp, NULL, 0, buf, sizeof(buf),
	    &len), SP_EINVAL);
	sp_noise_hs_free(resp);
}

static void
test_ed25519_conversion(void **state)
{
	uint8_t a_pk[32], a_sk[64], b_pk[32], b_sk[64];
	uint8_t ax_sk[KEY], ax_pk[KEY], bx_sk[KEY], bx_pk[KEY];
	uint8_t pub[KEY], s1[KEY], s2[KEY], x[KEY], zero[KEY] = { 0 };
	/* The identity point: of small order, not a usable key. */
	uint8_t identity[32] = { 1 };

	(void)state;
	sp_sign_keypair(a_pk, a_sk);
	sp_sign_keypair(b_pk, b_sk);
	assert_int_equal(sp_x25519_from_ed25519_sk(ax_sk, a_sk), 0);
	assert_int_equal(sp_x25519_from_ed25519_pk(ax_pk, a_pk), 0);
	assert_int_equal(sp_x25519_from_ed25519_sk(bx_sk, b_sk), 0);
	assert_int_equal(sp_x25519_from_ed25519_pk(bx_pk, b_pk), 0);
	/* Both halves of a node key convert to one X25519 key pair. */
	sp_x25519_base(pub, ax_sk);
	assert_memory_equal(pub, ax_pk, KEY);
	sp_x25519_base(pub, bx_sk);
	assert_memory_equal(pub, bx_pk, KEY);
	assert_int_equal(sp_x25519(s1, ax_sk, bx_pk), 0);
	assert_int_equal(sp_x25519(s2, bx_sk, ax_pk), 0);
	assert_memory_equal(s1, s2, KEY);

	assert_int_equal(sp_x25519_from_ed25519_pk(x, identity), SP_EINVAL);
	assert_memory_equal(x, zero, KEY);
	assert_int_equal(sp_x25519(s1, ax_sk, zero), SP_EINVAL);
	assert_memory_equal(s1, zero, KEY);
}

static int
setup(void **state)
{
	(void)state;
	return sp_crypto_init();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_xx),
		cmocka_unit_test(test_vectors_xxpsk3),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_wrong_psk),
		cmocka_unit_test(test_pattern_mismatch),
		cmocka_unit_test(test_wrong_prologue),
		cmocka_unit_test(test_node_keys),
		cmocka_unit_test(test_random_transport),
		cmocka_unit_test(test_transport_replay),
		cmocka_unit_test(test_turns),
		cmocka_unit_test(test_dead_after_failure),
		cmocka_unit_test(test_small_order_key),
		cmocka_unit_test(test_ed25519_conversion),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

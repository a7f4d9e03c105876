/*
 * test_record.c - records and bodies: round trips, a known answer, every
 * decode rule broken once, signatures, the clock bound and version order.
 */
#define _GNU_SOURCE 1
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "body.h"
#include "buf.h"
#include "crypto.h"
#include "hlc.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"

/* RFC 8032 test 1 key pair: the author, so the example is reproducible. */
#define AUTHOR_SEED "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
#define AUTHOR_PK   "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
/* RFC 8032 test 2 public key, standing for the community. */
#define COMMUNITY   "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
#define NOW_MS      UINT64_C(1700000000000)

/* {"head": "Siti Aminah", "members": 4}, the README's example. */
#define BODY_HEX "82a468656164ab5369746920416d696e6168a76d656d6265727304"

/*
 * The worked example of docs/FORMAT.md: the record above, signed by the
 * RFC 8032 test 1 key. Ed25519 is deterministic, so this pins the whole
 * format: field order, integer forms and the signed prefix.
 */
#define EXAMPLE_HEX \
	"9a01c4203d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f1" \
	"2af4660caa686f757365686f6c6473a5682d303031c420d75a980182b10ab7d5" \
	"4bfed3c964073a0ee172f3daa62325af021a68f707511acf018bcfe568000000" \
	"000182a468656164ab5369746920416d696e6168a76d656d6265727304c4408d" \
	"f9b9bddfd4446b923ad1cb55d76bda979366157e56fae7623215698466791040" \
	"5cc935589d46e915a9c5b919b21411de7cb679e710681905f38f1371161701"
#define EXAMPLE_ID \
	"a2005efebfd9aa9f0b3f89d897a48a8136cc90c4aa7cb92861e0566e15d07c94"

static uint8_t sk[SP_SECKEY_BYTES];
static uint8_t author[SP_PUBKEY_BYTES];
static uint8_t community[SP_PUBKEY_BYTES];
static uint8_t *body;
static size_t body_len;

static void
unhex_into(uint8_t *dst, size_t n, const char *hex)
{
	size_t len;
	uint8_t *p = sp_test_unhex(hex, &len);

	assert_non_null(p);
	assert_int_equal(len, n);
	memcpy(dst, p, n);
	free(p);
}

static int
setup(void **state)
{
	(void)state;
	if (sp_crypto_init() != 0)
		return -1;
	unhex_into(sk, 32, AUTHOR_SEED);
	unhex_into(sk + 32, 32, AUTHOR_PK);
	unhex_into(author, 32, AUTHOR_PK);
	unhex_into(community, 32, COMMUNITY);
	body = sp_test_unhex(BODY_HEX, &body_len);
	return body == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(body);
	return 0;
}

/* The example record's fields, ready to sign. */
static void
example(sp_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	memcpy(rec->community, community, 32);
	strcpy(rec->collection, "households");
	rec->collection_len = strlen(rec->collection);
	strcpy(rec->key, "h-001");
	rec->key_len = strlen(rec->key);
	memcpy(rec->author, author, 32);
	rec->timestamp = SP_HLC_MAKE(NOW_MS, 0);
	rec->flags = 0;
	rec->label = SP_LABEL_COMMUNITY;
	rec->body = body;
	rec->body_len = body_len;
}

/* Signs rec into a fresh buffer (caller frees); asserts success. */
static void
sign(sp_record *rec, sp_buf *out, uint8_t id[SP_ID_BYTES])
{
	sp_buf_init(out);
	assert_int_equal(sp_record_sign(rec, sk, out, id), 0);
}

static char *
hex(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", p[i]);
	return s;
}

static void
test_known_answer(void **state)
{
	sp_record rec;
	uint8_t id[SP_ID_BYTES], id2[SP_ID_BYTES];
	char text[SP_ID_STR_LEN + 1];
	sp_buf out;
	char *h;

	(void)state;
	example(&rec);
	sign(&rec, &out, id);
	h = hex(out.data, out.len);
	if (strcmp(h, EXAMPLE_HEX) != 0)
		print_error("example record:\n%s\n", h);
	assert_string_equal(h, EXAMPLE_HEX);
	free(h);
	h = hex(id, sizeof(id));
	assert_string_equal(h, EXAMPLE_ID);
	free(h);
	sp_base32_encode(text, id, sizeof(id));
	assert_string_equal(text,
	    "uiaf57v73gvj6cz7rhmjpjekqe3mzegevj6lskdb4blg4foqpska");
	/* The id is BLAKE2b-256 of all the bytes, signature included. */
	sp_hash32(id2, out.data, out.len);
	assert_memory_equal(id, id2, sizeof(id));
	/* The signature covers everything before its own item. */
	assert_int_equal(rec.signed_len, out.len - 66);
	assert_int_equal(sp_sign_verify(rec.sig, out.data, rec.signed_len,
	    author), 0);
	sp_buf_free(&out);
}

static void
test_round_trip(void **state)
{
	sp_record rec, dec;
	uint8_t id[SP_ID_BYTES], id2[SP_ID_BYTES];
	sp_buf out, again;

	(void)state;
	example(&rec);
	rec.label = SP_LABEL_PUBLIC;
	sign(&rec, &out, id);
	assert_int_equal(sp_record_decode(out.data, out.len, &dec), 0);
	assert_memory_equal(dec.community, community, 32);
	assert_string_equal(dec.collection, "households");
	assert_int_equal(dec.collection_len, 10);
	assert_string_equal(dec.key, "h-001");
	assert_int_equal(dec.key_len, 5);
	assert_memory_equal(dec.author, author, 32);
	assert_true(dec.timestamp == SP_HLC_MAKE(NOW_MS, 0));
	assert_int_equal(dec.flags, 0);
	assert_int_equal(dec.label, SP_LABEL_PUBLIC);
	assert_int_equal(dec.body_len, body_len);
	assert_memory_equal(dec.body, body, body_len);
	assert_true(dec.body >= out.data && dec.body < out.data + out.len);
	assert_memory_equal(dec.sig, rec.sig, 64);
	assert_int_equal(dec.signed_len, rec.signed_len);
	assert_int_equal(sp_record_verify(out.data, out.len, &dec), 0);
	assert_int_equal(sp_record_open(out.data, out.len, NOW_MS, &dec, id2), 0);
	assert_memory_equal(id, id2, sizeof(id));

	/* Re-signing the decoded record gives the same bytes... */
	sign(&dec, &again, id2);
	assert_int_equal(again.len, out.len);
	assert_memory_equal(again.data, out.data, out.len);
	/* ...and so does encoding it with the signature it carries. */
	sp_buf_reset(&again);
	assert_int_equal(sp_record_encode(&dec, &again), 0);
	assert_int_equal(again.len, out.len);
	assert_memory_equal(again.data, out.data, out.len);
	/* encode applies the field rules too. */
	sp_buf_reset(&again);
	dec.flags = SP_FLAG_ERASED;
	assert_int_equal(sp_record_encode(&dec, &again), SP_EFLAGS);
	assert_int_equal(again.len, 0);
	sp_buf_free(&again);
	sp_buf_free(&out);
}

/* Longest names, a reserved collection, an erased tombstone. */
static void
test_round_trip_limits(void **state)
{
	sp_record rec, dec;
	sp_buf out;

	(void)state;
	example(&rec);
	memset(rec.collection, 'z', SP_COLLECTION_MAX);
	rec.collection[0] = '.';
	rec.collection[SP_COLLECTION_MAX] = '\0';
	rec.collection_len = SP_COLLECTION_MAX;
	memset(rec.key, 'k', SP_KEY_MAX);
	memcpy(rec.key, "\xe2\x82\xac", 3);
	rec.key[SP_KEY_MAX] = '\0';
	rec.key_len = SP_KEY_MAX;
	rec.timestamp = UINT64_MAX;
	rec.flags = SP_FLAG_TOMBSTONE | SP_FLAG_ERASED;
	rec.label = SP_LABEL_PRIVATE;
	rec.body = (const uint8_t *)"\x80";
	rec.body_len = 1;
	sign(&rec, &out, NULL);
	assert_true(out.len <= SP_RECORD_MAX);
	assert_int_equal(sp_record_decode(out.data, out.len, &dec), 0);
	assert_int_equal(dec.collection_len, SP_COLLECTION_MAX);
	assert_memory_equal(dec.collection, rec.collection, SP_COLLECTION_MAX + 1);
	assert_memory_equal(dec.key, rec.key, SP_KEY_MAX + 1);
	assert_true(dec.timestamp == UINT64_MAX);
	assert_int_equal(dec.flags, SP_FLAG_TOMBSTONE | SP_FLAG_ERASED);
	assert_int_equal(sp_record_verify(out.data, out.len, &dec), 0);
	sp_buf_free(&out);
}

/*
 * Raw encodings for the decode table: the example's fields packed one by
 * one, with a single field replaced. The signature is not checked by
 * sp_record_decode, so a dummy one will do.
 */
enum field {
	F_NONE,      /* the valid example */
	F_COUNT,     /* num fields instead of 10 (extra ones are nil) */
	F_ITEM,      /* field num replaced by the raw hex str */
	F_COLLECTION,
	F_KEY_HEX,   /* key bytes given in hex */
	F_FLAGS,
	F_LABEL,
	F_BODY_HEX,
	F_TRAILING,  /* hex appended after the signature */
};

struct bad {
	const char *why;
	int want;
	enum field f;
	uint64_t num;
	const char *str;
};

static void
pack_hex(sp_buf *b, const char *h)
{
	size_t len;
	uint8_t *p = sp_test_unhex(h, &len);

	assert_non_null(p);
	sp_pack_raw(b, p, len);
	free(p);
}

static void
build(sp_buf *b, const struct bad *m)
{
	static const uint8_t sig[SP_SIG_BYTES];
	uint64_t count = m->f == F_COUNT ? m->num : 10, i;

	sp_buf_init(b);
	sp_pack_array(b, (uint32_t)count);
	for (i = 0; i < count; i++) {
		if (m->f == F_ITEM && m->num == i) {
			pack_hex(b, m->str);
			continue;
		}
		switch (i) {
		case 0:
			sp_pack_uint(b, 1);
			break;
		case 1:
			sp_pack_bin(b, community, 32);
			break;
		case 2:
			sp_pack_cstr(b, m->f == F_COLLECTION ? m->str : "households");
			break;
		case 3:
			if (m->f == F_KEY_HEX) {
				size_t len;
				uint8_t *k = sp_test_unhex(m->str, &len);

				assert_non_null(k);
				sp_pack_str(b, (const char *)k, len);
				free(k);
			} else {
				sp_pack_cstr(b, "h-001");
			}
			break;
		case 4:
			sp_pack_bin(b, author, 32);
			break;
		case 5:
			sp_pack_uint(b, SP_HLC_MAKE(NOW_MS, 0));
			break;
		case 6:
			sp_pack_uint(b, m->f == F_FLAGS ? m->num : 0);
			break;
		case 7:
			sp_pack_uint(b, m->f == F_LABEL ? m->num : 1);
			break;
		case 8:
			if (m->f == F_BODY_HEX)
				pack_hex(b, m->str);
			else
				sp_pack_raw(b, body, body_len);
			break;
		case 9:
			sp_pack_bin(b, sig, sizeof(sig));
			break;
		default:
			sp_pack_nil(b);
			break;
		}
	}
	if (m->f == F_TRAILING)
		pack_hex(b, m->str);
	assert_int_equal(b->err, 0);
}

#define B32 "c420" "0000000000000000000000000000000000000000000000000000000000000000"

static const struct bad table[] = {
	{ "the valid example", 0, F_NONE, 0, NULL },
	/* shape */
	{ "9 fields", SP_EREC_FIELDS, F_COUNT, 9, NULL },
	{ "11 fields", SP_EREC_FIELDS, F_COUNT, 11, NULL },
	{ "0 fields", SP_EREC_FIELDS, F_COUNT, 0, NULL },
	{ "16 fields (array16)", SP_EREC_FIELDS, F_COUNT, 16, NULL },
	{ "trailing byte", SP_ETRAILING, F_TRAILING, 0, "00" },
	{ "trailing record", SP_ETRAILING, F_TRAILING, 0, "9a" },
	/* version */
	{ "version 0", SP_EREC_VERSION, F_ITEM, 0, "00" },
	{ "version 2", SP_EREC_VERSION, F_ITEM, 0, "02" },
	{ "version as uint8", SP_ENONCANON_INT, F_ITEM, 0, "cc01" },
	{ "version as string", SP_ETYPE, F_ITEM, 0, "a131" },
	/* fixed sizes */
	{ "community of 31", SP_EFIELD_SIZE, F_ITEM, 1,
	  "c41f00000000000000000000000000000000000000000000000000000000000000" },
	{ "community of 33", SP_EFIELD_SIZE, F_ITEM, 1,
	  "c421000000000000000000000000000000000000000000000000000000000000000000" },
	{ "community as str", SP_ETYPE, F_ITEM, 1,
	  "d9206161616161616161616161616161616161616161616161616161616161616161" },
	{ "author of 0", SP_EFIELD_SIZE, F_ITEM, 4, "c400" },
	{ "signature of 32", SP_EFIELD_SIZE, F_ITEM, 9, B32 },
	{ "signature as nil", SP_ETYPE, F_ITEM, 9, "c0" },
	/* collection */
	{ "empty collection", SP_ECOLLECTION, F_COLLECTION, 0, "" },
	{ "upper case collection", SP_ECOLLECTION, F_COLLECTION, 0, "House" },
	{ "space in collection", SP_ECOLLECTION, F_COLLECTION, 0, "a b" },
	{ "slash in collection", SP_ECOLLECTION, F_COLLECTION, 0, "a/b" },
	{ "65-byte collection", SP_ECOLLECTION, F_COLLECTION, 0,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "non-ASCII collection", SP_ECOLLECTION, F_ITEM, 2, "a2c3a9" },
	{ "collection str8 of 1", SP_ENONCANON_LEN, F_ITEM, 2, "d90161" },
	{ "collection of 0xffffffff bytes", SP_ETRUNCATED, F_ITEM, 2,
	  "dbffffffff" },
	/* key */
	{ "empty key", SP_EKEY, F_KEY_HEX, 0, "" },
	{ "key with NUL", SP_EKEY, F_KEY_HEX, 0, "610062" },
	{ "key with newline", SP_EKEY, F_KEY_HEX, 0, "610a" },
	{ "key with DEL", SP_EKEY, F_KEY_HEX, 0, "7f" },
	{ "key with 0x1f", SP_EKEY, F_KEY_HEX, 0, "1f" },
	{ "key not UTF-8", SP_EUTF8, F_KEY_HEX, 0, "68ff" },
	{ "key overlong UTF-8", SP_EUTF8, F_KEY_HEX, 0, "c0ae" },
	{ "key with a surrogate", SP_EUTF8, F_KEY_HEX, 0, "eda080" },
	{ "key as bin", SP_ETYPE, F_ITEM, 3, "c40161" },
	/* timestamp, flags, label */
	{ "timestamp negative", SP_ETYPE, F_ITEM, 5, "ff" },
	{ "timestamp not shortest", SP_ENONCANON_INT, F_ITEM, 5,
	  "cf0000000000000005" },
	{ "flags 2 (erased alone)", SP_EFLAGS, F_FLAGS, 2, NULL },
	{ "flags 4", SP_EFLAGS, F_FLAGS, 4, NULL },
	{ "flags 7", SP_EFLAGS, F_FLAGS, 7, NULL },
	{ "flags 2^40", SP_EFLAGS, F_FLAGS, UINT64_C(1) << 40, NULL },
	{ "flags as uint8", SP_ENONCANON_INT, F_ITEM, 6, "cc01" },
	{ "label 4", SP_ELABEL, F_LABEL, 4, NULL },
	{ "label 255", SP_ELABEL, F_LABEL, 255, NULL },
	{ "label as bool", SP_ETYPE, F_ITEM, 7, "c3" },
	/* body */
	{ "body nil", SP_EBODY_TYPE, F_BODY_HEX, 0, "c0" },
	{ "body array", SP_EBODY_TYPE, F_BODY_HEX, 0, "90" },
	{ "body keys unsorted", SP_EKEYORDER, F_BODY_HEX, 0, "82a16200a16100" },
	{ "body duplicate key", SP_EDUPKEY, F_BODY_HEX, 0, "82a16100a16100" },
	{ "body integer key", SP_EKEYTYPE, F_BODY_HEX, 0, "810101" },
	{ "body float32", SP_EFLOAT32, F_BODY_HEX, 0, "81a161ca3f800000" },
	{ "body NaN", SP_ENAN, F_BODY_HEX, 0, "81a161cb7ff8000000000000" },
	{ "body ext", SP_EEXT, F_BODY_HEX, 0, "81a161d40100" },
	{ "body 0xc1", SP_ERESERVED_BYTE, F_BODY_HEX, 0, "81a161c1" },
	{ "body uint8 5", SP_ENONCANON_INT, F_BODY_HEX, 0, "81a161cc05" },
	{ "body uint64 2^63", SP_EINTRANGE, F_BODY_HEX, 0,
	  "81a161cf8000000000000000" },
	{ "body map32 of 0xffffffff", SP_ECOUNT, F_BODY_HEX, 0, "dfffffffff" },
	{ "body depth 9", SP_EDEPTH, F_BODY_HEX, 0,
	  "81a081a081a081a081a081a081a081a081a000" },
	{ "body depth 8", 0, F_BODY_HEX, 0,
	  "81a081a081a081a081a081a081a081a000" },
	/* tombstones */
	{ "tombstone with a body", SP_ETOMBSTONE_BODY, F_FLAGS, 1, NULL },
	{ "erased with a body", SP_ETOMBSTONE_BODY, F_FLAGS, 3, NULL },
	/* huge declared sizes */
	{ "version as array32 of 0xffffffff", SP_ECOUNT, F_ITEM, 0,
	  "ddffffffff" },
};

static void
test_decode_table(void **state)
{
	size_t i;
	sp_record rec;
	sp_buf b;
	int rc, bad = 0;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		build(&b, &table[i]);
		rc = sp_record_decode(b.data, b.len, &rec);
		if (rc != table[i].want) {
			print_error("%s: got %s, want %s\n", table[i].why,
			    sp_errname(rc), sp_errname(table[i].want));
			bad++;
		}
		sp_buf_free(&b);
	}
	assert_int_equal(bad, 0);
}

/* Edge cases the table's builder cannot spell. */
static void
test_decode_odd_inputs(void **state)
{
	static const struct {
		const char *hex;
		int want;
	} t[] = {
		{ "", SP_ETRUNCATED },
		{ "c1", SP_ERESERVED_BYTE },
		{ "80", SP_ETYPE },
		{ "ddffffffff0000000000", SP_ECOUNT },
		{ "dbffffffff0000000000", SP_ETRUNCATED },
		{ "dc000a00000000000000000000", SP_ENONCANON_LEN },
		{ "9a", SP_ECOUNT },
	};
	sp_record rec;
	uint8_t *p;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		p = sp_test_unhex(t[i].hex, &len);
		assert_non_null(p);
		assert_int_equal(sp_record_decode(p, len, &rec), t[i].want);
		free(p);
	}
}

static void
test_truncated(void **state)
{
	sp_record rec, dec;
	sp_buf out;
	uint8_t *copy;
	size_t n;
	int rc;

	(void)state;
	example(&rec);
	sign(&rec, &out, NULL);
	for (n = 0; n < out.len; n++) {
		/* An exact-size copy, so ASan sees any read past the end. */
		copy = malloc(n + 1);
		assert_non_null(copy);
		memcpy(copy, out.data, n);
		rc = sp_record_decode(copy, n, &dec);
		if (rc != SP_ETRUNCATED && rc != SP_ECOUNT)
			fail_msg("prefix of %zu bytes: %s", n, sp_errname(rc));
		free(copy);
	}
	sp_buf_free(&out);
}

/* A bit flipped anywhere signed is caught by sp_record_open. */
static void
test_forged(void **state)
{
	sp_record rec, dec;
	sp_buf out;
	uint8_t id[SP_ID_BYTES], pk[32], other[64];
	uint8_t *s;
	size_t sig_at, body_at, ts_at;

	(void)state;
	example(&rec);
	sign(&rec, &out, NULL);
	s = out.data;
	sig_at = out.len - 64;
	/* 1 + 1 + 34 + 11 + 6 bytes before the author, 34 for it. */
	ts_at = 87;
	assert_int_equal(s[ts_at], 0xcf);
	body_at = (size_t)((uint8_t *)memmem(s, out.len, "Siti", 4) - s);
	assert_int_equal(sp_record_open(s, out.len, NOW_MS, &dec, id), 0);

	s[sig_at + 10] ^= 0x04;
	assert_int_equal(sp_record_open(s, out.len, NOW_MS, &dec, id), SP_ESIG);
	s[sig_at + 10] ^= 0x04;

	/* 'S' to 'T' in the body: still canonical, no longer signed. */
	s[body_at] ^= 0x07;
	assert_int_equal(sp_record_decode(s, out.len, &dec), 0);
	assert_int_equal(sp_record_open(s, out.len, NOW_MS, &dec, id), SP_ESIG);
	assert_true(dec.body == NULL);
	s[body_at] ^= 0x07;

	/* The lowest timestamp bit. */
	s[ts_at + 8] ^= 0x01;
	assert_int_equal(sp_record_open(s, out.len, NOW_MS, &dec, id), SP_ESIG);
	s[ts_at + 8] ^= 0x01;

	/* Another author claimed: the signature is not theirs. */
	sp_sign_keypair(pk, other);
	memcpy(s + 2 + 34 + 11 + 6 + 2, pk, 32);
	assert_int_equal(sp_record_decode(s, out.len, &dec), 0);
	assert_memory_equal(dec.author, pk, 32);
	assert_int_equal(sp_record_open(s, out.len, NOW_MS, &dec, id), SP_ESIG);
	sp_buf_free(&out);
}

static void
test_sign_refusals(void **state)
{
	sp_record rec;
	uint8_t pk[32], other[64], id[SP_ID_BYTES];
	sp_buf out;

	(void)state;
	sp_buf_init(&out);
	example(&rec);
	sp_sign_keypair(pk, other);
	memset(id, 0xaa, sizeof(id));
	assert_int_equal(sp_record_sign(&rec, other, &out, id), SP_EINVAL);
	assert_int_equal(id[0], 0);

	example(&rec);
	rec.collection_len = 0;
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL), SP_ECOLLECTION);
	example(&rec);
	rec.key[1] = '\t';
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL), SP_EKEY);
	example(&rec);
	rec.flags = SP_FLAG_ERASED;
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL), SP_EFLAGS);
	example(&rec);
	rec.label = (enum sp_label)4;
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL), SP_ELABEL);
	example(&rec);
	rec.flags = SP_FLAG_TOMBSTONE;
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL),
	    SP_ETOMBSTONE_BODY);
	example(&rec);
	rec.body = (const uint8_t *)"\x81\xa1\x61\xcc\x01";
	rec.body_len = 5;
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL), SP_ENONCANON_INT);
	example(&rec);
	rec.body = (const uint8_t *)"\x91\x80";
	rec.body_len = 2;
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL), SP_EBODY_TYPE);
	example(&rec);
	rec.body_len = 0;
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL), SP_ETRUNCATED);
	/* Nothing was written by any refused call. */
	assert_int_equal(out.len, 0);
	sp_buf_free(&out);
}

static void
test_tombstone(void **state)
{
	sp_record rec, dec;
	sp_buf out;

	(void)state;
	example(&rec);
	rec.flags = SP_FLAG_TOMBSTONE;
	rec.body = (const uint8_t *)"\x80";
	rec.body_len = 1;
	sign(&rec, &out, NULL);
	assert_int_equal(sp_record_open(out.data, out.len, NOW_MS, &dec, NULL), 0);
	assert_int_equal(dec.flags, SP_FLAG_TOMBSTONE);
	assert_int_equal(dec.body_len, 1);
	/* The key survives in the tombstone. */
	assert_string_equal(dec.key, "h-001");
	sp_buf_free(&out);
}

/* Signs the example at the given millisecond; returns sp_record_open's code. */
static int
open_at(uint64_t ms, uint16_t counter, uint64_t now)
{
	sp_record rec, dec;
	sp_buf out;
	int rc;

	example(&rec);
	rec.timestamp = SP_HLC_MAKE(ms, counter);
	sign(&rec, &out, NULL);
	rc = sp_record_open(out.data, out.len, now, &dec, NULL);
	sp_buf_free(&out);
	return rc;
}

static void
test_future(void **state)
{
	sp_record rec;

	(void)state;
	assert_int_equal(SP_MAX_SKEW_MS, 600000);
	assert_int_equal(open_at(NOW_MS + SP_MAX_SKEW_MS, 0, NOW_MS), 0);
	assert_int_equal(open_at(NOW_MS + SP_MAX_SKEW_MS, 0xffff, NOW_MS), 0);
	assert_int_equal(open_at(NOW_MS + SP_MAX_SKEW_MS + 1, 0, NOW_MS),
	    SP_EFUTURE);
	/* The past is always fine. */
	assert_int_equal(open_at(0, 0, NOW_MS), 0);
	example(&rec);
	rec.timestamp = UINT64_MAX;
	assert_int_equal(sp_record_check_time(&rec, UINT64_MAX), 0);
	assert_int_equal(sp_record_check_time(&rec, NOW_MS), SP_EFUTURE);
	rec.timestamp = SP_HLC_MAKE(NOW_MS, 0);
	assert_int_equal(sp_record_check_time(&rec, UINT64_MAX), 0);
}

static void
test_version_order(void **state)
{
	uint8_t lo[SP_ID_BYTES] = { 0 }, hi[SP_ID_BYTES] = { 0 };

	(void)state;
	hi[SP_ID_BYTES - 1] = 1;
	/* Newer timestamp wins whatever the ids. */
	assert_true(sp_version_cmp(2, lo, 1, hi) > 0);
	assert_true(sp_version_cmp(1, hi, 2, lo) < 0);
	/* Equal timestamps: the larger id wins, compared bytewise. */
	assert_true(sp_version_cmp(5, hi, 5, lo) > 0);
	assert_true(sp_version_cmp(5, lo, 5, hi) < 0);
	assert_int_equal(sp_version_cmp(5, lo, 5, lo), 0);
	hi[0] = 0x80;
	lo[0] = 0x7f;
	lo[SP_ID_BYTES - 1] = 0xff;
	assert_true(sp_version_cmp(5, hi, 5, lo) > 0);
	/* Timestamps compare as unsigned 64-bit numbers. */
	assert_true(sp_version_cmp(UINT64_MAX, lo, 1, hi) > 0);
}

static void
test_names(void **state)
{
	char id[SP_ID_STR_LEN + 1];
	uint8_t raw[32];
	enum sp_label l;

	(void)state;
	assert_int_equal(sp_collection_check("households", 10, false), 0);
	assert_int_equal(sp_collection_check("a.b_c-9", 7, false), 0);
	assert_int_equal(sp_collection_check(".charter", 8, true), 0);
	assert_int_equal(sp_collection_check(".charter", 8, false), SP_ERESERVED);
	assert_int_equal(sp_collection_check("_x", 2, false), SP_ERESERVED);
	assert_int_equal(sp_collection_check("a\0b", 3, true), SP_ECOLLECTION);

	assert_int_equal(sp_key_check("0812-3456", 9), 0);
	assert_int_equal(sp_key_check("rumah \xc3\xa9", 8), 0);
	assert_int_equal(sp_key_check("\xc2\x85", 2), 0); /* U+0085 is allowed */
	assert_int_equal(sp_key_check("a\rb", 3), SP_EKEY);
	assert_int_equal(sp_key_check("\xff", 1), SP_EKEY);

	assert_int_equal(sp_alias_check("rt03", 4), 0);
	assert_int_equal(sp_alias_check(".rt03", 5), SP_EALIAS);
	assert_int_equal(sp_alias_check("RT03", 4), SP_EALIAS);
	assert_int_equal(sp_alias_check("", 0), SP_EALIAS);
	/* An alias that reads as an id would make "alias or id" ambiguous. */
	memset(raw, 0x42, sizeof(raw));
	sp_base32_encode(id, raw, sizeof(raw));
	assert_int_equal(sp_alias_check(id, SP_ID_STR_LEN), SP_EALIAS);
	/* 52 characters that are no id (non-zero padding bits, or a '1'). */
	memset(id, 'a', SP_ID_STR_LEN);
	id[SP_ID_STR_LEN - 1] = 'b';
	assert_int_equal(sp_alias_check(id, SP_ID_STR_LEN), 0);
	id[SP_ID_STR_LEN - 1] = 'a';
	assert_int_equal(sp_alias_check(id, SP_ID_STR_LEN), SP_EALIAS);
	id[0] = '1';
	assert_int_equal(sp_alias_check(id, SP_ID_STR_LEN), 0);

	assert_int_equal(sp_label_parse("private", &l), 0);
	assert_int_equal(l, SP_LABEL_PRIVATE);
	assert_int_equal(sp_label_parse("community", &l), 0);
	assert_int_equal(l, SP_LABEL_COMMUNITY);
	assert_int_equal(sp_label_parse("shared", &l), 0);
	assert_int_equal(l, SP_LABEL_SHARED);
	assert_int_equal(sp_label_parse("public", &l), 0);
	assert_int_equal(l, SP_LABEL_PUBLIC);
	assert_int_equal(sp_label_parse("Public", &l), SP_ELABEL);
	assert_int_equal(sp_label_parse("", &l), SP_ELABEL);
	assert_string_equal(sp_label_name(SP_LABEL_SHARED), "shared");
	assert_string_equal(sp_label_name(SP_LABEL_PRIVATE), "private");
	assert_string_equal(sp_label_name((enum sp_label)9), "unknown");
}

/* A map {"a": bin of n bytes}: 6 + n bytes (n >= 256). */
static uint8_t *
big_body(size_t n, size_t *len)
{
	uint8_t *p = calloc(1, n + 6);

	assert_non_null(p);
	assert_true(n >= 256 && n <= 0xffff);
	p[0] = 0x81;
	p[1] = 0xa1;
	p[2] = 'a';
	p[3] = 0xc5;
	sp_put_be16(p + 4, (uint16_t)n);
	*len = n + 6;
	return p;
}

static void
test_body_validate(void **state)
{
	uint8_t *p;
	size_t len;
	sp_record rec;
	sp_buf out;

	(void)state;
	assert_int_equal(sp_body_validate(body, body_len), 0);
	assert_int_equal(sp_body_validate((const uint8_t *)"\x80", 1), 0);
	assert_int_equal(sp_body_validate((const uint8_t *)"", 0), SP_ETRUNCATED);
	assert_int_equal(sp_body_validate((const uint8_t *)"\x90", 1), SP_EBODY_TYPE);
	assert_int_equal(sp_body_validate((const uint8_t *)"\xc1", 1), SP_EBODY_TYPE);
	assert_int_equal(sp_body_validate((const uint8_t *)"\x80\x80", 2), SP_ETRAILING);

	/* Exactly 60 KiB is accepted, one byte more refused before parsing. */
	p = big_body(SP_BODY_MAX - 6, &len);
	assert_int_equal(len, SP_BODY_MAX);
	assert_int_equal(sp_body_validate(p, len), 0);
	free(p);
	p = big_body(SP_BODY_MAX - 5, &len);
	assert_int_equal(sp_body_validate(p, len), SP_EBODY_TOO_BIG);
	p[0] = 0xc1;
	assert_int_equal(sp_body_validate(p, len), SP_EBODY_TOO_BIG);
	p[0] = 0x81;

	/* The same body inside a record. */
	example(&rec);
	rec.body = p;
	rec.body_len = len;
	sp_buf_init(&out);
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL), SP_EBODY_TOO_BIG);
	rec.body_len = len - 1;
	p[5]--;
	assert_int_equal(sp_record_sign(&rec, sk, &out, NULL), 0);
	assert_true(out.len <= SP_RECORD_MAX);
	/* Grow the signed body by one byte behind the signer's back. */
	sp_buf_reset(&out);
	sp_pack_array(&out, 10);
	sp_pack_uint(&out, 1);
	sp_pack_bin(&out, community, 32);
	sp_pack_cstr(&out, "households");
	sp_pack_cstr(&out, "h-001");
	sp_pack_bin(&out, author, 32);
	sp_pack_uint(&out, 0);
	sp_pack_uint(&out, 0);
	sp_pack_uint(&out, 1);
	p[5]++;
	sp_pack_raw(&out, p, len);
	sp_pack_bin(&out, rec.sig, 64);
	assert_int_equal(sp_record_decode(out.data, out.len, &rec),
	    SP_EBODY_TOO_BIG);
	sp_buf_free(&out);
	free(p);
}

static void
test_body_get(void **state)
{
	const uint8_t *v;
	size_t n;
	/* {"a": 1, "b": [nil], "ba": {"x": true}} */
	static const uint8_t b[] = {
		0x83, 0xa1, 'a', 0x01, 0xa1, 'b', 0x91, 0xc0, 0xa2, 'b', 'a',
		0x81, 0xa1, 'x', 0xc3
	};

	(void)state;
	assert_int_equal(sp_body_validate(b, sizeof(b)), 0);
	assert_int_equal(sp_body_get(b, sizeof(b), "a", 1, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0], 0x01);
	assert_int_equal(sp_body_get(b, sizeof(b), "b", 1, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(v, "\x91\xc0", 2);
	assert_int_equal(sp_body_get(b, sizeof(b), "ba", 2, &v, &n), 0);
	assert_int_equal(n, 4);
	assert_ptr_equal(v, b + 11);
	assert_int_equal(sp_body_get(b, sizeof(b), "x", 1, &v, &n), SP_ENOTFOUND);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_int_equal(sp_body_get(b, sizeof(b), "", 0, &v, &n), SP_ENOTFOUND);
	assert_int_equal(sp_body_get(b, sizeof(b), "bb", 2, &v, &n), SP_ENOTFOUND);
	assert_int_equal(sp_body_get(body, body_len, "members", 7, &v, &n), 0);
	assert_int_equal(v[0], 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_limits),
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_decode_odd_inputs),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_sign_refusals),
		cmocka_unit_test(test_tombstone),
		cmocka_unit_test(test_future),
		cmocka_unit_test(test_version_order),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_body_validate),
		cmocka_unit_test(test_body_get),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

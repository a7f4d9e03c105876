/*
 * test_wire.c - peer protocol messages: every type built and decoded back,
 * a table of malformed messages each with the error it must give, list
 * bounds, truncation at every offset, and fragment reassembly.
 */
#include "sp_test.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pack.h"
#include "sp_err.h"
#include "wire.h"

static const sp_area households = {
	.community = { 0x01, 0x02, 0x03, [31] = 0x1f },
	.collection = "households",
	.label = SP_LABEL_SHARED,
};

static const sp_area charter = {
	.community = { 0x01, 0x02, 0x03, [31] = 0x1f },
	.collection = ".charter",
	.label = SP_LABEL_PUBLIC,
};

static const sp_area private_area = {
	.community = { 0xff, [31] = 0x00 },
	.collection = "notes",
	.label = SP_LABEL_PRIVATE,
};

static const sp_want want_all = {
	.community = { 0x01, 0x02, 0x03, [31] = 0x1f },
	.collection = "*",
	.labels = (1u << SP_LABEL_SHARED) | (1u << SP_LABEL_PUBLIC),
};

static const sp_want want_one = {
	.community = { 0xaa, [31] = 0xbb },
	.collection = "events",
	.labels = 1u << SP_LABEL_COMMUNITY,
};

static void
assert_area_equal(const sp_area *a, const sp_area *b)
{
	assert_int_equal(sp_area_cmp(a, b), 0);
	assert_memory_equal(a->community, b->community, SP_PUBKEY_BYTES);
	assert_string_equal(a->collection, b->collection);
	assert_int_equal(a->label, b->label);
}

/* Decodes b's content as one whole message of the given type. */
static void
decode_ok(const sp_buf *b, enum sp_wire_type type, sp_wire_msg *m)
{
	assert_int_equal(b->err, 0);
	assert_int_equal(sp_wire_decode(b->data, b->len, m), 0);
	assert_int_equal(m->type, type);
}

static void
test_hello(void **state)
{
	const sp_area offers[] = { households, charter, private_area };
	const sp_want wants[] = { want_all, want_one };
	const uint8_t *p;
	size_t left, i;
	sp_wire_msg m;
	sp_area a;
	sp_want w;
	sp_buf b;

	(void)state;
	sp_buf_init(&b);
	sp_wire_hello(&b, offers, 3, wants, 2);
	decode_ok(&b, SP_WIRE_HELLO, &m);
	assert_int_equal(m.version, SP_WIRE_VERSION);
	assert_int_equal(m.noffers, 3);
	assert_int_equal(m.nwants, 2);
	p = m.offers;
	left = m.offers_len;
	for (i = 0; i < m.noffers; i++) {
		assert_int_equal(sp_wire_next_area(&p, &left, &a), 0);
		assert_area_equal(&a, &offers[i]);
	}
	assert_int_equal(left, 0);
	/* The offers end where the wants' one-byte array header begins. */
	assert_ptr_equal(p + 1, m.wants);
	p = m.wants;
	left = m.wants_len;
	for (i = 0; i < m.nwants; i++) {
		assert_int_equal(sp_wire_next_want(&p, &left, &w), 0);
		assert_memory_equal(w.community, wants[i].community, SP_PUBKEY_BYTES);
		assert_string_equal(w.collection, wants[i].collection);
		assert_int_equal(w.labels, wants[i].labels);
	}
	assert_int_equal(left, 0);
	assert_ptr_equal(p, b.data + b.len);
	/* The iterators stop at the end of their list. */
	assert_int_equal(sp_wire_next_want(&p, &left, &w), SP_ETRUNCATED);

	sp_buf_reset(&b);
	sp_wire_hello(&b, NULL, 0, NULL, 0);
	decode_ok(&b, SP_WIRE_HELLO, &m);
	assert_int_equal(m.noffers, 0);
	assert_int_equal(m.offers_len, 0);
	assert_int_equal(m.nwants, 0);
	assert_int_equal(m.wants_len, 0);
	sp_buf_free(&b);
}

static void
test_neg(void **state)
{
	static const uint8_t neg[] = { 0x61, 0x00, 0x02, 0xff };
	sp_wire_msg m;
	sp_buf b;

	(void)state;
	sp_buf_init(&b);
	sp_wire_neg(&b, &households, neg, sizeof neg);
	decode_ok(&b, SP_WIRE_NEG, &m);
	assert_area_equal(&m.area, &households);
	assert_int_equal(m.data_len, sizeof neg);
	assert_memory_equal(m.data, neg, sizeof neg);
	sp_buf_free(&b);
}

static void
test_records(void **state)
{
	static const size_t sizes[] = { 0, 1, 300, SP_RECORD_MAX };
	const size_t n = sizeof sizes / sizeof sizes[0];
	uint8_t *rec = malloc(SP_RECORD_MAX);
	const uint8_t *p, *bin;
	size_t left, len, i;
	sp_wire_msg m;
	sp_buf b;

	(void)state;
	assert_non_null(rec);
	for (i = 0; i < SP_RECORD_MAX; i++)
		rec[i] = (uint8_t)(i * 7);
	sp_buf_init(&b);
	sp_wire_records_begin(&b, (uint32_t)n);
	for (i = 0; i < n; i++)
		sp_pack_bin(&b, rec, sizes[i]);
	decode_ok(&b, SP_WIRE_RECORDS, &m);
	assert_int_equal(m.count, n);
	p = m.data;
	left = m.data_len;
	for (i = 0; i < n; i++) {
		assert_int_equal(sp_wire_next_bin(&p, &left, &bin, &len), 0);
		assert_int_equal(len, sizes[i]);
		if (len > 0)
			assert_memory_equal(bin, rec, len);
	}
	assert_int_equal(left, 0);

	sp_buf_reset(&b);
	sp_wire_records_begin(&b, 0);
	decode_ok(&b, SP_WIRE_RECORDS, &m);
	assert_int_equal(m.count, 0);
	sp_buf_free(&b);
	free(rec);
}

static void
test_want(void **state)
{
	uint8_t ids[3][SP_ID_BYTES];
	const uint8_t *p, *bin;
	size_t left, len, i;
	sp_wire_msg m;
	sp_buf b;

	(void)state;
	for (i = 0; i < 3; i++)
		memset(ids[i], (int)(0x10 + i), SP_ID_BYTES);
	sp_buf_init(&b);
	sp_wire_want_begin(&b, &charter, 3);
	for (i = 0; i < 3; i++)
		sp_pack_bin(&b, ids[i], SP_ID_BYTES);
	decode_ok(&b, SP_WIRE_WANT, &m);
	assert_area_equal(&m.area, &charter);
	assert_int_equal(m.count, 3);
	p = m.data;
	left = m.data_len;
	for (i = 0; i < 3; i++) {
		assert_int_equal(sp_wire_next_bin(&p, &left, &bin, &len), 0);
		assert_int_equal(len, SP_ID_BYTES);
		assert_memory_equal(bin, ids[i], SP_ID_BYTES);
	}
	assert_int_equal(left, 0);
	sp_buf_free(&b);
}

static void
test_small_messages(void **state)
{
	sp_wire_msg m;
	sp_buf b;

	(void)state;
	sp_buf_init(&b);
	sp_wire_done(&b, &private_area, 12, UINT64_MAX);
	decode_ok(&b, SP_WIRE_DONE, &m);
	assert_area_equal(&m.area, &private_area);
	assert_int_equal(m.have, 12);
	assert_true(m.need == UINT64_MAX);

	sp_buf_reset(&b);
	sp_wire_synced(&b);
	decode_ok(&b, SP_WIRE_SYNCED, &m);
	assert_int_equal(b.len, 2);

	sp_buf_reset(&b);
	sp_wire_resync(&b);
	decode_ok(&b, SP_WIRE_RESYNC, &m);
	assert_int_equal(b.len, 2);

	sp_buf_reset(&b);
	sp_wire_offers(&b, &households, 1);
	decode_ok(&b, SP_WIRE_OFFERS, &m);
	assert_int_equal(m.noffers, 1);
	{
		const uint8_t *p = m.offers;
		size_t left = m.offers_len;
		sp_area a;

		assert_int_equal(sp_wire_next_area(&p, &left, &a), 0);
		assert_int_equal(sp_area_cmp(&a, &households), 0);
		assert_int_equal(left, 0);
	}

	sp_buf_reset(&b);
	sp_wire_ping(&b, SP_WIRE_PING, 0x0123456789abcdefULL);
	decode_ok(&b, SP_WIRE_PING, &m);
	assert_true(m.nonce == 0x0123456789abcdefULL);

	sp_buf_reset(&b);
	sp_wire_ping(&b, SP_WIRE_PONG, 0);
	decode_ok(&b, SP_WIRE_PONG, &m);
	assert_int_equal(m.nonce, 0);

	sp_buf_reset(&b);
	sp_wire_error(&b, SP_ENOTWRITER, "bukan penulis \xe2\x80\x94 unknown peer");
	decode_ok(&b, SP_WIRE_ERROR, &m);
	assert_int_equal(m.code, SP_ENOTWRITER);
	assert_int_equal(m.message_len, strlen("bukan penulis \xe2\x80\x94 unknown peer"));
	assert_memory_equal(m.message, "bukan penulis \xe2\x80\x94 unknown peer", m.message_len);

	sp_buf_reset(&b);
	sp_wire_error(&b, INT_MIN, "");
	decode_ok(&b, SP_WIRE_ERROR, &m);
	assert_int_equal(m.code, INT_MIN);
	assert_int_equal(m.message_len, 0);

	sp_buf_reset(&b);
	sp_wire_refused(&b, &households);
	decode_ok(&b, SP_WIRE_REFUSED, &m);
	assert_area_equal(&m.area, &households);
	sp_buf_free(&b);
}

/* Arguments the decoder would refuse make the encoders fail with SP_EINVAL. */
static void
test_encode_refuses(void **state)
{
	sp_area bad_label = households, bad_name = households, wild = households;
	sp_want bad_labels = want_one, no_labels = want_one, bad_want = want_one;
	sp_buf b;

	(void)state;
	bad_label.label = (enum sp_label)SP_LABEL_COUNT;
	strcpy(bad_name.collection, "Households");
	strcpy(wild.collection, "*");
	bad_labels.labels = 16;
	no_labels.labels = 0;
	strcpy(bad_want.collection, "a b");

	sp_buf_init(&b);
#define REFUSED(call) do { \
	sp_buf_reset(&b); \
	call; \
	assert_int_equal(b.err, SP_EINVAL); \
} while (0)
	REFUSED(sp_wire_refused(&b, &bad_label));
	REFUSED(sp_wire_done(&b, &bad_name, 1, 2));
	REFUSED(sp_wire_neg(&b, &wild, NULL, 0));
	REFUSED(sp_wire_hello(&b, NULL, 0, &bad_labels, 1));
	REFUSED(sp_wire_hello(&b, NULL, 0, &no_labels, 1));
	REFUSED(sp_wire_hello(&b, NULL, 0, &bad_want, 1));
	REFUSED(sp_wire_hello(&b, &households, SP_WIRE_MAX_AREAS + 1, NULL, 0));
	REFUSED(sp_wire_neg(&b, &households, NULL, SP_WIRE_NEG_MAX + 1));
	REFUSED(sp_wire_records_begin(&b, SP_WIRE_MAX_RECORDS + 1));
	REFUSED(sp_wire_want_begin(&b, &households, SP_WIRE_MAX_IDS + 1));
	REFUSED(sp_wire_ping(&b, SP_WIRE_DONE, 1));
	REFUSED(sp_wire_error(&b, SP_EFRAME, "\xff"));
	REFUSED(sp_wire_error(&b, 0, "a code is negative"));
	REFUSED(sp_wire_error(&b, 1, "a code is negative"));
	REFUSED(sp_wire_offers(&b, &households, SP_WIRE_MAX_AREAS + 1));
#undef REFUSED
	sp_buf_free(&b);
}

static void
test_area_order(void **state)
{
	sp_area a = households, b = households;

	(void)state;
	assert_int_equal(sp_area_cmp(&a, &b), 0);
	b.label = SP_LABEL_PUBLIC;
	assert_true(sp_area_cmp(&a, &b) < 0);
	assert_true(sp_area_cmp(&b, &a) > 0);
	/* The collection decides before the label. */
	strcpy(b.collection, "householda");
	assert_true(sp_area_cmp(&a, &b) > 0);
	strcpy(b.collection, "households-2");
	assert_true(sp_area_cmp(&a, &b) < 0);
	/* And the community before both. */
	b.community[31] = 0x20;
	strcpy(b.collection, "a");
	b.label = SP_LABEL_PRIVATE;
	assert_true(sp_area_cmp(&a, &b) < 0);
	b.community[0] = 0x00;
	assert_true(sp_area_cmp(&a, &b) > 0);
}

static void
test_want_matches(void **state)
{
	sp_area a = households;
	sp_want w = want_all;

	(void)state;
	assert_true(sp_want_matches(&w, &a));
	assert_true(sp_want_matches(&w, &charter));
	a.label = SP_LABEL_COMMUNITY;
	assert_false(sp_want_matches(&w, &a));
	a.label = SP_LABEL_SHARED;
	strcpy(w.collection, "households");
	assert_true(sp_want_matches(&w, &a));
	strcpy(w.collection, "household");
	assert_false(sp_want_matches(&w, &a));
	strcpy(w.collection, "*");
	w.community[5] ^= 1;
	assert_false(sp_want_matches(&w, &a));
	assert_false(sp_want_matches(&want_one, &households));
	/* "*" is only a pattern: an area's collection never matches it by name. */
	w = want_one;
	a = households;
	memcpy(a.community, want_one.community, SP_PUBKEY_BYTES);
	a.label = SP_LABEL_COMMUNITY;
	strcpy(a.collection, "events");
	assert_true(sp_want_matches(&w, &a));
	strcpy(w.collection, "*");
	assert_true(sp_want_matches(&w, &a));
	strcpy(w.collection, "events");
	strcpy(a.collection, "eventsx");
	assert_false(sp_want_matches(&w, &a));
}

/* 32-byte community 0x01 * 32 and a collection "h": pieces of the table. */
#define C32 "c420" "0101010101010101010101010101010101010101010101010101010101010101"
#define AREA(label) "93" C32 "a168" label
#define WANT(labels) "93" C32 "a12a" labels
#define ID32 "c420" "0202020202020202020202020202020202020202020202020202020202020202"

/* b holds exactly the bytes of hex. */
static void
assert_encoded(const sp_buf *b, const char *hex)
{
	size_t len;
	uint8_t *want = sp_test_unhex(hex, &len);

	assert_non_null(want);
	assert_int_equal(b->len, len);
	assert_memory_equal(b->data, want, len);
	free(want);
}

/*
 * Each field's encoding as docs/PROTOCOL.md ("Transport") gives it, byte
 * for byte: labels numbered 0 private to 3 public, the want bitmask with
 * bit 1 << label, version 1, a negative ERROR code in the signed family.
 */
static void
test_field_encodings(void **state)
{
	static const uint8_t neg[] = { 0x61 };
	static const uint8_t rec[] = { 1, 2, 3 };
	static const uint8_t id[SP_ID_BYTES] = {
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
		2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	};
	static const struct {
		enum sp_label label;
		const char *hex;
	} labels[] = {
		{ SP_LABEL_PRIVATE, "920a" AREA("00") },
		{ SP_LABEL_COMMUNITY, "920a" AREA("01") },
		{ SP_LABEL_SHARED, "920a" AREA("02") },
		{ SP_LABEL_PUBLIC, "920a" AREA("03") },
	};
	sp_area area = { .collection = "h", .label = SP_LABEL_PUBLIC };
	sp_want want = { .collection = "*",
		.labels = 1u << SP_LABEL_SHARED | 1u << SP_LABEL_PUBLIC };
	sp_buf b;
	size_t i;

	(void)state;
	memset(area.community, 0x01, SP_PUBKEY_BYTES);
	memcpy(want.community, area.community, SP_PUBKEY_BYTES);
	sp_buf_init(&b);
#define ENCODES(call, hex) do { \
	sp_buf_reset(&b); \
	call; \
	assert_int_equal(b.err, 0); \
	assert_encoded(&b, hex); \
} while (0)
	ENCODES(sp_wire_hello(&b, &area, 1, &want, 1),
	    "940101" "91" AREA("03") "91" WANT("0c"));
	for (i = 0; i < sizeof labels / sizeof labels[0]; i++) {
		area.label = labels[i].label;
		ENCODES(sp_wire_refused(&b, &area), labels[i].hex);
	}
	want.labels = SP_WIRE_LABELS_ALL;
	ENCODES(sp_wire_hello(&b, NULL, 0, &want, 1), "94010190" "91" WANT("0f"));
	area.label = SP_LABEL_SHARED;
	ENCODES(sp_wire_neg(&b, &area, neg, sizeof neg), "9302" AREA("02") "c40161");
	ENCODES((sp_wire_records_begin(&b, 1), sp_pack_bin(&b, rec, sizeof rec)),
	    "920391c403010203");
	ENCODES((sp_wire_want_begin(&b, &area, 1), sp_pack_bin(&b, id, sizeof id)),
	    "9304" AREA("02") "91" ID32);
	ENCODES(sp_wire_done(&b, &area, 0, UINT64_MAX),
	    "9405" AREA("02") "00" "cfffffffffffffffff");
	ENCODES(sp_wire_synced(&b), "9106");
	ENCODES(sp_wire_ping(&b, SP_WIRE_PING, 0x0123456789abcdefULL),
	    "9207cf0123456789abcdef");
	ENCODES(sp_wire_ping(&b, SP_WIRE_PONG, 127), "92087f");
	/* SP_EFRAME is -1121: an int16. */
	ENCODES(sp_wire_error(&b, SP_EFRAME, "x"), "9309d1fb9fa178");
	ENCODES(sp_wire_resync(&b), "910b");
	ENCODES(sp_wire_offers(&b, &area, 1), "920c91" AREA("02"));
#undef ENCODES
	assert_int_equal(SP_RECORD_MAX, 61952);
	sp_buf_free(&b);
}

struct vector {
	const char *hex;
	int want;
	const char *why;
};

static const struct vector malformed[] = {
	{ "", SP_ETRUNCATED, "nothing" },
	{ "c0", SP_EFRAME, "not an array" },
	{ "a3666f6f", SP_EFRAME, "a string" },
	{ "90", SP_EFRAME, "empty array" },
	{ "9100", SP_EFRAME, "type 0" },
	{ "910c", SP_EFRAME, "OFFERS without its list" },
	{ "910d", SP_EFRAME, "type 13" },
	{ "91cc80", SP_EFRAME, "type 128" },
	{ "91ff", SP_EFRAME, "negative type" },
	{ "91a131", SP_EFRAME, "type as a string" },
	{ "91cc01", SP_ENONCANON_INT, "type not in its shortest form" },
	{ "91c1", SP_ERESERVED_BYTE, "type 0xc1" },
	{ "dc0001" "06", SP_ENONCANON_LEN, "array16 for one item" },
	/* HELLO */
	{ "9101", SP_EFRAME, "HELLO without anything" },
	{ "920101", SP_EFRAME, "HELLO with a version only" },
	{ "93010190", SP_EFRAME, "HELLO without wants" },
	{ "9501019090c0", SP_EFRAME, "HELLO with five items" },
	{ "9401029090", SP_EPROTO_VERSION, "HELLO version 2" },
	{ "9201cc80", SP_EPROTO_VERSION, "HELLO version 128, shape unknown" },
	{ "940100" "9090", SP_EPROTO_VERSION, "HELLO version 0" },
	{ "9401a1319090", SP_EFRAME, "HELLO version as a string" },
	{ "940101c090", SP_EFRAME, "offers not an array" },
	{ "94010190c0", SP_EFRAME, "wants not an array" },
	{ "940101dcffff90", SP_ECOUNT, "65535 offers declared in 3 bytes" },
	{ "940101ddffffffff90", SP_ECOUNT, "2^32-1 offers declared in 1 byte" },
	{ "94010190ddffffffff", SP_ECOUNT, "2^32-1 wants declared in nothing" },
	{ "94010191" AREA("04") "90", SP_ELABEL, "offer label 4" },
	{ "94010191" AREA("ff") "90", SP_EFRAME, "offer label -1" },
	{ "94010191" AREA("cc80") "90", SP_ELABEL, "offer label 128" },
	{ "9401019192" C32 "a16890", SP_EFRAME, "offer of two items" },
	{ "9401019194" C32 "a1680290", SP_EFRAME, "offer of four items" },
	{ "9401019193c41f" "01010101010101010101010101010101010101010101010101010101010101"
	  "a1680290", SP_EFIELD_SIZE, "community of 31 bytes" },
	{ "9401019193c421" "01010101010101010101010101010101010101010101010101010101010101"
	  "0101" "a1680290", SP_EFIELD_SIZE, "community of 33 bytes" },
	{ "9401019193a0a1680290", SP_EFRAME, "community as a string" },
	{ "9401019193" C32 "a00290", SP_ECOLLECTION, "empty collection" },
	{ "9401019193" C32 "a1480290", SP_ECOLLECTION, "upper-case collection" },
	{ "9401019193" C32 "a12a0290", SP_ECOLLECTION, "\"*\" as an offered collection" },
	{ "9401019193" C32 "c401680290", SP_EFRAME, "collection as a binary" },
	{ "9401019193" C32 "d941"
	  "6161616161616161616161616161616161616161616161616161616161616161"
	  "6161616161616161616161616161616161616161616161616161616161616161"
	  "61" "0290", SP_ECOLLECTION, "collection of 65 characters" },
	{ "9401019193" C32 "a1ff0290", SP_EUTF8, "collection not UTF-8" },
	{ "9401019193" C32 "a1200290", SP_ECOLLECTION, "collection \" \"" },
	{ "9401019193" C32 "a12f0290", SP_ECOLLECTION, "collection \"/\"" },
	{ "9401019091" WANT("00"), SP_ELABEL, "want without labels" },
	{ "9401019091" WANT("10"), SP_ELABEL, "want labels 16" },
	{ "9401019091" WANT("cd0100"), SP_ELABEL, "want labels 256" },
	{ "9401019091" WANT("c3"), SP_EFRAME, "want labels as a boolean" },
	{ "9401019091" WANT("0f") "c0", SP_ETRAILING, "HELLO with a byte after it" },
	/* NEG */
	{ "9202" AREA("02"), SP_EFRAME, "NEG without a message" },
	{ "9302" AREA("02") "a0", SP_EFRAME, "NEG message as a string" },
	{ "9302" AREA("02") "c4", SP_ETRUNCATED, "NEG message cut in its header" },
	{ "9302" AREA("02") "c405aa", SP_ETRUNCATED, "NEG message of 5 bytes holding 1" },
	{ "9302" AREA("02") "c6ffffffff", SP_ETRUNCATED, "NEG message of 4 GiB" },
	{ "9302" AREA("02") "c50000", SP_ENONCANON_LEN, "bin16 for 0 bytes" },
	{ "9302" AREA("07") "c400", SP_ELABEL, "NEG area label 7" },
	{ "9302c0c400", SP_EFRAME, "NEG area nil" },
	{ "9402" AREA("02") "c400c0", SP_EFRAME, "NEG of four items" },
	/* RECORDS */
	{ "9103", SP_EFRAME, "RECORDS without records" },
	{ "9203c0", SP_EFRAME, "RECORDS not an array" },
	{ "9203dcffff", SP_ECOUNT, "65535 records declared in nothing" },
	{ "920391a0", SP_EFRAME, "a record as a string" },
	{ "920393c400", SP_ECOUNT, "three records declared in two bytes" },
	{ "920392c400", SP_ETRUNCATED, "two records declared, one there" },
	{ "920392c400c0", SP_EFRAME, "a record as nil" },
	{ "920391c4", SP_ETRUNCATED, "a record cut in its header" },
	{ "920391c40100" "c400", SP_ETRAILING, "RECORDS with a byte after it" },
	/* WANT */
	{ "9204" AREA("02"), SP_EFRAME, "WANT without ids" },
	{ "9304" AREA("02") "dcffff", SP_ECOUNT, "65535 ids declared in nothing" },
	{ "9304" AREA("02") "ddffffffff", SP_ECOUNT, "2^32-1 ids declared in nothing" },
	{ "9304" AREA("02") "91c400", SP_EFIELD_SIZE, "empty id" },
	{ "9304" AREA("02") "91c41f"
	  "02020202020202020202020202020202020202020202020202020202020202",
	  SP_EFIELD_SIZE, "id of 31 bytes" },
	{ "9304" AREA("02") "91c421"
	  "020202020202020202020202020202020202020202020202020202020202020202",
	  SP_EFIELD_SIZE, "id of 33 bytes" },
	{ "9304" AREA("02") "92" ID32 "a0", SP_EFRAME, "id as a string" },
	{ "9304" AREA("05") "91" ID32, SP_ELABEL, "WANT area label 5" },
	/* DONE */
	{ "9305" AREA("02") "00", SP_EFRAME, "DONE without need" },
	{ "9405" AREA("02") "00ff", SP_EFRAME, "DONE need -1" },
	{ "9405" AREA("02") "00cb3ff0000000000000", SP_EFRAME, "DONE need 1.0" },
	{ "9505" AREA("02") "000000", SP_EFRAME, "DONE of five items" },
	/* SYNCED, PING, PONG */
	{ "9206c0", SP_EFRAME, "SYNCED with an item" },
	{ "920b00", SP_EFRAME, "RESYNC with an item" },
	{ "9107", SP_EFRAME, "PING without nonce" },
	{ "9207a0", SP_EFRAME, "PING nonce as a string" },
	{ "920780", SP_EFRAME, "PING nonce as a map" },
	{ "9207c2", SP_EFRAME, "PING nonce as a boolean" },
	{ "9307" "0000", SP_EFRAME, "PING with two nonces" },
	{ "9208d0e0", SP_ENONCANON_INT, "PONG nonce int8 -32" },
	{ "9208cd00ff", SP_ENONCANON_INT, "PONG nonce uint16 for 255" },
	/* ERROR */
	{ "9209ff", SP_EFRAME, "ERROR without message" },
	{ "9309cf8000000000000000a0", SP_EFRAME, "ERROR code 2^63" },
	{ "9309ce80000000a0", SP_EFRAME, "ERROR code 2^31" },
	{ "9309d2" "7fffffff" "a0", SP_ENONCANON_INT, "ERROR code 2^31-1 as int32" },
	{ "9309d3ffffffff7fffffffa0", SP_EFRAME, "ERROR code -2^31-1" },
	{ "9309c0a0", SP_EFRAME, "ERROR code nil" },
	{ "9309ffc400", SP_EFRAME, "ERROR message as a binary" },
	{ "9309ffa2c328", SP_EUTF8, "ERROR message not UTF-8" },
	{ "9309ffa3", SP_ETRUNCATED, "ERROR message cut" },
	{ "930900a0", SP_EFRAME, "ERROR code 0" },
	{ "9309ce7fffffffa0", SP_EFRAME, "ERROR code 2^31-1" },
	{ "930901a0", SP_EFRAME, "ERROR code 1" },
	/* REFUSED */
	{ "910a", SP_EFRAME, "REFUSED without area" },
	{ "920a" AREA("02") "c0", SP_ETRAILING, "REFUSED with a byte after it" },
	{ "930a" AREA("02") AREA("02"), SP_EFRAME, "REFUSED of two areas" },
	{ "920a" "93" C32 "a168", SP_ETRUNCATED, "REFUSED area without label" },
	/*
	 * Canonical encoding (docs/FORMAT.md, section 1), at least one case
	 * per type; test_noncanonical_each_item does it for every item.
	 */
	{ "dc0004" "01019090", SP_ENONCANON_LEN, "HELLO as array16" },
	{ "9401d30000000000000001" "9090", SP_ENONCANON_INT, "HELLO version as int64" },
	{ "9401cc01" "9090", SP_ENONCANON_INT, "HELLO version as uint8" },
	{ "940101dc0000" "90", SP_ENONCANON_LEN, "HELLO offers as array16" },
	{ "94010191" "dc0003" C32 "a16802" "90", SP_ENONCANON_LEN, "HELLO area as array16" },
	{ "94010191" "93c50020" "0101010101010101010101010101010101010101010101010101010101010101"
	  "a16802" "90", SP_ENONCANON_LEN, "HELLO community as bin16" },
	{ "94010191" "93" C32 "d9016802" "90", SP_ENONCANON_LEN, "HELLO collection as str8" },
	{ "94010191" "93" C32 "a168cc02" "90", SP_ENONCANON_INT, "HELLO label as uint8" },
	{ "9401019091" WANT("d00f"), SP_ENONCANON_INT, "HELLO want labels as int8" },
	{ "9302" AREA("02") "c5000161", SP_ENONCANON_LEN, "NEG message as bin16" },
	{ "93cc02" AREA("02") "c400", SP_ENONCANON_INT, "NEG type as uint8" },
	{ "9203dc000191c400", SP_ENONCANON_LEN, "RECORDS list as array16" },
	{ "920391c5000100", SP_ENONCANON_LEN, "RECORDS record as bin16" },
	{ "9304" AREA("02") "91c50020"
	  "0202020202020202020202020202020202020202020202020202020202020202",
	  SP_ENONCANON_LEN, "WANT id as bin16" },
	{ "9304" AREA("02") "dd00000000", SP_ENONCANON_LEN, "WANT ids as array32" },
	{ "9405" AREA("02") "cd00ff" "00", SP_ENONCANON_INT, "DONE have 255 as uint16" },
	{ "9405" AREA("02") "00" "cf0000000000000001", SP_ENONCANON_INT, "DONE need 1 as uint64" },
	{ "dc000106", SP_ENONCANON_LEN, "SYNCED as array16" },
	{ "9106c0", SP_ETRAILING, "SYNCED with a byte after it" },
	{ "9207cf0000000000000005", SP_ENONCANON_INT, "PING nonce 5 as uint64" },
	{ "9207d005", SP_ENONCANON_INT, "PING nonce 5 as int8" },
	{ "9208cf0000000000000005", SP_ENONCANON_INT, "PONG nonce 5 as uint64" },
	{ "920805c0", SP_ETRAILING, "PONG with a byte after it" },
	{ "9309d2ffffffffa0", SP_ENONCANON_INT, "ERROR code -1 as int32" },
	{ "9309ffd90161", SP_ENONCANON_LEN, "ERROR message of 1 byte as str8" },
	{ "920a" "93" C32 "a168cd0002", SP_ENONCANON_INT, "REFUSED label as uint16" },
	{ "91cc0b", SP_ENONCANON_INT, "RESYNC type as uint8" },
	{ "920cdc0000", SP_ENONCANON_LEN, "OFFERS list as array16" },
	{ "920c91" AREA("02") "c0", SP_ETRAILING, "OFFERS with a byte after it" },
};

static const struct vector valid[] = {
	{ "94010190" "90", 0, "empty HELLO" },
	{ "94010191" AREA("00") "91" WANT("0f"), 0, "HELLO with a private area and every label" },
	{ "9401019193" C32 "a82e636861727465720390", 0, "\".charter\" is a valid area" },
	{ "9401019193" C32 "a7617a30392e5f2d0290", 0, "collection \"az09._-\": every kind of character" },
	{ "9401019193" C32 "d940"
	  "6161616161616161616161616161616161616161616161616161616161616161"
	  "6161616161616161616161616161616161616161616161616161616161616161"
	  "0290", 0, "collection of 64 characters" },
	{ "9401019091" WANT("01"), 0, "want labels 1: private only" },
	{ "9302" AREA("03") "c400", 0, "NEG with an empty message" },
	{ "920390", 0, "RECORDS of none" },
	{ "920391c400", 0, "RECORDS of an empty record" },
	{ "9304" AREA("01") "90", 0, "WANT of none" },
	{ "9405" AREA("01") "00cfffffffffffffffff", 0, "DONE need 2^64-1" },
	{ "9106", 0, "SYNCED" },
	{ "910b", 0, "RESYNC" },
	{ "9207cfffffffffffffffff", 0, "PING 2^64-1" },
	{ "9309d2" "80000000" "a0", 0, "ERROR code -2^31" },
	{ "9309ffa3616263", 0, "ERROR code -1" },
	{ "920a" AREA("02"), 0, "REFUSED" },
};

static void
check_vectors(const struct vector *v, size_t n)
{
	sp_wire_msg m;
	size_t i, len;
	uint8_t *p;
	int rc, bad = 0;

	for (i = 0; i < n; i++) {
		p = sp_test_unhex(v[i].hex, &len);
		assert_non_null(p);
		rc = sp_wire_decode(p, len, &m);
		if (rc != v[i].want) {
			print_error("%s (%s): got %s, want %s\n", v[i].hex,
			    v[i].why, sp_errname(rc), sp_errname(v[i].want));
			bad++;
		}
		free(p);
	}
	assert_int_equal(bad, 0);
}

static void
test_malformed_table(void **state)
{
	(void)state;
	check_vectors(malformed, sizeof malformed / sizeof malformed[0]);
	check_vectors(valid, sizeof valid / sizeof valid[0]);
}

/* Bytes of households in a message: fixarray, bin8, fixstr, fixint label. */
#define AREA_BYTES (1 + 2 + SP_PUBKEY_BYTES + 1 + sizeof "households" - 1 + 1)

/*
 * A list of n items at its bound decodes; one more is SP_ETOOBIG even
 * though the input holds them all, and even when the items are garbage:
 * the bound is checked before any item is.
 */
static void
check_list_bound(void (*begin)(sp_buf *, uint32_t), void (*item)(sp_buf *),
    uint32_t max, enum sp_wire_type type)
{
	sp_wire_msg m;
	sp_buf b;
	uint32_t i;

	sp_buf_init(&b);
	begin(&b, max);
	for (i = 0; i < max; i++)
		item(&b);
	decode_ok(&b, type, &m);
	assert_int_equal(type == SP_WIRE_OFFERS ? m.noffers : m.count, max);

	sp_buf_reset(&b);
	begin(&b, max + 1);
	for (i = 0; i < max + 1; i++)
		item(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_ETOOBIG);

	sp_buf_reset(&b);
	begin(&b, max + 1);
	for (i = 0; i < max + 1; i++)
		sp_pack_nil(&b);
	assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_ETOOBIG);
	sp_buf_free(&b);
}

/* Headers packed by hand: the encoders refuse counts over the bounds. */
static void
begin_hello(sp_buf *b, uint32_t n)
{
	sp_pack_array(b, 4);
	sp_pack_uint(b, SP_WIRE_HELLO);
	sp_pack_uint(b, SP_WIRE_VERSION);
	sp_pack_array(b, n);
}

static void
begin_offers(sp_buf *b, uint32_t n)
{
	sp_pack_array(b, 2);
	sp_pack_uint(b, SP_WIRE_OFFERS);
	sp_pack_array(b, n);
}

static void
begin_records(sp_buf *b, uint32_t n)
{
	sp_pack_array(b, 2);
	sp_pack_uint(b, SP_WIRE_RECORDS);
	sp_pack_array(b, n);
}

static void
begin_want(sp_buf *b, uint32_t n)
{
	sp_pack_array(b, 3);
	sp_pack_uint(b, SP_WIRE_WANT);
	sp_wire_pack_area(b, &households);
	sp_pack_array(b, n);
}

static void
item_area(sp_buf *b)
{
	sp_wire_pack_area(b, &households);
}

static void
item_record(sp_buf *b)
{
	static const uint8_t rec[3] = { 1, 2, 3 };

	sp_pack_bin(b, rec, sizeof rec);
}

static void
item_id(sp_buf *b)
{
	static const uint8_t id[SP_ID_BYTES] = { 9 };

	sp_pack_bin(b, id, sizeof id);
}

static void
test_list_bounds(void **state)
{
	sp_wire_msg m;
	uint8_t *rec;
	sp_buf b;
	uint32_t i;

	(void)state;
	check_list_bound(begin_records, item_record, SP_WIRE_MAX_RECORDS,
	    SP_WIRE_RECORDS);
	check_list_bound(begin_want, item_id, SP_WIRE_MAX_IDS, SP_WIRE_WANT);
	check_list_bound(begin_offers, item_area, SP_WIRE_MAX_AREAS, SP_WIRE_OFFERS);

	/* HELLO: offers, then wants, each bounded. */
	sp_buf_init(&b);
	begin_hello(&b, SP_WIRE_MAX_AREAS);
	for (i = 0; i < SP_WIRE_MAX_AREAS; i++)
		item_area(&b);
	sp_pack_array(&b, SP_WIRE_MAX_AREAS);
	for (i = 0; i < SP_WIRE_MAX_AREAS; i++)
		sp_wire_pack_want(&b, &want_all);
	decode_ok(&b, SP_WIRE_HELLO, &m);
	assert_int_equal(m.noffers, SP_WIRE_MAX_AREAS);
	assert_int_equal(m.nwants, SP_WIRE_MAX_AREAS);
	assert_int_equal(m.offers_len, SP_WIRE_MAX_AREAS * AREA_BYTES);

	sp_buf_reset(&b);
	begin_hello(&b, SP_WIRE_MAX_AREAS + 1);
	for (i = 0; i < SP_WIRE_MAX_AREAS + 1; i++)
		sp_pack_nil(&b);
	sp_pack_array(&b, 0);
	assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_ETOOBIG);

	sp_buf_reset(&b);
	begin_hello(&b, 0);
	sp_pack_array(&b, SP_WIRE_MAX_AREAS + 1);
	for (i = 0; i < SP_WIRE_MAX_AREAS + 1; i++)
		sp_wire_pack_want(&b, &want_all);
	assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_ETOOBIG);

	/* A record one byte over SP_RECORD_MAX. */
	assert_non_null(rec = calloc(1, SP_RECORD_MAX + 1));
	sp_buf_reset(&b);
	begin_records(&b, 1);
	sp_pack_bin(&b, rec, SP_RECORD_MAX + 1);
	assert_int_equal(b.err, 0);
	assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_ETOOBIG);
	sp_buf_free(&b);
	free(rec);
}

/* A NEG of len bytes, packed by hand: the encoder refuses one over the bound. */
static void
pack_neg(sp_buf *b, const uint8_t *neg, size_t len)
{
	sp_pack_array(b, 3);
	sp_pack_uint(b, SP_WIRE_NEG);
	sp_wire_pack_area(b, &households);
	sp_pack_bin(b, neg, len);
}

/* An ERROR whose text is len bytes of 'a', packed by hand. */
static void
pack_error(sp_buf *b, int64_t code, size_t len)
{
	char *text = malloc(len + 1);

	assert_non_null(text);
	memset(text, 'a', len);
	sp_pack_array(b, 3);
	sp_pack_uint(b, SP_WIRE_ERROR);
	sp_pack_int(b, code);
	sp_pack_str(b, text, len);
	free(text);
}

/*
 * The limits docs/PROTOCOL.md ("Transport") gives for what a message may
 * hold that test_list_bounds and the vector table do not already take to
 * their edge: each just at its bound is accepted, just over it refused.
 */
static void
test_limits(void **state)
{
	uint8_t *neg = calloc(1, SP_WIRE_NEG_MAX + 1);
	char text[SP_WIRE_ERROR_TEXT_MAX + 2];
	sp_wire_msg m;
	sp_buf b;

	(void)state;
	assert_non_null(neg);
	sp_buf_init(&b);

	/* A Negentropy message of 1 MiB, built by the encoder; then 1 MiB + 1. */
	sp_wire_neg(&b, &households, neg, SP_WIRE_NEG_MAX);
	decode_ok(&b, SP_WIRE_NEG, &m);
	assert_int_equal(m.data_len, 1024 * 1024);
	sp_buf_reset(&b);
	pack_neg(&b, neg, SP_WIRE_NEG_MAX + 1);
	assert_int_equal(b.err, 0);
	assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_ETOOBIG);

	/* An ERROR's text of 256 bytes, built by the encoder; then 257. */
	memset(text, 'a', SP_WIRE_ERROR_TEXT_MAX + 1);
	text[SP_WIRE_ERROR_TEXT_MAX] = '\0';
	sp_buf_reset(&b);
	sp_wire_error(&b, SP_EFRAME, text);
	decode_ok(&b, SP_WIRE_ERROR, &m);
	assert_int_equal(m.message_len, 256);
	sp_buf_reset(&b);
	pack_error(&b, SP_EFRAME, SP_WIRE_ERROR_TEXT_MAX + 1);
	assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_ETOOBIG);
	sp_buf_reset(&b);
	text[SP_WIRE_ERROR_TEXT_MAX] = 'a';
	text[SP_WIRE_ERROR_TEXT_MAX + 1] = '\0';
	sp_wire_error(&b, SP_EFRAME, text);
	assert_int_equal(b.err, SP_EINVAL);

	/* An ERROR's code: a negative int32, from -1 down to -2^31. */
	sp_buf_reset(&b);
	pack_error(&b, -1, 0);
	decode_ok(&b, SP_WIRE_ERROR, &m);
	assert_int_equal(m.code, -1);
	sp_buf_reset(&b);
	pack_error(&b, 0, 0);
	assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_EFRAME);
	sp_buf_reset(&b);
	pack_error(&b, INT_MIN, 0);
	decode_ok(&b, SP_WIRE_ERROR, &m);
	assert_int_equal(m.code, INT_MIN);
	sp_buf_reset(&b);
	pack_error(&b, (int64_t)INT_MIN - 1, 0);
	assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_EFRAME);
	sp_buf_free(&b);
	free(neg);
}

/* Each type, built by the encoders, for the truncation test. */
static void
build_each(sp_buf *b, int which)
{
	static const uint8_t neg[] = { 0x61, 0x00 };
	static const uint8_t id[SP_ID_BYTES] = { 7 };
	const sp_area offers[] = { households, charter };
	const sp_want wants[] = { want_all, want_one };

	switch (which) {
	case SP_WIRE_HELLO:
		sp_wire_hello(b, offers, 2, wants, 2);
		break;
	case SP_WIRE_NEG:
		sp_wire_neg(b, &households, neg, sizeof neg);
		break;
	case SP_WIRE_RECORDS:
		sp_wire_records_begin(b, 2);
		sp_pack_bin(b, neg, sizeof neg);
		sp_pack_bin(b, id, sizeof id);
		break;
	case SP_WIRE_WANT:
		sp_wire_want_begin(b, &charter, 2);
		sp_pack_bin(b, id, sizeof id);
		sp_pack_bin(b, id, sizeof id);
		break;
	case SP_WIRE_DONE:
		sp_wire_done(b, &households, 300, 70000);
		break;
	case SP_WIRE_SYNCED:
		sp_wire_synced(b);
		break;
	case SP_WIRE_PING:
		sp_wire_ping(b, SP_WIRE_PING, 1ULL << 40);
		break;
	case SP_WIRE_PONG:
		sp_wire_ping(b, SP_WIRE_PONG, 5);
		break;
	case SP_WIRE_ERROR:
		sp_wire_error(b, SP_EFRAME, "malformed");
		break;
	case SP_WIRE_REFUSED:
		sp_wire_refused(b, &private_area);
		break;
	case SP_WIRE_RESYNC:
		sp_wire_resync(b);
		break;
	case SP_WIRE_OFFERS:
		sp_wire_offers(b, offers, 2);
		break;
	}
}

/* Every proper prefix of a valid message of each type is refused as cut. */
static void
test_truncated(void **state)
{
	sp_wire_msg m;
	uint8_t *copy;
	size_t cut;
	sp_buf b;
	int type, rc;

	(void)state;
	sp_buf_init(&b);
	for (type = SP_WIRE_HELLO; type <= SP_WIRE_OFFERS; type++) {
		sp_buf_reset(&b);
		build_each(&b, type);
		decode_ok(&b, (enum sp_wire_type)type, &m);
		for (cut = 0; cut < b.len; cut++) {
			/* An exact-size copy, so ASan sees any read past the end. */
			assert_non_null(copy = malloc(cut + 1));
			memcpy(copy, b.data, cut);
			rc = sp_wire_decode(copy, cut, &m);
			if (rc != SP_ETRUNCATED && rc != SP_ECOUNT)
				fail_msg("type %d cut at %zu of %zu: %s", type, cut,
				    b.len, sp_errname(rc));
			free(copy);
		}
	}
	sp_buf_free(&b);
}

/*
 * Rewriting one item of a canonical message into a non-canonical form,
 * for test_noncanonical_each_item. Items are numbered in the order they
 * start (the message's own array is 0); every other byte is copied as is.
 */
enum rewrite_how {
	WIDER,   /* the next wider header of the item's own family */
	SIGNED,  /* a non-negative integer in the signed family (int64) */
	SWAPPED, /* a string as a binary, a binary as a string */
};

typedef struct rewrite {
	enum rewrite_how how;
	int target;  /* the item to rewrite */
	int seen;    /* items met so far */
	int want;    /* what the decoder must answer; 0 when nothing was rewritten */
	int also;    /* another right answer (a binary that is no UTF-8 as a string) */
} rewrite;

/* The msgpack families that valid messages hold. */
enum family { F_UINT, F_INT, F_STR, F_BIN, F_ARRAY };

/* One item's header: lg is log2 of its size field, -1 for the fixed forms. */
typedef struct header {
	enum family f;
	int lg;
	uint64_t v;  /* value (two's complement for negatives), length or count */
} header;

/* The tag of each family's form with a 1 << lg byte field is base + lg. */
static const uint8_t family_base[] = {
	[F_UINT] = 0xcc, [F_INT] = 0xd0, [F_STR] = 0xd9, [F_BIN] = 0xc4,
	/* No array8: array16 (0xdc) is lg 1. */
	[F_ARRAY] = 0xdb,
};
static const int family_max_lg[] = {
	[F_UINT] = 3, [F_INT] = 3, [F_STR] = 2, [F_BIN] = 2, [F_ARRAY] = 2,
};

static uint64_t
get_be(const uint8_t *p, int lg)
{
	switch (lg) {
	case 0:
		return p[0];
	case 1:
		return sp_get_be16(p);
	case 2:
		return sp_get_be32(p);
	default:
		return sp_get_be64(p);
	}
}

/* Reads the header at *p and moves past it. */
static void
parse_header(const uint8_t **p, header *h)
{
	uint8_t tag = *(*p)++;
	unsigned i;

	*h = (header){ .lg = -1 };
	if (tag <= 0x7f) {
		h->f = F_UINT;
		h->v = tag;
		return;
	}
	if (tag >= 0xe0) {
		h->f = F_INT;
		h->v = ~(uint64_t)0 << 8 | tag;
		return;
	}
	if (tag >= 0x90 && tag <= 0x9f) {
		h->f = F_ARRAY;
		h->v = tag & 0x0fu;
		return;
	}
	if (tag >= 0xa0 && tag <= 0xbf) {
		h->f = F_STR;
		h->v = tag & 0x1fu;
		return;
	}
	for (i = 0; i < sizeof family_base; i++) {
		if (tag > family_base[i] + family_max_lg[i] ||
		    tag < family_base[i] + (i == F_ARRAY ? 1 : 0))
			continue;
		h->f = (enum family)i;
		h->lg = tag - family_base[i];
		h->v = get_be(*p, h->lg);
		*p += 1u << h->lg;
		/* Sign-extend a negative int narrower than 64 bits. */
		if (h->f == F_INT && h->lg < 3 && (h->v >> ((8u << h->lg) - 1)) != 0)
			h->v |= ~(uint64_t)0 << (8u << h->lg);
		return;
	}
	fail_msg("tag 0x%02x is not in a valid message", tag);
}

/* Appends the header of family f with a 1 << lg byte field holding v's low bytes. */
static void
put_header(sp_buf *out, enum family f, int lg, uint64_t v)
{
	uint8_t h[9];
	size_t n = (size_t)1 << lg;

	h[0] = (uint8_t)(family_base[f] + lg);
	sp_put_be64(h + 1, v);
	memmove(h + 1, h + 1 + 8 - n, n);
	sp_buf_append(out, h, 1 + n);
}

/* Writes h rewritten as rw says and returns true, or false if that does not apply to h. */
static bool
rewrite_header(sp_buf *out, rewrite *rw, const header *h)
{
	uint8_t fixstr;

	switch (rw->how) {
	case WIDER:
		if (h->lg >= family_max_lg[h->f])
			return false;
		put_header(out, h->f, h->f == F_ARRAY && h->lg < 1 ? 1 : h->lg + 1, h->v);
		rw->want = h->f == F_UINT || h->f == F_INT ? SP_ENONCANON_INT : SP_ENONCANON_LEN;
		return true;
	case SIGNED:
		if (h->f != F_UINT || h->v > INT64_MAX)
			return false;
		put_header(out, F_INT, 3, h->v);
		rw->want = SP_ENONCANON_INT;
		return true;
	case SWAPPED:
		if (h->f == F_STR) {
			/* bin has no fixed form: bin8 is the shortest for a fixstr's length. */
			put_header(out, F_BIN, h->lg < 0 ? 0 : h->lg, h->v);
			rw->want = rw->also = SP_EFRAME;
			return true;
		}
		if (h->f != F_BIN)
			return false;
		/* The string in its own shortest form, so that only the type is wrong. */
		if (h->v < 32) {
			fixstr = (uint8_t)(0xa0 | h->v);
			sp_buf_append(out, &fixstr, 1);
		} else {
			put_header(out, F_STR, h->lg, h->v);
		}
		rw->want = SP_EFRAME;
		rw->also = SP_EUTF8;
		return true;
	}
	return false;
}

/* Copies the item at *p, and everything inside it, to out, rewriting item rw->target. */
static void
copy_item(const uint8_t **p, sp_buf *out, rewrite *rw)
{
	const uint8_t *start = *p;
	header h;
	uint64_t i;

	parse_header(p, &h);
	if (rw->seen++ != rw->target || !rewrite_header(out, rw, &h))
		sp_buf_append(out, start, (size_t)(*p - start));
	if (h.f == F_STR || h.f == F_BIN) {
		sp_buf_append(out, *p, h.v);
		*p += h.v;
	} else if (h.f == F_ARRAY) {
		for (i = 0; i < h.v; i++)
			copy_item(p, out, rw);
	}
}

/*
 * Every peer message is canonical msgpack (docs/PROTOCOL.md, "Transport"):
 * for a message of each type, every item in turn rewritten in a wider
 * form, as a non-negative integer in the signed family, or as a string for
 * a binary and the reverse, is refused with the rule it broke; so is a
 * byte after the message.
 */
static void
test_noncanonical_each_item(void **state)
{
	static const enum rewrite_how hows[] = { WIDER, SIGNED, SWAPPED };
	const uint8_t *p;
	sp_wire_msg m;
	sp_buf b, out;
	rewrite rw;
	size_t h;
	int type, target, rc, rewritten;

	(void)state;
	sp_buf_init(&b);
	sp_buf_init(&out);
	for (type = SP_WIRE_HELLO; type <= SP_WIRE_OFFERS; type++) {
		sp_buf_reset(&b);
		build_each(&b, type);
		decode_ok(&b, (enum sp_wire_type)type, &m);
		/* Nothing rewritten: the copy is the message. */
		sp_buf_reset(&out);
		rw = (rewrite){ .target = -1 };
		p = b.data;
		copy_item(&p, &out, &rw);
		assert_ptr_equal(p, b.data + b.len);
		assert_int_equal(out.len, b.len);
		assert_memory_equal(out.data, b.data, b.len);

		rewritten = 0;
		for (h = 0; h < sizeof hows / sizeof hows[0]; h++) {
			for (target = 0;; target++) {
				rw = (rewrite){ .how = hows[h], .target = target };
				sp_buf_reset(&out);
				p = b.data;
				copy_item(&p, &out, &rw);
				assert_int_equal(out.err, 0);
				if (rw.seen <= target)
					break;
				if (rw.want == 0)
					continue;
				rc = sp_wire_decode(out.data, out.len, &m);
				if (rc != rw.want && rc != rw.also)
					fail_msg("type %d, item %d rewritten (%d): %s, want %s",
					    type, target, (int)hows[h], sp_errname(rc),
					    sp_errname(rw.want));
				rewritten++;
			}
		}
		/* At least the array header and the type, each widened and signed. */
		assert_true(rewritten >= 3);

		sp_pack_nil(&b);
		assert_int_equal(sp_wire_decode(b.data, b.len, &m), SP_ETRAILING);
	}
	sp_buf_free(&b);
	sp_buf_free(&out);
}

/* Splits msg into fragments of the given sizes (cycled) and reassembles it. */
static void
reassemble(sp_wire_reasm *r, const uint8_t *msg, size_t len,
    const size_t *sizes, size_t nsizes)
{
	uint8_t *frag = malloc(SP_WIRE_FRAGMENT_MAX + 1);
	const uint8_t *out;
	size_t at = 0, n, i = 0, out_len;
	bool complete;

	assert_non_null(frag);
	while (at < len) {
		n = sizes[i++ % nsizes];
		if (n > len - at)
			n = len - at;
		frag[0] = at + n < len ? SP_WIRE_MORE : SP_WIRE_LAST;
		memcpy(frag + 1, msg + at, n);
		assert_int_equal(sp_wire_reasm_push(r, frag, n + 1, &out,
		    &out_len, &complete), 0);
		at += n;
		assert_int_equal(complete, at == len);
		if (!complete) {
			assert_null(out);
			assert_int_equal(out_len, 0);
		}
	}
	assert_int_equal(out_len, len);
	assert_memory_equal(out, msg, len);
	free(frag);
}

static void
test_reasm_many(void **state)
{
	static const size_t sizes[] = { 1, 7, SP_WIRE_FRAGMENT_MAX, 1000, 2,
		SP_WIRE_FRAGMENT_MAX - 1 };
	static const size_t whole[] = { SP_WIRE_FRAGMENT_MAX };
	static const size_t one[] = { 1 };
	const size_t len = 1024 * 1024 + 3;
	uint8_t *msg = malloc(len);
	sp_wire_reasm r;
	size_t i;

	(void)state;
	assert_non_null(msg);
	for (i = 0; i < len; i++)
		msg[i] = (uint8_t)(i * 31 + (i >> 8));
	sp_wire_reasm_init(&r, SP_WIRE_MSG_MAX);
	reassemble(&r, msg, len, sizes, sizeof sizes / sizeof sizes[0]);
	/* The next message starts afresh, in the same memory. */
	reassemble(&r, msg + 5, 100, whole, 1);
	reassemble(&r, msg, 3000, one, 1);
	reassemble(&r, msg, SP_WIRE_FRAGMENT_MAX, whole, 1);
	reassemble(&r, msg, SP_WIRE_FRAGMENT_MAX + 1, whole, 1);
	sp_wire_reasm_free(&r);
	free(msg);
}

static void
test_reasm_limit(void **state)
{
	uint8_t frag[101];
	const uint8_t *out;
	size_t out_len;
	bool complete;
	sp_wire_reasm r;
	int i;

	(void)state;
	memset(frag, 'x', sizeof frag);
	sp_wire_reasm_init(&r, 300);
	/* Exactly max: 3 x 100 bytes. */
	frag[0] = SP_WIRE_MORE;
	for (i = 0; i < 2; i++)
		assert_int_equal(sp_wire_reasm_push(&r, frag, sizeof frag, &out,
		    &out_len, &complete), 0);
	frag[0] = SP_WIRE_LAST;
	assert_int_equal(sp_wire_reasm_push(&r, frag, sizeof frag, &out,
	    &out_len, &complete), 0);
	assert_true(complete);
	assert_int_equal(out_len, 300);

	/* One byte more is refused before it is appended. */
	frag[0] = SP_WIRE_MORE;
	for (i = 0; i < 3; i++)
		assert_int_equal(sp_wire_reasm_push(&r, frag, sizeof frag, &out,
		    &out_len, &complete), 0);
	assert_int_equal(sp_wire_reasm_push(&r, frag, 2, &out, &out_len,
	    &complete), SP_ETOOBIG);
	assert_false(complete);
	assert_null(out);
	assert_true(r.buf.len <= r.max);
	sp_wire_reasm_free(&r);

	/* A single fragment past max. */
	sp_wire_reasm_init(&r, 99);
	frag[0] = SP_WIRE_LAST;
	assert_int_equal(sp_wire_reasm_push(&r, frag, sizeof frag, &out,
	    &out_len, &complete), SP_ETOOBIG);
	/* After an error the partial message is gone: a new one fits. */
	assert_int_equal(sp_wire_reasm_push(&r, frag, 100, &out, &out_len,
	    &complete), 0);
	assert_true(complete);
	assert_int_equal(out_len, 99);
	sp_wire_reasm_free(&r);
}

static void
test_reasm_bad(void **state)
{
	static const uint8_t flags[] = { 0x02, 0x03, 0x80, 0xff };
	uint8_t *frag = calloc(1, SP_WIRE_FRAGMENT_MAX + 2);
	const uint8_t *out;
	size_t out_len, i;
	bool complete;
	sp_wire_reasm r;

	(void)state;
	assert_non_null(frag);
	sp_wire_reasm_init(&r, SP_WIRE_MSG_MAX);
	for (i = 0; i < sizeof flags; i++) {
		frag[0] = flags[i];
		assert_int_equal(sp_wire_reasm_push(&r, frag, 10, &out, &out_len,
		    &complete), SP_EFRAME);
		assert_false(complete);
	}
	/* Empty: no bytes at all, or a flag and nothing to carry. */
	frag[0] = SP_WIRE_LAST;
	assert_int_equal(sp_wire_reasm_push(&r, frag, 0, &out, &out_len,
	    &complete), SP_EFRAME);
	assert_int_equal(sp_wire_reasm_push(&r, frag, 1, &out, &out_len,
	    &complete), SP_EFRAME);
	frag[0] = SP_WIRE_MORE;
	assert_int_equal(sp_wire_reasm_push(&r, frag, 1, &out, &out_len,
	    &complete), SP_EFRAME);
	/* Larger than a Noise payload can be. */
	assert_int_equal(sp_wire_reasm_push(&r, frag, SP_WIRE_FRAGMENT_MAX + 2,
	    &out, &out_len, &complete), SP_EFRAME);
	/* A bad fragment in the middle drops what came before it. */
	frag[1] = 'a';
	assert_int_equal(sp_wire_reasm_push(&r, frag, 2, &out, &out_len,
	    &complete), 0);
	frag[0] = 0x7f;
	assert_int_equal(sp_wire_reasm_push(&r, frag, 2, &out, &out_len,
	    &complete), SP_EFRAME);
	frag[0] = SP_WIRE_LAST;
	frag[1] = 'b';
	assert_int_equal(sp_wire_reasm_push(&r, frag, 2, &out, &out_len,
	    &complete), 0);
	assert_true(complete);
	assert_int_equal(out_len, 1);
	assert_int_equal(out[0], 'b');
	sp_wire_reasm_free(&r);
	free(frag);
}

/*
 * A logical message of 4 MiB reassembles; one byte more is refused at the
 * fragment that passes the bound. A fragment carries 1 to 65,518 bytes.
 */
static void
test_message_limits(void **state)
{
	static const size_t whole[] = { SP_WIRE_FRAGMENT_MAX };
	uint8_t *msg = calloc(1, SP_WIRE_MSG_MAX + 1);
	uint8_t *frag = calloc(1, SP_WIRE_FRAGMENT_MAX + 2);
	const uint8_t *out;
	size_t at, out_len;
	bool complete;
	sp_wire_reasm r;

	(void)state;
	assert_non_null(msg);
	assert_non_null(frag);
	assert_int_equal(SP_WIRE_MSG_MAX, 4 * 1024 * 1024);
	assert_int_equal(SP_WIRE_FRAGMENT_MAX, 65518);
	sp_wire_reasm_init(&r, SP_WIRE_MSG_MAX);
	reassemble(&r, msg, SP_WIRE_MSG_MAX, whole, 1);

	/* Whole fragments up to the bound, then one carrying the extra byte. */
	frag[0] = SP_WIRE_MORE;
	for (at = 0; at + SP_WIRE_FRAGMENT_MAX <= SP_WIRE_MSG_MAX; at += SP_WIRE_FRAGMENT_MAX)
		assert_int_equal(sp_wire_reasm_push(&r, frag, SP_WIRE_FRAGMENT_MAX + 1,
		    &out, &out_len, &complete), 0);
	assert_int_equal(sp_wire_reasm_push(&r, frag, SP_WIRE_MSG_MAX - at + 1, &out,
	    &out_len, &complete), 0);
	frag[0] = SP_WIRE_LAST;
	assert_int_equal(sp_wire_reasm_push(&r, frag, 2, &out, &out_len,
	    &complete), SP_ETOOBIG);
	assert_false(complete);

	/* A fragment of 65,518 bytes is whole; 65,519 is no fragment. */
	assert_int_equal(sp_wire_reasm_push(&r, frag, SP_WIRE_FRAGMENT_MAX + 1, &out,
	    &out_len, &complete), 0);
	assert_true(complete);
	assert_int_equal(out_len, SP_WIRE_FRAGMENT_MAX);
	assert_int_equal(sp_wire_reasm_push(&r, frag, SP_WIRE_FRAGMENT_MAX + 2, &out,
	    &out_len, &complete), SP_EFRAME);
	sp_wire_reasm_free(&r);
	free(frag);
	free(msg);
}

/* The fuzzer's seed corpus holds valid messages; keep it that way. */
static void
test_seed_corpus(void **state)
{
	static const struct {
		const char *name;
		enum sp_wire_type type;
	} seeds[] = {
		{ "hello", SP_WIRE_HELLO }, { "neg", SP_WIRE_NEG },
		{ "records", SP_WIRE_RECORDS }, { "want", SP_WIRE_WANT },
		{ "done", SP_WIRE_DONE }, { "synced", SP_WIRE_SYNCED },
		{ "ping", SP_WIRE_PING }, { "pong", SP_WIRE_PONG },
		{ "error", SP_WIRE_ERROR }, { "refused", SP_WIRE_REFUSED },
		{ "resync", SP_WIRE_RESYNC }, { "offers", SP_WIRE_OFFERS },
		/* Fields at their edges: a 64-byte collection (str8), "*" with
		 * every label, 2^64-1, the longest ERROR text. */
		{ "hello-wildcard", SP_WIRE_HELLO }, { "done-max", SP_WIRE_DONE },
		{ "ping-max", SP_WIRE_PING }, { "error-longest", SP_WIRE_ERROR },
	};
	const char *src = getenv("SP_SRC");
	char path[4096];
	uint8_t buf[4096];
	sp_wire_msg m;
	FILE *f;
	size_t i, len;

	(void)state;
	/* ctest sets SP_SRC; without it the seeds cannot be found: fail, do not skip. */
	assert_non_null(src);
	for (i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
		snprintf(path, sizeof path, "%s/tests/fuzz/corpus/wire/%s", src, seeds[i].name);
		assert_non_null(f = fopen(path, "rb"));
		len = fread(buf, 1, sizeof buf, f);
		fclose(f);
		assert_int_equal(sp_wire_decode(buf, len, &m), 0);
		assert_int_equal(m.type, seeds[i].type);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_neg),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_want),
		cmocka_unit_test(test_small_messages),
		cmocka_unit_test(test_encode_refuses),
		cmocka_unit_test(test_area_order),
		cmocka_unit_test(test_want_matches),
		cmocka_unit_test(test_field_encodings),
		cmocka_unit_test(test_malformed_table),
		cmocka_unit_test(test_list_bounds),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_noncanonical_each_item),
		cmocka_unit_test(test_reasm_many),
		cmocka_unit_test(test_reasm_limit),
		cmocka_unit_test(test_reasm_bad),
		cmocka_unit_test(test_message_limits),
		cmocka_unit_test(test_seed_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_heartbeat.c - the heartbeat's body (proto/heartbeat.c): peers are
 * kept sorted and distinct, a body round-trips in one canonical encoding
 * (pinned by known bytes), and what breaks a rule is SP_EHEARTBEAT
 * whichever way it comes: software empty, too long or not printable
 * ASCII, peers out of order, repeated or too many, a key missing, added
 * or misplaced, a field of the wrong type or size, trailing bytes.
 */
#include "sp_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heartbeat.h"
#include "pack.h"
#include "sp_err.h"

static void
node_id(uint8_t id[SP_PUBKEY_BYTES], uint8_t first, uint8_t last)
{
	memset(id, 0x11, SP_PUBKEY_BYTES);
	id[0] = first;
	id[SP_PUBKEY_BYTES - 1] = last;
}

static void
encode_ok(const sp_heartbeat *hb, sp_buf *out)
{
	sp_buf_init(out);
	assert_int_equal(sp_heartbeat_encode(hb, out), 0);
}

static void
test_add_peer_sorted(void **state)
{
	sp_heartbeat *hb = calloc(1, sizeof(*hb));
	uint8_t a[32], b[32], c[32], id[32];
	size_t i;

	(void)state;
	assert_non_null(hb);
	node_id(a, 0x01, 0);
	node_id(b, 0x01, 1);
	node_id(c, 0xf0, 0);
	assert_int_equal(sp_heartbeat_add_peer(hb, c, 30, 3), 0);
	assert_int_equal(sp_heartbeat_add_peer(hb, a, 10, 1), 0);
	assert_int_equal(sp_heartbeat_add_peer(hb, b, 20, 2), 0);
	assert_int_equal(hb->npeers, 3);
	assert_memory_equal(hb->peers[0].node, a, 32);
	assert_memory_equal(hb->peers[1].node, b, 32);
	assert_memory_equal(hb->peers[2].node, c, 32);
	assert_int_equal(hb->peers[1].last_sync_ms, 20);
	assert_int_equal(hb->peers[2].backlog, 3);
	/* A node named again keeps its first figures. */
	assert_int_equal(sp_heartbeat_add_peer(hb, b, 99, 99), SP_EEXIST);
	assert_int_equal(hb->npeers, 3);
	assert_int_equal(hb->peers[1].backlog, 2);
	/* Full at 256: the 257th is refused, nothing moved. */
	for (i = 3; i < SP_HEARTBEAT_MAX_PEERS; i++) {
		node_id(id, 0x80, (uint8_t)i);
		id[1] = (uint8_t)(i >> 8);
		assert_int_equal(sp_heartbeat_add_peer(hb, id, 0, 0), 0);
	}
	node_id(id, 0x00, 0);
	assert_int_equal(sp_heartbeat_add_peer(hb, id, 0, 0), SP_ETOOBIG);
	assert_int_equal(hb->npeers, SP_HEARTBEAT_MAX_PEERS);
	assert_memory_equal(hb->peers[0].node, a, 32);
	strcpy(hb->software, "simpul 1.0");
	assert_int_equal(sp_heartbeat_check(hb), 0);
	free(hb);
}

/* {"peers": [], "software": "s", "time": 1} and one with a peer, byte for byte. */
static void
test_known_bytes(void **state)
{
	static const uint8_t empty[] = {
		0x83, 0xa5, 'p', 'e', 'e', 'r', 's', 0x90,
		0xa8, 's', 'o', 'f', 't', 'w', 'a', 'r', 'e', 0xa1, 's',
		0xa4, 't', 'i', 'm', 'e', 0x01,
	};
	sp_heartbeat *hb = calloc(1, sizeof(*hb)), *back = calloc(1, sizeof(*back));
	uint8_t node[32];
	sp_buf out;
	size_t at;

	(void)state;
	assert_non_null(hb);
	assert_non_null(back);
	strcpy(hb->software, "s");
	hb->time_ms = 1;
	encode_ok(hb, &out);
	assert_int_equal(out.len, sizeof(empty));
	assert_memory_equal(out.data, empty, sizeof(empty));
	sp_buf_free(&out);

	memset(node, 0xab, sizeof(node));
	assert_int_equal(sp_heartbeat_add_peer(hb, node, 1700000000000ull, 300), 0);
	hb->time_ms = 1700000060000ull;
	encode_ok(hb, &out);
	/* peers: one map {"backlog": 300, "last_sync": 1700000000000, "node": bin32}. */
	assert_int_equal(out.data[7], 0x91);
	assert_int_equal(out.data[8], 0x83);
	assert_memory_equal(out.data + 9, "\xa7" "backlog" "\xcd\x01\x2c", 11);
	assert_memory_equal(out.data + 20, "\xa9" "last_sync" "\xcf", 11);
	at = 20 + 11 + 8;
	assert_memory_equal(out.data + at, "\xa4" "node" "\xc4\x20", 7);
	assert_memory_equal(out.data + at + 7, node, 32);
	assert_int_equal(sp_heartbeat_decode(out.data, out.len, back), 0);
	assert_string_equal(back->software, "s");
	assert_int_equal(back->time_ms, 1700000060000ull);
	assert_int_equal(back->npeers, 1);
	assert_int_equal(back->peers[0].last_sync_ms, 1700000000000ull);
	assert_int_equal(back->peers[0].backlog, 300);
	assert_memory_equal(back->peers[0].node, node, 32);
	sp_buf_free(&out);
	free(hb);
	free(back);
}

/* Many peers round-trip, and encode again to the same bytes. */
static void
test_round_trip(void **state)
{
	sp_heartbeat *hb = calloc(1, sizeof(*hb)), *back = calloc(1, sizeof(*back));
	uint8_t id[32];
	sp_buf a, b;
	size_t i;

	(void)state;
	assert_non_null(hb);
	assert_non_null(back);
	strcpy(hb->software, "simpul 0.1.0 (linux)");
	hb->time_ms = UINT64_MAX;
	for (i = 0; i < SP_HEARTBEAT_MAX_PEERS; i++) {
		node_id(id, (uint8_t)(255 - i), (uint8_t)i);
		assert_int_equal(sp_heartbeat_add_peer(hb, id, i * 1000, i == 7 ? UINT64_MAX : i), 0);
	}
	encode_ok(hb, &a);
	assert_int_equal(sp_heartbeat_decode(a.data, a.len, back), 0);
	assert_int_equal(back->npeers, SP_HEARTBEAT_MAX_PEERS);
	assert_memory_equal(back->peers, hb->peers, sizeof(hb->peers));
	encode_ok(back, &b);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	sp_buf_free(&a);
	sp_buf_free(&b);
	free(hb);
	free(back);
}

static void
test_check_rules(void **state)
{
	sp_heartbeat *hb = calloc(1, sizeof(*hb));
	uint8_t a[32], b[32];
	sp_buf out;

	(void)state;
	assert_non_null(hb);
	node_id(a, 1, 0);
	node_id(b, 2, 0);
	/* Software: 1-64 bytes of printable ASCII. */
	assert_int_equal(sp_heartbeat_check(hb), SP_EHEARTBEAT);
	memset(hb->software, 'v', SP_HEARTBEAT_SOFTWARE_MAX);
	assert_int_equal(sp_heartbeat_check(hb), 0);
	hb->software[SP_HEARTBEAT_SOFTWARE_MAX] = 'v';     /* 65 bytes, no NUL within the field */
	assert_int_equal(sp_heartbeat_check(hb), SP_EHEARTBEAT);
	memset(hb->software, 0, sizeof(hb->software));
	strcpy(hb->software, "simpul\t1");
	assert_int_equal(sp_heartbeat_check(hb), SP_EHEARTBEAT);
	strcpy(hb->software, "simpul \xc3\xa9");
	assert_int_equal(sp_heartbeat_check(hb), SP_EHEARTBEAT);
	strcpy(hb->software, "simpul ~1");
	assert_int_equal(sp_heartbeat_check(hb), 0);
	/* Peers in node order, each once. */
	memcpy(hb->peers[0].node, b, 32);
	memcpy(hb->peers[1].node, a, 32);
	hb->npeers = 2;
	assert_int_equal(sp_heartbeat_check(hb), SP_EHEARTBEAT);
	sp_buf_init(&out);
	assert_int_equal(sp_heartbeat_encode(hb, &out), SP_EHEARTBEAT);
	assert_int_equal(out.len, 0);
	memcpy(hb->peers[0].node, a, 32);
	assert_int_equal(sp_heartbeat_check(hb), SP_EHEARTBEAT);
	memcpy(hb->peers[1].node, b, 32);
	assert_int_equal(sp_heartbeat_check(hb), 0);
	hb->npeers = SP_HEARTBEAT_MAX_PEERS + 1;
	assert_int_equal(sp_heartbeat_check(hb), SP_EHEARTBEAT);
	sp_buf_free(&out);
	free(hb);
}

/* A body by hand: the three keys in the order given, each followed by what pack writes. */
typedef void (*packer)(sp_buf *b);

static void pk_peers_empty(sp_buf *b) { sp_pack_array(b, 0); }
static void pk_software(sp_buf *b) { sp_pack_cstr(b, "simpul"); }
static void pk_time(sp_buf *b) { sp_pack_uint(b, 5); }

static int
decode_built(const char *const *keys, const packer *values, uint32_t n)
{
	sp_heartbeat *hb = calloc(1, sizeof(*hb));
	sp_buf b;
	uint32_t i;
	int r;

	assert_non_null(hb);
	sp_buf_init(&b);
	sp_pack_map(&b, n);
	for (i = 0; i < n; i++) {
		sp_pack_cstr(&b, keys[i]);
		values[i](&b);
	}
	r = sp_heartbeat_decode(b.data, b.len, hb);
	/* Cleared on failure. */
	if (r != 0)
		assert_int_equal(hb->npeers + hb->time_ms + (uint64_t)hb->software[0], 0);
	sp_buf_free(&b);
	free(hb);
	return r;
}

static void pk_time_negative(sp_buf *b) { sp_pack_int(b, -1); }
static void pk_software_empty(sp_buf *b) { sp_pack_cstr(b, ""); }
static void pk_software_long(sp_buf *b) { sp_pack_cstr(b, "0123456789012345678901234567890123456789012345678901234567890123X"); }
static void pk_software_bin(sp_buf *b) { sp_pack_bin(b, "simpul", 6); }

static void
one_peer(sp_buf *b, size_t node_len, const char *third)
{
	uint8_t node[33];

	memset(node, 0x42, sizeof(node));
	sp_pack_array(b, 1);
	sp_pack_map(b, 3);
	sp_pack_cstr(b, "backlog");
	sp_pack_uint(b, 0);
	sp_pack_cstr(b, "last_sync");
	sp_pack_uint(b, 0);
	sp_pack_cstr(b, third);
	sp_pack_bin(b, node, node_len);
}

static void pk_peer_ok(sp_buf *b) { one_peer(b, 32, "node"); }
static void pk_peer_short_node(sp_buf *b) { one_peer(b, 31, "node"); }
static void pk_peer_long_node(sp_buf *b) { one_peer(b, 33, "node"); }
static void pk_peer_wrong_key(sp_buf *b) { one_peer(b, 32, "nodes"); }

static void
pk_peers_twice(sp_buf *b)
{
	uint8_t node[32];
	int i;

	memset(node, 0x42, sizeof(node));
	sp_pack_array(b, 2);
	for (i = 0; i < 2; i++) {
		sp_pack_map(b, 3);
		sp_pack_cstr(b, "backlog");
		sp_pack_uint(b, 0);
		sp_pack_cstr(b, "last_sync");
		sp_pack_uint(b, 0);
		sp_pack_cstr(b, "node");
		sp_pack_bin(b, node, 32);
	}
}

/* 257 well-formed peers: one too many, refused at the array's count. */
static void
pk_peers_too_many(sp_buf *b)
{
	uint8_t node[32];
	uint32_t i;

	sp_pack_array(b, SP_HEARTBEAT_MAX_PEERS + 1);
	for (i = 0; i <= SP_HEARTBEAT_MAX_PEERS; i++) {
		memset(node, 0, sizeof(node));
		node[0] = (uint8_t)(i >> 8);
		node[1] = (uint8_t)i;
		sp_pack_map(b, 3);
		sp_pack_cstr(b, "backlog");
		sp_pack_uint(b, 0);
		sp_pack_cstr(b, "last_sync");
		sp_pack_uint(b, 0);
		sp_pack_cstr(b, "node");
		sp_pack_bin(b, node, 32);
	}
}

static void
test_decode_refuses(void **state)
{
	const char *keys[] = { "peers", "software", "time" };
	const char *swapped[] = { "peers", "time", "software" };
	const char *extra[] = { "peers", "software", "time", "zone" };
	packer ok[] = { pk_peers_empty, pk_software, pk_time, pk_time };
	packer v[3];
	sp_heartbeat *hb = calloc(1, sizeof(*hb));
	sp_buf b;

	(void)state;
	assert_non_null(hb);
	assert_int_equal(decode_built(keys, ok, 3), 0);
	v[0] = pk_peer_ok; v[1] = pk_software; v[2] = pk_time;
	assert_int_equal(decode_built(keys, v, 3), 0);
	/* Keys: one missing, one more, out of order. */
	assert_int_equal(decode_built(keys, ok, 2), SP_EHEARTBEAT);
	assert_int_equal(decode_built(extra, ok, 4), SP_EHEARTBEAT);
	v[0] = pk_peers_empty; v[1] = pk_time; v[2] = pk_software;
	assert_int_equal(decode_built(swapped, v, 3), SP_EHEARTBEAT);
	/* Values of the wrong type or size. */
	v[0] = pk_peers_empty; v[1] = pk_software; v[2] = pk_time_negative;
	assert_int_equal(decode_built(keys, v, 3), SP_EHEARTBEAT);
	v[2] = pk_time;
	v[1] = pk_software_empty;
	assert_int_equal(decode_built(keys, v, 3), SP_EHEARTBEAT);
	v[1] = pk_software_long;
	assert_int_equal(decode_built(keys, v, 3), SP_EHEARTBEAT);
	v[1] = pk_software_bin;
	assert_int_equal(decode_built(keys, v, 3), SP_EHEARTBEAT);
	v[1] = pk_software;
	v[0] = pk_peer_short_node;
	assert_int_equal(decode_built(keys, v, 3), SP_EHEARTBEAT);
	v[0] = pk_peer_long_node;
	assert_int_equal(decode_built(keys, v, 3), SP_EHEARTBEAT);
	v[0] = pk_peer_wrong_key;
	assert_int_equal(decode_built(keys, v, 3), SP_EHEARTBEAT);
	/* Peers: the same node twice; 257 of them. */
	v[0] = pk_peers_twice;
	assert_int_equal(decode_built(keys, v, 3), SP_EHEARTBEAT);
	v[0] = pk_peers_too_many;
	assert_int_equal(decode_built(keys, v, 3), SP_EHEARTBEAT);
	/* Trailing bytes, a time not in its shortest form, a truncated body. */
	sp_buf_init(&b);
	strcpy(hb->software, "s");
	assert_int_equal(sp_heartbeat_encode(hb, &b), 0);
	sp_pack_nil(&b);
	assert_int_equal(sp_heartbeat_decode(b.data, b.len, hb), SP_EHEARTBEAT);
	assert_int_equal(sp_heartbeat_decode(b.data, b.len - 2, hb), SP_EHEARTBEAT);
	b.len -= 2;
	sp_pack_raw(&b, "\xcc\x00", 2);  /* 0 as a uint8 where a fixint is due */
	assert_int_equal(sp_heartbeat_decode(b.data, b.len, hb), SP_EHEARTBEAT);
	assert_int_equal(sp_heartbeat_decode(NULL, 0, hb), SP_EHEARTBEAT);
	sp_buf_free(&b);
	free(hb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_peer_sorted),
		cmocka_unit_test(test_known_bytes),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_check_rules),
		cmocka_unit_test(test_decode_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

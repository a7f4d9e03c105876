/*
 * test_sync.c - a replication session (daemon/sync.c) against a scripted
 * peer, for the rules of docs/PROTOCOL.md, "Peer protocol", that the
 * conversation decides. Node a runs the daemon's session layer: sp_sessions
 * over a fake connection (fake_conn.c, conn.h without sockets), its slow
 * work (signature checks, writes) on sp_work and a real store in a
 * temporary directory. The tests play b: they deliver b's messages one by
 * one and read what a sent. The peer module, which the fake stands in for, has its
 * own tests (test_peer.c). Waits for the thread pool are bounded in real
 * time and never assert on speed.
 */
#include "sp_test.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "base32.h"
#include "buf.h"
#include "charter.h"
#include "crypto.h"
#include "definition.h"
#include "fake_conn.h"
#include "identity.h"
#include "keyfile.h"
#include "negentropy.h"
#include "node.h"
#include "pack.h"
#include "policy.h"
#include "sp_err.h"
#include "store.h"
#include "sync.h"
#include "syscoll.h"
#include "wire.h"
#include "work.h"

#define WAIT_NS    (10ull * 1000 * 1000 * 1000)
#define SETTLE_MS  300           /* real time given to something that must not happen */
#define NOW_MS     1700000000000ull

/* The nodes' wall clock: records are signed around it. */
static uint64_t
wall_now(void)
{
	return NOW_MS;
}

typedef struct fixture {
	uv_loop_t loop;
	/* a: the daemon's layers. */
	char *a_dir;
	uint8_t a_id[SP_PUBKEY_BYTES];
	sp_node *a_node;
	sp_work *work;
	sp_sessions *sessions;
	sp_conn_handlers h;          /* the sessions' */
	sp_community_info community;
	sp_peer_policy a_pol;        /* a's policy for b */
	sp_peer_stats stats;         /* a's figures for b, across connections */
	sp_conn *conn;               /* a's connection to b: what a sent is conn->sent */
	/* b: scripted; its node holds what a must not know (another community). */
	char *b_dir;
	uint8_t b_id[SP_PUBKEY_BYTES];
	uint8_t b_sk[SP_SECKEY_BYTES];
	sp_node *b_node;
} fixture;

#define WAIT_UNTIL(f, cond) do { \
	uint64_t deadline_ = uv_hrtime() + WAIT_NS; \
	while (!(cond) && uv_hrtime() < deadline_) \
		uv_run(&(f)->loop, UV_RUN_ONCE); \
	assert_true(cond); \
} while (0)

/* Runs the loop for ms of real time: room for what must not happen. */
static void
run_for(fixture *f, unsigned ms)
{
	uint64_t deadline = uv_hrtime() + (uint64_t)ms * 1000 * 1000;

	do
		uv_run(&f->loop, UV_RUN_NOWAIT);
	while (uv_hrtime() < deadline);
}

/* The i-th message a sent b, decoded. */
static sp_wire_msg
seen_msg(fixture *f, size_t i)
{
	sp_wire_msg m;

	assert_true(i < f->conn->nsent);
	assert_int_equal(sp_wire_decode(f->conn->sent[i].data, f->conn->sent[i].len, &m), 0);
	return m;
}

/* The index of the first message of type a sent b from index from on, or -1. */
static long
find_type(fixture *f, size_t from, enum sp_wire_type type)
{
	size_t i;

	for (i = from; i < f->conn->nsent; i++)
		if (seen_msg(f, i).type == type)
			return (long)i;
	return -1;
}

static unsigned
count_type(fixture *f, enum sp_wire_type type)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < f->conn->nsent; i++)
		n += seen_msg(f, i).type == type;
	return n;
}

/* Waits for a message of type from index from on; returns its index. */
static size_t
wait_type(fixture *f, size_t from, enum sp_wire_type type)
{
	WAIT_UNTIL(f, find_type(f, from, type) >= 0 || f->conn->closed);
	assert_true(find_type(f, from, type) >= 0);
	return (size_t)find_type(f, from, type);
}

/* b sends one logical message (b's buffer is consumed): a reads it at once. */
static void
b_send(fixture *f, sp_buf *b)
{
	assert_int_equal(b->err, 0);
	assert_true(fake_conn_deliver(f->conn, b));
	sp_buf_free(b);
}

static void
make_area(fixture *f, sp_area *a, const char *collection, enum sp_label label)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->community, f->community.id, SP_PUBKEY_BYTES);
	snprintf(a->collection, sizeof(a->collection), "%s", collection);
	a->label = label;
}

static void
make_want(fixture *f, sp_want *w, const char *collection, enum sp_label label)
{
	memset(w, 0, sizeof(*w));
	memcpy(w->community, f->community.id, SP_PUBKEY_BYTES);
	snprintf(w->collection, sizeof(w->collection), "%s", collection);
	w->labels = 1u << label;
}

/* b's HELLO: it offers the areas given and wants what the wants say. */
static void
b_hello(fixture *f, const sp_area *offers, size_t noffers, const sp_want *wants, size_t nwants)
{
	sp_buf b;

	sp_buf_init(&b);
	sp_wire_hello(&b, offers, noffers, wants, nwants);
	b_send(f, &b);
}

/* A Negentropy message of b's for area: from an empty client, or answering msg from items. */
static void
b_neg_initiate(fixture *f, const sp_area *area)
{
	sp_neg_vector *vec;
	sp_neg_storage st;
	sp_neg *neg;
	sp_buf n, b;

	assert_int_equal(sp_neg_vector_new(&vec), 0);
	assert_int_equal(sp_neg_vector_seal(vec), 0);
	sp_neg_vector_storage(vec, &st);
	assert_int_equal(sp_neg_new(&st, SP_WIRE_NEG_MAX, &neg), 0);
	sp_buf_init(&n);
	assert_int_equal(sp_neg_initiate(neg, &n), 0);
	sp_buf_init(&b);
	sp_wire_neg(&b, area, n.data, n.len);
	b_send(f, &b);
	sp_buf_free(&n);
	sp_neg_free(neg);
	sp_neg_vector_free(vec);
}

/* b answers a's NEG m as a Negentropy server holding the items (timestamp, id) given. */
static void
b_neg_answer(fixture *f, const sp_wire_msg *m, const uint64_t *ts, uint8_t (*ids)[SP_ID_BYTES],
    size_t n)
{
	sp_neg_vector *vec;
	sp_neg_storage st;
	sp_neg *neg;
	sp_buf reply, b;
	size_t i;

	assert_int_equal(sp_neg_vector_new(&vec), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(sp_neg_vector_add(vec, ts[i], ids[i]), 0);
	assert_int_equal(sp_neg_vector_seal(vec), 0);
	sp_neg_vector_storage(vec, &st);
	assert_int_equal(sp_neg_new(&st, SP_WIRE_NEG_MAX, &neg), 0);
	sp_buf_init(&reply);
	assert_int_equal(sp_neg_reconcile(neg, m->data, m->data_len, &reply), 0);
	sp_buf_init(&b);
	sp_wire_neg(&b, &m->area, reply.data, reply.len);
	b_send(f, &b);
	sp_buf_free(&reply);
	sp_neg_free(neg);
	sp_neg_vector_free(vec);
}

/*
 * b answers a's rounds of the area whose first NEG is message i, as a
 * server holding the n items (ts, ids), until a's DONE; returns its index.
 */
static size_t
b_serve_area(fixture *f, size_t i, const uint64_t *ts, uint8_t (*ids)[SP_ID_BYTES], size_t n)
{
	sp_wire_msg m;

	for (;;) {
		m = seen_msg(f, i);
		if (m.type == SP_WIRE_DONE)
			return i;
		if (m.type == SP_WIRE_NEG)
			b_neg_answer(f, &m, ts, ids, n);
		WAIT_UNTIL(f, f->conn->nsent > i + 1 || f->conn->closed);
		assert_false(f->conn->closed);
		i++;
	}
}

static void
b_refuse(fixture *f, const sp_area *area)
{
	sp_buf b;

	sp_buf_init(&b);
	sp_wire_refused(&b, area);
	b_send(f, &b);
}

static void
b_want(fixture *f, const sp_area *area, uint8_t (*ids)[SP_ID_BYTES], uint32_t n)
{
	sp_buf b;
	uint32_t i;

	sp_buf_init(&b);
	sp_wire_want_begin(&b, area, n);
	for (i = 0; i < n; i++)
		sp_pack_bin(&b, ids[i], SP_ID_BYTES);
	b_send(f, &b);
}

/*
 * A record of the community signed by sk (b's key, or another), with an
 * empty body: live, or a tombstone with flags SP_FLAG_TOMBSTONE.
 */
static void
sign_in(const uint8_t community[SP_PUBKEY_BYTES], const uint8_t sk[SP_SECKEY_BYTES],
    const char *collection, const char *key, enum sp_label label, uint64_t timestamp,
    unsigned flags, const sp_buf *body_given, sp_buf *out, uint8_t id[SP_ID_BYTES])
{
	static const uint8_t empty[] = { 0x80 };
	sp_record rec;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.community, community, SP_PUBKEY_BYTES);
	memcpy(rec.author, sk + 32, SP_PUBKEY_BYTES);
	snprintf(rec.collection, sizeof(rec.collection), "%s", collection);
	rec.collection_len = strlen(rec.collection);
	snprintf(rec.key, sizeof(rec.key), "%s", key);
	rec.key_len = strlen(rec.key);
	rec.timestamp = timestamp;
	rec.flags = flags;
	rec.label = label;
	rec.body = body_given != NULL ? body_given->data : empty;
	rec.body_len = body_given != NULL ? body_given->len : sizeof(empty);
	sp_buf_init(out);
	assert_int_equal(sp_record_sign(&rec, sk, out, id), 0);
}

static void
sign_version(fixture *f, const uint8_t sk[SP_SECKEY_BYTES], const char *collection,
    const char *key, enum sp_label label, uint64_t timestamp, unsigned flags, sp_buf *out,
    uint8_t id[SP_ID_BYTES])
{
	sign_in(f->community.id, sk, collection, key, label, timestamp, flags, NULL, out, id);
}

static void
sign_record(fixture *f, const uint8_t sk[SP_SECKEY_BYTES], const char *collection,
    const char *key, enum sp_label label, uint64_t timestamp, sp_buf *out,
    uint8_t id[SP_ID_BYTES])
{
	sign_version(f, sk, collection, key, label, timestamp, 0, out, id);
}

/* b sends one RECORDS message holding the n records given, in order. */
static void
b_records_n(fixture *f, const sp_buf *recs, uint32_t n)
{
	sp_buf b;
	uint32_t i;

	sp_buf_init(&b);
	sp_wire_records_begin(&b, n);
	for (i = 0; i < n; i++)
		sp_pack_bin(&b, recs[i].data, recs[i].len);
	b_send(f, &b);
}

static void
b_records(fixture *f, const sp_buf *rec)
{
	b_records_n(f, rec, 1);
}

/* A put on a, before it connects (its write functions want one thread at a time). */
static void
a_put(fixture *f, const char *collection, const char *key, enum sp_label label,
    uint8_t id[SP_ID_BYTES])
{
	static const uint8_t body[] = { 0x80 };
	sp_write w;

	memset(&w, 0, sizeof(w));
	memcpy(w.community, f->community.id, SP_PUBKEY_BYTES);
	w.collection = collection;
	w.collection_len = strlen(collection);
	w.key = key;
	w.key_len = strlen(key);
	w.body = body;
	w.body_len = sizeof(body);
	w.label = label;
	w.label_given = true;
	assert_int_equal(sp_node_put(f->a_node, &w, id), 0);
}

/* Whether a holds the record of that key, in community c. */
static bool
a_has_in(fixture *f, const uint8_t c[SP_PUBKEY_BYTES], const char *collection,
    const char *key)
{
	sp_stored st;
	sp_txn *t;
	int r;

	assert_int_equal(sp_txn_begin(sp_node_store(f->a_node), false, &t), 0);
	r = sp_store_get(t, c, collection, strlen(collection), key, strlen(key), &st);
	sp_txn_abort(t);
	return r == 0;
}

static bool
a_has(fixture *f, const char *collection, const char *key)
{
	return a_has_in(f, f->community.id, collection, key);
}

/* The flags of the version a holds of that key (SP_ENOTFOUND: none). */
static int
a_flags(fixture *f, const char *collection, const char *key)
{
	sp_stored st;
	sp_record rec;
	sp_txn *t;
	int r;

	assert_int_equal(sp_txn_begin(sp_node_store(f->a_node), false, &t), 0);
	r = sp_store_get(t, f->community.id, collection, strlen(collection), key, strlen(key), &st);
	if (r == 0) {
		assert_int_equal(sp_record_decode(st.data, st.len, &rec), 0);
		r = (int)rec.flags;
	}
	sp_txn_abort(t);
	return r;
}

/* a's figures for b. */
static sp_peer_stats
a_stats(fixture *f)
{
	return f->stats;
}

static enum sp_peer_state
a_state(fixture *f)
{
	return f->conn->state;
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_non_null(f->a_dir = sp_test_mkdtemp());
	assert_non_null(f->b_dir = sp_test_mkdtemp());
	assert_int_equal(sp_identity_create(f->a_dir, f->a_id), 0);
	assert_int_equal(sp_identity_create(f->b_dir, f->b_id), 0);
	assert_int_equal(sp_identity_load(f->b_dir, f->b_sk, f->b_id), 0);
	assert_int_equal(sp_node_open(f->a_dir, wall_now, NULL, &f->a_node), 0);
	assert_int_equal(sp_node_open(f->b_dir, wall_now, NULL, &f->b_node), 0);
	assert_int_equal(sp_node_community_create(f->a_node, "rt03", &f->community), 0);
	snprintf(f->a_pol.name, sizeof(f->a_pol.name), "b");
	memcpy(f->a_pol.node, f->b_id, SP_PUBKEY_BYTES);
	*state = f;
	return 0;
}

/*
 * a's session starts on a connection to b: a_dials, a is the initiator
 * (the client), else the responder. Its HELLO is the first thing it sends.
 */
static void
connect_sides(fixture *f, bool a_dials)
{
	assert_int_equal(sp_work_new(&f->loop, &f->work), 0);
	assert_int_equal(sp_sessions_new(f->a_node, f->work, &f->sessions), 0);
	sp_sessions_handlers(f->sessions, &f->h);
	assert_non_null(f->conn = fake_conn_open(&f->h, a_dials, &f->a_pol, &f->stats));
	assert_true(f->conn->nsent >= 1);
	assert_int_equal(seen_msg(f, 0).type, SP_WIRE_HELLO);
}

static int
teardown(void **state)
{
	fixture *f = *state;
	uint64_t deadline;

	fake_conn_free(f->conn);
	if (f->work != NULL)
		sp_work_stop(f->work);
	deadline = uv_hrtime() + WAIT_NS;
	while (uv_run(&f->loop, UV_RUN_NOWAIT) != 0 && uv_hrtime() < deadline)
		;
	assert_int_equal(uv_loop_close(&f->loop), 0);
	sp_sessions_free(f->sessions);
	sp_work_free(f->work);
	sp_node_close(f->a_node);
	sp_node_close(f->b_node);
	sp_test_rmdir(f->a_dir);
	sp_test_rmdir(f->b_dir);
	free(f);
	return 0;
}

/* a closed the connection (at once or once its slow work was done), saying why. */
static void
assert_closed_with(fixture *f, const char *why)
{
	WAIT_UNTIL(f, f->conn->closed);
	assert_string_equal(f->conn->close_why, why);
}

/* a, the responder, offers b households (shared); b wants it and has said HELLO. */
static void
serve_households(fixture *f, sp_area *households)
{
	sp_want want;

	make_want(f, &f->a_pol.offers[0], "households", SP_LABEL_SHARED);
	f->a_pol.noffers = 1;
	connect_sides(f, false);
	make_area(f, households, "households", SP_LABEL_SHARED);
	make_want(f, &want, "households", SP_LABEL_SHARED);
	b_hello(f, NULL, 0, &want, 1);
}

/* The i-th message a sent b is about area. */
static void
assert_area(fixture *f, size_t i, const sp_area *area)
{
	sp_wire_msg m = seen_msg(f, i);

	assert_int_equal(sp_area_cmp(&m.area, area), 0);
}

/* The charter area of the test's community. */
static void
charter_area(fixture *f, sp_area *a)
{
	make_area(f, a, ".charter", SP_LABEL_PUBLIC);
}

/*
 * REFUSED (the responder, b, reconciles neither area): the initiator
 * drops the area, with no DONE and no WANT for it, goes on to its next
 * area (the charters first, then the agreed areas) and, with nothing
 * left, ends the pass with SYNCED.
 */
static void
test_refused_moves_on(void **state)
{
	fixture *f = *state;
	sp_area charter, households;
	sp_want want;
	uint8_t id[SP_ID_BYTES];
	size_t i;

	a_put(f, "households", "h-1", SP_LABEL_SHARED, id);
	make_want(f, &f->a_pol.offers[0], "households", SP_LABEL_SHARED);
	f->a_pol.noffers = 1;
	connect_sides(f, true);
	charter_area(f, &charter);
	make_area(f, &households, "households", SP_LABEL_SHARED);
	make_want(f, &want, "households", SP_LABEL_SHARED);
	b_hello(f, NULL, 0, &want, 1);
	i = wait_type(f, 1, SP_WIRE_NEG);
	assert_area(f, i, &charter);
	b_refuse(f, &charter);
	i = wait_type(f, i + 1, SP_WIRE_NEG);
	assert_area(f, i, &households);
	b_refuse(f, &households);
	wait_type(f, i + 1, SP_WIRE_SYNCED);
	run_for(f, SETTLE_MS);
	assert_int_equal(count_type(f, SP_WIRE_DONE), 0);
	assert_int_equal(count_type(f, SP_WIRE_WANT), 0);
	assert_int_equal(count_type(f, SP_WIRE_NEG), 2);
	assert_int_equal(f->conn->closed, 0);
	assert_int_equal(a_state(f), SP_PEER_LIVE);
}

/* REFUSED for an area the initiator is not reconciling: ERROR SP_EFRAME, closed. */
static void
test_refused_unexpected(void **state)
{
	fixture *f = *state;
	sp_area other, charter;

	make_want(f, &f->a_pol.wants[0], "households", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	connect_sides(f, true);
	make_area(f, &other, "other", SP_LABEL_SHARED);
	b_hello(f, NULL, 0, NULL, 0);
	/* a reconciles the charter area first: a REFUSED for another closes. */
	charter_area(f, &charter);
	assert_area(f, wait_type(f, 1, SP_WIRE_NEG), &charter);
	b_refuse(f, &other);
	assert_closed_with(f, "REFUSED for an area not being reconciled");
}

/* The responder refuses NEG for an area it neither sends nor accepts, and answers one it agrees. */
static void
test_responder_refuses(void **state)
{
	fixture *f = *state;
	sp_area other, households;
	sp_want want;
	uint8_t id[SP_ID_BYTES];
	size_t i;

	a_put(f, "households", "h-1", SP_LABEL_SHARED, id);
	make_want(f, &f->a_pol.offers[0], "households", SP_LABEL_SHARED);
	f->a_pol.noffers = 1;
	connect_sides(f, false);
	make_area(f, &other, "other", SP_LABEL_SHARED);
	make_area(f, &households, "households", SP_LABEL_SHARED);
	make_want(f, &want, "households", SP_LABEL_SHARED);
	b_hello(f, NULL, 0, &want, 1);
	b_neg_initiate(f, &other);
	i = wait_type(f, 1, SP_WIRE_REFUSED);
	assert_area(f, i, &other);
	b_neg_initiate(f, &households);
	i = wait_type(f, i + 1, SP_WIRE_NEG);
	assert_area(f, i, &households);
	/* REFUSED is the responder's: a responder that gets one closes. */
	b_refuse(f, &other);
	assert_closed_with(f, "REFUSED from the initiator");
}

/*
 * An area of every community (32 zero bytes) exists only between hubs:
 * a node that is not a hub refuses it whatever its policy says; a hub
 * answers it when its policy offers every community to the peer
 * (PROTOCOL.md, "Hubs above hubs").
 */
static void
every_community_area(bool hub)
{
	void *state;
	fixture *f;
	sp_area every;
	sp_want every_public;
	size_t i;

	setup(&state);
	f = state;
	sp_node_set_hub(f->a_node, hub);
	memset(&every_public, 0, sizeof(every_public));
	strcpy(every_public.collection, "*");
	every_public.labels = 1u << SP_LABEL_PUBLIC;
	f->a_pol.offers[0] = every_public;
	f->a_pol.noffers = 1;
	connect_sides(f, false);
	memset(&every, 0, sizeof(every));
	strcpy(every.collection, ".charter");
	every.label = SP_LABEL_PUBLIC;
	b_hello(f, NULL, 0, &every_public, 1);
	b_neg_initiate(f, &every);
	i = wait_type(f, 1, hub ? SP_WIRE_NEG : SP_WIRE_REFUSED);
	assert_area(f, i, &every);
	teardown(&state);
}

static void
test_every_community_only_hubs(void **state)
{
	(void)state;
	every_community_area(false);
	every_community_area(true);
}

/*
 * Hub a holds a consent of its community to hub b. When b is the hub
 * consented to, a offers b that consent's area; when b is a hub below a
 * (a takes every community from it, as a district hub from a village
 * hub, which passed the consents of its communities up), a offers it
 * nothing: only a hub passes records up (HUBS.md, "The hierarchy of
 * hubs"). A district hub once named every community that consented to
 * a village hub and offered it three areas of each back down, 3,000 for
 * a village of 1,000 communities (past HELLO's 4,096 beyond 1,365), and
 * the village hub reconciled each of them and their charters every pass.
 * b's HELLO offers an area of every community; `areas` in the peer's
 * figures counts what was agreed, either way.
 */
static void
hub_offers_to(bool below)
{
	void *state;
	fixture *f;
	sp_definition d;
	sp_written out;
	sp_want every_public;
	sp_area consent, every, offered;
	sp_wire_msg hello;
	const uint8_t *p;
	size_t left;
	sp_buf def;

	setup(&state);
	f = state;
	sp_node_set_hub(f->a_node, true);
	memset(&d, 0, sizeof(d));
	snprintf(d.from, sizeof(d.from), "cases");
	snprintf(d.by[0], sizeof(d.by[0]), "category");
	d.nby = 1;
	d.k = 5;
	sp_buf_init(&def);
	assert_int_equal(sp_definition_encode(&d, &def), 0);
	assert_int_equal(sp_node_summary_define(f->a_node, f->community.id, "pmks", def.data,
	    def.len, &out), 0);
	sp_buf_free(&def);
	assert_int_equal(sp_node_summary_consent(f->a_node, f->community.id, "pmks", f->b_id, 0,
	    &out), 0);
	memset(&every_public, 0, sizeof(every_public));
	strcpy(every_public.collection, "*");
	every_public.labels = 1u << SP_LABEL_PUBLIC;
	if (below) {
		f->a_pol.wants[0] = every_public;
		f->a_pol.nwants = 1;
	}
	connect_sides(f, false);
	hello = seen_msg(f, 0);
	make_area(f, &consent, ".consent.", SP_LABEL_PUBLIC);
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), f->b_id,
	    consent.collection);
	if (below) {
		assert_int_equal(hello.noffers, 0);
	} else {
		assert_int_equal(hello.noffers, 1);
		p = hello.offers;
		left = hello.offers_len;
		assert_int_equal(sp_wire_next_area(&p, &left, &offered), 0);
		assert_int_equal(sp_area_cmp(&offered, &consent), 0);
	}
	memset(&every, 0, sizeof(every));
	strcpy(every.collection, ".heartbeat");
	every.label = SP_LABEL_PUBLIC;
	b_hello(f, &every, 1, NULL, 0);
	/* Below: b's area of every community comes up. Above it: a's consent goes to b. */
	assert_int_equal(a_stats(f).areas, 1);
	teardown(&state);
}

static void
test_hub_offers_nothing_down(void **state)
{
	(void)state;
	hub_offers_to(false);
	hub_offers_to(true);
}

/* The ids of every record in the RECORDS messages a sent b, in order. */
static size_t
records_seen(fixture *f, uint8_t (*ids)[SP_ID_BYTES], size_t max)
{
	const uint8_t *p, *rec;
	size_t i, n = 0, left, len;
	uint32_t k;

	for (i = 0; i < f->conn->nsent; i++) {
		sp_wire_msg m = seen_msg(f, i);

		if (m.type != SP_WIRE_RECORDS)
			continue;
		p = m.data;
		left = m.data_len;
		for (k = 0; k < m.count; k++) {
			assert_int_equal(sp_wire_next_bin(&p, &left, &rec, &len), 0);
			assert_true(n < max);
			sp_record_id(rec, len, ids[n++]);
		}
	}
	return n;
}

/*
 * WANT: the ids of an area may come in several messages, without a NEG
 * first, and an id may come again; the responder sends each record it
 * holds as it was asked (a repeated id again), skips the ids it does not
 * hold, and says nothing of the end. A WANT outside what it sends:
 * ERROR SP_EOUTSIDE.
 */
static void
test_want(void **state)
{
	fixture *f = *state;
	uint8_t ids[4][SP_ID_BYTES], got[8][SP_ID_BYTES], ask[3][SP_ID_BYTES];
	sp_area households, community;
	size_t n;

	a_put(f, "households", "h-1", SP_LABEL_SHARED, ids[0]);
	a_put(f, "households", "h-2", SP_LABEL_SHARED, ids[1]);
	a_put(f, "households", "h-3", SP_LABEL_SHARED, ids[2]);
	memset(ids[3], 0x77, SP_ID_BYTES);
	serve_households(f, &households);
	b_want(f, &households, ids, 2);
	memcpy(ask[0], ids[1], SP_ID_BYTES);
	memcpy(ask[1], ids[3], SP_ID_BYTES);
	memcpy(ask[2], ids[2], SP_ID_BYTES);
	b_want(f, &households, ask, 3);
	WAIT_UNTIL(f, records_seen(f, got, 8) >= 4);
	run_for(f, SETTLE_MS);
	n = records_seen(f, got, 8);
	assert_int_equal(n, 4);
	assert_memory_equal(got[0], ids[0], SP_ID_BYTES);
	assert_memory_equal(got[1], ids[1], SP_ID_BYTES);
	assert_memory_equal(got[2], ids[1], SP_ID_BYTES);
	assert_memory_equal(got[3], ids[2], SP_ID_BYTES);
	assert_int_equal(f->conn->closed, 0);
	/* The same collection under another label is another area, not offered. */
	make_area(f, &community, "households", SP_LABEL_COMMUNITY);
	b_want(f, &community, ids, 1);
	assert_closed_with(f, "asked for records outside the agreed areas");
}

/* What only the initiator sends, coming from the responder: ERROR SP_EFRAME, why. */
static void
initiator_only(fixture *f, enum sp_wire_type type, const char *why)
{
	uint8_t id[1][SP_ID_BYTES];
	sp_area area;
	sp_buf b;

	connect_sides(f, true);
	b_hello(f, NULL, 0, NULL, 0);
	make_area(f, &area, "households", SP_LABEL_SHARED);
	memset(id, 1, sizeof(id));
	sp_buf_init(&b);
	if (type == SP_WIRE_WANT) {
		b_want(f, &area, id, 1);
		sp_buf_free(&b);
	} else {
		if (type == SP_WIRE_DONE)
			sp_wire_done(&b, &area, 0, 0);
		else
			sp_wire_synced(&b);
		b_send(f, &b);
	}
	assert_closed_with(f, why);
}

static void
test_want_from_responder(void **state)
{
	initiator_only(*state, SP_WIRE_WANT, "WANT from the responder");
}

static void
test_done_from_responder(void **state)
{
	initiator_only(*state, SP_WIRE_DONE, "DONE from the responder");
}

static void
test_synced_from_responder(void **state)
{
	initiator_only(*state, SP_WIRE_SYNCED, "SYNCED from the responder");
}

/*
 * The initiator counts the records that arrive against its WANTs: it
 * ends the pass with SYNCED only once what it asked for has come. b
 * (the responder) holds a record a lacks; a asks for it, and says SYNCED
 * only after b sends it (there is no "end of records" message).
 */
static void
test_initiator_counts_records(void **state)
{
	fixture *f = *state;
	sp_area charter, households;
	uint8_t ids[1][SP_ID_BYTES], wanted[1][SP_ID_BYTES];
	uint64_t ts[1] = { (NOW_MS - 1000) << 16 };
	sp_wire_msg m;
	sp_buf rec;
	size_t i, w, left, len;
	const uint8_t *p, *bin;

	/* b writes in the community, and a wants what b offers. */
	assert_int_equal(sp_node_set_writer(f->a_node, "rt03", f->b_id, false), 0);
	make_want(f, &f->a_pol.wants[0], "households", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	sign_record(f, f->b_sk, "households", "h-b", SP_LABEL_SHARED, ts[0], &rec, ids[0]);
	connect_sides(f, true);
	charter_area(f, &charter);
	make_area(f, &households, "households", SP_LABEL_SHARED);
	b_hello(f, &households, 1, NULL, 0);
	i = wait_type(f, 1, SP_WIRE_NEG);
	b_refuse(f, &charter);
	/* Answer a's rounds for the area as a server holding the record, until DONE. */
	i = b_serve_area(f, wait_type(f, i + 1, SP_WIRE_NEG), ts, ids, 1);
	m = seen_msg(f, i);
	assert_int_equal(m.need, 1);
	assert_int_equal(m.have, 0);
	w = (size_t)find_type(f, 0, SP_WIRE_WANT);
	m = seen_msg(f, w);
	assert_int_equal(m.count, 1);
	p = m.data;
	left = m.data_len;
	assert_int_equal(sp_wire_next_bin(&p, &left, &bin, &len), 0);
	memcpy(wanted[0], bin, SP_ID_BYTES);
	assert_memory_equal(wanted[0], ids[0], SP_ID_BYTES);
	/* The WANT came before the area's DONE. */
	assert_true(w < i);
	assert_int_equal(a_stats(f).to_receive, 1);
	run_for(f, SETTLE_MS);
	assert_int_equal(count_type(f, SP_WIRE_SYNCED), 0);
	assert_int_equal(a_state(f), SP_PEER_SYNCING);
	b_records(f, &rec);
	wait_type(f, i + 1, SP_WIRE_SYNCED);
	assert_true(a_has(f, "households", "h-b"));
	assert_int_equal(a_stats(f).to_receive, 0);
	assert_int_equal(a_stats(f).records_accepted, 1);
	assert_int_equal(a_state(f), SP_PEER_LIVE);
	sp_buf_free(&rec);
}

/*
 * The responder counts DONE's have (the ids only the initiator holds, in
 * an area it accepts) as records to come, and its pass is complete once
 * SYNCED has come and so have they.
 */
static void
test_responder_counts_have(void **state)
{
	fixture *f = *state;
	sp_area households;
	uint8_t id[SP_ID_BYTES];
	sp_buf b, rec;

	assert_int_equal(sp_node_set_writer(f->a_node, "rt03", f->b_id, false), 0);
	make_want(f, &f->a_pol.wants[0], "households", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	sign_record(f, f->b_sk, "households", "h-b", SP_LABEL_SHARED, (NOW_MS - 1000) << 16,
	    &rec, id);
	connect_sides(f, false);
	make_area(f, &households, "households", SP_LABEL_SHARED);
	b_hello(f, &households, 1, NULL, 0);
	sp_buf_init(&b);
	sp_wire_done(&b, &households, 1, 0);
	b_send(f, &b);
	sp_buf_init(&b);
	sp_wire_synced(&b);
	b_send(f, &b);
	run_for(f, SETTLE_MS);
	assert_int_equal(a_stats(f).to_receive, 1);
	assert_int_equal(a_stats(f).last_sync_ms, 0);
	assert_int_equal(a_state(f), SP_PEER_SYNCING);
	b_records(f, &rec);
	WAIT_UNTIL(f, a_state(f) == SP_PEER_LIVE);
	assert_true(a_has(f, "households", "h-b"));
	assert_int_equal(a_stats(f).to_receive, 0);
	assert_int_equal(a_stats(f).last_sync_ms, NOW_MS);
	sp_buf_free(&rec);
}

/*
 * RESYNC: the initiator reconciles again, the charters first. OFFERS
 * replaces the areas the responder offers: an area in it is reconciled
 * from the next pass on, and OFFERS alone starts none.
 */
static void
test_resync_and_offers(void **state)
{
	fixture *f = *state;
	sp_area charter, kegiatan;
	sp_buf b;
	size_t i;

	/* b is a member, so shared records may come from it; a wants all it shares. */
	assert_int_equal(sp_node_set_writer(f->a_node, "rt03", f->b_id, false), 0);
	make_want(f, &f->a_pol.wants[0], "*", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	connect_sides(f, true);
	charter_area(f, &charter);
	make_area(f, &kegiatan, "kegiatan", SP_LABEL_SHARED);
	b_hello(f, NULL, 0, NULL, 0);
	i = wait_type(f, 1, SP_WIRE_NEG);
	b_refuse(f, &charter);
	i = wait_type(f, i + 1, SP_WIRE_SYNCED);
	/* OFFERS alone: nothing. */
	sp_buf_init(&b);
	sp_wire_offers(&b, &kegiatan, 1);
	b_send(f, &b);
	run_for(f, SETTLE_MS);
	assert_int_equal(f->conn->nsent, i + 1);
	/* RESYNC: a new pass, the charter first, then the area offered. */
	sp_buf_init(&b);
	sp_wire_resync(&b);
	b_send(f, &b);
	i = wait_type(f, i + 1, SP_WIRE_NEG);
	assert_area(f, i, &charter);
	b_refuse(f, &charter);
	i = wait_type(f, i + 1, SP_WIRE_NEG);
	assert_area(f, i, &kegiatan);
	b_refuse(f, &kegiatan);
	wait_type(f, i + 1, SP_WIRE_SYNCED);
	assert_int_equal(count_type(f, SP_WIRE_SYNCED), 2);
	assert_int_equal(f->conn->closed, 0);
}

/* OFFERS is the responder's: a responder that gets one closes. */
static void
test_offers_to_responder(void **state)
{
	fixture *f = *state;
	sp_buf b;

	connect_sides(f, false);
	b_hello(f, NULL, 0, NULL, 0);
	sp_buf_init(&b);
	sp_wire_offers(&b, NULL, 0);
	b_send(f, &b);
	assert_closed_with(f, "OFFERS from the initiator");
}

/* HELLO of another version: ERROR SP_EPROTO_VERSION; a second HELLO: ERROR SP_EFRAME. */
static void
test_hello_version(void **state)
{
	fixture *f = *state;
	sp_buf b;

	connect_sides(f, false);
	sp_buf_init(&b);
	sp_pack_array(&b, 4);
	sp_pack_uint(&b, SP_WIRE_HELLO);
	sp_pack_uint(&b, SP_WIRE_VERSION + 1);
	sp_pack_array(&b, 0);
	sp_pack_array(&b, 0);
	b_send(f, &b);
	assert_closed_with(f, "malformed message: protocol version mismatch: the two sides "
	    "run different versions of simpul");
}

static void
test_second_hello(void **state)
{
	fixture *f = *state;

	connect_sides(f, false);
	b_hello(f, NULL, 0, NULL, 0);
	b_hello(f, NULL, 0, NULL, 0);
	assert_closed_with(f, "a second HELLO");
}

/* A NEG to the initiator for an area it is not reconciling: ERROR SP_EFRAME. */
static void
test_neg_unasked(void **state)
{
	fixture *f = *state;
	sp_area other;

	connect_sides(f, true);
	b_hello(f, NULL, 0, NULL, 0);
	wait_type(f, 1, SP_WIRE_SYNCED);
	make_area(f, &other, "other", SP_LABEL_SHARED);
	b_neg_initiate(f, &other);
	assert_closed_with(f, "unexpected NEG while live");
}

/*
 * RESYNC during a pass: the pass goes on to its end, and a new one starts
 * at once, charters first, with no SYNCED for the first.
 */
static void
test_resync_during_pass(void **state)
{
	fixture *f = *state;
	sp_area charter;
	sp_buf b;
	size_t i;

	make_want(f, &f->a_pol.wants[0], "households", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	connect_sides(f, true);
	charter_area(f, &charter);
	b_hello(f, NULL, 0, NULL, 0);
	i = wait_type(f, 1, SP_WIRE_NEG);
	sp_buf_init(&b);
	sp_wire_resync(&b);
	b_send(f, &b);
	run_for(f, SETTLE_MS);
	b_refuse(f, &charter);
	i = wait_type(f, i + 1, SP_WIRE_NEG);
	assert_area(f, i, &charter);
	assert_int_equal(count_type(f, SP_WIRE_SYNCED), 0);
	b_refuse(f, &charter);
	wait_type(f, i + 1, SP_WIRE_SYNCED);
	run_for(f, SETTLE_MS);
	assert_int_equal(count_type(f, SP_WIRE_SYNCED), 1);
	assert_int_equal(count_type(f, SP_WIRE_NEG), 2);
}

/*
 * Every record of an agreed area that arrives counts against the records
 * the initiator asked for, asked for or not: a responder that sends
 * another record in place of the one asked for ends the wait all the same.
 */
static void
test_initiator_counts_any_record(void **state)
{
	fixture *f = *state;
	sp_area charter, households;
	uint8_t ids[1][SP_ID_BYTES], other_id[SP_ID_BYTES];
	uint64_t ts[1] = { (NOW_MS - 1000) << 16 };
	sp_wire_msg m;
	sp_buf rec, other;
	size_t i;

	assert_int_equal(sp_node_set_writer(f->a_node, "rt03", f->b_id, false), 0);
	make_want(f, &f->a_pol.wants[0], "households", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	sign_record(f, f->b_sk, "households", "h-b", SP_LABEL_SHARED, ts[0], &rec, ids[0]);
	sign_record(f, f->b_sk, "households", "h-c", SP_LABEL_SHARED, ts[0] + 1, &other, other_id);
	connect_sides(f, true);
	charter_area(f, &charter);
	make_area(f, &households, "households", SP_LABEL_SHARED);
	b_hello(f, &households, 1, NULL, 0);
	i = wait_type(f, 1, SP_WIRE_NEG);
	b_refuse(f, &charter);
	i = wait_type(f, i + 1, SP_WIRE_NEG);
	for (m = seen_msg(f, i); m.type != SP_WIRE_DONE; m = seen_msg(f, i)) {
		if (m.type == SP_WIRE_NEG)
			b_neg_answer(f, &m, ts, ids, 1);
		WAIT_UNTIL(f, f->conn->nsent > i + 1 || f->conn->closed);
		i++;
	}
	assert_int_equal(m.need, 1);
	run_for(f, SETTLE_MS);
	assert_int_equal(count_type(f, SP_WIRE_SYNCED), 0);
	b_records(f, &other);
	wait_type(f, i + 1, SP_WIRE_SYNCED);
	assert_true(a_has(f, "households", "h-c"));
	assert_false(a_has(f, "households", "h-b"));
	sp_buf_free(&rec);
	sp_buf_free(&other);
}

/*
 * Received records are checked one by one: a writer's own record is
 * stored; the same record again is dropped without counting against the
 * peer; a writer's tombstone of a version it did not write (it is no
 * admin) is rejected and counted, and so is a record in a reserved
 * collection that is no system collection; the session goes on.
 */
static void
test_received_checks(void **state)
{
	fixture *f = *state;
	uint8_t id[SP_ID_BYTES], a_id[SP_ID_BYTES];
	sp_buf recs[4];
	sp_peer_stats st;
	size_t i;

	assert_int_equal(sp_node_set_writer(f->a_node, "rt03", f->b_id, false), 0);
	a_put(f, "households", "h-a", SP_LABEL_SHARED, a_id);
	make_want(f, &f->a_pol.wants[0], "*", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	sign_record(f, f->b_sk, "households", "h-b", SP_LABEL_SHARED, (NOW_MS - 1000) << 16,
	    &recs[0], id);
	sign_record(f, f->b_sk, "households", "h-b", SP_LABEL_SHARED, (NOW_MS - 1000) << 16,
	    &recs[1], id);
	sign_version(f, f->b_sk, "households", "h-a", SP_LABEL_SHARED, (NOW_MS + 1000) << 16,
	    SP_FLAG_TOMBSTONE, &recs[2], id);
	sign_record(f, f->b_sk, "_hub", "x", SP_LABEL_SHARED, (NOW_MS - 1000) << 16, &recs[3], id);
	connect_sides(f, false);
	b_hello(f, NULL, 0, NULL, 0);
	b_records_n(f, recs, 4);
	WAIT_UNTIL(f, a_stats(f).records_accepted + a_stats(f).records_rejected >= 3);
	run_for(f, SETTLE_MS);
	st = a_stats(f);
	assert_int_equal(st.records_in, 4);
	assert_int_equal(st.records_accepted, 1);
	assert_int_equal(st.records_rejected, 2);
	assert_int_equal(a_flags(f, "households", "h-b"), 0);
	assert_int_equal(a_flags(f, "households", "h-a"), 0);
	assert_false(a_has(f, "_hub", "x"));
	assert_int_equal(f->conn->closed, 0);
	for (i = 0; i < 4; i++)
		sp_buf_free(&recs[i]);
}

/* The community's secret key, as a holds it (communities/ID.key). */
static void
community_key(fixture *f, uint8_t sk[SP_SECKEY_BYTES])
{
	char name[SP_ID_STR_LEN + 1], path[4096];

	sp_base32_encode(name, f->community.id, SP_PUBKEY_BYTES);
	snprintf(path, sizeof(path), "%s/communities/%s.key", f->a_dir, name);
	assert_int_equal(sp_file_read_secret(path, sk, SP_SECKEY_BYTES), 0);
}

/* A new charter of the test's community naming a (admin), b and extra as writers. */
static void
sign_charter(fixture *f, const uint8_t extra[SP_PUBKEY_BYTES], uint64_t timestamp, sp_buf *out)
{
	uint8_t csk[SP_SECKEY_BYTES], id[SP_ID_BYTES];
	sp_charter *c;
	sp_buf body;

	community_key(f, csk);
	assert_non_null(c = sp_charter_new());
	assert_int_equal(sp_charter_set(c, f->a_id, true), 0);
	assert_int_equal(sp_charter_set(c, f->b_id, false), 0);
	assert_int_equal(sp_charter_set(c, extra, false), 0);
	sp_buf_init(&body);
	assert_int_equal(sp_charter_encode(c, &body), 0);
	sign_in(f->community.id, csk, SP_CHARTER_COLLECTION, SP_CHARTER_KEY, SP_LABEL_PUBLIC,
	    timestamp, 0, &body, out, id);
	sp_buf_free(&body);
	sp_charter_free(c);
	sp_memzero(csk, sizeof(csk));
}

/*
 * b is a writer; a wants households:shared from it. x is a key no charter
 * names yet.
 */
static void
unknown_author_setup(fixture *f, uint8_t x_pk[SP_PUBKEY_BYTES], uint8_t x_sk[SP_SECKEY_BYTES])
{
	sp_area households;

	sp_sign_keypair(x_pk, x_sk);
	assert_int_equal(sp_node_set_writer(f->a_node, "rt03", f->b_id, false), 0);
	make_want(f, &f->a_pol.wants[0], "households", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	connect_sides(f, false);
	make_area(f, &households, "households", SP_LABEL_SHARED);
	b_hello(f, &households, 1, NULL, 0);
}

/*
 * A record by an author the charter held here does not name, newer than
 * that charter, after the charter that names it in an earlier message:
 * the two batches are verified in parallel and may be stored in either
 * order, and the record is stored all the same, counted against nobody.
 */
static void
test_author_named_by_charter_before(void **state)
{
	fixture *f = *state;
	uint8_t x_pk[SP_PUBKEY_BYTES], x_sk[SP_SECKEY_BYTES], id[SP_ID_BYTES];
	sp_buf charter, rec;
	sp_peer_stats st;

	unknown_author_setup(f, x_pk, x_sk);
	sign_charter(f, x_pk, (NOW_MS + 1000) << 16, &charter);
	sign_record(f, x_sk, "households", "h-x", SP_LABEL_SHARED, (NOW_MS + 2000) << 16, &rec, id);
	b_records(f, &charter);
	b_records(f, &rec);
	WAIT_UNTIL(f, a_has(f, "households", "h-x") || a_stats(f).records_rejected > 0);
	run_for(f, SETTLE_MS);
	st = a_stats(f);
	assert_true(a_has(f, "households", "h-x"));
	assert_int_equal(st.records_accepted, 2);
	assert_int_equal(st.records_rejected, 0);
	sp_buf_free(&charter);
	sp_buf_free(&rec);
}

/*
 * Newer than the charter, and no charter naming its author comes: once
 * everything received before it is stored, it is refused and counted.
 */
static void
test_author_unknown_refused(void **state)
{
	fixture *f = *state;
	uint8_t x_pk[SP_PUBKEY_BYTES], x_sk[SP_SECKEY_BYTES], id[SP_ID_BYTES];
	sp_buf rec;

	unknown_author_setup(f, x_pk, x_sk);
	sign_record(f, x_sk, "households", "h-x", SP_LABEL_SHARED, (NOW_MS + 2000) << 16, &rec, id);
	b_records(f, &rec);
	WAIT_UNTIL(f, a_stats(f).records_rejected == 1);
	assert_false(a_has(f, "households", "h-x"));
	assert_int_equal(f->conn->closed, 0);
	sp_buf_free(&rec);
}

/* Not newer than the charter held: refused and counted at once. */
static void
test_author_older_than_charter(void **state)
{
	fixture *f = *state;
	uint8_t x_pk[SP_PUBKEY_BYTES], x_sk[SP_SECKEY_BYTES], id[SP_ID_BYTES];
	sp_buf rec;

	unknown_author_setup(f, x_pk, x_sk);
	sign_record(f, x_sk, "households", "h-x", SP_LABEL_SHARED, (NOW_MS - 1000) << 16, &rec, id);
	b_records(f, &rec);
	WAIT_UNTIL(f, a_stats(f).records_rejected == 1);
	assert_false(a_has(f, "households", "h-x"));
	sp_buf_free(&rec);
}

/*
 * b's own community c2, which a has joined but holds no charter of yet,
 * and a record of b's in it (public, so it may travel before anyone
 * knows who is a member).
 */
static void
no_charter_setup(fixture *f, sp_community_info *c2, sp_buf *rec, sp_buf *charter)
{
	uint8_t id[SP_ID_BYTES];
	sp_stored st;
	sp_txn *t;

	assert_int_equal(sp_node_community_create(f->b_node, "c2", c2), 0);
	assert_int_equal(sp_node_community_join(f->a_node, c2->id, "c2"), 0);
	memset(&f->a_pol.wants[0], 0, sizeof(f->a_pol.wants[0]));
	memcpy(f->a_pol.wants[0].community, c2->id, SP_PUBKEY_BYTES);
	strcpy(f->a_pol.wants[0].collection, "*");
	f->a_pol.wants[0].labels = 1u << SP_LABEL_PUBLIC;
	f->a_pol.nwants = 1;
	sign_in(c2->id, f->b_sk, "notices", "n-1", SP_LABEL_PUBLIC, (NOW_MS + 2000) << 16, 0,
	    NULL, rec, id);
	assert_int_equal(sp_txn_begin(sp_node_store(f->b_node), false, &t), 0);
	assert_int_equal(sp_node_charter_record(t, c2->id, &st), 0);
	sp_buf_init(charter);
	sp_buf_append(charter, st.data, st.len);
	sp_txn_abort(t);
	connect_sides(f, false);
	b_hello(f, NULL, 0, NULL, 0);
}

/*
 * No charter of the record's community here yet: the record waits,
 * counted against nobody, and is stored once the charter arrives.
 */
static void
test_no_charter_waits(void **state)
{
	fixture *f = *state;
	sp_community_info c2;
	sp_buf rec, charter;

	no_charter_setup(f, &c2, &rec, &charter);
	b_records(f, &rec);
	WAIT_UNTIL(f, a_stats(f).records_in == 1);
	run_for(f, SETTLE_MS);
	assert_false(a_has_in(f, c2.id, "notices", "n-1"));
	assert_int_equal(a_stats(f).records_rejected, 0);
	b_records(f, &charter);
	WAIT_UNTIL(f, a_has_in(f, c2.id, "notices", "n-1"));
	assert_true(a_has_in(f, c2.id, SP_CHARTER_COLLECTION, SP_CHARTER_KEY));
	assert_int_equal(a_stats(f).records_rejected, 0);
	sp_buf_free(&rec);
	sp_buf_free(&charter);
}

/* A record still waiting for its charter when the session ends is dropped, not counted. */
static void
test_no_charter_dropped_at_close(void **state)
{
	fixture *f = *state;
	sp_community_info c2;
	sp_buf rec, charter;

	no_charter_setup(f, &c2, &rec, &charter);
	b_records(f, &rec);
	WAIT_UNTIL(f, a_stats(f).records_in == 1);
	run_for(f, SETTLE_MS);
	fake_conn_cut(f->conn);
	run_for(f, SETTLE_MS);
	assert_false(a_has_in(f, c2.id, "notices", "n-1"));
	assert_int_equal(a_stats(f).records_rejected, 0);
	sp_buf_free(&rec);
	sp_buf_free(&charter);
}

/*
 * Which peers a charter goes to. a dials b and reconciles rt03's charter
 * area; b answers as a server holding nothing. If b may have the
 * charter (b in it, or a's offers meeting b's wants in rt03), a learns
 * that b lacks it and sends it; if not, a reconciles against nothing and
 * reports no id at all (*have is DONE's count). Returns whether b got it.
 */
static bool
charter_sent(fixture *f, const sp_want *b_wants, size_t nwants, uint64_t *have)
{
	uint8_t got[4][SP_ID_BYTES], none[1][SP_ID_BYTES];
	uint64_t ts[1] = { 0 };
	sp_area charter;
	sp_wire_msg m;
	size_t i, n, k;
	sp_stored st;
	sp_txn *t;
	uint8_t charter_id[SP_ID_BYTES];
	bool found = false;

	assert_int_equal(sp_txn_begin(sp_node_store(f->a_node), false, &t), 0);
	assert_int_equal(sp_node_charter_record(t, f->community.id, &st), 0);
	sp_record_id(st.data, st.len, charter_id);
	sp_txn_abort(t);
	connect_sides(f, true);
	charter_area(f, &charter);
	b_hello(f, NULL, 0, b_wants, nwants);
	i = wait_type(f, 1, SP_WIRE_NEG);
	assert_area(f, i, &charter);
	for (m = seen_msg(f, i); m.type != SP_WIRE_DONE; m = seen_msg(f, i)) {
		if (m.type == SP_WIRE_NEG)
			b_neg_answer(f, &m, ts, none, 0);
		WAIT_UNTIL(f, f->conn->nsent > i + 1 || f->conn->closed);
		i++;
	}
	*have = m.have;
	wait_type(f, i + 1, SP_WIRE_SYNCED);
	run_for(f, SETTLE_MS);
	n = records_seen(f, got, 4);
	for (k = 0; k < n; k++)
		found = found || memcmp(got[k], charter_id, SP_ID_BYTES) == 0;
	return found;
}

/* A member gets the charter. */
static void
test_charter_to_member(void **state)
{
	fixture *f = *state;
	sp_want want;
	uint64_t have;

	assert_int_equal(sp_node_set_writer(f->a_node, "rt03", f->b_id, false), 0);
	make_want(f, &want, "kegiatan", SP_LABEL_SHARED);
	assert_true(charter_sent(f, &want, 1, &have));
	assert_int_equal(have, 1);
}

/* A peer that only names the community (it wants what a does not offer) does not. */
static void
test_charter_not_to_stranger(void **state)
{
	fixture *f = *state;
	sp_want want;
	uint64_t have;

	make_want(f, &want, "kegiatan", SP_LABEL_SHARED);
	assert_false(charter_sent(f, &want, 1, &have));
	assert_int_equal(have, 0);
}

/* A partner whose wants meet a's offers in the community gets it, to check what it is given. */
static void
test_charter_to_partner(void **state)
{
	fixture *f = *state;
	sp_want want;
	uint64_t have;

	make_want(f, &f->a_pol.offers[0], "*", SP_LABEL_PUBLIC);
	f->a_pol.noffers = 1;
	make_want(f, &want, "kegiatan", SP_LABEL_PUBLIC);
	assert_true(charter_sent(f, &want, 1, &have));
	assert_int_equal(have, 1);
}

/*
 * Which messages a session takes in each phase, per role: the rules of
 * "The conversation" in docs/PROTOCOL.md, written here from the doc, not
 * from sync.c's tables. Keepalives and ERROR are the peer module's and never reach
 * a session. NULL: taken (whatever its content then makes of it).
 */
enum test_phase { T_HELLO, T_CHARTERS, T_AREAS, T_LIVE, T_PHASES };

static const char *const test_phase_names[T_PHASES] = {
	"waiting for HELLO", "reconciling charters", "reconciling areas", "live",
};

static const enum sp_wire_type session_types[] = {
	SP_WIRE_HELLO, SP_WIRE_NEG, SP_WIRE_RECORDS, SP_WIRE_WANT, SP_WIRE_DONE,
	SP_WIRE_SYNCED, SP_WIRE_REFUSED, SP_WIRE_RESYNC, SP_WIRE_OFFERS,
};

static bool
initiator_sends(enum sp_wire_type t)
{
	return t == SP_WIRE_HELLO || t == SP_WIRE_NEG || t == SP_WIRE_RECORDS ||
	    t == SP_WIRE_WANT || t == SP_WIRE_DONE || t == SP_WIRE_SYNCED;
}

static bool
responder_sends(enum sp_wire_type t)
{
	return t == SP_WIRE_HELLO || t == SP_WIRE_NEG || t == SP_WIRE_RECORDS ||
	    t == SP_WIRE_REFUSED || t == SP_WIRE_RESYNC || t == SP_WIRE_OFFERS;
}

static void
expected_answer(bool initiator, enum test_phase ph, enum sp_wire_type t, char *out, size_t size)
{
	const char *name = sp_wire_type_name(t);

	if (ph == T_HELLO)
		snprintf(out, size, "%s", t == SP_WIRE_HELLO ? "taken" : "expected HELLO");
	else if (t == SP_WIRE_HELLO)
		snprintf(out, size, "a second HELLO");
	else if (initiator && !responder_sends(t))
		snprintf(out, size, "%s from the responder", name);
	else if (!initiator && !initiator_sends(t))
		snprintf(out, size, "%s from the initiator", name);
	else if (initiator && ph == T_LIVE && (t == SP_WIRE_NEG || t == SP_WIRE_REFUSED))
		snprintf(out, size, "unexpected %s while live", name);
	else
		snprintf(out, size, "taken");
}

/* A well-formed message of type t about area. */
static void
any_message(enum sp_wire_type t, const sp_area *area, sp_buf *b)
{
	static const uint8_t id[SP_ID_BYTES] = { 1 };
	static const uint8_t neg[] = { 0x61, 0x00 };   /* protocol version 0x61, nothing more */

	sp_buf_init(b);
	switch (t) {
	case SP_WIRE_HELLO:
		sp_wire_hello(b, NULL, 0, NULL, 0);
		break;
	case SP_WIRE_NEG:
		sp_wire_neg(b, area, neg, sizeof(neg));
		break;
	case SP_WIRE_RECORDS:
		sp_wire_records_begin(b, 0);
		break;
	case SP_WIRE_WANT:
		sp_wire_want_begin(b, area, 1);
		sp_pack_bin(b, id, sizeof(id));
		break;
	case SP_WIRE_DONE:
		sp_wire_done(b, area, 0, 0);
		break;
	case SP_WIRE_SYNCED:
		sp_wire_synced(b);
		break;
	case SP_WIRE_REFUSED:
		sp_wire_refused(b, area);
		break;
	case SP_WIRE_RESYNC:
		sp_wire_resync(b);
		break;
	default:
		sp_wire_offers(b, NULL, 0);
		break;
	}
}

/*
 * A new connection (the last one, if any, dropped) brought to phase ph:
 * the initiator wants households, which b offers; it reconciles the
 * charter area, then households, and b refuses each.
 */
static void
open_in_phase(fixture *f, bool initiator, enum test_phase ph)
{
	sp_area charter, households;
	size_t i;

	fake_conn_free(f->conn);
	assert_non_null(f->conn = fake_conn_open(&f->h, initiator, &f->a_pol, &f->stats));
	if (ph == T_HELLO)
		return;
	charter_area(f, &charter);
	make_area(f, &households, "households", SP_LABEL_SHARED);
	b_hello(f, &households, 1, NULL, 0);
	if (!initiator) {
		if (ph == T_LIVE) {
			sp_buf b;

			sp_buf_init(&b);
			sp_wire_synced(&b);
			b_send(f, &b);
			WAIT_UNTIL(f, a_state(f) == SP_PEER_LIVE);
		}
		return;
	}
	i = wait_type(f, 1, SP_WIRE_NEG);
	assert_area(f, i, &charter);
	if (ph == T_CHARTERS)
		return;
	b_refuse(f, &charter);
	i = wait_type(f, i + 1, SP_WIRE_NEG);
	assert_area(f, i, &households);
	if (ph == T_AREAS)
		return;
	b_refuse(f, &households);
	wait_type(f, i + 1, SP_WIRE_SYNCED);
}

/* Whether why is one the dispatch gives (not a handler's verdict on content). */
static bool
dispatch_refusal(const char *why)
{
	return strncmp(why, "expected HELLO", 14) == 0 || strcmp(why, "a second HELLO") == 0 ||
	    strncmp(why, "unexpected ", 11) == 0 || strstr(why, " from the ") != NULL;
}

/*
 * Every session message in every phase, as initiator and as responder:
 * what the doc forbids closes the connection at once with its reason
 * (ERROR SP_EFRAME); what it allows is not refused by the dispatch.
 */
static void
test_every_message_every_phase(void **state)
{
	fixture *f = *state;
	char want[160], got[160];
	sp_area households;
	int initiator;
	size_t k;
	int ph;
	sp_buf b;

	assert_int_equal(sp_node_set_writer(f->a_node, "rt03", f->b_id, false), 0);
	make_want(f, &f->a_pol.wants[0], "households", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	make_area(f, &households, "households", SP_LABEL_SHARED);
	connect_sides(f, true);
	for (initiator = 0; initiator < 2; initiator++) {
		for (ph = 0; ph < T_PHASES; ph++) {
			if (!initiator && ph == T_AREAS)
				continue;   /* the responder does not see the initiator's phases */
			for (k = 0; k < sizeof(session_types) / sizeof(session_types[0]); k++) {
				open_in_phase(f, initiator, (enum test_phase)ph);
				any_message(session_types[k], &households, &b);
				b_send(f, &b);
				snprintf(got, sizeof(got), "%s/%s/%s: ",
				    initiator ? "initiator" : "responder", test_phase_names[ph],
				    sp_wire_type_name(session_types[k]));
				snprintf(want, sizeof(want), "%s", got);
				expected_answer(initiator, (enum test_phase)ph, session_types[k],
				    want + strlen(want), sizeof(want) - strlen(want));
				if (f->conn->closed && dispatch_refusal(f->conn->close_why)) {
					assert_int_equal(f->conn->close_code, SP_EFRAME);
					snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s",
					    f->conn->close_why);
				} else {
					snprintf(got + strlen(got), sizeof(got) - strlen(got), "taken");
				}
				assert_string_equal(got, want);
			}
		}
	}
}

/*
 * A live push is not queued past the connection's output budget: the
 * record is dropped for now, and once the peer drains, the responder asks
 * for a reconciliation (OFFERS, then RESYNC) that brings it.
 */
static void
test_push_over_budget(void **state)
{
	fixture *f = *state;
	sp_area households;
	uint8_t id[SP_ID_BYTES];
	sp_stored st;
	sp_txn *t;
	size_t before;

	serve_households(f, &households);
	f->conn->stalled = true;
	f->conn->pending = SP_CONN_OUT_BUDGET;
	before = f->conn->nsent;
	a_put(f, "households", "h-1", SP_LABEL_SHARED, id);
	assert_int_equal(sp_txn_begin(sp_node_store(f->a_node), false, &t), 0);
	assert_int_equal(sp_store_get(t, f->community.id, "households", 10, "h-1", 3, &st), 0);
	sp_sessions_stored(f->sessions, &households, st.data, st.len);
	assert_int_equal(f->conn->nsent, before);
	/* Under the budget, the same push goes at once. */
	f->conn->pending = SP_CONN_OUT_BUDGET - 1;
	sp_sessions_stored(f->sessions, &households, st.data, st.len);
	sp_txn_abort(t);
	assert_int_equal(f->conn->nsent, before + 1);
	assert_int_equal(seen_msg(f, before).type, SP_WIRE_RECORDS);
	assert_int_equal(seen_msg(f, before).count, 1);
	fake_conn_drain(f->conn);
	assert_int_equal(f->conn->nsent, before + 3);
	assert_int_equal(seen_msg(f, before + 1).type, SP_WIRE_OFFERS);
	assert_int_equal(seen_msg(f, before + 2).type, SP_WIRE_RESYNC);
	assert_int_equal(f->conn->closed, 0);
}

/*
 * Records asked for go out as fast as the peer reads them: at most
 * SEND_HIGH (4 MiB) past what the socket holds, the rest as it drains.
 */
static void
test_send_follows_reader(void **state)
{
	enum { N = 100, BODY = 60000 };
	fixture *f = *state;
	uint8_t (*ids)[SP_ID_BYTES] = calloc(N, SP_ID_BYTES), (*got)[SP_ID_BYTES] = calloc(N, SP_ID_BYTES);
	char *text = malloc(BODY), key[16];
	sp_area households;
	sp_buf body;
	sp_write w;
	size_t n, drains = 0;
	int i;

	assert_non_null(ids);
	assert_non_null(got);
	assert_non_null(text);
	memset(text, 'x', BODY);
	sp_buf_init(&body);
	sp_pack_map(&body, 1);
	sp_pack_cstr(&body, "note");
	sp_pack_str(&body, text, BODY);
	for (i = 0; i < N; i++) {
		memset(&w, 0, sizeof(w));
		memcpy(w.community, f->community.id, SP_PUBKEY_BYTES);
		snprintf(key, sizeof(key), "h-%03d", i);
		w.collection = "households";
		w.collection_len = 10;
		w.key = key;
		w.key_len = strlen(key);
		w.body = body.data;
		w.body_len = body.len;
		w.label = SP_LABEL_SHARED;
		w.label_given = true;
		assert_int_equal(sp_node_put(f->a_node, &w, ids[i]), 0);
	}
	serve_households(f, &households);
	f->conn->stalled = true;
	b_want(f, &households, ids, N);
	WAIT_UNTIL(f, records_seen(f, got, N) > 0);
	run_for(f, SETTLE_MS);
	n = records_seen(f, got, N);
	/* 4 MiB and one batch (1 MiB) at most; records of ~60 kB. */
	assert_true(n > 0 && n * BODY < 5u * 1024 * 1024 + BODY);
	assert_true(n < N);
	while ((n = records_seen(f, got, N)) < N && drains++ < N) {
		fake_conn_drain(f->conn);
		WAIT_UNTIL(f, records_seen(f, got, N) > n);
	}
	assert_int_equal(n, N);
	assert_true(drains >= 1);
	for (i = 0; i < N; i++)
		assert_memory_equal(got[i], ids[i], SP_ID_BYTES);
	assert_int_equal(f->conn->closed, 0);
	sp_buf_free(&body);
	free(text);
	free(ids);
	free(got);
}

/*
 * Resume after a cut: the connection drops while a waits for a record it
 * asked for. The next connection owes nothing from the last one (its
 * figures start from zero), reconciles again, and completes with SYNCED;
 * the record comes with the pass that finds it still missing.
 */
static void
test_resume_after_cut(void **state)
{
	fixture *f = *state;
	uint64_t ts[1] = { (NOW_MS - 1000) << 16 };
	uint8_t ids[1][SP_ID_BYTES];
	sp_area charter, households;
	size_t i;
	sp_buf rec;

	assert_int_equal(sp_node_set_writer(f->a_node, "rt03", f->b_id, false), 0);
	make_want(f, &f->a_pol.wants[0], "households", SP_LABEL_SHARED);
	f->a_pol.nwants = 1;
	sign_record(f, f->b_sk, "households", "h-b", SP_LABEL_SHARED, ts[0], &rec, ids[0]);
	charter_area(f, &charter);
	make_area(f, &households, "households", SP_LABEL_SHARED);

	connect_sides(f, true);
	b_hello(f, &households, 1, NULL, 0);
	i = wait_type(f, 1, SP_WIRE_NEG);
	b_refuse(f, &charter);
	i = b_serve_area(f, wait_type(f, i + 1, SP_WIRE_NEG), ts, ids, 1);
	assert_int_equal(seen_msg(f, i).need, 1);
	assert_int_equal(a_stats(f).to_receive, 1);
	fake_conn_cut(f->conn);
	assert_int_equal(a_state(f), SP_PEER_IDLE);

	fake_conn_free(f->conn);
	assert_non_null(f->conn = fake_conn_open(&f->h, true, &f->a_pol, &f->stats));
	assert_int_equal(a_stats(f).to_receive, 0);
	assert_int_equal(a_stats(f).to_send, 0);
	b_hello(f, &households, 1, NULL, 0);
	i = wait_type(f, 1, SP_WIRE_NEG);
	b_refuse(f, &charter);
	i = b_serve_area(f, wait_type(f, i + 1, SP_WIRE_NEG), ts, ids, 1);
	assert_int_equal(seen_msg(f, i).need, 1);
	b_records(f, &rec);
	wait_type(f, i + 1, SP_WIRE_SYNCED);
	assert_true(a_has(f, "households", "h-b"));
	assert_int_equal(a_state(f), SP_PEER_LIVE);
	sp_buf_free(&rec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_moves_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_unexpected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder_refuses, setup, teardown),
		cmocka_unit_test(test_every_community_only_hubs),
		cmocka_unit_test(test_hub_offers_nothing_down),
		cmocka_unit_test_setup_teardown(test_want, setup, teardown),
		cmocka_unit_test_setup_teardown(test_want_from_responder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_done_from_responder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_synced_from_responder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initiator_counts_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_responder_counts_have, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync_and_offers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offers_to_responder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hello_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_hello, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neg_unasked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resync_during_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initiator_counts_any_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_received_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_author_named_by_charter_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_author_unknown_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_author_older_than_charter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_charter_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_charter_dropped_at_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_charter_to_member, setup, teardown),
		cmocka_unit_test_setup_teardown(test_charter_not_to_stranger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_charter_to_partner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_message_every_phase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_over_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_follows_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_after_cut, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

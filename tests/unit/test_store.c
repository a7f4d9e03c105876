/*
 * test_store.c - the LMDB store on real environments in temporary
 * directories: persistence, newest-wins, area and key walks, tombstones,
 * erasure with scrub (searching every file's bytes), imports committed,
 * rolled back and interrupted (by close, by SIGKILL, and between commit
 * and cleanup) and what open reports of them, stats, communities, a full
 * map. Schema versions are in test_store_schema.c.
 *
 * A few checks reach under the API (store_int.h: the transaction's tables)
 * to see what it hides: leftover record encodings, undo entries, and a
 * journal entry forced into the "committed" state.
 */
#include "sp_test.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base32.h"
#include "body.h"
#include "buf.h"
#include "crypto.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"
#include "store.h"
#include "store_int.h"

/* The community key, which also signs: the store checks no authorisation. */
static uint8_t g_pk[SP_PUBKEY_BYTES], g_sk[SP_SECKEY_BYTES];

typedef struct fixture {
	char *dir;
	sp_store *s;
} fixture;

/* A signed test record. rec.body is not kept (the store does not read it). */
typedef struct trec {
	sp_buf enc;
	sp_record rec;
	uint8_t id[SP_ID_BYTES];
} trec;

/* Appends the body {"t": text}. */
static void
body_text(sp_buf *b, const char *text, size_t len)
{
	sp_pack_map(b, 1);
	sp_pack_cstr(b, "t");
	sp_pack_str(b, text, len);
	assert_int_equal(b->err, 0);
}

static void
trec_make(trec *t, const char *collection, const char *key, uint64_t ts,
    unsigned flags, enum sp_label label, const char *text, size_t text_len)
{
	sp_buf body;

	sp_buf_init(&body);
	sp_buf_init(&t->enc);
	memset(&t->rec, 0, sizeof(t->rec));
	memcpy(t->rec.community, g_pk, SP_PUBKEY_BYTES);
	memcpy(t->rec.author, g_pk, SP_PUBKEY_BYTES);
	t->rec.collection_len = strlen(collection);
	memcpy(t->rec.collection, collection, t->rec.collection_len);
	t->rec.key_len = strlen(key);
	memcpy(t->rec.key, key, t->rec.key_len);
	t->rec.timestamp = ts;
	t->rec.flags = flags;
	t->rec.label = label;
	if (flags & SP_FLAG_TOMBSTONE) {
		uint8_t empty = SP_BODY_EMPTY_BYTE;

		sp_buf_append(&body, &empty, 1);
	} else {
		body_text(&body, text, text_len);
	}
	t->rec.body = body.data;
	t->rec.body_len = body.len;
	assert_int_equal(sp_record_sign(&t->rec, g_sk, &t->enc, t->id), 0);
	t->rec.body = NULL;
	t->rec.body_len = 0;
	sp_buf_free(&body);
}

/* A record of collection "c" with a small body naming its key and time. */
static void
trec_simple(trec *t, const char *collection, const char *key, uint64_t ts,
    enum sp_label label)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "%s@%llu", key, (unsigned long long)ts);

	trec_make(t, collection, key, ts, 0, label, text, (size_t)n);
}

static void
trec_free(trec *t)
{
	sp_buf_free(&t->enc);
}

static enum sp_apply_result
apply_in(sp_txn *txn, const trec *t, const sp_import *imp)
{
	enum sp_apply_result res;

	assert_int_equal(sp_store_apply(txn, t->enc.data, t->enc.len, &t->rec,
	    t->id, imp, &res), 0);
	return res;
}

/* Applies t in its own durable transaction. */
static enum sp_apply_result
apply_one(sp_store *s, const trec *t)
{
	sp_txn *txn;
	enum sp_apply_result res;

	assert_int_equal(sp_txn_begin(s, true, &txn), 0);
	res = apply_in(txn, t, NULL);
	assert_int_equal(sp_txn_commit(txn), 0);
	return res;
}

static enum sp_apply_result
put_simple(sp_store *s, const char *collection, const char *key, uint64_t ts,
    enum sp_label label, uint8_t id[SP_ID_BYTES])
{
	trec t;
	enum sp_apply_result res;

	trec_simple(&t, collection, key, ts, label);
	res = apply_one(s, &t);
	if (id != NULL)
		memcpy(id, t.id, SP_ID_BYTES);
	trec_free(&t);
	return res;
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(f->dir = sp_test_mkdtemp());
	assert_int_equal(sp_store_open(f->dir, NULL, &f->s), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	sp_store_close(f->s);
	sp_test_rmdir(f->dir);
	free(f);
	return 0;
}

static void
reopen(fixture *f)
{
	sp_store_close(f->s);
	f->s = NULL;
	assert_int_equal(sp_store_open(f->dir, NULL, &f->s), 0);
}

/* Entries in one of the store's tables, which the API does not show. */
static uint64_t
table_entries(sp_store *s, enum sp_store_table table)
{
	sp_txn *txn;
	uint64_t n;

	assert_int_equal(sp_txn_begin(s, false, &txn), 0);
	assert_int_equal(sp_kv_entries(txn->kv, table, &n), 0);
	sp_txn_abort(txn);
	return n;
}

/* No stored encoding is left over: one per current key, no undo, no journal. */
static void
assert_no_leftovers(fixture *f)
{
	uint64_t current = table_entries(f->s, SP_TABLE_CURRENT);

	assert_int_equal(table_entries(f->s, SP_TABLE_RECORDS), current);
	assert_int_equal(table_entries(f->s, SP_TABLE_IDS), current);
	assert_int_equal(table_entries(f->s, SP_TABLE_UNDO), 0);
	assert_int_equal(table_entries(f->s, SP_TABLE_JOURNAL), 0);
}

/* Snapshots: every current record and every area, as bytes to compare. */

static int
snap_record(void *arg, const sp_stored *r)
{
	sp_buf *b = arg;

	sp_buf_append(b, r->id, SP_ID_BYTES);
	sp_buf_append(b, &r->timestamp, sizeof(r->timestamp));
	sp_buf_append(b, r->data, r->len);
	return 0;
}

static int
snap_item(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES])
{
	sp_buf *b = arg;

	sp_buf_append(b, &ts, sizeof(ts));
	sp_buf_append(b, id, SP_ID_BYTES);
	return 0;
}

static void
snapshot(sp_store *s, sp_buf *b)
{
	static const char *const colls[] = { "c", "d" };
	sp_txn *txn;
	size_t i;
	int label;

	sp_buf_init(b);
	assert_int_equal(sp_txn_begin(s, false, &txn), 0);
	assert_int_equal(sp_store_each(txn, g_pk, NULL, 0, NULL, 0, snap_record,
	    b), 0);
	for (i = 0; i < sizeof(colls) / sizeof(colls[0]); i++)
		for (label = 0; label < SP_LABEL_COUNT; label++)
			assert_int_equal(sp_store_area_each(txn, g_pk, colls[i], 1,
			    label, 0, NULL, snap_item, b), 0);
	sp_txn_abort(txn);
	assert_int_equal(b->err, 0);
}

static void
assert_snapshot_equal(const sp_buf *a, const sp_buf *b)
{
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->data, b->data, a->len);
}

/* Counting walks. */

static int
count_record(void *arg, const sp_stored *r)
{
	(void)r;
	(*(size_t *)arg)++;
	return 0;
}

static size_t
count_current(sp_store *s, const char *collection)
{
	sp_txn *txn;
	size_t n = 0;

	assert_int_equal(sp_txn_begin(s, false, &txn), 0);
	assert_int_equal(sp_store_each(txn, g_pk, collection,
	    collection != NULL ? strlen(collection) : 0, NULL, 0, count_record,
	    &n), 0);
	sp_txn_abort(txn);
	return n;
}

/* The current record of key in "c", decoded; SP_ENOTFOUND if none. */
static int
get_current(sp_store *s, const char *key, sp_record *rec,
    uint8_t id[SP_ID_BYTES])
{
	sp_txn *txn;
	sp_stored st;
	int r;

	assert_int_equal(sp_txn_begin(s, false, &txn), 0);
	r = sp_store_get(txn, g_pk, "c", 1, key, strlen(key), &st);
	if (r == 0) {
		assert_int_equal(sp_record_decode(st.data, st.len, rec), 0);
		memcpy(id, st.id, SP_ID_BYTES);
		assert_int_equal(st.timestamp, rec->timestamp);
	}
	sp_txn_abort(txn);
	return r;
}

static int
get_by_id(sp_store *s, const uint8_t id[SP_ID_BYTES])
{
	sp_txn *txn;
	sp_stored st;
	int r;

	assert_int_equal(sp_txn_begin(s, false, &txn), 0);
	r = sp_store_get_by_id(txn, id, &st);
	if (r == 0)
		assert_memory_equal(st.id, id, SP_ID_BYTES);
	sp_txn_abort(txn);
	return r;
}

/* Tests. */

static void
test_reopen_keeps_data(void **state)
{
	fixture *f = *state;
	sp_community_info c, got;
	sp_record rec;
	uint8_t id[SP_ID_BYTES], got_id[SP_ID_BYTES];
	char name[SP_ID_STR_LEN + 1];
	sp_txn *txn;
	uint64_t v;

	assert_int_equal(put_simple(f->s, "c", "h-001", 1000,
	    SP_LABEL_COMMUNITY, id), SP_APPLY_NEW);
	memset(&c, 0, sizeof(c));
	memcpy(c.id, g_pk, SP_PUBKEY_BYTES);
	strcpy(c.alias, "rt03");
	assert_int_equal(sp_txn_begin(f->s, true, &txn), 0);
	assert_int_equal(sp_store_meta_put(txn, "hlc", 42), 0);
	assert_int_equal(sp_store_community_add(txn, &c), 0);
	assert_int_equal(sp_txn_commit(txn), 0);

	reopen(f);
	assert_int_equal(get_current(f->s, "h-001", &rec, got_id), 0);
	assert_memory_equal(got_id, id, SP_ID_BYTES);
	assert_int_equal(rec.timestamp, 1000);
	assert_int_equal(get_by_id(f->s, id), 0);
	assert_int_equal(sp_txn_begin(f->s, false, &txn), 0);
	assert_int_equal(sp_store_meta_get(txn, "hlc", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(sp_store_meta_get(txn, "unset", &v), SP_ENOTFOUND);
	assert_int_equal(sp_store_community_find(txn, "rt03", &got), 0);
	assert_memory_equal(got.id, g_pk, SP_PUBKEY_BYTES);
	sp_base32_encode(name, g_pk, SP_PUBKEY_BYTES);
	assert_int_equal(sp_store_community_find(txn, name, &got), 0);
	assert_string_equal(got.alias, "rt03");
	/* A read transaction cannot write. */
	assert_int_equal(sp_store_meta_put(txn, "hlc", 1), SP_EINVAL);
	sp_txn_abort(txn);
}

/* Collects area items into an array of (ts, id). */
typedef struct items {
	size_t n, cap, stop_after;
	uint64_t *ts;
	uint8_t (*id)[SP_ID_BYTES];
} items;

static int
collect_item(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES])
{
	items *it = arg;

	if (it->stop_after != 0 && it->n == it->stop_after)
		return 7;
	if (it->n == it->cap) {
		it->cap = it->cap != 0 ? it->cap * 2 : 64;
		assert_non_null(it->ts = realloc(it->ts, it->cap * sizeof(*it->ts)));
		assert_non_null(it->id = realloc(it->id, it->cap * sizeof(*it->id)));
	}
	it->ts[it->n] = ts;
	memcpy(it->id[it->n], id, SP_ID_BYTES);
	it->n++;
	return 0;
}

static void
items_free(items *it)
{
	free(it->ts);
	free(it->id);
	memset(it, 0, sizeof(*it));
}

static int
area_collect(sp_store *s, const char *collection, enum sp_label label,
    uint64_t ts, const uint8_t *id, items *it)
{
	sp_txn *txn;
	int r;

	memset(it, 0, sizeof(*it));
	assert_int_equal(sp_txn_begin(s, false, &txn), 0);
	r = sp_store_area_each(txn, g_pk, collection, strlen(collection), label,
	    ts, id, collect_item, it);
	sp_txn_abort(txn);
	return r;
}

static void
test_newest_wins(void **state)
{
	fixture *f = *state;
	trec v0, v1, v2;
	sp_record rec;
	uint8_t id[SP_ID_BYTES];
	items it;

	trec_simple(&v0, "c", "k", 500, SP_LABEL_COMMUNITY);
	trec_simple(&v1, "c", "k", 1000, SP_LABEL_COMMUNITY);
	trec_simple(&v2, "c", "k", 2000, SP_LABEL_COMMUNITY);
	assert_int_equal(apply_one(f->s, &v1), SP_APPLY_NEW);
	assert_int_equal(apply_one(f->s, &v2), SP_APPLY_REPLACED);
	/* Older versions arriving later, and the current one again, change nothing. */
	assert_int_equal(apply_one(f->s, &v1), SP_APPLY_STALE);
	assert_int_equal(apply_one(f->s, &v0), SP_APPLY_STALE);
	assert_int_equal(apply_one(f->s, &v2), SP_APPLY_STALE);

	assert_int_equal(get_current(f->s, "k", &rec, id), 0);
	assert_memory_equal(id, v2.id, SP_ID_BYTES);
	assert_int_equal(get_by_id(f->s, v2.id), 0);
	assert_int_equal(get_by_id(f->s, v1.id), SP_ENOTFOUND);
	assert_int_equal(get_by_id(f->s, v0.id), SP_ENOTFOUND);
	assert_int_equal(area_collect(f->s, "c", SP_LABEL_COMMUNITY, 0, NULL, &it), 0);
	assert_int_equal(it.n, 1);
	assert_int_equal(it.ts[0], 2000);
	assert_memory_equal(it.id[0], v2.id, SP_ID_BYTES);
	items_free(&it);
	assert_no_leftovers(f);
	trec_free(&v0);
	trec_free(&v1);
	trec_free(&v2);
}

static void
test_tie_broken_by_larger_id(void **state)
{
	fixture *f = *state;
	trec a, b, a2, b2;
	const trec *win, *lose, *win2, *lose2;
	sp_record rec;
	uint8_t id[SP_ID_BYTES];

	/* Same key and time, different bodies: the ids decide. */
	trec_make(&a, "c", "k1", 1000, 0, SP_LABEL_COMMUNITY, "a", 1);
	trec_make(&b, "c", "k1", 1000, 0, SP_LABEL_COMMUNITY, "b", 1);
	win = memcmp(a.id, b.id, SP_ID_BYTES) > 0 ? &a : &b;
	lose = win == &a ? &b : &a;
	assert_true(sp_version_cmp(1000, win->id, 1000, lose->id) > 0);
	assert_int_equal(apply_one(f->s, lose), SP_APPLY_NEW);
	assert_int_equal(apply_one(f->s, win), SP_APPLY_REPLACED);
	assert_int_equal(get_current(f->s, "k1", &rec, id), 0);
	assert_memory_equal(id, win->id, SP_ID_BYTES);
	assert_int_equal(get_by_id(f->s, lose->id), SP_ENOTFOUND);

	/* The other arrival order ends the same way. */
	trec_make(&a2, "c", "k2", 1000, 0, SP_LABEL_COMMUNITY, "a", 1);
	trec_make(&b2, "c", "k2", 1000, 0, SP_LABEL_COMMUNITY, "b", 1);
	win2 = memcmp(a2.id, b2.id, SP_ID_BYTES) > 0 ? &a2 : &b2;
	lose2 = win2 == &a2 ? &b2 : &a2;
	assert_int_equal(apply_one(f->s, win2), SP_APPLY_NEW);
	assert_int_equal(apply_one(f->s, lose2), SP_APPLY_STALE);
	assert_int_equal(get_current(f->s, "k2", &rec, id), 0);
	assert_memory_equal(id, win2->id, SP_ID_BYTES);
	assert_int_equal(get_by_id(f->s, lose2->id), SP_ENOTFOUND);
	trec_free(&a);
	trec_free(&b);
	trec_free(&a2);
	trec_free(&b2);
}

static int
item_cmp(uint64_t ta, const uint8_t *ia, uint64_t tb, const uint8_t *ib)
{
	if (ta != tb)
		return ta < tb ? -1 : 1;
	return memcmp(ia, ib, SP_ID_BYTES);
}

static void
test_area_order(void **state)
{
	fixture *f = *state;
	uint8_t ids[60][SP_ID_BYTES];
	uint64_t ts[60];
	char key[32];
	size_t i, j, ncomm = 0;
	items it, from;
	trec moved;

	/*
	 * 60 keys in "c": even ones labelled community, odd ones shared;
	 * timestamps in a scrambled order with many ties. Plus "d", same label.
	 */
	for (i = 0; i < 60; i++) {
		snprintf(key, sizeof(key), "k%02zu", i);
		ts[i] = 1000 + (i * 7) % 10;
		assert_int_equal(put_simple(f->s, "c", key, ts[i],
		    i % 2 == 0 ? SP_LABEL_COMMUNITY : SP_LABEL_SHARED, ids[i]),
		    SP_APPLY_NEW);
		ncomm += i % 2 == 0;
	}
	assert_int_equal(put_simple(f->s, "d", "x", 1005, SP_LABEL_COMMUNITY,
	    NULL), SP_APPLY_NEW);

	assert_int_equal(area_collect(f->s, "c", SP_LABEL_COMMUNITY, 0, NULL, &it), 0);
	assert_int_equal(it.n, ncomm);
	for (i = 1; i < it.n; i++)
		assert_true(item_cmp(it.ts[i - 1], it.id[i - 1], it.ts[i], it.id[i]) < 0);
	/* Each item is one of the even keys, with its own timestamp. */
	for (i = 0; i < it.n; i++) {
		for (j = 0; j < 60; j += 2)
			if (memcmp(it.id[i], ids[j], SP_ID_BYTES) == 0)
				break;
		assert_true(j < 60);
		assert_int_equal(it.ts[i], ts[j]);
	}

	/* Starting at an item includes it; without an id, from the first at ts. */
	assert_int_equal(area_collect(f->s, "c", SP_LABEL_COMMUNITY, it.ts[10],
	    it.id[10], &from), 0);
	assert_int_equal(from.n, it.n - 10);
	assert_memory_equal(from.id[0], it.id[10], SP_ID_BYTES);
	items_free(&from);
	assert_int_equal(area_collect(f->s, "c", SP_LABEL_COMMUNITY, 1005, NULL,
	    &from), 0);
	for (i = 0; it.ts[i] < 1005; i++)
		;
	assert_int_equal(from.n, it.n - i);
	items_free(&from);

	/* A non-zero return stops the walk and is returned. */
	memset(&from, 0, sizeof(from));
	from.stop_after = 3;
	{
		sp_txn *txn;

		assert_int_equal(sp_txn_begin(f->s, false, &txn), 0);
		assert_int_equal(sp_store_area_each(txn, g_pk, "c", 1,
		    SP_LABEL_COMMUNITY, 0, NULL, collect_item, &from), 7);
		sp_txn_abort(txn);
	}
	assert_int_equal(from.n, 3);
	items_free(&from);

	/* A new version with another label moves the key to that area. */
	trec_simple(&moved, "c", "k00", 2000, SP_LABEL_PUBLIC);
	assert_int_equal(apply_one(f->s, &moved), SP_APPLY_REPLACED);
	items_free(&it);
	assert_int_equal(area_collect(f->s, "c", SP_LABEL_COMMUNITY, 0, NULL, &it), 0);
	assert_int_equal(it.n, ncomm - 1);
	items_free(&it);
	assert_int_equal(area_collect(f->s, "c", SP_LABEL_PUBLIC, 0, NULL, &it), 0);
	assert_int_equal(it.n, 1);
	assert_memory_equal(it.id[0], moved.id, SP_ID_BYTES);
	items_free(&it);
	assert_int_equal(area_collect(f->s, "c", SP_LABEL_PRIVATE, 0, NULL, &it), 0);
	assert_int_equal(it.n, 0);
	items_free(&it);
	trec_free(&moved);
}

/* Collects "collection/key" names of a walk. */
typedef struct names {
	char buf[8192];
	size_t len;
	size_t n, stop_after;
} names;

static int
collect_name(void *arg, const sp_stored *st)
{
	names *nm = arg;
	sp_record rec;
	int n;

	if (nm->stop_after != 0 && nm->n == nm->stop_after)
		return 9;
	assert_int_equal(sp_record_decode(st->data, st->len, &rec), 0);
	n = snprintf(nm->buf + nm->len, sizeof(nm->buf) - nm->len, "%s/%s ",
	    rec.collection, rec.key);
	assert_true(n > 0 && (size_t)n < sizeof(nm->buf) - nm->len);
	nm->len += (size_t)n;
	nm->n++;
	return 0;
}

static int
each_names(sp_store *s, const uint8_t *community, const char *collection,
    const char *after, names *nm)
{
	sp_txn *txn;
	int r;

	assert_int_equal(sp_txn_begin(s, false, &txn), 0);
	r = sp_store_each(txn, community, collection,
	    collection != NULL ? strlen(collection) : 0,
	    after, after != NULL ? strlen(after) : 0, collect_name, nm);
	sp_txn_abort(txn);
	return r;
}

static void
test_each_paging(void **state)
{
	fixture *f = *state;
	static const char *const order[] = { "d", ".charter", "b", "c" };
	uint8_t other[SP_PUBKEY_BYTES];
	char key[32], expect[8192];
	size_t i, len = 0;
	names nm;

	/* Inserted out of order; keys of "c" in reverse. */
	for (i = 0; i < 4; i++) {
		size_t k, nkeys = order[i][0] == 'c' ? 20 : 3;

		for (k = 0; k < nkeys; k++) {
			snprintf(key, sizeof(key), "k%02zu", nkeys - 1 - k);
			assert_int_equal(put_simple(f->s, order[i], key, 1000 + k,
			    SP_LABEL_COMMUNITY, NULL), SP_APPLY_NEW);
		}
	}

	memset(&nm, 0, sizeof(nm));
	assert_int_equal(each_names(f->s, g_pk, "c", NULL, &nm), 0);
	for (i = 0; i < 20; i++)
		len += (size_t)snprintf(expect + len, sizeof(expect) - len,
		    "c/k%02zu ", i);
	assert_string_equal(nm.buf, expect);

	/* After an existing key, and after a position between two keys. */
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(each_names(f->s, g_pk, "c", "k09", &nm), 0);
	assert_string_equal(nm.buf, strstr(expect, "c/k10"));
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(each_names(f->s, g_pk, "c", "k095", &nm), 0);
	assert_string_equal(nm.buf, strstr(expect, "c/k10"));
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(each_names(f->s, g_pk, "c", "k19", &nm), 0);
	assert_int_equal(nm.n, 0);

	/* Every collection, reserved ones included, in (collection, key) order. */
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(each_names(f->s, g_pk, NULL, NULL, &nm), 0);
	assert_int_equal(nm.n, 29);
	assert_non_null(strstr(nm.buf, ".charter/k00 .charter/k01 .charter/k02 "
	    "b/k00 b/k01 b/k02 c/k00 "));
	assert_non_null(strstr(nm.buf, "c/k19 d/k00 d/k01 d/k02 "));
	assert_int_equal(strncmp(nm.buf, ".charter/k00", 12), 0);
	assert_int_equal(each_names(f->s, g_pk, NULL, "k00", &nm), SP_EINVAL);

	/* A collection that is a prefix of none of these, and another community. */
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(each_names(f->s, g_pk, "cc", NULL, &nm), 0);
	assert_int_equal(nm.n, 0);
	memcpy(other, g_pk, sizeof(other));
	other[31] ^= 1;
	assert_int_equal(each_names(f->s, other, NULL, NULL, &nm), 0);
	assert_int_equal(nm.n, 0);

	memset(&nm, 0, sizeof(nm));
	nm.stop_after = 2;
	assert_int_equal(each_names(f->s, g_pk, "c", NULL, &nm), 9);
	assert_int_equal(nm.n, 2);
}

static void
test_tombstone_becomes_current(void **state)
{
	fixture *f = *state;
	trec v, tomb;
	sp_record rec;
	uint8_t id[SP_ID_BYTES];

	trec_simple(&v, "c", "k", 1000, SP_LABEL_SHARED);
	trec_make(&tomb, "c", "k", 2000, SP_FLAG_TOMBSTONE, SP_LABEL_SHARED,
	    NULL, 0);
	assert_int_equal(apply_one(f->s, &v), SP_APPLY_NEW);
	assert_int_equal(apply_one(f->s, &tomb), SP_APPLY_REPLACED);
	assert_int_equal(get_current(f->s, "k", &rec, id), 0);
	assert_memory_equal(id, tomb.id, SP_ID_BYTES);
	assert_int_equal(rec.flags, SP_FLAG_TOMBSTONE);
	assert_int_equal(get_by_id(f->s, v.id), SP_ENOTFOUND);
	/* Tombstones are items of their area: replication carries them. */
	{
		items it;

		assert_int_equal(area_collect(f->s, "c", SP_LABEL_SHARED, 0, NULL,
		    &it), 0);
		assert_int_equal(it.n, 1);
		assert_memory_equal(it.id[0], tomb.id, SP_ID_BYTES);
		items_free(&it);
	}
	assert_int_equal(count_current(f->s, "c"), 1);
	trec_free(&v);
	trec_free(&tomb);
}

/* A body of len bytes: the marker, then filler that differs per marker. */
static char *
marked_text(const char *marker, size_t len)
{
	char *p = malloc(len);
	size_t i, mlen = strlen(marker);

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (char)('a' + (i * 7 + (size_t)marker[mlen - 1]) % 26);
	memcpy(p, marker, mlen);
	/* Again at the end, so a body split across pages is still found whole. */
	memcpy(p + len - mlen, marker, mlen);
	return p;
}

static void
test_erase_scrub(void **state)
{
	fixture *f = *state;
	static const char *const markers[] = {
		"ERASE-ME-version-one", "ERASE-ME-version-two",
		"ERASE-ME-version-three", "ERASE-ME-small-body",
	};
	trec t, after;
	sp_txn *reader;
	sp_record rec;
	uint8_t id[SP_ID_BYTES];
	char *text;
	size_t i;

	/*
	 * A reader holding the first snapshot keeps LMDB from reusing the
	 * pages freed meanwhile, so the deleted versions are certainly still
	 * in the file before the scrub (a replication session does the same).
	 */
	for (i = 0; i < 3; i++) {
		text = marked_text(markers[i], 4500 + i * 100);
		trec_make(&t, "c", "big", 1000 + i, 0, SP_LABEL_COMMUNITY, text,
		    4500 + i * 100);
		assert_int_equal(apply_one(f->s, &t), i == 0 ? SP_APPLY_NEW :
		    SP_APPLY_REPLACED);
		trec_free(&t);
		free(text);
		if (i == 0)
			assert_int_equal(sp_txn_begin(f->s, false, &reader), 0);
	}
	text = marked_text(markers[3], 150);
	trec_make(&t, "c", "small", 1000, 0, SP_LABEL_COMMUNITY, text, 150);
	assert_int_equal(apply_one(f->s, &t), SP_APPLY_NEW);
	trec_free(&t);
	free(text);
	/* Neighbours on the same pages, which must survive. */
	assert_int_equal(put_simple(f->s, "c", "keep", 1000, SP_LABEL_COMMUNITY,
	    NULL), SP_APPLY_NEW);
	sp_txn_abort(reader);

	/* Without lingering bytes this test could not fail. */
	for (i = 0; i < 4; i++)
		assert_true(sp_test_grep_tree(f->dir, markers[i],
		    strlen(markers[i])) > 0);

	trec_make(&t, "c", "big", 5000, SP_FLAG_TOMBSTONE | SP_FLAG_ERASED,
	    SP_LABEL_COMMUNITY, NULL, 0);
	assert_int_equal(apply_one(f->s, &t), SP_APPLY_REPLACED);
	trec_free(&t);
	trec_make(&t, "c", "small", 5000, SP_FLAG_TOMBSTONE | SP_FLAG_ERASED,
	    SP_LABEL_COMMUNITY, NULL, 0);
	assert_int_equal(apply_one(f->s, &t), SP_APPLY_REPLACED);
	trec_free(&t);
	assert_int_equal(sp_store_scrub(f->s), 0);

	for (i = 0; i < 4; i++)
		assert_int_equal(sp_test_grep_tree(f->dir, markers[i],
		    strlen(markers[i])), 0);

	/* The store still works: read, write, reopen. */
	assert_int_equal(get_current(f->s, "big", &rec, id), 0);
	assert_int_equal(rec.flags, SP_FLAG_TOMBSTONE | SP_FLAG_ERASED);
	assert_int_equal(get_current(f->s, "keep", &rec, id), 0);
	trec_simple(&after, "c", "after", 6000, SP_LABEL_COMMUNITY);
	assert_int_equal(apply_one(f->s, &after), SP_APPLY_NEW);
	reopen(f);
	assert_int_equal(get_current(f->s, "after", &rec, id), 0);
	assert_memory_equal(id, after.id, SP_ID_BYTES);
	assert_int_equal(count_current(f->s, "c"), 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(sp_test_grep_tree(f->dir, markers[i],
		    strlen(markers[i])), 0);
	trec_free(&after);
	assert_no_leftovers(f);
}

/* A scrub interrupted by a crash is run again by the next open. */
static void
test_scrub_resumed_at_open(void **state)
{
	fixture *f = *state;
	static const char marker[] = "ERASE-ME-not-scrubbed-yet";
	char *text = marked_text(marker, 5000);
	trec t;

	trec_make(&t, "c", "k", 1000, 0, SP_LABEL_COMMUNITY, text, 5000);
	assert_int_equal(apply_one(f->s, &t), SP_APPLY_NEW);
	trec_free(&t);
	free(text);
	trec_make(&t, "c", "k", 2000, SP_FLAG_TOMBSTONE | SP_FLAG_ERASED,
	    SP_LABEL_COMMUNITY, NULL, 0);
	assert_int_equal(apply_one(f->s, &t), SP_APPLY_REPLACED);
	trec_free(&t);
	/* Closed before the daemon could scrub. */
	assert_true(sp_test_grep_tree(f->dir, marker, strlen(marker)) > 0);
	reopen(f);
	assert_int_equal(sp_test_grep_tree(f->dir, marker, strlen(marker)), 0);
}

struct scrub_arg {
	sp_store *s;
	int r;
	atomic_int done;
};

static void *
scrub_thread(void *p)
{
	struct scrub_arg *a = p;

	a->r = sp_store_scrub(a->s);
	atomic_store(&a->done, 1);
	return NULL;
}

/* A scrub from another thread waits for open transactions to end. */
static void
test_scrub_waits_for_txns(void **state)
{
	fixture *f = *state;
	struct scrub_arg a = { .s = f->s, .r = -1 };
	struct timespec ms100 = { 0, 100 * 1000 * 1000 };
	pthread_t th;
	sp_txn *txn;
	sp_stored st;

	assert_int_equal(put_simple(f->s, "c", "k", 1000, SP_LABEL_COMMUNITY,
	    NULL), SP_APPLY_NEW);
	assert_int_equal(sp_txn_begin(f->s, false, &txn), 0);
	assert_int_equal(pthread_create(&th, NULL, scrub_thread, &a), 0);
	nanosleep(&ms100, NULL);
	assert_int_equal(atomic_load(&a.done), 0);
	/* The transaction's data is still mapped and readable. */
	assert_int_equal(sp_store_get(txn, g_pk, "c", 1, "k", 1, &st), 0);
	sp_txn_abort(txn);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(a.r, 0);
	assert_int_equal(count_current(f->s, "c"), 1);
}

/* Import data: NBASE keys before, then an import of NIMPORT applies. */
#define NBASE    1000
#define NREPLACE 500      /* base keys 0..NREPLACE-1 get a newer version */
#define NNEW     24400    /* new keys NBASE..NBASE+NNEW-1 */
#define NTWICE   100      /* new keys written twice within the import */
#define NIMPORT  (NREPLACE + NNEW + NTWICE)
#define BATCH    5000

/* Applies keys [first, first+n) of "c" at ts0 + i, in transactions of BATCH. */
static void
apply_range(sp_store *s, const sp_import *imp, size_t first, size_t n,
    uint64_t ts0, uint8_t (*ids)[SP_ID_BYTES])
{
	sp_txn *txn = NULL;
	char key[32];
	size_t i;
	trec t;

	for (i = 0; i < n; i++) {
		if (txn == NULL)
			assert_int_equal(sp_txn_begin(s, true, &txn), 0);
		snprintf(key, sizeof(key), "k%06zu", first + i);
		trec_simple(&t, "c", key, ts0 + i, SP_LABEL_COMMUNITY);
		assert_int_not_equal(apply_in(txn, &t, imp), SP_APPLY_STALE);
		if (ids != NULL)
			memcpy(ids[i], t.id, SP_ID_BYTES);
		trec_free(&t);
		if ((i + 1) % BATCH == 0 || i + 1 == n) {
			assert_int_equal(sp_txn_commit(txn), 0);
			txn = NULL;
		}
	}
}

typedef struct import_ids {
	uint8_t base[NBASE][SP_ID_BYTES];
	uint8_t replaced[NREPLACE][SP_ID_BYTES];
	uint8_t twice[NTWICE][SP_ID_BYTES]; /* second versions of keys written twice */
} import_ids;

static void
apply_base(sp_store *s, import_ids *ids)
{
	apply_range(s, NULL, 0, NBASE, 1000000, ids->base);
}

/* The import's applies; also checks what is visible while it runs. */
static void
apply_import(sp_store *s, const sp_import *imp, import_ids *ids)
{
	apply_range(s, imp, 0, NREPLACE, 2000000, ids->replaced);
	apply_range(s, imp, NBASE, NNEW, 3000000, NULL);
	apply_range(s, imp, NBASE, NTWICE, 4000000, ids->twice);
	/* Superseded versions kept for rollback are not current. */
	assert_int_equal(get_by_id(s, ids->base[0]), SP_ENOTFOUND);
	assert_int_equal(get_by_id(s, ids->replaced[0]), 0);
	assert_int_equal(get_by_id(s, ids->base[NREPLACE]), 0);
}

static void
assert_import_applied(fixture *f, const import_ids *ids)
{
	sp_record rec;
	uint8_t id[SP_ID_BYTES];
	size_t i;

	assert_int_equal(count_current(f->s, "c"), NBASE + NNEW);
	for (i = 0; i < NREPLACE; i += 97) {
		assert_int_equal(get_by_id(f->s, ids->base[i]), SP_ENOTFOUND);
		assert_int_equal(get_by_id(f->s, ids->replaced[i]), 0);
	}
	assert_int_equal(get_current(f->s, "k000000", &rec, id), 0);
	assert_memory_equal(id, ids->replaced[0], SP_ID_BYTES);
	assert_int_equal(get_current(f->s, "k001000", &rec, id), 0);
	assert_int_equal(rec.timestamp, 4000000);
	assert_memory_equal(id, ids->twice[0], SP_ID_BYTES);
	assert_int_equal(get_current(f->s, "k025399", &rec, id), 0);
	assert_no_leftovers(f);
}

static void
test_import_commit(void **state)
{
	fixture *f = *state;
	import_ids *ids = calloc(1, sizeof(*ids));
	sp_import imp;

	assert_non_null(ids);
	apply_base(f->s, ids);
	assert_int_equal(sp_store_import_begin(f->s, g_pk, "c", 1, &imp), 0);
	assert_true(imp.id > 0);
	apply_import(f->s, &imp, ids);
	assert_int_equal(sp_store_import_commit(f->s, &imp), 0);
	assert_import_applied(f, ids);
	/* It is finished: neither commit nor rollback knows it any more. */
	assert_int_equal(sp_store_import_commit(f->s, &imp), SP_ENOTFOUND);
	assert_int_equal(sp_store_import_rollback(f->s, &imp), SP_ENOTFOUND);
	free(ids);
}

static void
test_import_rollback(void **state)
{
	fixture *f = *state;
	import_ids *ids = calloc(1, sizeof(*ids));
	sp_buf before, after;
	sp_import imp;
	size_t i;

	assert_non_null(ids);
	apply_base(f->s, ids);
	/* An area other than the import's must be left alone too. */
	assert_int_equal(put_simple(f->s, "d", "x", 1000, SP_LABEL_SHARED, NULL),
	    SP_APPLY_NEW);
	snapshot(f->s, &before);
	assert_int_equal(sp_store_import_begin(f->s, g_pk, "c", 1, &imp), 0);
	apply_import(f->s, &imp, ids);
	assert_int_equal(sp_store_import_rollback(f->s, &imp), 0);
	snapshot(f->s, &after);
	assert_snapshot_equal(&before, &after);
	for (i = 0; i < NREPLACE; i += 97) {
		assert_int_equal(get_by_id(f->s, ids->base[i]), 0);
		assert_int_equal(get_by_id(f->s, ids->replaced[i]), SP_ENOTFOUND);
	}
	assert_int_equal(get_by_id(f->s, ids->twice[0]), SP_ENOTFOUND);
	assert_no_leftovers(f);
	sp_buf_free(&before);
	sp_buf_free(&after);
	free(ids);
}

/* Closing without commit is a crash as far as the store can tell. */
static void
test_import_crash_rolls_back(void **state)
{
	fixture *f = *state;
	import_ids *ids = calloc(1, sizeof(*ids));
	sp_buf before, after;
	sp_import imp;

	assert_non_null(ids);
	apply_base(f->s, ids);
	snapshot(f->s, &before);
	assert_int_equal(sp_store_import_begin(f->s, g_pk, "c", 1, &imp), 0);
	apply_import(f->s, &imp, ids);
	reopen(f);
	snapshot(f->s, &after);
	assert_snapshot_equal(&before, &after);
	assert_int_equal(sp_store_import_commit(f->s, &imp), SP_ENOTFOUND);
	assert_no_leftovers(f);
	sp_buf_free(&before);
	sp_buf_free(&after);
	free(ids);
}

/* A process killed by SIGKILL in the middle of an import. */
static void
test_import_killed_rolls_back(void **state)
{
	fixture *f = *state;
	import_ids *ids = calloc(1, sizeof(*ids));
	sp_buf before, after;
	sp_import imp;
	pid_t pid;
	int status;

	assert_non_null(ids);
	apply_base(f->s, ids);
	snapshot(f->s, &before);
	/* An environment must not cross fork(): the child opens its own. */
	sp_store_close(f->s);
	f->s = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sp_store *s;

		if (sp_store_open(f->dir, NULL, &s) != 0 ||
		    sp_store_import_begin(s, g_pk, "c", 1, &imp) != 0)
			_exit(1);
		apply_range(s, &imp, 0, NREPLACE, 2000000, NULL);
		apply_range(s, &imp, NBASE, 2 * BATCH, 3000000, NULL);
		raise(SIGKILL);
		_exit(2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(sp_store_open(f->dir, NULL, &f->s), 0);
	snapshot(f->s, &after);
	assert_snapshot_equal(&before, &after);
	assert_no_leftovers(f);
	sp_buf_free(&before);
	sp_buf_free(&after);
	free(ids);
}

/* Forces the (only) journal entry into the committed state, under the API. */
static void
mark_committed(sp_store *s)
{
	sp_txn *txn;
	sp_kv_cursor *c;
	sp_kv_val k, v;
	uint8_t key[8], val[256];

	assert_int_equal(sp_txn_begin(s, true, &txn), 0);
	assert_int_equal(sp_kv_cursor_open(txn->kv, SP_TABLE_JOURNAL, &c), 0);
	assert_int_equal(sp_kv_cursor_get(c, SP_KV_FIRST, &k, &v), 0);
	assert_int_equal(k.len, sizeof(key));
	assert_true(v.len <= sizeof(val));
	memcpy(key, k.data, sizeof(key));
	memcpy(val, v.data, v.len);
	sp_kv_cursor_close(c);
	assert_int_equal(val[0], 1);   /* running */
	val[0] = 2;                    /* committed */
	assert_int_equal(sp_kv_put(txn->kv, SP_TABLE_JOURNAL, key, sizeof(key), val,
	    v.len, 0), 0);
	assert_int_equal(sp_txn_commit(txn), 0);
}

/* Committed, then the process died before the cleanup: open finishes it. */
static void
test_import_commit_interrupted(void **state)
{
	fixture *f = *state;
	import_ids *ids = calloc(1, sizeof(*ids));
	sp_import imp;

	assert_non_null(ids);
	apply_base(f->s, ids);
	assert_int_equal(sp_store_import_begin(f->s, g_pk, "c", 1, &imp), 0);
	apply_import(f->s, &imp, ids);
	assert_int_equal(table_entries(f->s, SP_TABLE_UNDO), NIMPORT);
	mark_committed(f->s);
	reopen(f);
	assert_import_applied(f, ids);
	free(ids);
}

/* What sp_store_open's recovery reported, in order. */
typedef struct recovered_log {
	size_t count;
	sp_store_recovered imp[4];
	char collection[4][SP_COLLECTION_MAX + 1];
} recovered_log;

static void
on_recovered(void *arg, const sp_store_recovered *imp)
{
	recovered_log *log = arg;

	assert_true(log->count < 4);
	assert_memory_equal(imp->community, g_pk, SP_PUBKEY_BYTES);
	assert_true(imp->collection_len <= SP_COLLECTION_MAX);
	memcpy(log->collection[log->count], imp->collection, imp->collection_len);
	log->collection[log->count][imp->collection_len] = '\0';
	log->imp[log->count] = *imp;
	log->imp[log->count].community = NULL;
	log->imp[log->count].collection = NULL;
	log->count++;
}

/*
 * Open tells its caller of each import it finished: one committed before
 * the crash (cleaned up), one still running (rolled back); and of none
 * once they are finished.
 */
static void
test_import_recovery_reported(void **state)
{
	fixture *f = *state;
	recovered_log log;
	sp_store_options opt;
	sp_import committed, running;
	sp_txn *txn;
	trec t;

	memset(&log, 0, sizeof(log));
	memset(&opt, 0, sizeof(opt));
	opt.recovered = on_recovered;
	opt.recovered_arg = &log;
	assert_int_equal(sp_store_import_begin(f->s, g_pk, "c", 1, &committed), 0);
	apply_range(f->s, &committed, 0, 10, 2000000, NULL);
	mark_committed(f->s);
	assert_int_equal(sp_store_import_begin(f->s, g_pk, "dd", 2, &running), 0);
	trec_simple(&t, "dd", "x", 1000, SP_LABEL_COMMUNITY);
	assert_int_equal(sp_txn_begin(f->s, true, &txn), 0);
	assert_int_equal(apply_in(txn, &t, &running), SP_APPLY_NEW);
	assert_int_equal(sp_txn_commit(txn), 0);
	trec_free(&t);
	sp_store_close(f->s);
	f->s = NULL;
	assert_int_equal(sp_store_open(f->dir, &opt, &f->s), 0);
	assert_int_equal(log.count, 2);
	assert_int_equal(log.imp[0].import_id, committed.id);
	assert_false(log.imp[0].rolled_back);
	assert_string_equal(log.collection[0], "c");
	assert_int_equal(log.imp[1].import_id, running.id);
	assert_true(log.imp[1].rolled_back);
	assert_string_equal(log.collection[1], "dd");
	assert_int_equal(count_current(f->s, "c"), 10);
	assert_int_equal(count_current(f->s, "dd"), 0);
	assert_no_leftovers(f);
	sp_store_close(f->s);
	f->s = NULL;
	assert_int_equal(sp_store_open(f->dir, &opt, &f->s), 0);
	assert_int_equal(log.count, 2);
}

/*
 * Two imports into different collections run at once (the daemon allows
 * it), their batches interleaved: the later import's undo entries sort
 * after the earlier's, so the earlier one's next batch is not an append.
 */
static void
test_imports_interleaved(void **state)
{
	fixture *f = *state;
	sp_import a, b;
	sp_txn *txn;
	trec t;

	assert_int_equal(sp_store_import_begin(f->s, g_pk, "c", 1, &a), 0);
	assert_int_equal(sp_store_import_begin(f->s, g_pk, "d", 1, &b), 0);
	apply_range(f->s, &a, 0, 10, 2000000, NULL);
	trec_simple(&t, "d", "x", 1000, SP_LABEL_COMMUNITY);
	assert_int_equal(sp_txn_begin(f->s, true, &txn), 0);
	assert_int_equal(apply_in(txn, &t, &b), SP_APPLY_NEW);
	assert_int_equal(sp_txn_commit(txn), 0);
	trec_free(&t);
	apply_range(f->s, &a, 10, 10, 3000000, NULL);
	assert_int_equal(sp_store_import_rollback(f->s, &b), 0);
	assert_int_equal(sp_store_import_commit(f->s, &a), 0);
	assert_int_equal(count_current(f->s, "c"), 20);
	assert_int_equal(count_current(f->s, "d"), 0);
	assert_no_leftovers(f);
}

static void
test_import_misuse(void **state)
{
	fixture *f = *state;
	sp_import imp, bogus = { 12345 };
	sp_txn *txn;
	trec other, erased;
	enum sp_apply_result res;

	assert_int_equal(sp_store_import_begin(f->s, g_pk, "c", 1, &imp), 0);
	trec_simple(&other, "d", "k", 1000, SP_LABEL_COMMUNITY);
	trec_make(&erased, "c", "k", 1000, SP_FLAG_TOMBSTONE | SP_FLAG_ERASED,
	    SP_LABEL_COMMUNITY, NULL, 0);
	assert_int_equal(sp_txn_begin(f->s, true, &txn), 0);
	/* Outside the import's collection, under an unknown import, an erasure. */
	assert_int_equal(sp_store_apply(txn, other.enc.data, other.enc.len,
	    &other.rec, other.id, &imp, &res), SP_EINVAL);
	assert_int_equal(sp_store_apply(txn, other.enc.data, other.enc.len,
	    &other.rec, other.id, &bogus, &res), SP_EINVAL);
	assert_int_equal(sp_store_apply(txn, erased.enc.data, erased.enc.len,
	    &erased.rec, erased.id, &imp, &res), SP_EINVAL);
	sp_txn_abort(txn);
	assert_int_equal(sp_store_import_commit(f->s, &bogus), SP_ENOTFOUND);
	/* An empty import commits. */
	assert_int_equal(sp_store_import_commit(f->s, &imp), 0);
	assert_no_leftovers(f);
	trec_free(&other);
	trec_free(&erased);
}

static void
test_stats(void **state)
{
	fixture *f = *state;
	sp_store_stats st;
	sp_community_info c;
	sp_txn *txn;
	char key[32];
	int i;

	assert_int_equal(sp_store_stats_get(f->s, &st), 0);
	assert_int_equal(st.records, 0);
	assert_int_equal(st.communities, 0);
	assert_true(st.file_bytes > 0);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(put_simple(f->s, "c", key, 1000, SP_LABEL_COMMUNITY,
		    NULL), SP_APPLY_NEW);
	}
	for (i = 0; i < 3; i++)
		assert_int_equal(put_simple(f->s, "c", "k0", 2000 + i,
		    SP_LABEL_COMMUNITY, NULL), SP_APPLY_REPLACED);
	memset(&c, 0, sizeof(c));
	assert_int_equal(sp_txn_begin(f->s, true, &txn), 0);
	for (i = 0; i < 2; i++) {
		c.id[0] = (uint8_t)i;
		snprintf(c.alias, sizeof(c.alias), "rt%02d", i);
		assert_int_equal(sp_store_community_add(txn, &c), 0);
	}
	assert_int_equal(sp_txn_commit(txn), 0);
	assert_int_equal(sp_store_stats_get(f->s, &st), 0);
	assert_int_equal(st.records, 10);
	assert_int_equal(st.communities, 2);
	assert_true(st.file_bytes > 0 && st.file_bytes <= st.map_bytes);
	assert_true(st.map_bytes >= ((uint64_t)1 << 30));
}

static int
collect_alias(void *arg, const sp_community_info *c)
{
	names *nm = arg;

	nm->len += (size_t)snprintf(nm->buf + nm->len, sizeof(nm->buf) - nm->len,
	    "%s:%u ", c->alias, c->id[0]);
	return 0;
}

static void
test_communities(void **state)
{
	fixture *f = *state;
	sp_community_info c, got;
	char name[SP_ID_STR_LEN + 1];
	sp_txn *txn;
	names nm;

	memset(&c, 0, sizeof(c));
	assert_int_equal(sp_txn_begin(f->s, true, &txn), 0);
	c.id[0] = 2;
	strcpy(c.alias, "zeta");
	assert_int_equal(sp_store_community_add(txn, &c), 0);
	c.id[0] = 1;
	strcpy(c.alias, "alpha");
	assert_int_equal(sp_store_community_add(txn, &c), 0);
	/* Taken id, taken alias: refused, and nothing half-written. */
	strcpy(c.alias, "beta");
	assert_int_equal(sp_store_community_add(txn, &c), SP_EEXIST);
	c.id[0] = 3;
	strcpy(c.alias, "zeta");
	assert_int_equal(sp_store_community_add(txn, &c), SP_EEXIST);
	assert_int_equal(sp_store_community_get(txn, c.id, &got), SP_ENOTFOUND);
	strcpy(c.alias, "_system");
	assert_int_equal(sp_store_community_add(txn, &c), SP_EALIAS);
	assert_int_equal(sp_txn_commit(txn), 0);

	assert_int_equal(sp_txn_begin(f->s, false, &txn), 0);
	assert_int_equal(sp_store_community_find(txn, "alpha", &got), 0);
	assert_int_equal(got.id[0], 1);
	assert_string_equal(got.alias, "alpha");
	c.id[0] = 2;
	sp_base32_encode(name, c.id, SP_PUBKEY_BYTES);
	assert_int_equal(sp_store_community_find(txn, name, &got), 0);
	assert_string_equal(got.alias, "zeta");
	assert_int_equal(sp_store_community_get(txn, c.id, &got), 0);
	assert_string_equal(got.alias, "zeta");
	assert_int_equal(sp_store_community_find(txn, "beta", &got), SP_ENOTFOUND);
	assert_int_equal(sp_store_community_find(txn, "", &got), SP_ENOTFOUND);
	c.id[0] = 9;
	sp_base32_encode(name, c.id, SP_PUBKEY_BYTES);
	assert_int_equal(sp_store_community_find(txn, name, &got), SP_ENOTFOUND);
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(sp_store_community_each(txn, collect_alias, &nm), 0);
	assert_string_equal(nm.buf, "alpha:1 zeta:2 ");
	sp_txn_abort(txn);
}

/* A full map is SP_EMAPFULL, and the store stays usable. */
static void
test_map_full(void **state)
{
	fixture *f = *state;
	sp_store_options opt = { .map_size = 1 << 20 };
	sp_txn *txn;
	enum sp_apply_result res;
	char key[32], *text = marked_text("filler", 8000);
	trec t;
	int i, r = 0;

	sp_store_close(f->s);
	f->s = NULL;
	sp_test_rmdir(f->dir);
	assert_non_null(f->dir = sp_test_mkdtemp());
	assert_int_equal(sp_store_open(f->dir, &opt, &f->s), 0);
	assert_int_equal(put_simple(f->s, "c", "first", 1000, SP_LABEL_COMMUNITY,
	    NULL), SP_APPLY_NEW);
	assert_int_equal(sp_txn_begin(f->s, true, &txn), 0);
	for (i = 0; i < 1000 && r == 0; i++) {
		snprintf(key, sizeof(key), "k%04d", i);
		trec_make(&t, "c", key, 2000, 0, SP_LABEL_COMMUNITY, text, 8000);
		r = sp_store_apply(txn, t.enc.data, t.enc.len, &t.rec, t.id, NULL,
		    &res);
		trec_free(&t);
	}
	assert_int_equal(r, SP_EMAPFULL);
	sp_txn_abort(txn);
	free(text);
	assert_int_equal(count_current(f->s, "c"), 1);
	assert_int_equal(put_simple(f->s, "c", "second", 1000,
	    SP_LABEL_COMMUNITY, NULL), SP_APPLY_NEW);
}

static int
group_setup(void **state)
{
	(void)state;
	assert_int_equal(sp_crypto_init(), 0);
	sp_sign_keypair(g_pk, g_sk);
	return 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reopen_keeps_data),
		T(test_newest_wins),
		T(test_tie_broken_by_larger_id),
		T(test_area_order),
		T(test_each_paging),
		T(test_tombstone_becomes_current),
		T(test_erase_scrub),
		T(test_scrub_resumed_at_open),
		T(test_scrub_waits_for_txns),
		T(test_import_commit),
		T(test_import_rollback),
		T(test_import_crash_rolls_back),
		T(test_import_killed_rolls_back),
		T(test_import_commit_interrupted),
		T(test_import_recovery_reported),
		T(test_imports_interleaved),
		T(test_import_misuse),
		T(test_stats),
		T(test_communities),
		T(test_map_full),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}

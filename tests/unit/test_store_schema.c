/*
 * test_store_schema.c - stores written by earlier code still open, and
 * the schema migration path.
 *
 * tests/fixtures/store-v1/data.mdb is a store of schema 1 written once by
 * this file's generator (run as `test_store_schema --write-fixture DIR`,
 * see the fixture's README) before the store was restructured. The test
 * opens a copy of it with today's code and checks every community, peer,
 * meta value, record, index entry and count the generator left there.
 * The fixture in the tree is never opened in place: opening writes.
 *
 * Schema 1 is the only one yet, so the migration path is proved with
 * schema histories of the test's own (store_int.h): a migration to a
 * schema 2 that rebuilds the "ids" index from "current", run on a copy of
 * the fixture; a chain whose last step fails, which must leave the file
 * byte for byte as it was; stores newer than the code (SP_ESCHEMA), or
 * older than its oldest migration (SP_ESCHEMA_OLD), refused unchanged,
 * with sp_store_explain naming the versions (and open's why saying the
 * same).
 */
#define _GNU_SOURCE 1  /* memmem */
#include "sp_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "buf.h"
#include "crypto.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"
#include "store.h"
#include "store_int.h"

#define FIXTURE_DIR "tests/fixtures/store-v1"

/* What the generator writes; the checks below read the same tables. */

static const char *const fx_aliases[] = { "rt03", "pkk-melati", "arisan.rw05" };
#define FX_COMMUNITIES (sizeof(fx_aliases) / sizeof(fx_aliases[0]))

static const struct fx_peer {
	const char *name;
	const char *policy;   /* opaque to the store */
} fx_peers[] = {
	{ "budi", "\x01policy-of-budi" },
	{ "hub-kota", "\x02policy-of-the-hub" },
};
#define FX_PEERS (sizeof(fx_peers) / sizeof(fx_peers[0]))

#define FX_HLC ((uint64_t)1700000000000 << 16 | 7)

/* A text no file of the fixture may hold: it was erased. */
#define FX_ERASED "ERASED-c01"

/*
 * Records in the order they are applied. Those with `import` set are
 * applied under one import, committed, after all the others. `current`
 * marks the versions still current at the end.
 */
static const struct fx_rec {
	unsigned community;    /* index into fx_aliases */
	const char *collection;
	const char *key;
	uint64_t ts;
	enum sp_label label;
	unsigned flags;
	const char *text;      /* body {"t": text}; NULL for a tombstone */
	bool import;
	bool current;
} fx_recs[] = {
	{ 0, "households", "h-001", 1000, SP_LABEL_COMMUNITY, 0, "Siti Aminah, 4", false, false },
	{ 0, "households", "h-002", 1001, SP_LABEL_COMMUNITY, 0, "Budi Santoso, 3", false, false },
	{ 0, "households", "h-001", 1005, SP_LABEL_COMMUNITY, 0, "Siti Aminah, 5", false, true },
	{ 0, "households", "h-003", 1002, SP_LABEL_PRIVATE, 0, "catatan pribadi", false, true },
	{ 0, "iuran", "2024-01/h-001", 1010, SP_LABEL_SHARED, 0, "15000", false, false },
	{ 0, "iuran", "2024-01/h-002", 1011, SP_LABEL_SHARED, 0, "15000", false, true },
	{ 0, "ringkasan", "2024-01", 1020, SP_LABEL_PUBLIC, 0, "warga 11", false, true },
	{ 1, "kegiatan", "k-01", 2000, SP_LABEL_COMMUNITY, 0, "posyandu", false, true },
	{ 1, "kegiatan", "k-02", 2001, SP_LABEL_COMMUNITY, 0, "arisan", false, false },
	{ 1, "kegiatan", "k-02", 2002, SP_LABEL_COMMUNITY, SP_FLAG_TOMBSTONE, NULL, false, true },
	{ 1, "kasus", "c-01", 2010, SP_LABEL_PRIVATE, 0, FX_ERASED " first", false, false },
	{ 1, "kasus", "c-01", 2011, SP_LABEL_PRIVATE, 0, FX_ERASED " second", false, false },
	{ 1, "kasus", "c-01", 2012, SP_LABEL_PRIVATE, SP_FLAG_TOMBSTONE | SP_FLAG_ERASED, NULL, false, true },
	{ 2, "anggota", "a-01", 3000, SP_LABEL_COMMUNITY, 0, "Ibu Rina", false, true },
	/* A new label moves the key to another area. */
	{ 0, "households", "h-002", 1030, SP_LABEL_SHARED, 0, "Budi Santoso, 3", false, true },
	{ 0, "iuran", "2024-01/h-001", 1100, SP_LABEL_SHARED, 0, "20000", true, true },
	{ 0, "iuran", "2024-02/h-001", 1101, SP_LABEL_SHARED, 0, "15000", true, true },
	{ 0, "iuran", "2024-02/h-002", 1102, SP_LABEL_SHARED, 0, "15000", true, true },
};
#define FX_RECS (sizeof(fx_recs) / sizeof(fx_recs[0]))
/* Every apply takes a sequence number; counters start at 1. */
#define FX_NEXT_SEQ    (FX_RECS + 1)
#define FX_NEXT_IMPORT 2

/* The body of r, canonical: {"t": text}, or the empty map of a tombstone. */
static void
fx_body(const struct fx_rec *r, sp_buf *out)
{
	uint8_t empty = SP_BODY_EMPTY_BYTE;

	if (r->text == NULL) {
		sp_buf_append(out, &empty, 1);
	} else {
		sp_pack_map(out, 1);
		sp_pack_cstr(out, "t");
		sp_pack_cstr(out, r->text);
	}
	assert_int_equal(out->err, 0);
}

/* The generator: run once to make the fixture (see its README). */

typedef struct fx_keys {
	uint8_t pk[FX_COMMUNITIES][SP_PUBKEY_BYTES];
	uint8_t sk[FX_COMMUNITIES][SP_SECKEY_BYTES];
} fx_keys;

/* Signs r as the key pair (pk, sk) for community and applies it in t. */
static void
fx_apply(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const uint8_t pk[SP_PUBKEY_BYTES], const uint8_t sk[SP_SECKEY_BYTES],
    const struct fx_rec *r, const sp_import *imp)
{
	enum sp_apply_result res;
	sp_record rec;
	sp_buf body, enc;
	uint8_t id[SP_ID_BYTES];

	sp_buf_init(&body);
	sp_buf_init(&enc);
	fx_body(r, &body);
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.community, community, SP_PUBKEY_BYTES);
	memcpy(rec.author, pk, SP_PUBKEY_BYTES);
	rec.collection_len = strlen(r->collection);
	memcpy(rec.collection, r->collection, rec.collection_len);
	rec.key_len = strlen(r->key);
	memcpy(rec.key, r->key, rec.key_len);
	rec.timestamp = r->ts;
	rec.flags = r->flags;
	rec.label = r->label;
	rec.body = body.data;
	rec.body_len = body.len;
	assert_int_equal(sp_record_sign(&rec, sk, &enc, id), 0);
	assert_int_equal(sp_store_apply(t, enc.data, enc.len, &rec, id, imp, &res), 0);
	assert_int_not_equal(res, SP_APPLY_STALE);
	sp_buf_free(&body);
	sp_buf_free(&enc);
}

/* fx_apply for the generator: each community signs its own records. */
static void
fx_apply_own(sp_txn *t, const fx_keys *keys, const struct fx_rec *r,
    const sp_import *imp)
{
	fx_apply(t, keys->pk[r->community], keys->pk[r->community],
	    keys->sk[r->community], r, imp);
}

/* Writes the fixture's store into dir (which must exist and be empty). */
static int
fx_write(const char *dir)
{
	fx_keys keys;
	sp_community_info c;
	sp_store *s;
	sp_txn *t;
	sp_import imp;
	size_t i;

	assert_int_equal(sp_crypto_init(), 0);
	assert_int_equal(sp_store_open(dir, NULL, &s), 0);
	assert_int_equal(sp_txn_begin(s, true, &t), 0);
	for (i = 0; i < FX_COMMUNITIES; i++) {
		sp_sign_keypair(keys.pk[i], keys.sk[i]);
		memset(&c, 0, sizeof(c));
		memcpy(c.id, keys.pk[i], SP_PUBKEY_BYTES);
		strcpy(c.alias, fx_aliases[i]);
		assert_int_equal(sp_store_community_add(t, &c), 0);
	}
	for (i = 0; i < FX_PEERS; i++)
		assert_int_equal(sp_store_peer_put(t, fx_peers[i].name,
		    strlen(fx_peers[i].name), (const uint8_t *)fx_peers[i].policy,
		    strlen(fx_peers[i].policy)), 0);
	assert_int_equal(sp_store_meta_put(t, "hlc", FX_HLC), 0);
	assert_int_equal(sp_txn_commit(t), 0);

	/* One record per durable transaction, as the daemon writes them. */
	for (i = 0; i < FX_RECS; i++) {
		if (fx_recs[i].import)
			continue;
		assert_int_equal(sp_txn_begin(s, true, &t), 0);
		fx_apply_own(t, &keys, &fx_recs[i], NULL);
		assert_int_equal(sp_txn_commit(t), 0);
	}
	assert_int_equal(sp_store_import_begin(s, keys.pk[0], "iuran", 5, &imp), 0);
	assert_int_equal(sp_txn_begin(s, true, &t), 0);
	for (i = 0; i < FX_RECS; i++)
		if (fx_recs[i].import)
			fx_apply_own(t, &keys, &fx_recs[i], &imp);
	assert_int_equal(sp_txn_commit(t), 0);
	assert_int_equal(sp_store_import_commit(s, &imp), 0);
	/* What the daemon does after an erase; it also compacts the file. */
	assert_int_equal(sp_store_scrub(s), 0);
	sp_store_close(s);
	return 0;
}

/* Copying the fixture. */

static uint8_t *
file_read(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *p;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0);
	rewind(fp);
	assert_non_null(p = malloc((size_t)n));
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return p;
}

static void
file_write(const char *path, const uint8_t *p, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
path_in(char *out, size_t size, const char *dir, const char *name)
{
	assert_true((size_t)snprintf(out, size, "%s/%s", dir, name) < size);
}

/* The fixture's data.mdb, read into memory (free it). */
static uint8_t *
fixture_read(size_t *len)
{
	const char *src = getenv("SP_SRC");
	char path[4096];

	/* ctest sets SP_SRC; without it the fixture cannot be found: fail, do not skip. */
	assert_non_null(src);
	assert_true((size_t)snprintf(path, sizeof(path), "%s/" FIXTURE_DIR "/data.mdb",
	    src) < sizeof(path));
	return file_read(path, len);
}

/* A temporary directory holding a copy of the fixture's data.mdb. */
static char *
fixture_copy(void)
{
	char path[4096];
	uint8_t *data;
	size_t len;
	char *dir;

	data = fixture_read(&len);
	assert_non_null(dir = sp_test_mkdtemp());
	path_in(path, sizeof(path), dir, "data.mdb");
	file_write(path, data, len);
	free(data);
	return dir;
}

/* The checks. */

static void
community_id(sp_txn *t, unsigned i, uint8_t id[SP_PUBKEY_BYTES])
{
	sp_community_info c;

	assert_int_equal(sp_store_community_find(t, fx_aliases[i], &c), 0);
	memcpy(id, c.id, SP_PUBKEY_BYTES);
}

struct names_seen {
	char names[8][SP_COLLECTION_MAX + 1];
	size_t n;
};

static int
community_seen(void *arg, const sp_community_info *c)
{
	struct names_seen *w = arg;

	assert_true(w->n < 8);
	strcpy(w->names[w->n++], c->alias);
	return 0;
}

static void
check_communities(sp_txn *t)
{
	static const char *const in_alias_order[] = { "arisan.rw05", "pkk-melati", "rt03" };
	struct names_seen w = { .n = 0 };
	sp_community_info c;
	uint8_t id[SP_PUBKEY_BYTES];
	size_t i;

	for (i = 0; i < FX_COMMUNITIES; i++) {
		community_id(t, (unsigned)i, id);
		assert_int_equal(sp_store_community_get(t, id, &c), 0);
		assert_string_equal(c.alias, fx_aliases[i]);
	}
	assert_int_equal(sp_store_community_each(t, community_seen, &w), 0);
	assert_int_equal(w.n, FX_COMMUNITIES);
	for (i = 0; i < FX_COMMUNITIES; i++)
		assert_string_equal(w.names[i], in_alias_order[i]);
}

static int
peer_seen(void *arg, const char *name, size_t name_len, const uint8_t *data,
    size_t len)
{
	size_t *n = arg;

	assert_true(*n < FX_PEERS);
	assert_int_equal(name_len, strlen(fx_peers[*n].name));
	assert_memory_equal(name, fx_peers[*n].name, name_len);
	assert_int_equal(len, strlen(fx_peers[*n].policy));
	assert_memory_equal(data, fx_peers[*n].policy, len);
	(*n)++;
	return 0;
}

static void
check_peers(sp_txn *t)
{
	size_t n = 0;

	assert_int_equal(sp_store_peer_each(t, peer_seen, &n), 0);
	assert_int_equal(n, FX_PEERS);
}

static void
check_meta(sp_txn *t, uint64_t schema)
{
	uint64_t v;

	assert_int_equal(sp_store_meta_get(t, "schema", &v), 0);
	assert_int_equal(v, schema);
	assert_int_equal(sp_store_meta_get(t, "hlc", &v), 0);
	assert_int_equal(v, FX_HLC);
	assert_int_equal(sp_store_meta_get(t, "next_seq", &v), 0);
	assert_int_equal(v, FX_NEXT_SEQ);
	assert_int_equal(sp_store_meta_get(t, "next_import", &v), 0);
	assert_int_equal(v, FX_NEXT_IMPORT);
	assert_int_equal(sp_store_meta_get(t, "scrub_pending", &v), SP_ENOTFOUND);
}

/* st is the current version of r: same fields, body and a good signature. */
static void
check_stored(const sp_stored *st, const struct fx_rec *r,
    const uint8_t community[SP_PUBKEY_BYTES], const uint8_t author[SP_PUBKEY_BYTES])
{
	sp_record rec;
	sp_buf body;
	uint8_t id[SP_ID_BYTES];

	assert_int_equal(sp_record_decode(st->data, st->len, &rec), 0);
	assert_int_equal(sp_record_verify(st->data, st->len, &rec), 0);
	sp_record_id(st->data, st->len, id);
	assert_memory_equal(id, st->id, SP_ID_BYTES);
	assert_int_equal(st->timestamp, r->ts);
	assert_memory_equal(rec.community, community, SP_PUBKEY_BYTES);
	assert_memory_equal(rec.author, author, SP_PUBKEY_BYTES);
	assert_string_equal(rec.collection, r->collection);
	assert_string_equal(rec.key, r->key);
	assert_int_equal(rec.timestamp, r->ts);
	assert_int_equal(rec.flags, r->flags);
	assert_int_equal(rec.label, r->label);
	sp_buf_init(&body);
	fx_body(r, &body);
	assert_int_equal(rec.body_len, body.len);
	assert_memory_equal(rec.body, body.data, body.len);
	sp_buf_free(&body);
}

static int
count_stored(void *arg, const sp_stored *st)
{
	(void)st;
	(*(size_t *)arg)++;
	return 0;
}

struct area_seen {
	sp_txn *t;
	const uint8_t *community;
	const char *collection;
	enum sp_label label;
	size_t n;
	uint64_t last_ts;
};

/* An area item is a current record of that area, in (timestamp, id) order. */
static int
area_item_seen(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES])
{
	struct area_seen *w = arg;
	sp_stored st;
	sp_record rec;

	assert_true(ts >= w->last_ts);
	w->last_ts = ts;
	assert_int_equal(sp_store_get_by_id(w->t, id, &st), 0);
	assert_int_equal(st.timestamp, ts);
	assert_int_equal(sp_record_decode(st.data, st.len, &rec), 0);
	assert_memory_equal(rec.community, w->community, SP_PUBKEY_BYTES);
	assert_string_equal(rec.collection, w->collection);
	assert_int_equal(rec.label, w->label);
	w->n++;
	return 0;
}

/* How many current records of community c the tables expect in an area (label < 0: any). */
static size_t
fx_expected(unsigned c, const char *collection, int label)
{
	size_t i, n = 0;

	for (i = 0; i < FX_RECS; i++)
		if (fx_recs[i].current && fx_recs[i].community == c &&
		    (collection == NULL || strcmp(fx_recs[i].collection, collection) == 0) &&
		    (label < 0 || (int)fx_recs[i].label == label))
			n++;
	return n;
}

struct areas_seen {
	unsigned community;
	size_t n;
};

static int
area_seen(void *arg, const char *collection, size_t collection_len,
    enum sp_label label)
{
	struct areas_seen *w = arg;
	char name[SP_COLLECTION_MAX + 1];

	memcpy(name, collection, collection_len);
	name[collection_len] = '\0';
	assert_true(fx_expected(w->community, name, (int)label) > 0);
	w->n++;
	return 0;
}

/* Distinct (collection, label) areas of community c in the tables. */
static size_t
fx_areas(unsigned c)
{
	size_t i, j, n = 0;

	for (i = 0; i < FX_RECS; i++) {
		if (!fx_recs[i].current || fx_recs[i].community != c)
			continue;
		for (j = 0; j < i; j++)
			if (fx_recs[j].current && fx_recs[j].community == c &&
			    fx_recs[j].label == fx_recs[i].label &&
			    strcmp(fx_recs[j].collection, fx_recs[i].collection) == 0)
				break;
		n += j == i;
	}
	return n;
}

static void
check_records(sp_txn *t)
{
	uint8_t ids[FX_COMMUNITIES][SP_PUBKEY_BYTES];
	const struct fx_rec *r;
	struct area_seen aw;
	struct areas_seen sw;
	sp_stored st, by_id;
	size_t i, n, total = 0;
	int label;

	for (i = 0; i < FX_COMMUNITIES; i++)
		community_id(t, (unsigned)i, ids[i]);
	for (i = 0; i < FX_RECS; i++) {
		r = &fx_recs[i];
		if (!r->current)
			continue;
		assert_int_equal(sp_store_get(t, ids[r->community], r->collection,
		    strlen(r->collection), r->key, strlen(r->key), &st), 0);
		check_stored(&st, r, ids[r->community], ids[r->community]);
		assert_int_equal(sp_store_get_by_id(t, st.id, &by_id), 0);
		assert_int_equal(by_id.len, st.len);
		assert_memory_equal(by_id.data, st.data, st.len);
		total++;
	}
	for (i = 0; i < FX_COMMUNITIES; i++) {
		n = 0;
		assert_int_equal(sp_store_each(t, ids[i], NULL, 0, NULL, 0,
		    count_stored, &n), 0);
		assert_int_equal(n, fx_expected((unsigned)i, NULL, -1));
		sw.community = (unsigned)i;
		sw.n = 0;
		assert_int_equal(sp_store_areas_each(t, ids[i], area_seen, &sw), 0);
		assert_int_equal(sw.n, fx_areas((unsigned)i));
	}
	/* Every area of every collection holds exactly its current records. */
	for (i = 0; i < FX_RECS; i++) {
		r = &fx_recs[i];
		for (label = 0; label < SP_LABEL_COUNT; label++) {
			memset(&aw, 0, sizeof(aw));
			aw.t = t;
			aw.community = ids[r->community];
			aw.collection = r->collection;
			aw.label = (enum sp_label)label;
			assert_int_equal(sp_store_area_each(t, ids[r->community],
			    r->collection, strlen(r->collection), (enum sp_label)label,
			    0, NULL, area_item_seen, &aw), 0);
			assert_int_equal(aw.n, fx_expected(r->community, r->collection, label));
		}
	}
	assert_int_equal(total, 12);
}

/*
 * Entries per table: one encoding and one id per current version, both
 * directions of each community, no import left in the journal.
 */
static void
check_tables(sp_txn *t)
{
	static const struct {
		enum sp_store_table table;
		uint64_t entries;
	} expect[] = {
		{ SP_TABLE_RECORDS, 12 },
		{ SP_TABLE_IDS, 12 },
		{ SP_TABLE_CURRENT, 12 },
		{ SP_TABLE_COMMUNITIES, FX_COMMUNITIES },
		{ SP_TABLE_ALIASES, FX_COMMUNITIES },
		{ SP_TABLE_PEERS, FX_PEERS },
		{ SP_TABLE_JOURNAL, 0 },
		{ SP_TABLE_UNDO, 0 },
	};
	uint64_t n;
	size_t i;

	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		assert_int_equal(sp_kv_entries(t->kv, expect[i].table, &n), 0);
		assert_int_equal(n, expect[i].entries);
	}
	/* Each current version is in one area. */
	assert_int_equal(sp_kv_entries(t->kv, SP_TABLE_AREA, &n), 0);
	assert_int_equal(n, 12);
}

/* Everything the generator wrote is in the store, as it left it; schema aside. */
static void
check_fixture_content(sp_store *s, uint64_t schema)
{
	sp_store_stats stats;
	sp_txn *t;

	assert_int_equal(sp_txn_begin(s, false, &t), 0);
	check_meta(t, schema);
	check_tables(t);
	check_communities(t);
	check_peers(t);
	check_records(t);
	sp_txn_abort(t);
	assert_int_equal(sp_store_stats_get(s, &stats), 0);
	assert_int_equal(stats.records, 12);
	assert_int_equal(stats.communities, FX_COMMUNITIES);
}

/* Tests. */

/* The fixture in the tree is small and holds no byte of the erased record. */
static void
test_fixture_in_tree(void **state)
{
	uint8_t *data;
	size_t len;

	(void)state;
	data = fixture_read(&len);
	assert_true(len <= 200 * 1024);
	assert_null(memmem(data, len, FX_ERASED, strlen(FX_ERASED)));
	free(data);
}

/* Today's code opens the fixture and finds all of it, and keeps working on it. */
static void
test_fixture_opens(void **state)
{
	char *dir = fixture_copy();
	sp_store *s;
	sp_txn *t;
	sp_import imp;
	uint8_t rt03[SP_PUBKEY_BYTES], pk[SP_PUBKEY_BYTES], sk[SP_SECKEY_BYTES];
	static const struct fx_rec added = { 0, "households", "h-004", 1200,
	    SP_LABEL_COMMUNITY, 0, "Pak Joko, 2", false, true };
	sp_stored st;

	(void)state;
	assert_int_equal(sp_store_open(dir, NULL, &s), 0);
	check_fixture_content(s, SP_STORE_SCHEMA);

	/* The counters carried over: a new import gets the next id. */
	assert_int_equal(sp_txn_begin(s, false, &t), 0);
	community_id(t, 0, rt03);
	sp_txn_abort(t);
	assert_int_equal(sp_store_import_begin(s, rt03, "iuran", 5, &imp), 0);
	assert_int_equal(imp.id, FX_NEXT_IMPORT);
	assert_int_equal(sp_store_import_rollback(s, &imp), 0);
	/* A new record takes the next sequence number (a stale one would not append). */
	sp_sign_keypair(pk, sk);
	assert_int_equal(sp_txn_begin(s, true, &t), 0);
	fx_apply(t, rt03, pk, sk, &added, NULL);
	assert_int_equal(sp_txn_commit(t), 0);
	sp_store_close(s);

	assert_int_equal(sp_store_open(dir, NULL, &s), 0);
	assert_int_equal(sp_txn_begin(s, false, &t), 0);
	assert_int_equal(sp_store_get(t, rt03, "households", 10, "h-004", 5, &st), 0);
	check_stored(&st, &added, rt03, pk);
	sp_txn_abort(t);
	sp_store_close(s);
	sp_test_rmdir(dir);
}

/* Migrations of the test's own schema histories. */

static unsigned g_migrations_run;

/* Deletes every entry of table. */
static int
table_clear(sp_txn *t, enum sp_store_table table)
{
	sp_kv_cursor *c;
	sp_kv_val k, v;
	int r;

	if ((r = sp_kv_cursor_open(t->kv, table, &c)) != 0)
		return r;
	while ((r = sp_kv_cursor_get(c, SP_KV_FIRST, &k, &v)) == 0)
		if ((r = sp_kv_cursor_del(c)) != 0)
			break;
	sp_kv_cursor_close(c);
	return r == SP_ENOTFOUND ? 0 : r;
}

/* The "ids" entry of a "current" entry: id -> seq u64 | timestamp u64. */
static int
id_from_current(void *arg, const sp_kv_val *k, const sp_kv_val *v)
{
	sp_txn *t = arg;
	sp_version ver;
	uint8_t idval[16];
	int r;

	(void)k;
	if ((r = sp_store_version_unpack(v->data, v->len, &ver)) != 0)
		return r;
	sp_put_be64(idval, ver.seq);
	sp_put_be64(idval + 8, ver.ts);
	return sp_kv_put(t->kv, SP_TABLE_IDS, ver.id, SP_ID_BYTES, idval,
	    sizeof(idval), SP_KV_NOOVERWRITE);
}

/* As a real migration that adds an index would: empty it, fill it from the records. */
static int
migrate_rebuild_ids(sp_txn *t)
{
	int r;

	g_migrations_run++;
	if ((r = table_clear(t, SP_TABLE_IDS)) != 0)
		return r;
	return sp_kv_walk(t->kv, SP_TABLE_CURRENT, NULL, 0, 0, false,
	    id_from_current, t);
}

/* A migration that gets halfway: the index is emptied, then it fails. */
static int
migrate_clear_ids_then_fail(sp_txn *t)
{
	int r;

	g_migrations_run++;
	if ((r = table_clear(t, SP_TABLE_IDS)) != 0)
		return r;
	return SP_EMAPFULL;
}

static const sp_store_migration to_v2[] = { { 1, migrate_rebuild_ids } };
static const sp_store_schema schema_v2 = { 2, to_v2, 1 };

/* 1 -> 2 works, 2 -> 3 fails after emptying "ids" again. */
static const sp_store_migration to_v3_failing[] = {
	{ 1, migrate_rebuild_ids },
	{ 2, migrate_clear_ids_then_fail },
};
static const sp_store_schema schema_v3_failing = { 3, to_v3_failing, 2 };

/* Schema 3 that upgrades schema 2 only: a store of schema 1 has no path. */
static const sp_store_migration from_v2_only[] = { { 2, migrate_rebuild_ids } };
static const sp_store_schema schema_v3_from_v2 = { 3, from_v2_only, 1 };

static uint8_t *
data_read(const char *dir, size_t *len)
{
	char path[4096];

	path_in(path, sizeof(path), dir, "data.mdb");
	return file_read(path, len);
}

/* The data file in dir is byte for byte before (before_len bytes). */
static void
assert_data_unchanged(const char *dir, const uint8_t *before, size_t before_len)
{
	uint8_t *after;
	size_t len;

	after = data_read(dir, &len);
	assert_int_equal(len, before_len);
	assert_memory_equal(after, before, len);
	free(after);
}

/*
 * Opening dir with schema is refused with err, the data file untouched,
 * and open's why is explain's message.
 */
static void
assert_refused_unchanged(const char *dir, const sp_store_schema *schema, int err)
{
	static char sentinel;
	sp_store *s = (sp_store *)(void *)&sentinel;  /* open must clear it */
	char why[512], explained[512];
	sp_store_options opt = { .why = why, .why_size = sizeof(why) };
	uint8_t *before;
	size_t len;

	before = data_read(dir, &len);
	assert_int_equal(sp_store_open_schema(dir, &opt, schema, &s), err);
	assert_null(s);
	assert_data_unchanged(dir, before, len);
	free(before);
	sp_store_explain_schema(explained, sizeof(explained), dir, err, schema);
	assert_string_equal(why, explained);
}

/*
 * explain's message for err against schema contains every string of
 * want, and reading the store for it changed nothing.
 */
static void
assert_explained(const char *dir, int err, const sp_store_schema *schema,
    const char *const *want, size_t n)
{
	char msg[512];
	uint8_t *before;
	size_t i, len;

	before = data_read(dir, &len);
	sp_store_explain_schema(msg, sizeof(msg), dir, err, schema);
	for (i = 0; i < n; i++)
		if (strstr(msg, want[i]) == NULL)
			fail_msg("'%s' is not in '%s'", want[i], msg);
	assert_data_unchanged(dir, before, len);
	free(before);
}

/* The fixture, migrated to schema 2 in place, keeps everything and its rebuilt index. */
static void
test_migration_upgrades_in_place(void **state)
{
	char *dir = fixture_copy();
	sp_store *s;

	(void)state;
	g_migrations_run = 0;
	assert_int_equal(sp_store_open_schema(dir, NULL, &schema_v2, &s), 0);
	assert_int_equal(g_migrations_run, 1);
	check_fixture_content(s, 2);
	sp_store_close(s);

	/* Done once: opening again migrates nothing. */
	assert_int_equal(sp_store_open_schema(dir, NULL, &schema_v2, &s), 0);
	assert_int_equal(g_migrations_run, 1);
	check_fixture_content(s, 2);
	sp_store_close(s);

	/* Now the store is newer than today's code, which refuses it. */
	assert_refused_unchanged(dir, &sp_store_schema_current, SP_ESCHEMA);
	sp_test_rmdir(dir);
}

/*
 * A chain whose second step fails: the whole upgrade is undone, the
 * file is byte for byte what it was, and it opens at schema 1 with its
 * "ids" index whole (the failed steps had emptied it).
 */
static void
test_migration_failure_changes_nothing(void **state)
{
	static const char *const want[] = { "from schema 1 to 3", "store is full",
	    "still has schema 1" };
	char *dir = fixture_copy();
	sp_store *s;

	(void)state;
	g_migrations_run = 0;
	assert_refused_unchanged(dir, &schema_v3_failing, SP_EMAPFULL);
	assert_int_equal(g_migrations_run, 2);
	assert_explained(dir, SP_EMAPFULL, &schema_v3_failing, want, 3);
	assert_int_equal(sp_store_open(dir, NULL, &s), 0);
	check_fixture_content(s, 1);
	sp_store_close(s);
	sp_test_rmdir(dir);
}

/* A store older than the oldest migration is refused; no step runs. */
static void
test_no_migration_path_refused(void **state)
{
	static const char *const want[] = { "has schema 1", "(schema 3)",
	    "upgrades schema 2 and later" };
	char *dir = fixture_copy();

	(void)state;
	g_migrations_run = 0;
	assert_refused_unchanged(dir, &schema_v3_from_v2, SP_ESCHEMA_OLD);
	assert_int_equal(g_migrations_run, 0);
	assert_explained(dir, SP_ESCHEMA_OLD, &schema_v3_from_v2, want, 3);
	sp_test_rmdir(dir);
}

/* Sets the fixture copy's recorded schema, as another simpul would have left it. */
static void
schema_set(const char *dir, uint64_t schema)
{
	sp_store *s;
	sp_txn *t;

	assert_int_equal(sp_store_open(dir, NULL, &s), 0);
	assert_int_equal(sp_txn_begin(s, true, &t), 0);
	assert_int_equal(sp_store_meta_put(t, "schema", schema), 0);
	assert_int_equal(sp_txn_commit(t), 0);
	sp_store_close(s);
}

/*
 * Today's code refuses, unchanged, a store newer than itself (SP_ESCHEMA:
 * upgrade simpul) and one older than schema 1 (SP_ESCHEMA_OLD: it cannot
 * be upgraded by this simpul).
 */
static void
test_other_schemas_refused(void **state)
{
	static const char *const newer[] = { "has schema 2", "newer simpul",
	    "reads schema 1 and older" };
	static const char *const older[] = { "has schema 0", "cannot upgrade" };
	char *dir = fixture_copy();

	(void)state;
	schema_set(dir, SP_STORE_SCHEMA + 1);
	assert_refused_unchanged(dir, &sp_store_schema_current, SP_ESCHEMA);
	assert_explained(dir, SP_ESCHEMA, &sp_store_schema_current, newer, 3);
	sp_test_rmdir(dir);

	dir = fixture_copy();
	schema_set(dir, 0);
	assert_refused_unchanged(dir, &sp_store_schema_current, SP_ESCHEMA_OLD);
	assert_explained(dir, SP_ESCHEMA_OLD, &sp_store_schema_current, older, 2);
	sp_test_rmdir(dir);
}

/* A new store starts at the newest schema: no migration runs on it. */
static void
test_fresh_store_needs_no_migration(void **state)
{
	char *dir = sp_test_mkdtemp(), msg[512];
	sp_store *s;
	sp_txn *t;
	uint64_t v;

	(void)state;
	assert_non_null(dir);
	g_migrations_run = 0;
	assert_int_equal(sp_store_open_schema(dir, NULL, &schema_v3_failing, &s), 0);
	assert_int_equal(g_migrations_run, 0);
	assert_int_equal(sp_txn_begin(s, false, &t), 0);
	assert_int_equal(sp_store_meta_get(t, "schema", &v), 0);
	assert_int_equal(v, 3);
	sp_txn_abort(t);
	sp_store_close(s);
	/* At the code's own schema, explain gives the error's own message. */
	sp_store_explain_schema(msg, sizeof(msg), dir, SP_ENOSPC, &schema_v3_failing);
	assert_string_equal(msg, sp_strerror(SP_ENOSPC));
	sp_test_rmdir(dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_in_tree),
		cmocka_unit_test(test_fixture_opens),
		cmocka_unit_test(test_migration_upgrades_in_place),
		cmocka_unit_test(test_migration_failure_changes_nothing),
		cmocka_unit_test(test_no_migration_path_refused),
		cmocka_unit_test(test_other_schemas_refused),
		cmocka_unit_test(test_fresh_store_needs_no_migration),
	};

	if (argc == 3 && strcmp(argv[1], "--write-fixture") == 0)
		return fx_write(argv[2]);
	assert_int_equal(sp_crypto_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

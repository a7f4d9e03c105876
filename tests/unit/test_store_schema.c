/*
 * test_store_schema.c - stores written by earlier code still open.
 *
 * tests/fixtures/store-v1/data.mdb is a store of schema 1 written once by
 * this file's generator (run as `test_store_schema --write-fixture DIR`,
 * see the fixture's README) before the store was restructured. The test
 * opens a copy of it with today's code and checks every community, peer,
 * meta value, record, index entry and count the generator left there.
 * The fixture in the tree is never opened in place: opening writes.
 */
#include "sp_test.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "body.h"
#include "buf.h"
#include "crypto.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"
#include "store.h"

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

/* A temporary directory holding a copy of the fixture's data.mdb. */
static char *
fixture_copy(void)
{
	const char *src = getenv("SP_SRC");
	char path[4096];
	uint8_t *data;
	size_t len;
	char *dir;

	/* ctest sets SP_SRC; without it the fixture cannot be found: fail, do not skip. */
	assert_non_null(src);
	assert_true((size_t)snprintf(path, sizeof(path), "%s/" FIXTURE_DIR "/data.mdb",
	    src) < sizeof(path));
	data = file_read(path, &len);
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
check_meta(sp_txn *t)
{
	uint64_t v;

	assert_int_equal(sp_store_meta_get(t, "schema", &v), 0);
	assert_int_equal(v, 1);
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

/* Everything the generator wrote is in the store at dir, as it left it. */
static void
check_fixture_content(sp_store *s)
{
	sp_store_stats stats;
	sp_txn *t;

	assert_int_equal(sp_txn_begin(s, false, &t), 0);
	check_meta(t);
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
	const char *src = getenv("SP_SRC");
	char dir[4096], path[4096];
	struct stat st;

	(void)state;
	assert_non_null(src);
	assert_true((size_t)snprintf(dir, sizeof(dir), "%s/" FIXTURE_DIR, src) < sizeof(dir));
	path_in(path, sizeof(path), dir, "data.mdb");
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size <= 200 * 1024);
	assert_int_equal(sp_test_grep_tree(dir, FX_ERASED, strlen(FX_ERASED)), 0);
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
	check_fixture_content(s);

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

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_in_tree),
		cmocka_unit_test(test_fixture_opens),
	};

	if (argc == 3 && strcmp(argv[1], "--write-fixture") == 0)
		return fx_write(argv[2]);
	assert_int_equal(sp_crypto_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

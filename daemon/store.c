/*
 * store.c - the node's records and their indexes over the tables of one
 * LMDB environment (daemon/kv.h): current versions, areas, ids,
 * communities, peers and meta values, plus opening, the scrub and stats.
 * The import journal is in store_import.c and schema versions in
 * store_schema.c. The tables' key and value layouts, and the reasons for
 * them, are in docs/STORE.md.
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "buf.h"
#include "sp_err.h"
#include "store_int.h"

/* prefix | label u8 | timestamp u64 | id */
#define AKEY_TAIL   (1 + 8 + SP_ID_BYTES)
#define AKEY_MAX    (SP_STORE_PREFIX_MAX + AKEY_TAIL)
/* "ids" value: seq u64 | timestamp u64 */
#define IDVAL_LEN   16

_Static_assert(SP_STORE_CKEY_MAX <= SP_KV_KEY_MAX, "current key exceeds LMDB's key limit");
_Static_assert(AKEY_MAX <= SP_KV_KEY_MAX, "area key exceeds LMDB's key limit");

static const char *const table_names[SP_TABLE_COUNT] = {
	[SP_TABLE_META] = "meta",
	[SP_TABLE_RECORDS] = "records",
	[SP_TABLE_IDS] = "ids",
	[SP_TABLE_CURRENT] = "current",
	[SP_TABLE_AREA] = "area",
	[SP_TABLE_COMMUNITIES] = "communities",
	[SP_TABLE_ALIASES] = "aliases",
	[SP_TABLE_JOURNAL] = "journal",
	[SP_TABLE_UNDO] = "undo",
	[SP_TABLE_PEERS] = "peers",
};

void
sp_store_kv_config(sp_kv_config *cfg, size_t map_size, bool read_only)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->map_size = map_size != 0 ? map_size : SP_STORE_MAP_SIZE_DEFAULT;
	cfg->tables = table_names;
	cfg->table_count = SP_TABLE_COUNT;
	cfg->read_only = read_only;
}

static bool
key_len_ok(size_t len)
{
	return len >= 1 && len <= SP_KEY_MAX;
}

int
sp_store_seq_get(sp_txn *t, enum sp_store_table table, uint64_t seq, sp_kv_val *v)
{
	uint8_t k[8];

	sp_put_be64(k, seq);
	return sp_kv_get(t->kv, table, k, sizeof(k), v);
}

int
sp_store_seq_del(sp_txn *t, enum sp_store_table table, uint64_t seq)
{
	uint8_t k[8];

	sp_put_be64(k, seq);
	return sp_kv_del(t->kv, table, k, sizeof(k));
}

/* Meta values. */

static bool
meta_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len >= 1 && len <= SP_KV_KEY_MAX;
}

int
sp_store_meta_read(sp_kv_txn *t, const char *name, uint64_t *v)
{
	sp_kv_val val;
	int r;

	*v = 0;
	if (!meta_name_ok(name))
		return SP_EINVAL;
	if ((r = sp_kv_get(t, SP_TABLE_META, name, strlen(name), &val)) != 0)
		return r;
	if (val.len != 8)
		return SP_ECORRUPT;
	*v = sp_get_be64(val.data);
	return 0;
}

int
sp_store_meta_write(sp_kv_txn *t, const char *name, uint64_t v)
{
	uint8_t b[8];

	if (!meta_name_ok(name))
		return SP_EINVAL;
	sp_put_be64(b, v);
	return sp_kv_put(t, SP_TABLE_META, name, strlen(name), b, sizeof(b), 0);
}

int
sp_store_counter_get(sp_txn *t, const char *name, uint64_t *v)
{
	int r = sp_store_meta_read(t->kv, name, v);

	if (r == SP_ENOTFOUND) {
		*v = 1;
		return 0;
	}
	return r;
}

int
sp_store_meta_get(sp_txn *t, const char *name, uint64_t *v)
{
	return sp_store_meta_read(t->kv, name, v);
}

int
sp_store_meta_put(sp_txn *t, const char *name, uint64_t v)
{
	if (!t->write)
		return SP_EINVAL;
	return sp_store_meta_write(t->kv, name, v);
}

int
sp_store_meta_get_bytes(sp_txn *t, const char *name, uint8_t *out, size_t len)
{
	sp_kv_val val;
	int r;

	memset(out, 0, len);
	if (!meta_name_ok(name))
		return SP_EINVAL;
	if ((r = sp_kv_get(t->kv, SP_TABLE_META, name, strlen(name), &val)) != 0)
		return r;
	if (val.len != len)
		return SP_ECORRUPT;
	memcpy(out, val.data, len);
	return 0;
}

int
sp_store_meta_put_bytes(sp_txn *t, const char *name, const uint8_t *v, size_t len)
{
	if (!t->write || !meta_name_ok(name))
		return SP_EINVAL;
	return sp_kv_put(t->kv, SP_TABLE_META, name, strlen(name), v, len, 0);
}

/* Key layouts; see docs/STORE.md. */

/* community | collection | NUL. Returns the length written. */
static size_t
coll_prefix(uint8_t *out, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len)
{
	memcpy(out, community, SP_PUBKEY_BYTES);
	memcpy(out + SP_PUBKEY_BYTES, collection, collection_len);
	out[SP_PUBKEY_BYTES + collection_len] = 0;
	return SP_PUBKEY_BYTES + collection_len + 1;
}

size_t
sp_store_current_key(uint8_t *out, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, const char *key,
    size_t key_len, size_t *prefix_len)
{
	*prefix_len = coll_prefix(out, community, collection, collection_len);
	memcpy(out + *prefix_len, key, key_len);
	return *prefix_len + key_len;
}

/* prefix | label | ts | id: the "area" key of version v under prefix. */
static size_t
area_key(uint8_t *out, const uint8_t *prefix, size_t prefix_len,
    const sp_version *v)
{
	memcpy(out, prefix, prefix_len);
	out[prefix_len] = v->label;
	sp_put_be64(out + prefix_len + 1, v->ts);
	memcpy(out + prefix_len + 9, v->id, SP_ID_BYTES);
	return prefix_len + AKEY_TAIL;
}

void
sp_store_version_pack(uint8_t out[SP_STORE_VERSION_LEN], const sp_version *v)
{
	sp_put_be64(out, v->seq);
	sp_put_be64(out + 8, v->ts);
	memcpy(out + 16, v->id, SP_ID_BYTES);
	out[16 + SP_ID_BYTES] = v->label;
}

int
sp_store_version_unpack(const uint8_t *p, size_t len, sp_version *v)
{
	if (len != SP_STORE_VERSION_LEN || p[16 + SP_ID_BYTES] >= SP_LABEL_COUNT)
		return SP_ECORRUPT;
	v->seq = sp_get_be64(p);
	v->ts = sp_get_be64(p + 8);
	memcpy(v->id, p + 16, SP_ID_BYTES);
	v->label = p[16 + SP_ID_BYTES];
	return 0;
}

int
sp_store_version_link(sp_txn *t, const uint8_t *ckey, size_t ckey_len,
    size_t prefix_len, const sp_version *v)
{
	uint8_t val[SP_STORE_VERSION_LEN], akey[AKEY_MAX], idval[IDVAL_LEN], seq[8];
	size_t alen;
	int r;

	sp_store_version_pack(val, v);
	if ((r = sp_kv_put(t->kv, SP_TABLE_CURRENT, ckey, ckey_len, val,
	    sizeof(val), 0)) != 0)
		return r;
	alen = area_key(akey, ckey, prefix_len, v);
	sp_put_be64(seq, v->seq);
	if ((r = sp_kv_put(t->kv, SP_TABLE_AREA, akey, alen, seq, sizeof(seq), 0)) != 0)
		return r;
	sp_put_be64(idval, v->seq);
	sp_put_be64(idval + 8, v->ts);
	r = sp_kv_put(t->kv, SP_TABLE_IDS, v->id, SP_ID_BYTES, idval,
	    sizeof(idval), SP_KV_NOOVERWRITE);
	/* Only current versions are in "ids", and one id is one key. */
	return r == SP_EEXIST ? SP_ECORRUPT : r;
}

int
sp_store_version_unlink(sp_txn *t, const uint8_t *prefix, size_t prefix_len,
    const sp_version *v)
{
	uint8_t akey[AKEY_MAX];
	size_t alen;
	int r;

	alen = area_key(akey, prefix, prefix_len, v);
	r = sp_store_must_exist(sp_kv_del(t->kv, SP_TABLE_AREA, akey, alen));
	if (r != 0)
		return r;
	return sp_store_must_exist(sp_kv_del(t->kv, SP_TABLE_IDS, v->id, SP_ID_BYTES));
}

/* The stored record with sequence seq, described by id and ts. */
static int
stored_fill(sp_txn *t, uint64_t seq, uint64_t ts, const uint8_t *id,
    sp_stored *out)
{
	sp_kv_val v;
	int r;

	r = sp_store_must_exist(sp_store_seq_get(t, SP_TABLE_RECORDS, seq, &v));
	if (r != 0)
		return r;
	out->data = v.data;
	out->len = v.len;
	memcpy(out->id, id, SP_ID_BYTES);
	out->timestamp = ts;
	return 0;
}

/* Transactions. */

int
sp_txn_begin(sp_store *s, bool write, sp_txn **out)
{
	sp_txn *t;
	int r;

	*out = NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SP_ENOMEM;
	t->s = s;
	t->write = write;
	if ((r = sp_kv_txn_begin(s->kv, write, &t->kv)) != 0) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

int
sp_txn_commit(sp_txn *t)
{
	int r = 0;

	if (t->seq_dirty)
		r = sp_store_meta_write(t->kv, SP_META_NEXT_SEQ, t->next_seq);
	if (r == 0)
		r = sp_kv_txn_commit(t->kv);
	else
		sp_kv_txn_abort(t->kv);
	free(t);
	return r;
}

void
sp_txn_abort(sp_txn *t)
{
	if (t == NULL)
		return;
	sp_kv_txn_abort(t->kv);
	free(t);
}

/* Communities. */

static int
community_fill(const uint8_t *id, const sp_kv_val *alias, sp_community_info *out)
{
	if (alias->len == 0 || alias->len > SP_COLLECTION_MAX)
		return SP_ECORRUPT;
	memcpy(out->id, id, SP_PUBKEY_BYTES);
	memcpy(out->alias, alias->data, alias->len);
	out->alias[alias->len] = '\0';
	return 0;
}

int
sp_store_community_add(sp_txn *t, const sp_community_info *c)
{
	size_t alen = strnlen(c->alias, sizeof(c->alias));
	sp_kv_val v;
	int r;

	if (!t->write)
		return SP_EINVAL;
	if ((r = sp_alias_check(c->alias, alen)) != 0)
		return r;
	/* Both checks come first so that a refusal writes nothing. */
	r = sp_kv_get(t->kv, SP_TABLE_COMMUNITIES, c->id, SP_PUBKEY_BYTES, &v);
	if (r == 0)
		return SP_EEXIST;
	if (r != SP_ENOTFOUND)
		return r;
	r = sp_kv_get(t->kv, SP_TABLE_ALIASES, c->alias, alen, &v);
	if (r == 0)
		return SP_EEXIST;
	if (r != SP_ENOTFOUND)
		return r;
	if ((r = sp_kv_put(t->kv, SP_TABLE_COMMUNITIES, c->id, SP_PUBKEY_BYTES, c->alias,
	    alen, 0)) != 0)
		return r;
	return sp_kv_put(t->kv, SP_TABLE_ALIASES, c->alias, alen, c->id, SP_PUBKEY_BYTES, 0);
}

int
sp_store_community_get(sp_txn *t, const uint8_t id[SP_PUBKEY_BYTES],
    sp_community_info *out)
{
	sp_kv_val v;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sp_kv_get(t->kv, SP_TABLE_COMMUNITIES, id, SP_PUBKEY_BYTES, &v)) != 0)
		return r;
	return community_fill(id, &v, out);
}

int
sp_store_community_find(sp_txn *t, const char *name, sp_community_info *out)
{
	uint8_t id[SP_PUBKEY_BYTES];
	size_t len = strlen(name);
	sp_kv_val k = { name, len }, v;
	int r;

	memset(out, 0, sizeof(*out));
	/*
	 * An alias may itself look like base32, so a name that decodes but
	 * names no community is still tried as an alias.
	 */
	if (len == SP_ID_STR_LEN &&
	    sp_base32_decode(id, sizeof(id), name, len) == 0) {
		r = sp_store_community_get(t, id, out);
		if (r != SP_ENOTFOUND)
			return r;
	}
	if (len == 0 || len > SP_COLLECTION_MAX)
		return SP_ENOTFOUND;
	if ((r = sp_kv_get(t->kv, SP_TABLE_ALIASES, name, len, &v)) != 0)
		return r;
	if (v.len != SP_PUBKEY_BYTES)
		return SP_ECORRUPT;
	return community_fill(v.data, &k, out);
}

struct community_walk {
	int (*cb)(void *arg, const sp_community_info *c);
	void *arg;
};

static int
community_step(void *arg, const sp_kv_val *k, const sp_kv_val *v)
{
	struct community_walk *w = arg;
	sp_community_info c;
	int r;

	memset(&c, 0, sizeof(c));
	if (v->len != SP_PUBKEY_BYTES)
		return SP_ECORRUPT;
	if ((r = community_fill(v->data, k, &c)) != 0)
		return r;
	return w->cb(w->arg, &c);
}

int
sp_store_community_each(sp_txn *t,
    int (*cb)(void *arg, const sp_community_info *c), void *arg)
{
	struct community_walk w = { cb, arg };

	return sp_kv_walk(t->kv, SP_TABLE_ALIASES, NULL, 0, 0, false,
	    community_step, &w);
}

/* Peers: name -> the policy's encoding (proto/policy.h), opaque here. */

static int
peer_name_check(size_t len)
{
	return len == 0 || len > SP_COLLECTION_MAX ? SP_EINVAL : 0;
}

int
sp_store_peer_put(sp_txn *t, const char *name, size_t name_len,
    const uint8_t *data, size_t len)
{
	int r;

	if ((r = peer_name_check(name_len)) != 0)
		return r;
	return sp_kv_put(t->kv, SP_TABLE_PEERS, name, name_len, data, len, 0);
}

int
sp_store_peer_get(sp_txn *t, const char *name, size_t name_len,
    const uint8_t **data, size_t *len)
{
	sp_kv_val v;
	int r;

	*data = NULL;
	*len = 0;
	if ((r = peer_name_check(name_len)) != 0)
		return r;
	if ((r = sp_kv_get(t->kv, SP_TABLE_PEERS, name, name_len, &v)) != 0)
		return r;
	*data = v.data;
	*len = v.len;
	return 0;
}

int
sp_store_peer_del(sp_txn *t, const char *name, size_t name_len)
{
	int r;

	if ((r = peer_name_check(name_len)) != 0)
		return r;
	return sp_kv_del(t->kv, SP_TABLE_PEERS, name, name_len);
}

struct peer_walk {
	int (*cb)(void *arg, const char *name, size_t name_len, const uint8_t *data, size_t len);
	void *arg;
};

static int
peer_step(void *arg, const sp_kv_val *k, const sp_kv_val *v)
{
	struct peer_walk *w = arg;

	return w->cb(w->arg, k->data, k->len, v->data, v->len);
}

int
sp_store_peer_each(sp_txn *t, int (*cb)(void *arg, const char *name, size_t name_len,
    const uint8_t *data, size_t len), void *arg)
{
	struct peer_walk w = { cb, arg };

	return sp_kv_walk(t->kv, SP_TABLE_PEERS, NULL, 0, 0, false, peer_step, &w);
}

/* Records. */

/* Hands out the next record sequence number of this transaction. */
static int
seq_next(sp_txn *t, uint64_t *seq)
{
	int r;

	if (t->next_seq == 0 &&
	    (r = sp_store_counter_get(t, SP_META_NEXT_SEQ, &t->next_seq)) != 0)
		return r;
	*seq = t->next_seq++;
	t->seq_dirty = true;
	return 0;
}

int
sp_store_apply(sp_txn *t, const uint8_t *data, size_t len,
    const sp_record *rec, const uint8_t id[SP_ID_BYTES],
    const sp_import *imp, enum sp_apply_result *result)
{
	uint8_t ckey[SP_STORE_CKEY_MAX], seq[8];
	size_t ckey_len, prefix_len;
	sp_version prev, cur;
	bool replacing = false;
	sp_kv_val v;
	int r;

	*result = 0;
	if (!t->write || len == 0 || len > SP_RECORD_MAX ||
	    !sp_store_collection_len_ok(rec->collection_len) ||
	    !key_len_ok(rec->key_len) || (unsigned)rec->label >= SP_LABEL_COUNT)
		return SP_EINVAL;
	ckey_len = sp_store_current_key(ckey, rec->community, rec->collection,
	    rec->collection_len, rec->key, rec->key_len, &prefix_len);

	r = sp_kv_get(t->kv, SP_TABLE_CURRENT, ckey, ckey_len, &v);
	if (r == 0) {
		if ((r = sp_store_version_unpack(v.data, v.len, &prev)) != 0)
			return r;
		/* An equal version is this very record: applying it again is a no-op. */
		if (sp_version_cmp(rec->timestamp, id, prev.ts, prev.id) <= 0) {
			*result = SP_APPLY_STALE;
			return 0;
		}
		replacing = true;
	} else if (r != SP_ENOTFOUND) {
		return r;
	}
	if (imp != NULL && (r = sp_store_import_check(t, imp, rec)) != 0)
		return r;

	if ((r = seq_next(t, &cur.seq)) != 0)
		return r;
	cur.ts = rec->timestamp;
	memcpy(cur.id, id, SP_ID_BYTES);
	cur.label = (uint8_t)rec->label;
	sp_put_be64(seq, cur.seq);
	/* The sequence only grows: appending skips the search and fills pages. */
	r = sp_kv_put(t->kv, SP_TABLE_RECORDS, seq, sizeof(seq), data, len,
	    SP_KV_APPEND);
	if (r != 0)
		return r == SP_EEXIST ? SP_ECORRUPT : r;

	if (replacing) {
		if ((r = sp_store_version_unlink(t, ckey, prefix_len, &prev)) != 0)
			return r;
		/* Under an import the old encoding stays until commit, for rollback. */
		if (imp == NULL && (r = sp_store_must_exist(sp_store_seq_del(t,
		    SP_TABLE_RECORDS, prev.seq))) != 0)
			return r;
	}
	if ((r = sp_store_version_link(t, ckey, ckey_len, prefix_len, &cur)) != 0)
		return r;
	if (imp != NULL && (r = sp_store_undo_put(t, imp->id, cur.seq,
	    replacing ? &prev : NULL, rec->key, rec->key_len)) != 0)
		return r;
	if ((rec->flags & SP_FLAG_ERASED) && !t->scrub_marked) {
		if ((r = sp_store_meta_write(t->kv, SP_META_SCRUB, 1)) != 0)
			return r;
		t->scrub_marked = true;
	}
	*result = replacing ? SP_APPLY_REPLACED : SP_APPLY_NEW;
	return 0;
}

int
sp_store_get(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len,
    const char *key, size_t key_len, sp_stored *out)
{
	uint8_t ckey[SP_STORE_CKEY_MAX];
	size_t ckey_len, prefix_len;
	sp_version cur;
	sp_kv_val v;
	int r;

	memset(out, 0, sizeof(*out));
	if (!sp_store_collection_len_ok(collection_len) || !key_len_ok(key_len))
		return SP_EINVAL;
	ckey_len = sp_store_current_key(ckey, community, collection, collection_len,
	    key, key_len, &prefix_len);
	if ((r = sp_kv_get(t->kv, SP_TABLE_CURRENT, ckey, ckey_len, &v)) != 0)
		return r;
	if ((r = sp_store_version_unpack(v.data, v.len, &cur)) != 0)
		return r;
	return stored_fill(t, cur.seq, cur.ts, cur.id, out);
}

int
sp_store_get_by_id(sp_txn *t, const uint8_t id[SP_ID_BYTES], sp_stored *out)
{
	const uint8_t *p;
	sp_kv_val v;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sp_kv_get(t->kv, SP_TABLE_IDS, id, SP_ID_BYTES, &v)) != 0)
		return r;
	if (v.len != IDVAL_LEN)
		return SP_ECORRUPT;
	p = v.data;
	return stored_fill(t, sp_get_be64(p), sp_get_be64(p + 8), id, out);
}

struct record_walk {
	sp_txn *t;
	int (*cb)(void *arg, const sp_stored *r);
	void *arg;
};

static int
record_step(void *arg, const sp_kv_val *k, const sp_kv_val *v)
{
	struct record_walk *w = arg;
	sp_stored st;
	sp_version cur;
	int r;

	(void)k;
	if ((r = sp_store_version_unpack(v->data, v->len, &cur)) != 0)
		return r;
	if ((r = stored_fill(w->t, cur.seq, cur.ts, cur.id, &st)) != 0)
		return r;
	return w->cb(w->arg, &st);
}

int
sp_store_each(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len,
    const char *after, size_t after_len,
    int (*cb)(void *arg, const sp_stored *r), void *arg)
{
	struct record_walk w = { t, cb, arg };
	uint8_t start[SP_STORE_CKEY_MAX];
	size_t prefix_len, start_len;

	if (collection == NULL) {
		/* Without a collection, "after" would need one to be a position. */
		if (after != NULL)
			return SP_EINVAL;
		memcpy(start, community, SP_PUBKEY_BYTES);
		return sp_kv_walk(t->kv, SP_TABLE_CURRENT, start, SP_PUBKEY_BYTES,
		    SP_PUBKEY_BYTES, false, record_step, &w);
	}
	if (!sp_store_collection_len_ok(collection_len) ||
	    (after != NULL && !key_len_ok(after_len)))
		return SP_EINVAL;
	prefix_len = coll_prefix(start, community, collection, collection_len);
	start_len = prefix_len;
	if (after != NULL) {
		memcpy(start + prefix_len, after, after_len);
		start_len += after_len;
	}
	return sp_kv_walk(t->kv, SP_TABLE_CURRENT, start, start_len, prefix_len,
	    after != NULL, record_step, &w);
}

struct area_walk {
	int (*cb)(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES]);
	void *arg;
	size_t prefix_len;     /* community | collection | NUL | label */
};

static int
area_step(void *arg, const sp_kv_val *k, const sp_kv_val *v)
{
	struct area_walk *w = arg;
	const uint8_t *p = k->data;

	(void)v;
	if (k->len != w->prefix_len + 8 + SP_ID_BYTES)
		return SP_ECORRUPT;
	return w->cb(w->arg, sp_get_be64(p + w->prefix_len), p + w->prefix_len + 8);
}

int
sp_store_area_each(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, enum sp_label label,
    uint64_t ts, const uint8_t *id,
    int (*cb)(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES]), void *arg)
{
	struct area_walk w = { cb, arg, 0 };
	uint8_t start[AKEY_MAX];
	sp_version from;
	size_t prefix_len, start_len;

	if (!sp_store_collection_len_ok(collection_len) || (unsigned)label >= SP_LABEL_COUNT)
		return SP_EINVAL;
	from.label = (uint8_t)label;
	from.ts = ts;
	if (id != NULL)
		memcpy(from.id, id, SP_ID_BYTES);
	else
		memset(from.id, 0, SP_ID_BYTES);
	prefix_len = coll_prefix(start, community, collection, collection_len);
	start_len = area_key(start, start, prefix_len, &from);
	w.prefix_len = prefix_len + 1;
	return sp_kv_walk(t->kv, SP_TABLE_AREA, start, start_len, w.prefix_len,
	    false, area_step, &w);
}

int
sp_store_areas_each(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    int (*cb)(void *arg, const char *collection, size_t collection_len, enum sp_label label),
    void *arg)
{
	uint8_t seek[SP_STORE_PREFIX_MAX + 1];
	sp_kv_cursor *c;
	sp_kv_val k, v;
	const uint8_t *key, *nul;
	size_t clen;
	int r;

	if ((r = sp_kv_cursor_open(t->kv, SP_TABLE_AREA, &c)) != 0)
		return r;
	memcpy(seek, community, SP_PUBKEY_BYTES);
	k.data = seek;
	k.len = SP_PUBKEY_BYTES;
	/* One seek per (collection, label): the cost grows with the areas, not the items. */
	while ((r = sp_kv_cursor_get(c, SP_KV_SEEK, &k, &v)) == 0) {
		key = k.data;
		if (k.len < SP_PUBKEY_BYTES + AKEY_TAIL + 1 ||
		    memcmp(key, community, SP_PUBKEY_BYTES) != 0)
			break;
		nul = memchr(key + SP_PUBKEY_BYTES, 0, k.len - SP_PUBKEY_BYTES);
		clen = nul != NULL ? (size_t)(nul - key) - SP_PUBKEY_BYTES : 0;
		if (nul == NULL || !sp_store_collection_len_ok(clen) ||
		    k.len != SP_PUBKEY_BYTES + clen + 1 + AKEY_TAIL ||
		    nul[1] >= SP_LABEL_COUNT) {
			r = SP_ECORRUPT;
			break;
		}
		if ((r = cb(arg, (const char *)key + SP_PUBKEY_BYTES, clen, (enum sp_label)nul[1])) != 0)
			break;
		memcpy(seek, key, SP_PUBKEY_BYTES + clen + 1);
		seek[SP_PUBKEY_BYTES + clen + 1] = (uint8_t)(nul[1] + 1);
		k.data = seek;
		k.len = SP_PUBKEY_BYTES + clen + 2;
	}
	if (r == SP_ENOTFOUND)
		r = 0;
	sp_kv_cursor_close(c);
	return r;
}

int
sp_store_area_insert_raw(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, enum sp_label label,
    uint64_t ts, const uint8_t id[SP_ID_BYTES])
{
	uint8_t prefix[SP_STORE_PREFIX_MAX], akey[AKEY_MAX], seq[8];
	sp_version v;
	size_t prefix_len, alen;

	if (!t->write || !sp_store_collection_len_ok(collection_len) ||
	    (unsigned)label >= SP_LABEL_COUNT)
		return SP_EINVAL;
	/* Sequence 0 names no record: nothing may follow this item to one. */
	v.seq = 0;
	v.ts = ts;
	memcpy(v.id, id, SP_ID_BYTES);
	v.label = (uint8_t)label;
	prefix_len = coll_prefix(prefix, community, collection, collection_len);
	alen = area_key(akey, prefix, prefix_len, &v);
	sp_put_be64(seq, v.seq);
	return sp_kv_put(t->kv, SP_TABLE_AREA, akey, alen, seq, sizeof(seq),
	    SP_KV_NOOVERWRITE);
}

/* Scrub. */

/* Clears the scrub mark in the compacted file, before any other transaction. */
static int
scrub_unmark(void *arg, sp_kv_txn *t)
{
	int r;

	(void)arg;
	r = sp_kv_del(t, SP_TABLE_META, SP_META_SCRUB, strlen(SP_META_SCRUB));
	return r == SP_ENOTFOUND ? 0 : r;
}

int
sp_store_scrub(sp_store *s)
{
	/*
	 * The compacting copy leaves no byte of a deleted record behind. An
	 * old file brought back by a crash still carries the mark, so open
	 * scrubs again.
	 */
	return sp_kv_compact(s->kv, scrub_unmark, NULL);
}

/* Runs the scrub an erase asked for if the process died before it ended. */
static int
scrub_resume(sp_store *s)
{
	sp_txn *t;
	uint64_t pending;
	int r;

	if ((r = sp_txn_begin(s, false, &t)) != 0)
		return r;
	r = sp_store_meta_get(t, SP_META_SCRUB, &pending);
	sp_txn_abort(t);
	if (r == SP_ENOTFOUND || (r == 0 && pending == 0))
		return 0;
	if (r != 0)
		return r;
	return sp_store_scrub(s);
}

/* Open, close, stats. */

void
sp_store_close(sp_store *s)
{
	if (s == NULL)
		return;
	sp_kv_close(s->kv);
	free(s);
}

int
sp_store_open_schema(const char *dir, const sp_store_options *opt,
    const sp_store_schema *schema, sp_store **out)
{
	sp_kv_config cfg;
	sp_store *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		r = SP_ENOMEM;
		goto out;
	}
	sp_store_kv_config(&cfg, opt != NULL ? opt->map_size : 0, false);
	if ((r = sp_kv_open(dir, &cfg, &s->kv)) != 0 ||
	    (r = sp_store_schema_open(s, schema)) != 0 ||
	    (r = sp_store_import_recover(s, opt)) != 0 ||
	    (r = scrub_resume(s)) != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	sp_store_close(s);
	/* Explained once the environment is closed: explain opens its own. */
	if (r != 0 && opt != NULL && opt->why != NULL)
		sp_store_explain_schema(opt->why, opt->why_size, dir, r, schema);
	return r;
}

int
sp_store_open(const char *dir, const sp_store_options *opt, sp_store **out)
{
	return sp_store_open_schema(dir, opt, &sp_store_schema_current, out);
}

int
sp_store_stats_get(sp_store *s, sp_store_stats *out)
{
	sp_txn *t;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sp_txn_begin(s, false, &t)) != 0)
		return r;
	if ((r = sp_kv_entries(t->kv, SP_TABLE_CURRENT, &out->records)) != 0 ||
	    (r = sp_kv_entries(t->kv, SP_TABLE_COMMUNITIES, &out->communities)) != 0 ||
	    (r = sp_kv_space(t->kv, &out->file_bytes, &out->map_bytes)) != 0)
		memset(out, 0, sizeof(*out));
	sp_txn_abort(t);
	return r;
}

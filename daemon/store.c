/*
 * store.c - the node's LMDB store. The sub-databases, their key and value
 * layouts, the import journal and the scrub are described, with the
 * reasons for them, in docs/STORE.md; this file is the only user of lmdb.h.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <lmdb.h>

#include "base32.h"
#include "datadir.h"
#include "sp_err.h"

/*
 * The map is address space reserved up front, not disk: the file grows
 * only as pages are used. On 32-bit hosts address space is scarce.
 */
#if SIZE_MAX > UINT32_MAX
#define MAP_SIZE_DEFAULT ((size_t)64 << 30)
#else
#define MAP_SIZE_DEFAULT ((size_t)1 << 30)
#endif

/* Undo entries handled per durable transaction by import commit/rollback. */
#define IMPORT_BATCH 10000

/* Names the store keeps in "meta" for itself (documented in docs/STORE.md). */
#define META_SCHEMA      "schema"
#define META_NEXT_SEQ    "next_seq"
#define META_NEXT_IMPORT "next_import"
#define META_SCRUB       "scrub_pending"

/* LMDB's default (and, without recompiling it, fixed) key size limit. */
#define KEY_LIMIT 511

/* community | collection | NUL: the prefix shared by "current" and "area" keys. */
#define PREFIX_MAX  (SP_PUBKEY_BYTES + SP_COLLECTION_MAX + 1)
/* prefix | key */
#define CKEY_MAX    (PREFIX_MAX + SP_KEY_MAX)
/* prefix | label u8 | timestamp u64 | id */
#define AKEY_TAIL   (1 + 8 + SP_ID_BYTES)
#define AKEY_MAX    (PREFIX_MAX + AKEY_TAIL)
/* "current" value: seq u64 | timestamp u64 | id | label u8 */
#define VERSION_LEN (8 + 8 + SP_ID_BYTES + 1)
/* "ids" value: seq u64 | timestamp u64 */
#define IDVAL_LEN   16
/* "undo" key: import id u64 | new seq u64; value: previous version | key */
#define UNDO_KEY_LEN 16
#define UNDO_VAL_MAX (VERSION_LEN + SP_KEY_MAX)
/* "journal" value: state u8 | community | collection */
#define JOURNAL_VAL_MAX (1 + SP_PUBKEY_BYTES + SP_COLLECTION_MAX)

_Static_assert(CKEY_MAX <= KEY_LIMIT, "current key exceeds LMDB's key limit");
_Static_assert(AKEY_MAX <= KEY_LIMIT, "area key exceeds LMDB's key limit");

enum db {
	DB_META,
	DB_RECORDS,
	DB_IDS,
	DB_CURRENT,
	DB_AREA,
	DB_COMMUNITIES,
	DB_ALIASES,
	DB_JOURNAL,
	DB_UNDO,
	DB_PEERS,
	DB_COUNT
};

static const char *const db_names[DB_COUNT] = {
	[DB_META] = "meta",
	[DB_RECORDS] = "records",
	[DB_IDS] = "ids",
	[DB_CURRENT] = "current",
	[DB_AREA] = "area",
	[DB_COMMUNITIES] = "communities",
	[DB_ALIASES] = "aliases",
	[DB_JOURNAL] = "journal",
	[DB_UNDO] = "undo",
	[DB_PEERS] = "peers",
};

enum journal_state {
	JOURNAL_RUNNING = 1,
	JOURNAL_COMMITTED = 2,
};

struct sp_store {
	MDB_env *env;          /* NULL only after sp_store_scrub failed to reopen */
	MDB_dbi dbi[DB_COUNT];
	/*
	 * Taken shared by every transaction for its whole life and
	 * exclusively by the scrub, which replaces the environment.
	 */
	pthread_rwlock_t lock;
	size_t map_size;
	char *dir;
	char *data_path;       /* dir/data.mdb */
	char *tmp_path;        /* dir/data.mdb.scrub */
};

/* A journal entry as decoded. */
typedef struct journal {
	enum journal_state state;
	uint8_t community[SP_PUBKEY_BYTES];
	char collection[SP_COLLECTION_MAX];
	size_t collection_len;
} journal;

struct sp_txn {
	sp_store *s;
	MDB_txn *txn;
	bool write;
	/*
	 * The record sequence counter is read from meta on first use and
	 * written back once at commit, not once per record.
	 */
	uint64_t next_seq;     /* 0: not loaded yet */
	bool seq_dirty;
	bool scrub_marked;     /* META_SCRUB already set in this transaction */
	/* The running import last applied under, checked once per transaction. */
	bool imp_loaded;
	uint64_t imp_id;
	journal imp;
};

/* The current version of a key, as kept in "current" (and undo entries). */
typedef struct version {
	uint64_t seq;          /* 0 in an undo entry: there was no previous version */
	uint64_t ts;
	uint8_t id[SP_ID_BYTES];
	uint8_t label;
} version;

static int
mdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return SP_ENOTFOUND;
	case MDB_KEYEXIST:
		return SP_EEXIST;
	case MDB_MAP_FULL:
		return SP_EMAPFULL;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return SP_ECORRUPT;
	default:
		break;
	}
	if (rc == ENOSPC || rc == EFBIG || rc == EDQUOT)
		return SP_ENOSPC;
	/* LMDB returns errno values as they are, and its own codes below 0. */
	return rc > 0 ? -rc : SP_ESTORE;
}

/* Less room than this on the disk (or under the file size limit) is no room. */
#define NO_ROOM_BYTES (1u << 20)

/*
 * LMDB reports a short write as EIO, and a short write is what writing to
 * a full disk (or past a file size limit) does: tell the two apart, so the
 * user reads "disk full" rather than "Input/output error".
 */
static int
write_err(const sp_store *s, int r)
{
	struct statvfs vfs;
	struct rlimit rl;
	struct stat st;

	if (r != -EIO)
		return r;
	if (statvfs(s->dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < NO_ROOM_BYTES)
		return SP_ENOSPC;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    stat(s->data_path, &st) == 0 && (uint64_t)st.st_size + NO_ROOM_BYTES > rl.rlim_cur)
		return SP_ENOSPC;
	return r;
}

/* An entry another entry points at must exist: its absence is corruption. */
static int
must_exist(int r)
{
	return r == SP_ENOTFOUND ? SP_ECORRUPT : r;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static bool
collection_len_ok(size_t len)
{
	return len >= 1 && len <= SP_COLLECTION_MAX;
}

static bool
key_len_ok(size_t len)
{
	return len >= 1 && len <= SP_KEY_MAX;
}

/* Plain wrappers over one sub-database of a transaction. */

static int
db_get(sp_txn *t, enum db db, const void *k, size_t klen, MDB_val *v)
{
	MDB_val key = { klen, (void *)k };

	return mdb_err(mdb_get(t->txn, t->s->dbi[db], &key, v));
}

static int
db_put(sp_txn *t, enum db db, const void *k, size_t klen, const void *v,
    size_t vlen, unsigned flags)
{
	MDB_val key = { klen, (void *)k }, val = { vlen, (void *)v };

	return mdb_err(mdb_put(t->txn, t->s->dbi[db], &key, &val, flags));
}

static int
db_del(sp_txn *t, enum db db, const void *k, size_t klen)
{
	MDB_val key = { klen, (void *)k };

	return mdb_err(mdb_del(t->txn, t->s->dbi[db], &key, NULL));
}

static int
seq_get(sp_txn *t, enum db db, uint64_t seq, MDB_val *v)
{
	uint8_t k[8];

	put_be64(k, seq);
	return db_get(t, db, k, sizeof(k), v);
}

static int
seq_del(sp_txn *t, enum db db, uint64_t seq)
{
	uint8_t k[8];

	put_be64(k, seq);
	return db_del(t, db, k, sizeof(k));
}

/* Meta values work on a bare MDB_txn: sp_store_open needs them before any sp_txn. */

static int
meta_get_raw(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t *v)
{
	MDB_val key = { strlen(name), (void *)name }, val;
	int r;

	*v = 0;
	if (key.mv_size == 0 || key.mv_size > KEY_LIMIT)
		return SP_EINVAL;
	if ((r = mdb_err(mdb_get(txn, dbi, &key, &val))) != 0)
		return r;
	if (val.mv_size != 8)
		return SP_ECORRUPT;
	*v = get_be64(val.mv_data);
	return 0;
}

static int
meta_put_raw(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t v)
{
	uint8_t b[8];
	MDB_val key = { strlen(name), (void *)name }, val = { sizeof(b), b };

	if (key.mv_size == 0 || key.mv_size > KEY_LIMIT)
		return SP_EINVAL;
	put_be64(b, v);
	return mdb_err(mdb_put(txn, dbi, &key, &val, 0));
}

/* Reads a counter kept in meta, which starts at 1 (0 means "none" elsewhere). */
static int
counter_get(sp_txn *t, const char *name, uint64_t *v)
{
	int r = meta_get_raw(t->txn, t->s->dbi[DB_META], name, v);

	if (r == SP_ENOTFOUND) {
		*v = 1;
		return 0;
	}
	return r;
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

/* prefix | key: the "current" key. */
static size_t
current_key(uint8_t *out, const uint8_t community[SP_PUBKEY_BYTES],
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
    const version *v)
{
	memcpy(out, prefix, prefix_len);
	out[prefix_len] = v->label;
	put_be64(out + prefix_len + 1, v->ts);
	memcpy(out + prefix_len + 9, v->id, SP_ID_BYTES);
	return prefix_len + AKEY_TAIL;
}

static void
version_pack(uint8_t out[VERSION_LEN], const version *v)
{
	put_be64(out, v->seq);
	put_be64(out + 8, v->ts);
	memcpy(out + 16, v->id, SP_ID_BYTES);
	out[16 + SP_ID_BYTES] = v->label;
}

static int
version_unpack(const uint8_t *p, size_t len, version *v)
{
	if (len != VERSION_LEN || p[16 + SP_ID_BYTES] >= SP_LABEL_COUNT)
		return SP_ECORRUPT;
	v->seq = get_be64(p);
	v->ts = get_be64(p + 8);
	memcpy(v->id, p + 16, SP_ID_BYTES);
	v->label = p[16 + SP_ID_BYTES];
	return 0;
}

/*
 * Makes v the current version of ckey: "current", "area" and "ids". Its
 * encoding is already in "records". prefix_len is the length of ckey's
 * community/collection prefix.
 */
static int
version_link(sp_txn *t, const uint8_t *ckey, size_t ckey_len,
    size_t prefix_len, const version *v)
{
	uint8_t val[VERSION_LEN], akey[AKEY_MAX], idval[IDVAL_LEN], seq[8];
	size_t alen;
	int r;

	version_pack(val, v);
	if ((r = db_put(t, DB_CURRENT, ckey, ckey_len, val, sizeof(val), 0)) != 0)
		return r;
	alen = area_key(akey, ckey, prefix_len, v);
	put_be64(seq, v->seq);
	if ((r = db_put(t, DB_AREA, akey, alen, seq, sizeof(seq), 0)) != 0)
		return r;
	put_be64(idval, v->seq);
	put_be64(idval + 8, v->ts);
	r = db_put(t, DB_IDS, v->id, SP_ID_BYTES, idval, sizeof(idval),
	    MDB_NOOVERWRITE);
	/* Only current versions are in "ids", and one id is one key. */
	return r == SP_EEXIST ? SP_ECORRUPT : r;
}

/* Removes v from "area" and "ids"; the caller rewrites or deletes "current". */
static int
version_unlink(sp_txn *t, const uint8_t *prefix, size_t prefix_len,
    const version *v)
{
	uint8_t akey[AKEY_MAX];
	size_t alen;
	int r;

	alen = area_key(akey, prefix, prefix_len, v);
	if ((r = must_exist(db_del(t, DB_AREA, akey, alen))) != 0)
		return r;
	return must_exist(db_del(t, DB_IDS, v->id, SP_ID_BYTES));
}

/* The stored record with sequence seq, described by id and ts. */
static int
stored_fill(sp_txn *t, uint64_t seq, uint64_t ts, const uint8_t *id,
    sp_stored *out)
{
	MDB_val v;
	int r;

	if ((r = must_exist(seq_get(t, DB_RECORDS, seq, &v))) != 0)
		return r;
	out->data = v.mv_data;
	out->len = v.mv_size;
	memcpy(out->id, id, SP_ID_BYTES);
	out->timestamp = ts;
	return 0;
}

static int
journal_decode(const MDB_val *v, journal *j)
{
	const uint8_t *p = v->mv_data;

	if (v->mv_size < 1 + SP_PUBKEY_BYTES + 1 || v->mv_size > JOURNAL_VAL_MAX)
		return SP_ECORRUPT;
	if (p[0] != JOURNAL_RUNNING && p[0] != JOURNAL_COMMITTED)
		return SP_ECORRUPT;
	j->state = p[0];
	memcpy(j->community, p + 1, SP_PUBKEY_BYTES);
	j->collection_len = v->mv_size - 1 - SP_PUBKEY_BYTES;
	memcpy(j->collection, p + 1 + SP_PUBKEY_BYTES, j->collection_len);
	return 0;
}

static int
journal_get(sp_txn *t, uint64_t import_id, journal *j)
{
	MDB_val v;
	int r;

	if ((r = seq_get(t, DB_JOURNAL, import_id, &v)) != 0)
		return r;
	return journal_decode(&v, j);
}

static int
journal_put(sp_txn *t, uint64_t import_id, const journal *j)
{
	uint8_t k[8], v[JOURNAL_VAL_MAX];

	put_be64(k, import_id);
	v[0] = (uint8_t)j->state;
	memcpy(v + 1, j->community, SP_PUBKEY_BYTES);
	memcpy(v + 1 + SP_PUBKEY_BYTES, j->collection, j->collection_len);
	return db_put(t, DB_JOURNAL, k, sizeof(k), v,
	    1 + SP_PUBKEY_BYTES + j->collection_len, 0);
}

/* Environment and transactions. */

/*
 * Checks the schema (read-only, so that a newer store is left untouched),
 * then creates the sub-databases of a fresh store and opens them.
 */
static int
dbs_open(sp_store *s, MDB_env *env)
{
	MDB_txn *txn = NULL;
	MDB_dbi meta;
	uint64_t schema;
	bool fresh = false;
	int i, r;

	if ((r = mdb_err(mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))) != 0)
		return r;
	r = mdb_err(mdb_dbi_open(txn, db_names[DB_META], 0, &meta));
	if (r == SP_ENOTFOUND) {
		fresh = true;
	} else if (r == 0) {
		/* A store always has its schema: it is written at creation. */
		r = must_exist(meta_get_raw(txn, meta, META_SCHEMA, &schema));
		if (r == 0 && schema > SP_STORE_SCHEMA)
			r = SP_ESCHEMA;
	}
	mdb_txn_abort(txn);
	txn = NULL;
	if (r != 0 && !fresh)
		goto out;

	if ((r = mdb_err(mdb_txn_begin(env, NULL, 0, &txn))) != 0)
		goto out;
	for (i = 0; i < DB_COUNT; i++) {
		r = mdb_err(mdb_dbi_open(txn, db_names[i], MDB_CREATE, &s->dbi[i]));
		if (r != 0)
			goto out;
	}
	if (fresh && (r = meta_put_raw(txn, s->dbi[DB_META], META_SCHEMA,
	    SP_STORE_SCHEMA)) != 0)
		goto out;
	r = mdb_err(mdb_txn_commit(txn));
	txn = NULL;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	return r;
}

/* Opens s->dir as s->env; on failure s->env stays NULL. */
static int
env_open(sp_store *s)
{
	MDB_env *env = NULL;
	int dead, r;

	if ((r = mdb_err(mdb_env_create(&env))) != 0)
		return r;
	if ((r = mdb_err(mdb_env_set_mapsize(env, s->map_size))) != 0 ||
	    (r = mdb_err(mdb_env_set_maxdbs(env, DB_COUNT))) != 0)
		goto out;
	/*
	 * MDB_NOTLS: read transactions are not tied to a thread, so thread
	 * pool workers may use them. No MDB_NOSYNC, MDB_NOMETASYNC or
	 * MDB_WRITEMAP: every commit is durable and a crash cannot corrupt.
	 */
	if ((r = mdb_err(mdb_env_open(env, s->dir, MDB_NOTLS, 0600))) != 0)
		goto out;
	/* Reader slots of a crashed process would pin old pages forever. */
	if ((r = mdb_err(mdb_reader_check(env, &dead))) != 0)
		goto out;
	if ((r = dbs_open(s, env)) != 0)
		goto out;
	s->env = env;
	env = NULL;
out:
	if (env != NULL)
		mdb_env_close(env);
	return r;
}

/* Begins a transaction; the caller holds s->lock shared. */
static int
txn_begin_locked(sp_store *s, bool write, sp_txn **out)
{
	sp_txn *t;
	int r;

	if (s->env == NULL)
		return SP_ESTORE;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SP_ENOMEM;
	t->s = s;
	t->write = write;
	r = mdb_err(mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn));
	if (r != 0) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

int
sp_txn_begin(sp_store *s, bool write, sp_txn **out)
{
	int r;

	*out = NULL;
	if ((r = pthread_rwlock_rdlock(&s->lock)) != 0)
		return -r;
	if ((r = txn_begin_locked(s, write, out)) != 0)
		pthread_rwlock_unlock(&s->lock);
	return r;
}

static void
txn_end(sp_txn *t)
{
	pthread_rwlock_unlock(&t->s->lock);
	free(t);
}

int
sp_txn_commit(sp_txn *t)
{
	int r = 0;

	if (t->seq_dirty)
		r = meta_put_raw(t->txn, t->s->dbi[DB_META], META_NEXT_SEQ,
		    t->next_seq);
	if (r == 0)
		r = write_err(t->s, mdb_err(mdb_txn_commit(t->txn)));
	else
		mdb_txn_abort(t->txn);
	txn_end(t);
	return r;
}

void
sp_txn_abort(sp_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	txn_end(t);
}

int
sp_store_meta_get(sp_txn *t, const char *name, uint64_t *v)
{
	return meta_get_raw(t->txn, t->s->dbi[DB_META], name, v);
}

int
sp_store_meta_put(sp_txn *t, const char *name, uint64_t v)
{
	if (!t->write)
		return SP_EINVAL;
	return meta_put_raw(t->txn, t->s->dbi[DB_META], name, v);
}

/* Walks. */

/* Called per entry of a walk; a non-zero return stops it. */
typedef int (*walk_fn)(sp_txn *t, const MDB_val *k, const MDB_val *v,
    void *arg);

/*
 * Calls fn for each entry of db from start (inclusive, or exclusive with
 * skip_start) while the key begins with the first prefix_len bytes of
 * start. An empty start walks the whole sub-database.
 */
static int
walk(sp_txn *t, enum db db, const uint8_t *start, size_t start_len,
    size_t prefix_len, bool skip_start, walk_fn fn, void *arg)
{
	MDB_cursor *c;
	MDB_val k = { start_len, (void *)start }, v;
	MDB_cursor_op op = start_len != 0 ? MDB_SET_RANGE : MDB_FIRST;
	int r;

	if ((r = mdb_err(mdb_cursor_open(t->txn, t->s->dbi[db], &c))) != 0)
		return r;
	for (;; op = MDB_NEXT) {
		if ((r = mdb_err(mdb_cursor_get(c, &k, &v, op))) != 0) {
			if (r == SP_ENOTFOUND)
				r = 0;
			break;
		}
		if (prefix_len != 0 && (k.mv_size < prefix_len ||
		    memcmp(k.mv_data, start, prefix_len) != 0))
			break;
		if (skip_start && k.mv_size == start_len &&
		    memcmp(k.mv_data, start, start_len) == 0)
			continue;
		if ((r = fn(t, &k, &v, arg)) != 0)
			break;
	}
	mdb_cursor_close(c);
	return r;
}

/* Communities. */

static int
community_fill(const uint8_t *id, const MDB_val *alias, sp_community_info *out)
{
	if (alias->mv_size == 0 || alias->mv_size > SP_COLLECTION_MAX)
		return SP_ECORRUPT;
	memcpy(out->id, id, SP_PUBKEY_BYTES);
	memcpy(out->alias, alias->mv_data, alias->mv_size);
	out->alias[alias->mv_size] = '\0';
	return 0;
}

int
sp_store_community_add(sp_txn *t, const sp_community_info *c)
{
	size_t alen = strnlen(c->alias, sizeof(c->alias));
	MDB_val v;
	int r;

	if (!t->write)
		return SP_EINVAL;
	if ((r = sp_alias_check(c->alias, alen)) != 0)
		return r;
	/* Both checks come first so that a refusal writes nothing. */
	r = db_get(t, DB_COMMUNITIES, c->id, SP_PUBKEY_BYTES, &v);
	if (r == 0)
		return SP_EEXIST;
	if (r != SP_ENOTFOUND)
		return r;
	r = db_get(t, DB_ALIASES, c->alias, alen, &v);
	if (r == 0)
		return SP_EEXIST;
	if (r != SP_ENOTFOUND)
		return r;
	if ((r = db_put(t, DB_COMMUNITIES, c->id, SP_PUBKEY_BYTES, c->alias,
	    alen, 0)) != 0)
		return r;
	return db_put(t, DB_ALIASES, c->alias, alen, c->id, SP_PUBKEY_BYTES, 0);
}

int
sp_store_community_get(sp_txn *t, const uint8_t id[SP_PUBKEY_BYTES],
    sp_community_info *out)
{
	MDB_val v;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = db_get(t, DB_COMMUNITIES, id, SP_PUBKEY_BYTES, &v)) != 0)
		return r;
	return community_fill(id, &v, out);
}

int
sp_store_community_find(sp_txn *t, const char *name, sp_community_info *out)
{
	uint8_t id[SP_PUBKEY_BYTES];
	size_t len = strlen(name);
	MDB_val k = { len, (void *)name }, v;
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
	if ((r = db_get(t, DB_ALIASES, name, len, &v)) != 0)
		return r;
	if (v.mv_size != SP_PUBKEY_BYTES)
		return SP_ECORRUPT;
	return community_fill(v.mv_data, &k, out);
}

struct community_walk {
	int (*cb)(void *arg, const sp_community_info *c);
	void *arg;
};

static int
community_step(sp_txn *t, const MDB_val *k, const MDB_val *v, void *arg)
{
	struct community_walk *w = arg;
	sp_community_info c;
	int r;

	(void)t;
	memset(&c, 0, sizeof(c));
	if (v->mv_size != SP_PUBKEY_BYTES)
		return SP_ECORRUPT;
	if ((r = community_fill(v->mv_data, k, &c)) != 0)
		return r;
	return w->cb(w->arg, &c);
}

int
sp_store_community_each(sp_txn *t,
    int (*cb)(void *arg, const sp_community_info *c), void *arg)
{
	struct community_walk w = { cb, arg };

	return walk(t, DB_ALIASES, NULL, 0, 0, false, community_step, &w);
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
	return db_put(t, DB_PEERS, name, name_len, data, len, 0);
}

int
sp_store_peer_get(sp_txn *t, const char *name, size_t name_len,
    const uint8_t **data, size_t *len)
{
	MDB_val v;
	int r;

	*data = NULL;
	*len = 0;
	if ((r = peer_name_check(name_len)) != 0)
		return r;
	if ((r = db_get(t, DB_PEERS, name, name_len, &v)) != 0)
		return r;
	*data = v.mv_data;
	*len = v.mv_size;
	return 0;
}

int
sp_store_peer_del(sp_txn *t, const char *name, size_t name_len)
{
	int r;

	if ((r = peer_name_check(name_len)) != 0)
		return r;
	return db_del(t, DB_PEERS, name, name_len);
}

struct peer_walk {
	int (*cb)(void *arg, const char *name, size_t name_len, const uint8_t *data, size_t len);
	void *arg;
};

static int
peer_step(sp_txn *t, const MDB_val *k, const MDB_val *v, void *arg)
{
	struct peer_walk *w = arg;

	(void)t;
	return w->cb(w->arg, k->mv_data, k->mv_size, v->mv_data, v->mv_size);
}

int
sp_store_peer_each(sp_txn *t, int (*cb)(void *arg, const char *name, size_t name_len,
    const uint8_t *data, size_t len), void *arg)
{
	struct peer_walk w = { cb, arg };

	return walk(t, DB_PEERS, NULL, 0, 0, false, peer_step, &w);
}

/* Records. */

/* Hands out the next record sequence number of this transaction. */
static int
seq_next(sp_txn *t, uint64_t *seq)
{
	int r;

	if (t->next_seq == 0 &&
	    (r = counter_get(t, META_NEXT_SEQ, &t->next_seq)) != 0)
		return r;
	*seq = t->next_seq++;
	t->seq_dirty = true;
	return 0;
}

/*
 * A record applied under an import must belong to the import's running
 * journal entry, and must not be an erasure: rolling the import back would
 * bring the erased content back, and keeping it for that would defeat the
 * erasure.
 */
static int
import_check(sp_txn *t, const sp_import *imp, const sp_record *rec)
{
	int r;

	if (rec->flags & SP_FLAG_ERASED)
		return SP_EINVAL;
	if (!t->imp_loaded || t->imp_id != imp->id) {
		t->imp_loaded = false;
		if ((r = journal_get(t, imp->id, &t->imp)) != 0)
			return r == SP_ENOTFOUND ? SP_EINVAL : r;
		t->imp_loaded = true;
		t->imp_id = imp->id;
	}
	if (t->imp.state != JOURNAL_RUNNING ||
	    memcmp(t->imp.community, rec->community, SP_PUBKEY_BYTES) != 0 ||
	    t->imp.collection_len != rec->collection_len ||
	    memcmp(t->imp.collection, rec->collection, rec->collection_len) != 0)
		return SP_EINVAL;
	return 0;
}

/* Records the undo entry of an import apply: (import, new seq) -> prev | key. */
static int
undo_put(sp_txn *t, uint64_t import_id, uint64_t seq, const version *prev,
    const char *key, size_t key_len)
{
	uint8_t k[UNDO_KEY_LEN], v[UNDO_VAL_MAX];
	version none;
	int r;

	if (prev == NULL) {
		memset(&none, 0, sizeof(none));
		prev = &none;
	}
	put_be64(k, import_id);
	put_be64(k + 8, seq);
	version_pack(v, prev);
	memcpy(v + VERSION_LEN, key, key_len);
	/*
	 * Sequences only grow, so an import's undo entries are appended,
	 * unless a later import running at the same time already has
	 * entries after them: LMDB refuses that append (MDB_KEYEXIST)
	 * without writing, and the entry goes in by search instead.
	 */
	r = db_put(t, DB_UNDO, k, sizeof(k), v, VERSION_LEN + key_len,
	    MDB_APPEND);
	if (r == SP_EEXIST)
		r = db_put(t, DB_UNDO, k, sizeof(k), v, VERSION_LEN + key_len,
		    MDB_NOOVERWRITE);
	/* A new seq cannot have an entry yet. */
	return r == SP_EEXIST ? SP_ECORRUPT : r;
}

int
sp_store_apply(sp_txn *t, const uint8_t *data, size_t len,
    const sp_record *rec, const uint8_t id[SP_ID_BYTES],
    const sp_import *imp, enum sp_apply_result *result)
{
	uint8_t ckey[CKEY_MAX], seq[8];
	size_t ckey_len, prefix_len;
	version prev, cur;
	bool replacing = false;
	MDB_val v;
	int r;

	*result = 0;
	if (!t->write || len == 0 || len > SP_RECORD_MAX ||
	    !collection_len_ok(rec->collection_len) ||
	    !key_len_ok(rec->key_len) || (unsigned)rec->label >= SP_LABEL_COUNT)
		return SP_EINVAL;
	ckey_len = current_key(ckey, rec->community, rec->collection,
	    rec->collection_len, rec->key, rec->key_len, &prefix_len);

	r = db_get(t, DB_CURRENT, ckey, ckey_len, &v);
	if (r == 0) {
		if ((r = version_unpack(v.mv_data, v.mv_size, &prev)) != 0)
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
	if (imp != NULL && (r = import_check(t, imp, rec)) != 0)
		return r;

	if ((r = seq_next(t, &cur.seq)) != 0)
		return r;
	cur.ts = rec->timestamp;
	memcpy(cur.id, id, SP_ID_BYTES);
	cur.label = (uint8_t)rec->label;
	put_be64(seq, cur.seq);
	/* The sequence only grows: appending skips the search and fills pages. */
	r = db_put(t, DB_RECORDS, seq, sizeof(seq), data, len, MDB_APPEND);
	if (r != 0)
		return r == SP_EEXIST ? SP_ECORRUPT : r;

	if (replacing) {
		if ((r = version_unlink(t, ckey, prefix_len, &prev)) != 0)
			return r;
		/* Under an import the old encoding stays until commit, for rollback. */
		if (imp == NULL &&
		    (r = must_exist(seq_del(t, DB_RECORDS, prev.seq))) != 0)
			return r;
	}
	if ((r = version_link(t, ckey, ckey_len, prefix_len, &cur)) != 0)
		return r;
	if (imp != NULL && (r = undo_put(t, imp->id, cur.seq,
	    replacing ? &prev : NULL, rec->key, rec->key_len)) != 0)
		return r;
	if ((rec->flags & SP_FLAG_ERASED) && !t->scrub_marked) {
		if ((r = meta_put_raw(t->txn, t->s->dbi[DB_META], META_SCRUB, 1)) != 0)
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
	uint8_t ckey[CKEY_MAX];
	size_t ckey_len, prefix_len;
	version cur;
	MDB_val v;
	int r;

	memset(out, 0, sizeof(*out));
	if (!collection_len_ok(collection_len) || !key_len_ok(key_len))
		return SP_EINVAL;
	ckey_len = current_key(ckey, community, collection, collection_len,
	    key, key_len, &prefix_len);
	if ((r = db_get(t, DB_CURRENT, ckey, ckey_len, &v)) != 0)
		return r;
	if ((r = version_unpack(v.mv_data, v.mv_size, &cur)) != 0)
		return r;
	return stored_fill(t, cur.seq, cur.ts, cur.id, out);
}

int
sp_store_get_by_id(sp_txn *t, const uint8_t id[SP_ID_BYTES], sp_stored *out)
{
	const uint8_t *p;
	MDB_val v;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = db_get(t, DB_IDS, id, SP_ID_BYTES, &v)) != 0)
		return r;
	if (v.mv_size != IDVAL_LEN)
		return SP_ECORRUPT;
	p = v.mv_data;
	return stored_fill(t, get_be64(p), get_be64(p + 8), id, out);
}

struct record_walk {
	int (*cb)(void *arg, const sp_stored *r);
	void *arg;
};

static int
record_step(sp_txn *t, const MDB_val *k, const MDB_val *v, void *arg)
{
	struct record_walk *w = arg;
	sp_stored st;
	version cur;
	int r;

	(void)k;
	if ((r = version_unpack(v->mv_data, v->mv_size, &cur)) != 0)
		return r;
	if ((r = stored_fill(t, cur.seq, cur.ts, cur.id, &st)) != 0)
		return r;
	return w->cb(w->arg, &st);
}

int
sp_store_each(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len,
    const char *after, size_t after_len,
    int (*cb)(void *arg, const sp_stored *r), void *arg)
{
	struct record_walk w = { cb, arg };
	uint8_t start[CKEY_MAX];
	size_t prefix_len, start_len;

	if (collection == NULL) {
		/* Without a collection, "after" would need one to be a position. */
		if (after != NULL)
			return SP_EINVAL;
		memcpy(start, community, SP_PUBKEY_BYTES);
		return walk(t, DB_CURRENT, start, SP_PUBKEY_BYTES,
		    SP_PUBKEY_BYTES, false, record_step, &w);
	}
	if (!collection_len_ok(collection_len) ||
	    (after != NULL && !key_len_ok(after_len)))
		return SP_EINVAL;
	prefix_len = coll_prefix(start, community, collection, collection_len);
	start_len = prefix_len;
	if (after != NULL) {
		memcpy(start + prefix_len, after, after_len);
		start_len += after_len;
	}
	return walk(t, DB_CURRENT, start, start_len, prefix_len, after != NULL,
	    record_step, &w);
}

struct area_walk {
	int (*cb)(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES]);
	void *arg;
	size_t prefix_len;     /* community | collection | NUL | label */
};

static int
area_step(sp_txn *t, const MDB_val *k, const MDB_val *v, void *arg)
{
	struct area_walk *w = arg;
	const uint8_t *p = k->mv_data;

	(void)t;
	(void)v;
	if (k->mv_size != w->prefix_len + 8 + SP_ID_BYTES)
		return SP_ECORRUPT;
	return w->cb(w->arg, get_be64(p + w->prefix_len), p + w->prefix_len + 8);
}

int
sp_store_area_each(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, enum sp_label label,
    uint64_t ts, const uint8_t *id,
    int (*cb)(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES]), void *arg)
{
	struct area_walk w = { cb, arg, 0 };
	uint8_t start[AKEY_MAX];
	version from;
	size_t prefix_len, start_len;

	if (!collection_len_ok(collection_len) || (unsigned)label >= SP_LABEL_COUNT)
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
	return walk(t, DB_AREA, start, start_len, w.prefix_len, false,
	    area_step, &w);
}

int
sp_store_areas_each(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    int (*cb)(void *arg, const char *collection, size_t collection_len, enum sp_label label),
    void *arg)
{
	uint8_t seek[PREFIX_MAX + 1];
	MDB_cursor *c;
	MDB_val k, v;
	const uint8_t *key, *nul;
	size_t clen;
	int r;

	if ((r = mdb_err(mdb_cursor_open(t->txn, t->s->dbi[DB_AREA], &c))) != 0)
		return r;
	memcpy(seek, community, SP_PUBKEY_BYTES);
	k.mv_data = seek;
	k.mv_size = SP_PUBKEY_BYTES;
	/* One seek per (collection, label): the cost grows with the areas, not the items. */
	while ((r = mdb_err(mdb_cursor_get(c, &k, &v, MDB_SET_RANGE))) == 0) {
		key = k.mv_data;
		if (k.mv_size < SP_PUBKEY_BYTES + AKEY_TAIL + 1 ||
		    memcmp(key, community, SP_PUBKEY_BYTES) != 0)
			break;
		nul = memchr(key + SP_PUBKEY_BYTES, 0, k.mv_size - SP_PUBKEY_BYTES);
		clen = nul != NULL ? (size_t)(nul - key) - SP_PUBKEY_BYTES : 0;
		if (nul == NULL || !collection_len_ok(clen) ||
		    k.mv_size != SP_PUBKEY_BYTES + clen + 1 + AKEY_TAIL ||
		    nul[1] >= SP_LABEL_COUNT) {
			r = SP_ECORRUPT;
			break;
		}
		if ((r = cb(arg, (const char *)key + SP_PUBKEY_BYTES, clen, (enum sp_label)nul[1])) != 0)
			break;
		memcpy(seek, key, SP_PUBKEY_BYTES + clen + 1);
		seek[SP_PUBKEY_BYTES + clen + 1] = (uint8_t)(nul[1] + 1);
		k.mv_data = seek;
		k.mv_size = SP_PUBKEY_BYTES + clen + 2;
	}
	if (r == SP_ENOTFOUND)
		r = 0;
	mdb_cursor_close(c);
	return r;
}

int
sp_store_area_insert_raw(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, enum sp_label label,
    uint64_t ts, const uint8_t id[SP_ID_BYTES])
{
	uint8_t prefix[PREFIX_MAX], akey[AKEY_MAX], seq[8];
	version v;
	size_t prefix_len, alen;

	if (!t->write || !collection_len_ok(collection_len) ||
	    (unsigned)label >= SP_LABEL_COUNT)
		return SP_EINVAL;
	/* Sequence 0 names no record: nothing may follow this item to one. */
	v.seq = 0;
	v.ts = ts;
	memcpy(v.id, id, SP_ID_BYTES);
	v.label = (uint8_t)label;
	prefix_len = coll_prefix(prefix, community, collection, collection_len);
	alen = area_key(akey, prefix, prefix_len, &v);
	put_be64(seq, v.seq);
	return db_put(t, DB_AREA, akey, alen, seq, sizeof(seq), MDB_NOOVERWRITE);
}

/* Imports. */

int
sp_store_import_begin(sp_store *s, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, sp_import *out)
{
	sp_txn *t;
	journal j;
	uint64_t id;
	int r;

	out->id = 0;
	if (!collection_len_ok(collection_len))
		return SP_EINVAL;
	if ((r = sp_txn_begin(s, true, &t)) != 0)
		return r;
	if ((r = counter_get(t, META_NEXT_IMPORT, &id)) != 0)
		goto out;
	j.state = JOURNAL_RUNNING;
	memcpy(j.community, community, SP_PUBKEY_BYTES);
	memcpy(j.collection, collection, collection_len);
	j.collection_len = collection_len;
	if ((r = journal_put(t, id, &j)) != 0 ||
	    (r = meta_put_raw(t->txn, s->dbi[DB_META], META_NEXT_IMPORT, id + 1)) != 0)
		goto out;
	r = sp_txn_commit(t);
	t = NULL;
	if (r == 0)
		out->id = id;
out:
	sp_txn_abort(t);
	return r;
}

/* An undo entry, copied out of the map before the entry is deleted. */
typedef struct undo {
	uint64_t seq;          /* of the version the import applied */
	version prev;          /* prev.seq == 0: the key was new */
	char key[SP_KEY_MAX];
	size_t key_len;
} undo;

/*
 * Takes the first (or, with last, the final) undo entry of import_id out
 * of the undo table into *u. SP_ENOTFOUND when none is left.
 */
static int
undo_take(MDB_cursor *c, uint64_t import_id, bool last, undo *u)
{
	uint8_t start[UNDO_KEY_LEN];
	MDB_val k = { sizeof(start), start }, v;
	int r;

	put_be64(start, import_id);
	put_be64(start + 8, last ? UINT64_MAX : 0);
	r = mdb_err(mdb_cursor_get(c, &k, &v, MDB_SET_RANGE));
	/* Sequences never reach UINT64_MAX: this lands past the import's entries. */
	if (last && r == 0)
		r = mdb_err(mdb_cursor_get(c, &k, &v, MDB_PREV));
	else if (last && r == SP_ENOTFOUND)
		r = mdb_err(mdb_cursor_get(c, &k, &v, MDB_LAST));
	if (r != 0)
		return r;
	if (k.mv_size != UNDO_KEY_LEN || get_be64(k.mv_data) != import_id)
		return SP_ENOTFOUND;
	if (v.mv_size <= VERSION_LEN || v.mv_size > UNDO_VAL_MAX)
		return SP_ECORRUPT;
	if ((r = version_unpack(v.mv_data, VERSION_LEN, &u->prev)) != 0)
		return r;
	u->seq = get_be64((const uint8_t *)k.mv_data + 8);
	u->key_len = v.mv_size - VERSION_LEN;
	memcpy(u->key, (const uint8_t *)v.mv_data + VERSION_LEN, u->key_len);
	return mdb_err(mdb_cursor_del(c, 0));
}

/* Commit: the version the import superseded is no longer needed. */
static int
undo_commit_step(sp_txn *t, const journal *j, const undo *u)
{
	int r;

	(void)j;
	if (u->prev.seq == 0)
		return 0;
	/*
	 * Only when writers broke the one-import-per-key rule can another
	 * import's rollback have deleted it already; that is no reason to
	 * leave this import unfinished.
	 */
	r = seq_del(t, DB_RECORDS, u->prev.seq);
	return r == SP_ENOTFOUND ? 0 : r;
}

/* Rollback: remove what the import applied and bring back what it replaced. */
static int
undo_rollback_step(sp_txn *t, const journal *j, const undo *u)
{
	uint8_t ckey[CKEY_MAX];
	size_t ckey_len, prefix_len;
	version cur;
	MDB_val v;
	int r;

	ckey_len = current_key(ckey, j->community, j->collection,
	    j->collection_len, u->key, u->key_len, &prefix_len);
	r = db_get(t, DB_CURRENT, ckey, ckey_len, &v);
	if (r == 0 && (r = version_unpack(v.mv_data, v.mv_size, &cur)) != 0)
		return r;
	if (r != 0 && r != SP_ENOTFOUND)
		return r;
	if (r == SP_ENOTFOUND || cur.seq != u->seq) {
		/*
		 * A writer outside the import superseded its version (which
		 * the caller should have prevented): that writer's version
		 * stays, and neither of the import's is current any more.
		 */
		r = seq_del(t, DB_RECORDS, u->seq);
		if (r == 0 && u->prev.seq != 0)
			r = seq_del(t, DB_RECORDS, u->prev.seq);
		return r == SP_ENOTFOUND ? 0 : r;
	}
	if ((r = version_unlink(t, ckey, prefix_len, &cur)) != 0 ||
	    (r = must_exist(seq_del(t, DB_RECORDS, cur.seq))) != 0)
		return r;
	if (u->prev.seq == 0)
		return must_exist(db_del(t, DB_CURRENT, ckey, ckey_len));
	return version_link(t, ckey, ckey_len, prefix_len, &u->prev);
}

/*
 * Works through import_id's undo entries in batches of IMPORT_BATCH, each
 * its own durable transaction, then deletes its journal entry. Every batch
 * is atomic, so a crash at any point leaves a state this resumes from.
 * Rollback goes newest first so that a key the import wrote twice gets its
 * versions back in order.
 */
static int
import_drain(sp_store *s, uint64_t import_id, bool rollback)
{
	sp_txn *t = NULL;
	MDB_cursor *c = NULL;
	journal j;
	undo u;
	bool done = false;
	int n, r = 0;

	while (!done) {
		if ((r = sp_txn_begin(s, true, &t)) != 0)
			return r;
		if ((r = journal_get(t, import_id, &j)) != 0)
			goto out;
		r = mdb_err(mdb_cursor_open(t->txn, s->dbi[DB_UNDO], &c));
		if (r != 0)
			goto out;
		for (n = 0; n < IMPORT_BATCH; n++) {
			if ((r = undo_take(c, import_id, rollback, &u)) != 0)
				break;
			r = rollback ? undo_rollback_step(t, &j, &u) :
			    undo_commit_step(t, &j, &u);
			if (r != 0)
				goto out;
		}
		if (r == SP_ENOTFOUND) {
			done = true;
			if ((r = seq_del(t, DB_JOURNAL, import_id)) != 0)
				goto out;
		} else if (r != 0) {
			goto out;
		}
		mdb_cursor_close(c);
		c = NULL;
		r = sp_txn_commit(t);
		t = NULL;
		if (r != 0)
			return r;
	}
	return 0;
out:
	if (c != NULL)
		mdb_cursor_close(c);
	sp_txn_abort(t);
	return r;
}

int
sp_store_import_commit(sp_store *s, const sp_import *imp)
{
	sp_txn *t;
	journal j;
	int r;

	if ((r = sp_txn_begin(s, true, &t)) != 0)
		return r;
	if ((r = journal_get(t, imp->id, &j)) != 0)
		goto out;
	if (j.state == JOURNAL_RUNNING) {
		/* Durable before any cleanup: from here on recovery finishes the commit. */
		j.state = JOURNAL_COMMITTED;
		if ((r = journal_put(t, imp->id, &j)) != 0)
			goto out;
	}
	r = sp_txn_commit(t);
	t = NULL;
	if (r == 0)
		r = import_drain(s, imp->id, false);
out:
	sp_txn_abort(t);
	return r;
}

int
sp_store_import_rollback(sp_store *s, const sp_import *imp)
{
	sp_txn *t;
	journal j;
	int r;

	if ((r = sp_txn_begin(s, false, &t)) != 0)
		return r;
	r = journal_get(t, imp->id, &j);
	sp_txn_abort(t);
	if (r != 0)
		return r;
	/* A committed import is permanent: its superseded versions may be gone. */
	if (j.state == JOURNAL_COMMITTED)
		return SP_EINVAL;
	return import_drain(s, imp->id, true);
}

/* Finishes every import a crash interrupted: running ones are rolled back. */
static int
import_recover(sp_store *s)
{
	sp_txn *t;
	MDB_cursor *c;
	MDB_val k, v;
	journal j;
	uint64_t id = 0;
	int r;

	for (;;) {
		if ((r = sp_txn_begin(s, false, &t)) != 0)
			return r;
		r = mdb_err(mdb_cursor_open(t->txn, s->dbi[DB_JOURNAL], &c));
		if (r == 0) {
			r = mdb_err(mdb_cursor_get(c, &k, &v, MDB_FIRST));
			if (r == 0 && k.mv_size != 8)
				r = SP_ECORRUPT;
			if (r == 0 && (r = journal_decode(&v, &j)) == 0)
				id = get_be64(k.mv_data);
			mdb_cursor_close(c);
		}
		sp_txn_abort(t);
		if (r == SP_ENOTFOUND)
			return 0;
		if (r != 0)
			return r;
		/* Draining deletes the journal entry, so this loop advances. */
		if ((r = import_drain(s, id, j.state == JOURNAL_RUNNING)) != 0)
			return r;
	}
}

/* Scrub. */

/* Writes a compacting copy of s->env to s->tmp_path, durably. */
static int
scrub_copy(sp_store *s)
{
	int fd, r;

	fd = open(s->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/*
	 * The compacting copy writes only pages reachable from the current
	 * root, and of each page only its used parts (the gap where deleted
	 * nodes' bytes linger is not copied). Freed pages are left behind.
	 */
	r = mdb_err(mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT));
	if (r == 0 && fsync(fd) != 0)
		r = -errno;
	if (close(fd) != 0 && r == 0)
		r = -errno;
	return r;
}

/* Clears the scrub mark in the freshly reopened environment. */
static int
scrub_unmark(sp_store *s)
{
	MDB_txn *txn;
	MDB_val k = { strlen(META_SCRUB), META_SCRUB };
	int r;

	if ((r = mdb_err(mdb_txn_begin(s->env, NULL, 0, &txn))) != 0)
		return r;
	r = mdb_err(mdb_del(txn, s->dbi[DB_META], &k, NULL));
	if (r != 0 && r != SP_ENOTFOUND) {
		mdb_txn_abort(txn);
		return r;
	}
	return mdb_err(mdb_txn_commit(txn));
}

/* The scrub proper; the caller holds s->lock exclusively. */
static int
scrub_locked(sp_store *s)
{
	int r, r2;

	if (s->env == NULL)
		return SP_ESTORE;
	if ((r = scrub_copy(s)) == 0 && rename(s->tmp_path, s->data_path) != 0)
		r = -errno;
	if (r != 0) {
		unlink(s->tmp_path);
		return r;
	}
	/*
	 * The file is replaced; even if the directory cannot be synced the
	 * environment must move to the new file. An old file brought back
	 * by a crash still carries the scrub mark, so open scrubs again.
	 */
	r = sp_fsync_dir(s->dir);
	mdb_env_close(s->env);
	s->env = NULL;
	if ((r2 = env_open(s)) == 0)
		r2 = scrub_unmark(s);
	return r != 0 ? r : r2;
}

int
sp_store_scrub(sp_store *s)
{
	int r;

	/* Waits until every transaction has ended; none begins meanwhile. */
	if ((r = pthread_rwlock_wrlock(&s->lock)) != 0)
		return -r;
	r = scrub_locked(s);
	pthread_rwlock_unlock(&s->lock);
	return r;
}

/* Open, close, stats. */

void
sp_store_close(sp_store *s)
{
	if (s == NULL)
		return;
	if (s->env != NULL)
		mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->lock);
	free(s->dir);
	free(s->data_path);
	free(s->tmp_path);
	free(s);
}

static char *
path_join(const char *dir, const char *name)
{
	size_t dlen = strlen(dir), nlen = strlen(name);
	char *p;

	if ((p = malloc(dlen + 1 + nlen + 1)) == NULL)
		return NULL;
	memcpy(p, dir, dlen);
	p[dlen] = '/';
	memcpy(p + dlen + 1, name, nlen + 1);
	return p;
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
	r = sp_store_meta_get(t, META_SCRUB, &pending);
	sp_txn_abort(t);
	if (r == SP_ENOTFOUND || (r == 0 && pending == 0))
		return 0;
	if (r != 0)
		return r;
	return sp_store_scrub(s);
}

int
sp_store_open(const char *dir, const sp_store_options *opt, sp_store **out)
{
	sp_store *s;
	int r;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return SP_ENOMEM;
	if ((r = pthread_rwlock_init(&s->lock, NULL)) != 0) {
		free(s);
		return -r;
	}
	s->map_size = opt != NULL && opt->map_size != 0 ? opt->map_size :
	    MAP_SIZE_DEFAULT;
	s->dir = strdup(dir);
	s->data_path = path_join(dir, "data.mdb");
	s->tmp_path = path_join(dir, "data.mdb.scrub");
	if (s->dir == NULL || s->data_path == NULL || s->tmp_path == NULL) {
		r = SP_ENOMEM;
		goto out;
	}
	/* A copy left by a scrub that died before its rename is useless. */
	if (unlink(s->tmp_path) != 0 && errno != ENOENT) {
		r = -errno;
		goto out;
	}
	if ((r = env_open(s)) != 0 ||
	    (r = import_recover(s)) != 0 ||
	    (r = scrub_resume(s)) != 0)
		goto out;
	*out = s;
	s = NULL;
out:
	sp_store_close(s);
	return r;
}

int
sp_store_stats_get(sp_store *s, sp_store_stats *out)
{
	sp_txn *t;
	MDB_stat st;
	MDB_envinfo info;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sp_txn_begin(s, false, &t)) != 0)
		return r;
	if ((r = mdb_err(mdb_stat(t->txn, s->dbi[DB_CURRENT], &st))) != 0)
		goto out;
	out->records = st.ms_entries;
	if ((r = mdb_err(mdb_stat(t->txn, s->dbi[DB_COMMUNITIES], &st))) != 0)
		goto out;
	out->communities = st.ms_entries;
	if ((r = mdb_err(mdb_env_info(s->env, &info))) != 0 ||
	    (r = mdb_err(mdb_env_stat(s->env, &st))) != 0)
		goto out;
	out->file_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	out->map_bytes = info.me_mapsize;
out:
	sp_txn_abort(t);
	return r;
}

/*
 * store_int.h - what the store's files (store.c: records and indexes;
 * store_import.c: the import journal; store_schema.c: schema versions and
 * migrations) share, and the hook through which tests run a store with a
 * schema history of their own. Not a public API: the daemon uses store.h.
 * Layouts and the reasons for them are in docs/STORE.md.
 */
#ifndef SP_STORE_INT_H
#define SP_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kv.h"
#include "record.h"
#include "sp_err.h"

/* store.h's types; store.h is not included, so that it does not depend on this file. */
typedef struct sp_store sp_store;
typedef struct sp_txn sp_txn;
typedef struct sp_store_options sp_store_options;
typedef struct sp_import sp_import;

/*
 * The map is address space reserved up front, not disk: the file grows
 * only as pages are used. On 32-bit hosts address space is scarce.
 */
#if SIZE_MAX > UINT32_MAX
#define SP_STORE_MAP_SIZE_DEFAULT ((size_t)64 << 30)
#else
#define SP_STORE_MAP_SIZE_DEFAULT ((size_t)1 << 30)
#endif

/* The tables, in the order given to sp_kv_open. */
enum sp_store_table {
	SP_TABLE_META,
	SP_TABLE_RECORDS,
	SP_TABLE_IDS,
	SP_TABLE_CURRENT,
	SP_TABLE_AREA,
	SP_TABLE_COMMUNITIES,
	SP_TABLE_ALIASES,
	SP_TABLE_JOURNAL,
	SP_TABLE_UNDO,
	SP_TABLE_PEERS,
	SP_TABLE_COUNT
};

/* Names the store keeps in "meta" for itself (documented in docs/STORE.md). */
#define SP_META_SCHEMA      "schema"
#define SP_META_NEXT_SEQ    "next_seq"
#define SP_META_NEXT_IMPORT "next_import"
#define SP_META_SCRUB       "scrub_pending"

/* community | collection | NUL: the prefix shared by "current" and "area" keys. */
#define SP_STORE_PREFIX_MAX  (SP_PUBKEY_BYTES + SP_COLLECTION_MAX + 1)
/* prefix | key */
#define SP_STORE_CKEY_MAX    (SP_STORE_PREFIX_MAX + SP_KEY_MAX)
/* "current" value: seq u64 | timestamp u64 | id | label u8 */
#define SP_STORE_VERSION_LEN (8 + 8 + SP_ID_BYTES + 1)

enum sp_journal_state {
	SP_JOURNAL_RUNNING = 1,
	SP_JOURNAL_COMMITTED = 2,
};

/* A journal entry as decoded. */
typedef struct sp_journal {
	enum sp_journal_state state;
	uint8_t community[SP_PUBKEY_BYTES];
	char collection[SP_COLLECTION_MAX];
	size_t collection_len;
} sp_journal;

struct sp_store {
	sp_kv *kv;
};

struct sp_txn {
	sp_store *s;
	sp_kv_txn *kv;
	bool write;
	/*
	 * The record sequence counter is read from meta on first use and
	 * written back once at commit, not once per record.
	 */
	uint64_t next_seq;     /* 0: not loaded yet */
	bool seq_dirty;
	bool scrub_marked;     /* SP_META_SCRUB already set in this transaction */
	/* The running import last applied under, checked once per transaction. */
	bool imp_loaded;
	uint64_t imp_id;
	sp_journal imp;
};

/* The current version of a key, as kept in "current" (and undo entries). */
typedef struct sp_version {
	uint64_t seq;          /* 0 in an undo entry: there was no previous version */
	uint64_t ts;
	uint8_t id[SP_ID_BYTES];
	uint8_t label;
} sp_version;

/* An entry another entry points at must exist: its absence is corruption. */
static inline int
sp_store_must_exist(int r)
{
	return r == SP_ENOTFOUND ? SP_ECORRUPT : r;
}

static inline bool
sp_store_collection_len_ok(size_t len)
{
	return len >= 1 && len <= SP_COLLECTION_MAX;
}

/* store.c: the environment's configuration (map_size 0: the default). */
void sp_store_kv_config(sp_kv_config *cfg, size_t map_size, bool read_only);

/* store.c: meta values, on a bare kv transaction (open needs them before any sp_txn). */
int sp_store_meta_read(sp_kv_txn *t, const char *name, uint64_t *v);
int sp_store_meta_write(sp_kv_txn *t, const char *name, uint64_t v);
/* A counter kept in meta, which starts at 1 (0 means "none" elsewhere). */
int sp_store_counter_get(sp_txn *t, const char *name, uint64_t *v);

/* store.c: entries keyed by a u64 (records, journal). */
int sp_store_seq_get(sp_txn *t, enum sp_store_table table, uint64_t seq, sp_kv_val *v);
int sp_store_seq_del(sp_txn *t, enum sp_store_table table, uint64_t seq);

/* store.c: versions and the indexes that point at them. */
void sp_store_version_pack(uint8_t out[SP_STORE_VERSION_LEN], const sp_version *v);
/* SP_ECORRUPT unless p/len is a packed version. */
int sp_store_version_unpack(const uint8_t *p, size_t len, sp_version *v);
/*
 * The "current" key of (community, collection, key) into out
 * (SP_STORE_CKEY_MAX bytes); returns its length, and the length of its
 * community/collection prefix in *prefix_len.
 */
size_t sp_store_current_key(uint8_t *out, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, const char *key,
    size_t key_len, size_t *prefix_len);
/*
 * Makes v the current version of ckey: "current", "area" and "ids". Its
 * encoding is already in "records". prefix_len is the length of ckey's
 * community/collection prefix.
 */
int sp_store_version_link(sp_txn *t, const uint8_t *ckey, size_t ckey_len,
    size_t prefix_len, const sp_version *v);
/* Removes v from "area" and "ids"; the caller rewrites or deletes "current". */
int sp_store_version_unlink(sp_txn *t, const uint8_t *prefix, size_t prefix_len,
    const sp_version *v);

/*
 * store_import.c: the parts of an apply under an import. import_check:
 * SP_EINVAL unless rec may be applied under imp (its running journal
 * entry's community and collection, and not an erasure). undo_put records
 * the undo entry of the apply that gave key the version of sequence seq,
 * superseding prev (NULL: the key was new).
 */
int sp_store_import_check(sp_txn *t, const sp_import *imp, const sp_record *rec);
int sp_store_undo_put(sp_txn *t, uint64_t import_id, uint64_t seq,
    const sp_version *prev, const char *key, size_t key_len);
/*
 * store_import.c: finishes every import a crash interrupted (at open),
 * telling opt->recovered (opt may be NULL) of each.
 */
int sp_store_import_recover(sp_store *s, const sp_store_options *opt);

/*
 * store_schema.c. A migration turns a store of schema `from` into one of
 * schema from + 1. It runs inside the write transaction that also runs
 * every other step and records the new schema: a failure anywhere leaves
 * the store as it was.
 */
typedef struct sp_store_migration {
	uint64_t from;
	int (*run)(sp_txn *t);
} sp_store_migration;

/* A schema version and the migrations that lead to it, oldest first. */
typedef struct sp_store_schema {
	uint64_t version;
	const sp_store_migration *migrations;
	size_t migration_count;
} sp_store_schema;

/* The schema this simpul writes (SP_STORE_SCHEMA) and its history. */
extern const sp_store_schema sp_store_schema_current;

/*
 * At open, with s->kv open: reads the schema in a read-only transaction,
 * then creates the tables of a fresh store (recording schema->version) or
 * migrates an older one, in one write transaction. A newer store is
 * SP_ESCHEMA, an older one that schema's migrations do not lead from
 * SP_ESCHEMA_OLD; nothing is written then.
 */
int sp_store_schema_open(sp_store *s, const sp_store_schema *schema);

/* sp_store_open with another schema history (for tests). */
int sp_store_open_schema(const char *dir, const sp_store_options *opt,
    const sp_store_schema *schema, sp_store **out);
/* sp_store_explain against another schema history (for tests). */
void sp_store_explain_schema(char *out, size_t size, const char *dir, int err,
    const sp_store_schema *schema);

#endif

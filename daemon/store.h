/*
 * store.h - the node's store: signed records and their indexes, in one
 * LMDB environment (through daemon/kv.h, the only user of lmdb.h).
 *
 * What it keeps (layout in docs/STORE.md):
 *   - every current record, by id;
 *   - the current version per (community, collection, key): newest
 *     timestamp wins, ties broken by the larger id (sp_version_cmp); a
 *     superseded version is deleted in the same transaction;
 *   - per area (community, collection, label) the current records sorted by
 *     (timestamp, id), which set reconciliation walks;
 *   - communities (id, alias), node metadata, the schema version;
 *   - the import journal (see sp_store_import_*).
 * The store is mechanism only: it checks no signature and no charter;
 * daemon/node.c does that before calling sp_store_apply.
 *
 * Threads: one write transaction at a time (LMDB's rule); read
 * transactions may be used from any thread (MDB_NOTLS). A transaction
 * belongs to the thread that began it. Every commit is durable
 * (fdatasync), import batches included: there is no option to skip it.
 */
#ifndef SP_STORE_H
#define SP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define SP_STORE_SCHEMA 1

typedef struct sp_store sp_store;
typedef struct sp_txn sp_txn;

/* An import a crash interrupted, as sp_store_open finished it. */
typedef struct sp_store_recovered {
	uint64_t import_id;
	const uint8_t *community;  /* SP_PUBKEY_BYTES */
	const char *collection;    /* collection_len bytes, not NUL-terminated */
	size_t collection_len;
	bool rolled_back;          /* false: it had committed, and its cleanup is done */
} sp_store_recovered;

typedef struct sp_store_options {
	size_t map_size;   /* 0: default (see store.c) */
	/*
	 * The store does not log: sp_store_open calls recovered (if not
	 * NULL) once per interrupted import it finished, after that is
	 * durable, so that its caller can say so. The pointers in *imp are
	 * valid during the call only.
	 */
	void (*recovered)(void *arg, const sp_store_recovered *imp);
	void *recovered_arg;
	/*
	 * When open fails, why (why_size bytes; NULL: not wanted) gets
	 * sp_store_explain's message for the error, for the caller to log.
	 */
	char *why;
	size_t why_size;
} sp_store_options;

/*
 * Opens (creating if needed) the store in directory dir (which must exist).
 * Checks the schema version: a store of an older schema is upgraded in
 * place, in one transaction (if that fails, the error is the failing
 * step's and nothing is changed); a newer one is SP_ESCHEMA, an older one
 * this code has no upgrade from SP_ESCHEMA_OLD, nothing changed.
 * sp_store_explain says which versions (and opt->why gets its message). Clears stale readers left by a crashed process and
 * finishes an interrupted import (rolled back if it was running, cleaned
 * up if it was committed; opt->recovered hears of each). *out is owned by
 * the caller, freed with
 * sp_store_close; NULL on error. opt may be NULL.
 * It also finishes a scrub that an erase asked for (an applied erased
 * tombstone leaves a mark in meta until sp_store_scrub has run).
 */
int sp_store_open(const char *dir, const sp_store_options *opt, sp_store **out);
void sp_store_close(sp_store *s);

/*
 * The message for an error err from sp_store_open(dir): when the store in
 * dir has another schema than this code's, which one it has, which this
 * code reads, and what happened (refused, or an upgrade that failed and
 * changed nothing); otherwise sp_strerror(err). Reads dir without changing
 * its data file; must not be called while the store is open in this
 * process (LMDB's rule). Always NUL-terminates out (truncating).
 */
void sp_store_explain(char *out, size_t size, const char *dir, int err);

/* Read or write transaction. *out is freed by commit or abort. */
int sp_txn_begin(sp_store *s, bool write, sp_txn **out);
/* Commits; on failure the transaction is aborted. Returns 0 or an error. */
int sp_txn_commit(sp_txn *t);
void sp_txn_abort(sp_txn *t);

/*
 * Small named values (e.g. "hlc"): a u64 per name. SP_ENOTFOUND if unset.
 * The store itself uses "schema", "next_seq", "next_import" and
 * "scrub_pending"; callers must not write those.
 */
int sp_store_meta_get(sp_txn *t, const char *name, uint64_t *v);
int sp_store_meta_put(sp_txn *t, const char *name, uint64_t v);
/*
 * A named value of exactly len bytes (e.g. "hub_community", an id):
 * SP_ENOTFOUND if unset, SP_ECORRUPT if it has another length.
 */
int sp_store_meta_get_bytes(sp_txn *t, const char *name, uint8_t *out, size_t len);
int sp_store_meta_put_bytes(sp_txn *t, const char *name, const uint8_t *v, size_t len);

/* Communities known to this node. */
typedef struct sp_community_info {
	uint8_t id[SP_PUBKEY_BYTES];
	char alias[SP_COLLECTION_MAX + 1];
} sp_community_info;

/* SP_EEXIST if the id or the alias is taken. */
int sp_store_community_add(sp_txn *t, const sp_community_info *c);
/* Looks up by alias, or by id when name is a 52-character base32 id. */
int sp_store_community_find(sp_txn *t, const char *name, sp_community_info *out);
int sp_store_community_get(sp_txn *t, const uint8_t id[SP_PUBKEY_BYTES], sp_community_info *out);
/* Calls cb for each community in alias order; a non-zero return stops and is returned. */
int sp_store_community_each(sp_txn *t,
    int (*cb)(void *arg, const sp_community_info *c), void *arg);

/*
 * Peers known to this node, by name; the value is the peer's policy as
 * encoded by proto/policy.h (the store does not look inside). get's
 * pointer is valid until the transaction ends. del: SP_ENOTFOUND if absent.
 */
int sp_store_peer_put(sp_txn *t, const char *name, size_t name_len,
    const uint8_t *data, size_t len);
int sp_store_peer_get(sp_txn *t, const char *name, size_t name_len,
    const uint8_t **data, size_t *len);
int sp_store_peer_del(sp_txn *t, const char *name, size_t name_len);
/* Calls cb for each peer in name order; a non-zero return stops and is returned. */
int sp_store_peer_each(sp_txn *t, int (*cb)(void *arg, const char *name, size_t name_len,
    const uint8_t *data, size_t len), void *arg);

/*
 * A current record as stored; pointers valid until the transaction ends
 * (in a write transaction, until its next write: LMDB's rule).
 */
typedef struct sp_stored {
	const uint8_t *data;  /* the encoded record */
	size_t len;
	uint8_t id[SP_ID_BYTES];
	uint64_t timestamp;
} sp_stored;

enum sp_apply_result {
	SP_APPLY_NEW = 1,       /* first version of the key */
	SP_APPLY_REPLACED = 2,  /* superseded the previous current version */
	SP_APPLY_STALE = 3,     /* older than (or equal to) the current version: ignored */
};

/* Import journal handle, from sp_store_import_begin. */
typedef struct sp_import {
	uint64_t id;
} sp_import;

/*
 * Makes the decoded record rec (encoding data/len, id id) current for its
 * key if it is newer than the current version, removing the superseded one.
 * With imp non-NULL the superseded version is kept in the journal until
 * the import commits, so that it can be rolled back. *result tells what
 * happened. The caller has verified signature, clock and charter.
 * Under an import the record must belong to the import's (community,
 * collection) and must not be an erasure (SP_EINVAL): an import can be
 * rolled back, an erasure cannot.
 */
int sp_store_apply(sp_txn *t, const uint8_t *data, size_t len,
    const sp_record *rec, const uint8_t id[SP_ID_BYTES],
    const sp_import *imp, enum sp_apply_result *result);

/* The current record for a key; SP_ENOTFOUND if none. */
int sp_store_get(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len,
    const char *key, size_t key_len, sp_stored *out);

/* A current record by id; SP_ENOTFOUND if not current here. */
int sp_store_get_by_id(sp_txn *t, const uint8_t id[SP_ID_BYTES], sp_stored *out);

/*
 * Walks the current records of (community, collection) in key order,
 * starting after key `after` (NULL: from the start). collection NULL walks
 * every collection (reserved ones included) in (collection, key) order;
 * `after` then must be NULL (SP_EINVAL).
 * A non-zero return from cb stops the walk and is returned.
 */
int sp_store_each(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len,
    const char *after, size_t after_len,
    int (*cb)(void *arg, const sp_stored *r), void *arg);

/*
 * Walks an area's items in (timestamp, id) order from (ts, id) inclusive
 * (id NULL: from ts with the smallest id). cb gets each item's timestamp
 * and id; a non-zero return stops the walk and is returned.
 */
int sp_store_area_each(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, enum sp_label label,
    uint64_t ts, const uint8_t *id,
    int (*cb)(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES]), void *arg);

/*
 * FOR CONFORMANCE TESTS AND TOOLS ONLY: inserts a bare item (ts, id) into
 * an area, with no record behind it, so that a test can build an area with
 * chosen ids (real ids are hashes of records). The daemon never calls it.
 * Write transaction only (else SP_EINVAL); SP_EEXIST if the item is there.
 */
int sp_store_area_insert_raw(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, enum sp_label label,
    uint64_t ts, const uint8_t id[SP_ID_BYTES]);

/*
 * Calls cb once for each area of a community that holds at least one
 * item, in (collection, label) order. A non-zero return stops the walk
 * and is returned.
 */
int sp_store_areas_each(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    int (*cb)(void *arg, const char *collection, size_t collection_len, enum sp_label label),
    void *arg);

/*
 * Import journal. begin records a running import for (community,
 * collection) and returns its handle; apply with that handle; commit makes
 * it permanent (and deletes the superseded versions it kept), rollback
 * undoes every record it applied and restores what they replaced. Both
 * work in bounded batches of their own durable transactions and finish
 * even across a crash: sp_store_open rolls back running imports and
 * completes committed ones. The caller must keep other writers off the
 * (community, collection) while an import runs. These functions run
 * their own write transactions: the calling thread must hold none.
 * Commit and rollback of an unknown (or finished) import: SP_ENOTFOUND;
 * rollback of a committed one: SP_EINVAL.
 */
int sp_store_import_begin(sp_store *s, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, sp_import *out);
int sp_store_import_commit(sp_store *s, const sp_import *imp);
int sp_store_import_rollback(sp_store *s, const sp_import *imp);

/*
 * Removes every byte of deleted records from the data files: a compacting
 * copy of the environment replaces the file atomically (write, fsync,
 * rename, fsync of the directory). No transaction may be open: it waits
 * until the other threads' transactions have ended (the calling thread
 * must hold none). Used after an erase. Returns 0 or an error; on error the
 * old file is intact.
 */
int sp_store_scrub(sp_store *s);

typedef struct sp_store_stats {
	uint64_t records;      /* current records, all communities */
	uint64_t communities;
	uint64_t file_bytes;   /* size in use in the data file */
	uint64_t map_bytes;
} sp_store_stats;
int sp_store_stats_get(sp_store *s, sp_store_stats *out);

#endif

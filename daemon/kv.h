/*
 * kv.h - ordered key-value tables in one LMDB environment: the mechanism
 * under the store (docs/STORE.md), and the only user of lmdb.h.
 *
 * An environment is a directory holding data.mdb and lock.mdb. Its tables
 * (LMDB's named sub-databases) are fixed when it is opened and addressed
 * by their index in that list. Keys sort bytewise and are 1 to
 * SP_KV_KEY_MAX bytes long.
 *
 * Every commit is durable (fdatasync): MDB_NOSYNC, MDB_NOMETASYNC and
 * MDB_WRITEMAP are never set, so a crash or power loss cannot corrupt the
 * file. The map (address space reserved for the file, not disk) has the
 * fixed size given at open and never grows; a full map is SP_EMAPFULL.
 *
 * Errors are sp_err codes: not found SP_ENOTFOUND, key exists SP_EEXIST,
 * map full SP_EMAPFULL, a damaged file SP_ECORRUPT, an errno value e is -e
 * except that ENOSPC, EFBIG and EDQUOT (and a commit's short write, which
 * LMDB reports as EIO, on a disk or under a file size limit with less than
 * 1 MiB left) are SP_ENOSPC; any other LMDB code is SP_ESTORE.
 *
 * Threads: one write transaction at a time (LMDB's rule: a second
 * sp_kv_txn_begin for writing waits); read transactions may be begun by
 * any thread (MDB_NOTLS) and run alongside. A transaction, and its
 * cursors, belong to the thread that began it. Values returned point into
 * the map: valid until the transaction ends, or in a write transaction
 * until its next write.
 */
#ifndef SP_KV_H
#define SP_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* LMDB's key size limit (fixed unless LMDB is rebuilt). */
#define SP_KV_KEY_MAX 511
#define SP_KV_TABLES_MAX 16

typedef struct sp_kv sp_kv;
typedef struct sp_kv_txn sp_kv_txn;
typedef struct sp_kv_cursor sp_kv_cursor;

/* Bytes in the map, or given to a put. */
typedef struct sp_kv_val {
	const void *data;
	size_t len;
} sp_kv_val;

typedef struct sp_kv_config {
	size_t map_size;
	const char *const *tables;   /* names, kept by the caller while open */
	unsigned table_count;        /* 1..SP_KV_TABLES_MAX */
	/*
	 * Opens the data file read-only: no write transaction (SP_EINVAL),
	 * no stale reader cleared, no leftover copy removed.
	 */
	bool read_only;
} sp_kv_config;

/*
 * Opens the environment in directory dir (which must exist), creating the
 * data file if there is none. Clears reader slots left by a crashed
 * process (they would pin old pages forever and make the file grow) and
 * removes a copy left by an sp_kv_compact that never finished. No table is
 * open yet: see sp_kv_table_open and sp_kv_tables_create. *out is owned by
 * the caller, freed with sp_kv_close; NULL on error.
 */
int sp_kv_open(const char *dir, const sp_kv_config *cfg, sp_kv **out);
/* No transaction may be open. kv may be NULL. */
void sp_kv_close(sp_kv *kv);

/*
 * Begins a transaction; *out is freed by commit or abort. A write
 * transaction sees its own writes. SP_ESTORE if an sp_kv_compact failed
 * to reopen the environment.
 */
int sp_kv_txn_begin(sp_kv *kv, bool write, sp_kv_txn **out);
/* Commits (durably); on failure the transaction is aborted. */
int sp_kv_txn_commit(sp_kv_txn *t);
/* Abandons every write of t. t may be NULL. */
void sp_kv_txn_abort(sp_kv_txn *t);

/*
 * Opens table for t, if the file has it: SP_ENOTFOUND if not, nothing
 * created. The handle lasts beyond t only if t commits.
 */
int sp_kv_table_open(sp_kv_txn *t, unsigned table);
/* Opens every table, creating those the file lacks. Write transaction only. */
int sp_kv_tables_create(sp_kv_txn *t);

int sp_kv_get(sp_kv_txn *t, unsigned table, const void *k, size_t klen, sp_kv_val *v);

/* sp_kv_put flags. */
#define SP_KV_NOOVERWRITE 0x1u  /* SP_EEXIST if the key is there; nothing written */
/*
 * The key sorts after every key of the table: it goes in at the right
 * edge without a search, and pages fill completely. SP_EEXIST (nothing
 * written) if it does not sort last.
 */
#define SP_KV_APPEND      0x2u

int sp_kv_put(sp_kv_txn *t, unsigned table, const void *k, size_t klen,
    const void *v, size_t vlen, unsigned flags);
/* SP_ENOTFOUND if the key is not there. */
int sp_kv_del(sp_kv_txn *t, unsigned table, const void *k, size_t klen);
/* Number of entries in table. */
int sp_kv_entries(sp_kv_txn *t, unsigned table, uint64_t *n);
/* The bytes of the data file in use, and the map size. */
int sp_kv_space(sp_kv_txn *t, uint64_t *file_bytes, uint64_t *map_bytes);

/*
 * Cursor moves. SP_KV_SEEK positions at the first key >= *k (k is read,
 * then overwritten with the key found). Past either end: SP_ENOTFOUND.
 */
enum sp_kv_op {
	SP_KV_FIRST,
	SP_KV_LAST,
	SP_KV_NEXT,
	SP_KV_PREV,
	SP_KV_SEEK,
};

/* *out is freed with sp_kv_cursor_close, before t ends. */
int sp_kv_cursor_open(sp_kv_txn *t, unsigned table, sp_kv_cursor **out);
int sp_kv_cursor_get(sp_kv_cursor *c, enum sp_kv_op op, sp_kv_val *k, sp_kv_val *v);
/* Deletes the entry at the cursor. */
int sp_kv_cursor_del(sp_kv_cursor *c);
/* c may be NULL. */
void sp_kv_cursor_close(sp_kv_cursor *c);

/*
 * Calls fn for each entry of table from start (inclusive; exclusive with
 * skip_start) while the key begins with the first prefix_len bytes of
 * start. start_len 0 walks the whole table. A non-zero return from fn
 * stops the walk and is returned.
 */
int sp_kv_walk(sp_kv_txn *t, unsigned table, const void *start, size_t start_len,
    size_t prefix_len, bool skip_start,
    int (*fn)(void *arg, const sp_kv_val *k, const sp_kv_val *v), void *arg);

/*
 * Replaces the data file with a compacting copy of itself: only the pages
 * reachable from the current roots, each without its free gap, so no byte
 * of a deleted entry is left in the file. Waits until every transaction of
 * the other threads has ended, and none begins until it returns (the
 * calling thread must hold none: deadlock). The copy is written to
 * data.mdb.scrub, fsynced and renamed over data.mdb, then the directory is
 * fsynced and the environment reopened on the new file; after (if not
 * NULL) then runs in a write transaction, committed unless it fails,
 * before any other transaction can begin. If anything fails before the
 * rename, the copy is removed and the old file stays in use.
 */
int sp_kv_compact(sp_kv *kv, int (*after)(void *arg, sp_kv_txn *t), void *arg);

#endif

/*
 * kv.c - the LMDB environment under the store: open and close,
 * transactions, tables, cursors, the compacting copy, and LMDB's return
 * codes as sp_err codes. The reasons for the flags and the error mapping
 * are in docs/STORE.md.
 */
#include "kv.h"

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

#include "datadir.h"
#include "sp_err.h"

/* Less room than this on the disk (or under the file size limit) is no room. */
#define NO_ROOM_BYTES (1u << 20)

/*
 * Where the compacting copy is written before it replaces data.mdb. The
 * name is the one the store has always used, so that a copy left by an
 * older simpul is removed too.
 */
#define COPY_NAME "data.mdb.scrub"

struct sp_kv {
	MDB_env *env;          /* NULL only after sp_kv_compact failed to reopen */
	MDB_dbi dbi[SP_KV_TABLES_MAX];
	/*
	 * Taken shared by every transaction for its whole life and
	 * exclusively by sp_kv_compact, which replaces the environment.
	 */
	pthread_rwlock_t lock;
	sp_kv_config cfg;
	char *dir;
	char *data_path;       /* dir/data.mdb */
	char *copy_path;       /* dir/COPY_NAME */
};

struct sp_kv_txn {
	sp_kv *kv;
	MDB_txn *txn;
	bool write;
};

static int
kv_err(int rc)
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

/*
 * LMDB reports a short write as EIO, and a short write is what writing to
 * a full disk (or past a file size limit) does: tell the two apart, so the
 * user reads "disk full" rather than "Input/output error".
 */
static int
write_err(const sp_kv *kv, int r)
{
	struct statvfs vfs;
	struct rlimit rl;
	struct stat st;

	if (r != -EIO)
		return r;
	if (statvfs(kv->dir, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < NO_ROOM_BYTES)
		return SP_ENOSPC;
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    stat(kv->data_path, &st) == 0 && (uint64_t)st.st_size + NO_ROOM_BYTES > rl.rlim_cur)
		return SP_ENOSPC;
	return r;
}

static MDB_val
mval(const void *p, size_t len)
{
	MDB_val v = { len, (void *)p };

	return v;
}

static sp_kv_val
kval(const MDB_val *v)
{
	sp_kv_val r = { v->mv_data, v->mv_size };

	return r;
}

/* An sp_kv_cursor is an MDB_cursor: the type exists to keep lmdb.h here. */
static MDB_cursor *
mcursor(sp_kv_cursor *c)
{
	return (MDB_cursor *)(void *)c;
}

/* Environment. */

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

/* Opens kv->dir as kv->env; on failure kv->env stays NULL. */
static int
env_open(sp_kv *kv)
{
	MDB_env *env = NULL;
	int dead, r;

	if ((r = kv_err(mdb_env_create(&env))) != 0)
		return r;
	if ((r = kv_err(mdb_env_set_mapsize(env, kv->cfg.map_size))) != 0 ||
	    (r = kv_err(mdb_env_set_maxdbs(env, kv->cfg.table_count))) != 0)
		goto out;
	/*
	 * MDB_NOTLS: read transactions are not tied to a thread, so thread
	 * pool workers may use them. No MDB_NOSYNC, MDB_NOMETASYNC or
	 * MDB_WRITEMAP: every commit is durable and a crash cannot corrupt.
	 */
	r = kv_err(mdb_env_open(env, kv->dir,
	    MDB_NOTLS | (kv->cfg.read_only ? MDB_RDONLY : 0), 0600));
	if (r != 0)
		goto out;
	/* Reader slots of a crashed process would pin old pages forever. */
	if (!kv->cfg.read_only && (r = kv_err(mdb_reader_check(env, &dead))) != 0)
		goto out;
	kv->env = env;
	env = NULL;
out:
	if (env != NULL)
		mdb_env_close(env);
	return r;
}

void
sp_kv_close(sp_kv *kv)
{
	if (kv == NULL)
		return;
	if (kv->env != NULL)
		mdb_env_close(kv->env);
	pthread_rwlock_destroy(&kv->lock);
	free(kv->dir);
	free(kv->data_path);
	free(kv->copy_path);
	free(kv);
}

int
sp_kv_open(const char *dir, const sp_kv_config *cfg, sp_kv **out)
{
	sp_kv *kv;
	int r;

	*out = NULL;
	if (cfg->table_count == 0 || cfg->table_count > SP_KV_TABLES_MAX ||
	    cfg->map_size == 0)
		return SP_EINVAL;
	if ((kv = calloc(1, sizeof(*kv))) == NULL)
		return SP_ENOMEM;
	if ((r = pthread_rwlock_init(&kv->lock, NULL)) != 0) {
		free(kv);
		return -r;
	}
	kv->cfg = *cfg;
	kv->dir = strdup(dir);
	kv->data_path = path_join(dir, "data.mdb");
	kv->copy_path = path_join(dir, COPY_NAME);
	if (kv->dir == NULL || kv->data_path == NULL || kv->copy_path == NULL) {
		r = SP_ENOMEM;
		goto out;
	}
	/* A copy left by a compaction that died before its rename is useless. */
	if (!cfg->read_only && unlink(kv->copy_path) != 0 && errno != ENOENT) {
		r = -errno;
		goto out;
	}
	if ((r = env_open(kv)) != 0)
		goto out;
	*out = kv;
	kv = NULL;
out:
	sp_kv_close(kv);
	return r;
}

/* Transactions. */

/* Begins a transaction; the caller holds kv->lock (shared or exclusive). */
static int
txn_begin_locked(sp_kv *kv, bool write, sp_kv_txn **out)
{
	sp_kv_txn *t;
	int r;

	if (kv->env == NULL)
		return SP_ESTORE;
	if (write && kv->cfg.read_only)
		return SP_EINVAL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return SP_ENOMEM;
	t->kv = kv;
	t->write = write;
	r = kv_err(mdb_txn_begin(kv->env, NULL, write ? 0 : MDB_RDONLY, &t->txn));
	if (r != 0) {
		free(t);
		return r;
	}
	*out = t;
	return 0;
}

int
sp_kv_txn_begin(sp_kv *kv, bool write, sp_kv_txn **out)
{
	int r;

	*out = NULL;
	if ((r = pthread_rwlock_rdlock(&kv->lock)) != 0)
		return -r;
	if ((r = txn_begin_locked(kv, write, out)) != 0)
		pthread_rwlock_unlock(&kv->lock);
	return r;
}

/* Commits t without touching kv->lock. */
static int
txn_commit_locked(sp_kv_txn *t)
{
	int r = write_err(t->kv, kv_err(mdb_txn_commit(t->txn)));

	free(t);
	return r;
}

int
sp_kv_txn_commit(sp_kv_txn *t)
{
	sp_kv *kv = t->kv;
	int r = txn_commit_locked(t);

	pthread_rwlock_unlock(&kv->lock);
	return r;
}

void
sp_kv_txn_abort(sp_kv_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	pthread_rwlock_unlock(&t->kv->lock);
	free(t);
}

/* Tables. */

static int
table_open(sp_kv_txn *t, unsigned table, unsigned flags)
{
	if (table >= t->kv->cfg.table_count)
		return SP_EINVAL;
	return kv_err(mdb_dbi_open(t->txn, t->kv->cfg.tables[table], flags,
	    &t->kv->dbi[table]));
}

int
sp_kv_table_open(sp_kv_txn *t, unsigned table)
{
	return table_open(t, table, 0);
}

int
sp_kv_tables_create(sp_kv_txn *t)
{
	unsigned i;
	int r;

	if (!t->write)
		return SP_EINVAL;
	for (i = 0; i < t->kv->cfg.table_count; i++)
		if ((r = table_open(t, i, MDB_CREATE)) != 0)
			return r;
	return 0;
}

int
sp_kv_get(sp_kv_txn *t, unsigned table, const void *k, size_t klen, sp_kv_val *v)
{
	MDB_val key = mval(k, klen), val;
	int r;

	if ((r = kv_err(mdb_get(t->txn, t->kv->dbi[table], &key, &val))) != 0)
		return r;
	*v = kval(&val);
	return 0;
}

int
sp_kv_put(sp_kv_txn *t, unsigned table, const void *k, size_t klen,
    const void *v, size_t vlen, unsigned flags)
{
	MDB_val key = mval(k, klen), val = mval(v, vlen);
	unsigned mflags = 0;

	if (flags & SP_KV_NOOVERWRITE)
		mflags |= MDB_NOOVERWRITE;
	if (flags & SP_KV_APPEND)
		mflags |= MDB_APPEND;
	return kv_err(mdb_put(t->txn, t->kv->dbi[table], &key, &val, mflags));
}

int
sp_kv_del(sp_kv_txn *t, unsigned table, const void *k, size_t klen)
{
	MDB_val key = mval(k, klen);

	return kv_err(mdb_del(t->txn, t->kv->dbi[table], &key, NULL));
}

int
sp_kv_entries(sp_kv_txn *t, unsigned table, uint64_t *n)
{
	MDB_stat st;
	int r;

	*n = 0;
	if ((r = kv_err(mdb_stat(t->txn, t->kv->dbi[table], &st))) != 0)
		return r;
	*n = st.ms_entries;
	return 0;
}

int
sp_kv_space(sp_kv_txn *t, uint64_t *file_bytes, uint64_t *map_bytes)
{
	MDB_envinfo info;
	MDB_stat st;
	int r;

	*file_bytes = *map_bytes = 0;
	if ((r = kv_err(mdb_env_info(t->kv->env, &info))) != 0 ||
	    (r = kv_err(mdb_env_stat(t->kv->env, &st))) != 0)
		return r;
	*file_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	*map_bytes = info.me_mapsize;
	return 0;
}

/* Cursors. */

int
sp_kv_cursor_open(sp_kv_txn *t, unsigned table, sp_kv_cursor **out)
{
	MDB_cursor *c;
	int r;

	*out = NULL;
	if ((r = kv_err(mdb_cursor_open(t->txn, t->kv->dbi[table], &c))) != 0)
		return r;
	*out = (sp_kv_cursor *)(void *)c;
	return 0;
}

int
sp_kv_cursor_get(sp_kv_cursor *c, enum sp_kv_op op, sp_kv_val *k, sp_kv_val *v)
{
	static const MDB_cursor_op ops[] = {
		[SP_KV_FIRST] = MDB_FIRST,
		[SP_KV_LAST] = MDB_LAST,
		[SP_KV_NEXT] = MDB_NEXT,
		[SP_KV_PREV] = MDB_PREV,
		[SP_KV_SEEK] = MDB_SET_RANGE,
	};
	MDB_val key = mval(k->data, k->len), val;
	int r;

	if ((unsigned)op >= sizeof(ops) / sizeof(ops[0]))
		return SP_EINVAL;
	if ((r = kv_err(mdb_cursor_get(mcursor(c), &key, &val, ops[op]))) != 0)
		return r;
	*k = kval(&key);
	*v = kval(&val);
	return 0;
}

int
sp_kv_cursor_del(sp_kv_cursor *c)
{
	return kv_err(mdb_cursor_del(mcursor(c), 0));
}

void
sp_kv_cursor_close(sp_kv_cursor *c)
{
	if (c != NULL)
		mdb_cursor_close(mcursor(c));
}

int
sp_kv_walk(sp_kv_txn *t, unsigned table, const void *start, size_t start_len,
    size_t prefix_len, bool skip_start,
    int (*fn)(void *arg, const sp_kv_val *k, const sp_kv_val *v), void *arg)
{
	sp_kv_cursor *c;
	sp_kv_val k = { start, start_len }, v;
	enum sp_kv_op op = start_len != 0 ? SP_KV_SEEK : SP_KV_FIRST;
	int r;

	if ((r = sp_kv_cursor_open(t, table, &c)) != 0)
		return r;
	for (;; op = SP_KV_NEXT) {
		if ((r = sp_kv_cursor_get(c, op, &k, &v)) != 0) {
			if (r == SP_ENOTFOUND)
				r = 0;
			break;
		}
		if (prefix_len != 0 && (k.len < prefix_len ||
		    memcmp(k.data, start, prefix_len) != 0))
			break;
		if (skip_start && k.len == start_len &&
		    memcmp(k.data, start, start_len) == 0)
			continue;
		if ((r = fn(arg, &k, &v)) != 0)
			break;
	}
	sp_kv_cursor_close(c);
	return r;
}

/* Compaction. */

/* Writes a compacting copy of kv->env to kv->copy_path, durably. */
static int
compact_copy(sp_kv *kv)
{
	int fd, r;

	fd = open(kv->copy_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/*
	 * The compacting copy writes only pages reachable from the current
	 * root, and of each page only its used parts (the gap where deleted
	 * nodes' bytes linger is not copied). Freed pages are left behind.
	 */
	r = kv_err(mdb_env_copyfd2(kv->env, fd, MDB_CP_COMPACT));
	if (r == 0 && fsync(fd) != 0)
		r = -errno;
	if (close(fd) != 0 && r == 0)
		r = -errno;
	return r;
}

/*
 * Opens every table of the reopened environment, then runs after (if
 * any), in one write transaction; the caller holds kv->lock exclusively.
 */
static int
reopen_tables(sp_kv *kv, int (*after)(void *arg, sp_kv_txn *t), void *arg)
{
	sp_kv_txn *t;
	int r;

	if ((r = txn_begin_locked(kv, true, &t)) != 0)
		return r;
	if ((r = sp_kv_tables_create(t)) != 0 ||
	    (after != NULL && (r = after(arg, t)) != 0)) {
		mdb_txn_abort(t->txn);
		free(t);
		return r;
	}
	return txn_commit_locked(t);
}

/* The compaction proper; the caller holds kv->lock exclusively. */
static int
compact_locked(sp_kv *kv, int (*after)(void *arg, sp_kv_txn *t), void *arg)
{
	int r, r2;

	if (kv->env == NULL)
		return SP_ESTORE;
	if (kv->cfg.read_only)
		return SP_EINVAL;
	if ((r = compact_copy(kv)) == 0 && rename(kv->copy_path, kv->data_path) != 0)
		r = -errno;
	if (r != 0) {
		unlink(kv->copy_path);
		return r;
	}
	/*
	 * The file is replaced; even if the directory cannot be synced the
	 * environment must move to the new file.
	 */
	r = sp_fsync_dir(kv->dir);
	mdb_env_close(kv->env);
	kv->env = NULL;
	if ((r2 = env_open(kv)) == 0)
		r2 = reopen_tables(kv, after, arg);
	return r != 0 ? r : r2;
}

int
sp_kv_compact(sp_kv *kv, int (*after)(void *arg, sp_kv_txn *t), void *arg)
{
	int r;

	/* Waits until every transaction has ended; none begins meanwhile. */
	if ((r = pthread_rwlock_wrlock(&kv->lock)) != 0)
		return -r;
	r = compact_locked(kv, after, arg);
	pthread_rwlock_unlock(&kv->lock);
	return r;
}

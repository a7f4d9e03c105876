/*
 * store_import.c - the import journal: an import is applied in ordinary
 * durable batches, each apply leaving an undo entry, so that it can be
 * committed or rolled back as a whole, even across a crash (the design,
 * and why one transaction will not do, in docs/STORE.md).
 */
#include "store.h"

#include <string.h>

#include "buf.h"
#include "sp_err.h"
#include "store_int.h"

/* Undo entries handled per durable transaction by import commit/rollback. */
#define IMPORT_BATCH 10000

/* "undo" key: import id u64 | new seq u64; value: previous version | key */
#define UNDO_KEY_LEN 16
#define UNDO_VAL_MAX (SP_STORE_VERSION_LEN + SP_KEY_MAX)
/* "journal" value: state u8 | community | collection */
#define JOURNAL_VAL_MAX (1 + SP_PUBKEY_BYTES + SP_COLLECTION_MAX)

static int
journal_decode(const sp_kv_val *v, sp_journal *j)
{
	const uint8_t *p = v->data;

	if (v->len < 1 + SP_PUBKEY_BYTES + 1 || v->len > JOURNAL_VAL_MAX)
		return SP_ECORRUPT;
	if (p[0] != SP_JOURNAL_RUNNING && p[0] != SP_JOURNAL_COMMITTED)
		return SP_ECORRUPT;
	j->state = p[0];
	memcpy(j->community, p + 1, SP_PUBKEY_BYTES);
	j->collection_len = v->len - 1 - SP_PUBKEY_BYTES;
	memcpy(j->collection, p + 1 + SP_PUBKEY_BYTES, j->collection_len);
	return 0;
}

static int
journal_get(sp_txn *t, uint64_t import_id, sp_journal *j)
{
	sp_kv_val v;
	int r;

	if ((r = sp_store_seq_get(t, SP_TABLE_JOURNAL, import_id, &v)) != 0)
		return r;
	return journal_decode(&v, j);
}

static int
journal_put(sp_txn *t, uint64_t import_id, const sp_journal *j)
{
	uint8_t k[8], v[JOURNAL_VAL_MAX];

	sp_put_be64(k, import_id);
	v[0] = (uint8_t)j->state;
	memcpy(v + 1, j->community, SP_PUBKEY_BYTES);
	memcpy(v + 1 + SP_PUBKEY_BYTES, j->collection, j->collection_len);
	return sp_kv_put(t->kv, SP_TABLE_JOURNAL, k, sizeof(k), v,
	    1 + SP_PUBKEY_BYTES + j->collection_len, 0);
}

/*
 * A record applied under an import must belong to the import's running
 * journal entry, and must not be an erasure: rolling the import back would
 * bring the erased content back, and keeping it for that would defeat the
 * erasure.
 */
int
sp_store_import_check(sp_txn *t, const sp_import *imp, const sp_record *rec)
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
	if (t->imp.state != SP_JOURNAL_RUNNING ||
	    memcmp(t->imp.community, rec->community, SP_PUBKEY_BYTES) != 0 ||
	    t->imp.collection_len != rec->collection_len ||
	    memcmp(t->imp.collection, rec->collection, rec->collection_len) != 0)
		return SP_EINVAL;
	return 0;
}

/* Records the undo entry of an import apply: (import, new seq) -> prev | key. */
int
sp_store_undo_put(sp_txn *t, uint64_t import_id, uint64_t seq,
    const sp_version *prev, const char *key, size_t key_len)
{
	uint8_t k[UNDO_KEY_LEN], v[UNDO_VAL_MAX];
	sp_version none;
	size_t vlen;
	int r;

	if (prev == NULL) {
		memset(&none, 0, sizeof(none));
		prev = &none;
	}
	sp_put_be64(k, import_id);
	sp_put_be64(k + 8, seq);
	sp_store_version_pack(v, prev);
	memcpy(v + SP_STORE_VERSION_LEN, key, key_len);
	/*
	 * Sequences only grow, so an import's undo entries are appended,
	 * unless a later import running at the same time already has
	 * entries after them: the append is refused (SP_EEXIST)
	 * without writing, and the entry goes in by search instead.
	 */
	vlen = SP_STORE_VERSION_LEN + key_len;
	r = sp_kv_put(t->kv, SP_TABLE_UNDO, k, sizeof(k), v, vlen, SP_KV_APPEND);
	if (r == SP_EEXIST)
		r = sp_kv_put(t->kv, SP_TABLE_UNDO, k, sizeof(k), v, vlen,
		    SP_KV_NOOVERWRITE);
	/* A new seq cannot have an entry yet. */
	return r == SP_EEXIST ? SP_ECORRUPT : r;
}

/* Begin, commit, rollback, recovery. */

int
sp_store_import_begin(sp_store *s, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, sp_import *out)
{
	sp_txn *t;
	sp_journal j;
	uint64_t id;
	int r;

	out->id = 0;
	if (!sp_store_collection_len_ok(collection_len))
		return SP_EINVAL;
	if ((r = sp_txn_begin(s, true, &t)) != 0)
		return r;
	if ((r = sp_store_counter_get(t, SP_META_NEXT_IMPORT, &id)) != 0)
		goto out;
	j.state = SP_JOURNAL_RUNNING;
	memcpy(j.community, community, SP_PUBKEY_BYTES);
	memcpy(j.collection, collection, collection_len);
	j.collection_len = collection_len;
	if ((r = journal_put(t, id, &j)) != 0 ||
	    (r = sp_store_meta_write(t->kv, SP_META_NEXT_IMPORT, id + 1)) != 0)
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
	sp_version prev;       /* prev.seq == 0: the key was new */
	char key[SP_KEY_MAX];
	size_t key_len;
} undo;

/*
 * Takes the first (or, with last, the final) undo entry of import_id out
 * of the undo table into *u. SP_ENOTFOUND when none is left.
 */
static int
undo_take(sp_kv_cursor *c, uint64_t import_id, bool last, undo *u)
{
	uint8_t start[UNDO_KEY_LEN];
	sp_kv_val k = { start, sizeof(start) }, v;
	int r;

	sp_put_be64(start, import_id);
	sp_put_be64(start + 8, last ? UINT64_MAX : 0);
	r = sp_kv_cursor_get(c, SP_KV_SEEK, &k, &v);
	/* Sequences never reach UINT64_MAX: this lands past the import's entries. */
	if (last && r == 0)
		r = sp_kv_cursor_get(c, SP_KV_PREV, &k, &v);
	else if (last && r == SP_ENOTFOUND)
		r = sp_kv_cursor_get(c, SP_KV_LAST, &k, &v);
	if (r != 0)
		return r;
	if (k.len != UNDO_KEY_LEN || sp_get_be64(k.data) != import_id)
		return SP_ENOTFOUND;
	if (v.len <= SP_STORE_VERSION_LEN || v.len > UNDO_VAL_MAX)
		return SP_ECORRUPT;
	if ((r = sp_store_version_unpack(v.data, SP_STORE_VERSION_LEN, &u->prev)) != 0)
		return r;
	u->seq = sp_get_be64((const uint8_t *)k.data + 8);
	u->key_len = v.len - SP_STORE_VERSION_LEN;
	memcpy(u->key, (const uint8_t *)v.data + SP_STORE_VERSION_LEN, u->key_len);
	return sp_kv_cursor_del(c);
}

/* Commit: the version the import superseded is no longer needed. */
static int
undo_commit_step(sp_txn *t, const sp_journal *j, const undo *u)
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
	r = sp_store_seq_del(t, SP_TABLE_RECORDS, u->prev.seq);
	return r == SP_ENOTFOUND ? 0 : r;
}

/* Rollback: remove what the import applied and bring back what it replaced. */
static int
undo_rollback_step(sp_txn *t, const sp_journal *j, const undo *u)
{
	uint8_t ckey[SP_STORE_CKEY_MAX];
	size_t ckey_len, prefix_len;
	sp_version cur;
	sp_kv_val v;
	int r;

	ckey_len = sp_store_current_key(ckey, j->community, j->collection,
	    j->collection_len, u->key, u->key_len, &prefix_len);
	r = sp_kv_get(t->kv, SP_TABLE_CURRENT, ckey, ckey_len, &v);
	if (r == 0 && (r = sp_store_version_unpack(v.data, v.len, &cur)) != 0)
		return r;
	if (r != 0 && r != SP_ENOTFOUND)
		return r;
	if (r == SP_ENOTFOUND || cur.seq != u->seq) {
		/*
		 * A writer outside the import superseded its version (which
		 * the caller should have prevented): that writer's version
		 * stays, and neither of the import's is current any more.
		 */
		r = sp_store_seq_del(t, SP_TABLE_RECORDS, u->seq);
		if (r == 0 && u->prev.seq != 0)
			r = sp_store_seq_del(t, SP_TABLE_RECORDS, u->prev.seq);
		return r == SP_ENOTFOUND ? 0 : r;
	}
	if ((r = sp_store_version_unlink(t, ckey, prefix_len, &cur)) != 0 ||
	    (r = sp_store_must_exist(sp_store_seq_del(t, SP_TABLE_RECORDS, cur.seq))) != 0)
		return r;
	if (u->prev.seq == 0)
		return sp_store_must_exist(sp_kv_del(t->kv, SP_TABLE_CURRENT, ckey, ckey_len));
	return sp_store_version_link(t, ckey, ckey_len, prefix_len, &u->prev);
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
	sp_kv_cursor *c = NULL;
	sp_journal j;
	undo u;
	bool done = false;
	int n, r = 0;

	while (!done) {
		if ((r = sp_txn_begin(s, true, &t)) != 0)
			return r;
		if ((r = journal_get(t, import_id, &j)) != 0)
			goto out;
		if ((r = sp_kv_cursor_open(t->kv, SP_TABLE_UNDO, &c)) != 0)
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
			if ((r = sp_store_seq_del(t, SP_TABLE_JOURNAL, import_id)) != 0)
				goto out;
		} else if (r != 0) {
			goto out;
		}
		sp_kv_cursor_close(c);
		c = NULL;
		r = sp_txn_commit(t);
		t = NULL;
		if (r != 0)
			return r;
	}
	return 0;
out:
	sp_kv_cursor_close(c);
	sp_txn_abort(t);
	return r;
}

/*
 * Ends an import one way or the other: marks it committed (durably, before
 * any cleanup: from then on recovery finishes the commit) or checks that
 * it may still be rolled back, then drains its undo entries.
 */
static int
import_finish(sp_store *s, uint64_t import_id, bool rollback)
{
	sp_txn *t;
	sp_journal j;
	int r;

	if ((r = sp_txn_begin(s, true, &t)) != 0)
		return r;
	if ((r = journal_get(t, import_id, &j)) != 0)
		goto out;
	if (rollback && j.state == SP_JOURNAL_COMMITTED) {
		/* A committed import is permanent: its superseded versions may be gone. */
		r = SP_EINVAL;
		goto out;
	}
	if (!rollback && j.state == SP_JOURNAL_RUNNING) {
		j.state = SP_JOURNAL_COMMITTED;
		if ((r = journal_put(t, import_id, &j)) != 0)
			goto out;
	}
	r = sp_txn_commit(t);
	t = NULL;
	if (r == 0)
		r = import_drain(s, import_id, rollback);
out:
	sp_txn_abort(t);
	return r;
}

int
sp_store_import_commit(sp_store *s, const sp_import *imp)
{
	return import_finish(s, imp->id, false);
}

int
sp_store_import_rollback(sp_store *s, const sp_import *imp)
{
	return import_finish(s, imp->id, true);
}

/* Finishes every import a crash interrupted: running ones are rolled back. */
int
sp_store_import_recover(sp_store *s, const sp_store_options *opt)
{
	sp_txn *t;
	sp_kv_cursor *c;
	sp_kv_val k, v;
	sp_journal j;
	sp_store_recovered done;
	uint64_t id = 0;
	int r;

	for (;;) {
		if ((r = sp_txn_begin(s, false, &t)) != 0)
			return r;
		r = sp_kv_cursor_open(t->kv, SP_TABLE_JOURNAL, &c);
		if (r == 0) {
			r = sp_kv_cursor_get(c, SP_KV_FIRST, &k, &v);
			if (r == 0 && k.len != 8)
				r = SP_ECORRUPT;
			if (r == 0 && (r = journal_decode(&v, &j)) == 0)
				id = sp_get_be64(k.data);
			sp_kv_cursor_close(c);
		}
		sp_txn_abort(t);
		if (r == SP_ENOTFOUND)
			return 0;
		if (r != 0)
			return r;
		/* Draining deletes the journal entry, so this loop advances. */
		if ((r = import_drain(s, id, j.state == SP_JOURNAL_RUNNING)) != 0)
			return r;
		if (opt != NULL && opt->recovered != NULL) {
			done.import_id = id;
			done.community = j.community;
			done.collection = j.collection;
			done.collection_len = j.collection_len;
			done.rolled_back = j.state == SP_JOURNAL_RUNNING;
			opt->recovered(opt->recovered_arg, &done);
		}
	}
}


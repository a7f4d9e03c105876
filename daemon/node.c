/*
 * node.c - the node itself: its identity, store and hybrid logical clock,
 * and the local writes (put, rm, erase, import batches). Communities and
 * charters are in node_community.c, received records in node_receive.c.
 */
#include "node.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "body.h"
#include "charter.h"
#include "crypto.h"
#include "datadir.h"
#include "hlc.h"
#include "identity.h"
#include "node_int.h"
#include "reader.h"
#include "sp_err.h"
#include "syscoll.h"

/* The body of every tombstone. */
static const uint8_t empty_body = SP_BODY_EMPTY_BYTE;

#define STORE_SUBDIR    "store"
#define META_HLC        "hlc"

int
sp_node_open(const char *dir, uint64_t (*now_ms)(void),
    const sp_store_options *store_opt, sp_node **out)
{
	char path[SP_PATH_MAX];
	sp_node *n;
	sp_txn *t = NULL;
	uint64_t last = 0;
	int r;

	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return SP_ENOMEM;
	pthread_mutex_init(&n->hlc_lock, NULL);
	n->now_ms = now_ms;
	if (strlen(dir) >= sizeof(n->dir)) {
		r = SP_ETOOBIG;
		goto out;
	}
	strcpy(n->dir, dir);
	if ((r = sp_identity_load(dir, n->sk, n->pk)) != 0)
		goto out;
	/* The store is created on first start, after 'simpul init'. */
	if ((r = sp_path_join(path, sizeof(path), dir, STORE_SUBDIR)) != 0 ||
	    (r = sp_mkdir_p(path)) != 0)
		goto out;
	if ((r = sp_store_open(path, store_opt, &n->store)) != 0)
		goto out;
	if ((r = sp_txn_begin(n->store, false, &t)) != 0)
		goto out;
	r = sp_store_meta_get(t, META_HLC, &last);
	sp_txn_abort(t);
	if (r != 0 && r != SP_ENOTFOUND)
		goto out;
	sp_hlc_init(&n->hlc, last);
	*out = n;
	n = NULL;
	r = 0;
out:
	sp_node_close(n);
	return r;
}

void
sp_node_close(sp_node *n)
{
	if (n == NULL)
		return;
	sp_store_close(n->store);
	pthread_mutex_destroy(&n->hlc_lock);
	sp_memzero(n->sk, sizeof(n->sk));
	free(n);
}

const uint8_t *
sp_node_id(const sp_node *n)
{
	return n->pk;
}

int
sp_node_noise_key(const sp_node *n, uint8_t x_sk[32])
{
	return sp_x25519_from_ed25519_sk(x_sk, n->sk);
}

sp_store *
sp_node_store(sp_node *n)
{
	return n->store;
}

const char *
sp_node_dir(const sp_node *n)
{
	return n->dir;
}

void
sp_node_set_hub(sp_node *n, bool hub)
{
	n->hub = hub;
}

bool
sp_node_is_hub(const sp_node *n)
{
	return n->hub;
}

uint64_t
sp_node_now_ms(const sp_node *n)
{
	return n->now_ms();
}

/* Reserves count consecutive timestamps; returns the first. */
static uint64_t
hlc_reserve(sp_node *n, size_t count)
{
	uint64_t first, wall = n->now_ms();
	size_t i;

	pthread_mutex_lock(&n->hlc_lock);
	first = sp_hlc_tick(&n->hlc, wall);
	for (i = 1; i < count; i++)
		(void)sp_hlc_tick(&n->hlc, wall);
	pthread_mutex_unlock(&n->hlc_lock);
	return first;
}

int
sp_node_persist_hlc(sp_node *n, sp_txn *t)
{
	uint64_t last;

	pthread_mutex_lock(&n->hlc_lock);
	last = n->hlc.last;
	pthread_mutex_unlock(&n->hlc_lock);
	return sp_store_meta_put(t, META_HLC, last);
}

void
sp_node_hlc_observe(sp_node *n, uint64_t timestamp)
{
	pthread_mutex_lock(&n->hlc_lock);
	sp_hlc_observe(&n->hlc, timestamp);
	pthread_mutex_unlock(&n->hlc_lock);
}

int
sp_node_sign_and_apply(sp_node *n, sp_txn *t, sp_record *rec, const uint8_t *sk,
    uint8_t id[SP_ID_BYTES])
{
	enum sp_apply_result res;
	uint8_t rid[SP_ID_BYTES];
	sp_buf enc;
	int r;

	sp_buf_init(&enc);
	rec->timestamp = hlc_reserve(n, 1);
	if ((r = sp_record_sign(rec, sk, &enc, rid)) != 0)
		goto out;
	if ((r = sp_store_apply(t, enc.data, enc.len, rec, rid, NULL, &res)) != 0)
		goto out;
	if (res == SP_APPLY_STALE) {
		r = SP_ESTALE;
		goto out;
	}
	if ((r = sp_node_persist_hlc(n, t)) != 0)
		goto out;
	if (id != NULL)
		memcpy(id, rid, SP_ID_BYTES);
	r = 0;
out:
	sp_buf_free(&enc);
	return r;
}

/* Fills the record fields every local write shares. */
static int
prepare_record(const sp_node *n, const sp_write *w, sp_record *rec)
{
	int r;

	memset(rec, 0, sizeof(*rec));
	if ((r = sp_collection_check(w->collection, w->collection_len, false)) != 0)
		return r;
	if ((r = sp_key_check(w->key, w->key_len)) != 0)
		return r;
	memcpy(rec->community, w->community, SP_PUBKEY_BYTES);
	memcpy(rec->author, n->pk, SP_PUBKEY_BYTES);
	memcpy(rec->collection, w->collection, w->collection_len);
	rec->collection_len = w->collection_len;
	memcpy(rec->key, w->key, w->key_len);
	rec->key_len = w->key_len;
	rec->label = w->label_given ? w->label : SP_LABEL_COMMUNITY;
	return 0;
}

/*
 * The label rule for a new live version over cur (may be NULL): a label
 * may widen, never narrow while any earlier content may still exist;
 * only an erase clears the way. Without an explicit label the key keeps
 * its current one.
 */
static int
check_label(const sp_write *w, const sp_record *cur, sp_record *rec)
{
	if (cur == NULL || (cur->flags & SP_FLAG_ERASED))
		return 0;
	if (!w->label_given)
		rec->label = cur->label;
	if (rec->label < cur->label)
		return SP_ELABEL_NARROW;
	return 0;
}

/* This node must be a writer in the community's current charter. */
static int
check_writer(sp_node *n, sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    bool *admin)
{
	sp_charter *c;
	int r;

	if ((r = sp_node_charter(t, community, &c)) != 0)
		return r;
	r = sp_charter_is_writer(c, n->pk) ? 0 : SP_ENOTWRITER;
	if (admin != NULL)
		*admin = sp_charter_is_admin(c, n->pk);
	sp_charter_free(c);
	return r;
}

/* The current version of w's key, decoded into cur; SP_ENOTFOUND if none. */
static int
current_version(sp_txn *t, const sp_write *w, sp_record *cur)
{
	sp_stored st;
	int r;

	r = sp_store_get(t, w->community, w->collection, w->collection_len,
	    w->key, w->key_len, &st);
	if (r != 0)
		return r;
	return sp_record_decode(st.data, st.len, cur) == 0 ? 0 : SP_ECORRUPT;
}

int
sp_node_put(sp_node *n, const sp_write *w, uint8_t id[SP_ID_BYTES])
{
	sp_record rec, cur;
	sp_txn *t = NULL;
	int r, have_cur;

	if ((r = prepare_record(n, w, &rec)) != 0)
		return r;
	if ((r = sp_body_validate(w->body, w->body_len)) != 0)
		return r;
	rec.body = w->body;
	rec.body_len = w->body_len;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	if ((r = check_writer(n, t, w->community, NULL)) != 0)
		goto out;
	r = current_version(t, w, &cur);
	if (r != 0 && r != SP_ENOTFOUND)
		goto out;
	have_cur = r == 0;
	if ((r = check_label(w, have_cur ? &cur : NULL, &rec)) != 0)
		goto out;
	if ((r = sp_node_sign_and_apply(n, t, &rec, n->sk, id)) != 0)
		goto out;
	r = sp_txn_commit(t);
	t = NULL;
out:
	if (t != NULL)
		sp_txn_abort(t);
	return r;
}

int
sp_node_rm(sp_node *n, const sp_write *w, bool erase, uint8_t id[SP_ID_BYTES])
{
	sp_record rec, cur;
	sp_txn *t = NULL;
	bool admin = false;
	int r;

	if ((r = prepare_record(n, w, &rec)) != 0)
		return r;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	if ((r = check_writer(n, t, w->community, &admin)) != 0)
		goto out;
	if ((r = current_version(t, w, &cur)) != 0)
		goto out;
	/* rm needs a live version; erase also clears an earlier rm. */
	if ((cur.flags & SP_FLAG_ERASED) ||
	    (!erase && (cur.flags & SP_FLAG_TOMBSTONE))) {
		r = SP_ENOTFOUND;
		goto out;
	}
	if (!admin && memcmp(cur.author, n->pk, SP_PUBKEY_BYTES) != 0) {
		r = SP_ENOTADMIN;
		goto out;
	}
	/* A tombstone keeps the label of the version it replaces. */
	rec.label = cur.label;
	rec.flags = SP_FLAG_TOMBSTONE | (erase ? SP_FLAG_ERASED : 0);
	rec.body = &empty_body;
	rec.body_len = 1;
	if ((r = sp_node_sign_and_apply(n, t, &rec, n->sk, id)) != 0)
		goto out;
	r = sp_txn_commit(t);
	t = NULL;
	if (r == 0 && erase)
		r = sp_store_scrub(n->store);
out:
	if (t != NULL)
		sp_txn_abort(t);
	return r;
}

int
sp_node_put_system_in(sp_node *n, sp_txn *t, const sp_write *w, bool tombstone,
    uint8_t id[SP_ID_BYTES])
{
	const sp_syscoll *sc = sp_syscoll_find(w->collection, w->collection_len);
	sp_record rec, cur;
	bool admin = false;
	int r;

	if (sc == NULL || sc->writer == SP_SYS_COMMUNITY_KEY)
		return SP_ERESERVED;
	/* The row matched the whole collection name, so it fits. */
	if ((r = sp_key_check(w->key, w->key_len)) != 0)
		return r;
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.community, w->community, SP_PUBKEY_BYTES);
	memcpy(rec.author, n->pk, SP_PUBKEY_BYTES);
	memcpy(rec.collection, w->collection, w->collection_len);
	rec.collection_len = w->collection_len;
	memcpy(rec.key, w->key, w->key_len);
	rec.key_len = w->key_len;
	rec.label = sc->label;
	rec.flags = tombstone ? SP_FLAG_TOMBSTONE : 0;
	rec.body = tombstone ? &empty_body : w->body;
	rec.body_len = tombstone ? 1 : w->body_len;
	if ((!tombstone && (r = sp_body_validate(rec.body, rec.body_len)) != 0) ||
	    (r = sp_syscoll_check(sc, &rec)) != 0)
		return r;
	if ((r = check_writer(n, t, w->community, &admin)) != 0)
		return r;
	if (sc->writer == SP_SYS_ADMIN && !admin)
		return SP_ENOTADMIN;
	if (tombstone) {
		if ((r = current_version(t, w, &cur)) != 0)
			return r;
		if (cur.flags & SP_FLAG_TOMBSTONE)
			return SP_ENOTFOUND;
		if (!admin && memcmp(cur.author, n->pk, SP_PUBKEY_BYTES) != 0)
			return SP_ENOTADMIN;
	}
	return sp_node_sign_and_apply(n, t, &rec, n->sk, id);
}

int
sp_node_put_system(sp_node *n, const sp_write *w, bool tombstone, uint8_t id[SP_ID_BYTES])
{
	sp_txn *t;
	int r;

	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	if ((r = sp_node_put_system_in(n, t, w, tombstone, id)) != 0) {
		sp_txn_abort(t);
		return r;
	}
	return sp_txn_commit(t);
}

int
sp_node_sign_rows(sp_node *n, const sp_write *spec, const uint8_t *rows,
    size_t rows_len, sp_buf *out, size_t *count, char *detail, size_t size)
{
	sp_reader rd;
	sp_record rec, cur;
	sp_txn *t = NULL;
	uint32_t nrows, i, pair;
	uint64_t ts;
	const char *key = "";
	const uint8_t *body;
	size_t key_len = 0, at, body_len;
	int r;

	*count = 0;
	sp_reader_init(&rd, rows, rows_len);
	if ((r = sp_read_array(&rd, &nrows)) != 0)
		return r;
	/* Without an explicit label, a key keeps the one it has, as with put. */
	if (!spec->label_given && (r = sp_txn_begin(n->store, false, &t)) != 0)
		return r;
	ts = hlc_reserve(n, nrows);
	for (i = 0; i < nrows; i++) {
		if ((r = sp_read_array(&rd, &pair)) != 0)
			goto out;
		if (pair != 2) {
			r = SP_EFRAME;
			goto out;
		}
		if ((r = sp_read_str(&rd, &key, &key_len)) != 0)
			goto out;
		body = rd.p;
		if ((r = sp_read_value(&rd, SP_MAX_DEPTH)) != 0)
			goto bad_row;
		body_len = (size_t)(rd.p - body);
		{
			sp_write w = *spec;

			w.key = key;
			w.key_len = key_len;
			if ((r = prepare_record(n, &w, &rec)) != 0)
				goto bad_row;
			if (t != NULL && current_version(t, &w, &cur) == 0 &&
			    !(cur.flags & SP_FLAG_ERASED))
				rec.label = cur.label;
		}
		rec.body = body;
		rec.body_len = body_len;
		rec.timestamp = ts + i;
		at = sp_batch_open(out);
		if ((r = sp_record_sign(&rec, n->sk, out, NULL)) != 0)
			goto bad_row;
		sp_batch_close(out, at);
	}
	if ((r = sp_reader_end(&rd)) != 0)
		goto out;
	*count = nrows;
	r = out->err;
	goto out;
bad_row:
	snprintf(detail, size, "row %u (key '%.*s'): %s", i + 1,
	    (int)(key_len > 64 ? 64 : key_len), key, sp_strerror(r));
out:
	if (t != NULL)
		sp_txn_abort(t);
	return r;
}

int
sp_node_write_batch(sp_node *n, const sp_import *imp, const uint8_t *batch,
    size_t len, char *detail, size_t size)
{
	enum sp_apply_result res;
	const uint8_t *data;
	uint8_t id[SP_ID_BYTES];
	sp_record rec, cur;
	sp_write w;
	sp_txn *t = NULL;
	size_t rlen;
	int r, checked = 0;

	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	while (len > 0) {
		if ((r = sp_batch_next(&batch, &len, &data, &rlen)) != 0)
			goto out;
		if ((r = sp_record_decode(data, rlen, &rec)) != 0)
			goto out;
		/* A batch belongs to one import, so to one community. */
		if (!checked) {
			if ((r = check_writer(n, t, rec.community, NULL)) != 0)
				goto out;
			checked = 1;
		}
		memset(&w, 0, sizeof(w));
		memcpy(w.community, rec.community, SP_PUBKEY_BYTES);
		w.collection = rec.collection;
		w.collection_len = rec.collection_len;
		w.key = rec.key;
		w.key_len = rec.key_len;
		w.label_given = true;
		r = current_version(t, &w, &cur);
		if (r == 0)
			r = check_label(&w, &cur, &rec);
		else if (r == SP_ENOTFOUND)
			r = 0;
		if (r != 0)
			goto bad_record;
		sp_record_id(data, rlen, id);
		if ((r = sp_store_apply(t, data, rlen, &rec, id, imp, &res)) != 0)
			goto bad_record;
	}
	if ((r = sp_node_persist_hlc(n, t)) != 0)
		goto out;
	r = sp_txn_commit(t);
	t = NULL;
	goto out;
bad_record:
	snprintf(detail, size, "key '%s': %s", rec.key, sp_strerror(r));
out:
	if (t != NULL)
		sp_txn_abort(t);
	return r;
}

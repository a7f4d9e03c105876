#include "node.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base32.h"
#include "batch.h"
#include "body.h"
#include "charter.h"
#include "crypto.h"
#include "datadir.h"
#include "hlc.h"
#include "identity.h"
#include "keyfile.h"
#include "reader.h"
#include "sp_err.h"
#include "syscoll.h"

struct sp_node {
	char dir[SP_PATH_MAX];
	uint8_t pk[SP_PUBKEY_BYTES];
	uint8_t sk[SP_SECKEY_BYTES];
	sp_store *store;
	uint64_t (*now_ms)(void);
	pthread_mutex_t hlc_lock;  /* sign_rows runs on several threads */
	sp_hlc hlc;
};

#define STORE_SUBDIR    "store"
#define META_HLC        "hlc"

static int
community_key_path(const sp_node *n, const uint8_t id[SP_PUBKEY_BYTES],
    char *out, size_t size)
{
	char name[SP_ID_STR_LEN + 16];
	char dir[SP_PATH_MAX];
	int r;

	sp_base32_encode(name, id, SP_PUBKEY_BYTES);
	strcat(name, ".key");
	if ((r = sp_path_join(dir, sizeof(dir), n->dir, SP_COMMUNITY_KEY_DIR)) != 0)
		return r;
	return sp_path_join(out, size, dir, name);
}

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

static int
persist_hlc(sp_node *n, sp_txn *t)
{
	uint64_t last;

	pthread_mutex_lock(&n->hlc_lock);
	last = n->hlc.last;
	pthread_mutex_unlock(&n->hlc_lock);
	return sp_store_meta_put(t, META_HLC, last);
}

int
sp_node_community_find(sp_node *n, const char *name, sp_community_info *out)
{
	sp_txn *t;
	int r;

	if ((r = sp_txn_begin(n->store, false, &t)) != 0)
		return r;
	r = sp_store_community_find(t, name, out);
	sp_txn_abort(t);
	return r;
}

bool
sp_node_has_community_key(sp_node *n, const uint8_t id[SP_PUBKEY_BYTES])
{
	char path[SP_PATH_MAX];

	return community_key_path(n, id, path, sizeof(path)) == 0 &&
	    access(path, F_OK) == 0;
}

static int
read_community_key(sp_node *n, const uint8_t id[SP_PUBKEY_BYTES],
    uint8_t sk[SP_SECKEY_BYTES])
{
	char path[SP_PATH_MAX];
	int r;

	if ((r = community_key_path(n, id, path, sizeof(path))) != 0)
		return r;
	r = sp_file_read_secret(path, sk, SP_SECKEY_BYTES);
	return r == SP_ENOTFOUND ? SP_ENOCOMMUNITYKEY : r;
}

int
sp_node_charter_record(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], sp_stored *out)
{
	int r;

	r = sp_store_get(t, community, SP_CHARTER_COLLECTION,
	    strlen(SP_CHARTER_COLLECTION), SP_CHARTER_KEY, strlen(SP_CHARTER_KEY), out);
	return r == SP_ENOTFOUND ? SP_ENOCHARTER : r;
}

/* The charter and the timestamp of its record. */
static int
charter_at(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], sp_charter **out,
    uint64_t *timestamp)
{
	sp_stored cur;
	sp_record rec;
	int r;

	*out = NULL;
	if ((r = sp_node_charter_record(t, community, &cur)) != 0)
		return r;
	if (sp_record_decode(cur.data, cur.len, &rec) != 0)
		return SP_ECORRUPT;
	*timestamp = rec.timestamp;
	return sp_charter_decode(rec.body, rec.body_len, out);
}

int
sp_node_charter(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    sp_charter **out)
{
	uint64_t ts;

	return charter_at(t, community, out, &ts);
}

/*
 * Signs body as the next version of (community, collection, key) with sk
 * and applies it in t. Shared by every local write.
 */
static int
sign_and_apply(sp_node *n, sp_txn *t, sp_record *rec, const uint8_t *sk,
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
	if ((r = persist_hlc(n, t)) != 0)
		goto out;
	if (id != NULL)
		memcpy(id, rid, SP_ID_BYTES);
	r = 0;
out:
	sp_buf_free(&enc);
	return r;
}

/* Writes a new charter version signed with the community key. */
static int
write_charter(sp_node *n, sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const uint8_t csk[SP_SECKEY_BYTES], const sp_charter *c)
{
	sp_record rec;
	sp_buf body;
	int r;

	sp_buf_init(&body);
	if ((r = sp_charter_encode(c, &body)) != 0)
		goto out;
	memset(&rec, 0, sizeof(rec));
	memcpy(rec.community, community, SP_PUBKEY_BYTES);
	memcpy(rec.author, community, SP_PUBKEY_BYTES);
	strcpy(rec.collection, SP_CHARTER_COLLECTION);
	rec.collection_len = strlen(SP_CHARTER_COLLECTION);
	strcpy(rec.key, SP_CHARTER_KEY);
	rec.key_len = strlen(SP_CHARTER_KEY);
	/* Every node that replicates any part of a community needs its charter. */
	rec.label = SP_LABEL_PUBLIC;
	rec.body = body.data;
	rec.body_len = body.len;
	r = sign_and_apply(n, t, &rec, csk, NULL);
out:
	sp_buf_free(&body);
	return r;
}

int
sp_node_community_create(sp_node *n, const char *alias, sp_community_info *out)
{
	char path[SP_PATH_MAX];
	uint8_t csk[SP_SECKEY_BYTES];
	sp_community_info info;
	sp_charter *c = NULL;
	sp_txn *t = NULL;
	int key_written = 0;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	if ((r = sp_alias_check(alias, strlen(alias))) != 0)
		return r;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	if ((r = sp_store_community_find(t, alias, &info)) != SP_ENOTFOUND) {
		r = r == 0 ? SP_EEXIST : r;
		goto out;
	}
	sp_sign_keypair(info.id, csk);
	strcpy(info.alias, alias);
	if ((r = community_key_path(n, info.id, path, sizeof(path))) != 0 ||
	    (r = sp_file_write_secret(path, csk, sizeof(csk), 1)) != 0)
		goto out;
	key_written = 1;
	if ((r = sp_store_community_add(t, &info)) != 0)
		goto out;
	if ((c = sp_charter_new()) == NULL) {
		r = SP_ENOMEM;
		goto out;
	}
	if ((r = sp_charter_set(c, n->pk, true)) != 0 ||
	    (r = write_charter(n, t, info.id, csk, c)) != 0)
		goto out;
	r = sp_txn_commit(t);
	t = NULL;
	if (r == 0)
		*out = info;
out:
	if (t != NULL)
		sp_txn_abort(t);
	if (r != 0 && key_written)
		unlink(path);
	sp_charter_free(c);
	sp_memzero(csk, sizeof(csk));
	return r;
}

int
sp_node_community_join(sp_node *n, const uint8_t id[SP_PUBKEY_BYTES], const char *alias)
{
	sp_community_info info;
	sp_txn *t;
	int r;

	memset(&info, 0, sizeof(info));
	if ((r = sp_alias_check(alias, strlen(alias))) != 0)
		return r;
	memcpy(info.id, id, SP_PUBKEY_BYTES);
	strcpy(info.alias, alias);
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	if ((r = sp_store_community_add(t, &info)) != 0) {
		sp_txn_abort(t);
		return r;
	}
	return sp_txn_commit(t);
}

/* Loads the charter of community, lets edit change it, and signs the result. */
static int
edit_charter(sp_node *n, const char *community, const uint8_t node[SP_PUBKEY_BYTES],
    bool remove, bool admin)
{
	uint8_t csk[SP_SECKEY_BYTES];
	sp_community_info info;
	sp_charter *c = NULL;
	sp_txn *t = NULL;
	int r;

	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	if ((r = sp_store_community_find(t, community, &info)) != 0)
		goto out;
	if ((r = read_community_key(n, info.id, csk)) != 0)
		goto out;
	if ((r = sp_node_charter(t, info.id, &c)) != 0)
		goto out;
	if (remove)
		r = sp_charter_remove(c, node);
	else
		r = sp_charter_set(c, node, admin);
	if (r != 0)
		goto out;
	if ((r = write_charter(n, t, info.id, csk, c)) != 0)
		goto out;
	r = sp_txn_commit(t);
	t = NULL;
out:
	if (t != NULL)
		sp_txn_abort(t);
	sp_charter_free(c);
	sp_memzero(csk, sizeof(csk));
	return r;
}

int
sp_node_set_writer(sp_node *n, const char *community,
    const uint8_t node[SP_PUBKEY_BYTES], bool admin)
{
	return edit_charter(n, community, node, false, admin);
}

int
sp_node_remove_writer(sp_node *n, const char *community,
    const uint8_t node[SP_PUBKEY_BYTES])
{
	return edit_charter(n, community, node, true, false);
}

int
sp_node_export_key(sp_node *n, const char *community, const char *pass,
    size_t pass_len, sp_buf *out)
{
	uint8_t csk[SP_SECKEY_BYTES];
	sp_community_info info;
	int r;

	if ((r = sp_node_community_find(n, community, &info)) != 0)
		return r;
	if ((r = read_community_key(n, info.id, csk)) != 0)
		return r;
	r = sp_keyfile_seal(out, csk, sizeof(csk), pass, pass_len);
	sp_memzero(csk, sizeof(csk));
	return r;
}

int
sp_node_import_key(sp_node *n, const uint8_t *file, size_t len, const char *pass,
    size_t pass_len, const char *alias, sp_community_info *out)
{
	char path[SP_PATH_MAX];
	uint8_t csk[SP_SECKEY_BYTES], id[SP_PUBKEY_BYTES];
	sp_community_info info;
	sp_txn *t = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	if ((r = sp_keyfile_open(csk, sizeof(csk), file, len, pass, pass_len)) != 0)
		goto out;
	sp_sign_sk_to_pk(id, csk);
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		goto out;
	r = sp_store_community_get(t, id, &info);
	if (r == SP_ENOTFOUND) {
		memcpy(info.id, id, SP_PUBKEY_BYTES);
		if (alias == NULL || *alias == '\0') {
			r = SP_EINVAL;
			goto out;
		}
		if ((r = sp_alias_check(alias, strlen(alias))) != 0)
			goto out;
		strcpy(info.alias, alias);
		if ((r = sp_store_community_add(t, &info)) != 0)
			goto out;
	} else if (r != 0) {
		goto out;
	}
	if ((r = community_key_path(n, info.id, path, sizeof(path))) != 0)
		goto out;
	r = sp_file_write_secret(path, csk, sizeof(csk), 1);
	if (r != 0 && r != SP_EEXIST)
		goto out;
	if ((r = sp_txn_commit(t)) != 0) {
		t = NULL;
		goto out;
	}
	t = NULL;
	*out = info;
	r = 0;
out:
	if (t != NULL)
		sp_txn_abort(t);
	sp_memzero(csk, sizeof(csk));
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
	if ((r = sign_and_apply(n, t, &rec, n->sk, id)) != 0)
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
	static const uint8_t empty_body = 0x80;
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
	if ((r = sign_and_apply(n, t, &rec, n->sk, id)) != 0)
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
	if ((r = persist_hlc(n, t)) != 0)
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

/* The charters a received batch needs, decoded once each. */
typedef struct charter_cache {
	uint8_t community[SP_PUBKEY_BYTES];
	sp_charter *c;            /* NULL: none here yet */
	uint64_t timestamp;       /* of its record */
} charter_cache;
#define CHARTER_CACHE 16

/* The community's charter through the cache: *out is the entry (its c NULL when none here). */
static int
cached_charter(sp_txn *t, charter_cache *cache, size_t *n,
    const uint8_t community[SP_PUBKEY_BYTES], const charter_cache **out)
{
	charter_cache *e;
	size_t i;
	int r;

	for (i = 0; i < *n; i++) {
		if (memcmp(cache[i].community, community, SP_PUBKEY_BYTES) == 0) {
			*out = &cache[i];
			return 0;
		}
	}
	if (*n == CHARTER_CACHE)
		sp_charter_free(cache[--*n].c);
	e = &cache[*n];
	e->timestamp = 0;
	r = charter_at(t, community, &e->c, &e->timestamp);
	if (r != 0 && r != SP_ENOCHARTER)
		return r;
	memcpy(e->community, community, SP_PUBKEY_BYTES);
	(*n)++;
	*out = e;
	return 0;
}

static void
forget_charter(charter_cache *cache, size_t *n, const uint8_t community[SP_PUBKEY_BYTES])
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (memcmp(cache[i].community, community, SP_PUBKEY_BYTES) == 0) {
			sp_charter_free(cache[i].c);
			cache[i] = cache[--*n];
			return;
		}
	}
}

/* A received charter: the community's own signature, on a community we know. */
/*
 * A record of a system collection (syscoll.h): its shape, and who wrote
 * it. Only a community this node knows takes them.
 */
static int
check_system(sp_txn *t, const sp_syscoll *sc, const sp_record *rec)
{
	sp_community_info info;
	int r;

	if ((r = sp_syscoll_check(sc, rec)) != 0)
		return r;
	/* SP_SYS_COMMUNITY_KEY, the only kind of writer the table names yet. */
	if (memcmp(rec->author, rec->community, SP_PUBKEY_BYTES) != 0)
		return sc->shape_error;
	return sp_store_community_get(t, rec->community, &info);
}

/*
 * Any other record: by a writer; a deletion by the deleted version's
 * author or an admin. An author who is not a writer in the charter held
 * here, on a record newer than that charter, may have been added by a
 * charter still on its way: SP_EAUTHOR_UNKNOWN, so that the record can
 * wait for it rather than count against the peer that relayed it.
 */
static int
check_received(sp_txn *t, charter_cache *cache, size_t *ncache, const sp_record *rec)
{
	const charter_cache *ch;
	sp_stored st;
	sp_record cur;
	int r;

	if (rec->collection[0] == '.' || rec->collection[0] == '_')
		return SP_ERESERVED;
	if ((r = cached_charter(t, cache, ncache, rec->community, &ch)) != 0)
		return r;
	if (ch->c == NULL)
		return SP_ENOCHARTER;
	if (!sp_charter_is_writer(ch->c, rec->author))
		return rec->timestamp > ch->timestamp ? SP_EAUTHOR_UNKNOWN : SP_ENOTWRITER;
	if (!(rec->flags & SP_FLAG_TOMBSTONE) || sp_charter_is_admin(ch->c, rec->author))
		return 0;
	r = sp_store_get(t, rec->community, rec->collection, rec->collection_len,
	    rec->key, rec->key_len, &st);
	if (r == SP_ENOTFOUND)
		return 0;
	if (r != 0)
		return r;
	if (sp_record_decode(st.data, st.len, &cur) != 0)
		return SP_ECORRUPT;
	/* A tombstone may follow another by anyone entitled to the first. */
	if ((cur.flags & SP_FLAG_TOMBSTONE) || memcmp(cur.author, rec->author, SP_PUBKEY_BYTES) == 0)
		return 0;
	return SP_ENOTADMIN;
}

int
sp_node_receive(sp_node *n, sp_incoming *v, size_t count, bool *charters)
{
	charter_cache cache[CHARTER_CACHE];
	size_t ncache = 0, i;
	enum sp_apply_result res;
	bool erased = false;
	sp_txn *t = NULL;
	int r;

	*charters = false;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	for (i = 0; i < count; i++) {
		sp_incoming *in = &v[i];
		const sp_syscoll *sc = sp_syscoll_find(in->rec.collection, in->rec.collection_len);

		in->result = sc != NULL ? check_system(t, sc, &in->rec) :
		    check_received(t, cache, &ncache, &in->rec);
		if (in->result == SP_ECORRUPT || in->result == SP_ESTORE) {
			r = in->result;
			goto out;
		}
		if (in->result != 0)
			continue;
		if ((r = sp_store_apply(t, in->data, in->len, &in->rec, in->id, NULL, &res)) != 0)
			goto out;
		if (res == SP_APPLY_STALE) {
			in->result = SP_ESTALE;
			continue;
		}
		pthread_mutex_lock(&n->hlc_lock);
		sp_hlc_observe(&n->hlc, in->rec.timestamp);
		pthread_mutex_unlock(&n->hlc_lock);
		if (in->rec.flags & SP_FLAG_ERASED)
			erased = true;
		if (sc == sp_syscoll_charter()) {
			forget_charter(cache, &ncache, in->rec.community);
			*charters = true;
		}
	}
	if ((r = persist_hlc(n, t)) != 0)
		goto out;
	r = sp_txn_commit(t);
	t = NULL;
	/* The erased content must leave the files now, as it did on the author's node. */
	if (r == 0 && erased)
		r = sp_store_scrub(n->store);
out:
	if (t != NULL)
		sp_txn_abort(t);
	for (i = 0; i < ncache; i++)
		sp_charter_free(cache[i].c);
	return r;
}

/*
 * test_node.c - the node's rules (daemon/node.c, node_community.c,
 * node_receive.c) on a real data directory: charter authorisation on
 * every local write path, writer removal, the label rule, reserved
 * collections, rm/erase permissions, key export and import, communities
 * a hub learns, import batches under the journal, system records
 * written here, the hubs a community consented to, and heartbeats.
 */
#include "sp_test.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base32.h"
#include "charter.h"
#include "crypto.h"
#include "datadir.h"
#include "definition.h"
#include "heartbeat.h"
#include "identity.h"
#include "node.h"
#include "pack.h"
#include "record.h"
#include "sp_err.h"
#include "store.h"
#include "summary.h"
#include "syscoll.h"

static uint64_t g_now = 1700000000000ull;

static uint64_t
fake_now(void)
{
	return g_now;
}

typedef struct fixture {
	char *dir;
	sp_node *n;
	sp_community_info c;
	uint8_t me[32];
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_non_null(f->dir = sp_test_mkdtemp());
	assert_int_equal(sp_identity_create(f->dir, f->me), 0);
	assert_int_equal(sp_node_open(f->dir, fake_now, NULL, &f->n), 0);
	assert_int_equal(sp_node_community_create(f->n, "rt03", &f->c), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	sp_node_close(f->n);
	sp_test_rmdir(f->dir);
	free(f);
	return 0;
}

/* A write of {"v": v} to households/key with an optional label. */
static sp_write
wr(const fixture *f, const char *key, sp_buf *body, int64_t v, int label)
{
	sp_write w;

	memset(&w, 0, sizeof(w));
	sp_buf_reset(body);
	sp_pack_map(body, 1);
	sp_pack_cstr(body, "v");
	sp_pack_int(body, v);
	memcpy(w.community, f->c.id, 32);
	w.collection = "households";
	w.collection_len = strlen(w.collection);
	w.key = key;
	w.key_len = strlen(key);
	w.body = body->data;
	w.body_len = body->len;
	if (label >= 0) {
		w.label = (enum sp_label)label;
		w.label_given = true;
	}
	return w;
}

static void
test_put_and_rules(void **state)
{
	fixture *f = *state;
	uint8_t id[32];
	sp_buf body;
	sp_write w;

	sp_buf_init(&body);
	w = wr(f, "h-001", &body, 1, SP_LABEL_SHARED);
	assert_int_equal(sp_node_put(f->n, &w, id), 0);
	/* Narrowing in place is refused; keeping or widening is fine. */
	w = wr(f, "h-001", &body, 2, SP_LABEL_COMMUNITY);
	assert_int_equal(sp_node_put(f->n, &w, id), SP_ELABEL_NARROW);
	w = wr(f, "h-001", &body, 2, -1);
	assert_int_equal(sp_node_put(f->n, &w, id), 0);
	w = wr(f, "h-001", &body, 3, SP_LABEL_PUBLIC);
	assert_int_equal(sp_node_put(f->n, &w, id), 0);
	/* rm keeps the label, so narrowing after rm is still refused... */
	assert_int_equal(sp_node_rm(f->n, &w, false, id), 0);
	assert_int_equal(sp_node_rm(f->n, &w, false, id), SP_ENOTFOUND);
	w = wr(f, "h-001", &body, 4, SP_LABEL_PRIVATE);
	assert_int_equal(sp_node_put(f->n, &w, id), SP_ELABEL_NARROW);
	/* ...until an erase clears the way. */
	assert_int_equal(sp_node_rm(f->n, &w, true, id), 0);
	assert_int_equal(sp_node_rm(f->n, &w, true, id), SP_ENOTFOUND);
	assert_int_equal(sp_node_put(f->n, &w, id), 0);
	/* Reserved and malformed names. */
	w = wr(f, "h-002", &body, 1, -1);
	w.collection = ".charter";
	w.collection_len = 8;
	assert_int_equal(sp_node_put(f->n, &w, id), SP_ERESERVED);
	w.collection = "Bad Name";
	w.collection_len = 8;
	assert_int_equal(sp_node_put(f->n, &w, id), SP_ECOLLECTION);
	w = wr(f, "", &body, 1, -1);
	assert_int_equal(sp_node_put(f->n, &w, id), SP_EKEY);
	sp_buf_free(&body);
}

/* Applies a record authored by another key straight into the store. */
static void
apply_foreign(fixture *f, const uint8_t sk[64], const char *key)
{
	static const uint8_t body[] = { 0x80 };
	enum sp_apply_result res;
	sp_record rec;
	sp_buf enc;
	sp_txn *t;
	uint8_t id[32];

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.community, f->c.id, 32);
	sp_sign_sk_to_pk(rec.author, sk);
	strcpy(rec.collection, "households");
	rec.collection_len = strlen(rec.collection);
	strcpy(rec.key, key);
	rec.key_len = strlen(key);
	rec.timestamp = (g_now << 16) + 7;
	rec.label = SP_LABEL_COMMUNITY;
	rec.body = body;
	rec.body_len = sizeof(body);
	sp_buf_init(&enc);
	assert_int_equal(sp_record_sign(&rec, sk, &enc, id), 0);
	assert_int_equal(sp_txn_begin(sp_node_store(f->n), true, &t), 0);
	assert_int_equal(sp_store_apply(t, enc.data, enc.len, &rec, id, NULL, &res), 0);
	assert_int_equal(sp_txn_commit(t), 0);
	sp_buf_free(&enc);
}

static void
test_writers(void **state)
{
	fixture *f = *state;
	uint8_t xpk[32], xsk[64], id[32];
	char name[SP_ID_STR_LEN + 1];
	sp_buf body;
	sp_write w;

	sp_buf_init(&body);
	sp_sign_keypair(xpk, xsk);
	sp_base32_encode(name, f->c.id, 32);
	/* The community is found by alias and by id. */
	assert_int_equal(sp_node_set_writer(f->n, name, xpk, true), 0);
	/* The last admin cannot be removed, nor demoted. */
	assert_int_equal(sp_node_remove_writer(f->n, "rt03", xpk), 0);
	assert_int_equal(sp_node_set_writer(f->n, "rt03", f->me, false), SP_ELASTADMIN);
	assert_int_equal(sp_node_remove_writer(f->n, "rt03", f->me), SP_ELASTADMIN);
	assert_int_equal(sp_node_set_writer(f->n, "rt03", xpk, true), 0);
	/* This node becomes a plain writer: it may remove only its own records. */
	assert_int_equal(sp_node_set_writer(f->n, "rt03", f->me, false), 0);
	apply_foreign(f, xsk, "by-x");
	w = wr(f, "by-x", &body, 1, -1);
	assert_int_equal(sp_node_rm(f->n, &w, false, id), SP_ENOTADMIN);
	assert_int_equal(sp_node_rm(f->n, &w, true, id), SP_ENOTADMIN);
	w = wr(f, "mine", &body, 1, -1);
	assert_int_equal(sp_node_put(f->n, &w, id), 0);
	assert_int_equal(sp_node_rm(f->n, &w, false, id), 0);
	/* Removed from the charter: every write path refuses. */
	assert_int_equal(sp_node_remove_writer(f->n, "rt03", f->me), 0);
	w = wr(f, "mine", &body, 2, -1);
	assert_int_equal(sp_node_put(f->n, &w, id), SP_ENOTWRITER);
	assert_int_equal(sp_node_rm(f->n, &w, true, id), SP_ENOTWRITER);
	/* The key holder can still sign charters, and put this node back. */
	assert_int_equal(sp_node_set_writer(f->n, "rt03", f->me, false), 0);
	assert_int_equal(sp_node_put(f->n, &w, id), 0);
	sp_buf_free(&body);
}

static void
test_no_charter_no_key(void **state)
{
	fixture *f = *state;
	uint8_t other[32], osk[64], id[32];
	sp_buf body, file;
	sp_write w;
	sp_community_info info;

	sp_buf_init(&body);
	sp_buf_init(&file);
	sp_sign_keypair(other, osk);
	assert_int_equal(sp_node_community_join(f->n, other, "pkk"), 0);
	assert_int_equal(sp_node_community_join(f->n, other, "pkk2"), SP_EEXIST);
	w = wr(f, "h-1", &body, 1, -1);
	memcpy(w.community, other, 32);
	assert_int_equal(sp_node_put(f->n, &w, id), SP_ENOCHARTER);
	assert_int_equal(sp_node_set_writer(f->n, "pkk", other, false), SP_ENOCOMMUNITYKEY);
	assert_false(sp_node_has_community_key(f->n, other));
	/* Export and import the key of rt03 under a passphrase. */
	assert_int_equal(sp_node_export_key(f->n, "rt03", "pw", 2, &file), 0);
	assert_int_equal(sp_node_import_key(f->n, file.data, file.len, "bad", 3, NULL, &info),
	    SP_EPASSPHRASE);
	assert_int_equal(sp_node_import_key(f->n, file.data, file.len, "pw", 2, NULL, &info), 0);
	assert_memory_equal(info.id, f->c.id, 32);
	assert_string_equal(info.alias, "rt03");
	sp_buf_free(&file);
	sp_buf_free(&body);
}

/*
 * A hub learns communities (sp_node_community_learn): the unknown ones
 * under their id's first 12 base32 characters, or all but the last when
 * that alias is taken; known ones and repeats are left as they are.
 */
static void
test_learn_communities(void **state)
{
	fixture *f = *state;
	uint8_t ids[4][32], sk[64], third[32];
	char b32[SP_ID_STR_LEN + 1], alias[SP_ID_STR_LEN + 1];
	sp_community_info info;
	size_t added = 99;

	sp_sign_keypair(ids[0], sk);
	memcpy(ids[1], f->c.id, 32);
	sp_sign_keypair(ids[2], sk);
	memcpy(ids[3], ids[0], 32);
	/* Another community holds the short alias of ids[2]. */
	sp_sign_keypair(third, sk);
	sp_base32_encode(b32, ids[2], 32);
	memcpy(alias, b32, 12);
	alias[12] = '\0';
	assert_int_equal(sp_node_community_join(f->n, third, alias), 0);

	assert_int_equal(sp_node_community_learn(f->n, ids, 4, &added), 0);
	assert_int_equal(added, 2);
	sp_base32_encode(b32, ids[0], 32);
	memcpy(alias, b32, 12);
	alias[12] = '\0';
	assert_int_equal(sp_node_community_find(f->n, alias, &info), 0);
	assert_memory_equal(info.id, ids[0], 32);
	sp_base32_encode(b32, ids[2], 32);
	b32[SP_ID_STR_LEN - 1] = '\0';
	assert_int_equal(sp_node_community_find(f->n, b32, &info), 0);
	assert_memory_equal(info.id, ids[2], 32);
	assert_string_equal(info.alias, b32);
	/* Known already: rt03 keeps its alias, nothing is new. */
	assert_int_equal(sp_node_community_find(f->n, "rt03", &info), 0);
	assert_memory_equal(info.id, f->c.id, 32);
	assert_int_equal(sp_node_community_learn(f->n, ids, 4, &added), 0);
	assert_int_equal(added, 0);
	assert_int_equal(sp_node_community_learn(f->n, ids, 0, &added), 0);
	assert_int_equal(added, 0);
}

/*
 * A community key file of the right size whose public half is not its
 * seed's key would sign charters no peer can verify: it is refused.
 */
static void
test_damaged_community_key(void **state)
{
	fixture *f = *state;
	char name[SP_ID_STR_LEN + 1], path[SP_PATH_MAX];
	uint8_t key[64], xpk[32], xsk[64];
	sp_buf file;
	int fd;

	sp_buf_init(&file);
	sp_sign_keypair(xpk, xsk);
	sp_base32_encode(name, f->c.id, 32);
	snprintf(path, sizeof path, "%s/communities/%s.key", f->dir, name);
	assert_true((fd = open(path, O_RDONLY)) >= 0);
	assert_int_equal(read(fd, key, sizeof key), (ssize_t)sizeof key);
	close(fd);
	key[40] ^= 0x01;
	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) >= 0);
	assert_int_equal(write(fd, key, sizeof key), (ssize_t)sizeof key);
	close(fd);
	assert_int_equal(sp_node_set_writer(f->n, "rt03", xpk, false), SP_EKEYPAIR);
	assert_int_equal(sp_node_export_key(f->n, "rt03", "pw", 2, &file), SP_EKEYPAIR);
	assert_int_equal(file.len, 0);
	sp_buf_free(&file);
}

static void
test_import_batches(void **state)
{
	fixture *f = *state;
	sp_buf body, rows, batch;
	char detail[256];
	sp_import imp;
	sp_stored st;
	sp_write spec;
	sp_txn *t;
	size_t count;
	uint8_t id[32];
	int i;

	sp_buf_init(&body);
	sp_buf_init(&rows);
	sp_buf_init(&batch);
	spec = wr(f, "x", &body, 0, SP_LABEL_COMMUNITY);
	sp_pack_array(&rows, 100);
	for (i = 0; i < 100; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k-%03d", i);
		sp_pack_array(&rows, 2);
		sp_pack_cstr(&rows, key);
		sp_pack_map(&rows, 1);
		sp_pack_cstr(&rows, "i");
		sp_pack_int(&rows, i);
	}
	assert_int_equal(sp_node_sign_rows(f->n, &spec, rows.data, rows.len, &batch, &count,
	    detail, sizeof(detail)), 0);
	assert_int_equal(count, 100);
	assert_int_equal(sp_store_import_begin(sp_node_store(f->n), f->c.id, "households", 10, &imp), 0);
	assert_int_equal(sp_node_write_batch(f->n, &imp, batch.data, batch.len, detail, sizeof(detail)), 0);
	assert_int_equal(sp_store_import_commit(sp_node_store(f->n), &imp), 0);
	assert_int_equal(sp_txn_begin(sp_node_store(f->n), false, &t), 0);
	assert_int_equal(sp_store_get(t, f->c.id, "households", 10, "k-099", 5, &st), 0);
	sp_txn_abort(t);

	/* A key made public by a put cannot be narrowed by an import. */
	spec = wr(f, "k-050", &body, 1, SP_LABEL_PUBLIC);
	assert_int_equal(sp_node_put(f->n, &spec, id), 0);
	spec = wr(f, "x", &body, 0, SP_LABEL_COMMUNITY);
	sp_buf_reset(&batch);
	assert_int_equal(sp_node_sign_rows(f->n, &spec, rows.data, rows.len, &batch, &count,
	    detail, sizeof(detail)), 0);
	assert_int_equal(sp_store_import_begin(sp_node_store(f->n), f->c.id, "households", 10, &imp), 0);
	assert_int_equal(sp_node_write_batch(f->n, &imp, batch.data, batch.len, detail, sizeof(detail)),
	    SP_ELABEL_NARROW);
	assert_non_null(strstr(detail, "k-050"));
	assert_int_equal(sp_store_import_rollback(sp_node_store(f->n), &imp), 0);
	/* Without an explicit label the rows keep theirs, as put does: no narrowing. */
	spec.label_given = false;
	sp_buf_reset(&batch);
	assert_int_equal(sp_node_sign_rows(f->n, &spec, rows.data, rows.len, &batch, &count,
	    detail, sizeof(detail)), 0);
	assert_int_equal(sp_store_import_begin(sp_node_store(f->n), f->c.id, "households", 10, &imp), 0);
	assert_int_equal(sp_node_write_batch(f->n, &imp, batch.data, batch.len, detail, sizeof(detail)), 0);
	assert_int_equal(sp_store_import_commit(sp_node_store(f->n), &imp), 0);
	assert_int_equal(sp_txn_begin(sp_node_store(f->n), false, &t), 0);
	assert_int_equal(sp_store_get(t, f->c.id, "households", 10, "k-050", 5, &st), 0);
	{
		sp_record rec;

		assert_int_equal(sp_record_decode(st.data, st.len, &rec), 0);
		assert_int_equal(rec.label, SP_LABEL_PUBLIC);
		assert_int_equal(sp_store_get(t, f->c.id, "households", 10, "k-051", 5, &st), 0);
		assert_int_equal(sp_record_decode(st.data, st.len, &rec), 0);
		assert_int_equal(rec.label, SP_LABEL_COMMUNITY);
	}
	sp_txn_abort(t);

	/* Rows with a bad key or body are refused, naming the row. */
	sp_buf_reset(&rows);
	sp_pack_array(&rows, 1);
	sp_pack_array(&rows, 2);
	sp_pack_cstr(&rows, "");
	sp_pack_map(&rows, 0);
	assert_int_equal(sp_node_sign_rows(f->n, &spec, rows.data, rows.len, &batch, &count,
	    detail, sizeof(detail)), SP_EKEY);
	assert_non_null(strstr(detail, "row 1"));
	sp_buf_free(&rows);
	sp_buf_free(&batch);
	sp_buf_free(&body);
}

/* The body of a one-way definition: cases by category. */
static void
small_definition(sp_buf *out)
{
	sp_definition d;

	memset(&d, 0, sizeof(d));
	snprintf(d.from, sizeof(d.from), "cases");
	snprintf(d.by[0], sizeof(d.by[0]), "category");
	d.nby = 1;
	d.k = 5;
	sp_buf_init(out);
	assert_int_equal(sp_definition_encode(&d, out), 0);
}

/* A system write of body to collection/key in the fixture's community. */
static sp_write
sys_write(const fixture *f, const char *collection, const char *key, const sp_buf *body)
{
	sp_write w;

	memset(&w, 0, sizeof(w));
	memcpy(w.community, f->c.id, 32);
	w.collection = collection;
	w.collection_len = strlen(collection);
	w.key = key;
	w.key_len = strlen(key);
	if (body != NULL) {
		w.body = body->data;
		w.body_len = body->len;
	}
	return w;
}

/* The label of the current version of collection/key, or -1 when none is live. */
static int
live_label(fixture *f, const char *collection, const char *key)
{
	sp_stored st;
	sp_record rec;
	sp_txn *t;
	int label = -1;

	assert_int_equal(sp_txn_begin(sp_node_store(f->n), false, &t), 0);
	if (sp_store_get(t, f->c.id, collection, strlen(collection), key, strlen(key), &st) == 0) {
		assert_int_equal(sp_record_decode(st.data, st.len, &rec), 0);
		if (!(rec.flags & SP_FLAG_TOMBSTONE))
			label = (int)rec.label;
	}
	sp_txn_abort(t);
	return label;
}

/*
 * System records written here: the row sets the label and who may write
 * (an admin for definitions and consents), the record is checked as a
 * peer would check it, and only rows that are not the community key's.
 */
static void
test_system_records(void **state)
{
	fixture *f = *state;
	char consents[SP_COLLECTION_MAX + 1];
	uint8_t id[32], other[32], other_sk[64];
	sp_consent c;
	sp_buf def, con;
	sp_write w;

	small_definition(&def);
	w = sys_write(f, SP_DEFINITION_COLLECTION, "pmks", &def);
	assert_int_equal(sp_node_put_system(f->n, &w, false, id), 0);
	assert_int_equal(live_label(f, SP_DEFINITION_COLLECTION, "pmks"), SP_LABEL_COMMUNITY);

	/* A consent for hub other: its body must name that hub and the key. */
	sp_sign_keypair(other, other_sk);
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "pmks");
	memcpy(c.definition, id, sizeof(id));
	memcpy(c.hub, other, sizeof(other));
	sp_buf_init(&con);
	assert_int_equal(sp_consent_encode(&c, &con), 0);
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), other, consents);
	w = sys_write(f, consents, "pmks", &con);
	assert_int_equal(sp_node_put_system(f->n, &w, false, id), 0);
	assert_int_equal(live_label(f, consents, "pmks"), SP_LABEL_PUBLIC);
	w = sys_write(f, consents, "other", &con);
	assert_int_equal(sp_node_put_system(f->n, &w, false, id), SP_ECONSENT);
	/* Not a row; the community key's row; a user collection. */
	w = sys_write(f, ".summaries", "pmks", &def);
	assert_int_equal(sp_node_put_system(f->n, &w, false, id), SP_ERESERVED);
	w = sys_write(f, SP_CHARTER_COLLECTION, SP_CHARTER_KEY, &def);
	assert_int_equal(sp_node_put_system(f->n, &w, false, id), SP_ERESERVED);
	w = sys_write(f, "households", "pmks", &def);
	assert_int_equal(sp_node_put_system(f->n, &w, false, id), SP_ERESERVED);

	/* Withdrawn: a tombstone, once. */
	w = sys_write(f, consents, "pmks", NULL);
	assert_int_equal(sp_node_put_system(f->n, &w, true, id), 0);
	assert_int_equal(live_label(f, consents, "pmks"), -1);
	assert_int_equal(sp_node_put_system(f->n, &w, true, id), SP_ENOTFOUND);

	/* A writer that is not an admin may write neither. */
	assert_int_equal(sp_node_set_writer(f->n, "rt03", other, true), 0);
	assert_int_equal(sp_node_set_writer(f->n, "rt03", f->me, false), 0);
	w = sys_write(f, SP_DEFINITION_COLLECTION, "pmks", &def);
	assert_int_equal(sp_node_put_system(f->n, &w, false, id), SP_ENOTADMIN);
	assert_int_equal(sp_node_put_system(f->n, &w, true, id), SP_ENOTADMIN);
	sp_buf_free(&def);
	sp_buf_free(&con);
}

/* A record signed here with sk, decoded into in (its bytes in out). */
static void
received(const fixture *f, const uint8_t *sk, const char *collection, const char *key,
    enum sp_label label, const sp_buf *body, sp_buf *out, sp_incoming *in)
{
	sp_record rec;

	memset(&rec, 0, sizeof(rec));
	memcpy(rec.community, f->c.id, 32);
	memcpy(rec.author, sk + 32, 32);
	snprintf(rec.collection, sizeof(rec.collection), "%s", collection);
	rec.collection_len = strlen(rec.collection);
	snprintf(rec.key, sizeof(rec.key), "%s", key);
	rec.key_len = strlen(rec.key);
	rec.timestamp = (g_now - 500) << 16;
	rec.label = label;
	rec.body = body->data;
	rec.body_len = body->len;
	sp_buf_init(out);
	memset(in, 0, sizeof(*in));
	assert_int_equal(sp_record_sign(&rec, sk, out, in->id), 0);
	assert_int_equal(sp_record_decode(out->data, out->len, &in->rec), 0);
	in->data = out->data;
	in->len = out->len;
}

/* The body of a consent to hub for definition def (the id of its version). */
static void
consent_body(sp_buf *out, const uint8_t hub[32], const uint8_t def[32], uint64_t until_ms)
{
	sp_consent c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "pmks");
	memcpy(c.hub, hub, 32);
	memcpy(c.definition, def, 32);
	c.until_ms = until_ms;
	sp_buf_init(out);
	assert_int_equal(sp_consent_encode(&c, out), 0);
}

/* A one-way summary body for period 2026-11 naming consent (a record id). */
static void
summary_body(sp_buf *out, const uint8_t consent[32])
{
	sp_summary *s;

	assert_int_equal(sp_summary_new(1, 0, 0, &s), 0);
	strcpy(sp_summary_name(s), "pmks");
	strcpy(sp_summary_period(s), "2026-11");
	memcpy(sp_summary_consent(s), consent, 32);
	*sp_summary_k(s) = 5;
	strcpy(sp_summary_row(s, 0), "anak");
	sp_buf_init(out);
	assert_int_equal(sp_summary_encode(s, out), 0);
	sp_summary_free(s);
}

/* Receives one record; returns its result. */
static int
receive_one(fixture *f, sp_incoming *in)
{
	bool charters;

	assert_int_equal(sp_node_receive(f->n, in, 1, &charters), 0);
	return in->result;
}

/*
 * A hub stores from peers only what its row says hubs keep: a user
 * record (of any label) and a summary definition are refused with
 * SP_EHUBONLY and not stored. A consent or summary for another hub is
 * refused; a summary needs its consent held here, live, unexpired and by
 * an admin of the current charter.
 */
static void
test_hub_stores_only(void **state)
{
	fixture *f = *state;
	char consents[SP_COLLECTION_MAX + 1], others[SP_COLLECTION_MAX + 1];
	char summaries[SP_COLLECTION_MAX + 1];
	uint8_t sk[64], pk[32], other[32], other_sk[64], def[32] = { 0xde }, nobody[32] = { 0x77 };
	sp_buf body, b_def, b_con, b_sum, rec;
	sp_incoming in;

	assert_int_equal(sp_identity_load(f->dir, sk, pk), 0);
	sp_sign_keypair(other, other_sk);
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), pk, consents);
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), other, others);
	sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), pk, summaries);
	sp_node_set_hub(f->n, true);
	assert_true(sp_node_is_hub(f->n));

	sp_buf_init(&body);
	sp_pack_map(&body, 1);
	sp_pack_cstr(&body, "v");
	sp_pack_int(&body, 1);
	received(f, sk, "households", "h-1", SP_LABEL_PUBLIC, &body, &rec, &in);
	assert_int_equal(receive_one(f, &in), SP_EHUBONLY);
	assert_int_equal(live_label(f, "households", "h-1"), -1);
	sp_buf_free(&rec);
	small_definition(&b_def);
	received(f, sk, SP_DEFINITION_COLLECTION, "pmks", SP_LABEL_COMMUNITY, &b_def, &rec, &in);
	assert_int_equal(receive_one(f, &in), SP_EHUBONLY);
	sp_buf_free(&rec);

	/* A consent for another hub, then one for this hub. */
	consent_body(&b_con, other, def, 0);
	received(f, sk, others, "pmks", SP_LABEL_PUBLIC, &b_con, &rec, &in);
	assert_int_equal(receive_one(f, &in), SP_ECONSENT_HUB);
	sp_buf_free(&rec);
	sp_buf_free(&b_con);
	summary_body(&b_sum, nobody);
	received(f, sk, summaries, "pmks/2026-11", SP_LABEL_PUBLIC, &b_sum, &rec, &in);
	assert_int_equal(receive_one(f, &in), SP_ENOCONSENT);
	sp_buf_free(&rec);
	sp_buf_free(&b_sum);

	consent_body(&b_con, pk, def, 0);
	received(f, sk, consents, "pmks", SP_LABEL_PUBLIC, &b_con, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	summary_body(&b_sum, in.id);
	sp_buf_free(&rec);
	received(f, sk, summaries, "pmks/2026-11", SP_LABEL_PUBLIC, &b_sum, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	assert_int_equal(live_label(f, summaries, "pmks/2026-11"), SP_LABEL_PUBLIC);
	sp_buf_free(&rec);
	sp_buf_free(&b_sum);
	sp_buf_free(&b_con);

	/* Expired: a consent that ended before now. */
	g_now += 1000;
	consent_body(&b_con, pk, def, g_now - 1);
	received(f, sk, consents, "pmks", SP_LABEL_PUBLIC, &b_con, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	summary_body(&b_sum, in.id);
	sp_buf_free(&rec);
	received(f, sk, summaries, "pmks/2026-11", SP_LABEL_PUBLIC, &b_sum, &rec, &in);
	assert_int_equal(receive_one(f, &in), SP_ECONSENT_EXPIRED);
	sp_buf_free(&rec);
	sp_buf_free(&b_sum);
	sp_buf_free(&b_con);

	/* By an admin who is one no more. */
	assert_int_equal(sp_node_set_writer(f->n, "rt03", other, true), 0);
	g_now += 1000;
	consent_body(&b_con, pk, def, 0);
	received(f, other_sk, consents, "pmks", SP_LABEL_PUBLIC, &b_con, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	summary_body(&b_sum, in.id);
	sp_buf_free(&rec);
	assert_int_equal(sp_node_set_writer(f->n, "rt03", other, false), 0);
	received(f, sk, summaries, "pmks/2026-11", SP_LABEL_PUBLIC, &b_sum, &rec, &in);
	assert_int_equal(receive_one(f, &in), SP_ECONSENT_ADMIN);
	sp_buf_free(&rec);
	sp_buf_free(&b_sum);
	sp_buf_free(&b_con);

	/* Not a hub: the user record is stored. */
	sp_node_set_hub(f->n, false);
	received(f, sk, "households", "h-1", SP_LABEL_PUBLIC, &body, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	sp_buf_free(&rec);
	sp_buf_free(&body);
	sp_buf_free(&b_def);
}

/*
 * summary define, consent, withdraw: the consent names the definition's
 * current version; withdrawing it deletes it and every summary published
 * under it (each period), and leaves other hubs' alone.
 */
static void
test_withdraw_summaries(void **state)
{
	fixture *f = *state;
	char summaries[SP_COLLECTION_MAX + 1], others[SP_COLLECTION_MAX + 1], key[32];
	uint8_t hub[32] = { 0x4b }, other[32] = { 0x4c }, id[32];
	static const char *const periods[] = { "2026-10", "2026-11" };
	sp_written out;
	sp_summary *s;
	sp_buf def, sum;
	sp_write w;
	size_t i;

	small_definition(&def);
	assert_int_equal(sp_node_summary_define(f->n, f->c.id, "pmks", def.data, def.len, &out), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(sp_node_summary_consent(f->n, f->c.id, "pmks", hub, 0, &out), 0);
	assert_int_equal(sp_node_summary_consent(f->n, f->c.id, "pmks", other, 0, &out), 0);
	assert_int_equal(sp_node_summary_consent(f->n, f->c.id, "nope", hub, 0, &out), SP_ENOTFOUND);
	sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), hub, summaries);
	sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), other, others);
	for (i = 0; i < 2; i++) {
		assert_int_equal(sp_summary_new(1, 0, 0, &s), 0);
		strcpy(sp_summary_name(s), "pmks");
		strcpy(sp_summary_period(s), periods[i]);
		*sp_summary_k(s) = 5;
		strcpy(sp_summary_row(s, 0), "anak");
		sp_buf_init(&sum);
		assert_int_equal(sp_summary_encode(s, &sum), 0);
		sp_summary_free(s);
		snprintf(key, sizeof(key), "pmks/%s", periods[i]);
		w = sys_write(f, summaries, key, &sum);
		assert_int_equal(sp_node_put_system(f->n, &w, false, id), 0);
		w = sys_write(f, others, key, &sum);
		assert_int_equal(sp_node_put_system(f->n, &w, false, id), 0);
		sp_buf_free(&sum);
	}
	assert_int_equal(sp_node_summary_withdraw(f->n, f->c.id, "pmks", hub, &out), 0);
	assert_int_equal(out.n, 3);
	assert_false(out.more);
	assert_int_equal(live_label(f, summaries, "pmks/2026-10"), -1);
	assert_int_equal(live_label(f, summaries, "pmks/2026-11"), -1);
	assert_int_equal(live_label(f, others, "pmks/2026-11"), SP_LABEL_PUBLIC);
	assert_int_equal(sp_node_summary_withdraw(f->n, f->c.id, "pmks", hub, &out), SP_ENOTFOUND);
	assert_int_equal(out.n, 0);
	/* rm: the definition, the other consent and its summaries. */
	assert_int_equal(sp_node_summary_rm(f->n, f->c.id, "pmks", &out), 0);
	assert_int_equal(out.n, 4);
	assert_int_equal(live_label(f, others, "pmks/2026-10"), -1);
	assert_int_equal(live_label(f, SP_DEFINITION_COLLECTION, "pmks"), -1);
	sp_buf_free(&def);
}

/* A case record in the fixture's community, put here. */
static void
put_case(fixture *f, const char *key, const char *category)
{
	sp_buf body;
	sp_write w;
	uint8_t id[32];

	sp_buf_init(&body);
	sp_pack_map(&body, 1);
	sp_pack_cstr(&body, "category");
	sp_pack_cstr(&body, category);
	memset(&w, 0, sizeof(w));
	memcpy(w.community, f->c.id, 32);
	w.collection = "cases";
	w.collection_len = 5;
	w.key = key;
	w.key_len = strlen(key);
	w.body = body.data;
	w.body_len = body.len;
	assert_int_equal(sp_node_put(f->n, &w, id), 0);
	sp_buf_free(&body);
}

/* The live summary published to collection under key, decoded; NULL if none. */
static sp_summary *
published_summary(fixture *f, const char *collection, const char *key)
{
	sp_summary *s = NULL;
	sp_stored st;
	sp_record rec;
	sp_txn *t;

	assert_int_equal(sp_txn_begin(sp_node_store(f->n), false, &t), 0);
	if (sp_store_get(t, f->c.id, collection, strlen(collection), key, strlen(key), &st) == 0) {
		assert_int_equal(sp_record_decode(st.data, st.len, &rec), 0);
		if (!(rec.flags & SP_FLAG_TOMBSTONE))
			assert_int_equal(sp_summary_decode(rec.body, rec.body_len, &s), 0);
	}
	sp_txn_abort(t);
	return s;
}

/*
 * publish: the counts of the current cases through disclosure control, to
 * each hub whose consent holds; nothing new when nothing changed; nothing
 * without a consent that holds (withdrawn, expired, or for an earlier
 * version of the definition).
 */
static void
test_publish(void **state)
{
	fixture *f = *state;
	char summaries[SP_COLLECTION_MAX + 1], key[16];
	uint8_t hub[32] = { 0x4b };
	sp_written out;
	sp_summary *s;
	sp_buf def;
	int i;

	small_definition(&def);
	assert_int_equal(sp_node_summary_define(f->n, f->c.id, "pmks", def.data, def.len, &out), 0);
	for (i = 0; i < 7; i++) {
		snprintf(key, sizeof(key), "c-%d", i);
		put_case(f, key, i < 6 ? "anak" : "lansia");
	}
	sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), hub, summaries);
	/* No consent: nothing. */
	assert_int_equal(sp_node_summary_publish(f->n, f->c.id, "pmks", g_now, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(sp_node_summary_consent(f->n, f->c.id, "pmks", hub, 0, &out), 0);
	assert_int_equal(sp_node_summary_publish(f->n, f->c.id, "pmks", g_now, &out), 0);
	assert_int_equal(out.n, 1);
	assert_non_null(s = published_summary(f, summaries, "pmks/2023-11"));
	assert_int_equal(sp_summary_rows(s), 2);
	assert_string_equal(sp_summary_row(s, 0), "anak");
	/* lansia: 1, hidden, and one more entry with it (anak or the total), or 1 = 7 - 6. */
	assert_true(sp_summary_cell(s, 1, 0)->suppressed);
	assert_true(sp_summary_cell(s, 0, 0)->suppressed || sp_summary_total(s)->suppressed);
	assert_true(sp_summary_cell(s, 0, 0)->suppressed || sp_summary_cell(s, 0, 0)->value == 6);
	sp_summary_free(s);
	/* The same counts: nothing new. */
	assert_int_equal(sp_node_summary_publish(f->n, f->c.id, "pmks", g_now, &out), 0);
	assert_int_equal(out.n, 0);
	/* Five in lansia: published. */
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "l-%d", i);
		put_case(f, key, "lansia");
	}
	assert_int_equal(sp_node_summary_publish(f->n, f->c.id, "pmks", g_now, &out), 0);
	assert_int_equal(out.n, 1);
	assert_non_null(s = published_summary(f, summaries, "pmks/2023-11"));
	assert_int_equal(sp_summary_cell(s, 1, 0)->value, 5);
	assert_int_equal(sp_summary_total(s)->value, 11);
	sp_summary_free(s);
	/* Next month: a new record; the last one of November stays. */
	assert_int_equal(sp_node_summary_publish(f->n, f->c.id, "pmks", g_now + 31ull * 86400000,
	    &out), 0);
	assert_int_equal(out.n, 1);
	assert_non_null(s = published_summary(f, summaries, "pmks/2023-12"));
	sp_summary_free(s);
	assert_non_null(s = published_summary(f, summaries, "pmks/2023-11"));
	sp_summary_free(s);
	/* An edited definition: the consent no longer holds. */
	assert_int_equal(sp_node_summary_define(f->n, f->c.id, "pmks", def.data, def.len, &out), 0);
	put_case(f, "x", "anak");
	assert_int_equal(sp_node_summary_publish(f->n, f->c.id, "pmks", g_now, &out), 0);
	assert_int_equal(out.n, 0);
	/* Consented again, until yesterday: expired. */
	assert_int_equal(sp_node_summary_consent(f->n, f->c.id, "pmks", hub, g_now - 1, &out), 0);
	assert_int_equal(sp_node_summary_publish(f->n, f->c.id, "pmks", g_now, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(sp_node_summary_publish(f->n, f->c.id, "nope", g_now, &out), SP_ENOTFOUND);
	sp_buf_free(&def);
}

/* The hubs sp_node_consented_hubs finds now, as a bitmask of which of hubs[0..n) they are. */
static unsigned
consented(fixture *f, const uint8_t (*hubs)[32], size_t n)
{
	uint8_t found[4][32];
	unsigned mask = 0;
	size_t count, i, k;
	sp_txn *t;

	assert_int_equal(sp_txn_begin(sp_node_store(f->n), false, &t), 0);
	assert_int_equal(sp_node_consented_hubs(t, f->c.id, g_now, found, 4, &count), 0);
	sp_txn_abort(t);
	for (i = 0; i < count; i++) {
		for (k = 0; k < n && memcmp(found[i], hubs[k], 32) != 0; k++)
			;
		assert_true(k < n);
		mask |= 1u << k;
	}
	return mask;
}

/*
 * The hubs a community consented to: those with a consent that counts
 * (live, unexpired, by a current admin), whichever summary it is for.
 */
static void
test_consented_hubs(void **state)
{
	fixture *f = *state;
	const uint8_t hubs[3][32] = { { 0x4b }, { 0x4c }, { 0x4d } };
	char consents[SP_COLLECTION_MAX + 1];
	uint8_t other[32], other_sk[64], def_id[32], found[1][32];
	sp_buf def, con, rec;
	sp_incoming in;
	sp_written out;
	size_t count;
	sp_txn *t;

	small_definition(&def);
	assert_int_equal(sp_node_summary_define(f->n, f->c.id, "pmks", def.data, def.len, &out), 0);
	memcpy(def_id, out.ids[0], 32);
	assert_int_equal(consented(f, hubs, 3), 0);
	assert_int_equal(sp_node_summary_consent(f->n, f->c.id, "pmks", hubs[0], 0, &out), 0);
	assert_int_equal(consented(f, hubs, 3), 1);
	/* A consent that ends now counts no more; one that ends later does. */
	assert_int_equal(sp_node_summary_consent(f->n, f->c.id, "pmks", hubs[1], g_now, &out), 0);
	assert_int_equal(consented(f, hubs, 3), 1);
	assert_int_equal(sp_node_summary_consent(f->n, f->c.id, "pmks", hubs[1], g_now + 60000,
	    &out), 0);
	assert_int_equal(consented(f, hubs, 3), 3);
	/* More than the room given: SP_ETOOBIG, none returned. */
	assert_int_equal(sp_txn_begin(sp_node_store(f->n), false, &t), 0);
	assert_int_equal(sp_node_consented_hubs(t, f->c.id, g_now, found, 1, &count), SP_ETOOBIG);
	assert_int_equal(count, 0);
	sp_txn_abort(t);
	assert_int_equal(sp_node_summary_withdraw(f->n, f->c.id, "pmks", hubs[0], &out), 0);
	assert_int_equal(consented(f, hubs, 3), 2);
	/* By an admin who is one no more: not counted. */
	sp_sign_keypair(other, other_sk);
	assert_int_equal(sp_node_set_writer(f->n, "rt03", other, true), 0);
	g_now += 1000;
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), hubs[2], consents);
	consent_body(&con, hubs[2], def_id, 0);
	received(f, other_sk, consents, "pmks", SP_LABEL_PUBLIC, &con, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	assert_int_equal(consented(f, hubs, 3), 6);
	assert_int_equal(sp_node_set_writer(f->n, "rt03", other, false), 0);
	assert_int_equal(consented(f, hubs, 3), 2);
	sp_buf_free(&rec);
	sp_buf_free(&con);
	sp_buf_free(&def);
}

/* A heartbeat body naming one peer. */
static void
heartbeat_body(sp_buf *out)
{
	sp_heartbeat *hb = calloc(1, sizeof(*hb));
	uint8_t peer[32] = { 0x99 };

	assert_non_null(hb);
	strcpy(hb->software, "simpul test");
	hb->time_ms = g_now;
	assert_int_equal(sp_heartbeat_add_peer(hb, peer, g_now - 10, 4), 0);
	sp_buf_init(out);
	assert_int_equal(sp_heartbeat_encode(hb, out), 0);
	free(hb);
}

/*
 * Heartbeats: a node writes its own (under its id, never another's); a
 * hub stores one only from a community that consented to it, and never
 * a deletion of one.
 */
static void
test_heartbeats(void **state)
{
	fixture *f = *state;
	char me[SP_ID_STR_LEN + 1], stranger[SP_ID_STR_LEN + 1], consents[SP_COLLECTION_MAX + 1];
	uint8_t sk[64], pk[32], id[32], def[32] = { 0xde }, other[32] = { 0x21 };
	sp_buf hb, con, rec;
	sp_incoming in;
	sp_write w;

	assert_int_equal(sp_identity_load(f->dir, sk, pk), 0);
	sp_base32_encode(me, pk, 32);
	sp_base32_encode(stranger, other, 32);
	heartbeat_body(&hb);
	w = sys_write(f, SP_HEARTBEAT_COLLECTION, stranger, &hb);
	assert_int_equal(sp_node_put_system(f->n, &w, false, id), SP_EHEARTBEAT);
	w = sys_write(f, SP_HEARTBEAT_COLLECTION, me, &hb);
	assert_int_equal(sp_node_put_system(f->n, &w, false, id), 0);
	assert_int_equal(live_label(f, SP_HEARTBEAT_COLLECTION, me), SP_LABEL_PUBLIC);
	assert_int_equal(sp_node_put_system(f->n, &w, true, id), SP_EHEARTBEAT);

	/* At a hub: no consent to it, no heartbeat. */
	sp_node_set_hub(f->n, true);
	g_now += 1000;
	received(f, sk, SP_HEARTBEAT_COLLECTION, me, SP_LABEL_PUBLIC, &hb, &rec, &in);
	assert_int_equal(receive_one(f, &in), SP_ENOCONSENT);
	sp_buf_free(&rec);
	/* A consent to another hub: none either. */
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), other, consents);
	consent_body(&con, other, def, 0);
	sp_node_set_hub(f->n, false);
	received(f, sk, consents, "pmks", SP_LABEL_PUBLIC, &con, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	sp_buf_free(&rec);
	sp_buf_free(&con);
	sp_node_set_hub(f->n, true);
	received(f, sk, SP_HEARTBEAT_COLLECTION, me, SP_LABEL_PUBLIC, &hb, &rec, &in);
	assert_int_equal(receive_one(f, &in), SP_ENOCONSENT);
	sp_buf_free(&rec);
	/* Consented to this hub: stored; another node's id as its key: refused. */
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), pk, consents);
	consent_body(&con, pk, def, 0);
	received(f, sk, consents, "pmks", SP_LABEL_PUBLIC, &con, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	sp_buf_free(&rec);
	sp_buf_free(&con);
	received(f, sk, SP_HEARTBEAT_COLLECTION, stranger, SP_LABEL_PUBLIC, &hb, &rec, &in);
	assert_int_equal(receive_one(f, &in), SP_EHEARTBEAT);
	assert_int_equal(live_label(f, SP_HEARTBEAT_COLLECTION, stranger), -1);
	sp_buf_free(&rec);
	g_now += 1000;
	received(f, sk, SP_HEARTBEAT_COLLECTION, me, SP_LABEL_PUBLIC, &hb, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	assert_int_equal(live_label(f, SP_HEARTBEAT_COLLECTION, me), SP_LABEL_PUBLIC);
	sp_buf_free(&rec);
	sp_buf_free(&hb);
}

/*
 * A hub's own community: made once, "hub", the node its admin; "hub-" and
 * the start of the node's id when another community is called hub.
 */
static void
test_hub_community(void **state)
{
	fixture *f = *state;
	sp_community_info hub, again, other;
	char b32[SP_ID_STR_LEN + 1], alias[16];
	bool created;

	assert_int_equal(sp_node_hub_community(f->n, &hub), SP_ENOTFOUND);
	assert_int_equal(sp_node_hub_start(f->n, &hub, &created), 0);
	assert_true(created);
	assert_string_equal(hub.alias, "hub");
	assert_true(sp_node_has_community_key(f->n, hub.id));
	assert_int_equal(sp_node_hub_start(f->n, &again, &created), 0);
	assert_false(created);
	assert_memory_equal(again.id, hub.id, 32);
	assert_int_equal(sp_node_hub_community(f->n, &again), 0);
	assert_memory_equal(again.id, hub.id, 32);

	/* Another node, whose "hub" is taken already. */
	sp_node_close(f->n);
	sp_test_rmdir(f->dir);
	assert_non_null(f->dir = sp_test_mkdtemp());
	assert_int_equal(sp_identity_create(f->dir, f->me), 0);
	assert_int_equal(sp_node_open(f->dir, fake_now, NULL, &f->n), 0);
	assert_int_equal(sp_node_community_create(f->n, "hub", &other), 0);
	assert_int_equal(sp_node_hub_start(f->n, &hub, &created), 0);
	sp_base32_encode(b32, f->me, 32);
	snprintf(alias, sizeof(alias), "hub-%.8s", b32);
	assert_string_equal(hub.alias, alias);
	assert_memory_not_equal(hub.id, other.id, 32);
}

/* Problems verification found, kept for the test to read. */
struct problems {
	char text[8][1024];
	size_t n;
};

static void
on_problem(void *arg, const char *text)
{
	struct problems *p = arg;

	if (p->n < 8)
		snprintf(p->text[p->n++], sizeof(p->text[0]), "%s", text);
}

/* The hub's aggregate of pmks/2026-11, decoded; NULL when none is held. */
static sp_aggregate *
held_aggregate(fixture *f, const sp_community_info *hub)
{
	sp_aggregate *a = NULL;
	sp_stored st;
	sp_record rec;
	sp_txn *t;

	assert_int_equal(sp_txn_begin(sp_node_store(f->n), false, &t), 0);
	if (sp_store_get(t, hub->id, SP_AGGREGATE_COLLECTION, strlen(SP_AGGREGATE_COLLECTION),
	    "pmks/2026-11", 12, &st) == 0) {
		assert_int_equal(sp_record_decode(st.data, st.len, &rec), 0);
		assert_int_equal(sp_aggregate_decode(rec.body, rec.body_len, &a), 0);
	}
	sp_txn_abort(t);
	return a;
}

/*
 * A hub aggregates the summary it holds on a consent that holds, writes
 * the aggregate once (nothing new when nothing changed), and verifies
 * it; when the consent expires, verification says so, and the next
 * aggregate leaves the summary out.
 */
static void
test_hub_aggregates(void **state)
{
	fixture *f = *state;
	char consents[SP_COLLECTION_MAX + 1], summaries[SP_COLLECTION_MAX + 1];
	char (*keys)[SP_SUMMARY_KEY_MAX + 1];
	uint8_t sk[64], pk[32], def[32] = { 0xde }, summary_id[32];
	sp_community_info hub;
	sp_verify_counts counts;
	struct problems problems = { .n = 0 };
	sp_buf b_con, b_sum, rec;
	sp_aggregate *a;
	sp_incoming in;
	sp_written out;
	size_t nkeys;
	bool created;

	assert_int_equal(sp_identity_load(f->dir, sk, pk), 0);
	sp_node_set_hub(f->n, true);
	assert_int_equal(sp_node_hub_start(f->n, &hub, &created), 0);
	sp_syscoll_hub_collection(sp_syscoll_row(SP_CONSENT_COLLECTION), pk, consents);
	sp_syscoll_hub_collection(sp_syscoll_row(SP_SUMMARY_COLLECTION), pk, summaries);
	consent_body(&b_con, pk, def, g_now + 60000);
	received(f, sk, consents, "pmks", SP_LABEL_PUBLIC, &b_con, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	summary_body(&b_sum, in.id);
	sp_buf_free(&rec);
	received(f, sk, summaries, "pmks/2026-11", SP_LABEL_PUBLIC, &b_sum, &rec, &in);
	assert_int_equal(receive_one(f, &in), 0);
	memcpy(summary_id, in.id, 32);
	sp_buf_free(&rec);

	assert_int_equal(sp_node_aggregate_keys(f->n, (const uint8_t (*)[32])f->c.id, 1, &keys,
	    &nkeys), 0);
	assert_int_equal(nkeys, 1);
	assert_string_equal(keys[0], "pmks/2026-11");
	free(keys);
	assert_int_equal(sp_node_aggregate_update(f->n, "pmks/2026-11", NULL, NULL, &out), 0);
	assert_int_equal(out.n, 1);
	assert_int_equal(sp_node_aggregate_update(f->n, "pmks/2026-11", NULL, NULL, &out), 0);
	assert_int_equal(out.n, 0);
	assert_non_null(a = held_aggregate(f, &hub));
	assert_int_equal(sp_aggregate_ninputs(a), 1);
	assert_memory_equal(sp_aggregate_input(a, 0), summary_id, 32);
	assert_int_equal(sp_aggregate_rows(a), 1);
	assert_string_equal(sp_aggregate_row(a, 0), "anak");
	sp_aggregate_free(a);
	/* The hub's own community gives its aggregates' keys. */
	assert_int_equal(sp_node_aggregate_keys(f->n, (const uint8_t (*)[32])hub.id, 1, &keys,
	    &nkeys), 0);
	assert_int_equal(nkeys, 1);
	free(keys);

	assert_int_equal(sp_node_verify(f->n, on_problem, &problems, &counts), 0);
	assert_int_equal(problems.n, 0);
	assert_int_equal(counts.aggregates, 1);
	assert_int_equal(counts.summaries, 1);
	assert_int_equal(counts.consents, 1);
	/* The aggregate, the summary, the consent, two charters. */
	assert_int_equal(counts.signatures, 5);

	/* Past the consent's end. */
	g_now += 120000;
	assert_int_equal(sp_node_verify(f->n, on_problem, &problems, &counts), 0);
	assert_int_equal(problems.n, 1);
	assert_non_null(strstr(problems.text[0], "aggregate pmks/2026-11 of hub this node"));
	assert_non_null(strstr(problems.text[0], "the summary's consent has expired"));
	assert_int_equal(counts.problems, 1);
	assert_int_equal(sp_node_aggregate_update(f->n, "pmks/2026-11", NULL, NULL, &out), 0);
	assert_int_equal(out.n, 1);
	assert_non_null(a = held_aggregate(f, &hub));
	assert_int_equal(sp_aggregate_ninputs(a), 0);
	assert_int_equal(sp_aggregate_rows(a), 0);
	sp_aggregate_free(a);
	problems.n = 0;
	assert_int_equal(sp_node_verify(f->n, on_problem, &problems, &counts), 0);
	assert_int_equal(problems.n, 0);

	/* Not NAME/PERIOD. */
	assert_int_equal(sp_node_aggregate_update(f->n, "pmks", NULL, NULL, &out), SP_EINVAL);
	sp_buf_free(&b_sum);
	sp_buf_free(&b_con);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_and_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_charter_no_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_communities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_community_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hub_stores_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_withdraw_summaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consented_hubs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hub_community, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hub_aggregates, setup, teardown),
	};

	if (sp_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

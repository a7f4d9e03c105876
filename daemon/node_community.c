/*
 * node_community.c - communities, their charters and their keys: create,
 * join, learn (a hub), a new charter version (set or remove a writer),
 * and the community key exported to and imported from a
 * passphrase-protected file.
 */
#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base32.h"
#include "charter.h"
#include "crypto.h"
#include "datadir.h"
#include "identity.h"
#include "keyfile.h"
#include "node_int.h"
#include "sp_err.h"

/* How many base32 characters of a learnt community's id make its alias. */
#define LEARNT_ALIAS 12

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

struct ids {
	uint8_t (*v)[SP_PUBKEY_BYTES];
	size_t n, cap;
};

static int
add_id(void *arg, const sp_community_info *info)
{
	struct ids *ids = arg;
	uint8_t (*v)[SP_PUBKEY_BYTES];

	if (ids->n == ids->cap) {
		ids->cap = ids->cap * 2 + 16;
		if ((v = realloc(ids->v, ids->cap * SP_PUBKEY_BYTES)) == NULL)
			return SP_ENOMEM;
		ids->v = v;
	}
	memcpy(ids->v[ids->n++], info->id, SP_PUBKEY_BYTES);
	return 0;
}

int
sp_node_community_ids_in(sp_txn *t, uint8_t (**out)[SP_PUBKEY_BYTES], size_t *count)
{
	struct ids ids = { NULL, 0, 0 };
	int r;

	*out = NULL;
	*count = 0;
	if ((r = sp_store_community_each(t, add_id, &ids)) != 0) {
		free(ids.v);
		return r;
	}
	*out = ids.v;
	*count = ids.n;
	return 0;
}

int
sp_node_community_ids(sp_node *n, uint8_t (**out)[SP_PUBKEY_BYTES], size_t *count)
{
	sp_txn *t;
	int r;

	*out = NULL;
	*count = 0;
	if ((r = sp_txn_begin(n->store, false, &t)) != 0)
		return r;
	r = sp_node_community_ids_in(t, out, count);
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
	if ((r = sp_file_read_secret(path, sk, SP_SECKEY_BYTES)) != 0)
		return r == SP_ENOTFOUND ? SP_ENOCOMMUNITYKEY : r;
	/* A changed byte would sign charters that no peer can verify. */
	if ((r = sp_sign_sk_check(sk)) != 0)
		sp_memzero(sk, SP_SECKEY_BYTES);
	return r;
}

int
sp_node_charter_record(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES], sp_stored *out)
{
	int r;

	r = sp_store_get(t, community, SP_CHARTER_COLLECTION,
	    strlen(SP_CHARTER_COLLECTION), SP_CHARTER_KEY, strlen(SP_CHARTER_KEY), out);
	return r == SP_ENOTFOUND ? SP_ENOCHARTER : r;
}

int
sp_node_charter_at(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    sp_charter **out, uint64_t *timestamp)
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

	return sp_node_charter_at(t, community, out, &ts);
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
	r = sp_node_sign_and_apply(n, t, &rec, csk, NULL);
out:
	sp_buf_free(&body);
	return r;
}

/*
 * Creates a community under the first of aliases[0..count) not taken
 * (SP_EEXIST if all are): a new community key (communities/ID.key, 0600),
 * the alias, and a charter naming this node admin and writer, in one
 * transaction; with remember set, the community's id is kept under that
 * meta name in the same transaction.
 */
static int
create(sp_node *n, const char *const *aliases, size_t count, const char *remember,
    sp_community_info *out)
{
	char path[SP_PATH_MAX];
	uint8_t csk[SP_SECKEY_BYTES];
	sp_community_info info;
	sp_charter *c = NULL;
	sp_txn *t = NULL;
	int key_written = 0;
	size_t i;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	for (i = 0; i < count; i++)
		if ((r = sp_alias_check(aliases[i], strlen(aliases[i]))) != 0)
			return r;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	/* The first alias not taken. */
	for (i = 0, r = SP_EEXIST; i < count; i++)
		if ((r = sp_store_community_find(t, aliases[i], &info)) != 0)
			break;
	if (r != SP_ENOTFOUND) {
		r = r == 0 ? SP_EEXIST : r;
		goto out;
	}
	memset(&info, 0, sizeof(info));
	sp_sign_keypair(info.id, csk);
	strcpy(info.alias, aliases[i]);
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
	if (remember != NULL &&
	    (r = sp_store_meta_put_bytes(t, remember, info.id, SP_PUBKEY_BYTES)) != 0)
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
sp_node_community_create(sp_node *n, const char *alias, sp_community_info *out)
{
	return create(n, &alias, 1, NULL, out);
}

/* Where a hub keeps the id of its own community. */
#define HUB_COMMUNITY "hub_community"
/* Its alias, or when another community has that one, "hub-" and the node id's start. */
#define HUB_ALIAS "hub"
#define HUB_ALIAS_ID 8

int
sp_node_hub_community_in(sp_txn *t, sp_community_info *out)
{
	uint8_t id[SP_PUBKEY_BYTES];
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sp_store_meta_get_bytes(t, HUB_COMMUNITY, id, sizeof(id))) != 0)
		return r;
	return sp_store_community_get(t, id, out);
}

int
sp_node_hub_community(sp_node *n, sp_community_info *out)
{
	sp_txn *t;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = sp_txn_begin(n->store, false, &t)) != 0)
		return r;
	r = sp_node_hub_community_in(t, out);
	sp_txn_abort(t);
	return r;
}

int
sp_node_hub_start(sp_node *n, sp_community_info *out, bool *created)
{
	char b32[SP_ID_STR_LEN + 1], other[sizeof(HUB_ALIAS) + 1 + HUB_ALIAS_ID];
	const char *aliases[] = { HUB_ALIAS, other };
	int r;

	*created = false;
	if ((r = sp_node_hub_community(n, out)) != SP_ENOTFOUND)
		return r;
	sp_base32_encode(b32, n->pk, SP_PUBKEY_BYTES);
	snprintf(other, sizeof(other), "%s-%.*s", HUB_ALIAS, HUB_ALIAS_ID, b32);
	if ((r = create(n, aliases, 2, HUB_COMMUNITY, out)) == 0)
		*created = true;
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

/*
 * Adds unknown community id under the alias of its first LEARNT_ALIAS
 * base32 characters, or of all but the last where another community has
 * that one (neither length reads as an id). *added says whether it is new.
 */
int
sp_node_learn_in(sp_txn *t, const uint8_t id[SP_PUBKEY_BYTES], bool *added)
{
	static const size_t lens[] = { LEARNT_ALIAS, SP_ID_STR_LEN - 1 };
	char b32[SP_ID_STR_LEN + 1];
	sp_community_info info;
	size_t i;
	int r;

	*added = false;
	if ((r = sp_store_community_get(t, id, &info)) != SP_ENOTFOUND)
		return r;
	sp_base32_encode(b32, id, SP_PUBKEY_BYTES);
	memset(&info, 0, sizeof(info));
	memcpy(info.id, id, SP_PUBKEY_BYTES);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memcpy(info.alias, b32, lens[i]);
		info.alias[lens[i]] = '\0';
		if ((r = sp_store_community_add(t, &info)) != SP_EEXIST)
			break;
	}
	*added = r == 0;
	return r;
}

int
sp_node_community_learn(sp_node *n, const uint8_t (*ids)[SP_PUBKEY_BYTES], size_t count,
    size_t *added)
{
	sp_txn *t;
	size_t i;
	bool one;
	int r;

	*added = 0;
	if (count == 0)
		return 0;
	if ((r = sp_txn_begin(n->store, true, &t)) != 0)
		return r;
	for (i = 0; i < count; i++) {
		if ((r = sp_node_learn_in(t, ids[i], &one)) != 0) {
			sp_txn_abort(t);
			*added = 0;
			return r;
		}
		*added += one;
	}
	if ((r = sp_txn_commit(t)) != 0)
		*added = 0;
	return r;
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

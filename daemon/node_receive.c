/*
 * node_receive.c - records received from peers: each checked against the
 * charter held here (or, for a system collection, against its row in the
 * syscoll table), then stored in one durable transaction.
 */
#include "node.h"

#include <string.h>

#include "charter.h"
#include "node_int.h"
#include "sp_err.h"
#include "syscoll.h"

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
	r = sp_node_charter_at(t, community, &e->c, &e->timestamp);
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
		sp_node_hlc_observe(n, in->rec.timestamp);
		if (in->rec.flags & SP_FLAG_ERASED)
			erased = true;
		if (sc == sp_syscoll_charter()) {
			forget_charter(cache, &ncache, in->rec.community);
			*charters = true;
		}
	}
	if ((r = sp_node_persist_hlc(n, t)) != 0)
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

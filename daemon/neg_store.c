#include "neg_store.h"

#include <string.h>

#include "sp_err.h"
#include "wire.h"

_Static_assert(SP_ID_BYTES == SP_NEG_ID_BYTES,
    "record ids are the reconciler's item ids");

static int
add_item(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES])
{
	return sp_neg_vector_add(arg, ts, id);
}

/* The area's walk in each community, for an area of every community. */
struct every_walk {
	const char *collection;
	size_t collection_len;
	enum sp_label label;
	sp_txn *t;
	sp_neg_vector *v;
};

static int
add_community_items(void *arg, const sp_community_info *c)
{
	struct every_walk *w = arg;

	return sp_store_area_each(w->t, c->id, w->collection, w->collection_len, w->label, 0,
	    NULL, add_item, w->v);
}

int
sp_neg_store_load(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, enum sp_label label,
    sp_neg_vector **out)
{
	sp_neg_vector *v = NULL;
	int r;

	*out = NULL;
	if ((r = sp_neg_vector_new(&v)) != 0)
		goto out;
	if (sp_is_every_community(community)) {
		struct every_walk w = { collection, collection_len, label, t, v };

		r = sp_store_community_each(t, add_community_items, &w);
	} else {
		r = sp_store_area_each(t, community, collection, collection_len, label, 0, NULL,
		    add_item, v);
	}
	if (r != 0)
		goto out;
	/*
	 * One area's walk yields sorted, distinct items: sealing only sums
	 * them; the walks of every community are sorted into one.
	 */
	if ((r = sp_neg_vector_seal(v)) != 0)
		goto out;
	*out = v;
	v = NULL;
out:
	sp_neg_vector_free(v);
	return r;
}

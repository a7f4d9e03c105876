#include "neg_store.h"

#include "sp_err.h"

_Static_assert(SP_ID_BYTES == SP_NEG_ID_BYTES,
    "record ids are the reconciler's item ids");

static int
add_item(void *arg, uint64_t ts, const uint8_t id[SP_ID_BYTES])
{
	return sp_neg_vector_add(arg, ts, id);
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
	if ((r = sp_store_area_each(t, community, collection, collection_len,
	    label, 0, NULL, add_item, v)) != 0)
		goto out;
	/* The walk yields sorted, distinct items: sealing only sums them. */
	if ((r = sp_neg_vector_seal(v)) != 0)
		goto out;
	*out = v;
	v = NULL;
out:
	sp_neg_vector_free(v);
	return r;
}

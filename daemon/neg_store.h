/*
 * neg_store.h - an area of the store as Negentropy storage.
 *
 * The reconciler (proto/negentropy.h) reads items by index; LMDB walks
 * keys. A session therefore reconciles a snapshot: the area's items,
 * already in (timestamp, id) order in the store, copied into a sealed
 * in-memory vector (40 bytes per item plus 32 for its prefix sum).
 */
#ifndef SP_NEG_STORE_H
#define SP_NEG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "negentropy.h"
#include "record.h"
#include "store.h"

/*
 * Snapshots the items of the area (community, collection, label) as
 * transaction t sees them into a sealed vector; for the area of every
 * community (sp_is_every_community), the area's items in every community
 * held. *out is owned by the caller (sp_neg_vector_free) and stays valid
 * after t ends; NULL on error.
 * Errors: those of sp_store_area_each (SP_EINVAL for a bad collection
 * length or label), SP_ENOMEM, and SP_EINVAL for an item whose timestamp
 * is UINT64_MAX (Negentropy's infinity, which no record may carry).
 */
int sp_neg_store_load(sp_txn *t, const uint8_t community[SP_PUBKEY_BYTES],
    const char *collection, size_t collection_len, enum sp_label label,
    sp_neg_vector **out);

#endif

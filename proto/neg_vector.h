/*
 * neg_vector.h - the items a Negentropy reconciler reads (negentropy.c):
 * the storage interface, and the in-memory vector behind it, which the
 * tests, the conformance harness and the daemon's store areas
 * (daemon/neg_store.c) use. Pure: no I/O.
 */
#ifndef SP_NEG_VECTOR_H
#define SP_NEG_VECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "neg_codec.h"

/*
 * Storage: a sorted, duplicate-free sequence of items, read by index.
 * fingerprint covers [begin, end). lower_bound returns the first index in
 * [begin, end] whose item is >= bound (end if none).
 */
typedef struct sp_neg_storage {
	void *ctx;
	size_t (*size)(void *ctx);
	const sp_neg_item *(*get)(void *ctx, size_t i);
	size_t (*lower_bound)(void *ctx, size_t begin, size_t end, const sp_neg_item *bound);
	void (*fingerprint)(void *ctx, size_t begin, size_t end, uint8_t out[SP_NEG_FINGERPRINT_BYTES]);
} sp_neg_storage;

/*
 * An in-memory storage: add items in any order, then seal (sorts, refuses
 * duplicates with SP_EDUPKEY). Fingerprints use prefix sums, so each costs
 * O(1) after sealing. *out owned by the caller (sp_neg_vector_free).
 * add: SP_EINVAL after seal or for timestamp UINT64_MAX (the protocol's
 * infinity). A vector whose seal failed can only be freed.
 */
typedef struct sp_neg_vector sp_neg_vector;
int sp_neg_vector_new(sp_neg_vector **out);
void sp_neg_vector_free(sp_neg_vector *v);
int sp_neg_vector_add(sp_neg_vector *v, uint64_t ts, const uint8_t id[SP_NEG_ID_BYTES]);
int sp_neg_vector_seal(sp_neg_vector *v);
/* The storage view of a sealed vector (valid while v lives). */
void sp_neg_vector_storage(sp_neg_vector *v, sp_neg_storage *out);

#endif

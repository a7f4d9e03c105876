/*
 * negentropy.h - range-based set reconciliation, wire-compatible with
 * Negentropy protocol version 1 (hoytech/negentropy). Pure: messages in,
 * messages out. Items are (timestamp, 32-byte id) pairs, sorted by
 * timestamp then id; a fingerprint is the first 16 bytes of SHA-256 over
 * the 256-bit little-endian sum of the ids (mod 2^256) followed by the
 * varint of their count.
 *
 * The reconciler reads its items through sp_neg_storage, so the same code
 * runs over an in-memory vector (tests, the conformance harness) and over
 * an area of the daemon's LMDB store.
 */
#ifndef SP_NEGENTROPY_H
#define SP_NEGENTROPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define SP_NEG_PROTOCOL_V1 0x61
#define SP_NEG_ID_BYTES 32
#define SP_NEG_FINGERPRINT_BYTES 16
/* A frame size limit, when set, must be at least this (as in the reference). */
#define SP_NEG_FRAME_MIN 4096

typedef struct sp_neg_item {
	uint64_t ts;
	uint8_t id[SP_NEG_ID_BYTES];
} sp_neg_item;

/* Item order: timestamp, then id bytewise. */
int sp_neg_item_cmp(const sp_neg_item *a, const sp_neg_item *b);

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

/* The fingerprint of a list of ids (for tests and storages). */
void sp_neg_fingerprint(const uint8_t *sum_le, uint64_t count, uint8_t out[SP_NEG_FINGERPRINT_BYTES]);

/*
 * Varints as Negentropy writes them (base-128, most significant group first).
 * get advances *p and *left past the varint; SP_ENEG (nothing advanced) if
 * it is truncated, not in its shortest form, or larger than 64 bits.
 */
void sp_neg_varint_put(sp_buf *out, uint64_t v);
int sp_neg_varint_get(const uint8_t **p, size_t *left, uint64_t *v);

typedef struct sp_neg sp_neg;

/*
 * A reconciliation session over storage. The struct is copied; what its
 * ctx points at (e.g. the vector) must outlive the session.
 * frame_size_limit 0 means unlimited, else >= SP_NEG_FRAME_MIN (SP_EINVAL).
 * *out owned by the caller (sp_neg_free); NULL on error.
 */
int sp_neg_new(const sp_neg_storage *storage, uint64_t frame_size_limit, sp_neg **out);
void sp_neg_free(sp_neg *n);

/*
 * Splitting (a sender's choice; any is valid under v1). By default the
 * reference's: ranges under 32 items are sent as id lists, larger ones as
 * 16 fingerprints, so that the same sets give the reference's bytes.
 * Lowering the id-list threshold (2..32 items) makes small ranges split
 * further, into one fingerprint per two items: more rounds, far fewer
 * bytes when differences are sparse. SP_EINVAL outside 2..32.
 */
int sp_neg_set_idlist_below(sp_neg *n, size_t items);

/* Client: the first message, appended to out. */
int sp_neg_initiate(sp_neg *n, sp_buf *out);

/*
 * Server: answers a client message (appends the reply to out). A message
 * with an unknown protocol version gets the one-byte reply 0x61 (as v1
 * requires). Malformed input is SP_ENEG with nothing appended.
 */
int sp_neg_reconcile(sp_neg *n, const uint8_t *msg, size_t len, sp_buf *out);

/*
 * Client: processes a server message. Ids the client has and the server
 * lacks go to have(), ids the server has and the client lacks to need()
 * (either may be called again for the same id across rounds; either may be
 * NULL). Appends the next message to out, or sets *done when reconciliation
 * is complete. A malformed message is SP_ENEG before any callback runs.
 * Calling the wrong role's function (reconcile on a client, this before
 * initiate) is SP_EINVAL.
 */
int sp_neg_reconcile_client(sp_neg *n, const uint8_t *msg, size_t len, sp_buf *out,
    void (*have)(void *arg, const uint8_t id[SP_NEG_ID_BYTES]),
    void (*need)(void *arg, const uint8_t id[SP_NEG_ID_BYTES]),
    void *arg, bool *done);

#endif

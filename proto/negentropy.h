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
 * an area of the daemon's LMDB store. This header brings in the two
 * modules under it: neg_vector.h (the storage interface and the in-memory
 * vector) and, through it, neg_codec.h (items, varints, fingerprints and
 * messages on the wire).
 */
#ifndef SP_NEGENTROPY_H
#define SP_NEGENTROPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "neg_vector.h"

/* A frame size limit, when set, must be at least this (as in the reference). */
#define SP_NEG_FRAME_MIN 4096

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

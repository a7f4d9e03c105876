/*
 * neg_codec.h - Negentropy protocol version 1 on the wire, for the
 * reconciler (negentropy.c): items and their order, varints, fingerprints,
 * bounds, and messages written and read range by range. Pure: bytes in,
 * bytes out (docs/PROTOCOL.md, "Reconciliation").
 *
 * A message is the version byte, then ranges, each an upper bound, a mode
 * and a payload. A bound's timestamp is written as 1 + its difference from
 * the previous bound of the same message (0 for infinity), so writers and
 * readers carry the last timestamp.
 */
#ifndef SP_NEG_CODEC_H
#define SP_NEG_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

#define SP_NEG_PROTOCOL_V1 0x61
/* Version bytes a peer may send: a server answers any other with v1's. */
#define SP_NEG_VERSION_MIN 0x60
#define SP_NEG_VERSION_MAX 0x6f
#define SP_NEG_ID_BYTES 32
#define SP_NEG_FINGERPRINT_BYTES 16
/* The largest timestamp is the protocol's infinity: no item may have it. */
#define SP_NEG_TS_INFINITY UINT64_MAX
/* The longest varint: ten base-128 digits hold 64 bits. */
#define SP_NEG_VARINT_MAX 10

typedef struct sp_neg_item {
	uint64_t ts;
	uint8_t id[SP_NEG_ID_BYTES];
} sp_neg_item;

/*
 * Item order: timestamp, then id bytewise. Inline: the storages' binary
 * searches call it about twenty times per range.
 */
static inline int
sp_neg_item_cmp(const sp_neg_item *a, const sp_neg_item *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return memcmp(a->id, b->id, SP_NEG_ID_BYTES);
}

/*
 * Varints as Negentropy writes them (base-128, most significant group first).
 * get advances *p and *left past the varint; SP_ENEG (nothing advanced) if
 * it is truncated, not in its shortest form, or larger than 64 bits.
 */
void sp_neg_varint_put(sp_buf *out, uint64_t v);
int sp_neg_varint_get(const uint8_t **p, size_t *left, uint64_t *v);

/*
 * The fingerprint of a list of ids, from the 256-bit little-endian sum of
 * the ids (mod 2^256) and their count: the first 16 bytes of SHA-256 over
 * the sum followed by the varint of the count.
 */
void sp_neg_fingerprint(const uint8_t *sum_le, uint64_t count, uint8_t out[SP_NEG_FINGERPRINT_BYTES]);

enum sp_neg_mode {
	SP_NEG_SKIP = 0,
	SP_NEG_FINGERPRINT = 1,
	SP_NEG_IDLIST = 2,
};

/*
 * An upper bound of a range: items below it belong to earlier ranges. Only
 * the first prefix_len bytes of the id go on the wire; the rest are zero.
 */
typedef struct sp_neg_bound {
	sp_neg_item item;
	size_t prefix_len;
} sp_neg_bound;

/* The bound past every item. */
void sp_neg_bound_infinity(sp_neg_bound *b);
/* The bound at exactly this item (its whole id). */
void sp_neg_bound_of_item(sp_neg_bound *b, const sp_neg_item *item);
/*
 * The shortest bound above prev and at most curr (adjacent items): the
 * timestamp alone when they differ, else the id prefix up to and including
 * the first differing byte.
 */
void sp_neg_bound_between(sp_neg_bound *b, const sp_neg_item *prev, const sp_neg_item *curr);

/*
 * Writing a message into a caller's buffer; errors stay in the buffer
 * (sp_buf's sticky err). Bounds must not go down within a message.
 */
typedef struct sp_neg_writer {
	sp_buf *out;
	size_t base;           /* where the message starts in out */
	uint64_t last_ts;
} sp_neg_writer;

/* Starts a message at the end of out with the version byte. */
void sp_neg_writer_init(sp_neg_writer *w, sp_buf *out);
/* The message's length so far, version byte included. */
size_t sp_neg_writer_len(const sp_neg_writer *w);
void sp_neg_put_skip(sp_neg_writer *w, const sp_neg_bound *b);
void sp_neg_put_fingerprint(sp_neg_writer *w, const sp_neg_bound *b,
    const uint8_t fp[SP_NEG_FINGERPRINT_BYTES]);
/* An IdList's bound and count; the count ids follow with sp_neg_put_id. */
void sp_neg_put_idlist(sp_neg_writer *w, const sp_neg_bound *b, uint64_t count);
void sp_neg_put_id(sp_neg_writer *w, const uint8_t id[SP_NEG_ID_BYTES]);

/* Reading the ranges of a message body (after the version byte). */
typedef struct sp_neg_reader {
	const uint8_t *p;
	size_t left;           /* bytes not yet read; 0 at the end */
	uint64_t last_ts;
	sp_neg_item prev;      /* the previous bound: bounds may not go down */
} sp_neg_reader;

typedef struct sp_neg_range {
	sp_neg_bound upper;
	enum sp_neg_mode mode;
	const uint8_t *payload; /* the fingerprint, or count ids (in the body) */
	uint64_t count;
} sp_neg_range;

void sp_neg_reader_init(sp_neg_reader *r, const uint8_t *body, size_t len);
/*
 * Reads the next range. Timestamps decode as the reference does: 0 is
 * infinity, else the delta plus one, saturating at infinity. SP_ENEG if
 * the range is truncated, has a bad varint, an id prefix over 32 bytes,
 * an unknown mode, or a bound below the previous one.
 */
int sp_neg_read_range(sp_neg_reader *r, sp_neg_range *out);
/*
 * Reads a whole body, so that a malformed message can be refused before
 * anything acts on it: 0 or sp_neg_read_range's SP_ENEG. *max_ids gets the
 * longest IdList's count.
 */
int sp_neg_check_body(const uint8_t *body, size_t len, uint64_t *max_ids);

#endif

/*
 * record.h - simpul's signed record: canonical encoding, signing, ids.
 *
 * Wire and storage form (docs/FORMAT.md): a msgpack array of 10 items
 *   [version=1, community bin32, collection str, key str, author bin32,
 *    timestamp uint, flags uint, label uint, body map, signature bin64]
 * The Ed25519 signature covers every byte before the signature item (the
 * signed prefix). The record id is BLAKE2b-256 of the complete encoding.
 * Decoders accept only this canonical form and name the rule broken.
 */
#ifndef SP_RECORD_H
#define SP_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "body.h"
#include "buf.h"

#define SP_RECORD_VERSION   1
#define SP_PUBKEY_BYTES     32
#define SP_SECKEY_BYTES     64
#define SP_SIG_BYTES        64
#define SP_ID_BYTES         32
#define SP_COLLECTION_MAX   64
#define SP_KEY_MAX          256
/* Upper bound of a whole encoded record: body (SP_BODY_MAX, body.h) plus every other field. */
#define SP_RECORD_MAX       (SP_BODY_MAX + 512)
/* Timestamps further ahead of the local clock than this are refused. */
#define SP_MAX_SKEW_MS      (10 * 60 * 1000)

#define SP_FLAG_TOMBSTONE   0x1u
#define SP_FLAG_ERASED      0x2u  /* only together with SP_FLAG_TOMBSTONE */

enum sp_label {
	SP_LABEL_PRIVATE = 0,   /* never leaves the node */
	SP_LABEL_COMMUNITY = 1, /* only to nodes in the community's charter (default) */
	SP_LABEL_SHARED = 2,    /* to peers granted the collection by policy */
	SP_LABEL_PUBLIC = 3,    /* consented summaries, for hubs */
};
#define SP_LABEL_COUNT 4

/*
 * A decoded or to-be-signed record. Fixed fields are copied; body points
 * into the caller's bytes (the encoding it was decoded from, or the body
 * the caller wants signed) and is not owned.
 */
typedef struct sp_record {
	uint8_t community[SP_PUBKEY_BYTES];
	char collection[SP_COLLECTION_MAX + 1]; /* NUL-terminated */
	size_t collection_len;
	char key[SP_KEY_MAX + 1];               /* NUL-terminated; no NUL inside */
	size_t key_len;
	uint8_t author[SP_PUBKEY_BYTES];
	uint64_t timestamp;                     /* hybrid logical clock, hlc.h */
	unsigned flags;                         /* SP_FLAG_* */
	enum sp_label label;
	const uint8_t *body;                    /* canonical msgpack map */
	size_t body_len;
	uint8_t sig[SP_SIG_BYTES];
	size_t signed_len;                      /* set by decode and sign */
} sp_record;

/*
 * Validates rec's fields, encodes it, signs the prefix with sk (64-byte
 * libsodium Ed25519 secret key whose public half must equal rec->author),
 * stores the signature in rec->sig, appends the encoding to out and writes
 * the id to id (may be NULL). Returns 0, SP_ENOMEM (out->err) or the first
 * broken field rule. out is owned by the caller.
 */
int sp_record_sign(sp_record *rec, const uint8_t sk[SP_SECKEY_BYTES],
    sp_buf *out, uint8_t id[SP_ID_BYTES]);

/*
 * Appends the encoding of an already signed record (rec->sig as it is, for
 * example a decoded one) to out, after the same field checks as
 * sp_record_sign. Decoding then encoding gives back the same bytes.
 * Returns 0, out->err or the first broken field rule.
 */
int sp_record_encode(const sp_record *rec, sp_buf *out);

/*
 * Decodes and validates the canonical encoding in data (structure, names,
 * flags, label, body rules). Does not check the signature or the clock.
 * On success rec->body points into data. rec is cleared on entry.
 */
int sp_record_decode(const uint8_t *data, size_t len, sp_record *rec);

/* Checks rec->sig over the signed prefix of data (as decoded into rec). */
int sp_record_verify(const uint8_t *data, size_t len, const sp_record *rec);

/* sp_record_decode + sp_record_verify + sp_record_check_time in one call. */
int sp_record_open(const uint8_t *data, size_t len, uint64_t now_ms,
    sp_record *rec, uint8_t id[SP_ID_BYTES]);

/* Id of an encoded record: BLAKE2b-256 of all its bytes. */
void sp_record_id(const uint8_t *data, size_t len, uint8_t id[SP_ID_BYTES]);

/* SP_EFUTURE when rec->timestamp is more than SP_MAX_SKEW_MS after now_ms. */
int sp_record_check_time(const sp_record *rec, uint64_t now_ms);

/*
 * Version order: newest timestamp wins, ties broken by the larger id.
 * Returns <0 when (ta, ida) loses to (tb, idb), >0 when it wins, 0 if equal.
 */
int sp_version_cmp(uint64_t ta, const uint8_t ida[SP_ID_BYTES],
    uint64_t tb, const uint8_t idb[SP_ID_BYTES]);

/* Name checks. Reserved collections start with '.' or '_'. */
int sp_collection_check(const char *s, size_t len, bool allow_reserved);
int sp_key_check(const char *s, size_t len);
/* An alias follows the collection rules and must not be reserved. */
int sp_alias_check(const char *s, size_t len);

/* "private" ... "public"; sp_label_parse returns SP_ELABEL on anything else. */
const char *sp_label_name(enum sp_label label);
int sp_label_parse(const char *s, enum sp_label *out);

#endif

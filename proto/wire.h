/*
 * wire.h - the peer protocol's messages (docs/PROTOCOL.md, "Peer
 * protocol"), as pure functions over bytes.
 *
 * After the Noise handshake, every Noise transport message carries one
 * fragment: a flag byte (SP_WIRE_MORE when more fragments of the same
 * logical message follow, SP_WIRE_LAST otherwise) and up to
 * SP_WIRE_FRAGMENT_MAX bytes. A logical message is at most SP_WIRE_MSG_MAX
 * bytes of msgpack: an array whose first item is its type. Every message
 * is canonical msgpack as records are (docs/FORMAT.md, section 1: shortest
 * integers and headers, each field in the family the table below gives it,
 * nothing after the array); the decoder refuses anything else.
 */
#ifndef SP_WIRE_H
#define SP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"

#define SP_WIRE_VERSION      1
#define SP_WIRE_PROLOGUE     "simpul/1"
#define SP_WIRE_MORE         0x01
#define SP_WIRE_LAST         0x00
/* Noise payload limit (65535 - 16) less the flag byte. */
#define SP_WIRE_FRAGMENT_MAX (65535 - 16 - 1)
#define SP_WIRE_MSG_MAX      (4u * 1024 * 1024)
/* Before the handshake finishes only handshake messages are accepted; they are small. */
#define SP_WIRE_HS_MSG_MAX   1024
/* Bounds on lists inside messages. */
#define SP_WIRE_MAX_AREAS    4096
#define SP_WIRE_MAX_IDS      65536
#define SP_WIRE_MAX_RECORDS  16384
/* A NEG's Negentropy message: both sides build theirs with this frame limit. */
#define SP_WIRE_NEG_MAX      (1024u * 1024)
/* An ERROR's message text, in bytes of UTF-8. */
#define SP_WIRE_ERROR_TEXT_MAX 256

enum sp_wire_type {
	SP_WIRE_HELLO = 1,    /* [1, version uint 1, [area...] offers, [want...] wants] */
	SP_WIRE_NEG = 2,      /* [2, area, negentropy message bin <= SP_WIRE_NEG_MAX] */
	SP_WIRE_RECORDS = 3,  /* [3, [record bin <= SP_RECORD_MAX...]] */
	SP_WIRE_WANT = 4,     /* [4, area, [id bin32...]] */
	SP_WIRE_DONE = 5,     /* [5, area, have uint, need uint] */
	SP_WIRE_SYNCED = 6,   /* [6] every area reconciled and sent */
	SP_WIRE_PING = 7,     /* [7, nonce uint (64 bits)] */
	SP_WIRE_PONG = 8,     /* [8, nonce uint (64 bits)] */
	SP_WIRE_ERROR = 9,    /* [9, code negative int32, message str] then close */
	SP_WIRE_REFUSED = 10, /* [10, area] the area is not agreed: no reconciliation */
	SP_WIRE_RESYNC = 11,  /* [11] the server asks the client to reconcile again */
	SP_WIRE_OFFERS = 12,  /* [12, offers] the areas this side offers now (as in HELLO) */
};
/* One past the largest type: tables indexed by type have this many rows. */
#define SP_WIRE_TYPES 13

/* The type's name as the docs write it ("HELLO"); "?" for no known type. */
const char *sp_wire_type_name(enum sp_wire_type t);

/* An area: (community, collection, label). Encoded [community bin32, collection str, label uint]. */
typedef struct sp_area {
	uint8_t community[SP_PUBKEY_BYTES];
	char collection[SP_COLLECTION_MAX + 1];
	enum sp_label label;
} sp_area;

/*
 * A want pattern: (community, collection or "*", set of labels). Encoded
 * [community bin32, collection str, labels uint bitmask (1 << label)].
 */
typedef struct sp_want {
	uint8_t community[SP_PUBKEY_BYTES];
	char collection[SP_COLLECTION_MAX + 1];  /* "*" matches every collection */
	unsigned labels;
} sp_want;
/* Every label: a want's labels are a non-empty subset of these bits. */
#define SP_WIRE_LABELS_ALL ((1u << SP_LABEL_COUNT) - 1)

int sp_area_cmp(const sp_area *a, const sp_area *b);
/* The area a decoded record belongs to. */
void sp_area_of(const sp_record *rec, sp_area *out);
/*
 * Every community at once: an area or want whose community is 32 zero
 * bytes (no community's id: the encoding of a point of small order, which
 * is no Ed25519 key). Such an area holds the records of its collection and
 * label in every community (docs/HUBS.md, "The hierarchy of hubs").
 */
bool sp_is_every_community(const uint8_t community[SP_PUBKEY_BYTES]);
/* The area of every community that holds area a's records. */
void sp_area_every(const sp_area *a, sp_area *out);
/* Whether records of area a belong to area outer: the same area, or outer's every community. */
bool sp_area_holds(const sp_area *outer, const sp_area *a);
bool sp_want_matches(const sp_want *w, const sp_area *a);

/* A decoded message; pointers point into the decoded bytes. */
typedef struct sp_wire_msg {
	enum sp_wire_type type;
	uint64_t version;            /* HELLO */
	const uint8_t *offers;       /* HELLO, OFFERS: raw array of areas (sp_wire_next_area) */
	size_t offers_len;
	uint32_t noffers;
	const uint8_t *wants;        /* HELLO: raw array of wants (sp_wire_next_want) */
	size_t wants_len;
	uint32_t nwants;
	sp_area area;                /* NEG, WANT, DONE, REFUSED */
	const uint8_t *data;         /* NEG: negentropy message; RECORDS/WANT: raw array */
	size_t data_len;
	uint32_t count;              /* RECORDS: records; WANT: ids */
	uint64_t have, need;         /* DONE */
	uint64_t nonce;              /* PING, PONG */
	int64_t code;                /* ERROR */
	const char *message;         /* ERROR */
	size_t message_len;
} sp_wire_msg;

/*
 * Decodes one logical message, checking every bound above and every list
 * item, so the iterators cannot fail on a decoded message. m is cleared on
 * entry. Returns 0, SP_EFRAME (unknown type, wrong item count, an item of
 * the wrong msgpack type, an ERROR code that is not a negative int32),
 * SP_EPROTO_VERSION (HELLO of another version), SP_ETOOBIG (a list, binary
 * or ERROR text over its bound), SP_EFIELD_SIZE (a community or id not 32
 * bytes), SP_ECOLLECTION, SP_ELABEL, or the reader's code for the
 * canonical encoding rule the bytes broke (SP_ENONCANON_INT,
 * SP_ENONCANON_LEN, SP_EUTF8, SP_ETRAILING...).
 */
int sp_wire_decode(const uint8_t *data, size_t len, sp_wire_msg *m);

/* Iterators over a decoded message's lists: *p and *left start at the list's first item. */
int sp_wire_next_area(const uint8_t **p, size_t *left, sp_area *out);
int sp_wire_next_want(const uint8_t **p, size_t *left, sp_want *out);
int sp_wire_next_bin(const uint8_t **p, size_t *left, const uint8_t **bin, size_t *len);

/*
 * Encoders: append one whole logical message to out, canonical (errors
 * sticky in out->err; arguments the decoder would refuse set it to
 * SP_EINVAL: sp_wire_error wants a negative code and at most
 * SP_WIRE_ERROR_TEXT_MAX bytes of UTF-8).
 */
void sp_wire_hello(sp_buf *out, const sp_area *offers, size_t noffers,
    const sp_want *wants, size_t nwants);
void sp_wire_neg(sp_buf *out, const sp_area *area, const uint8_t *msg, size_t len);
/* RECORDS: begin with the count, then sp_pack_bin each record. */
void sp_wire_records_begin(sp_buf *out, uint32_t count);
void sp_wire_want_begin(sp_buf *out, const sp_area *area, uint32_t count);
void sp_wire_done(sp_buf *out, const sp_area *area, uint64_t have, uint64_t need);
void sp_wire_synced(sp_buf *out);
void sp_wire_resync(sp_buf *out);
void sp_wire_offers(sp_buf *out, const sp_area *offers, size_t noffers);
void sp_wire_ping(sp_buf *out, enum sp_wire_type type, uint64_t nonce);
void sp_wire_error(sp_buf *out, int code, const char *message);
void sp_wire_refused(sp_buf *out, const sp_area *area);
void sp_wire_pack_area(sp_buf *out, const sp_area *area);
/* One want, as in HELLO (peer policies store theirs the same way). */
void sp_wire_pack_want(sp_buf *out, const sp_want *want);

/*
 * Reassembly of fragments into logical messages, bounded by max bytes.
 * push() takes one decrypted Noise payload; when it completes a message
 * *msg and *msg_len point to it (valid until the next push) and *complete is set.
 * SP_EFRAME on an empty fragment or a bad flag, SP_ETOOBIG past max.
 */
typedef struct sp_wire_reasm {
	sp_buf buf;
	size_t max;
	bool complete;
} sp_wire_reasm;
void sp_wire_reasm_init(sp_wire_reasm *r, size_t max);
void sp_wire_reasm_free(sp_wire_reasm *r);
int sp_wire_reasm_push(sp_wire_reasm *r, const uint8_t *frag, size_t len,
    const uint8_t **msg, size_t *msg_len, bool *complete);

#endif

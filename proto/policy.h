/*
 * policy.h - what a node shares with a peer, and the rules no policy can
 * override (docs/PROTOCOL.md, "Selective replication").
 *
 * A SPEC, as typed on the command line, is COMMUNITY/COLLECTION:LABEL[,LABEL...]
 * where COMMUNITY is an alias, a base32 id or "*" (every community, for
 * a hub's policy towards the hubs above and below it:
 * sp_is_every_community) and COLLECTION may be "*":
 * e.g. "rt03/households:shared"; COLLECTION "*" names them all, as in
 * "rt03/" "*:shared,public" (one string, written in two here).
 */
#ifndef SP_POLICY_H
#define SP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"
#include "wire.h"

#define SP_POLICY_MAX_SPECS 64
#define SP_PEER_NAME_MAX    SP_COLLECTION_MAX   /* names follow the alias rules */
#define SP_ADDRESS_MAX      255

typedef struct sp_spec {
	char community[SP_COLLECTION_MAX + 1];  /* alias or base32 id, as typed */
	char collection[SP_COLLECTION_MAX + 1]; /* a collection name or "*" */
	unsigned labels;                         /* bitmask of 1 << sp_label */
} sp_spec;

/*
 * Parses SPEC into out (cleared on entry). The error names the part that
 * is wrong: SP_EINVAL (no '/' or no ':' after it), SP_EALIAS (community),
 * SP_ECOLLECTION or SP_ERESERVED (collection), SP_ELABEL (labels).
 */
int sp_spec_parse(const char *s, sp_spec *out);
/*
 * The detail for an error err from sp_spec_parse(s): the SPEC quoted and,
 * when its shape is wrong (SP_EINVAL), how a SPEC is written. Always
 * NUL-terminates out (truncating).
 */
void sp_spec_explain(char *out, size_t size, const char *s, int err);
/*
 * "COMMUNITY/COLLECTION:LABEL,..." into out (size bytes), labels in
 * sp_label order. SP_EINVAL for labels outside 1..15, SP_ETOOBIG when it
 * does not fit (out is then "").
 */
int sp_spec_format(char *out, size_t size, const char *community, const char *collection,
    unsigned labels);

/* A peer as stored: its name, node id, optional address and policy. */
typedef struct sp_peer_policy {
	char name[SP_PEER_NAME_MAX + 1];
	uint8_t node[SP_PUBKEY_BYTES];
	char address[SP_ADDRESS_MAX + 1];       /* "HOST:PORT", or "" for inbound only */
	size_t noffers;
	size_t nwants;
	sp_want offers[SP_POLICY_MAX_SPECS];    /* communities resolved to ids */
	sp_want wants[SP_POLICY_MAX_SPECS];
} sp_peer_policy;

/*
 * Canonical msgpack encoding for the store, and its bounded decoder:
 *   {"address": str, "name": str, "node": bin32,
 *    "offers": [want...], "wants": [want...]}
 * with wants as in HELLO (wire.h) but no reserved collection. The name
 * follows sp_alias_check, the address is "" or what sp_address_parse
 * takes, at most SP_POLICY_MAX_SPECS of each list (SP_ETOOBIG). Encode
 * checks the same rules before appending anything. Decode clears out on
 * entry and on failure; bytes of the wrong shape are SP_ECORRUPT.
 */
int sp_policy_encode(const sp_peer_policy *p, sp_buf *out);
int sp_policy_decode(const uint8_t *data, size_t len, sp_peer_policy *out);

/*
 * The rules, for a record of area a travelling from a node to another:
 * private never; community only between two nodes of the community's
 * charter; shared only from a node of the charter; public from anyone.
 * from_member/to_member: whether sender/receiver are in the charter.
 */
bool sp_may_travel(const sp_area *a, bool from_member, bool to_member);

/* Splits "HOST:PORT" ("[v6]:PORT" too). SP_EINVAL when malformed. */
int sp_address_parse(const char *s, char *host, size_t host_size, uint16_t *port);

#endif

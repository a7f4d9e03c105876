/*
 * heartbeat.h - a community node's heartbeat (docs/HUBS.md): the body of
 * a record in ".heartbeat" under the writing node's id (base32), label
 * public, so that a hub can watch replication without seeing any record:
 *
 *   {"peers": [{"backlog": uint, "last_sync": uint, "node": bin32}...],
 *    "software": str, "time": uint}
 *
 * time: when it was written; last_sync: when the last complete sync with
 * that peer ended (0: never); both wall clock, milliseconds. backlog: the
 * records the last reconciliation found to send to that peer and not yet
 * sent. software: simpul's version, 1-64 printable ASCII bytes. Peers
 * sorted by node id, distinct, at most SP_HEARTBEAT_MAX_PEERS.
 * Canonical msgpack, every key present; nothing here allocates.
 */
#ifndef SP_HEARTBEAT_H
#define SP_HEARTBEAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record.h"

#define SP_HEARTBEAT_COLLECTION   ".heartbeat"
#define SP_HEARTBEAT_MAX_PEERS    256
#define SP_HEARTBEAT_SOFTWARE_MAX 64

typedef struct sp_heartbeat_peer {
	uint8_t node[SP_PUBKEY_BYTES];
	uint64_t last_sync_ms;     /* wall clock; 0: never */
	uint64_t backlog;
} sp_heartbeat_peer;

typedef struct sp_heartbeat {
	char software[SP_HEARTBEAT_SOFTWARE_MAX + 1];
	uint64_t time_ms;
	sp_heartbeat_peer peers[SP_HEARTBEAT_MAX_PEERS];   /* sorted by node */
	size_t npeers;
} sp_heartbeat;

/*
 * Adds a peer in its place by node id. SP_EEXIST when that node is there
 * already (hb unchanged), SP_ETOOBIG when hb holds SP_HEARTBEAT_MAX_PEERS.
 */
int sp_heartbeat_add_peer(sp_heartbeat *hb, const uint8_t node[SP_PUBKEY_BYTES],
    uint64_t last_sync_ms, uint64_t backlog);

/* The rules above (software, peers sorted and distinct, their count): 0 or SP_EHEARTBEAT. */
int sp_heartbeat_check(const sp_heartbeat *hb);
/* Appends the canonical body: 0, SP_EHEARTBEAT (hb breaks a rule) or out->err. */
int sp_heartbeat_encode(const sp_heartbeat *hb, sp_buf *out);
/* Decodes a body into *out (cleared first, and on failure): 0 or SP_EHEARTBEAT. */
int sp_heartbeat_decode(const uint8_t *body, size_t len, sp_heartbeat *out);

#endif

/*
 * heartbeats.h - a community node's heartbeats (docs/HUBS.md, proto/
 * heartbeat.h): at start and every interval, in each community this node
 * is a writer of and that consented to some hub (a consent that counts),
 * it writes its heartbeat: simpul's version and, per peer of that
 * community (a writer of its charter, a hub it consented to, or a peer
 * whose policy names it), when the last complete sync ended and how many
 * records are still to send. A hub writes none. (Named heartbeats, not
 * heartbeat: proto/heartbeat.h is the body's module.)
 *
 * The peer figures are read on the loop thread; the writes run on the
 * write queue and go to the sessions like any local write.
 */
#ifndef SP_HEARTBEATS_H
#define SP_HEARTBEATS_H

#include <stdint.h>

#include <uv.h>

#include "node.h"
#include "peer.h"
#include "sync.h"
#include "work.h"

/* How often a node writes its heartbeats unless told otherwise (simpuld --heartbeat-interval). */
#define SP_HEARTBEAT_INTERVAL_MS (5u * 60 * 1000)

typedef struct sp_heartbeats sp_heartbeats;

/*
 * Starts writing heartbeats on loop every interval_ms (0: the default),
 * the first at once, with the peer figures of peers. *out is closed
 * with sp_heartbeats_close and freed with sp_heartbeats_free once the
 * loop has run after that.
 */
int sp_heartbeats_start(uv_loop_t *loop, sp_node *node, sp_work *work, sp_sessions *ss,
    sp_peers *peers, uint64_t interval_ms, sp_heartbeats **out);
/* Stops the timer (its handle closes as the loop runs); a write under way finishes. */
void sp_heartbeats_close(sp_heartbeats *h);
void sp_heartbeats_free(sp_heartbeats *h);

#endif
